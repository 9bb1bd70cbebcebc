//! Incoming values: Json.NET-like coercion to a field's type, and the write-body reader.

use super::schema::*;
use crate::clock::parse_rfc3339;
use crate::store::Record;
use serde_json::{Map, Value};

// ---------------------------------------------------------------------------------------------
// Values.

pub(super) fn type_error(field: &Field, v: &Value) -> String {
    type_error_as(field.name, field.ty, v)
}

fn type_error_as(name: &str, ty: Ty, v: &Value) -> String {
    format!(
        "Unable to convert value {v} to {} for field {name}.",
        ty.data_type()
    )
}

/// Converts an incoming value to the field's type the way Json.NET would (numeric strings to
/// numbers, "true"/"false" to booleans); anything else is a type error.
pub(super) fn coerce(field: &Field, v: &Value) -> Result<Value, String> {
    coerce_as(field.name, field.ty, v)
}

/// [`coerce`] for a member name and a type (filters relax string lengths).
pub(super) fn coerce_as(name: &str, ty: Ty, v: &Value) -> Result<Value, String> {
    let bad = || type_error_as(name, ty, v);
    Ok(match (ty, v) {
        (_, Value::Null) => Value::Null,
        (Ty::Str(len), _) => {
            let text = match v {
                Value::String(t) => t.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(bad()),
            };
            if text.chars().count() > len as usize {
                return Err(format!(
                    "The value for field {name} exceeds the maximum length of {len}."
                ));
            }
            Value::String(text)
        }
        (Ty::Int | Ty::Long | Ty::Short, Value::Number(n)) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => match n.as_f64() {
                Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Value::from(x as i64),
                _ => return Err(bad()),
            },
        },
        (Ty::Int | Ty::Long | Ty::Short, Value::String(t)) => {
            Value::from(t.trim().parse::<i64>().map_err(|_| bad())?)
        }
        (Ty::Bool, Value::Bool(b)) => Value::Bool(*b),
        (Ty::Bool, Value::String(t)) if t.eq_ignore_ascii_case("true") => Value::Bool(true),
        (Ty::Bool, Value::String(t)) if t.eq_ignore_ascii_case("false") => Value::Bool(false),
        (Ty::Bool, Value::Number(n)) if n.as_i64() == Some(0) => Value::Bool(false),
        (Ty::Bool, Value::Number(n)) if n.as_i64() == Some(1) => Value::Bool(true),
        (Ty::Double, Value::Number(n)) => n.as_f64().map(Value::from).ok_or_else(bad)?,
        (Ty::Double, Value::String(t)) => Value::from(t.trim().parse::<f64>().map_err(|_| bad())?),
        (Ty::Date, Value::String(t)) => {
            let secs = parse_rfc3339(t).ok_or_else(bad)?;
            Value::String(crate::clock::format_rfc3339(secs))
        }
        _ => return Err(bad()),
    })
}

/// Reads a write body: member names case-insensitively to the model's spelling, values to the
/// field types. Unknown members and read-only fields are ignored, as Autotask does; the
/// `userDefinedFields` list is kept for [`super::udf::accept`].
pub(super) fn write_input(e: &Entity, body: &Value) -> Result<Map<String, Value>, String> {
    let Value::Object(obj) = body else {
        return Err(format!(
            "Unable to parse the request body as a {} object.",
            e.model
        ));
    };
    let mut out = Map::new();
    for (k, v) in obj {
        // Checked against the tenant's definitions when the write is applied (`udf.rs`).
        if e.udf && k.eq_ignore_ascii_case("userDefinedFields") {
            out.insert("userDefinedFields".into(), v.clone());
            continue;
        }
        let Some(field) = e.field(k) else { continue };
        if field.read_only && field.name != "id" {
            continue;
        }
        out.insert(field.name.to_string(), coerce(field, v)?);
    }
    Ok(out)
}

pub(super) fn int(rec: &Record, key: &str) -> Option<i64> {
    rec.get(key).and_then(Value::as_i64)
}

pub(super) fn str_of<'a>(rec: &'a Record, key: &str) -> Option<&'a str> {
    rec.get(key).and_then(Value::as_str)
}

pub(super) fn row(v: Value) -> Record {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
