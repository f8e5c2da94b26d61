//! The chain-map API and pages: the contract's shapes, edits with their refusals, scope, and
//! the map page with its forms (CSRF).

use crate::{client, enterprise_json, env, token, uscc, web_login};
use serde_json::{Value, json};

async fn make_chain(e: &crate::Env) -> i64 {
    let mut tx = e.app.db.begin().await.unwrap();
    let id = app::store::chain::insert(
        &mut tx,
        &app::store::chain::NewChain {
            code: "gas_chemical".into(),
            name: "天然气化工".into(),
            field_code: "energy_chemical".into(),
            lead_department_code: "jxj".into(),
            provincial_key: true,
            carrying_regions: vec!["511722".into()],
            collaborating_regions: vec!["511703".into()],
        },
        e.app.now(),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

#[tokio::test]
async fn chain_api_contract_and_refusals() {
    let e = env().await;
    let cid = make_chain(&e).await;
    let c = client();
    let office = token(&e, "office1").await;
    let region = token(&e, "region1").await;
    let api = |p: &str| format!("{}/api/v1{p}", e.base);

    let list: Value = c.get(api("/chains")).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], cid);
    assert_eq!(list["items"][0]["name"], "天然气化工");
    assert_eq!(list["items"][0]["field"], "能源化工");

    let post = |path: String, body: Value, tok: String| {
        let c = c.clone();
        async move { c.post(path).bearer_auth(tok).json(&body).send().await.unwrap() }
    };
    let r = post(
        api(&format!("/chains/{cid}/segments")),
        json!({"code": "gas", "name": "天然气", "stage": "upstream", "industry_codes": "0721"}),
        office.clone(),
    )
    .await;
    assert_eq!(r.status(), 201);
    let up: i64 = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = post(
        api("/chains/gas_chemical/segments"),
        json!({"code": "meoh", "name": "甲醇", "stage": "midstream"}),
        office.clone(),
    )
    .await;
    assert_eq!(r.status(), 201, "the chain by its code");
    let mid: i64 = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = post(
        api(&format!("/chains/{cid}/segments")),
        json!({"code": "urea", "name": "尿素", "stage": "downstream"}),
        office.clone(),
    )
    .await;
    let down: i64 = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    // Refusals: a parent in another stage, an unknown stage, a region user, malformed JSON,
    // an edge to a missing segment, an unknown chain.
    let r = post(
        api(&format!("/chains/{cid}/segments")),
        json!({"code": "x", "name": "某", "stage": "downstream", "parent_id": mid}),
        office.clone(),
    )
    .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("阶段不同"), "{body}");
    let r = post(
        api(&format!("/chains/{cid}/segments")),
        json!({"code": "x", "name": "某", "stage": "sideways"}),
        office.clone(),
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = post(
        api(&format!("/chains/{cid}/segments")),
        json!({"code": "x", "name": "某", "stage": "upstream"}),
        region.clone(),
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = c
        .post(api(&format!("/chains/{cid}/segments")))
        .bearer_auth(&office)
        .header("content-type", "application/json")
        .body("{\"code\":")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = post(api(&format!("/chains/{cid}/edges")), json!({"from": up, "to": 99_999}), office.clone()).await;
    assert_eq!(r.status(), 400);
    let r = c.get(api("/chains/no_such_chain/map")).bearer_auth(&office).send().await.unwrap();
    assert_eq!(r.status(), 404);

    for (a, b) in [(up, mid), (mid, down)] {
        let r =
            post(api(&format!("/chains/{cid}/edges")), json!({"from": a, "to": b, "product": "原料"}), office.clone())
                .await;
        assert_eq!(r.status(), 201);
    }
    // Two enterprises: one in the region user's county, one not.
    let mut ids = Vec::new();
    for (n, region_code) in [(1, "511722"), (2, "511702")] {
        let mut body = enterprise_json(&uscc(n), region_code);
        body["name"] = json!(format!("测试化工{n}有限公司"));
        let r = c.post(api("/enterprises")).bearer_auth(&office).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 201);
        ids.push(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let r = post(
        api(&format!("/chains/{cid}/placements")),
        json!({"segment_id": mid, "enterprise_id": ids[0], "role": "leader"}),
        office.clone(),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = post(
        api(&format!("/chains/{cid}/placements")),
        json!({"segment_id": mid, "enterprise_id": ids[1], "role": "member"}),
        office.clone(),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = post(
        api(&format!("/chains/{cid}/placements")),
        json!({"segment_id": mid, "enterprise_id": ids[1], "role": "member"}),
        office.clone(),
    )
    .await;
    assert_eq!(r.status(), 409, "placed twice");

    let map: Value =
        c.get(api(&format!("/chains/{cid}/map"))).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    let segs = map["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 3);
    assert!(segs.iter().all(|s| s.get("id").is_some()
        && s.get("name").is_some()
        && s.get("stage").is_some()
        && s.get("parent_id").is_some()));
    assert_eq!(map["edges"].as_array().unwrap().len(), 2);
    assert_eq!(map["edges"][0]["from"], up);
    assert_eq!(map["edges"][0]["to"], mid);
    let pl = map["placements"].as_array().unwrap();
    assert_eq!(pl.len(), 2);
    assert!(pl.iter().any(|p| p["enterprise_id"] == ids[0] && p["segment_id"] == mid && p["role"] == "leader"));
    // The county sees its own enterprise only.
    let map_r: Value =
        c.get(api(&format!("/chains/{cid}/map"))).bearer_auth(&region).send().await.unwrap().json().await.unwrap();
    let seen: Vec<i64> =
        map_r["placements"].as_array().unwrap().iter().map(|p| p["enterprise_id"].as_i64().unwrap()).collect();
    assert_eq!(seen, vec![ids[0]]);

    let an: Value =
        c.get(api(&format!("/chains/{cid}/analysis"))).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    let mid_fig = an["segments"].as_array().unwrap().iter().find(|s| s["id"] == mid).unwrap().clone();
    assert_eq!(mid_fig["local_enterprises"], 2);
    assert!(mid_fig["coverage"].as_f64().unwrap() > 0.6 && mid_fig["coverage"].as_f64().unwrap() < 0.7, "{mid_fig}");
    assert_eq!(mid_fig["strength"], "weak");
    let up_fig = an["segments"].as_array().unwrap().iter().find(|s| s["id"] == up).unwrap().clone();
    assert_eq!(up_fig["strength"], "missing");
    assert!(an.get("local_supporting_rate").is_some());
    assert!(an["single_points_of_failure"].is_array());

    let w = c
        .post(api(&format!("/chains/{cid}/what-if")))
        .bearer_auth(&office)
        .json(&json!({"remove_enterprise": ids[0]}))
        .send()
        .await
        .unwrap();
    assert_eq!(w.status(), 200);
    let w: Value = w.json().await.unwrap();
    let after = w["after"]["segments"].as_array().unwrap().iter().find(|s| s["id"] == mid).unwrap().clone();
    assert_eq!(after["local_enterprises"], 1);
    let w = c
        .post(api(&format!("/chains/{cid}/what-if")))
        .bearer_auth(&office)
        .json(&json!({"explode": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(w.status(), 400);

    // Lists on the chain.
    let r = post(
        api(&format!("/chains/{cid}/lists")),
        json!({"kind": "demand", "title": "寻求尿素配套", "due_on": "2026/12/31", "segment_id": down}),
        office.clone(),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = post(
        api(&format!("/chains/{cid}/lists")),
        json!({"kind": "demand", "title": "日期错", "due_on": "2026-13-01"}),
        office.clone(),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("完成时限"));
    let r =
        post(api(&format!("/chains/{cid}/lists")), json!({"kind": "demand", "title": "越权"}), region.clone()).await;
    assert_eq!(r.status(), 403);
    let l: Value = c
        .get(api(&format!("/chains/{cid}/lists?kind=demand")))
        .bearer_auth(&region)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(l["total"], 1);
    assert_eq!(l["items"][0]["due_on"], "2026-12-31");
    assert_eq!(l["items"][0]["segment_name"], "尿素");
    let r = c.get(api(&format!("/chains/{cid}/lists?kind=nonsense"))).bearer_auth(&region).send().await.unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn chain_page_renders_and_edits_with_csrf() {
    let e = env().await;
    let cid = make_chain(&e).await;
    let c = client();
    let csrf = web_login(&c, &e.base, "office1").await;
    let page = c.get(format!("{}/chains", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("天然气化工"), "list page");
    let r = c
        .post(format!("{}/chains/{cid}/segments", e.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("code", "gas"),
            ("name", "天然气开采"),
            ("stage", "upstream"),
            ("industry_codes", "0721"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = c.get(format!("{}/chains/{cid}", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("天然气开采") && page.contains("id=\"chain-map\""), "map page");
    assert!(page.contains("缺·建新链"), "a segment without enterprises is missing");
    // An invalid form shows the message on the page and writes nothing.
    let r = c
        .post(format!("{}/chains/{cid}/segments", e.base))
        .form(&[("csrf", csrf.as_str()), ("code", "gas"), ("name", "重复"), ("stage", "upstream")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("已在本产业链中使用"));
    // Without the CSRF token nothing happens.
    let r = c
        .post(format!("{}/chains/{cid}/segments", e.base))
        .form(&[("code", "x2"), ("name", "无令牌"), ("stage", "upstream")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A list item through the page's form, shown on the page and in the lists' workbook.
    let r = c
        .post(format!("{}/chains/{cid}/list-add", e.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "key_product"),
            ("title", "高纯甲醇"),
            ("due_on", "2026-09-30"),
            ("status", "planned"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = c.get(format!("{}/chains/{cid}", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("高纯甲醇") && page.contains("重点产品"), "list item on the page");
    let x = c.get(format!("{}/chains/{cid}/lists.xlsx", e.base)).send().await.unwrap();
    assert_eq!(x.status(), 200);
    let t = office::read_table(&x.bytes().await.unwrap(), "lists.xlsx", &office::Limits::default()).expect("xlsx");
    assert_eq!(t.rows.len(), 1);
    assert!(t.rows[0].cells.iter().any(|c| c == "高纯甲醇"));
    let json = c.get(format!("{}/chains/{cid}/map.json", e.base)).send().await.unwrap();
    assert_eq!(json.status(), 200);
    assert!(json.headers()["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''"));
    let v: Value = json.json().await.unwrap();
    assert_eq!(v["format"], "qianglian-chain-map/1");
    assert_eq!(v["map"]["segments"].as_array().unwrap().len(), 1);
    // The xlsx export: a real workbook with the header and the segment.
    let x = c.get(format!("{}/chains/{cid}/map.xlsx", e.base)).send().await.unwrap();
    assert_eq!(x.status(), 200);
    let bytes = x.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
    let table = office::read_table(&bytes, "map.xlsx", &office::Limits::default()).expect("readable xlsx");
    assert_eq!(table.headers[2], "环节");
    assert_eq!(table.rows.len(), 1);
    assert!(table.rows[0].cells.iter().any(|c| c == "天然气开采"), "{:?}", table.rows[0].cells);
    assert!(table.rows[0].cells.iter().any(|c| c.contains("缺")), "{:?}", table.rows[0].cells);
}

/// The map's workbook with a row appended to one sheet ((header, value) pairs).
fn with_row(bytes: &[u8], sheet: &str, values: &[(&str, &str)]) -> Vec<u8> {
    let mut book: Vec<office::SheetOut> = office::read_workbook(bytes, "map.xlsx", &office::Limits::default())
        .unwrap()
        .into_iter()
        .map(|s| office::SheetOut {
            name: s.name,
            headers: s.table.headers,
            rows: s.table.rows.into_iter().map(|r| r.cells.into_iter().map(office::CellOut::Text).collect()).collect(),
        })
        .collect();
    let s = book.iter_mut().find(|s| s.name == sheet).unwrap();
    let mut row = vec![office::CellOut::Text(String::new()); s.headers.len()];
    for (h, v) in values {
        row[s.headers.iter().position(|x| x == h).unwrap()] = office::CellOut::Text((*v).into());
    }
    s.rows.push(row);
    office::write_xlsx_sheets(book).unwrap()
}

/// A chain with two segments and an edge, made through the API; returns the map workbook.
async fn chain_with_map(e: &crate::Env, c: &reqwest::Client, office: &str) -> (i64, Vec<u8>) {
    let cid = make_chain(e).await;
    let api = |p: &str| format!("{}/api/v1{p}", e.base);
    let mut ids = Vec::new();
    for (code, name, stage) in [("gas", "天然气", "upstream"), ("meoh", "甲醇", "midstream")] {
        let r = c
            .post(api(&format!("/chains/{cid}/segments")))
            .bearer_auth(office)
            .json(&json!({"code": code, "name": name, "stage": stage}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        ids.push(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let r = c
        .post(api(&format!("/chains/{cid}/edges")))
        .bearer_auth(office)
        .json(&json!({"from": ids[0], "to": ids[1], "product": "天然气"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (map, analysis) = e.app.chain_view(&app::account::Principal::console(), &cid.to_string()).await.unwrap();
    (cid, app::chainmap_import::map_xlsx(&map, &analysis).unwrap())
}

#[tokio::test]
async fn map_import_api_previews_applies_and_reports_problems() {
    let e = env().await;
    let c = client();
    let office = token(&e, "office1").await;
    let region = token(&e, "region1").await;
    let (cid, bytes) = chain_with_map(&e, &c, &office).await;
    let url = |q: &str| format!("{}/api/v1/chains/{cid}/map-import{q}", e.base);
    let send = |q: String, body: Vec<u8>, tok: String| {
        let c = c.clone();
        async move { c.post(q).bearer_auth(tok).body(body).send().await.unwrap() }
    };

    // Unchanged: 200, nothing to do.
    let r = send(url("?apply=true"), bytes.clone(), office.clone()).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["applied"].as_bool(), v["segments"]["unchanged"].as_i64()), (Some(false), Some(2)), "{v}");
    assert_eq!(v["edges"]["unchanged"], 1);
    assert_eq!(v["change_total"], 0);
    assert_eq!(v["digest"].as_str().unwrap().len(), 64);

    // A new segment: previewed (the default), then applied.
    let added =
        with_row(&bytes, "环节", &[("阶段", "下游"), ("环节编码", "urea"), ("环节", "尿素"), ("行业代码", "2621")]);
    let r = send(url(""), added.clone(), office.clone()).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!((v["applied"].as_bool(), v["segments"]["added"].as_i64()), (Some(false), Some(1)), "{v}");
    assert_eq!(v["changes"][0]["action"], "新增");
    let map = |tok: String| {
        let c = c.clone();
        let u = format!("{}/api/v1/chains/{cid}/map", e.base);
        async move { c.get(u).bearer_auth(tok).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(map(office.clone()).await["segments"].as_array().unwrap().len(), 2, "a preview writes nothing");
    let r = send(url("?apply=true"), added, office.clone()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["applied"], true);
    assert_eq!(map(office.clone()).await["segments"].as_array().unwrap().len(), 3);

    // Problems: 422 with sheet, row and column; nothing written.
    let bad = with_row(&bytes, "环节关系", &[("供给环节编码", "gas"), ("需求环节编码", "nowhere")]);
    let r = send(url("?apply=true"), bad, office.clone()).await;
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["applied"], false);
    let problem = v["errors"].as_array().unwrap().iter().find(|p| p["sheet"] == "环节关系").unwrap().clone();
    assert_eq!((problem["line"].as_i64(), problem["column"].as_str()), (Some(3), Some("需求环节编码")), "{v}");
    assert!(problem["message"].as_str().unwrap().contains("nowhere"));
    assert_eq!(map(office.clone()).await["segments"].as_array().unwrap().len(), 3);

    // Not a workbook: 400; a region user: 403; a bad flag: 400; an unknown chain: 404.
    let r = send(url("?apply=true"), b"a,b\n1,2\n".to_vec(), office.clone()).await;
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("xlsx"));
    assert_eq!(send(url("?apply=false"), bytes.clone(), region.clone()).await.status(), 403);
    assert_eq!(send(url("?apply=maybe"), bytes.clone(), office.clone()).await.status(), 400);
    let r = send(format!("{}/api/v1/chains/no_such/map-import", e.base), bytes.clone(), office.clone()).await;
    assert_eq!(r.status(), 404);

    // The map's history, newest first, readable by the region user too.
    let h: Value = c
        .get(format!("{}/api/v1/chains/{cid}/map-history", e.base))
        .bearer_auth(&region)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["items"][0]["label"], "导入图谱", "{h}");
    assert_eq!(h["items"][1]["action"], "segment.create", "{h}");
    assert_eq!(h["total"], 5, "two segments and an edge through the API, the imported segment, the import: {h}");
}

#[tokio::test]
async fn map_import_page_previews_confirms_and_segments_move() {
    let e = env().await;
    let c = client();
    let office = token(&e, "office1").await;
    let (cid, bytes) = chain_with_map(&e, &c, &office).await;
    let csrf = web_login(&c, &e.base, "office1").await;
    let added =
        with_row(&bytes, "环节", &[("阶段", "中游"), ("环节编码", "hcho"), ("环节", "甲醛"), ("上级环节编码", "meoh")]);
    let form = |csrf: Option<&str>, mode: &str, digest: &str, file: Vec<u8>| {
        let mut f = reqwest::multipart::Form::new().text("mode", mode.to_string()).text("digest", digest.to_string());
        if let Some(t) = csrf {
            f = f.text("csrf", t.to_string());
        }
        f.part("file", reqwest::multipart::Part::bytes(file).file_name("map.xlsx"))
    };
    let post = |f: reqwest::multipart::Form| {
        let c = c.clone();
        let u = format!("{}/chains/{cid}/map-import", e.base);
        async move { c.post(u).multipart(f).send().await.unwrap() }
    };
    let segments =
        || async { e.app.chain_map(&app::account::Principal::console(), &cid.to_string()).await.unwrap().segments };

    // The chain page offers the upload to an editor.
    let page = c.get(format!("{}/chains/{cid}", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("map-import") && page.contains("enctype=\"multipart/form-data\""));
    assert!(page.contains("图谱修改记录") && page.contains("move-segment"));

    // Without the CSRF token: refused.
    assert_eq!(post(form(None, "preview", "", added.clone())).await.status(), 403);
    // Preview: the changes, a confirmation carrying the file's digest, nothing written.
    let r = post(form(Some(&csrf), "preview", "", added.clone())).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("校验通过，尚未写入") && html.contains("甲醛") && html.contains("确认导入"), "{html}");
    let digest = app::chainmap_import::file_digest(&added);
    assert!(html.contains(&format!("name=\"digest\" value=\"{digest}\"")));
    assert_eq!(segments().await.len(), 2);
    // Confirming with another file than the previewed one: refused.
    let r = post(form(Some(&csrf), "commit", &digest, bytes.clone())).await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("与预览时的文件不同"));
    assert_eq!(segments().await.len(), 2);
    // Confirm: written, back to the map with a notice.
    let r = post(form(Some(&csrf), "commit", &digest, added.clone())).await;
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap().starts_with(&format!("/chains/{cid}?msg=")));
    let segs = segments().await;
    let meoh = segs.iter().find(|s| s.code == "meoh").unwrap().clone();
    assert_eq!(segs.iter().find(|s| s.code == "hcho").unwrap().parent_id, Some(meoh.id));
    // A file with problems: a table of them in Chinese, nothing written.
    let bad = with_row(&bytes, "企业布局", &[("环节编码", "gas"), ("统一社会信用代码", "123"), ("角色", "老板")]);
    let r = post(form(Some(&csrf), "commit", "", bad)).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("校验未通过") && html.contains("企业布局") && html.contains("角色须为链主或链属"), "{html}");
    assert_eq!(segments().await.len(), 3);

    // Move a segment: the child to the top level of the downstream stage, with its version.
    let hcho = segments().await.into_iter().find(|s| s.code == "hcho").unwrap();
    let move_to = |csrf: Option<&str>, version: i64| {
        let mut f = vec![
            ("segment_id", hcho.id.to_string()),
            ("version", version.to_string()),
            ("stage", "downstream".to_string()),
            ("parent_id", String::new()),
            ("sort", "7".to_string()),
        ];
        if let Some(t) = csrf {
            f.push(("csrf", t.to_string()));
        }
        let c = c.clone();
        let u = format!("{}/chains/{cid}/move-segment", e.base);
        async move { c.post(u).form(&f).send().await.unwrap() }
    };
    assert_eq!(move_to(None, hcho.version).await.status(), 403);
    assert_eq!(move_to(Some(&csrf), hcho.version).await.status(), 303);
    let moved = segments().await.into_iter().find(|s| s.code == "hcho").unwrap();
    assert_eq!((moved.stage.as_str(), moved.parent_id, moved.sort), ("downstream", None, 7));
    let r = move_to(Some(&csrf), hcho.version).await;
    assert_eq!(r.status(), 409, "a stale version");
    assert!(r.text().await.unwrap().contains("已被他人修改"));
    // Under a parent of another stage: refused with the reason.
    let r = c
        .post(format!("{}/chains/{cid}/move-segment", e.base))
        .form(&[
            ("csrf", csrf.as_str()),
            ("segment_id", &moved.id.to_string()),
            ("version", &moved.version.to_string()),
            ("stage", "downstream"),
            ("parent_id", &meoh.id.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("阶段不同"));

    // The history page: every edit, newest first.
    let html = c.get(format!("{}/chains/{cid}/history", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("图谱修改记录") && html.contains("导入图谱") && html.contains("上级：甲醇 → （无）"),
        "{html}"
    );
    assert!(html.find("修改环节").unwrap() < html.find("导入图谱").unwrap(), "newest first");
}
