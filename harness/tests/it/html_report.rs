//! `psa-harness run --html`: the report loaded in headless Chromium (Debian's `chromium`) and
//! checked as a person sees it (tests/browser/html-report.js), with a screenshot kept at
//! target/html-report.png. A machine without node or chromium fails with a clear message.

#[path = "../../../tests/browser/support.rs"]
mod browser;

use browser::{ensure_playwright, passed_checks, workspace};
use std::process::Command;

#[test]
fn html_report_shows_matrix_cases_diff_and_timeline_in_chromium() {
    let browser = ensure_playwright();
    let dir = std::env::temp_dir().join(format!("psa-html-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // One golden changed by hand: that case fails with a diff, its four siblings pass.
    let case = "type-status-filter-on-push";
    for psa in ["connectwise", "autotask", "bms", "pulseway", "vorex"] {
        let name = format!("{case}.{psa}.yaml");
        let text = std::fs::read_to_string(workspace().join("golden").join(&name)).unwrap();
        let text = if psa == "connectwise" {
            let changed = text.replacen("identifier: GAMMA", "identifier: GAMMA2", 1);
            assert_ne!(changed, text);
            changed
        } else {
            text
        };
        std::fs::write(dir.join(&name), text).unwrap();
    }
    let golden: serde_json::Value = serde_norway::from_str(
        &std::fs::read_to_string(dir.join(format!("{case}.connectwise.yaml"))).unwrap(),
    )
    .unwrap();
    let requests = golden["requests"].as_array().unwrap().len();
    let html = dir.join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_psa-harness"))
        .current_dir(workspace())
        .args(["run", &format!("scenarios/{case}.yaml"), "--golden"])
        .arg(&dir)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "one case fails");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        !page.contains("<script src") && !page.contains("<link"),
        "self-contained"
    );

    let rules = harness::rules::Catalogue::load(&workspace().join("scenarios/rules.yaml"))
        .unwrap()
        .rules
        .len();
    let want = serde_json::json!({
        "failCase": case, "failPsa": "connectwise", "failRule": "R20",
        "passed": 4, "failed": 1, "skipped": 0, "rules": rules,
        "requests": requests, "diffText": "identifier: GAMMA2",
    });
    let shot = workspace().join("target").join("html-report.png");
    let out = Command::new("node")
        .arg(browser.join("html-report.js"))
        .arg(&html)
        .arg(&shot)
        .arg(want.to_string())
        .output()
        .expect("node is needed for the browser tests");
    passed_checks(&out);
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a screenshot"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
