//! Yearly evaluation runs over HTTP: the office creates a run from the scheme page, assigns
//! experts, an expert declares conflicts and scores through the pages, the office computes,
//! changes a tier and approves; the run, ledger and enterprise pages show the outcome; the
//! exit procedure with an appeal from the enterprise's own account; CSRF, scope and forged
//! ids refused; the workbook; and the JSON API's contract.

use crate::{PW, client, env, token, uscc, web_login};
use app::account::{Principal, SessionKind};
use app::evalrun::{NewRun, ReviewAction, RunConfig, ScoreIn, TierRule};
use app::{Actor, App};
use domain::role::Grant;
use serde_json::{Value, json};
use std::io::Read;

const NAMES: [&str; 4] =
    ["甲钢铁（示例）有限公司", "乙新材（示例）有限公司", "丙装备（示例）有限公司", "丁化工（示例）有限公司"];

struct Setup {
    chain: i64,
    scheme: i64,
    ids: Vec<i64>,
    usccs: Vec<String>,
}

/// A chain with four enterprises (revenue for 2025 and 2026), a chain scheme with one
/// quantitative and two qualitative indicators (one code with underscores), and two experts.
async fn setup(e: &crate::Env) -> Setup {
    let app = &e.app;
    let office = Principal::console();
    let mut tx = app.db.begin().await.unwrap();
    let chain = app::store::chain::insert(
        &mut tx,
        &app::store::chain::NewChain {
            code: "steel_chain".into(),
            name: "钢铁新材料".into(),
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
    let key = chain.to_string();
    let seg = app
        .add_segment(
            &office,
            &key,
            &app::chainmap::SegmentInput {
                code: "steel".into(),
                name: "钢材".into(),
                stage: "midstream".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    let mut usccs = Vec::new();
    let mut values = Vec::new();
    for (k, name) in NAMES.iter().enumerate() {
        let code = uscc(900 + k as u32);
        let input = app::enterprise::EnterpriseInput {
            uscc: code.clone(),
            name: name.to_string(),
            region_code: "511722".into(),
            industry_code: "2614".into(),
            ..Default::default()
        };
        let id = app.create_enterprise(&office, &input).await.unwrap();
        app.place_enterprise(&office, &key, seg, id, "leader").await.unwrap();
        for year in [2025, 2026] {
            values.push(app::store::indicator::NewValue {
                enterprise_id: id,
                indicator_code: "revenue".into(),
                period: year.to_string(),
                value: 1000.0 * (4 - k) as f64 + (year - 2025) as f64 * 10.0,
                source: "测试".into(),
                reported_on: None,
            });
        }
        ids.push(id);
        usccs.push(code);
    }
    let mut tx = app.db.begin().await.unwrap();
    app::store::indicator::upsert(&mut tx, &values, app.now(), None).await.unwrap();
    tx.commit().await.unwrap();
    let def: app::scheme::SchemeDef = serde_json::from_value(json!({
        "dimensions": [
            {"code": "pos", "name": "产业地位", "indicators": [
                {"code": "rev", "name": "营业收入", "direction": "benefit",
                 "measure": {"kind": "quantitative", "source": {"kind": "indicator", "code": "revenue"}, "missing": "zero"}}]},
            {"code": "inn", "name": "创新能力", "indicators": [
                {"code": "tech_level", "name": "技术水平", "direction": "benefit",
                 "measure": {"kind": "qualitative", "scale_max": 10, "levels": [
                     {"score": 10, "guidance": "国内领先"}, {"score": 5, "guidance": "省内先进"}]}},
                {"code": "brand", "name": "品牌影响", "direction": "benefit",
                 "measure": {"kind": "qualitative", "scale_max": 5, "levels": [{"score": 5, "guidance": "全国知名"}]}}]}
        ],
        "weighting": "equal", "method": "wsum", "normalization": "minmax"
    }))
    .unwrap();
    let scheme = app
        .create_scheme(
            &office,
            &app::scheme::NewScheme {
                code: "leader_steel".into(),
                name: "钢铁链主评价".into(),
                target: "leader".into(),
                chain: Some(key),
                definition: def,
                note: "首版".into(),
            },
        )
        .await
        .unwrap();
    for (u, n) in [("expert1", "专家甲"), ("expert2", "专家乙")] {
        app.create_account(&Actor::cli(), None, u, n, &[Grant::parse("expert").unwrap()], Some(PW)).await.unwrap();
    }
    Setup { chain, scheme, ids, usccs }
}

async fn principal(app: &App, user: &str) -> Principal {
    app.login(user, PW, SessionKind::Api, "127.0.0.1").await.unwrap().principal
}

/// Everyone from 0 gets a tier; one demonstration place.
fn open_config() -> RunConfig {
    RunConfig {
        demonstration: TierRule { min_score: 0.7, quota: 1 },
        cultivation: TierRule { min_score: 0.4, quota: 2 },
        candidate: TierRule { min_score: 0.0, quota: 10 },
        bar: 0.0,
        ..RunConfig::default()
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

async fn runs_count(app: &App) -> usize {
    app.runs(&Principal::console(), Default::default()).await.unwrap().len()
}

#[tokio::test]
async fn a_run_through_the_pages_from_scoring_to_the_ledger() {
    let e = env().await;
    let st = setup(&e).await;
    let base = &e.base;
    let app = &e.app;
    let office = client();
    let csrf = web_login(&office, base, "office1").await;

    // The scheme page offers the office a new run prefilled with the default rules.
    let page = office.get(format!("{base}/evaluations/{}", st.scheme)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("新建评价批次") && page.contains("name=\"dem_quota\" value=\"3\""), "{page}");
    let list = office.get(format!("{base}/evaluations")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("/evaluations/runs") && list.contains("/evaluations/ledger"), "links from /evaluations");

    // Refusals create nothing: no CSRF token, an unreadable number, a rule out of order.
    let form = |csrf: &str, dem_min: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("version", "1".into()),
            ("chain", String::new()),
            ("year", "2025".into()),
            ("dem_min", dem_min.into()),
            ("dem_quota", "1".into()),
            ("cul_min", "0.4".into()),
            ("cul_quota", "2".into()),
            ("can_min", "0".into()),
            ("can_quota", "10".into()),
            ("bar", "0".into()),
            ("aggregation", "mean".into()),
            ("outlier", "0.25".into()),
        ]
    };
    let url = format!("{base}/evaluations/{}/runs", st.scheme);
    let r = office.post(&url).form(&form("", "0.7")).send().await.unwrap();
    assert_eq!(r.status(), 403, "no CSRF token");
    let r = office.post(&url).form(&form(&csrf, "七成")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let text = r.text().await.unwrap();
    assert!(text.contains("示范库最低得分“七成”不是有效的数字") && text.contains("value=\"七成\""), "kept as typed");
    let r = office.post(&url).form(&form(&csrf, "0.1")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("示范库 ≥ 培育库"));
    assert_eq!(runs_count(app).await, 0);
    // Created: to the run page.
    let r = office.post(&url).form(&form(&csrf, "0.7")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(to.starts_with("/evaluations/runs/"), "{to}");
    let run: i64 = to.trim_start_matches("/evaluations/runs/").split('?').next().unwrap().parse().unwrap();
    let page = office.get(format!("{base}{to}")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("评价批次已建立") && page.contains("专家评分中") && page.contains("参评企业 4 家"), "{page}");
    assert!(page.contains("技术水平、品牌影响"), "the qualitative indicators");

    // Experts: a non-expert account is refused in words; two experts assigned.
    let experts = format!("{base}/evaluations/runs/{run}/experts");
    let r = office.post(&experts).form(&[("csrf", csrf.as_str()), ("username", "viewer1")]).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("不是专家账号"));
    for x in ["expert1", "expert2"] {
        let r = office.post(&experts).form(&[("csrf", csrf.as_str()), ("username", x)]).send().await.unwrap();
        assert_eq!(r.status(), 303, "{x}");
    }

    // The expert: the menu, the task list, the declaration first.
    let ex = client();
    let ecsrf = web_login(&ex, base, "expert1").await;
    let tasks = ex.get(format!("{base}/evaluations/scoring")).send().await.unwrap().text().await.unwrap();
    assert!(tasks.contains("评分任务") && tasks.contains("待声明") && tasks.contains("钢铁新材料"), "{tasks}");
    assert!(!tasks.contains("href=\"/evaluations\" "), "no chain menu for an expert");
    let score_url = format!("{base}/evaluations/runs/{run}/score");
    let page = ex.get(&score_url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("除所选企业外，本人与其他参评企业无利益关系") && !page.contains("逐家评分"), "{page}");
    let decl = format!("{base}/evaluations/runs/{run}/declaration");
    let conflict = st.ids[3].to_string();
    let r = ex
        .post(&decl)
        .form(&[("csrf", ecsrf.as_str()), ("conflict", conflict.as_str()), ("declaration", "曾任该企业技术顾问")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "the confirmation is required");
    let text = r.text().await.unwrap();
    assert!(text.contains("请确认") && text.contains("曾任该企业技术顾问"), "kept as typed");
    let r =
        ex.post(&decl).form(&[("csrf", ecsrf.as_str()), ("conflict", "abc"), ("confirmed", "1")]).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("企业编号“abc”无效"));
    let r = ex
        .post(&decl)
        .form(&[
            ("csrf", ecsrf.as_str()),
            ("conflict", conflict.as_str()),
            ("declaration", "曾任该企业技术顾问"),
            ("confirmed", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    // The scoring form: guidance, one row per enterprise, the conflicted one greyed.
    let page = ex.get(&score_url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("国内领先") && page.contains("全国知名") && page.contains("回避"), "{page}");
    let f = |e: i64, code: &str| format!("s_{e}_{code}");
    assert!(page.contains(&format!("name=\"{}\"", f(st.ids[0], "tech_level"))), "field names carry the code");
    assert!(page.contains("class=\"conflicted\""));
    // Refusals save nothing: a word, a score over the scale, a forged enterprise.
    let ok = |e: i64| vec![(f(e, "tech_level"), "8".to_string()), (f(e, "brand"), "4.5".to_string())];
    for (bad, needle) in [
        ((f(st.ids[1], "brand"), "很好".to_string()), "“乙新材（示例）有限公司”的“品牌影响”评分“很好”不是有效的数字"),
        ((f(st.ids[1], "brand"), "6".to_string()), "应在 0 至 5 之间"),
        ((f(999_999, "brand"), "3".to_string()), "企业编号 999999 不在本批次"),
        ((f(st.ids[3], "brand"), "3".to_string()), "利益关系"),
    ] {
        let mut pairs = vec![("csrf".to_string(), ecsrf.clone()), ("action".to_string(), "save".to_string())];
        pairs.extend(ok(st.ids[0]));
        pairs.push(bad.clone());
        let r = ex.post(&score_url).form(&pairs).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad:?}");
        let text = r.text().await.unwrap();
        assert!(text.contains(needle), "{bad:?}: {text}");
        assert!(text.contains("value=\"4.5\""), "what was typed is kept");
    }
    let expert1 = principal(app, "expert1").await;
    assert!(app.scoring_form(&expert1, run).await.unwrap().scores.is_empty(), "nothing saved");
    // Saved in two goes with notes; an incomplete submit refused; then submitted.
    let mut pairs = vec![("csrf".to_string(), ecsrf.clone()), ("action".to_string(), "save".to_string())];
    pairs.extend(ok(st.ids[0]));
    pairs.push((format!("n_{}", st.ids[0]), "依据 2025 年报".into()));
    pairs.push((f(st.ids[1], "tech_level"), String::new()));
    let r = ex.post(&score_url).form(&pairs).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = ex.get(format!("{base}{}", location(&r))).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("已保存 2 项评分") && page.contains("依据 2025 年报") && page.contains("已评 2 / 6 项"),
        "{page}"
    );
    let r = ex.post(&score_url).form(&[("csrf", ecsrf.as_str()), ("action", "submit")]).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("还有 4 项未评分"));
    let mut pairs = vec![("csrf".to_string(), ecsrf.clone()), ("action".to_string(), "submit".to_string())];
    for (k, e) in st.ids[..3].iter().enumerate() {
        pairs.push((f(*e, "tech_level"), (9 - 2 * k).to_string()));
        pairs.push((f(*e, "brand"), (5 - k).to_string()));
    }
    let r = ex.post(&score_url).form(&pairs).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = ex.get(&score_url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已提交") && page.contains("disabled"), "read-only after submit");
    // The second expert scores everyone (through the app).
    let expert2 = principal(app, "expert2").await;
    app.declare_conflicts(&expert2, run, &[], "", true).await.unwrap();
    let all: Vec<ScoreIn> = st
        .ids
        .iter()
        .enumerate()
        .flat_map(|(k, e)| {
            [("tech_level", 8.0 - k as f64), ("brand", 4.0 - k as f64)].map(|(i, s)| ScoreIn {
                enterprise_id: *e,
                indicator: i.into(),
                score: s,
                note: String::new(),
            })
        })
        .collect();
    app.save_scores(&expert2, run, &all, true).await.unwrap();

    // Compute: refused without CSRF and with a stale version; then computed.
    let v = app.run_view(&Principal::console(), run).await.unwrap();
    let version = v.run.row_version.to_string();
    let compute = format!("{base}/evaluations/runs/{run}/compute");
    let r = office.post(&compute).form(&[("version", version.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = office.post(&compute).form(&[("csrf", csrf.as_str()), ("version", "999")]).send().await.unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("已被他人修改"));
    assert_eq!(app.run_view(&Principal::console(), run).await.unwrap().run.status, "scoring", "nothing changed");
    let r = office.post(&compute).form(&[("csrf", csrf.as_str()), ("version", version.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let v = app.run_view(&Principal::console(), run).await.unwrap();
    assert_eq!(v.run.status, "computed");
    let best = &v.results[0];
    assert_eq!(best.enterprise_id, st.ids[0], "the largest revenue and the best scores");
    let page = office.get(format!("{base}/evaluations/runs/{run}")).send().await.unwrap().text().await.unwrap();
    for needle in
        ["指标权重", "得分、排名与梯度", "得分构成", "已计算待审定", NAMES[0], NAMES[3], "示范库", "培育库", "候选库"]
    {
        assert!(page.contains(needle), "{needle}");
    }
    assert!(page.contains(&format!("{:.4}", best.score)), "score with four decimals");
    assert!(page.contains("<svg class=\"cbar\""), "contribution bars");
    assert!(page.contains("qianglian eval compute --matrix 评价批次"), "the recompute command");

    // A tier changed: a reason needed; an unknown tier and a forged enterprise refused.
    let tier_url = |e: i64| format!("{base}/evaluations/runs/{run}/results/{e}");
    let r = office
        .post(tier_url(best.enterprise_id))
        .form(&[("csrf", csrf.as_str()), ("tier", "cultivation"), ("reason", " ")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("调整建议梯度须说明理由"));
    let r = office
        .post(tier_url(best.enterprise_id))
        .form(&[("csrf", csrf.as_str()), ("tier", "金牌"), ("reason", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("应为示范库、培育库或候选库"));
    let r = office
        .post(tier_url(999_999))
        .form(&[("csrf", csrf.as_str()), ("tier", "candidate"), ("reason", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = office
        .post(tier_url(best.enterprise_id))
        .form(&[("csrf", csrf.as_str()), ("tier", "cultivation"), ("reason", "安全生产事故，降一档")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    // Approval: refused without CSRF (nothing changes), then once.
    let review = format!("{base}/evaluations/runs/{run}/review");
    let version = app.run_view(&Principal::console(), run).await.unwrap().run.row_version.to_string();
    let r = office.post(&review).form(&[("action", "approve"), ("version", version.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.run_view(&Principal::console(), run).await.unwrap().run.status, "computed");
    let r = office
        .post(&review)
        .form(&[("csrf", csrf.as_str()), ("action", "return"), ("comment", ""), ("version", version.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a return needs a comment");
    assert!(r.text().await.unwrap().contains("退回须写明意见"));
    let approve = [("csrf", csrf.as_str()), ("action", "approve"), ("comment", "同意"), ("version", version.as_str())];
    let r = office.post(&review).form(&approve).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = office.get(format!("{base}{}", location(&r))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已审定，三级梯度台账已更新：入库 4"), "{page}");
    assert!(page.contains("安全生产事故，降一档") && page.contains("已调整"), "the change and its reason");
    let r = office.post(&review).form(&approve).send().await.unwrap();
    assert_eq!(r.status(), 409, "approved once only");
    assert!(r.text().await.unwrap().contains("不能进行此操作"));

    // The ledger: tiers with enterprises, the note on too few chain leaders, the years.
    let page =
        office.get(format!("{base}/evaluations/ledger?target=leader")).send().await.unwrap().text().await.unwrap();
    for needle in ["钢铁新材料 · 链主", "示范库", "培育库", "候选库", NAMES[0], NAMES[1], "2025 年", "历年梯度", "入库"]
    {
        assert!(page.contains(needle), "{needle}: {page}");
    }
    // The only demonstration place went to the enterprise moved to 培育库 on review.
    assert!(page.contains("示范库仅 0 家"), "fewer than two chain leaders");
    let demo = app.tier_ledger(&Principal::console(), Some("leader"), None).await.unwrap();
    assert_eq!(demo.entries.iter().filter(|x| x.tier == "demonstration").count(), 0);
    assert_eq!(demo.entries.iter().filter(|x| x.tier == "cultivation").count(), 2);
    // The enterprise page: its tier, its result and the contributions (chart and table).
    let page = office.get(format!("{base}/enterprises/{}", st.ids[0])).send().await.unwrap().text().await.unwrap();
    for needle in [
        "链主评价",
        "三级梯度",
        "培育库",
        "id=\"contribution-chart\"",
        "得分贡献",
        "营业收入",
        "技术水平",
        "合计（得分）",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    assert!(page.contains(&format!("{:.4}", best.score)));
    // An enterprise with nothing evaluated has no such section.
    let other = app
        .create_enterprise(
            &Principal::console(),
            &app::enterprise::EnterpriseInput {
                uscc: uscc(990),
                name: "未参评（示例）有限公司".into(),
                region_code: "511722".into(),
                industry_code: "2614".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let page = office.get(format!("{base}/enterprises/{other}")).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("id=\"evaluation\""), "no evaluation section");

    // The workbook: a real xlsx with the 矩阵 sheet.
    let r = office.get(format!("{base}/evaluations/runs/{run}/export.xlsx")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut wb = String::new();
    zip.by_name("xl/workbook.xml").unwrap().read_to_string(&mut wb).unwrap();
    assert!(wb.contains("name=\"矩阵\"") && wb.contains("name=\"贡献\""), "{wb}");

    // Scope and forged ids: the county sees no run; unknown and malformed ids are 404.
    let county = client();
    web_login(&county, base, "region1").await;
    let r = county.get(format!("{base}/evaluations/runs/{run}")).send().await.unwrap();
    assert!(r.status() == 404 || r.status() == 403, "{}", r.status());
    let r = county.get(format!("{base}/evaluations/runs/{run}/export.xlsx")).send().await.unwrap();
    assert!(r.status() == 404 || r.status() == 403, "{}", r.status());
    for path in ["/evaluations/runs/999999", "/evaluations/runs/abc", "/evaluations/runs/999999/export.xlsx"] {
        let r = office.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert!(r.text().await.unwrap().contains("记录不存在"), "{path}");
    }
    for path in ["/evaluations/runs/999999/score", "/evaluations/runs/abc/score"] {
        let r = ex.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = ex.get(format!("{base}/evaluations/runs/{run}")).send().await.unwrap();
    assert_eq!(r.status(), 403, "an expert reads its scoring form, not the run");
    let r = office
        .post(format!("{base}/evaluations/runs/999999/compute"))
        .form(&[("csrf", csrf.as_str()), ("version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = office.get(format!("{base}/evaluations/runs?chain=nope&year=abc")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains("产业链“nope”不存在") || text.contains("年度“abc”"), "{text}");
    let list = office
        .get(format!("{base}/evaluations/runs?chain=steel_chain&year=2025"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(&format!("/evaluations/runs/{run}")) && list.contains("已审定"));
    let none = office.get(format!("{base}/evaluations/runs?year=2019")).send().await.unwrap().text().await.unwrap();
    assert!(!none.contains(&format!("/evaluations/runs/{run}\"")));
    let _ = st.chain;
}

/// Create, score (expert2 scores everyone), compute, change tiers and approve with the app.
async fn app_run(app: &App, scheme: i64, year: i64, out: &[i64]) -> i64 {
    let office = Principal::console();
    let run = app
        .create_run(
            &office,
            &NewRun { scheme_id: scheme, version: None, chain: None, year, config: Some(open_config()) },
        )
        .await
        .unwrap();
    app.assign_expert(&office, run, "expert2").await.unwrap();
    let x = principal(app, "expert2").await;
    app.declare_conflicts(&x, run, &[], "", true).await.unwrap();
    let form = app.scoring_form(&x, run).await.unwrap();
    let scores: Vec<ScoreIn> = form
        .enterprises
        .iter()
        .flat_map(|e| {
            [("tech_level", 7.0), ("brand", 3.0)].map(|(i, s)| ScoreIn {
                enterprise_id: e.0,
                indicator: i.into(),
                score: s,
                note: String::new(),
            })
        })
        .collect();
    app.save_scores(&x, run, &scores, true).await.unwrap();
    let v = app.run_view(&office, run).await.unwrap();
    app.compute_run(&office, run, v.run.row_version).await.unwrap();
    for e in out {
        app.set_run_tier(&office, run, *e, None, "环保督察整改未完成").await.unwrap();
    }
    let v = app.run_view(&office, run).await.unwrap();
    app.review_run(&office, run, ReviewAction::Approve, "", v.run.row_version).await.unwrap();
    run
}

#[tokio::test]
async fn the_exit_procedure_through_the_ledger_and_the_enterprise_page() {
    let e = env().await;
    let st = setup(&e).await;
    let base = &e.base;
    let app = &e.app;
    app_run(app, st.scheme, 2025, &[]).await;
    // 2026: the office takes the fourth enterprise out on review: a warning.
    app_run(app, st.scheme, 2026, &[st.ids[3]]).await;
    let ledger = app.tier_ledger(&Principal::console(), None, None).await.unwrap();
    let x = ledger.exits.iter().find(|x| x.enterprise_id == st.ids[3]).cloned().expect("a warning");
    assert_eq!(x.state, "warning");

    let office = client();
    let csrf = web_login(&office, base, "office1").await;
    let page = office
        .get(format!("{base}/evaluations/ledger?target=leader&chain=steel_chain"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("退出程序") && page.contains("预警") && page.contains("环保督察整改未完成"), "{page}");
    assert!(page.contains("2025 年") && page.contains("2026 年"), "history across years");
    let exit_url = format!("{base}/evaluations/exits/{}", x.id);
    let v1 = x.row_version.to_string();
    // Initiate: a reason is needed; without CSRF refused; then initiated.
    let step = |csrf: &str, action: &str, reason: &str, version: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("action", action.to_string()),
            ("reason", reason.to_string()),
            ("version", version.to_string()),
            ("back", "ledger".to_string()),
            ("target", "leader".to_string()),
            ("chain", "steel_chain".to_string()),
        ]
    };
    let r = office.post(&exit_url).form(&step("", "initiate", "连续整改不到位", &v1)).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = office.post(&exit_url).form(&step(&csrf, "initiate", " ", &v1)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("请填写启动退出的理由"));
    let r = office.post(&exit_url).form(&step(&csrf, "initiate", "连续整改不到位", "x")).send().await.unwrap();
    assert_eq!(r.status(), 400, "a bad version is a message, not a 500");
    let r = office.post(&exit_url).form(&step(&csrf, "initiate", "连续整改不到位", &v1)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/evaluations/ledger?target=leader&chain=steel_chain&msg="), "{}", location(&r));
    let r = office.post(&exit_url).form(&step(&csrf, "initiate", "再次", &v1)).send().await.unwrap();
    assert_eq!(r.status(), 409, "stale");
    let r = office
        .post(format!("{base}/evaluations/exits/999999"))
        .form(&step(&csrf, "lift", "x", "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // The enterprise's own account appeals from its page.
    let spec = format!("enterprise:{}", st.usccs[3]);
    app.create_account(&Actor::cli(), None, "owner4", "丁化工", &[Grant::parse(&spec).unwrap()], Some(PW))
        .await
        .unwrap();
    let owner = client();
    let ocsrf = web_login(&owner, base, "owner4").await;
    let page = owner.get(format!("{base}/enterprises/{}", st.ids[3])).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("链主评价") && page.contains("已启动退出") && page.contains("提出申诉"), "{page}");
    let v2 = (x.row_version + 1).to_string();
    let eid = st.ids[3].to_string();
    let appeal = |text: &str| {
        vec![
            ("csrf", ocsrf.clone()),
            ("action", "appeal".to_string()),
            ("reason", text.to_string()),
            ("version", v2.clone()),
            ("back", "enterprise".to_string()),
            ("enterprise", eid.clone()),
        ]
    };
    let r = owner.post(&exit_url).form(&appeal("")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("请填写申诉理由"), "the enterprise page again, with the message");
    let r = owner.post(&exit_url).form(&appeal("整改已于 2026 年 10 月完成，附验收意见")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with(&format!("/enterprises/{}?msg=", st.ids[3])));
    let page = owner.get(format!("{base}{}", location(&r))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("申诉已提交") && page.contains("待答复"), "{page}");
    let r =
        owner.post(&exit_url).form(&step(&ocsrf, "exit", "x", &(x.row_version + 2).to_string())).send().await.unwrap();
    assert_eq!(r.status(), 403, "an enterprise may not complete its own exit");
    // Another enterprise's account may not appeal for it.
    let spec = format!("enterprise:{}", st.usccs[0]);
    app.create_account(&Actor::cli(), None, "owner1", "甲钢铁", &[Grant::parse(&spec).unwrap()], Some(PW))
        .await
        .unwrap();
    let stranger = client();
    let scsrf = web_login(&stranger, base, "owner1").await;
    let r = stranger
        .post(&exit_url)
        .form(&[
            ("csrf", scsrf.as_str()),
            ("action", "appeal"),
            ("reason", "代为申诉"),
            ("version", "3"),
            ("back", "ledger"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status() == 404 || r.status() == 403, "{}", r.status());

    // The office rejects the appeal and completes the exit from the ledger page.
    let v3 = (x.row_version + 2).to_string();
    let mut decide = step(&csrf, "decide", "验收意见不符合要求", &v3);
    let r = office.post(&exit_url).form(&decide).send().await.unwrap();
    assert_eq!(r.status(), 400, "upheld or not must be chosen");
    decide.push(("upheld", "rejected".into()));
    let r = office.post(&exit_url).form(&decide).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let v4 = (x.row_version + 3).to_string();
    let r = office.post(&exit_url).form(&step(&csrf, "exit", "连续两年未达标且整改不到位", &v4)).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = office.get(format!("{base}{}", location(&r))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("已办结退出") && page.contains("已退出") && page.contains("申诉驳回"), "{page}");
    assert!(
        page.contains("验收意见不符合要求") && page.contains("整改已于 2026 年 10 月完成"),
        "appeal and reply shown"
    );
    let ledger = app.tier_ledger(&Principal::console(), Some("leader"), None).await.unwrap();
    assert!(!ledger.entries.iter().any(|x| x.enterprise_id == st.ids[3]), "out of the ledger");
}

#[tokio::test]
async fn the_runs_api_contract() {
    let e = env().await;
    let st = setup(&e).await;
    let c = client();
    let office = token(&e, "office1").await;
    let region = token(&e, "region1").await;
    let expert = token(&e, "expert1").await;
    let api = |p: &str| format!("{}/api/v1/evaluations{p}", e.base);
    let config = json!({"demonstration": {"min_score": 0.7, "quota": 1}, "cultivation": {"min_score": 0.4, "quota": 2},
        "candidate": {"min_score": 0.0, "quota": 10}, "bar": 0.0, "aggregation": "median", "outlier": 0.25});

    // Create: the county may not; a bad config and bad JSON are 400; then 201.
    let body = json!({"scheme_id": st.scheme, "year": 2025, "config": config});
    let r = c.post(api("/runs")).bearer_auth(&region).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let mut bad = body.clone();
    bad["config"]["bar"] = json!(2);
    let r = c.post(api("/runs")).bearer_auth(&office).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("年度门槛"));
    let r = c
        .post(api("/runs"))
        .bearer_auth(&office)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c.post(api("/runs")).bearer_auth(&office).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let run = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let v: Value = c.get(api("/runs")).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["items"][0]["id"], run);
    assert_eq!(v["items"][0]["status"], "scoring");
    assert_eq!(v["items"][0]["chain_code"], "steel_chain");
    let r = c.get(api(&format!("/runs/{run}"))).bearer_auth(&region).send().await.unwrap();
    assert_eq!(r.status(), 404, "out of the county's scope");

    // Experts.
    let r = c
        .post(api(&format!("/runs/{run}/experts")))
        .bearer_auth(&office)
        .json(&json!({"username": "expert1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = c
        .post(api(&format!("/runs/{run}/experts")))
        .bearer_auth(&office)
        .json(&json!({"username": "expert1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = c
        .post(api(&format!("/runs/{run}/experts")))
        .bearer_auth(&office)
        .json(&json!({"username": "viewer1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The expert's form, declaration and scores.
    let r = c.get(api(&format!("/runs/{run}/scoring"))).bearer_auth(&region).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let form: Value =
        c.get(api(&format!("/runs/{run}/scoring"))).bearer_auth(&expert).send().await.unwrap().json().await.unwrap();
    assert_eq!(form["enterprises"].as_array().unwrap().len(), 4, "{form}");
    assert_eq!(form["indicators"][0]["code"], "tech_level");
    assert_eq!(form["indicators"][0]["levels"][0], json!([10.0, "国内领先"]));
    assert_eq!(form["declared"], false);
    let scores: Vec<Value> = st
        .ids
        .iter()
        .enumerate()
        .flat_map(|(k, e)| {
            [
                json!({"enterprise_id": e, "indicator": "tech_level", "score": 9 - k}),
                json!({"enterprise_id": e, "indicator": "brand", "score": 4}),
            ]
        })
        .collect();
    let r = c
        .put(api(&format!("/runs/{run}/scores")))
        .bearer_auth(&expert)
        .json(&json!({"scores": scores}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "declaration first");
    let r = c
        .post(api(&format!("/runs/{run}/declaration")))
        .bearer_auth(&expert)
        .json(&json!({"confirmed": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .post(api(&format!("/runs/{run}/declaration")))
        .bearer_auth(&expert)
        .json(&json!({"confirmed": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c
        .put(api(&format!("/runs/{run}/scores")))
        .bearer_auth(&expert)
        .json(&json!({"scores": [{"enterprise_id": st.ids[0], "indicator": "brand", "score": 9}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "over the scale");
    let r = c
        .put(api(&format!("/runs/{run}/scores")))
        .bearer_auth(&expert)
        .json(&json!({"scores": scores, "submit": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"saved": 8}));

    // Compute: a stale version is 409; then the results.
    let v: Value = c.get(api(&format!("/runs/{run}"))).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    let version = v["run"]["row_version"].as_i64().unwrap();
    let r = c
        .post(api(&format!("/runs/{run}/compute")))
        .bearer_auth(&office)
        .json(&json!({"version": version + 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let r = c
        .post(api(&format!("/runs/{run}/compute")))
        .bearer_auth(&office)
        .json(&json!({"version": version}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"results": 4}));
    let v: Value = c.get(api(&format!("/runs/{run}"))).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["run"]["status"], "computed");
    assert_eq!(v["result"]["criteria"], json!(["营业收入", "技术水平", "品牌影响"]));
    assert_eq!(v["results"].as_array().unwrap().len(), 4);
    assert_eq!(v["results"][0]["contributions"].as_array().unwrap().len(), 3);
    assert_eq!(v["config"]["aggregation"], "median");
    let first = v["results"][0]["enterprise_id"].as_i64().unwrap();

    // Tiers: an unknown tier is 400; a change needs a reason.
    let tier = |e: i64| api(&format!("/runs/{run}/results/{e}"));
    let r = c.put(tier(first)).bearer_auth(&office).json(&json!({"tier": "gold", "reason": "x"})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("梯度“gold”"));
    let r = c.put(tier(first)).bearer_auth(&office).json(&json!({"tier": "candidate"})).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .put(tier(999_999))
        .bearer_auth(&office)
        .json(&json!({"tier": "candidate", "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = c
        .put(tier(first))
        .bearer_auth(&office)
        .json(&json!({"tier": "cultivation", "reason": "安全生产事故"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let v: Value = c.get(api(&format!("/runs/{run}"))).bearer_auth(&office).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["results"][0]["tier"], "cultivation");
    let version = v["run"]["row_version"].as_i64().unwrap();

    // Review: approve once (what changed), a second time 409.
    let review = |body: Value| c.post(api(&format!("/runs/{run}/review"))).bearer_auth(&office).json(&body).send();
    let r = review(json!({"action": "vote", "version": version})).await.unwrap();
    assert_eq!(r.status(), 400);
    let r = review(json!({"action": "approve", "version": version - 1})).await.unwrap();
    assert_eq!(r.status(), 409, "a stale version");
    let r = review(json!({"action": "approve", "version": version})).await.unwrap();
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["entered"], 4, "{s}");
    for k in ["promoted", "demoted", "kept", "warnings", "initiated", "lifted"] {
        assert_eq!(s[k], 0, "{k}: {s}");
    }
    let r = review(json!({"action": "approve", "version": version + 1})).await.unwrap();
    assert_eq!(r.status(), 409, "approved once only");

    // The ledger and the workbook.
    let r = c.get(api("/ledger?target=leader&chain=steel_chain")).bearer_auth(&office).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let l: Value = r.json().await.unwrap();
    let entries = l["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 4, "{l}");
    let mine = entries.iter().find(|x| x["enterprise_id"] == first).unwrap();
    assert_eq!(mine["tier"], "cultivation");
    assert_eq!(mine["since_year"], 2025);
    assert!(l["exits"].as_array().unwrap().is_empty());
    assert_eq!(l["history"].as_array().unwrap().len(), 4);
    assert!(l["history"][0]["event"] == "entered");
    let r = c.get(api("/ledger?target=boss")).bearer_auth(&office).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = c.get(api("/ledger")).bearer_auth(&region).send().await.unwrap();
    assert_eq!(r.status(), 200, "the county reads the ledger of its own enterprises");
    assert_eq!(r.json::<Value>().await.unwrap()["entries"].as_array().unwrap().len(), 4);
    let r = c.get(api(&format!("/runs/{run}/export.xlsx"))).bearer_auth(&office).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes().await.unwrap()[..2], b"PK");
    let _ = st.chain;
}
