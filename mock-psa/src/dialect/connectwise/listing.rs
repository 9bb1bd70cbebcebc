//! List queries: case-insensitive parameters, `conditions` / `childConditions` /
//! `customFieldConditions` filters, `fields` projections and `orderBy` keys.

#![allow(clippy::result_large_err)]

use super::conditions;
use super::wire::api_error;
use super::*;

// ---------------------------------------------------------------------------------------------
// Queries: parameters case-insensitive, unknown ones ignored.

pub(super) struct ListQuery {
    params: Vec<(String, String)>,
}

impl ListQuery {
    pub(super) fn parse(raw: Option<&str>) -> Self {
        let params = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
            .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
            .collect();
        ListQuery { params }
    }
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }
    /// Every parameter except the paging ones, for building links.
    pub(super) fn passthrough(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.params {
            if !matches!(k.as_str(), "page" | "pagesize" | "pageid") {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }
}

pub(super) type Filter = Box<dyn Fn(&Value) -> bool + Send>;

pub(super) fn build_filter(q: &ListQuery) -> Result<Option<Filter>, Response> {
    let mut parts: Vec<Filter> = Vec::new();
    if let Some(text) = q.get("conditions") {
        let expr =
            conditions::parse(text).map_err(|e| api_error(format!("Invalid conditions: {e}")))?;
        parts.push(Box::new(move |r| conditions::eval(&expr, r)));
    }
    if let Some(text) = q.get("childconditions") {
        let expr = conditions::parse(text)
            .map_err(|e| api_error(format!("Invalid childConditions: {e}")))?;
        if conditions::has_in(&expr) {
            return Err(api_error(
                "Invalid childConditions: the in operator is not supported in childConditions."
                    .into(),
            ));
        }
        parts.push(Box::new(move |r| conditions::eval_child(&expr, r)));
    }
    if let Some(text) = q.get("customfieldconditions") {
        let expr = conditions::parse(text)
            .map_err(|e| api_error(format!("Invalid customFieldConditions: {e}")))?;
        parts.push(Box::new(move |r| {
            r.get("customFields")
                .and_then(Value::as_array)
                .is_some_and(|fields| fields.iter().any(|f| conditions::eval(&expr, f)))
        }));
    }
    if parts.is_empty() {
        return Ok(None);
    }
    Ok(Some(Box::new(move |r| parts.iter().all(|p| p(r)))))
}

pub(super) fn project(v: &Value, fields: &str) -> Value {
    let mut out = Map::new();
    for f in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let path: Vec<&str> = f.split('/').collect();
        copy_path(v, &path, &mut out);
    }
    Value::Object(out)
}

pub(super) fn copy_path(src: &Value, path: &[&str], dst: &mut Map<String, Value>) {
    let Some(obj) = src.as_object() else { return };
    let Some((key, child)) = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(path[0])) else {
        return;
    };
    if path.len() == 1 {
        dst.insert(key.clone(), child.clone());
    } else if let Value::Object(_) = child {
        let entry = dst
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(inner) = entry {
            copy_path(child, &path[1..], inner);
        }
    }
}

pub(super) fn sort_key(v: &Value, path: &str) -> Value {
    let mut cur = v;
    for seg in path.split('/') {
        match cur
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(seg)))
        {
            Some((_, next)) => cur = next,
            None => return Value::Null,
        }
    }
    cur.clone()
}

pub(super) fn cmp_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}
