//! The three wire dialects behind one interface, and the neutral vocabulary the harness and
//! the admin API use to seed and inspect any personality the same way.

pub mod autotask;
pub mod bms;
pub mod connectwise;

use crate::personality::{Dialect, Personality};
use crate::state::{AppState, MockState, Settings, World};
use crate::store::{Record, Store};
use axum::response::Response;
use http::request::Parts;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The entity kinds every PSA has, in the suite's neutral vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeutralKind {
    Company,
    Location,
    Contact,
    Configuration,
    /// Service tickets (R38): seeded and changed like the rest, read by the sync only.
    Ticket,
}

impl NeutralKind {
    pub const ALL: [NeutralKind; 5] = [
        NeutralKind::Company,
        NeutralKind::Location,
        NeutralKind::Contact,
        NeutralKind::Configuration,
        NeutralKind::Ticket,
    ];

    /// Plural key used in seeds and in the neutral view.
    pub fn plural(self) -> &'static str {
        match self {
            NeutralKind::Company => "companies",
            NeutralKind::Location => "locations",
            NeutralKind::Contact => "contacts",
            NeutralKind::Configuration => "configurations",
            NeutralKind::Ticket => "tickets",
        }
    }

    pub fn singular(self) -> &'static str {
        match self {
            NeutralKind::Company => "company",
            NeutralKind::Location => "location",
            NeutralKind::Contact => "contact",
            NeutralKind::Configuration => "configuration",
            NeutralKind::Ticket => "ticket",
        }
    }

    pub fn from_plural(s: &str) -> Option<Self> {
        NeutralKind::ALL
            .into_iter()
            .find(|k| k.plural() == s || format!("{k:?}").eq_ignore_ascii_case(s))
    }
}

/// The neutral view of a PSA: per kind, records with neutral field names, references by name.
pub type NeutralView = BTreeMap<NeutralKind, Vec<Map<String, Value>>>;

/// Where a request goes once the dialect has read its path.
#[derive(Debug, Clone)]
pub struct Routed {
    /// Path the dialect's router matches (lower case, no trailing slash, no API prefix).
    pub path: String,
    /// Absolute base for links and hrefs, e.g. `http://127.0.0.1:4100/v4_6_release/apis/3.0`.
    pub api_base: String,
    /// True for routes that need no credentials (zone lookup, company info, authenticate).
    pub public: bool,
}

/// A PSA request the pipeline has read whole, checked and routed: what a dialect's handler
/// gets. The head is the client's own (headers and URI untouched, never copied); the dialect
/// matches [`PsaRequest::path`] against its own route table.
#[derive(Debug)]
pub struct PsaRequest {
    pub parts: Parts,
    /// [`Routed::path`]: lower case, no trailing slash, no API prefix.
    pub path: String,
    /// Read within `max_body_bytes` by the pipeline.
    pub body: bytes::Bytes,
    pub ctx: RequestCtx,
}

/// A dialect's answer to one request, still to be awaited (a handler may sleep on latency).
pub type Reply = futures_util::future::BoxFuture<'static, Response>;

/// Per-request context: where the client reached the mock, for links in answers, and the
/// settings the request is served under (read once by the pipeline, shared, not cloned).
#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub origin: String,
    pub api_base: String,
    pub settings: std::sync::Arc<Settings>,
}

/// What a dialect provides. One implementation per dialect serves all its personalities.
pub trait DialectApi: Send + Sync {
    /// Answers a routed request from the dialect's own route table (404 and 405 in the
    /// dialect's shape).
    fn handle(&self, state: AppState, req: PsaRequest) -> Reply;
    /// Reads the request path; `None` when it is not under this dialect's API.
    fn route(&self, path: &str, origin: &str) -> Option<Routed>;
    /// Checks credentials for a non-public route, answering the dialect's own failure.
    // The failure is the finished reply, built once on a cold path: boxing buys nothing.
    #[allow(clippy::result_large_err)]
    fn authenticate(
        &self,
        state: &MockState,
        settings: &Settings,
        parts: &Parts,
        routed: &Routed,
    ) -> Result<(), Response>;
    /// The dialect's error response for a status and message.
    fn error(&self, status: StatusCode, message: &str) -> Response;
    /// The error for a request refused before routing, in the shape of the API version its
    /// path names (the BMS family's legacy `/api` answers in V1's envelope).
    fn error_at(&self, _path: &str, status: StatusCode, message: &str) -> Response {
        self.error(status, message)
    }
    /// Lookups and fixed records a fresh tenant has.
    fn seed_defaults(&self, world: &mut World, personality: Personality);
    /// Tables holding entities (the rest are lookups), for snapshots.
    fn entity_tables(&self) -> &'static [&'static str];
    /// A stored row of `table` as the native snapshot shows it: as stored, unless the dialect
    /// stores rows more compactly than it shows them.
    fn native_row(&self, table: &str, rec: &Record) -> Record {
        let _ = table;
        rec.clone()
    }
    /// Creates a record from neutral fields (references by name); returns the native id.
    fn neutral_create(
        &self,
        world: &mut World,
        kind: NeutralKind,
        fields: &Map<String, Value>,
    ) -> Result<i64, String>;
    /// Changes a record from neutral fields.
    fn neutral_update(
        &self,
        world: &mut World,
        kind: NeutralKind,
        id: i64,
        fields: &Map<String, Value>,
    ) -> Result<(), String>;
    /// Deletes a record (directly in the PSA, as a user of the PSA would).
    fn neutral_delete(&self, world: &mut World, kind: NeutralKind, id: i64) -> Result<(), String>;
    /// The neutral view of the entity tables.
    fn neutral_view(&self, store: &Store) -> NeutralView;
}

pub fn api_for(dialect: Dialect) -> &'static dyn DialectApi {
    match dialect {
        Dialect::ConnectWise => &connectwise::ConnectWise,
        Dialect::Autotask => &autotask::Autotask,
        Dialect::BmsV2 => &bms::BmsV2,
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers every dialect uses.

/// Parses a request body as a JSON value; empty bodies are `Err("empty body")`. Nesting past
/// `limits.max_json_depth` is refused before the (recursive) parser runs.
pub fn parse_json(body: &[u8]) -> Result<Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("request body is empty".into());
    }
    crate::limits::check_json_depth(body, crate::limits::current().max_json_depth)?;
    serde_json::from_slice(body).map_err(|e| {
        format!(
            "malformed JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        )
    })
}

/// Looks a member up ignoring ASCII case (Autotask and BMS read bodies case-insensitively).
pub fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// A string member of a neutral record.
pub fn text(fields: &Map<String, Value>, key: &str) -> Option<String> {
    match fields.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Inserts `value` unless it is null (every dialect omits or nulls absent members its own way).
pub fn put(rec: &mut Record, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        if !v.is_null() {
            rec.insert(key.to_string(), v);
        }
    }
}

/// Finds a lookup row by name (case-insensitive) in `table` and returns its id.
pub fn lookup_id(store: &Store, table: &str, name_member: &str, name: &str) -> Result<i64, String> {
    store
        .find_id_by(table, name_member, name)
        .ok_or_else(|| format!("no {table} row named `{name}`"))
}

/// The name of lookup row `id` in `table`.
pub fn lookup_name(
    store: &Store,
    table: &str,
    name_member: &str,
    id: Option<&Value>,
) -> Option<String> {
    match store.value_at(table, id?.as_i64()?, name_member)? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// The id of the company named `name` in `table`, for neutral references.
pub fn company_id_by_name(
    store: &Store,
    table: &str,
    name_member: &str,
    name: &str,
) -> Result<i64, String> {
    store
        .find_id_exact(table, name_member, name)
        .ok_or_else(|| format!("no company named `{name}`"))
}

/// Neutral record helper: builds a map from pairs, dropping nulls.
pub fn neutral(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Every neutral field a kind takes in a seed or a `records` change; others are rejected so
/// seed typos are caught.
pub fn seed_fields(kind: NeutralKind) -> &'static [&'static str] {
    match kind {
        NeutralKind::Company => &[
            "id",
            "name",
            "short_name",
            "type",
            "status",
            "parent",
            "phone",
        ],
        NeutralKind::Location => &[
            "id", "company", "name", "address1", "address2", "city", "state", "zip", "country",
            "phone", "fax", "primary",
        ],
        NeutralKind::Contact => &[
            "id",
            "company",
            "first_name",
            "last_name",
            "title",
            "type",
            "email",
            "email_type",
            "phone",
            "phone_type",
            "location",
            "important",
            "suffix",
        ],
        NeutralKind::Configuration => &[
            "id",
            "company",
            "name",
            "type",
            "status",
            "serial_number",
            "mac_address",
            "manufacturer",
            "model",
            "notes",
            "location",
        ],
        // `board` is the ConnectWise board, Autotask queue or BMS queue; `contact` is "First
        // Last" of a contact of the same company. Number and dates are the PSA's to set.
        NeutralKind::Ticket => &[
            "id", "company", "title", "board", "status", "priority", "contact",
        ],
    }
}

/// Every member a record of `kind` can have in the neutral view (what the harness's `psa.<kind>`
/// paths reach): the seed vocabulary, plus what only the PSA sets (ticket numbers and dates).
pub fn view_fields(kind: NeutralKind) -> Vec<&'static str> {
    let mut out = seed_fields(kind).to_vec();
    if kind == NeutralKind::Ticket {
        out.extend(
            TICKET_VIEW
                .iter()
                .copied()
                .filter(|f| !seed_fields(kind).contains(f)),
        );
    }
    out
}

/// Rejects a neutral field the kind does not take, naming the ones it does.
pub fn check_neutral_fields(kind: NeutralKind, fields: &Map<String, Value>) -> Result<(), String> {
    let allowed = seed_fields(kind);
    for k in fields.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(format!(
                "unknown {} field `{k}`; expected one of: {}",
                kind.singular(),
                allowed.join(", ")
            ));
        }
    }
    Ok(())
}

/// The neutral ticket view's members, in order; each dialect supplies the values.
const TICKET_VIEW: [&str; 10] = [
    "id", "company", "number", "title", "board", "status", "priority", "contact", "created",
    "updated",
];

/// A neutral ticket from its values in [`TICKET_VIEW`] order (nulls dropped).
pub fn ticket_view(values: [Value; 10]) -> Map<String, Value> {
    neutral(TICKET_VIEW.into_iter().zip(values).collect())
}

/// "First Last" of a contact record (`firstName`, `lastName`, as every dialect stores them).
pub fn full_name(contact: &Record) -> String {
    let part = |k: &str| contact.get(k).and_then(Value::as_str).unwrap_or("");
    format!("{} {}", part("firstName"), part("lastName"))
        .trim()
        .to_string()
}

/// The id of the contact called `name` ("First Last") among `contacts` (one company's).
pub fn contact_id_by_name(
    contacts: impl Iterator<Item = Record>,
    name: &str,
) -> Result<i64, String> {
    contacts
        .filter(|c| full_name(c) == name)
        .find_map(|c| c.get("id").and_then(Value::as_i64))
        .ok_or_else(|| format!("the company has no contact named `{name}`"))
}

/// The next ticket number for a ticket opened at `date` (RFC 3339): `T<YYYYMMDD>.<nnnn>`, a
/// sequence per day, as Autotask and Kaseya BMS number them.
pub fn next_ticket_number(store: &Store, table: &str, member: &str, date: &str) -> String {
    let day: String = date.chars().filter(char::is_ascii_digit).take(8).collect();
    let prefix = format!("T{day}.");
    let last = store.max_numbered(table, member, &prefix).unwrap_or(0);
    format!("{prefix}{:04}", last + 1)
}
