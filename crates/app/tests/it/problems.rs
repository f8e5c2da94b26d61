//! Enterprise problems and the chain chiefs' work (issue 7): an enterprise raises a problem,
//! the county lets it lapse and it escalates by itself, the lead department escalates it to
//! the chain chief by hand, it lands on the chief's meeting agenda, becomes a task that the
//! unit closes, and the enterprise rates the answer after a reopen. Every refusal writes
//! nothing.

use crate::harness::{audit_rows, backends, count, exec, input, principal, test_chain, uscc};
use app::AppError;
use app::meeting::{MeetingInput, TaskInput};
use app::problem::ProblemInput;
use chrono::{Datelike, Duration};
use domain::project::Code;
use store::problem::Filter;

fn land(uscc: &str) -> ProblemInput {
    ProblemInput {
        enterprise_uscc: uscc.into(),
        category: "土地".into(),
        title: "二期扩建用地指标迟迟未落实".into(),
        description: "我公司二期扩建项目已签约两年，规划用地 120 亩的指标至今未落实，设备已到港无法安装。".into(),
        contact: "0818-2345678".into(),
        ..Default::default()
    }
}

fn energy(uscc: &str, text: &str) -> ProblemInput {
    ProblemInput {
        enterprise_uscc: uscc.into(),
        category: "energy".into(),
        title: text.chars().take(20).collect(),
        description: text.into(),
        ..Default::default()
    }
}

async fn on_chain(app: &app::App, enterprise: i64, chain: i64) {
    exec(app, &format!("INSERT INTO enterprise_chain (enterprise_id, chain_id) VALUES ({enterprise}, {chain})"))
        .await
        .expect("on chain");
}

#[tokio::test]
async fn a_problem_lapses_escalates_reaches_the_chief_becomes_a_task_and_closes_with_a_rating() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let cid = test_chain(app, "pb", "jxj").await;
        let office = principal(app, "office", "强链办", &["office"]).await;
        let (ua, ub) = (uscc("511722", 1), uscc("511722", 2));
        let a = app.create_enterprise(&office, &input(&ua, "甲化工（示例）", "511722", "2614")).await.expect("a");
        let b = app.create_enterprise(&office, &input(&ub, "乙化工（示例）", "511722", "2614")).await.expect("b");
        on_chain(app, a, cid).await;
        on_chain(app, b, cid).await;
        let ent_a = principal(app, "ent_a", "甲化工", &[&format!("enterprise:{ua}")]).await;
        let ent_b = principal(app, "ent_b", "乙化工", &[&format!("enterprise:{ub}")]).await;
        let county = principal(app, "county", "宣汉县", &["region:511722"]).await;
        let county2 = principal(app, "county2", "通川区", &["region:511702"]).await;
        let lead = principal(app, "lead", "市经信局", &["lead_dept:jxj"]).await;
        let chief = principal(app, "chief", "链长", &["chief:pb"]).await;
        let land_dept = principal(app, "zrzy", "市自然资源规划局", &["unit:zrzyj"]).await;
        let cal = app.work_calendar().await.expect("calendar");

        // Bad input first: nothing is written.
        let audits = audit_rows(app).await;
        let mut bad = land(&ua);
        bad.category = "天气".into();
        bad.title = String::new();
        match app.raise_problem(&ent_a, &bad).await {
            Err(AppError::Invalid(f)) => {
                let fields: Vec<&str> = f.iter().map(|f| f.field.as_str()).collect();
                assert!(fields.contains(&"category") && fields.contains(&"title"), "{n}: {fields:?}");
            }
            r => panic!("{n}: {r:?}"),
        }
        assert!(matches!(app.raise_problem(&ent_a, &land(&ub)).await, Err(AppError::Forbidden(_))), "{n}: for B");
        let wrong = land("91511722MA000000XX");
        assert!(matches!(app.raise_problem(&county, &wrong).await, Err(AppError::Invalid(_))), "{n}: bad USCC");
        assert_eq!(count(app, "SELECT COUNT(*) FROM problem").await, 0, "{n}");
        assert_eq!(audit_rows(app).await, audits, "{n}: refusals audit nothing");

        // The enterprise raises it in the portal: routed to its county with the county's limit.
        let today = app.today();
        let v = app.raise_problem(&ent_a, &land("")).await.unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let id = v.row.id;
        assert_eq!(v.row.code, format!("WT-{}-00001", today.year()), "{n}");
        assert_eq!((v.row.level.as_str(), v.row.unit_code.as_str()), ("county", "511722"), "{n}");
        assert_eq!(v.row.co_unit_code, "zrzyj", "{n}: land goes to natural resources as co-handler");
        assert_eq!(v.row.chain_code.as_deref(), Some("pb"), "{n}");
        assert_eq!(v.row.deadline, cal.add_workdays(today, 10), "{n}");
        assert_eq!(v.row.source, "portal");
        assert!(v.actions.contains(&domain::problem::Action::Withdraw), "{n}: {:?}", v.actions);
        // The same text again is a duplicate.
        assert!(matches!(app.raise_problem(&ent_a, &land("")).await, Err(AppError::Conflict(_))), "{n}: duplicate");

        // Scopes: another county and another enterprise do not see it; the co-handler does.
        assert!(matches!(app.problem(&county2, id).await, Err(AppError::NotFound)), "{n}");
        assert!(matches!(app.problem(&ent_b, id).await, Err(AppError::NotFound)), "{n}");
        app.problem(&land_dept, id).await.expect("co-handler reads");
        app.problem(&chief, id).await.expect("chief reads");
        let (rows, total) =
            app.problems(&county2, &Filter { per_page: 20, ..Default::default() }, None).await.expect("list");
        assert_eq!((rows.len(), total), (0, 0), "{n}");

        // Only the handling unit takes the county's steps; a forged id is not found.
        let audits = audit_rows(app).await;
        assert!(matches!(app.problem_step(&lead, id, 1, "accept", "", None).await, Err(AppError::Forbidden(_))), "{n}");
        assert!(matches!(app.problem_step(&county2, id, 1, "accept", "", None).await, Err(AppError::NotFound)), "{n}");
        assert!(matches!(app.problem_step(&county, 999_999, 1, "accept", "", None).await, Err(AppError::NotFound)));
        assert!(
            matches!(app.problem_step(&ent_a, id, 1, "confirm", "", Some(5)).await, Err(AppError::Conflict(_))),
            "{n}"
        );
        assert_eq!(audit_rows(app).await, audits, "{n}");
        let v = app.problem_step(&county, id, 1, "accept", "", None).await.expect("accept");
        assert_eq!(v.row.status, "accepted");
        let missed = v.row.deadline;
        // A stale version is refused.
        assert!(matches!(
            app.problem_step(&county, id, 1, "answer", "已协调", None).await,
            Err(AppError::Stale { .. })
        ));

        // Two working days before the deadline it turns yellow; past it the sweep escalates.
        t.clock.advance(Duration::days((cal.add_workdays(today, 8) - today).num_days()));
        let (rows, _) = app
            .problems(&office, &Filter { per_page: 20, ..Default::default() }, Some(Code::Yellow))
            .await
            .expect("yellow");
        assert_eq!(rows.iter().map(|r| r.row.id).collect::<Vec<_>>(), vec![id], "{n}: yellow near the deadline");
        t.clock.advance(Duration::days((v.row.deadline - app.today()).num_days() + 1));
        let r = app.sweep_problems().await.expect("sweep");
        assert_eq!((r.escalated, r.closed), (1, 0), "{n}");
        let v = app.problem(&office, id).await.expect("detail");
        assert_eq!((v.problem.row.level.as_str(), v.problem.row.unit_code.as_str()), ("lead_department", "jxj"), "{n}");
        assert_eq!(v.problem.row.lapsed_units, "511722");
        assert_eq!(Some(v.problem.row.level_since), missed.succ_opt(), "{n}: the new level counts from the day after");
        let last = v.events.last().expect("event");
        assert_eq!((last.action.as_str(), last.actor.as_str()), ("escalate", "system"), "{n}");
        assert!(last.text.contains("自动升级至牵头部门"), "{n}: {}", last.text);
        assert_eq!(app.sweep_problems().await.expect("again"), Default::default(), "{n}: a second sweep does nothing");
        // The county that let it lapse carries a red in the unit rates.
        let rates = app.problem_rates(&office, "unit").await.expect("rates");
        let c = rates.iter().find(|r| r.row.key == "511722").expect("county row");
        assert_eq!(c.red, 1, "{n}");
        // The county can no longer answer; the lead department escalates by hand, with a reason.
        assert!(matches!(
            app.problem_step(&county, id, v.problem.row.version, "answer", "x", None).await,
            Err(AppError::Forbidden(_))
        ));
        let ver = v.problem.row.version;
        assert!(
            matches!(app.problem_step(&lead, id, ver, "escalate", "  ", None).await, Err(AppError::Invalid(_))),
            "{n}"
        );
        let v = app
            .problem_step(&lead, id, ver, "escalate", "涉及跨部门用地指标调剂，需链长协调", None)
            .await
            .expect("escalate");
        assert_eq!((v.row.level.as_str(), v.row.unit_code.as_str()), ("chief", "pb"), "{n}");
        assert!(matches!(
            app.problem_step(&office, id, v.row.version, "escalate", "再升", None).await,
            Err(AppError::Conflict(m)) if m.contains("链长层级")
        ));

        // The lead department holds the quarter's meeting: the problem is on the agenda.
        let held = cal.next_workday(app.today() + Duration::days(1));
        let q = (held.month0() / 3 + 1) as i64;
        let mi = MeetingInput {
            chain: "pb".into(),
            year: held.year() as i64,
            quarter: q,
            held_on: held.to_string(),
            place: "市政府 3 楼会议室".into(),
            attendees: String::new(),
        };
        assert!(matches!(app.create_meeting(&county, &mi).await, Err(AppError::Forbidden(_))), "{n}");
        let mid = app.create_meeting(&lead, &mi).await.expect("meeting");
        assert!(matches!(app.create_meeting(&office, &mi).await, Err(AppError::Conflict(_))), "{n}: one per quarter");
        let d = app.meeting(&chief, mid).await.expect("chief reads the meeting");
        assert!(d.items.iter().any(|i| i.kind == "problem" && i.ref_id == Some(id)), "{n}: {:?}", d.items);
        assert!(matches!(app.meeting(&county2, mid).await, Err(AppError::NotFound)), "{n}");

        // A decision becomes a task; a deadline on a holiday moves to the next working day.
        let holiday =
            cal.entries().map(|e| e.date).find(|d| *d > app.today() && !cal.is_workday(*d)).expect("a holiday ahead");
        let ti = TaskInput {
            meeting_id: Some(mid),
            problem_id: Some(id),
            decision: "由市自然资源规划局牵头调剂用地指标".into(),
            title: "调剂甲化工二期用地指标".into(),
            unit: "市自然资源和规划局".into(),
            person: "王五".into(),
            due_on: holiday.to_string(),
            evidence: "用地批复文件".into(),
            ..Default::default()
        };
        let (tid, moved) = app.assign_task(&lead, &ti).await.expect("task");
        assert!(moved.is_some(), "{n}: the move is shown");
        let (tv, _, assigned, _) = app.task(&land_dept, tid).await.expect("unit reads its task");
        assert!(assigned, "{n}");
        assert_eq!(tv.row.due_on, cal.next_workday(holiday), "{n}");
        assert!(matches!(app.task_step(&county, tid, 1, "done", "x").await, Err(AppError::NotFound)), "{n}");
        assert!(matches!(app.task_step(&land_dept, tid, 1, "supervision", "x").await, Err(AppError::Forbidden(_))));
        app.task_step(&chief, tid, 1, "supervision", "请于期限前办结").await.expect("chief supervises");
        app.task_step(&land_dept, tid, 2, "done", "已完成用地指标调剂，批复见附件").await.expect("done");
        let d = app.meeting(&lead, mid).await.expect("meeting");
        assert_eq!(d.on_time_rate, Some(100.0), "{n}");

        // The chief answers; the enterprise reopens, the chief answers again, the enterprise rates.
        let v =
            app.problem_step(&chief, id, v.row.version, "answer", "已调剂用地指标 120 亩", None).await.expect("answer");
        assert_eq!(v.row.status, "answered");
        assert!(matches!(
            app.problem_step(&lead, id, v.row.version, "confirm", "", Some(5)).await,
            Err(AppError::Forbidden(_))
        ));
        let v =
            app.problem_step(&ent_a, id, v.row.version, "reopen", "指标已给但土地未供应", None).await.expect("reopen");
        assert_eq!((v.row.status.as_str(), v.row.reopened), ("accepted", 1), "{n}");
        let v = app.problem_step(&chief, id, v.row.version, "answer", "已完成挂牌供地", None).await.expect("answer 2");
        assert!(matches!(
            app.problem_step(&ent_a, id, v.row.version, "confirm", "", Some(0)).await,
            Err(AppError::Invalid(_))
        ));
        assert!(matches!(
            app.problem_step(&ent_b, id, v.row.version, "confirm", "", Some(5)).await,
            Err(AppError::NotFound)
        ));
        let v = app.problem_step(&ent_a, id, v.row.version, "confirm", "满意", Some(5)).await.expect("confirm");
        assert_eq!((v.row.status.as_str(), v.row.rating), ("closed", Some(5)), "{n}");
        assert!(v.actions.is_empty(), "{n}");
        let rates = app.problem_rates(&office, "chain").await.expect("rates");
        let pb = rates.iter().find(|r| r.row.key == "pb").expect("chain row");
        assert_eq!((pb.closure_rate, pb.satisfaction_rate), (Some(100.0), Some(100.0)), "{n}");
        let steps = count(app, &format!("SELECT COUNT(*) FROM problem_event WHERE problem_id = {id}")).await;
        assert_eq!(steps, 8, "{n}: raise, accept, auto escalate, escalate, answer, reopen, answer, confirm");
        assert!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'problem.%'").await >= 8, "{n}");

        // The packet: docx with the problem and the task, and xlsx.
        let (name, docx) = app.meeting_packet_docx(&lead, mid).await.expect("docx");
        assert!(name.ends_with(".docx"));
        let xml = office::zip_files(&docx, &office::Limits::default(), &["document.xml"]).expect("zip")["document.xml"]
            .clone();
        let xml = String::from_utf8(xml).expect("utf-8");
        assert!(xml.contains("二期扩建用地指标迟迟未落实") && xml.contains("调剂甲化工二期用地指标"), "{n}");
        assert!(xml.contains("提请研究的企业问题"), "{n}");
        let (_, xlsx) = app.meeting_packet_xlsx(&lead, mid).await.expect("xlsx");
        assert!(xlsx.starts_with(b"PK"), "{n}");
        if n == "sqlite" {
            crate::project_xlsx::converts_to_pdf(&docx);
        }
    }
}

#[tokio::test]
async fn three_enterprises_with_the_same_difficulty_make_a_chain_wide_problem() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let cid = test_chain(app, "cw", "nycyj").await;
        let office = principal(app, "office", "强链办", &["office"]).await;
        let texts = [
            "天然气供气不足，价格上涨，影响正常生产",
            "供气不足导致停产，天然气价格上涨过快",
            "天然气价格上涨且供气不足，生产线无法满负荷",
        ];
        let mut ids = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let u = uscc("511722", 10 + i as u32);
            let e = app
                .create_enterprise(&office, &input(&u, &format!("示例燃气用户{i}"), "511722", "2614"))
                .await
                .expect("e");
            on_chain(app, e, cid).await;
            let v = app.raise_problem(&office, &energy(&u, text)).await.unwrap_or_else(|e| panic!("{n}: {e:?}"));
            ids.push(v.row.id);
            t.clock.advance(Duration::days(10));
            let grouped = count(app, "SELECT COUNT(*) FROM problem WHERE group_id IS NOT NULL").await;
            assert_eq!(grouped, if i < 2 { 0 } else { 3 }, "{n}: grouped after the third enterprise only");
        }
        let groups = app.problem_groups(&office, None).await.expect("groups");
        assert_eq!(groups.len(), 1, "{n}");
        assert_eq!((groups[0].enterprises, groups[0].members), (3, 3), "{n}");
        // A different energy problem of the chain does not join.
        let u = uscc("511722", 20);
        let e = app.create_enterprise(&office, &input(&u, "示例电子", "511722", "2614")).await.expect("e");
        on_chain(app, e, cid).await;
        app.raise_problem(&office, &energy(&u, "园区电网电压波动频繁，损坏精密设备")).await.expect("other");
        assert_eq!(count(app, "SELECT COUNT(*) FROM problem WHERE group_id IS NOT NULL").await, 3, "{n}");
        // It goes onto the chain's next meeting agenda.
        let lead = principal(app, "lead", "市能源产业局", &["lead_dept:nycyj"]).await;
        let held = app.work_calendar().await.expect("cal").next_workday(app.today() + Duration::days(1));
        let mid = app
            .create_meeting(
                &lead,
                &MeetingInput {
                    chain: "cw".into(),
                    year: held.year() as i64,
                    quarter: (held.month0() / 3 + 1) as i64,
                    held_on: held.to_string(),
                    ..Default::default()
                },
            )
            .await
            .expect("meeting");
        let d = app.meeting(&lead, mid).await.expect("detail");
        assert!(d.items.iter().any(|i| i.kind == "group" && i.ref_id == Some(groups[0].id)), "{n}: {:?}", d.items);
    }
}

#[tokio::test]
async fn hotline_exports_import_with_duplicates_skipped_and_bad_rows_refusing_the_file() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let office = principal(app, "office", "强链办", &["office"]).await;
        let u = uscc("511722", 30);
        app.create_enterprise(&office, &input(&u, "示例热线企业", "511722", "2614")).await.expect("e");
        let sheet = |rows: &[[&str; 6]]| {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let ws = wb.add_worksheet();
            for (c, h) in
                ["工单编号", "企业名称", "统一社会信用代码", "所属区县", "诉求内容", "联系电话"].iter().enumerate()
            {
                ws.write_string(0, c as u16, *h).expect("h");
            }
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    ws.write_string(r as u32 + 1, c as u16, *v).expect("v");
                }
            }
            wb.save_to_buffer().expect("xlsx")
        };
        let good = [
            ["12345-001", "示例热线企业", u.as_str(), "", "企业反映被某单位拖欠工程款 300 万元，多次催要无果", "138"],
            ["12345-002", "示例小餐馆", "", "宣汉县", "门前道路施工半年未完工，影响经营", "139"],
            ["12345-001", "示例热线企业", u.as_str(), "", "重复工单", "138"],
            ["12345-003", "示例热线企业", u.as_str(), "", "企业反映被某单位拖欠工程款 300 万元，多次催要无果！", "138"],
        ];
        let bad_row = ["12345-004", "示例", "91511722MA000000XX", "", "内容", "1"];
        let mut with_bad = good.to_vec();
        with_bad.push(bad_row);
        let r = app.import_hotline(&office, "热线.xlsx", &sheet(&with_bad), true).await.expect("report");
        assert_eq!(r.errors.len(), 1, "{n}: {:?}", r.errors);
        assert_eq!(r.errors[0].0, 6, "{n}: the Excel row number");
        assert_eq!(count(app, "SELECT COUNT(*) FROM problem").await, 0, "{n}: a refused row refuses the file");
        let r = app.import_hotline(&office, "热线.xlsx", &sheet(&good), true).await.expect("report");
        assert!(r.errors.is_empty(), "{n}: {:?}", r.errors);
        assert_eq!(r.added.len(), 2, "{n}: {:?}", r);
        assert_eq!(r.duplicates.len(), 2, "{n}: the repeated ticket and the same text: {:?}", r.duplicates);
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM problem WHERE source = 'hotline' AND category = 'arrears'").await,
            1,
            "{n}: categorised from the text"
        );
        // Importing the same file again adds nothing.
        let r = app.import_hotline(&office, "热线.xlsx", &sheet(&good), true).await.expect("again");
        assert_eq!((r.added.len(), r.duplicates.len()), (0, 4), "{n}");
        // Not a spreadsheet; not allowed.
        assert!(matches!(app.import_hotline(&office, "x.xlsx", b"not a file", true).await, Err(AppError::Invalid(_))));
        let viewer = principal(app, "viewer", "领导", &["viewer"]).await;
        assert!(matches!(
            app.import_hotline(&viewer, "x.xlsx", &sheet(&good), true).await,
            Err(AppError::Forbidden(_))
        ));
    }
}

#[tokio::test]
async fn the_administrator_adds_a_holiday_and_deadlines_count_around_it() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let sys = principal(app, "sys", "系统管理员", &["sysadmin"]).await;
        let county = principal(app, "county", "宣汉县", &["region:511722"]).await;
        let before = app.work_calendar().await.expect("cal");
        assert!(before.covered_years().contains(&2026), "{n}: shipped arrangement loaded");
        assert!(matches!(
            app.put_calendar_day(&county, "2027-01-01", "holiday", "元旦").await,
            Err(AppError::Forbidden(_))
        ));
        // 2027-01-02 is a Saturday: not a holiday to add; a Monday is not a workday to add.
        assert!(matches!(app.put_calendar_day(&sys, "2027-01-02", "holiday", "元旦").await, Err(AppError::Invalid(_))));
        assert!(matches!(app.put_calendar_day(&sys, "2027-01-04", "workday", "元旦").await, Err(AppError::Invalid(_))));
        assert!(matches!(app.put_calendar_day(&sys, "2027-13-01", "holiday", "元旦").await, Err(AppError::Invalid(_))));
        app.put_calendar_day(&sys, "2027-01-01", "holiday", "元旦").await.expect("add");
        let after = app.work_calendar().await.expect("cal");
        let d = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("d");
        assert_eq!(before.add_workdays(d, 1).to_string(), "2027-01-01", "{n}");
        assert_eq!(after.add_workdays(d, 1).to_string(), "2027-01-04", "{n}: the new holiday is skipped");
        app.delete_calendar_day(&sys, "2027-01-01").await.expect("delete");
        assert!(matches!(app.delete_calendar_day(&sys, "2027-01-01").await, Err(AppError::NotFound)), "{n}");
    }
}

/// A plan item's responsible unit sees the item (and only the items assigned to it) and
/// reports its progress; another unit neither sees nor reports it.
#[tokio::test]
async fn a_plan_items_unit_sees_it_and_reports_progress() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        test_chain(app, "pl", "jxj").await;
        let lead = principal(app, "lead", "市经信局", &["lead_dept:jxj"]).await;
        let unit = principal(app, "unit", "市科技局", &["unit:kjj"]).await;
        let other = principal(app, "other", "市财政局", &["unit:czj"]).await;
        let id = app
            .add_plan_item(&lead, "pl", "年度工作计划", 2026, "建设中试基地", "kjj", "2026-12-31")
            .await
            .unwrap_or_else(|e| panic!("{n}: {e:?}"));
        app.add_plan_item(&lead, "pl", "行动方案", 2026, "编制招商图谱", "swj", "2026-09-30").await.unwrap();
        let mine = app.plan_items(&unit, None, None).await.expect("plan items");
        assert_eq!(mine.iter().map(|i| i.id).collect::<Vec<_>>(), vec![id], "{n}: only its own item");
        assert!(app.plan_items(&other, None, None).await.expect("plan items").is_empty(), "{n}");
        let before = audit_rows(app).await;
        assert!(matches!(app.plan_progress(&other, id, 1, "已完成", true).await, Err(AppError::NotFound)), "{n}");
        assert_eq!(audit_rows(app).await, before, "{n}");
        let v = mine[0].version;
        app.plan_progress(&unit, id, v, "中试基地主体完工", false).await.unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let after = app.plan_items(&lead, Some("pl"), Some(2026)).await.expect("plan items");
        assert!(after.iter().any(|i| i.id == id && i.progress == "中试基地主体完工"), "{n}");
    }
}
