//! Yearly evaluation runs (their experts, scores, results and review log) and the
//! three-tier ledger with its history and exit procedures. Lists of enterprises are filtered
//! by the reader's enterprise scope here, in the query.

use crate::enterprise::{Access, push_scope};
use crate::sql::Sql;
use crate::{Db, Result, Tx};
use chrono::{DateTime, Utc};
use domain::role::EnterpriseScope;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct RunRow {
    pub id: i64,
    pub scheme_id: i64,
    pub scheme_name: String,
    pub scheme_version: i64,
    pub target: String,
    pub chain_id: i64,
    pub chain_code: String,
    pub chain_name: String,
    pub year: i64,
    pub status: String,
    pub config: String,
    pub snapshot: String,
    pub result: Option<String>,
    pub row_version: i64,
    pub created_at: DateTime<Utc>,
    pub computed_at: Option<DateTime<Utc>>,
    pub approved_at: Option<DateTime<Utc>>,
}

const RUN_SELECT: &str = "SELECT r.id, r.scheme_id, s.name AS scheme_name, r.scheme_version, r.target, r.chain_id, \
     c.code AS chain_code, c.name AS chain_name, r.year, r.status, r.config, r.snapshot, r.result, r.row_version, \
     r.created_at, r.computed_at, r.approved_at \
     FROM eval_run r JOIN eval_scheme s ON s.id = r.scheme_id JOIN chain c ON c.id = r.chain_id";

/// The same columns without the large ones (config, snapshot, result: empty), for lists.
const RUN_HEAD_SELECT: &str = "SELECT r.id, r.scheme_id, s.name AS scheme_name, r.scheme_version, r.target, r.chain_id, \
     c.code AS chain_code, c.name AS chain_name, r.year, r.status, '' AS config, '' AS snapshot, CAST(NULL AS TEXT) AS result, \
     r.row_version, r.created_at, r.computed_at, r.approved_at \
     FROM eval_run r JOIN eval_scheme s ON s.id = r.scheme_id JOIN chain c ON c.id = r.chain_id";

pub struct NewRun<'a> {
    pub scheme_id: i64,
    pub scheme_version: i64,
    pub target: &'a str,
    pub chain_id: i64,
    pub year: i64,
    pub config: &'a str,
    pub snapshot: &'a str,
}

pub async fn insert_run(tx: &mut Tx, r: &NewRun<'_>, at: DateTime<Utc>, by: Option<i64>) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO eval_run (scheme_id, scheme_version, target, chain_id, year, status, config, snapshot, \
         row_version, created_at, created_by) VALUES (",
    );
    q.bind(r.scheme_id).push(", ").bind(r.scheme_version).push(", ").bind(r.target).push(", ").bind(r.chain_id);
    q.push(", ").bind(r.year).push(", 'scoring', ").bind(r.config).push(", ").bind(r.snapshot).push(", 1, ");
    q.bind(at).push(", ").bind(by).push(") RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

pub async fn run(db: &Db, id: i64) -> Result<Option<RunRow>> {
    let mut q = Sql::new(&format!("{RUN_SELECT} WHERE r.id = "));
    q.bind(id);
    q.fetch_optional(db).await
}

/// The run, read again inside a transaction (for the checks of a change).
pub async fn run_tx(tx: &mut Tx, id: i64) -> Result<Option<RunRow>> {
    let mut q = Sql::new(&format!("{RUN_SELECT} WHERE r.id = "));
    q.bind(id);
    q.fetch_optional_tx(tx).await
}

#[derive(Clone, Debug, Default)]
pub struct RunFilter {
    pub scheme_id: Option<i64>,
    pub chain_id: Option<i64>,
    pub year: Option<i64>,
    /// Chain codes the reader may see; none: every chain.
    pub chains: Option<Vec<String>>,
}

/// Runs without their large columns (see [`RUN_HEAD_SELECT`]).
pub async fn runs(db: &Db, f: &RunFilter) -> Result<Vec<RunRow>> {
    let mut q = Sql::new(&format!("{RUN_HEAD_SELECT} WHERE 1 = 1"));
    if let Some(s) = f.scheme_id {
        q.push(" AND r.scheme_id = ").bind(s);
    }
    if let Some(c) = f.chain_id {
        q.push(" AND r.chain_id = ").bind(c);
    }
    if let Some(y) = f.year {
        q.push(" AND r.year = ").bind(y);
    }
    if let Some(chains) = &f.chains {
        if chains.is_empty() {
            q.push(" AND 1 = 0");
        } else {
            q.push(" AND c.code IN ").bind_list(chains);
        }
    }
    q.push(" ORDER BY r.year DESC, c.id, r.id DESC");
    q.fetch_all(db).await
}

/// Moves a run to `status` if it still has `row_version`; false when someone changed it first.
pub async fn set_status(tx: &mut Tx, id: i64, row_version: i64, status: &str, at: DateTime<Utc>) -> Result<bool> {
    let mut q = Sql::new("UPDATE eval_run SET status = ");
    q.bind(status).push(", row_version = row_version + 1");
    match status {
        "computed" => {
            q.push(", computed_at = ").bind(at);
        }
        "scoring" => {
            q.push(", computed_at = NULL, result = NULL");
        }
        _ => {}
    }
    q.push(" WHERE id = ").bind(id).push(" AND row_version = ").bind(row_version);
    Ok(q.execute_tx(tx).await? == 1)
}

pub async fn set_result(tx: &mut Tx, id: i64, result: &str) -> Result<()> {
    let mut q = Sql::new("UPDATE eval_run SET result = ");
    q.bind(result).push(" WHERE id = ").bind(id);
    q.execute_tx(tx).await?;
    Ok(())
}

pub async fn set_approved(tx: &mut Tx, id: i64, at: DateTime<Utc>, by: Option<i64>) -> Result<()> {
    let mut q = Sql::new("UPDATE eval_run SET approved_at = ");
    q.bind(at).push(", approved_by = ").bind(by).push(" WHERE id = ").bind(id);
    q.execute_tx(tx).await?;
    Ok(())
}

/// The approved run of this target and chain with the latest year at or after `year`:
/// (id, year).
pub async fn approved_run_since(tx: &mut Tx, target: &str, chain_id: i64, year: i64) -> Result<Option<(i64, i64)>> {
    let mut q = Sql::new("SELECT id, year FROM eval_run WHERE status = 'approved' AND target = ");
    q.bind(target).push(" AND chain_id = ").bind(chain_id).push(" AND year >= ").bind(year);
    q.push(" ORDER BY year DESC, id DESC LIMIT 1");
    q.fetch_optional_tx::<(i64, i64)>(tx).await
}

/// The year of a run.
pub async fn run_year_tx(tx: &mut Tx, id: i64) -> Result<Option<i64>> {
    let mut q = Sql::new("SELECT year FROM eval_run WHERE id = ");
    q.bind(id);
    Ok(q.fetch_optional_tx::<(i64,)>(tx).await?.map(|r| r.0))
}

/// A reviewed change of a computed run (a tier) makes earlier reads stale.
pub async fn bump(tx: &mut Tx, id: i64) -> Result<()> {
    let mut q = Sql::new("UPDATE eval_run SET row_version = row_version + 1 WHERE id = ");
    q.bind(id);
    q.execute_tx(tx).await?;
    Ok(())
}

// ---- experts ----

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct ExpertRow {
    pub run_id: i64,
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub assigned_at: DateTime<Utc>,
    pub declared_at: Option<DateTime<Utc>>,
    pub conflicts: String,
    pub declaration: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub scores: i64,
}

const EXPERT_SELECT: &str = "SELECT x.run_id, x.account_id, a.username, a.display_name, x.assigned_at, x.declared_at, \
     x.conflicts, x.declaration, x.submitted_at, \
     (SELECT COUNT(*) FROM eval_score s WHERE s.run_id = x.run_id AND s.account_id = x.account_id) AS scores \
     FROM eval_run_expert x JOIN account a ON a.id = x.account_id";

pub async fn experts(db: &Db, run_id: i64) -> Result<Vec<ExpertRow>> {
    let mut q = Sql::new(&format!("{EXPERT_SELECT} WHERE x.run_id = "));
    q.bind(run_id).push(" ORDER BY x.assigned_at, x.account_id");
    q.fetch_all(db).await
}

pub async fn expert_tx(tx: &mut Tx, run_id: i64, account_id: i64) -> Result<Option<ExpertRow>> {
    let mut q = Sql::new(&format!("{EXPERT_SELECT} WHERE x.run_id = "));
    q.bind(run_id).push(" AND x.account_id = ").bind(account_id);
    q.fetch_optional_tx(tx).await
}

pub async fn experts_tx(tx: &mut Tx, run_id: i64) -> Result<Vec<ExpertRow>> {
    let mut q = Sql::new(&format!("{EXPERT_SELECT} WHERE x.run_id = "));
    q.bind(run_id).push(" ORDER BY x.assigned_at, x.account_id");
    q.fetch_all_tx(tx).await
}

/// The runs an expert is assigned to (without their large columns), newest first.
pub async fn runs_of_expert(db: &Db, account_id: i64) -> Result<Vec<(RunRow, ExpertRow)>> {
    let mut q = Sql::new(&format!("{EXPERT_SELECT} WHERE x.account_id = "));
    q.bind(account_id).push(" ORDER BY x.run_id DESC");
    let mut out = Vec::new();
    for x in q.fetch_all::<ExpertRow>(db).await? {
        let mut q = Sql::new(&format!("{RUN_HEAD_SELECT} WHERE r.id = "));
        q.bind(x.run_id);
        if let Some(r) = q.fetch_optional::<RunRow>(db).await? {
            out.push((r, x));
        }
    }
    Ok(out)
}

pub async fn add_expert(tx: &mut Tx, run_id: i64, account_id: i64, at: DateTime<Utc>) -> Result<bool> {
    let mut q = Sql::new("SELECT COUNT(*) FROM eval_run_expert WHERE run_id = ");
    q.bind(run_id).push(" AND account_id = ").bind(account_id);
    if q.fetch_one_i64_tx(tx).await? > 0 {
        return Ok(false);
    }
    let mut q =
        Sql::new("INSERT INTO eval_run_expert (run_id, account_id, assigned_at, conflicts, declaration) VALUES (");
    q.bind(run_id).push(", ").bind(account_id).push(", ").bind(at).push(", '[]', '')");
    q.execute_tx(tx).await?;
    Ok(true)
}

pub async fn remove_expert(tx: &mut Tx, run_id: i64, account_id: i64) -> Result<u64> {
    let mut q = Sql::new("DELETE FROM eval_score WHERE run_id = ");
    q.bind(run_id).push(" AND account_id = ").bind(account_id);
    q.execute_tx(tx).await?;
    let mut q = Sql::new("DELETE FROM eval_run_expert WHERE run_id = ");
    q.bind(run_id).push(" AND account_id = ").bind(account_id);
    q.execute_tx(tx).await
}

pub async fn declare(
    tx: &mut Tx,
    run_id: i64,
    account_id: i64,
    conflicts: &str,
    declaration: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let mut q = Sql::new("UPDATE eval_run_expert SET conflicts = ");
    q.bind(conflicts).push(", declaration = ").bind(declaration).push(", declared_at = ").bind(at);
    q.push(" WHERE run_id = ").bind(run_id).push(" AND account_id = ").bind(account_id);
    q.execute_tx(tx).await?;
    Ok(())
}

/// Marks an expert's scores submitted (`at`) or open again (none); none and no account:
/// every expert of the run.
pub async fn set_submitted(tx: &mut Tx, run_id: i64, account_id: Option<i64>, at: Option<DateTime<Utc>>) -> Result<()> {
    let mut q = Sql::new("UPDATE eval_run_expert SET submitted_at = ");
    match at {
        Some(at) => q.bind(at),
        None => q.push("NULL"),
    };
    q.push(" WHERE run_id = ").bind(run_id);
    if let Some(a) = account_id {
        q.push(" AND account_id = ").bind(a);
    }
    q.execute_tx(tx).await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct ScoreRow {
    pub account_id: i64,
    pub enterprise_id: i64,
    pub indicator: String,
    pub score: f64,
    pub note: String,
}

pub async fn scores(db: &Db, run_id: i64) -> Result<Vec<ScoreRow>> {
    let mut q = Sql::new("SELECT account_id, enterprise_id, indicator, score, note FROM eval_score WHERE run_id = ");
    q.bind(run_id).push(" ORDER BY account_id, enterprise_id, indicator");
    q.fetch_all(db).await
}

/// One expert's scores of a run.
pub async fn scores_of(db: &Db, run_id: i64, account_id: i64) -> Result<Vec<ScoreRow>> {
    let mut q = Sql::new("SELECT account_id, enterprise_id, indicator, score, note FROM eval_score WHERE run_id = ");
    q.bind(run_id).push(" AND account_id = ").bind(account_id).push(" ORDER BY enterprise_id, indicator");
    q.fetch_all(db).await
}

pub async fn scores_tx(tx: &mut Tx, run_id: i64) -> Result<Vec<ScoreRow>> {
    let mut q = Sql::new("SELECT account_id, enterprise_id, indicator, score, note FROM eval_score WHERE run_id = ");
    q.bind(run_id).push(" ORDER BY account_id, enterprise_id, indicator");
    q.fetch_all_tx(tx).await
}

/// Replaces the given (enterprise, indicator) scores of one expert.
pub async fn put_scores(
    tx: &mut Tx,
    run_id: i64,
    account_id: i64,
    rows: &[(i64, String, f64, String)],
    at: DateTime<Utc>,
) -> Result<()> {
    for (e, ind, score, note) in rows {
        let mut q = Sql::new("DELETE FROM eval_score WHERE run_id = ");
        q.bind(run_id).push(" AND account_id = ").bind(account_id).push(" AND enterprise_id = ").bind(*e);
        q.push(" AND indicator = ").bind(ind);
        q.execute_tx(tx).await?;
        let mut q = Sql::new(
            "INSERT INTO eval_score (run_id, account_id, enterprise_id, indicator, score, note, scored_at) VALUES (",
        );
        q.bind(run_id).push(", ").bind(account_id).push(", ").bind(*e).push(", ").bind(ind).push(", ");
        q.bind(*score).push(", ").bind(note).push(", ").bind(at).push(")");
        q.execute_tx(tx).await?;
    }
    Ok(())
}

/// Removes an expert's scores of the given enterprises (declared conflicts).
pub async fn drop_scores(tx: &mut Tx, run_id: i64, account_id: i64, enterprises: &[i64]) -> Result<u64> {
    if enterprises.is_empty() {
        return Ok(0);
    }
    let mut q = Sql::new("DELETE FROM eval_score WHERE run_id = ");
    q.bind(run_id).push(" AND account_id = ").bind(account_id);
    q.push(" AND enterprise_id IN ").bind_list(enterprises.iter().copied());
    q.execute_tx(tx).await
}

// ---- results and review ----

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct ResultRow {
    pub run_id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub uscc: String,
    pub score: f64,
    pub rank: f64,
    pub contributions: String,
    pub proposed_tier: Option<String>,
    pub proposal_reason: String,
    pub tier: Option<String>,
    pub tier_reason: String,
}

pub struct NewResult {
    pub enterprise_id: i64,
    pub score: f64,
    pub rank: f64,
    pub contributions: String,
    pub proposed_tier: Option<String>,
    pub proposal_reason: String,
}

pub async fn replace_results(tx: &mut Tx, run_id: i64, rows: &[NewResult]) -> Result<()> {
    let mut q = Sql::new("DELETE FROM eval_result WHERE run_id = ");
    q.bind(run_id);
    q.execute_tx(tx).await?;
    for chunk in rows.chunks(200) {
        let mut q = Sql::new(
            "INSERT INTO eval_result (run_id, enterprise_id, score, rank, contributions, proposed_tier, \
             proposal_reason, tier, tier_reason) VALUES ",
        );
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").bind(run_id).push(", ").bind(r.enterprise_id).push(", ").bind(r.score).push(", ");
            q.bind(r.rank).push(", ").bind(&r.contributions).push(", ").bind(&r.proposed_tier).push(", ");
            q.bind(&r.proposal_reason).push(", ").bind(&r.proposed_tier).push(", '')");
        }
        q.execute_tx(tx).await?;
    }
    Ok(())
}

const RESULT_SELECT: &str = "SELECT x.run_id, x.enterprise_id, e.name AS enterprise_name, e.uscc, x.score, x.rank, \
     x.contributions, x.proposed_tier, x.proposal_reason, x.tier, x.tier_reason \
     FROM eval_result x JOIN enterprise e ON e.id = x.enterprise_id";

/// A run's results in rank order, the enterprises the reader may read.
pub async fn results(db: &Db, scope: &EnterpriseScope, run_id: i64) -> Result<Vec<ResultRow>> {
    let mut q = Sql::new(&format!("{RESULT_SELECT} WHERE x.run_id = "));
    q.bind(run_id);
    push_scope(&mut q, scope, Access::Read);
    q.push(" ORDER BY x.rank, x.enterprise_id");
    q.fetch_all(db).await
}

/// Every result of a run (inside a change, for the office).
pub async fn results_tx(tx: &mut Tx, run_id: i64) -> Result<Vec<ResultRow>> {
    let mut q = Sql::new(&format!("{RESULT_SELECT} WHERE x.run_id = "));
    q.bind(run_id).push(" ORDER BY x.rank, x.enterprise_id");
    q.fetch_all_tx(tx).await
}

/// An enterprise's results in approved runs, newest first, with the run.
pub async fn results_of_enterprise(db: &Db, enterprise_id: i64) -> Result<Vec<(RunRow, ResultRow)>> {
    let mut q = Sql::new(&format!(
        "{RESULT_SELECT} JOIN eval_run r ON r.id = x.run_id WHERE r.status = 'approved' AND x.enterprise_id = "
    ));
    q.bind(enterprise_id).push(" ORDER BY r.year DESC, r.id DESC");
    let mut out = Vec::new();
    for x in q.fetch_all::<ResultRow>(db).await? {
        if let Some(r) = run(db, x.run_id).await? {
            out.push((r, x));
        }
    }
    Ok(out)
}

pub async fn set_tier(tx: &mut Tx, run_id: i64, enterprise_id: i64, tier: Option<&str>, reason: &str) -> Result<u64> {
    let mut q = Sql::new("UPDATE eval_result SET tier = ");
    q.bind(tier.map(str::to_string)).push(", tier_reason = ").bind(reason);
    q.push(" WHERE run_id = ").bind(run_id).push(" AND enterprise_id = ").bind(enterprise_id);
    q.execute_tx(tx).await
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct ReviewRow {
    pub id: i64,
    pub action: String,
    pub comment: String,
    pub at: DateTime<Utc>,
    pub by_name: Option<String>,
}

pub async fn add_review(
    tx: &mut Tx,
    run_id: i64,
    action: &str,
    comment: &str,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<()> {
    let mut q = Sql::new("INSERT INTO eval_review (run_id, action, comment, at, by_account) VALUES (");
    q.bind(run_id).push(", ").bind(action).push(", ").bind(comment).push(", ").bind(at).push(", ").bind(by);
    q.push(")");
    q.execute_tx(tx).await?;
    Ok(())
}

pub async fn reviews(db: &Db, run_id: i64) -> Result<Vec<ReviewRow>> {
    let mut q = Sql::new(
        "SELECT v.id, v.action, v.comment, v.at, a.display_name AS by_name FROM eval_review v \
         LEFT JOIN account a ON a.id = v.by_account WHERE v.run_id = ",
    );
    q.bind(run_id).push(" ORDER BY v.id");
    q.fetch_all(db).await
}

// ---- the three-tier ledger ----

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct EntryRow {
    pub target: String,
    pub chain_id: i64,
    pub chain_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub tier: String,
    pub since_year: i64,
    pub last_year: i64,
    pub last_run_id: Option<i64>,
    pub last_score: Option<f64>,
    pub exit_id: Option<i64>,
    pub exit_state: Option<String>,
}

const ENTRY_SELECT: &str = "SELECT t.target, t.chain_id, c.name AS chain_name, t.enterprise_id, e.name AS enterprise_name, \
     t.tier, t.since_year, t.last_year, t.last_run_id, t.last_score, x.id AS exit_id, x.state AS exit_state \
     FROM tier_entry t JOIN chain c ON c.id = t.chain_id JOIN enterprise e ON e.id = t.enterprise_id \
     LEFT JOIN tier_exit x ON x.target = t.target AND x.chain_id = t.chain_id AND x.enterprise_id = t.enterprise_id \
     AND x.state IN ('warning', 'initiated')";

/// The ledger's entries (of a target and chain when given), readable ones only.
pub async fn entries(
    db: &Db,
    scope: &EnterpriseScope,
    target: Option<&str>,
    chain_id: Option<i64>,
) -> Result<Vec<EntryRow>> {
    let mut q = Sql::new(&format!("{ENTRY_SELECT} WHERE 1 = 1"));
    if let Some(t) = target {
        q.push(" AND t.target = ").bind(t);
    }
    if let Some(c) = chain_id {
        q.push(" AND t.chain_id = ").bind(c);
    }
    push_scope(&mut q, scope, Access::Read);
    q.push(" ORDER BY c.id, CASE t.tier WHEN 'demonstration' THEN 1 WHEN 'cultivation' THEN 2 ELSE 3 END, t.last_score DESC, e.id");
    q.fetch_all(db).await
}

pub async fn entries_of_enterprise(db: &Db, enterprise_id: i64) -> Result<Vec<EntryRow>> {
    let mut q = Sql::new(&format!("{ENTRY_SELECT} WHERE t.enterprise_id = "));
    q.bind(enterprise_id).push(" ORDER BY c.id, t.target");
    q.fetch_all(db).await
}

/// Every entry of a target and chain (inside a change).
pub async fn entries_tx(tx: &mut Tx, target: &str, chain_id: i64) -> Result<Vec<EntryRow>> {
    let mut q = Sql::new(&format!("{ENTRY_SELECT} WHERE t.target = "));
    q.bind(target).push(" AND t.chain_id = ").bind(chain_id).push(" ORDER BY t.enterprise_id");
    q.fetch_all_tx(tx).await
}

pub struct EntryWrite<'a> {
    pub target: &'a str,
    pub chain_id: i64,
    pub enterprise_id: i64,
    pub tier: &'a str,
    pub since_year: i64,
    pub last_year: i64,
    pub run_id: i64,
    pub score: f64,
}

pub async fn put_entry(tx: &mut Tx, w: &EntryWrite<'_>) -> Result<()> {
    delete_entry(tx, w.target, w.chain_id, w.enterprise_id).await?;
    let mut q = Sql::new(
        "INSERT INTO tier_entry (target, chain_id, enterprise_id, tier, since_year, last_year, last_run_id, last_score) VALUES (",
    );
    q.bind(w.target).push(", ").bind(w.chain_id).push(", ").bind(w.enterprise_id).push(", ").bind(w.tier);
    q.push(", ").bind(w.since_year).push(", ").bind(w.last_year).push(", ").bind(w.run_id).push(", ");
    q.bind(w.score).push(")");
    q.execute_tx(tx).await?;
    Ok(())
}

pub async fn delete_entry(tx: &mut Tx, target: &str, chain_id: i64, enterprise_id: i64) -> Result<u64> {
    let mut q = Sql::new("DELETE FROM tier_entry WHERE target = ");
    q.bind(target).push(" AND chain_id = ").bind(chain_id).push(" AND enterprise_id = ").bind(enterprise_id);
    q.execute_tx(tx).await
}

pub struct HistoryWrite<'a> {
    pub target: &'a str,
    pub chain_id: i64,
    pub enterprise_id: i64,
    pub year: i64,
    pub run_id: Option<i64>,
    pub event: &'a str,
    pub tier_from: Option<String>,
    pub tier_to: Option<String>,
    pub reason: String,
}

pub async fn add_history(tx: &mut Tx, h: &HistoryWrite<'_>, at: DateTime<Utc>, by: Option<i64>) -> Result<()> {
    let mut q = Sql::new(
        "INSERT INTO tier_history (target, chain_id, enterprise_id, year, run_id, event, tier_from, tier_to, reason, at, by_account) VALUES (",
    );
    q.bind(h.target).push(", ").bind(h.chain_id).push(", ").bind(h.enterprise_id).push(", ").bind(h.year);
    q.push(", ").bind(h.run_id).push(", ").bind(h.event).push(", ").bind(&h.tier_from).push(", ");
    q.bind(&h.tier_to).push(", ").bind(&h.reason).push(", ").bind(at).push(", ").bind(by).push(")");
    q.execute_tx(tx).await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct HistoryRow {
    pub id: i64,
    pub target: String,
    pub chain_id: i64,
    pub chain_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub year: i64,
    pub run_id: Option<i64>,
    pub event: String,
    pub tier_from: Option<String>,
    pub tier_to: Option<String>,
    pub reason: String,
    pub at: DateTime<Utc>,
    pub by_name: Option<String>,
}

const HISTORY_SELECT: &str = "SELECT h.id, h.target, h.chain_id, c.name AS chain_name, h.enterprise_id, \
     e.name AS enterprise_name, h.year, h.run_id, h.event, h.tier_from, h.tier_to, h.reason, h.at, a.display_name AS by_name \
     FROM tier_history h JOIN chain c ON c.id = h.chain_id JOIN enterprise e ON e.id = h.enterprise_id \
     LEFT JOIN account a ON a.id = h.by_account";

/// The ledger's history (of a target and chain when given), readable enterprises only, oldest first.
pub async fn history(
    db: &Db,
    scope: &EnterpriseScope,
    target: Option<&str>,
    chain_id: Option<i64>,
    enterprise_id: Option<i64>,
) -> Result<Vec<HistoryRow>> {
    let mut q = Sql::new(&format!("{HISTORY_SELECT} WHERE 1 = 1"));
    if let Some(t) = target {
        q.push(" AND h.target = ").bind(t);
    }
    if let Some(c) = chain_id {
        q.push(" AND h.chain_id = ").bind(c);
    }
    if let Some(e) = enterprise_id {
        q.push(" AND h.enterprise_id = ").bind(e);
    }
    push_scope(&mut q, scope, Access::Read);
    q.push(" ORDER BY h.year, h.id");
    q.fetch_all(db).await
}

// ---- exit procedures ----

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq)]
pub struct ExitRow {
    pub id: i64,
    pub target: String,
    pub chain_id: i64,
    pub chain_name: String,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub uscc: String,
    pub state: String,
    pub run_id: Option<i64>,
    pub reason: String,
    pub warned_at: DateTime<Utc>,
    pub initiated_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub close_reason: String,
    pub appeal: Option<String>,
    pub appealed_at: Option<DateTime<Utc>>,
    pub appeal_decision: Option<String>,
    pub appeal_reply: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub row_version: i64,
}

const EXIT_SELECT: &str = "SELECT x.id, x.target, x.chain_id, c.name AS chain_name, x.enterprise_id, e.name AS enterprise_name, \
     e.uscc, x.state, x.run_id, x.reason, x.warned_at, x.initiated_at, x.closed_at, x.close_reason, x.appeal, x.appealed_at, \
     x.appeal_decision, x.appeal_reply, x.decided_at, x.row_version \
     FROM tier_exit x JOIN chain c ON c.id = x.chain_id JOIN enterprise e ON e.id = x.enterprise_id";

pub async fn open_exit_tx(tx: &mut Tx, target: &str, chain_id: i64, enterprise_id: i64) -> Result<Option<ExitRow>> {
    let mut q = Sql::new(&format!("{EXIT_SELECT} WHERE x.state IN ('warning', 'initiated') AND x.target = "));
    q.bind(target).push(" AND x.chain_id = ").bind(chain_id).push(" AND x.enterprise_id = ").bind(enterprise_id);
    q.fetch_optional_tx(tx).await
}

pub async fn exit_tx(tx: &mut Tx, id: i64) -> Result<Option<ExitRow>> {
    let mut q = Sql::new(&format!("{EXIT_SELECT} WHERE x.id = "));
    q.bind(id);
    q.fetch_optional_tx(tx).await
}

/// Exit procedures (of a chain, open ones only when asked), readable enterprises only, newest first.
pub async fn exits(
    db: &Db,
    scope: &EnterpriseScope,
    chain_id: Option<i64>,
    enterprise_id: Option<i64>,
    open_only: bool,
) -> Result<Vec<ExitRow>> {
    let mut q = Sql::new(&format!("{EXIT_SELECT} WHERE 1 = 1"));
    if let Some(c) = chain_id {
        q.push(" AND x.chain_id = ").bind(c);
    }
    if let Some(e) = enterprise_id {
        q.push(" AND x.enterprise_id = ").bind(e);
    }
    if open_only {
        q.push(" AND x.state IN ('warning', 'initiated')");
    }
    push_scope(&mut q, scope, Access::Read);
    q.push(" ORDER BY x.id DESC");
    q.fetch_all(db).await
}

pub async fn insert_exit(
    tx: &mut Tx,
    target: &str,
    chain_id: i64,
    enterprise_id: i64,
    run_id: Option<i64>,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    let mut q = Sql::new(
        "INSERT INTO tier_exit (target, chain_id, enterprise_id, state, run_id, reason, warned_at, close_reason, row_version) VALUES (",
    );
    q.bind(target).push(", ").bind(chain_id).push(", ").bind(enterprise_id).push(", 'warning', ").bind(run_id);
    q.push(", ").bind(reason).push(", ").bind(at).push(", '', 1) RETURNING id");
    q.fetch_one_i64_tx(tx).await
}

/// One step of an exit procedure, if it still has `row_version`.
pub enum ExitStep<'a> {
    Initiate,
    Close { state: &'a str, reason: &'a str },
    Appeal { text: &'a str },
    Decide { decision: &'a str, reply: &'a str },
}

pub async fn step_exit(tx: &mut Tx, id: i64, row_version: i64, step: ExitStep<'_>, at: DateTime<Utc>) -> Result<bool> {
    let mut q = Sql::new("UPDATE tier_exit SET row_version = row_version + 1");
    match step {
        ExitStep::Initiate => {
            q.push(", state = 'initiated', initiated_at = ").bind(at);
        }
        ExitStep::Close { state, reason } => {
            q.push(", state = ").bind(state).push(", closed_at = ").bind(at).push(", close_reason = ").bind(reason);
        }
        ExitStep::Appeal { text } => {
            q.push(", appeal = ").bind(text).push(", appealed_at = ").bind(at);
            q.push(", appeal_decision = NULL, appeal_reply = NULL, decided_at = NULL");
        }
        ExitStep::Decide { decision, reply } => {
            q.push(", appeal_decision = ").bind(decision).push(", appeal_reply = ").bind(reply);
            q.push(", decided_at = ").bind(at);
        }
    }
    q.push(" WHERE id = ").bind(id).push(" AND row_version = ").bind(row_version);
    Ok(q.execute_tx(tx).await? == 1)
}

/// (id, USCC) of the given enterprises.
pub async fn usccs(db: &Db, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut q = Sql::new("SELECT id, uscc FROM enterprise WHERE id IN ");
        q.bind_list(chunk.iter().copied());
        out.extend(q.fetch_all::<(i64, String)>(db).await?);
    }
    Ok(out)
}
