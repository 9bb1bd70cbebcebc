//! The admin API as a hostile web page, a rebinding DNS name and a careless operator would
//! try it, over real HTTP: cross-site writes, foreign `Host` names and preflights are refused
//! and change nothing; a token replaces the loopback rule; secrets stay hidden unless asked;
//! and a refused write (a seed with one bad row) leaves the state exactly as it was.

mod support;

use mock_psa::testing::MockPsa;
use mock_psa::{MockServer, Personality, ServerOptions};
use serde_json::{json, Value};

async fn snapshot(http: &reqwest::Client, server: &MockServer) -> Value {
    let resp = http
        .get(format!("{}/snapshot", server.admin_url()))
        .send()
        .await
        .expect("snapshot");
    support::reply(resp).await.1["tables"].clone()
}

const SEED: &str = "companies:\n  - {name: Planted, type: Customer}\n";

#[tokio::test]
async fn browser_pages_and_foreign_hosts_cannot_use_the_admin_api() {
    let (server, http) = support::start(Personality::Connectwise).await;
    let before = snapshot(&http, &server).await;
    let seed = format!("{}/seed", server.admin_url());
    let own = server.origin();
    let refused: Vec<(&str, reqwest::RequestBuilder)> = vec![
        (
            "text/plain POST from a foreign page",
            http.post(&seed)
                .header("Content-Type", "text/plain")
                .header("Origin", "http://evil.example")
                .body(SEED),
        ),
        (
            "sandboxed page (Origin null)",
            http.post(&seed).header("Origin", "null").body(SEED),
        ),
        (
            "browser says cross-site",
            http.post(&seed)
                .header("Sec-Fetch-Site", "cross-site")
                .body(SEED),
        ),
        (
            "DNS rebinding (foreign Host)",
            http.post(&seed)
                .header("Host", format!("rebind.example:{}", server.addr().port()))
                .body(SEED),
        ),
        (
            "reset from a foreign page",
            http.post(format!("{}/reset", server.admin_url()))
                .header("Origin", "http://evil.example"),
        ),
        (
            "CORS preflight",
            http.request(reqwest::Method::OPTIONS, &seed)
                .header("Origin", "http://evil.example")
                .header("Access-Control-Request-Method", "POST"),
        ),
    ];
    for (how, rb) in refused {
        let resp = rb.send().await.expect("answered");
        assert!(
            resp.headers().get("access-control-allow-origin").is_none(),
            "{how}: CORS allowed"
        );
        let (status, body) = support::reply(resp).await;
        assert_eq!(status, 403, "{how}: {body}");
        assert!(body["error"].is_string(), "{how}: {body}");
    }
    assert_eq!(
        snapshot(&http, &server).await,
        before,
        "a refused request changed the state"
    );
    // The same seed from this machine's own tools (no Origin, or the server's own) works.
    for origin in [None, Some(own.as_str())] {
        let mut rb = http.post(&seed).body(SEED);
        if let Some(o) = origin {
            rb = rb.header("Origin", o);
        }
        let (status, body) = support::reply(rb.send().await.expect("seed")).await;
        assert_eq!(status, 200, "{origin:?}: {body}");
    }
}

#[tokio::test]
async fn an_admin_token_is_required_when_set_and_a_public_address_needs_one() {
    let options = ServerOptions {
        admin_token: Some("t0ken".into()),
        ..Default::default()
    };
    let server = MockPsa::start_with(Personality::Autotask, options)
        .await
        .into_server();
    let http = support::client();
    let health = format!("{}/health", server.admin_url());
    let status = |rb: reqwest::RequestBuilder| async move {
        rb.send().await.expect("sent").status().as_u16()
    };
    assert_eq!(status(http.get(&health)).await, 401);
    assert_eq!(status(http.get(&health).bearer_auth("wrong")).await, 401);
    assert_eq!(status(http.get(&health).bearer_auth("t0ken")).await, 200);
    // With the token, a container's own name is fine as Host.
    let named = http
        .get(&health)
        .header("Host", "mock-psa:4000")
        .header("X-Admin-Token", "t0ken");
    assert_eq!(status(named).await, 200);
    // The PSA API itself does not need the admin token.
    let zone = format!(
        "{}/ATServicesRest/V1.0/zoneInformation?user=api@example.com",
        server.origin()
    );
    assert_eq!(status(http.get(&zone)).await, 200);

    let open_to_all = ServerOptions {
        host: Some("0.0.0.0".parse().unwrap()),
        ..Default::default()
    };
    let err = MockServer::start(Personality::Autotask, open_to_all)
        .await
        .err()
        .expect("a public address without a token is refused");
    assert!(err.to_string().contains("admin token"), "{err}");
}

#[tokio::test]
async fn secrets_are_redacted_in_settings_and_journal_unless_revealed() {
    let (server, http) = support::start(Personality::Bms).await;
    let admin = server.admin_url();
    let token = support::bms_token(&server, &http, false).await;

    let get = |path: String| {
        let http = http.clone();
        async move {
            http.get(path)
                .send()
                .await
                .expect("get")
                .text()
                .await
                .expect("text")
        }
    };
    let settings = get(format!("{admin}/settings")).await;
    let journal = get(format!("{admin}/journal")).await;
    for (what, text) in [("settings", &settings), ("journal", &journal)] {
        assert!(
            !text.contains("\"password\"") && !text.contains("password=password"),
            "{what}: {text}"
        );
        assert!(!text.contains(&token), "{what} shows the live token");
        assert!(text.contains("[redacted]"), "{what}: {text}");
    }
    let settings = get(format!("{admin}/settings?reveal=secrets")).await;
    let journal = get(format!("{admin}/journal?reveal=secrets")).await;
    assert!(settings.contains("\"secret\":\"password\""), "{settings}");
    assert!(
        journal.contains("password=password") && journal.contains(&token),
        "{journal}"
    );

    // A GET-edit-PUT round trip of the redacted settings keeps the real secret.
    let shown: Value = serde_json::from_str(&get(format!("{admin}/settings")).await).unwrap();
    let resp = http
        .put(format!("{admin}/settings"))
        .json(&shown)
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status().as_u16(), 200);
    let revealed: Value =
        serde_json::from_str(&get(format!("{admin}/settings?reveal=secrets")).await).unwrap();
    assert_eq!(revealed["credentials"]["secret"], "password");
}

#[tokio::test]
async fn a_refused_seed_or_record_changes_nothing_on_any_personality() {
    for psa in Personality::ALL {
        let (server, http) = support::start(psa).await;
        let admin = server.admin_url();
        let before = snapshot(&http, &server).await;
        let bad_seed = "companies:\n  - {name: First, type: Customer}\n  - {name: Second, type: Customer}\ncontacts:\n  - {company: Nobody, first_name: A, last_name: B}\n";
        let (status, body) = support::seed(&http, &server, bad_seed).await;
        assert_eq!(status, 400, "{psa}: {body}");
        assert!(
            body["error"].as_str().unwrap_or("").contains("contacts[0]"),
            "{psa}: {body}"
        );
        assert_eq!(
            snapshot(&http, &server).await,
            before,
            "{psa}: half a seed was applied"
        );

        let resp = http
            .post(format!("{admin}/records/contacts"))
            .json(&json!({"company": "Nobody", "first_name": "A", "last_name": "B"}))
            .send()
            .await
            .expect("record");
        assert_eq!(resp.status().as_u16(), 400, "{psa}");
        let resp = http
            .post(format!("{admin}/clock"))
            .json(&json!({"set": "2030-01-01T00:00:00Z", "advance": -5}))
            .send()
            .await
            .expect("clock");
        assert_eq!(resp.status().as_u16(), 400, "{psa}");
        assert_eq!(
            snapshot(&http, &server).await,
            before,
            "{psa}: a refused write changed the state"
        );
        let clock = http.get(format!("{admin}/clock")).send().await.unwrap();
        let (_, clock) = support::reply(clock).await;
        assert_ne!(
            clock["now"], "2030-01-01T00:00:00Z",
            "{psa}: half a clock change"
        );
    }
}
