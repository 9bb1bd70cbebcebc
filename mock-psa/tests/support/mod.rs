//! What every HTTP test of the mock starts with: a server on 127.0.0.1:0 and a plain client
//! for it, and replies read as (status, JSON body).

#![allow(dead_code)] // each test binary uses its own part

pub mod autotask;
pub mod kit;

use mock_psa::testing::MockPsa;
use mock_psa::{MockServer, Personality};
use reqwest::Client;
use serde_json::Value;

/// A mock of `personality` with default options, and a client that never goes through a proxy.
pub async fn start(personality: Personality) -> (MockServer, Client) {
    (MockPsa::start(personality).await.into_server(), client())
}

pub fn client() -> Client {
    Client::builder().no_proxy().build().expect("client")
}

/// The status and the body as JSON; a body that is not JSON comes back as a string (an empty
/// body as `null`), so an assertion can still show it.
pub async fn reply(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let body = match text.is_empty() {
        true => Value::Null,
        false => serde_json::from_str(&text).unwrap_or(Value::String(text)),
    };
    (status, body)
}

/// Posts a seed document (YAML or JSON text) to the admin API; the status and the reply.
pub async fn seed(http: &Client, server: &MockServer, doc: impl Into<String>) -> (u16, Value) {
    let url = format!("{}/seed", server.admin_url());
    let resp = http.post(url).body(doc.into()).send().await.expect("seed");
    reply(resp).await
}

/// `sent` is contained in `got`: objects member by member (ignoring the case of keys the server
/// spells its way), arrays element by element, numbers by value.
pub fn within(sent: &Value, got: &Value) -> bool {
    match (sent, got) {
        (Value::Object(s), Value::Object(g)) => s.iter().all(|(k, v)| {
            g.iter()
                .find(|(gk, _)| gk.eq_ignore_ascii_case(k))
                .is_some_and(|(_, gv)| within(v, gv))
        }),
        (Value::Array(s), Value::Array(g)) => {
            s.len() == g.len() && s.iter().zip(g).all(|(a, b)| within(a, b))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => sent == got,
    }
}

/// A bearer token from the BMS family's sign-in form with the default credentials: the V2
/// `/v2/security/authenticate` form, or the legacy V1 `/api/token` one.
pub async fn bms_token(server: &MockServer, http: &Client, v1: bool) -> String {
    let c = server.personality().default_credentials();
    let (path, form) = if v1 {
        (
            "/api/token",
            format!(
                "grant_type=password&username={}&password={}&tenant={}",
                c.user, c.secret, c.company
            ),
        )
    } else {
        (
            "/v2/security/authenticate",
            format!(
                "grantType=password&userName={}&password={}&tenant={}",
                c.user, c.secret, c.company
            ),
        )
    };
    let resp = http
        .post(format!("{}{path}", server.origin()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("authenticate");
    let (_, body) = reply(resp).await;
    let token = if v1 {
        &body["access_token"]
    } else {
        &body["result"]["accessToken"]
    };
    token.as_str().expect("access token").to_string()
}
