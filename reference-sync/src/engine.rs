//! The sync engine: settings gates, pull (PSA wins, exact matching), push on save, the
//! one-time push of all syncable assets, banners and the sync log.

use crate::clients::client_for;
use crate::model::{DocRecord, Plan, Role, Settings, Source, SyncState};
use crate::psa::{Connection, Fields, Kind, PsaClient, PsaError, PsaRecord, PushContext};
use mock_psa::Personality;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Deliberate defects, for proving the suite has teeth. Never set outside tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Defect {
    /// Switching two-way on pushes every record that already existed (breaks R46).
    PushPreexistingOnEnable,
    /// Kaseya BMS contacts are pushed without an e-mail type (breaks R18).
    PushBmsContactsWithoutEmailType,
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
    client: Box<dyn PsaClient>,
    connected: bool,
    settings: Settings,
    records: BTreeMap<u64, DocRecord>,
    next_id: u64,
    log: Vec<String>,
    defects: BTreeSet<Defect>,
}

impl Engine {
    pub fn new(conn: Connection, settings: Settings) -> Self {
        Engine {
            personality: conn.personality,
            client: client_for(conn),
            connected: false,
            settings,
            records: BTreeMap::new(),
            next_id: 1,
            log: Vec::new(),
            defects: BTreeSet::new(),
        }
    }

    pub fn with_defects(mut self, defects: impl IntoIterator<Item = Defect>) -> Self {
        self.defects.extend(defects);
        self
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
        self.log.push(line);
    }

    // ---- starting state -------------------------------------------------------------------

    /// Lays down a record that existed before the case starts (never pushed by this).
    pub fn seed(&mut self, kind: Kind, fields: &Fields, source: Source) -> Result<u64, Rejection> {
        let fields = self.resolve_names(kind, fields)?;
        Ok(self.insert(kind, fields, source))
    }

    fn insert(&mut self, kind: Kind, fields: Fields, source: Source) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.records.insert(
            id,
            DocRecord {
                id,
                kind,
                fields,
                source,
                psa_id: None,
                orphaned: false,
                error: None,
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
        if let Some(name) = out.remove("parent").as_ref().and_then(Value::as_str) {
            let id = self
                .find(Kind::Organization, |r| {
                    r.fields.get("name").and_then(Value::as_str) == Some(name)
                })
                .ok_or_else(|| Rejection::Invalid(format!("no organization named `{name}`")))?;
            out.insert("parent".into(), json!(id));
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
        match r.kind {
            Kind::Contact => format!(
                "{} {}",
                r.fields
                    .get("first_name")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
                r.fields
                    .get("last_name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            )
            .trim()
            .to_string(),
            _ => r
                .fields
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
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
        self.settings = next;
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
        let fields = self.resolve_names(kind, fields)?;
        let id = self.insert(kind, fields, source);
        if source.auto_pushes() {
            self.push(id, false).await;
        } else if self.settings.two_way {
            let label = self.label(&self.records[&id]);
            self.say(
                format!("{kind} {label}: created from {source:?} data, not pushed automatically")
                    .to_lowercase(),
            );
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
        let rec = self.records.get_mut(&id).expect("checked");
        let mut changed = Fields::new();
        for (k, v) in resolved {
            if rec.fields.get(&k) != Some(&v) {
                changed.insert(k.clone(), v.clone());
            }
            if v.is_null() {
                rec.fields.remove(&k);
            } else {
                rec.fields.insert(k, v);
            }
        }
        if rec.psa_id.is_some() {
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
                .filter(|r| r.kind == kind && r.psa_id.is_none() && !r.orphaned)
                .map(|r| r.id)
                .collect();
            for id in ids {
                self.push(id, true).await;
            }
        }
        Ok(())
    }

    // ---- push -------------------------------------------------------------------------------

    fn ctx(&self) -> PushContext {
        PushContext {
            contact_type: self.settings.contact_type.clone(),
            email_type: self.settings.email_type.clone(),
            phone_type: self.settings.phone_type.clone(),
            account_manager: self.settings.account_manager.clone(),
        }
    }

    fn in_list(list: &[String], value: Option<&Value>) -> bool {
        value
            .and_then(Value::as_str)
            .is_some_and(|v| list.iter().any(|l| l.eq_ignore_ascii_case(v)))
    }

    /// Why a record cannot be pushed now, if it cannot.
    fn push_blocker(&self, rec: &DocRecord) -> Option<String> {
        let s = &self.settings;
        if !s.two_way {
            return Some("two-way sync is off".into());
        }
        let parent_linked = |key: &str| {
            rec.fields
                .get(key)
                .and_then(Value::as_u64)
                .and_then(|id| self.records.get(&id))
                .is_some_and(|o| o.psa_id.is_some())
        };
        match rec.kind {
            Kind::Organization => {
                if !Self::in_list(&s.org_types, rec.fields.get("type"))
                    || !Self::in_list(&s.org_statuses, rec.fields.get("status"))
                {
                    return Some("its type and status are not set to sync".into());
                }
            }
            Kind::Location | Kind::Contact | Kind::Configuration => {
                if !parent_linked("org") {
                    return Some("its organization is not synced".into());
                }
            }
        }
        if rec.kind == Kind::Configuration {
            if self.personality == Personality::Connectwise && !rec.fields.contains_key("status") {
                return Some("ConnectWise configurations need a status".into());
            }
            if !Self::in_list(&s.config_types, rec.fields.get("type"))
                || !Self::in_list(&s.config_statuses, rec.fields.get("status"))
            {
                return Some("its type and status are not set to sync".into());
            }
            let has = |k: &str| {
                rec.fields
                    .get(k)
                    .and_then(Value::as_str)
                    .is_some_and(|v| !v.is_empty())
            };
            if self.personality == Personality::Autotask && !(has("manufacturer") && has("model")) {
                return Some("Autotask configurations need a manufacturer and model".into());
            }
        }
        if rec.kind == Kind::Contact
            && self.personality == Personality::Bms
            && s.email_type.is_none()
            && !self
                .defects
                .contains(&Defect::PushBmsContactsWithoutEmailType)
        {
            return Some(
                "no e-mail type is chosen in two-way settings (Kaseya BMS needs one)".into(),
            );
        }
        None
    }

    async fn ensure_connected(&mut self) -> Result<(), PsaError> {
        if !self.connected {
            self.client.connect().await?;
            self.connected = true;
        }
        Ok(())
    }

    /// Translates documentation references into PSA ids for the client.
    fn to_psa_fields(&self, fields: &Fields) -> Fields {
        let mut out = fields.clone();
        for key in ["org", "parent", "location"] {
            if let Some(doc_id) = fields.get(key).and_then(Value::as_u64) {
                match self.records.get(&doc_id).and_then(|r| r.psa_id.clone()) {
                    Some(psa) => out.insert(key.into(), json!(psa)),
                    None => out.remove(key),
                };
            }
        }
        out
    }

    /// Creates an unlinked record in the PSA if it meets the push criteria.
    async fn push(&mut self, id: u64, bulk: bool) {
        let Some(rec) = self.records.get(&id).cloned() else {
            return;
        };
        let label = self.label(&rec);
        if let Some(reason) = self.push_blocker(&rec) {
            if self.settings.two_way {
                self.say(format!("{} {label}: not pushed: {reason}", rec.kind));
            }
            return;
        }
        let fields = self.to_psa_fields(&rec.fields);
        let ctx = self.ctx();
        let result = match self.ensure_connected().await {
            Ok(()) => self.client.create(rec.kind, &fields, &ctx).await,
            Err(e) => Err(e),
        };
        let verb = if bulk { "pushed (bulk)" } else { "pushed" };
        match result {
            Ok(psa_id) => {
                self.say(format!(
                    "{} {label}: {verb} to {} as {psa_id}",
                    rec.kind,
                    self.personality.display_name()
                ));
                let r = self.records.get_mut(&id).expect("exists");
                r.psa_id = Some(psa_id);
                r.error = None;
            }
            Err(e) => self.fail(id, &label, rec.kind, e),
        }
    }

    async fn push_changes(&mut self, id: u64, changed: &Fields) {
        let Some(rec) = self.records.get(&id).cloned() else {
            return;
        };
        let label = self.label(&rec);
        if !self.settings.two_way || changed.is_empty() || rec.orphaned {
            return;
        }
        let psa_id = rec.psa_id.clone().expect("linked");
        let mut fields = self.to_psa_fields(changed);
        if rec.kind == Kind::Location {
            // Site routes live under their company.
            if let Some(org) = self.to_psa_fields(&rec.fields).get("org") {
                fields.entry("org".to_string()).or_insert(org.clone());
            }
        }
        let ctx = self.ctx();
        let result = match self.ensure_connected().await {
            Ok(()) => self.client.update(rec.kind, &psa_id, &fields, &ctx).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                let names: Vec<&str> = changed.keys().map(String::as_str).collect();
                self.say(format!(
                    "{} {label}: pushed changes to {} ({})",
                    rec.kind,
                    self.personality.display_name(),
                    names.join(", ")
                ));
                self.records.get_mut(&id).expect("exists").error = None;
            }
            Err(e) => self.fail(id, &label, rec.kind, e),
        }
    }

    fn fail(&mut self, id: u64, label: &str, kind: Kind, e: PsaError) {
        self.say(format!("{kind} {label}: push failed: {e}"));
        if let Some(r) = self.records.get_mut(&id) {
            r.error = Some(e.to_string());
        }
    }

    // ---- pull -------------------------------------------------------------------------------

    /// A full sync: pulls organizations, locations, contacts and configurations (PSA wins).
    pub async fn full_sync(&mut self) {
        self.say(format!(
            "full sync with {} started",
            self.personality.display_name()
        ));
        if let Err(e) = self.pull_all().await {
            self.say(format!("full sync failed: {e}"));
            return;
        }
        self.say("full sync finished".into());
    }

    async fn pull_all(&mut self) -> Result<(), PsaError> {
        self.ensure_connected().await?;
        let orgs = self.client.list(Kind::Organization).await?;
        let synced_orgs = self.pull_organizations(orgs);
        let locations = self.client.list(Kind::Location).await?;
        self.pull_children(Kind::Location, locations, &synced_orgs);
        if self.settings.contacts {
            let contacts = self.client.list(Kind::Contact).await?;
            self.pull_children(Kind::Contact, contacts, &synced_orgs);
        }
        let configs = self.client.list(Kind::Configuration).await?;
        let s = self.settings.clone();
        let configs = configs
            .into_iter()
            .filter(|c| {
                Self::in_list(&s.config_types, c.fields.get("type"))
                    && Self::in_list(&s.config_statuses, c.fields.get("status"))
            })
            .collect();
        self.pull_children(Kind::Configuration, configs, &synced_orgs);
        Ok(())
    }

    /// Pulls companies that meet the type and status filters; returns PSA id -> doc id.
    fn pull_organizations(&mut self, orgs: Vec<PsaRecord>) -> BTreeMap<String, u64> {
        let s = self.settings.clone();
        let mut linked = BTreeMap::new();
        let syncing: Vec<PsaRecord> = orgs
            .into_iter()
            .filter(|o| {
                Self::in_list(&s.org_types, o.fields.get("type"))
                    && Self::in_list(&s.org_statuses, o.fields.get("status"))
            })
            .collect();
        for org in &syncing {
            let doc_id = self.link_or_create(Kind::Organization, org, |_, r| {
                r.fields.get("name") == org.fields.get("name")
            });
            linked.insert(org.id.clone(), doc_id);
        }
        // Parents after every organization exists (R31).
        for org in &syncing {
            let parent = org
                .fields
                .get("parent")
                .and_then(Value::as_str)
                .and_then(|p| linked.get(p))
                .copied();
            let rec = self.records.get_mut(&linked[&org.id]).expect("linked");
            match parent {
                Some(p) => rec.fields.insert("parent".into(), json!(p)),
                None => rec.fields.remove("parent"),
            };
        }
        linked
    }

    fn pull_children(&mut self, kind: Kind, rows: Vec<PsaRecord>, orgs: &BTreeMap<String, u64>) {
        let locations: BTreeMap<String, u64> = self
            .records
            .values()
            .filter(|r| r.kind == Kind::Location)
            .filter_map(|r| Some((r.psa_id.clone()?, r.id)))
            .collect();
        for row in rows {
            // Records of companies that do not sync are ignored (R12).
            let Some(org) = row
                .fields
                .get("org")
                .and_then(Value::as_str)
                .and_then(|o| orgs.get(o))
                .copied()
            else {
                continue;
            };
            let mut row = row;
            row.fields.insert("org".into(), json!(org));
            match row
                .fields
                .get("location")
                .and_then(Value::as_str)
                .and_then(|l| locations.get(l))
            {
                Some(loc) => row.fields.insert("location".into(), json!(*loc)),
                None => row.fields.remove("location"),
            };
            let key = match_key(kind, &row.fields);
            self.link_or_create(kind, &row, |_, r| match_key(kind, &r.fields) == key);
        }
    }

    /// Links a PSA record to the doc record already linked to it, else to an unlinked doc record
    /// that matches exactly, else creates a doc record. The PSA wins on every mapped field.
    fn link_or_create(
        &mut self,
        kind: Kind,
        row: &PsaRecord,
        matches: impl Fn(&Self, &DocRecord) -> bool,
    ) -> u64 {
        let existing = self
            .find(kind, |r| r.psa_id.as_deref() == Some(row.id.as_str()))
            .or_else(|| {
                self.records
                    .values()
                    .find(|r| r.kind == kind && r.psa_id.is_none() && matches(self, r))
                    .map(|r| r.id)
            });
        let id = match existing {
            Some(id) => id,
            None => {
                let id = self.insert(kind, Fields::new(), Source::Psa);
                let label = self.label_fields(kind, &row.fields);
                self.say(format!(
                    "{kind} {label}: pulled from {}",
                    self.personality.display_name()
                ));
                id
            }
        };
        let rec = self.records.get_mut(&id).expect("exists");
        rec.psa_id = Some(row.id.clone());
        rec.orphaned = false;
        for (k, v) in &row.fields {
            rec.fields.insert(k.clone(), v.clone());
        }
        id
    }

    fn label_fields(&self, kind: Kind, fields: &Fields) -> String {
        self.label(&DocRecord {
            id: 0,
            kind,
            fields: fields.clone(),
            source: Source::Psa,
            psa_id: None,
            orphaned: false,
            error: None,
        })
    }

    // ---- state ------------------------------------------------------------------------------

    pub fn sync_state(&self, r: &DocRecord) -> SyncState {
        if r.orphaned {
            SyncState::Orphaned
        } else if r.error.is_some() {
            SyncState::Error
        } else if r.psa_id.is_some() {
            SyncState::Synced
        } else if self.settings.two_way {
            SyncState::NotPushed
        } else {
            SyncState::Local
        }
    }

    /// The banner a user sees on a record not yet in the PSA while two-way is on (R47).
    pub fn banner(&self, r: &DocRecord) -> Option<String> {
        matches!(self.sync_state(r), SyncState::NotPushed | SyncState::Error).then(|| {
            format!(
                "Record not yet pushed to {}. To trigger a push, try updating the record.",
                self.personality.display_name()
            )
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
                    Value::Object(m)
                })
                .collect();
            out.insert(kind.plural().into(), Value::Array(rows));
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

/// Exact-match keys (R21-R25): organizations by name; contacts by organization and name;
/// locations by organization and address; configurations by organization, type and name, and
/// by serial and MAC where both sides have them.
fn match_key(kind: Kind, f: &Fields) -> Vec<Value> {
    let g = |k: &str| f.get(k).cloned().unwrap_or(Value::Null);
    match kind {
        Kind::Organization => vec![g("name")],
        Kind::Contact => vec![g("org"), g("first_name"), g("last_name")],
        Kind::Location => vec![
            g("org"),
            g("address1"),
            g("address2"),
            g("city"),
            g("state"),
            g("country"),
            g("name"),
        ],
        Kind::Configuration => vec![g("org"), g("type"), g("name"), g("serial_number")],
    }
}
