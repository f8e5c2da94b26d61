//! A small builder for queries whose shape depends on input (filters, scopes): it numbers
//! `$n` placeholders, keeps the values, and runs the text on either backend. Values are
//! always bound, never spliced into the text.

use crate::{Db, Result, Tx};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, AssertSqlSafe, FromRow};

#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    I64(i64),
    F64(f64),
    Text(String),
    Bool(bool),
    Ts(chrono::DateTime<chrono::Utc>),
    Date(chrono::NaiveDate),
    /// A typed NULL, so that a statement's text does not depend on which values are
    /// missing (one prepared statement serves every row).
    NullI64,
    NullText,
    NullDate,
    Bytes(Vec<u8>),
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Arg::NullI64, Arg::I64)
    }
}
impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Self {
        v.as_ref().map_or(Arg::NullText, |s| Arg::Text(s.clone()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        v.map_or(Arg::NullText, Arg::Text)
    }
}
impl From<Option<chrono::NaiveDate>> for Arg {
    fn from(v: Option<chrono::NaiveDate>) -> Self {
        v.map_or(Arg::NullDate, Arg::Date)
    }
}

impl From<chrono::NaiveDate> for Arg {
    fn from(v: chrono::NaiveDate) -> Self {
        Arg::Date(v)
    }
}

impl From<chrono::DateTime<chrono::Utc>> for Arg {
    fn from(v: chrono::DateTime<chrono::Utc>) -> Self {
        Arg::Ts(v)
    }
}

impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::I64(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<f64> for Arg {
    fn from(v: f64) -> Self {
        Arg::F64(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}

/// Adds the values of `$args` (an iterator of owned [`Arg`]s) to the arguments `$a` of either
/// backend. Encoding these plain types cannot fail.
macro_rules! fill_args {
    ($a:expr, $args:expr) => {{
        let mut a = $a;
        for v in $args {
            let _ = match v {
                Arg::I64(x) => a.add(x),
                Arg::F64(x) => a.add(x),
                Arg::Text(x) => a.add(x),
                Arg::Bool(x) => a.add(x),
                Arg::Ts(x) => a.add(x),
                Arg::Date(x) => a.add(x),
                Arg::NullI64 => a.add(None::<i64>),
                Arg::NullText => a.add(None::<String>),
                Arg::NullDate => a.add(None::<chrono::NaiveDate>),
                Arg::Bytes(x) => a.add(x),
            };
        }
        a
    }};
}

/// The text is kept twice: with `$n` for PostgreSQL and with anonymous `?` for SQLite.
/// SQLite finds the value of a named or numbered parameter by walking the statement's list
/// of names, so binding n of them costs n² (most of the time of a 2,000-value INSERT);
/// anonymous ones cost nothing to look up. Placeholders only come from [`Sql::bind`], in
/// order, so the two texts always agree.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    text: String,
    lite: String,
    args: Vec<Arg>,
}

/// Rows that decode on both backends.
pub trait AnyRow: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> AnyRow for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self { text: text.to_string(), lite: text.to_string(), args: Vec::new() }
    }
    /// A query whose head differs between the dialects (`INSERT` on PostgreSQL,
    /// `INSERT OR FAIL` on SQLite, say); what follows is shared.
    pub fn new_split(pg: &str, sqlite: &str) -> Self {
        Self { text: pg.to_string(), lite: sqlite.to_string(), args: Vec::new() }
    }
    /// Appends SQL text (never user input, never a placeholder: those come from `bind`).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self.lite.push_str(text);
        self
    }
    /// Appends a placeholder bound to `v`.
    pub fn bind(&mut self, v: impl Into<Arg>) -> &mut Self {
        use std::fmt::Write;
        self.args.push(v.into());
        let _ = write!(self.text, "${}", self.args.len());
        self.lite.push('?');
        self
    }
    /// Appends `(… , …)` of placeholders for a non-empty list.
    pub fn bind_list<I, T>(&mut self, items: I) -> &mut Self
    where
        I: IntoIterator<Item = T>,
        T: Into<Arg>,
    {
        self.push("(");
        for (i, v) in items.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
        }
        self.push(")");
        self
    }
    /// A new query: `head`, then this one's text with its values (a shared `WHERE`).
    pub fn with_prefix(&self, head: &str) -> Sql {
        Sql { text: format!("{head}{}", self.text), lite: format!("{head}{}", self.lite), args: self.args.clone() }
    }
    /// The PostgreSQL text (`$n` placeholders).
    pub fn text(&self) -> &str {
        &self.text
    }
    /// The SQLite text (`?` placeholders).
    pub fn sqlite_text(&self) -> &str {
        &self.lite
    }

    fn lite_sql(&self) -> AssertSqlSafe<String> {
        AssertSqlSafe(self.lite.clone())
    }
    fn pg_sql(&self) -> AssertSqlSafe<String> {
        AssertSqlSafe(self.text.clone())
    }

    fn sqlite_args(&self) -> SqliteArguments {
        fill_args!(SqliteArguments::default(), self.args.iter().cloned())
    }
    fn pg_args(&self) -> PgArguments {
        fill_args!(PgArguments::default(), self.args.iter().cloned())
    }

    pub async fn fetch_all<T: AnyRow>(&self, db: &Db) -> Result<Vec<T>> {
        Ok(match db {
            Db::Sqlite(p) => sqlx::query_as_with(self.lite_sql(), self.sqlite_args()).fetch_all(p).await?,
            Db::Pg(p) => sqlx::query_as_with(self.pg_sql(), self.pg_args()).fetch_all(p).await?,
        })
    }

    pub async fn fetch_optional<T: AnyRow>(&self, db: &Db) -> Result<Option<T>> {
        Ok(match db {
            Db::Sqlite(p) => sqlx::query_as_with(self.lite_sql(), self.sqlite_args()).fetch_optional(p).await?,
            Db::Pg(p) => sqlx::query_as_with(self.pg_sql(), self.pg_args()).fetch_optional(p).await?,
        })
    }

    pub async fn fetch_all_tx<T: AnyRow>(&self, tx: &mut Tx) -> Result<Vec<T>> {
        Ok(match tx {
            Tx::Sqlite(t, _) => sqlx::query_as_with(self.lite_sql(), self.sqlite_args()).fetch_all(&mut **t).await?,
            Tx::Pg(t) => sqlx::query_as_with(self.pg_sql(), self.pg_args()).fetch_all(&mut **t).await?,
        })
    }

    /// [`Sql::fetch_all_tx`], moving the bound values into the statement instead of copying
    /// them (bulk statements).
    pub async fn into_fetch_all_tx<T: AnyRow>(self, tx: &mut Tx) -> Result<Vec<T>> {
        Ok(match tx {
            Tx::Sqlite(t, _) => {
                let args = fill_args!(SqliteArguments::default(), self.args.into_iter());
                sqlx::query_as_with(AssertSqlSafe(self.lite), args).fetch_all(&mut **t).await?
            }
            Tx::Pg(t) => {
                let args = fill_args!(PgArguments::default(), self.args.into_iter());
                sqlx::query_as_with(AssertSqlSafe(self.text), args).fetch_all(&mut **t).await?
            }
        })
    }

    pub async fn fetch_optional_tx<T: AnyRow>(&self, tx: &mut Tx) -> Result<Option<T>> {
        Ok(match tx {
            Tx::Sqlite(t, _) => {
                sqlx::query_as_with(self.lite_sql(), self.sqlite_args()).fetch_optional(&mut **t).await?
            }
            Tx::Pg(t) => sqlx::query_as_with(self.pg_sql(), self.pg_args()).fetch_optional(&mut **t).await?,
        })
    }

    /// A single `BIGINT` (a count).
    pub async fn fetch_i64(&self, db: &Db) -> Result<i64> {
        Ok(match db {
            Db::Sqlite(p) => sqlx::query_scalar_with(self.lite_sql(), self.sqlite_args()).fetch_one(p).await?,
            Db::Pg(p) => sqlx::query_scalar_with(self.pg_sql(), self.pg_args()).fetch_one(p).await?,
        })
    }

    /// A single `BIGINT` inside a transaction (a count, or an id from `RETURNING id`).
    pub async fn fetch_one_i64_tx(&self, tx: &mut Tx) -> Result<i64> {
        Ok(match tx {
            Tx::Sqlite(t, _) => {
                sqlx::query_scalar_with(self.lite_sql(), self.sqlite_args()).fetch_one(&mut **t).await?
            }
            Tx::Pg(t) => sqlx::query_scalar_with(self.pg_sql(), self.pg_args()).fetch_one(&mut **t).await?,
        })
    }

    pub async fn execute_tx(&self, tx: &mut Tx) -> Result<u64> {
        Ok(match tx {
            Tx::Sqlite(t, _) => {
                sqlx::query_with(self.lite_sql(), self.sqlite_args()).execute(&mut **t).await?.rows_affected()
            }
            Tx::Pg(t) => sqlx::query_with(self.pg_sql(), self.pg_args()).execute(&mut **t).await?.rows_affected(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders() {
        let mut s = Sql::new("SELECT 1 WHERE a = ");
        s.bind(1i64).push(" AND b IN ").bind_list(["x", "y"]);
        assert_eq!(s.text(), "SELECT 1 WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(s.sqlite_text(), "SELECT 1 WHERE a = ? AND b IN (?, ?)");
        let p = s.with_prefix("WITH x AS (SELECT ");
        assert_eq!(p.sqlite_text(), "WITH x AS (SELECT SELECT 1 WHERE a = ? AND b IN (?, ?)");
        assert_eq!(s.args.len(), 3);
    }
}
