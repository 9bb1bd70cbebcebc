//! The `mock-psa` command as a user meets it: usage errors exit 2 without a backtrace, and the
//! seed file the README's serve command names exists and seeds every personality.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn mock() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mock-psa"));
    c.env("RUST_BACKTRACE", "1").current_dir(workspace());
    c
}

#[test]
fn user_errors_exit_2_without_a_backtrace() {
    for (args, says) in [
        (
            &["serve", "--psa", "foo"][..],
            "invalid value 'foo' for '--psa",
        ),
        (
            &["serve", "--psa", "bms", "--seed", "no-such-seed.yaml"][..],
            "seed file no-such-seed.yaml",
        ),
        (
            &["serve", "--seed", "Cargo.toml"][..],
            "seed file Cargo.toml",
        ),
    ] {
        let out = mock().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("backtrace") && !stderr.contains("Stack"),
            "{stderr}"
        );
        assert!(stderr.trim().lines().count() <= 3, "one message: {stderr}");
    }
}

#[test]
fn the_readme_seed_file_seeds_every_personality() {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let seed = "examples/seed.yaml";
    assert!(
        readme.contains(&format!("--seed {seed}")),
        "the README's serve command uses {seed}"
    );
    let mut child = mock()
        .args(["serve", "--psa", "all", "--json", "--seed", seed])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&line).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for s in doc["servers"].as_array().unwrap() {
        let url = format!("{}/snapshot?view=neutral", s["admin_url"].as_str().unwrap());
        let snap: serde_json::Value = rt
            .block_on(async { http.get(&url).send().await?.json().await })
            .unwrap();
        let names: Vec<&str> = snap["records"]["companies"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert!(
            names.contains(&"Acme") && names.contains(&"Globex"),
            "{}: {names:?}",
            s["psa"]
        );
        assert_eq!(
            snap["records"]["tickets"].as_array().map(Vec::len),
            Some(1),
            "{}",
            s["psa"]
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
}
