//! Autotask REST V1.0 personality over real HTTP.

mod support;

use mock_psa::{MockServer, Personality};
use reqwest::{Client, Method};
use serde_json::{json, Value};

struct At {
    server: MockServer,
    http: Client,
}

impl At {
    async fn start() -> At {
        let (server, http) = support::start(Personality::Autotask).await;
        At { server, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/ATServicesRest/V1.0/{path}", self.server.origin())
    }

    fn req(&self, method: Method, url: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .header("ApiIntegrationcode", "INTEGRATIONCODE")
            .header("UserName", "api@example.com")
            .header("Secret", "secret")
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            self.url(path)
        };
        let mut r = self.req(method, &url);
        if let Some(b) = body {
            r = r.json(&b);
        }
        support::reply(r.send().await.expect("send")).await
    }

    async fn create_company(&self, name: &str) -> i64 {
        let (s, b) = self
            .call(
                Method::POST,
                "Companies",
                Some(
                    json!({"CompanyName": name, "companyType": 1, "ownerResourceID": 29682885,
                            "phone": "555-0100"}),
                ),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        b["itemId"].as_i64().expect("itemId")
    }
}

fn first_error(b: &Value) -> String {
    b["errors"][0].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn zone_lookup_is_public_and_url_ends_with_slash() {
    let at = At::start().await;
    let url = format!(
        "{}/atservicesrest/v1.0/zoneInformation?user=API%40example.com",
        at.server.origin()
    );
    let resp = at.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let b: Value = resp.json().await.unwrap();
    let zone_url = b["url"].as_str().unwrap();
    assert!(zone_url.ends_with("/ATServicesRest/"), "{zone_url}");
    assert_eq!(b["webUrl"], format!("{}/", at.server.origin()));

    let url = format!(
        "{}/ATServicesRest/V1.0/ZoneInformation?user=nobody@example.com",
        at.server.origin()
    );
    let resp = at.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    let b: Value = resp.json().await.unwrap();
    assert_eq!(first_error(&b), "Zone information could not be determined");

    let url = format!("{}/atservicesrest/versioninformation", at.server.origin());
    let b: Value = at
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b, json!({"apiVersions": ["V1.0"]}));
}

#[tokio::test]
async fn credentials_are_checked_in_autotask_order() {
    let at = At::start().await;
    let url = at.url("Companies/0");
    let resp = at
        .http
        .get(&url)
        .header("ApiIntegrationCode", "WRONG")
        .header("UserName", "api@example.com")
        .header("Secret", "secret")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b, json!({"errors": ["IntegrationCode is invalid."]}));

    let resp = at
        .http
        .get(&url)
        .header("apiintegrationcode", "INTEGRATIONCODE")
        .header("username", "API@example.com")
        .header("secret", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);

    let resp = at
        .http
        .get(&url)
        .header("ApiIntegrationCode", "INTEGRATIONCODE")
        .header("UserName", "someone@example.com")
        .header("Secret", "secret")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);

    let (s, b) = at.call(Method::GET, "companies/0", None).await;
    assert_eq!(s, 200);
    assert_eq!(b["item"]["id"], 0);
}

#[tokio::test]
async fn create_company_then_read_it_back_with_virtual_timestamps() {
    let at = At::start().await;
    let id = at.create_company("Contoso").await;
    assert_eq!(id, 1001);
    let (s, b) = at.call(Method::GET, &format!("Companies/{id}"), None).await;
    assert_eq!(s, 200);
    let item = &b["item"];
    assert_eq!(item["companyName"], "Contoso");
    assert_eq!(item["companyType"], 1);
    assert_eq!(item["isActive"], true);
    assert_eq!(item["createDate"], "2024-01-01T00:00:00Z");
    assert_eq!(item["lastActivityDate"], "2024-01-01T00:00:00Z");
    assert!(item.as_object().unwrap().contains_key("webAddress"));
    assert_eq!(item["userDefinedFields"], json!([]));

    let (s, b) = at.call(Method::GET, "Companies/999999", None).await;
    assert_eq!((s, b), (200, json!({"item": null})));

    // The primary location came with the company.
    let (s, b) = at
        .call(
            Method::POST,
            "CompanyLocations/query",
            Some(json!({"filter": [{"op": "eq", "field": "CompanyID", "value": id}]})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["items"][0]["isPrimary"], true);
    assert_eq!(b["items"][0]["phone"], "555-0100");
}

#[tokio::test]
async fn required_fields_and_api_only_owner_are_enforced() {
    let at = At::start().await;
    let (s, b) = at
        .call(
            Method::POST,
            "Companies",
            Some(json!({"companyName": "NoPhone", "companyType": 1, "ownerResourceID": 29682885})),
        )
        .await;
    assert_eq!(s, 500);
    assert!(first_error(&b).contains("phone"), "{b}");

    let (s, b) = at
        .call(
            Method::POST,
            "Companies",
            Some(json!({"companyName": "X", "companyType": 1, "phone": ""})),
        )
        .await;
    assert_eq!(s, 500);
    assert!(first_error(&b).contains("ownerResourceID"), "{b}");

    let (s, b) = at
        .call(
            Method::POST,
            "Companies",
            Some(json!({"companyName": "X", "companyType": 1, "phone": "",
                        "ownerResourceID": 29682886})),
        )
        .await;
    assert_eq!(s, 500);
    assert!(first_error(&b).contains("API-only"), "{b}");

    let (s, b) = at
        .call(
            Method::POST,
            "Companies",
            Some(
                json!({"companyName": "X", "companyType": "abc", "phone": "",
                        "ownerResourceID": 29682885}),
            ),
        )
        .await;
    assert_eq!(s, 500);
    assert!(first_error(&b).contains("companyType"), "{b}");

    // A numeric string is coerced, and an empty phone is accepted.
    let (s, _) = at
        .call(
            Method::POST,
            "Companies",
            Some(json!({"companyName": "X", "companyType": "2", "phone": "",
                        "ownerResourceID": 29682885, "unknownMember": 1})),
        )
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn query_pages_follow_next_page_url_sorted_by_id() {
    let at = At::start().await;
    {
        let mut world = at.server.state().world();
        for i in 0..650 {
            let mut f = serde_json::Map::new();
            f.insert("name".into(), json!(format!("Bulk {i:03}")));
            mock_psa::dialect::api_for(mock_psa::Dialect::Autotask)
                .neutral_create(&mut world, mock_psa::NeutralKind::Company, &f)
                .unwrap();
        }
    }
    let body = json!({"Filter": [{"op": "beginsWith", "field": "companyname", "value": "bulk"}],
                      "MaxRecords": 500, "IncludeFields": ["companyName"]});
    let (s, first) = at
        .call(Method::POST, "Companies/query", Some(body.clone()))
        .await;
    assert_eq!(s, 200);
    assert_eq!(first["pageDetails"]["count"], 500);
    assert_eq!(first["pageDetails"]["requestCount"], 500);
    assert!(first["pageDetails"]["prevPageUrl"].is_null());
    let item = first["items"][0].as_object().unwrap();
    assert_eq!(
        item.keys().cloned().collect::<Vec<_>>(),
        ["id", "companyName", "userDefinedFields"]
    );
    let next = first["pageDetails"]["nextPageUrl"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(next.starts_with(&format!(
        "{}/ATServicesRest/V1.0/Companies/query/next?paging=",
        at.server.origin()
    )));
    let (s, second) = at.call(Method::POST, &next, Some(body.clone())).await;
    assert_eq!(s, 200, "{second}");
    assert_eq!(second["pageDetails"]["count"], 150);
    assert!(second["pageDetails"]["nextPageUrl"].is_null());
    assert!(second["pageDetails"]["prevPageUrl"].is_string());
    let ids: Vec<i64> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 650);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    // GET-style query with search= and its count.
    let search = json!({"filter": [{"op": "or", "items": [
        {"op": "eq", "field": "companyName", "value": "Bulk 001"},
        {"op": "in", "field": "id", "value": ["1001", 1003]}]}]});
    let path = format!("Companies/query?search={}", url_escape(&search.to_string()));
    let (s, b) = at.call(Method::GET, &path, None).await;
    assert_eq!(s, 200, "{b}");
    let names: Vec<&str> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["companyName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bulk 000", "Bulk 001", "Bulk 002"]);
    let (_, c) = at
        .call(
            Method::POST,
            "Companies/query/count",
            Some(json!({"filter": [{"op": "gte", "field": "id", "value": 0}]})),
        )
        .await;
    assert_eq!(c, json!({"queryCount": 651}));

    let (s, b) = at
        .call(
            Method::POST,
            "Companies/query",
            Some(json!({"MaxRecords": 5})),
        )
        .await;
    assert_eq!(s, 500);
    assert_eq!(
        first_error(&b),
        "Value cannot be null.\r\nParameter name: filters"
    );
    let (s, b) = at
        .call(
            Method::POST,
            "Companies/query",
            Some(json!({"filter": [{"op": "eq", "field": "nope", "value": 1}]})),
        )
        .await;
    assert_eq!(s, 500);
    assert_eq!(first_error(&b), "Unable to find nope in the Company Entity");
    let (_, b) = at
        .call(Method::POST, "Companies/query", Some(json!({"filter": []})))
        .await;
    assert_eq!(b["items"], json!([]));
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn child_contacts_configuration_items_and_deletes() {
    let at = At::start().await;
    let company = at.create_company("Fabrikam").await;
    let (s, b) = at
        .call(
            Method::POST,
            &format!("Companies/{company}/Contacts"),
            Some(
                json!({"FirstName": "Ada", "LastName": "Lovelace", "IsActive": 1,
                        "EmailAddress": "ada@example.com"}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let contact = b["itemId"].as_i64().unwrap();
    assert_eq!(contact, 30001);
    let (_, b) = at
        .call(Method::GET, &format!("Contacts/{contact}"), None)
        .await;
    assert_eq!(b["item"]["companyID"], company);
    assert_eq!(b["item"]["lastModifiedDate"], "2024-01-01T00:00:00Z");

    let (s, b) = at
        .call(
            Method::POST,
            &format!("Companies/{company}/Contacts"),
            Some(json!({"firstName": "No", "isActive": 1})),
        )
        .await;
    assert_eq!(s, 500);
    assert!(first_error(&b).contains("lastName"), "{b}");

    // PATCH keeps what it does not name; PUT clears it.
    let (s, _) = at
        .call(
            Method::PATCH,
            &format!("Companies/{company}/Contacts"),
            Some(json!({"id": contact, "title": "Countess"})),
        )
        .await;
    assert_eq!(s, 200);
    let (_, b) = at
        .call(Method::GET, &format!("Contacts/{contact}"), None)
        .await;
    assert_eq!(b["item"]["emailAddress"], "ada@example.com");
    assert_eq!(b["item"]["title"], "Countess");

    let (s, b) = at
        .call(
            Method::POST,
            "ConfigurationItems",
            Some(
                json!({"companyID": company, "productID": 50001, "isActive": true,
                        "configurationItemType": 1, "referenceTitle": "SRV-01"}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let ci = b["itemId"].as_i64().unwrap();
    let (s, _) = at
        .call(
            Method::POST,
            "ConfigurationItems",
            Some(json!({"companyID": company, "productID": 1, "isActive": true})),
        )
        .await;
    assert_eq!(s, 500);
    let (_, b) = at
        .call(Method::GET, &format!("Products/{}", 50001), None)
        .await;
    assert_eq!(b["item"]["manufacturerName"], "Dell");
    // companyID changes on a CI are ignored.
    let (s, _) = at
        .call(
            Method::PATCH,
            "ConfigurationItems",
            Some(json!({"id": ci, "companyID": 0, "serialNumber": "SN1"})),
        )
        .await;
    assert_eq!(s, 200);
    let (_, b) = at
        .call(Method::GET, &format!("ConfigurationItems/{ci}"), None)
        .await;
    assert_eq!(b["item"]["companyID"], company);
    assert_eq!(b["item"]["serialNumber"], "SN1");

    let (s, b) = at
        .call(Method::DELETE, &format!("Companies/{company}"), None)
        .await;
    assert_eq!(s, 405);
    assert_eq!(
        b,
        json!({"Message": "The requested resource does not support http method 'DELETE'."})
    );
    let (s, _) = at
        .call(Method::DELETE, &format!("ConfigurationItems/{ci}"), None)
        .await;
    assert_eq!(s, 405);
    let (s, b) = at
        .call(
            Method::DELETE,
            &format!("Companies/{company}/Contacts/{contact}"),
            None,
        )
        .await;
    assert_eq!((s, b), (200, json!({"itemId": contact})));
    let (_, b) = at
        .call(Method::GET, &format!("Contacts/{contact}"), None)
        .await;
    assert!(b["item"].is_null());
}

#[tokio::test]
async fn malformed_bodies_and_metadata() {
    let at = At::start().await;
    let resp = at
        .req(Method::POST, &at.url("Companies"))
        .header("content-type", "application/json")
        .body("{\"companyName\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    let b: Value = resp.json().await.unwrap();
    assert!(b["errors"][0].is_string(), "{b}");

    let (s, b) = at
        .call(Method::GET, "Companies/entityInformation/fields", None)
        .await;
    assert_eq!(s, 200);
    let ct = b["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "companyType")
        .unwrap();
    assert_eq!(ct["isPickList"], true);
    assert_eq!(ct["isRequired"], true);
    assert_eq!(ct["picklistValues"][0]["value"], "1");
    assert_eq!(ct["picklistValues"][0]["label"], "Customer");
    let (_, b) = at
        .call(Method::GET, "ConfigurationItems/entityInformation", None)
        .await;
    assert_eq!(b["info"]["canDelete"], false);
    let (_, b) = at
        .call(
            Method::GET,
            "CONFIGURATIONITEMS/entityinformation/fields",
            None,
        )
        .await;
    let t = b["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "configurationItemType")
        .unwrap();
    assert!(t["picklistValues"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["label"] == "Server"));

    let (s, _) = at.call(Method::GET, "NoSuchEntity/1", None).await;
    assert_eq!(s, 404);
}

// Issue 3: request threshold on the virtual clock, impersonation, public routes --------------

impl At {
    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .http
            .request(method, format!("{}/__admin/{path}", self.server.origin()));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("admin");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

/// A call the threshold refuses: its `Retry-After` and body.
async fn refused(at: &At) -> (String, Value) {
    let resp = at
        .req(Method::GET, &at.url("Companies/0"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let wait = resp.headers()["retry-after"].to_str().unwrap().to_string();
    (wait, resp.json().await.unwrap())
}

#[tokio::test]
async fn threshold_information_counts_a_rolling_virtual_hour_and_the_limit_answers_429() {
    let at = At::start().await;
    let (_, mut settings) = at.admin(Method::GET, "settings", None).await;
    assert_eq!(settings["at_hourly_request_limit"], 10000);
    settings["at_hourly_request_limit"] = json!(5);
    let (s, b) = at.admin(Method::PUT, "settings", Some(settings)).await;
    assert_eq!(s, 200, "{b}");

    // The threshold call itself counts against the limit.
    let (s, t) = at.call(Method::GET, "ThresholdInformation", None).await;
    assert_eq!(s, 200);
    assert_eq!(
        t,
        json!({"externalRequestThreshold": 5, "requestThresholdTimeframe": 60, "currentTimeframeRequestCount": 1})
    );
    at.admin(Method::POST, "clock", Some(json!({"advance": 1800})))
        .await;
    for _ in 0..3 {
        assert_eq!(at.call(Method::GET, "Companies/0", None).await.0, 200);
    }
    let (_, t) = at.call(Method::GET, "ThresholdInformation", None).await;
    assert_eq!(t["currentTimeframeRequestCount"], 5);
    // Over the limit: 429 with the errors body and Retry-After until the first call's minute
    // leaves the window (at 01:00:00, 30 minutes on).
    let (retry_after, body) = refused(&at).await;
    assert_eq!(retry_after, "1800");
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .contains("threshold of 5 requests"),
        "{body}"
    );
    // Zone lookups are exempt.
    let zone = at
        .http
        .get(at.url("zoneInformation?user=api@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(zone.status(), 200);
    // Once the first calls leave the rolling hour, calls are admitted again.
    at.admin(Method::POST, "clock", Some(json!({"advance": 1800})))
        .await;
    let (s, t) = at.call(Method::GET, "ThresholdInformation", None).await;
    assert_eq!(s, 200);
    assert_eq!(
        t["currentTimeframeRequestCount"], 5,
        "4 from the second half hour + this one"
    );
    // Full again: the wait runs to when the oldest counted minute (00:30) leaves, not to the
    // minute that has just left (00:00, which would make it at once).
    assert_eq!(refused(&at).await.0, "1800");
    // With enforcement off, calls are only counted.
    let (_, mut settings) = at.admin(Method::GET, "settings", None).await;
    settings["at_enforce_request_limit"] = json!(false);
    at.admin(Method::PUT, "settings", Some(settings)).await;
    for _ in 0..3 {
        assert_eq!(at.call(Method::GET, "Companies/0", None).await.0, 200);
    }
}

#[tokio::test]
async fn impersonation_attributes_creates_and_an_unknown_resource_is_refused() {
    let at = At::start().await;
    let body = json!({"companyName": "Imp Co", "companyType": 1, "ownerResourceID": 29682885, "phone": ""});
    let resp = at
        .req(Method::POST, &at.url("Companies"))
        .header("ImpersonationResourceId", "29682885")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let id = resp.json::<Value>().await.unwrap()["itemId"]
        .as_i64()
        .unwrap();
    let (_, got) = at.call(Method::GET, &format!("Companies/{id}"), None).await;
    assert_eq!(got["item"]["createdByResourceID"], 29682885);
    assert_eq!(got["item"]["impersonatorCreatorResourceID"], 29682886);
    // Without the header the API user is the creator and there is no impersonator.
    let plain = at.create_company("Plain Co").await;
    let (_, got) = at
        .call(Method::GET, &format!("Companies/{plain}"), None)
        .await;
    assert_eq!(got["item"]["createdByResourceID"], 29682886);
    assert_eq!(got["item"]["impersonatorCreatorResourceID"], Value::Null);
    for bad in ["12345", "abc"] {
        let resp = at
            .req(Method::POST, &at.url("Companies"))
            .header("ImpersonationResourceId", bad)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 500);
        let b: Value = resp.json().await.unwrap();
        assert!(
            b["errors"][0]
                .as_str()
                .unwrap()
                .contains("ImpersonationResourceId"),
            "{b}"
        );
    }
}

#[tokio::test]
async fn version_information_and_zone_lookup_in_any_case() {
    let at = At::start().await;
    for path in [
        "/atservicesrest/versioninformation",
        "/ATServicesRest/VersionInformation/",
    ] {
        let r = at
            .http
            .get(format!("{}{path}", at.server.origin()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"apiVersions": ["V1.0"]})
        );
    }
    let r = at
        .http
        .get(format!(
            "{}/atservicesrest/V1.0/ZONEINFORMATION?USER=API@EXAMPLE.COM",
            at.server.origin()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let z: Value = r.json().await.unwrap();
    assert!(z["url"].as_str().unwrap().ends_with("/ATServicesRest/"));
    let r = at
        .http
        .get(at.url("zoneInformation?user=nobody@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"errors": ["Zone information could not be determined"]})
    );
}

#[tokio::test]
async fn threshold_latency_is_added_from_half_the_hourly_limit_when_switched_on() {
    let at = At::start().await;
    let (_, mut settings) = at.admin(Method::GET, "settings", None).await;
    assert_eq!(settings["at_threshold_latency"], false, "off by default");
    settings["at_threshold_latency"] = json!(true);
    settings["at_hourly_request_limit"] = json!(8);
    at.admin(Method::PUT, "settings", Some(settings)).await;
    let mut elapsed = Vec::new();
    for _ in 0..7 {
        let start = std::time::Instant::now();
        assert_eq!(at.call(Method::GET, "Companies/0", None).await.0, 200);
        elapsed.push(start.elapsed().as_millis());
    }
    // Calls 1-3 are under 50% (fast), 4-5 reach 50% (0.5 s), 6-7 reach 75% (1 s).
    for (i, ms) in elapsed.iter().enumerate() {
        let want = match i + 1 {
            1..=3 => 0..500,
            4..=5 => 500..1000,
            _ => 1000..3000,
        };
        assert!(
            want.contains(ms),
            "call {}: {ms} ms, expected {want:?}",
            i + 1
        );
    }
}

// Tickets: query, count and get; picklists in entityInformation; create and update at the top
// level; no DELETE.

async fn seed_tickets(at: &At) {
    let seed = json!({
        "companies": [{"name": "Acme"}, {"name": "Beta"}],
        "contacts": [
            {"company": "Acme", "first_name": "Ann", "last_name": "Lee"},
            {"company": "Beta", "first_name": "Bo", "last_name": "Day"},
        ],
        "tickets": [
            {"company": "Acme", "title": "Printer jammed", "contact": "Ann Lee"},
            {"company": "Acme", "title": "Office move", "board": "Projects",
             "status": "In Progress", "priority": "High"},
        ],
    });
    let (s, b) = at.admin(Method::POST, "seed", Some(seed)).await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn tickets_query_count_get_and_picklists() {
    let at = At::start().await;
    seed_tickets(&at).await;
    let (s, b) = at
        .call(
            Method::POST,
            "Tickets/query",
            Some(json!({"filter": [{"op": "gte", "field": "id", "value": 0}]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let t = &b["items"][0];
    assert_eq!(t["id"], 7001);
    assert_eq!(t["ticketNumber"], "T20240101.0001");
    assert_eq!(
        (t["status"].as_i64(), t["priority"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(t["queueID"], 29683481);
    assert_eq!(
        (t["companyID"].as_i64(), t["contactID"].as_i64()),
        (Some(1001), Some(30001))
    );
    assert_eq!(t["createDate"], "2024-01-01T00:00:00Z");
    assert_eq!(t["lastActivityDate"], "2024-01-01T00:00:00Z");
    assert_eq!(t["userDefinedFields"], json!([]));
    let t = &b["items"][1];
    assert_eq!(t["ticketNumber"], "T20240101.0002");
    assert_eq!(
        (t["status"].as_i64(), t["priority"].as_i64()),
        (Some(8), Some(1))
    );
    assert_eq!(t["contactID"], Value::Null);

    let search = url_escape(r#"{"filter":[{"op":"eq","field":"queueID","value":"29683482"}]}"#);
    let (_, b) = at
        .call(
            Method::GET,
            &format!("Tickets/query/count?search={search}"),
            None,
        )
        .await;
    assert_eq!(b["queryCount"], 1);
    let (_, b) = at.call(Method::GET, "Tickets/7002", None).await;
    assert_eq!(b["item"]["title"], "Office move");
    let (_, b) = at.call(Method::GET, "Tickets/9999", None).await;
    assert_eq!(b["item"], Value::Null);

    let (_, info) = at
        .call(Method::GET, "Tickets/entityInformation", None)
        .await;
    assert_eq!(
        (
            info["info"]["canCreate"].as_bool(),
            info["info"]["canDelete"].as_bool()
        ),
        (Some(true), Some(false))
    );
    let (_, fields) = at
        .call(Method::GET, "Tickets/entityInformation/fields", None)
        .await;
    let field = |n: &str| {
        fields["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == n)
            .cloned()
            .unwrap()
    };
    let labels = |n: &str| -> Vec<(String, String)> {
        field(n)["picklistValues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["value"].as_str().unwrap().to_string(),
                    v["label"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert!(labels("status").contains(&("8".into(), "In Progress".into())));
    assert_eq!(
        labels("queueID"),
        [
            ("29683481".into(), "Service Desk".into()),
            ("29683482".into(), "Projects".into())
        ]
    );
    assert_eq!(field("ticketNumber")["isReadOnly"], true);
    assert_eq!(field("companyID")["referenceEntityType"], "Company");
}

#[tokio::test]
async fn tickets_are_created_and_updated_but_never_deleted() {
    let at = At::start().await;
    seed_tickets(&at).await;
    at.admin(Method::POST, "clock", Some(json!({"advance": 86400})))
        .await;
    // atrest's PascalCase create; numbers restart each day.
    let (s, b) = at
        .call(
            Method::POST,
            "Tickets",
            Some(json!({"Title": "API ticket", "Status": 1, "Priority": 2, "CompanyID": 1001, "QueueID": 29683481})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let id = b["itemId"].as_i64().unwrap();
    let (_, b) = at.call(Method::GET, &format!("Tickets/{id}"), None).await;
    assert_eq!(b["item"]["ticketNumber"], "T20240102.0001");
    assert_eq!(b["item"]["creatorResourceID"], 29682886);

    for (body, needle) in [
        (
            json!({"Title": "x", "Priority": 2, "CompanyID": 1001}),
            "Required field status",
        ),
        (
            json!({"Title": "x", "Status": 99, "Priority": 2, "CompanyID": 1001}),
            "picklist value for field status",
        ),
        (
            json!({"Title": "x", "Status": 1, "Priority": 2, "CompanyID": 1001, "contactID": 30002}),
            "contactID must be a contact",
        ),
        (
            json!({"Title": "x", "Status": "open", "Priority": 2, "CompanyID": 1001}),
            "Unable to convert",
        ),
    ] {
        let (s, b) = at.call(Method::POST, "Tickets", Some(body.clone())).await;
        assert_eq!(s, 500, "{body}");
        assert!(first_error(&b).contains(needle), "{body}: {b}");
    }

    at.admin(Method::POST, "clock", Some(json!({"advance": 60})))
        .await;
    let (s, b) = at
        .call(
            Method::PATCH,
            "Tickets",
            Some(json!({"id": 7001, "status": 5})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, b) = at.call(Method::GET, "Tickets/7001", None).await;
    assert_eq!(b["item"]["status"], 5);
    assert_eq!(b["item"]["lastActivityDate"], "2024-01-02T00:01:00Z");
    assert_eq!(b["item"]["createDate"], "2024-01-01T00:00:00Z");
    assert_eq!(b["item"]["ticketNumber"], "T20240101.0001");

    let (s, _) = at.call(Method::DELETE, "Tickets/7001", None).await;
    assert_eq!(s, 405);
    let (s, _) = at.call(Method::DELETE, "Tickets", None).await;
    assert_eq!(s, 405);
    let (_, b) = at.call(Method::GET, "Tickets/7001", None).await;
    assert_eq!(b["item"]["id"], 7001);
}

#[tokio::test]
async fn tickets_in_the_neutral_view_follow_changes_in_the_psa() {
    let at = At::start().await;
    seed_tickets(&at).await;
    let change = json!({"status": "Complete", "board": "Projects"});
    let (s, b) = at
        .admin(Method::PATCH, "records/tickets/7001", Some(change))
        .await;
    assert_eq!(s, 200, "{b}");
    let unknown = json!({"priority": "Whenever"});
    let (s, _) = at
        .admin(Method::PATCH, "records/tickets/7001", Some(unknown))
        .await;
    assert_eq!(s, 404);
    let (_, snap) = at.admin(Method::GET, "snapshot?view=neutral", None).await;
    assert_eq!(
        snap["records"]["tickets"][0],
        json!({"id": 7001, "company": "Acme", "number": "T20240101.0001", "title": "Printer jammed",
               "board": "Projects", "status": "Complete", "priority": "Medium", "contact": "Ann Lee",
               "created": "2024-01-01T00:00:00Z", "updated": "2024-01-01T00:00:00Z"})
    );
    // Deleting a company in the PSA takes its tickets with it.
    let (s, _) = at
        .admin(Method::DELETE, "records/companies/1001", None)
        .await;
    assert_eq!(s, 204);
    let (_, snap) = at.admin(Method::GET, "snapshot?view=neutral", None).await;
    assert_eq!(snap["records"]["tickets"], json!([]));
}
