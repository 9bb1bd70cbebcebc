//! The wire: error bodies, the zone lookup, credentials and impersonation, the request
//! threshold.

use super::super::*;
use super::schema::*;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use http::Method;
use serde_json::json;

/// Autotask's request threshold: calls counted per virtual minute, summed over the last 60
/// minutes (a rolling hour at minute granularity, deterministic on the virtual clock).
pub(super) fn requests_in_window(world: &World, now: i64) -> u64 {
    let minute = now.div_euclid(60);
    world.quota.sum(minute - 59..=minute, AT_RATE_KEY)
}

pub(super) const AT_RATE_KEY: &str = "autotask:requests";

/// The delay the live API adds as the hour's threshold fills (when switched on); lookups of
/// zone and version are exempt, as they are from the count.
pub(super) fn threshold_latency(
    state: &MockState,
    settings: &Settings,
    path: &str,
) -> Option<std::time::Duration> {
    let limit = settings.at_hourly_request_limit;
    if !settings.at_threshold_latency || limit == 0 {
        return None;
    }
    let lower = path.trim_matches('/');
    if lower == "zoneinformation" || lower == "versioninformation" {
        return None;
    }
    let used = {
        let world = state.world();
        requests_in_window(&world, world.clock.now())
    };
    let share = used.saturating_mul(100) / limit;
    match share {
        75.. => Some(std::time::Duration::from_millis(1000)),
        50.. => Some(std::time::Duration::from_millis(500)),
        _ => None,
    }
}

/// Counts one authenticated call; past the hourly threshold (when enforced), 429 with
/// Retry-After until the oldest counted minute leaves the window.
pub(super) fn throttle(state: &MockState, settings: &Settings) -> Result<(), Response> {
    let mut world = state.world();
    let now = world.clock.now();
    let minute = now.div_euclid(60);
    // Minutes that have left the window (none, but once a minute).
    world.quota.forget_before(minute - 59);
    let used = requests_in_window(&world, now);
    let limit = settings.at_hourly_request_limit;
    if settings.at_enforce_request_limit && used >= limit {
        let oldest = world.quota.oldest(AT_RATE_KEY).unwrap_or(minute);
        let wait = ((oldest + 60) * 60 - now).max(1);
        let mut resp = error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "The request threshold of {limit} requests per 60 minutes has been exceeded. Try again in {wait} seconds."
            ),
        );
        resp.headers_mut()
            .insert("retry-after", http::HeaderValue::from(wait));
        return Err(resp);
    }
    world.quota.count(minute, AT_RATE_KEY);
    Ok(())
}

pub(super) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub(super) fn query_param(query: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.into_owned())
}

// ---------------------------------------------------------------------------------------------
// HTTP.

pub(super) fn fail(message: impl AsRef<str>) -> Response {
    error(StatusCode::INTERNAL_SERVER_ERROR, message.as_ref())
}

pub(super) fn not_allowed(method: &Method) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("The requested resource does not support http method '{method}'."),
    )
}

pub(super) fn not_found(path: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("No HTTP resource was found that matches the request URI '{path}'."),
    )
}

pub(super) fn ok(v: Value) -> Response {
    (StatusCode::OK, Json(v)).into_response()
}

pub(super) fn body_json(body: &[u8]) -> Result<Value, String> {
    parse_json(body).map_err(|e| format!("Unable to parse the request body: {e}"))
}

pub(super) fn zone(ctx: &RequestCtx, query: &str) -> Response {
    let creds = &ctx.settings.credentials;
    match query_param(query, "user") {
        Some(u) if u.eq_ignore_ascii_case(&creds.user) => ok(json!({
            "zoneName": "Mock Zone",
            "url": format!("{}/ATServicesRest/", ctx.origin),
            "webUrl": format!("{}/", ctx.origin),
            "ci": 1,
        })),
        _ => fail("Zone information could not be determined"),
    }
}

/// The resource a write is attributed to (`ImpersonationResourceId`), and whether it was
/// impersonated (then the API user is recorded as the impersonator).
#[derive(Clone, Copy)]
pub(super) struct Actor {
    pub(super) resource: i64,
    pub(super) impersonated: bool,
}

/// Reads `ImpersonationResourceId`: absent means the API user itself; otherwise it must name
/// an active resource (the real API refuses writes it cannot attribute).
pub(super) fn impersonation(state: &MockState, headers: &HeaderMap) -> Result<Actor, String> {
    let Some(raw) = headers
        .get("impersonationresourceid")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
    else {
        return Ok(Actor {
            resource: API_RESOURCE_ID,
            impersonated: false,
        });
    };
    let id: i64 = raw
        .parse()
        .map_err(|_| format!("ImpersonationResourceId {raw} is not a valid resource id."))?;
    let world = state.world();
    match world.store.get(RESOURCES, id) {
        Some(r) if r.get("isActive") != Some(&Value::Bool(false)) => Ok(Actor {
            resource: id,
            impersonated: true,
        }),
        _ => Err(format!(
            "ImpersonationResourceId {id} does not reference an active resource."
        )),
    }
}

/// The dialect's error body: `{"errors":[...]}`; ASP.NET Web API answers an unsupported verb
/// itself, with its own body shape.
pub(super) fn error(status: StatusCode, message: &str) -> Response {
    let body = if status == StatusCode::METHOD_NOT_ALLOWED {
        json!({ "Message": message })
    } else {
        json!({ "errors": [message] })
    };
    (status, Json(body)).into_response()
}
