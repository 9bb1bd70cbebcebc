//! Seed documents: the starting state of a PSA in the neutral vocabulary (plus raw native
//! records for anything the neutral one does not cover), as YAML or JSON.

use crate::dialect::NeutralKind;
use crate::limits::{check_json_depth, check_yaml_depth, Limits};
use crate::personality::Personality;
use crate::store::Record;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedDocument {
    /// Virtual time to set before seeding (`YYYY-MM-DDTHH:MM:SSZ` or Unix seconds).
    pub clock: Option<Value>,
    /// Raw records in the dialect's own shape, applied first: per native table for every PSA,
    /// or under a PSA key (`connectwise: {companies: [...]}`) for that PSA alone.
    pub native: BTreeMap<String, NativeRows>,
    pub companies: Vec<Map<String, Value>>,
    pub locations: Vec<Map<String, Value>>,
    pub contacts: Vec<Map<String, Value>>,
    pub configurations: Vec<Map<String, Value>>,
    pub tickets: Vec<Map<String, Value>>,
}

/// Under `native:`, a table's rows (every PSA) or a PSA's own tables.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NativeRows {
    Table(Vec<Record>),
    Psa(BTreeMap<String, Vec<Record>>),
}

impl SeedDocument {
    /// The native tables seeded on `psa`: shared tables first, then that PSA's own, by name.
    pub fn native_for(&self, psa: Personality) -> Result<Vec<(&str, &[Record])>, String> {
        let mut shared = Vec::new();
        let mut own = Vec::new();
        for (key, rows) in &self.native {
            let named_psa = key.parse::<Personality>().ok();
            match (rows, named_psa) {
                (NativeRows::Table(rows), None) => shared.push((key.as_str(), rows.as_slice())),
                (NativeRows::Psa(tables), Some(p)) => {
                    if p == psa {
                        own.extend(tables.iter().map(|(t, r)| (t.as_str(), r.as_slice())));
                    }
                }
                (NativeRows::Table(_), Some(_)) => {
                    return Err(format!(
                        "native.{key}: a PSA key holds tables (`{key}: {{companies: [...]}}`), not rows"
                    ))
                }
                (NativeRows::Psa(_), None) => {
                    return Err(format!(
                        "native.{key}: `{key}` is not a PSA (connectwise, autotask, bms, pulseway, vorex); a table holds a list of rows"
                    ))
                }
            }
        }
        shared.extend(own);
        Ok(shared)
    }

    /// Parses JSON when the text is JSON, YAML otherwise, within the default [`Limits`].
    pub fn parse(text: &str) -> Result<SeedDocument, String> {
        SeedDocument::parse_within(text, &Limits::default())
    }

    /// Parses a seed after checking its size and nesting in one linear pass (a deeply nested
    /// YAML document costs the YAML parser quadratic time; it is refused before that).
    /// YAML errors carry line and column.
    pub fn parse_within(text: &str, limits: &Limits) -> Result<SeedDocument, String> {
        if text.len() > limits.max_seed_bytes {
            return Err(format!(
                "seed is {} bytes; the limit is {} (limits.max_seed_bytes)",
                text.len(),
                limits.max_seed_bytes
            ));
        }
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') {
            check_json_depth(text.as_bytes(), limits.max_seed_depth)
                .map_err(|e| format!("seed {e} (limits.max_seed_depth)"))?;
        } else {
            check_yaml_depth(text, limits.max_seed_depth).map_err(|(line, e)| {
                format!("seed YAML, line {line}: {e} (limits.max_seed_depth)")
            })?;
        }
        let doc: SeedDocument = if trimmed.starts_with('{') {
            serde_json::from_str(text)
                .map_err(|e| format!("seed JSON, line {} column {}: {e}", e.line(), e.column()))
        } else {
            serde_norway::from_str(text).map_err(|e| match e.location() {
                Some(l) => format!("seed YAML, line {} column {}: {e}", l.line(), l.column()),
                None => format!("seed YAML: {e}"),
            })
        }?;
        for psa in Personality::ALL {
            doc.native_for(psa)?;
        }
        doc.check_repeats()?;
        Ok(doc)
    }

    /// The rows of one kind as written: a row with `repeat: N` stands for N rows ([`Self::rows`]).
    pub fn written(&self, kind: NeutralKind) -> &[Map<String, Value>] {
        match kind {
            NeutralKind::Company => &self.companies,
            NeutralKind::Location => &self.locations,
            NeutralKind::Contact => &self.contacts,
            NeutralKind::Configuration => &self.configurations,
            NeutralKind::Ticket => &self.tickets,
        }
    }

    /// The rows of one kind, a row written once with `repeat: N` made into N rows as they are
    /// read, `{n}` in its text values replaced with 1..=N zero-padded to N's width: a thousand
    /// companies in one line, and seeding 100,000 holds one of them at a time, not all.
    /// A `repeat` that is not a whole number from 1 to [`MAX_REPEAT`] leaves its row as
    /// written (the seed refuses its unknown member; [`Self::parse`] refuses it first).
    pub fn rows(&self, kind: NeutralKind) -> impl Iterator<Item = Cow<'_, Map<String, Value>>> {
        self.written(kind).iter().flat_map(|row| {
            let copies = repeat_of(row).ok().flatten();
            let width = copies.map_or(0, |n| n.to_string().len());
            let plain = copies.is_none().then_some(Cow::Borrowed(row));
            let made = (1..=copies.unwrap_or(0)).map(move |k| Cow::Owned(copy(row, k, width)));
            plain.into_iter().chain(made)
        })
    }

    /// Every kind's rows made whole: what [`Self::rows`] reads, written out.
    pub fn expanded(mut self) -> SeedDocument {
        let groups = NeutralKind::ALL.map(|kind| self.rows(kind).map(Cow::into_owned).collect());
        [
            self.companies,
            self.locations,
            self.contacts,
            self.configurations,
            self.tickets,
        ] = groups;
        self
    }

    /// Every `repeat` is a whole number from 1 to [`MAX_REPEAT`]; the error names the row.
    fn check_repeats(&self) -> Result<(), String> {
        for kind in NeutralKind::ALL {
            for (i, row) in self.written(kind).iter().enumerate() {
                repeat_of(row).map_err(|e| format!("{}[{i}]: {e}", kind.plural()))?;
            }
        }
        Ok(())
    }
}

/// Most rows one `repeat` makes.
pub const MAX_REPEAT: u64 = 100_000;

/// A row's `repeat`, if it has one.
fn repeat_of(row: &Map<String, Value>) -> Result<Option<u64>, String> {
    let Some(repeat) = row.get("repeat") else {
        return Ok(None);
    };
    match repeat.as_u64().filter(|n| (1..=MAX_REPEAT).contains(n)) {
        Some(n) => Ok(Some(n)),
        None => Err(format!(
            "repeat must be a whole number from 1 to {MAX_REPEAT}"
        )),
    }
}

/// Copy `k` of a repeated row: `repeat` left out, `{n}` in text values made `k`, padded.
fn copy(row: &Map<String, Value>, k: u64, width: usize) -> Map<String, Value> {
    let index = format!("{k:0width$}");
    row.iter()
        .filter(|(key, _)| key.as_str() != "repeat")
        .map(|(key, v)| {
            let v = match v {
                Value::String(t) => Value::String(t.replace("{n}", &index)),
                other => other.clone(),
            };
            (key.clone(), v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::SeedDocument;
    use crate::dialect::NeutralKind;

    #[test]
    fn repeat_expands_rows_with_padded_indexes() {
        let seed = SeedDocument::parse(
            "companies:\n  - {name: Acme, type: Customer}\n  - {name: 'P {n}', type: Prospect, repeat: 12}\n",
        )
        .unwrap();
        // Kept as written; read (and written out) as the rows it stands for.
        assert_eq!(seed.companies.len(), 2);
        let rows: Vec<_> = seed.rows(NeutralKind::Company).collect();
        assert_eq!(rows.len(), 13);
        assert_eq!(rows[0]["name"], "Acme");
        assert_eq!(rows[1]["name"], "P 01");
        assert_eq!(rows[12]["name"], "P 12");
        assert!(rows.iter().all(|c| !c.contains_key("repeat")));
        let whole = seed.clone().expanded();
        assert_eq!(
            whole.companies,
            rows.iter()
                .map(|r| r.clone().into_owned())
                .collect::<Vec<_>>()
        );
        assert!(whole.contacts.is_empty());
    }

    #[test]
    fn native_rows_for_every_psa_or_for_one() {
        use crate::Personality;
        let seed = SeedDocument::parse(
            "native:\n  products: [{name: Box}]\n  connectwise:\n    companies: [{identifier: A, nickName: N}]\n  bms:\n    contacts: [{firstName: Ann, middleName: Q}]\n",
        )
        .unwrap();
        let tables = |p| {
            seed.native_for(p)
                .unwrap()
                .iter()
                .map(|(t, rows)| format!("{t}:{}", rows.len()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            tables(Personality::Connectwise),
            ["products:1", "companies:1"]
        );
        assert_eq!(tables(Personality::Bms), ["products:1", "contacts:1"]);
        assert_eq!(tables(Personality::Autotask), ["products:1"]);
        let err = SeedDocument::parse("native:\n  bms: [{firstName: Ann}]\n").unwrap_err();
        assert!(err.contains("a PSA key holds tables"), "{err}");
        let err = SeedDocument::parse("native:\n  connectwize: {companies: []}\n").unwrap_err();
        assert!(err.contains("`connectwize` is not a PSA"), "{err}");
    }

    #[test]
    fn deep_seeds_are_refused_before_parsing() {
        let yaml = format!("native:\n  t: {}", "[".repeat(40_000));
        let err = SeedDocument::parse(&yaml).unwrap_err();
        assert!(err.contains("nested more than 32"), "{err}");
        let json = format!("{{\"native\": {{\"t\": {}}}}}", "[".repeat(40_000));
        let err = SeedDocument::parse(&json).unwrap_err();
        assert!(err.contains("nested more than 32"), "{err}");
        let small = crate::limits::Limits {
            max_seed_bytes: 10,
            ..Default::default()
        };
        let err = SeedDocument::parse_within("companies: []\n", &small).unwrap_err();
        assert!(err.contains("max_seed_bytes"), "{err}");
    }

    #[test]
    fn a_bad_repeat_is_an_error_naming_the_row() {
        for bad in ["0", "-1", "two", "1000000"] {
            let text = format!("contacts:\n  - {{first_name: A, repeat: {bad}}}\n");
            let err = SeedDocument::parse(&text).unwrap_err();
            assert!(err.contains("contacts[0]: repeat"), "{bad}: {err}");
        }
    }
}
