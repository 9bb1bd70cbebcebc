//! Fault rules: for requests matching a method, a path pattern and optionally parts of the
//! query string and members of the request body, answer with a status and body, add latency,
//! set Retry-After, or drop the connection; for the next N matches.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Assigned by the server; ignored on input.
    #[serde(default)]
    pub id: u64,
    /// HTTP method to match; absent or `*` matches any.
    #[serde(default)]
    pub method: Option<String>,
    /// Path pattern, matched case-insensitively against the request path; `*` matches any run
    /// of characters (slashes included). The query string is matched by `query` and `params`.
    pub path: String,
    /// Pattern for the whole query string (percent-decoded, without the `?`), case-insensitive:
    /// `*page=2*`. Absent: any query, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Query parameters that must be present, each with a value matching its pattern
    /// (names and values case-insensitive, values percent-decoded): `{page: "2"}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// Members of the JSON request body that must be present, each with a value whose text
    /// matches its pattern (case-insensitive); `a.b` reaches member `b` of object `a`:
    /// `{name: "Acme*"}`. A body that is not JSON matches no such rule.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub request_body: BTreeMap<String, String>,
    /// Status to answer with. Absent: the request goes on to the PSA (after any latency).
    #[serde(default)]
    pub status: Option<u16>,
    /// Body to answer with. Absent with a status: the dialect's own error body.
    #[serde(default)]
    pub body: Option<Value>,
    /// Real delay added before answering, in milliseconds.
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// Value of the Retry-After header, in seconds.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// Close the connection without any response.
    #[serde(default)]
    pub drop: bool,
    /// Let the request reach the PSA and keep its effect, then answer with `status` or `drop`
    /// instead of the PSA's reply: a write whose outcome the client cannot know.
    #[serde(default)]
    pub landed: bool,
    /// Apply to this many matching requests, then retire. Absent: no limit.
    #[serde(default)]
    pub times: Option<u64>,
    /// Let this many matching requests through before the rule starts applying.
    #[serde(default)]
    pub after: u64,
    /// Apply to every n-th eligible match only (1 = every one): a deterministic share.
    #[serde(default)]
    pub every: Option<u64>,
    /// How many requests the rule has matched so far.
    #[serde(default)]
    pub matched: u64,
    /// How many times the rule has been applied so far.
    #[serde(default)]
    pub applied: u64,
}

/// The parts of a request a rule can match.
#[derive(Debug, Clone, Copy)]
pub struct FaultRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The raw query string, without the `?`.
    pub query: &'a str,
    pub body: &'a [u8],
}

/// What the server must do for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultAction {
    pub rule: u64,
    pub status: Option<u16>,
    pub body: Option<Value>,
    pub latency_ms: u64,
    pub retry_after: Option<u64>,
    pub drop: bool,
    pub landed: bool,
}

#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
    next_id: u64,
}

impl FaultRule {
    pub fn validate(&self) -> Result<(), String> {
        if self.path.is_empty() {
            return Err("fault rule needs a non-empty `path` pattern".into());
        }
        if let Some(s) = self.status {
            if !(100..=599).contains(&s) {
                return Err(format!("fault rule status {s} is not an HTTP status"));
            }
        }
        if self.every == Some(0) {
            return Err("fault rule `every` must be at least 1".into());
        }
        if self.landed && self.status.is_none() && !self.drop {
            return Err(
                "fault rule with `landed` needs a `status` or `drop` to replace the reply".into(),
            );
        }
        if self.status.is_none()
            && !self.drop
            && self.latency_ms.is_none()
            && self.retry_after.is_none()
        {
            return Err(
                "fault rule does nothing: give a status, latency_ms, retry_after or drop".into(),
            );
        }
        Ok(())
    }

    fn matches(&self, req: &FaultRequest) -> bool {
        let method_ok = match self.method.as_deref() {
            None | Some("*") | Some("") => true,
            Some(m) => m.eq_ignore_ascii_case(req.method),
        };
        let glob =
            |pattern: &str, text: &str| glob_match(&pattern.to_lowercase(), &text.to_lowercase());
        method_ok
            && glob(&self.path, req.path)
            && self
                .query
                .as_deref()
                .is_none_or(|q| glob(q, &percent_decode(req.query)))
            && self.params.iter().all(|(name, want)| {
                query_pairs(req.query).any(|(k, v)| k.eq_ignore_ascii_case(name) && glob(want, &v))
            })
            && (self.request_body.is_empty() || {
                let body: Option<Value> = serde_json::from_slice(req.body).ok();
                self.request_body.iter().all(|(member, want)| {
                    let found = member
                        .split('.')
                        .try_fold(body.as_ref(), |v, k| Some(v?.get(k)))
                        .flatten();
                    found.is_some_and(|v| match v {
                        Value::String(s) => glob(want, s),
                        other => glob(want, &other.to_string()),
                    })
                })
            })
    }

    fn exhausted(&self) -> bool {
        self.times.is_some_and(|t| self.applied >= t)
    }
}

impl Faults {
    pub fn add(&mut self, mut rule: FaultRule) -> Result<u64, String> {
        rule.validate()?;
        self.next_id += 1;
        rule.id = self.next_id;
        rule.matched = 0;
        rule.applied = 0;
        self.rules.push(rule);
        Ok(self.next_id)
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        before != self.rules.len()
    }

    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// Consults the rules in the order they were added; the first live rule that matches and
    /// is due decides. Exhausted rules stay listed (with their counters) but no longer apply.
    pub fn check(&mut self, req: &FaultRequest) -> Option<FaultAction> {
        for rule in self.rules.iter_mut() {
            if rule.exhausted() || !rule.matches(req) {
                continue;
            }
            rule.matched += 1;
            if rule.matched <= rule.after {
                continue;
            }
            let nth = rule.matched - rule.after;
            if let Some(every) = rule.every {
                if nth % every != 0 {
                    continue;
                }
            }
            rule.applied += 1;
            return Some(FaultAction {
                rule: rule.id,
                status: rule.status,
                body: rule.body.clone(),
                latency_ms: rule.latency_ms.unwrap_or(0),
                retry_after: rule.retry_after,
                drop: rule.drop,
                landed: rule.landed,
            });
        }
        None
    }
}

/// Percent-decodes query text (`+` is a space, as forms send it).
fn percent_decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// The decoded `name=value` pairs of a query string.
fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(k), percent_decode(v))
    })
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != b'*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            pi += 1;
            mark = ti;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> FaultRequest<'_> {
        FaultRequest {
            method: "GET",
            path,
            query: "",
            body: b"",
        }
    }

    #[test]
    fn aimed_at_the_query_string_and_body_members() {
        let add = |v: serde_json::Value| {
            let mut f = Faults::default();
            f.add(serde_json::from_value::<FaultRule>(v).unwrap())
                .unwrap();
            f
        };
        let req = |query, body: &'static [u8]| FaultRequest {
            method: "POST",
            path: "/api/companies",
            query,
            body,
        };
        // The whole query string, decoded.
        let mut f = add(
            serde_json::json!({"path": "*/companies", "query": "*conditions=name like \"a*\"*", "status": 500}),
        );
        assert!(f
            .check(&req("conditions=name%20like%20%22Acme%22&page=2", b""))
            .is_some());
        assert!(f.check(&req("conditions=id%3D5", b"")).is_none());
        // One parameter, by name, whatever else the query holds.
        let mut f = add(serde_json::json!({"path": "*", "params": {"PAGE": "2"}, "status": 503}));
        assert!(f.check(&req("pageSize=25&page=2", b"")).is_some());
        assert!(f.check(&req("page=1", b"")).is_none());
        assert!(f.check(&req("", b"")).is_none());
        assert!(f.check(&req("page=22", b"")).is_none());
        // A member of the body, nested, matched by text.
        let mut f = add(
            serde_json::json!({"path": "*", "request_body": {"site.name": "main*", "id": "7"}, "status": 409}),
        );
        assert!(f
            .check(&req("", br#"{"id": 7, "site": {"name": "Main Office"}}"#))
            .is_some());
        assert!(f
            .check(&req("", br#"{"id": 8, "site": {"name": "Main Office"}}"#))
            .is_none());
        assert!(f.check(&req("", br#"{"id": 7}"#)).is_none());
        assert!(f.check(&req("", b"not json")).is_none());
    }

    fn rule(path: &str) -> FaultRule {
        serde_json::from_value(serde_json::json!({"path": path, "status": 503})).unwrap()
    }

    #[test]
    fn glob() {
        assert!(glob_match("/v2/crm/*", "/v2/crm/accounts/summary"));
        assert!(glob_match(
            "*/companies",
            "/v4_6_release/apis/3.0/company/companies"
        ));
        assert!(!glob_match(
            "*/companies",
            "/v4_6_release/apis/3.0/company/companies/5"
        ));
        assert!(glob_match("*", ""));
    }

    #[test]
    fn times_after_and_every() {
        let mut f = Faults::default();
        let mut r = rule("/x");
        r.times = Some(2);
        r.after = 1;
        f.add(r).unwrap();
        let hits: Vec<bool> = (0..5).map(|_| f.check(&get("/x")).is_some()).collect();
        assert_eq!(hits, vec![false, true, true, false, false]);

        let mut f = Faults::default();
        let mut r = rule("/y");
        r.every = Some(3);
        r.method = Some("post".into());
        f.add(r).unwrap();
        assert!(f.check(&get("/y")).is_none());
        let post = FaultRequest {
            method: "POST",
            ..get("/y")
        };
        let hits: Vec<bool> = (0..6).map(|_| f.check(&post).is_some()).collect();
        assert_eq!(hits, vec![false, false, true, false, false, true]);
    }

    #[test]
    fn rejects_rules_that_do_nothing() {
        let r: FaultRule = serde_json::from_value(serde_json::json!({"path": "/x"})).unwrap();
        assert!(Faults::default().add(r).is_err());
    }

    #[test]
    fn landed_needs_a_reply_to_replace() {
        let add = |v: serde_json::Value| {
            Faults::default().add(serde_json::from_value::<FaultRule>(v).unwrap())
        };
        let err =
            add(serde_json::json!({"path": "/x", "landed": true, "latency_ms": 5})).unwrap_err();
        assert!(err.contains("landed"), "{err}");
        assert!(add(serde_json::json!({"path": "/x", "landed": true, "drop": true})).is_ok());
        let mut f = Faults::default();
        f.add(
            serde_json::from_value(
                serde_json::json!({"path": "/x", "landed": true, "status": 503}),
            )
            .unwrap(),
        )
        .unwrap();
        let post = FaultRequest {
            method: "POST",
            ..get("/x")
        };
        let a = f.check(&post).expect("applies");
        assert!(a.landed && a.status == Some(503));
    }
}
