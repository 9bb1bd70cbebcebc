//! The raw listing (`mock-psa capture` reads with it): every record of every kind as the wire
//! returns it, with every member, the same rows the canonical listing reads.

use mock_psa::testing::MockPsa;
use mock_psa::Personality;
use reference_sync::clients::{raw_client_for, Http, RawKind};
use reference_sync::psa::Kind;
use serde_json::{json, Value};

fn id_of(row: &serde_json::Map<String, Value>) -> String {
    match row.get("id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        other => panic!("a raw row without an id: {other:?} in {row:?}"),
    }
}

#[tokio::test]
async fn raw_rows_are_the_listed_records_with_every_member() {
    for psa in Personality::ALL {
        let server = MockPsa::start(psa).await;
        server.seed(
            &json!({
                "companies": [{"name": "Acme"}, {"name": "Beta"}],
                "locations": [{"company": "Acme", "name": "Depot"}],
                "contacts": [
                    {"company": "Acme", "first_name": "Ann", "last_name": "Lee", "location": "Depot"},
                    {"company": "Beta", "first_name": "Bob", "last_name": "Ray"},
                ],
                "configurations": [{"company": "Beta", "name": "PC-1", "type": "Workstation",
                                    "status": "Active", "manufacturer": "Dell", "model": "X1",
                                    "serial_number": "SN-1"}],
                "tickets": [{"company": "Acme", "title": "Printer jammed"}],
            })
            .to_string(),
        );
        let mut client = raw_client_for(crate::connection(&server, psa), Http::default());
        client.connect().await.expect("connect");
        let orgs = client
            .list(Kind::Organization)
            .await
            .expect("organizations");
        let org_ids: Vec<String> = orgs.iter().map(|o| o.id.clone()).collect();
        client.scope_children(&org_ids);
        let mut kinds = vec![(RawKind::Record(Kind::Organization), org_ids.clone())];
        for kind in [Kind::Location, Kind::Contact, Kind::Configuration] {
            let ids = client
                .list(kind)
                .await
                .expect("list")
                .into_iter()
                .map(|r| r.id);
            kinds.push((RawKind::Record(kind), ids.collect()));
        }
        let tickets = client.list_tickets().await.expect("tickets");
        kinds.push((RawKind::Ticket, tickets.into_iter().map(|t| t.id).collect()));
        for (kind, mut listed) in kinds {
            let raw = client.list_raw(kind).await.expect("raw");
            // Autotask's own company (id 0) and what belongs to it are on the wire; the
            // canonical listing leaves them out.
            let owners = |r: &&serde_json::Map<String, Value>| {
                psa == Personality::Autotask
                    && (r.get("companyID") == Some(&json!(0))
                        || kind == RawKind::Record(Kind::Organization) && r["id"] == 0)
            };
            let mut ids: Vec<String> = raw.iter().filter(|r| !owners(r)).map(id_of).collect();
            ids.sort();
            listed.sort();
            assert!(!listed.is_empty(), "{psa:?} {kind:?}: the seed has some");
            assert_eq!(
                ids, listed,
                "{psa:?} {kind:?}: the same rows as the listing"
            );
            for row in &raw {
                assert!(row.len() > 3, "{psa:?} {kind:?}: every member, got {row:?}");
            }
        }
    }
}
