//! Companies and their locations: the rules particular to them.

use super::super::*;
use super::schema::*;
use super::values::*;

/// Only one primary location per company: setting one clears the others.
pub(super) fn keep_one_primary(world: &mut World, location_id: i64) {
    let Some(loc) = world.store.get(LOCATIONS, location_id) else {
        return;
    };
    if loc.get("isPrimary") != Some(&Value::Bool(true)) {
        return;
    }
    let Some(company) = loc.get("companyID").cloned() else {
        return;
    };
    let mut others = world.store.ids_where(LOCATIONS, "companyID", &company);
    others.retain(|id| *id != location_id);
    let table = world.store.table_mut(LOCATIONS);
    for id in others {
        if let Some(mut r) = table.get_mut(id) {
            r.insert("isPrimary".into(), Value::Bool(false));
        }
    }
}

/// A company's owner must be an active, normal resource, and a company is not its own parent.
pub(super) fn check_company(store: &Store, rec: &Record, id: Option<i64>) -> Result<(), String> {
    if let Some(owner) = int(rec, "ownerResourceID").and_then(|o| store.get(RESOURCES, o)) {
        if int(&owner, "licenseType") == Some(API_ONLY_LICENSE) {
            return Err("Account owner can not be an API-only resource.".into());
        }
        if owner.get("isActive") == Some(&Value::Bool(false)) {
            return Err("Account owner must be an active resource.".into());
        }
    }
    if id.is_some() && int(rec, "parentCompanyID") == id {
        return Err("A company can not be its own parent company.".into());
    }
    Ok(())
}

/// Every company has a primary location; it starts with the company's address.
pub(super) fn add_primary_location(world: &mut World, id: i64, rec: &Record) {
    let mut loc = Map::new();
    loc.insert("companyID".into(), Value::from(id));
    let name = format!("{} - Main", str_of(rec, "companyName").unwrap_or(""));
    loc.insert("name".into(), Value::String(name));
    loc.insert("isActive".into(), Value::Bool(true));
    loc.insert("isPrimary".into(), Value::Bool(true));
    for (from, to) in [
        ("address1", "address1"),
        ("address2", "address2"),
        ("city", "city"),
        ("state", "state"),
        ("postalCode", "postalCode"),
        ("countryID", "countryID"),
        ("phone", "phone"),
        ("fax", "fax"),
    ] {
        if let Some(v) = rec.get(from).filter(|v| v.as_str() != Some("")) {
            loc.insert(to.into(), v.clone());
        }
    }
    world.store.insert(LOCATIONS, loc);
}

/// Deleting a company's primary location is refused.
pub(super) fn check_location_delete(old: &Record) -> Result<(), String> {
    if old.get("isPrimary") == Some(&Value::Bool(true)) {
        return Err("The primary location of a company can not be deleted.".into());
    }
    Ok(())
}
