//! Project files over HTTP: the list as xlsx (scope-filtered: a county gets its own projects
//! only), the scheduling report as xlsx and docx with their content types, the import page
//! (preview, mapping step, import, error report, CSRF, a county's rights), the template.

use crate::{client, env, web_login};
use app::account::Principal;
use app::project::ProjectInput;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// A chain carried by 宣汉县 and led by 市经信局, with one project in 宣汉县 and one in 通川区.
async fn setup(e: &crate::Env) {
    let app = &e.app;
    let mut tx = app.db.begin().await.unwrap();
    app::store::chain::insert(
        &mut tx,
        &app::store::chain::NewChain {
            code: "px_chain".into(),
            name: "测试化工链".into(),
            field_code: "energy_chemical".into(),
            lead_department_code: "jxj".into(),
            provincial_key: true,
            carrying_regions: vec!["511722".into()],
            collaborating_regions: vec![],
        },
        app.now(),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    for (name, region) in [("宣汉县文件测试项目", "511722"), ("通川区文件测试项目", "511702")] {
        let i = ProjectInput {
            name: name.into(),
            chain: "px_chain".into(),
            region: region.into(),
            investor: "某某投资有限公司".into(),
            kind: "new_attraction".into(),
            total_wan: "10000".into(),
            plans: vec![("2026".into(), "4000".into())],
            unit: region.into(),
            person: "王五".into(),
            planned_start: "2026-12-01".into(),
            ..Default::default()
        };
        app.create_project(&Principal::console(), &i).await.unwrap();
    }
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).map(|v| v.to_str().unwrap_or("").to_string()).unwrap_or_default()
}

/// The project names of an exported list.
fn names(bytes: &[u8]) -> Vec<String> {
    let t = office::read_table(bytes, "p.xlsx", &office::Limits::default()).expect("xlsx");
    let col = t.headers.iter().position(|h| h == "项目名称").expect("项目名称");
    t.rows.into_iter().map(|r| r.cells[col].clone()).collect()
}

/// 项目总数 of a scheduling workbook.
fn total_of(bytes: &[u8]) -> f64 {
    let summary = office::read_sheet_values(bytes, "s.xlsx", Some("汇总"), &office::Limits::default()).unwrap();
    summary
        .iter()
        .find(|(_, r)| matches!(r.first(), Some(office::CellValue::Text(t)) if t == "项目总数"))
        .and_then(|(_, r)| match r.get(1) {
            Some(office::CellValue::Number(v)) => Some(*v),
            _ => None,
        })
        .expect("项目总数")
}

#[tokio::test]
async fn files_download_with_their_types_within_the_callers_scope() {
    let e = env().await;
    setup(&e).await;
    let office = client();
    web_login(&office, &e.base, "office1").await;
    let r = office.get(format!("{}/projects.xlsx", e.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), XLSX);
    assert!(header(&r, "content-disposition").contains("attachment"), "{}", header(&r, "content-disposition"));
    let mut all = names(&r.bytes().await.unwrap());
    all.sort();
    assert_eq!(all, vec!["宣汉县文件测试项目".to_string(), "通川区文件测试项目".to_string()]);
    // The list's filters apply.
    let r = office.get(format!("{}/projects.xlsx?region=511702&q=文件", e.base)).send().await.unwrap();
    assert_eq!(names(&r.bytes().await.unwrap()), vec!["通川区文件测试项目".to_string()]);

    // A county gets its own projects only, whatever it asks for.
    let county = client();
    web_login(&county, &e.base, "region1").await;
    let r = county.get(format!("{}/projects.xlsx", e.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(names(&r.bytes().await.unwrap()), vec!["宣汉县文件测试项目".to_string()]);
    let r = county.get(format!("{}/projects.xlsx?region=511702", e.base)).send().await.unwrap();
    assert!(names(&r.bytes().await.unwrap()).is_empty(), "another county's projects are filtered out");

    // The scheduling report, as the caller's scope shows it.
    let r = office.get(format!("{}/projects/schedule.xlsx?period=2026-11", e.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), XLSX);
    assert_eq!(total_of(&r.bytes().await.unwrap()), 2.0);
    let r = county.get(format!("{}/projects/schedule.xlsx?period=2026-11", e.base)).send().await.unwrap();
    assert_eq!(total_of(&r.bytes().await.unwrap()), 1.0, "the county sees its one project");

    let r =
        office.get(format!("{}/projects/schedule.docx?period=2026-11&chain=px_chain", e.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), DOCX);
    assert!(header(&r, "content-disposition").contains(".docx"));
    let bytes = r.bytes().await.unwrap();
    let files = office::zip_files(&bytes, &office::Limits::default(), &["document.xml"]).unwrap();
    let xml = String::from_utf8(files["document.xml"].clone()).unwrap();
    assert!(xml.contains("重点项目2026年11月调度通报（测试化工链）"), "the title names the month and the chain");

    // A future month and an unknown chain are refused in Chinese.
    let r = office.get(format!("{}/projects/schedule.xlsx?period=2027-01", e.base)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("尚未到来"));
    let r = office.get(format!("{}/projects/schedule.docx?chain=nope", e.base)).send().await.unwrap();
    assert_eq!(r.status(), 400);
    // Roles without project access get nothing; without a session, the login page.
    let auditor = client();
    web_login(&auditor, &e.base, "auditor1").await;
    assert_eq!(auditor.get(format!("{}/projects.xlsx", e.base)).send().await.unwrap().status(), 403);
    let anon = client().get(format!("{}/projects/schedule.docx", e.base)).send().await.unwrap();
    assert_eq!(anon.status(), 303);
}

#[tokio::test]
async fn the_import_page_previews_maps_and_imports() {
    let e = env().await;
    setup(&e).await;
    let c = client();
    let token = web_login(&c, &e.base, "office1").await;
    let page = c.get(format!("{}/projects/import", e.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("重点项目导入"));

    let csv = "项目名称,所属产业链,所在县（市、区）/园区,项目业主,项目类型,投资额,2026年计划投资（万元）,计划开工日期,责任单位,责任人\n\
               网页导入项目,测试化工链,宣汉县,某某公司,技术改造,3000,1000,2026-12-01,宣汉县,赵六\n";
    let form = |token: &str, mode: &str, csv: &str, maps: &[(&str, &str)]| {
        let mut f = reqwest::multipart::Form::new()
            .text("csrf", token.to_string())
            .text("mode", mode.to_string())
            .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("项目.csv"));
        for (i, (h, v)) in maps.iter().enumerate() {
            f = f.text(format!("maph{i}"), h.to_string()).text(format!("mapv{i}"), v.to_string());
        }
        f
    };
    let count =
        || async { app::store::sql::Sql::new("SELECT COUNT(*) FROM project").fetch_i64(&e.app.db).await.unwrap() };
    let before = count().await;
    // An unrecognised total column: refused with the mapping step offered.
    let r = c
        .post(format!("{}/projects/import", e.base))
        .multipart(form(&token, "preview", csv, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("总投资") && html.contains("value=\"投资额\""), "mapping step offered");
    assert!(html.contains("value=\"plan:2026\""), "years are choices too");
    // Without the CSRF token nothing is read or written.
    let r = c
        .post(format!("{}/projects/import", e.base))
        .multipart(form("x", "commit", csv, &[("投资额", "total_wan")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(count().await, before);
    // Mapped: a preview first, then the import.
    let r = c
        .post(format!("{}/projects/import", e.base))
        .multipart(form(&token, "preview", csv, &[("投资额", "total_wan")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("校验通过，尚未写入") && html.contains("网页导入项目"), "preview shows the rows");
    assert_eq!(count().await, before);
    let r = c
        .post(format!("{}/projects/import", e.base))
        .multipart(form(&token, "commit", csv, &[("投资额", "total_wan")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("已导入"));
    assert_eq!(count().await, before + 1);
    // A bad row: 422 with the row and column named; the error report downloads.
    let bad = "项目名称,所属产业链,所在县（市、区）/园区,项目业主,项目类型,总投资（万元）,计划开工日期,责任单位,责任人\n\
               坏项目,测试化工链,火星县,某某公司,技术改造,3000,2026-12-01,宣汉县,赵六\n";
    let r =
        c.post(format!("{}/projects/import", e.base)).multipart(form(&token, "commit", bad, &[])).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("校验未通过") && html.contains("火星县"), "the problem is shown");
    let r =
        c.post(format!("{}/projects/import", e.base)).multipart(form(&token, "report", bad, &[])).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), XLSX);
    assert_eq!(count().await, before + 1);

    // A county may not add projects elsewhere.
    let county = client();
    let ctoken = web_login(&county, &e.base, "region1").await;
    let other = "项目名称,所属产业链,所在县（市、区）/园区,项目业主,项目类型,总投资（万元）,计划开工日期,责任单位,责任人\n\
                 越权项目,测试化工链,通川区,某某公司,技术改造,3000,2026-12-01,宣汉县,赵六\n";
    let r = county
        .post(format!("{}/projects/import", e.base))
        .multipart(form(&ctoken, "commit", other, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("无权"));
    assert_eq!(count().await, before + 1);

    // The template has the county layout with this year's plan column.
    let r = c.get(format!("{}/projects/import/template.xlsx", e.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let t = office::read_headers(&r.bytes().await.unwrap(), "t.xlsx", &office::Limits::default()).unwrap();
    assert!(
        t.contains(&"2026年计划投资（万元）".to_string()) && t.contains(&"所在县（市、区）/园区".to_string()),
        "{t:?}"
    );
}
