use office::OfficeError;
use rust_xlsxwriter::{Format, Formula, Workbook};

use crate::{cells, read, rewrite_entry, unzip};

fn ledger_workbook() -> Vec<u8> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let ws = wb.add_worksheet();
    ws.set_name("企业名单").unwrap();
    let headers = ["统一社会信用代码", "企业名称", "从业人员", "营业收入（万元）", "成立日期", "合计", "规上"];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "91511700MA62XXXX01").unwrap();
    ws.write_string(1, 1, "四川达州玄武岩纤维有限公司").unwrap();
    ws.write_number(1, 2, 120).unwrap();
    ws.write_number(1, 3, 1234.5).unwrap();
    ws.write_number_with_format(1, 4, 45660, &date).unwrap();
    ws.write_formula(1, 5, Formula::new("=C2+D2").set_result("1354.5")).unwrap();
    ws.write_boolean(1, 6, true).unwrap();
    // Row 3 is missing, row 4 has only a formatted blank: both skipped, still counted.
    ws.write_blank(3, 0, &date).unwrap();
    ws.write_string(4, 0, "  91511700MA62YYYY02\u{3000}").unwrap();
    ws.write_string(4, 1, "达州某某商贸有限公司").unwrap();
    ws.write_number(4, 2, 1_000_000).unwrap();
    ws.write_number(4, 3, 0.1 + 0.2).unwrap();
    ws.write_number_with_format(4, 4, 45660.5, &datetime).unwrap();
    ws.write_string(4, 5, "=SUM(A1:A2)").unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn numbers_dates_formulas_and_line_numbers() {
    let table = read(&ledger_workbook(), "企业.xlsx").unwrap();
    assert_eq!(
        table.headers,
        ["统一社会信用代码", "企业名称", "从业人员", "营业收入（万元）", "成立日期", "合计", "规上"]
    );
    assert_eq!(
        cells(&table),
        [
            (
                2,
                vec![
                    "91511700MA62XXXX01",
                    "四川达州玄武岩纤维有限公司",
                    "120",
                    "1234.5",
                    "2025-01-03",
                    "1354.5",
                    "TRUE"
                ]
            ),
            (
                5,
                vec![
                    "91511700MA62YYYY02",
                    "达州某某商贸有限公司",
                    "1000000",
                    "0.3",
                    "2025-01-03 12:00:00",
                    "=SUM(A1:A2)",
                    ""
                ]
            ),
        ]
    );
}

#[test]
fn the_first_sheet_with_content_is_read_and_header_may_start_lower() {
    let mut wb = Workbook::new();
    wb.add_worksheet().set_name("说明").unwrap();
    let ws = wb.add_worksheet();
    ws.write_string(2, 1, "企业名称").unwrap();
    ws.write_string(2, 2, "所属区县").unwrap();
    ws.write_string(3, 1, "甲公司").unwrap();
    ws.write_string(5, 2, "通川区").unwrap();
    let table = read(&wb.save_to_buffer().unwrap(), "a.xlsx").unwrap();
    // Column A is empty: it is still a (nameless) column, so positions match the sheet.
    assert_eq!(table.headers, ["", "企业名称", "所属区县"]);
    assert_eq!(cells(&table), [(4, vec!["", "甲公司", ""]), (6, vec!["", "", "通川区"])]);
}

#[test]
fn header_only_workbook_and_empty_workbook() {
    let mut wb = Workbook::new();
    wb.add_worksheet().write_string(0, 0, "企业名称").unwrap();
    let table = read(&wb.save_to_buffer().unwrap(), "a.xlsx").unwrap();
    assert_eq!(table.headers, ["企业名称"]);
    assert!(table.rows.is_empty());

    let mut wb = Workbook::new();
    wb.add_worksheet();
    let err = read(&wb.save_to_buffer().unwrap(), "a.xlsx").unwrap_err();
    assert!(matches!(err, OfficeError::Empty), "{err:?}");
}

#[test]
fn a_far_away_cell_is_refused_without_allocating_the_grid() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "企业名称").unwrap();
    ws.write_string(1, 0, "甲公司").unwrap();
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    let err = read(&wb.save_to_buffer().unwrap(), "a.xlsx").unwrap_err();
    assert!(matches!(err, OfficeError::ExtraCells { line: 1_048_576, header_count: 1 }), "{err:?}");
}

#[test]
fn a_lying_shared_string_count_is_refused() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "企业名称").unwrap();
    ws.write_string(1, 0, "甲公司").unwrap();
    let xlsx = wb.save_to_buffer().unwrap();
    let (_, sst) = unzip(&xlsx).into_iter().find(|(n, _)| n == "xl/sharedStrings.xml").unwrap();
    let sst = String::from_utf8(sst).unwrap();
    assert!(sst.contains("uniqueCount=\"2\""), "{sst}");
    let evil = sst.replace("uniqueCount=\"2\"", "uniqueCount=\"999999999999\"");
    let evil = rewrite_entry(&xlsx, "xl/sharedStrings.xml", evil.as_bytes());
    let err = read(&evil, "a.xlsx").unwrap_err();
    assert!(matches!(err, OfficeError::NotXlsx { .. }), "{err:?}");
    // The untouched rewrite still reads: the check is about the count, not the rewriting.
    let same = rewrite_entry(&xlsx, "xl/sharedStrings.xml", sst.as_bytes());
    assert_eq!(read(&same, "a.xlsx").unwrap().rows.len(), 1);
}

#[test]
fn an_xlsx_named_csv_is_still_read_as_xlsx() {
    let table = read(&ledger_workbook(), "企业.csv").unwrap();
    assert_eq!(table.rows.len(), 2);
}
