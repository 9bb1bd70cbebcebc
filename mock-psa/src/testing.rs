//! Mock PSAs for Rust tests, in the style of wiremock-rs: start a personality on 127.0.0.1:0,
//! seed it, point your client at it, then look at what it received and what it holds.
//!
//! Everything here runs against a real HTTP server in the same process; the inspection methods
//! read its state directly, so they cost no request and never show up in the journal.
//!
//! ```
//! use mock_psa::testing::MockPsa;
//! use mock_psa::{NeutralKind, Personality};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let psa = MockPsa::start(Personality::Autotask).await;
//! psa.seed("companies: [{name: Acme, type: Customer, status: Active}]");
//!
//! // Your client talks to `psa.api_url()` with `psa.credentials()`; here, nothing has yet.
//! assert!(psa.received_requests().is_empty());
//! assert_eq!(psa.records(NeutralKind::Company)[0]["name"], "Acme");
//! # }
//! ```

use crate::admin;
use crate::dialect::{api_for, check_neutral_fields, NeutralKind};
use crate::journal::Entry;
use crate::{Credentials, MockServer, Personality, SeedDocument, ServerOptions, Settings};
use serde_json::{Map, Value};

/// One running personality for a test. Dropping it stops the server.
pub struct MockPsa {
    server: MockServer,
}

impl MockPsa {
    /// Starts `personality` with its default settings and lookups on a free loopback port.
    /// Panics if the port cannot be bound, as a test set-up should.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Bms).await;
    /// assert!(psa.api_url().starts_with("http://127.0.0.1:"));
    /// # }
    /// ```
    pub async fn start(personality: Personality) -> MockPsa {
        Self::start_with(personality, ServerOptions::default()).await
    }

    /// Starts `personality` with changed settings (page sizes, quotas, credentials, ...).
    ///
    /// ```
    /// use mock_psa::{testing::MockPsa, Personality, Settings};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mut settings = Settings::for_personality(Personality::Connectwise);
    /// settings.credentials.secret = "rotated".into();
    /// let psa = MockPsa::start_with_settings(Personality::Connectwise, settings).await;
    /// assert_eq!(psa.credentials().secret, "rotated");
    /// # }
    /// ```
    pub async fn start_with_settings(personality: Personality, settings: Settings) -> MockPsa {
        let options = ServerOptions {
            settings: Some(settings),
            ..ServerOptions::default()
        };
        Self::start_with(personality, options).await
    }

    /// Starts with any [`ServerOptions`] (an HTTPS listener, a seed, a fixed port).
    ///
    /// ```
    /// use mock_psa::{testing::MockPsa, Personality, ServerOptions, TlsOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let options = ServerOptions { tls: Some(TlsOptions::default()), ..Default::default() };
    /// let psa = MockPsa::start_with(Personality::Connectwise, options).await;
    /// assert!(psa.server().https_api_url().unwrap().starts_with("https://127.0.0.1:"));
    /// # }
    /// ```
    pub async fn start_with(personality: Personality, options: ServerOptions) -> MockPsa {
        let server = MockServer::start(personality, options)
            .await
            .unwrap_or_else(|e| panic!("starting the {personality} mock: {e:#}"));
        MockPsa { server }
    }

    /// The underlying server, for what this facade does not cover.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Vorex).await;
    /// assert_eq!(psa.server().personality(), mock_psa::Personality::Vorex);
    /// # }
    /// ```
    pub fn server(&self) -> &MockServer {
        &self.server
    }

    /// The underlying server, owned (it keeps running until dropped).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Autotask).await;
    /// let server: mock_psa::MockServer = psa.into_server();
    /// assert!(server.api_url().ends_with("/ATServicesRest/V1.0"));
    /// # }
    /// ```
    pub fn into_server(self) -> MockServer {
        self.server
    }

    /// `http://127.0.0.1:PORT`, the origin of the API and of the admin API.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Pulseway).await;
    /// assert_eq!(format!("{}/__admin", psa.uri()), psa.server().admin_url());
    /// # }
    /// ```
    pub fn uri(&self) -> String {
        self.server.origin()
    }

    /// The API root a client of this PSA is configured with, e.g.
    /// `http://127.0.0.1:PORT/v4_6_release/apis/3.0` for ConnectWise.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Connectwise).await;
    /// assert!(psa.api_url().ends_with("/v4_6_release/apis/3.0"));
    /// # }
    /// ```
    pub fn api_url(&self) -> String {
        self.server.api_url()
    }

    /// The credentials the mock accepts now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Autotask).await;
    /// assert_eq!(psa.credentials().integration_code, "INTEGRATIONCODE");
    /// # }
    /// ```
    pub fn credentials(&self) -> Credentials {
        self.server.state().settings().credentials.clone()
    }

    /// Seeds the PSA from a seed document in YAML or JSON (the README's seed format); returns
    /// the native ids it created, as `POST /__admin/seed` answers (`{"created": {"companies":
    /// [...], ...}}`). Panics with the seed's own error, line and column included, when it is
    /// refused.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Bms).await;
    /// psa.seed(r#"
    /// companies: [{name: Acme, type: Customer, status: Active}]
    /// locations: [{company: Acme, name: HQ, primary: true}]
    /// "#);
    /// // BMS gives every new account a "Main" location of its own; HQ is the seeded one.
    /// let locations = psa.records(mock_psa::NeutralKind::Location);
    /// assert!(locations.iter().any(|l| l["name"] == "HQ"));
    /// let created = psa.seed("companies: [{name: Beta, type: Customer, status: Active}]");
    /// assert!(created["created"]["companies"][0].is_i64());
    /// # }
    /// ```
    pub fn seed(&self, document: &str) -> Value {
        self.try_seed(document)
            .unwrap_or_else(|e| panic!("seeding the {} mock: {e}", self.server.personality()))
    }

    /// Seeds like [`MockPsa::seed`], returning a refusal instead of panicking.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Connectwise).await;
    /// let refused = psa.try_seed("contacts: [{company: Nobody, first_name: Ann}]");
    /// assert!(refused.unwrap_err().contains("Nobody"));
    /// # }
    /// ```
    pub fn try_seed(&self, document: &str) -> Result<Value, String> {
        let doc = SeedDocument::parse(document)?;
        admin::apply_seed(self.server.state(), &doc)
    }

    /// Every request the PSA has received (newest last), as the journal keeps them: method,
    /// path, query, status and bodies. Bounded by the journal's limits (see [`Settings`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Connectwise).await;
    /// let _ = reqwest::Client::builder().no_proxy().build().unwrap()
    ///     .get(format!("{}/company/companies", psa.api_url())).send().await.unwrap();
    /// let seen = psa.received_requests();
    /// assert_eq!((seen[0].method.as_str(), seen[0].status), ("GET", 401));
    /// # }
    /// ```
    pub fn received_requests(&self) -> Vec<Entry> {
        self.server
            .state()
            .world()
            .journal
            .entries()
            .cloned()
            .collect()
    }

    /// The records of one kind in the suite's neutral vocabulary (references by name), in id
    /// order: the same view as `GET /__admin/snapshot?view=neutral`.
    ///
    /// ```
    /// use mock_psa::NeutralKind;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Autotask).await;
    /// assert!(psa.records(NeutralKind::Contact).is_empty());
    /// # }
    /// ```
    pub fn records(&self, kind: NeutralKind) -> Vec<Map<String, Value>> {
        let api = api_for(self.server.personality().dialect());
        let world = self.server.state().world();
        api.neutral_view(&world.store)
            .remove(&kind)
            .unwrap_or_default()
    }

    /// Installs a fault rule, written as `POST /__admin/faults` takes it; returns its id.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Bms).await;
    /// let id = psa.fault(serde_json::json!({"path": "*/assets*", "status": 503, "times": 1}));
    /// assert!(id > 0);
    /// # }
    /// ```
    pub fn fault(&self, rule: Value) -> u64 {
        self.server
            .add_fault(rule)
            .unwrap_or_else(|e| panic!("installing a fault rule: {e}"))
    }

    /// Moves the virtual clock forward (token expiry, hourly quotas, `Retry-After`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Autotask).await;
    /// let before = psa.now();
    /// psa.advance_clock(3600);
    /// assert_eq!(psa.now(), before + 3600);
    /// # }
    /// ```
    pub fn advance_clock(&self, seconds: i64) {
        self.server.state().world().clock.advance(seconds);
    }

    /// The virtual time, in Unix seconds.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Connectwise).await;
    /// psa.seed("clock: 2024-06-01T00:00:00Z");
    /// assert_eq!(psa.now(), 1_717_200_000);
    /// # }
    /// ```
    pub fn now(&self) -> i64 {
        self.server.state().world().clock.now()
    }

    /// Empties the PSA and lays down the default lookups again, as `POST /__admin/reset`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Pulseway).await;
    /// psa.seed("companies: [{name: Acme, type: Customer, status: Active}]");
    /// psa.reset();
    /// assert!(psa.records(mock_psa::NeutralKind::Company).is_empty());
    /// # }
    /// ```
    pub fn reset(&self) {
        admin::reset_world(self.server.state());
    }

    /// Forgets every request received so far (the counters too), as `DELETE /__admin/journal`:
    /// what a test checks next is only what happened after this.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = mock_psa::testing::MockPsa::start(mock_psa::Personality::Autotask).await;
    /// let _ = reqwest::Client::builder().no_proxy().build().unwrap()
    ///     .get(format!("{}/Companies/1", psa.api_url())).send().await.unwrap();
    /// psa.clear_journal();
    /// assert!(psa.received_requests().is_empty());
    /// # }
    /// ```
    pub fn clear_journal(&self) {
        self.server.state().world().journal.clear();
    }

    /// The rows of one native table (`accounts`, `Companies`, `company_companies`, ...), as
    /// `GET /__admin/snapshot` shows them, in id order; an unknown table has none.
    ///
    /// ```
    /// use mock_psa::{testing::MockPsa, NeutralKind, Personality};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = MockPsa::start(Personality::Bms).await;
    /// let id = psa.create_record(NeutralKind::Company, serde_json::json!({"name": "Acme"}));
    /// let row = psa.table("accounts").into_iter().find(|r| r.get("id") == Some(&id.into())).unwrap();
    /// assert_eq!(row["accountName"], "Acme");
    /// # }
    /// ```
    pub fn table(&self, name: &str) -> Vec<Map<String, Value>> {
        let api = api_for(self.server.personality().dialect());
        self.server
            .state()
            .world()
            .store
            .rows(name)
            .map(|r| api.native_row(name, &r))
            .collect()
    }

    /// Creates a record "directly in the PSA" from neutral fields (references by name), as
    /// `POST /__admin/records/{kind}`; returns its native id. Panics when the PSA refuses it.
    ///
    /// ```
    /// use mock_psa::{testing::MockPsa, NeutralKind, Personality};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = MockPsa::start(Personality::Connectwise).await;
    /// psa.create_record(NeutralKind::Company, serde_json::json!({"name": "Acme"}));
    /// assert_eq!(psa.records(NeutralKind::Company)[0]["name"], "Acme");
    /// # }
    /// ```
    pub fn create_record(&self, kind: NeutralKind, fields: Value) -> i64 {
        let fields = self.neutral_fields(kind, fields);
        let api = api_for(self.server.personality().dialect());
        admin::all_or_nothing(&mut self.server.state().world(), |w| {
            api.neutral_create(w, kind, &fields)
        })
        .unwrap_or_else(|e| panic!("creating a {kind:?} record: {e}"))
    }

    /// Changes the neutral fields it names of record `id`, as
    /// `PATCH /__admin/records/{kind}/{id}`. Panics on an unknown id or a refused change.
    ///
    /// ```
    /// use mock_psa::{testing::MockPsa, NeutralKind, Personality};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = MockPsa::start(Personality::Autotask).await;
    /// let id = psa.create_record(NeutralKind::Company, serde_json::json!({"name": "Acme"}));
    /// psa.update_record(NeutralKind::Company, id, serde_json::json!({"name": "Acme Ltd"}));
    /// assert_eq!(psa.records(NeutralKind::Company)[0]["name"], "Acme Ltd");
    /// # }
    /// ```
    pub fn update_record(&self, kind: NeutralKind, id: i64, fields: Value) {
        let fields = self.neutral_fields(kind, fields);
        let api = api_for(self.server.personality().dialect());
        admin::all_or_nothing(&mut self.server.state().world(), |w| {
            api.neutral_update(w, kind, id, &fields)
        })
        .unwrap_or_else(|e| panic!("changing {kind:?} record {id}: {e}"))
    }

    /// Deletes record `id` as a user of the PSA would, as `DELETE /__admin/records/{kind}/{id}`.
    /// Panics on an unknown id.
    ///
    /// ```
    /// use mock_psa::{testing::MockPsa, NeutralKind, Personality};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let psa = MockPsa::start(Personality::Vorex).await;
    /// let id = psa.create_record(NeutralKind::Company, serde_json::json!({"name": "Acme"}));
    /// psa.delete_record(NeutralKind::Company, id);
    /// assert!(psa.records(NeutralKind::Company).is_empty());
    /// # }
    /// ```
    pub fn delete_record(&self, kind: NeutralKind, id: i64) {
        let api = api_for(self.server.personality().dialect());
        api.neutral_delete(&mut self.server.state().world(), kind, id)
            .unwrap_or_else(|e| panic!("deleting {kind:?} record {id}: {e}"));
    }

    /// A JSON object of neutral fields checked as the admin API checks them.
    fn neutral_fields(&self, kind: NeutralKind, fields: Value) -> Map<String, Value> {
        let Value::Object(fields) = fields else {
            panic!("{kind:?} fields must be a JSON object, not {fields}");
        };
        check_neutral_fields(kind, &fields).unwrap_or_else(|e| panic!("{kind:?} fields: {e}"));
        fields
    }
}
