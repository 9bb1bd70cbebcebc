//! The conformance suite as tests: every scenario x PSA is its own test against golden/, plus
//! suite-level checks that goldens are deterministic under parallel runs and that the suite
//! fails when the reference engine is broken on purpose.

use harness::runner::{run_case, CaseResult, RunOptions, Status};
use harness::scenario::{discover, Scenario};
use libtest_mimic::{Arguments, Failed, Trial};
use reference_sync::Defect;
use std::path::PathBuf;

const ALL_PSAS: [&str; 5] = ["connectwise", "autotask", "bms", "pulseway", "vorex"];

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

/// With a defect switched on, the named case must fail on the named PSAs, naming an expectation,
/// and its result must name the broken rule.
fn suite_fails_with(defect: Defect, case: &str, rule: &str, psas: &[&str]) -> Result<(), Failed> {
    let case = scenarios()
        .into_iter()
        .find(|s| s.name == case)
        .ok_or("case missing")?;
    let opts = RunOptions {
        golden_dir: root().join("golden"),
        defects: vec![defect],
        ..Default::default()
    };
    let rt = runtime();
    for psa in psas {
        let r = rt.block_on(run_case(&case, psa.parse()?, &opts));
        if r.status != Status::Fail {
            return Err(format!("{defect:?} went unnoticed by {}::{psa}", case.name).into());
        }
        if !r.failures.iter().any(|f| f.contains("expect")) {
            return Err(format!(
                "{}::{psa} failed, but not on an expectation: {}",
                case.name,
                explain(&r)
            )
            .into());
        }
        if !r.rules.iter().any(|x| x == rule) {
            return Err(format!("{}::{psa} failed without naming {rule}", case.name).into());
        }
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

fn main() {
    let args = Arguments::from_args();
    let golden = root().join("golden");
    let mut trials = Vec::new();
    for case in scenarios() {
        for psa in case.personalities().expect("psas") {
            let case = case.clone();
            let golden = golden.clone();
            trials.push(Trial::test(
                format!("{}::{}", case.name, psa.key()),
                move || {
                    let opts = RunOptions {
                        golden_dir: golden,
                        ..Default::default()
                    };
                    let r = runtime().block_on(run_case(&case, psa, &opts));
                    match r.status {
                        Status::Pass => Ok(()),
                        _ => Err(explain(&r).into()),
                    }
                },
            ));
        }
    }
    trials.push(Trial::test(
        "suite::parallel_run_matches_goldens",
        parallel_run_matches_goldens,
    ));
    // Teeth: each defect breaks the engine for its rules alone; each (case, rule) must fail.
    type Tooth = (
        &'static str,
        Defect,
        &'static [(&'static str, &'static str)],
        &'static [&'static str],
    );
    let teeth: [Tooth; 4] = [
        (
            "preexisting_records_are_auto_pushed",
            Defect::PushPreexistingOnEnable,
            &[("preexisting-records-not-auto-pushed", "R46")],
            &ALL_PSAS,
        ),
        (
            "bms_contacts_are_pushed_without_email_type",
            Defect::PushBmsContactsWithoutEmailType,
            &[("contact-without-email-type", "R18")],
            &["bms"],
        ),
        (
            "creates_are_retried_without_checking_whether_they_landed",
            Defect::RetryCreatesWithoutCheck,
            &[
                ("retries-push-on-save-landed", "R43"),
                ("retries-push-all-landed", "R80"),
            ],
            &ALL_PSAS,
        ),
        (
            "retry_after_is_ignored",
            Defect::IgnoreRetryAfter,
            &[
                ("retries-push-on-save-429", "R43"),
                ("retries-pull-faults", "R26"),
            ],
            &ALL_PSAS,
        ),
    ];
    for (what, defect, cases, psas) in teeth {
        trials.push(Trial::test(
            format!("suite::fails_when_{what}"),
            move || {
                for (case, rule) in cases {
                    suite_fails_with(defect, case, rule, psas)?;
                }
                Ok(())
            },
        ));
    }
    trials.push(Trial::test(
        "suite::changed_golden_names_the_field",
        changed_golden_names_the_field,
    ));
    libtest_mimic::run(&args, trials).exit();
}
