//! Chains, as far as the foundation needs them: their identity, field, lead department and
//! regions, and which enterprises belong to them. The chain map (segments, placements) comes
//! with its own capability.

use crate::sql::Sql;
use crate::{Db, Result, Tx, on_tx};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ChainRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub field_code: String,
    pub field_name: String,
    pub lead_department_code: String,
    pub lead_department_name: String,
    pub provincial_key: bool,
    pub enterprises: i64,
}

#[derive(Clone, Debug)]
pub struct NewChain {
    pub code: String,
    pub name: String,
    pub field_code: String,
    pub lead_department_code: String,
    pub provincial_key: bool,
    pub carrying_regions: Vec<String>,
    pub collaborating_regions: Vec<String>,
}

pub async fn insert(tx: &mut Tx, c: &NewChain, at: DateTime<Utc>, by: Option<i64>) -> Result<i64> {
    let id: i64 = on_tx!(tx, x => sqlx::query_scalar(
        "INSERT INTO chain (code, name, field_code, lead_department_code, provincial_key, version, created_at, created_by, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $6, $7) RETURNING id")
        .bind(&c.code).bind(&c.name).bind(&c.field_code).bind(&c.lead_department_code)
        .bind(c.provincial_key).bind(at).bind(by).fetch_one(x).await?);
    for (role, regions) in [("carrying", &c.carrying_regions), ("collaborating", &c.collaborating_regions)] {
        for r in regions {
            on_tx!(tx, x => sqlx::query("INSERT INTO chain_region (chain_id, region_code, role) VALUES ($1, $2, $3)")
                .bind(id).bind(r).bind(role).execute(x).await?.rows_affected());
        }
    }
    // Instances cache the chain list while the feed has not moved.
    crate::feed::append(tx, "chain", &[id], "insert", at).await?;
    Ok(id)
}

/// All chains with their enterprise counts. Chain identities are not confidential; counts
/// are of all enterprises on the chain.
pub async fn list(db: &Db) -> Result<Vec<ChainRow>> {
    Sql::new(
        "SELECT c.id, c.code, c.name, c.field_code, f.name AS field_name, c.lead_department_code, \
         d.name AS lead_department_name, c.provincial_key, \
         (SELECT COUNT(*) FROM enterprise_chain ec WHERE ec.chain_id = c.id) AS enterprises \
         FROM chain c JOIN field f ON f.code = c.field_code JOIN department d ON d.code = c.lead_department_code \
         ORDER BY f.sort, c.id",
    )
    .fetch_all(db)
    .await
}

/// (code, name) of every chain in display order, for filters (no counting).
/// (code, name, lead department) of every chain, in the order of the drop-downs.
pub async fn heads(db: &Db) -> Result<Vec<(String, String, String)>> {
    Sql::new(
        "SELECT c.code, c.name, c.lead_department_code FROM chain c JOIN field f ON f.code = c.field_code ORDER BY f.sort, c.id",
    )
    .fetch_all(db)
    .await
}

/// (code, lead department) of a chain by id.
pub async fn code_and_lead(db: &Db, id: i64) -> Result<Option<(String, String)>> {
    let mut q = Sql::new("SELECT code, lead_department_code FROM chain WHERE id = ");
    q.bind(id);
    q.fetch_optional(db).await
}

pub async fn id_by_code(db: &Db, code: &str) -> Result<Option<i64>> {
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
    }
    let mut q = Sql::new("SELECT id FROM chain WHERE code = ");
    q.bind(code);
    Ok(q.fetch_optional::<Id>(db).await?.map(|r| r.id))
}

pub async fn add_enterprise(tx: &mut Tx, chain_id: i64, enterprise_id: i64) -> Result<()> {
    on_tx!(tx, x => sqlx::query("INSERT INTO enterprise_chain (enterprise_id, chain_id) VALUES ($1, $2)")
        .bind(enterprise_id).bind(chain_id).execute(x).await?.rows_affected());
    Ok(())
}
