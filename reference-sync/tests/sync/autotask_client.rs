//! The Autotask client against the Autotask mock, over real HTTP.

use mock_psa::testing::MockPsa;
use mock_psa::{NeutralKind, Personality};
use reference_sync::clients::autotask::AutotaskClient;
use reference_sync::psa::{Connection, Fields, Kind, PsaClient, PsaError, PushContext};
use serde_json::{json, Value};

fn fields(v: Value) -> Fields {
    v.as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

async fn setup() -> (MockPsa, AutotaskClient) {
    let server = MockPsa::start(Personality::Autotask).await;
    let mut client = AutotaskClient::new(Connection {
        personality: Personality::Autotask,
        origin: server.uri(),
        credentials: Personality::Autotask.default_credentials(),
    });
    client.connect().await.expect("connect");
    (server, client)
}

/// The first record of `kind` in the PSA, in the neutral vocabulary.
fn first(server: &MockPsa, kind: NeutralKind) -> Value {
    Value::Object(server.records(kind).swap_remove(0))
}

#[tokio::test]
async fn creates_and_lists_every_kind_in_canonical_fields() {
    let (server, mut client) = setup().await;
    let ctx = PushContext {
        email_type: Some("Email".into()),
        phone_type: Some("Direct".into()),
        account_manager: Some("Alex Admin".into()),
        ..Default::default()
    };
    let org = client
        .create(
            Kind::Organization,
            &fields(json!({"name": "Contoso", "short_name": "CON", "type": "Prospect", "status": "Active"})),
            &ctx,
        )
        .await
        .expect("org");
    let loc = client
        .create(
            Kind::Location,
            &fields(json!({"org": org, "name": "HQ", "city": "Toronto", "country": "Canada", "primary": true})),
            &ctx,
        )
        .await
        .expect("location");
    let contact = client
        .create(
            Kind::Contact,
            &fields(
                json!({"org": org, "first_name": "Ada", "last_name": "Lovelace",
                           "email": "ada@example.com", "phone": "555-0101", "location": loc}),
            ),
            &ctx,
        )
        .await
        .expect("contact");
    let ci = client
        .create(
            Kind::Configuration,
            &fields(json!({"org": org, "name": "SRV-01", "type": "Server", "status": "Active",
                           "manufacturer": "Lenovo", "model": "ThinkSystem SR630", "serial_number": "SN9"})),
            &ctx,
        )
        .await
        .expect("configuration");

    let orgs = client.list(Kind::Organization).await.unwrap();
    assert_eq!(orgs.len(), 1, "the own company is not listed: {orgs:?}");
    assert_eq!(orgs[0].id, org);
    assert_eq!(orgs[0].fields["name"], "Contoso");
    assert_eq!(orgs[0].fields["short_name"], "CON");
    assert_eq!(orgs[0].fields["type"], "Prospect");
    assert_eq!(orgs[0].fields["status"], "Active");

    let locs = client.list(Kind::Location).await.unwrap();
    let hq = locs.iter().find(|l| l.id == loc).expect("HQ listed");
    assert_eq!(hq.fields["org"], json!(org));
    assert_eq!(hq.fields["country"], "Canada");
    assert_eq!(hq.fields["primary"], true);
    // The company's automatic primary location lost its flag to HQ.
    assert_eq!(locs.len(), 2);

    let contacts = client.list(Kind::Contact).await.unwrap();
    assert_eq!(contacts.len(), 1);
    let c = &contacts[0];
    assert_eq!(c.id, contact);
    assert_eq!(c.fields["email"], "ada@example.com");
    assert_eq!(c.fields["email_type"], "Email");
    assert_eq!(c.fields["phone_type"], "Direct");
    assert_eq!(c.fields["location"], json!(loc));

    let cis = client.list(Kind::Configuration).await.unwrap();
    assert_eq!(cis.len(), 1);
    assert_eq!(cis[0].id, ci);
    assert_eq!(cis[0].fields["name"], "SRV-01");
    assert_eq!(cis[0].fields["manufacturer"], "Lenovo");
    assert_eq!(cis[0].fields["model"], "ThinkSystem SR630");
    assert_eq!(cis[0].fields["type"], "Server");

    // Re-pointing the model moves the CI to another product.
    client
        .update(
            Kind::Configuration,
            &ci,
            &fields(json!({"model": "OptiPlex 7090", "manufacturer": "Dell"})),
            &ctx,
        )
        .await
        .unwrap();
    let cis = client.list(Kind::Configuration).await.unwrap();
    assert_eq!(cis[0].fields["model"], "OptiPlex 7090");
    assert_eq!(cis[0].fields["name"], "SRV-01");

    let cfg = first(&server, NeutralKind::Configuration);
    assert_eq!(cfg["manufacturer"], "Dell");
}

#[tokio::test]
async fn contact_without_email_type_is_pushed_without_email() {
    let (server, mut client) = setup().await;
    let ctx = PushContext::default();
    let org = client
        .create(
            Kind::Organization,
            &fields(json!({"name": "Fabrikam"})),
            &ctx,
        )
        .await
        .unwrap();
    client
        .create(
            Kind::Contact,
            &fields(json!({"org": org, "first_name": "Bo", "last_name": "Li", "email": "bo@example.com"})),
            &ctx,
        )
        .await
        .unwrap();
    let c = &first(&server, NeutralKind::Contact);
    assert_eq!(c["first_name"], "Bo");
    assert!(c.get("email").is_none(), "{c}");
}

#[tokio::test]
async fn partial_update_keeps_unmapped_fields() {
    let (server, mut client) = setup().await;
    server.create_record(NeutralKind::Company, json!({"name": "Northwind"}));
    let id = server
        .create_record(
            NeutralKind::Contact,
            json!({"company": "Northwind", "first_name": "Sam", "last_name": "Hill",
                   "suffix": "Jr.", "title": "Clerk"}),
        )
        .to_string();

    let ctx = PushContext::default();
    let contacts = client.list(Kind::Contact).await.unwrap();
    assert_eq!(contacts[0].fields["title"], "Clerk");
    client
        .update(
            Kind::Contact,
            &id,
            &fields(json!({"title": "Manager"})),
            &ctx,
        )
        .await
        .unwrap();
    let c = &first(&server, NeutralKind::Contact);
    assert_eq!(c["title"], "Manager");
    assert_eq!(c["suffix"], "Jr.");
    assert_eq!(c["last_name"], "Hill");
}

#[tokio::test]
async fn configuration_without_manufacturer_is_unmappable_and_errors_are_rejections() {
    let (_server, mut client) = setup().await;
    let ctx = PushContext::default();
    let org = client
        .create(
            Kind::Organization,
            &fields(json!({"name": "Tailspin"})),
            &ctx,
        )
        .await
        .unwrap();
    let err = client
        .create(
            Kind::Configuration,
            &fields(json!({"org": org, "name": "PC-1"})),
            &ctx,
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        PsaError::Unmappable("Autotask configurations need a manufacturer and model".into())
    );

    // An API-only account manager is refused by the PSA (R6) as a 500 business error.
    let api_owner = PushContext {
        account_manager: Some("API User".into()),
        ..Default::default()
    };
    let err = client
        .create(
            Kind::Organization,
            &fields(json!({"name": "Nope"})),
            &api_owner,
        )
        .await
        .unwrap_err();
    match err {
        PsaError::Rejected { status, message } => {
            assert_eq!(status, 500);
            assert!(message.contains("API-only"), "{message}");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}
