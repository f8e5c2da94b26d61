//! The audit log: every write appends a row in the same transaction, each row's SM3 hash
//! chained to the previous one. Rows are append-only (database triggers refuse UPDATE and
//! DELETE); [`verify`] recomputes the whole chain.

use crate::sql::Sql;
use crate::{Db, Result, Tx, on_tx};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sm3::{Digest, Sm3};

/// One write to record.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip: String,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub ip: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The SM3 hash of a row: over the previous hash and every recorded field, separated by
/// the ASCII unit separator, timestamps in RFC 3339 with microseconds.
#[allow(clippy::too_many_arguments)]
pub fn row_hash(
    prev_hash: &str,
    seq: i64,
    at: DateTime<Utc>,
    actor_id: Option<i64>,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<&str>,
    after: Option<&str>,
    ip: &str,
) -> String {
    let mut h = Sm3::new();
    let at = at.to_rfc3339_opts(SecondsFormat::Micros, true);
    let actor_id = actor_id.map(|v| v.to_string()).unwrap_or_default();
    let parts: [&str; 11] = [
        prev_hash,
        &seq.to_string(),
        &at,
        &actor_id,
        actor,
        action,
        entity,
        entity_id,
        before.unwrap_or("\u{0}"),
        after.unwrap_or("\u{0}"),
        ip,
    ];
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

/// Appends `e` inside `tx`; returns its sequence number.
pub async fn append(tx: &mut Tx, at: DateTime<Utc>, e: &AuditEntry) -> Result<i64> {
    let (seq, prev): (i64, String) = on_tx!(tx, c => sqlx::query_as(
        "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash"
    ).fetch_one(c).await?);
    let before = e.before.as_ref().map(|v| v.to_string());
    let after = e.after.as_ref().map(|v| v.to_string());
    let hash = row_hash(
        &prev,
        seq,
        at,
        e.actor_id,
        &e.actor,
        &e.action,
        &e.entity,
        &e.entity_id,
        before.as_deref(),
        after.as_deref(),
        &e.ip,
    );
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_id, actor, action, entity, entity_id, before_json, after_json, ip, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )
    .bind(seq).bind(at).bind(e.actor_id).bind(&e.actor).bind(&e.action).bind(&e.entity)
    .bind(&e.entity_id).bind(&before).bind(&after).bind(&e.ip).bind(&prev).bind(&hash)
    .execute(c).await?.rows_affected());
    on_tx!(tx, c => sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash).execute(c).await?.rows_affected());
    Ok(seq)
}

/// Result of verifying the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub rows: i64,
    /// The first row whose hash, link or sequence number is wrong, with the reason.
    pub first_broken: Option<(i64, String)>,
}

/// Recomputes every row's hash in order and checks the links and the head.
pub async fn verify(db: &Db) -> Result<Verification> {
    let mut prev = "0".repeat(64);
    let mut expected_seq = 1;
    let mut rows = 0;
    loop {
        let mut q = Sql::new("SELECT * FROM audit_log WHERE seq >= ");
        q.bind(expected_seq).push(" ORDER BY seq LIMIT 2000");
        let batch: Vec<AuditRow> = q.fetch_all(db).await?;
        if batch.is_empty() {
            break;
        }
        for r in &batch {
            rows += 1;
            let broken = |why: &str| Ok(Verification { rows, first_broken: Some((r.seq, why.to_string())) });
            if r.seq != expected_seq {
                return broken(&format!("缺少第 {expected_seq} 条（序号不连续）"));
            }
            if r.prev_hash != prev {
                return broken("前序哈希与上一条不符");
            }
            let h = row_hash(
                &r.prev_hash,
                r.seq,
                r.at,
                r.actor_id,
                &r.actor,
                &r.action,
                &r.entity,
                &r.entity_id,
                r.before_json.as_deref(),
                r.after_json.as_deref(),
                &r.ip,
            );
            if h != r.hash {
                return broken("内容与哈希不符（记录被改动）");
            }
            prev = r.hash.clone();
            expected_seq += 1;
        }
    }
    let (head_seq, head_hash): (i64, String) = crate::on_db!(db, p =>
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(p).await?);
    if head_seq != expected_seq - 1 || head_hash != prev {
        return Ok(Verification {
            rows, first_broken: Some((expected_seq, "链尾记录缺失（日志被截断）".to_string()))
        });
    }
    Ok(Verification { rows, first_broken: None })
}

/// Filters of the audit page. Only an auditor's [`domain::role::AuditAccess`] opens it.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub page: i64,
    pub per_page: i64,
}

pub async fn list(db: &Db, _access: &domain::role::AuditAccess, f: &AuditFilter) -> Result<(Vec<AuditRow>, i64)> {
    let mut w = Sql::new(" WHERE 1 = 1");
    if let Some(v) = &f.actor {
        w.push(" AND actor = ").bind(v);
    }
    if let Some(v) = &f.action {
        w.push(" AND action = ").bind(v);
    }
    if let Some(v) = &f.entity {
        w.push(" AND entity = ").bind(v);
    }
    if let Some(v) = &f.entity_id {
        w.push(" AND entity_id = ").bind(v);
    }
    if let Some(v) = f.from {
        w.push(" AND at >= ").bind(v);
    }
    if let Some(v) = f.to {
        w.push(" AND at < ").bind(v);
    }
    let total = w.with_prefix("SELECT COUNT(*) FROM audit_log").fetch_i64(db).await?;
    let per = f.per_page.clamp(1, 500);
    let mut q = w.with_prefix("SELECT * FROM audit_log");
    q.push(&format!(" ORDER BY seq DESC LIMIT {per} OFFSET {}", (f.page.max(1) - 1) * per));
    Ok((q.fetch_all(db).await?, total))
}
