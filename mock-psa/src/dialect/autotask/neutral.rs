//! The neutral vocabulary: native members for neutral fields, and the neutral view.

use super::super::*;
use super::configuration::*;
use super::schema::*;
use super::values::*;
use super::writes::*;
use serde_json::json;

/// The id of a picklist label, adding the label when absent (an administrator extending it).
pub(super) fn picklist_id_or_add(store: &mut Store, table: &str, label: &str) -> i64 {
    if let Ok(id) = lookup_id(store, table, "label", label) {
        return id;
    }
    let n = store.table(table).map_or(0, |t| t.len());
    store.insert(
        table,
        row(json!({"label": label, "isActive": true, "isDefaultValue": false, "sortOrder": n + 1})),
    )
}

pub(super) fn neutral_bool_status(fields: &Map<String, Value>) -> Result<Option<bool>, String> {
    match text(fields, "status") {
        None => Ok(None),
        Some(s) if s.eq_ignore_ascii_case("active") => Ok(Some(true)),
        Some(s) if s.eq_ignore_ascii_case("inactive") => Ok(Some(false)),
        Some(s) => Err(format!("status must be Active or Inactive, not `{s}`")),
    }
}

pub(super) fn company_by_name(store: &Store, name: &str) -> Result<i64, String> {
    company_id_by_name(store, COMPANIES, "companyName", name)
}

pub(super) fn location_by_name(store: &Store, company: i64, name: &str) -> Result<i64, String> {
    store
        .rows_where(LOCATIONS, "companyID", &Value::from(company))
        .find(|r| str_of(r, "name") == Some(name))
        .and_then(|r| int(&r, "id"))
        .ok_or_else(|| format!("no location named `{name}` at company {company}"))
}

/// Native members for neutral fields; only the fields present are written (partial update).
pub(super) fn native_fields(
    world: &mut World,
    kind: NeutralKind,
    fields: &Map<String, Value>,
    existing: Option<&Record>,
) -> Result<(Map<String, Value>, Option<i64>), String> {
    let mut rec = Map::new();
    let has = |k: &str| fields.contains_key(k);
    let opt_text = |k: &str| Value::from(text(fields, k));
    let company_of = |world: &World| -> Result<Option<i64>, String> {
        match text(fields, "company") {
            Some(n) => company_by_name(&world.store, &n).map(Some),
            None => Ok(existing.and_then(|r| int(r, "companyID"))),
        }
    };
    let mut parent = None;
    match kind {
        NeutralKind::Company => {
            for (n, w) in [("name", "companyName"), ("short_name", "companyNumber")] {
                if has(n) {
                    rec.insert(w.into(), opt_text(n));
                }
            }
            // Phone is required on companies: clearing it leaves a blank one.
            if has("phone") {
                rec.insert(
                    "phone".into(),
                    Value::from(text(fields, "phone").unwrap_or_default()),
                );
            }
            if let Some(t) = text(fields, "type") {
                let id = lookup_id(&world.store, COMPANY_TYPES, "label", &t)
                    .map_err(|_| format!("no company type named `{t}`"))?;
                rec.insert("companyType".into(), Value::from(id));
            }
            if let Some(b) = neutral_bool_status(fields)? {
                rec.insert("isActive".into(), Value::Bool(b));
            }
            if has("parent") {
                let p = match text(fields, "parent") {
                    Some(n) => Value::from(company_by_name(&world.store, &n)?),
                    None => Value::Null,
                };
                rec.insert("parentCompanyID".into(), p);
            }
        }
        NeutralKind::Location => {
            parent = company_of(world)?;
            for (n, w) in [
                ("name", "name"),
                ("address1", "address1"),
                ("address2", "address2"),
                ("city", "city"),
                ("state", "state"),
                ("zip", "postalCode"),
                ("phone", "phone"),
                ("fax", "fax"),
            ] {
                if has(n) {
                    rec.insert(w.into(), opt_text(n));
                }
            }
            if has("country") {
                let c = match text(fields, "country") {
                    Some(n) => Value::from(lookup_id(&world.store, COUNTRIES, "name", &n)?),
                    None => Value::Null,
                };
                rec.insert("countryID".into(), c);
            }
            if let Some(p) = fields.get("primary") {
                let b = p.as_bool().unwrap_or(p.as_str() == Some("true"));
                rec.insert("isPrimary".into(), Value::Bool(b));
            }
        }
        NeutralKind::Contact => {
            parent = company_of(world)?;
            for (n, w) in [
                ("first_name", "firstName"),
                ("last_name", "lastName"),
                ("title", "title"),
                ("email", "emailAddress"),
                ("phone", "phone"),
            ] {
                if has(n) {
                    rec.insert(w.into(), opt_text(n));
                }
            }
            if has("location") {
                let l = match (text(fields, "location"), parent) {
                    (Some(n), Some(c)) => Value::from(location_by_name(&world.store, c, &n)?),
                    _ => Value::Null,
                };
                rec.insert("companyLocationID".into(), l);
            }
            if has("suffix") {
                let sfx = match text(fields, "suffix") {
                    Some(n) => Value::from(picklist_id_or_add(&mut world.store, NAME_SUFFIXES, &n)),
                    None => Value::Null,
                };
                rec.insert("nameSuffix".into(), sfx);
            }
        }
        NeutralKind::Configuration => {
            parent = company_of(world)?;
            for (n, w) in [
                ("name", "referenceTitle"),
                ("serial_number", "serialNumber"),
                ("notes", "notes"),
            ] {
                if has(n) {
                    rec.insert(w.into(), opt_text(n));
                }
            }
            if has("type") {
                let t = match text(fields, "type") {
                    Some(n) => Value::from(
                        lookup_id(&world.store, CI_TYPES, "label", &n)
                            .map_err(|_| format!("no configuration type named `{n}`"))?,
                    ),
                    None => Value::Null,
                };
                rec.insert("configurationItemType".into(), t);
            }
            if let Some(b) = neutral_bool_status(fields)? {
                rec.insert("isActive".into(), Value::Bool(b));
            }
            if has("location") {
                let l = match (text(fields, "location"), parent) {
                    (Some(n), Some(c)) => Value::from(location_by_name(&world.store, c, &n)?),
                    _ => Value::Null,
                };
                rec.insert("companyLocationID".into(), l);
            }
            if existing.is_none() || has("manufacturer") || has("model") {
                let current = existing
                    .and_then(|r| int(r, "productID"))
                    .and_then(|p| world.store.get(PRODUCTS, p));
                let pick = |k: &str, member: &str| match fields.get(k) {
                    Some(_) => text(fields, k),
                    None => current
                        .as_ref()
                        .and_then(|p| str_of(p, member))
                        .map(str::to_string),
                };
                let man = pick("manufacturer", "manufacturerName");
                let model = pick("model", "manufacturerProductName");
                let pid = product_for(world, man.as_deref(), model.as_deref())?;
                rec.insert("productID".into(), Value::from(pid));
            }
        }
        NeutralKind::Ticket => {
            parent = company_of(world)?;
            if let (true, Some(c)) = (has("company"), parent) {
                // Unlike contacts and configuration items, a ticket may change company.
                rec.insert("companyID".into(), Value::from(c));
            }
            if has("title") {
                rec.insert("title".into(), opt_text("title"));
            }
            for (n, w, table) in [
                ("status", "status", TICKET_STATUSES),
                ("priority", "priority", TICKET_PRIORITIES),
                ("board", "queueID", TICKET_QUEUES),
            ] {
                if has(n) {
                    let v = match text(fields, n) {
                        Some(l) => Value::from(
                            lookup_id(&world.store, table, "label", &l)
                                .map_err(|_| format!("no ticket {n} named `{l}`"))?,
                        ),
                        None => Value::Null,
                    };
                    rec.insert(w.into(), v);
                }
            }
            if has("contact") {
                let c = match (text(fields, "contact"), parent) {
                    (Some(n), Some(co)) => {
                        let of_company =
                            world
                                .store
                                .rows_where(CONTACTS, "companyID", &Value::from(co));
                        Value::from(contact_id_by_name(of_company, &n)?)
                    }
                    _ => Value::Null,
                };
                rec.insert("contactID".into(), c);
            }
        }
    }
    Ok((rec, parent))
}

pub(super) fn entity_of(kind: NeutralKind) -> &'static Entity {
    match kind {
        NeutralKind::Ticket => entity(TICKETS),
        NeutralKind::Company => entity(COMPANIES),
        NeutralKind::Location => entity(LOCATIONS),
        NeutralKind::Contact => entity(CONTACTS),
        NeutralKind::Configuration => entity(CIS),
    }
}

pub(super) fn create(
    world: &mut World,
    kind: NeutralKind,
    fields: &Map<String, Value>,
) -> Result<i64, String> {
    let (mut rec, parent) = native_fields(world, kind, fields, None)?;
    let picklist_default = |table: &str| {
        let defaults = world
            .store
            .ids_where(table, "isDefaultValue", &Value::Bool(true));
        defaults.first().map(|&id| Value::from(id))
    };
    let ticket_defaults = [
        ("status", picklist_default(TICKET_STATUSES)),
        ("priority", picklist_default(TICKET_PRIORITIES)),
        ("queueID", picklist_default(TICKET_QUEUES)),
    ];
    let mut default = |k: &str, v: Value| {
        if rec.get(k).is_none_or(Value::is_null) {
            rec.insert(k.into(), v);
        }
    };
    match kind {
        NeutralKind::Company => {
            default("companyType", Value::from(1));
            default("isActive", Value::Bool(true));
            default("phone", Value::from(""));
            default("ownerResourceID", Value::from(ADMIN_RESOURCE_ID));
        }
        NeutralKind::Contact => default("isActive", Value::from(1)),
        NeutralKind::Configuration => default("isActive", Value::Bool(true)),
        NeutralKind::Location => {}
        NeutralKind::Ticket => {
            for (k, v) in ticket_defaults {
                default(k, v.unwrap_or(Value::Null));
            }
        }
    }
    if kind != NeutralKind::Company && parent.is_none() {
        return Err("a company is required".into());
    }
    let e = entity_of(kind);
    create_rec(world, e, rec, parent)
}

pub(super) fn update(
    world: &mut World,
    kind: NeutralKind,
    id: i64,
    fields: &Map<String, Value>,
) -> Result<(), String> {
    let e = entity_of(kind);
    let existing = world
        .store
        .get(e.table, id)
        .ok_or_else(|| format!("no {} with id {id}", e.model))?;
    let (rec, _) = native_fields(world, kind, fields, Some(&existing))?;
    update_rec(world, e, id, rec, None, false)
}

pub(super) fn delete(world: &mut World, kind: NeutralKind, id: i64) -> Result<(), String> {
    let e = entity_of(kind);
    if !world.store.contains(e.table, id) {
        return Err(format!("no {} with id {id}", e.model));
    }
    if kind == NeutralKind::Company {
        for table in [LOCATIONS, CONTACTS, CIS, TICKETS] {
            let ids = world.store.ids_where(table, "companyID", &Value::from(id));
            // No tickets, no tickets table: outcomes of cases without tickets stay as they were.
            if table == TICKETS && ids.is_empty() {
                continue;
            }
            let t = world.store.table_mut(table);
            for child in ids {
                t.remove(child);
            }
        }
    }
    world.store.table_mut(e.table).remove(id);
    Ok(())
}

pub(super) fn view(store: &Store) -> NeutralView {
    let name_of = |table: &str, member: &str, id: Option<&Value>| {
        Value::from(lookup_name(store, table, member, id))
    };
    let t = |r: &Record, k: &str| match r.get(k) {
        Some(Value::String(s)) if s.is_empty() => Value::Null,
        Some(v) => v.clone(),
        None => Value::Null,
    };
    let status = |r: &Record| match r.get("isActive") {
        Some(Value::Bool(b)) => Value::from(if *b { "Active" } else { "Inactive" }),
        _ => Value::Null,
    };
    let mut view = NeutralView::new();
    let companies = store
        .rows(COMPANIES)
        .filter(|r| int(r, "id") != Some(OWN_COMPANY_ID))
        .map(|r| {
            neutral(vec![
                ("id", t(&r, "id")),
                ("name", t(&r, "companyName")),
                ("short_name", t(&r, "companyNumber")),
                (
                    "type",
                    name_of(COMPANY_TYPES, "label", r.get("companyType")),
                ),
                ("status", status(&r)),
                (
                    "parent",
                    name_of(COMPANIES, "companyName", r.get("parentCompanyID")),
                ),
                ("phone", t(&r, "phone")),
            ])
        })
        .collect();
    view.insert(NeutralKind::Company, companies);
    let locations = store
        .rows(LOCATIONS)
        .map(|r| {
            neutral(vec![
                ("id", t(&r, "id")),
                (
                    "company",
                    name_of(COMPANIES, "companyName", r.get("companyID")),
                ),
                ("name", t(&r, "name")),
                ("address1", t(&r, "address1")),
                ("address2", t(&r, "address2")),
                ("city", t(&r, "city")),
                ("state", t(&r, "state")),
                ("zip", t(&r, "postalCode")),
                ("country", name_of(COUNTRIES, "name", r.get("countryID"))),
                ("phone", t(&r, "phone")),
                ("fax", t(&r, "fax")),
                ("primary", t(&r, "isPrimary")),
            ])
        })
        .collect();
    view.insert(NeutralKind::Location, locations);
    let contacts = store
        .rows(CONTACTS)
        .map(|r| {
            let email = t(&r, "emailAddress");
            let phone = t(&r, "phone");
            let email_type = if email.is_null() {
                Value::Null
            } else {
                Value::from("Email")
            };
            let phone_type = if phone.is_null() {
                Value::Null
            } else {
                Value::from("Direct")
            };
            neutral(vec![
                ("id", t(&r, "id")),
                (
                    "company",
                    name_of(COMPANIES, "companyName", r.get("companyID")),
                ),
                ("first_name", t(&r, "firstName")),
                ("last_name", t(&r, "lastName")),
                ("title", t(&r, "title")),
                ("email", email),
                ("email_type", email_type),
                ("phone", phone),
                ("phone_type", phone_type),
                (
                    "location",
                    name_of(LOCATIONS, "name", r.get("companyLocationID")),
                ),
                (
                    "suffix",
                    name_of(NAME_SUFFIXES, "label", r.get("nameSuffix")),
                ),
            ])
        })
        .collect();
    view.insert(NeutralKind::Contact, contacts);
    let configurations = store
        .rows(CIS)
        .map(|r| {
            let product = int(&r, "productID").and_then(|p| store.get(PRODUCTS, p));
            let from_product = |k: &str| product.as_ref().map_or(Value::Null, |p| t(p, k));
            let name = match t(&r, "referenceTitle") {
                Value::Null => from_product("name"),
                v => v,
            };
            neutral(vec![
                ("id", t(&r, "id")),
                (
                    "company",
                    name_of(COMPANIES, "companyName", r.get("companyID")),
                ),
                ("name", name),
                (
                    "type",
                    name_of(CI_TYPES, "label", r.get("configurationItemType")),
                ),
                ("status", status(&r)),
                ("serial_number", t(&r, "serialNumber")),
                ("manufacturer", from_product("manufacturerName")),
                ("model", from_product("manufacturerProductName")),
                ("notes", t(&r, "notes")),
                (
                    "location",
                    name_of(LOCATIONS, "name", r.get("companyLocationID")),
                ),
            ])
        })
        .collect();
    view.insert(NeutralKind::Configuration, configurations);
    let tickets = store
        .rows(TICKETS)
        .map(|r| {
            let contact = int(&r, "contactID").and_then(|c| store.get(CONTACTS, c));
            ticket_view([
                t(&r, "id"),
                name_of(COMPANIES, "companyName", r.get("companyID")),
                t(&r, "ticketNumber"),
                t(&r, "title"),
                name_of(TICKET_QUEUES, "label", r.get("queueID")),
                name_of(TICKET_STATUSES, "label", r.get("status")),
                name_of(TICKET_PRIORITIES, "label", r.get("priority")),
                contact.map_or(Value::Null, |c| Value::from(full_name(&c))),
                t(&r, "createDate"),
                t(&r, "lastActivityDate"),
            ])
        })
        .collect();
    view.insert(NeutralKind::Ticket, tickets);
    view
}
