//! Real-sized tenants, per dialect: creates per second through the API at 1k and at 100k
//! companies, and seeding 100k records of each seeded kind (companies, locations, contacts,
//! configurations) with its time and memory.
//!
//! - Creates: 8 writers on their own keep-alive connections, 100 creates each, over loopback
//!   HTTP, on two tenants side by side: one of 1,000 companies (trimmed back to 1,000 after
//!   each round) and one of 100,000. Seven alternating rounds after a warm-up; the medians and
//!   their ratio are the figures (target: at 100k at least 0.8x the rate at 1k).
//! - Seeding: 100,000 neutral records of each kind, in the seed order (each contact and
//!   configuration names its company; BMS contacts carry an e-mail and a phone), through the
//!   dialect's own seed path, timed per kind; RSS after each kind, the growth per record, and
//!   the peak. Each dialect's figures come from a child process of its own, so one's peak does
//!   not hide another's.
//!
//! Prints figures only; it asserts nothing about speed.
//! Run with `cargo run --release -p mock-psa --example bench_tenant [-- connectwise|autotask|bms|pulseway|vorex ...]`.

use base64::Engine;
use mock_psa::dialect::{api_for, check_neutral_fields, NeutralKind};
use mock_psa::{MockServer, Personality, SeedDocument, ServerOptions};
use serde_json::{json, Value};
#[cfg(not(feature = "mimalloc"))]
use std::alloc::System;
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The binaries' allocator (mimalloc, or the system's without the `mimalloc` feature), counting
/// the bytes live, so the figures can tell the store's own heap from what the allocator keeps.
struct Counting;

#[cfg(feature = "mimalloc")]
static INNER: mimalloc::MiMalloc = mimalloc::MiMalloc;
#[cfg(not(feature = "mimalloc"))]
static INNER: System = System;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { INNER.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { INNER.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { INNER.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live_mib() -> f64 {
    LIVE.load(Ordering::Relaxed) as f64 / (1024.0 * 1024.0)
}

const WRITERS: usize = 8;
const CREATES_PER_WRITER: usize = 100;
/// Measuring rounds, alternating between the 1k and the 100k tenant; the median is shown.
const ROUNDS: usize = 7;
/// Creates per writer before the first measurement (connections, allocator, caches warm).
const WARM_UP: usize = 50;
const SEEDED: usize = 100_000;

/// `VmRSS` or `VmHWM` of this process in MiB (0 when unavailable).
fn proc_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn companies(n: usize, prefix: &str) -> SeedDocument {
    let doc = json!({"companies": [{"name": format!("{prefix} {{n}}"), "type": "Customer",
        "status": "Active", "repeat": n}]});
    SeedDocument::parse(&doc.to_string()).expect("company seed")
}

/// A seed of 100k neutral rows of `kind`, written once with `repeat`, row n belonging to
/// "Company n".
fn seed_of(kind: NeutralKind) -> SeedDocument {
    let row = match kind {
        NeutralKind::Company => {
            json!({"name": "Company {n}", "type": "Customer", "status": "Active"})
        }
        NeutralKind::Location => json!({"company": "Company {n}", "name": "Site {n}",
            "address1": "{n} Main Street", "city": "Springfield", "zip": "12345"}),
        NeutralKind::Contact => json!({"company": "Company {n}", "first_name": "Person",
            "last_name": "Of {n}", "email": "p{n}@example.test", "phone": "555-0100"}),
        NeutralKind::Configuration => json!({"company": "Company {n}", "name": "PC-{n}",
            "type": "Workstation", "status": "Active", "manufacturer": "Dell",
            "model": "OptiPlex 7090", "serial_number": "SN-{n}"}),
        NeutralKind::Ticket => unreachable!("tickets are not a seeded kind here"),
    };
    let mut row = row.as_object().cloned().expect("object");
    row.insert("repeat".into(), json!(SEEDED));
    let doc = json!({ kind.plural(): [row] });
    SeedDocument::parse(&doc.to_string()).expect("seed")
}

/// Child: seeds 100k of each kind through the dialect's seed path; one JSON line.
fn seed_child(psa: Personality) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let server = rt.block_on(MockServer::start(psa, ServerOptions::default()))?;
    let api = api_for(psa.dialect());
    let base = proc_mib("VmRSS:");
    let mut kinds = Vec::new();
    let mut total = 0.0;
    for kind in [
        NeutralKind::Company,
        NeutralKind::Location,
        NeutralKind::Contact,
        NeutralKind::Configuration,
    ] {
        let seed = seed_of(kind);
        let before = live_mib();
        let started = Instant::now();
        {
            // What `/__admin/seed` does per row, under one hold of the world lock: each row
            // made from its template as it is read.
            let mut world = server.state().world();
            for (i, fields) in seed.rows(kind).enumerate() {
                check_neutral_fields(kind, &fields).map_err(anyhow::Error::msg)?;
                api.neutral_create(&mut world, kind, &fields)
                    .map_err(|e| anyhow::anyhow!("{}[{i}]: {e}", kind.plural()))?;
            }
        }
        let secs = started.elapsed().as_secs_f64();
        // The difference is what the store kept (the seed holds one template row).
        let after = live_mib();
        total += secs;
        kinds.push(
            json!({"kind": kind.plural(), "secs": secs, "rss": proc_mib("VmRSS:"),
            "bytes_per_record": (after - before) * 1024.0 * 1024.0 / SEEDED as f64}),
        );
    }
    let world = server.state().world();
    // Where the heap goes, against the rows' JSON text (the size of what they hold).
    let peak = proc_mib("VmHWM:");
    let heap = live_mib();
    let json_bytes: usize = api
        .entity_tables()
        .iter()
        .flat_map(|t| world.store.rows(t))
        .map(|r| serde_json::to_vec(&r).map_or(0, |v| v.len()))
        .sum();
    let tables: serde_json::Map<String, Value> = api
        .entity_tables()
        .iter()
        .map(|t| {
            let n = world.store.table(t).map_or(0, |t| t.len());
            (t.to_string(), json!(n))
        })
        .collect();
    println!(
        "{}",
        json!({"kinds": kinds, "total_secs": total, "base_rss": base,
            "peak_rss": peak, "tables": tables, "heap": heap,
            "json_mib": json_bytes as f64 / 1048576.0})
    );
    Ok(())
}

/// Auth headers the way a client of each dialect sends them.
async fn auth(
    http: &reqwest::Client,
    server: &MockServer,
) -> anyhow::Result<Vec<(String, String)>> {
    let psa = server.personality();
    let c = psa.default_credentials();
    Ok(match psa {
        Personality::Connectwise => {
            let raw = format!("{}+{}:{}", c.company, c.user, c.secret);
            let basic = base64::engine::general_purpose::STANDARD.encode(raw);
            vec![
                ("Authorization".into(), format!("Basic {basic}")),
                ("clientId".into(), "bench".into()),
            ]
        }
        Personality::Autotask => vec![
            ("UserName".into(), c.user.clone()),
            ("Secret".into(), c.secret.clone()),
            ("ApiIntegrationCode".into(), c.integration_code.clone()),
        ],
        _ => {
            let form = format!(
                "grantType=password&userName={}&password={}&tenant={}",
                c.user, c.secret, c.company
            );
            let body: Value = http
                .post(format!("{}/v2/security/authenticate", server.origin()))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form)
                .send()
                .await?
                .json()
                .await?;
            let token = body["result"]["accessToken"]
                .as_str()
                .ok_or_else(|| anyhow::anyhow!("no V2 token in {body}"))?;
            vec![("Authorization".into(), format!("Bearer {token}"))]
        }
    })
}

struct Client {
    http: reqwest::Client,
    origin: String,
    headers: Vec<(String, String)>,
}

impl Client {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> anyhow::Result<Value> {
        let mut rb = self.http.request(method, format!("{}{path}", self.origin));
        for (k, v) in &self.headers {
            rb = rb.header(k, v);
        }
        if let Some(b) = body {
            rb = rb.header("Content-Type", "application/json").body(b);
        }
        let resp = rb.send().await?;
        let status = resp.status();
        let text = resp.text().await?;
        anyhow::ensure!(status.is_success(), "{path}: {status}: {text}");
        Ok(serde_json::from_str(&text)?)
    }
}

/// The create route and a company body with `{name}` to fill, per dialect.
async fn create_route(c: &Client, psa: Personality) -> anyhow::Result<(&'static str, Value)> {
    Ok(match psa {
        Personality::Connectwise => (
            "/v4_6_release/apis/3.0/company/companies",
            json!({"identifier": "{name}", "name": "{name}"}),
        ),
        Personality::Autotask => (
            "/ATServicesRest/V1.0/Companies",
            json!({"companyName": "{name}", "companyType": 1, "ownerResourceID": 29682885,
                "phone": "555-0100"}),
        ),
        _ => {
            let mut ids = Vec::new();
            for (path, name) in [
                ("/v2/system/accounttypes/lookup", "Customer"),
                ("/v2/system/lookup/businesstypes", "Enterprise"),
                ("/v2/hr/employees/lookup", "Alex Admin"),
            ] {
                let body = c.send(reqwest::Method::GET, path, None).await?;
                let id = body["result"]
                    .as_array()
                    .and_then(|rows| rows.iter().find(|r| r["name"] == name))
                    .and_then(|r| r["id"].as_i64())
                    .ok_or_else(|| anyhow::anyhow!("{path}: no {name}"))?;
                ids.push(id);
            }
            (
                "/v2/crm/accounts",
                json!({"AccountName": "{name}", "AccountTypeId": ids[0],
                    "BusinessTypeId": ids[1], "AccountManagerId": ids[2],
                    "Locations": [{"LocationName": "Main", "Addresses": []}]}),
            )
        }
    })
}

/// Creates per second: `WRITERS` x `CREATES_PER_WRITER` creates named `tag-w-i`.
async fn create_rate(
    c: &std::sync::Arc<Client>,
    route: &'static str,
    template: &str,
    tag: &str,
    per: usize,
) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let c = c.clone();
        let template = template.to_string();
        let tag = tag.to_string();
        tasks.push(tokio::spawn(async move {
            for i in 0..per {
                let body = template.replace("{name}", &format!("{tag}-{w}-{i:04}"));
                c.send(reqwest::Method::POST, route, Some(body)).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok((WRITERS * per) as f64 / started.elapsed().as_secs_f64())
}

/// A server of `psa` seeded with `rows` companies, and a client for it.
async fn tenant(
    psa: Personality,
    rows: usize,
) -> anyhow::Result<(MockServer, std::sync::Arc<Client>, &'static str, String)> {
    let mut settings = mock_psa::Settings::for_personality(psa);
    // The PSAs' quotas would (rightly) refuse thousands of calls in a virtual hour.
    settings.bms_hourly_quota = 0;
    settings.at_enforce_request_limit = false;
    let server = MockServer::start(
        psa,
        ServerOptions {
            settings: Some(settings),
            seed: Some(companies(rows, "Seeded")),
            ..Default::default()
        },
    )
    .await?;
    let http = reqwest::Client::builder().no_proxy().build()?;
    let headers = auth(&http, &server).await?;
    let c = std::sync::Arc::new(Client {
        http,
        origin: server.origin(),
        headers,
    });
    let (route, template) = create_route(&c, psa).await?;
    Ok((server, c, route, template.to_string()))
}

/// Removes every entity row created after `marks` (table -> highest id then), so the small
/// tenant stays at its size from round to round.
fn trim(server: &MockServer, marks: &[(String, i64)]) {
    let mut world = server.state().world();
    for (table, mark) in marks {
        let t = world.store.table_mut(table);
        let ids: Vec<i64> = t.ids_after(*mark).collect();
        for id in ids {
            t.remove(id);
        }
    }
}

fn marks(server: &MockServer, psa: Personality) -> Vec<(String, i64)> {
    let world = server.state().world();
    api_for(psa.dialect())
        .entity_tables()
        .iter()
        .map(|t| {
            let last = world.store.rows(t).next_back();
            let id = last.and_then(|r| r.get("id")?.as_i64()).unwrap_or(0);
            (t.to_string(), id)
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Child: creates per second at 1k and at 100k companies, measured in alternating rounds on
/// two tenants side by side (the same noise falls on both); one JSON line.
fn rate_child(psa: Personality) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let (small_server, small_c, route, template) = tenant(psa, 1_000).await?;
        let (large_server, large_c, _, _) = tenant(psa, SEEDED).await?;
        let small_marks = marks(&small_server, psa);
        let count = |server: &MockServer| {
            let table = api_for(psa.dialect()).entity_tables()[0];
            let world = server.state().world();
            world.store.table(table).map_or(0, |t| t.len())
        };
        create_rate(&small_c, route, &template, "warm", WARM_UP).await?;
        create_rate(&large_c, route, &template, "warm", WARM_UP).await?;
        trim(&small_server, &small_marks);
        let (small_rows, large_rows) = (count(&small_server), count(&large_server));
        let (mut small, mut large) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let tag = format!("r{round}");
            small.push(create_rate(&small_c, route, &template, &tag, CREATES_PER_WRITER).await?);
            trim(&small_server, &small_marks);
            large.push(create_rate(&large_c, route, &template, &tag, CREATES_PER_WRITER).await?);
        }
        println!(
            "{}",
            json!({"small_rows": small_rows, "small": median(small.clone()), "small_all": small,
                "large_rows": large_rows, "large": median(large.clone()), "large_all": large,
                "after": count(&large_server)})
        );
        anyhow::Ok(())
    })
}

/// Runs this binary again as `<mode> <psa>` and reads its JSON line.
fn child(mode: &str, psa: Personality) -> anyhow::Result<Value> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["--child", mode, psa.key()])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "{mode} {psa}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    Ok(serde_json::from_str(line)?)
}

fn main() -> anyhow::Result<()> {
    #[cfg(feature = "mimalloc")]
    mock_psa::alloc::without_transparent_huge_pages();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, mode, psa] = args.as_slice() {
        if flag == "--child" {
            let psa: Personality = psa.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            return match mode.as_str() {
                "seed" => seed_child(psa),
                _ => rate_child(psa),
            };
        }
    }
    let psas: Vec<Personality> = if args.is_empty() {
        vec![
            Personality::Connectwise,
            Personality::Autotask,
            Personality::Bms,
        ]
    } else {
        args.iter()
            .map(|a| a.parse().map_err(|e| anyhow::anyhow!("{e}")))
            .collect::<anyhow::Result<_>>()?
    };
    let allocator = if cfg!(feature = "mimalloc") {
        "mimalloc"
    } else {
        "system (glibc)"
    };
    println!("mock-psa tenant bench (release build expected), allocator {allocator}");
    println!();
    println!(
        "Creates through the API over loopback HTTP (median of {ROUNDS} alternating rounds of {WRITERS} writers x {CREATES_PER_WRITER}):"
    );
    println!(
        "{:<12} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "dialect", "rows", "creates/s", "rows", "creates/s", "ratio"
    );
    for &psa in &psas {
        let r = child("rate", psa)?;
        let (small, large) = (
            r["small"].as_f64().unwrap_or(0.0),
            r["large"].as_f64().unwrap_or(0.0),
        );
        println!(
            "{:<12} {:>10} {:>10.0} {:>10} {:>10.0} {:>7.2}x",
            psa.key(),
            r["small_rows"],
            small,
            r["large_rows"],
            large,
            large / small
        );
    }
    println!();
    println!("Seeding {SEEDED} records per kind (seconds; RSS in MiB after the kind; live heap added per seeded record):");
    println!(
        "{:<12} {:>17} {:>17} {:>17} {:>17} {:>8} {:>9}",
        "dialect", "companies", "locations", "contacts", "configurations", "total s", "peak MiB"
    );
    for &psa in &psas {
        let r = child("seed", psa)?;
        let cells: Vec<String> = r["kinds"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|k| {
                format!(
                    "{:.2}s {:>4.0}M {:>4.0}B",
                    k["secs"].as_f64().unwrap_or(0.0),
                    k["rss"].as_f64().unwrap_or(0.0),
                    k["bytes_per_record"].as_f64().unwrap_or(0.0)
                )
            })
            .collect();
        println!(
            "{:<12} {:>17} {:>17} {:>17} {:>17} {:>8.2} {:>9.0}",
            psa.key(),
            cells.first().map_or("", String::as_str),
            cells.get(1).map_or("", String::as_str),
            cells.get(2).map_or("", String::as_str),
            cells.get(3).map_or("", String::as_str),
            r["total_secs"].as_f64().unwrap_or(0.0),
            r["peak_rss"].as_f64().unwrap_or(0.0)
        );
        let mib = |k: &str| r[k].as_f64().unwrap_or(0.0);
        println!(
            "{:<12} live heap {:.0} MiB for {:.0} MiB of the rows' JSON ({:.1}x); RSS before seeding {:.0} MiB",
            "",
            mib("heap"),
            mib("json_mib"),
            mib("heap") / mib("json_mib").max(1.0),
            mib("base_rss")
        );
        println!("{:<12} rows stored: {}", "", r["tables"]);
    }
    Ok(())
}
