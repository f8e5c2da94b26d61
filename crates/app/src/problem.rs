//! Enterprise problems 企业之家 (issue 7, SPEC E): raising (portal, staff after a visit, the
//! API, 12345 hotline imports), routing by region and category, the steps of the state
//! machine with who may take them, escalation county → lead department → chain chief by
//! hand and by the daily sweep, codes per problem and per unit, ratings, reopening,
//! chain-wide grouping, attachments and the working-day calendar.
//!
//! Rules live in `domain::problem` and `domain::workday`; scopes are applied by
//! `store::problem`; every write here is audited and appended to the change feed.

use crate::account::Principal;
use crate::error::FieldError;
use crate::project::clean_file_name;
use crate::{Actor, App, AppError, Result, audit_entry};
use chrono::{Datelike, Duration, NaiveDate};
use domain::problem::{
    self as dpr, Action, Actor as Who, Category, Level, Limits, ProblemError, Satisfaction, Source, Status,
};
use domain::project::{Code, FileType, MAX_EVIDENCE_BYTES};
use domain::role::Role;
use domain::workday::{Calendar, DayKind};
use serde::{Deserialize, Serialize};
use store::problem::{self as spr, ProblemRow, ProblemState};

/// A problem as typed in the portal, a staff form or an API call.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ProblemInput {
    /// The enterprise's USCC (an enterprise account may leave it empty: its own).
    pub enterprise_uscc: String,
    /// The enterprise's name when it is not in the ledger (hotline callers).
    pub enterprise_name: String,
    /// County or park code, when the enterprise is not in the ledger.
    pub region: String,
    /// Chain code, when the enterprise is on several chains or not in the ledger.
    pub chain: String,
    /// Category code or label (土地, 资金 …).
    pub category: String,
    pub subcategory: String,
    pub title: String,
    pub description: String,
    pub contact: String,
    /// portal, visit, hotline or api; set by the caller's role when empty.
    pub source: String,
    /// The hotline ticket number or the visit's code.
    pub source_ref: String,
}

impl From<ProblemError> for AppError {
    fn from(e: ProblemError) -> Self {
        AppError::Conflict(e.to_string())
    }
}

/// A problem with what the reader needs beside its row.
#[derive(Clone, Debug, Serialize)]
pub struct ProblemView {
    #[serde(flatten)]
    pub row: ProblemRow,
    pub status_label: &'static str,
    pub level_label: &'static str,
    pub category_label: &'static str,
    pub subcategory_label: &'static str,
    pub source_label: &'static str,
    /// Today's code (green when none) and its reason.
    pub color: Code,
    pub color_reason: Option<String>,
    /// The steps the reader may take now.
    pub actions: Vec<Action>,
}

/// A problem's page: the problem, its steps, files and group.
#[derive(Clone, Debug, Serialize)]
pub struct ProblemDetail {
    pub problem: ProblemView,
    pub events: Vec<spr::EventRow>,
    pub files: Vec<spr::FileRow>,
    pub group: Option<spr::GroupRow>,
    pub rules: Vec<&'static str>,
}

/// What the sweep did.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct SweepReport {
    pub escalated: usize,
    pub closed: usize,
}

/// Closure and satisfaction rates of one unit, region or chain, with its code.
#[derive(Clone, Debug, Serialize)]
pub struct RateView {
    #[serde(flatten)]
    pub row: spr::RateRow,
    pub closure_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
    pub red: usize,
    pub yellow: usize,
    pub color: Code,
}

/// One hotline import.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HotlineReport {
    pub rows: usize,
    pub added: Vec<String>,
    /// (row, ticket or title, why skipped as a duplicate).
    pub duplicates: Vec<(usize, String, String)>,
    /// (row, message): rows refused; nothing is stored when any row is refused.
    pub errors: Vec<(usize, String)>,
}

/// The codes of the units, level by level: which units' problems.
fn actor_label(w: Who) -> &'static str {
    match w {
        Who::Enterprise => "enterprise",
        Who::HandlingUnit => "handling_unit",
        Who::Office => "office",
        Who::System => "system",
    }
}

fn system_actor() -> Actor {
    Actor { id: None, name: "system".into(), ip: "local".into() }
}

/// The setting holding the office's time limits.
const LIMITS_SETTING: &str = "problem_limits";

/// Attachments a problem may carry when it is raised.
pub const MAX_FILES_AT_RAISE: usize = 5;

/// An attachment's clean name, sniffed type and SM3 hash, or why it is refused (PDF, JPG,
/// PNG or Word, at most 10 MB).
fn check_problem_file(name: &str, bytes: &[u8]) -> Result<(String, FileType, String)> {
    let name = clean_file_name(name);
    if bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(AppError::TooLarge(format!(
            "附件“{name}”大小 {:.1} MB，超过 {} MB 上限",
            bytes.len() as f64 / 1_048_576.0,
            MAX_EVIDENCE_BYTES / 1_048_576
        )));
    }
    let t = FileType::sniff(bytes)
        .filter(|t| *t != FileType::Docx || crate::project::is_docx(bytes))
        .ok_or_else(|| AppError::invalid("file", format!("附件“{name}”不是可接受的文件类型（PDF、JPG、PNG、Word）")))?;
    let sha = {
        use sm3::Digest;
        hex::encode(sm3::Sm3::digest(bytes))
    };
    Ok((name, t, sha))
}

/// Whether the principal may read problems at all (the portal and the work pages).
pub fn may_see_problems(p: &Principal) -> bool {
    p.enterprise_scope.reads_anything() || !p.enterprise_scope.units.is_empty()
}

impl App {
    /// The working-day calendar as the administrator keeps it.
    pub async fn work_calendar(&self) -> Result<Calendar> {
        let mut cal = Calendar::new();
        for d in spr::calendar(&self.db).await? {
            let kind = DayKind::parse(&d.kind).unwrap_or(DayKind::Holiday);
            cal.add(d.day, kind, &d.name).map_err(|e| AppError::Internal(e.to_string()))?;
        }
        Ok(cal)
    }

    /// Time limits per level in working days: as the office set them (setting
    /// `problem_limits`, JSON), else the defaults of `domain::problem::Limits`.
    pub async fn problem_limits(&self) -> Result<Limits> {
        Ok(store::account::setting(&self.db, LIMITS_SETTING)
            .await?
            .and_then(|v| serde_json::from_str::<Limits>(&v).ok())
            .filter(|l| l.validate().is_ok())
            .unwrap_or_default())
    }

    /// Sets the time limits (the office or the system administrator), each 1–60 working
    /// days; problems already running keep their deadlines.
    pub async fn set_problem_limits(&self, p: &Principal, county: &str, lead: &str, chief: &str) -> Result<Limits> {
        self.calendar_admin(p)?;
        let mut errors = Vec::new();
        let mut days = |field: &str, label: &str, v: &str| -> u32 {
            match v.trim().parse::<u32>() {
                Ok(d) if (1..=dpr::MAX_LIMIT_WORKDAYS).contains(&d) => d,
                _ => {
                    errors.push(FieldError::new(
                        field,
                        format!("{label}时限应为 1–{} 个工作日的整数，收到“{}”", dpr::MAX_LIMIT_WORKDAYS, v.trim()),
                    ));
                    0
                }
            }
        };
        let l = Limits {
            county: days("county", "县（市、区）办理", county),
            lead_department: days("lead_department", "牵头部门协调", lead),
            chief: days("chief", "链长协调", chief),
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let before = self.problem_limits().await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let json = serde_json::to_string(&l).map_err(|e| AppError::Internal(e.to_string()))?;
        store::account::set_setting(&mut tx, LIMITS_SETTING, &json).await?;
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(
                &p.actor(),
                "problem.limits",
                "setting",
                LIMITS_SETTING,
                serde_json::to_value(before).ok(),
                serde_json::to_value(l).ok(),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(l)
    }

    /// Adds or replaces a day of the calendar (system administrator or the office).
    pub async fn put_calendar_day(&self, p: &Principal, day: &str, kind: &str, name: &str) -> Result<()> {
        self.calendar_admin(p)?;
        let mut errors = Vec::new();
        let day = office::parse_date(day).map_err(|e| errors.push(FieldError::new("day", format!("日期：{e}")))).ok();
        let kind =
            DayKind::parse(kind).ok_or_else(|| errors.push(FieldError::new("kind", "类型应为“放假”或“调休上班”"))).ok();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 20 {
            errors.push(FieldError::new("name", "节日名称不能为空，且不超过 20 字"));
        }
        if let (Some(d), Some(k)) = (day, kind) {
            let weekend = d.weekday().number_from_monday() >= 6;
            if k == DayKind::Workday && !weekend {
                errors.push(FieldError::new("kind", format!("{d} 是工作日，不需要设为调休上班")));
            }
            if k == DayKind::Holiday && weekend {
                errors.push(FieldError::new("kind", format!("{d} 是周末，本来就不上班")));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let (day, kind) = (day.expect("checked"), kind.expect("checked"));
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let row = spr::DayRow { day, kind: kind.code().into(), name: name.into() };
        spr::put_day(&mut tx, &row, now, p.by()).await?;
        let after = serde_json::json!({"day": day, "kind": kind.code(), "name": name});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "calendar.put", "workday_adjustment", day, None, Some(after)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_calendar_day(&self, p: &Principal, day: &str) -> Result<()> {
        self.calendar_admin(p)?;
        let day = office::parse_date(day).map_err(|e| AppError::invalid("day", format!("日期：{e}")))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if spr::delete_day(&mut tx, day).await? == 0 {
            return Err(AppError::NotFound);
        }
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), "calendar.delete", "workday_adjustment", day, None, None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    fn calendar_admin(&self, p: &Principal) -> Result<()> {
        if p.has(Role::Sysadmin) || p.has(Role::Office) {
            Ok(())
        } else {
            Err(AppError::Forbidden("只有系统管理员或融圈强链办可以维护节假日安排".into()))
        }
    }

    /// Raises a problem: the enterprise in its portal, staff after a visit, or a system
    /// through the API. Routed to the county of the enterprise with the county's time limit.
    pub async fn raise_problem(&self, p: &Principal, input: &ProblemInput) -> Result<ProblemView> {
        self.raise_problem_with_files(p, input, vec![]).await
    }

    /// [`App::raise_problem`] with attachments (file name, bytes), stored in the same
    /// transaction: a refused file refuses the problem too.
    pub async fn raise_problem_with_files(
        &self,
        p: &Principal,
        input: &ProblemInput,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<ProblemView> {
        if !may_see_problems(p) || p.has(Role::Viewer) && p.grants.len() == 1 {
            return Err(AppError::Forbidden("当前账号不能提出企业问题".into()));
        }
        let source = match Source::parse(&input.source) {
            Some(s) => s,
            None if input.source.trim().is_empty() => {
                if p.has(Role::Enterprise) {
                    Source::Portal
                } else {
                    Source::Visit
                }
            }
            None => return Err(AppError::invalid("source", "来源应为 企业之家、走访调研、12345热线 或 系统接口")),
        };
        if source == Source::Project {
            return Err(AppError::invalid("source", "“项目月报”来源的问题只能在填报项目月报时转入"));
        }
        // A refused attachment refuses the whole submission.
        if files.len() > MAX_FILES_AT_RAISE {
            return Err(AppError::invalid("file", format!("提出问题时最多上传 {MAX_FILES_AT_RAISE} 个附件")));
        }
        let cal = self.work_calendar().await?;
        let mut tx = self.db.begin().await?;
        let id = self
            .raise_in_tx(&mut tx, p, input, source, &cal, false)
            .await?
            .ok_or_else(|| AppError::Internal("an unvouched raise skipped a duplicate".into()))?;
        // (a refused file drops `tx` uncommitted: nothing is written)
        let checked = files.iter().map(|(n, b)| check_problem_file(n, b)).collect::<Result<Vec<_>>>()?;
        self.store_files(&mut tx, p, id, checked, files).await?;
        tx.commit().await?;
        self.problem(p, id).await.map(|d| d.problem)
    }

    /// Checks and inserts one problem inside `tx`. A duplicate of one the same enterprise
    /// raised in the last 90 days is refused — or, `vouched`, skipped (`None`): the caller
    /// has already established the right to raise it (a project's reporter for the
    /// project's owner, month after month), so the rule that staff raise for enterprises of
    /// their own region is not applied either.
    pub(crate) async fn raise_in_tx(
        &self,
        tx: &mut store::Tx,
        p: &Principal,
        input: &ProblemInput,
        source: Source,
        cal: &Calendar,
        vouched: bool,
    ) -> Result<Option<i64>> {
        let mut errors = Vec::new();
        let category = Category::parse(&input.category);
        if category.is_none() {
            errors.push(FieldError::new(
                "category",
                format!("问题类别应为：{}", Category::ALL.iter().map(|c| c.label()).collect::<Vec<_>>().join("、")),
            ));
        }
        let sub = match category {
            Some(_) if input.subcategory.trim().is_empty() => String::new(),
            Some(c) => match c.subcategory(&input.subcategory) {
                Some(s) => s.to_string(),
                None => {
                    errors.push(FieldError::new(
                        "subcategory",
                        format!("“{}”不是{}问题的子类", input.subcategory.trim(), c.label()),
                    ));
                    String::new()
                }
            },
            None => String::new(),
        };
        if let Err(e) = dpr::check_content(&input.title, &input.description) {
            errors.push(FieldError::new("title", e.to_string()));
        }
        if input.contact.trim().chars().count() > 100 {
            errors.push(FieldError::new("contact", "联系方式不超过 100 字"));
        }
        // The enterprise: an enterprise account's own; staff name one in the ledger by USCC
        // or, for hotline callers, by name and county.
        let own = &p.enterprise_scope.own_usccs;
        let uscc = input.enterprise_uscc.trim().to_uppercase();
        let uscc = if uscc.is_empty() && own.len() == 1 && p.has(Role::Enterprise) { own[0].clone() } else { uscc };
        let mut enterprise = None;
        if !uscc.is_empty() {
            if let Err(e) = domain::uscc::Uscc::parse(&uscc) {
                errors.push(FieldError::new("enterprise_uscc", format!("统一社会信用代码有误：{e}")));
            } else {
                let found =
                    store::enterprise::by_usccs(&self.db, std::slice::from_ref(&uscc)).await?.into_iter().next();
                match found {
                    Some(e) => enterprise = Some(e),
                    None => errors.push(FieldError::new(
                        "enterprise_uscc",
                        format!("企业库中没有统一社会信用代码为 {uscc} 的企业"),
                    )),
                }
            }
        }
        if p.has(Role::Enterprise) && !p.enterprise_scope.read_all && p.enterprise_scope.regions.is_empty() {
            // An enterprise raises problems for itself only.
            if !own.contains(&uscc) {
                return Err(AppError::Forbidden("企业账号只能为本企业提出问题".into()));
            }
        }
        let regions = self.regions().await?;
        let (region, name) = match &enterprise {
            Some(e) => (e.park_code.clone().unwrap_or_else(|| e.region_code.clone()), e.name.clone()),
            None => {
                let name = input.enterprise_name.trim().to_string();
                if name.is_empty() && uscc.is_empty() {
                    errors.push(FieldError::new(
                        "enterprise_uscc",
                        "请填写企业的统一社会信用代码（企业库外的企业填写企业名称和所在县市区）",
                    ));
                }
                let r = input.region.trim();
                let code = regions.iter().find(|x| x.code == r || x.name == r).map(|x| x.code.clone());
                if code.is_none() && uscc.is_empty() {
                    errors.push(FieldError::new("region", format!("找不到县市区或园区“{r}”")));
                }
                (code.unwrap_or_default(), name)
            }
        };
        // The region's writers (and the office) raise for enterprises of their region only.
        if !vouched && !p.has(Role::Enterprise) && !p.enterprise_scope.read_all && !region.is_empty() {
            let parent = regions.iter().find(|r| r.code == region).and_then(|r| r.parent_code.clone());
            let mine = p.enterprise_scope.regions.iter().any(|r| *r == region || Some(r) == parent.as_ref());
            let lead = !p.enterprise_scope.lead_departments.is_empty() || !p.enterprise_scope.chains_read.is_empty();
            if !mine && !lead {
                return Err(AppError::Forbidden("只能为本县市区（园区）的企业登记问题".into()));
            }
        }
        // The chain: the one named, or the enterprise's only (first) chain.
        let chains = match &enterprise {
            Some(e) => store::enterprise::chains_of(&self.db, e.id).await?,
            None => Vec::new(),
        };
        let chain_code = match input.chain.trim() {
            "" => chains.first().map(|c| c.code.clone()),
            c => Some(c.to_string()),
        };
        let chain_id = match &chain_code {
            Some(c) => match store::chain::id_by_code(&self.db, c).await? {
                Some(id) => Some(id),
                None => {
                    errors.push(FieldError::new("chain", format!("没有编码为“{c}”的产业链")));
                    None
                }
            },
            None => None,
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let category = category.expect("checked");
        let today = self.today();
        let (title, description) = (input.title.trim(), input.description.trim());
        let key = dpr::dedup_key(&format!("{title}{description}"));
        {
            let since = today - Duration::days(dpr::CHAIN_WIDE_WINDOW_DAYS);
            let tokens = search::tokenize(&format!("{title} {description}"));
            for (_, code, t, d, k) in
                spr::recent_of(tx, enterprise.as_ref().map(|e| e.id), &name, category.code(), since).await?
            {
                let other = search::tokenize(&format!("{t} {d}"));
                if k == key || dpr::is_duplicate(&tokens, &other, true) {
                    if vouched {
                        return Ok(None);
                    }
                    return Err(AppError::Conflict(format!(
                        "该企业近 90 天已提出相同问题（{code}），请在原问题上补充或催办"
                    )));
                }
            }
        }
        let limits = self.problem_limits().await?;
        let year = today.year();
        let seq = spr::last_code_seq(tx, "problem", "WT", year).await? + 1;
        let new = spr::NewProblem {
            code: format!("WT-{year}-{seq:05}"),
            enterprise_id: enterprise.as_ref().map(|e| e.id),
            enterprise_name: name,
            chain_id,
            region_code: region.clone(),
            category: category.code().into(),
            subcategory: sub,
            title: title.into(),
            description: description.into(),
            contact: input.contact.trim().into(),
            source: source.code().into(),
            source_ref: input.source_ref.trim().chars().take(60).collect(),
            dedup_key: key,
            level: Level::County.code().into(),
            unit_code: region.clone(),
            co_unit_code: category.department().into(),
            raised_on: today,
            deadline: limits.deadline(cal, Level::County, today),
            raised_by: p.by(),
        };
        let now = self.now();
        let id = spr::insert(tx, &new, now).await?;
        let text = format!("{}提出，转{}办理，期限 {}", source.label(), region_name(&regions, &region), new.deadline);
        let ev = spr::NewEvent {
            problem_id: id,
            action: "raise",
            actor: if p.has(Role::Enterprise) { "enterprise" } else { "office" },
            account_id: p.by(),
            from_status: None,
            to_status: Status::Submitted.code(),
            from_level: None,
            to_level: Level::County.code(),
            unit_code: &region,
            text: &text,
            rating: None,
        };
        spr::insert_event(tx, &ev, now).await?;
        let after = serde_json::json!({"code": new.code, "enterprise": new.enterprise_name, "category": new.category,
            "title": new.title, "source": new.source, "unit": new.unit_code, "deadline": new.deadline});
        store::audit::append(tx, now, &audit_entry(&p.actor(), "problem.raise", "problem", id, None, Some(after)))
            .await?;
        store::feed::append(tx, "problem", &[id], "upsert", now).await?;
        if let Some(cid) = chain_id {
            self.group_in_tx(tx, cid, category, today).await?;
        }
        Ok(Some(id))
    }

    /// Regroups the chain's problems of one category of the last 90 days (chain-wide problems).
    async fn group_in_tx(&self, tx: &mut store::Tx, chain_id: i64, category: Category, today: NaiveDate) -> Result<()> {
        let since = today - Duration::days(dpr::CHAIN_WIDE_WINDOW_DAYS * 2);
        let cands = spr::group_candidates(tx, chain_id, category.code(), since).await?;
        let items: Vec<dpr::ProblemForGrouping> = cands
            .iter()
            .map(|c| dpr::ProblemForGrouping {
                chain_id,
                category,
                // Hotline callers outside the ledger count by name.
                enterprise_id: c.enterprise_id.unwrap_or_else(|| -(name_hash(&c.enterprise_name) as i64).abs() - 1),
                raised_on: c.raised_on,
                tokens: search::tokenize(&format!("{} {}", c.title, c.description)),
            })
            .collect();
        let now = self.now();
        for g in dpr::group_chain_wide(&items) {
            let members: Vec<&spr::GroupCandidate> = g.iter().map(|i| &cands[*i]).collect();
            let ents: std::collections::BTreeSet<i64> = g.iter().map(|i| items[*i].enterprise_id).collect();
            let first = members.iter().map(|m| m.raised_on).min().expect("non-empty");
            let last = members.iter().map(|m| m.raised_on).max().expect("non-empty");
            let gid = match members.iter().find_map(|m| m.group_id) {
                Some(gid) => {
                    spr::update_group(tx, gid, ents.len() as i64, first, last, now).await?;
                    gid
                }
                None => {
                    let title = format!("{}（{} 家企业反映）", members[0].title, ents.len());
                    spr::insert_group(tx, chain_id, category.code(), &title, ents.len() as i64, first, last, now)
                        .await?
                }
            };
            let ids: Vec<i64> = members.iter().filter(|m| m.group_id.is_none()).map(|m| m.id).collect();
            if !ids.is_empty() {
                spr::join_group(tx, gid, &ids, now).await?;
                store::feed::append(tx, "problem", &ids, "upsert", now).await?;
                let after = serde_json::json!({"group": gid, "problems": ids});
                store::audit::append(
                    tx,
                    now,
                    &audit_entry(&system_actor(), "problem.group", "problem_group", gid, None, Some(after)),
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Who `p` is to this problem, for `action`: the first of the action's actors it qualifies as.
    async fn actor_for(&self, p: &Principal, r: &ProblemRow, action: Action) -> Result<Who> {
        for who in action.actors() {
            let ok = match who {
                Who::Enterprise => r.enterprise_uscc.as_ref().is_some_and(|u| p.enterprise_scope.own_usccs.contains(u)),
                Who::HandlingUnit => self.handles(p, r).await?,
                Who::Office => p.has(Role::Office),
                Who::System => false,
            };
            if ok {
                return Ok(*who);
            }
        }
        Err(AppError::Forbidden(match action {
            Action::Confirm | Action::Withdraw => "只有提出问题的企业可以办理此操作".into(),
            Action::Reopen => "只有提出问题的企业或融圈强链办可以要求重新办理".into(),
            _ => format!("只有当前承办单位（{}）可以{}", r.unit_name, action.label()),
        }))
    }

    /// Whether `p` is the handling unit of the problem at its current level.
    async fn handles(&self, p: &Principal, r: &ProblemRow) -> Result<bool> {
        Ok(match Level::parse(&r.level) {
            Some(Level::County) => {
                let regions = self.regions().await?;
                let parent = regions.iter().find(|x| x.code == r.unit_code).and_then(|x| x.parent_code.clone());
                p.grants.iter().any(|g| {
                    g.role == Role::Region
                        && g.scope.as_ref().is_some_and(|s| *s == r.unit_code || Some(s) == parent.as_ref())
                })
            }
            Some(Level::LeadDepartment) => p.grants.iter().any(|g| {
                matches!(g.role, Role::LeadDept | Role::Unit) && g.scope.as_deref() == Some(r.unit_code.as_str())
            }),
            Some(Level::Chief) => {
                p.grants.iter().any(|g| g.role == Role::Chief && g.scope.as_deref() == Some(r.unit_code.as_str()))
            }
            None => false,
        })
    }

    async fn view(&self, p: &Principal, r: ProblemRow, cal: &Calendar, today: NaiveDate) -> Result<ProblemView> {
        let status = Status::parse(&r.status).unwrap_or(Status::Submitted);
        let level = Level::parse(&r.level).unwrap_or(Level::County);
        let (color, reason) = dpr::problem_code(cal, status, level, r.deadline, today);
        let mut actions = Vec::new();
        for a in status.allowed_actions() {
            if a.is_automatic() || (a == Action::Escalate && level.next().is_none()) {
                continue;
            }
            if self.actor_for(p, &r, a).await.is_ok() {
                actions.push(a);
            }
        }
        let category = Category::parse(&r.category).unwrap_or(Category::Other);
        Ok(ProblemView {
            status_label: status.label(),
            level_label: level.label(),
            category_label: category.label(),
            subcategory_label: category.subcategory_label(&r.subcategory),
            source_label: Source::parse(&r.source).map(Source::label).unwrap_or("—"),
            color,
            color_reason: reason.map(|r| r.text),
            actions,
            row: r,
        })
    }

    /// A problem with its steps, files and chain-wide group, if the reader's scope shows it.
    pub async fn problem(&self, p: &Principal, id: i64) -> Result<ProblemDetail> {
        let row = spr::get(&self.db, &p.enterprise_scope, id).await?.ok_or(AppError::NotFound)?;
        let cal = self.work_calendar().await?;
        let events = spr::events(&self.db, id).await?;
        let files = spr::files(&self.db, id).await?;
        let group = match (row.group_id, row.chain_id) {
            (Some(g), Some(c)) => spr::groups(&self.db, Some(&[c]), None).await?.into_iter().find(|x| x.id == g),
            _ => None,
        };
        let problem = self.view(p, row, &cal, self.today()).await?;
        Ok(ProblemDetail { problem, events, files, group, rules: dpr::PROBLEM_CODE_RULES.to_vec() })
    }

    /// One page of the problems the reader's scope shows, with today's codes; `code` keeps
    /// only those with that code.
    pub async fn problems(
        &self,
        p: &Principal,
        f: &spr::Filter,
        code: Option<Code>,
    ) -> Result<(Vec<ProblemView>, i64)> {
        if !may_see_problems(p) {
            return Err(AppError::Forbidden("当前账号不能查看企业问题".into()));
        }
        let cal = self.work_calendar().await?;
        let today = self.today();
        let mut f = f.clone();
        if let Some(want) = code {
            let open = spr::all(&self.db, &p.enterprise_scope, &spr::Filter { open_only: true, ..f.clone() }).await?;
            let ids: Vec<i64> = open
                .iter()
                .filter(|r| {
                    let st = Status::parse(&r.status).unwrap_or(Status::Submitted);
                    let lv = Level::parse(&r.level).unwrap_or(Level::County);
                    dpr::problem_code(&cal, st, lv, r.deadline, today).0 == want
                })
                .map(|r| r.id)
                .collect();
            if want == Code::Green {
                // Green: every problem but the coded open ones.
                let coded: Vec<i64> = open.iter().map(|r| r.id).filter(|id| !ids.contains(id)).collect();
                let all = spr::all(&self.db, &p.enterprise_scope, &f).await?;
                f.ids = Some(all.into_iter().map(|r| r.id).filter(|id| !coded.contains(id)).collect());
            } else {
                f.ids = Some(ids);
            }
        }
        let total = spr::count(&self.db, &p.enterprise_scope, &f).await?;
        let rows = spr::page(&self.db, &p.enterprise_scope, &f).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.view(p, r, &cal, today).await?);
        }
        Ok((out, total))
    }

    /// Every problem the reader sees matching `f`, with codes (exports, agendas).
    pub async fn problems_all(&self, p: &Principal, f: &spr::Filter) -> Result<Vec<ProblemView>> {
        if !may_see_problems(p) {
            return Err(AppError::Forbidden("当前账号不能查看企业问题".into()));
        }
        let cal = self.work_calendar().await?;
        let today = self.today();
        let mut out = Vec::new();
        for r in spr::all(&self.db, &p.enterprise_scope, f).await? {
            out.push(self.view(p, r, &cal, today).await?);
        }
        Ok(out)
    }

    /// Takes a step on a problem: accept, reject, answer, confirm (with a rating), reopen,
    /// withdraw or escalate (with a reason). `version` guards against a concurrent step.
    pub async fn problem_step(
        &self,
        p: &Principal,
        id: i64,
        version: i64,
        action: &str,
        text: &str,
        rating: Option<i64>,
    ) -> Result<ProblemView> {
        let action = Action::parse(action)
            .filter(|a| !a.is_automatic())
            .ok_or_else(|| AppError::invalid("action", format!("未知的操作“{}”", action.trim())))?;
        let row = spr::get(&self.db, &p.enterprise_scope, id).await?.ok_or(AppError::NotFound)?;
        let who = self.actor_for(p, &row, action).await?;
        let status = Status::parse(&row.status).unwrap_or(Status::Submitted);
        let level = Level::parse(&row.level).unwrap_or(Level::County);
        let text = dpr::check_text(action, text).map_err(|e| AppError::invalid("text", e))?;
        let cal = self.work_calendar().await?;
        let today = self.today();
        let mut s = ProblemState::of(&row);
        let mut to_level = level;
        let mut rating_given = None;
        match action {
            Action::Escalate => {
                to_level = dpr::check_manual_escalation(status, level, &text)?;
                let unit = self.unit_at(&row, to_level).await?;
                s.level = to_level.code().into();
                s.unit_code = unit;
                s.level_since = today;
                s.deadline = self.problem_limits().await?.deadline(&cal, to_level, today);
            }
            _ => {
                let next = dpr::can(status, action)?;
                s.status = next.code().into();
                match action {
                    Action::Answer => {
                        s.answer = text.clone();
                        s.answered_on = Some(today);
                    }
                    Action::Confirm => {
                        let r = rating.ok_or_else(|| AppError::invalid("rating", "请选择 1–5 分的满意度评分"))?;
                        Satisfaction::from_rating(r).map_err(|e| AppError::invalid("rating", e))?;
                        s.rating = Some(r);
                        s.rating_note = text.clone();
                        s.closed_on = Some(today);
                        rating_given = Some(r);
                    }
                    Action::Reopen => {
                        s.reopened += 1;
                        s.level_since = today;
                        s.deadline = self.problem_limits().await?.deadline(&cal, level, today);
                        s.closed_on = None;
                    }
                    Action::Reject | Action::Withdraw => s.closed_on = Some(today),
                    _ => {}
                }
            }
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !spr::set_state(&mut tx, id, version, &s, now).await? {
            return Err(AppError::Stale { by: None, at: row.updated_at });
        }
        let ev = spr::NewEvent {
            problem_id: id,
            action: action.code(),
            actor: actor_label(who),
            account_id: p.by(),
            from_status: Some(&row.status),
            to_status: &s.status,
            from_level: Some(&row.level),
            to_level: to_level.code(),
            unit_code: &s.unit_code,
            text: &text,
            rating: rating_given,
        };
        spr::insert_event(&mut tx, &ev, now).await?;
        let before =
            serde_json::json!({"status": row.status, "level": row.level, "unit": row.unit_code, "version": version});
        let after = serde_json::json!({"status": s.status, "level": s.level, "unit": s.unit_code, "deadline": s.deadline,
            "text": text, "rating": rating_given});
        store::audit::append(
            &mut tx,
            now,
            &audit_entry(&p.actor(), &format!("problem.{}", action.code()), "problem", id, Some(before), Some(after)),
        )
        .await?;
        store::feed::append(&mut tx, "problem", &[id], "upsert", now).await?;
        tx.commit().await?;
        self.problem(p, id).await.map(|d| d.problem)
    }

    /// The handling unit at `level`: the county or park at the first level, the chain's lead
    /// department (or the category's department when no chain) at the second, the chain's
    /// chiefs at the third.
    async fn unit_at(&self, r: &ProblemRow, level: Level) -> Result<String> {
        Ok(match level {
            Level::County => r.region_code.clone(),
            Level::LeadDepartment => match &r.chain_code {
                Some(c) => store::chain::heads(&self.db)
                    .await?
                    .into_iter()
                    .find(|(code, _, _)| code == c)
                    .map(|(_, _, lead)| lead)
                    .unwrap_or_else(|| r.co_unit_code.clone()),
                None => r.co_unit_code.clone(),
            },
            Level::Chief => match &r.chain_code {
                Some(c) => c.clone(),
                None => {
                    return Err(AppError::Conflict(
                        "问题未关联产业链，不能提交链长，请由融圈强链办协调或补充所属产业链".into(),
                    ));
                }
            },
        })
    }

    /// The daily sweep: escalates every open problem whose level's deadline passed (as
    /// many levels as have lapsed) and closes answers left unrated past the rating window.
    /// Each problem in its own transaction; one a person changed meanwhile is left for the
    /// next sweep.
    pub async fn sweep_problems(&self) -> Result<SweepReport> {
        let today = self.today();
        let cal = self.work_calendar().await?;
        let limits = self.problem_limits().await?;
        let mut report = SweepReport::default();
        for row in spr::sweep_candidates(&self.db, today).await? {
            let status = Status::parse(&row.status).unwrap_or(Status::Submitted);
            let level = Level::parse(&row.level).unwrap_or(Level::County);
            let mut s = ProblemState::of(&row);
            let mut steps: Vec<(Action, String, Level, String)> = Vec::new();
            if status == Status::Answered {
                if let Some(on) = row.answered_on
                    && dpr::auto_close_due(&cal, status, on, today)
                {
                    s.status = Status::Closed.code().into();
                    s.closed_on = Some(today);
                    let text = format!("答复后 {} 个工作日内企业未评价，系统自动办结", dpr::RATING_WINDOW_WORKDAYS);
                    steps.push((Action::AutoClose, text, level, s.unit_code.clone()));
                }
            } else {
                for esc in dpr::auto_escalations(&cal, &limits, status, level, row.level_since, today) {
                    let unit = match self.unit_at(&row, esc.to).await {
                        Ok(u) => u,
                        Err(_) => break,
                    };
                    let mut lapsed: Vec<&str> = s.lapsed_units.split(',').filter(|x| !x.is_empty()).collect();
                    if !lapsed.contains(&s.unit_code.as_str()) {
                        lapsed.push(&s.unit_code);
                    }
                    s.lapsed_units = lapsed.join(",");
                    s.level = esc.to.code().into();
                    s.unit_code = unit.clone();
                    s.level_since = esc.on;
                    s.deadline = esc.deadline;
                    steps.push((Action::Escalate, esc.reason(), esc.to, unit));
                }
            }
            if steps.is_empty() {
                continue;
            }
            let now = self.now();
            let mut tx = self.db.begin().await?;
            if !spr::set_state(&mut tx, row.id, row.version, &s, now).await? {
                continue;
            }
            let mut from_level = row.level.clone();
            for (action, text, to, unit) in &steps {
                let ev = spr::NewEvent {
                    problem_id: row.id,
                    action: action.code(),
                    actor: "system",
                    account_id: None,
                    from_status: Some(&row.status),
                    to_status: &s.status,
                    from_level: Some(&from_level),
                    to_level: to.code(),
                    unit_code: unit,
                    text,
                    rating: None,
                };
                spr::insert_event(&mut tx, &ev, now).await?;
                from_level = to.code().into();
                match action {
                    Action::AutoClose => report.closed += 1,
                    _ => report.escalated += 1,
                }
            }
            let before = serde_json::json!({"status": row.status, "level": row.level, "unit": row.unit_code});
            let after = serde_json::json!({"status": s.status, "level": s.level, "unit": s.unit_code, "deadline": s.deadline,
                "steps": steps.iter().map(|x| x.1.clone()).collect::<Vec<_>>()});
            store::audit::append(
                &mut tx,
                now,
                &audit_entry(&system_actor(), "problem.sweep", "problem", row.id, Some(before), Some(after)),
            )
            .await?;
            store::feed::append(&mut tx, "problem", &[row.id], "upsert", now).await?;
            tx.commit().await?;
        }
        Ok(report)
    }

    /// Attaches a file (PDF, JPG, PNG or Word, at most 10 MB) to a problem: the enterprise
    /// that raised it or its handling unit.
    pub async fn add_problem_file(&self, p: &Principal, id: i64, name: &str, bytes: Vec<u8>) -> Result<i64> {
        let ids = self.add_problem_files(p, id, vec![(name.to_string(), bytes)]).await?;
        ids.into_iter().next().ok_or_else(|| AppError::Internal("no file stored".into()))
    }

    /// Attaches several files in one transaction: one refused file refuses them all.
    pub async fn add_problem_files(&self, p: &Principal, id: i64, files: Vec<(String, Vec<u8>)>) -> Result<Vec<i64>> {
        let row = spr::get(&self.db, &p.enterprise_scope, id).await?.ok_or(AppError::NotFound)?;
        let mine = row.enterprise_uscc.as_ref().is_some_and(|u| p.enterprise_scope.own_usccs.contains(u));
        if !mine && !self.handles(p, &row).await? && !p.has(Role::Office) {
            return Err(AppError::Forbidden("只有提出问题的企业、当前承办单位或融圈强链办可以上传附件".into()));
        }
        if files.is_empty() || files.len() > MAX_FILES_AT_RAISE {
            return Err(AppError::invalid("file", format!("请选择 1–{MAX_FILES_AT_RAISE} 个附件")));
        }
        let checked = files.iter().map(|(n, b)| check_problem_file(n, b)).collect::<Result<Vec<_>>>()?;
        let mut tx = self.db.begin().await?;
        let ids = self.store_files(&mut tx, p, id, checked, files).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Stores checked attachments of problem `id` inside `tx`, each audited.
    async fn store_files(
        &self,
        tx: &mut store::Tx,
        p: &Principal,
        id: i64,
        checked: Vec<(String, FileType, String)>,
        files: Vec<(String, Vec<u8>)>,
    ) -> Result<Vec<i64>> {
        let now = self.now();
        let mut ids = Vec::with_capacity(files.len());
        for ((name, t, sha), (_, bytes)) in checked.into_iter().zip(files) {
            let size = bytes.len();
            let fid = spr::insert_file(tx, id, &name, t.content_type(), &sha, bytes, now, p.by()).await?;
            let after = serde_json::json!({"problem": id, "name": name, "type": t.code(), "size": size, "sm3": sha});
            store::audit::append(
                tx,
                now,
                &audit_entry(&p.actor(), "problem.file", "problem_file", fid, None, Some(after)),
            )
            .await?;
            ids.push(fid);
        }
        Ok(ids)
    }

    pub async fn problem_file(&self, p: &Principal, id: i64, file_id: i64) -> Result<(String, String, Vec<u8>)> {
        spr::get(&self.db, &p.enterprise_scope, id).await?.ok_or(AppError::NotFound)?;
        spr::file_content(&self.db, id, file_id).await?.ok_or(AppError::NotFound)
    }

    /// Closure and satisfaction rates with codes by `unit`, `region` or `chain`.
    pub async fn problem_rates(&self, p: &Principal, by: &str) -> Result<Vec<RateView>> {
        if !may_see_problems(p) || p.has(Role::Enterprise) && p.grants.len() == 1 {
            return Err(AppError::Forbidden("当前账号不能查看办理统计".into()));
        }
        let by = match by {
            "region" | "chain" => by,
            _ => "unit",
        };
        let cal = self.work_calendar().await?;
        let today = self.today();
        let all = spr::all(&self.db, &p.enterprise_scope, &spr::Filter::default()).await?;
        let key_of = |r: &ProblemRow| -> Vec<String> {
            match by {
                "region" => vec![r.region_code.clone()],
                "chain" => vec![r.chain_code.clone().unwrap_or_default()],
                _ => {
                    let mut v = vec![r.unit_code.clone()];
                    v.extend(r.lapsed_units.split(',').filter(|x| !x.is_empty()).map(str::to_string));
                    v
                }
            }
        };
        // Names of units that let problems lapse (no longer on the row).
        let mut names: std::collections::HashMap<String, String> = Default::default();
        for r in self.regions().await? {
            names.insert(r.code, r.name);
        }
        for d in self.departments().await? {
            names.insert(d.code, d.name);
        }
        let mut acc: std::collections::BTreeMap<String, (spr::RateRow, usize, usize)> = Default::default();
        for r in all.iter().filter(|r| r.status != Status::Withdrawn.code() && r.status != Status::Rejected.code()) {
            let st = Status::parse(&r.status).unwrap_or(Status::Submitted);
            let lv = Level::parse(&r.level).unwrap_or(Level::County);
            let (c, _) = dpr::problem_code(&cal, st, lv, r.deadline, today);
            for (i, k) in key_of(r).into_iter().enumerate() {
                let name = match by {
                    "region" => r.region_name.clone(),
                    "chain" => r.chain_name.clone().unwrap_or_else(|| "未关联产业链".into()),
                    _ if i == 0 => r.unit_name.clone(),
                    _ => names.get(&k).cloned().unwrap_or_else(|| k.clone()),
                };
                let e = acc.entry(k.clone()).or_insert_with(|| {
                    (spr::RateRow { key: k.clone(), name, total: 0, open: 0, closed: 0, rated: 0, satisfied: 0 }, 0, 0)
                });
                e.0.total += 1;
                // A unit that let a problem lapse keeps a red for it; the outcome counts for
                // the unit holding it now.
                let c = if i > 0 { Code::Red } else { c };
                match c {
                    Code::Red => e.1 += 1,
                    Code::Yellow => e.2 += 1,
                    Code::Green => {}
                }
                if i == 0 {
                    e.0.open += i64::from(st.is_open());
                    e.0.closed += i64::from(st == Status::Closed);
                    e.0.rated += i64::from(r.rating.is_some());
                    e.0.satisfied += i64::from(
                        r.rating.and_then(|x| Satisfaction::from_rating(x).ok()).is_some_and(Satisfaction::is_positive),
                    );
                }
            }
        }
        Ok(acc
            .into_values()
            .map(|(row, red, yellow)| RateView {
                closure_rate: dpr::closure_rate(row.closed, row.total),
                satisfaction_rate: domain::project::rate(row.satisfied, row.rated),
                red,
                yellow,
                color: dpr::unit_code(red, yellow, row.total as usize),
                row,
            })
            .collect())
    }

    /// Chain-wide problems of the chains the reader sees (the office all).
    pub async fn problem_groups(&self, p: &Principal, chain_id: Option<i64>) -> Result<Vec<spr::GroupRow>> {
        if !may_see_problems(p) || p.has(Role::Enterprise) && p.grants.len() == 1 {
            return Err(AppError::Forbidden("当前账号不能查看链级共性问题".into()));
        }
        let all = spr::groups(&self.db, chain_id.as_ref().map(std::slice::from_ref), None).await?;
        let s = &p.enterprise_scope;
        Ok(all
            .into_iter()
            .filter(|g| {
                s.read_all
                    || s.chains_read.contains(&g.chain_code)
                    || s.lead_departments.contains(&g.lead_department_code)
                    || !s.regions.is_empty()
            })
            .collect())
    }

    /// Imports a 12345 hotline export (xlsx): one problem per row, de-duplicated against
    /// the ticket numbers already imported and the same enterprise's problems of the last
    /// 90 days. Any refused row refuses the file; duplicates are skipped and listed.
    pub async fn import_hotline(&self, p: &Principal, name: &str, bytes: &[u8], commit: bool) -> Result<HotlineReport> {
        if !(p.has(Role::Office) || p.has(Role::Region)) {
            return Err(AppError::Forbidden("只有融圈强链办或县市区可以导入 12345 热线工单".into()));
        }
        let table = office::read_table(bytes, name, &office::Limits::default())
            .map_err(|e| AppError::invalid("file", format!("无法读取文件：{e}")))?;
        let col = |names: &[&str]| table.headers.iter().position(|h| names.iter().any(|n| h.trim() == *n));
        let c_ticket = col(&["工单编号", "工单号", "编号"]);
        let c_name = col(&["企业名称", "诉求人单位", "单位名称"]);
        let c_uscc = col(&["统一社会信用代码", "信用代码"]);
        let c_region = col(&["所属区县", "县市区", "区域", "所属地区"]);
        let c_title = col(&["诉求标题", "标题", "工单标题"]);
        let c_text = col(&["诉求内容", "内容", "工单内容"]);
        let c_contact = col(&["联系电话", "来电号码", "联系方式"]);
        let c_cat = col(&["问题类别", "诉求类别", "类别"]);
        let missing: Vec<&str> = [("工单编号", c_ticket), ("诉求内容", c_text)]
            .iter()
            .filter(|(_, c)| c.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() || (c_name.is_none() && c_uscc.is_none()) {
            let mut m = missing.join("、");
            if c_name.is_none() && c_uscc.is_none() {
                m = if m.is_empty() {
                    "企业名称或统一社会信用代码".into()
                } else {
                    format!("{m}、企业名称或统一社会信用代码")
                };
            }
            return Err(AppError::invalid("file", format!("表头缺少：{m}")));
        }
        let cal = self.work_calendar().await?;
        let mut report = HotlineReport { rows: table.rows.len(), ..Default::default() };
        let mut tx = self.db.begin().await?;
        let mut seen = std::collections::HashSet::new();
        for row in &table.rows {
            let line = row.line;
            let get =
                |c: Option<usize>| c.and_then(|c| row.cells.get(c)).map(|s| s.trim().to_string()).unwrap_or_default();
            let ticket = get(c_ticket);
            let text = get(c_text);
            if ticket.is_empty() {
                report.errors.push((line, "工单编号为空".into()));
                continue;
            }
            if !seen.insert(ticket.clone()) || spr::source_ref_exists(&mut tx, "hotline", &ticket).await? {
                report.duplicates.push((line, ticket, "工单编号已导入".into()));
                continue;
            }
            let title = match get(c_title) {
                t if t.is_empty() => text.chars().take(30).collect(),
                t => t,
            };
            let cat = get(c_cat);
            let category =
                Category::parse(&cat).unwrap_or_else(|| Category::from_hotline(&format!("{cat} {title} {text}")));
            let input = ProblemInput {
                enterprise_uscc: get(c_uscc),
                enterprise_name: get(c_name),
                region: get(c_region),
                category: category.code().into(),
                title,
                description: text,
                contact: get(c_contact),
                source: Source::Hotline.code().into(),
                source_ref: ticket.clone(),
                ..Default::default()
            };
            match self.raise_in_tx(&mut tx, p, &input, Source::Hotline, &cal, false).await {
                Ok(Some(id)) => report.added.push(format!("{ticket}→{id}")),
                Ok(None) => report.duplicates.push((line, ticket, "重复问题".into())),
                Err(AppError::Conflict(m)) => report.duplicates.push((line, ticket, m)),
                Err(e) => report.errors.push((line, e.user_message())),
            }
        }
        if commit && report.errors.is_empty() {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(report)
    }
}

fn region_name(regions: &[store::reference::RegionRow], code: &str) -> String {
    regions.iter().find(|r| r.code == code).map(|r| r.name.clone()).unwrap_or_else(|| code.to_string())
}

/// A stable small hash of a name (FNV-1a), for callers outside the ledger.
fn name_hash(s: &str) -> u32 {
    s.bytes().fold(0x811c9dc5u32, |h, b| (h ^ b as u32).wrapping_mul(0x01000193))
}
