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
    for field in &e.fields {
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
        if let Some(values) = &field.pick_values {
            if !values.iter().any(|p| p.value == n) {
                return Err(format!(
                    "Value {n} is not a valid picklist value for field {}.",
                    field.name
                ));
            }
        }
        if let Some(table) = field.pick {
            if !store.contains(table, n) {
                return Err(format!(
                    "Value {n} is not a valid picklist value for field {}.",
                    field.name
                ));
            }
        }
        if let Some((_, Some(table))) = field.refers {
            if !store.contains(table, n) {
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
        let target = int(rec, member).filter(|&t| store.contains(table, t));
        let owner = |t| {
            store
                .value_at(table, t, "companyID")
                .and_then(|c| c.as_i64())
        };
        if target.is_some_and(|t| owner(t) != int(rec, "companyID")) {
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
    let Some(mut rec) = world.store.table_mut(e.table).get_mut(id) else {
        return;
    };
    for f in e.system(System::Creator) {
        rec.insert(f.name.into(), Value::from(actor.resource));
    }
    if actor.impersonated {
        for f in e.system(System::Impersonator) {
            rec.insert(f.name.into(), Value::from(API_RESOURCE_ID));
        }
    }
}

/// Sets the members of these kinds to the virtual clock's now.
fn stamp(world: &World, e: &Entity, rec: &mut Record, kinds: &[System]) {
    let now = Value::String(world.clock.rfc3339());
    for kind in kinds {
        for f in e.system(*kind) {
            rec.insert(f.name.into(), now.clone());
        }
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
        // The neutral side names a company for top-level entities too.
        let (pe, member) = match &e.parent {
            Some(up) => (
                entity_by_segment(&up.entity).unwrap_or(e),
                up.member.as_str(),
            ),
            None => (entity(COMPANIES), "companyID"),
        };
        if !world.store.contains(pe.table, pid) {
            return Err(format!("{} with id {pid} does not exist.", pe.model));
        }
        match int(&rec, member) {
            Some(c) if c != pid => {
                return Err(format!(
                    "{member} {c} does not match the parent {} id {pid} in the URL.",
                    pe.model.to_lowercase()
                ))
            }
            _ => {
                rec.insert(member.into(), Value::from(pid));
            }
        }
    }
    // Defaults the real API applies to members a create leaves out.
    for f in &e.fields {
        if let Some(v) = &f.default {
            if rec.get(f.name).is_none_or(Value::is_null) {
                rec.insert(f.name.into(), v.clone());
            }
        }
    }
    let udfs = rec.remove("userDefinedFields");
    rec.retain(|_, v| !v.is_null());
    if e.udf {
        if let Some(list) = super::udf::accept(&world.store, e, None, udfs.as_ref(), true)? {
            rec.insert("userDefinedFields".into(), list);
        }
    }
    check_record(world, e, &rec, None)?;
    stamp(world, e, &mut rec, &[System::Created, System::Modified]);
    for f in e.system(System::Creator) {
        rec.insert(f.name.into(), Value::from(API_RESOURCE_ID));
    }
    match e.table {
        TICKETS => number_ticket(world, &mut rec),
        TICKET_ATTACHMENTS => describe_attachment(&mut rec)?,
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
    let Some(old) = world.store.get(e.table, id) else {
        return Err(format!("{} with id {id} does not exist.", e.model));
    };
    if let (Some(pid), Some(up)) = (parent, &e.parent) {
        if int(&old, &up.member) != Some(pid) {
            return Err(format!(
                "{} with id {id} does not belong to {} {pid}.",
                e.model,
                parent_word(e)
            ));
        }
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
    let mut input = input;
    let udfs = input.remove("userDefinedFields");
    for (k, v) in input {
        rec.insert(k, v);
    }
    rec.insert("id".into(), Value::from(id));
    // UDFs merge by name on PATCH and PUT alike: a write names the ones it changes.
    if e.udf {
        let merged = super::udf::accept(
            &world.store,
            e,
            old.get("userDefinedFields"),
            udfs.as_ref(),
            false,
        )?;
        if let Some(list) = merged {
            rec.insert("userDefinedFields".into(), list);
        }
    }
    // Fixed members keep their value (a CI's company can not change; children stay under
    // their parent).
    for f in e.fields.iter().filter(|f| f.fixed) {
        match old.get(f.name) {
            Some(c) => rec.insert(f.name.into(), c.clone()),
            None => rec.remove(f.name),
        };
    }
    rec.retain(|_, v| !v.is_null());
    check_record(world, e, &rec, Some(id))?;
    stamp(world, e, &mut rec, &[System::Modified]);
    if let Some(mut slot) = world.store.table_mut(e.table).get_mut(id) {
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
    if int(&old, e.parent_member().unwrap_or("companyID")) != Some(pid) {
        return Err(format!(
            "{} with id {id} does not belong to {} {pid}.",
            e.model,
            parent_word(e)
        ));
    }
    if e.table == LOCATIONS {
        check_location_delete(&old)?;
    }
    world.store.table_mut(e.table).remove(id);
    Ok(())
}

/// The parent's model in lower case, for messages ("company", "ticket").
fn parent_word(e: &Entity) -> String {
    e.parent
        .as_ref()
        .and_then(|p| entity_by_segment(&p.entity))
        .map_or_else(|| "company".into(), |pe| pe.model.to_lowercase())
}
