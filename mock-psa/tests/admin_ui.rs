//! The live page (`/__admin/ui`) in a real headless Chromium (tests/browser/admin-ui.js): what a
//! person sees while a client talks to the mock — the records, the journal growing without a
//! reload, the fault rules, the virtual clock — with a screenshot kept for review.

#[path = "../../tests/browser/support.rs"]
mod browser;

use base64::Engine;
use mock_psa::testing::MockPsa;
use mock_psa::Personality;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_page_shows_state_journal_faults_and_clock() {
    let dir = browser::ensure_playwright();
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

    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("admin-ui.png");
    let _ = std::fs::remove_file(&shot);
    let options = serde_json::json!({
        "auth": auth,
        "clientId": "ui-test",
        "api": Personality::Connectwise.api_root(),
    });
    let out = tokio::process::Command::new("node")
        .arg(dir.join("admin-ui.js"))
        .arg(psa.uri())
        .arg(&shot)
        .arg(options.to_string())
        .kill_on_drop(true)
        .output()
        .await
        .expect("node is needed for the browser tests");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("RESULT ok"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.lines().filter(|l| l.starts_with("ok: ")).count() >= 13,
        "{stdout}"
    );
    // The page's own reads are not requests to the PSA: the journal holds the client's three.
    assert_eq!(psa.received_requests().len(), 3);
    let png = std::fs::read(&shot).expect("the screenshot was written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a blank screenshot"
    );
}
