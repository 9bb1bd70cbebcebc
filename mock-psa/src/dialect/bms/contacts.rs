//! Contacts: create with `Emails[]`/`Phones[]` (the BMS contact rule when the setting is on),
//! the paged summary, `search`, `summary/{id}`, the per-account lookup, PUT, JSON Patch,
//! DELETE, and the e-mail/phone operation lists.

use super::accounts::summary_of;
use super::listing::{f, How, ListSpec, Scope, AUDITED};
use super::model::*;
use super::routes::{route, Ctx, Route};
use super::schema::{dto, schema_of};
use super::view::{
    self, account_name, default_item, location_name, lookup_of, Dto, Src, ID_AND_AUDIT,
};
use super::wire::*;
use crate::dialect::get_ci;
use crate::state::World;
use crate::store::{Record, Store};
use axum::response::Response;
use serde_json::{json, Map, Value};

pub const ROUTES: &[Route] = &[
    route("POST", "crm/contacts/summary", post),
    route("GET", "crm/contacts/summary", summary),
    route("GET", "crm/contacts/search", search),
    route("GET", "crm/contacts/summary/{id}", get_summary),
    route("GET", "crm/accounts/{id}/contacts/lookup", account_lookup),
    route("PUT", "crm/contacts/{id}", put),
    route("PATCH", "crm/contacts/{id}", patch),
    route("DELETE", "crm/contacts/{id}", delete),
    route("PATCH", "crm/contacts/{id}/emails", patch_emails),
    route("PATCH", "crm/contacts/{id}/phones", patch_phones),
];

/// `summary/{id}` answers the summary DTO; PUT and PATCH answer the full `ContactOutputDto`.
pub const CONTACT: Entity = Entity {
    table: CONTACTS,
    label: "Contact",
    dto: CONTACT_DTO,
};
const CONTACT_FULL: Entity = Entity {
    dto: CONTACT_FULL_DTO,
    ..CONTACT
};
const CONTACT_CREATED: Entity = Entity {
    dto: CONTACT_CREATED_DTO,
    ..CONTACT
};

/// `ContactPutInputDto`'s members (`Poc` stored as `isPoc`).
pub fn contact_schema() -> &'static Schema {
    schema_of("ContactPutInputDto")
}

/// `ContactInputDto`'s members but `Emails`/`Phones` (read with their ids and default rule).
pub fn create_schema() -> &'static Schema {
    schema_of("ContactInputDto")
}

/// Input spellings that differ from the stored member (`Poc` on PUT, the DTO's typo).
pub const CONTACT_ALIASES: &[(&str, &str)] =
    &[("poc", "isPoc"), ("recieveInvoices", "receiveInvoices")];

/// E-mail or phone: the list member, the value and type names, and the type lookup.
#[derive(Clone, Copy)]
pub struct Channel {
    pub list: &'static str,
    pub value: &'static str,
    pub new_value: &'static str,
    pub type_id: &'static str,
    pub table: &'static str,
    pub what: &'static str,
    /// How one item shows on output.
    pub item: &'static Dto,
}

pub const EMAIL: Channel = Channel {
    list: "emails",
    value: "emailAddress",
    new_value: "newEmailAddress",
    type_id: "emailTypeId",
    table: EMAIL_TYPES,
    what: "email address",
    item: &[
        ("id", Src::Member("id")),
        ("emailAddress", Src::Member("emailAddress")),
        ("emailTypeId", Src::Member("emailTypeId")),
        ("emailType", lookup_of("emailTypeId", EMAIL_TYPES)),
        ("isDefault", Src::Member("isDefault")),
    ],
};
pub const PHONE: Channel = Channel {
    list: "phones",
    value: "phoneNumber",
    new_value: "newPhoneNumber",
    type_id: "phoneTypeId",
    table: PHONE_TYPES,
    what: "phone number",
    item: &[
        ("id", Src::Member("id")),
        // `phone` beside the stored `phoneNumber`: the real DTOs' name drift.
        ("phone", Src::Member("phoneNumber")),
        ("phoneTypeId", Src::Member("phoneTypeId")),
        ("phoneType", lookup_of("phoneTypeId", PHONE_TYPES)),
        ("isDefault", Src::Member("isDefault")),
    ],
};

const SUMMARY: ListSpec = ListSpec {
    table: CONTACTS,
    filters: &[
        &[
            f("AccountId", How::Int("accountId")),
            f(
                "AccountName",
                How::RefText("accountId", ACCOUNTS, &["accountName"]),
            ),
            f("FirstName", How::Text(&["firstName"])),
            f("LastName", How::Text(&["lastName"])),
            f("Phone", How::AnyText("phones", "phoneNumber")),
            f("Email", How::AnyText("emails", "emailAddress")),
        ],
        AUDITED,
    ],
    dto: CONTACT_DTO,
};

const SEARCH: ListSpec = ListSpec {
    table: CONTACTS,
    filters: &[&[
        f("Ids", How::Ids("id")),
        f("AccountIds", How::Ids("accountId")),
        f("AccountId", How::Int("accountId")),
        f(
            "AccountName",
            How::RefText("accountId", ACCOUNTS, &["accountName"]),
        ),
        f("LocationId", How::Int("locationId")),
        f(
            "LocationName",
            How::RefText("locationId", LOCATIONS, &["locationName"]),
        ),
        f("FirstName", How::Text(&["firstName"])),
        f("LastName", How::Text(&["lastName"])),
        // Choice: an e-mail matches any of the contact's addresses, whole and ignoring case.
        f("EmailAddress", How::AnyExact("emails", "emailAddress")),
        f("JobTitle", How::Text(&["jobTitle"])),
        f("IsPoc", How::Bool("isPoc")),
        f("HasClientPortalAccess", How::Bool("hasClientPortalAccess")),
        f("IsActive", How::Bool("isActive")),
    ]],
    dto: &[
        ("id", Src::Member("id")),
        ("", Src::Splice(PLACE_AND_NAME)),
        ("emailAddress", default_of(EMAIL)),
        ("isPoc", Src::Member("isPoc")),
        ("isActive", Src::Member("isActive")),
        ("hasClientPortalAccess", Src::False),
    ],
};

const ACCOUNT_LOOKUP: ListSpec = ListSpec {
    table: CONTACTS,
    filters: &[&[
        f("Name", How::Text(&["firstName", "lastName"])),
        f("LocationId", How::Int("locationId")),
    ]],
    dto: &[
        ("id", Src::Member("id")),
        ("name", Src::ContactName("id")),
        ("locationId", Src::Member("locationId")),
        ("locationName", location_name("locationId")),
        ("phone", default_of(PHONE)),
        ("emailAddress", default_of(EMAIL)),
    ],
};

// ---------------------------------------------------------------------------------------------
// Handlers.

fn post(c: &Ctx<'_>) -> R<Response> {
    let body = c.object()?;
    let rule = c.settings.bms_contact_rule;
    c.write(&CONTACT_CREATED, |w| create_contact(w, &body, rule))
}

fn summary(c: &Ctx<'_>) -> R<Response> {
    c.list(&SUMMARY, true, None)
}

fn search(c: &Ctx<'_>) -> R<Response> {
    c.list(&SEARCH, false, None)
}

fn get_summary(c: &Ctx<'_>) -> R<Response> {
    summary_of(c, &CONTACT)
}

fn account_lookup(c: &Ctx<'_>) -> R<Response> {
    let account = c.id(0, "Account")?;
    if !c.world().store.contains(ACCOUNTS, account) {
        return Err(ApiErr::not_found("Account", account));
    }
    let scope = Scope {
        member: "accountId",
        id: account,
    };
    c.list(&ACCOUNT_LOOKUP, false, Some(scope))
}

fn put(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, CONTACT.label)?;
    let body = c.object()?;
    let rule = c.settings.bms_contact_rule;
    c.write(&CONTACT_FULL, |w| {
        update_contact(w, id, &body, Put::Replace, rule)
    })
}

fn patch(c: &Ctx<'_>) -> R<Response> {
    let rule = c.settings.bms_contact_rule;
    c.patch(
        &CONTACT_FULL,
        contact_schema(),
        CONTACT_ALIASES,
        |store, rec| validate_contact(store, rec, rule),
    )
}

fn delete(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, CONTACT.label)?;
    delete_contact(&mut c.world(), id)?;
    Ok(ok_empty())
}

fn patch_emails(c: &Ctx<'_>) -> R<Response> {
    patch_channel_route(c, EMAIL)
}

fn patch_phones(c: &Ctx<'_>) -> R<Response> {
    patch_channel_route(c, PHONE)
}

fn patch_channel_route(c: &Ctx<'_>, ch: Channel) -> R<Response> {
    let id = c.id(0, CONTACT.label)?;
    let ops = c.ops()?;
    let result = patch_channels(&mut c.world(), id, &ops, ch, c.settings.bms_contact_rule)?;
    Ok(c.ok(result))
}

// ---------------------------------------------------------------------------------------------
// Contacts.

fn check_refs(store: &Store, rec: &Record) -> R<()> {
    let mut errs = Vec::new();
    let account = int_of(rec, "accountId");
    match account {
        Some(a) if store.contains(ACCOUNTS, a) => {}
        Some(a) => errs.push(format!("AccountId {a} does not exist")),
        None => errs.push("AccountId is required".into()),
    }
    if let Some(l) = int_of(rec, "locationId") {
        let owner = store.value_at(LOCATIONS, l, "accountId");
        let ok = store.contains(LOCATIONS, l) && owner.and_then(|a| a.as_i64()) == account;
        if !ok {
            errs.push(format!("LocationId {l} is not a location of the account"));
        }
    }
    check(errs)
}

/// The documented BMS contact rule (first name, location and, on create, a default e-mail
/// and phone), when the setting turns it on.
fn rule_errors(rec: &Record, with_channels: bool) -> Vec<String> {
    let mut errs = Vec::new();
    if missing(rec.get("firstName")) {
        errs.push("FirstName is required".into());
    }
    if with_channels {
        for ch in [EMAIL, PHONE] {
            if rec
                .get(ch.list)
                .and_then(Value::as_array)
                .is_none_or(|a| a.is_empty())
            {
                errs.push(format!(
                    "A default {} ({}[] with IsDefault) is required",
                    ch.what,
                    pascal_name(ch.list)
                ));
            }
        }
    }
    if missing(rec.get("locationId")) {
        errs.push("LocationId is required".into());
    }
    errs
}

fn validate_contact(store: &Store, rec: &Record, rule: bool) -> R<()> {
    if rule {
        check(rule_errors(rec, false))?;
    }
    check_refs(store, rec)
}

/// Creates a contact (V2 `ContactInputDto`; V1 maps its `Default*` members onto it).
pub fn create_contact(world: &mut World, body: &Map<String, Value>, rule: bool) -> R<i64> {
    let mut errs = Vec::new();
    let input = read_schema(body, create_schema(), "", &mut errs);
    let emails = read_channels(&world.store, body, EMAIL, &mut errs);
    let phones = read_channels(&world.store, body, PHONE, &mut errs);
    check(errs)?;
    let mut rec = schema_members(&input, contact_schema().iter().chain(create_schema()));
    dto("ContactPutInputDto").apply_defaults(&mut rec);
    rec.insert("emails".into(), Value::Array(emails));
    rec.insert("phones".into(), Value::Array(phones));
    if rule {
        check(rule_errors(&rec, true))?;
    }
    check_refs(&world.store, &rec)?;
    let now = world.clock.rfc3339();
    audit_new(&mut rec, &now);
    Ok(world.store.insert(CONTACTS, rec))
}

/// PUT of a contact: the scalar members only (e-mails and phones have their own route).
pub fn update_contact(
    world: &mut World,
    id: i64,
    body: &Map<String, Value>,
    mode: Put,
    rule: bool,
) -> R<i64> {
    let mut rec = CONTACT.get(&world.store, id)?.clone();
    let mut obj = body.clone();
    for (alias, m) in CONTACT_ALIASES {
        if let Some(v) = get_ci(body, alias).cloned() {
            obj.insert((*m).into(), v);
        }
    }
    let mut errs = Vec::new();
    let input = read_schema(&obj, contact_schema(), "", &mut errs);
    check(errs)?;
    apply_put(&mut rec, &input, contact_schema(), mode);
    validate_contact(&world.store, &rec, rule)?;
    save(world, CONTACTS, id, rec);
    Ok(id)
}

pub fn delete_contact(world: &mut World, id: i64) -> R<()> {
    world
        .store
        .table_mut(CONTACTS)
        .remove(id)
        .map(|_| ())
        .ok_or_else(|| ApiErr::not_found(CONTACT.label, id))
}

/// Reads `Emails[]` / `Phones[]`; stored as `{id, <value>, <typeId>, isDefault}`. Exactly one
/// entry ends up default (the first flagged, else the first).
fn read_channels(
    store: &Store,
    body: &Map<String, Value>,
    ch: Channel,
    errs: &mut Vec<String>,
) -> Vec<Value> {
    let label = pascal_name(ch.list);
    let items = match get_ci(body, ch.list) {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(a)) => a,
        Some(_) => {
            errs.push(format!("{label} must be an array"));
            return Vec::new();
        }
    };
    let schema = [
        (ch.value, Ty::Str),
        (ch.type_id, Ty::Int),
        ("isDefault", Ty::Bool),
    ];
    let mut out = Vec::new();
    let mut next = next_channel_id(store, ch);
    for (i, item) in items.iter().enumerate() {
        let at = format!("{label}[{i}].");
        let Some(o) = item.as_object() else {
            errs.push(format!("{label}[{i}] must be an object"));
            continue;
        };
        let r = read_schema(o, &schema, &at, errs);
        if missing(r.get(ch.value)) {
            errs.push(format!("{at}{} is required", pascal_name(ch.value)));
        }
        let ty = int_of(&r, ch.type_id).or_else(|| default_lookup(store, ch.table));
        if !lookup_exists(store, ch.table, ty) {
            errs.push(format!(
                "{at}{} {} does not exist",
                pascal_name(ch.type_id),
                ty.unwrap_or(0)
            ));
        }
        out.push(
            json!({"id": next, ch.value: member(&r, ch.value), ch.type_id: ty,
                        "isDefault": is_true(&r, "isDefault")}),
        );
        next += 1;
    }
    normalize_default(&mut out);
    out
}

pub fn next_channel_id(store: &Store, ch: Channel) -> i64 {
    next_sub_id(store, CONTACTS, ch.list, sub_base(store) + 500_000)
}

/// Exactly one default: the first flagged, else the first.
pub fn normalize_default(items: &mut [Value]) {
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

fn clear_defaults(items: &mut [Value]) {
    for v in items.iter_mut() {
        if let Some(o) = v.as_object_mut() {
            o.insert("isDefault".into(), Value::Bool(false));
        }
    }
}

/// The default item of a contact's e-mails or phones.
pub fn default_channel(rec: &Record, ch: Channel) -> Option<&Value> {
    default_item(rec, ch.list)
}

/// The value of a contact's default e-mail or phone, as an output member.
pub const fn default_of(ch: Channel) -> Src {
    Src::DefaultItem {
        list: ch.list,
        field: ch.value,
    }
}

/// A contact's e-mails or phones, as an output member.
const fn channels_of(ch: Channel) -> Src {
    Src::Items {
        list: ch.list,
        item: ch.item,
    }
}

/// `PATCH /contacts/{id}/emails|phones`: `Operation` 0 add, 1 update, 2 delete (also the
/// names Add/Update/Delete), matched on the current value ignoring case.
fn patch_channels(world: &mut World, id: i64, ops: &[Value], ch: Channel, rule: bool) -> R<Value> {
    let mut rec = CONTACT.get(&world.store, id)?.clone();
    let mut items: Vec<Value> = rec
        .get(ch.list)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut next = next_channel_id(&world.store, ch);
    let (mut added, mut updated, mut deleted) = (0, 0, 0);
    let mut errs = Vec::new();
    let schema = [
        (ch.value, Ty::Str),
        (ch.new_value, Ty::Str),
        ("typeId", Ty::Int),
        (ch.type_id, Ty::Int),
        ("isDefault", Ty::Bool),
    ];
    for (i, op) in ops.iter().enumerate() {
        let at = format!("operation {i}: ");
        let Some(o) = op.as_object() else {
            errs.push(format!("operation {i} must be an object"));
            continue;
        };
        let operation = match get_ci(o, "operation") {
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "add" | "0" => Some(0),
                "update" | "1" => Some(1),
                "delete" | "2" => Some(2),
                _ => None,
            },
            Some(Value::Number(n)) => n.as_i64(),
            _ => None,
        };
        let mut e = Vec::new();
        let r = read_schema(o, &schema, &at, &mut e);
        if !e.is_empty() {
            errs.extend(e);
            continue;
        }
        let value = r
            .get(ch.value)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let type_id = int_of(&r, "typeId").or(int_of(&r, ch.type_id));
        if type_id.is_some() && !lookup_exists(&world.store, ch.table, type_id) {
            errs.push(format!(
                "{at}TypeId {} does not exist",
                type_id.unwrap_or(0)
            ));
            continue;
        }
        let is_default = r.get("isDefault").and_then(Value::as_bool);
        let pos = items.iter().position(|v| {
            v.get(ch.value)
                .and_then(Value::as_str)
                .is_some_and(|x| x.eq_ignore_ascii_case(&value))
        });
        match (operation, pos) {
            (Some(0), _) if value.trim().is_empty() => {
                errs.push(format!("{at}{} is required", pascal_name(ch.value)));
            }
            (Some(0), _) => {
                let t = type_id.or_else(|| default_lookup(&world.store, ch.table));
                if is_default == Some(true) {
                    clear_defaults(&mut items);
                }
                items.push(json!({"id": next, ch.value: value, ch.type_id: t,
                                  "isDefault": is_default.unwrap_or(false)}));
                next += 1;
                added += 1;
            }
            (Some(1 | 2), None) => errs.push(format!("{at}`{value}` is not on the contact")),
            (Some(1), Some(p)) => {
                if is_default == Some(true) {
                    clear_defaults(&mut items);
                }
                if let Some(item) = items.get_mut(p).and_then(Value::as_object_mut) {
                    if let Some(nv) = r.get(ch.new_value).filter(|v| !missing(Some(v))) {
                        item.insert(ch.value.into(), nv.clone());
                    }
                    if let Some(t) = type_id {
                        item.insert(ch.type_id.into(), json!(t));
                    }
                    if let Some(d) = is_default {
                        item.insert("isDefault".into(), json!(d));
                    }
                }
                updated += 1;
            }
            (Some(2), Some(p)) => {
                items.remove(p);
                deleted += 1;
            }
            _ => errs.push(format!(
                "{at}Operation must be 0 (add), 1 (update) or 2 (delete)"
            )),
        }
    }
    check(errs)?;
    if !items.is_empty() {
        normalize_default(&mut items);
    } else if rule {
        return Err(ApiErr::invalid(vec![format!(
            "A contact needs a default {}",
            ch.what
        )]));
    }
    rec.insert(ch.list.into(), Value::Array(items));
    save(world, CONTACTS, id, rec);
    let saved = CONTACT.get(&world.store, id)?;
    Ok(
        json!({"added": added, "updated": updated, "deleted": deleted,
              ch.list: view::items(&world.store, &saved, ch.list, ch.item)}),
    )
}

// ---------------------------------------------------------------------------------------------
// Output.

/// Where a contact is and who it is: a run every contact DTO shows.
const PLACE_AND_NAME: &Dto = &[
    ("accountId", Src::Member("accountId")),
    ("accountName", account_name("accountId")),
    ("locationId", Src::Member("locationId")),
    ("locationName", location_name("locationId")),
    ("firstName", Src::Member("firstName")),
    ("lastName", Src::Member("lastName")),
    ("jobTitle", Src::Member("jobTitle")),
];

/// `ContactsSummaryOutputDto`.
pub const CONTACT_DTO: &Dto = &[
    ("", Src::Splice(ID_AND_AUDIT)),
    ("", Src::Splice(PLACE_AND_NAME)),
    ("isPoc", Src::Member("isPoc")),
    ("isActive", Src::Member("isActive")),
    ("effectiveDate", Src::Member("effectiveDate")),
    ("isBillable", Src::False),
    ("emails", channels_of(EMAIL)),
    ("phones", channels_of(PHONE)),
    ("canRecieveInvoices", Src::FlagOr("receiveInvoices")),
];

/// `ContactOutputDto`: the summary plus the PUT-only members.
pub const CONTACT_FULL_DTO: &Dto = &[
    ("", Src::Splice(CONTACT_DTO)),
    ("middleName", Src::Member("middleName")),
    ("poc", Src::Member("isPoc")),
    ("billByContact", Src::Member("billByContact")),
    ("recieveInvoices", Src::Member("receiveInvoices")),
    ("createdByName", Src::Member("createdBy")),
    ("modifiedByName", Src::Member("modifiedBy")),
];

/// The short result of `POST /v2/crm/contacts/summary`.
const CONTACT_CREATED_DTO: &Dto = &[
    ("id", Src::Member("id")),
    ("firstName", Src::Member("firstName")),
    ("lastName", Src::Member("lastName")),
    ("accountId", Src::Member("accountId")),
    ("accountName", account_name("accountId")),
    ("locationId", Src::Member("locationId")),
    ("locationName", location_name("locationId")),
    ("phoneNumber", default_of(PHONE)),
    ("emailAddress", default_of(EMAIL)),
    ("customFieldsData", Src::ListOr("customFieldsData")),
];

/// Sets the default e-mail or phone: `Some(None)` removes it, `Some(Some(v))` changes (or
/// adds) it, and `type_id` retypes it.
pub fn set_default_channel(
    store: &Store,
    rec: &mut Record,
    ch: Channel,
    value: Option<Option<String>>,
    type_id: Option<i64>,
) -> Result<(), String> {
    if value.is_none() && type_id.is_none() {
        return Ok(());
    }
    if !lookup_exists(store, ch.table, type_id) {
        return Err(format!(
            "{} {} does not exist",
            pascal_name(ch.type_id),
            type_id.unwrap_or(0)
        ));
    }
    let mut items: Vec<Value> = rec
        .get(ch.list)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let pos = items
        .iter()
        .position(|v| v.get("isDefault") == Some(&Value::Bool(true)))
        .or(if items.is_empty() { None } else { Some(0) });
    match (pos, value) {
        (Some(p), Some(None)) => {
            items.remove(p);
            normalize_default(&mut items);
        }
        (Some(p), v) => {
            if let Some(o) = items.get_mut(p).and_then(Value::as_object_mut) {
                if let Some(Some(v)) = v {
                    o.insert(ch.value.into(), json!(v));
                }
                if let Some(t) = type_id {
                    o.insert(ch.type_id.into(), json!(t));
                }
            }
        }
        (None, Some(Some(v))) => {
            let t = type_id.or_else(|| default_lookup(store, ch.table));
            let next = next_channel_id(store, ch);
            items.push(json!({"id": next, ch.value: v, ch.type_id: t, "isDefault": true}));
        }
        (None, _) => {}
    }
    rec.insert(ch.list.into(), Value::Array(items));
    Ok(())
}
