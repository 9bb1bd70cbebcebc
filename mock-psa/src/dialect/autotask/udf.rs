//! User-defined fields. Which UDFs an entity has is tenant data, defined in the PSA's admin
//! pages: here the `udf_definitions` table (a small default set, extendable through the seed).
//! `entityInformation/userDefinedFields` lists them; a write's `userDefinedFields` is the
//! list `[{name, value}]` of the REST model, each name a defined UDF of the entity and each
//! value of its type; values are strings on the wire (the model's `value` is a string).
//! A write names only the UDFs it changes: the others keep their values.

use super::schema::*;
use super::values::coerce_as;
use crate::store::{Record, Store};
use serde_json::{json, Map, Value};

pub(super) const UDF_DEFINITIONS: &str = "udf_definitions";

/// The default definitions of a fresh tenant: one or two per UDF entity, of the data types
/// the API has (the mock's choice; the real set differs per instance).
pub(super) fn seed(store: &mut Store) {
    let defs = [
        ("Companies", "External ID", "string", 100, None),
        ("Companies", "Employee Count", "integer", 0, None),
        (
            "Companies",
            "Tier",
            "string",
            20,
            Some(&["Gold", "Silver", "Bronze"][..]),
        ),
        ("Contacts", "Preferred Channel", "string", 50, None),
        ("ConfigurationItems", "Warranty Notes", "string", 500, None),
        ("ConfigurationItems", "Purchase Price", "double", 0, None),
        ("Products", "Vendor SKU", "string", 50, None),
        ("Tickets", "Customer Reference", "string", 100, None),
        ("Tickets", "Follow Up", "datetime", 0, None),
    ];
    for (i, (entity, name, ty, length, picks)) in defs.into_iter().enumerate() {
        let picklist: Vec<Value> = picks
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .map(|(j, p)| json!({"value": p, "label": p, "sortOrder": j + 1, "isActive": true}))
            .collect();
        let mut r = Map::new();
        for (k, v) in [
            ("entity", json!(entity)),
            ("name", json!(name)),
            ("dataType", json!(ty)),
            ("length", json!(length)),
            ("isRequired", json!(false)),
            ("isPickList", json!(!picklist.is_empty())),
            ("picklistValues", json!(picklist)),
            ("isActive", json!(true)),
            ("sortOrder", json!(i + 1)),
        ] {
            r.insert(k.into(), v);
        }
        store.insert(UDF_DEFINITIONS, r);
    }
}

/// The ids of `e`'s definitions, told by the one member read from each stored row.
fn definition_ids<'a>(store: &'a Store, e: &'a Entity) -> impl Iterator<Item = i64> + 'a {
    let table = store.table(UDF_DEFINITIONS);
    table.into_iter().flat_map(|t| t.ids()).filter(move |&id| {
        store
            .value_at(UDF_DEFINITIONS, id, "entity")
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(|n| n.eq_ignore_ascii_case(e.name))
    })
}

fn definitions<'a>(store: &'a Store, e: &'a Entity) -> impl Iterator<Item = Record> + 'a {
    definition_ids(store, e).filter_map(|id| store.get(UDF_DEFINITIONS, id))
}

fn text<'a>(r: &'a Record, k: &str) -> &'a str {
    r.get(k).and_then(Value::as_str).unwrap_or("")
}

fn ty_of(def: &Record) -> Ty {
    match text(def, "dataType") {
        "integer" => Ty::Int,
        "double" => Ty::Double,
        "datetime" => Ty::Date,
        "boolean" => Ty::Bool,
        _ => match def.get("length").and_then(Value::as_u64) {
            Some(n) if n > 0 => Ty::Str(n as u32),
            _ => Ty::Str(u32::MAX),
        },
    }
}

/// `entityInformation/userDefinedFields`: the entity's definitions in the fields shape.
pub(super) fn info(store: &Store, e: &Entity) -> Value {
    let fields: Vec<Value> = definitions(store, e)
        .map(|d| {
            let picks = d.get("picklistValues").cloned().unwrap_or(json!([]));
            let is_pick = picks.as_array().is_some_and(|a| !a.is_empty());
            json!({
                "name": text(&d, "name"),
                "label": text(&d, "name"),
                "dataType": text(&d, "dataType"),
                "length": d.get("length").cloned().unwrap_or(json!(0)),
                "isRequired": d.get("isRequired").cloned().unwrap_or(json!(false)),
                "isReadOnly": false,
                "isQueryable": true,
                "isReference": false,
                "referenceEntityType": "",
                "isPickList": is_pick,
                "picklistValues": if is_pick { picks } else { Value::Null },
                "picklistParentValueField": "",
                "isSupportedWebhookField": false,
                "isActive": d.get("isActive").cloned().unwrap_or(json!(true)),
            })
        })
        .collect();
    json!({ "fields": fields })
}

/// Checks a write's `userDefinedFields` against the entity's definitions and merges them into
/// `old` (the stored list): the result is what is stored. On create every required UDF must
/// have a value.
pub(super) fn accept(
    store: &Store,
    e: &Entity,
    old: Option<&Value>,
    given: Option<&Value>,
    creating: bool,
) -> Result<Option<Value>, String> {
    let mut list: Vec<Value> = old.and_then(Value::as_array).cloned().unwrap_or_default();
    if let Some(given) = given.filter(|g| !g.is_null()) {
        let Value::Array(items) = given else {
            return Err(format!(
                "Unable to convert value {given} to UserDefinedField[] for field userDefinedFields."
            ));
        };
        for item in items {
            let Value::Object(o) = item else {
                return Err(format!(
                    "Unable to convert value {item} to UserDefinedField for field userDefinedFields."
                ));
            };
            let get = |k: &str| {
                o.iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(k))
                    .map(|p| p.1)
            };
            let Some(Value::String(name)) = get("name") else {
                return Err("A user-defined field needs a name (a string).".into());
            };
            let Some(def) =
                definitions(store, e).find(|d| text(d, "name").eq_ignore_ascii_case(name))
            else {
                return Err(format!(
                    "The user-defined field {name} does not exist for the {} entity.",
                    e.model
                ));
            };
            let defined = text(&def, "name");
            let value = coerce_as(defined, ty_of(&def), get("value").unwrap_or(&Value::Null))?;
            let value = match value {
                Value::Null => Value::Null,
                Value::String(s) => Value::String(s),
                other => Value::String(other.to_string()),
            };
            if let (Value::String(v), Some(Value::Array(picks))) =
                (&value, def.get("picklistValues"))
            {
                if !picks.is_empty() && !picks.iter().any(|p| p["value"] == *v) {
                    return Err(format!(
                        "Value {v} is not a valid picklist value for user-defined field {defined}."
                    ));
                }
            }
            let entry = json!({"name": defined, "value": value});
            match list.iter_mut().find(|x| x["name"] == defined) {
                Some(slot) => *slot = entry,
                None => list.push(entry),
            }
        }
    }
    if creating {
        let required = definition_ids(store, e).filter(|&id| {
            store.value_at(UDF_DEFINITIONS, id, "isRequired") == Some(Value::Bool(true))
        });
        for id in required {
            let name = store.value_at(UDF_DEFINITIONS, id, "name");
            let name = name.as_ref().and_then(Value::as_str).unwrap_or("");
            if !list
                .iter()
                .any(|x| x["name"] == name && !x["value"].is_null())
            {
                return Err(format!(
                    "Required user-defined field {name} is missing or null for the {} entity.",
                    e.model
                ));
            }
        }
    }
    Ok((!list.is_empty() || old.is_some()).then_some(Value::Array(list)))
}
