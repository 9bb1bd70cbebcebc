//! Anonymising a seed: personal values replaced deterministically, keeping what the sync rules
//! depend on. What is kept, and why (docs/decisions.md, "Anonymised seeds"):
//!
//! - the same original always gets the same replacement, wherever it is referenced (a company's
//!   name in `company` and `parent`, a location's name in `location`, a contact's name in a
//!   ticket's `contact`), so references still resolve;
//! - two different originals never get the same replacement, and no replacement equals any
//!   original value: records that matched exactly still match, records that did not still do
//!   not, and a scan for the originals finds none;
//! - case-insensitive equality and surrounding whitespace are kept too (the key is the trimmed,
//!   lower-cased original; case is copied letter by letter), for rules that trim or fold case;
//! - lengths are kept (a replacement of another length is drawn again, then fitted), and text
//!   outside ASCII is replaced letter by letter within its own script, so limits and encodings
//!   a PSA enforces bite the same way;
//! - empty and absent values stay empty and absent; types, statuses, lookups (countries,
//!   states, manufacturers, models, boards, priorities) and MAC address formats are not
//!   personal and stay as they are; MAC addresses get new hex digits.
//!
//! The [`Mapping`] translates back; it is written to its own file, never into the seed.

mod native;

use crate::seed::SeedDocument;
use fake::faker::address::en::{CityName, StreetName};
use fake::faker::company::en::{CompanyName, Profession};
use fake::faker::lorem::en::Words;
use fake::faker::name::en::{FirstName, LastName};
use fake::rand::rngs::StdRng;
use fake::rand::{Rng, SeedableRng};
use fake::Fake;
use native::scrub_native;
use psa_core::Personality;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What kind of value a field holds, which decides how its replacement is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Company,
    FirstName,
    LastName,
    Location,
    Street,
    City,
    Email,
    Phone,
    /// Identifiers and codes (short names, serial numbers, zip codes, configuration names):
    /// letters for letters, digits for digits.
    Code,
    Mac,
    JobTitle,
    Text,
}

/// The class of a neutral field, `None` for what is kept as it is.
fn class_of(group: &str, field: &str) -> Option<Class> {
    Some(match (group, field) {
        (_, "company" | "parent") => Class::Company,
        ("companies", "name") => Class::Company,
        ("locations", "name") | (_, "location") => Class::Location,
        (_, "first_name") => Class::FirstName,
        (_, "last_name") => Class::LastName,
        (_, "address1" | "address2") => Class::Street,
        (_, "city") => Class::City,
        (_, "email") => Class::Email,
        (_, "phone" | "fax") => Class::Phone,
        (_, "short_name" | "serial_number" | "zip") => Class::Code,
        ("configurations", "name") => Class::Code,
        (_, "mac_address") => Class::Mac,
        ("contacts", "title") => Class::JobTitle,
        (_, "notes") | ("tickets", "title") => Class::Text,
        _ => return None,
    })
}

/// One replacement, for translating back.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub class: Class,
    pub original: String,
    pub fake: String,
}

/// Every replacement made; kept locally, never in the seed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Mapping {
    pub format: String,
    pub entries: Vec<Entry>,
}

pub const MAPPING_FORMAT: &str = "mock-psa anonymisation mapping v1";

impl Mapping {
    pub fn parse(text: &str) -> Result<Mapping, String> {
        let m: Mapping =
            serde_json::from_str(text).map_err(|e| format!("not a mapping file: {e}"))?;
        if m.format != MAPPING_FORMAT {
            return Err(format!(
                "not a mapping file: format is `{}`, expected `{MAPPING_FORMAT}`",
                m.format
            ));
        }
        Ok(m)
    }

    /// The original of a replaced value: the whole value, or each of its space-separated
    /// parts (a ticket's "First Last").
    pub fn original_of(&self, fake: &str) -> Option<String> {
        let whole = |s: &str| {
            let core = s.trim();
            let (lead, trail) = (
                &s[..s.len() - s.trim_start().len()],
                &s[s.trim_end().len()..],
            );
            self.entries
                .iter()
                .find(|e| e.fake == core)
                .map(|e| format!("{lead}{}{trail}", e.original))
        };
        whole(fake).or_else(|| {
            let parts: Option<Vec<String>> = fake.split(' ').map(whole).collect();
            parts.filter(|p| p.len() > 1).map(|p| p.join(" "))
        })
    }

    /// Every replaced string inside `v` turned back into its original (whole values first,
    /// then replacements inside longer text such as messages).
    pub fn translate_value(&self, v: &mut Value) {
        match v {
            Value::String(s) => {
                *s = self
                    .original_of(s)
                    .unwrap_or_else(|| self.translate_back(s));
            }
            Value::Array(a) => a.iter_mut().for_each(|v| self.translate_value(v)),
            Value::Object(o) => o.values_mut().for_each(|v| self.translate_value(v)),
            _ => {}
        }
    }

    /// `text` with every replacement turned back into its original (longest first, so a fake
    /// inside a longer fake is not translated half-way).
    pub fn translate_back(&self, text: &str) -> String {
        let mut pairs: Vec<(&str, &str)> = self
            .entries
            .iter()
            .map(|e| (e.fake.as_str(), e.original.as_str()))
            .filter(|(f, _)| !f.is_empty())
            .collect();
        pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
        pairs.dedup_by(|a, b| a.0 == b.0);
        // One left-to-right pass: replaced text is never scanned again.
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        'scan: while !rest.is_empty() {
            for (fake, original) in &pairs {
                if let Some(after) = rest.strip_prefix(fake) {
                    out.push_str(original);
                    rest = after;
                    continue 'scan;
                }
            }
            let c = rest.chars().next().expect("non-empty");
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }
}

/// Replaces every personal value of `seed`; `salt` varies the replacements (keep it secret and
/// the mapping cannot be rebuilt by guessing originals).
///
/// With the personality the seed is for, the names of records its mock makes by itself (the
/// location a new company gets, named after it) follow their company's replacement, so the
/// references to them resolve in the anonymised world too.
///
/// Rows written with `repeat` come out as the rows they stand for: a template's `{n}` would
/// not survive a replacement.
pub fn anonymise(
    seed: &SeedDocument,
    salt: &str,
    personality: Option<Personality>,
) -> (SeedDocument, Mapping) {
    let whole = seed.clone().expanded();
    let seed = &whole;
    let mut a = Anonymiser::new(salt, seed);
    let mut out = seed.clone();
    // A ticket's `contact` is "First Last" of a contact: replaced as the two names are.
    let mut full_names = FullNames::new();
    for c in &seed.contacts {
        let part = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let company = part("company");
        let (first, last) = (part("first_name"), part("last_name"));
        let full = format!("{first} {last}").trim().to_string();
        full_names.insert((company, full), (first, last));
    }
    replace_rows("companies", &mut out.companies, &full_names, &mut a);
    if let Some(p) = personality {
        follow_self_made(p, &seed.companies, &out.companies, &mut a);
    }
    for (group, rows) in [
        ("locations", &mut out.locations),
        ("contacts", &mut out.contacts),
        ("configurations", &mut out.configurations),
        ("tickets", &mut out.tickets),
    ] {
        replace_rows(group, rows, &full_names, &mut a);
    }
    scrub_native(&mut out.native, &full_names, &mut a);
    let mut entries: Vec<Entry> = a
        .forward
        .into_iter()
        .map(|((class, original), fake)| Entry {
            class,
            original,
            fake,
        })
        .collect();
    entries.sort();
    (
        out,
        Mapping {
            format: MAPPING_FORMAT.into(),
            entries,
        },
    )
}

type FullNames = BTreeMap<(String, String), (String, String)>;

fn replace_rows(
    group: &str,
    rows: &mut [Map<String, Value>],
    full_names: &FullNames,
    a: &mut Anonymiser,
) {
    for row in rows.iter_mut() {
        let company = row
            .get("company")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if group == "companies" {
            derive_short_name(row, a);
        }
        for (field, value) in row.iter_mut() {
            let Value::String(s) = value else { continue };
            if group == "companies" && field == "short_name" {
                continue;
            }
            if group == "tickets" && field == "contact" {
                *s = match full_names.get(&(company.clone(), s.clone())) {
                    Some((first, last)) => {
                        let f = a.replace(Class::FirstName, first);
                        let l = a.replace(Class::LastName, last);
                        format!("{f} {l}").trim().to_string()
                    }
                    None => a.replace(Class::Text, s),
                };
                continue;
            }
            if let Some(class) = class_of(group, field) {
                *s = a.replace(class, s);
            }
        }
    }
}

/// Pairs the names of what a mock of `p` makes by itself for the original companies with
/// what it makes for the replaced ones (same order), so references to them follow.
fn follow_self_made(
    p: Personality,
    originals: &[Map<String, Value>],
    replaced: &[Map<String, Value>],
    a: &mut Anonymiser,
) {
    let (Ok(before), Ok(after)) = (
        crate::admin::self_made(p, originals),
        crate::admin::self_made(p, replaced),
    ) else {
        return;
    };
    let names = |view: &crate::dialect::NeutralView| -> Vec<String> {
        view.get(&crate::NeutralKind::Location)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("name")?.as_str().map(str::to_string))
            .collect()
    };
    for (original, fake) in names(&before).into_iter().zip(names(&after)) {
        a.by_value
            .entry(original.trim().to_string())
            .or_insert(Class::Location);
        a.forward
            .entry((Class::Location, original.trim().to_string()))
            .or_insert(fake);
    }
}

/// A company's short name (ConnectWise identifier) is usually its name without spaces and
/// punctuation, and a PSA derives one that way for a new company: when it was, the replacement
/// is derived from the replaced name the same way, so an identifier collision (R-style "already
/// in use") happens in the anonymised world exactly when it happened in the original.
fn derive_short_name(row: &mut Map<String, Value>, a: &mut Anonymiser) {
    let text = |k: &str| row.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(name), Some(short)) = (text("name"), text("short_name")) else {
        if let Some(short) = text("short_name") {
            row.insert(
                "short_name".into(),
                Value::String(a.replace(Class::Code, &short)),
            );
        }
        return;
    };
    let strip = |s: &str| -> String { s.chars().filter(|c| c.is_alphanumeric()).collect() };
    let derived = strip(&name);
    let fake_name = a.replace(Class::Company, &name);
    let replacement =
        if !short.is_empty() && derived.to_lowercase().starts_with(&short.to_lowercase()) {
            let n = short.chars().count();
            let fake: String = strip(&fake_name).chars().take(n).collect();
            let fake = copy_case(&short, &fake);
            a.by_value.entry(short.clone()).or_insert(Class::Code);
            a.forward
                .entry((Class::Code, short.clone()))
                .or_insert(fake)
                .clone()
        } else {
            a.replace(Class::Code, &short)
        };
    row.insert("short_name".into(), Value::String(replacement));
}

struct Anonymiser {
    salt: String,
    /// (class, trimmed original) -> replacement (before whitespace is put back).
    forward: BTreeMap<(Class, String), String>,
    /// (class, lower-cased core) -> lower-cased replacement core, for case-folding equality.
    folded: BTreeMap<(Class, String), String>,
    /// Lower-cased replacement cores already given out, in any class: a replacement names
    /// one original, so translating back is never ambiguous.
    taken: BTreeSet<String>,
    /// Every original string value of the seed (lower-cased): no replacement may be one.
    originals: BTreeSet<String>,
    /// Trimmed original -> its class, the first it was replaced as: a native member holding a
    /// value the neutral rows hold gets the same replacement.
    by_value: BTreeMap<String, Class>,
}

impl Anonymiser {
    fn new(salt: &str, seed: &SeedDocument) -> Self {
        let mut originals = BTreeSet::new();
        let mut collect = |v: &Value| {
            fn walk(v: &Value, out: &mut BTreeSet<String>) {
                match v {
                    Value::String(s) => {
                        out.insert(s.trim().to_lowercase());
                        for w in s.split_whitespace() {
                            out.insert(w.to_lowercase());
                        }
                    }
                    Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                    Value::Object(o) => o.values().for_each(|v| walk(v, out)),
                    _ => {}
                }
            }
            walk(v, &mut originals)
        };
        if let Ok(v) = serde_json::to_value(seed) {
            collect(&v);
        }
        Anonymiser {
            salt: salt.to_string(),
            forward: BTreeMap::new(),
            folded: BTreeMap::new(),
            taken: BTreeSet::new(),
            originals,
            by_value: BTreeMap::new(),
        }
    }

    /// The replacement already made for `original` in any class, if any.
    fn replaced(&mut self, original: &str) -> Option<String> {
        let class = *self.by_value.get(original.trim())?;
        Some(self.replace(class, original))
    }

    fn replace(&mut self, class: Class, original: &str) -> String {
        let core = original.trim();
        // Nothing to hide (and nothing a scramble could change) without letters or digits.
        if !core.chars().any(char::is_alphanumeric) {
            return original.to_string();
        }
        let lead = &original[..original.len() - original.trim_start().len()];
        let trail = &original[original.trim_end().len()..];
        if let Some(done) = self.forward.get(&(class, core.to_string())) {
            return format!("{lead}{done}{trail}");
        }
        let key = (class, core.to_lowercase());
        let base = match self.folded.get(&key) {
            Some(b) => b.clone(),
            None => {
                let b = self.draw(class, core);
                self.taken.insert(b.clone());
                self.folded.insert(key, b.clone());
                b
            }
        };
        let fake = copy_case(core, &base);
        self.forward.insert((class, core.to_string()), fake.clone());
        self.by_value.entry(core.to_string()).or_insert(class);
        format!("{lead}{fake}{trail}")
    }

    /// A lower-cased replacement for `core`, unused and equal to no original.
    fn draw(&self, class: Class, core: &str) -> String {
        let len = core.chars().count();
        for attempt in 0u32.. {
            let mut rng = StdRng::seed_from_u64(fnv(&[
                self.salt.as_bytes(),
                format!("{class:?}").as_bytes(),
                core.to_lowercase().as_bytes(),
                &attempt.to_le_bytes(),
            ]));
            let candidate = if attempt >= 1000 {
                // Too few values of this shape to keep every property: distinct wins.
                format!("{}-{attempt}", scramble(core, &mut rng))
            } else if !core.is_ascii() || attempt >= 40 {
                // Outside ASCII (or after many tries): same letters' scripts, same shape.
                scramble(core, &mut rng)
            } else if class == Class::Company {
                // Same words' lengths, same punctuation: identifiers derived from the name
                // (letters and digits only) collide when the originals' did.
                project(core, &generate(class, core, &mut rng), &mut rng)
            } else {
                fit(generate(class, core, &mut rng), len, &mut rng)
            }
            .to_lowercase();
            let words_clash = candidate
                .split_whitespace()
                .any(|w| w.chars().count() > 2 && self.originals.contains(w));
            let fresh = !self.taken.contains(&candidate)
                && !self.originals.contains(&candidate)
                && !words_clash;
            if fresh {
                return candidate;
            }
        }
        unreachable!("numbered candidates are distinct")
    }
}

/// A realistic replacement of the class (any length; [`fit`] adjusts it).
fn generate(class: Class, core: &str, rng: &mut StdRng) -> String {
    match class {
        Class::Company => CompanyName().fake_with_rng(rng),
        Class::FirstName => FirstName().fake_with_rng(rng),
        Class::LastName => LastName().fake_with_rng(rng),
        Class::Location | Class::City => CityName().fake_with_rng(rng),
        Class::Street => {
            let n: u16 = rng.random_range(1..2000);
            format!("{n} {}", StreetName().fake_with_rng::<String, _>(rng))
        }
        Class::Email => {
            let (local, domain) = core.rsplit_once('@').unwrap_or((core, ""));
            let tld = domain.rsplit_once('.').map_or("", |(_, t)| t);
            let name: String = FirstName().fake_with_rng(rng);
            let word: String = LastName().fake_with_rng(rng);
            let local = fit(name.to_lowercase(), local.chars().count().max(1), rng);
            let host_len = domain.chars().count().saturating_sub(tld.len() + 1).max(1);
            let host = fit(word.to_lowercase(), host_len, rng);
            if tld.is_empty() {
                format!("{local}@{host}")
            } else {
                format!("{local}@{host}.{tld}")
            }
        }
        Class::Phone | Class::Code => scramble(core, rng),
        Class::Mac => core
            .chars()
            .map(|c| {
                if c.is_ascii_hexdigit() {
                    char::from_digit(rng.random_range(0..16), 16).unwrap_or('0')
                } else {
                    c
                }
            })
            .collect(),
        Class::JobTitle => Profession().fake_with_rng(rng),
        Class::Text => Words(3..12).fake_with_rng::<Vec<String>, _>(rng).join(" "),
    }
}

/// `s` brought to exactly `len` characters: cut, or lengthened with letters, never starting or
/// ending with a space (a trimmed value must keep its length too).
fn fit(s: String, len: usize, rng: &mut StdRng) -> String {
    // Structured values keep their own shape: fitting would break an e-mail address.
    if s.contains('@') {
        return s;
    }
    let mut chars: Vec<char> = s.chars().collect();
    while chars.len() < len {
        chars.push((b'a' + rng.random_range(0..26u8)) as char);
    }
    chars.truncate(len);
    for i in [0, chars.len().saturating_sub(1)] {
        if chars.get(i).is_some_and(|c| c.is_whitespace()) {
            chars[i] = 'x';
        }
    }
    chars.into_iter().collect()
}

/// `fake`'s words laid over `shape`: each run of letters and digits in `shape` gets the next
/// word of `fake` fitted to its length (digits stay digits), everything else is kept.
fn project(shape: &str, fake: &str, rng: &mut StdRng) -> String {
    let mut words = fake
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect::<Vec<_>>()
        .into_iter();
    let mut out = String::new();
    let mut run = String::new();
    let mut flush = |run: &mut String, out: &mut String, rng: &mut StdRng| {
        if run.is_empty() {
            return;
        }
        if run.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&scramble(run, rng));
        } else {
            let word = words
                .next()
                .unwrap_or_else(|| LastName().fake_with_rng(rng));
            out.push_str(&fit(word, run.chars().count(), rng));
        }
        run.clear();
    };
    for c in shape.chars() {
        if c.is_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out, rng);
            out.push(c);
        }
    }
    flush(&mut run, &mut out, rng);
    out
}

/// Letters for letters of the same script and case, digits for digits; the rest kept.
fn scramble(s: &str, rng: &mut StdRng) -> String {
    s.chars()
        .map(|c| {
            let pick = |lo: u32, hi: u32, rng: &mut StdRng| {
                char::from_u32(rng.random_range(lo..=hi)).unwrap_or(c)
            };
            match c {
                '0'..='9' => pick('0' as u32, '9' as u32, rng),
                'a'..='z' => pick('a' as u32, 'z' as u32, rng),
                'A'..='Z' => pick('A' as u32, 'Z' as u32, rng),
                'à'..='ö' | 'ø'..='ÿ' => pick('à' as u32, 'ö' as u32, rng),
                'À'..='Ö' | 'Ø'..='Þ' => pick('À' as u32, 'Ö' as u32, rng),
                'а'..='я' => pick('а' as u32, 'я' as u32, rng),
                'А'..='Я' => pick('А' as u32, 'Я' as u32, rng),
                'α'..='ω' => pick('α' as u32, 'ω' as u32, rng),
                '\u{4e00}'..='\u{9fff}' => pick(0x4e00, 0x9fff, rng),
                '\u{3040}'..='\u{30ff}' => pick(0x3041, 0x3096, rng),
                c if c.is_alphabetic() => c,
                c => c,
            }
        })
        .collect()
}

/// The case of `model` copied letter by letter onto `base` (beyond it, `base` is kept).
fn copy_case(model: &str, base: &str) -> String {
    let mut m = model.chars();
    base.chars()
        .map(|c| match m.next() {
            Some(u) if u.is_uppercase() => c.to_uppercase().next().unwrap_or(c),
            Some(l) if l.is_lowercase() => c.to_lowercase().next().unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// FNV-1a over the parts: a hash that is the same on every machine and Rust release.
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter().chain([0xffu8].iter()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Every string value in `rows`, for scans.
pub fn strings(rows: &[Map<String, Value>]) -> impl Iterator<Item = &str> {
    rows.iter()
        .flat_map(|r| r.values())
        .filter_map(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seed(v: Value) -> SeedDocument {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn repeated_rows_come_out_as_the_rows_they_stand_for() {
        let s = SeedDocument::parse(
            "companies:\n  - {name: 'Client {n}', type: Customer, repeat: 3}\ncontacts:\n  - {company: 'Client {n}', first_name: 'P{n}', repeat: 3}\n",
        )
        .unwrap();
        let (out, _) = anonymise(&s, "salt", None);
        let names: Vec<&str> = out
            .companies
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(
            names
                .iter()
                .all(|n| !n.contains("{n}") && !n.starts_with("Client")),
            "{names:?}"
        );
        assert!(names[0] != names[1] && names[1] != names[2], "{names:?}");
        assert!(out.companies.iter().all(|c| !c.contains_key("repeat")));
        // Each contact still names its own (replaced) company.
        let companies: Vec<&Value> = out.contacts.iter().map(|c| &c["company"]).collect();
        assert_eq!(
            companies,
            out.companies.iter().map(|c| &c["name"]).collect::<Vec<_>>()
        );
    }

    #[test]
    fn replacements_are_consistent_distinct_and_keep_shape() {
        let s = seed(json!({
            "companies": [{"name": "Acme Ltd", "type": "Customer"}, {"name": "ACME LTD"},
                          {"name": "Beta", "parent": "Acme Ltd"}],
            "contacts": [{"company": "Acme Ltd", "first_name": "Ann", "last_name": "Lee",
                          "email": "ann.lee@acme.com", "phone": "+1 (555) 010-2000"},
                         {"company": "Beta", "first_name": "Ann", "last_name": "Müller", "email": ""}],
            "tickets": [{"company": "Acme Ltd", "title": "Printer down", "contact": "Ann Lee"}],
        }));
        let (out, mapping) = anonymise(&s, "salt", None);
        let c = &out.companies;
        assert_eq!(c[2]["parent"], c[0]["name"], "references follow the name");
        assert_ne!(
            c[0]["name"], c[1]["name"],
            "distinct originals stay distinct"
        );
        let (a, b) = (
            c[0]["name"].as_str().unwrap(),
            c[1]["name"].as_str().unwrap(),
        );
        assert_eq!(
            a.to_lowercase(),
            b.to_lowercase(),
            "case-folded equality kept"
        );
        assert_eq!(a.chars().count(), "Acme Ltd".len());
        assert_eq!(c[0]["type"], "Customer");
        let k = &out.contacts;
        assert_eq!(k[0]["first_name"], k[1]["first_name"]);
        assert_eq!(k[1]["email"], "", "empty stays empty");
        let umlaut = k[1]["last_name"].as_str().unwrap();
        assert!(
            !umlaut.is_ascii() && umlaut.chars().count() == 6,
            "{umlaut}"
        );
        let phone = k[0]["phone"].as_str().unwrap();
        assert_eq!(phone.len(), 17);
        assert!(phone.starts_with("+") && phone.contains(") ") && phone != "+1 (555) 010-2000");
        let email = k[0]["email"].as_str().unwrap();
        assert!(email.ends_with(".com") && email.contains('@'), "{email}");
        let contact = format!(
            "{} {}",
            k[0]["first_name"].as_str().unwrap(),
            k[0]["last_name"].as_str().unwrap()
        );
        assert_eq!(out.tickets[0]["contact"], contact.as_str());
        let left: Vec<&str> = [&out.companies, &out.contacts, &out.tickets]
            .into_iter()
            .flat_map(|rows| strings(rows))
            .flat_map(|s| std::iter::once(s).chain(s.split_whitespace()))
            .collect();
        for original in [
            "Acme Ltd",
            "Acme",
            "Ann",
            "Lee",
            "Müller",
            "Printer",
            "ann.lee@acme.com",
            "+1 (555) 010-2000",
        ] {
            assert!(
                !left.iter().any(|v| v.eq_ignore_ascii_case(original)),
                "{original} left in {left:?}"
            );
        }
        assert_eq!(mapping.translate_back(&contact), "Ann Lee");
        let (again, _) = anonymise(&s, "salt", None);
        assert_eq!(
            serde_json::to_value(&again).unwrap(),
            serde_json::to_value(&out).unwrap()
        );
        let (salted, _) = anonymise(&s, "other", None);
        assert_ne!(salted.companies[0]["name"], out.companies[0]["name"]);
    }

    #[test]
    fn whitespace_around_a_value_is_kept() {
        let s = seed(json!({"companies": [{"name": "Acme"}, {"name": " Acme "}]}));
        let (out, _) = anonymise(&s, "", None);
        let (a, b) = (
            out.companies[0]["name"].as_str().unwrap(),
            out.companies[1]["name"].as_str().unwrap(),
        );
        assert_eq!(format!(" {a} "), b);
    }
}
