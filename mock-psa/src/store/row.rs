//! Rows at rest: each record as one byte string, member names as numbers into its table's own
//! list of names, and text values that recur as numbers into its list of shared texts.
//!
//! A `serde_json::Map` costs about 120 bytes a member before its contents (an 80-byte `Value`,
//! the entry around it, its hash slot, the name on the heap), and every nested object its own
//! hash table: a ConnectWise company of 270 bytes of JSON took 2.7 KB. Encoded, it takes about
//! a tenth of that. Reads decode a working copy; a look-up by member walks the bytes without
//! building one, since every array and object states its length in bytes and a reader skips
//! what it does not read.
//!
//! Each value is a tag byte, then: nothing (null, false, true); a zigzag varint (an integer
//! that fits `i64`); a varint (a larger unsigned one); eight little-endian bytes (a float); a
//! varint length and UTF-8 (a string); a varint length in bytes, a varint count and the items
//! (an array; an object's items are a varint name number and a value each). Decoding gives
//! back the very `Value` encoded: members in their order, numbers of the same kind and bits.
//!
//! Two kinds of text take less: a `YYYY-MM-DDTHH:MM:SSZ` time is its Unix seconds as a zigzag
//! varint (6 bytes for 22), and a text that a member held twice running (the `createdBy` of
//! every record, a city, a model, a status) is shared: a varint number into the table's list,
//! which only grows, holds texts of at most [`MAX_SHARED_LEN`] bytes and at most
//! [`MAX_SHARED`] of them. Both decode to the very text encoded.

use super::Record;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const INT: u8 = 3;
const UINT: u8 = 4;
const FLOAT: u8 = 5;
const STRING: u8 = 6;
const ARRAY: u8 = 7;
const OBJECT: u8 = 8;
const TIME: u8 = 9;
const SHARED: u8 = 10;

/// Longest text shared; a longer one is rarely the same in many rows.
pub(super) const MAX_SHARED_LEN: usize = 64;
/// Most texts a table shares (a bound on what values that never recur could take).
pub(super) const MAX_SHARED: usize = 65_536;
/// Shorter texts are written as they are: a number would save next to nothing.
const MIN_SHARED_LEN: usize = 4;

/// The member names one table's rows use, each numbered once, and the texts they share.
#[derive(Debug, Clone, Default)]
pub(super) struct Names {
    list: Vec<Box<str>>,
    numbers: HashMap<Box<str>, u32>,
    texts: Vec<Box<str>>,
    text_numbers: HashMap<Box<str>, u32>,
    /// The last text each member (by number) was written with: a text seen twice running is
    /// shared from then on.
    last: Vec<String>,
}

impl Names {
    /// The shared number of text `s` written under member `member`, when it is (or from now
    /// on becomes) shared.
    fn shared(&mut self, member: u32, s: &str) -> Option<u32> {
        if !(MIN_SHARED_LEN..=MAX_SHARED_LEN).contains(&s.len()) {
            return None;
        }
        if let Some(&n) = self.text_numbers.get(s) {
            return Some(n);
        }
        let at = member as usize;
        if self.last.len() <= at {
            self.last.resize_with(at + 1, String::new);
        }
        let last = &mut self.last[at];
        if last == s && self.texts.len() < MAX_SHARED {
            let n = self.texts.len() as u32;
            self.texts.push(s.into());
            self.text_numbers.insert(s.into(), n);
            return Some(n);
        }
        last.clear();
        last.push_str(s);
        None
    }

    fn text(&self, n: u64) -> &str {
        self.texts.get(n as usize).map_or("", |s| s)
    }

    fn number(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.numbers.get(name) {
            return n;
        }
        let n = self.list.len() as u32;
        self.list.push(name.into());
        self.numbers.insert(name.into(), n);
        n
    }

    fn name(&self, n: u64) -> &str {
        self.list.get(n as usize).map_or("", |s| s)
    }

    /// The number of `name`, when some row has used it.
    fn known(&self, name: &str) -> Option<u64> {
        self.numbers.get(name).map(|&n| u64::from(n))
    }
}

/// `record` encoded, at its exact size.
pub(super) fn encode(names: &mut Names, record: &Record) -> Box<[u8]> {
    let mut out = Vec::with_capacity(256);
    out.push(OBJECT);
    sized(&mut out, |out| {
        varint(out, record.len() as u64);
        for (k, v) in record {
            let member = names.number(k);
            varint(out, u64::from(member));
            write(names, member, v, out);
        }
    });
    out.into_boxed_slice()
}

/// Writes `v`, the value of member number `member` (or an item of it).
fn write(names: &mut Names, member: u32, v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(NULL),
        Value::Bool(false) => out.push(FALSE),
        Value::Bool(true) => out.push(TRUE),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push(INT);
                varint(out, zigzag(i));
            } else if let Some(u) = n.as_u64() {
                out.push(UINT);
                varint(out, u);
            } else {
                out.push(FLOAT);
                out.extend_from_slice(&n.as_f64().unwrap_or_default().to_le_bytes());
            }
        }
        Value::String(s) => {
            // Only a time the clock writes exactly as given, so decoding gives the same text.
            if let Some(t) = psa_core::clock::parse_exact_rfc3339(s) {
                out.push(TIME);
                varint(out, zigzag(t));
            } else if let Some(n) = names.shared(member, s) {
                out.push(SHARED);
                varint(out, u64::from(n));
            } else {
                out.push(STRING);
                varint(out, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
        }
        Value::Array(items) => {
            out.push(ARRAY);
            sized(out, |out| {
                varint(out, items.len() as u64);
                for item in items {
                    write(names, member, item, out);
                }
            });
        }
        Value::Object(m) => {
            out.push(OBJECT);
            sized(out, |out| {
                varint(out, m.len() as u64);
                for (k, v) in m {
                    let member = names.number(k);
                    varint(out, u64::from(member));
                    write(names, member, v, out);
                }
            });
        }
    }
}

fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

fn unzigzag(z: u64) -> i64 {
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

/// Writes what `body` writes, preceded by its length in bytes.
fn sized(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    body(out);
    let mut len = [0u8; 10];
    let n = varint_into(&mut len, (out.len() - start) as u64);
    // Rows are small: moving the body up by a few bytes costs less than a buffer per level.
    out.splice(start..start, len[..n].iter().copied());
}

fn varint(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 10];
    let len = varint_into(&mut buf, n);
    out.extend_from_slice(&buf[..len]);
}

/// Writes `n` as a varint (seven bits a byte, low first) into `buf`; returns its length.
fn varint_into(buf: &mut [u8; 10], mut n: u64) -> usize {
    let mut i = 0;
    while n >= 0x80 {
        buf[i] = (n as u8) | 0x80;
        n >>= 7;
        i += 1;
    }
    buf[i] = n as u8;
    i + 1
}

/// Reads encoded bytes; only ever given bytes [`encode`] wrote, so running short is a bug
/// and reads as zeros rather than a panic.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.at).copied().unwrap_or_default();
        self.at += 1;
        b
    }

    fn varint(&mut self) -> u64 {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte();
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                break;
            }
        }
        n
    }

    fn take(&mut self, len: usize) -> &'a [u8] {
        let start = self.at.min(self.bytes.len());
        let end = start.saturating_add(len).min(self.bytes.len());
        self.at = start + len;
        &self.bytes[start..end]
    }

    /// Passes over one value.
    fn skip(&mut self) {
        match self.byte() {
            INT | UINT | TIME | SHARED => {
                self.varint();
            }
            FLOAT => self.at += 8,
            STRING | ARRAY | OBJECT => {
                let len = self.varint() as usize;
                self.at += len;
            }
            _ => {}
        }
    }

    fn value(&mut self, names: &Names) -> Value {
        match self.byte() {
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            INT => Value::from(unzigzag(self.varint())),
            UINT => Value::from(self.varint()),
            FLOAT => {
                let bits = self.take(8).try_into().unwrap_or([0; 8]);
                Number::from_f64(f64::from_le_bytes(bits)).map_or(Value::Null, Value::Number)
            }
            STRING => {
                let len = self.varint() as usize;
                Value::String(String::from_utf8_lossy(self.take(len)).into_owned())
            }
            TIME => Value::String(psa_core::clock::format_rfc3339(unzigzag(self.varint()))),
            SHARED => Value::String(names.text(self.varint()).to_string()),
            ARRAY => {
                self.varint();
                let count = self.varint() as usize;
                let mut items = Vec::with_capacity(count.min(self.bytes.len()));
                for _ in 0..count {
                    items.push(self.value(names));
                }
                Value::Array(items)
            }
            OBJECT => Value::Object(self.object_body(names)),
            _ => Value::Null,
        }
    }

    /// An object's members, after its tag.
    fn object_body(&mut self, names: &Names) -> Map<String, Value> {
        self.varint();
        let count = self.varint() as usize;
        let mut m = Map::with_capacity(count.min(self.bytes.len()));
        for _ in 0..count {
            let name = names.name(self.varint()).to_string();
            let v = self.value(names);
            m.insert(name, v);
        }
        m
    }

    /// Moves to the value of member `name` of the object starting here; false when the value
    /// here is not an object or has no such member.
    fn enter(&mut self, names: &Names, name: &str) -> bool {
        let Some(wanted) = names.known(name) else {
            return false;
        };
        if self.byte() != OBJECT {
            return false;
        }
        let len = self.varint() as usize;
        let end = self.at + len;
        let count = self.varint();
        for _ in 0..count {
            if self.at >= end {
                break;
            }
            if self.varint() == wanted {
                return true;
            }
            self.skip();
        }
        false
    }
}

/// The whole record.
pub(super) fn decode(names: &Names, row: &[u8]) -> Record {
    let mut r = Reader { bytes: row, at: 0 };
    match r.byte() {
        OBJECT => r.object_body(names),
        _ => Map::new(),
    }
}

/// The value at a dotted member path (`company.id`), decoded alone.
pub(super) fn at_path(names: &Names, row: &[u8], path: &str) -> Option<Value> {
    let mut r = Reader { bytes: row, at: 0 };
    for part in path.split('.') {
        if !r.enter(names, part) {
            return None;
        }
    }
    Some(r.value(names))
}

/// Top-level member `name`, decoded alone.
pub(super) fn member(names: &Names, row: &[u8], name: &str) -> Option<Value> {
    let mut r = Reader { bytes: row, at: 0 };
    r.enter(names, name).then(|| r.value(names))
}

/// Member `member` of each element of the array `list` that has one.
pub(super) fn nested(names: &Names, row: &[u8], list: &str, member: &str) -> Vec<Value> {
    let mut r = Reader { bytes: row, at: 0 };
    if !r.enter(names, list) || r.byte() != ARRAY {
        return Vec::new();
    }
    r.varint();
    let count = r.varint();
    let mut out = Vec::new();
    for _ in 0..count {
        let start = r.at;
        let mut item = Reader {
            bytes: row,
            at: start,
        };
        if item.enter(names, member) {
            out.push(item.value(names));
        }
        r.skip();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: Value) {
        let mut names = Names::default();
        let rec = v.as_object().cloned().unwrap();
        let row = encode(&mut names, &rec);
        let back = decode(&names, &row);
        assert_eq!(Value::Object(back.clone()), v);
        // Same text too: member order, integer and float kinds.
        assert_eq!(serde_json::to_string(&back).unwrap(), v.to_string());
    }

    #[test]
    fn every_kind_of_value_comes_back_as_encoded() {
        round_trip(json!({}));
        round_trip(json!({
            "z": 1, "a": -1, "m": 0, "big": u64::MAX, "min": i64::MIN, "max": i64::MAX,
            "f": 1.0, "g": -0.0, "h": 1e300, "third": 0.1 + 0.2, "tiny": 5e-324,
            "t": true, "n": null, "s": "", "u": "ünï\u{0}code \"q\"",
            "long": "x".repeat(300),
            "arr": [1, "a", null, [], {}, [[{"deep": [true]}]]],
            "obj": {"z": {"y": {"x": {}}}, "a": [{"id": 1}, {"id": 2, "name": "two"}]},
            "_info": {"lastUpdated": "2024-01-01T00:00:00Z", "updatedBy": "api"}
        }));
        let many: Map<String, Value> = (0..200).map(|i| (format!("m{i}"), json!(i))).collect();
        round_trip(Value::Object(many));
    }

    /// A recurring text too long to be shared.
    const LONG_TEXT: &str = "a text of sixty-five bytes, one more than a shared text may hold.";

    /// Any JSON value: every number kind, strings of any characters, nesting to a few levels.
    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter_map("finite", Number::from_f64)
                .prop_map(Value::Number),
            ".{0,40}".prop_map(Value::String),
            // Texts that are times, or nearly: only exact ones take the short form.
            "[12][0-9]{3}-[01][0-9]-[0-3][0-9][T ][0-2][0-9]:[0-6][0-9]:[0-6][0-9][Zz]?"
                .prop_map(Value::String),
            // Texts that recur, so the shared form is taken.
            prop::sample::select(vec!["API Employee", "Springfield", "abc", LONG_TEXT])
                .prop_map(|s| Value::String(s.to_string())),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec(("[a-zA-Z_.]{0,12}", inner), 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn any_record_comes_back_as_encoded_and_every_member_reads_alone() {
        use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
        let config = Config {
            cases: 512,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
        let records = proptest::collection::vec(("[a-z.]{0,6}", any_value()), 0..12)
            .prop_map(|m| m.into_iter().collect::<Record>());
        use proptest::strategy::Strategy;
        runner
            .run(&records, |rec| {
                let mut names = Names::default();
                // Encoded twice into one table: the second sees the first's texts as shared.
                let first = encode(&mut names, &rec);
                let row = encode(&mut names, &rec);
                for encoded in [&first, &row] {
                    assert_eq!(
                        serde_json::to_string(&decode(&names, encoded)).unwrap(),
                        serde_json::to_string(&rec).unwrap()
                    );
                }
                for (k, v) in &rec {
                    assert_eq!(member(&names, &row, k).as_ref(), Some(v), "member {k:?}");
                    if k.contains('.') {
                        continue;
                    }
                    assert_eq!(at_path(&names, &row, k).as_ref(), Some(v), "path {k:?}");
                    for (sk, sv) in v.as_object().into_iter().flatten() {
                        let path = format!("{k}.{sk}");
                        if !sk.contains('.') {
                            assert_eq!(at_path(&names, &row, &path).as_ref(), Some(sv), "{path}");
                        }
                    }
                    // Each element's member, as the sub-record indexes read them.
                    let items = v.as_array().into_iter().flatten();
                    let first_key = items.clone().find_map(|i| i.as_object()?.keys().next());
                    if let Some(m) = first_key {
                        let want: Vec<Value> = items.filter_map(|i| i.get(m)).cloned().collect();
                        assert_eq!(nested(&names, &row, k, m), want, "{k}[].{m}");
                    }
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn look_ups_read_one_member_without_the_rest() {
        let mut names = Names::default();
        let rec = json!({"name": "Acme", "company": {"name": "x", "id": 7},
            "phones": [{"id": 41}, {"type": 1}, 5, {"id": "x"}], "long": "y".repeat(200)});
        let row = encode(&mut names, rec.as_object().unwrap());
        assert_eq!(at_path(&names, &row, "company.id"), Some(json!(7)));
        assert_eq!(
            at_path(&names, &row, "company"),
            Some(rec["company"].clone())
        );
        assert_eq!(at_path(&names, &row, "name"), Some(json!("Acme")));
        assert_eq!(at_path(&names, &row, "name.id"), None);
        assert_eq!(at_path(&names, &row, "company.missing"), None);
        assert_eq!(at_path(&names, &row, "unknown"), None);
        assert_eq!(member(&names, &row, "name"), Some(json!("Acme")));
        assert_eq!(
            member(&names, &row, "company.id"),
            None,
            "a name, not a path"
        );
        assert_eq!(
            nested(&names, &row, "phones", "id"),
            vec![json!(41), json!("x")]
        );
        assert!(nested(&names, &row, "name", "id").is_empty());
        assert!(nested(&names, &row, "company", "id").is_empty());
    }

    #[test]
    fn times_and_recurring_texts_take_their_short_forms_and_come_back_exact() {
        let mut names = Names::default();
        let rec = |n: u32| {
            json!({"name": format!("Company {n}"), "createdBy": "API Employee",
                "createdOn": "2024-01-01T00:00:00Z", "city": "Springfield",
                "notTimes": ["2024-02-30T00:00:00Z", "2024-01-01T00:00:60Z",
                    "2024-01-01T00:00:00z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00.5Z"],
                "modifiedOn": format!("2024-01-01T00:00:{:02}Z", n % 60)})
        };
        let sizes: Vec<usize> = (0..3)
            .map(|n| {
                let r = rec(n);
                let row = encode(&mut names, r.as_object().unwrap());
                assert_eq!(Value::Object(decode(&names, &row)), r);
                assert_eq!(
                    member(&names, &row, "createdBy"),
                    Some(r["createdBy"].clone())
                );
                assert_eq!(
                    member(&names, &row, "modifiedOn"),
                    Some(r["modifiedOn"].clone())
                );
                assert_eq!(
                    member(&names, &row, "notTimes"),
                    Some(r["notTimes"].clone())
                );
                row.len()
            })
            .collect();
        // From the second row on, "API Employee" and "Springfield" are numbers (14 and 13
        // bytes each become two); the unique name and the near-times never are.
        assert_eq!(sizes[0] - sizes[1], 12 + 11, "{sizes:?}");
        assert_eq!(sizes[1], sizes[2]);
        assert_eq!(
            names.texts,
            ["API Employee".into(), "Springfield".into()] as [Box<str>; 2]
        );
        // A time is its seconds: the row is under the size of its texts.
        let times = json!({"a": "2024-01-01T00:00:00Z", "b": "1999-12-31T23:59:59Z"});
        let row = encode(&mut names, times.as_object().unwrap());
        assert!(row.len() < 20, "{} bytes", row.len());
        assert_eq!(Value::Object(decode(&names, &row)), times);
    }

    #[test]
    fn a_table_shares_at_most_its_bound_of_texts() {
        let mut names = Names::default();
        for n in 0..MAX_SHARED + 10 {
            let r = json!({"v": format!("text {n}")});
            // Twice running: shared while there is room.
            for _ in 0..2 {
                let row = encode(&mut names, r.as_object().unwrap());
                assert_eq!(Value::Object(decode(&names, &row)), r);
            }
        }
        assert_eq!(names.texts.len(), MAX_SHARED);
        let long = json!({"v": "y".repeat(MAX_SHARED_LEN + 1)});
        for _ in 0..2 {
            let row = encode(&mut names, long.as_object().unwrap());
            assert_eq!(Value::Object(decode(&names, &row)), long);
        }
        assert_eq!(names.texts.len(), MAX_SHARED);
    }

    #[test]
    fn an_encoded_row_is_under_half_its_json_text() {
        let mut names = Names::default();
        let rec = json!({"name":"Company 1","identifier":"Company1","types":[{"id":1}],
            "status":{"id":1},"deletedFlag":false,"leadFlag":false,"unsubscribeFlag":false,
            "_info":{"lastUpdated":"2024-01-01T00:00:00Z","updatedBy":"api",
            "dateEntered":"2024-01-01T00:00:00Z","enteredBy":"api"},"id":250});
        let row = encode(&mut names, rec.as_object().unwrap());
        // Smaller than its own JSON text (member names are numbers).
        assert!(row.len() < rec.to_string().len() / 2, "{} bytes", row.len());
    }
}
