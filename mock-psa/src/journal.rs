//! The request journal: what every client asked and what it got back.
//!
//! Bounded twice over: at most `max_entries` entries (oldest evicted first) and at most
//! `max_body_bytes` kept of any one body. Counters live apart from entries, so totals stay
//! right after eviction and a long-running server does not grow.

use crate::redact;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize)]
pub struct JournalLimits {
    pub max_entries: usize,
    pub max_body_bytes: usize,
}

impl Default for JournalLimits {
    fn default() -> Self {
        JournalLimits {
            max_entries: 10_000,
            max_body_bytes: 16 * 1024,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: u64,
    pub at: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub request_body: String,
    pub response_body: String,
    pub fault: Option<u64>,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Counters {
    pub total: u64,
    pub evicted: u64,
    pub by_status: BTreeMap<u16, u64>,
    pub by_method: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
pub struct Journal {
    limits: JournalLimits,
    entries: VecDeque<Entry>,
    counters: Counters,
}

fn truncate(mut body: String, max: usize) -> String {
    if body.len() > max {
        let mut cut = max;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
        body.push_str("…[truncated]");
    }
    body
}

impl Journal {
    pub fn new(limits: JournalLimits) -> Self {
        Journal {
            limits,
            ..Default::default()
        }
    }

    pub fn limits(&self) -> JournalLimits {
        self.limits
    }

    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        at: String,
        method: &str,
        path: &str,
        query: &str,
        status: u16,
        request_body: String,
        response_body: String,
        fault: Option<u64>,
    ) {
        self.counters.total += 1;
        *self.counters.by_status.entry(status).or_default() += 1;
        *self
            .counters
            .by_method
            .entry(method.to_string())
            .or_default() += 1;
        if self.limits.max_entries == 0 {
            self.counters.evicted += 1;
            return;
        }
        while self.entries.len() >= self.limits.max_entries {
            self.entries.pop_front();
            self.counters.evicted += 1;
        }
        let max = self.limits.max_body_bytes;
        self.entries.push_back(Entry {
            seq: self.counters.total,
            at,
            method: method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            status,
            request_body: truncate(request_body, max),
            response_body: truncate(response_body, max),
            fault,
        });
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.counters = Counters::default();
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries kept, oldest first, secrets included (for code holding the state).
    pub fn entries(&self) -> impl ExactSizeIterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Entries with `seq > since`, as JSON, secrets included (for code holding the state).
    pub fn to_json(&self, since: u64) -> Value {
        self.render(since, true)
    }

    /// Entries with `seq > since`, as JSON (bodies parsed back to JSON when they are JSON).
    /// Unless `reveal`, secrets in bodies and query strings show `[redacted]` (admin output).
    pub fn render(&self, since: u64, reveal: bool) -> Value {
        let shown = |body: &str| {
            let mut v = body_value(body);
            if !reveal {
                match &mut v {
                    Value::String(s) => *s = redact::form(s),
                    other => {
                        redact::redact_value(other);
                    }
                }
            }
            v
        };
        let entries: Vec<Value> = self
            .entries
            .iter()
            .filter(|e| e.seq > since)
            .map(|e| {
                let mut v = serde_json::json!({
                    "seq": e.seq,
                    "at": e.at,
                    "method": e.method,
                    "path": e.path,
                    "query": if reveal { e.query.clone() } else { redact::form(&e.query) },
                    "status": e.status,
                    "request_body": shown(&e.request_body),
                    "response_body": shown(&e.response_body),
                });
                if let Some(f) = e.fault {
                    v["fault"] = Value::from(f);
                }
                v
            })
            .collect();
        serde_json::json!({
            "counters": self.counters,
            "limits": self.limits,
            "entries": entries,
        })
    }
}

fn body_value(body: &str) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_oldest_but_keeps_counting() {
        let mut j = Journal::new(JournalLimits {
            max_entries: 3,
            max_body_bytes: 4,
        });
        for i in 0..5 {
            j.record(
                "t".into(),
                "GET",
                &format!("/p{i}"),
                "",
                200,
                "123456".into(),
                String::new(),
                None,
            );
        }
        assert_eq!(j.len(), 3);
        assert_eq!(j.counters().total, 5);
        assert_eq!(j.counters().evicted, 2);
        let v = j.to_json(0);
        assert_eq!(v["entries"][0]["path"], "/p2");
        assert_eq!(v["entries"][0]["request_body"], "1234…[truncated]");
        assert_eq!(j.to_json(4)["entries"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn admin_output_redacts_secrets_unless_revealed() {
        let mut j = Journal::new(JournalLimits::default());
        j.record(
            "t".into(),
            "POST",
            "/v2/security/authenticate",
            "password=q",
            200,
            "userName=api&password=hunter2".into(),
            r#"{"result":{"accessToken":"tok","tokenType":"Bearer"}}"#.into(),
            None,
        );
        let shown = j.render(0, false).to_string();
        for secret in ["hunter2", "\"tok\"", "password=q"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("Bearer"), "{shown}");
        let revealed = j.render(0, true).to_string();
        assert!(
            revealed.contains("hunter2") && revealed.contains("\"tok\""),
            "{revealed}"
        );
    }
}
