//! Tickets: the rules particular to them.

use super::super::*;
use super::schema::*;

/// A new ticket's number: `T<date>.<sequence>`, as Autotask numbers them.
pub(super) fn number_ticket(world: &World, rec: &mut Record) {
    let number = next_ticket_number(
        &world.store,
        TICKETS,
        "ticketNumber",
        &world.clock.rfc3339(),
    );
    rec.insert("ticketNumber".into(), Value::from(number));
}
