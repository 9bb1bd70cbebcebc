//! Generated from the ConnectWise schema data (`src/dialect/connectwise/schema.json`): for every
//! writable member of every resource the mock serves, a valid value is created and read back
//! equal, and a wrong-typed value is refused in the CW format naming the member, on create
//! (nothing stored) and as a PATCH replace (record unchanged). A second test prints the
//! member-count table and checks it against the description's counts.

mod support;

use support::within;

use base64::Engine;
use mock_psa::{MockServer, Personality};
use reqwest::{Client, Method};
use serde_json::{json, Map, Value};

const SCHEMA: &str = include_str!("../src/dialect/connectwise/schema.json");

fn schema() -> Value {
    serde_json::from_str(SCHEMA).expect("schema.json")
}

struct Cw {
    server: MockServer,
    http: Client,
}

impl Cw {
    async fn start() -> Cw {
        let (server, http) = support::start(Personality::Connectwise).await;
        Cw { server, http }
    }

    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
        let auth = base64::engine::general_purpose::STANDARD.encode("acme+public:private");
        let mut rb = self
            .http
            .request(
                method,
                format!("{}/v4_6_release/apis/3.0/{path}", self.server.origin()),
            )
            .header("Authorization", format!("Basic {auth}"))
            .header("clientId", "schema-test");
        if let Some(b) = body {
            rb = rb.json(b);
        }
        support::reply(rb.send().await.expect("send")).await
    }

    async fn create(&self, path: &str, body: Value) -> Value {
        let (status, got) = self.call(Method::POST, path, Some(&body)).await;
        assert_eq!(status, 201, "POST {path} {body}: {got}");
        got
    }

    async fn count(&self, path: &str) -> u64 {
        let (status, got) = self.call(Method::GET, &format!("{path}/count"), None).await;
        assert_eq!(status, 200, "{got}");
        got["count"].as_u64().expect("count")
    }
}

/// A served resource: its type in the schema, its collection, and a body holding what every
/// create needs (unique members get a serial suffix).
struct Served {
    type_name: &'static str,
    path: String,
    base: fn(u32) -> Value,
}

/// Ids of records every reference can point at.
struct Fixture {
    company: i64,
    site: i64,
    contact: i64,
}

async fn fixture(cw: &Cw) -> Fixture {
    let company = cw
        .create(
            "company/companies",
            json!({"identifier": "FIX", "name": "Fixture Co"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let site = cw
        .create(
            &format!("company/companies/{company}/sites"),
            json!({"name": "Fixture Site"}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let contact = cw
        .create(
            "company/contacts",
            json!({"firstName": "Fix", "lastName": "Ture", "company": {"id": company}}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    // The bases below name the fixture's company by id: the seed numbers companies from 250.
    assert_eq!(company, 250);
    Fixture {
        company,
        site,
        contact,
    }
}

fn served(fx: &Fixture) -> Vec<Served> {
    let c = fx.company;
    let named = |n: u32| json!({"name": format!("N{n}")});
    let described = |n: u32| json!({"description": format!("D{n}")});
    let mut v = vec![
        Served {
            type_name: "Company",
            path: "company/companies".into(),
            base: |n| json!({"identifier": format!("C{n}"), "name": format!("Co {n}")}),
        },
        Served {
            type_name: "CompanySite",
            path: format!("company/companies/{c}/sites"),
            base: named,
        },
        Served {
            type_name: "Contact",
            path: "company/contacts".into(),
            base: |n| json!({"firstName": format!("F{n}")}),
        },
        Served {
            type_name: "ContactCommunication",
            path: format!("company/contacts/{}/communications", fx.contact),
            base: |n| json!({"type": {"id": 1}, "value": format!("c{n}@x.test")}),
        },
        Served {
            type_name: "Ticket",
            path: "service/tickets".into(),
            base: |n| json!({"summary": format!("T{n}"), "company": {"id": 250}}),
        },
        Served {
            type_name: "Configuration",
            path: "company/configurations".into(),
            base: |n| json!({"name": format!("Cfg{n}"), "type": {"id": 1}, "company": {"id": 250}}),
        },
        Served {
            type_name: "BoardStatus",
            path: "service/boards/1/statuses".into(),
            base: named,
        },
    ];
    for (t, p, b) in [
        (
            "CompanyType",
            "company/companies/types",
            named as fn(u32) -> Value,
        ),
        ("CompanyStatus", "company/companies/statuses", named),
        ("ContactType", "company/contacts/types", described),
        (
            "CommunicationType",
            "company/communicationTypes",
            |n| json!({"description": format!("D{n}"), "emailFlag": true}),
        ),
        ("ConfigurationType", "company/configurations/types", named),
        (
            "ConfigurationStatus",
            "company/configurations/statuses",
            described,
        ),
        ("Manufacturer", "procurement/manufacturers", named),
        ("Country", "company/countries", named),
        ("Board", "service/boards", named),
        (
            "Priority",
            "service/priorities",
            |n| json!({"name": format!("P{n}"), "color": "Red"}),
        ),
    ] {
        v.push(Served {
            type_name: t,
            path: p.into(),
            base: b,
        });
    }
    v
}

/// A value of the member's type, for the member's owner (`fx` gives referenced ids).
fn valid(member: &Value, fx: &Fixture, doc: &Value) -> Value {
    let name = member["name"].as_str().unwrap();
    let max = member["max_length"].as_u64().unwrap_or(40) as usize;
    match member["type"].as_str().unwrap() {
        "string" => json!(format!("v-{name}").chars().take(max).collect::<String>()),
        "integer" => json!(7),
        "number" => json!(2.5),
        "boolean" => json!(true),
        "datetime" => json!("2024-05-01T10:00:00Z"),
        "date" => json!("2024-05-01"),
        "uuid" => json!("0b8c9e1a-1111-2222-3333-444455556666"),
        "scalar" => json!("s"),
        "enum" => member["values"].as_array().unwrap().last().unwrap().clone(),
        "string_list" => json!(["a", "b"]),
        "integer_list" => json!([1, 2]),
        "custom_fields" => json!([nested("CustomFieldValue", fx, doc)]),
        "object_list" => json!([nested(member["of"].as_str().unwrap(), fx, doc)]),
        "reference" => reference(member["ref"].as_str().unwrap(), fx, doc),
        "reference_list" => json!([reference(member["ref"].as_str().unwrap(), fx, doc)]),
        other => panic!("no valid value for {other}"),
    }
}

/// Every writable member of a nested type.
fn nested(type_name: &str, fx: &Fixture, doc: &Value) -> Value {
    let mut o = Map::new();
    for m in doc["resources"][type_name]["members"].as_array().unwrap() {
        if m["read_only"] != json!(true) && m["name"] != "id" {
            o.insert(m["name"].as_str().unwrap().into(), valid(m, fx, doc));
        }
    }
    if type_name == "ContactCommunicationItem" {
        o.insert("type".into(), json!({"id": 1}));
    }
    Value::Object(o)
}

fn reference(type_name: &str, fx: &Fixture, doc: &Value) -> Value {
    match doc["references"][type_name]["table"].as_str() {
        Some("companies") => json!({"id": fx.company}),
        Some("company_sites") => json!({"id": fx.site}),
        Some("contacts") => json!({"id": fx.contact}),
        // Seeded lookups all have id 1 (board statuses of board 1 too).
        Some(_) => json!({"id": 1}),
        // Not served by the mock: kept as written.
        None => json!({"id": 3, "name": "Elsewhere"}),
    }
}

/// A value of another type: the member must refuse it.
fn wrong(member: &Value) -> Value {
    match member["type"].as_str().unwrap() {
        "string" => json!(12),
        "integer" => json!("seven"),
        "number" | "boolean" | "datetime" | "uuid" | "enum" => json!({"a": 1}),
        "scalar" => json!({"a": 1}),
        "reference_list" => json!({"id": 1}),
        _ => json!("x"),
    }
}

/// Names the member: the path of a conversion error or the field of an invalid one.
fn names_member(body: &Value, member: &str) -> bool {
    let msg = body["message"].as_str().unwrap_or("");
    msg.contains(&format!("Path '{member}"))
        || body["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|x| x["field"] == member))
}

#[tokio::test]
async fn every_member_round_trips_and_every_wrong_type_is_refused() {
    let cw = Cw::start().await;
    let doc = schema();
    let fx = fixture(&cw).await;
    let mut serial = 0u32;
    let mut checked = 0;
    for res in served(&fx) {
        let members = doc["resources"][res.type_name]["members"]
            .as_array()
            .unwrap_or_else(|| panic!("{} in schema", res.type_name));
        for m in members {
            let name = m["name"].as_str().unwrap();
            if m["read_only"] == json!(true) {
                continue;
            }
            serial += 1;
            let mut body = (res.base)(serial);
            let value = valid(m, &fx, &doc);
            body[name] = value.clone();
            let what = format!("{}.{name}", res.type_name);
            // Valid: created, and read back equal.
            let (status, created) = cw.call(Method::POST, &res.path, Some(&body)).await;
            assert_eq!(status, 201, "{what} = {value}: {created}");
            let id = created["id"].as_i64().unwrap();
            let (_, got) = cw
                .call(Method::GET, &format!("{}/{id}", res.path), None)
                .await;
            // A new company's `site` names the site to create with it (a new id).
            let special = res.type_name == "Company" && name == "site";
            if !special {
                assert!(
                    within(&value, &got[name]),
                    "{what}: sent {value}, read back {}",
                    got[name]
                );
            }
            // Wrong type on create: refused naming the member, nothing stored.
            serial += 1;
            let mut bad = (res.base)(serial);
            bad[name] = wrong(m);
            let before = cw.count(&res.path).await;
            let (status, refused) = cw.call(Method::POST, &res.path, Some(&bad)).await;
            assert_eq!(status, 400, "{what} = {}: {refused}", bad[name]);
            assert!(names_member(&refused, name), "{what}: {refused}");
            assert_eq!(cw.count(&res.path).await, before, "{what}: stored anyway");
            // Wrong type as a PATCH replace: refused, the record unchanged.
            let ops = json!([{"op": "replace", "path": name, "value": wrong(m)}]);
            let item = format!("{}/{id}", res.path);
            let (status, refused) = cw.call(Method::PATCH, &item, Some(&ops)).await;
            assert_eq!(status, 400, "PATCH {what}: {refused}");
            assert!(names_member(&refused, name), "PATCH {what}: {refused}");
            let (_, after) = cw.call(Method::GET, &item, None).await;
            assert_eq!(after, got, "PATCH {what} changed the record");
            checked += 1;
        }
    }
    // Every served type's writable members (more than the sync uses by far).
    assert!(checked > 400, "only {checked} members checked");
}

#[test]
fn member_counts_equal_the_published_description() {
    let doc = schema();
    let mut table = String::from("type                       members  published\n");
    let mut wrong = Vec::new();
    for (name, t) in doc["resources"].as_object().unwrap() {
        let n = t["members"].as_array().unwrap().len();
        let published = t["published_members"].as_u64().unwrap() as usize;
        table.push_str(&format!("{name:<26} {n:>7}  {published:>9}\n"));
        if n != published {
            wrong.push(name.clone());
        }
        let mut names: Vec<&str> = t["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        names.sort_unstable_by_key(|n| n.to_ascii_lowercase());
        names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        assert_eq!(names.len(), n, "{name}: a member listed twice");
    }
    println!("{table}");
    assert!(wrong.is_empty(), "counts differ for {wrong:?}\n{table}");
    // The sizes of the description's models, as published (pyconnectwise 0.6.1.2).
    for (name, n) in [
        ("Company", 69),
        ("CompanySite", 26),
        ("Contact", 62),
        ("Configuration", 56),
        ("Ticket", 108),
    ] {
        assert_eq!(
            doc["resources"][name]["published_members"],
            json!(n),
            "{name}"
        );
    }
}

#[tokio::test]
async fn company_info_and_system_info_agree_on_cloud() {
    let cw = Cw::start().await;
    let (status, system) = cw.call(Method::GET, "system/info", None).await;
    assert_eq!(status, 200, "{system}");
    let url = format!("{}/login/companyinfo/acme", cw.server.origin());
    let (status, company) = support::reply(cw.http.get(url).send().await.expect("send")).await;
    assert_eq!(status, 200, "{company}");
    assert_eq!(
        company["IsCloud"], system["isCloud"],
        "{company} vs {system}"
    );
    assert_eq!(system["isCloud"], json!(true));
}

/// The route table a listing reads is the one the router serves: every collection and count
/// route in it answers 200, and a path outside it answers the CW 404.
#[tokio::test]
async fn route_table_matches_the_router() {
    let cw = Cw::start().await;
    let fx = fixture(&cw).await;
    let table = mock_psa::dialect::connectwise::route_table();
    let mut listed = 0;
    for row in &table {
        if row.path.contains("{id}") || row.path.starts_with("/login") {
            continue;
        }
        let pid = if row.path.starts_with("/company/companies/{pid}") {
            fx.company
        } else if row.path.starts_with("/company/contacts/{pid}") {
            fx.contact
        } else {
            1
        };
        let path = row.path.replace("{pid}", &pid.to_string());
        let (status, body) = cw.call(Method::GET, &path[1..], None).await;
        assert_eq!(status, 200, "{path}: {body}");
        listed += 1;
    }
    assert!(listed >= 35, "only {listed} routes listed");
    let (status, body) = cw.call(Method::GET, "company/nothing-here", None).await;
    assert_eq!((status, body["code"].clone()), (404, json!("NotFound")));
}

/// Members the old fixed lists lacked are first-class in queries: `conditions`, `orderBy` and
/// `fields` reach them like any other.
#[tokio::test]
async fn queries_reach_every_member() {
    let cw = Cw::start().await;
    let fx = fixture(&cw).await;
    for (name, bill, login) in [("A", true, "zed"), ("B", false, "amy"), ("C", true, "kim")] {
        cw.create(
            "company/configurations",
            json!({"name": name, "type": {"id": 1}, "company": {"id": fx.company},
                   "billFlag": bill, "lastLoginName": login,
                   "installedBy": {"id": 9, "identifier": "tech9"}}),
        )
        .await;
    }
    let (status, rows) = cw
        .call(
            Method::GET,
            "company/configurations?conditions=billFlag=true and installedBy/identifier=\"tech9\"&orderBy=lastLoginName desc&fields=name,lastLoginName,installedBy/identifier",
            None,
        )
        .await;
    assert_eq!(status, 200, "{rows}");
    assert_eq!(
        rows,
        json!([
            {"name": "A", "lastLoginName": "zed", "installedBy": {"identifier": "tech9"}},
            {"name": "C", "lastLoginName": "kim", "installedBy": {"identifier": "tech9"}}
        ])
    );
}

/// Wrong types inside and around nested members: for every reference of every served type a
/// number, a string, an object with a wrong-typed `id`/`name`; for every reference list an
/// object, a list of numbers and a list holding a wrong-typed reference; for every nested list
/// (custom fields, communication items, questions) an item with each member wrong-typed.
/// Each is refused in CW's format naming the member (its Json.NET path), nothing stored.
fn nested_wrongs(m: &Value, fx: &Fixture, doc: &Value) -> Vec<(Value, String)> {
    let name = m["name"].as_str().unwrap();
    let item_of = |of: &str| -> Vec<(Value, String)> {
        let good = nested(of, fx, doc);
        let mut v = Vec::new();
        for n in doc["resources"][of]["members"].as_array().unwrap() {
            let inner = n["name"].as_str().unwrap();
            if n["read_only"] == json!(true) || good.get(inner).is_none() {
                continue;
            }
            let mut item = good.clone();
            item[inner] = wrong(n);
            v.push((json!([item]), format!("{name}[0].{inner}")));
        }
        v.push((json!([5]), format!("{name}[0]")));
        v
    };
    match m["type"].as_str().unwrap() {
        "reference" => vec![
            (json!(5), name.to_string()),
            (json!("x"), name.to_string()),
            (json!({"id": "x"}), format!("{name}.id")),
            (json!({"id": {"id": 1}}), format!("{name}.id")),
            (json!({"name": 5}), format!("{name}.name")),
        ],
        "reference_list" => vec![
            (json!({}), name.to_string()),
            (json!([5]), format!("{name}[0]")),
            (json!([{"id": "x"}]), format!("{name}[0].id")),
        ],
        "custom_fields" => item_of("CustomFieldValue"),
        "object_list" => item_of(m["of"].as_str().unwrap()),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn nested_wrong_types_are_refused_naming_the_member() {
    let cw = Cw::start().await;
    let doc = schema();
    let fx = fixture(&cw).await;
    let mut serial = 10_000u32;
    let mut checked = 0;
    for res in served(&fx) {
        for m in doc["resources"][res.type_name]["members"]
            .as_array()
            .unwrap()
        {
            if m["read_only"] == json!(true) {
                continue;
            }
            let name = m["name"].as_str().unwrap();
            for (bad, path) in nested_wrongs(m, &fx, &doc) {
                serial += 1;
                let mut body = (res.base)(serial);
                body[name] = bad.clone();
                let what = format!("{}.{name} = {bad}", res.type_name);
                let before = cw.count(&res.path).await;
                let (status, refused) = cw.call(Method::POST, &res.path, Some(&body)).await;
                assert_eq!(status, 400, "{what}: {refused}");
                assert!(
                    names_member(&refused, &path) || names_member(&refused, name),
                    "{what}: does not name {path}: {refused}"
                );
                assert_eq!(cw.count(&res.path).await, before, "{what}: stored anyway");
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} nested wrong types checked");
}
