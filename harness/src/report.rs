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
            Status::NotApplicable => "N/A",
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
        if let Some(why) = &r.not_applicable {
            out.push_str(&format!("        - {why}\n"));
        }
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
        if r.status == Status::Fail && !r.stderr.is_empty() {
            out.push_str("        connector stderr (last lines):\n");
            let lines: Vec<&str> = r.stderr.lines().collect();
            for line in &lines[lines.len().saturating_sub(20)..] {
                out.push_str(&format!("          {line}\n"));
            }
        }
    }
    let passed = count(results, Status::Pass);
    let blessed = count(results, Status::Blessed);
    let failed = count(results, Status::Fail);
    let not_applicable = count(results, Status::NotApplicable);
    out.push_str(&format!("\n{passed} passed, {failed} failed"));
    if blessed > 0 {
        out.push_str(&format!(", {blessed} blessed"));
    }
    if not_applicable > 0 {
        out.push_str(&format!(", {not_applicable} not applicable"));
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
            Status::NotApplicable => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!(
                    "not applicable: {}",
                    r.not_applicable.clone().unwrap_or_default()
                ));
                s
            }
            Status::Pass | Status::Blessed => TestCaseStatus::success(),
        };
        let mut tc = TestCase::new(format!("{}::{}", r.case, r.psa), status);
        tc.set_classname(format!("psa.{}", r.psa));
        tc.set_time(std::time::Duration::from_millis(r.millis as u64));
        if !r.stderr.is_empty() {
            tc.set_system_err(r.stderr.clone());
        }
        suite.add_test_case(tc);
    }
    report.add_test_suite(suite);
    std::fs::write(path, report.to_string()?)?;
    Ok(())
}

pub fn json(results: &[CaseResult], path: &Path) -> anyhow::Result<()> {
    let doc = serde_json::json!({
        "passed": count(results, Status::Pass) + count(results, Status::Blessed),
        "failed": count(results, Status::Fail),
        "not_applicable": count(results, Status::NotApplicable),
        "cases": results,
    });
    std::fs::write(path, serde_json::to_string_pretty(&doc)?)?;
    Ok(())
}

fn count(results: &[CaseResult], status: Status) -> usize {
    results.iter().filter(|r| r.status == status).count()
}
