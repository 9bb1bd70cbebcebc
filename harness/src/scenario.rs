//! Scenario files: one case a file, YAML, checked strictly with file, line and column in errors.

use mock_psa::Personality;
use reference_sync::{ManageAction, Removal};
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
    /// Outcome sections the golden leaves out (`psa_state`, `requests`), for cases whose PSA
    /// holds thousands of rows the case does not change; expectations still see them.
    #[serde(default)]
    pub golden_omits: Vec<String>,
    /// A fault case's promise: it ends with the PSA and documentation state of this fault-free
    /// case's golden (requests and log aside).
    #[serde(default)]
    pub same_outcome_as: Option<String>,
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
    /// Documentation-only items (never pushed), each with its `organization`.
    pub passwords: Vec<Map<String, Value>>,
    pub documents: Vec<Map<String, Value>>,
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
    /// Change the integration's credentials, tenant or PSA as an administrator (R7).
    UpdateCredentials(Map<String, Value>),
    /// Disable sync with the PSA on one asset.
    DisableSync(RecordRef),
    /// Enable sync again on one asset.
    EnableSync(RecordRef),
    /// Refresh one asset from the PSA now.
    SyncNow(RecordRef),
    /// Delete a record in the documentation platform.
    Delete(RecordRef),
    /// A Manage Data bulk action.
    ManageData(ManageStep),
    /// Pause the integration.
    Pause(Option<Value>),
    /// Resume the integration.
    Resume(Option<Value>),
    /// Remove the integration: `disconnect` or `delete`.
    RemoveIntegration(Removal),
    /// Merge one organization into another.
    Merge(MergeStep),
    /// A worker picks up the sync queue.
    RunQueue(Option<Value>),
    /// Archive a record in the documentation platform.
    Archive(RecordRef),
    /// Restore an archived record.
    Unarchive(RecordRef),
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
    update_credentials: Option<Map<String, Value>>,
    disable_sync: Option<RecordRef>,
    enable_sync: Option<RecordRef>,
    sync_now: Option<RecordRef>,
    delete: Option<RecordRef>,
    manage_data: Option<ManageStep>,
    pause: Option<Value>,
    resume: Option<Value>,
    remove_integration: Option<Removal>,
    merge: Option<MergeStep>,
    run_queue: Option<Value>,
    archive: Option<RecordRef>,
    unarchive: Option<RecordRef>,
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
        steps.extend(d.update_credentials.map(Step::UpdateCredentials));
        steps.extend(d.disable_sync.map(Step::DisableSync));
        steps.extend(d.enable_sync.map(Step::EnableSync));
        steps.extend(d.sync_now.map(Step::SyncNow));
        steps.extend(d.delete.map(Step::Delete));
        steps.extend(d.manage_data.map(Step::ManageData));
        steps.extend(d.pause.map(|v| Step::Pause(Some(v))));
        steps.extend(d.resume.map(|v| Step::Resume(Some(v))));
        steps.extend(d.remove_integration.map(Step::RemoveIntegration));
        steps.extend(d.merge.map(Step::Merge));
        steps.extend(d.run_queue.map(|v| Step::RunQueue(Some(v))));
        steps.extend(d.archive.map(Step::Archive));
        steps.extend(d.unarchive.map(Step::Unarchive));
        match steps.len() {
            1 => Ok(steps.remove(0)),
            0 => Err("a step needs one action: settings, create, edit, sync, push_all, psa_create, psa_update, psa_delete, clock, fault, expect, disable_sync, enable_sync, sync_now, delete, manage_data, pause, resume, remove_integration, merge, run_queue, archive, unarchive or update_credentials".into()),
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
            Step::UpdateCredentials(_) => "update_credentials",
            Step::DisableSync(_) => "disable_sync",
            Step::EnableSync(_) => "enable_sync",
            Step::SyncNow(_) => "sync_now",
            Step::Delete(_) => "delete",
            Step::ManageData(_) => "manage_data",
            Step::Pause(_) => "pause",
            Step::Resume(_) => "resume",
            Step::RemoveIntegration(_) => "remove_integration",
            Step::Merge(_) => "merge",
            Step::RunQueue(_) => "run_queue",
            Step::Archive(_) => "archive",
            Step::Unarchive(_) => "unarchive",
        }
    }
}

/// One documentation record by kind and name (`First Last` for contacts).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordRef {
    pub kind: String,
    pub record: String,
}

/// A Manage Data bulk action on the synced items of a kind with a type, a status or a name.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ManageStep {
    pub action: ManageAction,
    pub kind: String,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
}

/// Merge organization `source` into `target` (names).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MergeStep {
    pub source: String,
    pub target: String,
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

impl ScenarioError {
    pub fn at(path: &Path, line: usize, column: usize, message: String) -> ScenarioError {
        ScenarioError {
            path: path.display().to_string(),
            line,
            column,
            message,
        }
    }
}

/// Reads a YAML file of the suite (a scenario, the catalogue).
pub(crate) fn read_yaml_file(path: &Path) -> Result<String, ScenarioError> {
    std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::at(path, 0, 0, format!("cannot read: {e}")))
}

/// Parses YAML strictly; a syntax or shape error carries its line and column.
pub(crate) fn from_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ScenarioError> {
    // issue 12: bounded before parsing (the YAML loader is quadratic in nesting depth).
    check_yaml_bounds(text, path)?;
    serde_norway::from_str(text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        ScenarioError::at(path, line, column, e.to_string())
    })
}

/// The largest suite YAML file read, and its deepest nesting (issue 12).
const MAX_YAML_BYTES: usize = 16 * 1024 * 1024;
const MAX_YAML_DEPTH: usize = 64;

fn check_yaml_bounds(text: &str, path: &Path) -> Result<(), ScenarioError> {
    if text.len() > MAX_YAML_BYTES {
        let msg = format!("{} bytes; the limit is {MAX_YAML_BYTES}", text.len());
        return Err(ScenarioError::at(path, 1, 1, msg));
    }
    mock_psa::limits::check_yaml_depth(text, MAX_YAML_DEPTH)
        .map_err(|(line, msg)| ScenarioError::at(path, line, 1, msg))
}

/// Line and column of the first occurrence of `needle`, for semantic errors.
pub(crate) fn locate(text: &str, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(i, l)| l.find(needle).map(|c| (i + 1, c + 1)))
        .unwrap_or((1, 1))
}

impl Scenario {
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::parse(&read_yaml_file(path)?, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        let err = |line: usize, column: usize, message: String| {
            ScenarioError::at(path, line, column, message)
        };
        let mut s: Scenario = from_yaml(text, path)?;
        s.path = path.to_path_buf();
        if s.name.is_empty() {
            s.name = path
                .file_stem()
                .and_then(|x| x.to_str())
                .unwrap_or("case")
                .to_string();
        }
        // Semantic checks, pointed at the line of the offending key.
        let locate = |needle: &str| locate(text, needle);
        for section in &s.golden_omits {
            if !["psa_state", "requests"].contains(&section.as_str()) {
                let (l, c) = locate("golden_omits");
                return Err(err(
                    l,
                    c,
                    format!("golden_omits: `{section}` cannot be left out: expected psa_state or requests"),
                ));
            }
        }
        if s.same_outcome_as.as_deref() == Some(s.name.as_str()) {
            let (l, c) = locate("same_outcome_as");
            return Err(err(l, c, "same_outcome_as names the case itself".into()));
        }
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
                if let Err(e) = crate::connector::parse_any_kind(&a.kind) {
                    let (l, c) = locate(&format!("kind: {}", a.kind));
                    return Err(err(
                        l,
                        c,
                        format!("{e}: expected organization, location, contact, configuration, password or document"),
                    ));
                }
            }
            let asset_kind = match step {
                Step::DisableSync(r)
                | Step::EnableSync(r)
                | Step::SyncNow(r)
                | Step::Delete(r)
                | Step::Archive(r)
                | Step::Unarchive(r) => Some(&r.kind),
                Step::ManageData(m) => Some(&m.kind),
                _ => None,
            };
            if let Some(kind) = asset_kind {
                if let Err(e) = crate::connector::parse_kind(kind) {
                    let (l, c) = locate(&format!("kind: {kind}"));
                    return Err(err(
                        l,
                        c,
                        format!("{e}: expected organization, location, contact or configuration"),
                    ));
                }
            }
            if let Step::ManageData(m) = step {
                if m.type_name.is_none() && m.status.is_none() && m.record.is_none() {
                    let (l, c) = locate("manage_data");
                    return Err(err(
                        l,
                        c,
                        "manage_data needs a `type`, a `status` or a `record`".into(),
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

    /// Every rule the case names must be in the catalogue and in scope.
    pub fn check_rules(&self, catalogue: &crate::rules::Catalogue) -> Result<(), ScenarioError> {
        for id in &self.rules {
            let problem = match catalogue.get(id) {
                None => format!("rule `{id}` is not in the catalogue"),
                Some(r) if r.status == crate::rules::Status::OutOfScope => {
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
            return Err(ScenarioError {
                path: self.path.display().to_string(),
                line,
                column,
                message: problem,
            });
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(steps: &str) -> Result<Scenario, ScenarioError> {
        let text = format!("description: x\nrules: []\npsas: all\nsteps:\n  - sync: full\n{steps}");
        Scenario::parse(&text, Path::new("case.yaml"))
    }

    #[test]
    fn a_deeply_nested_scenario_is_refused_with_its_line_before_parsing() {
        let text = format!(
            "description: x\nrules: []\nsteps:\n  - sync: {}\n",
            "[".repeat(40_000)
        );
        let e = Scenario::parse(&text, Path::new("deep.yaml")).unwrap_err();
        assert_eq!((e.line, e.column), (4, 1), "{e:?}");
        assert!(e.message.contains("nested more than 64"), "{e:?}");
    }

    #[test]
    fn control_and_schedule_steps_parse_and_round_trip() {
        let s = parse(
            "  - disable_sync: {kind: configuration, record: PC-1}\n\
             \x20 - manage_data: {action: disconnect, kind: organization, type: Customer}\n\
             \x20 - remove_integration: delete\n\
             \x20 - merge: {source: A, target: B}\n\
             \x20 - run_queue: {}\n",
        )
        .unwrap();
        let names: Vec<&str> = s.steps.iter().map(Step::name).collect();
        assert_eq!(
            names,
            [
                "sync",
                "disable_sync",
                "manage_data",
                "remove_integration",
                "merge",
                "run_queue"
            ]
        );
        // Steps travel in their serialised form (the connector protocol).
        let back = serde_json::to_value(&s.steps[2]).unwrap();
        assert_eq!(back["manage_data"]["action"], "disconnect");
        assert_eq!(back["manage_data"]["type"], "Customer");
        assert_eq!(
            serde_json::to_value(&s.steps[3]).unwrap()["remove_integration"],
            "delete"
        );
    }

    #[test]
    fn bad_values_name_file_line_and_column() {
        let e = parse("  - manage_data: {action: pasue, kind: organization, type: Customer}\n")
            .unwrap_err();
        assert_eq!((e.line, e.column), (6, 27), "{e}");
        assert!(e.message.contains("unknown variant `pasue`"), "{e}");
        let e = parse("  - sync_now: {kind: widget, record: X}\n").unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(e.message.contains("unknown record kind `widget`"), "{e}");
        let e = parse("  - manage_data: {action: pause, kind: organization}\n").unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(
            e.message
                .contains("needs a `type`, a `status` or a `record`"),
            "{e}"
        );
        let e = parse("  - remove_integration: nuke\n").unwrap_err();
        assert!(
            e.message.contains("expected `disconnect` or `delete`"),
            "{e}"
        );
    }
}
