//! ConnectWise Manage REST 3.0: `/{codebase}/apis/3.0/...`, Basic auth `company+public:private`
//! plus `clientId`, camelCase with nulls omitted, references rendered `{id, name, _info}`,
//! strict request bodies, `conditions`, navigable and forward-only paging.
//!
//! Resources are data ([`Resource`]); one set of generic handlers serves them all.

// Handlers answer errors as ready `Response`s (the dialect's own envelope); boxing them would
// only add noise on a path that is never hot.
#![allow(clippy::result_large_err)]

use super::cw_conditions;
use super::*;
use crate::personality::Personality;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Json};
use base64::Engine;
use bytes::Bytes;
use serde_json::json;
use std::collections::HashMap;

pub struct ConnectWise;

/// How a reference's target is labelled when rendered.
#[derive(Clone, Copy)]
enum Label {
    Name,
    /// Companies: `identifier` and `name`.
    IdentifierName,
    /// Configuration statuses and communication types store `description`, render `name`.
    Description,
}

struct RefSpec {
    member: &'static str,
    table: &'static str,
    /// Path under the API base; `{id}` is the target id, `{member}` (`{company}`, `{board}`)
    /// the id its record holds in that reference member.
    href: &'static str,
    href_key: &'static str,
    label: Label,
    /// Reference type name for conversion errors.
    type_name: &'static str,
}

type Fill = fn(&Store, &mut Record) -> Result<(), (&'static str, String)>;

struct Resource {
    table: &'static str,
    /// `company` in "company object is invalid".
    object: &'static str,
    /// `Company` in "Could not find member 'x' on object of type 'Company'".
    type_name: &'static str,
    required: &'static [&'static str],
    members: &'static [&'static str],
    refs: &'static [RefSpec],
    /// Members holding arrays of references (company `types`, contact `types`).
    ref_lists: &'static [RefSpec],
    /// For children under a parent (sites under a company, statuses under a board): the
    /// member that points at the parent, and the parent's resource.
    parent: Option<(&'static str, &'static Resource)>,
    /// Resource-specific defaults and cross-checks, run on every write before it is stored;
    /// an error names the field.
    fill: Option<Fill>,
    /// Members that must be unique across the table.
    unique: &'static [&'static str],
    /// Member used as the record's label in reference renderings.
    label: Label,
}

const COMPANY_REF: RefSpec = RefSpec {
    member: "company",
    table: "companies",
    href: "/company/companies/{id}",
    href_key: "company_href",
    label: Label::IdentifierName,
    type_name: "CompanyReference",
};
const SITE_REF: RefSpec = RefSpec {
    member: "site",
    table: "company_sites",
    href: "/company/companies/{company}/sites/{id}",
    href_key: "site_href",
    label: Label::Name,
    type_name: "SiteReference",
};
const COUNTRY_REF: RefSpec = RefSpec {
    member: "country",
    table: "countries",
    href: "/company/countries/{id}",
    href_key: "country_href",
    label: Label::Name,
    type_name: "CountryReference",
};

static COMPANIES: Resource = Resource {
    table: "companies",
    object: "company",
    type_name: "Company",
    required: &["identifier", "name"],
    members: &[
        "identifier",
        "name",
        "status",
        "types",
        "addressLine1",
        "addressLine2",
        "city",
        "state",
        "zip",
        "country",
        "phoneNumber",
        "faxNumber",
        "website",
        "parentCompany",
        "site",
        "accountNumber",
        "dateAcquired",
        "deletedFlag",
        "leadFlag",
        "unsubscribeFlag",
        "userDefinedField1",
        "numberOfEmployees",
        "annualRevenue",
        "customFields",
    ],
    refs: &[
        RefSpec {
            member: "status",
            table: "company_statuses",
            href: "/company/companies/statuses/{id}",
            href_key: "status_href",
            label: Label::Name,
            type_name: "CompanyStatusReference",
        },
        RefSpec {
            member: "parentCompany",
            ..COMPANY_REF
        },
        RefSpec {
            member: "site",
            table: "company_sites",
            href: "/company/companies/{company}/sites/{id}",
            href_key: "site_href",
            label: Label::Name,
            type_name: "SiteReference",
        },
        COUNTRY_REF,
    ],
    ref_lists: &[RefSpec {
        member: "types",
        table: "company_types",
        href: "/company/companies/types/{id}",
        href_key: "type_href",
        label: Label::Name,
        type_name: "CompanyTypeReference",
    }],
    parent: None,
    fill: None,
    unique: &["identifier"],
    label: Label::IdentifierName,
};

static SITES: Resource = Resource {
    table: "company_sites",
    object: "site",
    type_name: "CompanySite",
    required: &["name"],
    members: &[
        "name",
        "addressLine1",
        "addressLine2",
        "city",
        "stateReference",
        "zip",
        "country",
        "phoneNumber",
        "faxNumber",
        "primaryAddressFlag",
        "defaultShippingFlag",
        "defaultBillingFlag",
        "defaultMailingFlag",
        "inactiveFlag",
        "company",
    ],
    refs: &[COUNTRY_REF, COMPANY_REF],
    ref_lists: &[],
    parent: Some(("company", &COMPANIES)),
    fill: None,
    unique: &[],
    label: Label::Name,
};

static CONTACTS: Resource = Resource {
    table: "contacts",
    object: "contact",
    type_name: "Contact",
    required: &[],
    members: &[
        "firstName",
        "lastName",
        "company",
        "site",
        "title",
        "department",
        "inactiveFlag",
        "types",
        "communicationItems",
        "addressLine1",
        "addressLine2",
        "city",
        "state",
        "zip",
        "country",
        "nickName",
        "gender",
        "defaultFlag",
        "relationship",
        "ignoreDuplicates",
        "customFields",
        "typeIds",
    ],
    refs: &[COMPANY_REF, SITE_REF, COUNTRY_REF],
    ref_lists: &[RefSpec {
        member: "types",
        table: "contact_types",
        href: "/company/contacts/types/{id}",
        href_key: "type_href",
        label: Label::Name,
        type_name: "ContactTypeReference",
    }],
    parent: None,
    fill: None,
    unique: &[],
    label: Label::Name,
};

static CONFIGURATIONS: Resource = Resource {
    table: "configurations",
    object: "configuration",
    type_name: "Configuration",
    required: &["name", "type", "company"],
    members: &[
        "name",
        "type",
        "status",
        "company",
        "contact",
        "site",
        "serialNumber",
        "modelNumber",
        "tagNumber",
        "purchaseDate",
        "installationDate",
        "installedBy",
        "warrantyExpirationDate",
        "notes",
        "macAddress",
        "ipAddress",
        "defaultGateway",
        "osType",
        "osInfo",
        "manufacturer",
        "activeFlag",
        "vendorNotes",
        "deviceIdentifier",
        "customFields",
        "questions",
    ],
    refs: &[
        RefSpec {
            member: "type",
            table: "configuration_types",
            href: "/company/configurations/types/{id}",
            href_key: "type_href",
            label: Label::Name,
            type_name: "ConfigurationTypeReference",
        },
        RefSpec {
            member: "status",
            table: "configuration_statuses",
            href: "/company/configurations/statuses/{id}",
            href_key: "status_href",
            label: Label::Description,
            type_name: "ConfigurationStatusReference",
        },
        COMPANY_REF,
        RefSpec {
            member: "contact",
            table: "contacts",
            href: "/company/contacts/{id}",
            href_key: "contact_href",
            label: Label::Name,
            type_name: "ContactReference",
        },
        SITE_REF,
        RefSpec {
            member: "manufacturer",
            table: "manufacturers",
            href: "/procurement/manufacturers/{id}",
            href_key: "manufacturer_href",
            label: Label::Name,
            type_name: "ManufacturerReference",
        },
    ],
    ref_lists: &[],
    parent: None,
    fill: None,
    unique: &[],
    label: Label::Name,
};

macro_rules! lookup_resource {
    ($name:ident, $table:literal, $object:literal, $type_name:literal, $req:literal, [$($m:literal),*], $label:expr) => {
        static $name: Resource = Resource {
            table: $table,
            object: $object,
            type_name: $type_name,
            required: &[$req],
            members: &[$req, $($m),*],
            refs: &[],
            ref_lists: &[],
            parent: None,
    fill: None,
            unique: &[$req],
            label: $label,
        };
    };
}
lookup_resource!(
    COMPANY_TYPES,
    "company_types",
    "companyType",
    "CompanyType",
    "name",
    ["defaultFlag", "vendorFlag", "serviceAlertFlag"],
    Label::Name
);
lookup_resource!(
    COMPANY_STATUSES,
    "company_statuses",
    "companyStatus",
    "CompanyStatus",
    "name",
    [
        "defaultFlag",
        "inactiveFlag",
        "notifyFlag",
        "disallowSavingFlag"
    ],
    Label::Name
);
lookup_resource!(
    CONTACT_TYPES,
    "contact_types",
    "contactType",
    "ContactType",
    "description",
    ["defaultFlag"],
    Label::Description
);
lookup_resource!(
    COMMUNICATION_TYPES,
    "communication_types",
    "communicationType",
    "CommunicationType",
    "description",
    ["phoneFlag", "faxFlag", "emailFlag", "defaultFlag"],
    Label::Description
);
lookup_resource!(
    CONFIGURATION_TYPES,
    "configuration_types",
    "configurationType",
    "ConfigurationType",
    "name",
    ["inactiveFlag", "systemFlag"],
    Label::Name
);
lookup_resource!(
    CONFIGURATION_STATUSES,
    "configuration_statuses",
    "configurationStatus",
    "ConfigurationStatus",
    "description",
    ["closedFlag", "defaultFlag"],
    Label::Description
);
lookup_resource!(
    MANUFACTURERS,
    "manufacturers",
    "manufacturer",
    "Manufacturer",
    "name",
    ["inactiveFlag"],
    Label::Name
);
lookup_resource!(
    COUNTRIES,
    "countries",
    "country",
    "Country",
    "name",
    ["identifier"],
    Label::Name
);

lookup_resource!(
    BOARDS,
    "boards",
    "board",
    "Board",
    "name",
    ["inactiveFlag", "projectFlag"],
    Label::Name
);
lookup_resource!(
    PRIORITIES,
    "priorities",
    "priority",
    "Priority",
    "name",
    ["color", "sortOrder", "defaultFlag"],
    Label::Name
);

const BOARD_REF: RefSpec = RefSpec {
    member: "board",
    table: "boards",
    href: "/service/boards/{id}",
    href_key: "board_href",
    label: Label::Name,
    type_name: "BoardReference",
};

/// Ticket statuses belong to a board (`/service/boards/{id}/statuses`).
static BOARD_STATUSES: Resource = Resource {
    table: "board_statuses",
    object: "status",
    type_name: "BoardStatus",
    required: &["name"],
    members: &[
        "name",
        "board",
        "sortOrder",
        "displayOnBoard",
        "inactive",
        "closedStatus",
        "defaultFlag",
    ],
    refs: &[BOARD_REF],
    ref_lists: &[],
    parent: Some(("board", &BOARDS)),
    fill: None,
    unique: &[],
    label: Label::Name,
};

/// Service tickets. The ticket number is the id; `contactName` and `closedFlag` follow the
/// contact and the status.
static TICKETS: Resource = Resource {
    table: "tickets",
    object: "ticket",
    type_name: "Ticket",
    required: &["summary", "company"],
    members: &[
        "summary",
        "recordType",
        "board",
        "status",
        "priority",
        "company",
        "site",
        "contact",
        "contactName",
        "contactEmailAddress",
        "contactPhoneNumber",
        "initialDescription",
        "severity",
        "impact",
        "requiredDate",
        "closedFlag",
        "customFields",
    ],
    refs: &[
        BOARD_REF,
        RefSpec {
            member: "status",
            table: "board_statuses",
            href: "/service/boards/{board}/statuses/{id}",
            href_key: "status_href",
            label: Label::Name,
            type_name: "ServiceStatusReference",
        },
        RefSpec {
            member: "priority",
            table: "priorities",
            href: "/service/priorities/{id}",
            href_key: "priority_href",
            label: Label::Name,
            type_name: "PriorityReference",
        },
        COMPANY_REF,
        SITE_REF,
        RefSpec {
            member: "contact",
            table: "contacts",
            href: "/company/contacts/{id}",
            href_key: "contact_href",
            label: Label::Name,
            type_name: "ContactReference",
        },
    ],
    ref_lists: &[],
    parent: None,
    fill: Some(ticket_fill),
    unique: &[],
    label: Label::Name,
};

fn ref_id(rec: &Record, member: &str) -> Option<i64> {
    rec.get(member)?.get("id")?.as_i64()
}

/// The first row of `table` (in id order) that `pick` accepts.
fn first_where(store: &Store, table: &str, pick: impl Fn(&Record) -> bool) -> Option<i64> {
    store
        .rows(table)
        .find(|r| pick(r))
        .and_then(|r| r.get("id")?.as_i64())
}

/// A ticket's defaults and cross-checks: the first active board; a status of the ticket's
/// board (a status named on another board is taken by name from this one, as statuses are
/// per board), else the board's default; the default priority; a contact of the ticket's
/// company, whose name fills `contactName`; `closedFlag` from the status.
fn ticket_fill(store: &Store, rec: &mut Record) -> Result<(), (&'static str, String)> {
    let flag = |r: &Record, k: &str| r.get(k) == Some(&Value::Bool(true));
    if ref_id(rec, "board").is_none() {
        let board = first_where(store, "boards", |b| !flag(b, "inactiveFlag"))
            .ok_or(("board", "There is no active board.".to_string()))?;
        rec.insert("board".into(), json!({ "id": board }));
    }
    let board = ref_id(rec, "board");
    let on_board = |s: &Record| ref_id(s, "board") == board;
    let status = match ref_id(rec, "status").and_then(|id| store.get("board_statuses", id)) {
        Some(s) if on_board(s) => s.get("id").and_then(Value::as_i64),
        Some(s) => {
            let name = s.get("name").cloned();
            Some(
                first_where(store, "board_statuses", |o| {
                    on_board(o) && o.get("name") == name.as_ref()
                })
                .ok_or((
                    "status",
                    format!(
                        "status {} is not a status of the ticket's board",
                        name.unwrap_or_default()
                    ),
                ))?,
            )
        }
        None => first_where(store, "board_statuses", |o| {
            on_board(o) && flag(o, "defaultFlag")
        })
        .or_else(|| first_where(store, "board_statuses", on_board)),
    };
    if let Some(id) = status {
        rec.insert("status".into(), json!({ "id": id }));
        let closed = store
            .get("board_statuses", id)
            .is_some_and(|s| flag(s, "closedStatus"));
        rec.insert("closedFlag".into(), json!(closed));
    }
    if ref_id(rec, "priority").is_none() {
        if let Some(p) = first_where(store, "priorities", |p| flag(p, "defaultFlag")) {
            rec.insert("priority".into(), json!({ "id": p }));
        }
    }
    rec.entry("recordType").or_insert(json!("ServiceTicket"));
    rec.remove("contactName");
    if let Some(contact) = ref_id(rec, "contact").and_then(|c| store.get("contacts", c)) {
        if ref_id(contact, "company") != ref_id(rec, "company") {
            return Err((
                "contact",
                "The contact must belong to the ticket's company.".into(),
            ));
        }
        rec.insert("contactName".into(), json!(full_name(contact)));
    }
    Ok(())
}

/// Every collection: route (lower case, under the API base) and its resource.
const COLLECTIONS: &[(&str, &Resource)] = &[
    ("/company/companies", &COMPANIES),
    ("/company/companies/types", &COMPANY_TYPES),
    ("/company/companies/statuses", &COMPANY_STATUSES),
    ("/company/companies/{pid}/sites", &SITES),
    ("/company/contacts", &CONTACTS),
    ("/company/contacts/types", &CONTACT_TYPES),
    ("/company/communicationtypes", &COMMUNICATION_TYPES),
    ("/company/configurations", &CONFIGURATIONS),
    ("/company/configurations/types", &CONFIGURATION_TYPES),
    ("/company/configurations/statuses", &CONFIGURATION_STATUSES),
    ("/procurement/manufacturers", &MANUFACTURERS),
    ("/company/countries", &COUNTRIES),
    ("/service/boards", &BOARDS),
    ("/service/boards/{pid}/statuses", &BOARD_STATUSES),
    ("/service/priorities", &PRIORITIES),
    ("/service/tickets", &TICKETS),
];

// ---------------------------------------------------------------------------------------------
// Errors in the CW envelope.

fn envelope(status: StatusCode, code: &str, message: &str, errors: Value) -> Response {
    (
        status,
        Json(json!({ "code": code, "message": message, "errors": errors })),
    )
        .into_response()
}

fn invalid(res: &Resource, errors: Vec<Value>) -> Response {
    envelope(
        StatusCode::BAD_REQUEST,
        "InvalidObject",
        &format!("{} object is invalid", res.object),
        Value::Array(errors),
    )
}

fn field_error(res: &Resource, code: &str, field: &str, message: String) -> Value {
    json!({ "code": code, "message": message, "resource": res.object, "field": field })
}

fn not_found(res: &Resource, id: &str) -> Response {
    envelope(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("{} with id {id} was not found.", res.type_name),
        Value::Null,
    )
}

fn api_error(message: String) -> Response {
    envelope(
        StatusCode::BAD_REQUEST,
        "ConnectWiseApi",
        &message,
        Value::Null,
    )
}

// ---------------------------------------------------------------------------------------------
// Rendering: stored records hold references as `{id}`; responses carry labels and hrefs.

fn label_of(store: &Store, spec: &RefSpec, id: i64) -> Option<Map<String, Value>> {
    let target = store.get(spec.table, id)?;
    let mut out = Map::new();
    out.insert("id".into(), Value::from(id));
    match spec.label {
        Label::IdentifierName => {
            put(&mut out, "identifier", target.get("identifier").cloned());
            put(&mut out, "name", target.get("name").cloned());
        }
        Label::Name => {
            let name = target
                .get("name")
                .cloned()
                .or_else(|| {
                    // Contacts are labelled "First Last".
                    let first = target
                        .get("firstName")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let last = target.get("lastName").and_then(Value::as_str).unwrap_or("");
                    let full = format!("{first} {last}").trim().to_string();
                    (!full.is_empty()).then(|| Value::String(full))
                })
                .or_else(|| target.get("description").cloned());
            put(&mut out, "name", name);
        }
        Label::Description => put(&mut out, "name", target.get("description").cloned()),
    }
    Some(out)
}

/// Fills an href template: `{id}` is `id`, any other `{member}` the id `target` holds there.
fn href(api_base: &str, template: &str, id: i64, target: Option<&Record>) -> String {
    let mut path = template.replace("{id}", &id.to_string());
    while let Some((start, len)) = path
        .find('{')
        .and_then(|s| path[s..].find('}').map(|e| (s, e + 1)))
    {
        let member = &path[start + 1..start + len - 1];
        let parent = target
            .and_then(|t| t.get(member))
            .and_then(|p| p.get("id"))
            .and_then(Value::as_i64)
            .map(|p| p.to_string())
            .unwrap_or_default();
        path.replace_range(start..start + len, &parent);
    }
    format!("{api_base}{path}")
}

fn render_ref(store: &Store, spec: &RefSpec, raw: &Value, api_base: &str) -> Option<Value> {
    let id = raw.get("id")?.as_i64()?;
    let mut out = label_of(store, spec, id).unwrap_or_else(|| {
        let mut m = Map::new();
        m.insert("id".into(), Value::from(id));
        m
    });
    out.insert(
        "_info".into(),
        json!({ spec.href_key: href(api_base, spec.href, id, store.get(spec.table, id)) }),
    );
    Some(Value::Object(out))
}

fn render(store: &Store, res: &Resource, rec: &Record, api_base: &str) -> Value {
    let mut out = rec.clone();
    for spec in res.refs {
        if let Some(raw) = rec.get(spec.member) {
            if let Some(r) = render_ref(store, spec, raw, api_base) {
                out.insert(spec.member.into(), r);
            }
        }
    }
    for spec in res.ref_lists {
        if let Some(Value::Array(items)) = rec.get(spec.member) {
            let rendered: Vec<Value> = items
                .iter()
                .filter_map(|i| render_ref(store, spec, i, api_base))
                .collect();
            out.insert(spec.member.into(), Value::Array(rendered));
        }
    }
    if res.table == "contacts" {
        if let Some(Value::Array(items)) = rec.get("communicationItems") {
            let rendered: Vec<Value> = items
                .iter()
                .map(|i| render_communication(store, i))
                .collect();
            out.insert("communicationItems".into(), Value::Array(rendered));
        }
    }
    if matches!(res.label, Label::Description) {
        // Lookups stored with `description` are referenced by `name`.
        if let Some(d) = rec.get("description") {
            out.entry("name").or_insert_with(|| d.clone());
        }
    }
    let id = rec.get("id").and_then(Value::as_i64).unwrap_or(0);
    let mut info = rec
        .get("_info")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if res.table == "companies" {
        info.insert(
            "sites_href".into(),
            json!(format!("{api_base}/company/companies/{id}/sites")),
        );
        info.insert(
            "contacts_href".into(),
            json!(format!(
                "{api_base}/company/contacts?conditions=company/id={id}"
            )),
        );
        info.insert(
            "configurations_href".into(),
            json!(format!(
                "{api_base}/company/configurations?conditions=company/id={id}"
            )),
        );
    }
    out.insert("_info".into(), Value::Object(info));
    out.retain(|_, v| !v.is_null());
    Value::Object(out)
}

fn render_communication(store: &Store, item: &Value) -> Value {
    let mut out = item.as_object().cloned().unwrap_or_default();
    if let Some(tid) = item
        .get("type")
        .and_then(|t| t.get("id"))
        .and_then(Value::as_i64)
    {
        if let Some(t) = store.get("communication_types", tid) {
            out.insert(
                "type".into(),
                json!({ "id": tid, "name": t.get("description").cloned().unwrap_or(Value::Null) }),
            );
            let kind = if t.get("emailFlag") == Some(&Value::Bool(true)) {
                "Email"
            } else if t.get("faxFlag") == Some(&Value::Bool(true)) {
                "Fax"
            } else {
                "Phone"
            };
            out.insert("communicationType".into(), json!(kind));
        }
    }
    Value::Object(out)
}

// ---------------------------------------------------------------------------------------------
// Input: strict members, references by id / identifier / name, required fields.

fn resolve_ref(store: &Store, spec: &RefSpec, value: &Value) -> Result<Value, String> {
    let Value::Object(o) = value else {
        return Err(format!(
            "Error converting value {value} to type '{}'. Path '{}'.",
            spec.type_name, spec.member
        ));
    };
    if let Some(id) = o.get("id").and_then(Value::as_i64) {
        return if store.get(spec.table, id).is_some() {
            Ok(json!({ "id": id }))
        } else {
            Err(format!("{} (id={id}) was not found", spec.member))
        };
    }
    for key in ["identifier", "name", "description"] {
        if let Some(s) = o.get(key).and_then(Value::as_str) {
            let hit = store.rows(spec.table).find(|r| {
                r.get(key)
                    .or_else(|| {
                        if key == "name" {
                            r.get("description")
                        } else {
                            None
                        }
                    })
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.eq_ignore_ascii_case(s))
            });
            return match hit.and_then(|r| r.get("id")).and_then(Value::as_i64) {
                Some(id) => Ok(json!({ "id": id })),
                None => Err(format!("{} ({key}={s}) was not found", spec.member)),
            };
        }
    }
    Err(format!(
        "{} must be given by id, identifier or name",
        spec.member
    ))
}

/// Turns an input body into a stored record, or the CW error response.
fn accept_input(
    store: &Store,
    res: &Resource,
    body: &Value,
    world_serial: &mut u64,
) -> Result<Record, Response> {
    let Value::Object(input) = body else {
        return Err(api_error(format!(
            "Cannot deserialize the current JSON value into type '{}' because the type requires a JSON object.",
            res.type_name
        )));
    };
    let mut rec = Record::new();
    let mut errors = Vec::new();
    for (given, v) in input {
        if given.eq_ignore_ascii_case("id") || given == "_info" {
            continue; // server-set
        }
        // Json.NET matches member names ignoring case; the record keeps the model's spelling.
        let Some(k) = res
            .members
            .iter()
            .find(|m| m.eq_ignore_ascii_case(given))
            .map(|m| m.to_string())
        else {
            return Err(api_error(format!(
                "Could not find member '{given}' on object of type '{}'. Path '{given}'.",
                res.type_name
            )));
        };
        let k = &k;
        if v.is_null() {
            continue;
        }
        if let Some(spec) = res.refs.iter().find(|s| s.member == k) {
            if res.table == "companies" && k == "site" {
                // `site: {name: "Main"}` on a new company names the site to create with it.
                rec.insert(k.clone(), v.clone());
                continue;
            }
            match resolve_ref(store, spec, v) {
                Ok(r) => {
                    rec.insert(k.clone(), r);
                }
                Err(msg) if msg.starts_with("Error converting") => return Err(api_error(msg)),
                Err(msg) => errors.push(field_error(res, "InvalidField", k, msg)),
            }
            continue;
        }
        if let Some(spec) = res.ref_lists.iter().find(|s| s.member == k) {
            let Value::Array(items) = v else {
                return Err(api_error(format!(
                    "Error converting value {v} to type 'List`1'. Path '{k}'."
                )));
            };
            let mut out = Vec::new();
            for item in items {
                match resolve_ref(store, spec, item) {
                    Ok(r) => out.push(r),
                    Err(msg) if msg.starts_with("Error converting") => return Err(api_error(msg)),
                    Err(msg) => errors.push(field_error(res, "InvalidField", k, msg)),
                }
            }
            rec.insert(k.clone(), Value::Array(out));
            continue;
        }
        if k == "communicationItems" {
            match accept_communications(store, v, world_serial) {
                Ok(items) => {
                    rec.insert(k.clone(), items);
                }
                Err(msg) => errors.push(field_error(res, "InvalidField", k, msg)),
            }
            continue;
        }
        if (k.ends_with("Flag") && !v.is_boolean()) || (k == "customFields" && !v.is_array()) {
            return Err(api_error(format!(
                "Error converting value {v} to type '{}'. Path '{k}'.",
                if v.is_array() {
                    "Boolean"
                } else {
                    "expected type"
                }
            )));
        }
        rec.insert(k.clone(), v.clone());
    }
    if !errors.is_empty() {
        return Err(invalid(res, errors));
    }
    Ok(rec)
}

fn accept_communications(store: &Store, v: &Value, serial: &mut u64) -> Result<Value, String> {
    let Value::Array(items) = v else {
        return Err("communicationItems must be an array".into());
    };
    let spec = RefSpec {
        member: "type",
        table: "communication_types",
        href: "",
        href_key: "",
        label: Label::Description,
        type_name: "CommunicationTypeReference",
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(o) = item else {
            return Err("each communication item must be an object".into());
        };
        let ty = o.get("type").ok_or("communication item type is required")?;
        let ty = resolve_ref(store, &spec, ty)?;
        let value = o
            .get("value")
            .and_then(Value::as_str)
            .ok_or("communication item value is required")?;
        // Items sent back with their id (PUT, or a PATCH of the whole contact) keep it.
        let id = match o.get("id").and_then(Value::as_i64) {
            Some(id) if id > 0 => id,
            _ => {
                *serial += 1;
                *serial as i64
            }
        };
        let mut stored = Map::new();
        stored.insert("id".into(), Value::from(id));
        stored.insert("type".into(), ty);
        stored.insert("value".into(), Value::String(value.to_string()));
        put(&mut stored, "extension", o.get("extension").cloned());
        stored.insert(
            "defaultFlag".into(),
            Value::Bool(
                o.get("defaultFlag")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            ),
        );
        out.push(Value::Object(stored));
    }
    Ok(Value::Array(out))
}

fn check_required(
    store: &Store,
    res: &Resource,
    rec: &Record,
    self_id: Option<i64>,
) -> Result<(), Response> {
    let mut errors = Vec::new();
    for f in res.required {
        let missing = match rec.get(*f) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            _ => false,
        };
        if missing {
            errors.push(field_error(
                res,
                "MissingRequiredField",
                f,
                format!("The field {f} is required."),
            ));
        }
    }
    for f in res.unique {
        if let Some(Value::String(v)) = rec.get(*f) {
            let clash = store.rows(res.table).any(|r| {
                r.get(*f)
                    .and_then(Value::as_str)
                    .is_some_and(|o| o.eq_ignore_ascii_case(v))
                    && r.get("id").and_then(Value::as_i64) != self_id
            });
            if clash {
                errors.push(field_error(
                    res,
                    "ObjectExists",
                    f,
                    format!("The {f} '{v}' is already in use."),
                ));
            }
        }
    }
    if res.table == "companies" {
        if let Some(Value::String(id)) = rec.get("identifier") {
            if id.chars().count() > 30 {
                errors.push(field_error(
                    res,
                    "InvalidField",
                    "identifier",
                    "identifier may not exceed 30 characters.".into(),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(invalid(res, errors))
    }
}

/// Runs the resource's [`Fill`], answering its error as `InvalidObject`.
fn fill(store: &Store, res: &Resource, rec: &mut Record) -> Result<(), Response> {
    match res.fill.map(|f| f(store, rec)) {
        Some(Err((field, msg))) => Err(invalid(
            res,
            vec![field_error(res, "InvalidField", field, msg)],
        )),
        _ => Ok(()),
    }
}

fn stamp(rec: &mut Record, now: &str, created: Option<&Value>) {
    let mut info = Map::new();
    info.insert("lastUpdated".into(), json!(now));
    info.insert("updatedBy".into(), json!("api"));
    match created.and_then(|c| c.as_object()) {
        Some(old) => {
            put(&mut info, "dateEntered", old.get("dateEntered").cloned());
            put(&mut info, "enteredBy", old.get("enteredBy").cloned());
        }
        None => {
            info.insert("dateEntered".into(), json!(now));
            info.insert("enteredBy".into(), json!("api"));
        }
    }
    rec.insert("_info".into(), Value::Object(info));
}

// ---------------------------------------------------------------------------------------------
// Queries: parameters case-insensitive, unknown ones ignored.

struct ListQuery {
    params: Vec<(String, String)>,
}

impl ListQuery {
    fn parse(raw: Option<&str>) -> Self {
        let params = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
            .collect();
        ListQuery { params }
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }
    /// Every parameter except the paging ones, for building links.
    fn passthrough(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.params {
            if !matches!(k.as_str(), "page" | "pagesize" | "pageid") {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

type Filter = Box<dyn Fn(&Value) -> bool + Send>;

fn build_filter(q: &ListQuery) -> Result<Option<Filter>, Response> {
    let mut parts: Vec<Filter> = Vec::new();
    if let Some(text) = q.get("conditions") {
        let expr = cw_conditions::parse(text)
            .map_err(|e| api_error(format!("Invalid conditions: {e}")))?;
        parts.push(Box::new(move |r| cw_conditions::eval(&expr, r)));
    }
    if let Some(text) = q.get("childconditions") {
        let expr = cw_conditions::parse(text)
            .map_err(|e| api_error(format!("Invalid childConditions: {e}")))?;
        if cw_conditions::has_in(&expr) {
            return Err(api_error(
                "Invalid childConditions: the in operator is not supported in childConditions."
                    .into(),
            ));
        }
        parts.push(Box::new(move |r| cw_conditions::eval_child(&expr, r)));
    }
    if let Some(text) = q.get("customfieldconditions") {
        let expr = cw_conditions::parse(text)
            .map_err(|e| api_error(format!("Invalid customFieldConditions: {e}")))?;
        parts.push(Box::new(move |r| {
            r.get("customFields")
                .and_then(Value::as_array)
                .is_some_and(|fields| fields.iter().any(|f| cw_conditions::eval(&expr, f)))
        }));
    }
    if parts.is_empty() {
        return Ok(None);
    }
    Ok(Some(Box::new(move |r| parts.iter().all(|p| p(r)))))
}

fn project(v: &Value, fields: &str) -> Value {
    let mut out = Map::new();
    for f in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let path: Vec<&str> = f.split('/').collect();
        copy_path(v, &path, &mut out);
    }
    Value::Object(out)
}

fn copy_path(src: &Value, path: &[&str], dst: &mut Map<String, Value>) {
    let Some(obj) = src.as_object() else { return };
    let Some((key, child)) = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(path[0])) else {
        return;
    };
    if path.len() == 1 {
        dst.insert(key.clone(), child.clone());
    } else if let Value::Object(_) = child {
        let entry = dst
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(inner) = entry {
            copy_path(child, &path[1..], inner);
        }
    }
}

fn sort_key(v: &Value, path: &str) -> Value {
    let mut cur = v;
    for seg in path.split('/') {
        match cur
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(seg)))
        {
            Some((_, next)) => cur = next,
            None => return Value::Null,
        }
    }
    cur.clone()
}

fn cmp_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers.

/// The parent id of a child route (`/company/companies/{pid}/sites`), if any.
fn parent_id(params: &HashMap<String, String>, res: &Resource) -> Result<Option<i64>, Response> {
    match (params.get("pid"), res.parent) {
        (Some(p), Some((_, parent))) => {
            p.parse::<i64>().map(Some).map_err(|_| not_found(parent, p))
        }
        _ => Ok(None),
    }
}

/// A child route's parent must exist (404 naming the parent's type otherwise).
fn parent_exists(store: &Store, res: &Resource, pid: Option<i64>) -> Result<(), Response> {
    match (res.parent, pid) {
        (Some((_, parent)), Some(pid)) if store.get(parent.table, pid).is_none() => {
            Err(not_found(parent, &pid.to_string()))
        }
        _ => Ok(()),
    }
}

fn belongs(rec: &Record, res: &Resource, pid: Option<i64>) -> bool {
    match (res.parent.map(|(m, _)| m), pid) {
        (Some(m), Some(pid)) => {
            rec.get(m).and_then(|c| c.get("id")).and_then(Value::as_i64) == Some(pid)
        }
        _ => true,
    }
}

#[allow(clippy::too_many_arguments)] // axum extractors plus the route's static data
async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(params): Path<HashMap<String, String>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    res: &'static Resource,
    count_only: bool,
    route: &'static str,
) -> Response {
    let q = ListQuery::parse(raw.as_deref());
    let pid = match parent_id(&params, res) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let world = state.world();
    if let Err(r) = parent_exists(&world.store, res, pid) {
        return r;
    }
    let filter = match build_filter(&q) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let store = &world.store;
    let table = store.table(res.table);
    let rendered_match = |r: &Record| -> bool {
        belongs(r, res, pid)
            && filter
                .as_ref()
                .is_none_or(|f| f(&render(store, res, r, &ctx.api_base)))
    };
    let needs_filter = filter.is_some() || pid.is_some();

    if count_only {
        let n = table
            .map(|t| t.iter().filter(|r| rendered_match(r)).count())
            .unwrap_or(0);
        return Json(json!({ "count": n })).into_response();
    }

    let page_size = match q.get("pagesize").map(str::parse::<usize>) {
        None => 25,
        Some(Ok(n)) if n >= 1 => n.min(1000),
        Some(_) => return api_error("pageSize must be a positive whole number".into()),
    };
    let forward_only = headers
        .get("pagination-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("forward-only"));
    let path = route.replace("{pid}", &pid.map(|p| p.to_string()).unwrap_or_default());
    let link_base = {
        let pass = q.passthrough();
        let sep = if pass.is_empty() { "" } else { "&" };
        format!("{}{}?{pass}{sep}", ctx.api_base, path_for_link(&path))
    };

    let rows: Vec<&Record>;
    let mut links = Vec::new();
    if forward_only {
        if q.get("orderby").is_some() {
            return api_error("orderBy is not supported with forward-only pagination".into());
        }
        let after = q
            .get("pageid")
            .and_then(|p| p.parse::<i64>().ok())
            .unwrap_or(0);
        let mut it = table
            .into_iter()
            .flat_map(|t| t.iter_after(after))
            .filter(|r| !needs_filter || rendered_match(r));
        rows = it.by_ref().take(page_size).collect();
        if it.next().is_some() {
            if let Some(last) = rows
                .last()
                .and_then(|r| r.get("id"))
                .and_then(Value::as_i64)
            {
                links.push(format!(
                    "<{link_base}pageSize={page_size}&pageId={last}>; rel=\"next\""
                ));
            }
        }
    } else {
        let page = match q.get("page").map(str::parse::<usize>) {
            None => 1,
            Some(Ok(n)) if n >= 1 => n,
            Some(_) => return api_error("page must be a positive whole number".into()),
        };
        let offset = (page - 1).saturating_mul(page_size);
        let total;
        if let Some(order) = q.get("orderby") {
            let all: Vec<&Record> = table
                .into_iter()
                .flat_map(|t| t.iter())
                .filter(|r| rendered_match(r))
                .collect();
            let keys: Vec<(String, bool)> = order
                .split(',')
                .map(|p| {
                    let mut w = p.split_whitespace();
                    let f = w.next().unwrap_or("id").to_string();
                    let desc = w.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
                    (f, desc)
                })
                .collect();
            // Each record is rendered once for its sort keys, not once per comparison.
            let mut keyed: Vec<(Vec<Value>, &Record)> = all
                .into_iter()
                .map(|r| {
                    let rendered = render(store, res, r, &ctx.api_base);
                    let k = keys.iter().map(|(f, _)| sort_key(&rendered, f)).collect();
                    (k, r)
                })
                .collect();
            // A stable sort: equal keys keep id order.
            keyed.sort_by(|(ka, _), (kb, _)| {
                for ((a, b), (_, desc)) in ka.iter().zip(kb).zip(&keys) {
                    let o = cmp_values(a, b);
                    let o = if *desc { o.reverse() } else { o };
                    if o != std::cmp::Ordering::Equal {
                        return o;
                    }
                }
                std::cmp::Ordering::Equal
            });
            total = keyed.len();
            rows = keyed
                .into_iter()
                .skip(offset)
                .take(page_size)
                .map(|(_, r)| r)
                .collect();
        } else if needs_filter {
            // One pass decides every row: the total and the page come from the same matches.
            let matching: Vec<&Record> = table
                .into_iter()
                .flat_map(|t| t.iter())
                .filter(|r| rendered_match(r))
                .collect();
            total = matching.len();
            rows = matching.into_iter().skip(offset).take(page_size).collect();
        } else {
            total = table.map(|t| t.len()).unwrap_or(0);
            rows = crate::store::page(table, None, offset, page_size).rows;
        }
        let last = total.div_ceil(page_size).max(1);
        links.push(format!(
            "<{link_base}pageSize={page_size}&page=1>; rel=\"first\""
        ));
        if page > 1 {
            links.push(format!(
                "<{link_base}pageSize={page_size}&page={}>; rel=\"prev\"",
                (page - 1).min(last)
            ));
        }
        if page < last {
            links.push(format!(
                "<{link_base}pageSize={page_size}&page={}>; rel=\"next\"",
                page + 1
            ));
        }
        links.push(format!(
            "<{link_base}pageSize={page_size}&page={last}>; rel=\"last\""
        ));
    }
    let fields = q.get("fields");
    let body: Vec<Value> = rows
        .iter()
        .map(|r| {
            let v = render(store, res, r, &ctx.api_base);
            match fields {
                Some(f) => project(&v, f),
                None => v,
            }
        })
        .collect();
    drop(world);
    let mut resp = Json(Value::Array(body)).into_response();
    if !links.is_empty() {
        if let Ok(v) = http::HeaderValue::from_str(&links.join(", ")) {
            resp.headers_mut().insert("link", v);
        }
    }
    resp
}

/// Link paths use the documented spelling (`communicationTypes`), not the lower-cased route.
fn path_for_link(path: &str) -> String {
    path.replace("communicationtypes", "communicationTypes")
}

fn item_id(params: &HashMap<String, String>, res: &Resource) -> Result<i64, Response> {
    let raw = params.get("id").map(String::as_str).unwrap_or("");
    raw.parse().map_err(|_| not_found(res, raw))
}

async fn get_one(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(params): Path<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
    res: &'static Resource,
) -> Response {
    let id = match item_id(&params, res) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let pid = match parent_id(&params, res) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let world = state.world();
    match world
        .store
        .get(res.table, id)
        .filter(|r| belongs(r, res, pid))
    {
        Some(rec) => {
            let v = render(&world.store, res, rec, &ctx.api_base);
            match ListQuery::parse(raw.as_deref()).get("fields") {
                Some(f) => Json(project(&v, f)).into_response(),
                None => Json(v).into_response(),
            }
        }
        None => not_found(res, &id.to_string()),
    }
}

fn parse_body(body: &Bytes) -> Result<Value, Response> {
    parse_json(body).map_err(|e| api_error(format!("The request is invalid: {e}")))
}

async fn create(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
    res: &'static Resource,
) -> Response {
    let input = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let pid = match parent_id(&params, res) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut world = state.world();
    let world = &mut *world;
    if let Err(r) = parent_exists(&world.store, res, pid) {
        return r;
    }
    let mut rec = match accept_input(&world.store, res, &input, &mut world.serial) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    if let (Some((member, _)), Some(pid)) = (res.parent, pid) {
        rec.insert(member.into(), json!({ "id": pid }));
    }
    if let Err(resp) = fill(&world.store, res, &mut rec) {
        return resp;
    }
    if let Err(resp) = check_required(&world.store, res, &rec, None) {
        return resp;
    }
    let new_site = if res.table == "companies" {
        rec.remove("site")
    } else {
        None
    };
    let now = world.clock.rfc3339();
    stamp(&mut rec, &now, None);
    let id = world.store.insert(res.table, rec);
    if let Some(site) = new_site {
        let name = site
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("Main")
            .to_string();
        let site_id = insert_site(world, id, name, true);
        if let Some(c) = world.store.table_mut("companies").get_mut(id) {
            c.insert("site".into(), json!({ "id": site_id }));
        }
    }
    let v = render(
        &world.store,
        res,
        world.store.get(res.table, id).expect("just inserted"),
        &ctx.api_base,
    );
    (StatusCode::CREATED, Json(v)).into_response()
}

fn insert_site(world: &mut World, company: i64, name: String, primary: bool) -> i64 {
    let now = world.clock.rfc3339();
    let mut site = Record::new();
    site.insert("name".into(), json!(name));
    site.insert("company".into(), json!({ "id": company }));
    site.insert("primaryAddressFlag".into(), json!(primary));
    stamp(&mut site, &now, None);
    world.store.insert("company_sites", site)
}

async fn replace(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
    res: &'static Resource,
) -> Response {
    let input = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut world = state.world();
    let world = &mut *world;
    match existing(world, &params, res) {
        Ok(old) => store_input(world, res, &input, &old, &ctx),
        Err(r) => r,
    }
}

/// The stored record an item route names (checking it belongs to the parent in the path).
fn existing(
    world: &World,
    params: &HashMap<String, String>,
    res: &Resource,
) -> Result<Record, Response> {
    let id = item_id(params, res)?;
    let pid = parent_id(params, res)?;
    world
        .store
        .get(res.table, id)
        .filter(|r| belongs(r, res, pid))
        .cloned()
        .ok_or_else(|| not_found(res, &id.to_string()))
}

/// Validates an input-shaped body as the new state of `old` (keeping its parent) and saves it.
fn store_input(
    world: &mut World,
    res: &Resource,
    input: &Value,
    old: &Record,
    ctx: &RequestCtx,
) -> Response {
    let mut rec = match accept_input(&world.store, res, input, &mut world.serial) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    if let Some((member, _)) = res.parent {
        if let Some(p) = old.get(member) {
            rec.insert(member.into(), p.clone());
        }
    }
    rec.insert("id".into(), old.get("id").cloned().unwrap_or(Value::Null));
    save(world, res, rec, old, ctx)
}

fn save(
    world: &mut World,
    res: &Resource,
    mut rec: Record,
    old: &Record,
    ctx: &RequestCtx,
) -> Response {
    let id = old.get("id").and_then(Value::as_i64).unwrap_or(0);
    if let Err(resp) = fill(&world.store, res, &mut rec) {
        return resp;
    }
    if let Err(resp) = check_required(&world.store, res, &rec, Some(id)) {
        return resp;
    }
    let now = world.clock.rfc3339();
    stamp(&mut rec, &now, old.get("_info"));
    rec.retain(|_, v| !v.is_null());
    if let Some(slot) = world.store.table_mut(res.table).get_mut(id) {
        *slot = rec;
    }
    let v = render(
        &world.store,
        res,
        world.store.get(res.table, id).expect("exists"),
        &ctx.api_base,
    );
    Json(v).into_response()
}

async fn patch(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
    res: &'static Resource,
) -> Response {
    let input = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Value::Array(ops) = input else {
        return api_error(
            "Cannot deserialize the current JSON object into type 'List`1[PatchOperation]' because the type requires a JSON array.".into(),
        );
    };
    let mut world = state.world();
    let world = &mut *world;
    let old = match existing(world, &params, res) {
        Ok(old) => old,
        Err(r) => return r,
    };
    // Apply the operations to an input-shaped copy, then validate the whole record.
    let mut draft = old.clone();
    draft.remove("_info");
    draft.remove("id");
    if let Err(r) = apply_ops(&mut draft, &ops, res.members, res.type_name) {
        return r;
    }
    if let Some((member, _)) = res.parent {
        draft.remove(member);
    }
    store_input(world, res, &Value::Object(draft), &old, &ctx)
}

/// Applies PATCH operations (`add`/`replace`/`remove` with bare member paths) to a draft.
fn apply_ops(
    draft: &mut Record,
    ops: &[Value],
    members: &[&str],
    type_name: &str,
) -> Result<(), Response> {
    for op in ops {
        let (Some(kind), Some(path)) = (
            op.get("op").and_then(Value::as_str),
            op.get("path").and_then(Value::as_str),
        ) else {
            return Err(api_error(
                "Each patch operation needs `op` and `path`.".into(),
            ));
        };
        let path = path.trim_start_matches('/');
        let Some(member) = members.iter().find(|m| m.eq_ignore_ascii_case(path)) else {
            return Err(api_error(format!(
                "Could not find member '{path}' on object of type '{type_name}'."
            )));
        };
        match kind.to_ascii_lowercase().as_str() {
            "replace" | "add" => {
                draft.insert(
                    (*member).to_string(),
                    op.get("value").cloned().unwrap_or(Value::Null),
                );
            }
            "remove" => {
                draft.remove(*member);
            }
            other => return Err(api_error(format!("Unsupported patch operation '{other}'."))),
        }
    }
    Ok(())
}

async fn remove(
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    res: &'static Resource,
) -> Response {
    let mut world = state.world();
    match existing(&world, &params, res) {
        Ok(old) => {
            let id = old.get("id").and_then(Value::as_i64).unwrap_or_default();
            world.store.table_mut(res.table).remove(id);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}

// ---------------------------------------------------------------------------------------------
// Contact communications (`/company/contacts/{id}/communications`): the items live inside the
// contact's `communicationItems`, so both views always agree.

const COMMUNICATION_MEMBERS: &[&str] = &[
    "type",
    "value",
    "extension",
    "defaultFlag",
    "domain",
    "communicationType",
    "contactId",
    "mobileGuid",
];

fn communication_type_spec() -> RefSpec {
    RefSpec {
        member: "type",
        table: "communication_types",
        href: "/company/communicationTypes/{id}",
        href_key: "type_href",
        label: Label::Description,
        type_name: "CommunicationTypeReference",
    }
}

fn communication_error(field: &str, code: &str, message: String) -> Response {
    envelope(
        StatusCode::BAD_REQUEST,
        "InvalidObject",
        "contactCommunication object is invalid",
        json!([{ "code": code, "message": message, "resource": "contactCommunication", "field": field }]),
    )
}

/// Reads one communication item body (strict members, required `type` and `value`).
fn accept_communication(store: &Store, body: &Value) -> Result<Map<String, Value>, Response> {
    let Value::Object(input) = body else {
        return Err(api_error(
            "Cannot deserialize the current JSON value into type 'ContactCommunication' because the type requires a JSON object.".into(),
        ));
    };
    let mut item = Map::new();
    for (given, v) in input {
        if given.eq_ignore_ascii_case("id") || given == "_info" {
            continue;
        }
        let Some(k) = COMMUNICATION_MEMBERS
            .iter()
            .find(|m| m.eq_ignore_ascii_case(given))
        else {
            return Err(api_error(format!(
                "Could not find member '{given}' on object of type 'ContactCommunication'. Path '{given}'."
            )));
        };
        // Derived or server-set members are accepted and ignored, as the real API does.
        if matches!(*k, "communicationType" | "contactId" | "mobileGuid") || v.is_null() {
            continue;
        }
        match *k {
            "type" => {
                let r = resolve_ref(store, &communication_type_spec(), v).map_err(|msg| {
                    if msg.starts_with("Error converting") {
                        api_error(msg)
                    } else {
                        communication_error("type", "InvalidField", msg)
                    }
                })?;
                item.insert("type".into(), r);
            }
            "defaultFlag" if !v.is_boolean() => {
                return Err(api_error(format!(
                    "Error converting value {v} to type 'System.Boolean'. Path 'defaultFlag'."
                )))
            }
            "value" | "extension" | "domain" if !v.is_string() => {
                return Err(api_error(format!(
                    "Error converting value {v} to type 'System.String'. Path '{k}'."
                )))
            }
            _ => {
                item.insert((*k).to_string(), v.clone());
            }
        }
    }
    for f in ["type", "value"] {
        let missing = match item.get(f) {
            None => true,
            Some(Value::String(t)) => t.trim().is_empty(),
            _ => false,
        };
        if missing {
            return Err(communication_error(
                f,
                "MissingRequiredField",
                format!("The field {f} is required."),
            ));
        }
    }
    item.entry("defaultFlag").or_insert(Value::Bool(false));
    Ok(item)
}

/// The flag (`emailFlag`, `phoneFlag`, `faxFlag`) of an item's communication type.
fn kind_flag(store: &Store, item: &Value) -> Option<&'static str> {
    let tid = item.get("type")?.get("id")?.as_i64()?;
    let t = store.get("communication_types", tid)?;
    ["emailFlag", "faxFlag", "phoneFlag"]
        .into_iter()
        .find(|f| t.get(*f) == Some(&Value::Bool(true)))
}

/// One default per kind: a new default e-mail clears the other e-mail defaults.
fn keep_one_default(store: &Store, items: &mut [Value], chosen: i64) {
    let Some(pos) = items
        .iter()
        .position(|i| i.get("id").and_then(Value::as_i64) == Some(chosen))
    else {
        return;
    };
    if items[pos].get("defaultFlag") != Some(&Value::Bool(true)) {
        return;
    }
    let flag = kind_flag(store, &items[pos]);
    for (i, item) in items.iter_mut().enumerate() {
        if i != pos && kind_flag(store, item) == flag {
            if let Some(o) = item.as_object_mut() {
                o.insert("defaultFlag".into(), Value::Bool(false));
            }
        }
    }
}

fn render_contact_communication(
    store: &Store,
    contact: i64,
    item: &Value,
    api_base: &str,
) -> Value {
    let mut out = render_communication(store, item)
        .as_object()
        .cloned()
        .unwrap_or_default();
    if let Some(tid) = item
        .get("type")
        .and_then(|t| t.get("id"))
        .and_then(Value::as_i64)
    {
        if let Some(Value::Object(t)) = out.get_mut("type") {
            t.insert(
                "_info".into(),
                json!({ "type_href": format!("{api_base}/company/communicationTypes/{tid}") }),
            );
        }
    }
    out.insert("contactId".into(), Value::from(contact));
    out.insert(
        "_info".into(),
        json!({ "contact_href": format!("{api_base}/company/contacts/{contact}") }),
    );
    out.retain(|_, v| !v.is_null());
    Value::Object(out)
}

/// The contact a communications route names, or the 404 envelope.
fn comm_contact(
    world: &World,
    params: &HashMap<String, String>,
) -> Result<(i64, Record), Response> {
    let raw = params.get("pid").map(String::as_str).unwrap_or("");
    let id: i64 = raw.parse().map_err(|_| not_found(&CONTACTS, raw))?;
    world
        .store
        .get("contacts", id)
        .cloned()
        .map(|r| (id, r))
        .ok_or_else(|| not_found(&CONTACTS, &id.to_string()))
}

fn comm_items(contact: &Record) -> Vec<Value> {
    contact
        .get("communicationItems")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn comm_not_found(id: &str) -> Response {
    envelope(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("ContactCommunication with id {id} was not found."),
        Value::Null,
    )
}

/// Saves a contact's items (stamping the contact) and answers `status` with item `item_id`.
fn save_items(
    world: &mut World,
    contact: i64,
    mut items: Vec<Value>,
    item_id: i64,
    status: StatusCode,
    api_base: &str,
) -> Response {
    keep_one_default(&world.store, &mut items, item_id);
    let now = world.clock.rfc3339();
    let Some(rec) = world.store.table_mut("contacts").get_mut(contact) else {
        return not_found(&CONTACTS, &contact.to_string());
    };
    let old_info = rec.get("_info").cloned();
    rec.insert("communicationItems".into(), Value::Array(items.clone()));
    stamp(rec, &now, old_info.as_ref());
    match items
        .iter()
        .find(|i| i.get("id").and_then(Value::as_i64) == Some(item_id))
    {
        Some(item) => (
            status,
            Json(render_contact_communication(
                &world.store,
                contact,
                item,
                api_base,
            )),
        )
            .into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn comm_list(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(params): Path<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
    count_only: bool,
) -> Response {
    let q = ListQuery::parse(raw.as_deref());
    let world = state.world();
    let (cid, contact) = match comm_contact(&world, &params) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let filter = match build_filter(&q) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let rendered: Vec<Value> = comm_items(&contact)
        .iter()
        .map(|i| render_contact_communication(&world.store, cid, i, &ctx.api_base))
        .filter(|v| filter.as_ref().is_none_or(|f| f(v)))
        .collect();
    if count_only {
        return Json(json!({ "count": rendered.len() })).into_response();
    }
    let page_size = match q.get("pagesize").map(str::parse::<usize>) {
        None => 25,
        Some(Ok(n)) if n >= 1 => n.min(1000),
        Some(_) => return api_error("pageSize must be a positive whole number".into()),
    };
    let page = match q.get("page").map(str::parse::<usize>) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return api_error("page must be a positive whole number".into()),
    };
    let rows: Vec<Value> = rendered
        .into_iter()
        .skip((page - 1).saturating_mul(page_size))
        .take(page_size)
        .map(|v| match q.get("fields") {
            Some(f) => project(&v, f),
            None => v,
        })
        .collect();
    Json(Value::Array(rows)).into_response()
}

async fn comm_get(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(params): Path<HashMap<String, String>>,
) -> Response {
    let world = state.world();
    let (cid, contact) = match comm_contact(&world, &params) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let raw = params.get("id").map(String::as_str).unwrap_or("");
    let id = raw.parse::<i64>().ok();
    match comm_items(&contact)
        .iter()
        .find(|i| id.is_some() && i.get("id").and_then(Value::as_i64) == id)
    {
        Some(item) => Json(render_contact_communication(
            &world.store,
            cid,
            item,
            &ctx.api_base,
        ))
        .into_response(),
        None => comm_not_found(raw),
    }
}

async fn comm_create(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let input = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut world = state.world();
    let world = &mut *world;
    let (cid, contact) = match comm_contact(world, &params) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut item = match accept_communication(&world.store, &input) {
        Ok(i) => i,
        Err(r) => return r,
    };
    world.serial += 1;
    let id = world.serial as i64;
    item.insert("id".into(), Value::from(id));
    let mut items = comm_items(&contact);
    items.push(Value::Object(item));
    save_items(world, cid, items, id, StatusCode::CREATED, &ctx.api_base)
}

async fn comm_write(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(params): Path<HashMap<String, String>>,
    method: http::Method,
    body: Bytes,
) -> Response {
    let mut world = state.world();
    let world = &mut *world;
    let (cid, contact) = match comm_contact(world, &params) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let raw = params.get("id").map(String::as_str).unwrap_or("");
    let mut items = comm_items(&contact);
    let Some(pos) = raw.parse::<i64>().ok().and_then(|id| {
        items
            .iter()
            .position(|i| i.get("id").and_then(Value::as_i64) == Some(id))
    }) else {
        return comm_not_found(raw);
    };
    let id = items[pos].get("id").and_then(Value::as_i64).unwrap_or(0);
    if method == http::Method::DELETE {
        items.remove(pos);
        return save_items(world, cid, items, id, StatusCode::NO_CONTENT, &ctx.api_base);
    }
    let input = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let draft = if method == http::Method::PATCH {
        let Value::Array(ops) = input else {
            return api_error(
                "Cannot deserialize the current JSON object into type 'List`1[PatchOperation]' because the type requires a JSON array.".into(),
            );
        };
        let mut draft = items[pos].as_object().cloned().unwrap_or_default();
        draft.remove("id");
        if let Err(r) = apply_ops(
            &mut draft,
            &ops,
            COMMUNICATION_MEMBERS,
            "ContactCommunication",
        ) {
            return r;
        }
        Value::Object(draft)
    } else {
        input
    };
    let mut item = match accept_communication(&world.store, &draft) {
        Ok(i) => i,
        Err(r) => return r,
    };
    item.insert("id".into(), Value::from(id));
    items[pos] = Value::Object(item);
    save_items(world, cid, items, id, StatusCode::OK, &ctx.api_base)
}

fn communications(router: Router<AppState>) -> Router<AppState> {
    let route = "/company/contacts/{pid}/communications";
    router
        .route(
            route,
            get(|s, c, p, q| comm_list(s, c, p, q, false)).post(comm_create),
        )
        .route(
            &format!("{route}/count"),
            get(|s, c, p, q| comm_list(s, c, p, q, true)),
        )
        .route(
            &format!("{route}/{{id}}"),
            get(comm_get)
                .put(comm_write)
                .patch(comm_write)
                .delete(comm_write),
        )
}

/// The collection paths `router` registers (each with `/count` and `/{id}`, as `collection`
/// does), for `mock-psa routes`.
pub fn collection_paths() -> impl Iterator<Item = &'static str> {
    COLLECTIONS.iter().map(|(route, _)| *route)
}

fn collection(
    router: Router<AppState>,
    route: &'static str,
    res: &'static Resource,
) -> Router<AppState> {
    let item = format!("{route}/{{id}}");
    let count = format!("{route}/count");
    router
        .route(
            route,
            get(move |s, c, p, h, q| list(s, c, p, h, q, res, false, route))
                .post(move |s, c, p, b| create(s, c, p, b, res)),
        )
        .route(
            &count,
            get(move |s, c, p, h, q| list(s, c, p, h, q, res, true, route)),
        )
        .route(
            &item,
            get(move |s, c, p, q| get_one(s, c, p, q, res))
                .put(move |s, c, p, b| replace(s, c, p, b, res))
                .patch(move |s, c, p, b| patch(s, c, p, b, res))
                .delete(move |s, p| remove(s, p, res)),
        )
}

async fn system_info(State(state): State<AppState>) -> Json<Value> {
    let _ = &state;
    Json(json!({
        "version": "v2025.1.99999",
        "isCloud": true,
        "serverTimeZone": "Eastern Standard Time",
        "licenseBits": [],
        "cloudRegion": "NA",
    }))
}

async fn company_info(
    State(state): State<AppState>,
    Extension(ctx): Extension<RequestCtx>,
    Path(company): Path<String>,
) -> Response {
    let creds = state.settings().credentials;
    if !company.eq_ignore_ascii_case(&creds.company) {
        return envelope(
            StatusCode::NOT_FOUND,
            "NotFound",
            "Company not found",
            Value::Null,
        );
    }
    Json(json!({
        "CompanyName": "Acme MSP",
        "Codebase": "v4_6_release/",
        "VersionCode": "v2025.1",
        "VersionNumber": "v4.6.99999",
        "CompanyID": creds.company,
        "IsCloud": false,
        "SiteUrl": ctx.origin.split_once("://").map_or(ctx.origin.as_str(), |(_, host)| host),
    }))
    .into_response()
}

/// The optional rate setting: calls per virtual minute (fixed windows on the virtual clock, so
/// a run is deterministic); past it, 429 with the documented body and the seconds left in the
/// minute as Retry-After.
fn throttle(state: &MockState) -> Result<(), Response> {
    let limit = state.settings().cw_requests_per_minute;
    if limit == 0 {
        return Ok(());
    }
    let mut world = state.world();
    let now = world.clock.now();
    let minute = now.div_euclid(60);
    world
        .quota
        .retain(|(m, key), _| key != CW_RATE_KEY || *m >= minute);
    let used = world
        .quota
        .entry((minute, CW_RATE_KEY.to_string()))
        .or_insert(0);
    if *used >= limit {
        let wait = 60 - now.rem_euclid(60);
        let mut resp = (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({
                "error": "ConnectWiseAPI",
                "message": format!("Too many requests. Please try again in {wait} seconds."),
            })),
        )
            .into_response();
        resp.headers_mut()
            .insert("retry-after", http::HeaderValue::from(wait));
        return Err(resp);
    }
    *used += 1;
    Ok(())
}

/// Key of the per-minute counts in `World::quota` (BMS keys are route templates).
const CW_RATE_KEY: &str = "connectwise:rate";

impl DialectApi for ConnectWise {
    fn router(&self) -> Router<AppState> {
        let mut r = Router::new()
            .route("/system/info", get(system_info))
            .route("/login/companyinfo/{company}", get(company_info));
        for (route, res) in COLLECTIONS {
            r = collection(r, route, res);
        }
        r = communications(r);
        r.fallback(|| async {
            envelope(
                StatusCode::NOT_FOUND,
                "NotFound",
                "The requested resource was not found.",
                Value::Null,
            )
        })
    }

    fn route(&self, path: &str, origin: &str) -> Option<Routed> {
        let trimmed = path.trim_end_matches('/');
        let lower = trimmed.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("/login/companyinfo/") {
            return Some(Routed {
                path: format!("/login/companyinfo/{rest}"),
                api_base: origin.to_string(),
                public: true,
            });
        }
        // `/{codebase}/apis/3.0/...` for any codebase segment.
        let mut segs = trimmed.splitn(4, '/').skip(1);
        let codebase = segs.next()?;
        let apis = segs.next()?;
        let rest = trimmed.split('/').skip(4).collect::<Vec<_>>().join("/");
        let version = trimmed.split('/').nth(3)?;
        if !apis.eq_ignore_ascii_case("apis") || version != "3.0" || rest.is_empty() {
            return None;
        }
        Some(Routed {
            path: format!("/{}", rest.to_ascii_lowercase()),
            api_base: format!("{origin}/{codebase}/apis/3.0"),
            public: false,
        })
    }

    fn authenticate(
        &self,
        state: &MockState,
        parts: &Parts,
        _routed: &Routed,
    ) -> Result<(), Response> {
        let creds = state.settings().credentials;
        let unauthenticated = || {
            envelope(
                StatusCode::UNAUTHORIZED,
                "ConnectWiseApi",
                "UserNotAuthenticated",
                Value::Null,
            )
        };
        let header = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .ok_or_else(unauthenticated)?;
        let encoded = header
            .strip_prefix("Basic ")
            .or_else(|| header.strip_prefix("basic "))
            .ok_or_else(unauthenticated)?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(unauthenticated)?;
        let (user, private) = decoded.split_once(':').ok_or_else(unauthenticated)?;
        let (company, public) = user.split_once('+').ok_or_else(unauthenticated)?;
        if !company.eq_ignore_ascii_case(&creds.company)
            || public != creds.user
            || private != creds.secret
        {
            return Err(unauthenticated());
        }
        // The developer guide requires clientId on every call; we enforce it (documented).
        let client_id = parts
            .headers
            .get("clientid")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if client_id.trim().is_empty() {
            return Err(envelope(
                StatusCode::UNAUTHORIZED,
                "ConnectWiseApi",
                "ClientId header is required. Register an integration at developer.connectwise.com.",
                Value::Null,
            ));
        }
        throttle(state)
    }

    fn error(&self, status: StatusCode, message: &str) -> Response {
        match status.as_u16() {
            429 => (status, Json(json!({ "error": "ConnectWiseAPI", "message": "Too many requests. Please try again in 30 seconds." }))).into_response(),
            404 => envelope(status, "NotFound", message, Value::Null),
            401 => envelope(status, "ConnectWiseApi", "UserNotAuthenticated", Value::Null),
            _ => envelope(status, "ConnectWiseApi", message, Value::Null),
        }
    }

    fn seed_defaults(&self, world: &mut World, _personality: Personality) {
        let s = &mut world.store;
        for (table, first) in [
            ("companies", 250),
            ("company_sites", 1000),
            ("contacts", 2000),
            ("configurations", 3000),
            ("tickets", 10001),
        ] {
            s.set_first_id(table, first);
        }
        world.serial = 5000; // communication item ids
        let rows = |s: &mut Store, table: &str, items: Vec<Value>| {
            for v in items {
                if let Value::Object(m) = v {
                    s.insert(table, m);
                }
            }
        };
        rows(
            s,
            "company_statuses",
            vec![
                json!({"name": "Active", "defaultFlag": true, "inactiveFlag": false}),
                json!({"name": "Inactive", "defaultFlag": false, "inactiveFlag": true}),
                json!({"name": "Not Approved", "defaultFlag": false, "inactiveFlag": false}),
            ],
        );
        rows(s, "company_types", ["Customer", "Prospect", "Lead", "Vendor", "Partner"].iter().enumerate()
            .map(|(i, n)| json!({"name": n, "defaultFlag": i == 0, "vendorFlag": *n == "Vendor"})).collect());
        rows(
            s,
            "contact_types",
            ["End User", "Approver", "Decision Maker"]
                .iter()
                .map(|n| json!({"description": n, "defaultFlag": false}))
                .collect(),
        );
        rows(
            s,
            "communication_types",
            vec![
                json!({"description": "Email", "emailFlag": true, "phoneFlag": false, "faxFlag": false, "defaultFlag": true}),
                json!({"description": "Direct", "emailFlag": false, "phoneFlag": true, "faxFlag": false, "defaultFlag": true}),
                json!({"description": "Cell", "emailFlag": false, "phoneFlag": true, "faxFlag": false, "defaultFlag": false}),
                json!({"description": "Fax", "emailFlag": false, "phoneFlag": false, "faxFlag": true, "defaultFlag": false}),
                json!({"description": "Personal Email", "emailFlag": true, "phoneFlag": false, "faxFlag": false, "defaultFlag": false}),
            ],
        );
        rows(
            s,
            "configuration_types",
            ["Server", "Workstation", "Printer", "Network Device"]
                .iter()
                .map(|n| json!({"name": n, "inactiveFlag": false}))
                .collect(),
        );
        rows(
            s,
            "configuration_statuses",
            vec![
                json!({"description": "Active", "closedFlag": false, "defaultFlag": true}),
                json!({"description": "Inactive", "closedFlag": true, "defaultFlag": false}),
            ],
        );
        rows(
            s,
            "manufacturers",
            ["Dell", "HP", "Lenovo", "Cisco"]
                .iter()
                .map(|n| json!({"name": n, "inactiveFlag": false}))
                .collect(),
        );
        rows(
            s,
            "countries",
            vec![
                json!({"name": "United States", "identifier": "US"}),
                json!({"name": "Canada", "identifier": "CA"}),
                json!({"name": "United Kingdom", "identifier": "GB"}),
            ],
        );
        // Choice: two boards whose names match the other PSAs' queues, each with the same
        // statuses, so one neutral case reads alike everywhere.
        rows(
            s,
            "boards",
            ["Service Desk", "Projects"]
                .iter()
                .map(|n| json!({"name": n, "inactiveFlag": false, "projectFlag": false}))
                .collect(),
        );
        for board in [1, 2] {
            rows(
                s,
                "board_statuses",
                ["New", "In Progress", "Waiting", "Completed"]
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        json!({"name": n, "board": {"id": board}, "sortOrder": i + 1,
                    "displayOnBoard": true, "inactive": false, "closedStatus": *n == "Completed",
                    "defaultFlag": i == 0})
                    })
                    .collect(),
            );
        }
        rows(
            s,
            "priorities",
            [
                "Priority 1 - Emergency Response",
                "Priority 2 - Quick Response",
                "Priority 3 - Normal Response",
                "Priority 4 - Schedule Maintenance",
            ]
            .iter()
            .enumerate()
            .map(|(i, n)| json!({"name": n, "sortOrder": i + 1, "defaultFlag": i == 2}))
            .collect(),
        );
    }

    fn entity_tables(&self) -> &'static [&'static str] {
        &[
            "companies",
            "company_sites",
            "contacts",
            "configurations",
            "tickets",
        ]
    }

    fn neutral_create(
        &self,
        world: &mut World,
        kind: NeutralKind,
        fields: &Map<String, Value>,
    ) -> Result<i64, String> {
        let mut rec = Record::new();
        apply_neutral(world, kind, &mut rec, fields, true)?;
        let now = world.clock.rfc3339();
        stamp(&mut rec, &now, None);
        let table = table_of(kind);
        Ok(world.store.insert(table, rec))
    }

    fn neutral_update(
        &self,
        world: &mut World,
        kind: NeutralKind,
        id: i64,
        fields: &Map<String, Value>,
    ) -> Result<(), String> {
        let table = table_of(kind);
        let mut rec = world
            .store
            .get(table, id)
            .cloned()
            .ok_or_else(|| format!("no {} with id {id}", kind.plural()))?;
        apply_neutral(world, kind, &mut rec, fields, false)?;
        let now = world.clock.rfc3339();
        let old_info = rec.get("_info").cloned();
        stamp(&mut rec, &now, old_info.as_ref());
        if let Some(slot) = world.store.table_mut(table).get_mut(id) {
            *slot = rec;
        }
        Ok(())
    }

    fn neutral_delete(&self, world: &mut World, kind: NeutralKind, id: i64) -> Result<(), String> {
        world
            .store
            .table_mut(table_of(kind))
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| format!("no {} with id {id}", kind.plural()))
    }

    fn neutral_view(&self, store: &Store) -> NeutralView {
        let mut view = NeutralView::new();
        let name_of = |table: &str, r: &Record, member: &str, label: &str| -> Value {
            r.get(member)
                .and_then(|v| v.get("id"))
                .and_then(Value::as_i64)
                .and_then(|id| store.get(table, id))
                .and_then(|t| t.get(label))
                .cloned()
                .unwrap_or(Value::Null)
        };
        let first_type = |r: &Record, member: &str, table: &str, label: &str| -> Value {
            r.get(member)
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|t| t.get("id"))
                .and_then(Value::as_i64)
                .and_then(|id| store.get(table, id))
                .and_then(|t| t.get(label))
                .cloned()
                .unwrap_or(Value::Null)
        };
        let companies = store.rows("companies").map(|r| {
            neutral(vec![
                ("id", r["id"].clone()),
                ("name", r.get("name").cloned().unwrap_or(Value::Null)),
                (
                    "short_name",
                    r.get("identifier").cloned().unwrap_or(Value::Null),
                ),
                ("type", first_type(r, "types", "company_types", "name")),
                ("status", name_of("company_statuses", r, "status", "name")),
                ("parent", name_of("companies", r, "parentCompany", "name")),
                (
                    "phone",
                    r.get("phoneNumber").cloned().unwrap_or(Value::Null),
                ),
            ])
        });
        view.insert(NeutralKind::Company, companies.collect());
        let g = |r: &Record, k: &str| r.get(k).cloned().unwrap_or(Value::Null);
        let locations = store.rows("company_sites").map(|r| {
            neutral(vec![
                ("id", r["id"].clone()),
                ("company", name_of("companies", r, "company", "name")),
                ("name", g(r, "name")),
                ("address1", g(r, "addressLine1")),
                ("address2", g(r, "addressLine2")),
                ("city", g(r, "city")),
                (
                    "state",
                    r.get("stateReference")
                        .and_then(|s| s.get("identifier"))
                        .cloned()
                        .unwrap_or(Value::Null),
                ),
                ("zip", g(r, "zip")),
                ("country", name_of("countries", r, "country", "name")),
                ("phone", g(r, "phoneNumber")),
                ("fax", g(r, "faxNumber")),
                ("primary", g(r, "primaryAddressFlag")),
            ])
        });
        view.insert(NeutralKind::Location, locations.collect());
        let contacts = store.rows("contacts").map(|r| {
            let (email, email_type) = communication(store, r, "emailFlag");
            let (phone, phone_type) = communication(store, r, "phoneFlag");
            neutral(vec![
                ("id", r["id"].clone()),
                ("company", name_of("companies", r, "company", "name")),
                ("first_name", g(r, "firstName")),
                ("last_name", g(r, "lastName")),
                ("title", g(r, "title")),
                (
                    "type",
                    first_type(r, "types", "contact_types", "description"),
                ),
                ("email", email),
                ("email_type", email_type),
                ("phone", phone),
                ("phone_type", phone_type),
                ("location", name_of("company_sites", r, "site", "name")),
            ])
        });
        view.insert(NeutralKind::Contact, contacts.collect());
        let configs = store.rows("configurations").map(|r| {
            neutral(vec![
                ("id", r["id"].clone()),
                ("company", name_of("companies", r, "company", "name")),
                ("name", g(r, "name")),
                ("type", name_of("configuration_types", r, "type", "name")),
                (
                    "status",
                    name_of("configuration_statuses", r, "status", "description"),
                ),
                ("serial_number", g(r, "serialNumber")),
                ("mac_address", g(r, "macAddress")),
                (
                    "manufacturer",
                    name_of("manufacturers", r, "manufacturer", "name"),
                ),
                ("model", g(r, "modelNumber")),
                ("notes", g(r, "notes")),
                ("location", name_of("company_sites", r, "site", "name")),
            ])
        });
        view.insert(NeutralKind::Configuration, configs.collect());
        let info = |r: &Record, k: &str| r.get("_info").and_then(|i| i.get(k)).cloned();
        let tickets = store.rows("tickets").map(|r| {
            ticket_view([
                r["id"].clone(),
                name_of("companies", r, "company", "name"),
                json!(r["id"].to_string()),
                g(r, "summary"),
                name_of("boards", r, "board", "name"),
                name_of("board_statuses", r, "status", "name"),
                name_of("priorities", r, "priority", "name"),
                g(r, "contactName"),
                info(r, "dateEntered").unwrap_or(Value::Null),
                info(r, "lastUpdated").unwrap_or(Value::Null),
            ])
        });
        view.insert(NeutralKind::Ticket, tickets.collect());
        view
    }
}

fn table_of(kind: NeutralKind) -> &'static str {
    match kind {
        NeutralKind::Company => "companies",
        NeutralKind::Location => "company_sites",
        NeutralKind::Contact => "contacts",
        NeutralKind::Configuration => "configurations",
        NeutralKind::Ticket => "tickets",
    }
}

/// The default (else first) communication item whose type has `flag`, with its type name.
fn communication(store: &Store, r: &Record, flag: &str) -> (Value, Value) {
    let items = r
        .get("communicationItems")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let typed: Vec<(Value, Value, bool)> = items
        .iter()
        .filter_map(|i| {
            let tid = i.get("type")?.get("id")?.as_i64()?;
            let t = store.get("communication_types", tid)?;
            (t.get(flag) == Some(&Value::Bool(true))).then(|| {
                (
                    i.get("value").cloned().unwrap_or(Value::Null),
                    t.get("description").cloned().unwrap_or(Value::Null),
                    i.get("defaultFlag") == Some(&Value::Bool(true)),
                )
            })
        })
        .collect();
    typed
        .iter()
        .find(|(_, _, d)| *d)
        .or_else(|| typed.first())
        .map(|(v, t, _)| (v.clone(), t.clone()))
        .unwrap_or((Value::Null, Value::Null))
}

fn ref_by_name(store: &Store, table: &str, member: &str, name: &str) -> Result<Value, String> {
    lookup_id(store, table, member, name).map(|id| json!({ "id": id }))
}

fn site_of(store: &Store, company: &Value, name: &str) -> Result<Value, String> {
    let cid = company.get("id").and_then(Value::as_i64);
    let id = store
        .rows("company_sites")
        .find(|r| {
            r.get("name").and_then(Value::as_str) == Some(name)
                && r.get("company")
                    .and_then(|c| c.get("id"))
                    .and_then(Value::as_i64)
                    == cid
        })
        .and_then(|r| r.get("id").and_then(Value::as_i64))
        .ok_or_else(|| format!("no site named `{name}` in that company"))?;
    Ok(json!({ "id": id }))
}

/// Writes neutral fields onto a native record (creating: fills what CW requires).
fn apply_neutral(
    world: &mut World,
    kind: NeutralKind,
    rec: &mut Record,
    f: &Map<String, Value>,
    creating: bool,
) -> Result<(), String> {
    let store = &world.store;
    let set = |rec: &mut Record, native: &str, key: &str| {
        if let Some(v) = f.get(key) {
            if v.is_null() {
                rec.remove(native);
            } else {
                rec.insert(native.into(), v.clone());
            }
        }
    };
    // A reference given by name (`key`), or the default when creating; `list` wraps it the way
    // company and contact `types` are stored.
    let set_ref = |rec: &mut Record,
                   member: &str,
                   key: &str,
                   (table, column): (&str, &str),
                   default: Option<&str>,
                   list: bool|
     -> Result<(), String> {
        let name = text(f, key).or_else(|| default.filter(|_| creating).map(str::to_string));
        if let Some(n) = name {
            let r = ref_by_name(store, table, column, &n)?;
            rec.insert(member.into(), if list { json!([r]) } else { r });
        }
        Ok(())
    };
    let company = |rec: &mut Record| -> Result<(), String> {
        if let Some(name) = text(f, "company") {
            rec.insert(
                "company".into(),
                ref_by_name(store, "companies", "name", &name)?,
            );
        } else if creating {
            return Err("`company` is required".into());
        }
        Ok(())
    };
    match kind {
        NeutralKind::Company => {
            set(rec, "name", "name");
            set(rec, "identifier", "short_name");
            set(rec, "phoneNumber", "phone");
            if creating && !rec.contains_key("identifier") {
                let name = text(f, "name").unwrap_or_default();
                let ident: String = name
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .take(25)
                    .collect();
                rec.insert("identifier".into(), json!(ident));
            }
            let types = ("company_types", "name");
            set_ref(rec, "types", "type", types, Some("Customer"), true)?;
            let statuses = ("company_statuses", "name");
            set_ref(rec, "status", "status", statuses, Some("Active"), false)?;
            let companies = ("companies", "name");
            set_ref(rec, "parentCompany", "parent", companies, None, false)?;
        }
        NeutralKind::Location => {
            company(rec)?;
            set(rec, "name", "name");
            set(rec, "addressLine1", "address1");
            set(rec, "addressLine2", "address2");
            set(rec, "city", "city");
            set(rec, "zip", "zip");
            set(rec, "phoneNumber", "phone");
            set(rec, "faxNumber", "fax");
            set(rec, "primaryAddressFlag", "primary");
            if let Some(s) = text(f, "state") {
                rec.insert(
                    "stateReference".into(),
                    json!({ "identifier": s, "name": s }),
                );
            }
            set_ref(
                rec,
                "country",
                "country",
                ("countries", "name"),
                None,
                false,
            )?;
        }
        NeutralKind::Contact => {
            company(rec)?;
            set(rec, "firstName", "first_name");
            set(rec, "lastName", "last_name");
            set(rec, "title", "title");
            let types = ("contact_types", "description");
            set_ref(rec, "types", "type", types, None, true)?;
            if let Some(l) = text(f, "location") {
                let c = rec.get("company").cloned().unwrap_or(Value::Null);
                rec.insert("site".into(), site_of(store, &c, &l)?);
            }
            let mut items: Vec<Value> = rec
                .get("communicationItems")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (key, type_key, default_type, flag) in [
                ("email", "email_type", "Email", "emailFlag"),
                ("phone", "phone_type", "Direct", "phoneFlag"),
            ] {
                if !f.contains_key(key) {
                    continue;
                }
                items.retain(|i| {
                    let tid = i
                        .get("type")
                        .and_then(|t| t.get("id"))
                        .and_then(Value::as_i64);
                    !tid.and_then(|t| store.get("communication_types", t))
                        .is_some_and(|t| t.get(flag) == Some(&Value::Bool(true)))
                });
                if let Some(value) = text(f, key) {
                    let ty = text(f, type_key).unwrap_or_else(|| default_type.to_string());
                    let ty = ref_by_name(store, "communication_types", "description", &ty)?;
                    world.serial += 1;
                    items.push(json!({ "id": world.serial, "type": ty, "value": value, "defaultFlag": true }));
                }
            }
            if !items.is_empty() || rec.contains_key("communicationItems") {
                rec.insert("communicationItems".into(), Value::Array(items));
            }
        }
        NeutralKind::Configuration => {
            company(rec)?;
            set(rec, "name", "name");
            set(rec, "serialNumber", "serial_number");
            set(rec, "macAddress", "mac_address");
            set(rec, "modelNumber", "model");
            set(rec, "notes", "notes");
            let types = ("configuration_types", "name");
            set_ref(rec, "type", "type", types, Some("Workstation"), false)?;
            let statuses = ("configuration_statuses", "description");
            set_ref(rec, "status", "status", statuses, Some("Active"), false)?;
            let makers = ("manufacturers", "name");
            set_ref(rec, "manufacturer", "manufacturer", makers, None, false)?;
            if let Some(l) = text(f, "location") {
                let c = rec.get("company").cloned().unwrap_or(Value::Null);
                rec.insert("site".into(), site_of(store, &c, &l)?);
            }
        }
        NeutralKind::Ticket => {
            company(rec)?;
            set(rec, "summary", "title");
            if creating && !rec.contains_key("summary") {
                return Err("`title` is required".into());
            }
            for (key, table) in [
                ("board", "boards"),
                ("status", "board_statuses"),
                ("priority", "priorities"),
            ] {
                if let Some(n) = text(f, key) {
                    rec.insert(key.into(), ref_by_name(store, table, "name", &n)?);
                }
            }
            if f.contains_key("contact") {
                match text(f, "contact") {
                    Some(n) => {
                        let company = ref_id(rec, "company");
                        let of_company = store
                            .rows("contacts")
                            .filter(|c| ref_id(c, "company") == company);
                        rec.insert(
                            "contact".into(),
                            json!({ "id": contact_id_by_name(of_company, &n)? }),
                        );
                    }
                    None => {
                        rec.remove("contact");
                    }
                }
            }
            ticket_fill(store, rec).map_err(|(field, msg)| format!("{field}: {msg}"))?;
        }
    }
    Ok(())
}
