//! Autotask PSA REST V1.0 (`/ATServicesRest/V1.0/`): zone lookup, header credentials, the
//! `{"item"}` / `{"items","pageDetails"}` envelopes, JSON filter queries with id-ordered paging,
//! child write routes under `Companies/{id}`, entityInformation metadata, and `{"errors":[...]}`
//! with status 500 for business errors. Facts: /work/shared/reference/autotask.md.
//!
//! Choices where the reference is silent (documented for the lead):
//! - Resources mark an API-only user with `licenseType` 7 ("API User"); such a resource cannot
//!   own a company (rule R6).
//! - A new company gets a primary location named `"<companyName> - Main"`, with the company's
//!   address and phone copied onto it.
//! - Required string fields must be non-empty, except Company `phone`, where `""` is accepted
//!   (the sync sends `""` when it has no phone).
//! - Contact `nameSuffix` is an integer picklist (`name_suffixes`); the neutral `suffix` is its label,
//!   and an unknown label is added to the picklist (as an administrator would).
//! - String filter comparisons ignore case (SQL Server's default collation); a null value never
//!   matches any operator except `notExist`. Unknown operators are ignored (match everything).
//! - MaxRecords outside 1..=500 is clamped. The child list `GET Companies/{id}/Contacts` answers
//!   every row in one page.
//! - Malformed JSON and values of the wrong type answer 500 `{"errors":[...]}` like other
//!   business errors. Deleting a company's primary location is refused.
//! - Neutral company delete (a user deleting in the UI) removes its locations, contacts and
//!   configuration items too. The neutral `mac_address` has no Autotask field and is ignored.

// Handlers answer errors as ready `Response`s (the dialect's own body); boxing them would only
// add noise on a path that is never hot.
#![allow(clippy::result_large_err)]

use super::*;
use crate::clock::parse_rfc3339;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use bytes::Bytes;
use http::{Method, Uri};
use serde_json::json;
use std::cmp::Ordering;

pub struct Autotask;

const COMPANIES: &str = "companies";
const LOCATIONS: &str = "company_locations";
const CONTACTS: &str = "contacts";
const CIS: &str = "configuration_items";
const PRODUCTS: &str = "products";
const RESOURCES: &str = "resources";
const COUNTRIES: &str = "countries";
const BILLING_CODES: &str = "billing_codes";
const COMPANY_TYPES: &str = "company_types";
const CI_TYPES: &str = "configuration_item_types";
const NAME_SUFFIXES: &str = "name_suffixes";
const LICENSE_TYPES: &str = "license_types";
const TICKETS: &str = "tickets";
const TICKET_STATUSES: &str = "ticket_statuses";
const TICKET_PRIORITIES: &str = "ticket_priorities";
const TICKET_QUEUES: &str = "ticket_queues";

/// The tenant's own company (apigrate's tests read `Companies/0`).
const OWN_COMPANY_ID: i64 = 0;
/// The normal resource that owns companies by default.
const ADMIN_RESOURCE_ID: i64 = 29682885;
/// The integration's API-only user; records created over the API are attributed to it.
const API_RESOURCE_ID: i64 = 29682886;
/// `licenseType` picklist value marking an API-only resource (our choice, see module docs).
const API_ONLY_LICENSE: i64 = 7;
/// The seeded allocation (billing) code products use.
const HARDWARE_BILLING_CODE: i64 = 29682833;
const MAX_PAGE: usize = 500;

// ---------------------------------------------------------------------------------------------
// Entity models as data.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str(u32),
    Int,
    Long,
    Short,
    Bool,
    Date,
    Double,
}

impl Ty {
    fn data_type(self) -> &'static str {
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

#[derive(Debug, Clone, Copy)]
struct Field {
    name: &'static str,
    ty: Ty,
    required: bool,
    read_only: bool,
    /// Picklist table holding the allowed values.
    pick: Option<&'static str>,
    /// Referenced entity type (Autotask's name) and its table.
    refers: Option<(&'static str, &'static str)>,
}

const fn f(name: &'static str, ty: Ty) -> Field {
    Field {
        name,
        ty,
        required: false,
        read_only: false,
        pick: None,
        refers: None,
    }
}

const fn s(name: &'static str, len: u32) -> Field {
    f(name, Ty::Str(len))
}

impl Field {
    const fn req(mut self) -> Self {
        self.required = true;
        self
    }
    const fn ro(mut self) -> Self {
        self.read_only = true;
        self
    }
    const fn pick(mut self, table: &'static str) -> Self {
        self.pick = Some(table);
        self
    }
    const fn refs(mut self, entity: &'static str, table: &'static str) -> Self {
        self.refers = Some((entity, table));
        self
    }
}

const ID: Field = f("id", Ty::Long).ro();

const COMPANY_FIELDS: &[Field] = &[
    ID,
    s("additionalAddressInformation", 100),
    s("address1", 150),
    s("address2", 150),
    s("alternatePhone1", 25),
    s("alternatePhone2", 25),
    f("apiVendorID", Ty::Int).ro(),
    f("assetValue", Ty::Double),
    f("billToCompanyLocationID", Ty::Int),
    s("billToAdditionalAddressInformation", 100),
    s("billingAddress1", 150),
    s("billingAddress2", 150),
    f("billToAddressToUse", Ty::Int),
    s("billToAttention", 50),
    s("billToCity", 50),
    f("billToCountryID", Ty::Int).refs("Country", COUNTRIES),
    s("billToState", 25),
    s("billToZipCode", 10),
    s("city", 50),
    f("classification", Ty::Int),
    f("companyCategoryID", Ty::Int),
    s("companyName", 100).req(),
    s("companyNumber", 50),
    f("companyType", Ty::Short).req().pick(COMPANY_TYPES),
    f("competitorID", Ty::Int),
    f("countryID", Ty::Int).refs("Country", COUNTRIES),
    f("createDate", Ty::Date).ro(),
    f("createdByResourceID", Ty::Int)
        .ro()
        .refs("Resource", RESOURCES),
    f("currencyID", Ty::Int),
    s("fax", 25),
    f("impersonatorCreatorResourceID", Ty::Int).ro(),
    f("invoiceEmailMessageID", Ty::Int),
    f("invoiceMethod", Ty::Int),
    f("invoiceNonContractItemsToParentCompany", Ty::Bool),
    f("invoiceTemplateID", Ty::Int),
    f("isActive", Ty::Bool),
    f("isClientPortalActive", Ty::Bool).ro(),
    f("isEnabledForComanaged", Ty::Bool),
    f("isSample", Ty::Bool).ro(),
    f("isTaskFireActive", Ty::Bool).ro(),
    f("isTaxExempt", Ty::Bool),
    f("lastActivityDate", Ty::Date).ro(),
    f("lastTrackedModifiedDateTime", Ty::Date).ro(),
    f("marketSegmentID", Ty::Int),
    f("ownerResourceID", Ty::Int)
        .req()
        .refs("Resource", RESOURCES),
    f("parentCompanyID", Ty::Int).refs("Company", COMPANIES),
    s("phone", 25).req(),
    s("postalCode", 10),
    f("purchaseOrderTemplateID", Ty::Int),
    f("quoteEmailMessageID", Ty::Int),
    f("quoteTemplateID", Ty::Int),
    s("sicCode", 32),
    s("state", 25),
    s("stockMarket", 10),
    s("stockSymbol", 10),
    f("surveyCompanyRating", Ty::Double).ro(),
    s("taxID", 50),
    f("taxRegionID", Ty::Int),
    f("territoryID", Ty::Int),
    s("webAddress", 255),
];

const CONTACT_FIELDS: &[Field] = &[
    ID,
    s("additionalAddressInformation", 100),
    s("addressLine", 128),
    s("addressLine1", 128),
    s("alternatePhone", 32),
    f("apiVendorID", Ty::Int).ro(),
    f("bulkEmailOptOutTime", Ty::Date).ro(),
    s("city", 32),
    f("companyID", Ty::Int).req().refs("Company", COMPANIES),
    f("companyLocationID", Ty::Int).refs("CompanyLocation", LOCATIONS),
    f("countryID", Ty::Int).refs("Country", COUNTRIES),
    f("createDate", Ty::Date).ro(),
    s("emailAddress", 254),
    s("emailAddress2", 254),
    s("emailAddress3", 254),
    s("extension", 10),
    s("externalID", 50),
    s("facebookUrl", 200),
    s("faxNumber", 25),
    s("firstName", 50).req(),
    f("impersonatorCreatorResourceID", Ty::Int).ro(),
    f("isActive", Ty::Int).req(),
    f("isOptedOutFromBulkEmail", Ty::Bool),
    f("lastActivityDate", Ty::Date).ro(),
    f("lastModifiedDate", Ty::Date).ro(),
    s("lastName", 50).req(),
    s("linkedInUrl", 200),
    s("middleInitial", 50),
    s("mobilePhone", 25),
    f("namePrefix", Ty::Int),
    f("nameSuffix", Ty::Int).pick(NAME_SUFFIXES),
    s("note", 2000),
    f("receivesEmailNotifications", Ty::Bool),
    s("phone", 25),
    f("primaryContact", Ty::Bool),
    f("billingContact", Ty::Bool),
    s("roomNumber", 50),
    f("solicitationOptOut", Ty::Bool),
    f("solicitationOptOutTime", Ty::Date).ro(),
    s("state", 40),
    f("surveyOptOut", Ty::Bool),
    s("title", 50),
    s("twitterUrl", 200),
    s("zipCode", 16),
];

const CI_FIELDS: &[Field] = &[
    ID,
    f("apiVendorID", Ty::Int).ro(),
    f("configurationItemCategoryID", Ty::Int),
    f("companyID", Ty::Int).req().refs("Company", COMPANIES),
    f("companyLocationID", Ty::Int).refs("CompanyLocation", LOCATIONS),
    f("configurationItemType", Ty::Int).pick(CI_TYPES),
    f("contactID", Ty::Int).refs("Contact", CONTACTS),
    f("contractID", Ty::Int),
    f("contractServiceBundleID", Ty::Int),
    f("contractServiceID", Ty::Int),
    f("createDate", Ty::Date).ro(),
    f("createdByPersonID", Ty::Int).ro(),
    f("dailyCost", Ty::Double),
    s("domain", 250),
    f("hourlyCost", Ty::Double),
    f("installDate", Ty::Date),
    f("installedByContactID", Ty::Int),
    f("installedByID", Ty::Int),
    f("isActive", Ty::Bool).req(),
    f("lastActivityPersonID", Ty::Int).ro(),
    f("lastActivityPersonType", Ty::Int).ro(),
    f("lastModifiedTime", Ty::Date).ro(),
    s("location", 100),
    f("monthlyCost", Ty::Double),
    s("notes", 5000),
    f("numberOfUsers", Ty::Double),
    f("parentConfigurationItemID", Ty::Int),
    f("perUseCost", Ty::Double),
    f("productID", Ty::Int).req().refs("Product", PRODUCTS),
    s("referenceNumber", 50),
    s("referenceTitle", 200),
    s("serialNumber", 100),
    f("serviceBundleID", Ty::Int),
    f("serviceID", Ty::Int),
    f("serviceLevelAgreementID", Ty::Int),
    f("setupFee", Ty::Double),
    f("vendorID", Ty::Int).refs("Company", COMPANIES),
    f("warrantyExpirationDate", Ty::Date),
];

const LOCATION_FIELDS: &[Field] = &[
    ID,
    s("address1", 100),
    s("address2", 100),
    s("alternatePhone1", 25),
    s("alternatePhone2", 25),
    s("city", 50),
    f("companyID", Ty::Int).req().refs("Company", COMPANIES),
    f("countryID", Ty::Int).refs("Country", COUNTRIES),
    s("description", 500),
    s("fax", 25),
    f("isActive", Ty::Bool),
    f("isPrimary", Ty::Bool),
    f("isTaxExempt", Ty::Bool),
    f("overrideCompanyTaxSettings", Ty::Bool),
    s("name", 100).req(),
    s("phone", 25),
    s("postalCode", 20),
    f("roundtripDistance", Ty::Double),
    s("state", 25),
    f("taxRegionID", Ty::Int),
];

const PRODUCT_FIELDS: &[Field] = &[
    ID,
    f("billingType", Ty::Int),
    f("chargeBillingCodeID", Ty::Int),
    f("createdByResourceID", Ty::Int).ro(),
    f("createdTime", Ty::Date).ro(),
    f("defaultInstalledProductCategoryID", Ty::Int),
    f("defaultVendorID", Ty::Int),
    s("description", 2000),
    f("doesNotRequireProcurement", Ty::Bool),
    s("externalProductID", 50),
    s("internalProductID", 100),
    f("isActive", Ty::Bool).req(),
    f("isEligibleForRma", Ty::Bool),
    f("isSerialized", Ty::Bool).req(),
    s("link", 500),
    s("manufacturerName", 100),
    s("manufacturerProductName", 100),
    f("markupRate", Ty::Double),
    f("msrp", Ty::Double),
    s("name", 100).req(),
    f("periodType", Ty::Int),
    f("priceCostMethod", Ty::Int),
    f("productBillingCodeID", Ty::Int)
        .req()
        .refs("BillingCode", BILLING_CODES),
    f("productCategory", Ty::Int),
    s("sku", 50),
    f("unitCost", Ty::Double),
    f("unitPrice", Ty::Double),
    s("vendorProductNumber", 50),
];

const RESOURCE_FIELDS: &[Field] = &[
    ID,
    s("email", 254).ro(),
    s("firstName", 50).ro(),
    s("lastName", 50).ro(),
    f("isActive", Ty::Bool).ro(),
    f("licenseType", Ty::Int).ro().pick(LICENSE_TYPES),
    s("title", 50).ro(),
    s("userName", 50).ro(),
];

const COUNTRY_FIELDS: &[Field] = &[
    ID,
    s("countryCode", 2).ro(),
    s("displayName", 100).ro(),
    f("isActive", Ty::Bool).ro(),
    f("isDefaultCountry", Ty::Bool).ro(),
    s("name", 100).ro(),
];

const BILLING_CODE_FIELDS: &[Field] = &[
    ID,
    f("billingCodeType", Ty::Int).ro(),
    s("description", 500).ro(),
    f("isActive", Ty::Bool).ro(),
    s("name", 200).ro(),
    f("useType", Ty::Int).ro(),
];

const TICKET_FIELDS: &[Field] = &[
    ID,
    f("apiVendorID", Ty::Int).ro(),
    f("companyID", Ty::Int).req().refs("Company", COMPANIES),
    f("companyLocationID", Ty::Int).refs("CompanyLocation", LOCATIONS),
    f("completedDate", Ty::Date).ro(),
    f("configurationItemID", Ty::Int).refs("ConfigurationItem", CIS),
    f("contactID", Ty::Int).refs("Contact", CONTACTS),
    f("createDate", Ty::Date).ro(),
    f("creatorResourceID", Ty::Int).ro(),
    s("description", 8000),
    f("dueDateTime", Ty::Date),
    f("impersonatorCreatorResourceID", Ty::Int).ro(),
    f("lastActivityDate", Ty::Date).ro(),
    f("priority", Ty::Int).req().pick(TICKET_PRIORITIES),
    f("queueID", Ty::Int).pick(TICKET_QUEUES),
    f("status", Ty::Int).req().pick(TICKET_STATUSES),
    s("ticketNumber", 50).ro(),
    s("title", 255).req(),
];

#[derive(Debug)]
struct Entity {
    /// URL name, e.g. `Companies`.
    name: &'static str,
    /// Singular model name used in messages and entityInformation.
    model: &'static str,
    table: &'static str,
    fields: &'static [Field],
    /// Top-level `POST /{Entity}` and `PATCH|PUT /{Entity}`.
    writable: bool,
    /// Segment under `Companies/{id}/` for child writes (Contacts, Locations).
    child: Option<&'static str>,
    udf: bool,
}

const COMPANY: Entity = Entity {
    name: "Companies",
    model: "Company",
    table: COMPANIES,
    fields: COMPANY_FIELDS,
    writable: true,
    child: None,
    udf: true,
};
const CONTACT: Entity = Entity {
    name: "Contacts",
    model: "Contact",
    table: CONTACTS,
    fields: CONTACT_FIELDS,
    writable: false,
    child: Some("contacts"),
    udf: true,
};
const LOCATION: Entity = Entity {
    name: "CompanyLocations",
    model: "CompanyLocation",
    table: LOCATIONS,
    fields: LOCATION_FIELDS,
    writable: false,
    child: Some("locations"),
    udf: false,
};
const CI: Entity = Entity {
    name: "ConfigurationItems",
    model: "ConfigurationItem",
    table: CIS,
    fields: CI_FIELDS,
    writable: true,
    child: None,
    udf: true,
};
const PRODUCT: Entity = Entity {
    name: "Products",
    model: "Product",
    table: PRODUCTS,
    fields: PRODUCT_FIELDS,
    writable: true,
    child: None,
    udf: true,
};
const RESOURCE: Entity = Entity {
    name: "Resources",
    model: "Resource",
    table: RESOURCES,
    fields: RESOURCE_FIELDS,
    writable: false,
    child: None,
    udf: true,
};
const COUNTRY: Entity = Entity {
    name: "Countries",
    model: "Country",
    table: COUNTRIES,
    fields: COUNTRY_FIELDS,
    writable: false,
    child: None,
    udf: false,
};
const BILLING_CODE: Entity = Entity {
    name: "BillingCodes",
    model: "BillingCode",
    table: BILLING_CODES,
    fields: BILLING_CODE_FIELDS,
    writable: false,
    child: None,
    udf: false,
};

/// Tickets are created and updated at the top level and, like every top-level entity here,
/// never deleted over the API.
const TICKET: Entity = Entity {
    name: "Tickets",
    model: "Ticket",
    table: TICKETS,
    fields: TICKET_FIELDS,
    writable: true,
    child: None,
    udf: true,
};

const ENTITIES: &[&Entity] = &[
    &COMPANY,
    &CONTACT,
    &LOCATION,
    &CI,
    &PRODUCT,
    &RESOURCE,
    &COUNTRY,
    &BILLING_CODE,
    &TICKET,
];

/// Every entity `handle` serves: name, whether it takes writes, and its child segment under
/// `Companies/{id}/` (if any), for `mock-psa routes`.
pub fn entity_table() -> impl Iterator<Item = (&'static str, bool, Option<&'static str>)> {
    ENTITIES.iter().map(|e| (e.name, e.writable, e.child))
}

fn entity_by_segment(seg: &str) -> Option<&'static Entity> {
    ENTITIES
        .iter()
        .copied()
        .find(|e| e.name.eq_ignore_ascii_case(seg))
}

impl Entity {
    fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }
    fn can_delete(&self) -> bool {
        self.child.is_some()
    }
    fn can_write(&self) -> bool {
        self.writable || self.child.is_some()
    }
    fn unknown_field(&self, name: &str) -> String {
        format!("Unable to find {name} in the {} Entity", self.model)
    }
}

// ---------------------------------------------------------------------------------------------
// Values.

fn type_error(field: &Field, v: &Value) -> String {
    format!(
        "Unable to convert value {v} to {} for field {}.",
        field.ty.data_type(),
        field.name
    )
}

/// Converts an incoming value to the field's type the way Json.NET would (numeric strings to
/// numbers, "true"/"false" to booleans); anything else is a type error.
fn coerce(field: &Field, v: &Value) -> Result<Value, String> {
    let bad = || type_error(field, v);
    Ok(match (field.ty, v) {
        (_, Value::Null) => Value::Null,
        (Ty::Str(len), _) => {
            let text = match v {
                Value::String(t) => t.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(bad()),
            };
            if text.chars().count() > len as usize {
                return Err(format!(
                    "The value for field {} exceeds the maximum length of {len}.",
                    field.name
                ));
            }
            Value::String(text)
        }
        (Ty::Int | Ty::Long | Ty::Short, Value::Number(n)) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => match n.as_f64() {
                Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Value::from(x as i64),
                _ => return Err(bad()),
            },
        },
        (Ty::Int | Ty::Long | Ty::Short, Value::String(t)) => {
            Value::from(t.trim().parse::<i64>().map_err(|_| bad())?)
        }
        (Ty::Bool, Value::Bool(b)) => Value::Bool(*b),
        (Ty::Bool, Value::String(t)) if t.eq_ignore_ascii_case("true") => Value::Bool(true),
        (Ty::Bool, Value::String(t)) if t.eq_ignore_ascii_case("false") => Value::Bool(false),
        (Ty::Bool, Value::Number(n)) if n.as_i64() == Some(0) => Value::Bool(false),
        (Ty::Bool, Value::Number(n)) if n.as_i64() == Some(1) => Value::Bool(true),
        (Ty::Double, Value::Number(n)) => n.as_f64().map(Value::from).ok_or_else(bad)?,
        (Ty::Double, Value::String(t)) => Value::from(t.trim().parse::<f64>().map_err(|_| bad())?),
        (Ty::Date, Value::String(t)) => {
            let secs = parse_rfc3339(t).ok_or_else(bad)?;
            Value::String(crate::clock::format_rfc3339(secs))
        }
        _ => return Err(bad()),
    })
}

/// Reads a write body: member names case-insensitively to the model's spelling, values to the
/// field types. Unknown members and read-only fields are ignored, as Autotask does.
fn write_input(e: &Entity, body: &Value) -> Result<Map<String, Value>, String> {
    let Value::Object(obj) = body else {
        return Err(format!(
            "Unable to parse the request body as a {} object.",
            e.model
        ));
    };
    let mut out = Map::new();
    for (k, v) in obj {
        let Some(field) = e.field(k) else { continue };
        if field.read_only && field.name != "id" {
            continue;
        }
        out.insert(field.name.to_string(), coerce(field, v)?);
    }
    Ok(out)
}

fn int(rec: &Record, key: &str) -> Option<i64> {
    rec.get(key).and_then(Value::as_i64)
}

fn str_of<'a>(rec: &'a Record, key: &str) -> Option<&'a str> {
    rec.get(key).and_then(Value::as_str)
}

// ---------------------------------------------------------------------------------------------
// Writes, shared by the HTTP routes and the neutral (seed/admin) side.

fn check_record(world: &World, e: &Entity, rec: &Record, id: Option<i64>) -> Result<(), String> {
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
        COMPANIES => {
            if let Some(owner) = int(rec, "ownerResourceID").and_then(|o| store.get(RESOURCES, o)) {
                if int(owner, "licenseType") == Some(API_ONLY_LICENSE) {
                    return Err("Account owner can not be an API-only resource.".into());
                }
                if owner.get("isActive") == Some(&Value::Bool(false)) {
                    return Err("Account owner must be an active resource.".into());
                }
            }
            if id.is_some() && int(rec, "parentCompanyID") == id {
                return Err("A company can not be its own parent company.".into());
            }
        }
        CONTACTS if !matches!(int(rec, "isActive"), Some(0 | 1)) => {
            return Err("isActive must be 0 or 1.".into());
        }
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
fn attribute(world: &mut World, e: &Entity, id: i64, actor: Actor) {
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

/// Autotask's request threshold: calls counted per virtual minute, summed over the last 60
/// minutes (a rolling hour at minute granularity, deterministic on the virtual clock).
fn requests_in_window(world: &World, now: i64) -> u64 {
    let minute = now.div_euclid(60);
    world
        .quota
        .range((minute - 59, AT_RATE_KEY.to_string())..=(minute, AT_RATE_KEY.to_string()))
        .filter(|((_, k), _)| k == AT_RATE_KEY)
        .map(|(_, n)| *n)
        .sum()
}

const AT_RATE_KEY: &str = "autotask:requests";

/// The delay the live API adds as the hour's threshold fills (when switched on); lookups of
/// zone and version are exempt, as they are from the count.
fn threshold_latency(state: &MockState, path: &str) -> Option<std::time::Duration> {
    let settings = state.settings();
    let limit = settings.at_hourly_request_limit;
    if !settings.at_threshold_latency || limit == 0 {
        return None;
    }
    let lower = path.trim_matches('/');
    if lower == "zoneinformation" || lower == "versioninformation" {
        return None;
    }
    let used = {
        let world = state.world();
        requests_in_window(&world, world.clock.now())
    };
    let share = used.saturating_mul(100) / limit;
    match share {
        75.. => Some(std::time::Duration::from_millis(1000)),
        50.. => Some(std::time::Duration::from_millis(500)),
        _ => None,
    }
}

/// Counts one authenticated call; past the hourly threshold (when enforced), 429 with
/// Retry-After until the oldest counted minute leaves the window.
fn throttle(state: &MockState) -> Result<(), Response> {
    let settings = state.settings();
    let mut world = state.world();
    let now = world.clock.now();
    let minute = now.div_euclid(60);
    world
        .quota
        .retain(|(m, k), _| k != AT_RATE_KEY || *m > minute - 60);
    let used = requests_in_window(&world, now);
    let limit = settings.at_hourly_request_limit;
    if settings.at_enforce_request_limit && used >= limit {
        let oldest = world
            .quota
            .keys()
            .filter(|(_, k)| k == AT_RATE_KEY)
            .map(|(m, _)| *m)
            .min()
            .unwrap_or(minute);
        let wait = ((oldest + 60) * 60 - now).max(1);
        let mut resp = Autotask.error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "The request threshold of {limit} requests per 60 minutes has been exceeded. Try again in {wait} seconds."
            ),
        );
        resp.headers_mut()
            .insert("retry-after", http::HeaderValue::from(wait));
        return Err(resp);
    }
    *world
        .quota
        .entry((minute, AT_RATE_KEY.to_string()))
        .or_insert(0) += 1;
    Ok(())
}

/// Only one primary location per company: setting one clears the others.
fn keep_one_primary(world: &mut World, location_id: i64) {
    let Some(loc) = world.store.get(LOCATIONS, location_id) else {
        return;
    };
    if loc.get("isPrimary") != Some(&Value::Bool(true)) {
        return;
    }
    let company = int(loc, "companyID");
    let others: Vec<i64> = world
        .store
        .rows(LOCATIONS)
        .filter(|r| int(r, "companyID") == company && int(r, "id") != Some(location_id))
        .filter_map(|r| int(r, "id"))
        .collect();
    let table = world.store.table_mut(LOCATIONS);
    for id in others {
        if let Some(r) = table.get_mut(id) {
            r.insert("isPrimary".into(), Value::Bool(false));
        }
    }
}

fn create_rec(
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
            let number = next_ticket_number(
                &world.store,
                TICKETS,
                "ticketNumber",
                &world.clock.rfc3339(),
            );
            rec.insert("ticketNumber".into(), Value::from(number));
        }
        _ => {}
    }
    let id = world.store.insert(e.table, rec.clone());
    match e.table {
        COMPANIES => {
            // Every company has a primary location; it starts with the company's address.
            let mut loc = Map::new();
            loc.insert("companyID".into(), Value::from(id));
            let name = format!("{} - Main", str_of(&rec, "companyName").unwrap_or(""));
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
        LOCATIONS => keep_one_primary(world, id),
        _ => {}
    }
    Ok(id)
}

fn update_rec(
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

fn delete_child(world: &mut World, e: &Entity, pid: i64, id: i64) -> Result<(), String> {
    let Some(old) = world.store.get(e.table, id) else {
        return Err(format!("{} with id {id} does not exist.", e.model));
    };
    if int(old, "companyID") != Some(pid) {
        return Err(format!(
            "{} with id {id} does not belong to company {pid}.",
            e.model
        ));
    }
    if e.table == LOCATIONS && old.get("isPrimary") == Some(&Value::Bool(true)) {
        return Err("The primary location of a company can not be deleted.".into());
    }
    world.store.table_mut(e.table).remove(id);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Queries.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    NotEq,
    Gt,
    Gte,
    Lt,
    Lte,
    BeginsWith,
    EndsWith,
    Contains,
    Exist,
    NotExist,
    In,
    NotIn,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "noteq" => Op::NotEq,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "beginswith" => Op::BeginsWith,
            "endswith" => Op::EndsWith,
            "contains" => Op::Contains,
            "exist" => Op::Exist,
            "notexist" => Op::NotExist,
            "in" => Op::In,
            "notin" => Op::NotIn,
            _ => return None,
        })
    }
}

#[derive(Debug)]
enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Cmp {
        field: &'static Field,
        op: Op,
        values: Vec<Value>,
    },
    Udf {
        name: String,
        op: Op,
        values: Vec<Value>,
    },
    /// Unknown operators are ignored by the real API (the rows come back unfiltered).
    Pass,
}

fn parse_filter(e: &Entity, v: &Value) -> Result<Filter, String> {
    let Value::Object(obj) = v else {
        return Err("Each filter must be an object with op, field and value.".into());
    };
    let op = get_ci(obj, "op").and_then(Value::as_str).unwrap_or("");
    let items = || -> Result<Vec<Filter>, String> {
        match get_ci(obj, "items") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a.iter().map(|i| parse_filter(e, i)).collect(),
            Some(_) => Err("The items of an and/or filter must be an array.".into()),
        }
    };
    if op.eq_ignore_ascii_case("and") {
        return Ok(Filter::And(items()?));
    }
    if op.eq_ignore_ascii_case("or") {
        return Ok(Filter::Or(items()?));
    }
    let Some(op) = Op::parse(op) else {
        return Ok(Filter::Pass);
    };
    let name = match get_ci(obj, "field") {
        Some(Value::String(n)) => n.clone(),
        _ => return Err("Value cannot be null.\r\nParameter name: field".into()),
    };
    let raw: Vec<Value> = match (op, get_ci(obj, "value")) {
        (Op::Exist | Op::NotExist, _) => Vec::new(),
        (_, None | Some(Value::Null)) => {
            return Err(format!("A value is required for the {name} filter."))
        }
        (Op::In | Op::NotIn, Some(Value::Array(a))) => a.clone(),
        (_, Some(Value::Array(_))) => {
            return Err(format!(
                "Only in and notIn accept a list of values ({name})."
            ))
        }
        (_, Some(v)) => vec![v.clone()],
    };
    let udf = get_ci(obj, "udf").is_some_and(|u| u == &Value::Bool(true) || u == "true");
    if udf {
        let values = raw
            .iter()
            .map(|v| match v {
                Value::String(t) => Value::String(t.clone()),
                other => Value::String(other.to_string()),
            })
            .collect();
        return Ok(Filter::Udf { name, op, values });
    }
    let field = e.field(&name).ok_or_else(|| e.unknown_field(&name))?;
    let values = raw
        .iter()
        .map(|v| {
            match coerce(
                &Field {
                    ty: relaxed(field.ty),
                    ..*field
                },
                v,
            ) {
                Ok(Value::Null) => Err(type_error(field, v)),
                other => other,
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Filter::Cmp { field, op, values })
}

/// Filter values are not bound by the field's length.
fn relaxed(ty: Ty) -> Ty {
    match ty {
        Ty::Str(_) => Ty::Str(u32::MAX),
        other => other,
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(t) => t.to_lowercase(),
        other => other.to_string(),
    }
}

fn compare(ty: Ty, a: &Value, b: &Value) -> Option<Ordering> {
    match ty {
        Ty::Str(_) => Some(as_text(a).cmp(&as_text(b))),
        Ty::Int | Ty::Long | Ty::Short => Some(a.as_i64()?.cmp(&b.as_i64()?)),
        Ty::Double => a.as_f64()?.partial_cmp(&b.as_f64()?),
        Ty::Bool => Some(a.as_bool()?.cmp(&b.as_bool()?)),
        Ty::Date => Some(parse_rfc3339(a.as_str()?)?.cmp(&parse_rfc3339(b.as_str()?)?)),
    }
}

fn test(ty: Ty, op: Op, rv: Option<&Value>, values: &[Value]) -> bool {
    let rv = rv.filter(|v| !v.is_null());
    match op {
        Op::Exist => return rv.is_some(),
        Op::NotExist => return rv.is_none(),
        _ => {}
    }
    let Some(rv) = rv else { return false };
    let eq = |b: &Value| compare(ty, rv, b) == Some(Ordering::Equal);
    let Some(first) = values.first() else {
        return false;
    };
    match op {
        Op::Eq => eq(first),
        Op::NotEq => !eq(first),
        Op::Gt => compare(ty, rv, first) == Some(Ordering::Greater),
        Op::Gte => matches!(
            compare(ty, rv, first),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        Op::Lt => compare(ty, rv, first) == Some(Ordering::Less),
        Op::Lte => matches!(
            compare(ty, rv, first),
            Some(Ordering::Less | Ordering::Equal)
        ),
        Op::BeginsWith => as_text(rv).starts_with(&as_text(first)),
        Op::EndsWith => as_text(rv).ends_with(&as_text(first)),
        Op::Contains => as_text(rv).contains(&as_text(first)),
        Op::In => values.iter().any(eq),
        Op::NotIn => !values.iter().any(eq),
        Op::Exist | Op::NotExist => false,
    }
}

impl Filter {
    fn matches(&self, rec: &Record) -> bool {
        match self {
            Filter::And(items) => items.iter().all(|f| f.matches(rec)),
            Filter::Or(items) => items.iter().any(|f| f.matches(rec)),
            Filter::Pass => true,
            Filter::Cmp { field, op, values } => test(field.ty, *op, rec.get(field.name), values),
            Filter::Udf { name, op, values } => {
                let udf = rec
                    .get("userDefinedFields")
                    .and_then(Value::as_array)
                    .and_then(|a| {
                        a.iter().find(|u| {
                            u.get("name")
                                .and_then(Value::as_str)
                                .is_some_and(|n| n.eq_ignore_ascii_case(name))
                        })
                    })
                    .and_then(|u| u.get("value"));
                test(Ty::Str(u32::MAX), *op, udf, values)
            }
        }
    }
}

struct QuerySpec {
    filters: Vec<Filter>,
    max: usize,
    include: Option<Vec<&'static str>>,
    /// The query as received, repeated in `nextPageUrl`'s `search`.
    raw: Value,
}

fn parse_query(e: &Entity, v: Value) -> Result<QuerySpec, String> {
    let Value::Object(obj) = &v else {
        return Err("Value cannot be null.\r\nParameter name: filters".into());
    };
    let filters = match get_ci(obj, "filter") {
        None | Some(Value::Null) => {
            return Err("Value cannot be null.\r\nParameter name: filters".into())
        }
        Some(Value::Array(a)) => a
            .iter()
            .map(|f| parse_filter(e, f))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err("The filter must be an array of conditions.".into()),
    };
    let max = match get_ci(obj, "maxRecords") {
        None | Some(Value::Null) => MAX_PAGE as i64,
        Some(Value::Number(n)) => n.as_i64().unwrap_or(MAX_PAGE as i64),
        Some(Value::String(t)) => t
            .trim()
            .parse()
            .map_err(|_| format!("Unable to convert {t} to an integer for MaxRecords."))?,
        Some(other) => return Err(format!("Unable to convert {other} for MaxRecords.")),
    };
    let max = max.clamp(1, MAX_PAGE as i64) as usize;
    let include = match get_ci(obj, "includeFields") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) if a.is_empty() => None,
        Some(Value::Array(a)) => {
            let mut names = vec!["id"];
            for n in a {
                let n = n.as_str().unwrap_or_default();
                let field = e.field(n).ok_or_else(|| e.unknown_field(n))?;
                if !names.contains(&field.name) {
                    names.push(field.name);
                }
            }
            Some(names)
        }
        Some(_) => return Err("IncludeFields must be an array of field names.".into()),
    };
    Ok(QuerySpec {
        filters,
        max,
        include,
        raw: v,
    })
}

impl QuerySpec {
    fn matches(&self, rec: &Record) -> bool {
        // `filter: []` answers no rows.
        !self.filters.is_empty() && self.filters.iter().all(|f| f.matches(rec))
    }
}

/// The wire shape of a record: every model field (null when unset), or only the included ones.
fn render(e: &Entity, rec: &Record, include: Option<&[&'static str]>) -> Value {
    let mut out = Map::new();
    for field in e.fields {
        if include.is_some_and(|names| !names.contains(&field.name)) {
            continue;
        }
        out.insert(
            field.name.into(),
            rec.get(field.name).cloned().unwrap_or(Value::Null),
        );
    }
    if e.udf {
        out.insert(
            "userDefinedFields".into(),
            rec.get("userDefinedFields")
                .cloned()
                .unwrap_or_else(|| json!([])),
        );
    }
    Value::Object(out)
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn query_param(query: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.into_owned())
}

/// One page of rows with id >= `start`. Paging walks ids forward, so a page costs time in
/// proportion to its size (plus skipped non-matching rows).
fn query_page(
    world: &World,
    ctx: &RequestCtx,
    e: &Entity,
    spec: &QuerySpec,
    start: i64,
    previous: Vec<i64>,
) -> Value {
    let mut rows: Vec<&Record> = Vec::new();
    let mut next = None;
    if let Some(table) = world.store.table(e.table) {
        for rec in table.iter_after(start.saturating_sub(1)) {
            if !spec.matches(rec) {
                continue;
            }
            if rows.len() == spec.max {
                next = int(rec, "id");
                break;
            }
            rows.push(rec);
        }
    }
    let search = enc(&spec.raw.to_string());
    let link = |prev: &[i64], next_id: i64| {
        let paging = json!({"pageSize": spec.max, "previousIds": prev, "nextIds": [next_id]});
        Value::String(format!(
            "{}/{}/query/next?paging={}&search={search}",
            ctx.api_base,
            e.name,
            enc(&paging.to_string())
        ))
    };
    let next_url = match next {
        Some(n) => {
            let mut prev = previous.clone();
            prev.push(start);
            link(&prev, n)
        }
        None => Value::Null,
    };
    let prev_url = match previous.split_last() {
        Some((last, rest)) => link(rest, *last),
        None => Value::Null,
    };
    let items: Vec<Value> = rows
        .iter()
        .map(|r| render(e, r, spec.include.as_deref()))
        .collect();
    json!({
        "items": items,
        "pageDetails": {
            "count": items.len(),
            "requestCount": spec.max,
            "prevPageUrl": prev_url,
            "nextPageUrl": next_url,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// HTTP.

fn fail(message: impl AsRef<str>) -> Response {
    Autotask.error(StatusCode::INTERNAL_SERVER_ERROR, message.as_ref())
}

fn not_allowed(method: &Method) -> Response {
    Autotask.error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("The requested resource does not support http method '{method}'."),
    )
}

fn not_found(path: &str) -> Response {
    Autotask.error(
        StatusCode::NOT_FOUND,
        &format!("No HTTP resource was found that matches the request URI '{path}'."),
    )
}

fn ok(v: Value) -> Response {
    (StatusCode::OK, Json(v)).into_response()
}

fn body_json(body: &[u8]) -> Result<Value, String> {
    parse_json(body).map_err(|e| format!("Unable to parse the request body: {e}"))
}

async fn handle(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let actor = match impersonation(&state, &headers) {
        Ok(a) => a,
        Err(msg) => return fail(msg),
    };
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    if let Some(delay) = threshold_latency(&state, &path) {
        tokio::time::sleep(delay).await;
    }
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["zoneinformation"] if method == Method::GET => zone(&state, &ctx, &query),
        ["versioninformation"] if method == Method::GET => ok(json!({"apiVersions": ["V1.0"]})),
        ["thresholdinformation"] if method == Method::GET => {
            let limit = state.settings().at_hourly_request_limit;
            let world = state.world();
            let n = requests_in_window(&world, world.clock.now());
            ok(
                json!({"externalRequestThreshold": limit, "requestThresholdTimeframe": 60,
                      "currentTimeframeRequestCount": n}),
            )
        }
        ["zoneinformation" | "versioninformation" | "thresholdinformation"] => not_allowed(&method),
        [seg, rest @ ..] => match entity_by_segment(seg) {
            Some(e) => {
                let call = Call {
                    state: &state,
                    ctx: &ctx,
                    method: &method,
                    query: &query,
                    body: &body,
                    path: &path,
                    actor,
                };
                entity_route(&call, e, rest)
            }
            None => not_found(&path),
        },
        [] => not_found(&path),
    }
}

fn zone(state: &MockState, ctx: &RequestCtx, query: &str) -> Response {
    let creds = state.settings().credentials;
    match query_param(query, "user") {
        Some(u) if u.eq_ignore_ascii_case(&creds.user) => ok(json!({
            "zoneName": "Mock Zone",
            "url": format!("{}/ATServicesRest/", ctx.origin),
            "webUrl": format!("{}/", ctx.origin),
            "ci": 1,
        })),
        _ => fail("Zone information could not be determined"),
    }
}

/// One API call as the entity routes see it.
struct Call<'a> {
    state: &'a MockState,
    ctx: &'a RequestCtx,
    method: &'a Method,
    query: &'a str,
    body: &'a [u8],
    path: &'a str,
    /// Who writes are attributed to: the impersonated resource, else the API user.
    actor: Actor,
}

/// The resource a write is attributed to (`ImpersonationResourceId`), and whether it was
/// impersonated (then the API user is recorded as the impersonator).
#[derive(Clone, Copy)]
struct Actor {
    resource: i64,
    impersonated: bool,
}

/// Reads `ImpersonationResourceId`: absent means the API user itself; otherwise it must name
/// an active resource (the real API refuses writes it cannot attribute).
fn impersonation(state: &MockState, headers: &HeaderMap) -> Result<Actor, String> {
    let Some(raw) = headers
        .get("impersonationresourceid")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
    else {
        return Ok(Actor {
            resource: API_RESOURCE_ID,
            impersonated: false,
        });
    };
    let id: i64 = raw
        .parse()
        .map_err(|_| format!("ImpersonationResourceId {raw} is not a valid resource id."))?;
    let world = state.world();
    match world.store.get(RESOURCES, id) {
        Some(r) if r.get("isActive") != Some(&Value::Bool(false)) => Ok(Actor {
            resource: id,
            impersonated: true,
        }),
        _ => Err(format!(
            "ImpersonationResourceId {id} does not reference an active resource."
        )),
    }
}

fn entity_route(call: &Call<'_>, e: &'static Entity, rest: &[&str]) -> Response {
    let Call {
        state,
        ctx,
        method,
        query,
        body,
        path,
        actor,
    } = *call;
    let get = method == Method::GET;
    let post = method == Method::POST;
    match rest {
        [] => match *method {
            Method::POST if e.writable => write(state, e, None, body, Write::Create, actor),
            Method::PATCH if e.writable => write(state, e, None, body, Write::Patch, actor),
            Method::PUT if e.writable => write(state, e, None, body, Write::Put, actor),
            _ => not_allowed(method),
        },
        ["query"] | ["query", "count"] | ["query", "next"] if get || post => {
            let spec = if post && !body.iter().all(u8::is_ascii_whitespace) {
                body_json(body)
            } else {
                match query_param(query, "search") {
                    Some(s) => serde_json::from_str(&s)
                        .map_err(|err| format!("Unable to parse the search query: {err}")),
                    None => Ok(Value::Null),
                }
            };
            let spec = match spec.and_then(|v| parse_query(e, v)) {
                Ok(spec) => spec,
                Err(msg) => return fail(msg),
            };
            let world = state.world();
            match rest {
                ["query", "count"] => {
                    let n = world
                        .store
                        .rows(e.table)
                        .filter(|r| spec.matches(r))
                        .count();
                    ok(json!({"queryCount": n}))
                }
                ["query", "next"] => {
                    let paging = query_param(query, "paging")
                        .and_then(|p| serde_json::from_str::<Value>(&p).ok());
                    let Some(paging) = paging else {
                        return fail("Value cannot be null.\r\nParameter name: paging");
                    };
                    let ids = |k: &str| -> Vec<i64> {
                        paging
                            .get(k)
                            .and_then(Value::as_array)
                            .map(|a| a.iter().filter_map(Value::as_i64).collect())
                            .unwrap_or_default()
                    };
                    let start = ids("nextIds").first().copied().unwrap_or(-1);
                    ok(query_page(&world, ctx, e, &spec, start, ids("previousIds")))
                }
                _ => ok(query_page(&world, ctx, e, &spec, -1, Vec::new())),
            }
        }
        ["query", ..] => not_allowed(method),
        ["entityinformation", more @ ..] => entity_info(state, e, more, method, path),
        [id] => {
            let Ok(id) = id.parse::<i64>() else {
                return not_found(path);
            };
            if !get {
                return not_allowed(method);
            }
            let world = state.world();
            let item = world
                .store
                .get(e.table, id)
                .map(|r| render(e, r, None))
                .unwrap_or(Value::Null);
            ok(json!({ "item": item }))
        }
        [pid, child, more @ ..] if e.table == COMPANIES => {
            let Some(ce) = ENTITIES.iter().find(|c| c.child == Some(*child)) else {
                return not_found(path);
            };
            let Ok(pid) = pid.parse::<i64>() else {
                return not_found(path);
            };
            child_route(call, ce, pid, more)
        }
        _ => not_found(path),
    }
}

fn child_route(call: &Call<'_>, e: &'static Entity, pid: i64, rest: &[&str]) -> Response {
    let Call {
        state,
        method,
        body,
        path,
        actor,
        ..
    } = *call;
    match rest {
        [] => match *method {
            Method::GET => {
                let world = state.world();
                let items: Vec<Value> = world
                    .store
                    .rows(e.table)
                    .filter(|r| int(r, "companyID") == Some(pid))
                    .map(|r| render(e, r, None))
                    .collect();
                ok(json!({"items": items, "pageDetails": {"count": items.len(),
                    "requestCount": MAX_PAGE, "prevPageUrl": null, "nextPageUrl": null}}))
            }
            Method::POST => write(state, e, Some(pid), body, Write::Create, actor),
            Method::PATCH => write(state, e, Some(pid), body, Write::Patch, actor),
            Method::PUT => write(state, e, Some(pid), body, Write::Put, actor),
            _ => not_allowed(method),
        },
        ["entityinformation", more @ ..] => entity_info(state, e, more, method, path),
        [id] => {
            let Ok(id) = id.parse::<i64>() else {
                return not_found(path);
            };
            match *method {
                Method::GET => {
                    let world = state.world();
                    let item = world
                        .store
                        .get(e.table, id)
                        .filter(|r| int(r, "companyID") == Some(pid))
                        .map(|r| render(e, r, None))
                        .unwrap_or(Value::Null);
                    ok(json!({ "item": item }))
                }
                Method::DELETE => match delete_child(&mut state.world(), e, pid, id) {
                    Ok(()) => ok(json!({ "itemId": id })),
                    Err(msg) => fail(msg),
                },
                _ => not_allowed(method),
            }
        }
        _ => not_found(path),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    Create,
    Patch,
    Put,
}

fn write(
    state: &MockState,
    e: &'static Entity,
    parent: Option<i64>,
    body: &[u8],
    how: Write,
    actor: Actor,
) -> Response {
    let input = match body_json(body).and_then(|v| write_input(e, &v)) {
        Ok(m) => m,
        Err(msg) => return fail(msg),
    };
    let mut world = state.world();
    let result = match how {
        Write::Create => create_rec(&mut world, e, input, parent)
            .inspect(|id| attribute(&mut world, e, *id, actor)),
        Write::Patch | Write::Put => match int(&input, "id") {
            Some(id) if id > 0 || (e.table == COMPANIES && id == OWN_COMPANY_ID) => {
                update_rec(&mut world, e, id, input, parent, how == Write::Put).map(|()| id)
            }
            _ => Err(format!("An id is required to update a {}.", e.model)),
        },
    };
    match result {
        Ok(id) => ok(json!({ "itemId": id })),
        Err(msg) => fail(msg),
    }
}

fn entity_info(
    state: &MockState,
    e: &Entity,
    rest: &[&str],
    method: &Method,
    path: &str,
) -> Response {
    if method != Method::GET {
        return not_allowed(method);
    }
    let access = |yes: bool| if yes { "All" } else { "None" };
    match rest {
        [] => ok(json!({"info": {
            "name": e.model,
            "canCreate": e.can_write(),
            "canDelete": e.can_delete(),
            "canQuery": true,
            "canUpdate": e.can_write(),
            "userAccessForCreate": access(e.can_write()),
            "userAccessForDelete": access(e.can_delete()),
            "userAccessForQuery": "All",
            "userAccessForUpdate": access(e.can_write()),
            "hasUserDefinedFields": e.udf,
            "supportsWebhookCallouts": matches!(e.table, COMPANIES | CONTACTS | CIS),
        }})),
        ["fields"] => {
            let world = state.world();
            let fields: Vec<Value> = e
                .fields
                .iter()
                .map(|field| {
                    let picklist = field.pick.map(|t| {
                        world
                            .store
                            .rows(t)
                            .map(|r| {
                                json!({
                                    "value": int(r, "id").unwrap_or_default().to_string(),
                                    "label": r.get("label").cloned().unwrap_or(Value::Null),
                                    "isDefaultValue": r.get("isDefaultValue").cloned().unwrap_or(Value::Bool(false)),
                                    "sortOrder": r.get("sortOrder").cloned().unwrap_or(Value::from(0)),
                                    "parentValue": "",
                                    "isActive": r.get("isActive").cloned().unwrap_or(Value::Bool(true)),
                                    "isSystem": true,
                                })
                            })
                            .collect::<Vec<_>>()
                    });
                    json!({
                        "name": field.name,
                        "dataType": field.ty.data_type(),
                        "length": match field.ty { Ty::Str(n) => n, _ => 0 },
                        "isRequired": field.required,
                        "isReadOnly": field.read_only,
                        "isQueryable": true,
                        "isReference": field.refers.is_some(),
                        "referenceEntityType": field.refers.map(|r| r.0).unwrap_or(""),
                        "isPickList": field.pick.is_some(),
                        "picklistValues": picklist,
                        "picklistParentValueField": "",
                        "isSupportedWebhookField": false,
                    })
                })
                .collect();
            ok(json!({ "fields": fields }))
        }
        ["userdefinedfields"] => ok(json!({ "fields": [] })),
        _ => not_found(path),
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds and the neutral vocabulary.

fn row(v: Value) -> Record {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn seed_picklist(store: &mut Store, table: &str, values: &[(i64, &str)]) {
    for (i, (id, label)) in values.iter().enumerate() {
        store.insert(
            table,
            row(json!({"id": id, "label": label, "isActive": true,
                       "isDefaultValue": i == 0, "sortOrder": i + 1})),
        );
    }
}

/// The id of a picklist label, adding the label when absent (an administrator extending it).
fn picklist_id_or_add(store: &mut Store, table: &str, label: &str) -> i64 {
    if let Ok(id) = lookup_id(store, table, "label", label) {
        return id;
    }
    let n = store.table(table).map_or(0, |t| t.len());
    store.insert(
        table,
        row(json!({"label": label, "isActive": true, "isDefaultValue": false, "sortOrder": n + 1})),
    )
}

fn neutral_bool_status(fields: &Map<String, Value>) -> Result<Option<bool>, String> {
    match text(fields, "status") {
        None => Ok(None),
        Some(s) if s.eq_ignore_ascii_case("active") => Ok(Some(true)),
        Some(s) if s.eq_ignore_ascii_case("inactive") => Ok(Some(false)),
        Some(s) => Err(format!("status must be Active or Inactive, not `{s}`")),
    }
}

fn company_by_name(store: &Store, name: &str) -> Result<i64, String> {
    company_id_by_name(store, COMPANIES, "companyName", name)
}

fn location_by_name(store: &Store, company: i64, name: &str) -> Result<i64, String> {
    store
        .rows(LOCATIONS)
        .find(|r| int(r, "companyID") == Some(company) && str_of(r, "name") == Some(name))
        .and_then(|r| int(r, "id"))
        .ok_or_else(|| format!("no location named `{name}` at company {company}"))
}

/// A product with this manufacturer and model, created when none exists. Neither given: the
/// seeded generic product with no manufacturer.
fn product_for(
    world: &mut World,
    manufacturer: Option<&str>,
    model: Option<&str>,
) -> Result<i64, String> {
    let same = |a: Option<&str>, b: Option<&str>| match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => false,
    };
    let found = world
        .store
        .rows(PRODUCTS)
        .find(|r| {
            same(str_of(r, "manufacturerName"), manufacturer)
                && same(str_of(r, "manufacturerProductName"), model)
        })
        .and_then(|r| int(r, "id"));
    if let Some(id) = found {
        return Ok(id);
    }
    let name = [manufacturer, model]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let mut rec = row(
        json!({"name": name, "isActive": true, "isSerialized": false,
                             "productBillingCodeID": HARDWARE_BILLING_CODE}),
    );
    put(&mut rec, "manufacturerName", manufacturer.map(Value::from));
    put(&mut rec, "manufacturerProductName", model.map(Value::from));
    create_rec(world, &PRODUCT, rec, None)
}

/// Native members for neutral fields; only the fields present are written (partial update).
fn native_fields(
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
                    .and_then(|p| world.store.get(PRODUCTS, p))
                    .cloned();
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
                        let of_company = world
                            .store
                            .rows(CONTACTS)
                            .filter(|c| int(c, "companyID") == Some(co));
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

fn entity_of(kind: NeutralKind) -> &'static Entity {
    match kind {
        NeutralKind::Ticket => &TICKET,
        NeutralKind::Company => &COMPANY,
        NeutralKind::Location => &LOCATION,
        NeutralKind::Contact => &CONTACT,
        NeutralKind::Configuration => &CI,
    }
}

impl DialectApi for Autotask {
    fn router(&self) -> Router<AppState> {
        // Paths arrive lower-cased without the API prefix; the entity segment is data.
        Router::new().fallback(handle)
    }

    fn route(&self, path: &str, origin: &str) -> Option<Routed> {
        let lower = path.to_ascii_lowercase();
        let lower = lower.trim_end_matches('/');
        if lower == "/atservicesrest/versioninformation" {
            return Some(Routed {
                path: "/versioninformation".into(),
                api_base: format!("{origin}/ATServicesRest/V1.0"),
                public: true,
            });
        }
        let rest = lower.strip_prefix("/atservicesrest/v1.0/")?;
        if rest.is_empty() {
            return None;
        }
        Some(Routed {
            path: format!("/{rest}"),
            api_base: format!("{origin}/ATServicesRest/V1.0"),
            public: rest == "zoneinformation",
        })
    }

    fn authenticate(
        &self,
        state: &MockState,
        parts: &Parts,
        _routed: &Routed,
    ) -> Result<(), Response> {
        let creds = state.settings().credentials;
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .unwrap_or("")
                .to_string()
        };
        if header("apiintegrationcode") != creds.integration_code {
            return Err(fail("IntegrationCode is invalid."));
        }
        if !header("username").eq_ignore_ascii_case(&creds.user) {
            return Err(fail("Zone information could not be determined"));
        }
        if header("secret") != creds.secret {
            return Err(self.error(StatusCode::UNAUTHORIZED, "Authentication failed"));
        }
        throttle(state)
    }

    fn error(&self, status: StatusCode, message: &str) -> Response {
        // ASP.NET Web API answers an unsupported verb itself, with its own body shape.
        let body = if status == StatusCode::METHOD_NOT_ALLOWED {
            json!({ "Message": message })
        } else {
            json!({ "errors": [message] })
        };
        (status, Json(body)).into_response()
    }

    fn seed_defaults(&self, world: &mut World, _personality: Personality) {
        let now = world.clock.rfc3339();
        let store = &mut world.store;
        store.set_first_id(COMPANIES, OWN_COMPANY_ID);
        store.set_first_id(LOCATIONS, 20001);
        store.set_first_id(CONTACTS, 30001);
        store.set_first_id(CIS, 40001);
        store.set_first_id(PRODUCTS, 50001);
        store.set_first_id(TICKETS, 7001);
        // Commonly seen default values; the real list differs per instance.
        seed_picklist(
            store,
            COMPANY_TYPES,
            &[
                (1, "Customer"),
                (2, "Lead"),
                (3, "Prospect"),
                (4, "Dead"),
                (6, "Cancellation"),
                (7, "Vendor"),
                (8, "Partner"),
            ],
        );
        seed_picklist(
            store,
            CI_TYPES,
            &[
                (1, "Server"),
                (2, "Workstation"),
                (3, "Printer"),
                (4, "Network Device"),
                (5, "Laptop"),
                (6, "Mobile Device"),
            ],
        );
        seed_picklist(
            store,
            NAME_SUFFIXES,
            &[
                (1, "Jr."),
                (2, "Sr."),
                (3, "II"),
                (4, "III"),
                (5, "IV"),
                (6, "PhD"),
                (7, "MD"),
            ],
        );
        // Autotask's system ticket statuses and priorities; queues are the instance's own (our
        // names match the other PSAs' boards and queues, so one neutral case reads alike).
        seed_picklist(
            store,
            TICKET_STATUSES,
            &[
                (1, "New"),
                (5, "Complete"),
                (7, "Waiting Customer"),
                (8, "In Progress"),
            ],
        );
        seed_picklist(
            store,
            TICKET_PRIORITIES,
            &[(2, "Medium"), (1, "High"), (3, "Low"), (4, "Critical")],
        );
        seed_picklist(
            store,
            TICKET_QUEUES,
            &[(29683481, "Service Desk"), (29683482, "Projects")],
        );
        seed_picklist(
            store,
            LICENSE_TYPES,
            &[
                (1, "Full"),
                (2, "Time and Expense"),
                (API_ONLY_LICENSE, "API User"),
            ],
        );
        store.insert(
            RESOURCES,
            row(
                json!({"id": ADMIN_RESOURCE_ID, "firstName": "Alex", "lastName": "Admin",
                       "userName": "alex", "email": "alex@acme-msp.example", "isActive": true,
                       "licenseType": 1, "title": "Service Manager"}),
            ),
        );
        store.insert(
            RESOURCES,
            row(
                json!({"id": API_RESOURCE_ID, "firstName": "API", "lastName": "User",
                       "userName": "api@example.com", "email": "api@example.com", "isActive": true,
                       "licenseType": API_ONLY_LICENSE}),
            ),
        );
        for (id, code, name) in [
            (237, "US", "United States"),
            (39, "CA", "Canada"),
            (236, "GB", "United Kingdom"),
        ] {
            store.insert(
                COUNTRIES,
                row(
                    json!({"id": id, "countryCode": code, "displayName": name, "name": name,
                           "isActive": true, "isDefaultCountry": id == 237}),
                ),
            );
        }
        store.insert(
            BILLING_CODES,
            row(json!({"id": HARDWARE_BILLING_CODE, "name": "Hardware", "description": "Hardware sales",
                       "billingCodeType": 2, "useType": 4, "isActive": true})),
        );
        // Table::insert never honours id 0, so the own company takes the table's first id (0)
        // and a placeholder at 1000 moves the sequence on so new companies start at 1001.
        store.insert(
            COMPANIES,
            row(
                json!({"companyName": "Acme MSP (owner)", "companyType": 8, "isActive": true,
                       "ownerResourceID": ADMIN_RESOURCE_ID, "phone": "", "createDate": now,
                       "lastActivityDate": now, "lastTrackedModifiedDateTime": now}),
            ),
        );
        store.insert(COMPANIES, row(json!({"id": 1000})));
        store.table_mut(COMPANIES).remove(1000);
        store.insert(
            LOCATIONS,
            row(
                json!({"companyID": OWN_COMPANY_ID, "name": "Acme MSP (owner) - Main",
                       "isActive": true, "isPrimary": true}),
            ),
        );
        for (name, man, model) in [
            ("Dell OptiPlex 7090", Some("Dell"), Some("OptiPlex 7090")),
            (
                "HP LaserJet Pro M404",
                Some("HP"),
                Some("LaserJet Pro M404"),
            ),
            ("Generic Device", None, None),
        ] {
            let mut rec = row(json!({"name": name, "isActive": true, "isSerialized": true,
                                     "productBillingCodeID": HARDWARE_BILLING_CODE,
                                     "createdTime": now}));
            put(&mut rec, "manufacturerName", man.map(Value::from));
            put(&mut rec, "manufacturerProductName", model.map(Value::from));
            store.insert(PRODUCTS, rec);
        }
    }

    fn entity_tables(&self) -> &'static [&'static str] {
        &[COMPANIES, LOCATIONS, CONTACTS, CIS, PRODUCTS, TICKETS]
    }

    fn neutral_create(
        &self,
        world: &mut World,
        kind: NeutralKind,
        fields: &Map<String, Value>,
    ) -> Result<i64, String> {
        let (mut rec, parent) = native_fields(world, kind, fields, None)?;
        let picklist_default = |table: &str| {
            world
                .store
                .rows(table)
                .find(|r| r.get("isDefaultValue") == Some(&Value::Bool(true)))
                .and_then(|r| int(r, "id"))
                .map(Value::from)
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

    fn neutral_update(
        &self,
        world: &mut World,
        kind: NeutralKind,
        id: i64,
        fields: &Map<String, Value>,
    ) -> Result<(), String> {
        let e = entity_of(kind);
        let existing = world
            .store
            .get(e.table, id)
            .cloned()
            .ok_or_else(|| format!("no {} with id {id}", e.model))?;
        let (rec, _) = native_fields(world, kind, fields, Some(&existing))?;
        update_rec(world, e, id, rec, None, false)
    }

    fn neutral_delete(&self, world: &mut World, kind: NeutralKind, id: i64) -> Result<(), String> {
        let e = entity_of(kind);
        if world.store.get(e.table, id).is_none() {
            return Err(format!("no {} with id {id}", e.model));
        }
        if kind == NeutralKind::Company {
            for table in [LOCATIONS, CONTACTS, CIS, TICKETS] {
                let ids: Vec<i64> = world
                    .store
                    .rows(table)
                    .filter(|r| int(r, "companyID") == Some(id))
                    .filter_map(|r| int(r, "id"))
                    .collect();
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

    fn neutral_view(&self, store: &Store) -> NeutralView {
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
                    ("id", t(r, "id")),
                    ("name", t(r, "companyName")),
                    ("short_name", t(r, "companyNumber")),
                    (
                        "type",
                        name_of(COMPANY_TYPES, "label", r.get("companyType")),
                    ),
                    ("status", status(r)),
                    (
                        "parent",
                        name_of(COMPANIES, "companyName", r.get("parentCompanyID")),
                    ),
                    ("phone", t(r, "phone")),
                ])
            })
            .collect();
        view.insert(NeutralKind::Company, companies);
        let locations = store
            .rows(LOCATIONS)
            .map(|r| {
                neutral(vec![
                    ("id", t(r, "id")),
                    (
                        "company",
                        name_of(COMPANIES, "companyName", r.get("companyID")),
                    ),
                    ("name", t(r, "name")),
                    ("address1", t(r, "address1")),
                    ("address2", t(r, "address2")),
                    ("city", t(r, "city")),
                    ("state", t(r, "state")),
                    ("zip", t(r, "postalCode")),
                    ("country", name_of(COUNTRIES, "name", r.get("countryID"))),
                    ("phone", t(r, "phone")),
                    ("fax", t(r, "fax")),
                    ("primary", t(r, "isPrimary")),
                ])
            })
            .collect();
        view.insert(NeutralKind::Location, locations);
        let contacts = store
            .rows(CONTACTS)
            .map(|r| {
                let email = t(r, "emailAddress");
                let phone = t(r, "phone");
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
                    ("id", t(r, "id")),
                    (
                        "company",
                        name_of(COMPANIES, "companyName", r.get("companyID")),
                    ),
                    ("first_name", t(r, "firstName")),
                    ("last_name", t(r, "lastName")),
                    ("title", t(r, "title")),
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
                let product = int(r, "productID").and_then(|p| store.get(PRODUCTS, p));
                let from_product = |k: &str| product.map_or(Value::Null, |p| t(p, k));
                let name = match t(r, "referenceTitle") {
                    Value::Null => from_product("name"),
                    v => v,
                };
                neutral(vec![
                    ("id", t(r, "id")),
                    (
                        "company",
                        name_of(COMPANIES, "companyName", r.get("companyID")),
                    ),
                    ("name", name),
                    (
                        "type",
                        name_of(CI_TYPES, "label", r.get("configurationItemType")),
                    ),
                    ("status", status(r)),
                    ("serial_number", t(r, "serialNumber")),
                    ("manufacturer", from_product("manufacturerName")),
                    ("model", from_product("manufacturerProductName")),
                    ("notes", t(r, "notes")),
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
                let contact = int(r, "contactID").and_then(|c| store.get(CONTACTS, c));
                ticket_view([
                    t(r, "id"),
                    name_of(COMPANIES, "companyName", r.get("companyID")),
                    t(r, "ticketNumber"),
                    t(r, "title"),
                    name_of(TICKET_QUEUES, "label", r.get("queueID")),
                    name_of(TICKET_STATUSES, "label", r.get("status")),
                    name_of(TICKET_PRIORITIES, "label", r.get("priority")),
                    contact.map_or(Value::Null, |c| Value::from(full_name(c))),
                    t(r, "createDate"),
                    t(r, "lastActivityDate"),
                ])
            })
            .collect();
        view.insert(NeutralKind::Ticket, tickets);
        view
    }
}
