use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("reference data {file}: {message}")]
    Reference { file: &'static str, message: String },
    #[error("unsupported database URL: {0}")]
    Url(String),
    /// An update named a version that is no longer current.
    #[error("stale version")]
    Stale,
    #[error("not found")]
    NotFound,
    #[error("audit chain: {0}")]
    Audit(String),
}

impl StoreError {
    /// A unique constraint was violated (SQLite 2067/1555, PostgreSQL 23505).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sqlx(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
    /// A foreign key was violated (SQLite 787, PostgreSQL 23503).
    pub fn is_foreign_key_violation(&self) -> bool {
        match self {
            StoreError::Sqlx(sqlx::Error::Database(e)) => e.is_foreign_key_violation(),
            _ => false,
        }
    }
}
