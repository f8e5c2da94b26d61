//! Evaluation pages: the schemes, and a scheme's indicator tree with its ledger bindings, the
//! decision matrix of a chain and year, and the ranking it gives (the same computation as
//! `qianglian eval compute`), with the matrix as csv for re-verification.

use super::evalrun::{RunForm, RunItem, agg_opts, scheme_runs};
use super::{Nav, Opt, PageError, PageResult, download, fmt_time, id_of, opts};
use crate::AppState;
use crate::auth::WebUser;
use app::AppError;
use app::scheme::{Measure, method_label, missing_label, source_label};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Template, WebTemplate)]
#[template(path = "evaluations.html")]
struct SchemesTpl {
    nav: Nav,
    /// (id, code, name, target label, chain or 全市, latest version, created)
    rows: Vec<(i64, String, String, &'static str, String, i64, String)>,
    office: bool,
    chain_opts: Vec<Opt>,
    form: SchemeForm,
    weighting_opts: Vec<Opt>,
    method_opts: Vec<Opt>,
    norm_opts: Vec<Opt>,
    error: Option<String>,
}

/// What the scheme upload form carried (kept when it is refused).
#[derive(Default, Clone)]
pub struct SchemeForm {
    pub code: String,
    pub name: String,
    pub target: String,
    pub chain: String,
    pub weighting: String,
    pub method: String,
    pub normalization: String,
    pub cr_override: String,
    pub note: String,
}

impl SchemeForm {
    fn of(f: &HashMap<String, String>) -> SchemeForm {
        let g = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        SchemeForm {
            code: g("code"),
            name: g("name"),
            target: g("target"),
            chain: g("chain"),
            weighting: g("weighting"),
            method: g("method"),
            normalization: g("normalization"),
            cr_override: g("cr_override"),
            note: g("note"),
        }
    }

    fn upload(&self) -> app::scheme_xlsx::SchemeUpload {
        app::scheme_xlsx::SchemeUpload {
            weighting: self.weighting.clone(),
            method: self.method.clone(),
            normalization: self.normalization.clone(),
            cr_override: self.cr_override.clone(),
            note: self.note.clone(),
        }
    }
}

fn weighting_opts(current: &str) -> Vec<Opt> {
    let items = [
        ("entropy", "熵权法"),
        ("entropy-shift", "熵权法（负值平移）"),
        ("critic", "CRITIC 法"),
        ("equal", "等权"),
        ("given", "给定权重（“权重”列）"),
        ("ahp", "层次分析法（“判断矩阵”工作表）"),
    ];
    opts(items.iter().map(|(v, l)| (v.to_string(), l.to_string())), current)
}

fn method_opts(current: &str) -> Vec<Opt> {
    opts([("topsis".into(), "TOPSIS".into()), ("wsum".into(), "加权求和".into())], current)
}

fn norm_opts(current: &str) -> Vec<Opt> {
    opts([("vector".into(), "向量标准化".into()), ("minmax".into(), "极差标准化".into())], current)
}

fn target_label(t: &str) -> &'static str {
    if t == "leader" { "链主" } else { "链属" }
}

pub(super) async fn schemes_page(State(s): State<AppState>, u: WebUser) -> PageResult {
    render_schemes(&s, &u, SchemeForm { target: "leader".into(), ..Default::default() }, None).await
}

async fn render_schemes(s: &AppState, u: &WebUser, form: SchemeForm, error: Option<String>) -> PageResult {
    let rows = s
        .app
        .schemes(&u.p)
        .await?
        .into_iter()
        .map(|x| {
            (
                x.id,
                x.code,
                x.name,
                target_label(&x.target),
                x.chain_name.unwrap_or_else(|| "全市".into()),
                x.latest_version,
                fmt_time(&x.created_at),
            )
        })
        .collect();
    let chains = s.app.chain_infos().await?;
    Ok(SchemesTpl {
        nav: Nav::of(&u.p, "evaluations"),
        rows,
        office: u.p.has(app::domain::role::Role::Office),
        chain_opts: opts(chains.iter().map(|c| (c.code.clone(), c.name.clone())), &form.chain),
        weighting_opts: weighting_opts(&form.weighting),
        method_opts: method_opts(&form.method),
        norm_opts: norm_opts(&form.normalization),
        form,
        error,
    }
    .into_response())
}

/// The office uploads a new scheme's indicator tree (sheet 指标体系).
pub(super) async fn scheme_upload(State(s): State<AppState>, u: WebUser, mp: axum::extract::Multipart) -> PageResult {
    let (fields, file) = super::upload_form(&u.p, mp).await?;
    let form = SchemeForm::of(&fields);
    let result = async {
        let (name, bytes) = file.ok_or_else(|| AppError::invalid("file", "请选择方案 Excel 文件"))?;
        let chain = Some(form.chain.clone()).filter(|c| !c.is_empty());
        s.app
            .create_scheme_from_xlsx(&u.p, &form.code, &form.name, &form.target, chain, &bytes, &name, &form.upload())
            .await
    }
    .await;
    match result {
        Ok(id) => {
            let msg = crate::view::urlencode("评价方案已建立（第 1 版）");
            Ok(axum::response::Redirect::to(&format!("/evaluations/{id}?msg={msg}")).into_response())
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_) | AppError::TooLarge(_))) => {
            let mut r = render_schemes(&s, &u, form, Some(e.user_message())).await?;
            *r.status_mut() = crate::error::status_of(&e).0;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

/// The office uploads a revised indicator tree as a new version of a scheme.
pub(super) async fn version_upload(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    mp: axum::extract::Multipart,
) -> PageResult {
    let id = id_of(id)?;
    let (fields, file) = super::upload_form(&u.p, mp).await?;
    let form = SchemeForm::of(&fields);
    let result = async {
        let (name, bytes) = file.ok_or_else(|| AppError::invalid("file", "请选择方案 Excel 文件"))?;
        s.app.add_scheme_version_from_xlsx(&u.p, id, &bytes, &name, &form.upload()).await
    }
    .await;
    match result {
        Ok(v) => {
            let msg = crate::view::urlencode(&format!("已保存为第 {v} 版"));
            Ok(axum::response::Redirect::to(&format!("/evaluations/{id}?msg={msg}")).into_response())
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_) | AppError::TooLarge(_))) => {
            let q = SchemeParams { msg: String::new(), ..Default::default() };
            let mut r = render_scheme(&s, &u, id, q, None, None, Some((form, e.user_message()))).await?;
            *r.status_mut() = crate::error::status_of(&e).0;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

/// A scheme version's indicator tree as the workbook the upload reads.
pub(super) async fn scheme_xlsx(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    q: Result<Query<SchemeParams>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let Query(q) = q.map_err(|_| AppError::invalid("version", "版本号应为整数"))?;
    let bytes = s.app.scheme_xlsx(&u.p, id, q.version).await?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("评价方案{id}.xlsx"),
        bytes,
    ))
}

/// A blank workbook to start a scheme from: a small example tree.
pub(super) async fn scheme_template(u: WebUser) -> PageResult {
    if !app::chainmap::may_read_chains(&u.p) {
        return Err(AppError::Forbidden("无权查看评价方案".into()).into());
    }
    let bytes = app::scheme_xlsx::definition_xlsx(&app::scheme_xlsx::template_definition())?;
    Ok(download("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "评价方案模板.xlsx", bytes))
}

#[derive(Deserialize, Default)]
pub(super) struct SchemeParams {
    #[serde(default)]
    pub(super) version: Option<i64>,
    #[serde(default)]
    pub(super) chain: String,
    #[serde(default)]
    pub(super) year: String,
    #[serde(default)]
    pub(super) msg: String,
}

pub struct IndicatorView {
    pub dimension: String,
    pub code: String,
    pub name: String,
    pub direction: &'static str,
    /// How it is measured, in words.
    pub measure: String,
    /// Guidance per level (qualitative).
    pub levels: Vec<String>,
}

pub struct RankView {
    pub rank: String,
    pub name: String,
    pub score: String,
    pub values: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "evaluation.html")]
struct SchemeTpl {
    nav: Nav,
    id: i64,
    name: String,
    target: &'static str,
    scope: String,
    version: i64,
    versions: Vec<(i64, String, String, bool)>,
    method: String,
    indicators: Vec<IndicatorView>,
    chain_opts: Vec<Opt>,
    year: String,
    /// The matrix's criteria, notes, qualitative indicators and ranking, once a chain and year are chosen.
    criteria: Vec<String>,
    weights: Vec<String>,
    notes: Vec<String>,
    qualitative: Vec<String>,
    ranking: Vec<RankView>,
    total: usize,
    csv_query: String,
    error: Option<String>,
    /// The office's form for a new run, and why it was refused.
    office: bool,
    citywide: bool,
    run_form: RunForm,
    run_chain_opts: Vec<Opt>,
    agg_opts: Vec<Opt>,
    run_error: Option<String>,
    runs: Vec<RunItem>,
    /// The revision upload: its form, options and refusal; a notice after a change.
    version_form: SchemeForm,
    weighting_opts: Vec<Opt>,
    method_opts: Vec<Opt>,
    norm_opts: Vec<Opt>,
    upload_error: Option<String>,
    notice: Option<String>,
}

pub(super) async fn scheme_page(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    Query(q): Query<SchemeParams>,
) -> PageResult {
    let id = id_of(id)?;
    render_scheme(&s, &u, id, q, None, None, None).await
}

/// The scheme page; `run_form` keeps a refused "新建评价批次" form and `run_error` says why.
pub(super) async fn render_scheme(
    s: &AppState,
    u: &WebUser,
    id: i64,
    q: SchemeParams,
    run_form: Option<RunForm>,
    run_error: Option<String>,
    upload: Option<(SchemeForm, String)>,
) -> PageResult {
    let view = s.app.scheme(&u.p, id).await?;
    let v = match q.version {
        Some(n) => view.versions.iter().find(|v| v.version == n),
        None => view.versions.first(),
    }
    .ok_or(PageError(AppError::NotFound))?;
    let names: HashMap<String, String> =
        s.app.indicator_catalogue().await?.into_iter().map(|i| (i.code, i.name)).collect();
    let indicators = v
        .definition
        .dimensions
        .iter()
        .flat_map(|d| d.indicators.iter().map(move |i| (d, i)))
        .map(|(d, i)| {
            let (measure, levels) = match &i.measure {
                Measure::Quantitative { source, missing } => {
                    (format!("定量：{}；{}", source_label(source, &names), missing_label(*missing)), vec![])
                }
                Measure::Qualitative { scale_max, levels } => (
                    format!("定性：专家评分，满分 {scale_max}"),
                    levels.iter().map(|l| format!("{} 分：{}", l.score, l.guidance)).collect(),
                ),
            };
            IndicatorView {
                dimension: d.name.clone(),
                code: i.code.clone(),
                name: i.name.clone(),
                direction: if i.direction == app::domain::eval::Kind::Benefit { "正向" } else { "负向" },
                measure,
                levels,
            }
        })
        .collect();
    let chains = s.app.chain_infos().await?;
    let chain = if q.chain.is_empty() {
        view.scheme.chain_id.map(|c| c.to_string()).unwrap_or_default()
    } else {
        q.chain.clone()
    };
    let run_form = run_form.unwrap_or_else(|| {
        let year = chrono::Datelike::year(
            &s.app.now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")),
        );
        RunForm::new(v.version, view.scheme.chain_id.map(|c| c.to_string()).unwrap_or_default(), i64::from(year) - 1)
    });
    let mut tpl = SchemeTpl {
        nav: Nav::of(&u.p, "evaluations"),
        id,
        name: view.scheme.name.clone(),
        target: target_label(&view.scheme.target),
        scope: view.scheme.chain_name.clone().unwrap_or_else(|| "全市".into()),
        version: v.version,
        versions: view
            .versions
            .iter()
            .map(|x| (x.version, fmt_time(&x.created_at), x.note.clone(), x.version == v.version))
            .collect(),
        method: method_label(&v.definition),
        indicators,
        chain_opts: opts(chains.iter().map(|c| (c.id.to_string(), c.name.clone())), &chain),
        year: q.year.clone(),
        criteria: vec![],
        weights: vec![],
        notes: vec![],
        qualitative: vec![],
        ranking: vec![],
        total: 0,
        csv_query: String::new(),
        error: None,
        office: u.p.has(app::domain::role::Role::Office),
        citywide: view.scheme.chain_id.is_none(),
        run_chain_opts: opts(chains.iter().map(|c| (c.id.to_string(), c.name.clone())), &run_form.chain),
        agg_opts: agg_opts(&run_form.aggregation),
        run_form,
        run_error,
        runs: scheme_runs(s, &u.p, id).await?,
        weighting_opts: vec![],
        method_opts: vec![],
        norm_opts: vec![],
        version_form: SchemeForm::default(),
        upload_error: None,
        notice: (!q.msg.is_empty()).then(|| q.msg.clone()),
    };
    let (version_form, upload_error) = match upload {
        Some((f, e)) => (f, Some(e)),
        None => (
            SchemeForm {
                weighting: app::scheme_xlsx::weighting_choice(&v.definition.weighting).to_string(),
                method: if v.definition.method == app::eval::Method::Wsum { "wsum" } else { "topsis" }.into(),
                normalization: if v.definition.normalization == app::domain::eval::Normalization::MinMax {
                    "minmax"
                } else {
                    "vector"
                }
                .into(),
                ..Default::default()
            },
            None,
        ),
    };
    tpl.weighting_opts = weighting_opts(&version_form.weighting);
    tpl.method_opts = method_opts(&version_form.method);
    tpl.norm_opts = norm_opts(&version_form.normalization);
    tpl.version_form = version_form;
    tpl.upload_error = upload_error;
    if !chain.is_empty() && !q.year.trim().is_empty() {
        let result = async {
            let year: i64 = q.year.trim().parse().map_err(|_| AppError::invalid("year", "年份应为整数"))?;
            let m = s.app.scheme_matrix(&u.p, id, Some(v.version), Some(&chain), year).await?;
            let kinds = m
                .types
                .iter()
                .map(|t| app::domain::eval::Kind::parse(t).ok_or_else(|| AppError::Internal(t.clone())))
                .collect::<Result<Vec<_>, _>>()?;
            let d = &v.definition;
            let w = app::scheme::quantitative_weighting(d);
            let r = app::eval::compute(&m.table, &kinds, &w, d.method, d.normalization)?;
            Ok::<_, AppError>((m, r, year))
        }
        .await;
        match result {
            Ok((m, r, year)) => {
                let mut order: Vec<usize> = (0..r.results.len()).collect();
                order.sort_by(|a, b| r.results[*a].rank.total_cmp(&r.results[*b].rank));
                tpl.total = order.len();
                tpl.ranking = order
                    .into_iter()
                    .take(50)
                    .map(|i| RankView {
                        rank: r.results[i].rank.to_string(),
                        name: m.names[i].clone(),
                        score: format!("{:.4}", r.results[i].score),
                        values: m.table.rows[i].iter().map(|x| format!("{x:.4}")).collect(),
                    })
                    .collect();
                tpl.weights = r.weights.iter().map(|w| format!("{w:.4}")).collect();
                tpl.criteria = m.table.criteria;
                tpl.notes = m.notes;
                tpl.qualitative = m.qualitative;
                tpl.csv_query = format!("version={}&chain={}&year={year}", v.version, crate::view::urlencode(&chain));
            }
            Err(e @ (AppError::Invalid(_) | AppError::NotFound)) => tpl.error = Some(e.user_message()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(tpl.into_response())
}

/// The matrix as the csv `qianglian eval compute --matrix` reads (ids are enterprise ids).
pub(super) async fn scheme_matrix_csv(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    Query(q): Query<SchemeParams>,
) -> PageResult {
    let id = id_of(id)?;
    let year: i64 = q.year.trim().parse().map_err(|_| PageError(AppError::invalid("year", "年份应为整数")))?;
    let chain = (!q.chain.is_empty()).then_some(q.chain.as_str());
    let m = s.app.scheme_matrix(&u.p, id, q.version, chain, year).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["id".to_string()];
    header.extend(m.table.criteria.iter().cloned());
    let write = |w: &mut csv::Writer<Vec<u8>>, r: &[String]| {
        w.write_record(r).map_err(|e| PageError(AppError::Internal(e.to_string())))
    };
    write(&mut w, &header)?;
    for (id, row) in m.table.ids.iter().zip(&m.table.rows) {
        let mut rec = vec![id.clone()];
        rec.extend(row.iter().map(|v| v.to_string()));
        write(&mut w, &rec)?;
    }
    let body = w.into_inner().map_err(|e| PageError(AppError::Internal(e.to_string())))?;
    Ok(download("text/csv; charset=utf-8", &format!("评价矩阵-方案{id}-第{}版-{year}.csv", m.version), body))
}
