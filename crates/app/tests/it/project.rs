//! Key projects: a county registers and reports monthly, the lead department moves the
//! project through its stages with evidence, adjusts milestones, supervises and codes; the
//! office sees the whole city. Every refusal writes nothing.

use crate::harness::{audit_rows, backends, count, principal, test_chain};
use app::AppError;
use app::project::{ProjectInput, ReportInput};
use chrono::Duration;
use domain::project::{Code, Stage};
use store::project::Filter;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde";

fn project(chain: &str, region: &str) -> ProjectInput {
    ProjectInput {
        name: "示例·年产5万吨锂电正极材料项目".into(),
        chain: chain.into(),
        region: region.into(),
        investor: "示例新材料有限公司".into(),
        kind: "新招引".into(),
        tag_effective: true,
        tag_rooted: true,
        total_wan: "120,000".into(),
        plans: vec![("2026".into(), "30000".into()), ("2027年".into(), "60000".into())],
        land_mu: "300".into(),
        land_mode: "先租后让".into(),
        output_wan: "200000".into(),
        tax_wan: "8000".into(),
        content: "建设正极材料生产线 4 条".into(),
        unit: "市经济和信息化局".into(),
        person: "李四".into(),
        contact: "0818-1234567".into(),
        planned_start: "2026/3/10".into(),
        planned_end: "2027年12月31日".into(),
        ..Default::default()
    }
}

fn report(month: &str, wan: &str) -> ReportInput {
    ReportInput {
        month: month.into(),
        amount_wan: wan.into(),
        progress: "场平完成 60%".into(),
        problems: String::new(),
        raise_category: String::new(),
    }
}

fn fields(e: &AppError) -> Vec<String> {
    match e {
        AppError::Invalid(f) => f.iter().map(|f| f.field.clone()).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn a_county_reports_a_lead_department_schedules_and_codes_the_office_sees_the_city() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let cid = test_chain(app, "pj", "jxj").await;
        let office = principal(app, "office", "强链办", &["office"]).await;
        let lead = principal(app, "lead", "市经信局", &["lead_dept:jxj"]).await;
        let other_lead = principal(app, "other", "市农业农村局", &["lead_dept:nyncj"]).await;
        let county = principal(app, "county", "宣汉县", &["region:511722"]).await;
        let county2 = principal(app, "county2", "通川区", &["region:511702"]).await;
        let chief = principal(app, "chief", "链长", &["chief:pj"]).await;
        let person = principal(app, "person", "张五", &["unit:fgw"]).await;
        let bank = principal(app, "bank", "银行", &["bank:示例银行"]).await;

        // A county registers a project in its own area.
        let id = app.create_project(&county, &project("pj", "511722")).await.unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let d = app.project(&county, id).await.expect("detail");
        assert_eq!(d.project.code, "XM-2026-0001", "{n}");
        assert_eq!(d.project.stage, "planning");
        assert_eq!(d.project.total_fen, 120_000 * 1_000_000);
        assert_eq!(d.project.land_mode.as_deref(), Some("lease_then_sell"));
        assert_eq!(d.project.region_role.as_deref(), Some("carrying"), "{n}: 宣汉县 carries the test chain");
        assert_eq!(d.plans, vec![(2026, 30_000 * 1_000_000), (2027, 60_000 * 1_000_000)]);
        let tpl = domain::project::milestone_template("new_attraction");
        assert_eq!(d.milestones.len(), tpl.len());
        // Preparation is planned from entry (03-02) but no later than the planned start (03-10);
        // ground-breaking falls on the planned start; the rest follow it.
        let due: Vec<String> = d.milestones.iter().map(|m| m.due_on.to_string()).collect();
        assert_eq!(
            due[..6],
            ["2026-03-10", "2026-03-10", "2026-03-10", "2026-03-10", "2026-03-10", "2026-05-09"],
            "{n}"
        );
        assert!(d.may_edit && d.may_report && !d.may_supervise, "{n}");
        assert_eq!(d.next, vec![Stage::Signed, Stage::Terminated]);
        assert_eq!(d.open_months, vec!["2026-03".to_string()], "{n}");
        assert_eq!(d.code, Code::Green);

        // Another county can neither add projects here nor see this one; a bank sees none.
        let before = (count(app, "SELECT COUNT(*) FROM project").await, audit_rows(app).await);
        let e = app.create_project(&county2, &project("pj", "511722")).await.unwrap_err();
        assert!(e.user_message().contains("无权在“宣汉县”登记"), "{n}: {e:?}");
        assert!(matches!(app.project(&county2, id).await, Err(AppError::NotFound)), "{n}");
        assert_eq!(
            app.projects(&county2, &Filter { per_page: 20, ..Default::default() }, None).await.expect("list").1,
            0
        );
        assert!(matches!(app.project(&bank, id).await, Err(AppError::Forbidden(_))), "{n}");
        // A lead department of another chain cannot add to this one.
        assert!(app.create_project(&other_lead, &project("pj", "511722")).await.is_err(), "{n}");

        // Bad input: every problem at once, nothing written.
        let mut bad = project("pj", "511722");
        bad.enterprise_uscc = "91511722MA6XXXXXX1".into();
        bad.plans.push(("2028".into(), "50000".into())); // plans 140,000 > total 120,000
        bad.kind = "随便".into();
        bad.planned_start = "2026-13-01".into();
        bad.land_mode = "租".into();
        bad.unit = "不存在的局".into();
        let e = app.create_project(&county, &bad).await.unwrap_err();
        let f = fields(&e);
        for want in ["enterprise_uscc", "plans", "kind", "planned_start", "land_mode", "unit"] {
            assert!(f.iter().any(|x| x == want), "{n}: {want} not in {f:?}");
        }
        assert!(e.user_message().contains("超过总投资"), "{n}: {}", e.user_message());
        let mut neg = project("pj", "511722");
        neg.total_wan = "-5".into();
        assert!(fields(&app.create_project(&county, &neg).await.unwrap_err()).contains(&"total_wan".to_string()));
        let mut absurd = project("pj", "511722");
        absurd.total_wan = "99999999999999".into();
        assert!(app.create_project(&county, &absurd).await.unwrap_err().user_message().contains("过大"), "{n}");
        assert_eq!(
            (count(app, "SELECT COUNT(*) FROM project").await, audit_rows(app).await),
            before,
            "{n}: refusals write nothing"
        );

        // Stage changes: only the next stage or 终止, with evidence of the right type and size.
        let v = d.project.version;
        let e = app.transition_project(&lead, id, v, "started", "", "", &[], &[]).await.unwrap_err();
        assert!(matches!(&e, AppError::Conflict(m) if m.contains("允许的下一阶段：签约、终止")), "{n}: {e:?}");
        let e = app.transition_project(&lead, id, v, "signed", "", "", &[], &[]).await.unwrap_err();
        assert_eq!(fields(&e), vec!["contract"], "{n}");
        let text_as_pdf = vec![("contract".to_string(), "合同.pdf".to_string(), b"just text".to_vec())];
        let e = app.transition_project(&lead, id, v, "signed", "", "", &[], &text_as_pdf).await.unwrap_err();
        assert!(e.user_message().contains("不是可接受的文件类型"), "{n}: {}", e.user_message());
        let mut huge = PDF.to_vec();
        huge.resize(domain::project::MAX_EVIDENCE_BYTES + 1, b' ');
        let e = app
            .transition_project(&lead, id, v, "signed", "", "", &[], &[("contract".into(), "大.pdf".into(), huge)])
            .await
            .unwrap_err();
        assert!(e.user_message().contains("超过 10 MB 上限"), "{n}: {}", e.user_message());
        let e = app
            .transition_project(
                &lead,
                id,
                v,
                "signed",
                "2026-03-05",
                "",
                &[],
                &[("contract".into(), "合同.pdf".into(), PDF.to_vec())],
            )
            .await
            .unwrap_err();
        assert!(e.user_message().contains("不能晚于今天"), "{n}");
        // A unit may report but not move stages; a county of another area cannot at all.
        assert!(matches!(
            app.transition_project(&person, id, v, "signed", "", "", &[], &[]).await,
            Err(AppError::NotFound)
        ));
        assert_eq!(audit_rows(app).await, before.1, "{n}: refused transitions write nothing");
        let contract = vec![("contract".to_string(), "C:\\扫描件\\投资协议.pdf".to_string(), PDF.to_vec())];
        let to = app.transition_project(&lead, id, v, "signed", "", "", &[], &contract).await.expect("signed");
        assert_eq!(to, Stage::Signed);
        // The version moved on: the same version is stale now.
        let e = app
            .transition_project(&lead, id, v, "approval", "", "", &[("filing_no".into(), "川投资备".into())], &[])
            .await;
        assert!(matches!(e, Err(AppError::Stale { .. })), "{n}: {e:?}");
        let d = app.project(&office, id).await.expect("detail");
        assert_eq!(d.project.stage, "signed");
        assert!(d.milestones[0].done_on.is_some(), "{n}: entering 签约 completes 签订投资协议");
        assert_eq!(d.evidence.len(), 1);
        assert_eq!(d.evidence[0].text, "投资协议.pdf", "{n}: the path is dropped from the name");
        let (name, ct, bytes) = app.project_evidence_file(&office, id, d.evidence[0].id).await.expect("file");
        assert_eq!((name.as_str(), ct, bytes.as_slice()), ("投资协议.pdf", "application/pdf", PDF));
        assert!(matches!(app.project_evidence_file(&county2, id, d.evidence[0].id).await, Err(AppError::NotFound)));
        assert!(d.events.iter().any(|e| e.kind == "transition" && e.text == "谋划 → 签约"), "{n}");

        // Milestones: an adjustment needs a reason and may not precede its predecessor.
        let v = d.project.version;
        let land = &d.milestones[2];
        let e = app.adjust_milestone(&lead, id, v, land.id, "2026-06-30", "").await.unwrap_err();
        assert_eq!(fields(&e), vec!["reason"]);
        let e = app.adjust_milestone(&lead, id, v, land.id, "2026-01-01", "提前").await.unwrap_err();
        assert!(e.user_message().contains("不能早于上一节点"), "{n}: {}", e.user_message());
        app.adjust_milestone(&lead, id, v, land.id, "2026-06-30", "土地报征延后").await.expect("adjust");
        let d = app.project(&office, id).await.expect("detail");
        assert_eq!(d.milestones[2].due_on.to_string(), "2026-06-30");
        assert!(d.milestones[2].adjusted && d.milestones[2].adjust_reason == "土地报征延后");
        assert_eq!(d.milestones[3].due_on.to_string(), "2026-06-30", "{n}: the permit cannot precede the land");
        assert_eq!(d.milestones[4].due_on.to_string(), "2026-06-30", "{n}: ground-breaking moves with it");
        assert_eq!(d.milestones[5].due_on.to_string(), "2026-08-29", "{n}: and the works follow 60 days later");
        // A milestone tied to a stage is completed by the stage change, not by hand.
        let e = app.complete_milestone(&lead, id, d.project.version, d.milestones[4].id, "").await.unwrap_err();
        assert!(e.user_message().contains("通过“变更阶段”办理"), "{n}: {}", e.user_message());

        // Monthly reports by the county: no future month, no duplicate, no absurd amount.
        let before = (count(app, "SELECT COUNT(*) FROM project_report").await, audit_rows(app).await);
        let e = app.submit_report(&county, id, &report("2026-04", "100")).await.unwrap_err();
        assert!(e.user_message().contains("不能填报未来月份"), "{n}");
        let e = app.submit_report(&county, id, &report("2026-02", "100")).await.unwrap_err();
        assert!(e.user_message().contains("自 2026年3月 起填报"), "{n}: {}", e.user_message());
        let e = app.submit_report(&county, id, &report("2026-03", "130000")).await.unwrap_err();
        assert!(e.user_message().contains("超过项目总投资"), "{n}");
        let e = app.submit_report(&county, id, &report("2026-03", "-1")).await.unwrap_err();
        assert_eq!(fields(&e), vec!["amount_wan"]);
        assert!(matches!(app.submit_report(&county2, id, &report("2026-03", "1")).await, Err(AppError::NotFound)));
        assert_eq!((count(app, "SELECT COUNT(*) FROM project_report").await, audit_rows(app).await), before, "{n}");
        app.submit_report(&county, id, &report("2026-03", "1234.5")).await.expect("report");
        let e = app.submit_report(&county, id, &report("2026年3月", "1")).await.unwrap_err();
        assert!(matches!(&e, AppError::Conflict(m) if m.contains("已填报")), "{n}: {e:?}");
        let d = app.project(&office, id).await.expect("detail");
        assert_eq!(d.project.completed_fen, 1_234_500_000);
        assert_eq!(d.project.last_month.as_deref(), Some("2026-03"));
        assert!(!d.reports[0].late);

        // Time passes: April and May go unreported, the land milestone lapses.
        t.clock.advance(Duration::days(100)); // 2026-06-10
        let d = app.project(&office, id).await.expect("detail");
        assert_eq!(d.code, Code::Red, "{n}: {:?}", d.reasons);
        assert!(d.reasons.iter().any(|r| r.text.contains("2026年4月、2026年5月月报逾期未报")), "{n}: {:?}", d.reasons);
        assert!(d.reasons.iter().any(|r| r.text.contains("立项备案")), "{n}: {:?}", d.reasons);
        // A late report is accepted and flagged.
        // The unit fgw is not this project's responsible unit (jxj is): it cannot report.
        assert!(matches!(app.submit_report(&person, id, &report("2026-04", "500")).await, Err(AppError::NotFound)));
        app.submit_report(&county, id, &report("2026-04", "500")).await.expect("late report");
        let reports = app.project_reports(&office, id).await.expect("reports");
        assert!(reports.iter().find(|r| r.month == "2026-04").is_some_and(|r| r.late), "{n}");

        // Supervision: the lead department or the chief, not a county; answered by the county.
        assert!(matches!(
            app.supervise_project(&county, id, "加快供地", "", "2026-06-20").await,
            Err(AppError::Forbidden(_))
        ));
        let e = app.supervise_project(&lead, id, "加快供地", "", "2026-06-01").await.unwrap_err();
        assert!(e.user_message().contains("不能早于今天"), "{n}");
        let sid =
            app.supervise_project(&chief, id, "加快供地", "请说明供地计划", "2026-06-15").await.expect("supervise");
        let todo = app.project_todo(&county).await.expect("todo");
        assert!(todo.iter().any(|i| i.kind == "supervision" && i.item_id == Some(sid)), "{n}: {todo:?}");
        assert!(todo.iter().any(|i| i.kind == "report_overdue" && i.text.contains("2026年5月")), "{n}: {todo:?}");
        t.clock.advance(Duration::days(10)); // 2026-06-20: the order is overdue
        let d = app.project(&lead, id).await.expect("detail");
        assert!(d.reasons.iter().any(|r| r.text.contains("督办事项“加快供地”")), "{n}: {:?}", d.reasons);
        let sv = d.supervisions[0].version;
        assert!(matches!(app.respond_supervision(&county2, id, sid, sv, "x").await, Err(AppError::NotFound)));
        app.respond_supervision(&county, id, sid, sv, "已完成土地报征，7 月挂牌").await.expect("respond");
        assert!(matches!(app.respond_supervision(&county, id, sid, sv, "again").await, Err(AppError::Conflict(_))));
        let d = app.project(&lead, id).await.expect("detail");
        assert!(!d.reasons.iter().any(|r| r.text.contains("督办")), "{n}: answered: {:?}", d.reasons);

        // The schedule: the lead department sees its chain with the project lagging and coded,
        // the unit coded; another county sees nothing; the office sees the city.
        let s = app.schedule(&lead, "2026-05", Some("pj"), None).await.expect("schedule");
        assert_eq!(s.projects, 1, "{n}");
        assert_eq!(s.as_of.to_string(), "2026-06-05", "{n}: codes as of the 5th of the following month");
        assert_eq!(s.plan_fen, 30_000 * 1_000_000);
        assert_eq!(s.ytd_fen, 1_734_500_000, "{n}: March and (late) April");
        assert_eq!(s.lagging.len(), 1);
        assert_eq!(s.lagging[0].color, Code::Red);
        assert_eq!(s.funnel.iter().find(|f| f.stage == "signed").map(|f| f.count), Some(1));
        assert_eq!(s.by_unit[0].key, "jxj");
        assert_eq!(s.by_unit[0].color, Some(Code::Red), "{n}: one red project of one");
        assert_eq!(app.schedule(&county2, "2026-05", None, None).await.expect("schedule").projects, 0);
        let city = app.schedule(&office, "", None, None).await.expect("city");
        assert_eq!((city.period.as_str(), city.projects), ("2026-06", 1), "{n}");
        assert!(app.schedule(&office, "2027-01", None, None).await.is_err(), "{n}: a future period");
        assert!(app.schedule(&office, "2026-5", Some("nope"), None).await.is_err(), "{n}: unknown chain");

        // The list: filters, the code filter, saved filters.
        let (rows, total) = app
            .projects(&office, &Filter { chain_id: Some(cid), per_page: 20, ..Default::default() }, Some(Code::Red))
            .await
            .expect("list");
        assert_eq!((total, rows[0].code), (1, Code::Red), "{n}");
        let (_, total) = app
            .projects(&office, &Filter { per_page: 20, ..Default::default() }, Some(Code::Green))
            .await
            .expect("list");
        assert_eq!(total, 0, "{n}");
        let (_, total) = app
            .projects(&office, &Filter { stage: Some("building".into()), per_page: 20, ..Default::default() }, None)
            .await
            .expect("list");
        assert_eq!(total, 0);
        let fid = app.save_project_filter(&lead, "红码", "chain=pj&code=red&evil=1").await.expect("save");
        let saved = app.project_filters(&lead).await.expect("filters");
        assert_eq!((saved[0].id, saved[0].query.as_str()), (fid, "chain=pj&code=red"), "{n}: unknown keys dropped");
        assert!(matches!(app.save_project_filter(&lead, "红码", "stage=signed").await, Err(AppError::Conflict(_))));
        assert!(app.project_filters(&county).await.expect("filters").is_empty(), "{n}: filters are per person");
        assert!(matches!(app.delete_project_filter(&county, fid).await, Err(AppError::NotFound)));
        app.delete_project_filter(&lead, fid).await.expect("delete");

        // 审批 needs its filing number; 开工 a permit number and a photo (a PDF is not a photo).
        let v = app.project(&lead, id).await.expect("detail").project.version;
        let filing = vec![("filing_no".to_string(), "川投资备〔2026〕511722-0001号".to_string())];
        app.transition_project(&lead, id, v, "审批", "2026-06-15", "", &filing, &[]).await.expect("approval");
        let v = app.project(&lead, id).await.expect("detail").project.version;
        let permit = vec![("permit_no".to_string(), "511722202606200101".to_string())];
        let e = app
            .transition_project(
                &county,
                id,
                v,
                "开工",
                "",
                "",
                &permit,
                &[("start_photo".into(), "x.pdf".into(), PDF.to_vec())],
            )
            .await
            .unwrap_err();
        assert!(
            e.user_message().contains("开工现场照片“x.pdf”不是可接受的文件类型（JPG、PNG）"),
            "{n}: {}",
            e.user_message()
        );
        let photo = vec![("start_photo".to_string(), "现场.png".to_string(), PNG.to_vec())];
        app.transition_project(&county, id, v, "开工", "2026-06-18", "", &permit, &photo).await.expect("started");
        let s = app.schedule(&office, "2026-06", None, None).await.expect("schedule");
        assert_eq!(s.started.len(), 1, "{n}: started this month");
        assert!(app.schedule(&office, "2026-05", None, None).await.expect("may").started.is_empty(), "{n}");
        let d = app.project(&office, id).await.expect("detail");
        assert_eq!(d.evidence.len(), 4, "{n}: contract, filing number, permit number, photo");
        assert_eq!(d.evidence.iter().filter(|e| e.file_type.is_some()).count(), 2);
        assert!(
            d.milestones.iter().filter(|m| m.seq <= 5).all(|m| m.done_on.is_some()),
            "{n}: land and permit are done when 开工 is reached"
        );

        // Termination needs a reason; a terminated project takes no reports and no code.
        let v = app.project(&lead, id).await.expect("detail").project.version;
        let e = app.transition_project(&lead, id, v, "终止", "", " ", &[], &[]).await.unwrap_err();
        assert_eq!(fields(&e), vec!["reason"]);
        app.transition_project(&lead, id, v, "terminated", "", "投资方资金链断裂", &[], &[]).await.expect("terminate");
        let d = app.project(&office, id).await.expect("detail");
        assert_eq!((d.code, d.project.terminated_reason.as_str()), (Code::Green, "投资方资金链断裂"));
        assert!(d.next.is_empty());
        assert!(matches!(app.submit_report(&county, id, &report("2026-05", "1")).await, Err(AppError::Conflict(_))));
        let e = app.transition_project(&lead, id, d.project.version, "planning", "", "", &[], &[]).await.unwrap_err();
        assert!(e.user_message().contains("不能再变更阶段"), "{n}");

        // Every write is audited.
        let actions = count(app, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'project.%'").await;
        assert_eq!(
            actions, 12,
            "{n}: create, 3 stages, adjust, 2 reports, supervise, respond, filter save+delete, terminate"
        );
    }
}

#[tokio::test]
async fn the_responsible_unit_and_person_report_and_see_their_to_do() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        test_chain(app, "pk", "jxj").await;
        let lead = principal(app, "lead", "市经信局", &["lead_dept:jxj"]).await;
        let unit = principal(app, "unit", "市发改委", &["unit:fgw"]).await;
        let person = principal(app, "person", "王五", &["unit:zrzyj"]).await;
        let mut i = project("pk", "511722");
        i.unit = "fgw".into();
        i.person_username = "person".into();
        i.stage = "在建".into();
        let id = app.create_project(&lead, &i).await.unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let d = app.project(&unit, id).await.expect("the unit reads its project");
        assert!(d.may_report && !d.may_edit && !d.may_supervise, "{n}");
        assert_eq!(d.project.stage, "building");
        let done = d.milestones.iter().filter(|m| m.done_on.is_some()).count();
        assert_eq!(done, 6, "{n}: milestones up to 主体工程施工 are done for a project entered 在建");
        app.submit_report(&unit, id, &report("2026-03", "10")).await.expect("unit reports");
        assert!(app.project(&person, id).await.is_ok(), "{n}: the responsible person reads it");
        // Early April: the March report is due by the 5th; the person's list reminds once the
        // unit has not yet reported April… the unit reported March, so nothing is due.
        t.clock.advance(Duration::days(31)); // 2026-04-02
        assert!(app.project_todo(&person).await.expect("todo").iter().all(|i| i.kind != "report_due"), "{n}");
        t.clock.advance(Duration::days(29)); // 2026-05-01: April's report due by 05-05
        let todo = app.project_todo(&person).await.expect("todo");
        assert!(todo.iter().any(|i| i.kind == "report_due" && i.text.contains("2026年4月")), "{n}: {todo:?}");
        t.clock.advance(Duration::days(5)); // 2026-05-06: overdue now
        let todo = app.project_todo(&unit).await.expect("todo");
        assert!(todo.iter().any(|i| i.kind == "report_overdue" && i.overdue), "{n}: {todo:?}");
        let (rows, _) = app.projects(&unit, &Filter { per_page: 20, ..Default::default() }, None).await.expect("list");
        assert_eq!(rows[0].code, Code::Yellow, "{n}: one month missing");
        // A park named as the responsible unit of a project in another county reads it,
        // reports on it and finds it in its to-do list.
        let park = principal(app, "park", "高新区", &["region:5117P2"]).await;
        let mut j = project("pk", "511722");
        j.unit = "达州东部经开区".into();
        j.name = "示例·东部经开区配套项目".into();
        let pid = app.create_project(&lead, &j).await.unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let d = app.project(&park, pid).await.unwrap_or_else(|e| panic!("{n}: the park reads its project: {e:?}"));
        assert!(d.may_report && !d.may_edit, "{n}");
        assert!(app.project_todo(&park).await.expect("todo").iter().any(|i| i.project_id == pid), "{n}");
        // An unrelated unit sees nothing.
        let other = principal(app, "other", "市科技局", &["unit:kjj"]).await;
        assert_eq!(
            app.projects(&other, &Filter { per_page: 20, ..Default::default() }, None).await.expect("list").1,
            0
        );
        assert!(app.project_todo(&other).await.expect("todo").is_empty());
    }
}

/// Every code and scheduling report a server computes from its project book, patched from
/// the change feed as writes come in, equals what another instance computes from a book it
/// loads afresh: after reports, completed milestones, supervision, a stage change and a
/// new project, and after the day moves on.
#[tokio::test]
async fn a_patched_project_book_computes_what_a_fresh_one_does() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        app.seed_demo_with(app::demo::Scale::City, 5, app::demo::ProjectPlan { projects: 60, months: 14 })
            .await
            .expect("seed");
        let office = principal(app, "office", "强链办", &["office"]).await;
        let county = principal(app, "county", "宣汉县", &["region:511722"]).await;
        let months = ["2026-03", "2026-02", "2025-12", "2025-07"];
        // Load the book and today's codes in the first instance.
        let all = Filter { per_page: 500, ..Default::default() };
        let (before, _) = app.projects(&office, &all, None).await.expect("list");
        for m in months {
            app.schedule(&office, m, None, None).await.expect("schedule");
        }
        // Writes through the first instance: every coded project gets its missing reports
        // and its overdue milestones done, one is supervised, one starts, one is new.
        let coded: Vec<i64> = before.iter().filter(|r| r.code != Code::Green).map(|r| r.project.id).take(6).collect();
        assert!(coded.len() >= 3, "{n}: the demo codes some projects");
        for id in &coded {
            let d = app.project(&office, *id).await.expect("detail");
            for m in d.open_months.iter().take(2) {
                app.submit_report(&office, *id, &report(m, "10")).await.expect("report");
            }
            let d = app.project(&office, *id).await.expect("detail");
            let today = app.today();
            if let Some(m) = d.milestones.iter().find(|m| m.done_on.is_none() && m.stage.is_none() && m.due_on < today)
            {
                app.complete_milestone(&office, *id, d.project.version, m.id, "2026-03-01").await.expect("milestone");
            }
        }
        app.supervise_project(&office, coded[0], "加快进度", "请说明滞后原因", "2026-03-06").await.expect("supervise");
        app.create_project(&county, &project("gas_chemical", "511722")).await.expect("create");
        // The day moves on: the supervision falls due unanswered, more reports are missing.
        t.clock.advance(chrono::Duration::days(12));
        let fresh = t.reopen().await;
        let (patched, _) = app.projects(&office, &all, None).await.expect("list");
        let (loaded, _) = fresh.projects(&office, &all, None).await.expect("list");
        let codes = |v: &[app::project_schedule::ListedProject]| -> Vec<(i64, Code, Vec<String>)> {
            v.iter().map(|r| (r.project.id, r.code, r.reasons.clone())).collect()
        };
        assert_eq!(codes(&patched), codes(&loaded), "{n}: today's codes");
        assert_ne!(codes(&before), codes(&patched), "{n}: the writes changed codes");
        for m in months {
            let a = serde_json::to_value(app.schedule(&office, m, None, None).await.expect("schedule")).expect("json");
            let b =
                serde_json::to_value(fresh.schedule(&office, m, None, None).await.expect("schedule")).expect("json");
            assert_eq!(a, b, "{n}: the schedule of {m}");
        }
        let a = app.schedule(&county, "2026-03", None, None).await.expect("county");
        let b = fresh.schedule(&county, "2026-03", None, None).await.expect("county");
        assert_eq!(serde_json::to_value(a).expect("json"), serde_json::to_value(b).expect("json"), "{n}: a county's");
    }
}

/// The problems met in a monthly report go into the problem ledger in the same
/// transaction, whoever may report (here the responsible department): routed to the
/// project's county; a bad category or an empty text refuses the report too, writing
/// nothing.
#[tokio::test]
async fn a_monthly_report_raises_its_problems_into_the_problem_ledger() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        test_chain(app, "pr", "jxj").await;
        let county = principal(app, "county", "宣汉县", &["region:511722"]).await;
        let id = app.create_project(&county, &project("pr", "511722")).await.unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let before = (
            count(app, "SELECT COUNT(*) FROM project_report").await,
            count(app, "SELECT COUNT(*) FROM problem").await,
            audit_rows(app).await,
        );
        let mut r = report("2026-03", "100");
        r.raise_category = "天气".into();
        r.problems = "施工用电容量不足".into();
        let e = app.submit_report(&county, id, &r).await.unwrap_err();
        assert!(e.user_message().contains("问题类别应为"), "{n}: {e:?}");
        r.raise_category = "energy".into();
        r.problems = String::new();
        let e = app.submit_report(&county, id, &r).await.unwrap_err();
        assert!(e.user_message().contains("请填写存在问题"), "{n}: {e:?}");
        let after = (
            count(app, "SELECT COUNT(*) FROM project_report").await,
            count(app, "SELECT COUNT(*) FROM problem").await,
            audit_rows(app).await,
        );
        assert_eq!(after, before, "{n}: refused reports write nothing");

        // The responsible unit (a city department, no region of its own) reports it.
        let unit = principal(app, "unit", "市经信局", &["unit:jxj"]).await;
        r.problems = "施工用电容量不足，需新建 10 千伏专线。".into();
        app.submit_report(&unit, id, &r).await.unwrap_or_else(|e| panic!("{n}: {e:?}"));
        let f = store::problem::Filter { source: Some("project".into()), ..Default::default() };
        let (rows, total) = app.problems(&county, &f, None).await.expect("problems");
        assert_eq!(total, 1, "{n}");
        let p = &rows[0].row;
        assert_eq!(p.category, "energy");
        assert_eq!(p.region_code, "511722");
        assert_eq!(p.level, "county");
        assert_eq!(p.chain_code.as_deref(), Some("pr"));
        assert_eq!(p.enterprise_name, "示例新材料有限公司");
        assert!(p.title.contains("2026年3月月报") && p.source_ref.ends_with("2026-03"), "{n}: {p:?}");
        assert_eq!(rows[0].source_label, "项目月报");
        // The same problem in April's report: the report is taken, the problem not raised twice.
        t.clock.advance(Duration::days(31));
        let mut april = r.clone();
        april.month = "2026-04".into();
        app.submit_report(&unit, id, &april).await.unwrap_or_else(|e| panic!("{n}: {e:?}"));
        assert_eq!(app.problems(&county, &f, None).await.expect("problems").1, 1, "{n}");
        // Nobody raises a "project report" problem by hand.
        let hand = app::problem::ProblemInput {
            source: "project".into(),
            category: "energy".into(),
            region: "511722".into(),
            enterprise_name: "示例".into(),
            title: "x".into(),
            description: "y".into(),
            ..Default::default()
        };
        assert!(matches!(app.raise_problem(&county, &hand).await, Err(AppError::Invalid(_))), "{n}");
    }
}
