//! Autotask user-defined fields over real HTTP: the tenant's definitions are listed by
//! `entityInformation/userDefinedFields`; a write's `userDefinedFields` list is checked against
//! them (name, type, length, picklist), stored as strings and returned; a later write merges
//! by name; every refusal is the Autotask 500 naming the UDF and changes nothing.

mod support;

use support::autotask::At;

use reqwest::Method;
use serde_json::{json, Value};

impl At {
    async fn udfs(&self, id: i64) -> Value {
        let (s, b) = self
            .call(Method::GET, &format!("Companies/{id}"), None)
            .await;
        assert_eq!(s, 200, "{b}");
        b["item"]["userDefinedFields"].clone()
    }

    async fn count(&self) -> u64 {
        let (s, b) = self
            .call(
                Method::POST,
                "Companies/query/count",
                Some(json!({"filter": [{"op": "exist", "field": "id"}]})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        b["queryCount"].as_u64().expect("queryCount")
    }
}

fn company(n: usize, udfs: Value) -> Value {
    json!({"companyName": format!("UDF {n}"), "companyType": 1, "ownerResourceID": 29682885,
           "phone": "555", "userDefinedFields": udfs})
}

#[tokio::test]
async fn definitions_are_listed_per_entity() {
    let at = At::start().await;
    let (s, b) = at
        .call(
            Method::GET,
            "Companies/entityInformation/userDefinedFields",
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let names: Vec<(&str, &str)> = b["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["dataType"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("External ID", "string"),
            ("Employee Count", "integer"),
            ("Tier", "string")
        ]
    );
    assert_eq!(b["fields"][2]["isPickList"], json!(true));
    assert_eq!(b["fields"][2]["picklistValues"][0]["value"], json!("Gold"));
    // An entity without UDFs lists none; another has its own.
    let (_, b) = at
        .call(
            Method::GET,
            "CompanyLocations/entityInformation/userDefinedFields",
            None,
        )
        .await;
    assert_eq!(b["fields"], json!([]));
    let (_, b) = at
        .call(
            Method::GET,
            "Tickets/entityInformation/userDefinedFields",
            None,
        )
        .await;
    assert_eq!(b["fields"][0]["name"], json!("Customer Reference"));
}

#[tokio::test]
async fn udfs_round_trip_and_merge_by_name() {
    let at = At::start().await;
    let body = company(
        1,
        json!([{"name": "External ID", "value": "X-1"}, {"name": "employee count", "value": 42}]),
    );
    let (s, b) = at.call(Method::POST, "Companies", Some(body)).await;
    assert_eq!(s, 200, "{b}");
    let id = b["itemId"].as_i64().unwrap();
    assert_eq!(
        at.udfs(id).await,
        json!([{"name": "External ID", "value": "X-1"}, {"name": "Employee Count", "value": "42"}])
    );
    // A PATCH names only the UDFs it changes.
    let (s, b) = at
        .call(
            Method::PATCH,
            "Companies",
            Some(json!({"id": id, "userDefinedFields": [{"name": "Tier", "value": "Gold"},
                                                          {"name": "External ID", "value": "X-2"}]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        at.udfs(id).await,
        json!([{"name": "External ID", "value": "X-2"}, {"name": "Employee Count", "value": "42"},
               {"name": "Tier", "value": "Gold"}])
    );
    // A null value clears one.
    at.call(
        Method::PATCH,
        "Companies",
        Some(json!({"id": id, "userDefinedFields": [{"name": "Tier", "value": null}]})),
    )
    .await;
    assert_eq!(at.udfs(id).await[2], json!({"name": "Tier", "value": null}));
}

#[tokio::test]
async fn wrong_udfs_are_refused_naming_them_and_nothing_changes() {
    let at = At::start().await;
    let long = "x".repeat(101);
    let cases = [
        (json!([{"name": "Shoe Size", "value": "9"}]), "Shoe Size"),
        (
            json!([{"name": "Employee Count", "value": "many"}]),
            "Employee Count",
        ),
        (
            json!([{"name": "Employee Count", "value": {"n": 1}}]),
            "Employee Count",
        ),
        (
            json!([{"name": "External ID", "value": long}]),
            "External ID",
        ),
        (json!([{"name": "Tier", "value": "Platinum"}]), "Tier"),
        (json!({"External ID": "x"}), "userDefinedFields"),
        (json!(["x"]), "userDefinedFields"),
        (json!([{"value": "x"}]), "name"),
    ];
    let (s, b) = at
        .call(
            Method::POST,
            "Companies",
            Some(company(0, json!([{"name": "Tier", "value": "Silver"}]))),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let id = b["itemId"].as_i64().unwrap();
    for (i, (udfs, named)) in cases.into_iter().enumerate() {
        let before = at.count().await;
        let (s, b) = at
            .call(
                Method::POST,
                "Companies",
                Some(company(i + 10, udfs.clone())),
            )
            .await;
        assert_eq!(s, 500, "create {udfs}: {b}");
        assert!(b["errors"].to_string().contains(named), "{udfs}: {b}");
        assert_eq!(at.count().await, before, "{udfs}: stored anyway");
        let (s, b) = at
            .call(
                Method::PATCH,
                "Companies",
                Some(json!({"id": id, "userDefinedFields": udfs})),
            )
            .await;
        assert_eq!(s, 500, "patch {udfs}: {b}");
        assert_eq!(
            at.udfs(id).await,
            json!([{"name": "Tier", "value": "Silver"}])
        );
    }
}
