//! Demo chain maps: every chain's segment tree and segment edges from
//! `data/demo/chain_segments.csv` and `chain_segment_links.csv` (drafted from public
//! knowledge of these industries), the fictitious enterprises of each chain placed on the
//! segments whose GB/T 4754 classes match theirs, and supply relations generated along the
//! segment edges. Some segments are left empty on purpose, so that the map shows gaps.

use crate::{App, AppError, Result};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use store::chainmap::{NewListItem, NewSegment, NewSupply};

const SEGMENTS_CSV: &str = include_str!("../../../data/demo/chain_segments.csv");
/// 1 亿元 in fen: a segment's largest enterprise leads it from 2 亿元 of revenue.
const YI_FEN: i64 = 10_000_000_000;
/// The smallest generated supply relation: 10 万元 a year, in fen.
const MIN_SUPPLY_FEN: i64 = 10_000_000;
const LINKS_CSV: &str = include_str!("../../../data/demo/chain_segment_links.csv");

#[derive(serde::Deserialize)]
struct SegmentLine {
    chain_code: String,
    code: String,
    name: String,
    stage: String,
    parent_code: String,
    sort: i64,
    key_products: String,
    key_technologies: String,
    industry_codes: String,
}

#[derive(serde::Deserialize)]
struct LinkLine {
    chain_code: String,
    from_code: String,
    to_code: String,
    product: String,
}

fn read<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> Result<Vec<T>> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<std::result::Result<Vec<T>, _>>()
        .map_err(|e| AppError::Internal(format!("{name}: {e}")))
}

impl App {
    /// Seeds the chain maps of the demo city (after its enterprises).
    pub(crate) async fn seed_chain_maps(
        &self,
        actor: &crate::Actor,
        rng: &mut ChaCha8Rng,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize> {
        let segments: Vec<SegmentLine> = read("chain_segments.csv", SEGMENTS_CSV)?;
        let links: Vec<LinkLine> = read("chain_segment_links.csv", LINKS_CSV)?;
        let chains = store::chainmap::chains(&self.db).await?;
        let chain_id: HashMap<&str, i64> = chains.iter().map(|c| (c.code.as_str(), c.id)).collect();
        let mut tx = self.db.begin().await?;
        // (chain id, code) → segment id; per chain: (segment id, industry codes, key product)
        let mut seg_id: HashMap<(i64, String), i64> = HashMap::new();
        let mut seg_names: HashMap<i64, String> = HashMap::new();
        let mut by_chain: HashMap<i64, Vec<(i64, Vec<String>, String)>> = HashMap::new();
        for s in &segments {
            let Some(&cid) = chain_id.get(s.chain_code.as_str()) else { continue };
            let parent_id = if s.parent_code.is_empty() {
                None
            } else {
                Some(*seg_id.get(&(cid, s.parent_code.clone())).ok_or_else(|| {
                    AppError::Internal(format!(
                        "chain_segments.csv: parent {} of {} comes later",
                        s.parent_code, s.code
                    ))
                })?)
            };
            let new = NewSegment {
                code: s.code.clone(),
                name: s.name.clone(),
                stage: s.stage.clone(),
                parent_id,
                sort: s.sort,
                key_products: s.key_products.clone(),
                key_technologies: s.key_technologies.clone(),
                industry_codes: s.industry_codes.clone(),
            };
            let id = store::chainmap::insert_segment(&mut tx, cid, &new, now, None).await?;
            seg_id.insert((cid, s.code.clone()), id);
            seg_names.insert(id, s.name.clone());
            let product = s.key_products.split(';').next().unwrap_or(&s.name).to_string();
            by_chain.entry(cid).or_default().push((
                id,
                s.industry_codes.split(';').map(str::to_string).collect(),
                product,
            ));
        }
        let mut edges: Vec<(i64, i64, i64, String)> = Vec::new();
        for l in &links {
            let Some(&cid) = chain_id.get(l.chain_code.as_str()) else { continue };
            let (Some(&a), Some(&b)) = (seg_id.get(&(cid, l.from_code.clone())), seg_id.get(&(cid, l.to_code.clone())))
            else {
                return Err(AppError::Internal(format!("chain_segment_links.csv: {} → {}", l.from_code, l.to_code)));
            };
            store::chainmap::insert_edge(&mut tx, cid, a, b, &l.product, now, None).await?;
            edges.push((cid, a, b, l.product.clone()));
        }

        // Placements: each member on a segment of its chain sharing its industry class, else
        // on any segment; about one segment in seven stays empty (a gap to fill).
        let members = store::chainmap::members(&self.db).await?;
        let mut placements: Vec<(i64, i64, &str)> = Vec::new();
        let mut on_segment: HashMap<i64, Vec<(i64, i64)>> = HashMap::new(); // segment → (enterprise, revenue)
        // Per chain: the segments open to placements (the others stay empty on purpose).
        let mut open_segments: HashMap<i64, Vec<i64>> = HashMap::new();
        for (cid, segs) in &by_chain {
            let open: Vec<i64> = segs.iter().map(|s| s.0).filter(|_| !rng.random_bool(1.0 / 7.0)).collect();
            open_segments.insert(*cid, open);
        }
        for (cid, eid, industry, revenue) in &members {
            let Some(segs) = by_chain.get(cid) else { continue };
            let open = &open_segments[cid];
            if open.is_empty() {
                continue;
            }
            let matching: Vec<i64> =
                segs.iter().filter(|s| open.contains(&s.0) && s.1.iter().any(|c| c == industry)).map(|s| s.0).collect();
            let seg = if !matching.is_empty() && rng.random_bool(0.8) {
                matching[rng.random_range(0..matching.len())]
            } else {
                open[rng.random_range(0..open.len())]
            };
            on_segment.entry(seg).or_default().push((*eid, revenue.unwrap_or(0)));
        }
        // The largest enterprise of a well-held segment leads it.
        let mut seg_ids: Vec<i64> = on_segment.keys().copied().collect();
        seg_ids.sort_unstable();
        for seg in &seg_ids {
            let list = on_segment.get_mut(seg).expect("key");
            list.sort_by_key(|(e, r)| (std::cmp::Reverse(*r), *e));
            let big = list.first().is_some_and(|(_, r)| *r >= 2 * YI_FEN);
            for (i, (e, _)) in list.iter().enumerate() {
                placements.push((*seg, *e, if i == 0 && big { "leader" } else { "member" }));
            }
        }
        store::chainmap::insert_placements(&mut tx, &placements, now, None).await?;

        // Supply relations along each segment edge: up to three local pairs, and for buyers
        // whose supplying segment is empty, a supplier from outside the city.
        let mut supplies: Vec<NewSupply> = Vec::new();
        for (_, from, to, product) in &edges {
            let buyers = on_segment.get(to).map(Vec::as_slice).unwrap_or(&[]);
            if buyers.is_empty() {
                continue;
            }
            let sellers = on_segment.get(from).map(Vec::as_slice).unwrap_or(&[]);
            for _ in 0..3.min(buyers.len()) {
                let (buyer, buyer_rev) = buyers[rng.random_range(0..buyers.len())];
                let amount = ((buyer_rev as f64) * rng.random_range(0.01..0.08)) as i64 / 100 * 100;
                if sellers.is_empty() || rng.random_bool(0.3) {
                    supplies.push(NewSupply {
                        supplier_id: None,
                        supplier_name: format!("市外供应商（示例）{}", rng.random_range(100..999)),
                        buyer_id: buyer,
                        product: product.clone(),
                        year: 2025,
                        amount_fen: amount.max(MIN_SUPPLY_FEN),
                        local: false,
                    });
                } else {
                    let (seller, _) = sellers[rng.random_range(0..sellers.len())];
                    if seller == buyer {
                        continue;
                    }
                    supplies.push(NewSupply {
                        supplier_id: Some(seller),
                        supplier_name: String::new(),
                        buyer_id: buyer,
                        product: product.clone(),
                        year: 2025,
                        amount_fen: amount.max(MIN_SUPPLY_FEN),
                        local: true,
                    });
                }
            }
        }
        store::chainmap::insert_supplies(&mut tx, &supplies, now, None).await?;

        // Lists: a collaboration demand for each empty segment, its leaders as key
        // enterprises, and a technology-route item from a segment's key technologies.
        let mut items_of: HashMap<i64, usize> = HashMap::new();
        let due = |months: u32| now.date_naive().checked_add_months(chrono::Months::new(months));
        for c in &chains {
            let segs = by_chain.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
            let mut new_items = Vec::new();
            for (sid, _, product) in segs.iter().filter(|s| !on_segment.contains_key(&s.0)) {
                let seg_name = seg_names.get(sid).map(String::as_str).unwrap_or(product);
                new_items.push(NewListItem {
                    kind: "demand".into(),
                    title: format!("寻求{seg_name}配套企业（示例）"),
                    detail: format!("本地尚无{seg_name}企业，需引进{product}等产品的配套供应"),
                    owner: c.lead_department_name.clone(),
                    status: "planned".into(),
                    start_on: None,
                    due_on: due(rng.random_range(3..18)),
                    segment_id: Some(*sid),
                    enterprise_id: None,
                });
            }
            for (seg, e, _) in placements.iter().filter(|p| p.2 == "leader" && segs.iter().any(|s| s.0 == p.0)).take(3)
            {
                new_items.push(NewListItem {
                    kind: "key_enterprise".into(),
                    title: "链主企业培育（示例）".into(),
                    detail: "纳入重点企业清单，按季度跟踪产值、研发与配套".into(),
                    owner: c.lead_department_name.clone(),
                    status: "in_progress".into(),
                    start_on: due(0),
                    due_on: due(12),
                    segment_id: Some(*seg),
                    enterprise_id: Some(*e),
                });
            }
            if let Some(l) = segments.iter().find(|l| l.chain_code == c.code && !l.key_technologies.is_empty()) {
                new_items.push(NewListItem {
                    kind: "tech_route".into(),
                    title: format!("攻关{}（示例）", l.key_technologies.split(';').next().unwrap_or("")),
                    detail: format!("围绕{}环节组织产学研联合攻关", l.name),
                    owner: c.lead_department_name.clone(),
                    status: "planned".into(),
                    start_on: None,
                    due_on: due(24),
                    segment_id: seg_id.get(&(c.id, l.code.clone())).copied(),
                    enterprise_id: None,
                });
            }
            for it in &new_items {
                store::chainmap::insert_item(&mut tx, c.id, it, now, None).await?;
            }
            items_of.insert(c.id, new_items.len());
        }
        tracing::info!("demo: {} chain list items", items_of.values().sum::<usize>());

        // Yearly output targets: this year's revenue of the chain's members, grown 10 % a year.
        let mut total: HashMap<i64, i64> = HashMap::new();
        for (cid, _, _, revenue) in &members {
            *total.entry(*cid).or_default() += revenue.unwrap_or(0);
        }
        for c in &chains {
            let base = total.get(&c.id).copied().unwrap_or(0);
            for (k, year) in (2025..=2027).enumerate() {
                let target = (base as f64 * 1.1f64.powi(k as i32 + 1)) as i64 / 1_000_000 * 1_000_000;
                store::chainmap::set_target(&mut tx, c.id, year, target).await?;
            }
        }
        // One audit row per chain map seeded: what it holds.
        for c in &chains {
            let segs = by_chain.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
            let placed = placements.iter().filter(|p| segs.iter().any(|s| s.0 == p.0)).count();
            let after = serde_json::json!({"segments": segs.len(), "edges": edges.iter().filter(|e| e.0 == c.id).count(),
                "placements": placed, "list_items": items_of.get(&c.id), "demo": true});
            store::audit::append(
                &mut tx,
                now,
                &crate::audit_entry(actor, "chain_map.seed", "chain", c.id, None, Some(after)),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(placements.len())
    }

    /// A fictitious reference product graph (all companies 示例) drawn from the demo
    /// segments: each segment's name is a product with its key products as sub-categories,
    /// segment edges become 上游材料 relations between their key products, and companies
    /// outside the city make the key products of one or two segments of a chain. A little
    /// noise of the kinds public graphs carry (a self-loop, a duplicate, a contradiction, a
    /// negative weight, an unknown relation kind) goes through the same cleaning as an
    /// import, so the demo's cleaning report is not empty.
    pub(crate) async fn seed_product_graph(
        &self,
        actor: &crate::Actor,
        rng: &mut ChaCha8Rng,
    ) -> Result<crate::productgraph::GraphImportReport> {
        use domain::productgraph::{RawGraph, Val};
        let segments: Vec<SegmentLine> = read("chain_segments.csv", SEGMENTS_CSV)?;
        let links: Vec<LinkLine> = read("chain_segment_links.csv", LINKS_CSV)?;
        let words = crate::demo::brand_words();
        let t = |s: &str| Val::Text(s.to_string());
        let keys = |l: &SegmentLine| -> Vec<String> {
            l.key_products.split(';').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()
        };
        let mut raw = RawGraph { company_industries: Some(Vec::new()), ..Default::default() };
        let mut line = 0usize;
        let mut next = || {
            line += 1;
            line
        };
        for l in &segments {
            raw.products.push((next(), t(&l.name)));
            for k in keys(l) {
                raw.products.push((next(), t(&k)));
            }
        }
        let mut rl = 0usize;
        let mut rnext = || {
            rl += 1;
            rl
        };
        for l in &segments {
            for k in keys(l) {
                if k != l.name {
                    raw.relations.push((rnext(), t(&l.name), t(&k), t("产品小类")));
                }
            }
        }
        let by_code: HashMap<(&str, &str), &SegmentLine> =
            segments.iter().map(|l| ((l.chain_code.as_str(), l.code.as_str()), l)).collect();
        for k in &links {
            let (Some(a), Some(b)) = (
                by_code.get(&(k.chain_code.as_str(), k.from_code.as_str())),
                by_code.get(&(k.chain_code.as_str(), k.to_code.as_str())),
            ) else {
                continue;
            };
            for up in keys(a).iter().take(2) {
                for down in keys(b).iter().take(2) {
                    raw.relations.push((rnext(), t(down), t(up), t("上游材料")));
                }
            }
        }
        // Noise.
        if let (Some(a), Some(b)) = (segments.first(), segments.get(1)) {
            raw.products.push((next(), t(&a.name)));
            raw.relations.push((rnext(), t(&a.name), t(&a.name), t("产品小类")));
            raw.relations.push((rnext(), t(&a.name), t(&b.name), t("下游产品")));
            raw.relations.push((rnext(), t(&b.name), t(&a.name), t("下游产品")));
            raw.relations.push((rnext(), t(&a.name), t(&b.name), t("相关产品")));
        }
        // Segments nobody holds yet: the gaps the graph's companies are meant to fill.
        let mut empty: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
        for c in store::chainmap::chains(&self.db).await? {
            let placed: std::collections::HashSet<i64> =
                store::chainmap::all_placements(&self.db, c.id).await?.iter().map(|p| p.segment_id).collect();
            for seg in store::chainmap::segments(&self.db, c.id).await? {
                if !placed.contains(&seg.id) {
                    empty.insert((c.code.clone(), seg.code));
                }
            }
        }
        // Companies: four per chain, in other provinces (USCCs with their region codes); the
        // first two make the products of the chain's empty segments where it has any.
        let provinces = ["310115", "440300", "320500", "330100", "420100", "500000", "610100", "370200"];
        let suffixes = ["新材料股份有限公司", "科技股份有限公司", "集团股份有限公司", "实业股份有限公司"];
        let mut chains: Vec<&str> = segments.iter().map(|l| l.chain_code.as_str()).collect();
        chains.dedup();
        let (mut cl, mut pl, mut il) = (0, 0, 0);
        for chain in chains {
            let segs: Vec<&SegmentLine> = segments.iter().filter(|l| l.chain_code == chain).collect();
            let gaps: Vec<&SegmentLine> =
                segs.iter().copied().filter(|l| empty.contains(&(l.chain_code.clone(), l.code.clone()))).collect();
            for k in 0..4 {
                let org: String =
                    (0..9).map(|_| b"0123456789ABCDEFGHJKLMNPQRTUWXY"[rng.random_range(0..31)] as char).collect();
                let first17 = format!("91{}{org}", provinces[rng.random_range(0..provinces.len())]);
                let Ok(code) = domain::uscc::Uscc::complete(&first17) else { continue };
                let code = code.as_str().to_string();
                let name = format!(
                    "示例·{}{}{}",
                    words[rng.random_range(0..words.len())],
                    words[rng.random_range(0..words.len())],
                    suffixes[rng.random_range(0..suffixes.len())]
                );
                cl += 1;
                raw.companies.push((cl, t(&name), t(&code)));
                let n = rng.random_range(1..=2);
                for _ in 0..n {
                    let s = if k < 2 && !gaps.is_empty() {
                        gaps[rng.random_range(0..gaps.len())]
                    } else {
                        segs[rng.random_range(0..segs.len())]
                    };
                    for k in keys(s) {
                        pl += 1;
                        let w = (rng.random_range(10..100) as f64) / 100.0;
                        raw.company_products.push((pl, t(&code), t(&k), Val::Float(w)));
                    }
                    if let Some(ic) = s.industry_codes.split(';').next().filter(|x| !x.is_empty()) {
                        il += 1;
                        raw.company_industries.as_mut().expect("set above").push((il, t(&code), t(ic), Val::Missing));
                    }
                }
                if cl == 1 {
                    pl += 1;
                    raw.company_products.push((pl, t(&code), t(&segs[0].name), Val::Float(-1.0)));
                }
            }
        }
        let (g, report) = crate::productgraph::clean_graph(&raw);
        self.store_product_graph(actor, &g, report, "示例数据").await
    }
}
