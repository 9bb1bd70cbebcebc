//! Every list route in one shape: filters declared as data (`Filter.*` for V2, OData
//! `$filter` for V1), a sort (`Sort` / `$orderby`), and a page (`PageNumber`/`PageSize` or
//! `$skip`/`$top`) with the configured default and cap.

use super::view::{Dto, View};
use super::wire::{ApiErr, Query, R};
use crate::clock::parse_rfc3339;
use crate::dialect::get_ci;
use crate::state::Settings;
use crate::store::{Fields, Store, StoredRow};
use serde_json::Value;
use std::cmp::Ordering;

/// How one `Filter.<Param>` matches a stored row (members are the stored camelCase names).
#[derive(Clone, Copy)]
pub enum How {
    /// Case-insensitive substring of these members joined by a space.
    Text(&'static [&'static str]),
    /// Integer equality.
    Int(&'static str),
    /// Boolean equality; an absent member is false.
    Bool(&'static str),
    /// An id, or the name of a row of the lookup table (`Filter.AccountTypeId=Customer`).
    IdOrName(&'static str, &'static str),
    /// The member is one of the (repeated or comma-separated) ids.
    Ids(&'static str),
    /// The id differs.
    NotId,
    /// Member time at or after / at or before the parameter (a date alone means its whole day).
    From(&'static str),
    To(&'static str),
    /// Case-insensitive substring / equality of `inner` on any item of the array `list`.
    AnyText(&'static str, &'static str),
    AnyExact(&'static str, &'static str),
    /// Substring of the referenced row's members (`member` holds its id in `table`).
    RefText(&'static str, &'static str, &'static [&'static str]),
    /// Inactive rows are left out unless the parameter is true.
    InactiveUnless(&'static str),
    /// Accepted and checked as a boolean, but it changes nothing (a security scope the mock
    /// does not model).
    IgnoredBool,
    /// When true, rows whose `member` names the lookup row called `name` in `table` are left
    /// out (`Filter.ExcludeCompleted`).
    ExcludeNamed(&'static str, &'static str, &'static str),
}

pub struct Filter {
    pub param: &'static str,
    pub how: How,
}

pub const fn f(param: &'static str, how: How) -> Filter {
    Filter { param, how }
}

/// The creation, modification and activity filters of the main lists.
pub const AUDITED: &[Filter] = &[
    f("CreatedOnFrom", How::From("createdOn")),
    f("CreatedOnTo", How::To("createdOn")),
    f("ModifiedOnFrom", How::From("modifiedOn")),
    f("ModifiedOnTo", How::To("modifiedOn")),
    f("IsActive", How::Bool("isActive")),
];

/// A predicate over a row's members (a compiled filter), read from the stored bytes.
pub type Pred = Box<dyn Fn(&dyn Fields) -> bool>;

fn int_field(r: &dyn Fields, m: &str) -> Option<i64> {
    r.field(m).and_then(|v| v.as_i64())
}

/// A list limited to the rows whose integer `member` is `id` (an account's contacts).
#[derive(Clone, Copy)]
pub struct Scope {
    pub member: &'static str,
    pub id: i64,
}

fn text_of(r: &dyn Fields, members: &[&str]) -> String {
    let values: Vec<_> = members.iter().filter_map(|m| r.field(m)).collect();
    let texts: Vec<&str> = values.iter().filter_map(|v| v.as_str()).collect();
    texts.join(" ").to_lowercase()
}

fn time_param(name: &str, v: &str, end_of_day: bool) -> R<i64> {
    let t = parse_rfc3339(v)
        .ok_or_else(|| ApiErr::bad(format!("{name} must be a date or date-time, got `{v}`")))?;
    let date_only = !v.contains(['T', ' ']);
    Ok(if end_of_day && date_only {
        t + 86_399
    } else {
        t
    })
}

fn time_of(r: &dyn Fields, member: &str) -> Option<i64> {
    r.field(member)
        .as_deref()
        .and_then(Value::as_str)
        .and_then(parse_rfc3339)
}

/// Turns the `Filter.*` parameters present into predicates over stored rows.
fn compile(store: &Store, q: &Query, filters: &[&[Filter]]) -> R<Vec<Pred>> {
    let mut preds: Vec<Pred> = Vec::new();
    for fl in filters.iter().flat_map(|g| g.iter()) {
        let name = format!("Filter.{}", fl.param);
        if let How::InactiveUnless(m) = fl.how {
            if q.boolean(&name)? != Some(true) {
                preds.push(Box::new(move |r| {
                    r.field(m).as_deref() != Some(&Value::Bool(false))
                }));
            }
            continue;
        }
        if let How::Ids(m) = fl.how {
            let ids = q.ints(&name)?;
            if !ids.is_empty() {
                preds.push(Box::new(move |r| {
                    int_field(r, m).is_some_and(|v| ids.contains(&v))
                }));
            }
            continue;
        }
        let Some(raw) = q.get(&name) else { continue };
        let needle = raw.trim().to_lowercase();
        let pred: Pred = match fl.how {
            How::Text(ms) => Box::new(move |r| text_of(r, ms).contains(&needle)),
            How::Int(m) => {
                let want = q.int(&name)?;
                Box::new(move |r| int_field(r, m) == want)
            }
            How::NotId => {
                let not = q.int(&name)?;
                Box::new(move |r| int_field(r, "id") != not)
            }
            How::Bool(m) => {
                let want = q.boolean(&name)?.unwrap_or(false);
                Box::new(move |r| r.field(m).and_then(|v| v.as_bool()).unwrap_or(false) == want)
            }
            How::IgnoredBool => {
                q.boolean(&name)?;
                continue;
            }
            How::ExcludeNamed(m, table, row_name) => {
                if q.boolean(&name)? != Some(true) {
                    continue;
                }
                let hidden = store.find_id_by(table, "name", row_name);
                Box::new(move |r| hidden.is_none() || int_field(r, m) != hidden)
            }
            How::IdOrName(m, table) => {
                let want = match raw.trim().parse::<i64>() {
                    Ok(i) => Some(i),
                    Err(_) => store.find_id_by(table, "name", raw.trim()),
                };
                Box::new(move |r| want.is_some() && int_field(r, m) == want)
            }
            How::From(m) => {
                let t = time_param(&name, raw, false)?;
                Box::new(move |r| time_of(r, m).is_some_and(|v| v >= t))
            }
            How::To(m) => {
                let t = time_param(&name, raw, true)?;
                Box::new(move |r| time_of(r, m).is_some_and(|v| v <= t))
            }
            How::AnyText(list, inner) | How::AnyExact(list, inner) => {
                let exact = matches!(fl.how, How::AnyExact(..));
                Box::new(move |r| {
                    let items = r.field(list);
                    items
                        .as_deref()
                        .and_then(Value::as_array)
                        .is_some_and(|items| {
                            items.iter().any(|it| {
                                let v = it
                                    .get(inner)
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_lowercase();
                                if exact {
                                    v == needle
                                } else {
                                    v.contains(&needle)
                                }
                            })
                        })
                })
            }
            How::RefText(m, table, names) => {
                // Resolve the matching referenced ids once, not per row.
                let ids: Vec<i64> = store
                    .rows(table)
                    .filter(|t| text_of(t, names).contains(&needle))
                    .filter_map(|t| t.get("id").and_then(Value::as_i64))
                    .collect();
                Box::new(move |r| int_field(r, m).is_some_and(|v| ids.contains(&v)))
            }
            How::InactiveUnless(_) | How::Ids(_) => continue,
        };
        preds.push(pred);
    }
    Ok(preds)
}

// ---------------------------------------------------------------------------------------------
// Sort.

/// The most sort keys one `Sort` / `$orderby` may name.
pub const MAX_SORT_KEYS: usize = 16;

pub struct SortKey {
    member: String,
    desc: bool,
}

/// `Sort` / `$orderby`: comma-separated keys, each `member`, `member asc|desc`, `-member`
/// (descending) or `+member`; member names are output names in any case.
pub fn parse_sort(param: &str, raw: Option<&str>) -> R<Vec<SortKey>> {
    let mut keys = Vec::new();
    for part in raw
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (part, mut desc) = match part.strip_prefix('-') {
            Some(rest) => (rest, true),
            None => (part.strip_prefix('+').unwrap_or(part), false),
        };
        let mut words = part.split_whitespace();
        let member = words.next().unwrap_or("").to_string();
        match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => {}
            Some("desc") => desc = true,
            Some(other) => {
                return Err(ApiErr::bad(format!(
                    "{param}: `{other}` is not a direction (use asc or desc)"
                )))
            }
        }
        if words.next().is_some() || member.is_empty() {
            return Err(ApiErr::bad(format!("{param}: cannot read `{part}`")));
        }
        keys.push(SortKey { member, desc });
        // Each key costs a comparison per pair of rows: a hostile list is refused, not run.
        if keys.len() > MAX_SORT_KEYS {
            return Err(ApiErr::bad(format!(
                "{param}: more than {MAX_SORT_KEYS} sort keys"
            )));
        }
    }
    Ok(keys)
}

/// Orders JSON values: null, then booleans, numbers, and strings (case-insensitively).
pub fn cmp_values(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            _ => 4,
        }
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Sorts projected rows (stable: ties keep id order). A key that names no member of the
/// output is a 400.
fn sort_rows(param: &str, rows: &mut [Value], keys: &[SortKey]) -> R<()> {
    if let Some(Value::Object(first)) = rows.first() {
        if let Some(k) = keys.iter().find(|k| get_ci(first, &k.member).is_none()) {
            return Err(ApiErr::bad(format!(
                "{param}: `{}` is not a member of the result",
                k.member
            )));
        }
    }
    let field = |v: &Value, m: &str| {
        v.as_object()
            .and_then(|o| get_ci(o, m))
            .cloned()
            .unwrap_or(Value::Null)
    };
    rows.sort_by(|a, b| {
        keys.iter()
            .map(|k| {
                let o = cmp_values(&field(a, &k.member), &field(b, &k.member));
                if k.desc {
                    o.reverse()
                } else {
                    o
                }
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Paging and the list itself.

/// A window of the matching rows.
#[derive(Clone, Copy)]
pub struct Window {
    pub offset: usize,
    pub size: usize,
}

impl Window {
    /// `PageNumber` (1-based, <= 0 is 1) and `PageSize` (absent or <= 0: the default; above
    /// the cap: the cap).
    pub fn v2(q: &Query, s: &Settings) -> R<Window> {
        let max = s.bms_max_page_size.max(1);
        let size = match q.int("PageSize")? {
            Some(n) if n > 0 => (n as u64).min(max),
            _ => s.bms_default_page_size.clamp(1, max),
        };
        let number = q.int("PageNumber")?.unwrap_or(1).max(1) as u64;
        Ok(Window::of((number - 1).saturating_mul(size), size))
    }

    /// OData `$skip` and `$top` (default and cap as `PageSize`); negative values are a 400.
    pub fn v1(q: &Query, s: &Settings) -> R<Window> {
        let max = s.bms_max_page_size.max(1);
        let top = q.int("$top")?;
        let skip = q.int("$skip")?.unwrap_or(0);
        if top.is_some_and(|t| t < 0) || skip < 0 {
            return Err(ApiErr::bad("$top and $skip must not be negative"));
        }
        let size = top.map(|t| (t as u64).min(max)).unwrap_or(max);
        Ok(Window::of(skip as u64, size))
    }

    fn of(offset: u64, size: u64) -> Window {
        Window {
            offset: usize::try_from(offset).unwrap_or(usize::MAX),
            size: usize::try_from(size).unwrap_or(usize::MAX),
        }
    }
}

/// What a list route shows: its table, its `Filter.*` parameters and its row DTO.
pub struct ListSpec {
    pub table: &'static str,
    /// Groups of filters (a route's own, and the shared [`AUDITED`]).
    pub filters: &'static [&'static [Filter]],
    pub dto: &'static Dto,
}

/// A page of a list: stored rows by id, each shown through `dto`, or (when sorted) the trees
/// the sort compared.
pub enum Rows<'a> {
    Page {
        store: &'a Store,
        table: &'static str,
        dto: &'static Dto,
        ids: Vec<i64>,
    },
    Sorted(Vec<Value>),
}

impl serde::Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Rows::Page {
                store,
                table,
                dto,
                ids,
            } => s.collect_seq(ids.iter().map(|&id| {
                let rec = store.get(table, id).unwrap_or_default();
                View::new(store, &rec, dto).to_value()
            })),
            Rows::Sorted(rows) => rows.serialize(s),
        }
    }
}

/// A V2 list: the page of matching rows (filtered by `Filter.*` and `scope`, sorted by `Sort`)
/// and the number of matching rows. Unsorted pages look only at the rows they return (and,
/// when filtered, at the rows the filters pass over).
pub fn v2_list<'a>(
    store: &'a Store,
    spec: &ListSpec,
    q: &Query,
    settings: &Settings,
    scope: Option<Scope>,
) -> R<(Rows<'a>, usize)> {
    let win = Window::v2(q, settings)?;
    let preds = compile(store, q, spec.filters)?;
    let keys = parse_sort("Sort", q.get("Sort"))?;
    let page = |ids| Rows::Page {
        store,
        table: spec.table,
        dto: spec.dto,
        ids,
    };
    let Some(table) = store.table(spec.table) else {
        return Ok((page(Vec::new()), 0));
    };
    // A scope's rows come from the table's index, not a pass over the table.
    let scoped = scope.map(|s| table.ids_where(s.member, &Value::from(s.id)));
    let candidates = || -> Box<dyn Iterator<Item = i64> + '_> {
        match &scoped {
            Some(ids) => Box::new(ids.iter().copied()),
            None => Box::new(table.ids()),
        }
    };
    // Filters read the members they test from the stored bytes; only a page's rows (or, when
    // sorted, the matching ones) are decoded.
    let matching = || {
        candidates().filter(|&id| {
            let row = StoredRow { table, id };
            preds.iter().all(|p| p(&row))
        })
    };
    if keys.is_empty() {
        if preds.is_empty() {
            return Ok(match &scoped {
                Some(ids) => {
                    let window = ids.iter().skip(win.offset).take(win.size);
                    (page(window.copied().collect()), ids.len())
                }
                None => (page(table.slice_ids(win.offset, win.size)), table.len()),
            });
        }
        let mut total = 0;
        let mut ids = Vec::new();
        for id in matching() {
            if total >= win.offset && ids.len() < win.size {
                ids.push(id);
            }
            total += 1;
        }
        return Ok((page(ids), total));
    }
    let all: Vec<Value> = matching()
        .filter_map(|id| table.get(id))
        .map(|r| View::new(store, &r, spec.dto).to_value())
        .collect();
    let total = all.len();
    Ok((
        Rows::Sorted(sort_and_window("Sort", all, &keys, win)?),
        total,
    ))
}

/// Sorts projected rows and takes the window.
pub fn sort_and_window(
    param: &str,
    mut rows: Vec<Value>,
    keys: &[SortKey],
    win: Window,
) -> R<Vec<Value>> {
    sort_rows(param, &mut rows, keys)?;
    Ok(rows.into_iter().skip(win.offset).take(win.size).collect())
}
