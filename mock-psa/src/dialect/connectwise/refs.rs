//! References: stored as `{id}`, given by id / identifier / name, rendered `{id, name, _info}`.

use super::schema::{Label, RefSpec};
use super::*;

pub(super) fn ref_id(rec: &Record, member: &str) -> Option<i64> {
    rec.get(member)?.get("id")?.as_i64()
}

/// The first row of `table` (in id order) that `pick` accepts.
pub(super) fn first_where(
    store: &Store,
    table: &str,
    pick: impl Fn(&Record) -> bool,
) -> Option<i64> {
    store
        .rows(table)
        .find(|r| pick(r))
        .and_then(|r| r.get("id")?.as_i64())
}

// ---------------------------------------------------------------------------------------------
// Rendering: stored records hold references as `{id}`; responses carry labels and hrefs.

pub(super) fn label_of(store: &Store, spec: &RefSpec, id: i64) -> Option<Map<String, Value>> {
    let target = store.get(&spec.table, id)?;
    let mut out = Map::new();
    out.insert("id".into(), Value::from(id));
    match spec.label {
        Label::IdentifierName => {
            put(&mut out, "identifier", target.get("identifier").cloned());
            put(&mut out, "name", target.get("name").cloned());
        }
        Label::Name => {
            let name = target
                .get("name")
                .cloned()
                .or_else(|| {
                    // Contacts are labelled "First Last".
                    let first = target
                        .get("firstName")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let last = target.get("lastName").and_then(Value::as_str).unwrap_or("");
                    let full = format!("{first} {last}").trim().to_string();
                    (!full.is_empty()).then(|| Value::String(full))
                })
                .or_else(|| target.get("description").cloned());
            put(&mut out, "name", name);
        }
        Label::Description => put(&mut out, "name", target.get("description").cloned()),
    }
    Some(out)
}

/// Fills an href template: `{id}` is `id`, any other `{member}` the id `target` holds there.
pub(super) fn href(api_base: &str, template: &str, id: i64, target: Option<&Record>) -> String {
    let mut path = template.replace("{id}", &id.to_string());
    while let Some((start, len)) = path
        .find('{')
        .and_then(|s| path[s..].find('}').map(|e| (s, e + 1)))
    {
        let member = &path[start + 1..start + len - 1];
        let parent = target
            .and_then(|t| t.get(member))
            .and_then(|p| p.get("id"))
            .and_then(Value::as_i64)
            .map(|p| p.to_string())
            .unwrap_or_default();
        path.replace_range(start..start + len, &parent);
    }
    format!("{api_base}{path}")
}

pub(super) fn render_ref(
    store: &Store,
    spec: &RefSpec,
    raw: &Value,
    api_base: &str,
) -> Option<Value> {
    let id = raw.get("id")?.as_i64()?;
    let mut out = label_of(store, spec, id).unwrap_or_else(|| {
        let mut m = Map::new();
        m.insert("id".into(), Value::from(id));
        m
    });
    out.insert(
        "_info".into(),
        json!({ (spec.href_key.as_str()): href(api_base, &spec.href, id, store.get(&spec.table, id)) }),
    );
    Some(Value::Object(out))
}

// ---------------------------------------------------------------------------------------------
// Input: strict members, references by id / identifier / name, required fields.

/// A reference given by id, identifier or name (or description), as `{id}`; the error names
/// `member`.
pub(super) fn resolve_ref(
    store: &Store,
    spec: &RefSpec,
    member: &str,
    o: &Map<String, Value>,
) -> Result<Value, String> {
    let table = spec.table.as_str();
    if let Some(id) = o.get("id").and_then(Value::as_i64) {
        return if store.get(table, id).is_some() {
            Ok(json!({ "id": id }))
        } else {
            Err(format!("{member} (id={id}) was not found"))
        };
    }
    for key in ["identifier", "name", "description"] {
        if let Some(s) = o.get(key).and_then(Value::as_str) {
            let first = store.ids_with_text(table, key, s, true).first().copied();
            // By name, a row without a name answers to its description.
            let by_description = (key == "name")
                .then(|| store.ids_with_text(table, "description", s, true))
                .into_iter()
                .flatten()
                .find(|id| {
                    store
                        .get(table, *id)
                        .is_some_and(|r| !r.contains_key("name"))
                });
            let hit = match (first, by_description) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            return match hit {
                Some(id) => Ok(json!({ "id": id })),
                None => Err(format!("{member} ({key}={s}) was not found")),
            };
        }
    }
    Err(format!("{member} must be given by id, identifier or name"))
}
