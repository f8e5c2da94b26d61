//! The demo city's key projects: about 300 fictitious projects marked 示例 over every chain,
//! in every stage, with two years of monthly reports (some late, some missing), so that the
//! scheduling report has red and yellow projects, lagging items and projects started this
//! month, and the demo county account has something to do. The checks run inside the demo
//! test (one seed per backend); the generator's size options are checked here on a small run.

use crate::harness::{TestDb, count, login, sqlite};
use app::demo::{DemoReport, ProjectPlan, Scale};
use chrono::{DateTime, Utc};
use domain::clock::china_date;
use domain::project::{Code, Month, Stage};
use std::collections::BTreeSet;
use store::sql::Sql;

/// Everything the demo promises about its projects (called from `demo::demo_city`).
pub async fn check_demo_projects(t: &TestDb, report: &DemoReport) {
    let app = &t.app;
    let n = t.name();
    assert_eq!((report.projects.projects, count(app, "SELECT COUNT(*) FROM project").await), (300, 300), "{n}");
    assert_eq!(count(app, "SELECT COUNT(*) FROM project_report").await, report.projects.reports as i64, "{n}");
    assert_eq!(
        count(app, "SELECT COUNT(*) FROM project WHERE name NOT LIKE '示例·%'").await,
        0,
        "{n}: names marked 示例"
    );
    assert_eq!(count(app, "SELECT COUNT(DISTINCT name) FROM project").await, 300, "{n}: names are distinct");
    // Every stage, kind, land mode and tag; every chain; counties and parks.
    let stages: Vec<(String,)> =
        Sql::new("SELECT DISTINCT stage FROM project").fetch_all(&app.db).await.expect("stages");
    let stages: BTreeSet<String> = stages.into_iter().map(|r| r.0).collect();
    assert_eq!(stages, Stage::ALL.iter().map(|s| s.code().to_string()).collect(), "{n}: every stage");
    assert_eq!(count(app, "SELECT COUNT(DISTINCT kind) FROM project").await, 5, "{n}: every kind");
    assert_eq!(count(app, "SELECT COUNT(DISTINCT land_mode) FROM project").await, 4, "{n}: every land mode");
    for tag in ["tag_effective", "tag_rooted", "tag_tax"] {
        assert!(count(app, &format!("SELECT COUNT(*) FROM project WHERE {tag} = TRUE")).await > 0, "{n}: {tag}");
    }
    assert_eq!(
        count(app, "SELECT COUNT(*) FROM chain c WHERE NOT EXISTS (SELECT 1 FROM project p WHERE p.chain_id = c.id)")
            .await,
        0,
        "{n}: every chain has projects"
    );
    assert!(count(app, "SELECT COUNT(DISTINCT region_code) FROM project").await >= 7, "{n}: spread over the counties");
    assert!(
        count(app, "SELECT COUNT(*) FROM project p JOIN region r ON r.code = p.region_code WHERE r.kind = 'park'")
            .await
            > 0,
        "{n}: and the parks"
    );
    assert!(
        count(app, "SELECT COUNT(*) FROM project WHERE unit_code IN (SELECT code FROM department)").await > 0,
        "{n}"
    );
    assert!(count(app, "SELECT COUNT(*) FROM project WHERE unit_code IN (SELECT code FROM region)").await > 0, "{n}");
    assert!(count(app, "SELECT COUNT(*) FROM project WHERE enterprise_id IS NOT NULL").await > 0, "{n}: local owners");
    assert!(count(app, "SELECT COUNT(*) FROM project WHERE segment_id IS NOT NULL").await > 0, "{n}: on segments");
    assert_eq!(
        count(app, "SELECT COUNT(*) FROM project WHERE stage = 'terminated' AND terminated_reason = ''").await,
        0,
        "{n}: 终止 with a reason"
    );
    assert!(count(app, "SELECT COUNT(*) FROM project WHERE stage = 'terminated'").await >= 3, "{n}: a few 终止");
    assert!(count(app, "SELECT COUNT(*) FROM project WHERE person_account_id IS NOT NULL").await > 0, "{n}");

    // Milestones from the templates: done, adjusted with a reason, open.
    assert_eq!(
        count(app, "SELECT COUNT(*) FROM project p WHERE NOT EXISTS (SELECT 1 FROM project_milestone m WHERE m.project_id = p.id)").await,
        0,
        "{n}"
    );
    assert!(count(app, "SELECT COUNT(*) FROM project_milestone WHERE done_on IS NOT NULL").await > 300, "{n}");
    assert!(
        count(app, "SELECT COUNT(*) FROM project_milestone WHERE adjusted = TRUE AND adjust_reason <> ''").await > 0,
        "{n}"
    );
    assert_eq!(
        count(app, "SELECT COUNT(*) FROM project_milestone WHERE adjusted = TRUE AND adjust_reason = ''").await,
        0,
        "{n}"
    );
    assert!(count(app, "SELECT COUNT(*) FROM project_plan").await >= 300, "{n}: yearly plans");
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM project p WHERE (SELECT COALESCE(SUM(plan_fen), 0) FROM project_plan l WHERE l.project_id = p.id) > p.total_fen"
        )
        .await,
        0,
        "{n}: plans within the total"
    );

    // Two years of reports, totals kept on the project, late ones flagged after the 5th.
    assert!(count(app, "SELECT COUNT(DISTINCT month) FROM project_report").await >= 24, "{n}: 24 months of reports");
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM project p WHERE p.completed_fen <> COALESCE((SELECT SUM(r.amount_fen) FROM project_report r WHERE r.project_id = p.id), 0) \
             OR COALESCE(p.last_month, '') <> COALESCE((SELECT MAX(r.month) FROM project_report r WHERE r.project_id = p.id), '')"
        )
        .await,
        0,
        "{n}: completed_fen and last_month follow the reports"
    );
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM project p WHERE LENGTH(p.reported) - LENGTH(REPLACE(p.reported, '1', '')) \
             <> (SELECT COUNT(*) FROM project_report r WHERE r.project_id = p.id) \
             OR COALESCE((SELECT SUM(d.m01 + d.m02 + d.m03 + d.m04 + d.m05 + d.m06 + d.m07 + d.m08 + d.m09 + d.m10 + d.m11 + d.m12) \
             FROM project_done d WHERE d.project_id = p.id), 0) <> p.completed_fen"
        )
        .await,
        0,
        "{n}: the summaries (months reported, completed per month) follow the reports"
    );
    let reports: Vec<(String, bool, DateTime<Utc>, String)> = Sql::new(
        "SELECT month, late, submitted_at, first_month FROM project_report r JOIN project p ON p.id = r.project_id",
    )
    .fetch_all(&app.db)
    .await
    .expect("reports");
    let now = app.now();
    let mut late = 0;
    for (month, is_late, at, first) in &reports {
        let m = Month::parse(month).expect("month");
        assert_eq!(*is_late, china_date(*at) > m.deadline(), "{n}: {month} submitted {at}");
        assert!(*at <= now && m < Month::of(app.today()), "{n}: {month} submitted {at}");
        assert!(month >= first, "{n}: {month} before the first month {first}");
        late += usize::from(*is_late);
    }
    assert!(late > 0 && late * 5 < reports.len(), "{n}: some late ({late} of {})", reports.len());

    // The timeline: entry, stage changes in the past (some 开工 this month and last), evidence.
    assert_eq!(count(app, "SELECT COUNT(*) FROM project_event WHERE kind = 'created'").await, 300, "{n}");
    let today = app.today();
    let this_month = Month::of(today);
    let started: Vec<(chrono::NaiveDate,)> =
        Sql::new("SELECT on_date FROM project_event WHERE kind = 'transition' AND to_stage = 'started'")
            .fetch_all(&app.db)
            .await
            .expect("started");
    assert!(started.iter().all(|d| d.0 <= today), "{n}: no stage change in the future");
    assert!(started.iter().any(|d| Month::of(d.0) == this_month), "{n}: 开工 this month");
    assert!(started.iter().any(|d| Month::of(d.0) == this_month.prev()), "{n}: 开工 last month");
    assert!(
        count(app, "SELECT COUNT(*) FROM project_event WHERE kind = 'transition' AND to_stage = 'terminated'").await
            > 0,
        "{n}"
    );
    assert!(count(app, "SELECT COUNT(*) FROM project_evidence WHERE file_type = 'png'").await > 0, "{n}");
    assert!(count(app, "SELECT COUNT(*) FROM project_evidence WHERE file_type = 'pdf'").await > 0, "{n}");
    assert!(count(app, "SELECT COUNT(*) FROM project_evidence WHERE file_type IS NULL").await > 0, "{n}: text proofs");
    let files: Vec<(String, Vec<u8>, i64)> =
        Sql::new("SELECT file_type, data, size FROM project_evidence WHERE data IS NOT NULL")
            .fetch_all(&app.db)
            .await
            .expect("files");
    for (ft, data, size) in &files {
        let sniffed = domain::project::FileType::sniff(data).map(|t| t.code());
        assert_eq!((sniffed, data.len() as i64), (Some(ft.as_str()), *size), "{n}");
    }
    // Supervision: answered, and overdue unanswered.
    assert!(count(app, "SELECT COUNT(*) FROM project_supervision WHERE responded_at IS NOT NULL").await > 0, "{n}");
    let overdue = format!("SELECT COUNT(*) FROM project_supervision WHERE responded_at IS NULL AND due_on < '{today}'");
    assert!(count(app, &overdue).await > 0, "{n}: overdue supervision");

    // The office's schedule of this month: red and yellow, lagging, started this month.
    let office = report.accounts.iter().find(|a| a.username == "demo.office").expect("office");
    let (_, p) = login(app, &office.username, &office.password).await;
    let s = app.schedule(&p, "", None, None).await.expect("schedule");
    assert_eq!(s.period, this_month.to_string(), "{n}");
    assert!(s.red > 0 && s.yellow > 0 && s.green > s.red, "{n}: red {} yellow {} green {}", s.red, s.yellow, s.green);
    assert!(!s.lagging.is_empty(), "{n}: lagging projects");
    assert!(!s.started.is_empty(), "{n}: started this month");
    assert!(s.funnel.iter().all(|f| f.count > 0), "{n}: every stage in the funnel: {:?}", s.funnel);
    assert!(s.plan_fen > 0 && s.ytd_fen > 0, "{n}");
    assert!(s.by_unit.iter().any(|u| u.color == Some(Code::Red)), "{n}: a red unit");
    // Last month's schedule too.
    let last = app.schedule(&p, &this_month.prev().to_string(), None, None).await.expect("last month");
    assert!(last.red + last.yellow > 0 && last.projects > 0, "{n}");

    // The demo county account and the unit account have something to do.
    for username in ["demo.region", "demo.unit"] {
        let a = report.accounts.iter().find(|a| a.username == username).expect("account");
        let (_, p) = login(app, &a.username, &a.password).await;
        let todo = app.project_todo(&p).await.expect("todo");
        assert!(!todo.is_empty(), "{n}: {username} has something to do");
    }
}

#[tokio::test]
async fn the_generator_makes_as_many_projects_as_asked() {
    let t = sqlite().await;
    let app = &t.app;
    let plan = ProjectPlan { projects: 40, months: 6 };
    let report = app.seed_demo_with(Scale::City, 3, plan).await.expect("seed");
    assert_eq!(report.projects.projects, 40);
    assert_eq!(count(app, "SELECT COUNT(*) FROM project").await, 40);
    assert_eq!(count(app, "SELECT COUNT(*) FROM project_report").await, report.projects.reports as i64);
    assert!(report.projects.reports > 40);
    assert!(count(app, "SELECT COUNT(DISTINCT month) FROM project_report").await <= 6);
    assert_eq!(count(app, "SELECT COUNT(DISTINCT stage) FROM project").await, 8, "every stage, whatever the count");
    let v = store::audit::verify(&app.db).await.expect("verify");
    assert_eq!(v.first_broken, None);
    assert_eq!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'project.seed'").await, 40);
}
