//! Rendering records and id-ordered paging with `nextPageUrl` links.

use super::super::*;
use super::filter::QuerySpec;
use super::schema::*;
use super::values::*;
use super::wire::enc;
use serde_json::json;

/// The wire shape of a record: every model field (null when unset), or only the included ones.
/// Write-only members (an attachment's `data`) are left out of lists and queries.
pub(super) fn render(e: &Entity, rec: &Record, include: Option<&[&'static str]>) -> Value {
    render_with(e, rec, include, false)
}

/// A single record as `GET {Entity}/{id}` answers it: every member, write-only ones too.
pub(super) fn render_item(e: &Entity, rec: &Record) -> Value {
    render_with(e, rec, None, true)
}

fn render_with(e: &Entity, rec: &Record, include: Option<&[&'static str]>, all: bool) -> Value {
    let mut out = Map::new();
    for field in &e.fields {
        if include.is_some_and(|names| !names.contains(&field.name)) {
            continue;
        }
        if field.write_only && !all {
            continue;
        }
        out.insert(
            field.name.into(),
            rec.get(field.name).cloned().unwrap_or(Value::Null),
        );
    }
    if e.udf {
        out.insert(
            "userDefinedFields".into(),
            rec.get("userDefinedFields")
                .cloned()
                .unwrap_or_else(|| json!([])),
        );
    }
    Value::Object(out)
}

/// One page of rows with id >= `start`. Paging walks ids forward, so a page costs time in
/// proportion to its size (plus skipped non-matching rows).
pub(super) fn query_page(
    world: &World,
    ctx: &RequestCtx,
    e: &Entity,
    spec: &QuerySpec,
    start: i64,
    previous: Vec<i64>,
) -> Value {
    let mut rows: Vec<&Record> = Vec::new();
    let mut next = None;
    if let Some(table) = world.store.table(e.table) {
        for rec in table.iter_after(start.saturating_sub(1)) {
            if !spec.matches(rec) {
                continue;
            }
            if rows.len() == spec.max {
                next = int(rec, "id");
                break;
            }
            rows.push(rec);
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
    let items: Vec<Value> = rows
        .iter()
        .map(|r| render(e, r, spec.include.as_deref()))
        .collect();
    json!({
        "items": items,
        "pageDetails": {
            "count": items.len(),
            "requestCount": spec.max,
            "prevPageUrl": prev_url,
            "nextPageUrl": next_url,
        }
    })
}
