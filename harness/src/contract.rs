//! The contract comparison: what "pass" means for a connector that is not the reference.
//!
//! Another implementation cannot reproduce the reference's request sequence, log wording or
//! internal ids, so the golden is held against the outcome in a contract view that keeps only
//! what a user of either side could observe:
//! - the PSA's end state in the neutral vocabulary (references by name, no ids), records in a
//!   canonical order;
//! - each documentation record's canonical fields, source and sync state (no ids, PSA ids,
//!   banner or error wording; settings are the case's input and are left out);
//! - each step's result reduced to its verb (`ok`, `saved`, `created contact`, `rejected`).
//!
//! Requests and the sync log are not compared. The inline `expect` facts are checked in both
//! modes, before any comparison.

use crate::golden::{first_difference, Comparison};
use mock_psa::dialect::api_for;
use mock_psa::state::World;
use mock_psa::{NeutralKind, Personality};
use serde_json::{json, Map, Value};
use std::path::Path;

/// How an outcome is held against its golden.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Compare {
    /// Byte for byte: the reference sync, in-process or through the protocol.
    #[default]
    Exact,
    /// The contract view only (any other connector).
    Contract,
}

/// Documentation members that are the implementation's own, not part of the contract.
const PRIVATE_DOC_MEMBERS: [&str; 4] = ["id", "psa_id", "banner", "error"];
const DOC_KINDS: [&str; 4] = ["organizations", "locations", "contacts", "configurations"];

/// The contract view of an outcome (golden form).
pub fn view(outcome: &Value) -> Value {
    let psa = outcome["psa"]
        .as_str()
        .and_then(|p| p.parse::<Personality>().ok());
    let psa_state = match psa {
        Some(p) => neutral_state(p, &outcome["psa_state"]),
        None => Value::Null,
    };
    let mut docs = Map::new();
    for kind in DOC_KINDS {
        let mut rows: Vec<Value> = outcome["docs"][kind]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let mut r = sorted(r);
                if let Value::Object(m) = &mut r {
                    PRIVATE_DOC_MEMBERS.iter().for_each(|k| {
                        m.shift_remove(*k);
                    });
                }
                r
            })
            .collect();
        canonical_order(&mut rows);
        docs.insert(kind.into(), Value::Array(rows));
    }
    let actions: Vec<Value> = outcome["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|a| json!(action_verb(a)))
        .collect();
    json!({
        "case": outcome["case"],
        "psa": outcome["psa"],
        "actions": actions,
        "psa_state": psa_state,
        "docs": docs,
    })
}

/// `3 create: created contact 7` -> `3 create: created contact`; `rejected: <why>` ->
/// `rejected`: the words before the first one holding a digit.
fn action_verb(line: &str) -> String {
    let Some((step, result)) = line.split_once(": ") else {
        return line.to_string();
    };
    let verb = if result.starts_with("rejected") {
        "rejected".to_string()
    } else {
        result
            .split_whitespace()
            .take_while(|w| !w.chars().any(|c| c.is_ascii_digit()))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!("{step}: {verb}")
}

/// The PSA's entity tables (native, as in the golden) in the neutral vocabulary, read through
/// the mock's own dialect on top of a fresh tenant's lookups, ids dropped.
fn neutral_state(psa: Personality, tables: &Value) -> Value {
    let api = api_for(psa.dialect());
    let mut world = World::default();
    api.seed_defaults(&mut world, psa);
    let Some(tables) = tables.as_object() else {
        return Value::Null;
    };
    for (name, rows) in tables {
        let table = world.store.table_mut(name);
        let ids: Vec<i64> = table
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_i64))
            .collect();
        for id in ids {
            table.remove(id);
        }
        for row in rows.as_array().into_iter().flatten() {
            if let Some(r) = row.as_object() {
                table.insert(r.clone());
            }
        }
    }
    let view = api.neutral_view(&world.store);
    let mut out = Map::new();
    for kind in NeutralKind::ALL {
        let mut rows: Vec<Value> = view
            .get(&kind)
            .into_iter()
            .flatten()
            .map(|r| {
                let mut r = r.clone();
                r.shift_remove("id");
                r.retain(|_, v| !v.is_null());
                sorted(&Value::Object(r))
            })
            .collect();
        canonical_order(&mut rows);
        out.insert(kind.plural().into(), Value::Array(rows));
    }
    Value::Object(out)
}

/// An object with its members in name order (so member order never decides equality).
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut pairs: Vec<(&String, &Value)> = m.iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Records in the order of their text: creation order is the implementation's own.
fn canonical_order(rows: &mut [Value]) {
    rows.sort_by_cached_key(|r| serde_json::to_string(r).unwrap_or_default());
}

/// Holds an outcome against the golden at `path` in the contract view.
pub fn compare(path: &Path, outcome: &Value) -> Comparison {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Comparison::Missing;
    };
    let golden = match serde_norway::from_str::<Value>(&text) {
        Ok(g) => view(&g),
        Err(e) => {
            return Comparison::Differs {
                field: "(golden)".into(),
                golden: format!("unreadable: {e}"),
                actual: String::new(),
                diff: String::new(),
            }
        }
    };
    let actual = view(outcome);
    match first_difference(&golden, &actual) {
        None => Comparison::Match,
        Some((field, g, a)) => {
            let render = |v: &Value| serde_norway::to_string(v).unwrap_or_default();
            let diff = similar::TextDiff::from_lines(&render(&golden), &render(&actual))
                .unified_diff()
                .context_radius(2)
                .header("golden (contract view)", "actual (contract view)")
                .to_string();
            Comparison::Differs {
                field,
                golden: g,
                actual: a,
                diff,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_drop_ids_and_rejection_wording() {
        assert_eq!(
            action_verb("2 create: created contact 17"),
            "2 create: created contact"
        );
        assert_eq!(
            action_verb("1 settings: rejected: two-way sync requires a Select plan"),
            "1 settings: rejected"
        );
        assert_eq!(action_verb("4 edit: saved"), "4 edit: saved");
        assert_eq!(
            action_verb("5 psa_create: created 1003"),
            "5 psa_create: created"
        );
    }

    #[test]
    fn ids_order_requests_and_log_do_not_matter_but_fields_and_states_do() {
        let golden = json!({
            "case": "c", "psa": "connectwise", "actions": ["1 create: created contact 2"],
            "psa_state": {"companies": [
                {"id": 250, "name": "Acme", "identifier": "Acme", "types": [{"id": 1}], "status": {"id": 1}},
                {"id": 251, "name": "Beta", "identifier": "Beta", "types": [{"id": 1}], "status": {"id": 1}}]},
            "docs": {"settings": {"two_way": true}, "organizations": [
                {"id": 1, "name": "Acme", "source": "psa", "sync": "synced", "psa_id": "250"},
                {"id": 2, "name": "Beta", "source": "manual", "sync": "synced", "psa_id": "251"}]},
            "requests": [{"request": "GET /x", "status": 200}],
            "log": ["reference wording"],
        });
        let other = json!({
            "case": "c", "psa": "connectwise", "actions": ["1 create: created contact c-9"],
            "psa_state": {"companies": [
                {"id": 900, "name": "Beta", "identifier": "Beta", "types": [{"id": 1}], "status": {"id": 1}},
                {"id": 901, "name": "Acme", "identifier": "Acme", "types": [{"id": 1}], "status": {"id": 1}}]},
            "docs": {"settings": {}, "organizations": [
                {"sync": "synced", "source": "manual", "name": "Beta", "id": "b", "psa_id": "900"},
                {"id": "a", "name": "Acme", "source": "psa", "sync": "synced", "psa_id": "901"}]},
            "requests": [],
            "log": ["vendor wording"],
        });
        assert_eq!(view(&golden), view(&other));
        let golden_view = view(&golden);
        let psa_names: Vec<&str> = golden_view["psa_state"]["companies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(psa_names, ["Acme", "Beta"]);
        assert_eq!(
            view(&golden)["psa_state"]["companies"][0]["type"],
            "Customer"
        );

        let mut unsynced = other.clone();
        unsynced["docs"]["organizations"][0]["sync"] = json!("not_pushed");
        let (field, _, actual) = first_difference(&view(&golden), &view(&unsynced)).unwrap();
        assert_eq!(
            (field.as_str(), actual.as_str()),
            ("docs.organizations[1].sync", "\"not_pushed\"")
        );

        let mut renamed = other.clone();
        renamed["psa_state"]["companies"][0]["identifier"] = json!("BETA");
        let (field, ..) = first_difference(&view(&golden), &view(&renamed)).unwrap();
        assert_eq!(field, "psa_state.companies[1].short_name");
    }
}
