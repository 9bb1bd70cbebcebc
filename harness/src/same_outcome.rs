//! `same_outcome_as: <case>`: a fault case must end where the named fault-free case ends. Its PSA
//! state and documentation state are compared with that case's golden; requests, the sync log
//! and the step lines are not (retries are supposed to add requests and log lines).

use crate::golden;
use mock_psa::Personality;
use serde_json::Value;
use std::path::Path;

/// The parts of an outcome that must not depend on faults.
const SECTIONS: [&str; 2] = ["psa_state", "docs"];

fn end_state(outcome: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for s in SECTIONS {
        let mut section = outcome.get(s).cloned().unwrap_or(Value::Null);
        untimed(&mut section);
        out.insert(s.to_string(), section);
    }
    Value::Object(out)
}

/// Retries wait on the virtual clock shared with the PSA, so a fault case ends later than its
/// fault-free twin: times are not part of the state it promises (every RFC 3339 value reads
/// `<time>` on both sides).
fn untimed(v: &mut Value) {
    match v {
        Value::String(s) if mock_psa::clock::parse_rfc3339(s).is_some() && s.contains('T') => {
            *s = "<time>".into();
        }
        Value::Array(a) => a.iter_mut().for_each(untimed),
        Value::Object(m) => m.values_mut().for_each(untimed),
        _ => {}
    }
}

/// Why an outcome does not end like `other`'s golden on `psa`: a one-line failure naming the
/// first differing field, and a unified diff of the end states.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub failure: String,
    pub diff: String,
}

/// Compares `outcome`'s end state with the golden of case `other` on `psa` in `golden_dir`.
pub fn check(
    golden_dir: &Path,
    other: &str,
    psa: Personality,
    outcome: &Value,
) -> Result<(), Mismatch> {
    let path = golden::golden_path(golden_dir, other, psa.key());
    let text = std::fs::read_to_string(&path).map_err(|e| Mismatch {
        failure: format!(
            "same_outcome_as `{other}`: cannot read its golden {} ({e}); bless that case first",
            path.display()
        ),
        diff: String::new(),
    })?;
    let theirs: Value = serde_norway::from_str(&text).map_err(|e| Mismatch {
        failure: format!(
            "same_outcome_as `{other}`: its golden {} is not YAML: {e}",
            path.display()
        ),
        diff: String::new(),
    })?;
    let (expected, actual) = (end_state(&theirs), end_state(outcome));
    // Compare through the golden's own rendering, so both sides have the same types.
    let render = |v: &Value| serde_norway::to_string(v).unwrap_or_default();
    let (expected_text, actual_text) = (render(&expected), render(&actual));
    let reparsed: Value = serde_norway::from_str(&actual_text).unwrap_or(Value::Null);
    let Some((field, want, got)) = golden::first_difference(&expected, &reparsed) else {
        return Ok(());
    };
    let diff = similar::TextDiff::from_lines(expected_text.as_str(), actual_text.as_str())
        .unified_diff()
        .context_radius(2)
        .header(&format!("{other} (golden)"), "this case")
        .to_string();
    Err(Mismatch {
        failure: format!(
            "same_outcome_as `{other}`: end state differs at `{field}`: {other} {want}, this case {got}"
        ),
        diff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outcome_with(psa_state: Value, docs: Value) -> Value {
        json!({ "psa_state": psa_state, "docs": docs, "requests": [], "log": [] })
    }

    fn write_golden(dir: &Path, outcome: &Value) {
        let path = golden::golden_path(dir, "plain", "bms");
        std::fs::write(path, golden::render(outcome)).unwrap();
    }

    #[test]
    fn ignores_requests_and_log_but_names_a_state_difference() {
        let dir = std::env::temp_dir().join(format!("same-outcome-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plain = outcome_with(
            json!({"accounts": [{"id": 1001, "accountName": "Acme"}]}),
            json!({"organizations": [{"name": "Acme", "sync": "synced"}]}),
        );
        write_golden(&dir, &plain);

        let mut retried = plain.clone();
        retried["requests"] = json!([{"request": "POST /v2/crm/accounts", "status": 503}]);
        retried["log"] = json!(["POST /v2/crm/accounts: 503, retry 1 of 4 after 1s"]);
        assert_eq!(check(&dir, "plain", Personality::Bms, &retried), Ok(()));

        let mut twice = retried.clone();
        twice["psa_state"]["accounts"] = json!([
            {"id": 1001, "accountName": "Acme"},
            {"id": 1002, "accountName": "Acme"}
        ]);
        let m = check(&dir, "plain", Personality::Bms, &twice).unwrap_err();
        assert!(
            m.failure.contains("`psa_state.accounts[1]`"),
            "{}",
            m.failure
        );
        assert!(m.diff.contains("+  - id: 1002"), "{}", m.diff);

        let missing = check(&dir, "nothing", Personality::Bms, &plain).unwrap_err();
        assert!(missing.failure.contains("bless that case first"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
