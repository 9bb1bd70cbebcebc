//! `psa-harness`: run the conformance suite, bless goldens, write CI reports.

use clap::{Parser, Subcommand};
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
        .map(|d| {
            serde_json::from_value(serde_json::Value::String(d.clone()))
                .map_err(|_| anyhow::anyhow!("unknown defect `{d}`"))
        })
        .collect::<Result<_, _>>()?;
    let opts = RunOptions {
        golden_dir: args.golden.clone().unwrap_or_else(|| default_dir("golden")),
        bless: args.bless,
        expectations_only: args.expectations_only,
        defects,
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
    Ok(if failed || results.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
