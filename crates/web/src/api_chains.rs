//! The chain-map API: chains, a chain's map, its analysis and what-if, and the lead
//! department's edits. `{id}` is a chain's id or its code.

use crate::AppState;
use crate::api::bad_json;
use crate::auth::ApiUser;
use crate::error::{ApiError, ErrorBody};
use app::AppError;
use app::chainmap::SegmentInput;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

type ApiResult<T> = Result<T, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/chains", get(chains))
        .route("/chains/{id}/map", get(chain_map))
        .route("/chains/{id}/analysis", get(chain_analysis))
        .route("/chains/{id}/what-if", post(chain_what_if))
        .route("/chains/{id}/segments", post(add_segment))
        .route("/chains/{id}/segments/{sid}", put(update_segment))
        .route("/chains/{id}/edges", post(add_edge))
        .route("/chains/{id}/edges/{eid}", delete(retire_edge))
        .route("/chains/{id}/placements", post(place).delete(unplace))
        .route("/chains/{id}/lists", get(list_items).post(add_list_item))
        .route("/chains/{id}/lists/{iid}", put(update_list_item).delete(delete_list_item))
        .route(
            "/chains/{id}/map-import",
            post(import_map).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/chains/{id}/map-history", get(map_history))
}

pub(crate) fn key_of(p: Result<Path<String>, PathRejection>) -> ApiResult<String> {
    p.map(|Path(k)| k).map_err(|_| ApiError(AppError::NotFound))
}

fn pair_of(p: Result<Path<(String, i64)>, PathRejection>) -> ApiResult<(String, i64)> {
    p.map(|Path(k)| k).map_err(|_| ApiError(AppError::NotFound))
}

#[derive(Serialize, ToSchema)]
pub struct ChainItem {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// The field's name (七大领域), e.g. 能源化工.
    pub field: String,
    pub field_code: String,
    pub lead_department: String,
    pub lead_department_code: String,
    pub provincial_key: bool,
    pub segments: i64,
    pub placements: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ChainList {
    pub items: Vec<ChainItem>,
    pub total: usize,
}

/// The chains of the city with their field, lead department and map counts.
#[utoipa::path(get, path = "/api/v1/chains", responses((status = 200, body = ChainList)))]
pub async fn chains(State(s): State<AppState>, _u: ApiUser) -> ApiResult<Json<ChainList>> {
    let items: Vec<ChainItem> = s
        .app
        .chain_infos()
        .await?
        .into_iter()
        .map(|c| ChainItem {
            id: c.id,
            code: c.code,
            name: c.name,
            field: c.field_name,
            field_code: c.field_code,
            lead_department: c.lead_department_name,
            lead_department_code: c.lead_department_code,
            provincial_key: c.provincial_key,
            segments: c.segments,
            placements: c.placements,
        })
        .collect();
    Ok(Json(ChainList { total: items.len(), items }))
}

/// A chain's map: segments, edges (`from` supplies `to`), placements of the enterprises the
/// caller may read, regions, officers and yearly targets. Also the open JSON format of a map.
#[utoipa::path(get, path = "/api/v1/chains/{id}/map", params(("id" = String, Path, description = "chain id or code")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn chain_map(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<app::chainmap::ChainMap>> {
    Ok(Json(s.app.chain_map(&u.p, &key_of(id)?).await?))
}

/// The chain's analytics: per segment `coverage`, `strength` (strong/weak/missing), HHI and
/// sole holder; `local_supporting_rate`; `single_points_of_failure`; cross-chain links. The
/// same JSON as `qianglian chain analyze ID --json`.
#[utoipa::path(get, path = "/api/v1/chains/{id}/analysis", params(("id" = String, Path, description = "chain id or code")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn chain_analysis(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<Json<app::domain::chainmap::Analysis>> {
    Ok(Json(s.app.chain_analysis(&u.p, &key_of(id)?).await?))
}

/// What-if: `{"remove_enterprise": ID}` or `{"add_candidate": {"enterprise_id", "segment_id",
/// "local", "weight"}}`; answers the analysis before and after and what changed.
#[utoipa::path(post, path = "/api/v1/chains/{id}/what-if", params(("id" = String, Path, description = "chain id or code")),
    request_body = Object, responses((status = 200, body = Object), (status = 400, body = ErrorBody)))]
pub async fn chain_what_if(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<app::domain::chainmap::Change>, JsonRejection>,
) -> ApiResult<Json<app::domain::chainmap::WhatIf>> {
    let Json(change) = body.map_err(bad_json)?;
    Ok(Json(s.app.chain_what_if(&u.p, &key_of(id)?, &change).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct SegmentIn {
    pub code: String,
    pub name: String,
    /// upstream | midstream | downstream
    pub stage: String,
    pub parent_id: Option<i64>,
    pub sort: Option<i64>,
    #[serde(default)]
    pub key_products: String,
    #[serde(default)]
    pub key_technologies: String,
    /// GB/T 4754 class codes separated by ;
    #[serde(default)]
    pub industry_codes: String,
    /// For updates: the version read (409 if it moved on).
    pub version: Option<i64>,
    /// For updates: retire (true) or restore (false) the segment.
    #[serde(default)]
    pub retired: bool,
}

impl SegmentIn {
    fn input(&self) -> SegmentInput {
        SegmentInput {
            code: self.code.clone(),
            name: self.name.clone(),
            stage: self.stage.clone(),
            parent_id: self.parent_id,
            sort: self.sort,
            key_products: self.key_products.clone(),
            key_technologies: self.key_technologies.clone(),
            industry_codes: self.industry_codes.clone(),
        }
    }
}

/// The id of what a POST created (every API module's 201 answer).
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Adds a segment (the office or the chain's lead department).
#[utoipa::path(post, path = "/api/v1/chains/{id}/segments", params(("id" = String, Path)), request_body = SegmentIn,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_segment(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<SegmentIn>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let Json(b) = body.map_err(bad_json)?;
    let id = s.app.add_segment(&u.p, &key_of(id)?, &b.input()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Changes a segment: rename, move (parent, stage, order), retire or restore.
#[utoipa::path(put, path = "/api/v1/chains/{id}/segments/{sid}", params(("id" = String, Path), ("sid" = i64, Path)),
    request_body = SegmentIn,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_segment(
    State(s): State<AppState>,
    u: ApiUser,
    ids: Result<Path<(String, i64)>, PathRejection>,
    body: Result<Json<SegmentIn>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let (key, sid) = pair_of(ids)?;
    let Json(b) = body.map_err(bad_json)?;
    let version = b.version.ok_or_else(|| ApiError(AppError::invalid("version", "缺少 version（读取时的版本号）")))?;
    s.app.update_segment(&u.p, &key, sid, version, &b.input(), b.retired).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct EdgeIn {
    pub from: i64,
    pub to: i64,
    #[serde(default)]
    pub product: String,
}

/// Links two segments: `from` supplies `to` (cycles allowed).
#[utoipa::path(post, path = "/api/v1/chains/{id}/edges", params(("id" = String, Path)), request_body = EdgeIn,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_edge(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<EdgeIn>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let Json(b) = body.map_err(bad_json)?;
    let id = s.app.add_segment_edge(&u.p, &key_of(id)?, b.from, b.to, &b.product).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Retires a segment edge (kept for history).
#[utoipa::path(delete, path = "/api/v1/chains/{id}/edges/{eid}", params(("id" = String, Path), ("eid" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn retire_edge(
    State(s): State<AppState>,
    u: ApiUser,
    ids: Result<Path<(String, i64)>, PathRejection>,
) -> ApiResult<StatusCode> {
    let (key, eid) = pair_of(ids)?;
    s.app.retire_segment_edge(&u.p, &key, eid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct PlacementIn {
    pub segment_id: i64,
    pub enterprise_id: i64,
    /// leader (链主) | member (链属); ignored when removing
    #[serde(default)]
    pub role: String,
}

/// Places an enterprise (one the editor may write) on a segment.
#[utoipa::path(post, path = "/api/v1/chains/{id}/placements", params(("id" = String, Path)), request_body = PlacementIn,
    responses((status = 201), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn place(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<PlacementIn>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let Json(b) = body.map_err(bad_json)?;
    s.app.place_enterprise(&u.p, &key_of(id)?, b.segment_id, b.enterprise_id, &b.role).await?;
    Ok(StatusCode::CREATED)
}

/// Removes an enterprise from a segment.
#[utoipa::path(delete, path = "/api/v1/chains/{id}/placements", params(("id" = String, Path)), request_body = PlacementIn,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unplace(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<PlacementIn>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let Json(b) = body.map_err(bad_json)?;
    s.app.unplace_enterprise(&u.p, &key_of(id)?, b.segment_id, b.enterprise_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// demand, tech_route, layout, cultivation, platform, scenario, key_enterprise,
    /// key_product, key_park, key_technology, key_team, key_project
    pub kind: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ListItems {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<app::store::chainmap::ListItemRow>,
    pub total: usize,
}

/// The chain's list items: the collaboration demand table, the 一链N清单 and the 6 keys.
#[utoipa::path(get, path = "/api/v1/chains/{id}/lists", params(("id" = String, Path), ListQuery),
    responses((status = 200, body = ListItems), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_items(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> ApiResult<Json<ListItems>> {
    let items = s.app.chain_list_items(&u.p, &key_of(id)?, q.kind.as_deref().filter(|k| !k.is_empty())).await?;
    Ok(Json(ListItems { total: items.len(), items }))
}

#[derive(Deserialize, ToSchema)]
pub struct ListItemIn {
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub owner: String,
    /// planned | in_progress | done | dropped (default planned)
    #[serde(default)]
    pub status: String,
    /// A date as written: 2025-01-03, 2025/1/3, 2025年1月3日
    #[serde(default)]
    pub start_on: String,
    #[serde(default)]
    pub due_on: String,
    pub segment_id: Option<i64>,
    pub enterprise_id: Option<i64>,
    /// For updates: the version read (409 if it moved on).
    pub version: Option<i64>,
}

impl ListItemIn {
    fn input(self) -> app::chainmap::ListItemInput {
        app::chainmap::ListItemInput {
            kind: self.kind,
            title: self.title,
            detail: self.detail,
            owner: self.owner,
            status: self.status,
            start_on: self.start_on,
            due_on: self.due_on,
            segment_id: self.segment_id,
            enterprise_id: self.enterprise_id,
        }
    }
}

/// Adds a list item (the office or the chain's lead department).
#[utoipa::path(post, path = "/api/v1/chains/{id}/lists", params(("id" = String, Path)), request_body = ListItemIn,
    responses((status = 201, body = Created), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_list_item(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<ListItemIn>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let Json(b) = body.map_err(bad_json)?;
    let id = s.app.add_list_item(&u.p, &key_of(id)?, &b.input()).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Replaces a list item's fields; `version` must be the one read.
#[utoipa::path(put, path = "/api/v1/chains/{id}/lists/{iid}", params(("id" = String, Path), ("iid" = i64, Path)),
    request_body = ListItemIn,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_list_item(
    State(s): State<AppState>,
    u: ApiUser,
    ids: Result<Path<(String, i64)>, PathRejection>,
    body: Result<Json<ListItemIn>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let (key, iid) = pair_of(ids)?;
    let Json(b) = body.map_err(bad_json)?;
    let version = b.version.ok_or_else(|| ApiError(AppError::invalid("version", "缺少 version（读取时的版本号）")))?;
    s.app.update_list_item(&u.p, &key, iid, version, &b.input()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a list item (kept in the audit log).
#[utoipa::path(delete, path = "/api/v1/chains/{id}/lists/{iid}", params(("id" = String, Path), ("iid" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_list_item(
    State(s): State<AppState>,
    u: ApiUser,
    ids: Result<Path<(String, i64)>, PathRejection>,
) -> ApiResult<StatusCode> {
    let (key, iid) = pair_of(ids)?;
    s.app.delete_list_item(&u.p, &key, iid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct MapImportQuery {
    /// Write the changes (true) or only report what would change (false, the default).
    pub apply: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct MapCountsOut {
    pub added: usize,
    pub changed: usize,
    pub retired: usize,
    pub restored: usize,
    pub unchanged: usize,
}

#[derive(Serialize, ToSchema)]
pub struct PlacementCountsOut {
    pub added: usize,
    pub removed: usize,
    pub role_changed: usize,
    pub unchanged: usize,
    /// Placements of enterprises the caller may not read: kept.
    pub kept_outside_view: usize,
}

#[derive(Serialize, ToSchema)]
pub struct MapProblemOut {
    /// 环节, 环节关系 or 企业布局
    pub sheet: String,
    /// The row as Excel shows it (header = 1); 0 for the sheet as a whole.
    pub line: usize,
    pub column: String,
    pub value: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct MapChangeOut {
    pub sheet: String,
    /// 0 when the file leaves the part out (retired or removed).
    pub line: usize,
    /// 新增, 修改, 撤销, 恢复, 移除, 角色变更
    pub action: String,
    pub subject: String,
    pub detail: String,
}

#[derive(Serialize, ToSchema)]
pub struct MapImportOut {
    pub chain_id: i64,
    pub chain: String,
    /// True when the changes were written; a report with problems wrote nothing.
    pub applied: bool,
    pub segments: MapCountsOut,
    pub edges: MapCountsOut,
    pub placements: PlacementCountsOut,
    /// All problems found; `errors` lists at most the first 10,000.
    pub error_total: usize,
    pub errors: Vec<MapProblemOut>,
    pub warnings: Vec<String>,
    /// All changes; `changes` lists the first 300.
    pub change_total: usize,
    pub changes: Vec<MapChangeOut>,
    /// SM3 of the file, in hex.
    pub digest: String,
}

impl From<app::chainmap_import::ChainImportReport> for MapImportOut {
    fn from(r: app::chainmap_import::ChainImportReport) -> Self {
        let counts = |c: app::chainmap_import::MapCounts| MapCountsOut {
            added: c.added,
            changed: c.changed,
            retired: c.retired,
            restored: c.restored,
            unchanged: c.unchanged,
        };
        let p = r.placements;
        MapImportOut {
            chain_id: r.chain_id,
            chain: r.chain,
            applied: r.applied,
            segments: counts(r.segments),
            edges: counts(r.edges),
            placements: PlacementCountsOut {
                added: p.added,
                removed: p.removed,
                role_changed: p.role_changed,
                unchanged: p.unchanged,
                kept_outside_view: p.kept_outside_view,
            },
            error_total: r.error_total,
            errors: r
                .errors
                .into_iter()
                .map(|e| MapProblemOut {
                    sheet: e.sheet,
                    line: e.line,
                    column: e.column,
                    value: e.value,
                    message: e.message,
                })
                .collect(),
            warnings: r.warnings,
            change_total: r.change_total,
            changes: r
                .changes
                .into_iter()
                .map(|c| MapChangeOut {
                    sheet: c.sheet,
                    line: c.line,
                    action: c.action,
                    subject: c.subject,
                    detail: c.detail,
                })
                .collect(),
            digest: r.digest,
        }
    }
}

/// Imports a whole chain map from the xlsx its export writes (sheets 环节, 环节关系, 企业布局)
/// sent as the request body: segments matched by code, edges by their two codes, placements
/// by segment code and USCC; what the file leaves out is retired or removed. Every row is
/// checked first: 200 with the counts (written when `apply=true`), 422 with every problem by
/// sheet, row and column — then nothing is written. The office or the lead department only.
#[utoipa::path(post, path = "/api/v1/chains/{id}/map-import", params(("id" = String, Path), MapImportQuery),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = MapImportOut), (status = 422, body = MapImportOut), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn import_map(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
    q: Result<axum::extract::Query<MapImportQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<MapImportOut>)> {
    let key = key_of(id)?;
    let axum::extract::Query(q) = q.map_err(|_| ApiError(AppError::invalid("apply", "apply 应为 true 或 false")))?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError(AppError::TooLarge("文件过大".into()))
        } else {
            ApiError(AppError::invalid("body", "无法读取上传的文件"))
        }
    })?;
    let r = s.app.import_chain_map(&u.p, &key, &body, q.apply.unwrap_or(false)).await?;
    let status = if r.error_total == 0 { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, Json(r.into())))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct HistoryQuery {
    /// From 1.
    pub page: Option<i64>,
    /// At most 200 (default 50).
    pub per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct MapEditOut {
    pub at: String,
    pub actor: String,
    pub action: String,
    /// The action in Chinese.
    pub label: String,
    pub subject: String,
    pub detail: String,
}

#[derive(Serialize, ToSchema)]
pub struct MapHistory {
    pub items: Vec<MapEditOut>,
    pub total: i64,
}

/// 图谱修改记录: the chain map's edits (segments, edges, placements, imports), newest first.
#[utoipa::path(get, path = "/api/v1/chains/{id}/map-history", params(("id" = String, Path), HistoryQuery),
    responses((status = 200, body = MapHistory), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn map_history(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<String>, PathRejection>,
    axum::extract::Query(q): axum::extract::Query<HistoryQuery>,
) -> ApiResult<Json<MapHistory>> {
    let (items, total) =
        s.app.chain_map_history(&u.p, &key_of(id)?, q.page.unwrap_or(1), q.per_page.unwrap_or(50)).await?;
    Ok(Json(MapHistory {
        items: items
            .into_iter()
            .map(|e| MapEditOut {
                at: e.at.to_rfc3339(),
                actor: e.actor,
                action: e.action,
                label: e.label,
                subject: e.subject,
                detail: e.detail,
            })
            .collect(),
        total,
    }))
}
