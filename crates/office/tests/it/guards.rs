use std::io::{Cursor, Write};

use office::{FileKind, Limits, OfficeError, check_zip, sniff};
use rust_xlsxwriter::Workbook;

use crate::{read, zip_of};

fn small_xlsx() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "企业名称").unwrap();
    for r in 1..200 {
        ws.write_string(r, 0, format!("企业{r}")).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

const WORKBOOK_PARTS: [(&str, &[u8]); 2] = [("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")];

#[test]
fn a_real_xlsx_passes() {
    let xlsx = small_xlsx();
    assert_eq!(sniff(&xlsx, "a.xlsx").unwrap(), FileKind::Xlsx);
    check_zip(&xlsx, &Limits::default()).unwrap();
}

#[test]
fn text_named_xlsx() {
    let err = read("企业名称,所属区县\n甲,通川区\n".as_bytes(), "企业.xlsx").unwrap_err();
    assert!(matches!(&err, OfficeError::ExtensionMismatch { ext, .. } if ext == "xlsx"), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("扩展名为 .xlsx") && message.contains("纯文本"), "{message}");
}

#[test]
fn web_page_saved_as_xls() {
    let html = b"\r\n<html><body><table><tr><td>1</td></tr></table></body></html>";
    let err = read(html, "报表.xls").unwrap_err();
    assert!(err.to_string().contains("网页"), "{err}");
    let err = read(html, "报表.csv").unwrap_err();
    assert!(matches!(err, OfficeError::Unsupported { .. }), "{err:?}");
}

#[test]
fn images_pdfs_and_binaries() {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[0; 64]);
    let err = read(&png, "企业.xlsx").unwrap_err();
    assert_eq!(err.to_string(), "文件类型不受支持：PNG 图片，请上传 .xlsx 或 .csv 文件");
    let err = read(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n", "a.csv").unwrap_err();
    assert!(err.to_string().contains("PDF"), "{err}");
    let err = read(b"ELF\x00\x01\x02 some binary", "a.csv").unwrap_err();
    assert!(err.to_string().contains("二进制"), "{err}");
}

#[test]
fn ole2_is_legacy_xls_or_encrypted_xlsx() {
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.resize(4096, 0);
    let stream: Vec<u8> = "EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes).collect();
    ole[1024..1024 + stream.len()].copy_from_slice(&stream);
    for name in ["加密.xlsx", "旧版.xls"] {
        let err = read(&ole, name).unwrap_err();
        assert!(matches!(err, OfficeError::EncryptedOrLegacy), "{err:?}");
        assert_eq!(err.to_string(), "文件已加密或为旧版 .xls 格式，请另存为未加密的 .xlsx 或 .csv");
    }
}

#[test]
fn zips_that_are_not_workbooks() {
    let plain = zip_of(&[("readme.txt", b"hello")]);
    let err = read(&plain, "a.xlsx").unwrap_err();
    assert!(matches!(err, OfficeError::NotXlsx { .. }), "{err:?}");
    assert!(err.to_string().starts_with("不是有效的 xlsx 文件"), "{err}");

    let docx = zip_of(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w/>")]);
    assert!(read(&docx, "a.xlsx").unwrap_err().to_string().contains("Word"));

    let mut broken = b"PK\x03\x04".to_vec();
    broken.extend_from_slice(&[7; 200]);
    let err = read(&broken, "a.xlsx").unwrap_err();
    assert!(err.to_string().contains("损坏"), "{err}");
}

/// Deflates `size` zeros into one entry, streaming, so the test never holds them.
fn zeros_bomb(size: u64) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in WORKBOOK_PARTS {
        w.start_file(name, options).unwrap();
        w.write_all(content).unwrap();
    }
    w.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..size / chunk.len() as u64 {
        w.write_all(&chunk).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn a_zip_bomb_of_one_gib_of_zeros_is_refused() {
    let bomb = zeros_bomb(1 << 30);
    assert!(bomb.len() < 2 << 20, "compressed to {} bytes", bomb.len());
    let err = check_zip(&bomb, &Limits::default()).unwrap_err();
    assert!(matches!(err, OfficeError::ZipBomb { .. }), "{err:?}");
    assert!(err.to_string().starts_with("压缩包解压后过大（疑似压缩炸弹），已拒绝"), "{err}");
    let err = read(&bomb, "a.xlsx").unwrap_err();
    assert!(matches!(err, OfficeError::ZipBomb { .. }), "{err:?}");
}

#[test]
fn a_high_ratio_entry_is_refused_even_under_the_total() {
    // 64 MiB of zeros: well under 500 MiB, but a ratio of about a thousand.
    let bomb = zeros_bomb(64 << 20);
    let err = check_zip(&bomb, &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("压缩比"), "{err}");
}

/// Offset of the central-directory header of `name`.
fn central_entry(bytes: &[u8], name: &str) -> usize {
    (0..bytes.len() - 46)
        .find(|&i| {
            bytes[i..i + 4] == *b"PK\x01\x02" && {
                let len = u16::from_le_bytes([bytes[i + 28], bytes[i + 29]]) as usize;
                bytes.get(i + 46..i + 46 + len) == Some(name.as_bytes())
            }
        })
        .unwrap()
}

#[test]
fn an_entry_declaring_four_gib_is_refused() {
    let mut zip = zip_of(&[WORKBOOK_PARTS[0], WORKBOOK_PARTS[1], ("xl/worksheets/sheet1.xml", b"<worksheet/>")]);
    let at = central_entry(&zip, "xl/worksheets/sheet1.xml");
    zip[at + 24..at + 28].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    let err = check_zip(&zip, &Limits::default()).unwrap_err();
    assert!(matches!(err, OfficeError::ZipBomb { .. }), "{err:?}");
    assert!(matches!(read(&zip, "a.xlsx"), Err(OfficeError::ZipBomb { .. })));
}

#[test]
fn twenty_thousand_entries_against_a_limit_of_ten_thousand() {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, content) in WORKBOOK_PARTS {
        w.start_file(name, options).unwrap();
        w.write_all(content).unwrap();
    }
    for i in 0..20_000 {
        w.start_file(format!("xl/media/{i}.bin"), options).unwrap();
        w.write_all(b"x").unwrap();
    }
    let zip = w.finish().unwrap().into_inner();
    let limits = Limits { max_zip_entries: 10_000, ..Limits::default() };
    let err = check_zip(&zip, &limits).unwrap_err();
    assert!(matches!(err, OfficeError::ZipTooManyEntries { count: 20_002, max: 10_000 }), "{err:?}");
    assert!(err.to_string().contains("压缩包内文件过多"), "{err}");
    let err = office::read_table(&zip, "a.xlsx", &limits).unwrap_err();
    assert!(matches!(err, OfficeError::ZipTooManyEntries { .. }), "{err:?}");
}

#[test]
fn a_central_directory_that_understates_a_size_stops_the_reader() {
    let mut xlsx = small_xlsx();
    let at = central_entry(&xlsx, "xl/worksheets/sheet1.xml");
    let declared = u32::from_le_bytes(xlsx[at + 24..at + 28].try_into().unwrap());
    assert!(declared > 1000);
    xlsx[at + 24..at + 28].copy_from_slice(&100u32.to_le_bytes());
    // The directory alone looks harmless …
    check_zip(&xlsx, &Limits::default()).unwrap();
    // … but inflating past the declared size fails instead of running on.
    let err = read(&xlsx, "a.xlsx").unwrap_err();
    assert!(matches!(err, OfficeError::ZipBomb { .. }), "{err:?}");
}

#[test]
fn zip64_directories_are_understood() {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    for (name, content) in WORKBOOK_PARTS {
        w.start_file(name, options).unwrap();
        w.write_all(content).unwrap();
    }
    let zip = w.finish().unwrap().into_inner();
    check_zip(&zip, &Limits::default()).unwrap();
    assert_eq!(sniff(&zip, "a.xlsx").unwrap(), FileKind::Xlsx);
}
