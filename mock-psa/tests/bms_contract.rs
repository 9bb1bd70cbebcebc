//! Acceptance tests for Kaseya BMS, Pulseway PSA and Vorex PSA: a small client written from
//! the published BMS V2 contract (and the legacy V1 one), plain HTTP and JSON, drives each
//! personality of a real server on 127.0.0.1:0. The mock's testing API only starts the server;
//! settings and the clock are moved through the admin HTTP API.

use mock_psa::testing::MockPsa;
use mock_psa::MockServer;
use rstest::rstest;
use serde_json::{json, Value};

/// A BMS V2 client as a partner would write it from the swagger and the help pages.
struct Client {
    server: MockServer,
    http: reqwest::Client,
    token: String,
    refresh: String,
}

/// What a call answered.
struct Reply {
    status: u16,
    body: Value,
    text: String,
}

enum Body {
    None,
    Json(Value),
    Raw(&'static str, String),
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn multipart(boundary: &str, pairs: &[(&str, &str)]) -> String {
    let mut s = String::new();
    for (k, v) in pairs {
        s.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    s.push_str(&format!("--{boundary}--\r\n"));
    s
}

const CREDS: [(&str, &str); 4] = [
    ("grantType", "password"),
    ("userName", "api"),
    ("password", "password"),
    ("tenant", "acme"),
];

impl Client {
    async fn start(psa: &str) -> Client {
        let server = MockPsa::start(psa.parse().expect("known PSA"))
            .await
            .into_server();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut c = Client {
            server,
            http,
            token: String::new(),
            refresh: String::new(),
        };
        let r = c.authenticate_urlencoded(&CREDS).await;
        assert_eq!(r.status, 200, "{}", r.text);
        c.take_tokens(&r.body);
        c
    }

    fn take_tokens(&mut self, body: &Value) {
        self.token = body["result"]["accessToken"].as_str().unwrap().to_string();
        self.refresh = body["result"]["refreshToken"].as_str().unwrap().to_string();
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.origin())
    }

    async fn raw(&self, method: &str, path: &str, body: Body, token: Option<&str>) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(m, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(&v),
            Body::Raw(ct, s) => req.header("content-type", ct).body(s),
        };
        let r = req.send().await.expect("the mock answers");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        // Never a panic or a bare 500, whatever the input.
        assert_ne!(status, 500, "{method} {path}: {text}");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, body, text }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let body = body.map(Body::Json).unwrap_or(Body::None);
        self.raw(method, path, body, Some(&self.token)).await
    }

    /// The result of a successful call.
    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let r = self.call(method, path, body).await;
        assert_eq!(r.status, 200, "{method} {path}: {}", r.text);
        assert_eq!(r.body["success"], true, "{}", r.text);
        assert!(r.body["error"].is_null());
        r.body["result"].clone()
    }

    async fn authenticate_urlencoded(&self, pairs: &[(&str, &str)]) -> Reply {
        let body = Body::Raw("application/x-www-form-urlencoded", form(pairs));
        self.raw("POST", "/v2/security/authenticate", body, None)
            .await
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
        r.json().await.unwrap_or(Value::Null)
    }

    async fn set(&self, key: &str, value: Value) {
        let mut s = self.admin("GET", "settings", Value::Null).await;
        s[key] = value;
        self.admin("PUT", "settings", s).await;
    }

    async fn lookup_id(&self, path: &str, name: &str) -> i64 {
        let rows = self.ok("GET", path, None).await;
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{path} has no {name}: {rows}"))["id"]
            .as_i64()
            .unwrap()
    }

    /// An `AccountPostInputDto` with the four required members.
    async fn account_body(&self, name: &str, locations: Value) -> Value {
        json!({
            "AccountName": name,
            "AccountTypeId": self.lookup_id("/v2/system/accounttypes/lookup", "Customer").await,
            "BusinessTypeId": self.lookup_id("/v2/system/lookup/businesstypes", "Enterprise").await,
            "AccountManagerId": self.lookup_id("/v2/hr/employees/lookup", "Alex Admin").await,
            "Locations": locations,
        })
    }

    async fn create_account(&self, name: &str) -> Value {
        let body = self
            .account_body(name, json!([{"LocationName": "Main", "Addresses": []}]))
            .await;
        self.ok("POST", "/v2/crm/accounts", Some(body)).await
    }

    /// A contact with one default e-mail and phone (passes the BMS rule).
    async fn create_contact(&self, account: &Value, first: &str, last: &str, email: &str) -> Value {
        let body = json!({
            "FirstName": first, "LastName": last,
            "AccountId": account["id"], "LocationId": account["locations"][0]["id"],
            "Emails": [{"EmailAddress": email, "IsDefault": true}],
            "Phones": [{"PhoneNumber": "555-0100", "IsDefault": true}],
        });
        self.ok("POST", "/v2/crm/contacts/summary", Some(body))
            .await
    }

    async fn create_asset(&self, account: &Value, name: &str, serial: &str) -> Value {
        let body = json!({
            "Name": name, "AccountId": account["id"],
            "AccountLocationId": account["locations"][0]["id"],
            "CategoryId": self.lookup_id("/v2/system/lookup/assetcategories", "Server").await,
            "SerialNumber": serial,
        });
        self.ok("POST", "/v2/servicedesk/hardwareasset", Some(body))
            .await
    }
}

/// A failure in the V2 envelope with the expected status.
fn assert_fails(r: &Reply, status: u16, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text);
    assert_eq!(r.body["success"], false, "{what}: {}", r.text);
    assert!(r.body["result"].is_null(), "{what}: {}", r.text);
    let msg = r.body["error"]["message"].as_str().unwrap_or("");
    assert!(!msg.is_empty(), "{what}: no message in {}", r.text);
}

/// The ids of a result list (`id` in V2, `Id` in V1).
fn ids_at(rows: &Value, key: &str) -> Vec<i64> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[key].as_i64().unwrap())
        .collect()
}

fn ids(rows: &Value) -> Vec<i64> {
    ids_at(rows, "id")
}

// ---------------------------------------------------------------------------------------------
// Security.

#[rstest]
#[tokio::test]
async fn authenticate_refresh_userinfo(#[values("bms", "pulseway", "vorex")] psa: &str) {
    let mut c = Client::start(psa).await;

    // urlencoded, camelCase keys (most clients) and PascalCase keys (the spec).
    let pascal = [
        ("GrantType", "password"),
        ("UserName", "API"),
        ("Password", "password"),
        ("Tenant", "ACME"),
    ];
    let r = c.authenticate_urlencoded(&pascal).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let result = &r.body["result"];
    for k in [
        "accessToken",
        "refreshToken",
        "accessTokenExpireOn",
        "refreshTokenExpireOn",
    ] {
        assert!(result[k].is_string(), "{k} in {result}");
    }
    assert!(result.get("token_type").is_none() && result.get("expires_in").is_none());
    assert_eq!(result["accessTokenExpireOn"], "2024-01-01T01:00:00Z");

    // multipart/form-data, as the swagger declares.
    let boundary = "----BmsBoundary7MA4YWxkTrZu0gW";
    let body = Body::Raw(
        "multipart/form-data; boundary=----BmsBoundary7MA4YWxkTrZu0gW",
        multipart(boundary, &pascal),
    );
    let r = c.raw("POST", "/v2/security/authenticate", body, None).await;
    assert_eq!(r.status, 200, "multipart: {}", r.text);
    let multipart_token = r.body["result"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c
        .raw(
            "GET",
            "/v2/security/userinfo",
            Body::None,
            Some(&multipart_token),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["result"]["userId"].is_i64());
    assert_eq!(r.body["result"]["fullName"], "API Employee");

    // Refresh: a new pair; the old access token stops working, the new one works.
    let old = c.token.clone();
    let body = Body::Raw(
        "application/x-www-form-urlencoded",
        form(&[("AccessToken", &c.token), ("RefreshToken", &c.refresh)]),
    );
    let r = c.raw("POST", "/v2/security/refreshtoken", body, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    c.take_tokens(&r.body);
    assert_ne!(c.token, old);
    assert_fails(
        &c.raw("GET", "/v2/security/userinfo", Body::None, Some(&old))
            .await,
        401,
        "refreshed-away token",
    );
    c.ok("GET", "/v2/security/userinfo", None).await;

    // Every error path of the security routes.
    let bad = |pairs: &[(&str, &str)]| form(pairs);
    let cases: Vec<(Body, u16, &str)> = vec![
        (
            Body::Raw(
                "application/x-www-form-urlencoded",
                bad(&[
                    ("grantType", "password"),
                    ("userName", "api"),
                    ("password", "nope"),
                    ("tenant", "acme"),
                ]),
            ),
            401,
            "wrong password",
        ),
        (
            Body::Raw(
                "application/x-www-form-urlencoded",
                bad(&[
                    ("grantType", "password"),
                    ("userName", "api"),
                    ("password", "password"),
                    ("tenant", "other"),
                ]),
            ),
            401,
            "wrong tenant",
        ),
        (
            Body::Raw(
                "application/x-www-form-urlencoded",
                bad(&[
                    ("userName", "api"),
                    ("password", "password"),
                    ("tenant", "acme"),
                ]),
            ),
            400,
            "no GrantType",
        ),
        (
            Body::Raw(
                "application/x-www-form-urlencoded",
                bad(&[("grantType", "client_credentials")]),
            ),
            400,
            "unsupported GrantType",
        ),
        (
            Body::Raw(
                "application/x-www-form-urlencoded",
                bad(&[("grantType", "password"), ("tenant", "acme")]),
            ),
            400,
            "no user name or password",
        ),
        (
            Body::Json(json!({"grantType": "password", "userName": "api"})),
            415,
            "JSON instead of a form",
        ),
        (
            Body::Raw("multipart/form-data", "x".into()),
            400,
            "multipart without a boundary",
        ),
    ];
    for (body, status, what) in cases {
        assert_fails(
            &c.raw("POST", "/v2/security/authenticate", body, None).await,
            status,
            what,
        );
    }
    let refresh_cases: Vec<(String, u16, &str)> = vec![
        (form(&[("AccessToken", &c.token)]), 400, "no RefreshToken"),
        (
            form(&[("AccessToken", &c.token), ("RefreshToken", "forged")]),
            401,
            "wrong pair",
        ),
        (
            form(&[("AccessToken", "unknown"), ("RefreshToken", &c.refresh)]),
            401,
            "unknown token",
        ),
    ];
    for (body, status, what) in refresh_cases {
        let body = Body::Raw("application/x-www-form-urlencoded", body);
        assert_fails(
            &c.raw("POST", "/v2/security/refreshtoken", body, None).await,
            status,
            what,
        );
    }
    assert_fails(
        &c.raw("GET", "/v2/security/userinfo", Body::None, None)
            .await,
        401,
        "no token",
    );
    assert_fails(
        &c.raw(
            "GET",
            "/v2/security/userinfo",
            Body::None,
            Some("not-a-token"),
        )
        .await,
        401,
        "unknown token",
    );

    // Expiry on the virtual clock, and the configurable failure status.
    c.admin("POST", "clock", json!({"advance": 3600})).await;
    assert_fails(
        &c.call("GET", "/v2/security/userinfo", None).await,
        401,
        "expired",
    );
    c.set("bms_auth_failure_status", json!(403)).await;
    let r = c
        .authenticate_urlencoded(&[
            ("grantType", "password"),
            ("userName", "api"),
            ("password", "x"),
            ("tenant", "acme"),
        ])
        .await;
    assert_fails(&r, 403, "configured failure status");
}

// ---------------------------------------------------------------------------------------------
// Accounts.

#[rstest]
#[tokio::test]
async fn account_with_two_locations(#[values("bms", "pulseway", "vorex")] psa: &str) {
    let c = Client::start(psa).await;
    let body = c
        .account_body(
            "Acme Corp",
            json!([
                {"LocationName": "HQ", "Addresses": [{"Address1": "1 Main St", "City": "Springfield", "ZipCode": "12345"}]},
                {"locationName": "Branch", "isMain": true, "addresses": [{"address1": "2 Side St", "city": "Shelbyville"}]},
            ]),
        )
        .await;
    let acc = c.ok("POST", "/v2/crm/accounts", Some(body)).await;
    assert!(acc["id"].is_i64());
    assert_eq!(acc["accountName"], "Acme Corp");
    assert_eq!(acc["accountType"], "Customer");
    assert_eq!(acc["businessType"], "Enterprise");
    assert_eq!(acc["accountManagerUserName"], "Alex Admin");
    assert_eq!(acc["isActive"], true);
    assert_eq!(acc["tenantName"], "acme");
    let locs = acc["locations"].as_array().unwrap();
    assert_eq!(locs.len(), 2);
    assert_eq!(locs[0]["locationName"], "HQ");
    assert_eq!(locs[0]["isMain"], false);
    assert_eq!(locs[1]["isMain"], true, "the flagged location is main");
    assert_eq!(locs[0]["addresses"][0]["city"], "Springfield");
    assert!(locs[0]["addresses"][0]["id"].is_i64());
    // An address shows every member of its DTO, null when unset (rows and addresses are stored
    // without their nulls; the location DTO puts them back).
    for member in [
        "address2",
        "state",
        "countryId",
        "phone",
        "fax",
        "emailAddress",
    ] {
        let address = locs[1]["addresses"][0].as_object().unwrap();
        assert_eq!(
            address.get(member),
            Some(&Value::Null),
            "{member}: {address:?}"
        );
    }

    let id = acc["id"].as_i64().unwrap();
    assert_eq!(
        c.ok("GET", &format!("/v2/crm/accounts/summary/{id}"), None)
            .await,
        acc
    );
    let lookup = c
        .ok(
            "GET",
            &format!("/v2/crm/accounts/{id}/locations/lookup"),
            None,
        )
        .await;
    assert_eq!(lookup.as_array().unwrap().len(), 2);
    assert_eq!(lookup[1]["name"], "Branch");
    assert_eq!(lookup[1]["isMain"], true);
    let loc_id = locs[1]["id"].as_i64().unwrap();
    let loc = c
        .ok(
            "GET",
            &format!("/v2/crm/accounts/{id}/locations/{loc_id}"),
            None,
        )
        .await;
    assert_eq!(loc["addresses"][0]["address1"], "2 Side St");

    // PUT replaces the scalars; PATCH paths with and without a slash, in any case.
    let mut put = c.account_body("Acme Corporation", Value::Null).await;
    put["AccountCode"] = json!("ACME");
    put["Website"] = json!("https://acme.test");
    let after = c
        .ok("PUT", &format!("/v2/crm/accounts/{id}"), Some(put))
        .await;
    assert_eq!(after["accountName"], "Acme Corporation");
    assert_eq!(after["website"], "https://acme.test");
    assert_eq!(
        after["locations"].as_array().unwrap().len(),
        2,
        "PUT keeps locations"
    );
    let patch = json!([
        {"op": "replace", "path": "AccountCode", "value": "ACME-1"},
        {"op": "replace", "path": "/website", "value": null},
        {"OP": "Replace", "PATH": "/ISACTIVE", "VALUE": false},
        {"op": "test", "path": "accountName", "value": "Acme Corporation"},
    ]);
    let r = c
        .raw(
            "PATCH",
            &format!("/v2/crm/accounts/{id}"),
            Body::Raw("application/json-patch+json", patch.to_string()),
            Some(&c.token),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["result"]["accountCode"], "ACME-1");
    assert!(r.body["result"]["website"].is_null());
    assert_eq!(r.body["result"]["isActive"], false);
    assert_fails(
        &c.call(
            "PATCH",
            &format!("/v2/crm/accounts/{id}"),
            Some(json!([{"op": "test", "path": "accountName", "value": "Other"}])),
        )
        .await,
        400,
        "failed test op",
    );

    // The summary envelope can be switched to the bare DTO the spec declares.
    c.set("bms_summary_envelope", json!(false)).await;
    let r = c
        .call("GET", &format!("/v2/crm/accounts/summary/{id}"), None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"], id);
    assert!(r.body.get("success").is_none());
}

#[rstest]
#[tokio::test]
async fn page_filter_and_sort_250_accounts(#[values("bms", "pulseway", "vorex")] psa: &str) {
    let c = Client::start(psa).await;
    let template = c
        .account_body("x", json!([{"LocationName": "Main", "Addresses": []}]))
        .await;
    let prospect = c
        .lookup_id("/v2/system/accounttypes/lookup", "Prospect")
        .await;
    for i in 0..250 {
        let mut b = template.clone();
        b["AccountName"] = json!(format!("Account {i:03}"));
        b["AccountCode"] = json!(format!("A{i:03}"));
        if i % 10 == 0 {
            b["AccountTypeId"] = json!(prospect);
        }
        if i % 25 == 0 {
            b["IsActive"] = json!(false);
        }
        c.ok("POST", "/v2/crm/accounts", Some(b)).await;
    }

    // Page through as real clients do: PageSize 100, until totalRecords is reached.
    let mut seen = Vec::new();
    for page in 1..=3 {
        let r = c
            .call(
                "GET",
                &format!("/v2/crm/accounts/summary?PageSize=100&PageNumber={page}"),
                None,
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body["totalRecords"], 250);
        seen.extend(ids(&r.body["result"]));
    }
    assert_eq!(seen.len(), 250);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "id order, no repeats");
    let r = c
        .call(
            "GET",
            "/v2/crm/accounts/summary?pagesize=100&pagenumber=4",
            None,
        )
        .await;
    assert_eq!(r.body["result"], json!([]), "past the end: an empty page");

    // Defaults and caps.
    let count = |r: &Reply| r.body["result"].as_array().unwrap().len();
    assert_eq!(
        count(&c.call("GET", "/v2/crm/accounts/summary", None).await),
        50
    );
    assert_eq!(
        count(
            &c.call("GET", "/v2/crm/accounts/summary?PageSize=500", None)
                .await
        ),
        100
    );
    let first = c
        .call(
            "GET",
            "/v2/crm/accounts/summary?PageSize=5&PageNumber=0",
            None,
        )
        .await;
    assert_eq!(
        ids(&first.body["result"]),
        seen[..5].to_vec(),
        "PageNumber 0 is page 1"
    );
    c.set("bms_max_page_size", json!(25)).await;
    assert_eq!(
        count(
            &c.call("GET", "/v2/crm/accounts/summary?PageSize=100", None)
                .await
        ),
        25
    );
    c.set("bms_max_page_size", json!(100)).await;

    // Filters, alone and together, case-insensitive names.
    let filters = [
        ("Filter.AccountName=account 12".to_string(), 10),
        ("filter.accountCode=A007".into(), 1),
        ("Filter.IsActive=false".into(), 10),
        (format!("Filter.AccountTypeId={prospect}"), 25),
        ("Filter.AccountTypeId=Prospect".into(), 25),
        (
            "Filter.AccountTypeName=prospect&Filter.IsActive=false".into(),
            5,
        ),
        ("Filter.CreatedOnFrom=2024-01-02".into(), 0),
        ("Filter.CreatedOnTo=2024-01-01".into(), 250),
    ];
    for (filter, want) in filters {
        let r = c
            .call("GET", &format!("/v2/crm/accounts/summary?{filter}"), None)
            .await;
        assert_eq!(r.body["totalRecords"], want, "{filter}");
    }
    let q = |s: &str| format!("/v2/crm/accounts/summary?{s}");

    // Sort: by member, descending with a word or a minus, ties keep id order.
    let r = c
        .call("GET", &q("Sort=accountName desc&PageSize=3"), None)
        .await;
    let names: Vec<&str> = r.body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["accountName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Account 249", "Account 248", "Account 247"]);
    let r = c
        .call("GET", &q("Sort=-id&PageSize=2&PageNumber=2"), None)
        .await;
    assert_eq!(ids(&r.body["result"]), vec![seen[247], seen[246]]);
    let r = c
        .call("GET", &q("Sort=IsActive,AccountName desc&PageSize=2"), None)
        .await;
    assert_eq!(r.body["result"][0]["accountName"], "Account 225");
    assert_eq!(r.body["totalRecords"], 250);

    // The lookup: active only unless asked, by name and by ids.
    let lookup = c
        .ok(
            "GET",
            "/v2/crm/accounts/lookup?PageSize=100&PageNumber=3",
            None,
        )
        .await;
    assert_eq!(lookup.as_array().unwrap().len(), 40, "240 active accounts");
    let lookup = c
        .ok(
            "GET",
            "/v2/crm/accounts/lookup?Filter.WithInactiveAccounts=true&PageSize=100&PageNumber=3",
            None,
        )
        .await;
    assert_eq!(lookup.as_array().unwrap().len(), 50);
    let lookup = c
        .ok(
            "GET",
            &format!(
                "/v2/crm/accounts/lookup?Filter.Ids={}&Filter.Ids={}",
                seen[1], seen[2]
            ),
            None,
        )
        .await;
    assert_eq!(ids(&lookup), vec![seen[1], seen[2]]);
    assert_eq!(lookup[0]["name"], "Account 001");
    assert_eq!(lookup[0]["tenantName"], "acme");
    let lookup = c
        .ok(
            "GET",
            "/v2/crm/accounts/lookup?Filter.Name=account 24",
            None,
        )
        .await;
    assert_eq!(lookup.as_array().unwrap().len(), 10);
}

// ---------------------------------------------------------------------------------------------
// Contacts.

#[rstest]
#[tokio::test]
async fn contacts_create_patch_search(#[values("bms", "pulseway", "vorex")] psa: &str) {
    let c = Client::start(psa).await;
    let acc = c.create_account("Acme").await;
    let other = c.create_account("Other").await;
    let ann = c.create_contact(&acc, "Ann", "Lee", "ann@acme.test").await;
    assert!(ann["id"].is_i64());
    assert_eq!(ann["emailAddress"], "ann@acme.test");
    assert_eq!(ann["phoneNumber"], "555-0100");
    assert_eq!(ann["accountName"], "Acme");
    assert_eq!(ann["locationName"], "Main");
    let bob = c.create_contact(&acc, "Bob", "Lee", "bob@acme.test").await;
    c.create_contact(&other, "Cat", "Stone", "cat@other.test")
        .await;
    let ann_id = ann["id"].as_i64().unwrap();

    // The BMS contact rule: a contact without a phone is refused on Kaseya BMS only, and the
    // setting turns it on or off on any personality.
    let no_phone = json!({"FirstName": "Dan", "AccountId": acc["id"], "LocationId": acc["locations"][0]["id"],
                          "Emails": [{"EmailAddress": "dan@acme.test"}]});
    let r = c
        .call("POST", "/v2/crm/contacts/summary", Some(no_phone.clone()))
        .await;
    let rule_default = psa == "bms";
    if rule_default {
        assert_fails(&r, 400, "BMS contact rule");
        assert!(r.text.contains("phone"), "{}", r.text);
    } else {
        assert_eq!(r.status, 200, "{}", r.text);
    }
    c.set("bms_contact_rule", json!(!rule_default)).await;
    let r = c
        .call("POST", "/v2/crm/contacts/summary", Some(no_phone))
        .await;
    if rule_default {
        assert_eq!(r.status, 200, "rule off: {}", r.text);
    } else {
        assert_fails(&r, 400, "rule switched on");
    }
    c.set("bms_contact_rule", json!(rule_default)).await;
    let dan = r.body["result"]["id"].as_i64();

    // Summary list: paged with totalRecords, filters.
    let r = c
        .call(
            "GET",
            &format!("/v2/crm/contacts/summary?Filter.AccountId={}", acc["id"]),
            None,
        )
        .await;
    assert_eq!(r.body["totalRecords"], 3);
    let r = c
        .call(
            "GET",
            "/v2/crm/contacts/summary?Filter.Email=acme.test&Filter.LastName=lee",
            None,
        )
        .await;
    assert_eq!(ids(&r.body["result"]).len(), 2);
    let r = c
        .call(
            "GET",
            "/v2/crm/contacts/summary?Filter.AccountName=other",
            None,
        )
        .await;
    assert_eq!(r.body["result"][0]["firstName"], "Cat");
    assert_eq!(r.body["result"][0]["emails"][0]["emailType"], "Email");
    assert_eq!(r.body["result"][0]["phones"][0]["phone"], "555-0100");

    // Search, as the Pulseway client calls it.
    let found = c
        .ok(
            "GET",
            "/v2/crm/contacts/search?Filter.EmailAddress=ANN@acme.test&PageSize=5",
            None,
        )
        .await;
    assert_eq!(ids(&found), vec![ann_id]);
    assert_eq!(found[0]["emailAddress"], "ann@acme.test");
    assert_eq!(found[0]["locationId"], acc["locations"][0]["id"]);
    assert!(found.get("totalRecords").is_none());
    let found = c
        .ok(
            "GET",
            "/v2/crm/contacts/search?Filter.FirstName=Bob&Filter.LastName=Lee",
            None,
        )
        .await;
    assert_eq!(ids(&found), vec![bob["id"].as_i64().unwrap()]);
    let found = c
        .ok(
            "GET",
            "/v2/crm/contacts/search?Filter.EmailAddress=acme.test",
            None,
        )
        .await;
    assert_eq!(found, json!([]), "EmailAddress matches whole addresses");
    let found = c
        .ok(
            "GET",
            &format!("/v2/crm/contacts/search?Filter.AccountIds={}", other["id"]),
            None,
        )
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1);

    // By id, PATCH, PUT.
    let one = c
        .ok("GET", &format!("/v2/crm/contacts/summary/{ann_id}"), None)
        .await;
    assert_eq!(one["firstName"], "Ann");
    let patched = c
        .ok(
            "PATCH",
            &format!("/v2/crm/contacts/{ann_id}"),
            Some(
                json!([{"op": "replace", "path": "jobTitle", "value": "CTO"},
                         {"op": "replace", "path": "/Poc", "value": true}]),
            ),
        )
        .await;
    assert_eq!(patched["jobTitle"], "CTO");
    assert_eq!(patched["isPoc"], true);
    assert_eq!(patched["poc"], true);
    let put = c
        .ok("PUT", &format!("/v2/crm/contacts/{ann_id}"),
            Some(json!({"AccountId": acc["id"], "LocationId": acc["locations"][0]["id"], "FirstName": "Anne", "LastName": "Lee"})))
        .await;
    assert_eq!(put["firstName"], "Anne");
    assert!(put["jobTitle"].is_null(), "PUT replaces");
    assert_eq!(put["isPoc"], true, "booleans left out keep their value");
    assert_eq!(
        put["emails"][0]["emailAddress"], "ann@acme.test",
        "PUT leaves e-mails alone"
    );

    // E-mails and phones: add, update, delete.
    let r = c
        .ok("PATCH", &format!("/v2/crm/contacts/{ann_id}/emails"),
            Some(json!([{"Operation": 0, "EmailAddress": "anne@home.test", "IsDefault": true},
                         {"Operation": 1, "EmailAddress": "ann@acme.test", "NewEmailAddress": "anne@acme.test"}])))
        .await;
    assert_eq!(
        (r["added"].as_i64(), r["updated"].as_i64()),
        (Some(1), Some(1))
    );
    let emails = r["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 2);
    assert_eq!(emails[0]["emailAddress"], "anne@acme.test");
    assert_eq!(emails[1]["isDefault"], true);
    let r = c
        .ok("PATCH", &format!("/v2/crm/contacts/{ann_id}/phones"),
            Some(json!([{"Operation": "Add", "PhoneNumber": "555-0199", "TypeId": c.lookup_id("/v2/system/lookup/phonetypes", "Mobile").await},
                         {"Operation": 2, "PhoneNumber": "555-0100"}])))
        .await;
    assert_eq!(r["deleted"], 1);
    assert_eq!(r["phones"][0]["phone"], "555-0199");
    assert_eq!(r["phones"][0]["phoneType"], "Mobile");
    assert_eq!(
        r["phones"][0]["isDefault"], true,
        "the only phone is the default"
    );

    // Per-account lookup.
    let rows = c
        .ok(
            "GET",
            &format!(
                "/v2/crm/accounts/{}/contacts/lookup?Filter.Name=bob",
                acc["id"]
            ),
            None,
        )
        .await;
    assert_eq!(rows[0]["name"], "Bob Lee");
    assert_eq!(rows[0]["emailAddress"], "bob@acme.test");
    // Unfiltered, an account's lookup holds its own contacts and no one else's.
    let names = |rows: &Value| -> Vec<String> {
        let rows = rows.as_array().expect("rows");
        rows.iter()
            .map(|r| r["name"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let path = |a: &Value| format!("/v2/crm/accounts/{}/contacts/lookup", a["id"]);
    assert_eq!(
        names(&c.ok("GET", &path(&other), None).await),
        ["Cat Stone"]
    );
    let own = names(&c.ok("GET", &path(&acc), None).await);
    assert!(
        own.contains(&"Bob Lee".to_string()) && !own.contains(&"Cat Stone".to_string()),
        "{own:?}"
    );

    // DELETE: 200 with no body, then 404.
    let r = c
        .call("DELETE", &format!("/v2/crm/contacts/{ann_id}"), None)
        .await;
    assert_eq!(r.status, 200);
    assert!(r.text.is_empty());
    assert_fails(
        &c.call("GET", &format!("/v2/crm/contacts/summary/{ann_id}"), None)
            .await,
        404,
        "deleted",
    );
    if let Some(dan) = dan {
        c.ok("GET", &format!("/v2/crm/contacts/summary/{dan}"), None)
            .await;
    }
}

// ---------------------------------------------------------------------------------------------
// Assets and lookups.

#[rstest]
#[tokio::test]
async fn assets_create_search_put_delete(#[values("bms", "pulseway", "vorex")] psa: &str) {
    let c = Client::start(psa).await;
    let acc = c.create_account("Acme").await;
    let other = c.create_account("Other").await;
    let srv = c.create_asset(&acc, "SRV-1", "SN-001").await;
    assert_eq!(srv["category"], "Server");
    assert_eq!(srv["status"], "Active");
    assert_eq!(srv["accountName"], "Acme");
    assert_eq!(srv["accountLocation"], "Main");
    c.create_asset(&acc, "SRV-2", "SN-002").await;
    c.create_asset(&other, "PC-9", "SN-900").await;
    let id = srv["id"].as_i64().unwrap();
    assert_eq!(
        c.ok("GET", &format!("/v2/servicedesk/hardwareasset/{id}"), None)
            .await,
        srv
    );

    let search = |q: &str| format!("/v2/servicedesk/hardwareasset/searchselect?{q}");
    let rows = c.ok("GET", &search("Filter.AssetName=srv"), None).await;
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[0]["assetName"], "SRV-1");
    assert_eq!(rows[0]["categoryName"], "Server");
    assert_eq!(rows[0]["accountName"], "Acme");
    let rows = c.ok("GET", &search("Filter.SerialNumber=SN-9"), None).await;
    assert_eq!(rows[0]["assetName"], "PC-9");
    let rows = c
        .ok(
            "GET",
            &search(&format!(
                "Filter.AccountId={}&Filter.ExcludedId={id}",
                acc["id"]
            )),
            None,
        )
        .await;
    assert_eq!(rows.as_array().unwrap().len(), 1);
    let ws = c
        .lookup_id("/v2/system/lookup/assetcategories", "Workstation")
        .await;
    let rows = c
        .ok("GET", &search(&format!("Filter.CategoryIds={ws}")), None)
        .await;
    assert_eq!(rows, json!([]));
    let rows = c
        .ok(
            "GET",
            &search("Filter.LocationName=main&Sort=assetName desc&PageSize=1"),
            None,
        )
        .await;
    assert_eq!(rows[0]["assetName"], "SRV-2");

    let mut put = srv.clone();
    put["serialNumber"] = json!("SN-001-B");
    put["statusId"] = json!(
        c.lookup_id("/v2/system/lookup/assetstatuses", "Inactive")
            .await
    );
    let after = c
        .ok(
            "PUT",
            &format!("/v2/servicedesk/hardwareasset/{id}"),
            Some(put),
        )
        .await;
    assert_eq!(after["serialNumber"], "SN-001-B");
    assert_eq!(after["status"], "Inactive");
    let r = c
        .call(
            "DELETE",
            &format!("/v2/servicedesk/hardwareasset/{id}"),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_fails(
        &c.call("GET", &format!("/v2/servicedesk/hardwareasset/{id}"), None)
            .await,
        404,
        "deleted asset",
    );
}

#[rstest]
#[tokio::test]
async fn lookups(#[values("bms", "pulseway", "vorex")] psa: &str) {
    let c = Client::start(psa).await;
    let types = c.ok("GET", "/v2/system/accounttypes/lookup", None).await;
    assert_eq!(types[0]["name"], "Customer");
    assert_eq!(types[0]["isClient"], true);
    let emps = c.ok("GET", "/v2/hr/employees/lookup", None).await;
    assert_eq!(
        emps[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "name"]
    );
    for (table, name) in [
        ("emailtypes", "Email"),
        ("phonetypes", "Direct"),
        ("assetcategories", "Workstation"),
        ("assetstatuses", "Active"),
        ("businesstypes", "Small Business"),
        ("priorities", "Medium"),
    ] {
        for route in [
            format!("/v2/system/lookup/{table}"),
            format!("/v2/system/tenantlookup/{table}"),
        ] {
            let rows = c.ok("GET", &route, None).await;
            let default = rows
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["isDefault"] == true)
                .unwrap();
            assert_eq!(default["name"], name, "{route}");
        }
    }
    let statuses = c.ok("GET", "/v2/system/statuses/lookup", None).await;
    assert_eq!(statuses[0]["name"], "New");
    assert!(statuses[0]["color"].is_string());
    let added = c
        .ok(
            "POST",
            "/v2/system/tenantlookup/emailtypes",
            Some(json!({"Name": "Billing", "IsDefault": true})),
        )
        .await;
    assert_eq!(added["name"], "Billing");
    let rows = c.ok("GET", "/v2/system/emailtypes/lookup", None).await;
    assert_eq!(
        rows.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["isDefault"] == true)
            .count(),
        1
    );
    assert_fails(
        &c.call("GET", "/v2/system/lookup/nosuchtable", None).await,
        404,
        "unknown table",
    );
    assert_fails(
        &c.call(
            "POST",
            "/v2/system/tenantlookup/emailtypes",
            Some(json!({"Name": "billing"})),
        )
        .await,
        400,
        "duplicate name",
    );
}

// ---------------------------------------------------------------------------------------------
// The malformed-input table: every route, every kind of bad input.

#[rstest]
#[tokio::test]
async fn malformed_input_table(#[values("bms", "pulseway", "vorex")] psa: &str) {
    let c = Client::start(psa).await;
    let acc = c.create_account("Acme").await;
    let a = acc["id"].as_i64().unwrap();
    let l = acc["locations"][0]["id"].as_i64().unwrap();
    let k = c.create_contact(&acc, "Ann", "Lee", "ann@acme.test").await["id"]
        .as_i64()
        .unwrap();
    let h = c.create_asset(&acc, "SRV-1", "SN-1").await["id"]
        .as_i64()
        .unwrap();
    let acc_body = c
        .account_body("X", json!([{"LocationName": "Main", "Addresses": []}]))
        .await;
    let bad_json = || Body::Raw("application/json", "{\"AccountName\": ".into());
    let j = Body::Json;

    let table: Vec<(&str, String, Body, u16, &str)> = vec![
        // accounts
        (
            "POST",
            "/v2/crm/accounts".into(),
            bad_json(),
            400,
            "bad JSON",
        ),
        (
            "POST",
            "/v2/crm/accounts".into(),
            j(json!([1, 2])),
            400,
            "array for object",
        ),
        (
            "POST",
            "/v2/crm/accounts".into(),
            j(json!({"AccountName": 5, "AccountTypeId": "x", "Locations": "x"})),
            400,
            "wrong types",
        ),
        (
            "POST",
            "/v2/crm/accounts".into(),
            j(json!({"AccountName": "X"})),
            400,
            "missing required",
        ),
        (
            "POST",
            "/v2/crm/accounts".into(),
            j(
                json!({"AccountName": "X", "AccountTypeId": 1, "BusinessTypeId": 1, "AccountManagerId": 1, "Locations": []}),
            ),
            400,
            "no location",
        ),
        (
            "POST",
            "/v2/crm/accounts".into(),
            j(
                json!({"AccountName": "X", "AccountTypeId": 999_999_999, "BusinessTypeId": 999_999_999, "AccountManagerId": 999_999_999, "Locations": [{"LocationName": "M", "Addresses": []}]}),
            ),
            400,
            "unknown lookups",
        ),
        (
            "POST",
            "/v2/crm/accounts".into(),
            j(json!({"AccountName": "X", "Locations": [{"Addresses": [5]}]})),
            400,
            "bad location",
        ),
        (
            "POST",
            "/v2/crm/accounts".into(),
            Body::Raw("text/plain", acc_body.to_string()),
            415,
            "text/plain",
        ),
        (
            "GET",
            "/v2/crm/accounts/summary?PageSize=abc".into(),
            Body::None,
            400,
            "PageSize not a number",
        ),
        (
            "GET",
            "/v2/crm/accounts/summary?PageNumber=1.5".into(),
            Body::None,
            400,
            "PageNumber not an integer",
        ),
        (
            "GET",
            "/v2/crm/accounts/summary?Filter.IsActive=maybe".into(),
            Body::None,
            400,
            "IsActive not a boolean",
        ),
        (
            "GET",
            "/v2/crm/accounts/summary?Filter.CreatedOnFrom=yesterday".into(),
            Body::None,
            400,
            "bad date",
        ),
        (
            "GET",
            "/v2/crm/accounts/summary?Sort=nosuch".into(),
            Body::None,
            400,
            "unknown sort member",
        ),
        (
            "GET",
            "/v2/crm/accounts/summary?Sort=accountName sideways".into(),
            Body::None,
            400,
            "bad sort direction",
        ),
        (
            "GET",
            "/v2/crm/accounts/lookup?Filter.Ids=x".into(),
            Body::None,
            400,
            "Ids not numbers",
        ),
        (
            "GET",
            "/v2/crm/accounts/summary/999999999".into(),
            Body::None,
            404,
            "unknown account",
        ),
        (
            "GET",
            "/v2/crm/accounts/summary/abc".into(),
            Body::None,
            404,
            "non-numeric id",
        ),
        (
            "PUT",
            "/v2/crm/accounts/999999999".into(),
            j(acc_body.clone()),
            404,
            "PUT unknown account",
        ),
        (
            "PUT",
            format!("/v2/crm/accounts/{a}"),
            bad_json(),
            400,
            "PUT bad JSON",
        ),
        (
            "PUT",
            format!("/v2/crm/accounts/{a}"),
            j(json!({"AccountName": "X"})),
            400,
            "PUT missing required",
        ),
        (
            "PUT",
            format!("/v2/crm/accounts/{a}"),
            j(json!({"AccountName": ["X"]})),
            400,
            "PUT wrong type",
        ),
        (
            "PATCH",
            format!("/v2/crm/accounts/{a}"),
            j(json!({"op": "replace"})),
            400,
            "patch not an array",
        ),
        (
            "PATCH",
            format!("/v2/crm/accounts/{a}"),
            j(json!([{"op": "replace", "path": "nosuch", "value": 1}])),
            400,
            "patch unknown path",
        ),
        (
            "PATCH",
            format!("/v2/crm/accounts/{a}"),
            j(json!([{"op": "move", "path": "accountName", "from": "x"}])),
            400,
            "patch unsupported op",
        ),
        (
            "PATCH",
            format!("/v2/crm/accounts/{a}"),
            j(json!([{"op": "replace", "path": "accountTypeId", "value": "abc"}])),
            400,
            "patch wrong type",
        ),
        (
            "PATCH",
            format!("/v2/crm/accounts/{a}"),
            j(json!([{"op": "remove", "path": "accountName"}])),
            400,
            "patch removes a required member",
        ),
        (
            "PATCH",
            format!("/v2/crm/accounts/{a}"),
            j(json!([{"op": "replace", "path": "parentId", "value": a}])),
            400,
            "own parent",
        ),
        (
            "PATCH",
            "/v2/crm/accounts/999999999".into(),
            j(json!([])),
            404,
            "PATCH unknown account",
        ),
        (
            "GET",
            "/v2/crm/accounts/999999999/locations/lookup".into(),
            Body::None,
            404,
            "locations of unknown account",
        ),
        (
            "GET",
            format!("/v2/crm/accounts/{a}/locations/999999999"),
            Body::None,
            404,
            "unknown location",
        ),
        (
            "GET",
            "/v2/crm/accounts/999999999/contacts/lookup".into(),
            Body::None,
            404,
            "contacts of unknown account",
        ),
        (
            "DELETE",
            format!("/v2/crm/accounts/{a}"),
            Body::None,
            405,
            "no V2 account DELETE",
        ),
        // contacts
        (
            "POST",
            "/v2/crm/contacts/summary".into(),
            bad_json(),
            400,
            "contact bad JSON",
        ),
        (
            "POST",
            "/v2/crm/contacts/summary".into(),
            j(json!({"FirstName": 1, "AccountId": "x"})),
            400,
            "contact wrong types",
        ),
        (
            "POST",
            "/v2/crm/contacts/summary".into(),
            j(
                json!({"FirstName": "X", "LocationId": l, "Emails": [{"EmailAddress": "x@y"}], "Phones": [{"PhoneNumber": "1"}]}),
            ),
            400,
            "contact without account",
        ),
        (
            "POST",
            "/v2/crm/contacts/summary".into(),
            j(
                json!({"FirstName": "X", "AccountId": 999_999_999, "LocationId": l, "Emails": [{"EmailAddress": "x@y"}], "Phones": [{"PhoneNumber": "1"}]}),
            ),
            400,
            "contact unknown account",
        ),
        (
            "POST",
            "/v2/crm/contacts/summary".into(),
            j(json!({"FirstName": "X", "AccountId": a, "LocationId": l, "Emails": "x"})),
            400,
            "Emails not an array",
        ),
        (
            "POST",
            "/v2/crm/contacts/summary".into(),
            j(
                json!({"FirstName": "X", "AccountId": a, "LocationId": l, "Emails": [{"EmailTypeId": 999_999_999}]}),
            ),
            400,
            "e-mail without address",
        ),
        (
            "GET",
            "/v2/crm/contacts/summary?Filter.AccountId=x".into(),
            Body::None,
            400,
            "AccountId filter not a number",
        ),
        (
            "GET",
            "/v2/crm/contacts/search?Filter.IsPoc=perhaps".into(),
            Body::None,
            400,
            "IsPoc not a boolean",
        ),
        (
            "GET",
            "/v2/crm/contacts/summary/999999999".into(),
            Body::None,
            404,
            "unknown contact",
        ),
        (
            "PUT",
            "/v2/crm/contacts/999999999".into(),
            j(json!({"AccountId": a})),
            404,
            "PUT unknown contact",
        ),
        (
            "PUT",
            format!("/v2/crm/contacts/{k}"),
            j(json!({"AccountId": a, "LocationId": 999_999_999, "FirstName": "X"})),
            400,
            "PUT foreign location",
        ),
        (
            "PUT",
            format!("/v2/crm/contacts/{k}"),
            j(json!({"AccountId": a, "FirstName": false})),
            400,
            "PUT wrong type",
        ),
        (
            "PATCH",
            format!("/v2/crm/contacts/{k}"),
            bad_json(),
            400,
            "contact PATCH bad JSON",
        ),
        (
            "PATCH",
            format!("/v2/crm/contacts/{k}"),
            j(json!([{"op": "replace", "path": "accountId", "value": 999_999_999}])),
            400,
            "PATCH unknown account",
        ),
        (
            "PATCH",
            format!("/v2/crm/contacts/{k}"),
            j(json!([{"path": "firstName", "value": "X"}])),
            400,
            "PATCH without op",
        ),
        (
            "DELETE",
            "/v2/crm/contacts/999999999".into(),
            Body::None,
            404,
            "DELETE unknown contact",
        ),
        (
            "PATCH",
            format!("/v2/crm/contacts/{k}/emails"),
            j(json!([{"Operation": 7, "EmailAddress": "x@y"}])),
            400,
            "unknown operation",
        ),
        (
            "PATCH",
            format!("/v2/crm/contacts/{k}/emails"),
            j(json!([{"Operation": 1, "EmailAddress": "nobody@y"}])),
            400,
            "update of an absent e-mail",
        ),
        (
            "PATCH",
            format!("/v2/crm/contacts/{k}/phones"),
            j(json!([{"Operation": 0, "PhoneNumber": "1", "TypeId": 999_999_999}])),
            400,
            "unknown phone type",
        ),
        (
            "PATCH",
            format!("/v2/crm/contacts/{k}/phones"),
            j(json!({"Operation": 0})),
            400,
            "phones not an array",
        ),
        (
            "PATCH",
            "/v2/crm/contacts/999999999/emails".into(),
            j(json!([])),
            404,
            "e-mails of unknown contact",
        ),
        // assets
        (
            "POST",
            "/v2/servicedesk/hardwareasset".into(),
            bad_json(),
            400,
            "asset bad JSON",
        ),
        (
            "POST",
            "/v2/servicedesk/hardwareasset".into(),
            j(json!({"Name": "X"})),
            400,
            "asset missing required",
        ),
        (
            "POST",
            "/v2/servicedesk/hardwareasset".into(),
            j(json!({"Name": "X", "AccountId": a, "AccountLocationId": l, "CategoryId": "server"})),
            400,
            "asset wrong type",
        ),
        (
            "POST",
            "/v2/servicedesk/hardwareasset".into(),
            j(
                json!({"Name": "X", "AccountId": a, "AccountLocationId": l, "CategoryId": 999_999_999}),
            ),
            400,
            "asset unknown category",
        ),
        (
            "POST",
            "/v2/servicedesk/hardwareasset".into(),
            j(
                json!({"Name": "X", "AccountId": a, "AccountLocationId": 999_999_999, "CategoryId": 1}),
            ),
            400,
            "asset foreign location",
        ),
        (
            "GET",
            "/v2/servicedesk/hardwareasset/searchselect?Filter.CategoryIds=x".into(),
            Body::None,
            400,
            "CategoryIds not numbers",
        ),
        (
            "GET",
            "/v2/servicedesk/hardwareasset/999999999".into(),
            Body::None,
            404,
            "unknown asset",
        ),
        (
            "PUT",
            "/v2/servicedesk/hardwareasset/999999999".into(),
            j(json!({"Name": "X"})),
            404,
            "PUT unknown asset",
        ),
        (
            "PUT",
            format!("/v2/servicedesk/hardwareasset/{h}"),
            j(json!({"Name": "X"})),
            400,
            "PUT asset missing required",
        ),
        (
            "DELETE",
            "/v2/servicedesk/hardwareasset/999999999".into(),
            Body::None,
            404,
            "DELETE unknown asset",
        ),
        // lookups and unknown routes
        (
            "GET",
            "/v2/system/lookup/nosuch".into(),
            Body::None,
            404,
            "unknown lookup",
        ),
        (
            "POST",
            "/v2/system/tenantlookup/emailtypes".into(),
            j(json!({"IsDefault": "x"})),
            400,
            "lookup row wrong type",
        ),
        (
            "POST",
            "/v2/system/tenantlookup/emailtypes".into(),
            j(json!({})),
            400,
            "lookup row without name",
        ),
        (
            "GET",
            "/v2/crm/nothing/here".into(),
            Body::None,
            404,
            "unknown route",
        ),
        (
            "DELETE",
            "/v2/hr/employees/lookup".into(),
            Body::None,
            405,
            "wrong method",
        ),
    ];
    let n = table.len();
    for (method, path, body, status, what) in table {
        let r = c.raw(method, &path, body, Some(&c.token)).await;
        assert_fails(&r, status, &format!("{psa} {method} {path} ({what})"));
    }
    assert!(n >= 60);

    // Nothing above changed the world: the fixtures are as they were.
    assert_eq!(
        c.ok("GET", "/v2/crm/contacts/summary", None)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Every route wants a token, refuses an unknown one, and refuses an expired one.
    let routes: Vec<(&str, String)> = vec![
        ("POST", "/v2/crm/accounts".into()),
        ("GET", "/v2/crm/accounts/summary".into()),
        ("GET", "/v2/crm/accounts/lookup".into()),
        ("GET", format!("/v2/crm/accounts/summary/{a}")),
        ("PUT", format!("/v2/crm/accounts/{a}")),
        ("PATCH", format!("/v2/crm/accounts/{a}")),
        ("GET", format!("/v2/crm/accounts/{a}/locations/lookup")),
        ("GET", format!("/v2/crm/accounts/{a}/locations/{l}")),
        ("GET", format!("/v2/crm/accounts/{a}/contacts/lookup")),
        ("POST", "/v2/crm/contacts/summary".into()),
        ("GET", "/v2/crm/contacts/summary".into()),
        ("GET", "/v2/crm/contacts/search".into()),
        ("GET", format!("/v2/crm/contacts/summary/{k}")),
        ("PUT", format!("/v2/crm/contacts/{k}")),
        ("PATCH", format!("/v2/crm/contacts/{k}")),
        ("DELETE", format!("/v2/crm/contacts/{k}")),
        ("PATCH", format!("/v2/crm/contacts/{k}/emails")),
        ("PATCH", format!("/v2/crm/contacts/{k}/phones")),
        ("POST", "/v2/servicedesk/hardwareasset".into()),
        ("GET", "/v2/servicedesk/hardwareasset/searchselect".into()),
        ("GET", format!("/v2/servicedesk/hardwareasset/{h}")),
        ("PUT", format!("/v2/servicedesk/hardwareasset/{h}")),
        ("DELETE", format!("/v2/servicedesk/hardwareasset/{h}")),
        ("GET", "/v2/system/accounttypes/lookup".into()),
        ("GET", "/v2/hr/employees/lookup".into()),
        ("GET", "/v2/system/lookup/emailtypes".into()),
        ("GET", "/v2/system/tenantlookup/emailtypes".into()),
        ("POST", "/v2/system/tenantlookup/emailtypes".into()),
        ("GET", "/v2/system/statuses/lookup".into()),
        ("GET", "/v2/security/userinfo".into()),
        ("GET", "/v2/servicedesk/tickets".into()),
        ("POST", "/v2/servicedesk/tickets".into()),
        ("POST", "/v2/servicedesk/tickets/search".into()),
        ("GET", "/v2/servicedesk/tickets/1".into()),
        ("PUT", "/v2/servicedesk/tickets/1".into()),
        ("PATCH", "/v2/servicedesk/tickets/1".into()),
        ("GET", "/v2/servicedesk/tickets/1/notes".into()),
        ("POST", "/v2/servicedesk/tickets/1/notes".into()),
        ("GET", "/v2/system/issuetypes/8/issuesubtypes/lookup".into()),
    ];
    for (method, path) in &routes {
        let r = c.raw(method, path, Body::Json(json!({})), None).await;
        assert_fails(&r, 401, &format!("{method} {path} without a token"));
        let r = c
            .raw(method, path, Body::Json(json!({})), Some("Bearer-junk"))
            .await;
        assert_fails(&r, 401, &format!("{method} {path} with an unknown token"));
    }

    // Oversized bodies on every write route: 413 in the envelope.
    c.set("max_body_bytes", json!(1024)).await;
    let big = Body::Raw(
        "application/json",
        format!("{{\"AccountName\": \"{}\"}}", "x".repeat(4096)),
    );
    let r = c.raw("POST", "/v2/crm/accounts", big, Some(&c.token)).await;
    assert_fails(&r, 413, "oversized");
    for (method, path) in routes.iter().filter(|(m, _)| *m != "GET") {
        let big = Body::Raw("application/json", format!("[\"{}\"]", "x".repeat(2048)));
        let r = c.raw(method, path, big, Some(&c.token)).await;
        assert_fails(&r, 413, &format!("{method} {path} oversized"));
    }

    c.admin("POST", "clock", json!({"advance": 7200})).await;
    for (method, path) in &routes {
        let r = c
            .raw(method, path, Body::Json(json!({})), Some(&c.token))
            .await;
        assert_fails(&r, 401, &format!("{method} {path} with an expired token"));
    }
}

#[rstest]
#[tokio::test]
async fn hourly_quota_per_endpoint(#[values("bms", "pulseway", "vorex")] psa: &str) {
    let c = Client::start(psa).await;
    c.set("bms_hourly_quota", json!(3)).await;
    for _ in 0..3 {
        c.ok("GET", "/v2/crm/accounts/summary", None).await;
    }
    let r = c
        .call("GET", "/v2/crm/accounts/summary?PageNumber=2", None)
        .await;
    assert_fails(&r, 429, "quota spent");
    c.ok("GET", "/v2/crm/contacts/summary", None).await;
    // Ids do not make separate endpoints: the route template is counted.
    for _ in 0..3 {
        assert_eq!(
            c.call("GET", "/v2/crm/accounts/summary/1", None)
                .await
                .status,
            404
        );
    }
    assert_fails(
        &c.call("GET", "/v2/crm/accounts/summary/2", None).await,
        429,
        "same template",
    );
    c.admin("POST", "clock", json!({"set": "2024-01-01T00:59:59Z"}))
        .await;
    assert_fails(
        &c.call("GET", "/v2/crm/accounts/summary", None).await,
        429,
        "same hour",
    );
    // A new virtual hour starts a new count (with a token that outlives the hour).
    c.set("bms_token_ttl_seconds", json!(86_400)).await;
    let mut c = c;
    let r = c.authenticate_urlencoded(&CREDS).await;
    c.take_tokens(&r.body);
    c.admin("POST", "clock", json!({"advance": 1})).await;
    c.ok("GET", "/v2/crm/accounts/summary", None).await;
    c.set("bms_hourly_quota", json!(0)).await;
    for _ in 0..5 {
        c.ok("GET", "/v2/crm/contacts/summary", None).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Records made "directly in the PSA" through the admin API show in the API and the neutral view.

#[rstest]
#[tokio::test]
async fn neutral_records_round_trip(#[values("bms", "pulseway", "vorex")] psa: &str) {
    let c = Client::start(psa).await;
    let records = [
        (
            "companies",
            json!({"name": "Parent", "short_name": "PAR", "phone": "555-1"}),
        ),
        (
            "companies",
            json!({"name": "Child", "parent": "Parent", "status": "Inactive", "type": "Vendor"}),
        ),
        (
            "locations",
            json!({"company": "Child", "name": "Depot", "city": "Capital City", "primary": false}),
        ),
        (
            "contacts",
            json!({"company": "Child", "first_name": "Bo", "email": "bo@x.example",
                            "email_type": "Personal Email", "phone": "555-2", "important": true, "title": "Boss"}),
        ),
        (
            "configurations",
            json!({"company": "Child", "name": "PC-1", "type": "Printer",
                                  "manufacturer": "HP", "location": "Depot"}),
        ),
        (
            "tickets",
            json!({"company": "Child", "title": "Printer jammed", "board": "Projects",
                   "status": "In Progress", "contact": "Bo"}),
        ),
    ];
    let mut ids = Vec::new();
    for (kind, body) in records {
        ids.push(c.admin("POST", &format!("records/{kind}"), body).await["id"].clone());
    }
    let snap = c.admin("GET", "snapshot?view=neutral", Value::Null).await;
    let r = &snap["records"];
    assert_eq!(r["companies"][0]["phone"], "555-1");
    assert_eq!(r["companies"][1]["parent"], "Parent");
    assert_eq!(r["companies"][1]["status"], "Inactive");
    assert_eq!(r["companies"][1]["type"], "Vendor");
    assert_eq!(r["locations"].as_array().unwrap().len(), 3);
    let k = &r["contacts"][0];
    assert_eq!(
        (k["email_type"].as_str(), k["phone_type"].as_str()),
        (Some("Personal Email"), Some("Direct"))
    );
    assert_eq!(
        (k["location"].as_str(), k["important"].as_bool()),
        (Some("Main"), Some(true))
    );
    let cfg = &r["configurations"][0];
    assert_eq!(
        (cfg["type"].as_str(), cfg["status"].as_str()),
        (Some("Printer"), Some("Active"))
    );
    assert_eq!(cfg["location"], "Depot");
    assert!(cfg.get("serial_number").is_none());
    let t = &r["tickets"][0];
    assert_eq!(
        t,
        &json!({"id": ids[5], "company": "Child", "number": "T20240101.0001",
                "title": "Printer jammed", "board": "Projects", "status": "In Progress",
                "priority": "Medium", "contact": "Bo", "created": "2024-01-01T00:00:00Z",
                "updated": "2024-01-01T00:00:00Z"})
    );

    // The API sees the same records.
    let child = c
        .ok("GET", &format!("/v2/crm/accounts/summary/{}", ids[1]), None)
        .await;
    assert_eq!(child["parentId"], ids[0]);
    assert_eq!(child["accountType"], "Vendor");
    let bo = c
        .ok("GET", &format!("/v2/crm/contacts/summary/{}", ids[3]), None)
        .await;
    assert_eq!(bo["emails"][0]["emailType"], "Personal Email");
    assert_eq!(bo["jobTitle"], "Boss");
    let ticket = c
        .ok("GET", &format!("/v2/servicedesk/tickets/{}", ids[5]), None)
        .await;
    assert_eq!(ticket["accountId"], ids[1]);
    assert_eq!(ticket["locationName"], "Main");
    assert_eq!(ticket["typeName"], "Incident");
    assert_eq!(ticket["details"], "Printer jammed");

    // Changes and deletes in the PSA: e-mail cleared, phone retyped, company removed with
    // everything it holds.
    c.admin(
        "PATCH",
        &format!("records/contacts/{}", ids[3]),
        json!({"email": null, "phone_type": "Mobile", "location": "Depot"}),
    )
    .await;
    let bo = c
        .ok("GET", &format!("/v2/crm/contacts/summary/{}", ids[3]), None)
        .await;
    assert_eq!(bo["emails"], json!([]));
    assert_eq!(bo["phones"][0]["phoneType"], "Mobile");
    assert_eq!(bo["locationName"], "Depot");
    c.admin(
        "PATCH",
        &format!("records/tickets/{}", ids[5]),
        json!({"status": "Completed", "contact": null}),
    )
    .await;
    let ticket = c
        .ok("GET", &format!("/v2/servicedesk/tickets/{}", ids[5]), None)
        .await;
    assert_eq!(ticket["statusName"], "Completed");
    assert_eq!(ticket["contactId"], Value::Null);
    c.admin(
        "DELETE",
        &format!("records/companies/{}", ids[1]),
        Value::Null,
    )
    .await;
    let snap = c.admin("GET", "snapshot?view=neutral", Value::Null).await;
    for (kind, left) in [
        ("companies", 1),
        ("locations", 1),
        ("contacts", 0),
        ("configurations", 0),
        ("tickets", 0),
    ] {
        assert_eq!(
            snap["records"][kind].as_array().unwrap().len(),
            left,
            "{kind}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The legacy V1 API.

struct V1<'a> {
    c: &'a Client,
    token: String,
}

impl V1<'_> {
    async fn start(c: &Client) -> V1<'_> {
        let body = Body::Raw(
            "application/x-www-form-urlencoded",
            form(&[
                ("grant_type", "password"),
                ("username", "api"),
                ("password", "password"),
                ("tenant", "acme"),
            ]),
        );
        let r = c.raw("POST", "/api/token", body, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["token_type"], "bearer");
        assert_eq!(r.body["expires_in"], 7_775_999);
        V1 {
            c,
            token: r.body["access_token"].as_str().unwrap().to_string(),
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let body = body.map(Body::Json).unwrap_or(Body::None);
        self.c
            .raw(method, &format!("/api{path}"), body, Some(&self.token))
            .await
    }

    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let r = self.call(method, path, body).await;
        assert_eq!(r.status, 200, "{method} {path}: {}", r.text);
        assert_eq!(r.body["ResponseCode"], 0);
        assert_eq!(r.body["Status"], "OK");
        assert_eq!(r.body["Error"], "None");
        r.body
    }
}

fn v1_fails(r: &Reply, status: u16, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text);
    let err = r.body["Error"].as_str().unwrap_or("None");
    assert_ne!(err, "None", "{what}: {}", r.text);
    assert!(!err.is_empty());
    assert!(r.body["Result"].is_null());
}

#[rstest]
#[tokio::test]
async fn v1_odata_accounts_contacts_locations(#[values("bms", "pulseway", "vorex")] psa: &str) {
    let c = Client::start(psa).await;
    let v1 = V1::start(&c).await;
    let body = c.account_body("x", Value::Null).await;
    let mut made = Vec::new();
    for (i, name) in ["Delta", "alpha", "Charlie", "Bravo", "Echo"]
        .iter()
        .enumerate()
    {
        let mut b = body.clone();
        b["AccountName"] = json!(name);
        b["AccountCode"] = json!(format!("C{i}"));
        b["IsActive"] = json!(i != 2);
        let r = v1.ok("POST", "/crm/accounts", Some(b)).await;
        assert_eq!(r["Result"]["AccountName"], *name, "PascalCase result");
        assert_eq!(
            r["Result"]["Locations"],
            json!([]),
            "V1 accounts need no location"
        );
        made.push(r["Result"]["Id"].as_i64().unwrap());
    }

    // OData: $top/$skip with TotalRecords, $orderby, $filter.
    let r = v1.ok("GET", "/crm/accounts?$top=2&$skip=1", None).await;
    assert_eq!(r["TotalRecords"], 5);
    assert_eq!(ids_at(&r["Result"], "Id"), vec![made[1], made[2]]);
    let r = v1
        .ok("GET", "/crm/accounts?$orderby=AccountName", None)
        .await;
    let names: Vec<&str> = r["Result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AccountName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "Bravo", "Charlie", "Delta", "Echo"]);
    let r = v1
        .ok(
            "GET",
            "/crm/accounts?$orderby=IsActive asc, AccountName desc&$top=2",
            None,
        )
        .await;
    assert_eq!(r["Result"][0]["AccountName"], "Charlie");
    assert_eq!(r["Result"][1]["AccountName"], "Echo");
    let r = v1
        .ok("GET", "/crm/accounts?$filter=AccountName eq 'bravo'", None)
        .await;
    assert_eq!(r["TotalRecords"], 1);
    let r = v1.ok("GET", "/crm/accounts?$filter=IsActive eq true and (AccountCode eq 'C0' or AccountCode eq 'C4')", None).await;
    assert_eq!(ids_at(&r["Result"], "Id"), vec![made[0], made[4]]);
    let r = v1
        .ok(
            "GET",
            &format!(
                "/crm/accounts?$filter=Id ge {} and Id lt {}",
                made[3], made[4]
            ),
            None,
        )
        .await;
    assert_eq!(ids_at(&r["Result"], "Id"), vec![made[3]]);
    let r = v1
        .ok("GET", "/crm/accounts?$filter=AccountName ne 'it''s'", None)
        .await;
    assert_eq!(r["TotalRecords"], 5);

    // Account PUT merges; GET by id; DELETE.
    let r = v1
        .ok(
            "PUT",
            &format!("/crm/accounts/{}", made[0]),
            Some(json!({"Website": "https://d.test"})),
        )
        .await;
    assert_eq!(r["Result"]["Website"], "https://d.test");
    assert_eq!(r["Result"]["AccountName"], "Delta", "V1 PUT merges");
    let r = v1
        .ok("GET", &format!("/crm/accounts/{}", made[0]), None)
        .await;
    assert_eq!(r["Result"]["AccountCode"], "C0");

    // Locations: create under an account, OData over them, per-account list.
    let loc = v1
        .ok("POST", "/crm/locations", Some(json!({"AccountId": made[0], "LocationName": "HQ",
            "Addresses": [{"Address1": "1 Main St", "City": "Springfield", "State": "IL", "ZipCode": "62701"}]})))
        .await["Result"]
        .clone();
    assert_eq!(loc["IsMain"], true, "an account's first location is main");
    assert_eq!(loc["Addresses"][0]["City"], "Springfield");
    let branch = v1
        .ok(
            "POST",
            "/crm/locations",
            Some(json!({"AccountId": made[0], "LocationName": "Branch", "IsMain": true})),
        )
        .await["Result"]["Id"]
        .as_i64()
        .unwrap();
    let r = v1
        .ok(
            "GET",
            &format!("/crm/accounts/{}/locations?$filter=IsMain eq true", made[0]),
            None,
        )
        .await;
    assert_eq!(ids_at(&r["Result"], "Id"), vec![branch]);
    let r = v1
        .ok("GET", "/crm/locations?$filter=LocationName eq 'HQ'", None)
        .await;
    assert_eq!(r["TotalRecords"], 1);
    let r = v1
        .ok(
            "PUT",
            &format!("/crm/locations/{}", loc["Id"]),
            Some(json!({"Addresses": [{"City": "Capital City"}]})),
        )
        .await;
    assert_eq!(r["Result"]["Addresses"][0]["City"], "Capital City");
    assert_eq!(r["Result"]["Addresses"][0]["Address1"], "1 Main St");
    // The V2 account shows the V1 locations.
    let acc = c
        .ok(
            "GET",
            &format!("/v2/crm/accounts/summary/{}", made[0]),
            None,
        )
        .await;
    assert_eq!(acc["locations"].as_array().unwrap().len(), 2);

    // Contacts with the V1 Default* members.
    let email_type = c.lookup_id("/v2/system/lookup/emailtypes", "Email").await;
    let contact = v1
        .ok("POST", "/crm/contacts", Some(json!({"AccountId": made[0], "LocationId": loc["Id"],
            "FirstName": "Ann", "LastName": "Lee", "JobTitle": "CTO",
            "DefaultEmailTypeId": email_type, "DefaultEmailAddress": "ann@d.test",
            "DefaultPhoneTypeId": c.lookup_id("/v2/system/lookup/phonetypes", "Direct").await, "DefaultPhoneNumber": "555-0100"})))
        .await["Result"]
        .clone();
    assert_eq!(contact["DefaultEmailAddress"], "ann@d.test");
    assert_eq!(contact["JobTitle"], "CTO");
    assert_eq!(contact["Emails"][0]["EmailType"], "Email");
    let cid = contact["Id"].as_i64().unwrap();
    let r = v1
        .ok(
            "GET",
            "/crm/contacts?$filter=DefaultEmailAddress eq 'ANN@D.TEST'",
            None,
        )
        .await;
    assert_eq!(ids_at(&r["Result"], "Id"), vec![cid]);
    let r = v1
        .ok(
            "PUT",
            &format!("/crm/contacts/{cid}"),
            Some(json!({"DefaultEmailAddress": "ann@new.test", "LastName": "Lee-Smith"})),
        )
        .await;
    assert_eq!(r["Result"]["DefaultEmailAddress"], "ann@new.test");
    assert_eq!(r["Result"]["LastName"], "Lee-Smith");
    assert_eq!(r["Result"]["FirstName"], "Ann");
    let summary = c
        .ok("GET", &format!("/v2/crm/contacts/summary/{cid}"), None)
        .await;
    assert_eq!(
        summary["emails"][0]["emailAddress"], "ann@new.test",
        "one world for V1 and V2"
    );

    // Errors in the V1 envelope.
    let loc_path = format!("/crm/locations/{}", loc["Id"]);
    let contact_path = format!("/crm/contacts/{cid}");
    let table: Vec<(&str, &str, Option<Value>, u16, &str)> = vec![
        (
            "GET",
            "/crm/accounts?$filter=AccountName eq",
            None,
            400,
            "incomplete $filter",
        ),
        (
            "GET",
            "/crm/accounts?$filter=AccountName like 'x'",
            None,
            400,
            "unknown operator",
        ),
        (
            "GET",
            "/crm/accounts?$filter=Nosuch eq 1",
            None,
            400,
            "unknown member",
        ),
        (
            "GET",
            "/crm/accounts?$filter=(AccountName eq 'x'",
            None,
            400,
            "unbalanced",
        ),
        (
            "GET",
            "/crm/accounts?$filter=AccountName eq 'x",
            None,
            400,
            "unterminated",
        ),
        (
            "GET",
            "/crm/accounts?$filter=AccountName eq 'x' junk",
            None,
            400,
            "trailing text",
        ),
        (
            "GET",
            "/crm/accounts?$orderby=Nosuch",
            None,
            400,
            "unknown $orderby",
        ),
        ("GET", "/crm/accounts?$top=-1", None, 400, "negative $top"),
        (
            "GET",
            "/crm/accounts?$skip=x",
            None,
            400,
            "$skip not a number",
        ),
        (
            "GET",
            "/crm/accounts/999999999",
            None,
            404,
            "unknown account",
        ),
        (
            "POST",
            "/crm/accounts",
            Some(json!({"AccountName": "X"})),
            400,
            "missing required",
        ),
        (
            "POST",
            "/crm/locations",
            Some(json!({"LocationName": "X"})),
            400,
            "location without account",
        ),
        (
            "POST",
            "/crm/locations",
            Some(json!({"AccountId": 999_999_999, "LocationName": "X"})),
            404,
            "location of unknown account",
        ),
        (
            "PUT",
            "/crm/contacts/999999999",
            Some(json!({})),
            404,
            "unknown contact",
        ),
        (
            "PUT",
            &contact_path,
            Some(json!({"DefaultEmailTypeId": 999_999_999})),
            400,
            "unknown e-mail type",
        ),
        ("DELETE", &loc_path, None, 400, "location in use"),
        ("PATCH", "/crm/accounts", None, 405, "V1 has no PATCH"),
        ("GET", "/crm/nothing", None, 404, "unknown V1 route"),
    ];
    for (method, path, body, status, what) in table {
        v1_fails(&v1.call(method, path, body).await, status, what);
    }
    let token_errors = [
        (
            &[
                ("grant_type", "password"),
                ("username", "api"),
                ("password", "bad"),
                ("tenant", "acme"),
            ][..],
            "invalid_grant",
        ),
        (
            &[("grant_type", "client_credentials")][..],
            "unsupported_grant_type",
        ),
    ];
    for (pairs, code) in token_errors {
        let body = Body::Raw("application/x-www-form-urlencoded", form(pairs));
        let r = c.raw("POST", "/api/token", body, None).await;
        assert_eq!((r.status, r.body["error"].as_str()), (400, Some(code)));
        assert!(r.body["error_description"].is_string());
    }
    // Each API accepts only its own tokens.
    let r = c
        .raw("GET", "/api/crm/accounts", Body::None, Some(&c.token))
        .await;
    assert_eq!(r.status, 401);
    assert!(r.body["Message"].is_string());
    let r = c
        .raw(
            "GET",
            "/v2/crm/accounts/summary",
            Body::None,
            Some(&v1.token),
        )
        .await;
    assert_fails(&r, 401, "V1 token on V2");

    // Deletes: a contact, then the location it used, then an account with what it holds.
    v1.ok("DELETE", &format!("/crm/contacts/{cid}"), None).await;
    v1.ok("DELETE", &format!("/crm/locations/{}", loc["Id"]), None)
        .await;
    v1.ok("DELETE", &format!("/crm/accounts/{}", made[0]), None)
        .await;
    v1_fails(
        &v1.call("GET", &format!("/crm/locations/{branch}"), None)
            .await,
        404,
        "cascaded",
    );
    let r = v1.ok("GET", "/crm/accounts", None).await;
    assert_eq!(r["TotalRecords"], 4);
}

// ---------------------------------------------------------------------------------------------
// Tickets and notes, as the Pulseway client uses them.

#[rstest]
#[tokio::test]
async fn tickets_and_notes(#[values("bms", "pulseway", "vorex")] psa: &str) {
    let c = Client::start(psa).await;
    let acc = c.create_account("Acme").await;
    let ann = c.create_contact(&acc, "Ann", "Lee", "ann@acme.test").await;
    assert_eq!(
        c.lookup_id("/v2/system/issuetypes/lookup", "Incident")
            .await,
        8
    );
    assert_eq!(
        c.lookup_id("/v2/system/sources/lookup", "Voice Mail").await,
        6
    );
    let subtypes = c
        .ok("GET", "/v2/system/issuetypes/8/issuesubtypes/lookup", None)
        .await;
    assert_eq!(subtypes[0]["name"], "Hardware");
    let new = c.lookup_id("/v2/system/statuses/lookup", "New").await;
    let done = c.lookup_id("/v2/system/statuses/lookup", "Completed").await;
    let high = c.lookup_id("/v2/system/priorities/lookup", "High").await;
    let queue = c
        .lookup_id("/v2/system/queues/lookup", "Service Desk")
        .await;
    let body = |title: &str, open: &str| {
        json!({"AccountId": acc["id"], "Title": title, "Details": "<p>Printer on fire</p>",
               "PriorityId": high, "TypeId": 8, "StatusId": new, "QueueId": queue, "SourceId": 6,
               "OpenDate": open, "ContactId": ann["id"], "LocationId": acc["locations"][0]["id"]})
    };
    let t = c
        .ok(
            "POST",
            "/v2/servicedesk/tickets",
            Some(body("Printer", "2024-01-01T09:00:00Z")),
        )
        .await;
    assert!(t["id"].is_i64());
    assert_eq!(t["ticketNumber"], "T20240101.0001");
    assert_eq!(
        (t["statusName"].as_str(), t["priorityName"].as_str()),
        (Some("New"), Some("High"))
    );
    assert_eq!(
        (t["typeName"].as_str(), t["sourceName"].as_str()),
        (Some("Incident"), Some("Voice Mail"))
    );
    assert_eq!(t["contactName"], "Ann Lee");
    let id = t["id"].as_i64().unwrap();
    c.ok(
        "POST",
        "/v2/servicedesk/tickets",
        Some(body("Laptop", "2024-02-01T09:00:00Z")),
    )
    .await;

    let list = |q: &str| format!("/v2/servicedesk/tickets?PageSize=10&PageNumber=1&{q}");
    let r = c
        .call("GET", &list("Filter.OpenDateFrom=2024-01-15"), None)
        .await;
    assert_eq!(r.body["totalRecords"], 1);
    assert_eq!(r.body["result"][0]["title"], "Laptop");
    let r = c
        .call(
            "GET",
            &list(&format!("Filter.ContactId={}", ann["id"])),
            None,
        )
        .await;
    assert_eq!(r.body["totalRecords"], 2);

    // Completed by a JSON Patch as a browser script sends it; ExcludeCompleted hides it.
    let patched = c
        .ok(
            "PATCH",
            &format!("/v2/servicedesk/tickets/{id}"),
            Some(json!([{"op": "replace", "path": "statusId", "value": done}])),
        )
        .await;
    assert_eq!(patched["statusName"], "Completed");
    let r = c
        .call("GET", &list("Filter.ExcludeCompleted=true"), None)
        .await;
    assert_eq!(r.body["totalRecords"], 1);
    assert_eq!(r.body["result"][0]["title"], "Laptop");

    // Search with a JSON body: paging, sort and filters (arrays as repeated values).
    let searches = [
        (
            json!({"pageSize": 1, "pageNumber": 2, "sort": "title desc", "filter": {"accountId": acc["id"]}}),
            2,
            "Laptop",
        ),
        (
            json!({"pageSize": 5, "filter": {"ids": [id], "title": "print"}}),
            1,
            "Printer",
        ),
    ];
    for (search, total, first) in searches {
        let r = c
            .call("POST", "/v2/servicedesk/tickets/search", Some(search))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["totalRecords"], total);
        assert_eq!(r.body["result"][0]["title"], first);
    }

    // Notes.
    let note = c
        .ok(
            "POST",
            &format!("/v2/servicedesk/tickets/{id}/notes"),
            Some(json!({"Details": "<b>Fixed</b>", "IsInternal": true})),
        )
        .await;
    assert_eq!(note["details"], "<b>Fixed</b>");
    let notes = c
        .ok("GET", &format!("/v2/servicedesk/tickets/{id}/notes"), None)
        .await;
    assert_eq!(notes.as_array().unwrap().len(), 1);
    assert_eq!(notes[0]["isInternal"], true);
    assert_eq!(notes[0]["typeName"], "Internal Note");
    assert_eq!(notes[0]["createdByName"], "API Employee");
    assert!(notes[0]["createdByEmail"].is_string());

    // Errors.
    let mut no_title = body("x", "2024-01-01T00:00:00Z");
    no_title["Title"] = Value::Null;
    let mut bad_type = body("x", "2024-01-01T00:00:00Z");
    bad_type["TypeId"] = json!(999_999);
    let table: Vec<(&str, String, Option<Value>, u16, &str)> = vec![
        (
            "POST",
            "/v2/servicedesk/tickets".into(),
            Some(no_title),
            400,
            "missing title",
        ),
        (
            "POST",
            "/v2/servicedesk/tickets".into(),
            Some(bad_type),
            400,
            "unknown type",
        ),
        (
            "POST",
            "/v2/servicedesk/tickets".into(),
            Some(body("x", "soon")),
            400,
            "bad open date",
        ),
        (
            "POST",
            "/v2/servicedesk/tickets".into(),
            Some(json!({"Title": 5})),
            400,
            "wrong type",
        ),
        (
            "GET",
            "/v2/servicedesk/tickets/999999999".into(),
            None,
            404,
            "unknown ticket",
        ),
        (
            "PUT",
            "/v2/servicedesk/tickets/999999999".into(),
            Some(json!({})),
            404,
            "PUT unknown ticket",
        ),
        (
            "PUT",
            format!("/v2/servicedesk/tickets/{id}"),
            Some(json!({"Title": "x"})),
            400,
            "PUT missing required",
        ),
        (
            "GET",
            "/v2/servicedesk/tickets/999999999/notes".into(),
            None,
            404,
            "notes of unknown ticket",
        ),
        (
            "POST",
            format!("/v2/servicedesk/tickets/{id}/notes"),
            Some(json!({"IsInternal": true})),
            400,
            "note without details",
        ),
        (
            "POST",
            "/v2/servicedesk/tickets/search".into(),
            Some(json!({"filter": 5})),
            400,
            "filter not an object",
        ),
        (
            "GET",
            "/v2/servicedesk/tickets?Filter.ExcludeCompleted=nope".into(),
            None,
            400,
            "bad boolean",
        ),
        (
            "GET",
            "/v2/system/issuetypes/999/issuesubtypes/lookup".into(),
            None,
            404,
            "unknown issue type",
        ),
    ];
    for (method, path, body, status, what) in table {
        assert_fails(&c.call(method, &path, body).await, status, what);
    }
}
