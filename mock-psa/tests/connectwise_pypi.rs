//! The real PyPI `pyconnectwise` library (tests/clients/python/connectwise_py.py), unmodified,
//! against `mock-psa serve --tls`: it creates a company, a site, a contact, a configuration and
//! a ticket with every member its generated models carry and reads each back through the
//! library. The library only speaks https; requests verifies the mock's certificate through
//! REQUESTS_CA_BUNDLE.
//!
//! The library is installed into tests/clients/python/.venv from the pinned requirements.txt
//! when it is missing. A machine without python3 (with venv) fails with a clear message.

#[allow(dead_code)] // the node half of the helpers is not used here
mod npm_support;

use npm_support::{admin_get, Serve};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

#[tokio::test]
async fn pyconnectwise_creates_every_model_member_over_https() {
    let python = npm_support::python::venv_with("pyconnectwise");
    let serve = Serve::start("connectwise", true).await;
    let admin = serve.str("/admin_url");
    let https_port = serve.server["https"]["port"]
        .as_u64()
        .expect("https port in serve --json");
    let ca = serve.ca_file.clone().expect("CA file");
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new(&python)
            .arg("connectwise_py.py")
            .current_dir(npm_support::python::python_dir())
            .env("MOCK_HTTPS_PORT", https_port.to_string())
            .env("REQUESTS_CA_BUNDLE", &ca)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("connectwise_py.py finished within 120 s")
    .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = format!(
        "--- stdout\n{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "connectwise_py.py failed:\n{report}");
    let result = stdout
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .unwrap_or_else(|| panic!("no RESULT line:\n{report}"));
    assert_eq!(
        result, "RESULT connectwise_py: 17 checks passed, 0 failed",
        "{report}"
    );

    // What the library sent, as the mock saw it: full bodies, all created.
    let journal = admin_get(&format!("{admin}/journal")).await;
    let entries = journal["entries"].as_array().expect("entries");
    let created = |path: &str| {
        entries
            .iter()
            .filter(|e| e["method"] == "POST" && e["path"] == path && e["status"] == 201)
            .map(|e| e["request_body"].as_object().map_or(0, |b| b.len()))
            .max()
            .unwrap_or(0)
    };
    // The widest body each collection accepted: the model's members less `id` and `_info`.
    for (path, members) in [
        ("/v4_6_release/apis/3.0/company/companies", 67),
        ("/v4_6_release/apis/3.0/company/contacts", 60),
        ("/v4_6_release/apis/3.0/company/configurations", 54),
        ("/v4_6_release/apis/3.0/service/tickets", 106),
    ] {
        assert_eq!(created(path), members, "{path}");
    }
    let statuses: Vec<u64> = entries
        .iter()
        .filter_map(|e| e["status"].as_u64())
        .collect();
    assert!(!statuses.contains(&500), "{statuses:?}");
}
