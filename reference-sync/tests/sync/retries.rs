//! The shared retry layer against the mock's fault rules, over real HTTP: which failures are
//! retried, the backoff on the virtual clock, Retry-After, and creates that are never repeated
//! blindly.

use mock_psa::testing::MockPsa;
use mock_psa::Personality;
use reference_sync::clients::{client_for, Http, RetryPolicy};
use reference_sync::psa::{Connection, Fields, Kind, PsaClient, PsaError, PushContext};
use reference_sync::{Engine, Settings, Source};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

struct Rig {
    server: MockPsa,
    http: Http,
    client: Box<dyn PsaClient>,
}

impl Rig {
    async fn start(p: Personality) -> Rig {
        let server = MockPsa::start(p).await;
        let http = Http::default();
        let mut client = client_for(
            Connection {
                personality: p,
                origin: server.uri(),
                credentials: p.default_credentials(),
            },
            http.clone(),
        );
        client.connect().await.expect("connect");
        server.clear_journal();
        Rig {
            server,
            http,
            client,
        }
    }

    fn fault(&self, rule: Value) {
        self.server.fault(rule);
    }

    /// `METHOD path status` of every request since the rig started.
    fn journal(&self) -> Vec<String> {
        self.server
            .received_requests()
            .iter()
            .map(|e| format!("{} {} {}", e.method, e.path, e.status))
            .collect()
    }

    /// Companies in the PSA, by name, through the client (the tenant's own left out).
    async fn companies(&mut self) -> Vec<String> {
        let rows = self.client.list(Kind::Organization).await.expect("list");
        rows.iter()
            .filter_map(|r| r.fields.get("name").and_then(Value::as_str))
            .map(str::to_string)
            .collect()
    }

    async fn create_org(&mut self, name: &str) -> Result<String, PsaError> {
        let fields: Fields = [
            ("name".to_string(), json!(name)),
            ("type".to_string(), json!("Customer")),
            ("status".to_string(), json!("Active")),
        ]
        .into_iter()
        .collect();
        self.client
            .create(Kind::Organization, &fields, &PushContext::default())
            .await
    }
}

#[test]
fn backoff_doubles_up_to_the_cap_without_overflow() {
    let p = RetryPolicy::default();
    let waits: Vec<u64> = (1..=7).map(|n| p.backoff_secs(n)).collect();
    assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30]);
    assert_eq!(p.backoff_secs(200), 30);
    let huge = RetryPolicy {
        max_delay_secs: u64::MAX,
        ..RetryPolicy::default()
    };
    assert_eq!(huge.backoff_secs(100), u64::MAX);
}

#[tokio::test]
async fn a_503_on_a_list_is_retried_with_backoff_on_the_virtual_clock() {
    let mut rig = Rig::start(Personality::Connectwise).await;
    rig.server
        .seed("companies: [{name: Acme, type: Customer, status: Active}]");
    rig.fault(json!({"method": "GET", "path": "*/company/companies", "status": 503, "times": 2}));
    let rows = rig.client.list(Kind::Organization).await.expect("list");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rig.http.take_notes(),
        vec![
            "GET /v4_6_release/apis/3.0/company/companies: 503, retry 1 of 4 after 1s",
            "GET /v4_6_release/apis/3.0/company/companies: 503, retry 2 of 4 after 2s",
        ]
    );
    assert_eq!(rig.http.waited_secs(), 3);
    assert_eq!(rig.journal().len(), 3);
}

#[tokio::test]
async fn retry_after_is_honoured_and_never_slept_in_real_time() {
    let mut rig = Rig::start(Personality::Bms).await;
    rig.fault(json!({"method": "GET", "path": "/v2/crm/accounts/summary", "status": 429, "retry_after": 240, "times": 1}));
    let started = Instant::now();
    rig.client.list(Kind::Organization).await.expect("list");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(rig.http.waited_secs(), 240);
    assert_eq!(
        rig.http.take_notes(),
        vec!["GET /v2/crm/accounts/summary: 429, retry 1 of 4 after 240s"]
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_is_not_waited_for() {
    let mut rig = Rig::start(Personality::Bms).await;
    rig.fault(json!({"method": "GET", "path": "/v2/crm/accounts/summary", "status": 429, "retry_after": 7200, "times": 1}));
    let err = rig.client.list(Kind::Organization).await.unwrap_err();
    assert_eq!(
        err,
        PsaError::RateLimited {
            retry_after: Some(7200)
        }
    );
    assert_eq!(rig.http.waited_secs(), 0);
    let notes = rig.http.take_notes();
    assert!(
        notes[0].contains("Retry-After 7200s is beyond the 3600s limit"),
        "{notes:?}"
    );
}

#[tokio::test]
async fn retries_are_bounded_and_the_last_failure_is_reported() {
    let mut rig = Rig::start(Personality::Autotask).await;
    rig.fault(json!({"path": "*/Companies/query", "status": 503, "times": 10}));
    let err = rig.client.list(Kind::Organization).await.unwrap_err();
    assert!(
        matches!(err, PsaError::Transient(ref m) if m.starts_with("503")),
        "{err:?}"
    );
    assert_eq!(rig.journal().len(), 5, "one attempt and four retries");
    assert_eq!(rig.http.waited_secs(), 1 + 2 + 4 + 8);
    let notes = rig.http.take_notes();
    assert_eq!(
        notes.last().map(String::as_str),
        Some("POST /ATServicesRest/V1.0/Companies/query: 503, giving up after 4 retries")
    );
}

#[tokio::test]
async fn autotask_business_500_is_not_retried_but_its_thread_limit_is() {
    let mut rig = Rig::start(Personality::Autotask).await;
    rig.fault(json!({"path": "*/Companies/query", "status": 500, "times": 1}));
    assert!(matches!(
        rig.client.list(Kind::Organization).await,
        Err(PsaError::Rejected { status: 500, .. })
    ));
    assert_eq!(rig.journal().len(), 1);

    rig.fault(json!({"path": "*/Companies/query", "status": 500, "times": 1,
                     "body": {"errors": ["Itgenatr005: thread threshold of 3 threads has been exceeded"]}}));
    rig.client.list(Kind::Organization).await.expect("retried");
    assert_eq!(
        rig.http.take_notes(),
        vec![
            "POST /ATServicesRest/V1.0/Companies/query: 500 (thread limit), retry 1 of 4 after 1s"
        ]
    );
}

#[tokio::test]
async fn a_dropped_connection_on_a_read_is_retried() {
    let mut rig = Rig::start(Personality::Vorex).await;
    rig.fault(
        json!({"method": "GET", "path": "/v2/crm/contacts/summary", "drop": true, "times": 1}),
    );
    rig.client.list(Kind::Contact).await.expect("list");
    assert_eq!(
        rig.http.take_notes(),
        vec!["GET /v2/crm/contacts/summary: connection dropped, retry 1 of 4 after 1s"]
    );

    rig.fault(
        json!({"method": "GET", "path": "/v2/crm/contacts/summary", "drop": true, "times": 5}),
    );
    let err = rig.client.list(Kind::Contact).await.unwrap_err();
    // A read has no unknown outcome: once retries are spent it simply failed.
    assert!(
        matches!(err, PsaError::Transient(ref m) if m.contains("connection dropped")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_create_that_landed_is_adopted_not_repeated() {
    for p in [
        Personality::Connectwise,
        Personality::Autotask,
        Personality::Pulseway,
    ] {
        for fault in [json!({"status": 503}), json!({"drop": true})] {
            let mut rig = Rig::start(p).await;
            let mut rule = json!({"method": "POST", "path": "*", "landed": true, "times": 1});
            rule.as_object_mut()
                .unwrap()
                .extend(fault.as_object().unwrap().clone());
            rig.fault(rule);
            let id = rig.create_org("Landed Co").await.expect("create");
            assert_eq!(
                rig.companies().await,
                vec!["Landed Co".to_string()],
                "{p:?} {fault}"
            );
            let notes = rig.http.take_notes();
            assert_eq!(notes.len(), 1, "{notes:?}");
            assert!(
                notes[0].ends_with(&format!(
                    "but it landed as {id}: adopted, not created again"
                )),
                "{p:?}: {notes:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_create_that_did_not_land_is_repeated_after_looking() {
    let mut rig = Rig::start(Personality::Bms).await;
    rig.fault(json!({"method": "POST", "path": "/v2/crm/accounts", "status": 502, "times": 1}));
    rig.create_org("Retried Co").await.expect("create");
    assert_eq!(rig.companies().await, vec!["Retried Co".to_string()]);
    assert_eq!(
        rig.http.take_notes(),
        vec!["POST /v2/crm/accounts: 502, not in the PSA, retry 1 of 4 after 1s"]
    );
    let posts = rig
        .journal()
        .into_iter()
        .filter(|l| l.starts_with("POST /v2/crm/accounts "))
        .count();
    assert_eq!(posts, 2);
}

#[tokio::test]
async fn a_rate_limited_create_is_repeated_without_looking() {
    let mut rig = Rig::start(Personality::Connectwise).await;
    rig.fault(json!({"method": "POST", "path": "*/company/companies", "status": 429, "retry_after": 7, "times": 1}));
    rig.create_org("Limited Co").await.expect("create");
    assert_eq!(
        rig.http.take_notes(),
        vec!["POST /v4_6_release/apis/3.0/company/companies: 429, retry 1 of 4 after 7s"]
    );
    // The one GET asks whether the derived Company ID is free; no look-up for the create.
    let gets = rig
        .journal()
        .into_iter()
        .filter(|l| l.starts_with("GET"))
        .count();
    assert_eq!(gets, 1, "a 429 create did not land: no look-up");
}

#[tokio::test]
async fn a_create_that_keeps_failing_is_not_created_at_all() {
    let mut rig = Rig::start(Personality::Connectwise).await;
    rig.http.set_policy(RetryPolicy {
        max_retries: 1,
        ..RetryPolicy::default()
    });
    rig.fault(json!({"method": "POST", "path": "*/company/companies", "status": 503}));
    let err = rig.create_org("Never Co").await.unwrap_err();
    // Looked for after every attempt and never there: it did not land.
    assert!(
        matches!(err, PsaError::Transient(ref m) if m.starts_with("503")),
        "{err:?}"
    );
    assert!(rig.companies().await.is_empty());
    assert_eq!(
        rig.http.take_notes(),
        vec![
            "POST /v4_6_release/apis/3.0/company/companies: 503, not in the PSA, retry 1 of 1 after 1s",
            "POST /v4_6_release/apis/3.0/company/companies: 503, not in the PSA, giving up after 1 retries",
        ]
    );
}

/// The engine reads the retry policy as a setting and the waited time from the layer, and its
/// sync log carries each retry before the outcome it led to.
#[tokio::test]
async fn the_engine_sets_the_policy_and_reads_the_virtual_wait() {
    let org: Fields = [
        ("name".to_string(), json!("Acme")),
        ("type".to_string(), json!("Customer")),
        ("status".to_string(), json!("Active")),
    ]
    .into_iter()
    .collect();
    let settings = Settings {
        two_way: true,
        ..Settings::default()
    };
    let rule = json!({"method": "POST", "path": "/v2/crm/accounts", "status": 429, "retry_after": 20, "times": 1});

    let server = MockPsa::start(Personality::Bms).await;
    let conn = Connection {
        personality: Personality::Bms,
        origin: server.uri(),
        credentials: Personality::Bms.default_credentials(),
    };
    let no_retries = RetryPolicy {
        max_retries: 0,
        ..RetryPolicy::default()
    };
    let runs = [
        (
            RetryPolicy::default(),
            20,
            [
                "POST /v2/crm/accounts: 429, retry 1 of 4 after 20s",
                "organization Acme: pushed to Kaseya BMS as 1001",
            ],
        ),
        (
            no_retries,
            0,
            [
                "POST /v2/crm/accounts: 429, giving up after 0 retries",
                "organization Acme: push failed: rate limited (429), retry after 20s",
            ],
        ),
    ];
    for (policy, waited, log) in runs {
        let mut engine = Engine::new(conn.clone(), settings.clone()).with_retry_policy(policy);
        server.fault(rule.clone());
        engine
            .create(Kind::Organization, &org, Source::Manual)
            .await
            .expect("saved");
        assert_eq!(engine.retry_wait_secs(), waited);
        assert_eq!(engine.log(), log);
    }
}

/// The BMS hourly quota: the 429's Retry-After (up to an hour) is waited on the clock shared
/// with the mock, so the quota window passes in no real time and the retry is answered.
#[tokio::test]
async fn an_hourly_quota_wait_moves_the_shared_clock_and_the_quota_resets() {
    let mut settings = mock_psa::Settings::for_personality(Personality::Bms);
    settings.bms_hourly_quota = 2;
    let server = MockPsa::start_with_settings(Personality::Bms, settings).await;
    let http = Http::default();
    http.share_clock(format!("{}/__admin/clock", server.uri()));
    let mut client = client_for(
        Connection {
            personality: Personality::Bms,
            origin: server.uri(),
            credentials: Personality::Bms.default_credentials(),
        },
        http.clone(),
    );
    client.connect().await.expect("connect");
    // Lookups share a route template, so connecting already waited for the quota.
    let before = http.waited_secs();
    let at_connect = server.now();
    assert_eq!(at_connect, mock_psa::clock::DEFAULT_EPOCH + before as i64);
    http.take_notes();
    let started = Instant::now();
    for _ in 0..3 {
        client
            .list(Kind::Organization)
            .await
            .expect("list after the wait");
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        http.take_notes(),
        vec!["GET /v2/crm/accounts/summary: 429, retry 1 of 4 after 3600s"]
    );
    assert_eq!(http.waited_secs() - before, 3600);
    let now = server.now();
    assert_eq!(now, at_connect + 3600);
}

#[tokio::test]
async fn the_retry_layer_sends_through_the_callers_own_client() {
    let server = MockPsa::start(Personality::Connectwise).await;
    let url = format!("{}/v4_6_release/apis/3.0/system/info", server.uri());
    let plain = Http::default();
    let reply = plain
        .send_once(plain.request(reqwest::Method::GET, &url))
        .await
        .expect("the default client reaches the mock");
    assert_eq!(
        reply.status, 401,
        "the mock answers (no credentials were sent)"
    );
    // A caller's client that refuses plain HTTP: the layer must use it, not a default one.
    let https_only = reqwest::Client::builder()
        .https_only(true)
        .build()
        .expect("client");
    let own = Http::with_client(https_only);
    let refused = own.send_once(own.request(reqwest::Method::GET, &url)).await;
    assert!(
        refused.is_err(),
        "sent through a client other than the caller's: {refused:?}"
    );
}
