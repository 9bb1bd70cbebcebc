//! The BMS V2 dialect: Kaseya BMS, Pulseway PSA and Vorex PSA share this engine; the
//! personality only picks the brand, the id ranges of the seed and the [`Profile`] switches.
//!
//! Wire rules (see `shared/reference/bms-pulseway-vorex.md`): every V2 answer is
//! `{success, error, result}` (paged lists add `totalRecords`), output is camelCase, JSON
//! input is read case-insensitively, bearer tokens come from `/v2/security/authenticate`.
//! A legacy V1 subset (`/api/token`, `/api/crm/locations`) exists because V2 cannot create
//! or change a location once its account exists.
//!
//! Choices where the reference is silent are marked "Choice:" below.

use super::*;
use crate::clock::format_rfc3339;
use crate::state::Session;
use crate::store::page;
use axum::extract::State;
use axum::response::IntoResponse;
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Uri};
use serde_json::json;

pub struct BmsV2;

// ---------------------------------------------------------------------------------------------
// Per-personality profile.

/// What differs between the three products that share the engine.
struct Profile {
    /// IT Glue's documented BMS rule (first name, default e-mail, default phone, location) on
    /// contact create. Choice: on for Kaseya BMS, off for Pulseway PSA and Vorex PSA.
    contact_rule: bool,
    /// First id of each table. Choice: Pulseway uses large tenant-scoped ids everywhere
    /// (as its real tenants do for lookups), BMS and Vorex small distinct ranges.
    first_ids: &'static [(&'static str, i64)],
    /// Base for address / e-mail / phone ids (sub-records have their own id spaces).
    sub_id_base: i64,
}

fn profile(p: Personality) -> Profile {
    match p {
        Personality::Pulseway => Profile {
            contact_rule: false,
            first_ids: &[
                (ACCOUNTS, 5_021_001),
                (LOCATIONS, 6_130_001),
                (CONTACTS, 7_240_001),
                (ASSETS, 8_350_001),
                (ACCOUNT_TYPES, 40_481),
                (BUSINESS_TYPES, 38_402),
                (EMPLOYEES, 49_958),
                (EMAIL_TYPES, 41_101),
                (PHONE_TYPES, 41_201),
                (ASSET_CATEGORIES, 42_301),
                (ASSET_STATUSES, 42_401),
                (MANUFACTURERS, 43_501),
                (COUNTRIES, 1),
            ],
            sub_id_base: 9_000_000,
        },
        Personality::Vorex => Profile {
            contact_rule: false,
            first_ids: &[
                (ACCOUNTS, 20_001),
                (LOCATIONS, 30_001),
                (CONTACTS, 40_001),
                (ASSETS, 50_001),
                (ACCOUNT_TYPES, 101),
                (BUSINESS_TYPES, 201),
                (EMPLOYEES, 301),
                (EMAIL_TYPES, 401),
                (PHONE_TYPES, 501),
                (ASSET_CATEGORIES, 601),
                (ASSET_STATUSES, 701),
                (MANUFACTURERS, 801),
                (COUNTRIES, 1),
            ],
            sub_id_base: 90_000,
        },
        _ => Profile {
            contact_rule: true,
            first_ids: &[
                (ACCOUNTS, 1001),
                (LOCATIONS, 2001),
                (CONTACTS, 3001),
                (ASSETS, 4001),
                (ACCOUNT_TYPES, 1),
                (BUSINESS_TYPES, 11),
                (EMPLOYEES, 21),
                (EMAIL_TYPES, 31),
                (PHONE_TYPES, 41),
                (ASSET_CATEGORIES, 51),
                (ASSET_STATUSES, 61),
                (MANUFACTURERS, 71),
                (COUNTRIES, 1),
            ],
            sub_id_base: 10_000,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Tables.

const ACCOUNTS: &str = "accounts";
const LOCATIONS: &str = "locations";
const CONTACTS: &str = "contacts";
const ASSETS: &str = "hardware_assets";
const ACCOUNT_TYPES: &str = "account_types";
const BUSINESS_TYPES: &str = "business_types";
const EMPLOYEES: &str = "employees";
const EMAIL_TYPES: &str = "email_types";
const PHONE_TYPES: &str = "phone_types";
const ASSET_CATEGORIES: &str = "asset_categories";
const ASSET_STATUSES: &str = "asset_statuses";
const MANUFACTURERS: &str = "manufacturers";
const COUNTRIES: &str = "countries";
/// One row: tenant name and personality, read by `tenantName` and userinfo.
const TENANT: &str = "tenant";

/// `/v2/system/lookup/{tableName}` and `/tenantlookup/{tableName}` names. Choice: the
/// reference does not know the real names, these are the table names without separators.
const LOOKUP_TABLES: &[(&str, &str)] = &[
    ("accounttypes", ACCOUNT_TYPES),
    ("businesstypes", BUSINESS_TYPES),
    ("emailtypes", EMAIL_TYPES),
    ("phonetypes", PHONE_TYPES),
    ("assetcategories", ASSET_CATEGORIES),
    ("assetstatuses", ASSET_STATUSES),
    ("manufacturers", MANUFACTURERS),
    ("countries", COUNTRIES),
];

/// Actor written to audit fields (the seeded API user).
const ACTOR: &str = "API Employee";
/// Choice: `PageSize` when absent or <= 0.
const DEFAULT_PAGE_SIZE: u64 = 50;
/// Choice: refresh tokens live 30 virtual days.
const REFRESH_TTL: i64 = 30 * 86_400;
/// V1 token lifetime, from the Ruby gem's fixture.
const V1_TOKEN_TTL: i64 = 7_775_999;

// ---------------------------------------------------------------------------------------------
// Errors and envelopes.

struct ApiErr {
    status: StatusCode,
    message: String,
    sub: Vec<String>,
}

type R<T> = Result<T, ApiErr>;

impl ApiErr {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiErr {
            status,
            message: message.into(),
            sub: Vec::new(),
        }
    }
    fn bad(message: impl Into<String>) -> Self {
        ApiErr::new(StatusCode::BAD_REQUEST, message)
    }
    fn invalid(sub: Vec<String>) -> Self {
        ApiErr {
            status: StatusCode::BAD_REQUEST,
            message: "One or more validation errors occurred.".into(),
            sub,
        }
    }
    fn not_found(what: &str, id: i64) -> Self {
        ApiErr::new(StatusCode::NOT_FOUND, format!("{what} {id} not found"))
    }
    fn response(self) -> Response {
        envelope_error(self.status, &self.message, self.sub)
    }
}

fn envelope_error(status: StatusCode, message: &str, sub: Vec<String>) -> Response {
    let body = json!({
        "success": false,
        "error": {
            "code": status.as_u16(),
            "message": message,
            "details": null,
            "stackStrace": null,
            "subErrors": sub,
        },
        "result": null,
    });
    (status, axum::Json(body)).into_response()
}

fn ok(result: Value) -> Response {
    axum::Json(json!({"success": true, "error": null, "result": result})).into_response()
}

fn ok_paged(result: Vec<Value>, total: usize) -> Response {
    axum::Json(json!({"success": true, "error": null, "result": result, "totalRecords": total}))
        .into_response()
}

/// DELETE answers 200 with no body (as the spec declares).
fn ok_empty() -> Response {
    StatusCode::OK.into_response()
}

fn v1_ok(result: Value, total: Option<usize>) -> Response {
    let mut body = json!({"ResponseCode": 0, "Status": "OK", "Error": "None", "Result": result});
    if let (Some(t), Some(o)) = (total, body.as_object_mut()) {
        o.insert("TotalRecords".into(), Value::from(t));
    }
    axum::Json(body).into_response()
}

fn v1_error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "ResponseCode": status.as_u16(),
        "Status": status.canonical_reason().unwrap_or("Error"),
        "Error": message,
        "Result": null,
    });
    (status, axum::Json(body)).into_response()
}

// ---------------------------------------------------------------------------------------------
// Input helpers.

#[derive(Clone, Copy)]
enum Ty {
    Str,
    Int,
    Bool,
    Num,
}

/// Coerces one input member. Choice: numeric strings are accepted for ids and booleans as
/// "true"/"false" strings (Newtonsoft-style leniency); any other mismatch is a 400.
fn coerce(name: &str, v: &Value, ty: Ty) -> Result<Value, String> {
    let fail = |what: &str| Err(format!("{name} must be {what}"));
    match (ty, v) {
        (_, Value::Null) => Ok(Value::Null),
        (Ty::Str, Value::String(_)) => Ok(v.clone()),
        (Ty::Str, _) => fail("a string"),
        (Ty::Int, Value::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Value::from(i)),
            None => fail("an integer"),
        },
        (Ty::Int, Value::String(s)) => match s.trim().parse::<i64>() {
            Ok(i) => Ok(Value::from(i)),
            Err(_) => fail("an integer"),
        },
        (Ty::Int, _) => fail("an integer"),
        (Ty::Bool, Value::Bool(_)) => Ok(v.clone()),
        (Ty::Bool, Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        (Ty::Bool, Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        (Ty::Bool, _) => fail("a boolean"),
        (Ty::Num, Value::Number(_)) => Ok(v.clone()),
        (Ty::Num, _) => fail("a number"),
    }
}

/// Reads the schema members present in `obj` (any key case) into canonical camelCase.
fn read_schema(obj: &Map<String, Value>, schema: &[(&str, Ty)], errs: &mut Vec<String>) -> Record {
    let mut out = Record::new();
    for (name, ty) in schema {
        if let Some(v) = get_ci(obj, name) {
            match coerce(&pascal_name(name), v, *ty) {
                Ok(v) => {
                    out.insert((*name).to_string(), v);
                }
                Err(e) => errs.push(e),
            }
        }
    }
    out
}

fn pascal_name(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn missing(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        _ => false,
    }
}

fn require(rec: &Record, names: &[&str], errs: &mut Vec<String>) {
    for n in names {
        if missing(rec.get(*n)) {
            errs.push(format!("{} is required", pascal_name(n)));
        }
    }
}

fn is_json_content(headers: &HeaderMap) -> bool {
    match headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(ct) => ct.to_ascii_lowercase().contains("json"),
    }
}

fn json_body(headers: &HeaderMap, body: &[u8]) -> R<Value> {
    if !is_json_content(headers) {
        return Err(ApiErr::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json or application/json-patch+json",
        ));
    }
    parse_json(body).map_err(ApiErr::bad)
}

fn json_object(headers: &HeaderMap, body: &[u8]) -> R<Map<String, Value>> {
    match json_body(headers, body)? {
        Value::Object(o) => Ok(o),
        _ => Err(ApiErr::bad("request body must be a JSON object")),
    }
}

fn json_array(headers: &HeaderMap, body: &[u8]) -> R<Vec<Value>> {
    match json_body(headers, body)? {
        Value::Array(a) => Ok(a),
        _ => Err(ApiErr::bad("request body must be a JSON array")),
    }
}

/// Query parameters; names are matched case-insensitively.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(q: Option<&str>) -> Self {
        Query(
            url::form_urlencoded::parse(q.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }
    fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }
    fn int(&self, name: &str) -> R<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiErr::bad(format!("{name} must be an integer, got `{v}`"))),
        }
    }
    fn boolean(&self, name: &str) -> R<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ApiErr::bad(format!(
                "{name} must be true or false, got `{v}`"
            ))),
        }
    }
    /// `(offset, size)` from `PageNumber` (1-based, <= 0 is 1) and `PageSize` (default 50,
    /// capped at the configured maximum).
    fn paging(&self, max: u64) -> R<(usize, usize)> {
        let max = if max == 0 { 100 } else { max };
        let size = match self.int("PageSize")? {
            Some(s) if s > 0 => (s as u64).min(max),
            _ => DEFAULT_PAGE_SIZE.min(max),
        };
        let number = self.int("PageNumber")?.unwrap_or(1).max(1) as u64;
        let offset = (number - 1).saturating_mul(size);
        Ok((usize::try_from(offset).unwrap_or(usize::MAX), size as usize))
    }
}

fn contains_ci(hay: Option<&Value>, needle: &str) -> bool {
    hay.and_then(Value::as_str)
        .map(|h| h.to_lowercase().contains(&needle.to_lowercase()))
        .unwrap_or(false)
}

fn eq_ci(v: Option<&Value>, s: &str) -> bool {
    v.and_then(Value::as_str)
        .map(|x| x.eq_ignore_ascii_case(s))
        .unwrap_or(false)
}

fn id_of(r: &Record) -> i64 {
    r.get("id").and_then(Value::as_i64).unwrap_or(0)
}

fn int_of(r: &Record, k: &str) -> Option<i64> {
    r.get(k).and_then(Value::as_i64)
}

/// One page of `table` passing `keep`, with the number of matching rows. The page itself is
/// a slice (or a scan that stops when full); counting filtered totals scans the table.
fn list_page(
    store: &Store,
    table: &str,
    keep: Option<&dyn Fn(&Record) -> bool>,
    offset: usize,
    size: usize,
) -> (Vec<Record>, usize) {
    let t = store.table(table);
    let total = match (t, keep) {
        (None, _) => 0,
        (Some(t), None) => t.len(),
        (Some(t), Some(k)) => t.iter().filter(|r| k(r)).count(),
    };
    let p = page(t, keep, offset, size);
    (p.rows.into_iter().cloned().collect(), total)
}

/// Next id of a sub-record kind (addresses, e-mails, phones) stored inside `table` rows.
fn next_sub_id(store: &Store, table: &str, member: &str, base: i64) -> i64 {
    let max = store
        .rows(table)
        .flat_map(|r| {
            r.get(member)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|s| s.get("id").and_then(Value::as_i64))
        .max()
        .unwrap_or(base);
    max.max(base) + 1
}

fn lookup_exists(store: &Store, table: &str, id: Option<i64>) -> bool {
    id.map(|i| store.get(table, i).is_some()).unwrap_or(true)
}

fn name_of(store: &Store, table: &str, id: Option<&Value>) -> Value {
    lookup_name(store, table, "name", id)
        .map(Value::String)
        .unwrap_or(Value::Null)
}

fn default_lookup(store: &Store, table: &str) -> Option<i64> {
    store
        .rows(table)
        .find(|r| r.get("isDefault") == Some(&Value::Bool(true)))
        .or_else(|| store.rows(table).next())
        .map(id_of)
}

fn tenant_name(store: &Store) -> Value {
    store
        .rows(TENANT)
        .next()
        .and_then(|r| r.get("name").cloned())
        .unwrap_or(Value::Null)
}

fn sub_base(store: &Store) -> i64 {
    store
        .rows(TENANT)
        .next()
        .and_then(|r| int_of(r, "subIdBase"))
        .unwrap_or(10_000)
}

fn contact_rule(store: &Store) -> bool {
    store
        .rows(TENANT)
        .next()
        .and_then(|r| r.get("contactRule").and_then(Value::as_bool))
        .unwrap_or(false)
}

fn audit_new(rec: &mut Record, now: &str) {
    rec.insert("createdBy".into(), json!(ACTOR));
    rec.insert("createdOn".into(), json!(now));
    rec.insert("modifiedBy".into(), json!(ACTOR));
    rec.insert("modifiedOn".into(), json!(now));
}

fn audit_touch(rec: &mut Record, now: &str) {
    rec.insert("modifiedBy".into(), json!(ACTOR));
    rec.insert("modifiedOn".into(), json!(now));
}

/// A JSON Patch document applied to the members a schema allows; `remove` sets null.
/// Paths may carry a leading `/` and any case; `aliases` map extra path names to members.
fn apply_patch(
    rec: &mut Record,
    ops: &[Value],
    schema: &[(&str, Ty)],
    aliases: &[(&str, &str)],
) -> R<()> {
    let mut errs = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let Some(o) = op.as_object() else {
            errs.push(format!("operation {i} must be an object"));
            continue;
        };
        let kind = get_ci(o, "op").and_then(Value::as_str).unwrap_or("");
        let path = get_ci(o, "path").and_then(Value::as_str).unwrap_or("");
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
        match kind.to_ascii_lowercase().as_str() {
            "replace" | "add" => {
                let v = get_ci(o, "value").unwrap_or(&Value::Null);
                match coerce(&pascal_name(member), v, *ty) {
                    Ok(v) => {
                        rec.insert((*member).to_string(), v);
                    }
                    Err(e) => errs.push(format!("operation {i}: {e}")),
                }
            }
            "remove" => {
                rec.insert((*member).to_string(), Value::Null);
            }
            "test" => {}
            other => errs.push(format!(
                "operation {i}: op `{other}` is not supported (use replace, add or remove)"
            )),
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiErr::invalid(errs))
    }
}

// ---------------------------------------------------------------------------------------------
// Schemas (canonical member names as stored and sent).

const ACCOUNT_SCHEMA: &[(&str, Ty)] = &[
    ("accountName", Ty::Str),
    ("accountCode", Ty::Str),
    ("accountTypeId", Ty::Int),
    ("businessTypeId", Ty::Int),
    ("accountManagerId", Ty::Int),
    ("parentId", Ty::Int),
    ("description", Ty::Str),
    ("website", Ty::Str),
    ("serviceTypeId", Ty::Int),
    ("currencyId", Ty::Int),
    ("salesTaxItemId", Ty::Int),
    ("classId", Ty::Int),
    ("isActive", Ty::Bool),
    ("acquiredDate", Ty::Str),
    ("creditLimit", Ty::Num),
    ("netDays", Ty::Int),
    ("routeInvoiceToParent", Ty::Bool),
];
const ACCOUNT_REQUIRED: &[&str] = &[
    "accountName",
    "accountTypeId",
    "businessTypeId",
    "accountManagerId",
];

const LOCATION_SCHEMA: &[(&str, Ty)] = &[
    ("locationName", Ty::Str),
    ("isMain", Ty::Bool),
    ("isActive", Ty::Bool),
];

const ADDRESS_SCHEMA: &[(&str, Ty)] = &[
    ("address1", Ty::Str),
    ("address2", Ty::Str),
    ("city", Ty::Str),
    ("state", Ty::Str),
    ("zipCode", Ty::Str),
    ("countryId", Ty::Int),
    ("country", Ty::Str),
    ("phone", Ty::Str),
    ("fax", Ty::Str),
    ("emailAddress", Ty::Str),
    ("isMain", Ty::Bool),
    ("isBilling", Ty::Bool),
];

const CONTACT_PUT_SCHEMA: &[(&str, Ty)] = &[
    ("accountId", Ty::Int),
    ("locationId", Ty::Int),
    ("firstName", Ty::Str),
    ("middleName", Ty::Str),
    ("lastName", Ty::Str),
    ("jobTitle", Ty::Str),
    ("isPoc", Ty::Bool),
    ("isActive", Ty::Bool),
    ("receiveInvoices", Ty::Bool),
    ("billByContact", Ty::Bool),
    ("effectiveDate", Ty::Str),
];
/// Wire names that differ from the stored member (`Poc` on input, `isPoc` on output).
const CONTACT_ALIASES: &[(&str, &str)] =
    &[("poc", "isPoc"), ("recieveInvoices", "receiveInvoices")];

const ASSET_SCHEMA: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("accountId", Ty::Int),
    ("accountLocationId", Ty::Int),
    ("categoryId", Ty::Int),
    ("contactId", Ty::Int),
    ("statusId", Ty::Int),
    ("serialNumber", Ty::Str),
    ("macAddress", Ty::Str),
    ("modelNumber", Ty::Str),
    ("manufacturerId", Ty::Int),
    ("description", Ty::Str),
    ("locationInfo", Ty::Str),
    ("barCode", Ty::Str),
    ("assetTag", Ty::Str),
    ("ipAddress", Ty::Str),
    ("computerName", Ty::Str),
    ("osType", Ty::Str),
    ("osInfo", Ty::Str),
    ("purchaseCost", Ty::Num),
    ("acquisitionDate", Ty::Str),
    ("warrantyExpirationDate", Ty::Str),
    ("isActive", Ty::Bool),
];
const ASSET_REQUIRED: &[&str] = &["name", "accountId", "accountLocationId", "categoryId"];

// ---------------------------------------------------------------------------------------------
// Accounts and locations.

fn check_account_refs(store: &Store, rec: &Record, self_id: Option<i64>) -> R<()> {
    let mut errs = Vec::new();
    let checks = [
        ("accountTypeId", ACCOUNT_TYPES),
        ("businessTypeId", BUSINESS_TYPES),
        ("accountManagerId", EMPLOYEES),
    ];
    for (member, table) in checks {
        if !lookup_exists(store, table, int_of(rec, member)) {
            errs.push(format!(
                "{} {} does not exist",
                pascal_name(member),
                int_of(rec, member).unwrap_or(0)
            ));
        }
    }
    if let Some(p) = int_of(rec, "parentId") {
        if store.get(ACCOUNTS, p).is_none() || Some(p) == self_id {
            errs.push(format!("ParentId {p} is not a valid parent account"));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiErr::invalid(errs))
    }
}

/// Reads one `Locations[]` / V1 location body into (location members, addresses).
fn read_location(
    obj: &Map<String, Value>,
    at: &str,
    errs: &mut Vec<String>,
    need_addresses: bool,
) -> (Record, Option<Vec<Record>>) {
    let mut le = Vec::new();
    let loc = read_schema(obj, LOCATION_SCHEMA, &mut le);
    let addresses = match get_ci(obj, "addresses") {
        Some(Value::Array(a)) => {
            let mut out = Vec::new();
            for (j, addr) in a.iter().enumerate() {
                match addr.as_object() {
                    Some(ao) => out.push(read_schema(ao, ADDRESS_SCHEMA, &mut le)),
                    None => le.push(format!("Addresses[{j}] must be an object")),
                }
            }
            Some(out)
        }
        None | Some(Value::Null) => {
            if need_addresses {
                le.push("Addresses is required".into());
            }
            None
        }
        Some(_) => {
            le.push("Addresses must be an array".into());
            None
        }
    };
    errs.extend(le.into_iter().map(|e| format!("{at}{e}")));
    (loc, addresses)
}

fn build_addresses(store: &Store, addrs: Vec<Record>, now: &str) -> Vec<Value> {
    let mut next = next_sub_id(store, LOCATIONS, "addresses", sub_base(store));
    addrs
        .into_iter()
        .map(|a| {
            let mut r = Record::new();
            r.insert("id".into(), Value::from(next));
            next += 1;
            for (m, _) in ADDRESS_SCHEMA {
                r.insert((*m).into(), a.get(*m).cloned().unwrap_or(Value::Null));
            }
            audit_new(&mut r, now);
            Value::Object(r)
        })
        .collect()
}

/// Stores a location of `account_id`; a new main location demotes the previous one.
fn insert_location(world: &mut World, account_id: i64, loc: Record, addresses: Vec<Record>) -> i64 {
    let now = world.clock.rfc3339();
    let has_main = world.store.rows(LOCATIONS).any(|r| {
        int_of(r, "accountId") == Some(account_id) && r.get("isMain") == Some(&Value::Bool(true))
    });
    let is_main = match loc.get("isMain").and_then(Value::as_bool) {
        Some(b) => b,
        None => !has_main,
    };
    if is_main && has_main {
        demote_mains(&mut world.store, account_id);
    }
    let addresses = build_addresses(&world.store, addresses, &now);
    let mut rec = Record::new();
    rec.insert("accountId".into(), Value::from(account_id));
    rec.insert(
        "locationName".into(),
        loc.get("locationName").cloned().unwrap_or(Value::Null),
    );
    rec.insert("isMain".into(), Value::Bool(is_main));
    rec.insert(
        "isActive".into(),
        Value::Bool(loc.get("isActive").and_then(Value::as_bool).unwrap_or(true)),
    );
    audit_new(&mut rec, &now);
    rec.insert("addresses".into(), Value::Array(addresses));
    let id = world.store.insert(LOCATIONS, rec);
    if let Some(acc) = world.store.table_mut(ACCOUNTS).get_mut(account_id) {
        if let Some(Value::Array(ids)) = acc.get_mut("locationIds") {
            ids.push(Value::from(id));
        } else {
            acc.insert("locationIds".into(), json!([id]));
        }
    }
    id
}

fn demote_mains(store: &mut Store, account_id: i64) {
    let ids: Vec<i64> = store
        .rows(LOCATIONS)
        .filter(|r| int_of(r, "accountId") == Some(account_id))
        .map(id_of)
        .collect();
    for id in ids {
        if let Some(r) = store.table_mut(LOCATIONS).get_mut(id) {
            r.insert("isMain".into(), Value::Bool(false));
        }
    }
}

fn create_account(world: &mut World, body: &Map<String, Value>) -> R<i64> {
    let mut errs = Vec::new();
    let mut rec = read_schema(body, ACCOUNT_SCHEMA, &mut errs);
    require(&rec, ACCOUNT_REQUIRED, &mut errs);
    let mut locations = Vec::new();
    match get_ci(body, "locations") {
        Some(Value::Array(a)) => {
            if a.is_empty() {
                errs.push("Locations must contain at least one location".into());
            }
            for (i, l) in a.iter().enumerate() {
                let at = format!("Locations[{i}].");
                match l.as_object() {
                    Some(o) => {
                        let (loc, addrs) = read_location(o, &at, &mut errs, true);
                        if missing(loc.get("locationName")) {
                            errs.push(format!("{at}LocationName is required"));
                        }
                        locations.push((loc, addrs.unwrap_or_default()));
                    }
                    None => errs.push(format!("Locations[{i}] must be an object")),
                }
            }
        }
        None | Some(Value::Null) => errs.push("Locations is required".into()),
        Some(_) => errs.push("Locations must be an array".into()),
    }
    if !errs.is_empty() {
        return Err(ApiErr::invalid(errs));
    }
    check_account_refs(&world.store, &rec, None)?;
    let now = world.clock.rfc3339();
    if !matches!(rec.get("isActive"), Some(Value::Bool(_))) {
        rec.insert("isActive".into(), Value::Bool(true));
    }
    let mut full = Record::new();
    for (m, _) in ACCOUNT_SCHEMA {
        full.insert((*m).into(), rec.get(*m).cloned().unwrap_or(Value::Null));
    }
    audit_new(&mut full, &now);
    full.insert("locationIds".into(), json!([]));
    let id = world.store.insert(ACCOUNTS, full);
    // The first location flagged main wins; without a flag the first location is main.
    let main_at = locations
        .iter()
        .position(|(l, _)| l.get("isMain") == Some(&Value::Bool(true)))
        .unwrap_or(0);
    for (i, (mut loc, addrs)) in locations.into_iter().enumerate() {
        loc.insert("isMain".into(), Value::Bool(i == main_at));
        insert_location(world, id, loc, addrs);
    }
    Ok(id)
}

fn location_out(store: &Store, loc: &Record) -> Value {
    let mut o = Map::new();
    for k in [
        "id",
        "createdBy",
        "createdOn",
        "modifiedBy",
        "modifiedOn",
        "accountId",
        "locationName",
        "isMain",
        "isActive",
    ] {
        o.insert(k.into(), loc.get(k).cloned().unwrap_or(Value::Null));
    }
    o.insert(
        "accountName".into(),
        account_name(store, int_of(loc, "accountId")),
    );
    o.insert("timeZoneId".into(), Value::Null);
    o.insert("dateFormatId".into(), Value::Null);
    o.insert("timeFormatId".into(), Value::Null);
    o.insert(
        "addresses".into(),
        loc.get("addresses").cloned().unwrap_or_else(|| json!([])),
    );
    Value::Object(o)
}

fn account_name(store: &Store, id: Option<i64>) -> Value {
    id.and_then(|i| store.get(ACCOUNTS, i))
        .and_then(|a| a.get("accountName").cloned())
        .unwrap_or(Value::Null)
}

fn location_name(store: &Store, id: Option<i64>) -> Value {
    id.and_then(|i| store.get(LOCATIONS, i))
        .and_then(|a| a.get("locationName").cloned())
        .unwrap_or(Value::Null)
}

fn account_locations<'a>(store: &'a Store, acc: &Record) -> Vec<&'a Record> {
    acc.get("locationIds")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_i64)
                .filter_map(|id| store.get(LOCATIONS, id))
                .collect()
        })
        .unwrap_or_default()
}

fn main_location<'a>(store: &'a Store, acc: &Record) -> Option<&'a Record> {
    let locs = account_locations(store, acc);
    locs.iter()
        .find(|l| l.get("isMain") == Some(&Value::Bool(true)))
        .or_else(|| locs.first())
        .copied()
}

fn account_out(store: &Store, acc: &Record) -> Value {
    let g = |k: &str| acc.get(k).cloned().unwrap_or(Value::Null);
    let mut o = Map::new();
    for k in [
        "id",
        "createdBy",
        "createdOn",
        "modifiedBy",
        "modifiedOn",
        "parentId",
    ] {
        o.insert(k.into(), g(k));
    }
    o.insert("accountCode".into(), g("accountCode"));
    o.insert("accountTypeId".into(), g("accountTypeId"));
    o.insert(
        "accountType".into(),
        name_of(store, ACCOUNT_TYPES, acc.get("accountTypeId")),
    );
    o.insert("accountName".into(), g("accountName"));
    o.insert("businessTypeId".into(), g("businessTypeId"));
    o.insert(
        "businessType".into(),
        name_of(store, BUSINESS_TYPES, acc.get("businessTypeId")),
    );
    o.insert("serviceTypeId".into(), g("serviceTypeId"));
    o.insert("serviceType".into(), Value::Null);
    o.insert("accountManagerId".into(), g("accountManagerId"));
    o.insert(
        "accountManagerUserName".into(),
        name_of(store, EMPLOYEES, acc.get("accountManagerId")),
    );
    o.insert("currencyId".into(), g("currencyId"));
    o.insert("currencyName".into(), Value::Null);
    o.insert("creditLimit".into(), g("creditLimit"));
    o.insert("netDays".into(), g("netDays"));
    o.insert("salesTaxItemId".into(), g("salesTaxItemId"));
    o.insert("salesTaxItemName".into(), Value::Null);
    o.insert("website".into(), g("website"));
    o.insert("description".into(), g("description"));
    o.insert("classId".into(), g("classId"));
    o.insert("className".into(), Value::Null);
    o.insert("isActive".into(), g("isActive"));
    o.insert("isBilling".into(), Value::Bool(false));
    o.insert("acquiredDate".into(), g("acquiredDate"));
    o.insert("tenantName".into(), tenant_name(store));
    let locs: Vec<Value> = account_locations(store, acc)
        .into_iter()
        .map(|l| location_out(store, l))
        .collect();
    o.insert("locations".into(), Value::Array(locs));
    Value::Object(o)
}

fn get_account(store: &Store, id: i64) -> R<&Record> {
    store
        .get(ACCOUNTS, id)
        .ok_or_else(|| ApiErr::not_found("Account", id))
}

fn validate_account(store: &Store, rec: &Record, id: i64) -> R<()> {
    let mut errs = Vec::new();
    require(rec, ACCOUNT_REQUIRED, &mut errs);
    if !errs.is_empty() {
        return Err(ApiErr::invalid(errs));
    }
    check_account_refs(store, rec, Some(id))
}

fn save(world: &mut World, table: &str, id: i64, mut rec: Record) {
    let now = world.clock.rfc3339();
    audit_touch(&mut rec, &now);
    if let Some(slot) = world.store.table_mut(table).get_mut(id) {
        *slot = rec;
    }
}

fn put_account(world: &mut World, id: i64, body: &Map<String, Value>) -> R<()> {
    let old = get_account(&world.store, id)?.clone();
    let mut errs = Vec::new();
    let input = read_schema(body, ACCOUNT_SCHEMA, &mut errs);
    if !errs.is_empty() {
        return Err(ApiErr::invalid(errs));
    }
    let mut rec = old.clone();
    // Choice: PUT replaces every scalar member (absent = null) except `isActive`, which keeps
    // its value when absent.
    for (m, _) in ACCOUNT_SCHEMA {
        match input.get(*m) {
            Some(v) => {
                rec.insert((*m).into(), v.clone());
            }
            None if *m == "isActive" => {}
            None => {
                rec.insert((*m).into(), Value::Null);
            }
        }
    }
    validate_account(&world.store, &rec, id)?;
    save(world, ACCOUNTS, id, rec);
    Ok(())
}

fn patch_account(world: &mut World, id: i64, ops: &[Value]) -> R<()> {
    let mut rec = get_account(&world.store, id)?.clone();
    apply_patch(&mut rec, ops, ACCOUNT_SCHEMA, &[])?;
    validate_account(&world.store, &rec, id)?;
    save(world, ACCOUNTS, id, rec);
    Ok(())
}

fn list_accounts(store: &Store, q: &Query, max: u64) -> R<Response> {
    let (offset, size) = q.paging(max)?;
    let name = q.get("Filter.AccountName").map(str::to_string);
    let code = q.get("Filter.AccountCode").map(str::to_string);
    let active = q.boolean("Filter.IsActive")?;
    // Filter.AccountTypeId takes an id or a name (as the reference notes); AccountTypeName too.
    let type_id = q
        .get("Filter.AccountTypeId")
        .or(q.get("Filter.AccountTypeName"))
        .map(|v| match v.trim().parse::<i64>() {
            Ok(i) => i,
            Err(_) => lookup_id(store, ACCOUNT_TYPES, "name", v).unwrap_or(-1),
        });
    let filtered = name.is_some() || code.is_some() || active.is_some() || type_id.is_some();
    let keep = |r: &Record| {
        name.as_deref()
            .is_none_or(|n| contains_ci(r.get("accountName"), n))
            && code
                .as_deref()
                .is_none_or(|c| contains_ci(r.get("accountCode"), c))
            && active.is_none_or(|a| r.get("isActive").and_then(Value::as_bool) == Some(a))
            && type_id.is_none_or(|t| int_of(r, "accountTypeId") == Some(t))
    };
    let keep_ref: &dyn Fn(&Record) -> bool = &keep;
    let (rows, total) = list_page(store, ACCOUNTS, filtered.then_some(keep_ref), offset, size);
    Ok(ok_paged(
        rows.iter().map(|r| account_out(store, r)).collect(),
        total,
    ))
}

fn accounts_lookup(store: &Store, q: &Query, max: u64) -> R<Response> {
    let (offset, size) = q.paging(max)?;
    let name = q.get("Filter.Name").map(str::to_string);
    let ids: Vec<i64> = q
        .all("Filter.Ids")
        .iter()
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    // Choice: inactive accounts are left out unless Filter.WithInactiveAccounts=true.
    let with_inactive = q.boolean("Filter.WithInactiveAccounts")?.unwrap_or(false);
    let keep = |r: &Record| {
        name.as_deref()
            .is_none_or(|n| contains_ci(r.get("accountName"), n))
            && (ids.is_empty() || ids.contains(&id_of(r)))
            && (with_inactive || r.get("isActive") != Some(&Value::Bool(false)))
    };
    let (rows, _) = list_page(store, ACCOUNTS, Some(&keep), offset, size);
    let tenant = tenant_name(store);
    Ok(ok(Value::Array(
        rows.iter()
            .map(|r| {
                json!({"id": id_of(r), "name": r.get("accountName"), "tenantName": tenant,
                       "isActive": r.get("isActive")})
            })
            .collect(),
    )))
}

// ---------------------------------------------------------------------------------------------
// V1 locations.

fn v1_location_out(store: &Store, loc: &Record) -> Value {
    pascal_keys(&location_out(store, loc))
}

fn pascal_keys(v: &Value) -> Value {
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

fn v1_create_location(world: &mut World, body: &Map<String, Value>) -> R<i64> {
    let mut errs = Vec::new();
    let (loc, addrs) = read_location(body, "", &mut errs, false);
    let account = match get_ci(body, "accountId").map(|v| coerce("AccountId", v, Ty::Int)) {
        Some(Ok(Value::Number(n))) => n.as_i64(),
        Some(Err(e)) => {
            errs.push(e);
            None
        }
        _ => {
            errs.push("AccountId is required".into());
            None
        }
    };
    if missing(loc.get("locationName")) {
        errs.push("LocationName is required".into());
    }
    if !errs.is_empty() {
        return Err(ApiErr::invalid(errs));
    }
    let account = account.unwrap_or(0);
    get_account(&world.store, account)?;
    Ok(insert_location(
        world,
        account,
        loc,
        addrs.unwrap_or_default(),
    ))
}

/// V1 PUT: members present replace, absent ones stay; `Addresses[i]` merges into the i-th.
fn v1_update_location(world: &mut World, id: i64, body: &Map<String, Value>) -> R<()> {
    let mut rec = world
        .store
        .get(LOCATIONS, id)
        .cloned()
        .ok_or_else(|| ApiErr::not_found("Location", id))?;
    let mut errs = Vec::new();
    let (loc, addrs) = read_location(body, "", &mut errs, false);
    if !errs.is_empty() {
        return Err(ApiErr::invalid(errs));
    }
    if loc.contains_key("locationName") && missing(loc.get("locationName")) {
        return Err(ApiErr::invalid(vec!["LocationName is required".into()]));
    }
    let account_id = int_of(&rec, "accountId").unwrap_or(0);
    let becomes_main = loc.get("isMain") == Some(&Value::Bool(true))
        && rec.get("isMain") != Some(&Value::Bool(true));
    for (k, v) in loc {
        rec.insert(k, v);
    }
    let now = world.clock.rfc3339();
    if let Some(addrs) = addrs {
        let mut existing: Vec<Value> = rec
            .get("addresses")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut fresh = Vec::new();
        for (i, a) in addrs.into_iter().enumerate() {
            match existing.get_mut(i).and_then(Value::as_object_mut) {
                Some(old) => {
                    for (k, v) in a {
                        old.insert(k, v);
                    }
                    audit_touch(old, &now);
                }
                None => fresh.push(a),
            }
        }
        existing.extend(build_addresses(&world.store, fresh, &now));
        rec.insert("addresses".into(), Value::Array(existing));
    }
    if becomes_main {
        demote_mains(&mut world.store, account_id);
    }
    save(world, LOCATIONS, id, rec);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Contacts.

fn read_emails(store: &Store, body: &Map<String, Value>, errs: &mut Vec<String>) -> Vec<Value> {
    read_channels(
        store,
        body,
        "emails",
        "emailAddress",
        "emailTypeId",
        EMAIL_TYPES,
        errs,
    )
}

fn read_phones(store: &Store, body: &Map<String, Value>, errs: &mut Vec<String>) -> Vec<Value> {
    read_channels(
        store,
        body,
        "phones",
        "phoneNumber",
        "phoneTypeId",
        PHONE_TYPES,
        errs,
    )
}

/// Reads `Emails[]` / `Phones[]`; stored as `{id, <value>, <typeId>, isDefault}`. Exactly one
/// entry ends up default (the first flagged, else the first).
fn read_channels(
    store: &Store,
    body: &Map<String, Value>,
    member: &str,
    value_key: &str,
    type_key: &str,
    type_table: &str,
    errs: &mut Vec<String>,
) -> Vec<Value> {
    let label = pascal_name(member);
    let items = match get_ci(body, member) {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(a)) => a,
        Some(_) => {
            errs.push(format!("{label} must be an array"));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let mut next = next_sub_id(store, CONTACTS, member, sub_base(store) + 500_000);
    for (i, item) in items.iter().enumerate() {
        let Some(o) = item.as_object() else {
            errs.push(format!("{label}[{i}] must be an object"));
            continue;
        };
        let schema = [
            (value_key, Ty::Str),
            (type_key, Ty::Int),
            ("isDefault", Ty::Bool),
        ];
        let mut e = Vec::new();
        let mut r = read_schema(o, &schema, &mut e);
        errs.extend(e.into_iter().map(|m| format!("{label}[{i}].{m}")));
        if missing(r.get(value_key)) {
            errs.push(format!(
                "{label}[{i}].{} is required",
                pascal_name(value_key)
            ));
        }
        let ty = match int_of(&r, type_key) {
            Some(t) => Some(t),
            None => default_lookup(store, type_table),
        };
        if !lookup_exists(store, type_table, ty) {
            errs.push(format!(
                "{label}[{i}].{} {} does not exist",
                pascal_name(type_key),
                ty.unwrap_or(0)
            ));
        }
        r.insert(type_key.into(), json!(ty));
        r.insert(
            "isDefault".into(),
            Value::Bool(r.get("isDefault").and_then(Value::as_bool).unwrap_or(false)),
        );
        let mut full = Record::new();
        full.insert("id".into(), Value::from(next));
        next += 1;
        full.extend(r);
        out.push(Value::Object(full));
    }
    normalize_default(&mut out);
    out
}

fn normalize_default(items: &mut [Value]) {
    let first = items
        .iter()
        .position(|v| v.get("isDefault") == Some(&Value::Bool(true)))
        .unwrap_or(0);
    for (i, v) in items.iter_mut().enumerate() {
        if let Some(o) = v.as_object_mut() {
            o.insert("isDefault".into(), Value::Bool(i == first));
        }
    }
}

fn check_contact_refs(store: &Store, rec: &Record) -> R<()> {
    let mut errs = Vec::new();
    let account = int_of(rec, "accountId");
    match account {
        Some(a) if store.get(ACCOUNTS, a).is_some() => {}
        Some(a) => errs.push(format!("AccountId {a} does not exist")),
        None => errs.push("AccountId is required".into()),
    }
    if let Some(l) = int_of(rec, "locationId") {
        let ok = store
            .get(LOCATIONS, l)
            .map(|loc| int_of(loc, "accountId") == account)
            .unwrap_or(false);
        if !ok {
            errs.push(format!("LocationId {l} is not a location of the account"));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiErr::invalid(errs))
    }
}

/// The documented BMS contact rule, when the profile turns it on.
fn contact_rule_errors(store: &Store, rec: &Record) -> Vec<String> {
    let mut errs = Vec::new();
    if !contact_rule(store) {
        return errs;
    }
    if missing(rec.get("firstName")) {
        errs.push("FirstName is required".into());
    }
    let has = |k: &str| {
        rec.get(k)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    if !has("emails") {
        errs.push("A default email address (Emails[] with IsDefault) is required".into());
    }
    if !has("phones") {
        errs.push("A default phone number (Phones[] with IsDefault) is required".into());
    }
    if rec.get("locationId").is_none_or(Value::is_null) {
        errs.push("LocationId is required".into());
    }
    errs
}

fn create_contact(world: &mut World, body: &Map<String, Value>, enforce_rule: bool) -> R<i64> {
    let mut errs = Vec::new();
    let schema = [
        ("firstName", Ty::Str),
        ("lastName", Ty::Str),
        ("accountId", Ty::Int),
        ("locationId", Ty::Int),
    ];
    let input = read_schema(body, &schema, &mut errs);
    let emails = read_emails(&world.store, body, &mut errs);
    let phones = read_phones(&world.store, body, &mut errs);
    if !errs.is_empty() {
        return Err(ApiErr::invalid(errs));
    }
    let mut rec = Record::new();
    for (m, _) in CONTACT_PUT_SCHEMA {
        rec.insert((*m).into(), input.get(*m).cloned().unwrap_or(Value::Null));
    }
    rec.insert("isPoc".into(), Value::Bool(false));
    rec.insert("isActive".into(), Value::Bool(true));
    rec.insert("emails".into(), Value::Array(emails));
    rec.insert("phones".into(), Value::Array(phones));
    if enforce_rule {
        let rule = contact_rule_errors(&world.store, &rec);
        if !rule.is_empty() {
            return Err(ApiErr::invalid(rule));
        }
    }
    check_contact_refs(&world.store, &rec)?;
    let now = world.clock.rfc3339();
    audit_new(&mut rec, &now);
    Ok(world.store.insert(CONTACTS, rec))
}

fn channel_out(
    store: &Store,
    v: &Value,
    value_key: &str,
    out_key: &str,
    type_key: &str,
    type_table: &str,
    type_out: &str,
) -> Value {
    json!({
        "id": v.get("id"),
        out_key: v.get(value_key),
        type_key: v.get(type_key),
        type_out: name_of(store, type_table, v.get(type_key)),
        "isDefault": v.get("isDefault"),
    })
}

fn default_channel<'a>(rec: &'a Record, member: &str) -> Option<&'a Value> {
    let items = rec.get(member)?.as_array()?;
    items
        .iter()
        .find(|v| v.get("isDefault") == Some(&Value::Bool(true)))
        .or_else(|| items.first())
}

fn emails_out(store: &Store, rec: &Record) -> Vec<Value> {
    rec.get("emails")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| {
                    channel_out(
                        store,
                        e,
                        "emailAddress",
                        "emailAddress",
                        "emailTypeId",
                        EMAIL_TYPES,
                        "emailType",
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn phones_out(store: &Store, rec: &Record) -> Vec<Value> {
    rec.get("phones")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|e| {
                    channel_out(
                        store,
                        e,
                        "phoneNumber",
                        "phone",
                        "phoneTypeId",
                        PHONE_TYPES,
                        "phoneType",
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// ContactsSummaryOutputDto.
fn contact_out(store: &Store, c: &Record) -> Value {
    let g = |k: &str| c.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "id": g("id"),
        "createdBy": g("createdBy"),
        "createdOn": g("createdOn"),
        "modifiedBy": g("modifiedBy"),
        "modifiedOn": g("modifiedOn"),
        "accountId": g("accountId"),
        "accountName": account_name(store, int_of(c, "accountId")),
        "locationId": g("locationId"),
        "locationName": location_name(store, int_of(c, "locationId")),
        "firstName": g("firstName"),
        "lastName": g("lastName"),
        "jobTitle": g("jobTitle"),
        "isPoc": g("isPoc"),
        "isActive": g("isActive"),
        "effectiveDate": g("effectiveDate"),
        "isBillable": false,
        "emails": emails_out(store, c),
        "phones": phones_out(store, c),
        "canRecieveInvoices": c.get("receiveInvoices").cloned().unwrap_or(Value::Bool(false)),
    })
}

/// ContactOutputDto: the summary plus the PUT-only members.
fn contact_full_out(store: &Store, c: &Record) -> Value {
    let mut v = contact_out(store, c);
    if let Some(o) = v.as_object_mut() {
        let g = |k: &str| c.get(k).cloned().unwrap_or(Value::Null);
        o.insert("middleName".into(), g("middleName"));
        o.insert("poc".into(), g("isPoc"));
        o.insert("billByContact".into(), g("billByContact"));
        o.insert("recieveInvoices".into(), g("receiveInvoices"));
        o.insert("createdByName".into(), g("createdBy"));
        o.insert("modifiedByName".into(), g("modifiedBy"));
    }
    v
}

/// The short result of `POST /v2/crm/contacts/summary`.
fn contact_created_out(store: &Store, c: &Record) -> Value {
    json!({
        "id": c.get("id"),
        "firstName": c.get("firstName"),
        "lastName": c.get("lastName"),
        "accountId": c.get("accountId"),
        "accountName": account_name(store, int_of(c, "accountId")),
        "locationId": c.get("locationId"),
        "locationName": location_name(store, int_of(c, "locationId")),
        "phoneNumber": default_channel(c, "phones").and_then(|p| p.get("phoneNumber")),
        "emailAddress": default_channel(c, "emails").and_then(|p| p.get("emailAddress")),
        "customFieldsData": [],
    })
}

fn get_contact(store: &Store, id: i64) -> R<&Record> {
    store
        .get(CONTACTS, id)
        .ok_or_else(|| ApiErr::not_found("Contact", id))
}

fn validate_contact(store: &Store, rec: &Record) -> R<()> {
    if contact_rule(store) {
        let mut errs = Vec::new();
        if missing(rec.get("firstName")) {
            errs.push("FirstName is required".into());
        }
        if rec.get("locationId").is_none_or(Value::is_null) {
            errs.push("LocationId is required".into());
        }
        if !errs.is_empty() {
            return Err(ApiErr::invalid(errs));
        }
    }
    check_contact_refs(store, rec)
}

fn put_contact(world: &mut World, id: i64, body: &Map<String, Value>) -> R<()> {
    let mut rec = get_contact(&world.store, id)?.clone();
    let mut errs = Vec::new();
    let mut obj = body.clone();
    // `Poc` is the PUT spelling of `isPoc`.
    if let Some(p) = get_ci(body, "poc").cloned() {
        obj.insert("isPoc".into(), p);
    }
    let input = read_schema(&obj, CONTACT_PUT_SCHEMA, &mut errs);
    if !errs.is_empty() {
        return Err(ApiErr::invalid(errs));
    }
    // Choice: like accounts, PUT nulls absent members except the booleans, which keep theirs.
    for (m, ty) in CONTACT_PUT_SCHEMA {
        match input.get(*m) {
            Some(v) => {
                rec.insert((*m).into(), v.clone());
            }
            None if matches!(ty, Ty::Bool) => {}
            None => {
                rec.insert((*m).into(), Value::Null);
            }
        }
    }
    validate_contact(&world.store, &rec)?;
    save(world, CONTACTS, id, rec);
    Ok(())
}

fn patch_contact(world: &mut World, id: i64, ops: &[Value]) -> R<()> {
    let mut rec = get_contact(&world.store, id)?.clone();
    apply_patch(&mut rec, ops, CONTACT_PUT_SCHEMA, CONTACT_ALIASES)?;
    validate_contact(&world.store, &rec)?;
    save(world, CONTACTS, id, rec);
    Ok(())
}

/// `PATCH /contacts/{id}/emails|phones`: `Operation` 0 add, 1 update, 2 delete (by the
/// current value, case-insensitively).
fn patch_channels(world: &mut World, id: i64, ops: &[Value], emails: bool) -> R<Value> {
    let (member, value_key, new_key, type_key, table) = if emails {
        (
            "emails",
            "emailAddress",
            "newEmailAddress",
            "emailTypeId",
            EMAIL_TYPES,
        )
    } else {
        (
            "phones",
            "phoneNumber",
            "newPhoneNumber",
            "phoneTypeId",
            PHONE_TYPES,
        )
    };
    let mut rec = get_contact(&world.store, id)?.clone();
    let mut items: Vec<Value> = rec
        .get(member)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut next = next_sub_id(
        &world.store,
        CONTACTS,
        member,
        sub_base(&world.store) + 500_000,
    );
    let (mut added, mut updated, mut deleted) = (0, 0, 0);
    let mut errs = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let Some(o) = op.as_object() else {
            errs.push(format!("operation {i} must be an object"));
            continue;
        };
        let schema = [
            ("operation", Ty::Int),
            (value_key, Ty::Str),
            (new_key, Ty::Str),
            ("typeId", Ty::Int),
            (type_key, Ty::Int),
            ("isDefault", Ty::Bool),
        ];
        let mut e = Vec::new();
        let mut obj = o.clone();
        // Accept `Operation` as a name too ("Add", "Update", "Delete").
        if let Some(Value::String(s)) = get_ci(o, "operation") {
            let n = match s.to_ascii_lowercase().as_str() {
                "add" => json!(0),
                "update" => json!(1),
                "delete" => json!(2),
                _ => json!(s),
            };
            obj.insert("operation".into(), n);
            obj.retain(|k, _| k == "operation" || !k.eq_ignore_ascii_case("operation"));
        }
        let r = read_schema(&obj, &schema, &mut e);
        if !e.is_empty() {
            errs.extend(e.into_iter().map(|m| format!("operation {i}: {m}")));
            continue;
        }
        let value = r
            .get(value_key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let type_id = int_of(&r, "typeId").or(int_of(&r, type_key));
        if type_id.is_some() && !lookup_exists(&world.store, table, type_id) {
            errs.push(format!(
                "operation {i}: TypeId {} does not exist",
                type_id.unwrap_or(0)
            ));
            continue;
        }
        let is_default = r.get("isDefault").and_then(Value::as_bool);
        let pos = items.iter().position(|v| {
            v.get(value_key)
                .and_then(Value::as_str)
                .is_some_and(|x| x.eq_ignore_ascii_case(&value))
        });
        match int_of(&r, "operation") {
            Some(0) => {
                if value.trim().is_empty() {
                    errs.push(format!(
                        "operation {i}: {} is required",
                        pascal_name(value_key)
                    ));
                    continue;
                }
                let t = type_id.or_else(|| default_lookup(&world.store, table));
                if is_default == Some(true) {
                    clear_defaults(&mut items);
                }
                items.push(json!({"id": next, value_key: value, type_key: t,
                                  "isDefault": is_default.unwrap_or(false)}));
                next += 1;
                added += 1;
            }
            Some(1) => {
                let Some(p) = pos else {
                    errs.push(format!("operation {i}: `{value}` is not on the contact"));
                    continue;
                };
                if is_default == Some(true) {
                    clear_defaults(&mut items);
                }
                if let Some(item) = items.get_mut(p).and_then(Value::as_object_mut) {
                    if let Some(nv) = r.get(new_key).filter(|v| !missing(Some(v))) {
                        item.insert(value_key.into(), nv.clone());
                    }
                    if let Some(t) = type_id {
                        item.insert(type_key.into(), json!(t));
                    }
                    if let Some(d) = is_default {
                        item.insert("isDefault".into(), json!(d));
                    }
                }
                updated += 1;
            }
            Some(2) => {
                let Some(p) = pos else {
                    errs.push(format!("operation {i}: `{value}` is not on the contact"));
                    continue;
                };
                items.remove(p);
                deleted += 1;
            }
            _ => errs.push(format!(
                "operation {i}: Operation must be 0 (add), 1 (update) or 2 (delete)"
            )),
        }
    }
    if !errs.is_empty() {
        return Err(ApiErr::invalid(errs));
    }
    if !items.is_empty() {
        normalize_default(&mut items);
    } else if contact_rule(&world.store) {
        return Err(ApiErr::invalid(vec![format!(
            "A contact needs a default {}",
            if emails {
                "email address"
            } else {
                "phone number"
            }
        )]));
    }
    rec.insert(member.into(), Value::Array(items));
    save(world, CONTACTS, id, rec);
    let saved = get_contact(&world.store, id)?;
    let list = if emails {
        emails_out(&world.store, saved)
    } else {
        phones_out(&world.store, saved)
    };
    Ok(json!({"added": added, "updated": updated, "deleted": deleted, member: list}))
}

fn clear_defaults(items: &mut [Value]) {
    for v in items.iter_mut() {
        if let Some(o) = v.as_object_mut() {
            o.insert("isDefault".into(), Value::Bool(false));
        }
    }
}

fn list_contacts(store: &Store, q: &Query, max: u64) -> R<Response> {
    let (offset, size) = q.paging(max)?;
    let account = q.int("Filter.AccountId")?;
    let first = q.get("Filter.FirstName").map(str::to_string);
    let last = q.get("Filter.LastName").map(str::to_string);
    let active = q.boolean("Filter.IsActive")?;
    let filtered = account.is_some() || first.is_some() || last.is_some() || active.is_some();
    let keep = |r: &Record| {
        account.is_none_or(|a| int_of(r, "accountId") == Some(a))
            && first
                .as_deref()
                .is_none_or(|f| contains_ci(r.get("firstName"), f))
            && last
                .as_deref()
                .is_none_or(|l| contains_ci(r.get("lastName"), l))
            && active.is_none_or(|a| r.get("isActive").and_then(Value::as_bool) == Some(a))
    };
    let keep_ref: &dyn Fn(&Record) -> bool = &keep;
    let (rows, total) = list_page(store, CONTACTS, filtered.then_some(keep_ref), offset, size);
    Ok(ok_paged(
        rows.iter().map(|r| contact_out(store, r)).collect(),
        total,
    ))
}

fn search_contacts(store: &Store, q: &Query, max: u64) -> R<Response> {
    let (offset, size) = q.paging(max)?;
    let email = q.get("Filter.EmailAddress").map(str::to_string);
    let first = q.get("Filter.FirstName").map(str::to_string);
    let last = q.get("Filter.LastName").map(str::to_string);
    let account = q.int("Filter.AccountId")?;
    let ids: Vec<i64> = q
        .all("Filter.AccountIds")
        .iter()
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    // Choice: e-mail matches any of the contact's addresses exactly (ignoring case); names
    // match as case-insensitive substrings.
    let keep = |r: &Record| {
        email.as_deref().is_none_or(|e| {
            r.get("emails")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|x| eq_ci(x.get("emailAddress"), e)))
        }) && first
            .as_deref()
            .is_none_or(|f| contains_ci(r.get("firstName"), f))
            && last
                .as_deref()
                .is_none_or(|l| contains_ci(r.get("lastName"), l))
            && account.is_none_or(|a| int_of(r, "accountId") == Some(a))
            && (ids.is_empty() || int_of(r, "accountId").is_some_and(|a| ids.contains(&a)))
    };
    let (rows, _) = list_page(store, CONTACTS, Some(&keep), offset, size);
    Ok(ok(Value::Array(
        rows.iter()
            .map(|c| {
                json!({
                    "id": c.get("id"),
                    "accountId": c.get("accountId"),
                    "accountName": account_name(store, int_of(c, "accountId")),
                    "locationId": c.get("locationId"),
                    "locationName": location_name(store, int_of(c, "locationId")),
                    "firstName": c.get("firstName"),
                    "lastName": c.get("lastName"),
                    "jobTitle": c.get("jobTitle"),
                    "emailAddress": default_channel(c, "emails").and_then(|e| e.get("emailAddress")),
                    "isPoc": c.get("isPoc"),
                    "isActive": c.get("isActive"),
                    "hasClientPortalAccess": false,
                })
            })
            .collect(),
    )))
}

// ---------------------------------------------------------------------------------------------
// Hardware assets.

fn check_asset(store: &Store, rec: &Record) -> R<()> {
    let mut errs = Vec::new();
    require(rec, ASSET_REQUIRED, &mut errs);
    if !errs.is_empty() {
        return Err(ApiErr::invalid(errs));
    }
    let account = int_of(rec, "accountId");
    if account.and_then(|a| store.get(ACCOUNTS, a)).is_none() {
        errs.push(format!("AccountId {} does not exist", account.unwrap_or(0)));
    }
    if let Some(l) = int_of(rec, "accountLocationId") {
        let ok = store
            .get(LOCATIONS, l)
            .is_some_and(|loc| int_of(loc, "accountId") == account);
        if !ok {
            errs.push(format!(
                "AccountLocationId {l} is not a location of the account"
            ));
        }
    }
    if let Some(c) = int_of(rec, "contactId") {
        if store.get(CONTACTS, c).is_none() {
            errs.push(format!("ContactId {c} does not exist"));
        }
    }
    for (member, table) in [
        ("categoryId", ASSET_CATEGORIES),
        ("statusId", ASSET_STATUSES),
        ("manufacturerId", MANUFACTURERS),
    ] {
        if !lookup_exists(store, table, int_of(rec, member)) {
            errs.push(format!(
                "{} {} does not exist",
                pascal_name(member),
                int_of(rec, member).unwrap_or(0)
            ));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiErr::invalid(errs))
    }
}

fn create_asset(world: &mut World, body: &Map<String, Value>) -> R<i64> {
    let mut errs = Vec::new();
    let input = read_schema(body, ASSET_SCHEMA, &mut errs);
    if !errs.is_empty() {
        return Err(ApiErr::invalid(errs));
    }
    let mut rec = Record::new();
    for (m, _) in ASSET_SCHEMA {
        rec.insert((*m).into(), input.get(*m).cloned().unwrap_or(Value::Null));
    }
    if !matches!(rec.get("isActive"), Some(Value::Bool(_))) {
        rec.insert("isActive".into(), Value::Bool(true));
    }
    // Choice: a new asset without a status is "Active".
    if rec.get("statusId").is_none_or(Value::is_null) {
        let active = lookup_id(&world.store, ASSET_STATUSES, "name", "Active").ok();
        rec.insert("statusId".into(), json!(active));
    }
    check_asset(&world.store, &rec)?;
    let now = world.clock.rfc3339();
    audit_new(&mut rec, &now);
    Ok(world.store.insert(ASSETS, rec))
}

fn put_asset(world: &mut World, id: i64, body: &Map<String, Value>) -> R<()> {
    let mut rec = get_asset(&world.store, id)?.clone();
    let mut errs = Vec::new();
    let input = read_schema(body, ASSET_SCHEMA, &mut errs);
    if !errs.is_empty() {
        return Err(ApiErr::invalid(errs));
    }
    // PUT is a full replace (absent = null) except `isActive`, which keeps its value.
    for (m, _) in ASSET_SCHEMA {
        match input.get(*m) {
            Some(v) => {
                rec.insert((*m).into(), v.clone());
            }
            None if *m == "isActive" => {}
            None => {
                rec.insert((*m).into(), Value::Null);
            }
        }
    }
    check_asset(&world.store, &rec)?;
    save(world, ASSETS, id, rec);
    Ok(())
}

fn get_asset(store: &Store, id: i64) -> R<&Record> {
    store
        .get(ASSETS, id)
        .ok_or_else(|| ApiErr::not_found("Hardware asset", id))
}

fn asset_out(store: &Store, a: &Record) -> Value {
    let mut o = Map::new();
    for (m, _) in ASSET_SCHEMA {
        o.insert((*m).into(), a.get(*m).cloned().unwrap_or(Value::Null));
    }
    let contact = int_of(a, "contactId").and_then(|c| store.get(CONTACTS, c));
    let extra = [
        ("id", a.get("id").cloned().unwrap_or(Value::Null)),
        ("accountName", account_name(store, int_of(a, "accountId"))),
        (
            "accountLocation",
            location_name(store, int_of(a, "accountLocationId")),
        ),
        (
            "category",
            name_of(store, ASSET_CATEGORIES, a.get("categoryId")),
        ),
        ("status", name_of(store, ASSET_STATUSES, a.get("statusId"))),
        (
            "manufacturer",
            name_of(store, MANUFACTURERS, a.get("manufacturerId")),
        ),
        (
            "contactFirstName",
            contact
                .and_then(|c| c.get("firstName").cloned())
                .unwrap_or(Value::Null),
        ),
        (
            "contactLastName",
            contact
                .and_then(|c| c.get("lastName").cloned())
                .unwrap_or(Value::Null),
        ),
        (
            "createdBy",
            a.get("createdBy").cloned().unwrap_or(Value::Null),
        ),
        (
            "createdOn",
            a.get("createdOn").cloned().unwrap_or(Value::Null),
        ),
        (
            "modifiedBy",
            a.get("modifiedBy").cloned().unwrap_or(Value::Null),
        ),
        (
            "modifiedOn",
            a.get("modifiedOn").cloned().unwrap_or(Value::Null),
        ),
    ];
    let mut out = Map::new();
    out.insert("id".into(), extra[0].1.clone());
    out.extend(o);
    for (k, v) in extra.into_iter().skip(1) {
        out.insert(k.into(), v);
    }
    Value::Object(out)
}

fn search_assets(store: &Store, q: &Query, max: u64) -> R<Response> {
    let (offset, size) = q.paging(max)?;
    let account = q.int("Filter.AccountId")?;
    let name = q.get("Filter.AssetName").map(str::to_string);
    let serial = q.get("Filter.SerialNumber").map(str::to_string);
    let active = q.boolean("Filter.IsActive")?;
    let cats: Vec<i64> = q
        .all("Filter.CategoryIds")
        .iter()
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let keep = |r: &Record| {
        account.is_none_or(|a| int_of(r, "accountId") == Some(a))
            && name
                .as_deref()
                .is_none_or(|n| contains_ci(r.get("name"), n))
            && serial
                .as_deref()
                .is_none_or(|s| contains_ci(r.get("serialNumber"), s))
            && active.is_none_or(|a| r.get("isActive").and_then(Value::as_bool) == Some(a))
            && (cats.is_empty() || int_of(r, "categoryId").is_some_and(|c| cats.contains(&c)))
    };
    let (rows, _) = list_page(store, ASSETS, Some(&keep), offset, size);
    Ok(ok(Value::Array(
        rows.iter()
            .map(|a| {
                let contact = int_of(a, "contactId").and_then(|c| store.get(CONTACTS, c));
                json!({
                    "id": a.get("id"),
                    "categoryName": name_of(store, ASSET_CATEGORIES, a.get("categoryId")),
                    "categoryId": a.get("categoryId"),
                    "locationName": location_name(store, int_of(a, "accountLocationId")),
                    "assetName": a.get("name"),
                    "serialNumber": a.get("serialNumber"),
                    "machineGroupId": null,
                    "ipAddress": a.get("ipAddress"),
                    "contactId": a.get("contactId"),
                    "contactName": contact.map(|c| format!("{} {}",
                        c.get("firstName").and_then(Value::as_str).unwrap_or(""),
                        c.get("lastName").and_then(Value::as_str).unwrap_or("")).trim().to_string()),
                    "accountId": a.get("accountId"),
                    "accountName": account_name(store, int_of(a, "accountId")),
                    "isActive": a.get("isActive"),
                })
            })
            .collect(),
    )))
}

// ---------------------------------------------------------------------------------------------
// Security.

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// Issues a deterministic, JWT-looking token pair from the world's serial.
fn issue_tokens(world: &mut World, personality: Personality, user: &str, ttl: i64) -> Value {
    let serial = world.next_serial();
    let now = world.clock.now();
    let exp = now.saturating_add(ttl.max(1));
    let rexp = now.saturating_add(REFRESH_TTL);
    let header = b64(r#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64(&json!({"iss": personality.display_name(), "sub": user,
        "tenant": tenant_name(&world.store), "jti": serial, "iat": now, "exp": exp})
    .to_string());
    let sig = b64(&format!("mock-psa:{}:{serial}", personality.key()));
    let access = format!("{header}.{payload}.{sig}");
    let refresh = b64(&format!("refresh:{}:{serial}:{rexp}", personality.key()));
    world.sessions.insert(
        access.clone(),
        Session {
            refresh_token: refresh.clone(),
            expires_at: exp,
        },
    );
    json!({
        "accessToken": access,
        "refreshToken": refresh,
        "accessTokenExpireOn": format_rfc3339(exp),
        "refreshTokenExpireOn": format_rfc3339(rexp),
    })
}

fn refresh_expiry(token: &str) -> Option<i64> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    String::from_utf8(raw)
        .ok()?
        .rsplit(':')
        .next()?
        .parse()
        .ok()
}

/// Form fields of an urlencoded or multipart/form-data body.
fn form_fields(headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let ct = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        let boundary = ct
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
            .map(|(_, v)| v.trim().trim_matches('"').to_string());
        return match boundary {
            Some(b) if !b.is_empty() => parse_multipart(body, &b),
            _ => Vec::new(),
        };
    }
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
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
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let name = head.lines().find_map(|l| {
            let lower = l.to_ascii_lowercase();
            if !lower.starts_with("content-disposition") {
                return None;
            }
            let at = lower.find("name=\"")? + 6;
            let rest = &l[at..];
            rest.find('"').map(|end| rest[..end].to_string())
        });
        if let Some(name) = name {
            out.push((
                name,
                value.strip_suffix("\r\n").unwrap_or(value).to_string(),
            ));
        }
    }
    out
}

fn form_get<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

fn credentials_match(state: &MockState, tenant: &str, user: &str, password: &str) -> bool {
    let c = state.settings().credentials;
    c.company.eq_ignore_ascii_case(tenant.trim())
        && c.user.eq_ignore_ascii_case(user.trim())
        && c.secret == password
}

fn v2_authenticate(state: &MockState, headers: &HeaderMap, body: &[u8]) -> R<Value> {
    let form = form_fields(headers, body);
    let grant = form_get(&form, "GrantType").unwrap_or("");
    if grant.is_empty() {
        return Err(ApiErr {
            sub: vec!["GrantType is required".into()],
            ..ApiErr::bad("GrantType is required")
        });
    }
    if !grant.eq_ignore_ascii_case("password") {
        return Err(ApiErr::bad(format!("GrantType `{grant}` is not supported")));
    }
    let user = form_get(&form, "UserName").unwrap_or("");
    let password = form_get(&form, "Password").unwrap_or("");
    let tenant = form_get(&form, "Tenant").unwrap_or("");
    if !credentials_match(state, tenant, user, password) {
        return Err(ApiErr::new(
            StatusCode::UNAUTHORIZED,
            "Invalid user name, password or tenant",
        ));
    }
    let ttl = state.settings().bms_token_ttl_seconds;
    let mut world = state.world();
    Ok(issue_tokens(&mut world, state.personality, user, ttl))
}

fn v2_refresh(state: &MockState, headers: &HeaderMap, body: &[u8]) -> R<Value> {
    let form = form_fields(headers, body);
    let access = form_get(&form, "AccessToken").unwrap_or("").to_string();
    let refresh = form_get(&form, "RefreshToken").unwrap_or("").to_string();
    let mut errs = Vec::new();
    if access.is_empty() {
        errs.push("AccessToken is required".to_string());
    }
    if refresh.is_empty() {
        errs.push("RefreshToken is required".to_string());
    }
    if !errs.is_empty() {
        return Err(ApiErr::invalid(errs));
    }
    let ttl = state.settings().bms_token_ttl_seconds;
    let user = state.settings().credentials.user;
    let mut world = state.world();
    let now = world.clock.now();
    let valid = world
        .sessions
        .get(&access)
        .is_some_and(|s| s.refresh_token == refresh);
    if !valid {
        return Err(ApiErr::new(StatusCode::UNAUTHORIZED, "Invalid token pair"));
    }
    if refresh_expiry(&refresh).is_none_or(|e| e <= now) {
        return Err(ApiErr::new(
            StatusCode::UNAUTHORIZED,
            "Refresh token expired",
        ));
    }
    world.sessions.remove(&access);
    Ok(issue_tokens(&mut world, state.personality, &user, ttl))
}

fn userinfo(state: &MockState) -> Value {
    let creds = state.settings().credentials;
    let world = state.world();
    let api = world
        .store
        .rows(EMPLOYEES)
        .find(|e| e.get("isApiEmployee") == Some(&Value::Bool(true)));
    json!({
        "userId": api.map(id_of),
        "fullName": api.and_then(|e| e.get("name")),
        "userName": creds.user,
        "emailAddress": api.and_then(|e| e.get("emailAddress")),
        "tenantId": 1,
        "accountId": null,
        "locationId": null,
        "contactId": null,
        "businessName": tenant_name(&world.store),
        "timeZoneName": "UTC",
        "dateFormat": "MM/dd/yyyy",
        "currencyCode": "USD",
        "isUserSystemAdmin": false,
        "userAccessRights": [],
    })
}

// ---------------------------------------------------------------------------------------------
// Dispatch.

struct Req<'a> {
    state: &'a AppState,
    method: Method,
    query: Query,
    headers: HeaderMap,
    body: Bytes,
}

impl Req<'_> {
    fn max_page(&self) -> u64 {
        self.state.settings().bms_max_page_size
    }
}

fn parse_id(s: &str, what: &str) -> R<i64> {
    s.parse::<i64>()
        .map_err(|_| ApiErr::new(StatusCode::NOT_FOUND, format!("{what} `{s}` not found")))
}

async fn handle(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_ascii_lowercase();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let req = Req {
        state: &state,
        method,
        query: Query::parse(uri.query()),
        headers,
        body,
    };
    match segs.split_first() {
        Some((&"api", rest)) => v1(&req, rest).unwrap_or_else(|e| v1_error(e.status, &e.message)),
        Some((&"v2", rest)) => v2(&req, rest).unwrap_or_else(ApiErr::response),
        _ => envelope_error(StatusCode::NOT_FOUND, "No resource found", vec![]),
    }
}

/// Counts a call against the per-endpoint hourly quota; the 429 once the quota is spent.
fn quota(req: &Req<'_>, template: &str) -> Option<Response> {
    let limit = req.state.settings().bms_hourly_quota;
    if limit == 0 {
        return None;
    }
    let mut world = req.state.world();
    let now = world.clock.now();
    let hour = now.div_euclid(3600);
    world.quota.retain(|(h, _), _| *h >= hour);
    let n = world
        .quota
        .entry((hour, format!("{} {template}", req.method)))
        .or_insert(0);
    *n += 1;
    if *n <= limit {
        return None;
    }
    let mut resp = envelope_error(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("API call limit of {limit} calls per hour for this endpoint exceeded"),
        vec![],
    );
    resp.headers_mut().insert(
        "retry-after",
        HeaderValue::from(3600 - now.rem_euclid(3600)),
    );
    Some(resp)
}

/// The route template of a V2 path (ids replaced), or `None` when no route has that shape.
fn v2_template(s: &[&str]) -> Option<String> {
    let t: Vec<&str> = match s {
        ["crm", "accounts", x] if !matches!(*x, "summary" | "lookup") => {
            vec!["crm", "accounts", "{id}"]
        }
        ["crm", "accounts", "summary", _] => vec!["crm", "accounts", "summary", "{id}"],
        ["crm", "accounts", _, "locations", "lookup"] => {
            vec!["crm", "accounts", "{id}", "locations", "lookup"]
        }
        ["crm", "accounts", _, "locations", _] => {
            vec!["crm", "accounts", "{id}", "locations", "{locationId}"]
        }
        ["crm", "contacts", "summary", _] => vec!["crm", "contacts", "summary", "{id}"],
        ["crm", "contacts", x] if *x != "search" && *x != "summary" => {
            vec!["crm", "contacts", "{id}"]
        }
        ["crm", "contacts", _, x] if *x == "emails" || *x == "phones" => {
            vec!["crm", "contacts", "{id}", x]
        }
        ["servicedesk", "hardwareasset", x] if *x != "searchselect" => {
            vec!["servicedesk", "hardwareasset", "{id}"]
        }
        ["system", "lookup", _] => vec!["system", "lookup", "{tableName}"],
        ["system", "tenantlookup", _] => vec!["system", "tenantlookup", "{tableName}"],
        other => other.to_vec(),
    };
    Some(format!("/v2/{}", t.join("/")))
}

fn known_v2(s: &[&str]) -> bool {
    matches!(
        s,
        ["security", "authenticate" | "refreshtoken" | "userinfo"]
            | ["crm", "accounts"]
            | ["crm", "accounts", _]
            | ["crm", "accounts", "summary", _]
            | ["crm", "accounts", _, "locations", _]
            | ["crm", "contacts", "summary"]
            | ["crm", "contacts", "summary", _]
            | ["crm", "contacts", _]
            | ["crm", "contacts", _, "emails" | "phones"]
            | ["servicedesk", "hardwareasset"]
            | ["servicedesk", "hardwareasset", _]
            | ["system", "accounttypes", "lookup"]
            | ["hr", "employees", "lookup"]
            | ["system", "lookup" | "tenantlookup", _]
    )
}

fn v2(req: &Req<'_>, s: &[&str]) -> R<Response> {
    if !known_v2(s) {
        return Err(ApiErr::new(
            StatusCode::NOT_FOUND,
            format!("No resource found at /v2/{}", s.join("/")),
        ));
    }
    let template = v2_template(s).unwrap_or_default();
    if let Some(resp) = quota(req, &template) {
        return Ok(resp);
    }
    let state = req.state;
    let m = &req.method;
    let (headers, body) = (&req.headers, &req.body[..]);
    let max = req.max_page();
    match (m.as_str(), s) {
        ("POST", ["security", "authenticate"]) => Ok(ok(v2_authenticate(state, headers, body)?)),
        ("POST", ["security", "refreshtoken"]) => Ok(ok(v2_refresh(state, headers, body)?)),
        ("GET", ["security", "userinfo"]) => Ok(ok(userinfo(state))),

        ("POST", ["crm", "accounts"]) => {
            let obj = json_object(headers, body)?;
            let mut w = state.world();
            let id = create_account(&mut w, &obj)?;
            Ok(ok(account_out(&w.store, get_account(&w.store, id)?)))
        }
        ("GET", ["crm", "accounts", "summary"]) => {
            list_accounts(&state.world().store, &req.query, max)
        }
        ("GET", ["crm", "accounts", "lookup"]) => {
            accounts_lookup(&state.world().store, &req.query, max)
        }
        ("GET", ["crm", "accounts", "summary", id]) => {
            let id = parse_id(id, "Account")?;
            let w = state.world();
            Ok(ok(account_out(&w.store, get_account(&w.store, id)?)))
        }
        ("PUT", ["crm", "accounts", id]) => {
            let id = parse_id(id, "Account")?;
            let obj = json_object(headers, body)?;
            let mut w = state.world();
            put_account(&mut w, id, &obj)?;
            Ok(ok(account_out(&w.store, get_account(&w.store, id)?)))
        }
        ("PATCH", ["crm", "accounts", id]) => {
            let id = parse_id(id, "Account")?;
            let ops = json_array(headers, body)?;
            let mut w = state.world();
            patch_account(&mut w, id, &ops)?;
            Ok(ok(account_out(&w.store, get_account(&w.store, id)?)))
        }
        ("GET", ["crm", "accounts", id, "locations", "lookup"]) => {
            let id = parse_id(id, "Account")?;
            let w = state.world();
            let acc = get_account(&w.store, id)?;
            let rows: Vec<Value> = account_locations(&w.store, acc)
                .into_iter()
                .map(|l| {
                    json!({"id": l.get("id"), "name": l.get("locationName"),
                                "accountId": l.get("accountId"), "isMain": l.get("isMain")})
                })
                .collect();
            Ok(ok(Value::Array(rows)))
        }
        ("GET", ["crm", "accounts", id, "locations", loc]) => {
            let id = parse_id(id, "Account")?;
            let loc = parse_id(loc, "Location")?;
            let w = state.world();
            get_account(&w.store, id)?;
            let l = w
                .store
                .get(LOCATIONS, loc)
                .filter(|l| int_of(l, "accountId") == Some(id))
                .ok_or_else(|| ApiErr::not_found("Location", loc))?;
            Ok(ok(location_out(&w.store, l)))
        }

        ("POST", ["crm", "contacts", "summary"]) => {
            let obj = json_object(headers, body)?;
            let mut w = state.world();
            let id = create_contact(&mut w, &obj, true)?;
            Ok(ok(contact_created_out(
                &w.store,
                get_contact(&w.store, id)?,
            )))
        }
        ("GET", ["crm", "contacts", "summary"]) => {
            list_contacts(&state.world().store, &req.query, max)
        }
        ("GET", ["crm", "contacts", "search"]) => {
            search_contacts(&state.world().store, &req.query, max)
        }
        ("GET", ["crm", "contacts", "summary", id]) => {
            let id = parse_id(id, "Contact")?;
            let w = state.world();
            Ok(ok(contact_out(&w.store, get_contact(&w.store, id)?)))
        }
        ("PUT", ["crm", "contacts", id]) => {
            let id = parse_id(id, "Contact")?;
            let obj = json_object(headers, body)?;
            let mut w = state.world();
            put_contact(&mut w, id, &obj)?;
            Ok(ok(contact_full_out(&w.store, get_contact(&w.store, id)?)))
        }
        ("PATCH", ["crm", "contacts", id]) => {
            let id = parse_id(id, "Contact")?;
            let ops = json_array(headers, body)?;
            let mut w = state.world();
            patch_contact(&mut w, id, &ops)?;
            Ok(ok(contact_full_out(&w.store, get_contact(&w.store, id)?)))
        }
        ("PATCH", ["crm", "contacts", id, which]) => {
            let id = parse_id(id, "Contact")?;
            let ops = json_array(headers, body)?;
            let mut w = state.world();
            Ok(ok(patch_channels(&mut w, id, &ops, *which == "emails")?))
        }
        ("DELETE", ["crm", "contacts", id]) => {
            let id = parse_id(id, "Contact")?;
            let mut w = state.world();
            w.store
                .table_mut(CONTACTS)
                .remove(id)
                .ok_or_else(|| ApiErr::not_found("Contact", id))?;
            Ok(ok_empty())
        }

        ("POST", ["servicedesk", "hardwareasset"]) => {
            let obj = json_object(headers, body)?;
            let mut w = state.world();
            let id = create_asset(&mut w, &obj)?;
            Ok(ok(asset_out(&w.store, get_asset(&w.store, id)?)))
        }
        ("GET", ["servicedesk", "hardwareasset", "searchselect"]) => {
            search_assets(&state.world().store, &req.query, max)
        }
        ("GET", ["servicedesk", "hardwareasset", id]) => {
            let id = parse_id(id, "Hardware asset")?;
            let w = state.world();
            Ok(ok(asset_out(&w.store, get_asset(&w.store, id)?)))
        }
        ("PUT", ["servicedesk", "hardwareasset", id]) => {
            let id = parse_id(id, "Hardware asset")?;
            let obj = json_object(headers, body)?;
            let mut w = state.world();
            put_asset(&mut w, id, &obj)?;
            Ok(ok(asset_out(&w.store, get_asset(&w.store, id)?)))
        }
        ("DELETE", ["servicedesk", "hardwareasset", id]) => {
            let id = parse_id(id, "Hardware asset")?;
            let mut w = state.world();
            w.store
                .table_mut(ASSETS)
                .remove(id)
                .ok_or_else(|| ApiErr::not_found("Hardware asset", id))?;
            Ok(ok_empty())
        }

        ("GET", ["system", "accounttypes", "lookup"]) => {
            let w = state.world();
            let rows = w
                .store
                .rows(ACCOUNT_TYPES)
                .map(|r| {
                    json!({"id": r.get("id"), "name": r.get("name"), "isActive": r.get("isActive"),
                                "isClient": r.get("isClient"), "isVendor": r.get("isVendor")})
                })
                .collect();
            Ok(ok(Value::Array(rows)))
        }
        ("GET", ["hr", "employees", "lookup"]) => {
            let w = state.world();
            let rows = w
                .store
                .rows(EMPLOYEES)
                .map(|r| json!({"id": r.get("id"), "name": r.get("name")}))
                .collect();
            Ok(ok(Value::Array(rows)))
        }
        ("GET", ["system", "lookup" | "tenantlookup", table]) => {
            let Some((_, t)) = LOOKUP_TABLES.iter().find(|(n, _)| n == table) else {
                return Err(ApiErr::new(
                    StatusCode::NOT_FOUND,
                    format!("Lookup table `{table}` not found"),
                ));
            };
            let w = state.world();
            let rows = w
                .store
                .rows(t)
                .map(|r| {
                    json!({"id": r.get("id"), "name": r.get("name"),
                                "isActive": r.get("isActive"), "isDefault": r.get("isDefault")})
                })
                .collect();
            Ok(ok(Value::Array(rows)))
        }
        _ => Err(ApiErr::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("The requested resource does not support http method '{m}'."),
        )),
    }
}

fn v1(req: &Req<'_>, s: &[&str]) -> R<Response> {
    let state = req.state;
    let (headers, body) = (&req.headers, &req.body[..]);
    match (req.method.as_str(), s) {
        ("POST", ["token"]) => Ok(v1_token(state, headers, body)),
        ("GET", ["crm", "locations"]) => {
            let top = req.query.int("$top")?.unwrap_or(100).clamp(0, 1000) as usize;
            let skip = req.query.int("$skip")?.unwrap_or(0).max(0) as usize;
            let w = state.world();
            let (rows, total) = list_page(&w.store, LOCATIONS, None, skip, top);
            Ok(v1_ok(
                Value::Array(rows.iter().map(|r| v1_location_out(&w.store, r)).collect()),
                Some(total),
            ))
        }
        ("POST", ["crm", "locations"]) => {
            let obj = json_object(headers, body)?;
            let mut w = state.world();
            let id = v1_create_location(&mut w, &obj)?;
            let rec = w.store.get(LOCATIONS, id).cloned().unwrap_or_default();
            Ok(v1_ok(v1_location_out(&w.store, &rec), None))
        }
        ("GET", ["crm", "locations", id]) => {
            let id = parse_id(id, "Location")?;
            let w = state.world();
            let rec = w
                .store
                .get(LOCATIONS, id)
                .ok_or_else(|| ApiErr::not_found("Location", id))?;
            Ok(v1_ok(v1_location_out(&w.store, rec), None))
        }
        ("PUT", ["crm", "locations", id]) => {
            let id = parse_id(id, "Location")?;
            let obj = json_object(headers, body)?;
            let mut w = state.world();
            v1_update_location(&mut w, id, &obj)?;
            let rec = w.store.get(LOCATIONS, id).cloned().unwrap_or_default();
            Ok(v1_ok(v1_location_out(&w.store, &rec), None))
        }
        (_, ["token"]) | (_, ["crm", "locations"]) | (_, ["crm", "locations", _]) => {
            Err(ApiErr::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "The requested resource does not support this http method.",
            ))
        }
        _ => Err(ApiErr::new(
            StatusCode::NOT_FOUND,
            "No HTTP resource was found",
        )),
    }
}

fn v1_token(state: &MockState, headers: &HeaderMap, body: &[u8]) -> Response {
    let form = form_fields(headers, body);
    let err = |code: &str, desc: &str| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": code, "error_description": desc})),
        )
            .into_response()
    };
    let grant = form_get(&form, "grant_type").unwrap_or("");
    if !grant.eq_ignore_ascii_case("password") {
        return err("unsupported_grant_type", "grant_type must be password");
    }
    let user = form_get(&form, "username").unwrap_or("");
    let password = form_get(&form, "password").unwrap_or("");
    let tenant = form_get(&form, "tenant").unwrap_or("");
    if !credentials_match(state, tenant, user, password) {
        return err(
            "invalid_grant",
            "The user name, password or tenant is incorrect.",
        );
    }
    let mut world = state.world();
    let serial = world.next_serial();
    let token = format!(
        "v1-{}",
        b64(&format!("v1:{}:{serial}", state.personality.key()))
    );
    let exp = world.clock.now().saturating_add(V1_TOKEN_TTL);
    world.sessions.insert(
        token.clone(),
        Session {
            refresh_token: String::new(),
            expires_at: exp,
        },
    );
    axum::Json(json!({"access_token": token, "token_type": "bearer", "expires_in": V1_TOKEN_TTL}))
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// Seed.

fn seed_lookups(world: &mut World, p: Personality) {
    let prof = profile(p);
    for (t, first) in prof.first_ids {
        world.store.set_first_id(t, *first);
    }
    let creds = p.default_credentials();
    world.store.insert(
        TENANT,
        json!({"name": creds.company, "product": p.display_name(),
               "contactRule": prof.contact_rule, "subIdBase": prof.sub_id_base})
        .as_object()
        .cloned()
        .unwrap_or_default(),
    );
    let rows = |names: &[&str], default: &str| -> Vec<Record> {
        names
            .iter()
            .map(|n| {
                let mut r = Record::new();
                r.insert("name".into(), json!(n));
                r.insert("isActive".into(), json!(true));
                r.insert("isDefault".into(), json!(*n == default));
                r
            })
            .collect()
    };
    for (i, mut r) in rows(
        &["Customer", "Prospect", "Lead", "Vendor", "Partner"],
        "Customer",
    )
    .into_iter()
    .enumerate()
    {
        r.insert("isClient".into(), json!(i == 0));
        r.insert("isVendor".into(), json!(i == 3));
        world.store.insert(ACCOUNT_TYPES, r);
    }
    let simple: [(&str, &[&str], &str); 7] = [
        (
            BUSINESS_TYPES,
            &["Small Business", "Mid-Market", "Enterprise", "Non-Profit"],
            "Small Business",
        ),
        (EMAIL_TYPES, &["Email", "Personal Email"], "Email"),
        (PHONE_TYPES, &["Direct", "Mobile", "Fax"], "Direct"),
        (
            ASSET_CATEGORIES,
            &["Server", "Workstation", "Printer", "Network Device"],
            "Workstation",
        ),
        (ASSET_STATUSES, &["Active", "Inactive"], "Active"),
        (MANUFACTURERS, &["Dell", "HP", "Lenovo", "Cisco"], ""),
        (
            COUNTRIES,
            &["United States", "Canada", "United Kingdom"],
            "United States",
        ),
    ];
    for (table, names, default) in simple {
        for r in rows(names, default) {
            world.store.insert(table, r);
        }
    }
    for (name, user, api) in [
        ("Alex Admin", "alex.admin", false),
        ("Jordan Tech", "jordan.tech", false),
        ("API Employee", creds.user.as_str(), true),
    ] {
        let r = json!({"name": name, "userName": user,
            "emailAddress": format!("{user}@{}.example.com", creds.company),
            "isApiEmployee": api, "isActive": true});
        world
            .store
            .insert(EMPLOYEES, r.as_object().cloned().unwrap_or_default());
    }
}

// ---------------------------------------------------------------------------------------------
// Neutral vocabulary.

fn account_by_name(store: &Store, name: &str) -> Result<i64, String> {
    company_id_by_name(store, ACCOUNTS, "accountName", name)
}

fn location_by_name(store: &Store, account: i64, name: &str) -> Result<i64, String> {
    store
        .rows(LOCATIONS)
        .find(|l| int_of(l, "accountId") == Some(account) && eq_ci(l.get("locationName"), name))
        .map(id_of)
        .ok_or_else(|| format!("the company has no location named `{name}`"))
}

fn main_location_id(store: &Store, account: i64) -> Option<i64> {
    store
        .get(ACCOUNTS, account)
        .and_then(|a| main_location(store, a))
        .map(id_of)
}

fn status_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "active" => Ok(true),
        "inactive" => Ok(false),
        _ => Err(format!("status must be Active or Inactive, not `{v}`")),
    }
}

fn nbool(fields: &Map<String, Value>, key: &str) -> Option<bool> {
    match fields.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("yes")),
        Value::Number(n) => Some(n.as_i64() != Some(0)),
        _ => None,
    }
}

fn err_text(e: ApiErr) -> String {
    if e.sub.is_empty() {
        e.message
    } else {
        format!("{}: {}", e.message, e.sub.join("; "))
    }
}

const ADDRESS_NEUTRAL: &[(&str, &str)] = &[
    ("address1", "address1"),
    ("address2", "address2"),
    ("city", "city"),
    ("state", "state"),
    ("zip", "zipCode"),
    ("country", "country"),
    ("phone", "phone"),
    ("fax", "fax"),
];

fn company_create(world: &mut World, f: &Map<String, Value>) -> Result<i64, String> {
    let store = &world.store;
    let name = text(f, "name").ok_or("a company needs a name")?;
    let type_name = text(f, "type").unwrap_or_else(|| "Customer".into());
    let mut body = Map::new();
    body.insert("accountName".into(), json!(name));
    body.insert("accountCode".into(), json!(text(f, "short_name")));
    body.insert(
        "accountTypeId".into(),
        json!(lookup_id(store, ACCOUNT_TYPES, "name", &type_name)?),
    );
    body.insert(
        "businessTypeId".into(),
        json!(default_lookup(store, BUSINESS_TYPES)),
    );
    body.insert(
        "accountManagerId".into(),
        json!(lookup_id(store, EMPLOYEES, "name", "Alex Admin")?),
    );
    if let Some(s) = text(f, "status") {
        body.insert("isActive".into(), json!(status_bool(&s)?));
    }
    if let Some(p) = text(f, "parent") {
        body.insert("parentId".into(), json!(account_by_name(store, &p)?));
    }
    body.insert(
        "locations".into(),
        json!([{"locationName": "Main", "isMain": true, "addresses": [{"phone": text(f, "phone")}]}]),
    );
    create_account(world, &body).map_err(err_text)
}

fn company_update(world: &mut World, id: i64, f: &Map<String, Value>) -> Result<(), String> {
    let store = &world.store;
    let mut rec = store
        .get(ACCOUNTS, id)
        .cloned()
        .ok_or_else(|| format!("no company {id}"))?;
    if f.contains_key("name") {
        rec.insert(
            "accountName".into(),
            json!(text(f, "name").ok_or("name cannot be empty")?),
        );
    }
    if f.contains_key("short_name") {
        rec.insert("accountCode".into(), json!(text(f, "short_name")));
    }
    if let Some(t) = text(f, "type") {
        rec.insert(
            "accountTypeId".into(),
            json!(lookup_id(store, ACCOUNT_TYPES, "name", &t)?),
        );
    }
    if let Some(s) = text(f, "status") {
        rec.insert("isActive".into(), json!(status_bool(&s)?));
    }
    if f.contains_key("parent") {
        let p = match text(f, "parent") {
            Some(p) => Some(account_by_name(store, &p)?),
            None => None,
        };
        rec.insert("parentId".into(), json!(p));
    }
    let main = main_location_id(store, id);
    save(world, ACCOUNTS, id, rec);
    if f.contains_key("phone") {
        if let Some(m) = main {
            let mut nf = Map::new();
            nf.insert(
                "phone".into(),
                f.get("phone").cloned().unwrap_or(Value::Null),
            );
            location_update(world, m, &nf)?;
        }
    }
    Ok(())
}

fn location_create(world: &mut World, f: &Map<String, Value>) -> Result<i64, String> {
    let company = text(f, "company").ok_or("a location needs a company")?;
    let account = account_by_name(&world.store, &company)?;
    let mut loc = Record::new();
    loc.insert(
        "locationName".into(),
        json!(text(f, "name").ok_or("a location needs a name")?),
    );
    if let Some(p) = nbool(f, "primary") {
        loc.insert("isMain".into(), json!(p));
    }
    let mut addr = Record::new();
    for (n, w) in ADDRESS_NEUTRAL {
        addr.insert((*w).into(), json!(text(f, n)));
    }
    Ok(insert_location(world, account, loc, vec![addr]))
}

fn location_update(world: &mut World, id: i64, f: &Map<String, Value>) -> Result<(), String> {
    if world.store.get(LOCATIONS, id).is_none() {
        return Err(format!("no location {id}"));
    }
    let mut body = Map::new();
    if let Some(n) = text(f, "name") {
        body.insert("locationName".into(), json!(n));
    }
    if let Some(p) = nbool(f, "primary") {
        body.insert("isMain".into(), json!(p));
    }
    let mut addr = Map::new();
    for (n, w) in ADDRESS_NEUTRAL {
        if f.contains_key(*n) {
            addr.insert((*w).into(), json!(text(f, n)));
        }
    }
    if !addr.is_empty() {
        body.insert("addresses".into(), json!([addr]));
    }
    v1_update_location(world, id, &body).map_err(err_text)
}

fn contact_create(world: &mut World, f: &Map<String, Value>) -> Result<i64, String> {
    let store = &world.store;
    let company = text(f, "company").ok_or("a contact needs a company")?;
    let account = account_by_name(store, &company)?;
    let location = match text(f, "location") {
        Some(l) => Some(location_by_name(store, account, &l)?),
        None => main_location_id(store, account),
    };
    let mut body = Map::new();
    body.insert("accountId".into(), json!(account));
    body.insert("locationId".into(), json!(location));
    body.insert("firstName".into(), json!(text(f, "first_name")));
    body.insert("lastName".into(), json!(text(f, "last_name")));
    if let Some(e) = text(f, "email") {
        let t = text(f, "email_type").unwrap_or_else(|| "Email".into());
        let tid = lookup_id(store, EMAIL_TYPES, "name", &t)?;
        body.insert(
            "emails".into(),
            json!([{"emailAddress": e, "emailTypeId": tid, "isDefault": true}]),
        );
    }
    if let Some(p) = text(f, "phone") {
        let t = text(f, "phone_type").unwrap_or_else(|| "Direct".into());
        let tid = lookup_id(store, PHONE_TYPES, "name", &t)?;
        body.insert(
            "phones".into(),
            json!([{"phoneNumber": p, "phoneTypeId": tid, "isDefault": true}]),
        );
    }
    // Choice: the neutral path is a user in the UI; the API-only contact rule is not applied.
    let id = create_contact(world, &body, false).map_err(err_text)?;
    let rest: Map<String, Value> = f
        .iter()
        .filter(|(k, _)| matches!(k.as_str(), "title" | "important"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !rest.is_empty() {
        contact_update(world, id, &rest)?;
    }
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
fn set_channel(
    store: &Store,
    rec: &mut Record,
    member: &str,
    value_key: &str,
    type_key: &str,
    table: &str,
    value: Option<Option<String>>,
    type_name: Option<String>,
) -> Result<(), String> {
    if value.is_none() && type_name.is_none() {
        return Ok(());
    }
    let mut items: Vec<Value> = rec
        .get(member)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let pos = items
        .iter()
        .position(|v| v.get("isDefault") == Some(&Value::Bool(true)))
        .or(if items.is_empty() { None } else { Some(0) });
    let tid = match &type_name {
        Some(t) => Some(lookup_id(store, table, "name", t)?),
        None => None,
    };
    match (pos, value) {
        (Some(p), Some(None)) => {
            items.remove(p);
            normalize_default(&mut items);
        }
        (Some(p), v) => {
            if let Some(o) = items.get_mut(p).and_then(Value::as_object_mut) {
                if let Some(Some(v)) = v {
                    o.insert(value_key.into(), json!(v));
                }
                if let Some(t) = tid {
                    o.insert(type_key.into(), json!(t));
                }
            }
        }
        (None, Some(Some(v))) => {
            let base = sub_base(store) + 500_000;
            let next = next_sub_id(store, CONTACTS, member, base);
            let t = tid.or_else(|| default_lookup(store, table));
            items.push(json!({"id": next, value_key: v, type_key: t, "isDefault": true}));
        }
        (None, _) => {}
    }
    rec.insert(member.into(), Value::Array(items));
    Ok(())
}

fn contact_update(world: &mut World, id: i64, f: &Map<String, Value>) -> Result<(), String> {
    let store = &world.store;
    let mut rec = store
        .get(CONTACTS, id)
        .cloned()
        .ok_or_else(|| format!("no contact {id}"))?;
    let mut account = int_of(&rec, "accountId").unwrap_or(0);
    if let Some(c) = text(f, "company") {
        account = account_by_name(store, &c)?;
        rec.insert("accountId".into(), json!(account));
    }
    for (n, w) in [
        ("first_name", "firstName"),
        ("last_name", "lastName"),
        ("title", "jobTitle"),
    ] {
        if f.contains_key(n) {
            rec.insert(w.into(), json!(text(f, n)));
        }
    }
    if f.contains_key("important") {
        rec.insert(
            "isPoc".into(),
            json!(nbool(f, "important").unwrap_or(false)),
        );
    }
    if f.contains_key("location") {
        let l = match text(f, "location") {
            Some(l) => Some(location_by_name(store, account, &l)?),
            None => main_location_id(store, account),
        };
        rec.insert("locationId".into(), json!(l));
    }
    let opt = |k: &str| f.contains_key(k).then(|| text(f, k));
    set_channel(
        store,
        &mut rec,
        "emails",
        "emailAddress",
        "emailTypeId",
        EMAIL_TYPES,
        opt("email"),
        text(f, "email_type"),
    )?;
    set_channel(
        store,
        &mut rec,
        "phones",
        "phoneNumber",
        "phoneTypeId",
        PHONE_TYPES,
        opt("phone"),
        text(f, "phone_type"),
    )?;
    save(world, CONTACTS, id, rec);
    Ok(())
}

fn config_fields(
    store: &Store,
    f: &Map<String, Value>,
    account: i64,
    rec: &mut Record,
) -> Result<(), String> {
    if f.contains_key("name") {
        rec.insert("name".into(), json!(text(f, "name")));
    }
    for (n, w, table) in [
        ("type", "categoryId", ASSET_CATEGORIES),
        ("status", "statusId", ASSET_STATUSES),
        ("manufacturer", "manufacturerId", MANUFACTURERS),
    ] {
        if f.contains_key(n) {
            let id = match text(f, n) {
                Some(name) => Some(lookup_id(store, table, "name", &name)?),
                None => None,
            };
            rec.insert(w.into(), json!(id));
        }
    }
    for (n, w) in [
        ("serial_number", "serialNumber"),
        ("mac_address", "macAddress"),
        ("model", "modelNumber"),
        ("notes", "description"),
    ] {
        if f.contains_key(n) {
            rec.insert(w.into(), json!(text(f, n)));
        }
    }
    if f.contains_key("location") {
        let l = match text(f, "location") {
            Some(l) => Some(location_by_name(store, account, &l)?),
            None => main_location_id(store, account),
        };
        rec.insert("accountLocationId".into(), json!(l));
    }
    Ok(())
}

fn config_create(world: &mut World, f: &Map<String, Value>) -> Result<i64, String> {
    let store = &world.store;
    let company = text(f, "company").ok_or("a configuration needs a company")?;
    let account = account_by_name(store, &company)?;
    let mut rec = Record::new();
    rec.insert("accountId".into(), json!(account));
    rec.insert(
        "accountLocationId".into(),
        json!(main_location_id(store, account)),
    );
    // Choice: neutral configurations without a type are Workstations.
    rec.insert(
        "categoryId".into(),
        json!(lookup_id(store, ASSET_CATEGORIES, "name", "Workstation")?),
    );
    config_fields(store, f, account, &mut rec)?;
    create_asset(world, &rec).map_err(err_text)
}

fn config_update(world: &mut World, id: i64, f: &Map<String, Value>) -> Result<(), String> {
    let store = &world.store;
    let mut rec = store
        .get(ASSETS, id)
        .cloned()
        .ok_or_else(|| format!("no configuration {id}"))?;
    let mut account = int_of(&rec, "accountId").unwrap_or(0);
    if let Some(c) = text(f, "company") {
        account = account_by_name(store, &c)?;
        rec.insert("accountId".into(), json!(account));
    }
    config_fields(store, f, account, &mut rec)?;
    check_asset(store, &rec).map_err(err_text)?;
    save(world, ASSETS, id, rec);
    Ok(())
}

fn view_company(store: &Store, a: &Record) -> Map<String, Value> {
    let phone = main_location(store, a)
        .and_then(|l| {
            l.get("addresses")?
                .as_array()?
                .first()?
                .get("phone")
                .cloned()
        })
        .unwrap_or(Value::Null);
    neutral(vec![
        ("id", json!(id_of(a))),
        ("name", a.get("accountName").cloned().unwrap_or(Value::Null)),
        (
            "short_name",
            a.get("accountCode").cloned().unwrap_or(Value::Null),
        ),
        (
            "type",
            name_of(store, ACCOUNT_TYPES, a.get("accountTypeId")),
        ),
        (
            "status",
            match a.get("isActive").and_then(Value::as_bool) {
                Some(true) => json!("Active"),
                Some(false) => json!("Inactive"),
                None => Value::Null,
            },
        ),
        ("parent", account_name(store, int_of(a, "parentId"))),
        ("phone", phone),
    ])
}

fn view_location(store: &Store, l: &Record) -> Map<String, Value> {
    let first = l
        .get("addresses")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .cloned()
        .unwrap_or(Value::Null);
    let mut pairs = vec![
        ("id", json!(id_of(l))),
        ("company", account_name(store, int_of(l, "accountId"))),
        (
            "name",
            l.get("locationName").cloned().unwrap_or(Value::Null),
        ),
        ("primary", l.get("isMain").cloned().unwrap_or(Value::Null)),
    ];
    for (n, w) in ADDRESS_NEUTRAL {
        pairs.push((n, first.get(*w).cloned().unwrap_or(Value::Null)));
    }
    neutral(pairs)
}

fn view_contact(store: &Store, c: &Record) -> Map<String, Value> {
    let email = default_channel(c, "emails");
    let phone = default_channel(c, "phones");
    neutral(vec![
        ("id", json!(id_of(c))),
        ("company", account_name(store, int_of(c, "accountId"))),
        (
            "first_name",
            c.get("firstName").cloned().unwrap_or(Value::Null),
        ),
        (
            "last_name",
            c.get("lastName").cloned().unwrap_or(Value::Null),
        ),
        ("title", c.get("jobTitle").cloned().unwrap_or(Value::Null)),
        (
            "email",
            email
                .and_then(|e| e.get("emailAddress").cloned())
                .unwrap_or(Value::Null),
        ),
        (
            "email_type",
            email
                .map(|e| name_of(store, EMAIL_TYPES, e.get("emailTypeId")))
                .unwrap_or(Value::Null),
        ),
        (
            "phone",
            phone
                .and_then(|e| e.get("phoneNumber").cloned())
                .unwrap_or(Value::Null),
        ),
        (
            "phone_type",
            phone
                .map(|e| name_of(store, PHONE_TYPES, e.get("phoneTypeId")))
                .unwrap_or(Value::Null),
        ),
        ("location", location_name(store, int_of(c, "locationId"))),
        ("important", c.get("isPoc").cloned().unwrap_or(Value::Null)),
    ])
}

fn view_config(store: &Store, a: &Record) -> Map<String, Value> {
    let g = |k: &str| a.get(k).cloned().unwrap_or(Value::Null);
    neutral(vec![
        ("id", json!(id_of(a))),
        ("company", account_name(store, int_of(a, "accountId"))),
        ("name", g("name")),
        (
            "type",
            name_of(store, ASSET_CATEGORIES, a.get("categoryId")),
        ),
        ("status", name_of(store, ASSET_STATUSES, a.get("statusId"))),
        ("serial_number", g("serialNumber")),
        ("mac_address", g("macAddress")),
        (
            "manufacturer",
            name_of(store, MANUFACTURERS, a.get("manufacturerId")),
        ),
        ("model", g("modelNumber")),
        ("notes", g("description")),
        (
            "location",
            location_name(store, int_of(a, "accountLocationId")),
        ),
    ])
}

// ---------------------------------------------------------------------------------------------

impl DialectApi for BmsV2 {
    fn router(&self) -> Router<AppState> {
        // One handler matches paths itself: it needs the route template for the quota and
        // answers 404/405 in the envelope.
        Router::new().fallback(handle)
    }

    fn route(&self, path: &str, origin: &str) -> Option<Routed> {
        let mut p = path.to_ascii_lowercase();
        while p.len() > 1 && p.ends_with('/') {
            p.pop();
        }
        if p == "/v2" || p.starts_with("/v2/") {
            let public = p == "/v2/security/authenticate" || p == "/v2/security/refreshtoken";
            Some(Routed {
                path: p,
                api_base: format!("{origin}/v2"),
                public,
            })
        } else if p == "/api" || p.starts_with("/api/") {
            let public = p == "/api/token";
            Some(Routed {
                path: p,
                api_base: format!("{origin}/api"),
                public,
            })
        } else {
            None
        }
    }

    fn authenticate(
        &self,
        state: &MockState,
        parts: &Parts,
        routed: &Routed,
    ) -> Result<(), Response> {
        let v1 = routed.path.starts_with("/api");
        let fail = |msg: &str| {
            if v1 {
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(
                        json!({"Message": "Authorization has been denied for this request."}),
                    ),
                )
                    .into_response()
            } else {
                envelope_error(StatusCode::UNAUTHORIZED, msg, vec![])
            }
        };
        let token = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| {
                let (scheme, rest) = h.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            });
        let Some(token) = token else {
            return Err(fail("Unauthorized: a Bearer token is required"));
        };
        // V1 and V2 tokens are separate: each API accepts only its own.
        if token.starts_with("v1-") != v1 {
            return Err(fail("Unauthorized: invalid token"));
        }
        let world = state.world();
        match world.sessions.get(token) {
            None => Err(fail("Unauthorized: invalid token")),
            Some(s) if s.expires_at <= world.clock.now() => Err(fail("Token expired")),
            Some(_) => Ok(()),
        }
    }

    fn error(&self, status: StatusCode, message: &str) -> Response {
        envelope_error(status, message, vec![])
    }

    fn seed_defaults(&self, world: &mut World, personality: Personality) {
        seed_lookups(world, personality);
    }

    fn entity_tables(&self) -> &'static [&'static str] {
        &[ACCOUNTS, LOCATIONS, CONTACTS, ASSETS]
    }

    fn neutral_create(
        &self,
        world: &mut World,
        kind: NeutralKind,
        fields: &Map<String, Value>,
    ) -> Result<i64, String> {
        match kind {
            NeutralKind::Company => company_create(world, fields),
            NeutralKind::Location => location_create(world, fields),
            NeutralKind::Contact => contact_create(world, fields),
            NeutralKind::Configuration => config_create(world, fields),
        }
    }

    fn neutral_update(
        &self,
        world: &mut World,
        kind: NeutralKind,
        id: i64,
        fields: &Map<String, Value>,
    ) -> Result<(), String> {
        match kind {
            NeutralKind::Company => company_update(world, id, fields),
            NeutralKind::Location => location_update(world, id, fields),
            NeutralKind::Contact => contact_update(world, id, fields),
            NeutralKind::Configuration => config_update(world, id, fields),
        }
    }

    fn neutral_delete(&self, world: &mut World, kind: NeutralKind, id: i64) -> Result<(), String> {
        match kind {
            NeutralKind::Company => {
                world
                    .store
                    .table_mut(ACCOUNTS)
                    .remove(id)
                    .ok_or_else(|| format!("no company {id}"))?;
                // Choice: deleting an account in the UI removes its locations, contacts and
                // assets with it.
                for table in [LOCATIONS, CONTACTS, ASSETS] {
                    let ids: Vec<i64> = world
                        .store
                        .rows(table)
                        .filter(|r| int_of(r, "accountId") == Some(id))
                        .map(id_of)
                        .collect();
                    for i in ids {
                        world.store.table_mut(table).remove(i);
                    }
                }
                Ok(())
            }
            NeutralKind::Location => {
                let loc = world
                    .store
                    .table_mut(LOCATIONS)
                    .remove(id)
                    .ok_or_else(|| format!("no location {id}"))?;
                if let Some(acc) = int_of(&loc, "accountId")
                    .and_then(|a| world.store.table_mut(ACCOUNTS).get_mut(a))
                {
                    if let Some(Value::Array(ids)) = acc.get_mut("locationIds") {
                        ids.retain(|v| v.as_i64() != Some(id));
                    }
                }
                Ok(())
            }
            NeutralKind::Contact => world
                .store
                .table_mut(CONTACTS)
                .remove(id)
                .map(|_| ())
                .ok_or_else(|| format!("no contact {id}")),
            NeutralKind::Configuration => world
                .store
                .table_mut(ASSETS)
                .remove(id)
                .map(|_| ())
                .ok_or_else(|| format!("no configuration {id}")),
        }
    }

    fn neutral_view(&self, store: &Store) -> NeutralView {
        let mut view = NeutralView::new();
        view.insert(
            NeutralKind::Company,
            store
                .rows(ACCOUNTS)
                .map(|r| view_company(store, r))
                .collect(),
        );
        view.insert(
            NeutralKind::Location,
            store
                .rows(LOCATIONS)
                .map(|r| view_location(store, r))
                .collect(),
        );
        view.insert(
            NeutralKind::Contact,
            store
                .rows(CONTACTS)
                .map(|r| view_contact(store, r))
                .collect(),
        );
        view.insert(
            NeutralKind::Configuration,
            store.rows(ASSETS).map(|r| view_config(store, r)).collect(),
        );
        view
    }
}
