//! The rules x PSAs coverage matrix: which catalogue rules the suite covers, on which PSAs, and
//! whether those cases pass.

use crate::rules::{Catalogue, Status as Scope};
use crate::runner::{CaseResult, Status};
use mock_psa::Personality;
use serde::Serialize;
use std::collections::BTreeMap;

/// One cell of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Cell {
    /// Every case tagged with the rule on this PSA passed.
    #[serde(rename = "pass")]
    Pass,
    /// At least one such case failed.
    #[serde(rename = "fail")]
    Fail,
    /// The rule applies here but no case covers it.
    #[serde(rename = "uncovered")]
    Uncovered,
    /// The rule does not apply to this PSA, is out of scope, or the connector under test does
    /// not implement it.
    #[serde(rename = "n/a")]
    NotApplicable,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    pub id: String,
    pub status: Scope,
    pub psas: BTreeMap<String, Cell>,
    /// The cases covering the rule (name::psa), for the reader who wants to look.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub rules: Vec<RuleRow>,
}

impl Coverage {
    pub fn build(catalogue: &Catalogue, results: &[CaseResult]) -> Coverage {
        let rules = catalogue
            .rules
            .iter()
            .map(|rule| {
                let mut psas = BTreeMap::new();
                let mut cases = Vec::new();
                for psa in Personality::ALL {
                    let cell = if rule.status == Scope::OutOfScope || !rule.applies_to(psa) {
                        Cell::NotApplicable
                    } else {
                        let mine: Vec<&CaseResult> = results
                            .iter()
                            .filter(|r| r.psa == psa.key() && r.rules.contains(&rule.id))
                            .collect();
                        cases.extend(mine.iter().map(|r| format!("{}::{}", r.case, r.psa)));
                        cell_for(&mine)
                    };
                    psas.insert(psa.key().to_string(), cell);
                }
                RuleRow {
                    id: rule.id.clone(),
                    status: rule.status,
                    psas,
                    cases,
                }
            })
            .collect();
        Coverage { rules }
    }

    /// In-scope cells that are failing or not covered.
    pub fn gaps(&self) -> usize {
        self.rules
            .iter()
            .flat_map(|r| r.psas.values())
            .filter(|c| matches!(c, Cell::Fail | Cell::Uncovered))
            .count()
    }

    /// The matrix as text: one row a rule, one column a PSA.
    pub fn render(&self, catalogue: &Catalogue) -> String {
        let mut out = format!("{:<5} {:<22}", "rule", "group");
        for psa in Personality::ALL {
            out.push_str(&format!(" {:>11}", psa.key()));
        }
        out.push('\n');
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for row in &self.rules {
            let group = catalogue
                .get(&row.id)
                .map(|r| r.group.as_str())
                .unwrap_or("");
            out.push_str(&format!("{:<5} {:<22}", row.id, group));
            if row.status == Scope::OutOfScope {
                out.push_str(&format!(" {:>11}\n", "out of scope"));
                *counts.entry("out of scope").or_default() += 1;
                continue;
            }
            for psa in Personality::ALL {
                let cell = row.psas.get(psa.key()).unwrap_or(&Cell::NotApplicable);
                let word = match cell {
                    Cell::Pass => "pass",
                    Cell::Fail => "FAIL",
                    Cell::Uncovered => "uncovered",
                    Cell::NotApplicable => "-",
                };
                *counts.entry(word).or_default() += 1;
                out.push_str(&format!(" {word:>11}"));
            }
            out.push('\n');
        }
        let in_scope = self
            .rules
            .iter()
            .filter(|r| r.status == Scope::InScope)
            .count();
        let complete = self
            .rules
            .iter()
            .filter(|r| r.status == Scope::InScope)
            .filter(|r| {
                r.psas
                    .values()
                    .all(|c| matches!(c, Cell::Pass | Cell::NotApplicable))
                    && r.psas.values().any(|c| *c == Cell::Pass)
            })
            .count();
        out.push_str(&format!(
            "\n{in_scope} rules in scope, {complete} covered and passing on every PSA they apply to; \
             cells: {} pass, {} failing, {} uncovered, {} not applicable; {} rules out of scope\n",
            counts.get("pass").unwrap_or(&0),
            counts.get("FAIL").unwrap_or(&0),
            counts.get("uncovered").unwrap_or(&0),
            counts.get("-").unwrap_or(&0),
            counts.get("out of scope").unwrap_or(&0),
        ));
        out
    }
}

fn cell_for(results: &[&CaseResult]) -> Cell {
    let ran: Vec<&&CaseResult> = results
        .iter()
        .filter(|r| r.status != Status::NotApplicable)
        .collect();
    if results.is_empty() {
        Cell::Uncovered
    } else if ran.is_empty() {
        // Covered by the suite, but the connector under test does not implement it.
        Cell::NotApplicable
    } else if ran.iter().any(|r| r.status == Status::Fail) {
        Cell::Fail
    } else {
        Cell::Pass
    }
}
