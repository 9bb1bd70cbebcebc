//! The admin API under `/__admin/`, on the same port as the PSA: health, seed, reset, snapshot,
//! journal, clock, fault rules, settings, and neutral record changes made "directly in the PSA".

use crate::clock::parse_rfc3339;
use crate::dialect::{api_for, check_neutral_fields, NeutralKind};
use crate::faults::FaultRule;
use crate::journal::Journal;
use crate::seed::SeedDocument;
use crate::state::{AppState, MockState, Settings, World};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Admin errors: always `{"error": "..."}` with a 4xx status.
pub struct AdminError(StatusCode, String);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// The admin error reply for a status and message (also used for the framework's own
/// rejections and the access checks, so every `/__admin/` error has this one shape).
pub fn error(status: StatusCode, message: &str) -> Response {
    AdminError(status, message.to_string()).into_response()
}

fn bad(msg: impl Into<String>) -> AdminError {
    AdminError(StatusCode::BAD_REQUEST, msg.into())
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/__admin/health", get(health))
        .route("/__admin/ui", get(ui))
        .route("/__admin/seed", post(seed))
        .route("/__admin/reset", post(reset))
        .route("/__admin/snapshot", get(snapshot))
        .route("/__admin/journal", get(journal).delete(clear_journal))
        .route("/__admin/clock", get(clock).post(set_clock))
        .route(
            "/__admin/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/__admin/faults/{id}", delete(remove_fault))
        .route("/__admin/settings", get(get_settings).put(put_settings))
        .route("/__admin/records/{kind}", post(create_record))
        .route(
            "/__admin/records/{kind}/{id}",
            patch(update_record).delete(delete_record),
        )
        .fallback(|| async { AdminError(StatusCode::NOT_FOUND, "no such admin route".into()) })
}

/// Empties the world and lays down the personality's default lookups.
pub fn reset_world(state: &MockState) {
    let settings = state.settings();
    let mut world = state.world();
    *world = World {
        journal: Journal::new(settings.journal),
        ..Default::default()
    };
    api_for(state.personality.dialect()).seed_defaults(&mut world, state.personality);
}

/// Runs an admin write all or nothing: on error the store, clock and serial are put back as
/// they were, so a refused write changes nothing.
pub(crate) fn all_or_nothing<T>(
    world: &mut World,
    write: impl FnOnce(&mut World) -> Result<T, String>,
) -> Result<T, String> {
    let saved = (world.store.clone(), world.clock, world.serial);
    let result = write(world);
    if result.is_err() {
        (world.store, world.clock, world.serial) = saved;
    }
    result
}

/// Applies a seed document whole or not at all; returns the native ids created, per kind.
pub fn apply_seed(state: &MockState, seed: &SeedDocument) -> Result<Value, String> {
    let mut world = state.world();
    all_or_nothing(&mut world, |w| seed_into(state, w, seed))
}

fn seed_into(state: &MockState, world: &mut World, seed: &SeedDocument) -> Result<Value, String> {
    let api = api_for(state.personality.dialect());
    if let Some(clock) = &seed.clock {
        world.clock.set(parse_time(clock)?);
    }
    let known: Vec<String> = world.store.table_names().map(str::to_string).collect();
    // Native rows that carry the members of a neutral row are laid over it once it exists.
    let (native, overlays) = crate::overlay::split(seed, state.personality)?;
    for (table, rows) in native {
        if !known.iter().any(|t| t == table) && !api.entity_tables().contains(&table) {
            return Err(format!(
                "native: {} has no table `{table}`; its tables: {}",
                state.personality.display_name(),
                known.join(", ")
            ));
        }
        for row in rows {
            world.store.insert(table, row.clone());
        }
    }
    let mut laid = Vec::new();
    let mut created = Map::new();
    for kind in NeutralKind::ALL {
        let mut ids = Vec::new();
        // Repeated rows are made one at a time as they are read (`SeedDocument::rows`).
        for (i, fields) in seed.rows(kind).enumerate() {
            check_neutral_fields(kind, &fields)
                .map_err(|e| format!("{}[{i}]: {e}", kind.plural()))?;
            let id = api
                .neutral_create(world, kind, &fields)
                .map_err(|e| format!("{}[{i}]: {e}", kind.plural()))?;
            ids.push(Value::from(id));
            let anchor = fields.get("id").and_then(Value::as_i64);
            if let Some(overlay) = anchor.and_then(|a| overlays.get(&(kind, a))) {
                laid.push((kind, id, *overlay));
            }
        }
        if !ids.is_empty() {
            created.insert(kind.plural().into(), Value::Array(ids));
        }
    }
    // After every neutral row, so look-ups by name saw only what the neutral rows made.
    for (kind, id, overlay) in laid {
        let table = crate::overlay::kind_table(state.personality.dialect(), kind);
        crate::overlay::lay_over(&mut world.store, table, id, overlay);
    }
    Ok(json!({ "created": created }))
}

fn parse_time(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| "clock must be whole seconds".to_string()),
        Value::String(s) => {
            parse_rfc3339(s).ok_or_else(|| format!("`{s}` is not a YYYY-MM-DDTHH:MM:SSZ time"))
        }
        _ => Err("clock must be a time string or Unix seconds".into()),
    }
}

/// The live page: state, journal and fault rules of this personality, refreshed every second.
/// It talks only to the admin API of the origin that served it, and writes only with the token.
async fn ui() -> Html<&'static str> {
    Html(include_str!("admin_ui.html"))
}

async fn health(State(state): State<AppState>) -> Json<Value> {
    let p = state.personality;
    let world = state.world();
    Json(json!({
        "status": "ok",
        "psa": p.key(),
        "name": p.display_name(),
        "dialect": p.dialect(),
        "api_root": p.api_root(),
        "clock": world.clock.rfc3339(),
        "records": world.store.total_rows(),
        "requests": world.journal.counters().total,
    }))
}

async fn seed(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, AdminError> {
    let text = std::str::from_utf8(&body).map_err(|_| bad("seed body must be UTF-8"))?;
    let doc = SeedDocument::parse_within(text, &state.settings().limits).map_err(bad)?;
    apply_seed(&state, &doc).map(Json).map_err(bad)
}

async fn reset(State(state): State<AppState>) -> Json<Value> {
    reset_world(&state);
    Json(json!({ "status": "reset" }))
}

#[derive(Deserialize)]
struct SnapshotQuery {
    view: Option<String>,
    tables: Option<String>,
}

async fn snapshot(
    State(state): State<AppState>,
    Query(q): Query<SnapshotQuery>,
) -> Result<Json<Value>, AdminError> {
    let api = api_for(state.personality.dialect());
    let world = state.world();
    let mut out = Map::new();
    out.insert("psa".into(), json!(state.personality.key()));
    out.insert("clock".into(), json!(world.clock.rfc3339()));
    match q.view.as_deref().unwrap_or("native") {
        "native" => {
            let only_entities = matches!(q.tables.as_deref(), Some("entities"));
            let mut tables = Map::new();
            for name in world.store.table_names() {
                if only_entities && !api.entity_tables().contains(&name) {
                    continue;
                }
                let rows: Vec<Value> = world
                    .store
                    .rows(name)
                    .map(|r| Value::Object(api.native_row(name, &r)))
                    .collect();
                tables.insert(name.to_string(), Value::Array(rows));
            }
            out.insert("tables".into(), Value::Object(tables));
        }
        "neutral" => {
            let view = api.neutral_view(&world.store);
            let mut kinds = Map::new();
            for kind in NeutralKind::ALL {
                let rows = view.get(&kind).cloned().unwrap_or_default();
                kinds.insert(
                    kind.plural().into(),
                    Value::Array(rows.into_iter().map(Value::Object).collect()),
                );
            }
            out.insert("records".into(), Value::Object(kinds));
        }
        other => {
            return Err(bad(format!(
                "unknown view `{other}`: expected native or neutral"
            )))
        }
    }
    Ok(Json(Value::Object(out)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalQuery {
    since: Option<u64>,
    reveal: Option<String>,
}

/// `?reveal=secrets` is the explicit opt-in to see passwords, keys and tokens in clear.
fn reveal(v: Option<&str>) -> Result<bool, AdminError> {
    match v {
        None => Ok(false),
        Some("secrets") => Ok(true),
        Some(other) => Err(bad(format!(
            "reveal=`{other}`: the only value is `secrets`"
        ))),
    }
}

async fn journal(
    State(state): State<AppState>,
    Query(q): Query<JournalQuery>,
) -> Result<Json<Value>, AdminError> {
    let reveal = reveal(q.reveal.as_deref())?;
    Ok(Json(
        state.world().journal.render(q.since.unwrap_or(0), reveal),
    ))
}

async fn clear_journal(State(state): State<AppState>) -> StatusCode {
    state.world().journal.clear();
    StatusCode::NO_CONTENT
}

async fn clock(State(state): State<AppState>) -> Json<Value> {
    let c = state.world().clock;
    Json(json!({ "now": c.rfc3339(), "unix": c.now() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    set: Option<Value>,
    advance: Option<i64>,
}

async fn set_clock(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>, AdminError> {
    let change: ClockChange =
        serde_json::from_slice(&body).map_err(|e| bad(format!("clock body: {e}")))?;
    // Both parts are checked before either is applied.
    let set = change
        .set
        .as_ref()
        .map(parse_time)
        .transpose()
        .map_err(bad)?;
    if change.advance.is_some_and(|a| a < 0) {
        return Err(bad(
            "the virtual clock never goes backwards: advance must be >= 0",
        ));
    }
    let mut world = state.world();
    if let Some(set) = set {
        world.clock.set(set);
    }
    if let Some(adv) = change.advance {
        world.clock.advance(adv);
    }
    Ok(Json(
        json!({ "now": world.clock.rfc3339(), "unix": world.clock.now() }),
    ))
}

async fn list_faults(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "faults": state.world().faults.rules() }))
}

async fn add_fault(State(state): State<AppState>, body: Bytes) -> Result<Response, AdminError> {
    let rule: FaultRule =
        serde_json::from_slice(&body).map_err(|e| bad(format!("fault rule: {e}")))?;
    let id = state.world().faults.add(rule).map_err(bad)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.world().faults.clear();
    StatusCode::NO_CONTENT
}

async fn remove_fault(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    let id: u64 = id.parse().map_err(|_| bad("fault id must be a number"))?;
    if state.world().faults.remove(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AdminError(
            StatusCode::NOT_FOUND,
            format!("no fault rule {id}"),
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevealQuery {
    reveal: Option<String>,
}

/// Settings as the admin API shows them: credentials' secret and integration code redacted
/// unless revealed.
fn shown_settings(s: &Settings, reveal: bool) -> Value {
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    if !reveal {
        for key in ["secret", "integration_code"] {
            if let Some(c) = v["credentials"].get_mut(key) {
                if c.as_str().is_some_and(|t| !t.is_empty()) {
                    *c = json!(crate::redact::REDACTED);
                }
            }
        }
    }
    v
}

async fn get_settings(
    State(state): State<AppState>,
    Query(q): Query<RevealQuery>,
) -> Result<Json<Value>, AdminError> {
    let reveal = reveal(q.reveal.as_deref())?;
    Ok(Json(shown_settings(&state.settings(), reveal)))
}

async fn put_settings(
    State(state): State<AppState>,
    Query(q): Query<RevealQuery>,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    let reveal = reveal(q.reveal.as_deref())?;
    // A partial body changes only the keys it names: the rest keep this personality's values
    // (a full GET-edit-PUT round trip works the same).
    let change: Value = serde_json::from_slice(&body).map_err(|e| bad(format!("settings: {e}")))?;
    let Value::Object(change) = change else {
        return Err(bad("settings: expected a JSON object"));
    };
    let current = serde_json::to_value(&*state.settings()).map_err(|e| bad(e.to_string()))?;
    let mut merged = current.clone();
    let mut change = change;
    // A GET-edit-PUT round trip sends the redacted marker back: it keeps the current secret.
    if let Some(Value::Object(c)) = change.get_mut("credentials") {
        for key in ["secret", "integration_code"] {
            if c.get(key).and_then(Value::as_str) == Some(crate::redact::REDACTED) {
                c.insert(key.into(), current["credentials"][key].clone());
            }
        }
    }
    for (k, v) in change {
        // Checked one key at a time so the error names the member that is wrong.
        let mut alone = current.clone();
        alone[&k] = v.clone();
        if let Err(e) = serde_json::from_value::<Settings>(alone) {
            return Err(bad(format!("settings.{k}: {e}")));
        }
        merged[k] = v;
    }
    let s: Settings = serde_json::from_value(merged).map_err(|e| bad(format!("settings: {e}")))?;
    s.limits
        .validate()
        .map_err(|e| bad(format!("settings.{e}")))?;
    state.set_settings(s.clone());
    Ok(Json(shown_settings(&s, reveal)))
}

fn kind_of(s: &str) -> Result<NeutralKind, AdminError> {
    NeutralKind::from_plural(s).ok_or_else(|| {
        AdminError(
            StatusCode::NOT_FOUND,
            format!("unknown record kind `{s}`: expected companies, locations, contacts, configurations or tickets"),
        )
    })
}

fn fields_of(body: &[u8]) -> Result<Map<String, Value>, AdminError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("record body must be a JSON object")),
        Err(e) => Err(bad(format!("record body: {e}"))),
    }
}

async fn create_record(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    body: Bytes,
) -> Result<Response, AdminError> {
    let kind = kind_of(&kind)?;
    let fields = fields_of(&body)?;
    check_neutral_fields(kind, &fields).map_err(bad)?;
    let api = api_for(state.personality.dialect());
    let id = all_or_nothing(&mut state.world(), |w| api.neutral_create(w, kind, &fields))
        .map_err(bad)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

fn parse_id(id: &str) -> Result<i64, AdminError> {
    id.parse()
        .map_err(|_| bad(format!("record id `{id}` is not a number")))
}

async fn update_record(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, AdminError> {
    let kind = kind_of(&kind)?;
    let id = parse_id(&id)?;
    let fields = fields_of(&body)?;
    check_neutral_fields(kind, &fields).map_err(bad)?;
    let api = api_for(state.personality.dialect());
    all_or_nothing(&mut state.world(), |w| {
        api.neutral_update(w, kind, id, &fields)
    })
    .map_err(|e| AdminError(StatusCode::NOT_FOUND, e))?;
    Ok(Json(json!({ "id": id })))
}

async fn delete_record(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
) -> Result<StatusCode, AdminError> {
    let kind = kind_of(&kind)?;
    let id = parse_id(&id)?;
    let api = api_for(state.personality.dialect());
    api.neutral_delete(&mut state.world(), kind, id)
        .map_err(|e| AdminError(StatusCode::NOT_FOUND, e))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The neutral view of a fresh mock of `p` seeded with `companies` only: its defaults and
/// what creating those companies makes by itself.
pub(crate) fn self_made(
    p: psa_core::Personality,
    companies: &[Map<String, Value>],
) -> Result<crate::dialect::NeutralView, String> {
    let state = MockState::new(p, Settings::for_personality(p));
    reset_world(&state);
    let only = SeedDocument {
        companies: companies.to_vec(),
        ..SeedDocument::default()
    };
    apply_seed(&state, &only)?;
    let world = state.world();
    Ok(api_for(p.dialect()).neutral_view(&world.store))
}
