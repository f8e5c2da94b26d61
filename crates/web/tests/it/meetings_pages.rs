//! The chain chiefs' work pages over HTTP (issue 7): the office creates a quarterly meeting
//! through the form (a form without the CSRF token is refused and writes nothing; a date
//! outside the quarter is refused keeping what was typed), sees the agenda the system
//! assembled, edits it (a stale version is refused with a reload link), is refused minutes
//! before the date and records them after it; assigns tasks (a Saturday deadline moves to
//! Monday and the page says so); the assigned county reports progress and closes its task,
//! and the on-time share follows; the task list filters by status and code; the packet
//! downloads as Word and Excel; a county outside the chain cannot open the meeting; a plan
//! item is added and its progress recorded; a visit is recorded and its finding assigned.

use crate::{PW, client, env, web_login};
use app::Actor;
use app::account::Principal;
use chrono::TimeZone;
use domain::role::Grant;

/// A chain carried by 宣汉县 (511722) and led by 市经信局 (jxj).
async fn chain(e: &crate::Env) {
    let app = &e.app;
    let mut tx = app.db.begin().await.unwrap();
    app::store::chain::insert(
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
}

/// The value of the first hidden `version` input of a page.
fn version_of(html: &str) -> String {
    let i = html.find("name=\"version\" value=\"").expect("version field") + 22;
    html[i..].chars().take_while(char::is_ascii_digit).collect()
}

/// The id in a `{prefix}{id}?…` location.
fn id_in(location: &str, prefix: &str) -> i64 {
    let rest = location.strip_prefix(prefix).expect(location);
    rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect(location)
}

#[tokio::test]
async fn chiefs_work_pages() {
    let e = env().await;
    chain(&e).await;
    for (u, g) in [("lead1", "lead_dept:jxj"), ("region2", "region:511702")] {
        e.app.create_account(&Actor::cli(), None, u, u, &[Grant::parse(g).unwrap()], Some(PW)).await.unwrap();
    }
    let console = Principal::console();
    let url = |p: &str| format!("{}{p}", e.base);
    let c = client();
    let csrf = web_login(&c, &e.base, "office1").await;
    let get = |c: &reqwest::Client, p: &str| {
        let r = c.get(url(p));
        async move {
            let r = r.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };

    // The empty list with its form.
    let (st, page) = get(&c, "/meetings").await;
    assert_eq!(st, 200);
    assert!(page.contains("链长推进会议") && page.contains("共 <strong>0</strong> 次会议"), "{page}");
    assert!(
        page.contains("action=\"/meetings\"") && page.contains("<option value=\"gas_chemical\" >天然气化工</option>")
    );

    // Without the CSRF token: refused, nothing written.
    let meeting = |csrf: &str, held: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("chain", "gas_chemical".into()),
            ("year", "2026".into()),
            ("quarter", "4".into()),
            ("held_on", held.to_string()),
            ("place", "市政府第一会议室".into()),
            ("attendees", "链长、副链长".into()),
        ]
    };
    let r = c.post(url("/meetings")).form(&meeting("", "2026-11-20")[1..]).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("CSRF"));
    assert!(e.app.meetings(&console, None, None).await.unwrap().is_empty(), "nothing written");

    // A date outside the quarter: refused in Chinese, the form keeps what was typed.
    let r = c.post(url("/meetings")).form(&meeting(&csrf, "2026-07-01")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("不在 2026 年第 4 季度内") && body.contains("value=\"市政府第一会议室\""), "{body}");
    assert!(e.app.meetings(&console, None, None).await.unwrap().is_empty());

    // Created; the page shows the assembled agenda.
    let r = c.post(url("/meetings")).form(&meeting(&csrf, "2026-11-20")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let mid = id_in(&location, "/meetings/");
    let (st, page) = get(&c, &location).await;
    assert_eq!(st, 200);
    assert!(page.contains("天然气化工链长推进会议（2026年第4季度）") && page.contains("2026年第4季度"), "{page}");
    assert!(page.contains("系统已按本链情况生成议程 1 项"), "{page}");
    assert!(page.contains("本链相关政策草案（由牵头部门补充）") && page.contains("政策草案"));
    assert!(page.contains("2026-11-20") && page.contains("计划召开") && page.contains("按期办结率 <b>—</b>"));
    assert!(page.contains(&format!("href=\"/meetings/{mid}/packet.docx\"")));
    let list = get(&c, "/meetings?chain=gas_chemical&year=2026").await.1;
    assert!(list.contains("共 <strong>1</strong> 次会议") && list.contains(&format!("href=\"/meetings/{mid}\"")));
    assert!(get(&c, "/meetings?year=2025").await.1.contains("共 <strong>0</strong> 次会议"));
    assert_eq!(get(&c, "/meetings?year=abc").await.0, 400);

    // The agenda edited; the old version is then stale.
    let v1 = version_of(&page);
    let agenda = "政策草案|天然气价格支持政策（草案）|市发展改革委起草\n协调管网接入";
    let r = c
        .post(url(&format!("/meetings/{mid}/agenda")))
        .form(&[("csrf", csrf.as_str()), ("version", &v1), ("items", agenda), ("action", "save")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = get(&c, &format!("/meetings/{mid}")).await.1;
    assert!(page.contains("天然气价格支持政策（草案）") && page.contains("协调管网接入") && page.contains("其他事项"));
    assert!(!page.contains("本链相关政策草案（由牵头部门补充）</td>"));
    let d = e.app.meeting(&console, mid).await.unwrap();
    assert_eq!(d.items.len(), 2);
    assert_eq!((d.items[0].kind.as_str(), d.items[1].kind.as_str()), ("policy", "other"));
    let r = c
        .post(url(&format!("/meetings/{mid}/agenda")))
        .form(&[("csrf", csrf.as_str()), ("version", &v1), ("items", "另一项"), ("action", "save")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("请刷新后重试") && body.contains("重新载入本页") && body.contains(">另一项</textarea>"),
        "{body}"
    );
    assert_eq!(e.app.meeting(&console, mid).await.unwrap().items.len(), 2, "nothing written");

    // Minutes before the meeting: refused.
    let v2 = version_of(&page);
    let minutes = |csrf: &str, v: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("version", v.to_string()),
            ("attendees", "链长、副链长，市经信局".to_string()),
            ("minutes", "会议研究了冬季保供和管网接入问题。".to_string()),
        ]
    };
    let r = c.post(url(&format!("/meetings/{mid}/minutes"))).form(&minutes(&csrf, &v2)).send().await.unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("会议定于 2026-11-20，召开后再记录纪要"));

    // Tasks: a refusal keeps the values; a Saturday deadline moves to Monday.
    let task = |title: &str, due: &str, person: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("title", title.to_string()),
            ("decision", "会议决定由宣汉县牵头落实".to_string()),
            ("unit", "511722".to_string()),
            ("person", person.to_string()),
            ("due_on", due.to_string()),
            ("evidence", "供气协议".to_string()),
        ]
    };
    let r = c
        .post(url(&format!("/meetings/{mid}/tasks")))
        .form(&task("落实冬季保供方案", "2026-11-14", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("责任人不能为空") && body.contains("value=\"落实冬季保供方案\""), "{body}");
    assert!(body.contains("<option value=\"511722\" selected>"), "the unit stays chosen");
    let r = c
        .post(url(&format!("/meetings/{mid}/tasks")))
        .form(&task("落实冬季保供方案", "2026-11-14", "示例·张三"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = get(&c, r.headers()["location"].to_str().unwrap()).await.1;
    assert!(
        page.contains("事项已交办") && page.contains("2026-11-14 为") && page.contains("顺延至 2026-11-16"),
        "{page}"
    );
    assert!(page.contains("JB-2026-0001") && page.contains("宣汉县") && page.contains("示例·张三"));
    let r = c
        .post(url(&format!("/meetings/{mid}/tasks")))
        .form(&task("协调管网接入", "2026-11-10", "示例·李四"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let tasks = e.app.meeting(&console, mid).await.unwrap().tasks;
    assert_eq!(tasks.len(), 2);
    let t1 = tasks.iter().find(|t| t.row.title == "落实冬季保供方案").unwrap().row.clone();
    let t2 = tasks.iter().find(|t| t.row.title == "协调管网接入").unwrap().row.clone();
    assert_eq!(t1.due_on.to_string(), "2026-11-16");

    // The task list with its filters.
    let (st, list) = get(&c, "/tasks").await;
    assert_eq!(st, 200);
    assert!(
        list.contains("共 <strong>2</strong> 项") && list.contains(&format!("href=\"/tasks/{}\"", t1.id)),
        "{list}"
    );
    assert!(list.contains(&format!("href=\"/meetings/{mid}\">推进会议</a>")));
    let list = get(&c, "/tasks?status=open&chain=gas_chemical&unit=511722&q=管网").await.1;
    assert!(
        list.contains("共 <strong>1</strong> 项")
            && list.contains("协调管网接入")
            && !list.contains("落实冬季保供方案")
    );
    assert_eq!(get(&c, "/tasks?status=bad").await.0, 400);
    let r = c.get(url("/tasks.xlsx?status=open")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));

    // The county assigned reports progress and closes its task; it may not supervise.
    let rc = client();
    let rcsrf = web_login(&rc, &e.base, "region1").await;
    let (st, tpage) = get(&rc, &format!("/tasks/{}", t1.id)).await;
    assert_eq!(st, 200);
    assert!(tpage.contains("value=\"progress\"") && tpage.contains("value=\"done\""), "{tpage}");
    assert!(!tpage.contains("value=\"supervision\"") && !tpage.contains("value=\"cancel\""), "{tpage}");
    assert!(tpage.contains("2026-11-16") && tpage.contains("供气协议") && tpage.contains("会议决定由宣汉县牵头落实"));
    let step = |kind: &str, version: &str, text: &str| {
        vec![("csrf", rcsrf.clone()), ("kind", kind.into()), ("version", version.into()), ("text", text.into())]
    };
    let steps = format!("/tasks/{}/steps", t1.id);
    let r = rc.post(url(&steps)).form(&step("supervision", &version_of(&tpage), "催办")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("只有融圈强链办、该链牵头部门或链长可以督办或撤销"));
    let r = rc.post(url(&steps)).form(&step("progress", &version_of(&tpage), "已与供气企业对接")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let tpage2 = get(&rc, r.headers()["location"].to_str().unwrap()).await.1;
    assert!(
        tpage2.contains("进展已报送") && tpage2.contains("已与供气企业对接") && tpage2.contains("region1"),
        "{tpage2}"
    );
    let r = rc.post(url(&steps)).form(&step("done", &version_of(&tpage), "过期的页面")).send().await.unwrap();
    assert_eq!(r.status(), 409, "the old version is stale");
    let r = rc.post(url(&steps)).form(&step("done", &version_of(&tpage2), "已签订保供协议")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let tpage3 = get(&rc, &format!("/tasks/{}", t1.id)).await.1;
    assert!(tpage3.contains("已办结") && tpage3.contains("按期") && tpage3.contains("已签订保供协议"), "{tpage3}");
    assert!(!tpage3.contains("name=\"kind\""), "no forms on a closed task");
    // The county reads its tasks but not the chain's meeting; another county neither.
    assert!(get(&rc, "/tasks").await.1.contains("共 <strong>2</strong> 项"));
    assert_eq!(get(&rc, &format!("/meetings/{mid}")).await.0, 404);
    let oc = client();
    let ocsrf = web_login(&oc, &e.base, "region2").await;
    assert_eq!(get(&oc, &format!("/meetings/{mid}")).await.0, 404);
    assert_eq!(get(&oc, &format!("/tasks/{}", t1.id)).await.0, 404);
    assert_eq!(oc.get(url(&format!("/meetings/{mid}/packet.docx"))).send().await.unwrap().status(), 404);
    let r =
        oc.post(url(&format!("/meetings/{mid}/tasks"))).form(&[("csrf", ocsrf.as_str()), ("title", "x")]).send().await;
    assert_eq!(r.unwrap().status(), 404);
    assert!(get(&oc, "/tasks").await.1.contains("共 <strong>0</strong> 项"));

    // The on-time share: one closed on time, the other not yet due.
    let page = get(&c, &format!("/meetings/{mid}")).await.1;
    assert!(page.contains("按期办结率 <b>100.0%</b>") && page.contains("未办结 1 项"), "{page}");
    assert!(get(&c, "/tasks?status=done").await.1.contains("共 <strong>1</strong> 项"));

    // A viewer reads the meeting without the organisers' forms and may not edit it.
    let vc = client();
    let vcsrf = web_login(&vc, &e.base, "viewer1").await;
    let vpage = get(&vc, &format!("/meetings/{mid}")).await.1;
    assert!(
        vpage.contains("天然气价格支持政策（草案）") && !vpage.contains("编辑议程") && !vpage.contains("id=\"assign\"")
    );
    let r = vc
        .post(url(&format!("/meetings/{mid}/agenda")))
        .form(&[("csrf", vcsrf.as_str()), ("version", &version_of(&page)), ("items", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(e.app.meeting(&console, mid).await.unwrap().items.len(), 2);

    // After the meeting: the minutes; the open task is now overdue (red) and the share falls.
    e.clock.set(chrono::Utc.with_ymd_and_hms(2026, 11, 21, 1, 0, 0).unwrap());
    let csrf = web_login(&c, &e.base, "office1").await;
    let page = get(&c, &format!("/meetings/{mid}")).await.1;
    let r = c
        .post(url(&format!("/meetings/{mid}/minutes")))
        .form(&minutes(&csrf, &version_of(&page)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = get(&c, &format!("/meetings/{mid}")).await.1;
    assert!(page.contains("会议研究了冬季保供和管网接入问题。") && page.contains("已召开"), "{page}");
    assert!(page.contains("按期办结率 <b>50.0%</b>") && page.contains("已逾期 11 天"), "{page}");
    let red = get(&c, "/tasks?code=red").await.1;
    assert!(red.contains("共 <strong>1</strong> 项") && red.contains(&format!("href=\"/tasks/{}\"", t2.id)), "{red}");

    // The packet as Word and Excel.
    let r = c.get(url(&format!("/meetings/{mid}/packet.docx"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains(".docx"));
    let body = r.bytes().await.unwrap();
    assert!(body.starts_with(b"PK") && body.len() > 2000, "{} bytes", body.len());
    let r = c.get(url(&format!("/meetings/{mid}/packet.xlsx"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));

    // Plans: the lead department adds an item, a refusal keeps its values; progress recorded.
    let lc = client();
    let lcsrf = web_login(&lc, &e.base, "lead1").await;
    let (st, plans) = get(&lc, "/plans").await;
    assert_eq!(st, 200);
    assert!(plans.contains("添加计划事项") && plans.contains("共 <strong>0</strong> 项计划事项"), "{plans}");
    let plan = |title: &str, due: &str| {
        vec![
            ("csrf", lcsrf.clone()),
            ("chain", "gas_chemical".to_string()),
            ("kind", "annual".to_string()),
            ("year", "2026".to_string()),
            ("title", title.to_string()),
            ("unit", "jxj".to_string()),
            ("due_on", due.to_string()),
            ("f_chain", "gas_chemical".to_string()),
        ]
    };
    let r = lc.post(url("/plans")).form(&plan("建设天然气化工中试基地", "2025-12-31")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("完成时限不早于该年") && body.contains("value=\"建设天然气化工中试基地\""), "{body}");
    assert!(e.app.plan_items(&console, None, None).await.unwrap().is_empty());
    let r = lc.post(url("/plans")).form(&plan("建设天然气化工中试基地", "2026-12-31")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/plans?chain=gas_chemical&msg="), "{location}");
    let plans = get(&lc, &location).await.1;
    assert!(
        plans.contains("天然气化工 · 年度工作计划（2026 年）") && plans.contains("建设天然气化工中试基地"),
        "{plans}"
    );
    assert!(plans.contains("市经济和信息化局") && plans.contains("已完成 0/1") && plans.contains("填报进展"));
    let item = e.app.plan_items(&console, None, None).await.unwrap().remove(0);
    let progress = |v: i64| {
        vec![
            ("csrf", lcsrf.clone()),
            ("version", v.to_string()),
            ("progress", "已完成选址和可研".to_string()),
            ("done", "1".to_string()),
        ]
    };
    let r = lc.post(url(&format!("/plans/{}/progress", item.id))).form(&progress(item.version)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let plans = get(&lc, "/plans?year=2026").await.1;
    assert!(
        plans.contains("已完成选址和可研") && plans.contains("已完成 1/1") && !plans.contains("填报进展</summary>")
    );
    let r = lc.post(url(&format!("/plans/{}/progress", item.id))).form(&progress(item.version)).send().await.unwrap();
    assert_eq!(r.status(), 409, "a stale version is refused");
    assert!(get(&lc, "/plans?year=2025").await.1.contains("共 <strong>0</strong> 项计划事项"));

    // Visits: recorded by the lead department (a future date refused), then a finding assigned.
    let visit = |on: &str| {
        vec![
            ("csrf", lcsrf.clone()),
            ("chain", "gas_chemical".to_string()),
            ("visitor", "链长 示例".to_string()),
            ("kind", "chief".to_string()),
            ("visited_on", on.to_string()),
            ("places", "宣汉县普光经开区".to_string()),
            ("findings", "园区蒸汽管网尚未贯通。".to_string()),
        ]
    };
    let r = lc.post(url("/visits")).form(&visit("2026-12-01")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("调研日期不能晚于今天") && body.contains("园区蒸汽管网尚未贯通。"), "{body}");
    let r = lc.post(url("/visits")).form(&visit("2026-11-20")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let visits = get(&lc, "/visits?chain=gas_chemical").await.1;
    assert!(
        visits.contains("DY-2026-0001") && visits.contains("链长调研") && visits.contains("园区蒸汽管网尚未贯通。")
    );
    let vid = e.app.visits(&console, None).await.unwrap()[0].id;
    let r = lc
        .post(url(&format!("/visits/{vid}/tasks")))
        .form(&[
            ("csrf", lcsrf.as_str()),
            ("title", "贯通园区蒸汽管网"),
            ("unit", "511722"),
            ("person", "示例·王五"),
            ("due_on", "2026-12-15"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let tid = id_in(r.headers()["location"].to_str().unwrap(), "/tasks/");
    let tpage = get(&lc, &format!("/tasks/{tid}")).await.1;
    assert!(tpage.contains("贯通园区蒸汽管网") && tpage.contains(&format!("href=\"/visits#visit-{vid}\">调研</a>")));
    assert!(
        tpage.contains("value=\"supervision\"") && !tpage.contains("value=\"progress\""),
        "the lead department supervises: {tpage}"
    );
    assert_eq!(e.app.tasks(&console, &Default::default()).await.unwrap().len(), 3);
}
