use crate::{PW, USCC_OK, client, enterprise_json, env, token, uscc};
use serde_json::{Value, json};

#[tokio::test]
async fn openapi_document_is_stable() {
    let doc = serde_json::to_value(web::api::ApiDoc::openapi_json()).unwrap();
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test]
async fn token_me_and_enterprise_crud() {
    let e = env().await;
    let t = token(&e, "office1").await;
    let c = client();
    let me: Value = c.get(format!("{}/api/v1/me", e.base)).bearer_auth(&t).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["username"], "office1");
    assert_eq!(me["roles"][0]["role"], "office");

    let r = c
        .post(format!("{}/api/v1/enterprises", e.base))
        .bearer_auth(&t)
        .json(&enterprise_json(USCC_OK, "511722"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["size"], "large");
    assert_eq!(created["above_scale"], true);
    assert_eq!(created["revenue_wan"], "45000");
    let id = created["id"].as_i64().unwrap();

    let list: Value = c
        .get(format!("{}/api/v1/enterprises?region=511722&q=测试", e.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["uscc"], USCC_OK);

    // Update with the version read, then again with the same (now stale) version.
    let mut body = enterprise_json(USCC_OK, "511722");
    body["name"] = json!("测试化工股份有限公司");
    body["version"] = json!(1);
    let r = c.put(format!("{}/api/v1/enterprises/{id}", e.base)).bearer_auth(&t).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = c.put(format!("{}/api/v1/enterprises/{id}", e.base)).bearer_auth(&t).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"], "stale");
    assert!(err["message"].as_str().unwrap().contains("office1"), "{err}");

    let hist: Value = c
        .get(format!("{}/api/v1/enterprises/{id}/history", e.base))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(hist.as_array().unwrap().iter().any(|h| h["field"] == "name" && h["new_value"] == "测试化工股份有限公司"));

    let r = c.delete(format!("{}/api/v1/enterprises/{id}?version=2", e.base)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let r = c.get(format!("{}/api/v1/enterprises/{id}", e.base)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn bad_input_gets_clear_messages_and_changes_nothing() {
    let e = env().await;
    let t = token(&e, "office1").await;
    let c = client();
    let url = format!("{}/api/v1/enterprises", e.base);
    // Wrong check character: the message names position 18 and the expected character.
    let r = c.post(&url).bearer_auth(&t).json(&enterprise_json("91350100M000100Y44", "511722")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["fields"][0]["field"], "uscc");
    assert!(b["fields"][0]["message"].as_str().unwrap().contains("第18位"), "{b}");
    // Unknown region and an industry code that is not a class.
    let mut body = enterprise_json(USCC_OK, "519999");
    body["industry_code"] = json!("C26");
    let b: Value = c.post(&url).bearer_auth(&t).json(&body).send().await.unwrap().json().await.unwrap();
    let fields: Vec<&str> = b["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["region_code", "industry_code"]);
    // Malformed JSON, wrong content type, oversized body.
    let r =
        c.post(&url).bearer_auth(&t).header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid");
    let r = c.post(&url).bearer_auth(&t).body("uscc=1").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let big = "x".repeat(2 * 1024 * 1024);
    let r = c.post(&url).bearer_auth(&t).header("content-type", "application/json").body(big).send().await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<Value>().await.unwrap()["message"], "提交的内容过大");
    // Unknown and forged ids.
    for path in ["999999", "abc", "-1"] {
        let r = c.get(format!("{url}/{path}")).bearer_auth(&t).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    // No token, a forged token.
    assert_eq!(c.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(c.get(&url).bearer_auth("f".repeat(64)).send().await.unwrap().status(), 401);
    // Nothing was created by any of it.
    let list: Value = c.get(&url).bearer_auth(&t).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn scope_and_session_rules_hold_over_http() {
    let e = env().await;
    let office = token(&e, "office1").await;
    let region = token(&e, "region1").await;
    let auditor = token(&e, "auditor1").await;
    let c = client();
    let url = format!("{}/api/v1/enterprises", e.base);
    let inside: Value = c
        .post(&url)
        .bearer_auth(&office)
        .json(&enterprise_json(&uscc(1), "511722"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let outside: Value = c
        .post(&url)
        .bearer_auth(&office)
        .json(&enterprise_json(&uscc(2), "511723"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The region sees its own, and the other answers exactly like a missing record.
    let list: Value = c.get(&url).bearer_auth(&region).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], inside["id"]);
    let r = c.get(format!("{url}/{}", outside["id"])).bearer_auth(&region).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let missing = c.get(format!("{url}/987654")).bearer_auth(&region).send().await.unwrap();
    assert_eq!(r.headers().get("content-length"), missing.headers().get("content-length"));
    // A region may not create outside its area; the auditor sees no business data.
    let r = c.post(&url).bearer_auth(&region).json(&enterprise_json(&uscc(3), "511723")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(c.get(&url).bearer_auth(&auditor).send().await.unwrap().status(), 403);
    let v: Value = c
        .get(format!("{}/api/v1/audit/verify", e.base))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["ok"], true);
    assert!(v["rows"].as_i64().unwrap() >= 6);
    // Idle timeout: 30 minutes without a request ends the token.
    e.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(c.get(&url).bearer_auth(&region).send().await.unwrap().status(), 401);
    // Logout revokes.
    let t = token(&e, "viewer1").await;
    assert_eq!(c.delete(format!("{}/api/v1/auth/token", e.base)).bearer_auth(&t).send().await.unwrap().status(), 204);
    assert_eq!(c.get(&url).bearer_auth(&t).send().await.unwrap().status(), 401);
    let _ = PW;
}

#[tokio::test]
async fn search_api_is_scope_filtered() {
    let e = env().await;
    let office = token(&e, "office1").await;
    let region = token(&e, "region1").await;
    let c = client();
    let url = format!("{}/api/v1/enterprises", e.base);
    let mut a = enterprise_json(&uscc(41), "511722");
    a["name"] = json!("宣汉碳酸锂有限公司");
    let mut b = enterprise_json(&uscc(42), "511723");
    b["name"] = json!("开江碳酸锂有限公司");
    for body in [a, b] {
        assert_eq!(c.post(&url).bearer_auth(&office).json(&body).send().await.unwrap().status(), 201);
    }
    let q = format!("{}/api/v1/search?q=碳酸锂", e.base);
    let all: Value = c.get(&q).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    assert_eq!(all["total"], 2);
    let mine: Value = c.get(&q).bearer_auth(&region).send().await.unwrap().json().await.unwrap();
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["title"], "宣汉碳酸锂有限公司");
    assert_eq!(mine["items"][0]["kind"], "enterprise");
    assert!(mine["items"][0]["highlight"].as_str().unwrap().contains("<em>"));
}

#[tokio::test]
async fn ledger_api_honours_gradients_and_reserve() {
    let e = env().await;
    let office = token(&e, "office1").await;
    let region = token(&e, "region1").await;
    let c = client();
    let base = &e.base;
    let inside: Value = c
        .post(format!("{base}/api/v1/enterprises"))
        .bearer_auth(&office)
        .json(&enterprise_json(&uscc(51), "511722"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let outside: Value = c
        .post(format!("{base}/api/v1/enterprises"))
        .bearer_auth(&office)
        .json(&enterprise_json(&uscc(52), "511723"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (a, b) = (inside["id"].as_i64().unwrap(), outside["id"].as_i64().unwrap());
    let honour = json!({"kind_code": "high_tech", "level": "national", "year": 2025, "valid_until": "2027-12-31"});
    // The region records an honour of its own enterprise; the other answers 404; bad level 400.
    let r = c
        .post(format!("{base}/api/v1/enterprises/{a}/honours"))
        .bearer_auth(&region)
        .json(&honour)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = c
        .post(format!("{base}/api/v1/enterprises/{b}/honours"))
        .bearer_auth(&region)
        .json(&honour)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let mut bad = honour.clone();
    bad["level"] = json!("galactic");
    let r =
        c.post(format!("{base}/api/v1/enterprises/{a}/honours")).bearer_auth(&region).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["fields"][0]["field"], "level");
    let r = c
        .post(format!("{base}/api/v1/enterprises/{b}/honours"))
        .bearer_auth(&office)
        .json(&honour)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Each sees the honours of its scope.
    let all: Value = c
        .get(format!("{base}/api/v1/honours?kind=high_tech"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    let mine: Value =
        c.get(format!("{base}/api/v1/honours")).bearer_auth(&region).send().await.unwrap().json().await.unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["enterprise_id"], a);
    assert_eq!(mine[0]["valid_until"], "2027-12-31");
    // Gradient target and status.
    let g =
        json!({"year": 2026, "gradient": "above_scale", "targeted": true, "achieved": false, "note": "年度上规目标"});
    let r =
        c.put(format!("{base}/api/v1/enterprises/{a}/gradients")).bearer_auth(&region).json(&g).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let mut bad = g.clone();
    bad["gradient"] = json!("to_the_moon");
    let r =
        c.put(format!("{base}/api/v1/enterprises/{a}/gradients")).bearer_auth(&region).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let gs: Value = c
        .get(format!("{base}/api/v1/enterprises/{a}/gradients"))
        .bearer_auth(&region)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(gs.as_array().unwrap().len(), 1);
    assert_eq!(gs[0]["targeted"], true);
    // Listing reserve.
    let rs = json!({"kind": "listing", "stage": "tutoring", "board": "bse", "since": "2025-06-01"});
    let r = c
        .put(format!("{base}/api/v1/enterprises/{a}/listing-reserve"))
        .bearer_auth(&region)
        .json(&rs)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let pool: Value = c
        .get(format!("{base}/api/v1/listing-reserve"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pool.as_array().unwrap().len(), 1);
    assert_eq!(pool[0]["stage"], "tutoring");
    // Indicators of an enterprise without values: an empty view, not an error.
    let v: Value = c
        .get(format!("{base}/api/v1/enterprises/{a}/indicators"))
        .bearer_auth(&region)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["series"].as_array().unwrap().len(), 0);
    let cat: Value =
        c.get(format!("{base}/api/v1/indicators")).bearer_auth(&region).send().await.unwrap().json().await.unwrap();
    assert!(cat.as_array().unwrap().iter().any(|d| d["name"] == "营业收入" && d["unit"] == "万元"));
}

#[tokio::test]
async fn import_api_reports_rows_and_writes_all_or_nothing() {
    let e = env().await;
    let office = token(&e, "office1").await;
    let viewer = token(&e, "viewer1").await;
    let c = client();
    let url = format!("{}/api/v1/imports/enterprises", e.base);
    let (a, b) = (uscc(61), uscc(62));
    let good = format!(
        "统一社会信用代码,企业名称,所属区县,行业代码\n{a},接口导入甲有限公司,宣汉县,2614\n{b},接口导入乙有限公司,达川区,3061\n"
    );
    let bad = good.replace("3061", "30");
    let send = |body: String, token: &str, q: &str| {
        c.post(format!("{url}{q}"))
            .bearer_auth(token)
            .header("x-file-name", "%E4%BC%81%E4%B8%9A.csv")
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
    };
    let r = send(bad, &office, "").await.unwrap();
    assert_eq!(r.status(), 422);
    let rep: Value = r.json().await.unwrap();
    assert_eq!(rep["committed"], false);
    assert_eq!(rep["file"], "企业.csv");
    assert_eq!(rep["errors"][0]["line"], 3);
    assert_eq!(rep["errors"][0]["column"], "行业代码");
    let r = send(good.clone(), &office, "?dry_run=true").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["committed"], false);
    let list: Value = c
        .get(format!("{}/api/v1/enterprises", e.base))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
    assert_eq!(send(good.clone(), &viewer, "").await.unwrap().status(), 403);
    let r = send(good, &office, "").await.unwrap();
    assert_eq!(r.status(), 200);
    let rep: Value = r.json().await.unwrap();
    assert_eq!((rep["committed"].clone(), rep["created"].clone()), (json!(true), json!(2)));
    let list: Value = c
        .get(format!("{}/api/v1/enterprises", e.base))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 2);
    let r = c.post(format!("{}/api/v1/imports/projects", e.base)).bearer_auth(&office).body("x").send().await.unwrap();
    assert_eq!(r.status(), 400);
}
