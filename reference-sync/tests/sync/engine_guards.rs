//! Guard rails of the engine's public API that no scenario can reach: the harness (and the
//! connector protocol) name both sides of a merge as organizations, so only a direct caller can
//! hand `Engine::merge` anything else. Nothing here talks to a PSA.

use reference_sync::{Connection, Engine, Fields, Kind, Rejection, Settings, Source};
use serde_json::json;

fn engine_with(psa: psa_core::Personality, settings: Settings) -> Engine {
    let conn = Connection {
        personality: psa,
        // Never dialled: seeding and merging stay inside the documentation platform.
        origin: "http://127.0.0.1:9".into(),
        credentials: psa.default_credentials(),
    };
    Engine::new(conn, settings)
}

fn engine() -> Engine {
    engine_with(psa_core::Personality::Connectwise, Settings::default())
}

/// A local organization, laid down before the case.
fn organization(e: &mut Engine, name: &str) -> u64 {
    e.seed(
        Kind::Organization,
        &fields(json!({ "name": name })),
        Source::Manual,
    )
    .expect("an organization needs nothing else")
}

fn fields(v: serde_json::Value) -> Fields {
    serde_json::from_value(v).expect("fields")
}

#[test]
fn merge_takes_two_different_organizations_and_nothing_else() {
    let mut e = engine();
    let acme = organization(&mut e, "Acme");
    let beta = organization(&mut e, "Beta");
    let ann = e
        .seed(
            Kind::Contact,
            &fields(json!({"organization": "Acme", "first_name": "Ann", "last_name": "Lee"})),
            Source::Manual,
        )
        .expect("ann");
    for (source, target, what) in [
        (ann, beta, "a contact merged into an organization"),
        (beta, ann, "an organization merged into a contact"),
        (acme, acme, "an organization merged into itself"),
    ] {
        match e.merge(source, target) {
            Err(Rejection::Invalid(why)) => {
                assert_eq!(why, "merge takes two different organizations", "{what}")
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    assert_eq!(e.records().count(), 3, "a refused merge changes nothing");
    // The guard is not a blanket refusal: two local organizations merge.
    assert_eq!(e.merge(beta, acme).expect("merge"), "merged 0");
    assert_eq!(e.records().count(), 2);
}

#[test]
fn a_new_record_inside_an_organization_needs_one() {
    let mut e = engine();
    let acme = organization(&mut e, "Acme");
    for kind in [Kind::Location, Kind::Contact, Kind::Configuration] {
        match e.seed(kind, &fields(json!({"name": "Lone"})), Source::Manual) {
            Err(Rejection::Invalid(why)) => {
                assert_eq!(why, format!("a {kind} needs an `organization`"))
            }
            other => panic!("{kind}: {other:?}"),
        }
        match e.seed(
            kind,
            &fields(json!({"name": "Lone", "organization": "Nowhere"})),
            Source::Manual,
        ) {
            Err(Rejection::Invalid(why)) => assert_eq!(why, "no organization named `Nowhere`"),
            other => panic!("{kind}: {other:?}"),
        }
        // Given by name, or already as the organization's id.
        e.seed(
            kind,
            &fields(json!({"name": "Named", "organization": "Acme"})),
            Source::Manual,
        )
        .unwrap_or_else(|r| panic!("{kind}: {r}"));
        e.seed(
            kind,
            &fields(json!({"name": "By id", "org": acme})),
            Source::Manual,
        )
        .unwrap_or_else(|r| panic!("{kind}: {r}"));
    }
    assert_eq!(e.records().count(), 7);
}

#[test]
fn the_engine_reports_the_settings_it_was_given() {
    let settings = Settings {
        two_way: true,
        org_types: vec!["Vendor".into()],
        sync_interval_minutes: Some(15),
        ..Settings::default()
    };
    let e = engine_with(psa_core::Personality::Bms, settings.clone());
    assert_eq!(e.settings(), &settings);
    assert_ne!(e.settings(), &Settings::default());
}
