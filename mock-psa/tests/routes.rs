//! `mock-psa routes` and docs/routes.md: the file is what the tables say, and every route it
//! lists is served: on a live mock, each listed method on each listed path is routed (never
//! 405, never the dialect's "no such route"), with the dialect's auth.

mod support;

use mock_psa::{routes, Dialect, Personality};
use std::path::PathBuf;

#[test]
fn docs_routes_md_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/routes.md");
    let want = routes::markdown();
    if std::env::var_os("UPDATE_ROUTES").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/routes.md is stale: run UPDATE_ROUTES=1 cargo test -p mock-psa --test routes"
    );
}

/// Signs a request the way the dialect wants.
async fn authed(
    http: &reqwest::Client,
    p: Personality,
    origin: &str,
    method: &str,
    path: &str,
    token: &str,
) -> reqwest::RequestBuilder {
    let c = p.default_credentials();
    let req = http.request(method.parse().unwrap(), format!("{origin}{path}"));
    let req = match p.dialect() {
        Dialect::ConnectWise => req
            .basic_auth(format!("{}+{}", c.company, c.user), Some(&c.secret))
            .header("clientId", "routes-test"),
        Dialect::Autotask => req
            .header("UserName", &c.user)
            .header("Secret", &c.secret)
            .header("ApiIntegrationCode", &c.integration_code),
        Dialect::BmsV2 => req.bearer_auth(token),
    };
    if method == "GET" || method == "DELETE" {
        req
    } else {
        req.header("content-type", "application/json").body("{}")
    }
}

#[tokio::test]
async fn every_listed_route_is_served() {
    for p in [
        Personality::Connectwise,
        Personality::Autotask,
        Personality::Bms,
    ] {
        let (server, http) = support::start(p).await;
        let origin = server.origin();
        let c = p.default_credentials();
        let v1_token = if p.dialect() == Dialect::BmsV2 {
            let form = [
                ("grant_type", "password"),
                ("tenant", c.company.as_str()),
                ("username", c.user.as_str()),
                ("password", c.secret.as_str()),
            ];
            let r = http
                .post(format!("{origin}/api/token"))
                .form(&form)
                .send()
                .await
                .unwrap();
            let (status, body) = support::reply(r).await;
            assert_eq!(status, 200, "{body}");
            body["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        } else {
            String::new()
        };
        let token = if p.dialect() == Dialect::BmsV2 {
            let form = [
                ("GrantType", "password"),
                ("Tenant", c.company.as_str()),
                ("UserName", c.user.as_str()),
                ("Password", c.secret.as_str()),
            ];
            let r = http
                .post(format!("{origin}/v2/security/authenticate"))
                .form(&form)
                .send()
                .await
                .unwrap();
            let (status, body) = support::reply(r).await;
            assert_eq!(status, 200, "{body}");
            body["result"]["accessToken"].as_str().unwrap().to_string()
        } else {
            String::new()
        };
        let table = routes::table(p.dialect());
        assert!(table.len() > 20, "{p:?}: {} routes", table.len());
        for r in &table {
            // Parameters become a company name or id 1 (a missing record is still routed).
            let path = r
                .path
                .replace("{company}", &c.company)
                .split('/')
                .map(|s| if s.starts_with('{') { "1" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            if path.ends_with("/security/authenticate") || path.ends_with("/api/token") {
                continue; // logins, exercised above and by the BMS contract tests
            }
            let token = if path.starts_with("/api/") {
                &v1_token
            } else {
                &token
            };
            let resp = authed(&http, p, &origin, r.method, &path, token)
                .await
                .send()
                .await
                .unwrap();
            let (status, body) = support::reply(resp).await;
            let text = body.to_string().to_ascii_lowercase();
            assert!(
                status != 405 && !(status == 404 && text.contains("route")),
                "{p:?} {} {path}: {status} {body}",
                r.method
            );
            assert!(
                status != 401,
                "{p:?} {} {path}: auth refused: {body}",
                r.method
            );
        }
    }
}
