//! The 企业之家 portal in real Chromium at phone width (375 px): `tests/browser/portal_phone.py`
//! (Playwright driving Debian's Chromium) signs in as an enterprise, checks the page does
//! not scroll sideways, raises a problem with a photo through the form and sees it
//! registered. Here the ledger is then checked: one problem from the portal, with its file.
//!
//! Needs `/usr/bin/chromium` and Python's `playwright` (CI installs both); elsewhere the
//! test says it is skipped, unless `CI` is set, where a missing browser fails it.

use crate::{PW, env};
use app::Actor;
use domain::role::Grant;

fn browser_ready() -> Result<(), String> {
    if !std::path::Path::new("/usr/bin/chromium").exists() {
        return Err("/usr/bin/chromium is missing (apt-get install chromium)".into());
    }
    let ok = std::process::Command::new("python3")
        .args(["-c", "import playwright.sync_api"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        return Err("Python playwright is missing (pip install playwright)".into());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enterprise_raises_a_problem_on_a_phone_in_chromium() {
    if let Err(why) = browser_ready() {
        assert!(std::env::var_os("CI").is_none(), "browser test cannot run in CI: {why}");
        eprintln!("skipped: {why}");
        return;
    }
    let e = env().await;
    let uscc = domain::uscc::Uscc::complete("91511722MA0000042").unwrap().as_str().to_string();
    let input = app::enterprise::EnterpriseInput {
        uscc: uscc.clone(),
        name: "示例电子材料有限公司".into(),
        region_code: "511722".into(),
        industry_code: "3985".into(),
        employees: "120".into(),
        ..Default::default()
    };
    e.app.create_enterprise(&app::account::Principal::console(), &input).await.unwrap();
    let g = Grant::parse(&format!("enterprise:{uscc}")).unwrap();
    e.app.create_account(&Actor::cli(), None, "ent1", "示例电子材料", &[g], Some(PW)).await.unwrap();

    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser/portal_phone.py");
    let shots = tempfile::tempdir().unwrap();
    let (base, dir) = (e.base.clone(), shots.path().to_path_buf());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(script)
            .args([base.as_str(), "ent1", PW])
            .arg(&dir)
            .output()
            .expect("python3 runs")
    })
    .await
    .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the browser run failed:\n{stdout}\n{stderr}");
    assert!(shots.path().join("problem-page.png").exists(), "a screenshot of the result");

    let f = app::store::problem::Filter { source: Some("portal".into()), ..Default::default() };
    let (rows, total) = e.app.problems(&app::account::Principal::console(), &f, None).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(rows[0].row.title, "园区供电线路频繁跳闸");
    assert_eq!(rows[0].row.region_code, "511722");
    let files = app::store::sql::Sql::new("SELECT COUNT(*) FROM problem_file").fetch_i64(&e.app.db).await.unwrap();
    assert_eq!(files, 1);
}
