//! Reports a CI understands: a human summary, JUnit XML (one test case per case and PSA), JSON.

use crate::runner::{CaseResult, Status};
use std::path::Path;

/// The whole run as text: a line per case (with its details when it failed), then the totals.
pub fn summary(results: &[CaseResult]) -> String {
    let mut out = String::new();
    for r in results {
        out.push_str(&case_line(r, false));
        out.push('\n');
        out.push_str(&details(r));
    }
    out.push('\n');
    out.push_str(&totals(results, 0));
    out
}

/// One case, as it finishes: status, PSA and time in fixed columns, the case name last so long
/// names never push the columns out of line; a failure names the rules its case covers.
pub fn case_line(r: &CaseResult, color: bool) -> String {
    let (mark, code) = match r.status {
        Status::Pass => ("PASS", "32"),
        Status::Blessed => ("BLESSED", "36"),
        Status::Fail => ("FAIL", "1;31"),
        Status::NotApplicable => ("N/A", "33"),
    };
    let mut out = format!(
        "{} {:<11} {:>8.3}s  {}",
        paint(&format!("{mark:<7}"), code, color),
        r.psa,
        r.millis as f64 / 1000.0,
        r.case
    );
    if r.status == Status::Fail && !r.rules.is_empty() {
        out.push_str(&format!("  rules {}", r.rules.join(", ")));
    }
    out
}

/// What a reader needs under a case's line: why it is not applicable, or why it failed (reasons,
/// sync log, diff, the connector's last stderr lines).
pub fn details(r: &CaseResult) -> String {
    let mut out = String::new();
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
    out
}

/// The closing lines: blessings and not-applicable cases when there are any, then
/// `N passed, N failed, N skipped` alone on the last line, for CI runners to read. Skipped are
/// the not-applicable cases and the `cancelled` ones a `--fail-fast` run never started.
pub fn totals(results: &[CaseResult], cancelled: usize) -> String {
    let passed = count(results, Status::Pass);
    let blessed = count(results, Status::Blessed);
    let failed = count(results, Status::Fail);
    let not_applicable = count(results, Status::NotApplicable);
    let mut notes = Vec::new();
    if blessed > 0 {
        notes.push(format!("{blessed} blessed"));
    }
    if not_applicable > 0 {
        notes.push(format!("{not_applicable} not applicable"));
    }
    if cancelled > 0 {
        notes.push(format!(
            "{cancelled} not run after the first failure (--fail-fast)"
        ));
    }
    let mut out = String::new();
    if !notes.is_empty() {
        out.push_str(&format!("({})\n", notes.join(", ")));
    }
    out.push_str(&format!(
        "{} passed, {failed} failed, {} skipped\n",
        passed + blessed,
        not_applicable + cancelled
    ));
    out
}

/// ANSI colour when asked for; plain text otherwise.
pub fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
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
