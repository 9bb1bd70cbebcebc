//! The shared HTTP layer under every dialect client: one reqwest client (loopback only), one
//! retry policy and ledger, waits on the virtual clock shared with the PSA. It knows nothing of
//! clients or records, so the client trait ([`crate::psa`]) and the clients both build on it.

mod transport;

use crate::error::PsaError;
use reqwest::{Method, RequestBuilder};
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// What came back from one HTTP exchange that reached the server.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON (`Value::Null` when empty or not JSON).
    pub body: Value,
    pub text: String,
    /// A write sent once (a create) answered with a retryable 5xx: it may be stored all the same.
    pub maybe_landed: bool,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// How the shared HTTP layer retries (an engine setting: [`crate::Engine::with_retry_policy`]).
/// Waits are virtual: never slept, they are added to a counter and move the clock shared with
/// the PSA when there is one ([`Http::share_clock`]; docs/decisions.md, Q9, Q26).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 turns retrying off.
    pub max_retries: u32,
    /// The first backoff wait, doubled on every further retry.
    pub base_delay_secs: u64,
    /// The longest backoff wait.
    pub max_delay_secs: u64,
    /// The longest Retry-After honoured; a PSA asking for longer is not retried now.
    pub max_retry_after_secs: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            base_delay_secs: 1,
            max_delay_secs: 30,
            max_retry_after_secs: 3600,
        }
    }
}

impl RetryPolicy {
    /// The backoff before retry `n` (1-based): base, 2 x base, 4 x base, ... up to the cap.
    pub fn backoff_secs(&self, n: u32) -> u64 {
        let factor = 1u64.checked_shl(n.saturating_sub(1)).unwrap_or(u64::MAX);
        self.base_delay_secs
            .saturating_mul(factor)
            .min(self.max_delay_secs)
    }
}

/// Deliberate transport defects, switched on by the engine's test-only `Defect`s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportDefects {
    /// Repeat a create whose outcome is unknown without looking for it first.
    pub blind_create_retry: bool,
    /// Use the backoff schedule even when the PSA sent Retry-After.
    pub ignore_retry_after: bool,
    /// Send a derived ConnectWise Company ID without asking whether it is taken.
    pub unchecked_company_ids: bool,
    /// Count waits without moving the shared clock.
    pub waits_off_clock: bool,
    /// A create is retried even when the look-up for it failed (breaks R43).
    pub retry_after_failed_lookup: bool,
    /// The BMS family's location list reads the account pages again instead of using the ones
    /// the organization list just read.
    pub reread_account_pages: bool,
}

/// What the retry layer did, shared by every clone of one [`Http`] (client and engine).
#[derive(Debug, Default)]
struct Ledger {
    policy: RetryPolicy,
    defects: TransportDefects,
    /// Virtual seconds spent waiting before retries.
    waited_secs: u64,
    /// One line per retry decision, drained into the sync log by the engine.
    notes: Vec<String>,
    /// Request line and cause of the last attempt that failed, for the clients' `write_checked`.
    last_failure: (String, String),
    /// Where the virtual clock shared with the PSA is moved (the mock's `/__admin/clock`).
    clock: Option<String>,
}

/// Why one attempt did not give a usable reply, and whether a repeat is safe.
struct Failure {
    cause: String,
    retry_after: Option<u64>,
    /// A 5xx reply's request may have landed; a transport failure's error says it (Uncertain).
    maybe_landed: bool,
    error: PsaError,
}

/// Shared HTTP plumbing: a reqwest client with no proxy (loopback only), the one retry layer
/// every dialect uses, and error mapping. Dialect clients classify final non-2xx replies.
///
/// Retried: 429 (after Retry-After when given), 500/502/503/504 (not Autotask's business 500)
/// and transport failures. Reads and idempotent writes go through [`Http::send`], which retries
/// by itself; creates (and other writes that must not be repeated blindly) go through
/// [`Http::send_once`] inside the clients' `write_checked`, which looks for the result before repeating a
/// write that may have landed.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    /// Autotask answers business and validation errors with 500: those are not retried.
    business_500: bool,
    ledger: Arc<Mutex<Ledger>>,
}

impl Default for Http {
    fn default() -> Self {
        Http {
            client: reqwest::Client::builder()
                .no_proxy()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .expect("reqwest client"),
            business_500: false,
            ledger: Arc::default(),
        }
    }
}

impl Http {
    /// A handle on the same client and ledger for a dialect that uses 500 for business errors.
    pub fn with_business_500(mut self) -> Self {
        self.business_500 = true;
        self
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        // A poisoned ledger only means a panic elsewhere; its counters are still usable.
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_policy(&self, policy: RetryPolicy) {
        self.ledger().policy = policy;
    }

    pub fn set_defects(&self, defects: TransportDefects) {
        self.ledger().defects = defects;
    }

    pub fn defects(&self) -> TransportDefects {
        self.ledger().defects
    }

    /// Waits move this clock (a mock's `{origin}/__admin/clock`, which takes `{"advance": s}`),
    /// so a PSA's quota window passes while the sync waits for it, in no real time.
    pub fn share_clock(&self, url: String) {
        self.ledger().clock = Some(url);
    }

    /// Waits `secs` virtual seconds: counted, and the shared clock moved. A clock that cannot
    /// be moved is noted; the retry goes ahead (the PSA will answer it as it must).
    pub(crate) async fn wait(&self, secs: u64) {
        let clock = {
            let mut l = self.ledger();
            l.waited_secs = l.waited_secs.saturating_add(secs);
            l.clock.clone().filter(|_| !l.defects.waits_off_clock)
        };
        let Some(url) = clock.filter(|_| secs > 0) else {
            return;
        };
        let moved = self
            .client
            .post(&url)
            .json(&serde_json::json!({ "advance": secs }))
            .send()
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| match r.status().is_success() {
                true => Ok(()),
                false => Err(format!("HTTP {}", r.status())),
            });
        if let Err(e) = moved {
            self.note(format!(
                "the shared clock could not be moved by {secs}s: {e}"
            ));
        }
    }

    /// Request line and cause of the last attempt that failed (for the clients' checked writes).
    pub(crate) fn last_failure(&self) -> (String, String) {
        self.ledger().last_failure.clone()
    }

    /// Virtual seconds waited before retries so far.
    pub fn waited_secs(&self) -> u64 {
        self.ledger().waited_secs
    }

    /// The retry notes since the last call, oldest first.
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut self.ledger().notes)
    }

    pub(crate) fn note(&self, line: String) {
        self.ledger().notes.push(line);
    }

    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        self.client.request(method, url)
    }

    /// Sends a read or an idempotent write, retrying 429, retryable 5xx and transport failures
    /// within the policy. Once retries are spent: a rate limit is `RateLimited`, a 5xx comes back
    /// as a reply for the dialect to read, a transport failure is `Transient`.
    pub async fn send(&self, req: RequestBuilder) -> Result<Reply, PsaError> {
        let line = request_line(&req);
        let mut retry = 0;
        loop {
            // A request whose body cannot be cloned is sent once.
            let Some(attempt) = req.try_clone() else {
                return self.exchange(req, &line).await.map_err(|f| f.error);
            };
            let (failure, reply) = match self.exchange(attempt, &line).await {
                Ok(reply) => match self.retryable(&reply) {
                    None => return Ok(reply),
                    Some(f) => (f, Some(reply)),
                },
                Err(f) => (f, None),
            };
            retry += 1;
            if let Some(wait) = self.pause(&line, &failure.cause, retry, failure.retry_after) {
                self.wait(wait).await;
                continue;
            }
            return match (failure.error, reply) {
                (e @ PsaError::RateLimited { .. }, _) => Err(e),
                (_, Some(reply)) => Ok(reply),
                // Repeating it was safe, so its outcome does not matter: it failed.
                (PsaError::Uncertain(m), None) => Err(PsaError::Transient(m)),
                (e, None) => Err(e),
            };
        }
    }

    /// Sends a write once (see the clients' `write_checked`). A refused connection or a 429 did not land (`Transient`,
    /// `RateLimited`); a retryable 5xx comes back as a reply marked `maybe_landed` (the dialect's
    /// the clients' `reject` makes it `Uncertain`), a connection lost after sending is `Uncertain`.
    pub async fn send_once(&self, req: RequestBuilder) -> Result<Reply, PsaError> {
        let line = request_line(&req);
        let result = match self.exchange(req, &line).await {
            Ok(mut reply) => match self.retryable(&reply) {
                None => return Ok(reply),
                Some(f) if f.maybe_landed => {
                    reply.maybe_landed = true;
                    self.ledger().last_failure = (line, f.cause);
                    return Ok(reply);
                }
                Some(f) => (f.cause, Err(f.error)),
            },
            Err(f) => (f.cause, Err(f.error)),
        };
        self.ledger().last_failure = (line, result.0);
        result.1
    }

    /// One exchange; transport failures become a [`Failure`].
    async fn exchange(&self, req: RequestBuilder, line: &str) -> Result<Reply, Failure> {
        let resp = req.send().await.map_err(|e| {
            let refused = e.is_connect();
            let cause = if refused {
                "connection refused"
            } else if e.is_timeout() {
                "timed out"
            } else {
                "connection dropped"
            };
            let message = format!("{line}: {cause}: {e}");
            Failure {
                cause: cause.to_string(),
                retry_after: None,
                maybe_landed: false,
                error: if refused {
                    PsaError::Transient(message)
                } else {
                    PsaError::Uncertain(message)
                },
            }
        })?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.map_err(|e| Failure {
            cause: "connection dropped".into(),
            retry_after: None,
            maybe_landed: false,
            error: PsaError::Uncertain(format!("{line}: connection dropped while reading: {e}")),
        })?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            headers,
            body,
            text,
            maybe_landed: false,
        })
    }

    /// Whether a reply is worth repeating: 429, 500 (unless a business error), 502-504.
    fn retryable(&self, reply: &Reply) -> Option<Failure> {
        let retry_after = reply
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok());
        // Autotask's thread limit comes as a 500 business error, but it is a rate limit.
        let thread_limit =
            self.business_500 && reply.status == 500 && reply.text.contains("thread threshold");
        match reply.status {
            429 => Some(Failure {
                cause: "429".into(),
                retry_after,
                maybe_landed: false,
                error: PsaError::RateLimited { retry_after },
            }),
            500 if thread_limit => Some(Failure {
                cause: "500 (thread limit)".into(),
                retry_after,
                maybe_landed: false,
                error: PsaError::RateLimited { retry_after },
            }),
            500 if self.business_500 => None,
            500 | 502 | 503 | 504 => Some(Failure {
                cause: reply.status.to_string(),
                retry_after,
                maybe_landed: true,
                error: PsaError::Transient(format!("{}: {}", reply.status, reply.text)),
            }),
            _ => None,
        }
    }

    /// Decides retry `n` of a failed request: notes it and returns the wait before it, or notes
    /// why not and returns `None`. Honours Retry-After up to the policy's limit.
    pub(crate) fn pause(
        &self,
        line: &str,
        cause: &str,
        n: u32,
        retry_after: Option<u64>,
    ) -> Option<u64> {
        let mut l = self.ledger();
        let p = l.policy.clone();
        let hint = retry_after.filter(|_| !l.defects.ignore_retry_after);
        if n > p.max_retries {
            let tries = p.max_retries;
            l.notes
                .push(format!("{line}: {cause}, giving up after {tries} retries"));
            return None;
        }
        if let Some(secs) = hint.filter(|s| *s > p.max_retry_after_secs) {
            let limit = p.max_retry_after_secs;
            l.notes.push(format!(
                "{line}: {cause}, Retry-After {secs}s is beyond the {limit}s limit: not retried now"
            ));
            return None;
        }
        let wait = hint.unwrap_or_else(|| p.backoff_secs(n));
        l.notes.push(format!(
            "{line}: {cause}, retry {n} of {} after {wait}s",
            p.max_retries
        ));
        Some(wait)
    }
}

/// `METHOD /path` of a request (no origin, no query): what the sync log names.
fn request_line(req: &RequestBuilder) -> String {
    req.try_clone()
        .and_then(|r| r.build().ok())
        .map(|r| format!("{} {}", r.method(), r.url().path()))
        .unwrap_or_else(|| "request".to_string())
}
