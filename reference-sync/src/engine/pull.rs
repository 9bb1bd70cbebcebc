//! Pull: type and status filters, exact matching, the PSA wins, parents and children.

use super::orphans::{Listed, Sweep};
use super::{Defect, Engine};

use crate::model::Source;
use crate::psa::{index_key, same_record, Fields, Kind, Loosened, PsaError, PsaRecord};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// The documentation records of one kind, indexed for the pull: by PSA id, and (the records a
/// PSA row may match) by exact-match key, so linking each pulled row costs constant time
/// instead of a scan of every record (issue 10).
pub(super) struct PullIndex {
    kind: Kind,
    loose: Loosened,
    by_psa: HashMap<String, u64>,
    /// Matchable records by [`index_key`], in creation order (the first wins, Q5).
    by_key: Option<HashMap<String, Vec<u64>>>,
}

impl PullIndex {
    fn key(&self, fields: &Fields) -> String {
        Value::Array(index_key(self.kind, fields, self.loose)).to_string()
    }
}

impl Engine {
    /// A full sync run now: pulls organizations, locations, contacts and configurations (PSA
    /// wins), and tickets when ticket integration is on, with the integration's status
    /// changes (R78).
    pub async fn full_sync(&mut self) {
        self.run_sync(None).await;
    }

    /// Each kind is pulled, then the orphan sweep looks at the linked records it did not reach
    /// (R61-R64). Disconnected PSA records are left out before anything else (R69).
    pub(super) async fn pull_all(&mut self) -> Result<(), PsaError> {
        self.ensure_connected().await?;
        let orgs = self.pull_list(Kind::Organization).await?;
        let orgs = self.without_disconnected(Kind::Organization, orgs);
        let synced_orgs = self.pull_organizations(&orgs);
        let sweep = self.orphan_organizations(&orgs, &synced_orgs).await;
        let scope = self.child_scope(&synced_orgs);
        self.client.scope_children(&scope);
        let locations = self.pull_list(Kind::Location).await?;
        self.pull_and_sweep(Kind::Location, Some(locations), &synced_orgs, &sweep)
            .await;
        let contacts = match self.settings.contacts {
            true => Some(self.pull_list(Kind::Contact).await?),
            false => None,
        };
        self.pull_and_sweep(Kind::Contact, contacts, &synced_orgs, &sweep)
            .await;
        let configs = self.pull_list(Kind::Configuration).await?;
        self.pull_and_sweep(Kind::Configuration, Some(configs), &synced_orgs, &sweep)
            .await;
        self.pull_tickets(&synced_orgs).await
    }

    /// PSA companies whose children matter: every syncing one, and every one that holds a
    /// linked documentation location (so the orphan sweep still sees those).
    fn child_scope(&self, synced_orgs: &BTreeMap<String, u64>) -> Vec<String> {
        let mut scope: Vec<String> = synced_orgs.keys().cloned().collect();
        for r in self.records.values().filter(|r| r.kind == Kind::Location) {
            let org = r.fields.get("org").and_then(Value::as_u64);
            if let Some(psa) = org.and_then(|o| self.records.get(&o)?.psa_id.clone()) {
                scope.push(psa);
            }
        }
        scope.sort_by_key(|id| id.parse::<i64>().unwrap_or(i64::MAX));
        scope.dedup();
        scope
    }

    /// Pulls one kind of child record and sweeps its orphans; `listed` is `None` when the kind
    /// is not pulled at all (contacts with contacts sync off).
    async fn pull_and_sweep(
        &mut self,
        kind: Kind,
        listed: Option<Vec<PsaRecord>>,
        synced_orgs: &BTreeMap<String, u64>,
        sweep: &Sweep,
    ) {
        let Some(rows) = listed else {
            self.orphan_children(kind, None, synced_orgs, sweep).await;
            return;
        };
        let rows = self.without_disconnected(kind, rows);
        let listed: Vec<Listed> = rows
            .iter()
            .map(|r| Listed::of(r, self.meets_settings(kind, r)))
            .collect();
        // The rows move into the documentation records: 50,000 contacts are not copied.
        let syncing: Vec<PsaRecord> = rows
            .into_iter()
            .zip(&listed)
            .filter_map(|(r, l)| l.meets.then_some(r))
            .collect();
        self.pull_children(kind, syncing, synced_orgs);
        self.orphan_children(kind, Some(&listed), synced_orgs, sweep)
            .await;
    }

    /// Every PSA record of a kind (the client retries); a failure names the kind in the log.
    async fn pull_list(&mut self, kind: Kind) -> Result<Vec<PsaRecord>, PsaError> {
        let rows = self.client.list(kind).await;
        if let Err(e) = &rows {
            let psa = self.personality.display_name();
            self.say(format!(
                "{} could not be pulled from {psa}: {e}",
                kind.plural()
            ));
        }
        rows
    }

    /// Pulls companies that meet the type and status filters; returns PSA id -> doc id.
    pub(super) fn pull_organizations(&mut self, orgs: &[PsaRecord]) -> BTreeMap<String, u64> {
        let s = self.settings.clone();
        let mut linked = BTreeMap::new();
        let syncing: Vec<&PsaRecord> = orgs
            .iter()
            .filter(|o| {
                Self::in_list(&s.org_types, o.fields.get("type"))
                    && Self::in_list(&s.org_statuses, o.fields.get("status"))
            })
            .collect();
        let mut index = self.pull_index(Kind::Organization, true);
        for &org in &syncing {
            let doc_id = self.link_or_create(org.clone(), &mut index);
            linked.insert(org.id.clone(), doc_id);
        }
        // Parents after every organization exists (R31).
        for org in &syncing {
            let parent = org
                .fields
                .get("parent")
                .and_then(Value::as_str)
                .and_then(|p| linked.get(p))
                .copied()
                .filter(|_| !self.defects.contains(&Defect::IgnoreParentCompanies));
            let rec = self.records.get_mut(&linked[&org.id]).expect("linked");
            match parent {
                Some(p) => rec.fields.insert("parent".into(), json!(p)),
                None => rec.fields.remove("parent"),
            };
        }
        linked
    }

    pub(super) fn pull_children(
        &mut self,
        kind: Kind,
        rows: Vec<PsaRecord>,
        orgs: &BTreeMap<String, u64>,
    ) {
        let locations: BTreeMap<String, u64> = self
            .records
            .values()
            .filter(|r| r.kind == Kind::Location)
            .filter_map(|r| Some((r.psa_id.clone()?, r.id)))
            .collect();
        let mut index = self.pull_index(kind, true);
        for mut row in rows {
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
            // The doc side's ids in place of the PSA's.
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
            self.link_or_create(row, &mut index);
        }
    }

    /// The index [`Engine::link_or_create`] reads; without `matching` a row links only to the
    /// record already linked to it (Sync now on one asset).
    pub(super) fn pull_index(&self, kind: Kind, matching: bool) -> PullIndex {
        let mut index = PullIndex {
            kind,
            loose: Loosened {
                contacts_on_first_name: self
                    .defects
                    .contains(&Defect::MatchContactsOnFirstNameOnly),
                locations_without_country: self
                    .defects
                    .contains(&Defect::MatchLocationsIgnoringCountry),
            },
            by_psa: HashMap::new(),
            by_key: matching.then(HashMap::new),
        };
        for r in self.records.values().filter(|r| r.kind == kind) {
            if let Some(p) = &r.psa_id {
                index.by_psa.entry(p.clone()).or_insert(r.id);
            }
            if self.may_match(r) {
                let key = index.key(&r.fields);
                if let Some(by_key) = index.by_key.as_mut() {
                    by_key.entry(key).or_default().push(r.id);
                }
            }
        }
        index
    }

    /// Links a PSA record to the doc record already linked to it, else to an unlinked doc record
    /// that matches exactly (the first created, Q5), else creates a doc record. The PSA wins on
    /// every mapped field.
    pub(super) fn link_or_create(&mut self, row: PsaRecord, index: &mut PullIndex) -> u64 {
        let kind = index.kind;
        let linked = |id: &u64| {
            let r = self.records.get(id);
            r.is_some_and(|r| r.psa_id.as_deref() == Some(row.id.as_str()))
        };
        let existing = index
            .by_psa
            .get(&row.id)
            .copied()
            .filter(linked)
            .or_else(|| {
                let candidates = index.by_key.as_ref()?.get(&index.key(&row.fields))?;
                candidates.iter().copied().find(|id| {
                    self.records.get(id).is_some_and(|r| {
                        self.may_match(r) && same_record(kind, &row.fields, &r.fields, index.loose)
                    })
                })
            });
        if let Some(id) = existing.filter(|id| self.held_from_pull(*id)) {
            return id;
        }
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
        index.by_psa.entry(row.id.clone()).or_insert(id);
        let keep_org = self.defects.contains(&Defect::MovedRecordsKeepOrganization);
        let rec = self.records.get_mut(&id).expect("exists");
        // A member the PSA has emptied clears the linked record's value (the PSA wins, R29); a
        // record linked by this pull keeps what the PSA leaves empty (a match only fills in).
        let was_linked = rec.psa_id.as_deref() == Some(row.id.as_str());
        rec.psa_id = Some(row.id);
        rec.orphaned = None;
        for (k, v) in row.fields {
            if keep_org && k == "org" && rec.fields.contains_key("org") {
                continue;
            }
            if v.is_null() {
                if was_linked {
                    rec.fields.remove(&k);
                }
            } else {
                rec.fields.insert(k, v);
            }
        }
        id
    }
}
