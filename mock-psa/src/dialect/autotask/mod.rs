//! Autotask PSA REST V1.0 (`/ATServicesRest/V1.0/`): zone lookup, header credentials, the
//! `{"item"}` / `{"items","pageDetails"}` envelopes, JSON filter queries with id-ordered paging,
//! child write routes under `Companies/{id}` and `Tickets/{id}/Attachments`, entityInformation
//! metadata, and `{"errors":[...]}` with status 500 for business errors. Every member of every
//! entity comes from `schema.json` (the published Swagger description's models); the choices
//! made where it is silent are in docs/decisions.md. Facts: /work/shared/reference/autotask.md.
//!
//! Choices where the reference is silent (documented for the lead):
//! - Resources mark an API-only user with `licenseType` 7 ("API User"); such a resource cannot
//!   own a company (rule R6).
//! - A new company gets a primary location named `"<companyName> - Main"`, with the company's
//!   address and phone copied onto it.
//! - Required string fields must be non-empty, except Company `phone`, where `""` is accepted
//!   (the sync sends `""` when it has no phone).
//! - Contact `nameSuffix` is an integer picklist (`name_suffixes`); the neutral `suffix` is its label,
//!   and an unknown label is added to the picklist (as an administrator would).
//! - String filter comparisons ignore case (SQL Server's default collation); a null value never
//!   matches any operator except `notExist`. Unknown operators are ignored (match everything).
//! - MaxRecords outside 1..=500 is clamped; a query of more than 500 conditions is refused. The child list `GET Companies/{id}/Contacts` answers
//!   every row in one page.
//! - Malformed JSON and values of the wrong type answer 500 `{"errors":[...]}` like other
//!   business errors. Deleting a company's primary location is refused.
//! - Neutral company delete (a user deleting in the UI) removes its locations, contacts and
//!   configuration items too. The neutral `mac_address` has no Autotask field and is ignored.
//!
//! Layout: `wire` (error bodies, zone lookup, credentials, impersonation, the request
//! threshold), `routes` (the route table and dispatch), `filter` (the query language),
//! `listing` (rendering and paging), `schema` (the entity models read from `schema.json`:
//! types, lengths, flags, picklists, references, defaults, system stamps), `values` (coercion to a
//! member's type), `writes` (create, update, delete), one module per resource family
//! (`companies` with their locations, `contacts`, `configuration` with products, `tickets`),
//! `info` (entityInformation), `seed` and `neutral` (the neutral vocabulary and view).

// Handlers answer errors as ready `Response`s (the dialect's own body); boxing them would only
// add noise on a path that is never hot.
#![allow(clippy::result_large_err)]

mod companies;
mod configuration;
mod contacts;
mod filter;
mod info;
mod listing;
mod neutral;
mod routes;
mod schema;
mod seed;
mod tickets;
mod udf;
mod values;
mod wire;
mod writes;

use super::*;
pub use routes::{route_table, RouteEntry};
use schema::*;

pub struct Autotask;

impl DialectApi for Autotask {
    fn handle(&self, state: AppState, req: PsaRequest) -> Reply {
        // Paths arrive lower-cased without the API prefix; the entity segment is data.
        Box::pin(routes::handle(state, req))
    }

    fn route(&self, path: &str, origin: &str) -> Option<Routed> {
        let lower = path.to_ascii_lowercase();
        let lower = lower.trim_end_matches('/');
        if lower == "/atservicesrest/versioninformation" {
            return Some(Routed {
                path: "/versioninformation".into(),
                api_base: [origin, "/ATServicesRest/V1.0"].concat(),
                public: true,
            });
        }
        let rest = lower.strip_prefix("/atservicesrest/v1.0/")?;
        if rest.is_empty() {
            return None;
        }
        Some(Routed {
            path: format!("/{rest}"),
            api_base: [origin, "/ATServicesRest/V1.0"].concat(),
            public: rest == "zoneinformation",
        })
    }

    fn authenticate(
        &self,
        state: &MockState,
        settings: &Settings,
        parts: &Parts,
        _routed: &Routed,
    ) -> Result<(), Response> {
        let creds = &settings.credentials;
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .unwrap_or("")
        };
        if header("apiintegrationcode") != creds.integration_code {
            return Err(wire::fail("IntegrationCode is invalid."));
        }
        if !header("username").eq_ignore_ascii_case(&creds.user) {
            return Err(wire::fail("Zone information could not be determined"));
        }
        if header("secret") != creds.secret {
            return Err(self.error(StatusCode::UNAUTHORIZED, "Authentication failed"));
        }
        wire::throttle(state, settings)
    }

    fn error(&self, status: StatusCode, message: &str) -> Response {
        wire::error(status, message)
    }

    fn seed_defaults(&self, world: &mut World, _personality: Personality) {
        seed::seed(world);
    }

    fn entity_tables(&self) -> &'static [&'static str] {
        &[COMPANIES, LOCATIONS, CONTACTS, CIS, PRODUCTS, TICKETS]
    }

    fn neutral_create(
        &self,
        world: &mut World,
        kind: NeutralKind,
        fields: &Map<String, Value>,
    ) -> Result<i64, String> {
        neutral::create(world, kind, fields)
    }

    fn neutral_update(
        &self,
        world: &mut World,
        kind: NeutralKind,
        id: i64,
        fields: &Map<String, Value>,
    ) -> Result<(), String> {
        neutral::update(world, kind, id, fields)
    }

    fn neutral_delete(&self, world: &mut World, kind: NeutralKind, id: i64) -> Result<(), String> {
        neutral::delete(world, kind, id)
    }

    fn neutral_view(&self, store: &Store) -> NeutralView {
        neutral::view(store)
    }
}
