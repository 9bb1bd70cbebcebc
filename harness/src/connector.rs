//! The connector under test, behind one seam: the harness hands it documentation-side steps and
//! reads back its state. The reference sync runs in-process through this trait.

use crate::scenario::{DocsState, RecordAction, RecordRef, Step};
use mock_psa::{Credentials, Personality};
use reference_sync::{Connection, Defect, Engine, Hold, ItemKind, Kind, Selector, Source};
use serde_json::{Map, Value};

/// What the connector is told when a case starts.
#[derive(Debug, Clone)]
pub struct Session {
    pub psa: Personality,
    pub origin: String,
    pub credentials: Credentials,
    /// The mock's virtual clock when the case starts (RFC 3339).
    pub clock: String,
    /// The case's name, for a connector's own logs.
    pub case: String,
}

#[async_trait::async_trait]
pub trait Connector: Send {
    /// Starts a case: the PSA, where it is, and the starting documentation state.
    async fn initialize(&mut self, session: &Session, docs: &DocsState) -> Result<(), String>;
    /// Performs one documentation-side step; `Ok` carries a one-line result for the outcome.
    async fn apply(&mut self, step: &Step) -> Result<String, String>;
    /// The documentation-side state in the outcome format.
    async fn snapshot(&mut self) -> Result<Value, String>;
    /// The sync log so far.
    async fn log(&mut self) -> Result<Vec<String>, String>;
    /// What the connector declared it implements, once initialized; `None` means everything
    /// (the in-process reference).
    fn capabilities(&self) -> Option<&crate::capabilities::Capabilities> {
        None
    }
    /// Ends a case that ran to completion (the protocol's `shutdown`).
    async fn shutdown(&mut self) -> Result<(), String> {
        Ok(())
    }
    /// Stops the connector whatever state it is in, and hands back what it wrote to stderr.
    async fn close(&mut self) -> String {
        String::new()
    }
}

/// The reference sync, in-process.
pub struct ReferenceConnector {
    engine: Option<Engine>,
    defects: Vec<Defect>,
}

impl ReferenceConnector {
    pub fn new(defects: Vec<Defect>) -> Self {
        ReferenceConnector {
            engine: None,
            defects,
        }
    }

    fn engine(&mut self) -> Result<&mut Engine, String> {
        self.engine
            .as_mut()
            .ok_or_else(|| "connector not initialized".to_string())
    }
}

/// A deliberate engine defect by its snake_case name (tests of the suite's teeth).
pub fn parse_defect(s: &str) -> Result<Defect, String> {
    serde_json::from_value(Value::String(s.to_string()))
        .map_err(|_| format!("unknown defect `{s}`"))
}

pub use crate::scenario::{parse_any_kind, parse_kind};

fn parse_source(s: Option<&str>) -> Result<Source, String> {
    match s {
        None => Ok(Source::Manual),
        Some(s) => serde_json::from_value(Value::String(s.to_string())).map_err(|_| {
            format!("unknown source `{s}`: expected manual, api, csv, active_directory or rmm")
        }),
    }
}

fn fields(m: &Map<String, Value>) -> reference_sync::Fields {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn find(engine: &Engine, r: &RecordRef) -> Result<u64, String> {
    let kind = parse_kind(&r.kind)?;
    engine
        .find_by_label(kind, &r.record)
        .ok_or_else(|| format!("no {kind} `{}`", r.record))
}

#[async_trait::async_trait]
impl Connector for ReferenceConnector {
    async fn initialize(&mut self, session: &Session, docs: &DocsState) -> Result<(), String> {
        let mut settings =
            serde_json::to_value(reference_sync::Settings::default()).map_err(|e| e.to_string())?;
        for (k, v) in &docs.settings {
            settings[k] = v.clone();
        }
        let settings: reference_sync::Settings =
            serde_json::from_value(settings).map_err(|e| format!("docs.settings: {e}"))?;
        let conn = Connection {
            personality: session.psa,
            origin: session.origin.clone(),
            credentials: session.credentials.clone(),
        };
        let start = mock_psa::clock::parse_rfc3339(&session.clock)
            .ok_or_else(|| format!("session clock `{}` is not a time", session.clock))?;
        let mut engine = Engine::new(conn, settings)
            .with_defects(self.defects.clone())
            .with_clock(start)
            .with_shared_clock(format!(
                "{}/__admin/clock",
                session.origin.trim_end_matches('/')
            ));
        let groups = [
            (Kind::Organization, &docs.organizations),
            (Kind::Location, &docs.locations),
            (Kind::Contact, &docs.contacts),
            (Kind::Configuration, &docs.configurations),
        ];
        for (kind, rows) in groups {
            for (i, row) in rows.iter().enumerate() {
                let mut row = row.clone();
                let source = parse_source(row.remove("source").as_ref().and_then(Value::as_str))?;
                engine
                    .seed(kind, &fields(&row), source)
                    .map_err(|e| format!("docs.{}[{i}]: {e}", kind.plural()))?;
            }
        }
        for (kind, rows) in [
            (ItemKind::Password, &docs.passwords),
            (ItemKind::Document, &docs.documents),
        ] {
            for (i, row) in rows.iter().enumerate() {
                engine
                    .create_item(kind, &fields(row))
                    .map_err(|e| format!("docs.{}[{i}]: {e}", kind.plural()))?;
            }
        }
        self.engine = Some(engine);
        Ok(())
    }

    async fn apply(&mut self, step: &Step) -> Result<String, String> {
        let engine = self.engine()?;
        let outcome = match step {
            Step::Settings(change) => engine
                .change_settings(change)
                .await
                .map(|_| "ok".to_string()),
            Step::Create(RecordAction {
                kind, fields: f, ..
            }) if parse_any_kind(kind)?.is_err() => {
                let Err(kind) = parse_any_kind(kind)? else {
                    return Err("unreachable kind".into());
                };
                engine
                    .create_item(kind, &fields(f))
                    .map(|id| format!("created {} {id}", kind.plural()))
            }
            Step::Edit(RecordAction {
                kind,
                record,
                fields: f,
                ..
            }) if parse_any_kind(kind)?.is_err() => {
                let Err(kind) = parse_any_kind(kind)? else {
                    return Err("unreachable kind".into());
                };
                let label = record.as_deref().ok_or("edit needs `record`")?;
                let id = engine
                    .find_item(kind, label)
                    .ok_or_else(|| format!("no {} `{label}`", kind.plural()))?;
                engine
                    .edit_item(id, &fields(f))
                    .map(|_| "saved".to_string())
            }
            Step::Create(RecordAction {
                kind,
                fields: f,
                source,
                ..
            }) => {
                let kind = parse_kind(kind)?;
                let source = parse_source(source.as_deref())?;
                engine
                    .create(kind, &fields(f), source)
                    .await
                    .map(|id| format!("created {kind} {id}"))
            }
            Step::Edit(RecordAction {
                kind,
                record,
                fields: f,
                ..
            }) => {
                let kind = parse_kind(kind)?;
                let label = record.as_deref().ok_or("edit needs `record`")?;
                let id = engine
                    .find_by_label(kind, label)
                    .ok_or_else(|| format!("no {kind} `{label}`"))?;
                engine
                    .edit(id, &fields(f))
                    .await
                    .map(|_| "saved".to_string())
            }
            Step::Sync(how) if how == "manual" => engine.manual_sync().map(|_| "queued".into()),
            Step::Sync(_) => {
                engine.full_sync().await;
                Ok("ok".to_string())
            }
            Step::PushAll(_) => engine.push_all().await.map(|_| "ok".to_string()),
            Step::UpdateCredentials(change) => {
                engine.update_credentials(change).map(|_| "ok".to_string())
            }
            Step::Clock(c) => {
                let now = c
                    .get("set")
                    .and_then(Value::as_str)
                    .and_then(mock_psa::clock::parse_rfc3339)
                    .ok_or("a clock step reaches the connector as {set: time}")?;
                engine.set_clock(now);
                Ok("ok".to_string())
            }
            Step::DisableSync(r) | Step::EnableSync(r) | Step::Archive(r) | Step::Unarchive(r) => {
                let (hold, on, done) = match step {
                    Step::DisableSync(_) => (Hold::Disabled, true, "disabled"),
                    Step::EnableSync(_) => (Hold::Disabled, false, "enabled"),
                    Step::Archive(_) => (Hold::Archived, true, "archived"),
                    _ => (Hold::Archived, false, "restored"),
                };
                let id = find(engine, r)?;
                engine.set_hold(id, hold, on).map(|_| done.into())
            }
            Step::SyncNow(r) => {
                let id = find(engine, r)?;
                engine.sync_now(id).await
            }
            Step::Delete(r) => {
                let id = find(engine, r)?;
                engine.delete(id)
            }
            Step::ManageData(m) => {
                let sel = Selector {
                    kind: parse_kind(&m.kind)?,
                    type_name: m.type_name.clone(),
                    status: m.status.clone(),
                    record: m.record.clone(),
                };
                engine.manage_data(m.action, &sel)
            }
            Step::Pause(_) => engine.pause().map(|_| "paused".into()),
            Step::Resume(_) => engine.resume().await.map(|_| "resumed".into()),
            Step::RemoveIntegration(how) => engine.remove_integration(*how),
            Step::Merge(m) => {
                let org = |name: &str| {
                    engine
                        .find_by_label(Kind::Organization, name)
                        .ok_or_else(|| format!("no organization `{name}`"))
                };
                let (source, target) = (org(&m.source)?, org(&m.target)?);
                engine.merge(source, target)
            }
            Step::RunQueue(_) => engine.run_queue().await,
            other => return Err(format!("`{}` is not a connector step", other.name())),
        };
        Ok(match outcome {
            Ok(s) => s,
            Err(rejection) => format!("rejected: {rejection}"),
        })
    }

    async fn snapshot(&mut self) -> Result<Value, String> {
        Ok(self.engine()?.snapshot())
    }

    async fn log(&mut self) -> Result<Vec<String>, String> {
        Ok(self.engine()?.log().to_vec())
    }
}
