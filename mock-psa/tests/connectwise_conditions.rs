//! Table-driven tests of the ConnectWise query languages over HTTP: `conditions`,
//! `childConditions` and `customFieldConditions` against a fixed set of records, on the list
//! and `/count` routes, and malformed input that must get the 400 `ConnectWiseApi` envelope.

mod support;

use mock_psa::{MockServer, Personality};
use reqwest::{Client, Method};
use serde_json::{json, Value};

const BASE: &str = "/v4_6_release/apis/3.0";
const AUTH: &str = "Basic YWNtZStwdWJsaWM6cHJpdmF0ZQ=="; // acme+public:private

struct Cw {
    server: MockServer,
    http: Client,
}

impl Cw {
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{BASE}{path}", self.server.origin());
        let mut rb = self
            .http
            .request(method, url)
            .query(query)
            .header("Authorization", AUTH)
            .header("clientId", "conditions-test");
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        support::reply(rb.send().await.expect("send")).await
    }

    async fn admin(&self, path: &str, body: Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.server.admin_url()))
            .json(&body)
            .send()
            .await
            .expect("admin");
        assert!(
            resp.status().is_success(),
            "{path}: {}",
            resp.text().await.unwrap_or_default()
        );
    }

    async fn create(&self, path: &str, body: Value) -> Value {
        let (s, b) = self.call(Method::POST, path, &[], Some(body)).await;
        assert_eq!(s, 201, "{path}: {b}");
        b
    }
}

/// Five companies a day apart (ids 250-254), with every kind of member the grammar compares.
async fn world() -> Cw {
    let (server, http) = support::start(Personality::Connectwise).await;
    let cw = Cw { server, http };
    cw.admin("/clock", json!({"set": "2024-01-01T00:00:00Z"}))
        .await;
    let companies = [
        json!({"identifier": "ALPHA", "name": "Alpha Corp", "status": {"name": "Active"}, "types": [{"name": "Customer"}],
               "numberOfEmployees": 10, "leadFlag": false, "dateAcquired": "2020-01-15T00:00:00Z", "city": "Springfield",
               "annualRevenue": 1500000.5, "phoneNumber": "555-0100",
               "customFields": [{"id": 1, "caption": "Tier", "type": "Text", "entryMethod": "EntryField", "value": "Gold"}]}),
        json!({"identifier": "BETA", "name": "Beta LLC", "status": {"name": "Active"}, "types": [{"name": "Prospect"}],
               "numberOfEmployees": 250, "leadFlag": true, "dateAcquired": "2021-06-01T00:00:00Z", "city": "Shelbyville",
               "annualRevenue": 250000, "parentCompany": {"identifier": "ALPHA"},
               "customFields": [{"id": 1, "caption": "Tier", "type": "Text", "entryMethod": "EntryField", "value": "Silver"}]}),
        json!({"identifier": "GAMMA", "name": "Gamma \"Quoted\" Inc", "status": {"name": "Inactive"}, "types": [{"name": "Customer"}],
               "leadFlag": false, "city": "Springfield", "customFields": []}),
        json!({"identifier": "DELTA", "name": "delta co", "status": {"name": "Not Approved"}, "types": [{"name": "Vendor"}],
               "numberOfEmployees": 5, "leadFlag": false, "dateAcquired": "2019-12-31T00:00:00Z", "annualRevenue": 0}),
        json!({"identifier": "EPS100", "name": "Epsilon 100%", "status": {"name": "Active"}, "types": [{"name": "Partner"}],
               "numberOfEmployees": 1000, "leadFlag": false, "dateAcquired": "2022-02-02T00:00:00Z", "city": "Capital City",
               "phoneNumber": "555-0100",
               "customFields": [{"id": 1, "caption": "Tier", "type": "Text", "entryMethod": "EntryField", "value": null},
                                {"id": 2, "caption": "Region", "type": "Text", "entryMethod": "EntryField", "value": "North"}]}),
    ];
    for (i, c) in companies.into_iter().enumerate() {
        let made = cw.create("/company/companies", c).await;
        assert_eq!(made["id"], 250 + i as i64);
        cw.admin("/clock", json!({"advance": 86400})).await;
    }
    let contacts = [
        json!({"firstName": "Ann", "lastName": "Lee", "company": {"identifier": "ALPHA"}, "types": [{"name": "End User"}],
               "communicationItems": [{"type": {"name": "Email"}, "value": "ann@alpha.test", "defaultFlag": true},
                                      {"type": {"name": "Direct"}, "value": "555-0100", "defaultFlag": true}]}),
        json!({"firstName": "Bob", "lastName": "Ray", "company": {"identifier": "BETA"}, "types": [{"name": "Approver"}],
               "communicationItems": [{"type": {"name": "Email"}, "value": "bob@beta.test", "defaultFlag": true},
                                      {"type": {"name": "Cell"}, "value": "555-0199"}]}),
        json!({"firstName": "Cy", "lastName": "Fox", "company": {"identifier": "ALPHA"},
               "communicationItems": [{"type": {"name": "Direct"}, "value": "555-0100"},
                                      {"type": {"name": "Personal Email"}, "value": "cy@home.test"}]}),
    ];
    for c in contacts {
        cw.create("/company/contacts", c).await;
    }
    cw
}

fn field_of(rows: &Value, key: &str) -> Vec<String> {
    rows.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {rows}"))
        .iter()
        .map(|r| r[key].as_str().unwrap_or_default().to_string())
        .collect()
}

/// (parameter, expression, expected identifiers in id order).
const COMPANY_CASES: &[(&str, &str, &[&str])] = &[
    ("conditions", r#"identifier = "ALPHA""#, &["ALPHA"]),
    ("conditions", r#"identifier = "alpha""#, &["ALPHA"]),
    (
        "conditions",
        r#"identifier != "ALPHA""#,
        &["BETA", "GAMMA", "DELTA", "EPS100"],
    ),
    ("conditions", "name = 'Beta LLC'", &["BETA"]),
    ("conditions", r#"name = "Gamma \"Quoted\" Inc""#, &["GAMMA"]),
    ("conditions", "numberOfEmployees = 10", &["ALPHA"]),
    ("conditions", "numberOfEmployees > 10", &["BETA", "EPS100"]),
    (
        "conditions",
        "numberOfEmployees >= 10",
        &["ALPHA", "BETA", "EPS100"],
    ),
    ("conditions", "numberOfEmployees < 10", &["DELTA"]),
    ("conditions", "numberOfEmployees <= 10", &["ALPHA", "DELTA"]),
    (
        "conditions",
        "numberOfEmployees != 10",
        &["BETA", "GAMMA", "DELTA", "EPS100"],
    ),
    ("conditions", "numberOfEmployees = null", &["GAMMA"]),
    (
        "conditions",
        "numberOfEmployees != null",
        &["ALPHA", "BETA", "DELTA", "EPS100"],
    ),
    ("conditions", "annualRevenue > 1000000", &["ALPHA"]),
    ("conditions", "annualRevenue = 1500000.5", &["ALPHA"]),
    (
        "conditions",
        "annualRevenue >= 0",
        &["ALPHA", "BETA", "DELTA"],
    ),
    ("conditions", "leadFlag = true", &["BETA"]),
    (
        "conditions",
        "leadFlag = False",
        &["ALPHA", "GAMMA", "DELTA", "EPS100"],
    ),
    ("conditions", "leadFlag = TRUE", &["BETA"]),
    ("conditions", r#"name contains "co""#, &["ALPHA", "DELTA"]),
    (
        "conditions",
        r#"name not contains "co""#,
        &["BETA", "GAMMA", "EPS100"],
    ),
    ("conditions", r#"name like "Alpha%""#, &["ALPHA"]),
    ("conditions", r#"name like "%co""#, &["DELTA"]),
    ("conditions", r#"name like "%ta%""#, &["BETA", "DELTA"]),
    ("conditions", r#"name like "*LLC""#, &["BETA"]),
    ("conditions", r#"name not like "%a%""#, &["EPS100"]),
    ("conditions", r#"name like "Epsilon 100%""#, &["EPS100"]),
    (
        "conditions",
        r#"identifier in ("ALPHA", "gamma")"#,
        &["ALPHA", "GAMMA"],
    ),
    (
        "conditions",
        "numberOfEmployees in (5, 250)",
        &["BETA", "DELTA"],
    ),
    (
        "conditions",
        r#"identifier not in ("ALPHA", "BETA")"#,
        &["GAMMA", "DELTA", "EPS100"],
    ),
    ("conditions", "id in (250, 252)", &["ALPHA", "GAMMA"]),
    ("conditions", "id >= 253", &["DELTA", "EPS100"]),
    (
        "conditions",
        r#"status/name = "Active""#,
        &["ALPHA", "BETA", "EPS100"],
    ),
    ("conditions", r#"status/name = "Not Approved""#, &["DELTA"]),
    ("conditions", "status/id = 2", &["GAMMA"]),
    (
        "conditions",
        r#"types/name = "Customer""#,
        &["ALPHA", "GAMMA"],
    ),
    (
        "conditions",
        r#"types/name != "Customer""#,
        &["BETA", "DELTA", "EPS100"],
    ),
    ("conditions", "parentCompany/id = 250", &["BETA"]),
    (
        "conditions",
        r#"parentCompany/name = "Alpha Corp""#,
        &["BETA"],
    ),
    (
        "conditions",
        "parentCompany = null",
        &["ALPHA", "GAMMA", "DELTA", "EPS100"],
    ),
    (
        "conditions",
        r#"city = "Springfield" and leadFlag = false"#,
        &["ALPHA", "GAMMA"],
    ),
    (
        "conditions",
        r#"city = "Springfield" or city = "Shelbyville""#,
        &["ALPHA", "BETA", "GAMMA"],
    ),
    ("conditions", "city = null", &["DELTA"]),
    // `and` binds tighter than `or`.
    (
        "conditions",
        r#"identifier = "DELTA" or identifier = "BETA" and leadFlag = false"#,
        &["DELTA"],
    ),
    (
        "conditions",
        r#"(identifier = "DELTA" or identifier = "BETA") and leadFlag = true"#,
        &["BETA"],
    ),
    (
        "conditions",
        r#"not (city = "Springfield")"#,
        &["BETA", "DELTA", "EPS100"],
    ),
    (
        "conditions",
        r#"not city = "Springfield""#,
        &["BETA", "DELTA", "EPS100"],
    ),
    (
        "conditions",
        r#"NAME LIKE "beta%" AND STATUS/NAME = "active""#,
        &["BETA"],
    ),
    (
        "conditions",
        "dateAcquired > [2020-12-31T00:00:00Z]",
        &["BETA", "EPS100"],
    ),
    (
        "conditions",
        "dateAcquired < [2020-01-01T00:00:00Z]",
        &["DELTA"],
    ),
    (
        "conditions",
        "dateAcquired >= [2020-01-15T00:00:00Z] and dateAcquired <= [2021-06-01T00:00:00Z]",
        &["ALPHA", "BETA"],
    ),
    (
        "conditions",
        "_info/dateEntered >= [2024-01-03T00:00:00Z]",
        &["GAMMA", "DELTA", "EPS100"],
    ),
    (
        "conditions",
        r#"id > 0 and (phoneNumber = "555-0100" or (city contains "city" and numberOfEmployees >= 1000))"#,
        &["ALPHA", "EPS100"],
    ),
    ("conditions", r#"name = "no such company""#, &[]),
    (
        "customFieldConditions",
        r#"caption = "Tier" and value = "Gold""#,
        &["ALPHA"],
    ),
    (
        "customFieldConditions",
        r#"caption = "Tier" and value != null"#,
        &["ALPHA", "BETA"],
    ),
    (
        "customFieldConditions",
        r#"caption = "Tier" and value = null"#,
        &["EPS100"],
    ),
    (
        "customFieldConditions",
        r#"caption = "Region""#,
        &["EPS100"],
    ),
    ("customFieldConditions", r#"value like "S%""#, &["BETA"]),
];

/// (parameter, expression, expected first names), over contacts.
const CONTACT_CASES: &[(&str, &str, &[&str])] = &[
    (
        "childConditions",
        r#"communicationItems/value = "ann@alpha.test""#,
        &["Ann"],
    ),
    (
        "childConditions",
        r#"communicationItems/communicationType = "Email" and communicationItems/value like "%@beta.test""#,
        &["Bob"],
    ),
    // Both terms must hold for the same item: Ann's phone is not her e-mail.
    (
        "childConditions",
        r#"communicationItems/value = "555-0100" and communicationItems/communicationType = "Email""#,
        &[],
    ),
    (
        "childConditions",
        r#"communicationItems/type/name = "Personal Email""#,
        &["Cy"],
    ),
    (
        "childConditions",
        r#"communicationItems/value contains "555""#,
        &["Ann", "Bob", "Cy"],
    ),
    (
        "childConditions",
        r#"communicationItems/defaultFlag = true and communicationItems/communicationType = "Phone""#,
        &["Ann"],
    ),
    (
        "childConditions",
        r#"communicationItems/communicationType = "Phone" and not communicationItems/value = "555-0100""#,
        &["Bob"],
    ),
    ("childConditions", r#"types/name = "Approver""#, &["Bob"]),
    ("childConditions", "types/id = 2", &["Bob"]),
    (
        "conditions",
        r#"company/identifier = "ALPHA""#,
        &["Ann", "Cy"],
    ),
    (
        "conditions",
        r#"firstName like "%o%" or lastName = "lee""#,
        &["Ann", "Bob"],
    ),
];

#[tokio::test]
async fn company_conditions_table() {
    let cw = world().await;
    assert!(COMPANY_CASES.len() + CONTACT_CASES.len() >= 40);
    for (param, expr, want) in COMPANY_CASES {
        let (s, rows) = cw
            .call(
                Method::GET,
                "/company/companies",
                &[(param, expr), ("pageSize", "100")],
                None,
            )
            .await;
        assert_eq!(s, 200, "{param}={expr}: {rows}");
        assert_eq!(field_of(&rows, "identifier"), *want, "{param}={expr}");
        // `/count` agrees with the list.
        let (s, count) = cw
            .call(
                Method::GET,
                "/company/companies/count",
                &[(param, expr)],
                None,
            )
            .await;
        assert_eq!(s, 200, "{param}={expr}: {count}");
        assert_eq!(count, json!({"count": want.len()}), "count {param}={expr}");
    }
}

#[tokio::test]
async fn contact_child_conditions_table() {
    let cw = world().await;
    for (param, expr, want) in CONTACT_CASES {
        let (s, rows) = cw
            .call(Method::GET, "/company/contacts", &[(param, expr)], None)
            .await;
        assert_eq!(s, 200, "{param}={expr}: {rows}");
        assert_eq!(field_of(&rows, "firstName"), *want, "{param}={expr}");
    }
    // Conditions and childConditions together are both applied.
    let (_, rows) = cw
        .call(
            Method::GET,
            "/company/contacts",
            &[
                ("conditions", r#"company/identifier = "ALPHA""#),
                (
                    "childConditions",
                    r#"communicationItems/communicationType = "Email""#,
                ),
            ],
            None,
        )
        .await;
    assert_eq!(field_of(&rows, "firstName"), ["Ann", "Cy"]);
}

/// (route, parameter, input, words the message must contain).
fn malformed_cases() -> Vec<(&'static str, &'static str, String, &'static str)> {
    let deep = format!("{}id = 250{}", "(".repeat(5000), ")".repeat(5000));
    let nots = format!("{}id = 250", "not ".repeat(5000));
    let c = "/company/companies";
    vec![
        (
            c,
            "conditions",
            "name = unquoted".into(),
            "Strings must be quoted",
        ),
        (
            c,
            "conditions",
            r#"name = "unterminated"#.into(),
            "unterminated string",
        ),
        (c, "conditions", r#"(name = "x""#.into(), "missing `)`"),
        (
            c,
            "conditions",
            r#"name = "x")"#.into(),
            "after a complete condition",
        ),
        (
            c,
            "conditions",
            r#"name ~ "x""#.into(),
            "unexpected character",
        ),
        (c, "conditions", r#"= "x""#.into(), "expected a field name"),
        (c, "conditions", "name =".into(), "expected a value"),
        (
            c,
            "conditions",
            r#"name = "x" and"#.into(),
            "expected a field name",
        ),
        (
            c,
            "conditions",
            "dateAcquired > [yesterday]".into(),
            "not a valid datetime",
        ),
        (
            c,
            "conditions",
            "dateAcquired > [2020-01-01".into(),
            "unterminated [datetime]",
        ),
        (c, "conditions", "id in 5".into(), "parenthesised list"),
        (
            c,
            "conditions",
            "id in (1, 2".into(),
            "unterminated `in (...)`",
        ),
        (c, "conditions", "id in ()".into(), "expected a value"),
        (
            c,
            "conditions",
            r#"name not = "x""#.into(),
            "`not` may only precede",
        ),
        (
            c,
            "conditions",
            r#"name = "x" "y""#.into(),
            "after a complete condition",
        ),
        (
            c,
            "conditions",
            "id = 1; drop table companies".into(),
            "unexpected character",
        ),
        (
            c,
            "conditions",
            "leadFlag = yes".into(),
            "booleans must be true or false",
        ),
        (c, "conditions", deep, "nested more than"),
        (c, "conditions", nots, "nested more than"),
        (
            c,
            "customFieldConditions",
            r#"caption = "Tier" and"#.into(),
            "Invalid customFieldConditions",
        ),
        (
            "/company/contacts",
            "childConditions",
            r#"types/id in (1, 2)"#.into(),
            "not supported in childConditions",
        ),
        (
            "/company/contacts",
            "childConditions",
            "communicationItems/value like".into(),
            "Invalid childConditions",
        ),
        (c, "pageSize", "abc".into(), "pageSize"),
        (c, "page", "0".into(), "page must be"),
    ]
}

#[tokio::test]
async fn malformed_input_is_a_400_connectwise_envelope_never_a_crash() {
    let cw = world().await;
    for (route, param, input, words) in malformed_cases() {
        for path in [route.to_string(), format!("{route}/count")] {
            if path.ends_with("/count") && param.starts_with("page") {
                continue; // counts ignore paging parameters
            }
            let (s, body) = cw
                .call(Method::GET, &path, &[(param, input.as_str())], None)
                .await;
            let shown: String = input.chars().take(60).collect();
            assert_eq!(s, 400, "{path}?{param}={shown}: {body}");
            assert_eq!(body["code"], "ConnectWiseApi", "{param}={shown}: {body}");
            assert_eq!(body["errors"], Value::Null, "{body}");
            let msg = body["message"].as_str().unwrap_or_default();
            assert!(
                msg.contains(words),
                "{param}={shown}: `{msg}` lacks `{words}`"
            );
        }
    }
    // The mock is still serving, and nothing ended in a 500.
    let (s, rows) = cw.call(Method::GET, "/company/companies", &[], None).await;
    assert_eq!(s, 200);
    assert_eq!(rows.as_array().map(Vec::len), Some(5));
    let journal: Value = cw
        .http
        .get(format!("{}/journal", cw.server.admin_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["status"] != 500));
}

#[tokio::test]
async fn case_insensitive_parameter_names_and_ignored_unknown_parameters() {
    let cw = world().await;
    for (param, expr) in [
        ("CONDITIONS", r#"identifier = "BETA""#),
        ("Conditions", r#"identifier = "BETA""#),
        ("conditions", r#"identifier = "BETA""#),
    ] {
        let (s, rows) = cw
            .call(
                Method::GET,
                "/company/companies",
                &[(param, expr), ("recordType", "junk"), ("PAGESIZE", "1")],
                None,
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(field_of(&rows, "identifier"), ["BETA"], "{param}");
    }
    let (_, rows) = cw
        .call(
            Method::GET,
            "/company/contacts",
            &[("childconditions", r#"types/name = "Approver""#)],
            None,
        )
        .await;
    assert_eq!(field_of(&rows, "firstName"), ["Bob"]);
    let (_, rows) = cw
        .call(
            Method::GET,
            "/company/companies",
            &[("customfieldconditions", r#"caption = "Region""#)],
            None,
        )
        .await;
    assert_eq!(field_of(&rows, "identifier"), ["EPS100"]);
}
