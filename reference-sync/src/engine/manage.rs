//! Manage Data bulk actions by type or status (R68-R71, Q21, Q25), pausing and resuming the
//! integration (R72, Q20) and removing it (R73). All of them need a Manager or an
//! Administrator (R2).

use super::{Engine, Rejection};
use crate::model::{DocRecord, Hold, Role};
use crate::psa::Kind;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManageAction {
    /// Stop syncing, keep links (Q25: both directions, the records chosen now).
    Pause,
    /// Undo a pause.
    Resume,
    /// Drop links, keep the data stand-alone; not pulled again until reconnected (R69).
    Disconnect,
    /// Link again to the stored PSA record (Q21).
    Reconnect,
    /// Drop links and hard-delete, with everything inside (R71).
    Delete,
}

impl ManageAction {
    fn past(self) -> &'static str {
        match self {
            ManageAction::Pause => "paused",
            ManageAction::Resume => "resumed",
            ManageAction::Disconnect => "disconnected",
            ManageAction::Reconnect => "reconnected",
            ManageAction::Delete => "deleted",
        }
    }

    /// Whether the action does anything to this record.
    fn applies(self, r: &DocRecord) -> bool {
        match self {
            ManageAction::Pause => r.psa_id.is_some() && r.hold.is_none() && r.orphaned.is_none(),
            ManageAction::Resume => r.hold == Some(Hold::Paused),
            ManageAction::Disconnect => r.psa_id.is_some(),
            ManageAction::Reconnect => r.disconnected_from.is_some(),
            ManageAction::Delete => r.psa_id.is_some() || r.disconnected_from.is_some(),
        }
    }
}

/// Which synced items a Manage Data action takes: a kind, and a type, a status or one record
/// by name (every one given must match).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    pub kind: Kind,
    #[serde(default, rename = "type")]
    pub type_name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub record: Option<String>,
}

/// How the integration is removed (R73).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Removal {
    /// Unlink everything and keep stand-alone copies.
    Disconnect,
    /// Delete every organization synced with the PSA and everything inside it.
    Delete,
}

impl Engine {
    fn selected(&self, sel: &Selector, r: &DocRecord) -> bool {
        let field = |k: &str, want: &Option<String>| {
            want.as_deref()
                .is_none_or(|w| r.fields.get(k).and_then(Value::as_str) == Some(w))
        };
        r.kind == sel.kind
            && field("type", &sel.type_name)
            && field("status", &sel.status)
            && sel.record.as_deref().is_none_or(|n| self.label(r) == n)
    }

    /// A Manage Data bulk action. An action on organizations takes the items inside them too.
    pub fn manage_data(
        &mut self,
        action: ManageAction,
        sel: &Selector,
    ) -> Result<String, Rejection> {
        if self.settings.role < Role::Manager {
            return Err(Rejection::Forbidden);
        }
        if self.sched.removed {
            return Err(Rejection::Refused("there is no PSA integration".into()));
        }
        if sel.type_name.is_none() && sel.status.is_none() && sel.record.is_none() {
            return Err(Rejection::Invalid(
                "Manage Data needs a type, a status or a record".into(),
            ));
        }
        let chosen: Vec<u64> = self
            .records
            .values()
            .filter(|r| self.selected(sel, r) && action.applies(r))
            .map(|r| r.id)
            .collect();
        let inside: Vec<u64> = self
            .records
            .values()
            .filter(|r| {
                r.kind != Kind::Organization
                    && r.fields
                        .get("org")
                        .and_then(Value::as_u64)
                        .is_some_and(|o| chosen.contains(&o))
                    && action.applies(r)
            })
            .map(|r| r.id)
            .collect();
        let noun = format!("{}(s)", sel.kind);
        if action == ManageAction::Delete {
            let gone = self.purge(&chosen);
            self.say(format!(
                "manage data: deleted {} {noun} ({gone} record(s) in all)",
                chosen.len()
            ));
            return Ok(format!("deleted {gone}"));
        }
        for id in chosen.iter().chain(&inside) {
            let Some(r) = self.records.get_mut(id) else {
                continue;
            };
            match action {
                ManageAction::Pause => r.hold = Some(Hold::Paused),
                ManageAction::Resume => r.hold = None,
                ManageAction::Disconnect => {
                    r.disconnected_from = r.psa_id.take();
                    r.hold = None;
                    r.orphaned = None;
                    r.error = None;
                }
                ManageAction::Reconnect => r.psa_id = r.disconnected_from.take(),
                ManageAction::Delete => {}
            }
            self.pending.remove(id);
        }
        self.say(format!(
            "manage data: {} {} {noun} ({} record(s) inside)",
            action.past(),
            chosen.len(),
            inside.len()
        ));
        Ok(format!("{} {}", action.past(), chosen.len() + inside.len()))
    }

    /// Pause Sync (R72): no sync runs until resumed; users can still edit (Q20 decides what
    /// happens to their saves).
    pub fn pause(&mut self) -> Result<(), Rejection> {
        if self.settings.role < Role::Manager {
            return Err(Rejection::Forbidden);
        }
        self.integration_usable()?;
        self.sched.paused = true;
        self.say(format!(
            "sync with {} paused; integration status: Paused",
            self.personality.display_name()
        ));
        Ok(())
    }

    /// Resume Sync (R72): held saves are pushed; queued syncs run when a worker next looks.
    pub async fn resume(&mut self) -> Result<(), Rejection> {
        if self.settings.role < Role::Manager {
            return Err(Rejection::Forbidden);
        }
        if self.sched.removed {
            return Err(Rejection::Refused("there is no PSA integration".into()));
        }
        if !self.sched.paused {
            return Err(Rejection::Invalid("the integration is not paused".into()));
        }
        self.sched.paused = false;
        let status = serde_json::to_value(self.sched.status())
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        self.say(format!(
            "sync with {} resumed; integration status: {status}",
            self.personality.display_name()
        ));
        self.push_held().await;
        Ok(())
    }

    /// Removes the integration (R73): nothing syncs afterwards and no record stays linked.
    pub fn remove_integration(&mut self, how: Removal) -> Result<String, Rejection> {
        if self.settings.role < Role::Manager {
            return Err(Rejection::Forbidden);
        }
        if self.sched.removed {
            return Err(Rejection::Refused("there is no PSA integration".into()));
        }
        let deleted = match how {
            Removal::Delete => {
                let synced: Vec<u64> = self
                    .records
                    .values()
                    .filter(|r| r.kind == Kind::Organization && r.psa_id.is_some())
                    .map(|r| r.id)
                    .collect();
                self.purge(&synced)
            }
            Removal::Disconnect => 0,
        };
        let mut unlinked = 0;
        for r in self.records.values_mut() {
            if r.psa_id.is_some() || r.disconnected_from.is_some() {
                unlinked += 1;
            }
            r.psa_id = None;
            r.disconnected_from = None;
            r.hold = None;
            r.orphaned = None;
            r.error = None;
        }
        self.pending.clear();
        self.sched.clear();
        self.sched.removed = true;
        self.sched.paused = false;
        let psa = self.personality.display_name();
        let line = match how {
            Removal::Disconnect => {
                format!("integration with {psa} removed: {unlinked} record(s) kept as stand-alone copies")
            }
            Removal::Delete => {
                format!("integration with {psa} removed: {deleted} record(s) deleted")
            }
        };
        self.say(line);
        Ok(match how {
            Removal::Disconnect => format!("disconnected {unlinked}"),
            Removal::Delete => format!("deleted {deleted}"),
        })
    }
}
