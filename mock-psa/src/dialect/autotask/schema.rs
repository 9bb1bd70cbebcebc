//! The entity models: tables, fields and their types, and which routes each entity has.

use serde::Deserialize;
use serde_json::Value;
use std::sync::LazyLock;

pub(super) const COMPANIES: &str = "companies";
pub(super) const LOCATIONS: &str = "company_locations";
pub(super) const CONTACTS: &str = "contacts";
pub(super) const CIS: &str = "configuration_items";
pub(super) const PRODUCTS: &str = "products";
pub(super) const RESOURCES: &str = "resources";
pub(super) const COUNTRIES: &str = "countries";
pub(super) const BILLING_CODES: &str = "billing_codes";
pub(super) const COMPANY_TYPES: &str = "company_types";
pub(super) const CI_TYPES: &str = "configuration_item_types";
pub(super) const NAME_SUFFIXES: &str = "name_suffixes";
pub(super) const LICENSE_TYPES: &str = "license_types";
pub(super) const TICKETS: &str = "tickets";
pub(super) const TICKET_STATUSES: &str = "ticket_statuses";
pub(super) const TICKET_PRIORITIES: &str = "ticket_priorities";
pub(super) const TICKET_QUEUES: &str = "ticket_queues";
pub(super) const TICKET_ATTACHMENTS: &str = "ticket_attachments";

/// The tenant's own company (apigrate's tests read `Companies/0`).
pub(super) const OWN_COMPANY_ID: i64 = 0;
/// The normal resource that owns companies by default.
pub(super) const ADMIN_RESOURCE_ID: i64 = 29682885;
/// The integration's API-only user; records created over the API are attributed to it.
pub(super) const API_RESOURCE_ID: i64 = 29682886;
/// `licenseType` picklist value marking an API-only resource (our choice, see module docs).
pub(super) const API_ONLY_LICENSE: i64 = 7;
/// The seeded allocation (billing) code products use.
pub(super) const HARDWARE_BILLING_CODE: i64 = 29682833;
pub(super) const MAX_PAGE: usize = 500;

// ---------------------------------------------------------------------------------------------
// Entity models as data: `schema.json`, the one list of members for input, output, filters,
// IncludeFields and entityInformation.

/// The published description's data types (and the lengths of strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ty {
    Str(u32),
    Int,
    Long,
    Short,
    Bool,
    Date,
    Double,
}

impl Ty {
    pub(super) fn data_type(self) -> &'static str {
        match self {
            Ty::Str(_) => "string",
            Ty::Int => "integer",
            Ty::Long => "long",
            Ty::Short => "short",
            Ty::Bool => "boolean",
            Ty::Date => "datetime",
            Ty::Double => "double",
        }
    }
}

/// Values the mock sets itself when a record is written over the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum System {
    /// Set once, on create, to the virtual clock.
    Created,
    /// Set on create and on every update.
    Modified,
    /// The resource a create is attributed to.
    Creator,
    /// The API user, when the create impersonated a resource.
    Impersonator,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct PickValue {
    pub(super) value: i64,
    pub(super) label: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Reference {
    /// Autotask's entity name (`referenceEntityType`).
    pub(super) entity: String,
    /// The mock's table for it; absent when the mock does not serve that entity (the id is then
    /// only type-checked).
    pub(super) table: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawField {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    length: Option<u32>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    read_only: bool,
    #[serde(default)]
    write_only: bool,
    #[serde(default)]
    fixed: bool,
    default: Option<Value>,
    picklist: Option<String>,
    picklist_values: Option<Vec<PickValue>>,
    reference: Option<Reference>,
    system: Option<System>,
    published: Option<bool>,
    /// The description's type, where the real API's differs (documentation in the data).
    #[allow(dead_code)]
    described_type: Option<String>,
    /// The description's name for a member the real API spells differently.
    described_as: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) ty: Ty,
    pub(super) required: bool,
    /// Ignored on write, as Autotask ignores it.
    pub(super) read_only: bool,
    /// Accepted on create, never rendered (an attachment's `data` in query results).
    pub(super) write_only: bool,
    /// Set on create; a value sent on update is ignored (a record never changes company).
    pub(super) fixed: bool,
    pub(super) default: Option<Value>,
    /// Picklist table holding the allowed values (the instance's own list).
    pub(super) pick: Option<&'static str>,
    /// Allowed values fixed by Autotask itself.
    pub(super) pick_values: Option<Vec<PickValue>>,
    /// Referenced entity type (Autotask's name) and the mock's table, when it serves it.
    pub(super) refers: Option<(&'static str, Option<&'static str>)>,
    pub(super) system: Option<System>,
    /// False for members the real API serves that the published description lacks.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) published: bool,
    /// The description's name for this member, where it differs.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) described_as: Option<&'static str>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Parent {
    /// The parent's URL name, e.g. `Companies`.
    pub(super) entity: String,
    /// Segment under `{Parent}/{id}/`, lower case.
    pub(super) segment: String,
    /// The child's member holding the parent's id.
    pub(super) member: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntity {
    name: String,
    model: String,
    table: String,
    writable: bool,
    updatable: bool,
    parent: Option<Parent>,
    udf: bool,
    webhooks: bool,
    fields: Vec<RawField>,
}

#[derive(Debug)]
pub(super) struct Entity {
    /// URL name, e.g. `Companies`.
    pub(super) name: &'static str,
    /// Singular model name used in messages and entityInformation.
    pub(super) model: &'static str,
    pub(super) table: &'static str,
    pub(super) fields: Vec<Field>,
    /// Top-level `POST /{Entity}` and `PATCH|PUT /{Entity}`.
    pub(super) writable: bool,
    /// False for entities that are created and deleted but never changed (attachments).
    pub(super) updatable: bool,
    /// Child writes under `{Parent}/{id}/{segment}`.
    pub(super) parent: Option<Parent>,
    pub(super) udf: bool,
    pub(super) webhooks: bool,
}

#[derive(Debug, Deserialize)]
struct RawSchema {
    source: String,
    version: String,
    entities: Vec<RawEntity>,
}

pub(super) struct Schema {
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) source: &'static str,
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) version: &'static str,
    pub(super) entities: Vec<Entity>,
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn ty_of(name: &str, ty: &str, length: Option<u32>) -> Ty {
    match ty {
        "string" => Ty::Str(length.unwrap_or(u32::MAX)),
        "integer" => Ty::Int,
        "long" => Ty::Long,
        "short" => Ty::Short,
        "boolean" => Ty::Bool,
        "datetime" => Ty::Date,
        "double" => Ty::Double,
        other => panic!("schema.json: member {name} has unknown type {other}"),
    }
}

fn build(raw: RawSchema) -> Schema {
    let entities = raw
        .entities
        .into_iter()
        .map(|e| Entity {
            name: leak(e.name),
            model: leak(e.model),
            table: leak(e.table),
            writable: e.writable,
            updatable: e.updatable,
            parent: e.parent,
            udf: e.udf,
            webhooks: e.webhooks,
            fields: e
                .fields
                .into_iter()
                .map(|f| Field {
                    ty: ty_of(&f.name, &f.ty, f.length),
                    name: leak(f.name),
                    required: f.required,
                    read_only: f.read_only,
                    write_only: f.write_only,
                    fixed: f.fixed,
                    default: f.default,
                    pick: f.picklist.map(leak),
                    pick_values: f.picklist_values,
                    refers: f.reference.map(|r| (leak(r.entity), r.table.map(leak))),
                    system: f.system,
                    published: f.published.unwrap_or(true),
                    described_as: f.described_as.map(leak),
                })
                .collect(),
        })
        .collect();
    Schema {
        source: leak(raw.source),
        version: leak(raw.version),
        entities,
    }
}

/// The schema, read once from the embedded data file.
pub(super) fn schema() -> &'static Schema {
    static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
        let raw: RawSchema = serde_json::from_str(include_str!("schema.json"))
            .expect("schema.json is valid (checked by the unit tests)");
        build(raw)
    });
    &SCHEMA
}

/// The entity stored in `table`.
pub(super) fn entity(table: &str) -> &'static Entity {
    schema()
        .entities
        .iter()
        .find(|e| e.table == table)
        .unwrap_or_else(|| panic!("schema.json has no entity for table {table}"))
}

pub(super) fn entity_by_segment(seg: &str) -> Option<&'static Entity> {
    schema()
        .entities
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(seg))
}

/// The child entity served under `{parent}/{id}/{segment}`.
pub(super) fn child_entity(parent: &Entity, segment: &str) -> Option<&'static Entity> {
    schema().entities.iter().find(|c| {
        c.parent
            .as_ref()
            .is_some_and(|p| p.entity == parent.name && p.segment == segment)
    })
}

impl Entity {
    pub(super) fn field(&self, name: &str) -> Option<&Field> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
    pub(super) fn can_delete(&self) -> bool {
        self.parent.is_some()
    }
    pub(super) fn can_create(&self) -> bool {
        self.writable || self.parent.is_some()
    }
    pub(super) fn can_write(&self) -> bool {
        self.can_create() && self.updatable
    }
    pub(super) fn unknown_field(&self, name: &str) -> String {
        format!("Unable to find {name} in the {} Entity", self.model)
    }
    /// The member holding the parent's id, for child entities.
    pub(super) fn parent_member(&self) -> Option<&str> {
        self.parent.as_ref().map(|p| p.member.as_str())
    }
    /// Members the mock sets itself, of one kind.
    pub(super) fn system(&self, kind: System) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(move |f| f.system == Some(kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Members per model in the published description (its definitions, without
    /// `userDefinedFields`, which every UDF entity carries apart).
    const DESCRIBED: &[(&str, usize)] = &[
        ("Companies", 57),
        ("Contacts", 43),
        ("CompanyLocations", 20),
        ("ConfigurationItems", 92),
        ("Products", 26),
        ("Tickets", 72),
        ("TicketAttachments", 15),
        ("Resources", 35),
        ("Countries", 9),
        ("BillingCodes", 15),
    ];

    #[test]
    fn every_entity_has_the_described_number_of_members() {
        let s = schema();
        println!(
            "{:<20} {:>9} {:>7} {:>6}",
            "entity", "described", "schema", "extra"
        );
        let mut wrong = Vec::new();
        for (name, described) in DESCRIBED {
            let e = entity_by_segment(name).expect(name);
            // A member the real API renames stands for the described one.
            let published = e
                .fields
                .iter()
                .filter(|f| f.published || f.described_as.is_some())
                .count();
            let extra = e.fields.len() - published;
            println!("{name:<20} {described:>9} {published:>7} {extra:>6}");
            if published != *described {
                wrong.push(*name);
            }
        }
        assert!(wrong.is_empty(), "member counts differ for {wrong:?}");
        assert_eq!(s.entities.len(), DESCRIBED.len(), "an entity has no count");
    }

    #[test]
    fn the_data_file_reads_and_every_reference_table_is_an_entity_or_picklist() {
        let s = schema();
        assert!(s.source.contains("Swagger") && !s.version.is_empty());
        let tables: Vec<&str> = s.entities.iter().map(|e| e.table).collect();
        for e in &s.entities {
            for f in &e.fields {
                if let Some((_, Some(t))) = f.refers {
                    assert!(tables.contains(&t), "{}.{} refers to {t}", e.name, f.name);
                }
            }
        }
    }
}
