//! `POST /api/v1/evaluations/compute`: the re-verification of an evaluation, the same
//! computation as `qianglian eval compute` (see `app::eval` and `domain::eval`).

use crate::AppState;
use crate::api::bad_json;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use app::AppError;
use app::eval::{Method, Table, Weighting};
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new().route("/evaluations/compute", post(compute))
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
    let out = tokio::task::spawn_blocking(move || app::eval::compute(&table, &kinds, &weighting, method, how))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(Json(out))
}
