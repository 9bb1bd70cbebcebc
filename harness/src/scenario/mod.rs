//! Scenario files: one case a file, YAML, checked strictly with file, line and column in errors.

use mock_psa::Personality;
use reference_sync::{ItemKind, Kind, ManageAction, Removal};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

mod schema;
pub use schema::schema;

/// The catalogue's file name (`scenarios/rules.yaml`); scenario discovery skips it.
pub const CATALOGUE_FILE: &str = "rules.yaml";

/// A documentation record kind by name.
pub fn parse_kind(s: &str) -> Result<Kind, String> {
    serde_json::from_value(Value::String(s.to_string()))
        .map_err(|_| format!("unknown record kind `{s}`"))
}

/// A record kind, or a documentation-only item kind (password, document).
pub fn parse_any_kind(s: &str) -> Result<Result<Kind, ItemKind>, String> {
    parse_kind(s).map(Ok).or_else(|e| {
        serde_json::from_value::<ItemKind>(Value::String(s.to_string()))
            .map(Err)
            .map_err(|_| e)
    })
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
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

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
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
#[derive(Deserialize, schemars::JsonSchema)]
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
    #[serde(default)]
    #[schemars(schema_with = "schema::removal_schema")]
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
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordRef {
    pub kind: String,
    pub record: String,
}

/// A Manage Data bulk action on the synced items of a kind with a type, a status or a name.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManageStep {
    #[schemars(schema_with = "schema::manage_action_schema")]
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
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeStep {
    pub source: String,
    pub target: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = schema::fields_alias)]
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

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = schema::fields_alias)]
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

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// A path into the outcome: `psa.contacts`, `docs.organizations[name=Old].banner`, `log`.
    pub that: String,
    #[serde(default)]
    pub equals: Option<Value>,
    #[serde(default)]
    pub count: Option<usize>,
    /// At least this many items (a range with `at_most`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<usize>,
    /// At most this many items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<usize>,
    #[serde(default)]
    pub contains: Option<Value>,
    /// A regular expression the text (or, on a list, some element) must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
    /// `true`: the field is missing from every selected record (which must exist).
    #[serde(default)]
    pub absent: Option<bool>,
    /// `true`: the selection is empty (`requests[step>4]`: nothing after step 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub none: Option<bool>,
    /// Only on these PSAs.
    #[serde(default)]
    pub only: Vec<String>,
    /// On every PSA but these.
    #[serde(default)]
    pub except: Vec<String>,
}

impl Expectation {
    /// What is wrong with the expectation itself, whatever the outcome (all of it).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let checks = [
            self.equals.is_some(),
            self.count.is_some(),
            self.at_least.is_some(),
            self.at_most.is_some(),
            self.contains.is_some(),
            self.matches.is_some(),
            self.absent.is_some(),
            self.none.is_some(),
        ];
        if !checks.contains(&true) {
            out.push(format!(
                "`{}` checks nothing: give equals, count, at_least, at_most, contains, matches, absent or none",
                self.that
            ));
        }
        if self.count.is_some() && (self.at_least.is_some() || self.at_most.is_some()) {
            out.push(format!(
                "`{}`: count with at_least or at_most; give one or the other",
                self.that
            ));
        }
        if let (Some(lo), Some(hi)) = (self.at_least, self.at_most) {
            if lo > hi {
                out.push(format!(
                    "`{}`: at_least {lo} is above at_most {hi}",
                    self.that
                ));
            }
        }
        if self.none == Some(false) {
            out.push(format!(
                "`{}`: `none: false` says nothing; write `at_least: 1`",
                self.that
            ));
        }
        if let Some(p) = &self.matches {
            if let Err(e) = regex::Regex::new(p) {
                // The regex crate draws a caret under the pattern; the last line says why.
                let e = e.to_string();
                let e = e.lines().last().unwrap_or_default().trim();
                out.push(format!(
                    "`{}`: pattern `{p}` is not a regular expression: {e}",
                    self.that
                ));
            }
        }
        for p in self.only.iter().chain(&self.except) {
            if let Err(e) = p.parse::<Personality>() {
                out.push(format!("`{}`: only/except: {e}", self.that));
            }
        }
        out
    }

    pub fn applies_to(&self, psa: Personality) -> bool {
        (self.only.is_empty() || self.only.iter().any(|p| p == psa.key()))
            && !self.except.iter().any(|p| p == psa.key())
    }
}

/// A scenario that could not be read: where and why; `also` holds the file's further errors,
/// so one run lists them all.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.lines().join("\n"))]
pub struct ScenarioError {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub also: Vec<ScenarioError>,
}

impl ScenarioError {
    pub fn at(path: &Path, line: usize, column: usize, message: String) -> ScenarioError {
        ScenarioError {
            path: path.display().to_string(),
            line,
            column,
            message,
            also: Vec::new(),
        }
    }

    /// One `file:line:column: message` line per error, in file order.
    pub fn lines(&self) -> Vec<String> {
        std::iter::once(self)
            .chain(&self.also)
            .map(|e| format!("{}:{}:{}: {}", e.path, e.line, e.column, e.message))
            .collect()
    }

    /// Every error of a file as one, ordered by position; `None` when there are none.
    pub fn all(mut errors: Vec<ScenarioError>) -> Option<ScenarioError> {
        errors.sort_by_key(|e| (e.line, e.column));
        let mut first = errors.first()?.clone();
        first.also = errors.into_iter().skip(1).collect();
        Some(first)
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

/// Line and column of the `n`-th (0-based) occurrence of `needle`, else of the first.
pub(crate) fn locate_nth(text: &str, needle: &str, n: usize) -> (usize, usize) {
    let mut hits = text.lines().enumerate().flat_map(|(i, l)| {
        l.match_indices(needle)
            .map(move |(c, _)| (i + 1, c + 1))
            .collect::<Vec<_>>()
    });
    let all: Vec<(usize, usize)> = hits.by_ref().collect();
    all.get(n).or(all.first()).copied().unwrap_or((1, 1))
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
        let mut errors: Vec<ScenarioError> = Vec::new();
        // Semantic checks, pointed at the line of the offending key.
        let locate = |needle: &str| locate(text, needle);
        for section in &s.golden_omits {
            if !["psa_state", "requests"].contains(&section.as_str()) {
                let (l, c) = locate("golden_omits");
                errors.push(err(
                    l,
                    c,
                    format!("golden_omits: `{section}` cannot be left out: expected psa_state or requests"),
                ));
            }
        }
        if s.same_outcome_as.as_deref() == Some(s.name.as_str()) {
            let (l, c) = locate("same_outcome_as");
            errors.push(err(l, c, "same_outcome_as names the case itself".into()));
        }
        if let Err(e) = s.personalities() {
            let (l, c) = locate("psas");
            errors.push(err(l, c, e));
        }
        if !s.psa.is_null() {
            let seed = serde_json::to_string(&s.psa).unwrap_or_default();
            if let Err(e) = mock_psa::SeedDocument::parse(&seed) {
                let (l, c) = locate("psa:");
                errors.push(err(l, c, format!("psa: {e}")));
            }
        }
        for step in &s.steps {
            if let Step::Create(a) | Step::Edit(a) = step {
                if let Err(e) = parse_any_kind(&a.kind) {
                    let (l, c) = locate(&format!("kind: {}", a.kind));
                    errors.push(err(
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
                if let Err(e) = parse_kind(kind) {
                    let (l, c) = locate(&format!("kind: {kind}"));
                    errors.push(err(
                        l,
                        c,
                        format!("{e}: expected organization, location, contact or configuration"),
                    ));
                }
            }
            if let Step::ManageData(m) = step {
                if m.type_name.is_none() && m.status.is_none() && m.record.is_none() {
                    let (l, c) = locate("manage_data");
                    errors.push(err(
                        l,
                        c,
                        "manage_data needs a `type`, a `status` or a `record`".into(),
                    ));
                }
            }
            if let Step::Sync(k) = step {
                if k != "full" && k != "manual" {
                    let (l, c) = locate("sync:");
                    errors.push(err(
                        l,
                        c,
                        format!("unknown sync `{k}`: expected full or manual"),
                    ));
                }
            }
        }
        s.check_expectations(text, &mut errors);
        match ScenarioError::all(errors) {
            Some(e) => Err(e),
            None => Ok(s),
        }
    }

    /// Every expectation, at the end and in steps: well formed, and its path one the outcome
    /// can hold on each PSA it applies to.
    fn check_expectations(&self, text: &str, errors: &mut Vec<ScenarioError>) {
        let psas = self.personalities().unwrap_or_default();
        let shapes: Vec<(Personality, crate::shape::Shape)> = psas
            .iter()
            .map(|p| (*p, crate::shape::outcome_shape(self, *p)))
            .collect();
        let steps = self.steps.iter().filter_map(|s| match s {
            Step::Expect(list) => Some(list),
            _ => None,
        });
        let mut seen: std::collections::BTreeMap<&str, usize> = Default::default();
        for e in std::iter::once(&self.expect).chain(steps).flatten() {
            // The n-th expectation on a path points at the n-th place the path is written.
            let nth = seen.entry(e.that.as_str()).or_default();
            let (line, column) = locate_nth(text, &e.that, *nth);
            *nth += 1;
            let mut problems = e.problems();
            let mut path_problems: Vec<String> = Vec::new();
            for (psa, shape) in &shapes {
                if !e.applies_to(*psa) {
                    continue;
                }
                if let Err(m) = crate::expect::check_path(&e.that, shape) {
                    let m = format!("{}: {m}", e.that);
                    if !path_problems.contains(&m) {
                        path_problems.push(m);
                    }
                }
            }
            problems.extend(path_problems);
            for m in problems {
                errors.push(ScenarioError::at(&self.path, line, column, m));
            }
        }
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
                    ) && path.file_name().and_then(|n| n.to_str()) != Some(CATALOGUE_FILE)
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

    fn workspace() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// Every scenario of the suite loads: its paths name what the outcome holds.
    #[test]
    fn every_scenario_of_the_suite_passes_the_path_check() {
        let files = discover(&[workspace().join("scenarios")]).unwrap();
        let broken: Vec<String> = files
            .iter()
            .filter_map(|f| Scenario::load(f).err())
            .map(|e| e.to_string())
            .collect();
        assert!(broken.is_empty(), "{}", broken.join("\n"));
    }

    #[test]
    fn a_broken_file_lists_every_error_in_order() {
        let text = "description: x\npsas: all\nsteps:\n  - sync: fulll\n  - expect:\n      - {that: docs.contact, count: 0}\nexpect:\n  - {that: \"docs.contacts[first_name=Zoe].baner\", absent: true}\n  - {that: log}\n  - {that: log, matches: \"(\"}\n";
        let e = Scenario::parse(text, Path::new("case.yaml")).unwrap_err();
        let lines = e.lines();
        assert_eq!(lines.len(), 5, "{lines:#?}");
        assert!(
            lines[0].starts_with("case.yaml:4:") && lines[0].contains("unknown sync `fulll`"),
            "{e}"
        );
        assert!(
            lines[1].starts_with("case.yaml:6:")
                && lines[1].contains("unknown table `contact` in `docs`; did you mean `contacts`?"),
            "{e}"
        );
        assert!(
            lines[2].starts_with("case.yaml:8:") && lines[2].contains("did you mean `banner`?"),
            "{e}"
        );
        assert!(
            lines[3].starts_with("case.yaml:9:") && lines[3].contains("checks nothing"),
            "{e}"
        );
        assert!(
            lines[4].starts_with("case.yaml:10:") && lines[4].contains("not a regular expression"),
            "{e}"
        );
        assert_eq!(e.to_string().lines().count(), 5);
    }

    #[test]
    fn paths_are_checked_for_each_psa_the_expectation_applies_to() {
        // `nickName` is a ConnectWise member: only `psa_state` reaches native members.
        let ok = "psas: all\nexpect:\n  - {that: psa_state.companies, at_least: 1, only: [connectwise]}\n  - {that: psa_state.company_sites, at_least: 1, only: [connectwise]}\n  - {that: \"requests[step>1]\", none: true}\n  - {that: psa.tickets.number, count: 0}\n  - {that: docs.settings.two_way, equals: true}\n";
        Scenario::parse(ok, Path::new("case.yaml")).unwrap();
        let bad = "psas: all\nexpect:\n  - {that: psa_state.company_sites, at_least: 1}\n  - {that: psa.contacts.nickName, absent: true}\n  - {that: docs.settings.twoway, equals: true}\n  - {that: log, count: 1, only: [connectwize]}\n";
        let e = Scenario::parse(bad, Path::new("case.yaml")).unwrap_err();
        let all = e.to_string();
        assert!(
            all.contains("unknown table `company_sites` in `psa_state`"),
            "{all}"
        );
        assert!(
            all.contains("unknown field `nickName` in `psa.contacts`"),
            "{all}"
        );
        assert!(all.contains("did you mean `two_way`?"), "{all}");
        assert!(all.contains("unknown PSA `connectwize`"), "{all}");
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
