//! Inline expectations: small path queries over the outcome view, checked before the golden.
//!
//! Paths: dot-separated members, with `[key=value]` filters on arrays:
//! `psa.contacts[first_name=Ann].email`, `docs.organizations[name=Old].banner`, `log`.
//! `[key~=text]` keeps elements whose `key` contains `text`, `[key!~=text]` those whose `key`
//! does not (ignoring case): `requests[request~=/tickets][request!~=GET /]` are the calls to ticket
//! routes other than reads by GET. A filter keeps matching elements; members after it apply to each; a single
//! survivor is compared as a scalar.

use crate::scenario::Expectation;
use mock_psa::Personality;
use serde_json::Value;

/// How a `[key<op>value]` filter compares.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Equals,
    Contains,
    Lacks,
}

type Filter = (String, Cmp, String);

impl Cmp {
    fn keeps(self, found: &str, want: &str) -> bool {
        let has = || found.to_lowercase().contains(&want.to_lowercase());
        match self {
            Cmp::Equals => found == want,
            Cmp::Contains => has(),
            Cmp::Lacks => !has(),
        }
    }
}

fn segments(path: &str) -> Vec<(String, Vec<Filter>)> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        // The next `.` outside a `[...]` filter (filter values may contain dots).
        let mut depth = 0i32;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '[' => depth += 1,
                    ']' => depth -= 1,
                    _ => {}
                }
                c == '.' && depth == 0
            })
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let (seg, tail) = rest.split_at(end);
        rest = tail.strip_prefix('.').unwrap_or(tail);
        let (name, mut filters_src) = match seg.find('[') {
            Some(i) => (&seg[..i], &seg[i..]),
            None => (seg, ""),
        };
        let mut filters = Vec::new();
        while let Some(open) = filters_src.find('[') {
            let close = filters_src[open..]
                .find(']')
                .map(|c| open + c)
                .unwrap_or(filters_src.len());
            let inner = &filters_src[open + 1..close.min(filters_src.len())];
            if let Some((k, v)) = inner.split_once('=') {
                let (k, cmp) = match (k.strip_suffix("!~"), k.strip_suffix('~')) {
                    (Some(k), _) => (k, Cmp::Lacks),
                    (None, Some(k)) => (k, Cmp::Contains),
                    (None, None) => (k, Cmp::Equals),
                };
                filters.push((k.trim().to_string(), cmp, v.trim().to_string()));
            }
            filters_src = &filters_src[(close + 1).min(filters_src.len())..];
        }
        out.push((name.to_string(), filters));
    }
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Resolves a path; `None` when a member is missing.
pub fn resolve(root: &Value, path: &str) -> Option<Value> {
    let mut cur = root.clone();
    for (name, filters) in segments(path) {
        if !name.is_empty() {
            cur = match cur {
                Value::Array(items) => {
                    let mapped: Vec<Value> =
                        items.iter().filter_map(|i| i.get(&name).cloned()).collect();
                    Value::Array(mapped)
                }
                other => other.get(&name)?.clone(),
            };
        }
        if !filters.is_empty() {
            let items = cur.as_array()?.clone();
            let kept: Vec<Value> = items
                .into_iter()
                .filter(|i| {
                    filters
                        .iter()
                        .all(|(k, cmp, v)| i.get(k).is_some_and(|x| cmp.keeps(&text(x), v)))
                })
                .collect();
            cur = Value::Array(kept);
        }
    }
    Some(cur)
}

fn substitute(v: &Value, psa: Personality) -> Value {
    match v {
        Value::String(s) => Value::String(
            s.replace("{psa_name}", psa.display_name())
                .replace("{psa}", psa.key()),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, psa)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), substitute(x, psa)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn scalar(v: &Value) -> &Value {
    match v {
        Value::Array(a) if a.len() == 1 => &a[0],
        other => other,
    }
}

/// Numbers and strings compare by text, so `psa_id: 250` matches `"250"`.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::String(_)) | (Value::String(_), Value::Number(_)) => {
            text(a) == text(b)
        }
        _ => a == b,
    }
}

/// Checks one expectation; `Err` says what was expected and what was found.
pub fn check(e: &Expectation, view: &Value, psa: Personality) -> Result<(), String> {
    let found = resolve(view, &e.that);
    let shown = |v: &Option<Value>| {
        v.as_ref()
            .map(|v| v.to_string())
            .unwrap_or_else(|| "nothing".into())
    };
    if let Some(want) = &e.equals {
        let want = substitute(want, psa);
        let ok = found
            .as_ref()
            .is_some_and(|f| same(f, &want) || same(scalar(f), &want));
        if !ok {
            return Err(format!(
                "{}: expected {}, found {}",
                e.that,
                want,
                shown(&found)
            ));
        }
    }
    if let Some(n) = e.count {
        let got = match &found {
            Some(Value::Array(a)) => a.len(),
            Some(Value::Null) | None => 0,
            Some(_) => 1,
        };
        if got != n {
            return Err(format!(
                "{}: expected {n} item(s), found {got}: {}",
                e.that,
                shown(&found)
            ));
        }
    }
    if let Some(want) = &e.contains {
        let want = substitute(want, psa);
        let ok = match (&found, &want) {
            (Some(Value::Array(items)), Value::String(w)) => items
                .iter()
                .any(|i| same(i, &want) || text(i).contains(w.as_str())),
            (Some(Value::Array(items)), _) => items.iter().any(|i| same(i, &want)),
            (Some(Value::String(s)), Value::String(w)) => s.contains(w.as_str()),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "{}: expected to contain {}, found {}",
                e.that,
                want,
                shown(&found)
            ));
        }
    }
    if let Some(absent) = e.absent {
        let is_absent = match &found {
            None | Some(Value::Null) => true,
            Some(Value::Array(a)) => a.is_empty() || a.iter().all(Value::is_null),
            _ => false,
        };
        if is_absent != absent {
            let word = if absent { "absent" } else { "present" };
            return Err(format!(
                "{}: expected {word}, found {}",
                e.that,
                shown(&found)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exp(v: Value) -> Expectation {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn paths_filters_and_checks() {
        let view = json!({"psa": {"contacts": [{"first_name": "Ann", "email": "a@x"}, {"first_name": "Bob"}]},
                          "docs": {"organizations": [{"name": "Old", "banner": "Record not yet pushed to Kaseya BMS. x"}]},
                          "log": ["a", "contact Ann: not pushed"]});
        let p = Personality::Bms;
        assert!(check(&exp(json!({"that": "psa.contacts", "count": 2})), &view, p).is_ok());
        assert!(check(
            &exp(json!({"that": "psa.contacts[first_name=Ann].email", "equals": "a@x"})),
            &view,
            p
        )
        .is_ok());
        assert!(check(
            &exp(json!({"that": "psa.contacts[first_name=Bob].email", "absent": true})),
            &view,
            p
        )
        .is_ok());
        assert!(check(&exp(json!({"that": "docs.organizations[name=Old].banner", "contains": "pushed to {psa_name}"})), &view, p).is_ok());
        assert!(check(
            &exp(json!({"that": "log", "contains": "not pushed"})),
            &view,
            p
        )
        .is_ok());
        let dotted = json!({"orgs": [{"name": "Delta Inc.", "source": "psa"}]});
        assert!(check(
            &exp(json!({"that": "orgs[name=Delta Inc.].source", "equals": "psa"})),
            &dotted,
            p
        )
        .is_ok());
        let err = check(&exp(json!({"that": "psa.contacts", "count": 0})), &view, p).unwrap_err();
        assert!(err.contains("expected 0 item(s), found 2"), "{err}");
        assert!(check(
            &exp(json!({"that": "psa.contacts[first_name=Zed]", "count": 1})),
            &view,
            p
        )
        .is_err());
    }

    #[test]
    fn contains_and_lacks_filters_ignore_case() {
        let view = json!({"requests": [
            {"request": "GET /api/Tickets?page=1"},
            {"request": "POST /api/Tickets/query"},
            {"request": "PATCH /api/tickets/5"},
            {"request": "POST /api/companies"},
        ]});
        let p = Personality::Autotask;
        let count = |that: &str| {
            resolve(&view, that)
                .and_then(|v| v.as_array().map(Vec::len))
                .unwrap_or(0)
        };
        assert_eq!(count("requests[request~=/tickets]"), 3);
        assert_eq!(count("requests[request~=/tickets][request!~=GET /]"), 2);
        assert_eq!(
            count("requests[request~=/tickets][request!~=GET /][request!~=/query]"),
            1
        );
        let writes = "requests[request~=/tickets][request!~=GET /][request!~=/query]";
        let err = check(&exp(json!({"that": writes, "count": 0})), &view, p).unwrap_err();
        assert!(err.contains("PATCH /api/tickets/5"), "{err}");
    }
}
