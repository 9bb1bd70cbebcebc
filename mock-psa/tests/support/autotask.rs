//! An Autotask REST V1.0 mock and the signed-in call every Autotask test makes.

use mock_psa::{MockServer, Personality};
use reqwest::{Client, Method};
use serde_json::Value;

pub struct At {
    pub server: MockServer,
    pub http: Client,
}

impl At {
    pub async fn start() -> At {
        let (server, http) = super::start(Personality::Autotask).await;
        At { server, http }
    }

    /// `method` on `ATServicesRest/V1.0/{path}` as the default API user, read as (status, body).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}/ATServicesRest/V1.0/{path}", self.server.origin());
        let mut r = self
            .http
            .request(method, &url)
            .header("ApiIntegrationcode", "INTEGRATIONCODE")
            .header("UserName", "api@example.com")
            .header("Secret", "secret");
        if let Some(b) = body {
            r = r.json(&b);
        }
        super::reply(r.send().await.expect("send")).await
    }
}
