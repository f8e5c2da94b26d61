//! Per-field change history: one row per changed field, with source and time.

use crate::sql::Sql;
use crate::{Db, Result, Tx};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct FieldChange {
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub source: String,
    pub changed_at: DateTime<Utc>,
    pub changed_by: Option<i64>,
    pub changed_by_name: Option<String>,
}

/// Records every field whose value differs between `before` and `after` (JSON objects).
#[allow(clippy::too_many_arguments)]
pub async fn record(
    tx: &mut Tx,
    entity: &str,
    entity_id: i64,
    before: Option<&serde_json::Value>,
    after: &serde_json::Value,
    ignore: &[&str],
    source: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<usize> {
    let empty = serde_json::Map::new();
    let b = before.and_then(|v| v.as_object()).unwrap_or(&empty);
    let Some(a) = after.as_object() else { return Ok(0) };
    let text = |v: Option<&serde_json::Value>| match v {
        // An empty text is no value: creating a record with an empty field records nothing.
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(v) => Some(v.to_string()),
    };
    let mut n = 0;
    for (k, new) in a {
        if ignore.contains(&k.as_str()) {
            continue;
        }
        let (old, new) = (text(b.get(k)), text(Some(new)));
        if old == new {
            continue;
        }
        let mut q = Sql::new(
            "INSERT INTO field_history (entity, entity_id, field, old_value, new_value, source, changed_at, changed_by) VALUES (",
        );
        q.bind(entity).push(", ").bind(entity_id).push(", ").bind(k.as_str()).push(", ");
        push_opt(&mut q, old).push(", ");
        push_opt(&mut q, new).push(", ");
        q.bind(source).push(", ").bind(at).push(", ");
        match by {
            Some(id) => q.bind(id),
            None => q.push("NULL"),
        };
        q.push(")");
        q.execute_tx(tx).await?;
        n += 1;
    }
    Ok(n)
}

fn push_opt(q: &mut Sql, v: Option<String>) -> &mut Sql {
    match v {
        Some(v) => q.bind(v),
        None => q.push("NULL"),
    }
}

/// The history of one record (with records merged into it), newest first. Callers check the
/// record's scope first.
pub async fn of(db: &Db, entity: &str, entity_id: i64) -> Result<Vec<FieldChange>> {
    let mut q = Sql::new(
        "SELECT h.field, h.old_value, h.new_value, h.source, h.changed_at, h.changed_by, a.display_name AS changed_by_name \
         FROM field_history h LEFT JOIN account a ON a.id = h.changed_by WHERE h.entity = ",
    );
    q.bind(entity).push(" AND (h.entity_id = ").bind(entity_id);
    if entity == "enterprise" {
        // A merge keeps both histories: the merged records' rows show with the kept one.
        q.push(" OR h.entity_id IN (SELECT id FROM enterprise WHERE merged_into = ").bind(entity_id).push(")");
    }
    q.push(") ORDER BY h.id DESC LIMIT 500");
    q.fetch_all(db).await
}
