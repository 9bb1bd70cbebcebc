//! Accounts and their locations: create with nested `Locations[].Addresses[]`, PUT, JSON
//! Patch, the paged summary with `Filter.*`, `summary/{id}`, `lookup`, and the read-only V2
//! location routes (locations are written through V1, see `v1.rs`).

use super::listing::{f, How, ListSpec, AUDITED};
use super::model::*;
use super::routes::{route, Ctx, Route};
use super::schema::{dto, schema_of};
use super::view::{account_name, lookup_of, Dto, Src, View, ID_AND_AUDIT};
use super::wire::*;
use crate::dialect::get_ci;
use crate::state::World;
use crate::store::{Record, Store};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

pub const ROUTES: &[Route] = &[
    route("POST", "crm/accounts", post),
    route("GET", "crm/accounts/summary", summary),
    route("GET", "crm/accounts/lookup", lookup),
    route("GET", "crm/accounts/summary/{id}", get_summary),
    route("PUT", "crm/accounts/{id}", put),
    route("PATCH", "crm/accounts/{id}", patch),
    route(
        "GET",
        "crm/accounts/{id}/locations/lookup",
        locations_lookup,
    ),
    route(
        "GET",
        "crm/accounts/{id}/locations/{locationId}",
        get_location,
    ),
];

pub const ACCOUNT: Entity = Entity {
    table: ACCOUNTS,
    label: "Account",
    dto: ACCOUNT_DTO,
};
pub const LOCATION: Entity = Entity {
    table: LOCATIONS,
    label: "Location",
    dto: LOCATION_DTO,
};

/// `AccountPutInputDto`'s members (the POST DTO adds `Locations`).
pub fn account_schema() -> &'static Schema {
    schema_of("AccountPutInputDto")
}

fn location_schema() -> &'static Schema {
    schema_of("AccountLocationInputDto")
}

pub(super) fn address_schema() -> &'static Schema {
    schema_of("AccountLocationAddressInputDto")
}

pub const SUMMARY: ListSpec = ListSpec {
    table: ACCOUNTS,
    filters: &[
        &[
            f("AccountName", How::Text(&["accountName"])),
            f("AccountCode", How::Text(&["accountCode"])),
            f(
                "AccountTypeId",
                How::IdOrName("accountTypeId", ACCOUNT_TYPES),
            ),
            f(
                "AccountTypeName",
                How::IdOrName("accountTypeId", ACCOUNT_TYPES),
            ),
        ],
        AUDITED,
    ],
    dto: ACCOUNT_DTO,
};

const LOOKUP: ListSpec = ListSpec {
    table: ACCOUNTS,
    filters: &[&[
        f("Ids", How::Ids("id")),
        f("Name", How::Text(&["accountName"])),
        f("WithSecurityScope", How::IgnoredBool),
        // Choice: inactive accounts are left out unless asked for.
        f("WithInactiveAccounts", How::InactiveUnless("isActive")),
    ]],
    dto: &[
        ("id", Src::Member("id")),
        ("name", Src::Member("accountName")),
        ("tenantName", Src::TenantName),
        ("isActive", Src::Member("isActive")),
    ],
};

// ---------------------------------------------------------------------------------------------
// Handlers.

fn post(c: &Ctx<'_>) -> R<Response> {
    let body = c.object()?;
    c.write(&ACCOUNT, |w| create_account(w, &body, true))
}

fn summary(c: &Ctx<'_>) -> R<Response> {
    c.list(&SUMMARY, true, None)
}

fn lookup(c: &Ctx<'_>) -> R<Response> {
    c.list(&LOOKUP, false, None)
}

/// `summary/{id}` of accounts and contacts: enveloped unless `bms_summary_envelope` is off
/// (the spec declares the bare DTO; a real client reads `result`).
pub fn summary_of(c: &Ctx<'_>, e: &Entity) -> R<Response> {
    let id = c.id(0, e.label)?;
    if c.settings.bms_summary_envelope {
        return c.show(e, id);
    }
    let w = c.world();
    Ok(axum::Json(View::new(&w.store, &e.get(&w.store, id)?, e.dto)).into_response())
}

fn get_summary(c: &Ctx<'_>) -> R<Response> {
    summary_of(c, &ACCOUNT)
}

fn put(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, ACCOUNT.label)?;
    let body = c.object()?;
    c.write(&ACCOUNT, |w| update_account(w, id, &body, Put::Replace))
}

fn patch(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, ACCOUNT.label)?;
    c.patch(&ACCOUNT, account_schema(), &[], |store, rec| {
        validate_account(store, rec, Some(id))
    })
}

fn locations_lookup(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, ACCOUNT.label)?;
    let w = c.world();
    let acc = ACCOUNT.get(&w.store, id)?;
    let rows = account_locations(&w.store, &acc)
        .into_iter()
        .map(|l| {
            json!({"id": id_of(&l), "name": member(&l, "locationName"),
                   "accountId": member(&l, "accountId"), "isMain": member(&l, "isMain")})
        })
        .collect();
    Ok(c.ok(Value::Array(rows)))
}

fn get_location(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, ACCOUNT.label)?;
    let loc = c.id(1, LOCATION.label)?;
    let w = c.world();
    ACCOUNT.get(&w.store, id)?;
    let l = LOCATION
        .get(&w.store, loc)
        .ok()
        .filter(|l| int_of(l, "accountId") == Some(id))
        .ok_or_else(|| ApiErr::not_found(LOCATION.label, loc))?;
    Ok(c.ok(View::new(&w.store, &l, LOCATION_DTO)))
}

// ---------------------------------------------------------------------------------------------
// Accounts.

fn validate_account(store: &Store, rec: &Record, self_id: Option<i64>) -> R<()> {
    let put = dto("AccountPutInputDto");
    let mut errs = Vec::new();
    require(rec, put.required(), &mut errs);
    check(errs)?;
    let mut errs = Vec::new();
    put.check_refs(store, rec, &mut errs);
    if let Some(p) = int_of(rec, "parentId") {
        if !store.contains(ACCOUNTS, p) || Some(p) == self_id {
            errs.push(format!("ParentId {p} is not a valid parent account"));
        }
    }
    check(errs)
}

/// Creates an account and its `Locations[]`. V2 requires at least one location; V1 takes
/// an account alone (its locations have their own routes).
pub fn create_account(
    world: &mut World,
    body: &Map<String, Value>,
    locations_required: bool,
) -> R<i64> {
    let mut errs = Vec::new();
    let mut rec = read_schema(body, account_schema(), "", &mut errs);
    require(&rec, dto("AccountPutInputDto").required(), &mut errs);
    let mut locations = Vec::new();
    match get_ci(body, "locations") {
        Some(Value::Array(a)) => {
            if a.is_empty() && locations_required {
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
        None | Some(Value::Null) if !locations_required => {}
        None | Some(Value::Null) => errs.push("Locations is required".into()),
        Some(_) => errs.push("Locations must be an array".into()),
    }
    check(errs)?;
    validate_account(&world.store, &rec, None)?;
    let now = world.clock.rfc3339();
    dto("AccountPostInputDto").apply_defaults(&mut rec);
    let mut full = schema_members(&rec, account_schema());
    audit_new(&mut full, &now);
    full.insert("locationIds".into(), json!([]));
    let id = world.store.insert(ACCOUNTS, full);
    // The first location flagged main wins; without a flag the first location is main.
    let main_at = locations
        .iter()
        .position(|(l, _)| is_true(l, "isMain"))
        .unwrap_or(0);
    for (i, (mut loc, addrs)) in locations.into_iter().enumerate() {
        loc.insert("isMain".into(), Value::Bool(i == main_at));
        insert_location(world, id, loc, addrs);
    }
    Ok(id)
}

/// PUT of an account (V2 replaces, V1 merges); locations are not touched.
pub fn update_account(world: &mut World, id: i64, body: &Map<String, Value>, mode: Put) -> R<i64> {
    let mut rec = ACCOUNT.get(&world.store, id)?.clone();
    let mut errs = Vec::new();
    let input = read_schema(body, account_schema(), "", &mut errs);
    check(errs)?;
    apply_put(&mut rec, &input, account_schema(), mode);
    validate_account(&world.store, &rec, Some(id))?;
    save(world, ACCOUNTS, id, rec);
    Ok(id)
}

/// Deletes an account with its locations, contacts and assets (V1 and the PSA's UI).
pub fn delete_account(world: &mut World, id: i64) -> R<()> {
    ACCOUNT.get(&world.store, id)?;
    world.store.table_mut(ACCOUNTS).remove(id);
    for table in [LOCATIONS, CONTACTS, ASSETS, TICKETS] {
        remove_where(&mut world.store, table, "accountId", id);
    }
    Ok(())
}

/// `AccountOutputDto`, its locations nested.
pub const ACCOUNT_DTO: &Dto = &[
    ("", Src::Splice(ID_AND_AUDIT)),
    ("parentId", Src::Member("parentId")),
    ("accountCode", Src::Member("accountCode")),
    ("accountTypeId", Src::Member("accountTypeId")),
    ("accountType", lookup_of("accountTypeId", ACCOUNT_TYPES)),
    ("accountName", Src::Member("accountName")),
    ("businessTypeId", Src::Member("businessTypeId")),
    ("businessType", lookup_of("businessTypeId", BUSINESS_TYPES)),
    ("serviceTypeId", Src::Member("serviceTypeId")),
    ("serviceType", Src::Null),
    ("accountManagerId", Src::Member("accountManagerId")),
    (
        "accountManagerUserName",
        lookup_of("accountManagerId", EMPLOYEES),
    ),
    ("currencyId", Src::Member("currencyId")),
    ("currencyName", Src::Null),
    ("creditLimit", Src::Member("creditLimit")),
    ("netDays", Src::Member("netDays")),
    ("salesTaxItemId", Src::Member("salesTaxItemId")),
    ("salesTaxItemName", Src::Null),
    ("website", Src::Member("website")),
    ("description", Src::Member("description")),
    ("classId", Src::Member("classId")),
    ("className", Src::Null),
    ("isActive", Src::Member("isActive")),
    ("isBilling", Src::False),
    ("routeInvoiceToParent", Src::Member("routeInvoiceToParent")),
    ("acquiredDate", Src::Member("acquiredDate")),
    ("tenantName", Src::TenantName),
    (
        "locations",
        Src::Rows {
            rows: account_locations,
            item: LOCATION_DTO,
        },
    ),
];

// ---------------------------------------------------------------------------------------------
// Locations.

/// Reads one `Locations[]` / V1 location body into (location members, addresses).
pub fn read_location(
    obj: &Map<String, Value>,
    at: &str,
    errs: &mut Vec<String>,
    need_addresses: bool,
) -> (Record, Option<Vec<Record>>) {
    let loc = read_schema(obj, location_schema(), at, errs);
    let addresses = match get_ci(obj, "addresses") {
        Some(Value::Array(a)) => {
            let mut out = Vec::new();
            for (j, addr) in a.iter().enumerate() {
                let here = format!("{at}Addresses[{j}].");
                match addr.as_object() {
                    Some(ao) => out.push(read_schema(ao, address_schema(), &here, errs)),
                    None => errs.push(format!("{at}Addresses[{j}] must be an object")),
                }
            }
            Some(out)
        }
        None | Some(Value::Null) => {
            if need_addresses {
                errs.push(format!("{at}Addresses is required"));
            }
            None
        }
        Some(_) => {
            errs.push(format!("{at}Addresses must be an array"));
            None
        }
    };
    (loc, addresses)
}

/// New addresses of a location, each stored without its nulls and marked [`NULLS_LEFT_OUT`].
fn build_addresses(store: &Store, addrs: Vec<Record>, now: &str) -> Vec<Value> {
    let mut next = next_sub_id(store, LOCATIONS, "addresses", sub_base(store));
    addrs
        .into_iter()
        .map(|a| {
            let mut r = Record::new();
            r.insert("id".into(), Value::from(next));
            next += 1;
            for (m, _) in address_schema() {
                match member(&a, m) {
                    Value::Null => {}
                    v => {
                        r.insert((*m).into(), v);
                    }
                }
            }
            dto("AccountLocationAddressInputDto").apply_defaults(&mut r);
            audit_new(&mut r, now);
            r.insert(NULLS_LEFT_OUT.into(), Value::Bool(true));
            Value::Object(r)
        })
        .collect()
}

/// Stores a location of `account_id`; a new main location demotes the previous one.
pub fn insert_location(
    world: &mut World,
    account_id: i64,
    loc: Record,
    addresses: Vec<Record>,
) -> i64 {
    let now = world.clock.rfc3339();
    let has_main = world
        .store
        .ids_where(LOCATIONS, "accountId", &Value::from(account_id))
        .into_iter()
        .any(|l| world.store.value_at(LOCATIONS, l, "isMain") == Some(Value::Bool(true)));
    let is_main = loc
        .get("isMain")
        .and_then(Value::as_bool)
        .unwrap_or(!has_main);
    if is_main && has_main {
        demote_mains(&mut world.store, account_id);
    }
    let addresses = build_addresses(&world.store, addresses, &now);
    let mut rec = Record::new();
    rec.insert("accountId".into(), Value::from(account_id));
    rec.insert("locationName".into(), member(&loc, "locationName"));
    rec.insert("isMain".into(), Value::Bool(is_main));
    rec.insert(
        "isActive".into(),
        Value::Bool(loc.get("isActive").and_then(Value::as_bool).unwrap_or(true)),
    );
    audit_new(&mut rec, &now);
    rec.insert("addresses".into(), Value::Array(addresses));
    let id = world.store.insert(LOCATIONS, rec);
    if let Some(mut acc) = world.store.table_mut(ACCOUNTS).get_mut(account_id) {
        if let Some(Value::Array(ids)) = acc.get_mut("locationIds") {
            ids.push(Value::from(id));
        } else {
            acc.insert("locationIds".into(), json!([id]));
        }
    }
    id
}

fn demote_mains(store: &mut Store, account_id: i64) {
    for id in store.ids_where(LOCATIONS, "accountId", &Value::from(account_id)) {
        if let Some(mut r) = store.table_mut(LOCATIONS).get_mut(id) {
            r.insert("isMain".into(), Value::Bool(false));
        }
    }
}

/// Changes a location (V1 PUT and the UI): members present replace, absent ones stay;
/// `Addresses[i]` merges into the i-th address, extra ones are added.
pub fn update_location(world: &mut World, id: i64, body: &Map<String, Value>) -> R<i64> {
    let mut rec = LOCATION.get(&world.store, id)?.clone();
    let mut errs = Vec::new();
    let (loc, addrs) = read_location(body, "", &mut errs, false);
    if loc.contains_key("locationName") && missing(loc.get("locationName")) {
        errs.push("LocationName is required".into());
    }
    check(errs)?;
    let account_id = int_of(&rec, "accountId").unwrap_or(0);
    let becomes_main = is_true(&loc, "isMain") && !is_true(&rec, "isMain");
    rec.extend(loc);
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
                    old.extend(a);
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
    Ok(id)
}

/// Unlinks and deletes a location.
pub fn delete_location(world: &mut World, id: i64) -> R<()> {
    let loc = world
        .store
        .table_mut(LOCATIONS)
        .remove(id)
        .ok_or_else(|| ApiErr::not_found(LOCATION.label, id))?;
    if let Some(mut acc) =
        int_of(&loc, "accountId").and_then(|a| world.store.table_mut(ACCOUNTS).get_mut(a))
    {
        if let Some(Value::Array(ids)) = acc.get_mut("locationIds") {
            ids.retain(|v| v.as_i64() != Some(id));
        }
    }
    Ok(())
}

/// `AccountLocationOutputDto`, its addresses nested as stored.
pub const LOCATION_DTO: &Dto = &[
    ("", Src::Splice(ID_AND_AUDIT)),
    ("accountId", Src::Member("accountId")),
    ("locationName", Src::Member("locationName")),
    ("isMain", Src::Member("isMain")),
    ("isActive", Src::Member("isActive")),
    ("accountName", account_name("accountId")),
    ("timeZoneId", Src::Null),
    ("dateFormatId", Src::Null),
    ("timeFormatId", Src::Null),
    (
        "addresses",
        Src::FilledItems {
            list: "addresses",
            lead: &["id"],
            schema: address_schema,
        },
    ),
];

pub fn account_locations(store: &Store, acc: &Record) -> Vec<Record> {
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

pub fn main_location(store: &Store, acc: &Record) -> Option<Record> {
    let id = main_of(store, acc.get("locationIds")?)?;
    store.get(LOCATIONS, id)
}

/// The main location of account `id`.
pub fn main_location_id(store: &Store, id: i64) -> Option<i64> {
    main_of(store, &store.value_at(ACCOUNTS, id, "locationIds")?)
}

/// Among an account's `locationIds`, the stored one flagged `isMain`, else the first stored;
/// read member by member.
fn main_of(store: &Store, ids: &Value) -> Option<i64> {
    let stored: Vec<i64> = ids
        .as_array()?
        .iter()
        .filter_map(Value::as_i64)
        .filter(|&l| store.contains(LOCATIONS, l))
        .collect();
    let main = |&&l: &&i64| store.value_at(LOCATIONS, l, "isMain") == Some(Value::Bool(true));
    stored.iter().find(main).or(stored.first()).copied()
}
