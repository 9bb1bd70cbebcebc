//! Generated from the Autotask schema data (`src/dialect/autotask/schema.json`): for every member
//! of every resource the mock serves, a valid value reads back equal, a wrong-typed value is
//! refused in Autotask's error format naming the member with nothing stored, and read-only
//! members are ignored on write. Also: entityInformation/fields lists exactly the schema's
//! members, TicketAttachments round-trip under `Tickets/{id}/Attachments`, and the 500-condition
//! query limit.

mod support;

use support::autotask::At;

use reqwest::Method;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const SCHEMA: &str = include_str!("../src/dialect/autotask/schema.json");

impl At {
    async fn ok(&self, method: Method, path: &str, body: Value) -> Value {
        let (s, b) = self.call(method, path, Some(body)).await;
        assert_eq!(s, 200, "{path}: {b}");
        b
    }

    async fn create(&self, path: &str, body: Value) -> i64 {
        let b = self.ok(Method::POST, path, body).await;
        b["itemId"].as_i64().expect("itemId")
    }

    async fn item(&self, path: &str) -> Map<String, Value> {
        let (s, b) = self.call(Method::GET, path, None).await;
        assert_eq!(s, 200, "{path}: {b}");
        b["item"]
            .as_object()
            .cloned()
            .unwrap_or_else(|| panic!("{path}: {b}"))
    }
}

fn entities() -> Vec<Value> {
    let v: Value = serde_json::from_str(SCHEMA).expect("schema.json");
    v["entities"].as_array().expect("entities").clone()
}

fn entity(name: &str) -> Value {
    entities()
        .into_iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

/// One tenant with a record of every kind the references point at.
struct Fixture {
    company: i64,
    other_company: i64,
    location: i64,
    contact: i64,
    ci: i64,
    ticket: i64,
}

const OWNER: i64 = 29682885;
const COUNTRY: i64 = 237;
const BILLING_CODE: i64 = 29682833;
const PRODUCT: i64 = 50001;

async fn fixture(at: &At) -> Fixture {
    let company_body = |name: &str| json!({"companyName": name, "companyType": 1, "ownerResourceID": OWNER, "phone": "555"});
    let company = at.create("Companies", company_body("Schema Co")).await;
    let other_company = at.create("Companies", company_body("Other Co")).await;
    let (_, b) = at
        .call(Method::GET, &format!("Companies/{company}/Locations"), None)
        .await;
    let location = b["items"][0]["id"].as_i64().expect("primary location");
    let contact = at
        .create(
            &format!("Companies/{company}/Contacts"),
            json!({"firstName": "Ada", "lastName": "Base", "isActive": 1}),
        )
        .await;
    let ci = at
        .create(
            "ConfigurationItems",
            json!({"companyID": company, "productID": PRODUCT, "isActive": true}),
        )
        .await;
    let ticket = at
        .create(
            "Tickets",
            json!({"companyID": company, "title": "Base", "status": 1, "priority": 2}),
        )
        .await;
    Fixture {
        company,
        other_company,
        location,
        contact,
        ci,
        ticket,
    }
}

/// The first value of every picklist member, as entityInformation/fields publishes it.
async fn picklists(at: &At, entity: &str) -> BTreeMap<String, i64> {
    let (s, b) = at
        .call(
            Method::GET,
            &format!("{entity}/entityInformation/fields"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| {
            let first = f["picklistValues"].as_array()?.first()?;
            let v = first["value"].as_str()?.parse().ok()?;
            Some((f["name"].as_str()?.to_string(), v))
        })
        .collect()
}

/// A value the real API accepts for this member of a record of `company`.
fn valid(member: &Value, fx: &Fixture, picks: &BTreeMap<String, i64>, entity: &str) -> Value {
    let name = member["name"].as_str().unwrap();
    if let Some(v) = picks.get(name) {
        return json!(v);
    }
    if let Some(table) = member["reference"]["table"].as_str() {
        let parent_company = entity == "Companies" && name == "parentCompanyID";
        return json!(match table {
            "companies" if parent_company => fx.other_company,
            "companies" => fx.company,
            "company_locations" => fx.location,
            "contacts" => fx.contact,
            "configuration_items" => fx.ci,
            "tickets" => fx.ticket,
            "resources" => OWNER,
            "countries" => COUNTRY,
            "billing_codes" => BILLING_CODE,
            "products" => PRODUCT,
            other => panic!("no fixture for {other}"),
        });
    }
    match (member["type"].as_str().unwrap(), entity, name) {
        (_, "Contacts", "isActive") => json!(1),
        ("string", ..) => {
            let len = member["length"].as_u64().unwrap_or(64) as usize;
            json!(format!("v-{name}").chars().take(len).collect::<String>())
        }
        ("integer" | "long" | "short", ..) => json!(7),
        ("double", ..) => json!(2.5),
        ("boolean", ..) => json!(true),
        ("datetime", ..) => json!("2026-03-04T05:06:07Z"),
        (other, ..) => panic!("type {other}"),
    }
}

/// A value of the wrong type for this member, and what the refusal must say.
fn wrong(member: &Value, picks: &BTreeMap<String, i64>) -> Vec<(Value, &'static str)> {
    let name = member["name"].as_str().unwrap();
    let mut out = match member["type"].as_str().unwrap() {
        "string" => vec![(json!({"not": "a string"}), "Unable to convert value")],
        "integer" | "long" | "short" => vec![(json!("seven"), "Unable to convert value")],
        "double" => vec![(json!("two and a half"), "Unable to convert value")],
        "boolean" => vec![(json!("maybe"), "Unable to convert value")],
        "datetime" => vec![(json!("next tuesday"), "Unable to convert value")],
        other => panic!("type {other}"),
    };
    if let Some(len) = member["length"].as_u64() {
        if len < 40_000 {
            out.push((
                json!("x".repeat(len as usize + 1)),
                "exceeds the maximum length",
            ));
        }
    }
    if picks.contains_key(name) {
        out.push((json!(987_654), "not a valid picklist value"));
    } else if member["reference"]["table"].is_string() && member["fixed"] != true {
        out.push((json!(987_654_321), "does not reference an existing entity"));
    }
    out
}

/// Where a record of each writable entity is created and updated, and a body for a new one.
fn base(entity: &str, fx: &Fixture, n: usize) -> (String, Value) {
    let c = fx.company;
    match entity {
        "Companies" => (
            "Companies".into(),
            json!({"companyName": format!("Row {n}"), "companyType": 1,
                   "ownerResourceID": OWNER, "phone": "555"}),
        ),
        "Contacts" => (
            format!("Companies/{c}/Contacts"),
            json!({"firstName": "Row", "lastName": format!("{n}"), "isActive": 1}),
        ),
        "CompanyLocations" => (
            format!("Companies/{c}/Locations"),
            json!({"name": format!("Site {n}")}),
        ),
        "ConfigurationItems" => (
            "ConfigurationItems".into(),
            json!({"companyID": c, "productID": PRODUCT, "isActive": true}),
        ),
        "Products" => (
            "Products".into(),
            json!({"name": format!("Product {n}"), "isActive": true, "isSerialized": false,
                   "productBillingCodeID": BILLING_CODE}),
        ),
        "Tickets" => (
            "Tickets".into(),
            json!({"companyID": c, "title": format!("T{n}"), "status": 1, "priority": 2}),
        ),
        other => panic!("no base for {other}"),
    }
}

/// Where `GET` reads one record of `entity`.
fn item_path(entity: &str, fx: &Fixture, id: i64) -> String {
    match entity {
        "Contacts" | "CompanyLocations" => {
            let seg = if entity == "Contacts" {
                "Contacts"
            } else {
                "Locations"
            };
            format!("Companies/{}/{seg}/{id}", fx.company)
        }
        _ => format!("{entity}/{id}"),
    }
}

#[tokio::test]
async fn every_member_of_every_writable_entity_round_trips_and_refuses_wrong_types() {
    let at = At::start().await;
    let fx = fixture(&at).await;
    let mut checked = 0;
    for name in [
        "Companies",
        "Contacts",
        "CompanyLocations",
        "ConfigurationItems",
        "Products",
        "Tickets",
    ] {
        let e = entity(name);
        let picks = picklists(&at, name).await;
        let (path, body) = base(name, &fx, checked);
        let id = at.create(&path, body).await;
        let read = item_path(name, &fx, id);
        for member in e["fields"].as_array().unwrap() {
            let m = member["name"].as_str().unwrap();
            if m == "id" {
                continue;
            }
            let before = at.item(&read).await;
            let value = valid(member, &fx, &picks, name);
            let (s, b) = at
                .call(Method::PATCH, &path, Some(json!({"id": id, m: value})))
                .await;
            assert_eq!(s, 200, "{name}.{m} = {value}: {b}");
            let after = at.item(&read).await;
            let ignored = member["readOnly"] == true || member["fixed"] == true;
            if ignored {
                assert_eq!(
                    after.get(m),
                    before.get(m),
                    "{name}.{m} is ignored on update"
                );
            } else {
                assert_eq!(after.get(m), Some(&value), "{name}.{m} reads back");
            }
            assert!(after.contains_key(m), "{name} renders {m}");
            // Every member filters and projects (IncludeFields).
            let cond = match &after[m] {
                Value::Null => json!({"op": "notExist", "field": m}),
                v => json!({"op": "eq", "field": m, "value": v}),
            };
            let q = json!({"filter": [{"op": "eq", "field": "id", "value": id}, cond],
                           "IncludeFields": [m]});
            let (s, b) = at
                .call(Method::POST, &format!("{name}/query"), Some(q))
                .await;
            assert_eq!(s, 200, "{name} filters on {m}: {b}");
            let rows = b["items"].as_array().unwrap();
            if !after[m].is_null() {
                assert_eq!(rows.len(), 1, "{name} filters on {m}: {b}");
                let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
                assert!(
                    keys.len() <= 3 && keys.iter().any(|k| *k == m),
                    "{name} projects {m}: {b}"
                );
            }
            if member["readOnly"] == true {
                continue;
            }
            for (bad, says) in wrong(member, &picks) {
                let before = at.item(&read).await;
                let (s, b) = at
                    .call(Method::PATCH, &path, Some(json!({"id": id, m: bad})))
                    .await;
                let msg = b["errors"][0].as_str().unwrap_or_default();
                assert_eq!(s, 500, "{name}.{m} = {bad} is refused: {b}");
                assert!(
                    msg.contains(says) && msg.contains(m),
                    "{name}.{m} = {bad}: the error names the member: {b}"
                );
                assert_eq!(at.item(&read).await, before, "{name}.{m}: nothing stored");
            }
            checked += 1;
        }
    }
    assert!(checked > 250, "only {checked} members checked");
}

#[tokio::test]
async fn entity_information_lists_exactly_the_schema_members() {
    let at = At::start().await;
    for e in entities() {
        let name = e["name"].as_str().unwrap();
        let (s, b) = at
            .call(
                Method::GET,
                &format!("{name}/entityInformation/fields"),
                None,
            )
            .await;
        assert_eq!(s, 200, "{name}: {b}");
        let served: Vec<&str> = b["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        let schema: Vec<&str> = e["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(served, schema, "{name}");
    }
}

#[tokio::test]
async fn lookups_render_every_schema_member() {
    let at = At::start().await;
    for (name, id) in [
        ("Resources", OWNER),
        ("Countries", COUNTRY),
        ("BillingCodes", BILLING_CODE),
    ] {
        let item = at.item(&format!("{name}/{id}")).await;
        for member in entity(name)["fields"].as_array().unwrap() {
            let m = member["name"].as_str().unwrap();
            assert!(item.contains_key(m), "{name}/{id} renders {m}");
        }
    }
}

#[tokio::test]
async fn ticket_attachments_are_created_listed_read_and_deleted_under_their_ticket() {
    let at = At::start().await;
    let fx = fixture(&at).await;
    let path = format!("Tickets/{}/Attachments", fx.ticket);
    let body = json!({"parentID": fx.ticket, "title": "notes.txt", "attachmentType": "FILE_ATTACHMENT",
                      "fullPath": "notes.txt", "publish": 1, "data": "aGVsbG8gd29ybGQ=",
                      "opportunityID": 9});
    let id = at.create(&path, body.clone()).await;
    let item = at.item(&format!("{path}/{id}")).await;
    for (k, v) in body.as_object().unwrap() {
        assert_eq!(item.get(k), Some(v), "{k} reads back");
    }
    assert_eq!(item["fileSize"], json!(11.0));
    assert_eq!(item["contentType"], "text/plain");
    assert_eq!(item["attachedByResourceID"], json!(29682886));
    assert!(item["attachDate"].is_string());
    // Queries answer the attachment's information without its content.
    let (s, q) = at
        .call(
            Method::POST,
            "TicketAttachments/query",
            Some(json!({"filter": [{"op": "eq", "field": "parentID", "value": fx.ticket}]})),
        )
        .await;
    assert_eq!(s, 200, "{q}");
    assert_eq!(q["items"][0]["id"], json!(id));
    assert!(q["items"][0].get("data").is_none(), "{q}");
    // Wrong-typed and incomplete attachments are refused and nothing is stored.
    for (bad, says) in [
        (json!({"data": "not base64!"}), "base64"),
        (json!({"publish": 3}), "publish"),
        (json!({"title": null}), "title"),
        (json!({"parentID": fx.ticket + 1}), "parentID"),
    ] {
        let mut b = body.clone();
        for (k, v) in bad.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (s, r) = at.call(Method::POST, &path, Some(b)).await;
        assert_eq!(s, 500, "{bad}: {r}");
        assert!(r["errors"][0].as_str().unwrap().contains(says), "{r}");
    }
    let (_, list) = at.call(Method::GET, &path, None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    // Attachments are never changed, only deleted.
    let (s, _) = at
        .call(Method::PATCH, &path, Some(json!({"id": id, "title": "x"})))
        .await;
    assert_eq!(s, 405);
    let (s, _) = at.call(Method::DELETE, &format!("{path}/{id}"), None).await;
    assert_eq!(s, 200);
    let (_, list) = at.call(Method::GET, &path, None).await;
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn a_query_may_have_500_conditions_and_no_more() {
    let at = At::start().await;
    let or = |n: i64| {
        json!({"filter": [{"op": "or", "items": (0..n)
            .map(|i| json!({"op": "eq", "field": "id", "value": i}))
            .collect::<Vec<_>>()}]})
    };
    let (s, b) = at
        .call(Method::POST, "Companies/query", Some(or(500)))
        .await;
    assert_eq!(s, 200, "{b}");
    for n in [501, 600] {
        let (s, b) = at.call(Method::POST, "Companies/query", Some(or(n))).await;
        assert_eq!(s, 500, "{n} conditions: {b}");
        let msg = b["errors"][0].as_str().unwrap_or_default();
        assert!(msg.contains(&n.to_string()) && msg.contains("500"), "{b}");
    }
}

#[tokio::test]
async fn every_route_in_the_route_table_is_served() {
    let at = At::start().await;
    let fx = fixture(&at).await;
    let table = mock_psa::dialect::autotask::route_table();
    assert!(table.len() > 80, "{} routes", table.len());
    for route in table.iter().filter(|r| r.methods.contains(&"GET")) {
        let path = route.path.trim_start_matches('/');
        let parent = if path.starts_with("Tickets/") {
            fx.ticket
        } else {
            fx.company
        };
        let path = path
            .replace("{parentId}", &parent.to_string())
            .replace("{id}", "1");
        let path = if path.ends_with("/query/next") {
            format!("{path}?paging=%7B%7D&search=%7B%22filter%22%3A%5B%5D%7D")
        } else if path.contains("/query") {
            format!("{path}?search=%7B%22filter%22%3A%5B%5D%7D")
        } else if path == "zoneInformation" {
            format!("{path}?user=api@example.com")
        } else {
            path
        };
        let (s, b) = at.call(Method::GET, &path, None).await;
        assert_eq!(s, 200, "GET {path}: {b}");
    }
}
