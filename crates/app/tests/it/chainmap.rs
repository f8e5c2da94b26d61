//! The chain map: the lead department builds and edits a map; the checks refuse what would
//! corrupt it and write nothing; placements obey scopes; the analytics follow every edit;
//! the demo city gets a map for every chain.

use crate::harness::{audit_rows, backends, count, input, principal, uscc};
use app::AppError;
use app::chainmap::{ListItemInput, SegmentInput};
use app::demo::Scale;
use app::domain::chainmap::{Change, SinglePoint, Strength};

fn seg(code: &str, name: &str, stage: &str, parent: Option<i64>) -> SegmentInput {
    SegmentInput {
        code: code.into(),
        name: name.into(),
        stage: stage.into(),
        parent_id: parent,
        key_products: "甲醇；合成氨".into(),
        industry_codes: "2614".into(),
        ..Default::default()
    }
}

async fn chain(app: &app::App, code: &str, lead: &str) -> i64 {
    crate::harness::test_chain(app, code, lead).await
}

#[tokio::test]
async fn lead_department_builds_and_analyses_a_map() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let cid = chain(app, "gas_test", "jxj").await;
        let key = cid.to_string();
        let lead = principal(app, "lead", "经信局", &["lead_dept:jxj"]).await;
        let other = principal(app, "other", "农业局", &["lead_dept:nyncj"]).await;
        let county = principal(app, "county", "宣汉县", &["region:511722"]).await;
        let office = principal(app, "office", "强链办", &["office"]).await;

        // Segments over the three stages; a child under its parent.
        let gas = app.add_segment(&lead, &key, &seg("gas", "天然气", "upstream", None)).await.expect("gas");
        let syn = app.add_segment(&lead, &key, &seg("syngas", "合成气", "midstream", None)).await.expect("syngas");
        let meoh = app.add_segment(&lead, &key, &seg("methanol", "甲醇", "midstream", Some(syn))).await.expect("child");
        let fert = app.add_segment(&lead, &key, &seg("fert", "化肥", "downstream", None)).await.expect("fert");

        // Refusals, each naming the problem and writing nothing.
        let before = audit_rows(app).await;
        let segs_before = count(app, "SELECT COUNT(*) FROM segment").await;
        match app.add_segment(&other, &key, &seg("x", "某环节", "upstream", None)).await {
            Err(AppError::Forbidden(m)) => assert!(m.contains("牵头部门"), "{n}: {m}"),
            r => panic!("{n}: another department edited: {r:?}"),
        }
        match app.add_segment(&lead, &key, &seg("x", "某环节", "downstream", Some(syn))).await {
            Err(e @ AppError::Invalid(_)) => {
                assert!(e.user_message().contains("阶段不同"), "{n}: {}", e.user_message())
            }
            r => panic!("{n}: parent in another stage accepted: {r:?}"),
        }
        match app.add_segment(&lead, &key, &seg("y", "孙环节", "midstream", Some(meoh))).await {
            Err(e @ AppError::Invalid(_)) => assert!(e.user_message().contains("两级"), "{n}: {}", e.user_message()),
            r => panic!("{n}: third level accepted: {r:?}"),
        }
        match app.add_segment(&lead, &key, &seg("gas", "重复", "upstream", None)).await {
            Err(e @ AppError::Invalid(_)) => assert!(e.user_message().contains("已在本产业链中使用"), "{n}"),
            r => panic!("{n}: duplicate code accepted: {r:?}"),
        }
        let mut bad_code = seg("z", "某环节", "upstream", None);
        bad_code.industry_codes = "9999".into();
        match app.add_segment(&lead, &key, &bad_code).await {
            Err(e @ AppError::Invalid(_)) => assert!(e.user_message().contains("9999"), "{n}: {}", e.user_message()),
            r => panic!("{n}: unknown industry code accepted: {r:?}"),
        }
        match app.add_segment_edge(&lead, &key, gas, 987_654, "天然气").await {
            Err(AppError::Invalid(_)) => {}
            r => panic!("{n}: edge to a missing segment accepted: {r:?}"),
        }
        assert_eq!(audit_rows(app).await, before, "{n}: refusals write nothing");
        assert_eq!(count(app, "SELECT COUNT(*) FROM segment").await, segs_before, "{n}");

        // Edges; a cycle in supply is allowed, a duplicate is not.
        app.add_segment_edge(&lead, &key, gas, syn, "天然气").await.expect("edge");
        app.add_segment_edge(&lead, &key, syn, meoh, "合成气").await.expect("edge");
        let e3 = app.add_segment_edge(&lead, &key, meoh, fert, "甲醇").await.expect("edge");
        app.add_segment_edge(&lead, &key, fert, gas, "回收气").await.expect("a supply cycle is allowed");
        assert!(matches!(app.add_segment_edge(&lead, &key, gas, syn, "x").await, Err(AppError::Conflict(_))), "{n}");

        // Enterprises: two in the county on the chain, one elsewhere.
        let a = app
            .create_enterprise(&office, &input(&uscc("511722", 1), "甲化工（示例）", "511722", "2614"))
            .await
            .expect("a");
        let b = app
            .create_enterprise(&office, &input(&uscc("511722", 2), "乙化工（示例）", "511722", "2614"))
            .await
            .expect("b");
        let c = app
            .create_enterprise(&office, &input(&uscc("511702", 3), "丙化工（示例）", "511702", "2614"))
            .await
            .expect("c");
        // The lead department writes only enterprises of the chains it leads: none yet.
        match app.place_enterprise(&lead, &key, gas, a, "leader").await {
            Err(AppError::Forbidden(m)) => assert!(m.contains("管理范围"), "{n}: {m}"),
            r => panic!("{n}: placed an enterprise outside the editor's scope: {r:?}"),
        }
        app.place_enterprise(&office, &key, gas, a, "leader").await.expect("office places a");
        // Now on the chain, the lead department may place it elsewhere.
        app.place_enterprise(&lead, &key, syn, a, "member").await.expect("lead places a");
        app.place_enterprise(&office, &key, meoh, b, "member").await.expect("b");
        app.place_enterprise(&office, &key, fert, c, "member").await.expect("c");
        assert!(
            matches!(app.place_enterprise(&office, &key, fert, c, "member").await, Err(AppError::Conflict(_))),
            "{n}"
        );
        assert!(matches!(
            app.place_enterprise(&office, &key, fert, 424_242, "member").await,
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(app.place_enterprise(&office, &key, fert, b, "boss").await, Err(AppError::Invalid(_))), "{n}");

        // Scope: the county sees its two enterprises on the map, not the third.
        let map = app.chain_map(&county, &key).await.expect("map");
        let seen: std::collections::BTreeSet<i64> = map.placements.iter().map(|p| p.enterprise_id).collect();
        assert_eq!(seen, [a, b].into_iter().collect(), "{n}");
        assert_eq!(app.chain_map(&office, &key).await.expect("map").placements.len(), 4, "{n}");
        assert_eq!(map.segments.len(), 4, "{n}");

        // Analytics: every segment held by one enterprise; the methanol child counts in its
        // parent; nothing is strong with one enterprise a segment.
        let an = app.chain_analysis(&county, &key).await.expect("analysis");
        let fig = |id: i64| an.segments.iter().find(|s| s.id == id).expect("segment").clone();
        assert_eq!((fig(gas).local_enterprises, fig(gas).leaders), (1, 1), "{n}");
        assert_eq!(fig(syn).local_enterprises, 2, "{n}: a on syngas, b on its child");
        assert_eq!(fig(gas).strength, Strength::Weak, "{n}");
        assert_eq!(fig(gas).sole_holder, Some(a), "{n}");
        assert!(
            an.single_points_of_failure
                .iter()
                .any(|p| matches!(p, SinglePoint::Segment { segment_id, .. } if *segment_id == fert)),
            "{n}: {:?}",
            an.single_points_of_failure
        );
        assert_eq!(an.local_supporting_rate, None, "{n}: no supply relations yet");

        // The page's one-read view gives the same map and analysis as the two API reads, for
        // a narrow scope (placements read twice) and for the whole city.
        for who in [&county, &office] {
            let (vm, va) = app.chain_view(who, &key).await.expect("view");
            assert_eq!(
                serde_json::to_value(&vm).expect("json"),
                serde_json::to_value(app.chain_map(who, &key).await.expect("map")).expect("json"),
                "{n}"
            );
            assert_eq!(va, app.chain_analysis(who, &key).await.expect("analysis"), "{n}");
        }

        // What-if: without b the methanol segment is missing.
        let w = app.chain_what_if(&office, &key, &Change::RemoveEnterprise(b)).await.expect("what-if");
        let after = w.after.segments.iter().find(|s| s.id == meoh).expect("meoh");
        assert_eq!(after.strength, Strength::Missing, "{n}");
        assert!(w.changed_segments.contains(&meoh), "{n}");

        // Retiring: an edge, then a segment with children refused, a leaf accepted.
        app.retire_segment_edge(&lead, &key, e3).await.expect("retire edge");
        let version = map.segments.iter().find(|s| s.id == syn).expect("syn").version;
        let r = app.update_segment(&lead, &key, syn, version, &seg("syngas", "合成气", "midstream", None), true).await;
        assert!(matches!(r, Err(AppError::Invalid(_))), "{n}: a segment with a child retired: {r:?}");
        let version = map.segments.iter().find(|s| s.id == fert).expect("fert").version;
        app.update_segment(&lead, &key, fert, version, &seg("fert", "化肥", "downstream", None), true)
            .await
            .expect("retire");
        // A stale version is refused.
        let r = app.update_segment(&lead, &key, fert, version, &seg("fert", "化肥2", "downstream", None), false).await;
        assert!(matches!(r, Err(AppError::Conflict(_))), "{n}: {r:?}");
        let an = app.chain_analysis(&office, &key).await.expect("analysis");
        assert!(an.segments.iter().all(|s| s.id != fert), "{n}: retired segments leave the analysis");

        // Every write is audited and the history keeps the segment's change.
        let actions: Vec<String> = crate::harness::audit_actions(app).await.into_iter().map(|a| a.0).collect();
        for want in
            ["segment.create", "segment_edge.create", "placement.create", "segment_edge.retire", "segment.update"]
        {
            assert!(actions.iter().any(|a| a == want), "{n}: no {want} in {actions:?}");
        }
        assert!(count(app, "SELECT COUNT(*) FROM field_history WHERE entity = 'segment'").await > 0, "{n}");
    }
}

#[tokio::test]
async fn demo_city_has_a_map_for_every_chain() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        app.seed_demo(Scale::City, 7).await.expect("seed");
        let office = principal(app, "office", "强链办", &["office"]).await;
        let chains = app.chain_infos().await.expect("chains");
        assert_eq!(chains.len(), 22, "{n}");
        let mut with_supply = 0;
        for c in &chains {
            let map = app.chain_map(&office, &c.code).await.expect("map");
            assert!(map.segments.len() >= 12, "{n}: {} has {} segments", c.name, map.segments.len());
            for stage in ["upstream", "midstream", "downstream"] {
                assert!(map.segments.iter().any(|s| s.stage == stage), "{n}: {} has no {stage}", c.name);
            }
            assert!(!map.edges.is_empty(), "{n}: {}", c.name);
            assert!(!map.placements.is_empty(), "{n}: {}", c.name);
            assert!(map.placements.iter().all(|p| map.segments.iter().any(|s| s.id == p.segment_id)), "{n}");
            let an = app.chain_analysis(&office, &c.code).await.expect("analysis");
            assert_eq!(an.segments.len(), map.segments.len(), "{n}");
            if let Some(r) = an.local_supporting_rate {
                assert!((0.0..=1.0).contains(&r), "{n}: {r}");
                with_supply += 1;
            }
            assert_eq!(map.targets.len(), 3, "{n}: yearly targets");
        }
        assert!(with_supply >= 20, "{n}: supply relations on most chains ({with_supply})");
        // The gaps exist on purpose: some segment of the city is missing.
        let mut missing = 0;
        for c in &chains {
            let an = app.chain_analysis(&office, &c.code).await.expect("analysis");
            missing += an.segments.iter().filter(|s| s.strength == Strength::Missing).count();
        }
        assert!(missing > 0, "{n}");
        // Every chain has list items: demands for its empty segments, its key enterprises.
        for c in &chains {
            let items = app.chain_list_items(&office, &c.code, None).await.expect("items");
            assert!(!items.is_empty(), "{n}: {} has no list items", c.name);
        }
        assert!(count(app, "SELECT COUNT(*) FROM chain_list WHERE kind = 'demand'").await > 0, "{n}");
        // The chief of the demo is an officer of their chain.
        let gas = app.chain_map(&office, "gas_chemical").await.expect("map");
        assert_eq!(gas.officers.len(), 1, "{n}");
        assert_eq!(gas.officers[0].2, "chief", "{n}");
    }
}

fn item(kind: &str, title: &str) -> ListItemInput {
    ListItemInput {
        kind: kind.into(),
        title: title.into(),
        owner: "市经信局".into(),
        start_on: "2026/3/1".into(),
        due_on: "2026年6月30日".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn chain_lists_are_kept_by_the_lead_department() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let cid = chain(app, "list_test", "jxj").await;
        let other_chain = chain(app, "list_other", "jxj").await;
        let key = cid.to_string();
        let lead = principal(app, "lead", "经信局", &["lead_dept:jxj"]).await;
        let other = principal(app, "other", "农业局", &["lead_dept:nyncj"]).await;
        let county = principal(app, "county", "宣汉县", &["region:511722"]).await;
        let office = principal(app, "office", "强链办", &["office"]).await;
        let seg_id = app.add_segment(&lead, &key, &seg("gas", "天然气", "upstream", None)).await.expect("segment");
        let foreign_seg = app
            .add_segment(&lead, &other_chain.to_string(), &seg("gas", "天然气", "upstream", None))
            .await
            .expect("seg");
        let inside = app
            .create_enterprise(&office, &input(&uscc("511722", 11), "丁化工（示例）", "511722", "2614"))
            .await
            .expect("e");
        let outside = app
            .create_enterprise(&office, &input(&uscc("511702", 12), "戊化工（示例）", "511702", "2614"))
            .await
            .expect("e");

        let mut demand = item("demand", "寻求合成氨配套企业");
        demand.segment_id = Some(seg_id);
        demand.enterprise_id = Some(outside);
        // The lead department may link only enterprises it reads (those on its chains); the
        // office reads every enterprise.
        assert!(matches!(app.add_list_item(&lead, &key, &demand).await, Err(AppError::Invalid(_))), "{n}");
        let d = app.add_list_item(&office, &key, &demand).await.expect("demand");
        let mut key_e = item("key_enterprise", "链主企业培育");
        key_e.enterprise_id = Some(inside);
        key_e.status = "in_progress".into();
        // Placed on the chain, the enterprise is the lead department's to link.
        app.place_enterprise(&office, &key, seg_id, inside, "leader").await.expect("place");
        app.add_list_item(&lead, &key, &key_e).await.expect("key item");

        // Refusals write nothing.
        let before = audit_rows(app).await;
        let rows_before = count(app, "SELECT COUNT(*) FROM chain_list").await;
        for (bad, want) in [
            (item("nonsense", "x"), "清单类别无效"),
            (item("demand", "  "), "事项名称不能为空"),
            (ListItemInput { due_on: "2026-02-30".into(), ..item("demand", "日期错") }, "完成时限"),
            (ListItemInput { start_on: "2026-07-01".into(), ..item("demand", "倒序") }, "不能早于开始日期"),
            (ListItemInput { segment_id: Some(foreign_seg), ..item("demand", "别链环节") }, "不在本产业链中"),
            (ListItemInput { status: "finished".into(), ..item("demand", "状态错") }, "状态须为"),
            (ListItemInput { enterprise_id: Some(987_654), ..item("demand", "无此企业") }, "不在您的查看范围"),
        ] {
            match app.add_list_item(&lead, &key, &bad).await {
                Err(e @ AppError::Invalid(_)) => {
                    assert!(e.user_message().contains(want), "{n}: {} lacks {want}", e.user_message())
                }
                r => panic!("{n}: {bad:?} accepted: {r:?}"),
            }
        }
        assert!(
            matches!(app.add_list_item(&other, &key, &item("demand", "越权")).await, Err(AppError::Forbidden(_))),
            "{n}"
        );
        assert_eq!(audit_rows(app).await, before, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM chain_list").await, rows_before, "{n}");

        // Dates as people write them; the county reads both items but names only its own
        // enterprise.
        let all = app.chain_list_items(&county, &key, None).await.expect("items");
        assert_eq!(all.len(), 2, "{n}");
        let dem = all.iter().find(|i| i.id == d).expect("demand");
        assert_eq!(dem.start_on, chrono::NaiveDate::from_ymd_opt(2026, 3, 1), "{n}");
        assert_eq!(dem.due_on, chrono::NaiveDate::from_ymd_opt(2026, 6, 30), "{n}");
        assert_eq!(dem.segment_name.as_deref(), Some("天然气"), "{n}");
        assert_eq!(
            (dem.enterprise_id, dem.enterprise_name.as_deref()),
            (Some(outside), None),
            "{n}: outside the county"
        );
        let ke = all.iter().find(|i| i.kind == "key_enterprise").expect("key");
        assert_eq!(ke.enterprise_name.as_deref(), Some("丁化工（示例）"), "{n}");
        assert_eq!(app.chain_list_items(&county, &key, Some("demand")).await.expect("demand").len(), 1, "{n}");
        assert!(matches!(app.chain_list_items(&county, &key, Some("bogus")).await, Err(AppError::Invalid(_))), "{n}");

        // Update with the version read; a stale version is refused; delete.
        let mut done = demand.clone();
        done.status = "done".into();
        // The lead department keeps the office's link to an enterprise it cannot read.
        app.update_list_item(&lead, &key, d, dem.version, &done).await.expect("update");
        let r = app.update_list_item(&lead, &key, d, dem.version, &done).await;
        assert!(matches!(r, Err(AppError::Conflict(_))), "{n}: {r:?}");
        let now = app.chain_list_items(&office, &key, Some("demand")).await.expect("items");
        assert_eq!(now[0].status, "done", "{n}");
        app.delete_list_item(&lead, &key, d).await.expect("delete");
        assert!(matches!(app.delete_list_item(&lead, &key, d).await, Err(AppError::NotFound)), "{n}");
        let actions: Vec<String> = crate::harness::audit_actions(app).await.into_iter().map(|a| a.0).collect();
        for want in ["chain_list.create", "chain_list.update", "chain_list.delete"] {
            assert!(actions.iter().any(|a| a == want), "{n}: no {want}");
        }

        // The export is a workbook with the items.
        let items = app.chain_list_items(&office, &key, None).await.expect("items");
        let bytes = app::chainmap::list_items_xlsx("测试链", &items).expect("xlsx");
        let table = office::read_table(&bytes, "lists.xlsx", &office::Limits::default()).expect("read back");
        assert_eq!(table.rows.len(), 1, "{n}");
        assert!(table.rows[0].cells.iter().any(|c| c == "链主企业培育"), "{n}: {:?}", table.rows[0].cells);
        assert!(table.rows[0].cells.iter().any(|c| c == "推进中"), "{n}");
    }
}

#[tokio::test]
async fn office_appoints_officers_and_editors_set_output_targets() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let cid = chain(app, "officer_test", "jxj").await;
        let key = cid.to_string();
        let office = principal(app, "office", "强链办", &["office"]).await;
        let lead = principal(app, "lead", "经信局", &["lead_dept:jxj"]).await;
        let other = principal(app, "other", "农业局", &["lead_dept:nyncj"]).await;
        principal(app, "mayor", "示例·副市长甲", &["chief:officer_test"]).await;
        principal(app, "mayor2", "示例·副市长乙", &["viewer"]).await;
        let audits = audit_rows(app).await;
        assert!(
            matches!(app.set_chain_officer(&lead, &key, "mayor", "chief").await, Err(AppError::Forbidden(_))),
            "{n}"
        );
        assert!(
            matches!(app.set_chain_officer(&office, &key, "nobody", "chief").await, Err(AppError::Invalid(_))),
            "{n}"
        );
        assert!(
            matches!(app.set_chain_officer(&office, &key, "mayor", "boss").await, Err(AppError::Invalid(_))),
            "{n}"
        );
        assert!(matches!(app.set_chain_output_target(&other, &key, "2027", "100").await, Err(AppError::Forbidden(_))));
        assert!(matches!(app.set_chain_output_target(&lead, &key, "明年", "100").await, Err(AppError::Invalid(_))));
        assert!(matches!(app.set_chain_output_target(&lead, &key, "2027", "-5").await, Err(AppError::Invalid(_))));
        assert_eq!(audit_rows(app).await, audits, "{n}: refusals write nothing");

        app.set_chain_officer(&office, &key, "mayor", "chief").await.expect("chief");
        app.set_chain_officer(&office, &key, "mayor2", "deputy").await.expect("deputy");
        let map = app.chain_map(&office, &key).await.expect("map");
        let posts: Vec<(&str, &str)> = map.officers.iter().map(|(_, name, r)| (name.as_str(), r.as_str())).collect();
        assert_eq!(posts, vec![("示例·副市长甲", "chief"), ("示例·副市长乙", "deputy")], "{n}");
        // A new chief replaces the former one.
        app.set_chain_officer(&office, &key, "mayor2", "chief").await.expect("new chief");
        let map = app.chain_map(&office, &key).await.expect("map");
        assert_eq!(map.officers.len(), 1, "{n}: {:?}", map.officers);
        assert_eq!(map.officers[0].2, "chief", "{n}");
        let id = map.officers[0].0;
        app.remove_chain_officer(&office, &key, id).await.expect("remove");
        assert!(matches!(app.remove_chain_officer(&office, &key, id).await, Err(AppError::NotFound)), "{n}");

        app.set_chain_output_target(&lead, &key, "2027年", "120.5").await.expect("target");
        app.set_chain_output_target(&lead, &key, "2027", "1,300").await.expect("again");
        let map = app.chain_map(&office, &key).await.expect("map");
        assert_eq!(map.targets, vec![(2027, 13_000_000_000_000)], "{n}: 1300 亿元 in fen, replaced");
        assert_eq!(audit_rows(app).await, audits + 6, "{n}: every change audited");
    }
}
