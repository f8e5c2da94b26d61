//! Project files: a county's project list imports (preview, then all rows in one
//! transaction with plans, milestones and audit rows); bad rows are named by row and column
//! and nothing is written; the mapping step reads other layouts; an export imports back
//! unchanged; the scheduling report's xlsx has the totals and its docx opens in LibreOffice.

use crate::harness::{audit_actions, audit_rows, backends, count, input, principal, uscc};
use app::AppError;
use app::account::Principal;
use app::chainmap::SegmentInput;
use app::project_xlsx::{ProjectImportOptions, ProjectImportReport, projects_xlsx, schedule_docx, schedule_xlsx};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use std::collections::HashMap;

/// The county layout as counties fill it in.
const HEADERS: [&str; 27] = [
    "序号",
    "项目编号",
    "项目名称*",
    "所属产业链*",
    "产业链环节",
    "所在县（市、区）/园区*",
    "项目业主",
    "统一社会信用代码",
    "项目类型*",
    "有效投资",
    "有根产业",
    "有持续税源",
    "总投资（万元）*",
    "2026年计划投资（万元）",
    "2027年计划投资（万元）",
    "用地面积（亩）",
    "供地方式",
    "预计年产值（万元）",
    "预计年税收（万元）",
    "建设内容",
    "项目阶段",
    "计划开工日期*",
    "计划竣工日期",
    "责任单位*",
    "责任人*",
    "联系电话",
    "备注",
];

/// A cell of a test row: text, a number, or an Excel date.
#[derive(Clone)]
enum V {
    T(&'static str),
    S(String),
    N(f64),
    D(u16, u8, u8),
}

/// An xlsx with `headers` and `rows` (a title row above the header, as county files have
/// none: the header is the first row).
fn xlsx(headers: &[&str], rows: &[Vec<V>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("header");
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in row.iter().enumerate() {
            let c = c as u16;
            match v {
                V::T(t) => ws.write_string(r, c, *t).map(|_| ()),
                V::S(t) => ws.write_string(r, c, t.as_str()).map(|_| ()),
                V::N(n) => ws.write_number(r, c, *n).map(|_| ()),
                V::D(y, m, d) => {
                    let dt = ExcelDateTime::from_ymd(*y, *m, *d).expect("date");
                    ws.write_datetime_with_format(r, c, &dt, &date).map(|_| ())
                }
            }
            .expect("cell");
        }
    }
    wb.save_to_buffer().expect("xlsx")
}

/// One row of the county layout.
#[allow(clippy::too_many_arguments)]
fn row(
    n: u32,
    code: &'static str,
    name: &'static str,
    chain: &str,
    segment: &'static str,
    region: &'static str,
    uscc: &str,
    kind: &'static str,
    total: f64,
    plans: (f64, f64),
    stage: &'static str,
    start: V,
    unit: &'static str,
) -> Vec<V> {
    vec![
        V::N(f64::from(n)),
        V::T(code),
        V::T(name),
        V::S(chain.to_string()),
        V::T(segment),
        V::T(region),
        V::T(if uscc.is_empty() { "宣汉某某投资有限公司" } else { "" }),
        V::S(uscc.to_string()),
        V::T(kind),
        V::T("是"),
        V::T("√"),
        V::T("否"),
        V::N(total),
        plan(plans.0),
        plan(plans.1),
        V::T("120.5"),
        V::T("先租后让"),
        V::N(80000.0),
        V::N(3200.25),
        V::T("新建年产10万吨生产线"),
        V::T(stage),
        start,
        V::D(2028, 6, 30),
        V::T(unit),
        V::T("张三"),
        V::T("0818-1234567"),
        V::T("无"),
    ]
}

/// A plan cell: empty for no plan.
fn plan(v: f64) -> V {
    if v == 0.0 { V::T("") } else { V::N(v) }
}

fn opts(apply: bool) -> ProjectImportOptions {
    ProjectImportOptions { apply, ..Default::default() }
}

struct Setup {
    office: Principal,
    chain: String,
    uscc: String,
}

/// A chain (led by 经信局, carried by 宣汉县) with one segment, an enterprise in the ledger,
/// the office.
async fn setup(app: &app::App) -> Setup {
    let cid = crate::harness::test_chain(app, "gas_px", "jxj").await;
    let office = principal(app, "office", "强链办", &["office"]).await;
    let lead = principal(app, "lead", "经信局", &["lead_dept:jxj"]).await;
    let seg = SegmentInput {
        code: "methanol".into(),
        name: "甲醇".into(),
        stage: "midstream".into(),
        key_products: "甲醇".into(),
        industry_codes: "2614".into(),
        ..Default::default()
    };
    app.add_segment(&lead, &cid.to_string(), &seg).await.expect("segment");
    let code = uscc("511722", 7);
    app.create_enterprise(&office, &input(&code, "宣汉甲醇化工有限公司", "511722", "2614")).await.expect("enterprise");
    Setup { office, chain: "测试链gas_px".into(), uscc: code }
}

/// Three good rows: one with a code, segment, owner by USCC and stage 签约; one with a
/// generated code in a park; one technical upgrade with a date typed as text.
fn good_rows(s: &Setup) -> Vec<Vec<V>> {
    vec![
        row(
            1,
            "XS-2026-001",
            "年产10万吨甲醇项目",
            &s.chain,
            "甲醇",
            "宣汉县",
            &s.uscc,
            "新招引项目",
            50000.0,
            (10000.0, 20000.0),
            "签约",
            V::D(2026, 4, 1),
            "市经济和信息化局",
        ),
        row(
            2,
            "",
            "氢能装备产业园",
            "gas_px",
            "",
            "达州高新区",
            "",
            "新招引",
            120000.5,
            (30000.0, 0.0),
            "",
            V::D(2026, 6, 1),
            "达州高新区",
        ),
        row(
            3,
            "XS-2026-003",
            "合成氨装置节能改造",
            &s.chain,
            "",
            "511722",
            "",
            "技术改造",
            8000.0,
            (5000.0, 3000.0),
            "审批",
            V::T("2026年5月10日"),
            "宣汉县",
        ),
    ]
}

fn messages(r: &ProjectImportReport) -> String {
    r.errors
        .iter()
        .map(|e| format!("第{}行[{}]“{}”：{}", e.line, e.column, e.value, e.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_county_list_previews_then_imports_in_one_transaction() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let s = setup(app).await;
        let file = xlsx(&HEADERS, &good_rows(&s));
        let audit0 = audit_rows(app).await;

        let r = app.import_projects(&s.office, &file, "宣汉县重点项目.xlsx", &opts(false)).await.expect("preview");
        assert!(r.errors.is_empty(), "{n}: {}", messages(&r));
        assert_eq!((r.rows, r.valid, r.created, r.committed), (3, 3, 0, false), "{n}");
        assert_eq!(r.plan_years, vec![2026, 2027], "{n}");
        assert_eq!(r.unknown, vec!["备注".to_string()], "{n}: 备注 is unknown, ignored");
        assert_eq!(r.preview.len(), 3);
        assert_eq!(r.preview[1].code, "", "{n}: code generated later");
        assert!(
            r.mapping.contains(&("所在县（市、区）/园区*".into(), "所在县（市、区）/园区".into())),
            "{n}: {:?}",
            r.mapping
        );
        assert_eq!(count(app, "SELECT COUNT(*) FROM project").await, 0, "{n}: preview writes nothing");
        assert_eq!(audit_rows(app).await, audit0, "{n}");

        let r = app.import_projects(&s.office, &file, "宣汉县重点项目.xlsx", &opts(true)).await.expect("apply");
        assert!(r.committed && r.created == 3, "{n}: {}", messages(&r));
        assert_eq!(count(app, "SELECT COUNT(*) FROM project").await, 3, "{n}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM project_plan").await, 5, "{n}: five non-empty plan cells");
        assert!(count(app, "SELECT COUNT(*) FROM project_milestone").await >= 15, "{n}: milestones from the templates");
        // Row 1: every field as the file had it.
        let rows = app.project_export(&s.office, &Default::default()).await.expect("rows").rows;
        let p = rows.iter().find(|r| r.code == "XS-2026-001").expect("imported");
        assert_eq!(p.stage, "signed", "{n}");
        assert!(p.segment_id.is_some() && p.enterprise_id.is_some(), "{n}: segment and owner linked");
        assert_eq!(p.investor, "宣汉甲醇化工有限公司", "{n}: the owner's name from the ledger");
        assert_eq!(
            (p.total_fen, p.land_mu.as_str(), p.land_mode.as_deref()),
            (50_000_000_000, "120.5", Some("lease_then_sell")),
            "{n}"
        );
        assert_eq!((p.output_fen, p.tax_fen), (80_000_000_000, 3_200_250_000), "{n}");
        assert_eq!(p.planned_start.to_string(), "2026-04-01");
        assert_eq!(p.planned_end.map(|d| d.to_string()).as_deref(), Some("2028-06-30"));
        assert_eq!(
            (p.unit_code.as_str(), p.person.as_str(), p.contact.as_str()),
            ("jxj", "张三", "0818-1234567"),
            "{n}"
        );
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM project WHERE code = 'XS-2026-001' AND tag_effective AND tag_rooted AND NOT tag_tax").await,
            1,
            "{n}: 是 √ 否"
        );
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM project WHERE code LIKE 'XM-2026-%' AND region_code = '5117P1'").await,
            1,
            "{n}"
        );
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM project WHERE code = 'XS-2026-003' AND planned_start = '2026-05-10'")
                .await,
            1,
            "{n}"
        );
        // Audit: one row per project and one for the file, all in the transaction.
        let actions = audit_actions(app).await;
        assert_eq!(actions.iter().filter(|(a, _)| a == "project.create").count(), 3, "{n}");
        assert_eq!(actions.last().map(|(a, _)| a.as_str()), Some("import.projects"), "{n}");
        assert_eq!(audit_rows(app).await, audit0 + 4, "{n}");

        // The same file again: every code is already in the library; nothing written.
        let r = app.import_projects(&s.office, &file, "again.xlsx", &opts(true)).await.expect("again");
        assert!(!r.committed, "{n}");
        assert_eq!(r.errors.iter().filter(|e| e.message.contains("已存在")).count(), 2, "{n}: {}", messages(&r));
        assert_eq!(count(app, "SELECT COUNT(*) FROM project").await, 3, "{n}");
    }
}

#[tokio::test]
async fn every_problem_is_named_by_row_and_column_and_nothing_is_written() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let s = setup(app).await;
        let mut rows = good_rows(&s);
        // Row 5: wrong check digit, unknown region, plan above total, a date in another
        // century, a tag that is neither yes nor no; row 6 repeats row 2's code.
        let mut bad_uscc = s.uscc.clone();
        let last = bad_uscc.pop().expect("char");
        bad_uscc.push(if last == '0' { '1' } else { '0' });
        let mut bad = row(
            4,
            "XS-2026-009",
            "坏行项目",
            &s.chain,
            "不存在的环节",
            "成都市锦江区",
            &bad_uscc,
            "新招引项目",
            100.0,
            (500.0, 0.0),
            "",
            V::D(2999, 1, 1),
            "市经济和信息化局",
        );
        bad[11] = V::T("也许");
        rows.push(bad);
        let mut dup = row(
            5,
            "XS-2026-001",
            "重复编号项目",
            &s.chain,
            "",
            "宣汉县",
            "",
            "中试",
            100.0,
            (0.0, 0.0),
            "",
            V::D(2026, 7, 1),
            "宣汉县",
        );
        dup[9] = V::T("");
        rows.push(dup);
        let file = xlsx(&HEADERS, &rows);
        let audit0 = audit_rows(app).await;
        let r = app.import_projects(&s.office, &file, "bad.xlsx", &opts(true)).await.expect("report");
        let all = messages(&r);
        assert!(!r.committed && r.created == 0, "{n}");
        assert_eq!(r.valid, 3, "{n}: the good rows pass");
        let has = |line: usize, column: &str, text: &str| {
            assert!(
                r.errors.iter().any(|e| e.line == line && e.column == column && e.message.contains(text)),
                "{n}: row {line} [{column}] “{text}” in\n{all}"
            )
        };
        has(5, "统一社会信用代码", "统一社会信用代码有误");
        has(5, "所在县（市、区）/园区*", "成都市锦江区");
        has(5, "2026年计划投资（万元）", "超过总投资");
        has(5, "计划开工日期*", "不在合理范围内");
        has(5, "有持续税源", "应填“是”或“否”");
        has(5, "产业链环节", "不存在的环节");
        has(6, "项目编号", "与第 2 行的项目编号重复");
        assert!(r.errors.iter().all(|e| e.line >= 5), "{n}: {all}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM project").await, 0, "{n}: nothing written");
        assert_eq!(audit_rows(app).await, audit0, "{n}");
        // The error report downloads as an xlsx.
        let report = app::import::error_report_xlsx(&r.errors);
        assert!(report.starts_with(b"PK"));
    }
}

#[tokio::test]
async fn other_layouts_are_read_through_the_mapping_step() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let s = setup(app).await;
        let csv = format!(
            "项目名称,产业链,区县,建设单位,类型,投资额,今年计划,开工时间,牵头单位,负责人,说明\n\
             映射项目,{},宣汉县,宣汉某某公司,技术改造,3000,1000,2026-05-01,宣汉县,李四,无\n",
            s.chain
        );
        match app.import_projects(&s.office, csv.as_bytes(), "other.csv", &opts(false)).await {
            Err(e @ AppError::Invalid(_)) => assert!(e.user_message().contains("总投资"), "{n}: {}", e.user_message()),
            r => panic!("{n}: a missing total passed: {r:?}"),
        }
        let overrides: HashMap<String, String> = [
            ("投资额".to_string(), "total_wan".to_string()),
            ("今年计划".to_string(), "plan:2026".to_string()),
            ("说明".to_string(), String::new()),
        ]
        .into();
        let o = ProjectImportOptions { apply: true, overrides, ..Default::default() };
        let r = app.import_projects(&s.office, csv.as_bytes(), "other.csv", &o).await.expect("mapped");
        assert!(r.committed && r.unknown.is_empty(), "{n}: {}", messages(&r));
        assert_eq!(r.plan_years, vec![2026]);
        assert_eq!(count(app, "SELECT COUNT(*) FROM project_plan p JOIN project j ON j.id = p.project_id WHERE j.name = '映射项目' AND p.plan_fen = 1000000000").await, 1, "{n}");
    }
}

#[tokio::test]
async fn a_county_imports_only_its_own_projects() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let s = setup(app).await;
        let county = principal(app, "xuanhan", "宣汉县", &["region:511722"]).await;
        let mut rows = good_rows(&s);
        rows.truncate(1);
        rows[0][5] = V::T("通川区");
        let r = app.import_projects(&county, &xlsx(&HEADERS, &rows), "x.xlsx", &opts(true)).await.expect("report");
        assert!(
            r.errors.iter().any(|e| e.column.starts_with("所在县") && e.message.contains("无权")),
            "{n}: {}",
            messages(&r)
        );
        assert_eq!(count(app, "SELECT COUNT(*) FROM project").await, 0, "{n}");
        let viewer = principal(app, "expert", "专家", &["expert"]).await;
        match app.import_projects(&viewer, &xlsx(&HEADERS, &good_rows(&s)), "x.xlsx", &opts(false)).await {
            Err(AppError::Forbidden(_)) => {}
            r => panic!("{n}: an expert imported: {r:?}"),
        }
    }
}

/// Every project as comparable text: all its fields and plans but its id, code and times.
async fn fields(app: &app::App, p: &Principal) -> Vec<String> {
    let e = app.project_export(p, &Default::default()).await.expect("rows");
    let mut v: Vec<String> = e
        .rows
        .iter()
        .map(|r| {
            let mut j = serde_json::to_value(r).expect("json");
            for k in ["id", "code", "version", "created_at", "updated_at"] {
                j.as_object_mut().expect("object").remove(k);
            }
            format!("{j} {:?}", e.plans.get(&r.id))
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn an_export_imports_back_unchanged() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let s = setup(app).await;
        let r =
            app.import_projects(&s.office, &xlsx(&HEADERS, &good_rows(&s)), "in.xlsx", &opts(true)).await.expect("in");
        assert!(r.committed, "{n}: {}", messages(&r));
        let before = fields(app, &s.office).await;
        let e = app.project_export(&s.office, &Default::default()).await.expect("export");
        assert_eq!(e.rows.len(), 3);
        let file = projects_xlsx(&e.rows, &e.plans, &e.usccs).expect("xlsx");
        // As it is: only the codes collide.
        let r = app.import_projects(&s.office, &file, "out.xlsx", &opts(false)).await.expect("preview");
        assert_eq!(r.plan_years, vec![2026, 2027], "{n}");
        assert!(r.unknown.is_empty(), "{n}: the export's own columns are known: {:?}", r.unknown);
        assert_eq!(r.errors.len(), 3, "{n}: {}", messages(&r));
        assert!(
            r.errors.iter().all(|e| e.column == "项目编号" && e.message.contains("已存在")),
            "{n}: {}",
            messages(&r)
        );
        // Without the codes it imports, and every field reads back the same.
        let o = ProjectImportOptions {
            apply: true,
            overrides: [("项目编号".to_string(), String::new())].into(),
            ..Default::default()
        };
        let r = app.import_projects(&s.office, &file, "out.xlsx", &o).await.expect("again");
        assert!(r.committed && r.created == 3, "{n}: {}", messages(&r));
        let after = fields(app, &s.office).await;
        let doubled: Vec<String> = before.iter().flat_map(|f| [f.clone(), f.clone()]).collect();
        assert_eq!(after, doubled, "{n}: the copies equal the originals");
        // A county exports its own projects only.
        let county = principal(app, "tongchuan", "通川区", &["region:511702"]).await;
        assert!(app.project_export(&county, &Default::default()).await.expect("county").rows.is_empty(), "{n}");
    }
}

#[tokio::test]
async fn the_schedule_files_carry_the_figures() {
    for t in backends().await {
        let app = &t.app;
        let n = t.name();
        let s = setup(app).await;
        let r =
            app.import_projects(&s.office, &xlsx(&HEADERS, &good_rows(&s)), "in.xlsx", &opts(true)).await.expect("in");
        assert!(r.committed, "{n}: {}", messages(&r));
        let sched = app.schedule(&s.office, "2026-03", None, None).await.expect("schedule");
        assert_eq!(sched.projects, 3, "{n}");
        let bytes = schedule_xlsx(&sched).expect("xlsx");
        let limits = office::Limits::default();
        let summary = office::read_sheet_values(&bytes, "s.xlsx", Some("汇总"), &limits).expect("汇总");
        let value = |label: &str| {
            summary
                .iter()
                .find(|(_, r)| matches!(r.first(), Some(office::CellValue::Text(t)) if t == label))
                .and_then(|(_, r)| match r.get(1) {
                    Some(office::CellValue::Number(v)) => Some(*v),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("{n}: {label}"))
        };
        assert_eq!(value("项目总数"), 3.0, "{n}");
        assert_eq!(value("年度计划投资（万元）"), 45000.0, "{n}: 10000 + 30000 + 5000");
        assert_eq!(value("总投资（万元）"), 178000.5, "{n}");
        let chains = office::read_sheet_values(&bytes, "s.xlsx", Some("分产业链"), &limits).expect("分产业链");
        assert!(
            chains.iter().any(|(_, r)| matches!(r.first(), Some(office::CellValue::Text(t)) if t == "测试链gas_px")),
            "{n}: {chains:?}"
        );
        let docx = schedule_docx(&sched, &app.city_name().await.expect("city"));
        let xml = office::zip_files(&docx, &limits, &["document.xml"]).expect("docx")["document.xml"].clone();
        let xml = String::from_utf8(xml).expect("utf-8");
        assert!(xml.contains("达州市重点项目2026年3月调度通报"), "{n}");
        assert!(xml.contains("纳入调度的重点项目共3个"), "{n}");
        if n == "sqlite" {
            converts_to_pdf(&docx);
        }
    }
}

/// Converts a docx with LibreOffice: the notice must open in an office suite, not only unzip.
/// Without LibreOffice the check fails under CI and is skipped (with a message) elsewhere.
pub(crate) fn converts_to_pdf(docx: &[u8]) {
    let office = ["soffice", "libreoffice"]
        .into_iter()
        .find(|b| std::process::Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()));
    let Some(office) = office else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but LibreOffice (soffice) is not installed: the docx could not be checked");
        }
        eprintln!("SKIPPED: LibreOffice (soffice) not found; the docx was not converted to PDF");
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("调度通报.docx");
    std::fs::write(&path, docx).expect("write");
    let profile = format!("-env:UserInstallation=file://{}", dir.path().join("profile").display());
    let out = std::process::Command::new(office)
        .args([profile.as_str(), "--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&path)
        .output()
        .expect("run soffice");
    let pdf = dir.path().join("调度通报.pdf");
    assert!(
        out.status.success() && pdf.exists(),
        "soffice failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&pdf).expect("pdf");
    assert!(bytes.starts_with(b"%PDF") && bytes.len() > 5_000, "a real PDF ({} bytes)", bytes.len());
}
