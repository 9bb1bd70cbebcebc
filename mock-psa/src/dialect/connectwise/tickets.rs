//! Service tickets and the board statuses they use.

use super::lookups::BOARDS;
use super::refs::{first_where, ref_id};
use super::schema::{Label, Resource};
use super::*;

/// Ticket statuses belong to a board (`/service/boards/{id}/statuses`).
pub(super) static BOARD_STATUSES: Resource = Resource {
    table: "board_statuses",
    object: "status",
    type_name: "BoardStatus",
    parent: Some(("board", &BOARDS)),
    fill: None,
    unique: &[],
    label: Label::Name,
};

/// Service tickets. The ticket number is the id; `contactName` and `closedFlag` follow the
/// contact and the status.
pub(super) static TICKETS: Resource = Resource {
    table: "tickets",
    object: "ticket",
    type_name: "Ticket",
    parent: None,
    fill: Some(ticket_fill),
    unique: &[],
    label: Label::Name,
};

/// A ticket's defaults and cross-checks: the first active board; a status of the ticket's
/// board (a status named on another board is taken by name from this one, as statuses are
/// per board), else the board's default; the default priority; a contact of the ticket's
/// company, whose name fills `contactName`; `closedFlag` from the status.
pub(super) fn ticket_fill(store: &Store, rec: &mut Record) -> Result<(), (&'static str, String)> {
    let flag = |r: &Record, k: &str| r.get(k) == Some(&Value::Bool(true));
    if ref_id(rec, "board").is_none() {
        let board = first_where(store, "boards", |b| !flag(b, "inactiveFlag"))
            .ok_or(("board", "There is no active board.".to_string()))?;
        rec.insert("board".into(), json!({ "id": board }));
    }
    let board = ref_id(rec, "board");
    let on_board = |s: &Record| ref_id(s, "board") == board;
    let status = match ref_id(rec, "status").and_then(|id| store.get("board_statuses", id)) {
        Some(s) if on_board(&s) => s.get("id").and_then(Value::as_i64),
        Some(s) => {
            let name = s.get("name").cloned();
            Some(
                first_where(store, "board_statuses", |o| {
                    on_board(o) && o.get("name") == name.as_ref()
                })
                .ok_or((
                    "status",
                    format!(
                        "status {} is not a status of the ticket's board",
                        name.unwrap_or_default()
                    ),
                ))?,
            )
        }
        None => first_where(store, "board_statuses", |o| {
            on_board(o) && flag(o, "defaultFlag")
        })
        .or_else(|| first_where(store, "board_statuses", on_board)),
    };
    if let Some(id) = status {
        rec.insert("status".into(), json!({ "id": id }));
        let closed = store
            .get("board_statuses", id)
            .is_some_and(|s| flag(&s, "closedStatus"));
        rec.insert("closedFlag".into(), json!(closed));
    }
    if ref_id(rec, "priority").is_none() {
        if let Some(p) = first_where(store, "priorities", |p| flag(p, "defaultFlag")) {
            rec.insert("priority".into(), json!({ "id": p }));
        }
    }
    rec.entry("recordType").or_insert(json!("ServiceTicket"));
    rec.remove("contactName");
    if let Some(contact) = ref_id(rec, "contact").and_then(|c| store.get("contacts", c)) {
        if ref_id(&contact, "company") != ref_id(rec, "company") {
            return Err((
                "contact",
                "The contact must belong to the ticket's company.".into(),
            ));
        }
        rec.insert("contactName".into(), json!(full_name(&contact)));
    }
    Ok(())
}
