//! reference-sync: the documentation-platform side of PSA two-way sync, modelled on IT Glue.
//!
//! [`Engine`] holds the documentation records and settings and talks to one PSA through the
//! client for its dialect ([`clients::client_for`]).

pub mod clients;
pub mod engine;
pub mod error;
pub mod http;
pub mod model;
pub mod psa;

pub use engine::{
    Defect, Engine, IntegrationStatus, ManageAction, Reason, Rejection, Removal, Selector,
};
pub use model::{
    DocItem, DocRecord, Hold, ItemKind, Orphan, Plan, Role, Settings, Source, SyncState,
    WhilePaused,
};
pub use psa::{Connection, Fields, Kind};
