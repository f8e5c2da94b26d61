//! The monthly scheduling report 调度 as files: an xlsx workbook of every table and a docx
//! notice 调度通报 in the style of official documents.

use crate::project_schedule::{GroupRow, Schedule, ScheduleItem};
use domain::money::plain_wan;
use domain::project::{Code, Month};
use office::{CellOut, DocBuilder, SheetOut};

fn wan(fen: i64) -> CellOut {
    plain_wan(fen).parse::<f64>().map_or_else(|_| CellOut::Text(plain_wan(fen)), CellOut::Number)
}

fn count(n: usize) -> CellOut {
    CellOut::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn pct(rate: Option<f64>) -> CellOut {
    rate.map_or(CellOut::Empty, CellOut::Number)
}

fn pct_text(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_string(), |r| format!("{r:.1}%"))
}

/// 万元 with two decimals for tables of the notice.
fn wan_text(fen: i64) -> String {
    domain::money::format_wan(fen)
}

/// 亿元 with two decimals for the notice's sentences.
fn yi_text(fen: i64) -> String {
    // Display only: fen below 2^53 are exact, and two decimals are shown.
    #[allow(clippy::cast_precision_loss)]
    let yi = fen as f64 / 1e10;
    format!("{yi:.2}")
}

fn sheet(name: &str, headers: &[&str], rows: Vec<Vec<CellOut>>) -> SheetOut {
    SheetOut { name: name.into(), headers: headers.iter().map(|h| h.to_string()).collect(), rows }
}

/// What the report covers: 全市, a chain, a region, or both.
fn scope_label(s: &Schedule, city: &str) -> String {
    match (&s.chain, &s.region) {
        (None, None) => city.to_string(),
        (Some((_, c)), None) => c.clone(),
        (None, Some((_, r))) => r.clone(),
        (Some((_, c)), Some((_, r))) => format!("{r}{c}"),
    }
}

const GROUP_HEADERS: [&str; 11] = [
    "项目数",
    "推进中",
    "本月新开工",
    "总投资（万元）",
    "年度计划投资（万元）",
    "累计完成投资（万元）",
    "本月完成投资（万元）",
    "年度计划完成率（%）",
    "红码项目",
    "黄码项目",
    "绿码项目",
];

fn group_cells(g: &GroupRow) -> Vec<CellOut> {
    vec![
        count(g.projects),
        count(g.active),
        count(g.started),
        wan(g.total_fen),
        wan(g.plan_fen),
        wan(g.ytd_fen),
        wan(g.month_fen),
        pct(g.rate),
        count(g.red),
        count(g.yellow),
        count(g.active.saturating_sub(g.red + g.yellow)),
    ]
}

/// The totals row of a group table.
fn total_row(s: &Schedule, started: usize) -> GroupRow {
    GroupRow {
        key: String::new(),
        name: "合计".into(),
        projects: s.projects,
        active: s.active,
        started,
        total_fen: s.total_fen,
        plan_fen: s.plan_fen,
        ytd_fen: s.ytd_fen,
        month_fen: s.month_fen,
        rate: s.rate,
        red: s.red,
        yellow: s.yellow,
        color: None,
    }
}

fn group_sheet(name: &str, first: &str, groups: &[GroupRow], total: &GroupRow) -> SheetOut {
    let mut headers = vec![first];
    headers.extend(GROUP_HEADERS);
    let rows = groups
        .iter()
        .chain(std::iter::once(total))
        .map(|g| {
            let mut r = vec![CellOut::Text(g.name.clone())];
            r.extend(group_cells(g));
            r
        })
        .collect();
    sheet(name, &headers, rows)
}

fn item_cells(i: &ScheduleItem) -> Vec<CellOut> {
    vec![
        i.code.as_str().into(),
        i.name.as_str().into(),
        i.chain.as_str().into(),
        i.region.as_str().into(),
        i.unit.as_str().into(),
        i.stage.into(),
        wan(i.plan_fen),
        wan(i.ytd_fen),
        wan(i.month_fen),
        pct(i.rate),
    ]
}

const ITEM_HEADERS: [&str; 10] = [
    "项目编号",
    "项目名称",
    "产业链",
    "区域",
    "责任单位",
    "阶段",
    "年度计划投资（万元）",
    "累计完成投资（万元）",
    "本月完成投资（万元）",
    "年度计划完成率（%）",
];

/// The scheduling report as a workbook: 汇总, 分产业链, 分区域, 责任单位赋码, 本月开工,
/// 滞后项目, 赋码规则.
pub fn schedule_xlsx(s: &Schedule) -> crate::Result<Vec<u8>> {
    let scope = scope_label(s, "全市");
    let mut summary: Vec<Vec<CellOut>> = vec![
        vec!["调度月份".into(), s.period_label.as_str().into()],
        vec!["范围".into(), scope.into()],
        vec!["赋码截至".into(), s.as_of.to_string().into()],
        vec!["项目总数".into(), count(s.projects)],
        vec!["推进中项目".into(), count(s.active)],
        vec!["总投资（万元）".into(), wan(s.total_fen)],
        vec!["年度计划投资（万元）".into(), wan(s.plan_fen)],
        vec!["累计完成投资（万元）".into(), wan(s.ytd_fen)],
        vec!["本月完成投资（万元）".into(), wan(s.month_fen)],
        vec!["年度计划完成率（%）".into(), pct(s.rate)],
        vec!["序时进度（%）".into(), CellOut::Number(s.time_rate)],
        vec!["本月新开工项目".into(), count(s.started.len())],
        vec!["滞后项目".into(), count(s.lagging.len())],
        vec!["红码项目".into(), count(s.red)],
        vec!["黄码项目".into(), count(s.yellow)],
        vec!["绿码项目".into(), count(s.green)],
        vec!["红码责任单位".into(), count(s.units_red)],
        vec!["黄码责任单位".into(), count(s.units_yellow)],
    ];
    for f in &s.funnel {
        summary.push(vec![format!("{}阶段项目数", f.label).into(), count(f.count)]);
    }
    let total = total_row(s, s.started.len());
    let units = s
        .by_unit
        .iter()
        .map(|u| {
            let mut r = vec![CellOut::Text(u.name.clone()), u.color.unwrap_or(Code::Green).label().into()];
            r.extend(group_cells(u));
            r
        })
        .collect();
    let mut unit_headers = vec!["责任单位", "单位赋码"];
    unit_headers.extend(GROUP_HEADERS);
    let mut started_headers = vec!["序号"];
    started_headers.extend(ITEM_HEADERS);
    let started = s
        .started
        .iter()
        .enumerate()
        .map(|(n, i)| {
            let mut r = vec![count(n + 1)];
            r.extend(item_cells(i));
            r
        })
        .collect();
    let mut lagging_headers = vec!["序号", "赋码"];
    lagging_headers.extend(ITEM_HEADERS);
    lagging_headers.push("滞后及赋码原因");
    let lagging = s
        .lagging
        .iter()
        .enumerate()
        .map(|(n, i)| {
            let mut r = vec![count(n + 1), i.color.label().into()];
            r.extend(item_cells(i));
            r.push(i.reasons.join("；").into());
            r
        })
        .collect();
    let rules = s.rules.iter().enumerate().map(|(n, r)| vec![count(n + 1), r.as_str().into()]).collect();
    office::write_xlsx_sheets(vec![
        sheet("汇总", &["指标", "数值"], summary),
        group_sheet("分产业链", "产业链", &s.by_chain, &total),
        group_sheet("分区域", "区域", &s.by_region, &total),
        sheet("责任单位赋码", &unit_headers, units),
        sheet("本月开工", &started_headers, started),
        sheet("滞后项目", &lagging_headers, lagging),
        sheet("赋码规则", &["序号", "规则"], rules),
    ])
    .map_err(super::export::office_error)
}

/// Lagging projects listed in the notice; the rest are in the workbook.
const MAX_LISTED: usize = 200;

/// The scheduling notice 调度通报 as a docx: title, document number, 一、总体情况 (figures in
/// sentences) to 七、下步工作要求, the rules as an appendix. `city` is the city's name
/// (达州市), which also gives the issuer's abbreviation (达强链办).
pub fn schedule_docx(s: &Schedule, city: &str) -> Vec<u8> {
    let month = Month::parse(&s.period);
    let (year, m) =
        month.map_or((s.as_of.format("%Y").to_string(), String::new()), |p| (p.year.to_string(), p.month.to_string()));
    let short: String = city.trim_end_matches(['市', '州']).chars().next().map(String::from).unwrap_or_default();
    let scope = scope_label(s, city);
    let whole = s.chain.is_none() && s.region.is_none();
    let title = if whole {
        format!("{city}重点项目{}调度通报", s.period_label)
    } else {
        format!("{city}重点项目{}调度通报（{scope}）", s.period_label)
    };
    let issuer = format!("{city}重点产业链协同推进机制办公室");
    let mut d = DocBuilder::new()
        .masthead(&issuer)
        .doc_number(format!("{short}强链办〔{year}〕{}号", if m.is_empty() { "1".to_string() } else { m.clone() }))
        .title(title)
        .addressee("各县（市、区）人民政府、园区管委会，市级各产业链牵头部门，各项目责任单位：")
        .para(format!(
            "现将{}{}重点项目推进情况通报如下。赋码情况统计截至{}。",
            if whole { "全市" } else { scope.as_str() },
            s.period_label,
            date_label(s.as_of)
        ));

    // 一、总体情况
    let funnel: Vec<String> =
        s.funnel.iter().filter(|f| f.count > 0).map(|f| format!("{}{}个", f.label, f.count)).collect();
    let compare = match s.rate {
        Some(r) if r >= s.time_rate => format!("高于序时进度（{:.1}%）{:.1}个百分点", s.time_rate, r - s.time_rate),
        Some(r) => format!("低于序时进度（{:.1}%）{:.1}个百分点", s.time_rate, s.time_rate - r),
        None => "尚无年度计划投资".to_string(),
    };
    d = d
        .heading1("总体情况")
        .para(format!(
            "截至{}，{}纳入调度的重点项目共{}个，总投资{}亿元，其中推进中项目{}个。{}年计划投资{}亿元，1—{}月累计完成投资{}亿元，完成年度计划的{}，{}；{}当月完成投资{}亿元。",
            s.period_label,
            if whole { "全市" } else { scope.as_str() },
            s.projects,
            yi_text(s.total_fen),
            s.active,
            year,
            yi_text(s.plan_fen),
            if m.is_empty() { "本" } else { m.as_str() },
            yi_text(s.ytd_fen),
            pct_text(s.rate),
            compare,
            s.period_label,
            yi_text(s.month_fen),
        ))
        .para(format!(
            "从项目阶段看，{}。本月新开工项目{}个，滞后项目{}个。赋码情况：红码项目{}个、黄码项目{}个、绿码项目{}个；红码责任单位{}个、黄码责任单位{}个。",
            if funnel.is_empty() { "暂无在库项目".to_string() } else { funnel.join("、") },
            s.started.len(),
            s.lagging.len(),
            s.red,
            s.yellow,
            s.green,
            s.units_red,
            s.units_yellow,
        ));

    // 二、三、 by chain and by region
    let (h, rows) = group_table(s, &s.by_chain, "产业链");
    d = d.heading1("分产业链推进情况");
    if let Some(best) = s.by_chain.iter().filter(|g| g.rate.is_some()).max_by(|a, b| cmp_rate(a.rate, b.rate)) {
        let worst = s.by_chain.iter().filter(|g| g.rate.is_some()).min_by(|a, b| cmp_rate(a.rate, b.rate));
        let mut text = format!("年度计划完成率最高的是{}（{}）", best.name, pct_text(best.rate));
        if let Some(w) = worst.filter(|w| w.key != best.key) {
            text.push_str(&format!("，最低的是{}（{}）", w.name, pct_text(w.rate)));
        }
        d = d.para(format!("{text}。各产业链推进情况见下表。"));
    }
    d = d.table(&h, rows);
    let (h, rows) = group_table(s, &s.by_region, "区域");
    d = d.heading1("分区域推进情况").table(&h, rows);

    // 四、本月新开工项目
    d = d.heading1("本月新开工项目");
    if s.started.is_empty() {
        d = d.para(format!("{}无新开工项目。", s.period_label));
    } else {
        d = d.para(format!("{}新开工项目{}个：", s.period_label, s.started.len())).table(
            &["序号", "项目名称", "产业链", "区域", "责任单位", "年度计划投资（万元）"],
            s.started
                .iter()
                .enumerate()
                .map(|(n, i)| {
                    vec![
                        (n + 1).to_string(),
                        i.name.clone(),
                        i.chain.clone(),
                        i.region.clone(),
                        i.unit.clone(),
                        wan_text(i.plan_fen),
                    ]
                })
                .collect(),
        );
    }

    // 五、滞后及赋码项目
    d = d.heading1("滞后及赋码项目");
    if s.lagging.is_empty() {
        d = d.para("本月无滞后或赋码项目。");
    } else {
        let reds = s.lagging.iter().filter(|i| i.color == Code::Red).count();
        let yellows = s.lagging.iter().filter(|i| i.color == Code::Yellow).count();
        d = d
            .para(format!(
                "滞后及赋码项目共{}个，其中红码{}个、黄码{}个，其余为投资进度滞后项目。具体如下：",
                s.lagging.len(),
                reds,
                yellows
            ))
            .table(
                &["序号", "项目名称", "区域", "责任单位", "赋码", "完成率", "滞后及赋码原因"],
                s.lagging
                    .iter()
                    .take(MAX_LISTED)
                    .enumerate()
                    .map(|(n, i)| {
                        vec![
                            (n + 1).to_string(),
                            i.name.clone(),
                            i.region.clone(),
                            i.unit.clone(),
                            i.color.label().to_string(),
                            pct_text(i.rate),
                            i.reasons.join("；"),
                        ]
                    })
                    .collect(),
            );
        if s.lagging.len() > MAX_LISTED {
            d = d.note(format!(
                "注：另有{}个项目未列出，详见调度报表（xlsx）“滞后项目”工作表。",
                s.lagging.len() - MAX_LISTED
            ));
        }
    }

    // 六、责任单位赋码情况
    d = d.heading1("责任单位赋码情况");
    let coded: Vec<&GroupRow> = s.by_unit.iter().filter(|u| u.color.is_some_and(|c| c != Code::Green)).collect();
    if coded.is_empty() {
        d = d.para("本月各责任单位均为绿码。");
    } else {
        d = d.para(format!("红码责任单位{}个、黄码责任单位{}个：", s.units_red, s.units_yellow)).table(
            &["序号", "责任单位", "单位赋码", "推进中项目", "红码项目", "黄码项目", "完成率"],
            coded
                .iter()
                .enumerate()
                .map(|(n, u)| {
                    vec![
                        (n + 1).to_string(),
                        u.name.clone(),
                        u.color.unwrap_or(Code::Green).label().to_string(),
                        u.active.to_string(),
                        u.red.to_string(),
                        u.yellow.to_string(),
                        pct_text(u.rate),
                    ]
                })
                .collect(),
        );
    }

    // 七、下步工作要求
    d = d
        .heading1("下步工作要求")
        .heading2("压实项目责任")
        .para("各责任单位要对照项目清单和责任清单，逐个项目明确推进措施和完成时限，红码项目由责任单位主要负责同志牵头推进，黄码项目由分管负责同志跟踪督导，确保按期消码。")
        .heading2("加快投资进度")
        .para("投资完成率低于序时进度的产业链、区域和项目，要逐项分析原因，制定赶超措施，在下次调度前提交整改情况。")
        .heading2("按时报送月报")
        .para("各项目须于每月5日前报送上月投资完成情况和形象进度，逾期未报的按赋码规则赋码，并在下期通报中体现。");

    // The attachment note, the signature, then the attachment: the rules.
    d = d
        .para("附件：赋码规则")
        .signature(&[issuer, date_label(s.as_of)])
        .page_break()
        .appendix("附件")
        .title("赋码规则");
    for (n, r) in s.rules.iter().enumerate() {
        d = d.para(format!("{}. {r}", n + 1));
    }
    d.build()
}

/// A chain or region table of the notice, with its totals row.
fn group_table(s: &Schedule, groups: &[GroupRow], first: &'static str) -> ([&'static str; 8], Vec<Vec<String>>) {
    let headers = [first, "项目数", "本月开工", "年度计划投资（万元）", "累计完成（万元）", "完成率", "红码", "黄码"];
    let total = total_row(s, s.started.len());
    let rows = groups
        .iter()
        .chain(std::iter::once(&total))
        .map(|g| {
            vec![
                g.name.clone(),
                g.projects.to_string(),
                g.started.to_string(),
                wan_text(g.plan_fen),
                wan_text(g.ytd_fen),
                pct_text(g.rate),
                g.red.to_string(),
                g.yellow.to_string(),
            ]
        })
        .collect();
    (headers, rows)
}

fn cmp_rate(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    a.unwrap_or(0.0).total_cmp(&b.unwrap_or(0.0))
}

/// `2026年4月5日`
fn date_label(d: chrono::NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project_schedule::FunnelRow;
    use chrono::NaiveDate;

    fn item(id: i64, name: &str, color: Code, reasons: &[&str]) -> ScheduleItem {
        ScheduleItem {
            id,
            code: format!("XM-2026-{id:04}"),
            name: name.into(),
            chain: "天然气化工".into(),
            region: "宣汉县".into(),
            unit: "宣汉县".into(),
            stage: "在建",
            plan_fen: 5_000_000_000,
            ytd_fen: 500_000_000,
            month_fen: 100_000_000,
            rate: Some(10.0),
            color,
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
        }
    }

    pub(crate) fn sample() -> Schedule {
        let g = |key: &str, name: &str, color: Option<Code>| GroupRow {
            key: key.into(),
            name: name.into(),
            projects: 2,
            active: 2,
            started: 1,
            total_fen: 20_000_000_000,
            plan_fen: 10_000_000_000,
            ytd_fen: 1_000_000_000,
            month_fen: 200_000_000,
            rate: Some(10.0),
            red: 1,
            yellow: 0,
            color,
        };
        Schedule {
            period: "2026-02".into(),
            period_label: "2026年2月".into(),
            as_of: NaiveDate::from_ymd_opt(2026, 3, 2).expect("date"),
            projects: 2,
            active: 2,
            total_fen: 20_000_000_000,
            plan_fen: 10_000_000_000,
            ytd_fen: 1_000_000_000,
            month_fen: 200_000_000,
            rate: Some(10.0),
            time_rate: 16.7,
            red: 1,
            yellow: 0,
            green: 1,
            units_red: 1,
            units_yellow: 0,
            funnel: vec![FunnelRow { stage: "building", label: "在建", count: 2, total_fen: 20_000_000_000 }],
            started: vec![item(2, "新开工项目甲", Code::Green, &[])],
            lagging: vec![item(1, "滞后项目乙", Code::Red, &["节点“开工”应于 2026-01-01 完成，已逾期 60 天"])],
            by_chain: vec![g("1", "天然气化工", None)],
            by_region: vec![g("511722", "宣汉县", None)],
            by_unit: vec![g("511722", "宣汉县", Some(Code::Red))],
            rules: vec!["规则一".into(), "规则二".into()],
            ..Default::default()
        }
    }

    fn text(c: &office::CellValue) -> String {
        match c {
            office::CellValue::Text(s) => s.clone(),
            office::CellValue::Number(f) => office::numbers::format_number(*f),
            _ => String::new(),
        }
    }

    #[test]
    fn the_workbook_has_every_sheet_and_the_totals() {
        let bytes = schedule_xlsx(&sample()).expect("xlsx");
        let limits = office::Limits::default();
        let summary = office::read_sheet_values(&bytes, "s.xlsx", Some("汇总"), &limits).expect("汇总");
        let find = |label: &str| {
            summary
                .iter()
                .find(|(_, r)| r.first().is_some_and(|c| text(c) == label))
                .map(|(_, r)| text(&r[1]))
                .unwrap_or_else(|| panic!("{label}"))
        };
        assert_eq!(find("项目总数"), "2");
        assert_eq!(find("年度计划投资（万元）"), "10000");
        assert_eq!(find("累计完成投资（万元）"), "1000");
        assert_eq!(find("红码项目"), "1");
        for name in ["分产业链", "分区域", "责任单位赋码", "本月开工", "滞后项目", "赋码规则"]
        {
            let rows = office::read_sheet_values(&bytes, "s.xlsx", Some(name), &limits).expect(name);
            assert!(rows.len() >= 2, "{name}: {rows:?}");
        }
        let lagging = office::read_sheet_values(&bytes, "s.xlsx", Some("滞后项目"), &limits).expect("滞后");
        assert!(lagging[1].1.iter().any(|c| text(c).contains("已逾期 60 天")));
    }

    #[test]
    fn the_notice_has_its_sections_in_order() {
        let bytes = schedule_docx(&sample(), "达州市");
        let files = office::zip_files(&bytes, &office::Limits::default(), &["document.xml"]).expect("zip");
        let xml = String::from_utf8(files["document.xml"].clone()).expect("utf-8");
        let mut at = 0;
        for t in [
            "达强链办〔2026〕2号",
            "达州市重点项目2026年2月调度通报",
            "一、总体情况",
            "纳入调度的重点项目共2个",
            "二、分产业链推进情况",
            "三、分区域推进情况",
            "四、本月新开工项目",
            "新开工项目甲",
            "五、滞后及赋码项目",
            "已逾期 60 天",
            "六、责任单位赋码情况",
            "七、下步工作要求",
            "附件：赋码规则",
            "达州市重点产业链协同推进机制办公室",
            "赋码规则",
            "规则二",
        ] {
            at += xml[at..].find(t).unwrap_or_else(|| panic!("“{t}” after {at}"));
        }
    }
}
