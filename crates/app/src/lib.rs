//! Use cases of Qianglian: the one API that both the web server and the CLI call. Each
//! write checks permissions, runs in one transaction with its audit row, and returns a
//! typed [`AppError`] whose message is ready to show (in Chinese).

pub mod account;
pub mod audit;
pub mod chainmap;
pub mod chainmap_history;
pub mod chainmap_import;
mod chainmap_import_check;
mod counts;
pub mod demo;
mod demo_chains;
mod demo_problems;
mod demo_projects;
mod demo_runs;
pub mod enterprise;
pub mod error;
pub mod eval;
pub mod evalrun;
pub mod export;
pub mod import;
mod import_enterprises;
mod import_indicators;
mod import_reserve;
mod import_stream;
pub mod ledger;
pub mod meeting;
pub mod problem;
pub mod productgraph;
pub mod project;
pub(crate) mod project_book;
pub mod project_schedule;
pub mod project_xlsx;
pub mod reference;
pub mod registry;
pub mod scheme;
pub mod scheme_xlsx;
pub mod search;
pub mod secret;

pub use domain;
pub use error::{AppError, FieldError};
pub use store::{self, Backend, Db};

use domain::clock::Clock;
use std::sync::Arc;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// (the import that wrote it, the graph)
pub(crate) type GraphCache = (i64, Arc<domain::productgraph::ProductGraph>);

#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// This instance's search index, fed by the change feed (see [`search`]).
    pub search: Option<Arc<::search::SearchIndex>>,
    pub(crate) search_sync: Arc<tokio::sync::Mutex<()>>,
    /// List totals by scope and filter, valid while the change feed has not moved.
    pub(crate) counts: Arc<counts::CountCache>,
    pub(crate) regions: Arc<tokio::sync::OnceCell<Vec<store::reference::RegionRow>>>,
    /// The reference product graph as last loaded, with the import that wrote it (every
    /// import adds a row, so another instance's import is seen at the next read).
    pub(crate) product_graph: Arc<tokio::sync::Mutex<Option<GraphCache>>>,
    /// Scheduling reports by (scope, period, chain, region, day), valid while the change
    /// feed has not moved (every project write appends to it).
    pub(crate) schedules: Arc<std::sync::Mutex<project_schedule::ScheduleCache>>,
    /// Today's code of every project, patched from the change feed (see
    /// [`project_schedule::TodayCodes`]).
    pub(crate) today_codes: Arc<tokio::sync::Mutex<project_schedule::TodayCodes>>,
    /// The project book of this instance (see [`project_book`]).
    pub(crate) book: Arc<tokio::sync::Mutex<Arc<project_book::Book>>>,
    /// The security policy with its version, as last read.
    pub(crate) policy_cache: Arc<std::sync::Mutex<Option<(i64, domain::account::SecurityPolicy)>>>,
    /// (code, name, lead department) of every chain with the feed head it was read at
    /// (a new chain appends to the feed).
    pub(crate) chain_heads: Arc<std::sync::Mutex<Option<(i64, ChainHeads)>>>,
    /// The departments (reference data loaded once at start).
    pub(crate) departments: Arc<tokio::sync::OnceCell<Vec<store::reference::NamedCode>>>,
}

/// (code, name, lead department) of every chain, in the drop-downs' order.
pub(crate) type ChainHeads = Arc<Vec<(String, String, String)>>;

impl App {
    /// Opens the database at `url`, applies migrations and loads reference data.
    pub async fn open(url: &str, clock: Arc<dyn Clock>, opts: &store::db::ConnectOptions) -> Result<App> {
        let db = Db::connect(url, opts).await?;
        db.migrate(clock.now()).await?;
        Ok(App {
            db,
            clock,
            search: None,
            search_sync: Arc::new(tokio::sync::Mutex::new(())),
            counts: Arc::new(counts::CountCache::default()),
            regions: Arc::new(tokio::sync::OnceCell::new()),
            product_graph: Arc::new(tokio::sync::Mutex::new(None)),
            schedules: Arc::new(std::sync::Mutex::new(Default::default())),
            today_codes: Arc::new(tokio::sync::Mutex::new(Default::default())),
            book: Arc::new(tokio::sync::Mutex::new(Default::default())),
            policy_cache: Arc::new(std::sync::Mutex::new(None)),
            chain_heads: Arc::new(std::sync::Mutex::new(None)),
            departments: Arc::new(tokio::sync::OnceCell::new()),
        })
    }

    /// Attaches a search index (a directory of this instance, or in memory for tests).
    pub fn with_search(mut self, index: ::search::SearchIndex) -> App {
        self.search = Some(Arc::new(index));
        self
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Today's date in China.
    pub fn today(&self) -> chrono::NaiveDate {
        domain::clock::china_date(self.clock.now())
    }
}

/// Who is acting, as the audit log records it.
#[derive(Clone, Debug)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
    pub ip: String,
}

impl Actor {
    /// The operator at the server's console (CLI bulk jobs).
    pub fn cli() -> Actor {
        Actor { id: None, name: "cli".into(), ip: "local".into() }
    }
}

pub(crate) fn audit_entry(
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> store::audit::AuditEntry {
    store::audit::AuditEntry {
        actor_id: actor.id,
        actor: actor.name.clone(),
        action: action.to_string(),
        entity: entity.to_string(),
        entity_id: entity_id.to_string(),
        before,
        after,
        ip: actor.ip.clone(),
    }
}
