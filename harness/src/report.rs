//! Reports a CI understands: a human summary, JUnit XML (one test case per case and PSA), JSON.

use crate::runner::{CaseResult, Status};
use std::path::Path;

pub fn summary(results: &[CaseResult]) -> String {
    let mut out = String::new();
    for r in results {
        let mark = match r.status {
            Status::Pass => "PASS",
            Status::Blessed => "BLESSED",
            Status::Fail => "FAIL",
        };
        out.push_str(&format!(
            "{mark:<7} {:<48} {:<12} {:>5} ms",
            r.case, r.psa, r.millis
        ));
        if r.status == Status::Fail && !r.rules.is_empty() {
            // A failure names the rules its case covers, so a reader knows what broke.
            out.push_str(&format!("  rules {}", r.rules.join(", ")));
        }
        out.push('\n');
        for f in &r.failures {
            out.push_str(&format!("        - {f}\n"));
        }
        if !r.log.is_empty() {
            out.push_str("        sync log:\n");
            for line in &r.log {
                out.push_str(&format!("          {line}\n"));
            }
        }
        if !r.diff.is_empty() {
            for line in r.diff.lines().take(40) {
                out.push_str(&format!("        | {line}\n"));
            }
        }
    }
    let passed = results.iter().filter(|r| r.status == Status::Pass).count();
    let blessed = results
        .iter()
        .filter(|r| r.status == Status::Blessed)
        .count();
    let failed = results.iter().filter(|r| r.status == Status::Fail).count();
    out.push_str(&format!("\n{passed} passed, {failed} failed"));
    if blessed > 0 {
        out.push_str(&format!(", {blessed} blessed"));
    }
    out.push('\n');
    out
}

pub fn junit(results: &[CaseResult], path: &Path) -> anyhow::Result<()> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("psa-conformance");
    let mut suite = TestSuite::new("psa-harness");
    for r in results {
        let status = match r.status {
            Status::Fail => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(r.failures.first().cloned().unwrap_or_default());
                s.set_description(format!("{}\n{}", r.failures.join("\n"), r.diff));
                s
            }
            _ => TestCaseStatus::success(),
        };
        let mut tc = TestCase::new(format!("{}::{}", r.case, r.psa), status);
        tc.set_classname(format!("psa.{}", r.psa));
        tc.set_time(std::time::Duration::from_millis(r.millis as u64));
        suite.add_test_case(tc);
    }
    report.add_test_suite(suite);
    std::fs::write(path, report.to_string()?)?;
    Ok(())
}

pub fn json(results: &[CaseResult], path: &Path) -> anyhow::Result<()> {
    let passed = results.iter().filter(|r| r.status != Status::Fail).count();
    let doc = serde_json::json!({
        "passed": passed,
        "failed": results.len() - passed,
        "cases": results,
    });
    std::fs::write(path, serde_json::to_string_pretty(&doc)?)?;
    Ok(())
}
