//! How a request to a PSA can fail, shared by the HTTP layer, the client trait and the engine.

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PsaError {
    /// The PSA refused the request (validation, auth, not found): `status` and its message.
    #[error("{status}: {message}")]
    Rejected { status: u16, message: String },
    /// Rate limited; `retry_after` seconds when the PSA said so.
    #[error("rate limited (429){}", retry_after.map(|s| format!(", retry after {s}s")).unwrap_or_default())]
    RateLimited { retry_after: Option<u64> },
    /// 5xx that is not a business error, or a failed connection: may be retried.
    #[error("transient failure: {0}")]
    Transient(String),
    /// A create that may have been stored although no good reply came back (5xx, connection
    /// lost after sending): look for the record before repeating it.
    #[error("outcome unknown: {0}")]
    Uncertain(String),
    /// A record the client cannot express in this PSA (e.g. unknown type name).
    #[error("{0}")]
    Unmappable(String),
}

impl PsaError {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            PsaError::RateLimited { .. } | PsaError::Transient(_) | PsaError::Uncertain(_)
        )
    }

    /// The wait the PSA asked for, if it did.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            PsaError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}
