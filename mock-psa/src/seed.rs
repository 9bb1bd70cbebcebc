//! Seed documents: the starting state of a PSA in the neutral vocabulary (plus raw native
//! records for anything the neutral one does not cover), as YAML or JSON.

use crate::store::Record;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeedDocument {
    /// Virtual time to set before seeding (`YYYY-MM-DDTHH:MM:SSZ` or Unix seconds).
    pub clock: Option<Value>,
    /// Raw records in the dialect's own shape, per native table, applied first.
    pub native: BTreeMap<String, Vec<Record>>,
    pub companies: Vec<Map<String, Value>>,
    pub locations: Vec<Map<String, Value>>,
    pub contacts: Vec<Map<String, Value>>,
    pub configurations: Vec<Map<String, Value>>,
}

impl SeedDocument {
    /// Parses JSON when the text is JSON, YAML otherwise; YAML errors carry line and column.
    pub fn parse(text: &str) -> Result<SeedDocument, String> {
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') {
            serde_json::from_str(text)
                .map_err(|e| format!("seed JSON, line {} column {}: {e}", e.line(), e.column()))
        } else {
            serde_norway::from_str(text).map_err(|e| match e.location() {
                Some(l) => format!("seed YAML, line {} column {}: {e}", l.line(), l.column()),
                None => format!("seed YAML: {e}"),
            })
        }
    }
}
