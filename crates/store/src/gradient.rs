//! The gradient ledger 上规·上榜·上云·上市: honours and designations, yearly targets and
//! status, and the listing reserve pool. Lists take the caller's enterprise scope.

use crate::enterprise::{Access, push_scope};
use crate::sql::Sql;
use crate::{Db, Result, Tx, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::role::EnterpriseScope;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct HonourKind {
    pub code: String,
    pub name: String,
    pub category: String,
    pub applies_to: String,
}

pub async fn kinds(db: &Db) -> Result<Vec<HonourKind>> {
    Sql::new("SELECT code, name, category, applies_to FROM honour_kind ORDER BY sort").fetch_all(db).await
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewHonour {
    pub enterprise_id: i64,
    pub kind_code: String,
    pub level: String,
    pub year: i64,
    pub valid_until: Option<NaiveDate>,
    pub source: String,
}

/// Inserts or updates (same enterprise, kind, level and year) one honour; returns its id.
pub async fn upsert_honour(tx: &mut Tx, h: &NewHonour, at: DateTime<Utc>, by: Option<i64>) -> Result<i64> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO honour (enterprise_id, kind_code, level, year, valid_until, source, version, created_at, created_by, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $7, $8) \
         ON CONFLICT (enterprise_id, kind_code, level, year) DO UPDATE SET valid_until = excluded.valid_until, \
         source = excluded.source, version = honour.version + 1, updated_at = excluded.updated_at, updated_by = excluded.updated_by \
         RETURNING id")
        .bind(h.enterprise_id).bind(&h.kind_code).bind(&h.level).bind(h.year).bind(h.valid_until)
        .bind(&h.source).bind(at).bind(by).fetch_one(c).await?))
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct HonourRow {
    pub id: i64,
    pub enterprise_id: Option<i64>,
    pub enterprise_name: Option<String>,
    pub region_name: Option<String>,
    pub kind_code: String,
    pub kind_name: String,
    pub level: String,
    pub year: i64,
    pub valid_until: Option<NaiveDate>,
    pub source: String,
}

#[derive(Clone, Debug, Default)]
pub struct HonourFilter {
    pub kind: Option<String>,
    pub year: Option<i64>,
    pub region: Option<String>,
    pub chain: Option<String>,
    pub enterprise_id: Option<i64>,
}

fn honour_where(scope: &EnterpriseScope, f: &HonourFilter) -> Sql {
    let mut w = Sql::new(" WHERE e.archived = FALSE");
    push_scope(&mut w, scope, Access::Read);
    if let Some(k) = &f.kind {
        w.push(" AND h.kind_code = ").bind(k);
    }
    if let Some(y) = f.year {
        w.push(" AND h.year = ").bind(y);
    }
    if let Some(r) = &f.region {
        w.push(" AND (e.region_code = ").bind(r).push(" OR e.park_code = ").bind(r).push(")");
    }
    if let Some(c) = &f.chain {
        w.push(" AND EXISTS (SELECT 1 FROM enterprise_chain fc JOIN chain fch ON fch.id = fc.chain_id WHERE fc.enterprise_id = e.id AND fch.code = ")
            .bind(c)
            .push(")");
    }
    if let Some(id) = f.enterprise_id {
        w.push(" AND e.id = ").bind(id);
    }
    w
}

const HONOUR_FROM: &str = " FROM honour h JOIN honour_kind k ON k.code = h.kind_code JOIN enterprise e ON e.id = h.enterprise_id \
     JOIN region r ON r.code = e.region_code";

pub async fn honours(db: &Db, scope: &EnterpriseScope, f: &HonourFilter, limit: i64) -> Result<Vec<HonourRow>> {
    let mut q = honour_where(scope, f).with_prefix(&format!(
        "SELECT h.id, h.enterprise_id, e.name AS enterprise_name, r.name AS region_name, h.kind_code, k.name AS kind_name, \
         h.level, h.year, h.valid_until, h.source{HONOUR_FROM}"
    ));
    q.push(&format!(" ORDER BY h.year DESC, k.sort, e.name LIMIT {}", limit.clamp(1, 100_000)));
    q.fetch_all(db).await
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct HonourCount {
    pub kind_code: String,
    pub kind_name: String,
    pub year: i64,
    pub region_name: String,
    pub n: i64,
}

/// Counts of honours by kind, year and region within the scope.
pub async fn honour_counts(db: &Db, scope: &EnterpriseScope, f: &HonourFilter) -> Result<Vec<HonourCount>> {
    let mut q = honour_where(scope, f).with_prefix(&format!(
        "SELECT h.kind_code, k.name AS kind_name, h.year, r.name AS region_name, COUNT(*) AS n{HONOUR_FROM}"
    ));
    q.push(" GROUP BY h.kind_code, k.name, k.sort, h.year, r.name, r.sort ORDER BY h.year DESC, k.sort, r.sort");
    q.fetch_all(db).await
}

// ---- gradient status ----

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct GradientRow {
    pub enterprise_id: i64,
    pub year: i64,
    pub gradient: String,
    pub targeted: bool,
    pub achieved: bool,
    pub note: String,
    pub updated_at: DateTime<Utc>,
}

#[allow(clippy::too_many_arguments)]
pub async fn set_gradient(
    tx: &mut Tx,
    enterprise_id: i64,
    year: i64,
    gradient: &str,
    targeted: bool,
    achieved: bool,
    note: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO gradient_status (enterprise_id, year, gradient, targeted, achieved, note, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (enterprise_id, year, gradient) DO UPDATE SET \
         targeted = excluded.targeted, achieved = excluded.achieved, note = excluded.note, updated_at = excluded.updated_at, \
         updated_by = excluded.updated_by")
        .bind(enterprise_id).bind(year).bind(gradient).bind(targeted).bind(achieved).bind(note).bind(at).bind(by)
        .execute(c).await?.rows_affected());
    Ok(())
}

pub async fn gradients_of(db: &Db, enterprise_id: i64) -> Result<Vec<GradientRow>> {
    let mut q = Sql::new(
        "SELECT enterprise_id, year, gradient, targeted, achieved, note, updated_at FROM gradient_status WHERE enterprise_id = ",
    );
    q.bind(enterprise_id).push(" ORDER BY year DESC, gradient");
    q.fetch_all(db).await
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct GradientCount {
    pub year: i64,
    pub gradient: String,
    pub targeted: i64,
    pub achieved: i64,
}

/// Targets and achievements per year and gradient within the scope, optionally of a region or chain.
pub async fn gradient_counts(
    db: &Db,
    scope: &EnterpriseScope,
    region: Option<&str>,
    chain: Option<&str>,
) -> Result<Vec<GradientCount>> {
    let f = HonourFilter { region: region.map(String::from), chain: chain.map(String::from), ..Default::default() };
    let mut q = honour_where(scope, &f).with_prefix(
        "SELECT g.year, g.gradient, SUM(CASE WHEN g.targeted THEN 1 ELSE 0 END) AS targeted, \
         SUM(CASE WHEN g.achieved THEN 1 ELSE 0 END) AS achieved \
         FROM gradient_status g JOIN enterprise e ON e.id = g.enterprise_id",
    );
    q.push(" GROUP BY g.year, g.gradient ORDER BY g.year DESC, g.gradient");
    q.fetch_all(db).await
}

// ---- listing reserve ----

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReserveEntry {
    pub enterprise_id: i64,
    pub kind: String,
    pub stage: String,
    pub board: String,
    pub since: Option<NaiveDate>,
    pub note: String,
}

pub async fn upsert_reserve(tx: &mut Tx, r: &ReserveEntry, at: DateTime<Utc>, by: Option<i64>) -> Result<i64> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO listing_reserve (enterprise_id, kind, stage, board, since, note, version, created_at, created_by, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $7, $8) ON CONFLICT (enterprise_id) DO UPDATE SET kind = excluded.kind, \
         stage = excluded.stage, board = excluded.board, since = excluded.since, note = excluded.note, \
         version = listing_reserve.version + 1, updated_at = excluded.updated_at, updated_by = excluded.updated_by RETURNING id")
        .bind(r.enterprise_id).bind(&r.kind).bind(&r.stage).bind(&r.board).bind(r.since).bind(&r.note)
        .bind(at).bind(by).fetch_one(c).await?))
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ReserveRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub region_name: String,
    pub kind: String,
    pub stage: String,
    pub board: String,
    pub since: Option<NaiveDate>,
    pub note: String,
    pub version: i64,
}

pub async fn reserve(db: &Db, scope: &EnterpriseScope, f: &HonourFilter) -> Result<Vec<ReserveRow>> {
    let mut q = honour_where(scope, &HonourFilter { kind: None, year: None, ..f.clone() }).with_prefix(
        "SELECT l.id, l.enterprise_id, e.name AS enterprise_name, r.name AS region_name, l.kind, l.stage, l.board, l.since, l.note, l.version \
         FROM listing_reserve l JOIN enterprise e ON e.id = l.enterprise_id JOIN region r ON r.code = e.region_code",
    );
    q.push(" ORDER BY CASE l.stage WHEN 'listed' THEN 0 WHEN 'filing' THEN 1 WHEN 'tutoring' THEN 2 ELSE 3 END, e.name LIMIT 10000");
    q.fetch_all(db).await
}
