//! What a connector declares it implements, and which cases fall outside it. Below the connector
//! seam: the `Connector` trait and the protocol both use it, and it uses only the scenario model
//! and the rule catalogue.

use crate::rules::{Catalogue, GROUPS};
use crate::scenario::{Scenario, Step};
use mock_psa::{Personality, SeedDocument};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

/// Record kinds of the documentation side, in pull order.
pub const RECORD_KINDS: [&str; 7] = [
    "organization",
    "location",
    "contact",
    "configuration",
    "password",
    "document",
    "ticket",
];

/// What a connector implements (its answer to `initialize`), or what the harness can test
/// (offered in `initialize`). A case is run only when its PSA, the groups of its rules and the
/// record kinds it touches are all declared; otherwise it is reported as not applicable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// PSA keys: connectwise, autotask, bms, pulseway, vorex.
    pub psas: Vec<String>,
    /// Rule groups of the catalogue (scenarios/rules.yaml): eligibility, settings, pull, push,
    /// orphans_and_controls, scheduling, bulk_push, fields.
    pub rule_groups: Vec<String>,
    /// organization, location, contact, configuration, password, document. All when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_kinds: Option<Vec<String>>,
    /// Cross-cutting abilities: `retries` (survives 429, 5xx and dropped connections with
    /// backoff, never creating twice). Cases that inject faults need it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
}

/// Cross-cutting abilities a connector may declare.
pub const FEATURES: [&str; 1] = ["retries"];

impl Capabilities {
    /// Everything this harness can test.
    pub fn everything() -> Self {
        Capabilities {
            psas: Personality::ALL
                .iter()
                .map(|p| p.key().to_string())
                .collect(),
            rule_groups: GROUPS.iter().map(|g| g.to_string()).collect(),
            record_kinds: Some(RECORD_KINDS.iter().map(|k| k.to_string()).collect()),
            features: FEATURES.iter().map(|f| f.to_string()).collect(),
        }
    }

    /// Names this harness does not know; a typo would otherwise silently skip cases.
    pub fn unknown_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.psas {
            if p.parse::<Personality>()
                .map(|x| x.key() != p)
                .unwrap_or(true)
            {
                out.push(format!("PSA `{p}`"));
            }
        }
        for g in &self.rule_groups {
            if !GROUPS.contains(&g.as_str()) {
                out.push(format!("rule group `{g}`"));
            }
        }
        for k in self.record_kinds.iter().flatten() {
            if !RECORD_KINDS.contains(&k.as_str()) {
                out.push(format!("record kind `{k}`"));
            }
        }
        for f in &self.features {
            if !FEATURES.contains(&f.as_str()) {
                out.push(format!("feature `{f}`"));
            }
        }
        out
    }

    /// Why `case` on `psa` is outside these capabilities, or `None` when it applies.
    pub fn not_applicable(
        &self,
        case: &Scenario,
        psa: Personality,
        catalogue: Option<&Catalogue>,
    ) -> Option<String> {
        let mut missing = Vec::new();
        if !self.psas.iter().any(|p| p == psa.key()) {
            missing.push(format!("PSA {}", psa.key()));
        }
        if let Some(cat) = catalogue {
            let groups: Vec<String> = cat
                .groups_for(&case.rules)
                .into_iter()
                .filter(|g| !self.rule_groups.contains(g))
                .collect();
            if !groups.is_empty() {
                missing.push(format!("rule group(s) {}", groups.join(", ")));
            }
        }
        if let Some(kinds) = &self.record_kinds {
            let absent: Vec<&str> = record_kinds_of(case)
                .into_iter()
                .filter(|k| !kinds.iter().any(|d| d == k))
                .collect();
            if !absent.is_empty() {
                missing.push(format!("record kind(s) {}", absent.join(", ")));
            }
        }
        let injects_faults = case.steps.iter().any(|s| matches!(s, Step::Fault(_)));
        if injects_faults && !self.features.iter().any(|f| f == "retries") {
            missing.push("feature retries (the case injects faults)".into());
        }
        (!missing.is_empty()).then(|| format!("connector does not declare {}", missing.join("; ")))
    }
}

/// The record kinds a case touches: its starting state on both sides and every `kind` a step
/// names (singular for documentation steps, plural PSA tables for `psa_*` steps). Found through
/// the steps' serialised form, so step kinds added later are covered without a list here.
pub fn record_kinds_of(case: &Scenario) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    let docs = [
        &case.docs.organizations,
        &case.docs.locations,
        &case.docs.contacts,
        &case.docs.configurations,
        &case.docs.passwords,
        &case.docs.documents,
    ];
    for (kind, rows) in RECORD_KINDS.iter().zip(docs) {
        if !rows.is_empty() {
            out.insert(*kind);
        }
    }
    if let Ok(seed) = serde_json::from_value::<SeedDocument>(case.psa.clone()) {
        let psa = [
            ("organization", &seed.companies),
            ("location", &seed.locations),
            ("contact", &seed.contacts),
            ("configuration", &seed.configurations),
            ("ticket", &seed.tickets),
        ];
        for (kind, rows) in psa {
            if !rows.is_empty() {
                out.insert(kind);
            }
        }
    }
    fn walk(v: &Value, out: &mut BTreeSet<&'static str>) {
        match v {
            Value::Object(m) => {
                if let Some(k) = m.get("kind").and_then(Value::as_str).and_then(kind_name) {
                    out.insert(k);
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    for step in &case.steps {
        if !matches!(step, Step::Expect(_)) {
            walk(&serde_json::to_value(step).unwrap_or(Value::Null), &mut out);
        }
    }
    out
}

/// A documentation kind from a documentation or PSA kind name (`contact`, `companies`...).
fn kind_name(s: &str) -> Option<&'static str> {
    let s = s.to_ascii_lowercase();
    let singular = match s.as_str() {
        "company" | "companies" | "organizations" => "organization",
        "locations" => "location",
        "contacts" => "contact",
        "configurations" => "configuration",
        "passwords" => "password",
        "documents" => "document",
        "tickets" => "ticket",
        other => other,
    };
    RECORD_KINDS.iter().copied().find(|k| *k == singular)
}
