//! Wire basics shared by every BMS route: errors and envelopes (V2 camelCase, V1 PascalCase),
//! reading bodies (JSON of either content type, urlencoded or multipart forms), reading input
//! members case-insensitively with type checks, and query parameters.

use crate::dialect::{get_ci, parse_json};
use crate::store::Record;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

/// A failed call: status, message and the field errors that go in `subErrors`.
pub struct ApiErr {
    pub status: StatusCode,
    pub message: String,
    pub sub: Vec<String>,
}

pub type R<T> = Result<T, ApiErr>;

impl ApiErr {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiErr {
            status,
            message: message.into(),
            sub: Vec::new(),
        }
    }
    pub fn bad(message: impl Into<String>) -> Self {
        ApiErr::new(StatusCode::BAD_REQUEST, message)
    }
    /// 400 with field errors (the .NET model-validation shape).
    pub fn invalid(sub: Vec<String>) -> Self {
        ApiErr {
            status: StatusCode::BAD_REQUEST,
            message: "One or more validation errors occurred.".into(),
            sub,
        }
    }
    pub fn not_found(what: &str, id: i64) -> Self {
        ApiErr::new(StatusCode::NOT_FOUND, format!("{what} {id} not found"))
    }
    /// Message and field errors in one line (V1 bodies and neutral-vocabulary errors).
    pub fn text(&self) -> String {
        if self.sub.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.message, self.sub.join("; "))
        }
    }
}

/// `Ok(())` when no field error was collected, else the 400 listing them.
pub fn check(errs: Vec<String>) -> R<()> {
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiErr::invalid(errs))
    }
}

/// Which API a route belongs to: they differ in envelope, casing and error body.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Api {
    V1,
    V2,
}

impl Api {
    /// A success answer; `total` only on paged lists (`totalRecords` / `TotalRecords`). V2
    /// serializes `result` straight into the envelope; V1 renames its members first.
    pub fn ok(self, result: impl serde::Serialize, total: Option<usize>) -> Response {
        match self {
            Api::V2 => {
                #[derive(serde::Serialize)]
                #[serde(rename_all = "camelCase")]
                struct Envelope<R> {
                    success: bool,
                    error: Option<()>,
                    result: R,
                    #[serde(skip_serializing_if = "Option::is_none")]
                    total_records: Option<usize>,
                }
                axum::Json(Envelope {
                    success: true,
                    error: None,
                    result,
                    total_records: total,
                })
                .into_response()
            }
            Api::V1 => {
                let result = serde_json::to_value(result).unwrap_or(Value::Null);
                let mut b = json!({"ResponseCode": 0, "Status": "OK", "Error": "None",
                                   "Result": pascal_keys(&result)});
                if let (Some(t), Some(o)) = (total, b.as_object_mut()) {
                    o.insert("TotalRecords".into(), Value::from(t));
                }
                axum::Json(b).into_response()
            }
        }
    }

    pub fn error(self, e: &ApiErr) -> Response {
        let body = match self {
            Api::V2 => json!({
                "success": false,
                "error": {
                    "code": e.status.as_u16(),
                    "message": e.message,
                    "details": null,
                    "stackStrace": null,
                    "subErrors": e.sub,
                },
                "result": null,
            }),
            // V1: any `Error` other than "None" means failure (the Ruby gem's test).
            Api::V1 => json!({
                "ResponseCode": e.status.as_u16(),
                "Status": e.status.canonical_reason().unwrap_or("Error"),
                "Error": e.text(),
                "Result": null,
            }),
        };
        (e.status, axum::Json(body)).into_response()
    }
}

/// What [`Api::ok`] writes on V2, with the `result` written by the caller as JSON bytes
/// (rendered bytes kept by `render_cache`); `capacity` is their length.
pub fn v2_envelope(
    capacity: usize,
    total: Option<usize>,
    result: impl FnOnce(&mut Vec<u8>),
) -> Response {
    // The envelope's own bytes: 38 before the result, 16 and up to 20 digits for the total, 1.
    let mut body = Vec::with_capacity(capacity + 75);
    body.extend_from_slice(br#"{"success":true,"error":null,"result":"#);
    result(&mut body);
    if let Some(t) = total {
        body.extend_from_slice(br#","totalRecords":"#);
        body.extend_from_slice(t.to_string().as_bytes());
    }
    body.push(b'}');
    crate::render_cache::json_response(body)
}

/// DELETE answers 200 with no body (as the spec declares).
pub fn ok_empty() -> Response {
    StatusCode::OK.into_response()
}

pub fn pascal_name(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// The V1 spelling of a V2 value: every member name PascalCase, at any depth.
pub fn pascal_keys(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (pascal_name(k), pascal_keys(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(pascal_keys).collect()),
        other => other.clone(),
    }
}

// ---------------------------------------------------------------------------------------------
// Typed input members.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ty {
    Str,
    /// An Int32.
    Int,
    /// An Int32 of at least 1 (`[Range(1, int.MaxValue)]` ids).
    Id,
    Bool,
    Num,
    /// A date-time: RFC 3339, or without offset, or a date alone (what .NET's DateTime reads).
    Date,
    /// An Int32 enum with these values.
    Enum(&'static [i64]),
    StrList,
    /// An array of the nested DTO named (`schema.json`), each item read member by member.
    List(&'static str),
}

/// Whether `s` is a date-time .NET's `DateTime` reads from JSON.
fn is_datetime(s: &str) -> bool {
    use psa_core::clock::parse_rfc3339;
    let s = s.trim();
    parse_rfc3339(s).is_some()
        || parse_rfc3339(&format!("{s}Z")).is_some()
        || (s.len() == 10 && parse_rfc3339(&format!("{s}T00:00:00Z")).is_some())
}

/// Coerces one input member. Choice: numeric strings are accepted for integers and
/// "true"/"false" for booleans (Newtonsoft-style leniency); any other mismatch is a 400.
pub fn coerce(name: &str, v: &Value, ty: Ty) -> Result<Value, String> {
    let fail = |what: &str| Err(format!("{name} must be {what}"));
    let int32 = |i: i64| i32::try_from(i).is_ok();
    match (ty, v) {
        (_, Value::Null) => Ok(Value::Null),
        (Ty::Str, Value::String(_)) => Ok(v.clone()),
        (Ty::Str, _) => fail("a string"),
        (Ty::Int | Ty::Id | Ty::Enum(_), _) => {
            let i = match v {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            match (ty, i) {
                (_, Some(i)) if !int32(i) => fail("an integer (Int32)"),
                (Ty::Id, Some(i)) if i < 1 => fail("between 1 and 2147483647"),
                (Ty::Enum(values), Some(i)) if !values.contains(&i) => {
                    fail(&format!("one of {values:?}"))
                }
                (_, Some(i)) => Ok(Value::from(i)),
                (_, None) => fail("an integer"),
            }
        }
        (Ty::Bool, Value::Bool(_)) => Ok(v.clone()),
        (Ty::Bool, Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        (Ty::Bool, Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        (Ty::Bool, _) => fail("a boolean"),
        (Ty::Num, Value::Number(_)) => Ok(v.clone()),
        (Ty::Num, _) => fail("a number"),
        (Ty::Date, Value::String(s)) if is_datetime(s) => Ok(v.clone()),
        (Ty::Date, _) => fail("a date-time"),
        (Ty::StrList, Value::Array(a)) if a.iter().all(Value::is_string) => Ok(v.clone()),
        (Ty::StrList, _) => fail("an array of strings"),
        (Ty::List(of), Value::Array(items)) => {
            let mut errs = Vec::new();
            let schema = super::schema::schema_of(of);
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item.as_object() {
                    Some(o) => {
                        let at = format!("{name}[{i}].");
                        out.push(Value::Object(read_schema(o, schema, &at, &mut errs)));
                    }
                    None => errs.push(format!("{name}[{i}] must be an object")),
                }
            }
            if errs.is_empty() {
                Ok(Value::Array(out))
            } else {
                Err(errs.join("; "))
            }
        }
        (Ty::List(_), _) => fail("an array"),
    }
}

/// A member schema: canonical camelCase names as stored and sent, with their types.
pub type Schema = [(&'static str, Ty)];

/// Reads the schema members present in `obj` (any key case) into canonical camelCase;
/// type errors are collected with `at` before the member name.
pub fn read_schema(
    obj: &Map<String, Value>,
    schema: &[(&str, Ty)],
    at: &str,
    errs: &mut Vec<String>,
) -> Record {
    let mut out = Record::new();
    for (name, ty) in schema {
        if let Some(v) = get_ci(obj, name) {
            match coerce(&format!("{at}{}", pascal_name(name)), v, *ty) {
                Ok(v) => {
                    out.insert((*name).to_string(), v);
                }
                Err(e) => errs.push(e),
            }
        }
    }
    out
}

pub fn missing(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    }
}

pub fn require(rec: &Record, names: &[&str], errs: &mut Vec<String>) {
    for n in names {
        if missing(rec.get(*n)) {
            errs.push(format!("{} is required", pascal_name(n)));
        }
    }
}

/// How a PUT treats members the body leaves out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// V2: absent members become null, except booleans, which keep their value (a .NET
    /// `bool` cannot be null, and clearing `isActive` by omission would be hostile).
    Replace,
    /// V1: absent members keep their value.
    Merge,
}

/// Applies the members `input` carries (already read by [`read_schema`]) to `rec`.
pub fn apply_put(rec: &mut Record, input: &Record, schema: &Schema, mode: Put) {
    for (m, ty) in schema {
        match input.get(*m) {
            Some(v) => {
                rec.insert((*m).into(), v.clone());
            }
            None if mode == Put::Merge || *ty == Ty::Bool => {}
            None => {
                rec.insert((*m).into(), Value::Null);
            }
        }
    }
}

/// A JSON Patch document applied to the members a schema allows; `remove` sets null and
/// `test` compares. Paths may carry a leading `/` and any case; `aliases` map extra path
/// names (the DTOs' other spellings) to members.
pub fn apply_patch(
    rec: &mut Record,
    ops: &[Value],
    schema: &Schema,
    aliases: &[(&str, &str)],
) -> R<()> {
    let mut errs = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let Some(o) = op.as_object() else {
            errs.push(format!("operation {i} must be an object"));
            continue;
        };
        let kind = get_ci(o, "op").and_then(Value::as_str).unwrap_or("");
        let Some(path) = get_ci(o, "path").and_then(Value::as_str) else {
            errs.push(format!("operation {i}: path is required"));
            continue;
        };
        let name = path.trim_start_matches('/');
        let name = aliases
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(name))
            .map(|(_, m)| *m)
            .unwrap_or(name);
        let Some((member, ty)) = schema.iter().find(|(m, _)| m.eq_ignore_ascii_case(name)) else {
            errs.push(format!(
                "operation {i}: path `{path}` is not a patchable member"
            ));
            continue;
        };
        let value = || {
            coerce(
                &pascal_name(member),
                get_ci(o, "value").unwrap_or(&Value::Null),
                *ty,
            )
        };
        match kind.to_ascii_lowercase().as_str() {
            "replace" | "add" => match value() {
                Ok(v) => {
                    rec.insert((*member).to_string(), v);
                }
                Err(e) => errs.push(format!("operation {i}: {e}")),
            },
            "remove" => {
                rec.insert((*member).to_string(), Value::Null);
            }
            "test" => match value() {
                Ok(v) if rec.get(*member).unwrap_or(&Value::Null) == &v => {}
                Ok(_) => errs.push(format!("operation {i}: test of `{path}` failed")),
                Err(e) => errs.push(format!("operation {i}: {e}")),
            },
            "" => errs.push(format!("operation {i}: op is required")),
            other => errs.push(format!(
                "operation {i}: op `{other}` is not supported (use replace, add, remove or test)"
            )),
        }
    }
    check(errs)
}

// ---------------------------------------------------------------------------------------------
// Bodies.

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// A JSON body: `application/json`, `application/json-patch+json` (what the spec lists) or
/// any other `+json`/`json` type; no Content-Type is read as JSON too.
pub fn json_body(headers: &HeaderMap, body: &[u8]) -> R<Value> {
    let ct = content_type(headers);
    if !ct.is_empty() && !ct.contains("json") {
        return Err(ApiErr::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json or application/json-patch+json",
        ));
    }
    parse_json(body).map_err(ApiErr::bad)
}

pub fn json_object(headers: &HeaderMap, body: &[u8]) -> R<Map<String, Value>> {
    match json_body(headers, body)? {
        Value::Object(o) => Ok(o),
        _ => Err(ApiErr::bad("request body must be a JSON object")),
    }
}

pub fn json_array(headers: &HeaderMap, body: &[u8]) -> R<Vec<Value>> {
    match json_body(headers, body)? {
        Value::Array(a) => Ok(a),
        _ => Err(ApiErr::bad("request body must be a JSON array")),
    }
}

/// Fields of an urlencoded or multipart/form-data body, names matched case-insensitively.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn read(headers: &HeaderMap, body: &[u8]) -> R<Form> {
        let ct = content_type(headers);
        if ct.starts_with("multipart/form-data") {
            // The boundary's case matters: read it from the header as sent.
            let raw = headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let boundary = raw
                .split(';')
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
                .map(|(_, v)| v.trim().trim_matches('"'))
                .filter(|b| !b.is_empty())
                .ok_or_else(|| ApiErr::bad("multipart/form-data needs a boundary"))?;
            return Ok(Form(parse_multipart(body, boundary)));
        }
        if ct.contains("json") {
            return Err(ApiErr::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "this route takes a form: application/x-www-form-urlencoded or multipart/form-data",
            ));
        }
        Ok(Form(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }

    pub fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

/// A minimal multipart reader: text fields only, enough for the authenticate form.
fn parse_multipart(body: &[u8], boundary: &str) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    let delim = format!("--{boundary}");
    let mut out = Vec::new();
    for part in text.split(delim.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let Some((head, value)) = part
            .split_once("\r\n\r\n")
            .or_else(|| part.split_once("\n\n"))
        else {
            continue;
        };
        let name = head.lines().find_map(|l| {
            let lower = l.to_ascii_lowercase();
            if !lower.starts_with("content-disposition") {
                return None;
            }
            let at = lower
                .find(" name=\"")
                .map(|i| i + 7)
                .or_else(|| lower.find(";name=\"").map(|i| i + 7))?;
            let rest = l.get(at..)?;
            rest.find('"').map(|end| rest[..end].to_string())
        });
        if let Some(name) = name {
            let value = value
                .strip_suffix("\r\n")
                .or_else(|| value.strip_suffix('\n'))
                .unwrap_or(value);
            out.push((name, value.to_string()));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Query parameters.

/// Query parameters; names are matched case-insensitively (ASP.NET model binding).
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(q: Option<&str>) -> Self {
        Query(
            url::form_urlencoded::parse(q.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// A query made of pairs (the JSON body of a `.../search` route).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Query(pairs)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.trim().is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated parameter (`Filter.Ids=1&Filter.Ids=2`, also `Filter.Ids[0]=1`
    /// and comma lists).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| {
                k.eq_ignore_ascii_case(name)
                    || k.get(..name.len())
                        .is_some_and(|head| head.eq_ignore_ascii_case(name))
                        && k.get(name.len()..).is_some_and(|t| t.starts_with('['))
            })
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn int(&self, name: &str) -> R<Option<i64>> {
        self.get(name).map(|v| parse_int(name, v)).transpose()
    }

    pub fn ints(&self, name: &str) -> R<Vec<i64>> {
        self.all(name)
            .into_iter()
            .map(|v| parse_int(name, v))
            .collect()
    }

    pub fn boolean(&self, name: &str) -> R<Option<bool>> {
        match self.get(name).map(str::trim) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ApiErr::bad(format!(
                "{name} must be true or false, got `{v}`"
            ))),
        }
    }
}

fn parse_int(name: &str, v: &str) -> R<i64> {
    v.trim()
        .parse()
        .map_err(|_| ApiErr::bad(format!("{name} must be an integer, got `{v}`")))
}

/// An id from a path segment; anything that is not a number names no record.
pub fn path_id(s: &str, what: &str) -> R<i64> {
    s.parse::<i64>()
        .map_err(|_| ApiErr::new(StatusCode::NOT_FOUND, format!("{what} `{s}` not found")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn text(r: Response) -> (String, String) {
        let ct = r.headers()[http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        let body = r.into_body().collect().await.unwrap().to_bytes();
        (ct, String::from_utf8(body.to_vec()).unwrap())
    }

    /// The envelope written around kept bytes is byte for byte what `Api::ok` serializes.
    #[tokio::test]
    async fn the_written_envelope_is_the_serialized_one() {
        let result = json!([{"id": 1, "name": "Acme \"Ltd\""}, {"id": 2}]);
        let raw = serde_json::to_vec(&result).unwrap();
        for total in [None, Some(0), Some(1234)] {
            let want = text(Api::V2.ok(&result, total)).await;
            let got = text(v2_envelope(raw.len(), total, |out| {
                out.extend_from_slice(&raw)
            }))
            .await;
            assert_eq!(got, want, "total {total:?}");
        }
    }
}
