//! The neutral view: the default seed, neutral writes and the snapshot the harness compares.

use super::input::apply_defaults;
use super::schema::type_schema;
use super::tickets::ticket_fill;
use super::wire::stamp;
use super::*;

/// The schema type of a neutral kind's records.
fn type_of(kind: NeutralKind) -> &'static str {
    match kind {
        NeutralKind::Company => "Company",
        NeutralKind::Location => "CompanySite",
        NeutralKind::Contact => "Contact",
        NeutralKind::Configuration => "Configuration",
        NeutralKind::Ticket => "Ticket",
    }
}

pub(super) fn table_of(kind: NeutralKind) -> &'static str {
    match kind {
        NeutralKind::Company => "companies",
        NeutralKind::Location => "company_sites",
        NeutralKind::Contact => "contacts",
        NeutralKind::Configuration => "configurations",
        NeutralKind::Ticket => "tickets",
    }
}

/// The default (else first) communication item whose type has `flag`, with its type name.
pub(super) fn communication(store: &Store, r: &Record, flag: &str) -> (Value, Value) {
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

pub(super) fn ref_by_name(
    store: &Store,
    table: &str,
    member: &str,
    name: &str,
) -> Result<Value, String> {
    lookup_id(store, table, member, name).map(|id| json!({ "id": id }))
}

pub(super) fn site_of(store: &Store, company: &Value, name: &str) -> Result<Value, String> {
    // The company's sites, through the index on their company.
    let cid = company.get("id").cloned().unwrap_or(Value::Null);
    let id = store
        .rows_where("company_sites", "company.id", &cid)
        .find(|r| r.get("name").and_then(Value::as_str) == Some(name))
        .and_then(|r| r.get("id").and_then(Value::as_i64))
        .ok_or_else(|| format!("no site named `{name}` in that company"))?;
    Ok(json!({ "id": id }))
}

/// Writes neutral fields onto a native record (creating: fills what CW requires).
pub(super) fn apply_neutral(
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
        if f.get(key).is_some_and(Value::is_null) {
            rec.remove(member);
            return Ok(());
        }
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
                        let company = rec.get("company").and_then(|c| c.get("id"));
                        let company = company.cloned().unwrap_or(Value::Null);
                        let of_company = store.rows_where("contacts", "company.id", &company);
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

pub(super) fn seed_defaults(world: &mut World, _personality: Personality) {
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
    rows(
        s,
        "company_types",
        ["Customer", "Prospect", "Lead", "Vendor", "Partner"]
            .iter()
            .enumerate()
            .map(|(i, n)| json!({"name": n, "defaultFlag": i == 0, "vendorFlag": *n == "Vendor"}))
            .collect(),
    );
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

pub(super) fn entity_tables() -> &'static [&'static str] {
    &[
        "companies",
        "company_sites",
        "contacts",
        "configurations",
        "tickets",
    ]
}

pub(super) fn neutral_create(
    world: &mut World,
    kind: NeutralKind,
    fields: &Map<String, Value>,
) -> Result<i64, String> {
    let mut rec = Record::new();
    apply_neutral(world, kind, &mut rec, fields, true)?;
    // A record made in the PSA gets the same server defaults as one created through the API.
    apply_defaults(type_schema(type_of(kind)), &mut rec);
    let now = world.clock.rfc3339();
    stamp(&mut rec, &now, None);
    let table = table_of(kind);
    Ok(world.store.insert(table, rec))
}

pub(super) fn neutral_update(
    world: &mut World,
    kind: NeutralKind,
    id: i64,
    fields: &Map<String, Value>,
) -> Result<(), String> {
    let table = table_of(kind);
    let mut rec = world
        .store
        .get(table, id)
        .ok_or_else(|| format!("no {} with id {id}", kind.plural()))?;
    apply_neutral(world, kind, &mut rec, fields, false)?;
    let now = world.clock.rfc3339();
    let old_info = rec.get("_info").cloned();
    stamp(&mut rec, &now, old_info.as_ref());
    if let Some(mut slot) = world.store.table_mut(table).get_mut(id) {
        *slot = rec;
    }
    Ok(())
}

pub(super) fn neutral_delete(world: &mut World, kind: NeutralKind, id: i64) -> Result<(), String> {
    world
        .store
        .table_mut(table_of(kind))
        .remove(id)
        .map(|_| ())
        .ok_or_else(|| format!("no {} with id {id}", kind.plural()))
}

pub(super) fn neutral_view(store: &Store) -> NeutralView {
    let mut view = NeutralView::new();
    let name_of = |table: &str, r: &Record, member: &str, label: &str| -> Value {
        r.get(member)
            .and_then(|v| v.get("id"))
            .and_then(Value::as_i64)
            .and_then(|id| store.value_at(table, id, label))
            .unwrap_or(Value::Null)
    };
    let first_type = |r: &Record, member: &str, table: &str, label: &str| -> Value {
        r.get(member)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(|t| t.get("id"))
            .and_then(Value::as_i64)
            .and_then(|id| store.value_at(table, id, label))
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
            ("type", first_type(&r, "types", "company_types", "name")),
            ("status", name_of("company_statuses", &r, "status", "name")),
            ("parent", name_of("companies", &r, "parentCompany", "name")),
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
            ("company", name_of("companies", &r, "company", "name")),
            ("name", g(&r, "name")),
            ("address1", g(&r, "addressLine1")),
            ("address2", g(&r, "addressLine2")),
            ("city", g(&r, "city")),
            (
                "state",
                r.get("stateReference")
                    .and_then(|s| s.get("identifier"))
                    .cloned()
                    .unwrap_or(Value::Null),
            ),
            ("zip", g(&r, "zip")),
            ("country", name_of("countries", &r, "country", "name")),
            ("phone", g(&r, "phoneNumber")),
            ("fax", g(&r, "faxNumber")),
            ("primary", g(&r, "primaryAddressFlag")),
        ])
    });
    view.insert(NeutralKind::Location, locations.collect());
    let contacts = store.rows("contacts").map(|r| {
        let (email, email_type) = communication(store, &r, "emailFlag");
        let (phone, phone_type) = communication(store, &r, "phoneFlag");
        neutral(vec![
            ("id", r["id"].clone()),
            ("company", name_of("companies", &r, "company", "name")),
            ("first_name", g(&r, "firstName")),
            ("last_name", g(&r, "lastName")),
            ("title", g(&r, "title")),
            (
                "type",
                first_type(&r, "types", "contact_types", "description"),
            ),
            ("email", email),
            ("email_type", email_type),
            ("phone", phone),
            ("phone_type", phone_type),
            ("location", name_of("company_sites", &r, "site", "name")),
        ])
    });
    view.insert(NeutralKind::Contact, contacts.collect());
    let configs = store.rows("configurations").map(|r| {
        neutral(vec![
            ("id", r["id"].clone()),
            ("company", name_of("companies", &r, "company", "name")),
            ("name", g(&r, "name")),
            ("type", name_of("configuration_types", &r, "type", "name")),
            (
                "status",
                name_of("configuration_statuses", &r, "status", "description"),
            ),
            ("serial_number", g(&r, "serialNumber")),
            ("mac_address", g(&r, "macAddress")),
            (
                "manufacturer",
                name_of("manufacturers", &r, "manufacturer", "name"),
            ),
            ("model", g(&r, "modelNumber")),
            ("notes", g(&r, "notes")),
            ("location", name_of("company_sites", &r, "site", "name")),
        ])
    });
    view.insert(NeutralKind::Configuration, configs.collect());
    let info = |r: &Record, k: &str| r.get("_info").and_then(|i| i.get(k)).cloned();
    let tickets = store.rows("tickets").map(|r| {
        ticket_view([
            r["id"].clone(),
            name_of("companies", &r, "company", "name"),
            json!(r["id"].to_string()),
            g(&r, "summary"),
            name_of("boards", &r, "board", "name"),
            name_of("board_statuses", &r, "status", "name"),
            name_of("priorities", &r, "priority", "name"),
            g(&r, "contactName"),
            info(&r, "dateEntered").unwrap_or(Value::Null),
            info(&r, "lastUpdated").unwrap_or(Value::Null),
        ])
    });
    view.insert(NeutralKind::Ticket, tickets.collect());
    view
}
