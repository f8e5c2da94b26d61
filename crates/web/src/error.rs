//! One mapping from [`AppError`] to HTTP: status codes in one `match`, JSON for the API,
//! a Chinese page for the browser. A 500 is logged and never shows its cause.

use app::{AppError, FieldError};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every API error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable kind: invalid, unauthenticated, forbidden, not_found, stale, conflict, locked, password_change, too_large, internal.
    pub error: String,
    /// A message to show the user, in Chinese.
    pub message: String,
    /// Per-field messages for `invalid`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldErrorDoc>)]
    pub fields: Vec<FieldError>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldErrorDoc {
    pub field: String,
    pub message: String,
}

pub fn status_of(e: &AppError) -> (StatusCode, &'static str) {
    match e {
        AppError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
        AppError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        AppError::PasswordChange => (StatusCode::FORBIDDEN, "password_change"),
        AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        AppError::Stale { .. } => (StatusCode::CONFLICT, "stale"),
        AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        AppError::Locked { .. } => (StatusCode::TOO_MANY_REQUESTS, "locked"),
        AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// An error answered as JSON (API).
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind) = status_of(&self.0);
        if let AppError::Internal(cause) = &self.0 {
            tracing::error!(%cause, "internal error");
        }
        let message = self.0.user_message();
        let fields = match self.0 {
            AppError::Invalid(f) => f,
            _ => vec![],
        };
        (status, axum::Json(ErrorBody { error: kind.into(), message, fields })).into_response()
    }
}

pub fn api_error(status: StatusCode, kind: &str, message: impl ToString) -> Response {
    (status, axum::Json(ErrorBody { error: kind.into(), message: message.to_string(), fields: vec![] })).into_response()
}

/// Gives responses that left a layer or the router without a body of ours (413 from the
/// body limit, 404 of unknown paths, 405) a Chinese message: JSON under `/api/`, text elsewhere.
pub async fn rewrite_bare_errors(req: Request<Body>, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    let ours = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if ours || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (kind, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "提交的内容过大".to_string()),
        StatusCode::NOT_FOUND => ("not_found", "页面或接口不存在".to_string()),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "不支持该请求方法".to_string()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("invalid", "请求内容类型应为 application/json".to_string()),
        s if s.is_server_error() => ("internal", "服务器内部错误".to_string()),
        _ => ("invalid", "请求格式有误".to_string()),
    };
    if api { api_error(status, kind, message) } else { crate::pages::error_page(status, &message) }
}
