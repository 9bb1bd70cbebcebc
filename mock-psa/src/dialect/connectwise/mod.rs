//! ConnectWise Manage REST 3.0: `/{codebase}/apis/3.0/...`, Basic auth `company+public:private`
//! plus `clientId`, camelCase with nulls omitted, references rendered `{id, name, _info}`,
//! strict request bodies, `conditions`, navigable and forward-only paging.
//!
//! Resources are data ([`schema::Resource`]); one set of generic handlers serves them all.
//!
//! Layout, bottom up (each module imports only the ones above it):
//! `conditions` (the query language), `schema` (what a resource is; its members, types,
//! limits, defaults and reference targets are data in `schema.json`, from the published API
//! description), `wire` (auth, errors, envelopes, PATCH operations, system info), `refs`
//! (references in and out), `input` (the schema-driven input engine), `listing` (query
//! parameters, filters, `fields`, `orderBy` keys), the resource families `lookups`,
//! `companies` (companies and sites), `contacts` (contacts and their communication items),
//! `configurations`, `tickets`; `records` (the generic handlers), `routes` (the route table and
//! the path rules), `neutral` (seed and snapshot view).

// Handlers answer errors as ready `Response`s (the dialect's own envelope); boxing them would
// only add noise on a path that is never hot.
#![allow(clippy::result_large_err)]

mod companies;
pub mod conditions;
mod configurations;
mod contacts;
mod input;
mod listing;
mod lookups;
mod neutral;
mod records;
mod refs;
mod routes;
mod schema;
mod tickets;
mod wire;

use super::*;
use crate::personality::Personality;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use bytes::Bytes;
pub(crate) use routes::Params;
use serde_json::json;

pub use routes::{route_table, RouteEntry};

pub struct ConnectWise;

impl DialectApi for ConnectWise {
    fn handle(&self, state: AppState, req: PsaRequest) -> Reply {
        Box::pin(std::future::ready(routes::handle(state, req)))
    }

    fn route(&self, path: &str, origin: &str) -> Option<Routed> {
        routes::route(path, origin)
    }

    fn authenticate(
        &self,
        state: &MockState,
        settings: &Settings,
        parts: &Parts,
        routed: &Routed,
    ) -> Result<(), Response> {
        wire::authenticate(state, settings, parts, routed)
    }

    fn error(&self, status: StatusCode, message: &str) -> Response {
        wire::error(status, message)
    }

    fn seed_defaults(&self, world: &mut World, personality: Personality) {
        neutral::seed_defaults(world, personality)
    }

    fn entity_tables(&self) -> &'static [&'static str] {
        neutral::entity_tables()
    }

    fn neutral_create(
        &self,
        world: &mut World,
        kind: NeutralKind,
        fields: &Map<String, Value>,
    ) -> Result<i64, String> {
        neutral::neutral_create(world, kind, fields)
    }

    fn neutral_update(
        &self,
        world: &mut World,
        kind: NeutralKind,
        id: i64,
        fields: &Map<String, Value>,
    ) -> Result<(), String> {
        neutral::neutral_update(world, kind, id, fields)
    }

    fn neutral_delete(&self, world: &mut World, kind: NeutralKind, id: i64) -> Result<(), String> {
        neutral::neutral_delete(world, kind, id)
    }

    fn neutral_view(&self, store: &Store) -> NeutralView {
        neutral::neutral_view(store)
    }
}
