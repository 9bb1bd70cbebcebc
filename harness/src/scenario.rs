//! Scenario files: one case a file, YAML, checked strictly with file, line and column in errors.

use mock_psa::Personality;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Case name; defaults to the file stem. Goldens are `golden/<name>.<psa>.yaml`.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Rule ids from the catalogue this case covers.
    #[serde(default)]
    pub rules: Vec<String>,
    /// PSAs the case runs on: names, or `all`.
    pub psas: PsaList,
    /// Starting PSA state in the neutral seed vocabulary (see mock-psa's SeedDocument).
    #[serde(default)]
    pub psa: Value,
    /// Starting documentation state.
    #[serde(default)]
    pub docs: DocsState,
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Key facts checked before the golden comparison.
    #[serde(default)]
    pub expect: Vec<Expectation>,
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum PsaList {
    All(String),
    Some(Vec<String>),
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DocsState {
    /// Settings on top of the reference defaults.
    pub settings: Map<String, Value>,
    pub organizations: Vec<Map<String, Value>>,
    pub locations: Vec<Map<String, Value>>,
    pub contacts: Vec<Map<String, Value>>,
    pub configurations: Vec<Map<String, Value>>,
}

/// One step of a case. Documentation-side actions go to the connector; `psa_*`, `clock` and
/// `fault` act on the mock; `expect` checks facts mid-case.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", try_from = "StepDoc")]
pub enum Step {
    /// Change sync or two-way settings as a user.
    Settings(Map<String, Value>),
    /// Create a documentation record (auto-pushed when its source allows).
    Create(RecordAction),
    /// Edit and save a documentation record.
    Edit(RecordAction),
    /// Run a full sync (`full`) or a manual sync (`manual`).
    Sync(String),
    /// The one-time push of all syncable assets.
    PushAll(Option<Value>),
    /// Create a record directly in the PSA (neutral fields).
    PsaCreate(PsaAction),
    /// Change a record directly in the PSA.
    PsaUpdate(PsaAction),
    /// Delete a record directly in the PSA.
    PsaDelete(PsaAction),
    /// Move the virtual clock.
    Clock(Map<String, Value>),
    /// Install a fault rule on the mock.
    Fault(Value),
    /// Check facts now.
    Expect(Vec<Expectation>),
}

/// A step as written: a map with exactly one action key (`- sync: full`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepDoc {
    settings: Option<Map<String, Value>>,
    create: Option<RecordAction>,
    edit: Option<RecordAction>,
    sync: Option<String>,
    push_all: Option<Value>,
    psa_create: Option<PsaAction>,
    psa_update: Option<PsaAction>,
    psa_delete: Option<PsaAction>,
    clock: Option<Map<String, Value>>,
    fault: Option<Value>,
    expect: Option<Vec<Expectation>>,
}

impl TryFrom<StepDoc> for Step {
    type Error = String;
    fn try_from(d: StepDoc) -> Result<Self, Self::Error> {
        let mut steps: Vec<Step> = Vec::new();
        steps.extend(d.settings.map(Step::Settings));
        steps.extend(d.create.map(Step::Create));
        steps.extend(d.edit.map(Step::Edit));
        steps.extend(d.sync.map(Step::Sync));
        steps.extend(d.push_all.map(|v| Step::PushAll(Some(v))));
        steps.extend(d.psa_create.map(Step::PsaCreate));
        steps.extend(d.psa_update.map(Step::PsaUpdate));
        steps.extend(d.psa_delete.map(Step::PsaDelete));
        steps.extend(d.clock.map(Step::Clock));
        steps.extend(d.fault.map(Step::Fault));
        steps.extend(d.expect.map(Step::Expect));
        match steps.len() {
            1 => Ok(steps.remove(0)),
            0 => Err("a step needs one action: settings, create, edit, sync, push_all, psa_create, psa_update, psa_delete, clock, fault or expect".into()),
            _ => Err("a step has exactly one action; split it into several steps".into()),
        }
    }
}

impl Step {
    pub fn name(&self) -> &'static str {
        match self {
            Step::Settings(_) => "settings",
            Step::Create(_) => "create",
            Step::Edit(_) => "edit",
            Step::Sync(_) => "sync",
            Step::PushAll(_) => "push_all",
            Step::PsaCreate(_) => "psa_create",
            Step::PsaUpdate(_) => "psa_update",
            Step::PsaDelete(_) => "psa_delete",
            Step::Clock(_) => "clock",
            Step::Fault(_) => "fault",
            Step::Expect(_) => "expect",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordAction {
    /// organization, location, contact or configuration.
    pub kind: String,
    /// For edits: the record's name (`First Last` for contacts).
    #[serde(default)]
    pub record: Option<String>,
    /// For creates: the fields; for edits: the fields to set.
    #[serde(default, alias = "set")]
    pub fields: Map<String, Value>,
    /// For creates: manual (default), api, csv, active_directory or rmm.
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PsaAction {
    /// companies, locations, contacts or configurations.
    pub kind: String,
    /// Neutral fields that pick the record (update, delete).
    #[serde(default, rename = "match")]
    pub matching: Map<String, Value>,
    /// Neutral fields to create with or set.
    #[serde(default, alias = "fields")]
    pub set: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// A path into the outcome: `psa.contacts`, `docs.organizations[name=Old].banner`, `log`.
    pub that: String,
    #[serde(default)]
    pub equals: Option<Value>,
    #[serde(default)]
    pub count: Option<usize>,
    #[serde(default)]
    pub contains: Option<Value>,
    #[serde(default)]
    pub absent: Option<bool>,
    /// Only on these PSAs.
    #[serde(default)]
    pub only: Vec<String>,
    /// On every PSA but these.
    #[serde(default)]
    pub except: Vec<String>,
}

impl Expectation {
    pub fn applies_to(&self, psa: Personality) -> bool {
        (self.only.is_empty() || self.only.iter().any(|p| p == psa.key()))
            && !self.except.iter().any(|p| p == psa.key())
    }
}

/// A scenario that could not be read: where and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct ScenarioError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Scenario {
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            path: path.display().to_string(),
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
        })?;
        Scenario::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        let err = |line: usize, column: usize, message: String| ScenarioError {
            path: path.display().to_string(),
            line,
            column,
            message,
        };
        let mut s: Scenario = serde_norway::from_str(text).map_err(|e| {
            let (line, column) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((0, 0));
            err(line, column, e.to_string())
        })?;
        s.path = path.to_path_buf();
        if s.name.is_empty() {
            s.name = path
                .file_stem()
                .and_then(|x| x.to_str())
                .unwrap_or("case")
                .to_string();
        }
        // Semantic checks, pointed at the line of the offending key.
        let locate = |needle: &str| -> (usize, usize) {
            text.lines()
                .enumerate()
                .find_map(|(i, l)| l.find(needle).map(|c| (i + 1, c + 1)))
                .unwrap_or((1, 1))
        };
        if let Err(e) = s.personalities() {
            let (l, c) = locate("psas");
            return Err(err(l, c, e));
        }
        if !s.psa.is_null() {
            let seed = serde_json::to_string(&s.psa).unwrap_or_default();
            if let Err(e) = mock_psa::SeedDocument::parse(&seed) {
                let (l, c) = locate("psa:");
                return Err(err(l, c, format!("psa: {e}")));
            }
        }
        for step in &s.steps {
            if let Step::Create(a) | Step::Edit(a) = step {
                if let Err(e) = crate::connector::parse_kind(&a.kind) {
                    let (l, c) = locate(&format!("kind: {}", a.kind));
                    return Err(err(
                        l,
                        c,
                        format!("{e}: expected organization, location, contact or configuration"),
                    ));
                }
            }
            if let Step::Sync(k) = step {
                if k != "full" && k != "manual" {
                    let (l, c) = locate("sync:");
                    return Err(err(
                        l,
                        c,
                        format!("unknown sync `{k}`: expected full or manual"),
                    ));
                }
            }
        }
        Ok(s)
    }

    pub fn personalities(&self) -> Result<Vec<Personality>, String> {
        match &self.psas {
            PsaList::All(s) if s == "all" => Ok(Personality::ALL.to_vec()),
            PsaList::All(s) => Err(format!("psas must be `all` or a list, found `{s}`")),
            PsaList::Some(list) => list.iter().map(|p| p.parse()).collect(),
        }
    }
}

/// Every `*.yaml` under the given paths (files or directories), sorted.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                let entries =
                    std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if matches!(
                        path.extension().and_then(|e| e.to_str()),
                        Some("yaml" | "yml")
                    ) && path.file_name().and_then(|n| n.to_str())
                        != Some(crate::rules::CATALOGUE_FILE)
                    {
                        out.push(path);
                    }
                }
            }
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("{}: no such file or directory", p.display()));
        }
    }
    out.sort();
    Ok(out)
}
