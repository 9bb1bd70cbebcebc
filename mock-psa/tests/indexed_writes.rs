//! The store's indexes seen through the API: unique-key checks, references by name and
//! sub-record ids follow every update and delete. Each case first uses the look-up (so the
//! index is built), then changes the keyed member over HTTP, then looks again: a stale index
//! would answer from the old value.

mod support;

use mock_psa::Personality;
use serde_json::{json, Value};
use support::kit::Kit;

const CW: &str = "/v4_6_release/apis/3.0";

async fn seed(kit: &Kit, yaml: &str) -> (u16, Value) {
    support::seed(&kit.http, &kit.server, yaml).await
}

async fn cw(kit: &Kit, method: &str, path: &str, body: Value) -> (u16, Value) {
    let body = (!body.is_null()).then(|| body.to_string());
    kit.send(method, &format!("{CW}{path}"), body).await
}

fn replace(path: &str, value: Value) -> Value {
    json!([{"op": "replace", "path": path, "value": value}])
}

#[tokio::test]
async fn connectwise_identifier_uniqueness_follows_renames_and_deletes() {
    let kit = Kit::start(Personality::Connectwise).await;
    let company = |identifier: &str| json!({"identifier": identifier, "name": identifier});
    let (s, a) = cw(&kit, "POST", "/company/companies", company("Alpha")).await;
    assert_eq!(s, 201, "{a}");
    let a = a["id"].as_i64().unwrap();
    let (s, b) = cw(&kit, "POST", "/company/companies", company("ALPHA")).await;
    assert_eq!(
        (s, b["errors"][0]["code"].clone()),
        (400, json!("ObjectExists"))
    );

    // Renamed: the old identifier is free, the new one taken; a record does not clash with
    // itself.
    let path = format!("/company/companies/{a}");
    let (s, r) = cw(&kit, "PATCH", &path, replace("identifier", json!("Beta"))).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = cw(&kit, "POST", "/company/companies", company("beta")).await;
    assert_eq!(s, 400, "{r}");
    let (s, r) = cw(&kit, "PATCH", &path, replace("identifier", json!("BETA"))).await;
    assert_eq!(s, 200, "{r}");
    let (s, c) = cw(&kit, "POST", "/company/companies", company("alpha")).await;
    assert_eq!(s, 201, "{c}");

    // Deleted: its identifier is free again.
    let c = c["id"].as_i64().unwrap();
    let (s, r) = cw(
        &kit,
        "DELETE",
        &format!("/company/companies/{c}"),
        Value::Null,
    )
    .await;
    assert!(s < 300, "{s} {r}");
    let (s, r) = cw(&kit, "POST", "/company/companies", company("Alpha")).await;
    assert_eq!(s, 201, "{r}");
}

#[tokio::test]
async fn connectwise_references_by_name_follow_renames() {
    let kit = Kit::start(Personality::Connectwise).await;
    let (s, co) = cw(
        &kit,
        "POST",
        "/company/companies",
        json!({"identifier": "Gamma", "name": "Gamma Inc"}),
    )
    .await;
    assert_eq!(s, 201, "{co}");
    let contact = |name: &str| json!({"firstName": "Jo", "company": {"name": name}});
    let (s, r) = cw(&kit, "POST", "/company/contacts", contact("gamma inc")).await;
    assert_eq!((s, &r["company"]["id"]), (201, &co["id"]), "{r}");

    let path = format!("/company/companies/{}", co["id"]);
    let (s, r) = cw(&kit, "PATCH", &path, replace("name", json!("Delta Inc"))).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = cw(&kit, "POST", "/company/contacts", contact("Gamma Inc")).await;
    assert_eq!(s, 400, "{r}");
    assert!(r.to_string().contains("name=Gamma Inc"), "{r}");
    let (s, r) = cw(&kit, "POST", "/company/contacts", contact("DELTA INC")).await;
    assert_eq!((s, &r["company"]["id"]), (201, &co["id"]), "{r}");
}

#[tokio::test]
async fn connectwise_ticket_contacts_follow_a_move_to_another_company() {
    let kit = Kit::start(Personality::Connectwise).await;
    let (s, r) = seed(
        &kit,
        "companies: [{name: Acme}, {name: Bolt}]\n\
         contacts: [{company: Acme, first_name: Jo, last_name: Doe}]\n\
         tickets: [{company: Acme, title: First, contact: Jo Doe}]\n",
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let jo = &r["created"]["contacts"][0];
    let bolt = &r["created"]["companies"][1];
    let (s, r) = cw(
        &kit,
        "PATCH",
        &format!("/company/contacts/{jo}"),
        replace("company", json!({"id": bolt})),
    )
    .await;
    assert_eq!(s, 200, "{r}");

    let (s, r) = seed(
        &kit,
        "tickets: [{company: Acme, title: Second, contact: Jo Doe}]",
    )
    .await;
    assert_eq!(s, 400, "{r}");
    assert!(r.to_string().contains("no contact named `Jo Doe`"), "{r}");
    let (s, r) = seed(
        &kit,
        "tickets: [{company: Bolt, title: Third, contact: Jo Doe}]",
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let ticket = &r["created"]["tickets"][0];
    let (s, t) = cw(
        &kit,
        "GET",
        &format!("/service/tickets/{ticket}"),
        Value::Null,
    )
    .await;
    assert_eq!((s, &t["contact"]["id"]), (200, jo), "{t}");
}

/// Phone ids of the stored BMS contacts, by first name.
async fn phone_ids(kit: &Kit) -> Vec<(String, i64)> {
    kit.records().await["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .flat_map(|c| {
            let name = c["firstName"].as_str().unwrap_or("").to_string();
            c["phones"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(move |p| Some((name.clone(), p["id"].as_i64()?)))
        })
        .collect()
}

#[tokio::test]
async fn bms_sub_record_ids_follow_deletes_and_new_phones() {
    let kit = Kit::start(Personality::Bms).await;
    let (s, r) = seed(
        &kit,
        "companies: [{name: Acme}]\n\
         contacts: [{company: Acme, first_name: Ann, last_name: A, phone: '1'},\n\
         \x20          {company: Acme, first_name: Bob, last_name: B, phone: '2'}]\n",
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let ids = phone_ids(&kit).await;
    let (ann, bob) = (ids[0].1, ids[1].1);
    assert_eq!(
        (ids[0].0.as_str(), ids[1].0.as_str(), bob),
        ("Ann", "Bob", ann + 1)
    );

    // The next phone is one above the highest stored: Bob's is gone with him.
    let bob_id = &r["created"]["contacts"][1];
    let (s, r) = kit
        .send("DELETE", &format!("/v2/crm/contacts/{bob_id}"), None)
        .await;
    assert!(s < 300, "{s} {r}");
    let (s, r) = seed(
        &kit,
        "contacts: [{company: Acme, first_name: Cy, last_name: C, phone: '3'}]",
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let cy = phone_ids(&kit).await;
    assert_eq!(cy.last(), Some(&("Cy".to_string(), ann + 1)), "{cy:?}");

    // A phone added to Ann over the API raises the highest; the next contact's is above it.
    let contacts = kit.records().await["contacts"].clone();
    let ann_row = contacts
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["firstName"] == "Ann")
        .unwrap()["id"]
        .clone();
    let add = json!([{"Operation": "Add", "PhoneNumber": "555-0199"}]);
    let (s, r) = kit
        .send(
            "PATCH",
            &format!("/v2/crm/contacts/{ann_row}/phones"),
            Some(add.to_string()),
        )
        .await;
    assert!(s < 300, "{s} {r}");
    let (s, r) = seed(
        &kit,
        "contacts: [{company: Acme, first_name: Di, last_name: D, phone: '4'}]",
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let all = phone_ids(&kit).await;
    let highest_ann = all
        .iter()
        .filter(|(n, _)| n == "Ann")
        .map(|(_, i)| *i)
        .max();
    assert_eq!(highest_ann, Some(ann + 2), "{all:?}");
    assert_eq!(all.last(), Some(&("Di".to_string(), ann + 3)), "{all:?}");
}
