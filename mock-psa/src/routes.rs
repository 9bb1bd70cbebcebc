//! Every route of each dialect, with its method and auth, read from the dialects' own tables
//! (`route_table()` of each dialect): `mock-psa routes` and
//! docs/routes.md (kept current by a test).

use crate::dialect::{autotask, bms, connectwise};
use crate::Dialect;

/// One route: method, full path from the origin (`{x}` is a parameter), how it authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: String,
    pub auth: &'static str,
}

const CW_API: &str = "/v4_6_release/apis/3.0";
const CW_AUTH: &str = "Basic company+public:private, clientId header";
const AT_API: &str = "/ATServicesRest/V1.0";
const AT_AUTH: &str = "UserName, Secret, ApiIntegrationCode headers";
const BMS_AUTH: &str = "Bearer token (POST /v2/security/authenticate)";
const BMS_V1_AUTH: &str = "Bearer token (POST /api/token)";
const PUBLIC: &str = "none";

pub fn table(dialect: Dialect) -> Vec<RouteInfo> {
    let mut out = Vec::new();
    let mut add = |methods: &[&'static str], path: String, auth: &'static str| {
        for m in methods {
            out.push(RouteInfo {
                method: m,
                path: path.clone(),
                auth,
            });
        }
    };
    match dialect {
        Dialect::ConnectWise => {
            for route in connectwise::route_table() {
                // Company info is looked up at the origin, before a client knows its API root.
                let (path, auth) = match route.path.starts_with("/login/") {
                    true => (route.path, PUBLIC),
                    false => (format!("{CW_API}{}", route.path), CW_AUTH),
                };
                add(route.methods, path, auth);
            }
        }
        Dialect::Autotask => {
            for route in autotask::route_table() {
                let (path, auth) = match route.path.as_str() {
                    // The version list sits above any version's root.
                    "/versionInformation" => (format!("/ATServicesRest{}", route.path), PUBLIC),
                    "/zoneInformation" => (format!("{AT_API}{}", route.path), PUBLIC),
                    _ => (format!("{AT_API}{}", route.path), AT_AUTH),
                };
                add(&route.methods, path, auth);
            }
        }
        Dialect::BmsV2 => {
            for (method, path, public) in bms::route_table() {
                let auth = match (public, path.starts_with("/api/")) {
                    (true, _) => PUBLIC,
                    (false, true) => BMS_V1_AUTH,
                    (false, false) => BMS_AUTH,
                };
                add(&[method], path, auth);
            }
        }
    }
    out
}

/// The table as aligned text (`mock-psa routes`).
pub fn text(dialect: Dialect) -> String {
    let rows = table(dialect);
    let width = rows.iter().map(|r| r.path.len()).max().unwrap_or(0);
    rows.iter()
        .map(|r| format!("{:<7} {:<width$}  {}\n", r.method, r.path, r.auth))
        .collect()
}

/// docs/routes.md.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Routes of each dialect\n\n\
         Generated from the dialects' route tables by `mock-psa routes`; a test keeps this file \
         current (`UPDATE_ROUTES=1 cargo test -p mock-psa --test routes` rewrites it). Paths are \
         matched without regard to case; `{x}` is a parameter. Every personality also serves the \
         admin API under `/__admin/` (README).\n",
    );
    for (dialect, title) in [
        (Dialect::ConnectWise, "ConnectWise Manage (`connectwise`)"),
        (Dialect::Autotask, "Autotask (`autotask`)"),
        (
            Dialect::BmsV2,
            "Kaseya BMS, Pulseway PSA, Vorex PSA (`bms`, `pulseway`, `vorex`)",
        ),
    ] {
        out.push_str(&format!(
            "\n## {title}\n\n| method | path | auth |\n|---|---|---|\n"
        ));
        for r in table(dialect) {
            out.push_str(&format!("| {} | `{}` | {} |\n", r.method, r.path, r.auth));
        }
    }
    out
}
