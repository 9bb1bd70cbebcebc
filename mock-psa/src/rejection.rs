//! One error shape per surface: reading a request body within its limits, the checks every
//! request passes before any parser sees it, and the fallback that turns the framework's own
//! answers (empty 405s, plain-text extractor rejections) into the surface's error body.

use crate::limits::{check_json_depth, head_bytes, looks_like_json, Limits};
use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{header, HeaderValue, StatusCode};
use http_body_util::{BodyExt, LengthLimitError};
use std::time::Duration;

/// Why a request was refused before routing: a status and a message for the surface's error.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
    /// The connection cannot be trusted for another request (the body was not read through).
    pub close: bool,
}

impl Refusal {
    fn bad(message: String) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            message,
            close: false,
        }
    }
}

/// Reads a whole body: larger than `limit` is 413; a body cut short or unreadable is 400; one
/// that stalls past `timeout` is 408. The last three close the connection.
pub async fn read_body(body: Body, limit: usize, timeout: Duration) -> Result<Bytes, Refusal> {
    // Most requests (a GET) have none: no timer, no collecting.
    if axum::body::HttpBody::is_end_stream(&body) {
        return Ok(Bytes::new());
    }
    let read = http_body_util::Limited::new(body, limit).collect();
    match tokio::time::timeout(timeout, read).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(Refusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!("request body exceeds the limit of {limit} bytes"),
            close: true,
        }),
        Ok(Err(e)) => Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            message: format!("the request body could not be read: {e}"),
            close: true,
        }),
        Err(_) => Err(Refusal {
            status: StatusCode::REQUEST_TIMEOUT,
            message: format!(
                "the request body did not arrive within {} seconds",
                timeout.as_secs()
            ),
            close: true,
        }),
    }
}

/// A request head over `limits.max_head_bytes` is 431 (the body is left unread, so the
/// connection closes after the answer).
pub fn check_head(parts: &http::request::Parts, limits: &Limits) -> Result<(), Refusal> {
    let size = head_bytes(parts);
    if size > limits.max_head_bytes {
        return Err(Refusal {
            status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            message: format!(
                "the request head is {size} bytes long; the limit is {}",
                limits.max_head_bytes
            ),
            close: true,
        });
    }
    Ok(())
}

/// Size and nesting checks on the query string and, when `json_depth` is given, on JSON query
/// values and a JSON body, before any parser runs. (The PSA surfaces check JSON nesting in
/// their shared body parser instead, so the refusal takes each dialect's own status.)
pub fn check_input(
    query: &str,
    body: &[u8],
    limits: &Limits,
    json_depth: Option<usize>,
) -> Result<(), Refusal> {
    if query.len() > limits.max_query_bytes {
        return Err(Refusal {
            status: StatusCode::URI_TOO_LONG,
            message: format!(
                "the query string is {} bytes long; the limit is {}",
                query.len(),
                limits.max_query_bytes
            ),
            close: false,
        });
    }
    let Some(json_depth) = json_depth else {
        return Ok(());
    };
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if looks_like_json(value.as_bytes()) {
            check_json_depth(value.as_bytes(), limits.max_json_depth)
                .map_err(|e| Refusal::bad(format!("query parameter `{name}`: {e}")))?;
        }
    }
    if looks_like_json(body) {
        check_json_depth(body, json_depth)
            .map_err(|e| Refusal::bad(format!("request body: {e}")))?;
    }
    Ok(())
}

/// Marks a refusal's reply so the client opens a new connection for its next request.
pub fn finish(mut resp: Response, refusal: &Refusal) -> Response {
    if refusal.close {
        resp.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

/// An error reply that is not JSON came from the framework (method not allowed, a path or
/// query that did not extract): answer it in the surface's own shape, same status.
pub async fn as_surface_error(
    resp: Response,
    method: &str,
    path: &str,
    make: impl Fn(StatusCode, &str) -> Response,
) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"));
    if status.as_u16() < 400 || is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let message = match (status, text.trim()) {
        (StatusCode::METHOD_NOT_ALLOWED, _) => {
            format!("The requested resource does not support http method '{method}'.")
        }
        (StatusCode::NOT_FOUND, "") => format!("No resource found at {path}"),
        (_, "") => status.canonical_reason().unwrap_or("error").to_string(),
        (_, t) => t.to_string(),
    };
    let mut out = make(status, &message);
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}
