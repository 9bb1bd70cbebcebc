//! `mock-psa serve`: run one or all simulated PSAs on loopback ports.

use clap::{Parser, Subcommand};
use mock_psa::{MockServer, Personality, SeedDocument, ServerOptions};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "mock-psa",
    version,
    about = "Simulated ConnectWise Manage, Autotask, Kaseya BMS, Pulseway PSA and Vorex PSA APIs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve one personality (or all five, on consecutive ports).
    Serve {
        /// connectwise, autotask, bms, pulseway, vorex or all.
        #[arg(long, default_value = "all")]
        psa: String,
        /// Port on 127.0.0.1 (0 picks free ports); with `all`, personalities take PORT, PORT+1, ...
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Seed file (YAML or JSON) applied after the default lookups.
        #[arg(long)]
        seed: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let Command::Serve { psa, port, seed } = Cli::parse().command;
    let personalities: Vec<Personality> = if psa == "all" {
        Personality::ALL.to_vec()
    } else {
        vec![psa.parse().map_err(anyhow::Error::msg)?]
    };
    let seed = match seed {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Some(
                SeedDocument::parse(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
            )
        }
        None => None,
    };
    let mut servers = Vec::new();
    for (i, p) in personalities.into_iter().enumerate() {
        let port = if port == 0 { 0 } else { port + i as u16 };
        let server = MockServer::start(
            p,
            ServerOptions {
                port,
                seed: seed.clone(),
                ..Default::default()
            },
        )
        .await?;
        let c = p.default_credentials();
        println!("{} ({})", p.display_name(), p.key());
        println!("  api:   {}", server.api_url());
        println!("  admin: {}", server.admin_url());
        match p.dialect() {
            mock_psa::Dialect::ConnectWise => println!("  auth:  Basic {}+{}:{} and any non-empty clientId header", c.company, c.user, c.secret),
            mock_psa::Dialect::Autotask => println!(
                "  auth:  UserName {} / Secret {} / ApiIntegrationCode {} (zone lookup: {}/ATServicesRest/V1.0/zoneInformation?user={})",
                c.user, c.secret, c.integration_code, server.origin(), c.user
            ),
            mock_psa::Dialect::BmsV2 => println!("  auth:  POST {}/v2/security/authenticate with tenant {}, user {}, password {}", server.origin(), c.company, c.user, c.secret),
        }
        servers.push(server);
    }
    println!("serving; press Ctrl-C to stop");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
