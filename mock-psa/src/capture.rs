//! `mock-psa capture`: reads a live PSA's synced kinds through the reference sync's own wire
//! clients (read-only calls: connect, list, list tickets) and writes them as a seed document in
//! the neutral vocabulary, so the tenant can be replayed on a mock.
//!
//! Members the neutral vocabulary lacks are kept as native rows laid over the neutral ones
//! ([`crate::overlay`]): every record is also read as the wire returns it (the clients' raw
//! listing, same paths and paging), and compared with what a scratch mock seeded with the
//! neutral rows returns for it; what differs is written under `native: {<psa>: {<table>: ...}}`.
//!
//! Politeness: the clients' retry layer keeps virtual time (it never sleeps), which suits the
//! mock but not a live PSA. Capture turns its retries off and does its own, really waiting for
//! the Retry-After a PSA sends (or a doubling backoff), and repeats only the read that failed.

use crate::admin::{apply_seed, self_made};
use crate::dialect::{check_neutral_fields, NeutralKind};
use crate::overlay::{kind_table, stored_form};
use crate::seed::NativeRows;
use crate::seed::SeedDocument;
use crate::server::{MockServer, ServerOptions};
use psa_core::{Credentials, Personality};
use reference_sync::clients::{raw_client_for, Http, RawKind, RawListing, RetryPolicy};
use reference_sync::psa::{Connection, Kind, PsaError, PsaRecord};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What to capture and from where.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    pub personality: Personality,
    /// Server origin, e.g. `https://acme.example:443` (each client adds its API path).
    pub origin: String,
    pub credentials: Credentials,
    /// Company names to capture (with their ancestors, for the `parent` references, and what
    /// hangs off them); empty captures everything.
    pub companies: Vec<String>,
    /// PEM certificate(s) of a private CA to trust for HTTPS (e.g. `serve --tls --ca-out`).
    pub ca_pem: Option<String>,
    /// Attempts per read before giving up on a rate-limited or failing PSA.
    pub max_attempts: u32,
    /// The longest single wait, in seconds (a longer Retry-After is an error, not a nap).
    pub max_wait_secs: u64,
}

impl CaptureOptions {
    pub fn new(personality: Personality, origin: impl Into<String>) -> Self {
        CaptureOptions {
            personality,
            origin: origin.into(),
            credentials: personality.default_credentials(),
            companies: Vec::new(),
            ca_pem: None,
            max_attempts: 6,
            max_wait_secs: 300,
        }
    }
}

type Progress<'a> = &'a mut (dyn FnMut(&str) + Send);

/// Captures the tenant as a seed document; `progress` gets one line per step.
pub async fn capture(
    opts: &CaptureOptions,
    progress: Progress<'_>,
) -> anyhow::Result<SeedDocument> {
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("mock-psa-capture/", env!("CARGO_PKG_VERSION")));
    if opts.origin.starts_with("http://127.") || opts.origin.starts_with("http://localhost") {
        builder = builder.no_proxy();
    }
    if let Some(pem) = &opts.ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| anyhow::anyhow!("CA file: {e}"))?;
        anyhow::ensure!(!certs.is_empty(), "CA file: no PEM certificate in it");
        builder = builder.tls_built_in_root_certs(false);
        for c in certs {
            builder = builder.add_root_certificate(c);
        }
    }
    let http = Http::with_client(builder.build()?);
    // Retries are ours (real waits); see the module comment.
    http.set_policy(RetryPolicy {
        max_retries: 0,
        ..RetryPolicy::default()
    });
    let mut client = raw_client_for(
        Connection {
            personality: opts.personality,
            origin: opts.origin.trim_end_matches('/').to_string(),
            credentials: opts.credentials.clone(),
        },
        http,
    );
    progress(&format!(
        "capture: {} at {}",
        opts.personality.display_name(),
        opts.origin
    ));
    politely(opts, progress, "connect", &mut *client, |c| {
        Box::pin(c.connect())
    })
    .await?;

    let orgs = read(opts, progress, &mut *client, Kind::Organization).await?;
    let mut raw = BTreeMap::new();
    let org_kind = RawKind::Record(Kind::Organization);
    raw.insert(
        org_kind,
        read_raw(opts, progress, &mut *client, org_kind).await?,
    );
    let selected = select(&orgs, &opts.companies)?;
    let org_ids: Vec<String> = orgs
        .iter()
        .filter(|o| selected.contains(&o.id))
        .map(|o| o.id.clone())
        .collect();
    client.scope_children(&org_ids);
    let mut by_kind = BTreeMap::new();
    for kind in [Kind::Location, Kind::Contact, Kind::Configuration] {
        let rows = read(opts, progress, &mut *client, kind).await?;
        by_kind.insert(kind, rows);
        let k = RawKind::Record(kind);
        raw.insert(k, read_raw(opts, progress, &mut *client, k).await?);
    }
    let tickets = politely(opts, progress, "tickets", &mut *client, |c| {
        Box::pin(c.list_tickets())
    })
    .await?;
    progress(&format!("  tickets: {}", tickets.len()));
    raw.insert(
        RawKind::Ticket,
        read_raw(opts, progress, &mut *client, RawKind::Ticket).await?,
    );

    let mut seed = to_seed(&orgs, &selected, &by_kind, &tickets, progress);
    drop_self_made(opts.personality, &mut seed, progress);
    add_native(opts, &mut seed, &raw, progress).await?;
    progress(&format!(
        "captured {} companies, {} locations, {} contacts, {} configurations, {} tickets",
        seed.companies.len(),
        seed.locations.len(),
        seed.contacts.len(),
        seed.configurations.len(),
        seed.tickets.len()
    ));
    Ok(seed)
}

/// Every record of a kind as the wire returns it (every member).
async fn read_raw(
    opts: &CaptureOptions,
    progress: Progress<'_>,
    client: &mut dyn RawListing,
    kind: RawKind,
) -> anyhow::Result<Vec<Map<String, Value>>> {
    let what = match kind {
        RawKind::Record(k) => format!("{} (every member)", k.plural()),
        RawKind::Ticket => "tickets (every member)".to_string(),
    };
    politely(opts, progress, &what, client, move |c| {
        Box::pin(c.list_raw(kind))
    })
    .await
}

async fn read(
    opts: &CaptureOptions,
    progress: Progress<'_>,
    client: &mut dyn RawListing,
    kind: Kind,
) -> anyhow::Result<Vec<PsaRecord>> {
    let rows = politely(opts, progress, kind.plural(), client, move |c| {
        Box::pin(c.list(kind))
    })
    .await?;
    progress(&format!("  {}: {}", kind.plural(), rows.len()));
    Ok(rows)
}

type Read<'c, T> = Pin<Box<dyn Future<Output = Result<T, PsaError>> + Send + 'c>>;

/// Runs one read, waiting out rate limits (Retry-After when sent) and transient failures.
async fn politely<T, F>(
    opts: &CaptureOptions,
    progress: Progress<'_>,
    what: &str,
    client: &mut dyn RawListing,
    mut call: F,
) -> anyhow::Result<T>
where
    F: for<'c> FnMut(&'c mut dyn RawListing) -> Read<'c, T>,
{
    let mut attempt = 1;
    loop {
        let err = match call(&mut *client).await {
            Ok(rows) => return Ok(rows),
            Err(e) => e,
        };
        let wait = match &err {
            PsaError::RateLimited { retry_after } => {
                retry_after.unwrap_or_else(|| 1u64 << attempt.min(6))
            }
            PsaError::Transient(_) | PsaError::Uncertain(_) => 1u64 << attempt.min(6),
            _ => anyhow::bail!("{what}: {err}"),
        };
        if attempt >= opts.max_attempts {
            anyhow::bail!("{what}: {err} (gave up after {attempt} attempts)");
        }
        anyhow::ensure!(
            wait <= opts.max_wait_secs,
            "{what}: the PSA asks to wait {wait}s, more than --max-wait {}s",
            opts.max_wait_secs
        );
        progress(&format!(
            "  {what}: {err}; waiting {wait}s before attempt {}",
            attempt + 1
        ));
        tokio::time::sleep(Duration::from_secs(wait)).await;
        attempt += 1;
    }
}

/// The PSA ids of the companies to capture: the named ones and their ancestors (all when none
/// is named). An unknown name is an error, so a typo cannot capture nothing quietly.
fn select(orgs: &[PsaRecord], names: &[String]) -> anyhow::Result<BTreeSet<String>> {
    if names.is_empty() {
        return Ok(orgs.iter().map(|o| o.id.clone()).collect());
    }
    let by_id: BTreeMap<&str, &PsaRecord> = orgs.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut out = BTreeSet::new();
    for name in names {
        let found: Vec<&PsaRecord> = orgs
            .iter()
            .filter(|o| o.fields.get("name").and_then(Value::as_str) == Some(name.as_str()))
            .collect();
        anyhow::ensure!(!found.is_empty(), "no company named `{name}` in the PSA");
        for mut org in found {
            // Ancestors, so every `parent` reference resolves when seeded; a cycle stops.
            while out.insert(org.id.clone()) {
                match org
                    .fields
                    .get("parent")
                    .and_then(Value::as_str)
                    .and_then(|p| by_id.get(p))
                {
                    Some(parent) => org = parent,
                    None => break,
                }
            }
        }
    }
    Ok(out)
}

/// Canonical records to neutral seed rows: references by id become references by name,
/// PSA ids are kept (so a replay has the same ids), members the neutral vocabulary lacks are
/// dropped and named once on the progress stream.
fn to_seed(
    orgs: &[PsaRecord],
    selected: &BTreeSet<String>,
    by_kind: &BTreeMap<Kind, Vec<PsaRecord>>,
    tickets: &[PsaRecord],
    progress: Progress<'_>,
) -> SeedDocument {
    let name_of = |rows: &[PsaRecord], key: &str| -> BTreeMap<String, String> {
        rows.iter()
            .filter_map(|r| Some((r.id.clone(), r.fields.get(key)?.as_str()?.to_string())))
            .collect()
    };
    let org_names = name_of(orgs, "name");
    let locations = by_kind.get(&Kind::Location).map_or(&[][..], Vec::as_slice);
    let location_names = name_of(locations, "name");
    let mut dropped: BTreeSet<String> = BTreeSet::new();
    let mut convert = |kind: NeutralKind, r: &PsaRecord| -> Option<Map<String, Value>> {
        let mut out = Map::new();
        if let Ok(id) = r.id.parse::<i64>() {
            out.insert("id".into(), Value::from(id));
        }
        // An empty member (null) is what a seed leaves out.
        for (k, v) in r.fields.iter().filter(|(_, v)| !v.is_null()) {
            let (key, value) = match k.as_str() {
                "org" => ("company", org_names.get(v.as_str()?)?.clone().into()),
                "parent" => match v.as_str().and_then(|p| org_names.get(p)) {
                    Some(name) => ("parent", name.clone().into()),
                    None => continue,
                },
                "location" => match v.as_str().and_then(|l| location_names.get(l)) {
                    Some(name) => ("location", name.clone().into()),
                    None => continue,
                },
                other => (other, v.clone()),
            };
            out.insert(key.to_string(), value);
        }
        // What the neutral vocabulary cannot carry (ticket numbers and dates are the PSA's).
        let probe = out.clone();
        for k in probe.keys() {
            let mut one = Map::new();
            one.insert(k.clone(), Value::Null);
            if check_neutral_fields(kind, &one).is_err() {
                out.remove(k);
                dropped.insert(format!("{}.{k}", kind.singular()));
            }
        }
        Some(out)
    };
    let keep = |r: &&PsaRecord| {
        r.fields
            .get("org")
            .and_then(Value::as_str)
            .is_some_and(|o| selected.contains(o))
    };
    let mut seed = SeedDocument {
        companies: parents_first(orgs, selected)
            .into_iter()
            .filter_map(|r| convert(NeutralKind::Company, r))
            .collect(),
        ..SeedDocument::default()
    };
    for (kind, neutral, rows) in [
        (Kind::Location, NeutralKind::Location, &mut seed.locations),
        (Kind::Contact, NeutralKind::Contact, &mut seed.contacts),
        (
            Kind::Configuration,
            NeutralKind::Configuration,
            &mut seed.configurations,
        ),
    ] {
        let all = by_kind.get(&kind).map_or(&[][..], Vec::as_slice);
        *rows = all
            .iter()
            .filter(keep)
            .filter_map(|r| convert(neutral, r))
            .collect();
    }
    let mut kept: Vec<&PsaRecord> = tickets.iter().filter(keep).collect();
    kept.sort_by_key(|t| t.id.parse::<i64>().unwrap_or(i64::MAX));
    // Tickets are opened "now" when seeded: start the clock at the earliest one captured.
    seed.clock = kept
        .iter()
        .filter_map(|t| t.fields.get("created")?.as_str())
        .filter_map(|s| psa_core::clock::parse_rfc3339(s).map(|t| (t, s)))
        .min()
        .map(|(_, s)| Value::String(s.to_string()));
    seed.tickets = kept
        .into_iter()
        .filter_map(|r| convert(NeutralKind::Ticket, r))
        .collect();
    if !dropped.is_empty() {
        let list: Vec<String> = dropped.into_iter().collect();
        progress(&format!(
            "  not in the neutral vocabulary (kept as native members): {}",
            list.join(", ")
        ));
    }
    seed
}

/// Adds the native rows that carry, for every captured record, the members whose value as the
/// wire returns it differs from what the neutral rows alone make (read from a scratch mock of
/// the same personality seeded with them, on loopback): the members the neutral vocabulary
/// lacks, and dates and numbers the PSA issued.
async fn add_native(
    opts: &CaptureOptions,
    seed: &mut SeedDocument,
    raw: &BTreeMap<RawKind, Vec<Map<String, Value>>>,
    progress: Progress<'_>,
) -> anyhow::Result<()> {
    let p = opts.personality;
    let scratch = MockServer::start(p, ServerOptions::default()).await?;
    let created = apply_seed(scratch.state(), seed)
        .map_err(|e| anyhow::anyhow!("the captured seed does not load on a mock: {e}"))?;
    let mut client = raw_client_for(
        Connection {
            personality: p,
            origin: scratch.origin(),
            credentials: p.default_credentials(),
        },
        Http::default(),
    );
    let scratch_err = |e: PsaError| anyhow::anyhow!("reading the scratch mock: {e}");
    client.connect().await.map_err(scratch_err)?;
    let mut mine = BTreeMap::new();
    for kind in NeutralKind::ALL {
        let k = raw_kind(kind);
        let rows = client.list_raw(k).await.map_err(scratch_err)?;
        if kind == NeutralKind::Company {
            let ids: Vec<String> = rows
                .iter()
                .filter_map(|r| Some(r.get("id")?.to_string()))
                .collect();
            client.scope_children(&ids);
        }
        mine.insert(k, rows);
    }
    // Hrefs name the server that rendered them: the scratch's are the source's.
    let (from, to) = (
        scratch.origin(),
        opts.origin.trim_end_matches('/').to_string(),
    );
    let by_id = |rows: Option<&Vec<Map<String, Value>>>| -> BTreeMap<i64, Map<String, Value>> {
        rows.into_iter()
            .flatten()
            .filter_map(|r| Some((r.get("id")?.as_i64()?, r.clone())))
            .collect()
    };
    // (PSA id, id on a mock) of every captured record, per kind in seed order.
    let mut anchors: BTreeMap<NeutralKind, Vec<(i64, i64)>> = BTreeMap::new();
    for kind in NeutralKind::ALL {
        let made = created["created"][kind.plural()].as_array();
        let pairs = seed
            .rows(kind)
            .zip(made.into_iter().flatten())
            .filter_map(|(row, made)| Some((row.get("id")?.as_i64()?, made.as_i64()?)))
            .collect();
        anchors.insert(kind, pairs);
    }
    // A tenant with gaps in its ids replays with other ids: a reference the neutral rows make
    // (to the same record under its new id) is not a difference.
    let moved: BTreeSet<(i64, i64)> = anchors
        .values()
        .flatten()
        .filter(|(a, b)| a != b)
        .copied()
        .collect();
    let mut tables = BTreeMap::new();
    for kind in NeutralKind::ALL {
        let k = raw_kind(kind);
        let (theirs, ours) = (by_id(raw.get(&k)), by_id(mine.get(&k)));
        let table = kind_table(p.dialect(), kind);
        let mut rows = Vec::new();
        for (id, made) in &anchors[&kind] {
            let (Some(source), Some(replayed)) = (theirs.get(id), ours.get(made)) else {
                continue;
            };
            let replayed = replace_strings(Value::Object(replayed.clone()), &from, &to);
            let replayed = replayed.as_object().cloned().unwrap_or_default();
            let (a, b) = (
                stored_form(p.dialect(), table, source),
                stored_form(p.dialect(), table, &replayed),
            );
            let mut overlay = Map::new();
            for (m, v) in &a {
                let same = match b.get(m) {
                    Some(w) => same_but_moved_ids(v, w, &moved),
                    None => v.is_null(),
                };
                if m != "id" && !same {
                    overlay.insert(m.clone(), v.clone());
                }
            }
            for m in b.keys().filter(|m| !a.contains_key(*m)) {
                overlay.insert(m.clone(), Value::Null);
            }
            if !overlay.is_empty() {
                overlay.insert("id".into(), Value::from(*id));
                rows.push(overlay);
            }
        }
        if !rows.is_empty() {
            progress(&format!(
                "  {}: {} with native members",
                kind.plural(),
                rows.len()
            ));
            tables.insert(table.to_string(), rows);
        }
    }
    if !moved.is_empty() {
        progress(&format!(
            "  {} records get other ids on a mock (the tenant has gaps in its ids): references by id that only native members hold keep the PSA's ids",
            moved.len()
        ));
    }
    if !tables.is_empty() {
        seed.native
            .insert(p.key().to_string(), NativeRows::Psa(tables));
    }
    Ok(())
}

/// Equal, or different only in integers that are a record's PSA id (`a`) and its id on a
/// mock (`b`).
fn same_but_moved_ids(a: &Value, b: &Value, moved: &BTreeSet<(i64, i64)>) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x != y => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => moved.contains(&(x, y)),
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(x, y)| same_but_moved_ids(x, y, moved))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_but_moved_ids(v, w, moved)))
        }
        (x, y) => x == y,
    }
}

fn raw_kind(kind: NeutralKind) -> RawKind {
    match kind {
        NeutralKind::Company => RawKind::Record(Kind::Organization),
        NeutralKind::Location => RawKind::Record(Kind::Location),
        NeutralKind::Contact => RawKind::Record(Kind::Contact),
        NeutralKind::Configuration => RawKind::Record(Kind::Configuration),
        NeutralKind::Ticket => RawKind::Ticket,
    }
}

/// `v` with `from` replaced by `to` inside every string.
pub fn replace_strings(v: Value, from: &str, to: &str) -> Value {
    match v {
        Value::String(s) if s.contains(from) => Value::String(s.replace(from, to)),
        Value::Array(a) => Value::Array(
            a.into_iter()
                .map(|v| replace_strings(v, from, to))
                .collect(),
        ),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k, replace_strings(v, from, to)))
                .collect(),
        ),
        other => other,
    }
}

/// Leaves out what a fresh mock of the personality makes by itself when the seed is applied:
/// its default records (the Autotask owner company) and what creating a company adds (the
/// Autotask "<company> - Main" location). Seeded again, they would be there twice.
fn drop_self_made(p: Personality, seed: &mut SeedDocument, progress: Progress<'_>) {
    let view_after = |companies: &[Map<String, Value>]| self_made(p, companies);
    let (defaults, with_companies) = match (view_after(&[]), view_after(&seed.companies)) {
        (Ok(d), Ok(c)) => (d, c),
        (Err(e), _) | (_, Err(e)) => {
            progress(&format!(
                "  (not checked for records a mock makes by itself: {e})"
            ));
            return;
        }
    };
    // Compared as text without id and primary flag, counted: linear in the records.
    let comparable = |r: &Map<String, Value>| {
        let sorted: BTreeMap<&String, &Value> = r
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "id" | "primary"))
            .collect();
        serde_json::to_string(&sorted).unwrap_or_default()
    };
    let mut dropped = 0;
    for kind in NeutralKind::ALL {
        let mut made: BTreeMap<String, usize> = BTreeMap::new();
        let mut count = |rows: Option<&Vec<Map<String, Value>>>| {
            for r in rows.into_iter().flatten() {
                *made.entry(comparable(r)).or_default() += 1;
            }
        };
        count(defaults.get(&kind));
        if kind != NeutralKind::Company {
            count(with_companies.get(&kind));
        }
        let rows = match kind {
            NeutralKind::Company => &mut seed.companies,
            NeutralKind::Location => &mut seed.locations,
            NeutralKind::Contact => &mut seed.contacts,
            NeutralKind::Configuration => &mut seed.configurations,
            NeutralKind::Ticket => &mut seed.tickets,
        };
        rows.retain(|r| match made.get_mut(&comparable(r)).filter(|n| **n > 0) {
            Some(n) => {
                *n -= 1;
                dropped += 1;
                false
            }
            None => true,
        });
    }
    if dropped > 0 {
        progress(&format!(
            "  left out {dropped} records a {} mock makes by itself",
            p.display_name()
        ));
    }
}

/// The selected companies in PSA id order (a replay issues ids in the order it creates), each
/// parent moved before its first child so every `parent` name exists when it is needed.
fn parents_first<'a>(orgs: &'a [PsaRecord], selected: &BTreeSet<String>) -> Vec<&'a PsaRecord> {
    let by_id: BTreeMap<&str, &PsaRecord> = orgs.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut ordered: Vec<&PsaRecord> = orgs.iter().filter(|o| selected.contains(&o.id)).collect();
    ordered.sort_by_key(|o| (o.id.parse::<i64>().unwrap_or(i64::MAX), o.id.clone()));
    let mut done = BTreeSet::new();
    let mut out = Vec::with_capacity(ordered.len());
    for org in ordered {
        // The chain of not-yet-emitted ancestors, emitted root first (a cycle stops).
        let mut chain = Vec::new();
        let mut at = Some(org);
        while let Some(o) = at.filter(|o| selected.contains(&o.id) && !done.contains(&o.id)) {
            if chain.iter().any(|c: &&PsaRecord| c.id == o.id) {
                break;
            }
            chain.push(o);
            at = o
                .fields
                .get("parent")
                .and_then(Value::as_str)
                .and_then(|p| by_id.get(p).copied());
        }
        for o in chain.into_iter().rev() {
            done.insert(o.id.clone());
            out.push(o);
        }
    }
    out
}
