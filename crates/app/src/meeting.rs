//! The chain chiefs' work 链长制 (issue 7, SPEC F): visits 调研 with findings that become
//! problems or tasks, quarterly promotion meetings whose agenda the system assembles
//! (escalated and chain-wide problems, coded projects, tasks due, decisions pending),
//! minutes and decisions that become assigned tasks 交办事项 supervised 督办 to closure,
//! the meeting packet (docx in official-document style, and xlsx), and the chains' plans.
//!
//! Who may do what: the office and the chain's lead department organise (visits, meetings,
//! agendas, minutes, tasks, plans); the chain's chiefs read and record visits and decisions;
//! the assigned unit reports progress and closes its task; everyone reads through the
//! storage scope.

use crate::account::Principal;
use crate::error::FieldError;
use crate::{App, AppError, Result, audit_entry};
use chrono::{Datelike, NaiveDate};
use domain::problem::{Category, Level, Status};
use domain::project::Code;
use domain::role::Role;
use serde::{Deserialize, Serialize};
use store::meeting::{self as sm, ItemRow, MeetingRow, TaskRow};
use store::problem as spr;

/// An agenda item's kinds, with labels.
pub const ITEM_KINDS: [(&str, &str); 6] = [
    ("problem", "企业问题"),
    ("group", "链级共性问题"),
    ("project", "重点项目"),
    ("task", "交办事项"),
    ("policy", "政策草案"),
    ("other", "其他事项"),
];

pub fn item_kind_label(k: &str) -> &'static str {
    ITEM_KINDS.iter().find(|(c, _)| *c == k).map(|(_, l)| *l).unwrap_or("其他事项")
}

/// A task's status label.
pub fn task_status_label(s: &str) -> &'static str {
    match s {
        "open" => "办理中",
        "done" => "已办结",
        "cancelled" => "已撤销",
        _ => "—",
    }
}

/// A meeting as the organiser types it.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MeetingInput {
    pub chain: String,
    pub year: i64,
    pub quarter: i64,
    pub held_on: String,
    pub place: String,
    pub attendees: String,
}

/// A task as assigned.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct TaskInput {
    pub chain: String,
    pub meeting_id: Option<i64>,
    pub visit_id: Option<i64>,
    pub problem_id: Option<i64>,
    pub decision: String,
    pub title: String,
    pub unit: String,
    pub person: String,
    pub due_on: String,
    pub evidence: String,
}

/// A visit as recorded.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct VisitInput {
    pub chain: String,
    pub visitor: String,
    /// chief or department.
    pub kind: String,
    pub visited_on: String,
    pub places: String,
    pub findings: String,
}

/// A task with its code today.
#[derive(Clone, Debug, Serialize)]
pub struct TaskView {
    #[serde(flatten)]
    pub row: TaskRow,
    pub status_label: &'static str,
    pub color: Code,
    pub color_reason: Option<String>,
    /// Closed by its deadline.
    pub on_time: Option<bool>,
}

/// A meeting with its agenda, tasks and the share of its decisions closed on time.
#[derive(Clone, Debug, Serialize)]
pub struct MeetingDetail {
    pub meeting: MeetingRow,
    pub items: Vec<ItemRow>,
    pub tasks: Vec<TaskView>,
    /// Tasks closed by their deadline among the meeting's tasks whose deadline has passed
    /// or that are closed (per cent): the plan's "no meeting-only attention".
    pub on_time_rate: Option<f64>,
    pub may_edit: bool,
}

/// The code of a task today: red past its deadline, yellow within 3 days of it.
pub fn task_code(t: &TaskRow, today: NaiveDate) -> (Code, Option<String>) {
    if t.status != "open" {
        return (Code::Green, None);
    }
    let left = (t.due_on - today).num_days();
    if left < 0 {
        (Code::Red, Some(format!("办理期限 {}，已逾期 {} 天", t.due_on, -left)))
    } else if left <= 3 {
        (Code::Yellow, Some(format!("办理期限 {}，仅剩 {left} 天", t.due_on)))
    } else {
        (Code::Green, None)
    }
}

fn task_view(t: TaskRow, today: NaiveDate) -> TaskView {
    let (color, reason) = task_code(&t, today);
    let on_time = match (t.status.as_str(), t.done_on) {
        ("done", Some(d)) => Some(d <= t.due_on),
        ("open", _) if t.due_on < today => Some(false),
        _ => None,
    };
    TaskView { status_label: task_status_label(&t.status), color, color_reason: reason, on_time, row: t }
}

/// Share (per cent) of tasks closed on time among those decided (closed or past deadline).
pub fn on_time_rate(tasks: &[TaskView]) -> Option<f64> {
    let decided: Vec<bool> = tasks.iter().filter_map(|t| t.on_time).collect();
    (!decided.is_empty()).then(|| decided.iter().filter(|x| **x).count() as f64 * 100.0 / decided.len() as f64)
}

/// The first and last day of a quarter.
fn quarter_span(year: i64, quarter: i64) -> Option<(NaiveDate, NaiveDate)> {
    let m0 = ((quarter - 1) * 3 + 1) as u32;
    let start = NaiveDate::from_ymd_opt(year as i32, m0, 1)?;
    let next = if quarter == 4 {
        NaiveDate::from_ymd_opt(year as i32 + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year as i32, m0 + 3, 1)?
    };
    Some((start, next.pred_opt()?))
}

impl App {
    /// The chain by code and whether `p` organises its work (office or its lead department).
    async fn chain_of(&self, code: &str) -> Result<(i64, String, String)> {
        let code = code.trim();
        let heads = store::chain::heads(&self.db).await?;
        let (c, _, lead) = heads
            .into_iter()
            .find(|(c, n, _)| c == code || n == code)
            .ok_or_else(|| AppError::invalid("chain", format!("没有产业链“{code}”")))?;
        let id = store::chain::id_by_code(&self.db, &c).await?.ok_or(AppError::NotFound)?;
        Ok((id, c, lead))
    }

    fn organises(p: &Principal, lead: &str) -> bool {
        p.has(Role::Office) || p.grants.iter().any(|g| g.role == Role::LeadDept && g.scope.as_deref() == Some(lead))
    }

    fn is_chief_of(p: &Principal, chain_code: &str) -> bool {
        p.grants.iter().any(|g| g.role == Role::Chief && g.scope.as_deref() == Some(chain_code))
    }

    /// The deadline a person typed, moved to the next working day when it is a holiday
    /// or a weekend; the note says so.
    async fn workday_deadline(&self, field: &str, typed: &str) -> Result<(NaiveDate, Option<String>)> {
        let d = office::parse_date(typed).map_err(|e| AppError::invalid(field, format!("期限：{e}")))?;
        let today = self.today();
        if d < today {
            return Err(AppError::invalid(field, "期限不能早于今天"));
        }
        if (d - today).num_days() > 3 * 366 {
            return Err(AppError::invalid(field, format!("期限 {d} 超过三年")));
        }
        let cal = self.work_calendar().await?;
        Ok(cal.adjust_to_workday(d))
    }

    // ---- visits ----

    pub async fn record_visit(&self, p: &Principal, v: &VisitInput) -> Result<i64> {
        let (chain_id, chain_code, lead) = self.chain_of(&v.chain).await?;
        if !Self::organises(p, &lead) && !Self::is_chief_of(p, &chain_code) {
            return Err(AppError::Forbidden("只有融圈强链办、该链牵头部门或链长可以登记调研".into()));
        }
        let mut errors = Vec::new();
        let on = office::parse_date(&v.visited_on)
            .map_err(|e| errors.push(FieldError::new("visited_on", format!("调研日期：{e}"))))
            .ok();
        if on.is_some_and(|d| d > self.today()) {
            errors.push(FieldError::new("visited_on", "调研日期不能晚于今天"));
        }
        let kind = match v.kind.trim() {
            "chief" | "链长" | "" => "chief",
            "department" | "部门" => "department",
            k => {
                errors.push(FieldError::new("kind", format!("调研类型应为“链长”或“部门”，收到“{k}”")));
                "chief"
            }
        };
        for (f, label, text, max) in [
            ("visitor", "调研人", &v.visitor, 100),
            ("places", "调研企业和园区", &v.places, 1000),
            ("findings", "调研发现", &v.findings, 5000),
        ] {
            let n = text.trim().chars().count();
            if n == 0 || n > max {
                errors.push(FieldError::new(f, format!("{label}不能为空，且不超过 {max} 字")));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let on = on.expect("checked");
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let seq = spr::last_code_seq(&mut tx, "visit", "DY", on.year()).await? + 1;
        let nv = sm::NewVisit {
            code: format!("DY-{}-{seq:04}", on.year()),
            chain_id,
            visitor: v.visitor.trim().into(),
            kind: kind.into(),
            visited_on: on,
            places: v.places.trim().into(),
            findings: v.findings.trim().into(),
        };
        let id = sm::insert_visit(&mut tx, &nv, now, p.by()).await?;
        let after = serde_json::json!({"code": nv.code, "chain": chain_code, "visitor": nv.visitor, "on": on});
        store::audit::append(&mut tx, now, &audit_entry(&p.actor(), "visit.create", "visit", id, None, Some(after)))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn visits(&self, p: &Principal, chain: Option<&str>) -> Result<Vec<sm::VisitRow>> {
        let chain_id = match chain.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(self.chain_of(c).await?.0),
            None => None,
        };
        Ok(sm::visits(&self.db, &p.enterprise_scope, chain_id).await?)
    }

    // ---- meetings ----

    /// Creates a chain's quarterly meeting and assembles its agenda.
    pub async fn create_meeting(&self, p: &Principal, m: &MeetingInput) -> Result<i64> {
        let (chain_id, chain_code, lead) = self.chain_of(&m.chain).await?;
        if !Self::organises(p, &lead) {
            return Err(AppError::Forbidden("只有融圈强链办或该链牵头部门可以组织链长推进会议".into()));
        }
        let mut errors = Vec::new();
        if !(1..=4).contains(&m.quarter) {
            errors.push(FieldError::new("quarter", "季度应为 1–4"));
        }
        let today = self.today();
        if !(2020..=today.year() as i64 + 1).contains(&m.year) {
            errors.push(FieldError::new("year", format!("年份应在 2020–{} 之间", today.year() + 1)));
        }
        let held = office::parse_date(&m.held_on)
            .map_err(|e| errors.push(FieldError::new("held_on", format!("会议日期：{e}"))))
            .ok();
        if let (Some(d), Some((start, end))) = (held, quarter_span(m.year, m.quarter))
            && (d < start || d > end)
        {
            errors.push(FieldError::new("held_on", format!("会议日期 {d} 不在 {} 年第 {} 季度内", m.year, m.quarter)));
        }
        if m.place.trim().chars().count() > 100 || m.attendees.trim().chars().count() > 2000 {
            errors.push(FieldError::new("place", "会议地点不超过 100 字，参会人员不超过 2000 字"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let held = held.expect("checked");
        let cal = self.work_calendar().await?;
        let (held, moved) = cal.adjust_to_workday(held);
        let chain_name = store::chain::heads(&self.db)
            .await?
            .into_iter()
            .find(|(c, _, _)| *c == chain_code)
            .map(|(_, n, _)| n)
            .unwrap_or_default();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if sm::meeting_exists(&mut tx, chain_id, m.year, m.quarter).await? {
            return Err(AppError::Conflict(format!("{chain_name}{} 年第 {} 季度的推进会议已存在", m.year, m.quarter)));
        }
        let nm = sm::NewMeeting {
            chain_id,
            year: m.year,
            quarter: m.quarter,
            title: format!("{chain_name}链长推进会议（{}年第{}季度）", m.year, m.quarter),
            doc_no: format!("达强链办〔{}〕{}号", m.year, chain_id * 10 + m.quarter),
            held_on: held,
            place: m.place.trim().into(),
            attendees: m.attendees.trim().into(),
        };
        let id = sm::insert_meeting(&mut tx, &nm, now, p.by()).await?;
        let items = self.assemble_agenda(chain_id, held).await?;
        sm::set_items(&mut tx, id, &items).await?;
        let after = serde_json::json!({"title": nm.title, "held_on": held, "moved": moved, "items": items.len()});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "meeting.create", "meeting", id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The agenda the system proposes for a chain's meeting on `held`: problems escalated
    /// to the lead department or the chief, chain-wide problems with open members, red and
    /// yellow projects, open tasks due by the meeting (decisions pending from earlier
    /// meetings), and a placeholder for policy drafts.
    pub(crate) async fn assemble_agenda(
        &self,
        chain_id: i64,
        held: NaiveDate,
    ) -> Result<Vec<(String, Option<i64>, String, String)>> {
        let everyone = domain::role::EnterpriseScope { read_all: true, ..Default::default() };
        let mut items = Vec::new();
        let open = spr::all(
            &self.db,
            &everyone,
            &spr::Filter { chain_id: Some(chain_id), open_only: true, ..Default::default() },
        )
        .await?;
        for r in open.iter().filter(|r| r.level != Level::County.code()) {
            let level = Level::parse(&r.level).map(Level::label).unwrap_or("");
            let note = format!(
                "{}｜{}｜{}层级，期限 {}｜{}",
                r.enterprise_name,
                Category::parse(&r.category).map(Category::label).unwrap_or(""),
                level,
                r.deadline,
                Status::parse(&r.status).map(Status::label).unwrap_or("")
            );
            items.push(("problem".to_string(), Some(r.id), format!("{} {}", r.code, r.title), note));
        }
        for g in spr::groups(&self.db, Some(&[chain_id]), None).await? {
            if g.open_members > 0 {
                let note = format!(
                    "{} 家企业反映，{} 个问题未办结（{} 至 {}）",
                    g.enterprises, g.open_members, g.first_on, g.last_on
                );
                items.push(("group".into(), Some(g.id), g.title.clone(), note));
            }
        }
        let (codes, _) = self.codes_today().await?;
        let book = self.project_book().await?;
        let mut coded: Vec<(Code, i64, String, String)> = book
            .projects
            .values()
            .filter(|e| e.base.chain_id == chain_id)
            .filter_map(|e| {
                let c = codes.get(&e.base.id)?;
                let why = c.reasons.iter().map(|r| r.text.clone()).collect::<Vec<_>>().join("；");
                Some((
                    c.code,
                    e.base.id,
                    format!("{} {}", e.base.code, e.base.name),
                    format!("{}码：{why}", c.code.label()),
                ))
            })
            .collect();
        coded.sort_by_key(|(c, id, _, _)| (if *c == Code::Red { 0 } else { 1 }, *id));
        for (_, id, title, note) in coded.into_iter().take(20) {
            items.push(("project".into(), Some(id), title, note));
        }
        let tasks = sm::tasks(
            &self.db,
            &everyone,
            &sm::TaskFilter {
                chain_id: Some(chain_id),
                due_by: Some(held + chrono::Duration::days(31)),
                ..Default::default()
            },
        )
        .await?;
        for t in tasks {
            let note =
                format!("{}｜期限 {}｜{}", t.unit_name, t.due_on, if t.due_on < held { "已逾期" } else { "即将到期" });
            items.push(("task".into(), Some(t.id), format!("{} {}", t.code, t.title), note));
        }
        items.push(("policy".into(), None, "本链相关政策草案（由牵头部门补充）".into(), String::new()));
        Ok(items)
    }

    pub async fn meetings(&self, p: &Principal, chain: Option<&str>, year: Option<i64>) -> Result<Vec<MeetingRow>> {
        let chain_id = match chain.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(self.chain_of(c).await?.0),
            None => None,
        };
        Ok(sm::meetings(&self.db, &p.enterprise_scope, chain_id, year).await?)
    }

    pub async fn meeting(&self, p: &Principal, id: i64) -> Result<MeetingDetail> {
        let m = sm::meeting(&self.db, &p.enterprise_scope, id).await?.ok_or(AppError::NotFound)?;
        let items = sm::items(&self.db, id).await?;
        let everyone = domain::role::EnterpriseScope { read_all: true, ..Default::default() };
        let today = self.today();
        let tasks: Vec<TaskView> =
            sm::tasks(&self.db, &everyone, &sm::TaskFilter { meeting_id: Some(id), ..Default::default() })
                .await?
                .into_iter()
                .map(|t| task_view(t, today))
                .collect();
        let may_edit = Self::organises(p, &m.lead_department_code);
        Ok(MeetingDetail { on_time_rate: on_time_rate(&tasks), meeting: m, items, tasks, may_edit })
    }

    /// Replaces the agenda (the lead department's edit): one item per line, `kind|title|note`
    /// or just a title. With `reassemble`, the system's proposal replaces it instead.
    pub async fn edit_agenda(&self, p: &Principal, id: i64, version: i64, lines: &str, reassemble: bool) -> Result<()> {
        let m = sm::meeting(&self.db, &p.enterprise_scope, id).await?.ok_or(AppError::NotFound)?;
        if !Self::organises(p, &m.lead_department_code) {
            return Err(AppError::Forbidden("只有融圈强链办或该链牵头部门可以编辑议程".into()));
        }
        let items = if reassemble {
            self.assemble_agenda(m.chain_id, m.held_on).await?
        } else {
            let old = sm::items(&self.db, id).await?;
            let mut out = Vec::new();
            for (n, line) in lines.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
                let parts: Vec<&str> = line.splitn(3, '|').map(str::trim).collect();
                let (kind, title, note) = match parts.as_slice() {
                    [k, t, rest @ ..] if ITEM_KINDS.iter().any(|(c, l)| c == k || l == k) => {
                        let k = ITEM_KINDS.iter().find(|(c, l)| c == k || l == k).map(|(c, _)| *c).unwrap_or("other");
                        (k, *t, rest.first().copied().unwrap_or(""))
                    }
                    _ => ("other", line, ""),
                };
                if title.is_empty() || title.chars().count() > 200 || note.chars().count() > 1000 {
                    return Err(AppError::invalid("items", format!("第 {} 项议程标题不能为空且不超过 200 字", n + 1)));
                }
                // An item kept from the proposal keeps its link.
                let ref_id = old.iter().find(|o| o.kind == kind && o.title == title).and_then(|o| o.ref_id);
                out.push((kind.to_string(), ref_id, title.to_string(), note.to_string()));
            }
            if out.is_empty() {
                return Err(AppError::invalid("items", "议程不能为空"));
            }
            if out.len() > 200 {
                return Err(AppError::invalid("items", "议程最多 200 项"));
            }
            out
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !sm::touch_meeting(&mut tx, id, version, now).await? {
            return Err(AppError::Stale { by: None, at: m.updated_at });
        }
        sm::set_items(&mut tx, id, &items).await?;
        let after =
            serde_json::json!({"items": items.iter().map(|i| &i.2).collect::<Vec<_>>(), "reassembled": reassemble});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "meeting.agenda", "meeting", id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the meeting as held with attendees and minutes.
    pub async fn record_minutes(
        &self,
        p: &Principal,
        id: i64,
        version: i64,
        attendees: &str,
        minutes: &str,
    ) -> Result<()> {
        let m = sm::meeting(&self.db, &p.enterprise_scope, id).await?.ok_or(AppError::NotFound)?;
        if !Self::organises(p, &m.lead_department_code) {
            return Err(AppError::Forbidden("只有融圈强链办或该链牵头部门可以记录会议纪要".into()));
        }
        if m.held_on > self.today() {
            return Err(AppError::Conflict(format!("会议定于 {}，召开后再记录纪要", m.held_on)));
        }
        let (a, t) = (attendees.trim(), minutes.trim());
        if a.is_empty() || a.chars().count() > 2000 || t.is_empty() || t.chars().count() > 20000 {
            return Err(AppError::invalid("minutes", "参会人员（≤2000 字）和会议纪要（≤20000 字）都不能为空"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !sm::set_minutes(&mut tx, id, version, a, t, now).await? {
            return Err(AppError::Stale { by: None, at: m.updated_at });
        }
        let after = serde_json::json!({"attendees": a, "minutes_chars": t.chars().count()});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "meeting.minutes", "meeting", id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- tasks ----

    /// Assigns a task (from a meeting's decision, a visit's finding or a problem): the
    /// office or the chain's lead department. A deadline on a holiday moves to the next
    /// working day; the returned note says so.
    pub async fn assign_task(&self, p: &Principal, t: &TaskInput) -> Result<(i64, Option<String>)> {
        let (chain_id, chain_code, lead) = match t.meeting_id {
            Some(mid) => {
                let m = sm::meeting(&self.db, &p.enterprise_scope, mid).await?.ok_or(AppError::NotFound)?;
                (m.chain_id, m.chain_code, m.lead_department_code)
            }
            None => self.chain_of(&t.chain).await?,
        };
        if !Self::organises(p, &lead) {
            return Err(AppError::Forbidden("只有融圈强链办或该链牵头部门可以交办事项".into()));
        }
        if let Some(v) = t.visit_id {
            let visit = sm::visit(&self.db, &p.enterprise_scope, v).await?.ok_or(AppError::NotFound)?;
            if visit.chain_id != chain_id {
                return Err(AppError::invalid("visit_id", "调研不属于该产业链"));
            }
        }
        if let Some(pid) = t.problem_id {
            spr::get(&self.db, &p.enterprise_scope, pid).await?.ok_or(AppError::NotFound)?;
        }
        let mut errors = Vec::new();
        let unit = t.unit.trim();
        let deps = self.departments().await?;
        let regions = self.regions().await?;
        let unit_code = deps
            .iter()
            .find(|d| d.code == unit || d.name == unit)
            .map(|d| d.code.clone())
            .or_else(|| regions.iter().find(|r| r.code == unit || r.name == unit).map(|r| r.code.clone()));
        if unit_code.is_none() {
            errors.push(FieldError::new("unit", format!("找不到责任单位“{unit}”（市级部门或县市区、园区）")));
        }
        for (f, label, text, max, required) in [
            ("title", "交办事项", &t.title, 200, true),
            ("decision", "会议决定", &t.decision, 2000, false),
            ("person", "责任人", &t.person, 50, true),
            ("evidence", "完成佐证", &t.evidence, 500, false),
        ] {
            let n = text.trim().chars().count();
            if (required && n == 0) || n > max {
                errors.push(FieldError::new(
                    f,
                    format!("{label}{}不超过 {max} 字", if required { "不能为空，且" } else { "" }),
                ));
            }
        }
        let due = match self.workday_deadline("due_on", &t.due_on).await {
            Ok(d) => Some(d),
            Err(AppError::Invalid(e)) => {
                errors.extend(e);
                None
            }
            Err(e) => return Err(e),
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let (due, moved) = due.expect("checked");
        let now = self.now();
        let year = self.today().year();
        let mut tx = self.db.begin().await?;
        let seq = spr::last_code_seq(&mut tx, "task", "JB", year).await? + 1;
        let nt = sm::NewTask {
            code: format!("JB-{year}-{seq:04}"),
            chain_id,
            meeting_id: t.meeting_id,
            visit_id: t.visit_id,
            problem_id: t.problem_id,
            decision: t.decision.trim().into(),
            title: t.title.trim().into(),
            unit_code: unit_code.expect("checked"),
            person: t.person.trim().into(),
            due_on: due,
            evidence: t.evidence.trim().into(),
        };
        let id = sm::insert_task(&mut tx, &nt, now, p.by()).await?;
        let after = serde_json::json!({"code": nt.code, "chain": chain_code, "title": nt.title, "unit": nt.unit_code,
            "due_on": due, "moved": moved});
        store::audit::append(&mut tx, now, &audit_entry(&p.actor(), "task.assign", "task", id, None, Some(after)))
            .await?;
        tx.commit().await?;
        Ok((id, moved))
    }

    pub async fn tasks(&self, p: &Principal, f: &sm::TaskFilter) -> Result<Vec<TaskView>> {
        let today = self.today();
        Ok(sm::tasks(&self.db, &p.enterprise_scope, f).await?.into_iter().map(|t| task_view(t, today)).collect())
    }

    pub async fn task(&self, p: &Principal, id: i64) -> Result<(TaskView, Vec<sm::TaskReportRow>, bool, bool)> {
        let t = sm::task(&self.db, &p.enterprise_scope, id).await?.ok_or(AppError::NotFound)?;
        let reports = sm::task_reports(&self.db, id).await?;
        let assigned = self.assigned(p, &t);
        let organises = self.supervises(p, t.chain_id).await?;
        Ok((task_view(t, self.today()), reports, assigned, organises))
    }

    /// Whether `p` organises or chairs the work of chain `chain_id` (office, its lead
    /// department or its chiefs): one read of the chain's code and lead department.
    async fn supervises(&self, p: &Principal, chain_id: i64) -> Result<bool> {
        let (code, lead) = store::chain::code_and_lead(&self.db, chain_id).await?.ok_or(AppError::NotFound)?;
        Ok(Self::organises(p, &lead) || Self::is_chief_of(p, &code))
    }

    fn assigned(&self, p: &Principal, t: &TaskRow) -> bool {
        p.grants.iter().any(|g| {
            matches!(g.role, Role::Unit | Role::LeadDept | Role::Region)
                && g.scope.as_deref() == Some(t.unit_code.as_str())
        })
    }

    /// A step on a task: the assigned unit reports progress or closes it with its result;
    /// the office, the lead department or the chief supervise 督办 an open task.
    pub async fn task_step(&self, p: &Principal, id: i64, version: i64, kind: &str, text: &str) -> Result<()> {
        let t = sm::task(&self.db, &p.enterprise_scope, id).await?.ok_or(AppError::NotFound)?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 5000 {
            return Err(AppError::invalid("text", "说明不能为空，且不超过 5000 字"));
        }
        if t.status != "open" {
            return Err(AppError::Conflict(format!("交办事项已{}，不能再办理", task_status_label(&t.status))));
        }
        let supervisor = self.supervises(p, t.chain_id).await?;
        let kind = match kind {
            "progress" | "done" if self.assigned(p, &t) => kind,
            "supervision" | "cancel" if supervisor => kind,
            "progress" | "done" => {
                return Err(AppError::Forbidden(format!("只有责任单位（{}）可以报送进展或办结", t.unit_name)));
            }
            "supervision" | "cancel" => {
                return Err(AppError::Forbidden("只有融圈强链办、该链牵头部门或链长可以督办或撤销".into()));
            }
            k => return Err(AppError::invalid("kind", format!("未知的操作“{k}”"))),
        };
        let now = self.now();
        let today = self.today();
        let mut tx = self.db.begin().await?;
        let ok = match kind {
            "done" => sm::finish_task(&mut tx, id, version, "done", today, text, now).await?,
            "cancel" => sm::finish_task(&mut tx, id, version, "cancelled", today, text, now).await?,
            _ => sm::touch_task(&mut tx, id, version, now).await?,
        };
        if !ok {
            return Err(AppError::Stale { by: None, at: t.updated_at });
        }
        sm::insert_task_report(&mut tx, id, kind, text, now, p.by()).await?;
        let after = serde_json::json!({"kind": kind, "text": text});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), &format!("task.{kind}"), "task", id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- plans ----

    #[allow(clippy::too_many_arguments)]
    pub async fn add_plan_item(
        &self,
        p: &Principal,
        chain: &str,
        kind: &str,
        year: i64,
        title: &str,
        unit: &str,
        due: &str,
    ) -> Result<i64> {
        let (chain_id, chain_code, lead) = self.chain_of(chain).await?;
        if !Self::organises(p, &lead) {
            return Err(AppError::Forbidden("只有融圈强链办或该链牵头部门可以编制计划".into()));
        }
        let kind = match kind.trim() {
            "action" | "行动方案" => "action",
            "annual" | "年度工作计划" => "annual",
            k => return Err(AppError::invalid("kind", format!("计划类型应为“行动方案”或“年度工作计划”，收到“{k}”"))),
        };
        let title = title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(AppError::invalid("title", "计划事项不能为空，且不超过 200 字"));
        }
        let deps = self.departments().await?;
        let unit_code = deps
            .iter()
            .find(|d| d.code == unit.trim() || d.name == unit.trim())
            .map(|d| d.code.clone())
            .ok_or_else(|| AppError::invalid("unit", format!("找不到牵头单位“{}”", unit.trim())))?;
        let due = office::parse_date(due).map_err(|e| AppError::invalid("due_on", format!("完成时限：{e}")))?;
        if !(2020..=2035).contains(&year) || (due.year() as i64) < year {
            return Err(AppError::invalid("year", "年份应在 2020–2035 之间，完成时限不早于该年"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let ni = sm::NewPlanItem { chain_id, kind: kind.into(), year, title: title.into(), unit_code, due_on: due };
        let id = sm::insert_plan_item(&mut tx, &ni, now, p.by()).await?;
        let after = serde_json::json!({"chain": chain_code, "kind": kind, "year": year, "title": title, "due_on": due});
        store::audit::append(&mut tx, now, &audit_entry(&p.actor(), "plan.add", "plan_item", id, None, Some(after)))
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn plan_progress(&self, p: &Principal, id: i64, version: i64, progress: &str, done: bool) -> Result<()> {
        let item = sm::plan_item(&self.db, &p.enterprise_scope, id).await?.ok_or(AppError::NotFound)?;
        let (_, lead) = store::chain::code_and_lead(&self.db, item.chain_id).await?.ok_or(AppError::NotFound)?;
        let unit = p.grants.iter().any(|g| g.scope.as_deref() == Some(item.unit_code.as_str()));
        if !Self::organises(p, &lead) && !unit {
            return Err(AppError::Forbidden("只有融圈强链办、该链牵头部门或计划牵头单位可以填报进展".into()));
        }
        let progress = progress.trim();
        if progress.is_empty() || progress.chars().count() > 2000 {
            return Err(AppError::invalid("progress", "进展不能为空，且不超过 2000 字"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let status = if done { "done" } else { "open" };
        if !sm::set_plan_progress(&mut tx, id, version, progress, status, now, p.by()).await? {
            return Err(AppError::Conflict("该计划事项已被他人修改，请刷新后重试".into()));
        }
        let before = serde_json::json!({"progress": item.progress, "status": item.status});
        let after = serde_json::json!({"progress": progress, "status": status});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "plan.progress", "plan_item", id, Some(before), Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn plan_items(
        &self,
        p: &Principal,
        chain: Option<&str>,
        year: Option<i64>,
    ) -> Result<Vec<sm::PlanItemRow>> {
        let chain_id = match chain.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => Some(self.chain_of(c).await?.0),
            None => None,
        };
        Ok(sm::plan_items(&self.db, &p.enterprise_scope, chain_id, year).await?)
    }

    // ---- the packet ----

    /// The meeting packet as .docx in official-document style: document number, title,
    /// headings 一、（一）1., the agenda, tables of problems, projects and tasks, minutes.
    pub async fn meeting_packet_docx(&self, p: &Principal, id: i64) -> Result<(String, Vec<u8>)> {
        let d = self.meeting(p, id).await?;
        let m = &d.meeting;
        let mut doc = office::DocBuilder::new()
            .masthead("达州市重点产业链协同推进机制办公室")
            .doc_number(&m.doc_no)
            .title(&m.title)
            .subtitle(format!("（{}）", m.held_on.format("%Y年%-m月%-d日")))
            .heading1("会议安排")
            .para(format!(
                "时间：{}。地点：{}。参会人员：{}。",
                m.held_on.format("%Y年%-m月%-d日"),
                if m.place.is_empty() { "另行通知" } else { &m.place },
                if m.attendees.is_empty() {
                    "链长、副链长，牵头部门及责任单位负责同志"
                } else {
                    &m.attendees
                }
            ))
            .heading1("会议议程");
        for (kind, label) in ITEM_KINDS {
            let these: Vec<&ItemRow> = d.items.iter().filter(|i| i.kind == kind).collect();
            if these.is_empty() {
                continue;
            }
            doc = doc.heading2(label);
            for (n, i) in these.iter().enumerate() {
                let text = if i.note.is_empty() { i.title.clone() } else { format!("{}（{}）", i.title, i.note) };
                doc = doc.para(format!("{}. {text}", n + 1));
            }
        }
        let rows = |kind: &str| -> Vec<Vec<String>> {
            d.items
                .iter()
                .filter(|i| i.kind == kind)
                .enumerate()
                .map(|(n, i)| {
                    let mut v = vec![(n + 1).to_string(), i.title.clone()];
                    v.extend(i.note.split('｜').map(str::to_string));
                    v
                })
                .collect()
        };
        doc = doc
            .heading1("提请研究的企业问题")
            .table(&["序号", "问题", "企业", "类别", "层级与期限", "状态"], rows("problem"))
            .heading1("链级共性问题")
            .table(&["序号", "问题", "情况"], rows("group"))
            .heading1("滞后和赋码的重点项目")
            .table(&["序号", "项目", "赋码原因"], rows("project"))
            .heading1("交办事项落实情况");
        let task_rows: Vec<Vec<String>> = d
            .tasks
            .iter()
            .enumerate()
            .map(|(n, t)| {
                vec![
                    (n + 1).to_string(),
                    t.row.title.clone(),
                    t.row.unit_name.clone(),
                    t.row.person.clone(),
                    t.row.due_on.to_string(),
                    t.status_label.to_string(),
                ]
            })
            .collect();
        doc = doc.table(&["序号", "交办事项", "责任单位", "责任人", "办理期限", "状态"], task_rows);
        if let Some(r) = d.on_time_rate {
            doc = doc.note(format!("注：本次会议交办事项按期办结率 {r:.1}%。"));
        }
        if !m.minutes.is_empty() {
            doc = doc.heading1("会议纪要").para(&m.minutes);
        }
        let bytes = doc
            .signature(&["达州市重点产业链协同推进机制办公室", &self.today().format("%Y年%-m月%-d日").to_string()])
            .build();
        Ok((format!("{}.docx", m.title), bytes))
    }

    /// The packet's tables as .xlsx (agenda, tasks).
    pub async fn meeting_packet_xlsx(&self, p: &Principal, id: i64) -> Result<(String, Vec<u8>)> {
        use office::{CellOut, SheetOut};
        let d = self.meeting(p, id).await?;
        let agenda = SheetOut {
            name: "会议议程".into(),
            headers: vec!["序号".into(), "类别".into(), "事项".into(), "说明".into()],
            rows: d
                .items
                .iter()
                .map(|i| {
                    vec![
                        CellOut::Int(i.seq),
                        CellOut::Text(item_kind_label(&i.kind).into()),
                        CellOut::Text(i.title.clone()),
                        CellOut::Text(i.note.clone()),
                    ]
                })
                .collect(),
        };
        let tasks = SheetOut {
            name: "交办事项".into(),
            headers: ["编号", "交办事项", "会议决定", "责任单位", "责任人", "办理期限", "完成佐证", "状态", "办结日期"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows: d
                .tasks
                .iter()
                .map(|t| {
                    vec![
                        CellOut::Text(t.row.code.clone()),
                        CellOut::Text(t.row.title.clone()),
                        CellOut::Text(t.row.decision.clone()),
                        CellOut::Text(t.row.unit_name.clone()),
                        CellOut::Text(t.row.person.clone()),
                        CellOut::Text(t.row.due_on.to_string()),
                        CellOut::Text(t.row.evidence.clone()),
                        CellOut::Text(t.status_label.into()),
                        CellOut::Text(t.row.done_on.map(|d| d.to_string()).unwrap_or_default()),
                    ]
                })
                .collect(),
        };
        let bytes = office::write_xlsx_sheets(vec![agenda, tasks]).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok((format!("{}.xlsx", d.meeting.title), bytes))
    }
}
