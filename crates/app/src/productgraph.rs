//! The reference product graph and investment targets (issue 4 parts 6 and 7):
//! `qianglian import product-graph DIR` reads the graph's JSON-lines files, cleans them
//! (`domain::productgraph::clean`), replaces the stored graph and proposes products for every
//! segment; the office or a chain's lead department reviews the proposals; the accepted and
//! open ones drive the ranking of external companies for weak and missing segments, which
//! editors push to regions, where the follow-up is logged until the company signs and lands
//! (or is dropped, with a reason).

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;

use crate::account::Principal;
use crate::{App, AppError, Result, audit_entry};
use domain::chainmap::{self as cm, Thresholds};
use domain::productgraph::{self as pg, ProductGraph, RawGraph, Val};
use domain::role::Role;
use serde::{Deserialize, Serialize};
use store::productgraph::{MappingRow, PushFilter, PushRow};

/// The files of a product-graph directory; the last one is optional.
pub const GRAPH_FILES: [&str; 5] = [
    "products.jsonl",
    "product_relations.jsonl",
    "companies.jsonl",
    "company_products.jsonl",
    "company_industries.jsonl",
];

/// Longest accepted line: a record of a few names is far below it; anything longer is not
/// one of these files.
const MAX_LINE: usize = 64 * 1024;
/// Proposed products kept per segment.
pub const PER_SEGMENT: usize = 30;
/// Open (unreviewed) proposals drive the ranking from this score on: matches by name, key
/// product or sub-category; weaker ones (industry code alone) only once accepted.
pub const MIN_OPEN_SCORE: f64 = 0.6;
/// Companies ranked per segment.
pub const TARGETS_PER_SEGMENT: usize = 10;

/// Follow-up states of a pushed target, in order; `dropped` may follow any open state.
pub const PUSH_STATUSES: [(&str, &str); 6] = [
    ("pushed", "已推送"),
    ("contacted", "已接洽"),
    ("negotiating", "洽谈中"),
    ("signed", "已签约"),
    ("landed", "已落地"),
    ("dropped", "已放弃"),
];

pub fn push_status_label(code: &str) -> &'static str {
    PUSH_STATUSES.iter().find(|s| s.0 == code).map(|s| s.1).unwrap_or("未知")
}

pub const MAPPING_STATUSES: [(&str, &str); 3] =
    [("proposed", "待审核"), ("accepted", "已确认"), ("rejected", "已排除")];

pub fn mapping_status_label(code: &str) -> &'static str {
    MAPPING_STATUSES.iter().find(|s| s.0 == code).map(|s| s.1).unwrap_or("未知")
}

/// What an import did.
#[derive(Clone, Debug, Serialize)]
pub struct GraphImportReport {
    pub import_id: i64,
    pub products: usize,
    pub relations: usize,
    pub companies: usize,
    pub company_products: usize,
    pub company_industries: usize,
    pub dropped: usize,
    pub proposals: u64,
    pub report: pg::CleanReport,
}

fn val(v: Option<&serde_json::Value>) -> Val {
    match v {
        None | Some(serde_json::Value::Null) => Val::Missing,
        Some(serde_json::Value::String(s)) => Val::Text(s.clone()),
        Some(serde_json::Value::Number(n)) => match n.as_i64() {
            Some(i) => Val::Int(i),
            None => n.as_f64().map(Val::Float).unwrap_or(Val::Other),
        },
        Some(_) => Val::Other,
    }
}

/// A file's records: (line number, the requested fields).
type Lines = Vec<(usize, Vec<Val>)>;

/// Read one JSON-lines file: each non-blank line must be a JSON object (the message names the
/// file and line otherwise); `fields` are taken from it.
fn read_jsonl(mut reader: impl BufRead, file: &str, fields: &[&str]) -> Result<Lines> {
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut line = 0;
    loop {
        buf.clear();
        let n = std::io::Read::take(&mut reader, MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| AppError::invalid("dir", format!("无法读取 {file}：{e}")))?;
        if n == 0 {
            break;
        }
        line += 1;
        if buf.len() > MAX_LINE && !buf.ends_with(b"\n") {
            return Err(AppError::invalid("dir", format!("{file} 第 {line} 行超过 64 KB，不是产品图谱记录")));
        }
        let text = std::str::from_utf8(&buf)
            .map_err(|_| AppError::invalid("dir", format!("{file} 第 {line} 行不是 UTF-8 编码")))?;
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| AppError::invalid("dir", format!("{file} 第 {line} 行不是合法的 JSON：{e}")))?;
        let Some(obj) = v.as_object() else {
            return Err(AppError::invalid("dir", format!("{file} 第 {line} 行应为 JSON 对象（{{…}}）")));
        };
        out.push((line, fields.iter().map(|f| val(obj.get(*f))).collect()));
    }
    Ok(out)
}

/// One opened file of a graph.
type Reader<'a> = Box<dyn BufRead + 'a>;

/// The raw graph from its five files, each opened by `open` (`None`: the file is absent).
fn read_graph<'a>(open: &dyn Fn(&str) -> Result<Option<Reader<'a>>>) -> Result<RawGraph> {
    let file = |name: &str, fields: &[&str], required: bool| -> Result<Option<Lines>> {
        match open(name)? {
            Some(r) => read_jsonl(r, name, fields).map(Some),
            None if required => Err(AppError::invalid("dir", format!("缺少 {name}"))),
            None => Ok(None),
        }
    };
    let take = |mut v: Vec<Val>, i: usize| std::mem::replace(&mut v[i], Val::Missing);
    let products = file(GRAPH_FILES[0], &["name"], true)?.unwrap_or_default();
    let relations = file(GRAPH_FILES[1], &["from", "to", "rel"], true)?.unwrap_or_default();
    let companies = file(GRAPH_FILES[2], &["name", "code"], true)?.unwrap_or_default();
    let cps = file(GRAPH_FILES[3], &["company", "product", "weight"], true)?.unwrap_or_default();
    let cis = file(GRAPH_FILES[4], &["company", "industry_code", "industry_name"], false)?;
    let three = |(l, v): (usize, Vec<Val>)| {
        let mut it = v.into_iter();
        (l, it.next().unwrap_or(Val::Missing), it.next().unwrap_or(Val::Missing), it.next().unwrap_or(Val::Missing))
    };
    Ok(RawGraph {
        products: products.into_iter().map(|(l, v)| (l, take(v, 0))).collect(),
        relations: relations.into_iter().map(three).collect(),
        companies: companies
            .into_iter()
            .map(|(l, v)| {
                let mut it = v.into_iter();
                (l, it.next().unwrap_or(Val::Missing), it.next().unwrap_or(Val::Missing))
            })
            .collect(),
        company_products: cps.into_iter().map(three).collect(),
        company_industries: cis.map(|rows| rows.into_iter().map(three).collect()),
    })
}

/// Parse the graph's files from a zip archive (any folder inside it), checked against zip
/// bombs first.
pub fn read_graph_zip(bytes: &[u8]) -> Result<RawGraph> {
    let limits = office::Limits { max_bytes: 200 << 20, max_uncompressed: 2 << 30, ..Default::default() };
    let files =
        office::zip_files(bytes, &limits, &GRAPH_FILES).map_err(|e| AppError::invalid("file", e.to_string()))?;
    read_graph(&|name| Ok(files.get(name).map(|b| Box::new(b.as_slice()) as Box<dyn BufRead + '_>)))
}

/// Parse a product-graph directory. A missing required file, a malformed line or a file that
/// is not UTF-8 refuses the whole import (nothing is written).
pub fn read_graph_dir(dir: &Path) -> Result<RawGraph> {
    if !dir.is_dir() {
        return Err(AppError::invalid("dir", format!("目录 {} 不存在", dir.display())));
    }
    read_graph(&|name| {
        let path = dir.join(name);
        if !path.exists() {
            return Ok(None);
        }
        let f = std::fs::File::open(&path).map_err(|e| AppError::invalid("dir", format!("无法读取 {name}：{e}")))?;
        Ok(Some(Box::new(std::io::BufReader::new(f))))
    })
}

/// Clean a raw graph with the GB/T 4754 rules of this build.
pub fn clean_graph(raw: &RawGraph) -> (ProductGraph, pg::CleanReport) {
    pg::clean(raw, &industry_resolver())
}

/// A GB/T 4754 code as given in a company-industry record: a 2017 code as it is, a 2011 code
/// through the concordance when it maps to exactly one 2017 class.
fn industry_resolver() -> impl Fn(&str) -> Option<String> {
    let mut from_2011: HashMap<String, Vec<String>> = HashMap::new();
    let mut rdr = csv::Reader::from_reader(store::reference::CONCORDANCE_CSV.as_bytes());
    for r in rdr.records().flatten() {
        let (c17, c11) = (r.get(0).unwrap_or(""), r.get(2).unwrap_or(""));
        if !c17.is_empty() && !c11.is_empty() {
            from_2011.entry(c11.to_string()).or_default().push(c17.to_string());
        }
    }
    move |code: &str| {
        let code = code.trim();
        if let Some(c) = domain::industry::IndustryCode::lookup(code) {
            return Some(c.as_str().to_string());
        }
        match from_2011.get(code).map(Vec::as_slice) {
            Some([one]) => Some(one.clone()),
            _ => None,
        }
    }
}

/// A ranked company for a weak or missing segment, with what has been done with it.
#[derive(Clone, Debug, Serialize)]
pub struct TargetItem {
    pub segment_id: i64,
    pub segment_name: String,
    /// strong | weak | missing
    pub strength: cm::Strength,
    /// The company's name.
    pub company: String,
    pub company_code: String,
    pub score: f64,
    pub fill: f64,
    pub demand: f64,
    pub redundancy: f64,
    pub rank: usize,
    pub evidence: Vec<String>,
    /// Regions it was pushed to (those the reader may see).
    pub pushes: Vec<PushBrief>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PushBrief {
    pub id: i64,
    pub region_code: String,
    pub region_name: String,
    pub status: String,
}

/// A push to regions (API and form).
#[derive(Clone, Debug, Deserialize)]
pub struct PushInput {
    pub segment_id: i64,
    pub company_code: String,
    pub regions: Vec<String>,
}

/// What a push did.
#[derive(Clone, Debug, Serialize)]
pub struct PushOutcome {
    /// The new pushes.
    pub ids: Vec<i64>,
    /// Names of the regions it had already been pushed to (skipped).
    pub already: Vec<String>,
}

/// A follow-up step on a push.
#[derive(Clone, Debug, Deserialize)]
pub struct FollowUp {
    pub status: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub reason: String,
    pub version: i64,
}

impl App {
    /// Import a product graph from DIR, replacing the stored one, and propose products for
    /// every chain's segments. The office only.
    pub async fn import_product_graph(&self, p: &Principal, dir: &Path) -> Result<GraphImportReport> {
        if !p.has(Role::Office) {
            return Err(AppError::Forbidden("只有融圈强链办可以导入参考产品图谱".into()));
        }
        let dir = dir.to_path_buf();
        let raw = tokio::task::spawn_blocking(move || read_graph_dir(&dir))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let resolve = industry_resolver();
        let (g, report) = pg::clean(&raw, &resolve);
        self.store_product_graph(&p.actor(), &g, report, "目录导入").await
    }

    /// Import a product graph uploaded as a zip of its files (the office, in the browser).
    pub async fn import_product_graph_zip(&self, p: &Principal, bytes: bytes::Bytes) -> Result<GraphImportReport> {
        if !p.has(Role::Office) {
            return Err(AppError::Forbidden("只有融圈强链办可以导入参考产品图谱".into()));
        }
        let raw = tokio::task::spawn_blocking(move || read_graph_zip(&bytes))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let resolve = industry_resolver();
        let (g, report) = pg::clean(&raw, &resolve);
        self.store_product_graph(&p.actor(), &g, report, "网页上传").await
    }

    /// Store a cleaned graph and re-propose every chain's mappings, in one transaction.
    pub(crate) async fn store_product_graph(
        &self,
        actor: &crate::Actor,
        g: &ProductGraph,
        report: pg::CleanReport,
        source: &str,
    ) -> Result<GraphImportReport> {
        let now = self.now();
        let proposals = self.proposals_for(g, None).await?;
        let mut tx = self.db.begin().await?;
        store::productgraph::replace_graph(&mut tx, g).await?;
        let n_proposals = store::productgraph::replace_proposals(&mut tx, &proposals.0, &proposals.1).await?;
        let dropped = report.dropped();
        let row = store::productgraph::GraphImport {
            id: 0,
            imported_at: now,
            imported_by: actor.id,
            source: source.to_string(),
            products: g.products.len() as i64,
            relations: (g.supplies.len() + g.subcategories.len()) as i64,
            companies: g.companies.len() as i64,
            company_products: g.company_products.len() as i64,
            dropped: dropped as i64,
            report: serde_json::to_string(&report).map_err(|e| AppError::Internal(e.to_string()))?,
        };
        let import_id = store::productgraph::record_import(&mut tx, &row).await?;
        let summary = serde_json::json!({
            "products": row.products, "relations": row.relations, "companies": row.companies,
            "company_products": row.company_products, "dropped": dropped, "proposals": n_proposals,
        });
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(actor, "product_graph.import", "ref_graph_import", import_id, None, Some(summary)),
        )
        .await?;
        tx.commit().await?;
        Ok(GraphImportReport {
            import_id,
            products: g.products.len(),
            relations: g.supplies.len() + g.subcategories.len(),
            companies: g.companies.len(),
            company_products: g.company_products.len(),
            company_industries: g.company_industries.len(),
            dropped,
            proposals: n_proposals,
            report,
        })
    }

    /// (live segment ids, proposals as (segment, product name, score, evidence)) for one
    /// chain or all.
    async fn proposals_for(
        &self,
        g: &ProductGraph,
        chain_id: Option<i64>,
    ) -> Result<(Vec<i64>, Vec<(i64, String, f64, String)>)> {
        let chains = match chain_id {
            Some(c) => vec![c],
            None => store::chainmap::chains(&self.db).await?.into_iter().map(|c| c.id).collect(),
        };
        let mut terms = Vec::new();
        for c in chains {
            for s in store::chainmap::segments(&self.db, c).await? {
                if s.retired {
                    continue;
                }
                let split = |v: &str| v.split(';').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect();
                terms.push(pg::SegmentTerms {
                    segment_id: s.id,
                    name: s.name.clone(),
                    key_products: split(&s.key_products),
                    industry_codes: split(&s.industry_codes),
                });
            }
        }
        let ids = terms.iter().map(|t| t.segment_id).collect();
        let props = pg::propose(g, &terms, PER_SEGMENT)
            .into_iter()
            .map(|p| (p.segment_id, g.products[p.product as usize].clone(), p.score, p.evidence.join("\n")))
            .collect();
        Ok((ids, props))
    }

    /// The stored graph, read once per import.
    pub(crate) async fn product_graph(&self) -> Result<std::sync::Arc<ProductGraph>> {
        let id = store::productgraph::last_import_id(&self.db).await?;
        let mut cache = self.product_graph.lock().await;
        if let Some((at, g)) = cache.as_ref()
            && *at == id
        {
            return Ok(g.clone());
        }
        let g = std::sync::Arc::new(store::productgraph::load_graph(&self.db).await?);
        *cache = Some((id, g.clone()));
        Ok(g)
    }

    /// The last import (when, counts, the cleaning report).
    pub async fn product_graph_import(&self, p: &Principal) -> Result<Option<store::productgraph::GraphImport>> {
        self.require_staff(p)?;
        Ok(store::productgraph::last_import(&self.db).await?)
    }

    /// Propose products again for one chain's segments (after its segments changed); the
    /// decisions already taken stay.
    pub async fn remap_chain_products(&self, p: &Principal, key: &str) -> Result<u64> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        let g = self.product_graph().await?;
        if g.products.is_empty() {
            return Err(AppError::Conflict("尚未导入参考产品图谱".into()));
        }
        let (ids, props) = self.proposals_for(&g, Some(chain.id)).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let n = store::productgraph::replace_proposals(&mut tx, &ids, &props).await?;
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(
                &p.actor(),
                "product_mapping.remap",
                "chain",
                chain.id,
                None,
                Some(serde_json::json!({"proposals": n})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    pub async fn product_mappings(&self, p: &Principal, key: &str) -> Result<Vec<MappingRow>> {
        self.require_staff(p)?;
        let chain = self.chain_info(key).await?;
        Ok(store::productgraph::mappings(&self.db, chain.id).await?)
    }

    /// Accept or reject a proposed mapping (or change one's mind) at `version`.
    pub async fn review_mapping(&self, p: &Principal, key: &str, id: i64, version: i64, status: &str) -> Result<()> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        if !MAPPING_STATUSES.iter().any(|s| s.0 == status) {
            return Err(AppError::invalid("status", format!("未知审核结论“{status}”")));
        }
        let old = store::productgraph::mapping(&self.db, id).await?.ok_or(AppError::NotFound)?;
        let segs = store::chainmap::segments(&self.db, chain.id).await?;
        if !segs.iter().any(|s| s.id == old.segment_id) {
            return Err(AppError::NotFound);
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::productgraph::set_mapping_status(&mut tx, id, version, status, now, p.by()).await? {
            return Err(AppError::Conflict("该匹配已被他人审核，请刷新后重试".into()));
        }
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(
                &p.actor(),
                "product_mapping.review",
                "product_mapping",
                id,
                Some(serde_json::json!({"product": old.product, "status": old.status})),
                Some(serde_json::json!({"product": old.product, "status": status})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Map a product of the graph onto a segment by hand (accepted).
    pub async fn add_product_mapping(&self, p: &Principal, key: &str, segment_id: i64, product: &str) -> Result<i64> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        let product = pg::norm_name(product);
        if !store::chainmap::segments(&self.db, chain.id).await?.iter().any(|s| s.id == segment_id && !s.retired) {
            return Err(AppError::invalid("segment_id", format!("环节 {segment_id} 不在本产业链中或已撤销")));
        }
        if product.is_empty() || !store::productgraph::product_exists(&self.db, &product).await? {
            return Err(AppError::invalid("product", format!("参考产品图谱中没有产品“{product}”")));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let before = store::productgraph::mapping_of(&mut tx, segment_id, &product)
            .await?
            .map(|m| serde_json::json!({"segment_id": segment_id, "product": product, "status": m.status}));
        let id = store::productgraph::add_mapping(&mut tx, segment_id, &product, now, p.by()).await?;
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(
                &p.actor(),
                "product_mapping.create",
                "product_mapping",
                id,
                before,
                Some(serde_json::json!({"segment_id": segment_id, "product": product, "status": "accepted"})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn find_ref_products(&self, p: &Principal, text: &str) -> Result<Vec<String>> {
        self.require_staff(p)?;
        let text = pg::norm_name(text);
        if text.is_empty() {
            return Ok(Vec::new());
        }
        Ok(store::productgraph::find_products(&self.db, &text, 20).await?)
    }

    /// The ranking of external companies for a chain's weak and missing segments, from the
    /// mappings not rejected, with the pushes already made (those the reader may see).
    pub async fn chain_targets(&self, p: &Principal, key: &str) -> Result<Vec<TargetItem>> {
        self.require_staff(p)?;
        let chain = self.chain_info(key).await?;
        let mut items = self.rank_targets(chain.id).await?;
        let filter = PushFilter { chain_id: Some(chain.id), ..Default::default() };
        let pushes = store::productgraph::pushes(&self.db, &p.enterprise_scope, &filter).await?;
        let mut by_key: HashMap<(i64, &str), Vec<PushBrief>> = HashMap::new();
        for r in &pushes {
            by_key.entry((r.segment_id, r.company_code.as_str())).or_default().push(PushBrief {
                id: r.id,
                region_code: r.region_code.clone(),
                region_name: r.region_name.clone(),
                status: r.status.clone(),
            });
        }
        for t in &mut items {
            t.pushes = by_key.remove(&(t.segment_id, t.company_code.as_str())).unwrap_or_default();
        }
        Ok(items)
    }

    async fn rank_targets(&self, chain_id: i64) -> Result<Vec<TargetItem>> {
        let mappings = store::productgraph::mappings(&self.db, chain_id).await?;
        if !mappings.iter().any(|m| m.status == "accepted" || (m.status == "proposed" && m.score >= MIN_OPEN_SCORE)) {
            return Ok(Vec::new());
        }
        let g = self.product_graph().await?;
        let ix: HashMap<&str, u32> = g.products.iter().enumerate().map(|(i, n)| (n.as_str(), i as u32)).collect();
        let maps: Vec<(i64, u32, f64)> = mappings
            .iter()
            .filter(|m| m.status == "accepted" || (m.status == "proposed" && m.score >= MIN_OPEN_SCORE))
            .filter_map(|m| ix.get(m.product.as_str()).map(|&p| (m.segment_id, p, m.score)))
            .collect();
        // Companies already in the ledger (by USCC, or by name for those known by a stock
        // code) are not targets.
        let usccs: Vec<&str> = g.companies.iter().map(|c| c.code.as_str()).filter(|c| c.len() == 18).collect();
        let mut exclude: HashSet<String> = HashSet::new();
        for chunk in usccs.chunks(400) {
            let mut q = store::sql::Sql::new("SELECT uscc FROM enterprise WHERE uscc IN ");
            q.bind_list(chunk.iter().copied());
            let rows: Vec<(String,)> = q.fetch_all(&self.db).await?;
            exclude.extend(rows.into_iter().map(|(u,)| u));
        }
        let mut by_key: HashMap<String, Vec<&str>> = HashMap::new();
        for c in &g.companies {
            by_key.entry(domain::registry::name_key(&c.name)).or_default().push(c.code.as_str());
        }
        let keys: Vec<&String> = by_key.keys().collect();
        for chunk in keys.chunks(400) {
            let mut q = store::sql::Sql::new(
                "SELECT DISTINCT name_key FROM enterprise WHERE archived = FALSE AND name_key IN ",
            );
            q.bind_list(chunk.iter().map(|k| k.as_str()));
            let rows: Vec<(String,)> = q.fetch_all(&self.db).await?;
            for (k,) in rows {
                if let Some(codes) = by_key.get(&k) {
                    exclude.extend(codes.iter().map(|c| c.to_string()));
                }
            }
        }
        let chain = self.chain_graph(chain_id).await?;
        let th = Thresholds::default();
        let analysis = cm::analyze(&chain, &th).map_err(|e| AppError::invalid("chain", e))?;
        let input = pg::TargetInput {
            graph: g.as_ref(),
            chain: &chain,
            analysis: &analysis,
            thresholds: &th,
            mappings: &maps,
            exclude: &exclude,
            per_segment: TARGETS_PER_SEGMENT,
        };
        let figures: HashMap<i64, &cm::SegmentFigures> = analysis.segments.iter().map(|f| (f.id, f)).collect();
        Ok(pg::propose_targets(&input)
            .into_iter()
            .map(|t| {
                let f = figures[&t.segment_id];
                let c = &g.companies[t.company as usize];
                TargetItem {
                    segment_id: t.segment_id,
                    segment_name: f.name.clone(),
                    strength: f.strength,
                    company: c.name.clone(),
                    company_code: c.code.clone(),
                    score: t.score,
                    fill: t.fill,
                    demand: t.demand,
                    redundancy: t.redundancy,
                    rank: t.rank,
                    evidence: t.evidence,
                    pushes: Vec::new(),
                }
            })
            .collect())
    }

    /// Push a proposed target to regions (counties or parks). The office or the chain's lead
    /// department; the company must be among the segment's current proposals. Regions it was
    /// already pushed to are skipped (and named); when all were, nothing changes (a conflict).
    pub async fn push_target(&self, p: &Principal, key: &str, input: &PushInput) -> Result<PushOutcome> {
        let chain = self.chain_info(key).await?;
        self.require_editor(p, &chain)?;
        let mut errors = Vec::new();
        let regions: HashMap<String, String> = self.filter_regions().await?.into_iter().collect();
        let mut wanted: Vec<&str> = Vec::new();
        for r in &input.regions {
            let r = r.trim();
            if !regions.contains_key(r) {
                errors.push(crate::error::FieldError::new("regions", format!("“{r}”不是区县或园区代码")));
            } else if !wanted.contains(&r) {
                wanted.push(r);
            }
        }
        if input.regions.is_empty() {
            errors.push(crate::error::FieldError::new("regions", "请选择至少一个推送地区"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let ranked = self.rank_targets(chain.id).await?;
        let Some(t) =
            ranked.iter().find(|t| t.segment_id == input.segment_id && t.company_code == input.company_code.trim())
        else {
            return Err(AppError::invalid("company_code", "该企业不在此环节当前的招引建议中（环节需为弱项或缺项）"));
        };
        let now = self.now();
        let evidence = serde_json::to_string(&t.evidence).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut tx = self.db.begin().await?;
        let new = store::productgraph::NewTarget {
            chain_id: chain.id,
            segment_id: t.segment_id,
            company_code: &t.company_code,
            company_name: &t.company,
            score: t.score,
            evidence: &evidence,
        };
        let (target_id, _) = store::productgraph::ensure_target(&mut tx, &new, now, p.by()).await?;
        let mut ids = Vec::new();
        let mut pushed = Vec::new();
        let mut already = Vec::new();
        for r in &wanted {
            match store::productgraph::insert_push(&mut tx, target_id, r, now, p.by()).await? {
                Some(id) => {
                    let note = format!("推送至{}", regions[*r]);
                    store::productgraph::insert_event(&mut tx, id, None, "pushed", &note, now, p.by()).await?;
                    ids.push(id);
                    pushed.push(*r);
                }
                None => already.push(regions[*r].clone()),
            }
        }
        if ids.is_empty() {
            return Err(AppError::Conflict(format!("“{}”已推送给{}", t.company, already.join("、"))));
        }
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(
                &p.actor(),
                "target.push",
                "target",
                target_id,
                None,
                Some(serde_json::json!({
                    "chain_id": chain.id, "segment_id": t.segment_id, "company_code": t.company_code,
                    "company": t.company, "score": t.score, "regions": pushed,
                })),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(PushOutcome { ids, already })
    }

    /// Pushed targets the reader may see.
    pub async fn target_pushes(&self, p: &Principal, f: &PushFilter) -> Result<Vec<PushRow>> {
        if !crate::chainmap::may_read_chains(p) {
            return Err(AppError::Forbidden("无权查看招引目标".into()));
        }
        if let Some(s) = &f.status
            && !PUSH_STATUSES.iter().any(|x| x.0 == s)
        {
            return Err(AppError::invalid("status", format!("未知跟进状态“{s}”")));
        }
        Ok(store::productgraph::pushes(&self.db, &p.enterprise_scope, f).await?)
    }

    pub async fn target_events(&self, p: &Principal, push_ids: &[i64]) -> Result<Vec<store::productgraph::EventRow>> {
        if !crate::chainmap::may_read_chains(p) {
            return Err(AppError::Forbidden("无权查看招引目标".into()));
        }
        Ok(store::productgraph::events(&self.db, &p.enterprise_scope, push_ids).await?)
    }

    /// Whether `p` may record follow-up on a push it can read: the region it was pushed to
    /// (or the region above it), the chain's lead department, the office.
    pub async fn may_follow_up(
        &self,
        p: &Principal,
        push: &PushRow,
        chain: &store::chainmap::ChainInfo,
    ) -> Result<bool> {
        if p.enterprise_scope.write_all || self.may_edit_chain(p, chain) {
            return Ok(true);
        }
        let parent = self.regions().await?.into_iter().find(|r| r.code == push.region_code).and_then(|r| r.parent_code);
        Ok(p.grants.iter().any(|g| {
            g.role == Role::Region
                && g.scope.as_deref().is_some_and(|s| s == push.region_code || Some(s) == parent.as_deref())
        }))
    }

    /// Record a follow-up step on a push: a note, a move forward (pushed → contacted →
    /// negotiating → signed → landed), or dropping it with a reason. The region it was pushed
    /// to, the chain's lead department or the office.
    pub async fn follow_up_target(&self, p: &Principal, push_id: i64, f: &FollowUp) -> Result<()> {
        let old = store::productgraph::push(&self.db, &p.enterprise_scope, push_id).await?.ok_or(AppError::NotFound)?;
        let chain = store::chainmap::chain(&self.db, old.chain_id).await?.ok_or(AppError::NotFound)?;
        if !self.may_follow_up(p, &old, &chain).await? {
            return Err(AppError::Forbidden("只有被推送地区、牵头部门或融圈强链办可以登记跟进".into()));
        }
        let rank = |s: &str| PUSH_STATUSES.iter().position(|x| x.0 == s);
        let Some(to) = rank(&f.status) else {
            return Err(AppError::invalid("status", format!("未知跟进状态“{}”", f.status)));
        };
        let from = rank(&old.status).unwrap_or(0);
        let note = f.note.trim();
        let reason = f.reason.trim();
        if old.status == "landed" || old.status == "dropped" {
            return Err(AppError::Conflict(format!("该目标已{}，不能再登记跟进", push_status_label(&old.status))));
        }
        if f.status == "dropped" && reason.is_empty() {
            return Err(AppError::invalid("reason", "放弃须写明原因"));
        }
        if f.status != "dropped" && to < from {
            return Err(AppError::invalid(
                "status",
                format!("跟进状态不能从“{}”退回“{}”", push_status_label(&old.status), push_status_label(&f.status)),
            ));
        }
        if to == from && note.is_empty() {
            return Err(AppError::invalid("note", "状态未变时请填写跟进情况"));
        }
        let now = self.now();
        let reason = if f.status == "dropped" { reason } else { "" };
        let mut tx = self.db.begin().await?;
        if !store::productgraph::set_push_status(&mut tx, push_id, f.version, &f.status, reason, now, p.by()).await? {
            return Err(AppError::Conflict("该推送已被他人更新，请刷新后重试".into()));
        }
        let text = if reason.is_empty() {
            note.to_string()
        } else {
            format!("{reason}{}{note}", if note.is_empty() { "" } else { "；" })
        };
        store::productgraph::insert_event(&mut tx, push_id, Some(&old.status), &f.status, &text, now, p.by()).await?;
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(
                &p.actor(),
                "target_push.follow_up",
                "target_push",
                push_id,
                Some(serde_json::json!({"status": old.status})),
                Some(serde_json::json!({"status": f.status, "note": note, "reason": reason})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

pub const PUSH_XLSX_HEADERS: [&str; 12] = [
    "产业链",
    "环节",
    "目标企业",
    "企业代码",
    "推荐得分",
    "推送地区",
    "跟进状态",
    "放弃原因",
    "推送时间",
    "最近更新",
    "推荐依据",
    "跟进记录",
];

/// Pushed targets with their follow-up log as an xlsx sheet.
pub fn pushes_xlsx(rows: &[PushRow], events: &[store::productgraph::EventRow]) -> Result<Vec<u8>> {
    use office::CellOut;
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let mut log: HashMap<i64, Vec<String>> = HashMap::new();
    for e in events {
        log.entry(e.push_id).or_default().push(format!(
            "{} {} {}{}",
            e.at.with_timezone(&tz).format("%Y-%m-%d"),
            e.actor.as_deref().unwrap_or(""),
            push_status_label(&e.to_status),
            if e.note.is_empty() { String::new() } else { format!("：{}", e.note) }
        ));
    }
    let out = rows.iter().map(|r| {
        let text = |v: &str| CellOut::Text(v.to_string());
        let evidence: Vec<String> = serde_json::from_str(&r.evidence).unwrap_or_default();
        vec![
            text(&r.chain_name),
            text(&r.segment_name),
            text(&r.company_name),
            text(&r.company_code),
            CellOut::Number(r.score),
            text(&r.region_name),
            text(push_status_label(&r.status)),
            text(&r.reason),
            text(&r.pushed_at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()),
            text(&r.updated_at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()),
            text(&evidence.join("\n")),
            text(&log.get(&r.id).map(|v| v.join("\n")).unwrap_or_default()),
        ]
    });
    office::write_xlsx("招引目标企业清单", &PUSH_XLSX_HEADERS, out).map_err(|e| AppError::Internal(e.to_string()))
}

pub const TARGET_XLSX_HEADERS: [&str; 11] = [
    "环节",
    "强弱",
    "名次",
    "目标企业",
    "企业代码",
    "推荐得分",
    "补链度",
    "本地下游需求",
    "链条韧性",
    "推荐依据",
    "已推送",
];

/// A chain's ranked targets as an xlsx sheet (scores 0–100).
pub fn targets_xlsx(items: &[TargetItem]) -> Result<Vec<u8>> {
    use office::CellOut;
    let rows = items.iter().map(|t| {
        let text = |v: &str| CellOut::Text(v.to_string());
        let pct = |v: f64| CellOut::Number((v * 1000.0).round() / 10.0);
        vec![
            text(&t.segment_name),
            text(match t.strength {
                cm::Strength::Strong => "强",
                cm::Strength::Weak => "弱",
                cm::Strength::Missing => "缺",
            }),
            CellOut::Int(t.rank as i64),
            text(&t.company),
            text(&t.company_code),
            pct(t.score),
            pct(t.fill),
            pct(t.demand),
            pct(t.redundancy),
            text(&t.evidence.join("\n")),
            text(
                &t.pushes
                    .iter()
                    .map(|p| format!("{}（{}）", p.region_name, push_status_label(&p.status)))
                    .collect::<Vec<_>>()
                    .join("；"),
            ),
        ]
    });
    office::write_xlsx("招引目标建议", &TARGET_XLSX_HEADERS, rows).map_err(|e| AppError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn industry_codes_of_2011_are_translated_when_unambiguous() {
        let r = super::industry_resolver();
        assert_eq!(r("2614").as_deref(), Some("2614"), "a 2017 code as it is");
        // 3261 of GB/T 4754-2011 is 3251 of 2017 (one to one in the concordance).
        assert_eq!(r("3261").as_deref(), Some("3251"));
        assert_eq!(r("9999"), None);
    }
}
