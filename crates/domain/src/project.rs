//! Key projects 重点项目 (SPEC D): the lifecycle state machine and the evidence each step
//! needs, milestone templates and their due dates, reporting months and their deadlines,
//! and the red/yellow codes 赋码 with the rules that give them. Time is always a parameter.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Lifecycle stages 谋划 → 签约 → 审批 → 开工 → 在建 → 竣工 → 投产, and 终止.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Planning,
    Signed,
    Approval,
    Started,
    Building,
    Completed,
    Operating,
    Terminated,
}

impl Stage {
    /// The forward path, in order (终止 is off the path).
    pub const PATH: [Stage; 7] = [
        Stage::Planning,
        Stage::Signed,
        Stage::Approval,
        Stage::Started,
        Stage::Building,
        Stage::Completed,
        Stage::Operating,
    ];
    pub const ALL: [Stage; 8] = [
        Stage::Planning,
        Stage::Signed,
        Stage::Approval,
        Stage::Started,
        Stage::Building,
        Stage::Completed,
        Stage::Operating,
        Stage::Terminated,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Stage::Planning => "planning",
            Stage::Signed => "signed",
            Stage::Approval => "approval",
            Stage::Started => "started",
            Stage::Building => "building",
            Stage::Completed => "completed",
            Stage::Operating => "operating",
            Stage::Terminated => "terminated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Planning => "谋划",
            Stage::Signed => "签约",
            Stage::Approval => "审批",
            Stage::Started => "开工",
            Stage::Building => "在建",
            Stage::Completed => "竣工",
            Stage::Operating => "投产",
            Stage::Terminated => "终止",
        }
    }

    /// By code (`signed`) or label (`签约`, also `已签约`, `在谋划` as people write them).
    pub fn parse(s: &str) -> Option<Stage> {
        let t = s.trim();
        Stage::ALL.into_iter().find(|st| {
            st.code() == t
                || st.label() == t
                || t.strip_prefix('已').or_else(|| t.strip_prefix('在')).is_some_and(|r| r == st.label())
                || (t == "已投产" && *st == Stage::Operating)
        })
    }

    /// No step leads on from 投产 or 终止.
    pub fn is_final(self) -> bool {
        matches!(self, Stage::Operating | Stage::Terminated)
    }

    /// Stages whose projects must report monthly (every stage still under way).
    pub fn reports(self) -> bool {
        !self.is_final()
    }

    /// The stages a project in `self` may move to: the next one on the path, or 终止.
    pub fn allowed_next(self) -> Vec<Stage> {
        if self.is_final() {
            return Vec::new();
        }
        let i = Stage::PATH.iter().position(|s| *s == self).unwrap_or(0);
        let mut v: Vec<Stage> = Stage::PATH.get(i + 1).copied().into_iter().collect();
        v.push(Stage::Terminated);
        v
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a stage change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("项目已{}，不能再变更阶段", .from.label())]
    Final { from: Stage },
    #[error("不能从“{}”变更为“{}”，允许的下一阶段：{}", .from.label(), .to.label(), labels(.allowed))]
    Illegal { from: Stage, to: Stage, allowed: Vec<Stage> },
}

fn labels(s: &[Stage]) -> String {
    s.iter().map(|s| s.label()).collect::<Vec<_>>().join("、")
}

/// Checks one step of the state machine.
pub fn check_transition(from: Stage, to: Stage) -> Result<(), TransitionError> {
    if from.is_final() {
        return Err(TransitionError::Final { from });
    }
    let allowed = from.allowed_next();
    if allowed.contains(&to) { Ok(()) } else { Err(TransitionError::Illegal { from, to, allowed }) }
}

/// What kind of proof an evidence item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofKind {
    /// An uploaded file of one of the [`FileType`]s.
    File(&'static [FileType]),
    /// A text such as an approval number.
    Text,
}

/// File types accepted as evidence, recognised by their bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
    Docx,
}

impl FileType {
    pub fn label(self) -> &'static str {
        match self {
            FileType::Pdf => "PDF",
            FileType::Jpeg => "JPG",
            FileType::Png => "PNG",
            FileType::Docx => "Word(docx)",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Jpeg => "jpeg",
            FileType::Png => "png",
            FileType::Docx => "docx",
        }
    }
    pub fn from_code(s: &str) -> Option<FileType> {
        [FileType::Pdf, FileType::Jpeg, FileType::Png, FileType::Docx].into_iter().find(|t| t.code() == s)
    }

    /// What `bytes` are, by their magic bytes (a docx is a zip holding `word/document.xml`,
    /// which the caller checks; here a zip is only a docx candidate).
    pub fn sniff(bytes: &[u8]) -> Option<FileType> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileType::Png)
        } else if bytes.starts_with(b"PK\x03\x04") {
            Some(FileType::Docx)
        } else {
            None
        }
    }
}

/// Largest evidence file: 10 MiB (a scanned contract or a few photos' worth).
pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;

const DOCUMENTS: &[FileType] = &[FileType::Pdf, FileType::Docx, FileType::Jpeg, FileType::Png];
const PHOTOS: &[FileType] = &[FileType::Jpeg, FileType::Png];

/// One piece of evidence a stage change needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Requirement {
    pub key: &'static str,
    pub label: &'static str,
    pub proof: ProofKind,
}

impl Requirement {
    pub fn is_file(&self) -> bool {
        matches!(self.proof, ProofKind::File(_))
    }
    pub fn types(&self) -> &'static [FileType] {
        match self.proof {
            ProofKind::File(t) => t,
            ProofKind::Text => &[],
        }
    }
    /// `PDF、JPG…` for messages and the form's hint.
    pub fn types_label(&self) -> String {
        self.types().iter().map(|t| t.label()).collect::<Vec<_>>().join("、")
    }
}

/// The evidence that entering `to` needs. 终止 needs a reason, asked for separately.
pub fn requirements(to: Stage) -> &'static [Requirement] {
    const SIGNED: &[Requirement] =
        &[Requirement { key: "contract", label: "签约合同或投资协议", proof: ProofKind::File(DOCUMENTS) }];
    const APPROVAL: &[Requirement] =
        &[Requirement { key: "filing_no", label: "立项（备案/核准）文号", proof: ProofKind::Text }];
    const STARTED: &[Requirement] = &[
        Requirement { key: "permit_no", label: "施工许可证号或开工批复文号", proof: ProofKind::Text },
        Requirement { key: "start_photo", label: "开工现场照片", proof: ProofKind::File(PHOTOS) },
    ];
    const BUILDING: &[Requirement] =
        &[Requirement { key: "progress_photo", label: "主体施工现场照片", proof: ProofKind::File(PHOTOS) }];
    const COMPLETED: &[Requirement] =
        &[Requirement {
            key: "acceptance", label: "竣工验收报告或备案表", proof: ProofKind::File(DOCUMENTS)
        }];
    const OPERATING: &[Requirement] = &[Requirement {
        key: "operation",
        label: "投产证明（试生产备案、首批产品照片等）",
        proof: ProofKind::File(DOCUMENTS),
    }];
    match to {
        Stage::Planning | Stage::Terminated => &[],
        Stage::Signed => SIGNED,
        Stage::Approval => APPROVAL,
        Stage::Started => STARTED,
        Stage::Building => BUILDING,
        Stage::Completed => COMPLETED,
        Stage::Operating => OPERATING,
    }
}

/// Project kinds.
pub const KINDS: [(&str, &str); 5] = [
    ("new_attraction", "新招引项目"),
    ("reinvestment", "本地增资扩产"),
    ("pilot", "中试项目"),
    ("upgrade", "技术改造"),
    ("environmental", "环保治理"),
];

/// The three tags 有效投资·有根产业·有持续税源.
pub const TAGS: [(&str, &str); 3] =
    [("effective_investment", "有效投资"), ("rooted_industry", "有根产业"), ("lasting_tax", "有持续税源")];

/// Land supply modes.
pub const LAND_MODES: [(&str, &str); 4] =
    [("long_lease", "长期租赁"), ("lease_then_sell", "先租后让"), ("flexible_term", "弹性年期"), ("transfer", "出让")];

pub fn kind_label(code: &str) -> &'static str {
    label_of(&KINDS, code)
}
pub fn land_mode_label(code: &str) -> &'static str {
    label_of(&LAND_MODES, code)
}
fn label_of(list: &[(&str, &'static str)], code: &str) -> &'static str {
    list.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
}
/// A code by its code or label (`先租后让`, `新招引`): what an import cell may hold.
pub fn code_of(list: &[(&'static str, &'static str)], s: &str) -> Option<&'static str> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    list.iter()
        .find(|(c, l)| {
            *c == t || *l == t || l.trim_end_matches("项目") == t || l.starts_with(t) && t.chars().count() >= 2
        })
        .map(|(c, _)| *c)
}

/// One milestone of a kind's template: its name, the stage whose entry completes it (if
/// any), and how many days after the previous milestone (or the project's planned start,
/// for the first) it falls due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MilestoneTemplate {
    pub code: &'static str,
    pub name: &'static str,
    pub stage: Option<Stage>,
    pub days: u32,
}

const fn ms(code: &'static str, name: &'static str, stage: Option<Stage>, days: u32) -> MilestoneTemplate {
    MilestoneTemplate { code, name, stage, days }
}

/// The milestone template of a project kind (unknown kinds get the new-attraction one).
pub fn milestone_template(kind: &str) -> &'static [MilestoneTemplate] {
    use Stage::*;
    const NEW: &[MilestoneTemplate] = &[
        ms("sign", "签订投资协议", Some(Signed), 30),
        ms("filing", "立项备案（核准）", Some(Approval), 30),
        ms("land", "取得用地（不动产权证或租赁合同）", None, 60),
        ms("permit", "取得施工许可", None, 45),
        ms("start", "开工", Some(Started), 15),
        ms("structure", "主体工程施工", Some(Building), 60),
        ms("complete", "竣工验收", Some(Completed), 300),
        ms("operate", "投产达产", Some(Operating), 90),
    ];
    const REINVEST: &[MilestoneTemplate] = &[
        ms("filing", "立项备案", Some(Approval), 30),
        ms("permit", "规划及施工许可", None, 45),
        ms("start", "开工", Some(Started), 15),
        ms("structure", "厂房或产线施工", Some(Building), 45),
        ms("equipment", "设备安装调试", None, 180),
        ms("complete", "竣工验收", Some(Completed), 60),
        ms("operate", "投产", Some(Operating), 60),
    ];
    const PILOT: &[MilestoneTemplate] = &[
        ms("sign", "签订中试合作协议", Some(Signed), 30),
        ms("filing", "立项备案", Some(Approval), 30),
        ms("start", "中试线开工", Some(Started), 30),
        ms("structure", "中试线建设", Some(Building), 30),
        ms("trial", "中试验证完成", Some(Completed), 240),
        ms("operate", "成果转化投产", Some(Operating), 120),
    ];
    const UPGRADE: &[MilestoneTemplate] = &[
        ms("filing", "技改项目备案", Some(Approval), 20),
        ms("purchase", "设备采购合同", None, 45),
        ms("start", "开工", Some(Started), 15),
        ms("install", "设备安装", Some(Building), 90),
        ms("complete", "竣工验收", Some(Completed), 60),
        ms("operate", "投产", Some(Operating), 30),
    ];
    const ENV: &[MilestoneTemplate] = &[
        ms("eia", "环评批复", Some(Approval), 45),
        ms("start", "开工", Some(Started), 30),
        ms("structure", "治理设施建设", Some(Building), 30),
        ms("complete", "竣工环保验收", Some(Completed), 180),
        ms("operate", "设施投运", Some(Operating), 30),
    ];
    match kind {
        "reinvestment" => REINVEST,
        "pilot" => PILOT,
        "upgrade" => UPGRADE,
        "environmental" => ENV,
        _ => NEW,
    }
}

/// A milestone as the due-date planner sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MilestonePlan {
    pub days: u32,
    /// A date set by hand (with a reason), kept as it is.
    pub adjusted_due: Option<NaiveDate>,
    pub done_on: Option<NaiveDate>,
    /// The ground-breaking milestone (entering 开工): due on the planned start.
    pub anchor: bool,
}

/// Due dates of a project's milestones, in order. The ground-breaking milestone (the
/// anchor) falls on the planned `start`; the preparatory ones before it are planned forward
/// from the day the project `entered` the library, each `days` after the previous one (its
/// completion date when done, else its due date), but no later than the planned start
/// unless the previous one already is; the anchor moves later only when a preparatory one
/// does; the ones after it follow each other. A date set by hand is kept, and the later
/// ones follow from it.
pub fn plan_due_dates(entered: NaiveDate, start: NaiveDate, ms: &[MilestonePlan]) -> Vec<NaiveDate> {
    let anchor = ms.iter().position(|m| m.anchor);
    let mut out = Vec::with_capacity(ms.len());
    let mut base = entered.min(start);
    for (i, m) in ms.iter().enumerate() {
        let after = base.checked_add_days(Days::new(u64::from(m.days))).unwrap_or(base);
        let auto = match anchor {
            Some(a) if i < a => after.min(start.max(base)),
            Some(a) if i == a => start.max(base),
            _ => after,
        };
        let due = m.adjusted_due.unwrap_or(auto);
        out.push(due);
        base = m.done_on.unwrap_or(due);
    }
    out
}

/// A reporting month `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

/// Day of the following month by which a month's report is due.
pub const REPORT_DAY: u32 = 5;
/// Days before the deadline from which the to-do list reminds.
pub const REMIND_DAYS: i64 = 5;

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1..=12).contains(&month) && (1900..=9999).contains(&year)).then_some(Month { year, month })
    }
    pub fn of(d: NaiveDate) -> Month {
        Month { year: d.year(), month: d.month() }
    }
    /// `2026-03`, `2026-3`, `2026/03`, `2026.3`, `2026年3月`, `202603`.
    pub fn parse(s: &str) -> Option<Month> {
        let t = s.trim().trim_end_matches('月');
        let (y, m) = if let Some((y, m)) = t.split_once(['-', '/', '.', '年']) {
            (y.trim(), m.trim())
        } else if t.len() == 6 && t.chars().all(|c| c.is_ascii_digit()) {
            t.split_at(4)
        } else {
            return None;
        };
        if y.len() != 4 || m.is_empty() || m.len() > 2 {
            return None;
        }
        Month::new(y.parse().ok()?, m.parse().ok()?)
    }
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or_default()
    }
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }
    pub fn prev(self) -> Month {
        if self.month == 1 {
            Month { year: self.year - 1, month: 12 }
        } else {
            Month { year: self.year, month: self.month - 1 }
        }
    }
    /// The last day a report on this month is on time: the 5th of the following month.
    pub fn deadline(self) -> NaiveDate {
        let n = self.next();
        NaiveDate::from_ymd_opt(n.year, n.month, REPORT_DAY).unwrap_or_default()
    }
    /// Months from `self` to `other` inclusive (0 when `other` is earlier).
    pub fn count_to(self, other: Month) -> i64 {
        let a = i64::from(self.year) * 12 + i64::from(self.month);
        let b = i64::from(other.year) * 12 + i64::from(other.month);
        (b - a + 1).max(0)
    }
    /// The latest month whose report is overdue on `today`.
    pub fn last_overdue(today: NaiveDate) -> Month {
        let prev = Month::of(today).prev();
        if today > prev.deadline() { prev } else { prev.prev() }
    }
    pub fn label(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The red/yellow code 赋码 of a project or a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    #[default]
    Green,
    Yellow,
    Red,
}

impl Code {
    pub fn code(self) -> &'static str {
        match self {
            Code::Green => "green",
            Code::Yellow => "yellow",
            Code::Red => "red",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Code::Green => "绿码",
            Code::Yellow => "黄码",
            Code::Red => "红码",
        }
    }
    pub fn parse(s: &str) -> Option<Code> {
        [Code::Green, Code::Yellow, Code::Red].into_iter().find(|c| c.code() == s || c.label() == s)
    }
}

/// Milestones more than this many days overdue give a red code; fewer, yellow.
pub const RED_MILESTONE_DAYS: i64 = 30;

/// The rules that give codes, as shown next to every code.
pub const CODE_RULES: [&str; 6] = [
    "里程碑节点逾期 1–30 天：黄码；逾期超过 30 天：红码",
    "月报截止日为次月 5 日：逾期未报 1 个月：黄码；近 12 个月内累计 2 个月及以上未报：红码",
    "督办事项超过回复期限未回复：红码",
    "项目取最严重的一项；投产或终止的项目不再赋码",
    "责任单位：红码项目 3 个及以上，或红码项目占其推进中（未投产、未终止）项目 20% 及以上：红码",
    "责任单位：有红码项目，或黄码、红码项目合计占其推进中项目 20% 及以上：黄码；其余绿码",
];

/// What the code of one project is computed from, as of a day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeInputs {
    /// Undone milestones: (name, due date).
    pub open_milestones: Vec<(String, NaiveDate)>,
    /// Months whose report is overdue and missing.
    pub missing_reports: Vec<Month>,
    /// Supervision orders past their response date without a response: (title, due date).
    pub unanswered_supervisions: Vec<(String, NaiveDate)>,
}

/// One reason for a code, with the rule it follows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CodeReason {
    pub code: Code,
    pub text: String,
}

/// The project's code on `today` and every reason for it (worst first).
pub fn project_code(stage: Stage, inputs: &CodeInputs, today: NaiveDate) -> (Code, Vec<CodeReason>) {
    if stage.is_final() {
        return (Code::Green, Vec::new());
    }
    let mut reasons = Vec::new();
    for (name, due) in &inputs.open_milestones {
        let late = (today - *due).num_days();
        if late > 0 {
            let code = if late > RED_MILESTONE_DAYS { Code::Red } else { Code::Yellow };
            reasons.push(CodeReason {
                code, text: format!("节点“{name}”应于 {due} 完成，已逾期 {late} 天")
            });
        }
    }
    let missing = inputs.missing_reports.len();
    if missing > 0 {
        let months: Vec<String> = inputs.missing_reports.iter().map(|m| m.label()).collect();
        let shown = if months.len() > 4 {
            format!("{}等", months[months.len() - 4..].join("、"))
        } else {
            months.join("、")
        };
        reasons.push(CodeReason {
            code: if missing >= 2 { Code::Red } else { Code::Yellow },
            text: format!("{shown}月报逾期未报（共 {missing} 个月）"),
        });
    }
    for (title, due) in &inputs.unanswered_supervisions {
        if *due < today {
            reasons.push(CodeReason {
                code: Code::Red, text: format!("督办事项“{title}”应于 {due} 前回复，未回复")
            });
        }
    }
    reasons.sort_by_key(|r| std::cmp::Reverse(r.code));
    (reasons.first().map(|r| r.code).unwrap_or(Code::Green), reasons)
}

/// A responsible unit's code from its projects' codes (active projects only).
pub fn unit_code(red: usize, yellow: usize, active: usize) -> Code {
    if active == 0 {
        return Code::Green;
    }
    if red >= 3 || red * 5 >= active && red > 0 {
        Code::Red
    } else if red > 0 || (red + yellow) * 5 >= active && yellow > 0 {
        Code::Yellow
    } else {
        Code::Green
    }
}

/// Share of `done` in `plan` in per cent, one decimal; `None` without a plan.
pub fn rate(done: i64, plan: i64) -> Option<f64> {
    (plan > 0).then(|| ((done as f64) * 1000.0 / (plan as f64)).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn transitions_follow_the_path_or_terminate() {
        assert!(check_transition(Stage::Planning, Stage::Signed).is_ok());
        assert!(check_transition(Stage::Building, Stage::Terminated).is_ok());
        let e = check_transition(Stage::Planning, Stage::Started).unwrap_err();
        assert_eq!(e.to_string(), "不能从“谋划”变更为“开工”，允许的下一阶段：签约、终止");
        assert!(matches!(check_transition(Stage::Operating, Stage::Terminated), Err(TransitionError::Final { .. })));
        assert!(check_transition(Stage::Terminated, Stage::Planning).is_err());
        assert!(check_transition(Stage::Signed, Stage::Planning).is_err());
        assert_eq!(Stage::Completed.allowed_next(), vec![Stage::Operating, Stage::Terminated]);
        assert_eq!(Stage::parse("已签约"), Some(Stage::Signed));
        assert_eq!(Stage::parse("在建"), Some(Stage::Building));
        assert_eq!(Stage::parse("building"), Some(Stage::Building));
        assert_eq!(Stage::parse("已投产"), Some(Stage::Operating));
        assert_eq!(Stage::parse("开发"), None);
    }

    #[test]
    fn every_step_on_the_path_names_its_evidence() {
        for s in &Stage::PATH[1..] {
            assert!(!requirements(*s).is_empty(), "{s}");
        }
        assert!(requirements(Stage::Started).iter().any(|r| r.is_file()));
        assert!(requirements(Stage::Approval).iter().all(|r| !r.is_file()));
    }

    #[test]
    fn due_dates_follow_the_previous_milestone() {
        let (entered, start) = (d("2026-01-01"), d("2026-03-01"));
        let plan = |days, adjusted_due, done_on, anchor| MilestonePlan { days, adjusted_due, done_on, anchor };
        // Preparation from entry, capped at the planned start; ground-breaking on it; then onwards.
        let v = plan_due_dates(
            entered,
            start,
            &[
                plan(30, None, None, false),
                plan(60, None, None, false),
                plan(15, None, None, true),
                plan(10, None, None, false),
            ],
        );
        assert_eq!(v, vec![d("2026-01-31"), d("2026-03-01"), d("2026-03-01"), d("2026-03-11")]);
        // Done early: the next falls from the completion date.
        let v = plan_due_dates(
            entered,
            start,
            &[plan(30, None, Some(d("2026-01-10")), false), plan(10, None, None, false)],
        );
        assert_eq!(v[1], d("2026-01-20"));
        // A preparatory step set by hand after the planned start delays the ground-breaking.
        let v = plan_due_dates(
            entered,
            start,
            &[
                plan(30, Some(d("2026-04-01")), None, false),
                plan(15, None, None, false),
                plan(15, None, None, true),
                plan(10, None, None, false),
            ],
        );
        assert_eq!(v, vec![d("2026-04-01"), d("2026-04-01"), d("2026-04-01"), d("2026-04-11")]);
        // Without an anchor every milestone follows the previous one.
        let v = plan_due_dates(entered, start, &[plan(30, None, None, false), plan(10, None, None, false)]);
        assert_eq!(v, vec![d("2026-01-31"), d("2026-02-10")]);
    }

    #[test]
    fn months_parse_and_fall_due() {
        assert_eq!(Month::parse("2026-03"), Month::new(2026, 3));
        assert_eq!(Month::parse("2026年3月"), Month::new(2026, 3));
        assert_eq!(Month::parse("202612"), Month::new(2026, 12));
        assert_eq!(Month::parse("2026/13"), None);
        assert_eq!(Month::parse("26-03"), None);
        let m = Month::new(2026, 12).unwrap();
        assert_eq!(m.deadline(), d("2027-01-05"));
        assert_eq!(m.next().to_string(), "2027-01");
        assert_eq!(Month::new(2026, 1).unwrap().prev().to_string(), "2025-12");
        assert_eq!(Month::last_overdue(d("2026-11-05")).to_string(), "2026-09");
        assert_eq!(Month::last_overdue(d("2026-11-06")).to_string(), "2026-10");
        assert_eq!(Month::new(2025, 11).unwrap().count_to(Month::new(2026, 2).unwrap()), 4);
        assert_eq!(Month::new(2026, 3).unwrap().last_day(), d("2026-03-31"));
    }

    #[test]
    fn codes_follow_the_rules() {
        let today = d("2026-06-10");
        let mut i = CodeInputs::default();
        assert_eq!(project_code(Stage::Building, &i, today).0, Code::Green);
        i.open_milestones.push(("开工".into(), d("2026-06-01")));
        let (c, r) = project_code(Stage::Building, &i, today);
        assert_eq!(c, Code::Yellow);
        assert!(r[0].text.contains("已逾期 9 天"), "{r:?}");
        i.open_milestones.push(("竣工".into(), d("2026-05-01")));
        assert_eq!(project_code(Stage::Building, &i, today).0, Code::Red);
        assert_eq!(project_code(Stage::Operating, &i, today).0, Code::Green);
        let mut i = CodeInputs { missing_reports: vec![Month::new(2026, 4).unwrap()], ..Default::default() };
        assert_eq!(project_code(Stage::Signed, &i, today).0, Code::Yellow);
        i.missing_reports.push(Month::new(2026, 5).unwrap());
        let (c, r) = project_code(Stage::Signed, &i, today);
        assert_eq!(c, Code::Red);
        assert_eq!(r[0].text, "2026年4月、2026年5月月报逾期未报（共 2 个月）");
        let i = CodeInputs {
            unanswered_supervisions: vec![("加快供地".into(), d("2026-06-09"))],
            ..Default::default()
        };
        assert_eq!(project_code(Stage::Planning, &i, today).0, Code::Red);
        assert_eq!(project_code(Stage::Planning, &i, d("2026-06-09")).0, Code::Green);
    }

    #[test]
    fn unit_codes() {
        assert_eq!(unit_code(0, 0, 0), Code::Green);
        assert_eq!(unit_code(3, 0, 100), Code::Red);
        assert_eq!(unit_code(1, 0, 5), Code::Red);
        assert_eq!(unit_code(1, 0, 10), Code::Yellow);
        assert_eq!(unit_code(0, 2, 10), Code::Yellow);
        assert_eq!(unit_code(0, 1, 10), Code::Green);
    }

    #[test]
    fn labels_and_codes() {
        assert_eq!(code_of(&LAND_MODES, "先租后让"), Some("lease_then_sell"));
        assert_eq!(code_of(&KINDS, "新招引"), Some("new_attraction"));
        assert_eq!(code_of(&KINDS, "技术改造"), Some("upgrade"));
        assert_eq!(code_of(&KINDS, "x"), None);
        assert_eq!(rate(50, 200), Some(25.0));
        assert_eq!(rate(1, 0), None);
    }
}
