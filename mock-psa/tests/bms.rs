//! BMS V2 dialect over real HTTP, for each of Kaseya BMS, Pulseway PSA and Vorex PSA.

use mock_psa::{MockServer, Personality, ServerOptions};
use serde_json::{json, Value};

const ALL: [Personality; 3] = [Personality::Bms, Personality::Pulseway, Personality::Vorex];

struct T {
    server: MockServer,
    http: reqwest::Client,
    token: String,
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl T {
    async fn start(p: Personality) -> T {
        let server = MockServer::start(p, ServerOptions::default())
            .await
            .expect("server starts");
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut t = T {
            server,
            http,
            token: String::new(),
        };
        let (status, body) = t.auth("password").await;
        assert_eq!(status, 200, "{body}");
        t.token = body["result"]["accessToken"].as_str().unwrap().to_string();
        t
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.origin())
    }

    async fn auth(&self, password: &str) -> (u16, Value) {
        // Mixed-case keys, as real clients send them.
        let body = form(&[
            ("grantType", "password"),
            ("UserName", "api"),
            ("PASSWORD", password),
            ("tenant", "acme"),
        ]);
        let r = self
            .http
            .post(self.url("/v2/security/authenticate"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(m, self.url(path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = self
            .http
            .request(m, self.url(&format!("/__admin/{path}")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "admin {path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn create_account(&self, name: &str, locations: Value) -> Value {
        let types = self
            .call("GET", "/v2/system/accounttypes/lookup", None)
            .await
            .1;
        let customer = types["result"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "Customer")
            .unwrap()["id"]
            .clone();
        let bt = self
            .call("GET", "/v2/system/lookup/businesstypes", None)
            .await
            .1["result"][0]["id"]
            .clone();
        let emp = self.call("GET", "/v2/hr/employees/lookup", None).await.1["result"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "Alex Admin")
            .unwrap()["id"]
            .clone();
        let (s, b) = self
            .call(
                "POST",
                "/v2/crm/accounts",
                Some(
                    json!({"AccountName": name, "AccountTypeId": customer, "BusinessTypeId": bt,
                            "AccountManagerId": emp, "Locations": locations}),
                ),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        b["result"].clone()
    }
}

fn assert_error(status: u16, body: &Value, want: u16) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"]["code"], want, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert!(body["result"].is_null());
}

#[tokio::test]
async fn authentication_tokens_expiry_and_refresh() {
    for p in ALL {
        let mut t = T::start(p).await;
        let (s, b) = t.auth("wrong").await;
        assert_error(s, &b, 401);

        // Multipart form works too.
        let mp = "--XyZ\r\nContent-Disposition: form-data; name=\"GrantType\"\r\n\r\npassword\r\n\
                  --XyZ\r\nContent-Disposition: form-data; name=\"UserName\"\r\n\r\napi\r\n\
                  --XyZ\r\nContent-Disposition: form-data; name=\"Password\"\r\n\r\npassword\r\n\
                  --XyZ\r\nContent-Disposition: form-data; name=\"Tenant\"\r\n\r\nacme\r\n--XyZ--\r\n";
        let r = t
            .http
            .post(t.url("/v2/security/authenticate"))
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(mp)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{p}: multipart");

        let (s, b) = t.call("GET", "/v2/security/userinfo", None).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["success"], true);
        assert!(b["error"].is_null());

        let saved = t.token.clone();
        t.token = "nope".into();
        let (s, b) = t.call("GET", "/v2/hr/employees/lookup", None).await;
        assert_error(s, &b, 401);
        let r = t
            .http
            .get(t.url("/v2/hr/employees/lookup"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);
        t.token = saved;

        // Get the refresh token, then let the access token expire.
        let (_, b) = t.auth("password").await;
        let access = b["result"]["accessToken"].as_str().unwrap().to_string();
        let refresh = b["result"]["refreshToken"].as_str().unwrap().to_string();
        assert_eq!(b["result"]["accessTokenExpireOn"], "2024-01-01T01:00:00Z");
        t.token = access.clone();
        t.admin("POST", "clock", json!({"advance": 7200})).await;
        let (s, b) = t.call("GET", "/v2/hr/employees/lookup", None).await;
        assert_error(s, &b, 401);
        let r = t
            .http
            .post(t.url("/v2/security/refreshtoken"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("AccessToken", &access),
                ("RefreshToken", &refresh),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let b: Value = r.json().await.unwrap();
        t.token = b["result"]["accessToken"].as_str().unwrap().to_string();
        assert_ne!(t.token, access);
        let (s, _) = t.call("GET", "/v2/hr/employees/lookup", None).await;
        assert_eq!(s, 200, "{p}: refreshed token works");
    }
}

#[tokio::test]
async fn accounts_create_page_filter_patch() {
    for p in ALL {
        let t = T::start(p).await;
        let acc = t
            .create_account(
                "Two Sites Ltd",
                json!([
                    {"LocationName": "HQ", "IsMain": true,
                     "Addresses": [{"Address1": "1 Main St", "City": "Springfield", "Phone": "555-0100"}]},
                    {"locationName": "Branch", "addresses": [{"city": "Shelbyville"}]}
                ]),
            )
            .await;
        assert_eq!(acc["accountName"], "Two Sites Ltd");
        assert_eq!(acc["accountType"], "Customer");
        assert_eq!(acc["accountManagerUserName"], "Alex Admin");
        assert_eq!(acc["isActive"], true);
        assert_eq!(acc["createdOn"], "2024-01-01T00:00:00Z");
        let locs = acc["locations"].as_array().unwrap();
        assert_eq!(locs.len(), 2);
        assert_eq!(locs[0]["isMain"], true);
        assert_eq!(locs[1]["isMain"], false);
        assert_eq!(locs[0]["addresses"][0]["phone"], "555-0100");
        assert!(locs[0]["addresses"][0]["id"].is_i64());
        let id = acc["id"].as_i64().unwrap();

        // Missing required fields name themselves.
        let (s, b) = t
            .call(
                "POST",
                "/v2/crm/accounts",
                Some(json!({"AccountName": "x"})),
            )
            .await;
        assert_error(s, &b, 400);
        let subs = b["error"]["subErrors"].to_string();
        for f in [
            "AccountTypeId",
            "BusinessTypeId",
            "AccountManagerId",
            "Locations",
        ] {
            assert!(subs.contains(f), "{subs}");
        }

        // Nested location routes.
        let (s, b) = t
            .call(
                "GET",
                &format!("/v2/crm/accounts/{id}/locations/lookup"),
                None,
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(b["result"].as_array().unwrap().len(), 2);
        let loc_id = b["result"][1]["id"].as_i64().unwrap();
        let (s, b) = t
            .call(
                "GET",
                &format!("/v2/crm/accounts/{id}/locations/{loc_id}"),
                None,
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(b["result"]["locationName"], "Branch");

        // PATCH with and without a leading slash, any case.
        let (s, b) = t
            .call(
                "PATCH",
                &format!("/v2/crm/accounts/{id}"),
                Some(
                    json!([{"op": "replace", "path": "/AccountCode", "value": "TWO"},
                            {"op": "replace", "path": "isactive", "value": false}]),
                ),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["result"]["accountCode"], "TWO");
        assert_eq!(b["result"]["isActive"], false);
        assert_eq!(b["result"]["accountName"], "Two Sites Ltd");

        // No DELETE for accounts.
        let (s, b) = t
            .call("DELETE", &format!("/v2/crm/accounts/{id}"), None)
            .await;
        assert_error(s, &b, 405);

        // 249 more accounts through the admin API, then page 100 at a time.
        for i in 0..249 {
            t.admin(
                "POST",
                "records/companies",
                json!({"name": format!("Company {i:03}"), "type": if i % 2 == 0 { "Customer" } else { "Vendor" }}),
            )
            .await;
        }
        let mut seen = 0;
        for page in 1..=3 {
            let (s, b) = t
                .call(
                    "GET",
                    &format!("/v2/crm/accounts/summary?pagesize=100&PageNumber={page}"),
                    None,
                )
                .await;
            assert_eq!(s, 200);
            assert_eq!(b["totalRecords"], 250);
            let n = b["result"].as_array().unwrap().len();
            assert_eq!(n, if page < 3 { 100 } else { 50 });
            seen += n;
        }
        assert_eq!(seen, 250);
        // Page 0 is page 1; PageSize is capped at 100.
        let (_, b) = t
            .call(
                "GET",
                "/v2/crm/accounts/summary?PageNumber=0&PageSize=500",
                None,
            )
            .await;
        assert_eq!(b["result"].as_array().unwrap().len(), 100);
        assert_eq!(b["result"][0]["id"], id);

        let (_, b) = t
            .call(
                "GET",
                "/v2/crm/accounts/summary?Filter.AccountTypeId=Vendor&PageSize=100",
                None,
            )
            .await;
        assert_eq!(b["totalRecords"], 124);
        let (_, b) = t
            .call(
                "GET",
                "/v2/crm/accounts/summary?filter.accountName=company%2000&Filter.IsActive=true",
                None,
            )
            .await;
        assert_eq!(b["totalRecords"], 10, "{p}");
        let (_, b) = t
            .call(
                "GET",
                "/v2/crm/accounts/summary?Filter.IsActive=false",
                None,
            )
            .await;
        assert_eq!(b["totalRecords"], 1);

        let (s, b) = t
            .call("GET", &format!("/v2/crm/accounts/summary/{id}"), None)
            .await;
        assert_eq!(s, 200);
        assert_eq!(b["result"]["id"], id);
        let (s, b) = t
            .call("GET", "/v2/crm/accounts/summary/999999999", None)
            .await;
        assert_error(s, &b, 404);
    }
}

#[tokio::test]
async fn contacts_rule_patch_search_delete() {
    for p in ALL {
        let t = T::start(p).await;
        let acc = t
            .create_account(
                "Contact Co",
                json!([{"LocationName": "Main", "Addresses": [{}]}]),
            )
            .await;
        let acc_id = acc["id"].clone();
        let loc_id = acc["locations"][0]["id"].clone();
        let et = t
            .call("GET", "/v2/system/tenantlookup/emailtypes", None)
            .await
            .1["result"][0]["id"]
            .clone();
        let pt =
            t.call("GET", "/v2/system/lookup/phonetypes", None).await.1["result"][0]["id"].clone();

        // No e-mail: Kaseya BMS enforces its contact rule, the others accept.
        let (s, b) = t
            .call(
                "POST",
                "/v2/crm/contacts/summary",
                Some(json!({"FirstName": "No", "LastName": "Mail", "AccountId": acc_id, "LocationId": loc_id})),
            )
            .await;
        if p == Personality::Bms {
            assert_error(s, &b, 400);
            let subs = b["error"]["subErrors"].to_string();
            assert!(subs.contains("email") && subs.contains("phone"), "{subs}");
        } else {
            assert_eq!(s, 200, "{p}: {b}");
        }

        let (s, b) = t
            .call(
                "POST",
                "/v2/crm/contacts/summary",
                Some(json!({"firstName": "Ada", "lastName": "Lovelace", "accountId": acc_id, "locationId": loc_id,
                            "emails": [{"emailAddress": "ada@example.com", "emailTypeId": et, "isDefault": true}],
                            "phones": [{"phoneNumber": "555-0101", "phoneTypeId": pt, "isDefault": true}]})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["result"]["emailAddress"], "ada@example.com");
        assert_eq!(b["result"]["accountName"], "Contact Co");
        let cid = b["result"]["id"].as_i64().unwrap();

        let (s, b) = t
            .call(
                "PATCH",
                &format!("/v2/crm/contacts/{cid}"),
                Some(
                    json!([{"op": "replace", "path": "/JobTitle", "value": "Analyst"},
                            {"op": "replace", "path": "isPoc", "value": true}]),
                ),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["result"]["jobTitle"], "Analyst");
        assert_eq!(b["result"]["isPoc"], true);

        let (s, b) = t
            .call(
                "PATCH",
                &format!("/v2/crm/contacts/{cid}/emails"),
                Some(
                    json!([{"Operation": 0, "EmailAddress": "ada@home.example", "IsDefault": true},
                            {"Operation": 2, "EmailAddress": "ADA@example.com"}]),
                ),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["result"]["added"], 1);
        assert_eq!(b["result"]["deleted"], 1);

        let (_, b) = t
            .call("GET", &format!("/v2/crm/contacts/summary/{cid}"), None)
            .await;
        let c = &b["result"];
        assert_eq!(c["emails"].as_array().unwrap().len(), 1);
        assert_eq!(c["emails"][0]["emailAddress"], "ada@home.example");
        assert_eq!(c["emails"][0]["emailType"], "Email");
        assert_eq!(c["phones"][0]["phone"], "555-0101");
        assert_eq!(c["phones"][0]["phoneType"], "Direct");
        assert_eq!(c["locationName"], "Main");

        let (_, b) = t
            .call(
                "GET",
                "/v2/crm/contacts/search?Filter.EmailAddress=ADA%40HOME.example",
                None,
            )
            .await;
        assert_eq!(b["result"].as_array().unwrap().len(), 1);
        assert!(b.get("totalRecords").is_none());
        let (_, b) = t
            .call(
                "GET",
                "/v2/crm/contacts/search?Filter.FirstName=ada&Filter.LastName=love",
                None,
            )
            .await;
        assert_eq!(b["result"][0]["id"], cid);
        let (_, b) = t
            .call(
                "GET",
                &format!("/v2/crm/contacts/summary?Filter.AccountId={acc_id}"),
                None,
            )
            .await;
        assert!(b["totalRecords"].as_u64().unwrap() >= 1);

        let (s, b) = t
            .call(
                "PUT",
                &format!("/v2/crm/contacts/{cid}"),
                Some(json!({"AccountId": acc_id, "LocationId": loc_id, "FirstName": "Ada", "LastName": "King", "Poc": false})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["result"]["lastName"], "King");
        assert_eq!(b["result"]["jobTitle"], Value::Null);

        let (s, _) = t
            .call("DELETE", &format!("/v2/crm/contacts/{cid}"), None)
            .await;
        assert_eq!(s, 200);
        let (s, b) = t
            .call("GET", &format!("/v2/crm/contacts/summary/{cid}"), None)
            .await;
        assert_error(s, &b, 404);
    }
}

#[tokio::test]
async fn assets_create_search_put_delete() {
    for p in ALL {
        let t = T::start(p).await;
        let acc = t
            .create_account(
                "Asset Co",
                json!([{"LocationName": "Main", "Addresses": []}]),
            )
            .await;
        let (acc_id, loc_id) = (acc["id"].clone(), acc["locations"][0]["id"].clone());
        let cats = t
            .call("GET", "/v2/system/lookup/assetcategories", None)
            .await
            .1;
        let server = cats["result"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "Server")
            .unwrap()["id"]
            .clone();
        let mfr = t
            .call("GET", "/v2/system/lookup/manufacturers", None)
            .await
            .1["result"][0]["id"]
            .clone();
        let (s, b) = t
            .call(
                "POST",
                "/v2/servicedesk/hardwareasset",
                Some(
                    json!({"Name": "SRV-01", "AccountId": acc_id, "AccountLocationId": loc_id,
                            "CategoryId": server, "SerialNumber": "SN1", "ManufacturerId": mfr,
                            "MacAddress": "00:11:22:33:44:55", "ModelNumber": "R740"}),
                ),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let a = &b["result"];
        assert_eq!(a["category"], "Server");
        assert_eq!(a["manufacturer"], "Dell");
        assert_eq!(a["status"], "Active");
        assert_eq!(a["accountLocation"], "Main");
        let aid = a["id"].as_i64().unwrap();

        let (s, b) = t
            .call(
                "POST",
                "/v2/servicedesk/hardwareasset",
                Some(json!({"Name": "x"})),
            )
            .await;
        assert_error(s, &b, 400);

        let (_, b) = t
            .call(
                "GET",
                &format!("/v2/servicedesk/hardwareasset/searchselect?Filter.AccountId={acc_id}&Filter.AssetName=srv"),
                None,
            )
            .await;
        assert_eq!(b["result"][0]["assetName"], "SRV-01");
        assert!(b.get("totalRecords").is_none());

        let mut body = a.clone();
        body["description"] = json!("rack 4");
        let (s, b) = t
            .call(
                "PUT",
                &format!("/v2/servicedesk/hardwareasset/{aid}"),
                Some(body),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["result"]["description"], "rack 4");
        assert_eq!(b["result"]["serialNumber"], "SN1");

        let (s, _) = t
            .call(
                "DELETE",
                &format!("/v2/servicedesk/hardwareasset/{aid}"),
                None,
            )
            .await;
        assert_eq!(s, 200);
        let (s, b) = t
            .call("GET", &format!("/v2/servicedesk/hardwareasset/{aid}"), None)
            .await;
        assert_error(s, &b, 404);
    }
}

#[tokio::test]
async fn malformed_input_and_unknown_routes() {
    for p in ALL {
        let t = T::start(p).await;
        let r = t
            .http
            .post(t.url("/v2/crm/accounts"))
            .bearer_auth(&t.token)
            .header("content-type", "application/json-patch+json")
            .body("{\"AccountName\": ")
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        let b: Value = r.json().await.unwrap();
        assert_error(s, &b, 400);
        let (s, b) = t
            .call(
                "POST",
                "/v2/crm/accounts",
                Some(json!({"AccountName": 5, "Locations": "x"})),
            )
            .await;
        assert_error(s, &b, 400);
        let (s, b) = t
            .call(
                "PATCH",
                "/v2/crm/accounts/1",
                Some(json!({"not": "an array"})),
            )
            .await;
        assert_eq!(s, 400, "{b}");
        let (s, b) = t.call("GET", "/v2/crm/nothing/here", None).await;
        assert_error(s, &b, 404);
        let (s, b) = t.call("GET", "/v2/system/lookup/nosuchtable", None).await;
        assert_error(s, &b, 404);
        let (s, b) = t
            .call("GET", "/v2/crm/accounts/summary?PageSize=abc", None)
            .await;
        assert_error(s, &b, 400);
    }
}

#[tokio::test]
async fn hourly_quota_per_endpoint() {
    for p in ALL {
        let t = T::start(p).await;
        let mut settings = t.admin("GET", "settings", Value::Null).await;
        settings["bms_hourly_quota"] = json!(3);
        settings["bms_token_ttl_seconds"] = json!(86_400);
        t.admin("PUT", "settings", settings).await;
        // A fresh token with the long lifetime.
        let (_, b) = t.auth("password").await;
        let t = T {
            token: b["result"]["accessToken"].as_str().unwrap().to_string(),
            ..t
        };
        for _ in 0..3 {
            let (s, _) = t.call("GET", "/v2/hr/employees/lookup", None).await;
            assert_eq!(s, 200);
        }
        let (s, b) = t.call("GET", "/v2/hr/employees/lookup", None).await;
        assert_error(s, &b, 429);
        // Another endpoint has its own count.
        let (s, _) = t.call("GET", "/v2/system/accounttypes/lookup", None).await;
        assert_eq!(s, 200);
        t.admin("POST", "clock", json!({"advance": 3600})).await;
        let (s, _) = t.call("GET", "/v2/hr/employees/lookup", None).await;
        assert_eq!(s, 200, "{p}: a new hour resets the quota");
    }
}

#[tokio::test]
async fn legacy_v1_locations() {
    for p in ALL {
        let t = T::start(p).await;
        let acc = t
            .create_account(
                "V1 Co",
                json!([{"LocationName": "Main", "Addresses": [{}]}]),
            )
            .await;
        let r = t
            .http
            .post(t.url("/api/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("grant_type", "password"),
                ("username", "api"),
                ("password", "bad"),
                ("tenant", "acme"),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"], "invalid_grant");
        let r = t
            .http
            .post(t.url("/api/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("grant_type", "password"),
                ("username", "api"),
                ("password", "password"),
                ("tenant", "acme"),
            ]))
            .send()
            .await
            .unwrap();
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["token_type"], "bearer");
        let v1 = b["access_token"].as_str().unwrap().to_string();

        // A V2 token does not open V1 and vice versa.
        let r = t
            .http
            .get(t.url("/api/crm/locations"))
            .bearer_auth(&t.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401);

        let r = t
            .http
            .post(t.url("/api/crm/locations"))
            .bearer_auth(&v1)
            .json(&json!({"AccountId": acc["id"], "LocationName": "Annex", "IsMain": false,
                          "Addresses": [{"Address1": "2 Side St", "City": "Ogdenville", "ZipCode": "12345"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["Error"], "None");
        assert_eq!(b["Result"]["LocationName"], "Annex");
        let lid = b["Result"]["Id"].as_i64().unwrap();
        let r = t
            .http
            .put(t.url(&format!("/api/crm/locations/{lid}")))
            .bearer_auth(&v1)
            .json(&json!({"Addresses": [{"City": "North Haverbrook"}]}))
            .send()
            .await
            .unwrap();
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["Result"]["Addresses"][0]["City"], "North Haverbrook");
        assert_eq!(b["Result"]["Addresses"][0]["Address1"], "2 Side St");
        let r = t
            .http
            .get(t.url("/api/crm/locations?$top=1&$skip=1"))
            .bearer_auth(&v1)
            .send()
            .await
            .unwrap();
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["TotalRecords"], 2);
        assert_eq!(b["Result"][0]["Id"], lid);
        // And V2 sees it.
        let (_, b) = t
            .call(
                "GET",
                &format!("/v2/crm/accounts/{}/locations/lookup", acc["id"]),
                None,
            )
            .await;
        assert_eq!(b["result"].as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn neutral_view_round_trip() {
    for p in ALL {
        let t = T::start(p).await;
        t.admin(
            "POST",
            "records/companies",
            json!({"name": "Parent", "short_name": "PAR", "phone": "555-1"}),
        )
        .await;
        t.admin(
            "POST",
            "records/companies",
            json!({"name": "Child", "parent": "Parent", "status": "Inactive", "type": "Vendor"}),
        )
        .await;
        t.admin(
            "POST",
            "records/locations",
            json!({"company": "Child", "name": "Depot", "city": "Capital City", "primary": false}),
        )
        .await;
        t.admin("POST", "records/contacts", json!({"company": "Child", "first_name": "Bo", "email": "bo@x.example", "email_type": "Personal Email", "phone": "555-2", "important": true, "title": "Boss"})).await;
        t.admin("POST", "records/configurations", json!({"company": "Child", "name": "PC-1", "type": "Printer", "manufacturer": "HP", "location": "Depot"})).await;
        let snap = t.admin("GET", "snapshot?view=neutral", Value::Null).await;
        let r = &snap["records"];
        assert_eq!(r["companies"][0]["phone"], "555-1");
        assert_eq!(r["companies"][1]["parent"], "Parent");
        assert_eq!(r["companies"][1]["status"], "Inactive");
        assert_eq!(r["companies"][1]["type"], "Vendor");
        assert_eq!(r["locations"].as_array().unwrap().len(), 3);
        let c = &r["contacts"][0];
        assert_eq!(c["email_type"], "Personal Email");
        assert_eq!(c["phone_type"], "Direct");
        assert_eq!(c["location"], "Main");
        assert_eq!(c["important"], true);
        assert_eq!(c["title"], "Boss");
        let cfg = &r["configurations"][0];
        assert_eq!(cfg["type"], "Printer");
        assert_eq!(cfg["status"], "Active");
        assert_eq!(cfg["location"], "Depot");
        assert!(cfg.get("serial_number").is_none());
    }
}
