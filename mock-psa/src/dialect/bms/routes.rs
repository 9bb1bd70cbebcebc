//! Dispatch: one route table per API drives matching, 404 versus 405, the quota's route
//! template and the error format; handlers share [`Ctx`] helpers for the usual shapes
//! (read an id, read a body, write under the lock, answer with the saved record).

use super::listing::{v2_list, ListSpec, Rows, Scope};
use super::model::{save, Entity};
use super::view::View;
use super::wire::{
    apply_patch, apply_put, check, json_array, json_object, path_id, read_schema, v2_envelope, Api,
    ApiErr, Put, Query, Schema, R,
};
use super::{accounts, assets, auth, contacts, lookups, tickets, v1};
use crate::dialect::PsaRequest;
use crate::render_cache::{push_array, total_len};
use crate::state::{AppState, Settings, World};
use crate::store::{Record, Store};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{Map, Value};
use std::sync::MutexGuard;

pub type Handler = fn(&Ctx<'_>) -> R<Response>;

/// One route: method, path pattern below the API prefix (`{x}` is a parameter), handler.
pub struct Route {
    pub method: &'static str,
    pub pattern: &'static str,
    pub handler: Handler,
}

pub const fn route(method: &'static str, pattern: &'static str, handler: Handler) -> Route {
    Route {
        method,
        pattern,
        handler,
    }
}

/// V2 routes, literal paths before parameterised ones where they overlap.
const V2: &[&[Route]] = &[
    auth::ROUTES,
    accounts::ROUTES,
    contacts::ROUTES,
    assets::ROUTES,
    tickets::ROUTES,
    lookups::ROUTES,
];
const V1: &[&[Route]] = &[v1::ROUTES];

/// The tables with their path prefixes, for listing.
pub fn tables() -> impl Iterator<Item = (&'static str, &'static [Route])> {
    let v2 = V2.iter().map(|t| ("/v2", *t));
    v2.chain(V1.iter().map(|t| ("/api", *t)))
}

/// Everything a handler gets.
pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub settings: std::sync::Arc<Settings>,
    pub api: Api,
    pub params: Vec<&'a str>,
    pub query: Query,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl<'a> Ctx<'a> {
    /// The same call with other query parameters (a search body read as a query).
    pub fn with_query(&self, query: Query) -> Ctx<'a> {
        Ctx {
            state: self.state,
            settings: self.settings.clone(),
            api: self.api,
            params: self.params.clone(),
            query,
            headers: self.headers,
            body: self.body,
        }
    }

    pub fn world(&self) -> MutexGuard<'_, World> {
        self.state.world()
    }

    /// Path parameter `i` as the id of a `what`.
    pub fn id(&self, i: usize, what: &str) -> R<i64> {
        path_id(self.params.get(i).copied().unwrap_or(""), what)
    }

    pub fn object(&self) -> R<Map<String, Value>> {
        json_object(self.headers, self.body)
    }

    pub fn ops(&self) -> R<Vec<Value>> {
        json_array(self.headers, self.body)
    }

    pub fn ok(&self, result: impl serde::Serialize) -> Response {
        self.api.ok(result, None)
    }

    /// The record `id` of `e`, projected.
    pub fn show(&self, e: &Entity, id: i64) -> R<Response> {
        let mut guard = self.world();
        let w = &mut *guard;
        if self.api == Api::V2 {
            e.exists(&w.store, id)?;
            let bytes = View::cached_bytes(&mut w.renders, &w.store, e.table, e.dto, id);
            drop(guard);
            return Ok(v2_envelope(bytes.len(), None, |out| {
                out.extend_from_slice(&bytes)
            }));
        }
        let rec = e.get(&w.store, id)?;
        Ok(self.ok(View::new(&w.store, &rec, e.dto)))
    }

    /// Runs a write under the lock and answers with the saved record it names.
    pub fn write(&self, e: &Entity, f: impl FnOnce(&mut World) -> R<i64>) -> R<Response> {
        let mut w = self.world();
        let id = f(&mut w)?;
        let rec = e.get(&w.store, id)?;
        Ok(self.ok(View::new(&w.store, &rec, e.dto)))
    }

    /// V2 PUT of `e` at path id 0: the schema's members replace, then `validate`, then save.
    pub fn replace(
        &self,
        e: &Entity,
        schema: &Schema,
        validate: impl Fn(&Store, &Record) -> R<()>,
    ) -> R<Response> {
        let id = self.id(0, e.label)?;
        let body = self.object()?;
        self.write(e, |w| {
            let mut rec = e.get(&w.store, id)?;
            let mut errs = Vec::new();
            let input = read_schema(&body, schema, "", &mut errs);
            check(errs)?;
            apply_put(&mut rec, &input, schema, Put::Replace);
            validate(&w.store, &rec)?;
            save(w, e.table, id, rec);
            Ok(id)
        })
    }

    /// JSON Patch of `e` at path id 0, validated like a PUT.
    pub fn patch(
        &self,
        e: &Entity,
        schema: &Schema,
        aliases: &[(&str, &str)],
        validate: impl Fn(&Store, &Record) -> R<()>,
    ) -> R<Response> {
        let id = self.id(0, e.label)?;
        let ops = self.ops()?;
        self.write(e, |w| {
            let mut rec = e.get(&w.store, id)?;
            apply_patch(&mut rec, &ops, schema, aliases)?;
            validate(&w.store, &rec)?;
            save(w, e.table, id, rec);
            Ok(id)
        })
    }

    /// A V2 list: `paged` lists carry `totalRecords`, the lookups and searches do not.
    pub fn list(&self, spec: &ListSpec, paged: bool, scope: Option<Scope>) -> R<Response> {
        let mut guard = self.world();
        let w = &mut *guard;
        let (rows, total) = v2_list(&w.store, spec, &self.query, &self.settings, scope)?;
        let total = paged.then_some(total);
        match rows {
            Rows::Page { ids, .. } if self.api == Api::V2 => {
                let parts: Vec<Bytes> = ids
                    .iter()
                    .map(|&id| {
                        View::cached_bytes(&mut w.renders, &w.store, spec.table, spec.dto, id)
                    })
                    .collect();
                drop(guard);
                Ok(v2_envelope(total_len(&parts), total, |out| {
                    push_array(out, &parts)
                }))
            }
            rows => Ok(self.api.ok(rows, total)),
        }
    }
}

/// The path parameters when `pattern` matches the segments. The pattern is walked in place:
/// trying a hundred routes per request copies none of them.
fn matches<'p>(pattern: &str, segs: &[&'p str]) -> Option<Vec<&'p str>> {
    // One walk: literals compared first, parameters gathered only once the route matches.
    let mut n = 0;
    for p in pattern.split('/') {
        let s = segs.get(n)?;
        if !p.starts_with('{') && p != *s {
            return None;
        }
        n += 1;
    }
    if n != segs.len() {
        return None;
    }
    Some(
        pattern
            .split('/')
            .zip(segs)
            .filter(|(p, _)| p.starts_with('{'))
            .map(|(_, s)| *s)
            .collect(),
    )
}

/// The dialect's one handler: paths are already lower case and trimmed by `route()`.
pub async fn handle(state: AppState, req: PsaRequest) -> Response {
    let PsaRequest {
        parts,
        path,
        body,
        ctx,
    } = req;
    let (method, uri, headers) = (&parts.method, &parts.uri, &parts.headers);
    let path = path.as_str();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (api, tables, rest) = match segs.split_first() {
        Some((&"api", rest)) => (Api::V1, V1, rest),
        Some((&"v2", rest)) => (Api::V2, V2, rest),
        _ => {
            let e = ApiErr::new(StatusCode::NOT_FOUND, "No resource found");
            return Api::V2.error(&e);
        }
    };
    let routes = || tables.iter().flat_map(|t| t.iter());
    let found = routes().find_map(|r| {
        (r.method == method.as_str())
            .then(|| matches(r.pattern, rest).map(|p| (r, p)))
            .flatten()
    });
    let Some((route, params)) = found else {
        let e = if routes().any(|r| matches(r.pattern, rest).is_some()) {
            ApiErr::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("The requested resource does not support http method '{method}'."),
            )
        } else {
            ApiErr::new(
                StatusCode::NOT_FOUND,
                format!("No HTTP resource was found that matches the request URI '{path}'."),
            )
        };
        return api.error(&e);
    };
    let settings = ctx.settings;
    if api == Api::V2 {
        if let Some(resp) = quota(&state, &settings, method, route.pattern) {
            return resp;
        }
    }
    let ctx = Ctx {
        state: &state,
        settings,
        api,
        params,
        query: Query::parse(uri.query()),
        headers,
        body: &body,
    };
    (route.handler)(&ctx).unwrap_or_else(|e| api.error(&e))
}

/// Counts a call against the per-endpoint hourly quota (V2 only, per method and route
/// template, per virtual clock hour); the 429 once the quota is spent.
fn quota(
    state: &AppState,
    settings: &Settings,
    method: &Method,
    pattern: &str,
) -> Option<Response> {
    let limit = settings.bms_hourly_quota;
    if limit == 0 {
        return None;
    }
    let endpoint = format!("{method} /v2/{pattern}");
    let mut world = state.world();
    let now = world.clock.now();
    let hour = now.div_euclid(3600);
    world.quota.forget_before(hour);
    if world.quota.count(hour, &endpoint) <= limit {
        return None;
    }
    let e = ApiErr::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("API call limit of {limit} calls per hour for this endpoint exceeded"),
    );
    let mut resp = Api::V2.error(&e);
    resp.headers_mut().insert(
        "retry-after",
        HeaderValue::from(3600 - now.rem_euclid(3600)),
    );
    Some(resp)
}
