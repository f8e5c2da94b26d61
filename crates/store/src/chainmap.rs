//! The chain map: segments (a two-level tree per stage), supply edges between segments,
//! enterprises placed on segments, supply relations between enterprises, the chain's officers
//! and yearly targets. Placements are read through the caller's enterprise scope: an
//! enterprise the caller may not read is not listed.

use crate::enterprise::{Access, push_scope};
use crate::sql::Sql;
use crate::{Db, Result, Tx};
use chrono::{DateTime, Utc};
use domain::role::EnterpriseScope;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct ChainInfo {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub field_code: String,
    pub field_name: String,
    pub lead_department_code: String,
    pub lead_department_name: String,
    pub provincial_key: bool,
    pub segments: i64,
    pub placements: i64,
}

const CHAIN_SELECT: &str = "SELECT c.id, c.code, c.name, c.field_code, f.name AS field_name, c.lead_department_code, \
     d.name AS lead_department_name, c.provincial_key, \
     (SELECT COUNT(*) FROM segment s WHERE s.chain_id = c.id AND s.retired = FALSE) AS segments, \
     (SELECT COUNT(*) FROM placement p JOIN segment s ON s.id = p.segment_id WHERE s.chain_id = c.id AND s.retired = FALSE) AS placements \
     FROM chain c JOIN field f ON f.code = c.field_code JOIN department d ON d.code = c.lead_department_code";

/// Every chain with its segment and placement counts (chain identities and counts are not
/// confidential).
pub async fn chains(db: &Db) -> Result<Vec<ChainInfo>> {
    Sql::new(&format!("{CHAIN_SELECT} ORDER BY f.sort, c.id")).fetch_all(db).await
}

pub async fn chain(db: &Db, id: i64) -> Result<Option<ChainInfo>> {
    let mut q = Sql::new(&format!("{CHAIN_SELECT} WHERE c.id = "));
    q.bind(id);
    q.fetch_optional(db).await
}

/// (region code, region name, role) of a chain: main carrying and collaborating regions.
pub async fn chain_regions(db: &Db, chain_id: i64) -> Result<Vec<(String, String, String)>> {
    let mut q = Sql::new(
        "SELECT cr.region_code, r.name, cr.role FROM chain_region cr JOIN region r ON r.code = cr.region_code WHERE cr.chain_id = ",
    );
    q.bind(chain_id).push(" ORDER BY cr.role, r.sort, r.code");
    q.fetch_all(db).await
}

/// (account id, display name, role) of the chain's chief and deputies.
pub async fn officers(db: &Db, chain_id: i64) -> Result<Vec<(i64, String, String)>> {
    let mut q = Sql::new(
        "SELECT o.account_id, a.display_name, o.role FROM chain_officer o JOIN account a ON a.id = o.account_id WHERE o.chain_id = ",
    );
    q.bind(chain_id).push(" ORDER BY CASE o.role WHEN 'chief' THEN 0 ELSE 1 END, a.id");
    q.fetch_all(db).await
}

pub async fn set_officer(tx: &mut Tx, chain_id: i64, account_id: i64, role: &str) -> Result<()> {
    let mut q = Sql::new("DELETE FROM chain_officer WHERE chain_id = ");
    q.bind(chain_id).push(" AND account_id = ").bind(account_id);
    q.execute_tx(tx).await?;
    let mut q = Sql::new("INSERT INTO chain_officer (chain_id, account_id, role) VALUES (");
    q.bind(chain_id).push(", ").bind(account_id).push(", ").bind(role).push(")");
    q.execute_tx(tx).await?;
    Ok(())
}

pub async fn remove_officer(tx: &mut Tx, chain_id: i64, account_id: i64) -> Result<bool> {
    let mut q = Sql::new("DELETE FROM chain_officer WHERE chain_id = ");
    q.bind(chain_id).push(" AND account_id = ").bind(account_id);
    Ok(q.execute_tx(tx).await? == 1)
}

/// (year, output target in fen) of a chain.
pub async fn targets(db: &Db, chain_id: i64) -> Result<Vec<(i64, i64)>> {
    let mut q = Sql::new("SELECT year, output_fen FROM chain_target WHERE chain_id = ");
    q.bind(chain_id).push(" ORDER BY year");
    q.fetch_all(db).await
}

pub async fn set_target(tx: &mut Tx, chain_id: i64, year: i64, output_fen: i64) -> Result<()> {
    let mut q = Sql::new("DELETE FROM chain_target WHERE chain_id = ");
    q.bind(chain_id).push(" AND year = ").bind(year);
    q.execute_tx(tx).await?;
    let mut q = Sql::new("INSERT INTO chain_target (chain_id, year, output_fen) VALUES (");
    q.bind(chain_id).push(", ").bind(year).push(", ").bind(output_fen).push(")");
    q.execute_tx(tx).await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct SegmentRow {
    pub id: i64,
    pub chain_id: i64,
    pub code: String,
    pub name: String,
    pub stage: String,
    pub parent_id: Option<i64>,
    pub sort: i64,
    pub key_products: String,
    pub key_technologies: String,
    pub industry_codes: String,
    pub retired: bool,
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewSegment {
    pub code: String,
    pub name: String,
    pub stage: String,
    pub parent_id: Option<i64>,
    pub sort: i64,
    pub key_products: String,
    pub key_technologies: String,
    pub industry_codes: String,
}

/// The segments of a chain in display order (stage, then sort), retired ones included.
pub async fn segments(db: &Db, chain_id: i64) -> Result<Vec<SegmentRow>> {
    let mut q = Sql::new(
        "SELECT id, chain_id, code, name, stage, parent_id, sort, key_products, key_technologies, industry_codes, retired, version \
         FROM segment WHERE chain_id = ",
    );
    q.bind(chain_id).push(" ORDER BY CASE stage WHEN 'upstream' THEN 0 WHEN 'midstream' THEN 1 ELSE 2 END, sort, id");
    q.fetch_all(db).await
}

pub async fn insert_segment(
    tx: &mut Tx,
    chain_id: i64,
    s: &NewSegment,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO segment (chain_id, code, name, stage, parent_id, sort, key_products, key_technologies, industry_codes, \
         retired, version, created_at, created_by, updated_at, updated_by) VALUES (",
    );
    q.bind(chain_id).push(", ").bind(&s.code).push(", ").bind(&s.name).push(", ").bind(&s.stage).push(", ");
    q.bind(s.parent_id).push(", ").bind(s.sort).push(", ").bind(&s.key_products).push(", ");
    q.bind(&s.key_technologies).push(", ").bind(&s.industry_codes).push(", FALSE, 1, ").bind(at).push(", ");
    q.bind(by).push(", ").bind(at).push(", ").bind(by).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

/// Updates a segment if it is still at `version`; false when it was changed meanwhile.
pub async fn update_segment(
    tx: &mut Tx,
    id: i64,
    version: i64,
    s: &NewSegment,
    retired: bool,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<bool> {
    let mut q = Sql::new("UPDATE segment SET name = ");
    q.bind(&s.name).push(", stage = ").bind(&s.stage).push(", parent_id = ").bind(s.parent_id);
    q.push(", sort = ").bind(s.sort).push(", key_products = ").bind(&s.key_products);
    q.push(", key_technologies = ").bind(&s.key_technologies).push(", industry_codes = ").bind(&s.industry_codes);
    q.push(", retired = ").bind(retired).push(", version = version + 1, updated_at = ").bind(at);
    q.push(", updated_by = ").bind(by).push(" WHERE id = ").bind(id).push(" AND version = ").bind(version);
    Ok(q.execute_tx(tx).await? == 1)
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct EdgeRow {
    pub id: i64,
    #[serde(rename = "from")]
    pub from_id: i64,
    #[serde(rename = "to")]
    pub to_id: i64,
    pub product: String,
    pub retired: bool,
}

pub async fn edges(db: &Db, chain_id: i64) -> Result<Vec<EdgeRow>> {
    let mut q = Sql::new("SELECT id, from_id, to_id, product, retired FROM segment_edge WHERE chain_id = ");
    q.bind(chain_id).push(" ORDER BY id");
    q.fetch_all(db).await
}

pub async fn insert_edge(
    tx: &mut Tx,
    chain_id: i64,
    from: i64,
    to: i64,
    product: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO segment_edge (chain_id, from_id, to_id, product, retired, created_at, created_by) VALUES (",
    );
    q.bind(chain_id).push(", ").bind(from).push(", ").bind(to).push(", ").bind(product).push(", FALSE, ");
    q.bind(at).push(", ").bind(by).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

/// Sets an edge's product and whether it is retired.
pub async fn update_edge(tx: &mut Tx, id: i64, product: &str, retired: bool) -> Result<bool> {
    let mut q = Sql::new("UPDATE segment_edge SET product = ");
    q.bind(product).push(", retired = ").bind(retired).push(" WHERE id = ").bind(id);
    Ok(q.execute_tx(tx).await? == 1)
}

pub async fn set_edge_retired(tx: &mut Tx, id: i64, retired: bool) -> Result<bool> {
    let mut q = Sql::new("UPDATE segment_edge SET retired = ");
    q.bind(retired).push(" WHERE id = ").bind(id);
    Ok(q.execute_tx(tx).await? == 1)
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct PlacementRow {
    pub id: i64,
    pub segment_id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    /// The enterprise's 统一社会信用代码 (how an imported map names it).
    pub uscc: String,
    pub region_code: String,
    pub region_name: String,
    pub role: String,
    pub revenue_fen: Option<i64>,
}

/// The placements on a chain's segments of the enterprises `scope` may read.
pub async fn placements(db: &Db, scope: &EnterpriseScope, chain_id: i64) -> Result<Vec<PlacementRow>> {
    let mut q = Sql::new(
        "SELECT p.id, p.segment_id, p.enterprise_id, e.name AS enterprise_name, e.uscc, e.region_code, r.name AS region_name, \
         p.role, e.revenue_fen FROM placement p JOIN segment s ON s.id = p.segment_id \
         JOIN enterprise e ON e.id = p.enterprise_id JOIN region r ON r.code = e.region_code \
         WHERE e.archived = FALSE AND s.chain_id = ",
    );
    q.bind(chain_id);
    push_scope(&mut q, scope, Access::Read);
    q.push(" ORDER BY p.segment_id, CASE p.role WHEN 'leader' THEN 0 ELSE 1 END, e.name_key, e.id");
    q.fetch_all(db).await
}

/// Every placement on a chain (for the analytics, which count all enterprises; the figures
/// are aggregates, and enterprises outside a caller's scope appear only by id).
pub async fn all_placements(db: &Db, chain_id: i64) -> Result<Vec<PlacementRow>> {
    placements(db, &EnterpriseScope { read_all: true, ..Default::default() }, chain_id).await
}

/// Places an enterprise on a segment (and makes it a member of the chain); false when it was
/// already placed there.
pub async fn place(
    tx: &mut Tx,
    chain_id: i64,
    segment_id: i64,
    enterprise_id: i64,
    role: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<bool> {
    let mut q = Sql::new("SELECT COUNT(*) FROM placement WHERE segment_id = ");
    q.bind(segment_id).push(" AND enterprise_id = ").bind(enterprise_id);
    if q.fetch_one_i64_tx(tx).await? > 0 {
        return Ok(false);
    }
    let mut q = Sql::new("INSERT INTO placement (segment_id, enterprise_id, role, created_at, created_by) VALUES (");
    q.bind(segment_id).push(", ").bind(enterprise_id).push(", ").bind(role).push(", ").bind(at).push(", ").bind(by);
    q.push(")");
    q.execute_tx(tx).await?;
    let mut q = Sql::new("SELECT COUNT(*) FROM enterprise_chain WHERE enterprise_id = ");
    q.bind(enterprise_id).push(" AND chain_id = ").bind(chain_id);
    if q.fetch_one_i64_tx(tx).await? == 0 {
        crate::chain::add_enterprise(tx, chain_id, enterprise_id).await?;
    }
    Ok(true)
}

/// Changes the role of an enterprise on a segment; false when it is not placed there.
pub async fn set_placement_role(tx: &mut Tx, segment_id: i64, enterprise_id: i64, role: &str) -> Result<bool> {
    let mut q = Sql::new("UPDATE placement SET role = ");
    q.bind(role).push(" WHERE segment_id = ").bind(segment_id).push(" AND enterprise_id = ").bind(enterprise_id);
    Ok(q.execute_tx(tx).await? == 1)
}

pub async fn unplace(tx: &mut Tx, segment_id: i64, enterprise_id: i64) -> Result<bool> {
    let mut q = Sql::new("DELETE FROM placement WHERE segment_id = ");
    q.bind(segment_id).push(" AND enterprise_id = ").bind(enterprise_id);
    Ok(q.execute_tx(tx).await? == 1)
}

/// The audit rows of a chain's map edits, newest first, a page at a time, with their total:
/// its segments' and segment edges' rows, the placements naming the chain, and its map
/// imports. Callers check that the reader may read the chain's map; rows name enterprises by
/// id only.
pub async fn map_audit(
    db: &Db,
    chain_id: i64,
    chain_code: &str,
    page: i64,
    per_page: i64,
) -> Result<(Vec<crate::audit::AuditRow>, i64)> {
    // The placement rows' JSON carries `"chain":"<code>"` (compact serde_json text).
    let escaped: String =
        chain_code.chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
    let pattern = format!("%\"chain\":\"{escaped}\"%");
    let mut w =
        Sql::new(" WHERE (entity = 'segment' AND entity_id IN (SELECT CAST(id AS TEXT) FROM segment WHERE chain_id = ");
    w.bind(chain_id);
    w.push(
        ")) OR (entity = 'segment_edge' AND entity_id IN (SELECT CAST(id AS TEXT) FROM segment_edge WHERE chain_id = ",
    );
    w.bind(chain_id);
    w.push(")) OR (entity = 'placement' AND (after_json LIKE ").bind(pattern.as_str());
    w.push(" ESCAPE '\\' OR before_json LIKE ").bind(pattern.as_str()).push(" ESCAPE '\\'))");
    w.push(" OR (entity = 'chain' AND action LIKE 'chain_map.%' AND entity_id = ").bind(chain_id.to_string()).push(")");
    let total = w.with_prefix("SELECT COUNT(*) FROM audit_log").fetch_i64(db).await?;
    let per = per_page.clamp(1, 200);
    let mut q = w.with_prefix("SELECT * FROM audit_log");
    q.push(&format!(" ORDER BY seq DESC LIMIT {per} OFFSET {}", (page.max(1) - 1) * per));
    Ok((q.fetch_all(db).await?, total))
}

/// (id, name) of those of `ids` that `scope` may read.
pub async fn enterprise_names(db: &Db, scope: &EnterpriseScope, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut q = Sql::new("SELECT e.id, e.name FROM enterprise e WHERE e.id IN ");
        q.bind_list(chunk.iter().copied());
        push_scope(&mut q, scope, Access::Read);
        out.extend(q.fetch_all::<(i64, String)>(db).await?);
    }
    Ok(out)
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct SupplyRow {
    pub id: i64,
    pub supplier_id: Option<i64>,
    pub supplier_name: String,
    pub buyer_id: i64,
    pub product: String,
    pub year: i64,
    pub amount_fen: i64,
    pub local: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewSupply {
    pub supplier_id: Option<i64>,
    pub supplier_name: String,
    pub buyer_id: i64,
    pub product: String,
    pub year: i64,
    pub amount_fen: i64,
    pub local: bool,
}

pub async fn insert_supply(tx: &mut Tx, s: &NewSupply, at: DateTime<Utc>, by: Option<i64>) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO supply_relation (supplier_id, supplier_name, buyer_id, product, year, amount_fen, local, created_at, created_by) VALUES (",
    );
    q.bind(s.supplier_id).push(", ").bind(&s.supplier_name).push(", ").bind(s.buyer_id).push(", ");
    q.bind(&s.product).push(", ").bind(s.year).push(", ").bind(s.amount_fen).push(", ").bind(s.local).push(", ");
    q.bind(at).push(", ").bind(by).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

/// The supply relations whose buyer is placed on the chain (its inputs), latest year of each
/// relation kept as stored.
pub async fn supplies(db: &Db, chain_id: i64) -> Result<Vec<SupplyRow>> {
    let mut q = Sql::new(
        "SELECT r.id, r.supplier_id, r.supplier_name, r.buyer_id, r.product, r.year, r.amount_fen, r.local \
         FROM supply_relation r WHERE r.buyer_id IN (SELECT p.enterprise_id FROM placement p JOIN segment s ON s.id = p.segment_id \
         WHERE s.chain_id = ",
    );
    q.bind(chain_id).push(" AND s.retired = FALSE) ORDER BY r.id");
    q.fetch_all(db).await
}

/// (enterprise id, other chain id) for enterprises placed on this chain and on others.
pub async fn other_chain_placements(db: &Db, chain_id: i64) -> Result<Vec<(i64, i64)>> {
    let mut q = Sql::new(
        "SELECT DISTINCT p.enterprise_id, s.chain_id FROM placement p JOIN segment s ON s.id = p.segment_id \
         WHERE s.retired = FALSE AND s.chain_id <> ",
    );
    q.bind(chain_id).push(
        " AND p.enterprise_id IN (SELECT p2.enterprise_id FROM placement p2 JOIN segment s2 ON s2.id = p2.segment_id WHERE s2.chain_id = ",
    );
    q.bind(chain_id).push(") ORDER BY p.enterprise_id, s.chain_id");
    q.fetch_all(db).await
}

/// Bulk placements (demo seeding, imports): (segment id, enterprise id, role), in 400-row
/// statements. The caller makes the enterprises members of the chain.
pub async fn insert_placements(
    tx: &mut Tx,
    rows: &[(i64, i64, &str)],
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<()> {
    for chunk in rows.chunks(400) {
        let mut q = Sql::new("INSERT INTO placement (segment_id, enterprise_id, role, created_at, created_by) VALUES ");
        for (i, (s, e, r)) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(*s).push(", ").bind(*e).push(", ").bind(*r).push(", ").bind(at).push(", ").bind(by).push(")");
        }
        q.execute_tx(tx).await?;
    }
    Ok(())
}

/// Bulk supply relations, in 300-row statements.
pub async fn insert_supplies(tx: &mut Tx, rows: &[NewSupply], at: DateTime<Utc>, by: Option<i64>) -> Result<()> {
    for chunk in rows.chunks(300) {
        let mut q = Sql::new(
            "INSERT INTO supply_relation (supplier_id, supplier_name, buyer_id, product, year, amount_fen, local, created_at, created_by) VALUES ",
        );
        for (i, s) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(s.supplier_id).push(", ").bind(&s.supplier_name).push(", ").bind(s.buyer_id).push(", ");
            q.bind(&s.product).push(", ").bind(s.year).push(", ").bind(s.amount_fen).push(", ").bind(s.local);
            q.push(", ").bind(at).push(", ").bind(by).push(")");
        }
        q.execute_tx(tx).await?;
    }
    Ok(())
}

/// (chain id, enterprise id, industry code, revenue in fen) of every live chain member.
pub async fn members(db: &Db) -> Result<Vec<(i64, i64, String, Option<i64>)>> {
    Sql::new(
        "SELECT ec.chain_id, e.id, e.industry_code, e.revenue_fen FROM enterprise_chain ec \
         JOIN enterprise e ON e.id = ec.enterprise_id WHERE e.archived = FALSE ORDER BY ec.chain_id, e.id",
    )
    .fetch_all(db)
    .await
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct ListItemRow {
    pub id: i64,
    pub chain_id: i64,
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub owner: String,
    pub status: String,
    pub start_on: Option<chrono::NaiveDate>,
    pub due_on: Option<chrono::NaiveDate>,
    pub segment_id: Option<i64>,
    pub segment_name: Option<String>,
    pub enterprise_id: Option<i64>,
    /// Only when the reader may read the enterprise.
    pub enterprise_name: Option<String>,
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewListItem {
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub owner: String,
    pub status: String,
    pub start_on: Option<chrono::NaiveDate>,
    pub due_on: Option<chrono::NaiveDate>,
    pub segment_id: Option<i64>,
    pub enterprise_id: Option<i64>,
}

impl From<&ListItemRow> for NewListItem {
    fn from(r: &ListItemRow) -> Self {
        NewListItem {
            kind: r.kind.clone(),
            title: r.title.clone(),
            detail: r.detail.clone(),
            owner: r.owner.clone(),
            status: r.status.clone(),
            start_on: r.start_on,
            due_on: r.due_on,
            segment_id: r.segment_id,
            enterprise_id: r.enterprise_id,
        }
    }
}

/// A chain's list items (of one kind, or all), in kind order then due date. The linked
/// enterprise's name is joined only where `scope` may read it.
pub async fn list_items(
    db: &Db,
    scope: &EnterpriseScope,
    chain_id: i64,
    kind: Option<&str>,
) -> Result<Vec<ListItemRow>> {
    let mut q = Sql::new(
        "SELECT i.id, i.chain_id, i.kind, i.title, i.detail, i.owner, i.status, i.start_on, i.due_on, i.segment_id, \
         s.name AS segment_name, i.enterprise_id, e.name AS enterprise_name, i.version \
         FROM chain_list i LEFT JOIN segment s ON s.id = i.segment_id \
         LEFT JOIN enterprise e ON e.id = i.enterprise_id",
    );
    push_scope(&mut q, scope, Access::Read);
    q.push(" WHERE i.chain_id = ").bind(chain_id);
    if let Some(k) = kind {
        q.push(" AND i.kind = ").bind(k);
    }
    q.push(" ORDER BY i.kind, CASE WHEN i.due_on IS NULL THEN 1 ELSE 0 END, i.due_on, i.id");
    q.fetch_all(db).await
}

pub async fn insert_item(
    tx: &mut Tx,
    chain_id: i64,
    i: &NewListItem,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO chain_list (chain_id, kind, title, detail, owner, status, start_on, due_on, segment_id, enterprise_id, \
         version, created_at, created_by, updated_at, updated_by) VALUES (",
    );
    q.bind(chain_id).push(", ").bind(&i.kind).push(", ").bind(&i.title).push(", ").bind(&i.detail).push(", ");
    q.bind(&i.owner).push(", ").bind(&i.status).push(", ").bind(i.start_on).push(", ").bind(i.due_on).push(", ");
    q.bind(i.segment_id).push(", ").bind(i.enterprise_id).push(", 1, ").bind(at).push(", ").bind(by).push(", ");
    q.bind(at).push(", ").bind(by).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

/// Replaces an item's fields if it is still at `version`; false when it moved on or is not
/// an item of this chain.
pub async fn update_item(
    tx: &mut Tx,
    chain_id: i64,
    id: i64,
    version: i64,
    i: &NewListItem,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<bool> {
    let mut q = Sql::new("UPDATE chain_list SET kind = ");
    q.bind(&i.kind).push(", title = ").bind(&i.title).push(", detail = ").bind(&i.detail);
    q.push(", owner = ").bind(&i.owner).push(", status = ").bind(&i.status).push(", start_on = ").bind(i.start_on);
    q.push(", due_on = ").bind(i.due_on).push(", segment_id = ").bind(i.segment_id);
    q.push(", enterprise_id = ").bind(i.enterprise_id).push(", version = version + 1, updated_at = ").bind(at);
    q.push(", updated_by = ").bind(by).push(" WHERE id = ").bind(id).push(" AND chain_id = ").bind(chain_id);
    q.push(" AND version = ").bind(version);
    Ok(q.execute_tx(tx).await? == 1)
}

pub async fn delete_item(tx: &mut Tx, chain_id: i64, id: i64) -> Result<bool> {
    let mut q = Sql::new("DELETE FROM chain_list WHERE id = ");
    q.bind(id).push(" AND chain_id = ").bind(chain_id);
    Ok(q.execute_tx(tx).await? == 1)
}
