//! The rule catalogue (`scenarios/rules.yaml`): every rule of the sync specification with its
//! group, sources, the PSAs it applies to and whether the suite covers it.

use crate::scenario::{from_yaml, locate, read_yaml_file, ScenarioError};
use mock_psa::Personality;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// The catalogue's file name; scenario discovery skips it.
pub const CATALOGUE_FILE: &str = "rules.yaml";

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
