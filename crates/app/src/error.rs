use pulang_domain::Validation;
use pulang_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign-in required")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many attempts; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error("not permitted")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("some fields need attention")]
    Invalid(Validation),
    #[error("please confirm the warnings")]
    NeedsConfirmation(Validation),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    /// A failure that is not the caller's (the database, hashing, a task that panicked): a 500
    /// with a request id for the client, the details only in the log.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    /// An internal error from anything that is one (or from a message).
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> AppError {
        AppError::Internal(e.into())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(what) => AppError::Conflict(format!("{what} already exists")),
            StoreError::VersionConflict { .. } => AppError::Conflict(e.to_string()),
            other => AppError::internal(other),
        }
    }
}
