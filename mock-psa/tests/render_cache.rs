//! Rendered bytes kept between requests (`render_cache`): over real HTTP, on each dialect, a
//! record read again and again answers the same bytes as its first render, and any change
//! (to the record itself, or to a record its references name) shows at once.

mod support;

use mock_psa::Personality;
use serde_json::{json, Value};
use support::kit::Kit;

/// (GET by id, list) targets for record `id` of the kind the admin API calls `kind`.
fn targets(psa: Personality, kind: &str, id: i64) -> (String, String) {
    match (psa, kind) {
        (Personality::Connectwise, "company") => {
            let api = "/v4_6_release/apis/3.0/company/companies";
            (format!("{api}/{id}"), format!("{api}?pageSize=25"))
        }
        (Personality::Connectwise, _) => {
            let api = "/v4_6_release/apis/3.0/company/contacts";
            (format!("{api}/{id}"), format!("{api}?pageSize=25"))
        }
        (Personality::Autotask, "company") => (
            format!("/ATServicesRest/V1.0/Companies/{id}"),
            format!(
                "/ATServicesRest/V1.0/Companies/query?search={}",
                support::kit::enc(r#"{"filter":[{"op":"exist","field":"id"}]}"#)
            ),
        ),
        (Personality::Autotask, _) => (
            format!("/ATServicesRest/V1.0/Contacts/{id}"),
            format!(
                "/ATServicesRest/V1.0/Contacts/query?search={}",
                support::kit::enc(r#"{"filter":[{"op":"exist","field":"id"}]}"#)
            ),
        ),
        (_, "company") => (
            format!("/v2/crm/accounts/summary/{id}"),
            "/v2/crm/accounts/summary?PageSize=25".into(),
        ),
        (_, _) => (
            format!("/v2/crm/contacts/summary/{id}"),
            "/v2/crm/contacts/summary?PageSize=25".into(),
        ),
    }
}

async fn admin(kit: &Kit, method: &str, path: &str, body: Value) -> Value {
    let resp = kit
        .http
        .request(
            method.parse().expect("method"),
            format!("{}{path}", kit.server.admin_url()),
        )
        .json(&body)
        .send()
        .await
        .expect("admin answers");
    let (status, v) = support::reply(resp).await;
    assert!(status < 300, "{method} {path}: {status} {v}");
    v
}

async fn patch(kit: &Kit, kind: &str, id: i64, fields: Value) {
    admin(kit, "PATCH", &format!("/records/{kind}/{id}"), fields).await;
}

/// The dialects write their envelopes by hand around the kept bytes: each answer must be
/// exactly what serde writes for the same value (no stray byte, no member twice, since a
/// parse would fold it), in the dialect's envelope with its members in order.
fn assert_serde_form(psa: Personality, target: &str, body: &str) {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{target}: {e}: {body}"));
    assert_eq!(
        serde_json::to_string(&v).unwrap(),
        body,
        "{target}: not serde's form"
    );
    let keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let by_id = !target.contains("query") && !target.contains("ageSize");
    match psa {
        Personality::Connectwise if by_id => assert!(v["id"].is_i64(), "{target}: {body}"),
        Personality::Connectwise => assert!(v.as_array().is_some_and(|a| !a.is_empty())),
        Personality::Autotask if by_id => assert_eq!(keys, ["item"], "{target}"),
        Personality::Autotask => assert_eq!(keys, ["items", "pageDetails"], "{target}"),
        _ if by_id => assert_eq!(keys, ["success", "error", "result"], "{target}"),
        _ => assert_eq!(
            keys,
            ["success", "error", "result", "totalRecords"],
            "{target}"
        ),
    }
}

/// Three reads of each target answer the same bytes; each is returned to the caller.
async fn read_thrice(kit: &Kit, target: &str) -> String {
    let (status, first) = kit.send_text("GET", target, None).await;
    assert_eq!(status, 200, "{target}: {first}");
    assert_serde_form(kit.server.personality(), target, &first);
    for _ in 0..2 {
        let (status, again) = kit.send_text("GET", target, None).await;
        assert_eq!(status, 200);
        assert_eq!(
            again, first,
            "{target}: a kept render differs from the first"
        );
    }
    first
}

async fn changes_show_at_once(psa: Personality) {
    let kit = Kit::start(psa).await;
    let company = admin(
        &kit,
        "POST",
        "/records/company",
        json!({"name": "Before Ltd"}),
    )
    .await;
    let company = company["id"].as_i64().expect("company id");
    let contact = admin(
        &kit,
        "POST",
        "/records/contact",
        json!({"first_name": "Ada", "last_name": "Lovelace", "company": "Before Ltd",
               "email": "ada@before.test"}),
    )
    .await;
    let contact = contact["id"].as_i64().expect("contact id");

    let (company_get, company_list) = targets(psa, "company", company);
    let (contact_get, contact_list) = targets(psa, "contact", contact);
    for t in [&company_get, &company_list] {
        let body = read_thrice(&kit, t).await;
        assert!(body.contains("Before Ltd"), "{psa:?} {t}: {body}");
    }
    read_thrice(&kit, &contact_list).await;
    let contact_before = read_thrice(&kit, &contact_get).await;

    // ConnectWise's contact shows `company.name`, BMS's `accountName`; Autotask's only the id.
    let names_company = psa != Personality::Autotask;
    assert_eq!(
        contact_before.contains("Before Ltd"),
        names_company,
        "{psa:?}: {contact_before}"
    );

    // A change to the record itself.
    patch(&kit, "company", company, json!({"name": "After Ltd"})).await;
    for t in [&company_get, &company_list] {
        let body = read_thrice(&kit, t).await;
        assert!(body.contains("After Ltd"), "{psa:?} {t}: {body}");
        assert!(
            !body.contains("Before Ltd"),
            "{psa:?} {t}: a stale render: {body}"
        );
    }
    // A change to the record a reference names: the contact shows the new name at once.
    let contact_after = read_thrice(&kit, &contact_get).await;
    assert_eq!(
        contact_after.contains("After Ltd"),
        names_company,
        "{psa:?}: the contact still names its company's old name: {contact_after}"
    );
    // A change to the contact itself, in the list too.
    patch(&kit, "contact", contact, json!({"first_name": "Grace"})).await;
    for t in [&contact_get, &contact_list] {
        let body = read_thrice(&kit, t).await;
        assert!(body.contains("Grace"), "{psa:?} {t}: {body}");
    }
}

#[tokio::test]
async fn connectwise_changes_show_at_once() {
    changes_show_at_once(Personality::Connectwise).await;
}

#[tokio::test]
async fn autotask_changes_show_at_once() {
    changes_show_at_once(Personality::Autotask).await;
}

#[tokio::test]
async fn bms_changes_show_at_once() {
    changes_show_at_once(Personality::Bms).await;
}
