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
    /// Minutes between scheduled full syncs (R75); `null` queues none.
    pub sync_interval_minutes: Option<u32>,
    /// How long a queued sync waits for a worker, standing in for system load (R76); a
    /// manual sync never waits (R77).
    pub queue_delay_minutes: u32,
    /// What happens to edits saved while the integration is paused (Q20).
    pub while_paused: WhilePaused,
    /// Enable Ticket Integration (R38): a full sync pulls tickets, read-only. Shown only once
    /// set, like `ticket_boards`, so outcomes of cases without tickets stay as they were.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tickets: bool,
    /// Ticket boards (Autotask and BMS queues) to pull (R8); empty pulls every board.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ticket_boards: Vec<String>,
}

/// Edits saved while the integration is paused (Q20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WhilePaused {
    /// Held and pushed when the integration resumes.
    #[default]
    PushOnResume,
    /// Not pushed; the record is pushed at its next save after resuming.
    PushOnNextSave,
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
            sync_interval_minutes: Some(60),
            queue_delay_minutes: 0,
            while_paused: WhilePaused::PushOnResume,
            tickets: false,
            ticket_boards: Vec::new(),
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
    /// The last push or Sync now failed; the error text is on the record.
    Error,
    /// Sync disabled on this asset (R65): neither pulled nor pushed, link kept.
    Disabled,
    /// Paused from Manage Data (R68): neither pulled nor pushed, link kept.
    Paused,
    /// Permanently disconnected (R68, R69): stand-alone, and its PSA record is not pulled again
    /// until reconnected.
    Disconnected,
    /// Archived (Q22): kept as it is, neither pulled nor pushed, link kept.
    Archived,
}

/// Why a record is an orphan (R61, R62).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Orphan {
    /// Its PSA record is gone.
    DeletedInPsa,
    /// Its PSA record no longer meets the sync settings (type, status, contacts sync).
    NoLongerMeetsSyncSettings,
    /// The organization it belongs to stopped syncing.
    OrganizationStoppedSyncing,
}

/// A per-record control that stops syncing but keeps the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// Per-asset Disable sync (R65).
    Disabled,
    /// Manage Data Pause (R68, Q25).
    Paused,
    /// Archived in the documentation platform (Q22).
    Archived,
}

/// Documentation-only content: lives inside an organization, never pushed (R60).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Password,
    Document,
}

impl ItemKind {
    pub const ALL: [ItemKind; 2] = [ItemKind::Password, ItemKind::Document];

    pub fn plural(self) -> &'static str {
        match self {
            ItemKind::Password => "passwords",
            ItemKind::Document => "documents",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DocItem {
    pub id: u64,
    pub kind: ItemKind,
    /// Documentation id of its organization.
    pub org: u64,
    /// Everything else (`name` labels it).
    pub fields: Fields,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DocRecord {
    pub id: u64,
    pub kind: Kind,
    /// Canonical fields; `org`, `parent` and `location` hold documentation ids.
    pub fields: Fields,
    pub source: Source,
    pub psa_id: Option<String>,
    pub orphaned: Option<Orphan>,
    pub error: Option<String>,
    pub hold: Option<Hold>,
    /// The PSA id a Manage Data disconnect dropped; kept so the record is not pulled again and
    /// can be reconnected (R69, Q21).
    pub disconnected_from: Option<String>,
}
