//! Shared by the tests that drive real npm client libraries against `mock-psa serve`: find
//! node, install `tests/clients` with `npm ci` when its node_modules is missing, start the
//! server binary on free ports and read its `--json` line, run one client script.
//!
//! A machine without node fails these tests with a clear message: they never skip.

pub mod python;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The node project holding the client scripts and their lockfile.
pub fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("clients")
}

/// Checks node is there and the client libraries are installed, running `npm ci` if not.
pub fn ensure_node_modules() {
    let node = std::process::Command::new("node").arg("--version").output();
    match node {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`node --version` failed ({}): node 18+ is needed to run the real-client tests",
            out.status
        ),
        Err(e) => panic!(
            "node was not found ({e}): install node 18+ (and npm) to run the real-client tests"
        ),
    }
    let dir = clients_dir();
    let installed = || {
        ["connectwise-rest", "@apigrate/autotask-restapi"]
            .iter()
            .all(|p| {
                dir.join("node_modules")
                    .join(p)
                    .join("package.json")
                    .is_file()
            })
    };
    if installed() {
        return;
    }
    // One installer at a time across test binaries (nextest runs them in parallel).
    let _lock = InstallLock::acquire(&dir.join(".npm-ci.lock"));
    if installed() {
        return;
    }
    let out = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("could not run `npm ci` in {}: {e}", dir.display()));
    assert!(
        out.status.success(),
        "`npm ci` in {} failed ({}):\n{}\n{}",
        dir.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        installed(),
        "`npm ci` succeeded but the client libraries are still missing"
    );
}

struct InstallLock(PathBuf);

impl InstallLock {
    fn acquire(path: &Path) -> InstallLock {
        let start = Instant::now();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(_) => return InstallLock(path.to_path_buf()),
                Err(_) if start.elapsed() < Duration::from_secs(300) => {
                    std::thread::sleep(Duration::from_millis(200))
                }
                Err(e) => panic!(
                    "waited 5 minutes for {} (another npm ci?); remove it if stale: {e}",
                    path.display()
                ),
            }
        }
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A `mock-psa serve` child process; killed when dropped.
pub struct Serve {
    _child: Child,
    /// The one personality's entry of the `--json` line.
    pub server: Value,
    /// The CA certificate file when serving HTTPS.
    pub ca_file: Option<PathBuf>,
}

impl Serve {
    /// Starts `mock-psa serve --psa <psa> --port 0 --json` (plus `--tls` when asked).
    pub async fn start(psa: &str, tls: bool) -> Serve {
        let ca_file = tls.then(|| {
            PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("mock-psa-ca-{psa}-{}.pem", std::process::id()))
        });
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mock-psa"));
        cmd.args(["serve", "--psa", psa, "--port", "0", "--json"]);
        if let Some(ca) = &ca_file {
            cmd.arg("--tls").arg("--ca-out").arg(ca);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn mock-psa serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(30),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("mock-psa serve printed its ports within 30 s")
        .expect("read mock-psa serve stdout");
        let doc: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("serve --json printed `{line}`: {e}"));
        let server = doc["servers"][0].clone();
        assert_eq!(server["psa"], psa, "{doc}");
        Serve {
            _child: child,
            server,
            ca_file,
        }
    }

    pub fn str(&self, pointer: &str) -> String {
        self.server
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{pointer} missing in {}", self.server))
            .to_string()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(ca) = &self.ca_file {
            let _ = std::fs::remove_file(ca);
        }
    }
}

/// Runs `node <script>` in the clients dir with `env`; returns the output after asserting the
/// script passed all its checks (`RESULT ...: N checks passed, 0 failed`, N >= `min_checks`).
pub async fn run_script(script: &str, env: &[(&str, String)], min_checks: usize) -> String {
    let mut cmd = Command::new("node");
    cmd.arg(script)
        .current_dir(clients_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("client script finished within 120 s")
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = format!("--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{report}",
        out.status
    );
    let result = stdout
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .unwrap_or_else(|| panic!("{script} printed no RESULT line:\n{report}"));
    let passed: usize = result
        .split(": ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unreadable RESULT line `{result}`"));
    assert!(
        result.ends_with(", 0 failed") && passed >= min_checks,
        "{script}: `{result}`, expected at least {min_checks} checks and none failed:\n{report}"
    );
    stdout
}

/// GET on the mock's admin API, as JSON.
pub async fn admin_get(url: &str) -> Value {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    http.get(url)
        .send()
        .await
        .expect("admin call")
        .json()
        .await
        .expect("admin json")
}
