//! Service-desk tickets and their notes (the Pulseway must-haves): the paged list with
//! `Filter.*`, `search` with a JSON body, create (PascalCase or camelCase, the full ticket in
//! `result`), get, PUT, JSON Patch, and notes.

use super::listing::{f, How, ListSpec, AUDITED};
use super::model::*;
use super::routes::{route, Ctx, Route};
use super::schema::{dto, schema_of};
use super::view::{account_name, location_name, lookup_of, Dto, Src, View, ID_AND_AUDIT};
use super::wire::*;
use crate::dialect::next_ticket_number;
use crate::state::World;
use crate::store::{Record, Store};
use axum::response::Response;
use serde_json::{json, Map, Value};

pub const ROUTES: &[Route] = &[
    route("GET", "servicedesk/tickets", list),
    route("POST", "servicedesk/tickets", post),
    route("POST", "servicedesk/tickets/search", search),
    route("GET", "servicedesk/tickets/{id}", get),
    route("PUT", "servicedesk/tickets/{id}", put),
    route("PATCH", "servicedesk/tickets/{id}", patch),
    route("GET", "servicedesk/tickets/{id}/notes", notes),
    route("POST", "servicedesk/tickets/{id}/notes", add_note),
];

pub const TICKET: Entity = Entity {
    table: TICKETS,
    label: "Ticket",
    dto: TICKET_DTO,
};

/// `TicketInputDto`'s members.
pub fn ticket_schema() -> &'static Schema {
    schema_of("TicketInputDto")
}

const LIST: ListSpec = ListSpec {
    table: TICKETS,
    filters: &[
        &[
            f("Ids", How::Ids("id")),
            f("AccountId", How::Int("accountId")),
            f("ContactId", How::Int("contactId")),
            f("StatusId", How::Int("statusId")),
            f("PriorityId", How::Int("priorityId")),
            f("QueueId", How::Int("queueId")),
            f("AssigneeId", How::Int("assigneeId")),
            f("Title", How::Text(&["title"])),
            f("TicketNumber", How::Text(&["ticketNumber"])),
            f("OpenDateFrom", How::From("openDate")),
            f("OpenDateTo", How::To("openDate")),
            // Choice: "completed" is the status named Completed.
            f(
                "ExcludeCompleted",
                How::ExcludeNamed("statusId", STATUSES, "Completed"),
            ),
        ],
        AUDITED,
    ],
    dto: TICKET_DTO,
};

fn list(c: &Ctx<'_>) -> R<Response> {
    c.list(&LIST, true, None)
}

/// `POST .../tickets/search`: `{pageSize, pageNumber, sort, filter: {...}}` read as the list's
/// query parameters.
fn search(c: &Ctx<'_>) -> R<Response> {
    let body = c.object()?;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut pairs = Vec::new();
    for (k, v) in &body {
        if k.eq_ignore_ascii_case("filter") {
            let Value::Object(filters) = v else {
                if v.is_null() {
                    continue;
                }
                return Err(ApiErr::bad("filter must be an object"));
            };
            for (fk, fv) in filters {
                let name = format!("Filter.{fk}");
                match fv {
                    Value::Array(items) => {
                        pairs.extend(items.iter().map(|i| (name.clone(), text(i))))
                    }
                    Value::Null => {}
                    other => pairs.push((name, text(other))),
                }
            }
        } else if !v.is_null() {
            pairs.push((k.clone(), text(v)));
        }
    }
    let q = c.with_query(Query::from_pairs(pairs));
    q.list(&LIST, true, None)
}

fn post(c: &Ctx<'_>) -> R<Response> {
    let body = c.object()?;
    c.write(&TICKET, |w| create_ticket(w, &body))
}

fn get(c: &Ctx<'_>) -> R<Response> {
    c.show(&TICKET, c.id(0, TICKET.label)?)
}

fn put(c: &Ctx<'_>) -> R<Response> {
    c.replace(&TICKET, ticket_schema(), check_ticket)
}

fn patch(c: &Ctx<'_>) -> R<Response> {
    c.patch(&TICKET, ticket_schema(), &[], check_ticket)
}

pub(super) fn check_ticket(store: &Store, rec: &Record) -> R<()> {
    let input = dto("TicketInputDto");
    let mut errs = Vec::new();
    require(rec, input.required(), &mut errs);
    check(errs)?;
    let mut errs = Vec::new();
    let account = int_of(rec, "accountId");
    if !account.is_some_and(|a| store.contains(ACCOUNTS, a)) {
        errs.push(format!("AccountId {} does not exist", account.unwrap_or(0)));
    }
    if let Some(l) = int_of(rec, "locationId") {
        if store
            .get(LOCATIONS, l)
            .is_none_or(|loc| int_of(&loc, "accountId") != account)
        {
            errs.push(format!("LocationId {l} is not a location of the account"));
        }
    }
    if let Some(k) = int_of(rec, "contactId") {
        if store
            .get(CONTACTS, k)
            .is_none_or(|c| int_of(&c, "accountId") != account)
        {
            errs.push(format!("ContactId {k} is not a contact of the account"));
        }
    }
    input.check_refs(store, rec, &mut errs);
    check(errs)
}

pub(super) fn create_ticket(world: &mut World, body: &Map<String, Value>) -> R<i64> {
    let mut errs = Vec::new();
    let input = read_schema(body, ticket_schema(), "", &mut errs);
    check(errs)?;
    let mut rec = Record::new();
    // Choice: ticket numbers are `T<open date>.<sequence of that day>`, as BMS shows them.
    let open = input.get("openDate").and_then(Value::as_str).unwrap_or("");
    let number = next_ticket_number(&world.store, TICKETS, "ticketNumber", open);
    rec.insert("ticketNumber".into(), json!(number));
    rec.extend(schema_members(&input, ticket_schema()));
    dto("TicketInputDto").apply_defaults(&mut rec);
    check_ticket(&world.store, &rec)?;
    let now = world.clock.rfc3339();
    audit_new(&mut rec, &now);
    Ok(world.store.insert(TICKETS, rec))
}

/// `TicketOutputDto`: the input members, the names beside their ids, the audit first.
const TICKET_DTO: &Dto = &[
    ("", Src::Splice(ID_AND_AUDIT)),
    ("ticketNumber", Src::Member("ticketNumber")),
    ("", Src::Schema(ticket_schema)),
    ("statusName", lookup_of("statusId", STATUSES)),
    ("priorityName", lookup_of("priorityId", PRIORITIES)),
    ("typeName", lookup_of("typeId", ISSUE_TYPES)),
    ("issueTypeName", lookup_of("issueTypeId", ISSUE_TYPES)),
    (
        "subIssueTypeName",
        lookup_of("subIssueTypeId", ISSUE_SUBTYPES),
    ),
    ("sourceName", lookup_of("sourceId", SOURCES)),
    ("queueName", lookup_of("queueId", QUEUES)),
    ("assigneeName", lookup_of("assigneeId", EMPLOYEES)),
    ("accountName", account_name("accountId")),
    ("locationName", location_name("locationId")),
    ("contactName", Src::ContactName("contactId")),
];

// ---------------------------------------------------------------------------------------------
// Notes.

const NOTE_DTO: &Dto = &[
    ("id", Src::Member("id")),
    ("ticketId", Src::Member("ticketId")),
    ("details", Src::Member("details")),
    ("isInternal", Src::Member("isInternal")),
    ("typeName", Src::Computed(note_type)),
    ("createdByName", Src::Member("createdBy")),
    ("createdByEmail", Src::Computed(author_email)),
    ("createdOn", Src::Member("createdOn")),
    ("modifiedOn", Src::Member("modifiedOn")),
];

fn note_type(_: &Store, n: &Record) -> Value {
    let internal = n.get("isInternal") == Some(&Value::Bool(true));
    json!(if internal {
        "Internal Note"
    } else {
        "Public Note"
    })
}

/// The e-mail of the employee who wrote the note.
fn author_email(store: &Store, n: &Record) -> Value {
    store
        .rows(EMPLOYEES)
        .find(|e| e.get("name") == n.get("createdBy"))
        .map(|e| member(&e, "emailAddress"))
        .unwrap_or(Value::Null)
}

fn notes(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, TICKET.label)?;
    let w = c.world();
    TICKET.get(&w.store, id)?;
    let notes: Vec<Record> = w
        .store
        .rows_where(TICKET_NOTES, "ticketId", &Value::from(id))
        .collect();
    let views: Vec<View<'_>> = notes
        .iter()
        .map(|n| View::new(&w.store, n, NOTE_DTO))
        .collect();
    Ok(c.ok(views))
}

/// `{Details, IsInternal}`; the answer is the saved note.
fn add_note(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, TICKET.label)?;
    let body = c.object()?;
    let mut w = c.world();
    TICKET.get(&w.store, id)?;
    let mut errs = Vec::new();
    let input = read_schema(
        &body,
        &[("details", Ty::Str), ("isInternal", Ty::Bool)],
        "",
        &mut errs,
    );
    require(&input, &["details"], &mut errs);
    check(errs)?;
    let mut rec = Record::new();
    rec.insert("ticketId".into(), json!(id));
    rec.insert("details".into(), member(&input, "details"));
    rec.insert("isInternal".into(), json!(is_true(&input, "isInternal")));
    let now = w.clock.rfc3339();
    audit_new(&mut rec, &now);
    let nid = w.store.insert(TICKET_NOTES, rec);
    let saved = w.store.get(TICKET_NOTES, nid).unwrap_or_default();
    Ok(c.ok(View::new(&w.store, &saved, NOTE_DTO)))
}
