//! xlsx exports and the downloadable error report.

use std::borrow::Cow;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::OfficeError;
use crate::numbers::format_number;
use crate::text::display_width;

pub use crate::csvout::{content_disposition, csv_escape_cell, write_csv};

/// One cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum CellOut {
    /// Always written as a string, never a formula; see [`escape_formula`].
    Text(String),
    Number(f64),
    Int(i64),
    Empty,
}

impl From<String> for CellOut {
    fn from(s: String) -> Self {
        CellOut::Text(s)
    }
}

impl From<&str> for CellOut {
    fn from(s: &str) -> Self {
        CellOut::Text(s.to_owned())
    }
}

impl From<f64> for CellOut {
    fn from(f: f64) -> Self {
        CellOut::Number(f)
    }
}

impl From<i64> for CellOut {
    fn from(i: i64) -> Self {
        CellOut::Int(i)
    }
}

impl<T: Into<CellOut>> From<Option<T>> for CellOut {
    fn from(v: Option<T>) -> Self {
        v.map_or(CellOut::Empty, Into::into)
    }
}

/// One problem of an import, for the error report (行号, 列, 值, 问题).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The row number the user sees in Excel (see [`crate::Row::line`]); 0 for problems of
    /// the file as a whole.
    pub line: usize,
    pub column: String,
    pub value: String,
    pub message: String,
}

/// Text that a spreadsheet would take for a formula (it starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return) gets a leading `'`, so it stays text here and in any csv made from it.
pub fn escape_formula(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { Cow::Owned(format!("'{s}")) } else { Cow::Borrowed(s) }
}

/// Rows in one worksheet below the header (Excel's limit is 1,048,576 including it).
const MAX_DATA_ROWS: usize = 1_048_575;
/// Excel's cell text limit, in UTF-16 units.
const MAX_TEXT_UNITS: usize = 32_767;

/// Writes one worksheet: a bold, frozen header row, then the rows, with column widths fitted
/// to Chinese text. The sheet is written row by row through a temporary file ("constant
/// memory" mode), so a 300,000-row export does not hold every cell in memory.
pub fn write_xlsx(
    sheet_name: &str,
    headers: &[&str],
    rows: impl Iterator<Item = Vec<CellOut>>,
) -> Result<Vec<u8>, OfficeError> {
    write(sheet_name, headers, rows, true).map_err(|e| match e {
        Failure::Rows(rows) => OfficeError::TooManyRowsForXlsx { rows },
        Failure::Xlsx(e) => OfficeError::Write(e.to_string()),
    })
}

/// The import error report (行号, 列, 值, 问题) as an xlsx. Built in memory; more problems
/// than one sheet holds are cut off with a closing note.
pub fn error_report_xlsx(errors: &[RowError]) -> Vec<u8> {
    let shown = errors.len().min(MAX_DATA_ROWS - 1);
    let rows = errors[..shown].iter().map(|e| {
        vec![
            if e.line == 0 { CellOut::Empty } else { CellOut::Int(i64::try_from(e.line).unwrap_or(i64::MAX)) },
            CellOut::Text(e.column.clone()),
            CellOut::Text(e.value.clone()),
            CellOut::Text(e.message.clone()),
        ]
    });
    let note = (errors.len() > shown).then(|| {
        vec![
            CellOut::Empty,
            CellOut::Empty,
            CellOut::Empty,
            CellOut::Text(format!("其余 {} 条问题未列出", errors.len() - shown)),
        ]
    });
    // Cannot fail: in memory, within Excel's row, column and text limits, valid sheet name.
    write("导入问题", &["行号", "列", "值", "问题"], rows.chain(note), false)
        .unwrap_or_else(|_| unreachable!("an in-memory error report within Excel's limits"))
}

enum Failure {
    Rows(usize),
    Xlsx(XlsxError),
}

impl From<XlsxError> for Failure {
    fn from(e: XlsxError) -> Self {
        Failure::Xlsx(e)
    }
}

fn write(
    sheet_name: &str,
    headers: &[&str],
    rows: impl Iterator<Item = Vec<CellOut>>,
    constant_memory: bool,
) -> Result<Vec<u8>, Failure> {
    let mut workbook = Workbook::new();
    let sheet = if constant_memory { workbook.add_worksheet_with_constant_memory()? } else { workbook.add_worksheet() };
    fill(sheet, sheet_name, headers, rows)?;
    Ok(workbook.save_to_buffer()?)
}

/// One worksheet of [`write_xlsx_sheets`].
#[derive(Debug, Clone, PartialEq)]
pub struct SheetOut {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<CellOut>>,
}

/// Writes a workbook of several worksheets, each like [`write_xlsx`]'s (bold frozen header,
/// fitted widths, formulas escaped), in memory: for workbooks of modest size whose sheets
/// belong together (a chain map's segments, links and placements).
pub fn write_xlsx_sheets(sheets: Vec<SheetOut>) -> Result<Vec<u8>, OfficeError> {
    let failure = |e: Failure| match e {
        Failure::Rows(rows) => OfficeError::TooManyRowsForXlsx { rows },
        Failure::Xlsx(e) => OfficeError::Write(e.to_string()),
    };
    let mut workbook = Workbook::new();
    for s in sheets {
        let headers: Vec<&str> = s.headers.iter().map(String::as_str).collect();
        fill(workbook.add_worksheet(), &s.name, &headers, s.rows.into_iter()).map_err(failure)?;
    }
    workbook.save_to_buffer().map_err(|e| failure(e.into()))
}

/// Names a worksheet and writes its header and rows.
fn fill(
    sheet: &mut Worksheet,
    sheet_name: &str,
    headers: &[&str],
    mut rows: impl Iterator<Item = Vec<CellOut>>,
) -> Result<(), Failure> {
    sheet.set_name(sheet_name_for_excel(sheet_name))?;
    let bold = Format::new().set_bold();
    let mut widths: Vec<usize> = headers.iter().map(|h| display_width(h)).collect();
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, col(c)?, fit(h), &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let mut count = 0usize;
    while let Some(row) = rows.next() {
        count += 1;
        if count > MAX_DATA_ROWS {
            return Err(Failure::Rows(count + rows.count()));
        }
        // count <= 1,048,575 fits u32.
        let r = u32::try_from(count).map_err(|_| Failure::Rows(count))?;
        for (c, cell) in row.into_iter().enumerate() {
            let width = write_cell(sheet, r, col(c)?, cell)?;
            if c >= widths.len() {
                widths.resize(c + 1, 0);
            }
            widths[c] = widths[c].max(width);
        }
    }
    for (c, w) in widths.iter().enumerate() {
        // Clamped to 6..=60, exact in f64.
        #[allow(clippy::cast_precision_loss)]
        let width = (w + 2).clamp(6, 60) as f64;
        sheet.set_column_width(col(c)?, width)?;
    }
    Ok(())
}

/// Writes one cell; returns its display width.
fn write_cell(sheet: &mut Worksheet, r: u32, c: u16, cell: CellOut) -> Result<usize, XlsxError> {
    const EXACT_INT: i64 = 1 << 53;
    match cell {
        CellOut::Text(s) => {
            let s = escape_formula(&s);
            let s = fit(&s);
            sheet.write_string(r, c, s.as_ref())?;
            Ok(display_width(&s))
        }
        CellOut::Number(f) if f.is_finite() => {
            sheet.write_number(r, c, f)?;
            Ok(format_number(f).len())
        }
        CellOut::Int(i) if (-EXACT_INT..=EXACT_INT).contains(&i) => {
            // |i| <= 2^53: exact in f64.
            #[allow(clippy::cast_precision_loss)]
            sheet.write_number(r, c, i as f64)?;
            Ok(i.to_string().len())
        }
        CellOut::Int(i) => {
            let s = i.to_string();
            sheet.write_string(r, c, s.as_str())?;
            Ok(s.len())
        }
        CellOut::Number(_) | CellOut::Empty => Ok(0),
    }
}

fn col(c: usize) -> Result<u16, Failure> {
    u16::try_from(c).map_err(|_| Failure::Xlsx(XlsxError::RowColumnLimitError))
}

/// Cuts text to Excel's cell limit.
fn fit(s: &str) -> Cow<'_, str> {
    if s.len() <= MAX_TEXT_UNITS {
        return Cow::Borrowed(s);
    }
    let mut units = 0;
    let end = s
        .char_indices()
        .find(|(_, ch)| {
            units += ch.len_utf16();
            units > MAX_TEXT_UNITS
        })
        .map_or(s.len(), |(i, _)| i);
    Cow::Borrowed(&s[..end])
}

/// Excel sheet names: at most 31 characters, none of `[]:*?/\`, not empty, no leading or
/// trailing apostrophe.
fn sheet_name_for_excel(name: &str) -> String {
    let cleaned: String =
        name.chars().map(|c| if "[]:*?/\\".contains(c) || c.is_control() { '_' } else { c }).take(31).collect();
    let cleaned = cleaned.trim().trim_matches('\'').to_owned();
    if cleaned.is_empty() { "Sheet1".into() } else { cleaned }
}
