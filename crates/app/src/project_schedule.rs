//! Codes 赋码, scheduling reports 调度, dashboards and to-do lists of key projects.
//!
//! Codes are never stored: they follow from the facts as of a day (milestones done by then,
//! reports submitted by then, supervision answered by then) under [`dp::CODE_RULES`], so a
//! past month's schedule shows the codes of that month and today's list today's.

use crate::account::Principal;
use crate::project::stage_of;
use crate::project_book::{Book, Entry};
use crate::{App, AppError, Result};
use chrono::NaiveDate;
use domain::clock::china_day_end;
use domain::project::{self as dp, Code, CodeReason, Month, Stage};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
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

/// A project's code at the end of `day` (`None`: green or no longer coded), from what it
/// held then: milestones due before the day and not done by it, supervision orders issued
/// before its end, due before the day and unanswered then, and months of the code window
/// from its first month not reported by then (the `reported` flags, minus late reports
/// submitted after the day).
fn code_on(e: &Entry, f: &Facts, day: NaiveDate, now: chrono::DateTime<chrono::Utc>) -> Option<Coded> {
    if !active_on(f, day) {
        return None;
    }
    let (w0, w1) = window(day);
    let as_of = china_day_end(day);
    let mut i = dp::CodeInputs::default();
    for (name, due, done) in &e.milestones {
        if *due < day && done.is_none_or(|d| d > day) {
            i.open_milestones.push((name.clone(), *due));
        }
    }
    for (title, due, issued, responded) in &e.supervisions {
        if *due < day && *issued < as_of && responded.is_none_or(|r| r >= as_of) {
            i.unanswered_supervisions.push((title.clone(), *due));
        }
    }
    // Late reports submitted after the day did not exist then (on-time ones of months
    // already due were all in by then).
    let later = |m: Month| as_of <= now && e.late_reports.iter().any(|(lm, at)| *lm == m && *at >= as_of);
    if let Some(first) = Month::parse(&f.first_month) {
        let flags = f.reported.as_bytes();
        let mut m = first.max(w0);
        while m <= w1 {
            let k = usize::try_from(first.count_to(m) - 1).unwrap_or(usize::MAX);
            if flags.get(k) != Some(&b'1') || later(m) {
                i.missing_reports.push(m);
            }
            m = m.next();
        }
    }
    let (code, reasons) = dp::project_code(Stage::Planning, &i, day);
    (code != Code::Green).then(|| Coded {
        code,
        reasons,
        missing: i.missing_reports.iter().map(ToString::to_string).collect(),
    })
}

impl App {
    /// Facts and codes of the selected projects in `p`'s scope: sums for `period`, codes as
    /// of the end of `day`, from the project book (the ids `scope` may read come from the
    /// store), with the book they came from.
    pub(crate) async fn coded_facts(
        &self,
        scope: &domain::role::EnterpriseScope,
        account: i64,
        sel: &Selection,
        period: Month,
        day: NaiveDate,
    ) -> Result<(Vec<Facts>, HashMap<i64, Coded>, Arc<Book>)> {
        let book = self.project_book().await?;
        let q = FactsQuery { chain_id: sel.chain_id, region: sel.region.clone(), ids: sel.ids.clone() };
        let visible = sp::visible_ids(&self.db, scope, account, &q).await?;
        let entries: Vec<&Entry> = match &visible {
            None => book.projects.values().map(AsRef::as_ref).collect(),
            Some(ids) => ids.iter().filter_map(|id| book.projects.get(id)).map(AsRef::as_ref).collect(),
        };
        let now = self.now();
        let mut facts = Vec::with_capacity(entries.len());
        let mut codes = HashMap::new();
        for e in entries {
            let f = e.facts(period);
            if let Some(c) = code_on(e, &f, day, now) {
                codes.insert(f.id, c);
            }
            facts.push(f);
        }
        Ok((facts, codes, book))
    }

    /// One project's code today.
    pub(crate) async fn project_code_now(&self, p: &Principal, id: i64) -> Result<(Code, Vec<CodeReason>)> {
        let today = self.today();
        let sel = Selection { ids: Some(vec![id]), ..Default::default() };
        let (_, codes, _) = self.coded_facts(&p.enterprise_scope, p.account_id, &sel, Month::of(today), today).await?;
        Ok(codes.get(&id).map(|c| (c.code, c.reasons.clone())).unwrap_or((Code::Green, Vec::new())))
    }

    /// Today's code of every coded project (green ones are absent), whoever asks: a code
    /// follows from the project's own facts, never from the reader, and the callers only
    /// look up projects their scope already let them read.
    ///
    /// Computed from the project book whenever the book or the day has moved.
    /// Returns them with the feed head they hold.
    pub(crate) async fn codes_today(&self) -> Result<(Arc<HashMap<i64, Coded>>, i64)> {
        let today = self.today();
        // The book first, with no lock held: the cache's lock is taken only to compare and,
        // when the book or the day has moved, to compute once for every waiting request.
        let book = self.project_book().await?;
        let mut cache = self.today_codes.lock().await;
        if cache.day == Some(today) && cache.head >= book.head {
            return Ok((cache.codes.clone(), cache.head));
        }
        let now = self.now();
        let codes: HashMap<i64, Coded> = book
            .projects
            .values()
            .filter_map(|e| {
                let f = e.facts(Month::of(today));
                code_on(e, &f, today, now).map(|c| (f.id, c))
            })
            .collect();
        *cache = TodayCodes { day: Some(today), head: book.head, codes: Arc::new(codes) };
        Ok((cache.codes.clone(), cache.head))
    }

    /// Brings today's project codes up to date (the server calls it as it follows the feed).
    pub async fn refresh_project_codes(&self) -> Result<()> {
        self.codes_today().await.map(|_| ())
    }

    /// The project list: one page with each row's code today; `code` keeps only projects
    /// with that code (computed over the caller's whole scope).
    pub async fn projects(
        &self,
        p: &Principal,
        filter: &sp::Filter,
        code: Option<Code>,
    ) -> Result<(Vec<ListedProject>, i64)> {
        self.projects_at(p, filter, code).await.map(|(items, total, _)| (items, total))
    }

    /// [`Self::projects`] with the change feed's head the page was read at.
    pub async fn projects_at(
        &self,
        p: &Principal,
        filter: &sp::Filter,
        code: Option<Code>,
    ) -> Result<(Vec<ListedProject>, i64, i64)> {
        self.project_staff(p)?;
        // The feed's head read before the codes: the total below is reused while it holds.
        let (codes, head) = self.codes_today().await?;
        let mut f = filter.clone();
        if let Some(want) = code {
            apply_code_filter(&codes, &mut f, want);
        }
        // The total is reused while no project changed (the change feed's head, read first),
        // as for the enterprise list: counting on every page view is what costs.
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
        Ok((items, total, head))
    }

    /// Narrows a list filter to the projects with code `want` today (the filter's scope,
    /// chain and region still apply in the query).
    pub async fn apply_code_filter(&self, p: &Principal, f: &mut sp::Filter, want: Code) -> Result<()> {
        self.project_staff(p)?;
        let (codes, _) = self.codes_today().await?;
        apply_code_filter(&codes, f, want);
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
        let (facts, codes, book) = self.coded_facts(&p.enterprise_scope, p.account_id, &sel, period, day).await?;
        // Projects that entered 开工 in the month (the book's timeline).
        let (first, last) = (period.first_day(), period.last_day());
        let started: std::collections::HashSet<i64> = facts
            .iter()
            .filter(|f| book.projects.get(&f.id).is_some_and(|e| e.started.iter().any(|d| (first..=last).contains(d))))
            .map(|f| f.id)
            .collect();
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
        let (facts, codes, _) =
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

/// Today's codes with the day and the feed head they were computed at.
#[derive(Default)]
pub(crate) struct TodayCodes {
    day: Option<NaiveDate>,
    head: i64,
    codes: Arc<HashMap<i64, Coded>>,
}

fn apply_code_filter(codes: &HashMap<i64, Coded>, f: &mut sp::Filter, want: Code) {
    if want == Code::Green {
        // Green: projects under way without a code (the coded ones are the fewer).
        f.exclude_ids = codes.keys().copied().collect();
        f.exclude_ids.sort_unstable();
        f.active_only = true;
    } else {
        let mut ids: Vec<i64> = codes.iter().filter(|(_, c)| c.code == want).map(|(id, _)| *id).collect();
        ids.sort_unstable();
        f.ids = Some(ids);
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
