//! Inline expectations: small path queries over the outcome view, checked before the golden.
//!
//! A path is dot-separated members with filters on lists: `psa.contacts[first_name=Ann].email`,
//! `docs.organizations[name=Old].banner`, `requests[step>=3]`, `log`. A member applied to a list
//! applies to each element; a single survivor is compared as a scalar. Filters: `[k=v]` equal,
//! `[k!=v]` not equal, `[k~=text]` / `[k!~=text]` contains / lacks text (ignoring case),
//! `[k>v]`, `[k>=v]`, `[k<v]`, `[k<=v]` (as numbers when both are numbers, else as text, which
//! orders RFC 3339 times). Paths are checked against the outcome's shape when the file is loaded
//! ([`check_path`]); resolving never copies the outcome, only the selection it returns.

use crate::scenario::Expectation;
use crate::shape::{nearest, Shape};
use mock_psa::Personality;
use serde_json::Value;

/// How a `[key<op>value]` filter compares.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Equals,
    Differs,
    Contains,
    Lacks,
    Above,
    AtLeast,
    Below,
    AtMost,
}

/// Operators, longest first so `!~=` is not read as `=`.
const OPERATORS: [(&str, Cmp); 8] = [
    ("!~=", Cmp::Lacks),
    ("~=", Cmp::Contains),
    ("!=", Cmp::Differs),
    (">=", Cmp::AtLeast),
    ("<=", Cmp::AtMost),
    ("=", Cmp::Equals),
    (">", Cmp::Above),
    ("<", Cmp::Below),
];

#[derive(Debug, Clone)]
struct Filter {
    key: String,
    cmp: Cmp,
    value: String,
}

#[derive(Debug, Clone)]
struct Segment {
    name: String,
    filters: Vec<Filter>,
    /// The filters as written, for messages.
    written: String,
}

impl Cmp {
    fn keeps(self, found: &str, want: &str) -> bool {
        let has = || found.to_lowercase().contains(&want.to_lowercase());
        let order = || match (found.parse::<f64>(), want.parse::<f64>()) {
            (Ok(a), Ok(b)) => a.partial_cmp(&b),
            _ => Some(found.cmp(want)),
        };
        use std::cmp::Ordering::*;
        match self {
            Cmp::Equals => found == want,
            Cmp::Differs => found != want,
            Cmp::Contains => has(),
            Cmp::Lacks => !has(),
            Cmp::Above => order() == Some(Greater),
            Cmp::AtLeast => matches!(order(), Some(Greater | Equal)),
            Cmp::Below => order() == Some(Less),
            Cmp::AtMost => matches!(order(), Some(Less | Equal)),
        }
    }
}

fn parse(path: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    let mut rest = path;
    if path.trim().is_empty() {
        return Err("empty path".into());
    }
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
        let (name, filters_src) = match seg.find('[') {
            Some(i) => (&seg[..i], &seg[i..]),
            None => (seg, ""),
        };
        if name.is_empty() && filters_src.is_empty() {
            return Err(format!("`{path}` has an empty member (two dots in a row?)"));
        }
        let mut filters = Vec::new();
        let mut src = filters_src;
        while !src.is_empty() {
            let inner = src
                .strip_prefix('[')
                .and_then(|s| s.find(']').map(|c| &s[..c]))
                .ok_or_else(|| format!("`{seg}`: a filter is written `[key=value]`"))?;
            src = &src[inner.len() + 2..];
            let (at, op, cmp) = (0..inner.len())
                .find_map(|i| {
                    OPERATORS
                        .iter()
                        .find(|(op, _)| inner[i..].starts_with(op))
                        .map(|(op, cmp)| (i, *op, *cmp))
                })
                .ok_or_else(|| {
                    format!("filter `[{inner}]` has no operator: expected =, !=, ~=, !~=, >, >=, < or <=")
                })?;
            let key = inner[..at].trim();
            if key.is_empty() {
                return Err(format!("filter `[{inner}]` names no member"));
            }
            filters.push(Filter {
                key: key.to_string(),
                cmp,
                value: inner[at + op.len()..].trim().to_string(),
            });
        }
        out.push(Segment {
            name: name.to_string(),
            filters,
            written: filters_src.to_string(),
        });
    }
    Ok(out)
}

/// Checks a path against the outcome's shape: every member and filter key must be one the
/// outcome can hold there. The error names the nearest valid name.
pub fn check_path(path: &str, shape: &Shape) -> Result<(), String> {
    let mut cur = shape;
    let mut seen = String::new();
    let unknown =
        |what: &str, name: &str, at: &str, fields: &std::collections::BTreeMap<String, Shape>| {
            let hint = nearest(name, fields.keys().map(String::as_str))
                .map(|n| format!("; did you mean `{n}`?"))
                .unwrap_or_else(|| {
                    let all: Vec<&str> = fields.keys().map(String::as_str).collect();
                    format!("; expected one of {}", all.join(", "))
                });
            let at = if at.is_empty() {
                "the outcome".to_string()
            } else {
                format!("`{at}`")
            };
            Err(format!("unknown {what} `{name}` in {at}{hint}"))
        };
    for seg in parse(path)? {
        if !seg.name.is_empty() {
            // A member of a list applies to each element.
            let element = match cur {
                Shape::List(inner) => inner.as_ref(),
                other => other,
            };
            cur = match element {
                Shape::Open => return Ok(()),
                Shape::Leaf => {
                    return Err(format!(
                        "`{seen}` is a value: it has no member `{}`",
                        seg.name
                    ))
                }
                Shape::List(inner) => inner,
                Shape::Record(fields) => match fields.get(&seg.name) {
                    Some(s) => s,
                    None => {
                        let what = if seen.is_empty()
                            || seen == "docs"
                            || seen == "psa"
                            || seen == "psa_state"
                        {
                            "table"
                        } else {
                            "field"
                        };
                        return unknown(what, &seg.name, &seen, fields);
                    }
                },
            };
            if !seen.is_empty() {
                seen.push('.');
            }
            seen.push_str(&seg.name);
        }
        for f in &seg.filters {
            match cur {
                Shape::List(inner) => match inner.as_ref() {
                    Shape::Record(fields) if !fields.contains_key(&f.key) => {
                        return unknown("field", &f.key, &seen, fields);
                    }
                    Shape::Leaf => {
                        return Err(format!(
                        "`{seen}` is a list of values: filter `[{}...]` has no member to compare",
                        f.key
                    ))
                    }
                    _ => {}
                },
                Shape::Open => {}
                _ => return Err(format!("`{seen}` is not a list: it cannot be filtered")),
            }
        }
        seen.push_str(&seg.written);
    }
    Ok(())
}

/// A resolved selection: borrowed from the view, never copied until it is shown or compared.
#[derive(Debug)]
enum Sel<'a> {
    One(&'a Value),
    Many(Vec<&'a Value>),
}

impl<'a> Sel<'a> {
    fn list(&self) -> Option<Vec<&'a Value>> {
        match self {
            Sel::One(Value::Array(a)) => Some(a.iter().collect()),
            Sel::One(_) => None,
            Sel::Many(v) => Some(v.clone()),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Sel::One(v) => (*v).clone(),
            Sel::Many(v) => Value::Array(v.iter().map(|x| (*x).clone()).collect()),
        }
    }
}

/// What a path found: the selection (`None` when a member is missing), and the filters of the
/// first segment that left nothing.
struct Found<'a> {
    sel: Option<Sel<'a>>,
    emptied_by: Option<String>,
}

fn walk<'a>(root: &'a Value, path: &str) -> Found<'a> {
    let mut cur = Sel::One(root);
    let mut emptied_by = None;
    let Ok(segments) = parse(path) else {
        return Found {
            sel: None,
            emptied_by,
        };
    };
    for seg in segments {
        if !seg.name.is_empty() {
            cur = match cur.list() {
                Some(items) => {
                    Sel::Many(items.into_iter().filter_map(|i| i.get(&seg.name)).collect())
                }
                None => match &cur {
                    Sel::One(v) => match v.get(&seg.name) {
                        Some(x) => Sel::One(x),
                        None => {
                            return Found {
                                sel: None,
                                emptied_by,
                            }
                        }
                    },
                    Sel::Many(_) => unreachable!("a Many selection is always a list"),
                },
            };
        }
        if !seg.filters.is_empty() {
            let Some(items) = cur.list() else {
                return Found {
                    sel: None,
                    emptied_by,
                };
            };
            let kept: Vec<&Value> = items
                .into_iter()
                .filter(|i| {
                    seg.filters.iter().all(|f| {
                        i.get(&f.key)
                            .is_some_and(|x| f.cmp.keeps(&text(x), &f.value))
                    })
                })
                .collect();
            if kept.is_empty() && emptied_by.is_none() {
                emptied_by = Some(seg.written.clone());
            }
            cur = Sel::Many(kept);
        }
    }
    Found {
        sel: Some(cur),
        emptied_by,
    }
}

/// Resolves a path; `None` when a member is missing.
pub fn resolve(root: &Value, path: &str) -> Option<Value> {
    walk(root, path).sel.map(|s| s.to_value())
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
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

/// What was found, short enough for a failure line.
fn shown(v: &Option<Value>) -> String {
    let Some(v) = v else {
        return "nothing".into();
    };
    let s = v.to_string();
    if s.chars().count() > 600 {
        let cut: String = s.chars().take(600).collect();
        format!("{cut}... ({} characters)", s.len())
    } else {
        s
    }
}

/// Checks one expectation against the shared view; `Err` says what was expected and found.
pub fn check(e: &Expectation, view: &Value, psa: Personality) -> Result<(), String> {
    let walked = walk(view, &e.that);
    let that = &e.that;
    let nothing_matches = |found: &Option<Value>| match &walked.emptied_by {
        Some(f) => format!("{that}: no record matches {f}"),
        None => format!("{that}: found {}", shown(found)),
    };
    let count = match &walked.sel {
        None => 0,
        Some(s) => match s.list() {
            Some(items) => items.len(),
            None => usize::from(!matches!(s, Sel::One(Value::Null))),
        },
    };
    // Copy only the selection, and only for the checks that compare values.
    let needs_value = e.equals.is_some() || e.contains.is_some() || e.matches.is_some();
    let found = if needs_value {
        walked.sel.as_ref().map(Sel::to_value)
    } else {
        None
    };
    let show = || shown(&walked.sel.as_ref().map(Sel::to_value));
    if let Some(want) = &e.equals {
        let want = substitute(want, psa);
        let ok = found
            .as_ref()
            .is_some_and(|f| same(f, &want) || same(scalar(f), &want));
        if !ok {
            if count == 0 && walked.emptied_by.is_some() {
                return Err(nothing_matches(&found));
            }
            return Err(format!("{that}: expected {want}, found {}", shown(&found)));
        }
    }
    if let Some(n) = e.count {
        if count != n {
            return Err(format!(
                "{that}: expected {n} item(s), found {count}: {}",
                show()
            ));
        }
    }
    if let Some(n) = e.at_least {
        if count < n {
            if count == 0 && walked.emptied_by.is_some() {
                return Err(format!(
                    "{} (expected at least {n})",
                    nothing_matches(&None)
                ));
            }
            return Err(format!(
                "{that}: expected at least {n} item(s), found {count}: {}",
                show()
            ));
        }
    }
    if let Some(n) = e.at_most {
        if count > n {
            return Err(format!(
                "{that}: expected at most {n} item(s), found {count}: {}",
                show()
            ));
        }
    }
    if e.none == Some(true) && count != 0 {
        return Err(format!("{that}: expected none, found {count}: {}", show()));
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
            if count == 0 && walked.emptied_by.is_some() {
                return Err(nothing_matches(&found));
            }
            return Err(format!(
                "{that}: expected to contain {want}, found {}",
                shown(&found)
            ));
        }
    }
    if let Some(pattern) = &e.matches {
        let pattern = match substitute(&Value::String(pattern.clone()), psa) {
            Value::String(p) => p,
            _ => pattern.clone(),
        };
        let re = regex::Regex::new(&pattern)
            .map_err(|err| format!("{that}: pattern `{pattern}`: {err}"))?;
        let ok = match &found {
            Some(Value::Array(items)) => items.iter().any(|i| re.is_match(&text(i))),
            Some(Value::Null) | None => false,
            Some(v) => re.is_match(&text(v)),
        };
        if !ok {
            if count == 0 && walked.emptied_by.is_some() {
                return Err(nothing_matches(&found));
            }
            return Err(format!(
                "{that}: expected to match /{pattern}/, found {}",
                shown(&found)
            ));
        }
    }
    if let Some(absent) = e.absent {
        // A field is absent from records that exist: a filter that matched none proves nothing.
        if walked.emptied_by.is_some() {
            return Err(nothing_matches(&None));
        }
        let is_absent = match &walked.sel {
            None | Some(Sel::One(Value::Null)) => true,
            Some(s) => s
                .list()
                .is_some_and(|items| items.iter().all(|v| v.is_null())),
        };
        if is_absent != absent {
            let word = if absent { "absent" } else { "present" };
            return Err(format!("{that}: expected {word}, found {}", show()));
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

    fn run(v: Value, view: &Value) -> Result<(), String> {
        check(&exp(v), view, Personality::Bms)
    }

    fn view() -> Value {
        json!({
            "psa": {"contacts": [{"first_name": "Ann", "email": "a@x"}, {"first_name": "Bob"}]},
            "docs": {"organizations": [{"name": "Old", "banner": "Record not yet pushed to Kaseya BMS. x"}]},
            "log": ["a", "contact Ann: not pushed", "retry 2 of 4 after 30 s"],
            "requests": [
                {"request": "GET /api/Tickets?page=1", "status": 200, "step": 1, "at": "2024-01-01T00:00:00Z"},
                {"request": "POST /api/Tickets/query", "status": 429, "step": 1, "at": "2024-01-01T00:00:00Z"},
                {"request": "POST /api/Tickets/query", "status": 200, "step": 1, "at": "2024-01-01T00:00:30Z"},
                {"request": "PATCH /api/tickets/5", "status": 200, "step": 3, "at": "2024-01-01T01:00:30Z"},
            ],
        })
    }

    #[test]
    fn paths_filters_and_checks() {
        let view = view();
        assert!(run(json!({"that": "psa.contacts", "count": 2}), &view).is_ok());
        assert!(run(
            json!({"that": "psa.contacts[first_name=Ann].email", "equals": "a@x"}),
            &view
        )
        .is_ok());
        assert!(run(
            json!({"that": "psa.contacts[first_name=Bob].email", "absent": true}),
            &view
        )
        .is_ok());
        assert!(run(
            json!({"that": "psa.contacts[first_name=Ann].email", "absent": true}),
            &view
        )
        .is_err());
        assert!(run(json!({"that": "docs.organizations[name=Old].banner", "contains": "pushed to {psa_name}"}), &view).is_ok());
        assert!(run(json!({"that": "log", "contains": "not pushed"}), &view).is_ok());
        let dotted = json!({"orgs": [{"name": "Delta Inc.", "source": "psa"}]});
        assert!(run(
            json!({"that": "orgs[name=Delta Inc.].source", "equals": "psa"}),
            &dotted
        )
        .is_ok());
        let err = run(json!({"that": "psa.contacts", "count": 0}), &view).unwrap_err();
        assert!(err.contains("expected 0 item(s), found 2"), "{err}");
        assert!(run(
            json!({"that": "psa.contacts[first_name=Zed]", "count": 1}),
            &view
        )
        .is_err());
    }

    #[test]
    fn a_filter_matching_nothing_says_so() {
        let view = view();
        for check in [
            json!({"equals": "a@x"}),
            json!({"absent": true}),
            json!({"contains": "a"}),
            json!({"at_least": 1}),
            json!({"matches": "a"}),
        ] {
            let mut e = json!({"that": "psa.contacts[first_name=Zoey].email"});
            e.as_object_mut()
                .unwrap()
                .extend(check.as_object().unwrap().clone());
            let err = run(e.clone(), &view).unwrap_err();
            assert!(
                err.contains("no record matches [first_name=Zoey]"),
                "{e}: {err}"
            );
        }
        // An empty selection is exactly what `none` and `count: 0` ask for.
        assert!(run(
            json!({"that": "psa.contacts[first_name=Zoey]", "none": true}),
            &view
        )
        .is_ok());
        assert!(run(
            json!({"that": "psa.contacts[first_name=Zoey]", "count": 0}),
            &view
        )
        .is_ok());
    }

    #[test]
    fn at_least_at_most_and_a_range() {
        let view = view();
        let posts = "requests[request~=POST /]";
        assert!(run(json!({"that": posts, "at_least": 2}), &view).is_ok());
        let err = run(json!({"that": posts, "at_least": 3}), &view).unwrap_err();
        assert!(
            err.contains("expected at least 3 item(s), found 2"),
            "{err}"
        );
        assert!(run(json!({"that": posts, "at_most": 2}), &view).is_ok());
        let err = run(json!({"that": posts, "at_most": 1}), &view).unwrap_err();
        assert!(err.contains("expected at most 1 item(s), found 2"), "{err}");
        assert!(run(json!({"that": posts, "at_least": 1, "at_most": 2}), &view).is_ok());
        assert!(run(json!({"that": posts, "at_least": 3, "at_most": 5}), &view).is_err());
        assert!(run(
            json!({"that": "requests", "at_least": 1, "at_most": 3}),
            &view
        )
        .is_err());
    }

    #[test]
    fn a_pattern_must_match() {
        let view = view();
        assert!(run(
            json!({"that": "log", "matches": "retry \\d of 4 after [0-9]+ s"}),
            &view
        )
        .is_ok());
        let err = run(json!({"that": "log", "matches": "^retry 5"}), &view).unwrap_err();
        assert!(err.contains("expected to match /^retry 5/"), "{err}");
        assert!(run(json!({"that": "docs.organizations[name=Old].banner", "matches": "^Record not yet pushed to {psa_name}\\."}), &view).is_ok());
        assert!(run(
            json!({"that": "docs.organizations[name=Old].banner", "matches": "^pushed"}),
            &view
        )
        .is_err());
    }

    #[test]
    fn none_and_the_requests_of_a_step() {
        let view = view();
        assert!(run(json!({"that": "requests[step>3]", "none": true}), &view).is_ok());
        let err = run(json!({"that": "requests[step>=3]", "none": true}), &view).unwrap_err();
        assert!(
            err.contains("expected none, found 1") && err.contains("PATCH /api/tickets/5"),
            "{err}"
        );
        assert!(run(json!({"that": "requests[step=1]", "count": 3}), &view).is_ok());
        assert!(run(json!({"that": "requests[step<3]", "count": 3}), &view).is_ok());
        assert!(run(json!({"that": "requests[step!=1]", "count": 1}), &view).is_ok());
        // Retried at least 30 s later: the retry's time, by RFC 3339 order.
        let retry = "requests[request~=/query][status=200][at>=2024-01-01T00:00:30Z]";
        assert!(run(json!({"that": retry, "count": 1}), &view).is_ok());
        assert!(run(json!({"that": "requests[request~=/query][at<2024-01-01T00:00:30Z].status", "equals": 429}), &view).is_ok());
    }

    #[test]
    fn contains_and_lacks_filters_ignore_case() {
        let view = view();
        let count = |that: &str| {
            resolve(&view, that)
                .and_then(|v| v.as_array().map(Vec::len))
                .unwrap_or(0)
        };
        assert_eq!(count("requests[request~=/tickets]"), 4);
        assert_eq!(count("requests[request~=/tickets][request!~=GET /]"), 3);
        assert_eq!(
            count("requests[request~=/tickets][request!~=GET /][request!~=/query]"),
            1
        );
        let writes = "requests[request~=/tickets][request!~=GET /][request!~=/query]";
        let err = run(json!({"that": writes, "count": 0}), &view).unwrap_err();
        assert!(err.contains("PATCH /api/tickets/5"), "{err}");
    }

    #[test]
    fn paths_are_checked_against_the_shape() {
        use std::collections::BTreeMap;
        let rec = |f: &[&str]| {
            Shape::List(Box::new(Shape::Record(
                f.iter().map(|k| (k.to_string(), Shape::Leaf)).collect(),
            )))
        };
        let mut docs = BTreeMap::new();
        docs.insert("contacts".to_string(), rec(&["first_name", "banner"]));
        docs.insert("integration".to_string(), Shape::Open);
        let mut top = BTreeMap::new();
        top.insert("docs".to_string(), Shape::Record(docs));
        top.insert("log".to_string(), Shape::List(Box::new(Shape::Leaf)));
        top.insert(
            "psa_state".to_string(),
            Shape::Record([("companies".to_string(), Shape::List(Box::new(Shape::Open)))].into()),
        );
        let shape = Shape::Record(top);
        assert!(check_path("docs.contacts[first_name=Zoe].banner", &shape).is_ok());
        assert!(check_path("psa_state.companies[nickName=X].anything", &shape).is_ok());
        // A member whose shape is open (free-form) may be filtered: its values decide at run time.
        assert!(check_path("docs.integration[status=OK]", &shape).is_ok());
        let err = check_path("docs.contacts[first_name=Zoe].baner", &shape).unwrap_err();
        assert!(
            err.contains(
                "unknown field `baner` in `docs.contacts[first_name=Zoe]`; did you mean `banner`?"
            ),
            "{err}"
        );
        let err = check_path("docs.contact", &shape).unwrap_err();
        assert!(
            err.contains("unknown table `contact` in `docs`; did you mean `contacts`?"),
            "{err}"
        );
        let err = check_path("docs.contacts[firstname=Zoe]", &shape).unwrap_err();
        assert!(
            err.contains("unknown field `firstname`") && err.contains("`first_name`"),
            "{err}"
        );
        let err = check_path("logs", &shape).unwrap_err();
        assert!(
            err.contains("unknown table `logs` in the outcome; did you mean `log`?"),
            "{err}"
        );
        let err = check_path("log.text", &shape).unwrap_err();
        assert!(err.contains("`log` is a value"), "{err}");
        let err = check_path("docs.contacts[first_name]", &shape).unwrap_err();
        assert!(err.contains("has no operator"), "{err}");
        assert!(check_path("docs.contacts[first_name=Ann", &shape).is_err());
        let err = check_path("log[text~=pushed]", &shape).unwrap_err();
        assert!(
            err.contains("`log` is a list of values: filter `[text...]` has no member"),
            "{err}"
        );
        let err = check_path("docs[name=x]", &shape).unwrap_err();
        assert!(err.contains("`docs` is not a list"), "{err}");
    }
}
