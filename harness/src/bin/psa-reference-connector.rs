//! The reference sync as a connector executable: it speaks the connector protocol (JSON-RPC
//! 2.0, one message a line) on stdin and stdout, so `psa-harness run --connector` can test it
//! like any vendor's connector. Diagnostics go to stderr.

use clap::Parser;
use harness::connector::{parse_defect, ReferenceConnector};
use harness::protocol::{serve, Capabilities, InitializeResult};
use std::process::ExitCode;

// The binary's allocator, chosen by measurement (docs/decisions.md, "Global allocator").
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "psa-reference-connector",
    version,
    about = "The reference sync behind the connector protocol (stdin/stdout)"
)]
struct Args {
    /// Break the reference engine on purpose (for proving the suite fails through the protocol).
    #[arg(long = "defect", hide = true)]
    defects: Vec<String>,
}

fn main() -> ExitCode {
    #[cfg(feature = "mimalloc")]
    mock_psa::alloc::without_transparent_huge_pages();
    let args = Args::parse();
    let defects = match args.defects.iter().map(|d| parse_defect(d)).collect() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("psa-reference-connector: {e}");
            return ExitCode::from(2);
        }
    };
    let declared = InitializeResult {
        name: "psa-reference-connector".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        capabilities: Capabilities::everything(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("psa-reference-connector: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut connector = ReferenceConnector::new(defects);
    let served = runtime.block_on(serve(
        &mut connector,
        &declared,
        tokio::io::BufReader::new(tokio::io::stdin()),
        tokio::io::stdout(),
    ));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("psa-reference-connector: {e}");
            ExitCode::FAILURE
        }
    }
}
