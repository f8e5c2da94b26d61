//! `POST /api/v1/evaluations/compute`: the contract, the same numbers as the library, clear
//! refusals.

use crate::{client, env, token};
use serde_json::{Value, json};

#[tokio::test]
async fn compute_contract_and_refusals() {
    let e = env().await;
    let c = client();
    let t = token(&e, "viewer1").await;
    let url = format!("{}/api/v1/evaluations/compute", e.base);
    let body = json!({
        "criteria": ["产值", "能耗"],
        "types": ["b", "c"],
        "rows": [{"id": "甲", "values": [17, 3]}, {"id": "乙", "values": [10, 2]}, {"id": "丙", "values": [8, 9]}],
        "weighting": "ahp",
        "pairwise": [[[1, 3], [0.3333333333333333, 1]]],
    });
    let r = c.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 401, "a token is needed");
    let r = c.post(&url).bearer_auth(&t).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let w: Vec<f64> = v["weights"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert!((w[0] - 0.75).abs() < 1e-9, "{v}");
    assert_eq!(v["ahp"]["cr"], 0.0);
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[2]["id"], "丙");
    assert_eq!(results[2]["rank"], 3.0, "{v}");
    // The same numbers as the library computes.
    let x = app::domain::eval::Matrix::from_rows(&[vec![17.0, 3.0], vec![10.0, 2.0], vec![8.0, 9.0]]).unwrap();
    let kinds = [app::domain::eval::Kind::Benefit, app::domain::eval::Kind::Cost];
    let want = app::domain::eval::topsis(&x, &kinds, &w, Default::default()).unwrap();
    for (r, s) in results.iter().zip(want) {
        assert_eq!(r["score"].as_f64().unwrap(), s);
    }
    // Refusals: 400 with a message, never a 500.
    for (patch, needle) in [
        (json!({"weighting": "given", "weights": [1]}), "权重有 1 个"),
        (json!({"weighting": "given"}), "weights"),
        (json!({"weighting": "magic"}), "赋权方法"),
        (json!({"types": ["b", "x"]}), "指标类型"),
        (json!({"rows": [{"id": "甲", "values": [1, 2]}]}), "至少需要 2 个评价对象"),
        (json!({"pairwise": [[[1, 9], [1, 1]]]}), "不互反"),
        (
            json!({"weighting": "entropy", "rows": [{"id": "甲", "values": [-1, 2]}, {"id": "乙", "values": [1, 2]}]}),
            "负值",
        ),
        (json!({"method": "vote"}), "topsis"),
    ] {
        let mut b = body.clone();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        let r = c.post(&url).bearer_auth(&t).json(&b).send().await.unwrap();
        assert_eq!(r.status(), 400, "{patch}");
        let text = r.text().await.unwrap();
        assert!(text.contains(needle), "{patch}: {text}");
    }
    // An inconsistent AHP matrix needs a recorded reason.
    let bad = json!([[1, 9, 0.1111111111111111], [0.1111111111111111, 1, 9], [9, 0.1111111111111111, 1]]);
    let mut b = body.clone();
    b["criteria"] = json!(["a", "b", "c"]);
    b["types"] = json!(["b", "b", "b"]);
    b["rows"] = json!([{"id": "甲", "values": [1, 2, 3]}, {"id": "乙", "values": [3, 2, 1]}]);
    b["pairwise"] = json!([bad]);
    let r = c.post(&url).bearer_auth(&t).json(&b).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("一致性"));
    b["cr_override"] = json!("专家组讨论后一致同意");
    let r = c.post(&url).bearer_auth(&t).json(&b).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn scheme_api_defines_versions_and_builds_the_matrix() {
    let e = env().await;
    let (cid, _) = crate::targets::setup(&e).await;
    let c = client();
    let office = token(&e, "office1").await;
    let region = token(&e, "region1").await;
    let url = format!("{}/api/v1/evaluations/schemes", e.base);
    let def = |source: Value| {
        json!({
            "dimensions": [{"code": "int", "name": "链群带动", "indicators": [
                {"code": "h", "name": "荣誉数", "direction": "benefit",
                 "measure": {"kind": "quantitative", "source": {"kind": "honours"}, "missing": "zero"}},
                {"code": "x", "name": "营业收入", "direction": "benefit",
                 "measure": {"kind": "quantitative", "source": source, "missing": "exclude"}}
            ]}],
            "weighting": "equal", "method": "wsum", "normalization": "minmax"
        })
    };
    let body = json!({"code": "leader_test", "name": "链主评价（示例）", "target": "leader", "chain": cid.to_string(),
        "definition": def(json!({"kind": "local_partners"})), "note": "首版"});
    let r = c.post(&url).bearer_auth(&region).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let mut bad = body.clone();
    bad["definition"] = def(json!({"kind": "indicator", "code": "nope"}));
    let r = c.post(&url).bearer_auth(&office).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("nope"));
    let r = c.post(&url).bearer_auth(&office).json(&json!({"code": "x"})).send().await.unwrap();
    assert_eq!(r.status(), 400, "a malformed definition");
    let r = c.post(&url).bearer_auth(&office).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let v: Value = c.get(&url).bearer_auth(&region).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["items"][0]["latest_version"], 1);
    let r = c
        .post(format!("{url}/{id}/versions"))
        .bearer_auth(&office)
        .json(&json!({"definition": def(json!({"kind": "indicator", "code": "revenue"})), "note": "改用营业收入"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["version"], 2);
    let v: Value = c.get(format!("{url}/{id}")).bearer_auth(&region).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["versions"].as_array().unwrap().len(), 2);
    // Version 1's matrix: the chain's two enterprises; version 2 has no revenue figures.
    let v: Value = c
        .get(format!("{url}/{id}/matrix?year=2025&version=1"))
        .bearer_auth(&region)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["table"]["ids"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["types"], json!(["b", "b"]));
    let r = c.get(format!("{url}/{id}/matrix?year=2025")).bearer_auth(&region).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("没有任何企业的数据"));
    let r = c.get(format!("{url}/{id}/matrix?year=abc")).bearer_auth(&region).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = c.get(format!("{url}/999/matrix?year=2025")).bearer_auth(&region).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn scheme_pages_show_the_tree_the_ranking_and_the_matrix() {
    let e = env().await;
    let (cid, _) = crate::targets::setup(&e).await;
    let office = app::account::Principal::console();
    let def: app::scheme::SchemeDef = serde_json::from_value(json!({
        "dimensions": [{"code": "int", "name": "链群带动", "indicators": [
            {"code": "h", "name": "荣誉数", "direction": "benefit",
             "measure": {"kind": "quantitative", "source": {"kind": "honours"}, "missing": "zero"}},
            {"code": "p", "name": "本地配套企业数", "direction": "benefit",
             "measure": {"kind": "quantitative", "source": {"kind": "local_partners"}, "missing": "zero"}},
            {"code": "t", "name": "技术水平", "direction": "benefit",
             "measure": {"kind": "qualitative", "scale_max": 10, "levels": [{"score": 10, "guidance": "国内领先"}]}}
        ]}],
        "weighting": {"given": [1, 3, 4]}, "method": "wsum"
    }))
    .unwrap();
    let id = e
        .app
        .create_scheme(
            &office,
            &app::scheme::NewScheme {
                code: "page_test".into(),
                name: "链主评价页面测试".into(),
                target: "leader".into(),
                chain: None,
                definition: def,
                note: "首版".into(),
            },
        )
        .await
        .unwrap();
    let c = client();
    crate::web_login(&c, &e.base, "viewer1").await;
    let list = c.get(format!("{}/evaluations", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("链主评价页面测试") && list.contains("全市"), "list");
    let page = c.get(format!("{}/evaluations/{id}", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("本年有效荣誉数") && page.contains("10 分：国内领先") && page.contains("加权求和"), "tree");
    let page =
        c.get(format!("{}/evaluations/{id}?chain={cid}&year=2025", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("参评企业 2 家"), "ranking");
    assert!(page.contains("荣誉数 0.2500；本地配套企业数 0.7500"), "weights of the quantitative part, rescaled");
    assert!(page.contains("示例化工0有限公司") && page.contains("matrix.csv?version=1"), "names and the csv link");
    let page = c.get(format!("{}/evaluations/{id}?chain={cid}&year=abc", e.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("年份应为整数"));
    let x =
        c.get(format!("{}/evaluations/{id}/matrix.csv?version=1&chain={cid}&year=2025", e.base)).send().await.unwrap();
    assert_eq!(x.status(), 200);
    let text = x.text().await.unwrap();
    let t = app::eval::read_matrix_csv(text.as_bytes()).expect("the csv eval compute reads");
    assert_eq!(t.criteria, vec!["荣誉数", "本地配套企业数"]);
    assert_eq!(t.rows.len(), 2);
    let r = c.get(format!("{}/evaluations/999", e.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

/// The office defines a scheme in Excel: the template downloads, a filled workbook uploads as
/// a scheme, a revised one as its next version; refusals keep the form and store nothing.
#[tokio::test]
async fn the_office_defines_a_scheme_by_uploading_excel() {
    use app::scheme_xlsx::{definition_xlsx, template_definition};
    let e = env().await;
    let c = client();
    let csrf = crate::web_login(&c, &e.base, "office1").await;
    let page = c.get(format!("{}/evaluations", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("用 Excel 新建评价方案"), "the office sees the upload form");
    let r = c.get(format!("{}/evaluations/template.xlsx", e.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let template = r.bytes().await.unwrap().to_vec();
    assert!(template.starts_with(b"PK"));
    let post = |url: String, csrf: Option<&str>, fields: &[(&str, &str)], bytes: Vec<u8>| {
        let mut form =
            reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name("方案.xlsx"));
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        if let Some(t) = csrf {
            form = form.text("csrf", t.to_string());
        }
        c.post(url).multipart(form).send()
    };
    let fields = [
        ("code", "xl_leader"),
        ("name", "Excel 链主方案（示例）"),
        ("target", "leader"),
        ("chain", ""),
        ("weighting", "entropy-shift"),
        ("method", "topsis"),
        ("normalization", "vector"),
    ];
    let url = format!("{}/evaluations", e.base);
    let schemes = |app: &app::App| {
        let app = app.clone();
        async move { app.schemes(&app::account::Principal::console()).await.unwrap().len() }
    };
    let before = schemes(&e.app).await;
    assert_eq!(post(url.clone(), None, &fields, template.clone()).await.unwrap().status(), 403, "no CSRF");
    let r = post(url.clone(), Some(&csrf), &fields, b"not a workbook".to_vec()).await.unwrap();
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("Excel 链主方案（示例）"), "the form keeps what was typed");
    let given = [("weighting", "given"), ("code", "xl_leader")];
    let r = post(url.clone(), Some(&csrf), &given, template.clone()).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("每个指标都须填写“权重”"));
    assert_eq!(schemes(&e.app).await, before, "nothing stored");
    let r = post(url.clone(), Some(&csrf), &fields, template.clone()).await.unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = to.trim_start_matches("/evaluations/").split('?').next().unwrap().parse().unwrap();
    let view = e.app.scheme(&app::account::Principal::console(), id).await.unwrap();
    assert_eq!(view.versions[0].definition.dimensions, template_definition().dimensions);
    let page = c.get(format!("{}{to}", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("评价方案已建立") && page.contains("研发投入强度") && page.contains("修订方案"));
    // A revision: the CRITIC weighting, as version 2; the download gives it back.
    let mut def = template_definition();
    def.dimensions[0].indicators.pop();
    let bytes = definition_xlsx(&def).unwrap();
    let vurl = format!("{}/evaluations/{id}/versions", e.base);
    let r = post(
        vurl.clone(),
        Some(&csrf),
        &[("weighting", "critic"), ("method", "topsis"), ("note", "去掉产值增速")],
        bytes,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let view = e.app.scheme(&app::account::Principal::console(), id).await.unwrap();
    assert_eq!(view.versions.len(), 2);
    assert_eq!(view.versions[0].definition.weighting, app::eval::Weighting::Critic);
    assert_eq!(view.versions[0].note, "去掉产值增速");
    let r = post(vurl.clone(), Some(&csrf), &[("weighting", "ahp")], template.clone()).await.unwrap();
    assert_eq!(r.status(), 400, "AHP without pairwise sheets");
    assert!(r.text().await.unwrap().contains("判断矩阵1"));
    let r = c.get(format!("{}/evaluations/{id}/scheme.xlsx?version=2", e.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let back =
        app::scheme_xlsx::read_definition_xlsx(&r.bytes().await.unwrap(), "x.xlsx", "critic", "topsis", "vector", &[])
            .expect("the version's workbook reads back");
    assert_eq!(back.dimensions, def.dimensions);
    assert_eq!(c.get(format!("{}/evaluations/99999/scheme.xlsx", e.base)).send().await.unwrap().status(), 404);
    // Not the office: refused.
    let v = client();
    let vcsrf = crate::web_login(&v, &e.base, "viewer1").await;
    let mut form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(template.clone()).file_name("方案.xlsx"))
        .text("csrf", vcsrf);
    for (k, val) in fields {
        form = form.text(k, val.replace("xl_leader", "xl_other"));
    }
    let r = v.post(url).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let page = v.get(format!("{}/evaluations", e.base)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("用 Excel 新建评价方案"));
}
