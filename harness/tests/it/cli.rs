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

#[test]
fn coverage_prints_the_matrix_and_writes_the_documented_json() {
    let dir = temp_dir("coverage");
    let json = dir.join("coverage.json");
    let out = harness()
        .current_dir(workspace())
        .args([
            "coverage",
            "scenarios/bms-contact-requirements.yaml",
            "--json",
        ])
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // One case cannot cover the catalogue: the gaps make the exit code non-zero.
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let r19 = stdout.lines().find(|l| l.starts_with("R19 ")).unwrap();
    assert_eq!(
        r19.split_whitespace().collect::<Vec<_>>(),
        ["R19", "settings", "-", "-", "pass", "-", "-"],
        "{stdout}"
    );
    let r5 = stdout.lines().find(|l| l.starts_with("R5 ")).unwrap();
    assert!(r5.contains("out of scope"), "{r5}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("R1 ") && l.contains("uncovered")),
        "{stdout}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let rules = doc["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 86);
    let r19 = rules.iter().find(|r| r["id"] == "R19").unwrap();
    assert_eq!(r19["status"], "in_scope");
    assert_eq!(r19["psas"]["bms"], "pass");
    assert_eq!(r19["psas"]["connectwise"], "n/a");
    let r1 = rules.iter().find(|r| r["id"] == "R1").unwrap();
    assert_eq!(r1["psas"]["vorex"], "uncovered");
    let r56 = rules.iter().find(|r| r["id"] == "R56").unwrap();
    assert_eq!(r56["status"], "out_of_scope");
}

#[test]
fn a_scenario_naming_an_unknown_rule_is_a_broken_file_with_its_line() {
    let dir = temp_dir("unknown-rule");
    let text = std::fs::read_to_string(workspace().join("scenarios/plan-and-role-gates.yaml"))
        .unwrap()
        .replace("rules: [R1, R2, R45, R80]", "rules: [R1, R99]");
    let case = dir.join("case.yaml");
    std::fs::write(&case, text).unwrap();
    let out = harness()
        .current_dir(workspace())
        .arg("run")
        .arg(&case)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:", case.display()))
            && stderr.contains("rule `R99` is not in the catalogue"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{}:5:13:", case.display())),
        "line and column of R99: {stderr}"
    );
}

#[test]
fn a_refused_bless_says_not_blessed_and_names_the_failing_expectations() {
    let dir = temp_dir("not-blessed");
    let case = dir.join("wrong-fact.yaml");
    std::fs::write(
        &case,
        "description: A fact that does not hold.\npsas: [bms]\npsa:\n  companies: [{name: Acme, type: Customer, status: Active}]\nsteps:\n  - sync: full\nexpect:\n  - {that: docs.organizations, at_least: 5}\n  - {that: \"requests[step>1]\", none: true}\n",
    )
    .unwrap();
    let golden = dir.join("golden");
    let out = harness()
        .current_dir(workspace())
        .arg("run")
        .arg(&case)
        .arg("--bless")
        .arg("--golden")
        .arg(&golden)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("not blessed"), "{all}");
    assert!(
        all.contains("docs.organizations: expected at least 5 item(s)"),
        "{all}"
    );
    assert!(!golden.join("wrong-fact.bms.yaml").exists(), "{all}");
}

#[test]
fn a_broken_scenario_lists_every_error_with_its_line() {
    let dir = temp_dir("every-error");
    let case = dir.join("typos.yaml");
    std::fs::write(
        &case,
        "psas: all\nsteps:\n  - sync: full\nexpect:\n  - {that: psa.contact, count: 0}\n  - {that: \"docs.contacts[first_name=Zoe].baner\", absent: true}\n",
    )
    .unwrap();
    let out = harness().arg("run").arg(&case).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 2, "{stderr}");
    assert!(
        errors[0].contains("typos.yaml:5:")
            && errors[0].contains("unknown table `contact` in `psa`; did you mean `contacts`?"),
        "{stderr}"
    );
    assert!(
        errors[1].contains("typos.yaml:6:") && errors[1].contains("did you mean `banner`?"),
        "{stderr}"
    );
}

/// The last line CI runners read, alone on its line.
fn totals_line(stdout: &str) -> &str {
    stdout.lines().last().unwrap_or("")
}

fn cases_of(report: &serde_json::Value) -> Vec<String> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}::{}",
                c["case"].as_str().unwrap(),
                c["psa"].as_str().unwrap()
            )
        })
        .collect()
}

fn run_json(tag: &str, args: &[&str]) -> (Option<i32>, String, serde_json::Value) {
    let dir = temp_dir(tag);
    let json = dir.join("report.json");
    let out = harness()
        .current_dir(workspace())
        .arg("run")
        .args(args)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.code(), stdout, report)
}

#[test]
fn shards_in_parallel_report_in_suite_order_and_add_up_to_the_whole() {
    let focus = ["--case", "contact", "--rule", "R16"];
    let (code, stdout, whole) = run_json("whole", &[&focus[..], &["-j", "1"]].concat());
    assert_eq!(code, Some(0), "{stdout}");
    let whole = cases_of(&whole);
    assert!(whole.len() >= 3, "{whole:?}");
    assert!(whole.iter().all(|c| c.contains("contact")), "{whole:?}");
    assert_eq!(
        totals_line(&stdout),
        format!("{} passed, 0 failed, 0 skipped", whole.len())
    );
    let mut union = Vec::new();
    for k in 1..=2 {
        let part = format!("hash:{k}/2");
        let (code, stdout, shard) = run_json(
            "shard",
            &[&focus[..], &["--partition", &part, "-j", "4"]].concat(),
        );
        assert!(code == Some(0) || code == Some(1), "{stdout}");
        let shard = cases_of(&shard);
        // In suite order whatever order they finished in.
        let mut sorted = shard.clone();
        sorted.sort_by_key(|c| whole.iter().position(|w| w == c));
        assert_eq!(shard, sorted);
        union.extend(shard);
    }
    union.sort();
    let mut all = whole.clone();
    all.sort();
    assert_eq!(union, all, "the two shards run every case exactly once");
}

#[test]
fn fail_fast_starts_nothing_after_the_first_failure() {
    let dir = temp_dir("fail-fast");
    let case = "type-status-filter-on-push";
    for psa in ["connectwise", "autotask", "bms", "pulseway", "vorex"] {
        let name = format!("{case}.{psa}.yaml");
        let text = std::fs::read_to_string(workspace().join("golden").join(&name)).unwrap();
        std::fs::write(
            dir.join(&name),
            text.replacen("identifier: GAMMA", "identifier: X", 1),
        )
        .unwrap();
    }
    let out = harness()
        .current_dir(workspace())
        .args([
            "run",
            &format!("scenarios/{case}.yaml"),
            "--fail-fast",
            "-j",
            "1",
            "--golden",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        totals_line(&stdout),
        "0 passed, 1 failed, 4 skipped",
        "{stdout}"
    );
    assert!(
        stdout.contains("4 not run after the first failure"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn colour_only_when_asked_and_bad_focus_is_a_usage_error() {
    let args = ["run", "scenarios/plan-and-role-gates.yaml", "--psa", "bms"];
    let plain = harness()
        .current_dir(workspace())
        .args(args)
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&plain.stdout).contains('\x1b'),
        "not a terminal: no colour"
    );
    let forced = harness()
        .current_dir(workspace())
        .args(args)
        .args(["--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&forced.stdout).contains("\x1b[32mPASS"));
    let bad = harness()
        .current_dir(workspace())
        .args(args)
        .args(["--partition", "hash:4/3"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("1 <= K <= N"));
    let bad = harness()
        .current_dir(workspace())
        .args(args)
        .args(["--rule", "R999"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// Acceptance: the Python example's coverage report says which rules it declares, passes and
/// does not declare, tells "not declared" from "does not apply", and exits 0 (nothing it
/// declares fails); cases outside its declaration start no process.
#[test]
fn coverage_of_the_python_example_is_plain_about_what_it_declares() {
    let dir = temp_dir("python-coverage");
    let json = dir.join("coverage.json");
    let transcripts = dir.join("transcripts");
    let connector = format!(
        "python3 {}",
        workspace()
            .join("examples/python-connector/connector.py")
            .display()
    );
    let out = harness()
        .current_dir(workspace())
        .args([
            "coverage",
            "--psa",
            "connectwise",
            "--psa",
            "bms",
            "--compare",
            "contract",
        ])
        .args(["--connector", &connector, "--json"])
        .arg(&json)
        .arg("--transcripts")
        .arg(&transcripts)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let cw = &m["vendor"]["connectwise"];
    let list = |v: &serde_json::Value| v.as_array().unwrap().len();
    assert!(
        list(&cw["passing"]) > 0 && list(&cw["failing"]) == 0,
        "{cw}"
    );
    assert!(list(&cw["not_declared"]) > 0, "{cw}");
    assert_eq!(list(&cw["declared"]), list(&cw["passing"]));
    assert_eq!(
        list(&m["vendor"]["bms"]["declared"]),
        0,
        "it declares no BMS"
    );
    let cell = |rule: &str, psa: &str| {
        m["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == rule)
            .unwrap()["psas"][psa]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        cell("R83", "connectwise"),
        "n/a",
        "R83 is a BMS-family rule"
    );
    assert_eq!(cell("R83", "bms"), "not_declared");
    assert_eq!(cell("R1", "autotask"), "not_run");
    let passing = cw["passing"][0].as_str().unwrap();
    assert_eq!(cell(passing, "connectwise"), "pass");
    for phrase in [
        "connectwise: declared",
        "not declared",
        "`undeclared` not declared by your connector",
    ] {
        assert!(stdout.contains(phrase), "{phrase}:\n{stdout}");
    }
    // Capabilities are asked once: only the first case and the declared ones start a process.
    let processes = std::fs::read_dir(&transcripts).unwrap().count();
    let ran = stdout
        .lines()
        .filter(|l| l.starts_with("PASS") || l.starts_with("FAIL"))
        .count();
    assert!(
        processes <= ran + 1,
        "{processes} processes for {ran} applicable cases"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Acceptance: each case's line is printed as the case finishes, not when the run ends. The
/// connector of the second case starts only once the test has read the first case's line, so
/// a harness holding its lines back until the end fails that case (its connector gives up).
#[test]
fn each_case_line_is_printed_as_the_case_finishes() {
    use std::io::BufRead;
    let dir = temp_dir("live-lines");
    let gate = dir.join("gate.sh");
    std::fs::write(
        &gate,
        format!(
            "#!/bin/sh\n\
             # The first start runs at once; later ones wait (at most 60 s) for the test's word.\n\
             if mkdir '{dir}/first' 2>/dev/null; then exec '{bin}' \"$@\"; fi\n\
             i=0\n\
             while [ ! -e '{dir}/release' ]; do\n\
             \x20 i=$((i+1)); [ $i -gt 600 ] && exit 3; sleep 0.1\n\
             done\n\
             exec '{bin}' \"$@\"\n",
            dir = dir.display(),
            bin = env!("CARGO_BIN_EXE_psa-reference-connector"),
        ),
    )
    .unwrap();
    let connector = format!("sh {}", gate.display());
    let mut child = harness()
        .current_dir(workspace())
        .args(["run", "scenarios/plan-and-role-gates.yaml", "-j", "1"])
        .args([
            "--psa",
            "connectwise",
            "--psa",
            "autotask",
            "--color",
            "never",
        ])
        .args(["--connector", &connector])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if lines.is_empty() && line.starts_with("PASS") {
            std::fs::write(dir.join("release"), "").unwrap();
        }
        lines.push(line);
    }
    let status = child.wait().unwrap();
    let text = lines.join("\n");
    assert!(status.success(), "{text}");
    assert!(lines[0].starts_with("PASS"), "{text}");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("PASS")).count(),
        2,
        "{text}"
    );
    assert_eq!(
        lines.last().unwrap(),
        "2 passed, 0 failed, 0 skipped",
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
