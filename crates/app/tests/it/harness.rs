//! Every test body runs once per backend: on a temp SQLite file always, and on PostgreSQL
//! (a schema of its own) when `QIANGLIAN_TEST_PG` holds a URL. Under `CI=true` a missing or
//! unreachable PostgreSQL fails the test instead of quietly skipping it.

use app::account::{Principal, SessionKind};
use app::enterprise::EnterpriseInput;
use app::{Actor, App, Backend};
use chrono::{DateTime, TimeZone, Utc};
use domain::clock::FixedClock;
use domain::role::Grant;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use store::sql::Sql;
use tempfile::TempDir;

/// The password every test account gets: it passes the default policy and contains no
/// test username.
pub const PASSWORD: &str = "Qianglian#2026";

/// Where every test clock starts: 2026-03-02 09:00 in Dazhou (UTC+8).
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).single().expect("valid time")
}

/// One fresh database with its app and the clock the test moves by hand.
pub struct TestDb {
    pub app: App,
    pub clock: Arc<FixedClock>,
    pub backend: Backend,
    _dir: Option<TempDir>,
    pg: Option<(String, String)>,
    /// Whether dropping it counts as a run on its backend (`QIANGLIAN_BACKEND_LOG`).
    log: bool,
}

impl TestDb {
    /// A second app on the same database (another server instance), on the same clock.
    pub async fn reopen(&self) -> App {
        let (url, schema) = match (&self.pg, &self._dir) {
            (Some((url, schema)), _) => (url.clone(), Some(schema.clone())),
            (None, Some(dir)) => (format!("sqlite://{}/t.db", dir.path().display()), None),
            (None, None) => panic!("a test database without a location"),
        };
        App::open(&url, self.clock.clone(), &options(schema)).await.expect("reopen")
    }

    pub fn name(&self) -> &'static str {
        self.backend.name()
    }
    /// Drops it without counting it as a run on its backend.
    pub fn skip(mut self) {
        self.log = false;
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);
static PG_DOWN: Mutex<Option<String>> = Mutex::new(None);

/// `[a-z0-9_]` only, short enough for a PostgreSQL identifier with its suffix.
fn schema_name(test: &str) -> String {
    let mut s: String =
        test.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    s.truncate(36);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("it_{s}_{n}_{}", std::process::id())
}

fn test_name() -> String {
    std::thread::current().name().unwrap_or("test").to_string()
}

/// The PostgreSQL URL to test on, if any; panics under CI when there is none.
fn pg_url() -> Option<String> {
    let url = std::env::var("QIANGLIAN_TEST_PG").ok().filter(|u| !u.trim().is_empty());
    if url.is_none() && std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but QIANGLIAN_TEST_PG is not set: the PostgreSQL half of the tests would be skipped");
    }
    url
}

fn options(pg_schema: Option<String>) -> store::db::ConnectOptions {
    store::db::ConnectOptions { max_connections: Some(4), pg_schema }
}

/// A fresh app per backend.
pub async fn backends() -> Vec<TestDb> {
    let test = test_name();
    let mut out = vec![sqlite().await];
    if let Some(url) = pg_url() {
        let schema = schema_name(&test);
        let clock = Arc::new(FixedClock::new(t0()));
        // Asked for PostgreSQL and cannot have it: fail, in CI and out of it, rather than let a
        // SQLite-only run look like a run on both. The first failure is remembered so that the
        // other tests fail at once instead of each waiting for the connect timeout.
        if let Some(e) = PG_DOWN.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            panic!("QIANGLIAN_TEST_PG is set but PostgreSQL is unusable: {e}");
        }
        let app = match App::open(&url, clock.clone(), &options(Some(schema.clone()))).await {
            Ok(app) => app,
            Err(e) => {
                let e = format!("{e:?}");
                *PG_DOWN.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.clone());
                panic!("QIANGLIAN_TEST_PG is set but PostgreSQL is unusable: {e}");
            }
        };
        out.push(TestDb { app, clock, backend: Backend::Postgres, _dir: None, pg: Some((url, schema)), log: true });
    }
    out
}

/// A fresh app on a temp SQLite file only.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let clock = Arc::new(FixedClock::new(t0()));
    let app = App::open(&url, clock.clone(), &options(None)).await.expect("open SQLite");
    TestDb { app, clock, backend: Backend::Sqlite, _dir: Some(dir), pg: None, log: true }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.log
            && !std::thread::panicking()
            && let Ok(path) = std::env::var("QIANGLIAN_BACKEND_LOG")
            && let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path)
        {
            let _ = f.write_all(format!("{}\n", self.backend.name()).as_bytes());
        }
        if let Some((url, schema)) = self.pg.take() {
            // Best effort, on a runtime of its own (drop cannot await on the test's).
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                rt.block_on(async move {
                    let Ok(db) = store::Db::connect(&url, &options(None)).await else { return };
                    // The test's pool may still hold a connection inside a transaction that an
                    // early return dropped (its ROLLBACK is only sent by a task of the test's
                    // runtime, which no longer runs): end those sessions so the DROP is not
                    // blocked by their locks.
                    let mut q = Sql::new(
                        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE l.pid <> pg_backend_pid() AND n.nspname = ",
                    );
                    q.bind(schema.as_str());
                    let _ = q.fetch_all::<(bool,)>(&db).await;
                    if let Ok(mut tx) = db.begin().await {
                        let ok = Sql::new("SET LOCAL lock_timeout = '10s'").execute_tx(&mut tx).await.is_ok()
                            && Sql::new(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                                .execute_tx(&mut tx)
                                .await
                                .is_ok();
                        let _ = if ok { tx.commit().await } else { tx.rollback().await };
                    }
                    db.close().await;
                });
            })
            .join();
        }
    }
}

// ---- small helpers shared by the test modules ----

pub async fn count(app: &App, sql: &str) -> i64 {
    Sql::new(sql).fetch_i64(&app.db).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub async fn audit_rows(app: &App) -> i64 {
    count(app, "SELECT COUNT(*) FROM audit_log").await
}

/// Runs one statement in its own transaction and commits it, or rolls back and returns
/// the error.
pub async fn exec(app: &App, sql: &str) -> Result<u64, store::StoreError> {
    let mut tx = app.db.begin().await?;
    match Sql::new(sql).execute_tx(&mut tx).await {
        Ok(n) => {
            tx.commit().await?;
            Ok(n)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

pub fn grants(specs: &[&str]) -> Vec<Grant> {
    specs.iter().map(|s| Grant::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))).collect()
}

/// Creates an account at the console with [`PASSWORD`]; returns its id.
pub async fn account(app: &App, username: &str, display: &str, specs: &[&str]) -> i64 {
    let (id, generated) = app
        .create_account(&Actor::cli(), None, username, display, &grants(specs), Some(PASSWORD))
        .await
        .unwrap_or_else(|e| panic!("create {username}: {e:?}"));
    assert_eq!(generated, None);
    id
}

/// Logs in and resolves the session as a request would; returns the token and principal.
pub async fn login(app: &App, username: &str, password: &str) -> (String, Principal) {
    let s = app
        .login(username, password, SessionKind::Web, "127.0.0.1")
        .await
        .unwrap_or_else(|e| panic!("login {username}: {e:?}"));
    let p = app
        .authenticate(&s.token, SessionKind::Web, "127.0.0.1")
        .await
        .unwrap_or_else(|e| panic!("authenticate {username}: {e:?}"));
    assert_eq!(p.username, username);
    (s.token, p)
}

/// An account with `specs`, logged in.
pub async fn principal(app: &App, username: &str, display: &str, specs: &[&str]) -> Principal {
    account(app, username, display, specs).await;
    login(app, username, PASSWORD).await.1
}

/// A valid USCC of a company registered in `region`, distinct for each `n`.
pub fn uscc(region: &str, n: u32) -> String {
    let first17 = format!("91{region}MA{n:07}");
    domain::uscc::Uscc::complete(&first17).expect("valid prefix").as_str().to_string()
}

pub fn input(uscc: &str, name: &str, region: &str, industry: &str) -> EnterpriseInput {
    EnterpriseInput {
        uscc: uscc.into(),
        name: name.into(),
        region_code: region.into(),
        industry_code: industry.into(),
        employees: "120".into(),
        revenue_wan: "1500.5".into(),
        assets_wan: "2000".into(),
        founded_on: "2010-05-20".into(),
        address: "达州市某路1号".into(),
        contact_name: "张三".into(),
        contact_phone: "0818-2345678".into(),
        ..Default::default()
    }
}

/// A filter that returns everything on one page.
pub fn all() -> store::enterprise::Filter {
    store::enterprise::Filter { per_page: 200, ..Default::default() }
}

/// Actions of the audit log in order, with their entity ids.
pub async fn audit_actions(app: &App) -> Vec<(String, String)> {
    Sql::new("SELECT action, entity_id FROM audit_log ORDER BY seq")
        .fetch_all::<(String, String)>(&app.db)
        .await
        .expect("audit rows")
}

/// A chain led by `lead` (field 能源化工, carried by 宣汉县), named 测试链CODE; its id.
pub async fn test_chain(app: &App, code: &str, lead: &str) -> i64 {
    let mut tx = app.db.begin().await.expect("tx");
    let id = store::chain::insert(
        &mut tx,
        &store::chain::NewChain {
            code: code.into(),
            name: format!("测试链{code}"),
            field_code: "energy_chemical".into(),
            lead_department_code: lead.into(),
            provincial_key: true,
            carrying_regions: vec!["511722".into()],
            collaborating_regions: vec![],
        },
        app.now(),
        None,
    )
    .await
    .expect("chain");
    tx.commit().await.expect("commit");
    id
}
