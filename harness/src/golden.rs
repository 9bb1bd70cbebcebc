//! The one place that decides how an outcome is normalised, written, compared and blessed.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// Replaces what differs between runs of the same case (the mock's port) with stable text.
pub fn normalise(v: &mut Value, origin: &str) {
    match v {
        Value::String(s) if s.contains(origin) => *s = s.replace(origin, "http://mock"),
        Value::Array(a) => a.iter_mut().for_each(|x| normalise(x, origin)),
        Value::Object(o) => o.values_mut().for_each(|x| normalise(x, origin)),
        _ => {}
    }
}

/// The golden text of an outcome: YAML with a one-line header.
pub fn render(outcome: &Value) -> String {
    let body =
        serde_norway::to_string(outcome).unwrap_or_else(|e| format!("# cannot render: {e}\n"));
    format!("# Golden outcome. Regenerate with `psa-harness run --bless` and read the diff before committing.\n{body}")
}

pub fn golden_path(dir: &Path, case: &str, psa: &str) -> PathBuf {
    dir.join(format!("{case}.{psa}.yaml"))
}

/// The path of the first field where two values differ, with both sides.
pub fn first_difference(expected: &Value, actual: &Value) -> Option<(String, String, String)> {
    fn walk(path: &str, e: &Value, a: &Value) -> Option<(String, String, String)> {
        let show = |v: &Value| serde_json::to_string(v).unwrap_or_default();
        match (e, a) {
            (Value::Object(eo), Value::Object(ao)) => {
                let mut keys: Vec<&String> = eo.keys().collect();
                for k in ao.keys() {
                    if !eo.contains_key(k) {
                        keys.push(k);
                    }
                }
                for k in keys {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    match (eo.get(k), ao.get(k)) {
                        (Some(x), Some(y)) => {
                            if let Some(d) = walk(&p, x, y) {
                                return Some(d);
                            }
                        }
                        (Some(x), None) => return Some((p, show(x), "(missing)".into())),
                        (None, Some(y)) => return Some((p, "(missing)".into(), show(y))),
                        (None, None) => {}
                    }
                }
                None
            }
            (Value::Array(ea), Value::Array(aa)) => {
                for (i, (x, y)) in ea.iter().zip(aa.iter()).enumerate() {
                    if let Some(d) = walk(&format!("{path}[{i}]"), x, y) {
                        return Some(d);
                    }
                }
                if ea.len() != aa.len() {
                    let i = ea.len().min(aa.len());
                    let side = |arr: &Vec<Value>| {
                        arr.get(i).map(show).unwrap_or_else(|| "(missing)".into())
                    };
                    return Some((format!("{path}[{i}]"), side(ea), side(aa)));
                }
                None
            }
            _ if e == a => None,
            _ => Some((path.to_string(), show(e), show(a))),
        }
    }
    walk("", expected, actual)
}

/// Result of comparing an outcome with its golden file.
pub enum Comparison {
    Match,
    Missing,
    Differs {
        field: String,
        golden: String,
        actual: String,
        diff: String,
    },
}

pub fn compare(path: &Path, actual_text: &str) -> Comparison {
    let Ok(golden_text) = std::fs::read_to_string(path) else {
        return Comparison::Missing;
    };
    if golden_text == actual_text {
        return Comparison::Match;
    }
    let parse = |t: &str| serde_norway::from_str::<Value>(t).unwrap_or(Value::Null);
    let (g, a) = (parse(&golden_text), parse(actual_text));
    let (field, golden, actual) = first_difference(&g, &a)
        .unwrap_or_else(|| ("(formatting)".into(), String::new(), String::new()));
    let diff = similar::TextDiff::from_lines(golden_text.as_str(), actual_text)
        .unified_diff()
        .context_radius(2)
        .header("golden", "actual")
        .to_string();
    Comparison::Differs {
        field,
        golden,
        actual,
        diff,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_the_first_differing_field() {
        let g = json!({"docs": {"contacts": [{"name": "Ann", "sync": "synced"}]}, "log": ["a"]});
        let a =
            json!({"docs": {"contacts": [{"name": "Ann", "sync": "not_pushed"}]}, "log": ["a"]});
        let (field, old, new) = first_difference(&g, &a).unwrap();
        assert_eq!(field, "docs.contacts[0].sync");
        assert_eq!(
            (old.as_str(), new.as_str()),
            ("\"synced\"", "\"not_pushed\"")
        );
        assert!(first_difference(&g, &g).is_none());
        let (field, _, new) =
            first_difference(&json!({"log": ["a"]}), &json!({"log": ["a", "b"]})).unwrap();
        assert_eq!((field.as_str(), new.as_str()), ("log[1]", "\"b\""));
    }

    #[test]
    fn normalises_the_port() {
        let mut v = json!({"x": ["http://127.0.0.1:5555/a"]});
        normalise(&mut v, "http://127.0.0.1:5555");
        assert_eq!(v, json!({"x": ["http://mock/a"]}));
    }
}
