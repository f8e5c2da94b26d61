//! The real type of an upload, by its magic bytes: the name only sharpens the message.

use crate::OfficeError;
use crate::zipcheck;

/// What an upload really is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Text: csv, tab- or semicolon-separated, in UTF-8, UTF-16 or GB18030/GBK.
    Csv,
    /// An Office Open XML workbook.
    Xlsx,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const EMPTY_ZIP_MAGIC: &[u8] = b"PK\x05\x06";
const OLE2_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const BINARY_MAGICS: &[(&[u8], &str)] = &[
    (b"%PDF-", "PDF 文档"),
    (b"\x89PNG\r\n\x1a\n", "PNG 图片"),
    (&[0xFF, 0xD8, 0xFF], "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"Rar!\x1a\x07", "RAR 压缩包"),
    (&[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], "7z 压缩包"),
    (&[0x1F, 0x8B], "gzip 压缩包"),
];
/// Extensions that promise an Excel workbook (including WPS's own).
const WORKBOOK_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xltx", "xls", "et", "ett"];

/// Decides what `bytes` really are. `file_name` is only used to explain a mismatch, e.g. a
/// `.xlsx` that is really text or a web page.
pub fn sniff(bytes: &[u8], file_name: &str) -> Result<FileKind, OfficeError> {
    if bytes.is_empty() {
        return Err(OfficeError::Empty);
    }
    let ext = extension(file_name);
    if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(EMPTY_ZIP_MAGIC) {
        return sniff_zip(bytes).map(|()| FileKind::Xlsx);
    }
    if bytes.starts_with(OLE2_MAGIC) {
        return Err(OfficeError::EncryptedOrLegacy);
    }
    for (magic, kind) in BINARY_MAGICS {
        if bytes.starts_with(magic) {
            return Err(OfficeError::Unsupported { kind: (*kind).to_string() });
        }
    }
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    let head = &bytes[..bytes.len().min(8192)];
    if !utf16 && head.contains(&0) {
        return Err(OfficeError::Unsupported { kind: "二进制文件".into() });
    }
    let markup = !utf16 && looks_like_markup(head);
    if let Some(ext) = ext.filter(|e| WORKBOOK_EXTENSIONS.contains(&e.as_str())) {
        let actual = if markup { "网页（HTML）或 XML" } else { "纯文本（可能是 csv）" };
        return Err(OfficeError::ExtensionMismatch { ext, actual: actual.into() });
    }
    if markup {
        return Err(OfficeError::Unsupported { kind: "网页（HTML）或 XML 文件".into() });
    }
    Ok(FileKind::Csv)
}

fn extension(file_name: &str) -> Option<String> {
    let (_, ext) = file_name.rsplit_once('.')?;
    let ext = ext.trim().to_ascii_lowercase();
    (!ext.is_empty() && ext.len() <= 8).then_some(ext)
}

/// An HTML table or SpreadsheetML 2003 file saved as ".xls" by some reporting systems.
fn looks_like_markup(head: &[u8]) -> bool {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(text.len());
    let text = &text[start..];
    let lower: Vec<u8> = text.iter().take(16).map(u8::to_ascii_lowercase).collect();
    [&b"<html"[..], b"<!doctype", b"<table", b"<?xml", b"<head", b"<meta"].iter().any(|m| lower.starts_with(m))
}

/// A zip must be an OOXML workbook; other Office and OpenDocument files get their own name.
fn sniff_zip(bytes: &[u8]) -> Result<(), OfficeError> {
    let dir = zipcheck::directory(bytes)?;
    let (mut content_types, mut workbook) = (false, false);
    let mut other = None;
    zipcheck::walk(bytes, &dir, |e| {
        match e.name {
            b"[Content_Types].xml" => content_types = true,
            b"xl/workbook.xml" => workbook = true,
            b"xl/workbook.bin" => other = Some("二进制工作簿（.xlsb），请另存为 .xlsx"),
            b"word/document.xml" => other = Some("这是 Word 文档"),
            b"ppt/presentation.xml" => other = Some("这是 PowerPoint 演示文稿"),
            b"content.xml" => other = Some("这是 OpenDocument（WPS/LibreOffice）文件，请另存为 .xlsx"),
            _ => {}
        }
        Ok(())
    })?;
    if content_types && workbook {
        return Ok(());
    }
    let reason = other.unwrap_or("压缩包中没有 Excel 工作簿（xl/workbook.xml）");
    Err(OfficeError::NotXlsx { reason: reason.into() })
}
