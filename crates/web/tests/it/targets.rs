//! Investment targets over HTTP: the contract of `GET /chains/{id}/targets`, pushes and
//! follow-up with their refusals and scopes, the mapping review, and the pages with their
//! forms (CSRF) and export.

use crate::{client, env, token, web_login};
use app::account::Principal;
use app::chainmap::SegmentInput;
use serde_json::{Value, json};

/// A chain whose 甲醇 segment is missing and 醋酸 weak, and a product graph in which two
/// outside companies make 甲醇.
pub(crate) async fn setup(e: &crate::Env) -> (i64, i64) {
    let app = &e.app;
    let mut tx = app.db.begin().await.unwrap();
    let cid = app::store::chain::insert(
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
    let office = Principal::console();
    let key = cid.to_string();
    let seg = |code: &str, name: &str, stage: &str, keys: &str| SegmentInput {
        code: code.into(),
        name: name.into(),
        stage: stage.into(),
        key_products: keys.into(),
        ..Default::default()
    };
    let gas = app.add_segment(&office, &key, &seg("gas", "天然气开采", "upstream", "天然气")).await.unwrap();
    let meoh = app.add_segment(&office, &key, &seg("meoh", "甲醇", "midstream", "")).await.unwrap();
    let acid = app.add_segment(&office, &key, &seg("acid", "醋酸", "downstream", "")).await.unwrap();
    app.add_segment_edge(&office, &key, gas, meoh, "天然气").await.unwrap();
    app.add_segment_edge(&office, &key, meoh, acid, "甲醇").await.unwrap();
    for (i, s) in [gas, acid].into_iter().enumerate() {
        let u = domain::uscc::Uscc::complete(&format!("91511722MA{:06}1", 700 + i)).unwrap();
        let mut input = app::enterprise::EnterpriseInput {
            uscc: u.as_str().into(),
            name: format!("示例化工{i}有限公司"),
            region_code: "511722".into(),
            industry_code: "2614".into(),
            ..Default::default()
        };
        input.revenue_wan = "1000".into();
        let id = app.create_enterprise(&office, &input).await.unwrap();
        app.place_enterprise(&office, &key, s, id, "member").await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let w = |n: &str, t: &str| std::fs::write(dir.path().join(n), t).unwrap();
    w("products.jsonl", "{\"name\":\"天然气\"}\n{\"name\":\"甲醇\"}\n{\"name\":\"醋酸\"}\n{\"name\":\"甲醇\"}\n");
    w("product_relations.jsonl", "{\"from\":\"甲醇\",\"to\":\"甲醇\",\"rel\":\"产品小类\"}\n");
    w(
        "companies.jsonl",
        "{\"name\":\"示例外地甲醇股份\",\"code\":\"600001\"}\n{\"name\":\"示例外地化工股份\",\"code\":\"000002\"}\n",
    );
    w(
        "company_products.jsonl",
        "{\"company\":\"600001\",\"product\":\"甲醇\",\"weight\":1}\n{\"company\":\"000002\",\"product\":\"甲醇\",\"weight\":0.2}\n{\"company\":\"000002\",\"product\":\"醋酸\",\"weight\":0.8}\n",
    );
    app.import_product_graph(&office, dir.path()).await.unwrap();
    (cid, meoh)
}

#[tokio::test]
async fn targets_api_contract_push_and_follow_up() {
    let e = env().await;
    let (cid, meoh) = setup(&e).await;
    let c = client();
    let office = token(&e, "office1").await;
    let region = token(&e, "region1").await;
    let api = |p: &str| format!("{}/api/v1{p}", e.base);

    // The contract: items with company, segment_id, score, evidence.
    let r = c.get(api(&format!("/chains/{cid}/targets"))).bearer_auth(&region).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let items = v["items"].as_array().unwrap();
    let first = items.iter().find(|t| t["segment_id"] == meoh).expect("a target for 甲醇");
    assert_eq!(first["company"], "示例外地甲醇股份", "{v}");
    assert_eq!(first["company_code"], "600001");
    assert_eq!(first["rank"], 1);
    assert!(first["score"].as_f64().unwrap() > 0.0);
    assert!(!first["evidence"].as_array().unwrap().is_empty());
    assert_eq!(first["strength"], "missing");
    let r = c.get(api("/chains/nope/targets")).bearer_auth(&region).send().await.unwrap();
    assert_eq!(r.status(), 404);

    // The last import and its report.
    let v: Value = c.get(api("/product-graph")).bearer_auth(&region).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["last_import"]["dropped"], 2, "{v}");

    // Push: the county may not; bad JSON and an unknown company are refused; then once.
    let body = json!({"segment_id": meoh, "company_code": "600001", "regions": ["511722", "511703"]});
    let r = c.post(api(&format!("/chains/{cid}/targets/push"))).bearer_auth(&region).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = c
        .post(api(&format!("/chains/{cid}/targets/push")))
        .bearer_auth(&office)
        .header("content-type", "application/json")
        .body("{\"segment_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .post(api(&format!("/chains/{cid}/targets/push")))
        .bearer_auth(&office)
        .json(&json!({"segment_id": meoh, "company_code": "999999", "regions": ["511722"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c.post(api(&format!("/chains/{cid}/targets/push"))).bearer_auth(&office).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let ids: Value = r.json().await.unwrap();
    assert_eq!(ids["ids"].as_array().unwrap().len(), 2);
    assert!(ids["already"].as_array().unwrap().is_empty());
    let r = c.post(api(&format!("/chains/{cid}/targets/push"))).bearer_auth(&office).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 409);

    // The county sees its own push only, and follows it up.
    let v: Value = c.get(api("/targets")).bearer_auth(&region).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["total"], 1, "{v}");
    let push = &v["items"][0];
    assert_eq!(push["region_code"], "511722");
    assert_eq!(push["log"].as_array().unwrap().len(), 1);
    let pid = push["id"].as_i64().unwrap();
    let url = api(&format!("/targets/{pid}/follow-up"));
    let r = c.post(&url).bearer_auth(&region).json(&json!({"status": "signed?", "version": 1})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .post(&url)
        .bearer_auth(&region)
        .json(&json!({"status": "contacted", "note": "已联系", "version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r =
        c.post(&url).bearer_auth(&region).json(&json!({"status": "negotiating", "version": 1})).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let other = ids["ids"].as_array().unwrap().iter().map(|i| i.as_i64().unwrap()).find(|i| *i != pid).unwrap();
    let r = c
        .post(api(&format!("/targets/{other}/follow-up")))
        .bearer_auth(&region)
        .json(&json!({"status": "contacted", "note": "x", "version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "a push to another county is not the county's");
    let v: Value =
        c.get(api("/targets?status=contacted")).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["log"].as_array().unwrap().len(), 2);
    let r = c.get(api("/targets?status=bogus")).bearer_auth(&office).send().await.unwrap();
    assert_eq!(r.status(), 400);

    // Mapping review: a stale version is refused.
    let v: Value = c
        .get(api(&format!("/chains/{cid}/product-mappings")))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let m = v["items"].as_array().unwrap().iter().find(|m| m["product"] == "醋酸").expect("醋酸 mapped").clone();
    let url = api(&format!("/chains/{cid}/product-mappings/{}", m["id"]));
    let r = c
        .put(&url)
        .bearer_auth(&region)
        .json(&json!({"status": "rejected", "version": m["version"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = c
        .put(&url)
        .bearer_auth(&office)
        .json(&json!({"status": "rejected", "version": m["version"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c
        .put(&url)
        .bearer_auth(&office)
        .json(&json!({"status": "accepted", "version": m["version"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = c
        .post(api(&format!("/chains/{cid}/product-mappings")))
        .bearer_auth(&office)
        .json(&json!({"segment_id": meoh, "product": "不存在的产品"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn targets_pages_push_follow_up_and_export() {
    let e = env().await;
    let (cid, meoh) = setup(&e).await;
    let c = client();
    let csrf = web_login(&c, &e.base, "office1").await;
    let page = c.get(format!("{}/chains/{cid}/targets", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("示例外地甲醇股份") && page.contains("推荐得分"), "targets page");
    assert!(page.contains("name=\"regions\" value=\"511722\" checked"), "the chain's region is ticked");
    let url = format!("{}/chains/{cid}/targets/push", e.base);
    let meoh_s = meoh.to_string();
    let r = c
        .post(&url)
        .form(&[("segment_id", meoh_s.as_str()), ("company_code", "600001"), ("regions", "511722")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF token");
    let r = c
        .post(&url)
        .form(&[("csrf", csrf.as_str()), ("segment_id", meoh_s.as_str()), ("company_code", "600001")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "no region ticked");
    assert!(r.text().await.unwrap().contains("请选择至少一个推送地区"));
    let r = c
        .post(&url)
        .form(&[
            ("csrf", csrf.as_str()),
            ("segment_id", meoh_s.as_str()),
            ("company_code", "600001"),
            ("regions", "511722"),
            ("regions", "511781"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let list = c.get(format!("{}/targets?chain={cid}", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("示例外地甲醇股份") && list.contains("推送至万源市"), "follow-up list with its log");
    assert_eq!(list.matches("id=\"push-").count(), 2, "one row per push");
    let pushes = e.app.target_pushes(&Principal::console(), &Default::default()).await.unwrap();
    assert_eq!(pushes.len(), 2);
    let p = pushes.iter().find(|p| p.region_code == "511722").unwrap();
    let r = c
        .post(format!("{}/targets/{}/follow-up", e.base, p.id))
        .form(&[("csrf", csrf.as_str()), ("version", "1"), ("status", "dropped"), ("note", ""), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("放弃须写明原因"));
    let r = c
        .post(format!("{}/targets/{}/follow-up", e.base, p.id))
        .form(&[
            ("csrf", csrf.as_str()),
            ("version", "1"),
            ("status", "negotiating"),
            ("note", "首轮洽谈"),
            ("reason", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let list = c.get(format!("{}/targets?status=negotiating", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("首轮洽谈"), "the log on the page");
    assert_eq!(list.matches("id=\"push-").count(), 1, "filtered by status");
    let p = e.app.target_pushes(&Principal::console(), &Default::default()).await.unwrap();
    assert_eq!(p.iter().find(|x| x.region_code == "511722").unwrap().status, "negotiating");
    let x = c.get(format!("{}/targets.xlsx?chain={cid}", e.base)).send().await.unwrap();
    assert_eq!(x.status(), 200);
    let t = office::read_table(&x.bytes().await.unwrap(), "t.xlsx", &office::Limits::default()).expect("xlsx");
    assert_eq!(t.rows.len(), 2);
    assert!(t.rows.iter().any(|r| r.cells.iter().any(|c| c == "洽谈中")));
    // The mapping review page and a decision through its form.
    let page = c.get(format!("{}/chains/{cid}/products", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("清洗报告") && page.contains("重复产品"), "import report on the page");
    let m = e.app.product_mappings(&Principal::console(), &cid.to_string()).await.unwrap();
    let meoh_map = m.iter().find(|m| m.segment_id == meoh && m.product == "甲醇").unwrap();
    let r = c
        .post(format!("{}/chains/{cid}/products/review", e.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("mapping_id", meoh_map.id.to_string().as_str()),
            ("version", meoh_map.version.to_string().as_str()),
            ("status", "accepted"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page =
        c.get(format!("{}/chains/{cid}/products?status=accepted", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<span class=\"tag strong\">已确认</span>"), "the accepted mapping listed");
    let m = e.app.product_mappings(&Principal::console(), &cid.to_string()).await.unwrap();
    assert_eq!(m.iter().find(|m| m.id == meoh_map.id).unwrap().status, "accepted");
    // The product picker finds names of the graph.
    let page = c.get(format!("{}/chains/{cid}/products?find=醋", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("data-value=\"醋酸\""), "picker");
    let x = c.get(format!("{}/chains/{cid}/targets.xlsx", e.base)).send().await.unwrap();
    assert_eq!(x.status(), 200);
    let t = office::read_table(&x.bytes().await.unwrap(), "t.xlsx", &office::Limits::default()).expect("xlsx");
    assert!(t.rows.iter().any(|r| r.cells.iter().any(|c| c == "示例外地甲醇股份")), "ranked export");
    // The county sees the follow-up list of its county but may not push.
    let c2 = client();
    let csrf2 = web_login(&c2, &e.base, "region1").await;
    let list = c2.get(format!("{}/targets", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("首轮洽谈"), "its own push");
    assert_eq!(list.matches("id=\"push-").count(), 1, "only its own pushes");
    let r = c2
        .post(&url)
        .form(&[
            ("csrf", csrf2.as_str()),
            ("segment_id", meoh_s.as_str()),
            ("company_code", "000002"),
            ("regions", "511722"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in files {
        w.start_file(*name, opts).unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[tokio::test]
async fn the_office_uploads_a_product_graph_as_a_zip() {
    let e = env().await;
    setup(&e).await;
    let c = client();
    let csrf = web_login(&c, &e.base, "office1").await;
    let url = format!("{}/product-graph", e.base);
    let post = |c: &reqwest::Client, csrf: Option<&str>, bytes: Vec<u8>| {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("graph.zip").mime_str("application/zip").unwrap(),
        );
        if let Some(t) = csrf {
            form = form.text("csrf", t.to_string());
        }
        c.post(&url).multipart(form).send()
    };
    let good = zip_of(&[
        ("graph/products.jsonl", "{\"name\":\"甲醇\"}\n{\"name\":\"醋酸\"}\n{\"name\":\"醋酸\"}\n"),
        ("graph/product_relations.jsonl", "{\"from\":\"甲醇\",\"to\":\"醋酸\",\"rel\":\"下游产品\"}\n"),
        ("graph/companies.jsonl", "{\"name\":\"示例新上传股份\",\"code\":\"600777\"}\n"),
        ("graph/company_products.jsonl", "{\"company\":\"600777\",\"product\":\"甲醇\",\"weight\":1}\n"),
    ]);
    let before = e.app.product_graph_import(&Principal::console()).await.unwrap().unwrap().id;
    assert_eq!(post(&c, None, good.clone()).await.unwrap().status(), 403, "no CSRF token");
    let r = post(&c, Some(&csrf), b"not a zip at all".to_vec()).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("不是有效的 zip"));
    let bad = zip_of(&[
        ("products.jsonl", "{\"name\":\"甲醇\"}\n"),
        ("product_relations.jsonl", ""),
        ("companies.jsonl", "{\"name\":\"x\",\"code\":\"600777\"}\n{oops\n"),
        ("company_products.jsonl", ""),
    ]);
    let r = post(&c, Some(&csrf), bad).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("companies.jsonl 第 2 行不是合法的 JSON"));
    let missing = zip_of(&[("products.jsonl", "{\"name\":\"甲醇\"}\n")]);
    let r = post(&c, Some(&csrf), missing).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("缺少 product_relations.jsonl"));
    assert_eq!(
        e.app.product_graph_import(&Principal::console()).await.unwrap().unwrap().id,
        before,
        "nothing imported"
    );
    let r = post(&c, Some(&csrf), good.clone()).await.unwrap();
    assert_eq!(r.status(), 303);
    let page = c.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("产品 2 个") && page.contains("重复产品"), "the new graph and its report");
    // A county may read the report but not upload.
    let c2 = client();
    let csrf2 = web_login(&c2, &e.base, "region1").await;
    let page = c2.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("产品 2 个") && !page.contains("上传并导入"));
    assert_eq!(post(&c2, Some(&csrf2), good).await.unwrap().status(), 403);
}
