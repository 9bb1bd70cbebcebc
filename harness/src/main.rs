//! `psa-harness`: run the conformance suite, bless goldens, write CI reports.

use clap::{Parser, Subcommand};
use harness::coverage::Coverage;
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

/// Loads, checks and runs the suite; `Err` carries broken-file messages (exit 2).
fn execute(
    suite: &SuiteArgs,
    bless: bool,
    expectations_only: bool,
) -> anyhow::Result<Result<(Catalogue, Vec<CaseResult>), Vec<String>>> {
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
        .map(|d| {
            serde_json::from_value(serde_json::Value::String(d.clone()))
                .map_err(|_| anyhow::anyhow!("unknown defect `{d}`"))
        })
        .collect::<Result<_, _>>()?;
    let opts = RunOptions {
        golden_dir: suite
            .golden
            .clone()
            .unwrap_or_else(|| default_dir("golden")),
        bless,
        expectations_only,
        defects,
    };
    let catalogue_path = suite
        .rules
        .clone()
        .unwrap_or_else(|| default_dir("scenarios").join(rules::CATALOGUE_FILE));
    let catalogue = match Catalogue::load(&catalogue_path) {
        Ok(c) => c,
        Err(e) => return Ok(Err(vec![e.to_string()])),
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
    for b in broken {
        eprintln!("error: {b}");
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
    Ok(if failed || results.is_empty() {
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
