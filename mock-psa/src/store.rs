//! The in-memory store: one table per entity kind, rows kept sorted by id.
//!
//! Rows live in a `Vec` ordered by id. Ids are issued in sequence, so inserts append; a page
//! at an offset is a slice, so listing costs time in proportion to the page, not the table.
//!
//! Look-ups by value go through ordered indexes per table, each built on first use and kept
//! up to date from then on: an insert adds the row's keys; [`Table::get_mut`] and
//! [`Table::remove`] take the row's keys out at once (the old values are still there to read)
//! and a changed row is keyed again, alone, at the next look-up. So unique-key checks,
//! reference look-ups and id allocation cost a logarithmic time at any table size, and
//! seeding, which resolves every reference by name, stays linear.
//!
//! Rows are kept encoded ([`row`]): reads hand out a decoded copy ([`Table::get`]), changes go
//! through [`RowMut`], which encodes the row again when dropped, and index look-ups read the
//! one member they key by straight from the bytes.

mod row;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// One stored entity in the dialect's own wire shape (camelCase members, `id` included).
pub type Record = Map<String, Value>;

// Clone, Debug and serde by hand below: the index is a cache, rebuilt on first use, and the
// rows are written and read as the records they encode.
#[derive(Default)]
pub struct Table {
    rows: Vec<(i64, Box<[u8]>)>,
    names: row::Names,
    next_id: i64,
    index: Mutex<Indexes>,
}

/// What a table is written as (persisted worlds): its records and the next id.
#[derive(Serialize)]
struct TableOut<'a> {
    rows: RowsOut<'a>,
    next_id: i64,
}

struct RowsOut<'a>(&'a Table);

impl Serialize for RowsOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        s.collect_seq(t.rows.iter().map(|(id, b)| (id, row::decode(&t.names, b))))
    }
}

#[derive(Deserialize)]
struct TableIn {
    rows: Vec<(i64, Record)>,
    next_id: i64,
}

impl Serialize for Table {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TableOut {
            rows: RowsOut(self),
            next_id: self.next_id,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Table {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let TableIn { rows, next_id } = TableIn::deserialize(d)?;
        let mut names = row::Names::default();
        let rows = rows
            .into_iter()
            .map(|(id, r)| (id, row::encode(&mut names, &r)))
            .collect();
        Ok(Table {
            rows,
            names,
            next_id,
            index: Mutex::default(),
        })
    }
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("rows", &self.rows.len())
            .field("next_id", &self.next_id)
            .finish()
    }
}

/// What a filter reads a row's members through: a decoded record, or a stored row read member
/// by member without decoding the rest ([`StoredRow`]).
pub trait Fields {
    fn field(&self, name: &str) -> Option<Cow<'_, Value>>;
}

impl Fields for Record {
    fn field(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.get(name).map(Cow::Borrowed)
    }
}

/// Row `id` of `table`, as stored: each member read on its own ([`Table::member`]).
pub struct StoredRow<'a> {
    pub table: &'a Table,
    pub id: i64,
}

impl Fields for StoredRow<'_> {
    fn field(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.table.member(self.id, name).map(Cow::Owned)
    }
}

/// A row taken out for change ([`Table::get_mut`]): a working copy, encoded back into the
/// table when dropped.
pub struct RowMut<'a> {
    table: &'a mut Table,
    at: usize,
    record: Record,
}

impl Deref for RowMut<'_> {
    type Target = Record;
    fn deref(&self) -> &Record {
        &self.record
    }
}

impl DerefMut for RowMut<'_> {
    fn deref_mut(&mut self) -> &mut Record {
        &mut self.record
    }
}

impl Drop for RowMut<'_> {
    fn drop(&mut self) {
        let t = &mut *self.table;
        t.rows[self.at].1 = row::encode(&mut t.names, &self.record);
    }
}

/// What an index keys a row by.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Extract {
    /// The value at a member path (`name`, or `company.id` into a reference); strings ASCII
    /// case folded when `folded`.
    Member { path: String, folded: bool },
    /// Member `member` of every element of the array `list` (sub-record ids): many keys a row.
    Nested { list: String, member: String },
    /// A string member ending in digits (`T20261201.0007`), by its prefix and number.
    Numbered { member: String },
}

/// An index key. Integers are kept apart from text so `"1"` and `1` do not meet, and ordered
/// as numbers so the highest is the last.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Int(i64),
    Text(String),
    /// Any other value (floats, booleans, objects) by its JSON text.
    Other(String),
    Numbered(String, u32),
}

impl Key {
    /// The key of a member's value under an exact or folded [`Extract::Member`].
    fn of(v: &Value, folded: bool) -> Key {
        match v {
            Value::String(s) if folded => Key::Text(s.to_ascii_lowercase()),
            Value::String(s) => Key::Text(s.clone()),
            Value::Number(n) if n.is_i64() => Key::Int(n.as_i64().unwrap_or_default()),
            other => Key::Other(other.to_string()),
        }
    }

    /// The text before a string's trailing digits and their value.
    fn numbered(s: &str) -> Option<Key> {
        let prefix = s.trim_end_matches(|c: char| c.is_ascii_digit());
        let n = s[prefix.len()..].parse().ok()?;
        Some(Key::Numbered(prefix.to_string(), n))
    }
}

impl Extract {
    /// The keys of an encoded row, read from its bytes.
    fn keys(&self, names: &row::Names, r: &[u8], out: &mut Vec<Key>) {
        match self {
            Extract::Member { path, folded } => {
                if let Some(v) = row::at_path(names, r, path) {
                    out.push(Key::of(&v, *folded));
                }
            }
            Extract::Nested { list, member } => {
                for v in row::nested(names, r, list, member) {
                    out.push(Key::of(&v, false));
                }
            }
            Extract::Numbered { member } => {
                if let Some(k) = row::member(names, r, member)
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(Key::numbered)
                {
                    out.push(k);
                }
            }
        }
    }
}

/// One index: (key, id) pairs in order, so a key's rows come in id order.
#[derive(Debug)]
struct Index {
    extract: Extract,
    entries: BTreeSet<(Key, i64)>,
}

impl Index {
    fn change(&mut self, id: i64, names: &row::Names, r: &[u8], add: bool, buf: &mut Vec<Key>) {
        buf.clear();
        self.extract.keys(names, r, buf);
        for k in buf.drain(..) {
            if add {
                self.entries.insert((k, id));
            } else {
                self.entries.remove(&(k, id));
            }
        }
    }

    /// The ids holding `key`, in id order.
    fn ids(&self, key: Key) -> impl Iterator<Item = i64> + '_ {
        let lo = (key.clone(), i64::MIN);
        self.entries.range(lo..=(key, i64::MAX)).map(|(_, id)| *id)
    }
}

/// The indexes built so far, and the rows taken out of them by `get_mut` that are keyed again
/// at the next look-up.
#[derive(Debug, Default)]
struct Indexes {
    built: Vec<Index>,
    dirty: Vec<i64>,
}

impl Clone for Table {
    fn clone(&self) -> Self {
        Table {
            rows: self.rows.clone(),
            names: self.names.clone(),
            next_id: self.next_id,
            index: Mutex::default(),
        }
    }
}

fn position_in<T>(rows: &[(i64, T)], id: i64) -> Result<usize, usize> {
    rows.binary_search_by_key(&id, |(k, _)| *k)
}

impl Table {
    fn with_first_id(first: i64) -> Self {
        Table {
            next_id: first,
            ..Default::default()
        }
    }

    /// Takes row `id`'s keys out of every built index before the row changes or goes; a
    /// changed row is keyed again at the next look-up. A backlog longer than the table drops
    /// the indexes instead (rebuilt on use), so the backlog stays bounded.
    fn unindex(&mut self, id: i64, again: bool) {
        let state = self.index.get_mut().unwrap_or_else(|p| p.into_inner());
        if state.built.is_empty() {
            return;
        }
        let Ok(at) = position_in(&self.rows, id) else {
            return;
        };
        if state.dirty.len() > self.rows.len() {
            *state = Indexes::default();
            return;
        }
        let mut buf = Vec::new();
        for index in &mut state.built {
            index.change(id, &self.names, &self.rows[at].1, false, &mut buf);
        }
        if again {
            state.dirty.push(id);
        }
    }

    /// Runs `f` on the index `extract`, building it on first use and keying again the rows
    /// changed since the last look-up.
    fn with_index<T>(&self, extract: Extract, f: impl FnOnce(&Index) -> T) -> T {
        // A poisoned index is only a cache: drop it and carry on.
        let mut guard = self.index.lock().unwrap_or_else(|p| {
            let mut g = p.into_inner();
            *g = Indexes::default();
            g
        });
        let state = &mut *guard;
        let mut buf = Vec::new();
        for id in std::mem::take(&mut state.dirty) {
            if let Some(r) = self.bytes(id) {
                // A row touched twice is here twice: inserting its keys again changes nothing.
                for index in &mut state.built {
                    index.change(id, &self.names, r, true, &mut buf);
                }
            }
        }
        let at = match state.built.iter().position(|i| i.extract == extract) {
            Some(at) => at,
            None => {
                let mut index = Index {
                    extract,
                    entries: BTreeSet::new(),
                };
                for (id, r) in &self.rows {
                    index.change(*id, &self.names, r, true, &mut buf);
                }
                state.built.push(index);
                state.built.len() - 1
            }
        };
        f(&state.built[at])
    }

    fn member_key(path: &str, folded: bool) -> Extract {
        Extract::Member {
            path: path.to_string(),
            folded,
        }
    }

    /// The ids (in order) whose value at `path` (`name`, `company.id`) is `value`, compared as
    /// JSON (strings exactly, `1` and `"1"` apart).
    pub fn ids_where(&self, path: &str, value: &Value) -> Vec<i64> {
        let key = Key::of(value, false);
        self.with_index(Self::member_key(path, false), |i| i.ids(key).collect())
    }

    /// The ids (in order) whose string `member` is `value`, ASCII case folded when `folded`.
    pub fn ids_with_text(&self, member: &str, value: &str, folded: bool) -> Vec<i64> {
        let key = Key::of(&Value::String(value.to_string()), folded);
        self.with_index(Self::member_key(member, folded), |i| i.ids(key).collect())
    }

    /// The id of the first row (by id) whose `member` equals `value` as a string, ASCII case
    /// folded.
    pub fn find_id_by(&self, member: &str, value: &str) -> Option<i64> {
        let mut keys = vec![
            Key::Text(value.to_ascii_lowercase()),
            Key::Other(value.into()),
        ];
        // A JSON integer matches its canonical text only (`7`, not `07`).
        if let Some(n) = value.parse::<i64>().ok().filter(|n| n.to_string() == value) {
            keys.push(Key::Int(n));
        }
        self.with_index(Self::member_key(member, true), |i| {
            keys.into_iter().filter_map(|k| i.ids(k).next()).min()
        })
    }

    /// The id of the first row (by id) whose string `member` is exactly `value`.
    pub fn find_id_exact(&self, member: &str, value: &str) -> Option<i64> {
        self.ids_with_text(member, value, false).first().copied()
    }

    /// The highest integer `member` of the elements of array `list` over every row (the last
    /// sub-record id issued and still stored).
    pub fn max_nested(&self, list: &str, member: &str) -> Option<i64> {
        let extract = Extract::Nested {
            list: list.to_string(),
            member: member.to_string(),
        };
        self.with_index(extract, |i| {
            match i
                .entries
                .range(..(Key::Text(String::new()), i64::MIN))
                .next_back()
            {
                Some((Key::Int(n), _)) => Some(*n),
                _ => None,
            }
        })
    }

    /// The highest number ending a string `member` that is `prefix` then digits
    /// (`T20261201.` -> 7 for `T20261201.0007`).
    pub fn max_numbered(&self, member: &str, prefix: &str) -> Option<u32> {
        let extract = Extract::Numbered {
            member: member.to_string(),
        };
        let lo = (Key::Numbered(prefix.to_string(), 0), i64::MIN);
        let hi = (Key::Numbered(prefix.to_string(), u32::MAX), i64::MAX);
        self.with_index(extract, |i| match i.entries.range(lo..=hi).next_back() {
            Some((Key::Numbered(_, n), _)) => Some(*n),
            _ => None,
        })
    }

    fn position(&self, id: i64) -> Result<usize, usize> {
        position_in(&self.rows, id)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn bytes(&self, id: i64) -> Option<&[u8]> {
        self.position(id).ok().map(|i| &*self.rows[i].1)
    }

    fn decode(&self, row: &[u8]) -> Record {
        row::decode(&self.names, row)
    }

    /// A decoded copy of row `id`.
    pub fn get(&self, id: i64) -> Option<Record> {
        self.bytes(id).map(|b| self.decode(b))
    }

    /// Whether row `id` is stored.
    pub fn contains(&self, id: i64) -> bool {
        self.position(id).is_ok()
    }

    /// The value at a dotted member path (`name`, `company.id`) of row `id`, read without
    /// decoding the rest of the row.
    pub fn value_at(&self, id: i64, path: &str) -> Option<Value> {
        row::at_path(&self.names, self.bytes(id)?, path)
    }

    /// Member `name` of row `id` (the name taken as it is, dots and all), read without decoding
    /// the rest of the row.
    pub fn member(&self, id: i64, name: &str) -> Option<Value> {
        row::member(&self.names, self.bytes(id)?, name)
    }

    /// Row `id` to change in place; it is stored again when the guard drops.
    pub fn get_mut(&mut self, id: i64) -> Option<RowMut<'_>> {
        // The caller may change any member: the row is keyed again at the next look-up.
        self.unindex(id, true);
        let at = self.position(id).ok()?;
        let record = self.decode(&self.rows[at].1);
        Some(RowMut {
            table: self,
            at,
            record,
        })
    }

    /// Stores a record under the next id in sequence (or the id it carries, when seeding with
    /// explicit ids) and returns that id. The record's `id` member is set to match.
    pub fn insert(&mut self, mut record: Record) -> i64 {
        let id = match record.get("id").and_then(Value::as_i64) {
            Some(explicit) if explicit > 0 && !self.contains(explicit) => explicit,
            _ => self.next_id,
        };
        self.next_id = self.next_id.max(id + 1);
        record.insert("id".into(), Value::from(id));
        let record = row::encode(&mut self.names, &record);
        self.unindex(id, false);
        let state = self.index.get_mut().unwrap_or_else(|p| p.into_inner());
        let mut buf = Vec::new();
        for index in &mut state.built {
            index.change(id, &self.names, &record, true, &mut buf);
        }
        match self.position(id) {
            Err(at) if at == self.rows.len() => self.rows.push((id, record)),
            Err(at) => self.rows.insert(at, (id, record)),
            Ok(at) => self.rows[at].1 = record,
        }
        id
    }

    pub fn remove(&mut self, id: i64) -> Option<Record> {
        self.unindex(id, false);
        let at = self.position(id).ok()?;
        let (_, row) = self.rows.remove(at);
        Some(self.decode(&row))
    }

    /// Every row, decoded one at a time, in id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Record> + ExactSizeIterator + '_ {
        self.rows.iter().map(|(_, r)| self.decode(r))
    }

    /// Every id, in order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = i64> + ExactSizeIterator + '_ {
        self.rows.iter().map(|(id, _)| *id)
    }

    /// The ids strictly greater than `after`, in order.
    pub fn ids_after(&self, after: i64) -> impl Iterator<Item = i64> + '_ {
        self.after(after).iter().map(|(id, _)| *id)
    }

    fn after(&self, after: i64) -> &[(i64, Box<[u8]>)] {
        let start = match self.position(after) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        &self.rows[start..]
    }

    /// The ids of the unfiltered page `[offset, offset + limit)`: a slice, never a scan, and
    /// nothing decoded.
    pub fn slice_ids(&self, offset: usize, limit: usize) -> Vec<i64> {
        self.window(offset, limit)
            .iter()
            .map(|(id, _)| *id)
            .collect()
    }

    fn window(&self, offset: usize, limit: usize) -> &[(i64, Box<[u8]>)] {
        let start = offset.min(self.rows.len());
        let end = offset.saturating_add(limit).min(self.rows.len());
        &self.rows[start..end]
    }
}

/// Every table of one personality.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Store {
    tables: BTreeMap<String, Table>,
    first_ids: BTreeMap<String, i64>,
    /// Changes whenever the store may have changed (every `&mut self` method takes a new one);
    /// unique across every store of the process, so a replaced store never reuses one.
    #[serde(skip, default = "fresh_generation")]
    generation: u64,
}

/// A generation no store has had yet.
fn fresh_generation() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Default for Store {
    fn default() -> Self {
        Store {
            tables: BTreeMap::new(),
            first_ids: BTreeMap::new(),
            generation: fresh_generation(),
        }
    }
}

impl Store {
    /// Sets the first id a table issues (real PSAs rarely start at 1; goldens read better when
    /// ids from different tables do not collide).
    pub fn set_first_id(&mut self, table: &str, first: i64) {
        self.generation = fresh_generation();
        self.first_ids.insert(table.to_string(), first);
    }

    /// The store's current generation: equal generations mean equal contents, so anything
    /// derived from the store (rendered bytes) stays valid while the generation does.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    pub fn table_mut(&mut self, name: &str) -> &mut Table {
        self.generation = fresh_generation();
        if !self.tables.contains_key(name) {
            let first = self.first_ids.get(name).copied().unwrap_or(1);
            self.tables
                .insert(name.to_string(), Table::with_first_id(first));
        }
        self.tables.get_mut(name).expect("table just inserted")
    }

    /// A decoded copy of row `id` of `table`.
    pub fn get(&self, table: &str, id: i64) -> Option<Record> {
        self.tables.get(table).and_then(|t| t.get(id))
    }

    /// Whether `table` holds row `id`.
    pub fn contains(&self, table: &str, id: i64) -> bool {
        self.tables.get(table).is_some_and(|t| t.contains(id))
    }

    /// See [`Table::value_at`].
    pub fn value_at(&self, table: &str, id: i64, path: &str) -> Option<Value> {
        self.tables.get(table)?.value_at(id, path)
    }

    pub fn insert(&mut self, table: &str, record: Record) -> i64 {
        self.table_mut(table).insert(record)
    }

    pub fn rows<'a>(&'a self, table: &str) -> Box<dyn DoubleEndedIterator<Item = Record> + 'a> {
        match self.tables.get(table) {
            Some(t) => Box::new(t.iter()),
            None => Box::new(std::iter::empty()),
        }
    }

    /// The id of the first row whose `member` equals `value` as a string, case-insensitively
    /// (ASCII), through the table's index.
    pub fn find_id_by(&self, table: &str, member: &str, value: &str) -> Option<i64> {
        self.tables.get(table)?.find_id_by(member, value)
    }

    /// The id of the first row whose string `member` is exactly `value`, through the table's
    /// index.
    pub fn find_id_exact(&self, table: &str, member: &str, value: &str) -> Option<i64> {
        self.tables.get(table)?.find_id_exact(member, value)
    }

    /// The ids (in order) of the rows of `table` whose value at `path` is `value`.
    pub fn ids_where(&self, table: &str, path: &str, value: &Value) -> Vec<i64> {
        self.tables
            .get(table)
            .map(|t| t.ids_where(path, value))
            .unwrap_or_default()
    }

    /// The rows of `table` whose value at `path` is `value`, in id order.
    pub fn rows_where<'a>(
        &'a self,
        table: &str,
        path: &str,
        value: &Value,
    ) -> impl Iterator<Item = Record> + 'a {
        let t = self.tables.get(table);
        let ids = t.map(|t| t.ids_where(path, value)).unwrap_or_default();
        ids.into_iter().filter_map(move |id| t?.get(id))
    }

    /// The ids (in order) of the rows of `table` whose string `member` is `value`.
    pub fn ids_with_text(&self, table: &str, member: &str, value: &str, folded: bool) -> Vec<i64> {
        self.tables
            .get(table)
            .map(|t| t.ids_with_text(member, value, folded))
            .unwrap_or_default()
    }

    /// See [`Table::max_nested`].
    pub fn max_nested(&self, table: &str, list: &str, member: &str) -> Option<i64> {
        self.tables.get(table)?.max_nested(list, member)
    }

    /// See [`Table::max_numbered`].
    pub fn max_numbered(&self, table: &str, member: &str, prefix: &str) -> Option<u32> {
        self.tables.get(table)?.max_numbered(member, prefix)
    }

    pub fn table_names(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    pub fn total_rows(&self) -> usize {
        self.tables.values().map(Table::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn ids_are_issued_in_sequence_and_rows_stay_sorted() {
        let mut s = Store::default();
        s.set_first_id("companies", 100);
        assert_eq!(s.insert("companies", rec(json!({"name": "a"}))), 100);
        assert_eq!(s.insert("companies", rec(json!({"name": "b"}))), 101);
        assert_eq!(
            s.insert("companies", rec(json!({"id": 50, "name": "seeded"}))),
            50
        );
        assert_eq!(s.insert("companies", rec(json!({"name": "c"}))), 102);
        let ids: Vec<i64> = s
            .rows("companies")
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![50, 100, 101, 102]);
        assert_eq!(s.find_id_by("companies", "name", "B"), Some(101));
    }

    #[test]
    fn indexed_look_ups_follow_inserts_updates_and_removals() {
        let mut s = Store::default();
        s.set_first_id("t", 10);
        s.insert("t", rec(json!({"name": "Acme", "n": 7})));
        assert_eq!(s.find_id_by("t", "name", "ACME"), Some(10));
        assert!(s.find_id_exact("t", "name", "ACME").is_none());
        assert_eq!(s.find_id_exact("t", "name", "Acme"), Some(10));
        assert_eq!(s.find_id_by("t", "n", "7"), Some(10));
        // Built indexes take new rows; a lower explicit id wins as the first row.
        s.insert("t", rec(json!({"name": "Beta"})));
        assert_eq!(s.find_id_by("t", "name", "beta"), Some(11));
        s.insert("t", rec(json!({"id": 5, "name": "acme"})));
        assert_eq!(s.find_id_by("t", "name", "Acme"), Some(5));
        assert_eq!(s.find_id_exact("t", "name", "Acme"), Some(10));
        assert_eq!(s.find_id_exact("t", "name", "acme"), Some(5));
        // Updates and removals are seen at once.
        s.table_mut("t")
            .get_mut(11)
            .unwrap()
            .insert("name".into(), json!("Gamma"));
        assert!(s.find_id_by("t", "name", "beta").is_none());
        assert_eq!(s.find_id_by("t", "name", "GAMMA"), Some(11));
        s.table_mut("t").remove(10);
        assert_eq!(s.find_id_exact("t", "name", "Acme"), None);
        assert_eq!(s.find_id_by("t", "name", "Acme"), Some(5));
        assert!(s.find_id_by("t", "n", "7").is_none());
    }

    #[test]
    fn references_sub_ids_and_numbers_follow_updates_and_removals() {
        let mut s = Store::default();
        s.set_first_id("sites", 1);
        let site = |s: &mut Store, company: i64, name: &str| {
            s.insert(
                "sites",
                rec(json!({"company": {"id": company}, "name": name})),
            )
        };
        site(&mut s, 7, "HQ");
        site(&mut s, 8, "HQ");
        site(&mut s, 7, "Annex");
        assert_eq!(s.ids_where("sites", "company.id", &json!(7)), vec![1, 3]);
        assert!(s.ids_where("sites", "company.id", &json!("7")).is_empty());
        // Moved to another company, twice before the next look-up; then removed.
        let t = s.table_mut("sites");
        t.get_mut(1)
            .unwrap()
            .insert("company".into(), json!({"id": 9}));
        t.get_mut(1)
            .unwrap()
            .insert("company".into(), json!({"id": 8}));
        assert_eq!(s.ids_where("sites", "company.id", &json!(7)), vec![3]);
        assert_eq!(s.ids_where("sites", "company.id", &json!(8)), vec![1, 2]);
        s.table_mut("sites").remove(2);
        assert_eq!(s.ids_where("sites", "company.id", &json!(8)), vec![1]);
        assert_eq!(s.ids_with_text("sites", "name", "hq", true), vec![1]);
        assert!(s.ids_with_text("sites", "name", "hq", false).is_empty());

        s.insert("people", rec(json!({"phones": [{"id": 41}, {"id": 40}]})));
        s.insert("people", rec(json!({"phones": [{"id": 12}]})));
        assert_eq!(s.max_nested("people", "phones", "id"), Some(41));
        s.table_mut("people")
            .get_mut(1)
            .unwrap()
            .insert("phones".into(), json!([{"id": 39}]));
        assert_eq!(s.max_nested("people", "phones", "id"), Some(39));
        s.insert("people", rec(json!({"phones": [{"id": 50}, {"id": "x"}]})));
        assert_eq!(s.max_nested("people", "phones", "id"), Some(50));
        s.table_mut("people").remove(3);
        assert_eq!(s.max_nested("people", "phones", "id"), Some(39));
        assert_eq!(s.max_nested("people", "emails", "id"), None);

        for n in [
            "T20261201.0009",
            "T20261201.9999",
            "T20261202.0100",
            "T20261201.x",
        ] {
            s.insert("tickets", rec(json!({"number": n})));
        }
        assert_eq!(
            s.max_numbered("tickets", "number", "T20261201."),
            Some(9999)
        );
        s.insert("tickets", rec(json!({"number": "T20261201.10000"})));
        assert_eq!(
            s.max_numbered("tickets", "number", "T20261201."),
            Some(10_000)
        );
        s.table_mut("tickets").remove(5);
        s.table_mut("tickets")
            .get_mut(2)
            .unwrap()
            .insert("number".into(), json!("T20261203.0001"));
        assert_eq!(s.max_numbered("tickets", "number", "T20261201."), Some(9));
        assert_eq!(s.max_numbered("tickets", "number", "T20261202."), Some(100));
        assert_eq!(s.max_numbered("tickets", "number", "T2026120"), None);
    }

    #[test]
    fn integers_match_their_canonical_text_only() {
        let mut s = Store::default();
        s.insert("t", rec(json!({"n": 7, "flag": true})));
        s.insert("t", rec(json!({"n": "07"})));
        assert_eq!(s.find_id_by("t", "n", "7"), Some(1));
        assert_eq!(s.find_id_by("t", "n", "07"), Some(2));
        assert_eq!(s.find_id_by("t", "flag", "true"), Some(1));
        assert!(s.ids_with_text("t", "n", "7", true).is_empty());
    }

    #[test]
    fn a_long_backlog_of_changes_drops_the_indexes_and_rebuilds_them() {
        let mut s = Store::default();
        for i in 0..3 {
            s.insert("t", rec(json!({"n": i})));
        }
        assert_eq!(s.ids_where("t", "n", &json!(0)), vec![1]);
        for _ in 0..10 {
            s.table_mut("t")
                .get_mut(1)
                .unwrap()
                .insert("n".into(), json!(5));
        }
        assert!(s.ids_where("t", "n", &json!(0)).is_empty());
        assert_eq!(s.ids_where("t", "n", &json!(5)), vec![1]);
    }

    #[test]
    fn tables_are_written_and_read_as_their_records() {
        let mut s = Store::default();
        s.insert("t", rec(json!({"name": "a", "ref": {"id": 7}, "n": 1.5})));
        s.insert("t", rec(json!({"tags": ["x"], "name": "b"})));
        s.table_mut("t").get_mut(2).unwrap()["name"] = json!("c");
        let text = serde_json::to_string(s.table("t").unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"rows":[[1,{"name":"a","ref":{"id":7},"n":1.5,"id":1}],[2,{"tags":["x"],"name":"c","id":2}]],"next_id":3}"#
        );
        let back: Table = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), text);
        assert_eq!(back.value_at(1, "ref.id"), Some(json!(7)));
        assert_eq!(back.clone().get(2), s.get("t", 2));
        assert_eq!(s.table("t").unwrap().slice_ids(1, 5), vec![2]);
    }

    #[test]
    fn pages_are_slices_of_ids() {
        let mut s = Store::default();
        for i in 0..10 {
            s.insert("t", rec(json!({"n": i})));
        }
        let t = s.table("t").unwrap();
        assert_eq!(t.slice_ids(8, 5), vec![9, 10]);
        assert_eq!(t.slice_ids(2, 3), vec![3, 4, 5]);
        assert!(t.slice_ids(20, 5).is_empty());
        assert_eq!(t.ids_after(7).collect::<Vec<_>>(), vec![8, 9, 10]);
        assert_eq!(t.ids_after(0).count(), 10);
    }
}
