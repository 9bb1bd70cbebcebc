//! The route table and the path rules (`/{codebase}/apis/3.0/...`, case-insensitive).

#![allow(clippy::result_large_err)]

use super::companies::{COMPANIES, SITES};
use super::configurations::CONFIGURATIONS;
use super::contacts::{
    comm_create, comm_get, comm_list, comm_write, COMMUNICATIONS_ROUTE, CONTACTS,
};
use super::lookups::*;
use super::records::{create, get_one, list, patch, remove, replace};
use super::schema::Resource;
use super::tickets::{BOARD_STATUSES, TICKETS};
use super::wire::{company_info, envelope, error, system_info};
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

/// Which part of a collection a template names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Collection,
    Count,
    Item,
}

impl Form {
    fn methods(self) -> &'static [&'static str] {
        match self {
            Form::Collection => &["GET", "POST"],
            Form::Count => &["GET"],
            Form::Item => &["GET", "PUT", "PATCH", "DELETE"],
        }
    }
}

/// A matched route's parameters (`id`, `pid`, `company`), decoded; at most two, so a list.
pub(crate) struct Params(Vec<(&'static str, String)>);

impl Params {
    pub(crate) fn get(&self, key: &str) -> Option<&String> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

/// What a route template is answered by.
#[derive(Clone, Copy)]
enum Handler {
    SystemInfo,
    CompanyInfo,
    Records(&'static str, &'static Resource, Form),
    Communications(Form),
}

impl Handler {
    fn methods(self) -> &'static [&'static str] {
        match self {
            Handler::SystemInfo | Handler::CompanyInfo => &["GET"],
            Handler::Records(_, _, form) | Handler::Communications(form) => form.methods(),
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Handler::SystemInfo => "SystemInfo",
            Handler::CompanyInfo => "CompanyInfo",
            Handler::Records(_, _, Form::Count) | Handler::Communications(Form::Count) => "Count",
            Handler::Records(_, res, _) => res.type_name,
            Handler::Communications(_) => "ContactCommunication",
        }
    }

    /// Whether the handler answers `method` (`HEAD` wherever `GET` is, as before).
    fn allows(self, method: &http::Method) -> bool {
        let m = if method == http::Method::HEAD {
            "GET"
        } else {
            method.as_str()
        };
        self.methods().contains(&m)
    }

    /// The `Allow` header of a 405: the methods, `HEAD` after `GET`.
    fn allow_header(self) -> String {
        let mut out = Vec::new();
        for m in self.methods() {
            out.push(*m);
            if *m == "GET" {
                out.push("HEAD");
            }
        }
        out.join(",")
    }
}

/// Every template and its handler, in table order: the one list both the router and
/// [`route_table`] are made from.
fn templates() -> Vec<(String, Handler)> {
    let mut rows = vec![
        ("/system/info".to_string(), Handler::SystemInfo),
        (
            "/login/companyinfo/{company}".to_string(),
            Handler::CompanyInfo,
        ),
    ];
    let mut push = |route: &str, handler: &dyn Fn(Form) -> Handler| {
        rows.push((route.to_string(), handler(Form::Collection)));
        rows.push((format!("{route}/count"), handler(Form::Count)));
        rows.push((format!("{route}/{{id}}"), handler(Form::Item)));
    };
    for (route, res) in COLLECTIONS {
        push(route, &|form| Handler::Records(route, res, form));
    }
    push(COMMUNICATIONS_ROUTE, &Handler::Communications);
    rows
}

/// Every route the ConnectWise dialect answers, in table order (for a listing such as
/// `mock-psa routes`, and for tests that walk the served types).
pub fn route_table() -> Vec<RouteEntry> {
    templates()
        .into_iter()
        .map(|(path, h)| RouteEntry {
            methods: h.methods(),
            path,
            type_name: h.type_name(),
        })
        .collect()
}

/// The templates in a path tree (static segments before parameters, as in any web framework:
/// `/company/companies/types` is the types list, not company `types`).
static ROUTER: std::sync::LazyLock<matchit::Router<Handler>> = std::sync::LazyLock::new(|| {
    let mut router = matchit::Router::new();
    for (path, handler) in templates() {
        router
            .insert(path, handler)
            .expect("the route table has no conflicting templates");
    }
    router
});

/// Answers a routed request: one lookup in the route tree, then the handler with the
/// request's parts. Every ConnectWise handler answers at once (nothing to wait on).
pub(super) fn handle(state: AppState, req: PsaRequest) -> Response {
    let PsaRequest {
        parts,
        path,
        body,
        ctx,
    } = req;
    let Ok(found) = ROUTER.at(&path) else {
        return envelope(
            StatusCode::NOT_FOUND,
            "NotFound",
            "The requested resource was not found.",
            Value::Null,
        );
    };
    let handler = *found.value;
    let method = parts.method;
    if !handler.allows(&method) {
        let message = format!("The requested resource does not support http method '{method}'.");
        let mut resp = error(StatusCode::METHOD_NOT_ALLOWED, &message);
        if let Ok(allow) = http::HeaderValue::from_str(&handler.allow_header()) {
            resp.headers_mut().insert(http::header::ALLOW, allow);
        }
        return resp;
    }
    // Parameters percent-decoded, as a web framework's path extractor hands them on.
    let mut params = Params(Vec::with_capacity(found.params.len()));
    for (key, raw) in found.params.iter() {
        match percent_encoding::percent_decode_str(raw).decode_utf8() {
            Ok(v) => params.0.push((key, v.into_owned())),
            Err(_) => {
                // axum's wording, which this route tree took over.
                let message = format!("Invalid URL: Invalid UTF-8 in `{key}`");
                return error(StatusCode::BAD_REQUEST, &message);
            }
        };
    }
    let (s, c, p) = (state, ctx, params);
    let query = parts.uri.query();
    let is_get = method == http::Method::GET || method == http::Method::HEAD;
    match handler {
        Handler::SystemInfo => system_info().into_response(),
        Handler::CompanyInfo => {
            let company = p.get("company").cloned().unwrap_or_default();
            company_info(c, company)
        }
        Handler::Records(route, res, form) => match (form, method.as_str()) {
            (Form::Count, _) => list(s, c, p, &parts.headers, query, res, true, route),
            (Form::Collection, _) if is_get => {
                list(s, c, p, &parts.headers, query, res, false, route)
            }
            (Form::Collection, _) => create(s, c, p, body, res),
            (Form::Item, _) if is_get => get_one(s, c, p, query, res),
            (Form::Item, "PUT") => replace(s, c, p, body, res),
            (Form::Item, "PATCH") => patch(s, c, p, body, res),
            (Form::Item, _) => remove(s, p, res),
        },
        Handler::Communications(form) => match form {
            Form::Count => comm_list(s, c, p, query, true),
            Form::Collection if is_get => comm_list(s, c, p, query, false),
            Form::Collection => comm_create(s, c, p, body),
            Form::Item if is_get => comm_get(s, c, p),
            Form::Item => comm_write(s, c, p, method, body),
        },
    }
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
        api_base: [origin, "/", codebase, "/apis/3.0"].concat(),
        public: false,
    })
}
