//! The sync engine: settings gates, pull (PSA wins, exact matching), push on save, the
//! one-time push of all syncable assets, banners and the sync log; orphans and per-asset
//! controls, Manage Data and the integration's life cycle; the queue on a virtual clock.

use crate::clients::client_for;
use crate::http::{Http, RetryPolicy, TransportDefects};
use crate::model::{DocItem, DocRecord, Hold, ItemKind, Plan, Role, Settings, Source, SyncState};
use crate::psa::{Connection, Fields, Kind, PsaClient};
use psa_core::Personality;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

mod controls;
mod integration;
mod manage;
mod orphans;
mod pull;
mod push;
mod schedule;
mod tickets;

pub use manage::{ManageAction, Removal, Selector};
pub use schedule::{IntegrationStatus, Reason};

/// Deliberate defects, for proving the suite has teeth. Never set outside tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Defect {
    /// Switching two-way on pushes every record that already existed (breaks R46).
    PushPreexistingOnEnable,
    /// Kaseya BMS contacts are pushed without an e-mail type (breaks R18).
    PushBmsContactsWithoutEmailType,
    /// Kaseya BMS contacts without a location are sent anyway (breaks R19).
    PushBmsContactsWithoutLocation,
    /// Synced fields stay editable with two-way off (breaks R15).
    EditSyncedFieldsInOneWayMode,
    /// Contacts match on first name alone (breaks R23).
    MatchContactsOnFirstNameOnly,
    /// Configurations are saved without their required fields (breaks R50).
    SkipConfigurationRequiredFields,
    /// Configurations created from RMM data are pushed at once (breaks R53).
    AutoPushRmmConfigurations,
    /// Parent companies are not turned into parent organizations (breaks R31).
    IgnoreParentCompanies,
    /// A PSA record moved to another company stays in its old organization (breaks R40).
    MovedRecordsKeepOrganization,
    /// Linked records whose PSA record was deleted stay synced (breaks R61).
    DeletedPsaRecordsNotOrphaned,
    /// Orphaned configurations keep their status instead of turning Inactive (breaks R63).
    OrphansKeepStatus,
    /// Disabled assets are still overwritten by the pull (breaks R65).
    DisabledAssetsStillPulled,
    /// Disconnected records are pulled again as new records (breaks R69).
    DisconnectedRecordsRepulled,
    /// Syncing assets may be deleted (breaks R70).
    SyncingAssetsDeletable,
    /// Edits saved while the integration is paused are pushed at once (breaks R72).
    PauseDoesNotHoldPushes,
    /// Saving settings queues no sync (breaks R14).
    SettingsSaveQueuesNothing,
    /// A manual sync waits in the queue like any other (breaks R77).
    ManualSyncNotPrioritised,
    /// A create that may have landed is repeated without looking for it (breaks R43, R80).
    RetryCreatesWithoutCheck,
    /// Retry-After is ignored: retries follow the backoff schedule only (breaks R43, R26).
    IgnoreRetryAfter,
    /// Tickets of companies that do not sync are pulled too, outside any organization
    /// (breaks R38's pull of tickets for syncing organizations).
    TicketsOfNonSyncingCompaniesPulled,
    /// A derived ConnectWise Company ID is sent without asking whether it is taken (breaks R44:
    /// the second of two names that differ only in punctuation never reaches the PSA).
    DeriveCompanyIdsWithoutUniqueness,
    /// Waits before retries are counted but the PSA's clock is not moved (breaks R43: an
    /// hourly quota never resets).
    WaitsOffTheSharedClock,
    /// A live integration may be pointed at another tenant (breaks R7).
    TenantChangeWhileLinked,
    /// Names are sent to the PSA with `&` escaped as `&amp;` (breaks R86).
    EscapeAmpersandsOnPush,
    /// A save pushes every field it names, changed or not (breaks R43: only changes travel).
    PushUnchangedSaves,
    /// Locations match without looking at the country (breaks R25).
    MatchLocationsIgnoringCountry,
    /// The push of all syncable assets takes disconnected records too (breaks R81).
    PushAllTakesDisconnected,
    /// A create whose "did it land?" look-up failed is retried anyway (breaks R43).
    RetryWhenLookupFails,
    /// A queued sync that fails stays in the queue (breaks R77: the queue holds what is to run).
    FailedSyncStaysQueued,
    /// A PSA record may take over a documentation record already linked to another (breaks R23).
    LinkedRecordsTakenOver,
    /// The BMS family's full sync reads every account page twice, once for organizations and
    /// again for their locations (breaks R26's pull: each page is read once).
    AccountPagesReadTwice,
}

/// Why a user action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(rename_all = "snake_case", tag = "rejected", content = "message")]
pub enum Rejection {
    #[error("two-way sync requires a Select or Enterprise plan")]
    PlanNotEligible,
    #[error("only Managers and Administrators may change integration settings")]
    Forbidden,
    #[error("{0}")]
    Invalid(String),
    #[error("synced fields are read-only while two-way sync is off: {0}")]
    FieldReadOnly(String),
    #[error(
        "the integration is linked to {0}; pointing it at another PSA or tenant needs a migration"
    )]
    TenantChangeRequiresMigration(String),
    /// A well-formed action the platform refuses in the current state (R70, R72, R74).
    #[error("{0}")]
    Refused(String),
}

/// A record as a user or API creates it: references by name.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct NewRecord {
    pub kind: Option<Kind>,
    pub fields: Fields,
    pub source: Source,
}

pub struct Engine {
    personality: Personality,
    connection: Connection,
    /// Settings values that have ever been set to sync, per list (R13: enabled vs disabled).
    ever_enabled: BTreeMap<&'static str, BTreeSet<String>>,
    client: Box<dyn PsaClient>,
    /// The client's HTTP layer: its retry policy, virtual wait and retry notes.
    http: Http,
    connected: bool,
    settings: Settings,
    records: BTreeMap<u64, DocRecord>,
    next_id: u64,
    log: Vec<String>,
    defects: BTreeSet<Defect>,
    /// Documentation-only content (R60, R71).
    items: BTreeMap<u64, DocItem>,
    sched: schedule::Scheduler,
    /// Edits saved while paused, held for resume (Q20): record id -> changed fields (empty for a
    /// record not yet in the PSA).
    pending: BTreeMap<u64, BTreeSet<String>>,
    /// Pulled tickets by documentation id, read-only (R38).
    tickets: BTreeMap<u64, tickets::Ticket>,
}

impl Engine {
    pub fn new(conn: Connection, settings: Settings) -> Self {
        let http = Http::default();
        let sched = schedule::Scheduler::new(
            psa_core::clock::DEFAULT_EPOCH,
            settings.sync_interval_minutes,
        );
        let mut engine = Engine {
            personality: conn.personality,
            connection: conn.clone(),
            ever_enabled: BTreeMap::new(),
            client: client_for(conn, http.clone()),
            http,
            connected: false,
            settings,
            records: BTreeMap::new(),
            next_id: 1,
            log: Vec::new(),
            defects: BTreeSet::new(),
            items: BTreeMap::new(),
            sched,
            pending: BTreeMap::new(),
            tickets: BTreeMap::new(),
        };
        engine.remember_enabled();
        engine
    }

    pub fn with_defects(mut self, defects: impl IntoIterator<Item = Defect>) -> Self {
        self.defects.extend(defects);
        self.http.set_defects(TransportDefects {
            blind_create_retry: self.defects.contains(&Defect::RetryCreatesWithoutCheck),
            ignore_retry_after: self.defects.contains(&Defect::IgnoreRetryAfter),
            unchecked_company_ids: self
                .defects
                .contains(&Defect::DeriveCompanyIdsWithoutUniqueness),
            waits_off_clock: self.defects.contains(&Defect::WaitsOffTheSharedClock),
            retry_after_failed_lookup: self.defects.contains(&Defect::RetryWhenLookupFails),
            reread_account_pages: self.defects.contains(&Defect::AccountPagesReadTwice),
        });
        self
    }

    /// Shares the PSA's virtual clock: every wait before a retry moves the clock at `url` (a
    /// mock's `{origin}/__admin/clock`) and the engine's own timeline by the same amount.
    pub fn with_shared_clock(self, url: String) -> Self {
        self.http.share_clock(url);
        self
    }

    /// Retry attempts and backoff of every PSA request (defaults: [`RetryPolicy::default`]).
    pub fn with_retry_policy(self, policy: RetryPolicy) -> Self {
        self.http.set_policy(policy);
        self
    }

    /// Virtual seconds spent waiting before retries (never slept in real time).
    pub fn retry_wait_secs(&self) -> u64 {
        self.http.waited_secs()
    }

    pub fn personality(&self) -> Personality {
        self.personality
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn log(&self) -> &[String] {
        &self.log
    }

    fn say(&mut self, line: String) {
        // Retries happened before the outcome they led to: they come first.
        self.log.extend(self.http.take_notes());
        self.log.push(line);
        self.catch_up_waits();
    }

    // ---- starting state -------------------------------------------------------------------

    /// Lays down a record that existed before the case starts (never pushed by this).
    pub fn seed(&mut self, kind: Kind, fields: &Fields, source: Source) -> Result<u64, Rejection> {
        let fields = self.resolve_names(kind, fields)?;
        Ok(self.insert(kind, fields, source))
    }

    /// Documentation ids are shared by records and documentation-only items.
    fn allocate_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id - 1
    }

    fn insert(&mut self, kind: Kind, fields: Fields, source: Source) -> u64 {
        let id = self.allocate_id();
        self.records.insert(
            id,
            DocRecord {
                id,
                kind,
                fields,
                source,
                psa_id: None,
                orphaned: None,
                error: None,
                hold: None,
                disconnected_from: None,
            },
        );
        id
    }

    /// Turns `organization`, `parent` and `location` names into documentation ids.
    fn resolve_names(&self, kind: Kind, fields: &Fields) -> Result<Fields, Rejection> {
        self.resolve_references(kind, fields, true)
    }

    fn resolve_references(
        &self,
        kind: Kind,
        fields: &Fields,
        creating: bool,
    ) -> Result<Fields, Rejection> {
        let mut out = fields.clone();
        let org_name = out.remove("organization");
        if let Some(name) = org_name.as_ref().and_then(Value::as_str) {
            let id = self
                .find(Kind::Organization, |r| {
                    r.fields.get("name").and_then(Value::as_str) == Some(name)
                })
                .ok_or_else(|| Rejection::Invalid(format!("no organization named `{name}`")))?;
            out.insert("org".into(), json!(id));
        } else if creating && kind != Kind::Organization && !out.contains_key("org") {
            return Err(Rejection::Invalid(format!(
                "a {kind} needs an `organization`"
            )));
        }
        match out.remove("parent") {
            Some(Value::String(name)) => {
                let id = self
                    .find(Kind::Organization, |r| {
                        r.fields.get("name").and_then(Value::as_str) == Some(name.as_str())
                    })
                    .ok_or_else(|| Rejection::Invalid(format!("no organization named `{name}`")))?;
                out.insert("parent".into(), json!(id));
            }
            // A cleared parent is a change to save and push, not a member to drop.
            Some(Value::Null) => _ = out.insert("parent".into(), Value::Null),
            _ => {}
        }
        if let Some(name) = out.remove("location").as_ref().and_then(Value::as_str) {
            let org = out.get("org").cloned();
            let id = self
                .find(Kind::Location, |r| {
                    r.fields.get("name").and_then(Value::as_str) == Some(name)
                        && r.fields.get("org") == org.as_ref()
                })
                .ok_or_else(|| {
                    Rejection::Invalid(format!("no location named `{name}` in that organization"))
                })?;
            out.insert("location".into(), json!(id));
        }
        Ok(out)
    }

    fn find(&self, kind: Kind, pred: impl Fn(&DocRecord) -> bool) -> Option<u64> {
        self.records
            .values()
            .find(|r| r.kind == kind && pred(r))
            .map(|r| r.id)
    }

    /// Finds a record by kind and a name-like key (`name`, or `first_name last_name`).
    pub fn find_by_label(&self, kind: Kind, label: &str) -> Option<u64> {
        self.find(kind, |r| self.label(r) == label)
    }

    fn label(&self, r: &DocRecord) -> String {
        self.label_fields(r.kind, &r.fields)
    }

    /// How the log names a record of `kind` with these fields: a contact by its full name,
    /// anything else by its name.
    pub(super) fn label_fields(&self, kind: Kind, fields: &Fields) -> String {
        let text = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or("");
        match kind {
            Kind::Contact => format!("{} {}", text("first_name"), text("last_name"))
                .trim()
                .to_string(),
            _ => text("name").to_string(),
        }
    }

    // ---- settings ---------------------------------------------------------------------------

    /// Changes settings as a user would on the Sync Settings / Two-Way Sync Settings tabs.
    pub async fn change_settings(&mut self, change: &Map<String, Value>) -> Result<(), Rejection> {
        let mut merged =
            serde_json::to_value(&self.settings).map_err(|e| Rejection::Invalid(e.to_string()))?;
        let touches_gated = change.keys().any(|k| k != "plan" && k != "role");
        for (k, v) in change {
            merged[k] = v.clone();
        }
        let next: Settings = serde_json::from_value(merged)
            .map_err(|e| Rejection::Invalid(format!("settings: {e}")))?;
        if touches_gated && next.role < Role::Manager {
            self.say("settings change refused: only Managers and Administrators may change integration settings".into());
            return Err(Rejection::Forbidden);
        }
        if next.two_way && !self.settings.two_way && next.plan < Plan::Select {
            self.say("two-way sync refused: it requires a Select or Enterprise plan".into());
            return Err(Rejection::PlanNotEligible);
        }
        let enabling = next.two_way && !self.settings.two_way;
        let interval_changed = next.sync_interval_minutes != self.settings.sync_interval_minutes;
        self.settings = next;
        self.remember_enabled();
        if enabling {
            self.say(format!(
                "two-way sync with {} enabled",
                self.personality.display_name()
            ));
            if self.defects.contains(&Defect::PushPreexistingOnEnable) {
                let ids: Vec<u64> = self
                    .records
                    .values()
                    .filter(|r| r.psa_id.is_none())
                    .map(|r| r.id)
                    .collect();
                for id in ids {
                    self.push(id, false).await;
                }
            }
        }
        if touches_gated {
            self.settings_saved(interval_changed);
        }
        Ok(())
    }

    // ---- user actions -----------------------------------------------------------------------

    /// A user (or the API, CSV import, AD, RMM) creates a record; auto-push sources push it.
    pub async fn create(
        &mut self,
        kind: Kind,
        fields: &Fields,
        source: Source,
    ) -> Result<u64, Rejection> {
        let mut fields = self.resolve_names(kind, fields)?;
        let check = if self
            .defects
            .contains(&Defect::SkipConfigurationRequiredFields)
        {
            Ok(())
        } else {
            self.check_new_record(kind, &fields)
        };
        if let Err(e) = check {
            self.say(format!(
                "{kind} {}: not saved: {e}",
                self.label_fields(kind, &fields)
            ));
            return Err(e);
        }
        if kind == Kind::Contact && source == Source::ActiveDirectory {
            if let Some(existing) = self.ad_contact(&mut fields) {
                // An AD user matching a contact enriches it instead of adding a second one.
                fields.remove("org");
                self.edit(existing, &fields).await?;
                return Ok(existing);
            }
        }
        let id = self.insert(kind, fields, source);
        let rmm_defect =
            source == Source::Rmm && self.defects.contains(&Defect::AutoPushRmmConfigurations);
        if source.auto_pushes() || rmm_defect {
            if self.may_push(id, &Fields::new()) {
                self.push(id, false).await;
            }
        } else if self.settings.two_way {
            let label = self.label(&self.records[&id]);
            // Only the source is lower-cased: the label is the user's own text.
            let source = format!("{source:?}").to_lowercase();
            self.say(format!(
                "{kind} {label}: created from {source} data, not pushed automatically"
            ));
        }
        Ok(id)
    }

    /// A user edits and saves a record: mapped changes are pushed at once when two-way is on.
    pub async fn edit(&mut self, id: u64, set: &Fields) -> Result<(), Rejection> {
        let kind = self
            .records
            .get(&id)
            .map(|r| r.kind)
            .ok_or_else(|| Rejection::Invalid(format!("no record {id}")))?;
        let mut set = set.clone();
        if set.contains_key("location") && !set.contains_key("organization") {
            // A location name is looked up within the record's own organization.
            if let Some(org) = self.records[&id].fields.get("org") {
                set.insert("org".into(), org.clone());
            }
        }
        let resolved = self.resolve_references(kind, &set, false)?;
        let check = if self.defects.contains(&Defect::EditSyncedFieldsInOneWayMode) {
            Ok(())
        } else {
            self.check_editable(&self.records[&id], &resolved)
        };
        if let Err(e) = check {
            let label = self.label(&self.records[&id]);
            self.say(format!(
                "{kind} {label}: edit refused: {e} (synced from {})",
                self.personality.display_name()
            ));
            return Err(e);
        }
        let push_unchanged = self.defects.contains(&Defect::PushUnchangedSaves);
        let rec = self.records.get_mut(&id).expect("checked");
        let mut changed = Fields::new();
        for (k, v) in resolved {
            // An absent member and a null one are the same: clearing nothing is no change.
            if rec.fields.get(&k).unwrap_or(&Value::Null) != &v || push_unchanged {
                changed.insert(k.clone(), v.clone());
            }
            if v.is_null() {
                rec.fields.remove(&k);
            } else {
                rec.fields.insert(k, v);
            }
        }
        let linked = rec.psa_id.is_some();
        if !self.may_push(id, &changed) {
            return Ok(());
        }
        if linked {
            self.push_changes(id, &changed).await;
        } else {
            self.push(id, false).await;
        }
        Ok(())
    }

    /// The one-time push of all syncable assets (R80-R81): pull first so that records already
    /// in the PSA are linked rather than duplicated, then create every eligible unlinked record.
    pub async fn push_all(&mut self) -> Result<(), Rejection> {
        if self.settings.role < Role::Manager {
            return Err(Rejection::Forbidden);
        }
        self.integration_usable()?;
        if !self.settings.two_way {
            return Err(Rejection::Invalid(
                "the push of all syncable assets needs two-way sync".into(),
            ));
        }
        self.say(format!(
            "push of all syncable assets to {} started",
            self.personality.display_name()
        ));
        self.full_sync().await;
        for kind in Kind::ALL {
            let ids: Vec<u64> = self
                .records
                .values()
                .filter(|r| r.kind == kind && r.psa_id.is_none())
                .filter(|r| {
                    Self::standing(r)
                        || (r.disconnected_from.is_some()
                            && self.defects.contains(&Defect::PushAllTakesDisconnected))
                })
                .map(|r| r.id)
                .collect();
            for id in ids {
                self.push(id, true).await;
            }
        }
        Ok(())
    }

    // ---- state ------------------------------------------------------------------------------

    pub fn sync_state(&self, r: &DocRecord) -> SyncState {
        if r.disconnected_from.is_some() {
            SyncState::Disconnected
        } else if r.hold == Some(Hold::Disabled) {
            SyncState::Disabled
        } else if r.hold == Some(Hold::Paused) {
            SyncState::Paused
        } else if r.hold == Some(Hold::Archived) {
            SyncState::Archived
        } else if r.orphaned.is_some() {
            SyncState::Orphaned
        } else if r.error.is_some() {
            SyncState::Error
        } else if r.psa_id.is_some() {
            SyncState::Synced
        } else if self.settings.two_way && !self.sched.removed {
            SyncState::NotPushed
        } else {
            SyncState::Local
        }
    }

    /// The banner a user sees on a record not yet in the PSA while two-way is on (R47), with
    /// the reason when a PSA's own contact rule holds it back (R19).
    pub fn banner(&self, r: &DocRecord) -> Option<String> {
        matches!(self.sync_state(r), SyncState::NotPushed | SyncState::Error).then(|| {
            let mut b = format!(
                "Record not yet pushed to {}. To trigger a push, try updating the record.",
                self.personality.display_name()
            );
            let why = self.missing_location(r);
            if let Some(why) =
                why.filter(|w| r.error.is_none() && self.push_blocker(r).as_ref() == Some(w))
            {
                b.push_str(&format!(" Not pushed: {why}."));
            }
            b
        })
    }

    pub fn records(&self) -> impl Iterator<Item = &DocRecord> {
        self.records.values()
    }

    /// The documentation side in the outcome format: references by name, stable order.
    pub fn snapshot(&self) -> Value {
        let mut out = Map::new();
        out.insert(
            "settings".into(),
            serde_json::to_value(&self.settings).unwrap_or(Value::Null),
        );
        out.insert("type_states".into(), self.type_states());
        out.insert("integration".into(), self.integration_snapshot());
        for kind in Kind::ALL {
            let rows: Vec<Value> = self
                .records
                .values()
                .filter(|r| r.kind == kind)
                .map(|r| {
                    let mut m = Map::new();
                    m.insert("id".into(), json!(r.id));
                    for (k, v) in &r.fields {
                        let shown = match k.as_str() {
                            "org" => ("organization", self.ref_label(v)),
                            "parent" => ("parent", self.ref_label(v)),
                            "location" => ("location", self.ref_label(v)),
                            other => (other, v.clone()),
                        };
                        m.insert(shown.0.into(), shown.1);
                    }
                    m.insert(
                        "source".into(),
                        serde_json::to_value(r.source).unwrap_or(Value::Null),
                    );
                    m.insert(
                        "sync".into(),
                        serde_json::to_value(self.sync_state(r)).unwrap_or(Value::Null),
                    );
                    if let Some(p) = &r.psa_id {
                        m.insert("psa_id".into(), json!(p));
                    }
                    if let Some(b) = self.banner(r) {
                        m.insert("banner".into(), json!(b));
                    }
                    if let Some(e) = &r.error {
                        m.insert("error".into(), json!(e));
                    }
                    if !self.visible(r) {
                        m.insert("visible".into(), json!(false));
                    }
                    if let Some(o) = r.orphaned {
                        m.insert("orphan_reason".into(), json!(o));
                    }
                    if let Some(p) = &r.disconnected_from {
                        m.insert("disconnected_from".into(), json!(p));
                    }
                    if self.pending.contains_key(&r.id) {
                        m.insert("push_held".into(), json!(true));
                    }
                    Value::Object(m)
                })
                .collect();
            out.insert(kind.plural().into(), Value::Array(rows));
        }
        for kind in ItemKind::ALL {
            let rows: Vec<Value> = self
                .items
                .values()
                .filter(|i| i.kind == kind)
                .map(|i| {
                    let mut m = Map::new();
                    m.insert("id".into(), json!(i.id));
                    m.insert("organization".into(), self.ref_label(&json!(i.org)));
                    for (k, v) in &i.fields {
                        m.insert(k.clone(), v.clone());
                    }
                    Value::Object(m)
                })
                .collect();
            out.insert(kind.plural().into(), Value::Array(rows));
        }
        if let Some(tickets) = self.tickets_snapshot() {
            out.insert("tickets".into(), tickets);
        }
        Value::Object(out)
    }

    fn ref_label(&self, v: &Value) -> Value {
        v.as_u64()
            .and_then(|id| self.records.get(&id))
            .map(|r| json!(self.label(r)))
            .unwrap_or(Value::Null)
    }
}
