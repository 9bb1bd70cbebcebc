//! Security: V2 authenticate (urlencoded or multipart form, keys in any case), refresh,
//! userinfo, the legacy V1 `/api/token`, and the bearer check every other route passes.

use super::model::{id_of, is_true, member, tenant_name, EMPLOYEES};
use super::routes::{route, Ctx, Route};
use super::wire::{check, Api, ApiErr, Form, R};
use crate::clock::format_rfc3339;
use crate::personality::Personality;
use crate::state::{MockState, Session, Settings, World};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::request::Parts;
use http::StatusCode;
use serde_json::{json, Value};

pub const ROUTES: &[Route] = &[
    route("POST", "security/authenticate", authenticate),
    route("POST", "security/refreshtoken", refresh),
    route("GET", "security/userinfo", userinfo),
];

/// Choice: refresh tokens live 30 virtual days.
const REFRESH_TTL: i64 = 30 * 86_400;
/// V1 token lifetime, from the Ruby gem's fixture.
const V1_TOKEN_TTL: i64 = 7_775_999;
/// V1 tokens carry this prefix so each API accepts only its own.
const V1_PREFIX: &str = "v1-";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// Issues a deterministic, JWT-looking token pair from the world's serial.
fn issue_tokens(world: &mut World, personality: Personality, user: &str, ttl: i64) -> Value {
    let serial = world.next_serial();
    let now = world.clock.now();
    let exp = now.saturating_add(ttl.max(1));
    let rexp = now.saturating_add(REFRESH_TTL);
    let header = b64(r#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64(&json!({"iss": personality.display_name(), "sub": user,
        "tenant": tenant_name(&world.store), "jti": serial, "iat": now, "exp": exp})
    .to_string());
    let sig = b64(&format!("mock-psa:{}:{serial}", personality.key()));
    let access = format!("{header}.{payload}.{sig}");
    let refresh = b64(&format!("refresh:{}:{serial}:{rexp}", personality.key()));
    world.sessions.insert(
        access.clone(),
        Session {
            refresh_token: refresh.clone(),
            expires_at: exp,
        },
    );
    json!({
        "accessToken": access,
        "refreshToken": refresh,
        "accessTokenExpireOn": format_rfc3339(exp),
        "refreshTokenExpireOn": format_rfc3339(rexp),
    })
}

fn refresh_expiry(token: &str) -> Option<i64> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    String::from_utf8(raw)
        .ok()?
        .rsplit(':')
        .next()?
        .parse()
        .ok()
}

fn credentials_match(settings: &Settings, tenant: &str, user: &str, password: &str) -> bool {
    let c = &settings.credentials;
    c.company.eq_ignore_ascii_case(tenant.trim())
        && c.user.eq_ignore_ascii_case(user.trim())
        && c.secret == password
}

fn authenticate(c: &Ctx<'_>) -> R<Response> {
    let form = Form::read(c.headers, c.body)?;
    let grant = form.get("GrantType");
    if grant.is_empty() {
        return Err(ApiErr::invalid(vec!["GrantType is required".into()]));
    }
    if !grant.eq_ignore_ascii_case("password") {
        return Err(ApiErr::bad(format!("GrantType `{grant}` is not supported")));
    }
    let user = form.get("UserName");
    let mut errs = Vec::new();
    for (k, v) in [
        ("UserName", user),
        ("Password", form.get("Password")),
        ("Tenant", form.get("Tenant")),
    ] {
        if v.is_empty() {
            errs.push(format!("{k} is required"));
        }
    }
    check(errs)?;
    if !credentials_match(&c.settings, form.get("Tenant"), user, form.get("Password")) {
        let status = StatusCode::from_u16(c.settings.bms_auth_failure_status)
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(StatusCode::UNAUTHORIZED);
        return Err(ApiErr::new(status, "Invalid user name, password or tenant"));
    }
    let ttl = c.settings.bms_token_ttl_seconds;
    let tokens = issue_tokens(&mut c.world(), c.state.personality, user, ttl);
    Ok(c.ok(tokens))
}

fn refresh(c: &Ctx<'_>) -> R<Response> {
    let form = Form::read(c.headers, c.body)?;
    let (access, refresh) = (form.get("AccessToken"), form.get("RefreshToken"));
    let mut errs = Vec::new();
    for (k, v) in [("AccessToken", access), ("RefreshToken", refresh)] {
        if v.is_empty() {
            errs.push(format!("{k} is required"));
        }
    }
    check(errs)?;
    let mut world = c.world();
    let now = world.clock.now();
    let valid = world
        .sessions
        .get(access)
        .is_some_and(|s| s.refresh_token == refresh);
    if !valid {
        return Err(ApiErr::new(StatusCode::UNAUTHORIZED, "Invalid token pair"));
    }
    if refresh_expiry(refresh).is_none_or(|e| e <= now) {
        return Err(ApiErr::new(
            StatusCode::UNAUTHORIZED,
            "Refresh token expired",
        ));
    }
    world.sessions.remove(access);
    let user = c.settings.credentials.user.clone();
    let tokens = issue_tokens(
        &mut world,
        c.state.personality,
        &user,
        c.settings.bms_token_ttl_seconds,
    );
    Ok(c.ok(tokens))
}

fn userinfo(c: &Ctx<'_>) -> R<Response> {
    let world = c.world();
    let api = world
        .store
        .rows(EMPLOYEES)
        .find(|e| is_true(e, "isApiEmployee"));
    Ok(c.ok(json!({
        "userId": api.as_ref().map(id_of),
        "fullName": api.as_ref().map(|e| member(e, "name")),
        "userName": c.settings.credentials.user,
        "emailAddress": api.as_ref().map(|e| member(e, "emailAddress")),
        "tenantId": 1,
        "accountId": null,
        "locationId": null,
        "contactId": null,
        "businessName": tenant_name(&world.store),
        "timeZoneName": "UTC",
        "dateFormat": "MM/dd/yyyy",
        "currencyCode": "USD",
        "isUserSystemAdmin": false,
        "userAccessRights": [],
    })))
}

/// `POST /api/token`: OAuth-style JSON, `error`/`error_description` with 400 on failure
/// (the OWIN default).
pub fn v1_token(c: &Ctx<'_>) -> R<Response> {
    let err = |code: &str, desc: &str| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": code, "error_description": desc})),
        )
            .into_response()
    };
    let form = match Form::read(c.headers, c.body) {
        Ok(f) => f,
        Err(e) => return Ok(err("invalid_request", &e.message)),
    };
    if !form.get("grant_type").eq_ignore_ascii_case("password") {
        return Ok(err("unsupported_grant_type", "grant_type must be password"));
    }
    let (user, password, tenant) = (
        form.get("username"),
        form.get("password"),
        form.get("tenant"),
    );
    if !credentials_match(&c.settings, tenant, user, password) {
        return Ok(err(
            "invalid_grant",
            "The user name, password or tenant is incorrect.",
        ));
    }
    let mut world = c.world();
    let serial = world.next_serial();
    let token = format!(
        "{V1_PREFIX}{}",
        b64(&format!("v1:{}:{serial}", c.state.personality.key()))
    );
    let exp = world.clock.now().saturating_add(V1_TOKEN_TTL);
    world.sessions.insert(
        token.clone(),
        Session {
            refresh_token: String::new(),
            expires_at: exp,
        },
    );
    Ok(axum::Json(
        json!({"access_token": token, "token_type": "bearer", "expires_in": V1_TOKEN_TTL}),
    )
    .into_response())
}

/// The bearer check of every non-public route: why the token is refused, if it is (absent,
/// unknown, expired, or belonging to the other API version).
pub fn check_bearer(state: &MockState, parts: &Parts, api: Api) -> Result<(), &'static str> {
    let token = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            let (scheme, rest) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .ok_or("Unauthorized: a Bearer token is required")?;
    if token.starts_with(V1_PREFIX) != (api == Api::V1) {
        return Err("Unauthorized: invalid token");
    }
    let world = state.world();
    match world.sessions.get(token) {
        None => Err("Unauthorized: invalid token"),
        Some(s) if s.expires_at <= world.clock.now() => Err("Unauthorized: token expired"),
        Some(_) => Ok(()),
    }
}

/// The 401 of each API: V2's envelope, V1's ASP.NET Web API message.
pub fn denied(api: Api, message: &str) -> Response {
    match api {
        Api::V1 => (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"Message": "Authorization has been denied for this request."})),
        )
            .into_response(),
        Api::V2 => Api::V2.error(&ApiErr::new(StatusCode::UNAUTHORIZED, message)),
    }
}
