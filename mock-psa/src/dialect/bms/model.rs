//! Tables, the per-personality id plan, and the small record helpers every resource uses.

use super::view::Dto;
use super::wire::{ApiErr, R};
use crate::dialect::{full_name, lookup_name};
use crate::personality::Personality;
use crate::state::World;
use crate::store::{Record, Store};
use serde_json::{json, Value};

pub const ACCOUNTS: &str = "accounts";
pub const LOCATIONS: &str = "locations";
pub const CONTACTS: &str = "contacts";
pub const ASSETS: &str = "hardware_assets";
pub const ACCOUNT_TYPES: &str = "account_types";
pub const BUSINESS_TYPES: &str = "business_types";
pub const EMPLOYEES: &str = "employees";
pub const EMAIL_TYPES: &str = "email_types";
pub const PHONE_TYPES: &str = "phone_types";
pub const ASSET_CATEGORIES: &str = "asset_categories";
pub const ASSET_STATUSES: &str = "asset_statuses";
pub const MANUFACTURERS: &str = "manufacturers";
pub const COUNTRIES: &str = "countries";
pub const STATUSES: &str = "ticket_statuses";
pub const PRIORITIES: &str = "priorities";
pub const QUEUES: &str = "queues";
pub const TICKETS: &str = "tickets";
pub const TICKET_NOTES: &str = "ticket_notes";
pub const ISSUE_TYPES: &str = "issue_types";
pub const ISSUE_SUBTYPES: &str = "issue_subtypes";
pub const SOURCES: &str = "ticket_sources";
/// One row: tenant name, product and the sub-record id base, read by `tenantName` and userinfo.
pub const TENANT: &str = "tenant";

/// Actor written to audit fields (the seeded API user).
pub const ACTOR: &str = "API Employee";

/// First id of each table and the base of sub-record ids (addresses, e-mails, phones).
/// Ticket types and sources are small system ids everywhere (Pulseway: type 8 Incident,
/// source 6 Voice Mail). Choice: Pulseway uses large tenant-scoped ids (as its real tenants do for lookups),
/// Kaseya BMS and Vorex small distinct ranges, so goldens show which product they came from.
pub fn id_plan(p: Personality) -> (&'static [(&'static str, i64)], i64) {
    match p {
        Personality::Pulseway => (
            &[
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
                (STATUSES, 44_601),
                (PRIORITIES, 44_701),
                (QUEUES, 44_801),
                (TICKETS, 10_210_001),
                (TICKET_NOTES, 11_320_001),
                (COUNTRIES, 1),
            ],
            9_000_000,
        ),
        Personality::Vorex => (
            &[
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
                (STATUSES, 901),
                (PRIORITIES, 951),
                (QUEUES, 971),
                (TICKETS, 60_001),
                (TICKET_NOTES, 70_001),
                (COUNTRIES, 1),
            ],
            90_000,
        ),
        _ => (
            &[
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
                (STATUSES, 81),
                (PRIORITIES, 91),
                (QUEUES, 96),
                (TICKETS, 5001),
                (TICKET_NOTES, 6001),
                (COUNTRIES, 1),
            ],
            10_000,
        ),
    }
}

/// A resource with an id: its table, its name in messages, and its output DTO.
pub struct Entity {
    pub table: &'static str,
    pub label: &'static str,
    pub dto: &'static Dto,
}

impl Entity {
    /// A decoded copy of row `id`, or the not-found error.
    pub fn get(&self, store: &Store, id: i64) -> R<Record> {
        store
            .get(self.table, id)
            .ok_or_else(|| ApiErr::not_found(self.label, id))
    }

    /// Row `id` is stored, else the not-found error.
    pub fn exists(&self, store: &Store, id: i64) -> R<()> {
        match store.contains(self.table, id) {
            true => Ok(()),
            false => Err(ApiErr::not_found(self.label, id)),
        }
    }
}

pub fn id_of(r: &Record) -> i64 {
    r.get("id").and_then(Value::as_i64).unwrap_or(0)
}

pub fn int_of(r: &Record, k: &str) -> Option<i64> {
    r.get(k).and_then(Value::as_i64)
}

/// Marks a row built by [`schema_members`], or a location's address stored without its nulls
/// (an address has about twenty members, most of them null): no view shows it, and the views
/// and the native snapshot put the left-out nulls back where they find it ([`with_schema_nulls`],
/// `with_nulls`). Rows and addresses seeded natively or laid over from a capture, stored as
/// given, carry no mark and are shown as given.
pub const NULLS_LEFT_OUT: &str = "__nulls_left_out";

/// `r` with the nulls its schemas leave out put back: its `lead` members, then every member of
/// `schemas` in schema order (null where `r` lacks it), then the rest in stored order; the
/// marks dropped. A row built that way shows as it did when every null was stored.
pub fn with_schema_nulls(r: &Record, lead: &[&str], schemas: &[&super::wire::Schema]) -> Record {
    let mut out = Record::new();
    for k in lead {
        if let Some(v) = r.get(*k) {
            out.insert((*k).into(), v.clone());
        }
    }
    for (m, _) in schemas.iter().copied().flatten() {
        if !out.contains_key(*m) {
            out.insert((*m).into(), r.get(*m).cloned().unwrap_or(Value::Null));
        }
    }
    for (k, v) in r {
        if !out.contains_key(k) && k != NULLS_LEFT_OUT {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// The members of `schema` that `input` holds, nulls left out, and the [`NULLS_LEFT_OUT`] mark.
/// Every BMS view shows an absent member as null, so a stored null only costs memory (a
/// hardware asset has about a hundred members, most of them null: 12.8 KB of heap per asset
/// when each was stored).
pub fn schema_members<'a>(
    input: &Record,
    schema: impl IntoIterator<Item = &'a (&'static str, super::wire::Ty)>,
) -> Record {
    let mut rec = Record::new();
    for (m, _) in schema {
        if let Some(v) = input.get(*m).filter(|v| !v.is_null()) {
            rec.insert((*m).into(), v.clone());
        }
    }
    rec.insert(NULLS_LEFT_OUT.into(), Value::Bool(true));
    rec
}

/// A member, or null.
pub fn member(r: &Record, k: &str) -> Value {
    r.get(k).cloned().unwrap_or(Value::Null)
}

pub fn is_true(r: &Record, k: &str) -> bool {
    r.get(k) == Some(&Value::Bool(true))
}

pub fn lookup_exists(store: &Store, table: &str, id: Option<i64>) -> bool {
    id.is_none_or(|i| store.contains(table, i))
}

/// The `name` of lookup row `id`, or null.
pub fn name_of(store: &Store, table: &str, id: Option<&Value>) -> Value {
    lookup_name(store, table, "name", id)
        .map(Value::String)
        .unwrap_or(Value::Null)
}

/// The row flagged `isDefault`, else the first.
pub fn default_lookup(store: &Store, table: &str) -> Option<i64> {
    let flagged = store.ids_where(table, "isDefault", &Value::Bool(true));
    flagged
        .first()
        .copied()
        .or_else(|| store.table(table)?.ids().next())
}

fn tenant_member(store: &Store, k: &str) -> Value {
    let tenant = store.table(TENANT).and_then(|t| t.ids().next());
    tenant
        .and_then(|id| store.value_at(TENANT, id, k))
        .unwrap_or(Value::Null)
}

pub fn tenant_name(store: &Store) -> Value {
    tenant_member(store, "name")
}

pub fn sub_base(store: &Store) -> i64 {
    tenant_member(store, "subIdBase").as_i64().unwrap_or(10_000)
}

pub fn audit_new(rec: &mut Record, now: &str) {
    rec.insert("createdBy".into(), json!(ACTOR));
    rec.insert("createdOn".into(), json!(now));
    audit_touch(rec, now);
}

pub fn audit_touch(rec: &mut Record, now: &str) {
    rec.insert("modifiedBy".into(), json!(ACTOR));
    rec.insert("modifiedOn".into(), json!(now));
}

/// Next id of a sub-record kind (addresses, e-mails, phones) stored inside `table` rows:
/// one above the highest stored, through the table's index of them.
pub fn next_sub_id(store: &Store, table: &str, list: &str, base: i64) -> i64 {
    store
        .max_nested(table, list, "id")
        .unwrap_or(base)
        .max(base)
        + 1
}

/// Replaces a stored row, stamping the modification.
pub fn save(world: &mut World, table: &str, id: i64, mut rec: Record) {
    let now = world.clock.rfc3339();
    audit_touch(&mut rec, &now);
    // A compacted row stays so (an update that reads it back through its schema writes nulls).
    if rec.contains_key(NULLS_LEFT_OUT) {
        rec.retain(|_, v| !v.is_null());
    }
    if let Some(mut slot) = world.store.table_mut(table).get_mut(id) {
        *slot = rec;
    }
}

/// A member of the row `id` of `table`, or null (names shown beside ids).
pub fn ref_member(store: &Store, table: &str, id: Option<i64>, k: &str) -> Value {
    id.and_then(|i| store.value_at(table, i, k))
        .unwrap_or(Value::Null)
}

pub fn account_name(store: &Store, id: Option<i64>) -> Value {
    ref_member(store, ACCOUNTS, id, "accountName")
}

pub fn location_name(store: &Store, id: Option<i64>) -> Value {
    ref_member(store, LOCATIONS, id, "locationName")
}

/// "First Last" of a contact, or null.
pub fn contact_name(store: &Store, id: Option<i64>) -> Value {
    id.and_then(|i| store.get(CONTACTS, i))
        .map(|c| json!(full_name(&c)))
        .unwrap_or(Value::Null)
}

/// Removes the rows of `table` whose `member` is `id`.
pub fn remove_where(store: &mut Store, table: &str, member_name: &str, id: i64) {
    for i in store.ids_where(table, member_name, &Value::from(id)) {
        store.table_mut(table).remove(i);
    }
}
