//! The real npm `@apigrate/autotask-restapi` library (tests/clients/autotask.js), unmodified,
//! against `mock-psa serve`: zone lookup, queries and paging, writes, metadata, error paths.

mod npm_support;

use npm_support::{admin_get, ensure_node_modules, run_script, Serve};

#[tokio::test]
async fn apigrate_autotask_library_drives_the_mock() {
    ensure_node_modules();
    let serve = Serve::start("autotask", false).await;
    let admin = serve.str("/admin_url");
    run_script(
        "autotask.js",
        &[
            ("MOCK_ORIGIN", serve.str("/origin")),
            ("MOCK_ADMIN_URL", admin.clone()),
        ],
        16,
    )
    .await;

    let journal = admin_get(&format!("{admin}/journal")).await;
    let entries = journal["entries"].as_array().expect("entries");
    // The library's lazy zone lookup comes first, then everything goes to the zone's url.
    assert_eq!(entries[0]["path"], "/ATServicesRest/v1.0/zoneInformation");
    assert_eq!(entries[0]["query"], "user=api%40example.com");
    let next_pages = entries
        .iter()
        .filter(|e| {
            e["method"] == "POST" && e["path"] == "/ATServicesRest/V1.0/Companies/query/next"
        })
        .count();
    assert_eq!(
        next_pages, 4,
        "four nextPageUrl follow-ups after the first page"
    );
    let statuses: Vec<u64> = entries
        .iter()
        .filter_map(|e| e["status"].as_u64())
        .collect();
    for expected in [200, 401, 405, 500] {
        assert!(
            statuses.contains(&expected),
            "no {expected} in {statuses:?}"
        );
    }

    let snap = admin_get(&format!("{admin}/snapshot?view=neutral")).await;
    let companies = snap["records"]["companies"].as_array().expect("companies");
    assert!(companies.iter().any(|c| c["name"] == "Acme Replaced"));
    assert!(!companies.iter().any(|c| c["name"] == "Bad Owner"));
    let configs = snap["records"]["configurations"]
        .as_array()
        .expect("configurations");
    let laptop = configs
        .iter()
        .find(|c| c["name"] == "LT-01")
        .expect("the configuration item was created");
    assert_eq!(laptop["manufacturer"], "Lenovo");
    assert_eq!(laptop["model"], "ThinkPad T14");
    assert_eq!(laptop["company"], "Acme Replaced");
}
