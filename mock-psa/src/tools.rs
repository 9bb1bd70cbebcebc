//! The `capture`, `anonymise` and `generate` subcommands: arguments and what they do, kept out
//! of `main.rs` so the command line only dispatches.

use crate::anonymise::{anonymise, Mapping};
#[cfg(feature = "capture")]
use crate::capture::{capture, CaptureOptions};
use crate::generate::{generate, GenerateOptions};
use crate::seed::SeedDocument;
use clap::Args;
use psa_core::Personality;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

#[cfg(feature = "capture")]
#[derive(Args, Debug)]
pub struct CaptureArgs {
    /// Which PSA: connectwise, autotask, bms, pulseway or vorex.
    #[arg(long)]
    pub psa: String,
    /// Server origin, e.g. https://na.myconnectwise.net or http://127.0.0.1:4100 (the API path
    /// is added by the client; Autotask finds its zone from here).
    #[arg(long)]
    pub url: String,
    /// ConnectWise company id / BMS-family tenant (default: the mock's).
    #[arg(long)]
    pub company_id: Option<String>,
    /// ConnectWise public key / Autotask user name / BMS-family user (default: the mock's).
    #[arg(long)]
    pub user: Option<String>,
    /// File holding the ConnectWise private key / Autotask secret / BMS-family password (a
    /// secret never goes on the command line); default: the mock's.
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// Autotask API integration code (default: the mock's).
    #[arg(long)]
    pub integration_code: Option<String>,
    /// Capture only this company (and what hangs off it); repeat for more. Default: all.
    #[arg(long = "company")]
    pub companies: Vec<String>,
    /// PEM file of a CA to trust for HTTPS (e.g. the one `serve --tls --ca-out` writes).
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Replace personal values (see `anonymise`); needs --mapping.
    #[arg(long, requires = "mapping")]
    pub anonymise: bool,
    /// Where the anonymisation mapping goes (a local file: never share it with the seed).
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Salt for the replacements (default: none; with one, originals cannot be guessed back).
    #[arg(long, default_value = "")]
    pub salt: String,
    /// The longest wait honoured when rate limited, in seconds.
    #[arg(long, default_value_t = 300)]
    pub max_wait: u64,
    /// Output file (YAML, or JSON when it ends in .json); default: standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct AnonymiseArgs {
    /// The seed to anonymise (YAML or JSON).
    pub seed: PathBuf,
    /// Where the mapping goes (with --reverse: the mapping to read).
    #[arg(long)]
    pub mapping: PathBuf,
    #[arg(long, default_value = "")]
    pub salt: String,
    /// The PSA the seed is for, so names its mock derives (an Autotask company's "- Main"
    /// location) follow their company's replacement.
    #[arg(long)]
    pub psa: Option<String>,
    /// Translate a file written with anonymised values (a seed, a golden, a sync log) back to
    /// the original values instead.
    #[arg(long)]
    pub reverse: bool,
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// How many companies.
    #[arg(long, default_value_t = 10)]
    pub companies: usize,
    /// The RNG seed: the same number gives the same tenant.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share (0 to 1) of contacts without an e-mail address.
    #[arg(long, default_value_t = 0.1)]
    pub missing_email: f64,
    /// Share (0 to 1) of configurations without a model.
    #[arg(long, default_value_t = 0.1)]
    pub missing_model: f64,
    /// Most contacts, sites and configurations per company.
    #[arg(long, default_value_t = 4)]
    pub max_per_company: usize,
    /// Most tickets per company.
    #[arg(long, default_value_t = 2)]
    pub max_tickets: usize,
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

#[cfg(feature = "capture")]
pub async fn run_capture(a: CaptureArgs) -> anyhow::Result<()> {
    let personality: Personality = a.psa.parse().map_err(anyhow::Error::msg)?;
    let mut opts = CaptureOptions::new(personality, a.url);
    let c = &mut opts.credentials;
    if let Some(v) = a.company_id {
        c.company = v;
    }
    if let Some(v) = a.user {
        c.user = v;
    }
    if let Some(path) = &a.secret_file {
        c.secret = read(path)?.trim_end_matches(['\r', '\n']).to_string();
    }
    if let Some(v) = a.integration_code {
        c.integration_code = v;
    }
    opts.companies = a.companies;
    opts.max_wait_secs = a.max_wait;
    opts.ca_pem = a.ca.as_deref().map(read).transpose()?;
    let mut progress = |line: &str| eprintln!("{line}");
    let mut seed = capture(&opts, &mut progress).await?;
    if a.anonymise {
        let mapping_path = a.mapping.as_deref().expect("clap requires --mapping");
        let (anon, mapping) = anonymise(&seed, &a.salt, Some(personality));
        write_mapping(mapping_path, &mapping)?;
        eprintln!(
            "anonymised {} values; mapping in {}",
            mapping.entries.len(),
            mapping_path.display()
        );
        seed = anon;
    }
    write_seed(a.out.as_deref(), &seed)
}

pub fn run_anonymise(a: AnonymiseArgs) -> anyhow::Result<()> {
    if a.reverse {
        let mapping = Mapping::parse(&read(&a.mapping)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", a.mapping.display()))?;
        let text = mapping.translate_back(&read(&a.seed)?);
        return write_text(a.out.as_deref(), &text);
    }
    let seed = SeedDocument::parse(&read(&a.seed)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.seed.display()))?;
    let personality = a
        .psa
        .as_deref()
        .map(str::parse::<Personality>)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let (anon, mapping) = anonymise(&seed, &a.salt, personality);
    write_mapping(&a.mapping, &mapping)?;
    write_seed(a.out.as_deref(), &anon)
}

pub fn run_generate(a: GenerateArgs) -> anyhow::Result<()> {
    let seed = generate(&GenerateOptions {
        companies: a.companies,
        seed: a.seed,
        missing_email: a.missing_email,
        missing_model: a.missing_model,
        max_per_company: a.max_per_company,
        max_tickets: a.max_tickets,
    })
    .map_err(anyhow::Error::msg)?;
    write_seed(a.out.as_deref(), &seed)
}

fn write_mapping(path: &Path, mapping: &Mapping) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(mapping)?;
    std::fs::write(path, text + "\n").map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// A seed as YAML (JSON for a `.json` file), empty groups left out so it reads like a hand-written one.
pub fn render_seed(seed: &SeedDocument, json: bool) -> anyhow::Result<String> {
    let mut v = serde_json::to_value(seed)?;
    if let Value::Object(m) = &mut v {
        m.retain(|_, v| match v {
            Value::Null => false,
            Value::Array(a) => !a.is_empty(),
            Value::Object(o) => !o.is_empty(),
            _ => true,
        });
    }
    Ok(if json {
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        serde_norway::to_string(&v)?
    })
}

fn write_seed(out: Option<&Path>, seed: &SeedDocument) -> anyhow::Result<()> {
    let json = out.is_some_and(|p| p.extension().is_some_and(|e| e == "json"));
    write_text(out, &render_seed(seed, json)?)
}

fn write_text(out: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            Ok(stdout.flush()?)
        }
    }
}
