//! The BMS V2 client against the mock, for Kaseya BMS, Pulseway PSA and Vorex PSA.

use mock_psa::testing::MockPsa;
use mock_psa::{NeutralKind, Personality};
use reference_sync::clients::bms::BmsClient;
use reference_sync::psa::*;
use serde_json::{json, Value};

fn fields(v: Value) -> Fields {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Every record in the PSA in the neutral vocabulary, by kind (`companies`, `contacts`, ...).
fn neutral(server: &MockPsa) -> Value {
    NeutralKind::ALL
        .iter()
        .map(|k| (k.plural().to_string(), json!(server.records(*k))))
        .collect()
}

/// One native row, by table and id.
fn raw(server: &MockPsa, table: &str, id: &str) -> Value {
    let id: i64 = id.parse().unwrap();
    let row = server.table(table).into_iter().find(|r| r["id"] == id);
    Value::Object(row.unwrap_or_else(|| panic!("no {table} row {id}")))
}

/// A connected client against a fresh server of `p` (default settings unless given).
async fn connected(p: Personality, settings: Option<mock_psa::Settings>) -> (MockPsa, BmsClient) {
    let server = match settings {
        Some(settings) => MockPsa::start_with_settings(p, settings).await,
        None => MockPsa::start(p).await,
    };
    let mut c = BmsClient::new(Connection {
        personality: p,
        origin: server.uri(),
        credentials: p.default_credentials(),
    });
    c.connect().await.unwrap();
    (server, c)
}

/// Push settings with e-mail and phone types chosen, and the organization Acme created with them.
async fn acme(c: &mut BmsClient) -> (PushContext, String) {
    let ctx = PushContext {
        email_type: Some("Email".into()),
        phone_type: Some("Direct".into()),
        ..Default::default()
    };
    let org = c
        .create(
            Kind::Organization,
            &fields(json!({"name": "Acme", "type": "Customer", "status": "Active"})),
            &ctx,
        )
        .await
        .unwrap();
    (ctx, org)
}

#[tokio::test]
async fn create_list_and_partial_update_through_the_client() {
    for p in [Personality::Bms, Personality::Pulseway, Personality::Vorex] {
        let (server, mut c) = connected(p, None).await;
        let ctx = PushContext {
            email_type: Some("Email".into()),
            phone_type: Some("Mobile".into()),
            ..Default::default()
        };

        // Organization.
        let org = c
            .create(
                Kind::Organization,
                &fields(json!({"name": "Acme Corp", "short_name": "ACME", "type": "Prospect", "status": "Active"})),
                &ctx,
            )
            .await
            .unwrap();
        let orgs = c.list(Kind::Organization).await.unwrap();
        assert_eq!(orgs.len(), 1);
        assert_eq!(orgs[0].id, org);
        assert_eq!(orgs[0].fields["name"], "Acme Corp");
        assert_eq!(orgs[0].fields["short_name"], "ACME");
        assert_eq!(orgs[0].fields["type"], "Prospect");
        assert_eq!(orgs[0].fields["status"], "Active");

        // Location (through V1).
        let loc = c
            .create(
                Kind::Location,
                &fields(json!({"org": org, "name": "Warehouse", "address1": "9 Dock Rd",
                               "city": "Portsmouth", "zip": "PO1", "phone": "555-0199", "primary": false})),
                &ctx,
            )
            .await
            .unwrap();
        let locs = c.list(Kind::Location).await.unwrap();
        assert_eq!(locs.len(), 2, "Main plus Warehouse");
        let l = locs.iter().find(|l| l.id == loc).unwrap();
        assert_eq!(l.fields["name"], "Warehouse");
        assert_eq!(l.fields["city"], "Portsmouth");
        assert_eq!(l.fields["zip"], "PO1");
        assert_eq!(l.fields["org"], org.as_str());
        assert_eq!(l.fields["primary"], false);

        // Contact.
        let contact = c
            .create(
                Kind::Contact,
                &fields(json!({"org": org, "first_name": "Grace", "last_name": "Hopper", "title": "Admiral",
                               "email": "grace@acme.example", "phone": "555-0123", "important": true,
                               "location": loc})),
                &ctx,
            )
            .await
            .unwrap();
        let contacts = c.list(Kind::Contact).await.unwrap();
        let k = contacts.iter().find(|k| k.id == contact).unwrap();
        assert_eq!(k.fields["first_name"], "Grace");
        assert_eq!(k.fields["title"], "Admiral");
        assert_eq!(k.fields["email"], "grace@acme.example");
        assert_eq!(k.fields["email_type"], "Email");
        assert_eq!(k.fields["phone"], "555-0123");
        assert_eq!(k.fields["phone_type"], "Mobile");
        assert_eq!(k.fields["important"], true);
        assert_eq!(k.fields["location"], loc.as_str());

        // Configuration (location defaults to the main one).
        let cfg = c
            .create(
                Kind::Configuration,
                &fields(
                    json!({"org": org, "name": "FS-01", "type": "Server", "status": "Active",
                               "serial_number": "SN-9", "manufacturer": "Lenovo", "model": "SR650",
                               "mac_address": "AA:BB:CC:00:11:22", "notes": "file server"}),
                ),
                &ctx,
            )
            .await
            .unwrap();
        let cfgs = c.list(Kind::Configuration).await.unwrap();
        assert_eq!(cfgs.len(), 1);
        let f = &cfgs[0].fields;
        assert_eq!(cfgs[0].id, cfg);
        assert_eq!(f["type"], "Server");
        assert_eq!(f["manufacturer"], "Lenovo");
        assert_eq!(f["model"], "SR650");
        assert_eq!(f["notes"], "file server");
        assert!(f.contains_key("location"));

        // Give the records unmapped members directly in the PSA, then update through the client.
        let loc_id = loc.parse().unwrap();
        server.update_record(NeutralKind::Location, loc_id, json!({"fax": "555-FAX"}));

        c.update(
            Kind::Organization,
            &org,
            &fields(json!({"status": "Inactive"})),
            &ctx,
        )
        .await
        .unwrap();
        c.update(
            Kind::Location,
            &loc,
            &fields(json!({"city": "Southsea"})),
            &ctx,
        )
        .await
        .unwrap();
        c.update(
            Kind::Contact,
            &contact,
            &fields(json!({"title": "Rear Admiral", "email": "grace@navy.example"})),
            &ctx,
        )
        .await
        .unwrap();
        c.update(
            Kind::Configuration,
            &cfg,
            &fields(json!({"serial_number": "SN-10"})),
            &ctx,
        )
        .await
        .unwrap();

        let n = neutral(&server);
        let company = &n["companies"][0];
        assert_eq!(company["status"], "Inactive");
        assert_eq!(
            company["short_name"], "ACME",
            "unmapped-in-change fields survive"
        );
        assert_eq!(company["type"], "Prospect");
        let acc = raw(&server, "accounts", &org);
        assert!(acc["accountManagerId"].is_i64());
        assert!(acc["businessTypeId"].is_i64());

        let wl = n["locations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == loc.parse::<i64>().unwrap())
            .unwrap();
        assert_eq!(wl["city"], "Southsea");
        assert_eq!(wl["address1"], "9 Dock Rd");
        assert_eq!(
            wl["fax"], "555-FAX",
            "a field the client never maps as changed survives"
        );

        let k = &n["contacts"][0];
        assert_eq!(k["title"], "Rear Admiral");
        assert_eq!(k["email"], "grace@navy.example");
        assert_eq!(k["phone"], "555-0123");
        assert_eq!(k["last_name"], "Hopper");
        assert_eq!(k["location"], "Warehouse");

        let a = raw(&server, "hardware_assets", &cfg);
        assert_eq!(a["serialNumber"], "SN-10");
        assert_eq!(a["description"], "file server");
        assert_eq!(a["macAddress"], "AA:BB:CC:00:11:22");

        // Errors come back as rejections with the PSA's message.
        let err = c
            .create(Kind::Configuration, &fields(json!({"org": org})), &ctx)
            .await
            .unwrap_err();
        match err {
            PsaError::Rejected { status, message } => {
                assert_eq!(status, 400);
                assert!(message.contains("Name"), "{message}");
            }
            other => panic!("{p}: expected a rejection, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn reauthenticates_after_token_expiry_and_pages_everything() {
    let p = Personality::Pulseway;
    let (server, mut c) = connected(p, None).await;
    for i in 0..205 {
        server.create_record(NeutralKind::Company, json!({"name": format!("Org {i}")}));
    }
    server.advance_clock(7200);
    let orgs = c.list(Kind::Organization).await.unwrap();
    assert_eq!(orgs.len(), 205);
}

/// The spec declares `summary/{id}` without the envelope; the client reads either shape.
#[tokio::test]
async fn reads_bare_summary_dtos() {
    let p = Personality::Bms;
    let settings = mock_psa::Settings {
        bms_summary_envelope: false,
        ..mock_psa::Settings::for_personality(p)
    };
    let (server, mut c) = connected(p, Some(settings)).await;
    let (ctx, org) = acme(&mut c).await;
    // A Kaseya BMS contact needs a location (R19): the account's main one.
    let main = c.list(Kind::Location).await.unwrap()[0].id.clone();
    let contact = c
        .create(
            Kind::Contact,
            &fields(json!({"org": org, "first_name": "Ann", "last_name": "Lee",
                           "email": "ann@acme.test", "phone": "555-0100", "location": main})),
            &ctx,
        )
        .await
        .unwrap();
    // Changing the e-mail reads the contact's summary first.
    c.update(
        Kind::Contact,
        &contact,
        &fields(json!({"email": "ann@new.test"})),
        &ctx,
    )
    .await
    .unwrap();
    let row = raw(&server, "contacts", &contact);
    assert_eq!(row["emails"][0]["emailAddress"], "ann@new.test", "{row}");
}

/// A contact without a location is sent without one: the client picks no main location for it
/// (R19, docs/decisions.md). Kaseya BMS refuses it, naming the member; Pulseway PSA and Vorex
/// PSA, whose contact rule is off, keep it with no location.
#[tokio::test]
async fn a_contact_without_a_location_is_sent_without_one() {
    // No location member, or an empty one: the same "no location".
    for (p, location) in [Personality::Bms, Personality::Pulseway, Personality::Vorex]
        .into_iter()
        .flat_map(|p| [(p, None), (p, Some(""))])
    {
        let (server, mut c) = connected(p, None).await;
        let (ctx, org) = acme(&mut c).await;
        let mut ann = fields(json!({"org": org, "first_name": "Ann", "last_name": "Lee",
                                    "email": "ann@acme.test", "phone": "555-0100"}));
        if let Some(l) = location {
            ann.insert("location".into(), json!(l));
        }
        let made = c.create(Kind::Contact, &ann, &ctx).await;
        if p == Personality::Bms {
            match made {
                Err(PsaError::Rejected {
                    status: 400,
                    message,
                }) => {
                    assert!(message.contains("LocationId is required"), "{message}")
                }
                other => panic!("{p:?} {location:?}: expected the PSA's refusal, got {other:?}"),
            }
            continue;
        }
        let id = made.unwrap();
        let row = raw(&server, "contacts", &id);
        assert_eq!(row["locationId"], Value::Null, "{p:?}: {row}");
    }
}
