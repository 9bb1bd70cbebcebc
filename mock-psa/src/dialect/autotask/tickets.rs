//! Tickets: the rules particular to them.

use super::super::*;
use super::schema::*;

/// A new ticket's number: `T<YYYYMMDD>.<nnnn>`, as Autotask numbers them.
pub(super) fn number_ticket(world: &World, rec: &mut Record) {
    let number = next_ticket_number(
        &world.store,
        TICKETS,
        "ticketNumber",
        &world.clock.rfc3339(),
    );
    rec.insert("ticketNumber".into(), Value::from(number));
}

/// What Autotask derives from an attachment's content: its size in bytes (of the base64
/// `data`) and a content type from the file name's extension.
pub(super) fn describe_attachment(rec: &mut Record) -> Result<(), String> {
    let data = rec.get("data").and_then(Value::as_str).unwrap_or("");
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/');
    let body = data.trim_end_matches('=');
    if !data.len().is_multiple_of(4) || data.len() - body.len() > 2 || !body.bytes().all(alphabet) {
        return Err("The attachment data is not valid base64.".into());
    }
    let size = (data.len() / 4 * 3).saturating_sub(data.len() - body.len());
    rec.insert("fileSize".into(), Value::from(size as f64));
    let name = rec
        .get("fullPath")
        .or_else(|| rec.get("title"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let ext = name.rsplit_once('.').map(|(_, x)| x.to_ascii_lowercase());
    let content_type = match ext.as_deref() {
        Some("txt" | "log") => "text/plain",
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("json") => "application/json",
        Some("csv") => "text/csv",
        _ => "application/octet-stream",
    };
    rec.insert("contentType".into(), Value::from(content_type));
    // Attachments under Tickets/{id}/Attachments are ticket attachments, never task ones.
    rec.insert("isTaskAttachment".into(), Value::Bool(false));
    Ok(())
}
