//! Evaluation schemes and their versions, and the ledger figures a scheme's quantitative
//! indicators read (yearly indicator values, local supply, honours) for a set of enterprises.

use crate::sql::Sql;
use crate::{Db, Result, Tx};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct SchemeRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub target: String,
    pub chain_id: Option<i64>,
    pub chain_name: Option<String>,
    pub latest_version: i64,
    pub created_at: DateTime<Utc>,
}

const SCHEME_SELECT: &str = "SELECT s.id, s.code, s.name, s.target, s.chain_id, c.name AS chain_name, \
     (SELECT COALESCE(MAX(v.version), 0) FROM eval_scheme_version v WHERE v.scheme_id = s.id) AS latest_version, s.created_at \
     FROM eval_scheme s LEFT JOIN chain c ON c.id = s.chain_id";

pub async fn schemes(db: &Db) -> Result<Vec<SchemeRow>> {
    Sql::new(&format!("{SCHEME_SELECT} ORDER BY s.id")).fetch_all(db).await
}

pub async fn scheme(db: &Db, id: i64) -> Result<Option<SchemeRow>> {
    let mut q = Sql::new(&format!("{SCHEME_SELECT} WHERE s.id = "));
    q.bind(id);
    q.fetch_optional(db).await
}

pub async fn code_taken(db: &Db, code: &str) -> Result<bool> {
    let mut q = Sql::new("SELECT COUNT(*) FROM eval_scheme WHERE code = ");
    q.bind(code);
    Ok(q.fetch_i64(db).await? > 0)
}

pub async fn insert_scheme(
    tx: &mut Tx,
    code: &str,
    name: &str,
    target: &str,
    chain_id: Option<i64>,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<i64> {
    let mut q = Sql::new("INSERT INTO eval_scheme (code, name, target, chain_id, created_at, created_by) VALUES (");
    q.bind(code).push(", ").bind(name).push(", ").bind(target).push(", ").bind(chain_id).push(", ").bind(at);
    q.push(", ").bind(by).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct VersionRow {
    pub id: i64,
    pub scheme_id: i64,
    pub version: i64,
    pub definition: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

pub async fn versions(db: &Db, scheme_id: i64) -> Result<Vec<VersionRow>> {
    let mut q = Sql::new(
        "SELECT id, scheme_id, version, definition, note, created_at FROM eval_scheme_version WHERE scheme_id = ",
    );
    q.bind(scheme_id).push(" ORDER BY version DESC");
    q.fetch_all(db).await
}

/// The next version of a scheme (its number is one more than the last one's, inside the
/// transaction; the unique key refuses a concurrent duplicate).
pub async fn insert_version(
    tx: &mut Tx,
    scheme_id: i64,
    definition: &str,
    note: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<(i64, i64)> {
    let mut q = Sql::new("SELECT COALESCE(MAX(version), 0) + 1 FROM eval_scheme_version WHERE scheme_id = ");
    q.bind(scheme_id);
    let version = q.fetch_one_i64_tx(tx).await?;
    let mut q = Sql::new(
        "INSERT INTO eval_scheme_version (scheme_id, version, definition, note, created_at, created_by) VALUES (",
    );
    q.bind(scheme_id).push(", ").bind(version).push(", ").bind(definition).push(", ").bind(note).push(", ");
    q.bind(at).push(", ").bind(by).push(") RETURNING id");
    Ok((q.fetch_one_i64_tx(tx).await?, version))
}

/// (enterprise id, period, value) of one indicator for the given enterprises, for the
/// periods of the given years (yearly rows and monthly rows).
pub async fn indicator_values(
    db: &Db,
    enterprise_ids: &[i64],
    code: &str,
    years: &[i64],
) -> Result<Vec<(i64, String, f64)>> {
    let mut out = Vec::new();
    for chunk in enterprise_ids.chunks(500) {
        let mut q = Sql::new("SELECT enterprise_id, period, value FROM indicator_value WHERE indicator_code = ");
        q.bind(code).push(" AND enterprise_id IN ").bind_list(chunk.iter().copied()).push(" AND (");
        for (i, y) in years.iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            q.push("period = ").bind(y.to_string()).push(" OR period LIKE ").bind(format!("{y}-%"));
        }
        q.push(")");
        out.extend(q.fetch_all::<(i64, String, f64)>(db).await?);
    }
    Ok(out)
}

/// Per enterprise of the list: (distinct local supply partners in the year, value bought
/// locally in the year in fen).
pub async fn local_supply(db: &Db, enterprise_ids: &[i64], year: i64) -> Result<Vec<(i64, i64, i64)>> {
    let mut out = Vec::new();
    for chunk in enterprise_ids.chunks(500) {
        let mut q = Sql::new(
            "SELECT e, COUNT(DISTINCT partner), CAST(COALESCE(SUM(bought), 0) AS BIGINT) FROM (\
             SELECT buyer_id AS e, supplier_id AS partner, amount_fen AS bought FROM supply_relation \
             WHERE local = TRUE AND supplier_id IS NOT NULL AND year = ",
        );
        q.bind(year).push(" AND buyer_id IN ").bind_list(chunk.iter().copied());
        q.push(" UNION ALL SELECT supplier_id AS e, buyer_id AS partner, 0 AS bought FROM supply_relation WHERE local = TRUE AND year = ");
        q.bind(year).push(" AND supplier_id IN ").bind_list(chunk.iter().copied());
        q.push(") x GROUP BY e");
        out.extend(q.fetch_all::<(i64, i64, i64)>(db).await?);
    }
    Ok(out)
}

/// Per enterprise of the list: honours held in the year (awarded by then, not expired before
/// its start).
pub async fn honours_held(db: &Db, enterprise_ids: &[i64], year: i64) -> Result<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    let start = chrono::NaiveDate::from_ymd_opt(year as i32, 1, 1);
    for chunk in enterprise_ids.chunks(500) {
        let mut q = Sql::new("SELECT enterprise_id, COUNT(*) FROM honour WHERE enterprise_id IN ");
        q.bind_list(chunk.iter().copied()).push(" AND year <= ").bind(year);
        q.push(" AND (valid_until IS NULL OR valid_until >= ").bind(start).push(") GROUP BY enterprise_id");
        out.extend(q.fetch_all::<(i64, i64)>(db).await?);
    }
    Ok(out)
}
