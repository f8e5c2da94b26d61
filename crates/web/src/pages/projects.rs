//! Key-project pages (SPEC D, issue 6): the library list with its filters and saved
//! filters, and the project form (new and edit). The project page with its timeline and
//! forms is in [`super::project_page`]; the scheduling report 项目调度 and the to-do list
//! 我的待办 in [`super::project_schedule`].
//!
//! Everything comes from `app` (scope-filtered there); every form carries the session's CSRF
//! token and redirects after success with a message.

use super::targets::answer;
use super::{Nav, Opt, PageError, PageLink, PageResult, checked_form, field, id_of, opts};
use crate::AppState;
use crate::api_projects::{ProjectQuery, filter_of};
use crate::auth::WebUser;
use crate::view::urlencode;
use app::project::ProjectInput;
use app::{AppError, FieldError};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use domain::money::{format_wan, plain_wan};
use domain::project::{self as dp, Code, Stage};
use serde::Deserialize;
use std::collections::HashMap;

/// Projects per page of the list.
const PER_PAGE: i64 = 20;
/// Rows of yearly plans the form offers (more when a project already has more).
const PLAN_ROWS: usize = 5;

/// Whether `p` works with key projects at all: anyone holding a business role other than
/// bank or expert (the rule of `app::project`).
/// The CSS class of a code badge.
pub(super) fn code_class(c: Code) -> &'static str {
    match c {
        Code::Red => "red",
        Code::Yellow => "amber",
        Code::Green => "strong",
    }
}

pub(super) fn stage_label(code: &str) -> &'static str {
    Stage::parse(code).map(Stage::label).unwrap_or("—")
}

/// A rate in per cent (already ×100) with one decimal, or a dash.
pub(super) fn fmt_rate(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into())
}

// ---- the list ----

/// The list's query as typed (all text, so that a bad value is a message, not a rejection).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct ListParams {
    chain: String,
    region: String,
    stage: String,
    kind: String,
    unit: String,
    tag: String,
    code: String,
    q: String,
    sort: String,
    page: String,
    msg: String,
}

impl ListParams {
    fn pairs(&self) -> [(&'static str, &str); 9] {
        [
            ("chain", &self.chain),
            ("region", &self.region),
            ("stage", &self.stage),
            ("kind", &self.kind),
            ("unit", &self.unit),
            ("tag", &self.tag),
            ("code", &self.code),
            ("q", &self.q),
            ("sort", &self.sort),
        ]
    }

    /// The filters as a query string (no page, no message): what a saved filter keeps.
    fn query(&self) -> String {
        self.pairs()
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// `/projects?…` with these filters and `extra` (`page=2`, `sort=name`) replacing them.
    fn url(&self, extra: &[(&str, String)]) -> String {
        let mut parts: Vec<String> = self
            .pairs()
            .iter()
            .filter(|(k, v)| !v.trim().is_empty() && !extra.iter().any(|(e, _)| e == k))
            .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
            .collect();
        parts.extend(extra.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", urlencode(v))));
        if parts.is_empty() { "/projects".into() } else { format!("/projects?{}", parts.join("&")) }
    }

    fn page(&self) -> i64 {
        self.page.trim().parse::<i64>().unwrap_or(1).clamp(1, 100_000)
    }

    fn api(&self) -> ProjectQuery {
        let ne = |v: &str| Some(v.replace('\0', "").trim().to_string()).filter(|v| !v.is_empty());
        ProjectQuery {
            chain: ne(&self.chain),
            region: ne(&self.region),
            stage: ne(&self.stage),
            kind: ne(&self.kind),
            unit: ne(&self.unit),
            tag: ne(&self.tag),
            code: ne(&self.code),
            q: ne(&self.q),
            sort: ne(&self.sort),
            page: Some(self.page()),
            per_page: Some(PER_PAGE),
        }
    }

    /// The filters of a saved query string (unknown keys ignored).
    fn of_query(query: &str) -> ListParams {
        format!("/projects?{}", query.trim_start_matches('?'))
            .parse::<axum::http::Uri>()
            .ok()
            .and_then(|u| Query::<ListParams>::try_from_uri(&u).ok())
            .map(|Query(q)| q)
            .unwrap_or_default()
    }
}

pub struct ProjectItem {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub chain: String,
    pub region: String,
    pub stage: &'static str,
    pub total: String,
    pub completed: String,
    pub rate: String,
    pub unit: String,
    pub person: String,
    pub color: &'static str,
    pub color_label: &'static str,
    pub reasons: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "projects.html")]
struct ProjectsTpl {
    nav: Nav,
    items: Vec<ProjectItem>,
    total: i64,
    page: i64,
    pages: i64,
    links: Vec<PageLink>,
    /// (url, label) of the sortable headers.
    sorts: Vec<(String, String)>,
    chain_opts: Vec<Opt>,
    region_opts: Vec<Opt>,
    stage_opts: Vec<Opt>,
    kind_opts: Vec<Opt>,
    unit_opts: Vec<Opt>,
    tag_opts: Vec<Opt>,
    code_opts: Vec<Opt>,
    sort_opts: Vec<Opt>,
    q: String,
    /// The current filters as a query string (saved filters, export).
    query: String,
    /// (id, name, url) of the caller's saved filters.
    saved: Vec<(i64, String, String)>,
    save_name: String,
    can_create: bool,
    error: Option<String>,
    notice: Option<String>,
}

async fn render_list(
    s: &AppState,
    u: &WebUser,
    q: &ListParams,
    error: Option<String>,
    save_name: String,
) -> PageResult {
    let (filter, code) = filter_of(s, &q.api()).await?;
    let (rows, total, head) = s.app.projects_at(&u.p, &filter, code).await?;
    let options = s.app.project_options_at(&u.p, head).await?;
    let page = q.page();
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let mut links = Vec::new();
    let mut push = |label: String, p: i64, current: bool| {
        links.push(PageLink { label, url: q.url(&[("page", p.to_string())]), current })
    };
    if page > 1 {
        push("上一页".into(), page - 1, false);
    }
    for p in (page - 3).max(1)..=(page + 3).min(pages) {
        push(p.to_string(), p, p == page);
    }
    if page < pages {
        push("下一页".into(), page + 1, false);
    }
    let sorts =
        [("name", "项目名称"), ("stage", "阶段"), ("total", "总投资（万元）"), ("completed", "累计完成（万元）")]
            .into_iter()
            .map(|(k, label)| {
                let mark = if q.sort == k { " ↓" } else { "" };
                (q.url(&[("sort", k.to_string())]), format!("{label}{mark}"))
            })
            .collect();
    let items = rows
        .into_iter()
        .map(|l| {
            let r = &l.project;
            ProjectItem {
                id: r.id,
                code: r.code.clone(),
                name: r.name.clone(),
                chain: r.chain_name.clone(),
                region: r.region_name.clone(),
                stage: stage_label(&r.stage),
                total: format_wan(r.total_fen),
                completed: format_wan(r.completed_fen),
                rate: fmt_rate(dp::rate(r.completed_fen, r.total_fen)),
                unit: r.unit_name.clone(),
                person: r.person.clone(),
                color: code_class(l.code),
                color_label: l.code.label(),
                reasons: l.reasons.join("；"),
            }
        })
        .collect();
    let saved = s
        .app
        .project_filters(&u.p)
        .await?
        .into_iter()
        .map(|f| (f.id, f.name, format!("/projects?{}", f.query)))
        .collect();
    let pairs = |list: &[(&str, &str)]| list.iter().map(|(c, l)| (c.to_string(), l.to_string())).collect::<Vec<_>>();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let t = ProjectsTpl {
        nav: Nav::of(&u.p, "projects"),
        items,
        total,
        page,
        pages,
        links,
        sorts,
        chain_opts: opts(options.all_chains.clone(), &q.chain),
        region_opts: opts(s.app.filter_regions().await?, &q.region),
        stage_opts: opts(Stage::ALL.iter().map(|s| (s.code().to_string(), s.label().to_string())), &q.stage),
        kind_opts: opts(pairs(&dp::KINDS), &q.kind),
        unit_opts: opts(options.units.clone(), &q.unit),
        tag_opts: opts(pairs(&dp::TAGS), &q.tag),
        code_opts: opts(
            [Code::Red, Code::Yellow, Code::Green].iter().map(|c| (c.code().to_string(), c.label().to_string())),
            &q.code,
        ),
        sort_opts: opts(
            pairs(&[
                ("", "最近更新"),
                ("name", "项目名称"),
                ("stage", "阶段"),
                ("total", "总投资"),
                ("completed", "累计完成投资"),
            ]),
            &q.sort,
        ),
        q: q.q.clone(),
        query: q.query(),
        saved,
        save_name,
        can_create: !options.chains.is_empty() && !options.regions.is_empty(),
        error,
        notice: Some(q.msg.clone()).filter(|m| !m.trim().is_empty()),
    };
    Ok((status, t).into_response())
}

pub(super) async fn projects_page(State(s): State<AppState>, u: WebUser, Query(q): Query<ListParams>) -> PageResult {
    render_list(&s, &u, &q, None, String::new()).await
}

/// Saves the list's current filters under a name.
pub(super) async fn save_filter(
    State(s): State<AppState>,
    u: WebUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let form = checked_form(&u.p, form)?;
    let params = ListParams::of_query(&field(&form, "query"));
    let name = field(&form, "name");
    let result: Result<String, PageError> = async {
        s.app.save_project_filter(&u.p, &name, &params.query()).await?;
        Ok(format!("已保存筛选“{}”", name.trim()))
    }
    .await;
    let to = |m: &str| params.url(&[("msg", m.to_string())]);
    answer(result, to, |e| render_list(&s, &u, &params, Some(e), name.clone())).await
}

pub(super) async fn delete_filter(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    checked_form(&u.p, form)?;
    s.app.delete_project_filter(&u.p, id).await?;
    Ok(Redirect::to(&format!("/projects?msg={}", urlencode("已删除该筛选"))).into_response())
}

// ---- the project form ----

#[derive(Template, WebTemplate)]
#[template(path = "project_form.html")]
struct ProjectFormTpl {
    nav: Nav,
    id: Option<i64>,
    version: i64,
    v: ProjectInput,
    /// (year, 万元) rows of the yearly plan.
    plans: Vec<(String, String)>,
    errors: Vec<FieldError>,
    stale: Option<String>,
    chain_opts: Vec<Opt>,
    /// Segments grouped by chain: (chain name, options).
    segment_groups: Vec<(String, Vec<Opt>)>,
    region_opts: Vec<Opt>,
    unit_opts: Vec<Opt>,
    kind_opts: Vec<Opt>,
    land_opts: Vec<Opt>,
    stage_opts: Vec<Opt>,
}

/// The fields the form shows a message beside; any other message goes on top.
const FORM_FIELDS: [&str; 23] = [
    "code",
    "name",
    "chain",
    "segment_id",
    "region",
    "enterprise_uscc",
    "investor",
    "kind",
    "total_wan",
    "plans",
    "land_mu",
    "land_mode",
    "output_wan",
    "tax_wan",
    "content",
    "unit",
    "person",
    "person_username",
    "contact",
    "planned_start",
    "planned_end",
    "stage",
    "tags",
];

impl ProjectFormTpl {
    fn err(&self, f: &str) -> String {
        self.errors.iter().filter(|e| e.field == f).map(|e| e.message.clone()).collect::<Vec<_>>().join("；")
    }
    fn general_errors(&self) -> Vec<String> {
        self.errors.iter().filter(|e| !FORM_FIELDS.contains(&e.field.as_str())).map(|e| e.message.clone()).collect()
    }
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    s: &AppState,
    u: &WebUser,
    id: Option<i64>,
    version: i64,
    v: ProjectInput,
    errors: Vec<FieldError>,
    stale: Option<String>,
) -> PageResult {
    let status = if stale.is_some() {
        StatusCode::CONFLICT
    } else if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let options = s.app.project_options(&u.p).await?;
    let segment = v.segment_id.map(|i| i.to_string()).unwrap_or_default();
    let mut segment_groups = Vec::new();
    let chains = s.app.chains().await?;
    for (code, name) in &options.chains {
        let Some(c) = chains.iter().find(|c| &c.code == code) else { continue };
        let segs = app::store::chainmap::segments(&s.app.db, c.id).await.map_err(AppError::from)?;
        let items: Vec<(String, String)> = segs
            .into_iter()
            .filter(|x| !x.retired || Some(x.id) == v.segment_id)
            .map(|x| (x.id.to_string(), format!("{}·{}", app::chainmap::stage_label(&x.stage), x.name)))
            .collect();
        if !items.is_empty() {
            segment_groups.push((name.clone(), opts(items, &segment)));
        }
    }
    let mut plans = v.plans.clone();
    while plans.len() < PLAN_ROWS {
        plans.push((String::new(), String::new()));
    }
    let pairs = |list: &[(&str, &str)]| list.iter().map(|(c, l)| (c.to_string(), l.to_string())).collect::<Vec<_>>();
    // A chain, region or unit typed by name (an edit of an imported project) still shows selected.
    let mut chain_opts = opts(options.chains.clone(), &v.chain);
    if !v.chain.is_empty() && !chain_opts.iter().any(|o| o.selected) {
        chain_opts.push(Opt { value: v.chain.clone(), label: v.chain.clone(), selected: true });
    }
    let mut region_opts = opts(options.regions.clone(), &v.region);
    if !v.region.is_empty() && !region_opts.iter().any(|o| o.selected) {
        region_opts.push(Opt { value: v.region.clone(), label: v.region.clone(), selected: true });
    }
    let stage = if v.stage.is_empty() { "planning".to_string() } else { v.stage.clone() };
    let t = ProjectFormTpl {
        nav: Nav::of(&u.p, "projects"),
        id,
        version,
        plans,
        errors,
        stale,
        chain_opts,
        segment_groups,
        region_opts,
        unit_opts: opts(options.units, &v.unit),
        kind_opts: opts(pairs(&dp::KINDS), &v.kind),
        land_opts: opts(pairs(&dp::LAND_MODES), &v.land_mode),
        stage_opts: opts(Stage::PATH.iter().map(|s| (s.code().to_string(), s.label().to_string())), &stage),
        v,
    };
    Ok((status, t).into_response())
}

/// The project as the form posted it.
fn input_of(form: &HashMap<String, String>) -> ProjectInput {
    let f = |k: &str| field(form, k);
    let plans = (0..50)
        .map(|i| (f(&format!("plan_year_{i}")), f(&format!("plan_wan_{i}"))))
        .filter(|(y, v)| !(y.trim().is_empty() && v.trim().is_empty()))
        .collect();
    let on = |k: &str| form.get(k).is_some_and(|v| !v.is_empty());
    ProjectInput {
        code: f("code"),
        name: f("name"),
        chain: f("chain"),
        segment_id: f("segment_id").trim().parse().ok(),
        region: f("region"),
        enterprise_uscc: f("enterprise_uscc"),
        investor: f("investor"),
        kind: f("kind"),
        tag_effective: on("tag_effective"),
        tag_rooted: on("tag_rooted"),
        tag_tax: on("tag_tax"),
        total_wan: f("total_wan"),
        plans,
        land_mu: f("land_mu"),
        land_mode: f("land_mode"),
        output_wan: f("output_wan"),
        tax_wan: f("tax_wan"),
        content: f("content"),
        unit: f("unit"),
        person: f("person"),
        person_username: f("person_username"),
        contact: f("contact"),
        planned_start: f("planned_start"),
        planned_end: f("planned_end"),
        stage: f("stage"),
    }
}

/// A refusal of the form the user can act on: the form again with its messages.
fn form_errors(e: AppError) -> Result<Vec<FieldError>, AppError> {
    match e {
        AppError::Invalid(f) => Ok(f),
        AppError::Conflict(m) => Ok(vec![FieldError::new("form", m)]),
        e => Err(e),
    }
}

pub(super) async fn new_page(State(s): State<AppState>, u: WebUser) -> PageResult {
    let options = s.app.project_options(&u.p).await?;
    if options.chains.is_empty() || options.regions.is_empty() {
        return Err(AppError::Forbidden("您的角色无权登记重点项目".into()).into());
    }
    let region = if options.regions.len() == 1 { options.regions[0].0.clone() } else { String::new() };
    let v = ProjectInput {
        chain: if options.chains.len() == 1 { options.chains[0].0.clone() } else { String::new() },
        unit: u.p.enterprise_scope.regions.first().cloned().unwrap_or_default(),
        region,
        kind: "new_attraction".into(),
        tag_effective: true,
        ..Default::default()
    };
    form_page(&s, &u, None, 0, v, vec![], None).await
}

pub(super) async fn create(
    State(s): State<AppState>,
    u: WebUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let form = checked_form(&u.p, form)?;
    let v = input_of(&form);
    match s.app.create_project(&u.p, &v).await {
        Ok(id) => Ok(Redirect::to(&format!("/projects/{id}?msg={}", urlencode("项目已入库"))).into_response()),
        Err(e) => form_page(&s, &u, None, 0, v, form_errors(e)?, None).await,
    }
}

/// The form's values of a stored project.
fn input_of_project(d: &app::project::ProjectDetail) -> ProjectInput {
    let r = &d.project;
    let uscc = r.enterprise_uscc.clone().unwrap_or_default();
    let person_username = r.person_username.clone().unwrap_or_default();
    ProjectInput {
        code: r.code.clone(),
        name: r.name.clone(),
        chain: r.chain_code.clone(),
        segment_id: r.segment_id,
        region: r.region_code.clone(),
        enterprise_uscc: uscc,
        investor: r.investor.clone(),
        kind: r.kind.clone(),
        tag_effective: r.tag_effective,
        tag_rooted: r.tag_rooted,
        tag_tax: r.tag_tax,
        total_wan: plain_wan(r.total_fen),
        plans: d.plans.iter().map(|(y, f)| (y.to_string(), plain_wan(*f))).collect(),
        land_mu: r.land_mu.clone(),
        land_mode: r.land_mode.clone().unwrap_or_default(),
        output_wan: if r.output_fen == 0 { String::new() } else { plain_wan(r.output_fen) },
        tax_wan: if r.tax_fen == 0 { String::new() } else { plain_wan(r.tax_fen) },
        content: r.content.clone(),
        unit: r.unit_code.clone(),
        person: r.person.clone(),
        person_username,
        contact: r.contact.clone(),
        planned_start: r.planned_start.to_string(),
        planned_end: r.planned_end.map(|d| d.to_string()).unwrap_or_default(),
        stage: String::new(),
    }
}

pub(super) async fn edit_page(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let d = s.app.project(&u.p, id).await?;
    if !d.may_edit {
        return Err(AppError::Forbidden("您无权编辑该项目".into()).into());
    }
    let v = input_of_project(&d);
    form_page(&s, &u, Some(id), d.project.version, v, vec![], None).await
}

pub(super) async fn update(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let version: i64 = field(&form, "version")
        .trim()
        .parse()
        .map_err(|_| PageError(AppError::invalid("version", "缺少版本号，请刷新页面后重试")))?;
    let v = input_of(&form);
    match s.app.update_project(&u.p, id, version, &v).await {
        Ok(()) => Ok(Redirect::to(&format!("/projects/{id}?msg={}", urlencode("项目信息已保存"))).into_response()),
        Err(e @ AppError::Stale { .. }) => form_page(&s, &u, Some(id), version, v, vec![], Some(e.to_string())).await,
        Err(e) => form_page(&s, &u, Some(id), version, v, form_errors(e)?, None).await,
    }
}
