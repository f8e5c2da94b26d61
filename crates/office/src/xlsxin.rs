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
use crate::zipcheck::judge_entry;
use crate::{Limits, OfficeError};

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
