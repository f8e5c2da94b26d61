use office::{Limits, OfficeError, Row, RowVisitor};

use crate::{cells, read};

const HEADER: &str = "统一社会信用代码,企业名称,所属区县,行业代码";
const ROW: &str = "91511700MA62XXXX01,四川达州玄武岩纤维有限公司,通川区,3061";

fn expect_standard(table: &office::Table) {
    assert_eq!(table.headers, ["统一社会信用代码", "企业名称", "所属区县", "行业代码"]);
    assert_eq!(cells(table), [(2, vec!["91511700MA62XXXX01", "四川达州玄武岩纤维有限公司", "通川区", "3061"])]);
}

#[test]
fn utf8_without_bom() {
    let text = format!("{HEADER}\n{ROW}\n");
    expect_standard(&read(text.as_bytes(), "企业.csv").unwrap());
}

#[test]
fn utf8_with_bom_and_crlf() {
    let text = format!("\u{FEFF}{HEADER}\r\n{ROW}\r\n");
    expect_standard(&read(text.as_bytes(), "企业.csv").unwrap());
}

#[test]
fn gbk_is_detected() {
    let text = format!("{HEADER}\r\n{ROW}\r\n");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "fixture must not be UTF-8");
    expect_standard(&read(&gbk, "企业.csv").unwrap());
}

#[test]
fn gb18030_four_byte_characters() {
    // 𠀀 (U+20000) needs GB18030's four-byte form; GBK cannot hold it.
    let text = "企业名称,备注\n𠀀记商行,㐀\n";
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    let table = read(&bytes, "x.csv").unwrap();
    assert_eq!(cells(&table), [(2, vec!["𠀀记商行", "㐀"])]);
}

#[test]
fn utf16_tab_separated_from_excel_unicode_text() {
    let text = "企业名称\t所属区县\r\n达州钢铁集团\t通川区\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let table = read(&bytes, "名单.txt").unwrap();
    assert_eq!(table.headers, ["企业名称", "所属区县"]);
    assert_eq!(cells(&table), [(2, vec!["达州钢铁集团", "通川区"])]);
}

#[test]
fn tab_and_semicolon_delimiters() {
    let tab = "企业名称\t地址\n甲公司\t达州市, 通川区\n";
    let table = read(tab.as_bytes(), "a.csv").unwrap();
    assert_eq!(cells(&table), [(2, vec!["甲公司", "达州市, 通川区"])]);
    let semi = "企业名称;地址\n甲公司;达州市, 通川区\n";
    let table = read(semi.as_bytes(), "a.csv").unwrap();
    assert_eq!(cells(&table), [(2, vec!["甲公司", "达州市, 通川区"])]);
}

#[test]
fn line_numbers_count_blank_rows_and_multiline_cells_as_excel_does() {
    let text = "名称,地址\r\n甲,\"第一行\r\n第二行\"\r\n\r\n乙,某地\r\n,\r\n丙,某地\r\n";
    let table = read(text.as_bytes(), "a.csv").unwrap();
    assert_eq!(cells(&table), [(2, vec!["甲", "第一行\r\n第二行"]), (4, vec!["乙", "某地"]), (6, vec!["丙", "某地"])]);
}

#[test]
fn leading_blank_lines_shift_the_header() {
    let text = "\n\n企业名称\n甲\n";
    let table = read(text.as_bytes(), "a.csv").unwrap();
    assert_eq!(cells(&table), [(4, vec!["甲"])]);
}

#[test]
fn cells_and_headers_are_trimmed() {
    let text = "\u{FEFF} 企业\u{3000}名称\u{200B} ,\"营业收入\n（万元）\"\n\u{3000}甲公司\u{3000}, 12 \n";
    let table = read(text.as_bytes(), "a.csv").unwrap();
    assert_eq!(table.headers, ["企业 名称", "营业收入 （万元）"]);
    assert_eq!(cells(&table), [(2, vec!["甲公司", "12"])]);
}

#[test]
fn short_rows_are_padded_and_trailing_empty_cells_ignored() {
    let text = "a名称,b名称,c名称\n甲\n乙,1,2,,,\n";
    let table = read(text.as_bytes(), "a.csv").unwrap();
    assert_eq!(cells(&table), [(2, vec!["甲", "", ""]), (3, vec!["乙", "1", "2"])]);
}

#[test]
fn content_beyond_the_header_is_refused_with_its_line() {
    let text = "企业名称,地址\n甲,达州\n乙,达州,通川区\n";
    let err = read(text.as_bytes(), "a.csv").unwrap_err();
    assert!(matches!(err, OfficeError::ExtraCells { line: 3, header_count: 2 }), "{err:?}");
    assert!(err.to_string().contains("第 3 行"), "{err}");
}

#[test]
fn empty_and_blank_files() {
    for bytes in [&b""[..], b"\xEF\xBB\xBF", b"\r\n \r\n", b"\xE3\x80\x80"] {
        let err = read(bytes, "a.csv").unwrap_err();
        assert!(matches!(err, OfficeError::Empty), "{bytes:?}: {err:?}");
        assert_eq!(err.to_string(), "文件为空");
    }
    assert!(matches!(read(b",,,\r\n,,\r\n", "a.csv"), Err(OfficeError::Empty)));
}

#[test]
fn header_only_file_has_zero_rows() {
    let table = read(format!("{HEADER}\r\n").as_bytes(), "a.csv").unwrap();
    assert_eq!(table.headers.len(), 4);
    assert!(table.rows.is_empty());
}

#[test]
fn a_file_without_header_is_named() {
    let err = read(format!("{ROW}\n{ROW}\n").as_bytes(), "a.csv").unwrap_err();
    assert!(matches!(err, OfficeError::NoHeader { line: 1 }), "{err:?}");
    assert!(err.to_string().starts_with("文件没有表头行"), "{err}");
    let err = read(b"12,13.5,2025/1/3\n", "a.csv").unwrap_err();
    assert!(matches!(err, OfficeError::NoHeader { .. }), "{err:?}");
}

#[test]
fn unknown_encoding_is_refused() {
    let err = read(b"name,value\n\xFF\xFF,1\n", "a.csv").unwrap_err();
    assert!(matches!(err, OfficeError::Encoding), "{err:?}");
    assert!(err.to_string().contains("UTF-8 或 GBK"));
}

#[test]
fn row_limit() {
    let limits = Limits { max_rows: 3, ..Limits::default() };
    let ok = "名称\n1甲\n2乙\n3丙\n";
    assert_eq!(office::read_table(ok.as_bytes(), "a.csv", &limits).unwrap().rows.len(), 3);
    let too_many = "名称\n1甲\n2乙\n\n3丙\n4丁\n";
    let err = office::read_table(too_many.as_bytes(), "a.csv", &limits).unwrap_err();
    assert!(matches!(err, OfficeError::TooManyRows { max: 3 }), "{err:?}");
}

#[test]
fn size_is_checked_before_anything_else() {
    let limits = Limits { max_bytes: 10, ..Limits::default() };
    let png = b"\x89PNG\r\n\x1a\n0123456789";
    let err = office::read_table(png, "a.csv", &limits).unwrap_err();
    assert!(matches!(err, OfficeError::TooLarge { size: 18, max: 10 }), "{err:?}");
    let default_max = Limits::default().max_bytes;
    let err = OfficeError::TooLarge { size: default_max + 1_572_864, max: default_max };
    assert_eq!(err.to_string(), "文件过大（51.5 MB），上限为 50 MB");
}

#[derive(Debug)]
enum AppError {
    Office(OfficeError),
    Stop(usize),
}

impl From<OfficeError> for AppError {
    fn from(e: OfficeError) -> Self {
        AppError::Office(e)
    }
}

#[derive(Default)]
struct Counter {
    headers: Vec<String>,
    header_calls: usize,
    rows: usize,
    last_line: usize,
    stop_at: Option<usize>,
}

impl RowVisitor for Counter {
    type Error = AppError;
    fn headers(&mut self, headers: &[String]) -> Result<(), AppError> {
        self.header_calls += 1;
        self.headers = headers.to_vec();
        Ok(())
    }
    fn row(&mut self, row: Row) -> Result<(), AppError> {
        assert_eq!(row.cells.len(), self.headers.len());
        self.rows += 1;
        self.last_line = row.line;
        if self.stop_at == Some(row.line) {
            return Err(AppError::Stop(row.line));
        }
        Ok(())
    }
}

#[test]
fn streaming_a_large_csv_row_by_row() {
    let mut text = String::from("统一社会信用代码,企业名称,所属区县,行业代码,从业人员\n");
    for i in 0..200_000 {
        text.push_str(&format!("9151170000{i:08},企业{i},通川区,3061,{i}\n"));
    }
    let mut counter = Counter::default();
    let kind = office::visit_rows(text.as_bytes(), "big.csv", &Limits::default(), &mut counter).unwrap();
    assert_eq!(kind, office::FileKind::Csv);
    assert_eq!(counter.header_calls, 1);
    assert_eq!(counter.rows, 200_000);
    assert_eq!(counter.last_line, 200_001);
}

#[test]
fn a_visitor_error_stops_the_stream() {
    let text = "名称\n甲\n乙\n丙\n";
    let mut counter = Counter { stop_at: Some(3), ..Counter::default() };
    let err = office::visit_rows(text.as_bytes(), "a.csv", &Limits::default(), &mut counter).unwrap_err();
    assert!(matches!(err, AppError::Stop(3)));
    assert_eq!(counter.rows, 2);
    let err = office::visit_rows(b"", "a.csv", &Limits::default(), &mut Counter::default()).unwrap_err();
    assert!(matches!(err, AppError::Office(OfficeError::Empty)));
}
