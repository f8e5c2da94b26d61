//! HTTP of Qianglian: server-rendered pages (askama + htmx) and the `/api/v1` JSON API
//! (utoipa), both thin over [`app::App`]. Security headers, body limits, CSRF on forms.

pub mod api;
pub mod api_chains;
pub mod api_eval;
pub mod api_problems;
pub mod api_projects;
pub mod api_runs;
pub mod api_targets;
pub mod assets;
pub mod auth;
pub mod error;
pub mod pages;
pub mod view;

use app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// Settings of the web server.
#[derive(Clone, Debug, Default)]
pub struct WebConfig {
    /// Served behind TLS (a reverse proxy): `Secure` + `__Host-` cookies and HSTS.
    pub secure_cookies: bool,
    /// Maximum request body in bytes.
    pub body_limit: usize,
    /// Demo mode: the login page says so and lists where the demo accounts are.
    pub demo: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub cfg: Arc<WebConfig>,
}

pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Uploads (imports) may be larger; the office crate checks the file itself before parsing.
pub const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

/// The whole HTTP surface.
pub fn router(app: App, cfg: WebConfig) -> Router {
    let limit = if cfg.body_limit == 0 { DEFAULT_BODY_LIMIT } else { cfg.body_limit };
    let hsts = cfg.secure_cookies;
    let state = AppState { app, cfg: Arc::new(cfg) };
    let mut r = Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .merge(assets::routes())
        .with_state(state)
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(limit.max(UPLOAD_LIMIT)))
        .layer(axum::middleware::from_fn(error::rewrite_bare_errors))
        .layer(axum::middleware::from_fn(server_timing))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ));
    if hsts {
        r = r.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    r
}

/// Serves until Ctrl-C / SIGTERM.
pub async fn serve(app: App, cfg: WebConfig, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let r = router(app, cfg);
    axum::serve(listener, r.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// Adds `Server-Timing: app;dur=…` (milliseconds spent in the server), which the
/// benchmarks read.
async fn server_timing(
    req: axum::http::Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let t = std::time::Instant::now();
    let mut res = next.run(req).await;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={ms:.3}")) {
        res.headers_mut().insert(HeaderName::from_static("server-timing"), v);
    }
    res
}
