//! One project's story, drawn backwards from today: first what it looks like now (its
//! stage, and whether it is on time, has a milestone overdue, reports missing or a
//! supervision order unanswered), then the dates that lead there, its plans and reports.

use super::texts::{
    ADJUST_REASONS, BULK_ENDINGS, PROBLEMS, RESPONSES, SUPERVISION_TITLES, TERMINATION_REASONS, progress_texts,
};
use super::{Ctx, EVIDENCE_PROJECTS, ProjectPlan, REPORT_EVENT_PROJECTS};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use domain::money::{FEN_PER_WAN, format_wan};
use domain::project::{self as dp, Month, Stage};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, HashSet};
use store::project::{self as sp, MilestoneRow};

// ---------------------------------------------------------------- one generated project

pub(super) struct GenEvent {
    pub(super) kind: &'static str,
    pub(super) on: NaiveDate,
    pub(super) from: Option<Stage>,
    pub(super) to: Option<Stage>,
    pub(super) text: String,
}

pub(super) struct GenReport {
    pub(super) month: Month,
    pub(super) amount: i64,
    pub(super) progress: &'static str,
    pub(super) problems: &'static str,
    pub(super) late: bool,
    pub(super) on: NaiveDate,
}

pub(super) struct GenSupervision {
    pub(super) title: &'static str,
    pub(super) issued: NaiveDate,
    pub(super) due: NaiveDate,
    pub(super) response: Option<(&'static str, NaiveDate)>,
}

pub(super) struct Gen {
    pub(super) new: sp::NewProject,
    pub(super) stage: Stage,
    pub(super) stage_on: NaiveDate,
    pub(super) entered: NaiveDate,
    pub(super) first_month: Month,
    pub(super) terminated_reason: &'static str,
    pub(super) plans: Vec<(i64, i64)>,
    pub(super) milestones: Vec<MilestoneRow>,
    pub(super) events: Vec<GenEvent>,
    pub(super) reports: Vec<GenReport>,
    pub(super) supervisions: Vec<GenSupervision>,
    pub(super) evidence: bool,
}

/// What keeps a project from green today (for the active ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trouble {
    None,
    /// The next milestone was late and its date was moved by hand, with a reason.
    Adjusted,
    MilestoneYellow,
    MilestoneRed,
    ReportYellow,
    ReportRed,
    Supervision,
}

const KIND_WEIGHTS: [(&str, u32); 5] =
    [("new_attraction", 35), ("reinvestment", 25), ("pilot", 10), ("upgrade", 20), ("environmental", 10)];

pub(super) const STAGE_WEIGHTS: [(Stage, u32); 8] = [
    (Stage::Planning, 9),
    (Stage::Signed, 9),
    (Stage::Approval, 10),
    (Stage::Started, 8),
    (Stage::Building, 37),
    (Stage::Completed, 8),
    (Stage::Operating, 14),
    (Stage::Terminated, 5),
];

const TROUBLE_WEIGHTS: [(Trouble, u32); 7] = [
    (Trouble::None, 62),
    (Trouble::Adjusted, 6),
    (Trouble::MilestoneYellow, 7),
    (Trouble::ReportYellow, 8),
    (Trouble::MilestoneRed, 6),
    (Trouble::ReportRed, 7),
    (Trouble::Supervision, 4),
];

/// The first projects cover every stage, then 开工 in the current and the previous month
/// (the schedule's “projects started this month”), whatever the count.
const FORCED_STAGES: usize = 8;
const STARTED_THIS_MONTH: std::ops::Range<usize> = 8..11;
const STARTED_LAST_MONTH: std::ops::Range<usize> = 11..14;

const OTHER_UNITS: [&str; 5] = ["fgw", "swj", "jjhzwsj", "kjj", "zrzyj"];

pub(super) fn pick<'a, T>(rng: &mut ChaCha8Rng, v: &'a [T]) -> &'a T {
    &v[rng.random_range(0..v.len())]
}

/// One of the static words in `v`.
fn word(rng: &mut ChaCha8Rng, v: &[&'static str]) -> &'static str {
    v[rng.random_range(0..v.len())]
}

pub(super) fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut r = rng.random_range(0..total);
    for (v, w) in items {
        if r < *w {
            return *v;
        }
        r -= w;
    }
    items[items.len() - 1].0
}

pub(super) fn back(m: Month, n: u32) -> Month {
    (0..n).fold(m, |m, _| m.prev())
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// A random day in `[lo, hi]` (`lo` when the range is empty).
fn between(rng: &mut ChaCha8Rng, lo: NaiveDate, hi: NaiveDate) -> NaiveDate {
    let span = (hi - lo).num_days();
    if span <= 0 { lo } else { lo + days(rng.random_range(0..=span)) }
}

/// Money in fen rounded to 0.01 万元.
pub(super) fn round_fen(v: f64) -> i64 {
    ((v / 10_000.0).round() as i64).max(0) * 10_000
}

// ---------------------------------------------------------------- the generator

pub(super) struct Generator {
    pub(super) rng: ChaCha8Rng,
    pub(super) ctx: Ctx,
    pub(super) plan: ProjectPlan,
    names: HashSet<String>,
    /// Next code number per entry year (XM-2025-0001 …).
    seq: HashMap<i32, u32>,
}

/// Everything of a project but its dates.
struct Identity {
    new: sp::NewProject,
    kind: &'static str,
    stage: Stage,
    trouble: Trouble,
}

/// How a project got where it is.
struct Timeline {
    entry_month: Month,
    entered: NaiveDate,
    first_month: Month,
    /// Milestones done, in template order.
    done: usize,
    done_on: Vec<Option<NaiveDate>>,
    /// When it reached 投产 or was terminated.
    final_on: Option<NaiveDate>,
    planned_start: NaiveDate,
    /// The stages entered after 谋划, with their dates.
    stage_dates: Vec<(Stage, NaiveDate)>,
    stage: Stage,
    /// Its stage when it entered the library.
    initial: Stage,
    stage_on: NaiveDate,
    terminated_reason: &'static str,
}

impl Timeline {
    fn stage_at(&self, d: NaiveDate) -> Stage {
        if self.final_on.is_some_and(|f| d >= f) {
            return self.stage;
        }
        self.stage_dates.iter().rev().find(|(_, on)| *on <= d).map_or(Stage::Planning, |(s, _)| *s)
    }
}

impl Generator {
    pub(super) fn new(rng: ChaCha8Rng, ctx: Ctx, plan: ProjectPlan) -> Generator {
        Generator { rng, ctx, plan, names: HashSet::new(), seq: HashMap::new() }
    }

    /// A timestamp on day `d` during office hours in China, never after the clock's now.
    pub(super) fn stamp(&mut self, d: NaiveDate) -> DateTime<Utc> {
        let minutes = self.rng.random_range(0..540);
        let local = d.and_hms_opt(8, 30, 0).unwrap_or_default() + Duration::minutes(minutes);
        let t = DateTime::<Utc>::from_naive_utc_and_offset(local - Duration::hours(8), Utc);
        t.min(self.ctx.now)
    }

    fn person(&mut self) -> String {
        let s = pick(&mut self.rng, &self.ctx.surname).clone();
        let g = pick(&mut self.rng, &self.ctx.given).clone();
        format!("{s}{g}")
    }

    fn unique_name(&mut self, base: String) -> String {
        if self.names.insert(base.clone()) {
            return base;
        }
        let stem = base.trim_end_matches("项目").to_string();
        for phase in ["二期", "三期", "四期", "五期"] {
            let n = format!("{stem}（{phase}）项目");
            if self.names.insert(n.clone()) {
                return n;
            }
        }
        let mut k = 2;
        loop {
            let n = format!("{stem}（{k}号地块）项目");
            if self.names.insert(n.clone()) {
                return n;
            }
            k += 1;
        }
    }

    fn project_name(&mut self, kind: &str, product: &str) -> String {
        let rng = &mut self.rng;
        let brand = pick(rng, &self.ctx.brand).clone();
        let bulk = BULK_ENDINGS.iter().any(|e| product.ends_with(e));
        let base = match kind {
            "new_attraction" if bulk => format!("示例·年产{}万吨{product}项目", rng.random_range(1..=30)),
            "new_attraction" => match rng.random_range(0..3) {
                0 => format!("示例·{brand}{product}生产基地项目"),
                1 => format!("示例·{product}产业园项目"),
                _ => format!("示例·{brand}{product}产业化项目"),
            },
            "reinvestment" if bulk => format!("示例·{brand}新增{}万吨{product}增资扩产项目", rng.random_range(1..=10)),
            "reinvestment" => format!("示例·{brand}{product}增资扩产项目"),
            "pilot" => {
                if rng.random_bool(0.5) {
                    format!("示例·{product}中试基地项目")
                } else {
                    format!("示例·{brand}{product}中试线项目")
                }
            }
            "upgrade" => {
                if rng.random_bool(0.5) {
                    format!("示例·{brand}{product}生产线智能化改造项目")
                } else {
                    format!("示例·{brand}{product}数字化车间技术改造项目")
                }
            }
            _ => {
                if rng.random_bool(0.5) {
                    format!("示例·{brand}{product}生产线超低排放改造项目")
                } else {
                    format!("示例·{brand}{product}废水深度处理及回用项目")
                }
            }
        };
        self.unique_name(base)
    }

    fn code(&mut self, year: i32) -> String {
        let n = self.seq.entry(year).or_insert(0);
        *n += 1;
        format!("XM-{year}-{:04}", *n)
    }

    /// Project number `k` of the run.
    pub(super) fn project(&mut self, k: usize) -> Gen {
        let mut id = self.identity(k);
        let tl = self.timeline(k, id.kind, id.stage, id.trouble);
        let mut events = Vec::new();
        let milestones = self.milestones(&tl, id.kind, id.trouble, &mut events);
        events.extend(history(&tl, id.kind));
        let (plans, reports) = self.money(&tl, id.new.total_fen, id.trouble);
        let supervisions = self.supervisions(&tl, id.trouble);
        for v in &supervisions {
            events.push(GenEvent {
                kind: "supervision",
                on: v.issued,
                from: None,
                to: None,
                text: format!("督办：{}（{} 前回复）", v.title, v.due),
            });
            if let Some((_, on)) = v.response {
                events.push(GenEvent {
                    kind: "response",
                    on,
                    from: None,
                    to: None,
                    text: format!("回复督办“{}”{}", v.title, if on > v.due { "（逾期回复）" } else { "" }),
                });
            }
        }
        if k < REPORT_EVENT_PROJECTS {
            for r in &reports {
                events.push(GenEvent {
                    kind: "report",
                    on: r.on,
                    from: None,
                    to: None,
                    text: format!(
                        "{}月报：完成投资 {} 万元{}",
                        r.month.label(),
                        format_wan(r.amount),
                        if r.late { "（逾期填报）" } else { "" }
                    ),
                });
            }
        }
        events.sort_by_key(|e| e.on);
        id.new.code = self.code(tl.entered.year());
        id.new.planned_start = tl.planned_start;
        id.new.planned_end = milestones.last().map(|r| r.due_on);
        Gen {
            new: id.new,
            stage: id.stage,
            stage_on: tl.stage_on,
            entered: tl.entered,
            first_month: tl.first_month,
            terminated_reason: tl.terminated_reason,
            plans,
            milestones,
            events,
            reports,
            supervisions,
            evidence: k < EVIDENCE_PROJECTS,
        }
    }

    /// Where, what, how big, whose: chain, place, kind, stage and trouble, name, money,
    /// land, tags, owner, responsible unit and person.
    fn identity(&mut self, k: usize) -> Identity {
        let nchains = self.ctx.chains.len();
        let ci = if k < 2 * nchains { k % nchains } else { self.rng.random_range(0..nchains) };
        let (region, chain_id, lead, chain_name) = {
            let c = &self.ctx.chains[ci];
            let roll: f64 = self.rng.random();
            let region = if roll < 0.6 && !c.carrying.is_empty() {
                pick(&mut self.rng, &c.carrying).clone()
            } else if roll < 0.85 && !c.collaborating.is_empty() {
                pick(&mut self.rng, &c.collaborating).clone()
            } else {
                pick(&mut self.rng, &self.ctx.places).0.clone()
            };
            (region, c.id, c.lead.clone(), c.name.clone())
        };
        let kind = weighted(&mut self.rng, &KIND_WEIGHTS);
        let stage = if k < FORCED_STAGES {
            Stage::ALL[k]
        } else if STARTED_THIS_MONTH.contains(&k) || STARTED_LAST_MONTH.contains(&k) {
            Stage::Started
        } else {
            weighted(&mut self.rng, &STAGE_WEIGHTS)
        };
        let trouble = if stage.is_final() || k < STARTED_LAST_MONTH.end {
            Trouble::None
        } else {
            weighted(&mut self.rng, &TROUBLE_WEIGHTS)
        };
        let (segment_id, product) = {
            let c = &self.ctx.chains[ci];
            if !c.segments.is_empty() && self.rng.random_bool(0.85) {
                let (id, p) = pick(&mut self.rng, &c.segments).clone();
                (Some(id), p)
            } else if !c.segments.is_empty() {
                (None, pick(&mut self.rng, &c.segments).1.clone())
            } else {
                (None, c.name.clone())
            }
        };
        let name = self.project_name(kind, &product);
        let total_wan: f64 = match kind {
            "new_attraction" => self.rng.random_range(5_000.0..300_000.0),
            "reinvestment" => self.rng.random_range(2_000.0..80_000.0),
            "pilot" => self.rng.random_range(1_000.0..20_000.0),
            "upgrade" => self.rng.random_range(1_000.0..40_000.0),
            _ => self.rng.random_range(500.0..15_000.0),
        };
        let total_fen = (total_wan.round() as i64) * FEN_PER_WAN;
        let output_fen = round_fen(total_fen as f64 * self.rng.random_range(0.6..2.5));
        let tax_fen = round_fen(output_fen as f64 * self.rng.random_range(0.03..0.08));
        let (land_mu, land_mode) = {
            let p = match kind {
                "new_attraction" => 0.9,
                "reinvestment" => 0.4,
                "pilot" => 0.3,
                _ => 0.05,
            };
            if self.rng.random_bool(p) {
                let mu = self.rng.random_range(20.0..600.0f64);
                (format!("{mu:.1}"), Some(pick(&mut self.rng, &dp::LAND_MODES).0.to_string()))
            } else {
                (String::new(), None)
            }
        };
        let (mut tag_effective, tag_rooted, tag_tax) =
            (self.rng.random_bool(0.8), self.rng.random_bool(0.55), self.rng.random_bool(0.6));
        if !(tag_effective || tag_rooted || tag_tax) {
            tag_effective = true;
        }
        // Owner: a local enterprise of the chain (its own county first) for reinvestment,
        // upgrades and environmental works; often a newcomer for attraction and pilots.
        let local_owner = matches!(kind, "reinvestment" | "upgrade" | "environmental") || self.rng.random_bool(0.3);
        let owner = {
            let c = &self.ctx.chains[ci];
            if local_owner && !c.owners.is_empty() {
                let here: Vec<&(i64, String, String)> = c.owners.iter().filter(|o| o.2 == region).collect();
                let o = if !here.is_empty() {
                    here[self.rng.random_range(0..here.len())]
                } else {
                    pick(&mut self.rng, &c.owners)
                };
                Some((o.0, o.1.clone()))
            } else {
                None
            }
        };
        let (enterprise_id, investor) = match owner {
            Some((id, n)) => (Some(id), n),
            None => {
                let b = pick(&mut self.rng, &self.ctx.brand).clone();
                let short: String = product.chars().take(4).collect();
                (None, format!("{b}{short}科技有限公司（示例）"))
            }
        };
        // Responsible unit (the county, the chain's lead department or another department)
        // and person; some of them demo accounts.
        let roll: f64 = self.rng.random();
        let unit_code = if roll < 0.45 {
            region.clone()
        } else if roll < 0.8 {
            lead.clone()
        } else {
            word(&mut self.rng, &OTHER_UNITS).to_string()
        };
        let mut person = self.person();
        let mut person_account_id = None;
        for l in &self.ctx.linked {
            if (l.scope == unit_code || l.scope == region) && self.rng.random_bool(0.4) {
                person = l.name.clone();
                person_account_id = Some(l.id);
                break;
            }
        }
        let contact = format!("0818-{}", self.rng.random_range(2_000_000..2_999_999));
        let content = format!(
            "示例数据（虚构）：{chain_name}{product}相关建设内容，新建或改造生产及配套设施，总投资约 {} 万元。",
            total_fen / FEN_PER_WAN
        );
        let new = sp::NewProject {
            code: String::new(),
            name,
            chain_id,
            segment_id,
            region_code: region,
            enterprise_id,
            investor,
            kind: kind.to_string(),
            tag_effective,
            tag_rooted,
            tag_tax,
            total_fen,
            land_mu,
            land_mode,
            output_fen,
            tax_fen,
            content,
            unit_code,
            person,
            person_account_id,
            contact,
            planned_start: self.ctx.today,
            planned_end: None,
        };
        Identity { new, kind, stage, trouble }
    }

    /// When the project entered the library and how its milestones and stages led to today:
    /// the date of its last milestone done is chosen so that the next one is on time, or
    /// overdue as `trouble` asks; the earlier ones follow backwards at about their
    /// template's intervals.
    fn timeline(&mut self, k: usize, kind: &str, stage: Stage, trouble: Trouble) -> Timeline {
        let t = self.ctx.today;
        let cur = Month::of(t);
        let months = self.plan.months.max(2);
        let lo = (months / 2).max(1);
        let hi = (months * 5 / 4).max(lo);
        let entry_month = back(cur, self.rng.random_range(lo..=hi));
        let entered = between(&mut self.rng, entry_month.first_day(), entry_month.last_day().min(t));
        let first_month = entry_month.max(back(cur, months));
        let tpl = dp::milestone_template(kind);
        let reached = if stage == Stage::Terminated {
            *pick(&mut self.rng, &[Stage::Planning, Stage::Signed, Stage::Approval, Stage::Started, Stage::Building])
        } else {
            stage
        };
        let mut done = tpl.iter().rposition(|m| m.stage.is_some_and(|s| s <= reached)).map_or(0, |i| i + 1);
        if !stage.is_final() {
            while done < tpl.len() && tpl[done].stage.is_none() && self.rng.random_bool(0.5) {
                done += 1;
            }
        }
        let final_on = stage.is_final().then(|| {
            let hi = (t - days(10)).max(entered);
            let lo = (entered + days(90)).min(hi);
            between(&mut self.rng, lo, hi)
        });
        let next_days = tpl.get(done).map_or(30, |m| i64::from(m.days));
        // The date of the last milestone done (or the planned start, when none is).
        let anchor = match stage {
            Stage::Operating => final_on.unwrap_or(t),
            Stage::Terminated => final_on.unwrap_or(t) - days(self.rng.random_range(10..=200)),
            _ => {
                let x = if STARTED_THIS_MONTH.contains(&k) {
                    self.rng.random_range(0..i64::from(t.day()))
                } else if STARTED_LAST_MONTH.contains(&k) {
                    i64::from(t.day()) + self.rng.random_range(0..i64::from(cur.prev().last_day().day()))
                } else {
                    match trouble {
                        Trouble::MilestoneYellow => next_days + self.rng.random_range(1..=30),
                        Trouble::MilestoneRed => next_days + self.rng.random_range(31..=200),
                        Trouble::Adjusted => next_days + self.rng.random_range(5..=120),
                        _ if done == 0 => self.rng.random_range(-120..=next_days),
                        _ => self.rng.random_range(1..=next_days.max(1)),
                    }
                };
                t - days(x)
            }
        };
        let mut done_on: Vec<Option<NaiveDate>> = vec![None; tpl.len()];
        let mut d = anchor;
        for i in (0..done).rev() {
            done_on[i] = Some(d);
            let gap = (f64::from(tpl[i].days) * self.rng.random_range(0.5..1.4)).round() as i64;
            d -= days(gap.max(1));
        }
        let planned_start = d;
        // Stage dates along the path: a stage with a milestone was entered when that
        // milestone was done; one without (签约 of a reinvestment) shortly before the next.
        let upper = final_on.unwrap_or(t);
        let path: Vec<Stage> = Stage::PATH[1..].iter().copied().filter(|s| *s <= reached).collect();
        let known: Vec<Option<NaiveDate>> =
            path.iter().map(|s| tpl.iter().rposition(|m| m.stage == Some(*s)).and_then(|i| done_on[i])).collect();
        let mut stage_dates: Vec<(Stage, NaiveDate)> = Vec::with_capacity(path.len());
        for (i, s) in path.iter().enumerate() {
            let date = match known[i] {
                Some(d) => d,
                None => {
                    let ub = known[i + 1..].iter().flatten().next().copied().unwrap_or(upper);
                    let lb = stage_dates.last().map(|x| x.1).unwrap_or(ub - days(120));
                    (ub - days(self.rng.random_range(3..=60))).max(lb).min(ub)
                }
            };
            stage_dates.push((*s, date));
        }
        let terminated_reason = if stage == Stage::Terminated { word(&mut self.rng, &TERMINATION_REASONS) } else { "" };
        let mut tl = Timeline {
            entry_month,
            entered,
            first_month,
            done,
            done_on,
            final_on,
            planned_start,
            stage_dates,
            stage,
            initial: Stage::Planning,
            stage_on: entered,
            terminated_reason,
        };
        let initial = tl.stage_at(entered);
        tl.initial = if initial.is_final() { Stage::Planning } else { initial };
        tl.stage_on = match stage {
            Stage::Planning => entered,
            Stage::Operating | Stage::Terminated => final_on.unwrap_or(t),
            _ => tl.stage_dates.last().map_or(entered, |x| x.1),
        };
        tl
    }

    /// The kind's milestones with their dates; the next one moved by hand, with a reason
    /// and a timeline entry, when the project is `Adjusted`.
    fn milestones(
        &mut self,
        tl: &Timeline,
        kind: &str,
        trouble: Trouble,
        events: &mut Vec<GenEvent>,
    ) -> Vec<MilestoneRow> {
        let t = self.ctx.today;
        let mut rows: Vec<MilestoneRow> = dp::milestone_template(kind)
            .iter()
            .enumerate()
            .map(|(i, m)| MilestoneRow {
                id: 0,
                project_id: 0,
                seq: i as i64 + 1,
                code: m.code.to_string(),
                name: m.name.to_string(),
                stage: m.stage.map(|s| s.code().to_string()),
                days: i64::from(m.days),
                due_on: tl.planned_start,
                adjusted: false,
                adjust_reason: String::new(),
                done_on: tl.done_on[i],
            })
            .collect();
        crate::project::recompute_due(&mut rows, tl.entered, tl.planned_start);
        if trouble == Trouble::Adjusted
            && let Some(r) = rows.get_mut(tl.done)
        {
            let old = r.due_on;
            let new_due = t + days(self.rng.random_range(10..=90));
            let reason = word(&mut self.rng, &ADJUST_REASONS);
            r.adjusted = true;
            r.due_on = new_due;
            r.adjust_reason = reason.to_string();
            let on = between(&mut self.rng, old.max(tl.entered), t);
            events.push(GenEvent {
                kind: "milestone_adjusted",
                on,
                from: None,
                to: None,
                text: format!("节点“{}”计划完成日期 {old} → {new_due}：{reason}", r.name),
            });
            crate::project::recompute_due(&mut rows, tl.entered, tl.planned_start);
        }
        rows
    }

    /// Expected investment per month (pre-construction costs, then the build spread over
    /// 15–36 months, capped at 95% of the total), the yearly plans from it, and the monthly
    /// reports from the first month to last month (to the month before the end, for a
    /// project that reached 投产 or 终止): most near their plan, some well behind; some
    /// late, some missing.
    fn money(&mut self, tl: &Timeline, total_fen: i64, trouble: Trouble) -> (Vec<(i64, i64)>, Vec<GenReport>) {
        let t = self.ctx.today;
        let cur = Month::of(t);
        let build_months = self.rng.random_range(15.0..36.0f64);
        let pace = if self.rng.random_bool(0.15) {
            self.rng.random_range(0.2..0.5)
        } else {
            self.rng.random_range(0.85..1.15)
        };
        let plan_end = Month { year: t.year(), month: 12 };
        let mut expected: Vec<(Month, f64)> = Vec::new(); // from the entry month on
        let mut cum = 0.0;
        let cap = total_fen as f64 * 0.95;
        let mut m = tl.entry_month;
        while m <= plan_end {
            let share = match tl.stage_at(m.first_day() + days(14)) {
                Stage::Planning | Stage::Signed | Stage::Approval => 0.004,
                Stage::Started | Stage::Building => 1.0 / build_months,
                Stage::Completed => 0.01,
                Stage::Operating | Stage::Terminated => 0.0,
            };
            let e = (total_fen as f64 * share).min(cap - cum).max(0.0);
            cum += e;
            expected.push((m, e));
            m = m.next();
        }
        // A year's plan is what it was expected to take; this year's, the pace of its
        // months so far kept up to December (a plan set in January does not foresee the
        // month a project starts building), so that most projects keep up with the time.
        let mut plans: Vec<(i64, i64)> = Vec::new();
        let mut plan_sum = 0;
        let elapsed = cur.month - 1;
        for y in tl.entry_month.year..=t.year() {
            let of_year = expected.iter().filter(|(m, _)| m.year == y);
            let sum: f64 = if y == t.year() && elapsed > 0 {
                of_year.filter(|(m, _)| m.month <= elapsed).map(|(_, e)| e).sum::<f64>() * 12.0 / f64::from(elapsed)
            } else {
                of_year.map(|(_, e)| e).sum()
            };
            let fen = ((sum / FEN_PER_WAN as f64).round() as i64) * FEN_PER_WAN;
            let fen = fen.min(total_fen - plan_sum);
            if fen > 0 {
                plans.push((i64::from(y), fen));
                plan_sum += fen;
            }
        }

        let w1 = Month::last_overdue(t);
        let w0 = back(w1, crate::project_schedule::CODE_WINDOW_MONTHS - 1);
        let mut missing: HashSet<Month> = HashSet::new();
        match trouble {
            Trouble::ReportYellow => {
                missing.insert(w1);
            }
            Trouble::ReportRed => {
                missing.insert(w1);
                missing.insert(w1.prev());
                if self.rng.random_bool(0.3) {
                    missing.insert(back(w1, 4));
                }
            }
            _ => {}
        }
        let last = match tl.final_on {
            Some(f) => Month::of(f).prev(),
            None => cur.prev(),
        };
        let mut reports = Vec::new();
        let mut done_fen = 0i64;
        let mut m = tl.first_month;
        while m <= last {
            let this = m;
            m = m.next();
            if missing.contains(&this) || (this < w0 && self.rng.random_bool(0.02)) {
                continue;
            }
            let open = this.next().first_day();
            let deadline = this.deadline();
            let mut on = if self.rng.random_bool(0.07) {
                deadline + days(self.rng.random_range(1..=25))
            } else {
                between(&mut self.rng, open, deadline)
            };
            if on > t {
                on = between(&mut self.rng, open, deadline);
            }
            if on > t {
                // Last month's report before its deadline: some are in, some still to come.
                if open <= t && self.rng.random_bool(0.5) {
                    on = between(&mut self.rng, open, t);
                } else {
                    continue;
                }
            }
            let s = tl.stage_at(this.first_day() + days(14));
            let e = usize::try_from(tl.entry_month.count_to(this) - 1)
                .ok()
                .and_then(|i| expected.get(i))
                .map_or(0.0, |x| x.1);
            let amount = round_fen(e * pace * self.rng.random_range(0.7..1.3)).min((total_fen - done_fen).max(0));
            done_fen += amount;
            let problems = if self.rng.random_bool(0.15) { word(&mut self.rng, &PROBLEMS) } else { "" };
            reports.push(GenReport {
                month: this,
                amount,
                progress: word(&mut self.rng, progress_texts(s)),
                problems,
                late: on > deadline,
                on,
            });
        }
        (plans, reports)
    }

    /// Supervision orders 督办: an overdue unanswered one makes the project red; others
    /// were answered (some late), a few wait for an answer not yet due.
    fn supervisions(&mut self, tl: &Timeline, trouble: Trouble) -> Vec<GenSupervision> {
        let t = self.ctx.today;
        let entered = tl.entered;
        let mut out = Vec::new();
        if tl.stage.is_final() {
            return out;
        }
        let roll: f64 = self.rng.random();
        if trouble == Trouble::Supervision {
            let issued = (t - days(self.rng.random_range(20..=60))).max(entered);
            let due = (issued + days(self.rng.random_range(7..=14))).min(t - days(1));
            out.push(GenSupervision { title: word(&mut self.rng, &SUPERVISION_TITLES), issued, due, response: None });
        } else if roll < 0.10 {
            let issued = (t - days(self.rng.random_range(30..=300))).max(entered);
            let due = issued + days(self.rng.random_range(7..=15));
            let answered = (issued + days(self.rng.random_range(1..=20))).min(t - days(1)).max(issued);
            out.push(GenSupervision {
                title: word(&mut self.rng, &SUPERVISION_TITLES),
                issued,
                due,
                response: Some((word(&mut self.rng, &RESPONSES), answered)),
            });
        } else if roll < 0.15 {
            let issued = (t - days(self.rng.random_range(0..=5))).max(entered);
            let due = t + days(self.rng.random_range(3..=12));
            out.push(GenSupervision { title: word(&mut self.rng, &SUPERVISION_TITLES), issued, due, response: None });
        }
        out
    }
}

/// The timeline entries of entry, stage changes and milestones done after entry.
fn history(tl: &Timeline, kind: &str) -> Vec<GenEvent> {
    let mut events = vec![GenEvent {
        kind: "created",
        on: tl.entered,
        from: None,
        to: Some(tl.initial),
        text: format!("入库，阶段：{}", tl.initial.label()),
    }];
    let mut prev = Stage::Planning;
    for (s, on) in &tl.stage_dates {
        if *on > tl.entered {
            events.push(GenEvent {
                kind: "transition",
                on: *on,
                from: Some(prev),
                to: Some(*s),
                text: format!("{} → {}", prev.label(), s.label()),
            });
        }
        prev = *s;
    }
    if let (Stage::Terminated, Some(on)) = (tl.stage, tl.final_on) {
        events.push(GenEvent {
            kind: "transition",
            on,
            from: Some(prev),
            to: Some(Stage::Terminated),
            text: format!("{} → 终止：{}", prev.label(), tl.terminated_reason),
        });
    }
    for (m, d) in dp::milestone_template(kind).iter().zip(&tl.done_on) {
        if let (None, Some(d)) = (m.stage, d)
            && *d > tl.entered
        {
            events.push(GenEvent {
                kind: "milestone_done",
                on: *d,
                from: None,
                to: None,
                text: format!("节点“{}”完成", m.name),
            });
        }
    }
    events
}
