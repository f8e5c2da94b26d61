//! Enterprise problems 企业问题 (SPEC E): categories and sub-categories, the handling levels
//! county → lead department → chain chief with time limits in working days, the status state
//! machine and who may take each step, manual and automatic escalation, red/yellow codes
//! 赋码 with the rules that give them, satisfaction ratings, chain-wide grouping of similar
//! problems and de-duplication of imported ones. Time and the calendar are parameters.

use crate::project::{Code, CodeReason};
use crate::workday::Calendar;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

// ---------------------------------------------------------------------------------------
// Categories
// ---------------------------------------------------------------------------------------

/// What a problem is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Land,
    Funds,
    Talent,
    /// Energy and utilities: electricity, gas, water, heat.
    Energy,
    Approvals,
    Market,
    Logistics,
    /// Arrears owed to the enterprise 拖欠账款.
    Arrears,
    /// Rights protection and market access.
    Rights,
    Other,
}

/// A sub-category: (code, label).
pub type SubCategory = (&'static str, &'static str);

impl Category {
    pub const ALL: [Category; 10] = [
        Category::Land,
        Category::Funds,
        Category::Talent,
        Category::Energy,
        Category::Approvals,
        Category::Market,
        Category::Logistics,
        Category::Arrears,
        Category::Rights,
        Category::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Category::Land => "land",
            Category::Funds => "funds",
            Category::Talent => "talent",
            Category::Energy => "energy",
            Category::Approvals => "approvals",
            Category::Market => "market",
            Category::Logistics => "logistics",
            Category::Arrears => "arrears",
            Category::Rights => "rights",
            Category::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Land => "用地",
            Category::Funds => "资金",
            Category::Talent => "人才",
            Category::Energy => "能源要素",
            Category::Approvals => "审批",
            Category::Market => "市场",
            Category::Logistics => "物流",
            Category::Arrears => "拖欠账款",
            Category::Rights => "权益保护与市场准入",
            Category::Other => "其他",
        }
    }

    /// The sub-categories, in the order forms show them.
    /// The city department a problem of this category is routed to as co-handler at every
    /// level (and as handler at the lead-department level when the problem names no chain):
    /// codes of `data/departments.csv`.
    pub fn department(self) -> &'static str {
        match self {
            Category::Land => "zrzyj",
            Category::Funds => "czj",
            Category::Talent => "rsj",
            Category::Energy => "nycyj",
            Category::Approvals => "fgw",
            Category::Market => "swj",
            Category::Logistics => "jtysj",
            Category::Arrears => "jxj",
            Category::Rights => "scjgj",
            Category::Other => "rqqlb",
        }
    }

    pub fn subcategories(self) -> &'static [SubCategory] {
        match self {
            Category::Land => &[
                ("land_quota", "用地指标"),
                ("land_approval", "土地报批"),
                ("land_supply", "土地供应"),
                ("property_registration", "不动产登记"),
                ("factory_lease", "厂房租赁"),
                ("inefficient_land", "闲置低效用地盘活"),
            ],
            Category::Funds => &[
                ("bank_loan", "银行贷款"),
                ("guarantee", "融资担保"),
                ("loan_renewal", "续贷转贷"),
                ("equity_financing", "股权融资"),
                ("subsidy", "奖补资金兑现"),
                ("tax_fee", "税费减免"),
            ],
            Category::Talent => &[
                ("recruitment", "招工用工"),
                ("high_level_talent", "高层次人才引进"),
                ("skills_training", "职业技能培训"),
                ("talent_housing", "人才住房"),
                ("children_schooling", "子女入学"),
            ],
            Category::Energy => &[
                ("electricity", "用电保障"),
                ("natural_gas", "用气保障"),
                ("water", "供水排水"),
                ("heat", "供热供汽"),
                ("energy_price", "用能价格"),
                ("energy_quota", "能耗指标"),
            ],
            Category::Approvals => &[
                ("project_filing", "立项备案核准"),
                ("planning_permit", "规划许可"),
                ("construction_permit", "施工许可与竣工验收"),
                ("eia", "环评能评安评"),
                ("fire_safety", "消防审验"),
                ("licence", "资质证照"),
            ],
            Category::Market => &[
                ("market_expansion", "市场开拓"),
                ("local_supporting", "本地配套对接"),
                ("government_procurement", "政府采购"),
                ("export", "外贸出口"),
                ("brand", "品牌推广"),
            ],
            Category::Logistics => &[
                ("freight_cost", "物流成本"),
                ("road_transport", "道路运输"),
                ("rail_port", "铁路与港口"),
                ("warehousing", "仓储设施"),
                ("hazardous_transport", "危化品运输"),
            ],
            Category::Arrears => &[
                ("government_arrears", "机关事业单位拖欠"),
                ("soe_arrears", "国有企业拖欠"),
                ("large_enterprise_arrears", "大型企业拖欠中小企业"),
                ("construction_payment", "工程款拖欠"),
                ("deposit_refund", "保证金退还"),
            ],
            Category::Rights => &[
                ("ip_protection", "知识产权保护"),
                ("fair_competition", "公平竞争"),
                ("market_access", "市场准入"),
                ("enforcement", "涉企执法检查"),
                ("arbitrary_charges", "乱收费乱罚款"),
                ("contract_dispute", "合同纠纷"),
            ],
            Category::Other => &[
                ("policy_consultation", "政策咨询"),
                ("infrastructure", "园区基础设施配套"),
                ("living_services", "生活配套"),
                ("suggestion", "意见建议"),
                ("other", "其他"),
            ],
        }
    }

    /// A sub-category's code by its code or label; `None` if it is not one of this category.
    pub fn subcategory(self, s: &str) -> Option<&'static str> {
        let t = s.trim();
        self.subcategories().iter().find(|(c, l)| *c == t || *l == t).map(|(c, _)| *c)
    }

    /// A sub-category's label by its code (empty if unknown).
    pub fn subcategory_label(self, code: &str) -> &'static str {
        self.subcategories().iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
    }

    /// By code (`land`) or label (`用地`, also `用地问题`, and the short forms people write:
    /// `能源`, `水电气`, `融资`, `欠款`, `权益保护`, `市场准入`).
    pub fn parse(s: &str) -> Option<Category> {
        let t = s.trim();
        let t = t.strip_suffix("问题").or_else(|| t.strip_suffix("类")).unwrap_or(t).trim();
        if t.is_empty() {
            return None;
        }
        if let Some(c) = Category::ALL.into_iter().find(|c| c.code() == t || c.label() == t) {
            return Some(c);
        }
        match t {
            "土地" | "用地保障" => Some(Category::Land),
            "融资" | "资金保障" | "融资资金" => Some(Category::Funds),
            "人才用工" | "用工" => Some(Category::Talent),
            "能源" | "要素保障" | "水电气" | "水电气暖" | "能源要素保障" => Some(Category::Energy),
            "行政审批" | "审批服务" => Some(Category::Approvals),
            "市场开拓" | "市场拓展" => Some(Category::Market),
            "物流运输" | "交通物流" => Some(Category::Logistics),
            "欠款" | "拖欠" | "账款拖欠" | "拖欠企业账款" => Some(Category::Arrears),
            "权益保护" | "市场准入" | "权益" => Some(Category::Rights),
            _ => None,
        }
    }

    /// The category of a 12345 hotline record from its free-text category (often a path
    /// such as `经济管理>企业服务>融资难`) or title: an exact code, label or sub-category
    /// label first, then keywords in a fixed order (arrears before funds, rights before
    /// market, energy before approvals, so `拖欠工程款`, `市场准入` and `用电报装审批` land
    /// where a handler would put them); [`Category::Other`] when nothing matches.
    pub fn from_hotline(text: &str) -> Category {
        let t = text.trim();
        if let Some(c) = Category::parse(t) {
            return c;
        }
        for c in Category::ALL {
            if c != Category::Other && c.subcategories().iter().any(|(_, l)| *l == t) {
                return c;
            }
        }
        const KEYWORDS: &[(Category, &[&str])] = &[
            (Category::Arrears, &["欠款", "拖欠", "账款", "欠账", "欠费未付", "工程款", "保证金", "清欠"]),
            (
                Category::Rights,
                &[
                    "知识产权",
                    "侵权",
                    "专利",
                    "商标",
                    "执法",
                    "乱收费",
                    "乱罚款",
                    "乱摊派",
                    "垄断",
                    "准入",
                    "公平竞争",
                    "权益",
                    "纠纷",
                ],
            ),
            (
                Category::Energy,
                &[
                    "用电",
                    "用气",
                    "用水",
                    "电价",
                    "气价",
                    "水价",
                    "停电",
                    "供电",
                    "供气",
                    "供水",
                    "断水",
                    "燃气",
                    "天然气",
                    "电力",
                    "电费",
                    "能耗",
                    "供热",
                    "蒸汽",
                    "排水",
                    "水电气",
                ],
            ),
            (Category::Land, &["用地", "土地", "厂房", "不动产", "地块", "征地", "宗地", "产权证"]),
            (
                Category::Funds,
                &["融资", "贷款", "续贷", "转贷", "担保", "资金", "补贴", "奖补", "税费", "退税", "减税"],
            ),
            (Category::Talent, &["人才", "招工", "用工", "招聘", "培训", "落户", "入学", "技工"]),
            (
                Category::Logistics,
                &["物流", "运输", "仓储", "货运", "快递", "道路", "交通", "铁路", "港口", "危化品车"],
            ),
            (
                Category::Approvals,
                &[
                    "审批", "许可", "备案", "核准", "环评", "能评", "安评", "消防", "证照", "办证", "资质", "执照",
                    "验收", "报建",
                ],
            ),
            (Category::Market, &["市场", "销售", "订单", "采购", "销路", "出口", "外贸", "招标", "配套"]),
        ];
        KEYWORDS
            .iter()
            .find(|(_, words)| words.iter().any(|w| t.contains(w)))
            .map(|(c, _)| *c)
            .unwrap_or(Category::Other)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where a problem came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Raised by the enterprise in the 企业之家 portal.
    Portal,
    /// Recorded by staff after a visit 走访调研.
    Visit,
    /// Imported from a 12345 hotline export.
    Hotline,
    /// Sent by another system through the API.
    Api,
    /// Met by a key project and reported in its monthly report 项目月报.
    Project,
}

impl Source {
    pub const ALL: [Source; 5] = [Source::Portal, Source::Visit, Source::Hotline, Source::Api, Source::Project];

    pub fn code(self) -> &'static str {
        match self {
            Source::Portal => "portal",
            Source::Visit => "visit",
            Source::Hotline => "hotline",
            Source::Api => "api",
            Source::Project => "project",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Source::Portal => "企业之家",
            Source::Visit => "走访调研",
            Source::Hotline => "12345热线",
            Source::Api => "系统接口",
            Source::Project => "项目月报",
        }
    }
    pub fn parse(s: &str) -> Option<Source> {
        let t = s.trim();
        Source::ALL.into_iter().find(|x| x.code() == t || x.label() == t)
    }
}

/// Longest problem title, in characters.
pub const MAX_TITLE_CHARS: usize = 100;
/// Longest description, reply or reason, in characters.
pub const MAX_TEXT_CHARS: usize = 5000;

/// Checks a new problem's title and description (trimmed; both required).
pub fn check_content(title: &str, description: &str) -> Result<(), ProblemError> {
    check_len("问题标题", title, MAX_TITLE_CHARS)?;
    check_len("问题描述", description, MAX_TEXT_CHARS)
}

fn check_len(what: &'static str, text: &str, max: usize) -> Result<(), ProblemError> {
    let n = text.trim().chars().count();
    if n == 0 {
        Err(ProblemError::MissingText { what })
    } else if n > max {
        Err(ProblemError::TooLong { what, max, len: n })
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Levels and time limits
// ---------------------------------------------------------------------------------------

/// The level handling a problem: the county or park first, then the chain's lead
/// department, then the chain chief.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    County,
    LeadDepartment,
    Chief,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::County, Level::LeadDepartment, Level::Chief];

    pub fn code(self) -> &'static str {
        match self {
            Level::County => "county",
            Level::LeadDepartment => "lead_department",
            Level::Chief => "chief",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Level::County => "县级",
            Level::LeadDepartment => "牵头部门",
            Level::Chief => "链长",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        let t = s.trim();
        Level::ALL.into_iter().find(|l| l.code() == t || l.label() == t).or(match t {
            "县市区" | "园区" | "县市区/园区" | "区县" => Some(Level::County),
            "链长制" | "链长层级" => Some(Level::Chief),
            _ => None,
        })
    }
    /// The level a problem escalates to; none above the chain chief.
    pub fn next(self) -> Option<Level> {
        match self {
            Level::County => Some(Level::LeadDepartment),
            Level::LeadDepartment => Some(Level::Chief),
            Level::Chief => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Longest time limit a city may set for a level, in working days.
pub const MAX_LIMIT_WORKDAYS: u32 = 60;

/// Time limits per level in working days, counted from the day the problem reached the
/// level (that day not counted). A city configures them; the defaults are 10, 10 and 15.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    pub county: u32,
    pub lead_department: u32,
    pub chief: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { county: 10, lead_department: 10, chief: 15 }
    }
}

impl Limits {
    pub fn days(&self, level: Level) -> u32 {
        match level {
            Level::County => self.county,
            Level::LeadDepartment => self.lead_department,
            Level::Chief => self.chief,
        }
    }

    /// Each limit must be 1–60 working days.
    pub fn validate(&self) -> Result<(), ProblemError> {
        for level in Level::ALL {
            let days = self.days(level);
            if !(1..=MAX_LIMIT_WORKDAYS).contains(&days) {
                return Err(ProblemError::BadLimit { level, days });
            }
        }
        Ok(())
    }

    /// The deadline of a problem that reached `level` on `since`.
    pub fn deadline(&self, cal: &Calendar, level: Level, since: NaiveDate) -> NaiveDate {
        cal.add_workdays(since, self.days(level))
    }
}

// ---------------------------------------------------------------------------------------
// Status state machine
// ---------------------------------------------------------------------------------------

/// Where a problem stands. Escalation is not a status: it moves the level and keeps the
/// status; reopening sends an answered problem back to 办理中 at the same level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Submitted,
    Accepted,
    Answered,
    Closed,
    Withdrawn,
    Rejected,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::Submitted, Status::Accepted, Status::Answered, Status::Closed, Status::Withdrawn, Status::Rejected];

    pub fn code(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Accepted => "accepted",
            Status::Answered => "answered",
            Status::Closed => "closed",
            Status::Withdrawn => "withdrawn",
            Status::Rejected => "rejected",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Submitted => "待受理",
            Status::Accepted => "办理中",
            Status::Answered => "已答复",
            Status::Closed => "已办结",
            Status::Withdrawn => "已撤回",
            Status::Rejected => "不予受理",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        let t = s.trim();
        Status::ALL.into_iter().find(|x| x.code() == t || x.label() == t)
    }
    /// No step leads on from 已办结, 已撤回 or 不予受理.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Closed | Status::Withdrawn | Status::Rejected)
    }
    /// Waiting for an answer: the time limit runs, codes apply, escalation is possible.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Submitted | Status::Accepted)
    }
    fn final_phrase(self) -> &'static str {
        match self {
            Status::Rejected => "已不予受理",
            s => s.label(),
        }
    }
    /// Every action possible from this status (automatic ones included), in [`Action::ALL`] order.
    pub fn allowed_actions(self) -> Vec<Action> {
        Action::ALL.into_iter().filter(|a| next_status(self, *a).is_some()).collect()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A step on a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The handling unit accepts the problem.
    Accept,
    /// The handling unit declines it, with a reason 不予受理.
    Reject,
    /// The handling unit replies.
    Answer,
    /// The enterprise confirms the answer and rates it.
    Confirm,
    /// The enterprise says it is not solved (or the office's re-check 复核 sends it back).
    Reopen,
    /// The enterprise withdraws it before it is answered.
    Withdraw,
    /// Moves the problem one level up (by hand with a reason, or automatically).
    Escalate,
    /// The system closes an answer the enterprise left unrated for [`RATING_WINDOW_WORKDAYS`].
    AutoClose,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Accept,
        Action::Reject,
        Action::Answer,
        Action::Confirm,
        Action::Reopen,
        Action::Withdraw,
        Action::Escalate,
        Action::AutoClose,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Reject => "reject",
            Action::Answer => "answer",
            Action::Confirm => "confirm",
            Action::Reopen => "reopen",
            Action::Withdraw => "withdraw",
            Action::Escalate => "escalate",
            Action::AutoClose => "auto_close",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Action::Accept => "受理",
            Action::Reject => "不予受理",
            Action::Answer => "答复",
            Action::Confirm => "确认办结并评价",
            Action::Reopen => "重新办理",
            Action::Withdraw => "撤回",
            Action::Escalate => "升级",
            Action::AutoClose => "超期未评价自动办结",
        }
    }
    pub fn parse(s: &str) -> Option<Action> {
        let t = s.trim();
        Action::ALL.into_iter().find(|a| a.code() == t || a.label() == t)
    }
    /// Who may take this step.
    pub fn actors(self) -> &'static [Actor] {
        match self {
            Action::Accept | Action::Reject | Action::Answer => &[Actor::HandlingUnit],
            Action::Confirm | Action::Withdraw => &[Actor::Enterprise],
            Action::Reopen => &[Actor::Enterprise, Actor::Office],
            Action::Escalate => &[Actor::HandlingUnit, Actor::Office, Actor::System],
            Action::AutoClose => &[Actor::System],
        }
    }
    /// Only the system takes it; it is left out of the actions offered to people.
    pub fn is_automatic(self) -> bool {
        self.actors() == [Actor::System]
    }
    /// The text the step needs (its label for the form and the message), if any. A manual
    /// escalation needs its reason; an automatic one states its own.
    pub fn required_text(self) -> Option<&'static str> {
        match self {
            Action::Reject => Some("不予受理理由"),
            Action::Answer => Some("答复内容"),
            Action::Reopen => Some("重新办理理由"),
            Action::Escalate => Some("升级理由"),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Who takes a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The enterprise that raised the problem.
    Enterprise,
    /// The unit handling it at its current level.
    HandlingUnit,
    /// The coordination office 融圈强链办.
    Office,
    /// The scheduled sweep (deadlines, rating window).
    System,
}

impl Actor {
    pub fn label(self) -> &'static str {
        match self {
            Actor::Enterprise => "提出问题的企业",
            Actor::HandlingUnit => "当前承办单位",
            Actor::Office => "融圈强链办",
            Actor::System => "系统",
        }
    }
}

/// Why a step on a problem is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProblemError {
    #[error("问题{}，不能再{}", .from.final_phrase(), .action.label())]
    Final { from: Status, action: Action },
    #[error("问题处于“{}”状态，不能{}，可执行的操作：{}", .from.label(), .action.label(), action_labels(.allowed))]
    Illegal { from: Status, action: Action, allowed: Vec<Action> },
    #[error("“{}”只能由{}办理", .action.label(), actor_labels(.action.actors()))]
    NotAllowed { action: Action, actor: Actor },
    #[error("问题已在链长层级，不能再升级，请列入链长推进会议研究")]
    TopLevel,
    #[error("请填写{what}")]
    MissingText { what: &'static str },
    #[error("{what}最多 {max} 字，现有 {len} 字")]
    TooLong { what: &'static str, max: usize, len: usize },
    #[error("评分应为 1–5 的整数（5 分最满意），收到 {0}")]
    BadRating(i64),
    #[error("{}办理时限应为 1–{MAX_LIMIT_WORKDAYS} 个工作日，收到 {days}", .level.label())]
    BadLimit { level: Level, days: u32 },
}

fn action_labels(a: &[Action]) -> String {
    let v: Vec<&str> = a.iter().filter(|a| !a.is_automatic()).map(|a| a.label()).collect();
    if v.is_empty() { "无".to_string() } else { v.join("、") }
}

fn actor_labels(a: &[Actor]) -> String {
    let v: Vec<&str> = a.iter().filter(|a| **a != Actor::System).map(|a| a.label()).collect();
    if v.is_empty() { Actor::System.label().to_string() } else { v.join("或") }
}

/// The one table of the state machine.
fn next_status(from: Status, action: Action) -> Option<Status> {
    use Action as A;
    use Status as S;
    match (from, action) {
        (S::Submitted, A::Accept) => Some(S::Accepted),
        (S::Submitted, A::Reject) => Some(S::Rejected),
        (S::Submitted | S::Accepted, A::Withdraw) => Some(S::Withdrawn),
        (S::Submitted | S::Accepted, A::Escalate) => Some(from),
        (S::Accepted, A::Answer) => Some(S::Answered),
        (S::Answered, A::Confirm | A::AutoClose) => Some(S::Closed),
        (S::Answered, A::Reopen) => Some(S::Accepted),
        _ => None,
    }
}

/// The status `action` leads to from `from`, or why it cannot be taken, naming the
/// actions that can. Escalation keeps the status (see [`check_manual_escalation`] for the
/// level rules).
pub fn can(from: Status, action: Action) -> Result<Status, ProblemError> {
    if from.is_final() {
        return Err(ProblemError::Final { from, action });
    }
    next_status(from, action).ok_or_else(|| ProblemError::Illegal { from, action, allowed: from.allowed_actions() })
}

/// Whether `actor` may take `action` at all (scopes — *which* enterprise or unit — are the
/// caller's to check).
pub fn check_actor(action: Action, actor: Actor) -> Result<(), ProblemError> {
    if action.actors().contains(&actor) { Ok(()) } else { Err(ProblemError::NotAllowed { action, actor }) }
}

/// The trimmed text of a step, required and bounded where the step needs one.
pub fn check_text(action: Action, text: &str) -> Result<String, ProblemError> {
    match action.required_text() {
        Some(what) => check_len(what, text, MAX_TEXT_CHARS)?,
        None => {
            let n = text.trim().chars().count();
            if n > MAX_TEXT_CHARS {
                return Err(ProblemError::TooLong { what: "说明", max: MAX_TEXT_CHARS, len: n });
            }
        }
    }
    Ok(text.trim().to_string())
}

/// A manual escalation: only an open (待受理 or 办理中) problem, only from the county or
/// lead-department level, only with a reason. Gives the level it moves to.
pub fn check_manual_escalation(status: Status, level: Level, reason: &str) -> Result<Level, ProblemError> {
    can(status, Action::Escalate)?;
    let to = level.next().ok_or(ProblemError::TopLevel)?;
    check_len("升级理由", reason, MAX_TEXT_CHARS)?;
    Ok(to)
}

/// Whether the problem must escalate by itself on `today`: open, below the chief, and
/// its level's deadline has passed unanswered.
pub fn auto_escalation_due(status: Status, level: Level, deadline: NaiveDate, today: NaiveDate) -> bool {
    status.is_open() && level.next().is_some() && today > deadline
}

/// One automatic escalation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AutoEscalation {
    pub from: Level,
    pub to: Level,
    /// The deadline that passed.
    pub missed: NaiveDate,
    /// The day it escalates: the day after the missed deadline.
    pub on: NaiveDate,
    /// The new level's deadline, counted from `on`.
    pub deadline: NaiveDate,
}

impl AutoEscalation {
    /// The reason recorded with the escalation.
    pub fn reason(&self) -> String {
        format!("{}办理期限 {} 已过仍未答复，自动升级至{}", self.from.label(), self.missed, self.to.label())
    }
}

/// Every automatic escalation due by `today` for an open problem that reached `level` on
/// `since`, in order — more than one when the sweep has not run for a while (a problem
/// left at the county and then at the lead department goes on to the chief).
pub fn auto_escalations(
    cal: &Calendar,
    limits: &Limits,
    status: Status,
    level: Level,
    since: NaiveDate,
    today: NaiveDate,
) -> Vec<AutoEscalation> {
    let mut out = Vec::new();
    if !status.is_open() {
        return out;
    }
    let (mut level, mut deadline) = (level, limits.deadline(cal, level, since));
    while let Some(to) = level.next() {
        if today <= deadline {
            break;
        }
        let on = deadline.succ_opt().unwrap_or(deadline);
        let next_deadline = limits.deadline(cal, to, on);
        out.push(AutoEscalation { from: level, to, missed: deadline, on, deadline: next_deadline });
        level = to;
        deadline = next_deadline;
    }
    out
}

/// Working days an enterprise has to rate an answer before it is closed without a rating.
pub const RATING_WINDOW_WORKDAYS: u32 = 5;

/// Whether an answered problem left unrated since `answered_on` closes by itself on `today`.
pub fn auto_close_due(cal: &Calendar, status: Status, answered_on: NaiveDate, today: NaiveDate) -> bool {
    status == Status::Answered && today > cal.add_workdays(answered_on, RATING_WINDOW_WORKDAYS)
}

// ---------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------

/// An open problem this many working days or fewer before its deadline is yellow.
pub const YELLOW_WORKDAYS: i64 = 2;

/// The rules that give problem codes, as shown next to every code.
pub const PROBLEM_CODE_RULES: [&str; 6] = [
    "办理时限按工作日计算（扣除法定节假日，调休上班日计入），自问题到达本层级的次日起算；默认时限县级 10 个、牵头部门 10 个、链长 15 个工作日，可由市级统一调整",
    "距本层级办理期限 2 个工作日以内（含期限当日）仍未答复：黄码",
    "超过本层级办理期限仍未答复：红码；县级、牵头部门层级同时自动升级至上一层级，按新层级时限重新计算",
    "已答复、已办结、已撤回、不予受理的问题不赋码；重新办理的问题自重新办理之日起按本层级时限计算",
    "承办单位：红码问题（含在本单位逾期后被自动升级的问题）3 个及以上，或占其承办问题 20% 及以上：红码",
    "承办单位：有红码问题，或黄码、红码问题合计占其承办问题 20% 及以上：黄码；其余绿码",
];

/// The code of one problem on `today`, with its reason. Only open problems (待受理,
/// 办理中) are coded: red once `today` is past the deadline, yellow from
/// [`YELLOW_WORKDAYS`] working days before it through the deadline day.
pub fn problem_code(
    cal: &Calendar,
    status: Status,
    level: Level,
    deadline: NaiveDate,
    today: NaiveDate,
) -> (Code, Option<CodeReason>) {
    if !status.is_open() {
        return (Code::Green, None);
    }
    if today > deadline {
        let late = (today - deadline).num_days();
        let text = format!("{}办理期限为 {deadline}，已逾期 {late} 天未答复", level.label());
        return (Code::Red, Some(CodeReason { code: Code::Red, text }));
    }
    let left = cal.workdays_between(today, deadline);
    if left <= YELLOW_WORKDAYS {
        let text = if today == deadline {
            format!("{}办理期限为今日（{deadline}），尚未答复", level.label())
        } else {
            format!("{}办理期限为 {deadline}，仅剩 {left} 个工作日", level.label())
        };
        return (Code::Yellow, Some(CodeReason { code: Code::Yellow, text }));
    }
    (Code::Green, None)
}

/// A handling unit's code from its problems' codes (the same thresholds as projects'
/// responsible units): `handled` counts the problems it holds or let lapse in the period.
pub fn unit_code(red: usize, yellow: usize, handled: usize) -> Code {
    crate::project::unit_code(red, yellow, handled)
}

// ---------------------------------------------------------------------------------------
// Satisfaction and rates
// ---------------------------------------------------------------------------------------

/// The enterprise's verdict on an answer, from its 1–5 rating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Unsatisfied,
    Basic,
    Satisfied,
}

impl Satisfaction {
    /// 4–5 满意, 3 基本满意, 1–2 不满意; anything else is refused.
    pub fn from_rating(rating: i64) -> Result<Satisfaction, ProblemError> {
        match rating {
            4 | 5 => Ok(Satisfaction::Satisfied),
            3 => Ok(Satisfaction::Basic),
            1 | 2 => Ok(Satisfaction::Unsatisfied),
            r => Err(ProblemError::BadRating(r)),
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::Basic => "basic",
            Satisfaction::Unsatisfied => "unsatisfied",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "满意",
            Satisfaction::Basic => "基本满意",
            Satisfaction::Unsatisfied => "不满意",
        }
    }
    /// Counts towards the satisfaction rate (满意 and 基本满意).
    pub fn is_positive(self) -> bool {
        self != Satisfaction::Unsatisfied
    }
}

/// 满意率: share of rated answers rated 满意 or 基本满意 (3–5), per cent with one decimal;
/// `None` when nothing was rated. Invalid ratings are ignored.
pub fn satisfaction_rate(ratings: &[i64]) -> Option<f64> {
    let valid: Vec<Satisfaction> = ratings.iter().filter_map(|r| Satisfaction::from_rating(*r).ok()).collect();
    let positive = valid.iter().filter(|s| s.is_positive()).count();
    crate::project::rate(positive as i64, valid.len() as i64)
}

/// 办结率: closed problems among those accepted for handling (withdrawn and rejected ones
/// left out by the caller), per cent with one decimal.
pub fn closure_rate(closed: i64, handled: i64) -> Option<f64> {
    crate::project::rate(closed, handled)
}

// ---------------------------------------------------------------------------------------
// Text similarity, chain-wide grouping and de-duplication
// ---------------------------------------------------------------------------------------

/// Words that appear in almost every complaint and say nothing about its subject; they are
/// dropped before comparing token sets, so two unrelated problems do not look alike
/// because both “希望政府部门协调解决公司问题”.
pub const STOP_WORDS: &[&str] = &[
    "的", "了", "和", "与", "及", "或", "在", "是", "有", "无", "不", "也", "都", "就", "被", "把", "对", "向", "给",
    "让", "从", "到", "为", "以", "等", "并", "而", "且", "但", "其", "该", "此", "这", "那", "这个", "那个", "我",
    "我们", "我司", "本", "公司", "企业", "单位", "贵", "你们", "他们", "问题", "情况", "希望", "请求", "请", "要求",
    "反映", "诉求", "需要", "目前", "现在", "一直", "由于", "因为", "所以", "导致", "相关", "部门", "政府", "协调",
    "解决", "帮助", "支持", "进行", "没有", "能够", "可以", "已经", "是否", "如何", "什么", "一个", "一些", "还", "又",
    "很", "非常", "较", "比较", "今年", "去年", "尽快", "给予", "存在", "方面",
];

/// Tokens as compared: trimmed, ASCII lower-cased, without empty, punctuation-only and
/// stop-word tokens.
pub fn token_set(tokens: &[String]) -> BTreeSet<String> {
    tokens
        .iter()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| t.chars().any(char::is_alphanumeric) && !STOP_WORDS.contains(&t.as_str()))
        .collect()
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let inter = a.intersection(b).count();
    let union = a.len() + b.len() - inter;
    if union == 0 { 0.0 } else { inter as f64 / union as f64 }
}

/// The similarity of two problem texts: the Jaccard index |A ∩ B| / |A ∪ B| of their token
/// sets (see [`token_set`]), from 0 (nothing shared) to 1 (the same words). The tokens
/// come from the caller's jieba tokenizer (search mode off). Word order and repetition do
/// not count, so two enterprises saying the same thing in their own order match; two
/// empty texts have similarity 0.
pub fn similarity(a: &[String], b: &[String]) -> f64 {
    jaccard(&token_set(a), &token_set(b))
}

/// A chain-wide problem needs this many distinct enterprises.
pub const CHAIN_WIDE_MIN_ENTERPRISES: usize = 3;
/// … raising it within this many days (the first and the last at most 90 days apart).
pub const CHAIN_WIDE_WINDOW_DAYS: i64 = 90;
/// … with texts at least this similar (Jaccard, see [`similarity`]), linked pairwise.
///
/// Why 0.3: an enterprise problem is short (20–150 characters, 8–30 content tokens after
/// stop words). Two enterprises describing the same difficulty — `天然气价格上涨，供气不足
/// 影响生产` and `供气不足，天然气价格高，被迫停产` — share the subject words and differ
/// in the rest, giving 0.3–0.6; different problems of the same category share one or two
/// words (0.05–0.2). 0.3 keeps the first and drops the second; the same-chain,
/// same-category and 90-day conditions keep chance matches out, and the lead department
/// reviews a group before it goes on the chief's agenda.
pub const CHAIN_WIDE_SIMILARITY: f64 = 0.3;

/// One problem as the grouping sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProblemForGrouping {
    pub chain_id: i64,
    pub category: Category,
    pub enterprise_id: i64,
    pub raised_on: NaiveDate,
    /// jieba tokens of title and description.
    pub tokens: Vec<String>,
}

/// Chain-wide problems among `items`: indices of the problems of each group.
///
/// Two problems are linked when they are of the same chain and category, raised at most
/// [`CHAIN_WIDE_WINDOW_DAYS`] apart and at least [`CHAIN_WIDE_SIMILARITY`] similar; a
/// group is a connected set of links (single linkage) in which some 90-day span holds
/// problems of at least [`CHAIN_WIDE_MIN_ENTERPRISES`] distinct enterprises. Repeated
/// problems of one enterprise join its group but count once. Groups list indices in
/// ascending order and come ordered by their first index, so the result depends only on
/// the input.
pub fn group_chain_wide(items: &[ProblemForGrouping]) -> Vec<Vec<usize>> {
    let sets: Vec<BTreeSet<String>> = items.iter().map(|p| token_set(&p.tokens)).collect();
    let mut buckets: BTreeMap<(i64, Category), Vec<usize>> = BTreeMap::new();
    for (i, p) in items.iter().enumerate() {
        buckets.entry((p.chain_id, p.category)).or_default().push(i);
    }
    let mut parent: Vec<usize> = (0..items.len()).collect();
    for idx in buckets.values_mut() {
        idx.sort_by_key(|i| (items[*i].raised_on, *i));
        for (k, &a) in idx.iter().enumerate() {
            for &b in &idx[k + 1..] {
                if (items[b].raised_on - items[a].raised_on).num_days() > CHAIN_WIDE_WINDOW_DAYS {
                    break;
                }
                if jaccard(&sets[a], &sets[b]) >= CHAIN_WIDE_SIMILARITY {
                    union(&mut parent, a, b);
                }
            }
        }
    }
    let mut comps: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..items.len() {
        let r = find(&mut parent, i);
        comps.entry(r).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> =
        comps.into_values().filter(|c| c.len() >= CHAIN_WIDE_MIN_ENTERPRISES && spans_enough(items, c)).collect();
    for g in &mut groups {
        g.sort_unstable();
    }
    groups.sort_by_key(|g| g[0]);
    groups
}

/// Whether some window of 90 days holds problems of enough distinct enterprises.
fn spans_enough(items: &[ProblemForGrouping], members: &[usize]) -> bool {
    let mut by_date: Vec<usize> = members.to_vec();
    by_date.sort_by_key(|i| (items[*i].raised_on, *i));
    let mut counts: HashMap<i64, usize> = HashMap::new();
    let mut left = 0;
    for right in 0..by_date.len() {
        *counts.entry(items[by_date[right]].enterprise_id).or_default() += 1;
        while (items[by_date[right]].raised_on - items[by_date[left]].raised_on).num_days() > CHAIN_WIDE_WINDOW_DAYS {
            let e = items[by_date[left]].enterprise_id;
            if let Some(c) = counts.get_mut(&e) {
                *c -= 1;
                if *c == 0 {
                    counts.remove(&e);
                }
            }
            left += 1;
        }
        if counts.len() >= CHAIN_WIDE_MIN_ENTERPRISES {
            return true;
        }
    }
    false
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        // The smaller index becomes the root, so roots do not depend on the link order.
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        parent[hi] = lo;
    }
}

/// Two records of the same enterprise at least this similar are one problem.
pub const DUPLICATE_SIMILARITY: f64 = 0.8;

/// Text as compared for exact duplicates: full-width letters and digits made ASCII, ASCII
/// lower-cased, whitespace and punctuation removed (`“停电， 影响生产！”` → `停电影响生产`).
pub fn normalize_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The key under which an imported text is an exact duplicate of a stored one (the same
/// enterprise's record with the same key is the same problem).
pub fn dedup_key(text: &str) -> String {
    normalize_text(text)
}

/// Whether an imported record repeats a stored problem: records of different enterprises
/// are never duplicates (several enterprises raising the same thing make a chain-wide
/// problem, see [`group_chain_wide`]); the same enterprise's records are duplicates when
/// their similarity is at least [`DUPLICATE_SIMILARITY`]. For hotline records without an
/// identified enterprise the caller passes whether the callers are the same (same phone).
pub fn is_duplicate(a_tokens: &[String], b_tokens: &[String], same_enterprise: bool) -> bool {
    same_enterprise && similarity(a_tokens, b_tokens) >= DUPLICATE_SIMILARITY
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn toks(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn cal() -> Calendar {
        Calendar::default_embedded()
    }

    #[test]
    fn categories_have_codes_labels_and_subcategories() {
        let mut codes = BTreeSet::new();
        for c in Category::ALL {
            assert!(codes.insert(c.code()), "{c:?}");
            assert_eq!(Category::parse(c.code()), Some(c));
            assert_eq!(Category::parse(c.label()), Some(c));
            let subs = c.subcategories();
            assert!((3..=6).contains(&subs.len()), "{c:?}");
            let mut seen = BTreeSet::new();
            for (code, label) in subs {
                assert!(seen.insert(*code), "{code}");
                assert_eq!(c.subcategory(code), Some(*code));
                assert_eq!(c.subcategory(label), Some(*code));
                assert_eq!(c.subcategory_label(code), *label);
            }
        }
        assert_eq!(Category::parse("用地问题"), Some(Category::Land));
        assert_eq!(Category::parse("水电气"), Some(Category::Energy));
        assert_eq!(Category::parse("市场准入"), Some(Category::Rights));
        assert_eq!(Category::parse("天气"), None);
        assert_eq!(Category::Land.subcategory("厂房租赁"), Some("factory_lease"));
        assert_eq!(Category::Land.subcategory("银行贷款"), None);
        assert_eq!(serde_json::to_string(&Category::Arrears).unwrap(), "\"arrears\"");
    }

    #[test]
    fn hotline_categories_map_by_keyword() {
        assert_eq!(Category::from_hotline("经济管理>企业服务>拖欠企业账款"), Category::Arrears);
        assert_eq!(Category::from_hotline("政府部门拖欠工程款"), Category::Arrears);
        assert_eq!(Category::from_hotline("城乡建设>供水>企业用水"), Category::Energy);
        assert_eq!(Category::from_hotline("工业用电电价过高"), Category::Energy);
        assert_eq!(Category::from_hotline("用电报装审批慢"), Category::Energy);
        assert_eq!(Category::from_hotline("融资难融资贵"), Category::Funds);
        assert_eq!(Category::from_hotline("市场准入隐性壁垒"), Category::Rights);
        assert_eq!(Category::from_hotline("施工许可办理"), Category::Approvals);
        assert_eq!(Category::from_hotline("厂房租赁"), Category::Land);
        assert_eq!(Category::from_hotline("招工难"), Category::Talent);
        assert_eq!(Category::from_hotline("货运车辆通行"), Category::Logistics);
        assert_eq!(Category::from_hotline("产品销路"), Category::Market);
        assert_eq!(Category::from_hotline("噪音扰民"), Category::Other);
        assert_eq!(Category::from_hotline(""), Category::Other);
    }

    #[test]
    fn content_is_checked() {
        assert!(check_content("供气不足", "冬季限气影响生产").is_ok());
        assert_eq!(check_content("  ", "x").unwrap_err().to_string(), "请填写问题标题");
        let long = "长".repeat(101);
        assert_eq!(check_content(&long, "x").unwrap_err().to_string(), "问题标题最多 100 字，现有 101 字");
        assert_eq!(check_content("标题", "").unwrap_err().to_string(), "请填写问题描述");
    }

    #[test]
    fn limits_default_validate_and_give_deadlines() {
        let l = Limits::default();
        assert_eq!((l.days(Level::County), l.days(Level::LeadDepartment), l.days(Level::Chief)), (10, 10, 15));
        assert!(l.validate().is_ok());
        let bad = Limits { chief: 0, ..l };
        assert_eq!(bad.validate().unwrap_err().to_string(), "链长办理时限应为 1–60 个工作日，收到 0");
        let parsed: Limits = serde_json::from_str(r#"{"county":5}"#).unwrap();
        assert_eq!(parsed, Limits { county: 5, ..l });
        assert_eq!(Level::County.next(), Some(Level::LeadDepartment));
        assert_eq!(Level::LeadDepartment.next(), Some(Level::Chief));
        assert_eq!(Level::Chief.next(), None);
        assert_eq!(Level::parse("园区"), Some(Level::County));
        assert_eq!(Level::parse("lead_department"), Some(Level::LeadDepartment));
    }

    #[test]
    fn deadlines_skip_the_national_day_holiday() {
        let (c, l) = (cal(), Limits::default());
        // Raised Friday 26 September 2025: 28 Sep (make-up Sunday), 29, 30 Sep, 9, 10,
        // 11 (make-up Saturday), 13–16 Oct.
        assert_eq!(l.deadline(&c, Level::County, d("2025-09-26")), d("2025-10-16"));
        // Counting weekends only (no arrangement) would give 10 October.
        assert_eq!(l.deadline(&Calendar::new(), Level::County, d("2025-09-26")), d("2025-10-10"));
    }

    #[test]
    fn deadlines_skip_the_spring_festival_2026() {
        let (c, l) = (cal(), Limits::default());
        // 11, 12, 13, 14 (Sat, worked), then 24–27 February, 28 (Sat, worked), 2 March.
        assert_eq!(l.deadline(&c, Level::County, d("2026-02-10")), d("2026-03-02"));
    }

    #[test]
    fn automatic_escalation_follows_the_deadlines() {
        let (c, l) = (cal(), Limits::default());
        let since = d("2025-09-26");
        assert!(auto_escalations(&c, &l, Status::Accepted, Level::County, since, d("2025-10-16")).is_empty());
        let v = auto_escalations(&c, &l, Status::Accepted, Level::County, since, d("2025-10-17"));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].missed, d("2025-10-16"));
        assert_eq!(v[0].on, d("2025-10-17"));
        assert_eq!(v[0].deadline, d("2025-10-31"));
        assert_eq!(v[0].reason(), "县级办理期限 2025-10-16 已过仍未答复，自动升级至牵头部门");
        // Left at both levels: on to the chief, whose 15 working days end 21 November;
        // nothing goes above the chief however late it is.
        let v = auto_escalations(&c, &l, Status::Submitted, Level::County, since, d("2026-01-31"));
        assert_eq!(v.len(), 2);
        assert_eq!((v[1].from, v[1].to, v[1].on), (Level::LeadDepartment, Level::Chief, d("2025-11-01")));
        assert_eq!(v[1].deadline, d("2025-11-21"));
        assert!(auto_escalations(&c, &l, Status::Answered, Level::County, since, d("2026-01-31")).is_empty());
        assert!(auto_escalation_due(Status::Accepted, Level::County, d("2025-10-16"), d("2025-10-17")));
        assert!(!auto_escalation_due(Status::Accepted, Level::County, d("2025-10-16"), d("2025-10-16")));
        assert!(!auto_escalation_due(Status::Accepted, Level::Chief, d("2025-10-16"), d("2025-12-01")));
        assert!(!auto_escalation_due(Status::Answered, Level::County, d("2025-10-16"), d("2025-12-01")));
    }

    #[test]
    fn transitions_follow_the_table() {
        assert_eq!(can(Status::Submitted, Action::Accept), Ok(Status::Accepted));
        assert_eq!(can(Status::Submitted, Action::Reject), Ok(Status::Rejected));
        assert_eq!(can(Status::Accepted, Action::Answer), Ok(Status::Answered));
        assert_eq!(can(Status::Answered, Action::Confirm), Ok(Status::Closed));
        assert_eq!(can(Status::Answered, Action::Reopen), Ok(Status::Accepted));
        assert_eq!(can(Status::Answered, Action::AutoClose), Ok(Status::Closed));
        assert_eq!(can(Status::Accepted, Action::Escalate), Ok(Status::Accepted));
        assert_eq!(can(Status::Submitted, Action::Escalate), Ok(Status::Submitted));
        assert_eq!(can(Status::Accepted, Action::Withdraw), Ok(Status::Withdrawn));
        let e = can(Status::Accepted, Action::Confirm).unwrap_err();
        assert_eq!(e.to_string(), "问题处于“办理中”状态，不能确认办结并评价，可执行的操作：答复、撤回、升级");
        let e = can(Status::Answered, Action::Withdraw).unwrap_err();
        assert_eq!(e.to_string(), "问题处于“已答复”状态，不能撤回，可执行的操作：确认办结并评价、重新办理");
        let e = can(Status::Accepted, Action::Reject).unwrap_err();
        assert!(matches!(e, ProblemError::Illegal { .. }));
        assert_eq!(can(Status::Closed, Action::Escalate).unwrap_err().to_string(), "问题已办结，不能再升级");
        assert_eq!(can(Status::Rejected, Action::Accept).unwrap_err().to_string(), "问题已不予受理，不能再受理");
        assert_eq!(can(Status::Withdrawn, Action::Answer).unwrap_err().to_string(), "问题已撤回，不能再答复");
        for s in Status::ALL {
            assert_eq!(s.is_final(), s.allowed_actions().is_empty(), "{s:?}");
            assert_eq!(Status::parse(s.label()), Some(s));
        }
    }

    #[test]
    fn actors_and_texts() {
        assert!(check_actor(Action::Answer, Actor::HandlingUnit).is_ok());
        assert_eq!(
            check_actor(Action::Answer, Actor::Enterprise).unwrap_err().to_string(),
            "“答复”只能由当前承办单位办理"
        );
        assert_eq!(
            check_actor(Action::Confirm, Actor::Office).unwrap_err().to_string(),
            "“确认办结并评价”只能由提出问题的企业办理"
        );
        assert!(check_actor(Action::Escalate, Actor::System).is_ok());
        assert!(check_actor(Action::AutoClose, Actor::HandlingUnit).is_err());
        assert!(check_actor(Action::Reopen, Actor::Office).is_ok());
        assert!(Action::AutoClose.is_automatic() && !Action::Escalate.is_automatic());
        assert_eq!(check_text(Action::Reject, " ").unwrap_err().to_string(), "请填写不予受理理由");
        assert_eq!(check_text(Action::Answer, " 已协调供电公司 ").unwrap(), "已协调供电公司");
        assert_eq!(check_text(Action::Accept, "").unwrap(), "");
    }

    #[test]
    fn manual_escalation_rules() {
        assert_eq!(
            check_manual_escalation(Status::Accepted, Level::County, "需市级统筹用地指标"),
            Ok(Level::LeadDepartment)
        );
        assert_eq!(check_manual_escalation(Status::Submitted, Level::LeadDepartment, "跨部门"), Ok(Level::Chief));
        assert_eq!(
            check_manual_escalation(Status::Accepted, Level::County, "  ").unwrap_err().to_string(),
            "请填写升级理由"
        );
        assert_eq!(
            check_manual_escalation(Status::Accepted, Level::Chief, "再升").unwrap_err().to_string(),
            "问题已在链长层级，不能再升级，请列入链长推进会议研究"
        );
        assert_eq!(
            check_manual_escalation(Status::Closed, Level::County, "理由").unwrap_err().to_string(),
            "问题已办结，不能再升级"
        );
        assert!(matches!(
            check_manual_escalation(Status::Answered, Level::County, "理由"),
            Err(ProblemError::Illegal { .. })
        ));
    }

    #[test]
    fn codes_count_working_days() {
        let c = cal();
        let deadline = d("2025-10-16");
        let code = |today: &str| problem_code(&c, Status::Accepted, Level::County, deadline, d(today));
        assert_eq!(code("2025-10-13"), (Code::Green, None));
        let (k, r) = code("2025-10-14");
        assert_eq!(k, Code::Yellow);
        assert_eq!(r.unwrap().text, "县级办理期限为 2025-10-16，仅剩 2 个工作日");
        let (k, r) = code("2025-10-16");
        assert_eq!(k, Code::Yellow);
        assert_eq!(r.unwrap().text, "县级办理期限为今日（2025-10-16），尚未答复");
        let (k, r) = code("2025-10-19");
        assert_eq!(k, Code::Red);
        assert_eq!(r.unwrap().text, "县级办理期限为 2025-10-16，已逾期 3 天未答复");
        // Nine calendar days but one working day before a deadline right after the holiday.
        let (k, _) = problem_code(&c, Status::Submitted, Level::Chief, d("2025-10-09"), d("2025-09-30"));
        assert_eq!(k, Code::Yellow);
        // Answered, closed and the rest carry no code.
        for s in [Status::Answered, Status::Closed, Status::Withdrawn, Status::Rejected] {
            assert_eq!(problem_code(&c, s, Level::County, deadline, d("2026-01-01")), (Code::Green, None));
        }
        assert_eq!(unit_code(3, 0, 100), Code::Red);
        assert_eq!(unit_code(1, 0, 10), Code::Yellow);
        assert_eq!(unit_code(0, 0, 10), Code::Green);
        assert!(PROBLEM_CODE_RULES[1].contains("2 个工作日"));
    }

    #[test]
    fn rating_window_closes_unrated_answers() {
        let c = cal();
        // Answered Tuesday 30 September 2025: five working days are 9, 10, 11, 13, 14 October.
        assert!(!auto_close_due(&c, Status::Answered, d("2025-09-30"), d("2025-10-14")));
        assert!(auto_close_due(&c, Status::Answered, d("2025-09-30"), d("2025-10-15")));
        assert!(!auto_close_due(&c, Status::Closed, d("2025-09-30"), d("2025-10-15")));
    }

    #[test]
    fn ratings_map_to_satisfaction() {
        assert_eq!(Satisfaction::from_rating(5), Ok(Satisfaction::Satisfied));
        assert_eq!(Satisfaction::from_rating(4), Ok(Satisfaction::Satisfied));
        assert_eq!(Satisfaction::from_rating(3), Ok(Satisfaction::Basic));
        assert_eq!(Satisfaction::from_rating(2), Ok(Satisfaction::Unsatisfied));
        assert_eq!(Satisfaction::from_rating(1), Ok(Satisfaction::Unsatisfied));
        assert_eq!(Satisfaction::from_rating(0).unwrap_err().to_string(), "评分应为 1–5 的整数（5 分最满意），收到 0");
        assert!(Satisfaction::from_rating(6).is_err());
        assert_eq!(Satisfaction::Basic.label(), "基本满意");
        assert_eq!(satisfaction_rate(&[5, 4, 3, 1]), Some(75.0));
        assert_eq!(satisfaction_rate(&[]), None);
        assert_eq!(closure_rate(2, 3), Some(66.7));
    }

    #[test]
    fn similarity_is_jaccard_without_stop_words() {
        let a = toks("天然气 价格 上涨 ， 供气 不足 影响 生产");
        let b = toks("供气 不足 ， 天然气 价格 高 ， 被迫 停产");
        // Shared 天然气 价格 供气 不足 (4) of 10 distinct content words.
        assert!((similarity(&a, &b) - 0.4).abs() < 1e-9);
        assert_eq!(similarity(&a, &a), 1.0);
        assert_eq!(similarity(&[], &[]), 0.0);
        // Generic complaint words do not make two problems alike.
        let x = toks("希望 政府 部门 协调 解决 公司 用电 问题");
        let y = toks("希望 政府 部门 协调 解决 公司 招工 问题");
        assert_eq!(similarity(&x, &y), 0.0);
        assert_eq!(similarity(&toks("ABC 电价"), &toks("abc 电价")), 1.0);
    }

    fn item(chain: i64, cat: Category, ent: i64, on: &str, text: &str) -> ProblemForGrouping {
        ProblemForGrouping { chain_id: chain, category: cat, enterprise_id: ent, raised_on: d(on), tokens: toks(text) }
    }

    const GAS_A: &str = "天然气 价格 上涨 供气 不足 影响 生产";
    const GAS_B: &str = "供气 不足 天然气 价格 高 停产";
    const GAS_C: &str = "天然气 供气 不足 限产 订单 交付";

    #[test]
    fn three_enterprises_make_a_chain_wide_problem() {
        let e = Category::Energy;
        // Two enterprises (one of them twice) are not enough.
        let two = vec![
            item(1, e, 100, "2025-03-01", GAS_A),
            item(1, e, 101, "2025-03-10", GAS_B),
            item(1, e, 100, "2025-03-20", GAS_C),
        ];
        assert!(group_chain_wide(&two).is_empty());
        // A third enterprise is; C to A is exactly 0.3 (3 of 10), which counts.
        assert!((similarity(&toks(GAS_A), &toks(GAS_C)) - CHAIN_WIDE_SIMILARITY).abs() < 1e-12);
        let mut three = two.clone();
        three.push(item(1, e, 102, "2025-04-01", GAS_C));
        three.push(item(1, e, 103, "2025-04-02", "电价 峰谷 分时 电费 成本 上涨"));
        assert_eq!(group_chain_wide(&three), vec![vec![0, 1, 2, 3]]);
        // Another chain or another category does not join.
        let mut other = two.clone();
        other.push(item(2, e, 102, "2025-04-01", GAS_C));
        other.push(item(1, Category::Funds, 103, "2025-04-01", GAS_C));
        assert!(group_chain_wide(&other).is_empty());
    }

    #[test]
    fn the_window_is_ninety_days() {
        let e = Category::Energy;
        let at = |third: &str| {
            vec![item(7, e, 1, "2025-01-01", GAS_A), item(7, e, 2, "2025-01-05", GAS_B), item(7, e, 3, third, GAS_C)]
        };
        // 1 January + 90 days = 1 April: still inside; 2 April is not.
        assert_eq!(group_chain_wide(&at("2025-04-01")), vec![vec![0, 1, 2]]);
        assert!(group_chain_wide(&at("2025-04-02")).is_empty());
        // A chain of links longer than 90 days needs three enterprises within one span.
        let drift = vec![
            item(7, e, 1, "2025-01-01", GAS_A),
            item(7, e, 2, "2025-03-15", GAS_B),
            item(7, e, 3, "2025-06-01", GAS_C),
        ];
        assert!(group_chain_wide(&drift).is_empty());
    }

    #[test]
    fn groups_come_in_a_fixed_order() {
        let land = "用地 指标 不足 项目 无法 落地";
        let items = vec![
            item(1, Category::Land, 1, "2025-05-01", land),
            item(1, Category::Energy, 1, "2025-05-01", GAS_A),
            item(1, Category::Energy, 2, "2025-05-02", GAS_B),
            item(1, Category::Land, 2, "2025-05-03", land),
            item(1, Category::Energy, 3, "2025-05-03", GAS_C),
            item(1, Category::Land, 3, "2025-05-04", "项目 用地 指标 不足"),
        ];
        let g = group_chain_wide(&items);
        assert_eq!(g, vec![vec![0, 3, 5], vec![1, 2, 4]]);
        let mut rev = items.clone();
        rev.reverse();
        assert_eq!(group_chain_wide(&rev), vec![vec![0, 2, 5], vec![1, 3, 4]]);
    }

    #[test]
    fn duplicates_need_the_same_enterprise_and_near_identical_text() {
        assert_eq!(normalize_text("“停电， 影响生产！” ＡＢＣ１２"), "停电影响生产abc12");
        assert_eq!(dedup_key("停电，影响生产"), dedup_key(" 停电 影响生产。"));
        let a = toks("园区 变电站 容量 不足 新 产线 无法 通电");
        let b = toks("园区 变电站 容量 不足 ， 新 产线 无法 通电 。");
        let c = toks("园区 变电站 容量 不足 新 产线");
        assert!(is_duplicate(&a, &b, true));
        assert!(!is_duplicate(&a, &b, false));
        // 6 of 8: similar enough to group, not to merge.
        assert!(!is_duplicate(&a, &c, true));
        assert!(similarity(&a, &c) >= CHAIN_WIDE_SIMILARITY);
    }
}
