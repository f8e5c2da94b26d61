//! `POST /api/v1/evaluations/compute`: the re-verification of an evaluation, the same
//! computation as `qianglian eval compute` (see `app::eval` and `domain::eval`).

use crate::AppState;
use crate::api::{bad_json, id_of};
use crate::api_chains::Created;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use app::AppError;
use app::eval::{Method, Table, Weighting};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/evaluations/compute", post(compute))
        .route("/evaluations/schemes", get(schemes).post(create_scheme))
        .route("/evaluations/schemes/{id}", get(scheme))
        .route("/evaluations/schemes/{id}/versions", post(add_version))
        .route("/evaluations/schemes/{id}/matrix", get(matrix))
}

#[derive(Deserialize, ToSchema)]
pub struct RowIn {
    pub id: String,
    pub values: Vec<f64>,
}

#[derive(Deserialize, ToSchema)]
pub struct ComputeIn {
    /// Criterion names, in column order.
    pub criteria: Vec<String>,
    /// b (benefit) or c (cost) per criterion.
    pub types: Vec<String>,
    pub rows: Vec<RowIn>,
    /// entropy | entropy-shift | critic | equal | given | ahp
    pub weighting: String,
    /// With `given`: the weights (rescaled to sum to 1).
    #[serde(default)]
    pub weights: Option<Vec<f64>>,
    /// With `ahp`: one pairwise matrix per expert (combined by the geometric mean).
    #[serde(default)]
    pub pairwise: Option<Vec<Vec<Vec<f64>>>>,
    /// With `ahp`: the recorded reason for accepting a CR of 0.1 or more.
    #[serde(default)]
    pub cr_override: Option<String>,
    /// topsis (default) | wsum
    #[serde(default)]
    pub method: Option<String>,
    /// vector (default) | minmax
    #[serde(default)]
    pub normalization: Option<String>,
    /// Also each result's per-criterion contributions (adding up to its score).
    #[serde(default)]
    pub contributions: bool,
}

/// Weights and, per id, score and rank: `{"weights":[…],"results":[{"id","score","rank"}]}`
/// (also `criteria`, and `ahp` with `weights`, `lambda_max`, `ci`, `cr` for AHP).
#[utoipa::path(post, path = "/api/v1/evaluations/compute", request_body = ComputeIn,
    responses((status = 200, body = Object), (status = 400, body = ErrorBody)))]
pub async fn compute(
    State(_s): State<AppState>,
    _u: ApiUser,
    body: Result<Json<ComputeIn>, JsonRejection>,
) -> Result<Json<app::eval::Computed>, ApiError> {
    let Json(b) = body.map_err(bad_json)?;
    let kinds = app::eval::parse_kinds(&b.types.join(","))?;
    let weighting = match b.weighting.trim() {
        "given" => Weighting::Given(
            b.weights.ok_or_else(|| AppError::invalid("weights", "weighting 为 given 时须给出 weights"))?,
        ),
        "ahp" => Weighting::Ahp {
            matrices: b
                .pairwise
                .filter(|m| !m.is_empty())
                .ok_or_else(|| AppError::invalid("pairwise", "weighting 为 ahp 时须给出 pairwise 判断矩阵"))?,
            override_reason: b.cr_override,
        },
        other => app::eval::parse_weighting(other, &|_| {
            Err(AppError::invalid("weighting", "请用 pairwise 字段给出判断矩阵"))
        })?,
    };
    let method = match b.method.as_deref() {
        None => Method::Topsis,
        Some(m) => {
            Method::parse(m).ok_or_else(|| AppError::invalid("method", format!("method “{m}”应为 topsis 或 wsum")))?
        }
    };
    let how = match b.normalization.as_deref() {
        None => Default::default(),
        Some(n) => app::domain::eval::Normalization::parse(n)
            .ok_or_else(|| AppError::invalid("normalization", format!("normalization “{n}”应为 vector 或 minmax")))?,
    };
    let table = Table {
        criteria: b.criteria,
        ids: b.rows.iter().map(|r| r.id.clone()).collect(),
        rows: b.rows.into_iter().map(|r| r.values).collect(),
    };
    // The computation is pure and quick; run it off the async threads all the same, since a
    // request may carry a large matrix.
    let parts = b.contributions;
    let out =
        tokio::task::spawn_blocking(move || app::eval::compute_with(&table, &kinds, &weighting, method, how, parts))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(Json(out))
}

#[derive(Serialize, ToSchema)]
pub struct SchemeList {
    /// `id`, `code`, `name`, `target` (leader | member), `chain_id`, `chain_name`, `latest_version`.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<app::store::scheme::SchemeRow>,
}

/// Evaluation schemes.
#[utoipa::path(get, path = "/api/v1/evaluations/schemes", responses((status = 200, body = SchemeList), (status = 403, body = ErrorBody)))]
pub async fn schemes(State(s): State<AppState>, u: ApiUser) -> Result<Json<SchemeList>, ApiError> {
    Ok(Json(SchemeList { items: s.app.schemes(&u.p).await? }))
}

/// A new scheme and its first version (the office): `{"code","name","target":"leader|member",
/// "chain","definition":{"dimensions":[{"code","name","indicators":[{"code","name","direction":
/// "benefit|cost","measure":{"kind":"quantitative","source":{"kind":"indicator","code":"revenue"},
/// "missing":"exclude|zero|mean|min"}}]}],"weighting":…,"method","normalization"},"note"}`.
#[utoipa::path(post, path = "/api/v1/evaluations/schemes", request_body = Object,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_scheme(
    State(s): State<AppState>,
    u: ApiUser,
    body: Result<Json<app::scheme::NewScheme>, JsonRejection>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let Json(b) = body.map_err(bad_json)?;
    let id = s.app.create_scheme(&u.p, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// A scheme with all its versions (newest first) and their definitions.
#[utoipa::path(get, path = "/api/v1/evaluations/schemes/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn scheme(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<app::scheme::SchemeView>, ApiError> {
    Ok(Json(s.app.scheme(&u.p, id_of(id)?).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct VersionIn {
    #[schema(value_type = Object)]
    pub definition: app::scheme::SchemeDef,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct VersionCreated {
    pub version: i64,
}

/// A new version of a scheme (the office); earlier versions stay as they were.
#[utoipa::path(post, path = "/api/v1/evaluations/schemes/{id}/versions", params(("id" = i64, Path)), request_body = VersionIn,
    responses((status = 201, body = VersionCreated), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_version(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<VersionIn>, JsonRejection>,
) -> Result<(StatusCode, Json<VersionCreated>), ApiError> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    let version = s.app.add_scheme_version(&u.p, id, &b.definition, &b.note).await?;
    Ok((StatusCode::CREATED, Json(VersionCreated { version })))
}

#[derive(Deserialize, IntoParams)]
pub struct MatrixQuery {
    pub year: i64,
    /// Chain id or code (required for a citywide scheme).
    pub chain: Option<String>,
    /// Version number (default: the latest).
    pub version: Option<i64>,
}

/// The decision matrix of a scheme's quantitative indicators for a chain's enterprises and a
/// year (`table` with `criteria`, `ids`, `rows`; `types`; how missing values were handled in
/// `notes`; the qualitative indicators left to experts).
#[utoipa::path(get, path = "/api/v1/evaluations/schemes/{id}/matrix", params(("id" = i64, Path), MatrixQuery),
    responses((status = 200, body = Object), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn matrix(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    q: Result<Query<MatrixQuery>, QueryRejection>,
) -> Result<Json<app::scheme::SchemeMatrix>, ApiError> {
    let id = id_of(id)?;
    let Query(q) = q.map_err(|e| ApiError(AppError::invalid("query", format!("查询参数有误：{}", e.body_text()))))?;
    Ok(Json(s.app.scheme_matrix(&u.p, id, q.version, q.chain.as_deref(), q.year).await?))
}
