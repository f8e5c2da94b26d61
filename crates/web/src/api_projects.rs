//! The key-project API: the library (`/projects`), a project's stage changes, milestones,
//! monthly reports and supervision, the to-do list, and the monthly scheduling report
//! (`/schedules`). Amounts are in fen (integers) on the way out and 万元 text on the way in,
//! as people type them.

use crate::AppState;
use crate::api::{bad_json, id_of};
use crate::api_chains::Created;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use app::AppError;
use app::project::{ProjectDetail, ProjectInput, ReportInput};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

type ApiResult<T> = Result<T, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects", get(list).post(create))
        .route("/projects/{id}", get(one).put(update))
        .route(
            "/projects/{id}/transition",
            post(transition).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/projects/{id}/reports", get(reports).post(add_report))
        .route("/projects/{id}/milestones/{mid}", post(milestone))
        .route("/projects/{id}/supervisions", post(supervise))
        .route("/projects/{id}/supervisions/{sid}", post(respond))
        .route("/projects/todo", get(todo))
        .route("/schedules", get(schedule))
}

fn query_error(e: QueryRejection) -> ApiError {
    ApiError(AppError::invalid("query", format!("查询参数有误：{}", e.body_text())))
}

fn pair_of(p: Result<Path<(i64, i64)>, PathRejection>) -> ApiResult<(i64, i64)> {
    p.map(|Path(k)| k).map_err(|_| ApiError(AppError::NotFound))
}

#[derive(Deserialize, IntoParams)]
pub struct ProjectQuery {
    /// Chain id or code.
    pub chain: Option<String>,
    /// County or park code (a prefecture code covers its counties).
    pub region: Option<String>,
    /// planning | signed | approval | started | building | completed | operating | terminated
    pub stage: Option<String>,
    /// new_attraction | reinvestment | pilot | upgrade | environmental
    pub kind: Option<String>,
    /// Responsible unit (department or region code).
    pub unit: Option<String>,
    /// effective_investment | rooted_industry | lasting_tax
    pub tag: Option<String>,
    /// red | yellow | green (today's code)
    pub code: Option<String>,
    /// Name, code or investor fragment.
    pub q: Option<String>,
    /// updated (default) | name | total | completed | stage
    pub sort: Option<String>,
    /// 1-based page.
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Turns the list's query into the store's filter and the code wanted.
pub async fn filter_of(
    s: &AppState,
    q: &ProjectQuery,
) -> Result<(app::store::project::Filter, Option<domain::project::Code>), AppError> {
    let chain_id = match q.chain.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(k) => Some(
            s.app
                .chains()
                .await?
                .into_iter()
                .find(|c| c.code == k || c.id.to_string() == k)
                .ok_or_else(|| AppError::invalid("chain", format!("产业链“{k}”不存在")))?
                .id,
        ),
    };
    let stage = match q.stage.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(v) => Some(
            domain::project::Stage::parse(v)
                .ok_or_else(|| AppError::invalid("stage", format!("未知阶段“{v}”")))?
                .code()
                .to_string(),
        ),
    };
    let kind = match q.kind.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(v) => Some(
            domain::project::code_of(&domain::project::KINDS, v)
                .ok_or_else(|| AppError::invalid("kind", format!("未知项目类型“{v}”")))?
                .to_string(),
        ),
    };
    let code = match q.code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(v) => {
            Some(domain::project::Code::parse(v).ok_or_else(|| AppError::invalid("code", format!("未知赋码“{v}”")))?)
        }
    };
    let nonempty = |v: &Option<String>| v.as_deref().map(str::trim).filter(|x| !x.is_empty()).map(str::to_string);
    let f = app::store::project::Filter {
        chain_id,
        region: nonempty(&q.region),
        stage,
        kind,
        unit: nonempty(&q.unit),
        tag: nonempty(&q.tag),
        q: nonempty(&q.q),
        sort: nonempty(&q.sort),
        page: q.page.unwrap_or(1).max(1) - 1,
        per_page: q.per_page.unwrap_or(20).clamp(1, 200),
        ..Default::default()
    };
    Ok((f, code))
}

#[derive(Serialize, ToSchema)]
pub struct ProjectList {
    /// Projects the caller may read: every field of the project (amounts in fen), with
    /// `color` (today's code: green, yellow, red) and `reasons`.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<app::project_schedule::ListedProject>,
    pub total: i64,
}

/// The project library as the caller's scope shows it, filtered and paged.
#[utoipa::path(get, path = "/api/v1/projects", params(ProjectQuery),
    responses((status = 200, body = ProjectList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    u: ApiUser,
    q: Result<Query<ProjectQuery>, QueryRejection>,
) -> ApiResult<Json<ProjectList>> {
    let Query(q) = q.map_err(query_error)?;
    let (f, code) = filter_of(&s, &q).await?;
    let (items, total) = s.app.projects(&u.p, &f, code).await?;
    Ok(Json(ProjectList { items, total }))
}

/// A project as typed: amounts in 万元 as text (`"12000"`, `"1,234.5"`), dates as people
/// write them, chain/region/unit by code or name, kind and land mode by code or label.
#[derive(Deserialize, ToSchema)]
pub struct ProjectIn {
    #[serde(default)]
    pub code: String,
    pub name: String,
    pub chain: String,
    #[serde(default)]
    pub segment_id: Option<i64>,
    pub region: String,
    #[serde(default)]
    pub enterprise_uscc: String,
    #[serde(default)]
    pub investor: String,
    pub kind: String,
    #[serde(default)]
    pub tag_effective: bool,
    #[serde(default)]
    pub tag_rooted: bool,
    #[serde(default)]
    pub tag_tax: bool,
    pub total_wan: String,
    /// Yearly plans: `[["2026", "5000"]]` in 万元.
    #[serde(default)]
    pub plans: Vec<(String, String)>,
    #[serde(default)]
    pub land_mu: String,
    #[serde(default)]
    pub land_mode: String,
    #[serde(default)]
    pub output_wan: String,
    #[serde(default)]
    pub tax_wan: String,
    #[serde(default)]
    pub content: String,
    pub unit: String,
    pub person: String,
    #[serde(default)]
    pub person_username: String,
    #[serde(default)]
    pub contact: String,
    pub planned_start: String,
    #[serde(default)]
    pub planned_end: String,
    /// Initial stage (creation only).
    #[serde(default)]
    pub stage: String,
    /// The version read (updates only).
    #[serde(default)]
    pub version: Option<i64>,
}

impl ProjectIn {
    fn input(self) -> ProjectInput {
        ProjectInput {
            code: self.code,
            name: self.name,
            chain: self.chain,
            segment_id: self.segment_id,
            region: self.region,
            enterprise_uscc: self.enterprise_uscc,
            investor: self.investor,
            kind: self.kind,
            tag_effective: self.tag_effective,
            tag_rooted: self.tag_rooted,
            tag_tax: self.tag_tax,
            total_wan: self.total_wan,
            plans: self.plans,
            land_mu: self.land_mu,
            land_mode: self.land_mode,
            output_wan: self.output_wan,
            tax_wan: self.tax_wan,
            content: self.content,
            unit: self.unit,
            person: self.person,
            person_username: self.person_username,
            contact: self.contact,
            planned_start: self.planned_start,
            planned_end: self.planned_end,
            stage: self.stage,
        }
    }
}

/// Adds a project (the office, the chain's lead department, or a region in its own area).
#[utoipa::path(post, path = "/api/v1/projects", request_body = ProjectIn,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    u: ApiUser,
    body: Result<Json<ProjectIn>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let Json(b) = body.map_err(bad_json)?;
    let id = s.app.create_project(&u.p, &b.input()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Serialize, ToSchema)]
pub struct ProjectOut {
    /// The project (amounts in fen), its yearly `plans` as [year, fen], `milestones`,
    /// `reports`, timeline `events`, `evidence` (metadata), `supervisions`, today's `code`
    /// and `reasons`, what the caller may do (`may_edit`, `may_report`, `may_supervise`),
    /// the allowed `next` stages and the `open_months` that may be reported.
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub detail: ProjectDetail,
}

#[utoipa::path(get, path = "/api/v1/projects/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = ProjectOut), (status = 404, body = ErrorBody)))]
pub async fn one(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<Json<ProjectOut>> {
    Ok(Json(ProjectOut { detail: s.app.project(&u.p, id_of(id)?).await? }))
}

/// Replaces a project's fields (not its stage); `version` must be the one read.
#[utoipa::path(put, path = "/api/v1/projects/{id}", params(("id" = i64, Path)), request_body = ProjectIn,
    responses((status = 200, body = ProjectOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<ProjectIn>, JsonRejection>,
) -> ApiResult<Json<ProjectOut>> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    let version =
        b.version.ok_or_else(|| ApiError(AppError::invalid("version", "更新须提供读取时的版本号 version")))?;
    s.app.update_project(&u.p, id, version, &b.input()).await?;
    Ok(Json(ProjectOut { detail: s.app.project(&u.p, id).await? }))
}

/// One evidence file, base64-encoded.
#[derive(Deserialize, ToSchema)]
pub struct EvidenceFileIn {
    /// The requirement's key (contract, start_photo, progress_photo, acceptance, operation).
    pub item: String,
    pub file_name: String,
    pub content_base64: String,
}

#[derive(Deserialize, ToSchema)]
pub struct TransitionIn {
    /// The stage to enter (code or label).
    pub to: String,
    /// The project's version as read.
    pub version: i64,
    /// The day it happened (default today).
    #[serde(default)]
    pub on: String,
    /// Required for 终止.
    #[serde(default)]
    pub reason: String,
    /// Text evidence by requirement key (filing_no, permit_no).
    #[serde(default)]
    pub texts: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub files: Vec<EvidenceFileIn>,
}

#[derive(Serialize, ToSchema)]
pub struct StageOut {
    pub stage: String,
    pub label: String,
}

/// Moves a project to its next stage or 终止, with the evidence the step needs (an
/// illegal step is a 409 naming the allowed next stages; missing or wrong evidence a 400).
#[utoipa::path(post, path = "/api/v1/projects/{id}/transition", params(("id" = i64, Path)), request_body = TransitionIn,
    responses((status = 200, body = StageOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn transition(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<TransitionIn>, JsonRejection>,
) -> ApiResult<Json<StageOut>> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    let mut files = Vec::new();
    for f in b.files {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(f.content_base64.trim())
            .map_err(|_| ApiError(AppError::invalid(&f.item, format!("“{}”的内容不是有效的 base64", f.file_name))))?;
        files.push((f.item, f.file_name, bytes));
    }
    let texts: Vec<(String, String)> = b.texts.into_iter().collect();
    let to = s.app.transition_project(&u.p, id, b.version, &b.to, &b.on, &b.reason, &texts, &files).await?;
    Ok(Json(StageOut { stage: to.code().into(), label: to.label().into() }))
}

#[derive(Serialize, ToSchema)]
pub struct ReportList {
    /// Monthly reports, newest first (`amount_fen` in fen, `late` when after the 5th of the
    /// following month).
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<app::store::project::ReportRow>,
    pub total: usize,
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/reports", params(("id" = i64, Path)),
    responses((status = 200, body = ReportList), (status = 404, body = ErrorBody)))]
pub async fn reports(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<Json<ReportList>> {
    let items = s.app.project_reports(&u.p, id_of(id)?).await?;
    Ok(Json(ReportList { total: items.len(), items }))
}

#[derive(Deserialize, ToSchema)]
pub struct ReportIn {
    /// `YYYY-MM`: not a future month, not one already reported.
    pub month: String,
    /// Investment completed in the month, 万元.
    pub amount_wan: String,
    pub progress: String,
    #[serde(default)]
    pub problems: String,
    /// A problem category (land, funds …): the problems met are also raised into the
    /// enterprise-problem ledger for the project's owner.
    #[serde(default)]
    pub raise_category: String,
}

/// Submits a monthly report (the project's region, responsible unit or person, the lead
/// department, the office).
#[utoipa::path(post, path = "/api/v1/projects/{id}/reports", params(("id" = i64, Path)), request_body = ReportIn,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_report(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<ReportIn>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    let r = ReportInput {
        month: b.month,
        amount_wan: b.amount_wan,
        progress: b.progress,
        problems: b.problems,
        raise_category: b.raise_category,
    };
    let rid = s.app.submit_report(&u.p, id, &r).await?;
    Ok((StatusCode::CREATED, Json(Created { id: rid })))
}

#[derive(Deserialize, ToSchema)]
pub struct MilestoneIn {
    /// done | adjust
    pub action: String,
    pub version: i64,
    /// done: the completion day (default today).
    #[serde(default)]
    pub on: String,
    /// adjust: the new due date and the reason.
    #[serde(default)]
    pub due_on: String,
    #[serde(default)]
    pub reason: String,
}

/// Completes a milestone or adjusts its due date with a reason.
#[utoipa::path(post, path = "/api/v1/projects/{id}/milestones/{mid}", params(("id" = i64, Path), ("mid" = i64, Path)), request_body = MilestoneIn,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn milestone(
    State(s): State<AppState>,
    u: ApiUser,
    ids: Result<Path<(i64, i64)>, PathRejection>,
    body: Result<Json<MilestoneIn>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let (id, mid) = pair_of(ids)?;
    let Json(b) = body.map_err(bad_json)?;
    match b.action.as_str() {
        "done" => s.app.complete_milestone(&u.p, id, b.version, mid, &b.on).await?,
        "adjust" => s.app.adjust_milestone(&u.p, id, b.version, mid, &b.due_on, &b.reason).await?,
        other => return Err(ApiError(AppError::invalid("action", format!("未知操作“{other}”，应为 done 或 adjust")))),
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct SuperviseIn {
    pub title: String,
    #[serde(default)]
    pub content: String,
    /// Response deadline.
    pub due_on: String,
}

/// Issues a supervision order 督办 (the office, the chain's lead department or chiefs).
#[utoipa::path(post, path = "/api/v1/projects/{id}/supervisions", params(("id" = i64, Path)), request_body = SuperviseIn,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn supervise(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<SuperviseIn>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    let sid = s.app.supervise_project(&u.p, id, &b.title, &b.content, &b.due_on).await?;
    Ok((StatusCode::CREATED, Json(Created { id: sid })))
}

#[derive(Deserialize, ToSchema)]
pub struct RespondIn {
    pub version: i64,
    pub response: String,
}

/// Answers a supervision order (once).
#[utoipa::path(post, path = "/api/v1/projects/{id}/supervisions/{sid}", params(("id" = i64, Path), ("sid" = i64, Path)), request_body = RespondIn,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn respond(
    State(s): State<AppState>,
    u: ApiUser,
    ids: Result<Path<(i64, i64)>, PathRejection>,
    body: Result<Json<RespondIn>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let (id, sid) = pair_of(ids)?;
    let Json(b) = body.map_err(bad_json)?;
    s.app.respond_supervision(&u.p, id, sid, b.version, &b.response).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TodoList {
    /// `kind` report_due | report_overdue | supervision | milestone_due | milestone_overdue,
    /// with `project_id`, `project`, `text`, `due`, `overdue`, `item_id`.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<app::project_schedule::TodoItem>,
}

/// The caller's to-do list on the projects assigned to them.
#[utoipa::path(get, path = "/api/v1/projects/todo", responses((status = 200, body = TodoList), (status = 403, body = ErrorBody)))]
pub async fn todo(State(s): State<AppState>, u: ApiUser) -> ApiResult<Json<TodoList>> {
    Ok(Json(TodoList { items: s.app.project_todo(&u.p).await? }))
}

#[derive(Deserialize, IntoParams)]
pub struct ScheduleQuery {
    /// `YYYY-MM` (default this month).
    pub period: Option<String>,
    /// Chain id or code.
    pub chain: Option<String>,
    /// County or park code.
    pub region: Option<String>,
    /// Most started and lagging projects listed (default 500; `started_total` and
    /// `lagging_total` give the counts).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct ScheduleOut {
    /// The scheduling report: `period`, `as_of` (the day codes are computed for), totals in
    /// fen (`total_fen`, `plan_fen`, `ytd_fen`, `month_fen`), `rate` and `time_rate` (%),
    /// code counts, the stage `funnel`, `started` this month, `lagging` projects with
    /// `reasons` (at most `limit` of each, with `started_total` and `lagging_total`), `by_chain`, `by_region`, `by_unit` (with each unit's `color`) and `rules`.
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub schedule: app::project_schedule::Schedule,
}

/// The monthly scheduling report of the city, a chain or a region, in the caller's scope.
#[utoipa::path(get, path = "/api/v1/schedules", params(ScheduleQuery),
    responses((status = 200, body = ScheduleOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn schedule(
    State(s): State<AppState>,
    u: ApiUser,
    q: Result<Query<ScheduleQuery>, QueryRejection>,
) -> ApiResult<Json<ScheduleOut>> {
    let Query(q) = q.map_err(query_error)?;
    let mut schedule =
        s.app.schedule(&u.p, q.period.as_deref().unwrap_or(""), q.chain.as_deref(), q.region.as_deref()).await?;
    let limit = q.limit.unwrap_or(500);
    schedule.started.truncate(limit);
    schedule.lagging.truncate(limit);
    Ok(Json(ScheduleOut { schedule }))
}
