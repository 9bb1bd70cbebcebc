//! `--html FILE`: the run as one self-contained page (no network, no files beside it): the
//! rules x PSAs matrix, every case with filters, each failure's golden diff, and a case's
//! requests as a timeline on the virtual clock. The data travels as JSON inside the page; a
//! small script draws it, writing text only through `textContent`, so a case's content can
//! never become markup.

use crate::coverage::Coverage;
use crate::rules::Catalogue;
use crate::runner::{CaseResult, Status};
use mock_psa::Personality;
use serde_json::{json, Value};

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// The page for a finished run.
pub fn render(
    catalogue: &Catalogue,
    matrix: &Coverage,
    results: &[CaseResult],
    cancelled: usize,
) -> String {
    let count = |s: Status| results.iter().filter(|r| r.status == s).count();
    let rules: Vec<Value> = matrix
        .rules
        .iter()
        .map(|row| {
            let rule = catalogue.get(&row.id);
            json!({
                "id": row.id,
                "group": rule.map(|r| r.group.as_str()).unwrap_or(""),
                "title": rule.map(|r| r.title.as_str()).unwrap_or(""),
                "status": row.status,
                "psas": row.psas,
            })
        })
        .collect();
    let cases: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({
                "case": r.case,
                "psa": r.psa,
                "rules": r.rules,
                "status": r.status,
                "failures": r.failures,
                "not_applicable": r.not_applicable,
                "diff": r.diff,
                "log": r.log,
                "stderr": r.stderr,
                "millis": r.millis,
                "requests": r.requests,
                "actions": r.actions,
            })
        })
        .collect();
    let data = json!({
        "psas": Personality::ALL.iter().map(|p| p.key()).collect::<Vec<_>>(),
        "totals": {
            "passed": count(Status::Pass) + count(Status::Blessed),
            "failed": count(Status::Fail),
            "skipped": count(Status::NotApplicable) + cancelled,
        },
        "rules": rules,
        "vendor": matrix.vendor,
        "cases": cases,
    });
    // `</` would end the script element early; JSON allows the escaped form.
    let data = data.to_string().replace("</", "<\\/");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>psa-harness report</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <header><h1>PSA conformance</h1><p id=\"totals\"></p></header>\n\
         <main>\n<section><h2>Rules &times; PSAs</h2><div id=\"vendor\"></div>\
         <div class=\"scroll\"><table id=\"matrix\"></table></div></section>\n\
         <section><h2>Cases</h2><div id=\"filters\"></div><table id=\"cases\"></table></section>\n\
         <section id=\"detail\" hidden></section>\n</main>\n\
         <script type=\"application/json\" id=\"data\">{data}</script>\n\
         <script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    )
}
