//! The two migrations describe one schema, and the reference data loads in full.

use crate::harness::{TestDb, backends, count};
use domain::clock::Clock;
use std::collections::BTreeSet;
use store::sql::Sql;

/// (table, column, normalised type, not null)
type Column = (String, String, String, bool);

fn sqlite_type(t: &str) -> String {
    match t.trim().to_ascii_uppercase().as_str() {
        "INTEGER" | "BIGINT" => "bigint".into(),
        "TEXT" => "text".into(),
        "BOOLEAN" => "boolean".into(),
        "DOUBLE PRECISION" | "DOUBLE" | "REAL" => "double precision".into(),
        "BLOB" => "bytea".into(),
        "TIMESTAMP" | "TIMESTAMPTZ" => "timestamp with time zone".into(),
        "DATE" => "date".into(),
        other => format!("unmapped sqlite type {other}"),
    }
}

async fn sqlite_columns(t: &TestDb) -> BTreeSet<Column> {
    // A primary-key column is NOT NULL on PostgreSQL by definition; SQLite's pragma reports
    // it as nullable unless declared so, hence `pk > 0` counts as NOT NULL.
    let rows: Vec<(String, String, String, i64, i64)> = Sql::new(
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk FROM sqlite_master AS m, pragma_table_info(m.name) AS p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .fetch_all(&t.app.db)
    .await
    .expect("sqlite columns");
    rows.into_iter().map(|(tb, c, ty, nn, pk)| (tb, c, sqlite_type(&ty), nn == 1 || pk > 0)).collect()
}

async fn pg_columns(t: &TestDb, schema: &str) -> BTreeSet<Column> {
    let mut q = Sql::new(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
         WHERE table_name <> '_sqlx_migrations' AND table_schema = ",
    );
    q.bind(schema);
    let rows: Vec<(String, String, String, String)> = q.fetch_all(&t.app.db).await.expect("pg columns");
    rows.into_iter().map(|(tb, c, ty, n)| (tb, c, ty, n == "NO")).collect()
}

async fn pg_schema(t: &TestDb) -> String {
    let rows: Vec<(String,)> = Sql::new("SELECT current_schema()::text").fetch_all(&t.app.db).await.expect("schema");
    rows[0].0.clone()
}

async fn sqlite_indexes(t: &TestDb) -> BTreeSet<String> {
    let rows: Vec<(String,)> = Sql::new("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        .fetch_all(&t.app.db)
        .await
        .expect("sqlite indexes");
    rows.into_iter().map(|r| r.0).collect()
}

async fn pg_indexes(t: &TestDb, schema: &str) -> BTreeSet<String> {
    // Leave out the indexes PostgreSQL makes for PRIMARY KEY and UNIQUE (SQLite's are
    // `sqlite_autoindex_*` without SQL text).
    let mut q = Sql::new(
        "SELECT i.relname::text FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE NOT x.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) \
         AND t.relname <> '_sqlx_migrations' AND n.nspname = ",
    );
    q.bind(schema);
    let rows: Vec<(String,)> = q.fetch_all(&t.app.db).await.expect("pg indexes");
    rows.into_iter().map(|r| r.0).collect()
}

#[tokio::test]
async fn migrations_in_lockstep() {
    let dbs = backends().await;
    let [lite, pg] = dbs.as_slice() else {
        // Without PostgreSQL there is nothing to compare (CI never gets here: the harness
        // fails when QIANGLIAN_TEST_PG is missing).
        return;
    };
    let schema = pg_schema(pg).await;
    assert!(schema.starts_with("it_"), "the test runs in its own schema, not {schema}");
    let a = sqlite_columns(lite).await;
    let b = pg_columns(pg, &schema).await;
    let tables = |s: &BTreeSet<Column>| s.iter().map(|c| c.0.clone()).collect::<BTreeSet<_>>();
    let expected_tables: BTreeSet<String> = [
        "account",
        "account_role",
        "audit_head",
        "audit_log",
        "chain",
        "chain_region",
        "change_feed",
        "correction",
        "chain_list",
        "chain_officer",
        "chain_target",
        "department",
        "enterprise",
        "enterprise_alias",
        "enterprise_chain",
        "eval_result",
        "eval_review",
        "eval_run",
        "eval_run_expert",
        "eval_scheme",
        "eval_scheme_version",
        "eval_score",
        "field",
        "field_history",
        "gradient_status",
        "honour",
        "honour_kind",
        "indicator",
        "indicator_value",
        "industry",
        "industry_concordance",
        "listing_reserve",
        "meeting",
        "meeting_item",
        "merge_candidate",
        "placement",
        "plan_item",
        "problem",
        "problem_event",
        "problem_file",
        "problem_group",
        "product_mapping",
        "project",
        "project_done",
        "project_event",
        "project_evidence",
        "project_filter",
        "project_milestone",
        "project_plan",
        "project_report",
        "project_supervision",
        "ref_company",
        "ref_company_industry",
        "ref_company_product",
        "ref_graph_import",
        "ref_product",
        "ref_product_sub",
        "ref_product_supply",
        "reference_load",
        "region",
        "security_policy",
        "segment",
        "segment_edge",
        "session",
        "setting",
        "size_threshold",
        "supply_relation",
        "target",
        "target_event",
        "target_push",
        "task",
        "task_report",
        "tier_entry",
        "tier_exit",
        "tier_history",
        "visit",
        "workday_adjustment",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(tables(&a), expected_tables, "SQLite tables");
    assert_eq!(tables(&b), expected_tables, "PostgreSQL tables");
    let only_sqlite: Vec<_> = a.difference(&b).collect();
    let only_pg: Vec<_> = b.difference(&a).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "schemas differ:\nonly SQLite: {only_sqlite:#?}\nonly PostgreSQL: {only_pg:#?}"
    );
    // Spot checks that the normalisation does not hide everything.
    assert!(a.contains(&("enterprise".into(), "founded_on".into(), "date".into(), false)));
    assert!(a.contains(&("audit_log".into(), "at".into(), "timestamp with time zone".into(), true)));
    assert!(a.contains(&("size_threshold".into(), "large_min".into(), "double precision".into(), true)));
    assert!(a.contains(&("enterprise".into(), "above_scale".into(), "boolean".into(), true)));
    assert!(a.contains(&("indicator_value".into(), "value".into(), "double precision".into(), true)));
    assert_eq!(a.len(), 686, "column count");
    assert_eq!(sqlite_indexes(lite).await, pg_indexes(pg, &schema).await, "indexes");
}

#[tokio::test]
async fn reference_data_loads() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let by_level: Vec<(String, i64)> =
            Sql::new("SELECT level, COUNT(*) FROM industry GROUP BY level ORDER BY level")
                .fetch_all(&app.db)
                .await
                .expect("levels");
        let by_level: Vec<(&str, i64)> = by_level.iter().map(|(l, c)| (l.as_str(), *c)).collect();
        assert_eq!(by_level, [("class", 1381), ("division", 97), ("group", 473), ("section", 20)], "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM industry").await, 1971, "{n}");

        let regions = app.regions().await.expect("regions");
        let codes: Vec<(&str, &str)> = regions.iter().map(|r| (r.code.as_str(), r.kind.as_str())).collect();
        assert_eq!(
            codes,
            [
                ("511700", "prefecture"),
                ("511702", "county"),
                ("511703", "county"),
                ("511722", "county"),
                ("511723", "county"),
                ("511724", "county"),
                ("511725", "county"),
                ("511781", "county"),
                ("5117P1", "park"),
                ("5117P2", "park"),
            ],
            "{n}"
        );
        let xuanhan = regions.iter().find(|r| r.code == "511722").expect("宣汉县");
        assert_eq!((xuanhan.name.as_str(), xuanhan.parent_code.as_deref()), ("宣汉县", Some("511700")), "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM region WHERE kind = 'township'").await, 200, "{n}");
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM region WHERE kind = 'township' AND parent_code NOT IN (SELECT code FROM region WHERE kind = 'county')").await,
            0,
            "{n}: every township hangs under a county"
        );
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM region WHERE parent_code IS NULL").await,
            1,
            "{n}: only the province is a root"
        );

        let fields = app.fields().await.expect("fields");
        assert_eq!(fields.len(), 7, "{n}");
        assert_eq!(fields[0].code, "energy_chemical", "{n}");
        let deps = app.departments().await.expect("departments");
        assert!(deps.len() > 10, "{n}: {} departments", deps.len());
        for code in ["jxj", "kjj", "rqqlb"] {
            assert!(deps.iter().any(|d| d.code == code), "{n}: department {code}");
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM size_threshold").await, 30, "{n}");
        // Concordance cells that pack several codes ("2454 / 2455") load as one row per pair.
        assert_eq!(count(app, "SELECT COUNT(*) FROM industry_concordance WHERE code_2011 LIKE '%/%'").await, 0, "{n}");
        let packed: Vec<(String, String)> = Sql::new(
            "SELECT code_2017, code_2011 FROM industry_concordance WHERE code_2017 IN ('2454', '2455', '3964', '7271', '7272') \
             ORDER BY code_2017, code_2011",
        )
        .fetch_all(&app.db)
        .await
        .expect("concordance");
        let packed: Vec<(&str, &str)> = packed.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(
            packed,
            [
                ("2454", "2450"),
                ("2455", "2450"),
                ("3964", "3599"),
                ("3964", "3855"),
                ("3964", "3859"),
                ("7271", "7281"),
                ("7272", "7282")
            ],
            "{n}"
        );
        assert_eq!(count(app, "SELECT COUNT(*) FROM reference_load").await, 5, "{n}");
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM workday_adjustment").await,
            75,
            "{n}: the holiday arrangement 2024–2026"
        );
        // No chains, enterprises, accounts or audit rows until someone creates them.
        for table in ["chain", "enterprise", "account", "audit_log"] {
            assert_eq!(count(app, &format!("SELECT COUNT(*) FROM {table}")).await, 0, "{n}: {table}");
        }
        let classes = app.industries("2614", 10).await.expect("industries");
        assert_eq!(classes[0].code, "2614", "{n}");
        assert_eq!(classes[0].level, "class", "{n}");
    }
}

#[tokio::test]
async fn reopening_does_not_reload() {
    for t in backends().await {
        // Migrating again (a restart) leaves the reference data as it was.
        t.app.db.migrate(t.clock.now()).await.expect("migrate again");
        assert_eq!(count(&t.app, "SELECT COUNT(*) FROM industry").await, 1971, "{}", t.name());
        assert_eq!(count(&t.app, "SELECT COUNT(*) FROM region").await, 1 + 1 + 7 + 2 + 200, "{}", t.name());
    }
}
