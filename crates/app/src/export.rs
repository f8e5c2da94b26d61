//! Exports of lists as people open them: xlsx (formula-safe, frozen header) and csv
//! (UTF-8 with BOM so Excel reads the Chinese).

use crate::{AppError, Result};
use office::CellOut;
use store::enterprise::EnterpriseRow;

pub const ENTERPRISE_HEADERS: [&str; 15] = [
    "统一社会信用代码",
    "企业名称",
    "所属区县",
    "所在园区",
    "行业代码",
    "行业名称",
    "企业规模",
    "规上工业",
    "营业收入（万元）",
    "资产总额（万元）",
    "从业人员",
    "成立日期",
    "地址",
    "联系人",
    "联系电话",
];

fn cells(r: &EnterpriseRow) -> Vec<CellOut> {
    let text = |s: &str| CellOut::Text(s.to_string());
    let money = |f: Option<i64>| {
        f.map(|v| CellOut::Number(v as f64 / domain::money::FEN_PER_WAN as f64)).unwrap_or(CellOut::Empty)
    };
    vec![
        text(&r.uscc),
        text(&r.name),
        text(&r.region_name),
        text(r.park_name.as_deref().unwrap_or("")),
        text(&r.industry_code),
        text(&r.industry_name),
        text(r.size.as_deref().and_then(domain::size::EnterpriseSize::from_code).map(|s| s.label()).unwrap_or("")),
        text(if r.above_scale { "是" } else { "否" }),
        money(r.revenue_fen),
        money(r.assets_fen),
        r.employees.map(CellOut::Int).unwrap_or(CellOut::Empty),
        text(&r.founded_on.map(|d| d.to_string()).unwrap_or_default()),
        text(&r.address),
        text(&r.contact_name),
        text(&r.contact_phone),
    ]
}

pub fn enterprises_xlsx(rows: &[EnterpriseRow]) -> Result<Vec<u8>> {
    office::write_xlsx("企业库", &ENTERPRISE_HEADERS, rows.iter().map(cells))
        .map_err(|e| AppError::Internal(e.to_string()))
}

pub fn enterprises_csv(rows: &[EnterpriseRow]) -> Result<Vec<u8>> {
    // write_csv puts the BOM first itself.
    let mut out = Vec::new();
    office::write_csv(&mut out, &ENTERPRISE_HEADERS, rows.iter().map(cells))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(out)
}
