//! The enterprise ledger core. Every read takes the caller's [`EnterpriseScope`] and every
//! update re-checks the write scope inside the statement, so no caller can step outside it.

use crate::sql::Sql;
use crate::{Db, Result, StoreError, Tx, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::role::EnterpriseScope;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct EnterpriseRow {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
    pub park_code: Option<String>,
    pub park_name: Option<String>,
    pub industry_code: String,
    pub industry_name: String,
    pub employees: Option<i64>,
    pub revenue_fen: Option<i64>,
    pub assets_fen: Option<i64>,
    pub size: Option<String>,
    pub above_scale: bool,
    pub founded_on: Option<NaiveDate>,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
    pub is_demo: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<i64>,
    pub updated_by_name: Option<String>,
}

const SELECT: &str = "SELECT e.id, e.uscc, e.name, e.region_code, r.name AS region_name, e.park_code, p.name AS park_name, \
    e.industry_code, i.name AS industry_name, e.employees, e.revenue_fen, e.assets_fen, e.size, e.above_scale, e.founded_on, \
    e.address, e.contact_name, e.contact_phone, e.description, e.is_demo, e.version, e.created_at, e.updated_at, \
    e.updated_by, ua.display_name AS updated_by_name \
    FROM enterprise e JOIN region r ON r.code = e.region_code LEFT JOIN region p ON p.code = e.park_code \
    JOIN industry i ON i.code = e.industry_code LEFT JOIN account ua ON ua.id = e.updated_by";

/// The stored fields of an enterprise, already validated and with size computed.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EnterpriseData {
    pub uscc: String,
    pub name: String,
    pub region_code: String,
    pub park_code: Option<String>,
    pub industry_code: String,
    pub employees: Option<i64>,
    pub revenue_fen: Option<i64>,
    pub assets_fen: Option<i64>,
    pub size: Option<String>,
    pub above_scale: bool,
    pub founded_on: Option<NaiveDate>,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
    pub is_demo: bool,
}

impl EnterpriseRow {
    pub fn data(&self) -> EnterpriseData {
        EnterpriseData {
            uscc: self.uscc.clone(),
            name: self.name.clone(),
            region_code: self.region_code.clone(),
            park_code: self.park_code.clone(),
            industry_code: self.industry_code.clone(),
            employees: self.employees,
            revenue_fen: self.revenue_fen,
            assets_fen: self.assets_fen,
            size: self.size.clone(),
            above_scale: self.above_scale,
            founded_on: self.founded_on,
            address: self.address.clone(),
            contact_name: self.contact_name.clone(),
            contact_phone: self.contact_phone.clone(),
            description: self.description.clone(),
            is_demo: self.is_demo,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// Appends ` AND (…)` limiting `e` to what `scope` allows for `access`.
pub fn push_scope(q: &mut Sql, scope: &EnterpriseScope, access: Access) {
    let all = match access {
        Access::Read => scope.read_all,
        Access::Write => scope.write_all,
    };
    if all {
        return;
    }
    let mut terms = 0;
    q.push(" AND (");
    let mut or = |q: &mut Sql| {
        if terms > 0 {
            q.push(" OR ");
        }
        terms += 1;
    };
    if !scope.regions.is_empty() {
        or(q);
        q.push("e.region_code IN ").bind_list(&scope.regions);
        q.push(" OR e.park_code IN ").bind_list(&scope.regions);
        q.push(" OR e.region_code IN (SELECT code FROM region WHERE parent_code IN ")
            .bind_list(&scope.regions)
            .push(")");
    }
    let chains: &[String] = if access == Access::Read { &scope.chains_read } else { &[] };
    if !chains.is_empty() || !scope.lead_departments.is_empty() {
        or(q);
        q.push("EXISTS (SELECT 1 FROM enterprise_chain ec JOIN chain c ON c.id = ec.chain_id WHERE ec.enterprise_id = e.id AND (");
        let mut inner = 0;
        if !chains.is_empty() {
            q.push("c.code IN ").bind_list(chains);
            inner += 1;
        }
        if !scope.lead_departments.is_empty() {
            if inner > 0 {
                q.push(" OR ");
            }
            q.push("c.lead_department_code IN ").bind_list(&scope.lead_departments);
        }
        q.push("))");
    }
    if access == Access::Read && !scope.own_usccs.is_empty() {
        or(q);
        q.push("e.uscc IN ").bind_list(&scope.own_usccs);
    }
    if terms == 0 {
        q.push("1 = 0");
    }
    q.push(")");
}

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub region: Option<String>,
    /// GB/T 4754 code prefix (a section letter, or 2/3/4 digits).
    pub industry: Option<String>,
    pub size: Option<String>,
    pub chain: Option<String>,
    pub above_scale: Option<bool>,
    /// Name or USCC fragment.
    pub q: Option<String>,
    pub sort: Option<String>,
    pub desc: bool,
    pub page: i64,
    pub per_page: i64,
}

fn push_filter(w: &mut Sql, f: &Filter) {
    if let Some(r) = &f.region {
        w.push(" AND (e.region_code = ").bind(r).push(" OR e.park_code = ").bind(r).push(")");
    }
    if let Some(i) = &f.industry {
        if i.len() == 1 && i.chars().all(|c| c.is_ascii_uppercase()) {
            w.push(" AND e.industry_code IN (SELECT code FROM industry WHERE section = ").bind(i).push(")");
        } else {
            w.push(" AND e.industry_code LIKE ").bind(format!("{i}%"));
        }
    }
    if let Some(s) = &f.size {
        w.push(" AND e.size = ").bind(s);
    }
    if let Some(b) = f.above_scale {
        w.push(" AND e.above_scale = ").bind(b);
    }
    if let Some(c) = &f.chain {
        w.push(" AND EXISTS (SELECT 1 FROM enterprise_chain fc JOIN chain fch ON fch.id = fc.chain_id WHERE fc.enterprise_id = e.id AND fch.code = ")
            .bind(c)
            .push(")");
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let like = format!("%{}%", q.replace(['%', '_'], ""));
        w.push(" AND (e.name LIKE ")
            .bind(like)
            .push(" OR e.uscc LIKE ")
            .bind(format!("{}%", q.to_ascii_uppercase()))
            .push(")");
    }
}

fn order_by(f: &Filter) -> String {
    let col = match f.sort.as_deref() {
        Some("uscc") => "e.uscc",
        Some("region") => "e.region_code",
        Some("industry") => "e.industry_code",
        Some("size") => {
            "CASE e.size WHEN 'large' THEN 1 WHEN 'medium' THEN 2 WHEN 'small' THEN 3 WHEN 'micro' THEN 4 ELSE 5 END"
        }
        Some("revenue") => "COALESCE(e.revenue_fen, -1)",
        Some("employees") => "COALESCE(e.employees, -1)",
        Some("updated") => "e.updated_at",
        // By name key, the normalised name (brackets, spaces, widths, 有限责任公司): the same
        // order as by name but for those, and read from the partial index of live
        // enterprises that the same-name lookups use too (migration 0006).
        _ => "e.name_key",
    };
    let dir = if f.desc { "DESC" } else { "ASC" };
    format!(" ORDER BY {col} {dir}, e.id {dir}")
}

fn where_clause(scope: &EnterpriseScope, f: &Filter) -> Sql {
    let mut w = Sql::new(" WHERE e.archived = FALSE");
    push_scope(&mut w, scope, Access::Read);
    push_filter(&mut w, f);
    w
}

/// One page of the enterprises `scope` may read (without the total: see [`count`]).
///
/// In two steps within one statement: the page's ids from `enterprise` alone (an index walk
/// for the default order, however deep the page), then the joins for those ids only. The
/// joined tables are lookups that every live enterprise has (foreign keys), so they cannot
/// change which rows make the page.
pub async fn page(db: &Db, scope: &EnterpriseScope, f: &Filter) -> Result<Vec<EnterpriseRow>> {
    let per = f.per_page.clamp(1, 200);
    let order = order_by(f);
    let mut q = where_clause(scope, f).with_prefix(&format!("{SELECT} WHERE e.id IN (SELECT e.id FROM enterprise e"));
    q.push(&order);
    q.push(&format!(" LIMIT {per} OFFSET {})", (f.page.max(1) - 1) * per));
    q.push(&order);
    q.fetch_all(db).await
}

pub async fn count(db: &Db, scope: &EnterpriseScope, f: &Filter) -> Result<i64> {
    where_clause(scope, f).with_prefix("SELECT COUNT(*) FROM enterprise e").fetch_i64(db).await
}

/// Every enterprise matching `f` that `scope` may read, for export (at most `limit`).
pub async fn export(db: &Db, scope: &EnterpriseScope, f: &Filter, limit: i64) -> Result<Vec<EnterpriseRow>> {
    let mut q = where_clause(scope, f).with_prefix(SELECT);
    q.push(&order_by(f));
    q.push(&format!(" LIMIT {}", limit.max(1)));
    q.fetch_all(db).await
}

/// One enterprise if `scope` may read it; `None` when missing or outside the scope alike.
pub async fn get(db: &Db, scope: &EnterpriseScope, id: i64) -> Result<Option<EnterpriseRow>> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE e.archived = FALSE AND e.id = ").bind(id);
    push_scope(&mut q, scope, Access::Read);
    q.fetch_optional(db).await
}

/// One enterprise inside a write transaction, if `scope` may `access` it.
pub async fn get_tx(tx: &mut Tx, scope: &EnterpriseScope, id: i64, access: Access) -> Result<Option<EnterpriseRow>> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE e.archived = FALSE AND e.id = ").bind(id);
    push_scope(&mut q, scope, access);
    q.fetch_optional_tx(tx).await
}

/// The id of the enterprise with this USCC, whatever the scope (used to refuse duplicates).
pub async fn id_by_uscc_tx(tx: &mut Tx, uscc: &str) -> Result<Option<i64>> {
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
    }
    let mut q = Sql::new("SELECT id FROM enterprise WHERE uscc = ");
    q.bind(uscc);
    Ok(q.fetch_optional_tx::<Id>(tx).await?.map(|r| r.id))
}

pub async fn insert(tx: &mut Tx, d: &EnterpriseData, at: DateTime<Utc>, by: Option<i64>) -> Result<i64> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO enterprise (uscc, name, region_code, park_code, industry_code, employees, revenue_fen, assets_fen, size, \
         above_scale, founded_on, address, contact_name, contact_phone, description, is_demo, archived, version, \
         created_at, created_by, updated_at, updated_by, name_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, FALSE, 1, $17, $18, $17, $18, $19) RETURNING id")
        .bind(&d.uscc).bind(&d.name).bind(&d.region_code).bind(&d.park_code).bind(&d.industry_code)
        .bind(d.employees).bind(d.revenue_fen).bind(d.assets_fen).bind(&d.size).bind(d.above_scale)
        .bind(d.founded_on).bind(&d.address).bind(&d.contact_name).bind(&d.contact_phone)
        .bind(&d.description).bind(d.is_demo).bind(at).bind(by).bind(domain::registry::name_key(&d.name)).fetch_one(c).await?))
}

/// One multi-row `INSERT` of enterprises, built apart from running it, so that a bulk writer
/// can build the next statement while the database runs this one.
pub struct InsertBatch {
    sql: Sql,
    usccs: Vec<String>,
}

impl InsertBatch {
    /// The statement for `rows` (at most [`INSERT_CHUNK`] of them; they are moved into it).
    /// Every value is bound (typed NULLs too), so all full batches share one statement text
    /// and one prepared statement.
    pub fn new(rows: Vec<EnterpriseData>, at: DateTime<Utc>, by: Option<i64>) -> Self {
        debug_assert!(rows.len() <= INSERT_CHUNK);
        // On SQLite, OR FAIL (not the default ABORT) and the table's deferred foreign keys
        // spare each statement its statement journal (migration 0006): a failed row fails the
        // caller's whole transaction, so undoing one statement alone is never needed.
        const COLUMNS: &str = " INTO enterprise (uscc, name, region_code, park_code, industry_code, employees, \
            revenue_fen, assets_fen, size, above_scale, founded_on, address, contact_name, contact_phone, description, \
            is_demo, archived, version, created_at, created_by, updated_at, updated_by, name_key) VALUES ";
        let mut q = Sql::new_split(&format!("INSERT{COLUMNS}"), &format!("INSERT OR FAIL{COLUMNS}"));
        let mut usccs = Vec::with_capacity(rows.len());
        for (i, d) in rows.into_iter().enumerate() {
            let key = domain::registry::name_key(&d.name);
            usccs.push(d.uscc.clone());
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(d.uscc).push(", ").bind(d.name).push(", ").bind(d.region_code).push(", ");
            q.bind(d.park_code).push(", ").bind(d.industry_code).push(", ");
            q.bind(d.employees).push(", ").bind(d.revenue_fen).push(", ").bind(d.assets_fen).push(", ");
            q.bind(d.size).push(", ").bind(d.above_scale).push(", ").bind(d.founded_on).push(", ");
            q.bind(d.address).push(", ").bind(d.contact_name).push(", ").bind(d.contact_phone);
            q.push(", ").bind(d.description).push(", ").bind(d.is_demo).push(", FALSE, 1, ").bind(at).push(", ");
            q.bind(by).push(", ").bind(at).push(", ").bind(by);
            q.push(", ").bind(key).push(")");
        }
        q.push(" RETURNING id, uscc");
        Self { sql: q, usccs }
    }

    pub fn is_empty(&self) -> bool {
        self.usccs.is_empty()
    }

    /// Runs the statement; the new ids in the order of the rows.
    pub async fn run(self, tx: &mut Tx) -> Result<Vec<i64>> {
        if self.usccs.is_empty() {
            return Ok(Vec::new());
        }
        // USCCs are unique: map the returned ids back by them.
        let found: std::collections::HashMap<String, i64> =
            self.sql.into_fetch_all_tx::<(i64, String)>(tx).await?.into_iter().map(|(id, u)| (u, id)).collect();
        self.usccs.iter().map(|u| found.get(u).copied().ok_or(StoreError::NotFound)).collect()
    }
}

/// Inserts many enterprises in multi-row statements; returns their ids in input order.
pub async fn insert_many(
    tx: &mut Tx,
    rows: Vec<EnterpriseData>,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<EnterpriseData> = rows.by_ref().take(INSERT_CHUNK).collect();
        ids.extend(InsertBatch::new(chunk, at, by).run(tx).await?);
    }
    Ok(ids)
}

/// Rows per multi-row `INSERT` (23 values each).
pub const INSERT_CHUNK: usize = 500;

/// Updates an enterprise the caller may write, if it is still at `version`.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    tx: &mut Tx,
    scope: &EnterpriseScope,
    id: i64,
    version: i64,
    d: &EnterpriseData,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<()> {
    let mut q = Sql::new("UPDATE enterprise SET ");
    q.push("uscc = ").bind(&d.uscc);
    q.push(", name = ").bind(&d.name);
    q.push(", name_key = ").bind(domain::registry::name_key(&d.name));
    q.push(", region_code = ").bind(&d.region_code);
    q.push(", park_code = ");
    opt_text(&mut q, &d.park_code);
    q.push(", industry_code = ").bind(&d.industry_code);
    q.push(", employees = ");
    opt_i64(&mut q, d.employees);
    q.push(", revenue_fen = ");
    opt_i64(&mut q, d.revenue_fen);
    q.push(", assets_fen = ");
    opt_i64(&mut q, d.assets_fen);
    q.push(", size = ");
    opt_text(&mut q, &d.size);
    q.push(", above_scale = ").bind(d.above_scale);
    q.push(", founded_on = ");
    match d.founded_on {
        Some(v) => q.bind(v),
        None => q.push("NULL"),
    };
    q.push(", address = ").bind(&d.address);
    q.push(", contact_name = ").bind(&d.contact_name);
    q.push(", contact_phone = ").bind(&d.contact_phone);
    q.push(", description = ").bind(&d.description);
    q.push(", version = version + 1, updated_at = ").bind(at);
    q.push(", updated_by = ");
    opt_i64(&mut q, by);
    finish_scoped_update(tx, q, scope, id, version).await
}

/// Archives (soft-deletes) an enterprise the caller may write, if still at `version`.
pub async fn archive(
    tx: &mut Tx,
    scope: &EnterpriseScope,
    id: i64,
    version: i64,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<()> {
    let mut q = Sql::new("UPDATE enterprise SET archived = TRUE, version = version + 1, updated_at = ");
    q.bind(at).push(", updated_by = ");
    opt_i64(&mut q, by);
    finish_scoped_update(tx, q, scope, id, version).await
}

/// Completes `UPDATE enterprise SET …` with the id, the version and the write scope
/// (the scope clause refers to `e`, so the row is matched through a sub-select). Zero rows
/// touched means the version moved on (the caller checked scope and existence before).
async fn finish_scoped_update(tx: &mut Tx, mut u: Sql, scope: &EnterpriseScope, id: i64, version: i64) -> Result<()> {
    u.push(" WHERE id = ").bind(id).push(" AND version = ").bind(version);
    u.push(" AND id IN (SELECT e.id FROM enterprise e WHERE e.id = ").bind(id);
    push_scope(&mut u, scope, Access::Write);
    u.push(")");
    if u.execute_tx(tx).await? == 0 {
        return Err(StoreError::Stale);
    }
    Ok(())
}

fn opt_text(q: &mut Sql, v: &Option<String>) {
    match v {
        Some(v) => q.bind(v),
        None => q.push("NULL"),
    };
}
fn opt_i64(q: &mut Sql, v: Option<i64>) {
    match v {
        Some(v) => q.bind(v),
        None => q.push("NULL"),
    };
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ChainRef {
    pub code: String,
    pub name: String,
}

/// The chains an enterprise belongs to (call after a scoped get).
pub async fn chains_of(db: &Db, id: i64) -> Result<Vec<ChainRef>> {
    let mut q = Sql::new(
        "SELECT c.code, c.name FROM enterprise_chain ec JOIN chain c ON c.id = ec.chain_id WHERE ec.enterprise_id = ",
    );
    q.bind(id).push(" ORDER BY c.id");
    q.fetch_all(db).await
}

/// Counts by region of what `scope` may read (the home page).
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct RegionCount {
    pub region_code: String,
    pub region_name: String,
    pub enterprises: i64,
    pub above_scale: i64,
}

pub async fn counts_by_region(db: &Db, scope: &EnterpriseScope) -> Result<Vec<RegionCount>> {
    let mut w = Sql::new(" WHERE e.archived = FALSE");
    push_scope(&mut w, scope, Access::Read);
    let mut q = w.with_prefix(
        "SELECT e.region_code, r.name AS region_name, COUNT(*) AS enterprises, \
         SUM(CASE WHEN e.above_scale THEN 1 ELSE 0 END) AS above_scale \
         FROM enterprise e JOIN region r ON r.code = e.region_code",
    );
    q.push(" GROUP BY e.region_code, r.name, r.sort ORDER BY r.sort");
    q.fetch_all(db).await
}

/// What the search index needs of an enterprise.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SearchRow {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub description: String,
    pub address: String,
    pub region_code: String,
    pub park_code: Option<String>,
    pub archived: bool,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct IdText {
    pub id: i64,
    pub kind: String,
    pub value: String,
}

/// Search rows of the given ids (archived ones included, so the index can drop them), with
/// their chain codes, the chains' lead departments, former names and products.
pub async fn search_rows(db: &Db, ids: &[i64]) -> Result<(Vec<SearchRow>, Vec<IdText>)> {
    let mut rows = Vec::new();
    let mut extra = Vec::new();
    for chunk in ids.chunks(500) {
        let mut q = Sql::new(
            "SELECT id, uscc, name, description, address, region_code, park_code, archived FROM enterprise WHERE id IN ",
        );
        q.bind_list(chunk.iter().copied());
        rows.extend(q.fetch_all::<SearchRow>(db).await?);
        let mut q = Sql::new(
            "SELECT ec.enterprise_id AS id, 'chain' AS kind, c.code AS value FROM enterprise_chain ec JOIN chain c ON c.id = ec.chain_id WHERE ec.enterprise_id IN ",
        );
        q.bind_list(chunk.iter().copied());
        q.push(" UNION ALL SELECT ec.enterprise_id AS id, 'lead_department' AS kind, c.lead_department_code AS value FROM enterprise_chain ec JOIN chain c ON c.id = ec.chain_id WHERE ec.enterprise_id IN ");
        q.bind_list(chunk.iter().copied());
        q.push(" UNION ALL SELECT enterprise_id AS id, kind, value FROM enterprise_alias WHERE enterprise_id IN ");
        q.bind_list(chunk.iter().copied());
        extra.extend(q.fetch_all::<IdText>(db).await?);
    }
    Ok((rows, extra))
}

/// Ids of all enterprises after `after`, in order, at most `limit` (for a full reindex).
pub async fn ids_after(db: &Db, after: i64, limit: i64) -> Result<Vec<i64>> {
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
    }
    let mut q = Sql::new("SELECT id FROM enterprise WHERE archived = FALSE AND id > ");
    q.bind(after).push(&format!(" ORDER BY id LIMIT {}", limit.clamp(1, 100_000)));
    Ok(q.fetch_all::<Id>(db).await?.into_iter().map(|r| r.id).collect())
}

/// Enterprises by USCC, whatever the scope (an import decides insert or update with it,
/// then checks the write scope with [`writable_ids`]).
pub async fn by_usccs(db: &Db, usccs: &[String]) -> Result<Vec<EnterpriseRow>> {
    let mut out = Vec::new();
    for chunk in usccs.chunks(500) {
        let mut q = Sql::new(SELECT);
        q.push(" WHERE e.archived = FALSE AND e.uscc IN ").bind_list(chunk.iter());
        out.extend(q.fetch_all::<EnterpriseRow>(db).await?);
    }
    Ok(out)
}

/// Which of `ids` the scope may write.
pub async fn writable_ids(db: &Db, scope: &EnterpriseScope, ids: &[i64]) -> Result<std::collections::HashSet<i64>> {
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
    }
    let mut out = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        let mut q = Sql::new("SELECT e.id FROM enterprise e WHERE e.id IN ");
        q.bind_list(chunk.iter().copied());
        push_scope(&mut q, scope, Access::Write);
        out.extend(q.fetch_all::<Id>(db).await?.into_iter().map(|r| r.id));
    }
    Ok(out)
}
