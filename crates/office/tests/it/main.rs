//! The office crate's one integration-test binary. Every fixture is generated here: xlsx with
//! rust_xlsxwriter, zips with the zip writer, GBK text with encoding_rs.

mod csv_in;
mod dates;
mod export;
mod guards;
mod headers;
mod xlsx_in;

use std::io::{Cursor, Read, Write};

use office::{Limits, OfficeError, Table};

pub fn read(bytes: &[u8], name: &str) -> Result<Table, OfficeError> {
    office::read_table(bytes, name, &Limits::default())
}

pub fn cells(table: &Table) -> Vec<(usize, Vec<&str>)> {
    table.rows.iter().map(|r| (r.line, r.cells.iter().map(String::as_str).collect())).collect()
}

/// A zip archive of (name, content) entries, deflated.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        w.start_file(*name, options).unwrap();
        w.write_all(content).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Every entry of a zip archive, in order.
pub fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            f.read_to_end(&mut content).unwrap();
            (f.name().unwrap().into_owned(), content)
        })
        .collect()
}

/// The same archive with one entry's content replaced.
pub fn rewrite_entry(bytes: &[u8], name: &str, content: &[u8]) -> Vec<u8> {
    let entries = unzip(bytes);
    let replaced: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(n, c)| if n == name { (n.as_str(), content) } else { (n.as_str(), c.as_slice()) })
        .collect();
    zip_of(&replaced)
}
