use crate::{PW, USCC_OK, client, env};

use crate::csrf_of as csrf;

async fn login(c: &reqwest::Client, base: &str, user: &str) -> String {
    let page = c.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let r = c
        .post(format!("{base}/login"))
        .form(&[("username", user), ("password", PW), ("csrf", &csrf(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "login of {user}");
    let set = r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>();
    let session = set.iter().find(|c| c.starts_with("ql_session=")).expect("session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
    c.get(format!("{base}/")).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn browser_flow_with_csrf() {
    let e = env().await;
    let c = client();
    // Not signed in: redirected to the login page, which carries the security headers.
    let r = c.get(format!("{}/enterprises", e.base)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let r = c.get(format!("{}/login", e.base)).send().await.unwrap();
    let csp = r.headers().get("content-security-policy").unwrap().to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(r.headers().get("x-content-type-options").unwrap(), "nosniff");
    // A login without the page's token is refused.
    let r = c
        .post(format!("{}/login", e.base))
        .form(&[("username", "office1"), ("password", PW), ("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let home = login(&c, &e.base, "office1").await;
    assert!(home.contains("企业库") && !home.contains("审计日志"), "office navigation");
    let page = c.get(format!("{}/enterprises/new", e.base)).send().await.unwrap().text().await.unwrap();
    let token = csrf(&page);
    let form = |csrf: &str, uscc: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("uscc", uscc.to_string()),
            ("name", "页面测试有限公司".to_string()),
            ("region_code", "511722".to_string()),
            ("industry_code", "2614".to_string()),
            ("revenue_wan", "1000".to_string()),
        ]
    };
    // Forged CSRF: refused, nothing created.
    let r = c.post(format!("{}/enterprises", e.base)).form(&form(&"0".repeat(64), USCC_OK)).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("CSRF"));
    // A wrong USCC: the form comes back with the message beside the field and the input kept.
    let r = c.post(format!("{}/enterprises", e.base)).form(&form(&token, "91350100M000100Y4")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("应为18位") && html.contains("页面测试有限公司"));
    // The right one is created and shown.
    let r = c.post(format!("{}/enterprises", e.base)).form(&form(&token, USCC_OK)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let list = c.get(format!("{}/enterprises?q=页面测试", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("页面测试有限公司") && list.contains("共 <strong>1</strong> 家企业"));
    // The htmx partial is only the table.
    let part = c
        .get(format!("{}/enterprises?q=页面测试", e.base))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(part.contains("页面测试有限公司") && !part.contains("<html"));
    // CSV export of what is filtered, with the BOM and the header in Chinese.
    let csv =
        c.get(format!("{}/enterprises/export.csv?q=页面测试", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(csv.starts_with('\u{feff}') && csv.contains("统一社会信用代码") && csv.lines().count() == 2);
    let n = e.app.audit_verify(None).await.unwrap();
    assert!(n.first_broken.is_none());

    // The gradient ledger, the import and search pages render for the office.
    for (path, needle) in [
        ("/gradient", "上市（并购标的）后备企业资源库"),
        ("/import", "可识别的列"),
        ("/registry", "数据冲突处理规则"),
        ("/search?q=页面测试", "页面测试有限公司"),
    ] {
        let r = c.get(format!("{}{path}", e.base)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.text().await.unwrap().contains(needle), "{path}");
    }
    let xlsx = c.get(format!("{}/enterprises/export.xlsx?q=页面测试", e.base)).send().await.unwrap();
    assert!(xlsx.headers().get("content-disposition").unwrap().to_str().unwrap().contains("filename*=UTF-8''"));
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));

    // The auditor's navigation shows the audit page, not the ledger.
    let c2 = client();
    let home = login(&c2, &e.base, "auditor1").await;
    assert!(home.contains("审计日志") && !home.contains("href=\"/enterprises\""));
    assert_eq!(c2.get(format!("{}/import", e.base)).send().await.unwrap().status(), 403);
    let audit = c2.get(format!("{}/audit?entity=enterprise", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(audit.contains("enterprise.create") && audit.contains("哈希链完整"));
}

#[test]
fn csv_cells_escape_formulas() {
    assert_eq!(web::pages::csv_cell("=1+1"), "\"'=1+1\"");
    assert_eq!(web::pages::csv_cell("a\"b"), "\"a\"\"b\"");
    assert_eq!(web::pages::csv_cell("-5"), "\"'-5\"");
}

/// Upload through the import page: an unrecognised header gets the mapping step, and the
/// chosen mapping imports the file.
#[tokio::test]
async fn import_page_offers_column_mapping() {
    let e = env().await;
    let c = client();
    let token = crate::web_login(&c, &e.base, "office1").await;
    let code = crate::uscc(71);
    let csv = format!("社会统一代码,企业名称,所属区县,行业代码,备注\n{code},映射测试有限公司,宣汉县,2614,无\n");
    let form = |mode: &str, maps: &[(&str, &str)]| {
        let mut f = reqwest::multipart::Form::new()
            .text("csrf", token.clone())
            .text("kind", "enterprises")
            .text("mode", mode.to_string())
            .part("file", reqwest::multipart::Part::bytes(csv.clone().into_bytes()).file_name("映射.csv"));
        for (i, (h, v)) in maps.iter().enumerate() {
            f = f.text(format!("maph{i}"), h.to_string()).text(format!("mapv{i}"), v.to_string());
        }
        f
    };
    let r = c.post(format!("{}/import", e.base)).multipart(form("preview", &[])).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("缺少必填列") && html.contains("value=\"社会统一代码\""), "mapping step offered");
    let r = c
        .post(format!("{}/import", e.base))
        .multipart(form("commit", &[("社会统一代码", "uscc"), ("备注", "ignore")]))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let html = r.text().await.unwrap();
    assert_eq!(status, 200);
    assert!(html.contains("已导入"));
    let list = c.get(format!("{}/enterprises?q=映射测试", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("映射测试有限公司"));
    // Without the CSRF token nothing is imported.
    let f = reqwest::multipart::Form::new().text("kind", "enterprises").text("mode", "commit");
    assert_eq!(c.post(format!("{}/import", e.base)).multipart(f).send().await.unwrap().status(), 403);
}
