//! Indicator catalogue and values per enterprise per period.

use crate::sql::{Arg, Sql};
use crate::{Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct IndicatorDef {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub period_kind: String,
    pub source: String,
}

pub async fn catalogue(db: &Db) -> Result<Vec<IndicatorDef>> {
    Sql::new("SELECT code, name, unit, period_kind, source FROM indicator ORDER BY sort").fetch_all(db).await
}

/// One value to write.
#[derive(Clone, Debug, PartialEq)]
pub struct NewValue {
    pub enterprise_id: i64,
    pub indicator_code: String,
    pub period: String,
    pub value: f64,
    pub source: String,
    pub reported_on: Option<NaiveDate>,
}

/// Inserts or replaces values, several hundred rows per statement.
pub async fn upsert(tx: &mut Tx, values: &[NewValue], at: DateTime<Utc>, by: Option<i64>) -> Result<()> {
    for chunk in values.chunks(300) {
        let mut q = Sql::new(
            "INSERT INTO indicator_value (enterprise_id, indicator_code, period, value, source, reported_on, updated_at, updated_by) VALUES ",
        );
        for (i, v) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").bind(v.enterprise_id).push(", ").bind(&v.indicator_code).push(", ").bind(&v.period);
            q.push(", ").bind(Arg::F64(v.value)).push(", ").bind(&v.source).push(", ");
            q.bind(v.reported_on).push(", ").bind(at).push(", ").bind(by).push(")");
        }
        q.push(
            " ON CONFLICT (enterprise_id, indicator_code, period) DO UPDATE SET value = excluded.value, \
             source = excluded.source, reported_on = excluded.reported_on, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        );
        q.execute_tx(tx).await?;
    }
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ValueRow {
    pub indicator_code: String,
    pub period: String,
    pub value: f64,
    pub source: String,
    pub reported_on: Option<NaiveDate>,
    pub updated_at: DateTime<Utc>,
}

/// All values of one enterprise (call after a scoped get of the enterprise).
pub async fn of_enterprise(db: &Db, enterprise_id: i64) -> Result<Vec<ValueRow>> {
    let mut q = Sql::new(
        "SELECT indicator_code, period, value, source, reported_on, updated_at FROM indicator_value WHERE enterprise_id = ",
    );
    q.bind(enterprise_id).push(" ORDER BY indicator_code, period");
    q.fetch_all(db).await
}

pub async fn count(db: &Db) -> Result<i64> {
    Sql::new("SELECT COUNT(*) FROM indicator_value").fetch_i64(db).await
}
