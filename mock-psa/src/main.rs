//! `mock-psa serve`: run one or all simulated PSAs on loopback ports.

use clap::{Parser, Subcommand};
use mock_psa::{MockServer, Personality, SeedDocument, ServerOptions, TlsIdentity, TlsOptions};
use std::io::Write;
use std::path::PathBuf;

// The binary's allocator, chosen by measurement (docs/decisions.md, "Global allocator").
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// List every route of a personality's dialect: method, path, auth (docs/routes.md).
    Routes {
        /// connectwise, autotask, bms, pulseway, vorex or all.
        #[arg(long, default_value = "all", value_parser = psa_or_all)]
        psa: String,
    },
    /// Serve one personality (or all five, on consecutive ports).
    Serve {
        /// connectwise, autotask, bms, pulseway, vorex or all.
        #[arg(long, default_value = "all", value_parser = psa_or_all)]
        psa: String,
        /// Port on 127.0.0.1 (0 picks free ports); with `all`, personalities take PORT, PORT+1, ...
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Seed file (YAML or JSON) applied after the default lookups.
        #[arg(long)]
        seed: Option<PathBuf>,
        /// Also serve HTTPS with a certificate generated at start (signed by a throwaway CA).
        #[arg(long)]
        tls: bool,
        /// HTTPS port (0 picks free ports); with `all`, personalities take PORT, PORT+1, ...
        #[arg(long, default_value_t = 0, requires = "tls")]
        https_port: u16,
        /// Write the CA certificate HTTPS clients must trust to this file (PEM).
        #[arg(long, requires = "tls")]
        ca_out: Option<PathBuf>,
        /// Print one JSON line describing every listener (ports, URLs, CA) instead of text.
        #[arg(long)]
        json: bool,
        /// Keep the world (records, clock, sessions, settings) in this file across restarts;
        /// an existing file replaces --seed, a corrupt or foreign one is refused untouched.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Address to listen on. A non-loopback one (a container's 0.0.0.0) needs an admin token.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// Require this token on every /__admin/ request but the live page's own document (`Authorization: Bearer <token>` or
        /// `X-Admin-Token`); defaults to the MOCK_PSA_ADMIN_TOKEN environment variable.
        #[arg(long)]
        admin_token: Option<String>,
        /// Seconds a connection may take to send a request head (and may idle between requests).
        #[arg(long, default_value_t = 30)]
        header_timeout: u64,
        /// Seconds a request body may take to arrive.
        #[arg(long, default_value_t = 30)]
        body_timeout: u64,
        /// Connections served at once per listener.
        #[arg(long, default_value_t = 512)]
        max_connections: usize,
    },
    /// Read a live PSA's synced records into a seed document (read-only).
    #[cfg(feature = "capture")]
    Capture(mock_psa::tools::CaptureArgs),
    /// Replace the personal values of a seed, or translate anonymised text back.
    Anonymise(mock_psa::tools::AnonymiseArgs),
    /// Write a realistic generated tenant of any size as a seed document.
    Generate(mock_psa::tools::GenerateArgs),
}

/// Checked by clap, so a wrong name is a usage error (exit 2) listing the choices.
fn psa_or_all(s: &str) -> Result<String, String> {
    if s == "all" {
        return Ok(s.to_string());
    }
    s.parse::<Personality>()
        .map(|_| s.to_string())
        .map_err(|_| "expected connectwise, autotask, bms, pulseway, vorex or all".to_string())
}

/// A mistake of the user's (a seed file that is missing or wrong): reported like clap's own
/// usage errors, one line and exit 2, never a backtrace.
#[derive(Debug)]
struct UserError(String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

fn main() -> std::process::ExitCode {
    #[cfg(feature = "mimalloc")]
    mock_psa::alloc::without_transparent_huge_pages();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mock-psa: error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // `{:#}` is the cause chain on one line; anyhow's Debug would add a backtrace.
        Err(e) if e.is::<UserError>() => {
            eprintln!("mock-psa: error: {e:#}");
            std::process::ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("mock-psa: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let serve = match cli.command {
        Command::Routes { psa } => {
            if psa == "all" {
                print!("{}", mock_psa::routes::markdown());
            } else {
                let p: Personality = psa.parse().map_err(anyhow::Error::msg)?;
                print!("{}", mock_psa::routes::text(p.dialect()));
            }
            return Ok(());
        }
        #[cfg(feature = "capture")]
        Command::Capture(a) => return mock_psa::tools::run_capture(a).await,
        Command::Anonymise(a) => return mock_psa::tools::run_anonymise(a),
        Command::Generate(a) => return mock_psa::tools::run_generate(a),
        serve => serve,
    };
    let Command::Serve {
        psa,
        port,
        seed,
        tls,
        https_port,
        ca_out,
        json,
        state,
        host,
        admin_token,
        header_timeout,
        body_timeout,
        max_connections,
    } = serve
    else {
        unreachable!("the other commands returned above")
    };
    let admin_token = admin_token
        .or_else(|| std::env::var("MOCK_PSA_ADMIN_TOKEN").ok())
        .filter(|t| !t.is_empty());
    let connections = mock_psa::ConnectionLimits {
        header_timeout: std::time::Duration::from_secs(header_timeout.max(1)),
        body_timeout: std::time::Duration::from_secs(body_timeout.max(1)),
        max_connections: max_connections.max(1),
        ..Default::default()
    };
    let personalities: Vec<Personality> = if psa == "all" {
        Personality::ALL.to_vec()
    } else {
        vec![psa.parse().map_err(anyhow::Error::msg)?]
    };
    let seed = match seed {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| UserError(format!("seed file {}: {e}", path.display())))?;
            Some(
                SeedDocument::parse(&text)
                    .map_err(|e| UserError(format!("seed file {}: {e}", path.display())))?,
            )
        }
        None => None,
    };
    // Checked before anything is served, so a bad file stops the start and stays as it is.
    let state = match &state {
        Some(path) => Some(mock_psa::persist::StateFile::open(path, &personalities)?),
        None => None,
    };
    let seed = seed.filter(|_| !state.as_ref().is_some_and(|s| s.has_worlds()));
    // One CA for every personality, so a client trusts a single certificate.
    let identity = if tls {
        Some(TlsIdentity::generate()?)
    } else {
        None
    };
    if let (Some(path), Some(id)) = (&ca_out, &identity) {
        std::fs::write(path, id.ca_pem())
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    }
    let mut servers = Vec::new();
    let mut described = Vec::new();
    for (i, p) in personalities.into_iter().enumerate() {
        let step = |base: u16| if base == 0 { 0 } else { base + i as u16 };
        let server = MockServer::start(
            p,
            ServerOptions {
                port: step(port),
                host: Some(host),
                admin_token: admin_token.clone(),
                connections,
                seed: seed.clone(),
                tls: identity.as_ref().map(|id| TlsOptions {
                    port: step(https_port),
                    identity: Some(id.clone()),
                }),
                ..Default::default()
            },
        )
        .await?;
        if json {
            described.push(serde_json::json!({
                "psa": p.key(),
                "name": p.display_name(),
                "port": server.addr().port(),
                "origin": server.origin(),
                "api_url": server.api_url(),
                "admin_url": server.admin_url(),
                "https": server.https_addr().map(|a| serde_json::json!({
                    "port": a.port(),
                    "origin": server.https_origin(),
                    "api_url": server.https_api_url(),
                })),
            }));
            servers.push(server);
            continue;
        }
        let c = p.default_credentials();
        println!("{} ({})", p.display_name(), p.key());
        println!("  api:   {}", server.api_url());
        println!("  admin: {}", server.admin_url());
        if let Some(url) = server.https_api_url() {
            println!("  https: {url}");
        }
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
    if let Some(file) = state {
        let states: Vec<_> = servers.iter().map(|s| s.state().clone()).collect();
        file.attach(&states)?;
    }
    if json {
        // One line, flushed, so a parent process can read ports before sending requests.
        let doc = serde_json::json!({
            "servers": described,
            "ca_pem": identity.as_ref().map(|i| i.ca_pem()),
        });
        let mut out = std::io::stdout().lock();
        writeln!(out, "{doc}")?;
        out.flush()?;
    } else {
        if let Some(path) = &ca_out {
            println!("CA certificate for https clients: {}", path.display());
        }
        println!("serving; press Ctrl-C to stop");
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
