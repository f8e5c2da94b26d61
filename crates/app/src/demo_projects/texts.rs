//! The words of the demo projects' stories: reasons, problems, supervision orders,
//! progress by stage, and product names that take a capacity. All marked 示例.

use domain::project::Stage;

pub(super) const TERMINATION_REASONS: [&str; 4] = [
    "投资方战略调整，决定不再投资（示例）",
    "项目选址与国土空间规划冲突，无法落地（示例）",
    "企业资金链紧张，无力继续建设（示例）",
    "产品市场变化，投资方撤回投资（示例）",
];

pub(super) const ADJUST_REASONS: [&str; 4] = [
    "受用地报批进度影响，节点顺延（示例）",
    "设计方案优化调整，节点顺延（示例）",
    "进口设备供货周期延长（示例）",
    "汛期施工受限，经调度会同意顺延（示例）",
];

pub(super) const PROBLEMS: [&str; 6] = [
    "项目用地报批进度滞后（示例）",
    "施工用电接入待电力部门协调（示例）",
    "项目资金到位不及时（示例）",
    "关键设备到货延迟（示例）",
    "环评批复尚未取得（示例）",
    "连续降雨影响施工进度（示例）",
];

pub(super) const SUPERVISION_TITLES: [&str; 5] = [
    "加快推进项目用地报批",
    "按期报送月度投资进度",
    "协调解决施工用电接入",
    "加快设备进场安装调试",
    "落实项目建设资金",
];

pub(super) const RESPONSES: [&str; 3] = [
    "已会同相关部门现场协调，问题已解决（示例）",
    "已制定整改计划，按周报送进度（示例）",
    "相关手续已办结，项目正常推进（示例）",
];

pub(super) fn progress_texts(s: Stage) -> &'static [&'static str] {
    match s {
        Stage::Planning => &["开展项目前期策划和招商洽谈（示例）", "编制项目可行性研究报告（示例）"],
        Stage::Signed => &["签约后推进项目公司注册（示例）", "办理立项前期手续（示例）"],
        Stage::Approval => {
            &["办理用地预审和规划选址（示例）", "环评、能评报告编制中（示例）", "施工图设计审查中（示例）"]
        }
        Stage::Started => &["场地平整和临时设施建设（示例）", "桩基础施工（示例）"],
        Stage::Building => &[
            "主体厂房钢结构安装（示例）",
            "设备基础施工（示例）",
            "生产线设备安装调试（示例）",
            "配套管网和道路施工（示例）",
        ],
        Stage::Completed => &["竣工验收资料整理，试生产准备（示例）"],
        Stage::Operating | Stage::Terminated => &["试生产（示例）"],
    }
}

/// Words that read well after “年产 N 万吨”.
pub(super) const BULK_ENDINGS: [&str; 24] = [
    "料", "醇", "氨", "素", "肥", "钾", "酸", "碱", "剂", "液", "粉", "纤维", "钢", "材", "砂", "醛", "烯", "盐", "胶",
    "膜", "纱", "酒", "茶", "铵",
];
