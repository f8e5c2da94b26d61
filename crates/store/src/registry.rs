//! Registry discipline in the database: name keys, the merge-review queue, merges that keep
//! both histories, and corrections proposed by enterprises.

use crate::enterprise::{Access, push_scope};
use crate::sql::Sql;
use crate::{Db, Result, StoreError, Tx, on_tx};
use chrono::{DateTime, Utc};
use domain::registry::name_key;
use domain::role::EnterpriseScope;
use serde::Serialize;

/// Fills `name_key` where it is empty (rows written before the column existed). Live rows
/// only: every lookup by key asks for live enterprises, and these are found through the
/// partial index of live enterprises by key.
pub async fn backfill_name_keys(db: &Db) -> Result<usize> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        name: String,
    }
    let rows: Vec<Row> =
        Sql::new("SELECT id, name FROM enterprise WHERE name_key = '' AND archived = FALSE").fetch_all(db).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    for r in &rows {
        let mut q = Sql::new("UPDATE enterprise SET name_key = ");
        q.bind(name_key(&r.name)).push(" WHERE id = ").bind(r.id);
        q.execute_tx(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

pub async fn add_alias(tx: &mut Tx, enterprise_id: i64, kind: &str, value: &str) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO enterprise_alias (enterprise_id, kind, value, value_key) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (enterprise_id, kind, value) DO NOTHING")
        .bind(enterprise_id).bind(kind).bind(value).bind(name_key(value)).execute(c).await?.rows_affected());
    Ok(())
}

/// Other live enterprises whose name or a former name has the same key.
pub async fn same_name(tx: &mut Tx, id: i64, key: &str) -> Result<Vec<i64>> {
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
    }
    let mut q = Sql::new("SELECT id FROM enterprise WHERE archived = FALSE AND id <> ");
    q.bind(id).push(" AND name_key = ").bind(key);
    q.push(" UNION SELECT a.enterprise_id AS id FROM enterprise_alias a JOIN enterprise e ON e.id = a.enterprise_id WHERE e.archived = FALSE AND a.kind = 'former_name' AND a.enterprise_id <> ");
    q.bind(id).push(" AND a.value_key = ").bind(key);
    // Read inside the transaction so rows written earlier in it count.
    let mut page = q.with_prefix("SELECT id FROM (");
    page.push(") t ORDER BY id LIMIT 50");
    let ids = page.fetch_all_tx::<Id>(tx).await?.into_iter().map(|r| r.id).collect();
    Ok(ids)
}

/// Pairs (other, id) of live enterprises sharing a name key with one of `ids` (bulk imports).
pub async fn same_name_pairs(tx: &mut Tx, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        // `b CROSS JOIN a`: SQLite then keeps this order (the few ids, then their name keys);
        // left to itself it may walk every live enterprise by an index on `archived` and
        // look each one up among the ids, once per chunk. PostgreSQL plans it as a join.
        let mut q = Sql::new("SELECT a.id, b.id FROM enterprise b CROSS JOIN enterprise a WHERE b.id IN ");
        q.bind_list(chunk.iter().copied());
        q.push(" AND b.name_key <> '' AND a.name_key = b.name_key AND a.id <> b.id AND a.archived = FALSE");
        out.extend(q.fetch_all_tx::<(i64, i64)>(tx).await?);
    }
    Ok(out)
}

/// Queues a pair for review (once per pair).
pub async fn add_candidate(tx: &mut Tx, a: i64, b: i64, reason: &str, at: DateTime<Utc>) -> Result<()> {
    let (a, b) = if a < b { (a, b) } else { (b, a) };
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO merge_candidate (enterprise_a, enterprise_b, reason, status, created_at) VALUES ($1, $2, $3, 'open', $4) \
         ON CONFLICT (enterprise_a, enterprise_b) DO NOTHING")
        .bind(a).bind(b).bind(reason).bind(at).execute(c).await?.rows_affected());
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct CandidateRow {
    pub id: i64,
    pub reason: String,
    pub status: String,
    pub a_id: i64,
    pub a_name: String,
    pub a_uscc: String,
    pub a_region: String,
    pub b_id: i64,
    pub b_name: String,
    pub b_uscc: String,
    pub b_region: String,
    pub created_at: DateTime<Utc>,
}

const CANDIDATES: &str = "SELECT m.id, m.reason, m.status, ea.id AS a_id, ea.name AS a_name, ea.uscc AS a_uscc, ra.name AS a_region, \
    eb.id AS b_id, eb.name AS b_name, eb.uscc AS b_uscc, rb.name AS b_region, m.created_at \
    FROM merge_candidate m JOIN enterprise ea ON ea.id = m.enterprise_a JOIN enterprise eb ON eb.id = m.enterprise_b \
    JOIN region ra ON ra.code = ea.region_code JOIN region rb ON rb.code = eb.region_code";

/// Appends ` AND ea.id IN (…) AND eb.id IN (…)`: both enterprises within `scope`.
fn push_both(q: &mut Sql, scope: &EnterpriseScope, access: Access) {
    for side in ["ea", "eb"] {
        q.push(&format!(" AND {side}.id IN (SELECT e.id FROM enterprise e WHERE 1 = 1"));
        push_scope(q, scope, access);
        q.push(")");
    }
}

/// Open candidates whose two enterprises the caller may both read.
pub async fn candidates(db: &Db, scope: &EnterpriseScope) -> Result<Vec<CandidateRow>> {
    let mut q = Sql::new(CANDIDATES);
    q.push(" WHERE m.status = 'open'");
    push_both(&mut q, scope, Access::Read);
    q.push(" ORDER BY m.id LIMIT 500");
    q.fetch_all(db).await
}

/// One open candidate whose two enterprises the caller may both write.
pub async fn candidate_for_write(tx: &mut Tx, scope: &EnterpriseScope, id: i64) -> Result<Option<CandidateRow>> {
    let mut q = Sql::new(CANDIDATES);
    q.push(" WHERE m.status = 'open' AND m.id = ").bind(id);
    push_both(&mut q, scope, Access::Write);
    q.fetch_optional_tx(tx).await
}

pub async fn decide(tx: &mut Tx, id: i64, status: &str, at: DateTime<Utc>, by: Option<i64>) -> Result<()> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE merge_candidate SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4 AND status = 'open'")
        .bind(status).bind(at).bind(by).bind(id).execute(c).await?.rows_affected());
    if n == 0 { Err(StoreError::Stale) } else { Ok(()) }
}

/// Moves what `drop` has to `keep` where `keep` has nothing for the same key, records
/// `drop`'s name as a former name of `keep`, and archives `drop` as merged into `keep`.
/// Rows that conflict stay with the archived record, so nothing is lost.
pub async fn merge(tx: &mut Tx, keep: i64, drop: i64, at: DateTime<Utc>, by: Option<i64>) -> Result<()> {
    let moves: [&str; 5] = [
        "UPDATE indicator_value SET enterprise_id = $1 WHERE enterprise_id = $2 AND NOT EXISTS \
         (SELECT 1 FROM indicator_value k WHERE k.enterprise_id = $1 AND k.indicator_code = indicator_value.indicator_code AND k.period = indicator_value.period)",
        "UPDATE honour SET enterprise_id = $1 WHERE enterprise_id = $2 AND NOT EXISTS \
         (SELECT 1 FROM honour k WHERE k.enterprise_id = $1 AND k.kind_code = honour.kind_code AND k.level = honour.level AND k.year = honour.year)",
        "UPDATE gradient_status SET enterprise_id = $1 WHERE enterprise_id = $2 AND NOT EXISTS \
         (SELECT 1 FROM gradient_status k WHERE k.enterprise_id = $1 AND k.year = gradient_status.year AND k.gradient = gradient_status.gradient)",
        "UPDATE listing_reserve SET enterprise_id = $1 WHERE enterprise_id = $2 AND NOT EXISTS \
         (SELECT 1 FROM listing_reserve k WHERE k.enterprise_id = $1)",
        "INSERT INTO enterprise_chain (enterprise_id, chain_id) SELECT $1, chain_id FROM enterprise_chain WHERE enterprise_id = $2 \
         AND chain_id NOT IN (SELECT chain_id FROM enterprise_chain WHERE enterprise_id = $1)",
    ];
    for sql in moves {
        on_tx!(tx, c => sqlx::query(sql).bind(keep).bind(drop).execute(c).await?.rows_affected());
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO enterprise_alias (enterprise_id, kind, value, value_key) SELECT $1, kind, value, value_key FROM enterprise_alias \
         WHERE enterprise_id = $2 ON CONFLICT (enterprise_id, kind, value) DO NOTHING")
        .bind(keep).bind(drop).execute(c).await?.rows_affected());
    #[derive(sqlx::FromRow)]
    struct Name {
        name: String,
    }
    let mut q = Sql::new("SELECT name FROM enterprise WHERE id = ");
    q.bind(drop);
    if let Some(n) = q.fetch_optional_tx::<Name>(tx).await? {
        add_alias(tx, keep, "former_name", &n.name).await?;
    }
    on_tx!(tx, c => sqlx::query(
        "UPDATE enterprise SET archived = TRUE, merged_into = $1, version = version + 1, updated_at = $2, updated_by = $3 WHERE id = $4")
        .bind(keep).bind(at).bind(by).bind(drop).execute(c).await?.rows_affected());
    Ok(())
}

// ---- corrections ----

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct CorrectionRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub proposed_by_name: String,
    pub changes_json: String,
    pub reason: String,
    pub status: String,
    pub review_note: String,
    pub created_at: DateTime<Utc>,
    pub reviewed_at: Option<DateTime<Utc>>,
}

const CORRECTIONS: &str = "SELECT c.id, c.enterprise_id, e.name AS enterprise_name, a.display_name AS proposed_by_name, c.changes_json, \
    c.reason, c.status, c.review_note, c.created_at, c.reviewed_at FROM correction c JOIN enterprise e ON e.id = c.enterprise_id \
    JOIN account a ON a.id = c.proposed_by";

pub async fn add_correction(
    tx: &mut Tx,
    enterprise_id: i64,
    by: i64,
    changes: &serde_json::Value,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO correction (enterprise_id, proposed_by, changes_json, reason, status, review_note, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', '', $5) RETURNING id")
        .bind(enterprise_id).bind(by).bind(changes.to_string()).bind(reason).bind(at).fetch_one(c).await?))
}

/// Pending corrections of enterprises the caller may write (reviewers).
pub async fn pending(db: &Db, scope: &EnterpriseScope) -> Result<Vec<CorrectionRow>> {
    let mut q = Sql::new(CORRECTIONS);
    q.push(" WHERE c.status = 'pending'");
    push_scope(&mut q, scope, Access::Write);
    q.push(" ORDER BY c.id LIMIT 500");
    q.fetch_all(db).await
}

/// Corrections of one enterprise (after a scoped read of it), newest first.
pub async fn of_enterprise(db: &Db, enterprise_id: i64) -> Result<Vec<CorrectionRow>> {
    let mut q = Sql::new(CORRECTIONS);
    q.push(" WHERE c.enterprise_id = ").bind(enterprise_id).push(" ORDER BY c.id DESC LIMIT 100");
    q.fetch_all(db).await
}

/// A pending correction of an enterprise the caller may write.
pub async fn pending_for_write(tx: &mut Tx, scope: &EnterpriseScope, id: i64) -> Result<Option<CorrectionRow>> {
    let mut q = Sql::new(CORRECTIONS);
    q.push(" WHERE c.status = 'pending' AND c.id = ").bind(id);
    push_scope(&mut q, scope, Access::Write);
    q.fetch_optional_tx(tx).await
}

pub async fn review(tx: &mut Tx, id: i64, status: &str, note: &str, at: DateTime<Utc>, by: Option<i64>) -> Result<()> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE correction SET status = $1, review_note = $2, reviewed_at = $3, reviewed_by = $4 WHERE id = $5 AND status = 'pending'")
        .bind(status).bind(note).bind(at).bind(by).bind(id).execute(c).await?.rows_affected());
    if n == 0 { Err(StoreError::Stale) } else { Ok(()) }
}
