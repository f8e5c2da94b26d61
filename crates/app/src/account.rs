//! Login, sessions and tokens, password changes, and account administration under 三权分立:
//! the system administrator keeps accounts, the security administrator roles and policy.

use crate::secret::{dummy_hash, hash_password, random_password, random_token, token_hash, verify_password};
use crate::{Actor, App, AppError, FieldError, Result, audit_entry};
use chrono::{DateTime, Duration, Utc};
use domain::account::{SecurityPolicy, check_username};
use domain::role::{EnterpriseScope, Grant, Role, validate_grants};
use serde::Serialize;
use serde_json::json;
use store::account as sa;
use store::audit;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Web,
    Api,
}

impl SessionKind {
    fn code(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

/// The authenticated caller of one request.
#[derive(Clone, Debug, Serialize)]
pub struct Principal {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub grants: Vec<Grant>,
    #[serde(skip)]
    pub enterprise_scope: EnterpriseScope,
    pub must_change_password: bool,
    #[serde(skip)]
    pub csrf_token: String,
    #[serde(skip)]
    pub ip: String,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }
    pub fn actor(&self) -> Actor {
        Actor { id: self.by(), name: self.username.clone(), ip: self.ip.clone() }
    }

    /// The account id to record as author; `None` for the console operator.
    pub fn by(&self) -> Option<i64> {
        (self.account_id != 0).then_some(self.account_id)
    }

    /// The operator at the server's console (CLI bulk jobs): the office's scope, audited as `cli`.
    pub fn console() -> Principal {
        let grants = vec![Grant { role: Role::Office, scope: None }];
        Principal {
            account_id: 0,
            username: "cli".into(),
            display_name: "命令行".into(),
            enterprise_scope: EnterpriseScope::from_grants(&grants),
            grants,
            must_change_password: false,
            csrf_token: String::new(),
            ip: "local".into(),
        }
    }
    /// Refuses everything but the password change while one is due.
    pub fn ensure_active(&self) -> Result<()> {
        if self.must_change_password { Err(AppError::PasswordChange) } else { Ok(()) }
    }
    pub fn require(&self, role: Role) -> Result<()> {
        self.ensure_active()?;
        if self.has(role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("此操作需要“{}”角色", role.label())))
        }
    }
}

/// A new session: the secret to hand to the client, once.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub token: String,
    pub principal: Principal,
}

const BAD_LOGIN: &str = "用户名或密码错误";

impl App {
    pub async fn policy(&self) -> Result<(SecurityPolicy, i64)> {
        Ok(sa::policy(&self.db).await?)
    }

    /// The policy at `version` (read with the session), from this instance's copy when it is
    /// that version; every change moves the version, so a change through any instance is
    /// seen at the next request.
    async fn policy_at(&self, version: i64) -> Result<SecurityPolicy> {
        if let Some((v, p)) = self.policy_cache.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && *v == version
        {
            return Ok(p.clone());
        }
        let (p, v) = sa::policy(&self.db).await?;
        *self.policy_cache.lock().unwrap_or_else(|e| e.into_inner()) = Some((v, p.clone()));
        Ok(p)
    }

    /// Checks a password and opens a session. Failures count toward the lockout; the
    /// lockout and each failure are audited.
    pub async fn login(&self, username: &str, password: &str, kind: SessionKind, ip: &str) -> Result<NewSession> {
        let now = self.now();
        let (policy, _) = self.policy().await?;
        // No username holds U+0000 (and PostgreSQL could not even compare one).
        let found = if username.contains('\0') { None } else { sa::by_username(&self.db, username.trim()).await? };
        let Some(acc) = found else {
            verify_password(password, dummy_hash());
            return Err(AppError::Unauthenticated(BAD_LOGIN.into()));
        };
        let actor = Actor { id: Some(acc.id), name: acc.username.clone(), ip: ip.to_string() };
        if acc.disabled {
            return Err(AppError::Unauthenticated("账号已停用，请联系系统管理员".into()));
        }
        if let Some(until) = acc.locked_until.filter(|u| *u > now) {
            return Err(AppError::Locked { until });
        }
        if !verify_password(password, &acc.password_hash) {
            let failed = acc.failed_logins + 1;
            let mut tx = self.db.begin().await?;
            let lock = failed >= policy.lockout_threshold;
            let until = lock.then(|| now + Duration::minutes(policy.lockout_minutes));
            sa::record_login_failure(&mut tx, acc.id, if lock { 0 } else { failed }, until).await?;
            let action = if lock { "account.lock" } else { "login.failure" };
            let after = json!({"failed_logins": failed, "locked_until": until});
            audit::append(&mut tx, now, &audit_entry(&actor, action, "account", acc.id, None, Some(after))).await?;
            tx.commit().await?;
            if let Some(until) = until {
                return Err(AppError::Locked { until });
            }
            let left = policy.lockout_threshold - failed;
            return Err(AppError::Unauthenticated(format!("{BAD_LOGIN}，再失败 {left} 次账号将被锁定")));
        }
        let token = random_token();
        let csrf = random_token();
        let mut tx = self.db.begin().await?;
        sa::record_login_success(&mut tx, acc.id, now).await?;
        sa::create_session(&mut tx, &token_hash(&token), acc.id, kind.code(), &csrf, now, ip).await?;
        let after = json!({"session": kind.code()});
        audit::append(&mut tx, now, &audit_entry(&actor, "login", "account", acc.id, None, Some(after))).await?;
        tx.commit().await?;
        let principal = self.principal_for(&acc, csrf, ip, &policy, now).await?;
        Ok(NewSession { token, principal })
    }

    async fn principal_for(
        &self,
        acc: &sa::AccountRow,
        csrf: String,
        ip: &str,
        policy: &SecurityPolicy,
        now: DateTime<Utc>,
    ) -> Result<Principal> {
        let grants = sa::grants(&self.db, acc.id).await?;
        Ok(principal_of(acc, grants, csrf, ip, policy, now))
    }

    /// Resolves a session cookie or bearer token to its principal, enforcing the idle and
    /// absolute timeouts and the account's state: one statement (session, account, grants,
    /// policy version) on a request whose session needs nothing written.
    pub async fn authenticate(&self, token: &str, kind: SessionKind, ip: &str) -> Result<Principal> {
        let expired = || AppError::Unauthenticated("登录已过期，请重新登录".into());
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(expired());
        }
        let now = self.now();
        let h = token_hash(token);
        let Some(b) = sa::session_bundle(&self.db, &h).await? else { return Err(expired()) };
        let s = b.session;
        if s.kind != kind.code() {
            return Err(expired());
        }
        let policy = self.policy_at(b.policy_version).await?;
        if !policy.session_alive(s.created_at, s.last_seen_at, now) {
            sa::delete_session(&self.db, &h).await?;
            return Err(expired());
        }
        if b.account.disabled {
            sa::delete_session(&self.db, &h).await?;
            return Err(AppError::Unauthenticated("账号已停用".into()));
        }
        // Only move the idle clock when it has moved a little, to spare the database a write
        // per request.
        if now - s.last_seen_at >= Duration::seconds(30) {
            sa::touch_session(&self.db, &h, now).await?;
        }
        Ok(principal_of(&b.account, b.grants, s.csrf_token, ip, &policy, now))
    }

    pub async fn logout(&self, token: &str, p: &Principal) -> Result<()> {
        let now = self.now();
        let n = sa::delete_session(&self.db, &token_hash(token)).await?;
        if n > 0 {
            let mut tx = self.db.begin().await?;
            audit::append(&mut tx, now, &audit_entry(&p.actor(), "logout", "account", p.account_id, None, None))
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    pub async fn change_password(&self, p: &Principal, old: &str, new: &str) -> Result<()> {
        let now = self.now();
        let Some(acc) = sa::by_id(&self.db, p.account_id).await? else { return Err(AppError::NotFound) };
        if !verify_password(old, &acc.password_hash) {
            return Err(AppError::invalid("old_password", "原密码不正确"));
        }
        if old == new {
            return Err(AppError::invalid("new_password", domain::account::PolicyError::SameAsOld));
        }
        let (policy, _) = self.policy().await?;
        policy.check_password(&acc.username, new).map_err(|e| AppError::invalid("new_password", e))?;
        let hash = hash_password(new)?;
        let mut tx = self.db.begin().await?;
        sa::set_password(&mut tx, acc.id, acc.version, &hash, false, now, Some(acc.id)).await?;
        audit::append(&mut tx, now, &audit_entry(&p.actor(), "account.password_change", "account", acc.id, None, None))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates an account. From the web only the system administrator may, and without
    /// roles (the security administrator grants them); the console (`actor.id == None`)
    /// may create the first administrators with roles. Returns the id and the generated
    /// password when none was given.
    pub async fn create_account(
        &self,
        actor: &Actor,
        by: Option<&Principal>,
        username: &str,
        display_name: &str,
        grants: &[Grant],
        password: Option<&str>,
    ) -> Result<(i64, Option<String>)> {
        if let Some(p) = by {
            p.require(Role::Sysadmin)?;
            if !grants.is_empty() {
                return Err(AppError::Forbidden("三权分立：角色由安全管理员授予".into()));
            }
        }
        let now = self.now();
        let username = username.trim();
        let mut errs = Vec::new();
        if let Err(e) = check_username(username) {
            errs.push(FieldError::new("username", e));
        }
        let display_name = display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > 50 {
            errs.push(FieldError::new("display_name", "姓名不能为空，且不超过50个字"));
        } else if display_name.contains('\0') {
            errs.push(FieldError::new("display_name", "姓名不能包含空字符"));
        }
        if !grants.is_empty()
            && let Err(e) = validate_grants(grants)
        {
            errs.push(FieldError::new("roles", e));
        }
        let (policy, _) = self.policy().await?;
        let generated = password.is_none().then(random_password);
        let pw = password.or(generated.as_deref()).unwrap_or_default();
        if let Err(e) = policy.check_password(username, pw) {
            errs.push(FieldError::new("password", e));
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        if sa::by_username(&self.db, username).await?.is_some() {
            return Err(AppError::invalid("username", "用户名已存在"));
        }
        self.check_grant_scopes(grants).await?;
        let hash = hash_password(pw)?;
        let mut tx = self.db.begin().await?;
        // A console-created account chose its password at the console: no forced change
        // unless it was generated; web-created ones always change at first login.
        let must_change = by.is_some() || generated.is_some();
        let id = sa::insert(
            &mut tx,
            &sa::NewAccount { username, display_name, password_hash: &hash, must_change_password: must_change },
            now,
            actor.id,
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() { AppError::invalid("username", "用户名已存在") } else { e.into() }
        })?;
        sa::set_grants(&mut tx, id, grants).await?;
        let after = json!({"username": username, "display_name": display_name, "roles": grants});
        audit::append(&mut tx, now, &audit_entry(actor, "account.create", "account", id, None, Some(after))).await?;
        tx.commit().await?;
        Ok((id, generated))
    }

    /// Scope values must name things that exist.
    async fn check_grant_scopes(&self, grants: &[Grant]) -> Result<()> {
        let mut errs = Vec::new();
        for g in grants {
            let Some(v) = g.scope.as_deref() else { continue };
            let ok = !v.contains('\0')
                && match g.role.scope_kind() {
                    domain::role::ScopeKind::Region => store::reference::region(&self.db, v).await?.is_some(),
                    domain::role::ScopeKind::Chain => store::chain::id_by_code(&self.db, v).await?.is_some(),
                    domain::role::ScopeKind::Department => {
                        store::reference::departments(&self.db).await?.iter().any(|d| d.code == v)
                    }
                    domain::role::ScopeKind::Enterprise => domain::uscc::Uscc::parse(v).is_ok(),
                    _ => true,
                };
            if !ok {
                errs.push(FieldError::new("roles", format!("“{}”的范围“{v}”不存在", g.role.label())));
            }
        }
        if errs.is_empty() { Ok(()) } else { Err(AppError::Invalid(errs)) }
    }

    /// Replaces an account's roles: the security administrator's duty, never on itself.
    pub async fn set_grants(&self, p: &Principal, account_id: i64, version: i64, grants: &[Grant]) -> Result<()> {
        p.require(Role::Secadmin)?;
        if account_id == p.account_id {
            return Err(AppError::Forbidden("不能修改自己的角色".into()));
        }
        validate_grants(grants).map_err(|e| AppError::invalid("roles", e))?;
        self.check_grant_scopes(grants).await?;
        let now = self.now();
        let before = sa::grants(&self.db, account_id).await?;
        let mut tx = self.db.begin().await?;
        let Some(acc) = sa::by_id_tx(&mut tx, account_id).await? else { return Err(AppError::NotFound) };
        self.stale_account(sa::touch(&mut tx, account_id, version, now, Some(p.account_id)).await, &acc)?;
        sa::set_grants(&mut tx, account_id, grants).await?;
        // New roles take effect at the next request; open sessions keep nothing cached.
        audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "account.roles", "account", account_id, Some(json!(before)), Some(json!(grants))),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    fn stale_account(&self, r: store::Result<()>, acc: &sa::AccountRow) -> Result<()> {
        match r {
            Err(store::StoreError::Stale) => Err(AppError::Stale { by: None, at: acc.updated_at }),
            Err(e) => Err(e.into()),
            Ok(()) => Ok(()),
        }
    }

    /// Disables or re-enables an account (system administrator); disabling ends its sessions.
    pub async fn set_disabled(&self, p: &Principal, account_id: i64, version: i64, disabled: bool) -> Result<()> {
        p.require(Role::Sysadmin)?;
        if account_id == p.account_id {
            return Err(AppError::Forbidden("不能停用自己的账号".into()));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let Some(acc) = sa::by_id_tx(&mut tx, account_id).await? else { return Err(AppError::NotFound) };
        self.stale_account(
            sa::set_disabled(&mut tx, account_id, version, disabled, now, Some(p.account_id)).await,
            &acc,
        )?;
        let action = if disabled { "account.disable" } else { "account.enable" };
        audit::append(
            &mut tx,
            now,
            &audit_entry(
                &p.actor(),
                action,
                "account",
                account_id,
                Some(json!({"disabled": acc.disabled})),
                Some(json!({"disabled": disabled})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Resets a password to a generated one that must be changed at next login.
    pub async fn reset_password(&self, p: &Principal, account_id: i64, version: i64) -> Result<String> {
        p.require(Role::Sysadmin)?;
        let now = self.now();
        let pw = random_password();
        let hash = hash_password(&pw)?;
        let mut tx = self.db.begin().await?;
        let Some(acc) = sa::by_id_tx(&mut tx, account_id).await? else { return Err(AppError::NotFound) };
        self.stale_account(
            sa::set_password(&mut tx, account_id, version, &hash, true, now, Some(p.account_id)).await,
            &acc,
        )?;
        sa::delete_sessions_of(&mut tx, account_id).await?;
        audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "account.password_reset", "account", account_id, None, None),
        )
        .await?;
        tx.commit().await?;
        Ok(pw)
    }

    /// Changes the security policy (security administrator).
    pub async fn set_policy(&self, p: &Principal, policy: &SecurityPolicy, version: i64) -> Result<()> {
        p.require(Role::Secadmin)?;
        policy.validate().map_err(|e| AppError::invalid("policy", e))?;
        let now = self.now();
        let (before, current) = self.policy().await?;
        if current != version {
            return Err(AppError::Conflict("安全策略已被他人修改，请刷新后重试".into()));
        }
        let mut tx = self.db.begin().await?;
        sa::set_policy(&mut tx, policy, version, now, Some(p.account_id)).await?;
        audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "policy.update", "security_policy", 1, Some(json!(before)), Some(json!(policy))),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Accounts with their grants, for the system and security administrators.
    pub async fn accounts(&self, p: &Principal) -> Result<Vec<(sa::AccountRow, Vec<Grant>)>> {
        p.ensure_active()?;
        if !p.has(Role::Sysadmin) && !p.has(Role::Secadmin) {
            return Err(AppError::Forbidden("仅系统管理员和安全管理员可查看账号".into()));
        }
        let all = sa::all_grants(&self.db).await?;
        Ok(sa::list(&self.db)
            .await?
            .into_iter()
            .map(|a| {
                let g = all.iter().filter(|(id, _)| *id == a.id).map(|(_, g)| g.clone()).collect();
                (a, g)
            })
            .collect())
    }
}

fn principal_of(
    acc: &sa::AccountRow,
    grants: Vec<domain::role::Grant>,
    csrf: String,
    ip: &str,
    policy: &SecurityPolicy,
    now: DateTime<Utc>,
) -> Principal {
    Principal {
        account_id: acc.id,
        username: acc.username.clone(),
        display_name: acc.display_name.clone(),
        enterprise_scope: EnterpriseScope::from_grants(&grants),
        grants,
        must_change_password: acc.must_change_password || policy.password_expired(acc.password_changed_at, now),
        csrf_token: csrf,
        ip: ip.to_string(),
    }
}
