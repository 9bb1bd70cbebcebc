//! Tickets (R38): read-only documentation records, pulled at each full sync while ticket
//! integration is on, for organizations that sync and the boards (queues) chosen in sync
//! settings (R8). The PSA wins every time: each sync replaces what the last one pulled. Nothing
//! here, or anywhere, writes a ticket to the PSA.

use super::{Defect, Engine};
use crate::psa::{Fields, PsaError};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A pulled ticket: its PSA id, and its canonical fields with `org` the documentation id.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Ticket {
    psa_id: String,
    pub(super) fields: Fields,
}

impl Engine {
    /// Refreshes the tickets from the PSA. With ticket integration off nothing is read and the
    /// tickets pulled before are dropped: they are copies the documentation side cannot edit.
    pub(super) async fn pull_tickets(
        &mut self,
        synced_orgs: &BTreeMap<String, u64>,
    ) -> Result<(), PsaError> {
        let listed = match self.settings.tickets {
            true => self.client.list_tickets().await?,
            false => Vec::new(),
        };
        let any_company = self
            .defects
            .contains(&Defect::TicketsOfNonSyncingCompaniesPulled);
        let mut pulled = BTreeMap::new();
        for row in listed {
            let boards = &self.settings.ticket_boards;
            if !boards.is_empty() && !Self::in_list(boards, row.fields.get("board")) {
                continue;
            }
            let org = row
                .fields
                .get("org")
                .and_then(Value::as_str)
                .and_then(|o| synced_orgs.get(o))
                .copied();
            if org.is_none() && !any_company {
                continue;
            }
            let mut fields = row.fields;
            // A ticket is replaced whole at each pull: an empty member is simply not shown.
            fields.retain(|_, v| !v.is_null());
            match org {
                Some(o) => fields.insert("org".into(), json!(o)),
                None => fields.remove("org"),
            };
            let known = self
                .tickets
                .iter()
                .find(|(_, t)| t.psa_id == row.id)
                .map(|(id, _)| *id);
            let id = match known {
                Some(id) => id,
                None => {
                    self.say(format!(
                        "ticket {}: pulled from {}",
                        Self::ticket_label(&fields),
                        self.personality.display_name()
                    ));
                    self.allocate_id()
                }
            };
            pulled.insert(
                id,
                Ticket {
                    psa_id: row.id,
                    fields,
                },
            );
        }
        let dropped: Vec<String> = self
            .tickets
            .iter()
            .filter(|(id, _)| !pulled.contains_key(id))
            .map(|(_, t)| Self::ticket_label(&t.fields))
            .collect();
        for label in dropped {
            self.say(format!(
                "ticket {label}: removed, no longer pulled from {}",
                self.personality.display_name()
            ));
        }
        self.tickets = pulled;
        Ok(())
    }

    fn ticket_label(fields: &Fields) -> String {
        ["number", "title"]
            .iter()
            .filter_map(|k| fields.get(*k).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The tickets as the documentation side shows them, every one read-only; `None` while
    /// ticket integration was never on and nothing was pulled (the outcome keeps no key).
    pub(super) fn tickets_snapshot(&self) -> Option<Value> {
        if !self.settings.tickets && self.tickets.is_empty() {
            return None;
        }
        let rows = self
            .tickets
            .iter()
            .map(|(id, t)| {
                let mut m = Map::new();
                m.insert("id".into(), json!(id));
                for (k, v) in &t.fields {
                    match k.as_str() {
                        "org" => m.insert("organization".into(), self.ref_label(v)),
                        other => m.insert(other.into(), v.clone()),
                    };
                }
                m.insert("psa_id".into(), json!(t.psa_id));
                m.insert("read_only".into(), json!(true));
                Value::Object(m)
            })
            .collect();
        Some(Value::Array(rows))
    }
}
