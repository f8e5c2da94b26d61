//! The database handle: an enum over a SQLite and a PostgreSQL pool, chosen by URL scheme.
//! Store functions write their SQL once (standard SQL, `$1` placeholders) and run it on
//! either backend through [`on_db!`](crate::on_db) and [`on_tx!`](crate::on_tx); where the
//! dialects differ, the two statements sit side by side in the same function.

use crate::{Result, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A transaction on either backend. Dropping it without [`Tx::commit`] rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>, WriteTurn),
    Pg(Transaction<'static, Postgres>),
}

/// A SQLite database's writer turn, held for the life of a transaction. SQLite has one
/// writer at a time; waiting for the turn here, before taking a pool connection, keeps the
/// waiting writers from holding every connection while the one in turn needs another for a
/// read (which would stall it until the others' busy timeouts expire).
pub struct WriteTurn(#[allow(dead_code)] tokio::sync::OwnedMutexGuard<()>);

/// How long a writer waits for its turn (as long as SQLite's busy timeout).
const WRITE_TURN_WAIT: Duration = Duration::from_secs(10);

/// The writer-turn lock of the SQLite database behind `pool` (one per database file).
fn write_lock(pool: &SqlitePool) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let file = pool.connect_options().get_filename().to_string_lossy().into_owned();
    let mut locks = LOCKS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    locks.entry(file).or_default().clone()
}

/// Runs `$body` with `$c` bound to the pool of `$db` (`&SqlitePool` or `&PgPool`).
#[macro_export]
macro_rules! on_db {
    ($db:expr, $c:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($c) => $body,
            $crate::db::Db::Pg($c) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the connection of the transaction `$tx`.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t, _) => {
                let $c = &mut **t;
                $body
            }
            $crate::db::Tx::Pg(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Options for opening a database.
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    /// Pool size; `None`: [`default_connections`] for the backend.
    pub max_connections: Option<u32>,
    /// PostgreSQL only: run in this schema (created if missing). Tests use one per test.
    pub pg_schema: Option<String>,
}

/// The pool size when none is given: `QIANGLIAN_DB_CONNECTIONS` (1–256) if set; else for
/// SQLite twice the cores and at least 4 — sqlx runs every SQLite connection on a thread
/// of its own, WAL readers run in parallel only up to the cores, and more connection
/// threads only add switching (64 clients on 2 cores: project-list p99 114 ms with 16
/// connections, 69 ms with 4). Writers wait for their turn before taking a connection
/// ([`WriteTurn`]), so a small pool is not filled by queued writers. PostgreSQL: 16.
pub fn default_connections(sqlite: bool) -> u32 {
    let env = std::env::var("QIANGLIAN_DB_CONNECTIONS").ok().and_then(|v| v.trim().parse::<u32>().ok());
    match env.filter(|n| (1..=256).contains(n)) {
        Some(n) => n,
        None if sqlite => {
            let cores = std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(2);
            (2 * cores).clamp(4, 16)
        }
        None => 16,
    }
}

impl Db {
    /// Opens `sqlite://PATH` (created if missing; WAL, `synchronous=FULL`, foreign keys,
    /// busy timeout) or `postgres://…` / `postgresql://…`.
    pub async fn connect(url: &str, opts: &ConnectOptions) -> Result<Db> {
        if url.starts_with("sqlite:") {
            let o = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                // 16 KiB pages for a new database (an existing one keeps its own: in WAL mode
                // the size is fixed once written): shallower indexes, fewer page splits; a
                // bulk import writes its seven b-trees about 15 % faster than with 4 KiB.
                .page_size(16384)
                .busy_timeout(Duration::from_secs(10))
                // 64 MiB of page cache per connection: bulk imports touch several indexes at
                // random places, and the default 2 MiB cache thrashes.
                .pragma("cache_size", "-65536")
                // Statement journals (each multi-row statement inside a transaction keeps one
                // to undo itself alone) and temporary b-trees in memory, not in temp files.
                .pragma("temp_store", "MEMORY")
                // Rows the connection's thread may hand over before waiting for the reader
                // (default 50): a bulk INSERT … RETURNING of 500 rows then never stalls that
                // thread while the importing task builds the next statement.
                .row_buffer_size(512);
            let n = opts.max_connections.unwrap_or_else(|| default_connections(true)).max(1);
            let pool = SqlitePoolOptions::new().max_connections(n).connect_with(o).await?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let mut o = PgConnectOptions::from_str(url)?;
            if let Some(schema) = &opts.pg_schema {
                if !schema.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(StoreError::Url(format!("bad schema name {schema}")));
                }
                let setup = PgPoolOptions::new().max_connections(1).connect_with(o.clone()).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS {schema}")))
                    .execute(&setup)
                    .await?;
                setup.close().await;
                o = o.options([("search_path", schema.as_str())]);
            }
            let n = opts.max_connections.unwrap_or_else(|| default_connections(false)).max(1);
            let pool = PgPoolOptions::new().max_connections(n).connect_with(o).await?;
            Ok(Db::Pg(pool))
        } else {
            Err(StoreError::Url(url.to_string()))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Pg(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations of this backend and loads the reference data they need.
    pub async fn migrate(&self, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
        match self {
            Db::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Db::Pg(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        crate::reference::load_all(self, now).await?;
        crate::registry::backfill_name_keys(self).await?;
        Ok(())
    }

    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            // IMMEDIATE takes the write lock up front, so a writer waits (busy timeout)
            // instead of failing when another wrote after its snapshot.
            Db::Sqlite(p) => {
                let turn = tokio::time::timeout(WRITE_TURN_WAIT, write_lock(p).lock_owned())
                    .await
                    .map_err(|_| StoreError::Sqlx(sqlx::Error::PoolTimedOut))?;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, WriteTurn(turn))
            }
            Db::Pg(p) => Tx::Pg(p.begin().await?),
        })
    }

    pub async fn close(&self) {
        on_db!(self, p => p.close().await)
    }
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, _turn) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }
    pub async fn rollback(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, _turn) => t.rollback().await?,
            Tx::Pg(t) => t.rollback().await?,
        }
        Ok(())
    }
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Pg(_) => Backend::Postgres,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Six writers on a pool of two connections, each reading through the pool while its
    /// transaction is open (as the app does): all commit. Without the writer turn the queued
    /// writers hold both connections in `BEGIN IMMEDIATE`, the one in turn cannot get a
    /// connection for its read, and the others fail with "database is locked".
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[allow(clippy::disallowed_methods)] // a test: the pause lets the other writers queue up
    async fn queued_writers_leave_a_connection_for_the_one_in_turn() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let db = Db::connect(&url, &ConnectOptions { max_connections: Some(2), pg_schema: None }).await.unwrap();
        let Db::Sqlite(pool) = &db else { panic!("a SQLite URL opens SQLite") };
        sqlx::query("CREATE TABLE t (x INTEGER NOT NULL)").execute(pool).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..6i64 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let mut tx = db.begin().await?;
                tokio::time::sleep(Duration::from_millis(20)).await;
                let Db::Sqlite(pool) = &db else { panic!("SQLite") };
                let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(pool).await?;
                let Tx::Sqlite(t, _) = &mut tx else { panic!("SQLite") };
                sqlx::query("INSERT INTO t (x) VALUES ($1)").bind(i).execute(&mut **t).await?;
                tx.commit().await?;
                Ok::<i64, StoreError>(before)
            }));
        }
        let mut seen = Vec::new();
        for t in tasks {
            seen.push(t.await.unwrap().unwrap());
        }
        seen.sort();
        // One writer at a time: each saw the rows of those before it.
        assert_eq!(seen, vec![0, 1, 2, 3, 4, 5]);
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(pool).await.unwrap();
        assert_eq!(n, 6);
    }
}
