//! The monthly scheduling report 项目调度 of key projects (for the city, a chain or a region,
//! with the stage chart, codes per project and per responsible unit, projects started in the
//! month and lagging ones) and the to-do list 我的待办 of the people responsible.

use super::projects::{code_class, fmt_rate};
use super::{Nav, Opt, PageResult, opts};
use crate::AppState;
use crate::auth::WebUser;
use crate::view::urlencode;
use app::AppError;
use app::project_schedule::{GroupRow, Schedule, ScheduleItem};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use domain::money::{format_wan, plain_wan};
use domain::project::{Code, Month, Stage};
use serde::Deserialize;

/// Lagging projects shown on the scheduling page (the count says how many there are).
const LAGGING_SHOWN: usize = 200;

// ---- the scheduling report ----

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ScheduleParams {
    period: String,
    chain: String,
    region: String,
}

impl ScheduleParams {
    fn query(&self) -> String {
        format!(
            "period={}&chain={}&region={}",
            urlencode(&self.period),
            urlencode(&self.chain),
            urlencode(&self.region)
        )
    }
}

pub struct ItemView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub chain: String,
    pub region: String,
    pub unit: String,
    pub stage: &'static str,
    pub plan: String,
    pub ytd: String,
    pub month: String,
    pub rate: String,
    pub color: &'static str,
    pub color_label: &'static str,
    pub reasons: Vec<String>,
}

fn item_view(i: &ScheduleItem) -> ItemView {
    ItemView {
        id: i.id,
        code: i.code.clone(),
        name: i.name.clone(),
        chain: i.chain.clone(),
        region: i.region.clone(),
        unit: i.unit.clone(),
        stage: i.stage,
        plan: format_wan(i.plan_fen),
        ytd: format_wan(i.ytd_fen),
        month: format_wan(i.month_fen),
        rate: fmt_rate(i.rate),
        color: code_class(i.color),
        color_label: i.color.label(),
        reasons: i.reasons.clone(),
    }
}

pub struct GroupView {
    pub name: String,
    /// The group's own page (a chain's or region's schedule, a unit's project list).
    pub url: String,
    pub projects: usize,
    pub active: usize,
    pub started: usize,
    pub total: String,
    pub plan: String,
    pub ytd: String,
    pub month: String,
    pub rate: String,
    pub red: usize,
    pub yellow: usize,
    pub color: &'static str,
    pub color_label: &'static str,
}

fn group_view(g: &GroupRow, url: String) -> GroupView {
    GroupView {
        name: g.name.clone(),
        url,
        projects: g.projects,
        active: g.active,
        started: g.started,
        total: format_wan(g.total_fen),
        plan: format_wan(g.plan_fen),
        ytd: format_wan(g.ytd_fen),
        month: format_wan(g.month_fen),
        rate: fmt_rate(g.rate),
        red: g.red,
        yellow: g.yellow,
        color: g.color.map(code_class).unwrap_or(""),
        color_label: g.color.map(Code::label).unwrap_or(""),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "project_schedule.html")]
struct ScheduleTpl {
    nav: Nav,
    s: Schedule,
    /// What the report covers: 全市 / a chain / a region.
    title: String,
    period: String,
    chain_opts: Vec<Opt>,
    region_opts: Vec<Opt>,
    query: String,
    total: String,
    plan: String,
    ytd: String,
    month: String,
    rate: String,
    /// Bar widths (0–100) of the completion rate and the time rate.
    rate_bar: String,
    time_bar: String,
    behind: bool,
    /// (label, count, 万元) of every stage, and the chart's data and title.
    funnel: Vec<(&'static str, usize, String)>,
    funnel_json: String,
    funnel_title: String,
    started: Vec<ItemView>,
    lagging: Vec<ItemView>,
    lagging_total: usize,
    by_chain: Vec<GroupView>,
    by_region: Vec<GroupView>,
    by_unit: Vec<GroupView>,
    error: Option<String>,
}

pub(super) async fn schedule_page(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<ScheduleParams>,
) -> PageResult {
    let (sched, error) = match s.app.schedule(&u.p, &q.period, Some(&q.chain), Some(&q.region)).await {
        Ok(x) => (x, None),
        Err(e @ AppError::Invalid(_)) => (Schedule::default(), Some(e.user_message())),
        Err(e) => return Err(e.into()),
    };
    let period = if sched.period.is_empty() { q.period.clone() } else { sched.period.clone() };
    let scope = match (&sched.chain, &sched.region) {
        (Some(c), Some(r)) => format!("{}·{}", r.1, c.1),
        (Some(c), None) => c.1.clone(),
        (None, Some(r)) => r.1.clone(),
        (None, None) => "全市".to_string(),
    };
    let title = format!("{scope}{}重点项目调度", sched.period_label);
    let chain_code = sched.chain.as_ref().map(|c| c.0.clone()).unwrap_or_else(|| q.chain.clone());
    let region_code = sched.region.as_ref().map(|r| r.0.clone()).unwrap_or_else(|| q.region.clone());
    let chains = s.app.chains().await?;
    let base = |chain: &str, region: &str| {
        format!(
            "/projects/schedule?period={}&chain={}&region={}",
            urlencode(&period),
            urlencode(chain),
            urlencode(region)
        )
    };
    let by_chain = sched
        .by_chain
        .iter()
        .map(|g| {
            let code = chains.iter().find(|c| c.id.to_string() == g.key).map(|c| c.code.clone()).unwrap_or_default();
            group_view(g, base(&code, &region_code))
        })
        .collect();
    let by_region = sched.by_region.iter().map(|g| group_view(g, base(&chain_code, &g.key))).collect();
    let by_unit =
        sched.by_unit.iter().map(|g| group_view(g, format!("/projects?unit={}", urlencode(&g.key)))).collect();
    let path: Vec<&app::project_schedule::FunnelRow> = sched.funnel.iter().collect();
    let top = path.iter().filter(|f| f.stage != Stage::Terminated.code()).max_by_key(|f| f.count);
    let funnel_title = match top {
        Some(t) if t.count > 0 => format!("项目阶段分布：{}阶段最多（{} 个）", t.label, t.count),
        _ => "项目阶段分布".to_string(),
    };
    let funnel_json = serde_json::json!({
        "stages": path.iter().map(|f| f.stage).collect::<Vec<_>>(),
        "labels": path.iter().map(|f| f.label).collect::<Vec<_>>(),
        "counts": path.iter().map(|f| f.count).collect::<Vec<_>>(),
        "totals": path.iter().map(|f| plain_wan(f.total_fen)).collect::<Vec<_>>(),
    })
    .to_string();
    let bar = |r: f64| format!("{:.1}", r.clamp(0.0, 100.0));
    let lagging: Vec<ItemView> = sched.lagging.iter().take(LAGGING_SHOWN).map(item_view).collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let t = ScheduleTpl {
        nav: Nav::of(&u.p, "schedule"),
        title,
        chain_opts: opts(s.app.chain_options().await?, &chain_code),
        region_opts: opts(s.app.filter_regions().await?, &region_code),
        query: ScheduleParams { period: period.clone(), chain: chain_code.clone(), region: region_code.clone() }
            .query(),
        period,
        total: format_wan(sched.total_fen),
        plan: format_wan(sched.plan_fen),
        ytd: format_wan(sched.ytd_fen),
        month: format_wan(sched.month_fen),
        rate: fmt_rate(sched.rate),
        rate_bar: bar(sched.rate.unwrap_or(0.0)),
        time_bar: bar(sched.time_rate),
        behind: sched.rate.is_some_and(|r| r < sched.time_rate),
        funnel: sched.funnel.iter().map(|f| (f.label, f.count, format_wan(f.total_fen))).collect(),
        funnel_json,
        funnel_title,
        started: sched.started.iter().map(item_view).collect(),
        lagging_total: sched.lagging.len(),
        lagging,
        by_chain,
        by_region,
        by_unit,
        error,
        s: sched,
    };
    Ok((status, t).into_response())
}

// ---- the to-do list ----

pub struct TodoView {
    pub url: String,
    pub project: String,
    pub kind: &'static str,
    pub text: String,
    pub due: String,
    pub overdue: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "project_todo.html")]
struct TodoTpl {
    nav: Nav,
    items: Vec<TodoView>,
    overdue: usize,
    this_month: String,
}

fn todo_kind_label(k: &str) -> &'static str {
    match k {
        "report_due" => "月报待填",
        "report_overdue" => "月报逾期",
        "supervision" => "督办待回复",
        "milestone_due" => "节点将到期",
        "milestone_overdue" => "节点逾期",
        _ => "待办",
    }
}

pub(super) async fn todo_page(State(s): State<AppState>, u: WebUser) -> PageResult {
    let items = s.app.project_todo(&u.p).await?;
    let items: Vec<TodoView> = items
        .into_iter()
        .map(|i| {
            let anchor = match i.kind {
                "report_due" | "report_overdue" => "#reports".to_string(),
                "supervision" => {
                    i.item_id.map(|x| format!("#supervision-{x}")).unwrap_or_else(|| "#supervision".into())
                }
                _ => "#milestones".to_string(),
            };
            TodoView {
                url: format!("/projects/{}{anchor}", i.project_id),
                project: i.project,
                kind: todo_kind_label(i.kind),
                text: i.text,
                due: i.due.to_string(),
                overdue: i.overdue,
            }
        })
        .collect();
    Ok(TodoTpl {
        nav: Nav::of(&u.p, "todo"),
        overdue: items.iter().filter(|i| i.overdue).count(),
        items,
        this_month: Month::of(s.app.today()).label(),
    }
    .into_response())
}
