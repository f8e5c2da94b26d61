//! Web tests against the real server (port 0, temp SQLite) and the router in-process.

mod api;
mod browser;
mod chains;
mod eval;
mod evalrun;
mod meetings_pages;
mod pages;
mod problems_api;
mod problems_pages;
mod project_files;
mod projects_api;
mod projects_pages;
mod robustness;
mod targets;

use app::{Actor, App};
use chrono::TimeZone;
use domain::clock::FixedClock;
use domain::role::Grant;
use std::sync::Arc;

pub const PW: &str = "Test-pass-2026";
pub const USCC_OK: &str = "91350100M000100Y43";

pub struct Env {
    pub app: App,
    pub clock: Arc<FixedClock>,
    pub base: String,
    _dir: tempfile::TempDir,
}

/// A fresh database with a few accounts, served on a random local port.
pub async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 2, 1, 0, 0).unwrap()));
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let app = App::open(&url, clock.clone(), &Default::default())
        .await
        .unwrap()
        .with_search(search::SearchIndex::in_memory().unwrap());
    for (u, g) in [
        ("office1", "office"),
        ("region1", "region:511722"),
        ("viewer1", "viewer"),
        ("auditor1", "auditor"),
        ("sys1", "sysadmin"),
        ("sec1", "secadmin"),
    ] {
        app.create_account(&Actor::cli(), None, u, u, &[Grant::parse(g).unwrap()], Some(PW)).await.unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let a = app.clone();
    tokio::spawn(async move { web::serve(a, web::WebConfig::default(), listener).await });
    Env { app, clock, base, _dir: dir }
}

/// Signs in through the login form; the client keeps the session cookie. Returns the
/// CSRF token of the signed-in pages.
pub async fn web_login(c: &reqwest::Client, base: &str, user: &str) -> String {
    let page = c.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let r = c
        .post(format!("{base}/login"))
        .form(&[("username", user), ("password", PW), ("csrf", &csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "login of {user}");
    let home = c.get(format!("{base}/password")).send().await.unwrap().text().await.unwrap();
    csrf_of(&home)
}

/// The value of the first hidden `csrf` input of a page.
pub fn csrf_of(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    html[i..i + 64].to_string()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub async fn token(e: &Env, user: &str) -> String {
    let r = client()
        .post(format!("{}/api/v1/auth/token", e.base))
        .json(&serde_json::json!({"username": user, "password": PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

pub fn enterprise_json(uscc: &str, region: &str) -> serde_json::Value {
    serde_json::json!({
        "uscc": uscc, "name": "测试化工有限公司", "region_code": region, "industry_code": "C2614",
        "employees": 1200, "revenue_wan": 45000, "assets_wan": "52000.5", "founded_on": "2010-05-01"
    })
}

/// A valid USCC other than the standard's example, made from a 17-character prefix.
pub fn uscc(n: u32) -> String {
    domain::uscc::Uscc::complete(&format!("91511722MA{n:06}1")).unwrap().as_str().to_string()
}
