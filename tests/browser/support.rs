//! Shared by the page tests of every crate (`#[path]`-included): playwright-core installed in
//! tests/browser (no browser download; Debian's chromium is the browser) and a script run there.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// tests/browser with playwright-core installed (one installer at a time across test binaries),
/// after checking that Chromium is there; a machine without either fails with what to install.
pub fn ensure_playwright() -> PathBuf {
    let dir = workspace().join("tests").join("browser");
    let ready = || {
        dir.join("node_modules/playwright-core/package.json")
            .is_file()
    };
    if !ready() {
        let lock = dir.join(".npm-ci.lock");
        let start = Instant::now();
        while std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
            .is_err()
        {
            assert!(
                start.elapsed() < Duration::from_secs(300),
                "waited 5 minutes for {}; remove it if stale",
                lock.display()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let out = (!ready()).then(|| {
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .output()
        });
        let _ = std::fs::remove_file(&lock);
        if let Some(out) = out {
            let out = out.expect("npm (node 18+) is needed for the browser tests");
            assert!(
                out.status.success(),
                "npm ci in {}: {}",
                dir.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} not found: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM"
    );
    dir
}

/// The stdout of a page script that ended with every check passed (`RESULT ok`); otherwise
/// fails the test with everything the script printed.
pub fn passed_checks(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && stdout.contains("RESULT ok"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
