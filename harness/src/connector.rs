//! The connector under test, behind one seam: the harness hands it documentation-side steps and
//! reads back its state. The reference sync runs in-process through this trait.

use crate::scenario::{DocsState, RecordAction, Step};
use mock_psa::{Credentials, Personality};
use reference_sync::{Connection, Defect, Engine, Kind, Source};
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
    fn capabilities(&self) -> Option<&crate::protocol::Capabilities> {
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

pub fn parse_kind(s: &str) -> Result<Kind, String> {
    serde_json::from_value(Value::String(s.to_string()))
        .map_err(|_| format!("unknown record kind `{s}`"))
}

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
        let mut engine = Engine::new(conn, settings).with_defects(self.defects.clone());
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
            Step::Sync(_) => {
                engine.full_sync().await;
                Ok("ok".to_string())
            }
            Step::PushAll(_) => engine.push_all().await.map(|_| "ok".to_string()),
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
