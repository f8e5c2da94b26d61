//! The chain chiefs' work pages 链长制 (issue 7, SPEC F): the quarterly promotion meetings
//! with the agenda the system assembles, minutes, decisions assigned as tasks 交办事项 and
//! the meeting packet (docx, xlsx); the task list and the task page where the assigned unit
//! reports and closes and the organisers supervise 督办; field visits 调研; and the chains'
//! action and annual plans with their progress.
//!
//! Everything comes from `app::meeting` (scope-filtered and refused there). Every form
//! carries the session's CSRF token, redirects after success with a message, and on a
//! refusal shows its page again with the Chinese message and what was typed.

use super::project_page::MsgParams;
use super::projects::code_class;
use super::{
    Nav, Opt, PageError, PageLink, PageResult, XLSX_TYPE, checked_form, download, field, fmt_time, id_of, opts,
};
use crate::AppState;
use crate::auth::WebUser;
use crate::view::urlencode;
use app::AppError;
use app::account::Principal;
use app::meeting::{ITEM_KINDS, MeetingInput, TaskInput, TaskView, VisitInput, item_kind_label};
use app::store::meeting::TaskFilter;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::rejection::{FormRejection, PathRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::Datelike;
use domain::project::Code;
use domain::role::Role;
use serde::Deserialize;
use std::collections::HashMap;

/// Tasks per page of the task list.
const TASKS_PER_PAGE: usize = 50;

const PLAN_KINDS: [(&str, &str); 2] = [("action", "行动方案"), ("annual", "年度工作计划")];
const VISIT_KINDS: [(&str, &str); 2] = [("chief", "链长调研"), ("department", "部门调研")];
const TASK_STATUSES: [(&str, &str); 3] = [("open", "办理中"), ("done", "已办结"), ("cancelled", "已撤销")];
const TASK_CODES: [(&str, &str); 2] = [("red", "红码（逾期）"), ("yellow", "黄码（3 日内到期）")];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/meetings", get(meetings_page).post(create_meeting))
        .route("/meetings/{id}", get(meeting_page))
        .route("/meetings/{id}/agenda", post(edit_agenda))
        .route("/meetings/{id}/minutes", post(record_minutes))
        .route("/meetings/{id}/tasks", post(assign_task))
        .route("/meetings/{id}/packet.docx", get(packet_docx))
        .route("/meetings/{id}/packet.xlsx", get(packet_xlsx))
        .route("/tasks", get(tasks_page))
        .route("/tasks.xlsx", get(tasks_xlsx))
        .route("/tasks/{id}", get(task_page))
        .route("/tasks/{id}/steps", post(task_step))
        .route("/visits", get(visits_page).post(record_visit))
        .route("/visits/{id}/tasks", post(visit_task))
        .route("/plans", get(plans_page).post(add_plan))
        .route("/plans/{id}/progress", post(plan_progress))
}

// ---- shared ----

/// The meetings, visits and plans pages: staff who read chains (the menu's rule).
fn may_use(p: &Principal) -> Result<(), PageError> {
    if app::chainmap::may_read_chains(p) {
        Ok(())
    } else {
        Err(PageError(AppError::Forbidden("链长工作页面仅对融圈强链办、链长、牵头部门和县市区开放".into())))
    }
}

/// The task and plan pages: the same, and responsible units (who see the tasks and plan
/// items assigned to them).
fn may_see_tasks(p: &Principal) -> Result<(), PageError> {
    if app::chainmap::may_read_chains(p) || !p.enterprise_scope.units.is_empty() {
        Ok(())
    } else {
        Err(PageError(AppError::Forbidden("交办事项仅对融圈强链办、链长、牵头部门和责任单位开放".into())))
    }
}

/// Whether `p` may organise some chain's work (office or a lead department): who is shown
/// the forms for meetings, tasks and plans (the app decides per chain).
fn organiser(p: &Principal) -> bool {
    p.has(Role::Office) || p.grants.iter().any(|g| g.role == Role::LeadDept)
}

fn chief_of_any(p: &Principal) -> bool {
    p.grants.iter().any(|g| g.role == Role::Chief)
}

fn not_empty(v: &str) -> Option<&str> {
    Some(v.trim()).filter(|v| !v.is_empty())
}

/// A number typed into a form (0 when it is not one: the app then says what is wrong).
fn num(form: &HashMap<String, String>, k: &str) -> i64 {
    field(form, k).trim().parse().unwrap_or(0)
}

fn version_of(form: &HashMap<String, String>) -> Result<i64, AppError> {
    field(form, "version").trim().parse().map_err(|_| AppError::invalid("version", "缺少版本号，请刷新页面后重试"))
}

fn period(year: i64, quarter: i64) -> String {
    format!("{year}年第{quarter}季度")
}

/// (code, name, lead department) of every chain.
async fn heads(s: &AppState) -> Result<Vec<(String, String, String)>, PageError> {
    Ok(app::store::chain::heads(&s.app.db).await.map_err(AppError::from)?)
}

/// The chains `p` may organise (office: all; a lead department: the chains it leads), or
/// also chair (`chiefs`), as options.
async fn own_chain_opts(s: &AppState, p: &Principal, current: &str, chiefs: bool) -> Result<Vec<Opt>, PageError> {
    let office = p.has(Role::Office);
    let mine = |code: &str, lead: &str| {
        office
            || p.grants.iter().any(|g| {
                (g.role == Role::LeadDept && g.scope.as_deref() == Some(lead))
                    || (chiefs && g.role == Role::Chief && g.scope.as_deref() == Some(code))
            })
    };
    let items = heads(s).await?.into_iter().filter(|(c, _, l)| mine(c, l)).map(|(c, n, _)| (c, n));
    Ok(opts(items, current))
}

/// The units a task may be assigned to, grouped: city departments, then counties and parks.
async fn unit_groups(s: &AppState, current: &str) -> Result<Vec<(&'static str, Vec<Opt>)>, PageError> {
    let deps = s.app.departments().await?.into_iter().map(|d| (d.code, d.name));
    Ok(vec![("市级部门", opts(deps, current)), ("县（市、区）和园区", opts(s.app.filter_regions().await?, current))])
}

/// What a refused form typed, to show it again: the form's name and its values.
#[derive(Default)]
struct Kept {
    form: String,
    values: HashMap<String, String>,
}

impl Kept {
    fn of(form: &str, values: HashMap<String, String>) -> Kept {
        Kept { form: form.into(), values }
    }
    fn get(&self, form: &str, key: &str) -> String {
        if self.form == form { self.values.get(key).cloned().unwrap_or_default() } else { String::new() }
    }
    fn get_or(&self, form: &str, key: &str, default: &str) -> String {
        if self.form == form { self.get(form, key) } else { default.to_string() }
    }
}

/// `kept(form, key)` and `kept_or(form, key, default)` for a template with a `kept` field.
macro_rules! kept_methods {
    ($t:ty) => {
        impl $t {
            fn kept(&self, form: &str, key: &str) -> String {
                self.kept.get(form, key)
            }
            #[allow(dead_code)]
            fn kept_or(&self, form: &str, key: &str, default: &str) -> String {
                self.kept.get_or(form, key, default)
            }
        }
    };
}

/// A form's outcome: on success, redirect to the URL given; on a refusal the user can act on
/// (invalid input, no permission, a conflict, a stale version), the page again with the
/// message and the error's status; anything else as an error page.
async fn reply<F, Fut>(result: Result<String, AppError>, again: F) -> PageResult
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = PageResult>,
{
    match result {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_) | AppError::Stale { .. })) => {
            let mut r = again(e.user_message()).await?;
            *r.status_mut() = crate::error::status_of(&e).0;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

fn msg_of(msg: &str) -> Option<String> {
    not_empty(msg).map(str::to_string)
}

/// A task as listed.
pub struct TaskItem {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub chain: String,
    pub unit: String,
    pub person: String,
    pub due: String,
    pub status: &'static str,
    pub open: bool,
    pub color: &'static str,
    pub color_label: &'static str,
    pub reason: String,
    /// 按期 / 逾期 / empty while undecided.
    pub on_time: &'static str,
    pub done_on: String,
    /// (url, label) of where it came from: a meeting, a visit or a problem.
    pub source: Option<(String, &'static str)>,
}

fn task_item(t: &TaskView) -> TaskItem {
    let r = &t.row;
    let source = if let Some(m) = r.meeting_id {
        Some((format!("/meetings/{m}"), "推进会议"))
    } else if let Some(v) = r.visit_id {
        Some((format!("/visits#visit-{v}"), "调研"))
    } else {
        r.problem_id.map(|p| (format!("/problems/{p}"), "企业问题"))
    };
    TaskItem {
        id: r.id,
        code: r.code.clone(),
        title: r.title.clone(),
        chain: r.chain_name.clone(),
        unit: r.unit_name.clone(),
        person: r.person.clone(),
        due: r.due_on.to_string(),
        status: t.status_label,
        open: r.status == "open",
        color: code_class(t.color),
        color_label: t.color.label(),
        reason: t.color_reason.clone().unwrap_or_default(),
        on_time: match t.on_time {
            Some(true) => "按期",
            Some(false) => "逾期",
            None => "",
        },
        done_on: r.done_on.map(|d| d.to_string()).unwrap_or_default(),
        source,
    }
}

fn rate_text(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into())
}

// ---- meetings ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct MeetingParams {
    chain: String,
    year: String,
    msg: String,
}

pub struct MeetingItem {
    pub id: i64,
    pub title: String,
    pub chain: String,
    pub period: String,
    pub held_on: String,
    pub place: String,
    pub held: bool,
    pub tasks: usize,
    pub open_tasks: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings.html")]
struct MeetingsTpl {
    nav: Nav,
    rows: Vec<MeetingItem>,
    chain_opts: Vec<Opt>,
    year: String,
    may_create: bool,
    form_chain_opts: Vec<Opt>,
    quarter_opts: Vec<Opt>,
    default_year: String,
    error: Option<String>,
    notice: Option<String>,
    kept: Kept,
}
kept_methods!(MeetingsTpl);

async fn render_meetings(
    s: &AppState,
    u: &WebUser,
    q: &MeetingParams,
    mut error: Option<String>,
    notice: Option<String>,
    kept: Kept,
) -> PageResult {
    may_use(&u.p)?;
    let year = year_of(&q.year, &mut error);
    let rows = listed(s.app.meetings(&u.p, not_empty(&q.chain), year).await, &mut error)?;
    let mut counts: HashMap<i64, (usize, usize)> = HashMap::new();
    if !rows.is_empty() {
        for t in s.app.tasks(&u.p, &TaskFilter::default()).await? {
            if let Some(m) = t.row.meeting_id {
                let c = counts.entry(m).or_default();
                c.0 += 1;
                c.1 += usize::from(t.row.status == "open");
            }
        }
    }
    let today = s.app.today();
    let rows = rows
        .into_iter()
        .map(|m| {
            let (tasks, open_tasks) = counts.get(&m.id).copied().unwrap_or_default();
            MeetingItem {
                id: m.id,
                title: m.title,
                chain: m.chain_name,
                period: period(m.year, m.quarter),
                held_on: m.held_on.to_string(),
                place: m.place,
                held: m.status == "held",
                tasks,
                open_tasks,
            }
        })
        .collect();
    let may_create = organiser(&u.p);
    let quarter_now = (today.month0() / 3 + 1).to_string();
    let quarter = kept.get_or("meeting", "quarter", &quarter_now);
    let t = MeetingsTpl {
        nav: Nav::of(&u.p, "meetings"),
        rows,
        chain_opts: opts(s.app.chain_options().await?, q.chain.trim()),
        year: q.year.trim().to_string(),
        may_create,
        form_chain_opts: if may_create {
            own_chain_opts(s, &u.p, &kept.get_or("meeting", "chain", q.chain.trim()), false).await?
        } else {
            vec![]
        },
        quarter_opts: opts((1..=4).map(|n| (n.to_string(), format!("第{n}季度"))), &quarter),
        default_year: today.year().to_string(),
        error: error.clone(),
        notice,
        kept,
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok((status, t).into_response())
}

async fn meetings_page(State(s): State<AppState>, u: WebUser, Query(q): Query<MeetingParams>) -> PageResult {
    let notice = msg_of(&q.msg);
    render_meetings(&s, &u, &q, None, notice, Kept::default()).await
}

async fn create_meeting(
    State(s): State<AppState>,
    u: WebUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    may_use(&u.p)?;
    let form = checked_form(&u.p, form)?;
    let input = MeetingInput {
        chain: field(&form, "chain"),
        year: num(&form, "year"),
        quarter: num(&form, "quarter"),
        held_on: field(&form, "held_on"),
        place: field(&form, "place"),
        attendees: field(&form, "attendees"),
    };
    let result = async {
        let id = s.app.create_meeting(&u.p, &input).await?;
        let items = s.app.meeting(&u.p, id).await?.items.len();
        let msg = format!("会议已创建，系统已按本链情况生成议程 {items} 项，可在下方调整");
        Ok(format!("/meetings/{id}?msg={}#agenda", urlencode(&msg)))
    }
    .await;
    let q = MeetingParams::default();
    reply(result, |e| render_meetings(&s, &u, &q, Some(e), None, Kept::of("meeting", form))).await
}

pub struct ItemView {
    pub seq: i64,
    pub kind: &'static str,
    pub title: String,
    pub note: String,
    pub url: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "meeting.html")]
struct MeetingTpl {
    nav: Nav,
    id: i64,
    version: i64,
    title: String,
    doc_no: String,
    chain: String,
    chain_code: String,
    period: String,
    held_on: String,
    place: String,
    attendees: String,
    minutes: String,
    held: bool,
    /// The meeting's date is still ahead (minutes are refused until then).
    ahead: bool,
    items: Vec<ItemView>,
    /// The agenda as the editor shows it: one `kind|title|note` line per item.
    agenda_text: String,
    kinds: String,
    tasks: Vec<TaskItem>,
    on_time: String,
    open_tasks: usize,
    may_edit: bool,
    unit_groups: Vec<(&'static str, Vec<Opt>)>,
    today: String,
    error: Option<String>,
    notice: Option<String>,
    kept: Kept,
}
kept_methods!(MeetingTpl);

async fn render_meeting(
    s: &AppState,
    u: &WebUser,
    id: i64,
    error: Option<String>,
    notice: Option<String>,
    kept: Kept,
) -> PageResult {
    may_use(&u.p)?;
    let d = s.app.meeting(&u.p, id).await?;
    let today = s.app.today();
    let m = &d.meeting;
    let items = d
        .items
        .iter()
        .map(|i| ItemView {
            seq: i.seq,
            kind: item_kind_label(&i.kind),
            title: i.title.clone(),
            note: i.note.clone(),
            url: i.ref_id.and_then(|r| match i.kind.as_str() {
                "problem" => Some(format!("/problems/{r}")),
                "project" => Some(format!("/projects/{r}")),
                "task" => Some(format!("/tasks/{r}")),
                _ => None,
            }),
        })
        .collect();
    let agenda_text = d
        .items
        .iter()
        .map(|i| {
            let kind = item_kind_label(&i.kind);
            if i.note.is_empty() { format!("{kind}|{}", i.title) } else { format!("{kind}|{}|{}", i.title, i.note) }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let unit = kept.get("task", "unit");
    let t = MeetingTpl {
        nav: Nav::of(&u.p, "meetings"),
        id,
        version: m.version,
        title: m.title.clone(),
        doc_no: m.doc_no.clone(),
        chain: m.chain_name.clone(),
        chain_code: m.chain_code.clone(),
        period: period(m.year, m.quarter),
        held_on: m.held_on.to_string(),
        place: m.place.clone(),
        attendees: m.attendees.clone(),
        minutes: m.minutes.clone(),
        held: m.status == "held",
        ahead: m.held_on > today,
        items,
        agenda_text,
        kinds: ITEM_KINDS.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("、"),
        tasks: d.tasks.iter().map(task_item).collect(),
        on_time: rate_text(d.on_time_rate),
        open_tasks: d.tasks.iter().filter(|t| t.row.status == "open").count(),
        may_edit: d.may_edit,
        unit_groups: if d.may_edit { unit_groups(s, &unit).await? } else { vec![] },
        today: today.to_string(),
        error,
        notice,
        kept,
    };
    Ok(t.into_response())
}

async fn meeting_page(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    Query(q): Query<MsgParams>,
) -> PageResult {
    let id = id_of(id)?;
    render_meeting(&s, &u, id, None, msg_of(&q.msg), Kept::default()).await
}

fn to_meeting(id: i64, msg: &str, anchor: &str) -> String {
    format!("/meetings/{id}?msg={}{anchor}", urlencode(msg))
}

async fn edit_agenda(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    may_use(&u.p)?;
    let form = checked_form(&u.p, form)?;
    let reassemble = field(&form, "action") == "reassemble";
    let result = async {
        let version = version_of(&form)?;
        s.app.edit_agenda(&u.p, id, version, &field(&form, "items"), reassemble).await?;
        let n = s.app.meeting(&u.p, id).await?.items.len();
        let msg = if reassemble {
            format!("已按系统重新生成议程，共 {n} 项")
        } else {
            format!("议程已保存，共 {n} 项")
        };
        Ok(to_meeting(id, &msg, "#agenda"))
    }
    .await;
    let kept = if reassemble { Kept::default() } else { Kept::of("agenda", form) };
    reply(result, |e| render_meeting(&s, &u, id, Some(e), None, kept)).await
}

async fn record_minutes(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    may_use(&u.p)?;
    let form = checked_form(&u.p, form)?;
    let result = async {
        let version = version_of(&form)?;
        s.app.record_minutes(&u.p, id, version, &field(&form, "attendees"), &field(&form, "minutes")).await?;
        Ok(to_meeting(id, "会议纪要已保存，会议标记为已召开", "#minutes"))
    }
    .await;
    reply(result, |e| render_meeting(&s, &u, id, Some(e), None, Kept::of("minutes", form))).await
}

fn task_input(form: &HashMap<String, String>) -> TaskInput {
    TaskInput {
        title: field(form, "title"),
        decision: field(form, "decision"),
        unit: field(form, "unit"),
        person: field(form, "person"),
        due_on: field(form, "due_on"),
        evidence: field(form, "evidence"),
        ..Default::default()
    }
}

fn assigned_msg(moved: Option<String>) -> String {
    match moved {
        Some(note) => format!("事项已交办。办理期限 {note}"),
        None => "事项已交办".to_string(),
    }
}

async fn assign_task(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    may_use(&u.p)?;
    let form = checked_form(&u.p, form)?;
    let input = TaskInput { meeting_id: Some(id), ..task_input(&form) };
    let result = async {
        let (_, moved) = s.app.assign_task(&u.p, &input).await?;
        Ok(to_meeting(id, &assigned_msg(moved), "#tasks"))
    }
    .await;
    reply(result, |e| render_meeting(&s, &u, id, Some(e), None, Kept::of("task", form))).await
}

async fn packet_docx(State(s): State<AppState>, u: WebUser, id: Result<Path<i64>, PathRejection>) -> PageResult {
    let id = id_of(id)?;
    may_use(&u.p)?;
    let (name, bytes) = s.app.meeting_packet_docx(&u.p, id).await?;
    Ok(download(office::DOCX_TYPE, &name, bytes))
}

async fn packet_xlsx(State(s): State<AppState>, u: WebUser, id: Result<Path<i64>, PathRejection>) -> PageResult {
    let id = id_of(id)?;
    may_use(&u.p)?;
    let (name, bytes) = s.app.meeting_packet_xlsx(&u.p, id).await?;
    Ok(download(XLSX_TYPE, &name, bytes))
}

// ---- tasks ----

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct TaskParams {
    chain: String,
    status: String,
    unit: String,
    code: String,
    q: String,
    page: String,
    msg: String,
}

impl TaskParams {
    fn pairs(&self) -> [(&'static str, &str); 5] {
        [("chain", &self.chain), ("status", &self.status), ("unit", &self.unit), ("code", &self.code), ("q", &self.q)]
    }

    /// The filters as a query string (no page, no message).
    fn query(&self) -> String {
        self.pairs()
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn page_url(&self, page: usize) -> String {
        let q = self.query();
        let sep = if q.is_empty() { "" } else { "&" };
        format!("/tasks?{q}{sep}page={page}")
    }
}

/// The tasks the filters select, or the message saying which filter is wrong.
async fn filtered_tasks(s: &AppState, p: &Principal, q: &TaskParams) -> Result<Vec<TaskView>, PageError> {
    let chain_id = match not_empty(&q.chain) {
        Some(c) => Some(
            app::store::chain::id_by_code(&s.app.db, c)
                .await
                .map_err(AppError::from)?
                .ok_or_else(|| AppError::invalid("chain", format!("没有编码为“{c}”的产业链")))?,
        ),
        None => None,
    };
    let status = not_empty(&q.status).map(str::to_string);
    if let Some(st) = &status
        && !TASK_STATUSES.iter().any(|(c, _)| c == st)
    {
        return Err(PageError(AppError::invalid("status", "状态应为办理中、已办结或已撤销")));
    }
    let code = match not_empty(&q.code) {
        None => None,
        Some("red") => Some(Code::Red),
        Some("yellow") => Some(Code::Yellow),
        Some(_) => return Err(PageError(AppError::invalid("code", "赋码应为红码或黄码"))),
    };
    let f = TaskFilter { chain_id, unit: not_empty(&q.unit).map(str::to_string), status, ..Default::default() };
    let words = q.q.trim().to_lowercase();
    Ok(s.app
        .tasks(p, &f)
        .await?
        .into_iter()
        .filter(|t| code.is_none_or(|c| t.color == c))
        .filter(|t| {
            let r = &t.row;
            words.is_empty()
                || [&r.code, &r.title, &r.person, &r.decision, &r.unit_name]
                    .iter()
                    .any(|x| x.to_lowercase().contains(&words))
        })
        .collect())
}

#[derive(Template, WebTemplate)]
#[template(path = "tasks.html")]
struct TasksTpl {
    nav: Nav,
    rows: Vec<TaskItem>,
    total: usize,
    open: usize,
    red: usize,
    yellow: usize,
    done: usize,
    page: usize,
    pages: usize,
    links: Vec<PageLink>,
    chain_opts: Vec<Opt>,
    status_opts: Vec<Opt>,
    unit_groups: Vec<(&'static str, Vec<Opt>)>,
    code_opts: Vec<Opt>,
    q: String,
    query: String,
    error: Option<String>,
    notice: Option<String>,
}

async fn tasks_page(State(s): State<AppState>, u: WebUser, Query(q): Query<TaskParams>) -> PageResult {
    may_see_tasks(&u.p)?;
    let (all, error) = match filtered_tasks(&s, &u.p, &q).await {
        Ok(v) => (v, None),
        Err(PageError(e @ AppError::Invalid(_))) => (vec![], Some(e.user_message())),
        Err(e) => return Err(e),
    };
    let total = all.len();
    let pages = total.div_ceil(TASKS_PER_PAGE).max(1);
    let page = q.page.trim().parse::<usize>().unwrap_or(1).clamp(1, pages);
    let mut links = Vec::new();
    if pages > 1 {
        if page > 1 {
            links.push(PageLink { label: "上一页".into(), url: q.page_url(page - 1), current: false });
        }
        for p in page.saturating_sub(3).max(1)..=(page + 3).min(pages) {
            links.push(PageLink { label: p.to_string(), url: q.page_url(p), current: p == page });
        }
        if page < pages {
            links.push(PageLink { label: "下一页".into(), url: q.page_url(page + 1), current: false });
        }
    }
    let open = all.iter().filter(|t| t.row.status == "open").count();
    let red = all.iter().filter(|t| t.color == Code::Red).count();
    let yellow = all.iter().filter(|t| t.color == Code::Yellow).count();
    let done = all.iter().filter(|t| t.row.status == "done").count();
    let rows = all.iter().skip((page - 1) * TASKS_PER_PAGE).take(TASKS_PER_PAGE).map(task_item).collect();
    let pairs = |list: &[(&str, &str)]| list.iter().map(|(c, l)| (c.to_string(), l.to_string())).collect::<Vec<_>>();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let t = TasksTpl {
        nav: Nav::of(&u.p, "tasks"),
        rows,
        total,
        open,
        red,
        yellow,
        done,
        page,
        pages,
        links,
        chain_opts: opts(s.app.chain_options().await?, q.chain.trim()),
        status_opts: opts(pairs(&TASK_STATUSES), q.status.trim()),
        unit_groups: unit_groups(&s, q.unit.trim()).await?,
        code_opts: opts(pairs(&TASK_CODES), q.code.trim()),
        q: q.q.trim().to_string(),
        query: q.query(),
        error,
        notice: msg_of(&q.msg),
    };
    Ok((status, t).into_response())
}

/// The filtered task list as .xlsx (every page).
async fn tasks_xlsx(State(s): State<AppState>, u: WebUser, Query(q): Query<TaskParams>) -> PageResult {
    use office::{CellOut, SheetOut};
    may_see_tasks(&u.p)?;
    let all = filtered_tasks(&s, &u.p, &q).await?;
    let text = |s: &str| CellOut::Text(s.to_string());
    let sheet = SheetOut {
        name: "交办事项".into(),
        headers: [
            "编号",
            "产业链",
            "交办事项",
            "会议决定",
            "责任单位",
            "责任人",
            "办理期限",
            "完成佐证",
            "状态",
            "赋码",
            "赋码原因",
            "办结日期",
            "办结情况",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect(),
        rows: all
            .iter()
            .map(|t| {
                let r = &t.row;
                vec![
                    text(&r.code),
                    text(&r.chain_name),
                    text(&r.title),
                    text(&r.decision),
                    text(&r.unit_name),
                    text(&r.person),
                    CellOut::Text(r.due_on.to_string()),
                    text(&r.evidence),
                    text(t.status_label),
                    text(if r.status == "open" { t.color.label() } else { "" }),
                    text(t.color_reason.as_deref().unwrap_or("")),
                    CellOut::Text(r.done_on.map(|d| d.to_string()).unwrap_or_default()),
                    text(&r.result),
                ]
            })
            .collect(),
    };
    let bytes = office::write_xlsx_sheets(vec![sheet]).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(XLSX_TYPE, "交办事项.xlsx", bytes))
}

pub struct ReportItem {
    pub kind: &'static str,
    pub class: &'static str,
    pub text: String,
    pub by: String,
    pub at: String,
}

fn report_kind(k: &str) -> (&'static str, &'static str) {
    match k {
        "progress" => ("进展", ""),
        "done" => ("办结", "stage"),
        "supervision" => ("督办", "warn"),
        "cancel" => ("撤销", "warn"),
        _ => ("记录", ""),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "task.html")]
struct TaskTpl {
    nav: Nav,
    t: TaskItem,
    version: i64,
    decision: String,
    evidence: String,
    result: String,
    created: String,
    reports: Vec<ReportItem>,
    assigned: bool,
    organises: bool,
    error: Option<String>,
    notice: Option<String>,
    kept: Kept,
}
kept_methods!(TaskTpl);

async fn render_task(
    s: &AppState,
    u: &WebUser,
    id: i64,
    error: Option<String>,
    notice: Option<String>,
    kept: Kept,
) -> PageResult {
    may_see_tasks(&u.p)?;
    let (t, reports, assigned, organises) = s.app.task(&u.p, id).await?;
    let r = &t.row;
    let view = TaskTpl {
        nav: Nav::of(&u.p, "tasks"),
        version: r.version,
        decision: r.decision.clone(),
        evidence: r.evidence.clone(),
        result: r.result.clone(),
        created: fmt_time(&r.created_at),
        reports: reports
            .iter()
            .map(|x| {
                let (kind, class) = report_kind(&x.kind);
                ReportItem {
                    kind,
                    class,
                    text: x.text.clone(),
                    by: x.account_name.clone().unwrap_or_else(|| "系统".into()),
                    at: fmt_time(&x.at),
                }
            })
            .collect(),
        assigned,
        organises,
        t: task_item(&t),
        error,
        notice,
        kept,
    };
    Ok(view.into_response())
}

async fn task_page(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    Query(q): Query<MsgParams>,
) -> PageResult {
    let id = id_of(id)?;
    render_task(&s, &u, id, None, msg_of(&q.msg), Kept::default()).await
}

async fn task_step(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    may_see_tasks(&u.p)?;
    let form = checked_form(&u.p, form)?;
    let kind = field(&form, "kind");
    let result = async {
        let version = version_of(&form)?;
        s.app.task_step(&u.p, id, version, &kind, &field(&form, "text")).await?;
        let msg = match kind.as_str() {
            "progress" => "进展已报送",
            "done" => "事项已办结",
            "supervision" => "督办意见已下达",
            _ => "事项已撤销",
        };
        Ok(format!("/tasks/{id}?msg={}#reports", urlencode(msg)))
    }
    .await;
    let kept = Kept::of(&kind, form);
    reply(result, |e| render_task(&s, &u, id, Some(e), None, kept)).await
}

// ---- visits ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct VisitParams {
    chain: String,
    msg: String,
}

pub struct VisitItem {
    pub id: i64,
    pub code: String,
    pub date: String,
    pub chain: String,
    pub visitor: String,
    pub kind: &'static str,
    pub places: String,
    pub findings: String,
    /// The form name of its 交办 form.
    pub form: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "visits.html")]
struct VisitsTpl {
    nav: Nav,
    rows: Vec<VisitItem>,
    chain_opts: Vec<Opt>,
    chain: String,
    may_record: bool,
    form_chain_opts: Vec<Opt>,
    kind_opts: Vec<Opt>,
    may_assign: bool,
    unit_groups: Vec<(&'static str, Vec<Opt>)>,
    today: String,
    error: Option<String>,
    notice: Option<String>,
    kept: Kept,
}
kept_methods!(VisitsTpl);

async fn render_visits(
    s: &AppState,
    u: &WebUser,
    chain: &str,
    mut error: Option<String>,
    notice: Option<String>,
    kept: Kept,
) -> PageResult {
    may_use(&u.p)?;
    let rows = match s.app.visits(&u.p, not_empty(chain)).await {
        Ok(r) => r,
        Err(e @ AppError::Invalid(_)) => {
            error.get_or_insert_with(|| e.user_message());
            vec![]
        }
        Err(e) => return Err(e.into()),
    };
    let rows = rows
        .into_iter()
        .map(|v| VisitItem {
            form: format!("visit-{}", v.id),
            id: v.id,
            code: v.code,
            date: v.visited_on.to_string(),
            chain: v.chain_name,
            visitor: v.visitor,
            kind: VISIT_KINDS.iter().find(|(c, _)| *c == v.kind).map(|(_, l)| *l).unwrap_or("调研"),
            places: v.places,
            findings: v.findings,
        })
        .collect();
    let may_record = organiser(&u.p) || chief_of_any(&u.p);
    let may_assign = organiser(&u.p);
    let kind = kept.get_or("visit", "kind", "chief");
    let unit = kept.values.get("unit").cloned().unwrap_or_default();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let t = VisitsTpl {
        nav: Nav::of(&u.p, "meetings"),
        rows,
        chain_opts: opts(s.app.chain_options().await?, chain.trim()),
        chain: chain.trim().to_string(),
        may_record,
        form_chain_opts: if may_record {
            own_chain_opts(s, &u.p, &kept.get_or("visit", "chain", chain.trim()), true).await?
        } else {
            vec![]
        },
        kind_opts: opts(VISIT_KINDS.iter().map(|(c, l)| (c.to_string(), l.to_string())), &kind),
        may_assign,
        unit_groups: if may_assign { unit_groups(s, &unit).await? } else { vec![] },
        today: s.app.today().to_string(),
        error,
        notice,
        kept,
    };
    Ok((status, t).into_response())
}

fn to_visits(chain: &str, msg: &str, anchor: &str) -> String {
    let chain = match not_empty(chain) {
        Some(c) => format!("chain={}&", urlencode(c)),
        None => String::new(),
    };
    format!("/visits?{chain}msg={}{anchor}", urlencode(msg))
}

async fn visits_page(State(s): State<AppState>, u: WebUser, Query(q): Query<VisitParams>) -> PageResult {
    render_visits(&s, &u, &q.chain, None, msg_of(&q.msg), Kept::default()).await
}

async fn record_visit(
    State(s): State<AppState>,
    u: WebUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    may_use(&u.p)?;
    let form = checked_form(&u.p, form)?;
    let input = VisitInput {
        chain: field(&form, "chain"),
        visitor: field(&form, "visitor"),
        kind: field(&form, "kind"),
        visited_on: field(&form, "visited_on"),
        places: field(&form, "places"),
        findings: field(&form, "findings"),
    };
    let back = field(&form, "f_chain");
    let result = async {
        let id = s.app.record_visit(&u.p, &input).await?;
        Ok(to_visits(&back, "调研已登记", &format!("#visit-{id}")))
    }
    .await;
    reply(result, |e| render_visits(&s, &u, &back, Some(e), None, Kept::of("visit", form))).await
}

/// A visit's finding assigned as a task.
async fn visit_task(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    may_use(&u.p)?;
    let form = checked_form(&u.p, form)?;
    let back = field(&form, "f_chain");
    let result = async {
        let visit = s.app.visits(&u.p, None).await?.into_iter().find(|v| v.id == id).ok_or(AppError::NotFound)?;
        let input = TaskInput { chain: visit.chain_name, visit_id: Some(id), ..task_input(&form) };
        let (tid, moved) = s.app.assign_task(&u.p, &input).await?;
        Ok(format!("/tasks/{tid}?msg={}", urlencode(&assigned_msg(moved))))
    }
    .await;
    reply(result, |e| render_visits(&s, &u, &back, Some(e), None, Kept::of(&format!("visit-{id}"), form))).await
}

// ---- plans ----

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlanParams {
    chain: String,
    year: String,
    msg: String,
}

pub struct PlanItemView {
    pub id: i64,
    pub seq: i64,
    pub title: String,
    pub unit: String,
    pub due: String,
    pub done: bool,
    pub overdue: bool,
    pub progress: String,
    pub version: i64,
    pub may_progress: bool,
    pub form: String,
}

pub struct PlanGroup {
    pub chain: String,
    pub kind: &'static str,
    pub year: i64,
    pub done: usize,
    pub items: Vec<PlanItemView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "plans.html")]
struct PlansTpl {
    nav: Nav,
    groups: Vec<PlanGroup>,
    total: usize,
    chain_opts: Vec<Opt>,
    chain: String,
    year: String,
    may_add: bool,
    form_chain_opts: Vec<Opt>,
    kind_opts: Vec<Opt>,
    dept_opts: Vec<Opt>,
    default_year: String,
    error: Option<String>,
    notice: Option<String>,
    kept: Kept,
}
kept_methods!(PlansTpl);

async fn render_plans(
    s: &AppState,
    u: &WebUser,
    q: &PlanParams,
    mut error: Option<String>,
    notice: Option<String>,
    kept: Kept,
) -> PageResult {
    may_see_tasks(&u.p)?;
    let year = year_of(&q.year, &mut error);
    let rows = listed(s.app.plan_items(&u.p, not_empty(&q.chain), year).await, &mut error)?;
    let leads: HashMap<String, String> = heads(s).await?.into_iter().map(|(_, n, l)| (n, l)).collect();
    let office = u.p.has(Role::Office);
    let today = s.app.today();
    let total = rows.len();
    let mut groups: Vec<PlanGroup> = Vec::new();
    for r in rows {
        let kind = PLAN_KINDS.iter().find(|(c, _)| *c == r.kind).map(|(_, l)| *l).unwrap_or("计划");
        let lead = leads.get(&r.chain_name).map(String::as_str);
        let may_progress = office
            || u.p.grants.iter().any(|g| {
                let sc = g.scope.as_deref();
                (g.role == Role::LeadDept && sc.is_some() && sc == lead) || sc == Some(r.unit_code.as_str())
            });
        let done = r.status == "done";
        let item = PlanItemView {
            form: format!("plan-{}", r.id),
            id: r.id,
            seq: r.seq,
            title: r.title,
            unit: r.unit_name,
            due: r.due_on.to_string(),
            done,
            overdue: !done && r.due_on < today,
            progress: r.progress,
            version: r.version,
            may_progress,
        };
        match groups.last_mut() {
            Some(g) if g.chain == r.chain_name && g.kind == kind && g.year == r.year => {
                g.done += usize::from(done);
                g.items.push(item);
            }
            _ => groups.push(PlanGroup {
                chain: r.chain_name,
                kind,
                year: r.year,
                done: usize::from(done),
                items: vec![item],
            }),
        }
    }
    let may_add = organiser(&u.p);
    let kind = kept.get_or("plan", "kind", "annual");
    let dept = kept.get("plan", "unit");
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let t = PlansTpl {
        nav: Nav::of(&u.p, "plans"),
        groups,
        total,
        chain_opts: opts(s.app.chain_options().await?, q.chain.trim()),
        chain: q.chain.trim().to_string(),
        year: q.year.trim().to_string(),
        may_add,
        form_chain_opts: if may_add {
            own_chain_opts(s, &u.p, &kept.get_or("plan", "chain", q.chain.trim()), false).await?
        } else {
            vec![]
        },
        kind_opts: opts(PLAN_KINDS.iter().map(|(c, l)| (c.to_string(), l.to_string())), &kind),
        dept_opts: opts(s.app.departments().await?.into_iter().map(|d| (d.code, d.name)), &dept),
        default_year: today.year().to_string(),
        error,
        notice,
        kept,
    };
    Ok((status, t).into_response())
}

async fn plans_page(State(s): State<AppState>, u: WebUser, Query(q): Query<PlanParams>) -> PageResult {
    let notice = msg_of(&q.msg);
    render_plans(&s, &u, &q, None, notice, Kept::default()).await
}

/// The plans page with the filters a form carried back (`f_chain`, `f_year`).
fn plan_filters(form: &HashMap<String, String>) -> PlanParams {
    PlanParams { chain: field(form, "f_chain"), year: field(form, "f_year"), msg: String::new() }
}

fn to_plans(q: &PlanParams, msg: &str, anchor: &str) -> String {
    let mut parts: Vec<String> = [("chain", &q.chain), ("year", &q.year)]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", urlencode(v.trim())))
        .collect();
    parts.push(format!("msg={}", urlencode(msg)));
    format!("/plans?{}{anchor}", parts.join("&"))
}

async fn add_plan(
    State(s): State<AppState>,
    u: WebUser,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    may_use(&u.p)?;
    let form = checked_form(&u.p, form)?;
    let back = plan_filters(&form);
    let result = async {
        let id = s
            .app
            .add_plan_item(
                &u.p,
                &field(&form, "chain"),
                &field(&form, "kind"),
                num(&form, "year"),
                &field(&form, "title"),
                &field(&form, "unit"),
                &field(&form, "due_on"),
            )
            .await?;
        Ok(to_plans(&back, "计划事项已添加", &format!("#plan-{id}")))
    }
    .await;
    reply(result, |e| render_plans(&s, &u, &back, Some(e), None, Kept::of("plan", form))).await
}

async fn plan_progress(
    State(s): State<AppState>,
    u: WebUser,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> PageResult {
    let id = id_of(id)?;
    may_see_tasks(&u.p)?;
    let form = checked_form(&u.p, form)?;
    let back = plan_filters(&form);
    let done = !field(&form, "done").is_empty();
    let result = async {
        let version = version_of(&form)?;
        s.app.plan_progress(&u.p, id, version, &field(&form, "progress"), done).await?;
        let msg = if done { "进展已填报，事项标记为已完成" } else { "进展已填报" };
        Ok(to_plans(&back, msg, &format!("#plan-{id}")))
    }
    .await;
    reply(result, |e| render_plans(&s, &u, &back, Some(e), None, Kept::of(&format!("plan-{id}"), form))).await
}

/// The year typed in a filter, or a message in `error` when it is not a number.
fn year_of(y: &str, error: &mut Option<String>) -> Option<i64> {
    let y = not_empty(y)?;
    match y.parse::<i64>() {
        Ok(y) => Some(y),
        Err(_) => {
            error.get_or_insert_with(|| format!("年度应为四位数字（如 2026），收到“{y}”"));
            None
        }
    }
}

/// A list read under the page's filters: a refused filter (an unknown chain) becomes the
/// page's message over an empty list; anything else stays an error.
fn listed<T>(r: Result<Vec<T>, AppError>, error: &mut Option<String>) -> Result<Vec<T>, PageError> {
    match r {
        Ok(r) => Ok(r),
        Err(e @ AppError::Invalid(_)) => {
            error.get_or_insert_with(|| e.user_message());
            Ok(vec![])
        }
        Err(e) => Err(e.into()),
    }
}
