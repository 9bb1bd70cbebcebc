//! The suite's neutral vocabulary on the BMS tables: seeds and "directly in the PSA" changes
//! go through the same writes as the API (as a user of the PSA's UI, so the API-only contact
//! rule is not applied), and the neutral view reads the stored rows.

use super::accounts::{self, main_location, main_location_id};
use super::assets::{check_asset, create_asset};
use super::contacts::{self, default_channel, EMAIL, PHONE};
use super::model::*;
use super::tickets::{check_ticket, create_ticket};
use super::wire::ApiErr;
use crate::dialect::{
    company_id_by_name, contact_id_by_name, lookup_id, neutral, text, ticket_view, NeutralKind,
    NeutralView,
};
use crate::state::World;
use crate::store::{Record, Store};
use serde_json::{json, Map, Value};

fn as_map(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn err_text(e: ApiErr) -> String {
    e.text()
}

fn account_by_name(store: &Store, name: &str) -> Result<i64, String> {
    company_id_by_name(store, ACCOUNTS, "accountName", name)
}

fn location_by_name(store: &Store, account: i64, name: &str) -> Result<i64, String> {
    store
        .rows_where(LOCATIONS, "accountId", &Value::from(account))
        .find(|l| {
            l.get("locationName")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .map(|r| id_of(&r))
        .ok_or_else(|| format!("the company has no location named `{name}`"))
}

/// A neutral `location` (by name) of `account`, or its main location when null.
fn location_ref(
    store: &Store,
    account: i64,
    f: &Map<String, Value>,
) -> Result<Option<i64>, String> {
    match text(f, "location") {
        Some(l) => location_by_name(store, account, &l).map(Some),
        None => Ok(main_location_id(store, account)),
    }
}

/// The id of the row named by neutral field `key` in `table`, or null when it is null.
fn lookup_ref(
    store: &Store,
    table: &str,
    f: &Map<String, Value>,
    key: &str,
) -> Result<Option<i64>, String> {
    text(f, key)
        .map(|n| lookup_id(store, table, "name", &n))
        .transpose()
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

/// Neutral text fields copied to stored members when present.
fn copy_texts(f: &Map<String, Value>, rec: &mut Record, pairs: &[(&str, &str)]) {
    for (n, w) in pairs {
        if f.contains_key(*n) {
            rec.insert((*w).into(), json!(text(f, n)));
        }
    }
}

/// Neutral lookup names (`neutral`, stored member, lookup table) copied as ids when present.
fn copy_lookups(
    store: &Store,
    f: &Map<String, Value>,
    rec: &mut Record,
    triples: &[(&str, &str, &str)],
) -> Result<(), String> {
    for (n, w, table) in triples {
        if f.contains_key(*n) {
            rec.insert((*w).into(), json!(lookup_ref(store, table, f, n)?));
        }
    }
    Ok(())
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

pub fn create(world: &mut World, kind: NeutralKind, f: &Map<String, Value>) -> Result<i64, String> {
    match kind {
        NeutralKind::Company => company_create(world, f),
        NeutralKind::Location => location_create(world, f),
        NeutralKind::Contact => contact_create(world, f),
        NeutralKind::Configuration => config_create(world, f),
        NeutralKind::Ticket => ticket_create(world, f),
    }
}

pub fn update(
    world: &mut World,
    kind: NeutralKind,
    id: i64,
    f: &Map<String, Value>,
) -> Result<(), String> {
    match kind {
        NeutralKind::Company => company_update(world, id, f),
        NeutralKind::Location => location_update(world, id, f),
        NeutralKind::Contact => contact_update(world, id, f),
        NeutralKind::Configuration => config_update(world, id, f),
        NeutralKind::Ticket => ticket_update(world, id, f),
    }
}

/// Choice: deleting an account in the UI removes its locations, contacts and assets with it.
pub fn delete(world: &mut World, kind: NeutralKind, id: i64) -> Result<(), String> {
    let r = match kind {
        NeutralKind::Company => accounts::delete_account(world, id),
        NeutralKind::Location => accounts::delete_location(world, id),
        NeutralKind::Contact => contacts::delete_contact(world, id),
        NeutralKind::Configuration => world
            .store
            .table_mut(ASSETS)
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| ApiErr::not_found("Configuration", id)),
        NeutralKind::Ticket => world
            .store
            .table_mut(TICKETS)
            .remove(id)
            .map(|_| remove_where(&mut world.store, TICKET_NOTES, "ticketId", id))
            .ok_or_else(|| ApiErr::not_found("Ticket", id)),
    };
    r.map_err(|_| format!("no {} {id}", kind.singular()))
}

pub fn view(store: &Store) -> NeutralView {
    let mut view = NeutralView::new();
    type ViewFn = fn(&Store, &Record) -> Map<String, Value>;
    let kinds: [(NeutralKind, &str, ViewFn); 5] = [
        (NeutralKind::Company, ACCOUNTS, view_company),
        (NeutralKind::Location, LOCATIONS, view_location),
        (NeutralKind::Contact, CONTACTS, view_contact),
        (NeutralKind::Configuration, ASSETS, view_config),
        (NeutralKind::Ticket, TICKETS, view_ticket),
    ];
    for (kind, table, f) in kinds {
        view.insert(kind, store.rows(table).map(|r| f(store, &r)).collect());
    }
    view
}

// ---------------------------------------------------------------------------------------------
// Companies and locations.

fn company_create(world: &mut World, f: &Map<String, Value>) -> Result<i64, String> {
    let store = &world.store;
    let name = text(f, "name").ok_or("a company needs a name")?;
    let type_name = text(f, "type").unwrap_or_else(|| "Customer".into());
    let mut body = as_map(json!({
        "accountName": name,
        "accountCode": text(f, "short_name"),
        "accountTypeId": lookup_id(store, ACCOUNT_TYPES, "name", &type_name)?,
        "businessTypeId": default_lookup(store, BUSINESS_TYPES),
        "accountManagerId": lookup_id(store, EMPLOYEES, "name", "Alex Admin")?,
    }));
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
    accounts::create_account(world, &body, true).map_err(err_text)
}

fn company_update(world: &mut World, id: i64, f: &Map<String, Value>) -> Result<(), String> {
    let store = &world.store;
    let mut rec = store
        .get(ACCOUNTS, id)
        .ok_or_else(|| format!("no company {id}"))?;
    if f.contains_key("name") {
        rec.insert(
            "accountName".into(),
            json!(text(f, "name").ok_or("name cannot be empty")?),
        );
    }
    copy_texts(f, &mut rec, &[("short_name", "accountCode")]);
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
        let p = text(f, "parent")
            .map(|p| account_by_name(store, &p))
            .transpose()?;
        rec.insert("parentId".into(), json!(p));
    }
    let main = main_location_id(store, id);
    save(world, ACCOUNTS, id, rec);
    if let (true, Some(m)) = (f.contains_key("phone"), main) {
        let mut nf = Map::new();
        nf.insert(
            "phone".into(),
            f.get("phone").cloned().unwrap_or(Value::Null),
        );
        location_update(world, m, &nf)?;
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
    Ok(accounts::insert_location(world, account, loc, vec![addr]))
}

fn location_update(world: &mut World, id: i64, f: &Map<String, Value>) -> Result<(), String> {
    if !world.store.contains(LOCATIONS, id) {
        return Err(format!("no location {id}"));
    }
    let mut body = Map::new();
    if let Some(n) = text(f, "name") {
        body.insert("locationName".into(), json!(n));
    }
    if let Some(p) = nbool(f, "primary") {
        body.insert("isMain".into(), json!(p));
    }
    let mut addr = Record::new();
    copy_texts(f, &mut addr, ADDRESS_NEUTRAL);
    if !addr.is_empty() {
        body.insert("addresses".into(), json!([addr]));
    }
    accounts::update_location(world, id, &body)
        .map(|_| ())
        .map_err(err_text)
}

// ---------------------------------------------------------------------------------------------
// Contacts.

/// A contact's or configuration's row, moved to the neutral `company` when one is given,
/// with the account it now belongs to.
fn load_moved(
    store: &Store,
    table: &str,
    what: &str,
    id: i64,
    f: &Map<String, Value>,
) -> Result<(Record, i64), String> {
    let mut rec = store
        .get(table, id)
        .ok_or_else(|| format!("no {what} {id}"))?;
    let mut account = int_of(&rec, "accountId").unwrap_or(0);
    if let Some(c) = text(f, "company") {
        account = account_by_name(store, &c)?;
        rec.insert("accountId".into(), json!(account));
    }
    Ok((rec, account))
}

fn contact_create(world: &mut World, f: &Map<String, Value>) -> Result<i64, String> {
    let store = &world.store;
    let company = text(f, "company").ok_or("a contact needs a company")?;
    let account = account_by_name(store, &company)?;
    let mut body = Map::new();
    body.insert("accountId".into(), json!(account));
    body.insert("locationId".into(), json!(location_ref(store, account, f)?));
    body.insert("firstName".into(), json!(text(f, "first_name")));
    body.insert("lastName".into(), json!(text(f, "last_name")));
    for (ch, key, type_key, default_type) in [
        (EMAIL, "email", "email_type", "Email"),
        (PHONE, "phone", "phone_type", "Direct"),
    ] {
        if let Some(v) = text(f, key) {
            let t = text(f, type_key).unwrap_or_else(|| default_type.into());
            let tid = lookup_id(store, ch.table, "name", &t)?;
            body.insert(
                ch.list.into(),
                json!([{ch.value: v, ch.type_id: tid, "isDefault": true}]),
            );
        }
    }
    let id = contacts::create_contact(world, &body, false).map_err(err_text)?;
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

fn contact_update(world: &mut World, id: i64, f: &Map<String, Value>) -> Result<(), String> {
    let store = &world.store;
    let (mut rec, account) = load_moved(store, CONTACTS, "contact", id, f)?;
    copy_texts(
        f,
        &mut rec,
        &[
            ("first_name", "firstName"),
            ("last_name", "lastName"),
            ("title", "jobTitle"),
        ],
    );
    if f.contains_key("important") {
        rec.insert(
            "isPoc".into(),
            json!(nbool(f, "important").unwrap_or(false)),
        );
    }
    if f.contains_key("location") {
        rec.insert("locationId".into(), json!(location_ref(store, account, f)?));
    }
    for (ch, key, type_key) in [
        (EMAIL, "email", "email_type"),
        (PHONE, "phone", "phone_type"),
    ] {
        let value = f.contains_key(key).then(|| text(f, key));
        let ty = lookup_ref(store, ch.table, f, type_key)?;
        contacts::set_default_channel(store, &mut rec, ch, value, ty)?;
    }
    save(world, CONTACTS, id, rec);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Configurations.

fn config_fields(
    store: &Store,
    f: &Map<String, Value>,
    account: i64,
    rec: &mut Record,
) -> Result<(), String> {
    copy_texts(f, rec, &[("name", "name")]);
    copy_lookups(
        store,
        f,
        rec,
        &[
            ("type", "categoryId", ASSET_CATEGORIES),
            ("status", "statusId", ASSET_STATUSES),
            ("manufacturer", "manufacturerId", MANUFACTURERS),
        ],
    )?;
    copy_texts(
        f,
        rec,
        &[
            ("serial_number", "serialNumber"),
            ("mac_address", "macAddress"),
            ("model", "modelNumber"),
            ("notes", "description"),
        ],
    );
    if f.contains_key("location") {
        rec.insert(
            "accountLocationId".into(),
            json!(location_ref(store, account, f)?),
        );
    }
    Ok(())
}

fn config_create(world: &mut World, f: &Map<String, Value>) -> Result<i64, String> {
    let store = &world.store;
    let company = text(f, "company").ok_or("a configuration needs a company")?;
    let account = account_by_name(store, &company)?;
    // Choice: neutral configurations without a type are Workstations.
    let mut rec = as_map(json!({
        "accountId": account,
        "accountLocationId": main_location_id(store, account),
        "categoryId": lookup_id(store, ASSET_CATEGORIES, "name", "Workstation")?,
    }));
    config_fields(store, f, account, &mut rec)?;
    create_asset(world, &rec).map_err(err_text)
}

fn config_update(world: &mut World, id: i64, f: &Map<String, Value>) -> Result<(), String> {
    let store = &world.store;
    let (mut rec, account) = load_moved(store, ASSETS, "configuration", id, f)?;
    config_fields(store, f, account, &mut rec)?;
    check_asset(store, &rec).map_err(err_text)?;
    save(world, ASSETS, id, rec);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Tickets.

/// Neutral ticket fields onto a stored ticket of `account` (`board` is the queue).
fn ticket_fields(
    store: &Store,
    f: &Map<String, Value>,
    account: i64,
    rec: &mut Record,
) -> Result<(), String> {
    copy_texts(f, rec, &[("title", "title")]);
    copy_lookups(
        store,
        f,
        rec,
        &[
            ("status", "statusId", STATUSES),
            ("priority", "priorityId", PRIORITIES),
            ("board", "queueId", QUEUES),
        ],
    )?;
    if f.contains_key("contact") {
        let contact = text(f, "contact")
            .map(|n| {
                let of_account = store.rows_where(CONTACTS, "accountId", &Value::from(account));
                contact_id_by_name(of_account, &n)
            })
            .transpose()?;
        rec.insert("contactId".into(), json!(contact));
    }
    Ok(())
}

/// Choice: a neutral ticket opens now at the account's main location, with the tenant's
/// default type and source and its title as the details (TicketInputDto requires them).
fn ticket_create(world: &mut World, f: &Map<String, Value>) -> Result<i64, String> {
    let store = &world.store;
    let company = text(f, "company").ok_or("a ticket needs a company")?;
    let account = account_by_name(store, &company)?;
    let title = text(f, "title").ok_or("a ticket needs a title")?;
    let mut body = as_map(json!({
        "title": title,
        "details": title,
        "accountId": account,
        "locationId": main_location_id(store, account),
        "statusId": default_lookup(store, STATUSES),
        "priorityId": default_lookup(store, PRIORITIES),
        "queueId": default_lookup(store, QUEUES),
        "typeId": default_lookup(store, ISSUE_TYPES),
        "sourceId": default_lookup(store, SOURCES),
        "openDate": world.clock.rfc3339(),
    }));
    ticket_fields(store, f, account, &mut body)?;
    create_ticket(world, &body).map_err(err_text)
}

fn ticket_update(world: &mut World, id: i64, f: &Map<String, Value>) -> Result<(), String> {
    let store = &world.store;
    let (mut rec, account) = load_moved(store, TICKETS, "ticket", id, f)?;
    if f.contains_key("company") {
        rec.insert("locationId".into(), json!(main_location_id(store, account)));
    }
    ticket_fields(store, f, account, &mut rec)?;
    check_ticket(store, &rec).map_err(err_text)?;
    save(world, TICKETS, id, rec);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The neutral view.

/// Created is the ticket's open date; updated its last modification.
fn view_ticket(store: &Store, t: &Record) -> Map<String, Value> {
    ticket_view([
        json!(id_of(t)),
        account_name(store, int_of(t, "accountId")),
        member(t, "ticketNumber"),
        member(t, "title"),
        name_of(store, QUEUES, t.get("queueId")),
        name_of(store, STATUSES, t.get("statusId")),
        name_of(store, PRIORITIES, t.get("priorityId")),
        contact_name(store, int_of(t, "contactId")),
        member(t, "openDate"),
        member(t, "modifiedOn"),
    ])
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
        ("name", member(a, "accountName")),
        ("short_name", member(a, "accountCode")),
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
        ("name", member(l, "locationName")),
        ("primary", member(l, "isMain")),
    ];
    for (n, w) in ADDRESS_NEUTRAL {
        pairs.push((n, first.get(*w).cloned().unwrap_or(Value::Null)));
    }
    neutral(pairs)
}

fn view_contact(store: &Store, c: &Record) -> Map<String, Value> {
    let mut pairs = vec![
        ("id", json!(id_of(c))),
        ("company", account_name(store, int_of(c, "accountId"))),
        ("first_name", member(c, "firstName")),
        ("last_name", member(c, "lastName")),
        ("title", member(c, "jobTitle")),
    ];
    for (ch, key, type_key) in [
        (EMAIL, "email", "email_type"),
        (PHONE, "phone", "phone_type"),
    ] {
        let d = default_channel(c, ch);
        pairs.push((
            key,
            d.and_then(|e| e.get(ch.value).cloned())
                .unwrap_or(Value::Null),
        ));
        pairs.push((
            type_key,
            d.map(|e| name_of(store, ch.table, e.get(ch.type_id)))
                .unwrap_or(Value::Null),
        ));
    }
    pairs.push(("location", location_name(store, int_of(c, "locationId"))));
    pairs.push(("important", member(c, "isPoc")));
    neutral(pairs)
}

fn view_config(store: &Store, a: &Record) -> Map<String, Value> {
    let g = |k: &str| member(a, k);
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
