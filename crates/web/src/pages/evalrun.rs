//! Yearly evaluation runs in pages (see `app::evalrun`): the office creates a run from a
//! scheme, assigns experts, computes, changes tiers and approves; experts declare their
//! conflicts of interest and score; the three-tier ledger with its exit procedures and its
//! history across years; the evaluation section of the enterprise page.
//!
//! Every form carries the session's CSRF token; office-only forms are shown to the office
//! only, and the app layer refuses them for anyone else.

use super::targets::{answer, checked_pairs};
use super::{Nav, Opt, PageError, PageResult, XLSX_TYPE, checked_form, download, field, fmt_time, id_of, opts};
use crate::AppState;
use crate::auth::WebUser;
use crate::view::urlencode;
use app::account::Principal;
use app::domain::role::Role;
use app::evalrun::{
    Aggregation, ExitAction, NewRun, ReviewAction, RunConfig, RunHead, ScoreIn, ScoringForm, TierRule, event_label,
    exit_state_label, status_label, tier_label, tier_of,
};
use app::store::evalrun::{ExitRow, RunFilter, RunRow};
use app::{AppError, FieldError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Colours of the indicators in contribution bars (the same order as the scheme's).
const PALETTE: [&str; 8] = ["#1f4e8c", "#0f8a8a", "#b7791f", "#6a4c93", "#2f7d32", "#c0392b", "#5b6475", "#8a4b00"];

pub(super) fn target_label(t: &str) -> &'static str {
    if t == "leader" { "链主" } else { "链属" }
}

/// A tier as read: its label, or `none` when not in the ledger.
fn tier_or(t: &Option<String>, none: &'static str) -> &'static str {
    t.as_deref().map(tier_label).unwrap_or(none)
}

fn fmt_rank(r: f64) -> String {
    if r.fract() == 0.0 { format!("{}", r as i64) } else { format!("{r:.1}") }
}

fn fmt_score(s: f64) -> String {
    format!("{s:.4}")
}

fn fmt_opt_time(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.as_ref().map(fmt_time).unwrap_or_default()
}

fn two_ids(p: Result<Path<(i64, i64)>, PathRejection>) -> Result<(i64, i64), PageError> {
    p.map(|Path(x)| x).map_err(|_| PageError(AppError::NotFound))
}

fn version_of(form: &HashMap<String, String>) -> Result<i64, AppError> {
    field(form, "version").trim().parse().map_err(|_| AppError::invalid("version", "缺少版本号，请刷新页面后重试"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct MsgQuery {
    pub(super) msg: String,
}

fn notice(m: String) -> Option<String> {
    Some(m).filter(|m| !m.trim().is_empty())
}

// ---- the scheme page's form: a new run ----

/// The "新建评价批次" form as typed (kept after a failed submit).
pub struct RunForm {
    pub version: String,
    pub chain: String,
    pub year: String,
    pub dem_min: String,
    pub dem_quota: String,
    pub cul_min: String,
    pub cul_quota: String,
    pub can_min: String,
    pub can_quota: String,
    pub bar: String,
    pub aggregation: String,
    pub outlier: String,
}

impl RunForm {
    /// Prefilled from [`RunConfig::default`].
    pub(super) fn new(version: i64, chain: String, year: i64) -> RunForm {
        let c = RunConfig::default();
        RunForm {
            version: version.to_string(),
            chain,
            year: year.to_string(),
            dem_min: c.demonstration.min_score.to_string(),
            dem_quota: c.demonstration.quota.to_string(),
            cul_min: c.cultivation.min_score.to_string(),
            cul_quota: c.cultivation.quota.to_string(),
            can_min: c.candidate.min_score.to_string(),
            can_quota: c.candidate.quota.to_string(),
            bar: c.bar.to_string(),
            aggregation: agg_code(c.aggregation).into(),
            outlier: c.outlier.to_string(),
        }
    }

    fn of(form: &HashMap<String, String>) -> RunForm {
        let f = |k: &str| field(form, k).trim().to_string();
        RunForm {
            version: f("version"),
            chain: f("chain"),
            year: f("year"),
            dem_min: f("dem_min"),
            dem_quota: f("dem_quota"),
            cul_min: f("cul_min"),
            cul_quota: f("cul_quota"),
            can_min: f("can_min"),
            can_quota: f("can_quota"),
            bar: f("bar"),
            aggregation: f("aggregation"),
            outlier: f("outlier"),
        }
    }

    /// The run to create; every unreadable number is named.
    fn to_new_run(&self, scheme_id: i64) -> Result<NewRun, AppError> {
        let mut errors = Vec::new();
        let mut num = |v: &str, k: &str, what: &str| -> f64 {
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() => x,
                _ => {
                    errors.push(FieldError::new(k, format!("{what}“{v}”不是有效的数字")));
                    0.0
                }
            }
        };
        let dem_min = num(&self.dem_min, "dem_min", "示范库最低得分");
        let cul_min = num(&self.cul_min, "cul_min", "培育库最低得分");
        let can_min = num(&self.can_min, "can_min", "候选库最低得分");
        let bar = num(&self.bar, "bar", "年度门槛");
        let outlier = num(&self.outlier, "outlier", "异常评分阈值");
        let mut quota = |v: &str, k: &str, what: &str| -> usize {
            v.parse::<usize>().unwrap_or_else(|_| {
                errors.push(FieldError::new(k, format!("{what}名额“{v}”应为不小于 0 的整数")));
                0
            })
        };
        let dem_quota = quota(&self.dem_quota, "dem_quota", "示范库");
        let cul_quota = quota(&self.cul_quota, "cul_quota", "培育库");
        let can_quota = quota(&self.can_quota, "can_quota", "候选库");
        let aggregation = match self.aggregation.as_str() {
            "mean" | "" => Aggregation::Mean,
            "median" => Aggregation::Median,
            "trimmed" => Aggregation::Trimmed,
            _ => {
                errors.push(FieldError::new("aggregation", "请选择专家评分汇总方式"));
                Aggregation::Mean
            }
        };
        let year = self.year.parse::<i64>().unwrap_or_else(|_| {
            errors.push(FieldError::new("year", format!("年度“{}”应为四位年份，如 2025", self.year)));
            0
        });
        let version = match self.version.as_str() {
            "" => None,
            v => match v.parse::<i64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    errors.push(FieldError::new("version", "方案版本无效，请刷新页面后重试"));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(NewRun {
            scheme_id,
            version,
            chain: Some(self.chain.clone()).filter(|c| !c.is_empty()),
            year,
            config: Some(RunConfig {
                demonstration: TierRule { min_score: dem_min, quota: dem_quota },
                cultivation: TierRule { min_score: cul_min, quota: cul_quota },
                candidate: TierRule { min_score: can_min, quota: can_quota },
                bar,
                aggregation,
                outlier,
            }),
        })
    }
}

fn agg_code(a: Aggregation) -> &'static str {
    match a {
        Aggregation::Mean => "mean",
        Aggregation::Median => "median",
        Aggregation::Trimmed => "trimmed",
    }
}

pub(super) fn agg_opts(current: &str) -> Vec<Opt> {
    opts(
        [Aggregation::Mean, Aggregation::Median, Aggregation::Trimmed]
            .into_iter()
            .map(|a| (agg_code(a).to_string(), a.label().to_string())),
        current,
    )
}

/// A run in a list.
pub struct RunItem {
    pub id: i64,
    pub scheme_id: i64,
    pub scheme: String,
    pub version: i64,
    pub target: &'static str,
    pub chain: String,
    pub year: i64,
    pub status: String,
    pub status_label: &'static str,
    pub created: String,
}

pub(super) fn run_item(r: &RunRow) -> RunItem {
    RunItem {
        id: r.id,
        scheme_id: r.scheme_id,
        scheme: r.scheme_name.clone(),
        version: r.scheme_version,
        target: target_label(&r.target),
        chain: r.chain_name.clone(),
        year: r.year,
        status: r.status.clone(),
        status_label: status_label(&r.status),
        created: fmt_time(&r.created_at),
    }
}

/// A run as an expert sees it (no creation time).
fn head_item(r: &RunHead) -> RunItem {
    RunItem {
        id: r.id,
        scheme_id: r.scheme_id,
        scheme: r.scheme_name.clone(),
        version: r.scheme_version,
        target: target_label(&r.target),
        chain: r.chain_name.clone(),
        year: r.year,
        status: r.status.clone(),
        status_label: status_label(&r.status),
        created: String::new(),
    }
}

/// The runs of a scheme the reader may see (none when it may not see runs at all).
pub(super) async fn scheme_runs(s: &AppState, p: &Principal, scheme_id: i64) -> Result<Vec<RunItem>, AppError> {
    match s.app.runs(p, RunFilter { scheme_id: Some(scheme_id), ..Default::default() }).await {
        Ok(rows) => Ok(rows.iter().map(run_item).collect()),
        Err(AppError::Forbidden(_)) => Ok(vec![]),
        Err(e) => Err(e),
    }
}

/// `POST /evaluations/{id}/runs`: the office creates a run; on a refusal the scheme page
/// again with the form as typed.
pub(super) async fn create_run(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let rf = RunForm::of(&form);
    let result = async {
        let n = rf.to_new_run(id)?;
        s.app.create_run(&u.p, &n).await
    }
    .await;
    let e = match result {
        Ok(run) => {
            let msg = urlencode("评价批次已建立，数据已快照；请指派评审专家");
            return Ok(Redirect::to(&format!("/evaluations/runs/{run}?msg={msg}")).into_response());
        }
        Err(AppError::NotFound) => AppError::invalid("chain", "所选产业链或方案版本不存在"),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_))) => e,
        Err(e) => return Err(e.into()),
    };
    let status = crate::error::status_of(&e).0;
    let q = super::evaluation::SchemeParams { version: rf.version.parse().ok(), ..Default::default() };
    let mut r = super::evaluation::render_scheme(&s, &u, id, q, Some(rf), Some(e.user_message()), None).await?;
    *r.status_mut() = status;
    Ok(r)
}

// ---- the list of runs ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RunsQuery {
    chain: String,
    year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "eval_runs.html")]
struct RunsTpl {
    nav: Nav,
    chain_opts: Vec<Opt>,
    year: String,
    rows: Vec<RunItem>,
    error: Option<String>,
}

pub(super) async fn runs_page(State(s): State<AppState>, u: WebUser, Query(q): Query<RunsQuery>) -> PageResult {
    let mut error = None;
    let chain_id = match q.chain.trim() {
        "" => None,
        c => match s.app.chain_info(c).await {
            Ok(c) => Some(c.id),
            Err(AppError::NotFound) => {
                error = Some(format!("产业链“{c}”不存在"));
                None
            }
            Err(e) => return Err(e.into()),
        },
    };
    let year = match q.year.trim() {
        "" => None,
        y => match y.parse::<i64>() {
            Ok(y) => Some(y),
            Err(_) => {
                error = Some(format!("年度“{y}”应为四位年份，如 2025"));
                None
            }
        },
    };
    let rows = s.app.runs(&u.p, RunFilter { chain_id, year, ..Default::default() }).await?;
    Ok(RunsTpl {
        nav: Nav::of(&u.p, "evaluations"),
        chain_opts: opts(s.app.chain_options().await?, q.chain.trim()),
        year: q.year.trim().to_string(),
        rows: rows.iter().map(run_item).collect(),
        error,
    }
    .into_response())
}

// ---- a run ----

pub struct ExpertItem {
    pub account_id: i64,
    pub name: String,
    pub username: String,
    pub declared: bool,
    pub declaration: String,
    pub conflicts: usize,
    pub scores: i64,
    pub submitted: bool,
}

pub struct ResultItem {
    pub enterprise_id: i64,
    pub name: String,
    pub rank: String,
    pub score: String,
    pub proposed: &'static str,
    pub proposal_reason: String,
    pub tier: &'static str,
    pub tier_reason: String,
    /// The office changed the proposal.
    pub changed: bool,
    pub current: &'static str,
    pub tier_opts: Vec<Opt>,
    /// (x, width, colour, title) of the contribution bar's segments, in hundredths of a score of 1.
    pub bar: Vec<(String, String, &'static str, String)>,
    /// (indicator, contribution)
    pub parts: Vec<(String, String)>,
}

/// The tier choices of a result's form.
fn tier_opts(current: &Option<String>) -> Vec<Opt> {
    let cur = current.as_deref().unwrap_or("none");
    opts(
        [("demonstration", "示范库"), ("cultivation", "培育库"), ("candidate", "候选库"), ("none", "不入库")]
            .into_iter()
            .map(|(v, l)| (v.to_string(), l.to_string())),
        cur,
    )
}

fn review_label(a: &str) -> &'static str {
    match a {
        "create" => "建立批次",
        "expert" => "专家",
        "compute" => "计算",
        "tier" => "调整梯度",
        "comment" => "审核意见",
        "return" => "退回",
        "approve" => "审定",
        _ => "—",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "eval_run.html")]
struct RunTpl {
    nav: Nav,
    run: RunItem,
    version: i64,
    computed_at: String,
    approved_at: String,
    office: bool,
    scoring: bool,
    computed: bool,
    has_result: bool,
    taken_at: String,
    enterprises: usize,
    qualitative: Vec<String>,
    method: String,
    notes: Vec<String>,
    /// (tier, lowest score, quota)
    rules: Vec<(&'static str, String, usize)>,
    bar: String,
    aggregation: &'static str,
    outlier: String,
    experts: Vec<ExpertItem>,
    expected_scores: usize,
    given_scores: i64,
    /// (dimension, code, indicator, direction, weight)
    weights: Vec<(String, String, String, &'static str, String)>,
    ahp: Option<String>,
    /// (enterprise id, enterprise, indicator, expert, score, median)
    outliers: Vec<(i64, String, String, String, String, String)>,
    results: Vec<ResultItem>,
    /// (indicator, colour)
    legend: Vec<(String, &'static str)>,
    command: String,
    /// (time, by, action, comment)
    reviews: Vec<(String, String, &'static str, String)>,
    error: Option<String>,
    notice: Option<String>,
}

async fn render_run(s: &AppState, u: &WebUser, id: i64, error: Option<String>, notice: Option<String>) -> PageResult {
    let v = s.app.run_view(&u.p, id).await?;
    let office = u.p.has(Role::Office);
    let c = &v.config;
    let res = v.result.as_ref();
    let names: HashMap<i64, &str> = res
        .map(|r| r.ids.iter().zip(&r.names).filter_map(|(i, n)| Some((i.parse().ok()?, n.as_str()))).collect())
        .unwrap_or_default();
    let criteria: Vec<String> = res.map(|r| r.criteria.clone()).unwrap_or_default();
    let results = v
        .results
        .iter()
        .map(|r| {
            let mut x = 0.0;
            let bar = r
                .contributions
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_finite() && **c > 0.0)
                .map(|(j, c)| {
                    let seg = (format!("{:.3}", x * 100.0), format!("{:.3}", c * 100.0), PALETTE[j % PALETTE.len()], {
                        format!("{}：{}", criteria.get(j).map(String::as_str).unwrap_or(""), fmt_score(*c))
                    });
                    x += c;
                    seg
                })
                .collect();
            ResultItem {
                enterprise_id: r.enterprise_id,
                name: names.get(&r.enterprise_id).map(|n| n.to_string()).unwrap_or_else(|| r.name.clone()),
                rank: fmt_rank(r.rank),
                score: fmt_score(r.score),
                proposed: tier_or(&r.proposed_tier, "不入库"),
                proposal_reason: r.proposal_reason.clone(),
                tier: tier_or(&r.tier, "不入库"),
                tier_reason: r.tier_reason.clone(),
                changed: r.tier != r.proposed_tier,
                current: tier_or(&r.current_tier, "未在库"),
                tier_opts: tier_opts(&r.tier),
                bar,
                parts: criteria.iter().zip(&r.contributions).map(|(n, c)| (n.clone(), fmt_score(*c))).collect(),
            }
        })
        .collect();
    let t = RunTpl {
        nav: Nav::of(&u.p, "evaluations"),
        version: v.run.row_version,
        computed_at: fmt_opt_time(&v.run.computed_at),
        approved_at: fmt_opt_time(&v.run.approved_at),
        office,
        scoring: v.run.status == "scoring",
        computed: v.run.status == "computed",
        has_result: res.is_some(),
        taken_at: fmt_time(&v.snapshot.taken_at),
        enterprises: v.snapshot.matrix.table.ids.len(),
        qualitative: v.snapshot.matrix.qualitative.clone(),
        method: app::scheme::method_label(&v.snapshot.definition),
        notes: res.map(|r| r.notes.clone()).unwrap_or_else(|| v.snapshot.matrix.notes.clone()),
        rules: ["demonstration", "cultivation", "candidate"]
            .into_iter()
            .map(|t| (tier_label(t), c.rule(t).min_score.to_string(), c.rule(t).quota))
            .collect(),
        bar: c.bar.to_string(),
        aggregation: c.aggregation.label(),
        outlier: format!("{}", c.outlier * 100.0),
        experts: v
            .experts
            .iter()
            .map(|x| ExpertItem {
                account_id: x.account_id,
                name: x.display_name.clone(),
                username: x.username.clone(),
                declared: x.declared,
                declaration: x.declaration.clone(),
                conflicts: x.conflicts.len(),
                scores: x.scores,
                submitted: x.submitted,
            })
            .collect(),
        expected_scores: v.expected_scores,
        given_scores: v.experts.iter().map(|x| x.scores).sum(),
        weights: res
            .map(|r| {
                (0..r.criteria.len())
                    .map(|j| {
                        (
                            r.dimensions.get(j).cloned().unwrap_or_default(),
                            r.codes.get(j).cloned().unwrap_or_default(),
                            r.criteria[j].clone(),
                            if r.types.get(j).map(String::as_str) == Some("c") { "负向" } else { "正向" },
                            r.weights.get(j).map(|w| fmt_score(*w)).unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        ahp: res
            .and_then(|r| r.ahp.as_ref())
            .map(|a| format!("层次分析一致性：λmax = {:.4}，CI = {:.4}，CR = {:.4}", a.lambda_max, a.ci, a.cr)),
        outliers: res
            .map(|r| {
                r.outliers
                    .iter()
                    .map(|o| {
                        (
                            o.enterprise_id,
                            o.enterprise.clone(),
                            o.indicator.clone(),
                            o.expert.clone(),
                            o.score.to_string(),
                            o.median.to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        results,
        legend: criteria.iter().enumerate().map(|(j, n)| (n.clone(), PALETTE[j % PALETTE.len()])).collect(),
        command: res.map(|r| r.command(&format!("评价批次{id}.xlsx"))).unwrap_or_default(),
        reviews: v
            .reviews
            .iter()
            .rev()
            .map(|r| {
                (
                    fmt_time(&r.at),
                    r.by_name.clone().unwrap_or_else(|| "系统".into()),
                    review_label(&r.action),
                    r.comment.clone(),
                )
            })
            .collect(),
        run: run_item(&v.run),
        error,
        notice,
    };
    Ok(t.into_response())
}

pub(super) async fn run_page(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    Query(q): Query<MsgQuery>,
) -> PageResult {
    let id = id_of(id)?;
    render_run(&s, &u, id, None, notice(q.msg)).await
}

/// The run as a workbook (`app::App::run_xlsx`): its matrix recomputes with the command it states.
pub(super) async fn run_xlsx(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let bytes = s.app.run_xlsx(&u.p, id).await?;
    Ok(download(XLSX_TYPE, &format!("评价批次{id}.xlsx"), bytes))
}

fn run_to(id: i64, anchor: &'static str) -> impl FnOnce(&str) -> String {
    move |m: &str| format!("/evaluations/runs/{id}?msg={}{anchor}", urlencode(m))
}

pub(super) async fn assign_expert(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let username = field(&form, "username");
    let result: Result<String, PageError> = async {
        if username.trim().is_empty() {
            return Err(AppError::invalid("username", "请填写专家的登录账号").into());
        }
        s.app.assign_expert(&u.p, id, &username).await?;
        Ok(format!("已指派专家 {}", username.trim()))
    }
    .await;
    answer(result, run_to(id, "#experts"), |e| render_run(&s, &u, id, Some(e), None)).await
}

pub(super) async fn remove_expert(
    State(s): State<AppState>,
    u: WebUser,
    ids: Result<Path<(i64, i64)>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (id, account) = two_ids(ids)?;
    checked_form(&u.p, form)?;
    let result: Result<String, PageError> = async {
        s.app.remove_expert(&u.p, id, account).await?;
        Ok("已撤回该专家及其评分".to_string())
    }
    .await;
    answer(result, run_to(id, "#experts"), |e| render_run(&s, &u, id, Some(e), None)).await
}

pub(super) async fn compute(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let result: Result<String, PageError> = async {
        let n = s.app.compute_run(&u.p, id, version_of(&form)?).await?;
        Ok(format!("已计算 {n} 家企业的得分、排名和建议梯度"))
    }
    .await;
    answer(result, run_to(id, "#results"), |e| render_run(&s, &u, id, Some(e), None)).await
}

pub(super) async fn set_tier(
    State(s): State<AppState>,
    u: WebUser,
    ids: Result<Path<(i64, i64)>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (id, enterprise) = two_ids(ids)?;
    let form = checked_form(&u.p, form)?;
    let result: Result<String, PageError> = async {
        let tier = tier_of(&field(&form, "tier"))?;
        s.app.set_run_tier(&u.p, id, enterprise, tier, &field(&form, "reason")).await?;
        Ok(format!("梯度已调整为{}", tier.map(tier_label).unwrap_or("不入库")))
    }
    .await;
    answer(result, run_to(id, "#results"), |e| render_run(&s, &u, id, Some(e), None)).await
}

pub(super) async fn review(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let result: Result<String, PageError> = async {
        let action = match field(&form, "action").as_str() {
            "comment" => ReviewAction::Comment,
            "return" => ReviewAction::Return,
            "approve" => ReviewAction::Approve,
            _ => return Err(AppError::invalid("action", "请选择审核操作").into()),
        };
        let x = s.app.review_run(&u.p, id, action, &field(&form, "comment"), version_of(&form)?).await?;
        Ok(match action {
            ReviewAction::Comment => "审核意见已记录".to_string(),
            ReviewAction::Return => "已退回专家复核，计算结果已清除".to_string(),
            ReviewAction::Approve => format!(
                "已审定，三级梯度台账已更新：入库 {}、升档 {}、降档 {}、保持 {}；退出预警 {}、启动退出 {}、解除预警 {}",
                x.entered, x.promoted, x.demoted, x.kept, x.warnings, x.initiated, x.lifted
            ),
        })
    }
    .await;
    answer(result, run_to(id, "#review"), |e| render_run(&s, &u, id, Some(e), None)).await
}

// ---- experts ----

pub struct TaskItem {
    pub run: RunItem,
    pub state: &'static str,
    pub class: &'static str,
    pub scores: i64,
    pub conflicts: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "eval_tasks.html")]
struct TasksTpl {
    nav: Nav,
    rows: Vec<TaskItem>,
}

/// `GET /evaluations/scoring`: the runs the signed-in expert is assigned to.
pub(super) async fn scoring_page(State(s): State<AppState>, u: WebUser) -> PageResult {
    let rows = s
        .app
        .expert_runs(&u.p)
        .await?
        .into_iter()
        .map(|(r, x)| {
            let (state, class) = if x.submitted {
                ("已提交", "strong")
            } else if !x.declared {
                ("待声明", "missing")
            } else {
                ("评分中", "weak")
            };
            TaskItem { run: head_item(&r), state, class, scores: x.scores, conflicts: x.conflicts.len() }
        })
        .collect();
    Ok(TasksTpl { nav: Nav::of(&u.p, "scoring"), rows }.into_response())
}

pub struct QualItem {
    pub name: String,
    pub dimension: String,
    pub scale_max: String,
    /// (score, guidance), best first.
    pub levels: Vec<(String, String)>,
}

pub struct ScoreRowItem {
    pub id: i64,
    pub name: String,
    pub uscc: String,
    pub conflicted: bool,
    /// Ticked in the declaration form.
    pub checked: bool,
    /// (field name, indicator name, value, scale maximum) per qualitative indicator.
    pub cells: Vec<(String, String, String, String)>,
    pub note_field: String,
    pub note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "eval_score.html")]
struct ScoreTpl {
    nav: Nav,
    run: RunItem,
    declared: bool,
    submitted: bool,
    /// The run is being scored and this expert has not submitted.
    open: bool,
    declaration: String,
    confirmed: bool,
    indicators: Vec<QualItem>,
    rows: Vec<ScoreRowItem>,
    given: usize,
    expected: usize,
    error: Option<String>,
    notice: Option<String>,
}

fn score_field(enterprise: i64, code: &str) -> String {
    format!("s_{enterprise}_{code}")
}

fn note_field(enterprise: i64) -> String {
    format!("n_{enterprise}")
}

/// What a failed submit keeps: the scores typed, or the declaration ticked.
enum Posted<'a> {
    None,
    Scores(&'a HashMap<String, String>),
    Declaration { conflicts: HashSet<i64>, text: String, confirmed: bool },
}

async fn render_score(
    s: &AppState,
    u: &WebUser,
    id: i64,
    posted: Posted<'_>,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult {
    let f = s.app.scoring_form(&u.p, id).await?;
    let conflicts: HashSet<i64> = f.conflicts.iter().copied().collect();
    let saved: HashMap<(i64, &str), f64> =
        f.scores.iter().map(|x| ((x.enterprise_id, x.indicator.as_str()), x.score)).collect();
    let mut notes: HashMap<i64, &str> = HashMap::new();
    for x in &f.scores {
        if !x.note.is_empty() {
            notes.entry(x.enterprise_id).or_insert(x.note.as_str());
        }
    }
    let (checked, declaration, confirmed) = match &posted {
        Posted::Declaration { conflicts, text, confirmed } => (conflicts.clone(), text.clone(), *confirmed),
        _ => (conflicts.clone(), f.declaration.clone(), f.declared),
    };
    let typed = match &posted {
        Posted::Scores(form) => Some(*form),
        _ => None,
    };
    let rows = f
        .enterprises
        .iter()
        .map(|(eid, name, uscc)| {
            let cells = f
                .indicators
                .iter()
                .map(|q| {
                    let k = score_field(*eid, &q.code);
                    let v = match typed {
                        Some(form) => form.get(&k).cloned().unwrap_or_default(),
                        None => saved.get(&(*eid, q.code.as_str())).map(|v| v.to_string()).unwrap_or_default(),
                    };
                    (k, q.name.clone(), v, q.scale_max.to_string())
                })
                .collect();
            let nk = note_field(*eid);
            let note = match typed {
                Some(form) => form.get(&nk).cloned().unwrap_or_default(),
                None => notes.get(eid).map(|n| n.to_string()).unwrap_or_default(),
            };
            ScoreRowItem {
                id: *eid,
                name: name.clone(),
                uscc: uscc.clone(),
                conflicted: conflicts.contains(eid),
                checked: checked.contains(eid),
                cells,
                note_field: nk,
                note,
            }
        })
        .collect();
    let scorable = f.enterprises.iter().filter(|e| !conflicts.contains(&e.0)).count();
    let status = match &error {
        None => StatusCode::OK,
        Some(_) => StatusCode::BAD_REQUEST,
    };
    let t = ScoreTpl {
        nav: Nav::of(&u.p, "scoring"),
        declared: f.declared,
        submitted: f.submitted,
        open: f.run.status == "scoring" && !f.submitted,
        declaration,
        confirmed,
        indicators: f
            .indicators
            .iter()
            .map(|q| QualItem {
                name: q.name.clone(),
                dimension: q.dimension.clone(),
                scale_max: q.scale_max.to_string(),
                levels: q.levels.iter().map(|(s, g)| (s.to_string(), g.clone())).collect(),
            })
            .collect(),
        rows,
        given: f.scores.len(),
        expected: scorable * f.indicators.len(),
        run: head_item(&f.run),
        error,
        notice,
    };
    Ok((status, t).into_response())
}

pub(super) async fn score_page(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    Query(q): Query<MsgQuery>,
) -> PageResult {
    let id = id_of(id)?;
    render_score(&s, &u, id, Posted::None, None, notice(q.msg)).await
}

/// The scores of a posted scoring form. Fields are `s_{enterprise}_{indicator code}` (an
/// enterprise id has no underscore, so the first one after it separates the code, which may
/// contain more) and `n_{enterprise}` for the note of a row; blank fields are not scored.
/// Every unreadable field is named; nothing is returned unless all are readable.
fn parse_scores(pairs: &[(String, String)], f: &ScoringForm) -> Result<Vec<ScoreIn>, AppError> {
    let names: HashMap<i64, &str> = f.enterprises.iter().map(|e| (e.0, e.1.as_str())).collect();
    let quals: HashMap<&str, &str> = f.indicators.iter().map(|q| (q.code.as_str(), q.name.as_str())).collect();
    let notes: HashMap<&str, &str> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (k, v) in pairs {
        let Some(rest) = k.strip_prefix("s_") else { continue };
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let Some((eid, code)) = rest.split_once('_').and_then(|(e, c)| Some((e.parse::<i64>().ok()?, c))) else {
            errors.push(FieldError::new("scores", format!("评分项“{k}”无法识别，请刷新页面后重试")));
            continue;
        };
        let who = names.get(&eid).map(|n| format!("“{n}”")).unwrap_or_else(|| format!("企业编号 {eid} "));
        let what = quals.get(code).copied().unwrap_or(code);
        match v.parse::<f64>() {
            Ok(score) if score.is_finite() => out.push(ScoreIn {
                enterprise_id: eid,
                indicator: code.to_string(),
                score,
                note: notes.get(note_field(eid).as_str()).map(|n| n.trim().to_string()).unwrap_or_default(),
            }),
            _ => errors.push(FieldError::new("scores", format!("{who}的“{what}”评分“{v}”不是有效的数字"))),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(AppError::Invalid(errors)) }
}

/// `POST /evaluations/runs/{id}/score`: save (or save and submit) the expert's scores; on a
/// refusal the form again with what was typed and nothing saved.
pub(super) async fn score_submit(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let (map, pairs) = checked_pairs(&u, form)?;
    let submit = field(&map, "action") == "submit";
    let result = async {
        let f = s.app.scoring_form(&u.p, id).await?;
        let scores = parse_scores(&pairs, &f)?;
        s.app.save_scores(&u.p, id, &scores, submit).await
    }
    .await;
    match result {
        Ok(n) => {
            let msg = if submit {
                format!("评分已提交（本次保存 {n} 项），感谢参与评审")
            } else {
                format!("已保存 {n} 项评分")
            };
            Ok(Redirect::to(&format!("/evaluations/runs/{id}/score?msg={}", urlencode(&msg))).into_response())
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_))) => {
            let status = crate::error::status_of(&e).0;
            let mut r = render_score(&s, &u, id, Posted::Scores(&map), Some(e.user_message()), None).await?;
            *r.status_mut() = status;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /evaluations/runs/{id}/declaration`: the expert's conflict-of-interest declaration.
pub(super) async fn declare(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let (map, pairs) = checked_pairs(&u, form)?;
    let text = field(&map, "declaration");
    let confirmed = !field(&map, "confirmed").is_empty();
    let mut ticked = HashSet::new();
    let mut bad = Vec::new();
    for (_, v) in pairs.iter().filter(|(k, _)| k == "conflict") {
        match v.trim().parse::<i64>() {
            Ok(e) => {
                ticked.insert(e);
            }
            Err(_) => bad.push(v.clone()),
        }
    }
    let result = async {
        if let Some(b) = bad.first() {
            return Err(AppError::invalid("conflicts", format!("企业编号“{b}”无效，请刷新页面后重试")));
        }
        let list: Vec<i64> = ticked.iter().copied().collect();
        s.app.declare_conflicts(&u.p, id, &list, &text, confirmed).await
    }
    .await;
    match result {
        Ok(()) => {
            let msg = if ticked.is_empty() {
                "已声明：与参评企业均无利益关系，请开始评分".to_string()
            } else {
                format!("已声明与 {} 家企业存在利益关系，这些企业由其他专家评分", ticked.len())
            };
            Ok(Redirect::to(&format!("/evaluations/runs/{id}/score?msg={}", urlencode(&msg))).into_response())
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_))) => {
            let status = crate::error::status_of(&e).0;
            let posted = Posted::Declaration { conflicts: ticked, text, confirmed };
            let mut r = render_score(&s, &u, id, posted, Some(e.user_message()), None).await?;
            *r.status_mut() = status;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

// ---- the three-tier ledger ----

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct LedgerQuery {
    target: String,
    chain: String,
    msg: String,
}

impl LedgerQuery {
    fn url(&self) -> String {
        format!("/evaluations/ledger?target={}&chain={}", urlencode(&self.target), urlencode(&self.chain))
    }
}

pub struct EntryItem {
    pub enterprise_id: i64,
    pub name: String,
    pub since: i64,
    pub last_year: i64,
    pub score: String,
    pub exit: Option<&'static str>,
}

pub struct TierGroup {
    pub label: &'static str,
    pub class: &'static str,
    pub items: Vec<EntryItem>,
}

pub struct LedgerGroup {
    pub target: &'static str,
    pub chain: String,
    pub chain_id: i64,
    pub tiers: Vec<TierGroup>,
    pub note: Option<String>,
}

pub struct ExitItem {
    pub id: i64,
    pub version: i64,
    pub enterprise_id: i64,
    pub enterprise: String,
    pub chain: String,
    pub target: &'static str,
    pub state: &'static str,
    pub class: &'static str,
    pub open: bool,
    pub reason: String,
    pub warned: String,
    pub initiated: String,
    pub closed: String,
    pub close_reason: String,
    pub appeal: String,
    pub appealed: String,
    pub pending_appeal: bool,
    pub decision: &'static str,
    pub reply: String,
    pub decided: String,
    pub may_initiate: bool,
    pub may_exit: bool,
    pub may_lift: bool,
    /// Its own account or the office may appeal.
    pub may_appeal: bool,
}

fn exit_item(x: &ExitRow, p: &Principal) -> ExitItem {
    let open = x.state == "warning" || x.state == "initiated";
    let pending = x.appeal.is_some() && x.appeal_decision.is_none();
    let office = p.has(Role::Office);
    let own = p.has(Role::Enterprise) && p.enterprise_scope.own_usccs.contains(&x.uscc);
    ExitItem {
        id: x.id,
        version: x.row_version,
        enterprise_id: x.enterprise_id,
        enterprise: x.enterprise_name.clone(),
        chain: x.chain_name.clone(),
        target: target_label(&x.target),
        state: exit_state_label(&x.state),
        class: match x.state.as_str() {
            "warning" => "weak",
            "initiated" | "exited" => "missing",
            _ => "strong",
        },
        open,
        reason: x.reason.clone(),
        warned: fmt_time(&x.warned_at),
        initiated: fmt_opt_time(&x.initiated_at),
        closed: fmt_opt_time(&x.closed_at),
        close_reason: x.close_reason.clone(),
        appeal: x.appeal.clone().unwrap_or_default(),
        appealed: fmt_opt_time(&x.appealed_at),
        pending_appeal: pending,
        decision: match x.appeal_decision.as_deref() {
            Some("upheld") => "申诉成立",
            Some("rejected") => "申诉驳回",
            _ => "",
        },
        reply: x.appeal_reply.clone().unwrap_or_default(),
        decided: fmt_opt_time(&x.decided_at),
        may_initiate: office && open && x.state == "warning",
        may_exit: office && open && x.state == "initiated" && !pending,
        may_lift: office && open && !pending,
        // One appeal per procedure.
        may_appeal: (office || own) && open && x.appeal.is_none(),
    }
}

pub struct EventItem {
    pub year: i64,
    pub enterprise_id: i64,
    pub enterprise: String,
    pub chain: String,
    pub target: &'static str,
    pub event: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub reason: String,
    pub at: String,
    pub by: String,
}

fn event_item(h: &app::store::evalrun::HistoryRow) -> EventItem {
    EventItem {
        year: h.year,
        enterprise_id: h.enterprise_id,
        enterprise: h.enterprise_name.clone(),
        chain: h.chain_name.clone(),
        target: target_label(&h.target),
        event: event_label(&h.event),
        from: tier_or(&h.tier_from, "—"),
        to: tier_or(&h.tier_to, "—"),
        reason: h.reason.clone(),
        at: fmt_time(&h.at),
        by: h.by_name.clone().unwrap_or_else(|| "系统".into()),
    }
}

/// One enterprise's tier in each year of the history.
pub struct YearRow {
    pub enterprise_id: i64,
    pub enterprise: String,
    pub chain: String,
    pub target: &'static str,
    pub cells: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "eval_ledger.html")]
struct LedgerTpl {
    nav: Nav,
    target_opts: Vec<Opt>,
    chain_opts: Vec<Opt>,
    target: String,
    chain: String,
    office: bool,
    groups: Vec<LedgerGroup>,
    exits: Vec<ExitItem>,
    years: Vec<i64>,
    by_year: Vec<YearRow>,
    events: Vec<EventItem>,
    error: Option<String>,
    notice: Option<String>,
}

async fn render_ledger(
    s: &AppState,
    u: &WebUser,
    q: &LedgerQuery,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult {
    let target = q.target.trim();
    let chain = q.chain.trim();
    let v = s.app.tier_ledger(&u.p, Some(target), Some(chain)).await?;
    let mut groups: Vec<LedgerGroup> = Vec::new();
    for e in &v.entries {
        let label = target_label(&e.target);
        let pos = match groups.iter().position(|g| g.chain_id == e.chain_id && g.target == label) {
            Some(i) => i,
            None => {
                groups.push(LedgerGroup {
                    target: label,
                    chain: e.chain_name.clone(),
                    chain_id: e.chain_id,
                    tiers: [("demonstration", "strong"), ("cultivation", "weak"), ("candidate", "")]
                        .into_iter()
                        .map(|(t, class)| TierGroup { label: tier_label(t), class, items: vec![] })
                        .collect(),
                    note: None,
                });
                groups.len() - 1
            }
        };
        let k = match e.tier.as_str() {
            "demonstration" => 0,
            "cultivation" => 1,
            _ => 2,
        };
        groups[pos].tiers[k].items.push(EntryItem {
            enterprise_id: e.enterprise_id,
            name: e.enterprise_name.clone(),
            since: e.since_year,
            last_year: e.last_year,
            score: e.last_score.map(fmt_score).unwrap_or_else(|| "—".into()),
            exit: e.exit_state.as_deref().map(exit_state_label),
        });
    }
    for g in &mut groups {
        let n = g.tiers[0].items.len();
        if g.target == "链主" && n < 2 {
            g.note = Some(format!("示范库仅 {n} 家，低于每条产业链培育 2–3 家链主企业的目标"));
        }
    }
    // The tier of each enterprise in each year: the last event of the year wins.
    let years: Vec<i64> = v.history.iter().map(|h| h.year).collect::<BTreeSet<_>>().into_iter().collect();
    let mut by_year: Vec<YearRow> = Vec::new();
    let mut keys: Vec<(String, i64, i64)> = Vec::new();
    for h in &v.history {
        let key = (h.target.clone(), h.chain_id, h.enterprise_id);
        let i = match keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                keys.push(key);
                by_year.push(YearRow {
                    enterprise_id: h.enterprise_id,
                    enterprise: h.enterprise_name.clone(),
                    chain: h.chain_name.clone(),
                    target: target_label(&h.target),
                    cells: vec![String::new(); years.len()],
                });
                by_year.len() - 1
            }
        };
        let y = years.iter().position(|y| *y == h.year).unwrap_or(0);
        by_year[i].cells[y] = match (&h.tier_to, h.event.as_str()) {
            (_, "exited") => "已退出".into(),
            (Some(t), _) => tier_label(t).into(),
            (None, _) => "—".into(),
        };
    }
    let t = LedgerTpl {
        nav: Nav::of(&u.p, "evaluations"),
        target_opts: opts(
            [("leader", "链主"), ("member", "链属")].map(|(a, b)| (a.to_string(), b.to_string())),
            target,
        ),
        chain_opts: opts(s.app.chain_options().await?, chain),
        target: target.to_string(),
        chain: chain.to_string(),
        office: u.p.has(Role::Office),
        groups,
        exits: v.exits.iter().map(|x| exit_item(x, &u.p)).collect(),
        years,
        by_year,
        events: v.history.iter().rev().map(event_item).collect(),
        error,
        notice,
    };
    Ok(t.into_response())
}

pub(super) async fn ledger_page(State(s): State<AppState>, u: WebUser, Query(q): Query<LedgerQuery>) -> PageResult {
    let msg = notice(q.msg.clone());
    render_ledger(&s, &u, &q, None, msg).await
}

/// `POST /evaluations/exits/{id}`: one step of an exit procedure, from the ledger page (the
/// office) or the enterprise page (an appeal by the enterprise's own account or the office).
pub(super) async fn exit_step(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let reason = field(&form, "reason");
    // Where to go back to, read before anything is done.
    let back_to: Option<i64> = if field(&form, "back") == "enterprise" {
        Some(
            field(&form, "enterprise")
                .trim()
                .parse()
                .map_err(|_| PageError(AppError::invalid("enterprise", "返回的企业编号有误")))?,
        )
    } else {
        None
    };
    let result: Result<String, PageError> = async {
        let version = version_of(&form)?;
        let (action, done) = match field(&form, "action").as_str() {
            "initiate" => (ExitAction::Initiate { reason }, "已启动退出程序"),
            "lift" => (ExitAction::Lift { reason }, "已解除，退出程序结束"),
            "exit" => (ExitAction::Exit { reason }, "已办结退出，企业已移出三级梯度台账"),
            "appeal" => (ExitAction::Appeal { text: reason }, "申诉已提交，等待融圈强链办答复"),
            "decide" => match field(&form, "upheld").as_str() {
                "upheld" => (ExitAction::Decide { upheld: true, reply: reason }, "申诉成立，退出程序已撤销"),
                "rejected" => (ExitAction::Decide { upheld: false, reply: reason }, "已驳回申诉"),
                _ => return Err(AppError::invalid("upheld", "请选择申诉是否成立").into()),
            },
            _ => return Err(AppError::invalid("action", "请选择要办理的操作").into()),
        };
        s.app.exit_step(&u.p, id, &action, version).await?;
        Ok(done.to_string())
    }
    .await;
    if let Some(eid) = back_to {
        let to = move |m: &str| format!("/enterprises/{eid}?msg={}#evaluation", urlencode(m));
        let again = |e: String| async move {
            super::detail_view(&s, &u.p, eid, None, vec![], EvalMsg { error: Some(e), notice: None }).await
        };
        answer(result, to, again).await
    } else {
        let q = LedgerQuery { target: field(&form, "target"), chain: field(&form, "chain"), msg: String::new() };
        let base = q.url();
        let to = move |m: &str| format!("{base}&msg={}#exits", urlencode(m));
        answer(result, to, |e| render_ledger(&s, &u, &q, Some(e), None)).await
    }
}

// ---- the enterprise page's section ----

/// The message of the evaluation section of the enterprise page.
#[derive(Default)]
pub struct EvalMsg {
    pub error: Option<String>,
    pub notice: Option<String>,
}

pub struct EntryOfEnterprise {
    pub chain: String,
    pub target: &'static str,
    pub tier: &'static str,
    pub since: i64,
    pub last_year: i64,
    pub score: String,
    pub exit: Option<&'static str>,
}

pub struct RunOfEnterprise {
    pub run_id: i64,
    pub year: i64,
    pub chain: String,
    pub scheme: String,
    pub score: String,
    pub rank: String,
    pub tier: &'static str,
    /// The reader may open the run's page.
    pub readable: bool,
}

/// The latest approved run's contributions.
pub struct Contributions {
    pub title: String,
    /// (indicator, weight, contribution, share of the score)
    pub rows: Vec<(String, String, String, String)>,
    pub score: String,
    pub chart_json: String,
}

pub struct EvalSection {
    pub entries: Vec<EntryOfEnterprise>,
    pub exits: Vec<ExitItem>,
    pub runs: Vec<RunOfEnterprise>,
    pub latest: Option<Contributions>,
    pub events: Vec<EventItem>,
    pub error: Option<String>,
    pub notice: Option<String>,
}

/// The evaluation section of an enterprise page: none when there is nothing to show.
pub(super) async fn enterprise_section(
    s: &AppState,
    p: &Principal,
    id: i64,
    msg: EvalMsg,
) -> Result<Option<EvalSection>, AppError> {
    let v = match s.app.enterprise_evaluation(p, id).await {
        Ok(v) => v,
        Err(AppError::Forbidden(_) | AppError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    if v.entries.is_empty() && v.exits.is_empty() && v.runs.is_empty() && msg.error.is_none() {
        return Ok(None);
    }
    // The runs whose page the reader may open (a county or another chain's chief may not).
    let readable: std::collections::HashSet<i64> = match s.app.runs(p, Default::default()).await {
        Ok(runs) => runs.into_iter().map(|r| r.id).collect(),
        Err(_) => Default::default(),
    };
    let latest = v.runs.first().map(|(run, criteria, weights, r)| {
        // The first of the largest contributions, when there is one.
        let best = criteria
            .iter()
            .zip(&r.contributions)
            .fold(None::<(&String, f64)>, |best, (n, c)| match best {
                Some((_, b)) if *c <= b => best,
                _ if *c > 0.0 => Some((n, *c)),
                _ => best,
            })
            .map(|(n, _)| format!("，贡献最大的是“{n}”"))
            .unwrap_or_default();
        let values: Vec<f64> = r.contributions.iter().map(|c| (c * 10000.0).round() / 10000.0).collect();
        Contributions {
            title: format!(
                "{} 年度{}评价得分 {}（第 {} 名）{best}",
                run.year,
                run.chain_name,
                fmt_score(r.score),
                fmt_rank(r.rank)
            ),
            rows: criteria
                .iter()
                .enumerate()
                .map(|(j, n)| {
                    let c = r.contributions.get(j).copied().unwrap_or(0.0);
                    let share = if r.score > 0.0 { format!("{:.1}%", c / r.score * 100.0) } else { "—".into() };
                    (n.clone(), weights.get(j).map(|w| fmt_score(*w)).unwrap_or_default(), fmt_score(c), share)
                })
                .collect(),
            score: fmt_score(r.score),
            chart_json: serde_json::json!({"names": criteria, "values": values}).to_string(),
        }
    });
    Ok(Some(EvalSection {
        entries: v
            .entries
            .iter()
            .map(|e| EntryOfEnterprise {
                chain: e.chain_name.clone(),
                target: target_label(&e.target),
                tier: tier_label(&e.tier),
                since: e.since_year,
                last_year: e.last_year,
                score: e.last_score.map(fmt_score).unwrap_or_else(|| "—".into()),
                exit: e.exit_state.as_deref().map(exit_state_label),
            })
            .collect(),
        exits: v.exits.iter().map(|x| exit_item(x, p)).collect(),
        runs: v
            .runs
            .iter()
            .map(|(run, _, _, r)| RunOfEnterprise {
                readable: readable.contains(&run.id),
                run_id: run.id,
                year: run.year,
                chain: run.chain_name.clone(),
                scheme: run.scheme_name.clone(),
                score: fmt_score(r.score),
                rank: fmt_rank(r.rank),
                tier: tier_or(&r.tier, "不入库"),
            })
            .collect(),
        latest,
        events: v.history.iter().rev().map(event_item).collect(),
        error: msg.error,
        notice: msg.notice,
    }))
}
