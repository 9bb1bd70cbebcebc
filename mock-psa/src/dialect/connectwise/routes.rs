//! The route table and the path rules (`/{codebase}/apis/3.0/...`, case-insensitive).

#![allow(clippy::result_large_err)]

use super::companies::{COMPANIES, SITES};
use super::configurations::CONFIGURATIONS;
use super::contacts::{communications, COMMUNICATIONS_ROUTE, CONTACTS};
use super::lookups::*;
use super::records::{create, get_one, list, patch, remove, replace};
use super::schema::Resource;
use super::tickets::{BOARD_STATUSES, TICKETS};
use super::wire::{company_info, envelope, system_info};
use super::*;

/// Every collection: route (lower case, under the API base) and its resource.
pub(super) const COLLECTIONS: &[(&str, &Resource)] = &[
    ("/company/companies", &COMPANIES),
    ("/company/companies/types", &COMPANY_TYPES),
    ("/company/companies/statuses", &COMPANY_STATUSES),
    ("/company/companies/{pid}/sites", &SITES),
    ("/company/contacts", &CONTACTS),
    ("/company/contacts/types", &CONTACT_TYPES),
    ("/company/communicationtypes", &COMMUNICATION_TYPES),
    ("/company/configurations", &CONFIGURATIONS),
    ("/company/configurations/types", &CONFIGURATION_TYPES),
    ("/company/configurations/statuses", &CONFIGURATION_STATUSES),
    ("/procurement/manufacturers", &MANUFACTURERS),
    ("/company/countries", &COUNTRIES),
    ("/service/boards", &BOARDS),
    ("/service/boards/{pid}/statuses", &BOARD_STATUSES),
    ("/service/priorities", &PRIORITIES),
    ("/service/tickets", &TICKETS),
];

/// One row of the route table: the methods a path answers, its template under the API base
/// (`/{codebase}/apis/3.0`; matched ignoring case) and the schema type it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    pub methods: &'static [&'static str],
    pub path: String,
    pub type_name: &'static str,
}

/// Every route the ConnectWise dialect answers, in the order the router is built (for a
/// listing such as `mock-psa routes`, and for tests that walk the served types).
pub fn route_table() -> Vec<RouteEntry> {
    let mut rows = vec![
        RouteEntry {
            methods: &["GET"],
            path: "/system/info".into(),
            type_name: "SystemInfo",
        },
        RouteEntry {
            methods: &["GET"],
            path: "/login/companyinfo/{company}".into(),
            type_name: "CompanyInfo",
        },
    ];
    let mut push = |path: &str, type_name: &'static str| {
        rows.push(RouteEntry {
            methods: &["GET", "POST"],
            path: path.to_string(),
            type_name,
        });
        rows.push(RouteEntry {
            methods: &["GET"],
            path: format!("{path}/count"),
            type_name: "Count",
        });
        rows.push(RouteEntry {
            methods: &["GET", "PUT", "PATCH", "DELETE"],
            path: format!("{path}/{{id}}"),
            type_name,
        });
    };
    for (route, res) in COLLECTIONS {
        push(route, res.type_name);
    }
    push(COMMUNICATIONS_ROUTE, "ContactCommunication");
    rows
}

pub(super) fn collection(
    router: Router<AppState>,
    route: &'static str,
    res: &'static Resource,
) -> Router<AppState> {
    let item = format!("{route}/{{id}}");
    let count = format!("{route}/count");
    router
        .route(
            route,
            get(move |s, c, p, h, q| list(s, c, p, h, q, res, false, route))
                .post(move |s, c, p, b| create(s, c, p, b, res)),
        )
        .route(
            &count,
            get(move |s, c, p, h, q| list(s, c, p, h, q, res, true, route)),
        )
        .route(
            &item,
            get(move |s, c, p, q| get_one(s, c, p, q, res))
                .put(move |s, c, p, b| replace(s, c, p, b, res))
                .patch(move |s, c, p, b| patch(s, c, p, b, res))
                .delete(move |s, p| remove(s, p, res)),
        )
}

pub(super) fn router() -> Router<AppState> {
    let mut r = Router::new()
        .route("/system/info", get(system_info))
        .route("/login/companyinfo/{company}", get(company_info));
    for (route, res) in COLLECTIONS {
        r = collection(r, route, res);
    }
    r = communications(r);
    r.fallback(|| async {
        envelope(
            StatusCode::NOT_FOUND,
            "NotFound",
            "The requested resource was not found.",
            Value::Null,
        )
    })
}

pub(super) fn route(path: &str, origin: &str) -> Option<Routed> {
    const COMPANY_INFO: &str = "/login/companyinfo/";
    let trimmed = path.trim_end_matches('/');
    let lower = |prefix: &str, rest: &str| {
        let mut p = String::with_capacity(prefix.len() + rest.len());
        p.push_str(prefix);
        p.push_str(rest);
        p.make_ascii_lowercase();
        p
    };
    if let Some(head) = trimmed.get(..COMPANY_INFO.len()) {
        let rest = &trimmed[COMPANY_INFO.len()..];
        if head.eq_ignore_ascii_case(COMPANY_INFO) && !rest.is_empty() {
            return Some(Routed {
                path: lower(COMPANY_INFO, rest),
                api_base: origin.to_string(),
                public: true,
            });
        }
    }
    // `/{codebase}/apis/3.0/...` for any codebase segment.
    let mut segs = trimmed.strip_prefix('/')?.splitn(4, '/');
    let (codebase, apis, version, rest) = (segs.next()?, segs.next()?, segs.next()?, segs.next()?);
    if !apis.eq_ignore_ascii_case("apis") || version != "3.0" || rest.is_empty() {
        return None;
    }
    Some(Routed {
        path: lower("/", rest),
        api_base: format!("{origin}/{codebase}/apis/3.0"),
        public: false,
    })
}
