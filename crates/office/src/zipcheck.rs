//! The zip central directory, read by hand with no allocation, so an archive can be judged
//! (entry count, declared sizes, compression ratios, names) before any parser opens it.
//!
//! A bomb may lie in its central directory. Two more guards stand behind this one:
//! `xlsxin` cross-checks the directory the `zip` crate itself parses (the one calamine will
//! use), and the `zip` crate (>= 9.8) fails any entry that inflates past the size its
//! central directory declares — so the declared sizes checked here bound what is really
//! decompressed.

use crate::OfficeError;
use crate::limits::{Limits, MAX_RATIO, RATIO_FLOOR};

const EOCD_SIG: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
const EOCD64_LOCATOR_SIG: [u8; 4] = [0x50, 0x4b, 0x06, 0x07];
const EOCD64_SIG: [u8; 4] = [0x50, 0x4b, 0x06, 0x06];
const CDFH_SIG: [u8; 4] = [0x50, 0x4b, 0x01, 0x02];
const EOCD_LEN: usize = 22;

/// One central-directory entry, borrowed from the archive bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub name: &'a [u8],
    pub flags: u16,
    pub method: u16,
    pub compressed: u64,
    pub uncompressed: u64,
}

/// Where the central directory is and how many entries it claims.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Directory {
    pub entries: u64,
    start: usize,
    end: usize,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn corrupt() -> OfficeError {
    OfficeError::NotXlsx { reason: "压缩包已损坏（找不到有效的目录）".into() }
}

/// Finds the end-of-central-directory record: the last signature in the final 64 KiB whose
/// comment length reaches exactly to the end of the file, else the last signature at all.
fn find_eocd(b: &[u8]) -> Option<usize> {
    if b.len() < EOCD_LEN {
        return None;
    }
    let last = b.len() - EOCD_LEN;
    let first = last.saturating_sub(u16::MAX as usize);
    let mut fallback = None;
    for pos in (first..=last).rev() {
        if b[pos..pos + 4] == EOCD_SIG {
            let comment = u16_at(b, pos + 20)? as usize;
            if pos + EOCD_LEN + comment == b.len() {
                return Some(pos);
            }
            fallback.get_or_insert(pos);
        }
    }
    fallback
}

/// Locates the central directory (zip64 aware) without reading its entries.
pub(crate) fn directory(b: &[u8]) -> Result<Directory, OfficeError> {
    let eocd = find_eocd(b).ok_or_else(corrupt)?;
    let disk = u16_at(b, eocd + 4).ok_or_else(corrupt)?;
    let cd_disk = u16_at(b, eocd + 6).ok_or_else(corrupt)?;
    if disk != 0 || cd_disk != 0 {
        return Err(OfficeError::NotXlsx { reason: "分卷压缩包不受支持".into() });
    }
    let mut entries = u64::from(u16_at(b, eocd + 10).ok_or_else(corrupt)?);
    let mut size = u64::from(u32_at(b, eocd + 12).ok_or_else(corrupt)?);
    let mut offset = u64::from(u32_at(b, eocd + 16).ok_or_else(corrupt)?);
    let mut record = eocd;
    let zip64 = entries == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF;
    if zip64 {
        let loc = eocd.checked_sub(20).ok_or_else(corrupt)?;
        if b[loc..loc + 4] != EOCD64_LOCATOR_SIG {
            return Err(corrupt());
        }
        let at = usize::try_from(u64_at(b, loc + 8).ok_or_else(corrupt)?).map_err(|_| corrupt())?;
        if at >= loc || !b[at..].starts_with(&EOCD64_SIG) {
            return Err(corrupt());
        }
        entries = u64_at(b, at + 32).ok_or_else(corrupt)?;
        size = u64_at(b, at + 40).ok_or_else(corrupt)?;
        offset = u64_at(b, at + 48).ok_or_else(corrupt)?;
        record = at;
    }
    let size = usize::try_from(size).map_err(|_| corrupt())?;
    let offset = usize::try_from(offset).map_err(|_| corrupt())?;
    if size > record {
        return Err(corrupt());
    }
    // Data prepended to the archive shifts every offset; the directory then ends where the
    // end record begins (the same correction other zip readers make).
    let start = match offset.checked_add(size) {
        Some(end) if end <= record && b[offset..].starts_with(&CDFH_SIG) => offset,
        _ => record - size,
    };
    Ok(Directory { entries, start, end: start + size })
}

/// Walks the central directory, calling `f` for each entry. Stops at the first error.
pub(crate) fn walk<'a>(
    b: &'a [u8],
    dir: &Directory,
    mut f: impl FnMut(Entry<'a>) -> Result<(), OfficeError>,
) -> Result<(), OfficeError> {
    let mut pos = dir.start;
    for _ in 0..dir.entries {
        if pos + 46 > dir.end || b[pos..pos + 4] != CDFH_SIG {
            return Err(corrupt());
        }
        let flags = u16_at(b, pos + 8).ok_or_else(corrupt)?;
        let method = u16_at(b, pos + 10).ok_or_else(corrupt)?;
        let mut compressed = u64::from(u32_at(b, pos + 20).ok_or_else(corrupt)?);
        let mut uncompressed = u64::from(u32_at(b, pos + 24).ok_or_else(corrupt)?);
        let name_len = usize::from(u16_at(b, pos + 28).ok_or_else(corrupt)?);
        let extra_len = usize::from(u16_at(b, pos + 30).ok_or_else(corrupt)?);
        let comment_len = usize::from(u16_at(b, pos + 32).ok_or_else(corrupt)?);
        let name_start = pos + 46;
        let extra_start = name_start + name_len;
        let next = extra_start + extra_len + comment_len;
        if next > dir.end {
            return Err(corrupt());
        }
        if uncompressed == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF {
            // Zip64 extended information: 8-byte values, in this order, for exactly the
            // fields whose 4-byte value is saturated.
            let body = zip64_extra(&b[extra_start..extra_start + extra_len]).ok_or_else(corrupt)?;
            let mut at = 0;
            if uncompressed == 0xFFFF_FFFF {
                uncompressed = u64_at(body, at).ok_or_else(corrupt)?;
                at += 8;
            }
            if compressed == 0xFFFF_FFFF {
                compressed = u64_at(body, at).ok_or_else(corrupt)?;
            }
        }
        f(Entry { name: &b[name_start..extra_start], flags, method, compressed, uncompressed })?;
        pos = next;
    }
    Ok(())
}

/// The body of the zip64 extended-information extra field (id 0x0001).
fn zip64_extra(extra: &[u8]) -> Option<&[u8]> {
    let mut at = 0;
    while at + 4 <= extra.len() {
        let id = u16_at(extra, at)?;
        let len = usize::from(u16_at(extra, at + 2)?);
        let body = extra.get(at + 4..at + 4 + len)?;
        if id == 0x0001 {
            return Some(body);
        }
        at += 4 + len;
    }
    None
}

/// Judges an archive by its central directory alone, before any parser opens it: entry count,
/// the sum of declared uncompressed sizes, each entry's compression ratio, encryption and
/// compression method. Memory use is constant whatever the archive claims.
pub fn check_zip(bytes: &[u8], limits: &Limits) -> Result<(), OfficeError> {
    let dir = directory(bytes)?;
    if dir.entries > limits.max_zip_entries as u64 {
        return Err(OfficeError::ZipTooManyEntries { count: dir.entries, max: limits.max_zip_entries });
    }
    let mut total: u64 = 0;
    walk(bytes, &dir, |e| {
        judge_entry(
            e.name,
            e.flags & 1 == 1,
            e.method == 0 || e.method == 8,
            e.compressed,
            e.uncompressed,
            &mut total,
            limits,
        )
    })
}

/// The per-entry rules, shared with the cross-check on the `zip` crate's own directory.
pub(crate) fn judge_entry(
    name: &[u8],
    encrypted: bool,
    method_supported: bool,
    compressed: u64,
    uncompressed: u64,
    total: &mut u64,
    limits: &Limits,
) -> Result<(), OfficeError> {
    let name = String::from_utf8_lossy(name);
    if encrypted {
        return Err(OfficeError::NotXlsx { reason: "压缩包设有密码".into() });
    }
    if !method_supported {
        return Err(OfficeError::NotXlsx { reason: format!("“{name}”使用了不支持的压缩方式") });
    }
    *total = total.saturating_add(uncompressed);
    if *total > limits.max_uncompressed {
        return Err(OfficeError::ZipBomb {
            detail: format!("声明的解压后总大小超过 {} MB", limits.max_uncompressed / 1024 / 1024),
        });
    }
    if uncompressed > RATIO_FLOOR && uncompressed / compressed.max(1) > MAX_RATIO {
        return Err(OfficeError::ZipBomb { detail: format!("“{name}”的压缩比超过 {MAX_RATIO} 倍") });
    }
    Ok(())
}

/// The files of a zip archive whose names (without their folders) are in `wanted`, read into
/// memory after the archive passed [`check_zip`] (and the `zip` crate's own directory the
/// same rules); the first of two entries with one name wins. Folders are ignored.
pub fn zip_files(
    bytes: &[u8],
    limits: &Limits,
    wanted: &[&str],
) -> Result<std::collections::HashMap<String, Vec<u8>>, OfficeError> {
    use std::io::Read;
    limits.check_size(bytes)?;
    let as_zip = |e: OfficeError| match e {
        OfficeError::NotXlsx { reason } => OfficeError::NotZip { reason },
        e => e,
    };
    check_zip(bytes, limits).map_err(as_zip)?;
    let corrupt = |e: zip::result::ZipError| OfficeError::NotZip { reason: format!("压缩包已损坏（{e}）") };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(corrupt)?;
    let mut total = 0;
    let mut out = std::collections::HashMap::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).map_err(corrupt)?;
        let method_supported =
            matches!(f.compression(), zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated);
        judge_entry(f.name_raw(), f.encrypted(), method_supported, f.compressed_size(), f.size(), &mut total, limits)
            .map_err(as_zip)?;
        if f.is_dir() {
            continue;
        }
        let name = f.name().map_err(corrupt)?.rsplit('/').next().unwrap_or("").to_string();
        if !wanted.contains(&name.as_str()) || out.contains_key(&name) {
            continue;
        }
        let size = f.size();
        let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(64 << 20));
        (&mut f)
            .take(size.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| OfficeError::NotZip { reason: format!("无法解压 {name}（{e}）") })?;
        out.insert(name, buf);
    }
    Ok(out)
}
