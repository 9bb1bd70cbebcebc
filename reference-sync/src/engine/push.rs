//! Push: the criteria a record must meet, creating records in the PSA and partial updates.

use super::{Defect, Engine};
use crate::model::DocRecord;
use crate::psa::{Fields, Kind, PsaError, PushContext};
use psa_core::Personality;
use serde_json::{json, Value};

impl Engine {
    pub(super) fn ctx(&self) -> PushContext {
        PushContext {
            contact_type: self.settings.contact_type.clone(),
            email_type: self.settings.email_type.clone(),
            phone_type: self.settings.phone_type.clone(),
            account_manager: self.settings.account_manager.clone(),
        }
    }

    pub(super) fn in_list(list: &[String], value: Option<&Value>) -> bool {
        value
            .and_then(Value::as_str)
            .is_some_and(|v| list.iter().any(|l| l.eq_ignore_ascii_case(v)))
    }

    /// Why a record cannot be pushed now, if it cannot.
    pub(super) fn push_blocker(&self, rec: &DocRecord) -> Option<String> {
        let s = &self.settings;
        if !s.two_way {
            return Some("two-way sync is off".into());
        }
        let parent_linked = |key: &str| {
            rec.fields
                .get(key)
                .and_then(Value::as_u64)
                .and_then(|id| self.records.get(&id))
                .is_some_and(|o| o.psa_id.is_some() && o.orphaned.is_none())
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
        if let Some(why) = self.missing_location(rec) {
            return Some(why);
        }
        None
    }

    /// R19: Kaseya BMS accepts a contact only with a location, and no public source says the
    /// documentation side picks one for it (docs/decisions.md): a contact with none, or with one
    /// not in the PSA yet, is held back, and the reason shows in the log and the banner.
    pub(super) fn missing_location(&self, rec: &DocRecord) -> Option<String> {
        if rec.kind != Kind::Contact
            || self.personality != Personality::Bms
            || self
                .defects
                .contains(&Defect::PushBmsContactsWithoutLocation)
        {
            return None;
        }
        let location = rec.fields.get("location").and_then(Value::as_u64);
        let why = match location.map(|id| self.records.get(&id)) {
            None => "it has no location",
            Some(Some(l)) if l.psa_id.is_some() && l.orphaned.is_none() => return None,
            Some(_) => "its location is not synced",
        };
        Some(format!(
            "{why} (Kaseya BMS accepts a contact only with a location)"
        ))
    }

    pub(super) async fn ensure_connected(&mut self) -> Result<(), PsaError> {
        if !self.connected {
            self.client.connect().await?;
            self.connected = true;
        }
        Ok(())
    }

    /// Translates documentation references into PSA ids for the client.
    pub(super) fn to_psa_fields(&self, fields: &Fields) -> Fields {
        let mut out = fields.clone();
        if self.defects.contains(&Defect::EscapeAmpersandsOnPush) {
            if let Some(Value::String(name)) = out.get_mut("name") {
                *name = name.replace('&', "&amp;");
            }
        }
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
    pub(super) async fn push(&mut self, id: u64, bulk: bool) {
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

    pub(super) async fn push_changes(&mut self, id: u64, changed: &Fields) {
        let Some(rec) = self.records.get(&id).cloned() else {
            return;
        };
        let label = self.label(&rec);
        if !self.settings.two_way || changed.is_empty() || rec.orphaned.is_some() {
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

    pub(super) fn fail(&mut self, id: u64, label: &str, kind: Kind, e: PsaError) {
        self.say(format!("{kind} {label}: push failed: {e}"));
        if let Some(r) = self.records.get_mut(&id) {
            r.error = Some(e.to_string());
        }
    }
}
