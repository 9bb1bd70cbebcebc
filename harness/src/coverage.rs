//! The rules x PSAs coverage matrix: which catalogue rules the suite covers, on which PSAs, and
//! whether those cases pass. With a connector under test, what it did not declare is told apart
//! from what does not apply to a PSA, and a vendor summary says which rules it declares, passes
//! and leaves out.

use crate::protocol::Capabilities;
use crate::rules::{Catalogue, Rule, Status as Scope};
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
    /// The rule does not apply to this PSA, or is out of scope.
    #[serde(rename = "n/a")]
    NotApplicable,
    /// The rule applies, but the connector under test does not declare it (its PSA, its rule
    /// group, or every covering case needs a record kind or feature it does not declare).
    #[serde(rename = "not_declared")]
    NotDeclared,
    /// The PSA was left out of this run (`--psa`).
    #[serde(rename = "not_run")]
    NotRun,
}

impl Cell {
    /// The word in the text matrix.
    pub fn word(self) -> &'static str {
        match self {
            Cell::Pass => "pass",
            Cell::Fail => "FAIL",
            Cell::Uncovered => "uncovered",
            Cell::NotApplicable => "-",
            Cell::NotDeclared => "undeclared",
            Cell::NotRun => "not run",
        }
    }
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

/// For one PSA: the in-scope rules that apply there, split by what the connector did with them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VendorPsa {
    pub declared: Vec<String>,
    pub passing: Vec<String>,
    pub failing: Vec<String>,
    /// Declared, but no selected case covers the rule here.
    pub uncovered: Vec<String>,
    pub not_declared: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub rules: Vec<RuleRow>,
    /// With a connector under test: per PSA run, what it declares, passes and leaves out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<BTreeMap<String, VendorPsa>>,
}

/// What the run looked at: the PSAs it ran (all when empty) and, with a connector, what the
/// connector declared (`None` also when it never answered `initialize`).
#[derive(Debug, Clone, Default)]
pub struct CoverageScope {
    pub psas: Vec<Personality>,
    pub connector: bool,
    pub declared: Option<Capabilities>,
}

impl Coverage {
    pub fn build(catalogue: &Catalogue, results: &[CaseResult]) -> Coverage {
        Coverage::build_for(catalogue, results, &CoverageScope::default())
    }

    pub fn build_for(
        catalogue: &Catalogue,
        results: &[CaseResult],
        scope: &CoverageScope,
    ) -> Coverage {
        let mut vendor: BTreeMap<String, VendorPsa> = BTreeMap::new();
        let rules = catalogue
            .rules
            .iter()
            .map(|rule| {
                let mut psas = BTreeMap::new();
                let mut cases = Vec::new();
                for psa in Personality::ALL {
                    let mine: Vec<&CaseResult> = results
                        .iter()
                        .filter(|r| r.psa == psa.key() && r.rules.contains(&rule.id))
                        .collect();
                    cases.extend(mine.iter().map(|r| format!("{}::{}", r.case, r.psa)));
                    let cell = cell(rule, psa, &mine, scope);
                    psas.insert(psa.key().to_string(), cell);
                    if scope.connector && !matches!(cell, Cell::NotApplicable | Cell::NotRun) {
                        let v = vendor.entry(psa.key().to_string()).or_default();
                        let id = rule.id.clone();
                        match cell {
                            Cell::NotDeclared => v.not_declared.push(id),
                            Cell::Pass => {
                                v.declared.push(id.clone());
                                v.passing.push(id)
                            }
                            Cell::Fail => {
                                v.declared.push(id.clone());
                                v.failing.push(id)
                            }
                            _ => {
                                v.declared.push(id.clone());
                                v.uncovered.push(id)
                            }
                        }
                    }
                }
                RuleRow {
                    id: rule.id.clone(),
                    status: rule.status,
                    psas,
                    cases,
                }
            })
            .collect();
        Coverage {
            rules,
            vendor: scope.connector.then_some(vendor),
        }
    }

    /// Cells that count against the run: failing, or in scope and not covered. Not declared,
    /// not applicable and not run never count.
    pub fn gaps(&self) -> usize {
        self.rules
            .iter()
            .flat_map(|r| r.psas.values())
            .filter(|c| matches!(c, Cell::Fail | Cell::Uncovered))
            .count()
    }

    /// The exit status: 0 when nothing counts against the run and, for a connector, when it
    /// passes at least one rule; 1 otherwise.
    pub fn success(&self) -> bool {
        let passes = self
            .rules
            .iter()
            .flat_map(|r| r.psas.values())
            .any(|c| *c == Cell::Pass);
        self.gaps() == 0 && (self.vendor.is_none() || passes)
    }

    /// The matrix as text: one row a rule, one column a PSA, a legend, then the totals (and the
    /// vendor summary with a connector).
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
                *counts.entry(cell.word()).or_default() += 1;
                out.push_str(&format!(" {:>11}", cell.word()));
            }
            out.push('\n');
        }
        out.push_str(
            "\n`-` the rule does not apply to this PSA; `undeclared` not declared by your \
             connector; `not run` PSA left out of this run\n",
        );
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
        let n = |w: &str| *counts.get(w).unwrap_or(&0);
        out.push_str(&format!(
            "{in_scope} rules in scope, {complete} covered and passing on every PSA they apply to; \
             cells: {} pass, {} failing, {} uncovered, {} not applicable",
            n("pass"),
            n("FAIL"),
            n("uncovered"),
            n("-"),
        ));
        if self.vendor.is_some() || n("undeclared") > 0 {
            out.push_str(&format!(", {} not declared", n("undeclared")));
        }
        if n("not run") > 0 {
            out.push_str(&format!(", {} not run", n("not run")));
        }
        out.push_str(&format!("; {} rules out of scope\n", n("out of scope")));
        if let Some(vendor) = &self.vendor {
            out.push_str("\nYour connector, per PSA (in-scope rules that apply there):\n");
            for (psa, v) in vendor {
                out.push_str(&format!(
                    "  {psa}: declared {}, passing {}, failing {}, not declared {}\n",
                    v.declared.len(),
                    v.passing.len(),
                    v.failing.len(),
                    v.not_declared.len()
                ));
                for (what, ids) in [
                    ("passing", &v.passing),
                    ("FAILING", &v.failing),
                    ("declared, no case selected", &v.uncovered),
                    ("not declared", &v.not_declared),
                ] {
                    if !ids.is_empty() {
                        out.push_str(&format!("    {what}: {}\n", ids.join(" ")));
                    }
                }
            }
        }
        out
    }
}

fn cell(rule: &Rule, psa: Personality, mine: &[&CaseResult], scope: &CoverageScope) -> Cell {
    if rule.status == Scope::OutOfScope || !rule.applies_to(psa) {
        return Cell::NotApplicable;
    }
    if !scope.psas.is_empty() && !scope.psas.contains(&psa) {
        return Cell::NotRun;
    }
    if scope.connector {
        let declares = scope.declared.as_ref().is_some_and(|c| {
            c.psas.iter().any(|p| p == psa.key()) && c.rule_groups.contains(&rule.group)
        });
        if !declares {
            return Cell::NotDeclared;
        }
    }
    let ran: Vec<&&CaseResult> = mine
        .iter()
        .filter(|r| r.status != Status::NotApplicable)
        .collect();
    if mine.is_empty() {
        Cell::Uncovered
    } else if ran.is_empty() {
        // Covered by the suite, but every covering case needs a kind or feature not declared.
        Cell::NotDeclared
    } else if ran.iter().any(|r| r.status == Status::Fail) {
        Cell::Fail
    } else {
        Cell::Pass
    }
}
