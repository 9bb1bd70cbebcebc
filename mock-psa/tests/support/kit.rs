//! One client kit for every personality (auth, a list route and its filter parameter, a
//! write route, the dialect's error shape), for the hostile-input, fuzz and concurrency tests.

use mock_psa::{MockServer, Personality};
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How to talk to one personality: its auth headers, a list route, a write route, a filter
/// parameter, and the test its error bodies must pass.
pub struct Kit {
    pub server: MockServer,
    pub http: reqwest::Client,
    headers: Vec<(String, String)>,
    /// BMS family: the V2 bearer for `/v2/` routes (the V1 token serves `/api/`).
    v2: Vec<(String, String)>,
}

/// A list route, the filter parameter it reads, and a route that takes a JSON body.
pub fn routes(psa: Personality) -> (&'static str, &'static str, &'static str) {
    match psa {
        Personality::Connectwise => (
            "/v4_6_release/apis/3.0/company/companies",
            "conditions",
            "/v4_6_release/apis/3.0/company/companies",
        ),
        Personality::Autotask => (
            "/ATServicesRest/V1.0/Companies/query",
            "search",
            "/ATServicesRest/V1.0/Companies",
        ),
        _ => ("/api/crm/accounts", "$filter", "/api/crm/accounts"),
    }
}

/// Whether `body` is an error in the shape the surface at `path` answers.
pub fn dialect_shape(psa: Personality, path: &str, body: &Value) -> bool {
    match psa {
        Personality::Connectwise => body["code"].is_string() && body["message"].is_string(),
        Personality::Autotask => body["errors"].is_array() || body["Message"].is_string(),
        _ if path.starts_with("/api/") => {
            body["ResponseCode"].is_number() && body["Error"].is_string()
        }
        _ => body["success"] == false && body["error"]["message"].is_string(),
    }
}

impl Kit {
    pub async fn start(psa: Personality) -> Kit {
        let (server, http) = super::start(psa).await;
        let c = psa.default_credentials();
        let headers = match psa {
            Personality::Connectwise => {
                use base64::Engine;
                let raw = format!("{}+{}:{}", c.company, c.user, c.secret);
                vec![
                    (
                        "Authorization".into(),
                        format!(
                            "Basic {}",
                            base64::engine::general_purpose::STANDARD.encode(raw)
                        ),
                    ),
                    ("clientId".into(), "hostile-test".into()),
                ]
            }
            Personality::Autotask => vec![
                ("UserName".into(), c.user.clone()),
                ("Secret".into(), c.secret.clone()),
                ("ApiIntegrationCode".into(), c.integration_code.clone()),
            ],
            _ => {
                // The legacy V1 API (OData `$filter`) takes its own token.
                let token = super::bms_token(&server, &http, true).await;
                vec![("Authorization".into(), format!("Bearer {token}"))]
            }
        };
        let mut v2 = Vec::new();
        if psa.dialect() == mock_psa::Dialect::BmsV2 {
            let token = super::bms_token(&server, &http, false).await;
            v2.push(("Authorization".into(), format!("Bearer {token}")));
        }
        Kit {
            server,
            http,
            headers,
            v2,
        }
    }

    pub async fn send(&self, method: &str, target: &str, body: Option<String>) -> (u16, Value) {
        self.send_with(method, target, body, &[]).await
    }

    /// [`Kit::send`] with extra headers.
    pub async fn send_with(
        &self,
        method: &str,
        target: &str,
        body: Option<String>,
        extra: &[(&str, String)],
    ) -> (u16, Value) {
        super::reply(self.send_raw(method, target, body, extra).await).await
    }

    /// A request as [`Kit::send_with`] sends it, answered with the status and the body's text
    /// as it came.
    pub async fn send_text(
        &self,
        method: &str,
        target: &str,
        body: Option<String>,
    ) -> (u16, String) {
        let resp = self.send_raw(method, target, body, &[]).await;
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("a body"))
    }

    async fn send_raw(
        &self,
        method: &str,
        target: &str,
        body: Option<String>,
        extra: &[(&str, String)],
    ) -> reqwest::Response {
        let mut rb = self.http.request(
            method.parse().expect("method"),
            format!("{}{target}", self.server.origin()),
        );
        let auth = match target.starts_with("/v2/") && !self.v2.is_empty() {
            true => &self.v2,
            false => &self.headers,
        };
        for (k, v) in auth {
            rb = rb.header(k, v);
        }
        for (k, v) in extra {
            rb = rb.header(*k, v);
        }
        if let Some(b) = body {
            rb = rb.header("Content-Type", "application/json").body(b);
        }
        tokio::time::timeout(Duration::from_secs(20), rb.send())
            .await
            .expect("answered (no stall)")
            .map_err(|e| e.without_url())
            .expect("answered (no crash)")
    }

    /// Everything the admin API counts, so "nothing changed" can be asserted.
    pub async fn records(&self) -> Value {
        let resp = self
            .http
            .get(format!(
                "{}/snapshot?tables=entities",
                self.server.admin_url()
            ))
            .send()
            .await
            .expect("snapshot");
        super::reply(resp).await.1["tables"].clone()
    }

    /// A request over a raw socket: the head, then `sent` of a body announced as `announced`
    /// bytes, then the write half closed. Returns the status and body of the answer.
    pub async fn truncated(&self, path: &str, announced: usize, sent: &str) -> (u16, Value) {
        let mut s = tokio::net::TcpStream::connect(self.server.addr())
            .await
            .expect("connect");
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {announced}\r\n",
            self.server.addr()
        );
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).await.expect("head");
        s.write_all(sent.as_bytes()).await.expect("body");
        s.shutdown().await.expect("half close");
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut raw))
            .await
            .expect("answered in time")
            .expect("read");
        let text = String::from_utf8_lossy(&raw).to_string();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (
            status,
            serde_json::from_str(body).unwrap_or(Value::String(text)),
        )
    }
}

/// A valid filtered list, to show the server still answers properly.
pub fn alive(psa: Personality) -> String {
    let (list, param, _) = routes(psa);
    let filter = match psa {
        Personality::Connectwise => "id>0",
        Personality::Autotask => r#"{"filter":[{"op":"exist","field":"id"}]}"#,
        _ => "Id gt 0",
    };
    format!("{list}?{param}={}", enc(filter))
}

pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
