//! Analytics of one chain map (SPEC capability A, 产业链全景图谱): which segments the city
//! holds and how firmly, how much of the chain's buying is supplied locally, and where one
//! enterprise's loss would cut the chain.
//!
//! The input is a plain snapshot ([`ChainGraph`]) so that the same code serves the server,
//! the CLI (`chain analyze-file`) and the what-if simulator; ids are database ids. Everything
//! is linear in the size of the map (ids are mapped once to dense indices, no pairwise loops),
//! because a province-scale map has 10⁵ segments and 10⁶ relations and the SPEC bar for chain
//! analytics is 1 s on 2 cores.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use petgraph::graph::{DiGraph, NodeIndex, UnGraph};
use petgraph::visit::{Bfs, Reversed, VisitMap, Visitable};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------------------

/// The stage of a segment: 上游 / 中游 / 下游.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Upstream,
    Midstream,
    Downstream,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Upstream, Stage::Midstream, Stage::Downstream];

    pub fn label(self) -> &'static str {
        match self {
            Stage::Upstream => "上游",
            Stage::Midstream => "中游",
            Stage::Downstream => "下游",
        }
    }
}

/// The role of an enterprise on a segment: 链主 (leader) or 链属 (member).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Leader,
    Member,
}

/// A segment 环节. Segments form a tree of at most two levels (a segment and its
/// sub-segments) within one stage.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Segment {
    pub id: i64,
    pub name: String,
    pub stage: Stage,
    pub parent_id: Option<i64>,
    /// Retired segments stay in the map for history but are left out of every figure,
    /// together with their edges and placements.
    pub retired: bool,
}

/// `from` supplies `to` (segment ids). Cycles are allowed: chains loop (recycling feeds
/// raw materials back upstream).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SegmentEdge {
    pub from: i64,
    pub to: i64,
}

/// An enterprise placed on a segment.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Placement {
    pub segment_id: i64,
    pub enterprise_id: i64,
    pub role: Role,
    /// The enterprise is in the city.
    pub local: bool,
    /// The enterprise's yearly output in fen, for concentration (HHI).
    pub weight: i64,
}

/// An enterprise-to-enterprise supply relation 配套关系 (enterprise ids).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Supply {
    pub from: i64,
    pub to: i64,
    /// Yearly amount in fen.
    pub amount: i64,
    /// The supplier (`from`) is in the city.
    pub local: bool,
}

/// A placement of an enterprise of this chain on another chain, for cross-chain links.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OtherChainPlacement {
    pub enterprise_id: i64,
    pub chain_id: i64,
}

/// A snapshot of one chain map: what [`analyze`] reads.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ChainGraph {
    pub segments: Vec<Segment>,
    pub edges: Vec<SegmentEdge>,
    pub placements: Vec<Placement>,
    pub supplies: Vec<Supply>,
    #[serde(default)]
    pub other_chains: Vec<OtherChainPlacement>,
}

/// The thresholds of 锻长板·补短板·建新链: which segments are strong (长板, to forge),
/// weak (短板, to fill) and missing (新链, to build).
///
/// Defaults:
/// - `strong_min_local = 3`: a segment is strong only with at least three local enterprises,
///   enough for local competition and for one to fail without losing the segment;
/// - `weak_min_local = 1`: a segment with no local enterprise at all is missing;
/// - `strong_max_hhi = 0.5`: with three or more local enterprises but no local 链主, the
///   segment is still strong if output is not concentrated: an HHI of 0.5 is the
///   concentration of two equal firms (for scale, competition authorities call markets
///   above 0.25 highly concentrated; a city's segment holds few firms, hence the leniency).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Thresholds {
    pub strong_min_local: usize,
    pub weak_min_local: usize,
    pub strong_max_hhi: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { strong_min_local: 3, weak_min_local: 1, strong_max_hhi: 0.5 }
    }
}

// ---------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------

/// 锻长板·补短板·建新链. See [`Thresholds`] and [`SegmentFigures::strength`].
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// 长板: to forge.
    Strong,
    /// 短板: to fill.
    Weak,
    /// 新链: to build.
    Missing,
}

/// The figures of one (non-retired) segment. A parent segment counts the enterprises of its
/// sub-segments too: "who holds 正极材料" includes who holds 正极前驱体.
///
/// An enterprise placed several times within the segment (on the parent and on a child, or
/// twice) counts once: it is local if any of those placements says so, a leader if any is a
/// 链主 placement, and its weight is the largest of their weights (the weight is the
/// enterprise's output, not the placement's, so summing would count it twice).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SegmentFigures {
    pub id: i64,
    pub name: String,
    pub stage: Stage,
    /// Distinct enterprises placed on the segment or its sub-segments.
    pub enterprises: usize,
    /// Of those, the local ones.
    pub local_enterprises: usize,
    /// Local 链主.
    pub leaders: usize,
    /// `local_enterprises / strong_min_local`, capped at 1: 1 means the segment has as many
    /// local enterprises as a strong segment needs.
    pub coverage: f64,
    /// Missing when `local_enterprises < weak_min_local`; strong when
    /// `local_enterprises >= strong_min_local` and (there is a local 链主 or the HHI is at
    /// most `strong_max_hhi`); weak otherwise. A segment whose local weights are all zero has
    /// no HHI and so needs a local 链主 to be strong.
    pub strength: Strength,
    /// Herfindahl–Hirschman index of the local enterprises' weights: Σ shareᵢ² with shares in
    /// 0..1, so 1/n for n equal firms and 1 for a single one. `None` when the local weights
    /// sum to 0 (no local enterprise, or no output known).
    pub hhi: Option<f64>,
    /// The enterprise, when exactly one local enterprise holds the segment.
    pub sole_holder: Option<i64>,
    /// The segment lies on a path of segment edges from an upstream segment to a downstream
    /// one (it is reachable from an upstream segment and reaches a downstream one).
    pub on_path: bool,
}

/// Per stage: how many segments and how many are strong, weak, missing.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StageSummary {
    pub stage: Stage,
    /// Non-retired segments of the stage, parents and sub-segments alike.
    pub segments: usize,
    pub strong: usize,
    pub weak: usize,
    pub missing: usize,
}

/// A single point of failure.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SinglePoint {
    /// A segment held by exactly one local enterprise.
    Segment { segment_id: i64, enterprise_id: i64 },
    /// A local enterprise whose loss cuts the chain: it is an articulation point of the
    /// enterprise supply graph (`cut_paths > 0`), or it alone holds a segment that lies on an
    /// upstream→downstream path (`path_segments` not empty), or both.
    Enterprise {
        enterprise_id: i64,
        /// How many more pieces the enterprise supply graph falls into without it: the
        /// number of connected components its component splits into, minus one. The graph is
        /// the undirected view of the supplies among the enterprises of this chain (local or
        /// not). Counting the (upstream, downstream) segment pairs it disconnects instead
        /// would need reachability between all pairs, which a province-scale map cannot
        /// afford; this count is linear (Tarjan's articulation points).
        cut_paths: usize,
        /// The segments on an upstream→downstream path that it alone holds (input order).
        path_segments: Vec<i64>,
    },
}

/// An enterprise of this chain that is also placed on other chains.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CrossChainLink {
    pub enterprise_id: i64,
    /// Sorted, distinct.
    pub chain_ids: Vec<i64>,
}

/// The analytics of one chain map.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Analysis {
    /// Non-retired segments, in input order.
    pub segments: Vec<SegmentFigures>,
    /// Upstream, midstream, downstream.
    pub stage_summary: Vec<StageSummary>,
    /// Distinct enterprises placed on non-retired segments.
    pub enterprises: usize,
    /// Of those, the local ones (local on at least one of their placements).
    pub local_enterprises: usize,
    /// 本地配套率: of the yearly amount bought by enterprises of this chain (the buyer, `to`,
    /// is placed on a non-retired segment; the supplier may be anyone), the share supplied by
    /// local suppliers. `None` when the chain's enterprises buy nothing.
    pub local_supporting_rate: Option<f64>,
    /// Some upstream segment reaches some downstream segment through segment edges.
    pub upstream_reaches_downstream: bool,
    /// Segments first (input order), then enterprises (by id).
    pub single_points_of_failure: Vec<SinglePoint>,
    /// By enterprise id.
    pub cross_chain: Vec<CrossChainLink>,
}

/// A change to simulate. JSON: `{"remove_enterprise": 42}` or
/// `{"add_candidate": {"enterprise_id": 7, "segment_id": 3, "local": true, "weight": 0}}`
/// (serde's external tagging: an internal `kind` tag cannot carry a bare id).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The enterprise leaves: its placements and its supplies (either side) go.
    RemoveEnterprise(i64),
    /// An investment-attraction candidate is placed on a segment as a 链属 (member).
    AddCandidate { enterprise_id: i64, segment_id: i64, local: bool, weight: i64 },
}

/// The analytics before and after a [`Change`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WhatIf {
    pub before: Analysis,
    pub after: Analysis,
    /// Segments whose figures differ, in input order.
    pub changed_segments: Vec<i64>,
    /// `after − before`; `None` when either rate is `None`.
    pub local_supporting_rate_delta: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChainMapError {
    #[error("环节编号 {id} 重复（“{name}”）")]
    DuplicateSegment { id: i64, name: String },
    #[error("环节 {id}（{name}）的上级环节 {parent_id} 不存在")]
    ParentMissing { id: i64, name: String, parent_id: i64 },
    #[error("环节 {id}（{name}）的上级关系形成循环")]
    ParentCycle { id: i64, name: String },
    #[error("环节 {id}（{name}，{stage}）与上级环节 {parent_id}（{parent_name}，{parent_stage}）不在同一阶段")]
    ParentStage {
        id: i64,
        name: String,
        stage: &'static str,
        parent_id: i64,
        parent_name: String,
        parent_stage: &'static str,
    },
    #[error("环节 {id}（{name}）的上级环节 {parent_id}（{parent_name}）本身也有上级：环节最多分两级")]
    TooDeep { id: i64, name: String, parent_id: i64, parent_name: String },
    #[error("环节关联 {from} → {to} 指向不存在的环节 {missing}")]
    EdgeMissingSegment { from: i64, to: i64, missing: i64 },
    #[error("环节 {id}（{name}）不能关联到自身")]
    SelfLoop { id: i64, name: String },
    #[error("企业 {enterprise_id} 所在的环节 {segment_id} 不存在")]
    PlacementMissingSegment { enterprise_id: i64, segment_id: i64 },
    #[error("企业 {enterprise_id} 在环节 {segment_id} 的权重（产值）不能为负数：{weight}")]
    NegativeWeight { enterprise_id: i64, segment_id: i64, weight: i64 },
    #[error("企业 {from} 向企业 {to} 的配套金额不能为负数：{amount}")]
    NegativeAmount { from: i64, to: i64, amount: i64 },
    #[error("分析阈值无效：{0}")]
    Thresholds(String),
    #[error("企业 {0} 不在本链上")]
    UnknownEnterprise(i64),
    #[error("候选企业 {enterprise_id} 的目标环节 {segment_id} 不存在或已退出")]
    CandidateSegment { enterprise_id: i64, segment_id: i64 },
}

// ---------------------------------------------------------------------------------------
// Ids → dense indices
// ---------------------------------------------------------------------------------------

/// Ids are database integers, not attacker-chosen keys of a long-lived table: one
/// multiply-xorshift round (the splitmix64 finaliser) hashes them several times faster than
/// the default SipHash, which matters with 10⁶ lookups per analysis.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_i64(&mut self, n: i64) {
        let mut z = (n as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = z ^ (z >> 31);
    }
}

type IdMap<V> = HashMap<i64, V, BuildHasherDefault<IdHasher>>;

fn id_map<V>(capacity: usize) -> IdMap<V> {
    HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default())
}

/// Marks "none" in dense index arrays.
const NONE: u32 = u32::MAX;

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

/// Checks a map before analysis: segment ids unique; every parent exists, is in the same
/// stage, has no parent itself (two levels) and the hierarchy has no cycle (a retired parent
/// of a live segment is fine); segment edges join existing segments and are no self-loops;
/// placements are on existing segments; weights and amounts are not negative. Cycles of
/// segment edges and of supplies are allowed.
pub fn validate(g: &ChainGraph) -> Result<(), ChainMapError> {
    segment_index(g).map(|_| ())
}

/// Validates and returns segment id → position in `g.segments`.
fn segment_index(g: &ChainGraph) -> Result<IdMap<u32>, ChainMapError> {
    let segs = &g.segments;
    let mut ix: IdMap<u32> = id_map(segs.len());
    for (i, s) in segs.iter().enumerate() {
        if ix.insert(s.id, i as u32).is_some() {
            return Err(ChainMapError::DuplicateSegment { id: s.id, name: s.name.clone() });
        }
    }
    // Parent positions; a missing parent is refused first so the later passes can index.
    let mut parent = vec![NONE; segs.len()];
    for (i, s) in segs.iter().enumerate() {
        if let Some(p) = s.parent_id {
            match ix.get(&p) {
                Some(&pi) => parent[i] = pi,
                None => return Err(ChainMapError::ParentMissing { id: s.id, name: s.name.clone(), parent_id: p }),
            }
        }
    }
    // Cycles: follow parent links, colouring each segment once (0 new, 1 on the current
    // walk, 2 done): linear whatever the depth.
    let mut colour = vec![0u8; segs.len()];
    let mut walk = Vec::new();
    for start in 0..segs.len() {
        let mut i = start as u32;
        while i != NONE && colour[i as usize] == 0 {
            colour[i as usize] = 1;
            walk.push(i);
            i = parent[i as usize];
        }
        if i != NONE && colour[i as usize] == 1 {
            let s = &segs[i as usize];
            return Err(ChainMapError::ParentCycle { id: s.id, name: s.name.clone() });
        }
        for w in walk.drain(..) {
            colour[w as usize] = 2;
        }
    }
    for (i, s) in segs.iter().enumerate() {
        let pi = parent[i];
        if pi == NONE {
            continue;
        }
        let p = &segs[pi as usize];
        if p.stage != s.stage {
            return Err(ChainMapError::ParentStage {
                id: s.id,
                name: s.name.clone(),
                stage: s.stage.label(),
                parent_id: p.id,
                parent_name: p.name.clone(),
                parent_stage: p.stage.label(),
            });
        }
        if parent[pi as usize] != NONE {
            return Err(ChainMapError::TooDeep {
                id: s.id,
                name: s.name.clone(),
                parent_id: p.id,
                parent_name: p.name.clone(),
            });
        }
    }
    for e in &g.edges {
        for end in [e.from, e.to] {
            if !ix.contains_key(&end) {
                return Err(ChainMapError::EdgeMissingSegment { from: e.from, to: e.to, missing: end });
            }
        }
        if e.from == e.to {
            let s = &segs[ix[&e.from] as usize];
            return Err(ChainMapError::SelfLoop { id: s.id, name: s.name.clone() });
        }
    }
    for p in &g.placements {
        if !ix.contains_key(&p.segment_id) {
            return Err(ChainMapError::PlacementMissingSegment {
                enterprise_id: p.enterprise_id,
                segment_id: p.segment_id,
            });
        }
        if p.weight < 0 {
            return Err(ChainMapError::NegativeWeight {
                enterprise_id: p.enterprise_id,
                segment_id: p.segment_id,
                weight: p.weight,
            });
        }
    }
    for s in &g.supplies {
        if s.amount < 0 {
            return Err(ChainMapError::NegativeAmount { from: s.from, to: s.to, amount: s.amount });
        }
    }
    Ok(ix)
}

fn check_thresholds(t: &Thresholds) -> Result<(), ChainMapError> {
    if t.strong_min_local == 0 {
        return Err(ChainMapError::Thresholds("长板所需本地企业数至少为 1".into()));
    }
    if t.weak_min_local > t.strong_min_local {
        return Err(ChainMapError::Thresholds(format!(
            "短板所需本地企业数（{}）不能大于长板所需本地企业数（{}）",
            t.weak_min_local, t.strong_min_local
        )));
    }
    if !(0.0..=1.0).contains(&t.strong_max_hhi) {
        return Err(ChainMapError::Thresholds(format!("长板集中度上限应在 0 到 1 之间，当前为 {}", t.strong_max_hhi)));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Analysis
// ---------------------------------------------------------------------------------------

/// Validates the map and the thresholds, then computes the [`Analysis`]. Retired segments,
/// and the edges and placements that touch them, are ignored.
pub fn analyze(g: &ChainGraph, t: &Thresholds) -> Result<Analysis, ChainMapError> {
    check_thresholds(t)?;
    let seg_ix = segment_index(g)?;
    Ok(analyze_valid(g, t, &seg_ix))
}

/// Per enterprise within one segment (parent plus children): see [`SegmentFigures`].
#[derive(Clone, Copy)]
struct Holder {
    ent: u32,
    local: bool,
    leader: bool,
    weight: i64,
}

fn analyze_valid(g: &ChainGraph, t: &Thresholds, seg_ix: &IdMap<u32>) -> Analysis {
    let segs = &g.segments;
    let n = segs.len();
    let live: Vec<bool> = segs.iter().map(|s| !s.retired).collect();
    // The live parent of a live segment (a retired parent is ignored, its children stay).
    let parent: Vec<u32> = segs
        .iter()
        .enumerate()
        .map(|(i, s)| match s.parent_id {
            Some(p) if live[i] => {
                let pi = seg_ix[&p];
                if live[pi as usize] { pi } else { NONE }
            }
            _ => NONE,
        })
        .collect();

    // Enterprises of the chain: those placed on a live segment, densely numbered.
    let mut ent_ix: IdMap<u32> = id_map(g.placements.len() / 2 + 1);
    let mut ent_ids: Vec<i64> = Vec::new();
    let mut ent_local: Vec<bool> = Vec::new();
    // (segment position, enterprise index) of each live placement, in input order.
    let mut placed: Vec<(u32, u32)> = Vec::with_capacity(g.placements.len());
    let mut live_placements: Vec<&Placement> = Vec::with_capacity(g.placements.len());
    // How many placements each segment sees: its own plus its children's.
    let mut start = vec![0u32; n + 1];
    for p in &g.placements {
        let s = seg_ix[&p.segment_id];
        if !live[s as usize] {
            continue;
        }
        let e = *ent_ix.entry(p.enterprise_id).or_insert_with(|| {
            ent_ids.push(p.enterprise_id);
            ent_local.push(false);
            (ent_ids.len() - 1) as u32
        });
        ent_local[e as usize] |= p.local;
        placed.push((s, e));
        live_placements.push(p);
        start[s as usize + 1] += 1;
        if parent[s as usize] != NONE {
            start[parent[s as usize] as usize + 1] += 1;
        }
    }
    let ents = ent_ids.len();
    // Bucket the placements by segment (counting sort: `start` becomes offsets).
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut bucket = vec![0u32; start[n] as usize];
    for (k, &(s, _)) in placed.iter().enumerate() {
        for target in [s, parent[s as usize]] {
            if target != NONE {
                bucket[fill[target as usize] as usize] = k as u32;
                fill[target as usize] += 1;
            }
        }
    }

    // Segment graph of live segments; which segments lie on an upstream→downstream path.
    let on_path = segment_paths(g, seg_ix, &live);
    let upstream_reaches_downstream =
        segs.iter().zip(&on_path).any(|(s, &(fwd, _))| fwd && s.stage == Stage::Downstream);

    // Per-segment figures. `stamp[e] == s` marks enterprise e as already seen in segment s.
    let mut stamp = vec![NONE; ents];
    let mut slot = vec![0u32; ents];
    let mut holders: Vec<Holder> = Vec::new();
    let mut figures = Vec::with_capacity(n);
    let mut path_segments: Vec<Vec<i64>> = vec![Vec::new(); ents];
    let mut segment_spofs = Vec::new();
    for (s, seg) in segs.iter().enumerate() {
        if !live[s] {
            continue;
        }
        holders.clear();
        for &k in &bucket[start[s] as usize..start[s + 1] as usize] {
            let (_, e) = placed[k as usize];
            let p = live_placements[k as usize];
            let leader = p.role == Role::Leader;
            if stamp[e as usize] == s as u32 {
                let h = &mut holders[slot[e as usize] as usize];
                h.local |= p.local;
                h.leader |= leader;
                h.weight = h.weight.max(p.weight);
            } else {
                stamp[e as usize] = s as u32;
                slot[e as usize] = holders.len() as u32;
                holders.push(Holder { ent: e, local: p.local, leader, weight: p.weight });
            }
        }
        let local: Vec<&Holder> = holders.iter().filter(|h| h.local).collect();
        let leaders = local.iter().filter(|h| h.leader).count();
        let total: i128 = local.iter().map(|h| i128::from(h.weight)).sum();
        // Σ shareᵢ² ≤ (Σ shareᵢ)² = 1; the clamp only absorbs rounding.
        let hhi = (total > 0).then(|| {
            let total = total as f64;
            local.iter().map(|h| (h.weight as f64 / total).powi(2)).sum::<f64>().min(1.0)
        });
        let strength = if local.len() < t.weak_min_local {
            Strength::Missing
        } else if local.len() >= t.strong_min_local && (leaders > 0 || hhi.is_some_and(|h| h <= t.strong_max_hhi)) {
            Strength::Strong
        } else {
            Strength::Weak
        };
        let sole_holder = (local.len() == 1).then(|| ent_ids[local[0].ent as usize]);
        let seg_on_path = on_path[s].0 && on_path[s].1;
        if let Some(e) = sole_holder {
            segment_spofs.push(SinglePoint::Segment { segment_id: seg.id, enterprise_id: e });
            if seg_on_path {
                path_segments[local[0].ent as usize].push(seg.id);
            }
        }
        figures.push(SegmentFigures {
            id: seg.id,
            name: seg.name.clone(),
            stage: seg.stage,
            enterprises: holders.len(),
            local_enterprises: local.len(),
            leaders,
            coverage: (local.len() as f64 / t.strong_min_local as f64).min(1.0),
            strength,
            hhi,
            sole_holder,
            on_path: seg_on_path,
        });
    }

    // 本地配套率 and the enterprise supply graph (undirected, self-supplies left out).
    let (mut bought, mut bought_local) = (0i128, 0i128);
    let mut supply_graph = UnGraph::<(), (), u32>::with_capacity(ents, g.supplies.len());
    for _ in 0..ents {
        supply_graph.add_node(());
    }
    for s in &g.supplies {
        let Some(&to) = ent_ix.get(&s.to) else { continue };
        bought += i128::from(s.amount);
        if s.local {
            bought_local += i128::from(s.amount);
        }
        if let Some(&from) = ent_ix.get(&s.from)
            && from != to
        {
            supply_graph.add_edge(NodeIndex::new(from as usize), NodeIndex::new(to as usize), ());
        }
    }
    let local_supporting_rate = (bought > 0).then(|| bought_local as f64 / bought as f64);
    let cuts = cut_counts(&supply_graph);

    let mut spof_ents: Vec<u32> = (0..ents as u32)
        .filter(|&e| ent_local[e as usize] && (cuts[e as usize] > 0 || !path_segments[e as usize].is_empty()))
        .collect();
    spof_ents.sort_unstable_by_key(|&e| ent_ids[e as usize]);
    let mut single_points_of_failure = segment_spofs;
    single_points_of_failure.extend(spof_ents.into_iter().map(|e| SinglePoint::Enterprise {
        enterprise_id: ent_ids[e as usize],
        cut_paths: cuts[e as usize] as usize,
        path_segments: std::mem::take(&mut path_segments[e as usize]),
    }));

    let stage_summary = Stage::ALL
        .iter()
        .map(|&stage| {
            let mut sum = StageSummary { stage, segments: 0, strong: 0, weak: 0, missing: 0 };
            for f in figures.iter().filter(|f| f.stage == stage) {
                sum.segments += 1;
                match f.strength {
                    Strength::Strong => sum.strong += 1,
                    Strength::Weak => sum.weak += 1,
                    Strength::Missing => sum.missing += 1,
                }
            }
            sum
        })
        .collect();

    let mut links: Vec<(i64, i64)> = g
        .other_chains
        .iter()
        .filter(|o| ent_ix.contains_key(&o.enterprise_id))
        .map(|o| (o.enterprise_id, o.chain_id))
        .collect();
    links.sort_unstable();
    links.dedup();
    let mut cross_chain: Vec<CrossChainLink> = Vec::new();
    for (e, c) in links {
        match cross_chain.last_mut() {
            Some(l) if l.enterprise_id == e => l.chain_ids.push(c),
            _ => cross_chain.push(CrossChainLink { enterprise_id: e, chain_ids: vec![c] }),
        }
    }

    Analysis {
        segments: figures,
        stage_summary,
        enterprises: ents,
        local_enterprises: ent_local.iter().filter(|l| **l).count(),
        local_supporting_rate,
        upstream_reaches_downstream,
        single_points_of_failure,
        cross_chain,
    }
}

/// For each segment position: (reachable from a live upstream segment, reaches a live
/// downstream segment), following the edges between live segments. Two multi-source
/// breadth-first searches, forward and on the reversed graph: O(V + E).
fn segment_paths(g: &ChainGraph, seg_ix: &IdMap<u32>, live: &[bool]) -> Vec<(bool, bool)> {
    let n = g.segments.len();
    let mut graph = DiGraph::<(), (), u32>::with_capacity(n, g.edges.len());
    for _ in 0..n {
        graph.add_node(());
    }
    for e in &g.edges {
        let (a, b) = (seg_ix[&e.from] as usize, seg_ix[&e.to] as usize);
        if live[a] && live[b] {
            graph.add_edge(NodeIndex::new(a), NodeIndex::new(b), ());
        }
    }
    let sources = |stage: Stage| {
        g.segments.iter().enumerate().filter(move |(i, s)| live[*i] && s.stage == stage).map(|(i, _)| NodeIndex::new(i))
    };
    let mut out = vec![(false, false); n];
    // A Bfs seeded with every source at once (its queue and visit map are public).
    let mut fwd = Bfs { stack: Default::default(), discovered: graph.visit_map() };
    for s in sources(Stage::Upstream) {
        fwd.discovered.visit(s);
        fwd.stack.push_back(s);
    }
    while let Some(v) = fwd.next(&graph) {
        out[v.index()].0 = true;
    }
    let rev = Reversed(&graph);
    let mut bwd = Bfs { stack: Default::default(), discovered: rev.visit_map() };
    for s in sources(Stage::Downstream) {
        bwd.discovered.visit(s);
        bwd.stack.push_back(s);
    }
    while let Some(v) = bwd.next(rev) {
        out[v.index()].1 = true;
    }
    out
}

/// For every node of an undirected graph: how many more connected components the graph has
/// without it (0 for a node that is no articulation point, and for an isolated one).
///
/// Tarjan's low-link depth-first search, iterative (an explicit stack of neighbour
/// iterators) because a supply chain can be a path of 10⁵ enterprises, far deeper than the
/// thread stack allows recursion. A non-root node v splits off one piece per DFS child c with
/// `low[c] >= disc[v]`; the root splits into one piece per DFS child, one of which is the
/// component that remains. `petgraph::algo::articulation_points` gives the same set (the
/// tests check it) but not the counts.
fn cut_counts(graph: &UnGraph<(), (), u32>) -> Vec<u32> {
    let n = graph.node_count();
    let mut disc = vec![0u32; n]; // 0 = not visited; discovery times start at 1
    let mut low = vec![0u32; n];
    let mut cuts = vec![0u32; n];
    let mut time = 0u32;
    let mut stack = Vec::new();
    for root in graph.node_indices() {
        if disc[root.index()] != 0 {
            continue;
        }
        time += 1;
        disc[root.index()] = time;
        low[root.index()] = time;
        stack.push((root, NONE, graph.neighbors(root)));
        while let Some((v, parent, next)) = stack.last_mut() {
            let (v, parent) = (*v, *parent);
            if let Some(w) = next.next() {
                // The edge back to the DFS parent is no back edge (parallel edges to the
                // parent would be, but do not change which nodes are articulation points).
                if w.index() as u32 == parent {
                    continue;
                }
                if disc[w.index()] == 0 {
                    time += 1;
                    disc[w.index()] = time;
                    low[w.index()] = time;
                    stack.push((w, v.index() as u32, graph.neighbors(w)));
                } else {
                    low[v.index()] = low[v.index()].min(disc[w.index()]);
                }
            } else {
                stack.pop();
                if parent != NONE {
                    let p = parent as usize;
                    low[p] = low[p].min(low[v.index()]);
                    if low[v.index()] >= disc[p] {
                        cuts[p] += 1;
                    }
                }
            }
        }
        // The root counted every DFS child; one of the pieces is what remains.
        cuts[root.index()] = cuts[root.index()].saturating_sub(1);
    }
    cuts
}

// ---------------------------------------------------------------------------------------
// What-if
// ---------------------------------------------------------------------------------------

/// The analytics before and after `change`. Removing an enterprise that appears in no
/// placement and no supply, or adding a candidate on a missing or retired segment, is refused.
pub fn what_if(g: &ChainGraph, t: &Thresholds, change: &Change) -> Result<WhatIf, ChainMapError> {
    let before = analyze(g, t)?;
    let mut changed = g.clone();
    match *change {
        Change::RemoveEnterprise(id) => {
            let known = g.placements.iter().any(|p| p.enterprise_id == id)
                || g.supplies.iter().any(|s| s.from == id || s.to == id);
            if !known {
                return Err(ChainMapError::UnknownEnterprise(id));
            }
            changed.placements.retain(|p| p.enterprise_id != id);
            changed.supplies.retain(|s| s.from != id && s.to != id);
            changed.other_chains.retain(|o| o.enterprise_id != id);
        }
        Change::AddCandidate { enterprise_id, segment_id, local, weight } => {
            if !g.segments.iter().any(|s| s.id == segment_id && !s.retired) {
                return Err(ChainMapError::CandidateSegment { enterprise_id, segment_id });
            }
            changed.placements.push(Placement { segment_id, enterprise_id, role: Role::Member, local, weight });
        }
    }
    let after = analyze(&changed, t)?;
    // The change touches no segment, so both lists hold the same segments in the same order.
    let changed_segments =
        before.segments.iter().zip(&after.segments).filter(|(b, a)| b != a).map(|(b, _)| b.id).collect();
    let local_supporting_rate_delta = before.local_supporting_rate.zip(after.local_supporting_rate).map(|(b, a)| a - b);
    Ok(WhatIf { before, after, changed_segments, local_supporting_rate_delta })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seg(id: i64, name: &str, stage: Stage, parent_id: Option<i64>) -> Segment {
        Segment { id, name: name.into(), stage, parent_id, retired: false }
    }

    fn place(segment_id: i64, enterprise_id: i64, role: Role, local: bool, weight: i64) -> Placement {
        Placement { segment_id, enterprise_id, role, local, weight }
    }

    fn supply(from: i64, to: i64, amount: i64, local: bool) -> Supply {
        Supply { from, to, amount, local }
    }

    fn edge(from: i64, to: i64) -> SegmentEdge {
        SegmentEdge { from, to }
    }

    /// Six segments, eight enterprises (105 is the only non-local one):
    ///
    /// ```text
    /// upstream    1 锂矿 ──┬──> 2 正极材料 ──> 4 电芯 ──> 5 电池回收
    ///                     │     └ 3 正极前驱体 (child of 2)
    ///                     └──────────────> 3
    /// upstream    6 锂盐 ──────────────────> 3
    /// ```
    ///
    /// Supplies (undirected view): 101–102–104 a triangle, 104–106, 106–105, 106–107; 108
    /// buys and sells nothing. So 104 and 106 are articulation points.
    fn sample() -> ChainGraph {
        use Role::*;
        use Stage::*;
        ChainGraph {
            segments: vec![
                seg(1, "锂矿", Upstream, None),
                seg(2, "正极材料", Midstream, None),
                seg(3, "正极前驱体", Midstream, Some(2)),
                seg(4, "电芯", Downstream, None),
                seg(5, "电池回收", Downstream, None),
                seg(6, "锂盐", Upstream, None),
            ],
            edges: vec![edge(1, 2), edge(2, 4), edge(1, 3), edge(6, 3), edge(4, 5)],
            placements: vec![
                place(1, 101, Leader, true, 60),
                place(1, 102, Member, true, 40),
                place(1, 103, Member, true, 0),
                place(2, 104, Member, true, 50),
                place(3, 104, Member, true, 30),
                place(3, 105, Member, false, 70),
                place(4, 106, Member, true, 80),
                place(4, 107, Member, true, 10),
                place(4, 108, Member, true, 10),
                place(5, 105, Member, false, 5),
                place(6, 102, Member, true, 1),
                place(6, 103, Member, true, 1),
                place(6, 107, Member, true, 1),
            ],
            supplies: vec![
                supply(101, 104, 100, true),
                supply(102, 104, 50, true),
                supply(104, 106, 200, true),
                supply(105, 106, 150, false),
                supply(106, 107, 30, true),
                supply(999, 101, 20, false), // supplier outside the chain: counts for the rate
                supply(102, 101, 10, true),  // closes a supply cycle 101 → 104 ← 102 → 101
                supply(106, 888, 1000, true), // buyer outside the chain: not counted
            ],
            other_chains: vec![
                OtherChainPlacement { enterprise_id: 104, chain_id: 9 },
                OtherChainPlacement { enterprise_id: 104, chain_id: 7 },
                OtherChainPlacement { enterprise_id: 104, chain_id: 9 },
                OtherChainPlacement { enterprise_id: 999, chain_id: 3 },
                OtherChainPlacement { enterprise_id: 101, chain_id: 2 },
            ],
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn figures(a: &Analysis, id: i64) -> &SegmentFigures {
        a.segments.iter().find(|s| s.id == id).expect("segment in the analysis")
    }

    fn enterprise_spofs(a: &Analysis) -> Vec<(i64, usize, Vec<i64>)> {
        a.single_points_of_failure
            .iter()
            .filter_map(|p| match p {
                SinglePoint::Enterprise { enterprise_id, cut_paths, path_segments } => {
                    Some((*enterprise_id, *cut_paths, path_segments.clone()))
                }
                SinglePoint::Segment { .. } => None,
            })
            .collect()
    }

    fn segment_spofs(a: &Analysis) -> Vec<(i64, i64)> {
        a.single_points_of_failure
            .iter()
            .filter_map(|p| match p {
                SinglePoint::Segment { segment_id, enterprise_id } => Some((*segment_id, *enterprise_id)),
                SinglePoint::Enterprise { .. } => None,
            })
            .collect()
    }

    #[test]
    fn chainmap_hand_computed_chain() {
        let a = analyze(&sample(), &Thresholds::default()).unwrap();
        assert_eq!(a.segments.iter().map(|s| s.id).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);

        // 锂矿: three local, a local leader, weights 60/40/0 → HHI .36 + .16 = .52; strong.
        let s1 = figures(&a, 1);
        assert_eq!((s1.enterprises, s1.local_enterprises, s1.leaders), (3, 3, 1));
        assert!(close(s1.coverage, 1.0));
        assert!(close(s1.hhi.unwrap(), 0.52));
        assert_eq!((s1.strength, s1.sole_holder, s1.on_path), (Strength::Strong, None, true));

        // 正极前驱体: 104 local (30), 105 not → one local, HHI 1, weak, sole holder 104; not
        // on a path (it reaches no downstream segment).
        let s3 = figures(&a, 3);
        assert_eq!((s3.enterprises, s3.local_enterprises, s3.leaders), (2, 1, 0));
        assert!(close(s3.coverage, 1.0 / 3.0));
        assert!(close(s3.hhi.unwrap(), 1.0));
        assert_eq!((s3.strength, s3.sole_holder, s3.on_path), (Strength::Weak, Some(104), false));

        // 正极材料 counts its child: {104, 105}, 104 once (weight max(50, 30)).
        let s2 = figures(&a, 2);
        assert_eq!((s2.enterprises, s2.local_enterprises), (2, 1));
        assert_eq!((s2.strength, s2.sole_holder, s2.on_path), (Strength::Weak, Some(104), true));

        // 电芯: three local, no leader, 80/10/10 → HHI .66 > .5: weak despite three.
        let s4 = figures(&a, 4);
        assert_eq!((s4.local_enterprises, s4.leaders), (3, 0));
        assert!(close(s4.hhi.unwrap(), 0.66));
        assert_eq!(s4.strength, Strength::Weak);

        // 电池回收: only a non-local enterprise → missing, no HHI, coverage 0.
        let s5 = figures(&a, 5);
        assert_eq!((s5.enterprises, s5.local_enterprises, s5.hhi), (1, 0, None));
        assert_eq!((s5.strength, s5.coverage), (Strength::Missing, 0.0));

        // 锂盐: three equal local members → HHI 1/3 ≤ .5: strong without a leader.
        let s6 = figures(&a, 6);
        assert!(close(s6.hhi.unwrap(), 1.0 / 3.0));
        assert_eq!((s6.strength, s6.on_path), (Strength::Strong, false));

        // Bought by chain enterprises: 100 + 50 + 200 + 150 + 30 + 20 + 10 = 560, locally 390.
        assert!(close(a.local_supporting_rate.unwrap(), 390.0 / 560.0));
        assert_eq!((a.enterprises, a.local_enterprises), (8, 7));
        assert!(a.upstream_reaches_downstream);

        assert_eq!(segment_spofs(&a), [(2, 104), (3, 104)]);
        // 104 splits the supply graph in two and alone holds 正极材料 (on the path); 106 splits
        // it in three (104's side, 105, 107).
        assert_eq!(enterprise_spofs(&a), [(104, 1, vec![2]), (106, 2, vec![])]);

        let summary: Vec<_> =
            a.stage_summary.iter().map(|s| (s.stage, s.segments, s.strong, s.weak, s.missing)).collect();
        assert_eq!(
            summary,
            [(Stage::Upstream, 2, 2, 0, 0), (Stage::Midstream, 2, 0, 2, 0), (Stage::Downstream, 2, 0, 1, 1)]
        );
        assert_eq!(
            a.cross_chain,
            [
                CrossChainLink { enterprise_id: 101, chain_ids: vec![2] },
                CrossChainLink { enterprise_id: 104, chain_ids: vec![7, 9] }
            ]
        );
    }

    #[test]
    fn chainmap_hhi_of_two_firms_sixty_forty() {
        let mut g = sample();
        g.placements.retain(|p| p.segment_id != 1 || p.enterprise_id != 103);
        let a = analyze(&g, &Thresholds::default()).unwrap();
        let s1 = figures(&a, 1);
        assert!(close(s1.hhi.unwrap(), 0.52));
        assert!(close(s1.coverage, 2.0 / 3.0));
        assert_eq!(s1.strength, Strength::Weak);
    }

    #[test]
    fn chainmap_thresholds_change_strength() {
        let g = sample();
        let lenient = Thresholds { strong_min_local: 3, weak_min_local: 1, strong_max_hhi: 0.7 };
        assert_eq!(figures(&analyze(&g, &lenient).unwrap(), 4).strength, Strength::Strong);
        let strict = Thresholds { strong_min_local: 4, weak_min_local: 2, strong_max_hhi: 0.5 };
        let a = analyze(&g, &strict).unwrap();
        assert_eq!(figures(&a, 1).strength, Strength::Weak);
        assert_eq!(figures(&a, 3).strength, Strength::Missing);
        assert!(close(figures(&a, 1).coverage, 0.75));
        let bad = Thresholds { strong_min_local: 1, weak_min_local: 2, strong_max_hhi: 0.5 };
        assert!(matches!(analyze(&g, &bad), Err(ChainMapError::Thresholds(_))));
        let bad = Thresholds { strong_max_hhi: f64::NAN, ..Thresholds::default() };
        assert!(matches!(analyze(&g, &bad), Err(ChainMapError::Thresholds(_))));
    }

    #[test]
    fn chainmap_validation_refusals_name_the_culprit() {
        let t = Thresholds::default();
        let refuse = |g: ChainGraph| analyze(&g, &t).unwrap_err().to_string();

        let mut g = sample();
        g.segments[0].parent_id = Some(6);
        g.segments[5].parent_id = Some(1);
        let m = refuse(g);
        assert!(m.contains("循环") && (m.contains("环节 1（锂矿）") || m.contains("环节 6（锂盐）")), "{m}");

        let mut g = sample();
        g.segments[3].parent_id = Some(4);
        assert!(refuse(g).contains("环节 4（电芯）的上级关系形成循环"));

        let mut g = sample();
        g.edges.push(edge(4, 77));
        assert_eq!(refuse(g), "环节关联 4 → 77 指向不存在的环节 77");

        let mut g = sample();
        g.segments[4].parent_id = Some(2);
        assert_eq!(refuse(g), "环节 5（电池回收，下游）与上级环节 2（正极材料，中游）不在同一阶段");

        let mut g = sample();
        g.placements[4].weight = -1;
        assert_eq!(refuse(g), "企业 104 在环节 3 的权重（产值）不能为负数：-1");

        let mut g = sample();
        g.segments[2].parent_id = Some(42);
        assert_eq!(refuse(g), "环节 3（正极前驱体）的上级环节 42 不存在");

        let mut g = sample();
        g.segments.push(seg(3, "重复", Stage::Upstream, None));
        assert!(refuse(g).contains("环节编号 3 重复"));

        let mut g = sample();
        g.edges.push(edge(4, 4));
        assert_eq!(refuse(g), "环节 4（电芯）不能关联到自身");

        let mut g = sample();
        g.placements.push(place(55, 301, Role::Member, true, 1));
        assert_eq!(refuse(g), "企业 301 所在的环节 55 不存在");

        let mut g = sample();
        g.supplies.push(supply(101, 102, -5, true));
        assert_eq!(refuse(g), "企业 101 向企业 102 的配套金额不能为负数：-5");

        let mut g = sample();
        g.segments.push(seg(7, "三级环节", Stage::Midstream, Some(3)));
        assert!(refuse(g).contains("环节 7（三级环节）的上级环节 3（正极前驱体）本身也有上级"));

        // A retired parent of a live segment is fine.
        let mut g = sample();
        g.segments[1].retired = true;
        assert!(validate(&g).is_ok());
    }

    #[test]
    fn chainmap_cycles_of_supplies_and_edges_allowed() {
        let mut g = sample();
        g.edges.push(edge(5, 1)); // recycling feeds the mine
        g.supplies.push(supply(107, 102, 5, true));
        assert!(validate(&g).is_ok());
        let a = analyze(&g, &Thresholds::default()).unwrap();
        // The cycle 102 → 104 → 106 → 107 → 102 leaves 106 cutting off only 105.
        assert_eq!(enterprise_spofs(&a), [(104, 0, vec![2]), (106, 1, vec![])]);
        // Every segment now reaches downstream through the loop back to 锂矿, 3 and 6 aside.
        assert!(figures(&a, 1).on_path && figures(&a, 5).on_path && !figures(&a, 3).on_path);
    }

    #[test]
    fn chainmap_retired_segments_ignored() {
        let base = analyze(&sample(), &Thresholds::default()).unwrap();
        let mut g = sample();
        g.segments.push(Segment { retired: true, ..seg(7, "旧环节", Stage::Upstream, None) });
        g.segments.push(Segment { retired: true, ..seg(8, "旧子环节", Stage::Midstream, Some(2)) });
        g.edges.extend([edge(7, 4), edge(8, 4), edge(7, 2)]);
        g.placements.extend([
            place(7, 501, Role::Leader, true, 100),
            place(8, 502, Role::Leader, true, 100),
            place(8, 101, Role::Leader, true, 100),
        ]);
        // 501 would cut the supply graph if it were on the chain.
        g.supplies.extend([supply(501, 108, 7, true), supply(108, 502, 7, true)]);
        let a = analyze(&g, &Thresholds::default()).unwrap();
        assert_eq!(a.segments, base.segments);
        assert_eq!(a.single_points_of_failure, base.single_points_of_failure);
        assert_eq!((a.enterprises, a.stage_summary.clone()), (base.enterprises, base.stage_summary.clone()));
        // 108 (on 电芯) does buy 7 locally from 501, an enterprise of no live segment.
        assert!(close(a.local_supporting_rate.unwrap(), 397.0 / 567.0));

        // A retired parent: its live child stays, counted on its own.
        let mut g = sample();
        g.segments[1].retired = true;
        let a = analyze(&g, &Thresholds::default()).unwrap();
        assert_eq!(a.segments.iter().map(|s| s.id).collect::<Vec<_>>(), [1, 3, 4, 5, 6]);
        assert_eq!(figures(&a, 3).sole_holder, Some(104));
        assert!(!a.upstream_reaches_downstream);
    }

    #[test]
    fn chainmap_what_if_remove_enterprise() {
        let t = Thresholds::default();
        let w = what_if(&sample(), &t, &Change::RemoveEnterprise(104)).unwrap();
        assert_eq!(w.changed_segments, [2, 3]);
        assert_eq!(figures(&w.after, 2).strength, Strength::Missing);
        assert_eq!(figures(&w.after, 3).strength, Strength::Missing);
        assert_eq!(figures(&w.after, 3).sole_holder, None);
        // Left bought by the chain: 150 + 30 + 20 + 10 = 210, locally 40.
        assert!(close(w.after.local_supporting_rate.unwrap(), 40.0 / 210.0));
        assert!(close(w.local_supporting_rate_delta.unwrap(), 40.0 / 210.0 - 390.0 / 560.0));
        assert_eq!(segment_spofs(&w.after), []);
        assert_eq!(enterprise_spofs(&w.after), [(106, 1, vec![])]);
        assert_eq!(w.before, analyze(&sample(), &t).unwrap());
        assert_eq!(w.after.cross_chain, [CrossChainLink { enterprise_id: 101, chain_ids: vec![2] }]);

        assert_eq!(
            what_if(&sample(), &t, &Change::RemoveEnterprise(4242)).unwrap_err().to_string(),
            "企业 4242 不在本链上"
        );
    }

    #[test]
    fn chainmap_what_if_add_candidate() {
        let t = Thresholds::default();
        // A local candidate on the empty 电池回收: it becomes its sole holder, on the path.
        let add = Change::AddCandidate { enterprise_id: 201, segment_id: 5, local: true, weight: 100 };
        let w = what_if(&sample(), &t, &add).unwrap();
        assert_eq!(w.changed_segments, [5]);
        let s5 = figures(&w.after, 5);
        assert_eq!((s5.local_enterprises, s5.strength, s5.sole_holder), (1, Strength::Weak, Some(201)));
        assert_eq!(enterprise_spofs(&w.after), [(104, 1, vec![2]), (106, 2, vec![]), (201, 0, vec![5])]);
        assert_eq!(w.local_supporting_rate_delta, Some(0.0));

        // On a child segment: the child and its parent change.
        let add = Change::AddCandidate { enterprise_id: 202, segment_id: 3, local: true, weight: 30 };
        let w = what_if(&sample(), &t, &add).unwrap();
        assert_eq!(w.changed_segments, [2, 3]);
        assert!(close(figures(&w.after, 3).hhi.unwrap(), 0.5));
        // 正极材料: 104 at max(50, 30) = 50 and 202 at 30 → (5/8)² + (3/8)².
        assert!(close(figures(&w.after, 2).hhi.unwrap(), 0.53125));
        assert_eq!(segment_spofs(&w.after), []);

        let bad = Change::AddCandidate { enterprise_id: 203, segment_id: 99, local: true, weight: 1 };
        assert!(what_if(&sample(), &t, &bad).unwrap_err().to_string().contains("目标环节 99"));
        let bad = Change::AddCandidate { enterprise_id: 203, segment_id: 5, local: true, weight: -1 };
        assert_eq!(
            what_if(&sample(), &t, &bad).unwrap_err().to_string(),
            "企业 203 在环节 5 的权重（产值）不能为负数：-1"
        );
    }

    #[test]
    fn chainmap_json_format() {
        let json = r#"{"segments":[{"id":1,"name":"锂矿","stage":"upstream","parent_id":null,"retired":false}],
            "edges":[],"placements":[{"segment_id":1,"enterprise_id":7,"role":"leader","local":true,"weight":3}],
            "supplies":[{"from":8,"to":7,"amount":5,"local":false}]}"#;
        let g: ChainGraph = serde_json::from_str(json).unwrap();
        assert!(g.other_chains.is_empty());
        let a = analyze(&g, &Thresholds::default()).unwrap();
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["segments"][0]["strength"], "weak");
        assert_eq!(v["segments"][0]["stage"], "upstream");
        assert_eq!(v["local_supporting_rate"], 0.0);
        assert_eq!(
            v["single_points_of_failure"][0],
            serde_json::json!({"kind":"segment","segment_id":1,"enterprise_id":7})
        );
        let back: Analysis = serde_json::from_value(v).unwrap();
        assert_eq!(back, a);
        let c: Change =
            serde_json::from_str(r#"{"add_candidate":{"enterprise_id":1,"segment_id":2,"local":true,"weight":0}}"#)
                .unwrap();
        assert!(matches!(c, Change::AddCandidate { segment_id: 2, .. }));
        let r = Change::RemoveEnterprise(42);
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"remove_enterprise":42}"#);
        assert_eq!(serde_json::from_str::<Change>(r#"{"remove_enterprise":42}"#).unwrap(), r);
        let w = what_if(&sample(), &Thresholds::default(), &Change::RemoveEnterprise(104)).unwrap();
        // serde_json (without its `float_roundtrip` feature) may read a float back one ulp off,
        // so compare the floats with a tolerance.
        let back: WhatIf = serde_json::from_str(&serde_json::to_string(&w).unwrap()).unwrap();
        assert_eq!(
            (&back.changed_segments, &back.after.single_points_of_failure),
            (&w.changed_segments, &w.after.single_points_of_failure)
        );
        assert!(close(back.local_supporting_rate_delta.unwrap(), w.local_supporting_rate_delta.unwrap()));
    }

    /// xorshift64*: deterministic pseudo-random numbers without a dependency.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
        }
    }

    /// A valid random map: `n` segments (a fifth of them children), `e` edges mostly
    /// forward, `p` placements over `n / 2` enterprises, `s` supplies.
    fn random_graph(seed: u64, n: usize, e: usize, p: usize, s: usize) -> ChainGraph {
        let mut r = Rng(seed | 1);
        let mut segments: Vec<Segment> = Vec::with_capacity(n);
        for i in 0..n {
            let stage = Stage::ALL[i * 3 / n.max(1)];
            let parent_id = (i > 0 && r.below(5) == 0)
                .then(|| r.below(i as u64) as usize)
                .filter(|&j| segments[j].stage == stage && segments[j].parent_id.is_none())
                .map(|j| j as i64 + 1);
            segments.push(Segment {
                id: i as i64 + 1,
                name: format!("环节{i}"),
                stage,
                parent_id,
                retired: r.below(50) == 0,
            });
        }
        let mut edges = Vec::with_capacity(e);
        while edges.len() < e && n > 1 {
            let (a, b) = (r.below(n as u64) as i64 + 1, r.below(n as u64) as i64 + 1);
            if a != b {
                edges.push(if r.below(10) == 0 { edge(a.max(b), a.min(b)) } else { edge(a.min(b), a.max(b)) });
            }
        }
        let ents = (n / 2).max(1) as u64;
        let placements = (0..p)
            .map(|_| {
                let role = if r.below(10) == 0 { Role::Leader } else { Role::Member };
                place(
                    r.below(n as u64) as i64 + 1,
                    10_000 + r.below(ents) as i64,
                    role,
                    r.below(3) > 0,
                    r.below(1_000) as i64,
                )
            })
            .collect();
        let supplies = (0..s)
            .map(|_| {
                supply(
                    10_000 + r.below(ents + 5) as i64,
                    10_000 + r.below(ents + 5) as i64,
                    r.below(10_000) as i64,
                    r.below(2) == 0,
                )
            })
            .collect();
        ChainGraph { segments, edges, placements, supplies, other_chains: Vec::new() }
    }

    /// Components of `g` without node `skip` (petgraph's union-find count, on a copy).
    fn components_without(g: &UnGraph<(), (), u32>, skip: Option<usize>) -> usize {
        let mut h = g.clone();
        if let Some(v) = skip {
            h.remove_node(NodeIndex::new(v));
        }
        petgraph::algo::connected_components(&h)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn chainmap_figures_in_range(seed in any::<u64>(), n in 1usize..40, e in 0usize..80, p in 0usize..80, s in 0usize..80) {
            let g = random_graph(seed, n, e, p, s);
            let a = analyze(&g, &Thresholds::default()).unwrap();
            for f in &a.segments {
                prop_assert!((0.0..=1.0).contains(&f.coverage), "coverage {}", f.coverage);
                if let Some(h) = f.hhi {
                    prop_assert!((0.0..=1.0).contains(&h), "hhi {h}");
                    prop_assert!(h >= 1.0 / f.local_enterprises as f64 - 1e-12);
                }
                prop_assert!(f.local_enterprises <= f.enterprises && f.leaders <= f.local_enterprises);
                prop_assert_eq!(f.sole_holder.is_some(), f.local_enterprises == 1);
            }
            if let Some(r) = a.local_supporting_rate {
                prop_assert!((0.0..=1.0).contains(&r));
            }
        }

        #[test]
        fn chainmap_cut_counts_match_brute_force(seed in any::<u64>(), n in 1usize..25, m in 0usize..40) {
            let mut r = Rng(seed | 1);
            let mut g = UnGraph::<(), (), u32>::with_capacity(n, m);
            for _ in 0..n {
                g.add_node(());
            }
            for _ in 0..m {
                let (a, b) = (r.below(n as u64) as usize, r.below(n as u64) as usize);
                if a != b {
                    g.add_edge(NodeIndex::new(a), NodeIndex::new(b), ());
                }
            }
            let cuts = cut_counts(&g);
            let before = components_without(&g, None);
            for (v, &cut) in cuts.iter().enumerate() {
                let after = components_without(&g, Some(v));
                prop_assert_eq!(cut as usize, after.saturating_sub(before), "node {}", v);
            }
            let mut ours: Vec<usize> = (0..n).filter(|&v| cuts[v] > 0).collect();
            let mut theirs: Vec<usize> =
                petgraph::algo::articulation_points::articulation_points(&g).into_iter().map(|x| x.index()).collect();
            ours.sort_unstable();
            theirs.sort_unstable();
            prop_assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn chainmap_large_graph_counts_add_up() {
        let mut g = random_graph(7, 20_000, 100_000, 40_000, 100_000);
        // A supply path of 30,000 new enterprises, all on segment 1: a deep DFS, every inner
        // node an articulation point.
        let first = 1_000_000;
        g.placements.extend((0..30_000).map(|i| place(1, first + i, Role::Member, true, 1)));
        g.segments[0].retired = false;
        g.supplies.extend((0..29_999).map(|i| supply(first + i, first + i + 1, 1, true)));
        let a = analyze(&g, &Thresholds::default()).unwrap();

        let live = g.segments.iter().filter(|s| !s.retired).count();
        assert_eq!(a.segments.len(), live);
        assert_eq!(a.stage_summary.iter().map(|s| s.segments).sum::<usize>(), live);
        for s in &a.stage_summary {
            assert_eq!(s.strong + s.weak + s.missing, s.segments);
            assert_eq!(s.segments, a.segments.iter().filter(|f| f.stage == s.stage).count());
        }
        let sole = a.segments.iter().filter(|f| f.sole_holder.is_some()).count();
        assert_eq!(segment_spofs(&a).len(), sole);
        let path_cuts = enterprise_spofs(&a).iter().filter(|(e, ..)| (first + 1..first + 29_999).contains(e)).count();
        assert_eq!(path_cuts, 29_998);
        assert!(a.local_enterprises <= a.enterprises && a.enterprises >= 30_000);
        let r = a.local_supporting_rate.unwrap();
        assert!((0.0..=1.0).contains(&r));
    }
}
