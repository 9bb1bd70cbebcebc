//! The real binary under `serve --psa all`: the worst input of each dialect (the inputs that
//! once aborted or stalled the process) is answered, and all five personalities still answer
//! afterwards. The process is killed when the test ends.

mod support;

use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn every_personality_survives_the_worst_input_of_every_dialect() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-psa"))
        .args(["serve", "--psa", "all", "--port", "0", "--json"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn mock-psa");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("listeners described in time")
        .expect("read")
        .expect("a line");
    let doc: Value = serde_json::from_str(&line).expect("JSON line");
    let origins: Vec<(String, String)> = doc["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .map(|s| {
            (
                s["psa"].as_str().unwrap().to_string(),
                s["origin"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(origins.len(), 5);
    let http = support::client();
    let enc = support::kit::enc;
    let cw = format!("{}id=1{}", "(".repeat(1300), ")".repeat(1300));
    let odata = format!("{}Id eq 1{}", "(".repeat(1300), ")".repeat(1300));
    let at = format!(
        "{{\"filter\":[{}{{\"op\":\"exist\",\"field\":\"id\"}}{}]}}",
        "{\"op\":\"or\",\"items\":[".repeat(1000),
        "]}".repeat(1000)
    );
    let yaml = format!("native:\n  t: {}", "[".repeat(40_000));
    let mut sent = 0;
    for (psa, origin) in &origins {
        // Every dialect's worst filter, to every personality (the wrong dialect's answer is a
        // 404 or 401; the point is that nothing stops the process).
        let targets = [
            format!(
                "/v4_6_release/apis/3.0/company/companies?conditions={}",
                enc(&cw)
            ),
            format!("/ATServicesRest/V1.0/Companies/query?search={}", enc(&at)),
            format!("/api/crm/accounts?$filter={}", enc(&odata)),
        ];
        for t in &targets {
            let resp = tokio::time::timeout(
                Duration::from_secs(20),
                http.get(format!("{origin}{t}")).send(),
            )
            .await
            .unwrap_or_else(|_| panic!("{psa}: stalled"))
            .unwrap_or_else(|e| panic!("{psa}: {}", e.without_url()));
            assert!(
                resp.status().as_u16() < 500 || psa == "autotask",
                "{psa}: {}",
                resp.status()
            );
            sent += 1;
        }
        let resp = tokio::time::timeout(
            Duration::from_secs(20),
            http.post(format!("{origin}/__admin/seed"))
                .body(yaml.clone())
                .send(),
        )
        .await
        .unwrap_or_else(|_| panic!("{psa}: seed stalled"))
        .expect("seed answered");
        assert_eq!(resp.status().as_u16(), 400, "{psa}: deep seed");
        sent += 1;
    }
    for (psa, origin) in &origins {
        let resp = http
            .get(format!("{origin}/__admin/health"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{psa} died: {e}"));
        let (status, body) = support::reply(resp).await;
        assert_eq!(status, 200, "{psa}: {body}");
        assert_eq!(body["psa"], psa.as_str());
    }
    assert!(
        child.try_wait().expect("status").is_none(),
        "the process exited"
    );
    eprintln!("serve --psa all: {sent} worst-case requests answered; 5 personalities alive");
    child.kill().await.expect("kill");
}
