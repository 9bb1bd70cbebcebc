//! The legacy V1 API under `/api`: `POST /api/token`, and accounts, contacts and locations
//! with OData lists (`$filter`, `$orderby`, `$top`, `$skip`) in the PascalCase envelope
//! `{ResponseCode, Status, Error, Result, TotalRecords}`. Writes reuse the V2 rules; V1
//! PUT merges (members left out keep their value).

use super::accounts::{self, ACCOUNT, LOCATION};
use super::auth::v1_token;
use super::contacts::{self, default_of, Channel, CONTACT, CONTACT_FULL_DTO, EMAIL, PHONE};
use super::listing::{cmp_values, parse_sort, sort_and_window, ListSpec, Window};
use super::model::*;
use super::routes::{route, Ctx, Route};
use super::schema::{dto, schema_of};
use super::view::{Dto, Src, View};
use super::wire::*;
use crate::dialect::get_ci;
use crate::limits::{check_filter_size, Limits, HARD_MAX_DEPTH};
use crate::state::World;
use crate::store::Record;
use axum::response::Response;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;

pub const ROUTES: &[Route] = &[
    route("POST", "token", v1_token),
    route("GET", "crm/accounts", accounts_list),
    route("POST", "crm/accounts", account_post),
    route("GET", "crm/accounts/{id}", account_get),
    route("PUT", "crm/accounts/{id}", account_put),
    route("DELETE", "crm/accounts/{id}", account_delete),
    route("GET", "crm/accounts/{id}/locations", account_locations),
    route("GET", "crm/contacts", contacts_list),
    route("POST", "crm/contacts", contact_post),
    route("GET", "crm/contacts/{id}", contact_get),
    route("PUT", "crm/contacts/{id}", contact_put),
    route("DELETE", "crm/contacts/{id}", contact_delete),
    route("GET", "crm/locations", locations_list),
    route("POST", "crm/locations", location_post),
    route("GET", "crm/locations/{id}", location_get),
    route("PUT", "crm/locations/{id}", location_put),
    route("DELETE", "crm/locations/{id}", location_delete),
];

/// V1 contacts show their default e-mail and phone flat, as V1 writes them.
const V1_CONTACT: Entity = Entity {
    dto: V1_CONTACT_DTO,
    ..CONTACT
};

fn spec(e: &Entity) -> ListSpec {
    ListSpec {
        table: e.table,
        filters: &[],
        dto: e.dto,
    }
}

const V1_CONTACT_DTO: &Dto = &[
    ("", Src::Splice(CONTACT_FULL_DTO)),
    ("defaultEmailAddress", default_of(EMAIL)),
    ("defaultEmailTypeId", default_type(EMAIL)),
    ("defaultPhoneNumber", default_of(PHONE)),
    ("defaultPhoneTypeId", default_type(PHONE)),
];

const fn default_type(ch: Channel) -> Src {
    Src::DefaultItem {
        list: ch.list,
        field: ch.type_id,
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers.

fn accounts_list(c: &Ctx<'_>) -> R<Response> {
    odata_list(c, &spec(&ACCOUNT), None)
}

fn account_post(c: &Ctx<'_>) -> R<Response> {
    let body = c.object()?;
    c.write(&ACCOUNT, |w| accounts::create_account(w, &body, false))
}

fn account_get(c: &Ctx<'_>) -> R<Response> {
    c.show(&ACCOUNT, c.id(0, ACCOUNT.label)?)
}

fn account_put(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, ACCOUNT.label)?;
    let body = c.object()?;
    c.write(&ACCOUNT, |w| {
        accounts::update_account(w, id, &body, Put::Merge)
    })
}

fn account_delete(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, ACCOUNT.label)?;
    accounts::delete_account(&mut c.world(), id)?;
    Ok(c.ok(Value::Null))
}

fn account_locations(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, ACCOUNT.label)?;
    ACCOUNT.get(&c.world().store, id)?;
    let scope = move |r: &Record| int_of(r, "accountId") == Some(id);
    odata_list(c, &spec(&LOCATION), Some(&scope))
}

fn contacts_list(c: &Ctx<'_>) -> R<Response> {
    odata_list(c, &spec(&V1_CONTACT), None)
}

fn contact_post(c: &Ctx<'_>) -> R<Response> {
    let body = c.object()?;
    let rule = c.settings.bms_contact_rule;
    c.write(&V1_CONTACT, |w| {
        let mut errs = Vec::new();
        read_schema(&body, schema_of("V1ContactInputDto"), "", &mut errs);
        check(errs)?;
        let id = contacts::create_contact(w, &v2_contact_body(&body)?, rule)?;
        // The members ContactInputDto lacks (JobTitle, ...) are set as V1 PUT sets them.
        contacts::update_contact(w, id, &body, Put::Merge, rule)
    })
}

fn contact_get(c: &Ctx<'_>) -> R<Response> {
    c.show(&V1_CONTACT, c.id(0, CONTACT.label)?)
}

fn contact_put(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, CONTACT.label)?;
    let body = c.object()?;
    let rule = c.settings.bms_contact_rule;
    c.write(&V1_CONTACT, |w| {
        let (email, phone) = defaults_of(&body)?;
        let changes = [(EMAIL, email), (PHONE, phone)];
        // Check the e-mail and phone changes before anything is saved.
        let mut probe = CONTACT.get(&w.store, id)?.clone();
        for (ch, (value, ty)) in changes.clone() {
            contacts::set_default_channel(&w.store, &mut probe, ch, value, ty)
                .map_err(ApiErr::bad)?;
        }
        contacts::update_contact(w, id, &body, Put::Merge, rule)?;
        let mut rec = CONTACT.get(&w.store, id)?.clone();
        for (ch, (value, ty)) in changes {
            contacts::set_default_channel(&w.store, &mut rec, ch, value, ty)
                .map_err(ApiErr::bad)?;
        }
        save(w, CONTACTS, id, rec);
        Ok(id)
    })
}

fn contact_delete(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, CONTACT.label)?;
    contacts::delete_contact(&mut c.world(), id)?;
    Ok(c.ok(Value::Null))
}

fn locations_list(c: &Ctx<'_>) -> R<Response> {
    odata_list(c, &spec(&LOCATION), None)
}

fn location_post(c: &Ctx<'_>) -> R<Response> {
    let body = c.object()?;
    c.write(&LOCATION, |w| create_location(w, &body))
}

fn location_get(c: &Ctx<'_>) -> R<Response> {
    c.show(&LOCATION, c.id(0, LOCATION.label)?)
}

fn location_put(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, LOCATION.label)?;
    let body = c.object()?;
    c.write(&LOCATION, |w| accounts::update_location(w, id, &body))
}

/// Choice: a location that contacts or assets still use cannot be deleted (400).
fn location_delete(c: &Ctx<'_>) -> R<Response> {
    let id = c.id(0, LOCATION.label)?;
    let mut w = c.world();
    LOCATION.get(&w.store, id)?;
    let used = !w
        .store
        .ids_where(CONTACTS, "locationId", &id.into())
        .is_empty()
        || !(w.store.ids_where(ASSETS, "accountLocationId", &id.into())).is_empty();
    if used {
        return Err(ApiErr::bad(format!(
            "Location {id} is in use by contacts or assets"
        )));
    }
    accounts::delete_location(&mut w, id)?;
    Ok(c.ok(Value::Null))
}

// ---------------------------------------------------------------------------------------------
// Writes.

fn create_location(world: &mut World, body: &Map<String, Value>) -> R<i64> {
    let mut errs = Vec::new();
    let (loc, addrs) = accounts::read_location(body, "", &mut errs, false);
    let v1 = dto("V1LocationInputDto");
    let account = read_schema(body, v1.schema(), "", &mut errs);
    require(&account, &["accountId"], &mut errs);
    if missing(loc.get("locationName")) {
        errs.push("LocationName is required".into());
    }
    check(errs)?;
    let account = int_of(&account, "accountId").unwrap_or(0);
    ACCOUNT.get(&world.store, account)?;
    Ok(accounts::insert_location(
        world,
        account,
        loc,
        addrs.unwrap_or_default(),
    ))
}

type ChannelChange = (Option<Option<String>>, Option<i64>);

/// `DefaultEmailAddress`/`DefaultEmailTypeId` and the phone pair: (value change, type).
fn defaults_of(body: &Map<String, Value>) -> R<(ChannelChange, ChannelChange)> {
    let mut errs = Vec::new();
    let r = read_schema(body, schema_of("V1ContactInputDto"), "", &mut errs);
    check(errs)?;
    let change = |value: &str, ty: &str| {
        let v = r
            .contains_key(value)
            .then(|| r.get(value).and_then(Value::as_str).map(str::to_string));
        (v, int_of(&r, ty))
    };
    Ok((
        change("defaultEmailAddress", "defaultEmailTypeId"),
        change("defaultPhoneNumber", "defaultPhoneTypeId"),
    ))
}

/// The V2 `ContactInputDto` for a V1 body: `Default*` become the default e-mail and phone.
fn v2_contact_body(body: &Map<String, Value>) -> R<Map<String, Value>> {
    let mut out = body.clone();
    let (email, phone) = defaults_of(body)?;
    for (ch, (value, ty)) in [(EMAIL, email), (PHONE, phone)] {
        if let Some(Some(v)) = value {
            if get_ci(body, ch.list).is_none() {
                out.insert(
                    ch.list.into(),
                    json!([{ch.value: v, ch.type_id: ty, "isDefault": true}]),
                );
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// OData lists.

/// Projects every row (V1 lists are small), filters by `$filter`, orders by `$orderby`,
/// and takes `$skip`/`$top`; `TotalRecords` counts the filtered rows.
fn odata_list(
    c: &Ctx<'_>,
    spec: &ListSpec,
    scope: Option<&dyn Fn(&Record) -> bool>,
) -> R<Response> {
    let win = Window::v1(&c.query, &c.settings)?;
    let filter = match c.query.get("$filter") {
        Some(f) => Some(parse_filter(f, &c.settings.limits)?),
        None => None,
    };
    let keys = parse_sort("$orderby", c.query.get("$orderby"))?;
    let w = c.world();
    let mut rows = Vec::new();
    for r in w.store.rows(spec.table) {
        if scope.is_some_and(|s| !s(&r)) {
            continue;
        }
        let v = View::new(&w.store, &r, spec.dto).to_value();
        if let Some(f) = &filter {
            if !f.eval(&v)? {
                continue;
            }
        }
        rows.push(v);
    }
    let total = rows.len();
    let page = sort_and_window("$orderby", rows, &keys, win)?;
    Ok(c.api.ok(Value::Array(page), Some(total)))
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Lit(Value),
    Open,
    Close,
}

fn tokenize(s: &str) -> R<Vec<Tok>> {
    let bad = |m: String| ApiErr::bad(format!("$filter: {m}"));
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '(' || ch == ')' {
            out.push(if ch == '(' { Tok::Open } else { Tok::Close });
            i += 1;
        } else if ch == '\'' {
            let mut lit = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(bad("unterminated string literal".into())),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        lit.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(c) => {
                        lit.push(*c);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Lit(Value::String(lit)));
        } else if ch.is_ascii_digit() || ch == '-' {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let n: serde_json::Number = serde_json::from_str(&text)
                .map_err(|_| bad(format!("`{text}` is not a number")))?;
            out.push(Tok::Lit(Value::Number(n)));
        } else if ch.is_alphanumeric() || ch == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push(match word.to_ascii_lowercase().as_str() {
                "true" => Tok::Lit(Value::Bool(true)),
                "false" => Tok::Lit(Value::Bool(false)),
                "null" => Tok::Lit(Value::Null),
                _ => Tok::Ident(word),
            });
        } else {
            return Err(bad(format!("unexpected `{ch}`")));
        }
    }
    Ok(out)
}

/// A `$filter` expression: comparisons (`eq ne gt ge lt le`) joined by `and`/`or`, with
/// parentheses; `and` binds tighter. Chains are flat lists, so a long `a or b or c ...` is one
/// level deep, and nesting comes only from parentheses, which the parser bounds.
#[derive(Debug)]
enum Expr {
    Cmp(String, String, Value),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

struct Parser {
    toks: Vec<Tok>,
    at: usize,
    /// Open parentheses around the current position, checked before each recursion.
    depth: usize,
    max_depth: usize,
}

impl Parser {
    fn peek_word(&self, w: &str) -> bool {
        matches!(self.toks.get(self.at), Some(Tok::Ident(x)) if x.eq_ignore_ascii_case(w))
    }
    fn or(&mut self) -> R<Expr> {
        self.chain("or", Self::and, Expr::Or)
    }
    fn and(&mut self) -> R<Expr> {
        self.chain("and", Self::cmp, Expr::And)
    }
    /// `operand (word operand)*`, as one flat list.
    fn chain(
        &mut self,
        word: &str,
        operand: fn(&mut Self) -> R<Expr>,
        join: fn(Vec<Expr>) -> Expr,
    ) -> R<Expr> {
        let mut items = vec![operand(self)?];
        while self.peek_word(word) {
            self.at += 1;
            items.push(operand(self)?);
        }
        Ok(match items.len() {
            1 => items.remove(0),
            _ => join(items),
        })
    }
    fn cmp(&mut self) -> R<Expr> {
        let bad = |m: &str| ApiErr::bad(format!("$filter: {m}"));
        let tok = self.toks.get(self.at).cloned();
        self.at += 1;
        match tok {
            Some(Tok::Open) => {
                if self.depth >= self.max_depth {
                    return Err(bad(&format!(
                        "parentheses are nested more than {} levels deep",
                        self.max_depth
                    )));
                }
                self.depth += 1;
                let e = self.or()?;
                self.depth -= 1;
                if self.toks.get(self.at) != Some(&Tok::Close) {
                    return Err(bad("missing `)`"));
                }
                self.at += 1;
                Ok(e)
            }
            Some(Tok::Ident(field)) => {
                let op = match self.toks.get(self.at) {
                    Some(Tok::Ident(op))
                        if ["eq", "ne", "gt", "ge", "lt", "le"]
                            .contains(&op.to_ascii_lowercase().as_str()) =>
                    {
                        op.to_ascii_lowercase()
                    }
                    _ => {
                        return Err(bad(&format!(
                            "expected eq, ne, gt, ge, lt or le after `{field}`"
                        )))
                    }
                };
                let lit = match self.toks.get(self.at + 1) {
                    Some(Tok::Lit(v)) => v.clone(),
                    _ => return Err(bad(&format!("expected a value after `{field} {op}`"))),
                };
                self.at += 2;
                Ok(Expr::Cmp(field, op, lit))
            }
            _ => Err(bad("expected a member name or `(`")),
        }
    }
}

fn parse_filter(s: &str, limits: &Limits) -> R<Expr> {
    check_filter_size("$filter", s, limits).map_err(ApiErr::bad)?;
    let mut p = Parser {
        toks: tokenize(s)?,
        at: 0,
        depth: 0,
        max_depth: limits.max_filter_depth.min(HARD_MAX_DEPTH),
    };
    let e = p.or()?;
    if p.at < p.toks.len() {
        return Err(ApiErr::bad(format!(
            "$filter: unexpected text after position {}",
            p.at
        )));
    }
    Ok(e)
}

impl Expr {
    fn eval(&self, row: &Value) -> R<bool> {
        match self {
            Expr::And(items) => {
                for e in items {
                    if !e.eval(row)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Expr::Or(items) => {
                for e in items {
                    if e.eval(row)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Expr::Cmp(field, op, lit) => {
                let Some(v) = row.as_object().and_then(|o| get_ci(o, field)) else {
                    return Err(ApiErr::bad(format!(
                        "$filter: `{field}` is not a member of the result"
                    )));
                };
                // A number compared with a text member compares as text.
                let lit = match (v, lit) {
                    (Value::String(_), Value::Number(n)) => Value::String(n.to_string()),
                    _ => lit.clone(),
                };
                let o = cmp_values(v, &lit);
                Ok(match op.as_str() {
                    "eq" => o == Ordering::Equal,
                    "ne" => o != Ordering::Equal,
                    "gt" => o == Ordering::Greater,
                    "ge" => o != Ordering::Less,
                    "lt" => o == Ordering::Less,
                    _ => o != Ordering::Greater,
                })
            }
        }
    }
}
