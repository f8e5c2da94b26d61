//! Enterprise problems 企业之家 (issue 7, SPEC E): the ledger, each problem's steps and
//! files, chain-wide groups and the working-day calendar. Every read that lists or opens
//! problems takes the reader's scope and filters here.

use crate::sql::Sql;
use crate::{Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::role::EnterpriseScope;
use serde::Serialize;

/// Adds the reader's scope to a query over `problem p`.
///
/// The office and viewers read everything; a region its own (a prefecture code covers its
/// counties); a lead department the problems of the chains it leads and those routed to it
/// as handler or as the category's department; a unit those routed to it; a chain chief the
/// problems of its chains; an enterprise its own.
pub fn push_scope(q: &mut Sql, scope: &EnterpriseScope) {
    if scope.read_all {
        return;
    }
    q.push(" AND (1 = 0");
    if !scope.regions.is_empty() {
        q.push(" OR p.region_code IN ").bind_list(&scope.regions);
        q.push(" OR p.region_code IN (SELECT code FROM region WHERE parent_code IN ")
            .bind_list(&scope.regions)
            .push(")");
    }
    if !scope.lead_departments.is_empty() {
        q.push(" OR p.chain_id IN (SELECT id FROM chain WHERE lead_department_code IN ")
            .bind_list(&scope.lead_departments)
            .push(")");
    }
    let units: Vec<&String> = scope.units.iter().chain(&scope.lead_departments).collect();
    if !units.is_empty() {
        q.push(" OR p.unit_code IN ").bind_list(units.clone());
        q.push(" OR p.co_unit_code IN ").bind_list(units);
    }
    if !scope.chains_read.is_empty() {
        q.push(" OR p.chain_id IN (SELECT id FROM chain WHERE code IN ").bind_list(&scope.chains_read).push(")");
    }
    if !scope.own_usccs.is_empty() {
        q.push(" OR p.enterprise_id IN (SELECT id FROM enterprise WHERE uscc IN ")
            .bind_list(&scope.own_usccs)
            .push(")");
    }
    q.push(")");
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct ProblemRow {
    pub id: i64,
    pub code: String,
    pub enterprise_id: Option<i64>,
    pub enterprise_uscc: Option<String>,
    pub enterprise_name: String,
    pub chain_id: Option<i64>,
    pub chain_code: Option<String>,
    pub chain_name: Option<String>,
    pub region_code: String,
    pub region_name: String,
    pub category: String,
    pub subcategory: String,
    pub title: String,
    pub description: String,
    pub contact: String,
    pub source: String,
    pub source_ref: String,
    pub status: String,
    pub level: String,
    pub unit_code: String,
    pub unit_name: String,
    pub co_unit_code: String,
    pub level_since: NaiveDate,
    pub deadline: NaiveDate,
    pub lapsed_units: String,
    pub answer: String,
    pub answered_on: Option<NaiveDate>,
    pub rating: Option<i64>,
    pub rating_note: String,
    pub closed_on: Option<NaiveDate>,
    pub reopened: i64,
    pub group_id: Option<i64>,
    pub raised_on: NaiveDate,
    pub raised_by: Option<i64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT p.id, p.code, p.enterprise_id, e.uscc AS enterprise_uscc, p.enterprise_name, p.chain_id, \
     c.code AS chain_code, c.name AS chain_name, p.region_code, r.name AS region_name, p.category, p.subcategory, \
     p.title, p.description, p.contact, p.source, p.source_ref, p.status, p.level, p.unit_code, \
     COALESCE(d.name, ur.name, uc.name, p.unit_code) AS unit_name, p.co_unit_code, p.level_since, p.deadline, \
     p.lapsed_units, p.answer, p.answered_on, p.rating, p.rating_note, p.closed_on, p.reopened, p.group_id, \
     p.raised_on, p.raised_by, p.version, p.created_at, p.updated_at \
     FROM problem p JOIN region r ON r.code = p.region_code \
     LEFT JOIN enterprise e ON e.id = p.enterprise_id LEFT JOIN chain c ON c.id = p.chain_id \
     LEFT JOIN department d ON d.code = p.unit_code LEFT JOIN region ur ON ur.code = p.unit_code \
     LEFT JOIN chain uc ON uc.code = p.unit_code WHERE 1 = 1";

/// A new problem as the app has checked and routed it.
#[derive(Clone, Debug)]
pub struct NewProblem {
    pub code: String,
    pub enterprise_id: Option<i64>,
    pub enterprise_name: String,
    pub chain_id: Option<i64>,
    pub region_code: String,
    pub category: String,
    pub subcategory: String,
    pub title: String,
    pub description: String,
    pub contact: String,
    pub source: String,
    pub source_ref: String,
    pub dedup_key: String,
    pub level: String,
    pub unit_code: String,
    pub co_unit_code: String,
    pub raised_on: NaiveDate,
    pub deadline: NaiveDate,
    pub raised_by: Option<i64>,
}

pub async fn insert(tx: &mut Tx, p: &NewProblem, at: DateTime<Utc>) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO problem (code, enterprise_id, enterprise_name, chain_id, region_code, category, subcategory, title, \
         description, contact, source, source_ref, dedup_key, status, level, unit_code, co_unit_code, level_since, deadline, \
         lapsed_units, answer, rating_note, reopened, raised_on, raised_by, version, created_at, updated_at) VALUES (",
    );
    q.bind(&p.code).push(", ").bind(p.enterprise_id).push(", ").bind(&p.enterprise_name);
    q.push(", ").bind(p.chain_id).push(", ").bind(&p.region_code).push(", ").bind(&p.category);
    q.push(", ").bind(&p.subcategory).push(", ").bind(&p.title).push(", ").bind(&p.description);
    q.push(", ").bind(&p.contact).push(", ").bind(&p.source).push(", ").bind(&p.source_ref);
    q.push(", ").bind(&p.dedup_key).push(", 'submitted', ").bind(&p.level).push(", ").bind(&p.unit_code);
    q.push(", ").bind(&p.co_unit_code).push(", ").bind(p.raised_on).push(", ").bind(p.deadline);
    q.push(", '', '', '', 0, ").bind(p.raised_on).push(", ").bind(p.raised_by);
    q.push(", 1, ").bind(at).push(", ").bind(at).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

/// The new state of a problem after a step.
#[derive(Clone, Debug)]
pub struct ProblemState {
    pub status: String,
    pub level: String,
    pub unit_code: String,
    pub level_since: NaiveDate,
    pub deadline: NaiveDate,
    pub lapsed_units: String,
    pub answer: String,
    pub answered_on: Option<NaiveDate>,
    pub rating: Option<i64>,
    pub rating_note: String,
    pub closed_on: Option<NaiveDate>,
    pub reopened: i64,
}

impl ProblemState {
    pub fn of(r: &ProblemRow) -> ProblemState {
        ProblemState {
            status: r.status.clone(),
            level: r.level.clone(),
            unit_code: r.unit_code.clone(),
            level_since: r.level_since,
            deadline: r.deadline,
            lapsed_units: r.lapsed_units.clone(),
            answer: r.answer.clone(),
            answered_on: r.answered_on,
            rating: r.rating,
            rating_note: r.rating_note.clone(),
            closed_on: r.closed_on,
            reopened: r.reopened,
        }
    }
}

/// Writes a problem's new state if it is still at `version`; false when stale.
pub async fn set_state(tx: &mut Tx, id: i64, version: i64, s: &ProblemState, at: DateTime<Utc>) -> Result<bool> {
    let mut q = Sql::new("UPDATE problem SET status = ");
    q.bind(&s.status).push(", level = ").bind(&s.level).push(", unit_code = ").bind(&s.unit_code);
    q.push(", level_since = ").bind(s.level_since).push(", deadline = ").bind(s.deadline);
    q.push(", lapsed_units = ").bind(&s.lapsed_units).push(", answer = ").bind(&s.answer);
    q.push(", answered_on = ").bind(s.answered_on).push(", rating = ").bind(s.rating);
    q.push(", rating_note = ").bind(&s.rating_note).push(", closed_on = ").bind(s.closed_on);
    q.push(", reopened = ").bind(s.reopened).push(", version = version + 1, updated_at = ").bind(at);
    q.push(" WHERE id = ").bind(id).push(" AND version = ").bind(version);
    Ok(q.execute_tx(tx).await? == 1)
}

/// One step on a problem, as recorded.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct EventRow {
    pub id: i64,
    pub problem_id: i64,
    pub at: DateTime<Utc>,
    pub action: String,
    pub actor: String,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub from_status: Option<String>,
    pub to_status: String,
    pub from_level: Option<String>,
    pub to_level: String,
    pub unit_code: String,
    pub text: String,
    pub rating: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct NewEvent<'a> {
    pub problem_id: i64,
    pub action: &'a str,
    pub actor: &'a str,
    pub account_id: Option<i64>,
    pub from_status: Option<&'a str>,
    pub to_status: &'a str,
    pub from_level: Option<&'a str>,
    pub to_level: &'a str,
    pub unit_code: &'a str,
    pub text: &'a str,
    pub rating: Option<i64>,
}

pub async fn insert_event(tx: &mut Tx, e: &NewEvent<'_>, at: DateTime<Utc>) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO problem_event (problem_id, at, action, actor, account_id, from_status, to_status, from_level, \
         to_level, unit_code, text, rating) VALUES (",
    );
    q.bind(e.problem_id).push(", ").bind(at).push(", ").bind(e.action).push(", ").bind(e.actor);
    q.push(", ").bind(e.account_id).push(", ").bind(e.from_status.map(str::to_string));
    q.push(", ").bind(e.to_status).push(", ").bind(e.from_level.map(str::to_string));
    q.push(", ").bind(e.to_level).push(", ").bind(e.unit_code).push(", ").bind(e.text);
    q.push(", ").bind(e.rating).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

pub async fn events(db: &Db, problem_id: i64) -> Result<Vec<EventRow>> {
    let mut q = Sql::new(
        "SELECT v.id, v.problem_id, v.at, v.action, v.actor, v.account_id, a.display_name AS account_name, v.from_status, \
         v.to_status, v.from_level, v.to_level, v.unit_code, v.text, v.rating FROM problem_event v \
         LEFT JOIN account a ON a.id = v.account_id WHERE v.problem_id = ",
    );
    q.bind(problem_id).push(" ORDER BY v.id");
    q.fetch_all(db).await
}

/// A problem by id if the scope lets the reader see it.
pub async fn get(db: &Db, scope: &EnterpriseScope, id: i64) -> Result<Option<ProblemRow>> {
    let mut q = Sql::new(SELECT);
    q.push(" AND p.id = ").bind(id);
    push_scope(&mut q, scope);
    q.fetch_optional(db).await
}

/// A problem by id inside a write transaction (no scope: the app has checked it).
pub async fn get_tx(tx: &mut Tx, id: i64) -> Result<Option<ProblemRow>> {
    let mut q = Sql::new(SELECT);
    q.push(" AND p.id = ").bind(id);
    q.fetch_optional_tx(tx).await
}

/// The list's filters.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub status: Option<String>,
    /// Only open ones (待受理, 办理中).
    pub open_only: bool,
    pub level: Option<String>,
    pub category: Option<String>,
    pub chain_id: Option<i64>,
    /// A county or park code; a prefecture code covers its counties.
    pub region: Option<String>,
    pub unit: Option<String>,
    pub source: Option<String>,
    pub group_id: Option<i64>,
    /// Only those in a chain-wide group.
    pub grouped: bool,
    /// Only these ids (a code filter computed by the caller).
    pub ids: Option<Vec<i64>>,
    pub q: Option<String>,
    pub page: i64,
    pub per_page: i64,
}

fn push_filter(q: &mut Sql, f: &Filter) {
    if let Some(s) = &f.status {
        q.push(" AND p.status = ").bind(s);
    }
    if f.open_only {
        q.push(" AND p.status IN ('submitted', 'accepted')");
    }
    if let Some(l) = &f.level {
        q.push(" AND p.level = ").bind(l);
    }
    if let Some(c) = &f.category {
        q.push(" AND p.category = ").bind(c);
    }
    if let Some(c) = f.chain_id {
        q.push(" AND p.chain_id = ").bind(c);
    }
    if let Some(r) = &f.region {
        q.push(" AND (p.region_code = ").bind(r);
        q.push(" OR p.region_code IN (SELECT code FROM region WHERE parent_code = ").bind(r).push("))");
    }
    if let Some(u) = &f.unit {
        q.push(" AND p.unit_code = ").bind(u);
    }
    if let Some(s) = &f.source {
        q.push(" AND p.source = ").bind(s);
    }
    if let Some(g) = f.group_id {
        q.push(" AND p.group_id = ").bind(g);
    }
    if f.grouped {
        q.push(" AND p.group_id IS NOT NULL");
    }
    if let Some(ids) = &f.ids {
        if ids.is_empty() {
            q.push(" AND 1 = 0");
        } else {
            q.push(" AND p.id IN ").bind_list(ids.iter().copied());
        }
    }
    if let Some(t) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = format!("%{}%", t.replace(['\\', '%', '_'], ""));
        q.push(" AND (p.title LIKE ").bind(like.clone()).push(" OR p.code LIKE ").bind(like.clone());
        q.push(" OR p.enterprise_name LIKE ").bind(like).push(")");
    }
}

pub async fn count(db: &Db, scope: &EnterpriseScope, f: &Filter) -> Result<i64> {
    let mut q = Sql::new("SELECT COUNT(*) FROM problem p WHERE 1 = 1");
    push_scope(&mut q, scope);
    push_filter(&mut q, f);
    q.fetch_i64(db).await
}

/// One page, newest change first.
pub async fn page(db: &Db, scope: &EnterpriseScope, f: &Filter) -> Result<Vec<ProblemRow>> {
    let per = f.per_page.clamp(1, 1000);
    let mut q = Sql::new(SELECT);
    push_scope(&mut q, scope);
    push_filter(&mut q, f);
    q.push(" ORDER BY p.updated_at DESC, p.id DESC LIMIT ")
        .bind(per)
        .push(" OFFSET ")
        .bind(f.page.clamp(0, 1_000_000).saturating_mul(per));
    q.fetch_all(db).await
}

/// Every problem the scope shows that matches `f` (for exports, statistics and agendas).
pub async fn all(db: &Db, scope: &EnterpriseScope, f: &Filter) -> Result<Vec<ProblemRow>> {
    let mut q = Sql::new(SELECT);
    push_scope(&mut q, scope);
    push_filter(&mut q, f);
    q.push(" ORDER BY p.id");
    q.fetch_all(db).await
}

/// Open problems whose deadline passed before `today` (automatic escalation) and answered
/// ones (automatic closure), whoever handles them: the system's sweep.
pub async fn sweep_candidates(db: &Db, today: NaiveDate) -> Result<Vec<ProblemRow>> {
    let mut q = Sql::new(SELECT);
    q.push(" AND ((p.status IN ('submitted', 'accepted') AND p.level <> 'chief' AND p.deadline < ")
        .bind(today)
        .push(") OR p.status = 'answered') ORDER BY p.id");
    q.fetch_all(db).await
}

/// Problems of an enterprise (or with a name when not linked) raised since `since`, with the
/// same category: the duplicate candidates of a new one.
pub async fn recent_of(
    tx: &mut Tx,
    enterprise_id: Option<i64>,
    enterprise_name: &str,
    category: &str,
    since: NaiveDate,
) -> Result<Vec<(i64, String, String, String, String)>> {
    let mut q = Sql::new("SELECT p.id, p.code, p.title, p.description, p.dedup_key FROM problem p WHERE p.category = ");
    q.bind(category).push(" AND p.raised_on >= ").bind(since);
    match enterprise_id {
        Some(e) => q.push(" AND p.enterprise_id = ").bind(e),
        None => q.push(" AND p.enterprise_id IS NULL AND p.enterprise_name = ").bind(enterprise_name),
    };
    q.push(" AND p.status NOT IN ('withdrawn', 'rejected')");
    q.fetch_all_tx(tx).await
}

/// Whether a hotline ticket number was imported before.
pub async fn source_ref_exists(tx: &mut Tx, source: &str, source_ref: &str) -> Result<bool> {
    let mut q = Sql::new("SELECT COUNT(*) FROM problem WHERE source = ");
    q.bind(source).push(" AND source_ref = ").bind(source_ref);
    Ok(q.fetch_one_i64_tx(tx).await? > 0)
}

/// A chain's problems of one category raised since `since` (chain-wide grouping).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct GroupCandidate {
    pub id: i64,
    pub enterprise_id: Option<i64>,
    pub enterprise_name: String,
    pub title: String,
    pub description: String,
    pub raised_on: NaiveDate,
    pub group_id: Option<i64>,
}

pub async fn group_candidates(
    tx: &mut Tx,
    chain_id: i64,
    category: &str,
    since: NaiveDate,
) -> Result<Vec<GroupCandidate>> {
    let mut q = Sql::new(
        "SELECT p.id, p.enterprise_id, p.enterprise_name, p.title, p.description, p.raised_on, p.group_id FROM problem p \
         WHERE p.status NOT IN ('withdrawn', 'rejected') AND p.chain_id = ",
    );
    q.bind(chain_id).push(" AND p.category = ").bind(category).push(" AND p.raised_on >= ").bind(since);
    q.push(" ORDER BY p.raised_on, p.id");
    q.fetch_all_tx(tx).await
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_group(
    tx: &mut Tx,
    chain_id: i64,
    category: &str,
    title: &str,
    enterprises: i64,
    first_on: NaiveDate,
    last_on: NaiveDate,
    at: DateTime<Utc>,
) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO problem_group (chain_id, category, title, enterprises, first_on, last_on, created_at, updated_at) VALUES (",
    );
    q.bind(chain_id).push(", ").bind(category).push(", ").bind(title).push(", ").bind(enterprises);
    q.push(", ").bind(first_on).push(", ").bind(last_on).push(", ").bind(at).push(", ").bind(at);
    q.push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

pub async fn update_group(
    tx: &mut Tx,
    id: i64,
    enterprises: i64,
    first_on: NaiveDate,
    last_on: NaiveDate,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut q = Sql::new("UPDATE problem_group SET enterprises = ");
    q.bind(enterprises).push(", first_on = ").bind(first_on).push(", last_on = ").bind(last_on);
    q.push(", updated_at = ").bind(at).push(" WHERE id = ").bind(id);
    q.execute_tx(tx).await?;
    Ok(())
}

/// Puts problems into a group (only those not yet in one).
pub async fn join_group(tx: &mut Tx, group_id: i64, ids: &[i64], at: DateTime<Utc>) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut q = Sql::new("UPDATE problem SET group_id = ");
    q.bind(group_id).push(", version = version + 1, updated_at = ").bind(at);
    q.push(" WHERE group_id IS NULL AND id IN ").bind_list(ids.iter().copied());
    q.execute_tx(tx).await
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct GroupRow {
    pub id: i64,
    pub chain_id: i64,
    pub chain_code: String,
    pub chain_name: String,
    pub lead_department_code: String,
    pub category: String,
    pub title: String,
    pub enterprises: i64,
    pub members: i64,
    pub open_members: i64,
    pub first_on: NaiveDate,
    pub last_on: NaiveDate,
}

/// Chain-wide groups of the chains in `chain_ids` (all when `None`), newest first.
pub async fn groups(db: &Db, chain_ids: Option<&[i64]>, since: Option<NaiveDate>) -> Result<Vec<GroupRow>> {
    let mut q = Sql::new(
        "SELECT g.id, g.chain_id, c.code AS chain_code, c.name AS chain_name, c.lead_department_code, g.category, g.title, \
         g.enterprises, (SELECT COUNT(*) FROM problem p WHERE p.group_id = g.id) AS members, \
         (SELECT COUNT(*) FROM problem p WHERE p.group_id = g.id AND p.status IN ('submitted', 'accepted', 'answered')) AS open_members, \
         g.first_on, g.last_on FROM problem_group g JOIN chain c ON c.id = g.chain_id WHERE 1 = 1",
    );
    if let Some(ids) = chain_ids {
        if ids.is_empty() {
            q.push(" AND 1 = 0");
        } else {
            q.push(" AND g.chain_id IN ").bind_list(ids.iter().copied());
        }
    }
    if let Some(s) = since {
        q.push(" AND g.last_on >= ").bind(s);
    }
    q.push(" ORDER BY g.last_on DESC, g.id DESC");
    q.fetch_all(db).await
}

/// The highest sequence number of generated codes `{prefix}-{year}-N`.
pub async fn last_code_seq(tx: &mut Tx, table: &'static str, prefix: &str, year: i32) -> Result<i64> {
    let head = format!("{prefix}-{year}-");
    let mut q = Sql::new(&format!("SELECT code FROM {table} WHERE code LIKE "));
    q.bind(format!("{head}%"));
    let codes: Vec<(String,)> = q.fetch_all_tx(tx).await?;
    Ok(codes.iter().filter_map(|(c,)| c.strip_prefix(&head)?.parse::<i64>().ok()).max().unwrap_or(0))
}

// ---- files ----

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct FileRow {
    pub id: i64,
    pub problem_id: i64,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_file(
    tx: &mut Tx,
    problem_id: i64,
    name: &str,
    mime: &str,
    sha256: &str,
    content: Vec<u8>,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<i64> {
    let size = content.len() as i64;
    let mut q = Sql::new(
        "INSERT INTO problem_file (problem_id, name, mime, size, sha256, content, uploaded_at, uploaded_by) VALUES (",
    );
    q.bind(problem_id).push(", ").bind(name).push(", ").bind(mime).push(", ").bind(size);
    q.push(", ").bind(sha256).push(", ").bind(content).push(", ").bind(at).push(", ").bind(by);
    q.push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

pub async fn files(db: &Db, problem_id: i64) -> Result<Vec<FileRow>> {
    let mut q =
        Sql::new("SELECT id, problem_id, name, mime, size, sha256, uploaded_at FROM problem_file WHERE problem_id = ");
    q.bind(problem_id).push(" ORDER BY id");
    q.fetch_all(db).await
}

/// A file's name, type and bytes (the caller has checked the problem's scope).
pub async fn file_content(db: &Db, problem_id: i64, file_id: i64) -> Result<Option<(String, String, Vec<u8>)>> {
    let mut q = Sql::new("SELECT name, mime, content FROM problem_file WHERE problem_id = ");
    q.bind(problem_id).push(" AND id = ").bind(file_id);
    q.fetch_optional(db).await
}

// ---- rates ----

/// Counts behind closure and satisfaction rates, per unit, region or chain (computed by
/// the app from the scoped rows).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RateRow {
    pub key: String,
    pub name: String,
    pub total: i64,
    pub open: i64,
    pub closed: i64,
    pub rated: i64,
    pub satisfied: i64,
}

// ---- the working-day calendar ----

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct DayRow {
    pub day: NaiveDate,
    pub kind: String,
    pub name: String,
}

pub async fn calendar(db: &Db) -> Result<Vec<DayRow>> {
    Sql::new("SELECT day, kind, name FROM workday_adjustment ORDER BY day").fetch_all(db).await
}

pub async fn calendar_count(db: &Db) -> Result<i64> {
    Sql::new("SELECT COUNT(*) FROM workday_adjustment").fetch_i64(db).await
}

pub async fn put_day(tx: &mut Tx, d: &DayRow, at: DateTime<Utc>, by: Option<i64>) -> Result<()> {
    let mut del = Sql::new("DELETE FROM workday_adjustment WHERE day = ");
    del.bind(d.day);
    del.execute_tx(tx).await?;
    let mut q = Sql::new("INSERT INTO workday_adjustment (day, kind, name, added_at, added_by) VALUES (");
    q.bind(d.day).push(", ").bind(&d.kind).push(", ").bind(&d.name).push(", ").bind(at).push(", ").bind(by);
    q.push(")");
    q.execute_tx(tx).await?;
    Ok(())
}

pub async fn delete_day(tx: &mut Tx, day: NaiveDate) -> Result<u64> {
    let mut q = Sql::new("DELETE FROM workday_adjustment WHERE day = ");
    q.bind(day);
    q.execute_tx(tx).await
}
