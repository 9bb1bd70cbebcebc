//! Orphans (R61-R64): after each kind is pulled, a linked record the pull did not reach is
//! orphaned: it keeps its data and stops syncing. A record missing from the PSA's list is
//! confirmed with a read of its own before it is orphaned, so one bad list never orphans data
//! wholesale; when that read fails the sync log says so (R67) and the record is left alone.

use super::{Defect, Engine};
use crate::model::{DocRecord, Hold, Orphan};
use crate::psa::{Kind, PsaRecord};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What the organization sweep learnt: PSA companies whose fate is unknown this sync (a read
/// failed, or the organization is held), so nothing inside them is orphaned either.
#[derive(Debug, Default)]
pub(super) struct Sweep {
    unknown_orgs: BTreeSet<String>,
}

/// What the sweep needs of one listed PSA record, taken before the pull moves the rows into
/// documentation records: its id, its company, and whether it meets the sync settings.
pub(super) struct Listed {
    id: String,
    org: Option<String>,
    pub(super) meets: bool,
}

impl Listed {
    pub(super) fn of(row: &PsaRecord, meets: bool) -> Listed {
        Listed {
            id: row.id.clone(),
            org: row
                .fields
                .get("org")
                .and_then(Value::as_str)
                .map(str::to_string),
            meets,
        }
    }
}

/// A record missing from the PSA's list, read on its own.
enum Missing {
    Gone,
    There,
    Unknown,
}

/// How the sync log names a PSA record kind ("Company with UID 12345 could not be pulled").
fn psa_noun(kind: Kind) -> &'static str {
    match kind {
        Kind::Organization => "Company",
        Kind::Location => "Location",
        Kind::Contact => "Contact",
        Kind::Configuration => "Configuration",
    }
}

impl Engine {
    /// Linked, not held and not already known to be deleted: a candidate for the sweep.
    fn sweepable(r: &DocRecord, kind: Kind) -> Option<String> {
        (r.kind == kind && r.hold.is_none() && r.orphaned != Some(Orphan::DeletedInPsa))
            .then(|| r.psa_id.clone())
            .flatten()
    }

    pub(super) async fn orphan_organizations(
        &mut self,
        listed: &[PsaRecord],
        synced: &BTreeMap<String, u64>,
    ) -> Sweep {
        let mut sweep = Sweep::default();
        let listed: BTreeSet<&str> = listed.iter().map(|r| r.id.as_str()).collect();
        let candidates: Vec<(u64, String)> = self
            .records
            .values()
            .filter_map(|r| Some((r.id, Self::sweepable(r, Kind::Organization)?)))
            .filter(|(_, p)| !synced.contains_key(p))
            .collect();
        for (id, psa_id) in candidates {
            let reason = if listed.contains(psa_id.as_str()) {
                Some(Orphan::NoLongerMeetsSyncSettings)
            } else {
                match self.read_missing(Kind::Organization, &psa_id).await {
                    Missing::Gone => Some(Orphan::DeletedInPsa),
                    Missing::There | Missing::Unknown => None,
                }
            };
            match reason {
                Some(reason) => self.orphan(id, reason),
                None => {
                    sweep.unknown_orgs.insert(psa_id);
                }
            }
        }
        sweep
    }

    /// `listed` is every PSA record of the kind (`None` when the kind is not pulled at all, as
    /// contacts with contacts sync off).
    pub(super) async fn orphan_children(
        &mut self,
        kind: Kind,
        listed: Option<&[Listed]>,
        synced_orgs: &BTreeMap<String, u64>,
        sweep: &Sweep,
    ) {
        fn org_of(row: &Listed) -> Option<&str> {
            row.org.as_deref()
        }
        let syncing = || listed.into_iter().flatten().filter(|r| r.meets);
        let reached: BTreeSet<&str> = syncing()
            .filter(|r| org_of(r).is_some_and(|o| synced_orgs.contains_key(o)))
            .map(|r| r.id.as_str())
            .collect();
        let meets: BTreeSet<&str> = syncing().map(|r| r.id.as_str()).collect();
        let listed_rows: Option<BTreeMap<&str, &Listed>> =
            listed.map(|l| l.iter().map(|r| (r.id.as_str(), r)).collect());
        let candidates: Vec<(u64, String, Option<u64>)> = self
            .records
            .values()
            .filter_map(|r| {
                let p = Self::sweepable(r, kind)?;
                let org = r.fields.get("org").and_then(Value::as_u64);
                Some((r.id, p, org))
            })
            .filter(|(_, p, _)| !reached.contains(p.as_str()))
            .collect();
        for (id, psa_id, doc_org) in candidates {
            let doc_org = doc_org.and_then(|o| self.records.get(&o));
            let org_unknown = doc_org
                .and_then(|o| o.psa_id.as_ref())
                .is_some_and(|p| sweep.unknown_orgs.contains(p));
            let org_stopped = doc_org.is_none_or(|o| o.orphaned.is_some());
            let reason = match &listed_rows {
                None => Some(Orphan::NoLongerMeetsSyncSettings),
                Some(rows) => match rows.get(psa_id.as_str()) {
                    Some(row) => {
                        let psa_org = org_of(row);
                        if psa_org.is_some_and(|o| sweep.unknown_orgs.contains(o)) {
                            None
                        } else if !psa_org.is_some_and(|o| synced_orgs.contains_key(o)) {
                            Some(Orphan::OrganizationStoppedSyncing)
                        } else if !meets.contains(psa_id.as_str()) {
                            Some(Orphan::NoLongerMeetsSyncSettings)
                        } else {
                            None
                        }
                    }
                    None if org_unknown => None,
                    None => match self.read_missing(kind, &psa_id).await {
                        Missing::Gone => Some(Orphan::DeletedInPsa),
                        Missing::There if org_stopped => Some(Orphan::OrganizationStoppedSyncing),
                        Missing::There | Missing::Unknown => None,
                    },
                },
            };
            if let Some(reason) = reason {
                self.orphan(id, reason);
            }
        }
    }

    /// Reads one record the list did not show; a failed read is logged (R67).
    async fn read_missing(&mut self, kind: Kind, psa_id: &str) -> Missing {
        match self.client.get(kind, psa_id).await {
            Ok(None) => Missing::Gone,
            Ok(Some(_)) => Missing::There,
            Err(e) => {
                self.say(format!(
                    "{} with UID {psa_id} could not be pulled: {e}",
                    psa_noun(kind)
                ));
                Missing::Unknown
            }
        }
    }

    /// Marks a record orphaned (R61, R62); an orphaned configuration turns Inactive (R63).
    pub(super) fn orphan(&mut self, id: u64, reason: Orphan) {
        if reason == Orphan::DeletedInPsa
            && self.defects.contains(&Defect::DeletedPsaRecordsNotOrphaned)
        {
            return;
        }
        let inactive = !self.defects.contains(&Defect::OrphansKeepStatus);
        let Some(rec) = self.records.get_mut(&id) else {
            return;
        };
        let first = rec.orphaned.is_none();
        rec.orphaned = Some(reason);
        self.pending.remove(&id);
        if rec.kind == Kind::Configuration && inactive {
            rec.fields.insert("status".into(), json!("Inactive"));
        }
        if first {
            let (kind, label) = (rec.kind, self.label(&self.records[&id]));
            let why = match reason {
                Orphan::DeletedInPsa => "deleted in the PSA",
                Orphan::NoLongerMeetsSyncSettings => "no longer meets the sync settings",
                Orphan::OrganizationStoppedSyncing => "its organization stopped syncing",
            };
            self.say(format!("{kind} {label}: orphaned ({why})"));
        }
    }

    /// Leaves out PSA records whose documentation copy was disconnected (R69).
    pub(super) fn without_disconnected(&self, kind: Kind, rows: Vec<PsaRecord>) -> Vec<PsaRecord> {
        if self.defects.contains(&Defect::DisconnectedRecordsRepulled) {
            return rows;
        }
        let gone: BTreeSet<&str> = self
            .records
            .values()
            .filter(|r| r.kind == kind)
            .filter_map(|r| r.disconnected_from.as_deref())
            .collect();
        rows.into_iter()
            .filter(|r| !gone.contains(r.id.as_str()))
            .collect()
    }

    /// A record a PSA record may link to by matching: unlinked and standing on its own (not
    /// disconnected or held), or an orphan whose PSA record was deleted and has been
    /// re-created (Q7).
    pub(super) fn matchable(r: &DocRecord) -> bool {
        let free = r.psa_id.is_none() && r.disconnected_from.is_none() && r.hold.is_none();
        free || r.orphaned == Some(Orphan::DeletedInPsa)
    }

    /// [`Self::matchable`], or any record at all when a PSA record may take over a linked one
    /// (the test-only defect).
    pub(super) fn may_match(&self, r: &DocRecord) -> bool {
        Self::matchable(r) || self.defects.contains(&Defect::LinkedRecordsTakenOver)
    }

    /// A held record (Disable sync, Manage Data pause) is not overwritten by the pull (R65).
    pub(super) fn held_from_pull(&self, id: u64) -> bool {
        let broken = self.defects.contains(&Defect::DisabledAssetsStillPulled);
        self.records
            .get(&id)
            .and_then(|r| r.hold)
            .is_some_and(|h| !(broken && h == Hold::Disabled))
    }
}
