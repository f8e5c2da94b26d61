//! Key projects (SPEC D): the library, yearly plans, milestones, monthly reports, the
//! timeline with its evidence, supervision orders and saved filters. Every read takes the
//! caller's scope ([`push_scope`]): the office and viewers see the city, a chief and a lead
//! department their chains, a region its projects, a unit and a responsible person what is
//! assigned to them, an enterprise its own.

use crate::sql::Sql;
use crate::{Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::role::EnterpriseScope;
use serde::Serialize;

/// What the caller wants to do with the projects a query returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    /// Change the project itself, its stage and milestones: the office, the chain's lead
    /// department, the project's region.
    Edit,
    /// Submit monthly reports and answer supervision: editors, the responsible unit and the
    /// responsible person.
    Report,
}

/// Limits a query over `project p` to what `scope` (and the account `account`,
/// as a responsible person) may reach with `access`.
pub fn push_scope(q: &mut Sql, scope: &EnterpriseScope, account: i64, access: Access) {
    let all = match access {
        Access::Read => scope.read_all,
        Access::Edit | Access::Report => scope.write_all,
    };
    if all {
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
    if access != Access::Edit {
        // A responsible unit may be a department or a county/park.
        let units: Vec<&String> = scope.units.iter().chain(&scope.lead_departments).chain(&scope.regions).collect();
        if !units.is_empty() {
            q.push(" OR p.unit_code IN ").bind_list(units);
        }
        if account != 0 {
            q.push(" OR p.person_account_id = ").bind(account);
        }
    }
    if access == Access::Read {
        if !scope.chains_read.is_empty() {
            q.push(" OR p.chain_id IN (SELECT id FROM chain WHERE code IN ").bind_list(&scope.chains_read).push(")");
        }
        if !scope.own_usccs.is_empty() {
            q.push(" OR p.enterprise_id IN (SELECT id FROM enterprise WHERE uscc IN ")
                .bind_list(&scope.own_usccs)
                .push(")");
        }
    }
    q.push(")");
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct ProjectRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub chain_id: i64,
    pub chain_code: String,
    pub chain_name: String,
    pub lead_department_code: String,
    pub segment_id: Option<i64>,
    pub segment_name: Option<String>,
    pub region_code: String,
    pub region_name: String,
    /// carrying, collaborating, or none when the region is not on the chain's list.
    pub region_role: Option<String>,
    pub enterprise_id: Option<i64>,
    /// The owner enterprise's USCC (public registry data), when linked.
    pub enterprise_uscc: Option<String>,
    pub investor: String,
    pub kind: String,
    pub tag_effective: bool,
    pub tag_rooted: bool,
    pub tag_tax: bool,
    pub total_fen: i64,
    pub land_mu: String,
    pub land_mode: Option<String>,
    pub output_fen: i64,
    pub tax_fen: i64,
    pub content: String,
    pub unit_code: String,
    pub unit_name: String,
    pub person: String,
    pub person_account_id: Option<i64>,
    /// The responsible person's account, when linked.
    pub person_username: Option<String>,
    pub contact: String,
    pub stage: String,
    pub stage_on: NaiveDate,
    pub planned_start: NaiveDate,
    pub planned_end: Option<NaiveDate>,
    pub first_month: String,
    pub completed_fen: i64,
    pub last_month: Option<String>,
    pub terminated_reason: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "SELECT p.id, p.code, p.name, p.chain_id, c.code AS chain_code, c.name AS chain_name, \
     c.lead_department_code, p.segment_id, s.name AS segment_name, p.region_code, r.name AS region_name, \
     (SELECT cr.role FROM chain_region cr WHERE cr.chain_id = p.chain_id AND cr.region_code = p.region_code) AS region_role, \
     p.enterprise_id, (SELECT e.uscc FROM enterprise e WHERE e.id = p.enterprise_id) AS enterprise_uscc, p.investor, p.kind, p.tag_effective, p.tag_rooted, p.tag_tax, p.total_fen, p.land_mu, p.land_mode, \
     p.output_fen, p.tax_fen, p.content, p.unit_code, \
     COALESCE((SELECT d.name FROM department d WHERE d.code = p.unit_code), (SELECT u.name FROM region u WHERE u.code = p.unit_code), p.unit_code) AS unit_name, \
     p.person, p.person_account_id, (SELECT a.username FROM account a WHERE a.id = p.person_account_id) AS person_username, p.contact, p.stage, p.stage_on, p.planned_start, p.planned_end, p.first_month, \
     p.completed_fen, p.last_month, p.terminated_reason, p.version, p.created_at, p.updated_at \
     FROM project p JOIN chain c ON c.id = p.chain_id JOIN region r ON r.code = p.region_code \
     LEFT JOIN segment s ON s.id = p.segment_id WHERE 1 = 1";

/// The list's filters (all optional).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub chain_id: Option<i64>,
    /// A county or park code; a prefecture code covers its counties.
    pub region: Option<String>,
    pub stage: Option<String>,
    pub kind: Option<String>,
    pub unit: Option<String>,
    /// effective_investment, rooted_industry or lasting_tax.
    pub tag: Option<String>,
    /// Name, code or investor fragment.
    pub q: Option<String>,
    /// Only these ids (a code filter computed by the caller).
    pub ids: Option<Vec<i64>>,
    /// Not these ids (the green-code filter: everything but the coded ones).
    pub exclude_ids: Vec<i64>,
    /// Only projects still under way (not 投产 or 终止).
    pub active_only: bool,
    /// updated (default), name, total, stage, completed.
    pub sort: Option<String>,
    pub page: i64,
    pub per_page: i64,
}

fn push_filter(q: &mut Sql, f: &Filter) {
    if let Some(c) = f.chain_id {
        q.push(" AND p.chain_id = ").bind(c);
    }
    if let Some(r) = &f.region {
        q.push(" AND (p.region_code = ").bind(r);
        q.push(" OR p.region_code IN (SELECT code FROM region WHERE parent_code = ").bind(r).push("))");
    }
    if let Some(s) = &f.stage {
        q.push(" AND p.stage = ").bind(s);
    }
    if let Some(k) = &f.kind {
        q.push(" AND p.kind = ").bind(k);
    }
    if let Some(u) = &f.unit {
        q.push(" AND p.unit_code = ").bind(u);
    }
    match f.tag.as_deref() {
        Some("effective_investment") => {
            q.push(" AND p.tag_effective = TRUE");
        }
        Some("rooted_industry") => {
            q.push(" AND p.tag_rooted = TRUE");
        }
        Some("lasting_tax") => {
            q.push(" AND p.tag_tax = TRUE");
        }
        _ => {}
    }
    if let Some(t) = f.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = format!("%{}%", t.replace(['%', '_'], "").to_lowercase());
        q.push(" AND (LOWER(p.name) LIKE ").bind(like.clone()).push(" OR LOWER(p.code) LIKE ").bind(like.clone());
        q.push(" OR LOWER(p.investor) LIKE ").bind(like).push(")");
    }
    if let Some(ids) = &f.ids {
        if ids.is_empty() {
            q.push(" AND 1 = 0");
        } else {
            q.push(" AND p.id IN ").bind_list(ids.iter().copied());
        }
    }
    if !f.exclude_ids.is_empty() {
        q.push(" AND p.id NOT IN ").bind_list(f.exclude_ids.iter().copied());
    }
    if f.active_only {
        q.push(" AND p.stage NOT IN ('operating', 'terminated')");
    }
}

/// One page of the projects `scope` may read, and the total.
pub async fn list(db: &Db, scope: &EnterpriseScope, account: i64, f: &Filter) -> Result<(Vec<ProjectRow>, i64)> {
    Ok((page(db, scope, account, f).await?, count(db, scope, account, f).await?))
}

/// How many projects `scope` may read with the filter.
pub async fn count(db: &Db, scope: &EnterpriseScope, account: i64, f: &Filter) -> Result<i64> {
    let mut q = Sql::new("SELECT COUNT(*) FROM project p WHERE 1 = 1");
    push_scope(&mut q, scope, account, Access::Read);
    push_filter(&mut q, f);
    q.fetch_i64(db).await
}

/// One page of the projects `scope` may read.
pub async fn page(db: &Db, scope: &EnterpriseScope, account: i64, f: &Filter) -> Result<Vec<ProjectRow>> {
    let order = match f.sort.as_deref() {
        Some("name") => " ORDER BY p.name, p.id",
        Some("total") => " ORDER BY p.total_fen DESC, p.id DESC",
        Some("completed") => " ORDER BY p.completed_fen DESC, p.id DESC",
        Some("stage") => {
            " ORDER BY CASE p.stage WHEN 'planning' THEN 1 WHEN 'signed' THEN 2 WHEN 'approval' THEN 3 WHEN 'started' THEN 4 \
             WHEN 'building' THEN 5 WHEN 'completed' THEN 6 WHEN 'operating' THEN 7 ELSE 8 END, p.id DESC"
        }
        _ => " ORDER BY p.updated_at DESC, p.id DESC",
    };
    let per = f.per_page.clamp(1, 500);
    // Two statements on purpose: the page's ids from `project` alone (an index walk, whatever
    // the offset), then those rows with their names. SQLite re-prepares a statement whose
    // LIMIT/OFFSET values changed (they take part in planning), so the bound offset stays in
    // the small statement and the wide one is prepared once per connection.
    let mut q = Sql::new("SELECT p.id FROM project p WHERE 1 = 1");
    push_scope(&mut q, scope, account, Access::Read);
    push_filter(&mut q, f);
    q.push(order).push(" LIMIT ").bind(per).push(" OFFSET ").bind(f.page.clamp(0, 1_000_000).saturating_mul(per));
    let ids: Vec<(i64,)> = q.fetch_all(db).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut r = Sql::new(SELECT);
    r.push(" AND p.id IN ").bind_list(ids.iter().map(|(id,)| *id));
    let mut rows: Vec<ProjectRow> = r.fetch_all(db).await?;
    let pos: std::collections::HashMap<i64, usize> = ids.iter().enumerate().map(|(i, (id,))| (*id, i)).collect();
    rows.sort_by_key(|row| pos.get(&row.id).copied().unwrap_or(usize::MAX));
    Ok(rows)
}

/// Every project `scope` may read with the filter, unpaged (exports).
pub async fn all(db: &Db, scope: &EnterpriseScope, account: i64, f: &Filter) -> Result<Vec<ProjectRow>> {
    let mut q = Sql::new(SELECT);
    push_scope(&mut q, scope, account, Access::Read);
    push_filter(&mut q, f);
    q.push(" ORDER BY c.id, p.region_code, p.id");
    q.fetch_all(db).await
}

/// One project, if `scope` may reach it with `access`.
pub async fn get(
    db: &Db,
    scope: &EnterpriseScope,
    account: i64,
    access: Access,
    id: i64,
) -> Result<Option<ProjectRow>> {
    let mut q = Sql::new(SELECT);
    q.push(" AND p.id = ").bind(id);
    push_scope(&mut q, scope, account, access);
    q.fetch_optional(db).await
}

/// A project's fields as written.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NewProject {
    pub code: String,
    pub name: String,
    pub chain_id: i64,
    pub segment_id: Option<i64>,
    pub region_code: String,
    pub enterprise_id: Option<i64>,
    pub investor: String,
    pub kind: String,
    pub tag_effective: bool,
    pub tag_rooted: bool,
    pub tag_tax: bool,
    pub total_fen: i64,
    pub land_mu: String,
    pub land_mode: Option<String>,
    pub output_fen: i64,
    pub tax_fen: i64,
    pub content: String,
    pub unit_code: String,
    pub person: String,
    pub person_account_id: Option<i64>,
    pub contact: String,
    pub planned_start: NaiveDate,
    pub planned_end: Option<NaiveDate>,
}

fn bind_fields(q: &mut Sql, p: &NewProject) {
    q.bind(&p.name).push(", ").bind(p.chain_id).push(", ").bind(p.segment_id).push(", ").bind(&p.region_code);
    q.push(", ").bind(p.enterprise_id).push(", ").bind(&p.investor).push(", ").bind(&p.kind);
    q.push(", ").bind(p.tag_effective).push(", ").bind(p.tag_rooted).push(", ").bind(p.tag_tax);
    q.push(", ").bind(p.total_fen).push(", ").bind(&p.land_mu).push(", ").bind(&p.land_mode);
    q.push(", ").bind(p.output_fen).push(", ").bind(p.tax_fen).push(", ").bind(&p.content);
    q.push(", ").bind(&p.unit_code).push(", ").bind(&p.person).push(", ").bind(p.person_account_id);
    q.push(", ").bind(&p.contact).push(", ").bind(p.planned_start).push(", ").bind(p.planned_end);
}

/// Inserts a project in `stage` (entered on `stage_on`), reporting from `first_month`.
pub async fn insert(
    tx: &mut Tx,
    p: &NewProject,
    stage: &str,
    stage_on: NaiveDate,
    first_month: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO project (code, name, chain_id, segment_id, region_code, enterprise_id, investor, kind, tag_effective, \
         tag_rooted, tag_tax, total_fen, land_mu, land_mode, output_fen, tax_fen, content, unit_code, person, \
         person_account_id, contact, planned_start, planned_end, stage, stage_on, first_month, completed_fen, last_month, \
         reported, terminated_reason, version, created_at, created_by, updated_at, updated_by) VALUES (",
    );
    q.bind(&p.code).push(", ");
    bind_fields(&mut q, p);
    q.push(", ").bind(stage).push(", ").bind(stage_on).push(", ").bind(first_month);
    q.push(", 0, NULL, '', '', 1, ").bind(at).push(", ").bind(by).push(", ").bind(at).push(", ").bind(by);
    q.push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

/// Rewrites a project's fields if it is still at `version`; false when stale.
pub async fn update(
    tx: &mut Tx,
    id: i64,
    version: i64,
    p: &NewProject,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<bool> {
    let mut q = Sql::new(
        "UPDATE project SET (name, chain_id, segment_id, region_code, enterprise_id, investor, kind, tag_effective, \
         tag_rooted, tag_tax, total_fen, land_mu, land_mode, output_fen, tax_fen, content, unit_code, person, \
         person_account_id, contact, planned_start, planned_end) = (",
    );
    bind_fields(&mut q, p);
    q.push("), version = version + 1, updated_at = ").bind(at).push(", updated_by = ").bind(by);
    q.push(" WHERE id = ").bind(id).push(" AND version = ").bind(version);
    Ok(q.execute_tx(tx).await? == 1)
}

/// Bumps the version of a project (any change under it: a milestone, a report).
pub async fn touch(tx: &mut Tx, id: i64, version: i64, at: DateTime<Utc>, by: Option<i64>) -> Result<bool> {
    let mut q = Sql::new("UPDATE project SET version = version + 1, updated_at = ");
    q.bind(at).push(", updated_by = ").bind(by).push(" WHERE id = ").bind(id).push(" AND version = ").bind(version);
    Ok(q.execute_tx(tx).await? == 1)
}

/// Moves a project to `stage` if it is still at `version`.
#[allow(clippy::too_many_arguments)]
pub async fn set_stage(
    tx: &mut Tx,
    id: i64,
    version: i64,
    stage: &str,
    on: NaiveDate,
    reason: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<bool> {
    let mut q = Sql::new("UPDATE project SET stage = ");
    q.bind(stage).push(", stage_on = ").bind(on).push(", terminated_reason = ").bind(reason);
    q.push(", version = version + 1, updated_at = ").bind(at).push(", updated_by = ").bind(by);
    q.push(" WHERE id = ").bind(id).push(" AND version = ").bind(version);
    Ok(q.execute_tx(tx).await? == 1)
}

/// The highest sequence number of the generated codes `XM-{year}-NNNN`.
pub async fn last_code_seq(tx: &mut Tx, year: i32) -> Result<i64> {
    let prefix = format!("XM-{year}-");
    let mut q = Sql::new("SELECT code FROM project WHERE code LIKE ");
    q.bind(format!("{prefix}%"));
    let codes: Vec<(String,)> = q.fetch_all_tx(tx).await?;
    Ok(codes.iter().filter_map(|(c,)| c.strip_prefix(&prefix)?.parse::<i64>().ok()).max().unwrap_or(0))
}

pub async fn code_exists(tx: &mut Tx, code: &str) -> Result<bool> {
    let mut q = Sql::new("SELECT COUNT(*) FROM project WHERE code = ");
    q.bind(code);
    Ok(q.fetch_one_i64_tx(tx).await? > 0)
}

// ---------------------------------------------------------------- plans

pub async fn plans(db: &Db, id: i64) -> Result<Vec<(i64, i64)>> {
    let mut q = Sql::new("SELECT year, plan_fen FROM project_plan WHERE project_id = ");
    q.bind(id).push(" ORDER BY year");
    q.fetch_all(db).await
}

pub async fn replace_plans(tx: &mut Tx, id: i64, plans: &[(i64, i64)]) -> Result<()> {
    let mut d = Sql::new("DELETE FROM project_plan WHERE project_id = ");
    d.bind(id);
    d.execute_tx(tx).await?;
    if plans.is_empty() {
        return Ok(());
    }
    let mut q = Sql::new("INSERT INTO project_plan (project_id, year, plan_fen) VALUES ");
    for (i, (y, f)) in plans.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push("(").bind(id).push(", ").bind(*y).push(", ").bind(*f).push(")");
    }
    q.execute_tx(tx).await?;
    Ok(())
}

// ---------------------------------------------------------------- milestones

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct MilestoneRow {
    pub id: i64,
    pub project_id: i64,
    pub seq: i64,
    pub code: String,
    pub name: String,
    pub stage: Option<String>,
    pub days: i64,
    pub due_on: NaiveDate,
    pub adjusted: bool,
    pub adjust_reason: String,
    pub done_on: Option<NaiveDate>,
}

const MS_SELECT: &str = "SELECT id, project_id, seq, code, name, stage, days, due_on, adjusted, adjust_reason, done_on \
     FROM project_milestone WHERE project_id = ";

pub async fn milestones(db: &Db, id: i64) -> Result<Vec<MilestoneRow>> {
    let mut q = Sql::new(MS_SELECT);
    q.bind(id).push(" ORDER BY seq");
    q.fetch_all(db).await
}

pub async fn milestones_tx(tx: &mut Tx, id: i64) -> Result<Vec<MilestoneRow>> {
    let mut q = Sql::new(MS_SELECT);
    q.bind(id).push(" ORDER BY seq");
    q.fetch_all_tx(tx).await
}

/// Inserts milestones (their ids are ignored).
pub async fn insert_milestones(tx: &mut Tx, rows: &[MilestoneRow]) -> Result<()> {
    for chunk in rows.chunks(200) {
        let mut q = Sql::new(
            "INSERT INTO project_milestone (project_id, seq, code, name, stage, days, due_on, adjusted, adjust_reason, done_on) VALUES ",
        );
        for (i, m) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").bind(m.project_id).push(", ").bind(m.seq).push(", ").bind(&m.code).push(", ").bind(&m.name);
            q.push(", ").bind(&m.stage).push(", ").bind(m.days).push(", ").bind(m.due_on).push(", ").bind(m.adjusted);
            q.push(", ").bind(&m.adjust_reason).push(", ").bind(m.done_on).push(")");
        }
        q.execute_tx(tx).await?;
    }
    Ok(())
}

/// Writes a milestone's dates and adjustment as given.
pub async fn save_milestone(tx: &mut Tx, m: &MilestoneRow) -> Result<()> {
    let mut q = Sql::new("UPDATE project_milestone SET due_on = ");
    q.bind(m.due_on).push(", adjusted = ").bind(m.adjusted).push(", adjust_reason = ").bind(&m.adjust_reason);
    q.push(", done_on = ").bind(m.done_on).push(" WHERE id = ").bind(m.id);
    q.execute_tx(tx).await?;
    Ok(())
}

// ---------------------------------------------------------------- reports

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct ReportRow {
    pub id: i64,
    pub project_id: i64,
    pub month: String,
    pub amount_fen: i64,
    pub progress: String,
    pub problems: String,
    pub late: bool,
    pub submitted_at: DateTime<Utc>,
    pub submitter: String,
}

pub async fn reports(db: &Db, id: i64) -> Result<Vec<ReportRow>> {
    let mut q = Sql::new(
        "SELECT id, project_id, month, amount_fen, progress, problems, late, submitted_at, submitter \
         FROM project_report WHERE project_id = ",
    );
    q.bind(id).push(" ORDER BY month DESC");
    q.fetch_all(db).await
}

pub struct NewReport<'a> {
    pub project_id: i64,
    pub month: &'a str,
    pub amount_fen: i64,
    pub progress: &'a str,
    pub problems: &'a str,
    pub late: bool,
}

/// Inserts a report (a second report of the same month is a unique violation) and keeps
/// the project's summaries with it: the completed sum, the latest month, the reported-months
/// string and the month's cell in `project_done`.
pub async fn insert_report(
    tx: &mut Tx,
    r: &NewReport<'_>,
    at: DateTime<Utc>,
    by: Option<i64>,
    by_name: &str,
) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO project_report (project_id, month, amount_fen, progress, problems, late, submitted_at, submitted_by, submitter) VALUES (",
    );
    q.bind(r.project_id).push(", ").bind(r.month).push(", ").bind(r.amount_fen).push(", ").bind(r.progress);
    q.push(", ")
        .bind(r.problems)
        .push(", ")
        .bind(r.late)
        .push(", ")
        .bind(at)
        .push(", ")
        .bind(by)
        .push(", ")
        .bind(by_name);
    q.push(") RETURNING id");
    let id = q.fetch_one_i64_tx(tx).await?;
    // The update first: it locks the project's row, so that the read below sees the flags
    // of a report committed concurrently (READ COMMITTED on PostgreSQL) and none is lost.
    let mut u = Sql::new("UPDATE project SET completed_fen = completed_fen + ");
    u.bind(r.amount_fen).push(", last_month = CASE WHEN last_month IS NULL OR last_month < ").bind(r.month);
    u.push(" THEN ").bind(r.month).push(" ELSE last_month END WHERE id = ").bind(r.project_id);
    u.execute_tx(tx).await?;
    let mut g = Sql::new("SELECT first_month, reported FROM project WHERE id = ");
    g.bind(r.project_id);
    let (first, reported): (String, String) = g.fetch_optional_tx(tx).await?.unwrap_or_default();
    let mut f = Sql::new("UPDATE project SET reported = ");
    f.bind(mark_reported(&first, &reported, r.month)).push(" WHERE id = ").bind(r.project_id);
    f.execute_tx(tx).await?;
    if let Some((year, m)) = split_month(r.month) {
        let col = format!("m{m:02}");
        let mut d = Sql::new(
            "INSERT INTO project_done (project_id, year, m01, m02, m03, m04, m05, m06, m07, m08, m09, m10, m11, m12) VALUES (",
        );
        d.bind(r.project_id).push(", ").bind(year);
        for i in 1..=12 {
            d.push(", ");
            if i == m {
                d.bind(r.amount_fen)
            } else {
                d.push("0")
            };
        }
        d.push(&format!(") ON CONFLICT (project_id, year) DO UPDATE SET {col} = project_done.{col} + excluded.{col}"));
        d.execute_tx(tx).await?;
    }
    Ok(id)
}

/// `2026-03` → (2026, 3).
fn split_month(m: &str) -> Option<(i64, u32)> {
    let (y, mo) = m.split_once('-')?;
    let mo: u32 = mo.parse().ok().filter(|v| (1..=12).contains(v))?;
    Some((y.parse().ok()?, mo))
}

/// Months from `a` to `b` (`YYYY-MM`), negative when `b` is earlier.
pub fn month_offset(a: &str, b: &str) -> Option<i64> {
    let (ya, ma) = split_month(a)?;
    let (yb, mb) = split_month(b)?;
    Some((yb - ya) * 12 + i64::from(mb) - i64::from(ma))
}

/// The reported-months string with `month` marked (one character per month from `first`).
pub fn mark_reported(first: &str, reported: &str, month: &str) -> String {
    let Some(i) = month_offset(first, month).and_then(|i| usize::try_from(i).ok()) else {
        return reported.to_string();
    };
    let mut b: Vec<u8> = reported.bytes().collect();
    if b.len() <= i {
        b.resize(i + 1, b'0');
    }
    b[i] = b'1';
    String::from_utf8(b).unwrap_or_default()
}

/// Reports of many projects in one go (the demo and benchmark generators); call
/// [`rebuild_summaries`] for the projects afterwards.
pub async fn insert_reports_bulk(tx: &mut Tx, rows: &[BulkReport]) -> Result<()> {
    for chunk in rows.chunks(300) {
        let mut q = Sql::new(
            "INSERT INTO project_report (project_id, month, amount_fen, progress, problems, late, submitted_at, submitted_by, submitter) VALUES ",
        );
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").bind(r.project_id).push(", ").bind(r.month.as_str()).push(", ").bind(r.amount_fen);
            q.push(", ").bind(r.progress.as_str()).push(", ").bind(r.problems.as_str()).push(", ").bind(r.late);
            q.push(", ").bind(r.submitted_at).push(", NULL, ").bind(r.submitter.as_str()).push(")");
        }
        q.execute_tx(tx).await?;
    }
    Ok(())
}

/// One report of a bulk insert.
#[derive(Clone, Debug)]
pub struct BulkReport {
    pub project_id: i64,
    pub month: String,
    pub amount_fen: i64,
    pub progress: String,
    pub problems: String,
    pub late: bool,
    pub submitted_at: DateTime<Utc>,
    pub submitter: String,
}

/// Recomputes the report summaries of the given projects from their reports: the completed
/// sum, the latest month, the reported-months string and `project_done`.
pub async fn rebuild_summaries(tx: &mut Tx, ids: &[i64]) -> Result<()> {
    for chunk in ids.chunks(400) {
        let mut d = Sql::new("DELETE FROM project_done WHERE project_id IN ");
        d.bind_list(chunk.iter().copied());
        d.execute_tx(tx).await?;
        let mut q = Sql::new(
            "INSERT INTO project_done (project_id, year, m01, m02, m03, m04, m05, m06, m07, m08, m09, m10, m11, m12) SELECT project_id, CAST(substr(month, 1, 4) AS BIGINT)",
        );
        for m in 1..=12 {
            q.push(&format!(
                ", CAST(SUM(CASE WHEN substr(month, 6, 2) = '{m:02}' THEN amount_fen ELSE 0 END) AS BIGINT)"
            ));
        }
        q.push(" FROM project_report WHERE project_id IN ").bind_list(chunk.iter().copied());
        q.push(" GROUP BY project_id, substr(month, 1, 4)");
        q.execute_tx(tx).await?;
        let mut r = Sql::new(
            "SELECT r.project_id, p.first_month, r.month, r.amount_fen FROM project_report r JOIN project p ON p.id = r.project_id WHERE r.project_id IN ",
        );
        r.bind_list(chunk.iter().copied()).push(" ORDER BY r.project_id, r.month");
        let rows: Vec<(i64, String, String, i64)> = r.fetch_all_tx(tx).await?;
        let mut sums: std::collections::BTreeMap<i64, (i64, String, String)> =
            chunk.iter().map(|id| (*id, (0, String::new(), String::new()))).collect();
        for (pid, first, month, amount) in rows {
            let e = sums.entry(pid).or_default();
            e.0 += amount;
            e.2 = mark_reported(&first, &e.2, &month);
            e.1 = month;
        }
        for (pid, (sum, last, reported)) in sums {
            let mut u = Sql::new("UPDATE project SET completed_fen = ");
            u.bind(sum).push(", last_month = ").bind(Some(last).filter(|l| !l.is_empty()));
            u.push(", reported = ").bind(reported).push(" WHERE id = ").bind(pid);
            u.execute_tx(tx).await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- timeline and evidence

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct EventRow {
    pub id: i64,
    pub project_id: i64,
    pub kind: String,
    pub on_date: NaiveDate,
    pub from_stage: Option<String>,
    pub to_stage: Option<String>,
    pub text: String,
    pub at: DateTime<Utc>,
    pub by_name: String,
}

pub struct NewEvent<'a> {
    pub project_id: i64,
    pub kind: &'a str,
    pub on_date: NaiveDate,
    pub from_stage: Option<&'a str>,
    pub to_stage: Option<&'a str>,
    pub text: &'a str,
}

pub async fn insert_event(
    tx: &mut Tx,
    e: &NewEvent<'_>,
    at: DateTime<Utc>,
    by: Option<i64>,
    by_name: &str,
) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO project_event (project_id, kind, on_date, from_stage, to_stage, text, at, by_id, by_name) VALUES (",
    );
    q.bind(e.project_id).push(", ").bind(e.kind).push(", ").bind(e.on_date);
    q.push(", ").bind(e.from_stage.map(str::to_string)).push(", ").bind(e.to_stage.map(str::to_string));
    q.push(", ").bind(e.text).push(", ").bind(at).push(", ").bind(by).push(", ").bind(by_name).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

/// A project's timeline, newest first.
pub async fn events(db: &Db, id: i64) -> Result<Vec<EventRow>> {
    let mut q = Sql::new(
        "SELECT id, project_id, kind, on_date, from_stage, to_stage, text, at, by_name FROM project_event WHERE project_id = ",
    );
    q.bind(id).push(" ORDER BY on_date DESC, id DESC");
    q.fetch_all(db).await
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct EvidenceRow {
    pub id: i64,
    pub project_id: i64,
    pub event_id: i64,
    pub stage: String,
    pub item: String,
    pub text: String,
    pub file_type: Option<String>,
    pub size: i64,
    pub sm3: String,
    pub created_at: DateTime<Utc>,
}

pub struct NewEvidence<'a> {
    pub project_id: i64,
    pub event_id: i64,
    pub stage: &'a str,
    pub item: &'a str,
    pub text: &'a str,
    pub file_type: Option<&'a str>,
    pub sm3: &'a str,
    pub data: Option<&'a [u8]>,
}

pub async fn insert_evidence(tx: &mut Tx, e: &NewEvidence<'_>, at: DateTime<Utc>, by: Option<i64>) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO project_evidence (project_id, event_id, stage, item, text, file_type, size, sm3, data, created_at, created_by) VALUES (",
    );
    q.bind(e.project_id).push(", ").bind(e.event_id).push(", ").bind(e.stage).push(", ").bind(e.item);
    q.push(", ").bind(e.text).push(", ").bind(e.file_type.map(str::to_string));
    q.push(", ").bind(e.data.map_or(0, |d| d.len() as i64)).push(", ").bind(e.sm3).push(", ");
    match e.data {
        Some(d) => q.bind(d.to_vec()),
        None => q.push("NULL"),
    };
    q.push(", ").bind(at).push(", ").bind(by).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

pub async fn evidence(db: &Db, project_id: i64) -> Result<Vec<EvidenceRow>> {
    let mut q = Sql::new(
        "SELECT id, project_id, event_id, stage, item, text, file_type, size, sm3, created_at FROM project_evidence WHERE project_id = ",
    );
    q.bind(project_id).push(" ORDER BY id");
    q.fetch_all(db).await
}

/// An evidence file's name, type and bytes.
pub async fn evidence_file(db: &Db, project_id: i64, id: i64) -> Result<Option<(String, String, Vec<u8>)>> {
    let mut q = Sql::new("SELECT text, file_type, data FROM project_evidence WHERE data IS NOT NULL AND project_id = ");
    q.bind(project_id).push(" AND id = ").bind(id);
    q.fetch_optional(db).await
}

// ---------------------------------------------------------------- supervision

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct SupervisionRow {
    pub id: i64,
    pub project_id: i64,
    pub title: String,
    pub content: String,
    pub due_on: NaiveDate,
    pub issued_at: DateTime<Utc>,
    pub issuer: String,
    pub response: String,
    pub responded_at: Option<DateTime<Utc>>,
    pub responder: String,
    pub version: i64,
}

const SUP_SELECT: &str = "SELECT id, project_id, title, content, due_on, issued_at, issuer, response, responded_at, responder, version \
     FROM project_supervision WHERE ";

pub async fn supervisions(db: &Db, project_id: i64) -> Result<Vec<SupervisionRow>> {
    let mut q = Sql::new(SUP_SELECT);
    q.push("project_id = ").bind(project_id).push(" ORDER BY id DESC");
    q.fetch_all(db).await
}

pub async fn supervision_tx(tx: &mut Tx, id: i64) -> Result<Option<SupervisionRow>> {
    let mut q = Sql::new(SUP_SELECT);
    q.push("id = ").bind(id);
    q.fetch_optional_tx(tx).await
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_supervision(
    tx: &mut Tx,
    project_id: i64,
    title: &str,
    content: &str,
    due_on: NaiveDate,
    at: DateTime<Utc>,
    by: Option<i64>,
    by_name: &str,
) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO project_supervision (project_id, title, content, due_on, issued_at, issued_by, issuer, response, responder, version) VALUES (",
    );
    q.bind(project_id).push(", ").bind(title).push(", ").bind(content).push(", ").bind(due_on);
    q.push(", ").bind(at).push(", ").bind(by).push(", ").bind(by_name).push(", '', '', 1) RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

/// Records the response to a supervision order still at `version` and not yet answered.
pub async fn respond_supervision(
    tx: &mut Tx,
    id: i64,
    version: i64,
    response: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
    by_name: &str,
) -> Result<bool> {
    let mut q = Sql::new("UPDATE project_supervision SET response = ");
    q.bind(response).push(", responded_at = ").bind(at).push(", responded_by = ").bind(by);
    q.push(", responder = ").bind(by_name).push(", version = version + 1 WHERE id = ").bind(id);
    q.push(" AND version = ").bind(version).push(" AND responded_at IS NULL");
    Ok(q.execute_tx(tx).await? == 1)
}

// ---------------------------------------------------------------- saved filters

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct SavedFilter {
    pub id: i64,
    pub name: String,
    pub query: String,
}

pub async fn saved_filters(db: &Db, account: i64) -> Result<Vec<SavedFilter>> {
    let mut q = Sql::new("SELECT id, name, query FROM project_filter WHERE account_id = ");
    q.bind(account).push(" ORDER BY name");
    q.fetch_all(db).await
}

pub async fn save_filter(tx: &mut Tx, account: i64, name: &str, query: &str, at: DateTime<Utc>) -> Result<i64> {
    let mut q = Sql::new("INSERT INTO project_filter (account_id, name, query, created_at) VALUES (");
    q.bind(account).push(", ").bind(name).push(", ").bind(query).push(", ").bind(at).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

pub async fn delete_filter(tx: &mut Tx, account: i64, id: i64) -> Result<bool> {
    let mut q = Sql::new("DELETE FROM project_filter WHERE account_id = ");
    q.bind(account).push(" AND id = ").bind(id);
    Ok(q.execute_tx(tx).await? == 1)
}

// ---------------------------------------------------------------- facts for codes and schedules

/// What a project's facts and codes are computed from, whatever the day: loaded once per
/// server instance and patched from the change feed (see `app::project_book`).
#[derive(Clone, Debug, Serialize, PartialEq, sqlx::FromRow)]
pub struct BookProject {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub chain_id: i64,
    pub region_code: String,
    pub unit_code: String,
    pub person_account_id: Option<i64>,
    pub stage: String,
    pub stage_on: NaiveDate,
    pub first_month: String,
    /// One character per month from `first_month`: `1` reported, `0` not.
    pub reported: String,
    pub total_fen: i64,
}

/// A project's facts for a period: what codes and scheduling reports are computed from.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Facts {
    #[serde(flatten)]
    pub project: BookProject,
    /// The plan of the period's year.
    pub plan_fen: i64,
    /// Completed from January to the period's month.
    pub ytd_fen: i64,
    /// Completed in the period's month.
    pub month_fen: i64,
}

impl std::ops::Deref for Facts {
    type Target = BookProject;
    fn deref(&self) -> &BookProject {
        &self.project
    }
}

/// A year's completed investment per month (`project_done`).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct BookDone {
    pub project_id: i64,
    pub year: i64,
    pub m01: i64,
    pub m02: i64,
    pub m03: i64,
    pub m04: i64,
    pub m05: i64,
    pub m06: i64,
    pub m07: i64,
    pub m08: i64,
    pub m09: i64,
    pub m10: i64,
    pub m11: i64,
    pub m12: i64,
}

impl BookDone {
    pub fn months(&self) -> [i64; 12] {
        [
            self.m01, self.m02, self.m03, self.m04, self.m05, self.m06, self.m07, self.m08, self.m09, self.m10,
            self.m11, self.m12,
        ]
    }
}

/// A supervision order in the book: (project, title, due, issued, responded).
pub type BookSupervision = (i64, String, NaiveDate, DateTime<Utc>, Option<DateTime<Utc>>);

/// Everything the book holds of some projects (`ids`), or of all (`None`).
#[derive(Debug, Default)]
pub struct BookRows {
    pub projects: Vec<BookProject>,
    /// (project, year, plan)
    pub plans: Vec<(i64, i64, i64)>,
    pub done: Vec<BookDone>,
    /// (project, name, due, done), in milestone order.
    pub milestones: Vec<(i64, String, NaiveDate, Option<NaiveDate>)>,
    pub supervisions: Vec<BookSupervision>,
    /// Late reports: (project, month, submitted)
    pub late_reports: Vec<(i64, String, DateTime<Utc>)>,
    /// Days a project entered 开工: (project, day)
    pub started: Vec<(i64, NaiveDate)>,
}

/// Loads the book's rows of the projects `ids` (all projects when `None`): a handful of
/// plain reads by project id, no scope (the callers filter by [`visible_ids`]).
pub async fn book_rows(db: &Db, ids: Option<&[i64]>) -> Result<BookRows> {
    if ids.is_some_and(<[i64]>::is_empty) {
        return Ok(BookRows::default());
    }
    let only = |q: &mut Sql, col: &str| {
        if let Some(ids) = ids {
            q.push(&format!(" AND {col} IN ")).bind_list(ids.iter().copied());
        }
    };
    let mut q = Sql::new(
        "SELECT id, code, name, chain_id, region_code, unit_code, person_account_id, stage, stage_on, first_month, \
         reported, total_fen FROM project WHERE 1 = 1",
    );
    only(&mut q, "id");
    let projects = q.fetch_all(db).await?;
    let mut q = Sql::new("SELECT project_id, year, plan_fen FROM project_plan WHERE 1 = 1");
    only(&mut q, "project_id");
    let plans = q.fetch_all(db).await?;
    let mut q = Sql::new(
        "SELECT project_id, year, m01, m02, m03, m04, m05, m06, m07, m08, m09, m10, m11, m12 FROM project_done WHERE 1 = 1",
    );
    only(&mut q, "project_id");
    let done = q.fetch_all(db).await?;
    let mut q = Sql::new("SELECT project_id, name, due_on, done_on FROM project_milestone WHERE 1 = 1");
    only(&mut q, "project_id");
    q.push(" ORDER BY project_id, seq");
    let milestones = q.fetch_all(db).await?;
    let mut q =
        Sql::new("SELECT project_id, title, due_on, issued_at, responded_at FROM project_supervision WHERE 1 = 1");
    only(&mut q, "project_id");
    q.push(" ORDER BY project_id, id");
    let supervisions = q.fetch_all(db).await?;
    let mut q = Sql::new("SELECT project_id, month, submitted_at FROM project_report WHERE late = TRUE");
    only(&mut q, "project_id");
    let late_reports = q.fetch_all(db).await?;
    let mut q =
        Sql::new("SELECT project_id, on_date FROM project_event WHERE kind = 'transition' AND to_stage = 'started'");
    only(&mut q, "project_id");
    let started = q.fetch_all(db).await?;
    Ok(BookRows { projects, plans, done, milestones, supervisions, late_reports, started })
}

/// Which projects a computation covers.
#[derive(Clone, Debug, Default)]
pub struct FactsQuery {
    pub chain_id: Option<i64>,
    pub region: Option<String>,
    pub ids: Option<Vec<i64>>,
}

/// The ids of the projects `scope` may read among those the query selects, in id order;
/// `None` when that is every project (a city-wide reader without a filter).
pub async fn visible_ids(db: &Db, scope: &EnterpriseScope, account: i64, f: &FactsQuery) -> Result<Option<Vec<i64>>> {
    if scope.read_all && f.chain_id.is_none() && f.region.is_none() && f.ids.is_none() {
        return Ok(None);
    }
    let mut q = Sql::new("SELECT p.id FROM project p WHERE 1 = 1");
    push_scope(&mut q, scope, account, Access::Read);
    if let Some(c) = f.chain_id {
        q.push(" AND p.chain_id = ").bind(c);
    }
    if let Some(r) = &f.region {
        q.push(" AND (p.region_code = ").bind(r);
        q.push(" OR p.region_code IN (SELECT code FROM region WHERE parent_code = ").bind(r).push("))");
    }
    if let Some(ids) = &f.ids {
        if ids.is_empty() {
            return Ok(Some(Vec::new()));
        }
        q.push(" AND p.id IN ").bind_list(ids.iter().copied());
    }
    q.push(" ORDER BY p.id");
    let rows: Vec<(i64,)> = q.fetch_all(db).await?;
    Ok(Some(rows.into_iter().map(|(id,)| id).collect()))
}

/// Milestones open on `day` (not done by then) and due before it, of projects in scope;
/// `done_later` also looks for those done after `day` (a day in the past).
pub async fn overdue_milestones(
    db: &Db,
    scope: &EnterpriseScope,
    account: i64,
    day: NaiveDate,
    ids: Option<&[i64]>,
    done_later: bool,
) -> Result<Vec<(i64, String, NaiveDate)>> {
    let mut q = Sql::new(
        "SELECT m.project_id, m.name, m.due_on FROM project_milestone m JOIN project p ON p.id = m.project_id WHERE m.due_on < ",
    );
    q.bind(day).push(" AND NOT (p.stage IN ('operating', 'terminated') AND p.stage_on <= ").bind(day).push(")");
    let mut later = q.clone();
    // Two queries, so that the first (today's case) walks the partial index of open ones.
    q.push(" AND m.done_on IS NULL");
    later.push(" AND m.done_on > ").bind(day);
    let mut out = Vec::new();
    // Milestones done after `day` only exist when `day` is in the past.
    let queries = if done_later { vec![q, later] } else { vec![q] };
    for mut q in queries {
        push_scope(&mut q, scope, account, Access::Read);
        if let Some(ids) = ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            q.push(" AND m.project_id IN ").bind_list(ids.iter().copied());
        }
        q.push(" ORDER BY m.project_id, m.seq");
        out.extend(q.fetch_all::<(i64, String, NaiveDate)>(db).await?);
    }
    Ok(out)
}

/// Open supervision orders of projects the caller reports on (their to-do list).
pub async fn open_supervisions(db: &Db, scope: &EnterpriseScope, account: i64) -> Result<Vec<SupervisionRow>> {
    let mut q = Sql::new(
        "SELECT v.id, v.project_id, v.title, v.content, v.due_on, v.issued_at, v.issuer, v.response, v.responded_at, \
         v.responder, v.version FROM project_supervision v JOIN project p ON p.id = v.project_id WHERE v.responded_at IS NULL",
    );
    push_scope(&mut q, scope, account, Access::Report);
    q.push(" ORDER BY v.due_on, v.id");
    q.fetch_all(db).await
}
