//! Persistence of Qianglian: one [`Db`] over SQLite or PostgreSQL (sqlx), migrations for
//! both, reference data, and one module per capability. Every read of business data takes
//! the caller's scope; every write runs inside a [`Tx`] together with its audit row.

pub mod account;
pub mod audit;
pub mod chain;
pub mod chainmap;
pub mod db;
pub mod enterprise;
pub mod error;
pub mod evalrun;
pub mod feed;
pub mod gradient;
pub mod history;
pub mod indicator;
pub mod meeting;
pub mod problem;
pub mod productgraph;
pub mod project;
pub mod reference;
pub mod registry;
pub mod scheme;
pub mod sql;

pub use db::{Backend, Db, Tx};
pub use error::StoreError;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
