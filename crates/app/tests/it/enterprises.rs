//! The enterprise ledger core: validation that names fields and changes nothing, unique
//! USCCs, optimistic locking, per-field history, computed size and 规上 flag.

use crate::harness::{all, audit_rows, backends, count, input, principal, uscc};
use app::account::Principal;
use app::enterprise::EnterpriseInput;
use app::{App, AppError, FieldError};
use chrono::Duration;
use domain::clock::Clock;
use domain::uscc::Uscc;

async fn office(app: &App) -> Principal {
    principal(app, "u.office", "办公室甲", &["office"]).await
}

/// Row counts a refused write must leave alone.
async fn counts(app: &App) -> (i64, i64, i64) {
    (
        count(app, "SELECT COUNT(*) FROM enterprise").await,
        audit_rows(app).await,
        count(app, "SELECT COUNT(*) FROM field_history").await,
    )
}

fn invalid<T: std::fmt::Debug>(r: Result<T, AppError>) -> Vec<FieldError> {
    match r {
        Err(AppError::Invalid(errs)) => errs,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn validation_names_fields_and_changes_nothing() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let p = office(app).await;
        let good = uscc("511722", 1);
        let base = input(&good, "宣汉甲化工有限公司", "511722", "2614");
        let before = counts(app).await;

        // A wrong check character: the domain's message names position 18 and the right one.
        let mut bad = good.clone();
        let last = bad.pop().expect("18 chars");
        bad.push(if last == '0' { '1' } else { '0' });
        let expected = Uscc::parse(&bad).expect_err("bad check character").to_string();
        assert!(expected.starts_with("第18位校验码应为“"), "{expected}");
        let e = invalid(app.create_enterprise(&p, &EnterpriseInput { uscc: bad, ..base.clone() }).await);
        assert_eq!(e, vec![FieldError::new("uscc", &expected)], "{n}");
        // A character outside the set: named by position.
        let mut chars: Vec<char> = good.chars().collect();
        chars[4] = 'I';
        let e =
            invalid(app.create_enterprise(&p, &EnterpriseInput { uscc: chars.iter().collect(), ..base.clone() }).await);
        assert_eq!(e.len(), 1, "{n}");
        assert_eq!(e[0].field, "uscc", "{n}");
        assert!(e[0].message.starts_with("第5位字符“I”不是合法字符"), "{n}: {}", e[0].message);

        let cases: Vec<(EnterpriseInput, FieldError)> = vec![
            (
                EnterpriseInput { region_code: "511799".into(), ..base.clone() },
                FieldError::new("region_code", "区划代码“511799”不存在"),
            ),
            (
                EnterpriseInput { region_code: "511700".into(), ..base.clone() },
                FieldError::new("region_code", "所属区县应为县级行政区划"),
            ),
            (
                EnterpriseInput { park_code: "5117P9".into(), ..base.clone() },
                FieldError::new("park_code", "园区代码“5117P9”不存在"),
            ),
            (
                EnterpriseInput { industry_code: "26".into(), ..base.clone() },
                FieldError::new("industry_code", "行业代码应填到小类（4位），“26”是大类"),
            ),
            (
                EnterpriseInput { industry_code: "261".into(), ..base.clone() },
                FieldError::new("industry_code", "行业代码应填到小类（4位），“261”是中类"),
            ),
            (
                EnterpriseInput { industry_code: "9999".into(), ..base.clone() },
                FieldError::new("industry_code", "行业代码“9999”不在 GB/T 4754-2017 中"),
            ),
            (
                EnterpriseInput { revenue_wan: "-5".into(), ..base.clone() },
                FieldError::new("revenue_wan", "营业收入：金额不能为负数"),
            ),
            (
                EnterpriseInput { assets_wan: "1.0000001".into(), ..base.clone() },
                FieldError::new("assets_wan", "资产总额：金额“1.0000001”小数位过多（以万元计最多6位小数，即精确到分）"),
            ),
            (
                EnterpriseInput { employees: "-1".into(), ..base.clone() },
                FieldError::new("employees", "从业人员应为0至10,000,000之间的整数"),
            ),
            (
                EnterpriseInput {
                    founded_on: (t.clock.now() + Duration::days(1)).date_naive().to_string(),
                    ..base.clone()
                },
                FieldError::new("founded_on", "成立日期不能晚于今天"),
            ),
            (
                EnterpriseInput { founded_on: "2020-02-30".into(), ..base.clone() },
                FieldError::new("founded_on", "成立日期格式应为 YYYY-MM-DD"),
            ),
            (EnterpriseInput { name: "  ".into(), ..base.clone() }, FieldError::new("name", "企业名称不能为空")),
            (
                EnterpriseInput { contact_phone: "0818<script>".into(), ..base.clone() },
                FieldError::new("contact_phone", "联系电话只能包含数字、空格和 - + ( )"),
            ),
        ];
        for (i, want) in cases {
            let e = invalid(app.create_enterprise(&p, &i).await);
            assert_eq!(e, vec![want], "{n}");
        }
        // Several wrong fields at once: each is named, in form order.
        let all_wrong = EnterpriseInput {
            uscc: "123".into(),
            region_code: "".into(),
            industry_code: "C".into(),
            revenue_wan: "-1".into(),
            ..base.clone()
        };
        let e = invalid(app.create_enterprise(&p, &all_wrong).await);
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["uscc", "region_code", "industry_code", "revenue_wan"], "{n}");
        assert_eq!(e[0].message, "统一社会信用代码应为18位，实际为3位", "{n}");
        assert_eq!(e[1].message, "请选择所属区县", "{n}");
        assert_eq!(counts(app).await, before, "{n}: refused input changed something");

        // Today is still allowed; lower-case and full-width input is normalised.
        let today = t.clock.now().date_naive().to_string();
        let fullwidth: String =
            good.to_lowercase().chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)).collect();
        let id = app
            .create_enterprise(&p, &EnterpriseInput { uscc: fullwidth, founded_on: today.clone(), ..base.clone() })
            .await
            .expect("valid");
        let e = app.enterprise(&p, id).await.expect("read");
        assert_eq!((e.uscc.as_str(), e.founded_on.map(|d| d.to_string())), (good.as_str(), Some(today)), "{n}");

        // The same USCC again is refused, whatever its spelling.
        let before = counts(app).await;
        let e = invalid(app.create_enterprise(&p, &EnterpriseInput { name: "另一家".into(), ..base.clone() }).await);
        assert_eq!(e, vec![FieldError::new("uscc", "该统一社会信用代码已在系统中登记")], "{n}");
        let other = app.create_enterprise(&p, &input(&uscc("511723", 2), "开江乙", "511723", "3982")).await.expect("B");
        let mut i = EnterpriseInput::from_row(&app.enterprise(&p, other).await.expect("B"));
        let before_b = counts(app).await;
        i.uscc = good.clone();
        let e = invalid(app.update_enterprise(&p, other, 1, &i).await);
        assert_eq!(e, vec![FieldError::new("uscc", "该统一社会信用代码已在系统中登记")], "{n}");
        assert_eq!(counts(app).await, before_b, "{n}");
        assert_eq!(before.0 + 1, before_b.0, "{n}");
        // An invalid update changes nothing either.
        i.uscc = uscc("511723", 2);
        i.industry_code = "26".into();
        invalid(app.update_enterprise(&p, other, 1, &i).await);
        assert_eq!(app.enterprise(&p, other).await.expect("B").version, 1, "{n}");
        assert_eq!(counts(app).await, before_b, "{n}");
    }
}

#[tokio::test]
async fn optimistic_locking_names_the_other_editor() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let jia = office(app).await;
        let yi = principal(app, "u.office2", "办公室乙", &["office"]).await;
        let id = app
            .create_enterprise(&jia, &input(&uscc("511722", 1), "宣汉甲化工有限公司", "511722", "2614"))
            .await
            .expect("create");
        let read_by_jia = app.enterprise(&jia, id).await.expect("jia reads");
        let read_by_yi = app.enterprise(&yi, id).await.expect("yi reads");
        assert_eq!((read_by_jia.version, read_by_yi.version), (1, 1), "{n}");

        t.clock.advance(Duration::minutes(7)); // 09:07 in Dazhou
        let mut a = EnterpriseInput::from_row(&read_by_jia);
        a.address = "甲改的地址".into();
        app.update_enterprise(&jia, id, read_by_jia.version, &a).await.expect("first update");
        let before = counts(app).await;
        let mut b = EnterpriseInput::from_row(&read_by_yi);
        b.contact_name = "乙改的联系人".into();
        let r = app.update_enterprise(&yi, id, read_by_yi.version, &b).await;
        match r {
            Err(e @ AppError::Stale { .. }) => {
                assert!(
                    matches!(&e, AppError::Stale { by: Some(by), at } if by == "办公室甲" && *at == t.clock.now()),
                    "{n}: {e:?}"
                );
                assert_eq!(e.to_string(), "该记录已被办公室甲于2026-03-02 09:07修改，请刷新后重试", "{n}");
            }
            other => panic!("{n}: second update from the same version gives {other:?}"),
        }
        assert_eq!(counts(app).await, before, "{n}: the stale update changed something");
        let now = app.enterprise(&yi, id).await.expect("read");
        assert_eq!((now.version, now.address.as_str(), now.contact_name.as_str()), (2, "甲改的地址", "张三"), "{n}");
        // After reloading, 乙's change goes through.
        let mut b = EnterpriseInput::from_row(&now);
        b.contact_name = "乙改的联系人".into();
        app.update_enterprise(&yi, id, now.version, &b).await.expect("update after reload");
        assert_eq!(app.enterprise(&jia, id).await.expect("read").version, 3, "{n}");
        // A save without changes is no write at all.
        let cur = app.enterprise(&jia, id).await.expect("read");
        let before = counts(app).await;
        app.update_enterprise(&jia, id, cur.version, &EnterpriseInput::from_row(&cur)).await.expect("no-op");
        assert_eq!(counts(app).await, before, "{n}");
        assert_eq!(app.enterprise(&jia, id).await.expect("read").version, 3, "{n}");
    }
}

#[tokio::test]
async fn history_records_each_changed_field() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let p = office(app).await;
        let id = app
            .create_enterprise(&p, &input(&uscc("511722", 1), "宣汉甲化工有限公司", "511722", "2614"))
            .await
            .expect("create");
        let created = app.enterprise_history(&p, id).await.expect("history");
        let mut fields: Vec<&str> = created.iter().map(|h| h.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "above_scale",
                "address",
                "assets_fen",
                "contact_name",
                "contact_phone",
                "employees",
                "founded_on",
                "industry_code",
                "name",
                "region_code",
                "revenue_fen",
                "size",
                "uscc"
            ],
            "{n}: every field with a value at creation (park_code is NULL, description empty)"
        );
        assert!(
            created.iter().all(|h| h.source == "录入" && h.old_value.is_none() && h.changed_by == Some(p.account_id)),
            "{n}"
        );

        t.clock.advance(Duration::hours(1));
        let mut i = EnterpriseInput::from_row(&app.enterprise(&p, id).await.expect("read"));
        i.address = "达州市新路2号".into();
        i.employees = "1000".into();
        i.revenue_wan = "40000".into();
        app.update_enterprise(&p, id, 1, &i).await.expect("update");
        let h = app.enterprise_history(&p, id).await.expect("history");
        let mut changed: Vec<(&str, Option<&str>, Option<&str>)> = h
            .iter()
            .filter(|c| c.source == "人工修改")
            .map(|c| (c.field.as_str(), c.old_value.as_deref(), c.new_value.as_deref()))
            .collect();
        changed.sort_unstable();
        assert_eq!(
            changed,
            [
                ("above_scale", Some("false"), Some("true")),
                ("address", Some("达州市某路1号"), Some("达州市新路2号")),
                ("employees", Some("120"), Some("1000")),
                ("revenue_fen", Some("1500500000"), Some("40000000000")),
                ("size", Some("small"), Some("large")),
            ],
            "{n}"
        );
        let upd = h.iter().find(|c| c.field == "address" && c.source == "人工修改").expect("address change");
        assert_eq!((upd.changed_at, upd.changed_by_name.as_deref()), (t.clock.now(), Some("办公室甲")), "{n}");
        assert_eq!(h.len(), created.len() + 5, "{n}");
    }
}

/// (industry, employees, revenue 万元, assets 万元, expected size, expected 规上)
type Case = (&'static str, &'static str, &'static str, &'static str, Option<&'static str>, bool);

#[tokio::test]
async fn size_and_above_scale_are_computed() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let p = office(app).await;
        // (industry, employees, revenue 万元, assets 万元) → (size, 规上)
        let cases: [Case; 7] = [
            ("2614", "1000", "40000", "", Some("large"), true),
            ("2614", "999", "40000", "", Some("medium"), true),
            ("2614", "300", "2000", "", Some("medium"), true),
            ("2614", "299", "1999.99", "", Some("small"), false),
            ("2614", "10", "100", "", Some("micro"), false),
            ("2614", "", "", "", None, false),
            // Software (I 6513) is not industry: never 规上 here.
            ("6513", "500", "50000", "", Some("large"), false),
        ];
        for (k, (industry, emp, rev, assets, size, above)) in cases.into_iter().enumerate() {
            let i = EnterpriseInput {
                employees: emp.into(),
                revenue_wan: rev.into(),
                assets_wan: assets.into(),
                ..input(&uscc("511722", k as u32 + 1), &format!("规模测试{k}"), "511722", industry)
            };
            let id = app.create_enterprise(&p, &i).await.unwrap_or_else(|e| panic!("{n} case {k}: {e:?}"));
            let e = app.enterprise(&p, id).await.expect("read");
            assert_eq!((e.size.as_deref(), e.above_scale), (size, above), "{n} case {k}: {industry} {emp} {rev}");
        }
        let (rows, total) = app
            .enterprises(&p, &store::enterprise::Filter { size: Some("large".into()), ..all() })
            .await
            .expect("filter by size");
        assert_eq!((rows.len(), total), (2, 2), "{n}");
        let big = rows.iter().find(|e| e.industry_code == "2614").expect("the large one");
        assert_eq!(
            (big.employees, big.revenue_fen, big.assets_fen),
            (Some(1000), Some(40_000_000_000), None),
            "{n}: money in fen"
        );
        assert_eq!(
            app.enterprise_count(&p, &store::enterprise::Filter { above_scale: Some(true), ..all() })
                .await
                .expect("count"),
            3,
            "{n}"
        );
        // Exact money: 1234.56 万元 is 1,234,560,000 fen, not a float's neighbour.
        let i = EnterpriseInput {
            revenue_wan: "1,234.56".into(),
            ..input(&uscc("511722", 99), "精确", "511722", "2614")
        };
        let id = app.create_enterprise(&p, &i).await.expect("create");
        let e = app.enterprise(&p, id).await.expect("read");
        assert_eq!(e.revenue_fen, Some(1_234_560_000), "{n}");
        assert_eq!(EnterpriseInput::from_row(&e).revenue_wan, "1234.56", "{n}");
    }
}

/// Random input never panics and never becomes an internal error: each is either stored or
/// refused with field messages, and a refusal changes nothing.
#[tokio::test]
async fn random_input_is_refused_cleanly() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    let field = || {
        proptest::prop_oneof![
            proptest::string::string_regex(".{0,40}").expect("regex"),
            proptest::string::string_regex("[0-9A-Z]{0,20}").expect("regex"),
            proptest::string::string_regex("-?[0-9]{0,12}(\\.[0-9]{0,8})?").expect("regex"),
            proptest::sample::select(vec![
                String::new(),
                "511722".into(),
                "5117P1".into(),
                "2614".into(),
                "C2614".into(),
                "2026-02-30".into(),
                "1799-01-01".into(),
                "99999999999999999999".into(),
                "１２３".into(),
                "'; DROP TABLE enterprise; --".into(),
            ]),
        ]
    };
    let strategy = proptest::collection::vec(field(), 13);
    let mut runner = TestRunner::deterministic();
    let inputs: Vec<EnterpriseInput> = (0..48)
        .map(|k| {
            let v = strategy.new_tree(&mut runner).expect("value").current();
            EnterpriseInput {
                // Every third one gets a valid USCC so that later fields are reached too.
                uscc: if k % 3 == 0 { uscc("511722", k) } else { v[0].clone() },
                name: v[1].clone(),
                region_code: v[2].clone(),
                park_code: v[3].clone(),
                industry_code: v[4].clone(),
                employees: v[5].clone(),
                revenue_wan: v[6].clone(),
                assets_wan: v[7].clone(),
                founded_on: v[8].clone(),
                address: v[9].clone(),
                contact_name: v[10].clone(),
                contact_phone: v[11].clone(),
                description: v[12].clone(),
            }
        })
        .collect();
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let p = office(app).await;
        let target =
            app.create_enterprise(&p, &input(&uscc("511723", 1), "目标", "511723", "2614")).await.expect("create");
        for i in &inputs {
            let before = counts(app).await;
            match app.create_enterprise(&p, i).await {
                Ok(_) => assert_eq!(counts(app).await.0, before.0 + 1, "{n}"),
                Err(AppError::Invalid(errs)) => {
                    assert!(!errs.is_empty() && errs.iter().all(|e| !e.message.is_empty()), "{n}: {i:?}");
                    assert_eq!(counts(app).await, before, "{n}: {i:?}");
                }
                Err(e) => panic!("{n}: {i:?} gives {e:?}"),
            }
            let v = app.enterprise(&p, target).await.expect("target").version;
            let before = counts(app).await;
            match app.update_enterprise(&p, target, v, i).await {
                Ok(()) => {}
                Err(AppError::Invalid(_)) => assert_eq!(counts(app).await, before, "{n}: {i:?}"),
                Err(e) => panic!("{n}: update with {i:?} gives {e:?}"),
            }
        }
    }
}

/// List totals are cached per scope and filter; every write that changes what a list holds
/// must show in the next total (the cache is keyed on the change feed's head).
#[tokio::test]
async fn list_totals_follow_every_write() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let p = office(app).await;
        let paged = |page| store::enterprise::Filter { per_page: 2, page, ..all() };
        let in_xuanhan = store::enterprise::Filter { region: Some("511722".into()), per_page: 2, page: 1, ..all() };
        let mut ids = vec![];
        for k in 1..=3 {
            let i = input(&uscc("511722", 900 + k), &format!("缓存测试{k}号有限公司"), "511722", "2614");
            ids.push(app.create_enterprise(&p, &i).await.expect("create"));
        }
        let (rows, total) = app.enterprises(&p, &paged(1)).await.expect("list");
        assert_eq!((rows.len(), total), (2, 3), "{n}");
        assert_eq!(app.enterprises(&p, &in_xuanhan).await.expect("list").1, 3, "{n}");
        // Asked twice at the same head: the same answer (served from the cache).
        assert_eq!(app.enterprises(&p, &paged(2)).await.expect("list").1, 3, "{n}");

        let i = input(&uscc("511702", 904), "缓存测试4号有限公司", "511702", "2614");
        let fourth = app.create_enterprise(&p, &i).await.expect("create");
        assert_eq!(app.enterprises(&p, &paged(1)).await.expect("list").1, 4, "{n}: a create shows");
        assert_eq!(app.enterprises(&p, &in_xuanhan).await.expect("list").1, 3, "{n}: other region unchanged");

        // Moving one out of 宣汉 changes the filtered total.
        let e = app.enterprise(&p, ids[0]).await.expect("get");
        let moved = EnterpriseInput { region_code: "511702".into(), ..EnterpriseInput::from_row(&e) };
        app.update_enterprise(&p, ids[0], e.version, &moved).await.expect("update");
        assert_eq!(app.enterprises(&p, &in_xuanhan).await.expect("list").1, 2, "{n}: a move shows");

        app.delete_enterprise(&p, fourth, app.enterprise(&p, fourth).await.expect("get").version)
            .await
            .expect("archive");
        assert_eq!(app.enterprises(&p, &paged(1)).await.expect("list").1, 3, "{n}: an archive shows");
        assert_eq!(app.enterprise_count(&p, &all()).await.expect("count"), 3, "{n}");
    }
}
