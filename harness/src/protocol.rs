//! The connector protocol: JSON-RPC 2.0 over the connector's stdin and stdout, one message a
//! line. The harness calls `initialize`, then `apply` once per documentation-side step, then
//! `snapshot`, then `shutdown`; the connector answers each call, in order, before the next.
//!
//! These types are the wire format for both ends (the harness in `process.rs`, the reference
//! executable through [`serve`]) and the source of `docs/connector-protocol.schema.json`.

pub use crate::capabilities::{record_kinds_of, Capabilities, FEATURES, RECORD_KINDS};
use crate::connector::{Connector, Session};
use crate::scenario::{DocsState, Step};
use mock_psa::Personality;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

/// Bumped on incompatible changes; sent in `initialize`.
pub const PROTOCOL_VERSION: u32 = 1;

/// JSON-RPC error codes: the standard ones, and the protocol's own (-32000 and below).
pub mod codes {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    /// The connector could not perform the step (unknown record, unsupported step kind...).
    pub const STEP_FAILED: i64 = -32000;
    /// `apply` or `snapshot` before `initialize`, or `initialize` twice.
    pub const NOT_INITIALIZED: i64 = -32002;
}

/// The literal `"2.0"` every message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum JsonRpc {
    #[serde(rename = "2.0")]
    V2,
}

/// The PSA the connector talks to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PsaInfo {
    /// connectwise, autotask, bms, pulseway or vorex.
    pub key: String,
    /// The product name the documentation platform shows ("Kaseya BMS").
    pub name: String,
    /// The API root: origin plus the dialect's path (`/v4_6_release/apis/3.0`,
    /// `/ATServicesRest/V1.0`, `/v2`).
    pub api_url: String,
}

/// Credentials the mock accepts. Which members matter depends on the dialect.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Credentials {
    /// ConnectWise company id; BMS-family tenant.
    pub company: String,
    /// ConnectWise public key; Autotask user name; BMS-family user.
    pub user: String,
    /// ConnectWise private key; Autotask secret; BMS-family password.
    pub secret: String,
    /// Autotask integration code (ConnectWise takes any non-empty clientId header).
    pub integration_code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InitializeParams {
    pub protocol_version: u32,
    /// The case's name (for the connector's own logs).
    pub case: String,
    pub psa: PsaInfo,
    /// Where the mock PSA listens, e.g. `http://127.0.0.1:40123`.
    pub origin: String,
    pub credentials: Credentials,
    /// The mock's virtual clock (RFC 3339), the only time the case knows.
    pub clock: String,
    /// The starting documentation state, as the scenario's `docs:` section.
    pub docs: DocsState,
    /// What the harness can test.
    pub capabilities: Capabilities,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InitializeResult {
    /// The connector's name and version, shown in reports.
    pub name: String,
    #[serde(default)]
    pub version: String,
    pub capabilities: Capabilities,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ApplyParams {
    /// One scenario step, exactly as written in the scenario (as JSON).
    #[schemars(schema_with = "step_schema")]
    pub step: Step,
}

fn step_schema(_: &mut SchemaGenerator) -> Schema {
    schemars::json_schema!({
        "description": "A scenario step in its YAML form as JSON: an object with exactly one member, the action (settings, create, edit, sync, push_all, ...). See README.md, `Writing a scenario`.",
        "type": "object",
        "minProperties": 1,
        "maxProperties": 1
    })
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ApplyResult {
    /// One line for the outcome's `actions`: `ok`, `saved`, `created contact 3`, or
    /// `rejected: <why>` when the documentation platform refused the user's action.
    pub action: String,
}

/// The documentation side in the outcome format (schema only: the wire value passes through).
#[derive(JsonSchema)]
#[allow(dead_code)]
struct DocsSnapshot {
    /// The integration's settings.
    settings: Map<String, Value>,
    organizations: Vec<DocRecordSnapshot>,
    locations: Vec<DocRecordSnapshot>,
    contacts: Vec<DocRecordSnapshot>,
    configurations: Vec<DocRecordSnapshot>,
}

/// One documentation record: canonical fields (references by name: `organization`,
/// `parent`, `location`), plus these members.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct DocRecordSnapshot {
    /// The connector's own id for the record.
    id: Value,
    /// manual, api, csv, active_directory, rmm or psa.
    source: String,
    sync: SyncStateName,
    /// The PSA record's id, when linked.
    psa_id: Option<String>,
    /// "Record not yet pushed to <PSA>. To trigger a push, try updating the record."
    banner: Option<String>,
    /// Why the last push failed.
    error: Option<String>,
    #[serde(flatten)]
    fields: Map<String, Value>,
}

#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum SyncStateName {
    Synced,
    NotPushed,
    Local,
    Orphaned,
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SnapshotResult {
    #[schemars(with = "DocsSnapshot")]
    pub docs: Value,
    /// The sync log so far, one line an entry.
    pub log: Vec<String>,
}

/// A call from the harness. `snapshot` and `shutdown` carry no params.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", content = "params", rename_all = "snake_case")]
pub enum Call {
    Initialize(Box<InitializeParams>),
    Apply(ApplyParams),
    Snapshot,
    Shutdown,
}

impl Call {
    pub fn method(&self) -> &'static str {
        match self {
            Call::Initialize(_) => "initialize",
            Call::Apply(_) => "apply",
            Call::Snapshot => "snapshot",
            Call::Shutdown => "shutdown",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Request {
    pub jsonrpc: JsonRpc,
    /// Issued by the harness, counting from 1.
    pub id: u64,
    #[serde(flatten)]
    pub call: Call,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// The result of any method (schema only).
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum AnyResult {
    Initialize(InitializeResult),
    Apply(ApplyResult),
    Snapshot(SnapshotResult),
    /// `shutdown`.
    Shutdown(()),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Result(#[schemars(with = "AnyResult")] Value),
    Error(RpcError),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Response {
    pub jsonrpc: JsonRpc,
    /// The id of the request answered; null only when the request could not be read.
    #[schemars(required)]
    pub id: Option<u64>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// Any message of the protocol, for the schema.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code, clippy::large_enum_variant)]
enum Message {
    Request(Request),
    Response(Response),
}

/// The JSON Schema of every protocol message (docs/connector-protocol.schema.json).
pub fn schema() -> Value {
    let generated = schemars::schema_for!(Message).to_value();
    let mut out = Map::new();
    if let Some(v) = generated.get("$schema") {
        out.insert("$schema".into(), v.clone());
    }
    out.insert(
        "title".into(),
        json!("PSA conformance connector protocol message"),
    );
    out.insert(
        "description".into(),
        json!("One line of the connector protocol (JSON-RPC 2.0 over stdio): a request from the harness or a response from the connector. See docs/connector-protocol.md."),
    );
    for (k, v) in generated.as_object().into_iter().flatten() {
        out.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Value::Object(out)
}

impl Response {
    pub fn result(id: Option<u64>, value: Value) -> Self {
        Response {
            jsonrpc: JsonRpc::V2,
            id,
            outcome: Outcome::Result(value),
        }
    }

    pub fn error(id: Option<u64>, code: i64, message: impl Into<String>) -> Self {
        Response {
            jsonrpc: JsonRpc::V2,
            id,
            outcome: Outcome::Error(RpcError {
                code,
                message: message.into(),
                data: None,
            }),
        }
    }
}

/// Serves the protocol on `input`/`output` with an in-process connector until `shutdown` or
/// the end of input. This is the whole of the reference executable.
pub async fn serve<R, W>(
    connector: &mut dyn Connector,
    declared: &InitializeResult,
    input: R,
    mut output: W,
) -> std::io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut lines = input.lines();
    let mut initialized = false;
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        let (reply, done) = answer(connector, declared, &mut initialized, &line).await;
        let mut text = serde_json::to_string(&reply).unwrap_or_else(|e| {
            format!(r#"{{"jsonrpc":"2.0","id":null,"error":{{"code":-32603,"message":"cannot encode the answer: {e}"}}}}"#)
        });
        text.push('\n');
        output.write_all(text.as_bytes()).await?;
        output.flush().await?;
        if done {
            break;
        }
    }
    Ok(())
}

/// One request's answer, and whether it ends the session.
async fn answer(
    connector: &mut dyn Connector,
    declared: &InitializeResult,
    initialized: &mut bool,
    line: &str,
) -> (Response, bool) {
    let value: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            return (
                Response::error(None, codes::PARSE_ERROR, e.to_string()),
                false,
            )
        }
    };
    let id = value.get("id").and_then(Value::as_u64);
    let request: Request = match serde_json::from_value(value) {
        Ok(r) => r,
        Err(e) => {
            let code = if e.to_string().contains("unknown variant") {
                codes::METHOD_NOT_FOUND
            } else {
                codes::INVALID_REQUEST
            };
            return (Response::error(id, code, e.to_string()), false);
        }
    };
    let id = Some(request.id);
    let fail = |code, msg: String| (Response::error(id, code, msg), false);
    match request.call {
        Call::Initialize(p) => {
            let p = *p;
            if *initialized {
                return fail(codes::NOT_INITIALIZED, "already initialized".into());
            }
            let psa = match p.psa.key.parse::<Personality>() {
                Ok(psa) => psa,
                Err(e) => return fail(codes::INVALID_PARAMS, e),
            };
            let session = Session {
                psa,
                origin: p.origin,
                credentials: mock_psa::Credentials {
                    company: p.credentials.company,
                    user: p.credentials.user,
                    secret: p.credentials.secret,
                    integration_code: p.credentials.integration_code,
                },
                clock: p.clock,
                case: p.case,
            };
            match connector.initialize(&session, &p.docs).await {
                Ok(()) => {
                    *initialized = true;
                    let result = serde_json::to_value(declared).unwrap_or(Value::Null);
                    (Response::result(id, result), false)
                }
                Err(e) => fail(codes::INVALID_PARAMS, e),
            }
        }
        _ if !*initialized && request.call.method() != "shutdown" => fail(
            codes::NOT_INITIALIZED,
            format!("`{}` before `initialize`", request.call.method()),
        ),
        Call::Apply(p) => match connector.apply(&p.step).await {
            Ok(action) => (Response::result(id, json!({ "action": action })), false),
            Err(e) => fail(codes::STEP_FAILED, e),
        },
        Call::Snapshot => {
            let docs = connector.snapshot().await;
            let log = connector.log().await;
            match (docs, log) {
                (Ok(docs), Ok(log)) => (
                    Response::result(id, json!({"docs": docs, "log": log})),
                    false,
                ),
                (Err(e), _) | (_, Err(e)) => fail(codes::STEP_FAILED, e),
            }
        }
        Call::Shutdown => (Response::result(id, Value::Null), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::ReferenceConnector;
    use crate::scenario::Scenario;

    async fn session(input: &str) -> Vec<Value> {
        let declared = InitializeResult {
            name: "test".into(),
            version: String::new(),
            capabilities: Capabilities::everything(),
        };
        let mut out = Vec::new();
        let mut connector = ReferenceConnector::new(Vec::new());
        serve(&mut connector, &declared, input.as_bytes(), &mut out)
            .await
            .expect("serve");
        String::from_utf8(out)
            .expect("utf-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("each answer is one JSON line"))
            .collect()
    }

    #[tokio::test]
    async fn bad_requests_get_json_rpc_errors_and_the_session_goes_on() {
        let answers = session(concat!(
            "this is not json\n",
            "\n",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"teleport\"}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"snapshot\"}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"apply\",\"params\":{}}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"shutdown\"}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"snapshot\"}\n",
        ))
        .await;
        let codes: Vec<(Value, Value)> = answers
            .iter()
            .map(|a| (a["id"].clone(), a["error"]["code"].clone()))
            .collect();
        assert_eq!(
            codes,
            vec![
                (Value::Null, json!(codes::PARSE_ERROR)),
                (json!(1), json!(codes::METHOD_NOT_FOUND)),
                (json!(2), json!(codes::NOT_INITIALIZED)),
                (json!(3), json!(codes::INVALID_REQUEST)),
                (json!(4), Value::Null),
            ],
            "{answers:?}"
        );
        assert_eq!(answers[4]["result"], Value::Null);
    }

    #[test]
    fn record_kinds_come_from_both_sides_and_every_step() {
        let case = Scenario::parse(
            "psas: all\npsa:\n  companies: [{name: A, type: Customer, status: Active}]\ndocs:\n  contacts: [{organization: A, first_name: B}]\nsteps:\n  - psa_create: {kind: configurations, set: {company: A, name: X}}\n  - edit: {kind: location, record: HQ, set: {city: Y}}\n",
            std::path::Path::new("t.yaml"),
        )
        .expect("case");
        let kinds: Vec<&str> = record_kinds_of(&case).into_iter().collect();
        assert_eq!(
            kinds,
            ["configuration", "contact", "location", "organization"]
        );
        let caps = Capabilities {
            psas: vec!["connectwise".into()],
            rule_groups: vec!["pull".into()],
            record_kinds: Some(vec!["organization".into(), "contact".into()]),
            features: vec![],
        };
        let why = caps
            .not_applicable(&case, Personality::Autotask, None)
            .expect("not applicable");
        assert_eq!(
            why,
            "connector does not declare PSA autotask; record kind(s) configuration, location"
        );
        let typo = Capabilities {
            psas: vec!["conectwise".into()],
            rule_groups: vec!["pul".into()],
            record_kinds: None,
            features: vec!["retry".into()],
        };
        assert_eq!(
            typo.unknown_names(),
            ["PSA `conectwise`", "rule group `pul`", "feature `retry`"]
        );
    }
}
