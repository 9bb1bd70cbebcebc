//! Output DTOs as data. Each DTO is a list of (wire name, source) pairs, and a [`View`] of a
//! stored row serializes straight from the store: no `Value` is built on the way, so a list of
//! a hundred accounts costs its bytes, not thousands of small allocations. Slow paths that need
//! a tree (sorting, OData filters, V1's PascalCase) take [`View::to_value`].

use super::model::{with_schema_nulls, ACCOUNTS, CONTACTS, LOCATIONS, NULLS_LEFT_OUT, TENANT};
use super::wire::Schema;
use crate::render_cache::{to_json, RenderCache, ViewKey};
use crate::store::{Record, Store};
use bytes::Bytes;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::borrow::Cow;

/// An output DTO: its members in wire order.
pub type Dto = [(&'static str, Src)];

/// Where one output member's value comes from.
#[derive(Clone, Copy)]
pub enum Src {
    /// A stored member; null when absent.
    Member(&'static str),
    /// A stored member; `[]` when absent (nested lists an older row may lack).
    ListOr(&'static str),
    /// A stored boolean; false when absent.
    FlagOr(&'static str),
    Null,
    False,
    /// Member `field` of the row of `table` whose id the stored member `by` holds, or null.
    Ref {
        by: &'static str,
        table: &'static str,
        field: &'static str,
    },
    /// "First Last" of the contact whose id the stored member holds, or null.
    ContactName(&'static str),
    /// The tenant's name.
    TenantName,
    /// Member `field` of the default item (flagged `isDefault`, else the first) of the stored
    /// array `list` (a contact's e-mails or phones), or null.
    DefaultItem {
        list: &'static str,
        field: &'static str,
    },
    /// Each item of the stored array `list`: one marked [`NULLS_LEFT_OUT`] with the nulls of
    /// `schema` put back ([`with_schema_nulls`]), any other as stored; `[]` when absent.
    FilledItems {
        list: &'static str,
        lead: &'static [&'static str],
        schema: fn() -> &'static Schema,
    },
    /// Each item of the stored array `list`, shown as `item`; `[]` when absent.
    Items {
        list: &'static str,
        item: &'static Dto,
    },
    /// The rows `rows` finds for this one (an account's locations), each shown as `item`.
    Rows {
        rows: fn(&Store, &Record) -> Vec<Record>,
        item: &'static Dto,
    },
    /// Every member of a schema under its own name, in schema order (several members).
    Schema(fn() -> &'static Schema),
    /// Another DTO's members, inlined here (several members).
    Splice(&'static Dto),
    /// A value worked out on the spot, for the rare member no source above describes.
    Computed(fn(&Store, &Record) -> Value),
}

/// `id` and the audit members: the head of every main DTO.
pub const ID_AND_AUDIT: &Dto = &[
    ("id", Src::Member("id")),
    ("createdBy", Src::Member("createdBy")),
    ("createdOn", Src::Member("createdOn")),
    ("modifiedBy", Src::Member("modifiedBy")),
    ("modifiedOn", Src::Member("modifiedOn")),
];

/// The name of the account whose id the stored member holds.
pub const fn account_name(by: &'static str) -> Src {
    Src::Ref {
        by,
        table: ACCOUNTS,
        field: "accountName",
    }
}

/// The name of the location whose id the stored member holds.
pub const fn location_name(by: &'static str) -> Src {
    Src::Ref {
        by,
        table: LOCATIONS,
        field: "locationName",
    }
}

/// The `name` of the lookup row of `table` whose id the stored member holds.
pub const fn lookup_of(by: &'static str, table: &'static str) -> Src {
    Src::Ref {
        by,
        table,
        field: "name",
    }
}

/// One stored row seen through a DTO.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub store: &'a Store,
    pub rec: &'a Record,
    pub dto: &'static Dto,
}

impl<'a> View<'a> {
    pub fn new(store: &'a Store, rec: &'a Record, dto: &'static Dto) -> Self {
        View { store, rec, dto }
    }

    /// The DTO as a tree, for the paths that filter, sort or rename it.
    pub fn to_value(self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The key of rendering rows of `table` through `dto` (`render_cache`).
    pub fn key(dto: &'static Dto, table: &str) -> ViewKey {
        ViewKey::new(dto, table)
    }

    /// The wire bytes of row `id` of `table` through `dto`, kept while the store is unchanged
    /// (the row is read only when they are not).
    pub fn cached_bytes(
        renders: &mut RenderCache,
        store: &Store,
        table: &str,
        dto: &'static Dto,
        id: i64,
    ) -> Bytes {
        renders.bytes(store, Self::key(dto, table), id, || {
            let rec = store.get(table, id).unwrap_or_default();
            to_json(&View::new(store, &rec, dto))
        })
    }
}

const NULL: Value = Value::Null;

fn referenced(store: &Store, rec: &Record, by: &str, table: &str) -> Option<Record> {
    store.get(table, rec.get(by)?.as_i64()?)
}

/// The default item of the stored array `list`: flagged `isDefault`, else the first.
pub fn default_item<'r>(rec: &'r Record, list: &str) -> Option<&'r Value> {
    let items = rec.get(list)?.as_array()?;
    items
        .iter()
        .find(|v| v.get("isDefault") == Some(&Value::Bool(true)))
        .or_else(|| items.first())
}

/// Each item of the stored array `list` of `rec`, seen through `item`.
pub fn items<'a>(
    store: &'a Store,
    rec: &'a Record,
    list: &str,
    item: &'static Dto,
) -> Vec<View<'a>> {
    let items = rec.get(list).and_then(Value::as_array);
    items
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|r| View::new(store, r, item))
        .collect()
}

fn members<M: SerializeMap>(map: &mut M, v: &View<'_>, dto: &'static Dto) -> Result<(), M::Error> {
    let (store, rec) = (v.store, v.rec);
    for (name, src) in dto {
        match *src {
            Src::Member(m) => map.serialize_entry(name, rec.get(m).unwrap_or(&NULL))?,
            Src::ListOr(m) => match rec.get(m) {
                Some(list) => map.serialize_entry(name, list)?,
                None => map.serialize_entry(name, &[] as &[Value])?,
            },
            Src::FilledItems { list, lead, schema } => match rec.get(list) {
                Some(Value::Array(items)) => {
                    let schema = [schema()];
                    let filled: Vec<Cow<'_, Value>> = items
                        .iter()
                        .map(|item| match item.as_object() {
                            Some(o) if o.contains_key(NULLS_LEFT_OUT) => {
                                Cow::Owned(Value::Object(with_schema_nulls(o, lead, &schema)))
                            }
                            _ => Cow::Borrowed(item),
                        })
                        .collect();
                    map.serialize_entry(name, &filled)?
                }
                Some(other) => map.serialize_entry(name, other)?,
                None => map.serialize_entry(name, &[] as &[Value])?,
            },
            Src::FlagOr(m) => match rec.get(m) {
                Some(flag) => map.serialize_entry(name, flag)?,
                None => map.serialize_entry(name, &false)?,
            },
            Src::Null => map.serialize_entry(name, &NULL)?,
            Src::False => map.serialize_entry(name, &false)?,
            Src::Ref { by, table, field } => {
                let id = rec.get(by).and_then(Value::as_i64);
                let value = id.and_then(|id| store.value_at(table, id, field));
                map.serialize_entry(name, value.as_ref().unwrap_or(&NULL))?;
            }
            Src::ContactName(by) => match referenced(store, rec, by, CONTACTS) {
                Some(c) => map.serialize_entry(name, &crate::dialect::full_name(&c))?,
                None => map.serialize_entry(name, &NULL)?,
            },
            Src::TenantName => {
                let tenant = store.table(TENANT).and_then(|t| t.ids().next());
                let name_ = tenant.and_then(|id| store.value_at(TENANT, id, "name"));
                map.serialize_entry(name, name_.as_ref().unwrap_or(&NULL))?;
            }
            Src::DefaultItem { list, field } => {
                let value = default_item(rec, list).and_then(|d| d.get(field));
                map.serialize_entry(name, value.unwrap_or(&NULL))?;
            }
            Src::Items { list, item } => {
                map.serialize_entry(name, &items(store, rec, list, item))?
            }
            Src::Rows { rows, item } => {
                let rows = rows(store, rec);
                let views: Vec<View<'_>> = rows.iter().map(|r| View::new(store, r, item)).collect();
                map.serialize_entry(name, &views)?;
            }
            Src::Schema(schema) => {
                for (m, _) in schema() {
                    map.serialize_entry(m, rec.get(*m).unwrap_or(&NULL))?;
                }
            }
            Src::Splice(inner) => members(map, v, inner)?,
            Src::Computed(f) => map.serialize_entry(name, &f(store, rec))?,
        }
    }
    Ok(())
}

impl Serialize for View<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut map = ser.serialize_map(None)?;
        members(&mut map, self, self.dto)?;
        map.end()
    }
}
