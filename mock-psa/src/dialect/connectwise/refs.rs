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

/// Fills an href template: `{id}` is `id`, any other `{member}` the id the target holds
/// there (`member_id(member)`).
pub(super) fn href(
    api_base: &str,
    template: &str,
    id: i64,
    member_id: impl Fn(&str) -> Option<i64>,
) -> String {
    let mut path = template.replace("{id}", &id.to_string());
    while let Some((start, len)) = path
        .find('{')
        .and_then(|s| path[s..].find('}').map(|e| (s, e + 1)))
    {
        let member = &path[start + 1..start + len - 1];
        let parent = member_id(member).map(|p| p.to_string()).unwrap_or_default();
        path.replace_range(start..start + len, &parent);
    }
    format!("{api_base}{path}")
}

/// A stored reference `{id}` as the wire shows it: `{id, <label>, _info: {<href_key>: href}}`,
/// with the few members it shows read from the target row's bytes (the row is not decoded).
/// A reference without an id is returned as stored.
pub(super) struct RefView<'a> {
    pub(super) store: &'a Store,
    pub(super) spec: &'a RefSpec,
    pub(super) raw: &'a Value,
    pub(super) api_base: &'a str,
}

impl RefView<'_> {
    /// The id a stored reference holds, when it holds one.
    pub(super) fn id(raw: &Value) -> Option<i64> {
        raw.get("id")?.as_i64()
    }
}

impl serde::Serialize for RefView<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Some(id) = Self::id(self.raw) else {
            return self.raw.serialize(ser);
        };
        let table = self.spec.table.as_str();
        let member = |k: &str| self.store.value_at(table, id, k);
        let mut map = ser.serialize_map(None)?;
        map.serialize_entry("id", &id)?;
        let present = |k: &str| member(k).filter(|v| !v.is_null());
        match self.spec.label {
            Label::IdentifierName => {
                if let Some(v) = present("identifier") {
                    map.serialize_entry("identifier", &v)?;
                }
                if let Some(v) = present("name") {
                    map.serialize_entry("name", &v)?;
                }
            }
            Label::Name => {
                if let Some(v) = member("name") {
                    if !v.is_null() {
                        map.serialize_entry("name", &v)?;
                    }
                } else if self.store.contains(table, id) {
                    // Contacts are labelled "First Last".
                    let part = |k: &str| match member(k) {
                        Some(Value::String(s)) => s,
                        _ => String::new(),
                    };
                    let full = format!("{} {}", part("firstName"), part("lastName"));
                    let full = full.trim();
                    if !full.is_empty() {
                        map.serialize_entry("name", full)?;
                    } else if let Some(v) = present("description") {
                        map.serialize_entry("name", &v)?;
                    }
                }
            }
            Label::Description => {
                if let Some(v) = present("description") {
                    map.serialize_entry("name", &v)?;
                }
            }
        }
        let member_id = |m: &str| member(&format!("{m}.id")).and_then(|v| v.as_i64());
        let link = href(self.api_base, &self.spec.href, id, member_id);
        map.serialize_entry("_info", &OneMember(&self.spec.href_key, &link))?;
        map.end()
    }
}

/// `{name: value}`, without building a map.
struct OneMember<'a>(&'a str, &'a str);

impl serde::Serialize for OneMember<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = ser.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
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
        return if store.contains(table, id) {
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
