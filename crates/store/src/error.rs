//! The store's error type.

use homeward_domain::{Invalid, TransitionError};

/// What can go wrong in a use case.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such record, or not in the actor's record scope (indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// The actor's role may not do this.
    #[error("forbidden")]
    Forbidden,
    /// The record changed since the client read it.
    #[error("the record was changed by someone else (version conflict)")]
    Conflict,
    /// A unique value is already taken (field name).
    #[error("already exists: {0}")]
    Duplicate(&'static str),
    /// The input failed validation.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The workflow refused the transition.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The operation does not exist on this database (message key).
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// Reading or writing a file failed.
    #[error("file storage: {0}")]
    Io(String),
    /// Sealing or opening restricted data failed (no key, unknown key, altered value).
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database was migrated by a newer Homeward than this one.
    #[error(
        "the database's schema is at migration {database}, newer than this Homeward knows \
         (up to {known}): run the Homeward version that upgraded it, or a newer one; an older \
         binary must not write to it"
    )]
    SchemaTooNew { database: i64, known: i64 },
}

/// The store's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Refused input: one problem with one field (`code` is a translation key).
    pub fn invalid(field: &str, code: &str) -> Error {
        Error::Invalid(Invalid::one(field, code))
    }

    /// Whether the database refused a write because of a unique constraint.
    pub fn is_unique_violation(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
    }
}
