//! Yearly evaluation runs: the office creates a run (inputs snapshotted), assigns experts who
//! declare conflicts and score, computes, reviews (tiers changed with reasons, a return,
//! approval), and the three-tier ledger changes with history; the exit procedure runs from
//! warning to exit with an appeal; the exported workbook recomputes to identical numbers.

use crate::harness::{audit_rows, backends, count, input, principal, uscc};
use app::AppError;
use app::account::Principal;
use app::eval::{Method, Weighting};
use app::evalrun::{ExitAction, NewRun, ReviewAction, RunConfig, ScoreIn, TierRule};
use app::scheme::{Dimension, IndicatorDef, Level, Measure, Missing, NewScheme, SchemeDef, Source};
use domain::eval::{Kind, Normalization};

fn definition() -> SchemeDef {
    let q = |code: &str, name: &str, source: Source, missing: Missing| IndicatorDef {
        code: code.into(),
        name: name.into(),
        direction: Kind::Benefit,
        measure: Measure::Quantitative { source, missing },
    };
    SchemeDef {
        dimensions: vec![
            Dimension {
                code: "position".into(),
                name: "产业地位".into(),
                indicators: vec![
                    q("rev", "营业收入", Source::Indicator { code: "revenue".into() }, Missing::Exclude),
                    q("tax", "税收", Source::Indicator { code: "tax".into() }, Missing::Zero),
                ],
            },
            Dimension {
                code: "innovation".into(),
                name: "创新能力".into(),
                indicators: vec![IndicatorDef {
                    code: "tech".into(),
                    name: "技术水平".into(),
                    direction: Kind::Benefit,
                    measure: Measure::Qualitative {
                        scale_max: 10.0,
                        levels: vec![
                            Level { score: 10.0, guidance: "国内领先".into() },
                            Level { score: 5.0, guidance: "省内先进".into() },
                        ],
                    },
                }],
            },
        ],
        weighting: Weighting::Entropy { shift: false },
        method: Method::Topsis,
        normalization: Normalization::Vector,
    }
}

/// Everyone gets a tier (candidate from 0): the ledger fills on the first approval.
fn open_config() -> RunConfig {
    RunConfig {
        demonstration: TierRule { min_score: 0.7, quota: 1 },
        cultivation: TierRule { min_score: 0.4, quota: 2 },
        candidate: TierRule { min_score: 0.0, quota: 10 },
        bar: 0.0,
        ..RunConfig::default()
    }
}

/// [`full_run_until_computed`], then approved.
async fn full_run(app: &app::App, office: &Principal, expert: &Principal, scheme: i64, year: i64) -> i64 {
    let run = full_run_until_computed(app, office, expert, scheme, year).await;
    let v = app.run_view(office, run).await.expect("view");
    app.review_run(office, run, ReviewAction::Approve, "", v.run.row_version).await.expect("approve");
    run
}

#[tokio::test]
async fn a_yearly_run_from_expert_scores_to_the_ledger_and_exits() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let office = principal(app, "office", "强链办", &["office"]).await;
        let lead = principal(app, "lead", "经信局", &["lead_dept:jxj"]).await;
        let e1 = principal(app, "expert1", "专家甲", &["expert"]).await;
        let e2 = principal(app, "expert2", "专家乙", &["expert"]).await;
        let e3 = principal(app, "expert3", "专家丙", &["expert"]).await;
        principal(app, "notexpert", "非专家", &["viewer"]).await;
        let county = principal(app, "county", "通川区", &["region:511702"]).await;
        let cid = crate::harness::test_chain(app, "run_chain", "jxj").await;
        let key = cid.to_string();
        let seg = app
            .add_segment(
                &office,
                &key,
                &app::chainmap::SegmentInput {
                    code: "s".into(),
                    name: "环节".into(),
                    stage: "midstream".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("segment");
        let mut ids = Vec::new();
        let mut usccs = Vec::new();
        for i in 0..6u32 {
            let code = uscc("511722", 80 + i);
            let e = app
                .create_enterprise(&office, &input(&code, &format!("参评{i}（示例）"), "511722", "2614"))
                .await
                .expect("enterprise");
            app.place_enterprise(&office, &key, seg, e, "leader").await.expect("place");
            ids.push(e);
            usccs.push(code);
        }
        let spec = format!("enterprise:{}", usccs[5]);
        let owner = principal(app, "owner5", "企业五", &[spec.as_str()]).await;
        // Revenue and tax 2024–2026; the sixth enterprise has no revenue after 2024.
        let mut values = Vec::new();
        for year in 2024..=2026 {
            for (k, e) in ids.iter().enumerate() {
                if k == 5 && year > 2024 {
                    continue;
                }
                let base = (k as f64 + 1.0) * 100.0 + (year - 2024) as f64 * 10.0;
                for (code, v) in [("revenue", base * 3.0), ("tax", base / 10.0 + (k % 2) as f64 * 7.0)] {
                    values.push(store::indicator::NewValue {
                        enterprise_id: *e,
                        indicator_code: code.into(),
                        period: year.to_string(),
                        value: v,
                        source: "测试".into(),
                        reported_on: None,
                    });
                }
            }
        }
        let mut tx = app.db.begin().await.expect("tx");
        store::indicator::upsert(&mut tx, &values, app.now(), None).await.expect("values");
        tx.commit().await.expect("commit");
        let scheme = app
            .create_scheme(
                &office,
                &NewScheme {
                    code: "run_leader".into(),
                    name: "链主评价（示例）".into(),
                    target: "leader".into(),
                    chain: Some(key.clone()),
                    definition: definition(),
                    note: String::new(),
                },
            )
            .await
            .expect("scheme");

        // Refusals store nothing.
        let audits = audit_rows(app).await;
        let new = |year: i64, config: Option<RunConfig>| NewRun {
            scheme_id: scheme,
            version: None,
            chain: None,
            year,
            config,
        };
        assert!(matches!(app.create_run(&lead, &new(2024, None)).await, Err(AppError::Forbidden(_))), "{n}");
        let mut bad = RunConfig::default();
        bad.demonstration.min_score = 0.1;
        match app.create_run(&office, &new(2024, Some(bad))).await {
            Err(AppError::Invalid(e)) => assert!(e[0].message.contains("示范库 ≥ 培育库"), "{n}: {e:?}"),
            other => panic!("{n}: {other:?}"),
        }
        assert!(matches!(app.create_run(&office, &new(2019, None)).await, Err(AppError::Invalid(_))), "{n}: no data");
        assert_eq!(count(app, "SELECT COUNT(*) FROM eval_run").await, 0, "{n}");
        assert_eq!(audit_rows(app).await, audits, "{n}");

        // 2024: created with its inputs snapshotted.
        let run = app.create_run(&office, &new(2024, Some(open_config()))).await.expect("run");
        let v = app.run_view(&lead, run).await.expect("the lead department reads its chain's run");
        assert_eq!(v.run.status, "scoring", "{n}");
        assert_eq!(v.snapshot.matrix.table.ids.len(), 6, "{n}");
        assert!(matches!(app.run_view(&county, run).await, Err(AppError::Forbidden(_) | AppError::NotFound)), "{n}");
        // A later change to the ledger does not change the run.
        let mut tx = app.db.begin().await.expect("tx");
        store::indicator::upsert(
            &mut tx,
            &[store::indicator::NewValue {
                enterprise_id: ids[0],
                indicator_code: "revenue".into(),
                period: "2024".into(),
                value: 1.0,
                source: "更正".into(),
                reported_on: None,
            }],
            app.now(),
            None,
        )
        .await
        .expect("value");
        tx.commit().await.expect("commit");
        let again = app.run_view(&office, run).await.expect("view");
        assert_eq!(again.snapshot.matrix.table.rows, v.snapshot.matrix.table.rows, "{n}: snapshot kept");

        // Experts.
        match app.assign_expert(&office, run, "notexpert").await {
            Err(AppError::Invalid(e)) => assert!(e[0].message.contains("不是专家账号"), "{n}"),
            other => panic!("{n}: {other:?}"),
        }
        assert!(matches!(app.assign_expert(&office, run, "nobody").await, Err(AppError::Invalid(_))), "{n}");
        assert!(matches!(app.assign_expert(&lead, run, "expert1").await, Err(AppError::Forbidden(_))), "{n}");
        for x in ["expert1", "expert2", "expert3"] {
            app.assign_expert(&office, run, x).await.expect("assign");
        }
        assert!(matches!(app.assign_expert(&office, run, "expert1").await, Err(AppError::Conflict(_))), "{n}");
        let s =
            |e: i64, score: f64| ScoreIn {
                enterprise_id: e, indicator: "tech".into(), score, note: "依据年报".into()
            };
        // Scoring needs the declaration first.
        assert!(matches!(app.save_scores(&e1, run, &[s(ids[1], 8.0)], false).await, Err(AppError::Conflict(_))), "{n}");
        assert!(matches!(app.declare_conflicts(&e1, run, &[ids[0]], "", true).await, Err(AppError::Invalid(_))), "{n}");
        assert!(matches!(app.declare_conflicts(&e1, run, &[], "", false).await, Err(AppError::Invalid(_))), "{n}");
        assert!(
            matches!(app.declare_conflicts(&e1, run, &[999_999], "亲属", true).await, Err(AppError::Invalid(_))),
            "{n}: a forged id"
        );
        assert!(matches!(app.declare_conflicts(&lead, run, &[], "", true).await, Err(AppError::Forbidden(_))), "{n}");
        app.declare_conflicts(&e1, run, &[ids[0]], "曾任该企业技术顾问", true).await.expect("declare");
        app.declare_conflicts(&e2, run, &[], "", true).await.expect("declare");
        app.declare_conflicts(&e3, run, &[], "", true).await.expect("declare");
        let scores_before = count(app, "SELECT COUNT(*) FROM eval_score").await;
        for bad in [
            vec![s(ids[0], 8.0)],
            vec![s(ids[1], 11.0)],
            vec![s(999_999, 5.0)],
            vec![ScoreIn { indicator: "rev".into(), ..s(ids[1], 5.0) }],
        ] {
            assert!(matches!(app.save_scores(&e1, run, &bad, false).await, Err(AppError::Invalid(_))), "{n}");
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM eval_score").await, scores_before, "{n}");
        // Expert 1 scores the five it has no conflict with, in two saves; an incomplete submit is refused.
        app.save_scores(&e1, run, &[s(ids[1], 9.0), s(ids[2], 6.0)], false).await.expect("save");
        match app.save_scores(&e1, run, &[], true).await {
            Err(AppError::Invalid(e)) => assert!(e[0].message.contains("还有 3 项未评分"), "{n}: {e:?}"),
            other => panic!("{n}: {other:?}"),
        }
        app.save_scores(&e1, run, &[s(ids[3], 5.0), s(ids[4], 4.0), s(ids[5], 3.0)], true).await.expect("submit");
        assert!(matches!(app.save_scores(&e1, run, &[s(ids[1], 1.0)], false).await, Err(AppError::Conflict(_))), "{n}");
        let form = app.scoring_form(&e1, run).await.expect("form");
        assert!(form.submitted && form.conflicts == vec![ids[0]] && form.scores.len() == 5, "{n}");
        assert_eq!(form.indicators[0].levels[0], (10.0, "国内领先".to_string()), "{n}: guidance, best first");
        // Experts 2 and 3; expert 3 is far from the others on enterprise 1 (an outlier).
        let all = |x: [f64; 6]| ids.iter().zip(x).map(|(e, v)| s(*e, v)).collect::<Vec<_>>();
        app.save_scores(&e2, run, &all([8.0, 8.0, 6.0, 5.0, 4.0, 3.0]), true).await.expect("e2");
        app.save_scores(&e3, run, &all([9.0, 1.0, 7.0, 5.0, 4.0, 2.0]), true).await.expect("e3");

        // Computed: stale version refused; the matrix, the aggregation, outliers, contributions.
        let v = app.run_view(&office, run).await.expect("view");
        assert!(
            matches!(app.compute_run(&office, run, v.run.row_version + 1).await, Err(AppError::Conflict(_))),
            "{n}"
        );
        assert!(matches!(app.compute_run(&lead, run, v.run.row_version).await, Err(AppError::Forbidden(_))), "{n}");
        assert_eq!(app.compute_run(&office, run, v.run.row_version).await.expect("compute"), 6, "{n}");
        let v = app.run_view(&office, run).await.expect("view");
        assert!(
            matches!(app.compute_run(&office, run, v.run.row_version).await, Err(AppError::Conflict(_))),
            "{n}: computed once per scoring round"
        );
        // The expert's view of the run carries no results.
        let form = serde_json::to_value(app.scoring_form(&e2, run).await.expect("form")).expect("json");
        assert!(form["run"].get("result").is_none() && form["run"].get("snapshot").is_none(), "{n}");
        assert_eq!(v.run.status, "computed", "{n}");
        let res = v.result.clone().expect("result");
        assert_eq!(res.criteria, vec!["营业收入", "税收", "技术水平"], "{n}");
        let row = |e: i64| res.rows[res.ids.iter().position(|x| *x == e.to_string()).expect("row")].clone();
        assert_eq!(row(ids[0])[2], 8.5, "{n}: expert 1 declared a conflict, the mean of 8 and 9");
        assert_eq!(row(ids[1])[2], 6.0, "{n}: mean of 9, 8, 1");
        assert_eq!(row(ids[0])[0], 300.0, "{n}: the snapshot's revenue, not the later correction");
        assert!(
            res.outliers
                .iter()
                .any(|o| o.enterprise_id == ids[1] && o.expert == "专家丙" && o.score == 1.0 && o.median == 8.0),
            "{n}: {:?}",
            res.outliers
        );
        assert!(!res.outliers.iter().any(|o| o.enterprise_id == ids[2]), "{n}");
        // Recomputed from the stored matrix with the printed arguments: identical numbers.
        let kinds: Vec<Kind> = res.types.iter().map(|t| Kind::parse(t).expect("kind")).collect();
        let w = app::eval::parse_weighting(&res.weighting, &|_| Ok(Vec::new())).expect("weighting");
        let table = app::eval::Table { criteria: res.criteria.clone(), ids: res.ids.clone(), rows: res.rows.clone() };
        let (method, how) = (method_of(&res.method), normalization_of(&res.normalization));
        let again = app::eval::compute_with(&table, &kinds, &w, method, how, true).expect("again");
        assert_eq!(again.weights, res.weights, "{n}");
        for r in &v.results {
            let a = again.results.iter().find(|x| x.id == r.enterprise_id.to_string()).expect("same id");
            assert_eq!((a.score.to_bits(), a.rank), (r.score.to_bits(), r.rank), "{n}");
            let sum: f64 = r.contributions.iter().sum();
            assert!((sum - r.score).abs() < 1e-12, "{n}: contributions add up to the score");
        }
        // The proposal follows the thresholds and quotas.
        let tiers = |t: &str| v.results.iter().filter(|r| r.proposed_tier.as_deref() == Some(t)).count();
        let top = v.results[0].score;
        let expect_demo = usize::from(top >= 0.7);
        assert_eq!(tiers("demonstration"), expect_demo, "{n}: the best if it reaches 0.7, one place");
        let cult = v.results.iter().skip(expect_demo).filter(|r| r.score >= 0.4).count().min(2);
        assert_eq!(tiers("cultivation"), cult, "{n}");
        assert_eq!(v.results.iter().filter(|r| r.proposed_tier.is_some()).count(), 6, "{n}: candidate from 0");
        for r in &v.results {
            if r.proposed_tier.as_deref() == Some("demonstration") {
                assert!(r.score >= 0.7 && r.rank == 1.0, "{n}");
            }
        }

        // Review: a tier change needs a reason; a return reopens scoring; approval updates the ledger.
        let best = v.results[0].enterprise_id;
        assert!(matches!(
            app.set_run_tier(&office, run, best, Some("candidate"), " ").await,
            Err(AppError::Invalid(_))
        ));
        app.set_run_tier(&office, run, best, Some("cultivation"), "安全生产事故，降一档").await.expect("tier");
        // A page read before the tier change is stale for the review.
        assert!(
            matches!(
                app.review_run(&office, run, ReviewAction::Approve, "", v.run.row_version).await,
                Err(AppError::Conflict(_))
            ),
            "{n}: stale"
        );
        let v = app.run_view(&office, run).await.expect("view");
        assert_eq!(
            v.results.iter().find(|r| r.enterprise_id == best).and_then(|r| r.tier.clone()).as_deref(),
            Some("cultivation")
        );
        app.review_run(&office, run, ReviewAction::Comment, "请核对专家丙的评分", v.run.row_version)
            .await
            .expect("comment");
        assert!(matches!(
            app.review_run(&office, run, ReviewAction::Return, "", v.run.row_version).await,
            Err(AppError::Invalid(_))
        ));
        app.review_run(&office, run, ReviewAction::Return, "专家丙对参评1的评分偏离较大，请复核", v.run.row_version)
            .await
            .expect("return");
        let v = app.run_view(&office, run).await.expect("view");
        assert!(v.run.status == "scoring" && v.results.is_empty() && v.result.is_none(), "{n}");
        assert!(v.experts.iter().all(|x| !x.submitted), "{n}: experts may revise");
        app.save_scores(&e3, run, &[s(ids[1], 7.0)], true).await.expect("revised");
        app.save_scores(&e1, run, &[], true).await.expect("resubmit");
        app.save_scores(&e2, run, &[], true).await.expect("resubmit");
        app.compute_run(&office, run, v.run.row_version).await.expect("compute");
        let v = app.run_view(&office, run).await.expect("view");
        assert!(v.result.as_ref().expect("result").outliers.is_empty(), "{n}");
        app.set_run_tier(&office, run, v.results[0].enterprise_id, Some("cultivation"), "安全生产事故，降一档")
            .await
            .expect("tier");
        let v = app.run_view(&office, run).await.expect("view");
        let audits = audit_rows(app).await;
        let summary =
            app.review_run(&office, run, ReviewAction::Approve, "同意", v.run.row_version).await.expect("approve");
        assert_eq!(summary.entered, 6, "{n}");
        assert_eq!(audit_rows(app).await, audits + 1, "{n}");
        assert!(matches!(
            app.review_run(&office, run, ReviewAction::Approve, "", v.run.row_version + 1).await,
            Err(AppError::Conflict(_))
        ));
        let ledger = app.tier_ledger(&lead, Some("leader"), Some(&key)).await.expect("ledger");
        assert_eq!(ledger.entries.len(), 6, "{n}");
        assert!(ledger.entries.iter().all(|e| e.since_year == 2024), "{n}");
        assert!(
            ledger.entries.iter().any(|e| e.enterprise_id == v.results[0].enterprise_id && e.tier == "cultivation")
        );
        assert!(ledger.history.iter().any(|h| h.reason.contains("复核调整：安全生产事故")), "{n}");
        assert!(app.tier_ledger(&county, None, None).await.expect("county").entries.is_empty(), "{n}: out of scope");
        // A second run of the same year cannot be approved too.
        let dup = full_run_until_computed(app, &office, &e2, scheme, 2024).await;
        let dv = app.run_view(&office, dup).await.expect("view");
        assert!(matches!(
            app.review_run(&office, dup, ReviewAction::Approve, "", dv.run.row_version).await,
            Err(AppError::Conflict(_))
        ));

        // The workbook: the matrix sheet read back recomputes to the same numbers.
        let bytes = app.run_xlsx(&office, run).await.expect("xlsx");
        let table = app::eval::read_matrix(&bytes, "run.xlsx").expect("matrix sheet");
        let res = v.result.clone().expect("result");
        assert_eq!(table.rows, res.rows, "{n}: exact values");
        assert_eq!(table.ids, res.usccs, "{n}");
        let again = app::eval::compute_with(&table, &kinds, &w, method, how, true).expect("again");
        for (a, b) in again.results.iter().zip(&res.usccs) {
            let r = v.results.iter().find(|r| &r.uscc == b).expect("result");
            assert_eq!(a.score.to_bits(), r.score.to_bits(), "{n}");
        }

        // 2025: the sixth enterprise has no revenue — excluded, a warning; the office takes the
        // fifth out on review — a warning it then lifts.
        let run25 = full_run_until_computed(app, &office, &e2, scheme, 2025).await;
        let v25 = app.run_view(&office, run25).await.expect("view");
        assert_eq!(v25.results.len(), 5, "{n}");
        assert!(v25.snapshot.matrix.notes.iter().any(|x| x.contains("不参加本次评价")), "{n}");
        app.set_run_tier(&office, run25, ids[4], None, "环保督察整改未完成").await.expect("out");
        let s25 =
            app.review_run(&office, run25, ReviewAction::Approve, "", v25.run.row_version + 1).await.expect("approve");
        assert_eq!((s25.warnings, s25.initiated), (2, 0), "{n}");
        let ledger = app.tier_ledger(&office, Some("leader"), Some(&key)).await.expect("ledger");
        let exit_of = |e: i64| ledger.exits.iter().find(|x| x.enterprise_id == e && x.state == "warning").cloned();
        let x5 = exit_of(ids[5]).expect("warning for the sixth");
        assert!(x5.reason.contains("未参加 2025 年度评价"), "{n}: {}", x5.reason);
        let x4 = exit_of(ids[4]).expect("warning for the fifth");
        assert!(x4.reason.contains("环保督察"), "{n}");
        assert_eq!(ledger.entries.len(), 6, "{n}: still in the ledger while warned");
        // Lifting: not by the lead department, with a reason, once.
        let lift = ExitAction::Lift { reason: "整改已完成，经核查解除".into() };
        // Another enterprise's account cannot appeal this one's procedure.
        assert!(matches!(
            app.exit_step(&owner, x4.id, &ExitAction::Appeal { text: "冒名申诉".into() }, x4.row_version).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.exit_step(&lead, x4.id, &lift, x4.row_version).await,
            Err(AppError::Forbidden(_) | AppError::NotFound)
        ));
        assert!(matches!(
            app.exit_step(&office, x4.id, &ExitAction::Lift { reason: " ".into() }, x4.row_version).await,
            Err(AppError::Invalid(_))
        ));
        assert_eq!(app.exit_step(&office, x4.id, &lift, x4.row_version).await.expect("lift"), "lifted", "{n}");
        assert!(
            matches!(app.exit_step(&office, x4.id, &lift, x4.row_version + 1).await, Err(AppError::Conflict(_))),
            "{n}"
        );

        // 2026: the sixth fails again — the exit is initiated by itself; it appeals, the office
        // rejects the appeal and completes the exit.
        let run26 = full_run_until_computed(app, &office, &e2, scheme, 2026).await;
        let v26 = app.run_view(&office, run26).await.expect("view");
        let s26 =
            app.review_run(&office, run26, ReviewAction::Approve, "", v26.run.row_version).await.expect("approve");
        assert_eq!(s26.initiated, 1, "{n}");
        let ledger = app.tier_ledger(&office, Some("leader"), Some(&key)).await.expect("ledger");
        let x5 = ledger.exits.iter().find(|x| x.id == x5.id).cloned().expect("exit");
        assert_eq!(x5.state, "initiated", "{n}");
        assert!(ledger.history.iter().any(|h| h.event == "initiated" && h.reason.contains("连续两个年度")), "{n}");
        let appeal = ExitAction::Appeal { text: "2025 年数据漏报，已补报".into() };
        assert!(matches!(app.exit_step(&county, x5.id, &appeal, x5.row_version).await, Err(AppError::NotFound)), "{n}");
        app.exit_step(&owner, x5.id, &appeal, x5.row_version).await.expect("appeal");
        assert!(
            matches!(app.exit_step(&owner, x5.id, &appeal, x5.row_version + 1).await, Err(AppError::Conflict(_))),
            "{n}"
        );
        let exit = ExitAction::Exit { reason: "连续两年未参评".into() };
        assert!(
            matches!(app.exit_step(&office, x5.id, &exit, x5.row_version + 1).await, Err(AppError::Conflict(_))),
            "{n}: appeal pending"
        );
        assert!(
            matches!(app.exit_step(&owner, x5.id, &exit, x5.row_version + 1).await, Err(AppError::Forbidden(_))),
            "{n}"
        );
        app.exit_step(
            &office,
            x5.id,
            &ExitAction::Decide { upheld: false, reply: "补报数据不符合口径".into() },
            x5.row_version + 1,
        )
        .await
        .expect("decide");
        assert_eq!(app.exit_step(&office, x5.id, &exit, x5.row_version + 2).await.expect("exit"), "exited", "{n}");
        let ledger = app.tier_ledger(&office, Some("leader"), Some(&key)).await.expect("ledger");
        assert_eq!(ledger.entries.len(), 5, "{n}");
        assert!(!ledger.entries.iter().any(|e| e.enterprise_id == ids[5]), "{n}");
        let events: Vec<&str> =
            ledger.history.iter().filter(|h| h.enterprise_id == ids[5]).map(|h| h.event.as_str()).collect();
        assert_eq!(events, vec!["entered", "warning", "initiated", "appealed", "rejected", "exited"], "{n}");
        let years: Vec<i64> = ledger.history.iter().filter(|h| h.enterprise_id == ids[5]).map(|h| h.year).collect();
        assert_eq!(&years[..3], &[2024, 2025, 2026], "{n}");
        // The enterprise's own view: its tiers, results with contributions, the exit.
        let mine = app.enterprise_evaluation(&office, ids[0]).await.expect("view");
        assert_eq!(mine.runs.len(), 3, "{n}: 2024, 2025, 2026 approved");
        assert_eq!(mine.runs[0].0.year, 2026, "{n}");
        assert_eq!(mine.runs[0].3.contributions.len(), 3, "{n}");
        let gone = app.enterprise_evaluation(&owner, ids[5]).await.expect("own view");
        assert!(gone.entries.is_empty() && gone.exits[0].state == "exited", "{n}");
        assert!(
            matches!(app.enterprise_evaluation(&owner, ids[0]).await, Err(AppError::NotFound | AppError::Forbidden(_))),
            "{n}"
        );
        // An expert not assigned to a run sees nothing of it.
        assert!(matches!(app.scoring_form(&e1, run26).await, Err(AppError::Forbidden(_))), "{n}");
    }
}

/// Create a run with one expert who scores everything, and compute it (not approved).
async fn full_run_until_computed(
    app: &app::App,
    office: &Principal,
    expert: &Principal,
    scheme: i64,
    year: i64,
) -> i64 {
    let run = app
        .create_run(
            office,
            &NewRun { scheme_id: scheme, version: None, chain: None, year, config: Some(open_config()) },
        )
        .await
        .expect("run");
    app.assign_expert(office, run, &expert.username).await.expect("assign");
    app.declare_conflicts(expert, run, &[], "", true).await.expect("declare");
    let form = app.scoring_form(expert, run).await.expect("form");
    let scores: Vec<ScoreIn> = form
        .enterprises
        .iter()
        .enumerate()
        .map(|(k, e)| ScoreIn {
            enterprise_id: e.0,
            indicator: "tech".into(),
            score: (k % 10) as f64,
            note: String::new(),
        })
        .collect();
    app.save_scores(expert, run, &scores, true).await.expect("submit");
    let v = app.run_view(office, run).await.expect("view");
    app.compute_run(office, run, v.run.row_version).await.expect("compute");
    run
}

/// Given weights, the weighted sum on min-max values, a chain-share column of awkward
/// fractions: the exported workbook still recomputes bit for bit, with the printed command's
/// arguments; runs are approved year by year.
#[tokio::test]
async fn given_weights_export_exactly_and_years_are_approved_in_order() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let office = principal(app, "office", "强链办", &["office"]).await;
        let expert = principal(app, "expert", "专家", &["expert"]).await;
        let cid = crate::harness::test_chain(app, "run_chain2", "jxj").await;
        let key = cid.to_string();
        let seg = app
            .add_segment(
                &office,
                &key,
                &app::chainmap::SegmentInput {
                    code: "s".into(),
                    name: "环节".into(),
                    stage: "upstream".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("segment");
        let mut values = Vec::new();
        for i in 0..7u32 {
            let e = app
                .create_enterprise(
                    &office,
                    &input(&uscc("511722", 90 + i), &format!("批次{i}（示例）"), "511722", "2614"),
                )
                .await
                .expect("enterprise");
            app.place_enterprise(&office, &key, seg, e, "leader").await.expect("place");
            for year in [2024, 2025] {
                for (code, v) in
                    [("revenue", 1000.0 / (i as f64 + 3.0) + year as f64 / 7.0), ("tax", (i as f64 + 1.0).sqrt())]
                {
                    values.push(store::indicator::NewValue {
                        enterprise_id: e,
                        indicator_code: code.into(),
                        period: year.to_string(),
                        value: v,
                        source: "测试".into(),
                        reported_on: None,
                    });
                }
            }
        }
        let mut tx = app.db.begin().await.expect("tx");
        store::indicator::upsert(&mut tx, &values, app.now(), None).await.expect("values");
        tx.commit().await.expect("commit");
        let mut def = definition();
        def.dimensions[0].indicators[0].measure =
            Measure::Quantitative { source: Source::ChainShare { code: "revenue".into() }, missing: Missing::Zero };
        def.weighting = Weighting::Given(vec![3.0, 1.0, 1.0]);
        def.method = Method::Wsum;
        def.normalization = Normalization::MinMax;
        let scheme = app
            .create_scheme(
                &office,
                &NewScheme {
                    code: "batch".into(),
                    name: "批次".into(),
                    target: "leader".into(),
                    chain: Some(key.clone()),
                    definition: def,
                    note: String::new(),
                },
            )
            .await
            .expect("scheme");
        let r24 = full_run_until_computed(app, &office, &expert, scheme, 2024).await;
        let r25 = full_run(app, &office, &expert, scheme, 2025).await;
        // 2025 approved: 2024 can no longer be.
        let v24 = app.run_view(&office, r24).await.expect("view");
        match app.review_run(&office, r24, ReviewAction::Approve, "", v24.run.row_version).await {
            Err(AppError::Conflict(m)) => assert!(m.contains("不能再审定更早的 2024 年度"), "{n}: {m}"),
            other => panic!("{n}: {other:?}"),
        }
        let ledger = app.tier_ledger(&office, None, Some(&key)).await.expect("ledger");
        assert_eq!(ledger.entries.len(), 7, "{n}");
        assert!(ledger.entries.iter().all(|e| e.since_year == 2025), "{n}");

        // The workbook's matrix and the printed command reproduce the run bit for bit.
        let v = app.run_view(&office, r25).await.expect("view");
        let res = v.result.clone().expect("result");
        let command = res.command("run.xlsx");
        assert!(
            command.contains("--weighting given:") && command.contains("--method wsum --normalization minmax"),
            "{command}"
        );
        let arg =
            |flag: &str| command.split(flag).nth(1).and_then(|x| x.split_whitespace().next()).expect("arg").to_string();
        let bytes = app.run_xlsx(&office, r25).await.expect("xlsx");
        let table = app::eval::read_matrix(&bytes, "run.xlsx").expect("matrix");
        assert_eq!(table.ids, res.usccs, "{n}");
        let stored: Vec<Vec<u64>> = res.rows.iter().map(|r| r.iter().map(|x| x.to_bits()).collect()).collect();
        let read: Vec<Vec<u64>> = table.rows.iter().map(|r| r.iter().map(|x| x.to_bits()).collect()).collect();
        assert_eq!(read, stored, "{n}: the matrix as computed");
        let kinds = app::eval::parse_kinds(&arg("--types ")).expect("types");
        let w = app::eval::parse_weighting(&arg("--weighting "), &|_| Ok(Vec::new())).expect("weighting");
        let again = app::eval::compute_with(
            &table,
            &kinds,
            &w,
            method_of(&arg("--method ")),
            normalization_of(&arg("--normalization ")),
            true,
        )
        .expect("recompute");
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&again.weights), bits(&res.weights), "{n}");
        assert!((res.weights[0] - 0.6).abs() < 1e-12, "{n}: given 3:1:1");
        for (a, u) in again.results.iter().zip(&res.usccs) {
            let r = v.results.iter().find(|r| &r.uscc == u).expect("result");
            assert_eq!((a.score.to_bits(), a.rank), (r.score.to_bits(), r.rank), "{n}");
        }
    }
}

fn method_of(s: &str) -> Method {
    Method::parse(s).expect("method")
}

fn normalization_of(s: &str) -> Normalization {
    if s == "minmax" { Normalization::MinMax } else { Normalization::Vector }
}
