//! Pull: type and status filters, exact matching, the PSA wins, parents and children.

use super::{match_key, Engine};
use crate::model::{DocRecord, Source};
use crate::psa::{Fields, Kind, PsaError, PsaRecord};
use serde_json::{json, Value};
use std::collections::BTreeMap;

impl Engine {
    /// A full sync: pulls organizations, locations, contacts and configurations (PSA wins).
    pub async fn full_sync(&mut self) {
        self.say(format!(
            "full sync with {} started",
            self.personality.display_name()
        ));
        if let Err(e) = self.pull_all().await {
            // Q9: what was pulled before the failure stays; the next sync pulls again.
            self.say(format!(
                "full sync failed: {e}; records pulled before it are kept"
            ));
            return;
        }
        self.say("full sync finished".into());
    }

    pub(super) async fn pull_all(&mut self) -> Result<(), PsaError> {
        self.ensure_connected().await?;
        let orgs = self.pull_list(Kind::Organization).await?;
        let synced_orgs = self.pull_organizations(orgs);
        let locations = self.pull_list(Kind::Location).await?;
        self.pull_children(Kind::Location, locations, &synced_orgs);
        if self.settings.contacts {
            let contacts = self.pull_list(Kind::Contact).await?;
            self.pull_children(Kind::Contact, contacts, &synced_orgs);
        }
        let configs = self.pull_list(Kind::Configuration).await?;
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
    pub(super) fn pull_organizations(&mut self, orgs: Vec<PsaRecord>) -> BTreeMap<String, u64> {
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
    pub(super) fn link_or_create(
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

    pub(super) fn label_fields(&self, kind: Kind, fields: &Fields) -> String {
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
}
