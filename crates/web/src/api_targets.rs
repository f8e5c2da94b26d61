//! The investment-attraction API: a chain's ranked target companies, pushes to regions and
//! their follow-up, the review of reference products mapped onto segments, and the last
//! product-graph import. `{id}` is a chain's id or its code.

use crate::AppState;
use crate::api::bad_json;
use crate::api_chains::{Created, key_of};
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use app::AppError;
use app::productgraph::{FollowUp, PushInput, TargetItem};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

type ApiResult<T> = Result<T, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/chains/{id}/targets", get(chain_targets))
        .route("/chains/{id}/targets/push", post(push_target))
        .route("/chains/{id}/product-mappings", get(mappings).post(add_mapping))
        .route("/chains/{id}/product-mappings/{mid}", put(review_mapping))
        .route("/targets", get(pushes))
        .route("/targets/{pid}/follow-up", post(follow_up))
        .route("/product-graph", get(product_graph))
}

#[derive(Serialize, ToSchema)]
pub struct TargetList {
    /// Per weak or missing segment, the ranked companies: `company` (name), `company_code`,
    /// `segment_id`, `segment_name`, `strength`, `score` (0..1) with its parts `fill`,
    /// `demand`, `redundancy`, `rank` in the segment, `evidence` (sentences) and `pushes`.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<TargetItem>,
}

/// The chain's investment targets: external companies of the reference product graph ranked
/// for each weak or missing segment, with the evidence behind each score and where each was
/// pushed.
#[utoipa::path(get, path = "/api/v1/chains/{id}/targets", params(("id" = String, Path, description = "chain id or code")),
    responses((status = 200, body = TargetList), (status = 404, body = ErrorBody)))]
pub async fn chain_targets(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<TargetList>> {
    Ok(Json(TargetList { items: s.app.chain_targets(&u.p, &key_of(id)?).await? }))
}

#[derive(Deserialize, ToSchema)]
pub struct PushIn {
    pub segment_id: i64,
    /// The company's code as the ranking gives it.
    pub company_code: String,
    /// County or park codes.
    pub regions: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PushIds {
    /// The new pushes.
    pub ids: Vec<i64>,
    /// Regions (names) it had already been pushed to, skipped.
    pub already: Vec<String>,
}

/// Push a ranked company to regions (the office or the chain's lead department).
#[utoipa::path(post, path = "/api/v1/chains/{id}/targets/push", params(("id" = String, Path)), request_body = PushIn,
    responses((status = 201, body = PushIds), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn push_target(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<PushIn>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<PushIds>)> {
    let Json(b) = body.map_err(bad_json)?;
    let input = PushInput { segment_id: b.segment_id, company_code: b.company_code, regions: b.regions };
    let out = s.app.push_target(&u.p, &key_of(id)?, &input).await?;
    Ok((StatusCode::CREATED, Json(PushIds { ids: out.ids, already: out.already })))
}

#[derive(Deserialize, IntoParams)]
pub struct PushQuery {
    /// Chain id or code.
    pub chain: Option<String>,
    /// County or park code.
    pub region: Option<String>,
    /// pushed | contacted | negotiating | signed | landed | dropped
    pub status: Option<String>,
}

#[derive(Serialize)]
pub struct PushOut {
    #[serde(flatten)]
    pub push: app::store::productgraph::PushRow,
    pub log: Vec<app::store::productgraph::EventRow>,
}

#[derive(Serialize, ToSchema)]
pub struct PushList {
    /// Pushed targets the caller may see, each with its follow-up `log`.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<PushOut>,
    pub total: usize,
}

/// Pushed targets (per region, chain, status) with their follow-up logs; a region sees what
/// was pushed to it, a lead department its chains.
#[utoipa::path(get, path = "/api/v1/targets", params(PushQuery), responses((status = 200, body = PushList), (status = 400, body = ErrorBody)))]
pub async fn pushes(
    State(s): State<AppState>,
    u: ApiUser,
    q: Result<Query<PushQuery>, QueryRejection>,
) -> ApiResult<Json<PushList>> {
    let Query(q) = q.map_err(|e| ApiError(AppError::invalid("query", format!("查询参数有误：{}", e.body_text()))))?;
    let chain_id = match q.chain.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(s.app.chain_info(c).await?.id),
        None => None,
    };
    let f = app::store::productgraph::PushFilter {
        chain_id,
        region_code: q.region.filter(|r| !r.is_empty()),
        status: q.status.filter(|r| !r.is_empty()),
    };
    let rows = s.app.target_pushes(&u.p, &f).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut logs: std::collections::HashMap<i64, Vec<app::store::productgraph::EventRow>> = Default::default();
    for e in s.app.target_events(&u.p, &ids).await? {
        logs.entry(e.push_id).or_default().push(e);
    }
    let items: Vec<PushOut> =
        rows.into_iter().map(|push| PushOut { log: logs.remove(&push.id).unwrap_or_default(), push }).collect();
    Ok(Json(PushList { total: items.len(), items }))
}

#[derive(Deserialize, ToSchema)]
pub struct FollowUpIn {
    /// The new (or same) status.
    pub status: String,
    #[serde(default)]
    pub note: String,
    /// Required when dropping.
    #[serde(default)]
    pub reason: String,
    /// The push's version as read.
    pub version: i64,
}

/// Record a follow-up step: a note, a move forward, or dropping with a reason.
#[utoipa::path(post, path = "/api/v1/targets/{pid}/follow-up", params(("pid" = i64, Path)), request_body = FollowUpIn,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn follow_up(
    State(s): State<AppState>,
    u: ApiUser,
    pid: Result<Path<i64>, PathRejection>,
    body: Result<Json<FollowUpIn>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let Path(pid) = pid.map_err(|_| ApiError(AppError::NotFound))?;
    let Json(b) = body.map_err(bad_json)?;
    let step = FollowUp { status: b.status, note: b.note, reason: b.reason, version: b.version };
    s.app.follow_up_target(&u.p, pid, &step).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct MappingList {
    /// `id`, `segment_id`, `product`, `score`, `evidence` (reasons, one per line), `status`
    /// (proposed | accepted | rejected), `version`.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<app::store::productgraph::MappingRow>,
}

/// Reference products mapped onto the chain's segments, for review.
#[utoipa::path(get, path = "/api/v1/chains/{id}/product-mappings", params(("id" = String, Path)),
    responses((status = 200, body = MappingList), (status = 404, body = ErrorBody)))]
pub async fn mappings(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<MappingList>> {
    Ok(Json(MappingList { items: s.app.product_mappings(&u.p, &key_of(id)?).await? }))
}

#[derive(Deserialize, ToSchema)]
pub struct MappingIn {
    pub segment_id: i64,
    /// A product name of the reference graph.
    pub product: String,
}

/// Map a reference product onto a segment by hand (accepted).
#[utoipa::path(post, path = "/api/v1/chains/{id}/product-mappings", params(("id" = String, Path)), request_body = MappingIn,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_mapping(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<MappingIn>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let Json(b) = body.map_err(bad_json)?;
    let id = s.app.add_product_mapping(&u.p, &key_of(id)?, b.segment_id, &b.product).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewIn {
    /// proposed | accepted | rejected
    pub status: String,
    pub version: i64,
}

/// Accept or reject a proposed mapping.
#[utoipa::path(put, path = "/api/v1/chains/{id}/product-mappings/{mid}", params(("id" = String, Path), ("mid" = i64, Path)),
    request_body = ReviewIn,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn review_mapping(
    State(s): State<AppState>,
    u: ApiUser,
    ids: Result<Path<(String, i64)>, PathRejection>,
    body: Result<Json<ReviewIn>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let Path((key, mid)) = ids.map_err(|_| ApiError(AppError::NotFound))?;
    let Json(b) = body.map_err(bad_json)?;
    s.app.review_mapping(&u.p, &key, mid, b.version, &b.status).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct GraphImportOut {
    /// The last import (`imported_at`, counts, `dropped`), or null when none.
    #[schema(value_type = Object)]
    pub last_import: Option<serde_json::Value>,
}

/// The last reference product-graph import with its cleaning report.
#[utoipa::path(get, path = "/api/v1/product-graph", responses((status = 200, body = GraphImportOut)))]
pub async fn product_graph(State(s): State<AppState>, u: ApiUser) -> ApiResult<Json<GraphImportOut>> {
    let last = s.app.product_graph_import(&u.p).await?.map(|l| {
        let report: serde_json::Value = serde_json::from_str(&l.report).unwrap_or(serde_json::Value::Null);
        serde_json::json!({
            "id": l.id, "imported_at": l.imported_at, "source": l.source, "products": l.products,
            "relations": l.relations, "companies": l.companies, "company_products": l.company_products,
            "dropped": l.dropped, "report": report,
        })
    });
    Ok(Json(GraphImportOut { last_import: last }))
}
