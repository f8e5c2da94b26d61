//! csv exports and the download header.

use std::borrow::Cow;
use std::io::Write;

use crate::OfficeError;
use crate::numbers::format_number;
use crate::xlsxout::{CellOut, escape_formula};

/// A text cell for a csv export: the same formula rule as the xlsx export (a leading `'` before
/// `=`, `+`, `-`, `@`, tab or CR). Quoting is the csv writer's job.
pub fn csv_escape_cell(s: &str) -> Cow<'_, str> {
    escape_formula(s)
}

/// Writes a csv export: UTF-8 with a BOM (so Excel and WPS read Chinese correctly), CRLF line
/// ends, text cells escaped by [`csv_escape_cell`], numbers as Excel shows them.
pub fn write_csv<W: Write>(
    out: W,
    headers: &[&str],
    rows: impl Iterator<Item = Vec<CellOut>>,
) -> Result<(), OfficeError> {
    let failed = |e: &dyn std::fmt::Display| OfficeError::Write(e.to_string());
    let mut out = out;
    out.write_all(b"\xEF\xBB\xBF").map_err(|e| failed(&e))?;
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).flexible(true).from_writer(out);
    writer.write_record(headers.iter().map(|h| csv_escape_cell(h).into_owned())).map_err(|e| failed(&e))?;
    let mut fields: Vec<String> = Vec::new();
    for row in rows {
        fields.clear();
        fields.extend(row.into_iter().map(|cell| match cell {
            CellOut::Text(s) => csv_escape_cell(&s).into_owned(),
            CellOut::Number(f) => format_number(f),
            CellOut::Int(i) => i.to_string(),
            CellOut::Empty => String::new(),
        }));
        writer.write_record(&fields).map_err(|e| failed(&e))?;
    }
    writer.flush().map_err(|e| failed(&e))?;
    Ok(())
}

/// A `Content-Disposition: attachment` value for a download named `file_name` (RFC 6266):
/// an ASCII `filename=` for old clients (the name itself when it is plain ASCII, otherwise
/// `export` plus the extension) and the real name as `filename*=UTF-8''…` (RFC 5987).
/// Control characters and path separators are removed first, so no header can be injected.
pub fn content_disposition(file_name: &str) -> String {
    let name: String =
        file_name.chars().filter(|c| !c.is_control()).map(|c| if c == '/' || c == '\\' { '_' } else { c }).collect();
    let name = name.trim();
    let name = if name.is_empty() { "export" } else { name };
    let plain = name.bytes().all(|b| (0x20..0x7F).contains(&b) && !matches!(b, b'"' | b'\\' | b'%' | b';'));
    let fallback = if plain {
        name.to_owned()
    } else {
        match name.rsplit_once('.') {
            Some((_, ext)) if !ext.is_empty() && ext.len() <= 10 && ext.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                format!("export.{ext}")
            }
            _ => "export".to_owned(),
        }
    };
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}
