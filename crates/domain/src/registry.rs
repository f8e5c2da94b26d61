//! Registry discipline: one record per USCC, and names compared after normalisation so that
//! near-duplicates reach a review queue. The rule for conflicting values is written here
//! and shown in the UI.

/// A full-width ASCII character as its half-width self, the ideographic space as a space;
/// any other character unchanged.
pub fn half_width(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' => ' ',
        c => c,
    }
}

/// The key two names share when they name the same company: full-width letters and
/// digits made half-width, brackets and spaces and separators dropped (their contents
/// kept), 有限责任公司 read as 有限公司, Latin letters in upper case.
pub fn name_key(name: &str) -> String {
    let half: String = name
        .chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace() && !"()[]{}【】〔〕「」《》<>·•・.,，、-_—\"'“”‘’".contains(*c))
        .collect();
    half.replace("有限责任公司", "有限公司").to_uppercase()
}

/// Sources of enterprise data in order of precedence when two disagree on a value.
pub const SOURCE_PRECEDENCE: [&str; 6] =
    ["市场监管部门登记信息", "统计部门联网直报", "税务部门数据", "行业主管部门认定", "企业自报（经审核）", "其他来源"];

/// The written rule for conflicting values, as the registry page shows it.
pub const CONFLICT_RULE: &[&str] = &[
    "同一统一社会信用代码只保留一条企业记录；名称规范化后相同而代码不同的记录进入合并审核队列，由县区或融圈强链办确认合并或确认为不同企业。",
    "登记类信息（名称、统一社会信用代码、注册地址、成立日期）以市场监管部门登记信息为准。",
    "统计类指标（产值、营业收入、从业人员等）以统计部门联网直报数据为准；税收类以税务部门数据为准；荣誉认定以认定部门公布名单为准。",
    "同一来源的不同期数据，以报送日期较新者为准；不同来源冲突时按上列优先级取值，低优先级数据保留在字段历史中备查。",
    "企业自报的更正须经所在县区或融圈强链办审核通过后生效，审核意见与原值一并留痕。",
    "合并记录时保留双方的字段历史、指标和荣誉；保留方已有的同期指标不被覆盖，被合并方的名称记为曾用名。",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(name_key("达州（宣汉）川锦化工有限责任公司"), name_key("达州(宣汉)川锦化工有限公司"));
        assert_eq!(name_key(" 达州 川锦 化工有限公司 "), name_key("达州川锦化工有限公司"));
        assert_eq!(name_key("ＡＢＣ科技有限公司"), name_key("abc科技有限公司"));
        assert_ne!(name_key("达州川锦化工有限公司"), name_key("达州川锦化肥有限公司"));
        assert_ne!(name_key("川锦化工股份有限公司"), name_key("川锦化工有限公司"));
    }
}
