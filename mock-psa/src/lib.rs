//! mock-psa: simulated ConnectWise Manage, Autotask, Kaseya BMS, Pulseway PSA and Vorex PSA
//! APIs over three wire dialects, stateful and deterministic, with an admin API under
//! `/__admin/`, a bounded request journal and fault injection.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use mock_psa::{MockServer, Personality, ServerOptions};
//! let server = MockServer::start(Personality::Autotask, ServerOptions::default()).await?;
//! println!("Autotask API at {}", server.api_url());
//! # Ok(()) }
//! ```

pub mod admin;
pub mod clock;
pub mod dialect;
pub mod faults;
pub mod journal;
pub mod personality;
pub mod routes;
pub mod seed;
pub mod server;
pub mod state;
pub mod store;
pub mod tls;

pub use dialect::NeutralKind;
pub use personality::{Credentials, Dialect, Personality};
pub use seed::SeedDocument;
pub use server::{MockServer, ServerOptions, TlsOptions};
pub use state::Settings;
pub use tls::TlsIdentity;
