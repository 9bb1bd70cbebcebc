//! The `psa-harness` command as a CI would run it: exit codes, summaries, reports, errors.

use std::path::PathBuf;
use std::process::Command;

fn harness() -> Command {
    Command::new(env!("CARGO_BIN_EXE_psa-harness"))
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("psa-harness-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn run_prints_a_summary_per_case_and_psa_and_writes_junit() {
    let dir = temp_dir("junit");
    let junit = dir.join("report.xml");
    let json = dir.join("report.json");
    let out = harness()
        .current_dir(workspace())
        .args(["run", "scenarios/plan-and-role-gates.yaml", "--junit"])
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for psa in ["connectwise", "autotask", "bms", "pulseway", "vorex"] {
        assert!(
            stdout.lines().any(|l| l.starts_with("PASS")
                && l.contains("plan-and-role-gates")
                && l.contains(psa)),
            "{stdout}"
        );
    }
    assert!(stdout.contains("5 passed, 0 failed"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("plan-and-role-gates::vorex"), "{xml}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["passed"], 5);
}

#[test]
fn a_changed_golden_exits_non_zero_and_names_the_field() {
    let dir = temp_dir("golden");
    let name = "type-status-filter-on-push.connectwise.yaml";
    let text = std::fs::read_to_string(workspace().join("golden").join(name)).unwrap();
    let changed = text.replacen("identifier: GAMMA", "identifier: GAMMA2", 1);
    assert_ne!(changed, text, "golden should hold identifier: GAMMA");
    std::fs::write(dir.join(name), changed).unwrap();
    let junit = dir.join("junit.xml");
    let out = harness()
        .current_dir(workspace())
        .args([
            "run",
            "scenarios/type-status-filter-on-push.yaml",
            "--psa",
            "connectwise",
            "--golden",
        ])
        .arg(&dir)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL"), "{stdout}");
    assert!(
        stdout.contains("identifier`: golden \"GAMMA2\", actual \"GAMMA\""),
        "{stdout}"
    );
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("<failure"));
}

#[test]
fn a_broken_scenario_is_reported_with_file_line_and_column() {
    let dir = temp_dir("broken");
    let file = dir.join("broken.yaml");
    std::fs::write(
        &file,
        "psas: all\nsteps:\n  - sync: full\n  - teleport: {to: mars}\n",
    )
    .unwrap();
    let out = harness().arg("run").arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:4:", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("teleport"), "{stderr}");

    std::fs::write(&file, "psas: [connectwise, tigerpaw]\n").unwrap();
    let out = harness().arg("run").arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:1:1: unknown PSA `tigerpaw`", file.display())),
        "{stderr}"
    );
}

#[test]
fn user_cases_without_goldens_run_on_their_expectations() {
    let dir = temp_dir("user");
    let file = dir.join("my-case.yaml");
    std::fs::write(
        &file,
        "psas: [autotask]\npsa:\n  companies:\n    - {name: Mine, type: Customer, status: Active}\nsteps:\n  - sync: full\nexpect:\n  - {that: docs.organizations, count: 1}\n",
    )
    .unwrap();
    let out = harness()
        .arg("run")
        .arg(&file)
        .arg("--expectations-only")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    std::fs::write(&file, "psas: [autotask]\nsteps:\n  - sync: full\nexpect:\n  - {that: docs.organizations, count: 1}\n").unwrap();
    let out = harness()
        .arg("run")
        .arg(&file)
        .arg("--expectations-only")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("expected 1 item(s), found 0"), "{stdout}");
}
