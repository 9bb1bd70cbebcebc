//! A connector under test as its own process, speaking the connector protocol on stdin and
//! stdout (see `protocol.rs` and docs/connector-protocol.md). One process serves one case.
//!
//! Every call has a deadline. Anything that breaks the protocol (a crash, a hang, a line that is
//! not JSON-RPC, an answer to another id) ends the case with a message saying which, and the
//! process is killed; a JSON-RPC error answer fails the case but leaves the process usable.

use crate::connector::{Connector, Session};
use crate::protocol::{
    ApplyResult, Call, Capabilities, Credentials, InitializeParams, InitializeResult, JsonRpc,
    Outcome, PsaInfo, Request, Response, RpcError, SnapshotResult, PROTOCOL_VERSION,
};
use crate::scenario::{DocsState, Step};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Longest line read from a connector; a snapshot of a large case is far below this.
const MAX_LINE: usize = 64 * 1024 * 1024;
/// Most stderr kept per case (the end of it, where a crash is explained).
const MAX_STDERR: usize = 64 * 1024;
/// How long a connector may take to exit after `shutdown`, and how long closing waits.
const GRACE: Duration = Duration::from_secs(2);

/// How to start the connector under test.
#[derive(Debug, Clone)]
pub struct ConnectorCommand {
    pub argv: Vec<String>,
    /// Deadline of each call (initialize, apply, snapshot, shutdown).
    pub timeout: Duration,
    /// Where to write each case's message transcript (`<case>.<psa>.jsonl`), if anywhere.
    pub transcripts: Option<PathBuf>,
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl ConnectorCommand {
    /// Splits `COMMAND ARGS` as a POSIX shell would (quotes, escapes), without running a shell.
    pub fn parse(command: &str) -> Result<Self, String> {
        let argv = shlex::split(command)
            .ok_or_else(|| format!("cannot split `{command}` into words (unbalanced quotes?)"))?;
        if argv.is_empty() {
            return Err("the connector command is empty".into());
        }
        Ok(ConnectorCommand {
            argv,
            timeout: DEFAULT_TIMEOUT,
            transcripts: None,
        })
    }
}

enum Line {
    Text(String),
    TooLong,
    Failed(String),
}

enum CallError {
    /// The connector broke the protocol; it is not asked anything more.
    Protocol(String),
    /// A JSON-RPC error answer.
    Rpc(RpcError),
}

/// The tail of a byte stream, with a count of what was cut from its front.
#[derive(Default)]
struct Tail {
    bytes: Vec<u8>,
    cut: usize,
}

impl Tail {
    fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > MAX_STDERR {
            let extra = self.bytes.len() - MAX_STDERR;
            self.bytes.drain(..extra);
            self.cut += extra;
        }
    }

    fn text(&self) -> String {
        let body = String::from_utf8_lossy(&self.bytes);
        if self.cut > 0 {
            format!("[... first {} bytes cut ...]\n{body}", self.cut)
        } else {
            body.into_owned()
        }
    }
}

pub struct ProcessConnector {
    cmd: ConnectorCommand,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    stdout: Option<mpsc::Receiver<Line>>,
    tasks: Vec<JoinHandle<()>>,
    stderr: Arc<Mutex<Tail>>,
    next_id: u64,
    declared: Option<InitializeResult>,
    log: Option<Vec<String>>,
    broken: Option<String>,
    shut_down: bool,
    /// Notes from the harness about the process (exit status, kills), shown with its stderr.
    notes: Vec<String>,
    transcript: Vec<String>,
    transcript_name: String,
}

impl ProcessConnector {
    pub fn new(cmd: ConnectorCommand) -> Self {
        ProcessConnector {
            cmd,
            child: None,
            stdin: None,
            stdout: None,
            tasks: Vec::new(),
            stderr: Arc::new(Mutex::new(Tail::default())),
            next_id: 1,
            declared: None,
            log: None,
            broken: None,
            shut_down: false,
            notes: Vec::new(),
            transcript: Vec::new(),
            transcript_name: String::new(),
        }
    }

    /// What the connector declared in its `initialize` answer.
    pub fn declared(&self) -> Option<&InitializeResult> {
        self.declared.as_ref()
    }

    fn spawn(&mut self) -> Result<(), String> {
        let (program, args) = self
            .cmd
            .argv
            .split_first()
            .ok_or("the connector command is empty")?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start connector `{program}`: {e}"))?;
        self.stdin = child.stdin.take();
        let (tx, rx) = mpsc::channel(16);
        if let Some(out) = child.stdout.take() {
            self.tasks.push(tokio::spawn(read_lines(out, tx)));
        }
        if let Some(err) = child.stderr.take() {
            self.tasks
                .push(tokio::spawn(read_tail(err, self.stderr.clone())));
        }
        self.stdout = Some(rx);
        self.child = Some(child);
        Ok(())
    }

    async fn call(&mut self, call: Call) -> Result<Value, String> {
        let method = call.method();
        if let Some(b) = &self.broken {
            return Err(format!(
                "`{method}` not sent: the connector already failed ({b})"
            ));
        }
        let id = self.next_id;
        self.next_id += 1;
        let request = Request {
            jsonrpc: JsonRpc::V2,
            id,
            call,
        };
        let text = serde_json::to_string(&request)
            .map_err(|e| format!("cannot encode `{method}`: {e}"))?;
        self.transcript.push(format!("--> {text}"));
        match self.exchange(id, method, text).await {
            Ok(v) => Ok(v),
            Err(CallError::Rpc(e)) => Err(format!(
                "connector answered `{method}` with error {}: {}",
                e.code, e.message
            )),
            Err(CallError::Protocol(msg)) => {
                self.broken = Some(msg.clone());
                Err(msg)
            }
        }
    }

    async fn exchange(&mut self, id: u64, method: &str, text: String) -> Result<Value, CallError> {
        let deadline = Instant::now() + self.cmd.timeout;
        let secs = self.cmd.timeout.as_secs_f64();
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| CallError::Protocol("connector not started".into()))?;
        let write = async {
            stdin.write_all(text.as_bytes()).await?;
            stdin.write_all(b"\n").await?;
            stdin.flush().await
        };
        match tokio::time::timeout_at(deadline, write).await {
            Err(_) => {
                return Err(CallError::Protocol(format!(
                    "connector did not read the `{method}` request within {secs} s"
                )))
            }
            Ok(Err(e)) => {
                let why = self.exit_status().await;
                return Err(CallError::Protocol(format!(
                    "connector {why} before `{method}` could be sent ({e})"
                )));
            }
            Ok(Ok(())) => {}
        }
        loop {
            let rx = self
                .stdout
                .as_mut()
                .ok_or_else(|| CallError::Protocol("connector not started".into()))?;
            let line = match tokio::time::timeout_at(deadline, rx.recv()).await {
                Err(_) => {
                    return Err(CallError::Protocol(format!(
                        "connector did not answer `{method}` (id {id}) within {secs} s"
                    )))
                }
                Ok(None) => {
                    let why = self.exit_status().await;
                    return Err(CallError::Protocol(format!(
                        "connector {why} before answering `{method}` (id {id})"
                    )));
                }
                Ok(Some(Line::TooLong)) => {
                    return Err(CallError::Protocol(format!(
                        "connector wrote a line longer than {} MiB while `{method}` waited",
                        MAX_LINE / (1024 * 1024)
                    )))
                }
                Ok(Some(Line::Failed(e))) => {
                    return Err(CallError::Protocol(format!(
                        "cannot read the connector's stdout: {e}"
                    )))
                }
                Ok(Some(Line::Text(t))) => t,
            };
            if line.trim().is_empty() {
                continue;
            }
            self.transcript.push(format!("<-- {line}"));
            return read_response(&line, id, method);
        }
    }

    /// How the process ended, waiting briefly: its stdout has closed, so it is likely exiting.
    async fn exit_status(&mut self) -> String {
        let Some(child) = self.child.as_mut() else {
            return "was not running".into();
        };
        match tokio::time::timeout(GRACE, child.wait()).await {
            Ok(Ok(status)) => match status.code() {
                Some(code) => format!("exited with status {code}"),
                None => format!("was ended by a signal ({status})"),
            },
            Ok(Err(e)) => format!("could not be waited for ({e})"),
            Err(_) => "closed its stdout".into(),
        }
    }

    fn psa_info(session: &Session) -> PsaInfo {
        PsaInfo {
            key: session.psa.key().into(),
            name: session.psa.display_name().into(),
            api_url: format!("{}{}", session.origin, session.psa.api_root()),
        }
    }
}

/// Reads one response line: it must be JSON-RPC 2.0 and answer the call that is waiting.
fn read_response(line: &str, id: u64, method: &str) -> Result<Value, CallError> {
    let shown: String = line.chars().take(200).collect();
    let value: Value = serde_json::from_str(line).map_err(|e| {
        CallError::Protocol(format!(
            "connector wrote a line that is not JSON while `{method}` (id {id}) waited for its answer ({e}): `{shown}`"
        ))
    })?;
    let Some(obj) = value.as_object() else {
        return Err(CallError::Protocol(format!(
            "connector wrote JSON that is not a JSON-RPC message while `{method}` (id {id}) waited: `{shown}`"
        )));
    };
    if let Some(m) = obj.get("method") {
        return Err(CallError::Protocol(format!(
            "connector sent a request ({m}) while `{method}` (id {id}) waited; connectors only answer"
        )));
    }
    match obj.get("id") {
        Some(Value::Number(n)) if n.as_u64() == Some(id) => {}
        None | Some(Value::Null) if obj.contains_key("error") => {
            let msg = obj["error"]["message"].as_str().unwrap_or("no message");
            return Err(CallError::Protocol(format!(
                "connector could not read the `{method}` request (id {id}): {msg}"
            )));
        }
        None => {
            return Err(CallError::Protocol(format!(
                "connector's answer to `{method}` (id {id}) has no id: `{shown}`"
            )))
        }
        Some(other) => {
            return Err(CallError::Protocol(format!(
                "connector answered id {other} while `{method}` (id {id}) waited: answers must come in order, one for each request"
            )))
        }
    }
    let response: Response = serde_json::from_value(value).map_err(|e| {
        CallError::Protocol(format!(
            "connector's answer to `{method}` (id {id}) is not a JSON-RPC 2.0 response ({e}): `{shown}`"
        ))
    })?;
    match response.outcome {
        Outcome::Result(v) => Ok(v),
        Outcome::Error(e) => Err(CallError::Rpc(e)),
    }
}

/// A method's result in its own type, or a protocol failure naming the method.
fn typed<T: serde::de::DeserializeOwned>(method: &str, v: Value) -> Result<T, String> {
    serde_json::from_value(v)
        .map_err(|e| format!("connector's `{method}` result is malformed: {e}"))
}

async fn read_lines(out: impl AsyncRead + Unpin, tx: mpsc::Sender<Line>) {
    let mut reader = BufReader::new(out);
    loop {
        let mut buf = Vec::new();
        let read = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .await;
        let line = match read {
            Ok(0) => return,
            Ok(_) if buf.last() != Some(&b'\n') && buf.len() > MAX_LINE => Line::TooLong,
            Ok(_) => {
                while matches!(buf.last(), Some(b'\n' | b'\r')) {
                    buf.pop();
                }
                Line::Text(String::from_utf8_lossy(&buf).into_owned())
            }
            Err(e) => Line::Failed(e.to_string()),
        };
        let last = !matches!(line, Line::Text(_));
        if tx.send(line).await.is_err() || last {
            return;
        }
    }
}

async fn read_tail(mut err: impl AsyncRead + Unpin, tail: Arc<Mutex<Tail>>) {
    let mut chunk = vec![0u8; 8192];
    while let Ok(n) = err.read(&mut chunk).await {
        if n == 0 {
            return;
        }
        tail.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(&chunk[..n]);
    }
}

#[async_trait::async_trait]
impl Connector for ProcessConnector {
    async fn initialize(&mut self, session: &Session, docs: &DocsState) -> Result<(), String> {
        self.transcript_name = format!("{}.{}.jsonl", session.case, session.psa.key());
        self.spawn()?;
        let c = &session.credentials;
        let params = InitializeParams {
            protocol_version: PROTOCOL_VERSION,
            case: session.case.clone(),
            psa: Self::psa_info(session),
            origin: session.origin.clone(),
            credentials: Credentials {
                company: c.company.clone(),
                user: c.user.clone(),
                secret: c.secret.clone(),
                integration_code: c.integration_code.clone(),
            },
            clock: session.clock.clone(),
            docs: docs.clone(),
            capabilities: Capabilities::everything(),
        };
        let result = self.call(Call::Initialize(Box::new(params))).await?;
        let declared: InitializeResult = typed("initialize", result)?;
        let unknown = declared.capabilities.unknown_names();
        if !unknown.is_empty() {
            return Err(format!(
                "connector declared what this harness does not know: {}",
                unknown.join(", ")
            ));
        }
        self.declared = Some(declared);
        Ok(())
    }

    async fn apply(&mut self, step: &Step) -> Result<String, String> {
        let result = self
            .call(Call::Apply(crate::protocol::ApplyParams {
                step: step.clone(),
            }))
            .await?;
        Ok(typed::<ApplyResult>("apply", result)?.action)
    }

    async fn snapshot(&mut self) -> Result<Value, String> {
        let result = self.call(Call::Snapshot).await?;
        let snap: SnapshotResult = typed("snapshot", result)?;
        self.log = Some(snap.log);
        Ok(snap.docs)
    }

    async fn log(&mut self) -> Result<Vec<String>, String> {
        if self.log.is_none() {
            self.snapshot().await?;
        }
        Ok(self.log.take().unwrap_or_default())
    }

    fn capabilities(&self) -> Option<&Capabilities> {
        self.declared.as_ref().map(|d| &d.capabilities)
    }

    async fn shutdown(&mut self) -> Result<(), String> {
        self.call(Call::Shutdown).await?;
        self.shut_down = true;
        Ok(())
    }

    async fn close(&mut self) -> String {
        let Some(mut child) = self.child.take() else {
            return String::new();
        };
        // A connector that is still healthy is asked to leave; a broken one is not trusted.
        if self.broken.is_none() && !self.shut_down && self.declared.is_some() {
            let full = self.cmd.timeout;
            self.cmd.timeout = full.min(GRACE);
            let _ = self.shutdown().await;
            self.cmd.timeout = full;
        }
        drop(self.stdin.take());
        if self.broken.is_some() {
            let _ = child.start_kill();
        }
        match tokio::time::timeout(GRACE, child.wait()).await {
            Ok(Ok(status)) if !status.success() && self.broken.is_none() => {
                self.notes.push(format!("connector exited with {status}"))
            }
            Ok(_) => {}
            Err(_) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                if self.shut_down {
                    self.notes
                        .push("connector still ran 2 s after `shutdown`; killed".into());
                }
            }
        }
        // Output readers end with the process; a grandchild holding a pipe open is not awaited.
        for task in self.tasks.drain(..) {
            let abort = task.abort_handle();
            if tokio::time::timeout(GRACE, task).await.is_err() {
                abort.abort();
            }
        }
        if let Some(dir) = &self.cmd.transcripts {
            let text = self.transcript.join("\n") + "\n";
            let written = std::fs::create_dir_all(dir)
                .and_then(|_| std::fs::write(dir.join(&self.transcript_name), text));
            if let Err(e) = written {
                self.notes.push(format!("cannot write the transcript: {e}"));
            }
        }
        let mut out = self.stderr.lock().unwrap_or_else(|e| e.into_inner()).text();
        for note in &self.notes {
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("[psa-harness] {note}\n"));
        }
        out
    }
}
