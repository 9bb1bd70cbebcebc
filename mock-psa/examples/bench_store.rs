//! Benchmark of the in-memory store behind the ConnectWise dialect.
//!
//! Fills `companies` with 1k, 10k and 100k records straight into the store, then times list
//! requests over real HTTP: the first page, the last page, a 1000-row page, a filtered list
//! (a full scan, expected to grow with the table) and a forward-only page near the end.
//! The figures show that an unfiltered page costs time in proportion to the page, not the
//! table. Prints figures only; it asserts nothing about speed.
//!
//! Run with `cargo run --release -p mock-psa --example bench_store`.

use base64::Engine;
use mock_psa::{MockServer, Personality, ServerOptions};
use serde_json::{Map, Value};
use std::time::{Duration, Instant};

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
const REPEATS: usize = 50;
const TABLE: &str = "companies";

/// One company as the ConnectWise dialect stores it.
fn company(i: usize) -> Map<String, Value> {
    let mut status = Map::new();
    status.insert("id".into(), Value::from(1));
    let mut kind = Map::new();
    kind.insert("id".into(), Value::from(1));
    let mut r = Map::new();
    r.insert("identifier".into(), Value::from(format!("CO{i:06}")));
    r.insert("name".into(), Value::from(format!("Company {i:06}")));
    r.insert("status".into(), Value::Object(status));
    r.insert("types".into(), Value::Array(vec![Value::Object(kind)]));
    r
}

/// Resident set size of this process in MiB, from `/proc/self/status` (0 when unavailable).
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn median_micros(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    let n = samples.len();
    let mid = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2
    };
    mid.as_secs_f64() * 1e6
}

/// Times `REPEATS` GETs of `url` (after one warm-up) and returns the median in microseconds
/// together with the number of rows in the last response.
async fn time_get(
    client: &reqwest::Client,
    url: &str,
    forward_only: bool,
) -> anyhow::Result<(f64, usize)> {
    let send = || {
        let mut req = client.get(url);
        if forward_only {
            req = req.header("pagination-type", "forward-only");
        }
        req.send()
    };
    let check = |status: reqwest::StatusCode, body: &[u8]| -> anyhow::Result<usize> {
        anyhow::ensure!(
            status.is_success(),
            "GET {url}: {status}: {}",
            String::from_utf8_lossy(body)
        );
        let v: Value = serde_json::from_slice(body)?;
        v.as_array()
            .map(Vec::len)
            .ok_or_else(|| anyhow::anyhow!("GET {url}: body is not an array"))
    };
    let warm = send().await?;
    let status = warm.status();
    let body = warm.bytes().await?;
    let rows = check(status, &body)?;
    let mut samples = Vec::with_capacity(REPEATS);
    for _ in 0..REPEATS {
        let start = Instant::now();
        let resp = send().await?;
        let status = resp.status();
        let body = resp.bytes().await?;
        samples.push(start.elapsed());
        anyhow::ensure!(!body.is_empty(), "GET {url}: {status}: empty body");
        anyhow::ensure!(status.is_success(), "GET {url}: {status}");
    }
    Ok((median_micros(samples), rows))
}

struct Row {
    size: usize,
    insert_ms: f64,
    rss: f64,
    first: f64,
    last: f64,
    big: f64,
    filtered: f64,
    forward: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let server = MockServer::start(Personality::Connectwise, ServerOptions::default()).await?;
    let api = server.api_url();

    let auth = base64::engine::general_purpose::STANDARD.encode("acme+public:private");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Basic {auth}"))?,
    );
    headers.insert(
        "clientId",
        reqwest::header::HeaderValue::from_static("bench"),
    );
    let client = reqwest::Client::builder()
        .no_proxy()
        .default_headers(headers)
        .build()?;

    println!("mock-psa store bench: ConnectWise personality at {api}");
    println!("median of {REPEATS} GETs per figure, over loopback HTTP, release build expected");
    println!();

    let mut table = Vec::new();
    for &n in &SIZES {
        mock_psa::admin::reset_world(server.state());

        let records: Vec<Map<String, Value>> = (1..=n).map(company).collect();
        let start = Instant::now();
        let (first_id, last_id) = {
            let mut world = server.state().world();
            let mut first_id = None;
            let mut last_id = 0;
            for r in records {
                let id = world.store.insert(TABLE, r);
                first_id.get_or_insert(id);
                last_id = id;
            }
            (first_id.unwrap_or(0), last_id)
        };
        let insert_ms = start.elapsed().as_secs_f64() * 1e3;
        let rss = rss_mib();
        let stored = server
            .state()
            .world()
            .store
            .table(TABLE)
            .map(|t| t.len())
            .unwrap_or(0);
        anyhow::ensure!(stored == n, "expected {n} rows, store holds {stored}");

        let list = format!("{api}/company/companies");
        let last_page = n.div_ceil(25);
        let (first, rows_first) =
            time_get(&client, &format!("{list}?pageSize=25&page=1"), false).await?;
        let (last, rows_last) = time_get(
            &client,
            &format!("{list}?pageSize=25&page={last_page}"),
            false,
        )
        .await?;
        let (big, rows_big) =
            time_get(&client, &format!("{list}?pageSize=1000&page=1"), false).await?;
        // conditions=name like "Company 00001%"
        let (filtered, rows_filtered) = time_get(
            &client,
            &format!("{list}?pageSize=25&page=1&conditions=name%20like%20%22Company%2000001%25%22"),
            false,
        )
        .await?;
        let page_id = last_id - 25;
        let (forward, rows_forward) = time_get(
            &client,
            &format!("{list}?pageSize=25&pageId={page_id}"),
            true,
        )
        .await?;
        println!(
            "size {n:>7}: ids {first_id}..={last_id}; rows returned: first {rows_first}, \
             last {rows_last}, 1000-row {rows_big}, filtered {rows_filtered}, \
             forward-only {rows_forward}"
        );

        table.push(Row {
            size: n,
            insert_ms,
            rss,
            first,
            last,
            big,
            filtered,
            forward,
        });
    }

    println!();
    println!(
        "{:>8} {:>10} {:>8} {:>12} {:>12} {:>14} {:>12} {:>14}",
        "size",
        "insert ms",
        "RSS MiB",
        "first µs",
        "last µs",
        "1000-row µs",
        "filtered µs",
        "fwd-only µs"
    );
    for r in &table {
        println!(
            "{:>8} {:>10.1} {:>8.1} {:>12.0} {:>12.0} {:>14.0} {:>12.0} {:>14.0}",
            r.size, r.insert_ms, r.rss, r.first, r.last, r.big, r.filtered, r.forward
        );
    }
    if let (Some(small), Some(large)) = (table.first(), table.last()) {
        println!();
        println!(
            "from {} to {} rows: first page {:.2}x, last page {:.2}x, 1000-row page {:.2}x, \
             filtered {:.2}x, forward-only {:.2}x",
            small.size,
            large.size,
            large.first / small.first,
            large.last / small.last,
            large.big / small.big,
            large.filtered / small.filtered,
            large.forward / small.forward
        );
    }
    Ok(())
}
