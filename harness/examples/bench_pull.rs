//! The initial pull of a real-sized tenant, per dialect: `cargo run --release -p harness
//! --example bench_pull [-- [SIZES...] [connectwise|autotask|bms...]]` (default 1000 3000 10000
//! companies, each with 5 contacts and 1 configuration, on all three dialects). Prints, per
//! dialect and size: the seeding time; the pull's time and its growth from the smallest size,
//! twice: with the mock and the sync on one thread (the cost of the code) and on a
//! multi-thread runtime (every request handed between threads, as the harness runs them); the
//! records pulled, the requests the sync made, the API's minimum for that tenant, the virtual
//! seconds waited and the peak resident memory. Each time is the median over
//! `BENCH_PULL_RUNS` rounds (default 5); a round takes each size and both arrangements in
//! turn, once at the largest size and up to 5 times at smaller ones, every pull in a process
//! of its own (`run_in_child`); the growth is the median of the rounds' growths, each
//! comparing pulls taken seconds apart, with their range. The last rows are the baseline:
//! the same number of bare TCP round trips as companies, with no HTTP and no records, in each
//! arrangement. Built with the binaries' allocator, mimalloc; `--no-default-features` runs it
//! with the system allocator. A benchmark, never a test: figures depend on the machine.
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
    /// The child's peak resident memory (VmHWM), seeding and pull together.
    peak_mib: u64,
}

/// This process's peak resident memory in MiB, from /proc (0 where there is none).
fn peak_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// One run in a process of its own (this binary again, as `--child SUBJECT SIZE THREADS`):
/// every pull starts from the same allocator state, the first of its process, as a user's
/// does. Run in one process, the small tenants' repeated pulls reused memory the earlier ones
/// had faulted in while the large tenant's touched fresh pages (three times the page faults
/// per record), and the growth figure measured that rather than the sync.
fn run_in_child(subject: Subject, size: usize, threads: Threads) -> Run {
    let out = std::process::Command::new(std::env::current_exe().expect("this binary"))
        .args(["--child", subject.key(), &size.to_string(), threads.key()])
        .output()
        .expect("child run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} {size} {}: {}",
        subject.key(),
        threads.key(),
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
        peak_mib: peak_mib(),
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

/// Where a child's mock and sync run: on one thread (a current-thread runtime: the cost of
/// the code itself) or across the worker threads of a multi-thread runtime (as the harness
/// runs them). On a virtual machine, every request handed between threads waits for a
/// wake-up of tens of microseconds, and tokio's placement of the two tasks changes within
/// the run (a bare TCP echo's first thousand round trips took a third of the time of each
/// later thousand): the threaded figure measures that as much as the sync.
#[derive(Clone, Copy, PartialEq)]
enum Threads {
    One,
    Workers,
}

impl Threads {
    fn key(self) -> &'static str {
        match self {
            Threads::One => "one-thread",
            Threads::Workers => "threads",
        }
    }

    fn runtime(self) -> tokio::runtime::Runtime {
        match self {
            Threads::One => tokio::runtime::Builder::new_current_thread(),
            Threads::Workers => tokio::runtime::Builder::new_multi_thread(),
        }
        .enable_all()
        .build()
        .expect("a tokio runtime")
    }
}

/// What a child measures: a dialect's pull, or the baseline of bare round trips.
#[derive(Clone, Copy, PartialEq)]
enum Subject {
    Pull(Personality),
    Echo,
}

impl Subject {
    fn key(self) -> &'static str {
        match self {
            Subject::Pull(psa) => psa.key(),
            Subject::Echo => "tcp-echo",
        }
    }
}

fn main() {
    #[cfg(feature = "mimalloc")]
    mock_psa::alloc::without_transparent_huge_pages();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, subject, n, threads] = args.as_slice() {
        if flag == "--child" {
            let n = n.parse().expect("a size");
            let threads = [Threads::One, Threads::Workers]
                .into_iter()
                .find(|t| t.key() == threads)
                .expect("one-thread or threads");
            let run = threads.runtime().block_on(async {
                match subject.as_str() {
                    "tcp-echo" => echo(n).await,
                    psa => pull(psa.parse().expect("a PSA"), n).await,
                }
            });
            println!("{}", serde_json::to_string(&run).expect("run"));
            return;
        }
    }
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let only: Vec<Personality> = args.iter().filter_map(|a| a.parse().ok()).collect();
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
        Err(_) => 5,
    };
    let largest = sizes.iter().copied().max().unwrap_or(1).max(1);
    // Smaller tenants get more pulls (up to 5x), so each size's median rests on a similar
    // stretch of time: a 0.3 s pull moves by a third with one descheduling, and the growth
    // figure divides by it.
    let runs_at = |n: usize| (largest / n.max(1)).clamp(1, 5);
    println!(
        "global allocator: {allocator}; {runs} rounds (BENCH_PULL_RUNS), each one pull at the largest size and up to 5 at smaller ones, sizes and arrangements taken in turn"
    );
    println!("{:<28} | {:<26} | {:<26} |", "", "one thread", "threads");
    println!(
        "{:<12} {:>7} {:>7} | {:>7} {:>6} {:>11} | {:>7} {:>6} {:>11} | {:>26} {:>9} {:>9} {:>7} {:>8} {:>8}",
        "dialect",
        "size",
        "seed s",
        "pull s",
        "growth",
        "(rounds)",
        "pull s",
        "growth",
        "(rounds)",
        "pulled (org/loc/con/cfg)",
        "requests",
        "minimum",
        "ratio",
        "waited s",
        "peak MiB"
    );
    let subjects = [
        Personality::Connectwise,
        Personality::Autotask,
        Personality::Bms,
    ]
    .into_iter()
    .filter(|p| only.is_empty() || only.contains(p))
    .map(Subject::Pull)
    .chain([Subject::Echo]);
    for subject in subjects {
        let arrangements = [Threads::One, Threads::Workers];
        // The sizes and both arrangements are taken in turn within each round, so a machine
        // that slows down for a minute slows them alike, and each round's growth compares
        // pulls taken within seconds of each other (measured one size after another, the
        // figure moved with the machine by 20% between runs).
        let mut tries: Vec<[Vec<Run>; 2]> = sizes.iter().map(|_| Default::default()).collect();
        let mut round_medians: Vec<[Vec<f64>; 2]> =
            sizes.iter().map(|_| Default::default()).collect();
        for _ in 0..runs {
            for (i, &n) in sizes.iter().enumerate() {
                for (a, &threads) in arrangements.iter().enumerate() {
                    let mut round: Vec<Run> = (0..runs_at(n))
                        .map(|_| run_in_child(subject, n, threads))
                        .collect();
                    round_medians[i][a].push(median(round.iter().map(|r| r.pull_secs).collect()));
                    tries[i][a].append(&mut round);
                }
            }
        }
        let (connect, quota) = match subject {
            Subject::Pull(psa) => (
                run_in_child(subject, 0, Threads::One).requests - empty_lists(psa),
                mock_psa::Settings::for_personality(psa)
                    .bms_hourly_quota
                    .max(1),
            ),
            Subject::Echo => (0, 1),
        };
        for (i, &n) in sizes.iter().enumerate() {
            let figures = |a: usize| {
                let mut runs: Vec<&Run> = tries[i][a].iter().collect();
                runs.sort_by(|x, y| x.pull_secs.total_cmp(&y.pull_secs));
                let r = runs[runs.len() / 2];
                let growths: Vec<f64> = round_medians[i][a]
                    .iter()
                    .zip(&round_medians[0][a])
                    .map(|(t, first)| t / first)
                    .collect();
                let range = match (
                    growths.iter().copied().reduce(f64::min),
                    growths.iter().copied().reduce(f64::max),
                ) {
                    (Some(lo), Some(hi)) if i > 0 => format!("{lo:.1}-{hi:.1}x"),
                    _ => String::new(),
                };
                (r, median(growths), range)
            };
            let (r, growth, range) = figures(0);
            let (threaded, threaded_growth, threaded_range) = figures(1);
            let min = match subject {
                Subject::Pull(psa) => minimum(psa, n as u64, connect, quota),
                Subject::Echo => n as u64,
            };
            let [o, l, c, g] = r.pulled;
            println!(
                "{:<12} {:>7} {:>7.2} | {:>7.2} {:>5.1}x {:>11} | {:>7.2} {:>5.1}x {:>11} | {:>26} {:>9} {:>9} {:>6.3}x {:>8} {:>8}",
                subject.key(),
                n,
                r.seed_secs,
                r.pull_secs,
                growth,
                range,
                threaded.pull_secs,
                threaded_growth,
                threaded_range,
                format!("{o}/{l}/{c}/{g}"),
                r.requests,
                min,
                r.requests as f64 / min as f64,
                r.waited_secs,
                r.peak_mib
            );
        }
    }
}

/// The baseline: `n` round trips of a short request over one loopback TCP connection to a
/// bare echo task, no HTTP and no records, in the same runtime as a pull.
async fn echo(n: usize) -> Run {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 256];
        while let Ok(read @ 1..) = socket.read(&mut buf).await {
            if socket.write_all(&buf[..read]).await.is_err() {
                break;
            }
        }
    });
    let mut client = tokio::net::TcpStream::connect(addr).await.expect("connect");
    client.set_nodelay(true).expect("nodelay");
    let request = b"GET /v2/x/1 HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n";
    let mut buf = [0u8; 256];
    let started = Instant::now();
    for _ in 0..n {
        client.write_all(request).await.expect("write");
        let mut got = 0;
        while got < request.len() {
            got += client.read(&mut buf[got..]).await.expect("read");
        }
    }
    let pull_secs = started.elapsed().as_secs_f64();
    drop(client);
    let _ = server.await;
    Run {
        seed_secs: 0.0,
        pull_secs,
        pulled: [0; 4],
        requests: n as u64,
        waited_secs: 0,
        peak_mib: peak_mib(),
    }
}
/// The median of `values` (the upper one of an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
