//! Yearly evaluation runs, expert scoring, review and approval, the three-tier ledger and its
//! exit procedures (see `app::evalrun`).

use crate::AppState;
use crate::api::{bad_json, id_of};
use crate::api_chains::Created;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use app::AppError;
use app::evalrun::{ExitAction, NewRun, ReviewAction, ScoreIn};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/evaluations/runs", get(runs).post(create_run))
        .route("/evaluations/runs/{id}", get(run))
        .route("/evaluations/runs/{id}/experts", post(assign_expert))
        .route("/evaluations/runs/{id}/experts/{account}", axum::routing::delete(remove_expert))
        .route("/evaluations/runs/{id}/scoring", get(scoring))
        .route("/evaluations/runs/{id}/declaration", post(declare))
        .route("/evaluations/runs/{id}/scores", put(save_scores))
        .route("/evaluations/runs/{id}/compute", post(compute))
        .route("/evaluations/runs/{id}/results/{enterprise}", put(set_tier))
        .route("/evaluations/runs/{id}/review", post(review))
        .route("/evaluations/runs/{id}/export.xlsx", get(export))
        .route("/evaluations/ledger", get(ledger))
        .route("/evaluations/exits/{id}", post(exit_step))
}

fn query_err(e: QueryRejection) -> ApiError {
    ApiError(AppError::invalid("query", format!("查询参数有误：{}", e.body_text())))
}

fn two_ids(p: Result<Path<(i64, i64)>, PathRejection>) -> Result<(i64, i64), ApiError> {
    p.map(|Path(x)| x).map_err(|_| ApiError(AppError::NotFound))
}

#[derive(Deserialize, IntoParams)]
pub struct RunsQuery {
    pub scheme: Option<i64>,
    /// Chain id or code.
    pub chain: Option<String>,
    pub year: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RunItem {
    pub id: i64,
    pub scheme_id: i64,
    pub scheme_name: String,
    pub scheme_version: i64,
    pub target: String,
    pub chain_code: String,
    pub chain_name: String,
    pub year: i64,
    /// scoring | computed | approved
    pub status: String,
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct RunList {
    pub items: Vec<RunItem>,
}

/// Evaluation runs the reader may see (the office: all; a chief or lead department: its chains).
#[utoipa::path(get, path = "/api/v1/evaluations/runs", params(RunsQuery),
    responses((status = 200, body = RunList), (status = 403, body = ErrorBody)))]
pub async fn runs(
    State(s): State<AppState>,
    u: ApiUser,
    q: Result<Query<RunsQuery>, QueryRejection>,
) -> Result<Json<RunList>, ApiError> {
    let Query(q) = q.map_err(query_err)?;
    let chain_id = match q.chain.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(s.app.chain_info(c).await?.id),
        None => None,
    };
    let rows = s
        .app
        .runs(&u.p, app::store::evalrun::RunFilter { scheme_id: q.scheme, chain_id, year: q.year, chains: None })
        .await?;
    Ok(Json(RunList {
        items: rows
            .into_iter()
            .map(|r| RunItem {
                id: r.id,
                scheme_id: r.scheme_id,
                scheme_name: r.scheme_name,
                scheme_version: r.scheme_version,
                target: r.target,
                chain_code: r.chain_code,
                chain_name: r.chain_name,
                year: r.year,
                status: r.status,
                version: r.row_version,
            })
            .collect(),
    }))
}

/// A new run (the office): `{"scheme_id","version"?,"chain"?,"year","config"?:{"demonstration":
/// {"min_score","quota"},"cultivation":…,"candidate":…,"bar","aggregation":"mean|median|trimmed",
/// "outlier"}}`. The quantitative inputs are read from the ledger now and kept with the run.
#[utoipa::path(post, path = "/api/v1/evaluations/runs", request_body = Object,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_run(
    State(s): State<AppState>,
    u: ApiUser,
    body: Result<Json<NewRun>, JsonRejection>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let Json(b) = body.map_err(bad_json)?;
    Ok((StatusCode::CREATED, Json(Created { id: s.app.create_run(&u.p, &b).await? })))
}

/// A run: its snapshot, configuration, experts, result (the computed matrix, weights, notes,
/// outliers), per-enterprise scores, contributions and tiers, and the review log.
#[utoipa::path(get, path = "/api/v1/evaluations/runs/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn run(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<app::evalrun::RunView>, ApiError> {
    Ok(Json(s.app.run_view(&u.p, id_of(id)?).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ExpertIn {
    pub username: String,
}

/// Assign an expert account to a run being scored (the office).
#[utoipa::path(post, path = "/api/v1/evaluations/runs/{id}/experts", params(("id" = i64, Path)), request_body = ExpertIn,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn assign_expert(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<ExpertIn>, JsonRejection>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    Ok((StatusCode::CREATED, Json(Created { id: s.app.assign_expert(&u.p, id, &b.username).await? })))
}

/// Withdraw an expert (and its scores) from a run being scored (the office).
#[utoipa::path(delete, path = "/api/v1/evaluations/runs/{id}/experts/{account}",
    params(("id" = i64, Path), ("account" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_expert(
    State(s): State<AppState>,
    u: ApiUser,
    p: Result<Path<(i64, i64)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let (id, account) = two_ids(p)?;
    s.app.remove_expert(&u.p, id, account).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The calling expert's scoring form: enterprises, qualitative indicators with guidance per
/// level, its declaration and scores.
#[utoipa::path(get, path = "/api/v1/evaluations/runs/{id}/scoring", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn scoring(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<app::evalrun::ScoringForm>, ApiError> {
    Ok(Json(s.app.scoring_form(&u.p, id_of(id)?).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct DeclarationIn {
    /// Enterprise ids of the run the expert has an interest in (it will not score them).
    #[serde(default)]
    pub conflicts: Vec<i64>,
    /// The interest, in the expert's words (required when `conflicts` is not empty).
    #[serde(default)]
    pub declaration: String,
    /// The expert confirms it has no interest in the other enterprises.
    pub confirmed: bool,
}

/// The calling expert's conflict-of-interest declaration.
#[utoipa::path(post, path = "/api/v1/evaluations/runs/{id}/declaration", params(("id" = i64, Path)), request_body = DeclarationIn,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn declare(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<DeclarationIn>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    s.app.declare_conflicts(&u.p, id, &b.conflicts, &b.declaration, b.confirmed).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct ScoresIn {
    #[schema(value_type = Vec<Object>)]
    pub scores: Vec<ScoreIn>,
    /// Submit: every enterprise without a declared conflict must then be scored.
    #[serde(default)]
    pub submit: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Saved {
    pub saved: usize,
}

/// The calling expert's scores `[{"enterprise_id","indicator","score","note"}]`, saved (and
/// submitted with `submit`). All or nothing.
#[utoipa::path(put, path = "/api/v1/evaluations/runs/{id}/scores", params(("id" = i64, Path)), request_body = ScoresIn,
    responses((status = 200, body = Saved), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn save_scores(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<ScoresIn>, JsonRejection>,
) -> Result<Json<Saved>, ApiError> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    Ok(Json(Saved { saved: s.app.save_scores(&u.p, id, &b.scores, b.submit).await? }))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = RunVersionIn)]
pub struct VersionIn {
    /// The run's `version` as read.
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Computed {
    pub results: usize,
}

/// Compute a run (the office): aggregate the submitted experts' scores, weights, scores,
/// ranks, contributions and proposed tiers.
#[utoipa::path(post, path = "/api/v1/evaluations/runs/{id}/compute", params(("id" = i64, Path)), request_body = VersionIn,
    responses((status = 200, body = Computed), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn compute(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<VersionIn>, JsonRejection>,
) -> Result<Json<Computed>, ApiError> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    Ok(Json(Computed { results: s.app.compute_run(&u.p, id, b.version).await? }))
}

#[derive(Deserialize, ToSchema)]
pub struct TierIn {
    /// demonstration | cultivation | candidate; empty or absent: not in the ledger.
    #[serde(default)]
    pub tier: Option<String>,
    /// Required when the tier departs from the proposal.
    #[serde(default)]
    pub reason: String,
}

/// Change an enterprise's tier in a computed run (the office).
#[utoipa::path(put, path = "/api/v1/evaluations/runs/{id}/results/{enterprise}",
    params(("id" = i64, Path), ("enterprise" = i64, Path)), request_body = TierIn,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_tier(
    State(s): State<AppState>,
    u: ApiUser,
    p: Result<Path<(i64, i64)>, PathRejection>,
    body: Result<Json<TierIn>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let (id, enterprise) = two_ids(p)?;
    let Json(b) = body.map_err(bad_json)?;
    let tier = app::evalrun::tier_of(b.tier.as_deref().unwrap_or(""))?;
    s.app.set_run_tier(&u.p, id, enterprise, tier, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[schema(as = RunReviewIn)]
pub struct ReviewIn {
    #[schema(value_type = String)]
    /// comment | return | approve
    pub action: ReviewAction,
    #[serde(default)]
    pub comment: String,
    pub version: i64,
}

/// The office's review: a comment, a return to the experts (with a comment), or the
/// approval, which updates the three-tier ledger; answers what the approval changed.
#[utoipa::path(post, path = "/api/v1/evaluations/runs/{id}/review", params(("id" = i64, Path)), request_body = ReviewIn,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn review(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<ReviewIn>, JsonRejection>,
) -> Result<Json<app::evalrun::ApproveSummary>, ApiError> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    Ok(Json(s.app.review_run(&u.p, id, b.action, &b.comment, b.version).await?))
}

/// A computed run as xlsx: 说明 (with the command that recomputes it), 矩阵, 权重, 结果, 贡献, 专家评分.
#[utoipa::path(get, path = "/api/v1/evaluations/runs/{id}/export.xlsx", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn export(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let bytes = s.app.run_xlsx(&u.p, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, office::content_disposition(&format!("评价批次{id}.xlsx"))),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
pub struct LedgerQuery {
    /// leader | member
    pub target: Option<String>,
    /// Chain id or code.
    pub chain: Option<String>,
}

/// The three-tier ledger: current entries with their open exit procedures, every exit
/// procedure, and the history across years (the reader's scope applied).
#[utoipa::path(get, path = "/api/v1/evaluations/ledger", params(LedgerQuery),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)))]
pub async fn ledger(
    State(s): State<AppState>,
    u: ApiUser,
    q: Result<Query<LedgerQuery>, QueryRejection>,
) -> Result<Json<app::evalrun::LedgerView>, ApiError> {
    let Query(q) = q.map_err(query_err)?;
    Ok(Json(s.app.tier_ledger(&u.p, q.target.as_deref(), q.chain.as_deref()).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ExitIn {
    /// `{"action":"initiate|lift|exit","reason"}`, `{"action":"appeal","text"}`,
    /// `{"action":"decide","upheld","reply"}`
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub action: ExitAction,
    pub version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ExitState {
    /// warning | initiated | exited | lifted | withdrawn
    pub state: String,
}

/// One step of an exit procedure: the office initiates, lifts, completes the exit or decides
/// an appeal; the enterprise (or the office on its behalf) appeals.
#[utoipa::path(post, path = "/api/v1/evaluations/exits/{id}", params(("id" = i64, Path)), request_body = ExitIn,
    responses((status = 200, body = ExitState), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn exit_step(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<ExitIn>, JsonRejection>,
) -> Result<Json<ExitState>, ApiError> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    Ok(Json(ExitState { state: s.app.exit_step(&u.p, id, &b.action, b.version).await? }))
}
