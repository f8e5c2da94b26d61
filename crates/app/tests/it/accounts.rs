//! Accounts under 等保 level 3: lockout, session timeouts, logout, disabling, forced password
//! changes, the password policy and 三权分立.

use crate::harness::{PASSWORD, account, all, audit_actions, audit_rows, backends, grants, login, principal};
use app::account::SessionKind;
use app::{Actor, App, AppError, FieldError};
use chrono::Duration;
use domain::clock::Clock;

async fn version(app: &App, id: i64) -> i64 {
    store::account::by_id(&app.db, id).await.expect("read account").expect("account exists").version
}

fn unauthenticated<T: std::fmt::Debug>(r: Result<T, AppError>) -> String {
    match r {
        Err(AppError::Unauthenticated(m)) => m,
        other => panic!("expected Unauthenticated, got {other:?}"),
    }
}

const EXPIRED: &str = "登录已过期，请重新登录";

#[tokio::test]
async fn lockout_after_five_failures_for_fifteen_minutes() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let id = account(app, "zhang.san", "张三", &["viewer"]).await;
        let start = t.clock.now();
        let before = audit_rows(app).await;
        // An unknown user gets the same words and leaves no trace.
        let m = unauthenticated(app.login("nobody", PASSWORD, SessionKind::Web, "10.0.0.1").await);
        assert_eq!(m, "用户名或密码错误", "{n}");
        assert_eq!(audit_rows(app).await, before, "{n}");
        for left in [4, 3, 2, 1] {
            let m = unauthenticated(app.login("zhang.san", "Wrong#Pass1", SessionKind::Web, "10.0.0.1").await);
            assert_eq!(m, format!("用户名或密码错误，再失败 {left} 次账号将被锁定"), "{n}");
        }
        let until = start + Duration::minutes(15);
        let r = app.login("zhang.san", "Wrong#Pass1", SessionKind::Web, "10.0.0.1").await;
        match r {
            Err(e @ AppError::Locked { .. }) => {
                assert!(matches!(e, AppError::Locked { until: u } if u == until), "{n}: {e:?}");
                assert_eq!(e.to_string(), "账号已锁定，请于09:15后重试", "{n}");
            }
            other => panic!("{n}: fifth failure gives {other:?}"),
        }
        let actions = audit_actions(app).await;
        let mine: Vec<&str> = actions.iter().filter(|(_, e)| *e == id.to_string()).map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            mine,
            ["account.create", "login.failure", "login.failure", "login.failure", "login.failure", "account.lock"],
            "{n}"
        );
        // Locked: even the right password is refused, without further audit rows.
        let rows = audit_rows(app).await;
        let r = app.login("zhang.san", PASSWORD, SessionKind::Web, "10.0.0.1").await;
        assert!(matches!(r, Err(AppError::Locked { until: u }) if u == until), "{n}: {r:?}");
        t.clock.advance(Duration::minutes(14));
        let r = app.login("zhang.san", PASSWORD, SessionKind::Web, "10.0.0.1").await;
        assert!(matches!(r, Err(AppError::Locked { until: u }) if u == until), "{n}: after 14 min {r:?}");
        assert_eq!(audit_rows(app).await, rows, "{n}");
        t.clock.advance(Duration::minutes(1));
        let (_, p) = login(app, "zhang.san", PASSWORD).await;
        assert_eq!(p.account_id, id, "{n}");
        let acc = store::account::by_id(&app.db, id).await.expect("read").expect("exists");
        assert_eq!((acc.failed_logins, acc.locked_until, acc.last_login_at), (0, None, Some(t.clock.now())), "{n}");
        // The count starts again from zero.
        let m = unauthenticated(app.login("zhang.san", "Wrong#Pass1", SessionKind::Web, "10.0.0.1").await);
        assert_eq!(m, "用户名或密码错误，再失败 4 次账号将被锁定", "{n}");
    }
}

#[tokio::test]
async fn sessions_time_out_idle_and_absolute() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        account(app, "li.si", "李四", &["viewer"]).await;
        let ip = "10.0.0.2";

        // Idle: 29 minutes apart is fine (and moves the idle clock), 30 is not.
        let (token, _) = login(app, "li.si", PASSWORD).await;
        for _ in 0..3 {
            t.clock.advance(Duration::minutes(29));
            app.authenticate(&token, SessionKind::Web, ip).await.unwrap_or_else(|e| panic!("{n}: {e:?}"));
        }
        t.clock.advance(Duration::minutes(30));
        assert_eq!(unauthenticated(app.authenticate(&token, SessionKind::Web, ip).await), EXPIRED, "{n}");
        // Gone for good, not merely late.
        t.clock.advance(Duration::minutes(-30));
        assert_eq!(
            unauthenticated(app.authenticate(&token, SessionKind::Web, ip).await),
            EXPIRED,
            "{n}: expired session deleted"
        );

        // Absolute: active every 20 minutes, still over after 12 hours.
        let (token, _) = login(app, "li.si", PASSWORD).await;
        for k in 1..36 {
            t.clock.advance(Duration::minutes(20));
            app.authenticate(&token, SessionKind::Web, ip)
                .await
                .unwrap_or_else(|e| panic!("{n}: at {k}×20 min: {e:?}"));
        }
        t.clock.advance(Duration::minutes(20)); // 12 h
        assert_eq!(unauthenticated(app.authenticate(&token, SessionKind::Web, ip).await), EXPIRED, "{n}: 12 h");

        // A web session is not an API token, and junk is no token at all.
        let s = app.login("li.si", PASSWORD, SessionKind::Web, ip).await.expect("login");
        assert_eq!(unauthenticated(app.authenticate(&s.token, SessionKind::Api, ip).await), EXPIRED, "{n}");
        assert_eq!(unauthenticated(app.authenticate("not-a-token", SessionKind::Web, ip).await), EXPIRED, "{n}");
        assert_eq!(unauthenticated(app.authenticate(&"0".repeat(64), SessionKind::Web, ip).await), EXPIRED, "{n}");
        let api = app.login("li.si", PASSWORD, SessionKind::Api, ip).await.expect("api login");
        assert_ne!(api.token, s.token, "{n}: a new id at every login");
        app.authenticate(&api.token, SessionKind::Api, ip).await.expect("api token");
    }
}

#[tokio::test]
async fn logout_and_disabling_end_sessions() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let ip = "10.0.0.3";
        let sys = principal(app, "sys.admin", "系统管理员", &["sysadmin"]).await;
        let target = account(app, "wang.wu", "王五", &["viewer"]).await;

        let (token, p) = login(app, "wang.wu", PASSWORD).await;
        let (other, _) = login(app, "wang.wu", PASSWORD).await;
        app.logout(&token, &p).await.expect("logout");
        assert_eq!(unauthenticated(app.authenticate(&token, SessionKind::Web, ip).await), EXPIRED, "{n}");
        assert_eq!(audit_actions(app).await.last().map(|(a, _)| a.as_str()), Some("logout"), "{n}");
        // Logging out one session leaves the other.
        app.authenticate(&other, SessionKind::Web, ip).await.expect("other session");

        // Only the system administrator disables, never itself, and with the current version.
        let office = principal(app, "u.office", "办公室", &["office"]).await;
        let v = version(app, target).await;
        assert!(matches!(app.set_disabled(&office, target, v, true).await, Err(AppError::Forbidden(_))), "{n}");
        assert!(
            matches!(
                app.set_disabled(&sys, sys.account_id, version(app, sys.account_id).await, true).await,
                Err(AppError::Forbidden(_))
            ),
            "{n}"
        );
        assert!(
            matches!(app.set_disabled(&sys, target, v + 1, true).await, Err(AppError::Stale { by: None, .. })),
            "{n}"
        );
        app.authenticate(&other, SessionKind::Web, ip).await.expect("nothing changed yet");

        app.set_disabled(&sys, target, v, true).await.expect("disable");
        assert!(app.authenticate(&other, SessionKind::Web, ip).await.is_err(), "{n}: disabling ends sessions");
        assert_eq!(
            unauthenticated(app.login("wang.wu", PASSWORD, SessionKind::Web, ip).await),
            "账号已停用，请联系系统管理员",
            "{n}"
        );
        assert_eq!(audit_actions(app).await.last(), Some(&("account.disable".to_string(), target.to_string())), "{n}");
        app.set_disabled(&sys, target, v + 1, false).await.expect("enable");
        login(app, "wang.wu", PASSWORD).await;
    }
}

#[tokio::test]
async fn reset_forces_a_password_change() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let ip = "10.0.0.4";
        let sys = principal(app, "sys.admin", "系统管理员", &["sysadmin"]).await;
        let target = account(app, "zhao.liu", "赵六", &["viewer"]).await;
        let (old_session, p) = login(app, "zhao.liu", PASSWORD).await;
        assert!(!p.must_change_password, "{n}: a console-chosen password needs no change");

        let office = principal(app, "u.office", "办公室", &["office"]).await;
        assert!(
            matches!(
                app.reset_password(&office, target, version(app, target).await).await,
                Err(AppError::Forbidden(_))
            ),
            "{n}"
        );
        let fresh = app.reset_password(&sys, target, version(app, target).await).await.expect("reset");
        assert_eq!(fresh.chars().count(), 16, "{n}");
        assert!(app.authenticate(&old_session, SessionKind::Web, ip).await.is_err(), "{n}: reset ends sessions");
        assert!(app.login("zhao.liu", PASSWORD, SessionKind::Web, ip).await.is_err(), "{n}: old password gone");

        let (token, p) = login(app, "zhao.liu", &fresh).await;
        assert!(p.must_change_password, "{n}");
        assert!(matches!(p.ensure_active(), Err(AppError::PasswordChange)), "{n}");
        assert!(
            matches!(app.enterprises(&p, &all()).await, Err(AppError::PasswordChange)),
            "{n}: nothing else until changed"
        );

        // Refusals of the change itself.
        let r = app.change_password(&p, "Wrong#Pass1", "Brand#New2026").await;
        assert_invalid(r, "old_password", "原密码不正确", n);
        let r = app.change_password(&p, &fresh, &fresh).await;
        assert_invalid(r, "new_password", "新密码不能与原密码相同", n);
        let r = app.change_password(&p, &fresh, "short1A").await;
        assert_invalid(r, "new_password", "密码长度至少 8 位", n);
        let r = app.change_password(&p, &fresh, "Zhao.Liu#2026").await;
        assert_invalid(r, "new_password", "密码不能包含用户名", n);

        app.change_password(&p, &fresh, "Brand#New2026").await.expect("change");
        let p = app.authenticate(&token, SessionKind::Web, ip).await.expect("same session");
        assert!(!p.must_change_password, "{n}");
        p.ensure_active().expect("active");
        login(app, "zhao.liu", "Brand#New2026").await;

        // 90 days later the password has expired: a change is due again.
        t.clock.advance(Duration::days(90));
        let (_, p) = login(app, "zhao.liu", "Brand#New2026").await;
        assert!(p.must_change_password, "{n}: expired after 90 days");
    }
}

fn assert_invalid<T: std::fmt::Debug>(r: Result<T, AppError>, field: &str, message: &str, n: &str) {
    match r {
        Err(AppError::Invalid(errs)) => assert_eq!(errs, vec![FieldError::new(field, message)], "{n}"),
        other => panic!("{n}: expected invalid {field}, got {other:?}"),
    }
}

#[tokio::test]
async fn password_policy_and_usernames() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let cli = Actor::cli();
        let g = grants(&["viewer"]);
        let cases: [(&str, &str, &str, &str); 5] = [
            ("sun.qi", "Ab1!xyz", "password", "密码长度至少 8 位"),
            ("sun.qi", "abcdefgh1", "password", "密码需包含大写字母、小写字母、数字、符号中的至少 3 类"),
            ("sun.qi", "Sun.Qi-2026", "password", "密码不能包含用户名"),
            ("孙七七", PASSWORD, "username", "用户名只能包含英文字母、数字、下划线、连字符和点"),
            ("ab", PASSWORD, "username", "用户名长度应为3至32个字符"),
        ];
        for (user, pw, field, message) in cases {
            let r = app.create_account(&cli, None, user, "孙七", &g, Some(pw)).await;
            assert_invalid(r, field, message, n);
        }
        assert_eq!(store::account::count(&app.db).await.expect("count"), 0, "{n}: nothing created");
        assert_eq!(audit_rows(app).await, 0, "{n}");
        // A generated password passes the policy and must be changed at first login.
        let (_, pw) = app.create_account(&cli, None, "sun.qi", "孙七", &g, None).await.expect("generated");
        let pw = pw.expect("a generated password is returned once");
        let (_, p) = login(app, "sun.qi", &pw).await;
        assert!(p.must_change_password, "{n}");
        let r = app.create_account(&cli, None, "sun.qi", "孙七", &g, Some(PASSWORD)).await;
        assert_invalid(r, "username", "用户名已存在", n);
        // Scopes must name things that exist.
        let r = app.create_account(&cli, None, "zhou.ba", "周八", &grants(&["region:519999"]), Some(PASSWORD)).await;
        assert_invalid(r, "roles", "“县市区/园区”的范围“519999”不存在", n);
        let r =
            app.create_account(&cli, None, "zhou.ba", "周八", &grants(&["chief:no_such_chain"]), Some(PASSWORD)).await;
        assert_invalid(r, "roles", "“链长/副链长”的范围“no_such_chain”不存在", n);
    }
}

#[tokio::test]
async fn separation_of_duties() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let cli = Actor::cli();
        // No account may hold a 三权分立 role with anything else.
        let r = app
            .create_account(&cli, None, "both.roles", "兼任", &grants(&["sysadmin", "office"]), Some(PASSWORD))
            .await;
        assert_invalid(r, "roles", "三权分立：系统管理员不能与其他角色兼任", n);
        let r = app
            .create_account(&cli, None, "both.roles", "兼任", &grants(&["auditor", "secadmin"]), Some(PASSWORD))
            .await;
        assert!(matches!(r, Err(AppError::Invalid(_))), "{n}: {r:?}");

        // The console creates the first administrators with their roles.
        let sys = principal(app, "sys.admin", "系统管理员", &["sysadmin"]).await;
        let sec = principal(app, "sec.admin", "安全管理员", &["secadmin"]).await;
        assert_eq!(sys.grants, grants(&["sysadmin"]), "{n}");

        // From the web the system administrator creates accounts, but grants no roles.
        let r = app
            .create_account(&sys.actor(), Some(&sys), "new.user", "新用户", &grants(&["viewer"]), Some(PASSWORD))
            .await;
        assert!(matches!(&r, Err(AppError::Forbidden(m)) if m == "三权分立：角色由安全管理员授予"), "{n}: {r:?}");
        let r = app.create_account(&sec.actor(), Some(&sec), "new.user", "新用户", &[], Some(PASSWORD)).await;
        assert!(matches!(r, Err(AppError::Forbidden(_))), "{n}: only the system administrator creates accounts");
        let (id, _) = app
            .create_account(&sys.actor(), Some(&sys), "new.user", "新用户", &[], Some(PASSWORD))
            .await
            .expect("sysadmin creates a role-less account");
        let (_, p) = login(app, "new.user", PASSWORD).await;
        assert!(p.grants.is_empty() && p.must_change_password, "{n}: web-created accounts change their password first");

        // The security administrator grants roles, never to itself, never mixing duties.
        let r = app
            .set_grants(&sec, sec.account_id, version(app, sec.account_id).await, &grants(&["secadmin", "auditor"]))
            .await;
        assert!(matches!(&r, Err(AppError::Forbidden(m)) if m == "不能修改自己的角色"), "{n}: {r:?}");
        let r = app.set_grants(&sec, sec.account_id, version(app, sec.account_id).await, &grants(&["office"])).await;
        assert!(matches!(r, Err(AppError::Forbidden(_))), "{n}");
        let r = app.set_grants(&sys, id, version(app, id).await, &grants(&["viewer"])).await;
        assert!(matches!(r, Err(AppError::Forbidden(_))), "{n}: the system administrator grants no roles");
        let r = app.set_grants(&sec, id, version(app, id).await, &grants(&["auditor", "viewer"])).await;
        assert_invalid(r, "roles", "三权分立：安全审计员不能与其他角色兼任", n);
        app.set_grants(&sec, id, version(app, id).await, &grants(&["viewer"])).await.expect("grant viewer");
        assert_eq!(store::account::grants(&app.db, id).await.expect("grants"), grants(&["viewer"]), "{n}");
        assert_eq!(audit_actions(app).await.last(), Some(&("account.roles".to_string(), id.to_string())), "{n}");
        // Stale versions are refused.
        let r = app.set_grants(&sec, id, 1, &grants(&["office"])).await;
        assert!(matches!(r, Err(AppError::Stale { .. })), "{n}: {r:?}");
        assert_eq!(store::account::grants(&app.db, id).await.expect("grants"), grants(&["viewer"]), "{n}");

        // Who may see the account list.
        assert_eq!(app.accounts(&sys).await.expect("sysadmin lists").len(), 3, "{n}");
        assert_eq!(app.accounts(&sec).await.expect("secadmin lists").len(), 3, "{n}");
        let aud = principal(app, "aud.it", "审计员", &["auditor"]).await;
        assert!(matches!(app.accounts(&aud).await, Err(AppError::Forbidden(_))), "{n}");
    }
}

/// PostgreSQL text cannot hold U+0000: such input must be refused, never a 500.
#[tokio::test]
async fn nul_characters_are_refused() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        account(app, "qian.jiu", "钱九", &["viewer"]).await;
        let before = audit_rows(app).await;
        let m = unauthenticated(app.login("qian\0jiu", PASSWORD, SessionKind::Web, "10.0.0.5").await);
        assert_eq!(m, "用户名或密码错误", "{n}");
        let r = app.login("qian.jiu", "Qianglian#2026\0", SessionKind::Web, "10.0.0.5").await;
        assert!(matches!(r, Err(AppError::Unauthenticated(_))), "{n}: {r:?}");
        let r =
            app.create_account(&Actor::cli(), None, "qian.shi", "钱\0十", &grants(&["viewer"]), Some(PASSWORD)).await;
        assert_invalid(r, "display_name", "姓名不能包含空字符", n);
        let r = app
            .create_account(&Actor::cli(), None, "qian.shi", "钱十", &grants(&["bank:某\0银行"]), Some(PASSWORD))
            .await;
        assert_invalid(r, "roles", "“金融机构”的范围“某\0银行”不存在", n);
        let r = app
            .create_account(&Actor::cli(), None, "qian.shi", "钱十", &grants(&["region:5117\u{0}22"]), Some(PASSWORD))
            .await;
        assert_invalid(r, "roles", "“县市区/园区”的范围“5117\u{0}22”不存在", n);
        assert_eq!(audit_rows(app).await, before + 1, "{n}: only the failed login is audited");
    }
}
