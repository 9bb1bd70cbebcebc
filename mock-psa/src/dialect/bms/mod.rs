//! The BMS V2 dialect: Kaseya BMS, Pulseway PSA and Vorex PSA share this engine; the
//! personality picks the brand and the id plan of the seed, the settings the rest (page
//! size, token lifetime, quota, the BMS contact rule, how errors and `summary/{id}` look).
//!
//! Wire rules (see `shared/reference/bms-pulseway-vorex.md`): every V2 answer is
//! `{success, error, result}` (paged lists add `totalRecords`), output is camelCase, JSON
//! input is read case-insensitively, bearer tokens come from `/v2/security/authenticate`.
//! The legacy V1 API (`/api/token`, OData lists, PascalCase envelope) serves accounts,
//! contacts and locations; the reference client needs it because V2 cannot write a location
//! once its account exists.
//!
//! Layout: `wire` (envelopes, input, forms, query), `listing` (filters, sort, paging),
//! `routes` (dispatch and handler helpers), one module per resource, `v1`, `neutral`.

mod accounts;
mod assets;
mod auth;
mod contacts;
mod listing;
mod lookups;
mod model;
mod neutral;
mod routes;
mod schema;
mod tickets;
mod v1;
mod view;
mod wire;

use super::{DialectApi, NeutralKind, NeutralView, PsaRequest, Reply, Routed};
use crate::personality::Personality;
use crate::state::{AppState, MockState, Settings, World};
use crate::store::{Record, Store};
use axum::response::Response;
use http::request::Parts;
use http::StatusCode;
use model::{ACCOUNTS, ASSETS, CONTACTS, LOCATIONS, NULLS_LEFT_OUT, TICKETS};
use serde_json::{Map, Value};
use wire::{Api, ApiErr};

pub struct BmsV2;

/// Routes that need no bearer token.
const PUBLIC: &[&str] = &[
    "/v2/security/authenticate",
    "/v2/security/refreshtoken",
    "/api/token",
];

/// Every route of the dialect's own tables (`routes.rs`): method, full path, and whether it is
/// public (no bearer token), for `mock-psa routes` and docs/routes.md.
pub fn route_table() -> Vec<(&'static str, String, bool)> {
    routes::tables()
        .flat_map(|(prefix, table)| {
            table.iter().map(move |r| {
                let path = format!("{prefix}/{}", r.pattern);
                let public = PUBLIC.contains(&path.to_ascii_lowercase().as_str());
                (r.method, path, public)
            })
        })
        .collect()
}

impl DialectApi for BmsV2 {
    fn handle(&self, state: AppState, req: PsaRequest) -> Reply {
        // One handler matches paths itself: it needs the route template for the quota and
        // answers 404/405 in the envelope of the API the path belongs to.
        Box::pin(routes::handle(state, req))
    }

    fn route(&self, path: &str, origin: &str) -> Option<Routed> {
        let mut p = path.to_ascii_lowercase();
        while p.len() > 1 && p.ends_with('/') {
            p.pop();
        }
        let prefix = ["/v2", "/api"]
            .into_iter()
            .find(|pre| p == *pre || p.starts_with(&format!("{pre}/")))?;
        Some(Routed {
            public: PUBLIC.contains(&p.as_str()),
            api_base: [origin, prefix].concat(),
            path: p,
        })
    }

    fn authenticate(
        &self,
        state: &MockState,
        _settings: &Settings,
        parts: &Parts,
        routed: &Routed,
    ) -> Result<(), Response> {
        let api = if routed.path.starts_with("/api") {
            Api::V1
        } else {
            Api::V2
        };
        auth::check_bearer(state, parts, api).map_err(|m| auth::denied(api, m))
    }

    fn error(&self, status: StatusCode, message: &str) -> Response {
        Api::V2.error(&ApiErr::new(status, message))
    }

    fn error_at(&self, path: &str, status: StatusCode, message: &str) -> Response {
        let v1 = path == "/api" || path.starts_with("/api/");
        let api = if v1 { Api::V1 } else { Api::V2 };
        api.error(&ApiErr::new(status, message))
    }

    fn seed_defaults(&self, world: &mut World, personality: Personality) {
        lookups::seed(world, personality);
    }

    /// Rows built by a create are stored without their nulls (`model::schema_members`); the
    /// snapshot shows them as they always read, every schema member present.
    fn native_row(&self, table: &str, rec: &Record) -> Record {
        with_nulls(table, rec)
    }

    fn entity_tables(&self) -> &'static [&'static str] {
        &[ACCOUNTS, LOCATIONS, CONTACTS, ASSETS, TICKETS]
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

/// `rec` of `table` as the creates stored it before nulls were left out: its leading members,
/// every member of its schemas in schema order (null where the row leaves it out), then the rest
/// in stored order. Rows without the [`NULLS_LEFT_OUT`] mark (seeded natively, stored as given)
/// are shown as stored.
fn with_nulls(table: &str, rec: &Record) -> Record {
    fn ordered(r: &Record, lead: &[&str], schemas: &[&wire::Schema]) -> Record {
        if !r.contains_key(NULLS_LEFT_OUT) {
            return r.clone();
        }
        model::with_schema_nulls(r, lead, schemas)
    }
    match table {
        ACCOUNTS => ordered(rec, &[], &[accounts::account_schema()]),
        ASSETS => ordered(rec, &[], &[assets::asset_schema()]),
        CONTACTS => ordered(
            rec,
            &[],
            &[contacts::contact_schema(), contacts::create_schema()],
        ),
        TICKETS => ordered(rec, &["ticketNumber"], &[tickets::ticket_schema()]),
        LOCATIONS => {
            let mut out = rec.clone();
            if let Some(Value::Array(addresses)) = out.get_mut("addresses") {
                for a in addresses.iter_mut() {
                    if let Value::Object(o) = a {
                        *o = ordered(o, &["id"], &[accounts::address_schema()]);
                    }
                }
            }
            out
        }
        _ => rec.clone(),
    }
}
