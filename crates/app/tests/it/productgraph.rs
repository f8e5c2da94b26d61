//! The reference product graph and investment targets: an import cleans a noisy graph and
//! reports what it dropped, refuses a malformed file whole, maps products onto segments for
//! review; targets are ranked for weak and missing segments, pushed to regions and followed
//! up there, within scopes.

use std::path::Path;

use crate::harness::{audit_rows, backends, count, input, principal, uscc};
use app::AppError;
use app::chainmap::SegmentInput;
use app::productgraph::{FollowUp, PushInput};
use store::productgraph::PushFilter;

fn seg(code: &str, name: &str, stage: &str, keys: &str, codes: &str) -> SegmentInput {
    SegmentInput {
        code: code.into(),
        name: name.into(),
        stage: stage.into(),
        key_products: keys.into(),
        industry_codes: codes.into(),
        ..Default::default()
    }
}

/// A small noisy graph: duplicates, a self-loop, a contradiction, an unknown relation kind, a
/// bad USCC, a negative weight, a code written as a number, an unknown industry code.
fn write_graph(dir: &Path, outside_uscc: &str) {
    let w = |name: &str, text: &str| std::fs::write(dir.join(name), text).expect("write");
    w(
        "products.jsonl",
        "{\"name\":\"天然气\"}\n{\"name\":\"甲醇\"}\n{\"name\":\"甲醇\"}\n{\"name\":\"精甲醇\"}\n{\"name\":\"醋酸\"}\n\n{\"name\":\"\"}\n{\"name\":\"ＰＶＡ纤维\"}\n",
    );
    w(
        "product_relations.jsonl",
        concat!(
            "{\"from\":\"甲醇\",\"to\":\"天然气\",\"rel\":\"上游材料\"}\n",
            "{\"from\":\"天然气\",\"to\":\"甲醇\",\"rel\":\"下游产品\"}\n",
            "{\"from\":\"甲醇\",\"to\":\"醋酸\",\"rel\":\"下游产品\"}\n",
            "{\"from\":\"醋酸\",\"to\":\"甲醇\",\"rel\":\"下游产品\"}\n",
            "{\"from\":\"甲醇\",\"to\":\"甲醇\",\"rel\":\"产品小类\"}\n",
            "{\"from\":\"甲醇\",\"to\":\"精甲醇\",\"rel\":\"产品小类\"}\n",
            "{\"from\":\"甲醇\",\"to\":\"醋酸\",\"rel\":\"同类\"}\n",
            "{\"from\":\"醋酸\",\"to\":\"PVA纤维\",\"rel\":\"下游产品\"}\n",
        ),
    );
    w(
        "companies.jsonl",
        &format!(
            "{{\"name\":\"示例化工股份\",\"code\":600028}}\n{{\"name\":\"示例气体\",\"code\":2221}}\n{{\"name\":\"坏代码\",\"code\":\"91511700MA62XXXXX1\"}}\n{{\"name\":\"本地企业\",\"code\":\"{outside_uscc}\"}}\n{{\"name\":\"甲气(示例)\",\"code\":\"600111\"}}\n"
        ),
    );
    w(
        "company_products.jsonl",
        &format!(
            concat!(
                "{{\"company\":\"600028\",\"product\":\"甲醇\",\"weight\":0.7}}\n",
                "{{\"company\":\"600028\",\"product\":\"醋酸\"}}\n",
                "{{\"company\":2221,\"product\":\"精甲醇\",\"weight\":2}}\n",
                "{{\"company\":\"002221\",\"product\":\"甲醇\",\"weight\":-1}}\n",
                "{{\"company\":\"{u}\",\"product\":\"甲醇\",\"weight\":1}}\n",
                "{{\"company\":\"600111\",\"product\":\"甲醇\",\"weight\":1}}\n",
            ),
            u = outside_uscc
        ),
    );
    w(
        "company_industries.jsonl",
        "{\"company\":\"600028\",\"industry_code\":\"2614\",\"industry_name\":\"有机化学原料制造\"}\n{\"company\":\"002221\",\"industry_code\":\"9999\"}\n",
    );
}

#[tokio::test]
async fn product_graph_import_cleans_maps_and_targets_follow_up() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let cid = crate::harness::test_chain(app, "pg_test", "jxj").await;
        let key = cid.to_string();
        let office = principal(app, "office", "强链办", &["office"]).await;
        let lead = principal(app, "lead", "经信局", &["lead_dept:jxj"]).await;
        let other = principal(app, "other", "农业局", &["lead_dept:nyncj"]).await;
        let county = principal(app, "county", "宣汉县", &["region:511722"]).await;
        let county2 = principal(app, "county2", "通川区", &["region:511702"]).await;

        let gas = app.add_segment(&lead, &key, &seg("gas", "天然气开采", "upstream", "天然气", "")).await.expect("gas");
        let meoh = app.add_segment(&lead, &key, &seg("meoh", "甲醇", "midstream", "", "2614")).await.expect("meoh");
        let acid = app
            .add_segment(&lead, &key, &seg("acid", "醋酸及衍生物", "downstream", "醋酸；纤维", ""))
            .await
            .expect("acid");
        app.add_segment_edge(&lead, &key, gas, meoh, "天然气").await.expect("edge");
        app.add_segment_edge(&lead, &key, meoh, acid, "甲醇").await.expect("edge");
        let mut ents = Vec::new();
        for (i, (name, s)) in [
            ("甲气（示例）", gas),
            ("乙气（示例）", gas),
            ("丙气（示例）", gas),
            ("丁酸（示例）", acid),
            ("戊酸（示例）", acid),
        ]
        .into_iter()
        .enumerate()
        {
            let e = app
                .create_enterprise(&office, &input(&uscc("511722", 40 + i as u32), name, "511722", "2614"))
                .await
                .expect("enterprise");
            app.place_enterprise(&office, &key, s, e, if i == 0 { "leader" } else { "member" }).await.expect("place");
            ents.push(e);
        }
        // An enterprise of the ledger that the graph also lists: not a target.
        let local_uscc = uscc("511722", 40);

        // Bad input writes nothing.
        let dir = tempfile::tempdir().expect("dir");
        write_graph(dir.path(), &local_uscc);
        let audits = audit_rows(app).await;
        match app.import_product_graph(&lead, dir.path()).await {
            Err(AppError::Forbidden(_)) => {}
            other => panic!("{n}: {other:?}"),
        }
        let bad = tempfile::tempdir().expect("dir");
        write_graph(bad.path(), &local_uscc);
        std::fs::write(
            bad.path().join("company_products.jsonl"),
            "{\"company\":\"600028\",\"product\":\"甲醇\"}\n\n{\"company\":\"600028\",\"product\":\n",
        )
        .expect("write");
        match app.import_product_graph(&office, bad.path()).await {
            Err(AppError::Invalid(e)) => {
                assert!(e[0].message.contains("company_products.jsonl 第 3 行"), "{n}: {e:?}")
            }
            other => panic!("{n}: {other:?}"),
        }
        std::fs::write(bad.path().join("company_products.jsonl"), "[1, 2]\n").expect("write");
        assert!(matches!(app.import_product_graph(&office, bad.path()).await, Err(AppError::Invalid(_))), "{n}");
        std::fs::remove_file(bad.path().join("products.jsonl")).expect("rm");
        match app.import_product_graph(&office, bad.path()).await {
            Err(AppError::Invalid(e)) => assert!(e[0].message.contains("缺少 products.jsonl"), "{n}: {e:?}"),
            other => panic!("{n}: {other:?}"),
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM ref_product").await, 0, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM product_mapping").await, 0, "{n}");
        assert_eq!(audit_rows(app).await, audits, "{n}");

        // The import: what was kept, what was dropped and why.
        let r = app.import_product_graph(&office, dir.path()).await.expect("import");
        assert_eq!((r.products, r.relations, r.companies, r.company_products), (5, 3, 4, 5), "{n}: {r:?}");
        assert_eq!(r.company_industries, 1, "{n}");
        // products 2, relations 5, companies 1, company products 1, industries 1
        assert_eq!(r.dropped, 10, "{n}: {:?}", r.report);
        let rel = r.report.files.iter().find(|f| f.file == "product_relations.jsonl").expect("file");
        assert!(rel.dropped.iter().any(|d| d.reason.contains("矛盾") && d.lines == vec![3, 4]), "{n}: {rel:?}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM ref_product").await, 5, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM ref_company WHERE code = '002221'").await, 1, "{n}: padded code");
        assert_eq!(audit_rows(app).await, audits + 1, "{n}");
        let last = app.product_graph_import(&office).await.expect("last").expect("one");
        assert_eq!(last.dropped, 10, "{n}");

        // Mappings proposed per segment, with their reasons.
        let maps = app.product_mappings(&lead, &key).await.expect("maps");
        let find = |s: i64, p: &str| maps.iter().find(|m| m.segment_id == s && m.product == p).cloned();
        assert_eq!(find(meoh, "甲醇").expect("甲醇").score, 1.0, "{n}");
        assert!(find(meoh, "精甲醇").expect("精甲醇").evidence.contains("产品小类"), "{n}");
        assert!(find(acid, "PVA纤维").is_some(), "{n}: {maps:?}");
        assert!(find(gas, "甲醇").is_none(), "{n}");
        assert!(maps.iter().all(|m| m.status == "proposed"), "{n}");

        // Review: another department may not; a stale version is refused; a rejection stays
        // through a re-proposal and a re-import.
        let pva = find(acid, "PVA纤维").expect("pva");
        assert!(matches!(
            app.review_mapping(&other, &key, pva.id, pva.version, "rejected").await,
            Err(AppError::Forbidden(_))
        ));
        app.review_mapping(&lead, &key, pva.id, pva.version, "rejected").await.expect("reject");
        assert!(matches!(
            app.review_mapping(&lead, &key, pva.id, pva.version, "accepted").await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            app.review_mapping(&lead, &key, pva.id, pva.version + 1, "maybe").await,
            Err(AppError::Invalid(_))
        ));
        assert!(matches!(app.add_product_mapping(&lead, &key, gas, "火星土").await, Err(AppError::Invalid(_))), "{n}");
        // Ids of another chain's mappings and segments are refused through this chain's URL.
        let other_chain = crate::harness::test_chain(app, "pg_other", "jxj").await;
        let key2 = other_chain.to_string();
        assert!(matches!(
            app.review_mapping(&lead, &key2, pva.id, pva.version + 1, "accepted").await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(app.add_product_mapping(&lead, &key2, gas, "甲醇").await, Err(AppError::Invalid(_))), "{n}");
        app.add_product_mapping(&lead, &key, gas, "精甲醇").await.expect("by hand");
        app.remap_chain_products(&lead, &key).await.expect("remap");
        app.import_product_graph(&office, dir.path()).await.expect("again");
        let maps = app.product_mappings(&lead, &key).await.expect("maps");
        let status =
            |s: i64, p: &str| maps.iter().find(|m| m.segment_id == s && m.product == p).map(|m| m.status.clone());
        assert_eq!(status(acid, "PVA纤维").as_deref(), Some("rejected"), "{n}");
        assert_eq!(status(gas, "精甲醇").as_deref(), Some("accepted"), "{n}");

        // Targets: 甲醇 is missing (no enterprise), 醋酸 weak (2), 天然气 strong (3 and a leader).
        let targets = app.chain_targets(&county, &key).await.expect("targets");
        assert!(targets.iter().all(|t| t.segment_id != gas), "{n}: strong segments get no targets");
        let on_meoh: Vec<_> = targets.iter().filter(|t| t.segment_id == meoh).collect();
        let codes: Vec<&str> = on_meoh.iter().map(|t| t.company_code.as_str()).collect();
        assert!(codes.contains(&"600028") && codes.contains(&"002221"), "{n}: {codes:?}");
        assert!(!codes.contains(&local_uscc.as_str()), "{n}: a ledger enterprise is no target");
        assert!(!codes.contains(&"600111"), "{n}: nor one known by a stock code under its ledger name");
        let top = on_meoh[0];
        assert_eq!(top.rank, 1, "{n}");
        // 002221 puts all its weight on the segment's products (精甲醇); 600028 less than half.
        assert_eq!(top.company_code, "002221", "{n}");
        assert!(top.score > on_meoh[1].score && top.fill > on_meoh[1].fill, "{n}");
        assert_eq!(top.demand, on_meoh[1].demand, "{n}: the same downstream segment");
        assert!(top.evidence.iter().any(|e| e.contains("醋酸及衍生物")), "{n}: {:?}", top.evidence);
        assert!(top.evidence.iter().any(|e| e.contains("贯通")), "{n}: {:?}", top.evidence);

        // Push to the county: the lead department may, another department not; the company
        // must be a current proposal; regions must be counties or parks; once per region.
        let push = |code: &str, regions: &[&str]| PushInput {
            segment_id: meoh,
            company_code: code.into(),
            regions: regions.iter().map(|r| r.to_string()).collect(),
        };
        let audits = audit_rows(app).await;
        assert!(matches!(
            app.push_target(&other, &key, &push("600028", &["511722"])).await,
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(app.push_target(&lead, &key, &push("600028", &["999999"])).await, Err(AppError::Invalid(_))));
        assert!(matches!(app.push_target(&lead, &key, &push("600028", &[])).await, Err(AppError::Invalid(_))));
        assert!(matches!(app.push_target(&lead, &key, &push("300999", &["511722"])).await, Err(AppError::Invalid(_))));
        assert_eq!(audit_rows(app).await, audits, "{n}: refusals write nothing");
        assert_eq!(count(app, "SELECT COUNT(*) FROM target").await, 0, "{n}");
        let ids = app.push_target(&lead, &key, &push("600028", &["511722", "511702"])).await.expect("push").ids;
        assert_eq!(ids.len(), 2, "{n}");
        assert!(matches!(app.push_target(&lead, &key, &push("600028", &["511722"])).await, Err(AppError::Conflict(_))));
        assert_eq!(count(app, "SELECT COUNT(*) FROM target_push").await, 2, "{n}");
        // Pushing again skips the regions that have it and names them; a park is a region too.
        let again = app.push_target(&lead, &key, &push("600028", &["511722", "5117P1"])).await.expect("again");
        assert_eq!((again.ids.len(), again.already.clone()), (1, vec!["宣汉县".to_string()]), "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM target").await, 1, "{n}: one target, three pushes");
        // The park follows it up; another chain's department sees nothing.
        let county3 = principal(app, "park1", "达州高新区", &["region:5117P1"]).await;
        let park = app.target_pushes(&county3, &PushFilter::default()).await.expect("park");
        assert_eq!(park.len(), 1, "{n}");
        assert_eq!(park[0].region_code, "5117P1", "{n}");
        app.follow_up_target(
            &county3,
            park[0].id,
            &FollowUp { status: "contacted".into(), note: "园区已对接".into(), reason: String::new(), version: 1 },
        )
        .await
        .expect("the county follows up its park's push");
        assert!(matches!(
            app.follow_up_target(
                &other,
                park[0].id,
                &FollowUp { status: "negotiating".into(), note: String::new(), reason: String::new(), version: 2 }
            )
            .await,
            Err(AppError::NotFound)
        ));
        assert!(app.target_events(&other, &[park[0].id]).await.expect("events").is_empty(), "{n}: logs by scope");

        // Each county sees its own push; follow-up by the county, forward only.
        let mine = app.target_pushes(&county, &PushFilter::default()).await.expect("pushes");
        assert_eq!(mine.len(), 1, "{n}");
        assert_eq!(mine[0].region_code, "511722", "{n}");
        let pid = mine[0].id;
        let other_push = ids.iter().copied().find(|i| *i != pid).expect("other");
        let step = |status: &str, note: &str, reason: &str, version: i64| FollowUp {
            status: status.into(),
            note: note.into(),
            reason: reason.into(),
            version,
        };
        assert!(matches!(
            app.follow_up_target(&county, other_push, &step("contacted", "", "", 1)).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.follow_up_target(&county2, pid, &step("contacted", "", "", 1)).await,
            Err(AppError::NotFound)
        ));
        app.follow_up_target(&county, pid, &step("contacted", "已电话联系", "", 1)).await.expect("contacted");
        assert!(matches!(
            app.follow_up_target(&county, pid, &step("negotiating", "", "", 1)).await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            app.follow_up_target(&county, pid, &step("pushed", "", "", 2)).await,
            Err(AppError::Invalid(_))
        ));
        assert!(matches!(
            app.follow_up_target(&county, pid, &step("contacted", "", "", 2)).await,
            Err(AppError::Invalid(_))
        ));
        assert!(matches!(
            app.follow_up_target(&county, pid, &step("dropped", "", " ", 2)).await,
            Err(AppError::Invalid(_))
        ));
        app.follow_up_target(&county, pid, &step("contacted", "对方来达州考察", "", 2)).await.expect("note");
        app.follow_up_target(&county, pid, &step("signed", "签约 5 亿元", "", 3)).await.expect("signed");
        app.follow_up_target(&lead, pid, &step("landed", "", "", 4)).await.expect("landed");
        assert!(matches!(
            app.follow_up_target(&county, pid, &step("dropped", "", "资金", 5)).await,
            Err(AppError::Conflict(_))
        ));
        app.follow_up_target(&county2, other_push, &step("dropped", "", "企业无扩产计划", 1)).await.expect("dropped");
        let events = app.target_events(&office, &[pid, other_push]).await.expect("events");
        assert_eq!(events.iter().filter(|e| e.push_id == pid).count(), 5, "{n}: pushed + 4 steps");
        let all =
            app.target_pushes(&office, &PushFilter { chain_id: Some(cid), ..Default::default() }).await.expect("all");
        assert_eq!(all.len(), 3, "{n}");
        assert_eq!(all.iter().find(|p| p.id == other_push).map(|p| p.reason.as_str()), Some("企业无扩产计划"), "{n}");
        let landed = app
            .target_pushes(&lead, &PushFilter { status: Some("landed".into()), ..Default::default() })
            .await
            .expect("landed");
        assert_eq!(landed.len(), 1, "{n}");
        assert!(app.target_pushes(&other, &PushFilter::default()).await.expect("none").is_empty(), "{n}");
        // The ranking shows where it was pushed.
        let targets = app.chain_targets(&office, &key).await.expect("targets");
        let t600 = targets.iter().find(|t| t.segment_id == meoh && t.company_code == "600028").expect("600028");
        assert_eq!(t600.pushes.len(), 3, "{n}");
        let actions: Vec<String> = crate::harness::audit_actions(app).await.into_iter().map(|a| a.0).collect();
        for want in ["product_graph.import", "product_mapping.review", "target.push", "target_push.follow_up"] {
            assert!(actions.iter().any(|a| a == want), "{n}: no {want}");
        }

        // The export: one row per push, with its log.
        let bytes = app::productgraph::pushes_xlsx(&all, &events).expect("xlsx");
        let table = office::read_table(&bytes, "targets.xlsx", &office::Limits::default()).expect("read back");
        assert_eq!(table.rows.len(), 3, "{n}");
        assert!(table.rows.iter().any(|r| r.cells.iter().any(|c| c == "已落地")), "{n}");
        assert!(table.rows.iter().any(|r| r.cells.iter().any(|c| c.contains("签约 5 亿元"))), "{n}");
    }
}

#[tokio::test]
async fn demo_city_has_a_product_graph_and_targets() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        app.seed_demo(app::demo::Scale::City, 7).await.expect("seed");
        let office = principal(app, "office", "强链办", &["office"]).await;
        let last = app.product_graph_import(&office).await.expect("import").expect("seeded");
        assert!(last.products > 400 && last.companies >= 60, "{n}: {last:?}");
        assert!(last.dropped >= 5, "{n}: the demo's noise is reported");
        let (mut with_targets, mut for_missing) = (0, 0);
        for c in app.chain_infos().await.expect("chains") {
            assert!(!app.product_mappings(&office, &c.code).await.expect("maps").is_empty(), "{n}: {}", c.name);
            let ts = app.chain_targets(&office, &c.code).await.expect("targets");
            if !ts.is_empty() {
                with_targets += 1;
            }
            for_missing += ts.iter().filter(|t| t.strength == app::domain::chainmap::Strength::Missing).count();
            assert!(ts.iter().all(|t| t.score > 0.0 && !t.evidence.is_empty()), "{n}: {}", c.name);
        }
        assert!(with_targets >= 15, "{n}: {with_targets} chains with targets");
        assert!(for_missing >= 10, "{n}: the demo's gaps get candidates ({for_missing})");
    }
}
