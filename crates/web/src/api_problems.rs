//! The problem and chain-chief API (issue 7): enterprise problems with their steps and
//! escalation, rates and chain-wide groups, meetings with their packets, and tasks.

use crate::AppState;
use crate::api::{bad_json, id_of};
use crate::api_chains::Created;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use app::AppError;
use app::meeting::{MeetingInput, TaskInput};
use app::problem::ProblemInput;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::project::Code;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

type ApiResult<T> = Result<T, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/problems", get(list).post(raise))
        .route("/problems/rates", get(rates))
        .route("/problems/groups", get(groups))
        .route("/problems/{id}", get(one))
        .route("/problems/{id}/steps", post(step))
        .route("/problems/{id}/escalate", post(escalate))
        .route("/meetings", get(meetings).post(create_meeting))
        .route("/meetings/{id}", get(meeting))
        .route("/meetings/{id}/packet.docx", get(packet_docx))
        .route("/meetings/{id}/packet.xlsx", get(packet_xlsx))
        .route("/tasks", get(tasks).post(assign))
        .route("/tasks/{id}/steps", post(task_step))
}

fn query_error(e: QueryRejection) -> ApiError {
    ApiError(AppError::invalid("query", format!("查询参数有误：{}", e.body_text())))
}

#[derive(Deserialize, IntoParams, Default)]
pub struct ProblemQuery {
    /// submitted | accepted | answered | closed | withdrawn | rejected
    pub status: Option<String>,
    /// county | lead_department | chief
    pub level: Option<String>,
    /// land | funds | talent | energy | approvals | market | logistics | arrears | rights | other
    pub category: Option<String>,
    /// Chain code.
    pub chain: Option<String>,
    /// County or park code (a prefecture code covers its counties).
    pub region: Option<String>,
    /// Handling unit code.
    pub unit: Option<String>,
    /// portal | visit | hotline | api
    pub source: Option<String>,
    /// red | yellow | green (today's code)
    pub code: Option<String>,
    /// Only problems in a chain-wide group.
    pub grouped: Option<bool>,
    /// Title, code or enterprise fragment.
    pub q: Option<String>,
    /// 1-based page.
    pub page: Option<i64>,
    /// 1–200, default 50.
    pub per_page: Option<i64>,
}

/// Turns the query into the store's filter (codes checked, the chain looked up).
pub async fn problem_filter(
    s: &AppState,
    q: &ProblemQuery,
) -> Result<(app::store::problem::Filter, Option<Code>), ApiError> {
    let ne = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let mut errors = Vec::new();
    let status = ne(&q.status);
    if let Some(st) = &status
        && domain::problem::Status::parse(st).is_none()
    {
        errors.push(app::FieldError::new("status", format!("未知的状态“{st}”")));
    }
    let level = ne(&q.level).map(|l| domain::problem::Level::parse(&l).map(|x| x.code().to_string()).ok_or(l));
    let category = ne(&q.category).map(|c| domain::problem::Category::parse(&c).map(|x| x.code().to_string()).ok_or(c));
    let code = match ne(&q.code).as_deref() {
        None => None,
        Some("red") => Some(Code::Red),
        Some("yellow") => Some(Code::Yellow),
        Some("green") => Some(Code::Green),
        Some(c) => {
            errors.push(app::FieldError::new("code", format!("赋码应为 red、yellow 或 green，收到“{c}”")));
            None
        }
    };
    let chain_id = match ne(&q.chain) {
        Some(c) => match app::store::chain::id_by_code(&s.app.db, &c).await.map_err(AppError::from)? {
            Some(id) => Some(id),
            None => {
                errors.push(app::FieldError::new("chain", format!("没有编码为“{c}”的产业链")));
                None
            }
        },
        None => None,
    };
    let level = match level {
        Some(Ok(l)) => Some(l),
        Some(Err(l)) => {
            errors.push(app::FieldError::new("level", format!("未知的层级“{l}”")));
            None
        }
        None => None,
    };
    let category = match category {
        Some(Ok(c)) => Some(c),
        Some(Err(c)) => {
            errors.push(app::FieldError::new("category", format!("未知的类别“{c}”")));
            None
        }
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError(AppError::Invalid(errors)));
    }
    let per_page = q.per_page.unwrap_or(50).clamp(1, 200);
    Ok((
        app::store::problem::Filter {
            status: status.and_then(|s| domain::problem::Status::parse(&s)).map(|s| s.code().to_string()),
            level,
            category,
            chain_id,
            region: ne(&q.region),
            unit: ne(&q.unit),
            source: ne(&q.source),
            grouped: q.grouped.unwrap_or(false),
            q: ne(&q.q),
            page: q.page.unwrap_or(1).clamp(1, 100_000) - 1,
            per_page,
            ..Default::default()
        },
        code,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ProblemList {
    /// Problems the caller may read, each with `status_label`, `level_label`, today's
    /// `color` (green, yellow, red) with `color_reason`, and the `actions` the caller may take.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<app::problem::ProblemView>,
    pub total: i64,
}

/// Problems as the caller's scope shows them (an enterprise its own), filtered and paged.
#[utoipa::path(get, path = "/api/v1/problems", params(ProblemQuery),
    responses((status = 200, body = ProblemList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    u: ApiUser,
    q: Result<Query<ProblemQuery>, QueryRejection>,
) -> ApiResult<Json<ProblemList>> {
    let Query(q) = q.map_err(query_error)?;
    let (f, code) = problem_filter(&s, &q).await?;
    let (items, total) = s.app.problems(&u.p, &f, code).await?;
    Ok(Json(ProblemList { items, total }))
}

/// A problem as raised: category and sub-category by code or label; an enterprise account
/// may leave `enterprise_uscc` empty (its own).
#[derive(Deserialize, ToSchema)]
pub struct ProblemIn {
    #[serde(default)]
    pub enterprise_uscc: String,
    /// For enterprises outside the ledger (with `region`).
    #[serde(default)]
    pub enterprise_name: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub chain: String,
    pub category: String,
    #[serde(default)]
    pub subcategory: String,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub contact: String,
    /// portal | visit | hotline | api (default by role).
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub source_ref: String,
}

/// Raises a problem; it is routed to the enterprise's county with the county's time limit.
#[utoipa::path(post, path = "/api/v1/problems", request_body = ProblemIn,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn raise(
    State(s): State<AppState>,
    u: ApiUser,
    body: Result<Json<ProblemIn>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let Json(b) = body.map_err(bad_json)?;
    let input = ProblemInput {
        enterprise_uscc: b.enterprise_uscc,
        enterprise_name: b.enterprise_name,
        region: b.region,
        chain: b.chain,
        category: b.category,
        subcategory: b.subcategory,
        title: b.title,
        description: b.description,
        contact: b.contact,
        source: if b.source.trim().is_empty() { "api".into() } else { b.source },
        source_ref: b.source_ref,
    };
    let v = s.app.raise_problem(&u.p, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id: v.row.id })))
}

/// A problem with its steps, files, chain-wide group and the code rules.
#[utoipa::path(get, path = "/api/v1/problems/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn one(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<Json<app::problem::ProblemDetail>> {
    Ok(Json(s.app.problem(&u.p, id_of(id)?).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct StepIn {
    /// accept | reject | answer | confirm | reopen | withdraw | escalate
    pub action: String,
    /// The version read (a concurrent step makes this 409).
    pub version: i64,
    /// The reply, reason or comment the step needs.
    #[serde(default)]
    pub text: String,
    /// 1–5 with `confirm`.
    #[serde(default)]
    pub rating: Option<i64>,
}

/// A step on a problem by the raising enterprise, the handling unit or the office.
#[utoipa::path(post, path = "/api/v1/problems/{id}/steps", params(("id" = i64, Path)), request_body = StepIn,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn step(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<StepIn>, JsonRejection>,
) -> ApiResult<Json<app::problem::ProblemView>> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    Ok(Json(s.app.problem_step(&u.p, id, b.version, &b.action, &b.text, b.rating).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct EscalateIn {
    pub version: i64,
    pub reason: String,
}

/// Escalates a problem one level (county → lead department → chain chief), with a reason:
/// the handling unit or the office.
#[utoipa::path(post, path = "/api/v1/problems/{id}/escalate", params(("id" = i64, Path)), request_body = EscalateIn,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn escalate(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<EscalateIn>, JsonRejection>,
) -> ApiResult<Json<app::problem::ProblemView>> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    Ok(Json(s.app.problem_step(&u.p, id, b.version, "escalate", &b.reason, None).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct RatesQuery {
    /// unit | region | chain
    pub by: Option<String>,
}

/// Closure and satisfaction rates with red/yellow counts and codes, by unit, region or chain.
#[utoipa::path(get, path = "/api/v1/problems/rates", params(RatesQuery),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn rates(
    State(s): State<AppState>,
    u: ApiUser,
    q: Result<Query<RatesQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<app::problem::RateView>>> {
    let Query(q) = q.map_err(query_error)?;
    Ok(Json(s.app.problem_rates(&u.p, q.by.as_deref().unwrap_or("unit")).await?))
}

/// Chain-wide problems (the same category and similar text from ≥3 enterprises of a chain in 90 days).
#[utoipa::path(get, path = "/api/v1/problems/groups", responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn groups(State(s): State<AppState>, u: ApiUser) -> ApiResult<Json<Vec<app::store::problem::GroupRow>>> {
    Ok(Json(s.app.problem_groups(&u.p, None).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct MeetingQuery {
    pub chain: Option<String>,
    pub year: Option<i64>,
}

/// The chains' quarterly promotion meetings the caller may read.
#[utoipa::path(get, path = "/api/v1/meetings", params(MeetingQuery), responses((status = 200, body = Object), (status = 400, body = ErrorBody)))]
pub async fn meetings(
    State(s): State<AppState>,
    u: ApiUser,
    q: Result<Query<MeetingQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<app::store::meeting::MeetingRow>>> {
    let Query(q) = q.map_err(query_error)?;
    Ok(Json(s.app.meetings(&u.p, q.chain.as_deref(), q.year).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct MeetingIn {
    pub chain: String,
    pub year: i64,
    /// 1–4
    pub quarter: i64,
    pub held_on: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub attendees: String,
}

/// Creates a chain's quarterly meeting; the system assembles its agenda.
#[utoipa::path(post, path = "/api/v1/meetings", request_body = MeetingIn,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_meeting(
    State(s): State<AppState>,
    u: ApiUser,
    body: Result<Json<MeetingIn>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let Json(b) = body.map_err(bad_json)?;
    let m = MeetingInput {
        chain: b.chain,
        year: b.year,
        quarter: b.quarter,
        held_on: b.held_on,
        place: b.place,
        attendees: b.attendees,
    };
    let id = s.app.create_meeting(&u.p, &m).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// A meeting with its agenda, tasks and the share of decisions closed on time.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn meeting(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<Json<app::meeting::MeetingDetail>> {
    Ok(Json(s.app.meeting(&u.p, id_of(id)?).await?))
}

fn file(name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, office::content_disposition(name)),
        ],
        bytes,
    )
        .into_response()
}

/// The meeting packet as .docx in official-document style.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/packet.docx", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), (status = 404, body = ErrorBody)))]
pub async fn packet_docx(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<Response> {
    let (name, bytes) = s.app.meeting_packet_docx(&u.p, id_of(id)?).await?;
    Ok(file(&name, office::DOCX_TYPE, bytes))
}

/// The meeting packet's agenda and tasks as .xlsx.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/packet.xlsx", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404, body = ErrorBody)))]
pub async fn packet_xlsx(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<Response> {
    let (name, bytes) = s.app.meeting_packet_xlsx(&u.p, id_of(id)?).await?;
    Ok(file(&name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bytes))
}

#[derive(Deserialize, IntoParams)]
pub struct TaskQuery {
    pub chain: Option<String>,
    pub meeting_id: Option<i64>,
    /// Assigned unit code.
    pub unit: Option<String>,
    /// open | done | cancelled
    pub status: Option<String>,
}

/// Assigned tasks 交办事项 the caller may read, each with today's code and whether it closed on time.
#[utoipa::path(get, path = "/api/v1/tasks", params(TaskQuery), responses((status = 200, body = Object), (status = 400, body = ErrorBody)))]
pub async fn tasks(
    State(s): State<AppState>,
    u: ApiUser,
    q: Result<Query<TaskQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<app::meeting::TaskView>>> {
    let Query(q) = q.map_err(query_error)?;
    let chain_id = match q.chain.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(
            app::store::chain::id_by_code(&s.app.db, c)
                .await
                .map_err(AppError::from)?
                .ok_or_else(|| AppError::invalid("chain", format!("没有编码为“{c}”的产业链")))?,
        ),
        None => None,
    };
    let status = q.status.filter(|x| !x.trim().is_empty());
    if let Some(st) = &status
        && !["open", "done", "cancelled"].contains(&st.as_str())
    {
        return Err(ApiError(AppError::invalid("status", "状态应为 open、done 或 cancelled")));
    }
    let f = app::store::meeting::TaskFilter { chain_id, meeting_id: q.meeting_id, unit: q.unit, status, due_by: None };
    Ok(Json(s.app.tasks(&u.p, &f).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct TaskIn {
    /// Chain code (or give `meeting_id`).
    #[serde(default)]
    pub chain: String,
    #[serde(default)]
    pub meeting_id: Option<i64>,
    #[serde(default)]
    pub visit_id: Option<i64>,
    #[serde(default)]
    pub problem_id: Option<i64>,
    #[serde(default)]
    pub decision: String,
    pub title: String,
    /// Department or region code or name.
    pub unit: String,
    pub person: String,
    /// A holiday moves to the next working day (`moved` says so).
    pub due_on: String,
    #[serde(default)]
    pub evidence: String,
}

#[derive(Serialize, ToSchema)]
pub struct TaskCreated {
    pub id: i64,
    /// Set when the deadline fell on a holiday or weekend and was moved.
    pub moved: Option<String>,
}

/// Assigns a task (the office or the chain's lead department).
#[utoipa::path(post, path = "/api/v1/tasks", request_body = TaskIn,
    responses((status = 201, body = TaskCreated), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn assign(
    State(s): State<AppState>,
    u: ApiUser,
    body: Result<Json<TaskIn>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<TaskCreated>)> {
    let Json(b) = body.map_err(bad_json)?;
    let t = TaskInput {
        chain: b.chain,
        meeting_id: b.meeting_id,
        visit_id: b.visit_id,
        problem_id: b.problem_id,
        decision: b.decision,
        title: b.title,
        unit: b.unit,
        person: b.person,
        due_on: b.due_on,
        evidence: b.evidence,
    };
    let (id, moved) = s.app.assign_task(&u.p, &t).await?;
    Ok((StatusCode::CREATED, Json(TaskCreated { id, moved })))
}

#[derive(Deserialize, ToSchema)]
pub struct TaskStepIn {
    /// progress | done (the assigned unit) or supervision | cancel (office, lead department, chief)
    pub kind: String,
    pub version: i64,
    pub text: String,
}

/// A progress report, closure, supervision 督办 or cancellation of a task.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/steps", params(("id" = i64, Path)), request_body = TaskStepIn,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn task_step(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<TaskStepIn>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    s.app.task_step(&u.p, id, b.version, &b.kind, &b.text).await?;
    Ok(StatusCode::NO_CONTENT)
}
