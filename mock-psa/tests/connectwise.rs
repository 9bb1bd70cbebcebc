//! ConnectWise Manage REST 3.0 personality over real HTTP.

mod support;

use base64::Engine;
use mock_psa::{MockServer, Personality};
use reqwest::{Client, Method};
use serde_json::{json, Value};

struct Cw {
    server: MockServer,
    http: Client,
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

fn basic(user: &str, secret: &str) -> String {
    let raw = format!("{user}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

impl Cw {
    async fn start() -> Cw {
        let (server, http) = support::start(Personality::Connectwise).await;
        Cw { server, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v4_6_release/apis/3.0/{path}", self.server.origin())
    }

    fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("Authorization", basic("acme+public", "private"))
            .header("clientId", "00000000-0000-0000-0000-000000000001")
    }

    async fn send(rb: reqwest::RequestBuilder) -> Reply {
        let resp = rb.send().await.expect("send");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        Reply {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut r = self.req(method, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        Cw::send(r).await
    }

    async fn get_q(&self, path: &str, query: &[(&str, &str)]) -> Reply {
        Cw::send(self.req(Method::GET, path).query(query)).await
    }

    /// A forward-only page of `size` rows after id `after`.
    async fn forward_only(&self, path: &str, size: usize, after: i64) -> Reply {
        let query = [
            ("pageSize", size.to_string()),
            ("pageId", after.to_string()),
        ];
        let req = self.req(Method::GET, path).query(&query);
        Cw::send(req.header("pagination-type", "forward-only")).await
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(method, format!("{}/__admin/{path}", self.server.origin()));
        if let Some(b) = body {
            r = r.json(&b);
        }
        support::reply(r.send().await.expect("admin send")).await
    }

    async fn seed_companies(&self, n: usize) {
        let companies: Vec<Value> = (1..=n)
            .map(|i| json!({"name": format!("Co {i:03}"), "type": "Customer", "status": "Active"}))
            .collect();
        let (s, b) = self
            .admin(
                Method::POST,
                "seed",
                Some(json!({ "companies": companies })),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }

    async fn create_company(&self, identifier: &str, name: &str) -> i64 {
        let r = self
            .call(
                Method::POST,
                "company/companies",
                Some(json!({"identifier": identifier, "name": name})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_i64().expect("id")
    }
}

fn ids(body: &Value) -> Vec<i64> {
    body.as_array()
        .expect("array body")
        .iter()
        .map(|v| v["id"].as_i64().expect("id"))
        .collect()
}

/// The `name` of every element of an array body.
fn names(body: &Value) -> Vec<&str> {
    body.as_array()
        .expect("array body")
        .iter()
        .map(|v| v["name"].as_str().expect("name"))
        .collect()
}

fn link_part<'a>(link: &'a str, rel: &str) -> Option<&'a str> {
    link.split(", ")
        .find(|p| p.ends_with(&format!("rel=\"{rel}\"")))
}

// 1. Authentication -------------------------------------------------------------------------

#[tokio::test]
async fn wrong_private_key_is_401_user_not_authenticated() {
    let cw = Cw::start().await;
    let r = Cw::send(
        cw.http
            .get(cw.url("company/companies"))
            .header("Authorization", basic("acme+public", "wrong"))
            .header("clientId", "abc"),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["code"], "ConnectWiseApi");
    assert_eq!(r.body["message"], "UserNotAuthenticated");

    // The right keys work.
    let ok = cw.call(Method::GET, "company/companies", None).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[tokio::test]
async fn missing_client_id_is_401() {
    let cw = Cw::start().await;
    let r = Cw::send(
        cw.http
            .get(cw.url("company/companies"))
            .header("Authorization", basic("acme+public", "private")),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.body["code"], "ConnectWiseApi");

    let blank = Cw::send(
        cw.http
            .get(cw.url("company/companies"))
            .header("Authorization", basic("acme+public", "private"))
            .header("clientId", "  "),
    )
    .await;
    assert_eq!(blank.status, 401, "{}", blank.body);
}

#[tokio::test]
async fn company_info_is_public() {
    let cw = Cw::start().await;
    let resp = cw
        .http
        .get(format!("{}/login/companyinfo/acme", cw.server.origin()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["Codebase"], "v4_6_release/");
    assert_eq!(b["CompanyID"], "acme");
}

// 2. Creating companies ---------------------------------------------------------------------

#[tokio::test]
async fn create_company_renders_ids_info_and_status_reference() {
    let cw = Cw::start().await;
    let r = cw
        .call(
            Method::POST,
            "company/companies",
            Some(json!({"identifier": "Acme", "name": "Acme Inc", "status": {"name": "Active"}})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_i64().expect("id");
    assert!(id > 0);
    assert_eq!(r.body["_info"]["dateEntered"], "2024-01-01T00:00:00Z");
    let status = &r.body["status"];
    assert!(status["id"].as_i64().is_some(), "{status}");
    assert_eq!(status["name"], "Active");
    let href = status["_info"]["status_href"]
        .as_str()
        .expect("status_href");
    assert!(
        href.ends_with(&format!(
            "/company/companies/statuses/{}",
            status["id"].as_i64().unwrap()
        )),
        "{href}"
    );

    let got = cw
        .call(Method::GET, &format!("company/companies/{id}"), None)
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["identifier"], "Acme");
    assert_eq!(got.body["name"], "Acme Inc");
}

#[tokio::test]
async fn create_company_missing_identifier_is_invalid_object() {
    let cw = Cw::start().await;
    let r = cw
        .call(
            Method::POST,
            "company/companies",
            Some(json!({"name": "No Ident"})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["code"], "InvalidObject");
    let errors = r.body["errors"].as_array().expect("errors array");
    assert!(
        errors
            .iter()
            .any(|e| e["code"] == "MissingRequiredField" && e["field"] == "identifier"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn create_company_unknown_member_is_rejected() {
    let cw = Cw::start().await;
    let r = cw
        .call(
            Method::POST,
            "company/companies",
            Some(json!({"identifier": "X", "name": "X", "bogusField": 1})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["code"], "ConnectWiseApi");
    let msg = r.body["message"].as_str().unwrap_or_default();
    assert!(msg.contains("Could not find member"), "{msg}");
    assert!(msg.contains("bogusField"), "{msg}");
}

#[tokio::test]
async fn duplicate_identifier_is_400() {
    let cw = Cw::start().await;
    cw.create_company("Dup", "First").await;
    let r = cw
        .call(
            Method::POST,
            "company/companies",
            Some(json!({"identifier": "Dup", "name": "Second"})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let count = cw.call(Method::GET, "company/companies/count", None).await;
    assert_eq!(count.body["count"], 1);
}

// 3. References on input --------------------------------------------------------------------

#[tokio::test]
async fn contact_references_by_identifier_and_name() {
    let cw = Cw::start().await;
    let company = cw.create_company("Acme", "Acme Inc").await;
    let r = cw
        .call(
            Method::POST,
            "company/contacts",
            Some(json!({
                "firstName": "Jo",
                "lastName": "Doe",
                "company": {"identifier": "Acme"},
                "communicationItems": [
                    {"type": {"name": "Email"}, "value": "a@x.test", "defaultFlag": true}
                ]
            })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["company"]["id"], company);
    assert_eq!(r.body["company"]["identifier"], "Acme");
    let item = &r.body["communicationItems"][0];
    assert_eq!(item["communicationType"], "Email", "{item}");
    assert_eq!(item["type"]["name"], "Email");
    assert_eq!(item["value"], "a@x.test");
    assert_eq!(item["defaultFlag"], true);

    // Unknown reference names are field errors.
    let bad = cw
        .call(
            Method::POST,
            "company/contacts",
            Some(json!({"firstName": "X", "company": {"identifier": "Nope"}})),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
}

// 4. Paging ---------------------------------------------------------------------------------

#[tokio::test]
async fn navigable_paging_with_link_header() {
    let cw = Cw::start().await;
    cw.seed_companies(60).await;
    let r = cw
        .get_q("company/companies", &[("pageSize", "25"), ("page", "2")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = ids(&r.body);
    assert_eq!(got.len(), 25);
    assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
    assert_eq!(r.body[0]["name"], "Co 026");

    let link = r
        .headers
        .get("link")
        .expect("Link header")
        .to_str()
        .unwrap()
        .to_string();
    let next = link_part(&link, "next").expect("rel=next");
    assert!(next.contains("page=3>"), "{next}");
    let last = link_part(&link, "last").expect("rel=last");
    assert!(last.ends_with("&page=3>; rel=\"last\""), "{last}");

    let past = cw
        .get_q("company/companies", &[("pageSize", "25"), ("page", "9")])
        .await;
    assert_eq!(past.status, 200);
    assert_eq!(past.body, json!([]));

    let count = cw.call(Method::GET, "company/companies/count", None).await;
    assert_eq!(count.status, 200);
    assert_eq!(count.body, json!({"count": 60}));
}

#[tokio::test]
async fn forward_only_paging_returns_ids_after_page_id() {
    let cw = Cw::start().await;
    cw.seed_companies(60).await;
    let all = cw.get_q("company/companies", &[("pageSize", "100")]).await;
    let all_ids = ids(&all.body);
    assert_eq!(all_ids.len(), 60);
    let pivot = all_ids[10];

    let r = cw.forward_only("company/companies", 5, pivot).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = ids(&r.body);
    assert_eq!(got, all_ids[11..16].to_vec());
    assert!(got.iter().all(|&i| i > pivot));
    let link = r.headers.get("link").expect("link").to_str().unwrap();
    let next = link_part(link, "next").expect("next");
    assert!(next.contains(&format!("pageId={}", got[4])), "{next}");
}

#[tokio::test]
async fn a_company_s_sites_page_and_count_on_their_own() {
    let cw = Cw::start().await;
    let a = cw.create_company("A", "A Inc").await;
    let b = cw.create_company("B", "B Inc").await;
    // Interleaved, so a's sites are not a run of the table.
    let mut own = Vec::new();
    for i in 0..5 {
        for (company, name) in [(a, format!("A{i}")), (b, format!("B{i}"))] {
            let path = format!("company/companies/{company}/sites");
            let r = cw
                .call(Method::POST, &path, Some(json!({ "name": name })))
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
            if company == a {
                own.push(r.body["id"].as_i64().unwrap());
            }
        }
    }
    let sites = format!("company/companies/{a}/sites");
    let page = cw.get_q(&sites, &[("pageSize", "2"), ("page", "2")]).await;
    assert_eq!(ids(&page.body), own[2..4].to_vec());
    let link = page.headers.get("link").expect("link").to_str().unwrap();
    assert!(
        link_part(link, "last").expect("last").contains("page=3"),
        "{link}"
    );
    let count = cw.call(Method::GET, &format!("{sites}/count"), None).await;
    assert_eq!(count.body, json!({"count": 5}));
    let desc = cw.get_q(&sites, &[("orderBy", "name desc")]).await;
    assert_eq!(names(&desc.body), ["A4", "A3", "A2", "A1", "A0"]);
    let fwd = cw.forward_only(&sites, 2, own[1]).await;
    assert_eq!(ids(&fwd.body), own[2..4].to_vec());
    let named = cw.get_q(&sites, &[("conditions", "name = \"A3\"")]).await;
    assert_eq!(ids(&named.body), vec![own[3]]);
    // The route names the parent: a PATCH cannot move a site to another company, a DELETE
    // takes it off the list.
    let patch = json!([{"op": "replace", "path": "company", "value": {"id": b}}]);
    let site0 = format!("{sites}/{}", own[0]);
    cw.call(Method::PATCH, &site0, Some(patch)).await;
    assert_eq!(ids(&cw.get_q(&sites, &[]).await.body), own);
    assert_eq!(cw.call(Method::DELETE, &site0, None).await.status, 204);
    assert_eq!(ids(&cw.get_q(&sites, &[]).await.body), own[1..].to_vec());
}

#[tokio::test]
async fn page_size_is_capped_at_1000() {
    let cw = Cw::start().await;
    cw.seed_companies(3).await;
    let r = cw.get_q("company/companies", &[("pageSize", "5000")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids(&r.body).len(), 3);
    let link = r.headers.get("link").expect("link").to_str().unwrap();
    assert!(link.contains("pageSize=1000&"), "{link}");
    assert!(!link.contains("pageSize=5000"), "{link}");
}

// 5. Conditions -----------------------------------------------------------------------------

#[tokio::test]
async fn conditions_like_and_compound() {
    let cw = Cw::start().await;
    cw.seed_companies(60).await;
    let r = cw
        .get_q(
            "company/companies",
            &[("conditions", "name like \"Co 00%\""), ("pageSize", "100")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids(&r.body).len(), 9);

    let count = cw
        .get_q(
            "company/companies/count",
            &[("conditions", "name like \"Co 00%\"")],
        )
        .await;
    assert_eq!(count.body["count"], 9);

    let all = cw.get_q("company/companies", &[("pageSize", "100")]).await;
    let all_ids = ids(&all.body);
    let pivot = all_ids[9]; // 10th company
    let cond = format!("status/name=\"Active\" and id > {pivot}");
    let r = cw
        .get_q(
            "company/companies",
            &[("conditions", cond.as_str()), ("pageSize", "100")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got = ids(&r.body);
    assert_eq!(got.len(), 50);
    assert!(got.iter().all(|&i| i > pivot));

    // CW company ids start at 250, so 250..=309 were seeded.
    assert_eq!(all_ids.first(), Some(&250));
    let literal = cw
        .get_q(
            "company/companies/count",
            &[("conditions", "status/name=\"Active\" and id > 260")],
        )
        .await;
    assert_eq!(literal.body["count"], 49, "{}", literal.body);

    let none = cw
        .get_q(
            "company/companies/count",
            &[("conditions", "status/name=\"Inactive\"")],
        )
        .await;
    assert_eq!(none.body["count"], 0);
}

#[tokio::test]
async fn child_conditions_on_communication_items() {
    let cw = Cw::start().await;
    cw.create_company("Acme", "Acme Inc").await;
    for (first, email) in [("A", "a@x.test"), ("B", "b@x.test"), ("C", "ca@x.test")] {
        let r = cw
            .call(
                Method::POST,
                "company/contacts",
                Some(json!({
                    "firstName": first,
                    "company": {"identifier": "Acme"},
                    "communicationItems": [{"type": {"name": "Email"}, "value": email}]
                })),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = cw
        .get_q(
            "company/contacts",
            &[("childConditions", "communicationItems/value like \"a@%\"")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let arr = r.body.as_array().unwrap();
    assert_eq!(arr.len(), 1, "{}", r.body);
    assert_eq!(arr[0]["firstName"], "A");
}

#[tokio::test]
async fn malformed_conditions_is_400_envelope() {
    let cw = Cw::start().await;
    cw.seed_companies(2).await;
    let r = cw
        .get_q("company/companies", &[("conditions", "name =")])
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["code"], "ConnectWiseApi");
    assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    // The server is still alive afterwards.
    let ok = cw.call(Method::GET, "company/companies", None).await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn order_by_and_fields_projection() {
    let cw = Cw::start().await;
    cw.seed_companies(5).await;
    let r = cw
        .get_q(
            "company/companies",
            &[("orderBy", "name desc"), ("fields", "id,name")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let arr = r.body.as_array().unwrap();
    assert_eq!(
        names(&r.body),
        ["Co 005", "Co 004", "Co 003", "Co 002", "Co 001"]
    );
    for v in arr {
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 2, "{v}");
        assert!(v.get("id").is_some() && v.get("name").is_some(), "{v}");
    }
}

// 6. PATCH / PUT / DELETE -------------------------------------------------------------------

#[tokio::test]
async fn patch_replaces_one_field_and_keeps_others() {
    let cw = Cw::start().await;
    let r = cw
        .call(
            Method::POST,
            "company/companies",
            Some(json!({"identifier": "P1", "name": "Before", "phoneNumber": "555-0100"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let p = cw
        .call(
            Method::PATCH,
            &format!("company/companies/{id}"),
            Some(json!([{"op": "replace", "path": "name", "value": "Renamed"}])),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["id"], id);
    assert_eq!(p.body["name"], "Renamed");
    assert_eq!(p.body["identifier"], "P1");
    assert_eq!(p.body["phoneNumber"], "555-0100");
    assert_eq!(p.body["_info"]["dateEntered"], "2024-01-01T00:00:00Z");

    let bad = cw
        .call(
            Method::PATCH,
            &format!("company/companies/{id}"),
            Some(json!({"op": "replace", "path": "name", "value": "X"})),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.body["code"], "ConnectWiseApi");
    let still = cw
        .call(Method::GET, &format!("company/companies/{id}"), None)
        .await;
    assert_eq!(still.body["name"], "Renamed");
}

#[tokio::test]
async fn put_replaces_whole_record() {
    let cw = Cw::start().await;
    let r = cw
        .call(
            Method::POST,
            "company/companies",
            Some(json!({"identifier": "P2", "name": "Before", "phoneNumber": "555-0100"})),
        )
        .await;
    let id = r.body["id"].as_i64().unwrap();
    let p = cw
        .call(
            Method::PUT,
            &format!("company/companies/{id}"),
            Some(json!({"identifier": "P2", "name": "After"})),
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(p.body["name"], "After");
    assert!(p.body.get("phoneNumber").is_none(), "{}", p.body);
    let got = cw
        .call(Method::GET, &format!("company/companies/{id}"), None)
        .await;
    assert!(got.body.get("phoneNumber").is_none(), "{}", got.body);
}

#[tokio::test]
async fn delete_then_get_is_404() {
    let cw = Cw::start().await;
    let id = cw.create_company("Del", "Doomed").await;
    let d = cw
        .call(Method::DELETE, &format!("company/companies/{id}"), None)
        .await;
    assert_eq!(d.status, 204);
    let g = cw
        .call(Method::GET, &format!("company/companies/{id}"), None)
        .await;
    assert_eq!(g.status, 404);
    assert_eq!(g.body["code"], "NotFound");
    let again = cw
        .call(Method::DELETE, &format!("company/companies/{id}"), None)
        .await;
    assert_eq!(again.status, 404);
}

// 7. URL and query tolerance ----------------------------------------------------------------

#[tokio::test]
async fn trailing_slash_and_case_insensitive_params() {
    let cw = Cw::start().await;
    cw.seed_companies(8).await;
    let r = cw.call(Method::GET, "company/companies/", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids(&r.body).len(), 8);

    let r = cw.get_q("company/companies", &[("PAGESIZE", "5")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids(&r.body).len(), 5);

    let r = cw
        .get_q("company/companies", &[("pagesize", "5"), ("PaGe", "2")])
        .await;
    assert_eq!(ids(&r.body).len(), 3);
}

/// The route rules a web framework had given the dialect, kept by its own route tree: a
/// static segment before a parameter, parameters percent-decoded, `HEAD` wherever `GET` is,
/// and a method a path does not take is 405 in the dialect's envelope with `Allow`.
#[tokio::test]
async fn routes_prefer_static_segments_decode_parameters_and_name_allowed_methods() {
    let cw = Cw::start().await;
    let id = cw.create_company("Acme1", "Acme One").await;

    let r = cw.call(Method::GET, "company/companies/types", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.as_array().is_some_and(|a| !a.is_empty()),
        "{}",
        r.body
    );
    let r = cw
        .call(Method::GET, "company/companies/types/1", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["id"], 1);

    let encoded: String = id
        .to_string()
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    let r = cw
        .call(Method::GET, &format!("company/companies/{encoded}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["identifier"], "Acme1");
    let info = cw
        .http
        .get(format!("{}/login/companyinfo/ac%6De", cw.server.origin()))
        .send()
        .await
        .unwrap();
    let info: Value = info.json().await.unwrap();
    assert_eq!(info["CompanyID"], "acme");

    let head = cw
        .req(Method::HEAD, &format!("company/companies/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    // The GET's head alone: its length, no body sent, none journaled.
    let get = cw
        .req(Method::GET, &format!("company/companies/{id}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        head.headers()["content-length"],
        get.len().to_string().as_str()
    );
    assert!(head.bytes().await.unwrap().is_empty());
    let (_, journal) = cw.admin(Method::GET, "journal", None).await;
    let heads: Vec<&Value> = journal["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["method"] == "HEAD")
        .collect();
    assert_eq!(heads.len(), 1, "{journal}");
    assert!(
        heads[0]["response_body"].is_null() || heads[0]["response_body"] == "",
        "{}",
        heads[0]
    );

    let r = cw.call(Method::POST, "company/companies/count", None).await;
    assert_eq!(r.status, 405, "{}", r.body);
    assert_eq!(
        r.body["message"],
        "The requested resource does not support http method 'POST'."
    );
    assert_eq!(r.headers["allow"], "GET,HEAD");
    let r = cw
        .call(Method::POST, &format!("company/companies/{id}"), None)
        .await;
    assert_eq!(r.status, 405, "{}", r.body);
    assert_eq!(r.headers["allow"], "GET,HEAD,PUT,PATCH,DELETE");

    let r = cw.call(Method::GET, "company/companies/%FF", None).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["code"], "ConnectWiseApi", "{}", r.body);
    let r = cw.call(Method::GET, "company/nothing/here", None).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(r.body["code"], "NotFound", "{}", r.body);
}
// 8. Faults and limits ----------------------------------------------------------------------

#[tokio::test]
async fn fault_429_with_retry_after_applies_once() {
    let cw = Cw::start().await;
    let (s, b) = cw
        .admin(
            Method::POST,
            "faults",
            Some(json!({"path": "*/company/companies", "status": 429, "retry_after": 30, "times": 1})),
        )
        .await;
    assert!(s == 200 || s == 201, "{s} {b}");
    let r = cw.call(Method::GET, "company/companies", None).await;
    assert_eq!(r.status, 429);
    assert_eq!(
        r.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("30")
    );
    assert_eq!(r.body["error"], "ConnectWiseAPI");
    assert!(r.body["message"].is_string(), "{}", r.body);
    let ok = cw.call(Method::GET, "company/companies", None).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[tokio::test]
async fn fault_drop_closes_connection_and_is_journaled() {
    let cw = Cw::start().await;
    let (s, b) = cw
        .admin(
            Method::POST,
            "faults",
            Some(json!({"path": "*/company/companies", "drop": true, "times": 1})),
        )
        .await;
    assert!(s == 200 || s == 201, "{s} {b}");
    let res = cw.req(Method::GET, "company/companies").send().await;
    assert!(res.is_err(), "expected a connection error, got {res:?}");

    let (s, j) = cw.admin(Method::GET, "journal", None).await;
    assert_eq!(s, 200);
    let entries = j["entries"].as_array().expect("entries");
    assert!(
        entries.iter().any(|e| e["method"] == "GET"
            && e["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/company/companies"))
            && e.get("fault").is_some()),
        "{j}"
    );

    let ok = cw.call(Method::GET, "company/companies", None).await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn oversized_body_is_413_in_cw_envelope() {
    let cw = Cw::start().await;
    let (s, mut settings) = cw.admin(Method::GET, "settings", None).await;
    assert_eq!(s, 200);
    settings["max_body_bytes"] = json!(100);
    let (s, b) = cw.admin(Method::PUT, "settings", Some(settings)).await;
    assert_eq!(s, 200, "{b}");
    let big = "x".repeat(500);
    let r = cw
        .call(
            Method::POST,
            "company/companies",
            Some(json!({"identifier": "Big", "name": "Big", "addressLine1": big})),
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.body["code"], "ConnectWiseApi");
    assert!(r.body["message"].is_string());
    let count = cw.call(Method::GET, "company/companies/count", None).await;
    assert_eq!(count.body["count"], 0);
}

// 9. Sites ----------------------------------------------------------------------------------

#[tokio::test]
async fn sites_under_a_company() {
    let cw = Cw::start().await;
    let a = cw.create_company("A", "A Inc").await;
    let b = cw.create_company("B", "B Inc").await;
    let r = cw
        .call(
            Method::POST,
            &format!("company/companies/{a}/sites"),
            Some(json!({"name": "HQ", "city": "Springfield"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let site = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["company"]["id"], a);

    let list = cw
        .call(Method::GET, &format!("company/companies/{a}/sites"), None)
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    let arr = list.body.as_array().unwrap();
    assert_eq!(arr.len(), 1);
    assert_eq!(arr[0]["id"], site);
    assert_eq!(arr[0]["name"], "HQ");

    let other = cw
        .call(Method::GET, &format!("company/companies/{b}/sites"), None)
        .await;
    assert_eq!(other.body, json!([]));

    let wrong_parent = cw
        .call(
            Method::GET,
            &format!("company/companies/{b}/sites/{site}"),
            None,
        )
        .await;
    assert_eq!(wrong_parent.status, 404);

    let orphan = cw
        .call(
            Method::POST,
            "company/companies/999999/sites",
            Some(json!({"name": "Nowhere"})),
        )
        .await;
    assert_eq!(orphan.status, 404, "{}", orphan.body);
    assert_eq!(orphan.body["code"], "NotFound");
}

// Issue 3: rate setting, communications sub-resource, public and system routes --------------

#[tokio::test]
async fn rate_setting_answers_429_with_retry_after_until_the_virtual_minute_ends() {
    let cw = Cw::start().await;
    let (_, mut settings) = cw.admin(Method::GET, "settings", None).await;
    assert_eq!(settings["cw_requests_per_minute"], 0, "off by default");
    settings["cw_requests_per_minute"] = json!(2);
    let (s, b) = cw.admin(Method::PUT, "settings", Some(settings)).await;
    assert_eq!(s, 200, "{b}");
    cw.admin(
        Method::POST,
        "clock",
        Some(json!({"set": "2024-01-01T00:00:15Z"})),
    )
    .await;
    for _ in 0..2 {
        assert_eq!(
            cw.call(Method::GET, "company/companies", None).await.status,
            200
        );
    }
    let r = cw.call(Method::GET, "company/companies", None).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.headers["retry-after"], "45");
    assert_eq!(
        r.body,
        json!({"error": "ConnectWiseAPI", "message": "Too many requests. Please try again in 45 seconds."})
    );
    // Unauthenticated calls are not counted or throttled.
    let info = Cw::send(
        cw.http
            .get(format!("{}/login/companyinfo/acme", cw.server.origin())),
    )
    .await;
    assert_eq!(info.status, 200);
    // The next virtual minute starts a fresh count.
    cw.admin(Method::POST, "clock", Some(json!({"advance": 45})))
        .await;
    assert_eq!(
        cw.call(Method::GET, "company/companies", None).await.status,
        200
    );
}

#[tokio::test]
async fn contact_communications_sub_resource_validates_and_stays_in_step_with_the_contact() {
    let cw = Cw::start().await;
    let co = cw.create_company("ACME", "Acme").await;
    let contact = cw
        .call(
            Method::POST,
            "company/contacts",
            Some(json!({"firstName": "Ann", "company": {"id": co},
                        "communicationItems": [{"type": {"name": "Email"}, "value": "ann@acme.test", "defaultFlag": true}]})),
        )
        .await;
    assert_eq!(contact.status, 201, "{}", contact.body);
    let cid = contact.body["id"].as_i64().unwrap();
    let path = format!("company/contacts/{cid}/communications");

    let missing = cw
        .call(
            Method::POST,
            &path,
            Some(json!({"type": {"name": "Direct"}})),
        )
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.body["code"], "InvalidObject");
    assert_eq!(missing.body["errors"][0]["code"], "MissingRequiredField");
    assert_eq!(missing.body["errors"][0]["field"], "value");
    assert_eq!(
        missing.body["errors"][0]["resource"],
        "contactCommunication"
    );
    let unknown = cw
        .call(
            Method::POST,
            &path,
            Some(json!({"type": {"name": "Direct"}, "value": "1", "colour": "red"})),
        )
        .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.body["code"], "ConnectWiseApi");
    let bad_type = cw
        .call(
            Method::POST,
            &path,
            Some(json!({"type": {"name": "Pager"}, "value": "1"})),
        )
        .await;
    assert_eq!(bad_type.status, 400);
    assert_eq!(bad_type.body["errors"][0]["field"], "type");

    // A second default e-mail takes the default from the first.
    let second = cw
        .call(
            Method::POST,
            &path,
            Some(json!({"type": {"name": "Personal Email"}, "value": "ann@home.test", "defaultFlag": true})),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert_eq!(second.body["communicationType"], "Email");
    let again = cw
        .call(Method::GET, &format!("company/contacts/{cid}"), None)
        .await;
    let flags: Vec<(String, bool)> = again.body["communicationItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["value"].as_str().unwrap().to_string(),
                i["defaultFlag"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            ("ann@acme.test".to_string(), false),
            ("ann@home.test".to_string(), true)
        ]
    );
    // PUT replaces the item; the contact's `_info.lastUpdated` moves with the virtual clock.
    cw.admin(Method::POST, "clock", Some(json!({"advance": 60})))
        .await;
    let item = second.body["id"].as_i64().unwrap();
    let put = cw
        .call(
            Method::PUT,
            &format!("{path}/{item}"),
            Some(json!({"type": {"name": "Personal Email"}, "value": "ann@elsewhere.test"})),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["defaultFlag"], false);
    let again = cw
        .call(Method::GET, &format!("company/contacts/{cid}"), None)
        .await;
    assert_eq!(again.body["_info"]["lastUpdated"], "2024-01-01T00:01:00Z");
    assert_eq!(
        again.body["communicationItems"][1]["value"],
        "ann@elsewhere.test"
    );
    // Unknown ids and parents are 404s in the envelope.
    let r = cw.call(Method::GET, &format!("{path}/999999"), None).await;
    assert_eq!((r.status, r.body["code"].clone()), (404, json!("NotFound")));
    let r = cw
        .call(Method::GET, "company/contacts/999999/communications", None)
        .await;
    assert_eq!(r.status, 404);
    let r = cw
        .call(Method::DELETE, &format!("{path}/{item}"), None)
        .await;
    assert_eq!(r.status, 204);
    let r = cw.call(Method::GET, &format!("{path}/count"), None).await;
    assert_eq!(r.body, json!({"count": 1}));
}

#[tokio::test]
async fn body_members_match_ignoring_case_and_system_info_needs_credentials() {
    let cw = Cw::start().await;
    let r = cw
        .call(
            Method::POST,
            "company/companies",
            Some(json!({"Identifier": "CASE", "NAME": "Case Co", "Status": {"name": "Active"}})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["identifier"], "CASE");
    assert_eq!(r.body["name"], "Case Co");
    assert_eq!(r.body["status"]["name"], "Active");

    let info = cw.call(Method::GET, "system/info", None).await;
    assert_eq!(info.status, 200);
    assert!(info.body["version"].is_string());
    let anon = Cw::send(cw.http.get(cw.url("system/info"))).await;
    assert_eq!(anon.status, 401);
    assert_eq!(anon.body["message"], "UserNotAuthenticated");
    let other = Cw::send(cw.http.get(format!(
        "{}/login/companyinfo/someoneelse",
        cw.server.origin()
    )))
    .await;
    assert_eq!(other.status, 404);
    // Any Accept value is served.
    let r = Cw::send(cw.req(Method::GET, "company/companies").header(
        "Accept",
        "application/vnd.connectwise.com+json; version=2019.1",
    ))
    .await;
    assert_eq!(r.status, 200);
}

// Service tickets, boards (with their own statuses) and priorities -----------------------------

async fn seed_tickets(cw: &Cw) {
    let (s, b) = cw
        .admin(
            Method::POST,
            "seed",
            Some(json!({
                "companies": [{"name": "Acme"}, {"name": "Beta"}],
                "contacts": [{"company": "Acme", "first_name": "Ann", "last_name": "Lee"}],
                "tickets": [
                    {"company": "Acme", "title": "Printer jammed", "contact": "Ann Lee"},
                    {"company": "Acme", "title": "Office move", "board": "Projects", "status": "In Progress"},
                    {"company": "Beta", "title": "Quote"},
                ],
            })),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn boards_statuses_and_priorities_are_seeded_lookups() {
    let cw = Cw::start().await;
    let boards = cw.call(Method::GET, "service/boards", None).await;
    assert_eq!(names(&boards.body), ["Service Desk", "Projects"]);
    let statuses = cw
        .call(Method::GET, "service/boards/2/statuses", None)
        .await;
    let rows = statuses.body.as_array().unwrap();
    assert_eq!(rows.len(), 4, "{}", statuses.body);
    assert!(
        rows.iter().all(|s| s["board"]["id"] == 2),
        "{}",
        statuses.body
    );
    assert_eq!(rows[0]["name"], "New");
    assert_eq!(rows[0]["defaultFlag"], true);
    assert_eq!(rows[3]["closedStatus"], true);
    let one = cw
        .call(
            Method::GET,
            &format!("service/boards/2/statuses/{}", rows[1]["id"]),
            None,
        )
        .await;
    assert_eq!(one.body["name"], "In Progress");
    // A status of another board is not found under this one; an unknown board is a 404.
    let other = cw
        .call(Method::GET, "service/boards/1/statuses/5", None)
        .await;
    assert_eq!(other.status, 404);
    let none = cw
        .call(Method::GET, "service/boards/99/statuses", None)
        .await;
    assert_eq!(none.status, 404);
    assert_eq!(none.body["message"], "Board with id 99 was not found.");
    let count = cw
        .call(Method::GET, "service/boards/1/statuses/count", None)
        .await;
    assert_eq!(count.body["count"], 4);
    let prio = cw
        .get_q(
            "service/priorities",
            &[("conditions", "defaultFlag = true")],
        )
        .await;
    assert_eq!(prio.body[0]["name"], "Priority 3 - Normal Response");
}

#[tokio::test]
async fn tickets_list_with_references_conditions_count_and_paging() {
    let cw = Cw::start().await;
    seed_tickets(&cw).await;
    let all = cw.call(Method::GET, "service/tickets", None).await;
    assert_eq!(ids(&all.body), [10001, 10002, 10003]);
    let t = &all.body[0];
    assert_eq!(t["summary"], "Printer jammed");
    assert_eq!(t["recordType"], "ServiceTicket");
    assert_eq!(t["board"]["name"], "Service Desk");
    assert_eq!(t["status"]["name"], "New");
    assert_eq!(t["priority"]["name"], "Priority 3 - Normal Response");
    assert_eq!(t["company"]["identifier"], "Acme");
    assert_eq!(t["contact"]["name"], "Ann Lee");
    assert_eq!(t["contactName"], "Ann Lee");
    assert_eq!(t["closedFlag"], false);
    assert_eq!(t["_info"]["dateEntered"], "2024-01-01T00:00:00Z");
    // The status is the Projects board's own "In Progress", linked under that board.
    let moved = &all.body[1];
    assert_eq!(moved["board"]["name"], "Projects");
    assert_eq!(moved["status"]["name"], "In Progress");
    let href = moved["status"]["_info"]["status_href"].as_str().unwrap();
    assert!(
        href.ends_with(&format!(
            "/service/boards/2/statuses/{}",
            moved["status"]["id"]
        )),
        "{href}"
    );

    for (q, n) in [
        ("board/name = \"Projects\"", 1),
        ("company/id = 250", 2),
        ("status/name = \"new\" and contactName like \"Ann*\"", 1),
    ] {
        let r = cw
            .get_q("service/tickets/count", &[("conditions", q)])
            .await;
        assert_eq!(r.body["count"], n, "{q}");
    }
    let page = cw
        .get_q("service/tickets", &[("pageSize", "2"), ("page", "2")])
        .await;
    assert_eq!(ids(&page.body), [10003]);
    let link = page.headers["link"].to_str().unwrap();
    assert!(
        link_part(link, "prev").is_some() && link_part(link, "next").is_none(),
        "{link}"
    );
    let bad = cw
        .get_q("service/tickets", &[("conditions", "board/name = ")])
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn ticket_writes_default_and_check_board_status_and_contact() {
    let cw = Cw::start().await;
    seed_tickets(&cw).await;
    // A status named on the ticket's board is that board's; defaults fill board and priority.
    let r = cw
        .call(
            Method::POST,
            "service/tickets",
            Some(
                json!({"summary": "New laptop", "company": {"identifier": "Acme"},
                        "board": {"name": "Projects"}, "status": {"name": "Waiting"}}),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"]["name"], "Waiting");
    assert_eq!(r.body["status"]["id"], 7);
    assert_eq!(r.body["priority"]["name"], "Priority 3 - Normal Response");
    let id = r.body["id"].as_i64().unwrap();
    let plain = cw
        .call(
            Method::POST,
            "service/tickets",
            Some(json!({"summary": "Plain", "company": {"id": 251}})),
        )
        .await;
    assert_eq!(plain.body["board"]["name"], "Service Desk");
    assert_eq!(plain.body["status"]["name"], "New");

    for (body, field) in [
        (json!({"company": {"id": 250}}), "summary"),
        (json!({"summary": "x"}), "company"),
        (
            json!({"summary": "x", "company": {"id": 251}, "contact": {"id": 2000}}),
            "contact",
        ),
        (
            json!({"summary": "x", "company": {"id": 250}, "priority": {"name": "Urgent"}}),
            "priority",
        ),
    ] {
        let r = cw
            .call(Method::POST, "service/tickets", Some(body.clone()))
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.body["code"], "InvalidObject", "{body}");
        assert_eq!(r.body["errors"][0]["field"], field, "{body}: {}", r.body);
    }
    let r = cw
        .call(
            Method::POST,
            "service/tickets",
            Some(json!({"summary": "x", "bogus": 1})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["code"], "ConnectWiseApi");

    cw.admin(Method::POST, "clock", Some(json!({"advance": 60})))
        .await;
    let done = cw
        .call(
            Method::PATCH,
            &format!("service/tickets/{id}"),
            Some(json!([{"op": "replace", "path": "status", "value": {"name": "Completed"}}])),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["status"]["id"], 8);
    assert_eq!(done.body["closedFlag"], true);
    assert_eq!(done.body["_info"]["lastUpdated"], "2024-01-01T00:01:00Z");
    assert_eq!(done.body["_info"]["dateEntered"], "2024-01-01T00:00:00Z");
    let gone = cw
        .call(Method::DELETE, &format!("service/tickets/{id}"), None)
        .await;
    assert_eq!(gone.status, 204);
    let r = cw
        .call(Method::GET, &format!("service/tickets/{id}"), None)
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body["message"],
        format!("Ticket with id {id} was not found.")
    );
}

#[tokio::test]
async fn tickets_in_the_neutral_view_and_changed_directly_in_the_psa() {
    let cw = Cw::start().await;
    seed_tickets(&cw).await;
    let (s, b) = cw
        .admin(
            Method::PATCH,
            "records/tickets/10001",
            Some(json!({"status": "In Progress", "contact": null})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = cw
        .admin(
            Method::PATCH,
            "records/tickets/10002",
            Some(json!({"status": "Gone"})),
        )
        .await;
    assert_eq!(s, 404, "{b}");
    let (s, b) = cw
        .admin(
            Method::POST,
            "records/tickets",
            Some(json!({"company": "Acme", "title": "x", "contact": "Bob"})),
        )
        .await;
    assert_eq!(s, 400, "{b}");
    let (_, snap) = cw.admin(Method::GET, "snapshot?view=neutral", None).await;
    let t = &snap["records"]["tickets"];
    assert_eq!(
        t[0],
        json!({"id": 10001, "company": "Acme", "number": "10001", "title": "Printer jammed",
               "board": "Service Desk", "status": "In Progress",
               "priority": "Priority 3 - Normal Response",
               "created": "2024-01-01T00:00:00Z", "updated": "2024-01-01T00:00:00Z"})
    );
    assert_eq!(t[1]["status"], "In Progress");
    assert_eq!(t[1]["board"], "Projects");
    let (s, _) = cw
        .admin(Method::DELETE, "records/tickets/10003", None)
        .await;
    assert_eq!(s, 204);
    let (_, snap) = cw.admin(Method::GET, "snapshot?view=neutral", None).await;
    assert_eq!(snap["records"]["tickets"].as_array().unwrap().len(), 2);
}
