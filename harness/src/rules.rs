//! The rule catalogue (`scenarios/rules.yaml`): every rule of the sync specification with its
//! group, sources, the PSAs it applies to and whether the suite covers it.

use crate::scenario::{from_yaml, locate, read_yaml_file, Scenario, ScenarioError};
use mock_psa::Personality;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

pub use crate::scenario::CATALOGUE_FILE;

/// Rule groups, in catalogue order. Connectors declare the groups they implement.
pub const GROUPS: [&str; 8] = [
    "eligibility",
    "settings",
    "pull",
    "push",
    "orphans_and_controls",
    "scheduling",
    "bulk_push",
    "fields",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    InScope,
    OutOfScope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// Stated outright in the source.
    Stated,
    /// A close inference (a release-note fix, or two statements combined).
    Inferred,
    StatedAndInferred,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub group: String,
    pub title: String,
    pub certainty: Certainty,
    pub sources: Vec<String>,
    /// `all`, or a list of PSA keys.
    pub psas: crate::scenario::PsaList,
    pub status: Status,
    /// Why a rule is out of scope.
    #[serde(default)]
    pub reason: Option<String>,
}

impl Rule {
    pub fn applies_to(&self, psa: Personality) -> bool {
        match &self.psas {
            crate::scenario::PsaList::All(_) => true,
            crate::scenario::PsaList::Some(list) => {
                list.iter().any(|p| p.parse::<Personality>() == Ok(psa))
            }
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub rules: Vec<Rule>,
}

impl Catalogue {
    pub fn load(path: &Path) -> Result<Catalogue, ScenarioError> {
        Catalogue::parse(&read_yaml_file(path)?, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Catalogue, ScenarioError> {
        let err = |line: usize, column: usize, message: String| {
            ScenarioError::at(path, line, column, message)
        };
        let cat: Catalogue = from_yaml(text, path)?;
        let locate = |needle: &str| locate(text, needle);
        let mut seen = BTreeSet::new();
        for rule in &cat.rules {
            let (l, c) = locate(&format!("id: {}", rule.id));
            if !seen.insert(rule.id.as_str()) {
                return Err(err(l, c, format!("rule {} is listed twice", rule.id)));
            }
            if !GROUPS.contains(&rule.group.as_str()) {
                return Err(err(
                    l,
                    c,
                    format!(
                        "rule {}: unknown group `{}`: expected one of {}",
                        rule.id,
                        rule.group,
                        GROUPS.join(", ")
                    ),
                ));
            }
            if let crate::scenario::PsaList::Some(list) = &rule.psas {
                for p in list {
                    if let Err(e) = p.parse::<Personality>() {
                        return Err(err(l, c, format!("rule {}: {e}", rule.id)));
                    }
                }
            }
            if rule.status == Status::OutOfScope && rule.reason.is_none() {
                return Err(err(
                    l,
                    c,
                    format!("rule {} is out of scope but gives no reason", rule.id),
                ));
            }
        }
        Ok(cat)
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The groups a case needs, from the rules it covers; unknown ids are skipped (the
    /// scenario check reports them).
    pub fn groups_for<'a>(&self, ids: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
        ids.into_iter()
            .filter_map(|id| self.get(id))
            .map(|r| r.group.clone())
            .collect()
    }
}

impl Scenario {
    /// Every rule the case names must be in the catalogue and in scope.
    pub fn check_rules(&self, catalogue: &Catalogue) -> Result<(), ScenarioError> {
        let mut errors = Vec::new();
        for id in &self.rules {
            let problem = match catalogue.get(id) {
                None => format!("rule `{id}` is not in the catalogue"),
                Some(r) if r.status == Status::OutOfScope => {
                    format!(
                        "rule {id} is out of scope: {}",
                        r.reason.as_deref().unwrap_or("")
                    )
                }
                Some(_) => continue,
            };
            let text = std::fs::read_to_string(&self.path).unwrap_or_default();
            let (line, column) = text
                .lines()
                .enumerate()
                .find_map(|(i, l)| {
                    l.starts_with("rules")
                        .then(|| l.find(id.as_str()).map(|c| (i + 1, c + 1)))
                        .flatten()
                })
                .unwrap_or((1, 1));
            errors.push(ScenarioError::at(&self.path, line, column, problem));
        }
        match ScenarioError::all(errors) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
