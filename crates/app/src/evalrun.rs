//! Yearly evaluation runs and the three-tier ledger (issue 5 parts 3–4).
//!
//! A run evaluates the enterprises of one chain for one year with one version of a scheme:
//! - **created** by the office, which snapshots every input (the scheme version's definition
//!   and the quantitative matrix as the ledger gives it that day, with its missing-value
//!   notes); later changes to the ledger do not change the run;
//! - **scored** by the experts the office assigns (accounts with the expert role): each first
//!   declares conflicts of interest (the enterprises it will not score, in its own words),
//!   then scores every other enterprise on every qualitative indicator on the indicator's
//!   scale, with the guidance per level in front of it, and submits;
//! - **computed**: per enterprise and qualitative indicator the submitted experts' scores are
//!   aggregated ([`Aggregation`]: mean; median; or trimmed mean — the highest and the lowest
//!   dropped when there are five or more), and a score is flagged as an outlier when it lies
//!   more than `outlier × scale` from the median of that enterprise's scores on that
//!   indicator (with three scores or more); the whole matrix (quantitative and aggregated qualitative columns, in the
//!   scheme's order) goes through [`crate::eval::compute_with`] with contributions, and tiers
//!   are proposed ([`propose_tiers`]);
//! - **reviewed** by the office: comments, changed tiers (with a reason), returned to the
//!   experts, or **approved** — which updates the three-tier ledger with its history and opens
//!   the exit procedure for ledger enterprises that fail the annual bar.
//!
//! Exit procedure: `warning` (the run found the enterprise under the bar, or it was not
//! evaluated) → `initiated` (by the office, or by itself when the next year's run fails it
//! again in the following year's run) → `exited` (removed from the ledger); closed as `lifted`
//! when a warned enterprise meets the bar in a later run or the office lifts it, `withdrawn`
//! when its appeal is upheld. The enterprise (or the office on its behalf) may appeal once
//! while it is open; an exit cannot be completed while an appeal waits for a decision. Runs
//! of a chain are approved year by year: never two for a year, never an earlier year after
//! a later one.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::account::Principal;
use crate::eval::{Method, Table, Weighting};
use crate::scheme::{Measure, SchemeDef, SchemeMatrix};
use crate::{App, AppError, FieldError, Result, audit_entry};
use domain::eval::{Ahp, Kind, Normalization};
use domain::role::Role;
use serde::{Deserialize, Serialize};
use store::evalrun as st;

pub const TIERS: [&str; 3] = ["demonstration", "cultivation", "candidate"];

pub fn tier_label(t: &str) -> &'static str {
    match t {
        "demonstration" => "示范库",
        "cultivation" => "培育库",
        "candidate" => "候选库",
        _ => "—",
    }
}

pub fn status_label(s: &str) -> &'static str {
    match s {
        "scoring" => "专家评分中",
        "computed" => "已计算待审定",
        "approved" => "已审定",
        _ => "—",
    }
}

pub fn exit_state_label(s: &str) -> &'static str {
    match s {
        "warning" => "预警",
        "initiated" => "已启动退出",
        "exited" => "已退出",
        "lifted" => "已解除",
        "withdrawn" => "申诉成立已撤销",
        _ => "—",
    }
}

pub fn event_label(e: &str) -> &'static str {
    match e {
        "entered" => "入库",
        "promoted" => "升档",
        "demoted" => "降档",
        "kept" => "保持",
        "warning" => "退出预警",
        "initiated" => "启动退出",
        "appealed" => "提出申诉",
        "upheld" => "申诉成立",
        "rejected" => "申诉驳回",
        "lifted" => "解除预警",
        "exited" => "退出",
        _ => "—",
    }
}

fn parse_tier(s: &str) -> Option<&'static str> {
    match s.trim() {
        "demonstration" | "示范库" | "示范" => Some("demonstration"),
        "cultivation" | "培育库" | "培育" => Some("cultivation"),
        "candidate" | "候选库" | "候选" => Some("candidate"),
        _ => None,
    }
}

/// Parse a tier as typed or chosen (code or Chinese name); empty: not in the ledger.
pub fn tier_of(s: &str) -> Result<Option<&'static str>> {
    if s.trim().is_empty() || s.trim() == "none" {
        return Ok(None);
    }
    parse_tier(s)
        .map(Some)
        .ok_or_else(|| AppError::invalid("tier", format!("梯度“{}”应为示范库、培育库或候选库", s.trim())))
}

fn tier_order(t: &str) -> usize {
    TIERS.iter().position(|x| *x == t).unwrap_or(3)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    #[default]
    Mean,
    Median,
    /// The highest and the lowest score dropped when there are five or more.
    Trimmed,
}

impl Aggregation {
    pub fn label(self) -> &'static str {
        match self {
            Aggregation::Mean => "算术平均",
            Aggregation::Median => "中位数",
            Aggregation::Trimmed => "去掉一个最高分和一个最低分后平均（5 位及以上专家）",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TierRule {
    /// The lowest score for the tier.
    pub min_score: f64,
    /// At most this many enterprises of the chain.
    pub quota: usize,
}

/// How a run turns scores into tiers and flags, fixed when it is created.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub demonstration: TierRule,
    pub cultivation: TierRule,
    pub candidate: TierRule,
    /// The annual bar: a ledger enterprise scoring below it enters the exit procedure.
    pub bar: f64,
    #[serde(default)]
    pub aggregation: Aggregation,
    /// An expert's score more than `outlier × scale` from the median is flagged.
    pub outlier: f64,
}

impl Default for RunConfig {
    /// The plan's target of 2–3 chain leaders per chain: three demonstration places.
    fn default() -> Self {
        RunConfig {
            demonstration: TierRule { min_score: 0.5, quota: 3 },
            cultivation: TierRule { min_score: 0.35, quota: 10 },
            candidate: TierRule { min_score: 0.2, quota: 20 },
            bar: 0.2,
            aggregation: Aggregation::Mean,
            outlier: 0.25,
        }
    }
}

impl RunConfig {
    pub fn rule(&self, tier: &str) -> &TierRule {
        match tier {
            "demonstration" => &self.demonstration,
            "cultivation" => &self.cultivation,
            _ => &self.candidate,
        }
    }

    pub fn check(&self) -> Vec<FieldError> {
        let mut e = Vec::new();
        let in01 = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
        for t in TIERS {
            let r = self.rule(t);
            if !in01(r.min_score) {
                e.push(FieldError::new("config", format!("{}门槛应在 0 至 1 之间", tier_label(t))));
            }
            if r.quota > 1000 {
                e.push(FieldError::new("config", format!("{}名额应在 0 至 1000 之间", tier_label(t))));
            }
        }
        if self.demonstration.min_score < self.cultivation.min_score
            || self.cultivation.min_score < self.candidate.min_score
        {
            e.push(FieldError::new("config", "门槛应满足：示范库 ≥ 培育库 ≥ 候选库"));
        }
        if !in01(self.bar) {
            e.push(FieldError::new("config", "年度门槛应在 0 至 1 之间"));
        }
        if !(self.outlier.is_finite() && self.outlier > 0.0 && self.outlier <= 1.0) {
            e.push(FieldError::new("config", "异常评分阈值应在 0 至 1 之间（满分的比例）"));
        }
        e
    }
}

/// Proposed tiers: in rank order, each enterprise at or above the bar gets the best tier
/// whose threshold it meets and whose quota is not yet full; an enterprise already in the
/// ledger that meets the bar but finds no place keeps one in the candidate tier (beyond its
/// quota); below the bar, none. Returns (tier, reason) per input, in input order.
pub fn propose_tiers(
    scores: &[(f64, f64)],
    in_ledger: &[bool],
    cfg: &RunConfig,
) -> Vec<(Option<&'static str>, String)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| {
        scores[*a].1.total_cmp(&scores[*b].1).then(scores[*b].0.total_cmp(&scores[*a].0)).then(a.cmp(b))
    });
    let mut used = [0usize; 3];
    let mut out = vec![(None, String::new()); scores.len()];
    for i in order {
        let s = scores[i].0;
        if s < cfg.bar {
            let tail = if in_ledger[i] { "，原在库企业进入退出程序" } else { "" };
            out[i] = (None, format!("得分 {s:.4} 低于年度门槛 {}{tail}", cfg.bar));
            continue;
        }
        let mut full = Vec::new();
        let mut placed = false;
        for (k, t) in TIERS.iter().enumerate() {
            let r = cfg.rule(t);
            if s < r.min_score {
                continue;
            }
            if used[k] >= r.quota {
                full.push(format!("{}名额（{} 家）已满", tier_label(t), r.quota));
                continue;
            }
            used[k] += 1;
            let mut why =
                format!("得分 {s:.4} ≥ {}门槛 {}，第 {}/{} 个名额", tier_label(t), r.min_score, used[k], r.quota);
            if !full.is_empty() {
                why = format!("{}；{why}", full.join("，"));
            }
            out[i] = (Some(*t), why);
            placed = true;
            break;
        }
        if !placed {
            let head = if full.is_empty() {
                format!("得分 {s:.4} 未达到候选库门槛 {}", cfg.candidate.min_score)
            } else {
                full.join("，")
            };
            out[i] = if in_ledger[i] {
                (Some("candidate"), format!("{head}；原在库企业达到年度门槛，保留在候选库"))
            } else {
                (None, head)
            };
        }
    }
    out
}

/// The aggregate of one enterprise's scores on one indicator.
pub fn aggregate(scores: &[f64], how: Aggregation) -> f64 {
    let mut v = scores.to_vec();
    v.sort_by(f64::total_cmp);
    match how {
        Aggregation::Mean => v.iter().sum::<f64>() / v.len() as f64,
        Aggregation::Median => median(&v),
        Aggregation::Trimmed if v.len() >= 5 => v[1..v.len() - 1].iter().sum::<f64>() / (v.len() - 2) as f64,
        Aggregation::Trimmed => v.iter().sum::<f64>() / v.len() as f64,
    }
}

/// The median of sorted values.
fn median(v: &[f64]) -> f64 {
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// Which of the scores lie more than `limit` from their median; with fewer than three scores
/// there is no telling which one strays, and none is flagged.
pub fn outliers(scores: &[f64], limit: f64) -> Vec<bool> {
    let mut v = scores.to_vec();
    v.sort_by(f64::total_cmp);
    if v.len() < 3 {
        return vec![false; scores.len()];
    }
    let m = median(&v);
    scores.iter().map(|s| (s - m).abs() > limit + 1e-12).collect()
}

/// What a run fixed when it was created.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    pub scheme_name: String,
    pub chain_name: String,
    pub definition: SchemeDef,
    pub matrix: SchemeMatrix,
    /// USCC per id of the matrix.
    pub usccs: Vec<String>,
    pub taken_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Outlier {
    pub enterprise_id: i64,
    pub enterprise: String,
    pub indicator: String,
    pub expert_id: i64,
    pub expert: String,
    pub score: f64,
    pub median: f64,
}

/// A computed run: the exact matrix that was computed and what came out.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunResult {
    pub codes: Vec<String>,
    pub criteria: Vec<String>,
    pub dimensions: Vec<String>,
    /// b / c per criterion.
    pub types: Vec<String>,
    /// Enterprise ids (as text), USCCs and names per row.
    pub ids: Vec<String>,
    pub usccs: Vec<String>,
    pub names: Vec<String>,
    pub rows: Vec<Vec<f64>>,
    pub weights: Vec<f64>,
    pub ahp: Option<Ahp>,
    pub notes: Vec<String>,
    pub outliers: Vec<Outlier>,
    /// The experts whose scores were used.
    pub experts: Vec<String>,
    /// `qianglian eval compute` arguments that recompute it: `--weighting`, `--method`,
    /// `--normalization`.
    pub weighting: String,
    pub method: String,
    pub normalization: String,
}

impl RunResult {
    /// The command that recomputes the run from its exported workbook.
    pub fn command(&self, file: &str) -> String {
        format!(
            "qianglian eval compute --matrix {file} --types {} --weighting {} --method {} --normalization {} --contributions",
            self.types.join(","),
            self.weighting,
            self.method,
            self.normalization
        )
    }
}

/// The `--weighting` argument that gives these weights again: entropy, CRITIC and equal
/// weights recompute from the matrix; given and AHP weights are passed as computed (they sum
/// to 1, so `given:` takes them as they are).
fn weighting_arg(w: &Weighting, weights: &[f64]) -> String {
    match w {
        Weighting::Entropy { shift: false } => "entropy".into(),
        Weighting::Entropy { shift: true } => "entropy-shift".into(),
        Weighting::Critic => "critic".into(),
        Weighting::Equal => "equal".into(),
        Weighting::Given(_) | Weighting::Ahp { .. } => {
            format!("given:{}", weights.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(","))
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct NewRun {
    pub scheme_id: i64,
    #[serde(default)]
    pub version: Option<i64>,
    /// The chain's id or code (a chain scheme's own chain when empty).
    #[serde(default)]
    pub chain: Option<String>,
    pub year: i64,
    #[serde(default)]
    pub config: Option<RunConfig>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ExpertView {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub declared: bool,
    pub conflicts: Vec<i64>,
    pub declaration: String,
    pub submitted: bool,
    pub scores: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ResultView {
    pub enterprise_id: i64,
    pub name: String,
    pub uscc: String,
    pub score: f64,
    pub rank: f64,
    pub contributions: Vec<f64>,
    pub proposed_tier: Option<String>,
    pub proposal_reason: String,
    pub tier: Option<String>,
    pub tier_reason: String,
    /// Its tier in the ledger before this run.
    pub current_tier: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RunView {
    pub run: st::RunRow,
    pub config: RunConfig,
    pub snapshot: Snapshot,
    pub result: Option<RunResult>,
    pub experts: Vec<ExpertView>,
    pub results: Vec<ResultView>,
    pub reviews: Vec<st::ReviewRow>,
    /// Qualitative indicators × enterprises × experts to score; scores given by submitted experts.
    pub expected_scores: usize,
}

/// What an expert sees of a run: not its snapshot, results or other experts' scores.
#[derive(Clone, Debug, Serialize)]
pub struct RunHead {
    pub id: i64,
    pub scheme_id: i64,
    pub scheme_name: String,
    pub scheme_version: i64,
    pub target: String,
    pub chain_id: i64,
    pub chain_code: String,
    pub chain_name: String,
    pub year: i64,
    pub status: String,
}

impl From<&st::RunRow> for RunHead {
    fn from(r: &st::RunRow) -> Self {
        RunHead {
            id: r.id,
            scheme_id: r.scheme_id,
            scheme_name: r.scheme_name.clone(),
            scheme_version: r.scheme_version,
            target: r.target.clone(),
            chain_id: r.chain_id,
            chain_code: r.chain_code.clone(),
            chain_name: r.chain_name.clone(),
            year: r.year,
            status: r.status.clone(),
        }
    }
}

/// An expert's form for a run.
#[derive(Clone, Debug, Serialize)]
pub struct ScoringForm {
    pub run: RunHead,
    pub indicators: Vec<QualIndicator>,
    /// (id, name, USCC) of the run's enterprises.
    pub enterprises: Vec<(i64, String, String)>,
    pub declared: bool,
    pub conflicts: Vec<i64>,
    pub declaration: String,
    pub submitted: bool,
    /// The expert's scores so far.
    pub scores: Vec<st::ScoreRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct QualIndicator {
    pub code: String,
    pub name: String,
    pub dimension: String,
    pub scale_max: f64,
    /// (score, guidance), best first.
    pub levels: Vec<(f64, String)>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ScoreIn {
    pub enterprise_id: i64,
    pub indicator: String,
    pub score: f64,
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    Comment,
    Return,
    Approve,
}

/// What an approval changed in the ledger.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct ApproveSummary {
    pub entered: usize,
    pub promoted: usize,
    pub demoted: usize,
    pub kept: usize,
    pub warnings: usize,
    pub initiated: usize,
    pub lifted: usize,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ExitAction {
    Initiate { reason: String },
    Lift { reason: String },
    Exit { reason: String },
    Appeal { text: String },
    Decide { upheld: bool, reply: String },
}

#[derive(Clone, Debug, Serialize)]
pub struct LedgerView {
    pub entries: Vec<st::EntryRow>,
    pub exits: Vec<st::ExitRow>,
    pub history: Vec<st::HistoryRow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EnterpriseEvaluation {
    pub entries: Vec<st::EntryRow>,
    pub exits: Vec<st::ExitRow>,
    pub history: Vec<st::HistoryRow>,
    /// Approved runs: (run, criteria, weights, the result), newest first.
    pub runs: Vec<(st::RunRow, Vec<String>, Vec<f64>, ResultView)>,
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))
}

fn parse<T: for<'a> Deserialize<'a>>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| AppError::Internal(e.to_string()))
}

fn stale() -> AppError {
    AppError::Conflict("该记录已被他人修改，请刷新后重试".into())
}

fn qualitative(def: &SchemeDef) -> Vec<QualIndicator> {
    def.dimensions
        .iter()
        .flat_map(|d| d.indicators.iter().map(move |i| (d, i)))
        .filter_map(|(d, i)| match &i.measure {
            Measure::Qualitative { scale_max, levels } => {
                let mut levels: Vec<(f64, String)> = levels.iter().map(|l| (l.score, l.guidance.clone())).collect();
                levels.sort_by(|a, b| b.0.total_cmp(&a.0));
                Some(QualIndicator {
                    code: i.code.clone(),
                    name: i.name.clone(),
                    dimension: d.name.clone(),
                    scale_max: *scale_max,
                    levels,
                })
            }
            Measure::Quantitative { .. } => None,
        })
        .collect()
}

fn expert_view(x: &st::ExpertRow) -> ExpertView {
    ExpertView {
        account_id: x.account_id,
        username: x.username.clone(),
        display_name: x.display_name.clone(),
        declared: x.declared_at.is_some(),
        conflicts: serde_json::from_str(&x.conflicts).unwrap_or_default(),
        declaration: x.declaration.clone(),
        submitted: x.submitted_at.is_some(),
        scores: x.scores,
    }
}

fn result_view(r: &st::ResultRow, current: Option<String>) -> ResultView {
    ResultView {
        enterprise_id: r.enterprise_id,
        name: r.enterprise_name.clone(),
        uscc: r.uscc.clone(),
        score: r.score,
        rank: r.rank,
        contributions: serde_json::from_str(&r.contributions).unwrap_or_default(),
        proposed_tier: r.proposed_tier.clone(),
        proposal_reason: r.proposal_reason.clone(),
        tier: r.tier.clone(),
        tier_reason: r.tier_reason.clone(),
        current_tier: current,
    }
}

impl App {
    fn require_run_office(&self, p: &Principal) -> Result<()> {
        if p.has(Role::Office) {
            Ok(())
        } else {
            Err(AppError::Forbidden("只有融圈强链办可以组织和审定链主评价".into()))
        }
    }

    /// The chains whose runs a reader may see: none = every chain (office, city-wide readers);
    /// a chief's chains and the chains a lead department leads.
    async fn run_chains(&self, p: &Principal) -> Result<Option<Vec<String>>> {
        if p.has(Role::Office) || p.enterprise_scope.read_all {
            return Ok(None);
        }
        if !crate::chainmap::may_read_chains(p) {
            return Err(AppError::Forbidden("无权查看链主评价".into()));
        }
        let mut chains = p.enterprise_scope.chains_read.clone();
        for c in self.chain_infos().await? {
            if p.enterprise_scope.lead_departments.contains(&c.lead_department_code) {
                chains.push(c.code);
            }
        }
        Ok(Some(chains))
    }

    async fn readable_run(&self, p: &Principal, id: i64) -> Result<st::RunRow> {
        let chains = self.run_chains(p).await?;
        let run = st::run(&self.db, id).await?.ok_or(AppError::NotFound)?;
        if chains.is_some_and(|c| !c.contains(&run.chain_code)) {
            return Err(AppError::NotFound);
        }
        Ok(run)
    }

    /// A new run for a chain and year: the quantitative inputs are read from the ledger now
    /// and kept. The office only.
    pub async fn create_run(&self, p: &Principal, n: &NewRun) -> Result<i64> {
        self.require_run_office(p)?;
        let config = n.config.clone().unwrap_or_default();
        let errors = config.check();
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let view = self.scheme(p, n.scheme_id).await?;
        let matrix = self.scheme_matrix(p, n.scheme_id, n.version, n.chain.as_deref(), n.year).await?;
        if matrix.table.ids.len() < 2 {
            return Err(AppError::invalid(
                "chain",
                format!("参评企业只有 {} 家，至少需要 2 家才能评价", matrix.table.ids.len()),
            ));
        }
        let v = view.versions.iter().find(|v| v.version == matrix.version).ok_or(AppError::NotFound)?;
        let chain = match n.chain.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => self.chain_info(c).await?,
            None => self.chain_info(&view.scheme.chain_id.unwrap_or_default().to_string()).await?,
        };
        let ids: Vec<i64> = matrix.table.ids.iter().filter_map(|i| i.parse().ok()).collect();
        let uscc_of: HashMap<i64, String> = st::usccs(&self.db, &ids).await?.into_iter().collect();
        let snapshot = Snapshot {
            scheme_name: view.scheme.name.clone(),
            chain_name: chain.name.clone(),
            definition: v.definition.clone(),
            usccs: ids.iter().map(|i| uscc_of.get(i).cloned().unwrap_or_default()).collect(),
            matrix,
            taken_at: self.now(),
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = st::insert_run(
            &mut tx,
            &st::NewRun {
                scheme_id: n.scheme_id,
                scheme_version: snapshot.matrix.version,
                target: &view.scheme.target,
                chain_id: chain.id,
                year: n.year,
                config: &json(&config)?,
                snapshot: &json(&snapshot)?,
            },
            now,
            p.by(),
        )
        .await?;
        st::add_review(
            &mut tx,
            id,
            "create",
            &format!("建立 {} 年度评价批次，快照 {} 家企业的数据", n.year, ids.len()),
            now,
            p.by(),
        )
        .await?;
        let after = serde_json::json!({"scheme_id": n.scheme_id, "version": snapshot.matrix.version, "chain_id": chain.id,
            "year": n.year, "config": config, "enterprises": ids.len()});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "eval_run.create", "eval_run", id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn runs(&self, p: &Principal, f: st::RunFilter) -> Result<Vec<st::RunRow>> {
        let chains = self.run_chains(p).await?;
        st::runs(&self.db, &st::RunFilter { chains, ..f }).await.map_err(Into::into)
    }

    pub async fn run_view(&self, p: &Principal, id: i64) -> Result<RunView> {
        let run = self.readable_run(p, id).await?;
        let config: RunConfig = parse(&run.config)?;
        let snapshot: Snapshot = parse(&run.snapshot)?;
        let result = run.result.as_deref().map(parse::<RunResult>).transpose()?;
        let experts: Vec<ExpertView> = st::experts(&self.db, id).await?.iter().map(expert_view).collect();
        let current: HashMap<i64, String> =
            st::entries(&self.db, &p.enterprise_scope, Some(&run.target), Some(run.chain_id))
                .await?
                .into_iter()
                .map(|e| (e.enterprise_id, e.tier))
                .collect();
        let results = st::results(&self.db, &p.enterprise_scope, id)
            .await?
            .iter()
            .map(|r| result_view(r, current.get(&r.enterprise_id).cloned()))
            .collect();
        let reviews = st::reviews(&self.db, id).await?;
        let quals = qualitative(&snapshot.definition).len();
        let n = snapshot.matrix.table.ids.len();
        let expected_scores = experts.iter().map(|x| (n - x.conflicts.len().min(n)) * quals).sum();
        Ok(RunView { run, config, snapshot, result, experts, results, reviews, expected_scores })
    }

    async fn run_for_change(&self, tx: &mut store::Tx, id: i64, statuses: &[&str]) -> Result<st::RunRow> {
        let run = st::run_tx(tx, id).await?.ok_or(AppError::NotFound)?;
        if !statuses.contains(&run.status.as_str()) {
            return Err(AppError::Conflict(format!(
                "评价批次当前状态为“{}”，不能进行此操作",
                status_label(&run.status)
            )));
        }
        Ok(run)
    }

    /// Assign an expert (an account with the expert role) to a run that is being scored.
    pub async fn assign_expert(&self, p: &Principal, run_id: i64, username: &str) -> Result<i64> {
        self.require_run_office(p)?;
        let username = username.trim();
        let account = store::account::by_username(&self.db, username)
            .await?
            .filter(|a| !a.disabled)
            .ok_or_else(|| AppError::invalid("username", format!("账号“{username}”不存在或已停用")))?;
        if !store::account::grants(&self.db, account.id).await?.iter().any(|g| g.role == Role::Expert) {
            return Err(AppError::invalid(
                "username",
                format!("账号“{username}”不是专家账号，请先由系统管理员授予专家角色"),
            ));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.run_for_change(&mut tx, run_id, &["scoring"]).await?;
        let taken = || AppError::Conflict(format!("“{}”已是本批次的评审专家", account.display_name));
        match st::add_expert(&mut tx, run_id, account.id, now).await {
            Ok(true) => {}
            Ok(false) => return Err(taken()),
            Err(e) if e.is_unique_violation() => return Err(taken()),
            Err(e) => return Err(e.into()),
        }
        st::add_review(&mut tx, run_id, "expert", &format!("指派专家 {}", account.display_name), now, p.by()).await?;
        let after = serde_json::json!({"account_id": account.id, "username": account.username});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "eval_run.expert_add", "eval_run", run_id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(account.id)
    }

    /// Withdraw an expert from a run being scored (with the scores it gave).
    pub async fn remove_expert(&self, p: &Principal, run_id: i64, account_id: i64) -> Result<()> {
        self.require_run_office(p)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.run_for_change(&mut tx, run_id, &["scoring"]).await?;
        let x = st::expert_tx(&mut tx, run_id, account_id).await?.ok_or(AppError::NotFound)?;
        st::remove_expert(&mut tx, run_id, account_id).await?;
        st::add_review(
            &mut tx,
            run_id,
            "expert",
            &format!("撤回专家 {}（其 {} 项评分一并撤回）", x.display_name, x.scores),
            now,
            p.by(),
        )
        .await?;
        let before = serde_json::json!({"account_id": account_id, "username": x.username, "scores": x.scores});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "eval_run.expert_remove", "eval_run", run_id, Some(before), None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The runs an expert is assigned to.
    pub async fn expert_runs(&self, p: &Principal) -> Result<Vec<(RunHead, ExpertView)>> {
        if !p.has(Role::Expert) {
            return Err(AppError::Forbidden("只有评审专家可以查看评分任务".into()));
        }
        Ok(st::runs_of_expert(&self.db, p.account_id)
            .await?
            .into_iter()
            .map(|(r, x)| (RunHead::from(&r), expert_view(&x)))
            .collect())
    }

    async fn my_assignment(&self, p: &Principal, run_id: i64) -> Result<(st::RunRow, st::ExpertRow)> {
        let forbidden = || AppError::Forbidden("您未被指派为该评价批次的评审专家".into());
        if !p.has(Role::Expert) {
            return Err(forbidden());
        }
        let run = st::run(&self.db, run_id).await?.ok_or(AppError::NotFound)?;
        let x = st::experts(&self.db, run_id)
            .await?
            .into_iter()
            .find(|x| x.account_id == p.account_id)
            .ok_or_else(forbidden)?;
        Ok((run, x))
    }

    /// An expert's scoring form: the run's enterprises (from its snapshot), the qualitative
    /// indicators with their guidance, its declaration and its scores so far.
    pub async fn scoring_form(&self, p: &Principal, run_id: i64) -> Result<ScoringForm> {
        let (run, x) = self.my_assignment(p, run_id).await?;
        let snapshot: Snapshot = parse(&run.snapshot)?;
        let enterprises = snapshot
            .matrix
            .table
            .ids
            .iter()
            .zip(&snapshot.matrix.names)
            .zip(&snapshot.usccs)
            .filter_map(|((id, n), u)| Some((id.parse().ok()?, n.clone(), u.clone())))
            .collect();
        let scores = st::scores_of(&self.db, run_id, p.account_id).await?;
        let view = expert_view(&x);
        Ok(ScoringForm {
            indicators: qualitative(&snapshot.definition),
            enterprises,
            declared: view.declared,
            conflicts: view.conflicts,
            declaration: view.declaration,
            submitted: view.submitted,
            scores,
            run: RunHead::from(&run),
        })
    }

    /// An expert's conflict-of-interest declaration: the run's enterprises it has an interest
    /// in (not scored by it; any scores it gave them are withdrawn), in its own words, and its
    /// confirmation that it has none with the others.
    pub async fn declare_conflicts(
        &self,
        p: &Principal,
        run_id: i64,
        conflicts: &[i64],
        declaration: &str,
        confirmed: bool,
    ) -> Result<()> {
        let (_, x) = self.my_assignment(p, run_id).await?;
        if !confirmed {
            return Err(AppError::invalid("confirmed", "请确认：除所列企业外，本人与其他参评企业无利益关系"));
        }
        let declaration = declaration.trim();
        if !conflicts.is_empty() && declaration.is_empty() {
            return Err(AppError::invalid("declaration", "请说明与所列企业的利益关系"));
        }
        if declaration.chars().count() > 1000 {
            return Err(AppError::invalid("declaration", "说明不超过 1000 字"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let run = self.run_for_change(&mut tx, run_id, &["scoring"]).await?;
        if x.submitted_at.is_some() {
            return Err(AppError::Conflict("评分已提交，不能再修改声明".into()));
        }
        let snapshot: Snapshot = parse(&run.snapshot)?;
        let ids: HashSet<i64> = snapshot.matrix.table.ids.iter().filter_map(|i| i.parse().ok()).collect();
        let mut list: Vec<i64> = conflicts.to_vec();
        list.sort_unstable();
        list.dedup();
        if let Some(bad) = list.iter().find(|e| !ids.contains(e)) {
            return Err(AppError::invalid("conflicts", format!("企业编号 {bad} 不在本批次的参评企业中")));
        }
        if list.len() == ids.len() {
            return Err(AppError::invalid(
                "conflicts",
                "与全部参评企业都有利益关系的专家不能评分，请联系融圈强链办更换专家",
            ));
        }
        let dropped = st::drop_scores(&mut tx, run_id, p.account_id, &list).await?;
        st::declare(&mut tx, run_id, p.account_id, &json(&list)?, declaration, now).await?;
        let before = serde_json::json!({"conflicts": serde_json::from_str::<serde_json::Value>(&x.conflicts).unwrap_or_default(),
            "declaration": x.declaration});
        let after = serde_json::json!({"conflicts": list, "declaration": declaration, "scores_withdrawn": dropped});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "eval_run.declare", "eval_run", run_id, Some(before), Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An expert's scores (saved, or saved and submitted: then every enterprise it has no
    /// conflict with must have a score on every qualitative indicator). All or nothing.
    pub async fn save_scores(&self, p: &Principal, run_id: i64, scores: &[ScoreIn], submit: bool) -> Result<usize> {
        let (_, x) = self.my_assignment(p, run_id).await?;
        if x.declared_at.is_none() {
            return Err(AppError::Conflict("请先填写利益冲突声明，再评分".into()));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let run = self.run_for_change(&mut tx, run_id, &["scoring"]).await?;
        let x = st::expert_tx(&mut tx, run_id, p.account_id).await?.ok_or(AppError::NotFound)?;
        if x.submitted_at.is_some() {
            return Err(AppError::Conflict("评分已提交，不能再修改".into()));
        }
        let snapshot: Snapshot = parse(&run.snapshot)?;
        let quals = qualitative(&snapshot.definition);
        let conflicts: HashSet<i64> =
            serde_json::from_str::<Vec<i64>>(&x.conflicts).unwrap_or_default().into_iter().collect();
        let names: HashMap<i64, &str> = snapshot
            .matrix
            .table
            .ids
            .iter()
            .zip(&snapshot.matrix.names)
            .filter_map(|(i, n)| Some((i.parse().ok()?, n.as_str())))
            .collect();
        let mut errors = Vec::new();
        let mut rows = Vec::new();
        for s in scores {
            let Some(name) = names.get(&s.enterprise_id) else {
                errors.push(FieldError::new("scores", format!("企业编号 {} 不在本批次的参评企业中", s.enterprise_id)));
                continue;
            };
            let Some(q) = quals.iter().find(|q| q.code == s.indicator) else {
                errors.push(FieldError::new("scores", format!("“{}”不是本方案的专家评分指标", s.indicator)));
                continue;
            };
            if conflicts.contains(&s.enterprise_id) {
                errors.push(FieldError::new("scores", format!("您已声明与“{name}”存在利益关系，不能为其评分")));
                continue;
            }
            if !(s.score.is_finite() && (0.0..=q.scale_max).contains(&s.score)) {
                errors.push(FieldError::new(
                    "scores",
                    format!("“{name}”的“{}”评分应在 0 至 {} 之间", q.name, q.scale_max),
                ));
                continue;
            }
            if s.note.chars().count() > 500 {
                errors.push(FieldError::new("scores", format!("“{name}”的评分说明不超过 500 字")));
                continue;
            }
            rows.push((s.enterprise_id, s.indicator.clone(), s.score, s.note.trim().to_string()));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        st::put_scores(&mut tx, run_id, p.account_id, &rows, now).await?;
        if submit {
            let have: HashSet<(i64, String)> = st::scores_tx(&mut tx, run_id)
                .await?
                .into_iter()
                .filter(|s| s.account_id == p.account_id)
                .map(|s| (s.enterprise_id, s.indicator))
                .collect();
            let mut missing = Vec::new();
            for (id, name) in names.iter().filter(|(id, _)| !conflicts.contains(id)) {
                for q in &quals {
                    if !have.contains(&(*id, q.code.clone())) {
                        missing.push(format!("{name}·{}", q.name));
                    }
                }
            }
            if !missing.is_empty() {
                missing.sort();
                let n = missing.len();
                missing.truncate(5);
                return Err(AppError::invalid(
                    "scores",
                    format!("还有 {n} 项未评分（如：{}），不能提交", missing.join("、")),
                ));
            }
            st::set_submitted(&mut tx, run_id, Some(p.account_id), Some(now)).await?;
        }
        let after = serde_json::json!({"scores": rows.iter().map(|r| serde_json::json!({"enterprise_id": r.0, "indicator": r.1, "score": r.2, "note": r.3})).collect::<Vec<_>>(), "submitted": submit});
        let action = if submit { "eval_run.submit" } else { "eval_run.score" };
        store::audit::append(&mut tx, now, &audit_entry(&p.actor(), action, "eval_run", run_id, None, Some(after)))
            .await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// Compute a run: aggregate the submitted experts' scores, compute weights, scores, ranks
    /// and contributions of the whole matrix, and propose tiers. The office only; once per
    /// scoring round (again after a return).
    pub async fn compute_run(&self, p: &Principal, run_id: i64, row_version: i64) -> Result<usize> {
        self.require_run_office(p)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        // Computed once per scoring round: the inputs are fixed, and a second computation
        // would undo the office's reviewed tier changes (a return reopens the round).
        let run = self.run_for_change(&mut tx, run_id, &["scoring"]).await?;
        let experts = st::experts_tx(&mut tx, run_id).await?;
        if run.row_version != row_version {
            return Err(stale());
        }
        let config: RunConfig = parse(&run.config)?;
        let snapshot: Snapshot = parse(&run.snapshot)?;
        let def = &snapshot.definition;
        let quals = qualitative(def);
        let submitted: HashMap<i64, String> = experts
            .iter()
            .filter(|x| x.submitted_at.is_some())
            .map(|x| (x.account_id, x.display_name.clone()))
            .collect();
        let pending: Vec<String> =
            experts.iter().filter(|x| x.submitted_at.is_none()).map(|x| x.display_name.clone()).collect();
        if !quals.is_empty() && submitted.is_empty() {
            return Err(AppError::Conflict("还没有专家提交评分，不能计算".into()));
        }
        // (enterprise, indicator) → [(expert, score)]
        let mut given: BTreeMap<(i64, String), Vec<(i64, f64)>> = BTreeMap::new();
        for s in st::scores_tx(&mut tx, run_id).await? {
            if submitted.contains_key(&s.account_id) {
                given.entry((s.enterprise_id, s.indicator)).or_default().push((s.account_id, s.score));
            }
        }
        let m = &snapshot.matrix;
        let ids: Vec<i64> = m.table.ids.iter().filter_map(|i| i.parse().ok()).collect();
        let mut notes = m.notes.clone();
        let mut outlier_list = Vec::new();
        let mut missing = Vec::new();
        // The qualitative columns, aggregated.
        let mut qual_cols: HashMap<&str, Vec<f64>> = HashMap::new();
        for q in &quals {
            let mut col = Vec::with_capacity(ids.len());
            for (r, e) in ids.iter().enumerate() {
                let Some(v) = given.get(&(*e, q.code.clone())).filter(|v| !v.is_empty()) else {
                    missing.push(format!("{}·{}", m.names[r], q.name));
                    col.push(0.0);
                    continue;
                };
                let values: Vec<f64> = v.iter().map(|x| x.1).collect();
                col.push(aggregate(&values, config.aggregation));
                let mut sorted = values.clone();
                sorted.sort_by(f64::total_cmp);
                let med = if sorted.is_empty() { 0.0 } else { median(&sorted) };
                for ((expert, score), flagged) in v.iter().zip(outliers(&values, config.outlier * q.scale_max)) {
                    if flagged {
                        outlier_list.push(Outlier {
                            enterprise_id: *e,
                            enterprise: m.names[r].clone(),
                            indicator: q.name.clone(),
                            expert_id: *expert,
                            expert: submitted.get(expert).cloned().unwrap_or_default(),
                            score: *score,
                            median: med,
                        });
                    }
                }
            }
            qual_cols.insert(q.code.as_str(), col);
        }
        if !missing.is_empty() {
            let n = missing.len();
            missing.truncate(5);
            return Err(AppError::invalid(
                "scores",
                format!(
                    "有 {n} 项没有任何已提交专家的评分（如：{}），请补充专家或请专家提交后再计算",
                    missing.join("、")
                ),
            ));
        }
        if !quals.is_empty() {
            notes.push(format!(
                "专家评分：{} 位专家已提交，按{}汇总{}",
                submitted.len(),
                config.aggregation.label(),
                if pending.is_empty() {
                    String::new()
                } else {
                    format!("；未提交、未计入：{}", pending.join("、"))
                }
            ));
        }
        if !outlier_list.is_empty() {
            notes.push(format!(
                "{} 个专家评分偏离中位数超过满分的 {}%，已标记",
                outlier_list.len(),
                config.outlier * 100.0
            ));
        }
        // The whole matrix in the scheme's order.
        let (mut codes, mut criteria, mut dims, mut types, mut kinds, mut columns) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut quant = 0usize;
        for d in &def.dimensions {
            for i in &d.indicators {
                let col: Vec<f64> = match &i.measure {
                    Measure::Quantitative { .. } => {
                        let c = m.table.rows.iter().map(|r| r[quant]).collect();
                        quant += 1;
                        c
                    }
                    Measure::Qualitative { .. } => qual_cols.remove(i.code.as_str()).unwrap_or_default(),
                };
                codes.push(i.code.clone());
                criteria.push(i.name.clone());
                dims.push(d.name.clone());
                types.push(if i.direction == Kind::Benefit { "b" } else { "c" }.to_string());
                kinds.push(i.direction);
                columns.push(col);
            }
        }
        let rows: Vec<Vec<f64>> = (0..ids.len()).map(|r| columns.iter().map(|c| c[r]).collect()).collect();
        let table = Table { criteria: criteria.clone(), ids: m.table.ids.clone(), rows };
        let computed = crate::eval::compute_with(&table, &kinds, &def.weighting, def.method, def.normalization, true)?;
        let entries: HashSet<i64> =
            st::entries_tx(&mut tx, &run.target, run.chain_id).await?.into_iter().map(|e| e.enterprise_id).collect();
        let scored: Vec<(f64, f64)> = computed.results.iter().map(|r| (r.score, r.rank)).collect();
        let in_ledger: Vec<bool> = ids.iter().map(|e| entries.contains(e)).collect();
        let proposal = propose_tiers(&scored, &in_ledger, &config);
        let results: Vec<st::NewResult> = computed
            .results
            .iter()
            .zip(&ids)
            .zip(proposal)
            .map(|((r, e), (tier, why))| {
                Ok(st::NewResult {
                    enterprise_id: *e,
                    score: r.score,
                    rank: r.rank,
                    contributions: json(&r.contributions.clone().unwrap_or_default())?,
                    proposed_tier: tier.map(str::to_string),
                    proposal_reason: why,
                })
            })
            .collect::<Result<_>>()?;
        let result = RunResult {
            codes,
            criteria,
            dimensions: dims,
            types,
            ids: m.table.ids.clone(),
            usccs: snapshot.usccs.clone(),
            names: m.names.clone(),
            rows: table.rows,
            weighting: weighting_arg(&def.weighting, &computed.weights),
            weights: computed.weights,
            ahp: computed.ahp,
            notes,
            outliers: outlier_list,
            experts: {
                let mut e: Vec<String> = submitted.values().cloned().collect();
                e.sort();
                e
            },
            method: if def.method == Method::Wsum { "wsum" } else { "topsis" }.into(),
            normalization: if def.normalization == Normalization::MinMax { "minmax" } else { "vector" }.into(),
        };
        st::replace_results(&mut tx, run_id, &results).await?;
        if !st::set_status(&mut tx, run_id, row_version, "computed", now).await? {
            return Err(stale());
        }
        st::set_result(&mut tx, run_id, &json(&result)?).await?;
        let proposed: Vec<String> = TIERS
            .iter()
            .map(|t| {
                format!(
                    "{} {} 家",
                    tier_label(t),
                    results.iter().filter(|r| r.proposed_tier.as_deref() == Some(*t)).count()
                )
            })
            .collect();
        st::add_review(
            &mut tx,
            run_id,
            "compute",
            &format!("计算 {} 家企业；建议{}", results.len(), proposed.join("、")),
            now,
            p.by(),
        )
        .await?;
        let after = serde_json::json!({"enterprises": results.len(), "weights": result.weights, "outliers": result.outliers.len()});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "eval_run.compute", "eval_run", run_id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(results.len())
    }

    /// The office changes an enterprise's tier in a computed run (a reason is required when
    /// it departs from the proposal).
    pub async fn set_run_tier(
        &self,
        p: &Principal,
        run_id: i64,
        enterprise_id: i64,
        tier: Option<&str>,
        reason: &str,
    ) -> Result<()> {
        self.require_run_office(p)?;
        let reason = reason.trim();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.run_for_change(&mut tx, run_id, &["computed"]).await?;
        let r = st::results_tx(&mut tx, run_id)
            .await?
            .into_iter()
            .find(|r| r.enterprise_id == enterprise_id)
            .ok_or(AppError::NotFound)?;
        if tier.map(str::to_string) != r.proposed_tier && reason.is_empty() {
            return Err(AppError::invalid("reason", "调整建议梯度须说明理由"));
        }
        if reason.chars().count() > 500 {
            return Err(AppError::invalid("reason", "理由不超过 500 字"));
        }
        st::set_tier(&mut tx, run_id, enterprise_id, tier, reason).await?;
        st::bump(&mut tx, run_id).await?;
        st::add_review(
            &mut tx,
            run_id,
            "tier",
            &format!(
                "{}：{} → {}{}",
                r.enterprise_name,
                tier_label(r.tier.as_deref().unwrap_or("")),
                tier_label(tier.unwrap_or("")),
                if reason.is_empty() { String::new() } else { format!("（{reason}）") }
            ),
            now,
            p.by(),
        )
        .await?;
        let before = serde_json::json!({"enterprise_id": enterprise_id, "tier": r.tier, "reason": r.tier_reason});
        let after = serde_json::json!({"enterprise_id": enterprise_id, "tier": tier, "reason": reason});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "eval_run.tier", "eval_run", run_id, Some(before), Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The office's review: a comment; a return to the experts (with a comment: results are
    /// cleared and every expert may revise); or the approval, which updates the ledger.
    pub async fn review_run(
        &self,
        p: &Principal,
        run_id: i64,
        action: ReviewAction,
        comment: &str,
        row_version: i64,
    ) -> Result<ApproveSummary> {
        self.require_run_office(p)?;
        let comment = comment.trim();
        if comment.chars().count() > 2000 {
            return Err(AppError::invalid("comment", "意见不超过 2000 字"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let statuses: &[&str] = match action {
            ReviewAction::Comment => &["scoring", "computed", "approved"],
            _ => &["computed"],
        };
        let run = self.run_for_change(&mut tx, run_id, statuses).await?;
        if run.row_version != row_version {
            return Err(stale());
        }
        let mut summary = ApproveSummary::default();
        match action {
            ReviewAction::Comment => {
                if comment.is_empty() {
                    return Err(AppError::invalid("comment", "请填写审核意见"));
                }
                st::add_review(&mut tx, run_id, "comment", comment, now, p.by()).await?;
            }
            ReviewAction::Return => {
                if comment.is_empty() {
                    return Err(AppError::invalid("comment", "退回须写明意见"));
                }
                st::replace_results(&mut tx, run_id, &[]).await?;
                st::set_submitted(&mut tx, run_id, None, None).await?;
                if !st::set_status(&mut tx, run_id, row_version, "scoring", now).await? {
                    return Err(stale());
                }
                st::add_review(&mut tx, run_id, "return", comment, now, p.by()).await?;
            }
            ReviewAction::Approve => {
                // The ledger moves forward year by year: one approved run per year, in order.
                match st::approved_run_since(&mut tx, &run.target, run.chain_id, run.year).await? {
                    Some((other, y)) if y == run.year => {
                        return Err(AppError::Conflict(format!(
                            "{} {} 年度已有审定的评价批次（第 {other} 号），不能重复审定",
                            run.chain_name, run.year
                        )));
                    }
                    Some((other, y)) => {
                        return Err(AppError::Conflict(format!(
                            "{} 已审定 {y} 年度的评价批次（第 {other} 号），不能再审定更早的 {} 年度",
                            run.chain_name, run.year
                        )));
                    }
                    None => {}
                }
                summary = self.apply_to_ledger(&mut tx, p, &run, now).await?;
                match st::set_status(&mut tx, run_id, row_version, "approved", now).await {
                    Ok(true) => {}
                    Ok(false) => return Err(stale()),
                    Err(e) if e.is_unique_violation() => {
                        return Err(AppError::Conflict(format!(
                            "{} {} 年度已有审定的评价批次",
                            run.chain_name, run.year
                        )));
                    }
                    Err(e) => return Err(e.into()),
                }
                st::set_approved(&mut tx, run_id, now, p.by()).await?;
                let text = format!(
                    "审定通过。入库 {}、升档 {}、降档 {}、保持 {}；退出预警 {}、启动退出 {}、解除预警 {}{}",
                    summary.entered,
                    summary.promoted,
                    summary.demoted,
                    summary.kept,
                    summary.warnings,
                    summary.initiated,
                    summary.lifted,
                    if comment.is_empty() { String::new() } else { format!("。意见：{comment}") }
                );
                st::add_review(&mut tx, run_id, "approve", &text, now, p.by()).await?;
            }
        }
        let after = serde_json::json!({"action": action, "comment": comment, "summary": summary});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "eval_run.review", "eval_run", run_id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn apply_to_ledger(
        &self,
        tx: &mut store::Tx,
        p: &Principal,
        run: &st::RunRow,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<ApproveSummary> {
        let config: RunConfig = parse(&run.config)?;
        let mut s = ApproveSummary::default();
        let entries: HashMap<i64, st::EntryRow> =
            st::entries_tx(tx, &run.target, run.chain_id).await?.into_iter().map(|e| (e.enterprise_id, e)).collect();
        let results = st::results_tx(tx, run.id).await?;
        let evaluated: HashSet<i64> = results.iter().map(|r| r.enterprise_id).collect();
        let year = run.year;
        let h =
            |e: i64, event: &'static str, from: Option<String>, to: Option<String>, reason: String| st::HistoryWrite {
                target: &run.target,
                chain_id: run.chain_id,
                enterprise_id: e,
                year,
                run_id: Some(run.id),
                event,
                tier_from: from,
                tier_to: to,
                reason,
            };
        for r in &results {
            let current = entries.get(&r.enterprise_id);
            match (&r.tier, current) {
                (Some(t), cur) => {
                    let (event, since) = match cur {
                        None => ("entered", year),
                        Some(c) if &c.tier == t => ("kept", c.since_year),
                        Some(c) if tier_order(t) < tier_order(&c.tier) => ("promoted", year),
                        Some(_) => ("demoted", year),
                    };
                    match event {
                        "entered" => s.entered += 1,
                        "kept" => s.kept += 1,
                        "promoted" => s.promoted += 1,
                        _ => s.demoted += 1,
                    }
                    st::put_entry(
                        tx,
                        &st::EntryWrite {
                            target: &run.target,
                            chain_id: run.chain_id,
                            enterprise_id: r.enterprise_id,
                            tier: t,
                            since_year: since,
                            last_year: year,
                            run_id: run.id,
                            score: r.score,
                        },
                    )
                    .await?;
                    let why = if r.tier_reason.is_empty() {
                        r.proposal_reason.clone()
                    } else {
                        format!("复核调整：{}", r.tier_reason)
                    };
                    st::add_history(
                        tx,
                        &h(r.enterprise_id, event, cur.map(|c| c.tier.clone()), Some(t.clone()), why),
                        now,
                        p.by(),
                    )
                    .await?;
                    if r.score < config.bar {
                        // Kept in a tier on review, but under the bar: the procedure still applies.
                        if let Some(c) = cur {
                            let kept = st::EntryRow { tier: t.clone(), ..c.clone() };
                            let why = format!(
                                "{year} 年度评价得分 {:.4} 低于年度门槛 {}（复核保留{}）",
                                r.score,
                                config.bar,
                                tier_label(t)
                            );
                            self.fail_bar(tx, p, run, &kept, why, now, &mut s).await?;
                        }
                    } else if let Some(x) = st::open_exit_tx(tx, &run.target, run.chain_id, r.enterprise_id).await?
                        && x.state == "warning"
                    {
                        let why = format!("{year} 年度评价得分 {:.4} 达到年度门槛 {}，解除", r.score, config.bar);
                        st::step_exit(
                            tx,
                            x.id,
                            x.row_version,
                            st::ExitStep::Close { state: "lifted", reason: &why },
                            now,
                        )
                        .await?;
                        st::add_history(
                            tx,
                            &h(r.enterprise_id, "lifted", Some(t.clone()), Some(t.clone()), why),
                            now,
                            p.by(),
                        )
                        .await?;
                        s.lifted += 1;
                    }
                }
                (None, Some(c)) => {
                    let why = if r.score < config.bar {
                        format!("{year} 年度评价得分 {:.4} 低于年度门槛 {}", r.score, config.bar)
                    } else {
                        format!("{year} 年度复核未保留梯度：{}", r.tier_reason)
                    };
                    st::put_entry(
                        tx,
                        &st::EntryWrite {
                            target: &run.target,
                            chain_id: run.chain_id,
                            enterprise_id: r.enterprise_id,
                            tier: &c.tier,
                            since_year: c.since_year,
                            last_year: year,
                            run_id: run.id,
                            score: r.score,
                        },
                    )
                    .await?;
                    self.fail_bar(tx, p, run, c, why, now, &mut s).await?;
                }
                (None, None) => {}
            }
        }
        for (e, c) in &entries {
            if !evaluated.contains(e) {
                let why = format!("未参加 {year} 年度评价（缺少数据或已不在本链）");
                self.fail_bar(tx, p, run, c, why, now, &mut s).await?;
            }
        }
        Ok(s)
    }

    /// A ledger enterprise failed the annual bar: a warning, or — when an earlier year's
    /// warning is still open — the exit initiated.
    #[allow(clippy::too_many_arguments)]
    async fn fail_bar(
        &self,
        tx: &mut store::Tx,
        p: &Principal,
        run: &st::RunRow,
        c: &st::EntryRow,
        why: String,
        now: chrono::DateTime<chrono::Utc>,
        s: &mut ApproveSummary,
    ) -> Result<()> {
        let open = st::open_exit_tx(tx, &run.target, run.chain_id, c.enterprise_id).await?;
        let mut hist = st::HistoryWrite {
            target: &run.target,
            chain_id: run.chain_id,
            enterprise_id: c.enterprise_id,
            year: run.year,
            run_id: Some(run.id),
            event: "warning",
            tier_from: Some(c.tier.clone()),
            tier_to: Some(c.tier.clone()),
            reason: why.clone(),
        };
        match open {
            None => {
                st::insert_exit(tx, &run.target, run.chain_id, c.enterprise_id, Some(run.id), &why, now).await?;
                s.warnings += 1;
            }
            Some(x)
                if x.state == "warning"
                    && match x.run_id {
                        Some(r) => st::run_year_tx(tx, r).await? == Some(run.year - 1),
                        None => false,
                    } =>
            {
                st::step_exit(tx, x.id, x.row_version, st::ExitStep::Initiate, now).await?;
                hist.event = "initiated";
                hist.reason = format!("连续两个年度未达到年度门槛：{why}");
                s.initiated += 1;
            }
            Some(_) => return Ok(()),
        }
        st::add_history(tx, &hist, now, p.by()).await?;
        Ok(())
    }

    /// One step of an exit procedure. Initiate, lift, exit and decide: the office; appeal: the
    /// enterprise itself (its own account) or the office on its behalf.
    pub async fn exit_step(
        &self,
        p: &Principal,
        exit_id: i64,
        action: &ExitAction,
        row_version: i64,
    ) -> Result<String> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let x = st::exit_tx(&mut tx, exit_id).await?.ok_or(AppError::NotFound)?;
        let office = p.has(Role::Office);
        let own = p.has(Role::Enterprise) && p.enterprise_scope.own_usccs.contains(&x.uscc);
        let may = match action {
            ExitAction::Appeal { .. } => office || own,
            _ => office,
        };
        if !may {
            if own || office || p.enterprise_scope.read_all {
                return Err(AppError::Forbidden("只有融圈强链办可以办理退出程序".into()));
            }
            return Err(AppError::NotFound);
        }
        if x.row_version != row_version {
            return Err(stale());
        }
        let open = x.state == "warning" || x.state == "initiated";
        if !open {
            return Err(AppError::Conflict(format!("该退出程序已结束（{}）", exit_state_label(&x.state))));
        }
        let pending_appeal = x.appeal.is_some() && x.appeal_decision.is_none();
        let need = |s: &str, what: &str| -> Result<String> {
            let s = s.trim();
            if s.is_empty() {
                return Err(AppError::invalid("reason", format!("请填写{what}")));
            }
            if s.chars().count() > 1000 {
                return Err(AppError::invalid("reason", format!("{what}不超过 1000 字")));
            }
            Ok(s.to_string())
        };
        let entry = st::entries_tx(&mut tx, &x.target, x.chain_id)
            .await?
            .into_iter()
            .find(|e| e.enterprise_id == x.enterprise_id);
        let tier = entry.as_ref().map(|e| e.tier.clone());
        let (event, reason, state_after) = match action {
            ExitAction::Initiate { reason } => {
                if x.state != "warning" {
                    return Err(AppError::Conflict("只有处于预警的企业可以启动退出".into()));
                }
                let r = need(reason, "启动退出的理由")?;
                ("initiated", r, "initiated")
            }
            ExitAction::Lift { reason } => {
                if pending_appeal {
                    return Err(AppError::Conflict("企业的申诉尚未答复，请先答复申诉".into()));
                }
                let r = need(reason, "解除的理由")?;
                ("lifted", r, "lifted")
            }
            ExitAction::Exit { reason } => {
                if x.state != "initiated" {
                    return Err(AppError::Conflict("须先启动退出，才能办结退出".into()));
                }
                if pending_appeal {
                    return Err(AppError::Conflict("企业的申诉尚未答复，不能办结退出".into()));
                }
                let r = need(reason, "退出的理由")?;
                ("exited", r, "exited")
            }
            ExitAction::Appeal { text } => {
                if pending_appeal {
                    return Err(AppError::Conflict("已有一项申诉等待答复".into()));
                }
                if x.appeal.is_some() {
                    return Err(AppError::Conflict("该退出程序的申诉已答复，不能再次申诉".into()));
                }
                let r = need(text, "申诉理由")?;
                ("appealed", r, x.state.as_str())
            }
            ExitAction::Decide { upheld, reply } => {
                if !pending_appeal {
                    return Err(AppError::Conflict("没有等待答复的申诉".into()));
                }
                let r = need(reply, "答复意见")?;
                if *upheld { ("upheld", r, "withdrawn") } else { ("rejected", r, x.state.as_str()) }
            }
        };
        // The step follows from the event; its text is the reason given.
        let step = match event {
            "initiated" => st::ExitStep::Initiate,
            "lifted" | "exited" => st::ExitStep::Close { state: event, reason: &reason },
            "appealed" => st::ExitStep::Appeal { text: &reason },
            decision => st::ExitStep::Decide { decision, reply: &reason },
        };
        if !st::step_exit(&mut tx, x.id, row_version, step, now).await? {
            return Err(stale());
        }
        if event == "upheld" {
            st::step_exit(
                &mut tx,
                x.id,
                row_version + 1,
                st::ExitStep::Close { state: "withdrawn", reason: &reason },
                now,
            )
            .await?;
        }
        let tier_to = if event == "exited" {
            st::delete_entry(&mut tx, &x.target, x.chain_id, x.enterprise_id).await?;
            None
        } else {
            tier.clone()
        };
        let year =
            chrono::Datelike::year(&now.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))) as i64;
        st::add_history(
            &mut tx,
            &st::HistoryWrite {
                target: &x.target,
                chain_id: x.chain_id,
                enterprise_id: x.enterprise_id,
                year,
                run_id: None,
                event,
                tier_from: tier,
                tier_to,
                reason: reason.clone(),
            },
            now,
            p.by(),
        )
        .await?;
        let before = serde_json::json!({"state": x.state, "appeal": x.appeal, "appeal_decision": x.appeal_decision});
        let after = serde_json::json!({"state": state_after, "event": event, "reason": reason});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), &format!("tier_exit.{event}"), "tier_exit", x.id, Some(before), Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(state_after.to_string())
    }

    /// The three-tier ledger (of a target and chain when given): entries, exit procedures and
    /// history across years, the reader's scope applied.
    pub async fn tier_ledger(&self, p: &Principal, target: Option<&str>, chain: Option<&str>) -> Result<LedgerView> {
        if !crate::chainmap::may_read_chains(p) {
            return Err(AppError::Forbidden("无权查看三级梯度台账".into()));
        }
        let target = target.map(str::trim).filter(|t| !t.is_empty());
        if let Some(t) = target
            && t != "leader"
            && t != "member"
        {
            return Err(AppError::invalid("target", "评价对象应为 leader（链主）或 member（链属）"));
        }
        let chain_id = match chain.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(self.chain_info(c).await?.id),
            None => None,
        };
        let scope = &p.enterprise_scope;
        Ok(LedgerView {
            entries: st::entries(&self.db, scope, target, chain_id).await?,
            exits: st::exits(&self.db, scope, chain_id, None, false)
                .await?
                .into_iter()
                .filter(|x| target.is_none_or(|t| x.target == t))
                .collect(),
            history: st::history(&self.db, scope, target, chain_id, None).await?,
        })
    }

    /// An enterprise's evaluations (approved runs with contributions), tiers, exits and history,
    /// for whoever may read the enterprise.
    pub async fn enterprise_evaluation(&self, p: &Principal, enterprise_id: i64) -> Result<EnterpriseEvaluation> {
        self.enterprise(p, enterprise_id).await?;
        let mut runs = Vec::new();
        for (run, r) in st::results_of_enterprise(&self.db, enterprise_id).await? {
            let Some(result) = run.result.as_deref().map(parse::<RunResult>).transpose()? else { continue };
            runs.push((run, result.criteria, result.weights, result_view(&r, None)));
        }
        let all = domain::role::EnterpriseScope { read_all: true, ..Default::default() };
        Ok(EnterpriseEvaluation {
            entries: st::entries_of_enterprise(&self.db, enterprise_id).await?,
            exits: st::exits(&self.db, &all, None, Some(enterprise_id), false).await?,
            history: st::history(&self.db, &all, None, None, Some(enterprise_id)).await?,
            runs,
        })
    }

    /// A run as a workbook: 说明 (the run, its rules and the command that recomputes it),
    /// 矩阵 (the exact matrix `eval compute --matrix` reads), 权重, 结果 (scores, ranks, tiers),
    /// 贡献 (per-indicator contributions), 专家评分 (every submitted score, outliers marked).
    pub async fn run_xlsx(&self, p: &Principal, run_id: i64) -> Result<Vec<u8>> {
        use office::{CellOut, SheetOut};
        let v = self.run_view(p, run_id).await?;
        let res = v.result.as_ref().ok_or_else(|| AppError::Conflict("评价批次尚未计算，没有可导出的结果".into()))?;
        let run = &v.run;
        let file = format!("评价批次{}.xlsx", run.id);
        let mut about: Vec<Vec<CellOut>> = vec![
            vec!["评价批次".into(), CellOut::Int(run.id)],
            vec!["评价方案".into(), format!("{}（第 {} 版）", run.scheme_name, run.scheme_version).into()],
            vec!["评价对象".into(), if run.target == "leader" { "链主" } else { "链属" }.into()],
            vec!["产业链".into(), run.chain_name.clone().into()],
            vec!["年度".into(), CellOut::Int(run.year)],
            vec!["状态".into(), status_label(&run.status).into()],
            vec!["赋权与计算".into(), crate::scheme::method_label(&v.snapshot.definition).into()],
            vec!["复算命令".into(), res.command(&file).into()],
            vec!["说明".into(), "“矩阵”工作表即参与计算的完整矩阵（第一列为统一社会信用代码）；用上面的命令复算，得到的权重、得分和排名与“权重”“结果”工作表完全相同".into()],
            vec!["示范库".into(), format!("得分 ≥ {}，至多 {} 家", v.config.demonstration.min_score, v.config.demonstration.quota).into()],
            vec!["培育库".into(), format!("得分 ≥ {}，至多 {} 家", v.config.cultivation.min_score, v.config.cultivation.quota).into()],
            vec!["候选库".into(), format!("得分 ≥ {}，至多 {} 家（原在库且达到年度门槛者保留）", v.config.candidate.min_score, v.config.candidate.quota).into()],
            vec!["年度门槛".into(), format!("得分低于 {} 的在库企业进入退出程序", v.config.bar).into()],
            vec!["专家评分汇总".into(), v.config.aggregation.label().into()],
        ];
        if let Some(a) = &res.ahp {
            about.push(vec![
                "层次分析一致性".into(),
                format!("λmax = {:.4}，CI = {:.4}，CR = {:.4}", a.lambda_max, a.ci, a.cr).into(),
            ]);
        }
        for n in &res.notes {
            about.push(vec!["数据说明".into(), n.clone().into()]);
        }
        let mut matrix_headers = vec!["统一社会信用代码".to_string()];
        matrix_headers.extend(res.criteria.iter().cloned());
        let matrix_rows = res
            .usccs
            .iter()
            .zip(&res.rows)
            .map(|(u, r)| {
                let mut row: Vec<CellOut> = vec![u.clone().into()];
                row.extend(r.iter().map(|x| CellOut::Number(*x)));
                row
            })
            .collect();
        let weight_rows = (0..res.criteria.len())
            .map(|j| {
                vec![
                    res.dimensions[j].clone().into(),
                    res.codes[j].clone().into(),
                    res.criteria[j].clone().into(),
                    if res.types[j] == "b" { "正向" } else { "负向" }.into(),
                    CellOut::Number(res.weights[j]),
                ]
            })
            .collect();
        let by_id: HashMap<i64, &ResultView> = v.results.iter().map(|r| (r.enterprise_id, r)).collect();
        let mut result_rows = Vec::new();
        let mut contribution_rows = Vec::new();
        for (k, id) in res.ids.iter().enumerate() {
            let Some(r) = id.parse::<i64>().ok().and_then(|i| by_id.get(&i)) else { continue };
            result_rows.push(vec![
                res.usccs[k].clone().into(),
                r.name.clone().into(),
                CellOut::Number(r.score),
                CellOut::Number(r.rank),
                tier_label(r.proposed_tier.as_deref().unwrap_or("")).into(),
                r.proposal_reason.clone().into(),
                tier_label(r.tier.as_deref().unwrap_or("")).into(),
                r.tier_reason.clone().into(),
            ]);
            let mut c: Vec<CellOut> = vec![res.usccs[k].clone().into(), r.name.clone().into()];
            c.extend(r.contributions.iter().map(|x| CellOut::Number(*x)));
            c.push(CellOut::Number(r.score));
            contribution_rows.push(c);
        }
        let mut contribution_headers = vec!["统一社会信用代码".to_string(), "企业名称".to_string()];
        contribution_headers.extend(res.criteria.iter().cloned());
        contribution_headers.push("合计（得分）".into());
        // Every submitted expert score.
        let experts: HashMap<i64, String> = v.experts.iter().map(|x| (x.account_id, x.display_name.clone())).collect();
        let submitted: HashSet<i64> = v.experts.iter().filter(|x| x.submitted).map(|x| x.account_id).collect();
        let names: HashMap<i64, String> =
            res.ids.iter().zip(&res.names).filter_map(|(i, n)| Some((i.parse().ok()?, n.clone()))).collect();
        let ind_names: HashMap<&str, &str> =
            res.codes.iter().map(String::as_str).zip(res.criteria.iter().map(String::as_str)).collect();
        let flagged: HashSet<(i64, &str, i64)> =
            res.outliers.iter().map(|o| (o.enterprise_id, o.indicator.as_str(), o.expert_id)).collect();
        let mut score_rows = Vec::new();
        for s in st::scores(&self.db, run_id).await? {
            if !submitted.contains(&s.account_id) || !names.contains_key(&s.enterprise_id) {
                continue;
            }
            let expert = experts.get(&s.account_id).cloned().unwrap_or_default();
            let ind = ind_names.get(s.indicator.as_str()).copied().unwrap_or(s.indicator.as_str());
            let outlier = flagged.contains(&(s.enterprise_id, ind, s.account_id));
            score_rows.push(vec![
                expert.into(),
                names.get(&s.enterprise_id).cloned().unwrap_or_default().into(),
                ind.to_string().into(),
                CellOut::Number(s.score),
                s.note.into(),
                if outlier { "是" } else { "" }.into(),
            ]);
        }
        let sheets = vec![
            SheetOut { name: "说明".into(), headers: vec!["项目".into(), "内容".into()], rows: about },
            SheetOut { name: "矩阵".into(), headers: matrix_headers, rows: matrix_rows },
            SheetOut {
                name: "权重".into(),
                headers: ["维度", "指标编码", "指标", "方向", "权重"].map(String::from).to_vec(),
                rows: weight_rows,
            },
            SheetOut {
                name: "结果".into(),
                headers: [
                    "统一社会信用代码",
                    "企业名称",
                    "得分",
                    "排名",
                    "建议梯度",
                    "建议理由",
                    "审定梯度",
                    "调整理由",
                ]
                .map(String::from)
                .to_vec(),
                rows: result_rows,
            },
            SheetOut { name: "贡献".into(), headers: contribution_headers, rows: contribution_rows },
            SheetOut {
                name: "专家评分".into(),
                headers: ["专家", "企业名称", "指标", "评分", "说明", "异常评分"].map(String::from).to_vec(),
                rows: score_rows,
            },
        ];
        office::write_xlsx_sheets(sheets).map_err(|e| AppError::Internal(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> RunConfig {
        RunConfig {
            demonstration: TierRule { min_score: 0.6, quota: 2 },
            cultivation: TierRule { min_score: 0.4, quota: 1 },
            candidate: TierRule { min_score: 0.3, quota: 1 },
            bar: 0.2,
            ..RunConfig::default()
        }
    }

    #[test]
    fn tiers_follow_thresholds_quotas_and_the_bar() {
        // (score, rank) in arbitrary order.
        let s = [(0.9, 1.0), (0.5, 4.0), (0.7, 2.0), (0.65, 3.0), (0.35, 5.0), (0.25, 6.0), (0.1, 7.0), (0.32, 5.5)];
        let ledger = [false, false, false, false, false, true, true, false];
        let p = propose_tiers(&s, &ledger, &cfg());
        let tiers: Vec<Option<&str>> = p.iter().map(|x| x.0).collect();
        assert_eq!(
            tiers,
            vec![
                Some("demonstration"), // 0.9, rank 1
                Some("candidate"),     // 0.5: under the demonstration line, cultivation full → candidate
                Some("demonstration"), // 0.7, rank 2
                Some("cultivation"),   // 0.65: demonstration full → cultivation
                None,                  // 0.35: candidate full
                Some("candidate"),     // 0.25: in the ledger, meets the bar → kept beyond the quota
                None,                  // 0.1: below the bar
                None,                  // 0.32: candidate full
            ]
        );
        assert!(p[3].1.contains("示范库名额（2 家）已满"), "{}", p[3].1);
        assert!(p[5].1.contains("原在库企业达到年度门槛"), "{}", p[5].1);
        assert!(p[6].1.contains("低于年度门槛") && p[6].1.contains("退出程序"), "{}", p[6].1);
        assert!(p[4].1.contains("候选库名额（1 家）已满"), "{}", p[4].1);
    }

    #[test]
    fn aggregation_and_outliers() {
        assert_eq!(aggregate(&[9.0, 1.0, 8.0], Aggregation::Mean), 6.0);
        assert_eq!(aggregate(&[9.0, 1.0, 8.0], Aggregation::Median), 8.0);
        assert_eq!(aggregate(&[9.0, 1.0, 8.0, 7.0], Aggregation::Median), 7.5);
        assert_eq!(aggregate(&[10.0, 1.0, 8.0, 7.0, 6.0], Aggregation::Trimmed), 7.0);
        assert_eq!(aggregate(&[9.0, 1.0, 8.0], Aggregation::Trimmed), 6.0, "fewer than five: the mean");
        assert_eq!(outliers(&[9.0, 1.0, 8.0], 2.5), vec![false, true, false]);
        assert_eq!(outliers(&[5.0], 2.5), vec![false]);
        assert_eq!(
            outliers(&[5.0, 7.5, 10.0], 2.5),
            vec![false, false, false],
            "exactly at the limit is not an outlier"
        );
        assert_eq!(outliers(&[0.0, 10.0], 2.5), vec![false, false], "two scores: no telling which strays");
    }

    #[test]
    fn config_checks() {
        assert!(RunConfig::default().check().is_empty());
        let mut c = RunConfig::default();
        c.cultivation.min_score = 0.9;
        c.bar = 2.0;
        c.outlier = 0.0;
        let e = c.check();
        assert_eq!(e.len(), 3, "{e:?}");
        assert_eq!(tier_of("示范库").unwrap(), Some("demonstration"));
        assert_eq!(tier_of("").unwrap(), None);
        assert!(tier_of("金牌").is_err());
    }
}
