//! The outcome's shape on one PSA: which tables each side has and which fields each kind's
//! records can carry, so an expectation path that names something the outcome can never hold
//! is a broken file, not a check that passes by mistake.
//!
//! Built from the real sources: the PSA side from mock-psa's neutral vocabulary and the
//! dialect's entity tables, the documentation side from reference-sync's kinds and settings plus
//! the members its snapshot adds (listed once here, proven against every golden by a test), and
//! the fields the case itself writes on documentation records.

use crate::scenario::{Scenario, Step};
use mock_psa::dialect::{api_for, view_fields, NeutralKind};
use mock_psa::Personality;
use reference_sync::{ItemKind, Kind, Settings};
use std::collections::{BTreeMap, BTreeSet};

/// What a path can reach at one point of the outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A text, number or boolean: no members below.
    Leaf,
    /// Members nobody lists (native records, type names, request bodies): not checked.
    Open,
    /// A list of records or values of one shape.
    List(Box<Shape>),
    /// A record whose members are known.
    Record(BTreeMap<String, Shape>),
}

impl Shape {
    fn record<'a>(fields: impl IntoIterator<Item = &'a str>) -> Shape {
        Shape::Record(
            fields
                .into_iter()
                .map(|f| (f.to_string(), Shape::Leaf))
                .collect(),
        )
    }

    fn table<'a>(fields: impl IntoIterator<Item = &'a str>) -> Shape {
        Shape::List(Box::new(Shape::record(fields)))
    }
}

/// Members the documentation snapshot adds to every record (reference-sync's `snapshot`).
pub const DOC_RECORD_MEMBERS: [&str; 13] = [
    "id",
    "organization",
    "parent",
    "location",
    "source",
    "sync",
    "psa_id",
    "banner",
    "error",
    "visible",
    "orphan_reason",
    "disconnected_from",
    "push_held",
];

/// Members of a documentation-only item (password, document) besides those the case writes.
pub const DOC_ITEM_MEMBERS: [&str; 2] = ["id", "organization"];

/// Members a pulled ticket carries besides the neutral ticket fields.
pub const DOC_TICKET_MEMBERS: [&str; 3] = ["organization", "psa_id", "read_only"];

/// Members of one request in the outcome.
pub const REQUEST_MEMBERS: [&str; 5] = ["request", "status", "step", "at", "body"];

/// The PSA kind whose neutral fields a documentation kind shares.
fn neutral_of(kind: Kind) -> NeutralKind {
    match kind {
        Kind::Organization => NeutralKind::Company,
        Kind::Location => NeutralKind::Location,
        Kind::Contact => NeutralKind::Contact,
        Kind::Configuration => NeutralKind::Configuration,
    }
}

/// Fields the case writes on documentation records of `plural`, from its starting state and its
/// create and edit steps: those are the documentation platform's fields too.
fn written_fields(case: &Scenario, plural: &str) -> BTreeSet<String> {
    let d = &case.docs;
    let rows = match plural {
        "organizations" => &d.organizations,
        "locations" => &d.locations,
        "contacts" => &d.contacts,
        "configurations" => &d.configurations,
        "passwords" => &d.passwords,
        "documents" => &d.documents,
        _ => return BTreeSet::new(),
    };
    let mut out: BTreeSet<String> = rows.iter().flat_map(|r| r.keys().cloned()).collect();
    for step in &case.steps {
        if let Step::Create(a) | Step::Edit(a) = step {
            if format!("{}s", a.kind) == plural {
                out.extend(a.fields.keys().cloned());
            }
        }
    }
    out
}

/// The outcome's shape for `case` on `psa`.
pub fn outcome_shape(case: &Scenario, psa: Personality) -> Shape {
    let mut top = BTreeMap::new();
    for leaf in ["case", "psa"] {
        top.insert(leaf.to_string(), Shape::Leaf);
    }
    for list in ["rules", "actions", "log"] {
        top.insert(list.to_string(), Shape::List(Box::new(Shape::Leaf)));
    }
    let native = api_for(psa.dialect())
        .entity_tables()
        .iter()
        .map(|t| (t.to_string(), Shape::List(Box::new(Shape::Open))))
        .collect();
    top.insert("psa_state".into(), Shape::Record(native));
    let neutral = NeutralKind::ALL
        .iter()
        .map(|k| (k.plural().to_string(), Shape::table(view_fields(*k))))
        .collect();
    top.insert("psa".into(), Shape::Record(neutral));

    let mut docs = BTreeMap::new();
    docs.insert("settings".to_string(), settings_shape());
    docs.insert("type_states".into(), Shape::Open);
    docs.insert("integration".into(), Shape::Open);
    for kind in Kind::ALL {
        let written = written_fields(case, kind.plural());
        let mut fields: BTreeSet<&str> = view_fields(neutral_of(kind)).into_iter().collect();
        fields.remove("company");
        fields.extend(DOC_RECORD_MEMBERS);
        fields.extend(written.iter().map(String::as_str));
        docs.insert(kind.plural().to_string(), Shape::table(fields));
    }
    for kind in ItemKind::ALL {
        let written = written_fields(case, kind.plural());
        let fields = DOC_ITEM_MEMBERS
            .into_iter()
            .chain(written.iter().map(String::as_str));
        docs.insert(kind.plural().to_string(), Shape::table(fields));
    }
    let mut ticket: BTreeSet<&str> = view_fields(NeutralKind::Ticket).into_iter().collect();
    ticket.remove("company");
    ticket.extend(DOC_TICKET_MEMBERS);
    docs.insert("tickets".into(), Shape::table(ticket));
    top.insert("docs".into(), Shape::Record(docs));

    let mut request: BTreeMap<String, Shape> = REQUEST_MEMBERS
        .iter()
        .map(|m| (m.to_string(), Shape::Leaf))
        .collect();
    request.insert("body".into(), Shape::Open);
    top.insert(
        "requests".into(),
        Shape::List(Box::new(Shape::Record(request))),
    );
    Shape::Record(top)
}

/// The settings members, from reference-sync's own type (the two it shows only once set are set).
fn settings_shape() -> Shape {
    let settings = Settings {
        tickets: true,
        ticket_boards: vec![String::new()],
        ..Settings::default()
    };
    match serde_json::to_value(settings) {
        Ok(serde_json::Value::Object(m)) => {
            Shape::Record(m.keys().map(|k| (k.clone(), Shape::Open)).collect())
        }
        _ => Shape::Open,
    }
}

/// The valid name nearest to `wrong` (edit distance, at most a third of its length plus one).
pub fn nearest<'a>(wrong: &str, valid: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = wrong.chars().count() / 3 + 1;
    valid
        .into_iter()
        .map(|v| (distance(&wrong.to_lowercase(), &v.to_lowercase()), v))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, v)| v)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::path::PathBuf;

    fn workspace() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    fn fields_of<'a>(shape: &'a Shape, side: &str, table: &str) -> &'a BTreeMap<String, Shape> {
        let Shape::Record(top) = shape else {
            panic!("outcome")
        };
        let Some(Shape::Record(tables)) = top.get(side) else {
            panic!("{side}")
        };
        match tables.get(table) {
            Some(Shape::List(inner)) => match inner.as_ref() {
                Shape::Record(f) => f,
                other => panic!("{side}.{table}: {other:?}"),
            },
            other => panic!("{side}.{table}: {other:?}"),
        }
    }

    /// The documentation members listed here cover every real outcome: every golden, on every
    /// PSA, holds no documentation member the shape lacks.
    #[test]
    fn every_golden_fits_the_documentation_shape() {
        let cases: BTreeMap<String, Scenario> =
            crate::scenario::discover(&[workspace().join("scenarios")])
                .unwrap()
                .iter()
                .map(|f| Scenario::load(f).unwrap())
                .map(|s| (s.name.clone(), s))
                .collect();
        let mut checked = 0;
        for entry in std::fs::read_dir(workspace().join("golden")).unwrap() {
            let path = entry.unwrap().path();
            let golden: Value =
                serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let case = &cases[golden["case"].as_str().unwrap()];
            let psa: Personality = golden["psa"].as_str().unwrap().parse().unwrap();
            let shape = outcome_shape(case, psa);
            for (table, rows) in golden["docs"].as_object().unwrap() {
                let Some(rows) = rows.as_array() else {
                    continue;
                };
                let fields = fields_of(&shape, "docs", table);
                for row in rows {
                    for key in row.as_object().unwrap().keys() {
                        assert!(
                            fields.contains_key(key),
                            "{}: docs.{table} has `{key}`",
                            path.display()
                        );
                        checked += 1;
                    }
                }
            }
            for (table, _) in golden["psa_state"].as_object().into_iter().flatten() {
                let Shape::Record(top) = &shape else {
                    unreachable!()
                };
                let Some(Shape::Record(native)) = top.get("psa_state") else {
                    unreachable!()
                };
                assert!(
                    native.contains_key(table),
                    "{}: psa_state.{table}",
                    path.display()
                );
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    /// The neutral view of every PSA, seeded as every scenario seeds it, has only the members the
    /// shape lists for `psa.<kind>`.
    #[tokio::test]
    async fn every_neutral_view_fits_the_psa_shape() {
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut seen = 0;
        for f in crate::scenario::discover(&[workspace().join("scenarios")]).unwrap() {
            let case = Scenario::load(&f).unwrap();
            if case.psa.is_null() {
                continue;
            }
            let seed = mock_psa::SeedDocument::parse(&case.psa.to_string()).unwrap();
            for psa in case.personalities().unwrap() {
                let server = mock_psa::MockServer::start(
                    psa,
                    mock_psa::ServerOptions {
                        seed: Some(seed.clone()),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
                let view: Value = http
                    .get(format!("{}/snapshot?view=neutral", server.admin_url()))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let shape = outcome_shape(&case, psa);
                for (table, rows) in view["records"].as_object().unwrap() {
                    let fields = fields_of(&shape, "psa", table);
                    for row in rows.as_array().unwrap() {
                        for key in row.as_object().unwrap().keys() {
                            assert!(
                                fields.contains_key(key),
                                "{} on {psa}: psa.{table} has `{key}`",
                                case.name
                            );
                            seen += 1;
                        }
                    }
                }
            }
        }
        assert!(seen > 500, "{seen}");
    }

    #[test]
    fn nearest_names_a_close_spelling_only() {
        assert_eq!(nearest("baner", ["banner", "sync"]), Some("banner"));
        assert_eq!(nearest("Contacts", ["contacts"]), Some("contacts"));
        assert_eq!(nearest("xyz", ["banner", "sync"]), None);
    }
}
