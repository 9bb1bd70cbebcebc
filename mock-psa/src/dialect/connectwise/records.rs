//! The generic handlers every collection shares: list, get, create, replace, patch, delete;
//! input checking and rendering driven by the resource's data.

#![allow(clippy::result_large_err)]

use super::companies::insert_site;
use super::contacts::{accept_communications, render_communication};
use super::input::{apply_defaults, check_object, check_value, reference_members, Refusal};
use super::listing::{build_filter, cmp_values, project, sort_key, ListQuery};
use super::refs::RefView;
use super::schema::{Kind, Label, Resource};
use super::wire::{api_error, apply_ops, field_error, invalid, not_found, parse_body, stamp};
use super::*;
use crate::render_cache::{json_response, push_array, to_json, total_len, RenderCache, ViewKey};

/// A stored record as the wire shows it, as a `Value` (for filters, sort keys and `fields`).
pub(super) fn render(store: &Store, res: &Resource, rec: &Record, api_base: &str) -> Value {
    serde_json::to_value(Rendered {
        store,
        res,
        rec,
        api_base,
    })
    .unwrap_or(Value::Null)
}

/// A stored record serialized straight to the wire, without first copying it into a `Value`:
/// the record's members in their stored order, the references the mock resolves written with
/// their label and href, `_info` with its hrefs, nulls left out.
pub(super) struct Rendered<'a> {
    pub(super) store: &'a Store,
    pub(super) res: &'a Resource,
    pub(super) rec: &'a Record,
    pub(super) api_base: &'a str,
}

/// `_info` as stored, plus a company's three collection hrefs.
struct Info<'a> {
    stored: Option<&'a Map<String, Value>>,
    company: Option<i64>,
    api_base: &'a str,
}

impl serde::Serialize for Info<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        const HREFS: [&str; 3] = ["sites_href", "contacts_href", "configurations_href"];
        let mut map = ser.serialize_map(None)?;
        for (k, v) in self.stored.into_iter().flatten() {
            if self.company.is_none() || !HREFS.contains(&k.as_str()) {
                map.serialize_entry(k, v)?;
            }
        }
        if let Some(id) = self.company {
            let base = self.api_base;
            map.serialize_entry(HREFS[0], &format!("{base}/company/companies/{id}/sites"))?;
            let of_company =
                |path: &str| format!("{base}/company/{path}?conditions=company/id={id}");
            map.serialize_entry(HREFS[1], &of_company("contacts"))?;
            map.serialize_entry(HREFS[2], &of_company("configurations"))?;
        }
        map.end()
    }
}

impl serde::Serialize for Rendered<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (store, rec, api_base) = (self.store, self.rec, self.api_base);
        let schema = self.res.schema();
        let info = Info {
            stored: rec.get("_info").and_then(Value::as_object),
            company: (self.res.table == "companies")
                .then(|| rec.get("id").and_then(Value::as_i64).unwrap_or(0)),
            api_base,
        };
        let mut map = ser.serialize_map(None)?;
        let mut info_written = false;
        for (k, v) in rec {
            if k == "_info" {
                map.serialize_entry(k, &info)?;
                info_written = true;
                continue;
            }
            if v.is_null() {
                continue;
            }
            // References the mock resolves are rendered with their label and href; the others
            // were stored as written and are returned so.
            match (schema.resolved_ref(k), v) {
                (Some((Kind::Reference, spec)), raw) => {
                    map.serialize_entry(
                        k,
                        &RefView {
                            store,
                            spec,
                            raw,
                            api_base,
                        },
                    )?;
                }
                (Some((Kind::ReferenceList, spec)), Value::Array(items)) => {
                    let refs: Vec<RefView<'_>> = items
                        .iter()
                        .filter(|raw| RefView::id(raw).is_some())
                        .map(|raw| RefView {
                            store,
                            spec,
                            raw,
                            api_base,
                        })
                        .collect();
                    map.serialize_entry(k, &refs)?;
                }
                (_, Value::Array(items))
                    if self.res.table == "contacts" && k == "communicationItems" =>
                {
                    let rendered: Vec<Value> = items
                        .iter()
                        .map(|i| render_communication(store, i))
                        .collect();
                    map.serialize_entry(k, &rendered)?;
                }
                _ => map.serialize_entry(k, v)?,
            }
        }
        // Lookups stored with `description` are referenced by `name`.
        if matches!(self.res.label, Label::Description) && !rec.contains_key("name") {
            if let Some(d) = rec.get("description").filter(|d| !d.is_null()) {
                map.serialize_entry("name", d)?;
            }
        }
        if !info_written {
            map.serialize_entry("_info", &info)?;
        }
        map.end()
    }
}

/// A refused body in the CW envelope.
fn refusal(res: &Resource, r: Refusal) -> Response {
    match r {
        Refusal::Convert(msg) => api_error(msg),
        Refusal::Field(field, msg) => {
            invalid(res, vec![field_error(res, "InvalidField", &field, msg)])
        }
    }
}

/// Turns an input body into a stored record, or the CW error response: every member checked
/// against the type's schema ([`check_object`]), communication items numbered.
pub(super) fn accept_input(
    store: &Store,
    res: &Resource,
    body: &Value,
    world_serial: &mut u64,
) -> Result<Record, Response> {
    let Value::Object(input) = body else {
        return Err(api_error(format!(
            "Cannot deserialize the current JSON value into type '{}' because the type requires a JSON object.",
            res.type_name
        )));
    };
    let refused = |r: Refusal| refusal(res, r);
    let mut body = input.clone();
    // `site: {name: "Main"}` on a new company names the site to create with it.
    let new_site = if res.table == "companies" {
        body.remove("site").filter(|s| !s.is_null())
    } else {
        None
    };
    let items = if res.table == "contacts" {
        body.remove("communicationItems")
    } else {
        None
    };
    let mut rec = check_object(store, res.type_name, res.schema(), &body, "").map_err(refused)?;
    if let Some(site) = new_site {
        match site {
            Value::Object(ref o) if o.get("id").is_none() => {
                reference_members(o, "site").map_err(refused)?;
                rec.insert("site".into(), site);
            }
            other => {
                let m = res.schema().member("site").expect("Company has site");
                let v = check_value(store, res.type_name, m, &other, "site").map_err(refused)?;
                rec.insert("site".into(), v);
            }
        }
    }
    if let Some(items) = items.filter(|v| !v.is_null()) {
        let stored = accept_communications(store, &items, world_serial).map_err(refused)?;
        rec.insert("communicationItems".into(), stored);
    }
    Ok(rec)
}

pub(super) fn check_required(
    store: &Store,
    res: &Resource,
    rec: &Record,
    self_id: Option<i64>,
) -> Result<(), Response> {
    let mut errors = Vec::new();
    for f in res.schema().members.iter().filter(|m| m.required) {
        let f = &f.name;
        let missing = match rec.get(f) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            _ => false,
        };
        if missing {
            errors.push(field_error(
                res,
                "MissingRequiredField",
                f,
                format!("The field {f} is required."),
            ));
        }
    }
    for f in res.unique {
        if let Some(Value::String(v)) = rec.get(*f) {
            let clash = store
                .ids_with_text(res.table, f, v, true)
                .into_iter()
                .any(|id| Some(id) != self_id);
            if clash {
                errors.push(field_error(
                    res,
                    "ObjectExists",
                    f,
                    format!("The {f} '{v}' is already in use."),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(invalid(res, errors))
    }
}

/// Runs the resource's [`Fill`], answering its error as `InvalidObject`.
pub(super) fn fill(store: &Store, res: &Resource, rec: &mut Record) -> Result<(), Response> {
    match res.fill.map(|f| f(store, rec)) {
        Some(Err((field, msg))) => Err(invalid(
            res,
            vec![field_error(res, "InvalidField", field, msg)],
        )),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers.

/// The parent id of a child route (`/company/companies/{pid}/sites`), if any.
pub(super) fn parent_id(params: &Params, res: &Resource) -> Result<Option<i64>, Response> {
    match (params.get("pid"), res.parent) {
        (Some(p), Some((_, parent))) => {
            p.parse::<i64>().map(Some).map_err(|_| not_found(parent, p))
        }
        _ => Ok(None),
    }
}

/// A child route's parent must exist (404 naming the parent's type otherwise).
pub(super) fn parent_exists(
    store: &Store,
    res: &Resource,
    pid: Option<i64>,
) -> Result<(), Response> {
    match (res.parent, pid) {
        (Some((_, parent)), Some(pid)) if !store.contains(parent.table, pid) => {
            Err(not_found(parent, &pid.to_string()))
        }
        _ => Ok(()),
    }
}

/// Whether stored row `id` exists and belongs to the parent in the path ([`belongs`], read
/// from the stored bytes).
fn stored_in_parent(store: &Store, res: &Resource, id: i64, pid: Option<i64>) -> bool {
    match (res.parent.map(|(m, _)| m), pid) {
        (Some(m), Some(pid)) => {
            let parent = store.value_at(res.table, id, &format!("{m}.id"));
            parent.and_then(|p| p.as_i64()) == Some(pid)
        }
        _ => store.contains(res.table, id),
    }
}

pub(super) fn belongs(rec: &Record, res: &Resource, pid: Option<i64>) -> bool {
    match (res.parent.map(|(m, _)| m), pid) {
        (Some(m), Some(pid)) => {
            rec.get(m).and_then(|c| c.get("id")).and_then(Value::as_i64) == Some(pid)
        }
        _ => true,
    }
}

#[allow(clippy::too_many_arguments)] // axum extractors plus the route's static data
pub(super) fn list(
    state: AppState,
    ctx: RequestCtx,
    params: Params,
    headers: &HeaderMap,
    query: Option<&str>,
    res: &'static Resource,
    count_only: bool,
    route: &'static str,
) -> Response {
    let q = ListQuery::parse(query);
    let pid = match parent_id(&params, res) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut guard = state.world();
    let world = &mut *guard;
    if let Err(r) = parent_exists(&world.store, res, pid) {
        return r;
    }
    let filter = match build_filter(&q) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let store = &world.store;
    let table = store.table(res.table);
    let rendered_match = |r: &Record| -> bool {
        belongs(r, res, pid)
            && filter
                .as_ref()
                .is_none_or(|f| f(&render(store, res, r, &ctx.api_base)))
    };
    // A child route's rows come from the parent's index entry, not a pass over the table.
    let children: Option<Vec<i64>> = match (res.parent, pid, table) {
        (Some((member, _)), Some(pid), Some(t)) => {
            Some(t.ids_where(&format!("{member}.id"), &Value::from(pid)))
        }
        _ => None,
    };
    // A child route's rows all belong to the parent already: only a filter needs the rows.
    let needs_filter = filter.is_some();
    // The candidate ids above `after`, in id order; rows are read only to be filtered.
    let ids_after = |after: i64| -> Box<dyn Iterator<Item = i64> + '_> {
        match (&children, table) {
            (_, None) => Box::new(std::iter::empty()),
            (Some(ids), _) => Box::new(ids.iter().copied().filter(move |&id| id > after)),
            (None, Some(t)) => Box::new(t.ids_after(after)),
        }
    };
    let row = |id: i64| table.and_then(|t| t.get(id));
    let keep = |id: i64| !needs_filter || row(id).is_some_and(|r| rendered_match(&r));

    if count_only {
        let n = ids_after(i64::MIN).filter(|&id| keep(id)).count();
        return Json(json!({ "count": n })).into_response();
    }

    let page_size = match q.get("pagesize").map(str::parse::<usize>) {
        None => 25,
        Some(Ok(n)) if n >= 1 => n.min(1000),
        Some(_) => return api_error("pageSize must be a positive whole number".into()),
    };
    let forward_only = headers
        .get("pagination-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("forward-only"));
    let path = route.replace("{pid}", &pid.map(|p| p.to_string()).unwrap_or_default());
    let link_base = {
        let pass = q.passthrough();
        let sep = if pass.is_empty() { "" } else { "&" };
        format!("{}{}?{pass}{sep}", ctx.api_base, path_for_link(&path))
    };

    // The page's ids; each row is read again only when its rendered bytes are not kept.
    let rows: Vec<i64>;
    let mut links = Vec::new();
    if forward_only {
        if q.get("orderby").is_some() {
            return api_error("orderBy is not supported with forward-only pagination".into());
        }
        let after = q
            .get("pageid")
            .and_then(|p| p.parse::<i64>().ok())
            .unwrap_or(0);
        let mut it = ids_after(after).filter(|&id| keep(id));
        rows = it.by_ref().take(page_size).collect();
        if it.next().is_some() {
            if let Some(last) = rows.last() {
                links.push(format!(
                    "<{link_base}pageSize={page_size}&pageId={last}>; rel=\"next\""
                ));
            }
        }
    } else {
        let page = match q.get("page").map(str::parse::<usize>) {
            None => 1,
            Some(Ok(n)) if n >= 1 => n,
            Some(_) => return api_error("page must be a positive whole number".into()),
        };
        let offset = (page - 1).saturating_mul(page_size);
        let total;
        if let Some(order) = q.get("orderby") {
            let all: Vec<(i64, Record)> = ids_after(i64::MIN)
                .filter_map(|id| Some((id, row(id)?)))
                .filter(|(_, r)| rendered_match(r))
                .collect();
            let keys: Vec<(String, bool)> = order
                .split(',')
                .map(|p| {
                    let mut w = p.split_whitespace();
                    let f = w.next().unwrap_or("id").to_string();
                    let desc = w.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
                    (f, desc)
                })
                .collect();
            // Each record is rendered once for its sort keys, not once per comparison.
            let mut keyed: Vec<(Vec<Value>, i64)> = all
                .into_iter()
                .map(|(id, r)| {
                    let rendered = render(store, res, &r, &ctx.api_base);
                    let k = keys.iter().map(|(f, _)| sort_key(&rendered, f)).collect();
                    (k, id)
                })
                .collect();
            // A stable sort: equal keys keep id order.
            keyed.sort_by(|(ka, _), (kb, _)| {
                for ((a, b), (_, desc)) in ka.iter().zip(kb).zip(&keys) {
                    let o = cmp_values(a, b);
                    let o = if *desc { o.reverse() } else { o };
                    if o != std::cmp::Ordering::Equal {
                        return o;
                    }
                }
                std::cmp::Ordering::Equal
            });
            total = keyed.len();
            rows = keyed
                .into_iter()
                .skip(offset)
                .take(page_size)
                .map(|(_, r)| r)
                .collect();
        } else if needs_filter {
            // One pass decides every row: the total and the page come from the same matches.
            let matching: Vec<i64> = ids_after(i64::MIN).filter(|&id| keep(id)).collect();
            total = matching.len();
            rows = matching.into_iter().skip(offset).take(page_size).collect();
        } else if let Some(ids) = &children {
            total = ids.len();
            rows = ids.iter().skip(offset).take(page_size).copied().collect();
        } else {
            total = table.map(|t| t.len()).unwrap_or(0);
            rows = table.map_or_else(Vec::new, |t| t.slice_ids(offset, page_size));
        }
        let last = total.div_ceil(page_size).max(1);
        links.push(format!(
            "<{link_base}pageSize={page_size}&page=1>; rel=\"first\""
        ));
        if page > 1 {
            links.push(format!(
                "<{link_base}pageSize={page_size}&page={}>; rel=\"prev\"",
                (page - 1).min(last)
            ));
        }
        if page < last {
            links.push(format!(
                "<{link_base}pageSize={page_size}&page={}>; rel=\"next\"",
                page + 1
            ));
        }
        links.push(format!(
            "<{link_base}pageSize={page_size}&page={last}>; rel=\"last\""
        ));
    }
    // Straight to bytes from the stored rows (projected through a `Value` only for `fields`).
    let mut resp = match q.get("fields") {
        Some(f) => {
            let body: Vec<Value> = rows
                .iter()
                .filter_map(|&id| store.get(res.table, id))
                .map(|r| project(&render(store, res, &r, &ctx.api_base), f))
                .collect();
            drop(guard);
            Json(Value::Array(body)).into_response()
        }
        None => {
            let renders = &mut world.renders;
            let view = ViewKey::new(res, &ctx.api_base);
            let parts: Vec<bytes::Bytes> = rows
                .iter()
                .map(|&id| rendered_bytes(renders, store, view, res, id, &ctx.api_base))
                .collect();
            drop(guard);
            let mut body = Vec::with_capacity(total_len(&parts));
            push_array(&mut body, &parts);
            json_response(body)
        }
    };
    if !links.is_empty() {
        if let Ok(v) = http::HeaderValue::from_str(&links.join(", ")) {
            resp.headers_mut().insert("link", v);
        }
    }
    resp
}

/// Link paths use the documented spelling (`communicationTypes`), not the lower-cased route.
pub(super) fn path_for_link(path: &str) -> String {
    path.replace("communicationtypes", "communicationTypes")
}

pub(super) fn item_id(params: &Params, res: &Resource) -> Result<i64, Response> {
    let raw = params.get("id").map(String::as_str).unwrap_or("");
    raw.parse().map_err(|_| not_found(res, raw))
}

pub(super) fn get_one(
    state: AppState,
    ctx: RequestCtx,
    params: Params,
    query: Option<&str>,
    res: &'static Resource,
) -> Response {
    let id = match item_id(&params, res) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let pid = match parent_id(&params, res) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut world = state.world();
    let w = &mut *world;
    match stored_in_parent(&w.store, res, id, pid) {
        true => match ListQuery::parse(query).get("fields") {
            Some(f) => {
                let rec = w.store.get(res.table, id).unwrap_or_default();
                Json(project(&render(&w.store, res, &rec, &ctx.api_base), f)).into_response()
            }
            None => {
                let view = ViewKey::new(res, &ctx.api_base);
                let bytes = rendered_bytes(&mut w.renders, &w.store, view, res, id, &ctx.api_base);
                drop(world);
                // The kept bytes themselves, shared, not copied.
                json_response(bytes)
            }
        },
        false => not_found(res, &id.to_string()),
    }
}

/// Row `id`'s wire bytes under `view` (the resource and the API base), kept while the store is
/// unchanged (`render_cache`); the row is read only when they are not.
fn rendered_bytes(
    renders: &mut RenderCache,
    store: &Store,
    view: ViewKey,
    res: &'static Resource,
    id: i64,
    api_base: &str,
) -> bytes::Bytes {
    renders.bytes(store, view, id, || {
        let rec = store.get(res.table, id).unwrap_or_default();
        to_json(&Rendered {
            store,
            res,
            rec: &rec,
            api_base,
        })
    })
}

pub(super) fn create(
    state: AppState,
    ctx: RequestCtx,
    params: Params,
    body: Bytes,
    res: &'static Resource,
) -> Response {
    let input = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let pid = match parent_id(&params, res) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut world = state.world();
    let world = &mut *world;
    if let Err(r) = parent_exists(&world.store, res, pid) {
        return r;
    }
    let mut rec = match accept_input(&world.store, res, &input, &mut world.serial) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    apply_defaults(res.schema(), &mut rec);
    if let (Some((member, _)), Some(pid)) = (res.parent, pid) {
        rec.insert(member.into(), json!({ "id": pid }));
    }
    if let Err(resp) = fill(&world.store, res, &mut rec) {
        return resp;
    }
    if let Err(resp) = check_required(&world.store, res, &rec, None) {
        return resp;
    }
    let new_site = if res.table == "companies" {
        rec.remove("site")
    } else {
        None
    };
    let now = world.clock.rfc3339();
    stamp(&mut rec, &now, None);
    let id = world.store.insert(res.table, rec);
    if let Some(site) = new_site {
        let name = site
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("Main")
            .to_string();
        let site_id = insert_site(world, id, name, true);
        if let Some(mut c) = world.store.table_mut("companies").get_mut(id) {
            c.insert("site".into(), json!({ "id": site_id }));
        }
    }
    let v = render(
        &world.store,
        res,
        &world.store.get(res.table, id).expect("just inserted"),
        &ctx.api_base,
    );
    (StatusCode::CREATED, Json(v)).into_response()
}

pub(super) fn replace(
    state: AppState,
    ctx: RequestCtx,
    params: Params,
    body: Bytes,
    res: &'static Resource,
) -> Response {
    let input = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut world = state.world();
    let world = &mut *world;
    match existing(world, &params, res) {
        Ok(old) => store_input(world, res, &input, &old, &ctx),
        Err(r) => r,
    }
}

/// The stored record an item route names (checking it belongs to the parent in the path).
pub(super) fn existing(world: &World, params: &Params, res: &Resource) -> Result<Record, Response> {
    let id = item_id(params, res)?;
    let pid = parent_id(params, res)?;
    world
        .store
        .get(res.table, id)
        .filter(|r| belongs(r, res, pid))
        .ok_or_else(|| not_found(res, &id.to_string()))
}

/// Validates an input-shaped body as the new state of `old` (keeping its parent) and saves it.
pub(super) fn store_input(
    world: &mut World,
    res: &Resource,
    input: &Value,
    old: &Record,
    ctx: &RequestCtx,
) -> Response {
    let mut rec = match accept_input(&world.store, res, input, &mut world.serial) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    if let Some((member, _)) = res.parent {
        if let Some(p) = old.get(member) {
            rec.insert(member.into(), p.clone());
        }
    }
    rec.insert("id".into(), old.get("id").cloned().unwrap_or(Value::Null));
    save(world, res, rec, old, ctx)
}

pub(super) fn save(
    world: &mut World,
    res: &Resource,
    mut rec: Record,
    old: &Record,
    ctx: &RequestCtx,
) -> Response {
    let id = old.get("id").and_then(Value::as_i64).unwrap_or(0);
    if let Err(resp) = fill(&world.store, res, &mut rec) {
        return resp;
    }
    if let Err(resp) = check_required(&world.store, res, &rec, Some(id)) {
        return resp;
    }
    let now = world.clock.rfc3339();
    stamp(&mut rec, &now, old.get("_info"));
    rec.retain(|_, v| !v.is_null());
    if let Some(mut slot) = world.store.table_mut(res.table).get_mut(id) {
        *slot = rec;
    }
    let v = render(
        &world.store,
        res,
        &world.store.get(res.table, id).expect("exists"),
        &ctx.api_base,
    );
    Json(v).into_response()
}

pub(super) fn patch(
    state: AppState,
    ctx: RequestCtx,
    params: Params,
    body: Bytes,
    res: &'static Resource,
) -> Response {
    let input = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Value::Array(ops) = input else {
        return api_error(
            "Cannot deserialize the current JSON object into type 'List`1[PatchOperation]' because the type requires a JSON array.".into(),
        );
    };
    let mut world = state.world();
    let world = &mut *world;
    let old = match existing(world, &params, res) {
        Ok(old) => old,
        Err(r) => return r,
    };
    // Apply the operations to an input-shaped copy, then validate the whole record.
    let mut draft = old.clone();
    draft.remove("_info");
    draft.remove("id");
    if let Err(r) = apply_ops(&mut draft, &ops, res.schema(), res.type_name) {
        return r;
    }
    if let Some((member, _)) = res.parent {
        // The parent comes from the path; a value given for it must still be well typed.
        if let (Some(v), Some(m)) = (draft.remove(member), res.schema().member(member)) {
            if let Err(r) = check_value(&world.store, res.type_name, m, &v, member) {
                return refusal(res, r);
            }
        }
    }
    store_input(world, res, &Value::Object(draft), &old, &ctx)
}

pub(super) fn remove(state: AppState, params: Params, res: &'static Resource) -> Response {
    let mut world = state.world();
    match existing(&world, &params, res) {
        Ok(old) => {
            let id = old.get("id").and_then(Value::as_i64).unwrap_or_default();
            world.store.table_mut(res.table).remove(id);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(r) => r,
    }
}
