//! The audit log: every write appends a row in its transaction, rows are SM3-chained,
//! the database refuses to change them, and verification finds tampering and truncation.

use crate::harness::{PASSWORD, audit_actions, audit_rows, backends, exec, input, login, principal, uscc};
use app::{App, AppError, Backend};
use domain::clock::Clock;
use store::audit::{AuditFilter, Verification};
use store::sql::Sql;

const ZERO: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Writes of several kinds; returns the number of audit rows they should have produced.
async fn some_writes(app: &App) -> i64 {
    let office = principal(app, "u.office", "办公室甲", &["office"]).await; // account.create, login
    let id = app
        .create_enterprise(&office, &input(&uscc("511722", 1), "宣汉甲化工有限公司", "511722", "2614"))
        .await
        .expect("create");
    let mut i = app::enterprise::EnterpriseInput::from_row(&app.enterprise(&office, id).await.expect("get"));
    i.address = "新地址".into();
    app.update_enterprise(&office, id, 1, &i).await.expect("update");
    principal(app, "u.auditor", "审计员", &["auditor"]).await; // account.create, login
    6
}

async fn verify(app: &App) -> Verification {
    store::audit::verify(&app.db).await.expect("verify runs")
}

async fn chain(app: &App) -> Vec<(i64, String, String)> {
    Sql::new("SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq").fetch_all(&app.db).await.expect("chain")
}

#[tokio::test]
async fn writes_are_chained() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let rows = some_writes(app).await;
        let actions: Vec<String> = audit_actions(app).await.into_iter().map(|(a, _)| a).collect();
        assert_eq!(
            actions,
            ["account.create", "login", "enterprise.create", "enterprise.update", "account.create", "login"],
            "{n}"
        );
        let c = chain(app).await;
        assert_eq!(c.len() as i64, rows, "{n}");
        let mut prev = ZERO.to_string();
        for (k, (seq, p, h)) in c.iter().enumerate() {
            assert_eq!(*seq, k as i64 + 1, "{n}: seq");
            assert_eq!(p, &prev, "{n}: row {seq} links to the previous hash");
            assert_eq!(h.len(), 64, "{n}");
            assert_ne!(h, p, "{n}");
            prev = h.clone();
        }
        assert_eq!(verify(app).await, Verification { rows, first_broken: None }, "{n}");
        // The head follows the last row.
        let head: Vec<(i64, String)> =
            Sql::new("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_all(&app.db).await.expect("head");
        assert_eq!(head, vec![(rows, prev)], "{n}");

        // What the update row recorded.
        let auditor = login(app, "u.auditor", PASSWORD).await.1;
        let f = AuditFilter { action: Some("enterprise.update".into()), per_page: 50, ..Default::default() };
        let (found, total) = app.audit_log(&auditor, &f).await.expect("auditor reads the log");
        assert_eq!(total, 1, "{n}");
        let r = &found[0];
        assert_eq!(
            (r.actor.as_str(), r.entity.as_str(), r.actor_id.is_some()),
            ("u.office", "enterprise", true),
            "{n}"
        );
        let before: serde_json::Value = serde_json::from_str(r.before_json.as_deref().expect("before")).expect("json");
        let after: serde_json::Value = serde_json::from_str(r.after_json.as_deref().expect("after")).expect("json");
        assert_eq!(
            (before["address"].as_str(), after["address"].as_str()),
            (Some("达州市某路1号"), Some("新地址")),
            "{n}"
        );
        assert_eq!(r.at, t.clock.now(), "{n}");
        // Only the auditor reads or verifies the log (三权分立).
        let office = login(app, "u.office", PASSWORD).await.1;
        assert!(matches!(app.audit_log(&office, &f).await, Err(AppError::Forbidden(_))), "{n}");
        assert!(matches!(app.audit_verify(Some(&office)).await, Err(AppError::Forbidden(_))), "{n}");
        let v = app.audit_verify(Some(&auditor)).await.expect("auditor verifies");
        assert_eq!(v.first_broken, None, "{n}");
        // The two logins above are audited; reading and verifying the log are not.
        assert_eq!(audit_rows(app).await, rows + 2, "{n}");
    }
}

#[tokio::test]
async fn database_refuses_changes_and_verify_finds_tampering() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let rows = some_writes(app).await;
        assert_eq!(verify(app).await.first_broken, None, "{n}");

        // The triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL).
        let mut refused = vec![
            exec(app, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").await,
            exec(app, "DELETE FROM audit_log WHERE seq = 2").await,
            exec(app, "DELETE FROM audit_log").await,
        ];
        if t.backend == Backend::Postgres {
            refused.push(exec(app, "TRUNCATE audit_log").await);
        }
        for r in refused {
            let e = r.expect_err("the database must refuse");
            assert!(e.to_string().contains("audit_log is append-only"), "{n}: {e}");
        }
        assert_eq!(audit_rows(app).await, rows, "{n}");
        assert_eq!(verify(app).await, Verification { rows, first_broken: None }, "{n}");

        // Someone with the schema owner's rights drops the trigger and edits row 3.
        let drop_update = match t.backend {
            Backend::Sqlite => "DROP TRIGGER audit_log_no_update",
            Backend::Postgres => "DROP TRIGGER audit_log_no_update ON audit_log",
        };
        exec(app, drop_update).await.expect("drop trigger");
        let original: Vec<(String,)> =
            Sql::new("SELECT after_json FROM audit_log WHERE seq = 3").fetch_all(&app.db).await.expect("row 3");
        let original = original[0].0.clone();
        let forged = original.replace("宣汉甲化工有限公司", "宣汉乙化工有限公司");
        assert_ne!(forged, original);
        let mut q = Sql::new("UPDATE audit_log SET after_json = ");
        q.bind(forged.as_str()).push(" WHERE seq = 3");
        let mut tx = app.db.begin().await.expect("tx");
        assert_eq!(q.execute_tx(&mut tx).await.expect("tamper"), 1);
        tx.commit().await.expect("commit");
        assert_eq!(
            verify(app).await,
            Verification { rows: 3, first_broken: Some((3, "内容与哈希不符（记录被改动）".into())) },
            "{n}"
        );
        // Changing a link is found at that row too.
        let mut q = Sql::new("UPDATE audit_log SET after_json = ");
        q.bind(original.as_str()).push(" WHERE seq = 3");
        let mut tx = app.db.begin().await.expect("tx");
        q.execute_tx(&mut tx).await.expect("restore");
        tx.commit().await.expect("commit");
        assert_eq!(verify(app).await.first_broken, None, "{n}: restored");
        exec(app, &format!("UPDATE audit_log SET prev_hash = '{ZERO}' WHERE seq = 4")).await.expect("relink");
        assert_eq!(
            verify(app).await,
            Verification { rows: 4, first_broken: Some((4, "前序哈希与上一条不符".into())) },
            "{n}"
        );
        let restore: Vec<(String,)> =
            Sql::new("SELECT hash FROM audit_log WHERE seq = 3").fetch_all(&app.db).await.expect("row 3");
        exec(app, &format!("UPDATE audit_log SET prev_hash = '{}' WHERE seq = 4", restore[0].0))
            .await
            .expect("restore");
        assert_eq!(verify(app).await.first_broken, None, "{n}: restored");

        // Deleting the last row: every remaining row checks out, but the head says more.
        if t.backend == Backend::Sqlite {
            exec(app, "DROP TRIGGER audit_log_no_delete").await.expect("drop delete trigger");
        }
        assert_eq!(exec(app, &format!("DELETE FROM audit_log WHERE seq = {rows}")).await.expect("truncate"), 1);
        assert_eq!(
            verify(app).await,
            Verification {
                rows: rows - 1, first_broken: Some((rows, "链尾记录缺失（日志被截断）".into()))
            },
            "{n}"
        );
        // Deleting one in the middle: the gap is named at the row after it.
        assert_eq!(exec(app, "DELETE FROM audit_log WHERE seq = 2").await.expect("delete"), 1);
        assert_eq!(
            verify(app).await,
            Verification { rows: 2, first_broken: Some((3, "缺少第 2 条（序号不连续）".into())) },
            "{n}"
        );
    }
}

/// A write refused half-way leaves neither the data nor an audit row.
#[tokio::test]
async fn failed_write_leaves_no_audit_row() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        some_writes(app).await;
        let office = login(app, "u.office", PASSWORD).await.1;
        let before = audit_rows(app).await;
        let dup = app.create_enterprise(&office, &input(&uscc("511722", 1), "重复", "511722", "2614")).await;
        assert!(matches!(dup, Err(AppError::Invalid(_))), "{n}: {dup:?}");
        assert_eq!(audit_rows(app).await, before, "{n}");
        assert_eq!(verify(app).await.first_broken, None, "{n}");
    }
}
