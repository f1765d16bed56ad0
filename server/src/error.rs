//! The domain error. It knows nothing of gRPC: `service` maps it to a
//! `tonic::Status` in one place.

/// Machine-readable reasons, also sent as `google.rpc.ErrorInfo.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    ClaimEmpty,
    ClaimTooLong,
    MaxCitationsOutOfRange,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::ClaimEmpty => "CLAIM_EMPTY",
            Reason::ClaimTooLong => "CLAIM_TOO_LONG",
            Reason::MaxCitationsOutOfRange => "MAX_CITATIONS_OUT_OF_RANGE",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid {field}: {description}")]
    InvalidArgument { field: &'static str, reason: Reason, description: String },
    #[error("storage error: {0}")]
    Storage(#[from] sled::Error),
    #[error("stored record {key} is corrupt: {message}")]
    Corrupt { key: String, message: String },
    #[error("store schema version {found} is not supported (this build reads {expected}); move the data dir aside to rebuild")]
    Schema { found: String, expected: u32 },
    #[error("corpus {path}: {message}")]
    Corpus { path: String, message: String },
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
