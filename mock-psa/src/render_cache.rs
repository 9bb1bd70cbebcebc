//! Rendered bytes of stored records, reused while the store is unchanged.
//!
//! A record's wire form depends only on the store (the record and the rows its references name)
//! and on the view it is rendered through (the dialect's resource or DTO, and per request the
//! API base its hrefs start with). So bytes rendered at one store generation are the bytes of
//! any later render at that generation, and a client polling the same pages gets them without
//! rendering again. Any write takes the store to a new generation and empties the cache.
//!
//! A record is kept from its second render on: a single pass over a tenant (an initial pull)
//! reads each record once and would only fill memory. What is kept is bounded
//! ([`MAX_HELD_BYTES`]); past it, records are rendered every time, as they would be without
//! the cache. Answers are the same bytes either way; only the time differs.

use crate::store::Store;
use bytes::Bytes;
use std::collections::hash_map::{Entry, HashMap};
use std::hash::{Hash, Hasher};

/// Most rendered bytes kept at once.
pub const MAX_HELD_BYTES: usize = 64 << 20;
/// Most records remembered as rendered once (about 40 bytes each).
const MAX_SLOTS: usize = 1 << 20;

/// Which view a record is rendered through: a dialect's descriptor and whatever else the
/// render reads besides the store (an API base, a field list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ViewKey(u64);

impl ViewKey {
    /// The key of rendering through `descriptor` (a `'static` resource, entity or DTO) with
    /// `extra` (what else the render depends on; `""` when nothing).
    ///
    /// ```
    /// use mock_psa::render_cache::ViewKey;
    /// static COMPANY: &str = "company";
    /// let a = ViewKey::new(&COMPANY, "http://127.0.0.1:1/v4_6_release/apis/3.0");
    /// let b = ViewKey::new(&COMPANY, "http://127.0.0.1:2/v4_6_release/apis/3.0");
    /// assert_ne!(a, b);
    /// assert_eq!(a, ViewKey::new(&COMPANY, "http://127.0.0.1:1/v4_6_release/apis/3.0"));
    /// ```
    pub fn new<T: ?Sized>(descriptor: &'static T, extra: &str) -> ViewKey {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (descriptor as *const T as *const () as usize).hash(&mut h);
        extra.hash(&mut h);
        ViewKey(h.finish())
    }
}

enum Slot {
    /// Rendered once at this generation, not kept.
    Seen,
    Held(Bytes),
}

/// The cache of one world; see the module documentation.
#[derive(Default)]
pub struct RenderCache {
    generation: u64,
    slots: HashMap<(ViewKey, i64), Slot>,
    held: usize,
}

impl std::fmt::Debug for RenderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderCache")
            .field("generation", &self.generation)
            .field("slots", &self.slots.len())
            .field("held", &self.held)
            .finish()
    }
}

impl RenderCache {
    /// The wire bytes of row `id` of `store` seen through `view`: kept ones when the store is
    /// unchanged since they were rendered, else `render()`'s (which reads the row only then).
    ///
    /// ```
    /// use mock_psa::render_cache::{RenderCache, ViewKey};
    /// use mock_psa::store::Store;
    /// static VIEW: &str = "view";
    /// let mut store = Store::default();
    /// let id = store.insert("things", serde_json::json!({"name": "a"}).as_object().unwrap().clone());
    /// let mut cache = RenderCache::default();
    /// let key = ViewKey::new(&VIEW, "");
    /// let mut renders = 0;
    /// for _ in 0..3 {
    ///     let bytes = cache.bytes(&store, key, id, || { renders += 1; b"{\"name\":\"a\"}".to_vec() });
    ///     assert_eq!(&bytes[..], b"{\"name\":\"a\"}");
    /// }
    /// assert_eq!(renders, 2, "kept from its second render on");
    /// ```
    pub fn bytes(
        &mut self,
        store: &Store,
        view: ViewKey,
        id: i64,
        render: impl FnOnce() -> Vec<u8>,
    ) -> Bytes {
        if self.generation != store.generation() {
            self.slots.clear();
            self.held = 0;
            self.generation = store.generation();
        }
        let full = self.slots.len() >= MAX_SLOTS;
        match self.slots.entry((view, id)) {
            Entry::Occupied(mut e) => {
                if let Slot::Held(b) = e.get() {
                    return b.clone();
                }
                let bytes = Bytes::from(render());
                if self.held + bytes.len() <= MAX_HELD_BYTES {
                    self.held += bytes.len();
                    e.insert(Slot::Held(bytes.clone()));
                }
                bytes
            }
            Entry::Vacant(e) => {
                if !full {
                    e.insert(Slot::Seen);
                }
                Bytes::from(render())
            }
        }
    }
}

/// `value` serialized as JSON (the mock's own views never fail to serialize; a failure would
/// be a defect, shown as `null` rather than a half-written member).
pub fn to_json(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec())
}

/// Appends `[a,b,...]` of rendered elements to `out`.
pub fn push_array(out: &mut Vec<u8>, parts: &[Bytes]) {
    out.push(b'[');
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(p);
    }
    out.push(b']');
}

/// The length of the array [`push_array`] writes of `parts`, for sizing a body beforehand.
pub fn total_len(parts: &[Bytes]) -> usize {
    parts.iter().map(Bytes::len).sum::<usize>() + parts.len().saturating_sub(1) + 2
}

/// A `200` with a JSON body written by the caller (the same head `axum::Json` gives).
pub fn json_response(body: impl Into<Bytes>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body: Bytes = body.into();
    (
        [(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static VIEW: &str = "view";

    fn store_with(name: &str) -> (Store, i64) {
        let mut s = Store::default();
        let id = s.insert("t", json!({ "name": name }).as_object().unwrap().clone());
        (s, id)
    }

    #[test]
    fn a_write_empties_the_cache() {
        let (mut store, id) = store_with("a");
        let mut cache = RenderCache::default();
        let key = ViewKey::new(&VIEW, "");
        let render = |s: &Store| to_json(&s.get("t", id).unwrap());
        for _ in 0..3 {
            let got = cache.bytes(&store, key, id, || render(&store));
            assert_eq!(&got[..], br#"{"name":"a","id":1}"#);
        }
        store.table_mut("t").get_mut(id).unwrap()["name"] = json!("b");
        let got = cache.bytes(&store, key, id, || render(&store));
        assert_eq!(&got[..], br#"{"name":"b","id":1}"#);
    }

    #[test]
    fn a_replaced_store_never_matches_the_old_generation() {
        let (a, id) = store_with("a");
        let (b, _) = store_with("b");
        assert_ne!(a.generation(), b.generation());
        let mut cache = RenderCache::default();
        let key = ViewKey::new(&VIEW, "");
        for _ in 0..2 {
            cache.bytes(&a, key, id, || b"A".to_vec());
        }
        assert_eq!(&cache.bytes(&a, key, id, || b"X".to_vec())[..], b"A");
        assert_eq!(&cache.bytes(&b, key, id, || b"B".to_vec())[..], b"B");
    }

    #[test]
    fn views_are_kept_apart() {
        static OTHER: &str = "other";
        let (store, id) = store_with("a");
        let mut cache = RenderCache::default();
        let (one, two) = (ViewKey::new(&VIEW, ""), ViewKey::new(&OTHER, ""));
        for _ in 0..2 {
            cache.bytes(&store, one, id, || b"1".to_vec());
        }
        assert_eq!(&cache.bytes(&store, two, id, || b"2".to_vec())[..], b"2");
        assert_eq!(&cache.bytes(&store, one, id, || b"x".to_vec())[..], b"1");
        let base = ViewKey::new(&VIEW, "http://other");
        assert_eq!(&cache.bytes(&store, base, id, || b"3".to_vec())[..], b"3");
    }

    #[test]
    fn arrays_are_joined_with_commas() {
        let mut out = Vec::new();
        push_array(&mut out, &[]);
        let parts = [Bytes::from_static(b"1"), Bytes::from_static(b"{}")];
        push_array(&mut out, &parts);
        assert_eq!(out, b"[][1,{}]");
        assert_eq!(total_len(&parts), b"[1,{}]".len());
        assert_eq!(total_len(&[]), b"[]".len());
    }
}
