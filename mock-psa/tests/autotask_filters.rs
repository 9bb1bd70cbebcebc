//! Table-driven tests of the Autotask query filter language over HTTP: all 13 operators and
//! and/or groups against fixed records, each case by POST body, by GET `?search=` and through
//! `/query/count`; and malformed queries, which must get 500 `{"errors": [...]}`.

mod support;

use mock_psa::{MockServer, Personality};
use reqwest::{Client, Method};
use serde_json::{json, Value};

struct At {
    server: MockServer,
    http: Client,
}

impl At {
    fn url(&self, path: &str) -> String {
        format!("{}/ATServicesRest/V1.0/{path}", self.server.origin())
    }

    async fn send(&self, rb: reqwest::RequestBuilder) -> (u16, Value) {
        let resp = rb
            .header("ApiIntegrationcode", "INTEGRATIONCODE")
            .header("UserName", "api@example.com")
            .header("Secret", "secret")
            .send()
            .await
            .expect("send");
        support::reply(resp).await
    }

    async fn post(&self, path: &str, body: &str) -> (u16, Value) {
        let rb = self
            .http
            .request(Method::POST, self.url(path))
            .header("Content-Type", "application/json")
            .body(body.to_string());
        self.send(rb).await
    }

    async fn get_search(&self, path: &str, search: &str) -> (u16, Value) {
        let rb = self.http.get(self.url(path)).query(&[("search", search)]);
        self.send(rb).await
    }
}

/// Five companies with fixed ids 2001-2005 (plus the tenant's own company 0, which every case
/// excludes with `id gt 0`).
async fn world() -> At {
    let (server, http) = support::start(Personality::Autotask).await;
    let at = At { server, http };
    let seed = json!({"native": {"companies": [
        {"id": 2001, "companyName": "Alpha Corp", "companyNumber": "ALPHA", "companyType": 1, "isActive": true,
         "phone": "555-0100", "city": "Springfield", "assetValue": 1500.5, "createDate": "2024-01-01T00:00:00Z",
         "ownerResourceID": 29682885, "userDefinedFields": [{"name": "Tier", "value": "Gold"}]},
        {"id": 2002, "companyName": "Beta LLC", "companyNumber": "BETA", "companyType": 3, "isActive": true,
         "phone": "555-0199", "city": "Shelbyville", "assetValue": 250.0, "createDate": "2024-02-01T00:00:00Z",
         "parentCompanyID": 2001, "userDefinedFields": [{"name": "Tier", "value": "Silver"}]},
        {"id": 2003, "companyName": "Gamma Inc", "companyNumber": "GAMMA", "companyType": 1, "isActive": false,
         "phone": "", "city": "Springfield", "createDate": "2024-03-01T00:00:00Z", "userDefinedFields": []},
        {"id": 2004, "companyName": "delta co", "companyNumber": "DELTA", "companyType": 7, "isActive": true,
         "phone": "555-0100", "assetValue": 0.0, "createDate": "2024-04-01T00:00:00Z"},
        {"id": 2005, "companyName": "Epsilon 100%", "companyNumber": "EPS100", "companyType": 8, "isActive": false,
         "phone": "555-0300", "city": "Capital City", "assetValue": 99999.99, "createDate": "2024-05-01T00:00:00Z",
         "userDefinedFields": [{"name": "Region", "value": "North"}]}
    ]}});
    let (status, body) = support::seed(&at.http, &at.server, seed.to_string()).await;
    assert!((200..300).contains(&status), "seed: {body}");
    at
}

const ALL: &[&str] = &["ALPHA", "BETA", "GAMMA", "DELTA", "EPS100"];

/// (filter items added to `id gt 0`, expected companyNumbers in id order).
fn cases() -> Vec<(Value, &'static [&'static str])> {
    vec![
        (
            json!([{"op": "eq", "field": "companyName", "value": "alpha corp"}]),
            &["ALPHA"],
        ),
        (
            json!([{"op": "eq", "field": "companyNumber", "value": "BETA"}]),
            &["BETA"],
        ),
        (
            json!([{"op": "noteq", "field": "companyType", "value": 1}]),
            &["BETA", "DELTA", "EPS100"],
        ),
        (
            json!([{"op": "gt", "field": "companyType", "value": 3}]),
            &["DELTA", "EPS100"],
        ),
        (
            json!([{"op": "gte", "field": "companyType", "value": 3}]),
            &["BETA", "DELTA", "EPS100"],
        ),
        (
            json!([{"op": "lt", "field": "companyType", "value": 3}]),
            &["ALPHA", "GAMMA"],
        ),
        (
            json!([{"op": "lte", "field": "companyType", "value": 3}]),
            &["ALPHA", "BETA", "GAMMA"],
        ),
        (
            json!([{"op": "beginsWith", "field": "companyName", "value": "ALP"}]),
            &["ALPHA"],
        ),
        (
            json!([{"op": "endsWith", "field": "companyName", "value": "co"}]),
            &["DELTA"],
        ),
        (
            json!([{"op": "contains", "field": "companyName", "value": "ta"}]),
            &["BETA", "DELTA"],
        ),
        (
            json!([{"op": "contains", "field": "companyName", "value": "%"}]),
            &["EPS100"],
        ),
        (
            json!([{"op": "exist", "field": "city"}]),
            &["ALPHA", "BETA", "GAMMA", "EPS100"],
        ),
        (json!([{"op": "notExist", "field": "city"}]), &["DELTA"]),
        (
            json!([{"op": "exist", "field": "assetValue"}]),
            &["ALPHA", "BETA", "DELTA", "EPS100"],
        ),
        (
            json!([{"op": "exist", "field": "parentCompanyID"}]),
            &["BETA"],
        ),
        (
            json!([{"op": "notExist", "field": "parentCompanyID"}]),
            &["ALPHA", "GAMMA", "DELTA", "EPS100"],
        ),
        (
            json!([{"op": "in", "field": "companyType", "value": [1, 8]}]),
            &["ALPHA", "GAMMA", "EPS100"],
        ),
        (
            json!([{"op": "notIn", "field": "companyType", "value": [1, 8]}]),
            &["BETA", "DELTA"],
        ),
        (
            json!([{"op": "in", "field": "companyNumber", "value": ["alpha", "DELTA"]}]),
            &["ALPHA", "DELTA"],
        ),
        (
            json!([{"op": "in", "field": "companyType", "value": ["3", "7"]}]),
            &["BETA", "DELTA"],
        ),
        (
            json!([{"op": "in", "field": "id", "value": [2001, 2005, 99999]}]),
            &["ALPHA", "EPS100"],
        ),
        (
            json!([{"op": "notIn", "field": "companyNumber", "value": ["ALPHA", "BETA", "GAMMA"]}]),
            &["DELTA", "EPS100"],
        ),
        (
            json!([{"op": "eq", "field": "isActive", "value": true}]),
            &["ALPHA", "BETA", "DELTA"],
        ),
        (
            json!([{"op": "eq", "field": "isActive", "value": "false"}]),
            &["GAMMA", "EPS100"],
        ),
        (
            json!([{"op": "noteq", "field": "isActive", "value": true}]),
            &["GAMMA", "EPS100"],
        ),
        (
            json!([{"op": "gt", "field": "assetValue", "value": 1000}]),
            &["ALPHA", "EPS100"],
        ),
        (
            json!([{"op": "lte", "field": "assetValue", "value": 250}]),
            &["BETA", "DELTA"],
        ),
        (
            json!([{"op": "eq", "field": "assetValue", "value": "1500.5"}]),
            &["ALPHA"],
        ),
        (
            json!([{"op": "gt", "field": "createDate", "value": "2024-02-15T00:00:00Z"}]),
            &["GAMMA", "DELTA", "EPS100"],
        ),
        (
            json!([{"op": "lt", "field": "createDate", "value": "2024-02-01T00:00:00Z"}]),
            &["ALPHA"],
        ),
        (
            json!([{"op": "gte", "field": "createDate", "value": "2024-02-01T00:00:00Z"},
                   {"op": "lte", "field": "createDate", "value": "2024-03-01T00:00:00Z"}]),
            &["BETA", "GAMMA"],
        ),
        (
            json!([{"op": "eq", "field": "id", "value": 2003}]),
            &["GAMMA"],
        ),
        (
            json!([{"op": "gt", "field": "id", "value": "2003"}]),
            &["DELTA", "EPS100"],
        ),
        (
            json!([{"op": "eq", "field": "ownerResourceID", "value": 29682885}]),
            &["ALPHA"],
        ),
        (
            json!([{"op": "eq", "field": "parentCompanyID", "value": 2001}]),
            &["BETA"],
        ),
        (
            json!([{"op": "eq", "field": "phone", "value": ""}]),
            &["GAMMA"],
        ),
        (
            json!([{"op": "beginsWith", "field": "phone", "value": "555-01"}]),
            &["ALPHA", "BETA", "DELTA"],
        ),
        (
            json!([{"op": "contains", "field": "city", "value": "field"}]),
            &["ALPHA", "GAMMA"],
        ),
        // A null never matches a comparison, not even noteq (only notExist).
        (
            json!([{"op": "noteq", "field": "city", "value": "Springfield"}]),
            &["BETA", "EPS100"],
        ),
        (
            json!([{"op": "lt", "field": "companyName", "value": "b"}]),
            &["ALPHA"],
        ),
        (
            json!([{"op": "endsWith", "field": "companyNumber", "value": "100"}]),
            &["EPS100"],
        ),
        (
            json!([{"op": "or", "items": [{"op": "eq", "field": "city", "value": "Springfield"},
                                          {"op": "eq", "field": "city", "value": "Shelbyville"}]}]),
            &["ALPHA", "BETA", "GAMMA"],
        ),
        (
            json!([{"op": "and", "items": [{"op": "eq", "field": "city", "value": "Springfield"},
                                           {"op": "eq", "field": "isActive", "value": true}]}]),
            &["ALPHA"],
        ),
        (
            json!([{"op": "or", "items": [
                {"op": "and", "items": [{"op": "eq", "field": "companyType", "value": 1},
                                        {"op": "eq", "field": "isActive", "value": false}]},
                {"op": "eq", "field": "companyNumber", "value": "EPS100"}]}]),
            &["GAMMA", "EPS100"],
        ),
        (
            json!([{"op": "or", "items": [
                {"op": "and", "items": [
                    {"op": "beginsWith", "field": "companyName", "value": "a"},
                    {"op": "or", "items": [{"op": "eq", "field": "phone", "value": "555-0100"},
                                           {"op": "eq", "field": "phone", "value": "nope"}]}]},
                {"op": "eq", "field": "companyType", "value": 7}]}]),
            &["ALPHA", "DELTA"],
        ),
        (
            json!([{"op": "eq", "field": "phone", "value": "555-0100"},
                   {"op": "eq", "field": "isActive", "value": true}]),
            &["ALPHA", "DELTA"],
        ),
        // Unknown operators are ignored by the real API: the rows come back unfiltered.
        (
            json!([{"op": "ne", "field": "companyType", "value": 1}]),
            ALL,
        ),
        (
            json!([{"op": "BeginsWith", "field": "companyName", "value": "gam"}]),
            &["GAMMA"],
        ),
        (
            json!([{"op": "EQ", "field": "COMPANYNAME", "value": "beta llc"}]),
            &["BETA"],
        ),
        (
            json!([{"Op": "eq", "Field": "companyNumber", "Value": "DELTA"}]),
            &["DELTA"],
        ),
        (
            json!([{"op": "eq", "field": "Tier", "value": "gold", "udf": true}]),
            &["ALPHA"],
        ),
        (
            json!([{"op": "exist", "field": "Region", "udf": true}]),
            &["EPS100"],
        ),
        (
            json!([{"op": "notExist", "field": "Tier", "udf": true}]),
            &["GAMMA", "DELTA", "EPS100"],
        ),
        (
            json!([{"op": "beginsWith", "field": "Tier", "value": "S", "udf": true}]),
            &["BETA"],
        ),
        (
            json!([{"op": "eq", "field": "companyName", "value": "no such company"}]),
            &[],
        ),
    ]
}

fn numbers(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {body}"))
        .iter()
        .map(|r| r["companyNumber"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn filter_table_by_post_get_search_and_count() {
    let at = world().await;
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut ops_seen = std::collections::BTreeSet::new();
    for (items, want) in cases {
        let mut filter = vec![json!({"op": "gt", "field": "id", "value": 0})];
        for item in items.as_array().unwrap() {
            ops_seen.insert(
                item.get("op")
                    .or(item.get("Op"))
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_ascii_lowercase(),
            );
            filter.push(item.clone());
        }
        let query = json!({ "filter": filter }).to_string();
        let (s, body) = at.post("Companies/query", &query).await;
        assert_eq!(s, 200, "{items}: {body}");
        assert_eq!(numbers(&body), want, "POST {items}");
        let (s, body) = at.get_search("Companies/query", &query).await;
        assert_eq!(s, 200, "{items}: {body}");
        assert_eq!(numbers(&body), want, "GET ?search= {items}");
        let (s, body) = at.post("Companies/query/count", &query).await;
        assert_eq!(s, 200, "{items}: {body}");
        assert_eq!(body, json!({"queryCount": want.len()}), "count {items}");
    }
    for op in [
        "eq",
        "noteq",
        "gt",
        "gte",
        "lt",
        "lte",
        "beginswith",
        "endswith",
        "contains",
        "exist",
        "notexist",
        "in",
        "notin",
        "and",
        "or",
    ] {
        assert!(ops_seen.contains(op), "no case uses {op}");
    }
}

#[tokio::test]
async fn include_fields_and_max_records_shape_the_page() {
    let at = world().await;
    let q = json!({"IncludeFields": ["CompanyNumber"], "MaxRecords": 2,
                   "filter": [{"op": "gt", "field": "id", "value": 0}]});
    let (s, body) = at.post("Companies/query", &q.to_string()).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(numbers(&body), ["ALPHA", "BETA"]);
    let first = body["items"][0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["companyNumber", "id", "userDefinedFields"]);
    assert_eq!(body["pageDetails"]["count"], 2);
    assert_eq!(body["pageDetails"]["requestCount"], 2);
    let next = body["pageDetails"]["nextPageUrl"]
        .as_str()
        .expect("next page");
    // The next page by GET (GET-style paging) and its prev link.
    let (s, page2) = at.send(at.http.get(next)).await;
    assert_eq!(s, 200, "{page2}");
    assert_eq!(numbers(&page2), ["GAMMA", "DELTA"]);
    assert!(page2["pageDetails"]["prevPageUrl"].is_string());
    let prev = page2["pageDetails"]["prevPageUrl"].as_str().unwrap();
    let (_, back) = at.send(at.http.get(prev)).await;
    assert_eq!(numbers(&back), ["ALPHA", "BETA"]);
}

/// (how the query is sent, the query text, words the error must contain).
fn malformed() -> Vec<(&'static str, String, &'static str)> {
    let mut deep = String::new();
    for _ in 0..300 {
        deep.push_str(r#"{"op":"or","items":["#);
    }
    deep.push_str(r#"{"op":"eq","field":"id","value":1}"#);
    for _ in 0..300 {
        deep.push_str("]}");
    }
    let deep = format!(r#"{{"filter":[{deep}]}}"#);
    vec![
        ("post", "{}".into(), "Parameter name: filters"),
        (
            "post",
            r#"{"MaxRecords": 5}"#.into(),
            "Parameter name: filters",
        ),
        ("post", "".into(), "Parameter name: filters"),
        ("post", r#"{"filter": "x"}"#.into(), "must be an array"),
        ("post", r#"{"filter": [5]}"#.into(), "must be an object"),
        (
            "post",
            r#"{"filter": [{"op": "eq", "field": "nope", "value": 1}]}"#.into(),
            "Unable to find nope in the Company Entity",
        ),
        (
            "post",
            r#"{"filter": [{"op": "or", "items": [{"op": "eq", "field": "nope", "value": 1}]}]}"#
                .into(),
            "Unable to find nope",
        ),
        (
            "post",
            r#"{"filter": [{"op": "eq", "value": 1}]}"#.into(),
            "Parameter name: field",
        ),
        (
            "post",
            r#"{"filter": [{"op": "eq", "field": "id"}]}"#.into(),
            "A value is required",
        ),
        (
            "post",
            r#"{"filter": [{"op": "eq", "field": "id", "value": null}]}"#.into(),
            "A value is required",
        ),
        (
            "post",
            r#"{"filter": [{"op": "eq", "field": "id", "value": [1, 2]}]}"#.into(),
            "Only in and notIn",
        ),
        (
            "post",
            r#"{"filter": [{"op": "eq", "field": "id", "value": "abc"}]}"#.into(),
            "Unable to convert",
        ),
        (
            "post",
            r#"{"filter": [{"op": "eq", "field": "isActive", "value": "maybe"}]}"#.into(),
            "Unable to convert",
        ),
        (
            "post",
            r#"{"filter": [{"op": "gt", "field": "createDate", "value": "yesterday"}]}"#.into(),
            "Unable to convert",
        ),
        (
            "post",
            r#"{"filter": [{"op": "eq", "field": "companyName", "value": {"a": 1}}]}"#.into(),
            "Unable to convert",
        ),
        (
            "post",
            r#"{"filter": [{"op": "in", "field": "companyType", "value": [1, "x"]}]}"#.into(),
            "Unable to convert",
        ),
        (
            "post",
            r#"{"filter": [{"op": "or", "items": 5}]}"#.into(),
            "must be an array",
        ),
        (
            "post",
            r#"{"filter": [{"op": "eq", "field": "Tier", "udf": true}]}"#.into(),
            "A value is required",
        ),
        (
            "post",
            "{filter:".into(),
            "Unable to parse the request body",
        ),
        ("post", deep, "Unable to parse the request body"),
        (
            "post",
            r#"{"MaxRecords": "abc", "filter": []}"#.into(),
            "Unable to convert abc",
        ),
        (
            "post",
            r#"{"IncludeFields": ["nope"], "filter": []}"#.into(),
            "Unable to find nope",
        ),
        ("get", "{nope".into(), "Unable to parse the search query"),
        (
            "get",
            r#"{"filter": [{"op": "lt", "field": "id", "value": true}]}"#.into(),
            "Unable to convert",
        ),
        (
            "next",
            r#"{"filter": [{"op": "gt", "field": "id", "value": 0}]}"#.into(),
            "Parameter name: paging",
        ),
    ]
}

#[tokio::test]
async fn malformed_queries_get_500_with_an_errors_array_never_a_crash() {
    let at = world().await;
    for (how, text, words) in malformed() {
        let shown: String = text.chars().take(80).collect();
        let (s, body) = match how {
            "post" => at.post("Companies/query", &text).await,
            "get" => at.get_search("Companies/query", &text).await,
            _ => at.post("Companies/query/next", &text).await,
        };
        assert_eq!(s, 500, "{how} {shown}: {body}");
        let errors = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{how} {shown}: {body}"));
        assert_eq!(errors.len(), 1, "{body}");
        let msg = errors[0].as_str().unwrap_or_default();
        assert!(
            msg.contains(words),
            "{how} {shown}: `{msg}` lacks `{words}`"
        );
        // The count route reads the same query and fails the same way.
        if how == "post" {
            let (s, body) = at.post("Companies/query/count", &text).await;
            assert_eq!(s, 500, "count {shown}: {body}");
            assert!(body["errors"][0]
                .as_str()
                .unwrap_or_default()
                .contains(words));
        }
    }
    // `filter: []` is not an error: it answers no rows.
    let (s, body) = at.post("Companies/query", r#"{"filter": []}"#).await;
    assert_eq!(s, 200);
    assert_eq!(body["items"], json!([]));
    // Still serving.
    let (s, body) = at
        .post(
            "Companies/query/count",
            r#"{"filter": [{"op": "gt", "field": "id", "value": 0}]}"#,
        )
        .await;
    assert_eq!((s, body), (200, json!({"queryCount": 5})));
}
