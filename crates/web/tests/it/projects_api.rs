//! The key-project API contract: `/api/v1/projects` (list `{"items","total"}`, create, get,
//! put with versions), `/transition` (illegal steps 409 with the allowed stages, evidence as
//! base64), `/reports`, `/schedules`, and the refusals (400/403/404/409), each writing nothing.

use crate::{client, env, token};
use base64::Engine;
use serde_json::{Value, json};

async fn chain(e: &crate::Env) {
    let mut tx = e.app.db.begin().await.unwrap();
    app::store::chain::insert(
        &mut tx,
        &app::store::chain::NewChain {
            code: "lithium".into(),
            name: "锂电".into(),
            field_code: "energy_chemical".into(),
            lead_department_code: "jxj".into(),
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
}

fn body() -> Value {
    json!({
        "name": "示例·锂电隔膜项目", "chain": "lithium", "region": "511722", "investor": "示例隔膜有限公司",
        "kind": "new_attraction", "tag_effective": true, "total_wan": "50000", "plans": [["2026", "8000"], ["2027", "30000"]],
        "land_mu": "120.5", "land_mode": "flexible_term", "unit": "jxj", "person": "赵六", "planned_start": "2026-11-20"
    })
}

async fn audit_rows(e: &crate::Env) -> i64 {
    app::store::sql::Sql::new("SELECT COUNT(*) FROM audit_log").fetch_i64(&e.app.db).await.unwrap()
}

#[tokio::test]
async fn project_api_contract() {
    let e = env().await;
    chain(&e).await;
    let (office, county, viewer) = (token(&e, "office1").await, token(&e, "region1").await, token(&e, "viewer1").await);
    let c = client();
    let url = |p: &str| format!("{}/api/v1{p}", e.base);

    // Create as the county; a viewer may not register projects.
    let r = c.post(url("/projects")).bearer_auth(&viewer).json(&body()).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = c.post(url("/projects")).bearer_auth(&county).json(&body()).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let mut bad = body();
    bad["plans"] = json!([["2026", "60000"]]);
    bad["region"] = json!("511702");
    let before = audit_rows(&e).await;
    let r = c.post(url("/projects")).bearer_auth(&county).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.unwrap();
    let text = err.to_string();
    assert!(text.contains("超过总投资") && text.contains("无权在“通川区”登记"), "{text}");
    let r = c
        .post(url("/projects"))
        .bearer_auth(&county)
        .body("{")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(audit_rows(&e).await, before, "refusals write nothing");

    // List and get.
    let list: Value = c.get(url("/projects")).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], "示例·锂电隔膜项目");
    assert_eq!(list["items"][0]["color"], "green");
    assert_eq!(list["items"][0]["total_fen"], 50_000i64 * 1_000_000);
    let r = c.get(url("/projects?code=purple")).bearer_auth(&office).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let filtered: Value = c
        .get(url("/projects?stage=signed&chain=lithium"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["total"], 0);
    let one: Value =
        c.get(url(&format!("/projects/{id}"))).bearer_auth(&county).send().await.unwrap().json().await.unwrap();
    assert_eq!(one["project"]["stage"], "planning");
    assert_eq!(one["next"], json!(["signed", "terminated"]));
    let v = one["project"]["version"].as_i64().unwrap();
    assert_eq!(c.get(url("/projects/999999")).bearer_auth(&office).send().await.unwrap().status(), 404);
    assert_eq!(c.get(url("/projects/abc")).bearer_auth(&office).send().await.unwrap().status(), 404);

    // Update with the version read; a stale version is a 409.
    let mut upd = body();
    upd["version"] = json!(v);
    upd["person"] = json!("钱七");
    let r = c.put(url(&format!("/projects/{id}"))).bearer_auth(&county).json(&upd).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["project"]["person"], "钱七");
    let r = c.put(url(&format!("/projects/{id}"))).bearer_auth(&county).json(&upd).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let v = v + 1;

    // Transitions: illegal → 409 naming the allowed stages; evidence as base64.
    let r = c
        .post(url(&format!("/projects/{id}/transition")))
        .bearer_auth(&county)
        .json(&json!({"to": "building", "version": v}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("允许的下一阶段：签约、终止"));
    let r = c
        .post(url(&format!("/projects/{id}/transition")))
        .bearer_auth(&county)
        .json(&json!({"to": "signed", "version": v, "files": [{"item": "contract", "file_name": "a.pdf", "content_base64": "!!"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let pdf = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4\n%%EOF\n");
    let r = c
        .post(url(&format!("/projects/{id}/transition")))
        .bearer_auth(&county)
        .json(&json!({"to": "签约", "version": v, "files": [{"item": "contract", "file_name": "协议.pdf", "content_base64": pdf}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"stage": "signed", "label": "签约"}));

    // Reports.
    let rep = |m: &str| json!({"month": m, "amount_wan": "800", "progress": "完成土地平整"});
    let r = c
        .post(url(&format!("/projects/{id}/reports")))
        .bearer_auth(&county)
        .json(&rep("2026-12"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("不能填报未来月份"));
    let r = c
        .post(url(&format!("/projects/{id}/reports")))
        .bearer_auth(&county)
        .json(&rep("2026-11"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = c
        .post(url(&format!("/projects/{id}/reports")))
        .bearer_auth(&county)
        .json(&rep("2026-11"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = c
        .post(url(&format!("/projects/{id}/reports")))
        .bearer_auth(&viewer)
        .json(&rep("2026-11"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a viewer reads but does not report");
    let reports: Value =
        c.get(url(&format!("/projects/{id}/reports"))).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    assert_eq!(reports["total"], 1);
    assert_eq!(reports["items"][0]["amount_fen"], 800i64 * 1_000_000);

    // Supervision by the office, answered by the county.
    let r = c
        .post(url(&format!("/projects/{id}/supervisions")))
        .bearer_auth(&county)
        .json(&json!({"title": "x", "due_on": "2026-12-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = c
        .post(url(&format!("/projects/{id}/supervisions")))
        .bearer_auth(&office)
        .json(&json!({"title": "加快办理施工许可", "due_on": "2026-11-10"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let sid = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let todo: Value = c.get(url("/projects/todo")).bearer_auth(&county).send().await.unwrap().json().await.unwrap();
    assert!(
        todo["items"].as_array().unwrap().iter().any(|i| i["kind"] == "supervision" && i["item_id"] == sid),
        "{todo}"
    );
    let r = c
        .post(url(&format!("/projects/{id}/supervisions/{sid}")))
        .bearer_auth(&county)
        .json(&json!({"version": 1, "response": "已提交施工许可申请"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    // Milestones.
    let one: Value =
        c.get(url(&format!("/projects/{id}"))).bearer_auth(&county).send().await.unwrap().json().await.unwrap();
    let v = one["project"]["version"].as_i64().unwrap();
    let mid = one["milestones"][1]["id"].as_i64().unwrap();
    let r = c
        .post(url(&format!("/projects/{id}/milestones/{mid}")))
        .bearer_auth(&county)
        .json(&json!({"action": "adjust", "version": v, "due_on": "2027-01-31", "reason": "审批材料补正"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c
        .post(url(&format!("/projects/{id}/milestones/{mid}")))
        .bearer_auth(&county)
        .json(&json!({"action": "fly", "version": v + 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The schedule.
    let s: Value =
        c.get(url("/schedules?period=2026-11")).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    assert_eq!(s["projects"], 1);
    assert_eq!(s["plan_fen"], 8_000i64 * 1_000_000);
    assert_eq!(s["ytd_fen"], 800i64 * 1_000_000);
    assert_eq!(s["rate"], 10.0);
    assert_eq!(s["by_chain"][0]["name"], "锂电");
    let s: Value = c
        .get(url("/schedules?period=2026-11&region=511702"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["projects"], 0);
    assert_eq!(c.get(url("/schedules?period=2026-13")).bearer_auth(&office).send().await.unwrap().status(), 400);
    assert_eq!(c.get(url("/schedules?period=2027-01")).bearer_auth(&office).send().await.unwrap().status(), 400);
    assert_eq!(c.get(url("/schedules")).send().await.unwrap().status(), 401);
}
