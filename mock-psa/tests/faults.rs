//! Fault rules with `landed`: the PSA does the work, then the reply is replaced or dropped.

mod support;

use base64::Engine;
use mock_psa::{MockServer, Personality};
use reqwest::{Client, RequestBuilder};
use serde_json::{json, Value};

struct Mock {
    server: MockServer,
    http: Client,
}

impl Mock {
    async fn start(p: Personality) -> Mock {
        let (server, http) = support::start(p).await;
        Mock { server, http }
    }

    /// Names in the PSA's `companies` table (ConnectWise and Autotask call it that).
    fn company_names(&self) -> Vec<String> {
        let world = self.server.state().world();
        world
            .store
            .rows("companies")
            .filter_map(|r| {
                r.get("name")
                    .or_else(|| r.get("companyName"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .filter(|n| !n.ends_with("(owner)"))
            .collect()
    }

    fn last_journal_entry(&self) -> Value {
        let j = self.server.state().world().journal.to_json(0);
        j["entries"]
            .as_array()
            .and_then(|e| e.last())
            .cloned()
            .unwrap_or(Value::Null)
    }

    fn cw_post_company(&self, name: &str) -> RequestBuilder {
        let auth = base64::engine::general_purpose::STANDARD.encode("acme+public:private");
        self.http
            .post(format!(
                "{}/v4_6_release/apis/3.0/company/companies",
                self.server.origin()
            ))
            .header("Authorization", format!("Basic {auth}"))
            .header("clientId", "test")
            .json(&json!({"identifier": name.to_uppercase(), "name": name}))
    }
}

#[tokio::test]
async fn landed_status_keeps_the_write_and_replaces_the_reply() {
    let m = Mock::start(Personality::Connectwise).await;
    m.server.add_fault(json!({"method": "POST", "path": "*/company/companies", "status": 503, "landed": true, "times": 1})).expect("fault rule");
    let resp = m.cw_post_company("Landed").send().await.expect("reply");
    assert_eq!(resp.status().as_u16(), 503);
    let body: Value = resp.json().await.expect("json");
    assert!(
        body.get("id").is_none(),
        "the PSA's reply must not leak: {body}"
    );
    assert_eq!(m.company_names(), vec!["Landed".to_string()]);
    let entry = m.last_journal_entry();
    assert_eq!(entry["status"], 503, "{entry}");
    assert!(entry.get("fault").is_some_and(|f| !f.is_null()), "{entry}");

    // The rule is spent: the next create is answered normally.
    let resp = m.cw_post_company("Second").send().await.expect("reply");
    assert_eq!(resp.status().as_u16(), 201);
}

#[tokio::test]
async fn a_status_fault_without_landed_stores_nothing() {
    let m = Mock::start(Personality::Connectwise).await;
    m.server
        .add_fault(
            json!({"method": "POST", "path": "*/company/companies", "status": 503, "times": 1}),
        )
        .expect("fault rule");
    let resp = m.cw_post_company("Refused").send().await.expect("reply");
    assert_eq!(resp.status().as_u16(), 503);
    assert!(m.company_names().is_empty());
}

#[tokio::test]
async fn landed_drop_keeps_the_write_and_closes_the_connection() {
    let m = Mock::start(Personality::Autotask).await;
    m.server.add_fault(
        json!({"method": "POST", "path": "*/Companies", "drop": true, "landed": true, "times": 1}),
    ).expect("fault rule");
    let resp = m
        .http
        .post(format!(
            "{}/ATServicesRest/V1.0/Companies",
            m.server.origin()
        ))
        .header("ApiIntegrationcode", "INTEGRATIONCODE")
        .header("UserName", "api@example.com")
        .header("Secret", "secret")
        .json(&json!({"companyName": "Dropped Inc", "companyType": 1,
                      "ownerResourceID": 29682885, "phone": ""}))
        .send()
        .await;
    assert!(resp.is_err(), "expected a dropped connection, got {resp:?}");
    assert!(
        m.company_names().contains(&"Dropped Inc".to_string()),
        "the write must be kept"
    );
    assert_eq!(m.last_journal_entry()["status"], 0);
}

#[tokio::test]
async fn landed_without_a_reply_to_replace_is_refused_by_the_admin_api() {
    let m = Mock::start(Personality::Bms).await;
    let resp = m
        .http
        .post(format!("{}/__admin/faults", m.server.origin()))
        .json(&json!({"path": "*", "landed": true, "latency_ms": 1}))
        .send()
        .await
        .expect("admin");
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.text().await.unwrap_or_default().contains("landed"));
}

/// Aimed rules: a fault on page 2 of a list leaves page 1 alone, and a fault on one body member
/// leaves other creates alone.
#[tokio::test]
async fn aimed_rules_match_query_parameters_and_body_members() {
    let m = Mock::start(Personality::Connectwise).await;
    let admin = |rule: Value| {
        m.http
            .post(format!("{}/faults", m.server.admin_url()))
            .json(&rule)
            .send()
    };
    let r = admin(json!({"method": "GET", "path": "*/company/companies", "params": {"page": "2"}, "status": 503}))
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let r = admin(json!({"method": "POST", "path": "*/company/companies", "request_body": {"name": "Doomed*"}, "status": 400}))
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let auth = base64::engine::general_purpose::STANDARD.encode("acme+public:private");
    let list = |query: &str| {
        m.http
            .get(format!(
                "{}/v4_6_release/apis/3.0/company/companies?{query}",
                m.server.origin()
            ))
            .header("Authorization", format!("Basic {auth}"))
            .header("clientId", "test")
            .send()
    };
    assert_eq!(list("page=1&pageSize=25").await.unwrap().status(), 200);
    assert_eq!(list("pageSize=25&page=2").await.unwrap().status(), 503);
    assert_eq!(list("page=20").await.unwrap().status(), 200);
    assert_eq!(
        m.cw_post_company("Doomed Co")
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        m.cw_post_company("Fine Co").send().await.unwrap().status(),
        201
    );
    assert_eq!(m.company_names(), ["Fine Co"]);
    assert_eq!(m.last_journal_entry()["status"], 201);
}
