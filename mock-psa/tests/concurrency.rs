//! 32 writers x 1,000 creates per dialect (ConnectWise, Autotask, Kaseya BMS), each writer on
//! its own connection, over real HTTP: every create is answered, none is lost, every id is
//! issued once, and the dialect's own count and the stored records agree. Pulseway and Vorex
//! run the Kaseya BMS code with their own id plans: 32 x 100 each covers what differs.
//! No timing is asserted; the figures go to stderr. (`MOCK_PSA_CONCURRENCY_CREATES=N` changes
//! the creates per writer of the three dialects; Pulseway and Vorex take a tenth.)

mod support;

use mock_psa::Personality;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use support::kit::Kit;

const WRITERS: usize = 32;

/// Creates per writer: 1,000 unless `MOCK_PSA_CONCURRENCY_CREATES` says otherwise.
fn creates() -> usize {
    std::env::var("MOCK_PSA_CONCURRENCY_CREATES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// The dialect's own count of companies: ConnectWise's count route, Autotask's query count,
/// the BMS family's paged `totalRecords`.
async fn api_count(kit: &Kit, psa: Personality) -> i64 {
    let (status, body) = match psa {
        Personality::Connectwise => {
            kit.send(
                "GET",
                "/v4_6_release/apis/3.0/company/companies/count",
                None,
            )
            .await
        }
        Personality::Autotask => {
            let all = json!({"filter": [{"op": "gte", "field": "id", "value": 0}]});
            kit.send(
                "POST",
                "/ATServicesRest/V1.0/Companies/query/count",
                Some(all.to_string()),
            )
            .await
        }
        _ => {
            kit.send("GET", "/v2/crm/accounts/summary?PageSize=1", None)
                .await
        }
    };
    assert_eq!(status, 200, "{psa}: count: {body}");
    body["count"]
        .as_i64()
        .or_else(|| body["queryCount"].as_i64())
        .or_else(|| body["totalRecords"].as_i64())
        .unwrap_or_else(|| panic!("{psa}: no count in {body}"))
}

/// The create route and a body for company `name`, per dialect (BMS lookups read once).
async fn create_route(kit: &Kit, psa: Personality) -> (&'static str, Value) {
    match psa {
        Personality::Connectwise => (
            "/v4_6_release/apis/3.0/company/companies",
            json!({"identifier": "", "name": ""}),
        ),
        Personality::Autotask => (
            "/ATServicesRest/V1.0/Companies",
            json!({"companyName": "", "companyType": 1, "ownerResourceID": 29682885, "phone": "555-0100"}),
        ),
        _ => {
            let id = |path: &'static str, name: &'static str| async move {
                let (_, body) = kit.send("GET", path, None).await;
                body["result"]
                    .as_array()
                    .and_then(|rows| rows.iter().find(|r| r["name"] == name))
                    .and_then(|r| r["id"].as_i64())
                    .unwrap_or_else(|| panic!("{path}: no {name} in {body}"))
            };
            (
                "/v2/crm/accounts",
                json!({
                    "AccountName": "",
                    "AccountTypeId": id("/v2/system/accounttypes/lookup", "Customer").await,
                    "BusinessTypeId": id("/v2/system/lookup/businesstypes", "Enterprise").await,
                    "AccountManagerId": id("/v2/hr/employees/lookup", "Alex Admin").await,
                    "Locations": [{"LocationName": "Main", "Addresses": []}],
                }),
            )
        }
    }
}

fn named(psa: Personality, template: &Value, name: &str) -> Value {
    let mut body = template.clone();
    match psa {
        Personality::Connectwise => {
            body["identifier"] = json!(name);
            body["name"] = json!(name);
        }
        Personality::Autotask => body["companyName"] = json!(name),
        _ => body["AccountName"] = json!(name),
    }
    body
}

/// The id a create answered, wherever the dialect puts it.
fn created_id(body: &Value) -> Option<i64> {
    body["id"]
        .as_i64()
        .or_else(|| body["itemId"].as_i64())
        .or_else(|| body["result"]["id"].as_i64())
        .or_else(|| body["result"].as_i64())
}

async fn writers_lose_nothing(psa: Personality, per: usize) {
    let kit = Arc::new(Kit::start(psa).await);
    // The PSAs' own request quotas would (rightly) refuse 32,000 calls in a virtual hour.
    let resp = kit
        .http
        .put(format!("{}/settings", kit.server.admin_url()))
        .json(&json!({"bms_hourly_quota": 0, "at_enforce_request_limit": false}))
        .send()
        .await
        .expect("settings");
    assert_eq!(resp.status().as_u16(), 200);
    let (route, template) = create_route(&kit, psa).await;
    let before = api_count(&kit, psa).await;
    let template = Arc::new(template);
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let kit = kit.clone();
        let template = template.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::with_capacity(per);
            for i in 0..per {
                let name = format!("W{w:02}-{i:04}");
                let body = named(psa, &template, &name).to_string();
                let (status, reply) = kit.send("POST", route, Some(body)).await;
                assert!(status < 300, "{psa} {name}: {status} {reply}");
                ids.push(created_id(&reply).unwrap_or_else(|| panic!("{psa}: no id in {reply}")));
            }
            ids
        }));
    }
    let mut ids = BTreeSet::new();
    let mut answered = 0;
    for t in tasks {
        for id in t.await.expect("writer") {
            answered += 1;
            ids.insert(id);
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(answered, WRITERS * per, "{psa}");
    assert_eq!(ids.len(), WRITERS * per, "{psa}: an id was issued twice");

    // Every record is stored once, under the id its create answered.
    let resp = kit
        .http
        .get(format!("{}/snapshot?view=neutral", kit.server.admin_url()))
        .send()
        .await
        .expect("snapshot");
    let (_, snap) = support::reply(resp).await;
    let stored: BTreeSet<(i64, String)> = snap["records"]["companies"]
        .as_array()
        .expect("companies")
        .iter()
        .filter_map(|c| Some((c["id"].as_i64()?, c["name"].as_str()?.to_string())))
        .filter(|(_, n)| n.starts_with('W'))
        .collect();
    assert_eq!(stored.len(), WRITERS * per, "{psa}: records lost");
    assert!(
        stored.iter().all(|(id, _)| ids.contains(id)),
        "{psa}: stored ids differ"
    );
    let after = api_count(&kit, psa).await;
    assert_eq!(
        after - before,
        (WRITERS * per) as i64,
        "{psa}: the API's count"
    );
    eprintln!(
        "{psa}: {WRITERS} writers x {per} creates: {} answered, {} unique ids, {} stored, count {before} -> {after}, in {:.1} s",
        answered,
        ids.len(),
        stored.len(),
        elapsed.as_secs_f64()
    );
}

// One test per dialect, so the harness runs them side by side and names the one that fails.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectwise_writers_lose_nothing_and_ids_are_unique() {
    writers_lose_nothing(Personality::Connectwise, creates()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autotask_writers_lose_nothing_and_ids_are_unique() {
    writers_lose_nothing(Personality::Autotask, creates()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kaseya_bms_writers_lose_nothing_and_ids_are_unique() {
    writers_lose_nothing(Personality::Bms, creates()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulseway_writers_lose_nothing_and_ids_are_unique() {
    writers_lose_nothing(Personality::Pulseway, creates() / 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vorex_writers_lose_nothing_and_ids_are_unique() {
    writers_lose_nothing(Personality::Vorex, creates() / 10).await;
}
