//! csv (and tab- or semicolon-separated text) in UTF-8, UTF-16 or GB18030/GBK.

use std::borrow::Cow;

use crate::OfficeError;
use crate::table::{Assembler, RowVisitor};
use crate::text::trim_cell;

/// Parses `bytes` (already sniffed as text) row by row into the assembler. UTF-8 input is
/// parsed in place; other encodings are decoded once.
pub(crate) fn read<V: RowVisitor>(bytes: &[u8], assembler: &mut Assembler<'_, V>) -> Result<(), V::Error> {
    let text = decode(bytes)?;
    if trim_cell(&text).is_empty() {
        return Err(OfficeError::Empty.into());
    }
    let delimiter = detect_delimiter(&text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut record = csv::ByteRecord::new();
    let bytes = text.as_bytes();
    // Excel shows one row per record (a quoted field may span lines) and one per blank line,
    // which the csv reader skips; its own line count is not that number, so count here.
    let mut excel_row: usize = 0;
    let mut consumed: usize = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(OfficeError::Csv { line: excel_row + 1, message: e.to_string() }.into());
            }
        }
        excel_row += 1 + blank_lines_before(bytes, consumed);
        consumed = usize::try_from(reader.position().byte()).unwrap_or(bytes.len());
        let cells = record.iter().map(|f| trim_cell(&String::from_utf8_lossy(f)).to_owned()).collect();
        assembler.push(excel_row, cells)?;
    }
    Ok(())
}

/// Blank lines between the end of the previous record (`from`, which the csv reader may
/// leave between the `\r` and `\n` of its terminator) and the start of the next one.
fn blank_lines_before(bytes: &[u8], from: usize) -> usize {
    let mut i = from.min(bytes.len());
    if i > 0 && bytes[i - 1] == b'\r' && bytes.get(i) == Some(&b'\n') {
        i += 1;
    }
    let mut lines = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\r' => {
                lines += 1;
                i += if bytes.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
            }
            b'\n' => {
                lines += 1;
                i += 1;
            }
            _ => break,
        }
    }
    lines
}

/// UTF-8 (BOM or not) is borrowed; UTF-16 with a BOM and GB18030 (a superset of GBK and
/// GB2312) are decoded. Anything that is none of these is refused rather than guessed at.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, OfficeError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Ok(String::from_utf8_lossy(rest));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return encoding_rs::UTF_16LE
            .decode_without_bom_handling_and_without_replacement(rest)
            .ok_or(OfficeError::Encoding);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return encoding_rs::UTF_16BE
            .decode_without_bom_handling_and_without_replacement(rest)
            .ok_or(OfficeError::Encoding);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        // Only the last character is cut short (a truncated upload): still UTF-8.
        Err(e) if e.error_len().is_none() && e.valid_up_to() + 4 > bytes.len() => Ok(String::from_utf8_lossy(bytes)),
        Err(_) => {
            encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes).ok_or(OfficeError::Encoding)
        }
    }
}

/// Comma, tab or semicolon: whichever occurs most in the first non-blank line outside quotes.
/// Ties go to the comma.
fn detect_delimiter(text: &str) -> u8 {
    let first = text.lines().find(|l| !trim_cell(l).is_empty()).unwrap_or_default();
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for b in first.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b'\t' if !quoted => counts[1] += 1,
            b';' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b'\t', b';'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}
