//! The wire: Basic auth with `clientId`, the rate setting, the error envelope, request bodies,
//! PATCH operations, `/system/info` and `/login/companyinfo`.

#![allow(clippy::result_large_err)]

use super::schema::{Resource, TypeSchema};
use super::*;
use base64::Engine;

// ---------------------------------------------------------------------------------------------
// Errors in the CW envelope.

pub(super) fn envelope(status: StatusCode, code: &str, message: &str, errors: Value) -> Response {
    (
        status,
        Json(json!({ "code": code, "message": message, "errors": errors })),
    )
        .into_response()
}

pub(super) fn invalid(res: &Resource, errors: Vec<Value>) -> Response {
    envelope(
        StatusCode::BAD_REQUEST,
        "InvalidObject",
        &format!("{} object is invalid", res.object),
        Value::Array(errors),
    )
}

pub(super) fn field_error(res: &Resource, code: &str, field: &str, message: String) -> Value {
    json!({ "code": code, "message": message, "resource": res.object, "field": field })
}

pub(super) fn not_found(res: &Resource, id: &str) -> Response {
    envelope(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("{} with id {id} was not found.", res.type_name),
        Value::Null,
    )
}

pub(super) fn api_error(message: String) -> Response {
    envelope(
        StatusCode::BAD_REQUEST,
        "ConnectWiseApi",
        &message,
        Value::Null,
    )
}

pub(super) fn stamp(rec: &mut Record, now: &str, created: Option<&Value>) {
    let mut info = Map::new();
    info.insert("lastUpdated".into(), json!(now));
    info.insert("updatedBy".into(), json!("api"));
    match created.and_then(|c| c.as_object()) {
        Some(old) => {
            put(&mut info, "dateEntered", old.get("dateEntered").cloned());
            put(&mut info, "enteredBy", old.get("enteredBy").cloned());
        }
        None => {
            info.insert("dateEntered".into(), json!(now));
            info.insert("enteredBy".into(), json!("api"));
        }
    }
    rec.insert("_info".into(), Value::Object(info));
}

pub(super) fn parse_body(body: &Bytes) -> Result<Value, Response> {
    parse_json(body).map_err(|e| api_error(format!("The request is invalid: {e}")))
}

/// Applies PATCH operations (`add`/`replace`/`remove` with bare member paths) to a draft.
pub(super) fn apply_ops(
    draft: &mut Record,
    ops: &[Value],
    schema: &TypeSchema,
    type_name: &str,
) -> Result<(), Response> {
    for op in ops {
        let (Some(kind), Some(path)) = (
            op.get("op").and_then(Value::as_str),
            op.get("path").and_then(Value::as_str),
        ) else {
            return Err(api_error(
                "Each patch operation needs `op` and `path`.".into(),
            ));
        };
        let path = path.trim_start_matches('/');
        let Some(member) = schema.member(path).map(|m| m.name.as_str()) else {
            return Err(api_error(format!(
                "Could not find member '{path}' on object of type '{type_name}'."
            )));
        };
        match kind.to_ascii_lowercase().as_str() {
            "replace" | "add" => {
                draft.insert(
                    member.to_string(),
                    op.get("value").cloned().unwrap_or(Value::Null),
                );
            }
            "remove" => {
                draft.remove(member);
            }
            other => return Err(api_error(format!("Unsupported patch operation '{other}'."))),
        }
    }
    Ok(())
}

/// The mock stands for a cloud tenant; `/system/info` and `/login/companyinfo` say so alike,
/// as the real cloud API does.
const IS_CLOUD: bool = true;

pub(super) fn system_info() -> Json<Value> {
    Json(json!({
        "version": "v2025.1.99999",
        "isCloud": IS_CLOUD,
        "serverTimeZone": "Eastern Standard Time",
        "licenseBits": [],
        "cloudRegion": "NA",
    }))
}

pub(super) fn company_info(ctx: RequestCtx, company: String) -> Response {
    let creds = &ctx.settings.credentials;
    if !company.eq_ignore_ascii_case(&creds.company) {
        return envelope(
            StatusCode::NOT_FOUND,
            "NotFound",
            "Company not found",
            Value::Null,
        );
    }
    Json(json!({
        "CompanyName": "Acme MSP",
        "Codebase": "v4_6_release/",
        "VersionCode": "v2025.1",
        "VersionNumber": "v4.6.99999",
        "CompanyID": creds.company,
        "IsCloud": IS_CLOUD,
        "SiteUrl": ctx.origin.split_once("://").map_or(ctx.origin.as_str(), |(_, host)| host),
    }))
    .into_response()
}

/// The optional rate setting: calls per virtual minute (fixed windows on the virtual clock, so
/// a run is deterministic); past it, 429 with the documented body and the seconds left in the
/// minute as Retry-After.
pub(super) fn throttle(state: &MockState, settings: &Settings) -> Result<(), Response> {
    let limit = settings.cw_requests_per_minute;
    if limit == 0 {
        return Ok(());
    }
    let mut world = state.world();
    let now = world.clock.now();
    let minute = now.div_euclid(60);
    world.quota.forget_before(minute);
    if world.quota.get(minute, CW_RATE_KEY) >= limit {
        let wait = 60 - now.rem_euclid(60);
        let mut resp = (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({
                "error": "ConnectWiseAPI",
                "message": format!("Too many requests. Please try again in {wait} seconds."),
            })),
        )
            .into_response();
        resp.headers_mut()
            .insert("retry-after", http::HeaderValue::from(wait));
        return Err(resp);
    }
    world.quota.count(minute, CW_RATE_KEY);
    Ok(())
}

/// Key of the per-minute counts in `World::quota`.
pub(super) const CW_RATE_KEY: &str = "connectwise:rate";

pub(super) fn authenticate(
    state: &MockState,
    settings: &Settings,
    parts: &Parts,
    _routed: &Routed,
) -> Result<(), Response> {
    let creds = &settings.credentials;
    let unauthenticated = || {
        envelope(
            StatusCode::UNAUTHORIZED,
            "ConnectWiseApi",
            "UserNotAuthenticated",
            Value::Null,
        )
    };
    let header = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .ok_or_else(unauthenticated)?;
    let encoded = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))
        .ok_or_else(unauthenticated)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(unauthenticated)?;
    let (user, private) = decoded.split_once(':').ok_or_else(unauthenticated)?;
    let (company, public) = user.split_once('+').ok_or_else(unauthenticated)?;
    if !company.eq_ignore_ascii_case(&creds.company)
        || public != creds.user
        || private != creds.secret
    {
        return Err(unauthenticated());
    }
    // The developer guide requires clientId on every call; we enforce it (documented).
    let client_id = parts
        .headers
        .get("clientid")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if client_id.trim().is_empty() {
        return Err(envelope(
            StatusCode::UNAUTHORIZED,
            "ConnectWiseApi",
            "ClientId header is required. Register an integration at developer.connectwise.com.",
            Value::Null,
        ));
    }
    throttle(state, settings)
}

pub(super) fn error(status: StatusCode, message: &str) -> Response {
    match status.as_u16() {
        429 => (status, Json(json!({ "error": "ConnectWiseAPI", "message": "Too many requests. Please try again in 30 seconds." }))).into_response(),
        404 => envelope(status, "NotFound", message, Value::Null),
        401 => envelope(status, "ConnectWiseApi", "UserNotAuthenticated", Value::Null),
        _ => envelope(status, "ConnectWiseApi", message, Value::Null),
    }
}
