//! Requests hyper cannot parse, answered in the dialect's own error format.
//!
//! A malformed request line or header, a request target longer than the `http` crate holds
//! (65,534 bytes) or an unsupported HTTP version never reaches a handler: hyper answers it
//! itself with an empty-bodied `4xx`/`505` and `connection: close`. [`Rewriting`] wraps each
//! connection's stream, recognises that answer on its way out and writes the dialect's error
//! (status kept, a body naming the cause) in its place. Handlers never send an empty-bodied
//! error with `connection: close`, so nothing else is touched.

use crate::dialect::DialectApi;
use bytes::Bytes;
use http::StatusCode;
use http_body_util::BodyExt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What hyper writes for a request it could not parse, after the status line.
const HYPER_ERROR_TAIL: &[u8] = b"\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";

/// The statuses hyper answers parse errors with, and what the dialect's error says.
const CAUSES: [(StatusCode, &str); 4] = [
    (
        StatusCode::BAD_REQUEST,
        "the request could not be read as HTTP/1.1 (a malformed request line or header)",
    ),
    (
        StatusCode::URI_TOO_LONG,
        "the request target is longer than 65534 bytes",
    ),
    (
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "the request head has too many headers or does not fit the head buffer",
    ),
    (
        StatusCode::HTTP_VERSION_NOT_SUPPORTED,
        "only HTTP/1.0 and HTTP/1.1 are served",
    ),
];

/// The whole replacement answer (head and body) per status, rendered once per server.
#[derive(Debug, Default)]
pub struct UnparsedReplies {
    by_status: Vec<(u16, Bytes)>,
}

impl UnparsedReplies {
    pub async fn for_dialect(api: &'static dyn DialectApi) -> UnparsedReplies {
        let mut by_status = Vec::new();
        for (status, message) in CAUSES {
            let (parts, body) = api.error(status, message).into_parts();
            let body = body
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            let mut reply = format!(
                "HTTP/1.1 {} {}\r\n",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            );
            if let Some(ct) = parts.headers.get(http::header::CONTENT_TYPE) {
                reply.push_str(&format!("content-type: {}\r\n", ct.to_str().unwrap_or("")));
            }
            reply.push_str(&format!(
                "connection: close\r\ncontent-length: {}\r\n\r\n",
                body.len()
            ));
            let mut bytes = reply.into_bytes();
            bytes.extend_from_slice(&body);
            by_status.push((status.as_u16(), Bytes::from(bytes)));
        }
        UnparsedReplies { by_status }
    }

    /// The replacement for `written` when it is hyper's own answer to an unparsable request.
    fn replacement(&self, written: &[u8]) -> Option<Bytes> {
        let status = written.strip_prefix(b"HTTP/1.1 ")?.get(..3)?;
        if !written.ends_with(HYPER_ERROR_TAIL) || written.len() > 128 {
            return None;
        }
        let code: u16 = std::str::from_utf8(status).ok()?.parse().ok()?;
        self.by_status
            .iter()
            .find(|(s, _)| *s == code)
            .map(|(_, b)| b.clone())
    }
}

/// A connection's stream, with hyper's empty parse-error answers swapped for the dialect's.
pub struct Rewriting<S> {
    inner: S,
    replies: Arc<UnparsedReplies>,
    /// A replacement being written: the bytes and how many are out.
    pending: Option<(Bytes, usize)>,
}

impl<S> Rewriting<S> {
    pub fn new(inner: S, replies: Arc<UnparsedReplies>) -> Rewriting<S> {
        Rewriting {
            inner,
            replies,
            pending: None,
        }
    }
}

impl<S: AsyncWrite + Unpin> Rewriting<S> {
    /// Writes the pending replacement to the end; then `claimed` bytes of the caller's buffer
    /// count as written (hyper wrote nothing after its error answer).
    fn drain(&mut self, cx: &mut Context<'_>, claimed: usize) -> Poll<io::Result<usize>> {
        while let Some((bytes, done)) = self.pending.as_mut() {
            if *done == bytes.len() {
                self.pending = None;
                return Poll::Ready(Ok(claimed));
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*done..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *done += n;
        }
        Poll::Ready(Ok(claimed))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewriting<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewriting<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.is_none() {
            match this.replies.replacement(buf) {
                Some(bytes) => this.pending = Some((bytes, 0)),
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        this.drain(cx, buf.len())
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // hyper's error answer is a head alone: one slice.
        let first = bufs.iter().find(|b| !b.is_empty());
        if this.pending.is_none() {
            match first.and_then(|b| this.replies.replacement(b)) {
                Some(bytes) => this.pending = Some((bytes, 0)),
                None => return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs),
            }
        }
        this.drain(cx, first.map_or(0, |b| b.len()))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_hyper_s_empty_error_answers_are_replaced() {
        let replies =
            UnparsedReplies::for_dialect(crate::dialect::api_for(psa_core::Dialect::ConnectWise))
                .await;
        let hyper_414 =
            b"HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        let reply = replies.replacement(hyper_414).expect("replaced");
        let text = String::from_utf8_lossy(&reply);
        assert!(text.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{text}");
        assert!(text.contains("65534 bytes"), "{text}");
        // A handler's answers pass: a body, or no `connection: close`.
        let handler = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}";
        assert!(replies.replacement(handler).is_none());
        let ok = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        assert!(replies.replacement(ok).is_none());
    }
}
