//! The change feed: writes to searchable data append `(entity, id, op)`; each server
//! instance's search index follows the feed by sequence number.

use crate::sql::Sql;
use crate::{Db, Result, Tx};
use chrono::{DateTime, Utc};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Change {
    pub seq: i64,
    pub entity: String,
    pub entity_id: i64,
    pub op: String,
}

pub async fn append(tx: &mut Tx, entity: &str, ids: &[i64], op: &str, at: DateTime<Utc>) -> Result<()> {
    for chunk in ids.chunks(400) {
        let mut q = Sql::new("INSERT INTO change_feed (entity, entity_id, op, at) VALUES ");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").bind(entity).push(", ").bind(*id).push(", ").bind(op).push(", ").bind(at).push(")");
        }
        q.execute_tx(tx).await?;
    }
    Ok(())
}

/// Changes after `seq`, oldest first, at most `limit`.
pub async fn since(db: &Db, seq: i64, limit: i64) -> Result<Vec<Change>> {
    let mut q = Sql::new("SELECT seq, entity, entity_id, op FROM change_feed WHERE seq > ");
    q.bind(seq).push(&format!(" ORDER BY seq LIMIT {}", limit.clamp(1, 100_000)));
    q.fetch_all(db).await
}

/// The newest sequence number (0 when empty).
pub async fn head(db: &Db) -> Result<i64> {
    Sql::new("SELECT COALESCE(MAX(seq), 0) FROM change_feed").fetch_i64(db).await
}
