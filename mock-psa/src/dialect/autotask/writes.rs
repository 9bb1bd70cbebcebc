//! Creates, updates and deletes, shared by the HTTP routes and the neutral (seed/admin) side.

use super::super::*;
use super::companies::*;
use super::contacts::*;
use super::schema::*;
use super::tickets::*;
use super::values::*;
use super::wire::Actor;

pub(super) fn check_record(
    world: &World,
    e: &Entity,
    rec: &Record,
    id: Option<i64>,
) -> Result<(), String> {
    let store = &world.store;
    for field in e.fields {
        let v = rec.get(field.name).unwrap_or(&Value::Null);
        if field.required && !field.read_only {
            let missing = match v {
                Value::Null => true,
                // A blank phone is accepted on companies (see module docs).
                Value::String(t) => t.is_empty() && field.name != "phone",
                _ => false,
            };
            if missing {
                return Err(format!(
                    "Required field {} is missing or null for the {} entity.",
                    field.name, e.model
                ));
            }
        }
        let Some(n) = v.as_i64() else { continue };
        if let Some(table) = field.pick {
            if store.get(table, n).is_none() {
                return Err(format!(
                    "Value {n} is not a valid picklist value for field {}.",
                    field.name
                ));
            }
        }
        if let Some((_, table)) = field.refers {
            if store.get(table, n).is_none() {
                return Err(format!(
                    "Value does not reference an existing entity for {}.",
                    field.name
                ));
            }
        }
    }
    match e.table {
        COMPANIES => check_company(store, rec, id)?,
        CONTACTS => check_contact(rec)?,
        _ => {}
    }
    // References into a company must stay inside the record's own company.
    for (member, table, what) in [
        ("companyLocationID", LOCATIONS, "location"),
        ("contactID", CONTACTS, "contact"),
    ] {
        let target = int(rec, member).and_then(|t| store.get(table, t));
        if target.is_some_and(|t| int(t, "companyID") != int(rec, "companyID")) {
            return Err(format!(
                "{member} must be a {what} of the record's company."
            ));
        }
    }
    Ok(())
}

/// Records who created a record over the API: the impersonated resource when the call named
/// one (with the API user as the impersonator), else the API user.
pub(super) fn attribute(world: &mut World, e: &Entity, id: i64, actor: Actor) {
    let creator = match e.table {
        COMPANIES | PRODUCTS => "createdByResourceID",
        CIS => "createdByPersonID",
        TICKETS => "creatorResourceID",
        _ => "",
    };
    let Some(rec) = world.store.table_mut(e.table).get_mut(id) else {
        return;
    };
    if !creator.is_empty() {
        rec.insert(creator.into(), Value::from(actor.resource));
    }
    if actor.impersonated && e.field("impersonatorCreatorResourceID").is_some() {
        rec.insert(
            "impersonatorCreatorResourceID".into(),
            Value::from(API_RESOURCE_ID),
        );
    }
}

pub(super) fn create_rec(
    world: &mut World,
    e: &Entity,
    mut rec: Map<String, Value>,
    parent: Option<i64>,
) -> Result<i64, String> {
    rec.remove("id");
    if let Some(pid) = parent {
        if world.store.get(COMPANIES, pid).is_none() {
            return Err(format!("Company with id {pid} does not exist."));
        }
        match int(&rec, "companyID") {
            Some(c) if c != pid => {
                return Err(format!(
                    "companyID {c} does not match the parent company id {pid} in the URL."
                ))
            }
            _ => {
                rec.insert("companyID".into(), Value::from(pid));
            }
        }
    }
    let defaults: &[(&str, Value)] = match e.table {
        COMPANIES => &[("isActive", Value::Bool(true))],
        LOCATIONS => &[
            ("isActive", Value::Bool(true)),
            ("isPrimary", Value::Bool(false)),
        ],
        _ => &[],
    };
    for (k, v) in defaults {
        if rec.get(*k).is_none_or(Value::is_null) {
            rec.insert((*k).to_string(), v.clone());
        }
    }
    rec.retain(|_, v| !v.is_null());
    check_record(world, e, &rec, None)?;
    let now = Value::String(world.clock.rfc3339());
    let stamps: &[&str] = match e.table {
        COMPANIES => &[
            "createDate",
            "lastActivityDate",
            "lastTrackedModifiedDateTime",
        ],
        CONTACTS => &["createDate", "lastActivityDate", "lastModifiedDate"],
        CIS => &["createDate", "lastModifiedTime"],
        PRODUCTS => &["createdTime"],
        TICKETS => &["createDate", "lastActivityDate"],
        _ => &[],
    };
    for k in stamps {
        rec.insert((*k).to_string(), now.clone());
    }
    match e.table {
        COMPANIES | PRODUCTS => {
            rec.insert("createdByResourceID".into(), Value::from(API_RESOURCE_ID));
        }
        CIS => {
            rec.insert("createdByPersonID".into(), Value::from(API_RESOURCE_ID));
        }
        TICKETS => {
            rec.insert("creatorResourceID".into(), Value::from(API_RESOURCE_ID));
            number_ticket(world, &mut rec);
        }
        _ => {}
    }
    let id = world.store.insert(e.table, rec.clone());
    match e.table {
        COMPANIES => add_primary_location(world, id, &rec),
        LOCATIONS => keep_one_primary(world, id),
        _ => {}
    }
    Ok(id)
}

pub(super) fn update_rec(
    world: &mut World,
    e: &Entity,
    id: i64,
    input: Map<String, Value>,
    parent: Option<i64>,
    replace: bool,
) -> Result<(), String> {
    let Some(old) = world.store.get(e.table, id).cloned() else {
        return Err(format!("{} with id {id} does not exist.", e.model));
    };
    if parent.is_some() && int(&old, "companyID") != parent {
        return Err(format!(
            "{} with id {id} does not belong to company {}.",
            e.model,
            parent.unwrap_or_default()
        ));
    }
    let mut rec = if replace {
        // PUT: writable fields left out become null; read-only ones are kept.
        old.iter()
            .filter(|(k, _)| e.field(k).is_some_and(|f| f.read_only))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    } else {
        old.clone()
    };
    for (k, v) in input {
        rec.insert(k, v);
    }
    rec.insert("id".into(), Value::from(id));
    // A CI's company can not change (a value sent is ignored); children stay under their parent.
    if matches!(e.table, CIS | CONTACTS | LOCATIONS) {
        match old.get("companyID") {
            Some(c) => rec.insert("companyID".into(), c.clone()),
            None => rec.remove("companyID"),
        };
    }
    rec.retain(|_, v| !v.is_null());
    check_record(world, e, &rec, Some(id))?;
    let now = Value::String(world.clock.rfc3339());
    let stamps: &[&str] = match e.table {
        COMPANIES => &["lastActivityDate", "lastTrackedModifiedDateTime"],
        CONTACTS => &["lastActivityDate", "lastModifiedDate"],
        CIS => &["lastModifiedTime"],
        TICKETS => &["lastActivityDate"],
        _ => &[],
    };
    for k in stamps {
        rec.insert((*k).to_string(), now.clone());
    }
    if let Some(slot) = world.store.table_mut(e.table).get_mut(id) {
        *slot = rec;
    }
    if e.table == LOCATIONS {
        keep_one_primary(world, id);
    }
    Ok(())
}

pub(super) fn delete_child(world: &mut World, e: &Entity, pid: i64, id: i64) -> Result<(), String> {
    let Some(old) = world.store.get(e.table, id) else {
        return Err(format!("{} with id {id} does not exist.", e.model));
    };
    if int(old, "companyID") != Some(pid) {
        return Err(format!(
            "{} with id {id} does not belong to company {pid}.",
            e.model
        ));
    }
    if e.table == LOCATIONS {
        check_location_delete(old)?;
    }
    world.store.table_mut(e.table).remove(id);
    Ok(())
}
