//! The problem and chain-chief API contract (issue 7): `/api/v1/problems` (list
//! `{"items","total"}`, raise, steps, `/escalate`), `/meetings` with its packet, `/tasks`,
//! and the refusals (400/403/404/409), each writing nothing.

use crate::{PW, client, env, token};
use app::Actor;
use domain::role::Grant;
use serde_json::{Value, json};

async fn audit_rows(e: &crate::Env) -> i64 {
    app::store::sql::Sql::new("SELECT COUNT(*) FROM audit_log").fetch_i64(&e.app.db).await.unwrap()
}

#[tokio::test]
async fn problem_api_contract() {
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
    let office_p = app::account::Principal::console();
    let uscc = domain::uscc::Uscc::complete("91511722MA0000042").unwrap().as_str().to_string();
    let mut input = app::enterprise::EnterpriseInput {
        uscc: uscc.clone(),
        name: "示例燃气化工有限公司".into(),
        region_code: "511722".into(),
        industry_code: "2614".into(),
        employees: "80".into(),
        ..Default::default()
    };
    input.revenue_wan = "3000".into();
    let eid = e.app.create_enterprise(&office_p, &input).await.unwrap();
    let mut tx = e.app.db.begin().await.unwrap();
    app::store::sql::Sql::new(&format!("INSERT INTO enterprise_chain (enterprise_id, chain_id) VALUES ({eid}, {cid})"))
        .execute_tx(&mut tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    for (u, g) in [
        ("ent1", format!("enterprise:{uscc}")),
        ("lead1", "lead_dept:nycyj".into()),
        ("region2", "region:511702".into()),
    ] {
        e.app.create_account(&Actor::cli(), None, u, u, &[Grant::parse(&g).unwrap()], Some(PW)).await.unwrap();
    }
    let (ent, county, lead, other, office) = (
        token(&e, "ent1").await,
        token(&e, "region1").await,
        token(&e, "lead1").await,
        token(&e, "region2").await,
        token(&e, "office1").await,
    );
    let c = client();
    let url = |p: &str| format!("{}/api/v1{p}", e.base);
    let problem =
        json!({"category": "能源", "title": "供气压力不足", "description": "冬季供气压力不足，二号线被迫减产。"});

    // Refusals write nothing.
    let before = audit_rows(&e).await;
    let r = c
        .post(url("/problems"))
        .bearer_auth(&ent)
        .json(&json!({"category": "天气", "title": "", "description": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert!(text.contains("问题类别应为"), "{text}");
    let r = c
        .post(url("/problems"))
        .bearer_auth(&ent)
        .body("{")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(audit_rows(&e).await, before);

    // The enterprise raises it; the county sees it, another county does not.
    let r = c.post(url("/problems")).bearer_auth(&ent).json(&problem).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let list: Value = c.get(url("/problems")).bearer_auth(&county).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["level"], "county");
    assert_eq!(list["items"][0]["color"], "green");
    let list: Value = c.get(url("/problems")).bearer_auth(&other).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 0);
    assert_eq!(c.get(url(&format!("/problems/{id}"))).bearer_auth(&other).send().await.unwrap().status(), 404);
    assert_eq!(c.get(url("/problems?code=purple")).bearer_auth(&county).send().await.unwrap().status(), 400);
    assert_eq!(c.get(url("/problems/abc")).bearer_auth(&county).send().await.unwrap().status(), 404);

    // Escalation: not the handler's (403), no reason (400), stale (409), then up to the lead department.
    let esc = |v: i64, reason: &str| json!({"version": v, "reason": reason});
    let before = audit_rows(&e).await;
    let r = c
        .post(url(&format!("/problems/{id}/escalate")))
        .bearer_auth(&lead)
        .json(&esc(1, "需协调"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r =
        c.post(url(&format!("/problems/{id}/escalate"))).bearer_auth(&county).json(&esc(1, " ")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .post(url(&format!("/problems/{id}/escalate")))
        .bearer_auth(&county)
        .json(&esc(7, "需协调"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = c.post(url("/problems/999999/escalate")).bearer_auth(&county).json(&esc(1, "需协调")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(audit_rows(&e).await, before);
    let r = c
        .post(url(&format!("/problems/{id}/escalate")))
        .bearer_auth(&county)
        .json(&esc(1, "县级无气源调配权限"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["level"].as_str(), v["unit_code"].as_str()), (Some("lead_department"), Some("nycyj")));

    // The lead department answers; only the enterprise rates.
    let step = |a: &str, v: i64, text: &str, rating: Option<i64>| json!({"action": a, "version": v, "text": text, "rating": rating});
    let v: Value = c
        .post(url(&format!("/problems/{id}/steps")))
        .bearer_auth(&lead)
        .json(&step("accept", 2, "", None))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ver = v["version"].as_i64().unwrap();
    let r = c
        .post(url(&format!("/problems/{id}/steps")))
        .bearer_auth(&lead)
        .json(&step("answer", ver, "已协调增加供气量", None))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ver = r.json::<Value>().await.unwrap()["version"].as_i64().unwrap();
    let r = c
        .post(url(&format!("/problems/{id}/steps")))
        .bearer_auth(&office)
        .json(&step("confirm", ver, "", Some(5)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "only the raising enterprise rates");
    let r = c
        .post(url(&format!("/problems/{id}/steps")))
        .bearer_auth(&ent)
        .json(&step("confirm", ver, "满意", Some(5)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .post(url(&format!("/problems/{id}/escalate")))
        .bearer_auth(&office)
        .json(&esc(ver + 1, "再升级"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "a closed problem does not escalate");
    assert!(r.text().await.unwrap().contains("已办结"));
    let rates: Value =
        c.get(url("/problems/rates?by=chain")).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    assert_eq!(rates[0]["key"], "gas");
    assert_eq!(rates[0]["closure_rate"], 100.0);

    // A meeting with its packet; a task whose deadline falls on a holiday moves.
    let m = json!({"chain": "gas", "year": 2026, "quarter": 4, "held_on": "2026-11-20", "place": "市政府"});
    assert_eq!(c.post(url("/meetings")).bearer_auth(&county).json(&m).send().await.unwrap().status(), 403);
    let r = c.post(url("/meetings")).bearer_auth(&lead).json(&m).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let mid = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let list: Value = c.get(url("/meetings")).bearer_auth(&lead).send().await.unwrap().json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let t = json!({"meeting_id": mid, "title": "落实冬季保供方案", "unit": "nycyj", "person": "示例·张三", "due_on": "2027-01-01"});
    let r = c.post(url("/tasks")).bearer_auth(&lead).json(&t).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    // 2027 is beyond the shipped arrangement: 2027-01-01 is a Friday, kept.
    assert!(created["moved"].is_null(), "{created}");
    let t2 =
        json!({"meeting_id": mid, "title": "国庆保供", "unit": "nycyj", "person": "示例·李四", "due_on": "2026-12-05"});
    let created: Value = c.post(url("/tasks")).bearer_auth(&lead).json(&t2).send().await.unwrap().json().await.unwrap();
    assert!(created["moved"].as_str().unwrap_or("").contains("2026-12-07"), "a Saturday moves to Monday: {created}");
    let tasks: Value = c.get(url("/tasks?chain=gas")).bearer_auth(&lead).send().await.unwrap().json().await.unwrap();
    assert_eq!(tasks.as_array().unwrap().len(), 2);
    assert_eq!(c.get(url("/tasks?status=x")).bearer_auth(&lead).send().await.unwrap().status(), 400);
    let r = c.get(url(&format!("/meetings/{mid}/packet.docx"))).bearer_auth(&lead).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().contains("wordprocessingml"));
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    assert_eq!(
        c.get(url(&format!("/meetings/{mid}/packet.docx"))).bearer_auth(&other).send().await.unwrap().status(),
        404
    );
    let r = c.get(url(&format!("/meetings/{mid}/packet.xlsx"))).bearer_auth(&office).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
