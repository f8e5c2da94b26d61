use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use office::{CellOut, RowError, content_disposition, csv_escape_cell, error_report_xlsx, write_csv, write_xlsx};

use crate::{cells, read};

fn sheet(bytes: &[u8]) -> (Vec<String>, Vec<Vec<Data>>, usize) {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let names = wb.sheet_names();
    let range = wb.worksheet_range(&names[0]).unwrap();
    let formulas = wb.worksheet_formula(&names[0]).unwrap();
    let formula_count = formulas.used_cells().filter(|(_, _, f)| !f.is_empty()).count();
    (names, range.rows().map(<[Data]>::to_vec).collect(), formula_count)
}

#[test]
fn xlsx_export_reads_back_with_formulas_kept_as_text() {
    let rows = vec![
        vec![
            CellOut::Text("91511700MA62XXXX01".into()),
            CellOut::Text("四川达州玄武岩纤维有限公司".into()),
            CellOut::Int(120),
            CellOut::Number(1234.5),
            CellOut::Empty,
        ],
        vec![
            CellOut::Text("=HYPERLINK(\"http://evil\",\"点我\")".into()),
            CellOut::Text("+86 818 1234567".into()),
            CellOut::Text("-1+2".into()),
            CellOut::Text("@SUM(A1)".into()),
            CellOut::Text("\t=1".into()),
        ],
    ];
    let bytes = write_xlsx(
        "企业库",
        &["统一社会信用代码", "企业名称", "从业人员", "营业收入（万元）", "备注"],
        rows.into_iter(),
    )
    .unwrap();
    let (names, data, formula_count) = sheet(&bytes);
    assert_eq!(names, ["企业库"]);
    assert_eq!(formula_count, 0);
    assert_eq!(data[0][0], Data::String("统一社会信用代码".into()));
    assert_eq!(data[1][2], Data::Float(120.0));
    assert_eq!(data[1][3], Data::Float(1234.5));
    assert_eq!(data[2][0], Data::String("'=HYPERLINK(\"http://evil\",\"点我\")".into()));
    assert_eq!(data[2][1], Data::String("'+86 818 1234567".into()));
    assert_eq!(data[2][2], Data::String("'-1+2".into()));
    assert_eq!(data[2][3], Data::String("'@SUM(A1)".into()));
    assert_eq!(data[2][4], Data::String("'\t=1".into()));

    // And through the import path, which undoes the escaping.
    let table = read(&bytes, "导出.xlsx").unwrap();
    assert_eq!(table.headers[3], "营业收入（万元）");
    assert_eq!(
        cells(&table),
        [
            (2, vec!["91511700MA62XXXX01", "四川达州玄武岩纤维有限公司", "120", "1234.5", ""]),
            (3, vec!["=HYPERLINK(\"http://evil\",\"点我\")", "+86 818 1234567", "-1+2", "@SUM(A1)", "\t=1"])
        ]
    );
}

#[test]
fn sheet_names_are_made_valid_and_huge_text_is_cut() {
    let long = "长".repeat(40_000);
    let bytes = write_xlsx("a/b:c*d?[e]", &["x"], vec![vec![CellOut::Text(long)]].into_iter()).unwrap();
    let (names, data, _) = sheet(&bytes);
    assert_eq!(names, ["a_b_c_d__e_"]);
    match &data[1][0] {
        Data::String(s) => assert_eq!(s.chars().count(), 32_767),
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_report_has_the_four_columns() {
    let errors = vec![
        RowError {
            line: 3,
            column: "统一社会信用代码".into(),
            value: "91511700MA62XXXX0X\u{0}\u{1b}".into(),
            message: "校验码错误".into(),
        },
        RowError {
            line: 0, column: String::new(), value: String::new(), message: "缺少必填列：行业代码".into()
        },
    ];
    let (names, data, _) = sheet(&error_report_xlsx(&errors));
    assert_eq!(names, ["导入问题"]);
    let text: Vec<Vec<String>> = data.iter().map(|r| r.iter().map(ToString::to_string).collect()).collect();
    assert_eq!(text[0], ["行号", "列", "值", "问题"]);
    assert_eq!(text[1][..2], ["3", "统一社会信用代码"]);
    assert!(text[1][2].starts_with("91511700MA62XXXX0X"), "{:?}", text[1]);
    assert_eq!(text[1][3], "校验码错误");
    assert_eq!(text[2], ["", "", "", "缺少必填列：行业代码"]);
}

#[test]
fn csv_export_escapes_and_round_trips() {
    assert_eq!(csv_escape_cell("=1+2"), "'=1+2");
    assert_eq!(csv_escape_cell("\r=1"), "'\r=1");
    assert_eq!(csv_escape_cell("达州"), "达州");
    assert_eq!(csv_escape_cell("1-2"), "1-2");
    let mut out = Vec::new();
    let rows = vec![vec![
        CellOut::Text("=cmd|' /C calc'!A0".into()),
        CellOut::Text("甲,乙\"丙\"".into()),
        CellOut::Number(-0.5),
        CellOut::Int(-3),
    ]];
    write_csv(&mut out, &["公式", "名称", "数值", "整数"], rows.into_iter()).unwrap();
    assert!(out.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.contains("\r\n"), "{text}");
    let table = read(&out, "导出.csv").unwrap();
    assert_eq!(table.headers, ["公式", "名称", "数值", "整数"]);
    // The escaping is undone on import, so an exported file re-imports unchanged.
    assert_eq!(cells(&table), [(2, vec!["=cmd|' /C calc'!A0", "甲,乙\"丙\"", "-0.5", "-3"])]);
}

#[test]
fn content_disposition_for_chinese_names() {
    assert_eq!(
        content_disposition("企业库导出.xlsx"),
        "attachment; filename=\"export.xlsx\"; filename*=UTF-8''%E4%BC%81%E4%B8%9A%E5%BA%93%E5%AF%BC%E5%87%BA.xlsx"
    );
    assert_eq!(
        content_disposition("report 2025.csv"),
        "attachment; filename=\"report 2025.csv\"; filename*=UTF-8''report%202025.csv"
    );
    let injected = content_disposition("a\r\nSet-Cookie: x=1\".csv");
    assert!(!injected.contains('\r') && !injected.contains('\n'), "{injected}");
    assert!(injected.starts_with("attachment; filename=\"export.csv\""), "{injected}");
    assert_eq!(
        content_disposition("../../etc/passwd"),
        "attachment; filename=\".._.._etc_passwd\"; filename*=UTF-8''.._.._etc_passwd"
    );
}

#[test]
fn a_workbook_of_several_sheets_reads_back_sheet_by_sheet() {
    let sheet = |name: &str, headers: &[&str], rows: Vec<Vec<CellOut>>| office::SheetOut {
        name: name.into(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows,
    };
    let bytes = office::write_xlsx_sheets(vec![
        sheet(
            "环节",
            &["编码", "名称"],
            vec![vec!["gas".into(), "天然气".into()], vec!["=1+1".into(), CellOut::Int(7)]],
        ),
        sheet("空表", &["甲"], vec![]),
        sheet("关系", &["从", "到"], vec![vec!["gas".into(), "meoh".into()]]),
    ])
    .unwrap();
    let sheets = office::read_workbook(&bytes, "map.xlsx", &office::Limits::default()).unwrap();
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["环节", "空表", "关系"]);
    assert_eq!(sheets[0].header_line, 1);
    assert_eq!(sheets[0].table.headers, ["编码", "名称"]);
    assert_eq!(crate::cells(&sheets[0].table), vec![(2, vec!["gas", "天然气"]), (3, vec!["=1+1", "7"])]);
    assert!(sheets[1].table.rows.is_empty() && sheets[1].table.headers == ["甲"]);
    assert_eq!(crate::cells(&sheets[2].table), vec![(2, vec!["gas", "meoh"])]);
    // Text is not a workbook; a problem inside a sheet names the sheet.
    let e = office::read_workbook(b"a,b\n1,2\n", "map.csv", &office::Limits::default()).unwrap_err();
    assert!(e.to_string().contains("xlsx"), "{e}");
    let limits = office::Limits { max_rows: 1, ..Default::default() };
    let e = office::read_workbook(&bytes, "map.xlsx", &limits).unwrap_err();
    assert!(e.to_string().contains("工作表“环节”"), "{e}");
}
