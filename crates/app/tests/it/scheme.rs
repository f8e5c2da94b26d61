//! Evaluation schemes: the office defines and versions them; a bad definition stores nothing;
//! the matrix of a scheme's quantitative indicators reads the ledger (yearly values, monthly
//! sums, growth, shares, ratios, local supply, honours) and handles missing values as the
//! scheme says; `eval::compute` ranks it.

use crate::harness::{audit_rows, backends, count, input, principal, uscc};
use app::AppError;
use app::eval::{Method, Weighting};
use app::scheme::{Dimension, IndicatorDef, Level, Measure, Missing, NewScheme, SchemeDef, Source};
use domain::eval::{Kind, Normalization};

fn quant(code: &str, name: &str, source: Source, missing: Missing) -> IndicatorDef {
    IndicatorDef {
        code: code.into(),
        name: name.into(),
        direction: Kind::Benefit,
        measure: Measure::Quantitative { source, missing },
    }
}

fn definition() -> SchemeDef {
    SchemeDef {
        dimensions: vec![
            Dimension {
                code: "position".into(),
                name: "产业地位".into(),
                indicators: vec![
                    quant("rev", "营业收入", Source::Indicator { code: "revenue".into() }, Missing::Exclude),
                    quant("growth", "营收增速", Source::Growth { code: "revenue".into() }, Missing::Zero),
                    quant("share", "产值占全链比重", Source::ChainShare { code: "output_value".into() }, Missing::Zero),
                ],
            },
            Dimension {
                code: "innovation".into(),
                name: "创新能力".into(),
                indicators: vec![
                    quant(
                        "rd",
                        "研发强度",
                        Source::Ratio { numerator: "rd_expense".into(), denominator: "revenue".into() },
                        Missing::Mean,
                    ),
                    IndicatorDef {
                        code: "tech".into(),
                        name: "技术水平（专家评分）".into(),
                        direction: Kind::Benefit,
                        measure: Measure::Qualitative {
                            scale_max: 10.0,
                            levels: vec![
                                Level { score: 10.0, guidance: "国内领先".into() },
                                Level { score: 5.0, guidance: "省内先进".into() },
                            ],
                        },
                    },
                ],
            },
            Dimension {
                code: "integration".into(),
                name: "链群带动".into(),
                indicators: vec![
                    quant("partners", "本地配套企业数", Source::LocalPartners, Missing::Zero),
                    quant("local_buy", "本地采购额", Source::LocalPurchase, Missing::Zero),
                    quant("honours", "荣誉数", Source::Honours, Missing::Zero),
                ],
            },
        ],
        weighting: Weighting::Entropy { shift: false },
        method: Method::Topsis,
        normalization: Normalization::Vector,
    }
}

#[tokio::test]
async fn office_defines_versions_and_computes_a_scheme() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let office = principal(app, "office", "强链办", &["office"]).await;
        let lead = principal(app, "lead", "经信局", &["lead_dept:jxj"]).await;
        let cid = crate::harness::test_chain(app, "eval_chain", "jxj").await;
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
        for i in 0..4u32 {
            let e = app
                .create_enterprise(
                    &office,
                    &input(&uscc("511722", 60 + i), &format!("评价{i}（示例）"), "511722", "2614"),
                )
                .await
                .expect("enterprise");
            app.place_enterprise(&office, &key, seg, e, "member").await.expect("place");
            ids.push(e);
        }
        // Ledger figures: yearly revenue for all three in 2025 (and 2024 for two), output as
        // monthly rows for one (they add up), R&D for two, a local supply, an honour.
        let v = |e: i64, code: &str, period: &str, value: f64| store::indicator::NewValue {
            enterprise_id: e,
            indicator_code: code.into(),
            period: period.into(),
            value,
            source: "测试".into(),
            reported_on: None,
        };
        let values = vec![
            v(ids[0], "revenue", "2025", 1000.0),
            v(ids[1], "revenue", "2025", 500.0),
            v(ids[2], "revenue", "2025", 200.0),
            v(ids[0], "revenue", "2024", 800.0),
            v(ids[1], "revenue", "2024", 500.0),
            v(ids[0], "output_value", "2025", 600.0),
            v(ids[1], "output_value", "2025-01", 100.0),
            v(ids[1], "output_value", "2025-02", 100.0),
            v(ids[2], "output_value", "2025", 200.0),
            v(ids[0], "rd_expense", "2025", 50.0),
            v(ids[1], "rd_expense", "2025", 10.0),
        ];
        let mut tx = app.db.begin().await.expect("tx");
        store::indicator::upsert(&mut tx, &values, app.now(), None).await.expect("values");
        store::chainmap::insert_supplies(
            &mut tx,
            &[store::chainmap::NewSupply {
                supplier_id: Some(ids[2]),
                supplier_name: "评价2（示例）".into(),
                buyer_id: ids[0],
                product: "甲醇".into(),
                year: 2025,
                amount_fen: 300_000_000,
                local: true,
            }],
            app.now(),
            None,
        )
        .await
        .expect("supply");
        tx.commit().await.expect("commit");
        app.add_honour(
            &office,
            &store::gradient::NewHonour {
                enterprise_id: ids[1],
                kind_code: "high_tech".into(),
                level: "national".into(),
                year: 2024,
                valid_until: None,
                source: "测试".into(),
            },
        )
        .await
        .expect("honour");

        // Refusals store nothing.
        let audits = audit_rows(app).await;
        let new = |code: &str, def: SchemeDef| NewScheme {
            code: code.into(),
            name: "链主企业评价（示例）".into(),
            target: "leader".into(),
            chain: Some(key.clone()),
            definition: def,
            note: "首版".into(),
        };
        assert!(matches!(app.create_scheme(&lead, &new("s1", definition())).await, Err(AppError::Forbidden(_))), "{n}");
        let mut bad = definition();
        bad.dimensions[0].indicators[0].measure =
            Measure::Quantitative { source: Source::Indicator { code: "no_such".into() }, missing: Missing::Zero };
        bad.dimensions[1].indicators[0].code = "rev".into();
        bad.weighting = Weighting::Given(vec![1.0, 2.0]);
        match app.create_scheme(&office, &new("s1", bad)).await {
            Err(AppError::Invalid(e)) => {
                let text: Vec<&str> = e.iter().map(|x| x.message.as_str()).collect();
                assert!(text.iter().any(|m| m.contains("no_such")), "{n}: {text:?}");
                assert!(text.iter().any(|m| m.contains("“rev”重复")), "{n}: {text:?}");
                assert!(text.iter().any(|m| m.contains("给定权重有 2 个")), "{n}: {text:?}");
            }
            other => panic!("{n}: {other:?}"),
        }
        let mut ahp = definition();
        ahp.weighting = Weighting::Ahp { matrices: vec![vec![vec![1.0, 2.0], vec![0.5, 1.0]]], override_reason: None };
        assert!(
            matches!(app.create_scheme(&office, &new("s1", ahp)).await, Err(AppError::Invalid(_))),
            "{n}: 2×2 for 8"
        );
        assert!(matches!(app.create_scheme(&office, &new("bad code!", definition())).await, Err(AppError::Invalid(_))));
        assert_eq!(count(app, "SELECT COUNT(*) FROM eval_scheme").await, 0, "{n}");
        assert_eq!(audit_rows(app).await, audits, "{n}");

        // Created, versioned.
        let id = app.create_scheme(&office, &new("leader_2025", definition())).await.expect("scheme");
        assert!(matches!(
            app.create_scheme(&office, &new("leader_2025", definition())).await,
            Err(AppError::Invalid(_))
        ));
        let mut v2 = definition();
        v2.weighting = Weighting::Critic;
        assert_eq!(app.add_scheme_version(&office, id, &v2, "改用 CRITIC").await.expect("v2"), 2, "{n}");
        assert!(matches!(app.add_scheme_version(&lead, id, &v2, "x").await, Err(AppError::Forbidden(_))));
        let view = app.scheme(&lead, id).await.expect("view");
        assert_eq!(view.versions.iter().map(|v| v.version).collect::<Vec<_>>(), vec![2, 1], "{n}");
        assert_eq!(view.versions[1].definition, definition(), "{n}: the first version kept as it was");
        assert_eq!(audit_rows(app).await, audits + 2, "{n}");

        // The matrix of version 1 for 2025.
        let m = app.scheme_matrix(&lead, id, Some(1), None, 2025).await.expect("matrix");
        assert_eq!(m.qualitative, vec!["技术水平（专家评分）".to_string()], "{n}");
        assert_eq!(m.table.criteria.len(), 7, "{n}");
        assert_eq!(m.types, vec!["b"; 7], "{n}");
        let row = |e: i64| m.table.ids.iter().position(|x| *x == e.to_string()).map(|i| m.table.rows[i].clone());
        let r0 = row(ids[0]).expect("0");
        let r1 = row(ids[1]).expect("1");
        let r2 = row(ids[2]).expect("2");
        // revenue; growth (800 → 1000 = 25 %; none for 2: 0); output share 600/1000, 200/1000 (months added), 200/1000.
        assert_eq!(&r0[..3], &[1000.0, 0.25, 0.6], "{n}");
        assert_eq!(&r1[..3], &[500.0, 0.0, 0.2], "{n}");
        assert_eq!(&r2[..3], &[200.0, 0.0, 0.2], "{n}");
        // R&D intensity 5 %, 2 %, and the mean of those for the third.
        assert_eq!(r0[3], 0.05);
        assert_eq!(r1[3], 0.02);
        assert!((r2[3] - 0.035).abs() < 1e-12, "{n}");
        // Local partners (buyer 0 and supplier 2), local purchase 300 万元, honours.
        assert_eq!(&r0[4..], &[1.0, 300.0, 0.0], "{n}");
        assert_eq!(&r1[4..], &[0.0, 0.0, 1.0], "{n}");
        assert_eq!(&r2[4..], &[1.0, 0.0, 0.0], "{n}");
        assert!(m.notes.iter().any(|x| x.contains("营收增速") && x.contains("按 0 计")), "{n}: {:?}", m.notes);
        assert!(m.notes.iter().any(|x| x.contains("研发强度") && x.contains("平均值")), "{n}: {:?}", m.notes);
        // The fourth enterprise has no revenue: the scheme excludes it and says so.
        assert_eq!(m.table.ids.len(), 3, "{n}");
        assert!(row(ids[3]).is_none(), "{n}");
        assert!(m.notes.iter().any(|x| x.contains("营业收入") && x.contains("不参加本次评价")), "{n}: {:?}", m.notes);
        // No R&D figure at all in 2024: no mean to impute, a clear message.
        match app.scheme_matrix(&lead, id, Some(1), None, 2024).await {
            Err(AppError::Invalid(e)) => assert!(e[0].message.contains("研发强度"), "{n}: {e:?}"),
            other => panic!("{n}: {other:?}"),
        }
        // Computed with the scheme's own weighting: a ranking of the three.
        let def = &view.versions[1].definition;
        let kinds: Vec<Kind> = m.types.iter().map(|t| Kind::parse(t).expect("kind")).collect();
        let r = app::eval::compute(&m.table, &kinds, &def.weighting, def.method, def.normalization).expect("compute");
        assert_eq!(r.results.len(), 3, "{n}");
        assert_eq!(r.results.iter().find(|x| x.id == ids[0].to_string()).map(|x| x.rank), Some(1.0), "{n}");
        assert!(matches!(app.scheme_matrix(&lead, id, Some(9), None, 2025).await, Err(AppError::NotFound)));
        assert!(matches!(app.scheme_matrix(&lead, id, None, None, 1900).await, Err(AppError::Invalid(_))));
    }
}

#[tokio::test]
async fn office_defines_a_scheme_in_excel() {
    use app::scheme_xlsx::{SchemeUpload, definition_xlsx};
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let office = principal(app, "office", "强链办", &["office"]).await;
        let lead = principal(app, "lead", "经信局", &["lead_dept:jxj"]).await;
        crate::harness::test_chain(app, "xlsx_chain", "jxj").await;
        let bytes = definition_xlsx(&definition()).expect("template");
        let up = SchemeUpload {
            weighting: "entropy".into(),
            method: "topsis".into(),
            normalization: "vector".into(),
            ..Default::default()
        };
        let audits = audit_rows(app).await;
        let create = |p, bytes: Vec<u8>, up: SchemeUpload| {
            let p: app::account::Principal = p;
            async move {
                app.create_scheme_from_xlsx(
                    &p,
                    "xl",
                    "Excel 方案",
                    "leader",
                    Some("xlsx_chain".into()),
                    &bytes,
                    "方案.xlsx",
                    &up,
                )
                .await
            }
        };
        assert!(matches!(create(lead.clone(), bytes.clone(), up.clone()).await, Err(AppError::Forbidden(_))), "{n}");
        assert!(
            matches!(create(office.clone(), b"garbage".to_vec(), up.clone()).await, Err(AppError::Invalid(_))),
            "{n}"
        );
        let given = SchemeUpload { weighting: "given".into(), ..up.clone() };
        match create(office.clone(), bytes.clone(), given).await {
            Err(AppError::Invalid(e)) => assert!(e[0].message.contains("权重"), "{n}: {e:?}"),
            other => panic!("{n}: {other:?}"),
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM eval_scheme").await, 0, "{n}");
        assert_eq!(audit_rows(app).await, audits, "{n}");
        let id = create(office.clone(), bytes.clone(), up.clone()).await.expect("created");
        let view = app.scheme(&office, id).await.expect("view");
        assert_eq!(view.versions[0].definition, definition(), "{n}: the tree as uploaded");
        // Revised: downloaded, uploaded again with CRITIC as version 2.
        let current = app.scheme_xlsx(&lead, id, None).await.expect("download");
        let critic = SchemeUpload { weighting: "critic".into(), note: "改用 CRITIC".into(), ..up.clone() };
        assert_eq!(
            app.add_scheme_version_from_xlsx(&office, id, &current, "方案.xlsx", &critic).await.expect("v2"),
            2,
            "{n}"
        );
        let view = app.scheme(&office, id).await.expect("view");
        assert_eq!(view.versions[0].definition.weighting, Weighting::Critic, "{n}");
        assert_eq!(view.versions[0].definition.dimensions, definition().dimensions, "{n}");
        assert_eq!(audit_rows(app).await, audits + 2, "{n}");
    }
}
