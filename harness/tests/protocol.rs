//! The connector protocol end to end:
//! - every case × PSA through `psa-reference-connector` matches golden/ byte for byte (the same
//!   goldens as in-process), and a broken engine behind the protocol is caught;
//! - the Python example passes the cases it declares and is not applicable on the rest;
//! - connectors that crash, hang, write garbage or answer the wrong id fail their cases with a
//!   clear message, the run goes on, and their stderr reaches the reports;
//! - every real message fits docs/connector-protocol.schema.json, which matches the wire types.

use harness::contract;
use harness::golden::Comparison;
use harness::process::ConnectorCommand;
use harness::protocol;
use harness::runner::{run_case, CaseResult, RunOptions, Status};
use harness::scenario::{discover, Scenario};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/misbehaving_connector.py")
        .display()
        .to_string()
}

fn python_example() -> String {
    workspace()
        .join("examples/python-connector/connector.py")
        .display()
        .to_string()
}

fn scenarios() -> Vec<Scenario> {
    discover(&[workspace().join("scenarios")])
        .expect("scenarios/")
        .iter()
        .map(|f| Scenario::load(f).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn reference(extra: &[&str]) -> ConnectorCommand {
    let mut argv = vec![env!("CARGO_BIN_EXE_psa-reference-connector").to_string()];
    argv.extend(extra.iter().map(|s| s.to_string()));
    ConnectorCommand {
        argv,
        timeout: Duration::from_secs(30),
        transcripts: None,
    }
}

fn run(case: &Scenario, psa: mock_psa::Personality, opts: &RunOptions) -> CaseResult {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run_case(case, psa, opts))
}

fn explain(r: &CaseResult) -> String {
    format!(
        "{:?}: {}\n{}\nstderr:\n{}",
        r.status,
        r.failures.join("\n"),
        r.diff,
        r.stderr
    )
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("psa-protocol-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn find_case(name: &str) -> Result<Scenario, Failed> {
    scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .ok_or_else(|| format!("case {name} missing").into())
}

/// Runs `psa-harness run ARGS` and returns (exit code, stdout, JSON report, JUnit XML).
fn harness_cli(tag: &str, args: &[&str]) -> Result<(Option<i32>, String, Value, String), Failed> {
    let dir = temp_dir(tag);
    let (json, junit) = (dir.join("report.json"), dir.join("junit.xml"));
    let out = Command::new(env!("CARGO_BIN_EXE_psa-harness"))
        .current_dir(workspace())
        .arg("run")
        .args(args)
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).map_err(|e| {
        format!(
            "no JSON report ({e}); stdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?)?;
    let xml = std::fs::read_to_string(&junit)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok((out.status.code(), stdout, report, xml))
}

// ---- the reference through the protocol ---------------------------------------------------

fn through_protocol_matches_golden(
    case: Scenario,
    psa: mock_psa::Personality,
) -> Result<(), Failed> {
    let opts = RunOptions {
        golden_dir: workspace().join("golden"),
        connector: Some(reference(&[])),
        ..Default::default()
    };
    let r = run(&case, psa, &opts);
    match r.status {
        Status::Pass => Ok(()),
        _ => Err(explain(&r).into()),
    }
}

/// A broken engine behind the protocol fails on the case's expectations, as in-process.
fn a_broken_engine_is_caught_through_the_protocol() -> Result<(), Failed> {
    let case = find_case("preexisting-records-not-auto-pushed")?;
    let opts = RunOptions {
        golden_dir: workspace().join("golden"),
        connector: Some(reference(&["--defect", "push_preexisting_on_enable"])),
        ..Default::default()
    };
    let r = run(&case, mock_psa::Personality::Autotask, &opts);
    if r.status == Status::Fail && r.failures.iter().any(|f| f.contains("expect")) {
        Ok(())
    } else {
        Err(format!("the defect went unnoticed: {}", explain(&r)).into())
    }
}

/// The contract view forgives requests, log wording and ids, and not sync states.
fn contract_view_keeps_states_and_drops_wire_detail() -> Result<(), Failed> {
    let golden_path = workspace().join("golden/contact-without-email-type.connectwise.yaml");
    let text = std::fs::read_to_string(&golden_path)?;
    let outcome: Value = serde_norway::from_str(&text)?;
    let mut vendor = outcome.clone();
    vendor["requests"] = Value::Array(Vec::new());
    vendor["log"] = serde_json::json!(["vendor wording"]);
    vendor["docs"]["contacts"][0]["id"] = serde_json::json!("c-1");
    vendor["docs"]["contacts"][0]["psa_id"] = serde_json::json!("x");
    if !matches!(contract::compare(&golden_path, &vendor), Comparison::Match) {
        return Err("wire detail made the contract comparison fail".into());
    }
    vendor["docs"]["contacts"][0]["sync"] = serde_json::json!("not_pushed");
    match contract::compare(&golden_path, &vendor) {
        Comparison::Differs { field, .. } if field == "docs.contacts[0].sync" => Ok(()),
        Comparison::Differs { field, .. } => Err(format!("named {field}").into()),
        _ => Err("a changed sync state passed the contract comparison".into()),
    }
}

// ---- schema ---------------------------------------------------------------------------------

fn schema_file() -> PathBuf {
    workspace().join("docs/connector-protocol.schema.json")
}

/// The published schema is the one the wire types give (PSA_UPDATE_SCHEMA=1 rewrites it).
fn schema_file_is_current() -> Result<(), Failed> {
    let generated = serde_json::to_string_pretty(&protocol::schema())? + "\n";
    if std::env::var_os("PSA_UPDATE_SCHEMA").is_some() {
        std::fs::write(schema_file(), &generated)?;
    }
    let published = std::fs::read_to_string(schema_file())?;
    if published != generated {
        return Err(
            "docs/connector-protocol.schema.json is stale: rerun with PSA_UPDATE_SCHEMA=1".into(),
        );
    }
    // The guide embeds the same schema between two markers.
    let guide_path = workspace().join("docs/connector-protocol.md");
    let guide = std::fs::read_to_string(&guide_path)?;
    let (begin, end) = ("<!-- schema:begin -->\n", "<!-- schema:end -->");
    let (head, rest) = guide
        .split_once(begin)
        .ok_or("the guide lost its schema:begin marker")?;
    let (_, tail) = rest
        .split_once(end)
        .ok_or("the guide lost its schema:end marker")?;
    let want = format!("{head}{begin}```json\n{generated}```\n{end}{tail}");
    if std::env::var_os("PSA_UPDATE_SCHEMA").is_some() {
        std::fs::write(&guide_path, &want)?;
    } else if guide != want {
        return Err(
            "docs/connector-protocol.md embeds a stale schema: rerun with PSA_UPDATE_SCHEMA=1"
                .into(),
        );
    }
    Ok(())
}

fn validator() -> Result<jsonschema::Validator, Failed> {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(schema_file())?)?;
    jsonschema::validator_for(&schema).map_err(|e| format!("schema: {e}").into())
}

/// Every line of the transcripts in `dir` fits the schema; returns how many were checked.
fn check_transcripts(dir: &Path) -> Result<usize, Failed> {
    let v = validator()?;
    let mut n = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        for line in std::fs::read_to_string(&path)?.lines() {
            let json = line
                .strip_prefix("--> ")
                .or_else(|| line.strip_prefix("<-- "))
                .ok_or_else(|| format!("{}: odd transcript line {line}", path.display()))?;
            let msg: Value = serde_json::from_str(json)?;
            let errors: Vec<String> = v.iter_errors(&msg).map(|e| e.to_string()).collect();
            if !errors.is_empty() {
                return Err(format!("{}: {json}\n{}", path.display(), errors.join("\n")).into());
            }
            n += 1;
        }
    }
    Ok(n)
}

/// Real sessions with the reference fit the schema, and malformed messages do not.
fn real_messages_fit_the_schema() -> Result<(), Failed> {
    let dir = temp_dir("transcripts");
    let mut cmd = reference(&[]);
    cmd.transcripts = Some(dir.clone());
    let opts = RunOptions {
        golden_dir: workspace().join("golden"),
        connector: Some(cmd),
        ..Default::default()
    };
    for name in ["plan-and-role-gates", "contact-without-email-type-on-bms"] {
        let r = run(&find_case(name)?, mock_psa::Personality::Bms, &opts);
        if r.status != Status::Pass {
            return Err(explain(&r).into());
        }
    }
    let n = check_transcripts(&dir)?;
    if n < 10 {
        return Err(format!("only {n} messages checked").into());
    }
    let v = validator()?;
    for bad in [
        r#"{"jsonrpc":"2.0","id":1,"method":"apply"}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"apply","params":{"step":{"sync":"full","edit":{}}}}"#,
        r#"{"jsonrpc":"1.0","id":1,"method":"snapshot"}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"teleport"}"#,
        r#"{"jsonrpc":"2.0","id":1,"result":{"capabilities":{"psas":["connectwise"]}}}"#,
        r#"{"jsonrpc":"2.0","id":1,"error":{"message":"no code"}}"#,
        r#"{"jsonrpc":"2.0","result":{"action":"ok"}}"#,
    ] {
        if v.is_valid(&serde_json::from_str(bad)?) {
            return Err(format!("the schema accepts a malformed message: {bad}").into());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

// ---- the Python example -------------------------------------------------------------------

/// The cases the example is expected to pass; everything else must be not applicable.
const PYTHON_PASSES: [&str; 4] = [
    "contact-without-email-type::connectwise",
    "contacts-pulled-psa-wins::connectwise",
    "csv-contacts-not-auto-pushed::connectwise",
    "pull-filters-by-type-and-status::connectwise",
];

fn python_example_covers_what_it_declares() -> Result<(), Failed> {
    let transcripts = temp_dir("python-transcripts");
    let command = format!("python3 {}", python_example());
    // Its own PSA, and one it does not declare (every case there must be not applicable): the
    // other three PSAs would only repeat that at a third of a second of Python start-up a case.
    let (code, stdout, report, xml) = harness_cli(
        "python",
        &[
            "--psa",
            "connectwise",
            "--psa",
            "autotask",
            "--connector",
            &command,
            "--compare",
            "contract",
            "--transcripts",
            &transcripts.display().to_string(),
        ],
    )?;
    let mut passed = Vec::new();
    for c in report["cases"].as_array().into_iter().flatten() {
        let name = format!(
            "{}::{}",
            c["case"].as_str().unwrap_or(""),
            c["psa"].as_str().unwrap_or("")
        );
        match c["status"].as_str() {
            Some("pass") => passed.push(name),
            Some("not_applicable") if c["not_applicable"].as_str().is_some() => {}
            _ => {
                return Err(
                    format!("{name} neither passed nor was not applicable: {c}\n{stdout}").into(),
                )
            }
        }
    }
    for want in PYTHON_PASSES {
        if !passed.iter().any(|p| p == want) {
            return Err(format!("the example no longer passes {want}:\n{stdout}").into());
        }
    }
    if code != Some(0) || report["failed"] != 0 {
        return Err(format!("exit {code:?}:\n{stdout}").into());
    }
    if !xml.contains("<skipped message=\"not applicable: connector does not declare PSA autotask") {
        return Err(format!("not-applicable cases are not JUnit skips:\n{xml}").into());
    }
    check_transcripts(&transcripts)?;
    let _ = std::fs::remove_dir_all(&transcripts);
    // Held byte for byte instead, the same connector fails: the contract view is what passes.
    let (code, stdout, ..) = harness_cli(
        "python-exact",
        &[
            "scenarios/pull-filters-by-type-and-status.yaml",
            "--connector",
            &command,
        ],
    )?;
    // The example keeps no integration block or type states and makes its own requests.
    if code != Some(1) || !stdout.contains("golden mismatch at `") {
        return Err(format!("an exact comparison should fail on the golden:\n{stdout}").into());
    }
    Ok(())
}

// ---- misbehaving connectors ---------------------------------------------------------------

/// Two cases with a misbehaving connector: both fail saying why, the run completes, and the
/// connector's stderr is in both reports.
fn misbehaving(mode: &str, timeout: &str, why: &str) -> Result<(), Failed> {
    let command = format!("python3 {} {mode}", fixture());
    let (code, stdout, report, xml) = harness_cli(
        mode,
        &[
            "scenarios/pull-filters-by-type-and-status.yaml",
            "scenarios/csv-contacts-not-auto-pushed.yaml",
            "--psa",
            "connectwise",
            "--connector",
            &command,
            "--connector-timeout",
            timeout,
        ],
    )?;
    if code != Some(1) || !stdout.contains("0 passed, 2 failed") {
        return Err(format!("exit {code:?}, expected two failed cases:\n{stdout}").into());
    }
    let cases = report["cases"].as_array().cloned().unwrap_or_default();
    for c in &cases {
        let first = c["failures"][0].as_str().unwrap_or("");
        if c["status"] != "fail" || !first.contains(why) {
            return Err(format!("expected a failure saying `{why}`, got {c}").into());
        }
        let stderr = c["stderr"].as_str().unwrap_or("");
        if !stderr.contains(&format!("fixture[{mode}]: got apply")) {
            return Err(
                format!("the connector's stderr is missing from the JSON report: {c}").into(),
            );
        }
    }
    if cases.len() != 2 || xml.matches("<system-err>").count() != 2 {
        return Err(format!("expected two cases with system-err in JUnit:\n{xml}").into());
    }
    Ok(())
}

/// A suite-level check.
type Check = fn() -> Result<(), Failed>;

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for case in scenarios() {
        for psa in case.personalities().expect("psas") {
            let case = case.clone();
            trials.push(Trial::test(
                format!("through_protocol::{}::{}", case.name, psa.key()),
                move || through_protocol_matches_golden(case, psa),
            ));
        }
    }
    let checks: [(&str, Check); 5] = [
        (
            "protocol::a_broken_engine_is_caught_through_the_protocol",
            a_broken_engine_is_caught_through_the_protocol,
        ),
        (
            "protocol::contract_view_keeps_states_and_drops_wire_detail",
            contract_view_keeps_states_and_drops_wire_detail,
        ),
        ("schema::file_is_current", schema_file_is_current),
        ("schema::real_messages_fit", real_messages_fit_the_schema),
        (
            "python_example::covers_what_it_declares",
            python_example_covers_what_it_declares,
        ),
    ];
    trials.extend(checks.map(|(name, check)| Trial::test(name, check)));
    let modes: [(&str, &str, &str); 7] = [
        (
            "crash",
            "10",
            "connector exited with status 3 before answering `apply`",
        ),
        (
            "hang",
            // Long enough for a Python start-up on a loaded machine with cases in parallel.
            "3",
            "connector did not answer `apply` (id 2) within 3 s",
        ),
        (
            "garbage",
            "10",
            "connector wrote a line that is not JSON while `apply` (id 2) waited",
        ),
        (
            "wrong-id",
            "10",
            "connector answered id 9999 while `apply` (id 2) waited",
        ),
        (
            "out-of-order",
            "10",
            "connector answered id 1 while `apply` (id 2) waited",
        ),
        (
            "notify",
            "10",
            "connector sent a request (\"progress\") while `apply` (id 2) waited",
        ),
        (
            "error",
            "10",
            "connector answered `apply` with error -32000: fixture refuses this step",
        ),
    ];
    for (mode, timeout, why) in modes {
        trials.push(Trial::test(format!("misbehaving::{mode}"), move || {
            misbehaving(mode, timeout, why)
        }));
    }
    trials.push(Trial::test("misbehaving::cannot_start", || {
        let (code, stdout, report, _) = harness_cli(
            "missing",
            &[
                "scenarios/plan-and-role-gates.yaml",
                "--psa",
                "vorex",
                "--connector",
                "/nonexistent/connector --flag",
            ],
        )?;
        let first = report["cases"][0]["failures"][0].as_str().unwrap_or("");
        if code == Some(1) && first.contains("cannot start connector `/nonexistent/connector`") {
            Ok(())
        } else {
            Err(format!("{first}\n{stdout}").into())
        }
    }));
    libtest_mimic::run(&args, trials).exit();
}
