//! The reference product graph (issue 4 part 6): an external knowledge graph of products and
//! listed companies, cleaned, mapped onto chain segments, and used to propose investment
//! targets 招引目标企业 for weak and missing segments (part 7).
//!
//! Public graphs of this kind are noisy. [`clean`] keeps what can be trusted and counts what
//! it drops, per file and reason, with the first line numbers of each reason:
//! - products: empty or over-long names and duplicates (after normalising widths and
//!   spaces) are dropped;
//! - relations: `上游材料` (to is an upstream material of from) becomes the supply edge
//!   to → from, `下游产品` (to is a downstream product of from) the edge from → to, `产品小类`
//!   (to is a sub-category of from) the hierarchy edge from → to. Unknown kinds, missing or
//!   unlisted ends, self-loops and duplicates (also the same edge written the other way) are
//!   dropped; two supply edges in opposite directions between the same products contradict
//!   each other and both are dropped, as are two products each a sub-category of the other;
//! - companies: the code is a stock code (4–6 digits, optionally `.SH` `.SZ` `.BJ` `.HK`; a
//!   number loses its leading zeros in JSON and is padded back to 6 digits) or an 18-character
//!   统一社会信用代码 whose check digit must be right (GB 32100); other codes, empty names and
//!   duplicate codes are dropped;
//! - company products: unknown company or product, negative or non-numeric weights and
//!   duplicates are dropped; a missing weight counts as 1;
//! - company industries: the code must be a GB/T 4754-2017 code (a 2011 code is translated
//!   when the concordance maps it to one 2017 code — the caller supplies that rule).

use std::collections::{BTreeMap, HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};

use crate::chainmap::{self, Analysis, ChainGraph, Change, Strength, Thresholds};
use crate::uscc::Uscc;

/// One JSON value of an input line, as far as cleaning cares.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Missing,
    Text(String),
    Int(i64),
    Float(f64),
    /// An array, object or boolean where a text or number was expected.
    Other,
}

impl Val {
    fn text(&self) -> Option<String> {
        match self {
            Val::Text(s) => Some(s.clone()),
            Val::Int(i) => Some(i.to_string()),
            Val::Float(f) => Some(f.to_string()),
            _ => None,
        }
    }
}

/// The parsed input files, one entry per non-blank line with its line number.
#[derive(Clone, Debug, Default)]
pub struct RawGraph {
    /// `products.jsonl`: name.
    pub products: Vec<(usize, Val)>,
    /// `product_relations.jsonl`: from, to, rel.
    pub relations: Vec<(usize, Val, Val, Val)>,
    /// `companies.jsonl`: name, code.
    pub companies: Vec<(usize, Val, Val)>,
    /// `company_products.jsonl`: company (code), product, weight.
    pub company_products: Vec<(usize, Val, Val, Val)>,
    /// `company_industries.jsonl` (optional): company, industry_code, industry_name.
    pub company_industries: Option<Vec<(usize, Val, Val, Val)>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Company {
    pub code: String,
    pub name: String,
}

/// The cleaned graph. Products and companies are referred to by their index.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ProductGraph {
    pub products: Vec<String>,
    /// (upstream product, downstream product).
    pub supplies: Vec<(u32, u32)>,
    /// (category, sub-category).
    pub subcategories: Vec<(u32, u32)>,
    pub companies: Vec<Company>,
    /// (company, product, weight ≥ 0).
    pub company_products: Vec<(u32, u32, f64)>,
    /// (company, GB/T 4754-2017 code, name as given).
    pub company_industries: Vec<(u32, String, String)>,
}

/// What happened to one file's lines.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FileReport {
    pub file: String,
    pub read: usize,
    pub kept: usize,
    /// Lines dropped, per reason.
    pub dropped: Vec<Reason>,
    /// Lines kept after a repair, per repair.
    pub repaired: Vec<Reason>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Reason {
    pub reason: String,
    pub count: usize,
    /// The first line numbers (at most 5).
    pub lines: Vec<usize>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CleanReport {
    pub files: Vec<FileReport>,
}

impl CleanReport {
    pub fn dropped(&self) -> usize {
        self.files.iter().flat_map(|f| &f.dropped).map(|r| r.count).sum()
    }
}

#[derive(Default)]
struct Tally {
    read: usize,
    kept: usize,
    dropped: BTreeMap<&'static str, (usize, Vec<usize>)>,
    repaired: BTreeMap<&'static str, (usize, Vec<usize>)>,
}

impl Tally {
    fn drop(&mut self, reason: &'static str, line: usize) {
        note(&mut self.dropped, reason, line);
    }
    fn repair(&mut self, reason: &'static str, line: usize) {
        note(&mut self.repaired, reason, line);
    }
    fn report(self, file: &str) -> FileReport {
        let list = |m: BTreeMap<&'static str, (usize, Vec<usize>)>| {
            m.into_iter().map(|(r, (count, lines))| Reason { reason: r.to_string(), count, lines }).collect()
        };
        FileReport {
            file: file.to_string(),
            read: self.read,
            kept: self.kept,
            dropped: list(self.dropped),
            repaired: list(self.repaired),
        }
    }
}

fn note(m: &mut BTreeMap<&'static str, (usize, Vec<usize>)>, reason: &'static str, line: usize) {
    let e = m.entry(reason).or_default();
    e.0 += 1;
    if e.1.len() < 5 {
        e.1.push(line);
    }
}

/// A product or company name as compared: full-width ASCII made half-width, ideographic
/// spaces and runs of white space made one space, trimmed.
pub fn norm_name(s: &str) -> String {
    let half: String = s.chars().map(crate::registry::half_width).collect();
    half.split_whitespace().collect::<Vec<_>>().join(" ")
}

const MAX_NAME_CHARS: usize = 100;

/// A company code: `(code, padded)`, or the reason it is refused. A stock code of fewer than
/// six digits without an exchange suffix (a JSON number loses its leading zeros, a
/// spreadsheet does the same to text) is padded to six.
fn company_code(v: &Val) -> Result<(String, bool), &'static str> {
    match v {
        Val::Int(i) if *i >= 0 && *i < 1_000_000 => Ok((format!("{i:06}"), *i < 100_000)),
        Val::Text(s) => {
            let s = norm_name(s).to_uppercase();
            if s.is_empty() {
                return Err("缺少公司代码");
            }
            if s.chars().count() == 18 {
                return Uscc::parse(&s)
                    .map(|u| (u.as_str().to_string(), false))
                    .map_err(|_| "统一社会信用代码校验不通过");
            }
            let (digits, suffix) = s.split_once('.').unwrap_or((&s, ""));
            let digits_ok = (4..=6).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit());
            if digits_ok && suffix.is_empty() && digits.len() < 6 {
                Ok((format!("{digits:0>6}"), true))
            } else if digits_ok && ["", "SH", "SZ", "BJ", "HK"].contains(&suffix) {
                Ok((s, false))
            } else {
                Err("代码既不是股票代码也不是统一社会信用代码")
            }
        }
        Val::Missing => Err("缺少公司代码"),
        _ => Err("代码既不是股票代码也不是统一社会信用代码"),
    }
}

/// The relation kinds, by the labels the graphs use (English aliases accepted).
fn rel_kind(v: &Val) -> Option<u8> {
    let s = v.text()?;
    match s.trim() {
        "上游材料" | "upstream_material" => Some(0),
        "下游产品" | "downstream_product" => Some(1),
        "产品小类" | "subcategory" => Some(2),
        _ => None,
    }
}

/// Clean a raw graph; `industry` turns a given industry code into a GB/T 4754-2017 code
/// (`None`: not a code of the standard).
pub fn clean(raw: &RawGraph, industry: &dyn Fn(&str) -> Option<String>) -> (ProductGraph, CleanReport) {
    let mut g = ProductGraph::default();
    let mut files = Vec::new();

    // Products.
    let mut t = Tally::default();
    let mut product_ix: HashMap<String, u32> = HashMap::new();
    for (line, v) in &raw.products {
        t.read += 1;
        let Some(name) = v.text().map(|s| norm_name(&s)).filter(|s| !s.is_empty()) else {
            t.drop("名称为空", *line);
            continue;
        };
        if name.chars().count() > MAX_NAME_CHARS {
            t.drop("名称超过 100 字", *line);
            continue;
        }
        if product_ix.contains_key(&name) {
            t.drop("重复产品", *line);
            continue;
        }
        product_ix.insert(name.clone(), g.products.len() as u32);
        g.products.push(name);
        t.kept += 1;
    }
    files.push(t.report("products.jsonl"));

    // Relations.
    let mut t = Tally::default();
    let lookup = |v: &Val| v.text().map(|s| norm_name(&s)).and_then(|s| product_ix.get(&s).copied());
    // edge → lines that gave it (the first is kept)
    let mut supply: HashMap<(u32, u32), usize> = HashMap::new();
    let mut sub: HashMap<(u32, u32), usize> = HashMap::new();
    let mut supply_order = Vec::new();
    let mut sub_order = Vec::new();
    for (line, from, to, rel) in &raw.relations {
        t.read += 1;
        let Some(kind) = rel_kind(rel) else {
            t.drop("关系类型不是 上游材料/下游产品/产品小类", *line);
            continue;
        };
        let (Some(fs), Some(ts)) =
            (from.text().filter(|s| !s.trim().is_empty()), to.text().filter(|s| !s.trim().is_empty()))
        else {
            t.drop("缺少 from 或 to", *line);
            continue;
        };
        let (Some(f), Some(to_ix)) = (lookup(&Val::Text(fs)), lookup(&Val::Text(ts))) else {
            t.drop("引用了 products.jsonl 中没有的产品", *line);
            continue;
        };
        if f == to_ix {
            t.drop("自环（产品指向自身）", *line);
            continue;
        }
        let (map, order, edge) = match kind {
            0 => (&mut supply, &mut supply_order, (to_ix, f)),
            1 => (&mut supply, &mut supply_order, (f, to_ix)),
            _ => (&mut sub, &mut sub_order, (f, to_ix)),
        };
        if map.contains_key(&edge) {
            t.drop("重复关系（含另一方向的同义写法）", *line);
            continue;
        }
        map.insert(edge, *line);
        order.push(edge);
    }
    for (map, order, out, reason) in [
        (&supply, &supply_order, &mut g.supplies, "上下游方向互相矛盾（两条都删除）"),
        (&sub, &sub_order, &mut g.subcategories, "互为产品小类（两条都删除）"),
    ] {
        for &(a, b) in order {
            if map.contains_key(&(b, a)) {
                t.drop(reason, map[&(a, b)]);
            } else {
                out.push((a, b));
                t.kept += 1;
            }
        }
    }
    files.push(t.report("product_relations.jsonl"));

    // Companies.
    let mut t = Tally::default();
    let mut company_ix: HashMap<String, u32> = HashMap::new();
    for (line, name, code) in &raw.companies {
        t.read += 1;
        let (code, padded) = match company_code(code) {
            Ok(c) => c,
            Err(reason) => {
                t.drop(reason, *line);
                continue;
            }
        };
        let Some(name) = name.text().map(|s| norm_name(&s)).filter(|s| !s.is_empty()) else {
            t.drop("名称为空", *line);
            continue;
        };
        if company_ix.contains_key(&code) {
            t.drop("重复公司代码", *line);
            continue;
        }
        if padded {
            t.repair("股票代码不足 6 位（或写成了数字），已补零", *line);
        }
        company_ix.insert(code.clone(), g.companies.len() as u32);
        g.companies.push(Company { code, name });
        t.kept += 1;
    }
    files.push(t.report("companies.jsonl"));

    let company_of = |v: &Val| company_code(v).ok().and_then(|(c, _)| company_ix.get(&c).copied());

    // Company products.
    let mut t = Tally::default();
    let mut seen: HashSet<(u32, u32)> = HashSet::new();
    for (line, company, product, weight) in &raw.company_products {
        t.read += 1;
        let Some(c) = company_of(company) else {
            t.drop("公司代码不在 companies.jsonl 中", *line);
            continue;
        };
        let Some(p) = lookup(product) else {
            t.drop("产品不在 products.jsonl 中", *line);
            continue;
        };
        let w = match weight {
            Val::Missing => {
                t.repair("未给权重，按 1 计", *line);
                1.0
            }
            Val::Int(i) => *i as f64,
            Val::Float(f) if f.is_finite() => *f,
            Val::Text(s) => match s.trim().parse::<f64>() {
                Ok(f) if f.is_finite() => f,
                _ => {
                    t.drop("权重不是数字", *line);
                    continue;
                }
            },
            _ => {
                t.drop("权重不是数字", *line);
                continue;
            }
        };
        if w < 0.0 {
            t.drop("权重为负数", *line);
            continue;
        }
        if !seen.insert((c, p)) {
            t.drop("重复（同一公司同一产品）", *line);
            continue;
        }
        g.company_products.push((c, p, w));
        t.kept += 1;
    }
    files.push(t.report("company_products.jsonl"));

    // Company industries (optional file).
    if let Some(rows) = &raw.company_industries {
        let mut t = Tally::default();
        let mut seen: HashSet<(u32, String)> = HashSet::new();
        for (line, company, code, name) in rows {
            t.read += 1;
            let Some(c) = company_of(company) else {
                t.drop("公司代码不在 companies.jsonl 中", *line);
                continue;
            };
            // A code given as a JSON number has lost its leading zero (0721 → 721).
            let given = match code {
                Val::Int(i) if (100..1000).contains(i) => {
                    industry(&i.to_string()).or_else(|| industry(&format!("{i:04}")))
                }
                Val::Int(i) if (0..10).contains(i) => industry(&format!("{i:02}")),
                v => v.text().and_then(|s| industry(s.trim())),
            };
            let Some(code) = given else {
                t.drop("行业代码不在 GB/T 4754 中", *line);
                continue;
            };
            if !seen.insert((c, code.clone())) {
                t.drop("重复（同一公司同一行业）", *line);
                continue;
            }
            g.company_industries.push((c, code, name.text().map(|s| norm_name(&s)).unwrap_or_default()));
            t.kept += 1;
        }
        files.push(t.report("company_industries.jsonl"));
    }

    (g, CleanReport { files })
}

// ---------------------------------------------------------------------------------------
// Mapping products onto segments
// ---------------------------------------------------------------------------------------

/// What a segment is known by.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentTerms {
    pub segment_id: i64,
    pub name: String,
    pub key_products: Vec<String>,
    /// GB/T 4754 codes of the segment (a company's class code matches when it starts with one).
    pub industry_codes: Vec<String>,
}

/// A proposed product for a segment, with its score in 0..1 and the reasons in words.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Proposal {
    pub segment_id: i64,
    pub product: u32,
    pub score: f64,
    pub evidence: Vec<String>,
}

/// Scores of the mapping rules (documented on the review page):
pub const SCORE_NAME: f64 = 1.0; // the product's name is the segment's name
pub const SCORE_KEY_PRODUCT: f64 = 0.9; // … one of the segment's key products
pub const SCORE_CONTAINS: f64 = 0.6; // the product's name contains a key product / the segment name (≥ 2 characters)
pub const SCORE_SUBCATEGORY: f64 = 0.7; // a sub-category (产品小类) of a product matched by name
pub const SCORE_INDUSTRY_ONLY: f64 = 0.4; // made by ≥ 2 companies of the segment's industry codes
pub const INDUSTRY_BONUS: f64 = 0.1; // a product matched by another rule, also made by a company of those codes (capped at 1)

/// Propose products for each segment: by name, key products, sub-categories and industry
/// codes; at most `per_segment` per segment, best first (score, then name).
pub fn propose(g: &ProductGraph, segments: &[SegmentTerms], per_segment: usize) -> Vec<Proposal> {
    // Terms (normalised, ≥ 2 characters) → (segment index, is the segment's name).
    let mut terms: Vec<String> = Vec::new();
    let mut term_owner: Vec<Vec<(usize, bool)>> = Vec::new();
    let mut term_ix: HashMap<String, usize> = HashMap::new();
    for (si, s) in segments.iter().enumerate() {
        let mut add = |t: &str, is_name: bool| {
            let t = norm_name(t);
            if t.chars().count() < 2 {
                return;
            }
            let i = *term_ix.entry(t.clone()).or_insert_with(|| {
                terms.push(t);
                term_owner.push(Vec::new());
                terms.len() - 1
            });
            if !term_owner[i].contains(&(si, is_name)) {
                term_owner[i].push((si, is_name));
            }
        };
        add(&s.name, true);
        for k in &s.key_products {
            add(k, false);
        }
    }
    // (segment index, product) → (score, evidence)
    let mut found: HashMap<(usize, u32), (f64, Vec<String>)> = HashMap::new();
    fn bump(found: &mut HashMap<(usize, u32), (f64, Vec<String>)>, si: usize, p: u32, score: f64, why: String) {
        let e = found.entry((si, p)).or_insert((0.0, Vec::new()));
        if score > e.0 {
            e.0 = score;
        }
        if !e.1.contains(&why) {
            e.1.push(why);
        }
    }
    if !terms.is_empty() {
        let ac = AhoCorasick::builder().match_kind(MatchKind::Standard).build(&terms).expect("terms are plain strings");
        for (p, name) in g.products.iter().enumerate() {
            for m in ac.find_overlapping_iter(name.as_str()) {
                let ti = m.pattern().as_usize();
                let exact = m.start() == 0 && m.end() == name.len();
                for &(si, is_name) in &term_owner[ti] {
                    let (score, why) = match (exact, is_name) {
                        (true, true) => (SCORE_NAME, "产品名与环节名称一致".to_string()),
                        (true, false) => (SCORE_KEY_PRODUCT, format!("产品名与环节重点产品“{}”一致", terms[ti])),
                        (false, true) => (SCORE_CONTAINS, format!("产品名包含环节名称“{}”", terms[ti])),
                        (false, false) => (SCORE_CONTAINS, format!("产品名包含重点产品“{}”", terms[ti])),
                    };
                    bump(&mut found, si, p as u32, score, why);
                }
            }
        }
    }
    // Sub-categories of exact matches.
    let exact: Vec<(usize, u32)> =
        found.iter().filter(|(_, (s, _))| *s >= SCORE_KEY_PRODUCT).map(|(k, _)| *k).collect();
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for &(a, b) in &g.subcategories {
        children.entry(a).or_default().push(b);
    }
    for (si, p) in exact {
        for &c in children.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
            bump(&mut found, si, c, SCORE_SUBCATEGORY, format!("是“{}”的产品小类", g.products[p as usize]));
        }
    }
    // Industry codes: products made by companies of the segment's codes (companies found
    // through the distinct codes, not by scanning every company for every segment).
    let mut by_code: HashMap<&str, Vec<u32>> = HashMap::new();
    for (c, code, _) in &g.company_industries {
        by_code.entry(code.as_str()).or_default().push(*c);
    }
    let mut products_of: HashMap<u32, Vec<u32>> = HashMap::new();
    for &(c, p, _) in &g.company_products {
        products_of.entry(c).or_default().push(p);
    }
    for (si, s) in segments.iter().enumerate() {
        let codes: Vec<&str> = s.industry_codes.iter().map(String::as_str).filter(|c| !c.is_empty()).collect();
        if codes.is_empty() {
            continue;
        }
        let mut companies: Vec<u32> = by_code
            .iter()
            .filter(|(k, _)| codes.iter().any(|sc| k.starts_with(sc)))
            .flat_map(|(_, cs)| cs.iter().copied())
            .collect();
        companies.sort_unstable();
        companies.dedup();
        let mut count: HashMap<u32, usize> = HashMap::new();
        for c in companies {
            for &p in products_of.get(&c).map(Vec::as_slice).unwrap_or(&[]) {
                *count.entry(p).or_default() += 1;
            }
        }
        for (p, n) in count {
            let why = format!("{n} 家环节行业代码（{}）的公司生产", s.industry_codes.join("、"));
            if let Some(e) = found.get_mut(&(si, p)) {
                e.0 = (e.0 + INDUSTRY_BONUS).min(1.0);
                e.1.push(why);
            } else if n >= 2 {
                found.insert((si, p), (SCORE_INDUSTRY_ONLY, vec![why]));
            }
        }
    }
    let mut per: Vec<Vec<Proposal>> = vec![Vec::new(); segments.len()];
    for ((si, p), (score, evidence)) in found {
        per[si].push(Proposal { segment_id: segments[si].segment_id, product: p, score: round4(score), evidence });
    }
    let mut out = Vec::new();
    for mut v in per {
        v.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| g.products[a.product as usize].cmp(&g.products[b.product as usize]))
        });
        v.truncate(per_segment);
        out.extend(v);
    }
    out
}

/// What a weak or missing segment lacks, 0..1: the larger of `1 − coverage` (too few local
/// enterprises) and, when no local 链主 holds it, how far its concentration exceeds what a
/// strong segment may have (`(HHI − strong_max_hhi) / (1 − strong_max_hhi)`): a segment held
/// by enough but very unequal enterprises is weak for that reason, and a new entrant helps.
pub fn segment_gap(f: &chainmap::SegmentFigures, t: &Thresholds) -> f64 {
    let short = 1.0 - f.coverage;
    let concentrated = match f.hhi {
        Some(h) if f.leaders == 0 && h > t.strong_max_hhi && t.strong_max_hhi < 1.0 => {
            (h - t.strong_max_hhi) / (1.0 - t.strong_max_hhi)
        }
        _ => 0.0,
    };
    short.max(concentrated).clamp(0.0, 1.0)
}

/// Whether segment edges lead from an upstream segment to a downstream one through segments
/// that all hold a local enterprise (by the figures of `a`).
fn local_path(g: &ChainGraph, a: &Analysis) -> bool {
    let held: HashMap<i64, chainmap::Stage> =
        a.segments.iter().filter(|f| f.local_enterprises > 0).map(|f| (f.id, f.stage)).collect();
    let mut next: HashMap<i64, Vec<i64>> = HashMap::new();
    for e in &g.edges {
        if held.contains_key(&e.from) && held.contains_key(&e.to) {
            next.entry(e.from).or_default().push(e.to);
        }
    }
    let mut seen: HashSet<i64> = HashSet::new();
    let mut stack: Vec<i64> =
        held.iter().filter(|(_, st)| **st == chainmap::Stage::Upstream).map(|(id, _)| *id).collect();
    while let Some(s) = stack.pop() {
        if !seen.insert(s) {
            continue;
        }
        if held[&s] == chainmap::Stage::Downstream {
            return true;
        }
        stack.extend(next.get(&s).map(Vec::as_slice).unwrap_or(&[]));
    }
    false
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

// ---------------------------------------------------------------------------------------
// Investment targets
// ---------------------------------------------------------------------------------------

/// Weights of a target's score (documented on the targets page).
pub const W_FILL: f64 = 0.5;
pub const W_DEMAND: f64 = 0.3;
pub const W_REDUNDANCY: f64 = 0.2;

/// A ranked external company for a weak or missing segment.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TargetProposal {
    pub segment_id: i64,
    pub company: u32,
    /// `W_FILL·fill + W_DEMAND·demand + W_REDUNDANCY·redundancy`, each in 0..1.
    pub score: f64,
    /// Gap × match: the segment's gap ([`segment_gap`]) times how well the company's products
    /// match it (half the share of its product weight on the segment's products, weighted by
    /// the mapping scores; half the share of the segment's mapped products it makes).
    pub fill: f64,
    /// Local downstream demand it would serve: half the local enterprises on the segments its
    /// products supply (segment edges out of the segment, and segments holding products its
    /// products are upstream materials of), half what local enterprises of those segments buy
    /// from outside the city, each relative to the largest among this chain's candidates.
    pub demand: f64,
    /// Supply-path redundancy gained by a new local enterprise on the segment (the what-if of
    /// placing one): half for single points of failure removed (one each, at most two), half
    /// when it joins upstream to downstream where they were cut: afterwards, and not before,
    /// a path of segment edges leads from an upstream segment to a downstream one through
    /// segments that all hold a local enterprise.
    pub redundancy: f64,
    /// Rank among the segment's candidates (1 = best).
    pub rank: usize,
    pub evidence: Vec<String>,
}

/// The mapped products of a chain's segments: (segment id, product, mapping score); rejected
/// mappings are left out by the caller.
pub struct TargetInput<'a> {
    pub graph: &'a ProductGraph,
    pub chain: &'a ChainGraph,
    pub analysis: &'a Analysis,
    pub thresholds: &'a Thresholds,
    pub mappings: &'a [(i64, u32, f64)],
    /// Companies not to propose (already in the city's ledger, by code).
    pub exclude: &'a HashSet<String>,
    pub per_segment: usize,
}

/// Rank external companies for every weak or missing segment of a chain.
pub fn propose_targets(input: &TargetInput) -> Vec<TargetProposal> {
    let g = input.graph;
    let a = input.analysis;
    let figures: HashMap<i64, &chainmap::SegmentFigures> = a.segments.iter().map(|f| (f.id, f)).collect();
    let names: HashMap<i64, &str> = input.chain.segments.iter().map(|s| (s.id, s.name.as_str())).collect();
    let mut seg_products: HashMap<i64, Vec<(u32, f64)>> = HashMap::new();
    let mut product_segs: HashMap<u32, Vec<i64>> = HashMap::new();
    for &(s, p, score) in input.mappings {
        seg_products.entry(s).or_default().push((p, score));
        product_segs.entry(p).or_default().push(s);
    }
    let mut company_products: HashMap<u32, Vec<(u32, f64)>> = HashMap::new();
    for &(c, p, w) in &g.company_products {
        company_products.entry(c).or_default().push((p, w));
    }
    let mut downstream_products: HashMap<u32, Vec<u32>> = HashMap::new();
    for &(u, d) in &g.supplies {
        downstream_products.entry(u).or_default().push(d);
    }
    // Outside purchases of local enterprises, per segment they are placed on.
    let local: HashSet<i64> = input.chain.placements.iter().filter(|p| p.local).map(|p| p.enterprise_id).collect();
    let mut outside_by_buyer: HashMap<i64, i64> = HashMap::new();
    for s in &input.chain.supplies {
        if !s.local && local.contains(&s.to) {
            *outside_by_buyer.entry(s.to).or_default() += s.amount;
        }
    }
    let mut outside_by_seg: HashMap<i64, i64> = HashMap::new();
    let mut seen_pair: HashSet<(i64, i64)> = HashSet::new();
    for p in &input.chain.placements {
        if let Some(v) = outside_by_buyer.get(&p.enterprise_id)
            && seen_pair.insert((p.segment_id, p.enterprise_id))
        {
            *outside_by_seg.entry(p.segment_id).or_default() += v;
        }
    }
    let mut out_edges: HashMap<i64, Vec<i64>> = HashMap::new();
    for e in &input.chain.edges {
        out_edges.entry(e.from).or_default().push(e.to);
    }

    struct Raw {
        segment: i64,
        company: u32,
        fill: f64,
        buyers: usize,
        outside: i64,
        redundancy: f64,
        evidence: Vec<String>,
    }
    let mut raws: Vec<Raw> = Vec::new();
    for f in &a.segments {
        if f.strength == Strength::Strong {
            continue;
        }
        let Some(mapped) = seg_products.get(&f.id) else { continue };
        let mapped_score: HashMap<u32, f64> = mapped.iter().copied().collect();
        // Redundancy: the same for every candidate of the segment.
        let change = Change::AddCandidate { enterprise_id: i64::MIN, segment_id: f.id, local: true, weight: 0 };
        let (redundancy, red_why) = match chainmap::what_if(input.chain, input.thresholds, &change) {
            Ok(w) => {
                let before = w.before.single_points_of_failure.len();
                let after = w.after.single_points_of_failure.len();
                let removed = before.saturating_sub(after);
                let joined = !local_path(input.chain, &w.before) && local_path(input.chain, &w.after);
                let r = 0.5 * (removed.min(2) as f64 / 2.0) + if joined { 0.5 } else { 0.0 };
                let mut why = format!("落地后单点风险 {before} 处 → {after} 处");
                if joined {
                    why.push_str("，本地企业从上游到下游由断开变为贯通");
                }
                (r, why)
            }
            Err(_) => (0.0, String::new()),
        };
        let gap = segment_gap(f, input.thresholds);
        // Candidates: companies making a mapped product.
        let mut candidates: HashSet<u32> = HashSet::new();
        for &(c, p, _) in &g.company_products {
            if mapped_score.contains_key(&p) {
                candidates.insert(c);
            }
        }
        for c in candidates {
            let company = &g.companies[c as usize];
            if input.exclude.contains(&company.code) {
                continue;
            }
            let prods = &company_products[&c];
            let total_w: f64 = prods.iter().map(|(_, w)| w).sum();
            let on: Vec<(u32, f64, f64)> =
                prods.iter().filter_map(|&(p, w)| mapped_score.get(&p).map(|&s| (p, w, s))).collect();
            let share = if total_w > 0.0 {
                on.iter().map(|(_, w, s)| w * s).sum::<f64>() / total_w
            } else {
                on.iter().map(|(_, _, s)| s).sum::<f64>() / prods.len().max(1) as f64
            };
            let breadth = on.len() as f64 / mapped.len().max(1) as f64;
            let fill = gap * (0.5 * share + 0.5 * breadth);
            // Downstream segments served.
            let mut down: BTreeMap<i64, String> = BTreeMap::new();
            for t in out_edges.get(&f.id).map(Vec::as_slice).unwrap_or(&[]) {
                down.entry(*t).or_insert_with(|| "图谱下游环节".to_string());
            }
            for &(p, _) in prods {
                for d in downstream_products.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
                    for t in product_segs.get(d).map(Vec::as_slice).unwrap_or(&[]) {
                        if *t != f.id {
                            down.entry(*t).or_insert_with(|| {
                                format!("其产品“{}”是“{}”的上游材料", g.products[p as usize], g.products[*d as usize])
                            });
                        }
                    }
                }
            }
            let mut buyers = 0;
            let mut outside = 0;
            let mut evidence = vec![format!(
                "补链：环节覆盖度 {:.2}{}（缺口 {:.2}），匹配产品 {}",
                f.coverage,
                f.hhi.map(|h| format!("、集中度 {h:.2}")).unwrap_or_default(),
                gap,
                on.iter()
                    .map(|(p, w, s)| format!("{}（权重 {w}，匹配度 {s}）", g.products[*p as usize]))
                    .collect::<Vec<_>>()
                    .join("、")
            )];
            for (t, why) in &down {
                let n = figures.get(t).map(|f| f.local_enterprises).unwrap_or(0);
                let o = outside_by_seg.get(t).copied().unwrap_or(0);
                if n > 0 || o > 0 {
                    buyers += n;
                    outside += o;
                    evidence.push(format!(
                        "下游需求：“{}”有本地企业 {n} 家，年外购 {:.2} 万元（{why}）",
                        names.get(t).unwrap_or(&""),
                        o as f64 / 1_000_000.0
                    ));
                }
            }
            if !red_why.is_empty() {
                evidence.push(format!("链条韧性：{red_why}"));
            }
            raws.push(Raw { segment: f.id, company: c, fill, buyers, outside, redundancy, evidence });
        }
    }
    let max_buyers = raws.iter().map(|r| r.buyers).max().unwrap_or(0);
    let max_outside = raws.iter().map(|r| r.outside).max().unwrap_or(0);
    let mut by_seg: BTreeMap<i64, Vec<TargetProposal>> = BTreeMap::new();
    for r in raws {
        let demand = 0.5 * if max_buyers > 0 { r.buyers as f64 / max_buyers as f64 } else { 0.0 }
            + 0.5 * if max_outside > 0 { r.outside as f64 / max_outside as f64 } else { 0.0 };
        let score = W_FILL * r.fill + W_DEMAND * demand + W_REDUNDANCY * r.redundancy;
        by_seg.entry(r.segment).or_default().push(TargetProposal {
            segment_id: r.segment,
            company: r.company,
            score: round4(score),
            fill: round4(r.fill),
            demand: round4(demand),
            redundancy: round4(r.redundancy),
            rank: 0,
            evidence: r.evidence,
        });
    }
    // Segments in map order.
    let order: HashMap<i64, usize> = a.segments.iter().enumerate().map(|(i, f)| (f.id, i)).collect();
    let mut segs: Vec<(i64, Vec<TargetProposal>)> = by_seg.into_iter().collect();
    segs.sort_by_key(|(s, _)| order.get(s).copied().unwrap_or(usize::MAX));
    let mut out = Vec::new();
    for (_, mut v) in segs {
        v.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| g.companies[a.company as usize].code.cmp(&g.companies[b.company as usize].code))
        });
        v.truncate(input.per_segment);
        for (i, t) in v.iter_mut().enumerate() {
            t.rank = i + 1;
        }
        out.extend(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chainmap::{Placement, Role, Segment, SegmentEdge, Stage, Supply};

    fn t(s: &str) -> Val {
        Val::Text(s.to_string())
    }

    fn industry(code: &str) -> Option<String> {
        crate::industry::IndustryCode::lookup(code).map(|c| c.as_str().to_string())
    }

    fn raw() -> RawGraph {
        RawGraph {
            products: vec![
                (1, t("甲醇")),
                (2, t("甲醇")), // duplicate
                (3, t("  ")),   // empty
                (4, t("天然气")),
                (5, t("醋酸")),
                (6, t("精甲醇")),
                (7, t("ＰＶＡ纤维")), // full width → PVA纤维
                (8, Val::Missing),    // empty
            ],
            relations: vec![
                (1, t("甲醇"), t("天然气"), t("上游材料")),  // 天然气 → 甲醇
                (2, t("天然气"), t("甲醇"), t("下游产品")),  // the same edge, other wording
                (3, t("甲醇"), t("醋酸"), t("下游产品")),    // 甲醇 → 醋酸
                (4, t("醋酸"), t("甲醇"), t("下游产品")),    // contradicts line 3
                (5, t("甲醇"), t("甲醇"), t("产品小类")),    // self-loop
                (6, t("甲醇"), t("精甲醇"), t("产品小类")),  // 精甲醇 sub of 甲醇
                (7, t("甲醇"), t("火星土"), t("上游材料")),  // unknown product
                (8, t("甲醇"), t("醋酸"), t("同类")),        // unknown kind
                (9, t("醋酸"), t("PVA纤维"), t("下游产品")), // kept
            ],
            companies: vec![
                (1, t("示例化工股份"), Val::Int(600028)),
                (2, t("示例气体"), Val::Int(2221)),            // → 002221
                (3, t("坏代码公司"), t("91511700MA62XXXXX1")), // bad USCC
                (4, t("重复"), t("600028.SH")),                // not a duplicate of 600028 (suffix kept)
                (5, t("重复"), t("2221")),                     // duplicate once padded
                (6, t(""), t("300001")),                       // empty name
            ],
            company_products: vec![
                (1, t("600028"), t("甲醇"), Val::Float(0.7)),
                (2, t("600028"), t("醋酸"), Val::Missing), // weight 1
                (3, Val::Int(2221), t("天然气"), Val::Int(5)),
                (4, t("002221"), t("甲醇"), Val::Float(-1.0)), // negative
                (5, t("999999"), t("甲醇"), Val::Int(1)),      // unknown company
                (6, t("600028"), t("甲醇"), Val::Int(1)),      // duplicate
                (7, t("600028"), t("钻石"), Val::Int(1)),      // unknown product
                (8, t("002221"), t("醋酸"), t("abc")),         // not a number
            ],
            company_industries: Some(vec![
                (1, t("600028"), t("2614"), t("有机化学原料制造")),
                (2, t("002221"), t("9999"), t("?")),
            ]),
        }
    }

    #[test]
    fn cleaning_drops_noise_and_says_why() {
        let (g, r) = clean(&raw(), &industry);
        assert_eq!(g.products, vec!["甲醇", "天然气", "醋酸", "精甲醇", "PVA纤维"]);
        // 天然气(1) → 甲醇(0); 醋酸(2) → PVA纤维(4); 甲醇↔醋酸 dropped as contradictory.
        assert_eq!(g.supplies, vec![(1, 0), (2, 4)]);
        assert_eq!(g.subcategories, vec![(0, 3)]);
        assert_eq!(
            g.companies.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(),
            vec!["600028", "002221", "600028.SH"]
        );
        assert_eq!(g.company_products, vec![(0, 0, 0.7), (0, 2, 1.0), (1, 1, 5.0)]);
        assert_eq!(g.company_industries, vec![(0, "2614".to_string(), "有机化学原料制造".to_string())]);
        let file = |n: &str| r.files.iter().find(|f| f.file == n).unwrap();
        let reason = |n: &str, why: &str| {
            file(n).dropped.iter().find(|d| d.reason.contains(why)).map(|d| (d.count, d.lines.clone()))
        };
        assert_eq!(file("products.jsonl").read, 8);
        assert_eq!(file("products.jsonl").kept, 5);
        assert_eq!(reason("products.jsonl", "名称为空"), Some((2, vec![3, 8])));
        assert_eq!(reason("products.jsonl", "重复"), Some((1, vec![2])));
        assert_eq!(reason("product_relations.jsonl", "矛盾"), Some((2, vec![3, 4])));
        assert_eq!(reason("product_relations.jsonl", "自环"), Some((1, vec![5])));
        assert_eq!(reason("product_relations.jsonl", "重复关系"), Some((1, vec![2])));
        assert_eq!(reason("product_relations.jsonl", "没有的产品"), Some((1, vec![7])));
        assert_eq!(reason("product_relations.jsonl", "关系类型"), Some((1, vec![8])));
        assert_eq!(reason("companies.jsonl", "校验"), Some((1, vec![3])));
        assert_eq!(reason("companies.jsonl", "重复"), Some((1, vec![5])));
        assert_eq!(file("companies.jsonl").repaired[0].count, 1);
        assert_eq!(reason("company_products.jsonl", "负数"), Some((1, vec![4])));
        assert_eq!(reason("company_products.jsonl", "不是数字"), Some((1, vec![8])));
        assert_eq!(reason("company_industries.jsonl", "4754"), Some((1, vec![2])));
        // products 3, relations 6, companies 3, company products 5, industries 1
        assert_eq!(r.dropped(), 18);
        // Every line is either kept or dropped.
        for f in &r.files {
            assert_eq!(f.read, f.kept + f.dropped.iter().map(|d| d.count).sum::<usize>(), "{}", f.file);
        }
    }

    fn segs() -> Vec<SegmentTerms> {
        vec![
            SegmentTerms {
                segment_id: 10,
                name: "天然气开采".into(),
                key_products: vec!["天然气".into()],
                industry_codes: vec![],
            },
            SegmentTerms {
                segment_id: 11,
                name: "甲醇".into(),
                key_products: vec![],
                industry_codes: vec!["2614".into()],
            },
            SegmentTerms {
                segment_id: 12,
                name: "醋酸及衍生物".into(),
                key_products: vec!["醋酸".into(), "纤维".into()],
                industry_codes: vec![],
            },
        ]
    }

    #[test]
    fn mapping_by_name_key_product_subcategory_and_industry() {
        let (g, _) = clean(&raw(), &industry);
        let p = propose(&g, &segs(), 10);
        let get = |s: i64, name: &str| p.iter().find(|x| x.segment_id == s && g.products[x.product as usize] == name);
        assert_eq!(get(10, "天然气").unwrap().score, SCORE_KEY_PRODUCT);
        // 甲醇 named like the segment and made by a 2614 company: 1.0 (bonus capped).
        assert_eq!(get(11, "甲醇").unwrap().score, 1.0);
        // 精甲醇 contains 甲醇 (0.6), is its sub-category (0.7): the better one.
        let sub = get(11, "精甲醇").unwrap();
        assert_eq!(sub.score, SCORE_SUBCATEGORY);
        assert_eq!(sub.evidence.len(), 2, "{:?}", sub.evidence);
        assert_eq!(get(12, "醋酸").unwrap().score, SCORE_KEY_PRODUCT);
        assert_eq!(get(12, "PVA纤维").unwrap().score, SCORE_CONTAINS);
        assert!(get(10, "甲醇").is_none());
        // per-segment limit, best first
        let one = propose(&g, &segs(), 1);
        assert_eq!(one.iter().filter(|x| x.segment_id == 11).count(), 1);
        assert_eq!(g.products[one.iter().find(|x| x.segment_id == 11).unwrap().product as usize], "甲醇");
    }

    fn chain() -> ChainGraph {
        let seg = |id, name: &str, stage| Segment { id, name: name.into(), stage, parent_id: None, retired: false };
        ChainGraph {
            segments: vec![
                seg(10, "天然气开采", Stage::Upstream),
                seg(11, "甲醇", Stage::Midstream),
                seg(12, "醋酸及衍生物", Stage::Downstream),
            ],
            edges: vec![SegmentEdge { from: 10, to: 11 }, SegmentEdge { from: 11, to: 12 }],
            placements: vec![
                Placement { segment_id: 10, enterprise_id: 1, role: Role::Leader, local: true, weight: 10 },
                Placement { segment_id: 10, enterprise_id: 2, role: Role::Member, local: true, weight: 10 },
                Placement { segment_id: 10, enterprise_id: 3, role: Role::Member, local: true, weight: 10 },
                Placement { segment_id: 12, enterprise_id: 4, role: Role::Member, local: true, weight: 10 },
                Placement { segment_id: 12, enterprise_id: 5, role: Role::Member, local: true, weight: 10 },
            ],
            supplies: vec![Supply { from: 99, to: 4, amount: 5_000_000, local: false }],
            other_chains: vec![],
        }
    }

    #[test]
    fn targets_fill_the_missing_segment_and_explain_the_score() {
        let (g, _) = clean(&raw(), &industry);
        let c = chain();
        let th = Thresholds::default();
        let a = chainmap::analyze(&c, &th).unwrap();
        let maps: Vec<(i64, u32, f64)> =
            propose(&g, &segs(), 10).iter().map(|p| (p.segment_id, p.product, p.score)).collect();
        let none = HashSet::new();
        let input = TargetInput {
            graph: &g,
            chain: &c,
            analysis: &a,
            thresholds: &th,
            mappings: &maps,
            exclude: &none,
            per_segment: 5,
        };
        let ts = propose_targets(&input);
        // 10 is strong (3 local, a leader): no targets there.
        assert!(ts.iter().all(|t| t.segment_id != 10));
        let on11: Vec<_> = ts.iter().filter(|t| t.segment_id == 11).collect();
        // Only 600028 makes 甲醇.
        assert_eq!(on11.len(), 1);
        let t11 = on11[0];
        assert_eq!(g.companies[t11.company as usize].code, "600028");
        assert_eq!(t11.rank, 1);
        // gap 1 (missing); share = (0.7·1.0 + 1·0)/1.7; breadth = 1 of 2 mapped products (甲醇, 精甲醇).
        let share = 0.7 / 1.7;
        assert!((t11.fill - round4(0.5 * share + 0.5 * 0.5)).abs() < 1e-4, "{}", t11.fill);
        // Downstream 12 has 2 local enterprises buying 5 万元 from outside: the maximum.
        assert_eq!(t11.demand, 1.0);
        // Placing one local enterprise on 11 joins upstream to downstream.
        assert!(t11.redundancy >= 0.5, "{}", t11.redundancy);
        assert!(
            (t11.score - round4(W_FILL * t11.fill + W_DEMAND * t11.demand + W_REDUNDANCY * t11.redundancy)).abs()
                < 2e-4
        );
        assert!(
            t11.evidence.iter().any(|e| e.contains("醋酸及衍生物") && e.contains("本地企业 2 家")),
            "{:?}",
            t11.evidence
        );
        assert!(t11.evidence.iter().any(|e| e.contains("贯通")), "{:?}", t11.evidence);
        // Excluded companies (already in the ledger) are not proposed.
        let ex: HashSet<String> = ["600028".to_string()].into();
        let input = TargetInput { exclude: &ex, ..input };
        assert!(propose_targets(&input).iter().all(|t| g.companies[t.company as usize].code != "600028"));
    }

    #[test]
    fn a_concentrated_segment_without_a_leader_has_a_gap() {
        let th = Thresholds::default();
        let f = |local: usize, coverage: f64, hhi: Option<f64>, leaders: usize| chainmap::SegmentFigures {
            id: 1,
            name: "x".into(),
            stage: chainmap::Stage::Midstream,
            enterprises: local,
            local_enterprises: local,
            leaders,
            coverage,
            strength: chainmap::Strength::Weak,
            hhi,
            sole_holder: None,
            on_path: true,
        };
        assert_eq!(segment_gap(&f(0, 0.0, None, 0), &th), 1.0, "missing");
        assert!((segment_gap(&f(2, 2.0 / 3.0, Some(0.5), 0), &th) - 1.0 / 3.0).abs() < 1e-12, "too few");
        assert!((segment_gap(&f(5, 1.0, Some(0.75), 0), &th) - 0.5).abs() < 1e-12, "concentrated");
        assert_eq!(segment_gap(&f(5, 1.0, Some(0.75), 1), &th), 0.0, "a local leader holds it");
        assert!((segment_gap(&f(2, 2.0 / 3.0, Some(0.9), 0), &th) - 0.8).abs() < 1e-12, "the larger of the two");
    }
}
