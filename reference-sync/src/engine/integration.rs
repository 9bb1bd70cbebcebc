//! The integration itself: credentials and tenant (R7), type/status states (R13), what a user
//! may edit (R15, R50), organization visibility (R4) and Active Directory contacts (R54, R55).

use super::{Engine, Rejection};
use crate::model::{DocRecord, Role, Source};
use crate::psa::{Fields, Kind};
use psa_core::Credentials;
use serde_json::{json, Map, Value};

/// Fields the PSA owns on a linked record: read-only while two-way is off (R15).
fn synced_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Organization => &["name", "short_name", "type", "status", "parent"],
        Kind::Location => &[
            "name", "address1", "address2", "city", "state", "zip", "country", "phone", "fax",
        ],
        Kind::Contact => &[
            "first_name",
            "last_name",
            "title",
            "type",
            "email",
            "phone",
            "location",
            "important",
        ],
        Kind::Configuration => &[
            "name",
            "type",
            "status",
            "serial_number",
            "mac_address",
            "manufacturer",
            "model",
            "notes",
            "location",
        ],
    }
}

/// The settings lists whose values have the three states of R13.
const TYPE_LISTS: [&str; 4] = [
    "org_types",
    "org_statuses",
    "config_types",
    "config_statuses",
];

/// AD e-mail and phone types given when two-way settings choose none (R54).
pub(super) const AD_EMAIL_TYPE: &str = "AD Email";
pub(super) const AD_PHONE_TYPE: &str = "AD Phone";

impl Engine {
    fn type_list(&self, list: &str) -> &[String] {
        match list {
            "org_types" => &self.settings.org_types,
            "org_statuses" => &self.settings.org_statuses,
            "config_types" => &self.settings.config_types,
            _ => &self.settings.config_statuses,
        }
    }

    /// Records which type/status values are set to sync now, so an unchecked one shows as
    /// disabled rather than never connected.
    pub(super) fn remember_enabled(&mut self) {
        for list in TYPE_LISTS {
            let values: Vec<String> = self.type_list(list).to_vec();
            self.ever_enabled.entry(list).or_default().extend(values);
        }
    }

    /// R13: every type and status value the documentation side knows, with its state:
    /// `enabled` (set to sync), `disabled` (was set to sync, now unchecked) or `not_connected`
    /// (a documentation value never linked to the PSA).
    pub(super) fn type_states(&self) -> Value {
        let mut out = Map::new();
        for list in TYPE_LISTS {
            let (kind, field) = match list {
                "org_types" => (Kind::Organization, "type"),
                "org_statuses" => (Kind::Organization, "status"),
                "config_types" => (Kind::Configuration, "type"),
                _ => (Kind::Configuration, "status"),
            };
            let ever = self.ever_enabled.get(list).cloned().unwrap_or_default();
            let mut values: Vec<String> = ever.iter().cloned().collect();
            values.extend(
                self.records
                    .values()
                    .filter(|r| r.kind == kind)
                    .filter_map(|r| r.fields.get(field).and_then(Value::as_str))
                    .map(str::to_string),
            );
            values.sort();
            values.dedup();
            let enabled = self.type_list(list);
            let states: Map<String, Value> = values
                .into_iter()
                .map(|v| {
                    let state = if enabled.iter().any(|e| e.eq_ignore_ascii_case(&v)) {
                        "enabled"
                    } else if ever.iter().any(|e| e.eq_ignore_ascii_case(&v)) {
                        "disabled"
                    } else {
                        "not_connected"
                    };
                    (v, json!(state))
                })
                .collect();
            out.insert(list.into(), Value::Object(states));
        }
        Value::Object(out)
    }

    /// R15: with two-way off, the PSA's fields of a linked record cannot be edited.
    pub(super) fn check_editable(&self, rec: &DocRecord, set: &Fields) -> Result<(), Rejection> {
        if self.settings.two_way || rec.psa_id.is_none() {
            return Ok(());
        }
        // The organization a record sits in is the PSA's too (its company; a move follows R40).
        let moved = rec.kind != Kind::Organization
            && set
                .get("org")
                .is_some_and(|o| rec.fields.get("org") != Some(o));
        let locked: Vec<&str> = moved
            .then_some("organization")
            .into_iter()
            .chain(
                synced_fields(rec.kind)
                    .iter()
                    .copied()
                    .filter(|f| set.contains_key(*f)),
            )
            .collect();
        if locked.is_empty() {
            return Ok(());
        }
        Err(Rejection::FieldReadOnly(locked.join(", ")))
    }

    /// R50: under two-way sync a configuration needs a name and a type, and a status on
    /// ConnectWise, before it can be saved.
    pub(super) fn check_new_record(&self, kind: Kind, fields: &Fields) -> Result<(), Rejection> {
        if kind != Kind::Configuration || !self.settings.two_way {
            return Ok(());
        }
        let mut required = vec!["name", "type"];
        if self.personality == psa_core::Personality::Connectwise {
            required.push("status");
        }
        let missing: Vec<&str> = required
            .into_iter()
            .filter(|k| {
                fields
                    .get(*k)
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
            })
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Rejection::Invalid(format!(
                "a configuration synced with {} needs {}",
                self.personality.display_name(),
                missing.join(" and ")
            )))
        }
    }

    /// R54-R55: an Active Directory user becomes a contact. It matches an existing contact by
    /// e-mail first, then by first and last name in the same organization; without e-mail or
    /// phone types in two-way settings it carries the AD types.
    pub(super) fn ad_contact(&self, fields: &mut Fields) -> Option<u64> {
        if fields.contains_key("email") && self.settings.email_type.is_none() {
            fields
                .entry("email_type".into())
                .or_insert(json!(AD_EMAIL_TYPE));
        }
        if fields.contains_key("phone") && self.settings.phone_type.is_none() {
            fields
                .entry("phone_type".into())
                .or_insert(json!(AD_PHONE_TYPE));
        }
        let org = fields.get("org").cloned();
        let same_org =
            |r: &DocRecord| r.kind == Kind::Contact && r.fields.get("org") == org.as_ref();
        let by_email = fields.get("email").and_then(|e| {
            self.records
                .values()
                .find(|r| same_org(r) && r.fields.get("email") == Some(e))
        });
        let by_name = || {
            self.records.values().find(|r| {
                same_org(r)
                    && r.fields.get("first_name") == fields.get("first_name")
                    && r.fields.get("last_name") == fields.get("last_name")
            })
        };
        by_email.or_else(by_name).map(|r| r.id)
    }

    /// R4: a Manager without access to all organizations does not see organizations pulled
    /// from the PSA until an Administrator grants them.
    pub(super) fn visible(&self, r: &DocRecord) -> bool {
        let org = match r.kind {
            Kind::Organization => Some(r),
            _ => r
                .fields
                .get("org")
                .and_then(Value::as_u64)
                .and_then(|id| self.records.get(&id)),
        };
        self.settings.all_org_access
            || self.settings.role != Role::Manager
            || org.is_none_or(|o| o.source != Source::Psa)
    }

    /// R7: new keys for the same tenant are fine; another tenant or another PSA is not, once
    /// the integration holds linked records.
    pub fn update_credentials(&mut self, change: &Map<String, Value>) -> Result<(), Rejection> {
        if self.settings.role < Role::Manager {
            return Err(Rejection::Forbidden);
        }
        let mut creds = serde_json::to_value(&self.connection.credentials)
            .map_err(|e| Rejection::Invalid(e.to_string()))?;
        let mut psa = self.personality;
        for (k, v) in change {
            match k.as_str() {
                "psa" => {
                    psa = v
                        .as_str()
                        .unwrap_or_default()
                        .parse()
                        .map_err(Rejection::Invalid)?
                }
                "company" | "user" | "secret" | "integration_code" => creds[k] = v.clone(),
                other => {
                    return Err(Rejection::Invalid(format!(
                        "unknown credential `{other}`: expected psa, company, user, secret or integration_code"
                    )))
                }
            }
        }
        let creds: Credentials =
            serde_json::from_value(creds).map_err(|e| Rejection::Invalid(e.to_string()))?;
        let live = self.records.values().any(|r| r.psa_id.is_some());
        let moving =
            psa != self.personality || creds.company != self.connection.credentials.company;
        if moving
            && live
            && !self
                .defects
                .contains(&super::Defect::TenantChangeWhileLinked)
        {
            let from = format!(
                "{} tenant {}",
                self.personality.display_name(),
                self.connection.credentials.company
            );
            self.log.push(format!(
                "credentials change refused: the integration is linked to {from}"
            ));
            return Err(Rejection::TenantChangeRequiresMigration(from));
        }
        self.connection.credentials = creds;
        self.connection.personality = psa;
        self.personality = psa;
        self.client = crate::clients::client_for(self.connection.clone(), self.http.clone());
        self.connected = false;
        self.log.push(format!(
            "credentials for {} updated",
            self.personality.display_name()
        ));
        Ok(())
    }
}
