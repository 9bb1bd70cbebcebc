//! Per-asset controls and user actions around sync: Disable sync and Sync now (R65, R66),
//! archiving (Q22),
//! sync errors (R67), deleting (R70, R71, Q6), merging organizations (R74), the gate every
//! save passes before a push (R72, Q20), and documentation-only items (R60).

use super::{Defect, Engine, Rejection};
use crate::model::{DocItem, DocRecord, Hold, ItemKind, Orphan, Role, WhilePaused};
use crate::psa::{Fields, Kind, PsaRecord};
use serde_json::{json, Value};
use std::collections::BTreeSet;

impl Engine {
    /// Linked to a PSA record and syncing: not orphaned, held or disconnected.
    pub(super) fn is_syncing(r: &DocRecord) -> bool {
        r.psa_id.is_some() && r.orphaned.is_none() && r.hold.is_none()
    }

    /// Neither orphaned, held nor disconnected: may be pushed when it meets the criteria.
    pub(super) fn standing(r: &DocRecord) -> bool {
        r.orphaned.is_none() && r.hold.is_none() && r.disconnected_from.is_none()
    }

    fn record(&self, id: u64) -> Result<&DocRecord, Rejection> {
        self.records
            .get(&id)
            .ok_or_else(|| Rejection::Invalid(format!("no record {id}")))
    }

    fn at_least(&self, role: Role) -> Result<(), Rejection> {
        match self.settings.role {
            r if r >= role => Ok(()),
            _ if role >= Role::Manager => Err(Rejection::Forbidden),
            _ => Err(Rejection::Refused(
                "Lite users have read-only access".into(),
            )),
        }
    }

    /// Every save passes here before a push. With two-way off the push paths stay quiet on
    /// their own. A paused integration holds the push for resume or drops it (Q20).
    pub(super) fn may_push(&mut self, id: u64, changed: &Fields) -> bool {
        if !self.settings.two_way {
            return true;
        }
        let Some(rec) = self.records.get(&id) else {
            return false;
        };
        let why = if self.sched.removed {
            Some("there is no PSA integration")
        } else if rec.disconnected_from.is_some() {
            Some("it is disconnected from the PSA")
        } else if rec.hold == Some(Hold::Disabled) {
            Some("sync is disabled for this asset")
        } else if rec.hold == Some(Hold::Paused) {
            Some("sync is paused for this asset")
        } else if rec.hold == Some(Hold::Archived) {
            Some("it is archived")
        } else if rec.orphaned.is_some() {
            Some("it is orphaned")
        } else {
            None
        };
        let (kind, label, linked) = (rec.kind, self.label(rec), rec.psa_id.is_some());
        if let Some(why) = why {
            self.say(format!("{kind} {label}: saved; not pushed: {why}"));
            return false;
        }
        if !self.sched.paused || self.defects.contains(&Defect::PauseDoesNotHoldPushes) {
            return true;
        }
        match self.settings.while_paused {
            WhilePaused::PushOnResume => {
                let held = self.pending.entry(id).or_default();
                if linked {
                    held.extend(changed.keys().cloned());
                }
                self.say(format!(
                    "{kind} {label}: saved while the integration is paused; push held until it resumes"
                ));
            }
            WhilePaused::PushOnNextSave => self.say(format!(
                "{kind} {label}: saved while the integration is paused; not pushed until its next save"
            )),
        }
        false
    }

    /// Pushes what was saved while paused, in record order.
    pub(super) async fn push_held(&mut self) {
        let held = std::mem::take(&mut self.pending);
        if !held.is_empty() {
            self.say(format!(
                "pushing {} record(s) saved while paused",
                held.len()
            ));
        }
        for (id, keys) in held {
            let Some(rec) = self.records.get(&id) else {
                continue;
            };
            if rec.psa_id.is_some() {
                let changed: Fields = keys
                    .into_iter()
                    .map(|k| {
                        let v = rec.fields.get(&k).cloned().unwrap_or(Value::Null);
                        (k, v)
                    })
                    .collect();
                self.push_changes(id, &changed).await;
            } else {
                self.push(id, false).await;
            }
        }
    }

    // ---- per-asset controls ---------------------------------------------------------------

    /// Puts a per-asset hold on, or takes it off. Disable sync (R65) keeps the link and stops
    /// pull and push; it needs a link, an integration and a Manager or Administrator; enabling
    /// takes effect at the next sync, where the PSA wins. Archiving (Q22) holds the same way,
    /// for any record and any role but Lite. Manage Data pauses are set in bulk elsewhere.
    pub fn set_hold(&mut self, id: u64, hold: Hold, on: bool) -> Result<(), Rejection> {
        match hold {
            Hold::Disabled => self.at_least(Role::Manager)?,
            Hold::Archived => self.at_least(Role::Editor)?,
            Hold::Paused => {
                return Err(Rejection::Invalid(
                    "records are paused from Manage Data".into(),
                ))
            }
        }
        let rec = self.record(id)?;
        let label = format!("{} {}", rec.kind, self.label(rec));
        let (word_on, word_off) = match hold {
            Hold::Disabled => ("sync disabled", "sync enabled"),
            Hold::Archived => ("archived", "restored from the archive"),
            Hold::Paused => ("paused", "resumed"),
        };
        if hold == Hold::Disabled {
            if self.sched.removed {
                return Err(Rejection::Refused("there is no PSA integration".into()));
            }
            if rec.psa_id.is_none() {
                return Err(Rejection::Refused(format!(
                    "{label} is not synced with the PSA"
                )));
            }
        }
        let next = match (on, rec.hold) {
            (true, Some(h)) if h == hold => {
                return Err(Rejection::Invalid(format!("{label}: already {word_on}")))
            }
            (true, _) => Some(hold),
            (false, Some(h)) if h == hold => None,
            (false, _) => {
                return Err(Rejection::Invalid(format!(
                    "{label}: nothing to undo, it is not {}",
                    word_on.trim_start_matches("sync ")
                )))
            }
        };
        if let Some(r) = self.records.get_mut(&id) {
            r.hold = next;
        }
        self.pending.remove(&id);
        self.say(format!("{label}: {}", if on { word_on } else { word_off }));
        Ok(())
    }

    /// Sync now (R66): refreshes one asset from the PSA at once (the PSA wins); an asset that
    /// is gone or no longer meets the settings is orphaned; a failure is the asset's error (R67).
    pub async fn sync_now(&mut self, id: u64) -> Result<String, Rejection> {
        self.at_least(Role::Editor)?;
        self.integration_usable()?;
        let rec = self.record(id)?.clone();
        let label = self.label(&rec);
        let kind = rec.kind;
        let Some(psa_id) = rec.psa_id.clone() else {
            return Err(Rejection::Refused(format!(
                "{kind} {label} is not synced with the PSA"
            )));
        };
        if rec.hold.is_some() {
            return Err(Rejection::Refused(format!(
                "{kind} {label}: sync is not enabled for this asset"
            )));
        }
        let got = match self.ensure_connected().await {
            Ok(()) => self.client.get(kind, &psa_id).await,
            Err(e) => Err(e),
        };
        let row = match got {
            Ok(Some(row)) => row,
            Ok(None) => {
                self.orphan(id, Orphan::DeletedInPsa);
                return Ok("orphaned".into());
            }
            Err(e) => {
                self.say(format!("{kind} {label}: Sync now failed: {e}"));
                if let Some(r) = self.records.get_mut(&id) {
                    r.error = Some(e.to_string());
                }
                return Ok("failed".into());
            }
        };
        if let Some(reason) = self.not_syncing_reason(kind, &row) {
            self.orphan(id, reason);
            return Ok("orphaned".into());
        }
        let row = self.to_doc_refs(row);
        let had_parent = row.fields.contains_key("parent");
        let mut index = self.pull_index(kind, false);
        self.link_or_create(row, &mut index);
        if let Some(r) = self.records.get_mut(&id) {
            r.error = None;
            if kind == Kind::Organization && !had_parent {
                r.fields.remove("parent");
            }
        }
        let label = self.label(&self.records[&id]);
        self.say(format!(
            "{kind} {label}: refreshed from {} (Sync now)",
            self.personality.display_name()
        ));
        Ok("refreshed".into())
    }

    /// Whether a PSA record meets the sync settings of its kind (type and status filters,
    /// contacts sync); locations have no filter of their own.
    pub(super) fn meets_settings(&self, kind: Kind, row: &PsaRecord) -> bool {
        let s = &self.settings;
        let meets = |types: &[String], statuses: &[String]| {
            Self::in_list(types, row.fields.get("type"))
                && Self::in_list(statuses, row.fields.get("status"))
        };
        match kind {
            Kind::Organization => meets(&s.org_types, &s.org_statuses),
            Kind::Configuration => meets(&s.config_types, &s.config_statuses),
            Kind::Contact => s.contacts,
            Kind::Location => true,
        }
    }

    /// Why a PSA record read on its own does not sync, with the filters the pull applies.
    fn not_syncing_reason(&self, kind: Kind, row: &PsaRecord) -> Option<Orphan> {
        if !self.meets_settings(kind, row) {
            return Some(Orphan::NoLongerMeetsSyncSettings);
        }
        let org_syncing = || {
            let psa_org = row.fields.get("org").and_then(Value::as_str);
            self.records.values().any(|r| {
                r.kind == Kind::Organization
                    && r.psa_id.as_deref() == psa_org
                    && r.orphaned.is_none()
            })
        };
        (kind != Kind::Organization && !org_syncing()).then_some(Orphan::OrganizationStoppedSyncing)
    }

    /// PSA references (`org`, `parent`, `location`) as documentation ids; unknown ones dropped.
    fn to_doc_refs(&self, mut row: PsaRecord) -> PsaRecord {
        for (key, kind) in [
            ("org", Kind::Organization),
            ("parent", Kind::Organization),
            ("location", Kind::Location),
        ] {
            let Some(psa) = row.fields.remove(key) else {
                continue;
            };
            let doc = self
                .find(kind, |r| r.psa_id.as_deref() == psa.as_str())
                .map(|id| json!(id));
            if let Some(doc) = doc {
                row.fields.insert(key.into(), doc);
            }
        }
        row
    }

    // ---- deleting and merging --------------------------------------------------------------

    /// Deletes a record in the documentation platform (R70, R71): refused while it (or, for an
    /// organization, anything inside it) is syncing; hard, and takes everything inside an
    /// organization. Never sent to the PSA (Q6).
    pub fn delete(&mut self, id: u64) -> Result<String, Rejection> {
        self.at_least(Role::Editor)?;
        let rec = self.record(id)?;
        let label = format!("{} {}", rec.kind, self.label(rec));
        let syncing = self
            .records
            .values()
            .filter(|r| r.id == id || (rec.kind == Kind::Organization && self.inside(r, id)))
            .any(Self::is_syncing);
        if syncing && !self.defects.contains(&Defect::SyncingAssetsDeletable) {
            self.say(format!(
                "{label}: delete refused: it is syncing with the PSA"
            ));
            return Err(Rejection::Refused(format!(
                "{label} is syncing with the PSA; disable its sync or disconnect it first"
            )));
        }
        let gone = self.purge(&[id]);
        self.say(format!("{label}: deleted ({gone} record(s) in all)"));
        Ok(format!("deleted {gone}"))
    }

    fn inside(&self, r: &DocRecord, org: u64) -> bool {
        r.kind != Kind::Organization && r.fields.get("org").and_then(Value::as_u64) == Some(org)
    }

    /// Hard-deletes records, and for organizations everything inside them, documentation-only
    /// items included (R71); references to what is gone are cleared. Returns how many went.
    pub(super) fn purge(&mut self, ids: &[u64]) -> usize {
        let mut gone: BTreeSet<u64> = ids.iter().copied().collect();
        for id in ids {
            if self
                .records
                .get(id)
                .is_some_and(|r| r.kind == Kind::Organization)
            {
                gone.extend(
                    self.records
                        .values()
                        .filter(|r| self.inside(r, *id))
                        .map(|r| r.id),
                );
            }
        }
        let items: Vec<u64> = self
            .items
            .values()
            .filter(|i| gone.contains(&i.org))
            .map(|i| i.id)
            .collect();
        for id in &gone {
            self.records.remove(id);
            self.pending.remove(id);
        }
        for id in &items {
            self.items.remove(id);
        }
        // Tickets inside a deleted organization go with it until a sync brings them back.
        self.tickets.retain(|_, t| {
            t.fields
                .get("org")
                .and_then(Value::as_u64)
                .is_none_or(|o| !gone.contains(&o))
        });
        for r in self.records.values_mut() {
            for key in ["parent", "location"] {
                if r.fields
                    .get(key)
                    .and_then(Value::as_u64)
                    .is_some_and(|v| gone.contains(&v))
                {
                    r.fields.remove(key);
                }
            }
        }
        gone.len() + items.len()
    }

    /// Merges organization `source` into `target` (R74): refused while the source syncs
    /// (disconnect it first; keep the syncing one as the target). Everything inside the
    /// source moves to the target; the source is deleted.
    pub fn merge(&mut self, source: u64, target: u64) -> Result<String, Rejection> {
        self.at_least(Role::Manager)?;
        let (s, t) = (self.record(source)?, self.record(target)?);
        if s.kind != Kind::Organization || t.kind != Kind::Organization || source == target {
            return Err(Rejection::Invalid(
                "merge takes two different organizations".into(),
            ));
        }
        let (s_label, t_label) = (self.label(s), self.label(t));
        let linked = |r: &DocRecord| r.psa_id.is_some() && r.orphaned.is_none();
        if linked(s) {
            let why = if linked(t) {
                format!("both organizations sync with the PSA; disconnect {s_label} first")
            } else {
                format!(
                    "{s_label} syncs with the PSA; keep it as the target or disconnect it first"
                )
            };
            self.say(format!("merge of {s_label} into {t_label} refused: {why}"));
            return Err(Rejection::Refused(why));
        }
        let mut moved = 0;
        for r in self.records.values_mut() {
            let key = if r.kind == Kind::Organization {
                "parent"
            } else {
                "org"
            };
            if r.fields.get(key).and_then(Value::as_u64) == Some(source) {
                r.fields.insert(key.into(), json!(target));
                moved += 1;
            }
        }
        for i in self.items.values_mut().filter(|i| i.org == source) {
            i.org = target;
            moved += 1;
        }
        for t in self.tickets.values_mut() {
            if t.fields.get("org").and_then(Value::as_u64) == Some(source) {
                t.fields.insert("org".into(), json!(target));
            }
        }
        self.records.remove(&source);
        self.pending.remove(&source);
        self.say(format!(
            "organization {s_label} merged into {t_label} ({moved} record(s) moved)"
        ));
        Ok(format!("merged {moved}"))
    }

    // ---- documentation-only items ----------------------------------------------------------

    /// A password or document inside an organization: kept in the documentation platform
    /// only, never pushed (R60).
    pub fn create_item(&mut self, kind: ItemKind, fields: &Fields) -> Result<u64, Rejection> {
        let mut fields = fields.clone();
        let org = match fields.remove("organization") {
            Some(Value::String(name)) => self
                .find_by_label(Kind::Organization, &name)
                .ok_or_else(|| Rejection::Invalid(format!("no organization named `{name}`")))?,
            _ => {
                return Err(Rejection::Invalid(format!(
                    "a {} needs an `organization`",
                    kind.plural().trim_end_matches('s')
                )))
            }
        };
        let id = self.allocate_id();
        self.items.insert(
            id,
            DocItem {
                id,
                kind,
                org,
                fields,
            },
        );
        Ok(id)
    }

    pub fn find_item(&self, kind: ItemKind, name: &str) -> Option<u64> {
        self.items
            .values()
            .find(|i| i.kind == kind && i.fields.get("name").and_then(Value::as_str) == Some(name))
            .map(|i| i.id)
    }

    /// Edits a documentation-only item; nothing travels to the PSA (R60).
    pub fn edit_item(&mut self, id: u64, set: &Fields) -> Result<(), Rejection> {
        let item = self
            .items
            .get_mut(&id)
            .ok_or_else(|| Rejection::Invalid(format!("no item {id}")))?;
        for (k, v) in set {
            if v.is_null() {
                item.fields.remove(k);
            } else {
                item.fields.insert(k.clone(), v.clone());
            }
        }
        Ok(())
    }
}
