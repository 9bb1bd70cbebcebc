//! Every client lists tickets (R38) in canonical form through every page, and only reads.

use mock_psa::testing::MockPsa;
use mock_psa::Personality;
use reference_sync::clients::{client_for, Http};
use serde_json::json;

/// More tickets than one page holds in any dialect (ConnectWise pages by 1,000).
const TICKETS: usize = 1001;

#[tokio::test]
async fn every_client_lists_every_ticket_in_canonical_form_and_writes_nothing() {
    for psa in [
        Personality::Connectwise,
        Personality::Autotask,
        Personality::Bms,
        Personality::Pulseway,
    ] {
        let server = MockPsa::start(psa).await;
        let seed = json!({
            "companies": [{"name": "Acme"}, {"name": "Beta"}],
            "contacts": [{"company": "Acme", "first_name": "Ann", "last_name": "Lee"}],
            "tickets": [
                {"company": "Acme", "title": "T {n}", "board": "Projects", "contact": "Ann Lee",
                 "repeat": TICKETS},
                {"company": "Beta", "title": "Other", "status": "In Progress"},
            ],
        });
        let created = server.seed(&seed.to_string());
        let acme = created["created"]["companies"][0].to_string();
        let mut client = client_for(crate::connection(&server, psa), Http::default());
        client.connect().await.expect("connect");
        let tickets = client.list_tickets().await.expect("tickets");
        assert_eq!(tickets.len(), TICKETS + 1, "{psa:?}");
        let first = &tickets[0].fields;
        for (k, v) in [
            ("title", "T 0001"),
            ("board", "Projects"),
            ("status", "New"),
            ("contact", "Ann Lee"),
            ("org", acme.as_str()),
            ("created", "2024-01-01T00:00:00Z"),
            ("updated", "2024-01-01T00:00:00Z"),
        ] {
            assert_eq!(first.get(k), Some(&json!(v)), "{psa:?} {k}: {first:?}");
        }
        assert!(first["priority"].as_str().is_some_and(|p| !p.is_empty()));
        let number = first["number"].as_str().unwrap_or_default();
        let expected = match psa {
            Personality::Connectwise => tickets[0].id.clone(),
            _ => "T20240101.0001".to_string(),
        };
        assert_eq!(number, expected, "{psa:?}");
        let last = &tickets[TICKETS].fields;
        assert_eq!(
            (last["title"].as_str(), last["status"].as_str()),
            (Some("Other"), Some("In Progress")),
            "{psa:?}"
        );
        // No contact: absent, or empty as the PSA sends it (decoded as null).
        assert!(
            last.get("contact").is_none_or(serde_json::Value::is_null),
            "{psa:?}: {last:?}"
        );

        // Reads only: GETs, Autotask's POSTed queries (and their next pages), BMS sign-in.
        for e in server.received_requests() {
            let (method, path) = (e.method.as_str(), e.path.as_str());
            let read = method == "GET"
                || path.contains("/query")
                || path.ends_with("/security/authenticate");
            assert!(read, "{psa:?}: {method} {path}");
        }
    }
}
