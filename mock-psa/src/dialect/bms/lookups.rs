//! Lookup tables: one registry serves `/v2/system/{name}/lookup`, the generic
//! `/v2/system/lookup/{tableName}` and `/v2/system/tenantlookup/{tableName}` (POST adds a
//! row), and `/v2/hr/employees/lookup`; plus the seed every fresh tenant gets.

use super::model::*;
use super::routes::{route, Ctx, Route};
use super::wire::*;
use crate::personality::Personality;
use crate::state::World;
use crate::store::Record;
use axum::response::Response;
use http::StatusCode;
use serde_json::{json, Map, Value};

pub const ROUTES: &[Route] = &[
    route("GET", "system/lookup/{table}", generic),
    route("GET", "system/tenantlookup/{table}", generic),
    route("POST", "system/tenantlookup/{table}", add),
    route("GET", "system/{table}/lookup", specific),
    route(
        "GET",
        "system/issuetypes/{id}/issuesubtypes/lookup",
        subtypes,
    ),
    route("GET", "hr/employees/lookup", employees),
];

/// A lookup table by its URL name, with the members its dedicated route shows beside
/// `id` and `name`. Choice: the reference does not know the real generic table names; these
/// are the dedicated routes' names (`accounttypes`, `statuses`) and, for the rest, the
/// table name without separators.
struct Lookup {
    name: &'static str,
    table: &'static str,
    members: &'static [&'static str],
}

const PLAIN: &[&str] = &["isActive", "isDefault"];

const LOOKUPS: &[Lookup] = &[
    Lookup {
        name: "accounttypes",
        table: ACCOUNT_TYPES,
        members: &["isActive", "isClient", "isVendor"],
    },
    Lookup {
        name: "businesstypes",
        table: BUSINESS_TYPES,
        members: PLAIN,
    },
    Lookup {
        name: "emailtypes",
        table: EMAIL_TYPES,
        members: PLAIN,
    },
    Lookup {
        name: "phonetypes",
        table: PHONE_TYPES,
        members: PLAIN,
    },
    Lookup {
        name: "assetcategories",
        table: ASSET_CATEGORIES,
        members: PLAIN,
    },
    Lookup {
        name: "assetstatuses",
        table: ASSET_STATUSES,
        members: PLAIN,
    },
    Lookup {
        name: "manufacturers",
        table: MANUFACTURERS,
        members: PLAIN,
    },
    Lookup {
        name: "countries",
        table: COUNTRIES,
        members: PLAIN,
    },
    Lookup {
        name: "statuses",
        table: STATUSES,
        members: &[
            "fontColor",
            "color",
            "statusOrder",
            "typeId",
            "isSystemStatus",
            "slaEventId",
            "isActive",
        ],
    },
    Lookup {
        name: "priorities",
        table: PRIORITIES,
        members: PLAIN,
    },
    Lookup {
        name: "queues",
        table: QUEUES,
        members: PLAIN,
    },
    Lookup {
        name: "issuetypes",
        table: ISSUE_TYPES,
        members: PLAIN,
    },
    Lookup {
        name: "sources",
        table: SOURCES,
        members: PLAIN,
    },
];

fn find(c: &Ctx<'_>) -> R<&'static Lookup> {
    let name = c.params.first().copied().unwrap_or("");
    LOOKUPS.iter().find(|l| l.name == name).ok_or_else(|| {
        ApiErr::new(
            StatusCode::NOT_FOUND,
            format!("Lookup table `{name}` not found"),
        )
    })
}

fn rows(c: &Ctx<'_>, table: &str, members: &[&str]) -> Response {
    let w = c.world();
    let rows = w
        .store
        .rows(table)
        .map(|r| {
            let mut o = Map::new();
            o.insert("id".into(), member(&r, "id"));
            o.insert("name".into(), member(&r, "name"));
            for m in members {
                o.insert((*m).into(), member(&r, m));
            }
            Value::Object(o)
        })
        .collect();
    c.ok(Value::Array(rows))
}

fn generic(c: &Ctx<'_>) -> R<Response> {
    Ok(rows(c, find(c)?.table, PLAIN))
}

fn specific(c: &Ctx<'_>) -> R<Response> {
    let l = find(c)?;
    Ok(rows(c, l.table, l.members))
}

fn subtypes(c: &Ctx<'_>) -> R<Response> {
    let ty = c.id(0, "Issue type")?;
    let w = c.world();
    if !w.store.contains(ISSUE_TYPES, ty) {
        return Err(ApiErr::not_found("Issue type", ty));
    }
    let rows = w
        .store
        .rows(ISSUE_SUBTYPES)
        .filter(|r| int_of(r, "issueTypeId") == Some(ty))
        .map(|r| json!({"id": id_of(&r), "name": member(&r, "name"), "isActive": member(&r, "isActive")}))
        .collect();
    Ok(c.ok(Value::Array(rows)))
}

fn employees(c: &Ctx<'_>) -> R<Response> {
    Ok(rows(c, EMPLOYEES, &[]))
}

/// `POST /v2/system/tenantlookup/{tableName}`: `{Name, IsActive, IsDefault}`; a new default
/// takes the flag from the old one.
fn add(c: &Ctx<'_>) -> R<Response> {
    let l = find(c)?;
    let body = c.object()?;
    let mut errs = Vec::new();
    let input = read_schema(
        &body,
        &[
            ("name", Ty::Str),
            ("isActive", Ty::Bool),
            ("isDefault", Ty::Bool),
        ],
        "",
        &mut errs,
    );
    require(&input, &["name"], &mut errs);
    check(errs)?;
    let mut w = c.world();
    let name = input.get("name").and_then(Value::as_str).unwrap_or("");
    if w.store.find_id_by(l.table, "name", name).is_some() {
        return Err(ApiErr::bad(format!(
            "`{name}` already exists in {}",
            l.name
        )));
    }
    let is_default = is_true(&input, "isDefault");
    if is_default {
        let ids: Vec<i64> = w
            .store
            .table(l.table)
            .map_or_else(Vec::new, |t| t.ids().collect());
        for id in ids {
            if let Some(mut r) = w.store.table_mut(l.table).get_mut(id) {
                r.insert("isDefault".into(), json!(false));
            }
        }
    }
    let row = json!({"name": name,
        "isActive": input.get("isActive").and_then(Value::as_bool).unwrap_or(true),
        "isDefault": is_default});
    let id = w
        .store
        .insert(l.table, row.as_object().cloned().unwrap_or_default());
    let saved = w.store.get(l.table, id).unwrap_or_default();
    Ok(c.ok(Value::Object(saved)))
}

// ---------------------------------------------------------------------------------------------
// Seed.

fn named(names: &[&str], default: &str) -> Vec<Record> {
    names
        .iter()
        .map(|n| {
            let mut r = Record::new();
            r.insert("name".into(), json!(n));
            r.insert("isActive".into(), json!(true));
            r.insert("isDefault".into(), json!(*n == default));
            r
        })
        .collect()
}

/// The lookups, employees and tenant row a fresh tenant has.
pub fn seed(world: &mut World, p: Personality) {
    let (first_ids, sub_id_base) = id_plan(p);
    for (t, first) in first_ids {
        world.store.set_first_id(t, *first);
    }
    let creds = p.default_credentials();
    let tenant =
        json!({"name": creds.company, "product": p.display_name(), "subIdBase": sub_id_base});
    world
        .store
        .insert(TENANT, tenant.as_object().cloned().unwrap_or_default());
    let types = named(
        &["Customer", "Prospect", "Lead", "Vendor", "Partner"],
        "Customer",
    );
    for (i, mut r) in types.into_iter().enumerate() {
        r.insert("isClient".into(), json!(i == 0));
        r.insert("isVendor".into(), json!(i == 3));
        world.store.insert(ACCOUNT_TYPES, r);
    }
    let simple: [(&str, &[&str], &str); 11] = [
        (
            BUSINESS_TYPES,
            &["Small Business", "Mid-Market", "Enterprise", "Non-Profit"],
            "Small Business",
        ),
        (EMAIL_TYPES, &["Email", "Personal Email"], "Email"),
        (PHONE_TYPES, &["Direct", "Mobile", "Fax"], "Direct"),
        (
            ASSET_CATEGORIES,
            &["Server", "Workstation", "Printer", "Network Device"],
            "Workstation",
        ),
        (ASSET_STATUSES, &["Active", "Inactive"], "Active"),
        (MANUFACTURERS, &["Dell", "HP", "Lenovo", "Cisco"], ""),
        (
            COUNTRIES,
            &["United States", "Canada", "United Kingdom"],
            "United States",
        ),
        (PRIORITIES, &["Low", "Medium", "High", "Critical"], "Medium"),
        (QUEUES, &["Service Desk", "Projects"], "Service Desk"),
        // Small system ids, as a real Pulseway tenant shows (8 Incident, 6 Voice Mail).
        (
            ISSUE_TYPES,
            &[
                "Service Request",
                "Change Request",
                "Problem",
                "Question",
                "Alert",
                "Maintenance",
                "Project Task",
                "Incident",
            ],
            "Incident",
        ),
        (
            SOURCES,
            &["Email", "Phone", "Portal", "Chat", "Walk-In", "Voice Mail"],
            "Email",
        ),
    ];
    for (table, names, default) in simple {
        for r in named(names, default) {
            world.store.insert(table, r);
        }
    }
    let statuses = [
        ("New", "#2E86C1"),
        ("In Progress", "#F1C40F"),
        ("Waiting", "#AF7AC5"),
        ("Completed", "#27AE60"),
    ];
    for (i, (name, color)) in statuses.into_iter().enumerate() {
        let r = json!({"name": name, "fontColor": "#FFFFFF", "color": color, "statusOrder": i + 1,
            "typeId": 1, "isSystemStatus": name == "New" || name == "Completed",
            "slaEventId": null, "isActive": true});
        world
            .store
            .insert(STATUSES, r.as_object().cloned().unwrap_or_default());
    }
    let incident = world.store.find_id_by(ISSUE_TYPES, "name", "Incident");
    for name in ["Hardware", "Software", "Network"] {
        let r = json!({"name": name, "issueTypeId": incident, "isActive": true});
        world
            .store
            .insert(ISSUE_SUBTYPES, r.as_object().cloned().unwrap_or_default());
    }
    for (name, user, api) in [
        ("Alex Admin", "alex.admin", false),
        ("Jordan Tech", "jordan.tech", false),
        (ACTOR, creds.user.as_str(), true),
    ] {
        let r = json!({"name": name, "userName": user,
            "emailAddress": format!("{user}@{}.example.com", creds.company),
            "isApiEmployee": api, "isActive": true});
        world
            .store
            .insert(EMPLOYEES, r.as_object().cloned().unwrap_or_default());
    }
}
