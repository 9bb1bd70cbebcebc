//! Configuration items and products: a product per manufacturer and model.

use super::super::*;
use super::schema::*;
use super::values::*;
use super::writes::*;
use serde_json::json;

/// A product with this manufacturer and model, created when none exists. Neither given: the
/// seeded generic product with no manufacturer.
pub(super) fn product_for(
    world: &mut World,
    manufacturer: Option<&str>,
    model: Option<&str>,
) -> Result<i64, String> {
    let same = |a: Option<&str>, b: Option<&str>| match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => false,
    };
    let matches = |r: &Record| {
        same(str_of(r, "manufacturerName"), manufacturer)
            && same(str_of(r, "manufacturerProductName"), model)
    };
    let store = &world.store;
    // Through the index on the model (else the maker); neither given is the generic product,
    // seeded first, so the scan stops at once.
    let found = match model
        .map(|m| ("manufacturerProductName", m))
        .or(manufacturer.map(|m| ("manufacturerName", m)))
    {
        Some((member, value)) => store
            .ids_with_text(PRODUCTS, member, value, true)
            .into_iter()
            .find(|id| store.get(PRODUCTS, *id).is_some_and(|r| matches(&r))),
        None => store
            .rows(PRODUCTS)
            .find(|r| matches(r))
            .and_then(|r| int(&r, "id")),
    };
    if let Some(id) = found {
        return Ok(id);
    }
    let name = [manufacturer, model]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let mut rec = row(
        json!({"name": name, "isActive": true, "isSerialized": false,
                             "productBillingCodeID": HARDWARE_BILLING_CODE}),
    );
    put(&mut rec, "manufacturerName", manufacturer.map(Value::from));
    put(&mut rec, "manufacturerProductName", model.map(Value::from));
    create_rec(world, entity(PRODUCTS), rec, None)
}
