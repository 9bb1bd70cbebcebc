//! The schema-driven input engine: every member of a body is looked up in the type's schema
//! (unknown ones refused as Json.NET refuses them), type-checked, and turned into its stored
//! form (references as `{id}`). Read-only members are checked and dropped: the real API
//! deserializes them and then sets them itself.

use super::refs::resolve_ref;
use super::schema::{ref_spec, type_schema, Kind, Member, TypeSchema};
use super::*;

/// Why a body was refused: a conversion error (400 `ConnectWiseApi`, as Json.NET answers
/// before the record is looked at) or an invalid field (400 `InvalidObject` naming it).
#[derive(Debug)]
pub(super) enum Refusal {
    Convert(String),
    Field(String, String),
}

/// `Error converting value ... to type '...'. Path '...'.`, Json.NET's wording.
pub(super) fn convert_error(v: &Value, type_name: &str, path: &str) -> Refusal {
    let shown = match v {
        Value::String(s) => format!("\"{s}\""),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    };
    Refusal::Convert(format!(
        "Error converting value {shown} to type '{type_name}'. Path '{path}'."
    ))
}

pub(super) fn unknown_member(given: &str, owner: &str, path: &str) -> Refusal {
    Refusal::Convert(format!(
        "Could not find member '{given}' on object of type '{owner}'. Path '{path}'."
    ))
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && s.chars()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit()))
        || crate::clock::parse_rfc3339(s).is_some()
}

/// One member's value in its stored form. `owner` is the type the member belongs to, `path`
/// the Json.NET path of the value.
pub(super) fn check_value(
    store: &Store,
    owner: &str,
    m: &Member,
    v: &Value,
    path: &str,
) -> Result<Value, Refusal> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    let ok = |good: bool, type_name: &str| {
        if good {
            Ok(v.clone())
        } else {
            Err(convert_error(v, type_name, path))
        }
    };
    match m.kind {
        Kind::String => {
            let Some(s) = v.as_str() else {
                return Err(convert_error(v, "System.String", path));
            };
            if let Some(max) = m.max_length {
                if s.chars().count() > max {
                    return Err(Refusal::Field(
                        path.to_string(),
                        format!("{} may not exceed {max} characters.", m.name),
                    ));
                }
            }
            Ok(v.clone())
        }
        Kind::Integer => ok(
            v.as_i64()
                .is_some_and(|n| i32::try_from(n).is_ok() || m.name == "id"),
            "System.Int32",
        ),
        Kind::Number => ok(v.is_number(), "System.Double"),
        Kind::Boolean => ok(v.is_boolean(), "System.Boolean"),
        Kind::Datetime => ok(
            v.as_str()
                .is_some_and(|s| crate::clock::parse_rfc3339(s).is_some()),
            "System.DateTime",
        ),
        Kind::Date => ok(v.as_str().is_some_and(is_date), "System.DateTime"),
        Kind::Uuid => ok(v.as_str().is_some_and(is_uuid), "System.Guid"),
        Kind::Scalar => ok(!v.is_object() && !v.is_array(), "System.Object"),
        Kind::Info => ok(v.is_object(), "Dictionary`2"),
        Kind::Enum => {
            let hit = v
                .as_str()
                .and_then(|s| m.values.iter().find(|e| e.eq_ignore_ascii_case(s)));
            match hit {
                // Json.NET's enum converter ignores case; the stored value is the model's.
                Some(e) => Ok(Value::String(e.clone())),
                None => Err(convert_error(v, &format!("{owner}.{}", m.name), path)),
            }
        }
        Kind::StringList | Kind::IntegerList => {
            let Value::Array(items) = v else {
                return Err(convert_error(v, "List`1", path));
            };
            let (good, type_name): (fn(&Value) -> bool, _) = if m.kind == Kind::StringList {
                (Value::is_string, "System.String")
            } else {
                (|x: &Value| x.is_i64(), "System.Int32")
            };
            for (i, item) in items.iter().enumerate() {
                if !good(item) {
                    return Err(convert_error(item, type_name, &format!("{path}[{i}]")));
                }
            }
            Ok(v.clone())
        }
        Kind::CustomFields => object_list(store, "CustomFieldValue", v, path),
        Kind::ObjectList => object_list(store, m.of.as_deref().unwrap_or("Object"), v, path),
        Kind::Reference => reference(store, m, v, path),
        Kind::ReferenceList => {
            let Value::Array(items) = v else {
                return Err(convert_error(v, "List`1", path));
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(reference(store, m, item, &format!("{path}[{i}]"))?);
            }
            Ok(Value::Array(out))
        }
    }
}

/// A reference: resolved against the mock's table where it has one, else kept as written
/// (the mock does not serve members, calendars, tax codes, ...; see docs/decisions.md).
fn reference(store: &Store, m: &Member, v: &Value, path: &str) -> Result<Value, Refusal> {
    let type_name = m.reference.as_deref().unwrap_or("Reference");
    let Value::Object(o) = v else {
        return Err(convert_error(v, type_name, path));
    };
    let kept = reference_members(o, path)?;
    match ref_spec(type_name) {
        Some(spec) => {
            resolve_ref(store, spec, &m.name, o).map_err(|msg| Refusal::Field(m.name.clone(), msg))
        }
        // A reference the mock does not serve is kept as written.
        None => Ok(Value::Object(kept)),
    }
}

/// The members every reference type shares, type-checked as Json.NET reads them (`id` an
/// Int32, `identifier` and `name` strings, the rest scalars); `_info` and nulls are dropped.
pub(super) fn reference_members(
    o: &Map<String, Value>,
    path: &str,
) -> Result<Map<String, Value>, Refusal> {
    let mut kept = Map::new();
    for (k, x) in o {
        if k == "_info" || x.is_null() {
            continue;
        }
        let p = format!("{path}.{k}");
        let good = match k.as_str() {
            "id" => x.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
            "identifier" | "name" => x.is_string(),
            _ => !x.is_object() && !x.is_array(),
        };
        if !good {
            let t = if k == "id" {
                "System.Int32"
            } else {
                "System.String"
            };
            return Err(convert_error(x, t, &p));
        }
        kept.insert(k.clone(), x.clone());
    }
    Ok(kept)
}

fn object_list(store: &Store, of: &str, v: &Value, path: &str) -> Result<Value, Refusal> {
    let Value::Array(items) = v else {
        return Err(convert_error(v, "List`1", path));
    };
    let schema = type_schema(of);
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let Value::Object(o) = item else {
            return Err(convert_error(item, of, &p));
        };
        out.push(Value::Object(check_object(store, of, schema, o, &p)?));
    }
    Ok(Value::Array(out))
}

/// Checks every member of `input` against `schema`; the stored form keeps writable members
/// only (nulls dropped). `prefix` is the Json.NET path of the object (empty at the top).
pub(super) fn check_object(
    store: &Store,
    owner: &str,
    schema: &TypeSchema,
    input: &Map<String, Value>,
    prefix: &str,
) -> Result<Record, Refusal> {
    let mut rec = Record::new();
    for (given, v) in input {
        let path = if prefix.is_empty() {
            given.clone()
        } else {
            format!("{prefix}.{given}")
        };
        let Some(m) = schema.member(given) else {
            return Err(unknown_member(given, owner, &path));
        };
        let stored = check_value(store, owner, m, v, &path)?;
        if m.read_only || stored.is_null() {
            continue;
        }
        rec.insert(m.name.clone(), stored);
    }
    Ok(rec)
}

/// The defaults the server sets on create, for members the body did not give.
pub(super) fn apply_defaults(schema: &TypeSchema, rec: &mut Record) {
    for m in &schema.members {
        if let Some(d) = &m.default {
            rec.entry(m.name.clone()).or_insert_with(|| d.clone());
        }
    }
}
