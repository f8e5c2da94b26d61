//! The enterprise ledger core: validated create, read, update, archive, list and export,
//! each within the caller's scope, each write audited with per-field history.

use crate::account::Principal;
use crate::{App, AppError, FieldError, Result, audit_entry};
use chrono::{Datelike, NaiveDate};
use domain::industry::{IndustryCode, IndustryLevel};
use domain::money::parse_wan;
use domain::role::EnterpriseScope;
use domain::size::{SizeInputs, classify, is_above_scale};
use domain::uscc::Uscc;
use serde::{Deserialize, Serialize};
use store::enterprise::{self as se, Access, EnterpriseData, EnterpriseRow, Filter};
use store::history::FieldChange;

/// What a form or an API call submits. Optional numbers are empty strings when absent.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct EnterpriseInput {
    pub uscc: String,
    pub name: String,
    pub region_code: String,
    pub park_code: String,
    pub industry_code: String,
    pub employees: String,
    /// Yearly operating revenue in 万元 (exact decimal).
    pub revenue_wan: String,
    /// Total assets in 万元 (exact decimal).
    pub assets_wan: String,
    /// YYYY-MM-DD
    pub founded_on: String,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
}

impl EnterpriseInput {
    pub fn from_row(r: &EnterpriseRow) -> Self {
        Self {
            uscc: r.uscc.clone(),
            name: r.name.clone(),
            region_code: r.region_code.clone(),
            park_code: r.park_code.clone().unwrap_or_default(),
            industry_code: r.industry_code.clone(),
            employees: r.employees.map(|v| v.to_string()).unwrap_or_default(),
            revenue_wan: r.revenue_fen.map(domain::money::plain_wan).unwrap_or_default(),
            assets_wan: r.assets_fen.map(domain::money::plain_wan).unwrap_or_default(),
            founded_on: r.founded_on.map(|d| d.to_string()).unwrap_or_default(),
            address: r.address.clone(),
            contact_name: r.contact_name.clone(),
            contact_phone: r.contact_phone.clone(),
            description: r.description.clone(),
        }
    }
}

fn check_len(errs: &mut Vec<FieldError>, field: &str, label: &str, v: &str, max: usize) {
    if v.chars().count() > max {
        errs.push(FieldError::new(field, format!("{label}不超过{max}个字")));
    }
}

/// Reference facts validation needs, loaded once (an import validates many rows with one).
pub struct Refs {
    /// Region code → kind (county, park, township, …).
    pub regions: std::collections::HashMap<String, String>,
    pub today: NaiveDate,
}

impl App {
    pub async fn refs(&self) -> Result<Refs> {
        let rows = self.regions().await?;
        Ok(Refs { regions: rows.into_iter().map(|r| (r.code, r.kind)).collect(), today: self.now().date_naive() })
    }

    /// Validates every field at once and computes size and the 规上 flag.
    pub async fn validate_enterprise(&self, i: &EnterpriseInput, is_demo: bool) -> Result<EnterpriseData> {
        let refs = self.refs().await?;
        validate_with(&refs, i, is_demo)
    }
}

/// Whether `scope` may hold an enterprise placed as `d` is (its county or park).
pub(crate) fn may_create_in(scope: &EnterpriseScope, d: &EnterpriseData) -> bool {
    // Counties' parent is the prefecture; parks hang under the prefecture too.
    scope.may_create_in(&d.region_code, d.park_code.as_deref(), |r| {
        (r.len() == 6 && r.ends_with(|c: char| c.is_ascii_digit())).then(|| format!("{}00", &r[..4]))
    })
}

/// Validates an enterprise against loaded reference facts (no I/O).
pub fn validate_with(refs: &Refs, i: &EnterpriseInput, is_demo: bool) -> Result<EnterpriseData> {
    {
        // PostgreSQL text cannot hold U+0000: refuse it here rather than fail in the database.
        let nul: Vec<FieldError> = [
            ("uscc", &i.uscc),
            ("name", &i.name),
            ("region_code", &i.region_code),
            ("park_code", &i.park_code),
            ("industry_code", &i.industry_code),
            ("employees", &i.employees),
            ("revenue_wan", &i.revenue_wan),
            ("assets_wan", &i.assets_wan),
            ("founded_on", &i.founded_on),
            ("address", &i.address),
            ("contact_name", &i.contact_name),
            ("contact_phone", &i.contact_phone),
            ("description", &i.description),
        ]
        .into_iter()
        .filter(|(_, v)| v.contains('\0'))
        .map(|(f, _)| FieldError::new(f, "不能包含空字符"))
        .collect();
        if !nul.is_empty() {
            return Err(AppError::Invalid(nul));
        }
        let mut errs = Vec::new();
        let uscc = match Uscc::parse(&i.uscc) {
            Ok(u) => Some(u),
            Err(e) => {
                errs.push(FieldError::new("uscc", e));
                None
            }
        };
        let name = i.name.trim().to_string();
        if name.is_empty() {
            errs.push(FieldError::new("name", "企业名称不能为空"));
        }
        check_len(&mut errs, "name", "企业名称", &name, 100);
        let region = i.region_code.trim();
        match refs.regions.get(region).map(String::as_str) {
            Some("county") => {}
            Some(_) => errs.push(FieldError::new("region_code", "所属区县应为县级行政区划")),
            None if region.is_empty() => errs.push(FieldError::new("region_code", "请选择所属区县")),
            None => errs.push(FieldError::new("region_code", format!("区划代码“{region}”不存在"))),
        }
        let park = i.park_code.trim();
        let park_code = if park.is_empty() {
            None
        } else {
            match refs.regions.get(park).map(String::as_str) {
                Some("park") => Some(park.to_string()),
                _ => {
                    errs.push(FieldError::new("park_code", format!("园区代码“{park}”不存在")));
                    None
                }
            }
        };
        let industry = match IndustryCode::parse(&i.industry_code) {
            Ok(c) if c.level() == IndustryLevel::Class => Some(c),
            Ok(c) => {
                errs.push(FieldError::new(
                    "industry_code",
                    format!("行业代码应填到小类（4位），“{}”是{}", c.as_str(), c.level().label()),
                ));
                None
            }
            Err(e) => {
                errs.push(FieldError::new("industry_code", e));
                None
            }
        };
        let employees = match i.employees.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(v) if (0..=10_000_000).contains(&v) => Some(v),
                _ => {
                    errs.push(FieldError::new("employees", "从业人员应为0至10,000,000之间的整数"));
                    None
                }
            },
        };
        let mut money = |field: &str, label: &str, v: &str| match v.trim() {
            "" => None,
            s => match parse_wan(s) {
                Ok(v) => Some(v),
                Err(e) => {
                    errs.push(FieldError::new(field, format!("{label}：{e}")));
                    None
                }
            },
        };
        let revenue_fen = money("revenue_wan", "营业收入", &i.revenue_wan);
        let assets_fen = money("assets_wan", "资产总额", &i.assets_wan);
        let founded_on = match i.founded_on.trim() {
            "" => None,
            s => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) if d <= refs.today && d.year() >= 1800 => Some(d),
                Ok(_) => {
                    errs.push(FieldError::new("founded_on", "成立日期不能晚于今天"));
                    None
                }
                Err(_) => {
                    errs.push(FieldError::new("founded_on", "成立日期格式应为 YYYY-MM-DD"));
                    None
                }
            },
        };
        let phone = i.contact_phone.trim();
        if !phone.chars().all(|c| c.is_ascii_digit() || "-+ ()".contains(c)) {
            errs.push(FieldError::new("contact_phone", "联系电话只能包含数字、空格和 - + ( )"));
        }
        check_len(&mut errs, "contact_phone", "联系电话", phone, 30);
        check_len(&mut errs, "address", "地址", i.address.trim(), 200);
        check_len(&mut errs, "contact_name", "联系人", i.contact_name.trim(), 50);
        check_len(&mut errs, "description", "简介", i.description.trim(), 2000);
        let (Some(uscc), Some(industry), true) = (uscc, industry, errs.is_empty()) else {
            return Err(AppError::Invalid(errs));
        };
        let inputs = SizeInputs {
            employees,
            revenue_wan: revenue_fen.map(|f| f as f64 / domain::money::FEN_PER_WAN as f64),
            assets_wan: assets_fen.map(|f| f as f64 / domain::money::FEN_PER_WAN as f64),
        };
        let size = classify(&industry, &inputs).ok().map(|s| s.code().to_string());
        let above_scale = revenue_fen.is_some_and(|f| is_above_scale(&industry, f / 100));
        Ok(EnterpriseData {
            uscc: uscc.as_str().to_string(),
            name,
            region_code: region.to_string(),
            park_code,
            industry_code: industry.as_str().to_string(),
            employees,
            revenue_fen,
            assets_fen,
            size,
            above_scale,
            founded_on,
            address: i.address.trim().to_string(),
            contact_name: i.contact_name.trim().to_string(),
            contact_phone: phone.to_string(),
            description: i.description.trim().to_string(),
            is_demo,
        })
    }
}

impl App {
    pub(crate) fn read_scope_of<'a>(&self, p: &'a Principal) -> Result<&'a EnterpriseScope> {
        self.read_scope(p)
    }

    fn read_scope<'a>(&self, p: &'a Principal) -> Result<&'a EnterpriseScope> {
        p.ensure_active()?;
        if p.enterprise_scope.reads_anything() {
            Ok(&p.enterprise_scope)
        } else {
            Err(AppError::Forbidden("您的角色无权查看企业库".into()))
        }
    }

    /// One page of the list and the total matching. The total comes from the count cache
    /// (see [`crate::counts`]) unless the page itself shows that everything fits on it.
    pub async fn enterprises(&self, p: &Principal, f: &Filter) -> Result<(Vec<EnterpriseRow>, i64)> {
        let scope = self.read_scope(p)?;
        let rows = se::page(&self.db, scope, f).await?;
        let total = if f.page <= 1 && (rows.len() as i64) < f.per_page.clamp(1, 200) {
            rows.len() as i64
        } else {
            self.enterprise_count(p, f).await?
        };
        Ok((rows, total))
    }

    pub async fn enterprise_count(&self, p: &Principal, f: &Filter) -> Result<i64> {
        let scope = self.read_scope(p)?;
        let key = crate::counts::key(scope, f);
        let head = store::feed::head(&self.db).await?;
        if let Some(n) = self.counts.get(&key, head) {
            return Ok(n);
        }
        let n = se::count(&self.db, scope, f).await?;
        self.counts.put(key, head, n);
        Ok(n)
    }

    pub async fn enterprise_counts_by_region(&self, p: &Principal) -> Result<Vec<se::RegionCount>> {
        let scope = self.read_scope(p)?;
        Ok(se::counts_by_region(&self.db, scope).await?)
    }

    /// Rows for an export of what is filtered (at most 100,000), audited as a read of note.
    pub async fn enterprise_export(&self, p: &Principal, f: &Filter) -> Result<Vec<EnterpriseRow>> {
        let scope = self.read_scope(p)?;
        let rows = se::export(&self.db, scope, f, 100_000).await?;
        let mut tx = self.db.begin().await?;
        let after = serde_json::json!({"rows": rows.len(), "region": f.region, "industry": f.industry, "q": f.q});
        store::audit::append(
            &mut tx,
            self.now(),
            &audit_entry(&p.actor(), "enterprise.export", "enterprise", "*", None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn enterprise(&self, p: &Principal, id: i64) -> Result<EnterpriseRow> {
        let scope = self.read_scope(p)?;
        se::get(&self.db, scope, id).await?.ok_or(AppError::NotFound)
    }

    pub async fn enterprise_chains(&self, p: &Principal, id: i64) -> Result<Vec<se::ChainRef>> {
        self.enterprise(p, id).await?;
        Ok(se::chains_of(&self.db, id).await?)
    }

    pub async fn enterprise_history(&self, p: &Principal, id: i64) -> Result<Vec<FieldChange>> {
        self.enterprise(p, id).await?;
        Ok(store::history::of(&self.db, "enterprise", id).await?)
    }

    /// Whether `p` may edit enterprise `id` (for showing the edit button).
    pub async fn may_edit_enterprise(&self, p: &Principal, id: i64) -> Result<bool> {
        if !p.enterprise_scope.writes_anything() || p.must_change_password {
            return Ok(false);
        }
        let mut tx = self.db.begin().await?;
        let r = se::get_tx(&mut tx, &p.enterprise_scope, id, Access::Write).await?.is_some();
        tx.rollback().await?;
        Ok(r)
    }

    fn may_create_in(&self, scope: &EnterpriseScope, d: &EnterpriseData) -> bool {
        may_create_in(scope, d)
    }

    pub async fn create_enterprise(&self, p: &Principal, i: &EnterpriseInput) -> Result<i64> {
        p.ensure_active()?;
        if !p.enterprise_scope.creates_anything() {
            return Err(AppError::Forbidden("您的角色无权新增企业".into()));
        }
        let d = self.validate_enterprise(i, false).await?;
        if !self.may_create_in(&p.enterprise_scope, &d) {
            return Err(AppError::invalid("region_code", "只能在本辖区内新增企业"));
        }
        self.insert_enterprise(&p.actor(), &d).await
    }

    /// Inserts validated data with its audit row and history (also used by the demo).
    pub(crate) async fn insert_enterprise(&self, actor: &crate::Actor, d: &EnterpriseData) -> Result<i64> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = self.insert_enterprise_tx(&mut tx, actor, d, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub(crate) async fn insert_enterprise_tx(
        &self,
        tx: &mut store::Tx,
        actor: &crate::Actor,
        d: &EnterpriseData,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64> {
        if se::id_by_uscc_tx(tx, &d.uscc).await?.is_some() {
            return Err(AppError::invalid("uscc", "该统一社会信用代码已在系统中登记"));
        }
        let id = se::insert(tx, d, now, actor.id).await.map_err(|e| {
            if e.is_unique_violation() {
                AppError::invalid("uscc", "该统一社会信用代码已在系统中登记")
            } else {
                e.into()
            }
        })?;
        let after = serde_json::to_value(d).map_err(|e| AppError::Internal(e.to_string()))?;
        store::history::record(tx, "enterprise", id, None, &after, &["is_demo"], "录入", now, actor.id).await?;
        self.flag_same_names(tx, id, &d.name, now).await?;
        store::audit::append(tx, now, &audit_entry(actor, "enterprise.create", "enterprise", id, None, Some(after)))
            .await?;
        // After the audit row: the audit head's lock orders feed numbers by commit.
        store::feed::append(tx, "enterprise", &[id], "upsert", now).await?;
        Ok(id)
    }

    /// Finds `id` for writing, telling apart missing, read-only and stale.
    async fn enterprise_for_write(
        &self,
        tx: &mut store::Tx,
        p: &Principal,
        id: i64,
        version: i64,
    ) -> Result<EnterpriseRow> {
        match se::get_tx(tx, &p.enterprise_scope, id, Access::Write).await? {
            Some(r) if r.version != version => Err(AppError::Stale { by: r.updated_by_name.clone(), at: r.updated_at }),
            Some(r) => Ok(r),
            None => match se::get_tx(tx, &p.enterprise_scope, id, Access::Read).await? {
                Some(_) => Err(AppError::Forbidden("您无权修改该企业".into())),
                None => Err(AppError::NotFound),
            },
        }
    }

    pub async fn update_enterprise(&self, p: &Principal, id: i64, version: i64, i: &EnterpriseInput) -> Result<()> {
        p.ensure_active()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let old = self.enterprise_for_write(&mut tx, p, id, version).await?;
        let mut d = self.validate_enterprise(i, old.is_demo).await?;
        d.is_demo = old.is_demo;
        // A region may not move an enterprise out of its area; lead departments' scope
        // follows the chain, not the place, and the office's is the whole city.
        let s = &p.enterprise_scope;
        let moved = d.region_code != old.region_code || d.park_code != old.park_code;
        if moved && !s.write_all && !s.regions.is_empty() && !self.may_create_in(s, &d) {
            return Err(AppError::invalid("region_code", "不能把企业移出本辖区"));
        }
        if d.uscc != old.uscc && se::id_by_uscc_tx(&mut tx, &d.uscc).await?.is_some() {
            return Err(AppError::invalid("uscc", "该统一社会信用代码已在系统中登记"));
        }
        let before = serde_json::to_value(old.data()).map_err(|e| AppError::Internal(e.to_string()))?;
        let after = serde_json::to_value(&d).map_err(|e| AppError::Internal(e.to_string()))?;
        if before == after {
            return Ok(());
        }
        se::update(&mut tx, &p.enterprise_scope, id, version, &d, now, Some(p.account_id)).await.map_err(
            |e| match e {
                store::StoreError::Stale => AppError::Stale { by: old.updated_by_name.clone(), at: old.updated_at },
                e if e.is_unique_violation() => AppError::invalid("uscc", "该统一社会信用代码已在系统中登记"),
                e => e.into(),
            },
        )?;
        store::history::record(
            &mut tx,
            "enterprise",
            id,
            Some(&before),
            &after,
            &["is_demo"],
            "人工修改",
            now,
            Some(p.account_id),
        )
        .await?;
        if d.name != old.name {
            store::registry::add_alias(&mut tx, id, "former_name", &old.name).await?;
            self.flag_same_names(&mut tx, id, &d.name, now).await?;
        }
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "enterprise.update", "enterprise", id, Some(before), Some(after)),
        )
        .await?;
        store::feed::append(&mut tx, "enterprise", &[id], "upsert", now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Archives an enterprise (the office only); its history and audit trail stay.
    pub async fn delete_enterprise(&self, p: &Principal, id: i64, version: i64) -> Result<()> {
        p.ensure_active()?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let old = self.enterprise_for_write(&mut tx, p, id, version).await?;
        if !p.enterprise_scope.delete {
            return Err(AppError::Forbidden("仅融圈强链办可删除企业".into()));
        }
        se::archive(&mut tx, &p.enterprise_scope, id, version, now, Some(p.account_id)).await.map_err(|e| match e {
            store::StoreError::Stale => AppError::Stale { by: old.updated_by_name.clone(), at: old.updated_at },
            e => e.into(),
        })?;
        let before = serde_json::to_value(old.data()).map_err(|e| AppError::Internal(e.to_string()))?;
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "enterprise.delete", "enterprise", id, Some(before), None),
        )
        .await?;
        store::feed::append(&mut tx, "enterprise", &[id], "delete", now).await?;
        tx.commit().await?;
        Ok(())
    }
}
