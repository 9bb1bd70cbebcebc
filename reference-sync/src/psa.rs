//! The PSA side as the documentation platform sees it: one client per dialect behind one
//! trait, speaking a canonical field vocabulary; field maps are data ([`FieldMap`]).
//!
//! Canonical fields (the same names as the mock's neutral vocabulary):
//! - organization: `name`, `short_name`, `type`, `status`, `parent` (PSA id of the parent)
//! - location: `org` (PSA company id), `name`, `address1`, `address2`, `city`, `state`, `zip`,
//!   `country`, `phone`, `fax`, `primary`
//! - contact: `org`, `first_name`, `last_name`, `title`, `type`, `email`, `email_type`, `phone`,
//!   `phone_type`, `location` (PSA location id), `important`
//! - configuration: `org`, `name`, `type`, `status`, `serial_number`, `mac_address`,
//!   `manufacturer`, `model`, `notes`, `location`
//! - ticket (read only, R38): `number`, `title`, `board` (ConnectWise board, Autotask or BMS
//!   queue), `status`, `priority`, `org`, `contact` (the contact's name), `created`, `updated`
//!
//! References between records (`org`, `parent`, `location`) carry PSA ids as strings.

pub use crate::error::PsaError;
use crate::http::Http;
use async_trait::async_trait;
use psa_core::{Credentials, Personality};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Organization,
    Location,
    Contact,
    Configuration,
}

impl Kind {
    /// Pull order: parents before children.
    pub const ALL: [Kind; 4] = [
        Kind::Organization,
        Kind::Location,
        Kind::Contact,
        Kind::Configuration,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Kind::Organization => "organization",
            Kind::Location => "location",
            Kind::Contact => "contact",
            Kind::Configuration => "configuration",
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Kind::Organization => "organizations",
            Kind::Location => "locations",
            Kind::Contact => "contacts",
            Kind::Configuration => "configurations",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Canonical fields of one record.
pub type Fields = BTreeMap<String, Value>;

/// One PSA record in canonical form.
#[derive(Debug, Clone, PartialEq)]
pub struct PsaRecord {
    pub id: String,
    pub fields: Fields,
}

/// Values the documentation side stamps on records it creates in the PSA.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PushContext {
    /// Contact type chosen in two-way settings (PSA name), if any.
    pub contact_type: Option<String>,
    /// E-mail type chosen in two-way settings; without one, e-mail is not sent.
    pub email_type: Option<String>,
    /// Phone type chosen in two-way settings; without one, phone is not sent.
    pub phone_type: Option<String>,
    /// Account manager / owner resource for new companies (Autotask, BMS family), by name.
    pub account_manager: Option<String>,
}

/// How the client reaches the PSA.
#[derive(Debug, Clone)]
pub struct Connection {
    pub personality: Personality,
    /// Server origin, e.g. `http://127.0.0.1:4100` (each client appends its own API path).
    pub origin: String,
    pub credentials: Credentials,
}

/// A read's result with "not found" (404) as `None`, for `PsaClient::get`.
pub fn found<T>(read: Result<T, PsaError>) -> Result<Option<T>, PsaError> {
    match read {
        Ok(v) => Ok(Some(v)),
        Err(PsaError::Rejected { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One client per dialect. All methods speak canonical fields.
#[async_trait]
pub trait PsaClient: Send {
    fn personality(&self) -> Personality;
    /// The shared HTTP layer the client sends through (its retry policy and ledger).
    fn http(&self) -> &Http;
    /// Authenticates and loads the lookups the field maps need.
    async fn connect(&mut self) -> Result<(), PsaError>;
    /// Every record of a kind (all pages).
    async fn list(&mut self, kind: Kind) -> Result<Vec<PsaRecord>, PsaError>;
    /// The companies whose children the next lists need (those that sync, and those holding
    /// linked records). A PSA whose children live under each company (ConnectWise sites) lists
    /// only these instead of asking every company; the others list globally and ignore it.
    fn scope_children(&mut self, _companies: &[String]) {}
    /// One record by PSA id, as `list` would show it; `None` when the PSA has no such record.
    async fn get(&mut self, kind: Kind, id: &str) -> Result<Option<PsaRecord>, PsaError>;
    /// The PSA record matching `fields` on `kind`'s exact-match key (the pull's keys), the newest
    /// when several do: how a create that may have landed is checked before it is repeated.
    async fn find_existing(
        &mut self,
        kind: Kind,
        fields: &Fields,
    ) -> Result<Option<String>, PsaError> {
        let rows = self.list(kind).await?;
        Ok(find_match(kind, fields, &rows))
    }
    /// Creates a record, never twice (the clients check before they repeat one); returns its PSA id.
    async fn create(
        &mut self,
        kind: Kind,
        fields: &Fields,
        ctx: &PushContext,
    ) -> Result<String, PsaError>;
    /// Sends only `changed` mapped fields as a partial update; unmapped PSA fields survive.
    async fn update(
        &mut self,
        kind: Kind,
        id: &str,
        changed: &Fields,
        ctx: &PushContext,
    ) -> Result<(), PsaError>;
    /// Every ticket (all pages) in canonical form. Tickets are pull-only (R38): clients read
    /// them through pull-only field maps and have no way to write one.
    async fn list_tickets(&mut self) -> Result<Vec<PsaRecord>, PsaError>;
}

/// Direction of a mapped field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Pulled, and pushed when two-way is on.
    Both,
    /// Pulled only (e.g. ConnectWise site phone and fax).
    PullOnly,
}

/// How a canonical value is written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// A string member (empty strings read as absent).
    Text,
    /// A boolean member.
    Bool,
    /// A reference to another record of this PSA, by numeric id (canonical: id as string).
    IdRef,
    /// A lookup id whose name is canonical: `lookup` names the client's lookup table.
    LookupId(&'static str),
    /// A reference object `{"id": n, "name": ...}` resolved through a lookup table.
    RefObject(&'static str),
    /// The first element of an array of reference objects (ConnectWise company `types`).
    RefObjectListFirst(&'static str),
    /// A boolean status: `true` is "Active", `false` is "Inactive".
    ActiveFlag,
}

/// One row of a field map: canonical name, wire member, codec, direction.
#[derive(Debug, Clone, Copy)]
pub struct FieldMap {
    pub canonical: &'static str,
    pub wire: &'static str,
    pub codec: Codec,
    pub direction: Direction,
}

impl FieldMap {
    pub const fn both(canonical: &'static str, wire: &'static str, codec: Codec) -> Self {
        FieldMap {
            canonical,
            wire,
            codec,
            direction: Direction::Both,
        }
    }
    pub const fn pull_only(canonical: &'static str, wire: &'static str, codec: Codec) -> Self {
        FieldMap {
            canonical,
            wire,
            codec,
            direction: Direction::PullOnly,
        }
    }
}

/// Lookup tables a client loaded at connect: table -> (id, name) rows.
#[derive(Debug, Clone, Default)]
pub struct Lookups {
    tables: BTreeMap<&'static str, Vec<(i64, String)>>,
}

impl Lookups {
    pub fn set(&mut self, table: &'static str, rows: Vec<(i64, String)>) {
        self.tables.insert(table, rows);
    }
    pub fn id_of(&self, table: &str, name: &str) -> Option<i64> {
        self.tables
            .get(table)?
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(id, _)| *id)
    }
    pub fn name_of(&self, table: &str, id: i64) -> Option<&str> {
        self.tables
            .get(table)?
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.as_str())
    }
    fn resolve(&self, table: &str, name: &str) -> Result<i64, PsaError> {
        self.id_of(table, name)
            .ok_or_else(|| PsaError::Unmappable(format!("the PSA has no {table} named `{name}`")))
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// A wire member; `a/b` reads member `b` of object `a` (pull-only rows such as ConnectWise
/// `_info/dateEntered`; `encode` writes top-level members only).
fn wire_member<'a>(wire: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('/');
    let first = wire.get(parts.next()?)?;
    parts.try_fold(first, |v, p| v.get(p))
}

/// Reads canonical fields from a wire record through a field map.
pub fn decode(map: &[FieldMap], wire: &Map<String, Value>, lookups: &Lookups) -> Fields {
    let mut out = Fields::new();
    for f in map {
        let Some(raw) = wire_member(wire, f.wire) else {
            continue;
        };
        let value = match f.codec {
            // A member the PSA sends empty is a cleared value, not an unknown one (R29).
            Codec::Text => Some(as_text(raw).map_or(Value::Null, Value::String)),
            Codec::Bool => raw.as_bool().map(Value::Bool),
            Codec::IdRef => match raw {
                Value::Object(o) => o.get("id").and_then(as_text_ref).map(Value::String),
                other => as_text_ref(other).map(Value::String),
            },
            Codec::LookupId(table) => raw
                .as_i64()
                .and_then(|id| lookups.name_of(table, id))
                .map(|n| Value::String(n.to_string())),
            Codec::RefObject(table) => ref_name(raw, table, lookups),
            Codec::RefObjectListFirst(table) => raw
                .as_array()
                .and_then(|a| a.first())
                .and_then(|r| ref_name(r, table, lookups)),
            Codec::ActiveFlag => raw
                .as_bool()
                .map(|b| Value::String(if b { "Active" } else { "Inactive" }.into())),
        };
        if let Some(v) = value {
            out.insert(f.canonical.to_string(), v);
        }
    }
    out
}

/// A listed wire row in canonical form, its PSA id read from `id`.
pub fn decode_row(map: &[FieldMap], wire: &Value, lookups: &Lookups) -> Option<PsaRecord> {
    let o = wire.as_object()?;
    Some(PsaRecord {
        id: as_text_ref(o.get("id")?)?,
        fields: decode(map, o, lookups),
    })
}

fn as_text_ref(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn ref_name(raw: &Value, table: &str, lookups: &Lookups) -> Option<Value> {
    let o = raw.as_object()?;
    if let Some(n) = o.get("name").and_then(Value::as_str) {
        return Some(Value::String(n.to_string()));
    }
    let id = o.get("id")?.as_i64()?;
    lookups
        .name_of(table, id)
        .map(|n| Value::String(n.to_string()))
}

/// Writes the canonical `fields` present in `fields` through a field map (pull-only fields are
/// never written). Absent canonical fields are left out, so the result suits a partial update.
pub fn encode(
    map: &[FieldMap],
    fields: &Fields,
    lookups: &Lookups,
) -> Result<Map<String, Value>, PsaError> {
    let mut out = Map::new();
    for f in map.iter().filter(|f| f.direction == Direction::Both) {
        let Some(v) = fields.get(f.canonical) else {
            continue;
        };
        let text = as_text(v);
        let wire = match (f.codec, text) {
            (Codec::Text, t) => t.map(Value::String).unwrap_or(Value::Null),
            (Codec::Bool, _) => Value::Bool(v.as_bool().unwrap_or(false)),
            (Codec::IdRef, Some(t)) => t
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or(Value::String(t)),
            (Codec::LookupId(table), Some(t)) => Value::from(lookups.resolve(table, &t)?),
            (Codec::RefObject(table), Some(t)) => {
                serde_json::json!({ "id": lookups.resolve(table, &t)? })
            }
            (Codec::RefObjectListFirst(table), Some(t)) => {
                serde_json::json!([{ "id": lookups.resolve(table, &t)? }])
            }
            (Codec::ActiveFlag, Some(t)) => Value::Bool(t.eq_ignore_ascii_case("active")),
            (_, None) => Value::Null,
        };
        out.insert(f.wire.to_string(), wire);
    }
    Ok(out)
}

// ---- exact matching (R21-R25), shared by the clients and the engine ----------------------

/// Test-only loosenings of the exact match (the engine's `Defect`s, which prove the suite
/// notices); the default is the real rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Loosened {
    pub contacts_on_first_name: bool,
    pub locations_without_country: bool,
}

/// Whether two records of `kind` are the same record by the exact-match rules (R21-R25):
/// organizations by name; contacts by organization and first and last name; locations by
/// organization, name and address (not zip); configurations by organization, type and name, and
/// by serial number and MAC address where both sides have them (the catalogue's asterisk, Q2).
/// Comparison is exact: no case folding or trimming (Q4). `first_name_only` is the test-only
/// defect that breaks R23.
pub fn same_record(kind: Kind, a: &Fields, b: &Fields, loose: Loosened) -> bool {
    let eq = |k: &str| a.get(k) == b.get(k);
    let both_or_none = |k: &str| {
        let present = |f: &Fields| {
            f.get(k)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty())
        };
        !(present(a) && present(b)) || eq(k)
    };
    match kind {
        Kind::Configuration => {
            index_key(kind, a, loose) == index_key(kind, b, loose)
                && both_or_none("serial_number")
                && both_or_none("mac_address")
        }
        _ => index_key(kind, a, loose) == index_key(kind, b, loose),
    }
}

/// The part of the exact-match key every match shares (configurations add serial and MAC
/// where both sides have them): records with different index keys never match, so an index by
/// this key finds every candidate in constant time.
pub fn index_key(kind: Kind, f: &Fields, loose: Loosened) -> Vec<Value> {
    let parts: &[&str] = match kind {
        Kind::Organization => &["name"],
        Kind::Contact if loose.contacts_on_first_name => &["org", "first_name"],
        Kind::Contact => &["org", "first_name", "last_name"],
        Kind::Location if loose.locations_without_country => {
            &["org", "name", "address1", "address2", "city", "state"]
        }
        Kind::Location => &[
            "org", "name", "address1", "address2", "city", "state", "country",
        ],
        Kind::Configuration => &["org", "type", "name"],
    };
    parts
        .iter()
        .map(|k| f.get(*k).cloned().unwrap_or(Value::Null))
        .collect()
}

/// The exact-match key of a record as a list of values (R21-R25), for looking a record up in
/// the PSA after a create that may have landed; empty parts are skipped by [`find_match`].
pub fn match_key(kind: Kind, f: &Fields) -> Vec<Value> {
    let mut key = index_key(kind, f, Loosened::default());
    if kind == Kind::Configuration {
        for k in ["serial_number", "mac_address"] {
            key.push(f.get(k).cloned().unwrap_or(Value::Null));
        }
    }
    key
}

/// The id of the row that matches `wanted` on `kind`'s exact-match key (R21-R25), the newest
/// when several do. Key parts `wanted` leaves empty are not compared: the PSA may fill defaults.
pub fn find_match(kind: Kind, wanted: &Fields, rows: &[PsaRecord]) -> Option<String> {
    let want = match_key(kind, wanted);
    rows.iter()
        .filter(|r| {
            let have = match_key(kind, &r.fields);
            want.iter()
                .zip(have.iter())
                .all(|(w, h)| w.is_null() || w == h)
        })
        .max_by_key(|r| (r.id.parse::<i64>().unwrap_or(i64::MIN), r.id.clone()))
        .map(|r| r.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MAP: &[FieldMap] = &[
        FieldMap::both("name", "name", Codec::Text),
        FieldMap::both("status", "status", Codec::RefObject("company_statuses")),
        FieldMap::both("type", "types", Codec::RefObjectListFirst("company_types")),
        FieldMap::both("active", "isActive", Codec::ActiveFlag),
        FieldMap::pull_only("phone", "phoneNumber", Codec::Text),
    ];

    fn lookups() -> Lookups {
        let mut l = Lookups::default();
        l.set(
            "company_statuses",
            vec![(1, "Active".into()), (2, "Inactive".into())],
        );
        l.set("company_types", vec![(5, "Customer".into())]);
        l
    }

    #[test]
    fn decode_then_encode_round_trips_mapped_fields_and_skips_pull_only() {
        let wire = json!({"name": "Acme", "status": {"id": 2, "name": "Inactive"}, "types": [{"id": 5}],
                          "isActive": true, "phoneNumber": "555", "unmapped": 1});
        let fields = decode(MAP, wire.as_object().unwrap(), &lookups());
        assert_eq!(fields["status"], "Inactive");
        assert_eq!(fields["type"], "Customer");
        assert_eq!(fields["active"], "Active");
        assert_eq!(fields["phone"], "555");
        let back = encode(MAP, &fields, &lookups()).unwrap();
        assert_eq!(
            Value::Object(back),
            json!({"name": "Acme", "status": {"id": 2}, "types": [{"id": 5}], "isActive": true})
        );
    }

    #[test]
    fn rows_decode_nested_members_and_pull_only_maps_encode_nothing() {
        const TICKET: &[FieldMap] = &[
            FieldMap::pull_only("number", "id", Codec::IdRef),
            FieldMap::pull_only("created", "_info/dateEntered", Codec::Text),
            FieldMap::pull_only("missing", "_info/dateEntered/deeper", Codec::Text),
        ];
        let wire = json!({"id": 7, "_info": {"dateEntered": "2024-01-01T00:00:00Z"}});
        let row = decode_row(TICKET, &wire, &Lookups::default()).unwrap();
        assert_eq!(row.id, "7");
        assert_eq!(
            row.fields,
            Fields::from([
                ("number".into(), json!("7")),
                ("created".into(), json!("2024-01-01T00:00:00Z")),
            ])
        );
        assert!(decode_row(TICKET, &json!({"name": "no id"}), &Lookups::default()).is_none());
        // An id given as text is kept as it is; an empty one is no id at all.
        let texted = decode_row(TICKET, &json!({"id": "T-7"}), &Lookups::default()).unwrap();
        assert_eq!(
            (texted.id.as_str(), &texted.fields["number"]),
            ("T-7", &json!("T-7"))
        );
        assert!(decode_row(TICKET, &json!({"id": ""}), &Lookups::default()).is_none());
        assert!(decode_row(TICKET, &json!([1]), &Lookups::default()).is_none());
        assert!(encode(TICKET, &row.fields, &Lookups::default())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn unknown_lookup_names_are_unmappable() {
        let mut f = Fields::new();
        f.insert("status".into(), json!("Gone"));
        assert!(matches!(
            encode(MAP, &f, &lookups()),
            Err(PsaError::Unmappable(_))
        ));
    }
}
