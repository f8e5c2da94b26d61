//! Enterprise-problem pages over HTTP (issue 7): the enterprise raises a problem in its
//! portal (a refused form keeps what was typed, a wrong attachment or a missing CSRF token
//! writes nothing), the county accepts and answers it on the problem page (a stale form is
//! refused in Chinese), the enterprise rates it (nobody else may), another county cannot
//! open it; the office reads the rates and exports the list; a 12345 hotline export is
//! checked, imported and its duplicates skipped on a second import; the calendar page adds
//! a holiday and refuses a weekend.

use crate::{PW, client, env, web_login};
use app::Actor;
use domain::role::Grant;
use reqwest::multipart::{Form, Part};

async fn count(e: &crate::Env, table: &str) -> i64 {
    app::store::sql::Sql::new(&format!("SELECT COUNT(*) FROM {table}")).fetch_i64(&e.app.db).await.unwrap()
}

/// A tiny valid PNG (1×1).
fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&[0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
    v.extend_from_slice(&[0x1f, 0x15, 0xc4, 0x89]);
    v
}

/// The version of the problem shown on its page.
fn version_of(html: &str) -> String {
    let i = html.find("name=\"version\" value=\"").expect("version field") + 22;
    html[i..].chars().take_while(char::is_ascii_digit).collect()
}

fn portal_form(csrf: &str, title: &str) -> Form {
    Form::new()
        .text("csrf", csrf.to_string())
        .text("category", "energy")
        .text("subcategory", "natural_gas")
        .text("title", title.to_string())
        .text("description", "冬季供气压力不足，二号生产线被迫减产，请协调燃气公司保障用气。")
        .text("contact", "张经理 13800000000")
}

#[tokio::test]
async fn enterprise_raises_on_the_portal_county_answers_enterprise_rates() {
    let e = env().await;
    let mut tx = e.app.db.begin().await.unwrap();
    let cid = app::store::chain::insert(
        &mut tx,
        &app::store::chain::NewChain {
            code: "gas".into(),
            name: "天然气化工".into(),
            field_code: "energy_chemical".into(),
            lead_department_code: "nycyj".into(),
            provincial_key: true,
            carrying_regions: vec!["511722".into()],
            collaborating_regions: vec![],
        },
        e.app.now(),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let uscc = domain::uscc::Uscc::complete("91511722MA0000042").unwrap().as_str().to_string();
    let input = app::enterprise::EnterpriseInput {
        uscc: uscc.clone(),
        name: "示例燃气化工有限公司".into(),
        region_code: "511722".into(),
        industry_code: "2614".into(),
        employees: "80".into(),
        revenue_wan: "3000".into(),
        ..Default::default()
    };
    let eid = e.app.create_enterprise(&app::account::Principal::console(), &input).await.unwrap();
    let mut tx = e.app.db.begin().await.unwrap();
    app::store::sql::Sql::new(&format!("INSERT INTO enterprise_chain (enterprise_id, chain_id) VALUES ({eid}, {cid})"))
        .execute_tx(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for (u, g) in [("ent1", format!("enterprise:{uscc}")), ("region2", "region:511702".into())] {
        e.app.create_account(&Actor::cli(), None, u, u, &[Grant::parse(&g).unwrap()], Some(PW)).await.unwrap();
    }
    let url = |p: &str| format!("{}{p}", e.base);

    // ---- the enterprise in its portal ----
    let ent = client();
    let csrf = web_login(&ent, &e.base, "ent1").await;
    let r = ent.get(url("/problems")).send().await.unwrap();
    assert_eq!(r.status(), 303, "an enterprise account is sent to its portal");
    assert_eq!(r.headers()["location"], "/portal");
    let page = ent.get(url("/portal")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("企业之家") && page.contains("我要反映问题"), "{page}");
    assert!(page.contains("还没有反映过问题"), "empty state");
    assert!(
        page.contains("class=\"portal\"") && page.contains("10 个工作日内办理答复"),
        "the portal with the county's limit"
    );

    let (problems, files, audit) =
        (count(&e, "problem").await, count(&e, "problem_file").await, count(&e, "audit_log").await);
    // A missing title: the form again with the message beside it and the description kept.
    let r = ent.post(url("/portal")).multipart(portal_form(&csrf, "")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let page = r.text().await.unwrap();
    assert!(page.contains("field-error") && page.contains("问题标题"), "{page}");
    assert!(page.contains("二号生产线被迫减产"), "what was typed is kept");
    // A text file named .pdf: refused, nothing written (not even the problem).
    let f = portal_form(&csrf, "供气压力不足").part("files", Part::bytes(b"not a pdf".to_vec()).file_name("说明.pdf"));
    let r = ent.post(url("/portal")).multipart(f).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("不是可接受的文件类型"));
    // No CSRF token: refused.
    let f = portal_form("0".repeat(64).as_str(), "供气压力不足");
    assert_eq!(ent.post(url("/portal")).multipart(f).send().await.unwrap().status(), 403);
    assert_eq!(count(&e, "problem").await, problems);
    assert_eq!(count(&e, "problem_file").await, files);
    assert_eq!(count(&e, "audit_log").await, audit);

    // Raised with a photo: routed to the county with its deadline.
    let f = portal_form(&csrf, "供气压力不足").part("files", Part::bytes(png()).file_name("现场照片.png"));
    let r = ent.post(url("/portal")).multipart(f).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = loc.strip_prefix("/problems/").unwrap().split('?').next().unwrap().parse().unwrap();
    let page = ent.get(url(&loc)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已受理登记"), "the success message");
    assert!(page.contains("<b>县级</b> · 宣汉县"), "routed to the county: {page}");
    assert!(page.contains("现场照片.png"));
    assert!(page.contains(">撤回<"), "the enterprise may withdraw before an answer");
    assert!(!page.contains("value=\"accept\""), "the enterprise cannot accept its own problem");
    let fid: i64 = {
        let i = page.find(&format!("/problems/{id}/files/")).unwrap() + format!("/problems/{id}/files/").len();
        page[i..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
    };
    let r = ent.get(url(&format!("/problems/{id}/files/{fid}"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png());
    let page = ent.get(url("/portal")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("供气压力不足") && page.contains("我反映的问题（1）"), "{page}");

    // ---- the county answers ----
    let county = client();
    let ccsrf = web_login(&county, &e.base, "region1").await;
    let list = county.get(url("/problems?status=submitted")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("供气压力不足") && list.contains("共 <strong>1</strong> 个问题"), "{list}");
    let list = county.get(url("/problems?status=closed")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("共 <strong>0</strong> 个问题"));
    let bad = county.get(url("/problems?code=purple")).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("赋码应为"), "a bad filter is a message");
    // Staff do not raise through the enterprise portal, nor an enterprise through the staff form.
    let r = county.post(url("/portal")).multipart(portal_form(&ccsrf, "供气压力不足")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = ent.post(url("/problems")).multipart(portal_form(&csrf, "供气压力不足二")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let page = county.get(url(&format!("/problems/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("value=\"accept\"") && page.contains("value=\"reject\"") && page.contains("value=\"escalate\""),
        "the handler steps"
    );
    let v = version_of(&page);
    let step = |action: &str, version: &str, text: &str| {
        vec![
            ("csrf".to_string(), ccsrf.clone()),
            ("action".into(), action.into()),
            ("version".into(), version.into()),
            ("text".into(), text.into()),
        ]
    };
    let r = county.post(url(&format!("/problems/{id}/steps"))).form(&step("accept", &v, "")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    // A form from before that step (stale version): refused, saying someone acted, nothing written.
    let audit = count(&e, "audit_log").await;
    let r =
        county.post(url(&format!("/problems/{id}/steps"))).form(&step("answer", &v, "已协调")).send().await.unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("被他人办理"));
    // An answer needs its text.
    let page = county.get(url(&format!("/problems/{id}"))).send().await.unwrap().text().await.unwrap();
    let v = version_of(&page);
    let r = county.post(url(&format!("/problems/{id}/steps"))).form(&step("answer", &v, " ")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("答复内容"));
    assert_eq!(count(&e, "audit_log").await, audit);
    let answer = "已协调燃气公司增开调压站，本周起二号线用气恢复。";
    let r = county.post(url(&format!("/problems/{id}/steps"))).form(&step("answer", &v, answer)).send().await.unwrap();
    assert_eq!(r.status(), 303);

    // Another county cannot open it; the county cannot rate it.
    let other = client();
    web_login(&other, &e.base, "region2").await;
    assert_eq!(other.get(url(&format!("/problems/{id}"))).send().await.unwrap().status(), 404);
    let page = county.get(url(&format!("/problems/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(answer));
    assert!(!page.contains("name=\"rating\""), "no rating form for the county");
    let v = version_of(&ent.get(url(&format!("/problems/{id}"))).send().await.unwrap().text().await.unwrap());
    let mut rate = step("confirm", &v, "");
    rate.push(("rating".into(), "5".into()));
    let r = county.post(url(&format!("/problems/{id}/steps"))).form(&rate).send().await.unwrap();
    assert_eq!(r.status(), 403);

    // ---- the enterprise rates it ----
    let page = ent.get(url(&format!("/problems/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("确认办结并评价") && page.contains("name=\"rating\""), "{page}");
    let v = version_of(&page);
    let confirm = vec![
        ("csrf", csrf.clone()),
        ("action", "confirm".into()),
        ("version", v.clone()),
        ("rating", "5".into()),
        ("text", "响应及时".into()),
    ];
    let r = ent.post(url(&format!("/problems/{id}/steps"))).form(&confirm).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = ent.get(url(&format!("/problems/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已办结") && page.contains("★★★★★（5 分）") && page.contains("响应及时"), "{page}");

    // ---- the office: rates, export ----
    let office = client();
    web_login(&office, &e.base, "office1").await;
    let rates = office.get(url("/problems/rates?by=chain")).send().await.unwrap().text().await.unwrap();
    // closure 1 of 1 and satisfaction 1 of 1 (a 5-point rating): both cells read 100.0%.
    assert!(rates.contains("天然气化工") && rates.matches("class=\"num\">100.0%</td>").count() == 2, "{rates}");
    let by_unit = office.get(url("/problems/rates")).send().await.unwrap().text().await.unwrap();
    assert!(by_unit.contains("/problems?unit=511722"), "a unit's row links to its problems");
    let list = office.get(url("/problems?unit=511722")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("共 <strong>1</strong> 个问题"), "{list}");
    let r = office.get(url("/problems.xlsx?status=closed")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    let t = office::read_table(&bytes, "x.xlsx", &office::Limits::default()).unwrap();
    assert_eq!(t.rows.len(), 1);
    assert!(t.headers.iter().any(|h| h == "满意度评分"));
    assert!(t.rows[0].cells.iter().any(|c| c == "供气压力不足"));
    // The enterprise is refused the rates.
    assert_eq!(ent.get(url("/problems/rates")).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn hotline_import_and_calendar_pages() {
    let e = env().await;
    let url = |p: &str| format!("{}{p}", e.base);
    let office = client();
    let csrf = web_login(&office, &e.base, "office1").await;
    let page = office.get(url("/problems/import")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("工单编号"));
    // A visit's "登记为企业问题" link fills in the source and the visit's code.
    let page = office
        .get(url("/problems/new?source=visit&source_ref=DY-2026-0001"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"DY-2026-0001\"") && page.contains("<option value=\"visit\" selected>"), "{page}");
    let headers = ["工单编号", "企业名称", "所属区县", "诉求标题", "诉求内容", "联系电话"];
    let row = |ticket: &str, name: &str, region: &str, text: &str| {
        [ticket, name, region, "企业诉求", text, "0818-1234567"]
            .iter()
            .map(|s| office::CellOut::Text(s.to_string()))
            .collect::<Vec<_>>()
    };
    let good = office::write_xlsx(
        "工单",
        &headers,
        vec![
            row("GD20261101001", "示例钢铁有限公司", "达川区", "企业反映厂区道路货车通行受限，物流成本上升。"),
            row("GD20261101002", "示例食品有限公司", "宣汉县", "企业反映招工困难，缺熟练操作工二十人。"),
        ]
        .into_iter(),
    )
    .unwrap();
    let upload = |bytes: Vec<u8>, commit: &str| {
        Form::new()
            .text("csrf", csrf.clone())
            .text("commit", commit.to_string())
            .part("file", Part::bytes(bytes).file_name("12345工单.xlsx"))
    };
    // A row without its content refuses the whole file.
    let bad = office::write_xlsx(
        "工单",
        &headers,
        vec![row("GD1", "示例钢铁有限公司", "达川区", "内容"), row("GD2", "示例食品有限公司", "宣汉县", "")]
            .into_iter(),
    )
    .unwrap();
    let before = count(&e, "problem").await;
    let r = office.post(url("/problems/import")).multipart(upload(bad, "1")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let page = r.text().await.unwrap();
    assert!(page.contains("整个文件未导入") && page.contains(">3<"), "the Excel row number: {page}");
    assert_eq!(count(&e, "problem").await, before);
    // Checked first (nothing written), then imported.
    let r = office.post(url("/problems/import")).multipart(upload(good.clone(), "0")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("将新增 2 个问题"));
    assert_eq!(count(&e, "problem").await, before);
    let r = office.post(url("/problems/import")).multipart(upload(good.clone(), "1")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("新增 2 个问题"));
    assert_eq!(count(&e, "problem").await, before + 2);
    let r = office.post(url("/problems/import")).multipart(upload(good, "1")).send().await.unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("新增 0 个问题") && page.contains("跳过重复 2 行"), "{page}");
    assert_eq!(count(&e, "problem").await, before + 2);
    let list = office.get(url("/problems?source=hotline")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("共 <strong>2</strong> 个问题") && list.contains("12345热线"), "{list}");
    // A viewer may not import.
    let viewer = client();
    web_login(&viewer, &e.base, "viewer1").await;
    assert_eq!(viewer.get(url("/problems/import")).send().await.unwrap().status(), 403);

    // ---- the calendar ----
    let sys = client();
    let scsrf = web_login(&sys, &e.base, "sys1").await;
    let page = sys.get(url("/admin/calendar")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("2026 年") && page.contains("春节") && page.contains("调休上班"));
    let put = |day: &str, kind: &str, name: &str| {
        vec![("csrf", scsrf.clone()), ("day", day.into()), ("kind", kind.into()), ("name", name.into())]
    };
    let audit = count(&e, "audit_log").await;
    // 2027-01-02 is a Saturday: not a holiday to add.
    let r = sys.post(url("/admin/calendar")).form(&put("2027-01-02", "holiday", "元旦")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("是周末"));
    assert_eq!(count(&e, "audit_log").await, audit);
    let r = sys.post(url("/admin/calendar")).form(&put("2027-01-01", "holiday", "元旦")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = sys.get(url("/admin/calendar")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("2027 年（1 天）") && page.contains("2027-01-01"), "{page}");
    assert_eq!(count(&e, "audit_log").await, audit + 1);
    // Only the administrator and the office keep it.
    let county = client();
    let ccsrf = web_login(&county, &e.base, "region1").await;
    assert_eq!(county.get(url("/admin/calendar")).send().await.unwrap().status(), 403);
    let r = county
        .post(url("/admin/calendar/delete"))
        .form(&[("csrf", ccsrf.as_str()), ("day", "2027-01-01")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = sys
        .post(url("/admin/calendar/delete"))
        .form(&[("csrf", scsrf.as_str()), ("day", "2027-01-01")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(!sys.get(url("/admin/calendar")).send().await.unwrap().text().await.unwrap().contains("2027 年"));

    // ---- the time limits ----
    let limits = |county: &str| {
        vec![
            ("csrf", scsrf.clone()),
            ("county", county.to_string()),
            ("lead_department", "10".into()),
            ("chief", "15".into()),
        ]
    };
    let audit = count(&e, "audit_log").await;
    let r = sys.post(url("/admin/calendar/limits")).form(&limits("0")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("时限应为 1–60 个工作日"));
    assert_eq!(count(&e, "audit_log").await, audit);
    let r = sys.post(url("/admin/calendar/limits")).form(&limits("5")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(count(&e, "audit_log").await, audit + 1);
    assert_eq!(e.app.problem_limits().await.unwrap().county, 5);
    // A problem raised now gets five working days: Mon 2026-11-02 → Mon 2026-11-09.
    let p = app::problem::ProblemInput {
        enterprise_name: "示例建材有限公司".into(),
        region: "511722".into(),
        category: "审批".into(),
        title: "环评批复办理慢".into(),
        description: "扩建项目环评报告已提交两个月未批复。".into(),
        ..Default::default()
    };
    let v = e.app.raise_problem(&app::account::Principal::console(), &p).await.unwrap();
    assert_eq!(v.row.deadline.to_string(), "2026-11-09");
}
