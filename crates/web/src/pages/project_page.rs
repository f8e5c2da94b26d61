//! The page of one key project (see `app::project`): its code with the reasons and the
//! rules, its facts, the timeline with the evidence of every stage change (downloadable),
//! the milestones, the stage-change forms (one per allowed next stage, each with the
//! evidence that step needs, so that it works without scripts), monthly reports and
//! supervision orders. Each form posts to its own route and comes back here with a message;
//! a refusal shows this page again with the message and the values typed.

use super::projects::{code_class, stage_label};
use super::targets::answer;
use super::{Nav, PageError, PageResult, checked_form, download, field, fmt_time, id_of};
use crate::AppState;
use crate::auth::WebUser;
use crate::view::urlencode;
use app::AppError;
use app::account::Principal;
use app::project::{ProjectDetail, ReportInput};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::response::IntoResponse;
use domain::money::format_wan;
use domain::project::{self as dp, Month, Stage};
use serde::Deserialize;
use std::collections::HashMap;

/// Timeline entries and monthly reports shown before the rest is folded away.
const SHOWN_EVENTS: usize = 15;
const SHOWN_REPORTS: usize = 12;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct MsgParams {
    pub(super) msg: String,
}

/// What a refused form typed, to show it again: the form's name and its values.
#[derive(Default)]
struct Kept {
    form: String,
    values: HashMap<String, String>,
}

pub struct EvidenceView {
    pub label: String,
    pub text: String,
    /// The download link of a file (none for a text such as an approval number).
    pub url: Option<String>,
    pub meta: String,
}

pub struct EventView {
    pub date: String,
    pub kind: &'static str,
    pub class: &'static str,
    pub text: String,
    pub by: String,
    pub at: String,
    pub evidence: Vec<EvidenceView>,
}

pub struct MilestoneView {
    pub id: i64,
    pub seq: i64,
    pub name: String,
    pub stage: &'static str,
    pub due: String,
    pub done: String,
    pub adjusted: bool,
    pub reason: String,
    pub overdue: bool,
    /// Days overdue (for an open milestone past its date).
    pub late_days: i64,
    pub open: bool,
    /// Names of its two forms (to show what a refused one typed).
    pub done_form: String,
    pub adjust_form: String,
}

pub struct ReqView {
    pub key: &'static str,
    pub label: &'static str,
    pub file: bool,
    /// The `accept` attribute of a file input.
    pub accept: String,
    pub types: String,
}

pub struct TransitionView {
    pub to: &'static str,
    pub label: &'static str,
    pub terminate: bool,
    pub reqs: Vec<ReqView>,
    pub form: String,
}

pub struct ReportView {
    pub month: String,
    pub amount: String,
    pub progress: String,
    pub problems: String,
    pub late: bool,
    pub by: String,
    pub at: String,
}

pub struct SupervisionView {
    pub id: i64,
    pub version: i64,
    pub title: String,
    pub content: String,
    pub due: String,
    pub issuer: String,
    pub issued: String,
    pub response: String,
    pub responder: String,
    pub responded: String,
    pub open: bool,
    pub overdue: bool,
    pub form: String,
}

/// The facts of the project as read.
pub struct FactsView {
    pub chain: String,
    pub chain_code: String,
    pub segment: String,
    pub region: String,
    pub region_role: &'static str,
    pub investor: String,
    pub enterprise_url: Option<String>,
    pub kind: &'static str,
    pub tags: Vec<(&'static str, bool)>,
    pub total: String,
    pub completed: String,
    pub rate: String,
    pub last_month: String,
    pub plans: Vec<(i64, String)>,
    pub land: String,
    pub output: String,
    pub tax: String,
    pub content: String,
    pub unit: String,
    pub person: String,
    pub contact: String,
    pub planned_start: String,
    pub planned_end: String,
    pub stage_on: String,
    pub first_month: String,
    pub terminated_reason: String,
    pub updated: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "project.html")]
struct ProjectTpl {
    nav: Nav,
    id: i64,
    code: String,
    name: String,
    version: i64,
    stage: &'static str,
    terminated: bool,
    color: &'static str,
    color_label: &'static str,
    /// (css class, text) of every reason for the code, worst first.
    reasons: Vec<(&'static str, String)>,
    rules: &'static [&'static str],
    /// The forward path with each stage's state: done, current or todo.
    path: Vec<(&'static str, &'static str)>,
    f: FactsView,
    /// The latest events, and the earlier ones (folded).
    events: Vec<EventView>,
    older_events: Vec<EventView>,
    milestones: Vec<MilestoneView>,
    transitions: Vec<TransitionView>,
    /// The latest reports, and the earlier ones (folded).
    reports: Vec<ReportView>,
    older_reports: Vec<ReportView>,
    /// (YYYY-MM, label) of the months that may be reported now.
    months: Vec<(String, String)>,
    supervisions: Vec<SupervisionView>,
    may_edit: bool,
    may_report: bool,
    may_supervise: bool,
    today: String,
    error: Option<String>,
    notice: Option<String>,
    kept: Kept,
    /// (code, label) of the problem categories a report's problems may be raised under.
    problem_categories: Vec<(&'static str, &'static str)>,
}

impl ProjectTpl {
    /// A value the refused form `form` typed, if that is the form shown.
    fn kept(&self, form: &str, key: &str) -> String {
        if self.kept.form == form { self.kept.values.get(key).cloned().unwrap_or_default() } else { String::new() }
    }
    fn kept_or(&self, form: &str, key: &str, default: &str) -> String {
        if self.kept.form == form { self.kept(form, key) } else { default.to_string() }
    }
}

fn event_kind(k: &str) -> (&'static str, &'static str) {
    match k {
        "created" => ("入库", "stage"),
        "transition" => ("阶段变更", "stage"),
        "report" => ("月报", ""),
        "supervision" => ("督办", "warn"),
        "response" => ("回复督办", ""),
        "edit" => ("修改信息", ""),
        "milestone_done" => ("节点完成", ""),
        "milestone_adjusted" => ("节点调整", "warn"),
        "import" => ("导入", ""),
        _ => ("记录", ""),
    }
}

fn accept_of(types: &[dp::FileType]) -> String {
    types
        .iter()
        .map(|t| match t {
            dp::FileType::Pdf => ".pdf,application/pdf",
            dp::FileType::Jpeg => ".jpg,.jpeg,image/jpeg",
            dp::FileType::Png => ".png,image/png",
            dp::FileType::Docx => ".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn fmt_size(n: i64) -> String {
    if n >= 1_048_576 {
        format!("{:.1} MB", n as f64 / 1_048_576.0)
    } else {
        format!("{:.0} KB", (n as f64 / 1024.0).ceil())
    }
}

fn opt_wan(fen: i64) -> String {
    if fen == 0 { "—".into() } else { format_wan(fen) }
}

fn facts(d: &ProjectDetail) -> FactsView {
    let r = &d.project;
    let land = match (r.land_mu.trim(), r.land_mode.as_deref()) {
        ("", None) => "—".to_string(),
        (mu, mode) => {
            let mu = if mu.is_empty() { String::new() } else { format!("{mu} 亩") };
            let mode = mode.map(dp::land_mode_label).unwrap_or("");
            [mu.as_str(), mode].iter().filter(|x| !x.is_empty()).copied().collect::<Vec<_>>().join("，")
        }
    };
    FactsView {
        chain: r.chain_name.clone(),
        chain_code: r.chain_code.clone(),
        segment: r.segment_name.clone().unwrap_or_else(|| "未关联环节".into()),
        region: r.region_name.clone(),
        region_role: match r.region_role.as_deref() {
            Some("carrying") => "主要承载地",
            Some("collaborating") => "协同发展地",
            _ => "",
        },
        investor: r.investor.clone(),
        enterprise_url: r.enterprise_id.filter(|_| d.enterprise_readable).map(|e| format!("/enterprises/{e}")),
        kind: dp::kind_label(&r.kind),
        tags: vec![("有效投资", r.tag_effective), ("有根产业", r.tag_rooted), ("有持续税源", r.tag_tax)],
        total: format_wan(r.total_fen),
        completed: format_wan(r.completed_fen),
        rate: super::projects::fmt_rate(dp::rate(r.completed_fen, r.total_fen)),
        last_month: r
            .last_month
            .as_deref()
            .and_then(Month::parse)
            .map(|m| m.label())
            .unwrap_or_else(|| "尚未填报".into()),
        plans: d.plans.iter().map(|(y, f)| (*y, format_wan(*f))).collect(),
        land,
        output: opt_wan(r.output_fen),
        tax: opt_wan(r.tax_fen),
        content: r.content.clone(),
        unit: r.unit_name.clone(),
        person: r.person.clone(),
        contact: r.contact.clone(),
        planned_start: r.planned_start.to_string(),
        planned_end: r.planned_end.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
        stage_on: r.stage_on.to_string(),
        first_month: Month::parse(&r.first_month).map(|m| m.label()).unwrap_or_default(),
        terminated_reason: r.terminated_reason.clone(),
        updated: fmt_time(&r.updated_at),
    }
}

async fn render(
    s: &AppState,
    u: &WebUser,
    id: i64,
    error: Option<String>,
    notice: Option<String>,
    kept: Kept,
) -> PageResult {
    let d = s.app.project(&u.p, id).await?;
    let today = s.app.today();
    let stage = Stage::parse(&d.project.stage).unwrap_or(Stage::Planning);
    let path = Stage::PATH
        .iter()
        .map(|st| {
            let state = if *st == stage {
                "current"
            } else if stage != Stage::Terminated && *st < stage {
                "done"
            } else {
                "todo"
            };
            (st.label(), state)
        })
        .collect();
    let mut by_event: HashMap<i64, Vec<EvidenceView>> = HashMap::new();
    for e in &d.evidence {
        let label = Stage::parse(&e.stage)
            .and_then(|st| dp::requirements(st).iter().find(|r| r.key == e.item))
            .map(|r| r.label.to_string())
            .unwrap_or_else(|| e.item.clone());
        let file = e.file_type.as_deref().and_then(dp::FileType::from_code);
        by_event.entry(e.event_id).or_default().push(EvidenceView {
            label,
            text: e.text.clone(),
            url: file.map(|_| format!("/projects/{id}/evidence/{}", e.id)),
            meta: match file {
                Some(t) => format!("{}，{}，SM3 {}…", t.label(), fmt_size(e.size), e.sm3.get(..12).unwrap_or(&e.sm3)),
                None => String::new(),
            },
        });
    }
    let mut events: Vec<EventView> = d
        .events
        .iter()
        .map(|e| {
            let (kind, class) = event_kind(&e.kind);
            EventView {
                date: e.on_date.to_string(),
                kind,
                class,
                text: e.text.clone(),
                by: e.by_name.clone(),
                at: fmt_time(&e.at),
                evidence: by_event.remove(&e.id).unwrap_or_default(),
            }
        })
        .collect();
    let milestones = d
        .milestones
        .iter()
        .map(|m| {
            let late = (today - m.due_on).num_days();
            MilestoneView {
                id: m.id,
                seq: m.seq,
                name: m.name.clone(),
                stage: m.stage.as_deref().map(stage_label).unwrap_or(""),
                due: m.due_on.to_string(),
                done: m.done_on.map(|d| d.to_string()).unwrap_or_default(),
                adjusted: m.adjusted,
                reason: m.adjust_reason.clone(),
                overdue: m.done_on.is_none() && late > 0,
                late_days: late.max(0),
                open: m.done_on.is_none(),
                done_form: format!("done-{}", m.id),
                adjust_form: format!("adjust-{}", m.id),
            }
        })
        .collect();
    let transitions = d
        .next
        .iter()
        .map(|st| TransitionView {
            to: st.code(),
            label: st.label(),
            terminate: *st == Stage::Terminated,
            form: format!("stage-{}", st.code()),
            reqs: dp::requirements(*st)
                .iter()
                .map(|r| ReqView {
                    key: r.key,
                    label: r.label,
                    file: r.is_file(),
                    accept: accept_of(r.types()),
                    types: r.types_label(),
                })
                .collect(),
        })
        .collect();
    let mut reports: Vec<ReportView> = d
        .reports
        .iter()
        .map(|r| ReportView {
            month: Month::parse(&r.month).map(|m| m.label()).unwrap_or_else(|| r.month.clone()),
            amount: format_wan(r.amount_fen),
            progress: r.progress.clone(),
            problems: r.problems.clone(),
            late: r.late,
            by: r.submitter.clone(),
            at: fmt_time(&r.submitted_at),
        })
        .collect();
    let supervisions = d
        .supervisions
        .iter()
        .map(|v| SupervisionView {
            id: v.id,
            version: v.version,
            title: v.title.clone(),
            content: v.content.clone(),
            due: v.due_on.to_string(),
            issuer: v.issuer.clone(),
            issued: fmt_time(&v.issued_at),
            response: v.response.clone(),
            responder: v.responder.clone(),
            responded: v.responded_at.as_ref().map(fmt_time).unwrap_or_default(),
            open: v.responded_at.is_none(),
            overdue: v.responded_at.is_none() && v.due_on < today,
            form: format!("respond-{}", v.id),
        })
        .collect();
    let status = match &error {
        Some(_) => axum::http::StatusCode::BAD_REQUEST,
        None => axum::http::StatusCode::OK,
    };
    let r = &d.project;
    let t = ProjectTpl {
        nav: Nav::of(&u.p, "projects"),
        id,
        code: r.code.clone(),
        name: r.name.clone(),
        version: r.version,
        stage: stage.label(),
        terminated: stage == Stage::Terminated,
        color: code_class(d.code),
        color_label: d.code.label(),
        reasons: d.reasons.iter().map(|x| (code_class(x.code), x.text.clone())).collect(),
        rules: &dp::CODE_RULES,
        path,
        f: facts(&d),
        older_events: events.split_off(events.len().min(SHOWN_EVENTS)),
        events,
        milestones,
        transitions,
        older_reports: reports.split_off(reports.len().min(SHOWN_REPORTS)),
        reports,
        months: d
            .open_months
            .iter()
            .map(|m| (m.clone(), Month::parse(m).map(|x| x.label()).unwrap_or_default()))
            .collect(),
        supervisions,
        may_edit: d.may_edit,
        may_report: d.may_report,
        may_supervise: d.may_supervise,
        today: today.to_string(),
        error,
        notice,
        kept,
        problem_categories: domain::problem::Category::ALL.iter().map(|c| (c.code(), c.label())).collect(),
    };
    Ok((status, t).into_response())
}

pub(super) async fn project_page(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    Query(q): Query<MsgParams>,
) -> PageResult {
    let id = id_of(id)?;
    render(&s, &u, id, None, Some(q.msg).filter(|m| !m.trim().is_empty()), Kept::default()).await
}

/// An evidence file of the project, as stored.
pub(super) async fn evidence_file(
    State(s): State<AppState>,
    u: WebUser,
    ids: Result<Path<(i64, i64)>, PathRejection>,
) -> PageResult {
    let (id, eid) = two_ids(ids)?;
    let (name, content_type, bytes) = s.app.project_evidence_file(&u.p, id, eid).await?;
    Ok(download(content_type, &name, bytes))
}

fn two_ids(p: Result<Path<(i64, i64)>, PathRejection>) -> Result<(i64, i64), PageError> {
    p.map(|Path(x)| x).map_err(|_| PageError(AppError::NotFound))
}

fn version_of(form: &HashMap<String, String>) -> Result<i64, AppError> {
    field(form, "version").trim().parse().map_err(|_| AppError::invalid("version", "缺少版本号，请刷新页面后重试"))
}

/// A stale write is answered like a conflict: the page again with who changed it and when.
fn stale_as_conflict(e: AppError) -> PageError {
    match e {
        e @ AppError::Stale { .. } => PageError(AppError::Conflict(e.to_string())),
        e => PageError(e),
    }
}

fn back_to(id: i64, anchor: &'static str) -> impl FnOnce(&str) -> String {
    move |m: &str| format!("/projects/{id}?msg={}{anchor}", urlencode(m))
}

/// Runs `result` through [`answer`]: back to the page with the message, or the page again
/// with the refusal and the form's values.
async fn finish(
    s: &AppState,
    u: &WebUser,
    id: i64,
    result: Result<String, PageError>,
    anchor: &'static str,
    kept: Kept,
) -> PageResult {
    answer(result, back_to(id, anchor), |e| render(s, u, id, Some(e), None, kept)).await
}

pub(super) async fn milestone_done(
    State(s): State<AppState>,
    u: WebUser,
    ids: Result<Path<(i64, i64)>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (id, mid) = two_ids(ids)?;
    let form = checked_form(&u.p, form)?;
    let result: Result<String, PageError> = async {
        let version = version_of(&form)?;
        s.app.complete_milestone(&u.p, id, version, mid, &field(&form, "on")).await.map_err(stale_as_conflict)?;
        Ok("节点已标记完成，后续节点的计划日期已顺延".to_string())
    }
    .await;
    finish(&s, &u, id, result, "#milestones", Kept { form: format!("done-{mid}"), values: form }).await
}

pub(super) async fn milestone_adjust(
    State(s): State<AppState>,
    u: WebUser,
    ids: Result<Path<(i64, i64)>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (id, mid) = two_ids(ids)?;
    let form = checked_form(&u.p, form)?;
    let result: Result<String, PageError> = async {
        let version = version_of(&form)?;
        s.app
            .adjust_milestone(&u.p, id, version, mid, &field(&form, "due_on"), &field(&form, "reason"))
            .await
            .map_err(stale_as_conflict)?;
        Ok("节点计划日期已调整".to_string())
    }
    .await;
    finish(&s, &u, id, result, "#milestones", Kept { form: format!("adjust-{mid}"), values: form }).await
}

/// The text fields and the non-empty files (field name, file name, bytes) of a multipart
/// form, refused unless it carries this session's CSRF token.
async fn multipart_form(p: &Principal, mp: Multipart) -> Result<Upload, PageError> {
    let (fields, files) = super::read_multipart(p, mp).await?;
    let files = files.into_iter().filter(|(_, _, b)| !b.is_empty()).map(|(n, f, b)| (n, f, b.to_vec())).collect();
    Ok((fields, files))
}

type Upload = (HashMap<String, String>, Vec<(String, String, Vec<u8>)>);

/// A stage change with its evidence (one form per allowed next stage).
pub(super) async fn transition(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    mp: Multipart,
) -> PageResult {
    let id = id_of(id)?;
    let (form, files) = multipart_form(&u.p, mp).await?;
    let to = field(&form, "to");
    const OWN: [&str; 5] = ["csrf", "version", "to", "on", "reason"];
    let texts: Vec<(String, String)> =
        form.iter().filter(|(k, _)| !OWN.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    let result: Result<String, PageError> = async {
        let version = version_of(&form)?;
        let st = s
            .app
            .transition_project(&u.p, id, version, &to, &field(&form, "on"), &field(&form, "reason"), &texts, &files)
            .await
            .map_err(stale_as_conflict)?;
        Ok(format!("项目已进入“{}”阶段", st.label()))
    }
    .await;
    finish(&s, &u, id, result, "#timeline", Kept { form: format!("stage-{to}"), values: form }).await
}

pub(super) async fn report(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let input = ReportInput {
        month: field(&form, "month"),
        amount_wan: field(&form, "amount_wan"),
        progress: field(&form, "progress"),
        problems: field(&form, "problems"),
        raise_category: field(&form, "raise_category"),
    };
    let result: Result<String, PageError> = async {
        s.app.submit_report(&u.p, id, &input).await?;
        let label = Month::parse(&input.month).map(|m| m.label()).unwrap_or_default();
        if input.raise_category.trim().is_empty() {
            Ok(format!("{label}月报已提交"))
        } else {
            Ok(format!("{label}月报已提交，存在问题已转入企业问题台账（近 90 天已转入的相同问题不重复登记）"))
        }
    }
    .await;
    finish(&s, &u, id, result, "#reports", Kept { form: "report".into(), values: form }).await
}

pub(super) async fn supervise(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let result: Result<String, PageError> = async {
        s.app
            .supervise_project(&u.p, id, &field(&form, "title"), &field(&form, "content"), &field(&form, "due_on"))
            .await?;
        Ok("督办事项已下达".to_string())
    }
    .await;
    finish(&s, &u, id, result, "#supervision", Kept { form: "supervise".into(), values: form }).await
}

pub(super) async fn respond(
    State(s): State<AppState>,
    u: WebUser,
    ids: Result<Path<(i64, i64)>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let (id, sid) = two_ids(ids)?;
    let form = checked_form(&u.p, form)?;
    let result: Result<String, PageError> = async {
        let version = version_of(&form)?;
        s.app
            .respond_supervision(&u.p, id, sid, version, &field(&form, "response"))
            .await
            .map_err(stale_as_conflict)?;
        Ok("督办回复已提交".to_string())
    }
    .await;
    finish(&s, &u, id, result, "#supervision", Kept { form: format!("respond-{sid}"), values: form }).await
}
