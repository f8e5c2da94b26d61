//! Enterprise-problem pages (SPEC E, issue 7): the staff list with its filters and export,
//! the staff form (a problem recorded after a visit or a call), a problem's page with the
//! steps the reader may take, its timeline, attachments and the task it may become, the
//! rates by unit, region and chain with the chain-wide problems, the 12345 hotline import,
//! the enterprise's own portal 企业之家 (phone-first), and the working-day calendar.
//!
//! Everything comes from `app` (scope-filtered in the store); every form carries the
//! session's CSRF token and answers with a redirect and a message, or the page again with
//! the refusal beside what was typed.

use super::project_page::{MsgParams, fmt_size};
use super::projects::{code_class, fmt_rate};
use super::targets::answer;
use super::{
    Nav, Opt, PageError, PageLink, PageResult, XLSX_TYPE, checked_form, download, field, fmt_time, id_of, opts,
};
use crate::AppState;
use crate::api_problems::{ProblemQuery, problem_filter};
use crate::auth::WebUser;
use crate::view::urlencode;
use app::account::Principal;
use app::problem::{ProblemInput, ProblemView};
use app::{AppError, FieldError};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use domain::problem::{Action, Category, Level, Source, Status};
use domain::role::Role;
use office::CellOut;
use serde::Deserialize;
use std::collections::HashMap;

/// Problems per page of the staff list.
const PER_PAGE: i64 = 20;

pub fn routes() -> Router<AppState> {
    let upload = || DefaultBodyLimit::max(crate::UPLOAD_LIMIT);
    Router::new()
        .route("/problems", get(list_page).post(create).layer(upload()))
        .route("/problems.xlsx", get(export_xlsx))
        .route("/problems/new", get(new_page))
        .route("/problems/rates", get(rates_page))
        .route("/problems/import", get(import_page).post(import_submit).layer(upload()))
        .route("/problems/{id}", get(problem_page))
        .route("/problems/{id}/steps", post(step))
        .route("/problems/{id}/files", post(upload_file).layer(upload()))
        .route("/problems/{id}/files/{fid}", get(file))
        .route("/problems/{id}/task", post(to_task))
        .route("/portal", get(portal_page).post(portal_raise).layer(upload()))
        .route("/admin/calendar", get(calendar_page).post(calendar_put))
        .route("/admin/calendar/delete", post(calendar_delete))
        .route("/admin/calendar/limits", post(limits_put))
}

/// Whether `p` is an enterprise account (the portal instead of the staff pages): every
/// grant it holds is an enterprise's.
pub(super) fn is_enterprise(p: &Principal) -> bool {
    !p.grants.is_empty() && p.grants.iter().all(|g| g.role == Role::Enterprise)
}

fn category_opts(current: &str) -> Vec<Opt> {
    opts(Category::ALL.iter().map(|c| (c.code().to_string(), c.label().to_string())), current)
}

/// The sub-categories grouped by category (an `<optgroup>` each), `current` selected.
fn subcategory_groups(current: &str) -> Vec<(&'static str, Vec<Opt>)> {
    Category::ALL
        .iter()
        .map(|c| {
            (
                c.label(),
                c.subcategories()
                    .iter()
                    .map(|(code, label)| Opt {
                        value: (*code).to_string(),
                        label: (*label).to_string(),
                        selected: *code == current,
                    })
                    .collect(),
            )
        })
        .collect()
}

/// One problem as a row or a card.
pub struct ProblemItem {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub enterprise: String,
    pub chain: String,
    pub region: String,
    pub category: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub level: &'static str,
    pub unit: String,
    pub raised: String,
    pub deadline: String,
    pub color: &'static str,
    pub color_label: &'static str,
    pub reason: String,
    pub source: &'static str,
    pub grouped: bool,
    pub rating: String,
}

fn status_class(s: &str) -> &'static str {
    match Status::parse(s) {
        Some(Status::Closed) => "strong",
        Some(Status::Withdrawn | Status::Rejected) => "off",
        Some(Status::Answered) => "blue",
        _ => "",
    }
}

fn stars(r: Option<i64>) -> String {
    r.map(|r| format!("{}{}（{r} 分）", "★".repeat(r.clamp(0, 5) as usize), "☆".repeat((5 - r).clamp(0, 5) as usize)))
        .unwrap_or_default()
}

fn item(v: &ProblemView) -> ProblemItem {
    let r = &v.row;
    let open = Status::parse(&r.status).is_some_and(Status::is_open);
    ProblemItem {
        id: r.id,
        code: r.code.clone(),
        title: r.title.clone(),
        enterprise: r.enterprise_name.clone(),
        chain: r.chain_name.clone().unwrap_or_else(|| "—".into()),
        region: r.region_name.clone(),
        category: if v.subcategory_label.is_empty() {
            v.category_label.to_string()
        } else {
            format!("{}·{}", v.category_label, v.subcategory_label)
        },
        status: v.status_label,
        status_class: status_class(&r.status),
        level: v.level_label,
        unit: r.unit_name.clone(),
        raised: r.raised_on.to_string(),
        deadline: if open { r.deadline.to_string() } else { "—".into() },
        color: code_class(v.color),
        color_label: v.color.label(),
        reason: v.color_reason.clone().unwrap_or_default(),
        source: v.source_label,
        grouped: r.group_id.is_some(),
        rating: stars(r.rating),
    }
}

// ---- the staff list ----

/// The list's query as typed (text, so that a bad value is a message, not a rejection).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct ListParams {
    status: String,
    level: String,
    category: String,
    chain: String,
    region: String,
    source: String,
    code: String,
    grouped: String,
    unit: String,
    q: String,
    page: String,
    msg: String,
}

impl ListParams {
    fn pairs(&self) -> [(&'static str, &str); 10] {
        [
            ("status", &self.status),
            ("level", &self.level),
            ("category", &self.category),
            ("chain", &self.chain),
            ("region", &self.region),
            ("source", &self.source),
            ("code", &self.code),
            ("grouped", &self.grouped),
            ("unit", &self.unit),
            ("q", &self.q),
        ]
    }

    /// The filters as a query string (no page).
    fn query(&self) -> String {
        self.pairs()
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn page(&self) -> i64 {
        self.page.trim().parse::<i64>().unwrap_or(1).clamp(1, 100_000)
    }

    fn api(&self, per_page: i64) -> ProblemQuery {
        let ne = |v: &str| Some(v.replace('\0', "").trim().to_string()).filter(|v| !v.is_empty());
        ProblemQuery {
            status: ne(&self.status),
            level: ne(&self.level),
            category: ne(&self.category),
            chain: ne(&self.chain),
            region: ne(&self.region),
            unit: ne(&self.unit),
            source: ne(&self.source),
            code: ne(&self.code),
            grouped: Some(self.grouped == "1"),
            q: ne(&self.q),
            page: Some(self.page()),
            per_page: Some(per_page),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "problems.html")]
struct ListTpl {
    nav: Nav,
    items: Vec<ProblemItem>,
    total: i64,
    page: i64,
    pages: i64,
    links: Vec<PageLink>,
    query: String,
    q: String,
    grouped: bool,
    /// A handling unit chosen from the rates page (kept as a hidden field).
    unit: String,
    status_opts: Vec<Opt>,
    level_opts: Vec<Opt>,
    category_opts: Vec<Opt>,
    chain_opts: Vec<Opt>,
    region_opts: Vec<Opt>,
    source_opts: Vec<Opt>,
    code_opts: Vec<Opt>,
    may_raise: bool,
    may_import: bool,
    error: Option<String>,
    notice: Option<String>,
}

async fn list_page(State(s): State<AppState>, u: WebUser, Query(q): Query<ListParams>) -> PageResult {
    if is_enterprise(&u.p) {
        return Ok(Redirect::to("/portal").into_response());
    }
    let (items, total, error) = match problem_filter(&s, &q.api(PER_PAGE)).await {
        Ok((f, code)) => {
            let (rows, total) = s.app.problems(&u.p, &f, code).await?;
            (rows.iter().map(item).collect(), total, None)
        }
        Err(e) => (vec![], 0, Some(e.0.user_message())),
    };
    let page = q.page();
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let query = q.query();
    let url = |p: i64| {
        let mut s = format!("/problems?page={p}");
        if !query.is_empty() {
            s = format!("/problems?{query}&page={p}");
        }
        s
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(PageLink { label: "上一页".into(), url: url(page - 1), current: false });
    }
    for p in (page - 3).max(1)..=(page + 3).min(pages) {
        links.push(PageLink { label: p.to_string(), url: url(p), current: p == page });
    }
    if page < pages {
        links.push(PageLink { label: "下一页".into(), url: url(page + 1), current: false });
    }
    let status = if error.is_some() { axum::http::StatusCode::BAD_REQUEST } else { axum::http::StatusCode::OK };
    let t = ListTpl {
        nav: Nav::of(&u.p, "problems"),
        items,
        total,
        page,
        pages,
        links,
        query,
        q: q.q.clone(),
        grouped: q.grouped == "1",
        unit: q.unit.clone(),
        status_opts: opts(Status::ALL.iter().map(|x| (x.code().to_string(), x.label().to_string())), &q.status),
        level_opts: opts(Level::ALL.iter().map(|x| (x.code().to_string(), x.label().to_string())), &q.level),
        category_opts: category_opts(&q.category),
        chain_opts: opts(s.app.chain_options().await?, &q.chain),
        region_opts: opts(s.app.filter_regions().await?, &q.region),
        source_opts: opts(Source::ALL.iter().map(|x| (x.code().to_string(), x.label().to_string())), &q.source),
        code_opts: opts(
            [("red", "红码"), ("yellow", "黄码"), ("green", "绿码")].map(|(c, l)| (c.to_string(), l.to_string())),
            &q.code,
        ),
        may_raise: may_raise(&u.p),
        may_import: u.p.has(Role::Office) || u.p.has(Role::Region),
        error,
        notice: Some(q.msg.clone()).filter(|m| !m.trim().is_empty()),
    };
    Ok((status, t).into_response())
}

fn may_raise(p: &Principal) -> bool {
    app::problem::may_see_problems(p) && !(p.has(Role::Viewer) && p.grants.len() == 1)
}

/// `GET /problems.xlsx?…`: exactly what the list shows under the same filters.
async fn export_xlsx(State(s): State<AppState>, u: WebUser, Query(q): Query<ListParams>) -> PageResult {
    let (mut f, code) = problem_filter(&s, &q.api(200)).await.map_err(|e| PageError(e.0))?;
    if let Some(c) = code {
        // The code filter keeps ids; read them through the paged call once.
        f.per_page = 1_000_000;
        f.page = 0;
        let (rows, _) = s.app.problems(&u.p, &f, Some(c)).await?;
        f.ids = Some(rows.iter().map(|r| r.row.id).collect());
    }
    let rows = s.app.problems_all(&u.p, &f).await?;
    let headers = [
        "问题编号",
        "赋码",
        "赋码原因",
        "企业名称",
        "统一社会信用代码",
        "产业链",
        "县（市、区）/园区",
        "问题类别",
        "子类",
        "问题标题",
        "问题描述",
        "来源",
        "状态",
        "办理层级",
        "承办单位",
        "提出日期",
        "办理期限",
        "答复",
        "满意度评分",
        "办结日期",
    ];
    let cells = rows.iter().map(|v| {
        let r = &v.row;
        let t = |s: &str| CellOut::Text(s.to_string());
        vec![
            t(&r.code),
            t(v.color.label()),
            t(v.color_reason.as_deref().unwrap_or("")),
            t(&r.enterprise_name),
            t(r.enterprise_uscc.as_deref().unwrap_or("")),
            t(r.chain_name.as_deref().unwrap_or("")),
            t(&r.region_name),
            t(v.category_label),
            t(v.subcategory_label),
            t(&r.title),
            t(&r.description),
            t(v.source_label),
            t(v.status_label),
            t(v.level_label),
            t(&r.unit_name),
            t(&r.raised_on.to_string()),
            t(&r.deadline.to_string()),
            t(&r.answer),
            r.rating.map(CellOut::Int).unwrap_or(CellOut::Empty),
            t(&r.closed_on.map(|d| d.to_string()).unwrap_or_default()),
        ]
    });
    let bytes = office::write_xlsx("企业问题", &headers, cells).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(XLSX_TYPE, "企业问题台账.xlsx", bytes))
}

// ---- raising: the staff form and the portal ----

#[derive(Template, WebTemplate)]
#[template(path = "problem_form.html")]
struct FormTpl {
    nav: Nav,
    v: HashMap<String, String>,
    errors: Vec<FieldError>,
    category_opts: Vec<Opt>,
    sub_groups: Vec<(&'static str, Vec<Opt>)>,
    chain_opts: Vec<Opt>,
    region_opts: Vec<Opt>,
    source_opts: Vec<Opt>,
    /// The county level's time limit (working days).
    county_days: u32,
}

/// The fields of the raise forms (others' errors are shown at the top).
const FORM_FIELDS: [&str; 11] = [
    "enterprise_uscc",
    "enterprise_name",
    "region",
    "chain",
    "category",
    "subcategory",
    "title",
    "description",
    "contact",
    "source",
    "file",
];

impl FormTpl {
    fn val(&self, k: &str) -> String {
        self.v.get(k).cloned().unwrap_or_default()
    }
    fn err(&self, f: &str) -> String {
        field_errors(&self.errors, f)
    }
    fn general_errors(&self) -> Vec<String> {
        general(&self.errors)
    }
}

fn field_errors(errors: &[FieldError], f: &str) -> String {
    errors.iter().filter(|e| e.field == f).map(|e| e.message.clone()).collect::<Vec<_>>().join("；")
}

fn general(errors: &[FieldError]) -> Vec<String> {
    errors.iter().filter(|e| !FORM_FIELDS.contains(&e.field.as_str())).map(|e| e.message.clone()).collect()
}

/// A refusal of a form the user can act on: its messages; anything else stays an error.
fn form_errors(e: AppError) -> Result<Vec<FieldError>, AppError> {
    match e {
        AppError::Invalid(f) => Ok(f),
        AppError::Conflict(m) => Ok(vec![FieldError::new("form", m)]),
        AppError::TooLarge(m) => Ok(vec![FieldError::new("file", m)]),
        e => Err(e),
    }
}

async fn form_page(s: &AppState, u: &WebUser, v: HashMap<String, String>, errors: Vec<FieldError>) -> PageResult {
    if !may_raise(&u.p) || is_enterprise(&u.p) {
        return Err(AppError::Forbidden("当前账号不能登记企业问题".into()).into());
    }
    let get = |k: &str| v.get(k).cloned().unwrap_or_default();
    let sources: Vec<(String, String)> =
        [Source::Visit, Source::Hotline].iter().map(|x| (x.code().to_string(), x.label().to_string())).collect();
    let status = if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::BAD_REQUEST };
    let t = FormTpl {
        nav: Nav::of(&u.p, "problems"),
        category_opts: category_opts(&get("category")),
        sub_groups: subcategory_groups(&get("subcategory")),
        chain_opts: opts(s.app.chain_options().await?, &get("chain")),
        region_opts: opts(s.app.filter_regions().await?, &get("region")),
        source_opts: opts(sources, &get("source")),
        county_days: s.app.problem_limits().await?.county,
        v,
        errors,
    };
    Ok((status, t).into_response())
}

/// What a link may fill in ahead (a visit's code, a chain).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Prefill {
    source: String,
    source_ref: String,
    chain: String,
    enterprise_uscc: String,
}

async fn new_page(State(s): State<AppState>, u: WebUser, Query(q): Query<Prefill>) -> PageResult {
    let v: HashMap<String, String> = [
        ("source", q.source),
        ("source_ref", q.source_ref),
        ("chain", q.chain),
        ("enterprise_uscc", q.enterprise_uscc),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.chars().take(100).collect::<String>()))
    .collect();
    form_page(&s, &u, v, vec![]).await
}

fn input_of(form: &HashMap<String, String>) -> ProblemInput {
    let f = |k: &str| field(form, k);
    ProblemInput {
        enterprise_uscc: f("enterprise_uscc"),
        enterprise_name: f("enterprise_name"),
        region: f("region"),
        chain: f("chain"),
        category: f("category"),
        subcategory: f("subcategory"),
        title: f("title"),
        description: f("description"),
        contact: f("contact"),
        source: f("source"),
        source_ref: f("source_ref"),
    }
}

/// The text fields and the non-empty attachments of a multipart raise form.
async fn raise_form(
    u: &WebUser,
    mp: Multipart,
) -> Result<(HashMap<String, String>, Vec<(String, Vec<u8>)>), PageError> {
    let (fields, files) = super::read_multipart(&u.p, mp).await?;
    let files = files.into_iter().filter(|(_, _, b)| !b.is_empty()).map(|(_, name, b)| (name, b.to_vec())).collect();
    Ok((fields, files))
}

/// `POST /problems`: staff record a problem (after a visit, from a call).
async fn create(State(s): State<AppState>, u: WebUser, mp: Multipart) -> PageResult {
    if is_enterprise(&u.p) {
        return Err(AppError::Forbidden("企业账号请在“企业之家”反映问题".into()).into());
    }
    let (form, files) = raise_form(&u, mp).await?;
    match s.app.raise_problem_with_files(&u.p, &input_of(&form), files).await {
        Ok(v) => {
            let msg = format!("问题 {} 已登记，已转{}办理，办理期限 {}", v.row.code, v.row.unit_name, v.row.deadline);
            Ok(Redirect::to(&format!("/problems/{}?msg={}", v.row.id, urlencode(&msg))).into_response())
        }
        Err(e) => form_page(&s, &u, form, form_errors(e)?).await,
    }
}

// ---- the portal 企业之家 ----

#[derive(Template, WebTemplate)]
#[template(path = "portal.html")]
struct PortalTpl {
    nav: Nav,
    items: Vec<ProblemItem>,
    v: HashMap<String, String>,
    errors: Vec<FieldError>,
    category_opts: Vec<Opt>,
    sub_groups: Vec<(&'static str, Vec<Opt>)>,
    notice: Option<String>,
    /// Answers waiting for the enterprise's rating.
    to_rate: usize,
    /// The county level's time limit (working days).
    county_days: u32,
}

impl PortalTpl {
    fn val(&self, k: &str) -> String {
        self.v.get(k).cloned().unwrap_or_default()
    }
    fn err(&self, f: &str) -> String {
        field_errors(&self.errors, f)
    }
    /// Messages of fields the portal does not show (its own are shown beside them).
    fn general_errors(&self) -> Vec<String> {
        const SHOWN: [&str; 6] = ["category", "subcategory", "title", "description", "contact", "file"];
        self.errors.iter().filter(|e| !SHOWN.contains(&e.field.as_str())).map(|e| e.message.clone()).collect()
    }
}

async fn portal(
    s: &AppState,
    u: &WebUser,
    v: HashMap<String, String>,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> PageResult {
    if !is_enterprise(&u.p) {
        return Ok(Redirect::to("/problems").into_response());
    }
    let f = app::store::problem::Filter { per_page: 200, ..Default::default() };
    let (rows, _) = s.app.problems(&u.p, &f, None).await?;
    let to_rate = rows.iter().filter(|r| r.actions.contains(&Action::Confirm)).count();
    let get = |k: &str| v.get(k).cloned().unwrap_or_default();
    let status = if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::BAD_REQUEST };
    let t = PortalTpl {
        nav: Nav::of(&u.p, "portal"),
        items: rows.iter().map(item).collect(),
        category_opts: category_opts(&get("category")),
        sub_groups: subcategory_groups(&get("subcategory")),
        v,
        errors,
        notice,
        to_rate,
        county_days: s.app.problem_limits().await?.county,
    };
    Ok((status, t).into_response())
}

async fn portal_page(State(s): State<AppState>, u: WebUser, Query(q): Query<MsgParams>) -> PageResult {
    portal(&s, &u, HashMap::new(), vec![], Some(q.msg).filter(|m| !m.trim().is_empty())).await
}

/// `POST /portal`: the enterprise raises a problem for itself.
async fn portal_raise(State(s): State<AppState>, u: WebUser, mp: Multipart) -> PageResult {
    if !is_enterprise(&u.p) {
        return Err(
            AppError::Forbidden("“企业之家”供企业账号反映本企业的问题；工作人员请在“企业问题”中登记".into()).into()
        );
    }
    let (form, files) = raise_form(&u, mp).await?;
    let mut input = input_of(&form);
    input.enterprise_uscc = String::new();
    input.source = Source::Portal.code().into();
    match s.app.raise_problem_with_files(&u.p, &input, files).await {
        Ok(v) => {
            let msg = format!(
                "您反映的问题已受理登记（编号 {}），由{}在 {} 前办理答复，请留意办理进度",
                v.row.code, v.row.unit_name, v.row.deadline
            );
            Ok(Redirect::to(&format!("/problems/{}?msg={}", v.row.id, urlencode(&msg))).into_response())
        }
        Err(e) => portal(&s, &u, form, form_errors(e)?, None).await,
    }
}

// ---- one problem ----

pub struct EventView {
    pub at: String,
    pub action: &'static str,
    pub class: &'static str,
    pub by: String,
    pub change: String,
    pub text: String,
    pub rating: String,
}

pub struct FileView {
    pub id: i64,
    pub name: String,
    pub meta: String,
}

/// A step form the reader may use.
pub struct StepView {
    pub action: &'static str,
    pub label: &'static str,
    /// The text the step needs (label), if any.
    pub text: Option<&'static str>,
    pub rating: bool,
    pub primary: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "problem.html")]
struct ProblemTpl {
    nav: Nav,
    it: ProblemItem,
    id: i64,
    version: i64,
    description: String,
    contact: String,
    uscc: String,
    co_unit: String,
    source_ref: String,
    answer: String,
    answered_on: String,
    rating_note: String,
    reopened: i64,
    lapsed: String,
    level_path: Vec<(&'static str, &'static str)>,
    rules: Vec<&'static str>,
    events: Vec<EventView>,
    files: Vec<FileView>,
    group: Option<app::store::problem::GroupRow>,
    steps: Vec<StepView>,
    may_upload: bool,
    /// Organisers may turn a problem into an assigned task 交办事项.
    may_assign: bool,
    unit_opts: Vec<Opt>,
    portal: bool,
    error: Option<String>,
    notice: Option<String>,
    kept: (String, HashMap<String, String>),
    ratings: [(&'static str, &'static str); 5],
}

/// The rating choices (value, label), best first.
const RATINGS: [(&str, &str); 5] = [
    ("5", "5 分（非常满意）"),
    ("4", "4 分（满意）"),
    ("3", "3 分（基本满意）"),
    ("2", "2 分（不满意）"),
    ("1", "1 分（非常不满意）"),
];

impl ProblemTpl {
    fn kept(&self, form: &str, key: &str) -> String {
        if self.kept.0 == form { self.kept.1.get(key).cloned().unwrap_or_default() } else { String::new() }
    }
}

fn actor_label(a: &str) -> &'static str {
    match a {
        "enterprise" => "企业",
        "handling_unit" => "承办单位",
        "office" => "融圈强链办",
        "system" => "系统",
        _ => "",
    }
}

async fn render(
    s: &AppState,
    u: &WebUser,
    id: i64,
    error: Option<String>,
    notice: Option<String>,
    kept: (String, HashMap<String, String>),
) -> PageResult {
    let d = s.app.problem(&u.p, id).await?;
    let v = &d.problem;
    let r = &v.row;
    let level = Level::parse(&r.level).unwrap_or(Level::County);
    let level_path = Level::ALL
        .iter()
        .map(|l| {
            let state = if *l == level {
                "current"
            } else if *l < level {
                "done"
            } else {
                "todo"
            };
            (l.label(), state)
        })
        .collect();
    let departments = s.app.departments().await?;
    let regions = s.app.filter_regions().await?;
    let name_of = |code: &str| -> String {
        departments
            .iter()
            .find(|d| d.code == code)
            .map(|d| d.name.clone())
            .or_else(|| regions.iter().find(|(c, _)| c == code).map(|(_, n)| n.clone()))
            .unwrap_or_else(|| code.to_string())
    };
    let events = d
        .events
        .iter()
        .rev()
        .map(|e| {
            let act = Action::parse(&e.action);
            let change = match (&e.from_level, e.from_level.as_deref() != Some(e.to_level.as_str())) {
                (Some(from), true) => format!(
                    "{} → {}（{}）",
                    Level::parse(from).map(Level::label).unwrap_or(""),
                    Level::parse(&e.to_level).map(Level::label).unwrap_or(""),
                    name_of(&e.unit_code)
                ),
                _ => Status::parse(&e.to_status).map(|s| s.label().to_string()).unwrap_or_default(),
            };
            EventView {
                at: fmt_time(&e.at),
                action: act.map(Action::label).unwrap_or("登记"),
                class: match act {
                    Some(Action::Escalate) => "warn",
                    Some(Action::Reopen | Action::Reject) => "warn",
                    None => "stage",
                    _ => "",
                },
                by: e.account_name.clone().unwrap_or_else(|| actor_label(&e.actor).to_string()),
                change,
                text: e.text.clone(),
                rating: stars(e.rating),
            }
        })
        .collect();
    let steps = v
        .actions
        .iter()
        .map(|a| StepView {
            action: a.code(),
            label: a.label(),
            text: a.required_text().or(match a {
                Action::Confirm => Some("评价意见（选填）"),
                Action::Accept => Some("受理意见（选填）"),
                Action::Withdraw => Some("撤回原因（选填）"),
                _ => None,
            }),
            rating: *a == Action::Confirm,
            primary: matches!(a, Action::Accept | Action::Answer | Action::Confirm),
        })
        .collect();
    let mine = r.enterprise_uscc.as_ref().is_some_and(|x| u.p.enterprise_scope.own_usccs.contains(x));
    let open = Status::parse(&r.status).is_some_and(Status::is_open);
    let may_upload = open && (mine || u.p.has(Role::Office) || v.actions.contains(&Action::Answer));
    let lead = r.chain_code.as_ref().map(|_| level != Level::County).unwrap_or(false);
    let may_assign = r.chain_code.is_some()
        && open
        && (u.p.has(Role::Office) || u.p.grants.iter().any(|g| g.role == Role::LeadDept) && lead);
    let mut unit_opts: Vec<(String, String)> = departments.iter().map(|d| (d.code.clone(), d.name.clone())).collect();
    unit_opts.extend(regions.iter().cloned());
    let status = match &error {
        Some(_) => axum::http::StatusCode::BAD_REQUEST,
        None => axum::http::StatusCode::OK,
    };
    let t = ProblemTpl {
        nav: Nav::of(&u.p, if is_enterprise(&u.p) { "portal" } else { "problems" }),
        it: item(v),
        id,
        version: r.version,
        description: r.description.clone(),
        contact: r.contact.clone(),
        uscc: r.enterprise_uscc.clone().unwrap_or_default(),
        co_unit: name_of(&r.co_unit_code),
        source_ref: r.source_ref.clone(),
        answer: r.answer.clone(),
        answered_on: r.answered_on.map(|d| d.to_string()).unwrap_or_default(),
        rating_note: r.rating_note.clone(),
        reopened: r.reopened,
        lapsed: r.lapsed_units.split(',').filter(|x| !x.is_empty()).map(name_of).collect::<Vec<_>>().join("、"),
        level_path,
        rules: d.rules.clone(),
        events,
        files: d
            .files
            .iter()
            .map(|f| FileView {
                id: f.id,
                name: f.name.clone(),
                meta: format!(
                    "{}，{}，SM3 {}…，{}",
                    f.mime,
                    fmt_size(f.size),
                    f.sha256.get(..12).unwrap_or(&f.sha256),
                    fmt_time(&f.uploaded_at)
                ),
            })
            .collect(),
        group: d.group.clone(),
        steps,
        may_upload,
        may_assign,
        unit_opts: opts(unit_opts, &r.co_unit_code),
        portal: is_enterprise(&u.p),
        error,
        notice,
        kept,
        ratings: RATINGS,
    };
    Ok((status, t).into_response())
}

async fn problem_page(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    Query(q): Query<MsgParams>,
) -> PageResult {
    let id = id_of(id)?;
    render(&s, &u, id, None, Some(q.msg).filter(|m| !m.trim().is_empty()), Default::default()).await
}

/// A stale step is answered like a conflict: the page again, saying someone else acted.
fn stale_as_conflict(e: AppError) -> PageError {
    match e {
        AppError::Stale { at, .. } => {
            PageError(AppError::Conflict(format!("该问题已于 {} 被他人办理，请查看最新状态后再操作", fmt_time(&at))))
        }
        e => PageError(e),
    }
}

async fn finish(
    s: &AppState,
    u: &WebUser,
    id: i64,
    result: Result<String, PageError>,
    kept: (String, HashMap<String, String>),
) -> PageResult {
    answer(result, |m| format!("/problems/{id}?msg={}", urlencode(m)), |e| render(s, u, id, Some(e), None, kept)).await
}

/// `POST /problems/{id}/steps`: accept, reject, answer, confirm with a rating, reopen,
/// withdraw or escalate with a reason.
async fn step(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let action = field(&form, "action");
    let result: Result<String, PageError> = async {
        let version: i64 = field(&form, "version")
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("version", "缺少版本号，请刷新页面后重试"))?;
        let rating = match field(&form, "rating").trim() {
            "" => None,
            r => Some(r.parse::<i64>().map_err(|_| AppError::invalid("rating", "请选择 1–5 分的满意度评分"))?),
        };
        let v = s
            .app
            .problem_step(&u.p, id, version, &action, &field(&form, "text"), rating)
            .await
            .map_err(stale_as_conflict)?;
        let label = Action::parse(&action).map(Action::label).unwrap_or("");
        Ok(if action == "escalate" {
            format!("已升级至{}，由{}在 {} 前办理", v.level_label, v.row.unit_name, v.row.deadline)
        } else {
            format!("已{label}，问题当前状态：{}", v.status_label)
        })
    }
    .await;
    finish(&s, &u, id, result, (format!("step-{action}"), form)).await
}

/// `POST /problems/{id}/files`: an attachment (PDF, JPG, PNG, Word; 10 MB).
async fn upload_file(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    mp: Multipart,
) -> PageResult {
    let id = id_of(id)?;
    let (_, files) = raise_form(&u, mp).await?;
    let result: Result<String, PageError> = async {
        if files.is_empty() {
            return Err(AppError::invalid("file", "请选择要上传的文件").into());
        }
        let n = s.app.add_problem_files(&u.p, id, files).await.map_err(|e| match e {
            AppError::TooLarge(m) => PageError(AppError::invalid("file", m)),
            e => PageError(e),
        })?;
        Ok(format!("已上传 {} 个附件", n.len()))
    }
    .await;
    finish(&s, &u, id, result, Default::default()).await
}

async fn file(State(s): State<AppState>, u: WebUser, ids: Result<Path<(i64, i64)>, PathRejection>) -> PageResult {
    let (id, fid) = ids.map(|Path(x)| x).map_err(|_| PageError(AppError::NotFound))?;
    let (name, mime, bytes) = s.app.problem_file(&u.p, id, fid).await?;
    Ok(download(&mime, &name, bytes))
}

/// `POST /problems/{id}/task`: the office or the lead department turns the problem into an
/// assigned task 交办事项 (deadline on a holiday moved to the next working day).
async fn to_task(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let result: Result<String, PageError> = async {
        let d = s.app.problem(&u.p, id).await?;
        let chain = d.problem.row.chain_code.clone().unwrap_or_default();
        let t = app::meeting::TaskInput {
            chain,
            problem_id: Some(id),
            decision: field(&form, "decision"),
            title: field(&form, "title"),
            unit: field(&form, "unit"),
            person: field(&form, "person"),
            due_on: field(&form, "due_on"),
            evidence: field(&form, "evidence"),
            ..Default::default()
        };
        let (tid, note) = s.app.assign_task(&u.p, &t).await?;
        let mut msg = format!("已交办（交办事项 #{tid}）");
        if let Some(n) = note {
            msg.push('；');
            msg.push_str(&n);
        }
        Ok(msg)
    }
    .await;
    finish(&s, &u, id, result, ("task".into(), form)).await
}

// ---- rates and chain-wide problems ----

pub struct RateItem {
    pub name: String,
    pub total: i64,
    pub open: i64,
    pub closed: i64,
    pub closure: String,
    pub satisfaction: String,
    pub red: usize,
    pub yellow: usize,
    pub color: &'static str,
    pub color_label: &'static str,
    pub link: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RatesParams {
    by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "problem_rates.html")]
struct RatesTpl {
    nav: Nav,
    by: String,
    tabs: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<RateItem>,
    groups: Vec<app::store::problem::GroupRow>,
    totals: (i64, i64, String),
}

async fn rates_page(State(s): State<AppState>, u: WebUser, Query(q): Query<RatesParams>) -> PageResult {
    let by = match q.by.as_str() {
        "region" | "chain" => q.by.clone(),
        _ => "unit".to_string(),
    };
    let rates = s.app.problem_rates(&u.p, &by).await?;
    let groups = s.app.problem_groups(&u.p, None).await?;
    let (total, closed) =
        rates.iter().filter(|_| by != "unit").fold((0, 0), |a, r| (a.0 + r.row.total, a.1 + r.row.closed));
    let rows = rates
        .iter()
        .map(|r| RateItem {
            name: if r.row.name.is_empty() { "—".into() } else { r.row.name.clone() },
            total: r.row.total,
            open: r.row.open,
            closed: r.row.closed,
            closure: fmt_rate(r.closure_rate),
            satisfaction: fmt_rate(r.satisfaction_rate),
            red: r.red,
            yellow: r.yellow,
            color: code_class(r.color),
            color_label: r.color.label(),
            link: match by.as_str() {
                "region" => format!("/problems?region={}", urlencode(&r.row.key)),
                "chain" if !r.row.key.is_empty() => format!("/problems?chain={}", urlencode(&r.row.key)),
                "chain" => "/problems".into(),
                _ => format!("/problems?unit={}", urlencode(&r.row.key)),
            },
        })
        .collect();
    let t = RatesTpl {
        nav: Nav::of(&u.p, "problems"),
        tabs: [("unit", "按承办单位"), ("region", "按县（市、区）"), ("chain", "按产业链")]
            .into_iter()
            .map(|(k, l)| (k, l, k == by))
            .collect(),
        by,
        rows,
        groups,
        totals: (total, closed, fmt_rate(domain::problem::closure_rate(closed, total))),
    };
    Ok(t.into_response())
}

// ---- the 12345 hotline import ----

#[derive(Template, WebTemplate)]
#[template(path = "problem_import.html")]
struct ImportTpl {
    nav: Nav,
    report: Option<app::problem::HotlineReport>,
    committed: bool,
    error: Option<String>,
}

fn may_import(p: &Principal) -> Result<(), PageError> {
    if p.has(Role::Office) || p.has(Role::Region) {
        Ok(())
    } else {
        Err(AppError::Forbidden("只有融圈强链办或县市区可以导入 12345 热线工单".into()).into())
    }
}

async fn import_page(u: WebUser) -> PageResult {
    may_import(&u.p)?;
    Ok(ImportTpl { nav: Nav::of(&u.p, "problems"), report: None, committed: false, error: None }.into_response())
}

/// `POST /problems/import`: checks the file (preview) or, with `commit=1`, imports it.
/// Any refused row refuses the whole file; duplicates are skipped and listed.
async fn import_submit(State(s): State<AppState>, u: WebUser, mp: Multipart) -> PageResult {
    may_import(&u.p)?;
    let (fields, files) = super::read_multipart(&u.p, mp).await?;
    let commit = field(&fields, "commit") == "1";
    let nav = Nav::of(&u.p, "problems");
    let Some((_, name, bytes)) = files.into_iter().find(|(_, _, b)| !b.is_empty()) else {
        let t = ImportTpl {
            nav,
            report: None,
            committed: false,
            error: Some("请选择 12345 热线工单导出文件（xlsx）".into()),
        };
        return Ok((axum::http::StatusCode::BAD_REQUEST, t).into_response());
    };
    match s.app.import_hotline(&u.p, &name, &bytes, commit).await {
        Ok(r) => {
            let refused = !r.errors.is_empty();
            let status = if refused { axum::http::StatusCode::BAD_REQUEST } else { axum::http::StatusCode::OK };
            Ok((status, ImportTpl { nav, committed: commit && !refused, report: Some(r), error: None }).into_response())
        }
        Err(e @ (AppError::Invalid(_) | AppError::TooLarge(_) | AppError::Conflict(_))) => {
            let status = crate::error::status_of(&e).0;
            Ok((status, ImportTpl { nav, report: None, committed: false, error: Some(e.user_message()) })
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---- the working-day calendar ----

#[derive(Template, WebTemplate)]
#[template(path = "calendar.html")]
struct CalendarTpl {
    nav: Nav,
    years: Vec<(i32, Vec<app::store::problem::DayRow>)>,
    /// (field, level label, working days).
    limits: Vec<(&'static str, &'static str, u32)>,
    errors: Vec<FieldError>,
    v: HashMap<String, String>,
    notice: Option<String>,
}

impl CalendarTpl {
    fn val(&self, k: &str) -> String {
        self.v.get(k).cloned().unwrap_or_default()
    }
    fn err(&self, f: &str) -> String {
        field_errors(&self.errors, f)
    }
}

fn calendar_admin(p: &Principal) -> Result<(), PageError> {
    if p.has(Role::Sysadmin) || p.has(Role::Office) {
        Ok(())
    } else {
        Err(AppError::Forbidden("只有系统管理员或融圈强链办可以维护节假日安排".into()).into())
    }
}

async fn calendar_view(
    s: &AppState,
    u: &WebUser,
    v: HashMap<String, String>,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> PageResult {
    calendar_admin(&u.p)?;
    use chrono::Datelike;
    let mut years: Vec<(i32, Vec<app::store::problem::DayRow>)> = Vec::new();
    for d in app::store::problem::calendar(&s.app.db).await.map_err(AppError::from)? {
        match years.last_mut() {
            Some((y, v)) if *y == d.day.year() => v.push(d),
            _ => years.push((d.day.year(), vec![d])),
        }
    }
    years.reverse();
    let l = s.app.problem_limits().await?;
    let limits = Level::ALL.iter().map(|x| (x.code(), x.label(), l.days(*x))).collect();
    let status = if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::BAD_REQUEST };
    let t = CalendarTpl { nav: Nav::of(&u.p, "calendar"), years, limits, errors, v, notice };
    Ok((status, t).into_response())
}

async fn calendar_page(State(s): State<AppState>, u: WebUser, Query(q): Query<MsgParams>) -> PageResult {
    calendar_view(&s, &u, HashMap::new(), vec![], Some(q.msg).filter(|m| !m.trim().is_empty())).await
}

/// `POST /admin/calendar`: adds or replaces a day (a holiday on a weekday, a workday on a
/// weekend).
async fn calendar_put(
    State(s): State<AppState>,
    u: WebUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let form = checked_form(&u.p, form)?;
    match s.app.put_calendar_day(&u.p, &field(&form, "day"), &field(&form, "kind"), &field(&form, "name")).await {
        Ok(()) => {
            let msg = format!("已保存 {} {}", field(&form, "day").trim(), field(&form, "name").trim());
            Ok(Redirect::to(&format!("/admin/calendar?msg={}", urlencode(&msg))).into_response())
        }
        Err(e) => calendar_view(&s, &u, form, form_errors(e)?, None).await,
    }
}

async fn calendar_delete(
    State(s): State<AppState>,
    u: WebUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let form = checked_form(&u.p, form)?;
    let day = field(&form, "day");
    match s.app.delete_calendar_day(&u.p, &day).await {
        Ok(()) => {
            let msg = format!("已删除 {} 的安排", day.trim());
            Ok(Redirect::to(&format!("/admin/calendar?msg={}", urlencode(&msg))).into_response())
        }
        Err(e) => calendar_view(&s, &u, HashMap::new(), form_errors(e)?, None).await,
    }
}

/// `POST /admin/calendar/limits`: the time limit of each level in working days.
async fn limits_put(
    State(s): State<AppState>,
    u: WebUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let form = checked_form(&u.p, form)?;
    let f = |k: &str| field(&form, k);
    match s.app.set_problem_limits(&u.p, &f("county"), &f("lead_department"), &f("chief")).await {
        Ok(l) => {
            let msg = format!(
                "办理时限已调整为：县级 {} 个、牵头部门 {} 个、链长 {} 个工作日（新提出或升级的问题适用）",
                l.county, l.lead_department, l.chief
            );
            Ok(Redirect::to(&format!("/admin/calendar?msg={}", urlencode(&msg))).into_response())
        }
        Err(e) => calendar_view(&s, &u, form, form_errors(e)?, None).await,
    }
}
