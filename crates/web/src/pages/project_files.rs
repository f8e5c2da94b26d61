//! Files of key projects: the list as xlsx (the list's filters, the caller's scope), the
//! monthly scheduling report as xlsx and docx, and the import page — upload, a preview with
//! every row problem and a column-mapping step for unrecognised headers, then the import.

use super::{Nav, Opt, PageError, PageResult, XLSX_TYPE, download, upload_form};
use crate::AppState;
use crate::api_projects::{ProjectQuery, filter_of};
use crate::auth::WebUser;
use app::AppError;
use app::project_xlsx::{PLAN_PREFIX, PROJECT_FIELDS, ProjectImportOptions, ProjectImportReport};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::Datelike;
use serde::Deserialize;
use std::collections::HashMap;

/// `GET /projects.xlsx`: the projects the caller may read under the list's filters, in the
/// county layout (it imports back).
pub(super) async fn projects_xlsx(State(s): State<AppState>, u: WebUser, Query(q): Query<ProjectQuery>) -> PageResult {
    let (mut f, code) = filter_of(&s, &q).await?;
    if let Some(want) = code {
        s.app.apply_code_filter(&u.p, &mut f, want).await?;
    }
    let bytes = s.app.export_projects_xlsx(&u.p, &f).await?;
    Ok(download(XLSX_TYPE, "重点项目清单.xlsx", bytes))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ScheduleParams {
    period: String,
    chain: String,
    region: String,
}

fn opt(v: &str) -> Option<&str> {
    Some(v.trim()).filter(|v| !v.is_empty())
}

/// `GET /projects/schedule.xlsx?period=YYYY-MM&chain=&region=`
pub(super) async fn schedule_xlsx(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<ScheduleParams>,
) -> PageResult {
    let sched = s.app.schedule(&u.p, &q.period, opt(&q.chain), opt(&q.region)).await?;
    let bytes = app::project_xlsx::schedule_xlsx(&sched)?;
    Ok(download(XLSX_TYPE, &format!("重点项目调度报表-{}.xlsx", sched.period), bytes))
}

/// `GET /projects/schedule.docx?period=YYYY-MM&chain=&region=`: the notice 调度通报.
pub(super) async fn schedule_docx(
    State(s): State<AppState>,
    u: WebUser,
    Query(q): Query<ScheduleParams>,
) -> PageResult {
    let sched = s.app.schedule(&u.p, &q.period, opt(&q.chain), opt(&q.region)).await?;
    let city = s.app.city_name().await?;
    let bytes = app::project_xlsx::schedule_docx(&sched, &city);
    Ok(download(office::DOCX_TYPE, &format!("重点项目调度通报-{}.docx", sched.period), bytes))
}

/// `GET /projects/import/template.xlsx`: an empty list in the county layout with plan
/// columns for this year and the next two.
pub(super) async fn import_template(State(s): State<AppState>, u: WebUser) -> PageResult {
    s.app.project_options(&u.p).await?;
    let y = i64::from(s.app.today().year());
    let bytes = app::project_xlsx::project_template_xlsx(&[y, y + 1, y + 2])?;
    Ok(download(XLSX_TYPE, "重点项目导入模板.xlsx", bytes))
}

#[derive(Template, WebTemplate)]
#[template(path = "project_import.html")]
struct ProjectImportTpl {
    nav: Nav,
    report: Option<ProjectImportReport>,
    file_error: Option<String>,
    /// (label, required, other names)
    fields: Vec<(String, bool, String)>,
    /// The column-mapping step: each header of the file with its choices.
    mapping: Vec<(String, Vec<Opt>)>,
}

fn field_help() -> Vec<(String, bool, String)> {
    PROJECT_FIELDS.iter().map(|f| (f.label.to_string(), f.required, f.aliases.join("、"))).collect()
}

/// Choices for one header: automatic, ignore, one of the fields, or a year's plan.
fn mapping_of(headers: &[String], chosen: &HashMap<String, String>, this_year: i64) -> Vec<(String, Vec<Opt>)> {
    headers
        .iter()
        .filter(|h| !h.is_empty())
        .map(|h| {
            let cur = chosen.get(h).map(String::as_str).unwrap_or("auto");
            let mut o = vec![
                Opt { value: "auto".into(), label: "自动识别".into(), selected: cur == "auto" },
                Opt { value: "ignore".into(), label: "忽略此列".into(), selected: cur == "ignore" },
            ];
            o.extend(PROJECT_FIELDS.iter().map(|f| Opt {
                value: f.key.into(),
                label: f.label.into(),
                selected: cur == f.key,
            }));
            o.extend((this_year - 1..=this_year + 4).map(|y| {
                let value = format!("{PLAN_PREFIX}{y}");
                Opt { selected: cur == value, value, label: format!("{y}年计划投资（万元）") }
            }));
            (h.clone(), o)
        })
        .collect()
}

/// `GET /projects/import`
pub(super) async fn import_page(State(s): State<AppState>, u: WebUser) -> PageResult {
    s.app.project_options(&u.p).await?;
    Ok(ProjectImportTpl {
        nav: Nav::of(&u.p, "projects"),
        report: None,
        file_error: None,
        fields: field_help(),
        mapping: vec![],
    }
    .into_response())
}

/// `POST /projects/import`: `mode` preview (check only), commit (check, then import when
/// every row passes) or report (the problems as an xlsx).
pub(super) async fn import_submit(State(s): State<AppState>, u: WebUser, mp: axum::extract::Multipart) -> PageResult {
    let (fields, file) = upload_form(&u.p, mp).await?;
    let mode = fields.get("mode").cloned().unwrap_or_default();
    // The mapping step's choices: `maph{i}` holds a header, `mapv{i}` its choice (auto,
    // ignore, a field key or plan:YYYY).
    let chosen: HashMap<String, String> = fields
        .iter()
        .filter_map(|(k, h)| {
            let i = k.strip_prefix("maph")?;
            Some((h.clone(), fields.get(&format!("mapv{i}"))?.clone()))
        })
        .collect();
    let overrides: HashMap<String, String> = chosen
        .iter()
        .filter(|(_, v)| v.as_str() != "auto")
        .map(|(h, v)| (h.clone(), if v == "ignore" { String::new() } else { v.clone() }))
        .collect();
    let this_year = i64::from(s.app.today().year());
    let render = |report: Option<ProjectImportReport>, file_error: Option<String>, headers: Vec<String>, status| {
        let t = ProjectImportTpl {
            nav: Nav::of(&u.p, "projects"),
            report,
            file_error,
            fields: field_help(),
            mapping: mapping_of(&headers, &chosen, this_year),
        };
        Ok::<_, PageError>((status, t).into_response())
    };
    let Some((fname, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return render(None, Some("请选择要导入的文件".into()), vec![], StatusCode::BAD_REQUEST);
    };
    let opts = ProjectImportOptions { apply: mode == "commit", overrides, ..Default::default() };
    let headers = || office::read_headers(&bytes, &fname, &office::Limits::default()).unwrap_or_default();
    match s.app.import_projects(&u.p, &bytes, &fname, &opts).await {
        Ok(report) if mode == "report" && !report.errors.is_empty() => {
            Ok(download(XLSX_TYPE, "项目导入错误报告.xlsx", app::import::error_report_xlsx(&report.errors)))
        }
        Ok(report) => {
            let status = if report.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            let h = if report.unknown.is_empty() && chosen.is_empty() { vec![] } else { headers() };
            render(Some(report), None, h, status)
        }
        Err(e @ AppError::Invalid(_)) => render(None, Some(e.user_message()), headers(), StatusCode::BAD_REQUEST),
        Err(e) => Err(e.into()),
    }
}
