//! The demo city: 3,000 fictitious enterprises marked 示例 with valid USCCs, one account per
//! role that can log in, reproducible from its seed, and seeded once only.

use crate::harness::{TestDb, all, backends, count, login, sqlite};
use app::AppError;
use app::demo::Scale;
use domain::role::Role;
use domain::uscc::Uscc;
use std::collections::{BTreeMap, BTreeSet};
use store::sql::Sql;

async fn usccs(t: &TestDb) -> Vec<String> {
    let rows: Vec<(String,)> =
        Sql::new("SELECT uscc FROM enterprise ORDER BY id").fetch_all(&t.app.db).await.expect("usccs");
    rows.into_iter().map(|r| r.0).collect()
}

#[tokio::test]
async fn demo_city() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let report = app.seed_demo(Scale::City, 42).await.expect("seed");
        assert_eq!((report.enterprises, report.chains), (3000, 22), "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM enterprise").await, 3000, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM enterprise WHERE is_demo = FALSE").await, 0, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM chain").await, 22, "{n}");
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM enterprise e WHERE NOT EXISTS (SELECT 1 FROM enterprise_chain c WHERE c.enterprise_id = e.id)").await,
            0,
            "{n}: every demo enterprise is on a chain"
        );
        let names: Vec<(String, String, String)> =
            Sql::new("SELECT uscc, name, region_code FROM enterprise ORDER BY id")
                .fetch_all(&app.db)
                .await
                .expect("rows");
        let mut by_county = BTreeMap::new();
        for (u, name, region) in &names {
            let parsed = Uscc::parse(u).unwrap_or_else(|e| panic!("{n}: {u}: {e}"));
            assert_eq!(parsed.as_str(), u, "{n}");
            assert!(name.contains("示例"), "{n}: {name}");
            assert_eq!(&u[2..8], region.as_str(), "{n}: {u} is registered in {region}");
            *by_county.entry(region.clone()).or_insert(0) += 1;
        }
        assert_eq!(by_county.len(), 7, "{n}: spread over every county: {by_county:?}");
        assert_eq!(names.iter().map(|r| &r.1).collect::<BTreeSet<_>>().len(), 3000, "{n}: names are distinct");
        // Every write of the seed is in the audit chain, which verifies.
        let v = store::audit::verify(&app.db).await.expect("verify");
        assert_eq!(v.first_broken, None, "{n}");
        assert_eq!(
            v.rows,
            22 + 3000 + 22 + 1 + 1 + 14 + 1 + 102 + 300 + 14,
            "{n}: chains, enterprises, chain maps, the reference product graph, the evaluation scheme, accounts, the chief's chain, \
             the evaluation runs (8 created, 24 experts, 23 declarations, 23 score saves, 7 computations, 12 reviews, 2 tier changes, 3 exit steps), \
             the key projects, the problems demo (one entry per batch: problems, groups, visits, meetings, tasks, plans)"
        );
        crate::project_demo::check_demo_projects(&t, &report).await;
        // Evaluation runs in every state, a ledger with two years of history and exits.
        assert_eq!(count(app, "SELECT COUNT(*) FROM eval_run WHERE status = 'approved'").await, 6, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM eval_run WHERE status = 'computed'").await, 1, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM eval_run WHERE status = 'scoring'").await, 1, "{n}");
        assert!(count(app, "SELECT COUNT(*) FROM tier_entry WHERE tier = 'demonstration'").await >= 3, "{n}");
        assert!(count(app, "SELECT COUNT(DISTINCT year) FROM tier_history").await >= 2, "{n}");
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM tier_exit WHERE state = 'initiated' AND appeal IS NOT NULL").await,
            1,
            "{n}"
        );

        // One account per role; every one logs in and sees what its role allows.
        assert_eq!(report.accounts.len(), 14, "{n}");
        let roles: BTreeSet<&str> = report.accounts.iter().map(|a| a.role.as_str()).collect();
        assert_eq!(roles, Role::ALL.iter().map(|r| r.code()).collect::<BTreeSet<_>>(), "{n}");
        for a in &report.accounts {
            let (_, p) = login(app, &a.username, &a.password).await;
            assert_eq!(p.grants.len(), 1, "{n}: {}", a.username);
            assert_eq!((p.grants[0].role.code(), p.grants[0].scope.clone()), (a.role.as_str(), a.scope.clone()), "{n}");
            assert!(!p.must_change_password, "{n}: {}", a.username);
            let seen = app.enterprise_count(&p, &all()).await;
            match a.role.as_str() {
                "office" | "viewer" => assert_eq!(seen.expect("count"), 3000, "{n}: {}", a.role),
                "chief" | "lead_dept" | "region" => {
                    let c = seen.expect("count");
                    assert!(c > 0 && c < 3000, "{n}: {} sees {c}", a.role)
                }
                "enterprise" => assert_eq!(seen.expect("count"), 1, "{n}"),
                _ => assert!(matches!(seen, Err(AppError::Forbidden(_))), "{n}: {} sees {seen:?}", a.role),
            }
        }
        // The demo expert has a run to score (not yet declared).
        let expert = report.accounts.iter().find(|a| a.username == "demo.expert").expect("expert account");
        let (_, p) = login(app, &expert.username, &expert.password).await;
        let tasks = app.expert_runs(&p).await.expect("tasks");
        assert!(tasks.iter().any(|(r, x)| r.status == "scoring" && !x.declared), "{n}");
        let region = report.accounts.iter().find(|a| a.role == "region").expect("region account");
        let (_, p) = login(app, &region.username, &region.password).await;
        assert_eq!(
            app.enterprise_count(&p, &all()).await.expect("count"),
            count(app, "SELECT COUNT(*) FROM enterprise WHERE region_code = '511722'").await,
            "{n}: the region account sees exactly its county"
        );

        // A second seed is refused and adds nothing.
        let r = app.seed_demo(Scale::City, 42).await;
        assert!(matches!(&r, Err(AppError::Conflict(m)) if m == "数据库中已有示例数据"), "{n}: {r:?}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM enterprise").await, 3000, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM account").await, 14, "{n}");
    }
}

#[tokio::test]
async fn demo_is_reproducible_from_its_seed() {
    let mut lists = Vec::new();
    for k in 0..2 {
        let t = sqlite().await;
        t.app.seed_demo(Scale::City, 42).await.expect("seed");
        let mut list = usccs(&t).await;
        let projects: Vec<(String, String, String, i64)> =
            Sql::new("SELECT code, name, stage, completed_fen FROM project ORDER BY id")
                .fetch_all(&t.app.db)
                .await
                .expect("projects");
        list.extend(projects.into_iter().map(|p| format!("{} {} {} {}", p.0, p.1, p.2, p.3)));
        lists.push(list);
        if k == 0 {
            t.skip(); // one test, one run
        }
    }
    assert_eq!(lists[0].len(), 3000 + 300);
    assert_eq!(lists[0], lists[1], "the same seed gives the same city");
}
