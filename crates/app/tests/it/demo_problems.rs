//! The demo city's enterprise problems and chain chiefs' work (issue 7): several hundred
//! problems in every status and at every level, chain-wide groups, visits, held meetings
//! with agendas and decisions as tasks (some done late, some overdue), and both kinds of plan.

use crate::harness::{backends, count};
use app::demo::{ProjectPlan, Scale};
use domain::problem::{Level, Status};

#[tokio::test]
async fn the_demo_city_has_problems_meetings_tasks_and_plans() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let report = app.seed_demo_with(Scale::City, 11, ProjectPlan { projects: 30, months: 12 }).await.expect("seed");
        let p = &report.problems;
        let today = app.today();
        println!("{n}: {p:?}");

        // Problems: several hundred, every status, every level, all sources, each with its raise.
        let problems = count(app, "SELECT COUNT(*) FROM problem").await;
        assert!(problems >= 300, "{n}: {problems} problems");
        assert_eq!(problems, p.problems as i64, "{n}");
        for s in Status::ALL {
            let k = count(app, &format!("SELECT COUNT(*) FROM problem WHERE status = '{}'", s.code())).await;
            println!("{n}: status {} {k}", s.code());
            assert!(k > 0, "{n}: no problem is {}", s.code());
        }
        for l in Level::ALL {
            let k = count(app, &format!("SELECT COUNT(*) FROM problem WHERE level = '{}'", l.code())).await;
            println!("{n}: level {} {k}", l.code());
            assert!(k > 0, "{n}: no problem at {}", l.code());
        }
        for s in ["portal", "hotline", "visit"] {
            assert!(count(app, &format!("SELECT COUNT(*) FROM problem WHERE source = '{s}'")).await > 0, "{n}: {s}");
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM problem_event WHERE action = 'raise'").await, problems, "{n}");
        assert!(
            count(app, "SELECT COUNT(*) FROM problem_event WHERE action = 'escalate' AND actor = 'system'").await > 0
        );
        assert!(count(app, "SELECT COUNT(*) FROM problem WHERE reopened > 0").await > 0, "{n}: reopened");
        assert!(count(app, "SELECT COUNT(*) FROM problem WHERE lapsed_units <> ''").await > 0, "{n}: lapsed");
        assert!(
            count(app, "SELECT COUNT(*) FROM problem WHERE source = 'hotline' AND source_ref LIKE '12345-%'").await > 0,
            "{n}: hotline tickets"
        );
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM problem p WHERE p.source = 'visit' AND NOT EXISTS \
                 (SELECT 1 FROM visit v WHERE v.code = p.source_ref)"
            )
            .await,
            0,
            "{n}: a visit's problem names its visit"
        );
        // Open problems below the chief are where the sweep leaves them: today's sweep has
        // nothing to escalate or close.
        let swept = app.sweep_problems().await.expect("sweep");
        assert_eq!((swept.escalated, swept.closed), (0, 0), "{n}: the demo is as the sweep leaves it");
        let red_at_chief = count(
            app,
            &format!("SELECT COUNT(*) FROM problem WHERE status IN ('submitted', 'accepted') AND deadline < '{today}'"),
        )
        .await;
        assert!(red_at_chief > 0, "{n}: some problems are red at the chief");

        // Chain-wide groups.
        let groups = count(app, "SELECT COUNT(*) FROM problem_group").await;
        assert!(groups >= 5, "{n}: {groups} groups");
        assert_eq!(groups, p.groups as i64);
        assert!(count(app, "SELECT COUNT(*) FROM problem WHERE group_id IS NOT NULL").await >= 15, "{n}");

        // Visits, meetings with agendas, decisions as tasks.
        let visits = count(app, "SELECT COUNT(*) FROM visit").await;
        assert!(visits >= 44 && visits == p.visits as i64, "{n}: {visits} visits");
        let held = count(app, "SELECT COUNT(*) FROM meeting WHERE status = 'held' AND minutes <> ''").await;
        assert!(held >= 22 * 4, "{n}: {held} held meetings");
        assert_eq!(count(app, "SELECT COUNT(*) FROM meeting").await, p.meetings as i64);
        assert!(count(app, "SELECT COUNT(*) FROM meeting_item").await > held, "{n}: agendas");
        assert!(
            count(app, "SELECT COUNT(*) FROM meeting_item WHERE kind = 'problem'").await > 0,
            "{n}: problems on agendas"
        );
        assert!(count(app, "SELECT COUNT(*) FROM meeting_item WHERE kind = 'task'").await > 0, "{n}: tasks on agendas");
        let tasks = count(app, "SELECT COUNT(*) FROM task").await;
        assert_eq!(tasks, p.tasks as i64);
        assert!(count(app, "SELECT COUNT(*) FROM task WHERE meeting_id IS NOT NULL").await >= held * 2, "{n}");
        assert!(count(app, "SELECT COUNT(*) FROM task WHERE visit_id IS NOT NULL").await > 0, "{n}");
        let overdue =
            count(app, &format!("SELECT COUNT(*) FROM task WHERE status = 'open' AND due_on < '{today}'")).await;
        let late = count(app, "SELECT COUNT(*) FROM task WHERE status = 'done' AND done_on > due_on").await;
        let on_time = count(app, "SELECT COUNT(*) FROM task WHERE status = 'done' AND done_on <= due_on").await;
        println!("{n}: tasks {tasks}, overdue {overdue}, late {late}, on time {on_time}");
        assert!(overdue > 0 && late > 0 && on_time > late, "{n}");
        assert!(count(app, "SELECT COUNT(*) FROM task_report WHERE kind = 'supervision'").await > 0, "{n}");
        assert_eq!(
            count(
                app,
                "SELECT COUNT(*) FROM task t WHERE t.status = 'done' AND NOT EXISTS \
                 (SELECT 1 FROM task_report r WHERE r.task_id = t.id AND r.kind = 'done')"
            )
            .await,
            0,
            "{n}: every closed task has its closing report"
        );

        // Plans of both kinds, the past items mostly done.
        for kind in ["action", "annual"] {
            let k = count(app, &format!("SELECT COUNT(*) FROM plan_item WHERE kind = '{kind}'")).await;
            assert!(k >= 22 * 5, "{n}: {k} {kind} plan items");
        }
        assert_eq!(count(app, "SELECT COUNT(*) FROM plan_item").await, p.plan_items as i64);
        assert!(count(app, "SELECT COUNT(*) FROM plan_item WHERE status = 'done'").await > 0, "{n}");

        // Audited, and the chain still verifies.
        assert!(count(app, "SELECT COUNT(*) FROM audit_log WHERE action = 'demo.problems'").await >= 5, "{n}");
        let v = store::audit::verify(&app.db).await.expect("verify");
        assert_eq!(v.first_broken, None, "{n}");
    }
}

/// The same seed on the same day gives the same problems, histories, meetings and tasks.
#[tokio::test]
async fn demo_problems_are_reproducible_from_the_seed() {
    use store::sql::Sql;
    let mut runs = Vec::new();
    for _ in 0..2 {
        let t = crate::harness::sqlite().await;
        let app = &t.app;
        app.seed_demo_with(Scale::City, 5, ProjectPlan { projects: 10, months: 6 }).await.expect("seed");
        let problems: Vec<(String, String, String, String, String, String)> = Sql::new(
            "SELECT code, enterprise_name, title, status, level, CAST(deadline AS TEXT) FROM problem ORDER BY id",
        )
        .fetch_all(&app.db)
        .await
        .expect("problems");
        let events: Vec<(i64, String, String)> =
            Sql::new("SELECT problem_id, action, text FROM problem_event ORDER BY id")
                .fetch_all(&app.db)
                .await
                .expect("events");
        let tasks: Vec<(String, String, String, String)> =
            Sql::new("SELECT code, title, unit_code, status FROM task ORDER BY id")
                .fetch_all(&app.db)
                .await
                .expect("tasks");
        let minutes: Vec<(String, String)> =
            Sql::new("SELECT title, minutes FROM meeting ORDER BY id").fetch_all(&app.db).await.expect("meetings");
        runs.push((problems, events, tasks, minutes));
    }
    assert!(!runs[0].0.is_empty());
    assert!(runs[0] == runs[1], "the same seed gives the same demo");
}
