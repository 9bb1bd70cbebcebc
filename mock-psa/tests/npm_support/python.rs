//! The Python client libraries' virtual environment (tests/clients/python/.venv, from the
//! pinned requirements.txt): made on first use, one installer at a time across test binaries;
//! .ci/run makes it up front.

#![allow(dead_code)] // each test binary uses its own part
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/clients/python")
}

/// The venv's python, with `module` importable (installing the requirements first if needed).
pub fn venv_with(module: &str) -> PathBuf {
    let dir = python_dir();
    let python = dir.join(".venv/bin/python");
    let ready = || {
        std::process::Command::new(&python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ready() {
        return python;
    }
    let _lock = Lock::acquire(dir.join(".venv.lock"));
    if !ready() {
        run(&dir, Path::new("python3"), &["-m", "venv", ".venv"]);
        let pip = ["-m", "pip", "install", "-q", "-r", "requirements.txt"];
        run(&dir, &python, &pip);
    }
    assert!(
        ready(),
        "pip install succeeded but {module} does not import"
    );
    python
}

fn run(dir: &Path, program: &Path, args: &[&str]) {
    let out = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "could not run {}: {e} (python3 with venv is needed)",
                program.display()
            )
        });
    assert!(
        out.status.success(),
        "{} {args:?} failed ({}):\n{}\n{}",
        program.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A lock file held while installing; removed when dropped, even on a panic.
struct Lock(PathBuf);

impl Lock {
    fn acquire(path: PathBuf) -> Lock {
        let start = Instant::now();
        while std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .is_err()
        {
            assert!(
                start.elapsed() < Duration::from_secs(300),
                "waited 5 minutes for {}; remove it if stale",
                path.display()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Lock(path)
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
