//! The in-memory store: one table per entity kind, rows kept sorted by id.
//!
//! Rows live in a `Vec` ordered by id. Ids are issued in sequence, so inserts append; a page
//! at an offset is a slice, so listing costs time in proportion to the page, not the table.
//!
//! Look-ups by a member's value ([`Store::find_by`], [`Store::find_exact`]) go through an index
//! per table and member, built on first use and kept up to date on insert; a row written through
//! [`Table::get_mut`] or removed is indexed again, alone, at the next look-up. Seeding, which
//! resolves every reference by name, stays linear.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

/// One stored entity in the dialect's own wire shape (camelCase members, `id` included).
pub type Record = Map<String, Value>;

// Clone by hand below: the index is a cache, rebuilt on first use.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Table {
    rows: Vec<(i64, Record)>,
    next_id: i64,
    #[serde(skip)]
    index: Mutex<Indexes>,
}

/// Value key -> the ids holding it, and id -> its key, for one (member, folded) pair.
#[derive(Debug, Default)]
struct Index {
    by_key: HashMap<String, BTreeSet<i64>>,
    key_of: HashMap<i64, String>,
}

impl Index {
    fn put(&mut self, id: i64, value: Option<&Value>, folded: bool) {
        if let Some(old) = self.key_of.remove(&id) {
            if let Some(ids) = self.by_key.get_mut(&old) {
                ids.remove(&id);
            }
        }
        if let Some(v) = value {
            let key = index_key(v, folded);
            self.by_key.entry(key.clone()).or_default().insert(id);
            self.key_of.insert(id, key);
        }
    }
}

/// The indexes built so far, and the rows written through `get_mut` or removed since they were
/// last brought up to date (done at the next look-up, row by row).
#[derive(Debug, Default)]
struct Indexes {
    by_member: HashMap<(String, bool), Index>,
    dirty: Vec<i64>,
}

impl Clone for Table {
    fn clone(&self) -> Self {
        Table {
            rows: self.rows.clone(),
            next_id: self.next_id,
            index: Mutex::default(),
        }
    }
}

/// The index key of a member's value: strings by text (ASCII case folded when `folded`), other
/// values by their JSON text, kept apart so `"1"` and `1` do not meet.
fn index_key(v: &Value, folded: bool) -> String {
    match v {
        Value::String(s) if folded => format!("s:{}", s.to_ascii_lowercase()),
        Value::String(s) => format!("s:{s}"),
        other => format!("o:{other}"),
    }
}

impl Table {
    fn with_first_id(first: i64) -> Self {
        Table {
            next_id: first,
            ..Default::default()
        }
    }

    fn indexes(&self) -> std::sync::MutexGuard<'_, Indexes> {
        // A poisoned index is only a cache: drop it and carry on.
        match self.index.lock() {
            Ok(g) => g,
            Err(p) => {
                let mut g = p.into_inner();
                *g = Indexes::default();
                g
            }
        }
    }

    /// Notes that row `id` may have changed (or gone); a long backlog drops the indexes instead.
    fn touch(&mut self, id: i64) {
        let limit = self.rows.len() + 1;
        let state = self.index.get_mut().unwrap_or_else(|p| p.into_inner());
        if state.by_member.is_empty() {
            return;
        }
        if state.dirty.len() >= limit {
            *state = Indexes::default();
        } else {
            state.dirty.push(id);
        }
    }

    /// The lowest id whose `member` has index key `key`, building the index on first use and
    /// bringing every index up to date with the rows written since.
    fn lookup(&self, member: &str, folded: bool, key: &str) -> Option<i64> {
        let mut guard = self.indexes();
        let state = &mut *guard;
        if !state.dirty.is_empty() {
            let dirty = std::mem::take(&mut state.dirty);
            for ((m, f), index) in state.by_member.iter_mut() {
                for id in &dirty {
                    index.put(*id, self.get(*id).and_then(|r| r.get(m)), *f);
                }
            }
        }
        let index = state
            .by_member
            .entry((member.to_string(), folded))
            .or_insert_with(|| {
                let mut index = Index::default();
                for (id, r) in &self.rows {
                    index.put(*id, r.get(member), folded);
                }
                index
            });
        index.by_key.get(key)?.first().copied()
    }

    /// The first row (by id) whose `member` equals `value` as a string, ASCII case folded.
    pub fn find_by(&self, member: &str, value: &str) -> Option<&Record> {
        let text = self.lookup(member, true, &format!("s:{}", value.to_ascii_lowercase()));
        let other = self.lookup(member, true, &format!("o:{value}"));
        let id = match (text, other) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        self.get(id)
    }

    /// The first row (by id) whose string `member` is exactly `value`.
    pub fn find_exact(&self, member: &str, value: &str) -> Option<&Record> {
        self.get(self.lookup(member, false, &format!("s:{value}"))?)
    }

    fn position(&self, id: i64) -> Result<usize, usize> {
        self.rows.binary_search_by_key(&id, |(k, _)| *k)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn get(&self, id: i64) -> Option<&Record> {
        self.position(id).ok().map(|i| &self.rows[i].1)
    }

    pub fn get_mut(&mut self, id: i64) -> Option<&mut Record> {
        // The caller may change any member: the row is indexed again at the next look-up.
        self.touch(id);
        match self.position(id) {
            Ok(i) => Some(&mut self.rows[i].1),
            Err(_) => None,
        }
    }

    /// Stores a record under the next id in sequence (or the id it carries, when seeding with
    /// explicit ids) and returns that id. The record's `id` member is set to match.
    pub fn insert(&mut self, mut record: Record) -> i64 {
        let id = match record.get("id").and_then(Value::as_i64) {
            Some(explicit) if explicit > 0 && self.get(explicit).is_none() => explicit,
            _ => self.next_id,
        };
        self.next_id = self.next_id.max(id + 1);
        record.insert("id".into(), Value::from(id));
        let state = self.index.get_mut().unwrap_or_else(|p| p.into_inner());
        for ((member, folded), index) in state.by_member.iter_mut() {
            index.put(id, record.get(member), *folded);
        }
        match self.position(id) {
            Err(at) if at == self.rows.len() => self.rows.push((id, record)),
            Err(at) => self.rows.insert(at, (id, record)),
            Ok(at) => self.rows[at].1 = record,
        }
        id
    }

    pub fn remove(&mut self, id: i64) -> Option<Record> {
        self.touch(id);
        self.position(id).ok().map(|i| self.rows.remove(i).1)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Record> + ExactSizeIterator {
        self.rows.iter().map(|(_, r)| r)
    }

    /// Rows with an id strictly greater than `after`, in id order (forward-only paging).
    pub fn iter_after(&self, after: i64) -> impl Iterator<Item = &Record> {
        let start = match self.position(after) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        self.rows[start..].iter().map(|(_, r)| r)
    }

    /// The unfiltered page `[offset, offset + limit)`: a slice, never a scan.
    pub fn slice(&self, offset: usize, limit: usize) -> impl Iterator<Item = &Record> {
        let start = offset.min(self.rows.len());
        let end = offset.saturating_add(limit).min(self.rows.len());
        self.rows[start..end].iter().map(|(_, r)| r)
    }
}

/// Every table of one personality.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Store {
    tables: BTreeMap<String, Table>,
    first_ids: BTreeMap<String, i64>,
}

impl Store {
    /// Sets the first id a table issues (real PSAs rarely start at 1; goldens read better when
    /// ids from different tables do not collide).
    pub fn set_first_id(&mut self, table: &str, first: i64) {
        self.first_ids.insert(table.to_string(), first);
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    pub fn table_mut(&mut self, name: &str) -> &mut Table {
        if !self.tables.contains_key(name) {
            let first = self.first_ids.get(name).copied().unwrap_or(1);
            self.tables
                .insert(name.to_string(), Table::with_first_id(first));
        }
        self.tables.get_mut(name).expect("table just inserted")
    }

    pub fn get(&self, table: &str, id: i64) -> Option<&Record> {
        self.tables.get(table).and_then(|t| t.get(id))
    }

    pub fn insert(&mut self, table: &str, record: Record) -> i64 {
        self.table_mut(table).insert(record)
    }

    pub fn rows<'a>(&'a self, table: &str) -> Box<dyn DoubleEndedIterator<Item = &'a Record> + 'a> {
        match self.tables.get(table) {
            Some(t) => Box::new(t.iter()),
            None => Box::new(std::iter::empty()),
        }
    }

    /// Finds the first row whose `member` equals `value` as a string, case-insensitively
    /// (ASCII), through the table's index.
    pub fn find_by(&self, table: &str, member: &str, value: &str) -> Option<&Record> {
        self.tables.get(table)?.find_by(member, value)
    }

    /// Finds the first row whose string `member` is exactly `value`, through the table's index.
    pub fn find_exact(&self, table: &str, member: &str, value: &str) -> Option<&Record> {
        self.tables.get(table)?.find_exact(member, value)
    }

    pub fn table_names(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    pub fn total_rows(&self) -> usize {
        self.tables.values().map(Table::len).sum()
    }
}

/// One page of a possibly filtered listing, with the total when it was asked for.
pub struct Page<'a> {
    pub rows: Vec<&'a Record>,
    pub has_more: bool,
}

/// Takes the page `[offset, offset+limit)` of the rows of `table` that pass `keep`.
/// Unfiltered pages are slices; filtered ones stop scanning as soon as the page is full.
pub fn page<'a>(
    table: Option<&'a Table>,
    keep: Option<&dyn Fn(&Record) -> bool>,
    offset: usize,
    limit: usize,
) -> Page<'a> {
    let Some(table) = table else {
        return Page {
            rows: Vec::new(),
            has_more: false,
        };
    };
    match keep {
        None => Page {
            rows: table.slice(offset, limit).collect(),
            has_more: offset.saturating_add(limit) < table.len(),
        },
        Some(keep) => {
            let mut matching = table.iter().filter(|r| keep(r)).skip(offset);
            let rows: Vec<&Record> = matching.by_ref().take(limit).collect();
            let has_more = matching.next().is_some();
            Page { rows, has_more }
        }
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
        assert_eq!(s.find_by("companies", "name", "B").unwrap()["id"], 101);
    }

    #[test]
    fn indexed_look_ups_follow_inserts_updates_and_removals() {
        let mut s = Store::default();
        s.set_first_id("t", 10);
        s.insert("t", rec(json!({"name": "Acme", "n": 7})));
        assert_eq!(s.find_by("t", "name", "ACME").unwrap()["id"], 10);
        assert!(s.find_exact("t", "name", "ACME").is_none());
        assert_eq!(s.find_exact("t", "name", "Acme").unwrap()["id"], 10);
        assert_eq!(s.find_by("t", "n", "7").unwrap()["id"], 10);
        // Built indexes take new rows; a lower explicit id wins as the first row.
        s.insert("t", rec(json!({"name": "Beta"})));
        assert_eq!(s.find_by("t", "name", "beta").unwrap()["id"], 11);
        s.insert("t", rec(json!({"id": 5, "name": "acme"})));
        assert_eq!(s.find_by("t", "name", "Acme").unwrap()["id"], 5);
        assert_eq!(s.find_exact("t", "name", "Acme").unwrap()["id"], 10);
        assert_eq!(s.find_exact("t", "name", "acme").unwrap()["id"], 5);
        // Updates and removals are seen at once.
        s.table_mut("t")
            .get_mut(11)
            .unwrap()
            .insert("name".into(), json!("Gamma"));
        assert!(s.find_by("t", "name", "beta").is_none());
        assert_eq!(s.find_by("t", "name", "GAMMA").unwrap()["id"], 11);
        s.table_mut("t").remove(10);
        assert_eq!(s.find_exact("t", "name", "Acme"), None);
        assert_eq!(s.find_by("t", "name", "Acme").unwrap()["id"], 5);
        assert!(s.find_by("t", "n", "7").is_none());
    }

    #[test]
    fn pages_are_slices_and_filtered_pages_stop_early() {
        let mut s = Store::default();
        for i in 0..10 {
            s.insert("t", rec(json!({"n": i})));
        }
        let p = page(s.table("t"), None, 8, 5);
        assert_eq!(p.rows.len(), 2);
        assert!(!p.has_more);
        let even = |r: &Record| r["n"].as_i64().unwrap() % 2 == 0;
        let p = page(s.table("t"), Some(&even), 1, 2);
        let ns: Vec<i64> = p.rows.iter().map(|r| r["n"].as_i64().unwrap()).collect();
        assert_eq!(ns, vec![2, 4]);
        assert!(p.has_more);
        let after: Vec<i64> = s
            .table("t")
            .unwrap()
            .iter_after(7)
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(after, vec![8, 9, 10]);
    }
}
