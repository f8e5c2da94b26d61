//! Who is calling: the session cookie (pages) or a bearer token (API), CSRF for forms.

use crate::AppState;
use crate::error::ApiError;
use app::AppError;
use app::account::{Principal, SessionKind};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use std::net::SocketAddr;

pub const COOKIE: &str = "ql_session";
pub const COOKIE_SECURE: &str = "__Host-ql_session";
pub const LOGIN_CSRF_COOKIE: &str = "ql_login_csrf";

pub fn cookie_name(secure: bool) -> &'static str {
    if secure { COOKIE_SECURE } else { COOKIE }
}

/// A session cookie: HttpOnly, SameSite=Strict, path /, and Secure behind TLS.
pub fn session_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Strict);
    c.set_path("/");
    c.set_secure(secure);
    c
}

pub fn client_ip(parts: &Parts) -> String {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// A signed-in browser user. Redirects to the login page when there is no valid session,
/// and to the password page while a password change is due.
pub struct WebUser {
    pub p: Principal,
    pub token: String,
}

/// Like [`WebUser`] but also while a password change is due (the password page itself).
pub struct WebUserAny(pub WebUser);

async fn web_user(parts: &mut Parts, state: &AppState) -> Result<WebUser, Response> {
    let jar = CookieJar::from_headers(&parts.headers);
    let name = cookie_name(state.cfg.secure_cookies);
    let Some(token) = jar.get(name).map(|c| c.value().to_string()) else {
        return Err(login_redirect(parts));
    };
    match state.app.authenticate(&token, SessionKind::Web, &client_ip(parts)).await {
        Ok(p) => Ok(WebUser { p, token }),
        Err(AppError::Unauthenticated(_)) => Err(login_redirect(parts)),
        Err(e) => Err(crate::pages::PageError(e).into_response()),
    }
}

fn login_redirect(parts: &Parts) -> Response {
    // htmx follows HX-Redirect rather than a 303 inside a partial swap.
    if parts.headers.contains_key("hx-request") {
        return ([("hx-redirect", "/login")], "").into_response();
    }
    Redirect::to("/login").into_response()
}

impl FromRequestParts<AppState> for WebUserAny {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        web_user(parts, state).await.map(WebUserAny)
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let u = web_user(parts, state).await?;
        if u.p.must_change_password {
            return Err(Redirect::to("/password").into_response());
        }
        Ok(u)
    }
}

/// A caller of the JSON API with a bearer token.
pub struct ApiUser {
    pub p: Principal,
    pub token: String,
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|v| v.trim().to_string())
            .ok_or_else(|| ApiError(AppError::Unauthenticated("缺少访问令牌（Authorization: Bearer …）".into())))?;
        let p = state.app.authenticate(&token, SessionKind::Api, &client_ip(parts)).await?;
        Ok(ApiUser { p, token })
    }
}

/// Compares the form's token with the session's in constant time.
pub fn csrf_ok(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && !expected.is_empty()
        && expected.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// The client's address, as the audit log records it.
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}
