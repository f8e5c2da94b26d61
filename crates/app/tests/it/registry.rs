//! Registry discipline: the merge-review queue, merges that keep both histories, and
//! corrections proposed by enterprises and reviewed by their region.

use crate::harness::{backends, input, principal, uscc};
use app::AppError;
use store::indicator::NewValue;

fn value(enterprise_id: i64, period: &str, v: f64) -> NewValue {
    NewValue {
        enterprise_id,
        indicator_code: "revenue".into(),
        period: period.into(),
        value: v,
        source: "测试".into(),
        reported_on: None,
    }
}

#[tokio::test]
async fn near_duplicates_are_queued_and_merging_keeps_both() {
    for t in backends().await {
        let app = t.app.clone().with_search(search::SearchIndex::in_memory().expect("index"));
        let n = t.name();
        let office = principal(&app, "r.office", "办", &["office"]).await;
        let kaijiang = principal(&app, "r.kj", "开江", &["region:511723"]).await;
        let a = app
            .create_enterprise(
                &office,
                &input(&uscc("511722", 1), "达州（宣汉）川锦化工有限责任公司", "511722", "2614"),
            )
            .await
            .expect("a");
        let b = app
            .create_enterprise(&office, &input(&uscc("511722", 2), "达州(宣汉)川锦化工有限公司", "511722", "2614"))
            .await
            .expect("b");
        app.create_enterprise(&office, &input(&uscc("511722", 3), "达州川锦化肥有限公司", "511722", "2614"))
            .await
            .expect("c");
        let queue = app.merge_candidates(&office).await.expect("queue");
        assert_eq!(queue.len(), 1, "{n}");
        assert_eq!((queue[0].a_id, queue[0].b_id), (a, b), "{n}");
        // A region that sees neither sees no pair, and may not decide it.
        assert!(app.merge_candidates(&kaijiang).await.expect("queue").is_empty(), "{n}");
        assert!(matches!(app.decide_merge(&kaijiang, queue[0].id, Some(a)).await, Err(AppError::NotFound)), "{n}");
        // Both have revenue for 2024 (a's wins), only b has 2023 (moves to a).
        let mut tx = app.db.begin().await.expect("tx");
        store::indicator::upsert(
            &mut tx,
            &[value(a, "2024", 100.0), value(b, "2024", 999.0), value(b, "2023", 80.0)],
            app.now(),
            None,
        )
        .await
        .expect("values");
        tx.commit().await.expect("commit");
        assert!(matches!(app.decide_merge(&office, queue[0].id, Some(12345)).await, Err(AppError::Invalid(_))), "{n}");
        app.decide_merge(&office, queue[0].id, Some(a)).await.expect("merge");
        assert!(matches!(app.enterprise(&office, b).await, Err(AppError::NotFound)), "{n}: b archived");
        let v = app.enterprise_indicators(&office, a).await.expect("indicators");
        let revenue: Vec<(String, f64)> = v
            .series
            .iter()
            .find(|s| s.code == "revenue")
            .expect("revenue")
            .points
            .iter()
            .map(|p| (p.period.clone(), p.value))
            .collect();
        assert_eq!(revenue, [("2023".to_string(), 80.0), ("2024".to_string(), 100.0)], "{n}");
        // Both histories show on the kept record, with the merge itself.
        let h = app.enterprise_history(&office, a).await.expect("history");
        assert!(h.iter().any(|c| c.field == "merged_from" && c.source == "合并审核"), "{n}");
        assert_eq!(h.iter().filter(|c| c.field == "uscc").count(), 2, "{n}: both records' creation rows");
        // The merged name is a former name: searching it finds the kept record.
        let found = app.search(&office, "川锦化工", 10, 0).await.expect("search");
        assert_eq!(found.items.iter().map(|h| h.id).collect::<Vec<_>>(), [a], "{n}");
        assert!(app.merge_candidates(&office).await.expect("queue").is_empty(), "{n}");
        assert!(
            matches!(app.decide_merge(&office, queue[0].id, None).await, Err(AppError::NotFound)),
            "{n}: decided once"
        );
    }
}

#[tokio::test]
async fn enterprises_propose_corrections_that_their_region_reviews() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let office = principal(app, "c.office", "办", &["office"]).await;
        let code = uscc("511722", 7);
        let id = app.create_enterprise(&office, &input(&code, "宣汉甲公司", "511722", "2614")).await.expect("create");
        let firm = principal(app, "c.firm", "甲公司", &[&format!("enterprise:{code}")]).await;
        let region = principal(app, "c.region", "宣汉", &["region:511722"]).await;
        let other = principal(app, "c.other", "开江", &["region:511723"]).await;
        let ask = |name: &str, emp: &str| {
            vec![("name".to_string(), name.to_string()), ("employees".to_string(), emp.to_string())]
        };
        // Refusals change nothing.
        assert!(
            matches!(
                app.propose_correction(&firm, id, &ask("宣汉甲公司", "120"), "无").await,
                Err(AppError::Invalid(_))
            ),
            "{n}: no change"
        );
        assert!(
            matches!(
                app.propose_correction(&firm, id, &ask("宣汉甲有限公司", "120"), " ").await,
                Err(AppError::Invalid(_))
            ),
            "{n}: no reason"
        );
        assert!(
            matches!(
                app.propose_correction(&firm, id, &ask("宣汉甲有限公司", "很多"), "变更").await,
                Err(AppError::Invalid(_))
            ),
            "{n}: bad value"
        );
        assert!(
            matches!(
                app.propose_correction(&region, id, &ask("宣汉甲有限公司", "120"), "变更").await,
                Err(AppError::Forbidden(_))
            ),
            "{n}: not the firm"
        );
        assert!(app.pending_corrections(&region).await.expect("pending").is_empty(), "{n}");
        let cid =
            app.propose_correction(&firm, id, &ask("宣汉甲有限公司", "130"), "营业执照变更").await.expect("propose");
        assert_eq!(
            app.enterprise(&office, id).await.expect("get").name,
            "宣汉甲公司",
            "{n}: not applied before review"
        );
        // The region reviews; another region does not see it.
        assert!(app.pending_corrections(&other).await.expect("pending").is_empty(), "{n}");
        let pending = app.pending_corrections(&region).await.expect("pending");
        assert_eq!(pending.iter().map(|c| c.id).collect::<Vec<_>>(), [cid], "{n}");
        assert!(matches!(app.review_correction(&other, cid, true, "").await, Err(AppError::NotFound)), "{n}");
        assert!(
            matches!(app.review_correction(&region, cid, false, " ").await, Err(AppError::Invalid(_))),
            "{n}: reject needs a note"
        );
        app.review_correction(&region, cid, true, "核对执照无误").await.expect("approve");
        let e = app.enterprise(&office, id).await.expect("get");
        assert_eq!((e.name.as_str(), e.employees), ("宣汉甲有限公司", Some(130)), "{n}");
        let h = app.enterprise_history(&office, id).await.expect("history");
        assert!(h.iter().any(|c| c.field == "name" && c.source == format!("企业更正申请#{cid}")), "{n}");
        let mine = app.corrections_of(&firm, id).await.expect("mine");
        assert_eq!((mine[0].status.as_str(), mine[0].review_note.as_str()), ("approved", "核对执照无误"), "{n}");
        assert!(
            matches!(app.review_correction(&region, cid, true, "").await, Err(AppError::NotFound)),
            "{n}: reviewed once"
        );
    }
}
