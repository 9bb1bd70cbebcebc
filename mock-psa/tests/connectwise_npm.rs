//! The real npm `connectwise-rest` library (tests/clients/connectwise.js), unmodified, against
//! `mock-psa serve --tls`: the library only speaks https, so this also proves the HTTPS listener
//! with a client that verifies the mock's certificate (NODE_EXTRA_CA_CERTS).

mod npm_support;

use npm_support::{admin_get, ensure_node_modules, run_script, Serve};

#[tokio::test]
async fn connectwise_rest_library_drives_the_mock_over_https() {
    ensure_node_modules();
    let serve = Serve::start("connectwise", true).await;
    let admin = serve.str("/admin_url");
    let https_port = serve.server["https"]["port"]
        .as_u64()
        .expect("https port in serve --json");
    let ca = serve.ca_file.clone().expect("CA file");
    assert!(ca.is_file(), "serve --ca-out wrote {}", ca.display());
    run_script(
        "connectwise.js",
        &[
            ("MOCK_HTTPS_PORT", https_port.to_string()),
            ("MOCK_ADMIN_URL", admin.clone()),
            ("NODE_EXTRA_CA_CERTS", ca.display().to_string()),
        ],
        17,
    )
    .await;

    // What the library sent, as the mock saw it.
    let journal = admin_get(&format!("{admin}/journal")).await;
    let entries = journal["entries"].as_array().expect("entries");
    let pages: Vec<&str> = entries
        .iter()
        .filter(|e| {
            e["path"] == "/v4_6_release/apis/3.0/company/companies"
                && e["query"].as_str().unwrap_or("").contains("pageSize=9")
        })
        .map(|e| e["query"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        pages.len(),
        7,
        "the paginate helper asked for 7 pages: {pages:?}"
    );
    assert!(
        pages.iter().all(|q| q.contains("orderBy=name+desc")),
        "{pages:?}"
    );
    let statuses: Vec<u64> = entries
        .iter()
        .filter_map(|e| e["status"].as_u64())
        .collect();
    for expected in [200, 201, 204, 400, 401, 404] {
        assert!(
            statuses.contains(&expected),
            "no {expected} in {statuses:?}"
        );
    }
    assert!(
        !statuses.contains(&500),
        "no request may end in a 500: {statuses:?}"
    );

    // What it left behind.
    let snap = admin_get(&format!("{admin}/snapshot?view=neutral")).await;
    let companies = snap["records"]["companies"].as_array().expect("companies");
    assert!(companies.iter().any(|c| c["name"] == "Renamed Co"));
    assert!(!companies.iter().any(|c| c["name"] == "Gone Co"));
    let contacts = snap["records"]["contacts"].as_array().expect("contacts");
    let jo = contacts
        .iter()
        .find(|c| c["first_name"] == "Jo")
        .expect("Jo Doe was created");
    assert_eq!(jo["company"], "Renamed Co");
    assert_eq!(jo["email"], "jo@example.com");
    let configs = snap["records"]["configurations"]
        .as_array()
        .expect("configurations");
    assert!(configs
        .iter()
        .any(|c| c["name"] == "PC-1" && c["manufacturer"] == "Dell" && c["type"] == "Workstation"));
}
