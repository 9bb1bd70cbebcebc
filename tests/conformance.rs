//! The conformance suite as tests: every scenario x PSA is its own test against golden/, plus
//! suite-level checks that goldens are deterministic under parallel runs and that the suite
//! fails when the reference engine is broken on purpose.

use harness::coverage::{Cell, Coverage};
use harness::report;
use harness::rules::{self, Catalogue};
use harness::runner::{run_case, CaseResult, RunOptions, Status};
use harness::scenario::{discover, Scenario};
use libtest_mimic::{Arguments, Failed, Trial};
use reference_sync::Defect;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scenarios() -> Vec<Scenario> {
    let files = discover(&[root().join("scenarios")]).expect("scenarios/");
    files
        .iter()
        .map(|f| Scenario::load(f).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn explain(r: &CaseResult) -> String {
    let mut s = r.failures.join("\n");
    if !r.diff.is_empty() {
        s.push('\n');
        s.push_str(&r.diff);
    }
    if !r.log.is_empty() {
        s.push_str("\nsync log:\n  ");
        s.push_str(&r.log.join("\n  "));
    }
    s
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("psa-conformance-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs every case on every PSA at once (many tasks on many threads) and blesses into a fresh
/// directory: the files must equal golden/ byte for byte.
fn parallel_run_matches_goldens() -> Result<(), Failed> {
    let dir = temp_dir("parallel");
    let opts = RunOptions {
        golden_dir: dir.clone(),
        bless: true,
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()?;
    let cases = scenarios();
    let results: Vec<CaseResult> = rt.block_on(async {
        let mut handles = Vec::new();
        for case in cases {
            for psa in case.personalities().expect("psas") {
                let (case, opts) = (case.clone(), opts.clone());
                handles.push(tokio::spawn(
                    async move { run_case(&case, psa, &opts).await },
                ));
            }
        }
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.expect("task"));
        }
        out
    });
    for r in &results {
        if r.status != Status::Blessed {
            return Err(
                format!("{}::{} did not run cleanly: {}", r.case, r.psa, explain(r)).into(),
            );
        }
    }
    let golden = root().join("golden");
    for r in &results {
        let name = format!("{}.{}.yaml", r.case, r.psa);
        let (a, b) = (
            std::fs::read(dir.join(&name))?,
            std::fs::read(golden.join(&name))?,
        );
        if a != b {
            return Err(format!("{name}: a parallel run differs from golden/").into());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Each deliberate defect breaks one catalogue rule; the suite must notice it and name it.
const TEETH: &[(Defect, &str)] = &[
    (Defect::PushPreexistingOnEnable, "R46"),
    (Defect::PushBmsContactsWithoutEmailType, "R18"),
    (Defect::PushBmsContactsWithoutLocation, "R19"),
    (Defect::EditSyncedFieldsInOneWayMode, "R15"),
    (Defect::MatchContactsOnFirstNameOnly, "R23"),
    (Defect::SkipConfigurationRequiredFields, "R50"),
    (Defect::AutoPushRmmConfigurations, "R53"),
    (Defect::IgnoreParentCompanies, "R31"),
    (Defect::MovedRecordsKeepOrganization, "R40"),
    (Defect::DeletedPsaRecordsNotOrphaned, "R61"),
    (Defect::OrphansKeepStatus, "R63"),
    (Defect::DisabledAssetsStillPulled, "R65"),
    (Defect::DisconnectedRecordsRepulled, "R69"),
    (Defect::SyncingAssetsDeletable, "R70"),
    (Defect::PauseDoesNotHoldPushes, "R72"),
    (Defect::SettingsSaveQueuesNothing, "R14"),
    (Defect::ManualSyncNotPrioritised, "R77"),
    (Defect::RetryCreatesWithoutCheck, "R80"),
    (Defect::IgnoreRetryAfter, "R43"),
    (Defect::TicketsOfNonSyncingCompaniesPulled, "R38"),
    (Defect::DeriveCompanyIdsWithoutUniqueness, "R44"),
    (Defect::WaitsOffTheSharedClock, "R26"),
    (Defect::TenantChangeWhileLinked, "R7"),
    (Defect::EscapeAmpersandsOnPush, "R86"),
    (Defect::PushUnchangedSaves, "R43"),
    (Defect::MatchLocationsIgnoringCountry, "R25"),
    (Defect::PushAllTakesDisconnected, "R81"),
    (Defect::RetryWhenLookupFails, "R43"),
    (Defect::FailedSyncStaysQueued, "R77"),
    (Defect::LinkedRecordsTakenOver, "R23"),
    (Defect::AccountPagesReadTwice, "R26"),
];

/// With `defect` switched on, the cases covering `rule` run on every PSA the rule applies to:
/// at least one must fail, the coverage matrix must show the rule failing, and the report's
/// failure line must name the rule.
fn suite_fails_for_rule(defect: Defect, rule: &str) -> Result<(), Failed> {
    let catalogue = Catalogue::load(&root().join("scenarios").join(rules::CATALOGUE_FILE))?;
    let entry = catalogue
        .get(rule)
        .ok_or("rule missing from the catalogue")?;
    let opts = RunOptions {
        golden_dir: root().join("golden"),
        defects: vec![defect],
        ..Default::default()
    };
    let rt = runtime();
    let mut results = Vec::new();
    for case in scenarios()
        .iter()
        .filter(|c| c.rules.iter().any(|r| r == rule))
    {
        for psa in case.personalities()? {
            if entry.applies_to(psa) {
                results.push(rt.block_on(run_case(case, psa, &opts)));
            }
        }
    }
    if results.is_empty() {
        return Err(format!("no case covers {rule}").into());
    }
    let failed: Vec<&CaseResult> = results
        .iter()
        .filter(|r| r.status == Status::Fail)
        .collect();
    if failed.is_empty() {
        return Err(format!("{defect:?} went unnoticed by every case covering {rule}").into());
    }
    let matrix = Coverage::build(&catalogue, &results);
    let row = matrix
        .rules
        .iter()
        .find(|r| r.id == rule)
        .ok_or("row missing")?;
    if !row.psas.values().any(|c| *c == Cell::Fail) {
        return Err(format!("the coverage matrix does not show {rule} failing").into());
    }
    let summary = report::summary(&results);
    if !summary
        .lines()
        .any(|l| l.starts_with("FAIL") && l.contains(rule))
    {
        return Err(format!("no failure line names {rule}:\n{summary}").into());
    }
    Ok(())
}

/// A golden changed by hand makes the case fail with the differing field named.
fn changed_golden_names_the_field() -> Result<(), Failed> {
    let dir = temp_dir("changed");
    let name = "contact-without-email-type.autotask.yaml";
    let text = std::fs::read_to_string(root().join("golden").join(name))?;
    let changed = text.replacen("title: CTO", "title: CEO", 1);
    if changed == text {
        return Err("the golden no longer holds `title: CTO`".into());
    }
    std::fs::write(dir.join(name), changed)?;
    let case = scenarios()
        .into_iter()
        .find(|s| s.name == "contact-without-email-type")
        .ok_or("case missing")?;
    let opts = RunOptions {
        golden_dir: dir.clone(),
        ..Default::default()
    };
    let r = runtime().block_on(run_case(&case, mock_psa::Personality::Autotask, &opts));
    let _ = std::fs::remove_dir_all(&dir);
    match r.failures.first() {
        Some(f)
            if r.status == Status::Fail
                && f.contains(".title`")
                && f.contains("golden \"CEO\", actual \"CTO\"") =>
        {
            Ok(())
        }
        _ => Err(format!("expected a mismatch naming the field, got: {}", explain(&r)).into()),
    }
}

/// A trial that, with `PSA_FAIL_FAST` set (mutation testing: docs/mutants.md), ends the whole run
/// at its failure: a mutant is caught by the first case that sees it, not after the whole suite.
fn trial<F>(name: String, f: F) -> Trial
where
    F: FnOnce() -> Result<(), Failed> + Send + 'static,
{
    let fail_fast = std::env::var_os("PSA_FAIL_FAST").is_some();
    Trial::test(name.clone(), move || {
        let result = f();
        if let (true, Err(e)) = (fail_fast, &result) {
            eprintln!(
                "{name}: FAILED; PSA_FAIL_FAST stops the run here\n{}",
                e.message().unwrap_or_default()
            );
            std::process::exit(101);
        }
        result
    })
}

fn main() {
    let args = Arguments::from_args();
    let golden = root().join("golden");
    let mut trials = Vec::new();
    for case in scenarios() {
        for psa in case.personalities().expect("psas") {
            let case = case.clone();
            let golden = golden.clone();
            trials.push(trial(format!("{}::{}", case.name, psa.key()), move || {
                let opts = RunOptions {
                    golden_dir: golden,
                    ..Default::default()
                };
                let r = runtime().block_on(run_case(&case, psa, &opts));
                match r.status {
                    Status::Pass => Ok(()),
                    _ => Err(explain(&r).into()),
                }
            }));
        }
    }
    trials.push(trial(
        "suite::parallel_run_matches_goldens".into(),
        parallel_run_matches_goldens,
    ));
    for &(defect, rule) in TEETH {
        trials.push(trial(format!("teeth::{rule}::{defect:?}"), move || {
            suite_fails_for_rule(defect, rule)
        }));
    }
    trials.push(trial(
        "suite::changed_golden_names_the_field".into(),
        changed_golden_names_the_field,
    ));
    libtest_mimic::run(&args, trials).exit();
}
