//! `psa-harness`: run the conformance suite, bless goldens, write CI reports.

use clap::{Parser, Subcommand};
use harness::connector::parse_defect;
use harness::contract::Compare;
use harness::coverage::Coverage;
use harness::process::{ConnectorCommand, DEFAULT_TIMEOUT};
use harness::rules::{self, Catalogue};
use harness::runner::{run_case, CaseResult, RunOptions, Status};
use harness::scenario::{discover, Scenario};
use harness::{default_dir, report};
use mock_psa::Personality;
use reference_sync::Defect;
use std::path::PathBuf;
use std::process::ExitCode;

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

/// A finished run (the catalogue and every result), or the messages of broken files.
type SuiteRun = Result<(Catalogue, Vec<CaseResult>), Vec<String>>;

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
        catalogue: Some(std::sync::Arc::new(catalogue.clone())),
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut results: Vec<CaseResult> = Vec::new();
    for case in &cases {
        for psa in case.personalities().map_err(anyhow::Error::msg)? {
            if !only.is_empty() && !only.contains(&psa) {
                continue;
            }
            results.push(runtime.block_on(run_case(case, psa, &opts)));
        }
    }
    Ok(Ok((catalogue, results)))
}

fn report_broken(broken: &[String]) -> ExitCode {
    for line in broken.iter().flat_map(|b| b.lines()) {
        eprintln!("error: {line}");
    }
    ExitCode::from(2)
}

fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let results = match execute(&args.suite, args.bless, args.expectations_only)? {
        Ok((_, results)) => results,
        Err(broken) => return Ok(report_broken(&broken)),
    };
    print!("{}", report::summary(&results));
    if let Some(p) = &args.junit {
        report::junit(&results, p)?;
    }
    if let Some(p) = &args.json {
        report::json(&results, p)?;
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

fn coverage(args: CoverageArgs) -> anyhow::Result<ExitCode> {
    let (catalogue, results) = match execute(&args.suite, false, false)? {
        Ok(done) => done,
        Err(broken) => return Ok(report_broken(&broken)),
    };
    let matrix = Coverage::build(&catalogue, &results);
    print!("{}", matrix.render(&catalogue));
    if let Some(p) = &args.json {
        std::fs::write(p, serde_json::to_string_pretty(&matrix)? + "\n")?;
    }
    Ok(if matrix.gaps() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
