//! The mock's wire speed against a bare axum route serving the same bytes, in one run:
//! `cargo run --release -p mock-psa --example bench_wire [-- SECONDS]` (default 2 s per server
//! and row).
//!
//! Per dialect (ConnectWise, Autotask, Kaseya BMS) it measures a GET by id and a list of 25 over
//! real HTTP on 127.0.0.1:0, first through the mock (default settings, so the journal is on;
//! then with the journal switched off), then through a bare axum route that answers the very
//! bytes the mock answered. Keep-alive connections, a fixed number of them in flight, a tiny
//! hand-written HTTP/1.1 client so the client's own cost stays small and the same for both.
//! Each server first answers a warm-up of the journal's size plus 1,000 requests (steady
//! state: the journal full, so what is measured is a server in use, not one filling fresh
//! memory). The three servers then take turns in short rounds (`BENCH_WIRE_ROUNDS`, default 5), in a rotating
//! order, so a slow patch of a shared machine falls on all of them; it prints the median
//! requests per second of each, the median of the rounds' ratios to the bare route, and the
//! range of the journal-on ratio over the rounds. A benchmark, never a test.
//! It runs with the binaries' allocator, mimalloc; built from `mock-psa/` with
//! `--no-default-features --features capture`, with the system allocator (docs/decisions.md).
//! Last, it counts the allocations per request of each server over 2,000 requests on one
//! connection (the client's own are in every figure alike: the bare route's is the floor).

use axum::routing::get;
use bytes::Bytes;
use mock_psa::{MockServer, Personality, SeedDocument, ServerOptions, Settings};
use serde_json::{json, Value};
use std::alloc::{GlobalAlloc, Layout};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[cfg(feature = "mimalloc")]
static INNER: mimalloc::MiMalloc = mimalloc::MiMalloc;
#[cfg(not(feature = "mimalloc"))]
static INNER: std::alloc::System = std::alloc::System;

/// The binaries' allocator, counting allocations while `COUNTING` is set (only in the pass
/// that counts them, so the timed rounds pay one relaxed load per allocation and nothing else).
struct Counting;
static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { INNER.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { INNER.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { INNER.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const ALLOCATOR: &str = if cfg!(feature = "mimalloc") {
    "mimalloc"
} else {
    "system (glibc)"
};

const CONNECTIONS: usize = 4;
const COMPANIES: usize = 200;

/// One keep-alive HTTP/1.1 connection sending the same request again and again.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            stream,
            buf: Vec::with_capacity(64 * 1024),
        }
    }

    /// Sends `request` and reads one response; returns its status and body.
    async fn exchange(&mut self, request: &[u8]) -> (u16, Vec<u8>) {
        self.stream.write_all(request).await.expect("write");
        self.buf.clear();
        let (head_end, length) = loop {
            let mut chunk = [0u8; 16 * 1024];
            let n = self.stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "connection closed");
            self.buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .expect("content-length");
                break (end + 4, length);
            }
        };
        while self.buf.len() < head_end + length {
            let mut chunk = [0u8; 16 * 1024];
            let n = self.stream.read(&mut chunk).await.expect("read");
            assert!(n > 0, "connection closed");
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let status = std::str::from_utf8(&self.buf[9..12])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, self.buf[head_end..head_end + length].to_vec())
    }
}

fn request(path: &str, headers: &[(String, String)]) -> Vec<u8> {
    let mut r = format!("GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    r.into_bytes()
}

/// Requests per second with `CONNECTIONS` connections for `secs`.
async fn rate(addr: SocketAddr, req: &[u8], secs: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let req = req.to_vec();
            tokio::spawn(async move {
                let mut conn = Conn::open(addr).await;
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let (status, _) = conn.exchange(&req).await;
                    assert_eq!(status, 200, "benchmark request failed");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("client task");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// Allocations per exchange (server and this client together) over `n` requests on one
/// connection, after a few uncounted ones.
async fn allocations_per_request(addr: SocketAddr, req: &[u8], n: u64) -> f64 {
    let mut conn = Conn::open(addr).await;
    for _ in 0..10 {
        conn.exchange(req).await;
    }
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    for _ in 0..n {
        conn.exchange(req).await;
    }
    COUNTING.store(false, Ordering::Relaxed);
    ALLOCATIONS.load(Ordering::Relaxed) as f64 / n as f64
}

/// Sends `n` requests over `CONNECTIONS` connections (a warm-up; nothing is measured).
async fn warm(addr: SocketAddr, req: &[u8], n: usize) {
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let req = req.to_vec();
            tokio::spawn(async move {
                let mut conn = Conn::open(addr).await;
                for _ in 0..n.div_ceil(CONNECTIONS) {
                    let (status, _) = conn.exchange(&req).await;
                    assert_eq!(status, 200, "warm-up request failed");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("client task");
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// A bare axum server answering `body` as JSON on every path.
async fn bare(body: Bytes) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new().fallback(get(move || {
        let body = body.clone();
        async move { ([(http::header::CONTENT_TYPE, "application/json")], body) }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("bare server");
    });
    (addr, task)
}

fn seed() -> SeedDocument {
    let doc = json!({
        "companies": [{"name": "Company {n}", "type": "Customer", "status": "Active",
                       "phone": "555-0100", "repeat": COMPANIES}],
        "contacts": [{"company": "Company {n}", "first_name": "Pat", "last_name": "Of {n}",
                      "email": "pat@c{n}.test", "repeat": COMPANIES}],
    });
    SeedDocument::parse(&doc.to_string()).expect("bench seed")
}

struct Case {
    label: &'static str,
    path: String,
}

/// The two requests measured on every dialect: one record by id, and a list of 25.
const LABELS: [&str; 2] = ["GET by id", "list of 25"];

fn cases(by_id: String, list_of_25: String) -> [Case; 2] {
    let [by_id_label, list_label] = LABELS;
    [
        Case {
            label: by_id_label,
            path: by_id,
        },
        Case {
            label: list_label,
            path: list_of_25,
        },
    ]
}

/// Whether row `name label` is run under `BENCH_WIRE_ONLY` (every row when it is unset).
fn selected(only: Option<&str>, name: &str, label: &str) -> bool {
    only.is_none_or(|o| format!("{name} {label}").contains(o))
}

/// The auth headers and the two requests of each dialect.
async fn plan(psa: Personality, server: &MockServer) -> (Vec<(String, String)>, [Case; 2]) {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let origin = server.origin();
    match psa {
        Personality::Connectwise => {
            use base64::Engine;
            let basic = base64::engine::general_purpose::STANDARD.encode("acme+public:private");
            let headers = vec![
                ("authorization".into(), format!("Basic {basic}")),
                ("clientid".into(), "bench".into()),
            ];
            let api = "/v4_6_release/apis/3.0/company/companies";
            let id = first_id(&http, &format!("{origin}{api}?pageSize=1"), &headers, "id").await;
            (
                headers,
                cases(format!("{api}/{id}"), format!("{api}?pageSize=25")),
            )
        }
        Personality::Autotask => {
            let headers = vec![
                ("username".into(), "api@example.com".into()),
                ("secret".into(), "secret".into()),
                ("apiintegrationcode".into(), "INTEGRATIONCODE".into()),
            ];
            let api = "/ATServicesRest/V1.0/Companies";
            let search = r#"{"MaxRecords":25,"filter":[{"op":"exist","field":"id"}]}"#;
            let list = format!(
                "{api}/query?search={}",
                percent_encoding::utf8_percent_encode(search, percent_encoding::NON_ALPHANUMERIC)
            );
            let v = get_json(&http, &format!("{origin}{list}"), &headers).await;
            let id = v["items"][1]["id"].as_i64().expect("an Autotask company");
            (headers, cases(format!("{api}/{id}"), list))
        }
        _ => {
            let auth = http
                .post(format!("{origin}/v2/security/authenticate"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grantType=password&userName=api&password=password&tenant=acme")
                .send()
                .await
                .expect("authenticate");
            let v: Value = auth.json().await.expect("token");
            let token = v["result"]["accessToken"].as_str().expect("token");
            let headers = vec![("authorization".into(), format!("Bearer {token}"))];
            let api = "/v2/crm/accounts/summary";
            let v = get_json(&http, &format!("{origin}{api}?PageSize=2"), &headers).await;
            let id = v["result"][1]["id"].as_i64().expect("a BMS account");
            (
                headers,
                cases(format!("{api}/{id}"), format!("{api}?PageSize=25")),
            )
        }
    }
}

async fn get_json(http: &reqwest::Client, url: &str, headers: &[(String, String)]) -> Value {
    let mut req = http.get(url);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.expect("request");
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    resp.json().await.expect("json")
}

async fn first_id(
    http: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
    member: &str,
) -> i64 {
    let v = get_json(http, url, headers).await;
    v[0][member].as_i64().expect("an id")
}

async fn mock(psa: Personality, journal: bool) -> MockServer {
    let mut settings = Settings::for_personality(psa);
    // Quotas off: the benchmark sends far more than an hour's allowance.
    settings.bms_hourly_quota = 0;
    settings.at_enforce_request_limit = false;
    if !journal {
        settings.journal.max_entries = 0;
    }
    MockServer::start(
        psa,
        ServerOptions {
            settings: Some(settings),
            seed: Some(seed()),
            ..Default::default()
        },
    )
    .await
    .expect("mock")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    #[cfg(feature = "mimalloc")]
    mock_psa::alloc::without_transparent_huge_pages();
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    // `BENCH_WIRE_ONLY="ConnectWise list"` runs the rows whose name holds the text (profiling).
    let only = std::env::var("BENCH_WIRE_ONLY").ok();
    let only = only.as_deref();
    let rounds: usize = std::env::var("BENCH_WIRE_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5);
    let mut rows_run = 0;
    println!(
        "requests per second, {CONNECTIONS} keep-alive connections, {secs} s per server and row in {rounds} rounds (medians), {COMPANIES} companies seeded, allocator {ALLOCATOR}"
    );
    println!(
        "{:<12} {:<11} {:>7} {:>10} {:>10} {:>10} {:>7} {:>7}  {:<13} allocations/request (mock, -jrnl, bare)",
        "dialect", "request", "bytes", "mock", "mock -jrnl", "bare axum", "ratio", "-jrnl", "ratio's range",
    );
    for (psa, name) in [
        (Personality::Connectwise, "ConnectWise"),
        (Personality::Autotask, "Autotask"),
        (Personality::Bms, "Kaseya BMS"),
    ] {
        // A dialect with no selected row starts no mock (nothing of it in a profile).
        if !LABELS.iter().any(|label| selected(only, name, label)) {
            continue;
        }
        let with = mock(psa, true).await;
        let without = mock(psa, false).await;
        let (headers, cases) = plan(psa, &with).await;
        // The journal-off server signs in on its own (BMS tokens are per server).
        let (headers_off, _) = plan(psa, &without).await;
        for case in cases {
            if !selected(only, name, case.label) {
                continue;
            }
            rows_run += 1;
            let req = request(&case.path, &headers);
            let req_off = request(&case.path, &headers_off);
            let (status, body) = Conn::open(with.addr()).await.exchange(&req).await;
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            let (bare_addr, bare_task) = bare(Bytes::from(body.clone())).await;
            // Short rounds, the three servers in a rotating order, so a slow patch of the
            // machine falls on all three alike; each figure is the median over the rounds.
            let targets = [
                (with.addr(), &req),
                (without.addr(), &req_off),
                (bare_addr, &req),
            ];
            // Steady state: the journal full (its first `max_entries` long bodies each take
            // fresh pages from the kernel, a one-off a server pays once), connections and
            // caches warm. Each server gets the same warm-up.
            let fill = Settings::for_personality(psa).journal.max_entries + 1_000;
            for (addr, req) in targets {
                warm(addr, req, fill).await;
            }
            let mut rates = [Vec::new(), Vec::new(), Vec::new()];
            for round in 0..rounds {
                for k in 0..3 {
                    let i = (round + k) % 3;
                    let (addr, req) = targets[i];
                    rates[i].push(rate(addr, req, secs / rounds as f64).await);
                }
            }
            let mut allocations = [0.0; 3];
            for (i, (addr, req)) in targets.into_iter().enumerate() {
                allocations[i] = allocations_per_request(addr, req, 2_000).await;
            }
            bare_task.abort();
            let ratio =
                |i: usize| -> Vec<f64> { (0..rounds).map(|r| rates[i][r] / rates[2][r]).collect() };
            let (on, off) = (ratio(0), ratio(1));
            println!(
                "{:<12} {:<11} {:>7} {:>10.0} {:>10.0} {:>10.0} {:>6.2}x {:>6.2}x  {:<13} {:.1}, {:.1}, {:.1}",
                name,
                case.label,
                body.len(),
                median(&rates[0]),
                median(&rates[1]),
                median(&rates[2]),
                median(&on),
                median(&off),
                format!(
                    "{:.2}-{:.2}",
                    on.iter().copied().fold(f64::INFINITY, f64::min),
                    on.iter().copied().fold(0.0, f64::max)
                ),
                allocations[0],
                allocations[1],
                allocations[2],
            );
        }
    }
    // A misspelled filter must not pass for a run that measured nothing.
    if rows_run == 0 {
        eprintln!(
            "BENCH_WIRE_ONLY={:?} matches no row (rows are a dialect and a request, e.g. \"ConnectWise list of 25\")",
            only.unwrap_or_default()
        );
        std::process::exit(2);
    }
}
