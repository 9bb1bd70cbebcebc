//! The route table: entity segments, query routes, child routes under `Companies/{id}`.

use super::super::*;
use super::filter::*;
use super::info::entity_info;
use super::listing::*;
use super::schema::*;
use super::values::*;
use super::wire::*;
use super::writes::*;
use crate::store::StoredRow;
use http::Method;
use serde_json::json;

pub(super) async fn handle(state: AppState, req: PsaRequest) -> Response {
    let PsaRequest {
        parts,
        path,
        body,
        ctx,
    } = req;
    let (method, headers) = (&parts.method, &parts.headers);
    let actor = match impersonation(&state, headers) {
        Ok(a) => a,
        Err(msg) => return fail(msg),
    };
    let path = path.as_str();
    let query = parts.uri.query().unwrap_or("");
    if let Some(delay) = threshold_latency(&state, &ctx.settings, path) {
        tokio::time::sleep(delay).await;
    }
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["zoneinformation"] if method == Method::GET => zone(&ctx, query),
        ["versioninformation"] if method == Method::GET => ok(json!({"apiVersions": ["V1.0"]})),
        ["thresholdinformation"] if method == Method::GET => {
            let limit = ctx.settings.at_hourly_request_limit;
            let world = state.world();
            let n = requests_in_window(&world, world.clock.now());
            ok(
                json!({"externalRequestThreshold": limit, "requestThresholdTimeframe": 60,
                      "currentTimeframeRequestCount": n}),
            )
        }
        ["zoneinformation" | "versioninformation" | "thresholdinformation"] => not_allowed(method),
        [seg, rest @ ..] => match entity_by_segment(seg) {
            Some(e) => {
                let call = Call {
                    state: &state,
                    ctx: &ctx,
                    method,
                    query,
                    body: &body,
                    path,
                    actor,
                };
                entity_route(&call, e, rest)
            }
            None => not_found(path),
        },
        [] => not_found(path),
    }
}

/// One API call as the entity routes see it.
pub(super) struct Call<'a> {
    pub(super) state: &'a MockState,
    pub(super) ctx: &'a RequestCtx,
    pub(super) method: &'a Method,
    pub(super) query: &'a str,
    pub(super) body: &'a [u8],
    pub(super) path: &'a str,
    /// Who writes are attributed to: the impersonated resource, else the API user.
    pub(super) actor: Actor,
}

pub(super) fn entity_route(call: &Call<'_>, e: &'static Entity, rest: &[&str]) -> Response {
    let Call {
        state,
        ctx,
        method,
        query,
        body,
        path,
        actor,
    } = *call;
    let get = method == Method::GET;
    let post = method == Method::POST;
    match rest {
        [] => match *method {
            Method::POST if e.writable => write(state, e, None, body, Write::Create, actor),
            Method::PATCH if e.writable => write(state, e, None, body, Write::Patch, actor),
            Method::PUT if e.writable => write(state, e, None, body, Write::Put, actor),
            _ => not_allowed(method),
        },
        ["query"] | ["query", "count"] | ["query", "next"] if get || post => {
            let spec = if post && !body.iter().all(u8::is_ascii_whitespace) {
                body_json(body)
            } else {
                match query_param(query, "search") {
                    Some(s) => serde_json::from_str(&s)
                        .map_err(|err| format!("Unable to parse the search query: {err}")),
                    None => Ok(Value::Null),
                }
            };
            let spec = match spec.and_then(|v| parse_query(e, v)) {
                Ok(spec) => spec,
                Err(msg) => return fail(msg),
            };
            let mut world = state.world();
            let page = match rest {
                ["query", "count"] => {
                    let n = world.store.table(e.table).map_or(0, |table| {
                        let matching = table
                            .ids()
                            .filter(|&id| spec.matches(&StoredRow { table, id }));
                        matching.count()
                    });
                    return ok(json!({"queryCount": n}));
                }
                ["query", "next"] => {
                    let paging = query_param(query, "paging")
                        .and_then(|p| serde_json::from_str::<Value>(&p).ok());
                    let Some(paging) = paging else {
                        return fail("Value cannot be null.\r\nParameter name: paging");
                    };
                    let ids = |k: &str| -> Vec<i64> {
                        paging
                            .get(k)
                            .and_then(Value::as_array)
                            .map(|a| a.iter().filter_map(Value::as_i64).collect())
                            .unwrap_or_default()
                    };
                    let start = ids("nextIds").first().copied().unwrap_or(-1);
                    query_page(&mut world, ctx, e, &spec, start, ids("previousIds"))
                }
                _ => query_page(&mut world, ctx, e, &spec, -1, Vec::new()),
            };
            // The body is written once the lock is let go.
            drop(world);
            page.response()
        }
        ["query", ..] => not_allowed(method),
        ["entityinformation", more @ ..] => entity_info(state, e, more, method, path),
        [id] => {
            let Ok(id) = id.parse::<i64>() else {
                return not_found(path);
            };
            if !get {
                return not_allowed(method);
            }
            let mut world = state.world();
            let w = &mut *world;
            let bytes = item_bytes(&mut w.renders, &w.store, e, id);
            drop(world);
            item_response(bytes)
        }
        [pid, child, more @ ..] => {
            let Some(ce) = child_entity(e, child) else {
                return not_found(path);
            };
            let Ok(pid) = pid.parse::<i64>() else {
                return not_found(path);
            };
            child_route(call, ce, pid, more)
        }
    }
}

pub(super) fn child_route(
    call: &Call<'_>,
    e: &'static Entity,
    pid: i64,
    rest: &[&str],
) -> Response {
    let Call {
        state,
        method,
        body,
        path,
        actor,
        ..
    } = *call;
    let member = e.parent_member().unwrap_or("companyID");
    match rest {
        [] => match *method {
            Method::GET => {
                let world = state.world();
                let items: Vec<Value> = world
                    .store
                    .rows_where(e.table, member, &Value::from(pid))
                    .map(|r| render(e, &r, None))
                    .collect();
                ok(json!({"items": items, "pageDetails": {"count": items.len(),
                    "requestCount": MAX_PAGE, "prevPageUrl": null, "nextPageUrl": null}}))
            }
            Method::POST => write(state, e, Some(pid), body, Write::Create, actor),
            Method::PATCH if e.updatable => write(state, e, Some(pid), body, Write::Patch, actor),
            Method::PUT if e.updatable => write(state, e, Some(pid), body, Write::Put, actor),
            _ => not_allowed(method),
        },
        ["entityinformation", more @ ..] => entity_info(state, e, more, method, path),
        [id] => {
            let Ok(id) = id.parse::<i64>() else {
                return not_found(path);
            };
            match *method {
                Method::GET => {
                    let mut world = state.world();
                    let w = &mut *world;
                    let parent = w.store.value_at(e.table, id, member);
                    let bytes = match parent.and_then(|p| p.as_i64()) == Some(pid) {
                        true => item_bytes(&mut w.renders, &w.store, e, id),
                        false => None,
                    };
                    drop(world);
                    item_response(bytes)
                }
                Method::DELETE => match delete_child(&mut state.world(), e, pid, id) {
                    Ok(()) => ok(json!({ "itemId": id })),
                    Err(msg) => fail(msg),
                },
                _ => not_allowed(method),
            }
        }
        _ => not_found(path),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Write {
    Create,
    Patch,
    Put,
}

pub(super) fn write(
    state: &MockState,
    e: &'static Entity,
    parent: Option<i64>,
    body: &[u8],
    how: Write,
    actor: Actor,
) -> Response {
    let input = match body_json(body).and_then(|v| write_input(e, &v)) {
        Ok(m) => m,
        Err(msg) => return fail(msg),
    };
    let mut world = state.world();
    let result = match how {
        Write::Create => create_rec(&mut world, e, input, parent)
            .inspect(|id| attribute(&mut world, e, *id, actor)),
        Write::Patch | Write::Put => match int(&input, "id") {
            Some(id) if id > 0 || (e.table == COMPANIES && id == OWN_COMPANY_ID) => {
                update_rec(&mut world, e, id, input, parent, how == Write::Put).map(|()| id)
            }
            _ => Err(format!("An id is required to update a {}.", e.model)),
        },
    };
    match result {
        Ok(id) => ok(json!({ "itemId": id })),
        Err(msg) => fail(msg),
    }
}

/// One route the dialect serves: its methods and its path template under
/// `/ATServicesRest/V1.0`, for listings (`mock-psa routes`) and documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    pub methods: Vec<&'static str>,
    pub path: String,
}

/// Every route, derived from the same schema the dispatch above reads, in a stable order.
pub fn route_table() -> Vec<RouteEntry> {
    let r = |methods: &[&'static str], path: String| RouteEntry {
        methods: methods.to_vec(),
        path,
    };
    let mut out = vec![
        r(&["GET"], "/zoneInformation".into()),
        r(&["GET"], "/versionInformation".into()),
        r(&["GET"], "/thresholdInformation".into()),
    ];
    for e in &schema().entities {
        let n = e.name;
        if e.writable {
            out.push(r(&["POST", "PATCH", "PUT"], format!("/{n}")));
        }
        out.push(r(&["GET", "POST"], format!("/{n}/query")));
        out.push(r(&["GET", "POST"], format!("/{n}/query/count")));
        out.push(r(&["GET", "POST"], format!("/{n}/query/next")));
        out.push(r(&["GET"], format!("/{n}/{{id}}")));
        out.push(r(&["GET"], format!("/{n}/entityInformation")));
        out.push(r(&["GET"], format!("/{n}/entityInformation/fields")));
        out.push(r(
            &["GET"],
            format!("/{n}/entityInformation/userDefinedFields"),
        ));
        if let Some(p) = &e.parent {
            let seg = e.name.strip_prefix("Company").unwrap_or(e.name);
            let seg = seg.strip_prefix("Ticket").unwrap_or(seg);
            debug_assert!(seg.eq_ignore_ascii_case(&p.segment));
            let base = format!("/{}/{{parentId}}/{seg}", p.entity);
            let mut writes = vec!["GET", "POST"];
            if e.updatable {
                writes.extend(["PATCH", "PUT"]);
            }
            out.push(r(&writes, base.clone()));
            out.push(r(&["GET", "DELETE"], format!("{base}/{{id}}")));
        }
    }
    out
}
