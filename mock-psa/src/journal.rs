//! The request journal: what every client asked and what it got back.
//!
//! Bounded twice over: at most `max_entries` entries (oldest evicted first) and at most
//! `max_body_bytes` kept of any one body. Counters live apart from entries, so totals stay
//! right after eviction and a long-running server does not grow.
//!
//! Cheap on the request path: a body that fits `max_body_bytes` is kept as the very `Bytes` the
//! request was read into or the response is sent from (shared, not copied); a longer one is
//! kept as a copy of its first `max_body_bytes`, so an entry never pins a larger buffer (10,000
//! entries of 36 KB list pages would hold 360 MB, and the allocator would hand out cold memory
//! for every response). The time is the virtual clock's integer (formatted when read), and with
//! `max_entries: 0` only the counters move.

use crate::redact;
use bytes::Bytes;
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
    /// Virtual time of the exchange, Unix seconds ([`Entry::at_rfc3339`] formats it).
    pub at: i64,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    /// At most `max_body_bytes` of the body (cut at a character boundary; see `*_truncated`).
    pub request_body: Bytes,
    pub response_body: Bytes,
    pub request_truncated: bool,
    pub response_truncated: bool,
    pub fault: Option<u64>,
}

impl Entry {
    /// The time as `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn at_rfc3339(&self) -> String {
        crate::clock::format_rfc3339(self.at)
    }

    /// The request body as text (`…[truncated]` appended when it was cut).
    pub fn request_text(&self) -> String {
        body_text(&self.request_body, self.request_truncated)
    }

    /// The response body as text (`…[truncated]` appended when it was cut).
    pub fn response_text(&self) -> String {
        body_text(&self.response_body, self.response_truncated)
    }
}

/// One exchange as the server hands it to [`Journal::record`].
pub struct Exchange<'a> {
    pub at: i64,
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub status: u16,
    pub request_body: &'a Bytes,
    pub response_body: &'a Bytes,
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

/// `body` itself when it fits in `max` bytes; else a copy of its first `max` bytes, backed off to
/// a UTF-8 character boundary; and whether anything was cut. The copy goes into `spare` (the
/// body of the entry just evicted) when no one else holds it.
fn truncate(body: &Bytes, max: usize, spare: Option<Bytes>) -> (Bytes, bool) {
    if body.len() <= max {
        return (body.clone(), false);
    }
    let mut cut = max;
    // Continuation bytes are 0b10xx_xxxx: step back to the start of the character.
    while cut > 0 && (body[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    // A copy, not a slice: a slice would keep the whole buffer alive as long as the entry.
    // Into a recycled buffer where there is one: a full journal then writes into memory it
    // already has, instead of the allocator handing out (and the kernel zeroing) fresh pages
    // for every long body.
    // A spare far larger than the cut (a whole buffer a short body was a slice of) is let go,
    // so a slot never carries more than twice what it holds.
    let spare = spare
        .and_then(|b| b.try_into_mut().ok())
        .filter(|b| b.capacity() <= 2 * cut);
    match spare {
        Some(mut buf) => {
            buf.clear();
            buf.extend_from_slice(&body[..cut]);
            (buf.freeze(), true)
        }
        None => (Bytes::copy_from_slice(&body[..cut]), true),
    }
}

/// `text` in `old`'s buffer (an evicted entry's) when it fits without holding more than
/// twice what it needs (one long path must not keep its size in every entry after it), else in
/// a new one.
fn reuse(old: Option<String>, text: &str) -> String {
    match old.filter(|s| s.capacity() >= text.len() && s.capacity() <= 2 * text.len().max(32)) {
        Some(mut s) => {
            s.clear();
            s.push_str(text);
            s
        }
        None => text.to_string(),
    }
}

fn body_text(body: &Bytes, truncated: bool) -> String {
    let mut text = String::from_utf8_lossy(body).into_owned();
    if truncated {
        text.push_str("…[truncated]");
    }
    text
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

    /// Whether entries are kept (else only the counters move, and a caller may skip
    /// gathering what an entry would hold).
    pub fn keeps_entries(&self) -> bool {
        self.limits.max_entries > 0
    }

    pub fn record(&mut self, x: Exchange<'_>) {
        self.counters.total += 1;
        *self.counters.by_status.entry(x.status).or_default() += 1;
        match self.counters.by_method.get_mut(x.method) {
            Some(n) => *n += 1,
            None => {
                self.counters.by_method.insert(x.method.to_string(), 1);
            }
        }
        if self.limits.max_entries == 0 {
            self.counters.evicted += 1;
            return;
        }
        let mut old = None;
        while self.entries.len() >= self.limits.max_entries {
            old = self.entries.pop_front();
            self.counters.evicted += 1;
        }
        // A full journal reuses the evicted entry's buffers.
        let (method, path, query, old_request, old_response) = match old {
            Some(e) => (
                Some(e.method),
                Some(e.path),
                Some(e.query),
                Some(e.request_body),
                Some(e.response_body),
            ),
            None => (None, None, None, None, None),
        };
        let max = self.limits.max_body_bytes;
        let (request_body, request_truncated) = truncate(x.request_body, max, old_request);
        let (response_body, response_truncated) = truncate(x.response_body, max, old_response);
        self.entries.push_back(Entry {
            seq: self.counters.total,
            at: x.at,
            method: reuse(method, x.method),
            path: reuse(path, x.path),
            query: reuse(query, x.query),
            status: x.status,
            request_body,
            response_body,
            request_truncated,
            response_truncated,
            fault: x.fault,
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
                    "at": e.at_rfc3339(),
                    "method": e.method,
                    "path": e.path,
                    "query": if reveal { e.query.clone() } else { redact::form(&e.query) },
                    "status": e.status,
                    "request_body": shown(&e.request_text()),
                    "response_body": shown(&e.response_text()),
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
            j.record(Exchange {
                at: 0,
                method: "GET",
                path: &format!("/p{i}"),
                query: "",
                status: 200,
                request_body: &Bytes::from_static(b"123456"),
                response_body: &Bytes::new(),
                fault: None,
            });
        }
        assert_eq!(j.len(), 3);
        assert_eq!(j.counters().total, 5);
        assert_eq!(j.counters().evicted, 2);
        let v = j.to_json(0);
        assert_eq!(v["entries"][0]["path"], "/p2");
        assert_eq!(v["entries"][0]["request_body"], "1234…[truncated]");
        assert_eq!(v["entries"][0]["at"], "1970-01-01T00:00:00Z");
        assert_eq!(j.to_json(4)["entries"].as_array().unwrap().len(), 1);
    }

    /// A full journal writes a long body into the buffer of the entry it evicts (no fresh
    /// memory per request), and the entry still reads as its own exchange.
    #[test]
    fn a_full_journal_reuses_the_evicted_entrys_buffers() {
        let mut j = Journal::new(JournalLimits {
            max_entries: 1,
            max_body_bytes: 8,
        });
        let exchange = |j: &mut Journal, path: &str, body: &'static [u8]| {
            j.record(Exchange {
                at: 0,
                method: "GET",
                path,
                query: "",
                status: 200,
                request_body: &Bytes::new(),
                response_body: &Bytes::from_static(body),
                fault: None,
            })
        };
        exchange(&mut j, "/first", b"0123456789-first");
        let first = j.entries().next().unwrap().response_body.as_ptr();
        exchange(&mut j, "/second", b"abcdefghij-second");
        let e = j.entries().next().unwrap();
        assert_eq!(
            e.response_body.as_ptr(),
            first,
            "the evicted buffer, reused"
        );
        assert_eq!(e.response_text(), "abcdefgh…[truncated]");
        assert_eq!(e.path, "/second");
        // A buffer someone else still holds is left alone: the entry gets a copy of its own.
        let held = e.response_body.clone();
        exchange(&mut j, "/third", b"ABCDEFGHIJ-third");
        let e = j.entries().next().unwrap();
        assert_ne!(e.response_body.as_ptr(), held.as_ptr());
        assert_eq!(&held[..], b"abcdefgh");
        assert_eq!(e.response_text(), "ABCDEFGH…[truncated]");
        assert_eq!(j.counters().evicted, 2);
        // A buffer much larger than the next cut is let go, not carried on.
        exchange(&mut j, "/short", b"0123456789");
        let e = j.entries().next().unwrap();
        assert_eq!(e.response_text(), "01234567…[truncated]");
        let big: &'static [u8] = Box::leak(vec![b'x'; 100].into_boxed_slice());
        let mut j = Journal::new(JournalLimits {
            max_entries: 1,
            max_body_bytes: 90,
        });
        exchange(&mut j, "/big", big);
        let was = j.entries().next().unwrap().response_body.as_ptr();
        j.limits.max_body_bytes = 8;
        exchange(&mut j, "/small", b"0123456789");
        let e = j.entries().next().unwrap();
        assert_ne!(
            e.response_body.as_ptr(),
            was,
            "a 90-byte buffer kept for 8 bytes"
        );
        assert_eq!(e.response_text(), "01234567…[truncated]");
    }

    #[test]
    fn truncation_keeps_whole_characters_and_pins_no_larger_buffer() {
        let body = Bytes::from("abé".as_bytes().to_vec()); // é is 2 bytes: a b 0xC3 0xA9
        let (cut, truncated) = truncate(&body, 3, None);
        assert!(truncated);
        assert_eq!(&cut[..], b"ab");
        assert_ne!(
            cut.as_ptr(),
            body.as_ptr(),
            "a copy, not a slice of the whole body"
        );
        let (whole, truncated) = truncate(&body, 4, None);
        assert!(!truncated);
        assert_eq!(whole.as_ptr(), body.as_ptr(), "a body that fits is shared");
    }

    #[test]
    fn switched_off_it_keeps_counting_and_nothing_else() {
        let mut j = Journal::new(JournalLimits {
            max_entries: 0,
            max_body_bytes: 4,
        });
        assert!(!j.keeps_entries());
        for _ in 0..3 {
            j.record(Exchange {
                at: 0,
                method: "GET",
                path: "/p",
                query: "",
                status: 404,
                request_body: &Bytes::new(),
                response_body: &Bytes::new(),
                fault: None,
            });
        }
        assert!(j.is_empty());
        assert_eq!(j.counters().total, 3);
        assert_eq!(j.counters().by_status[&404], 3);
        assert_eq!(j.counters().by_method["GET"], 3);
    }

    #[test]
    fn admin_output_redacts_secrets_unless_revealed() {
        let mut j = Journal::new(JournalLimits::default());
        j.record(Exchange {
            at: 0,
            method: "POST",
            path: "/v2/security/authenticate",
            query: "password=q",
            status: 200,
            request_body: &Bytes::from_static(b"userName=api&password=hunter2"),
            response_body: &Bytes::from_static(
                br#"{"result":{"accessToken":"tok","tokenType":"Bearer"}}"#,
            ),
            fault: None,
        });
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
