//! Files people exchange: reading csv/xlsx uploads safely into a table of text cells, mapping
//! the Chinese column headers people write, parsing the dates and numbers Excel produces, and
//! writing xlsx/csv exports that cannot smuggle formulas.
//!
//! No database work happens here: the `app` crate validates the rows and writes them.
//!
//! The import pipeline, in the order [`read_table`] / [`visit_rows`] run it:
//! 1. size check ([`Limits::max_bytes`]) before anything else looks at the bytes;
//! 2. [`sniff`]: the real file type by magic bytes, whatever the name says;
//! 3. for xlsx, [`check_zip`]: the zip central directory only (entry count, declared sizes,
//!    compression ratios) with no allocation, before any parser opens the archive;
//! 4. parsing: csv in UTF-8 (with or without BOM), UTF-16 or GB18030/GBK; xlsx through
//!    calamine's streaming cell reader (never a whole-sheet grid, whose size a file could lie
//!    about).

mod csvin;
mod csvout;
pub mod dates;
pub mod docx;
pub mod headers;
mod limits;
pub mod numbers;
mod sniff;
mod table;
mod text;
mod xlsxin;
pub mod xlsxout;
mod zipcheck;

pub use csvout::{csv_escape_cell, write_csv};
pub use dates::{Period, parse_date, parse_period};
pub use docx::{DOCX_TYPE, DocBuilder};
pub use headers::{
    ENTERPRISE_FIELDS, FieldSpec, HONOUR_FIELDS, HeaderError, HeaderMap, HeaderProblem, INDICATOR_VALUE_FIELDS,
    RESERVE_FIELDS, map_headers,
};
pub use limits::Limits;
pub use sniff::{FileKind, sniff};
pub use table::{Row, RowVisitor, Sheet, Table, read_headers, read_table, read_workbook, visit_rows};
pub use xlsxin::{CellValue, read_sheet_values};
pub use xlsxout::{CellOut, RowError, SheetOut, content_disposition, error_report_xlsx, write_xlsx, write_xlsx_sheets};
pub use zipcheck::{check_zip, zip_files};

/// Everything that can go wrong with a file. Every message is Chinese and meant for the user
/// who uploaded the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OfficeError {
    #[error("文件为空")]
    Empty,
    #[error("文件过大（{}），上限为 {}", mib(*size), mib(*max))]
    TooLarge { size: u64, max: u64 },
    #[error("文件没有表头行：第 {line} 行看起来是数据而不是列名，请在第一行填写列名")]
    NoHeader { line: usize },
    #[error("数据行数超过上限 {max} 行，请拆分文件后分批导入")]
    TooManyRows { max: usize },
    #[error("第 {line} 行的列数超过上限 {max} 列")]
    TooManyColumns { line: usize, max: usize },
    #[error("第 {line} 行在表头范围（共 {header_count} 列）之外还有内容，请检查分隔符或引号，或删除表头以外的内容")]
    ExtraCells { line: usize, header_count: usize },
    #[error("不是有效的 xlsx 文件：{reason}")]
    NotXlsx { reason: String },
    #[error("文件已加密或为旧版 .xls 格式，请另存为未加密的 .xlsx 或 .csv")]
    EncryptedOrLegacy,
    #[error("文件类型不受支持：{kind}，请上传 .xlsx 或 .csv 文件")]
    Unsupported { kind: String },
    #[error(
        "文件扩展名为 .{ext}，但内容是{actual}，不是真正的 Excel 工作簿；请在 Excel 或 WPS 中打开后另存为 .xlsx，或另存为 .csv 后上传"
    )]
    ExtensionMismatch { ext: String, actual: String },
    #[error("不是有效的 zip 压缩包：{reason}")]
    NotZip { reason: String },
    #[error("压缩包内文件过多（{count} 个，上限 {max} 个），疑似压缩炸弹，已拒绝")]
    ZipTooManyEntries { count: u64, max: usize },
    #[error("压缩包解压后过大（疑似压缩炸弹），已拒绝：{detail}")]
    ZipBomb { detail: String },
    #[error("文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 csv")]
    Encoding,
    #[error("csv 第 {line} 行无法解析：{message}")]
    Csv { line: usize, message: String },
    #[error("xlsx 文件无法读取（文件可能已损坏）：{0}")]
    Xlsx(String),
    /// A problem inside one worksheet of a workbook read sheet by sheet.
    #[error("工作表“{sheet}”：{source}")]
    InSheet { sheet: String, source: Box<OfficeError> },
    #[error("生成文件失败：{0}")]
    Write(String),
    #[error("导出行数（{rows}）超过 Excel 单个工作表的上限 1048575 行，请改用 csv 导出")]
    TooManyRowsForXlsx { rows: usize },
}

/// A byte count as megabytes for messages: "52.3 MB".
fn mib(bytes: u64) -> String {
    // Display only: precision loss above 2^53 bytes is irrelevant.
    #[allow(clippy::cast_precision_loss)]
    let mb = bytes as f64 / (1024.0 * 1024.0);
    format!("{} MB", numbers::format_number((mb * 10.0).round() / 10.0))
}
