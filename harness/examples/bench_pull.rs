//! The initial pull of a real-sized tenant, per dialect: `cargo run --release -p harness
//! --example bench_pull [-- [SIZES...] [connectwise|autotask|bms...]]` (default 1000 3000 10000
//! companies, each with 5 contacts and 1 configuration, on all three dialects). Prints, per
//! dialect and size: the seeding time, the pull's time (the median of `BENCH_PULL_RUNS` pulls,
//! default 3, at the largest size; smaller sizes take up to 5x as many; each pull in a process
//! of its own, `pull_in_child`), the records pulled,
//! the requests the sync made and the API's minimum for that tenant, and the growth of the
//! pull's time from the smallest size. Built with the binaries'
//! allocator, mimalloc; `--no-default-features` runs it with the system allocator. A benchmark,
//! never a test: figures depend on the machine.
//!
//! The API's minimum per dialect (README, "Benchmarks"):
//! - every dialect: the requests of connecting (sign-in, lookups), measured on an empty tenant;
//! - ConnectWise: ceil(rows / 1000) pages per list (companies, contacts, configurations), and
//!   one sites page per company (sites are listed only under their company);
//! - Autotask: ceil(rows / 500) query pages per entity (companies, company locations, contacts,
//!   configuration items);
//! - Kaseya BMS: ceil(rows / 100) pages for accounts (locations come nested in them), contacts
//!   and the asset list, plus one read per asset (the list carries no status, MAC,
//!   manufacturer or model), plus one 429 per hour of the per-endpoint quota those reads use.

use mock_psa::{MockServer, Personality, SeedDocument, ServerOptions};
use reference_sync::{Connection, Engine, Kind, Settings};
use serde_json::json;
use std::time::Instant;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONTACTS_PER_COMPANY: usize = 5;

fn seed(companies: usize) -> SeedDocument {
    let mut contacts = Vec::new();
    for k in 1..=CONTACTS_PER_COMPANY {
        contacts.push(json!({
            "company": "Company {n}", "first_name": format!("Person{k}"),
            "last_name": "Of {n}", "email": format!("p{k}@c{{n}}.test"), "repeat": companies,
        }));
    }
    let doc = json!({
        "companies": [{"name": "Company {n}", "type": "Customer", "status": "Active", "repeat": companies}],
        "contacts": contacts,
        "configurations": [{
            "company": "Company {n}", "name": "PC-{n}", "type": "Workstation", "status": "Active",
            "manufacturer": "Dell", "model": "OptiPlex 7090", "serial_number": "SN-{n}",
            "repeat": companies,
        }],
    });
    SeedDocument::parse(&doc.to_string()).expect("bench seed")
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Run {
    seed_secs: f64,
    pull_secs: f64,
    pulled: [usize; 4],
    requests: u64,
    waited_secs: u64,
}

/// One pull in a process of its own (this binary again, as `--child PSA COMPANIES`): every
/// pull starts from the same allocator state, the first of its process, as a user's does. Run
/// in one process, the small tenants' repeated pulls reused memory the earlier ones had
/// faulted in while the large tenant's touched fresh pages (three times the page faults per
/// record), and the growth figure measured that rather than the sync.
fn pull_in_child(psa: Personality, companies: usize) -> Run {
    let out = std::process::Command::new(std::env::current_exe().expect("this binary"))
        .args(["--child", psa.key(), &companies.to_string()])
        .output()
        .expect("child pull");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{psa} {companies}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(text.lines().last().unwrap_or_default()).expect("a child's run")
}

async fn pull(psa: Personality, companies: usize) -> Run {
    let mut settings = mock_psa::Settings::for_personality(psa);
    // Counters only: the journal's entries are not what is measured.
    settings.journal.max_entries = 0;
    let started = Instant::now();
    let server = MockServer::start(
        psa,
        ServerOptions {
            settings: Some(settings),
            seed: (companies > 0).then(|| seed(companies)),
            ..Default::default()
        },
    )
    .await
    .expect("mock");
    let seed_secs = started.elapsed().as_secs_f64();
    let conn = Connection {
        personality: psa,
        origin: server.origin(),
        credentials: psa.default_credentials(),
    };
    let mut engine = Engine::new(conn, Settings::default())
        .with_shared_clock(format!("{}/__admin/clock", server.origin()));
    let started = Instant::now();
    engine.full_sync().await;
    let pull_secs = started.elapsed().as_secs_f64();
    let count = |k: Kind| engine.records().filter(|r| r.kind == k).count();
    let requests = server.state().world().journal.counters().total;
    if let Some(line) = engine.log().iter().find(|l| l.contains("could not")) {
        eprintln!("{}: {line}", psa.key());
    }
    Run {
        seed_secs,
        pull_secs,
        pulled: Kind::ALL.map(count),
        requests,
        waited_secs: engine.retry_wait_secs(),
    }
}

/// The lists a pull reads on an empty tenant (one page each): subtracted from its requests to
/// leave the cost of connecting.
fn empty_lists(psa: Personality) -> u64 {
    match psa {
        Personality::Autotask => 4,
        _ => 3,
    }
}

/// The API's minimum for `n` companies: connecting, then every list read at least once (see
/// the module comment).
fn minimum(psa: Personality, n: u64, connect: u64, quota: u64) -> u64 {
    let pages = |rows: u64, size: u64| rows.div_ceil(size).max(1);
    let contacts = n * CONTACTS_PER_COMPANY as u64;
    connect
        + match psa {
            Personality::Connectwise => pages(n, 1000) + n + pages(contacts, 1000) + pages(n, 1000),
            Personality::Autotask => {
                pages(n, 500) + pages(n, 500) + pages(contacts, 500) + pages(n, 500)
            }
            _ => {
                let reads = n;
                pages(n, 100) + pages(contacts, 100) + pages(n, 100) + reads + reads / quota
            }
        }
}

#[tokio::main]
async fn main() {
    #[cfg(feature = "mimalloc")]
    mock_psa::alloc::without_transparent_huge_pages();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, psa, n] = args.as_slice() {
        if flag == "--child" {
            let psa: Personality = psa.parse().expect("a PSA");
            let run = pull(psa, n.parse().expect("a number of companies")).await;
            println!("{}", serde_json::to_string(&run).expect("run"));
            return;
        }
    }
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let only: Vec<Personality> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1000, 3000, 10000]
    } else {
        sizes
    };
    let allocator = if cfg!(feature = "mimalloc") {
        "mimalloc"
    } else {
        "system (glibc)"
    };
    let runs: usize = match std::env::var("BENCH_PULL_RUNS") {
        Ok(v) => match v.parse() {
            Ok(n) if n >= 1 => n,
            _ => {
                eprintln!("BENCH_PULL_RUNS={v:?} is not a whole number of at least 1");
                std::process::exit(2);
            }
        },
        Err(_) => 3,
    };
    let largest = sizes.iter().copied().max().unwrap_or(1).max(1);
    // Smaller tenants get more pulls (up to 5x), so each size's median rests on a similar
    // stretch of time: a 0.3 s pull moves by a third with one descheduling, and the growth
    // figure divides by it.
    let runs_at = |n: usize| runs * (largest / n.max(1)).clamp(1, 5);
    println!(
        "global allocator: {allocator}; median of {runs} pulls (BENCH_PULL_RUNS) at the largest size, up to 5x as many at smaller ones"
    );
    println!(
        "{:<12} {:>7} {:>8} {:>8} {:>7} {:>26} {:>9} {:>9} {:>7} {:>9}",
        "dialect",
        "size",
        "seed s",
        "pull s",
        "growth",
        "pulled (org/loc/con/cfg)",
        "requests",
        "minimum",
        "ratio",
        "waited s"
    );
    for psa in [
        Personality::Connectwise,
        Personality::Autotask,
        Personality::Bms,
    ]
    .into_iter()
    .filter(|p| only.is_empty() || only.contains(p))
    {
        let connect = pull_in_child(psa, 0).requests - empty_lists(psa);
        let quota = mock_psa::Settings::for_personality(psa)
            .bms_hourly_quota
            .max(1);
        let mut first: Option<f64> = None;
        for &n in &sizes {
            // The median of `runs` pulls: a single pull of the 1k tenant takes a few tenths of
            // a second, where one descheduling shows in the growth.
            let mut tries = Vec::new();
            for _ in 0..runs_at(n) {
                tries.push(pull_in_child(psa, n));
            }
            tries.sort_by(|a, b| a.pull_secs.total_cmp(&b.pull_secs));
            let r = tries.swap_remove(tries.len() / 2);
            let min = minimum(psa, n as u64, connect, quota);
            let growth = r.pull_secs / *first.get_or_insert(r.pull_secs);
            let [o, l, c, g] = r.pulled;
            println!(
                "{:<12} {:>7} {:>8.2} {:>8.2} {:>6.1}x {:>26} {:>9} {:>9} {:>6.3}x {:>9}",
                psa.key(),
                n,
                r.seed_secs,
                r.pull_secs,
                growth,
                format!("{o}/{l}/{c}/{g}"),
                r.requests,
                min,
                r.requests as f64 / min as f64,
                r.waited_secs
            );
        }
    }
}
