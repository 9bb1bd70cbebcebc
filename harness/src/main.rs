//! `psa-harness`: run the conformance suite, bless goldens, write CI reports.

use clap::{Parser, Subcommand};
use harness::connector::parse_defect;
use harness::contract::Compare;
use harness::process::{ConnectorCommand, DEFAULT_TIMEOUT};
use harness::rules::{Catalogue, CATALOGUE_FILE};
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
}

#[derive(clap::Args)]
struct RunArgs {
    /// Scenario files or directories.
    paths: Vec<PathBuf>,
    /// Only these PSAs (repeatable): connectwise, autotask, bms, pulseway, vorex.
    #[arg(long = "psa")]
    psas: Vec<String>,
    /// Rewrite goldens from this run (read the diff before committing).
    #[arg(long)]
    bless: bool,
    /// Check inline expectations only; cases without a golden pass on their expectations.
    #[arg(long)]
    expectations_only: bool,
    /// Directory of golden files (default: the workspace's golden/).
    #[arg(long)]
    golden: Option<PathBuf>,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long)]
    json: Option<PathBuf>,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => match run(args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("psa-harness: {e}");
                ExitCode::from(2)
            }
        },
    }
}

fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let paths = if args.paths.is_empty() {
        vec![default_dir("scenarios")]
    } else {
        args.paths.clone()
    };
    let files = discover(&paths).map_err(anyhow::Error::msg)?;
    let only: Vec<Personality> = args
        .psas
        .iter()
        .map(|p| p.parse())
        .collect::<Result<_, String>>()
        .map_err(anyhow::Error::msg)?;
    let defects: Vec<Defect> = args
        .defects
        .iter()
        .map(|d| parse_defect(d))
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::msg)?;
    if args.bless && args.compare == Compare::Contract {
        anyhow::bail!(
            "--bless writes whole outcomes; it cannot be combined with --compare contract"
        );
    }
    let connector = match &args.connector {
        Some(line) => {
            if !(args.connector_timeout.is_finite() && args.connector_timeout > 0.0) {
                anyhow::bail!("--connector-timeout must be a positive number of seconds");
            }
            let mut cmd = ConnectorCommand::parse(line).map_err(anyhow::Error::msg)?;
            cmd.timeout = std::time::Duration::from_secs_f64(args.connector_timeout);
            cmd.transcripts = args.transcripts.clone();
            Some(cmd)
        }
        None => None,
    };
    // Connectors declare rule groups; the catalogue maps a case's rules to them.
    let catalogue = match &connector {
        Some(_) => {
            let path = default_dir("scenarios").join(CATALOGUE_FILE);
            Some(std::sync::Arc::new(
                Catalogue::load(&path).map_err(|e| anyhow::anyhow!("{e}"))?,
            ))
        }
        None => None,
    };
    let opts = RunOptions {
        golden_dir: args.golden.clone().unwrap_or_else(|| default_dir("golden")),
        bless: args.bless,
        expectations_only: args.expectations_only,
        defects,
        connector,
        compare: args.compare,
        catalogue,
    };
    let mut cases = Vec::new();
    let mut broken = Vec::new();
    for f in &files {
        match Scenario::load(f) {
            Ok(s) => cases.push(s),
            Err(e) => broken.push(e.to_string()),
        }
    }
    if !broken.is_empty() {
        for b in &broken {
            eprintln!("error: {b}");
        }
        return Ok(ExitCode::from(2));
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
            let r = runtime.block_on(run_case(case, psa, &opts));
            results.push(r);
        }
    }
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
