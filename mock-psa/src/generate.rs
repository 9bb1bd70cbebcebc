//! `mock-psa generate`: a realistic tenant of any size as a seed document, the same for the
//! same RNG seed. Every lookup it names (company and configuration types, statuses,
//! manufacturers) exists in every personality's defaults, so the seed loads anywhere.

use crate::seed::SeedDocument;
use fake::faker::address::en::{CityName, StreetName};
use fake::faker::company::en::{CompanyName, Profession};
use fake::faker::lorem::en::Words;
use fake::faker::name::en::{FirstName, LastName};
use fake::rand::rngs::StdRng;
use fake::rand::{Rng, SeedableRng};
use fake::Fake;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub companies: usize,
    /// The RNG seed: the same seed gives the same tenant, byte for byte.
    pub seed: u64,
    /// Share (0 to 1) of contacts without an e-mail address.
    pub missing_email: f64,
    /// Share (0 to 1) of configurations without a model.
    pub missing_model: f64,
    /// Most contacts, sites and configurations per company (each company gets 1 to this many).
    pub max_per_company: usize,
    /// Tickets per company (0 to this many).
    pub max_tickets: usize,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            companies: 10,
            seed: 1,
            missing_email: 0.1,
            missing_model: 0.1,
            max_per_company: 4,
            max_tickets: 2,
        }
    }
}

/// Manufacturers every personality knows, with real model lines: (type, model) pairs.
const MODELS: [(&str, &[(&str, &str)]); 4] = [
    (
        "Dell",
        &[
            ("Workstation", "OptiPlex 7090"),
            ("Workstation", "Latitude 5420"),
            ("Workstation", "Precision 3660"),
            ("Server", "PowerEdge R740"),
            ("Server", "PowerEdge T150"),
        ],
    ),
    (
        "HP",
        &[
            ("Workstation", "EliteBook 840 G8"),
            ("Workstation", "ProDesk 400 G7"),
            ("Server", "ProLiant DL380 Gen10"),
            ("Printer", "LaserJet Pro M404dn"),
            ("Printer", "OfficeJet Pro 9025e"),
        ],
    ),
    (
        "Lenovo",
        &[
            ("Workstation", "ThinkPad T14 Gen 3"),
            ("Workstation", "ThinkCentre M70q"),
            ("Server", "ThinkSystem SR650"),
        ],
    ),
    (
        "Cisco",
        &[("Server", "UCS C220 M6"), ("Server", "UCS C240 M6")],
    ),
];

const COMPANY_TYPES: [(&str, u32); 4] = [
    ("Customer", 80),
    ("Prospect", 10),
    ("Vendor", 5),
    ("Partner", 5),
];

/// Generates the tenant.
pub fn generate(opts: &GenerateOptions) -> Result<SeedDocument, String> {
    for (name, share) in [
        ("missing e-mail share", opts.missing_email),
        ("missing model share", opts.missing_model),
    ] {
        if !(0.0..=1.0).contains(&share) {
            return Err(format!("{name} must be from 0 to 1, not {share}"));
        }
    }
    if opts.max_per_company == 0 {
        return Err("at least one contact, site and configuration per company".into());
    }
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut seed = SeedDocument::default();
    let mut names = BTreeSet::new();
    let mut serial = 0u64;
    for i in 0..opts.companies {
        let name = unique(&mut names, CompanyName().fake_with_rng(&mut rng));
        let domain = domain_of(&name);
        let kind = weighted(&mut rng, &COMPANY_TYPES);
        let active = rng.random_bool(0.95);
        let mut company = row([
            ("name", json!(name)),
            ("type", json!(kind)),
            ("status", json!(if active { "Active" } else { "Inactive" })),
            ("phone", json!(phone(&mut rng))),
        ]);
        // Every tenth company or so belongs to an earlier one (sub-organisations, R11).
        if i > 0 && rng.random_bool(0.1) {
            let parent = rng.random_range(0..seed.companies.len());
            company.insert("parent".into(), seed.companies[parent]["name"].clone());
        }
        seed.companies.push(company);

        let sites = rng.random_range(1..=opts.max_per_company.min(3));
        let mut site_names = Vec::new();
        for s in 0..sites {
            let site = if s == 0 {
                "Main Office".to_string()
            } else {
                format!("{} Office", CityName().fake_with_rng::<String, _>(&mut rng))
            };
            if site_names.contains(&site) {
                continue;
            }
            let number: u16 = rng.random_range(1..2500);
            seed.locations.push(row([
                ("company", json!(name)),
                ("name", json!(site)),
                (
                    "address1",
                    json!(format!(
                        "{number} {}",
                        StreetName().fake_with_rng::<String, _>(&mut rng)
                    )),
                ),
                (
                    "city",
                    json!(CityName().fake_with_rng::<String, _>(&mut rng)),
                ),
                (
                    "zip",
                    json!(format!("{:05}", rng.random_range(1001..99951))),
                ),
                ("phone", json!(phone(&mut rng))),
                ("primary", json!(s == 0)),
            ]));
            site_names.push(site);
        }

        let mut people = BTreeSet::new();
        for _ in 0..rng.random_range(1..=opts.max_per_company) {
            let first: String = FirstName().fake_with_rng(&mut rng);
            let last: String = LastName().fake_with_rng(&mut rng);
            if !people.insert(format!("{first} {last}")) {
                continue;
            }
            let mut contact = row([
                ("company", json!(name)),
                ("first_name", json!(first)),
                ("last_name", json!(last)),
                (
                    "title",
                    json!(Profession().fake_with_rng::<String, _>(&mut rng)),
                ),
                ("phone", json!(phone(&mut rng))),
                (
                    "location",
                    json!(site_names[rng.random_range(0..site_names.len())]),
                ),
            ]);
            if !rng.random_bool(opts.missing_email) {
                let email = format!("{}.{}@{domain}", slug(&first), slug(&last));
                contact.insert("email".into(), json!(email));
            }
            seed.contacts.push(contact);
        }

        for _ in 0..rng.random_range(1..=opts.max_per_company) {
            let (maker, models) = MODELS[rng.random_range(0..MODELS.len())];
            let (kind, model) = models[rng.random_range(0..models.len())];
            serial += 1;
            let prefix: String = name
                .chars()
                .filter(char::is_ascii_alphabetic)
                .take(4)
                .collect();
            let host = format!(
                "{}-{}{:02}",
                prefix.to_uppercase(),
                match kind {
                    "Server" => "SRV",
                    "Printer" => "PRN",
                    _ => "WS",
                },
                serial % 100
            );
            let mut config = row([
                ("company", json!(name)),
                ("name", json!(host)),
                ("type", json!(kind)),
                ("status", json!("Active")),
                ("manufacturer", json!(maker)),
                (
                    "serial_number",
                    json!(format!(
                        "{}{:07}",
                        &maker[..2].to_uppercase(),
                        serial * 7919 % 10_000_000
                    )),
                ),
                ("location", json!(site_names[0])),
            ]);
            if !rng.random_bool(opts.missing_model) {
                config.insert("model".into(), json!(model));
            }
            seed.configurations.push(config);
        }

        for _ in 0..rng.random_range(0..=opts.max_tickets) {
            let words: Vec<String> = Words(3..7).fake_with_rng(&mut rng);
            let mut ticket = row([("company", json!(name)), ("title", json!(words.join(" ")))]);
            if let Some(who) = people.iter().nth(rng.random_range(0..people.len().max(1))) {
                ticket.insert("contact".into(), json!(who));
            }
            seed.tickets.push(ticket);
        }
    }
    Ok(seed)
}

fn row<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// `name`, or `name 2`, `name 3`, ... when it is taken: company names are match keys.
fn unique(taken: &mut BTreeSet<String>, name: String) -> String {
    let mut candidate = name.clone();
    let mut n = 1;
    while !taken.insert(candidate.clone()) {
        n += 1;
        candidate = format!("{name} {n}");
    }
    candidate
}

fn weighted<'a>(rng: &mut StdRng, choices: &[(&'a str, u32)]) -> &'a str {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total);
    for (name, w) in choices {
        if pick < *w {
            return name;
        }
        pick -= w;
    }
    choices[0].0
}

fn phone(rng: &mut StdRng) -> String {
    format!(
        "+1 {}-555-{:04}",
        rng.random_range(201..990),
        rng.random_range(100..2000)
    )
}

fn slug(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase()
}

/// A reserved `.example` domain from the company name (never a real one).
fn domain_of(company: &str) -> String {
    let words: Vec<String> = company
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(2)
        .map(str::to_lowercase)
        .collect();
    format!("{}.example", words.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_tenant_and_shares_are_honoured() {
        let opts = GenerateOptions {
            companies: 200,
            seed: 7,
            missing_email: 0.5,
            missing_model: 0.0,
            ..Default::default()
        };
        let a = serde_json::to_string(&generate(&opts).unwrap()).unwrap();
        let b = serde_json::to_string(&generate(&opts).unwrap()).unwrap();
        assert_eq!(a, b);
        let other = generate(&GenerateOptions {
            seed: 8,
            ..opts.clone()
        })
        .unwrap();
        assert_ne!(serde_json::to_string(&other).unwrap(), a);
        let seed = generate(&opts).unwrap();
        assert_eq!(seed.companies.len(), 200);
        let names: BTreeSet<_> = seed
            .companies
            .iter()
            .map(|c| c["name"].to_string())
            .collect();
        assert_eq!(names.len(), 200, "company names are unique");
        let without = seed
            .contacts
            .iter()
            .filter(|c| !c.contains_key("email"))
            .count();
        let share = without as f64 / seed.contacts.len() as f64;
        assert!((0.4..0.6).contains(&share), "{share}");
        assert!(seed.configurations.iter().all(|c| c.contains_key("model")));
        let none = generate(&GenerateOptions {
            missing_model: 1.0,
            ..opts
        })
        .unwrap();
        assert!(none.configurations.iter().all(|c| !c.contains_key("model")));
        assert!(generate(&GenerateOptions {
            missing_email: 1.5,
            ..Default::default()
        })
        .is_err());
    }
}
