//! `psa-harness`: run the conformance suite, bless goldens, write CI reports.

use clap::{Parser, Subcommand};
use harness::connector::parse_defect;
use harness::contract::Compare;
use harness::coverage::{Coverage, CoverageScope};
use harness::live::{ColorChoice, Live};
use harness::process::{ConnectorCommand, DEFAULT_TIMEOUT};
use harness::protocol::Capabilities;
use harness::rules::{self, Catalogue};
use harness::runner::{run_case, CaseResult, RunOptions, Status};
use harness::scenario::{discover, Scenario};
use harness::select::{Filter, Partition};
use harness::{default_dir, html, report};
use mock_psa::Personality;
use reference_sync::Defect;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

// The binary's allocator, chosen by measurement (docs/decisions.md, "Global allocator").
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "psa-harness",
    version,
    about = "PSA sync conformance suite: scenarios x PSAs against golden outcomes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenarios (default: the workspace's scenarios/) on every PSA they name.
    Run(RunArgs),
    /// Run the suite and print the rules x PSAs coverage matrix from the rule catalogue.
    Coverage(CoverageArgs),
}

/// What to run, shared by `run` and `coverage`.
#[derive(clap::Args)]
struct SuiteArgs {
    /// Scenario files or directories.
    paths: Vec<PathBuf>,
    /// Only these PSAs (repeatable): connectwise, autotask, bms, pulseway, vorex.
    #[arg(long = "psa")]
    psas: Vec<String>,
    /// The rule catalogue (default: the workspace's scenarios/rules.yaml).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Directory of golden files (default: the workspace's golden/).
    #[arg(long)]
    golden: Option<PathBuf>,
    /// Run the suite against this connector (`COMMAND ARGS`, split as a shell would), one
    /// process a case, speaking the connector protocol (docs/connector-protocol.md).
    #[arg(long, value_name = "COMMAND ARGS")]
    connector: Option<String>,
    /// Seconds the connector has to answer each call.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_TIMEOUT.as_secs_f64())]
    connector_timeout: f64,
    /// Write each case's protocol messages to DIR/<case>.<psa>.jsonl.
    #[arg(long, value_name = "DIR")]
    transcripts: Option<PathBuf>,
    /// How outcomes are held against goldens: `exact` (byte for byte, the reference sync) or
    /// `contract` (PSA end state, documentation records and step verbs; for other connectors).
    #[arg(long, value_enum, default_value_t = Compare::Exact)]
    compare: Compare,
    /// Break the reference engine on purpose (for proving the suite fails).
    #[arg(long = "defect", hide = true)]
    defects: Vec<String>,
    /// Only cases whose name matches (repeatable): a substring, or a pattern with `*`.
    #[arg(long = "case", value_name = "PATTERN")]
    cases: Vec<String>,
    /// Only cases covering this rule (repeatable), e.g. `R18`.
    #[arg(long = "rule", value_name = "ID")]
    rules_only: Vec<String>,
    /// Run one shard of the selected cases: `hash:K/N` (by case name, stable as cases come and
    /// go) or `count:K/N` (round-robin in suite order), K from 1 to N, as cargo-nextest does.
    #[arg(long, value_name = "hash:K/N|count:K/N")]
    partition: Option<Partition>,
    /// Start no new case after the first failure.
    #[arg(long)]
    fail_fast: bool,
    /// Cases run at once (default: the number of CPUs). Reports keep suite order regardless.
    #[arg(short = 'j', long, value_name = "N")]
    jobs: Option<usize>,
    /// Colour the per-case lines: auto (a terminal, unless NO_COLOR or CI is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Write a self-contained HTML report here (matrix, cases with filters, diffs, timelines).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

#[derive(clap::Args)]
struct CoverageArgs {
    #[command(flatten)]
    suite: SuiteArgs,
    /// Write the matrix as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    suite: SuiteArgs,
    /// Rewrite goldens from this run (read the diff before committing).
    #[arg(long)]
    bless: bool,
    /// Check inline expectations only; cases without a golden pass on their expectations.
    #[arg(long)]
    expectations_only: bool,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> ExitCode {
    #[cfg(feature = "mimalloc")]
    mock_psa::alloc::without_transparent_huge_pages();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(args) => run(args),
        Command::Coverage(args) => coverage(args),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("psa-harness: {e}");
            ExitCode::from(2)
        }
    }
}

/// A finished run, or the messages of broken files.
type SuiteRun = Result<Finished, Vec<String>>;

struct Finished {
    catalogue: Catalogue,
    /// In suite order, whatever order the cases finished in.
    results: Vec<CaseResult>,
    /// Cases `--fail-fast` never started.
    cancelled: usize,
    /// What the connector declared (`None` for the reference sync).
    declared: Option<Capabilities>,
}

/// Loads, checks and runs the suite; `Err` carries broken-file messages (exit 2).
fn execute(suite: &SuiteArgs, bless: bool, expectations_only: bool) -> anyhow::Result<SuiteRun> {
    let paths = if suite.paths.is_empty() {
        vec![default_dir("scenarios")]
    } else {
        suite.paths.clone()
    };
    let files = discover(&paths).map_err(anyhow::Error::msg)?;
    let only: Vec<Personality> = suite
        .psas
        .iter()
        .map(|p| p.parse())
        .collect::<Result<_, String>>()
        .map_err(anyhow::Error::msg)?;
    let defects: Vec<Defect> = suite
        .defects
        .iter()
        .map(|d| parse_defect(d))
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::msg)?;
    if bless && suite.compare == Compare::Contract {
        anyhow::bail!(
            "--bless writes whole outcomes; it cannot be combined with --compare contract"
        );
    }
    if suite.jobs == Some(0) {
        anyhow::bail!("--jobs must be at least 1");
    }
    let connector = match &suite.connector {
        Some(line) => {
            if !(suite.connector_timeout.is_finite() && suite.connector_timeout > 0.0) {
                anyhow::bail!("--connector-timeout must be a positive number of seconds");
            }
            let mut cmd = ConnectorCommand::parse(line).map_err(anyhow::Error::msg)?;
            cmd.timeout = std::time::Duration::from_secs_f64(suite.connector_timeout);
            cmd.transcripts = suite.transcripts.clone();
            Some(cmd)
        }
        None => None,
    };
    let catalogue_path = suite
        .rules
        .clone()
        .unwrap_or_else(|| default_dir("scenarios").join(rules::CATALOGUE_FILE));
    let catalogue = match Catalogue::load(&catalogue_path) {
        Ok(c) => c,
        Err(e) => return Ok(Err(vec![e.to_string()])),
    };
    if let Some(unknown) = suite.rules_only.iter().find(|r| catalogue.get(r).is_none()) {
        anyhow::bail!(
            "--rule {unknown}: no such rule in {}",
            catalogue_path.display()
        );
    }
    let opts = RunOptions {
        golden_dir: suite
            .golden
            .clone()
            .unwrap_or_else(|| default_dir("golden")),
        bless,
        expectations_only,
        defects,
        connector,
        compare: suite.compare,
        // Connectors declare rule groups; the catalogue maps a case's rules to them.
        catalogue: Some(Arc::new(catalogue.clone())),
        declared: Default::default(),
    };
    let mut cases = Vec::new();
    let mut broken = Vec::new();
    for f in &files {
        match Scenario::load(f).and_then(|s| s.check_rules(&catalogue).map(|()| s)) {
            Ok(s) => cases.push(s),
            Err(e) => broken.push(e.to_string()),
        }
    }
    if !broken.is_empty() {
        return Ok(Err(broken));
    }
    let filter = Filter {
        psas: only,
        cases: suite.cases.clone(),
        rules: suite.rules_only.clone(),
        partition: suite.partition,
    };
    let plan = filter.plan(&cases).map_err(anyhow::Error::msg)?;
    let jobs = suite.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut live = Live::new(plan.len(), suite.color.enabled());
    let cases = Arc::new(cases);
    let opts = Arc::new(opts);
    let mut slots: Vec<Option<CaseResult>> = vec![None; plan.len()];
    let mut next = 0;
    let mut stop = false;
    runtime.block_on(async {
        let mut running = tokio::task::JoinSet::new();
        loop {
            // A connector's capabilities come from its first answer, with one case running
            // alone; after that, cases outside them start no process.
            let learning = opts.connector.is_some() && opts.declared.get().is_none();
            let limit = if learning { 1 } else { jobs };
            while !stop && next < plan.len() && running.len() < limit {
                let (i, p) = (next, plan[next]);
                let (cases, opts) = (cases.clone(), opts.clone());
                running.spawn(async move { (i, run_case(&cases[p.scenario], p.psa, &opts).await) });
                next += 1;
            }
            let Some(done) = running.join_next().await else {
                break;
            };
            let (i, result) = done.expect("a case task panicked");
            live.finished(&result);
            stop |= suite.fail_fast && result.status == Status::Fail;
            slots[i] = Some(result);
        }
    });
    let results: Vec<CaseResult> = slots.into_iter().flatten().collect();
    let cancelled = plan.len() - results.len();
    live.done(&results, cancelled);
    let declared = opts.declared.get().cloned();
    Ok(Ok(Finished {
        catalogue,
        results,
        cancelled,
        declared,
    }))
}

fn report_broken(broken: &[String]) -> ExitCode {
    for line in broken.iter().flat_map(|b| b.lines()) {
        eprintln!("error: {line}");
    }
    ExitCode::from(2)
}

fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let done = match execute(&args.suite, args.bless, args.expectations_only)? {
        Ok(done) => done,
        Err(broken) => return Ok(report_broken(&broken)),
    };
    let results = &done.results;
    if let Some(p) = &args.junit {
        report::junit(results, p)?;
    }
    if let Some(p) = &args.json {
        report::json(results, p)?;
    }
    if let Some(p) = &args.suite.html {
        write_html(&args.suite, &done, p)?;
    }
    let failed = results.iter().any(|r| r.status == Status::Fail);
    let ran = results
        .iter()
        .any(|r| matches!(r.status, Status::Pass | Status::Blessed));
    Ok(if failed || !ran {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn matrix_of(suite: &SuiteArgs, done: &Finished) -> Coverage {
    let scope = CoverageScope {
        psas: suite.psas.iter().filter_map(|p| p.parse().ok()).collect(),
        connector: suite.connector.is_some(),
        declared: done.declared.clone(),
    };
    Coverage::build_for(&done.catalogue, &done.results, &scope)
}

fn write_html(suite: &SuiteArgs, done: &Finished, path: &std::path::Path) -> anyhow::Result<()> {
    let matrix = matrix_of(suite, done);
    let page = html::render(&done.catalogue, &matrix, &done.results, done.cancelled);
    std::fs::write(path, page).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

fn coverage(args: CoverageArgs) -> anyhow::Result<ExitCode> {
    let done = match execute(&args.suite, false, false)? {
        Ok(done) => done,
        Err(broken) => return Ok(report_broken(&broken)),
    };
    let matrix = matrix_of(&args.suite, &done);
    print!("\n{}", matrix.render(&done.catalogue));
    if let Some(p) = &args.json {
        std::fs::write(p, serde_json::to_string_pretty(&matrix)? + "\n")?;
    }
    if let Some(p) = &args.suite.html {
        write_html(&args.suite, &done, p)?;
    }
    Ok(if matrix.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
