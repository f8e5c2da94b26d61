//! The chain chiefs' work (issue 7, SPEC F): visits 调研, quarterly meetings with their
//! agenda items, assigned tasks 交办事项 with progress reports, and the chains' plans.
//!
//! All of it belongs to a chain: a reader sees the chains its scope names (the office and
//! viewers all; a chief and a lead department their chains), and a unit or region the tasks
//! assigned to it. The scope clause is built here.

use crate::sql::Sql;
use crate::{Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::role::EnterpriseScope;
use serde::Serialize;

/// Adds the chains a scope reads to a query over a table aliased `alias` with `chain_id`.
pub fn push_chain_scope(q: &mut Sql, scope: &EnterpriseScope, alias: &str) {
    if scope.read_all {
        return;
    }
    q.push(" AND (1 = 0");
    if !scope.lead_departments.is_empty() {
        q.push(&format!(" OR {alias}.chain_id IN (SELECT id FROM chain WHERE lead_department_code IN "))
            .bind_list(&scope.lead_departments)
            .push(")");
    }
    if !scope.chains_read.is_empty() {
        q.push(&format!(" OR {alias}.chain_id IN (SELECT id FROM chain WHERE code IN "))
            .bind_list(&scope.chains_read)
            .push(")");
    }
    q.push(")");
}

/// The scope of work assigned to units (tasks, plan items; `alias` the table): the chain
/// scope plus the rows whose `unit_code` is one of the reader's units, lead departments or
/// regions.
pub fn push_assigned_scope(q: &mut Sql, scope: &EnterpriseScope, alias: &str) {
    if scope.read_all {
        return;
    }
    q.push(" AND (1 = 0");
    if !scope.lead_departments.is_empty() {
        q.push(&format!(" OR {alias}.chain_id IN (SELECT id FROM chain WHERE lead_department_code IN "))
            .bind_list(&scope.lead_departments)
            .push(")");
    }
    if !scope.chains_read.is_empty() {
        q.push(&format!(" OR {alias}.chain_id IN (SELECT id FROM chain WHERE code IN "))
            .bind_list(&scope.chains_read)
            .push(")");
    }
    let units: Vec<&String> = scope.units.iter().chain(&scope.lead_departments).chain(&scope.regions).collect();
    if !units.is_empty() {
        q.push(&format!(" OR {alias}.unit_code IN ")).bind_list(units);
    }
    q.push(")");
}

// ---- visits ----

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct VisitRow {
    pub id: i64,
    pub code: String,
    pub chain_id: i64,
    pub chain_name: String,
    pub visitor: String,
    pub kind: String,
    pub visited_on: NaiveDate,
    pub places: String,
    pub findings: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewVisit {
    pub code: String,
    pub chain_id: i64,
    pub visitor: String,
    pub kind: String,
    pub visited_on: NaiveDate,
    pub places: String,
    pub findings: String,
}

pub async fn insert_visit(tx: &mut Tx, v: &NewVisit, at: DateTime<Utc>, by: Option<i64>) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO visit (code, chain_id, visitor, kind, visited_on, places, findings, created_at, created_by) VALUES (",
    );
    q.bind(&v.code).push(", ").bind(v.chain_id).push(", ").bind(&v.visitor).push(", ").bind(&v.kind);
    q.push(", ").bind(v.visited_on).push(", ").bind(&v.places).push(", ").bind(&v.findings);
    q.push(", ").bind(at).push(", ").bind(by).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

const VISIT: &str = "SELECT v.id, v.code, v.chain_id, c.name AS chain_name, v.visitor, v.kind, v.visited_on, v.places, \
     v.findings, v.created_at FROM visit v JOIN chain c ON c.id = v.chain_id WHERE 1 = 1";

pub async fn visits(db: &Db, scope: &EnterpriseScope, chain_id: Option<i64>) -> Result<Vec<VisitRow>> {
    let mut q = Sql::new(VISIT);
    push_chain_scope(&mut q, scope, "v");
    if let Some(c) = chain_id {
        q.push(" AND v.chain_id = ").bind(c);
    }
    q.push(" ORDER BY v.visited_on DESC, v.id DESC");
    q.fetch_all(db).await
}

pub async fn visit(db: &Db, scope: &EnterpriseScope, id: i64) -> Result<Option<VisitRow>> {
    let mut q = Sql::new(VISIT);
    q.push(" AND v.id = ").bind(id);
    push_chain_scope(&mut q, scope, "v");
    q.fetch_optional(db).await
}

// ---- meetings ----

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct MeetingRow {
    pub id: i64,
    pub chain_id: i64,
    pub chain_code: String,
    pub chain_name: String,
    pub lead_department_code: String,
    pub year: i64,
    pub quarter: i64,
    pub title: String,
    pub doc_no: String,
    pub held_on: NaiveDate,
    pub place: String,
    pub attendees: String,
    pub minutes: String,
    pub status: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const MEETING: &str = "SELECT m.id, m.chain_id, c.code AS chain_code, c.name AS chain_name, c.lead_department_code, \
     m.year, m.quarter, m.title, m.doc_no, m.held_on, m.place, m.attendees, m.minutes, m.status, m.version, \
     m.created_at, m.updated_at FROM meeting m JOIN chain c ON c.id = m.chain_id WHERE 1 = 1";

#[derive(Clone, Debug)]
pub struct NewMeeting {
    pub chain_id: i64,
    pub year: i64,
    pub quarter: i64,
    pub title: String,
    pub doc_no: String,
    pub held_on: NaiveDate,
    pub place: String,
    pub attendees: String,
}

pub async fn insert_meeting(tx: &mut Tx, m: &NewMeeting, at: DateTime<Utc>, by: Option<i64>) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO meeting (chain_id, year, quarter, title, doc_no, held_on, place, attendees, minutes, status, version, \
         created_at, created_by, updated_at) VALUES (",
    );
    q.bind(m.chain_id).push(", ").bind(m.year).push(", ").bind(m.quarter).push(", ").bind(&m.title);
    q.push(", ").bind(&m.doc_no).push(", ").bind(m.held_on).push(", ").bind(&m.place).push(", ").bind(&m.attendees);
    q.push(", '', 'planned', 1, ").bind(at).push(", ").bind(by).push(", ").bind(at).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

/// Whether the chain already has a meeting in that quarter.
pub async fn meeting_exists(tx: &mut Tx, chain_id: i64, year: i64, quarter: i64) -> Result<bool> {
    let mut q = Sql::new("SELECT COUNT(*) FROM meeting WHERE chain_id = ");
    q.bind(chain_id).push(" AND year = ").bind(year).push(" AND quarter = ").bind(quarter);
    Ok(q.fetch_one_i64_tx(tx).await? > 0)
}

/// Records a meeting as held, with its minutes, if still at `version`.
pub async fn set_minutes(
    tx: &mut Tx,
    id: i64,
    version: i64,
    attendees: &str,
    minutes: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let mut q = Sql::new("UPDATE meeting SET attendees = ");
    q.bind(attendees)
        .push(", minutes = ")
        .bind(minutes)
        .push(", status = 'held', version = version + 1, updated_at = ");
    q.bind(at).push(" WHERE id = ").bind(id).push(" AND version = ").bind(version);
    Ok(q.execute_tx(tx).await? == 1)
}

pub async fn touch_meeting(tx: &mut Tx, id: i64, version: i64, at: DateTime<Utc>) -> Result<bool> {
    let mut q = Sql::new("UPDATE meeting SET version = version + 1, updated_at = ");
    q.bind(at).push(" WHERE id = ").bind(id).push(" AND version = ").bind(version);
    Ok(q.execute_tx(tx).await? == 1)
}

pub async fn meetings(
    db: &Db,
    scope: &EnterpriseScope,
    chain_id: Option<i64>,
    year: Option<i64>,
) -> Result<Vec<MeetingRow>> {
    let mut q = Sql::new(MEETING);
    push_chain_scope(&mut q, scope, "m");
    if let Some(c) = chain_id {
        q.push(" AND m.chain_id = ").bind(c);
    }
    if let Some(y) = year {
        q.push(" AND m.year = ").bind(y);
    }
    q.push(" ORDER BY m.held_on DESC, m.id DESC");
    q.fetch_all(db).await
}

pub async fn meeting(db: &Db, scope: &EnterpriseScope, id: i64) -> Result<Option<MeetingRow>> {
    let mut q = Sql::new(MEETING);
    q.push(" AND m.id = ").bind(id);
    push_chain_scope(&mut q, scope, "m");
    q.fetch_optional(db).await
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct ItemRow {
    pub id: i64,
    pub meeting_id: i64,
    pub seq: i64,
    pub kind: String,
    pub ref_id: Option<i64>,
    pub title: String,
    pub note: String,
}

/// Replaces a meeting's agenda.
pub async fn set_items(tx: &mut Tx, meeting_id: i64, items: &[(String, Option<i64>, String, String)]) -> Result<()> {
    let mut d = Sql::new("DELETE FROM meeting_item WHERE meeting_id = ");
    d.bind(meeting_id);
    d.execute_tx(tx).await?;
    for (i, (kind, ref_id, title, note)) in items.iter().enumerate() {
        let mut q = Sql::new("INSERT INTO meeting_item (meeting_id, seq, kind, ref_id, title, note) VALUES (");
        q.bind(meeting_id).push(", ").bind(i as i64 + 1).push(", ").bind(kind).push(", ").bind(*ref_id);
        q.push(", ").bind(title).push(", ").bind(note).push(")");
        q.execute_tx(tx).await?;
    }
    Ok(())
}

pub async fn items(db: &Db, meeting_id: i64) -> Result<Vec<ItemRow>> {
    let mut q = Sql::new("SELECT id, meeting_id, seq, kind, ref_id, title, note FROM meeting_item WHERE meeting_id = ");
    q.bind(meeting_id).push(" ORDER BY seq");
    q.fetch_all(db).await
}

// ---- tasks ----

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct TaskRow {
    pub id: i64,
    pub code: String,
    pub chain_id: i64,
    pub chain_name: String,
    pub meeting_id: Option<i64>,
    pub visit_id: Option<i64>,
    pub problem_id: Option<i64>,
    pub decision: String,
    pub title: String,
    pub unit_code: String,
    pub unit_name: String,
    pub person: String,
    pub due_on: NaiveDate,
    pub evidence: String,
    pub status: String,
    pub done_on: Option<NaiveDate>,
    pub result: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const TASK: &str = "SELECT t.id, t.code, t.chain_id, c.name AS chain_name, t.meeting_id, t.visit_id, t.problem_id, \
     t.decision, t.title, t.unit_code, COALESCE(d.name, r.name, t.unit_code) AS unit_name, t.person, t.due_on, \
     t.evidence, t.status, t.done_on, t.result, t.version, t.created_at, t.updated_at FROM task t \
     JOIN chain c ON c.id = t.chain_id LEFT JOIN department d ON d.code = t.unit_code \
     LEFT JOIN region r ON r.code = t.unit_code WHERE 1 = 1";

#[derive(Clone, Debug)]
pub struct NewTask {
    pub code: String,
    pub chain_id: i64,
    pub meeting_id: Option<i64>,
    pub visit_id: Option<i64>,
    pub problem_id: Option<i64>,
    pub decision: String,
    pub title: String,
    pub unit_code: String,
    pub person: String,
    pub due_on: NaiveDate,
    pub evidence: String,
}

pub async fn insert_task(tx: &mut Tx, t: &NewTask, at: DateTime<Utc>, by: Option<i64>) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO task (code, chain_id, meeting_id, visit_id, problem_id, decision, title, unit_code, person, due_on, \
         evidence, status, result, version, created_at, created_by, updated_at) VALUES (",
    );
    q.bind(&t.code).push(", ").bind(t.chain_id).push(", ").bind(t.meeting_id).push(", ").bind(t.visit_id);
    q.push(", ").bind(t.problem_id).push(", ").bind(&t.decision).push(", ").bind(&t.title);
    q.push(", ").bind(&t.unit_code).push(", ").bind(&t.person).push(", ").bind(t.due_on).push(", ").bind(&t.evidence);
    q.push(", 'open', '', 1, ").bind(at).push(", ").bind(by).push(", ").bind(at).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

/// The task list's filters.
#[derive(Clone, Debug, Default)]
pub struct TaskFilter {
    pub chain_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub unit: Option<String>,
    pub status: Option<String>,
    /// Open tasks due on or before this day.
    pub due_by: Option<NaiveDate>,
}

pub async fn tasks(db: &Db, scope: &EnterpriseScope, f: &TaskFilter) -> Result<Vec<TaskRow>> {
    let mut q = Sql::new(TASK);
    push_assigned_scope(&mut q, scope, "t");
    if let Some(c) = f.chain_id {
        q.push(" AND t.chain_id = ").bind(c);
    }
    if let Some(m) = f.meeting_id {
        q.push(" AND t.meeting_id = ").bind(m);
    }
    if let Some(u) = &f.unit {
        q.push(" AND t.unit_code = ").bind(u);
    }
    if let Some(s) = &f.status {
        q.push(" AND t.status = ").bind(s);
    }
    if let Some(d) = f.due_by {
        q.push(" AND t.status = 'open' AND t.due_on <= ").bind(d);
    }
    q.push(" ORDER BY t.due_on, t.id");
    q.fetch_all(db).await
}

pub async fn task(db: &Db, scope: &EnterpriseScope, id: i64) -> Result<Option<TaskRow>> {
    let mut q = Sql::new(TASK);
    q.push(" AND t.id = ").bind(id);
    push_assigned_scope(&mut q, scope, "t");
    q.fetch_optional(db).await
}

/// Closes (done or cancelled) a task if still at `version`.
pub async fn finish_task(
    tx: &mut Tx,
    id: i64,
    version: i64,
    status: &str,
    on: NaiveDate,
    result: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let mut q = Sql::new("UPDATE task SET status = ");
    q.bind(status).push(", done_on = ").bind(on).push(", result = ").bind(result);
    q.push(", version = version + 1, updated_at = ").bind(at);
    q.push(" WHERE id = ").bind(id).push(" AND version = ").bind(version).push(" AND status = 'open'");
    Ok(q.execute_tx(tx).await? == 1)
}

pub async fn touch_task(tx: &mut Tx, id: i64, version: i64, at: DateTime<Utc>) -> Result<bool> {
    let mut q = Sql::new("UPDATE task SET version = version + 1, updated_at = ");
    q.bind(at).push(" WHERE id = ").bind(id).push(" AND version = ").bind(version);
    Ok(q.execute_tx(tx).await? == 1)
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct TaskReportRow {
    pub id: i64,
    pub task_id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub text: String,
    pub account_name: Option<String>,
}

pub async fn insert_task_report(
    tx: &mut Tx,
    task_id: i64,
    kind: &str,
    text: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<i64> {
    let mut q = Sql::new("INSERT INTO task_report (task_id, at, kind, text, account_id) VALUES (");
    q.bind(task_id).push(", ").bind(at).push(", ").bind(kind).push(", ").bind(text).push(", ").bind(by);
    q.push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

pub async fn task_reports(db: &Db, task_id: i64) -> Result<Vec<TaskReportRow>> {
    let mut q = Sql::new(
        "SELECT r.id, r.task_id, r.at, r.kind, r.text, a.display_name AS account_name FROM task_report r \
         LEFT JOIN account a ON a.id = r.account_id WHERE r.task_id = ",
    );
    q.bind(task_id).push(" ORDER BY r.id");
    q.fetch_all(db).await
}

// ---- plans ----

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct PlanItemRow {
    pub id: i64,
    pub chain_id: i64,
    pub chain_name: String,
    pub kind: String,
    pub year: i64,
    pub seq: i64,
    pub title: String,
    pub unit_code: String,
    pub unit_name: String,
    pub due_on: NaiveDate,
    pub progress: String,
    pub status: String,
    pub version: i64,
}

const PLAN: &str = "SELECT i.id, i.chain_id, c.name AS chain_name, i.kind, i.year, i.seq, i.title, i.unit_code, \
     COALESCE(d.name, r.name, i.unit_code) AS unit_name, i.due_on, i.progress, i.status, i.version FROM plan_item i \
     JOIN chain c ON c.id = i.chain_id LEFT JOIN department d ON d.code = i.unit_code \
     LEFT JOIN region r ON r.code = i.unit_code WHERE 1 = 1";

#[derive(Clone, Debug)]
pub struct NewPlanItem {
    pub chain_id: i64,
    pub kind: String,
    pub year: i64,
    pub title: String,
    pub unit_code: String,
    pub due_on: NaiveDate,
}

pub async fn insert_plan_item(tx: &mut Tx, i: &NewPlanItem, at: DateTime<Utc>, by: Option<i64>) -> Result<i64> {
    let mut s = Sql::new("SELECT COALESCE(MAX(seq), 0) FROM plan_item WHERE chain_id = ");
    s.bind(i.chain_id).push(" AND kind = ").bind(&i.kind).push(" AND year = ").bind(i.year);
    let seq = s.fetch_one_i64_tx(tx).await? + 1;
    let mut q = Sql::new(
        "INSERT INTO plan_item (chain_id, kind, year, seq, title, unit_code, due_on, progress, status, version, updated_at, \
         updated_by) VALUES (",
    );
    q.bind(i.chain_id).push(", ").bind(&i.kind).push(", ").bind(i.year).push(", ").bind(seq);
    q.push(", ").bind(&i.title).push(", ").bind(&i.unit_code).push(", ").bind(i.due_on);
    q.push(", '', 'open', 1, ").bind(at).push(", ").bind(by).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

#[allow(clippy::too_many_arguments)]
pub async fn set_plan_progress(
    tx: &mut Tx,
    id: i64,
    version: i64,
    progress: &str,
    status: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<bool> {
    let mut q = Sql::new("UPDATE plan_item SET progress = ");
    q.bind(progress).push(", status = ").bind(status).push(", version = version + 1, updated_at = ").bind(at);
    q.push(", updated_by = ").bind(by).push(" WHERE id = ").bind(id).push(" AND version = ").bind(version);
    Ok(q.execute_tx(tx).await? == 1)
}

pub async fn plan_items(
    db: &Db,
    scope: &EnterpriseScope,
    chain_id: Option<i64>,
    year: Option<i64>,
) -> Result<Vec<PlanItemRow>> {
    let mut q = Sql::new(PLAN);
    push_assigned_scope(&mut q, scope, "i");
    if let Some(c) = chain_id {
        q.push(" AND i.chain_id = ").bind(c);
    }
    if let Some(y) = year {
        q.push(" AND i.year = ").bind(y);
    }
    q.push(" ORDER BY i.chain_id, i.kind, i.year, i.seq");
    q.fetch_all(db).await
}

pub async fn plan_item(db: &Db, scope: &EnterpriseScope, id: i64) -> Result<Option<PlanItemRow>> {
    let mut q = Sql::new(PLAN);
    q.push(" AND i.id = ").bind(id);
    push_assigned_scope(&mut q, scope, "i");
    q.fetch_optional(db).await
}
