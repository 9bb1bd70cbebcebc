//! `PUT /__admin/settings` as a user tunes a running mock: a partial body changes only what it
//! names, and a bad body is refused without changing anything.

mod support;

use mock_psa::{MockServer, Personality};
use serde_json::{json, Value};

async fn put(server: &MockServer, body: &str) -> (u16, Value) {
    let resp = support::client()
        .put(format!("{}/settings", server.admin_url()))
        .body(body.to_string())
        .send()
        .await
        .expect("admin call");
    support::reply(resp).await
}

async fn get(server: &MockServer) -> Value {
    support::client()
        .get(format!("{}/settings", server.admin_url()))
        .send()
        .await
        .expect("admin call")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn a_partial_put_keeps_the_personality_defaults() {
    let (server, _) = support::start(Personality::Bms).await;
    let before = get(&server).await;
    assert_eq!(before["bms_contact_rule"], true, "on for Kaseya BMS");
    let (status, after) = put(&server, r#"{"bms_hourly_quota": 5}"#).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["bms_hourly_quota"], 5);
    assert_eq!(
        after["bms_contact_rule"], true,
        "untouched keys keep their values"
    );
    let mut expected = before.clone();
    expected["bms_hourly_quota"] = json!(5);
    assert_eq!(get(&server).await, expected);
}

#[tokio::test]
async fn a_bad_settings_body_is_refused_and_changes_nothing() {
    let (server, _) = support::start(Personality::Connectwise).await;
    let before = get(&server).await;
    for (body, says) in [
        (r#"{"no_such_setting": 1}"#, "no_such_setting"),
        (r#"{"max_body_bytes": "big"}"#, "max_body_bytes"),
        (r#"[1, 2]"#, "expected a JSON object"),
        (r#"{"max_body_bytes": "#, "settings"),
    ] {
        let (status, reply) = put(&server, body).await;
        assert_eq!(status, 400, "{body}: {reply}");
        assert!(reply.to_string().contains(says), "{body}: {reply}");
    }
    assert_eq!(get(&server).await, before);
}
