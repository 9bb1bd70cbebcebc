//! One client per wire dialect, all behind [`PsaClient`](crate::psa::PsaClient).

pub mod autotask;
pub mod bms;
pub mod connectwise;

use crate::psa::{Connection, PsaClient, PsaError};
use mock_psa::Dialect;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;

/// The client for a connection's personality.
pub fn client_for(conn: Connection) -> Box<dyn PsaClient> {
    match conn.personality.dialect() {
        Dialect::ConnectWise => Box::new(connectwise::ConnectWiseClient::new(conn)),
        Dialect::Autotask => Box::new(autotask::AutotaskClient::new(conn)),
        Dialect::BmsV2 => Box::new(bms::BmsClient::new(conn)),
    }
}

/// What came back from one HTTP exchange that reached the server.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON (`Value::Null` when empty or not JSON).
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Shared HTTP plumbing: a reqwest client with no proxy (loopback only) and error mapping
/// that every dialect shares. Dialect clients classify non-2xx replies themselves.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
}

impl Default for Http {
    fn default() -> Self {
        Http {
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .expect("reqwest client"),
        }
    }
}

impl Http {
    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        self.client.request(method, url)
    }

    /// Sends a request. Connection failures and dropped connections are `Transient`; 429 is
    /// `RateLimited` (with Retry-After); everything else comes back for the dialect to read.
    pub async fn send(&self, req: RequestBuilder) -> Result<Reply, PsaError> {
        let resp = req
            .send()
            .await
            .map_err(|e| PsaError::Transient(format!("connection failed: {e}")))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp
            .text()
            .await
            .map_err(|e| PsaError::Transient(format!("connection dropped while reading: {e}")))?;
        if status == 429 {
            let retry_after = headers
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            return Err(PsaError::RateLimited { retry_after });
        }
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            headers,
            body,
            text,
        })
    }
}

/// A non-2xx reply as an error: 5xx is transient unless `business_500` says the dialect uses
/// 500 for business errors (Autotask), in which case it is a rejection.
pub fn reject(reply: &Reply, message: String, business_500: bool) -> PsaError {
    if reply.status >= 500 && !business_500 {
        PsaError::Transient(format!("{}: {message}", reply.status))
    } else {
        PsaError::Rejected {
            status: reply.status,
            message,
        }
    }
}
