//! The domain error. It knows nothing of gRPC: `service` maps it to a
//! `tonic::Status` in one place.

/// Machine-readable reasons, also sent as `google.rpc.ErrorInfo.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    ClaimEmpty,
    ClaimTooLong,
    MaxCitationsOutOfRange,
    TextEmpty,
    TextTooLong,
    IdEmpty,
    PageSizeOutOfRange,
    PageTokenInvalid,
    TimeRangeInvalid,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::ClaimEmpty => "CLAIM_EMPTY",
            Reason::ClaimTooLong => "CLAIM_TOO_LONG",
            Reason::MaxCitationsOutOfRange => "MAX_CITATIONS_OUT_OF_RANGE",
            Reason::TextEmpty => "TEXT_EMPTY",
            Reason::TextTooLong => "TEXT_TOO_LONG",
            Reason::IdEmpty => "ID_EMPTY",
            Reason::PageSizeOutOfRange => "PAGE_SIZE_OUT_OF_RANGE",
            Reason::PageTokenInvalid => "PAGE_TOKEN_INVALID",
            Reason::TimeRangeInvalid => "TIME_RANGE_INVALID",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid {field}: {description}")]
    InvalidArgument { field: &'static str, reason: Reason, description: String },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    AdminDisabled(String),
    #[error("article {0:?} not found")]
    NotFound(String),
    /// The replicated ingest log cannot take or confirm a write now.
    #[error("ingest stream unavailable: {0}")]
    Unavailable(String),
    #[error("storage error: {0}")]
    Storage(#[from] sled::Error),
    #[error("stored record {key} is corrupt: {message}")]
    Corrupt { key: String, message: String },
    #[error("store schema version {found} is not supported (this build reads {expected}); move the data dir aside to rebuild")]
    Schema { found: String, expected: u32 },
    #[error("corpus {path}: {message}")]
    Corpus { path: String, message: String },
    #[error("model: {0}")]
    Model(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// Whoever waited for the work has gone (see [`crate::engine::Cancel`]).
    #[error("cancelled: the caller has gone or its deadline has passed")]
    Cancelled,
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
