//! Key projects 重点项目 (issue 6, SPEC D): the library with its responsible unit and person
//! (清单制+责任制), the lifecycle with evidence, milestones whose due dates follow each
//! other, monthly reports, supervision orders 督办 and saved filters. Codes 赋码, scheduling
//! reports 调度 and to-do lists are in [`crate::project_schedule`]; files in
//! [`crate::project_xlsx`].
//!
//! Who may do what: everyone reads through the storage scope; the office, the chain's lead
//! department and the project's region edit a project and move it through its stages; they,
//! the responsible unit and the responsible person report monthly and answer supervision;
//! the office, the lead department and the chain's chiefs supervise.

use crate::account::Principal;
use crate::error::FieldError;
use crate::{App, AppError, Result, audit_entry};
use chrono::{Datelike, NaiveDate};
use domain::money::{FEN_PER_WAN, parse_wan, plain_wan};
use domain::project::{self as dp, Code, CodeReason, Month, Stage};
use domain::role::Role;
use serde::{Deserialize, Serialize};
use store::project::{self as sp, Access, MilestoneRow, ProjectRow};

/// Largest total investment accepted: 10 万亿元 (anything above is a unit mistake).
pub const MAX_TOTAL_FEN: i64 = 1_000_000_000 * FEN_PER_WAN;

/// A project as typed in a form, an API call or an import row: amounts in 万元 as text,
/// dates as people write them, codes or labels.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ProjectInput {
    /// 项目编号; generated (`XM-2026-0001`) when empty.
    #[serde(default)]
    pub code: String,
    pub name: String,
    /// Chain code or id.
    pub chain: String,
    #[serde(default)]
    pub segment_id: Option<i64>,
    /// County or park code (or name).
    pub region: String,
    /// Owner enterprise's USCC when it is in the ledger.
    #[serde(default)]
    pub enterprise_uscc: String,
    /// 项目业主 as written (the enterprise's name when empty and linked).
    #[serde(default)]
    pub investor: String,
    /// new_attraction, reinvestment, pilot, upgrade, environmental (or the Chinese label).
    pub kind: String,
    #[serde(default)]
    pub tag_effective: bool,
    #[serde(default)]
    pub tag_rooted: bool,
    #[serde(default)]
    pub tag_tax: bool,
    /// 总投资 in 万元.
    pub total_wan: String,
    /// Yearly plans: `[["2026", "5000"], …]` (万元).
    #[serde(default)]
    pub plans: Vec<(String, String)>,
    /// Land area in 亩.
    #[serde(default)]
    pub land_mu: String,
    /// long_lease, lease_then_sell, flexible_term, transfer (or the label); empty: no land.
    #[serde(default)]
    pub land_mode: String,
    #[serde(default)]
    pub output_wan: String,
    #[serde(default)]
    pub tax_wan: String,
    #[serde(default)]
    pub content: String,
    /// Responsible unit: a department or region code, or its name.
    pub unit: String,
    pub person: String,
    /// The responsible person's account, for their to-do list.
    #[serde(default)]
    pub person_username: String,
    #[serde(default)]
    pub contact: String,
    pub planned_start: String,
    #[serde(default)]
    pub planned_end: String,
    /// Initial stage (creation and import only; later changes go through transitions).
    #[serde(default)]
    pub stage: String,
}

/// A project with everything its page shows.
#[derive(Clone, Debug, Serialize)]
pub struct ProjectDetail {
    pub project: ProjectRow,
    pub plans: Vec<(i64, i64)>,
    pub milestones: Vec<MilestoneRow>,
    pub reports: Vec<sp::ReportRow>,
    pub events: Vec<sp::EventRow>,
    pub evidence: Vec<sp::EvidenceRow>,
    pub supervisions: Vec<sp::SupervisionRow>,
    pub code: Code,
    pub reasons: Vec<CodeReason>,
    pub may_edit: bool,
    pub may_report: bool,
    pub may_supervise: bool,
    /// The stages this project may move to next.
    pub next: Vec<Stage>,
    /// The months that may be reported now (unreported, from the first month to this one).
    pub open_months: Vec<String>,
    /// Whether the caller may open the owner enterprise's page.
    pub enterprise_readable: bool,
}

/// Options of the project forms.
#[derive(Clone, Debug, Serialize)]
pub struct ProjectOptions {
    /// (code, name) of the chains the caller may add projects to.
    pub chains: Vec<(String, String)>,
    /// (code, name) of every chain (the list's filter).
    pub all_chains: Vec<(String, String)>,
    /// (code, name) of the regions the caller may add projects in.
    pub regions: Vec<(String, String)>,
    /// (code, name) of departments and regions that may be responsible units.
    pub units: Vec<(String, String)>,
}

pub(crate) fn stage_of(code: &str) -> Stage {
    Stage::parse(code).unwrap_or(Stage::Planning)
}

/// Whether the caller holds `role` with scope `value`.
fn holds(p: &Principal, role: Role, value: &str) -> bool {
    p.grants.iter().any(|g| g.role == role && g.scope.as_deref() == Some(value))
}

/// Who works with key projects: anyone with a business role other than banks and experts
/// (the menu shows the pages by the same rule).
pub fn may_see_projects(p: &Principal) -> bool {
    // The union of scopes: one business role that works with projects is enough.
    p.grants.iter().any(|g| !(g.role.is_system() || g.role == Role::Bank || g.role == Role::Expert))
}

impl App {
    pub(crate) fn project_staff(&self, p: &Principal) -> Result<()> {
        p.ensure_active()?;
        if !may_see_projects(p) {
            return Err(AppError::Forbidden("无权查看重点项目".into()));
        }
        Ok(())
    }

    /// Whether `p` may edit projects of `chain_lead` (the chain's lead department) in `region`.
    async fn may_edit_in(&self, p: &Principal, chain_lead: &str, region: &str) -> Result<bool> {
        if p.has(Role::Office) || holds(p, Role::LeadDept, chain_lead) {
            return Ok(true);
        }
        if p.enterprise_scope.regions.is_empty() {
            return Ok(false);
        }
        let parent = self.regions().await?.into_iter().find(|r| r.code == region).and_then(|r| r.parent_code);
        Ok(p.enterprise_scope.regions.iter().any(|r| r == region || parent.as_deref() == Some(r.as_str())))
    }

    /// Refuses callers who may register projects nowhere (viewers, chiefs, units, enterprises).
    pub(crate) fn may_register_projects(&self, p: &Principal) -> Result<()> {
        if p.has(Role::Office)
            || p.grants.iter().any(|g| g.role == Role::LeadDept)
            || !p.enterprise_scope.regions.is_empty()
        {
            Ok(())
        } else {
            Err(AppError::Forbidden("只有融圈强链办、牵头部门和县（市、区）、园区可以登记重点项目".into()))
        }
    }

    /// Whether `p` may supervise projects of this chain: the office, its lead department,
    /// its chiefs.
    fn may_supervise(&self, p: &Principal, row: &ProjectRow) -> bool {
        p.has(Role::Office)
            || holds(p, Role::LeadDept, &row.lead_department_code)
            || holds(p, Role::Chief, &row.chain_code)
    }

    /// A project the caller may reach with `access`; NotFound for one they cannot read at
    /// all, Forbidden for one they read but may not change this way.
    pub(crate) async fn project_for(&self, p: &Principal, id: i64, access: Access) -> Result<ProjectRow> {
        self.project_staff(p)?;
        let scope = &p.enterprise_scope;
        if let Some(row) = sp::get(&self.db, scope, p.account_id, access, id).await? {
            return Ok(row);
        }
        if access != Access::Read && sp::get(&self.db, scope, p.account_id, Access::Read, id).await?.is_some() {
            let what = if access == Access::Edit {
                "编辑该项目或变更其阶段"
            } else {
                "填报该项目的月报或回复督办"
            };
            return Err(AppError::Forbidden(format!("您无权{what}")));
        }
        Err(AppError::NotFound)
    }

    /// The chains, regions and units of the project forms.
    pub async fn project_options(&self, p: &Principal) -> Result<ProjectOptions> {
        self.project_staff(p)?;
        let head = store::feed::head(&self.db).await?;
        self.project_options_at(p, head).await
    }

    /// [`Self::project_options`] with the chains as of feed head `head` (one the caller has
    /// just read, so that a list page asks the database once).
    pub async fn project_options_at(&self, p: &Principal, head: i64) -> Result<ProjectOptions> {
        self.project_staff(p)?;
        let heads = self.chain_heads_at(head).await?;
        let all_chains = heads.iter().map(|(code, name, _)| (code.clone(), name.clone())).collect();
        let chains = heads
            .iter()
            .filter(|(_, _, lead)| {
                p.has(Role::Office) || holds(p, Role::LeadDept, lead) || !p.enterprise_scope.regions.is_empty()
            })
            .map(|(code, name, _)| (code.clone(), name.clone()))
            .collect();
        let all_regions = self.filter_regions().await?;
        let regions = if p.has(Role::Office) || p.grants.iter().any(|g| g.role == Role::LeadDept) {
            all_regions.clone()
        } else {
            let mine = &p.enterprise_scope.regions;
            let rows = self.regions().await?;
            all_regions
                .iter()
                .filter(|(code, _)| {
                    mine.contains(code)
                        || rows
                            .iter()
                            .any(|r| &r.code == code && r.parent_code.as_ref().is_some_and(|pc| mine.contains(pc)))
                })
                .cloned()
                .collect()
        };
        let mut units: Vec<(String, String)> =
            self.departments().await?.into_iter().map(|d| (d.code, d.name)).collect();
        units.extend(all_regions);
        Ok(ProjectOptions { chains, all_chains, regions, units })
    }

    /// Checks an input against the reference data and the caller's rights; every problem at
    /// once. `old` is the project being edited.
    pub(crate) async fn check_project(
        &self,
        p: &Principal,
        i: &ProjectInput,
        old: Option<&ProjectRow>,
    ) -> Result<(sp::NewProject, Vec<(i64, i64)>, Stage)> {
        let mut errors: Vec<FieldError> = Vec::new();
        macro_rules! err {
            ($f:expr, $m:expr $(,)?) => {
                errors.push(FieldError::new($f, $m))
            };
        }
        let name = i.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            err!("name", "项目名称不能为空，且不超过 100 字");
        }
        let code = i.code.trim().to_string();
        if code.chars().count() > 40 || code.chars().any(|c| c.is_control()) {
            err!("code", "项目编号不超过 40 个字符");
        }
        // Chain
        let chains = self.chains().await?;
        let key = i.chain.trim();
        let chain = chains.iter().find(|c| c.code == key || c.name == key || c.id.to_string() == key);
        if chain.is_none() {
            err!("chain", format!("产业链“{key}”不存在"));
        }
        // Region: a county or park by code or name.
        let regions = self.regions().await?;
        let rkey = i.region.trim();
        let region =
            regions.iter().find(|r| (r.kind == "county" || r.kind == "park") && (r.code == rkey || r.name == rkey));
        if region.is_none() {
            err!("region", format!("“{rkey}”不是本市的县（市、区）或园区"));
        }
        if let (Some(c), Some(r)) = (chain, region)
            && !self.may_edit_in(p, &c.lead_department_code, &r.code).await?
        {
            err!("region", format!("您无权在“{}”登记“{}”的项目", r.name, c.name));
        }
        // Segment on this chain.
        // A link the project already holds is kept even if its target was retired since.
        let same_segment = old.is_some_and(|o| o.segment_id == i.segment_id && Some(o.chain_id) == chain.map(|c| c.id));
        if let (Some(sid), Some(c)) = (i.segment_id, chain)
            && !same_segment
            && !store::chainmap::segments(&self.db, c.id).await?.iter().any(|s| s.id == sid && !s.retired)
        {
            err!("segment_id", format!("环节 {sid} 不在“{}”的图谱中或已撤销", c.name));
        }
        // Owner enterprise.
        let mut enterprise_id = None;
        let mut investor = i.investor.trim().to_string();
        let uscc = i.enterprise_uscc.trim();
        if !uscc.is_empty() {
            match domain::uscc::Uscc::parse(uscc) {
                Err(e) => err!("enterprise_uscc", format!("统一社会信用代码有误：{e}")),
                Ok(u) => {
                    let keep = old.and_then(|o| o.enterprise_id);
                    let mut q = store::sql::Sql::new(
                        "SELECT e.id, e.name FROM enterprise e WHERE (e.archived = FALSE OR e.id = ",
                    );
                    q.bind(keep.unwrap_or(0)).push(") AND e.uscc = ").bind(u.as_str());
                    let found: Option<(i64, String)> = q.fetch_optional(&self.db).await?;
                    match found {
                        None => {
                            err!("enterprise_uscc", format!("企业库中没有统一社会信用代码为 {} 的企业", u.as_str()))
                        }
                        Some((id, ename)) => {
                            let mut probe = store::sql::Sql::new("SELECT COUNT(*) FROM enterprise e WHERE e.id = ");
                            probe.bind(id);
                            store::enterprise::push_scope(
                                &mut probe,
                                &p.enterprise_scope,
                                store::enterprise::Access::Read,
                            );
                            if Some(id) != keep && probe.fetch_i64(&self.db).await? == 0 {
                                err!("enterprise_uscc", "该企业不在您的查看范围内，不能关联");
                            } else {
                                enterprise_id = Some(id);
                                if investor.is_empty() {
                                    investor = ename;
                                }
                            }
                        }
                    }
                }
            }
        }
        if investor.is_empty() || investor.chars().count() > 100 {
            err!("investor", "项目业主不能为空（或填写已在企业库中的统一社会信用代码），且不超过 100 字");
        }
        let kind = dp::code_of(&dp::KINDS, &i.kind);
        if kind.is_none() {
            err!(
                "kind",
                format!("项目类型“{}”无效，应为新招引、本地增资扩产、中试、技术改造或环保治理", i.kind.trim())
            );
        }
        let total_fen = money(&mut errors, "total_wan", "总投资", &i.total_wan, true);
        let output_fen = money(&mut errors, "output_wan", "预计年产值", &i.output_wan, false);
        let tax_fen = money(&mut errors, "tax_wan", "预计年税收", &i.tax_wan, false);
        let mut plans = Vec::new();
        for (y, v) in &i.plans {
            if y.trim().is_empty() && v.trim().is_empty() {
                continue;
            }
            let year = y.trim().trim_end_matches('年').parse::<i64>().ok().filter(|y| (2000..=2100).contains(y));
            let fen = money(&mut errors, "plans", &format!("{}年计划投资", y.trim()), v, true);
            match year {
                None => err!("plans", format!("计划年度“{}”无效", y.trim())),
                Some(y) if plans.iter().any(|(py, _)| *py == y) => err!("plans", format!("{y}年计划投资重复")),
                Some(y) => plans.push((y, fen)),
            }
        }
        plans.sort();
        let plan_sum: i64 = plans.iter().map(|(_, f)| f).sum();
        if total_fen > 0 && plan_sum > total_fen {
            err!(
                "plans",
                format!("各年度计划投资合计 {} 万元超过总投资 {} 万元", plain_wan(plan_sum), plain_wan(total_fen)),
            );
        }
        if total_fen == 0 && !i.total_wan.trim().is_empty() && !errors.iter().any(|e| e.field == "total_wan") {
            err!("total_wan", "总投资应大于 0");
        }
        let land_mu = i.land_mu.trim().trim_end_matches('亩').trim().to_string();
        if !land_mu.is_empty() {
            match land_mu.parse::<f64>() {
                Ok(v) if v > 0.0 && v < 1_000_000.0 && land_mu.chars().all(|c| c.is_ascii_digit() || c == '.') => {}
                _ => err!("land_mu", format!("用地面积“{land_mu}”应为大于 0 的亩数")),
            }
        }
        let land_mode = if i.land_mode.trim().is_empty() {
            None
        } else {
            match dp::code_of(&dp::LAND_MODES, &i.land_mode) {
                Some(c) => Some(c.to_string()),
                None => {
                    err!(
                        "land_mode",
                        format!("供地方式“{}”无效，应为长期租赁、先租后让、弹性年期或出让", i.land_mode.trim())
                    );
                    None
                }
            }
        };
        if i.content.chars().count() > 2000 {
            err!("content", "建设内容不超过 2000 字");
        }
        // Responsible unit: a department or a region, by code or name.
        let ukey = i.unit.trim();
        let departments = self.departments().await?;
        let unit_code = departments
            .iter()
            .find(|d| d.code == ukey || d.name == ukey)
            .map(|d| d.code.clone())
            .or_else(|| regions.iter().find(|r| r.code == ukey || r.name == ukey).map(|r| r.code.clone()));
        if unit_code.is_none() {
            err!("unit", format!("责任单位“{ukey}”不是本系统中的部门或县（市、区）、园区"));
        }
        let person = i.person.trim().to_string();
        if person.is_empty() || person.chars().count() > 40 {
            err!("person", "责任人不能为空，且不超过 40 字");
        }
        let mut person_account_id = None;
        if !i.person_username.trim().is_empty() {
            match store::account::by_username(&self.db, i.person_username.trim()).await? {
                Some(a) if !a.disabled || old.is_some_and(|o| o.person_account_id == Some(a.id)) => {
                    person_account_id = Some(a.id)
                }
                _ => err!("person_username", format!("账号“{}”不存在或已停用", i.person_username.trim())),
            }
        }
        if i.contact.chars().count() > 60 {
            err!("contact", "联系方式不超过 60 字");
        }
        let date = |field: &str, label: &str, v: &str, errs: &mut Vec<FieldError>| match v.trim() {
            "" => None,
            v => match office::parse_date(v) {
                Ok(d) => Some(d),
                Err(e) => {
                    errs.push(FieldError::new(field, format!("{label}：{e}")));
                    None
                }
            },
        };
        let planned_start = date("planned_start", "计划开工日期", &i.planned_start, &mut errors);
        let planned_end = date("planned_end", "计划竣工日期", &i.planned_end, &mut errors);
        if planned_start.is_none() && i.planned_start.trim().is_empty() {
            errors.push(FieldError::new("planned_start", "计划开工日期不能为空"));
        }
        if let (Some(a), Some(b)) = (planned_start, planned_end)
            && b < a
        {
            errors.push(FieldError::new("planned_end", "计划竣工日期不能早于计划开工日期"));
        }
        // Dates far outside a project's life are typing mistakes (2062 for 2026, 1900 …).
        let max_year = chrono::Datelike::year(&self.today()) + 10;
        for (field, label, d) in
            [("planned_start", "计划开工日期", planned_start), ("planned_end", "计划竣工日期", planned_end)]
        {
            if let Some(d) = d
                && !(2000..=max_year).contains(&d.year())
            {
                errors.push(FieldError::new(field, format!("{label} {d} 不在 2000 年至 {max_year} 年之间，请检查")));
            }
        }
        let stage = if i.stage.trim().is_empty() {
            old.map(|o| stage_of(&o.stage)).unwrap_or(Stage::Planning)
        } else {
            match Stage::parse(&i.stage) {
                Some(Stage::Terminated) if old.is_none() => {
                    errors.push(FieldError::new("stage", "不能以“终止”阶段登记项目"));
                    Stage::Planning
                }
                Some(s) => s,
                None => {
                    errors.push(FieldError::new("stage", format!("项目阶段“{}”无效", i.stage.trim())));
                    Stage::Planning
                }
            }
        };
        if let Some(o) = old
            && stage != stage_of(&o.stage)
        {
            errors.push(FieldError::new("stage", "阶段只能通过“变更阶段”办理（需上传佐证材料）"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let (chain, region) = (chain.expect("checked"), region.expect("checked"));
        Ok((
            sp::NewProject {
                code,
                name,
                chain_id: chain.id,
                segment_id: i.segment_id,
                region_code: region.code.clone(),
                enterprise_id,
                investor,
                kind: kind.expect("checked").to_string(),
                tag_effective: i.tag_effective,
                tag_rooted: i.tag_rooted,
                tag_tax: i.tag_tax,
                total_fen,
                land_mu,
                land_mode,
                output_fen,
                tax_fen,
                content: i.content.trim().to_string(),
                unit_code: unit_code.expect("checked"),
                person,
                person_account_id,
                contact: i.contact.trim().to_string(),
                planned_start: planned_start.expect("checked"),
                planned_end,
            },
            plans,
            stage,
        ))
    }

    /// Adds a project: its code (given or generated), plans, milestones from its kind's
    /// template (those before its initial stage done), the first timeline entry.
    pub async fn create_project(&self, p: &Principal, i: &ProjectInput) -> Result<i64> {
        self.project_staff(p)?;
        self.may_register_projects(p)?;
        let (new, plans, stage) = self.check_project(p, i, None).await?;
        let now = self.now();
        let today = self.today();
        let mut tx = self.db.begin().await?;
        let id = self.insert_project(&mut tx, p, new, &plans, stage, today, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The write of [`App::create_project`] inside a transaction (imports share it).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_project(
        &self,
        tx: &mut store::Tx,
        p: &Principal,
        mut new: sp::NewProject,
        plans: &[(i64, i64)],
        stage: Stage,
        today: NaiveDate,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64> {
        if new.code.is_empty() {
            let seq = sp::last_code_seq(tx, today.year()).await? + 1;
            new.code = format!("XM-{}-{seq:04}", today.year());
        } else if sp::code_exists(tx, &new.code).await? {
            return Err(AppError::invalid("code", format!("项目编号“{}”已存在", new.code)));
        }
        let first_month = Month::of(today).to_string();
        let id = match sp::insert(tx, &new, stage.code(), today, &first_month, now, p.by()).await {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => {
                return Err(AppError::Conflict(format!("项目编号“{}”已存在，请重试", new.code)));
            }
            Err(e) => return Err(e.into()),
        };
        sp::replace_plans(tx, id, plans).await?;
        let rows = template_rows(id, &new.kind, new.planned_start, stage, today);
        sp::insert_milestones(tx, &rows).await?;
        let text = format!("入库，阶段：{}", stage.label());
        let ev = sp::NewEvent {
            project_id: id,
            kind: "created",
            on_date: today,
            from_stage: None,
            to_stage: Some(stage.code()),
            text: &text,
        };
        sp::insert_event(tx, &ev, now, p.by(), &p.display_name).await?;
        let after = serde_json::json!({"project": new, "plans": plans, "stage": stage.code()});
        store::audit::append(tx, now, &audit_entry(&p.actor(), "project.create", "project", id, None, Some(after)))
            .await?;
        store::feed::append(tx, "project", &[id], "upsert", now).await?;
        Ok(id)
    }

    /// Rewrites a project's fields (not its stage), version-checked.
    pub async fn update_project(&self, p: &Principal, id: i64, version: i64, i: &ProjectInput) -> Result<()> {
        let old = self.project_for(p, id, Access::Edit).await?;
        let mut i = i.clone();
        if i.code.trim().is_empty() {
            i.code = old.code.clone();
        }
        let (new, plans, _) = self.check_project(p, &i, Some(&old)).await?;
        if new.code != old.code {
            return Err(AppError::invalid("code", "项目编号入库后不能修改"));
        }
        let old_plans = sp::plans(&self.db, id).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !sp::update(&mut tx, id, version, &new, now, p.by()).await? {
            drop(tx);
            return Err(self.project_stale(id).await);
        }
        sp::replace_plans(&mut tx, id, &plans).await?;
        // A new planned start moves the automatic due dates.
        if new.planned_start != old.planned_start {
            replan(&mut tx, id, entered(&old), new.planned_start).await?;
        }
        let ev = sp::NewEvent {
            project_id: id,
            kind: "edit",
            on_date: self.today(),
            from_stage: None,
            to_stage: None,
            text: "修改项目信息",
        };
        sp::insert_event(&mut tx, &ev, now, p.by(), &p.display_name).await?;
        let before = serde_json::json!({"project": project_fields(&old), "plans": old_plans});
        let after = serde_json::json!({"project": new, "plans": plans});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "project.update", "project", id, Some(before), Some(after)),
        )
        .await?;
        store::feed::append(&mut tx, "project", &[id], "upsert", now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn project_stale(&self, id: i64) -> AppError {
        match sqlx_row_meta(&self.db, id).await {
            Some((by, at)) => AppError::Stale { by, at },
            None => AppError::NotFound,
        }
    }

    /// A project's page.
    pub async fn project(&self, p: &Principal, id: i64) -> Result<ProjectDetail> {
        let row = self.project_for(p, id, Access::Read).await?;
        let scope = &p.enterprise_scope;
        let may_edit = sp::get(&self.db, scope, p.account_id, Access::Edit, id).await?.is_some();
        let may_report = sp::get(&self.db, scope, p.account_id, Access::Report, id).await?.is_some();
        let may_supervise = self.may_supervise(p, &row);
        let (code, reasons) = self.project_code_now(p, id).await?;
        let reports = sp::reports(&self.db, id).await?;
        let stage = stage_of(&row.stage);
        let open_months =
            if stage.reports() { open_months(&row.first_month, &reports, self.today()) } else { Vec::new() };
        let enterprise_readable = match row.enterprise_id {
            None => false,
            Some(eid) => {
                let mut probe = store::sql::Sql::new("SELECT COUNT(*) FROM enterprise e WHERE e.id = ");
                probe.bind(eid);
                store::enterprise::push_scope(&mut probe, scope, store::enterprise::Access::Read);
                probe.fetch_i64(&self.db).await? > 0
            }
        };
        Ok(ProjectDetail {
            plans: sp::plans(&self.db, id).await?,
            milestones: sp::milestones(&self.db, id).await?,
            events: sp::events(&self.db, id).await?,
            evidence: sp::evidence(&self.db, id).await?,
            supervisions: sp::supervisions(&self.db, id).await?,
            next: stage.allowed_next(),
            reports,
            code,
            reasons,
            may_edit,
            may_report,
            may_supervise,
            open_months,
            enterprise_readable,
            project: row,
        })
    }

    /// Moves a project to its next stage (or 终止) with the evidence the step needs: texts by
    /// requirement key, files as (key, file name, bytes). `on` is the day it happened
    /// (today when empty); it may not be in the future or before the current stage began.
    #[allow(clippy::too_many_arguments)]
    pub async fn transition_project(
        &self,
        p: &Principal,
        id: i64,
        version: i64,
        to: &str,
        on: &str,
        reason: &str,
        texts: &[(String, String)],
        files: &[(String, String, Vec<u8>)],
    ) -> Result<Stage> {
        let row = self.project_for(p, id, Access::Edit).await?;
        let from = stage_of(&row.stage);
        let Some(to) = Stage::parse(to) else {
            let allowed =
                from.allowed_next().iter().map(|s| format!("{}（{}）", s.label(), s.code())).collect::<Vec<_>>();
            return Err(AppError::invalid(
                "to",
                format!("未知阶段“{}”，允许的下一阶段：{}", to.trim(), allowed.join("、")),
            ));
        };
        dp::check_transition(from, to).map_err(|e| AppError::Conflict(e.to_string()))?;
        let today = self.today();
        let mut errors = Vec::new();
        let on = match on.trim() {
            "" => today,
            v => match office::parse_date(v) {
                Ok(d) => d,
                Err(e) => {
                    errors.push(FieldError::new("on", format!("办理日期：{e}")));
                    today
                }
            },
        };
        if on > today {
            errors.push(FieldError::new("on", "办理日期不能晚于今天"));
        }
        if on < row.stage_on {
            errors.push(FieldError::new(
                "on",
                format!("办理日期不能早于进入“{}”阶段的日期 {}", from.label(), row.stage_on),
            ));
        }
        let reason = reason.trim();
        if to == Stage::Terminated && reason.is_empty() {
            errors.push(FieldError::new("reason", "终止项目须填写终止原因"));
        }
        if reason.chars().count() > 500 {
            errors.push(FieldError::new("reason", "说明不超过 500 字"));
        }
        // Evidence: every requirement met, nothing unasked for.
        let reqs = dp::requirements(to);
        let mut proofs: Vec<Proof<'_>> = Vec::new();
        for r in reqs {
            if r.is_file() {
                let f = files.iter().find(|(k, _, b)| k == r.key && !b.is_empty());
                match f {
                    None => errors.push(FieldError::new(r.key, format!("请上传{}（{}）", r.label, r.types_label()))),
                    Some((_, name, bytes)) => match check_evidence_file(r, name, bytes) {
                        Ok(t) => proofs.push((r, clean_file_name(name), Some((t, bytes.as_slice())))),
                        Err(m) => errors.push(FieldError::new(r.key, m)),
                    },
                }
            } else {
                let t = texts.iter().find(|(k, _)| k == r.key).map(|(_, v)| v.trim()).unwrap_or("");
                if t.is_empty() || t.chars().count() > 200 {
                    errors.push(FieldError::new(r.key, format!("请填写{}（不超过 200 字）", r.label)));
                } else {
                    proofs.push((r, t.to_string(), None));
                }
            }
        }
        for (k, _, b) in files {
            if !b.is_empty() && !reqs.iter().any(|r| r.key == k && r.is_file()) {
                errors.push(FieldError::new(k, format!("“{}”阶段不需要此材料", to.label())));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let stored_reason = if to == Stage::Terminated { reason } else { "" };
        if !sp::set_stage(&mut tx, id, version, to.code(), on, stored_reason, now, p.by()).await? {
            drop(tx);
            return Err(self.project_stale(id).await);
        }
        let text = if reason.is_empty() {
            format!("{} → {}", from.label(), to.label())
        } else {
            format!("{} → {}：{reason}", from.label(), to.label())
        };
        let ev = sp::NewEvent {
            project_id: id,
            kind: "transition",
            on_date: on,
            from_stage: Some(from.code()),
            to_stage: Some(to.code()),
            text: &text,
        };
        let event_id = sp::insert_event(&mut tx, &ev, now, p.by(), &p.display_name).await?;
        let mut evidence_json = Vec::new();
        for (r, text, file) in &proofs {
            let (ft, data) = match file {
                Some((t, d)) => (Some(t.code()), Some(*d)),
                None => (None, None),
            };
            let digest = hex_sm3(data.unwrap_or(text.as_bytes()));
            let e = sp::NewEvidence {
                project_id: id,
                event_id,
                stage: to.code(),
                item: r.key,
                text,
                file_type: ft,
                sm3: &digest,
                data,
            };
            sp::insert_evidence(&mut tx, &e, now, p.by()).await?;
            evidence_json.push(serde_json::json!({"item": r.key, "text": text, "type": ft, "size": data.map(<[u8]>::len), "sm3": digest}));
        }
        // Milestones completed by entering this stage (and the ones before them still open).
        let mut ms = sp::milestones_tx(&mut tx, id).await?;
        if let Some(last) = ms.iter().rposition(|m| m.stage.as_deref() == Some(to.code())) {
            for m in ms.iter_mut().take(last + 1) {
                if m.done_on.is_none() {
                    m.done_on = Some(on);
                }
            }
            recompute_due(&mut ms, entered(&row), row.planned_start);
            for m in &ms {
                sp::save_milestone(&mut tx, m).await?;
            }
        }
        let before = serde_json::json!({"stage": from.code(), "stage_on": row.stage_on});
        let after =
            serde_json::json!({"stage": to.code(), "stage_on": on, "reason": reason, "evidence": evidence_json});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "project.transition", "project", id, Some(before), Some(after)),
        )
        .await?;
        store::feed::append(&mut tx, "project", &[id], "upsert", now).await?;
        tx.commit().await?;
        Ok(to)
    }

    /// An evidence file of a project the caller may read: (name, content type, bytes).
    pub async fn project_evidence_file(
        &self,
        p: &Principal,
        id: i64,
        evidence_id: i64,
    ) -> Result<(String, &'static str, Vec<u8>)> {
        self.project_for(p, id, Access::Read).await?;
        let (name, ft, data) = sp::evidence_file(&self.db, id, evidence_id).await?.ok_or(AppError::NotFound)?;
        let t = dp::FileType::from_code(&ft).ok_or(AppError::NotFound)?;
        Ok((name, t.content_type(), data))
    }

    /// Marks a milestone done on `on` (not in the future, not before the previous one), and
    /// re-plans the automatic due dates after it.
    pub async fn complete_milestone(
        &self,
        p: &Principal,
        id: i64,
        version: i64,
        milestone_id: i64,
        on: &str,
    ) -> Result<()> {
        let row = self.project_for(p, id, Access::Edit).await?;
        refuse_final(&row)?;
        let today = self.today();
        let on = match on.trim() {
            "" => today,
            v => office::parse_date(v).map_err(|e| AppError::invalid("on", format!("完成日期：{e}")))?,
        };
        if on > today {
            return Err(AppError::invalid("on", "完成日期不能晚于今天"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut ms = sp::milestones_tx(&mut tx, id).await?;
        let i = ms.iter().position(|m| m.id == milestone_id).ok_or(AppError::NotFound)?;
        if ms[i].done_on.is_some() {
            return Err(AppError::Conflict(format!("节点“{}”已于 {} 完成", ms[i].name, ms[i].done_on.unwrap_or(on))));
        }
        if let Some(st) = ms[i].stage.as_deref().and_then(Stage::parse) {
            return Err(AppError::Conflict(format!(
                "节点“{}”在项目进入“{}”阶段时完成，请通过“变更阶段”办理（需上传佐证材料）",
                ms[i].name,
                st.label()
            )));
        }
        if let Some(prev) = i.checked_sub(1).map(|j| &ms[j])
            && let Some(pd) = prev.done_on
            && on < pd
        {
            return Err(AppError::invalid("on", format!("完成日期不能早于上一节点“{}”的完成日期 {pd}", prev.name)));
        }
        if !sp::touch(&mut tx, id, version, now, p.by()).await? {
            drop(tx);
            return Err(self.project_stale(id).await);
        }
        ms[i].done_on = Some(on);
        let name = ms[i].name.clone();
        recompute_due(&mut ms, entered(&row), row.planned_start);
        for m in &ms {
            sp::save_milestone(&mut tx, m).await?;
        }
        let text = format!("节点“{name}”完成");
        let ev = sp::NewEvent {
            project_id: id,
            kind: "milestone_done",
            on_date: on,
            from_stage: None,
            to_stage: None,
            text: &text,
        };
        sp::insert_event(&mut tx, &ev, now, p.by(), &p.display_name).await?;
        let after = serde_json::json!({"milestone": milestone_id, "name": name, "done_on": on});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "project.milestone_done", "project", id, None, Some(after)),
        )
        .await?;
        store::feed::append(&mut tx, "project", &[id], "upsert", now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a milestone's due date by hand with a reason; it may not fall before the previous
    /// milestone (its completion, or its due date) nor after the next one set by hand; the
    /// automatic dates after it follow.
    #[allow(clippy::too_many_arguments)]
    pub async fn adjust_milestone(
        &self,
        p: &Principal,
        id: i64,
        version: i64,
        milestone_id: i64,
        due_on: &str,
        reason: &str,
    ) -> Result<()> {
        let row = self.project_for(p, id, Access::Edit).await?;
        refuse_final(&row)?;
        let mut errors = Vec::new();
        let due = match office::parse_date(due_on) {
            Ok(d) if !plausible(d, self.today()) => {
                errors.push(FieldError::new("due_on", format!("计划完成日期 {d} 不在 2000 年至今后 10 年之间")));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                errors.push(FieldError::new("due_on", format!("计划完成日期：{e}")));
                None
            }
        };
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 300 {
            errors.push(FieldError::new("reason", "调整节点时间须填写原因（不超过 300 字）"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut ms = sp::milestones_tx(&mut tx, id).await?;
        let i = ms.iter().position(|m| m.id == milestone_id).ok_or(AppError::NotFound)?;
        if ms[i].done_on.is_some() {
            errors.push(FieldError::new("due_on", format!("节点“{}”已完成，不能调整", ms[i].name)));
        }
        if let Some(d) = due {
            if let Some(prev) = i.checked_sub(1).map(|j| &ms[j]) {
                let base = prev.done_on.unwrap_or(prev.due_on);
                if d < base {
                    errors.push(FieldError::new(
                        "due_on",
                        format!(
                            "计划完成日期不能早于上一节点“{}”的{} {base}",
                            prev.name,
                            if prev.done_on.is_some() { "完成日期" } else { "计划完成日期" }
                        ),
                    ));
                }
            } else if d < row.planned_start {
                errors
                    .push(FieldError::new("due_on", format!("计划完成日期不能早于计划开工日期 {}", row.planned_start)));
            }
            if let Some(next) = ms[i + 1..].iter().find(|m| m.adjusted || m.done_on.is_some())
                && d > next.done_on.unwrap_or(next.due_on)
            {
                errors.push(FieldError::new("due_on", format!("计划完成日期不能晚于后续节点“{}”的日期", next.name)));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let due = due.expect("checked");
        if !sp::touch(&mut tx, id, version, now, p.by()).await? {
            drop(tx);
            return Err(self.project_stale(id).await);
        }
        let before = serde_json::json!({"milestone": milestone_id, "due_on": ms[i].due_on, "adjusted": ms[i].adjusted});
        let old_due = ms[i].due_on;
        ms[i].due_on = due;
        ms[i].adjusted = true;
        ms[i].adjust_reason = reason.to_string();
        let name = ms[i].name.clone();
        recompute_due(&mut ms, entered(&row), row.planned_start);
        for m in &ms {
            sp::save_milestone(&mut tx, m).await?;
        }
        let text = format!("节点“{name}”计划完成日期 {old_due} → {due}：{reason}");
        let ev = sp::NewEvent {
            project_id: id,
            kind: "milestone_adjusted",
            on_date: self.today(),
            from_stage: None,
            to_stage: None,
            text: &text,
        };
        sp::insert_event(&mut tx, &ev, now, p.by(), &p.display_name).await?;
        let after = serde_json::json!({"milestone": milestone_id, "due_on": due, "reason": reason});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "project.milestone_adjust", "project", id, Some(before), Some(after)),
        )
        .await?;
        store::feed::append(&mut tx, "project", &[id], "upsert", now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Submits a month's report: not a future month, not before the project's first month,
    /// not twice; the amount not negative and not above the total investment. Late when
    /// after the 5th of the following month.
    pub async fn submit_report(&self, p: &Principal, id: i64, r: &ReportInput) -> Result<i64> {
        let row = self.project_for(p, id, Access::Report).await?;
        let stage = stage_of(&row.stage);
        let today = self.today();
        let mut errors = Vec::new();
        if !stage.reports() {
            return Err(AppError::Conflict(format!("项目已{}，不再填报月报", stage.label())));
        }
        let month = Month::parse(&r.month);
        match month {
            None => errors.push(FieldError::new("month", format!("月份“{}”无效，应为 YYYY-MM", r.month.trim()))),
            Some(m) if m > Month::of(today) => {
                errors.push(FieldError::new("month", format!("不能填报未来月份（{}）", m.label())))
            }
            Some(m) if Month::parse(&row.first_month).is_some_and(|f| m < f) => errors.push(FieldError::new(
                "month",
                format!(
                    "该项目自 {} 起填报月报",
                    Month::parse(&row.first_month).map(|f| f.label()).unwrap_or_default()
                ),
            )),
            Some(_) => {}
        }
        let amount = match parse_wan(&r.amount_wan) {
            Ok(f) if f > row.total_fen.max(0) => {
                errors.push(FieldError::new(
                    "amount_wan",
                    format!(
                        "当月完成投资 {} 万元超过项目总投资 {} 万元，请检查单位（以万元计）",
                        r.amount_wan.trim(),
                        plain_wan(row.total_fen)
                    ),
                ));
                0
            }
            Ok(f) => f,
            Err(e) => {
                errors.push(FieldError::new("amount_wan", format!("当月完成投资：{e}")));
                0
            }
        };
        if r.progress.trim().is_empty() || r.progress.chars().count() > 2000 {
            errors.push(FieldError::new("progress", "形象进度不能为空，且不超过 2000 字"));
        }
        if r.problems.chars().count() > 2000 {
            errors.push(FieldError::new("problems", "存在问题不超过 2000 字"));
        }
        let raise = !r.raise_category.trim().is_empty();
        if raise && r.problems.trim().is_empty() {
            errors.push(FieldError::new("problems", "要转入企业问题台账，请填写存在问题"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let month = month.expect("checked");
        let late = today > month.deadline();
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let m = month.to_string();
        let new = sp::NewReport {
            project_id: id,
            month: &m,
            amount_fen: amount,
            progress: r.progress.trim(),
            problems: r.problems.trim(),
            late,
        };
        let rid = match sp::insert_report(&mut tx, &new, now, p.by(), &p.display_name).await {
            Ok(rid) => rid,
            Err(e) if e.is_unique_violation() => {
                return Err(AppError::Conflict(format!("{}的月报已填报，不能重复填报", month.label())));
            }
            Err(e) => return Err(e.into()),
        };
        let text = format!(
            "{}月报：完成投资 {} 万元{}",
            month.label(),
            domain::money::format_wan(amount),
            if late { "（逾期填报）" } else { "" }
        );
        let ev = sp::NewEvent {
            project_id: id,
            kind: "report",
            on_date: today,
            from_stage: None,
            to_stage: None,
            text: &text,
        };
        sp::insert_event(&mut tx, &ev, now, p.by(), &p.display_name).await?;
        let after = serde_json::json!({"month": m, "amount_fen": amount, "progress": new.progress, "problems": new.problems, "late": late});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "project.report", "project_report", rid, None, Some(after)),
        )
        .await?;
        store::feed::append(&mut tx, "project", &[id], "upsert", now).await?;
        if raise {
            self.raise_from_report(&mut tx, p, &row, &month, r).await?;
        }
        tx.commit().await?;
        Ok(rid)
    }

    /// Raises the problems met in a monthly report into the problem ledger (inside the
    /// report's transaction): for the owner enterprise when it is in the ledger, else by
    /// the investor's name and the project's county.
    async fn raise_from_report(
        &self,
        tx: &mut store::Tx,
        p: &Principal,
        row: &sp::ProjectRow,
        month: &Month,
        r: &ReportInput,
    ) -> Result<()> {
        let uscc = match row.enterprise_id {
            Some(e) => {
                // The owner's USCC only (the reporter may not read the enterprise itself).
                let all = domain::role::EnterpriseScope { read_all: true, ..Default::default() };
                store::enterprise::get(&self.db, &all, e).await?.map(|e| e.uscc).unwrap_or_default()
            }
            None => String::new(),
        };
        let title: String = format!("{}（{}月报）", row.name, month.label()).chars().take(100).collect();
        let input = crate::problem::ProblemInput {
            enterprise_uscc: uscc,
            enterprise_name: row.investor.clone(),
            region: row.region_code.clone(),
            chain: row.chain_code.clone(),
            category: r.raise_category.clone(),
            title,
            description: r.problems.trim().to_string(),
            contact: row.contact.clone(),
            source: domain::problem::Source::Project.code().into(),
            source_ref: format!("{} {}", row.code, month),
            ..Default::default()
        };
        let cal = self.work_calendar().await?;
        // Vouched: whoever may report on the project may raise its problems; the same
        // problem reported again next month is not raised twice.
        self.raise_in_tx(tx, p, &input, domain::problem::Source::Project, &cal, true).await?;
        Ok(())
    }

    /// A project's reports (the API's list).
    pub async fn project_reports(&self, p: &Principal, id: i64) -> Result<Vec<sp::ReportRow>> {
        self.project_for(p, id, Access::Read).await?;
        Ok(sp::reports(&self.db, id).await?)
    }

    /// Issues a supervision order 督办 on a project, with a response deadline not in the past.
    pub async fn supervise_project(
        &self,
        p: &Principal,
        id: i64,
        title: &str,
        content: &str,
        due_on: &str,
    ) -> Result<i64> {
        let row = self.project_for(p, id, Access::Read).await?;
        if !self.may_supervise(p, &row) {
            return Err(AppError::Forbidden("只有融圈强链办、该产业链的牵头部门或链长可以督办".into()));
        }
        refuse_final(&row)?;
        let mut errors = Vec::new();
        let (title, content) = (title.trim(), content.trim());
        if title.is_empty() || title.chars().count() > 100 {
            errors.push(FieldError::new("title", "督办事项不能为空，且不超过 100 字"));
        }
        if content.chars().count() > 2000 {
            errors.push(FieldError::new("content", "督办要求不超过 2000 字"));
        }
        let today = self.today();
        let due = match office::parse_date(due_on) {
            Ok(d) if d < today => {
                errors.push(FieldError::new("due_on", "回复期限不能早于今天"));
                None
            }
            Ok(d) if !plausible(d, today) => {
                errors.push(FieldError::new("due_on", format!("回复期限 {d} 不在今后 10 年之内")));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                errors.push(FieldError::new("due_on", format!("回复期限：{e}")));
                None
            }
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let due = due.expect("checked");
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let sid = sp::insert_supervision(&mut tx, id, title, content, due, now, p.by(), &p.display_name).await?;
        let text = format!("督办：{title}（{due} 前回复）");
        let ev = sp::NewEvent {
            project_id: id,
            kind: "supervision",
            on_date: today,
            from_stage: None,
            to_stage: None,
            text: &text,
        };
        sp::insert_event(&mut tx, &ev, now, p.by(), &p.display_name).await?;
        let after = serde_json::json!({"project": id, "title": title, "content": content, "due_on": due});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "project.supervise", "project_supervision", sid, None, Some(after)),
        )
        .await?;
        store::feed::append(&mut tx, "project", &[id], "upsert", now).await?;
        tx.commit().await?;
        Ok(sid)
    }

    /// Answers a supervision order (once), as someone who reports on the project.
    pub async fn respond_supervision(
        &self,
        p: &Principal,
        id: i64,
        sid: i64,
        version: i64,
        response: &str,
    ) -> Result<()> {
        self.project_for(p, id, Access::Report).await?;
        let response = response.trim();
        if response.is_empty() || response.chars().count() > 2000 {
            return Err(AppError::invalid("response", "回复内容不能为空，且不超过 2000 字"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let s = sp::supervision_tx(&mut tx, sid).await?.filter(|s| s.project_id == id).ok_or(AppError::NotFound)?;
        if s.responded_at.is_some() {
            return Err(AppError::Conflict("该督办事项已回复".into()));
        }
        if !sp::respond_supervision(&mut tx, sid, version, response, now, p.by(), &p.display_name).await? {
            return Err(AppError::Conflict("该督办事项已被他人修改，请刷新后重试".into()));
        }
        let late = self.today() > s.due_on;
        let text = format!("回复督办“{}”{}", s.title, if late { "（逾期回复）" } else { "" });
        let ev = sp::NewEvent {
            project_id: id,
            kind: "response",
            on_date: self.today(),
            from_stage: None,
            to_stage: None,
            text: &text,
        };
        sp::insert_event(&mut tx, &ev, now, p.by(), &p.display_name).await?;
        let after = serde_json::json!({"response": response, "late": late});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "project.respond", "project_supervision", sid, None, Some(after)),
        )
        .await?;
        store::feed::append(&mut tx, "project", &[id], "upsert", now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The caller's saved filters of the project list.
    pub async fn project_filters(&self, p: &Principal) -> Result<Vec<sp::SavedFilter>> {
        self.project_staff(p)?;
        Ok(sp::saved_filters(&self.db, p.account_id).await?)
    }

    /// Saves the list's current filter (a query string of known keys) under a name.
    pub async fn save_project_filter(&self, p: &Principal, name: &str, query: &str) -> Result<i64> {
        self.project_staff(p)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 30 {
            return Err(AppError::invalid("name", "筛选名称不能为空，且不超过 30 字"));
        }
        const KEYS: [&str; 9] = ["chain", "region", "stage", "kind", "unit", "tag", "code", "q", "sort"];
        let clean: Vec<String> = query
            .trim_start_matches('?')
            .split('&')
            .filter(|kv| kv.split_once('=').is_some_and(|(k, v)| KEYS.contains(&k) && !v.is_empty() && v.len() <= 200))
            .map(str::to_string)
            .collect();
        if clean.is_empty() {
            return Err(AppError::invalid("query", "当前没有任何筛选条件，无需保存"));
        }
        if sp::saved_filters(&self.db, p.account_id).await?.len() >= 20 {
            return Err(AppError::invalid("name", "每人最多保存 20 个筛选"));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = match sp::save_filter(&mut tx, p.account_id, name, &clean.join("&"), now).await {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => return Err(AppError::Conflict(format!("已有名为“{name}”的筛选"))),
            Err(e) => return Err(e.into()),
        };
        let after = serde_json::json!({"name": name, "query": clean.join("&")});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "project.filter_save", "project_filter", id, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn delete_project_filter(&self, p: &Principal, id: i64) -> Result<()> {
        self.project_staff(p)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !sp::delete_filter(&mut tx, p.account_id, id).await? {
            return Err(AppError::NotFound);
        }
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "project.filter_delete", "project_filter", id, None, None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// An amount in 万元 as typed, into fen; a problem is added to `errors` (and 0 returned).
fn money(errors: &mut Vec<FieldError>, field: &str, label: &str, v: &str, required: bool) -> i64 {
    if v.trim().is_empty() {
        if required {
            errors.push(FieldError::new(field, format!("{label}不能为空")));
        }
        return 0;
    }
    match parse_wan(v) {
        Ok(f) if f > MAX_TOTAL_FEN => {
            errors.push(FieldError::new(field, format!("{label}“{}”万元过大，请检查单位（以万元计）", v.trim())));
            0
        }
        Ok(f) => f,
        Err(e) => {
            errors.push(FieldError::new(field, format!("{label}：{e}")));
            0
        }
    }
}

/// Refuses changes to the plan of a project that is over (投产 or 终止).
fn refuse_final(row: &ProjectRow) -> Result<()> {
    let st = stage_of(&row.stage);
    if st.is_final() {
        Err(AppError::Conflict(format!("项目已{}，不能再调整节点或督办", st.label())))
    } else {
        Ok(())
    }
}

/// A date a plan may hold: from 2000 to ten years from `today`.
fn plausible(d: NaiveDate, today: NaiveDate) -> bool {
    (2000..=today.year() + 10).contains(&d.year())
}

/// A requirement met: its text (or the file's name) and the checked file.
type Proof<'a> = (&'static dp::Requirement, String, Option<(dp::FileType, &'a [u8])>);

/// A monthly report as typed.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ReportInput {
    /// `YYYY-MM`.
    pub month: String,
    /// Investment completed in the month, 万元.
    pub amount_wan: String,
    pub progress: String,
    #[serde(default)]
    pub problems: String,
    /// When set (a problem category code or label), the problems met are also raised into
    /// the enterprise-problem ledger 企业问题台账 for the project's owner, in the same
    /// transaction.
    #[serde(default)]
    pub raise_category: String,
}

/// The milestones of a new project from its kind's template: due dates from the planned
/// start; those up to the initial stage done on `today`.
pub(crate) fn template_rows(
    project_id: i64,
    kind: &str,
    start: NaiveDate,
    stage: Stage,
    today: NaiveDate,
) -> Vec<MilestoneRow> {
    let tpl = dp::milestone_template(kind);
    let reached = |s: Stage| stage != Stage::Terminated && s <= stage;
    let last_done = tpl.iter().rposition(|m| m.stage.is_some_and(reached));
    let mut rows: Vec<MilestoneRow> = tpl
        .iter()
        .enumerate()
        .map(|(i, m)| MilestoneRow {
            id: 0,
            project_id,
            seq: i as i64 + 1,
            code: m.code.to_string(),
            name: m.name.to_string(),
            stage: m.stage.map(|s| s.code().to_string()),
            days: i64::from(m.days),
            due_on: start,
            adjusted: false,
            adjust_reason: String::new(),
            done_on: last_done.filter(|l| i <= *l).map(|_| today),
        })
        .collect();
    recompute_due(&mut rows, today, start);
    rows
}

/// Recomputes the due dates of milestones not set by hand (see [`dp::plan_due_dates`]).
pub(crate) fn recompute_due(ms: &mut [MilestoneRow], entered: NaiveDate, start: NaiveDate) {
    let plans: Vec<dp::MilestonePlan> = ms
        .iter()
        .map(|m| dp::MilestonePlan {
            days: u32::try_from(m.days).unwrap_or(0),
            adjusted_due: m.adjusted.then_some(m.due_on),
            done_on: m.done_on,
            anchor: m.stage.as_deref() == Some(Stage::Started.code()),
        })
        .collect();
    for (m, d) in ms.iter_mut().zip(dp::plan_due_dates(entered, start, &plans)) {
        m.due_on = d;
    }
}

async fn replan(tx: &mut store::Tx, id: i64, entered: NaiveDate, start: NaiveDate) -> Result<()> {
    let mut ms = sp::milestones_tx(tx, id).await?;
    recompute_due(&mut ms, entered, start);
    for m in &ms {
        sp::save_milestone(tx, m).await?;
    }
    Ok(())
}

/// The day a project entered the library.
fn entered(r: &ProjectRow) -> NaiveDate {
    domain::clock::china_date(r.created_at)
}

/// The months that may be reported on `today`: from the first month to this one, not yet reported.
pub fn open_months(first_month: &str, reports: &[sp::ReportRow], today: NaiveDate) -> Vec<String> {
    let Some(first) = Month::parse(first_month) else { return Vec::new() };
    let mut out = Vec::new();
    let mut m = Month::of(today);
    while m >= first && out.len() < 36 {
        let s = m.to_string();
        if !reports.iter().any(|r| r.month == s) {
            out.push(s);
        }
        m = m.prev();
    }
    out
}

fn project_fields(r: &ProjectRow) -> serde_json::Value {
    serde_json::json!({
        "code": r.code, "name": r.name, "chain_id": r.chain_id, "segment_id": r.segment_id, "region_code": r.region_code,
        "enterprise_id": r.enterprise_id, "investor": r.investor, "kind": r.kind, "tag_effective": r.tag_effective,
        "tag_rooted": r.tag_rooted, "tag_tax": r.tag_tax, "total_fen": r.total_fen, "land_mu": r.land_mu,
        "land_mode": r.land_mode, "output_fen": r.output_fen, "tax_fen": r.tax_fen, "content": r.content,
        "unit_code": r.unit_code, "person": r.person, "person_account_id": r.person_account_id, "contact": r.contact,
        "planned_start": r.planned_start, "planned_end": r.planned_end,
    })
}

/// Checks an evidence file: size, and that its bytes are one of the requirement's types.
pub(crate) fn check_evidence_file(r: &dp::Requirement, name: &str, bytes: &[u8]) -> Result<dp::FileType, String> {
    if bytes.len() > dp::MAX_EVIDENCE_BYTES {
        return Err(format!(
            "{}“{}”大小 {:.1} MB，超过 {} MB 上限",
            r.label,
            clean_file_name(name),
            bytes.len() as f64 / 1_048_576.0,
            dp::MAX_EVIDENCE_BYTES / 1_048_576
        ));
    }
    let t = dp::FileType::sniff(bytes).filter(|t| *t != dp::FileType::Docx || is_docx(bytes));
    match t {
        Some(t) if r.types().contains(&t) => Ok(t),
        _ => Err(format!("{}“{}”不是可接受的文件类型（{}）", r.label, clean_file_name(name), r.types_label())),
    }
}

/// A zip holding `word/document.xml`, read within the zip-bomb limits.
pub(crate) fn is_docx(bytes: &[u8]) -> bool {
    office::zip_files(bytes, &office::Limits::default(), &["document.xml"])
        .is_ok_and(|m| m.contains_key("document.xml"))
}

/// A file name safe to keep and show: the last path part, no control characters, ≤ 100 chars.
pub(crate) fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let s: String = base.chars().filter(|c| !c.is_control() && *c != '"').take(100).collect();
    if s.trim().is_empty() { "附件".into() } else { s }
}

fn hex_sm3(data: &[u8]) -> String {
    use sm3::Digest;
    hex::encode(sm3::Sm3::digest(data))
}

async fn sqlx_row_meta(db: &store::Db, id: i64) -> Option<(Option<String>, chrono::DateTime<chrono::Utc>)> {
    let mut q = store::sql::Sql::new(
        "SELECT a.display_name, p.updated_at FROM project p LEFT JOIN account a ON a.id = p.updated_by WHERE p.id = ",
    );
    q.bind(id);
    q.fetch_optional::<(Option<String>, chrono::DateTime<chrono::Utc>)>(db).await.ok().flatten()
}
