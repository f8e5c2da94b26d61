//! `/api/v1`: the JSON API, documented by utoipa at `/api/v1/openapi.json`.

use crate::AppState;
use crate::auth::{ApiUser, ClientIp};
use crate::error::{ApiError, ErrorBody};
use crate::view::{EnterpriseOut, ListQuery, flex};
use app::AppError;
use app::account::SessionKind;
use app::enterprise::EnterpriseInput;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(title = "Qianglian 强链 API", description = "重点产业链工作平台 JSON API。令牌由 POST /api/v1/auth/token 取得，之后以 Authorization: Bearer 携带。"),
    paths(token, logout, me, search, import_file, indicator_catalogue, enterprise_indicators, honours, add_honour, gradients, set_gradient, listing_reserve, set_reserve, list_enterprises, create_enterprise, get_enterprise, update_enterprise, delete_enterprise, enterprise_history, regions, industries, audit_verify,
        crate::api_chains::chains, crate::api_chains::chain_map, crate::api_chains::chain_analysis,
        crate::api_chains::chain_what_if, crate::api_chains::add_segment, crate::api_chains::update_segment,
        crate::api_chains::add_edge, crate::api_chains::retire_edge, crate::api_chains::place, crate::api_chains::unplace,
        crate::api_chains::list_items, crate::api_chains::add_list_item, crate::api_chains::update_list_item,
        crate::api_chains::delete_list_item, crate::api_chains::import_map, crate::api_chains::map_history,
        crate::api_targets::chain_targets, crate::api_targets::push_target, crate::api_targets::pushes,
        crate::api_targets::follow_up, crate::api_targets::mappings, crate::api_targets::add_mapping,
        crate::api_targets::review_mapping, crate::api_targets::product_graph, crate::api_eval::compute,
        crate::api_eval::schemes, crate::api_eval::create_scheme, crate::api_eval::scheme, crate::api_eval::add_version,
        crate::api_eval::matrix, crate::api_runs::runs, crate::api_runs::create_run, crate::api_runs::run,
        crate::api_runs::assign_expert, crate::api_runs::remove_expert, crate::api_runs::scoring, crate::api_runs::declare,
        crate::api_runs::save_scores, crate::api_runs::compute, crate::api_runs::set_tier, crate::api_runs::review,
        crate::api_runs::export, crate::api_runs::ledger, crate::api_runs::exit_step,
        crate::api_projects::list, crate::api_projects::create, crate::api_projects::one, crate::api_projects::update,
        crate::api_projects::transition, crate::api_projects::reports, crate::api_projects::add_report,
        crate::api_projects::milestone, crate::api_projects::supervise, crate::api_projects::respond,
        crate::api_projects::todo, crate::api_projects::schedule,
        crate::api_problems::list, crate::api_problems::raise, crate::api_problems::one, crate::api_problems::step,
        crate::api_problems::escalate, crate::api_problems::rates, crate::api_problems::groups,
        crate::api_problems::meetings, crate::api_problems::create_meeting, crate::api_problems::meeting,
        crate::api_problems::packet_docx, crate::api_problems::packet_xlsx, crate::api_problems::tasks,
        crate::api_problems::assign, crate::api_problems::task_step),
    components(schemas(ErrorBody, crate::error::FieldErrorDoc)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;
impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/auth/token", post(token).delete(logout))
        .route("/me", get(me))
        .route("/enterprises", get(list_enterprises).post(create_enterprise))
        .route("/enterprises/{id}", get(get_enterprise).put(update_enterprise).delete(delete_enterprise))
        .route("/enterprises/{id}/history", get(enterprise_history))
        .route("/regions", get(regions))
        .route("/industries", get(industries))
        .route("/audit/verify", get(audit_verify))
        .route("/search", get(search))
        .route("/imports/{kind}", post(import_file).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)))
        .route("/indicators", get(indicator_catalogue))
        .route("/enterprises/{id}/indicators", get(enterprise_indicators))
        .route("/honours", get(honours))
        .route("/enterprises/{id}/honours", post(add_honour))
        .route("/enterprises/{id}/gradients", get(gradients).put(set_gradient))
        .route("/listing-reserve", get(listing_reserve))
        .route("/enterprises/{id}/listing-reserve", axum::routing::put(set_reserve))
        .merge(crate::api_chains::routes())
        .merge(crate::api_targets::routes())
        .merge(crate::api_eval::routes())
        .merge(crate::api_runs::routes())
        .merge(crate::api_projects::routes())
        .merge(crate::api_problems::routes())
}

async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn bad_json(e: JsonRejection) -> ApiError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError(AppError::TooLarge("提交的内容过大".into()));
    }
    let msg = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        "请求内容类型应为 application/json".to_string()
    } else {
        format!("请求体不是有效的 JSON 或缺少字段：{}", e.body_text())
    };
    ApiError(AppError::invalid("body", msg))
}

pub(crate) fn id_of(p: Result<Path<i64>, PathRejection>) -> ApiResult<i64> {
    p.map(|Path(id)| id).map_err(|_| ApiError(AppError::NotFound))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub token_type: String,
    /// Minutes of inactivity after which the token expires.
    pub idle_timeout_minutes: i64,
}

/// Exchanges a username and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", request_body = TokenRequest, security(),
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn token(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Result<Json<TokenRequest>, JsonRejection>,
) -> ApiResult<Json<TokenResponse>> {
    let Json(b) = body.map_err(bad_json)?;
    let session = s.app.login(&b.username, &b.password, SessionKind::Api, &ip).await?;
    let (policy, _) = s.app.policy().await?;
    Ok(Json(TokenResponse {
        token: session.token,
        token_type: "Bearer".into(),
        idle_timeout_minutes: policy.idle_timeout_minutes,
    }))
}

/// Revokes the token used for this call.
#[utoipa::path(delete, path = "/api/v1/auth/token", responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(State(s): State<AppState>, u: ApiUser) -> ApiResult<StatusCode> {
    s.app.logout(&u.token, &u.p).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct GrantOut {
    pub role: String,
    pub role_label: String,
    pub scope: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MeOut {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<GrantOut>,
    pub must_change_password: bool,
}

/// The calling account, its roles and scopes.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = MeOut), (status = 401, body = ErrorBody)))]
async fn me(u: ApiUser) -> Json<MeOut> {
    Json(MeOut {
        id: u.p.account_id,
        username: u.p.username.clone(),
        display_name: u.p.display_name.clone(),
        roles: u
            .p
            .grants
            .iter()
            .map(|g| GrantOut { role: g.role.code().into(), role_label: g.role.label().into(), scope: g.scope.clone() })
            .collect(),
        must_change_password: u.p.must_change_password,
    })
}

#[derive(Serialize, ToSchema)]
pub struct EnterpriseList {
    pub items: Vec<EnterpriseOut>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Enterprises the caller may see, filtered and paginated.
#[utoipa::path(get, path = "/api/v1/enterprises", params(ListQuery),
    responses((status = 200, body = EnterpriseList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_enterprises(
    State(s): State<AppState>,
    u: ApiUser,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<EnterpriseList>> {
    let Query(q) = q.map_err(|e| ApiError(AppError::invalid("query", format!("查询参数有误：{}", e.body_text()))))?;
    let f = q.filter();
    let (rows, total) = s.app.enterprises(&u.p, &f).await?;
    Ok(Json(EnterpriseList {
        items: rows.iter().map(EnterpriseOut::from).collect(),
        total,
        page: f.page,
        per_page: f.per_page,
    }))
}

/// An enterprise as submitted. Numbers may be JSON numbers or text; money in 万元.
#[derive(Deserialize, ToSchema, Default)]
#[serde(default)]
pub struct EnterpriseIn {
    pub uscc: String,
    pub name: String,
    pub region_code: String,
    #[serde(deserialize_with = "flex")]
    pub park_code: String,
    pub industry_code: String,
    #[serde(deserialize_with = "flex")]
    #[schema(value_type = Option<i64>)]
    pub employees: String,
    #[serde(deserialize_with = "flex")]
    #[schema(value_type = Option<String>)]
    pub revenue_wan: String,
    #[serde(deserialize_with = "flex")]
    #[schema(value_type = Option<String>)]
    pub assets_wan: String,
    #[serde(deserialize_with = "flex")]
    pub founded_on: String,
    #[serde(deserialize_with = "flex")]
    pub address: String,
    #[serde(deserialize_with = "flex")]
    pub contact_name: String,
    #[serde(deserialize_with = "flex")]
    pub contact_phone: String,
    #[serde(deserialize_with = "flex")]
    pub description: String,
    /// Required on update: the version read.
    #[schema(value_type = Option<i64>)]
    pub version: Option<i64>,
}

impl EnterpriseIn {
    fn input(self) -> EnterpriseInput {
        EnterpriseInput {
            uscc: self.uscc,
            name: self.name,
            region_code: self.region_code,
            park_code: self.park_code,
            industry_code: self.industry_code,
            employees: self.employees,
            revenue_wan: self.revenue_wan,
            assets_wan: self.assets_wan,
            founded_on: self.founded_on,
            address: self.address,
            contact_name: self.contact_name,
            contact_phone: self.contact_phone,
            description: self.description,
        }
    }
}

/// Registers an enterprise (office anywhere, a region inside its area).
#[utoipa::path(post, path = "/api/v1/enterprises", request_body = EnterpriseIn,
    responses((status = 201, body = EnterpriseOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn create_enterprise(
    State(s): State<AppState>,
    u: ApiUser,
    body: Result<Json<EnterpriseIn>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<EnterpriseOut>)> {
    let Json(b) = body.map_err(bad_json)?;
    let id = s.app.create_enterprise(&u.p, &b.input()).await?;
    let row = s.app.enterprise(&u.p, id).await?;
    Ok((StatusCode::CREATED, Json(EnterpriseOut::from(&row))))
}

/// One enterprise; outside the caller's scope answers 404 like a missing one.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = EnterpriseOut), (status = 404, body = ErrorBody)))]
async fn get_enterprise(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<Json<EnterpriseOut>> {
    let row = s.app.enterprise(&u.p, id_of(id)?).await?;
    Ok(Json(EnterpriseOut::from(&row)))
}

/// Replaces an enterprise's fields; `version` must be the one read (409 if it moved on).
#[utoipa::path(put, path = "/api/v1/enterprises/{id}", params(("id" = i64, Path)), request_body = EnterpriseIn,
    responses((status = 200, body = EnterpriseOut), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn update_enterprise(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<EnterpriseIn>, JsonRejection>,
) -> ApiResult<Json<EnterpriseOut>> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    let version =
        b.version.ok_or_else(|| ApiError(AppError::invalid("version", "更新须提供读取时的版本号 version")))?;
    s.app.update_enterprise(&u.p, id, version, &b.input()).await?;
    Ok(Json(EnterpriseOut::from(&s.app.enterprise(&u.p, id).await?)))
}

#[derive(Deserialize, IntoParams)]
pub struct VersionQuery {
    /// The version read.
    pub version: i64,
}

/// Archives an enterprise (the office only).
#[utoipa::path(delete, path = "/api/v1/enterprises/{id}", params(("id" = i64, Path), VersionQuery),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_enterprise(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    q: Result<Query<VersionQuery>, QueryRejection>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let Query(q) = q.map_err(|_| ApiError(AppError::invalid("version", "删除须提供读取时的版本号 version")))?;
    s.app.delete_enterprise(&u.p, id, q.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct FieldChangeOut {
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub source: String,
    pub changed_at: String,
    pub changed_by: Option<String>,
}

/// Per-field history of an enterprise, newest first.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/history", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<FieldChangeOut>), (status = 404, body = ErrorBody)))]
async fn enterprise_history(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<Json<Vec<FieldChangeOut>>> {
    let h = s.app.enterprise_history(&u.p, id_of(id)?).await?;
    Ok(Json(
        h.into_iter()
            .map(|c| FieldChangeOut {
                field: c.field,
                old_value: c.old_value,
                new_value: c.new_value,
                source: c.source,
                changed_at: c.changed_at.to_rfc3339(),
                changed_by: c.changed_by_name,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CodeName {
    pub code: String,
    pub name: String,
    pub kind: String,
}

/// Counties and parks (GB/T 2260 and local park codes).
#[utoipa::path(get, path = "/api/v1/regions", responses((status = 200, body = Vec<CodeName>)))]
async fn regions(State(s): State<AppState>, _u: ApiUser) -> ApiResult<Json<Vec<CodeName>>> {
    let r = s.app.regions().await?;
    Ok(Json(r.into_iter().map(|r| CodeName { code: r.code, name: r.name, kind: r.kind }).collect()))
}

#[derive(Deserialize, IntoParams)]
pub struct IndustryQuery {
    /// Code prefix or part of the name.
    pub q: Option<String>,
}

/// GB/T 4754-2017 codes matching a code prefix or name.
#[utoipa::path(get, path = "/api/v1/industries", params(IndustryQuery), responses((status = 200, body = Vec<CodeName>)))]
async fn industries(
    State(s): State<AppState>,
    _u: ApiUser,
    Query(q): Query<IndustryQuery>,
) -> ApiResult<Json<Vec<CodeName>>> {
    let r = s.app.industries(q.q.as_deref().unwrap_or(""), 50).await?;
    Ok(Json(r.into_iter().map(|r| CodeName { code: r.code, name: r.name, kind: r.level }).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct VerifyOut {
    pub rows: i64,
    pub ok: bool,
    pub first_broken_seq: Option<i64>,
    pub reason: Option<String>,
}

/// Recomputes the audit hash chain (auditor).
#[utoipa::path(get, path = "/api/v1/audit/verify", responses((status = 200, body = VerifyOut), (status = 403, body = ErrorBody)))]
async fn audit_verify(State(s): State<AppState>, u: ApiUser) -> ApiResult<Json<VerifyOut>> {
    let v = s.app.audit_verify(Some(&u.p)).await?;
    Ok(Json(VerifyOut {
        rows: v.rows,
        ok: v.first_broken.is_none(),
        first_broken_seq: v.first_broken.as_ref().map(|b| b.0),
        reason: v.first_broken.map(|b| b.1),
    }))
}

impl ApiDoc {
    /// The OpenAPI document as served at `/api/v1/openapi.json`.
    pub fn openapi_json() -> utoipa::openapi::OpenApi {
        <ApiDoc as OpenApi>::openapi()
    }
}

#[derive(Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Words, a product, a USCC or its prefix.
    pub q: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchHit {
    /// "enterprise".
    pub kind: String,
    pub id: i64,
    pub title: String,
    pub uscc: String,
    pub region: String,
    /// HTML with the matched words in <em>; everything else escaped.
    pub highlight: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchOut {
    pub items: Vec<SearchHit>,
    pub total: usize,
}

/// Chinese full-text search over names, former names, products, business scope and
/// addresses, limited to what the caller may read.
#[utoipa::path(get, path = "/api/v1/search", params(SearchQuery), responses((status = 200, body = SearchOut), (status = 401, body = ErrorBody)))]
async fn search(
    State(s): State<AppState>,
    u: ApiUser,
    q: Result<Query<SearchQuery>, QueryRejection>,
) -> ApiResult<Json<SearchOut>> {
    let Query(q) = q.map_err(|e| ApiError(AppError::invalid("query", format!("查询参数有误：{}", e.body_text()))))?;
    let r = s.app.search(&u.p, q.q.as_deref().unwrap_or(""), q.limit.unwrap_or(20), q.offset.unwrap_or(0)).await?;
    Ok(Json(SearchOut {
        total: r.total,
        items: r
            .items
            .into_iter()
            .map(|h| SearchHit {
                kind: h.kind,
                id: h.id,
                title: h.title,
                uscc: h.uscc,
                region: h.region,
                highlight: h.highlight,
            })
            .collect(),
    }))
}

// ---- ledger: indicators, honours, gradients, listing reserve ----

#[derive(Serialize, ToSchema)]
pub struct IndicatorDefOut {
    pub code: String,
    pub name: String,
    pub unit: String,
    /// month, quarter or year.
    pub period_kind: String,
    pub source: String,
}

/// The indicator catalogue.
#[utoipa::path(get, path = "/api/v1/indicators", responses((status = 200, body = Vec<IndicatorDefOut>)))]
async fn indicator_catalogue(State(s): State<AppState>, _u: ApiUser) -> ApiResult<Json<Vec<IndicatorDefOut>>> {
    let c = s.app.indicator_catalogue().await?;
    Ok(Json(
        c.into_iter()
            .map(|d| IndicatorDefOut {
                code: d.code,
                name: d.name,
                unit: d.unit,
                period_kind: d.period_kind,
                source: d.source,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct PointOut {
    /// 2025, 2025-03 or 2025Q1.
    pub period: String,
    pub value: f64,
    /// Growth on the same period a year before, as a fraction.
    pub yoy: Option<f64>,
    pub source: String,
}

#[derive(Serialize, ToSchema)]
pub struct SeriesOut {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub points: Vec<PointOut>,
}

#[derive(Serialize, ToSchema)]
pub struct IndicatorsOut {
    pub series: Vec<SeriesOut>,
    /// (year label, R&D ÷ revenue)
    #[schema(value_type = Vec<Vec<String>>)]
    pub rd_intensity: Vec<(String, f64)>,
    /// (year label, output ÷ employees, 万元/人)
    #[schema(value_type = Vec<Vec<String>>)]
    pub output_per_employee: Vec<(String, f64)>,
}

/// Indicator values of an enterprise with derived figures.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/indicators", params(("id" = i64, Path)),
    responses((status = 200, body = IndicatorsOut), (status = 404, body = ErrorBody)))]
async fn enterprise_indicators(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<Json<IndicatorsOut>> {
    let v = s.app.enterprise_indicators(&u.p, id_of(id)?).await?;
    Ok(Json(IndicatorsOut {
        series: v
            .series
            .into_iter()
            .map(|s| SeriesOut {
                code: s.code,
                name: s.name,
                unit: s.unit,
                points: s
                    .points
                    .into_iter()
                    .map(|p| PointOut { period: p.period, value: p.value, yoy: p.yoy, source: p.source })
                    .collect(),
            })
            .collect(),
        rd_intensity: v.rd_intensity,
        output_per_employee: v.output_per_employee,
    }))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct LedgerQuery {
    /// Honour kind code (honours only).
    pub kind: Option<String>,
    pub year: Option<i64>,
    /// County or park code.
    pub region: Option<String>,
    /// Chain code.
    pub chain: Option<String>,
}

impl LedgerQuery {
    fn filter(self) -> app::store::gradient::HonourFilter {
        let ne = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        app::store::gradient::HonourFilter {
            kind: ne(self.kind),
            year: self.year,
            region: ne(self.region),
            chain: ne(self.chain),
            enterprise_id: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct HonourOut {
    pub id: i64,
    pub enterprise_id: Option<i64>,
    pub enterprise_name: Option<String>,
    pub region_name: Option<String>,
    pub kind_code: String,
    pub kind_name: String,
    /// national, provincial, city, county.
    pub level: String,
    pub year: i64,
    pub valid_until: Option<String>,
    pub source: String,
}

/// Honours and designations of enterprises the caller may read.
#[utoipa::path(get, path = "/api/v1/honours", params(LedgerQuery), responses((status = 200, body = Vec<HonourOut>)))]
async fn honours(
    State(s): State<AppState>,
    u: ApiUser,
    q: Result<Query<LedgerQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<HonourOut>>> {
    let Query(q) = q.map_err(|e| ApiError(AppError::invalid("query", format!("查询参数有误：{}", e.body_text()))))?;
    let rows = s.app.honours(&u.p, &q.filter()).await?;
    Ok(Json(
        rows.into_iter()
            .map(|h| HonourOut {
                id: h.id,
                enterprise_id: h.enterprise_id,
                enterprise_name: h.enterprise_name,
                region_name: h.region_name,
                kind_code: h.kind_code,
                kind_name: h.kind_name,
                level: h.level,
                year: h.year,
                valid_until: h.valid_until.map(|d| d.to_string()),
                source: h.source,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct HonourIn {
    pub kind_code: String,
    pub level: String,
    pub year: i64,
    /// YYYY-MM-DD
    pub valid_until: Option<String>,
    pub source: Option<String>,
}

/// Records an honour or designation of an enterprise the caller may write.
#[utoipa::path(post, path = "/api/v1/enterprises/{id}/honours", params(("id" = i64, Path)), request_body = HonourIn,
    responses((status = 201), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn add_honour(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<HonourIn>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let Json(b) = body.map_err(bad_json)?;
    let valid_until = match b.valid_until.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| ApiError(AppError::invalid("valid_until", "有效期格式应为 YYYY-MM-DD")))?,
        ),
    };
    let h = app::store::gradient::NewHonour {
        enterprise_id: id,
        kind_code: b.kind_code,
        level: b.level,
        year: b.year,
        valid_until,
        source: b.source.unwrap_or_else(|| "接口录入".into()),
    };
    s.app.add_honour(&u.p, &h).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct GradientOut {
    pub year: i64,
    /// above_scale, honoured, on_cloud, listed.
    pub gradient: String,
    pub targeted: bool,
    pub achieved: bool,
    #[serde(default)]
    pub note: String,
}

/// The yearly 上规·上榜·上云·上市 targets and status of an enterprise.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/gradients", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<GradientOut>), (status = 404, body = ErrorBody)))]
async fn gradients(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
) -> ApiResult<Json<Vec<GradientOut>>> {
    let rows = s.app.gradients_of(&u.p, id_of(id)?).await?;
    Ok(Json(
        rows.into_iter()
            .map(|g| GradientOut {
                year: g.year,
                gradient: g.gradient,
                targeted: g.targeted,
                achieved: g.achieved,
                note: g.note,
            })
            .collect(),
    ))
}

/// Sets one year's target and status of one gradient.
#[utoipa::path(put, path = "/api/v1/enterprises/{id}/gradients", params(("id" = i64, Path)), request_body = GradientOut,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_gradient(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<GradientOut>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let Json(g) = body.map_err(bad_json)?;
    s.app.set_gradient(&u.p, id, g.year, &g.gradient, g.targeted, g.achieved, &g.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ReserveOut {
    #[serde(default)]
    pub enterprise_id: i64,
    #[serde(default)]
    pub enterprise_name: String,
    /// listing or merger_target.
    pub kind: String,
    /// cultivation, tutoring, filing, listed.
    pub stage: String,
    /// main, star, chinext, bse, neeq, hk, overseas, undecided.
    pub board: String,
    /// YYYY-MM-DD
    pub since: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// The listing reserve pool (上市后备企业资源库) within the caller's scope.
#[utoipa::path(get, path = "/api/v1/listing-reserve", params(LedgerQuery), responses((status = 200, body = Vec<ReserveOut>)))]
async fn listing_reserve(
    State(s): State<AppState>,
    u: ApiUser,
    q: Result<Query<LedgerQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<ReserveOut>>> {
    let Query(q) = q.map_err(|e| ApiError(AppError::invalid("query", format!("查询参数有误：{}", e.body_text()))))?;
    let rows = s.app.listing_reserve(&u.p, &q.filter()).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ReserveOut {
                enterprise_id: r.enterprise_id,
                enterprise_name: r.enterprise_name,
                kind: r.kind,
                stage: r.stage,
                board: r.board,
                since: r.since.map(|d| d.to_string()),
                note: r.note,
            })
            .collect(),
    ))
}

/// Puts an enterprise in the listing reserve pool or changes its stage.
#[utoipa::path(put, path = "/api/v1/enterprises/{id}/listing-reserve", params(("id" = i64, Path)), request_body = ReserveOut,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn set_reserve(
    State(s): State<AppState>,
    u: ApiUser,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<ReserveOut>, JsonRejection>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let Json(r) = body.map_err(bad_json)?;
    let since = match r.since.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| ApiError(AppError::invalid("since", "入库日期格式应为 YYYY-MM-DD")))?,
        ),
    };
    let e = app::store::gradient::ReserveEntry {
        enterprise_id: id,
        kind: r.kind,
        stage: r.stage,
        board: r.board,
        since,
        note: r.note,
    };
    s.app.set_reserve(&u.p, &e).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- import ----

#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// Validate and report only.
    pub dry_run: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct RowProblemOut {
    /// The row number as Excel shows it (header = 1).
    pub line: usize,
    pub column: String,
    pub value: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImportReportOut {
    pub kind: String,
    pub file: String,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// True when the rows were written; a report with errors wrote nothing.
    pub committed: bool,
    /// All problems found; `errors` lists at most the first 10,000.
    pub error_total: usize,
    pub errors: Vec<RowProblemOut>,
    pub warnings: Vec<String>,
}

/// Imports an xlsx or csv file sent as the request body (enterprises, indicators or
/// honours); name it with `X-File-Name` (percent-encoded UTF-8 allowed). All rows are
/// validated first: 200 when imported (or valid in a dry run), 422 with the row-by-row
/// report when any row is invalid — then nothing is written.
#[utoipa::path(post, path = "/api/v1/imports/{kind}", params(("kind" = String, Path), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = ImportReportOut), (status = 422, body = ImportReportOut), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn import_file(
    State(s): State<AppState>,
    u: ApiUser,
    Path(kind): Path<String>,
    q: Result<Query<ImportQuery>, QueryRejection>,
    headers: axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, Json<ImportReportOut>), ApiError> {
    let kind = app::import::ImportKind::parse(&kind).ok_or_else(|| {
        ApiError(AppError::invalid("kind", "导入类型应为 enterprises、indicators、honours 或 reserve"))
    })?;
    let Query(q) = q.map_err(|_| ApiError(AppError::invalid("dry_run", "dry_run 应为 true 或 false")))?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError(AppError::TooLarge("文件过大".into()))
        } else {
            ApiError(AppError::invalid("body", "无法读取上传的文件"))
        }
    })?;
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(|v| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
        .unwrap_or_else(|| "upload.csv".into());
    let opts = app::import::ImportOptions { dry_run: q.dry_run.unwrap_or(false), ..Default::default() };
    let r = s.app.import(&u.p, kind, body, &name, &opts, &|_, _| {}).await?;
    let status = if r.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((
        status,
        Json(ImportReportOut {
            kind: r.kind.code().into(),
            file: r.file,
            rows: r.rows,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            committed: r.committed,
            error_total: r.error_total,
            errors: r
                .errors
                .into_iter()
                .map(|e| RowProblemOut { line: e.line, column: e.column, value: e.value, message: e.message })
                .collect(),
            warnings: r.warnings,
        }),
    ))
}
