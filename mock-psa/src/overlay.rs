//! Native members laid over neutral records: how a seed carries the members of a record that
//! the neutral vocabulary lacks (what `mock-psa capture` writes), and how a record the wire
//! returned is brought back to the form the store keeps.
//!
//! A native row of the table a dialect keeps a neutral kind in (`native: {connectwise:
//! {companies: [{id: 250, website: ...}]}}`) whose `id` is the `id` of one of the seed's neutral
//! rows of that kind is not a record of its own: after the neutral rows are created, its members
//! are laid over the record that neutral row made (`null` removes a member). Other native rows
//! are inserted as records before the neutral rows, as before.

use crate::dialect::NeutralKind;
use crate::seed::SeedDocument;
use crate::store::{Record, Store};
use psa_core::{Dialect, Personality};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The table a dialect keeps a neutral kind in.
pub fn kind_table(dialect: Dialect, kind: NeutralKind) -> &'static str {
    use NeutralKind::*;
    match (dialect, kind) {
        (Dialect::ConnectWise, Company) => "companies",
        (Dialect::ConnectWise, Location) => "company_sites",
        (Dialect::ConnectWise, Configuration) => "configurations",
        (Dialect::Autotask, Company) => "companies",
        (Dialect::Autotask, Location) => "company_locations",
        (Dialect::Autotask, Configuration) => "configuration_items",
        (Dialect::BmsV2, Company) => "accounts",
        (Dialect::BmsV2, Location) => "locations",
        (Dialect::BmsV2, Configuration) => "hardware_assets",
        (_, Contact) => "contacts",
        (_, Ticket) => "tickets",
    }
}

/// Overlays by (kind, neutral row id).
pub type Overlays<'a> = BTreeMap<(NeutralKind, i64), &'a Record>;

/// Native rows inserted as records, per table.
pub type Inserted<'a> = Vec<(&'a str, Vec<&'a Record>)>;

/// Splits a seed's native tables for `p` into the rows inserted as records and the overlays.
pub fn split(seed: &SeedDocument, p: Personality) -> Result<(Inserted<'_>, Overlays<'_>), String> {
    let d = p.dialect();
    let mut anchors: BTreeMap<&str, (NeutralKind, BTreeSet<i64>)> = BTreeMap::new();
    for kind in NeutralKind::ALL {
        // A repeated row's copies share its `id`: the rows as written carry every anchor.
        let ids = seed
            .written(kind)
            .iter()
            .filter_map(|r| r.get("id")?.as_i64())
            .collect();
        anchors.insert(kind_table(d, kind), (kind, ids));
    }
    let mut plain = Vec::new();
    let mut overlays = Overlays::new();
    for (table, rows) in seed.native_for(p)? {
        let mut kept = Vec::new();
        for row in rows {
            let anchor = anchors.get(table).and_then(|(kind, ids)| {
                let id = row.get("id")?.as_i64()?;
                ids.contains(&id).then_some((*kind, id))
            });
            match anchor {
                Some(key) => {
                    if overlays.insert(key, row).is_some() {
                        return Err(format!(
                            "native: two `{table}` rows carry the members of id {}",
                            key.1
                        ));
                    }
                }
                None => kept.push(row),
            }
        }
        plain.push((table, kept));
    }
    Ok((plain, overlays))
}

/// Lays an overlay's members over a stored record (`id` is the record's own; `null` removes).
pub fn lay_over(store: &mut Store, table: &str, id: i64, overlay: &Record) {
    let Some(mut rec) = store.table_mut(table).get_mut(id) else {
        return;
    };
    for (k, v) in overlay {
        match (k.as_str(), v) {
            ("id", _) => {}
            (_, Value::Null) => {
                rec.remove(k);
            }
            _ => {
                rec.insert(k.clone(), v.clone());
            }
        }
    }
}

/// A record as the wire returned it, in the form the dialect's store keeps: what the mock adds
/// when it renders is taken off again (ConnectWise reference labels and hrefs, communication
/// type names; BMS-family names that drift between input and output).
pub fn stored_form(dialect: Dialect, table: &str, wire: &Map<String, Value>) -> Record {
    let mut out = wire.clone();
    match dialect {
        Dialect::ConnectWise => {
            for v in out.values_mut() {
                cw_unrender(v);
            }
            if let Some(Value::Object(info)) = out.get_mut("_info") {
                info.retain(|k, _| !k.ends_with("_href"));
            }
            if let Some(Value::Array(items)) = out.get_mut("communicationItems") {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    item.remove("communicationType");
                    if let Some(id) = item.get("type").and_then(|t| t.get("id")).cloned() {
                        item.insert("type".into(), Value::Object(one("id", id)));
                    }
                }
            }
        }
        Dialect::BmsV2 if table == "contacts" => {
            if let Some(v) = out.remove("canRecieveInvoices") {
                out.insert("receiveInvoices".into(), v);
            }
            for (list, value_out, value, type_name) in [
                ("phones", "phone", "phoneNumber", "phoneType"),
                ("emails", "emailAddress", "emailAddress", "emailType"),
            ] {
                if let Some(Value::Array(items)) = out.get_mut(list) {
                    for item in items.iter_mut().filter_map(Value::as_object_mut) {
                        item.remove(type_name);
                        if let Some(v) = item.remove(value_out) {
                            item.insert(value.into(), v);
                        }
                    }
                }
            }
        }
        _ => {}
    }
    out
}

fn one(k: &str, v: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(k.into(), v);
    m
}

/// A reference the mock resolved is rendered `{id, name..., _info: {x_href}}` and stored `{id}`.
fn cw_unrender(v: &mut Value) {
    match v {
        Value::Object(o) => {
            let rendered = o.get("id").is_some_and(Value::is_i64)
                && o.get("_info")
                    .and_then(Value::as_object)
                    .is_some_and(|i| !i.is_empty() && i.keys().all(|k| k.ends_with("_href")));
            if rendered {
                let id = o["id"].clone();
                *o = one("id", id);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(cw_unrender),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::admin::{apply_seed, reset_world};
    use crate::state::{MockState, Settings};
    use crate::SeedDocument;
    use psa_core::Personality;
    use serde_json::{json, Value};

    fn seeded(p: Personality, yaml: &str) -> Result<MockState, String> {
        let state = MockState::new(p, Settings::for_personality(p));
        reset_world(&state);
        apply_seed(&state, &SeedDocument::parse(yaml)?)?;
        Ok(state)
    }

    #[test]
    fn a_native_row_with_a_neutral_rows_id_is_laid_over_the_record_it_made() {
        let state = seeded(
            Personality::Connectwise,
            "companies: [{id: 900, name: Acme, type: Customer, status: Active}, {name: Beta}]\n\
             native:\n  connectwise:\n    companies:\n      - {id: 900, website: acme.example, deletedFlag: null}\n      - {id: 7, name: Loose, identifier: Loose}\n",
        )
        .expect("seed");
        let world = state.world();
        let rows: Vec<crate::store::Record> = world.store.rows("companies").collect();
        // The unanchored row is a record of its own, inserted first; the overlay made none.
        let names: Vec<&Value> = rows.iter().map(|r| &r["name"]).collect();
        assert_eq!(names, [&json!("Loose"), &json!("Acme"), &json!("Beta")]);
        let acme = &rows[1];
        assert_eq!(acme["website"], "acme.example");
        assert!(!acme.contains_key("deletedFlag"), "null removes: {acme:?}");
        assert_eq!(acme["identifier"], "Acme", "neutral members kept");
        assert!(!rows[2].contains_key("website"), "only its own record");
    }

    #[test]
    fn two_native_rows_for_one_record_are_refused() {
        let err = seeded(
            Personality::Autotask,
            "companies: [{id: 5, name: Acme, type: Customer, status: Active}]\n\
             native:\n  autotask:\n    companies: [{id: 5, fax: '1'}, {id: 5, fax: '2'}]\n",
        )
        .err()
        .expect("refused");
        assert!(err.contains("two `companies` rows"), "{err}");
    }
}
