//! Accounts, their role grants, sessions and the security policy.

use crate::sql::Sql;
use crate::{Db, Result, StoreError, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};
use domain::account::SecurityPolicy;
use domain::role::{Grant, Role};
use serde::Serialize;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub password_changed_at: DateTime<Utc>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, username, display_name, password_hash, password_changed_at, must_change_password, disabled, \
    failed_logins, locked_until, last_login_at, version, created_at, updated_at";

pub struct NewAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub must_change_password: bool,
}

pub async fn insert(tx: &mut Tx, a: &NewAccount<'_>, at: DateTime<Utc>, by: Option<i64>) -> Result<i64> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO account (username, display_name, password_hash, password_changed_at, must_change_password, disabled, \
         failed_logins, version, created_at, created_by, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, FALSE, 0, 1, $4, $6, $4, $6) RETURNING id")
        .bind(a.username).bind(a.display_name).bind(a.password_hash).bind(at)
        .bind(a.must_change_password).bind(by).fetch_one(c).await?))
}

pub async fn by_username(db: &Db, username: &str) -> Result<Option<AccountRow>> {
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM account WHERE username = "));
    q.bind(username);
    q.fetch_optional(db).await
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<AccountRow>> {
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM account WHERE id = "));
    q.bind(id);
    q.fetch_optional(db).await
}

pub async fn by_id_tx(tx: &mut Tx, id: i64) -> Result<Option<AccountRow>> {
    let mut q = Sql::new(&format!("SELECT {COLUMNS} FROM account WHERE id = "));
    q.bind(id);
    q.fetch_optional_tx(tx).await
}

pub async fn list(db: &Db) -> Result<Vec<AccountRow>> {
    Sql::new(&format!("SELECT {COLUMNS} FROM account ORDER BY id")).fetch_all(db).await
}

pub async fn count(db: &Db) -> Result<i64> {
    Sql::new("SELECT COUNT(*) FROM account").fetch_i64(db).await
}

#[derive(sqlx::FromRow)]
struct RoleRow {
    account_id: i64,
    role: String,
    scope: String,
}

fn to_grant(r: RoleRow) -> Option<Grant> {
    Some(Grant { role: Role::from_code(&r.role)?, scope: Some(r.scope).filter(|s| !s.is_empty()) })
}

pub async fn grants(db: &Db, account_id: i64) -> Result<Vec<Grant>> {
    let mut q = Sql::new("SELECT account_id, role, scope FROM account_role WHERE account_id = ");
    q.bind(account_id).push(" ORDER BY role, scope");
    Ok(q.fetch_all::<RoleRow>(db).await?.into_iter().filter_map(to_grant).collect())
}

/// Every account's grants, for the administration page.
pub async fn all_grants(db: &Db) -> Result<Vec<(i64, Grant)>> {
    let rows: Vec<RoleRow> =
        Sql::new("SELECT account_id, role, scope FROM account_role ORDER BY account_id, role").fetch_all(db).await?;
    Ok(rows.into_iter().filter_map(|r| Some((r.account_id, to_grant(r)?))).collect())
}

pub async fn set_grants(tx: &mut Tx, account_id: i64, grants: &[Grant]) -> Result<()> {
    on_tx!(tx, c => sqlx::query("DELETE FROM account_role WHERE account_id = $1").bind(account_id).execute(c).await?.rows_affected());
    for g in grants {
        on_tx!(tx, c => sqlx::query("INSERT INTO account_role (account_id, role, scope) VALUES ($1, $2, $3)")
            .bind(account_id).bind(g.role.code()).bind(g.scope.clone().unwrap_or_default()).execute(c).await?.rows_affected());
    }
    Ok(())
}

/// Bumps the version of an account row if it is still `version`; `StoreError::Stale` if not.
async fn bump(tx: &mut Tx, id: i64, version: i64, at: DateTime<Utc>, by: Option<i64>) -> Result<()> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE account SET version = version + 1, updated_at = $1, updated_by = $2 WHERE id = $3 AND version = $4")
        .bind(at).bind(by).bind(id).bind(version).execute(c).await?.rows_affected());
    if n == 0 { Err(StoreError::Stale) } else { Ok(()) }
}

pub async fn record_login_failure(
    tx: &mut Tx,
    id: i64,
    failed: i64,
    locked_until: Option<DateTime<Utc>>,
) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE account SET failed_logins = $1, locked_until = $2 WHERE id = $3")
        .bind(failed).bind(locked_until).bind(id).execute(c).await?.rows_affected());
    Ok(())
}

pub async fn record_login_success(tx: &mut Tx, id: i64, at: DateTime<Utc>) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE account SET failed_logins = 0, locked_until = NULL, last_login_at = $1 WHERE id = $2")
        .bind(at).bind(id).execute(c).await?.rows_affected());
    Ok(())
}

pub async fn set_password(
    tx: &mut Tx,
    id: i64,
    version: i64,
    hash: &str,
    must_change: bool,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<()> {
    bump(tx, id, version, at, by).await?;
    on_tx!(tx, c => sqlx::query(
        "UPDATE account SET password_hash = $1, password_changed_at = $2, must_change_password = $3, failed_logins = 0, locked_until = NULL WHERE id = $4")
        .bind(hash).bind(at).bind(must_change).bind(id).execute(c).await?.rows_affected());
    Ok(())
}

pub async fn set_disabled(
    tx: &mut Tx,
    id: i64,
    version: i64,
    disabled: bool,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<()> {
    bump(tx, id, version, at, by).await?;
    on_tx!(tx, c => sqlx::query("UPDATE account SET disabled = $1 WHERE id = $2").bind(disabled).bind(id).execute(c).await?.rows_affected());
    if disabled {
        delete_sessions_of(tx, id).await?;
    }
    Ok(())
}

pub async fn touch(tx: &mut Tx, id: i64, version: i64, at: DateTime<Utc>, by: Option<i64>) -> Result<()> {
    bump(tx, id, version, at, by).await
}

// ---- sessions ----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub account_id: i64,
    pub kind: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

pub async fn create_session(
    tx: &mut Tx,
    token_hash: &str,
    account_id: i64,
    kind: &str,
    csrf: &str,
    at: DateTime<Utc>,
    ip: &str,
) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO session (token_hash, account_id, kind, csrf_token, created_at, last_seen_at, ip) VALUES ($1, $2, $3, $4, $5, $5, $6)")
        .bind(token_hash).bind(account_id).bind(kind).bind(csrf).bind(at).bind(ip).execute(c).await?.rows_affected());
    Ok(())
}

/// A session with its account, the account's grants and the security policy's version: what
/// authenticating a request needs, in one statement.
pub struct SessionBundle {
    pub session: SessionRow,
    pub account: AccountRow,
    pub grants: Vec<Grant>,
    /// The version of the stored policy (0: none stored, the defaults apply).
    pub policy_version: i64,
}

#[derive(sqlx::FromRow)]
struct SessionJoinRow {
    s_kind: String,
    s_csrf_token: String,
    s_created_at: DateTime<Utc>,
    s_last_seen_at: DateTime<Utc>,
    #[sqlx(flatten)]
    account: AccountRow,
    role: Option<String>,
    scope: Option<String>,
    policy_version: Option<i64>,
}

/// The session `token_hash` joined with its account (none when either is gone), its grants
/// and the policy version.
pub async fn session_bundle(db: &Db, token_hash: &str) -> Result<Option<SessionBundle>> {
    let account_cols: Vec<String> = COLUMNS.split(", ").map(|c| format!("a.{}", c.trim())).collect();
    let mut q = Sql::new(&format!(
        "SELECT s.kind AS s_kind, s.csrf_token AS s_csrf_token, s.created_at AS s_created_at, \
         s.last_seen_at AS s_last_seen_at, {}, r.role, r.scope, \
         (SELECT version FROM security_policy WHERE id = 1) AS policy_version \
         FROM session s JOIN account a ON a.id = s.account_id LEFT JOIN account_role r ON r.account_id = a.id \
         WHERE s.token_hash = ",
        account_cols.join(", ")
    ));
    q.bind(token_hash).push(" ORDER BY r.role, r.scope");
    let rows: Vec<SessionJoinRow> = q.fetch_all(db).await?;
    let mut rows = rows.into_iter();
    let Some(first) = rows.next() else { return Ok(None) };
    let role = |role: Option<String>, scope: Option<String>, account_id: i64| {
        to_grant(RoleRow { account_id, role: role?, scope: scope.unwrap_or_default() })
    };
    let id = first.account.id;
    let mut grants: Vec<Grant> = role(first.role, first.scope, id).into_iter().collect();
    grants.extend(rows.filter_map(|r| role(r.role, r.scope, id)));
    Ok(Some(SessionBundle {
        session: SessionRow {
            token_hash: token_hash.to_string(),
            account_id: id,
            kind: first.s_kind,
            csrf_token: first.s_csrf_token,
            created_at: first.s_created_at,
            last_seen_at: first.s_last_seen_at,
        },
        account: first.account,
        grants,
        policy_version: first.policy_version.unwrap_or(0),
    }))
}

/// Moves a session's idle clock. Not audited: it changes no business data.
pub async fn touch_session(db: &Db, token_hash: &str, at: DateTime<Utc>) -> Result<()> {
    on_db!(db, p => sqlx::query("UPDATE session SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(at).bind(token_hash).execute(p).await?.rows_affected());
    Ok(())
}

pub async fn delete_session(db: &Db, token_hash: &str) -> Result<u64> {
    Ok(
        on_db!(db, p => sqlx::query("DELETE FROM session WHERE token_hash = $1").bind(token_hash).execute(p).await?.rows_affected()),
    )
}

pub async fn delete_sessions_of(tx: &mut Tx, account_id: i64) -> Result<()> {
    on_tx!(tx, c => sqlx::query("DELETE FROM session WHERE account_id = $1").bind(account_id).execute(c).await?.rows_affected());
    Ok(())
}

// ---- security policy ----

#[derive(sqlx::FromRow)]
struct PolicyRow {
    min_length: i64,
    min_classes: i64,
    expiry_days: i64,
    lockout_threshold: i64,
    lockout_minutes: i64,
    idle_timeout_minutes: i64,
    absolute_timeout_hours: i64,
    version: i64,
}

/// The policy in force and its version (0 = the built-in defaults, never saved).
pub async fn policy(db: &Db) -> Result<(SecurityPolicy, i64)> {
    let r: Option<PolicyRow> = Sql::new("SELECT * FROM security_policy WHERE id = 1").fetch_optional(db).await?;
    Ok(match r {
        None => (SecurityPolicy::default(), 0),
        Some(r) => (
            SecurityPolicy {
                min_length: r.min_length,
                min_classes: r.min_classes,
                expiry_days: r.expiry_days,
                lockout_threshold: r.lockout_threshold,
                lockout_minutes: r.lockout_minutes,
                idle_timeout_minutes: r.idle_timeout_minutes,
                absolute_timeout_hours: r.absolute_timeout_hours,
            },
            r.version,
        ),
    })
}

pub async fn set_policy(
    tx: &mut Tx,
    p: &SecurityPolicy,
    version: i64,
    at: DateTime<Utc>,
    by: Option<i64>,
) -> Result<()> {
    let n = if version == 0 {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO security_policy (id, min_length, min_classes, expiry_days, lockout_threshold, lockout_minutes, \
             idle_timeout_minutes, absolute_timeout_hours, version, updated_at, updated_by) \
             VALUES (1, $1, $2, $3, $4, $5, $6, $7, 1, $8, $9) ON CONFLICT (id) DO NOTHING")
            .bind(p.min_length).bind(p.min_classes).bind(p.expiry_days).bind(p.lockout_threshold)
            .bind(p.lockout_minutes).bind(p.idle_timeout_minutes).bind(p.absolute_timeout_hours)
            .bind(at).bind(by).execute(c).await?.rows_affected())
    } else {
        on_tx!(tx, c => sqlx::query(
            "UPDATE security_policy SET min_length = $1, min_classes = $2, expiry_days = $3, lockout_threshold = $4, \
             lockout_minutes = $5, idle_timeout_minutes = $6, absolute_timeout_hours = $7, version = version + 1, \
             updated_at = $8, updated_by = $9 WHERE id = 1 AND version = $10")
            .bind(p.min_length).bind(p.min_classes).bind(p.expiry_days).bind(p.lockout_threshold)
            .bind(p.lockout_minutes).bind(p.idle_timeout_minutes).bind(p.absolute_timeout_hours)
            .bind(at).bind(by).bind(version).execute(c).await?.rows_affected())
    };
    if n == 0 { Err(StoreError::Stale) } else { Ok(()) }
}

// ---- settings ----

pub async fn setting(db: &Db, name: &str) -> Result<Option<String>> {
    #[derive(sqlx::FromRow)]
    struct V {
        value: String,
    }
    let mut q = Sql::new("SELECT value FROM setting WHERE name = ");
    q.bind(name);
    Ok(q.fetch_optional::<V>(db).await?.map(|v| v.value))
}

pub async fn set_setting(tx: &mut Tx, name: &str, value: &str) -> Result<()> {
    on_tx!(tx, c => sqlx::query("INSERT INTO setting (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
        .bind(name).bind(value).execute(c).await?.rows_affected());
    Ok(())
}
