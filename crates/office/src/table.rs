//! A file as a table of text cells: the common ground of csv and xlsx, and the entry points.

use crate::limits::MAX_COLUMNS;
use crate::text::{clean_header, looks_like_data};
use crate::{FileKind, Limits, OfficeError, csvin, sniff, xlsxin, zipcheck};

/// A whole file read into memory: the header row and the non-empty data rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Header cells, cleaned (BOM and invisible characters removed, whitespace collapsed and
    /// trimmed); trailing empty header cells dropped.
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

/// One data row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// 1-based row number as the user sees it in Excel or WPS (the header row of a file that
    /// starts with its header is 1). Empty rows are skipped but still counted.
    pub line: usize,
    /// Exactly one cell per header, trimmed of surrounding whitespace; "" when empty.
    pub cells: Vec<String>,
}

/// Receives a file row by row, so a large import never holds the file twice. The header
/// arrives first (once), then every non-empty data row in order.
pub trait RowVisitor {
    type Error: From<OfficeError>;
    fn headers(&mut self, headers: &[String]) -> Result<(), Self::Error>;
    fn row(&mut self, row: Row) -> Result<(), Self::Error>;
}

/// Reads only the header row of an upload (for the column-mapping step), with the same
/// checks as [`read_table`].
pub fn read_headers(bytes: &[u8], file_name: &str, limits: &Limits) -> Result<Vec<String>, OfficeError> {
    enum Stop {
        Office(OfficeError),
        Done,
    }
    impl From<OfficeError> for Stop {
        fn from(e: OfficeError) -> Self {
            Stop::Office(e)
        }
    }
    struct First(Vec<String>);
    impl RowVisitor for First {
        type Error = Stop;
        fn headers(&mut self, headers: &[String]) -> Result<(), Stop> {
            self.0 = headers.to_vec();
            Err(Stop::Done)
        }
        fn row(&mut self, _: Row) -> Result<(), Stop> {
            Err(Stop::Done)
        }
    }
    let mut v = First(Vec::new());
    match visit_rows(bytes, file_name, limits, &mut v) {
        Ok(_) | Err(Stop::Done) => Ok(v.0),
        Err(Stop::Office(e)) => Err(e),
    }
}

/// Collects rows into a [`Table`].
struct Collect(Table);

impl RowVisitor for Collect {
    type Error = OfficeError;
    fn headers(&mut self, headers: &[String]) -> Result<(), OfficeError> {
        self.0.headers = headers.to_vec();
        Ok(())
    }
    fn row(&mut self, row: Row) -> Result<(), OfficeError> {
        self.0.rows.push(row);
        Ok(())
    }
}

/// Reads a whole upload into a [`Table`]: size check, type sniffing, zip check, then parsing.
pub fn read_table(bytes: &[u8], file_name: &str, limits: &Limits) -> Result<Table, OfficeError> {
    let mut collect = Collect(Table::default());
    visit_rows(bytes, file_name, limits, &mut collect)?;
    Ok(collect.0)
}

/// One worksheet of a workbook read whole (see [`read_workbook`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    /// The row number of the header as Excel shows it; 0 when the sheet has no content.
    pub header_line: usize,
    /// Empty headers and rows when the sheet has no content.
    pub table: Table,
}

/// Reads every visible worksheet of an xlsx upload, in workbook order, for imports whose
/// parts are sheets of one workbook. The checks of [`read_table`] apply (the row limit to
/// each sheet); a problem inside a sheet names the sheet. A csv is refused: it holds one
/// table only.
pub fn read_workbook(bytes: &[u8], file_name: &str, limits: &Limits) -> Result<Vec<Sheet>, OfficeError> {
    limits.check_size(bytes)?;
    if sniff(bytes, file_name)? != FileKind::Xlsx {
        return Err(OfficeError::NotXlsx {
            reason: "内容是文本（csv 等），而这里需要含多个工作表的 .xlsx 工作簿".into(),
        });
    }
    zipcheck::check_zip(bytes, limits)?;
    let mut workbook = xlsxin::open(bytes, limits)?;
    let mut out = Vec::new();
    for name in xlsxin::visible_sheets(&workbook) {
        let in_sheet = |e: OfficeError| OfficeError::InSheet { sheet: name.clone(), source: Box::new(e) };
        let mut collect = Collect(Table::default());
        let mut assembler = Assembler::new(&mut collect, limits.max_rows);
        xlsxin::read_sheet(&mut workbook, &name, &mut assembler).map_err(in_sheet)?;
        let header_line = assembler.header_line.unwrap_or(0);
        out.push(Sheet { name: name.clone(), header_line, table: collect.0 });
    }
    Ok(out)
}

/// Streams an upload through `visitor` with the same checks as [`read_table`]: csv rows are
/// parsed one at a time from the input bytes, xlsx cells come from calamine's streaming
/// reader. Returns what the file turned out to be.
pub fn visit_rows<V: RowVisitor>(
    bytes: &[u8],
    file_name: &str,
    limits: &Limits,
    visitor: &mut V,
) -> Result<FileKind, V::Error> {
    limits.check_size(bytes)?;
    let kind = sniff(bytes, file_name)?;
    let mut assembler = Assembler::new(visitor, limits.max_rows);
    match kind {
        FileKind::Csv => csvin::read(bytes, &mut assembler)?,
        FileKind::Xlsx => {
            zipcheck::check_zip(bytes, limits)?;
            xlsxin::read(bytes, limits, &mut assembler)?;
        }
    }
    assembler.finish()?;
    Ok(kind)
}

/// Turns dense rows of trimmed cells into a header and data rows, whatever the source.
pub(crate) struct Assembler<'v, V: RowVisitor> {
    visitor: &'v mut V,
    width: Option<usize>,
    /// The line the header row was on.
    header_line: Option<usize>,
    rows: usize,
    max_rows: usize,
}

impl<'v, V: RowVisitor> Assembler<'v, V> {
    fn new(visitor: &'v mut V, max_rows: usize) -> Self {
        Assembler { visitor, width: None, header_line: None, rows: 0, max_rows }
    }

    /// The header width, once the header row has been seen.
    pub(crate) fn width(&self) -> Option<usize> {
        self.width
    }

    /// Takes one row (cells already trimmed). Fully empty rows are skipped; the first
    /// non-empty row is the header.
    pub(crate) fn push(&mut self, line: usize, mut cells: Vec<String>) -> Result<(), V::Error> {
        if cells.iter().all(String::is_empty) {
            return Ok(());
        }
        if cells.len() > MAX_COLUMNS {
            return Err(OfficeError::TooManyColumns { line, max: MAX_COLUMNS }.into());
        }
        let Some(width) = self.width else {
            if looks_like_data(&cells) {
                return Err(OfficeError::NoHeader { line }.into());
            }
            let mut headers: Vec<String> = cells.iter().map(|c| clean_header(c)).collect();
            while headers.last().is_some_and(String::is_empty) {
                headers.pop();
            }
            if headers.is_empty() {
                return Err(OfficeError::NoHeader { line }.into());
            }
            self.width = Some(headers.len());
            self.header_line = Some(line);
            return self.visitor.headers(&headers);
        };
        if cells.len() > width {
            if cells[width..].iter().any(|c| !c.is_empty()) {
                return Err(OfficeError::ExtraCells { line, header_count: width }.into());
            }
            cells.truncate(width);
        }
        cells.resize(width, String::new());
        for cell in &mut cells {
            unescape_formula(cell);
        }
        self.rows += 1;
        if self.rows > self.max_rows {
            return Err(OfficeError::TooManyRows { max: self.max_rows }.into());
        }
        self.visitor.row(Row { line, cells })
    }

    fn finish(self) -> Result<(), V::Error> {
        match self.width {
            Some(_) => Ok(()),
            None => Err(OfficeError::Empty.into()),
        }
    }
}

/// Undoes the export's formula escaping (`'=…` → `=…`), so an exported file re-imports
/// unchanged. The text is never evaluated here; a later export escapes it again.
fn unescape_formula(cell: &mut String) {
    let mut chars = cell.chars();
    if chars.next() == Some('\'') && chars.next().is_some_and(|c| "=+-@\t\r".contains(c)) {
        cell.remove(0);
    }
}
