//! xlsx through calamine's streaming cell reader, behind the archive checks.
//!
//! Never `worksheet_range`: it allocates a grid as large as the span between the first and
//! the last cell, which a two-cell file can make 17 billion cells wide.

use std::io::{Cursor, Read};

use calamine::{DataRef, ExcelDateTime, Reader, SheetType, SheetVisible, Xlsx, XlsxError};

use crate::limits::MAX_COLUMNS;
use crate::numbers::format_number;
use crate::table::{Assembler, RowVisitor};
use crate::text::trim_cell;
use crate::zipcheck::{self, judge_entry};
use crate::{FileKind, Limits, OfficeError, sniff};

/// Reads the first visible worksheet that has any content.
pub(crate) fn read<V: RowVisitor>(
    bytes: &[u8],
    limits: &Limits,
    assembler: &mut Assembler<'_, V>,
) -> Result<(), V::Error> {
    let mut workbook = open(bytes, limits)?;
    for name in visible_sheets(&workbook) {
        if read_sheet(&mut workbook, &name, assembler)? {
            return Ok(());
        }
    }
    Ok(())
}

pub(crate) fn open<'b>(bytes: &'b [u8], limits: &Limits) -> Result<Xlsx<Cursor<&'b [u8]>>, OfficeError> {
    cross_check(bytes, limits)?;
    Xlsx::new(Cursor::new(bytes)).map_err(from_calamine)
}

pub(crate) fn visible_sheets(workbook: &Xlsx<Cursor<&[u8]>>) -> Vec<String> {
    workbook
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .collect()
}

/// Streams one worksheet's cells into `assembler`; false when the sheet has no content.
pub(crate) fn read_sheet<V: RowVisitor>(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    assembler: &mut Assembler<'_, V>,
) -> Result<bool, V::Error> {
    let mut cells_reader = workbook.worksheet_cells_reader(name).map_err(from_calamine)?;
    let mut current: Option<u32> = None;
    let mut cells: Vec<String> = Vec::new();
    while let Some(cell) = cells_reader.next_cell().map_err(from_calamine)? {
        let text = cell_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        let (row, col) = cell.get_position();
        let line = row as usize + 1;
        match current {
            Some(r) if r == row => {}
            Some(r) if row < r => {
                return Err(OfficeError::Xlsx(format!("工作表“{name}”的行顺序异常")).into());
            }
            _ => {
                if let Some(r) = current {
                    assembler.push(r as usize + 1, std::mem::take(&mut cells))?;
                }
                current = Some(row);
            }
        }
        let col = col as usize;
        if let Some(width) = assembler.width()
            && col >= width
        {
            return Err(OfficeError::ExtraCells { line, header_count: width }.into());
        }
        if col >= MAX_COLUMNS {
            return Err(OfficeError::TooManyColumns { line, max: MAX_COLUMNS }.into());
        }
        if col >= cells.len() {
            cells.resize(col + 1, String::new());
        }
        cells[col] = text;
    }
    match current {
        Some(r) => {
            assembler.push(r as usize + 1, cells)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// One cell of a worksheet read as values (see [`read_sheet_values`]).
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    /// No cell, or a cell whose text is empty once trimmed.
    Empty,
    /// A string cell, trimmed; any other non-numeric cell as the table readers show it (dates
    /// as YYYY-MM-DD, booleans as TRUE/FALSE, errors as #N/A …).
    Text(String),
    /// A number exactly as the file stores it (an integer cell converted to f64).
    Number(f64),
}

impl CellValue {
    pub fn is_empty(&self) -> bool {
        matches!(self, CellValue::Empty)
    }
}

/// Reads one worksheet of an xlsx as values, numbers kept bit for bit (unlike [`crate::read_table`],
/// which turns every cell into display text): the visible worksheet named `sheet`, or, when
/// `sheet` is `None` or no visible worksheet has that name, the first visible worksheet with
/// content.
///
/// Returns the non-empty rows as (row number as Excel shows it, cells by column index, gaps
/// filled with [`CellValue::Empty`], no trailing empty cells); an empty list when the sheet has
/// no content. The first non-empty row is taken as the header: a later row with a cell right
/// of the header's last cell is refused, which bounds every row by the header's width. The
/// checks of [`crate::read_table`] apply: size, content sniffing (a csv or anything else is
/// refused), the zip checks, the streaming reader, Excel's column limit, and at most
/// `limits.max_rows` rows below the header.
pub fn read_sheet_values(
    bytes: &[u8],
    file_name: &str,
    sheet: Option<&str>,
    limits: &Limits,
) -> Result<Vec<(usize, Vec<CellValue>)>, OfficeError> {
    limits.check_size(bytes)?;
    if sniff(bytes, file_name)? != FileKind::Xlsx {
        return Err(OfficeError::NotXlsx { reason: "内容是文本（csv 等），不是 .xlsx 工作簿".into() });
    }
    zipcheck::check_zip(bytes, limits)?;
    let mut workbook = open(bytes, limits)?;
    let names = visible_sheets(&workbook);
    if let Some(wanted) = sheet
        && let Some(name) = names.iter().find(|n| n.as_str() == wanted)
    {
        return read_values(&mut workbook, name, limits).map_err(|e| in_sheet(name, e));
    }
    for name in &names {
        let rows = read_values(&mut workbook, name, limits).map_err(|e| in_sheet(name, e))?;
        if !rows.is_empty() {
            return Ok(rows);
        }
    }
    Ok(Vec::new())
}

fn in_sheet(name: &str, e: OfficeError) -> OfficeError {
    OfficeError::InSheet { sheet: name.to_owned(), source: Box::new(e) }
}

/// Streams one worksheet's cells as values; see [`read_sheet_values`].
fn read_values(
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    limits: &Limits,
) -> Result<Vec<(usize, Vec<CellValue>)>, OfficeError> {
    let mut cells_reader = workbook.worksheet_cells_reader(name).map_err(from_calamine)?;
    let mut rows: Vec<(usize, Vec<CellValue>)> = Vec::new();
    let mut current: Option<u32> = None;
    let mut width: Option<usize> = None;
    while let Some(cell) = cells_reader.next_cell().map_err(from_calamine)? {
        let value = cell_value(cell.get_value());
        if value.is_empty() {
            continue;
        }
        let (row, col) = cell.get_position();
        let line = row as usize + 1;
        let col = col as usize;
        match current {
            Some(r) if r == row => {}
            Some(r) if row < r => {
                return Err(OfficeError::Xlsx(format!("工作表“{name}”的行顺序异常")));
            }
            _ => {
                if let Some((_, header)) = rows.first() {
                    width = Some(header.len());
                }
                // The header and `max_rows` rows below it.
                if rows.len() > limits.max_rows {
                    return Err(OfficeError::TooManyRows { max: limits.max_rows });
                }
                rows.push((line, Vec::new()));
                current = Some(row);
            }
        }
        if col >= MAX_COLUMNS {
            return Err(OfficeError::TooManyColumns { line, max: MAX_COLUMNS });
        }
        if let Some(width) = width
            && col >= width
        {
            return Err(OfficeError::ExtraCells { line, header_count: width });
        }
        let Some((_, cells)) = rows.last_mut() else { unreachable!("a row was pushed above") };
        if col >= cells.len() {
            cells.resize(col + 1, CellValue::Empty);
        }
        cells[col] = value;
    }
    Ok(rows)
}

/// A cell as a value: numbers exactly, strings trimmed, the rest as [`cell_text`] shows it.
fn cell_value(value: &DataRef<'_>) -> CellValue {
    match value {
        DataRef::Float(f) => CellValue::Number(*f),
        // Integers beyond 2^53 (never written by Excel, which stores f64) round as Excel would.
        #[allow(clippy::cast_precision_loss)]
        DataRef::Int(i) => CellValue::Number(*i as f64),
        other => {
            let text = cell_text(other);
            if text.is_empty() { CellValue::Empty } else { CellValue::Text(text) }
        }
    }
}

/// The archive as the `zip` crate (and so calamine) will see it must pass the same limits as
/// the hand-read central directory; and the shared-string count calamine pre-allocates from
/// must be believable.
fn cross_check(bytes: &[u8], limits: &Limits) -> Result<(), OfficeError> {
    let corrupt = |e: zip::result::ZipError| OfficeError::NotXlsx { reason: format!("压缩包已损坏（{e}）") };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    if archive.len() > limits.max_zip_entries {
        return Err(OfficeError::ZipTooManyEntries { count: archive.len() as u64, max: limits.max_zip_entries });
    }
    let metadata = archive.metadata();
    let mut total = 0;
    let mut shared_strings = Vec::new();
    for i in 0..metadata.len() {
        let e = metadata.entry(i).map_err(corrupt)?;
        let method_supported =
            matches!(e.compression(), zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated);
        judge_entry(e.name_raw(), e.encrypted(), method_supported, e.compressed_size(), e.size(), &mut total, limits)?;
        if e.name_raw().to_ascii_lowercase().ends_with(b"sharedstrings.xml") {
            shared_strings.push((i, e.size()));
        }
    }
    for (i, size) in shared_strings {
        let mut head = Vec::new();
        archive
            .by_index(i)
            .map_err(corrupt)?
            .take(64 * 1024)
            .read_to_end(&mut head)
            .map_err(|e| OfficeError::Xlsx(e.to_string()))?;
        match sst_unique_count(&head) {
            None => {
                return Err(OfficeError::NotXlsx { reason: "共享字符串表格式异常".into() });
            }
            // Every <si> takes at least five bytes ("<si/>").
            Some(Some(count)) if count > size / 5 + 1 => {
                return Err(OfficeError::NotXlsx { reason: "共享字符串表声明的数量与内容不符".into() });
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The `uniqueCount` attribute of the `<sst>` start tag in the first bytes of
/// sharedStrings.xml: `None` when the start tag is not there at all, `Some(None)` when the
/// attribute is missing or not a plain number (calamine then pre-allocates nothing).
fn sst_unique_count(head: &[u8]) -> Option<Option<u64>> {
    let start = head.windows(5).position(|w| {
        (w[0] == b'<' || w[0] == b':')
            && &w[1..4] == b"sst"
            && (w[4].is_ascii_whitespace() || w[4] == b'>' || w[4] == b'/')
    })?;
    let end = start + head[start..].iter().position(|&b| b == b'>')?;
    let tag = &head[start..end];
    let count = (|| {
        let at = tag.windows(11).position(|w| w == b"uniqueCount")? + 11;
        let rest = tag[at..].trim_ascii_start().strip_prefix(b"=")?.trim_ascii_start();
        let rest = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'"))?;
        let digits = &rest[..rest.iter().position(|b| !b.is_ascii_digit())?];
        std::str::from_utf8(digits).ok()?.parse().ok()
    })();
    Some(count)
}

fn from_calamine(e: XlsxError) -> OfficeError {
    match e {
        XlsxError::Password => OfficeError::EncryptedOrLegacy,
        other => {
            let message = other.to_string();
            if message.contains("larger than its declared uncompressed size") {
                OfficeError::ZipBomb { detail: "实际解压大小超过压缩包目录中声明的大小".into() }
            } else {
                OfficeError::Xlsx(message)
            }
        }
    }
}

/// A cell as text: integers without ".0", dates as YYYY-MM-DD, formulas as their cached
/// value, errors as Excel shows them (#N/A …), booleans as TRUE/FALSE.
fn cell_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) => trim_cell(s).to_owned(),
        DataRef::SharedString(s) => trim_cell(s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => format_number(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(dt) => format_datetime(dt),
        DataRef::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).replacen('T', " ", 1),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
    }
}

fn format_datetime(dt: &ExcelDateTime) -> String {
    let (y, m, d, hh, mm, ss, _) = dt.to_ymd_hms_milli();
    if dt.is_duration() {
        let total = (dt.as_f64() * 86_400.0).round();
        // Durations in a sheet are hours-scale numbers; `as` saturates on nonsense.
        #[allow(clippy::cast_possible_truncation)]
        let secs = total as i64;
        return format!("{}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60);
    }
    if dt.as_f64() < 1.0 {
        return format!("{hh:02}:{mm:02}:{ss:02}");
    }
    if (hh, mm, ss) == (0, 0, 0) {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}")
    }
}

#[cfg(test)]
mod tests {
    use rust_xlsxwriter::Workbook;

    use super::*;

    fn bits(rows: &[(usize, Vec<CellValue>)]) -> Vec<(usize, Vec<Option<u64>>)> {
        rows.iter()
            .map(|(line, cells)| {
                let cells = cells.iter().map(|c| if let CellValue::Number(f) = c { Some(f.to_bits()) } else { None });
                (*line, cells.collect())
            })
            .collect()
    }

    #[test]
    fn numbers_come_back_bit_for_bit() {
        let samples = [
            0.1 + 0.2,
            1.0 / 3.0,
            123_456.789_012_345_67,
            1e-300,
            -2.0 / 3.0,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            -0.0,
            9_007_199_254_740_993.0,
            1e21,
            0.000_123_456_789,
        ];
        // And a few thousand arbitrary finite bit patterns (xorshift, fixed seed).
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut values: Vec<f64> = samples.to_vec();
        while values.len() < 3000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let f = f64::from_bits(state);
            if f.is_finite() {
                values.push(f);
            }
        }
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        sheet.write_string(0, 0, "id").unwrap();
        sheet.write_string(0, 1, "a").unwrap();
        sheet.write_string(0, 2, "b").unwrap();
        sheet.write_string(0, 3, "c").unwrap();
        // Row 2: an integer, a text cell (trimmed), a gap, a number.
        sheet.write_number(1, 0, 42).unwrap();
        sheet.write_string(1, 1, "  甲企业 ").unwrap();
        sheet.write_number(1, 3, 0.1 + 0.2).unwrap();
        for (i, v) in values.iter().enumerate() {
            let r = u32::try_from(i).unwrap() + 2;
            sheet.write_number(r, u16::try_from(i % 4).unwrap(), *v).unwrap();
        }
        let bytes = workbook.save_to_buffer().unwrap();

        let rows = read_sheet_values(&bytes, "m.xlsx", None, &Limits::default()).unwrap();
        assert_eq!(rows.len(), 2 + values.len());
        assert_eq!(rows[0].0, 1);
        assert_eq!(rows[0].1, ["id", "a", "b", "c"].map(|s| CellValue::Text(s.into())));
        assert_eq!(rows[1].0, 2);
        assert_eq!(rows[1].1[..3], [CellValue::Number(42.0), CellValue::Text("甲企业".into()), CellValue::Empty]);
        assert_eq!(bits(&rows[1..2])[0].1, [Some(42.0_f64.to_bits()), None, None, Some((0.1_f64 + 0.2).to_bits())]);
        for (i, v) in values.iter().enumerate() {
            let (line, cells) = &rows[i + 2];
            assert_eq!(*line, i + 3);
            assert_eq!(cells.len(), i % 4 + 1, "leading gaps filled, no trailing cells");
            assert!(cells[..i % 4].iter().all(CellValue::is_empty));
            let CellValue::Number(got) = cells[i % 4] else { panic!("{:?}", cells[i % 4]) };
            assert_eq!(got.to_bits(), v.to_bits(), "{v:e} came back as {got:e}");
        }
    }

    #[test]
    fn the_named_sheet_or_the_first_with_content() {
        let mut workbook = Workbook::new();
        workbook.add_worksheet().set_name("空").unwrap();
        let first = workbook.add_worksheet().set_name("说明").unwrap();
        first.write_string(0, 0, "说明文字").unwrap();
        let hidden = workbook.add_worksheet().set_name("隐藏").unwrap();
        hidden.write_string(0, 0, "x").unwrap();
        hidden.set_hidden(true);
        let m = workbook.add_worksheet().set_name("矩阵").unwrap();
        m.write_string(2, 1, "id").unwrap();
        m.write_number(3, 1, 1.5).unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let limits = Limits::default();

        let rows = read_sheet_values(&bytes, "m.xlsx", Some("矩阵"), &limits).unwrap();
        assert_eq!(
            rows,
            vec![
                (3, vec![CellValue::Empty, CellValue::Text("id".into())]),
                (4, vec![CellValue::Empty, CellValue::Number(1.5)]),
            ]
        );
        let first = vec![(1, vec![CellValue::Text("说明文字".into())])];
        assert_eq!(read_sheet_values(&bytes, "m.xlsx", None, &limits).unwrap(), first);
        assert_eq!(read_sheet_values(&bytes, "m.xlsx", Some("无此表"), &limits).unwrap(), first);
        // A hidden sheet is not read, even by name.
        assert_eq!(read_sheet_values(&bytes, "m.xlsx", Some("隐藏"), &limits).unwrap(), first);
        assert_eq!(read_sheet_values(&bytes, "m.xlsx", Some("空"), &limits).unwrap(), vec![]);
    }

    #[test]
    fn refusals_are_errors_not_panics() {
        let limits = Limits::default();
        for (bytes, name) in [
            (&b"id,a\nA,1\n"[..], "m.csv"),
            (b"id,a\nA,1\n", "m.xlsx"),
            (b"PK\x03\x04garbage", "m.xlsx"),
            (b"\x00\x01\x02", "m.bin"),
            (b"", "m.xlsx"),
        ] {
            assert!(read_sheet_values(bytes, name, None, &limits).is_err(), "{name}: {bytes:?}");
        }

        // A cell right of the header, and too many rows, name the sheet and the line.
        let mut workbook = Workbook::new();
        let s = workbook.add_worksheet().set_name("矩阵").unwrap();
        s.write_string(0, 0, "id").unwrap();
        s.write_string(0, 1, "a").unwrap();
        for r in 1..4 {
            s.write_number(r, 1, f64::from(r)).unwrap();
        }
        s.write_number(4, 2, 1.0).unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        let err = read_sheet_values(&bytes, "m.xlsx", None, &limits).unwrap_err().to_string();
        assert!(err.contains("工作表“矩阵”") && err.contains("第 5 行"), "{err}");
        let few = Limits { max_rows: 2, ..Limits::default() };
        let err = read_sheet_values(&bytes, "m.xlsx", None, &few).unwrap_err();
        assert!(
            matches!(&err, OfficeError::InSheet { source, .. } if matches!(**source, OfficeError::TooManyRows { max: 2 })),
            "{err:?}"
        );
    }
}
