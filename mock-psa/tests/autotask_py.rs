//! The real PyPI `py-autotask` library (tests/clients/python/autotask_py.py), unmodified, against
//! `mock-psa serve`: introspection through its own field models, creates with every writable
//! member of the schema, child routes (contacts, ticket attachments), filters on rare members,
//! a wrong-typed member refused with nothing stored.

// The npm half of the shared support (installing node packages) is not used here.
#[allow(dead_code)]
mod npm_support;

use npm_support::Serve;
use std::path::PathBuf;
use std::time::Duration;

#[tokio::test]
async fn py_autotask_library_drives_the_mock_with_every_member() {
    let python = npm_support::python::venv_with("py_autotask");
    let serve = Serve::start("autotask", false).await;
    let schema = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/dialect/autotask/schema.json");
    let mut cmd = tokio::process::Command::new(python);
    cmd.args(["-W", "ignore", "autotask_py.py"])
        .current_dir(npm_support::python::python_dir())
        .env("MOCK_ORIGIN", serve.str("/origin"))
        .env("MOCK_SCHEMA", schema)
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("autotask_py.py finished within 120 s")
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "autotask_py.py failed:\n{report}");
    let result = stdout
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .unwrap_or_else(|| panic!("no RESULT line:\n{report}"));
    let passed: usize = result
        .split(": ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unreadable `{result}`"));
    // 10 entities' field lists, ~200 members read back, the attachment, filter, count, refusal.
    assert!(
        result.ends_with(", 0 failed") && passed >= 200,
        "`{result}`:\n{report}"
    );
}
