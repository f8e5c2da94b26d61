//! Codes 赋码, scheduling reports 调度, dashboards and to-do lists of key projects.
//!
//! Codes are never stored: they follow from the facts as of a day (milestones done by then,
//! reports submitted by then, supervision answered by then) under [`dp::CODE_RULES`], so a
//! past month's schedule shows the codes of that month and today's list today's.

use crate::account::Principal;
use crate::project::stage_of;
use crate::{App, AppError, Result};
use chrono::NaiveDate;
use domain::clock::china_day_end;
use domain::project::{self as dp, Code, CodeReason, Month, Stage};
use serde::Serialize;
use std::collections::HashMap;
use store::project::{self as sp, Facts, FactsQuery};

/// Months back from the latest overdue month in which missing reports are coded.
pub const CODE_WINDOW_MONTHS: u32 = 12;

/// A project's code with its reasons.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Coded {
    pub code: Code,
    pub reasons: Vec<CodeReason>,
    pub missing: Vec<String>,
}

/// Which projects a computation covers.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub chain_id: Option<i64>,
    pub region: Option<String>,
    pub ids: Option<Vec<i64>>,
}

fn window(day: NaiveDate) -> (Month, Month) {
    let last = Month::last_overdue(day);
    let mut first = last;
    for _ in 1..CODE_WINDOW_MONTHS {
        first = first.prev();
    }
    (first, last)
}

/// Whether the project still had to report and could be coded on `day`.
fn active_on(f: &Facts, day: NaiveDate) -> bool {
    let s = stage_of(&f.stage);
    !(s.is_final() && f.stage_on <= day)
}

impl App {
    /// Facts and codes of the selected projects in `p`'s scope: sums for `period`, codes as
    /// of the end of `day`.
    pub(crate) async fn coded_facts(
        &self,
        scope: &domain::role::EnterpriseScope,
        account: i64,
        sel: &Selection,
        period: Month,
        day: NaiveDate,
    ) -> Result<(Vec<Facts>, HashMap<i64, Coded>)> {
        let (w0, w1) = window(day);
        let as_of = china_day_end(day);
        let q = FactsQuery {
            chain_id: sel.chain_id,
            region: sel.region.clone(),
            ids: sel.ids.clone(),
            year: i64::from(period.year),
            month: period.month,
        };
        let facts = sp::facts(&self.db, scope, account, &q).await?;
        let ids = sel.ids.as_deref();
        let mut inputs: HashMap<i64, dp::CodeInputs> = HashMap::new();
        let past = day < self.today();
        for (pid, name, due) in sp::overdue_milestones(&self.db, scope, account, day, ids, past).await? {
            inputs.entry(pid).or_default().open_milestones.push((name, due));
        }
        for (pid, title, due) in sp::overdue_supervisions(&self.db, scope, account, day, as_of, ids).await? {
            inputs.entry(pid).or_default().unanswered_supervisions.push((title, due));
        }
        // Missing reports: months of the window from the project's first month not marked
        // reported, or reported only after the day.
        let later: std::collections::HashSet<(i64, Month)> = if as_of <= self.now() {
            sp::reports_after(&self.db, as_of, &w0.to_string(), &w1.to_string())
                .await?
                .into_iter()
                .filter_map(|(id, m)| Some((id, Month::parse(&m)?)))
                .collect()
        } else {
            Default::default()
        };
        for f in &facts {
            if !active_on(f, day) {
                continue;
            }
            let Some(first) = Month::parse(&f.first_month) else { continue };
            let flags = f.reported.as_bytes();
            let mut m = first.max(w0);
            while m <= w1 {
                let i = usize::try_from(first.count_to(m) - 1).unwrap_or(usize::MAX);
                let done = flags.get(i) == Some(&b'1') && (later.is_empty() || !later.contains(&(f.id, m)));
                if !done {
                    inputs.entry(f.id).or_default().missing_reports.push(m);
                }
                m = m.next();
            }
        }
        let mut codes = HashMap::with_capacity(facts.len());
        for f in &facts {
            let Some(i) = inputs.get(&f.id) else { continue };
            if !active_on(f, day) {
                continue;
            }
            let (code, reasons) = dp::project_code(Stage::Planning, i, day);
            if code != Code::Green {
                let missing = i.missing_reports.iter().map(ToString::to_string).collect();
                codes.insert(f.id, Coded { code, reasons, missing });
            }
        }
        Ok((facts, codes))
    }

    /// One project's code today.
    pub(crate) async fn project_code_now(&self, p: &Principal, id: i64) -> Result<(Code, Vec<CodeReason>)> {
        let today = self.today();
        let sel = Selection { ids: Some(vec![id]), ..Default::default() };
        let (_, codes) = self.coded_facts(&p.enterprise_scope, p.account_id, &sel, Month::of(today), today).await?;
        Ok(codes.get(&id).map(|c| (c.code, c.reasons.clone())).unwrap_or((Code::Green, Vec::new())))
    }

    /// The project list: one page with each row's code today; `code` keeps only projects
    /// with that code (computed over the caller's whole scope).
    pub async fn projects(
        &self,
        p: &Principal,
        filter: &sp::Filter,
        code: Option<Code>,
    ) -> Result<(Vec<ListedProject>, i64)> {
        self.project_staff(p)?;
        let today = self.today();
        let mut f = filter.clone();
        if let Some(want) = code {
            self.apply_code_filter(p, &mut f, want).await?;
        }
        // The total is reused while no project changed (the change feed's head, read first),
        // as for the enterprise list: counting on every page view is what costs.
        let head = store::feed::head(&self.db).await?;
        let key = format!(
            "project|{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}",
            p.enterprise_scope,
            p.account_id,
            f.chain_id,
            f.region,
            f.stage,
            f.kind,
            f.unit,
            f.tag,
            f.q,
            f.ids,
            f.exclude_ids,
            f.active_only
        );
        let total = match self.counts.get(&key, head) {
            Some(n) => n,
            None => {
                let n = sp::count(&self.db, &p.enterprise_scope, p.account_id, &f).await?;
                self.counts.put(key, head, n);
                n
            }
        };
        let rows = sp::page(&self.db, &p.enterprise_scope, p.account_id, &f).await?;
        let sel = Selection { ids: Some(rows.iter().map(|r| r.id).collect()), ..Default::default() };
        let (_, codes) = self.coded_facts(&p.enterprise_scope, p.account_id, &sel, Month::of(today), today).await?;
        let items = rows
            .into_iter()
            .map(|r| {
                let c = codes.get(&r.id);
                ListedProject {
                    code: c.map(|c| c.code).unwrap_or(Code::Green),
                    reasons: c.map(|c| c.reasons.iter().map(|r| r.text.clone()).collect()).unwrap_or_default(),
                    project: r,
                }
            })
            .collect();
        Ok((items, total))
    }

    /// Narrows a list filter to the projects with code `want` today (computed over the
    /// caller's scope, the filter's chain and region).
    pub async fn apply_code_filter(&self, p: &Principal, f: &mut sp::Filter, want: Code) -> Result<()> {
        let today = self.today();
        let sel = Selection { chain_id: f.chain_id, region: f.region.clone(), ids: None };
        let (_, codes) = self.coded_facts(&p.enterprise_scope, p.account_id, &sel, Month::of(today), today).await?;
        if want == Code::Green {
            // Green: projects under way without a code (the coded ones are the fewer).
            f.exclude_ids = codes.keys().copied().collect();
            f.active_only = true;
        } else {
            f.ids = Some(codes.iter().filter(|(_, c)| c.code == want).map(|(id, _)| *id).collect());
        }
        Ok(())
    }

    /// The monthly scheduling report 调度 of `period` for the city, a chain or a region, as
    /// the caller's scope shows it: plan against completed investment, the stage funnel,
    /// projects started in the month, lagging projects with their reasons, codes per project
    /// and per responsible unit, and the same by chain and by region.
    pub async fn schedule(
        &self,
        p: &Principal,
        period: &str,
        chain: Option<&str>,
        region: Option<&str>,
    ) -> Result<Schedule> {
        self.project_staff(p)?;
        // Reused while no project changed (the feed's head, read first: a race leaves the
        // stored report at least as new as its tag) and on the same day.
        let head = store::feed::head(&self.db).await?;
        let key = format!("{:?}|{}|{period}|{chain:?}|{region:?}|{}", p.enterprise_scope, p.account_id, self.today());
        if let Some(s) = self.schedules.lock().unwrap_or_else(|e| e.into_inner()).get(&key, head) {
            return Ok(s);
        }
        let s = self.compute_schedule(p, period, chain, region).await?;
        self.schedules.lock().unwrap_or_else(|e| e.into_inner()).put(key, head, s.clone());
        Ok(s)
    }

    async fn compute_schedule(
        &self,
        p: &Principal,
        period: &str,
        chain: Option<&str>,
        region: Option<&str>,
    ) -> Result<Schedule> {
        let today = self.today();
        let period = if period.trim().is_empty() {
            Month::of(today)
        } else {
            Month::parse(period)
                .ok_or_else(|| AppError::invalid("period", format!("调度月份“{}”无效，应为 YYYY-MM", period.trim())))?
        };
        if period > Month::of(today) {
            return Err(AppError::invalid("period", format!("{}尚未到来，不能调度", period.label())));
        }
        let chains = self.chains().await?;
        let chain_row = match chain.map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(k) => Some(
                chains
                    .iter()
                    .find(|c| c.code == k || c.id.to_string() == k)
                    .ok_or_else(|| AppError::invalid("chain", format!("产业链“{k}”不存在")))?
                    .clone(),
            ),
        };
        let regions = self.regions().await?;
        let region_row = match region.map(str::trim).filter(|r| !r.is_empty()) {
            None => None,
            Some(k) => Some(
                regions
                    .iter()
                    .find(|r| r.code == k)
                    .ok_or_else(|| AppError::invalid("region", format!("区域“{k}”不存在")))?
                    .clone(),
            ),
        };
        // Codes as of the scheduling day: the 5th of the following month, or today.
        let day = period.deadline().min(today);
        let sel = Selection {
            chain_id: chain_row.as_ref().map(|c| c.id),
            region: region_row.as_ref().map(|r| r.code.clone()),
            ids: None,
        };
        let (facts, codes) = self.coded_facts(&p.enterprise_scope, p.account_id, &sel, period, day).await?;
        let started_ids = sp::entered_stage(
            &self.db,
            &p.enterprise_scope,
            p.account_id,
            Stage::Started.code(),
            period.first_day(),
            period.last_day(),
        )
        .await?;
        let names = Names {
            chains: chains.iter().map(|c| (c.id, c.name.clone())).collect(),
            regions: regions.iter().map(|r| (r.code.clone(), r.name.clone())).collect(),
            units: self
                .departments()
                .await?
                .into_iter()
                .map(|d| (d.code, d.name))
                .chain(regions.iter().map(|r| (r.code.clone(), r.name.clone())))
                .collect(),
        };
        let elapsed = f64::from(period.month) / 12.0 * 100.0;
        let mut s = Schedule {
            period: period.to_string(),
            period_label: period.label(),
            as_of: day,
            chain: chain_row.as_ref().map(|c| (c.code.clone(), c.name.clone())),
            region: region_row.as_ref().map(|r| (r.code.clone(), r.name.clone())),
            time_rate: (elapsed * 10.0).round() / 10.0,
            rules: dp::CODE_RULES.iter().map(|r| r.to_string()).collect(),
            funnel: Stage::ALL
                .iter()
                .map(|s| FunnelRow { stage: s.code(), label: s.label(), count: 0, total_fen: 0 })
                .collect(),
            ..Default::default()
        };
        let started: std::collections::HashSet<i64> = started_ids.into_iter().collect();
        let mut by_chain: HashMap<i64, GroupRow> = HashMap::new();
        let mut by_region: HashMap<String, GroupRow> = HashMap::new();
        let mut by_unit: HashMap<String, GroupRow> = HashMap::new();
        for f in &facts {
            if Month::parse(&f.first_month).is_some_and(|m| m > period) {
                continue; // entered the library after the period
            }
            let stage = stage_of(&f.stage);
            if let Some(row) = s.funnel.iter_mut().find(|r| r.stage == stage.code()) {
                row.count += 1;
                row.total_fen = row.total_fen.saturating_add(f.total_fen);
            }
            let coded = codes.get(&f.id);
            let code = coded.map(|c| c.code).unwrap_or(Code::Green);
            let active = active_on(f, day);
            let is_started = started.contains(&f.id);
            let mut reasons: Vec<String> =
                coded.map(|c| c.reasons.iter().map(|r| r.text.clone()).collect()).unwrap_or_default();
            let rate = dp::rate(f.ytd_fen, f.plan_fen);
            if active
                && let Some(r) = rate
                && r + 20.0 < elapsed
            {
                reasons.push(format!(
                    "1–{}月完成年度计划投资的 {r}%，低于序时进度 {:.1}% 超过 20 个百分点",
                    period.month, elapsed
                ));
            }
            let lagging = !reasons.is_empty() && active;
            let item = (is_started || lagging).then(|| ScheduleItem {
                id: f.id,
                code: f.code.clone(),
                name: f.name.clone(),
                chain: names.chain(f.chain_id),
                region: names.region(&f.region_code),
                unit: names.unit(&f.unit_code),
                stage: stage.label(),
                plan_fen: f.plan_fen,
                ytd_fen: f.ytd_fen,
                month_fen: f.month_fen,
                rate,
                color: code,
                reasons,
            });
            s.projects += 1;
            s.total_fen = s.total_fen.saturating_add(f.total_fen);
            s.plan_fen = s.plan_fen.saturating_add(f.plan_fen);
            s.ytd_fen = s.ytd_fen.saturating_add(f.ytd_fen);
            s.month_fen = s.month_fen.saturating_add(f.month_fen);
            if active {
                s.active += 1;
                match code {
                    Code::Red => s.red += 1,
                    Code::Yellow => s.yellow += 1,
                    Code::Green => s.green += 1,
                }
            }
            for g in [
                by_chain
                    .entry(f.chain_id)
                    .or_insert_with(|| GroupRow::named(f.chain_id.to_string(), names.chain(f.chain_id))),
                by_region
                    .entry(f.region_code.clone())
                    .or_insert_with(|| GroupRow::named(f.region_code.clone(), names.region(&f.region_code))),
                by_unit
                    .entry(f.unit_code.clone())
                    .or_insert_with(|| GroupRow::named(f.unit_code.clone(), names.unit(&f.unit_code))),
            ] {
                g.add(f, code, active, is_started);
            }
            if let Some(item) = item {
                if is_started {
                    s.started.push(item.clone());
                }
                if lagging {
                    s.lagging.push(item);
                }
            }
        }
        s.rate = dp::rate(s.ytd_fen, s.plan_fen);
        s.lagging.sort_by(|a, b| {
            b.color.cmp(&a.color).then(a.rate.unwrap_or(0.0).total_cmp(&b.rate.unwrap_or(0.0))).then(a.id.cmp(&b.id))
        });
        s.started.sort_by_key(|i| i.id);
        s.started_total = s.started.len();
        s.lagging_total = s.lagging.len();
        s.by_chain = finish(by_chain.into_values().collect());
        s.by_region = finish(by_region.into_values().collect());
        s.by_unit = finish(by_unit.into_values().collect());
        for u in &mut s.by_unit {
            u.color = Some(dp::unit_code(u.red, u.yellow, u.active));
        }
        s.by_unit.sort_by(|a, b| b.color.cmp(&a.color).then(b.red.cmp(&a.red)).then(a.key.cmp(&b.key)));
        s.units_red = s.by_unit.iter().filter(|u| u.color == Some(Code::Red)).count();
        s.units_yellow = s.by_unit.iter().filter(|u| u.color == Some(Code::Yellow)).count();
        Ok(s)
    }

    /// The caller's to-do list: reports due or overdue and supervision to answer on the
    /// projects assigned to them (as responsible person, unit or region), milestones due
    /// within 15 days or overdue.
    pub async fn project_todo(&self, p: &Principal) -> Result<Vec<TodoItem>> {
        self.project_staff(p)?;
        let today = self.today();
        let s = &p.enterprise_scope;
        let mine = domain::role::EnterpriseScope {
            regions: s.regions.clone(),
            units: s.units.iter().chain(&s.lead_departments).cloned().collect(),
            ..Default::default()
        };
        let (facts, codes) =
            self.coded_facts(&mine, p.account_id, &Selection::default(), Month::of(today), today).await?;
        let mut out = Vec::new();
        let last = Month::of(today).prev();
        let reported_last = |f: &Facts| {
            Month::parse(&f.first_month)
                .and_then(|first| usize::try_from(first.count_to(last) - 1).ok())
                .is_some_and(|i| f.reported.as_bytes().get(i) == Some(&b'1'))
        };
        for f in facts.iter().filter(|f| active_on(f, today)) {
            if let Some(c) = codes.get(&f.id).filter(|c| !c.missing.is_empty()) {
                let months: Vec<String> = c.missing.iter().filter_map(|m| Month::parse(m)).map(|m| m.label()).collect();
                out.push(TodoItem {
                    project_id: f.id,
                    project: f.name.clone(),
                    kind: "report_overdue",
                    text: format!("补报月报：{}", months.join("、")),
                    due: Month::parse(&c.missing[0]).map(|m| m.deadline()).unwrap_or(today),
                    overdue: true,
                    item_id: None,
                });
            }
            let deadline = last.deadline();
            if !reported_last(f)
                && Month::parse(&f.first_month).is_some_and(|m| m <= last)
                && today <= deadline
                && (deadline - today).num_days() <= dp::REMIND_DAYS
            {
                out.push(TodoItem {
                    project_id: f.id,
                    project: f.name.clone(),
                    kind: "report_due",
                    text: format!("填报{}月报（{} 前）", last.label(), deadline),
                    due: deadline,
                    overdue: false,
                    item_id: None,
                });
            }
        }
        // Projects under way only: a completed or terminated project asks nothing more.
        let names: HashMap<i64, String> =
            facts.iter().filter(|f| active_on(f, today)).map(|f| (f.id, f.name.clone())).collect();
        for v in sp::open_supervisions(&self.db, &mine, p.account_id)
            .await?
            .into_iter()
            .filter(|v| names.contains_key(&v.project_id))
        {
            out.push(TodoItem {
                project_id: v.project_id,
                project: names.get(&v.project_id).cloned().unwrap_or_default(),
                kind: "supervision",
                text: format!("回复督办：{}（{}督办）", v.title, v.issuer),
                due: v.due_on,
                overdue: v.due_on < today,
                item_id: Some(v.id),
            });
        }
        let soon = today + chrono::Duration::days(15);
        for (pid, name, due) in sp::overdue_milestones(&self.db, &mine, p.account_id, soon, None, false).await? {
            if !names.contains_key(&pid) {
                continue;
            }
            out.push(TodoItem {
                project_id: pid,
                project: names[&pid].clone(),
                kind: if due < today { "milestone_overdue" } else { "milestone_due" },
                text: format!("节点“{name}”{}", if due < today { "已逾期" } else { "即将到期" }),
                due,
                overdue: due < today,
                item_id: None,
            });
        }
        out.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.due.cmp(&b.due)).then(a.project_id.cmp(&b.project_id)));
        Ok(out)
    }
}

/// Computed scheduling reports with the feed head they were computed at (a few dozen kept).
#[derive(Default)]
pub(crate) struct ScheduleCache {
    map: HashMap<String, (i64, Schedule)>,
}

impl ScheduleCache {
    fn get(&self, key: &str, head: i64) -> Option<Schedule> {
        self.map.get(key).filter(|(h, _)| *h == head).map(|(_, s)| s.clone())
    }
    fn put(&mut self, key: String, head: i64, s: Schedule) {
        if self.map.len() >= 64 {
            self.map.clear();
        }
        self.map.insert(key, (head, s));
    }
}

struct Names {
    chains: HashMap<i64, String>,
    regions: HashMap<String, String>,
    units: HashMap<String, String>,
}

impl Names {
    fn chain(&self, id: i64) -> String {
        self.chains.get(&id).cloned().unwrap_or_default()
    }
    fn region(&self, c: &str) -> String {
        self.regions.get(c).cloned().unwrap_or_else(|| c.to_string())
    }
    fn unit(&self, c: &str) -> String {
        self.units.get(c).cloned().unwrap_or_else(|| c.to_string())
    }
}

fn finish(mut v: Vec<GroupRow>) -> Vec<GroupRow> {
    for g in &mut v {
        g.rate = dp::rate(g.ytd_fen, g.plan_fen);
    }
    v.sort_by(|a, b| b.plan_fen.cmp(&a.plan_fen).then(a.key.cmp(&b.key)));
    v
}

/// A row of the project list.
#[derive(Clone, Debug, Serialize)]
pub struct ListedProject {
    #[serde(flatten)]
    pub project: sp::ProjectRow,
    /// The code today: green, yellow, red.
    #[serde(rename = "color")]
    pub code: Code,
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct FunnelRow {
    pub stage: &'static str,
    pub label: &'static str,
    pub count: usize,
    pub total_fen: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScheduleItem {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub chain: String,
    pub region: String,
    pub unit: String,
    pub stage: &'static str,
    pub plan_fen: i64,
    pub ytd_fen: i64,
    pub month_fen: i64,
    pub rate: Option<f64>,
    pub color: Code,
    pub reasons: Vec<String>,
}

/// Totals of a chain, a region or a responsible unit.
#[derive(Clone, Debug, Default, Serialize)]
pub struct GroupRow {
    pub key: String,
    pub name: String,
    pub projects: usize,
    pub active: usize,
    pub started: usize,
    pub total_fen: i64,
    pub plan_fen: i64,
    pub ytd_fen: i64,
    pub month_fen: i64,
    pub rate: Option<f64>,
    pub red: usize,
    pub yellow: usize,
    /// The unit's own code (by-unit rows only).
    pub color: Option<Code>,
}

impl GroupRow {
    fn named(key: String, name: String) -> GroupRow {
        GroupRow { key, name, ..Default::default() }
    }
    fn add(&mut self, f: &Facts, code: Code, active: bool, started: bool) {
        self.projects += 1;
        self.total_fen = self.total_fen.saturating_add(f.total_fen);
        self.plan_fen = self.plan_fen.saturating_add(f.plan_fen);
        self.ytd_fen = self.ytd_fen.saturating_add(f.ytd_fen);
        self.month_fen = self.month_fen.saturating_add(f.month_fen);
        if started {
            self.started += 1;
        }
        if active {
            self.active += 1;
            match code {
                Code::Red => self.red += 1,
                Code::Yellow => self.yellow += 1,
                Code::Green => {}
            }
        }
    }
}

/// A monthly scheduling report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Schedule {
    pub period: String,
    pub period_label: String,
    /// The day codes are computed for.
    pub as_of: NaiveDate,
    pub chain: Option<(String, String)>,
    pub region: Option<(String, String)>,
    pub projects: usize,
    /// Projects still under way (not 投产 or 终止).
    pub active: usize,
    pub total_fen: i64,
    pub plan_fen: i64,
    pub ytd_fen: i64,
    pub month_fen: i64,
    /// Completed share of the year's plan, per cent.
    pub rate: Option<f64>,
    /// The share of the year elapsed at the period's end, per cent (序时进度).
    pub time_rate: f64,
    pub red: usize,
    pub yellow: usize,
    pub green: usize,
    pub units_red: usize,
    pub units_yellow: usize,
    pub funnel: Vec<FunnelRow>,
    pub started: Vec<ScheduleItem>,
    pub lagging: Vec<ScheduleItem>,
    /// How many started and lagging projects there are (the API may list fewer).
    pub started_total: usize,
    pub lagging_total: usize,
    pub by_chain: Vec<GroupRow>,
    pub by_region: Vec<GroupRow>,
    pub by_unit: Vec<GroupRow>,
    pub rules: Vec<String>,
}

/// One entry of a to-do list.
#[derive(Clone, Debug, Serialize)]
pub struct TodoItem {
    pub project_id: i64,
    pub project: String,
    /// report_due, report_overdue, supervision, milestone_due, milestone_overdue.
    pub kind: &'static str,
    pub text: String,
    pub due: NaiveDate,
    pub overdue: bool,
    /// The supervision order, for `supervision`.
    pub item_id: Option<i64>,
}
