//! One client per wire dialect, all behind [`PsaClient`](crate::psa::PsaClient).

pub mod autotask;
pub mod bms;
pub mod connectwise;

// The transport the clients send through, here too for callers that build a client.
pub use crate::http::{Http, Reply, RetryPolicy, TransportDefects};
use crate::psa::{Connection, Fields, Kind, PsaClient, PsaError};
use psa_core::Dialect;
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;

/// The client for a connection's personality, sending through `http` (whose retry ledger the
/// caller keeps a handle on).
pub fn client_for(conn: Connection, http: Http) -> Box<dyn PsaClient> {
    match conn.personality.dialect() {
        Dialect::ConnectWise => Box::new(connectwise::ConnectWiseClient::with_http(conn, http)),
        Dialect::Autotask => Box::new(autotask::AutotaskClient::with_http(conn, http)),
        Dialect::BmsV2 => Box::new(bms::BmsClient::with_http(conn, http)),
    }
}

/// What a raw listing reads: one of the synced kinds, or tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RawKind {
    Record(Kind),
    Ticket,
}

/// Records as the wire returns them, every member, through the same paths, paging and
/// retry layer as [`PsaClient::list`] (and with its scope: [`PsaClient::scope_children`]).
/// Read-only; `mock-psa capture` uses it to keep the members the canonical maps do not read.
#[async_trait::async_trait]
pub trait RawListing: PsaClient {
    async fn list_raw(&mut self, kind: RawKind) -> Result<Vec<Map<String, Value>>, PsaError>;
}

/// [`client_for`] with the raw listing.
pub fn raw_client_for(conn: Connection, http: Http) -> Box<dyn RawListing> {
    match conn.personality.dialect() {
        Dialect::ConnectWise => Box::new(connectwise::ConnectWiseClient::with_http(conn, http)),
        Dialect::Autotask => Box::new(autotask::AutotaskClient::with_http(conn, http)),
        Dialect::BmsV2 => Box::new(bms::BmsClient::with_http(conn, http)),
    }
}

/// A boxed future borrowing a client, for the closures [`write_checked`] takes.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends a write that must not be repeated blindly (a create; a BMS e-mail or phone operation)
/// with `post`, which returns what it made (an id): one refused outright (429, connection
/// refused) is repeated after the backoff; one that may have landed (5xx, connection lost) is
/// looked for with `find` first, and when it is there its result is taken (`landed` says so in
/// the log). A failed look-up stops the retries: better an error than a duplicate.
pub async fn write_checked<C, P, F>(
    client: &mut C,
    mut post: P,
    mut find: F,
    landed: &str,
) -> Result<String, PsaError>
where
    C: PsaClient + ?Sized,
    P: for<'a> FnMut(&'a mut C) -> BoxFut<'a, Result<String, PsaError>> + Send,
    F: for<'a> FnMut(&'a mut C) -> BoxFut<'a, Result<Option<String>, PsaError>> + Send,
{
    let http = client.http().clone();
    let mut retry = 0;
    loop {
        let mut err = match post(client).await {
            Ok(id) => return Ok(id),
            Err(e) if e.is_retryable() => e,
            Err(e) => return Err(e),
        };
        let (line, mut cause) = http.last_failure();
        let blind = http.defects().blind_create_retry;
        if matches!(err, PsaError::Uncertain(_)) && !blind {
            match find(client).await {
                Ok(Some(id)) => {
                    http.note(format!("{line}: {cause}, but it landed as {id}: {landed}"));
                    return Ok(id);
                }
                Ok(None) => {
                    cause.push_str(", not in the PSA");
                    // Looked for and not there: it did not land.
                    if let PsaError::Uncertain(m) = err {
                        err = PsaError::Transient(m);
                    }
                }
                Err(_) if http.defects().retry_after_failed_lookup => {}
                Err(e) => {
                    http.note(format!(
                        "{line}: {cause}, and whether it landed is unknown ({e}): not retried"
                    ));
                    return Err(err);
                }
            }
        }
        retry += 1;
        match http.pause(&line, &cause, retry, err.retry_after()) {
            Some(wait) => http.wait(wait).await,
            None => return Err(err),
        }
    }
}

/// [`write_checked`] for a record of `kind`: the look-up is [`PsaClient::find_existing`].
pub async fn create_record<C, P>(
    client: &mut C,
    kind: Kind,
    fields: &Fields,
    post: P,
) -> Result<String, PsaError>
where
    C: PsaClient + ?Sized,
    P: for<'a> FnMut(&'a mut C) -> BoxFut<'a, Result<String, PsaError>> + Send,
{
    write_checked(
        client,
        post,
        |c| {
            let fields = fields.clone();
            Box::pin(async move { c.find_existing(kind, &fields).await })
        },
        "adopted, not created again",
    )
    .await
}

/// The objects of a JSON array, moved out (a page's rows, without copying them); anything
/// else is no rows.
pub(crate) fn objects(list: Value) -> Vec<Map<String, Value>> {
    match list {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(o) => Some(o),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A non-2xx reply as an error: a create's 5xx that may have landed is `Uncertain`; other 5xx
/// are transient, except Autotask's 500, which is a business error (a rejection).
pub fn reject(reply: &Reply, message: String, business_500: bool) -> PsaError {
    if reply.maybe_landed {
        PsaError::Uncertain(format!("{}: {message}", reply.status))
    } else if reply.status >= 500 && !(business_500 && reply.status == 500) {
        PsaError::Transient(format!("{}: {message}", reply.status))
    } else {
        PsaError::Rejected {
            status: reply.status,
            message,
        }
    }
}
