//! Hardware assets (the PSA's configurations): POST, GET, PUT, DELETE and `searchselect`.

use super::listing::{f, How, ListSpec};
use super::model::*;
use super::routes::{route, Ctx, Route};
use super::schema::{dto, schema_of};
use super::view::{account_name, location_name, lookup_of, Dto, Src};
use super::wire::*;
use crate::dialect::lookup_id;
use crate::state::World;
use crate::store::{Record, Store};
use axum::response::Response;
use serde_json::{json, Map, Value};

pub const ROUTES: &[Route] = &[
    route("POST", "servicedesk/hardwareasset", post),
    route("GET", "servicedesk/hardwareasset/searchselect", search),
    route("GET", "servicedesk/hardwareasset/{id}", get),
    route("PUT", "servicedesk/hardwareasset/{id}", put),
    route("DELETE", "servicedesk/hardwareasset/{id}", delete),
];

pub const ASSET: Entity = Entity {
    table: ASSETS,
    label: "Hardware asset",
    dto: ASSET_DTO,
};

/// `HardwareAssetInputDto`'s members, and the mock's `StatusId` (see `schema.json`).
pub fn asset_schema() -> &'static Schema {
    schema_of("HardwareAssetInputDto")
}

const SEARCH: ListSpec = ListSpec {
    table: ASSETS,
    filters: &[&[
        f("CategoryIds", How::Ids("categoryId")),
        f("AssetName", How::Text(&["name"])),
        f("MachineGroupId", How::Text(&["machineGroupId"])),
        f(
            "LocationName",
            How::RefText("accountLocationId", LOCATIONS, &["locationName"]),
        ),
        f("SerialNumber", How::Text(&["serialNumber"])),
        f("Description", How::Text(&["description"])),
        f("IPAddress", How::Text(&["ipAddress"])),
        f("AccountId", How::Int("accountId")),
        f("ContactId", How::Int("contactId")),
        f(
            "ContactName",
            How::RefText("contactId", CONTACTS, &["firstName", "lastName"]),
        ),
        f("ExcludedId", How::NotId),
        f("IsActive", How::Bool("isActive")),
    ]],
    dto: &[
        ("id", Src::Member("id")),
        ("categoryName", lookup_of("categoryId", ASSET_CATEGORIES)),
        ("categoryId", Src::Member("categoryId")),
        ("locationName", location_name("accountLocationId")),
        ("assetName", Src::Member("name")),
        ("serialNumber", Src::Member("serialNumber")),
        ("machineGroupId", Src::Member("machineGroupId")),
        ("ipAddress", Src::Member("ipAddress")),
        ("contactId", Src::Member("contactId")),
        ("contactName", Src::ContactName("contactId")),
        ("accountId", Src::Member("accountId")),
        ("accountName", account_name("accountId")),
        ("isActive", Src::Member("isActive")),
    ],
};

fn post(c: &Ctx<'_>) -> R<Response> {
    let body = c.object()?;
    c.write(&ASSET, |w| create_asset(w, &body))
}

fn search(c: &Ctx<'_>) -> R<Response> {
    c.list(&SEARCH, false, None)
}

fn get(c: &Ctx<'_>) -> R<Response> {
    c.show(&ASSET, c.id(0, ASSET.label)?)
}

fn put(c: &Ctx<'_>) -> R<Response> {
    c.replace(&ASSET, asset_schema(), check_asset)
}

fn delete(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, ASSET.label)?;
    c.world()
        .store
        .table_mut(ASSETS)
        .remove(id)
        .ok_or_else(|| ApiErr::not_found(ASSET.label, id))?;
    Ok(ok_empty())
}

/// Required members and every reference (account, its location, contact, lookups).
pub fn check_asset(store: &Store, rec: &Record) -> R<()> {
    let input = dto("HardwareAssetInputDto");
    let mut errs = Vec::new();
    require(rec, input.required(), &mut errs);
    check(errs)?;
    let mut errs = Vec::new();
    let account = int_of(rec, "accountId");
    if !account.is_some_and(|a| store.contains(ACCOUNTS, a)) {
        errs.push(format!("AccountId {} does not exist", account.unwrap_or(0)));
    }
    if let Some(l) = int_of(rec, "accountLocationId") {
        let owner = store.value_at(LOCATIONS, l, "accountId");
        let ok = store.contains(LOCATIONS, l) && owner.and_then(|a| a.as_i64()) == account;
        if !ok {
            errs.push(format!(
                "AccountLocationId {l} is not a location of the account"
            ));
        }
    }
    if !lookup_exists(store, CONTACTS, int_of(rec, "contactId")) {
        let id = int_of(rec, "contactId").unwrap_or(0);
        errs.push(format!("ContactId {id} does not exist"));
    }
    input.check_refs(store, rec, &mut errs);
    check(errs)
}

pub fn create_asset(world: &mut World, body: &Map<String, Value>) -> R<i64> {
    let mut errs = Vec::new();
    let input = read_schema(body, asset_schema(), "", &mut errs);
    check(errs)?;
    let mut rec = schema_members(&input, asset_schema());
    dto("HardwareAssetInputDto").apply_defaults(&mut rec);
    // Choice: a new asset without a status is "Active".
    if missing(rec.get("statusId")) {
        let active = lookup_id(&world.store, ASSET_STATUSES, "name", "Active").ok();
        rec.insert("statusId".into(), json!(active));
    }
    check_asset(&world.store, &rec)?;
    let now = world.clock.rfc3339();
    audit_new(&mut rec, &now);
    Ok(world.store.insert(ASSETS, rec))
}

/// `HardwareAssetOutputDto`: the input members, the names beside their ids, the audit.
const ASSET_DTO: &Dto = &[
    ("id", Src::Member("id")),
    ("", Src::Schema(asset_schema)),
    ("accountName", account_name("accountId")),
    ("accountLocation", location_name("accountLocationId")),
    ("category", lookup_of("categoryId", ASSET_CATEGORIES)),
    ("status", lookup_of("statusId", ASSET_STATUSES)),
    ("manufacturer", lookup_of("manufacturerId", MANUFACTURERS)),
    (
        "contactFirstName",
        Src::Ref {
            by: "contactId",
            table: CONTACTS,
            field: "firstName",
        },
    ),
    (
        "contactLastName",
        Src::Ref {
            by: "contactId",
            table: CONTACTS,
            field: "lastName",
        },
    ),
    ("createdBy", Src::Member("createdBy")),
    ("createdOn", Src::Member("createdOn")),
    ("modifiedBy", Src::Member("modifiedBy")),
    ("modifiedOn", Src::Member("modifiedOn")),
];
