//! Fault rules with `landed`: the PSA does the work, then the reply is replaced or dropped.

use base64::Engine;
use mock_psa::{MockServer, Personality, ServerOptions};
use reqwest::{Client, Method, RequestBuilder};
use serde_json::{json, Value};

struct Mock {
    server: MockServer,
    http: Client,
}

impl Mock {
    async fn start(p: Personality) -> Mock {
        let server = MockServer::start(p, ServerOptions::default())
            .await
            .expect("start mock");
        let http = Client::builder().no_proxy().build().expect("client");
        Mock { server, http }
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(method, format!("{}/__admin/{path}", self.server.origin()));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("admin send");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("admin body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn fault(&self, rule: Value) {
        let (s, b) = self.admin(Method::POST, "faults", Some(rule)).await;
        assert!(s == 200 || s == 201, "{s} {b}");
    }

    /// Names of the companies the PSA holds (neutral view).
    async fn company_names(&self) -> Vec<String> {
        let (s, b) = self.admin(Method::GET, "snapshot?view=neutral", None).await;
        assert_eq!(s, 200, "{b}");
        b["records"]["companies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect()
    }

    async fn last_journal_entry(&self) -> Value {
        let (_, j) = self.admin(Method::GET, "journal", None).await;
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
    m.fault(json!({"method": "POST", "path": "*/company/companies", "status": 503, "landed": true, "times": 1}))
        .await;
    let resp = m.cw_post_company("Landed").send().await.expect("reply");
    assert_eq!(resp.status().as_u16(), 503);
    let body: Value = resp.json().await.expect("json");
    assert!(
        body.get("id").is_none(),
        "the PSA's reply must not leak: {body}"
    );
    assert_eq!(m.company_names().await, vec!["Landed".to_string()]);
    let entry = m.last_journal_entry().await;
    assert_eq!(entry["status"], 503, "{entry}");
    assert!(entry.get("fault").is_some_and(|f| !f.is_null()), "{entry}");

    // The rule is spent: the next create is answered normally.
    let resp = m.cw_post_company("Second").send().await.expect("reply");
    assert_eq!(resp.status().as_u16(), 201);
}

#[tokio::test]
async fn a_status_fault_without_landed_stores_nothing() {
    let m = Mock::start(Personality::Connectwise).await;
    m.fault(json!({"method": "POST", "path": "*/company/companies", "status": 503, "times": 1}))
        .await;
    let resp = m.cw_post_company("Refused").send().await.expect("reply");
    assert_eq!(resp.status().as_u16(), 503);
    assert!(m.company_names().await.is_empty());
}

#[tokio::test]
async fn landed_drop_keeps_the_write_and_closes_the_connection() {
    let m = Mock::start(Personality::Autotask).await;
    m.fault(
        json!({"method": "POST", "path": "*/Companies", "drop": true, "landed": true, "times": 1}),
    )
    .await;
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
        m.company_names().await.contains(&"Dropped Inc".to_string()),
        "the write must be kept"
    );
    assert_eq!(m.last_journal_entry().await["status"], 0);
}

#[tokio::test]
async fn landed_without_a_reply_to_replace_is_refused() {
    let m = Mock::start(Personality::Bms).await;
    let (s, b) = m
        .admin(
            Method::POST,
            "faults",
            Some(json!({"path": "*", "landed": true, "latency_ms": 1})),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    assert!(b.to_string().contains("landed"), "{b}");
}
