//! Runs one case on one PSA: start the mock on 127.0.0.1:0, seed both sides, drive the steps,
//! capture and normalise the outcome, check the inline expectations, compare with the golden.

use crate::connector::{Connector, ReferenceConnector, Session};
use crate::contract;
use crate::expect;
use crate::golden::{self, Comparison};
use crate::process::{ConnectorCommand, ProcessConnector};
use crate::protocol::Capabilities;
use crate::rules::Catalogue;
use crate::same_outcome;
use crate::scenario::{PsaAction, Scenario, Step};
use mock_psa::{MockServer, Personality, SeedDocument, ServerOptions};
use reference_sync::Defect;
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub golden_dir: PathBuf,
    pub bless: bool,
    /// Check inline expectations only (cases without goldens, written by users).
    pub expectations_only: bool,
    /// Deliberate engine defects (tests of the suite's teeth).
    pub defects: Vec<Defect>,
    /// Run this executable through the connector protocol instead of the in-process reference.
    pub connector: Option<ConnectorCommand>,
    /// How an outcome is held against its golden.
    pub compare: contract::Compare,
    /// The rule catalogue, to tell which rule groups a case needs (for connector capabilities).
    pub catalogue: Option<Arc<Catalogue>>,
    /// The connector's capabilities, from the first `initialize` answer: asked once per
    /// connector, so later cases outside them start no process at all.
    pub declared: Arc<OnceLock<Capabilities>>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    Blessed,
    /// Outside what the connector declared: neither passed nor failed.
    NotApplicable,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseResult {
    pub case: String,
    pub psa: String,
    pub rules: Vec<String>,
    pub status: Status,
    /// Why it failed: expectation failures, the first differing golden field, errors.
    pub failures: Vec<String>,
    /// Unified diff against the golden, when it differs.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub diff: String,
    /// The sync log, shown when the case fails.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
    /// Why the case does not apply to the connector.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
    /// What the connector process wrote to stderr during the case.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    pub millis: u128,
    /// The outcome's requests and step lines, for the HTML report's timeline (not in JSON,
    /// which the goldens already hold).
    #[serde(skip)]
    pub requests: Vec<Value>,
    #[serde(skip)]
    pub actions: Vec<String>,
}

struct Admin {
    http: reqwest::Client,
    base: String,
}

impl Admin {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| format!("admin {path}: {e}"))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| format!("admin {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("admin {path}: {status}: {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn neutral(&self) -> Result<Value, String> {
        Ok(self
            .call(reqwest::Method::GET, "/snapshot?view=neutral", None)
            .await?["records"]
            .clone())
    }

    /// Finds the id of the neutral record of `kind` whose fields include `matching`.
    async fn find(&self, action: &PsaAction) -> Result<i64, String> {
        let records = self.neutral().await?;
        let rows = records
            .get(&action.kind)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        rows.iter()
            .find(|r| action.matching.iter().all(|(k, v)| r.get(k) == Some(v)))
            .and_then(|r| r.get("id").and_then(Value::as_i64))
            .ok_or_else(|| {
                format!(
                    "no PSA {} matching {}",
                    action.kind,
                    Value::Object(action.matching.clone())
                )
            })
    }
}

/// Runs one case on one PSA: with the reference sync in-process, or with the connector
/// command of `opts` (a fresh process for each case).
pub async fn run_case(case: &Scenario, psa: Personality, opts: &RunOptions) -> CaseResult {
    if opts.connector.is_some() {
        if let Some(why) = opts
            .declared
            .get()
            .and_then(|caps| caps.not_applicable(case, psa, opts.catalogue.as_deref()))
        {
            let mut result = blank(case, psa);
            result.status = Status::NotApplicable;
            result.not_applicable = Some(why);
            return result;
        }
    }
    let connector: Box<dyn Connector> = match &opts.connector {
        Some(cmd) => Box::new(ProcessConnector::new(cmd.clone())),
        None => Box::new(ReferenceConnector::new(opts.defects.clone())),
    };
    run_case_with(case, psa, opts, connector).await
}

/// How a case ended before the golden comparison.
enum Driven {
    Done(Value, Vec<String>),
    NotApplicable(String),
}

pub async fn run_case_with(
    case: &Scenario,
    psa: Personality,
    opts: &RunOptions,
    mut connector: Box<dyn Connector>,
) -> CaseResult {
    let started = std::time::Instant::now();
    let mut result = blank(case, psa);
    match drive(case, psa, opts, &mut *connector).await {
        Ok(Driven::NotApplicable(why)) => {
            result.status = Status::NotApplicable;
            result.not_applicable = Some(why);
        }
        Ok(Driven::Done(outcome, failures)) => {
            result.failures = failures;
            result.requests = outcome["requests"].as_array().cloned().unwrap_or_default();
            result.actions = outcome["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l.as_str().map(str::to_string))
                .collect();
            if let Some(other) = &case.same_outcome_as {
                if let Err(m) = same_outcome::check(&opts.golden_dir, other, psa, &outcome) {
                    result.failures.push(m.failure);
                    result.diff = m.diff;
                }
            }
            if result.failures.is_empty() {
                finish_with_golden(case, psa, opts, &outcome, &mut result);
            } else if opts.bless {
                let n = result.failures.len();
                result.failures.insert(
                    0,
                    format!(
                        "not blessed: {n} failing expectation(s); the golden is left as it was"
                    ),
                );
            }
            if result.status == Status::Fail {
                result.log = outcome["log"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l.as_str().map(str::to_string))
                    .collect();
            }
        }
        Err(e) => result.failures.push(e),
    }
    result.stderr = connector.close().await;
    result.millis = started.elapsed().as_millis();
    result
}

/// A case that has not run yet (failing until it passes).
fn blank(case: &Scenario, psa: Personality) -> CaseResult {
    CaseResult::new(&case.name, psa.key(), case.rules.clone(), Status::Fail)
}

impl CaseResult {
    /// A result with this status and nothing else to say yet: no failures, log or requests.
    pub fn new(case: &str, psa: &str, rules: Vec<String>, status: Status) -> CaseResult {
        CaseResult {
            case: case.to_string(),
            psa: psa.to_string(),
            rules,
            status,
            failures: Vec::new(),
            diff: String::new(),
            log: Vec::new(),
            not_applicable: None,
            stderr: String::new(),
            millis: 0,
            requests: Vec::new(),
            actions: Vec::new(),
        }
    }
}

fn finish_with_golden(
    case: &Scenario,
    psa: Personality,
    opts: &RunOptions,
    outcome: &Value,
    result: &mut CaseResult,
) {
    let path = golden::golden_path(&opts.golden_dir, &case.name, psa.key());
    let text = golden::render(outcome);
    if opts.bless {
        let written =
            std::fs::create_dir_all(&opts.golden_dir).and_then(|_| std::fs::write(&path, &text));
        match written {
            Ok(()) => result.status = Status::Blessed,
            Err(e) => result
                .failures
                .push(format!("cannot write {}: {e}", path.display())),
        }
        return;
    }
    let (compared, what) = match opts.compare {
        contract::Compare::Exact => (golden::compare(&path, &text), "golden mismatch"),
        contract::Compare::Contract => (contract::compare(&path, outcome), "contract mismatch"),
    };
    match compared {
        Comparison::Match => result.status = Status::Pass,
        Comparison::Missing if opts.expectations_only => result.status = Status::Pass,
        Comparison::Missing => result.failures.push(format!(
            "no golden at {} (run with --bless to create it)",
            path.display()
        )),
        Comparison::Differs {
            field,
            golden,
            actual,
            diff,
        } => {
            result.failures.push(format!(
                "{what} at `{field}`: golden {golden}, actual {actual} ({})",
                path.display()
            ));
            result.diff = diff;
        }
    }
}

async fn drive(
    case: &Scenario,
    psa: Personality,
    opts: &RunOptions,
    connector: &mut dyn Connector,
) -> Result<Driven, String> {
    let seed = if case.psa.is_null() {
        None
    } else {
        let text = serde_json::to_string(&case.psa).map_err(|e| e.to_string())?;
        Some(SeedDocument::parse(&text)?)
    };
    // The outcome lists every request of the case: the journal keeps them all, however many.
    let mut settings = mock_psa::Settings::for_personality(psa);
    settings.journal.max_entries = usize::MAX;
    let server = MockServer::start(
        psa,
        ServerOptions {
            seed,
            settings: Some(settings),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| format!("mock: {e}"))?;
    let origin = server.origin();
    let admin = Admin {
        http: reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?,
        base: server.admin_url(),
    };
    let clock = admin.call(reqwest::Method::GET, "/clock", None).await?;
    let session = Session {
        psa,
        origin: origin.clone(),
        credentials: psa.default_credentials(),
        clock: clock["now"].as_str().unwrap_or_default().to_string(),
        case: case.name.clone(),
    };
    connector
        .initialize(&session, &case.docs)
        .await
        .map_err(|e| format!("connector initialize: {e}"))?;
    if let Some(caps) = connector.capabilities() {
        let _ = opts.declared.set(caps.clone());
        if let Some(why) = caps.not_applicable(case, psa, opts.catalogue.as_deref()) {
            return Ok(Driven::NotApplicable(why));
        }
    }

    let mut actions = Vec::new();
    let mut failures = Vec::new();
    let mut requests = Requests::default();
    requests.take(&admin, 0).await?;
    for (i, step) in case.steps.iter().enumerate() {
        let n = i + 1;
        let line = match step {
            Step::PsaCreate(a) => {
                let r = admin
                    .call(
                        reqwest::Method::POST,
                        &format!("/records/{}", a.kind),
                        Some(Value::Object(a.set.clone())),
                    )
                    .await?;
                format!("created {}", r["id"])
            }
            Step::PsaUpdate(a) => {
                let id = admin.find(a).await?;
                admin
                    .call(
                        reqwest::Method::PATCH,
                        &format!("/records/{}/{id}", a.kind),
                        Some(Value::Object(a.set.clone())),
                    )
                    .await?;
                format!("updated {id}")
            }
            Step::PsaDelete(a) => {
                let id = admin.find(a).await?;
                admin
                    .call(
                        reqwest::Method::DELETE,
                        &format!("/records/{}/{id}", a.kind),
                        None,
                    )
                    .await?;
                format!("deleted {id}")
            }
            Step::Clock(c) => {
                let r = admin
                    .call(
                        reqwest::Method::POST,
                        "/clock",
                        Some(Value::Object(c.clone())),
                    )
                    .await?;
                // The connector keeps time too (its queue): it hears the mock's new time.
                let now = r["now"].as_str().unwrap_or("").to_string();
                let set = Step::Clock(Map::from_iter([("set".to_string(), json!(now))]));
                connector
                    .apply(&set)
                    .await
                    .map_err(|e| format!("step {n} (clock): {e}"))?;
                format!("now {now}")
            }
            Step::Fault(rule) => {
                let r = admin
                    .call(reqwest::Method::POST, "/faults", Some(rule.clone()))
                    .await?;
                format!("fault rule {}", r["id"])
            }
            Step::Expect(list) => {
                requests.take(&admin, n).await?;
                let view =
                    capture(&admin, connector, &origin, case, psa, &actions, &requests).await?;
                for e in list.iter().filter(|e| e.applies_to(psa)) {
                    if let Err(msg) = expect::check(e, &view, psa) {
                        failures.push(format!("step {n} expect: {msg}"));
                    }
                }
                "checked".to_string()
            }
            other => connector
                .apply(other)
                .await
                .map_err(|e| format!("step {n} ({}): {e}", other.name()))?,
        };
        requests.take(&admin, n).await?;
        actions.push(Value::String(format!("{n} {}: {line}", step.name())));
    }
    let mut view = capture(&admin, connector, &origin, case, psa, &actions, &requests).await?;
    // Every expectation reads the one view; the golden is that view, less the neutral PSA side
    // and the sections the case leaves out.
    for e in case.expect.iter().filter(|e| e.applies_to(psa)) {
        if let Err(msg) = expect::check(e, &view, psa) {
            failures.push(format!("expect: {msg}"));
        }
    }
    let outcome = {
        view["psa"] = json!(psa.key());
        if let Some(m) = view.as_object_mut() {
            for section in &case.golden_omits {
                // A golden without the request list still pins how many there were.
                if let Some(Value::Array(gone)) = m.remove(section.as_str()) {
                    if section == "requests" {
                        m.insert("request_count".into(), json!(gone.len()));
                    }
                }
            }
        }
        view
    };
    connector
        .shutdown()
        .await
        .map_err(|e| format!("connector shutdown: {e}"))?;
    drop(server);
    Ok(Driven::Done(outcome, failures))
}

/// The requests of a case so far, each with the virtual time it was made at and the step that
/// made it (0: before the first step), read from the journal after every step.
#[derive(Default)]
struct Requests {
    rows: Vec<Value>,
    last_seq: u64,
}

impl Requests {
    /// Reads the journal entries since the last read and files them under step `step`.
    async fn take(&mut self, admin: &Admin, step: usize) -> Result<(), String> {
        let journal = admin
            .call(
                reqwest::Method::GET,
                &format!("/journal?since={}", self.last_seq),
                None,
            )
            .await?;
        for e in journal["entries"].as_array().into_iter().flatten() {
            self.last_seq = self.last_seq.max(e["seq"].as_u64().unwrap_or(0));
            let query = e["query"].as_str().unwrap_or("");
            let target = if query.is_empty() {
                e["path"].as_str().unwrap_or("").to_string()
            } else {
                format!("{}?{query}", e["path"].as_str().unwrap_or(""))
            };
            let mut m = Map::new();
            m.insert(
                "request".into(),
                json!(format!("{} {target}", e["method"].as_str().unwrap_or(""))),
            );
            m.insert("status".into(), e["status"].clone());
            m.insert("step".into(), json!(step));
            m.insert("at".into(), e["at"].clone());
            if e["method"] != "GET" && !e["request_body"].is_null() {
                m.insert("body".into(), e["request_body"].clone());
            }
            self.rows.push(Value::Object(m));
        }
        Ok(())
    }
}

/// The view expectations query: the outcome (golden form, every section) plus `psa`, the PSA
/// side in the neutral vocabulary.
async fn capture(
    admin: &Admin,
    connector: &mut dyn Connector,
    origin: &str,
    case: &Scenario,
    psa: Personality,
    actions: &[Value],
    requests: &Requests,
) -> Result<Value, String> {
    let native = admin
        .call(reqwest::Method::GET, "/snapshot?tables=entities", None)
        .await?;
    let neutral = admin.neutral().await?;
    let docs = connector.snapshot().await?;
    let log = connector.log().await?;
    let mut view = json!({
        "case": case.name,
        "psa": psa.key(),
        "rules": case.rules,
        "actions": actions,
        "psa_state": native["tables"],
        "docs": docs,
        "requests": requests.rows,
        "log": log,
    });
    golden::normalise(&mut view, origin);
    // `psa` names the PSA in the golden; in the view it is the neutral PSA side.
    view["psa"] = neutral;
    Ok(view)
}
