//! Rendering records and id-ordered paging with `nextPageUrl` links.

use super::super::*;
use super::filter::QuerySpec;
use super::schema::*;
use super::wire::enc;
use crate::render_cache::{json_response, push_array, to_json, total_len, RenderCache, ViewKey};
use crate::store::StoredRow;
use bytes::Bytes;
use serde_json::json;

/// The wire shape of a record: every model field (null when unset), or only the included ones.
/// Write-only members (an attachment's `data`) are left out of lists and queries.
pub(super) fn render(e: &Entity, rec: &Record, include: Option<&[&'static str]>) -> Value {
    render_with(e, rec, include, false)
}

fn render_with(e: &Entity, rec: &Record, include: Option<&[&'static str]>, all: bool) -> Value {
    serde_json::to_value(Rendered {
        e,
        rec,
        include,
        all,
    })
    .unwrap_or(Value::Null)
}

/// A stored record serialized straight to the wire (every field of the entity in schema order,
/// absent ones null), without first copying it into a `Value`.
pub(super) struct Rendered<'a> {
    pub(super) e: &'a Entity,
    pub(super) rec: &'a Record,
    pub(super) include: Option<&'a [&'static str]>,
    /// Write-only fields too (`GET {Entity}/{id}` shows them; queries do not).
    pub(super) all: bool,
}

impl serde::Serialize for Rendered<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = ser.serialize_map(None)?;
        for field in &self.e.fields {
            if self
                .include
                .is_some_and(|names| !names.contains(&field.name))
            {
                continue;
            }
            if field.write_only && !self.all {
                continue;
            }
            map.serialize_entry(field.name, self.rec.get(field.name).unwrap_or(&Value::Null))?;
        }
        if self.e.udf {
            match self.rec.get("userDefinedFields") {
                Some(v) => map.serialize_entry("userDefinedFields", v)?,
                None => map.serialize_entry("userDefinedFields", &[] as &[Value])?,
            }
        }
        map.end()
    }
}

/// The view key's `extra` of a GET's render (write-only fields too): a NUL, which no list of
/// `IncludeFields` names (the queries' keys) can spell.
const ALL_FIELDS: &str = "\0all";

/// Row `id`'s bytes for `{"item": ...}` of `GET {Entity}/{id}` (None: no such record), kept
/// while the store is unchanged (the row is read only when they are not); [`item_response`]
/// writes the envelope once the lock is let go.
pub(super) fn item_bytes(
    renders: &mut RenderCache,
    store: &Store,
    e: &'static Entity,
    id: i64,
) -> Option<Bytes> {
    if !store.contains(e.table, id) {
        return None;
    }
    let view = ViewKey::new(e, ALL_FIELDS);
    Some(rendered_bytes(renders, store, view, e, id, None, true))
}

/// `{"item": ...}` around [`item_bytes`].
pub(super) fn item_response(bytes: Option<Bytes>) -> Response {
    let Some(bytes) = bytes else {
        return json_response(Bytes::from_static(br#"{"item":null}"#));
    };
    let mut body = Vec::with_capacity(bytes.len() + 9);
    body.extend_from_slice(br#"{"item":"#);
    body.extend_from_slice(&bytes);
    body.push(b'}');
    json_response(body)
}

/// The wire bytes of row `id` through `view` (what [`Rendered`] writes), kept while the store is
/// unchanged (`render_cache`); the row is read only when they are not.
fn rendered_bytes(
    renders: &mut RenderCache,
    store: &Store,
    view: ViewKey,
    e: &Entity,
    id: i64,
    include: Option<&[&'static str]>,
    all: bool,
) -> Bytes {
    renders.bytes(store, view, id, || {
        let rec = store.get(e.table, id).unwrap_or_default();
        render_bytes(e, &rec, include, all)
    })
}

fn render_bytes(e: &Entity, rec: &Record, include: Option<&[&'static str]>, all: bool) -> Vec<u8> {
    to_json(&Rendered {
        e,
        rec,
        include,
        all,
    })
}

/// A query page's parts, read under the world lock; [`Page::response`] writes the body after.
pub(super) struct Page {
    items: Vec<Bytes>,
    details: Vec<u8>,
}

impl Page {
    pub(super) fn response(self) -> Response {
        const ITEMS: &[u8] = br#"{"items":"#;
        const DETAILS: &[u8] = br#","pageDetails":"#;
        // Sized exactly: one byte short, the closing brace would copy the whole page (36 KB
        // for 25 companies) into a buffer twice its size.
        let len = ITEMS.len() + total_len(&self.items) + DETAILS.len() + self.details.len() + 1;
        let mut body = Vec::with_capacity(len);
        body.extend_from_slice(ITEMS);
        push_array(&mut body, &self.items);
        body.extend_from_slice(DETAILS);
        body.extend_from_slice(&self.details);
        body.push(b'}');
        debug_assert_eq!(body.len(), len);
        json_response(body)
    }
}

/// One page of rows with id >= `start`. Paging walks ids forward, so a page costs time in
/// proportion to its size (plus skipped non-matching rows).
pub(super) fn query_page(
    world: &mut World,
    ctx: &RequestCtx,
    e: &'static Entity,
    spec: &QuerySpec,
    start: i64,
    previous: Vec<i64>,
) -> Page {
    // Rows are matched member by member from their stored bytes; a row is decoded only when
    // its rendered bytes are not kept.
    let mut rows: Vec<i64> = Vec::with_capacity(spec.max.min(MAX_PAGE));
    let mut next = None;
    if let Some(table) = world.store.table(e.table) {
        for id in table.ids_after(start.saturating_sub(1)) {
            if !spec.matches(&StoredRow { table, id }) {
                continue;
            }
            if rows.len() == spec.max {
                next = Some(id);
                break;
            }
            rows.push(id);
        }
    }
    let search = enc(&spec.raw.to_string());
    let link = |prev: &[i64], next_id: i64| {
        let paging = json!({"pageSize": spec.max, "previousIds": prev, "nextIds": [next_id]});
        Value::String(format!(
            "{}/{}/query/next?paging={}&search={search}",
            ctx.api_base,
            e.name,
            enc(&paging.to_string())
        ))
    };
    let next_url = match next {
        Some(n) => {
            let mut prev = previous.clone();
            prev.push(start);
            link(&prev, n)
        }
        None => Value::Null,
    };
    let prev_url = match previous.split_last() {
        Some((last, rest)) => link(rest, *last),
        None => Value::Null,
    };
    let page_details = json!({
        "count": rows.len(),
        "requestCount": spec.max,
        "prevPageUrl": prev_url,
        "nextPageUrl": next_url,
    });
    let include = spec.include.as_deref();
    let view = ViewKey::new(e, &include.map(|names| names.join(",")).unwrap_or_default());
    let items: Vec<Bytes> = rows
        .iter()
        .map(|&id| {
            rendered_bytes(
                &mut world.renders,
                &world.store,
                view,
                e,
                id,
                include,
                false,
            )
        })
        .collect();
    Page {
        items,
        details: to_json(&page_details),
    }
}
