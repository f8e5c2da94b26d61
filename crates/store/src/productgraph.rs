//! The reference product graph (replaced whole by each import), the mapping of its products
//! onto segments (review decisions kept by product name across imports), and investment
//! targets pushed to regions with their follow-up log. Pushes are read through the caller's
//! scope: a region sees what was pushed to it, a lead department and a chief their chains.

use crate::sql::Sql;
use crate::{Db, Result, Tx};
use chrono::{DateTime, Utc};
use domain::productgraph::{Company, ProductGraph};
use domain::role::EnterpriseScope;
use serde::Serialize;

const CHUNK: usize = 400;

async fn insert_rows<T>(tx: &mut Tx, head: &str, rows: &[T], mut bind: impl FnMut(&mut Sql, &T)) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut q = Sql::new(head);
        for (i, r) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            bind(&mut q, r);
            q.push(")");
        }
        q.execute_tx(tx).await?;
    }
    Ok(())
}

/// Replace the whole reference graph: ids are indices + 1.
pub async fn replace_graph(tx: &mut Tx, g: &ProductGraph) -> Result<()> {
    for t in [
        "ref_company_industry",
        "ref_company_product",
        "ref_company",
        "ref_product_sub",
        "ref_product_supply",
        "ref_product",
    ] {
        Sql::new(&format!("DELETE FROM {t}")).execute_tx(tx).await?;
    }
    let products: Vec<(i64, &str)> = g.products.iter().enumerate().map(|(i, n)| (i as i64 + 1, n.as_str())).collect();
    insert_rows(tx, "INSERT INTO ref_product (id, name) VALUES ", &products, |q, (id, n)| {
        q.bind(*id).push(", ").bind(*n);
    })
    .await?;
    insert_rows(tx, "INSERT INTO ref_product_supply (up_id, down_id) VALUES ", &g.supplies, |q, (a, b)| {
        q.bind(*a as i64 + 1).push(", ").bind(*b as i64 + 1);
    })
    .await?;
    insert_rows(tx, "INSERT INTO ref_product_sub (parent_id, child_id) VALUES ", &g.subcategories, |q, (a, b)| {
        q.bind(*a as i64 + 1).push(", ").bind(*b as i64 + 1);
    })
    .await?;
    let companies: Vec<(i64, &Company)> = g.companies.iter().enumerate().map(|(i, c)| (i as i64 + 1, c)).collect();
    insert_rows(tx, "INSERT INTO ref_company (id, code, name) VALUES ", &companies, |q, (id, c)| {
        q.bind(*id).push(", ").bind(c.code.as_str()).push(", ").bind(c.name.as_str());
    })
    .await?;
    insert_rows(
        tx,
        "INSERT INTO ref_company_product (company_id, product_id, weight) VALUES ",
        &g.company_products,
        |q, (c, p, w)| {
            q.bind(*c as i64 + 1).push(", ").bind(*p as i64 + 1).push(", ").bind(*w);
        },
    )
    .await?;
    insert_rows(
        tx,
        "INSERT INTO ref_company_industry (company_id, industry_code, industry_name) VALUES ",
        &g.company_industries,
        |q, (c, code, name)| {
            q.bind(*c as i64 + 1).push(", ").bind(code.as_str()).push(", ").bind(name.as_str());
        },
    )
    .await?;
    Ok(())
}

/// The stored graph (empty when none was imported).
pub async fn load_graph(db: &Db) -> Result<ProductGraph> {
    let products: Vec<(String,)> = Sql::new("SELECT name FROM ref_product ORDER BY id").fetch_all(db).await?;
    let supplies: Vec<(i64, i64)> =
        Sql::new("SELECT up_id, down_id FROM ref_product_supply ORDER BY up_id, down_id").fetch_all(db).await?;
    let subs: Vec<(i64, i64)> =
        Sql::new("SELECT parent_id, child_id FROM ref_product_sub ORDER BY parent_id, child_id").fetch_all(db).await?;
    let companies: Vec<(String, String)> =
        Sql::new("SELECT code, name FROM ref_company ORDER BY id").fetch_all(db).await?;
    let cps: Vec<(i64, i64, f64)> =
        Sql::new("SELECT company_id, product_id, weight FROM ref_company_product ORDER BY company_id, product_id")
            .fetch_all(db)
            .await?;
    let cis: Vec<(i64, String, String)> = Sql::new(
        "SELECT company_id, industry_code, industry_name FROM ref_company_industry ORDER BY company_id, industry_code",
    )
    .fetch_all(db)
    .await?;
    let ix = |id: i64| (id - 1) as u32;
    Ok(ProductGraph {
        products: products.into_iter().map(|(n,)| n).collect(),
        supplies: supplies.into_iter().map(|(a, b)| (ix(a), ix(b))).collect(),
        subcategories: subs.into_iter().map(|(a, b)| (ix(a), ix(b))).collect(),
        companies: companies.into_iter().map(|(code, name)| Company { code, name }).collect(),
        company_products: cps.into_iter().map(|(c, p, w)| (ix(c), ix(p), w)).collect(),
        company_industries: cis.into_iter().map(|(c, code, name)| (ix(c), code, name)).collect(),
    })
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct GraphImport {
    pub id: i64,
    pub imported_at: DateTime<Utc>,
    pub imported_by: Option<i64>,
    pub source: String,
    pub products: i64,
    pub relations: i64,
    pub companies: i64,
    pub company_products: i64,
    pub dropped: i64,
    /// The cleaning report as JSON.
    pub report: String,
}

pub async fn record_import(tx: &mut Tx, r: &GraphImport) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO ref_graph_import (imported_at, imported_by, source, products, relations, companies, company_products, dropped, report) VALUES (",
    );
    q.bind(r.imported_at).push(", ").bind(r.imported_by).push(", ").bind(r.source.as_str()).push(", ");
    q.bind(r.products).push(", ").bind(r.relations).push(", ").bind(r.companies).push(", ");
    q.bind(r.company_products).push(", ").bind(r.dropped).push(", ").bind(r.report.as_str()).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

/// The id of the last import (0 when none).
pub async fn last_import_id(db: &Db) -> Result<i64> {
    Sql::new("SELECT COALESCE(MAX(id), 0) FROM ref_graph_import").fetch_i64(db).await
}

pub async fn last_import(db: &Db) -> Result<Option<GraphImport>> {
    Sql::new(
        "SELECT id, imported_at, imported_by, source, products, relations, companies, company_products, dropped, report \
         FROM ref_graph_import ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(db)
    .await
}

// ---------------------------------------------------------------------------------------
// Mappings
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct MappingRow {
    pub id: i64,
    pub segment_id: i64,
    pub product: String,
    pub score: f64,
    pub evidence: String,
    pub status: String,
    pub version: i64,
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// The mappings of a chain's segments, by segment then best score.
pub async fn mappings(db: &Db, chain_id: i64) -> Result<Vec<MappingRow>> {
    let mut q = Sql::new(
        "SELECT m.id, m.segment_id, m.product, m.score, m.evidence, m.status, m.version, m.reviewed_at \
         FROM product_mapping m JOIN segment s ON s.id = m.segment_id WHERE s.chain_id = ",
    );
    q.bind(chain_id).push(" ORDER BY m.segment_id, m.score DESC, m.product");
    q.fetch_all(db).await
}

pub async fn mapping(db: &Db, id: i64) -> Result<Option<MappingRow>> {
    let mut q = Sql::new(
        "SELECT id, segment_id, product, score, evidence, status, version, reviewed_at FROM product_mapping WHERE id = ",
    );
    q.bind(id);
    q.fetch_optional(db).await
}

/// Replace the open proposals of the given segments; decided mappings (accepted, rejected)
/// stay and are not proposed again. A proposal made again keeps its id (a review form loaded
/// before stays valid) with its new score and evidence; open proposals no longer made go.
/// Returns how many proposals the segments have now.
pub async fn replace_proposals(
    tx: &mut Tx,
    segment_ids: &[i64],
    proposals: &[(i64, String, f64, String)],
) -> Result<u64> {
    let mut by_seg: std::collections::HashMap<i64, Vec<&str>> = std::collections::HashMap::new();
    for (s, p, _, _) in proposals {
        by_seg.entry(*s).or_default().push(p.as_str());
    }
    for s in segment_ids {
        let mut q = Sql::new("DELETE FROM product_mapping WHERE status = 'proposed' AND segment_id = ");
        q.bind(*s);
        if let Some(keep) = by_seg.get(s) {
            q.push(" AND product NOT IN ").bind_list(keep.iter().copied());
        }
        q.execute_tx(tx).await?;
    }
    let mut n = 0;
    for chunk in proposals.chunks(CHUNK) {
        let mut q =
            Sql::new("INSERT INTO product_mapping (segment_id, product, score, evidence, status, version) VALUES ");
        for (i, (s, p, score, ev)) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(*s).push(", ").bind(p.as_str()).push(", ").bind(*score).push(", ").bind(ev.as_str());
            q.push(", 'proposed', 1)");
        }
        q.push(
            " ON CONFLICT (segment_id, product) DO UPDATE SET score = excluded.score, evidence = excluded.evidence \
             WHERE product_mapping.status = 'proposed'",
        );
        n += q.execute_tx(tx).await?;
    }
    Ok(n)
}

/// Set a mapping's status if it is still at `version`.
pub async fn set_mapping_status(
    tx: &mut Tx,
    id: i64,
    version: i64,
    status: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<bool> {
    let mut q = Sql::new("UPDATE product_mapping SET status = ");
    q.bind(status).push(", version = version + 1, reviewed_at = ").bind(at).push(", reviewed_by = ").bind(by);
    q.push(" WHERE id = ").bind(id).push(" AND version = ").bind(version);
    Ok(q.execute_tx(tx).await? == 1)
}

/// The mapping of (segment, product), inside a transaction.
pub async fn mapping_of(tx: &mut Tx, segment_id: i64, product: &str) -> Result<Option<MappingRow>> {
    let mut q = Sql::new(
        "SELECT id, segment_id, product, score, evidence, status, version, reviewed_at FROM product_mapping WHERE segment_id = ",
    );
    q.bind(segment_id).push(" AND product = ").bind(product);
    q.fetch_optional_tx(tx).await
}

/// A mapping set by hand: accepted, whatever was there.
pub async fn add_mapping(
    tx: &mut Tx,
    segment_id: i64,
    product: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO product_mapping (segment_id, product, score, evidence, status, version, reviewed_at, reviewed_by) VALUES (",
    );
    q.bind(segment_id).push(", ").bind(product).push(", 1, '人工添加', 'accepted', 1, ").bind(at).push(", ").bind(by);
    q.push(
        ") ON CONFLICT (segment_id, product) DO UPDATE SET status = 'accepted', version = product_mapping.version + 1, \
            reviewed_at = excluded.reviewed_at, reviewed_by = excluded.reviewed_by RETURNING id",
    );
    q.fetch_one_i64_tx(tx).await
}

/// Whether the graph holds a product of this name.
pub async fn product_exists(db: &Db, name: &str) -> Result<bool> {
    let mut q = Sql::new("SELECT COUNT(*) FROM ref_product WHERE name = ");
    q.bind(name);
    Ok(q.fetch_i64(db).await? > 0)
}

/// Product names containing `text`, for the review screen's picker.
pub async fn find_products(db: &Db, text: &str, limit: i64) -> Result<Vec<String>> {
    let mut q = Sql::new("SELECT name FROM ref_product WHERE LOWER(name) LIKE ");
    let text = text.to_lowercase();
    let pattern = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    q.bind(pattern).push(" ESCAPE '\\' ORDER BY LENGTH(name), name LIMIT ").bind(limit);
    let rows: Vec<(String,)> = q.fetch_all(db).await?;
    Ok(rows.into_iter().map(|(n,)| n).collect())
}

// ---------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------

pub const PUSH_COLUMNS: &str = "tp.id, tp.target_id, t.chain_id, c.name AS chain_name, t.segment_id, s.name AS segment_name, \
     t.company_code, t.company_name, t.score, t.evidence, tp.region_code, r.name AS region_name, tp.status, tp.reason, \
     tp.version, tp.pushed_at, tp.updated_at";

const PUSH_FROM: &str = " FROM target_push tp JOIN target t ON t.id = tp.target_id JOIN chain c ON c.id = t.chain_id \
     JOIN segment s ON s.id = t.segment_id JOIN region r ON r.code = tp.region_code WHERE 1 = 1";

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct PushRow {
    pub id: i64,
    pub target_id: i64,
    pub chain_id: i64,
    pub chain_name: String,
    pub segment_id: i64,
    pub segment_name: String,
    pub company_code: String,
    pub company_name: String,
    pub score: f64,
    pub evidence: String,
    pub region_code: String,
    pub region_name: String,
    pub status: String,
    pub reason: String,
    pub version: i64,
    pub pushed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Limit a query over `target_push tp JOIN target t JOIN chain c` to what `scope` may read:
/// pushes to the reader's regions (a prefecture covers its counties), targets of the chains
/// it leads or chairs; everything for the office.
pub fn push_target_scope(q: &mut Sql, scope: &EnterpriseScope) {
    if scope.read_all {
        return;
    }
    q.push(" AND (1 = 0");
    if !scope.regions.is_empty() {
        q.push(" OR tp.region_code IN ").bind_list(&scope.regions);
        q.push(" OR tp.region_code IN (SELECT code FROM region WHERE parent_code IN ")
            .bind_list(&scope.regions)
            .push(")");
    }
    if !scope.lead_departments.is_empty() {
        q.push(" OR c.lead_department_code IN ").bind_list(&scope.lead_departments);
    }
    if !scope.chains_read.is_empty() {
        q.push(" OR c.code IN ").bind_list(&scope.chains_read);
    }
    q.push(")");
}

#[derive(Clone, Debug, Default)]
pub struct PushFilter {
    pub chain_id: Option<i64>,
    pub region_code: Option<String>,
    pub status: Option<String>,
}

/// Pushes the reader may see, by chain, segment, score.
pub async fn pushes(db: &Db, scope: &EnterpriseScope, f: &PushFilter) -> Result<Vec<PushRow>> {
    let mut q = Sql::new(&format!("SELECT {PUSH_COLUMNS}{PUSH_FROM}"));
    push_target_scope(&mut q, scope);
    if let Some(c) = f.chain_id {
        q.push(" AND t.chain_id = ").bind(c);
    }
    if let Some(r) = &f.region_code {
        q.push(" AND tp.region_code = ").bind(r.as_str());
    }
    if let Some(s) = &f.status {
        q.push(" AND tp.status = ").bind(s.as_str());
    }
    q.push(" ORDER BY t.chain_id, s.sort, t.score DESC, tp.region_code, tp.id");
    q.fetch_all(db).await
}

pub async fn push(db: &Db, scope: &EnterpriseScope, id: i64) -> Result<Option<PushRow>> {
    let mut q = Sql::new(&format!("SELECT {PUSH_COLUMNS}{PUSH_FROM}"));
    push_target_scope(&mut q, scope);
    q.push(" AND tp.id = ").bind(id);
    q.fetch_optional(db).await
}

pub struct NewTarget<'a> {
    pub chain_id: i64,
    pub segment_id: i64,
    pub company_code: &'a str,
    pub company_name: &'a str,
    pub score: f64,
    pub evidence: &'a str,
}

/// The target of (segment, company), created on first push. Returns (id, created).
pub async fn ensure_target(tx: &mut Tx, t: &NewTarget<'_>, at: DateTime<Utc>, by: Option<i64>) -> Result<(i64, bool)> {
    let mut q = Sql::new(
        "INSERT INTO target (chain_id, segment_id, company_code, company_name, score, evidence, created_at, created_by) VALUES (",
    );
    q.bind(t.chain_id).push(", ").bind(t.segment_id).push(", ").bind(t.company_code).push(", ");
    q.bind(t.company_name).push(", ").bind(t.score).push(", ").bind(t.evidence).push(", ").bind(at).push(", ");
    q.bind(by).push(") ON CONFLICT (segment_id, company_code) DO NOTHING RETURNING id");
    if let Some((id,)) = q.fetch_optional_tx::<(i64,)>(tx).await? {
        return Ok((id, true));
    }
    let mut q = Sql::new("SELECT id FROM target WHERE segment_id = ");
    q.bind(t.segment_id).push(" AND company_code = ").bind(t.company_code);
    Ok((q.fetch_one_i64_tx(tx).await?, false))
}

/// Push a target to a region; `None` when it was already pushed there.
pub async fn insert_push(
    tx: &mut Tx,
    target_id: i64,
    region_code: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<Option<i64>> {
    let mut q = Sql::new(
        "INSERT INTO target_push (target_id, region_code, status, reason, version, pushed_at, pushed_by, updated_at, updated_by) VALUES (",
    );
    q.bind(target_id).push(", ").bind(region_code).push(", 'pushed', '', 1, ").bind(at).push(", ").bind(by);
    q.push(", ").bind(at).push(", ").bind(by).push(") ON CONFLICT (target_id, region_code) DO NOTHING RETURNING id");
    let row: Option<(i64,)> = q.fetch_optional_tx(tx).await?;
    Ok(row.map(|(id,)| id))
}

pub async fn set_push_status(
    tx: &mut Tx,
    id: i64,
    version: i64,
    status: &str,
    reason: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<bool> {
    let mut q = Sql::new("UPDATE target_push SET status = ");
    q.bind(status).push(", reason = ").bind(reason).push(", version = version + 1, updated_at = ").bind(at);
    q.push(", updated_by = ").bind(by).push(" WHERE id = ").bind(id).push(" AND version = ").bind(version);
    Ok(q.execute_tx(tx).await? == 1)
}

pub async fn insert_event(
    tx: &mut Tx,
    push_id: i64,
    from: Option<&str>,
    to: &str,
    note: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<()> {
    let mut q = Sql::new("INSERT INTO target_event (push_id, at, actor_id, from_status, to_status, note) VALUES (");
    q.bind(push_id).push(", ").bind(at).push(", ").bind(by).push(", ").bind(from.map(str::to_string));
    q.push(", ").bind(to).push(", ").bind(note).push(")");
    q.execute_tx(tx).await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct EventRow {
    pub id: i64,
    pub push_id: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: String,
}

/// The follow-up log of the given pushes that `scope` may read, oldest first.
pub async fn events(db: &Db, scope: &EnterpriseScope, push_ids: &[i64]) -> Result<Vec<EventRow>> {
    if push_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for chunk in push_ids.chunks(CHUNK) {
        let mut q = Sql::new(
            "SELECT ev.id, ev.push_id, ev.at, a.display_name AS actor, ev.from_status, ev.to_status, ev.note \
             FROM target_event ev LEFT JOIN account a ON a.id = ev.actor_id \
             JOIN target_push tp ON tp.id = ev.push_id JOIN target t ON t.id = tp.target_id JOIN chain c ON c.id = t.chain_id \
             WHERE ev.push_id IN ",
        );
        q.bind_list(chunk.iter().copied());
        push_target_scope(&mut q, scope);
        q.push(" ORDER BY ev.push_id, ev.id");
        out.extend(q.fetch_all::<EventRow>(db).await?);
    }
    Ok(out)
}
