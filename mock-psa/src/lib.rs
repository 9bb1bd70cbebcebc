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
pub mod alloc;
pub mod anonymise;
pub mod calls;
#[cfg(feature = "capture")]
pub mod capture;
pub mod dialect;
pub mod faults;
pub mod generate;
pub mod guard;
pub mod journal;
pub mod limits;
pub mod overlay;
pub mod persist;
pub mod redact;
pub mod rejection;
pub mod render_cache;
pub mod routes;
pub mod seed;
pub mod server;
pub mod state;
pub mod store;
pub mod testing;
pub mod tls;
pub mod tools;
pub mod unparsed;

pub use dialect::NeutralKind;
// Shared with the reference sync through psa-core; re-exported at the paths they always had.
pub use limits::Limits;
pub use psa_core::{clock, personality};
pub use psa_core::{Credentials, Dialect, Personality};
pub use seed::SeedDocument;
pub use server::{ConnectionLimits, MockServer, ServerOptions, TlsOptions};
pub use state::Settings;
pub use tls::TlsIdentity;
