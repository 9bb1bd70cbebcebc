//! Companies and their sites.

use super::schema::{Label, Resource};
use super::wire::stamp;
use super::*;

pub(super) static COMPANIES: Resource = Resource {
    table: "companies",
    object: "company",
    type_name: "Company",
    parent: None,
    fill: None,
    unique: &["identifier"],
    label: Label::IdentifierName,
};

pub(super) static SITES: Resource = Resource {
    table: "company_sites",
    object: "site",
    type_name: "CompanySite",
    parent: Some(("company", &COMPANIES)),
    fill: None,
    unique: &[],
    label: Label::Name,
};

pub(super) fn insert_site(world: &mut World, company: i64, name: String, primary: bool) -> i64 {
    let now = world.clock.rfc3339();
    let mut site = Record::new();
    site.insert("name".into(), json!(name));
    site.insert("company".into(), json!({ "id": company }));
    site.insert("primaryAddressFlag".into(), json!(primary));
    stamp(&mut site, &now, None);
    world.store.insert("company_sites", site)
}
