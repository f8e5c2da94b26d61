//! Key-project pages over HTTP: the office adds a project through the form (a refusal keeps
//! what was typed and writes nothing), finds it in the list with filters and saved filters,
//! edits it; a monthly report is submitted and a duplicate month refused in Chinese with
//! nothing written; a form without the CSRF token is refused; a stage change with a wrong
//! file is refused, then made with a PNG photo and an approval number, and the photo is
//! downloaded back from the timeline; supervision is issued and answered; a county user
//! cannot open a project outside its region; the scheduling and to-do pages show the project.

use crate::{client, env, web_login};
use app::account::Principal;
use app::project::ProjectInput;

const NAME: &str = "达州示例天然气制氢项目";

/// A chain carried by 宣汉县 (511722) and led by 市经信局.
async fn chain(e: &crate::Env) -> i64 {
    let app = &e.app;
    let mut tx = app.db.begin().await.unwrap();
    let id = app::store::chain::insert(
        &mut tx,
        &app::store::chain::NewChain {
            code: "gas_chemical".into(),
            name: "天然气化工".into(),
            field_code: "energy_chemical".into(),
            lead_department_code: "jxj".into(),
            provincial_key: true,
            carrying_regions: vec!["511722".into()],
            collaborating_regions: vec![],
        },
        app.now(),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// The value of the first hidden `version` input of a page.
fn version_of(html: &str) -> String {
    let i = html.find("name=\"version\" value=\"").expect("version field") + 22;
    html[i..].chars().take_while(char::is_ascii_digit).collect()
}

/// The project id of a `/projects/{id}?…` redirect.
fn id_of(location: &str) -> i64 {
    let rest = location.strip_prefix("/projects/").expect(location);
    rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect(location)
}

fn form_fields(csrf: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", csrf.to_string()),
        ("name", NAME.to_string()),
        ("chain", "gas_chemical".into()),
        ("region", "511722".into()),
        ("kind", "new_attraction".into()),
        ("investor", "示例氢能科技有限公司".into()),
        ("tag_effective", "1".into()),
        ("tag_tax", "1".into()),
        ("total_wan", "12000".into()),
        ("plan_year_0", "2026".into()),
        ("plan_wan_0", "3000".into()),
        ("plan_year_1", "2027".into()),
        ("plan_wan_1", "6000".into()),
        ("land_mu", "120".into()),
        ("land_mode", "lease_then_sell".into()),
        ("unit", "511722".into()),
        ("person", "张示例".into()),
        ("contact", "0818-0000000".into()),
        ("planned_start", "2026-10-01".into()),
        ("stage", "approval".into()),
    ]
}

/// A tiny valid PNG (1×1).
fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&[
        0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
    ]);
    v.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]);
    v
}

#[tokio::test]
async fn project_pages_create_report_transition_and_scope() {
    let e = env().await;
    chain(&e).await;
    let console = Principal::console();
    let c = client();
    let csrf = web_login(&c, &e.base, "office1").await;
    let url = |p: &str| format!("{}{p}", e.base);

    // The menu and the empty list.
    let page = c.get(url("/projects")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("href=\"/projects\"") && page.contains("重点项目库"), "{page}");
    assert!(page.contains("href=\"/projects/new\""), "the office may add projects");

    // The form; a refusal keeps what was typed, says what is wrong in Chinese, writes nothing.
    let form = c.get(url("/projects/new")).send().await.unwrap().text().await.unwrap();
    assert!(form.contains("name=\"plan_year_4\"") && form.contains("天然气化工") && form.contains("有持续税源"));
    let mut bad = form_fields(&csrf);
    bad.retain(|(k, _)| *k != "name");
    bad.push(("plan_year_2", "2028".into()));
    bad.push(("plan_wan_2", "5000".into()));
    let r = c.post(url("/projects/new")).form(&bad).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("项目名称不能为空"), "{body}");
    assert!(body.contains("超过总投资"), "{body}");
    assert!(body.contains("value=\"0818-0000000\"") && body.contains("value=\"5000\""), "the form keeps its values");
    let (_, total) = e.app.projects(&console, &Default::default(), None).await.unwrap();
    assert_eq!(total, 0, "nothing written");

    // Created through the form.
    let r = c.post(url("/projects/new")).form(&form_fields(&csrf)).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let id = id_of(r.headers()["location"].to_str().unwrap());
    let page = c.get(url(&format!("/projects/{id}?msg=x"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(NAME) && page.contains("XM-2026-0001"), "{page}");
    assert!(page.contains("主要承载地") && page.contains("先租后让") && page.contains("12,000.00"), "{page}");
    assert!(page.contains("绿码") && page.contains("赋码规则") && page.contains(domain::project::CODE_RULES[0]));
    assert!(
        page.contains("进入“开工”阶段") && page.contains("name=\"start_photo\"") && page.contains("name=\"permit_no\"")
    );
    assert!(page.contains("终止项目") && page.contains("取得施工许可"), "milestones of the template: {page}");

    // The list with filters, and a saved filter.
    let list = c.get(url("/projects?region=511722&stage=approval")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains(NAME) && list.contains("共 <strong>1</strong> 个项目"), "{list}");
    let list = c.get(url("/projects?stage=operating")).send().await.unwrap().text().await.unwrap();
    assert!(!list.contains(NAME) && list.contains("共 <strong>0</strong> 个项目"));
    let list = c.get(url("/projects?code=red")).send().await.unwrap().text().await.unwrap();
    assert!(!list.contains(NAME));
    let r = c
        .post(url("/projects/filters"))
        .form(&[("csrf", csrf.as_str()), ("name", "宣汉审批中"), ("query", "region=511722&stage=approval&page=3")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let list = c.get(url("/projects")).send().await.unwrap().text().await.unwrap();
    assert!(
        list.contains("宣汉审批中") && list.contains("href=\"/projects?region=511722&#38;stage=approval\""),
        "{list}"
    );
    let fid = e
        .app
        .project_filters(
            &e.app.login("office1", crate::PW, app::account::SessionKind::Api, "t").await.unwrap().principal,
        )
        .await
        .unwrap()[0]
        .id;
    let r =
        c.post(url(&format!("/projects/filters/{fid}/delete"))).form(&[("csrf", csrf.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(!c.get(url("/projects")).send().await.unwrap().text().await.unwrap().contains("宣汉审批中"));

    // Edit: the form comes back filled and saves with its version.
    let edit = c.get(url(&format!("/projects/{id}/edit"))).send().await.unwrap().text().await.unwrap();
    assert!(
        edit.contains(&format!("value=\"{NAME}\""))
            && edit.contains("value=\"12000\"")
            && edit.contains("value=\"2027\"")
    );
    let mut fields = form_fields(&csrf);
    fields.retain(|(k, _)| *k != "stage" && *k != "name");
    fields.push(("name", format!("{NAME}（一期）")));
    fields.push(("version", version_of(&edit)));
    let r = c.post(url(&format!("/projects/{id}/edit"))).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let name = format!("{NAME}（一期）");
    // A stale version is refused with who changed it.
    let r = c.post(url(&format!("/projects/{id}/edit"))).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("重新载入最新数据"));

    // A monthly report; the same month again is refused and nothing is written.
    let report = |month: &'static str, amount: &'static str, csrf: Option<&str>| {
        let mut f = vec![
            ("month", month.to_string()),
            ("amount_wan", amount.to_string()),
            ("progress", "土建施工".to_string()),
        ];
        if let Some(t) = csrf {
            f.push(("csrf", t.to_string()));
        }
        c.post(url(&format!("/projects/{id}/reports"))).form(&f).send()
    };
    let r = report("2026-11", "300", Some(&csrf)).await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap().ends_with("#reports"));
    let page = c.get(url(&format!("/projects/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("2026年11月") && page.contains("300.00") && page.contains("土建施工"), "{page}");
    let r = report("2026-11", "100", Some(&csrf)).await.unwrap();
    assert_eq!(r.status(), 409);
    let body = r.text().await.unwrap();
    assert!(body.contains("2026年11月的月报已填报，不能重复填报"), "{body}");
    let reports = e.app.project_reports(&console, id).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].amount_fen, 300 * 10_000 * 100);
    // Without the CSRF token: refused, nothing written.
    let r = report("2026-10", "50", None).await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("CSRF"));
    assert_eq!(e.app.project_reports(&console, id).await.unwrap().len(), 1);

    // A stage change: a text file as the photo is refused and nothing changes …
    let page = c.get(url(&format!("/projects/{id}"))).send().await.unwrap().text().await.unwrap();
    let version = version_of(&page);
    let transition = |photo: Vec<u8>, name: &'static str, csrf: &str, version: &str| {
        let f = reqwest::multipart::Form::new()
            .text("csrf", csrf.to_string())
            .text("version", version.to_string())
            .text("to", "started")
            .text("on", "")
            .text("reason", "")
            .text("permit_no", "宣汉建施〔2026〕001号")
            .part("start_photo", reqwest::multipart::Part::bytes(photo).file_name(name));
        c.post(url(&format!("/projects/{id}/transition"))).multipart(f).send()
    };
    let r = transition(b"not a picture".to_vec(), "photo.png", &csrf, &version).await.unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("不是可接受的文件类型"), "{body}");
    assert!(body.contains("宣汉建施〔2026〕001号"), "the typed approval number is kept");
    let d = e.app.project(&console, id).await.unwrap();
    assert_eq!(d.project.stage, "approval");
    assert!(d.evidence.is_empty());
    // … and without the token it is refused too.
    let r = transition(png(), "photo.png", "0", &version).await.unwrap();
    assert_eq!(r.status(), 403);
    // … then made with a PNG photo and the permit number.
    let r = transition(png(), "开工现场.png", &csrf, &version).await.unwrap();
    assert_eq!(r.status(), 303);
    let page = c.get(url(&format!("/projects/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("审批 → 开工") && page.contains("宣汉建施〔2026〕001号"), "{page}");
    let d = e.app.project(&console, id).await.unwrap();
    assert_eq!(d.project.stage, "started");
    let photo = d.evidence.iter().find(|x| x.item == "start_photo").expect("photo stored");
    let link = format!("/projects/{id}/evidence/{}", photo.id);
    assert!(page.contains(&link) && page.contains("开工现场.png"), "{page}");
    let r = c.get(url(&link)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png());
    assert_eq!(c.get(url(&format!("/projects/{id}/evidence/999999"))).send().await.unwrap().status(), 404);

    // Supervision: issued by the office, answered by the region.
    let r = c
        .post(url(&format!("/projects/{id}/supervisions")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("title", "加快办理施工许可"),
            ("content", "请说明进度"),
            ("due_on", "2026-11-20"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = c
        .post(url(&format!("/projects/{id}/supervisions")))
        .form(&[("csrf", csrf.as_str()), ("title", "过期督办"), ("due_on", "2026-10-01")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("回复期限不能早于今天"));

    // A second project in 通川区, outside the county user's region.
    let other = ProjectInput {
        name: "通川区示例项目".into(),
        chain: "gas_chemical".into(),
        region: "511702".into(),
        investor: "示例投资有限公司".into(),
        kind: "upgrade".into(),
        total_wan: "800".into(),
        unit: "jxj".into(),
        person: "李示例".into(),
        planned_start: "2026-12-01".into(),
        ..Default::default()
    };
    let other = e.app.create_project(&console, &other).await.unwrap();

    // The county user: sees its project and answers the supervision; the other is not found.
    let rc = client();
    let rcsrf = web_login(&rc, &e.base, "region1").await;
    let list = rc.get(url("/projects")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains(&name) && !list.contains("通川区示例项目"), "{list}");
    assert_eq!(rc.get(url(&format!("/projects/{other}"))).send().await.unwrap().status(), 404);
    assert_eq!(rc.get(url(&format!("/projects/{other}/edit"))).send().await.unwrap().status(), 404);
    let page = rc.get(url(&format!("/projects/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("加快办理施工许可") && page.contains("提交回复"), "{page}");
    assert!(!page.contains("下达督办"), "a county does not supervise");
    let sid = e.app.project(&console, id).await.unwrap().supervisions[0].clone();
    let todo = rc.get(url("/projects/todo")).send().await.unwrap();
    assert_eq!(todo.status(), 200);
    let todo = todo.text().await.unwrap();
    assert!(todo.contains("回复督办：加快办理施工许可"), "{todo}");
    assert!(todo.contains(&format!("/projects/{id}#supervision-{}", sid.id)), "{todo}");
    let r = rc
        .post(url(&format!("/projects/{id}/supervisions/{}/respond", sid.id)))
        .form(&[("csrf", rcsrf.as_str()), ("version", &sid.version.to_string()), ("response", "已提交施工许可申请")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = rc.get(url(&format!("/projects/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已提交施工许可申请") && page.contains("已回复"));
    let todo = rc.get(url("/projects/todo")).send().await.unwrap().text().await.unwrap();
    assert!(!todo.contains("回复督办：加快办理施工许可"), "answered: no longer to do");

    // The scheduling report shows the project started this month, by chain and by region.
    let s = c.get(url("/projects/schedule?period=2026-11")).send().await.unwrap();
    assert_eq!(s.status(), 200);
    let s = s.text().await.unwrap();
    assert!(s.contains("全市2026年11月重点项目调度"), "{s}");
    let started = &s[s.find("id=\"started\"").unwrap()..s.find("id=\"lagging\"").unwrap()];
    assert!(started.contains(&name) && started.contains(&format!("/projects/{id}")), "{started}");
    assert!(s.contains("id=\"stage-funnel\"") && s.contains("天然气化工") && s.contains("宣汉县"));
    let stats = &s[s.find("money-stats").unwrap()..s.find("id=\"progress\"").unwrap()];
    assert!(stats.contains("<span class=\"num\">300.00</span><span class=\"label\">当月完成投资"), "{stats}");
    assert!(
        stats.contains("<span class=\"num\">3,000.00</span><span class=\"label\">2026年11月所在年度计划投资"),
        "{stats}"
    );
    assert!(s.contains("/projects/schedule.docx?period=2026-11"));
    let r = c.get(url("/projects/schedule?period=2099-01")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("尚未到来"));
    let s = rc.get(url("/projects/schedule?period=2026-11")).send().await.unwrap().text().await.unwrap();
    assert!(s.contains(&name) && !s.contains("通川区示例项目"), "the county's schedule is its own");
}

#[tokio::test]
async fn project_pages_refuse_system_roles_and_hide_the_menu() {
    let e = env().await;
    let c = client();
    web_login(&c, &e.base, "auditor1").await;
    let home = c.get(format!("{}/", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(!home.contains("href=\"/projects\""));
    let r = c.get(format!("{}/projects", e.base)).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("无权查看重点项目"));
    let v = client();
    web_login(&v, &e.base, "viewer1").await;
    let list = v.get(format!("{}/projects", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("重点项目库") && !list.contains("href=\"/projects/new\""), "a viewer reads only");
    assert_eq!(v.get(format!("{}/projects/new", e.base)).send().await.unwrap().status(), 403);
}
