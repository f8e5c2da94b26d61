//! Upload limits, checked before any parser sees the bytes.

use crate::OfficeError;

/// Bounds on what an upload may cost. The defaults suit a province-scale import on a small
/// server: a 1,000,000-row csv fits, a zip bomb does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Size of the uploaded file itself.
    pub max_bytes: u64,
    /// Entries in an xlsx (zip) archive, counted from the central directory.
    pub max_zip_entries: usize,
    /// Sum of the uncompressed sizes the central directory declares. The zip reader under
    /// calamine refuses any entry that inflates past its declared size, so this also bounds
    /// what is actually decompressed.
    pub max_uncompressed: u64,
    /// Data rows (not counting the header and fully empty rows).
    pub max_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 50 * 1024 * 1024,
            max_zip_entries: 10_000,
            max_uncompressed: 500 * 1024 * 1024,
            max_rows: 2_000_000,
        }
    }
}

impl Limits {
    /// The first check of every import: the size, and that there is anything at all.
    pub fn check_size(&self, bytes: &[u8]) -> Result<(), OfficeError> {
        let size = bytes.len() as u64;
        if size > self.max_bytes {
            return Err(OfficeError::TooLarge { size, max: self.max_bytes });
        }
        if bytes.is_empty() {
            return Err(OfficeError::Empty);
        }
        Ok(())
    }
}

/// The largest ratio of declared uncompressed size to compressed size one entry may have.
/// Real worksheet XML compresses 10–30×; runs of zeros compress about 1000×.
pub(crate) const MAX_RATIO: u64 = 200;
/// Entries smaller than this are never judged by their ratio: they cannot hurt.
pub(crate) const RATIO_FLOOR: u64 = 1024 * 1024;
/// Columns a row may have (Excel's own limit).
pub(crate) const MAX_COLUMNS: usize = 16_384;
