//! The documentation side: records with their source, PSA link and push state; settings.

use crate::psa::{Fields, Kind};
use serde::{Deserialize, Serialize};

/// Where a documentation record came from; decides whether creating it pushes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    #[default]
    Manual,
    Api,
    Csv,
    ActiveDirectory,
    Rmm,
    Psa,
}

impl Source {
    /// Creating a record from this source pushes it at once (R51-R53: CSV and RMM do not).
    pub fn auto_pushes(self) -> bool {
        matches!(self, Source::Manual | Source::Api | Source::ActiveDirectory)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Basic,
    Select,
    #[default]
    Enterprise,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Lite,
    Editor,
    Manager,
    #[default]
    Administrator,
}

/// Sync settings and two-way settings of the integration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub plan: Plan,
    pub role: Role,
    pub two_way: bool,
    pub org_types: Vec<String>,
    pub org_statuses: Vec<String>,
    pub config_types: Vec<String>,
    pub config_statuses: Vec<String>,
    /// Enable Contacts sync (R11).
    pub contacts: bool,
    pub contact_type: Option<String>,
    pub email_type: Option<String>,
    pub phone_type: Option<String>,
    /// Default account manager for new companies (Autotask owner, BMS account manager).
    pub account_manager: Option<String>,
    /// Whether the user sees every organization; a Manager without it does not see newly
    /// pulled organizations until an Administrator grants them (R4).
    pub all_org_access: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            plan: Plan::Enterprise,
            role: Role::Administrator,
            two_way: false,
            org_types: vec!["Customer".into()],
            org_statuses: vec!["Active".into()],
            config_types: vec!["Server".into(), "Workstation".into()],
            config_statuses: vec!["Active".into()],
            contacts: true,
            contact_type: None,
            email_type: None,
            phone_type: None,
            account_manager: None,
            all_org_access: true,
        }
    }
}

/// The state a user sees on a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Linked to a PSA record and syncing.
    Synced,
    /// Two-way is on but the record is not in the PSA: it shows the banner.
    NotPushed,
    /// Two-way is off and the record is not in the PSA.
    Local,
    /// Its PSA record is gone or no longer meets the sync settings.
    Orphaned,
    /// The last push failed; the error text is on the record.
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DocRecord {
    pub id: u64,
    pub kind: Kind,
    /// Canonical fields; `org`, `parent` and `location` hold documentation ids.
    pub fields: Fields,
    pub source: Source,
    pub psa_id: Option<String>,
    pub orphaned: bool,
    pub error: Option<String>,
}
