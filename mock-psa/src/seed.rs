//! Seed documents: the starting state of a PSA in the neutral vocabulary (plus raw native
//! records for anything the neutral one does not cover), as YAML or JSON.

use crate::limits::{check_json_depth, check_yaml_depth, Limits};
use crate::personality::Personality;
use crate::store::Record;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
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
        doc.expanded()
    }

    /// Expands rows written once with `repeat: N` into N rows, replacing `{n}` in their text
    /// values with 1..=N, zero-padded to N's width: a thousand companies in one line.
    pub fn expanded(mut self) -> Result<SeedDocument, String> {
        for (group, rows) in [
            ("companies", &mut self.companies),
            ("locations", &mut self.locations),
            ("contacts", &mut self.contacts),
            ("configurations", &mut self.configurations),
            ("tickets", &mut self.tickets),
        ] {
            let mut out = Vec::with_capacity(rows.len());
            for (i, row) in rows.drain(..).enumerate() {
                let Some(repeat) = row.get("repeat") else {
                    out.push(row);
                    continue;
                };
                let n = repeat
                    .as_u64()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or_else(|| {
                        format!("{group}[{i}]: repeat must be a whole number from 1 to 100000")
                    })?;
                let width = n.to_string().len();
                for k in 1..=n {
                    let index = format!("{k:0width$}");
                    let copy: Map<String, Value> = row
                        .iter()
                        .filter(|(key, _)| key.as_str() != "repeat")
                        .map(|(key, v)| {
                            let v = match v {
                                Value::String(t) => Value::String(t.replace("{n}", &index)),
                                other => other.clone(),
                            };
                            (key.clone(), v)
                        })
                        .collect();
                    out.push(copy);
                }
            }
            *rows = out;
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::SeedDocument;

    #[test]
    fn repeat_expands_rows_with_padded_indexes() {
        let seed = SeedDocument::parse(
            "companies:\n  - {name: Acme, type: Customer}\n  - {name: 'P {n}', type: Prospect, repeat: 12}\n",
        )
        .unwrap();
        assert_eq!(seed.companies.len(), 13);
        assert_eq!(seed.companies[1]["name"], "P 01");
        assert_eq!(seed.companies[12]["name"], "P 12");
        assert!(seed.companies.iter().all(|c| !c.contains_key("repeat")));
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
