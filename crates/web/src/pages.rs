//! HTML pages: server-rendered with askama, htmx for partial swaps. Handlers are thin:
//! parse the form, call `app`, render.

use crate::AppState;
use crate::auth::{ClientIp, LOGIN_CSRF_COOKIE, WebUser, WebUserAny, cookie_name, csrf_ok, session_cookie};
use crate::view::{ListQuery, size_label};
use app::account::{Principal, SessionKind};
use app::enterprise::EnterpriseInput;
use app::{AppError, FieldError};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use domain::role::{Grant, Role};
use serde::Deserialize;
use std::collections::HashMap;

mod chains;
mod evalrun;
mod evaluation;
mod meetings;
mod problems;
mod project_files;
mod project_page;
mod project_schedule;
mod projects;
mod targets;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/chains", get(chains::chains_page))
        .route("/chains/{key}", get(chains::chain_page))
        .route("/chains/{key}/map.json", get(chains::chain_json))
        .route("/chains/{key}/map.xlsx", get(chains::chain_xlsx))
        .route("/chains/{key}/lists.xlsx", get(chains::chain_lists_xlsx))
        .route("/chains/{key}/history", get(chains::chain_history))
        .route(
            "/chains/{key}/map-import",
            post(chains::map_import).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/chains/{key}/{action}", post(chains::chain_edit))
        .route("/chains/{key}/targets", get(targets::chain_targets_page))
        .route("/chains/{key}/targets.xlsx", get(targets::chain_targets_xlsx))
        .route("/chains/{key}/targets/push", post(targets::chain_targets_push))
        .route("/chains/{key}/products", get(targets::chain_products_page))
        .route("/chains/{key}/products/{action}", post(targets::chain_products_edit))
        .route("/targets", get(targets::targets_page))
        .route(
            "/product-graph",
            get(targets::product_graph_page)
                .post(targets::product_graph_upload)
                .layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route(
            "/evaluations",
            get(evaluation::schemes_page)
                .post(evaluation::scheme_upload)
                .layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/evaluations/template.xlsx", get(evaluation::scheme_template))
        .route("/evaluations/{id}", get(evaluation::scheme_page))
        .route(
            "/evaluations/{id}/versions",
            post(evaluation::version_upload).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/evaluations/{id}/scheme.xlsx", get(evaluation::scheme_xlsx))
        .route("/evaluations/{id}/matrix.csv", get(evaluation::scheme_matrix_csv))
        .route("/evaluations/{id}/runs", post(evalrun::create_run))
        .route("/evaluations/runs", get(evalrun::runs_page))
        .route("/evaluations/runs/{id}", get(evalrun::run_page))
        .route("/evaluations/runs/{id}/export.xlsx", get(evalrun::run_xlsx))
        .route("/evaluations/runs/{id}/experts", post(evalrun::assign_expert))
        .route("/evaluations/runs/{id}/experts/{account}/remove", post(evalrun::remove_expert))
        .route("/evaluations/runs/{id}/compute", post(evalrun::compute))
        .route("/evaluations/runs/{id}/results/{enterprise}", post(evalrun::set_tier))
        .route("/evaluations/runs/{id}/review", post(evalrun::review))
        .route("/evaluations/runs/{id}/score", get(evalrun::score_page).post(evalrun::score_submit))
        .route("/evaluations/runs/{id}/declaration", post(evalrun::declare))
        .route("/evaluations/scoring", get(evalrun::scoring_page))
        .route("/evaluations/ledger", get(evalrun::ledger_page))
        .route("/evaluations/exits/{id}", post(evalrun::exit_step))
        .route("/targets.xlsx", get(targets::targets_xlsx))
        .route("/targets/{id}/follow-up", post(targets::target_follow_up))
        .route("/projects", get(projects::projects_page))
        .route("/projects/filters", post(projects::save_filter))
        .route("/projects/filters/{id}/delete", post(projects::delete_filter))
        .route("/projects/new", get(projects::new_page).post(projects::create))
        .route("/projects/schedule", get(project_schedule::schedule_page))
        .route("/projects/todo", get(project_schedule::todo_page))
        .route("/projects/{id}", get(project_page::project_page))
        .route("/projects/{id}/edit", get(projects::edit_page).post(projects::update))
        .route("/projects/{id}/evidence/{eid}", get(project_page::evidence_file))
        .route("/projects/{id}/milestones/{mid}/done", post(project_page::milestone_done))
        .route("/projects/{id}/milestones/{mid}/adjust", post(project_page::milestone_adjust))
        .route(
            "/projects/{id}/transition",
            post(project_page::transition).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/projects/{id}/reports", post(project_page::report))
        .route("/projects/{id}/supervisions", post(project_page::supervise))
        .route("/projects/{id}/supervisions/{sid}/respond", post(project_page::respond))
        .merge(problems::routes())
        .merge(meetings::routes())
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/password", get(password_page).post(password_submit))
        .route("/enterprises", get(enterprise_list).post(enterprise_create))
        .route("/enterprises/export.csv", get(enterprise_export))
        .route("/enterprises/new", get(enterprise_new))
        .route("/enterprises/{id}", get(enterprise_detail).post(enterprise_update))
        .route("/enterprises/{id}/edit", get(enterprise_edit))
        .route("/enterprises/{id}/delete", post(enterprise_delete))
        .route("/admin/accounts", get(accounts_page).post(account_create))
        .route("/admin/accounts/{id}/{action}", post(account_action))
        .route("/admin/policy", get(policy_page).post(policy_submit))
        .route("/audit", get(audit_page))
        .route("/search", get(search_page))
        .route("/gradient", get(gradient_page))
        .route("/registry", get(registry_page))
        .route("/registry/merge/{id}", post(merge_submit))
        .route("/registry/corrections/{id}", post(review_submit))
        .route("/enterprises/{id}/corrections", post(correction_submit))
        .route("/enterprises/export.xlsx", get(enterprise_export_xlsx))
        .route(
            "/import",
            get(import_page).post(import_submit).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/projects.xlsx", get(project_files::projects_xlsx))
        .route("/projects/schedule.xlsx", get(project_files::schedule_xlsx))
        .route("/projects/schedule.docx", get(project_files::schedule_docx))
        .route("/projects/import/template.xlsx", get(project_files::import_template))
        .route(
            "/projects/import",
            get(project_files::import_page)
                .post(project_files::import_submit)
                .layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
}

// ---- layout ----

/// What the layout needs: who is signed in and which capabilities they have.
pub struct Nav {
    pub display_name: String,
    pub roles: String,
    pub csrf: String,
    pub active: &'static str,
    pub enterprises: bool,
    pub accounts: bool,
    pub policy: bool,
    pub audit: bool,
    pub import: bool,
    pub registry: bool,
    pub chains: bool,
    /// An expert's scoring tasks (experts have no chain access).
    pub scoring: bool,
    /// Key projects 重点项目: their list, scheduling and to-do pages.
    pub projects: bool,
    /// Enterprise problems 企业问题 (staff pages) or, for an enterprise account, the
    /// 企业之家 portal.
    pub problems: bool,
    /// An enterprise account: the portal instead of the staff pages.
    pub portal: bool,
    /// The chain chiefs' work: meetings, tasks, visits, plans.
    pub meetings: bool,
    /// Assigned tasks 交办事项: chain readers, and units that receive tasks.
    pub tasks: bool,
    /// The working-day calendar (system administrator, office).
    pub calendar: bool,
}

impl Nav {
    pub fn of(p: &Principal, active: &'static str) -> Nav {
        let roles = p
            .grants
            .iter()
            .map(|g| match &g.scope {
                Some(s) => format!("{}（{s}）", g.role.label()),
                None => g.role.label().to_string(),
            })
            .collect::<Vec<_>>()
            .join("、");
        Nav {
            display_name: p.display_name.clone(),
            roles,
            csrf: p.csrf_token.clone(),
            active,
            enterprises: p.enterprise_scope.reads_anything(),
            accounts: p.has(Role::Sysadmin) || p.has(Role::Secadmin),
            policy: p.has(Role::Secadmin),
            audit: p.has(Role::Auditor),
            import: p.enterprise_scope.writes_anything(),
            registry: p.enterprise_scope.writes_anything(),
            chains: app::chainmap::may_read_chains(p),
            scoring: p.has(Role::Expert),
            projects: app::project::may_see_projects(p),
            problems: app::problem::may_see_problems(p),
            portal: problems::is_enterprise(p),
            meetings: app::chainmap::may_read_chains(p),
            tasks: app::chainmap::may_read_chains(p) || p.has(Role::Unit),
            calendar: p.has(Role::Sysadmin) || p.has(Role::Office),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorTpl {
    status: u16,
    message: String,
}

pub fn error_page(status: StatusCode, message: &str) -> Response {
    let t = ErrorTpl { status: status.as_u16(), message: message.to_string() };
    match t.render() {
        Ok(h) => (status, Html(h)).into_response(),
        Err(_) => (status, message.to_string()).into_response(),
    }
}

/// An [`AppError`] answered as a page.
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, _) = crate::error::status_of(&self.0);
        match self.0 {
            AppError::PasswordChange => Redirect::to("/password").into_response(),
            AppError::Unauthenticated(_) => Redirect::to("/login").into_response(),
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                error_page(status, "服务器内部错误，请稍后重试或联系管理员")
            }
            e => error_page(status, &e.user_message()),
        }
    }
}

type PageResult = Result<Response, PageError>;

fn bad_form(e: FormRejection) -> PageError {
    PageError(AppError::invalid("form", format!("表单格式有误：{}", e.body_text())))
}

fn check_csrf(u: &Principal, form: &HashMap<String, String>) -> Result<(), PageError> {
    if csrf_ok(&u.csrf_token, form.get("csrf").map(String::as_str).unwrap_or("")) {
        Ok(())
    } else {
        Err(PageError(AppError::Forbidden("页面已过期或来源不明（CSRF 校验失败），请刷新页面后重试".into())))
    }
}

/// A posted form, refused unless well-formed and carrying this session's CSRF token.
fn checked_form(
    u: &Principal,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<HashMap<String, String>, PageError> {
    let Form(form) = form.map_err(bad_form)?;
    check_csrf(u, &form)?;
    Ok(form)
}

fn id_of(p: Result<Path<i64>, PathRejection>) -> Result<i64, PageError> {
    p.map(|Path(id)| id).map_err(|_| PageError(AppError::NotFound))
}

fn field(form: &HashMap<String, String>, k: &str) -> String {
    form.get(k).cloned().unwrap_or_default()
}

// ---- login, logout, password ----

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginTpl {
    error: Option<String>,
    username: String,
    csrf: String,
    demo: bool,
}

async fn login_page(State(s): State<AppState>) -> Response {
    login_form(&s, None, String::new(), StatusCode::OK)
}

fn login_form(s: &AppState, error: Option<String>, username: String, status: StatusCode) -> Response {
    let csrf = app::secret::random_token();
    let cookie = session_cookie(LOGIN_CSRF_COOKIE, csrf.clone(), s.cfg.secure_cookies);
    let t = LoginTpl { error, username, csrf, demo: s.cfg.demo };
    (status, CookieJar::new().add(cookie), t).into_response()
}

async fn login_submit(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return login_form(&s, Some("表单格式有误".into()), String::new(), StatusCode::BAD_REQUEST);
    };
    let username = field(&form, "username");
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    if !csrf_ok(&expected, &field(&form, "csrf")) {
        return login_form(&s, Some("页面已过期，请重新登录".into()), username, StatusCode::FORBIDDEN);
    }
    match s.app.login(&username, &field(&form, "password"), SessionKind::Web, &ip).await {
        Ok(session) => {
            let cookie = session_cookie(cookie_name(s.cfg.secure_cookies), session.token, s.cfg.secure_cookies);
            let to = if session.principal.must_change_password { "/password" } else { "/" };
            (jar.add(cookie).remove(LOGIN_CSRF_COOKIE), Redirect::to(to)).into_response()
        }
        Err(e) => {
            let (status, _) = crate::error::status_of(&e);
            let msg = match e {
                AppError::Internal(_) => "服务器内部错误".to_string(),
                e => e.to_string(),
            };
            login_form(&s, Some(msg), username, status)
        }
    }
}

async fn logout(
    State(s): State<AppState>,
    WebUserAny(u): WebUserAny,
    jar: CookieJar,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    checked_form(&u.p, form)?;
    s.app.logout(&u.token, &u.p).await?;
    let name = cookie_name(s.cfg.secure_cookies);
    Ok((jar.remove(session_cookie(name, String::new(), s.cfg.secure_cookies)), Redirect::to("/login")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
struct PasswordTpl {
    nav: Nav,
    forced: bool,
    errors: Vec<FieldError>,
    done: bool,
    min_length: i64,
    min_classes: i64,
}

async fn password_page(State(s): State<AppState>, WebUserAny(u): WebUserAny) -> PageResult {
    let (policy, _) = s.app.policy().await?;
    Ok(PasswordTpl {
        nav: Nav::of(&u.p, ""),
        forced: u.p.must_change_password,
        errors: vec![],
        done: false,
        min_length: policy.min_length,
        min_classes: policy.min_classes,
    }
    .into_response())
}

async fn password_submit(
    State(s): State<AppState>,
    WebUserAny(u): WebUserAny,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let form = checked_form(&u.p, form)?;
    let (policy, _) = s.app.policy().await?;
    let new = field(&form, "new_password");
    let result = if new != field(&form, "confirm_password") {
        Err(AppError::invalid("confirm_password", "两次输入的新密码不一致"))
    } else {
        s.app.change_password(&u.p, &field(&form, "old_password"), &new).await
    };
    let (errors, done, status) = match result {
        Ok(()) => (vec![], true, StatusCode::OK),
        Err(AppError::Invalid(f)) => (f, false, StatusCode::BAD_REQUEST),
        Err(e) => return Err(e.into()),
    };
    let t = PasswordTpl {
        nav: Nav::of(&u.p, ""),
        forced: u.p.must_change_password && !done,
        errors,
        done,
        min_length: policy.min_length,
        min_classes: policy.min_classes,
    };
    Ok((status, t).into_response())
}

// ---- home ----

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomeTpl {
    nav: Nav,
    regions: Vec<app::store::enterprise::RegionCount>,
    total: i64,
    above_scale: i64,
    chains: Vec<app::store::chain::ChainRow>,
    system_role: bool,
}

async fn home(State(s): State<AppState>, u: WebUser) -> PageResult {
    if problems::is_enterprise(&u.p) {
        // An enterprise's home is its portal 企业之家.
        return Ok(Redirect::to("/portal").into_response());
    }
    let reads = u.p.enterprise_scope.reads_anything();
    let regions = if reads { s.app.enterprise_counts_by_region(&u.p).await? } else { vec![] };
    let chains = if reads { s.app.chains().await? } else { vec![] };
    Ok(HomeTpl {
        nav: Nav::of(&u.p, "home"),
        total: regions.iter().map(|r| r.enterprises).sum(),
        above_scale: regions.iter().map(|r| r.above_scale).sum(),
        regions,
        chains,
        system_role: u.p.grants.iter().any(|g| g.role.is_system()),
    }
    .into_response())
}

// ---- enterprises ----

pub struct Row {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub region: String,
    pub industry: String,
    pub size: String,
    pub above_scale: bool,
    pub revenue: String,
    pub employees: String,
    pub is_demo: bool,
}

fn row(r: &app::store::enterprise::EnterpriseRow) -> Row {
    Row {
        id: r.id,
        uscc: r.uscc.clone(),
        name: r.name.clone(),
        region: match &r.park_name {
            Some(p) => format!("{}·{p}", r.region_name),
            None => r.region_name.clone(),
        },
        industry: format!("{} {}", r.industry_code, r.industry_name),
        size: r.size.as_deref().and_then(size_label).unwrap_or("—").to_string(),
        above_scale: r.above_scale,
        revenue: r.revenue_fen.map(domain::money::format_wan).unwrap_or_else(|| "—".into()),
        employees: r.employees.map(|e| e.to_string()).unwrap_or_else(|| "—".into()),
        is_demo: r.is_demo,
    }
}

pub struct PageLink {
    pub label: String,
    pub url: String,
    pub current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "enterprise_table.html")]
struct EnterpriseTableTpl {
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    links: Vec<PageLink>,
    sort_urls: Vec<(String, String, String)>,
    export_url: String,
    export_xlsx_url: String,
}

/// One `<option>` of a select.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn opts(items: impl IntoIterator<Item = (String, String)>, current: &str) -> Vec<Opt> {
    items.into_iter().map(|(value, label)| Opt { selected: value == current, value, label }).collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "enterprises.html")]
struct EnterprisesTpl {
    nav: Nav,
    q_text: String,
    industry_text: String,
    table: EnterpriseTableTpl,
    region_opts: Vec<Opt>,
    chain_opts: Vec<Opt>,
    size_opts: Vec<Opt>,
    can_create: bool,
}

fn table(q: &ListQuery, rows: Vec<app::store::enterprise::EnterpriseRow>, total: i64) -> EnterpriseTableTpl {
    let f = q.filter();
    let pages = ((total + f.per_page - 1) / f.per_page).max(1);
    let mut links = Vec::new();
    let mut push = |label: String, p: i64, current: bool| {
        links.push(PageLink { label, url: format!("/enterprises?{}", q.url(Some(p), None)), current })
    };
    if f.page > 1 {
        push("上一页".into(), f.page - 1, false);
    }
    for p in (f.page - 3).max(1)..=(f.page + 3).min(pages) {
        push(p.to_string(), p, p == f.page);
    }
    if f.page < pages {
        push("下一页".into(), f.page + 1, false);
    }
    let sort_urls = [
        ("name", "企业名称"),
        ("region", "所属区县"),
        ("industry", "行业"),
        ("size", "规模"),
        ("revenue", "营业收入（万元）"),
        ("employees", "从业人员"),
    ]
    .into_iter()
    .map(|(k, label)| {
        let arrow = if f.sort.as_deref() == Some(k) { if f.desc { " ↓" } else { " ↑" } } else { "" };
        (format!("/enterprises?{}", q.url(None, Some(k))), format!("{label}{arrow}"), k.to_string())
    })
    .collect();
    EnterpriseTableTpl {
        rows: rows.iter().map(row).collect(),
        total,
        page: f.page,
        pages,
        links,
        sort_urls,
        export_url: format!("/enterprises/export.csv?{}", q.url(None, None)),
        export_xlsx_url: format!("/enterprises/export.xlsx?{}", q.url(None, None)),
    }
}

async fn enterprise_list(
    State(s): State<AppState>,
    u: WebUser,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let (rows, total) = s.app.enterprises(&u.p, &q.filter()).await?;
    let t = table(&q, rows, total);
    if headers.contains_key("hx-request") && !headers.contains_key("hx-boosted") {
        return Ok(t.into_response());
    }
    let sc = &u.p.enterprise_scope;
    let cur = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(EnterprisesTpl {
        nav: Nav::of(&u.p, "enterprises"),
        table: t,
        region_opts: opts(s.app.filter_regions().await?, &cur(&q.region)),
        chain_opts: opts(s.app.chain_options().await?, &cur(&q.chain)),
        size_opts: opts(
            domain::size::EnterpriseSize::ALL.iter().map(|z| (z.code().to_string(), z.label().to_string())),
            &cur(&q.size),
        ),
        q_text: cur(&q.q),
        industry_text: cur(&q.industry),
        can_create: sc.creates_anything(),
    }
    .into_response())
}

/// CSV of exactly what is filtered (UTF-8 with BOM so that Excel opens it in Chinese),
/// cells that a spreadsheet would run as formulas escaped.
async fn enterprise_export(State(s): State<AppState>, u: WebUser, Query(q): Query<ListQuery>) -> PageResult {
    let rows = s.app.enterprise_export(&u.p, &q.filter()).await?;
    let mut out = String::from(
        "\u{feff}统一社会信用代码,企业名称,所属区县,园区,行业代码,行业名称,企业规模,规上工业,营业收入（万元）,资产总额（万元）,从业人员,成立日期,地址\r\n",
    );
    for r in &rows {
        let cells = [
            r.uscc.clone(),
            r.name.clone(),
            r.region_name.clone(),
            r.park_name.clone().unwrap_or_default(),
            r.industry_code.clone(),
            r.industry_name.clone(),
            r.size.as_deref().and_then(size_label).unwrap_or("").to_string(),
            if r.above_scale { "是".into() } else { "否".into() },
            r.revenue_fen.map(domain::money::plain_wan).unwrap_or_default(),
            r.assets_fen.map(domain::money::plain_wan).unwrap_or_default(),
            r.employees.map(|v| v.to_string()).unwrap_or_default(),
            r.founded_on.map(|d| d.to_string()).unwrap_or_default(),
            r.address.clone(),
        ];
        out.push_str(&cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    Ok(download("text/csv; charset=utf-8", "企业库导出.csv", out))
}

/// Quotes a CSV cell and neutralises formula starters (= + - @ tab CR).
pub fn csv_cell(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{v}") } else { v.to_string() };
    format!("\"{}\"", v.replace('"', "\"\""))
}

#[derive(Template, WebTemplate)]
#[template(path = "enterprise.html")]
struct EnterpriseTpl {
    nav: Nav,
    e: crate::view::EnterpriseOut,
    revenue: String,
    assets: String,
    chains: Vec<app::store::enterprise::ChainRef>,
    history: Vec<app::store::history::FieldChange>,
    can_edit: bool,
    can_delete: bool,
    updated_by: String,
    indicators: app::ledger::IndicatorView,
    corrections: Vec<CorrectionView>,
    can_correct: bool,
    /// (field, label, value) of the correction form, kept after a failed submit.
    correction_form: Vec<(String, String, String)>,
    correction_reason: String,
    correction_errors: Vec<String>,
    chart_json: String,
    honours: Vec<app::store::gradient::HonourRow>,
    gradients: Vec<(String, String, bool, bool, String)>,
    /// 链主评价: its tiers, exit procedures and approved runs (none when there is nothing).
    evaluation: Option<evalrun::EvalSection>,
}

async fn enterprise_detail(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    Query(q): Query<evalrun::MsgQuery>,
) -> PageResult {
    let msg = evalrun::EvalMsg { error: None, notice: Some(q.msg).filter(|m| !m.trim().is_empty()) };
    detail_view(&s, &u.p, id_of(id)?, None, vec![], msg).await
}

/// The enterprise page; `proposed` keeps a failed correction form's values and `errors` its
/// messages; `eval` is the message of its evaluation section (an appeal).
async fn detail_view(
    s: &AppState,
    p: &Principal,
    id: i64,
    proposed: Option<(&HashMap<String, String>, String)>,
    errors: Vec<String>,
    eval: evalrun::EvalMsg,
) -> PageResult {
    let page = s.app.enterprise_page(p, id).await?;
    let evaluation = evalrun::enterprise_section(s, p, id, eval).await?;
    let r = &page.row;
    let can_correct =
        p.grants.iter().any(|g| g.role == Role::Enterprise && g.scope.as_deref() == Some(r.uscc.as_str()));
    let current = app::enterprise::EnterpriseInput::from_row(r);
    let correction_form = app::registry::CORRECTABLE
        .iter()
        .map(|(f, label)| {
            let v = match &proposed {
                Some((form, _)) => form.get(*f).cloned().unwrap_or_default(),
                None => app::registry::field_value(&current, f),
            };
            (f.to_string(), label.to_string(), v)
        })
        .collect();
    let corrections = if can_correct || page.may_edit {
        s.app.corrections_of(p, id).await?.into_iter().map(correction_view).collect()
    } else {
        vec![]
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let t = EnterpriseTpl {
        evaluation,
        nav: Nav::of(p, "enterprises"),
        revenue: r.revenue_fen.map(domain::money::format_wan).unwrap_or_else(|| "—".into()),
        assets: r.assets_fen.map(domain::money::format_wan).unwrap_or_else(|| "—".into()),
        can_edit: page.may_edit,
        can_delete: p.enterprise_scope.delete,
        updated_by: r.updated_by_name.clone().unwrap_or_else(|| "系统".into()),
        chart_json: chart_json(&page.indicators),
        e: crate::view::EnterpriseOut::from(r),
        gradients: page
            .gradients
            .into_iter()
            .map(|g| {
                (
                    g.year.to_string(),
                    app::ledger::label_of(&app::ledger::GRADIENTS, &g.gradient).to_string(),
                    g.targeted,
                    g.achieved,
                    g.note,
                )
            })
            .collect(),
        chains: page.chains,
        history: page.history,
        indicators: page.indicators,
        honours: page.honours,
        corrections,
        can_correct,
        correction_form,
        correction_reason: proposed.map(|(_, r)| r).unwrap_or_default(),
        correction_errors: errors,
    };
    Ok((status, t).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "enterprise_form.html")]
struct EnterpriseFormTpl {
    nav: Nav,
    id: Option<i64>,
    version: i64,
    v: EnterpriseInput,
    errors: Vec<FieldError>,
    stale: Option<String>,
    region_opts: Vec<Opt>,
    park_opts: Vec<Opt>,
}

impl EnterpriseFormTpl {
    fn err(&self, f: &str) -> String {
        self.errors.iter().filter(|e| e.field == f).map(|e| e.message.clone()).collect::<Vec<_>>().join("；")
    }
    fn general_errors(&self) -> Vec<String> {
        const KNOWN: [&str; 13] = [
            "uscc",
            "name",
            "region_code",
            "park_code",
            "industry_code",
            "employees",
            "revenue_wan",
            "assets_wan",
            "founded_on",
            "address",
            "contact_name",
            "contact_phone",
            "description",
        ];
        self.errors.iter().filter(|e| !KNOWN.contains(&e.field.as_str())).map(|e| e.message.clone()).collect()
    }
}

async fn form_page(
    s: &AppState,
    p: &Principal,
    id: Option<i64>,
    version: i64,
    v: EnterpriseInput,
    errors: Vec<FieldError>,
    stale: Option<String>,
) -> PageResult {
    let status = if errors.is_empty() && stale.is_none() {
        StatusCode::OK
    } else if stale.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::BAD_REQUEST
    };
    let regions = s.app.regions().await?;
    let t = EnterpriseFormTpl {
        nav: Nav::of(p, "enterprises"),
        id,
        version,
        region_opts: opts(
            regions.iter().filter(|r| r.kind == "county").map(|r| (r.code.clone(), r.name.clone())),
            &v.region_code,
        ),
        park_opts: opts(
            regions.iter().filter(|r| r.kind == "park").map(|r| (r.code.clone(), r.name.clone())),
            &v.park_code,
        ),
        v,
        errors,
        stale,
    };
    Ok((status, t).into_response())
}

async fn enterprise_new(State(s): State<AppState>, u: WebUser) -> PageResult {
    let sc = &u.p.enterprise_scope;
    if !sc.creates_anything() {
        return Err(AppError::Forbidden("您的角色无权新增企业".into()).into());
    }
    let v = EnterpriseInput { region_code: sc.regions.first().cloned().unwrap_or_default(), ..Default::default() };
    form_page(&s, &u.p, None, 0, v, vec![], None).await
}

fn input_of(form: &HashMap<String, String>) -> EnterpriseInput {
    EnterpriseInput {
        uscc: field(form, "uscc"),
        name: field(form, "name"),
        region_code: field(form, "region_code"),
        park_code: field(form, "park_code"),
        industry_code: field(form, "industry_code"),
        employees: field(form, "employees"),
        revenue_wan: field(form, "revenue_wan"),
        assets_wan: field(form, "assets_wan"),
        founded_on: field(form, "founded_on"),
        address: field(form, "address"),
        contact_name: field(form, "contact_name"),
        contact_phone: field(form, "contact_phone"),
        description: field(form, "description"),
    }
}

async fn enterprise_create(
    State(s): State<AppState>,
    u: WebUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let form = checked_form(&u.p, form)?;
    let v = input_of(&form);
    match s.app.create_enterprise(&u.p, &v).await {
        Ok(id) => Ok(Redirect::to(&format!("/enterprises/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => form_page(&s, &u.p, None, 0, v, errors, None).await,
        Err(e) => Err(e.into()),
    }
}

async fn enterprise_edit(State(s): State<AppState>, u: WebUser, id: Result<Path<i64>, PathRejection>) -> PageResult {
    let id = id_of(id)?;
    let r = s.app.enterprise(&u.p, id).await?;
    if !s.app.may_edit_enterprise(&u.p, id).await? {
        return Err(AppError::Forbidden("您无权修改该企业".into()).into());
    }
    form_page(&s, &u.p, Some(id), r.version, EnterpriseInput::from_row(&r), vec![], None).await
}

async fn enterprise_update(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let version: i64 = field(&form, "version")
        .parse()
        .map_err(|_| PageError(AppError::invalid("version", "缺少版本号，请刷新页面后重试")))?;
    let v = input_of(&form);
    match s.app.update_enterprise(&u.p, id, version, &v).await {
        Ok(()) => Ok(Redirect::to(&format!("/enterprises/{id}")).into_response()),
        Err(AppError::Invalid(errors)) => form_page(&s, &u.p, Some(id), version, v, errors, None).await,
        Err(e @ AppError::Stale { .. }) => form_page(&s, &u.p, Some(id), version, v, vec![], Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

async fn enterprise_delete(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let version: i64 =
        field(&form, "version").parse().map_err(|_| PageError(AppError::invalid("version", "缺少版本号")))?;
    s.app.delete_enterprise(&u.p, id, version).await?;
    Ok(Redirect::to("/enterprises").into_response())
}

// ---- accounts and policy ----

pub struct AccountView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: String,
    pub roles_text: String,
    pub disabled: bool,
    pub locked: bool,
    pub must_change: bool,
    pub last_login: String,
    pub version: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts.html")]
struct AccountsTpl {
    nav: Nav,
    accounts: Vec<AccountView>,
    sysadmin: bool,
    secadmin: bool,
    errors: Vec<FieldError>,
    notice: Option<String>,
    role_help: Vec<(String, String, String)>,
}

async fn accounts_view(s: &AppState, p: &Principal, errors: Vec<FieldError>, notice: Option<String>) -> PageResult {
    let now = s.app.now();
    let accounts = s
        .app
        .accounts(p)
        .await?
        .into_iter()
        .map(|(a, g)| AccountView {
            id: a.id,
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            roles: g
                .iter()
                .map(|g| match &g.scope {
                    Some(s) => format!("{}（{s}）", g.role.label()),
                    None => g.role.label().into(),
                })
                .collect::<Vec<_>>()
                .join("、"),
            roles_text: g
                .iter()
                .map(|g| match &g.scope {
                    Some(s) => format!("{}:{s}", g.role.code()),
                    None => g.role.code().into(),
                })
                .collect::<Vec<_>>()
                .join(" "),
            disabled: a.disabled,
            locked: a.locked_until.is_some_and(|t| t > now),
            must_change: a.must_change_password,
            last_login: a.last_login_at.as_ref().map(fmt_time).unwrap_or_else(|| "—".into()),
            version: a.version,
        })
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let t = AccountsTpl {
        nav: Nav::of(p, "accounts"),
        accounts,
        sysadmin: p.has(Role::Sysadmin),
        secadmin: p.has(Role::Secadmin),
        errors,
        notice,
        role_help: Role::ALL
            .iter()
            .map(|r| {
                (
                    r.code().to_string(),
                    r.label().to_string(),
                    domain::role::scope_kind_label(r.scope_kind()).to_string(),
                )
            })
            .collect(),
    };
    Ok((status, t).into_response())
}

/// The chart data of the enterprise page: yearly revenue, output and tax with growth.
fn chart_json(v: &app::ledger::IndicatorView) -> String {
    let pick = |code: &str| v.series.iter().find(|s| s.code == code);
    let years: std::collections::BTreeSet<String> = ["revenue", "output_value", "tax"]
        .iter()
        .filter_map(|c| pick(c))
        .flat_map(|s| s.points.iter().filter(|p| p.period.len() == 4).map(|p| p.period.clone()))
        .collect();
    let series: Vec<serde_json::Value> = ["revenue", "output_value", "tax"]
        .iter()
        .filter_map(|c| pick(c))
        .map(|s| {
            let data: Vec<Option<f64>> = years
                .iter()
                .map(|y| s.points.iter().find(|p| &p.period == y).map(|p| (p.value * 100.0).round() / 100.0))
                .collect();
            serde_json::json!({"name": format!("{}（{}）", s.name, s.unit), "data": data})
        })
        .collect();
    serde_json::json!({"years": years, "series": series}).to_string()
}

/// The Chinese label of an enterprise field, for the history table.
pub fn field_label(f: &str) -> &str {
    match f {
        "uscc" => "统一社会信用代码",
        "name" => "企业名称",
        "region_code" => "所属区县",
        "park_code" => "所在园区",
        "industry_code" => "行业代码",
        "employees" => "从业人员",
        "revenue_fen" => "营业收入（万元）",
        "assets_fen" => "资产总额（万元）",
        "size" => "企业规模",
        "above_scale" => "规上工业",
        "founded_on" => "成立日期",
        "address" => "地址",
        "contact_name" => "联系人",
        "contact_phone" => "联系电话",
        "description" => "简介",
        "merged_from" => "合并记录",
        other => other,
    }
}

/// A history value as people read it: money in 万元, sizes and flags in Chinese.
pub fn field_value(field: &str, v: &Option<String>) -> String {
    let Some(v) = v else { return String::new() };
    match field {
        "revenue_fen" | "assets_fen" => v.parse::<i64>().map(domain::money::format_wan).unwrap_or_else(|_| v.clone()),
        "size" => size_label(v).unwrap_or(v).to_string(),
        "above_scale" => {
            if v == "true" {
                "是".into()
            } else {
                "否".into()
            }
        }
        _ => v.clone(),
    }
}

/// A figure with thousands separators and at most two decimals.
pub fn fmt_num(v: &f64) -> String {
    let neg = *v < 0.0;
    let r = (v.abs() * 100.0).round() as u64;
    let (int, frac) = (r / 100, r % 100);
    let out = domain::money::group_thousands(int);
    let sign = if neg { "-" } else { "" };
    if frac == 0 { format!("{sign}{out}") } else { format!("{sign}{out}.{frac:02}") }
}

/// Growth with its sign and arrow, one decimal: ↑12.3% / ↓4.0%.
pub fn fmt_growth(g: &Option<f64>) -> String {
    match g {
        None => "—".into(),
        Some(g) if *g >= 0.0 => format!("↑+{:.1}%", g * 100.0),
        Some(g) => format!("↓{:.1}%", g * 100.0),
    }
}

pub fn fmt_pct(v: &f64) -> String {
    format!("{:.1}%", v * 100.0)
}

pub fn level_label(l: &str) -> &'static str {
    app::ledger::label_of(&app::ledger::LEVELS, l)
}

pub fn fmt_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")).format("%Y-%m-%d %H:%M").to_string()
}

async fn accounts_page(State(s): State<AppState>, u: WebUser) -> PageResult {
    accounts_view(&s, &u.p, vec![], None).await
}

async fn account_create(
    State(s): State<AppState>,
    u: WebUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let form = checked_form(&u.p, form)?;
    match s
        .app
        .create_account(&u.p.actor(), Some(&u.p), &field(&form, "username"), &field(&form, "display_name"), &[], None)
        .await
    {
        Ok((_, pw)) => {
            let msg = format!(
                "账号 {} 已创建，初始密码：{}（仅显示一次，首次登录须修改；角色由安全管理员授予）",
                field(&form, "username").trim(),
                pw.unwrap_or_default()
            );
            accounts_view(&s, &u.p, vec![], Some(msg)).await
        }
        Err(AppError::Invalid(errors)) => accounts_view(&s, &u.p, errors, None).await,
        Err(e) => Err(e.into()),
    }
}

async fn account_action(
    State(s): State<AppState>,
    u: WebUser,
    Path((id, action)): Path<(String, String)>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let form = checked_form(&u.p, form)?;
    let id: i64 = id.parse().map_err(|_| PageError(AppError::NotFound))?;
    let version: i64 =
        field(&form, "version").parse().map_err(|_| PageError(AppError::invalid("version", "缺少版本号")))?;
    let notice = match action.as_str() {
        "disable" => s.app.set_disabled(&u.p, id, version, true).await.map(|_| "账号已停用，其会话已失效".to_string()),
        "enable" => s.app.set_disabled(&u.p, id, version, false).await.map(|_| "账号已启用".to_string()),
        "reset" => s
            .app
            .reset_password(&u.p, id, version)
            .await
            .map(|pw| format!("密码已重置为：{pw}（仅显示一次，下次登录须修改）")),
        "roles" => {
            let grants: Result<Vec<Grant>, _> = field(&form, "roles").split_whitespace().map(Grant::parse).collect();
            match grants {
                Ok(g) => s.app.set_grants(&u.p, id, version, &g).await.map(|_| "角色已更新".to_string()),
                Err(e) => Err(AppError::invalid("roles", e)),
            }
        }
        _ => return Err(AppError::NotFound.into()),
    };
    match notice {
        Ok(n) => accounts_view(&s, &u.p, vec![], Some(n)).await,
        Err(AppError::Invalid(errors)) => accounts_view(&s, &u.p, errors, None).await,
        Err(e @ (AppError::Stale { .. } | AppError::Conflict(_))) => {
            accounts_view(&s, &u.p, vec![FieldError::new("version", e)], None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "policy.html")]
struct PolicyTpl {
    nav: Nav,
    p: domain::account::SecurityPolicy,
    version: i64,
    errors: Vec<FieldError>,
    saved: bool,
}

async fn policy_page(State(s): State<AppState>, u: WebUser) -> PageResult {
    if !u.p.has(Role::Secadmin) {
        return Err(AppError::Forbidden("仅安全管理员可设置安全策略".into()).into());
    }
    let (p, version) = s.app.policy().await?;
    Ok(PolicyTpl { nav: Nav::of(&u.p, "policy"), p, version, errors: vec![], saved: false }.into_response())
}

async fn policy_submit(
    State(s): State<AppState>,
    u: WebUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let form = checked_form(&u.p, form)?;
    let num = |k: &str| field(&form, k).trim().parse::<i64>().unwrap_or(-1);
    let p = domain::account::SecurityPolicy {
        min_length: num("min_length"),
        min_classes: num("min_classes"),
        expiry_days: num("expiry_days"),
        lockout_threshold: num("lockout_threshold"),
        lockout_minutes: num("lockout_minutes"),
        idle_timeout_minutes: num("idle_timeout_minutes"),
        absolute_timeout_hours: num("absolute_timeout_hours"),
    };
    let version = num("version");
    match s.app.set_policy(&u.p, &p, version).await {
        Ok(()) => {
            let (p, version) = s.app.policy().await?;
            Ok(PolicyTpl { nav: Nav::of(&u.p, "policy"), p, version, errors: vec![], saved: true }.into_response())
        }
        Err(AppError::Invalid(errors)) => {
            Ok((StatusCode::BAD_REQUEST, PolicyTpl { nav: Nav::of(&u.p, "policy"), p, version, errors, saved: false })
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ---- audit ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuditQuery {
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    from: String,
    to: String,
    page: String,
}

pub struct AuditView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: String,
    pub after: String,
    pub ip: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct AuditTpl {
    nav: Nav,
    rows: Vec<AuditView>,
    total: i64,
    page: i64,
    pages: i64,
    f_actor: String,
    f_action: String,
    f_entity: String,
    f_entity_id: String,
    f_from: String,
    f_to: String,
    verify: Option<String>,
    verify_ok: bool,
    prev_url: Option<String>,
    next_url: Option<String>,
}

async fn audit_page(State(s): State<AppState>, u: WebUser, Query(q): Query<AuditQuery>) -> PageResult {
    let date = |v: &str, end: bool| {
        chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok().and_then(|d| {
            let d = if end { d.succ_opt()? } else { d };
            // Dates are Beijing time.
            d.and_hms_opt(0, 0, 0).map(|t| t.and_utc() - chrono::Duration::hours(8))
        })
    };
    let nz = |v: &str| Some(v.replace('\0', "").trim().to_string()).filter(|v| !v.is_empty());
    let page = q.page.parse::<i64>().unwrap_or(1).max(1);
    let f = app::store::audit::AuditFilter {
        actor: nz(&q.actor),
        action: nz(&q.action),
        entity: nz(&q.entity),
        entity_id: nz(&q.entity_id),
        from: date(&q.from, false),
        to: date(&q.to, true),
        page,
        per_page: 50,
    };
    let (rows, total) = s.app.audit_log(&u.p, &f).await?;
    let v = s.app.audit_verify(Some(&u.p)).await?;
    let pages = ((total + 49) / 50).max(1);
    let url = |p: i64| {
        format!(
            "/audit?actor={}&action={}&entity={}&entity_id={}&from={}&to={}&page={p}",
            crate::view::urlencode(&q.actor),
            crate::view::urlencode(&q.action),
            crate::view::urlencode(&q.entity),
            crate::view::urlencode(&q.entity_id),
            crate::view::urlencode(&q.from),
            crate::view::urlencode(&q.to)
        )
    };
    Ok(AuditTpl {
        nav: Nav::of(&u.p, "audit"),
        rows: rows
            .into_iter()
            .map(|r| AuditView {
                seq: r.seq,
                at: fmt_time(&r.at),
                actor: r.actor,
                action: r.action,
                entity: r.entity,
                entity_id: r.entity_id,
                before: r.before_json.unwrap_or_default(),
                after: r.after_json.unwrap_or_default(),
                ip: r.ip,
            })
            .collect(),
        total,
        page,
        pages,
        prev_url: (page > 1).then(|| url(page - 1)),
        next_url: (page < pages).then(|| url(page + 1)),
        f_actor: q.actor.clone(),
        f_action: q.action.clone(),
        f_entity: q.entity.clone(),
        f_entity_id: q.entity_id.clone(),
        f_from: q.from.clone(),
        f_to: q.to.clone(),
        verify_ok: v.first_broken.is_none(),
        verify: Some(match v.first_broken {
            None => format!("哈希链完整：共 {} 条记录校验通过", v.rows),
            Some((seq, why)) => format!("哈希链断裂：第 {seq} 条记录异常（{why}）"),
        }),
    }
    .into_response())
}

impl EnterprisesTpl {
    fn table_ref(&self) -> &EnterpriseTableTpl {
        &self.table
    }
}

impl EnterpriseTableTpl {
    fn table_ref(&self) -> &EnterpriseTableTpl {
        self
    }
}

// ---- search ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct SearchParams {
    q: String,
    page: String,
}

pub struct HitView {
    pub id: i64,
    pub title: String,
    pub uscc: String,
    pub region: String,
    pub highlight: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
struct SearchTpl {
    nav: Nav,
    q: String,
    total: usize,
    hits: Vec<HitView>,
    page: usize,
    next_url: Option<String>,
    prev_url: Option<String>,
}

async fn search_page(State(s): State<AppState>, u: WebUser, Query(sp): Query<SearchParams>) -> PageResult {
    let page = sp.page.parse::<usize>().unwrap_or(1).clamp(1, 500);
    let q = sp.q.replace('\0', "");
    let r = s.app.search(&u.p, &q, 20, (page - 1) * 20).await?;
    let url = |p: usize| format!("/search?q={}&page={p}", crate::view::urlencode(&q));
    Ok(SearchTpl {
        nav: Nav::of(&u.p, "enterprises"),
        total: r.total,
        next_url: (page * 20 < r.total).then(|| url(page + 1)),
        prev_url: (page > 1).then(|| url(page - 1)),
        hits: r
            .items
            .into_iter()
            .map(|h| HitView { id: h.id, title: h.title, uscc: h.uscc, region: h.region, highlight: h.highlight })
            .collect(),
        q,
        page,
    }
    .into_response())
}

async fn enterprise_export_xlsx(State(s): State<AppState>, u: WebUser, Query(q): Query<ListQuery>) -> PageResult {
    let rows = s.app.enterprise_export(&u.p, &q.filter()).await?;
    let bytes = app::export::enterprises_xlsx(&rows)?;
    Ok(download(XLSX_TYPE, "企业库导出.xlsx", bytes))
}

pub(crate) const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file to download: its type, and its (Chinese) name per RFC 6266 through
/// [`office::content_disposition`].
fn download(content_type: &str, name: &str, body: impl Into<axum::body::Body>) -> Response {
    let disposition = office::content_disposition(name);
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], body.into())
        .into_response()
}

// ---- import ----

#[derive(Template, WebTemplate)]
#[template(path = "import.html")]
struct ImportTpl {
    nav: Nav,
    kinds: Vec<Opt>,
    report: Option<app::import::ImportReport>,
    file_error: Option<String>,
    fields: Vec<(String, String, bool, String)>,
    /// The column-mapping step: each header of the file with its choices.
    mapping: Vec<(String, Vec<Opt>)>,
}

/// Choices for one header: automatic, ignore, or one of the fields.
fn mapping_of(
    kind: app::import::ImportKind,
    headers: &[String],
    chosen: &HashMap<String, String>,
) -> Vec<(String, Vec<Opt>)> {
    headers
        .iter()
        .filter(|h| !h.is_empty())
        .map(|h| {
            let cur = chosen.get(h).map(String::as_str).unwrap_or("auto");
            let mut o = vec![
                Opt { value: "auto".into(), label: "自动识别".into(), selected: cur == "auto" },
                Opt { value: "ignore".into(), label: "忽略此列".into(), selected: cur == "ignore" },
            ];
            o.extend(kind.fields().iter().map(|f| Opt {
                value: f.key.into(),
                label: f.label.into(),
                selected: cur == f.key,
            }));
            (h.clone(), o)
        })
        .collect()
}

fn import_kinds(current: &str) -> Vec<Opt> {
    use app::import::ImportKind as K;
    [K::Enterprises, K::Indicators, K::Honours, K::Reserve]
        .into_iter()
        .map(|k| Opt { value: k.code().into(), label: k.label().into(), selected: k.code() == current })
        .collect()
}

fn field_help(kind: app::import::ImportKind) -> Vec<(String, String, bool, String)> {
    kind.fields().iter().map(|f| (f.key.to_string(), f.label.to_string(), f.required, f.aliases.join("、"))).collect()
}

async fn import_page(u: WebUser) -> PageResult {
    if !u.p.enterprise_scope.writes_anything() {
        return Err(AppError::Forbidden("您的角色无权导入企业数据".into()).into());
    }
    Ok(ImportTpl {
        nav: Nav::of(&u.p, "import"),
        kinds: import_kinds("enterprises"),
        report: None,
        file_error: None,
        fields: field_help(app::import::ImportKind::Enterprises),
        mapping: vec![],
    }
    .into_response())
}

/// A multipart part that is a file: (field name, file name, bytes).
pub(super) type UploadedFile = (String, String, axum::body::Bytes);

/// The text fields and the file parts of a multipart form (a part is a file when it carries
/// a file name, or is the `file` field), refused unless the form carries this session's
/// CSRF token.
pub(super) async fn read_multipart(
    u: &Principal,
    mut mp: axum::extract::Multipart,
) -> Result<(HashMap<String, String>, Vec<UploadedFile>), PageError> {
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut files = Vec::new();
    loop {
        let next = mp
            .next_field()
            .await
            .map_err(|e| PageError(AppError::invalid("file", format!("上传内容有误：{}", e.body_text()))))?;
        let Some(f) = next else { break };
        let name = f.name().unwrap_or("").to_string();
        if name == "file" || f.file_name().is_some() {
            let fname = f.file_name().unwrap_or("upload").to_string();
            let bytes = f
                .bytes()
                .await
                .map_err(|e| PageError(AppError::TooLarge(format!("文件读取失败：{}", e.body_text()))))?;
            files.push((name, fname, bytes));
        } else {
            fields.insert(name, f.text().await.unwrap_or_default());
        }
    }
    check_csrf(u, &fields)?;
    Ok((fields, files))
}

/// The text fields and the `file` part (its name and bytes) of an upload form, refused unless
/// the form carries this session's CSRF token.
async fn upload_form(
    u: &Principal,
    mp: axum::extract::Multipart,
) -> Result<(HashMap<String, String>, Option<(String, axum::body::Bytes)>), PageError> {
    let (fields, files) = read_multipart(u, mp).await?;
    let file = files.into_iter().rev().find(|(name, _, _)| name == "file").map(|(_, fname, bytes)| (fname, bytes));
    Ok((fields, file))
}

async fn import_submit(State(s): State<AppState>, u: WebUser, mp: axum::extract::Multipart) -> PageResult {
    let (fields, file) = upload_form(&u.p, mp).await?;
    let kind_code = fields.get("kind").cloned().unwrap_or_default();
    let kind = app::import::ImportKind::parse(&kind_code)
        .ok_or_else(|| PageError(AppError::invalid("kind", "请选择导入类型")))?;
    let mode = fields.get("mode").cloned().unwrap_or_default();
    // The mapping step's choices: `maph{i}` holds a header, `mapv{i}` its choice (auto,
    // ignore or a field key). Field names stay ASCII: clients encode non-ASCII names differently.
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
    let render = |report: Option<app::import::ImportReport>,
                  file_error: Option<String>,
                  headers: Vec<String>,
                  status: StatusCode| {
        let t = ImportTpl {
            nav: Nav::of(&u.p, "import"),
            kinds: import_kinds(kind.code()),
            report,
            file_error,
            fields: field_help(kind),
            mapping: mapping_of(kind, &headers, &chosen),
        };
        Ok((status, t).into_response())
    };
    let Some((fname, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return render(None, Some("请选择要导入的文件".into()), vec![], StatusCode::BAD_REQUEST);
    };
    let opts = app::import::ImportOptions { dry_run: mode != "commit", overrides, ..Default::default() };
    // The mapping step is offered when a header was not recognised or the file was refused for its headers.
    let headers = || office::read_headers(&bytes, &fname, &office::Limits::default()).unwrap_or_default();
    match s.app.import(&u.p, kind, bytes.clone(), &fname, &opts, &|_, _| {}).await {
        Ok(report) if mode == "report" && !report.errors.is_empty() => {
            Ok(download(XLSX_TYPE, "导入错误报告.xlsx", app::import::error_report_xlsx(&report.errors)))
        }
        Ok(report) => {
            let status = if report.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            let h = if report.warnings.is_empty() && chosen.is_empty() { vec![] } else { headers() };
            render(Some(report), None, h, status)
        }
        Err(e @ AppError::Invalid(_)) => render(None, Some(e.user_message()), headers(), StatusCode::BAD_REQUEST),
        Err(e) => Err(e.into()),
    }
}

// ---- gradient ledger ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct GradientParams {
    kind: String,
    year: String,
    region: String,
    chain: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "gradient.html")]
struct GradientTpl {
    nav: Nav,
    kind_opts: Vec<Opt>,
    region_opts: Vec<Opt>,
    chain_opts: Vec<Opt>,
    year: String,
    /// (year, gradient label, targeted, achieved)
    gradients: Vec<(i64, &'static str, i64, i64)>,
    /// (kind name, year, region, count)
    counts: Vec<(String, i64, String, i64)>,
    honours: Vec<app::store::gradient::HonourRow>,
    reserve: Vec<(i64, String, String, &'static str, &'static str, &'static str, String)>,
}

async fn gradient_page(State(s): State<AppState>, u: WebUser, Query(gp): Query<GradientParams>) -> PageResult {
    let ne = |v: &str| Some(v.replace('\0', "").trim().to_string()).filter(|v| !v.is_empty());
    let f = app::store::gradient::HonourFilter {
        kind: ne(&gp.kind),
        year: gp.year.trim().parse().ok(),
        region: ne(&gp.region),
        chain: ne(&gp.chain),
        enterprise_id: None,
    };
    let counts = s.app.honour_counts(&u.p, &f).await?;
    let gradients = s.app.gradient_counts(&u.p, f.region.as_deref(), f.chain.as_deref()).await?;
    let mut honours = s.app.honours(&u.p, &f).await?;
    honours.truncate(500);
    let reserve = s.app.listing_reserve(&u.p, &f).await?;
    let kinds = s.app.honour_kinds().await?;
    use app::ledger::{BOARDS, GRADIENTS, STAGES, label_of};
    Ok(GradientTpl {
        nav: Nav::of(&u.p, "gradient"),
        kind_opts: opts(kinds.into_iter().map(|k| (k.code, k.name)), &gp.kind),
        region_opts: opts(s.app.filter_regions().await?, &gp.region),
        chain_opts: opts(s.app.chain_options().await?, &gp.chain),
        year: gp.year.clone(),
        gradients: gradients
            .into_iter()
            .map(|g| (g.year, label_of(&GRADIENTS, &g.gradient), g.targeted, g.achieved))
            .collect(),
        counts: counts.into_iter().map(|c| (c.kind_name, c.year, c.region_name, c.n)).collect(),
        honours,
        reserve: reserve
            .into_iter()
            .map(|r| {
                let kind = if r.kind == "listing" { "上市后备" } else { "并购标的" };
                let since = r.since.map(|d| d.to_string()).unwrap_or_default();
                (
                    r.enterprise_id,
                    r.enterprise_name,
                    r.region_name,
                    kind,
                    label_of(&STAGES, &r.stage),
                    label_of(&BOARDS, &r.board),
                    since,
                )
            })
            .collect(),
    }
    .into_response())
}

// ---- registry discipline ----

#[derive(Template, WebTemplate)]
#[template(path = "registry.html")]
struct RegistryTpl {
    nav: Nav,
    candidates: Vec<app::store::registry::CandidateRow>,
    corrections: Vec<CorrectionView>,
    rule: &'static [&'static str],
    sources: &'static [&'static str],
    notice: Option<String>,
    errors: Vec<FieldError>,
}

pub struct CorrectionView {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub proposed_by: String,
    pub reason: String,
    pub status: &'static str,
    pub note: String,
    pub at: String,
    /// (field label, from, to)
    pub changes: Vec<(String, String, String)>,
}

fn correction_view(c: app::store::registry::CorrectionRow) -> CorrectionView {
    let v: serde_json::Value = serde_json::from_str(&c.changes_json).unwrap_or_default();
    let label = |f: &str| app::registry::CORRECTABLE.iter().find(|(k, _)| *k == f).map(|(_, l)| *l).unwrap_or("其他");
    let text = |x: Option<&serde_json::Value>| x.and_then(|x| x.as_str()).unwrap_or("").to_string();
    CorrectionView {
        id: c.id,
        enterprise_id: c.enterprise_id,
        enterprise_name: c.enterprise_name,
        proposed_by: c.proposed_by_name,
        reason: c.reason,
        status: match c.status.as_str() {
            "approved" => "已通过",
            "rejected" => "已驳回",
            _ => "待审核",
        },
        note: c.review_note,
        at: fmt_time(&c.created_at),
        changes: v
            .as_object()
            .into_iter()
            .flatten()
            .map(|(f, x)| (label(f).to_string(), text(x.get("from")), text(x.get("to"))))
            .collect(),
    }
}

async fn registry_view(s: &AppState, p: &Principal, notice: Option<String>, errors: Vec<FieldError>) -> PageResult {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let t = RegistryTpl {
        nav: Nav::of(p, "registry"),
        candidates: s.app.merge_candidates(p).await?,
        corrections: s.app.pending_corrections(p).await?.into_iter().map(correction_view).collect(),
        rule: domain::registry::CONFLICT_RULE,
        sources: &domain::registry::SOURCE_PRECEDENCE,
        notice,
        errors,
    };
    Ok((status, t).into_response())
}

async fn registry_page(State(s): State<AppState>, u: WebUser) -> PageResult {
    registry_view(&s, &u.p, None, vec![]).await
}

/// The outcome of a review action: a notice, the form's errors, or an error page.
async fn after_action(s: &AppState, p: &Principal, r: Result<(), AppError>, ok: &str) -> PageResult {
    match r {
        Ok(()) => registry_view(s, p, Some(ok.to_string()), vec![]).await,
        Err(AppError::Invalid(f)) => registry_view(s, p, None, f).await,
        Err(e @ (AppError::Conflict(_) | AppError::Stale { .. })) => {
            registry_view(s, p, None, vec![FieldError::new("version", e.user_message())]).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn merge_submit(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let keep = match field(&form, "keep").as_str() {
        "distinct" => None,
        k => Some(
            k.parse::<i64>().map_err(|_| PageError(AppError::invalid("keep", "请选择保留哪一家或确认为不同企业")))?,
        ),
    };
    let r = s.app.decide_merge(&u.p, id, keep).await;
    after_action(&s, &u.p, r, if keep.is_some() { "已合并，两条记录的历史均已保留" } else { "已确认为不同企业" }).await
}

async fn review_submit(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let approve = field(&form, "decision") == "approve";
    let r = s.app.review_correction(&u.p, id, approve, &field(&form, "note")).await;
    after_action(&s, &u.p, r, if approve { "已通过，更正已生效" } else { "已驳回" }).await
}

async fn correction_submit(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    let form = checked_form(&u.p, form)?;
    let proposed: Vec<(String, String)> = app::registry::CORRECTABLE
        .iter()
        .filter_map(|(f, _)| form.get(*f).map(|v| (f.to_string(), v.clone())))
        .collect();
    match s.app.propose_correction(&u.p, id, &proposed, &field(&form, "reason")).await {
        Ok(_) => Ok(Redirect::to(&format!("/enterprises/{id}#corrections")).into_response()),
        Err(AppError::Invalid(f)) => {
            let errors = f.into_iter().map(|f| f.message).collect();
            detail_view(&s, &u.p, id, Some((&form, field(&form, "reason"))), errors, evalrun::EvalMsg::default()).await
        }
        Err(e) => Err(e.into()),
    }
}
