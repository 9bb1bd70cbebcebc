//! The live page (`/__admin/ui`) in a real headless Chromium (tests/browser/admin-ui.js): what a
//! person sees while a client talks to the mock — the records, the journal growing without a
//! reload, the fault rules, the virtual clock — with a screenshot kept for review; and, on a mock
//! with an admin token (tests/browser/admin-ui-writes.js), the changes it makes with the token.

#[path = "../../tests/browser/support.rs"]
mod browser;

use base64::Engine;
use mock_psa::testing::MockPsa;
use mock_psa::{NeutralKind, Personality, ServerOptions};
use std::path::Path;

/// Runs one page script against `origin`, asserts its RESULT line and at least `checks` passed
/// checks, and returns the screenshot it wrote.
async fn run_page(
    script: &str,
    origin: &str,
    options: serde_json::Value,
    checks: usize,
) -> Vec<u8> {
    let dir = browser::ensure_playwright();
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(script.replace(".js", ".png"));
    let _ = std::fs::remove_file(&shot);
    let out = tokio::process::Command::new("node")
        .arg(dir.join(script))
        .arg(origin)
        .arg(&shot)
        .arg(options.to_string())
        .kill_on_drop(true)
        .output()
        .await
        .expect("node is needed for the browser tests");
    let stdout = browser::passed_checks(&out);
    assert!(
        stdout.lines().filter(|l| l.starts_with("ok: ")).count() >= checks,
        "{stdout}"
    );
    let png = std::fs::read(&shot).expect("the screenshot was written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a blank screenshot"
    );
    png
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_page_shows_state_journal_faults_and_clock() {
    let psa = MockPsa::start(Personality::Connectwise).await;
    psa.seed(
        "clock: 2024-06-01T00:00:00Z\n\
         companies: [{name: Acme Widgets, type: Customer, status: Active}]\n\
         contacts: [{company: Acme Widgets, first_name: Zoe, last_name: Quinn}]",
    );
    let c = psa.credentials();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}+{}:{}", c.company, c.user, c.secret))
    );
    // One request before the page opens; the script makes two more while it watches.
    let status = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{}/company/companies", psa.api_url()))
        .header("Authorization", &auth)
        .header("clientId", "ui-test")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    psa.fault(serde_json::json!({"method": "POST", "path": "*/company/contacts", "status": 503}));

    let options = serde_json::json!({
        "auth": auth,
        "clientId": "ui-test",
        "api": Personality::Connectwise.api_root(),
    });
    run_page("admin-ui.js", &psa.uri(), options, 15).await;
    // The page's own reads are not requests to the PSA: the journal holds the client's three.
    assert_eq!(psa.received_requests().len(), 3);
    assert_eq!(
        psa.records(NeutralKind::Company).len(),
        1,
        "nothing was written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_page_writes_only_with_the_admin_token() {
    let options = ServerOptions {
        admin_token: Some("s3cret-token".into()),
        ..ServerOptions::default()
    };
    let psa = MockPsa::start_with(Personality::Connectwise, options).await;
    psa.seed(
        "clock: 2024-06-01T00:00:00Z\n\
         companies: [{name: Acme Widgets, type: Customer, status: Active}]",
    );
    let options = serde_json::json!({ "token": "s3cret-token" });
    run_page("admin-ui-writes.js", &psa.uri(), options, 28).await;
    // What the page changed is what the mock holds: the reset it ended with, and no fault left.
    let names: Vec<_> = psa
        .records(NeutralKind::Company)
        .into_iter()
        .map(|c| c["name"].clone())
        .collect();
    assert!(names.is_empty(), "{names:?}");
    assert!(psa.server().state().world().faults.rules().is_empty());
    assert!(psa.received_requests().is_empty());
}
