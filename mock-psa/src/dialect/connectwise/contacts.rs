//! Contacts and their communication items, also served as
//! `/company/contacts/{id}/communications` (the items live inside the contact, so both views
//! always agree).

#![allow(clippy::result_large_err)]

use super::input::{apply_defaults, check_object, check_value, Refusal};
use super::listing::{build_filter, project, ListQuery};
use super::schema::{type_schema, Label, Resource};
use super::wire::{api_error, apply_ops, envelope, not_found, parse_body, stamp};
use super::*;

pub(super) static CONTACTS: Resource = Resource {
    table: "contacts",
    object: "contact",
    type_name: "Contact",
    parent: None,
    fill: None,
    unique: &[],
    label: Label::Name,
};

pub(super) fn render_communication(store: &Store, item: &Value) -> Value {
    let mut out = item.as_object().cloned().unwrap_or_default();
    if let Some(tid) = item
        .get("type")
        .and_then(|t| t.get("id"))
        .and_then(Value::as_i64)
    {
        if let Some(t) = store.get("communication_types", tid) {
            out.insert(
                "type".into(),
                json!({ "id": tid, "name": t.get("description").cloned().unwrap_or(Value::Null) }),
            );
            let kind = if t.get("emailFlag") == Some(&Value::Bool(true)) {
                "Email"
            } else if t.get("faxFlag") == Some(&Value::Bool(true)) {
                "Fax"
            } else {
                "Phone"
            };
            out.insert("communicationType".into(), json!(kind));
        }
    }
    Value::Object(out)
}

/// A contact's `communicationItems`: each item checked against the description's
/// `ContactCommunicationItem`, needing a type and a value; items sent back with their id (PUT,
/// or a PATCH of the whole contact) keep it, new ones get the next serial.
pub(super) fn accept_communications(
    store: &Store,
    v: &Value,
    serial: &mut u64,
) -> Result<Value, Refusal> {
    let member = CONTACTS
        .schema()
        .member("communicationItems")
        .expect("Contact has communicationItems");
    let Value::Array(items) = check_value(store, "Contact", member, v, "communicationItems")?
    else {
        return Ok(Value::Null);
    };
    let item_schema = type_schema("ContactCommunicationItem");
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(mut stored) = item else {
            continue;
        };
        for f in ["type", "value"] {
            if stored.get(f).is_none() {
                return Err(Refusal::Field(
                    "communicationItems".into(),
                    format!("communication item {f} is required"),
                ));
            }
        }
        let id = match stored.get("id").and_then(Value::as_i64) {
            Some(id) if id > 0 => id,
            _ => {
                *serial += 1;
                *serial as i64
            }
        };
        apply_defaults(item_schema, &mut stored);
        // Stored in one fixed order (id first), whatever order the body used.
        let mut ordered = Map::new();
        ordered.insert("id".into(), Value::from(id));
        for k in ["type", "value", "extension", "domain", "defaultFlag"] {
            if let Some(v) = stored.remove(k) {
                ordered.insert(k.into(), v);
            }
        }
        ordered.extend(stored.into_iter().filter(|(k, _)| k != "id"));
        out.push(Value::Object(ordered));
    }
    Ok(Value::Array(out))
}

// ---------------------------------------------------------------------------------------------
// Contact communications (`/company/contacts/{id}/communications`): the items live inside the
// contact's `communicationItems`, so both views always agree.

pub(super) fn communication_error(field: &str, code: &str, message: String) -> Response {
    envelope(
        StatusCode::BAD_REQUEST,
        "InvalidObject",
        "contactCommunication object is invalid",
        json!([{ "code": code, "message": message, "resource": "contactCommunication", "field": field }]),
    )
}

/// Reads one communication item body: the description's `ContactCommunication` members
/// (`communicationType`, `contactId` and `mobileGuid` are derived and dropped), required
/// `type` and `value`.
pub(super) fn accept_communication(
    store: &Store,
    body: &Value,
) -> Result<Map<String, Value>, Response> {
    const TYPE: &str = "ContactCommunication";
    let Value::Object(input) = body else {
        return Err(api_error(format!(
            "Cannot deserialize the current JSON value into type '{TYPE}' because the type requires a JSON object."
        )));
    };
    let schema = type_schema(TYPE);
    let mut item = check_object(store, TYPE, schema, input, "").map_err(|r| match r {
        Refusal::Convert(msg) => api_error(msg),
        Refusal::Field(f, msg) => communication_error(&f, "InvalidField", msg),
    })?;
    for f in schema.members.iter().filter(|m| m.required) {
        let missing = match item.get(&f.name) {
            None => true,
            Some(Value::String(t)) => t.trim().is_empty(),
            _ => false,
        };
        if missing {
            return Err(communication_error(
                &f.name,
                "MissingRequiredField",
                format!("The field {} is required.", f.name),
            ));
        }
    }
    apply_defaults(schema, &mut item);
    Ok(item)
}

/// The flag (`emailFlag`, `phoneFlag`, `faxFlag`) of an item's communication type.
pub(super) fn kind_flag(store: &Store, item: &Value) -> Option<&'static str> {
    let tid = item.get("type")?.get("id")?.as_i64()?;
    let t = store.get("communication_types", tid)?;
    ["emailFlag", "faxFlag", "phoneFlag"]
        .into_iter()
        .find(|f| t.get(*f) == Some(&Value::Bool(true)))
}

/// One default per kind: a new default e-mail clears the other e-mail defaults.
pub(super) fn keep_one_default(store: &Store, items: &mut [Value], chosen: i64) {
    let Some(pos) = items
        .iter()
        .position(|i| i.get("id").and_then(Value::as_i64) == Some(chosen))
    else {
        return;
    };
    if items[pos].get("defaultFlag") != Some(&Value::Bool(true)) {
        return;
    }
    let flag = kind_flag(store, &items[pos]);
    for (i, item) in items.iter_mut().enumerate() {
        if i != pos && kind_flag(store, item) == flag {
            if let Some(o) = item.as_object_mut() {
                o.insert("defaultFlag".into(), Value::Bool(false));
            }
        }
    }
}

pub(super) fn render_contact_communication(
    store: &Store,
    contact: i64,
    item: &Value,
    api_base: &str,
) -> Value {
    let mut out = render_communication(store, item)
        .as_object()
        .cloned()
        .unwrap_or_default();
    if let Some(tid) = item
        .get("type")
        .and_then(|t| t.get("id"))
        .and_then(Value::as_i64)
    {
        if let Some(Value::Object(t)) = out.get_mut("type") {
            t.insert(
                "_info".into(),
                json!({ "type_href": format!("{api_base}/company/communicationTypes/{tid}") }),
            );
        }
    }
    out.insert("contactId".into(), Value::from(contact));
    out.insert(
        "_info".into(),
        json!({ "contact_href": format!("{api_base}/company/contacts/{contact}") }),
    );
    out.retain(|_, v| !v.is_null());
    Value::Object(out)
}

/// The contact a communications route names, or the 404 envelope.
pub(super) fn comm_contact(world: &World, params: &Params) -> Result<(i64, Record), Response> {
    let raw = params.get("pid").map(String::as_str).unwrap_or("");
    let id: i64 = raw.parse().map_err(|_| not_found(&CONTACTS, raw))?;
    world
        .store
        .get("contacts", id)
        .map(|r| (id, r))
        .ok_or_else(|| not_found(&CONTACTS, &id.to_string()))
}

pub(super) fn comm_items(contact: &Record) -> Vec<Value> {
    contact
        .get("communicationItems")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

pub(super) fn comm_not_found(id: &str) -> Response {
    envelope(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("ContactCommunication with id {id} was not found."),
        Value::Null,
    )
}

/// Saves a contact's items (stamping the contact) and answers `status` with item `item_id`.
pub(super) fn save_items(
    world: &mut World,
    contact: i64,
    mut items: Vec<Value>,
    item_id: i64,
    status: StatusCode,
    api_base: &str,
) -> Response {
    keep_one_default(&world.store, &mut items, item_id);
    let now = world.clock.rfc3339();
    let Some(mut rec) = world.store.table_mut("contacts").get_mut(contact) else {
        return not_found(&CONTACTS, &contact.to_string());
    };
    let old_info = rec.get("_info").cloned();
    rec.insert("communicationItems".into(), Value::Array(items.clone()));
    stamp(&mut rec, &now, old_info.as_ref());
    drop(rec);
    match items
        .iter()
        .find(|i| i.get("id").and_then(Value::as_i64) == Some(item_id))
    {
        Some(item) => (
            status,
            Json(render_contact_communication(
                &world.store,
                contact,
                item,
                api_base,
            )),
        )
            .into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

pub(super) fn comm_list(
    state: AppState,
    ctx: RequestCtx,
    params: Params,
    query: Option<&str>,
    count_only: bool,
) -> Response {
    let q = ListQuery::parse(query);
    let world = state.world();
    let (cid, contact) = match comm_contact(&world, &params) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let filter = match build_filter(&q) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let rendered: Vec<Value> = comm_items(&contact)
        .iter()
        .map(|i| render_contact_communication(&world.store, cid, i, &ctx.api_base))
        .filter(|v| filter.as_ref().is_none_or(|f| f(v)))
        .collect();
    if count_only {
        return Json(json!({ "count": rendered.len() })).into_response();
    }
    let page_size = match q.get("pagesize").map(str::parse::<usize>) {
        None => 25,
        Some(Ok(n)) if n >= 1 => n.min(1000),
        Some(_) => return api_error("pageSize must be a positive whole number".into()),
    };
    let page = match q.get("page").map(str::parse::<usize>) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return api_error("page must be a positive whole number".into()),
    };
    let rows: Vec<Value> = rendered
        .into_iter()
        .skip((page - 1).saturating_mul(page_size))
        .take(page_size)
        .map(|v| match q.get("fields") {
            Some(f) => project(&v, f),
            None => v,
        })
        .collect();
    Json(Value::Array(rows)).into_response()
}

pub(super) fn comm_get(state: AppState, ctx: RequestCtx, params: Params) -> Response {
    let world = state.world();
    let (cid, contact) = match comm_contact(&world, &params) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let raw = params.get("id").map(String::as_str).unwrap_or("");
    let id = raw.parse::<i64>().ok();
    match comm_items(&contact)
        .iter()
        .find(|i| id.is_some() && i.get("id").and_then(Value::as_i64) == id)
    {
        Some(item) => Json(render_contact_communication(
            &world.store,
            cid,
            item,
            &ctx.api_base,
        ))
        .into_response(),
        None => comm_not_found(raw),
    }
}

pub(super) fn comm_create(
    state: AppState,
    ctx: RequestCtx,
    params: Params,
    body: Bytes,
) -> Response {
    let input = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut world = state.world();
    let world = &mut *world;
    let (cid, contact) = match comm_contact(world, &params) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut item = match accept_communication(&world.store, &input) {
        Ok(i) => i,
        Err(r) => return r,
    };
    world.serial += 1;
    let id = world.serial as i64;
    item.insert("id".into(), Value::from(id));
    let mut items = comm_items(&contact);
    items.push(Value::Object(item));
    save_items(world, cid, items, id, StatusCode::CREATED, &ctx.api_base)
}

pub(super) fn comm_write(
    state: AppState,
    ctx: RequestCtx,
    params: Params,
    method: http::Method,
    body: Bytes,
) -> Response {
    let mut world = state.world();
    let world = &mut *world;
    let (cid, contact) = match comm_contact(world, &params) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let raw = params.get("id").map(String::as_str).unwrap_or("");
    let mut items = comm_items(&contact);
    let Some(pos) = raw.parse::<i64>().ok().and_then(|id| {
        items
            .iter()
            .position(|i| i.get("id").and_then(Value::as_i64) == Some(id))
    }) else {
        return comm_not_found(raw);
    };
    let id = items[pos].get("id").and_then(Value::as_i64).unwrap_or(0);
    if method == http::Method::DELETE {
        items.remove(pos);
        return save_items(world, cid, items, id, StatusCode::NO_CONTENT, &ctx.api_base);
    }
    let input = match parse_body(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let draft = if method == http::Method::PATCH {
        let Value::Array(ops) = input else {
            return api_error(
                "Cannot deserialize the current JSON object into type 'List`1[PatchOperation]' because the type requires a JSON array.".into(),
            );
        };
        let mut draft = items[pos].as_object().cloned().unwrap_or_default();
        draft.remove("id");
        if let Err(r) = apply_ops(
            &mut draft,
            &ops,
            type_schema("ContactCommunication"),
            "ContactCommunication",
        ) {
            return r;
        }
        Value::Object(draft)
    } else {
        input
    };
    let mut item = match accept_communication(&world.store, &draft) {
        Ok(i) => i,
        Err(r) => return r,
    };
    item.insert("id".into(), Value::from(id));
    items[pos] = Value::Object(item);
    save_items(world, cid, items, id, StatusCode::OK, &ctx.api_base)
}

/// A contact's communication items as a collection of their own.
pub(super) const COMMUNICATIONS_ROUTE: &str = "/company/contacts/{pid}/communications";
