//! Building the shared HTTP layer around a caller's own reqwest client.

use super::Http;

impl Http {
    /// The retry layer over `client` instead of the default one: e.g. a client that trusts a
    /// private certificate authority (mock-psa capture over HTTPS). The caller builds it with
    /// `no_proxy()` when it must stay on loopback.
    pub fn with_client(client: reqwest::Client) -> Http {
        Http {
            client,
            ..Http::default()
        }
    }
}
