//! The query language: JSON filter conditions, operators, IncludeFields and MaxRecords.

use super::super::*;
use super::schema::*;
use super::values::*;
use crate::clock::parse_rfc3339;
use crate::store::Fields;
use std::cmp::Ordering;

// ---------------------------------------------------------------------------------------------
// Queries.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Eq,
    NotEq,
    Gt,
    Gte,
    Lt,
    Lte,
    BeginsWith,
    EndsWith,
    Contains,
    Exist,
    NotExist,
    In,
    NotIn,
}

impl Op {
    pub(super) fn parse(s: &str) -> Option<Op> {
        Some(match s.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "noteq" => Op::NotEq,
            "gt" => Op::Gt,
            "gte" => Op::Gte,
            "lt" => Op::Lt,
            "lte" => Op::Lte,
            "beginswith" => Op::BeginsWith,
            "endswith" => Op::EndsWith,
            "contains" => Op::Contains,
            "exist" => Op::Exist,
            "notexist" => Op::NotExist,
            "in" => Op::In,
            "notin" => Op::NotIn,
            _ => return None,
        })
    }
}

#[derive(Debug)]
pub(super) enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Cmp {
        field: &'static Field,
        op: Op,
        values: Vec<Value>,
    },
    Udf {
        name: String,
        op: Op,
        values: Vec<Value>,
    },
    /// Unknown operators are ignored by the real API (the rows come back unfiltered).
    Pass,
}

pub(super) fn parse_filter(e: &'static Entity, v: &Value) -> Result<Filter, String> {
    let Value::Object(obj) = v else {
        return Err("Each filter must be an object with op, field and value.".into());
    };
    let op = get_ci(obj, "op").and_then(Value::as_str).unwrap_or("");
    let items = || -> Result<Vec<Filter>, String> {
        match get_ci(obj, "items") {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a.iter().map(|i| parse_filter(e, i)).collect(),
            Some(_) => Err("The items of an and/or filter must be an array.".into()),
        }
    };
    if op.eq_ignore_ascii_case("and") {
        return Ok(Filter::And(items()?));
    }
    if op.eq_ignore_ascii_case("or") {
        return Ok(Filter::Or(items()?));
    }
    let Some(op) = Op::parse(op) else {
        return Ok(Filter::Pass);
    };
    let name = match get_ci(obj, "field") {
        Some(Value::String(n)) => n.clone(),
        _ => return Err("Value cannot be null.\r\nParameter name: field".into()),
    };
    let raw: Vec<Value> = match (op, get_ci(obj, "value")) {
        (Op::Exist | Op::NotExist, _) => Vec::new(),
        (_, None | Some(Value::Null)) => {
            return Err(format!("A value is required for the {name} filter."))
        }
        (Op::In | Op::NotIn, Some(Value::Array(a))) => a.clone(),
        (_, Some(Value::Array(_))) => {
            return Err(format!(
                "Only in and notIn accept a list of values ({name})."
            ))
        }
        (_, Some(v)) => vec![v.clone()],
    };
    let udf = get_ci(obj, "udf").is_some_and(|u| u == &Value::Bool(true) || u == "true");
    if udf {
        let values = raw
            .iter()
            .map(|v| match v {
                Value::String(t) => Value::String(t.clone()),
                other => Value::String(other.to_string()),
            })
            .collect();
        return Ok(Filter::Udf { name, op, values });
    }
    let field = e.field(&name).ok_or_else(|| e.unknown_field(&name))?;
    let values = raw
        .iter()
        .map(|v| match coerce_as(field.name, relaxed(field.ty), v) {
            Ok(Value::Null) => Err(type_error(field, v)),
            other => other,
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Filter::Cmp { field, op, values })
}

/// Filter values are not bound by the field's length.
pub(super) fn relaxed(ty: Ty) -> Ty {
    match ty {
        Ty::Str(_) => Ty::Str(u32::MAX),
        other => other,
    }
}

pub(super) fn as_text(v: &Value) -> String {
    match v {
        Value::String(t) => t.to_lowercase(),
        other => other.to_string(),
    }
}

pub(super) fn compare(ty: Ty, a: &Value, b: &Value) -> Option<Ordering> {
    match ty {
        Ty::Str(_) => Some(as_text(a).cmp(&as_text(b))),
        Ty::Int | Ty::Long | Ty::Short => Some(a.as_i64()?.cmp(&b.as_i64()?)),
        Ty::Double => a.as_f64()?.partial_cmp(&b.as_f64()?),
        Ty::Bool => Some(a.as_bool()?.cmp(&b.as_bool()?)),
        Ty::Date => Some(parse_rfc3339(a.as_str()?)?.cmp(&parse_rfc3339(b.as_str()?)?)),
    }
}

pub(super) fn test(ty: Ty, op: Op, rv: Option<&Value>, values: &[Value]) -> bool {
    let rv = rv.filter(|v| !v.is_null());
    match op {
        Op::Exist => return rv.is_some(),
        Op::NotExist => return rv.is_none(),
        _ => {}
    }
    let Some(rv) = rv else { return false };
    let eq = |b: &Value| compare(ty, rv, b) == Some(Ordering::Equal);
    let Some(first) = values.first() else {
        return false;
    };
    match op {
        Op::Eq => eq(first),
        Op::NotEq => !eq(first),
        Op::Gt => compare(ty, rv, first) == Some(Ordering::Greater),
        Op::Gte => matches!(
            compare(ty, rv, first),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        Op::Lt => compare(ty, rv, first) == Some(Ordering::Less),
        Op::Lte => matches!(
            compare(ty, rv, first),
            Some(Ordering::Less | Ordering::Equal)
        ),
        Op::BeginsWith => as_text(rv).starts_with(&as_text(first)),
        Op::EndsWith => as_text(rv).ends_with(&as_text(first)),
        Op::Contains => as_text(rv).contains(&as_text(first)),
        Op::In => values.iter().any(eq),
        Op::NotIn => !values.iter().any(eq),
        Op::Exist | Op::NotExist => false,
    }
}

/// Autotask's documented limit on the conditions of one query (grouping and/or items do not
/// count; every comparison does).
pub(super) const MAX_CONDITIONS: usize = 500;

impl Filter {
    /// The comparisons in this filter, groups counted through.
    fn conditions(&self) -> usize {
        match self {
            Filter::And(items) | Filter::Or(items) => items.iter().map(Filter::conditions).sum(),
            Filter::Cmp { .. } | Filter::Udf { .. } | Filter::Pass => 1,
        }
    }

    pub(super) fn matches(&self, rec: &impl Fields) -> bool {
        match self {
            Filter::And(items) => items.iter().all(|f| f.matches(rec)),
            Filter::Or(items) => items.iter().any(|f| f.matches(rec)),
            Filter::Pass => true,
            Filter::Cmp { field, op, values } => {
                test(field.ty, *op, rec.field(field.name).as_deref(), values)
            }
            Filter::Udf { name, op, values } => {
                let udfs = rec.field("userDefinedFields");
                let udf = udfs
                    .as_deref()
                    .and_then(Value::as_array)
                    .and_then(|a| {
                        a.iter().find(|u| {
                            u.get("name")
                                .and_then(Value::as_str)
                                .is_some_and(|n| n.eq_ignore_ascii_case(name))
                        })
                    })
                    .and_then(|u| u.get("value"));
                test(Ty::Str(u32::MAX), *op, udf, values)
            }
        }
    }
}

pub(super) struct QuerySpec {
    pub(super) filters: Vec<Filter>,
    pub(super) max: usize,
    pub(super) include: Option<Vec<&'static str>>,
    /// The query as received, repeated in `nextPageUrl`'s `search`.
    pub(super) raw: Value,
}

pub(super) fn parse_query(e: &'static Entity, v: Value) -> Result<QuerySpec, String> {
    let Value::Object(obj) = &v else {
        return Err("Value cannot be null.\r\nParameter name: filters".into());
    };
    // issue 12: and/or nesting bounded by limits.max_filter_depth, checked before recursing.
    if let Some(f) = get_ci(obj, "filter") {
        crate::limits::check_filter_json(f)?;
    }
    let filters = match get_ci(obj, "filter") {
        None | Some(Value::Null) => {
            return Err("Value cannot be null.\r\nParameter name: filters".into())
        }
        Some(Value::Array(a)) => a
            .iter()
            .map(|f| parse_filter(e, f))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err("The filter must be an array of conditions.".into()),
    };
    let conditions: usize = filters.iter().map(Filter::conditions).sum();
    if conditions > MAX_CONDITIONS {
        return Err(format!(
            "The query has {conditions} conditions; a query may have at most {MAX_CONDITIONS}."
        ));
    }
    let max = match get_ci(obj, "maxRecords") {
        None | Some(Value::Null) => MAX_PAGE as i64,
        Some(Value::Number(n)) => n.as_i64().unwrap_or(MAX_PAGE as i64),
        Some(Value::String(t)) => t
            .trim()
            .parse()
            .map_err(|_| format!("Unable to convert {t} to an integer for MaxRecords."))?,
        Some(other) => return Err(format!("Unable to convert {other} for MaxRecords.")),
    };
    let max = max.clamp(1, MAX_PAGE as i64) as usize;
    let include = match get_ci(obj, "includeFields") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) if a.is_empty() => None,
        Some(Value::Array(a)) => {
            let mut names = vec!["id"];
            for n in a {
                let n = n.as_str().unwrap_or_default();
                let field = e.field(n).ok_or_else(|| e.unknown_field(n))?;
                if !names.contains(&field.name) {
                    names.push(field.name);
                }
            }
            Some(names)
        }
        Some(_) => return Err("IncludeFields must be an array of field names.".into()),
    };
    Ok(QuerySpec {
        filters,
        max,
        include,
        raw: v,
    })
}

impl QuerySpec {
    pub(super) fn matches(&self, rec: &impl Fields) -> bool {
        // `filter: []` answers no rows.
        !self.filters.is_empty() && self.filters.iter().all(|f| f.matches(rec))
    }
}
