//! 国民经济行业分类 GB/T 4754-2017 (the 2019 amendment is not applied).
//!
//! The table is embedded from `data/gbt4754_2017.csv` and parsed once. It has four levels:
//! 20 sections (门类, a letter), 97 divisions (大类, 2 digits), 473 groups (中类, 3 digits) and
//! 1,381 classes (小类, 4 digits).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::uscc::to_half_width;

const DATA: &str = include_str!("../../../data/gbt4754_2017.csv");

const HEADER: [&str; 6] = ["code", "level", "name", "parent_code", "section", "description"];

/// The four levels of the classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndustryLevel {
    /// 门类, a letter A–T.
    Section,
    /// 大类, two digits.
    Division,
    /// 中类, three digits.
    Group,
    /// 小类, four digits.
    Class,
}

impl IndustryLevel {
    /// The English code as used in the CSV and in serde ("section", …).
    pub fn code(self) -> &'static str {
        match self {
            Self::Section => "section",
            Self::Division => "division",
            Self::Group => "group",
            Self::Class => "class",
        }
    }

    /// The Chinese name of the level.
    pub fn label(self) -> &'static str {
        match self {
            Self::Section => "门类",
            Self::Division => "大类",
            Self::Group => "中类",
            Self::Class => "小类",
        }
    }

    /// Parses the English code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "section" => Some(Self::Section),
            "division" => Some(Self::Division),
            "group" => Some(Self::Group),
            "class" => Some(Self::Class),
            _ => None,
        }
    }
}

/// One row of the classification, borrowed from the embedded table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndustryEntry {
    /// Bare code: "C", "26", "261", "2614".
    pub code: &'static str,
    /// Level of the code.
    pub level: IndustryLevel,
    /// Chinese name.
    pub name: &'static str,
    /// Code of the parent, `None` for sections.
    pub parent_code: Option<&'static str>,
    /// Section letter.
    pub section: char,
    /// Explanatory note from the standard, often empty.
    pub description: &'static str,
}

/// A row as stored in the table.
struct Row {
    code: String,
    level: IndustryLevel,
    name: String,
    parent: Option<usize>,
    section: char,
    description: String,
}

struct Table {
    rows: Vec<Row>,
    index: HashMap<String, usize>,
}

static TABLE: LazyLock<Table> =
    LazyLock::new(|| Table::load(DATA).unwrap_or_else(|e| panic!("embedded GB/T 4754-2017 table is invalid: {e}")));

/// Splits one CSV line into fields; quoted fields may contain commas and `""` escapes.
/// Fields spanning several lines are not supported (the embedded data has none).
pub(crate) fn parse_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut at_field_start = true;
    loop {
        if at_field_start && chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated quoted field".to_owned()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => {
                    fields.push(std::mem::take(&mut field));
                    continue;
                }
                Some(c) => return Err(format!("unexpected {c:?} after a closing quote")),
            }
        }
        at_field_start = false;
        match chars.next() {
            None => {
                fields.push(field);
                return Ok(fields);
            }
            Some(',') => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            Some('"') => return Err("quote inside an unquoted field".to_owned()),
            Some(c) => field.push(c),
        }
    }
}

impl Table {
    fn load(data: &str) -> Result<Self, String> {
        let mut lines = data.lines().enumerate();
        let header = lines.next().map(|(_, l)| l).ok_or("empty file")?;
        if parse_csv_line(header)? != HEADER {
            return Err(format!("unexpected header {header:?}"));
        }
        let mut rows: Vec<Row> = Vec::new();
        let mut index = HashMap::new();
        for (i, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let at = |msg: String| format!("line {}: {msg}", i + 1);
            let fields = parse_csv_line(line).map_err(at)?;
            let [code, level, name, parent_code, section, description]: [String; 6] =
                fields.try_into().map_err(|f: Vec<String>| at(format!("expected 6 fields, got {}", f.len())))?;
            let level = IndustryLevel::from_code(&level).ok_or_else(|| at(format!("level {level:?}")))?;
            let section = match section.as_bytes() {
                [b @ b'A'..=b'Z'] => char::from(*b),
                _ => return Err(at(format!("section {section:?}"))),
            };
            if shape_level(&code) != Some(level) {
                return Err(at(format!("code {code:?} does not fit level {level:?}")));
            }
            let parent = if parent_code.is_empty() {
                None
            } else {
                let p =
                    *index.get(&parent_code).ok_or_else(|| at(format!("parent {parent_code:?} not defined before")))?;
                let parent_row: &Row = &rows[p];
                if parent_row.section != section {
                    return Err(at(format!("section differs from parent {parent_code}")));
                }
                Some(p)
            };
            if (level == IndustryLevel::Section) != parent.is_none() {
                return Err(at("only sections have no parent".to_owned()));
            }
            if index.insert(code.clone(), rows.len()).is_some() {
                return Err(at(format!("duplicate code {code:?}")));
            }
            rows.push(Row { code, level, name, parent, section, description });
        }
        Ok(Self { rows, index })
    }
}

/// The level a code would have judging by its shape alone.
fn shape_level(code: &str) -> Option<IndustryLevel> {
    match code.as_bytes() {
        [b'A'..=b'Z'] => Some(IndustryLevel::Section),
        digits if digits.iter().all(u8::is_ascii_digit) => match digits.len() {
            2 => Some(IndustryLevel::Division),
            3 => Some(IndustryLevel::Group),
            4 => Some(IndustryLevel::Class),
            _ => None,
        },
        _ => None,
    }
}

/// All entries in the standard's order (every parent precedes its children), for loading
/// into the database.
pub fn all() -> impl Iterator<Item = IndustryEntry> {
    TABLE.rows.iter().map(entry_of)
}

fn entry_of(row: &'static Row) -> IndustryEntry {
    IndustryEntry {
        code: &row.code,
        level: row.level,
        name: &row.name,
        parent_code: row.parent.map(|p| TABLE.rows[p].code.as_str()),
        section: row.section,
        description: &row.description,
    }
}

/// Why a string is not a GB/T 4754-2017 code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IndustryError {
    /// Nothing but whitespace was given.
    #[error("行业代码不能为空")]
    Empty,
    /// Not a letter and/or 2–4 digits.
    #[error("行业代码“{input}”格式不正确，应为门类字母（如 C）或2至4位数字，可带门类字母前缀（如 2614、C2614）")]
    Format {
        /// The input after trimming.
        input: String,
    },
    /// Well-formed but not in the standard.
    #[error("行业代码“{code}”不在 GB/T 4754-2017 中")]
    Unknown {
        /// The normalised code.
        code: String,
    },
    /// A section letter prefix contradicts the code's real section.
    #[error("行业代码“{code}”属于门类 {actual}，与填写的门类 {given} 不符")]
    SectionMismatch {
        /// The bare code.
        code: String,
        /// The letter given as prefix.
        given: char,
        /// The section the code belongs to.
        actual: char,
    },
}

/// A code that exists in GB/T 4754-2017, at any level. Its canonical form is the bare code
/// as in the standard ("C", "26", "261", "2614").
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IndustryCode(&'static Row);

impl IndustryCode {
    /// Parses a code: "2614", "C2614", "c 2614", "26", "261" or a section letter "C".
    ///
    /// Full-width characters and inner whitespace are tolerated. A section letter prefix is
    /// optional; if given it must be the code's own section.
    pub fn parse(s: &str) -> Result<Self, IndustryError> {
        let normalized: String =
            s.chars().map(to_half_width).filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
        if normalized.is_empty() {
            return Err(IndustryError::Empty);
        }
        let format_error = || IndustryError::Format { input: s.trim().to_owned() };
        let (letter, digits) = match normalized.as_bytes() {
            [first @ b'A'..=b'Z', ..] => (Some(char::from(*first)), &normalized[1..]),
            _ => (None, normalized.as_str()),
        };
        let code = if digits.is_empty() {
            normalized.as_str()
        } else if (2..=4).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            digits
        } else {
            return Err(format_error());
        };
        let found = Self::lookup(code).ok_or_else(|| IndustryError::Unknown { code: code.to_owned() })?;
        match letter {
            Some(given) if given != found.section() => {
                Err(IndustryError::SectionMismatch { code: code.to_owned(), given, actual: found.section() })
            }
            _ => Ok(found),
        }
    }

    /// Looks up a bare code exactly as in the standard.
    pub fn lookup(code: &str) -> Option<Self> {
        let table: &'static Table = &TABLE;
        table.index.get(code).map(|&i| Self(&table.rows[i]))
    }

    /// The bare code.
    pub fn as_str(&self) -> &'static str {
        &self.0.code
    }

    /// The Chinese name.
    pub fn name(&self) -> &'static str {
        &self.0.name
    }

    /// The explanatory note from the standard, often empty.
    pub fn description(&self) -> &'static str {
        &self.0.description
    }

    /// The level of the code.
    pub fn level(&self) -> IndustryLevel {
        self.0.level
    }

    /// The section letter (A–T).
    pub fn section(&self) -> char {
        self.0.section
    }

    /// The code one level up, `None` for a section.
    pub fn parent(&self) -> Option<Self> {
        self.0.parent.map(|p| Self(&TABLE.rows[p]))
    }

    /// The division (first two digits), `None` for a section.
    pub fn division(&self) -> Option<&'static str> {
        // Section codes are a single letter, so they have no two-character prefix.
        self.as_str().get(..2)
    }

    /// Whether the code is in 工业: sections B 采矿业, C 制造业, D 电力、热力、燃气及水生产和供应业.
    pub fn is_industrial(&self) -> bool {
        matches!(self.section(), 'B' | 'C' | 'D')
    }

    /// The full entry.
    pub fn entry(&self) -> IndustryEntry {
        entry_of(self.0)
    }
}

impl PartialEq for IndustryCode {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for IndustryCode {}

impl std::hash::Hash for IndustryCode {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for IndustryCode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IndustryCode {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for IndustryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("IndustryCode").field(&self.as_str()).finish()
    }
}

impl fmt::Display for IndustryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IndustryCode {
    type Err = IndustryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for IndustryCode {
    type Error = IndustryError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<IndustryCode> for String {
    fn from(code: IndustryCode) -> Self {
        code.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> IndustryCode {
        IndustryCode::parse(s).unwrap()
    }

    #[test]
    fn counts_match_the_standard() {
        let count = |level| all().filter(|e| e.level == level).count();
        assert_eq!(count(IndustryLevel::Section), 20);
        assert_eq!(count(IndustryLevel::Division), 97);
        assert_eq!(count(IndustryLevel::Group), 473);
        assert_eq!(count(IndustryLevel::Class), 1381);
    }

    #[test]
    fn parents_precede_children() {
        let mut seen = std::collections::HashSet::new();
        for e in all() {
            if let Some(p) = e.parent_code {
                assert!(seen.contains(p), "{} before its parent {p}", e.code);
                assert!(e.level == IndustryLevel::Division || e.code.starts_with(p));
            }
            seen.insert(e.code);
        }
    }

    #[test]
    fn prefixed_forms() {
        let c = code("C2614");
        assert_eq!(c.as_str(), "2614");
        assert_eq!(c.level(), IndustryLevel::Class);
        assert_eq!(c.section(), 'C');
        assert_eq!(c.division(), Some("26"));
        assert!(c.is_industrial());
        assert!(!c.name().is_empty());
        assert_eq!(code("2614"), c);
        assert_eq!(code("c 2614"), c);
        assert_eq!(code(" Ｃ２６１４ "), c);
        assert_eq!(code("C").level(), IndustryLevel::Section);
        assert_eq!(code("c").division(), None);
        assert_eq!(code("26").level(), IndustryLevel::Division);
        assert_eq!(code("C261").level(), IndustryLevel::Group);
        assert_eq!(code("T").name(), "国际组织");
    }

    #[test]
    fn refusals() {
        assert_eq!(
            IndustryCode::parse("A2614"),
            Err(IndustryError::SectionMismatch { code: "2614".to_owned(), given: 'A', actual: 'C' })
        );
        let err = IndustryCode::parse("9999").unwrap_err();
        assert_eq!(err, IndustryError::Unknown { code: "9999".to_owned() });
        assert_eq!(err.to_string(), "行业代码“9999”不在 GB/T 4754-2017 中");
        assert!(matches!(IndustryCode::parse("U"), Err(IndustryError::Unknown { .. })));
        assert_eq!(IndustryCode::parse("  "), Err(IndustryError::Empty));
        for bad in ["1", "12345", "C2-14", "CC", "2614C", "第26类"] {
            assert!(matches!(IndustryCode::parse(bad), Err(IndustryError::Format { .. })), "{bad}");
        }
    }

    #[test]
    fn parent_chain() {
        let chain: Vec<&str> =
            std::iter::successors(Some(code("2614")), IndustryCode::parent).map(|c| c.as_str()).collect();
        assert_eq!(chain, ["2614", "261", "26", "C"]);
        assert_eq!(code("2614").entry().parent_code, Some("261"));
        assert_eq!(code("C").entry().parent_code, None);
    }

    #[test]
    fn quoted_descriptions_keep_their_commas() {
        assert!(code("7212").description().contains("投资活动,不包括资本活动的投资"));
        assert!(code("51").description().contains(','));
    }

    #[test]
    fn csv_line_parser() {
        assert_eq!(parse_csv_line("a,,b").unwrap(), ["a", "", "b"]);
        assert_eq!(parse_csv_line("").unwrap(), [""]);
        assert_eq!(parse_csv_line(r#"a,"x, ""y"""#).unwrap_err(), "unterminated quoted field");
        assert_eq!(parse_csv_line(r#"a,"x, ""y""",c,"""","""#).unwrap(), ["a", r#"x, "y""#, "c", "\"", ""]);
        assert!(parse_csv_line(r#""a"b"#).is_err());
        assert!(parse_csv_line(r#"a"b"#).is_err());
    }

    #[test]
    fn serde_goes_through_parse() {
        use serde::de::value::{Error as DeError, StringDeserializer};
        let de = |s: &str| IndustryCode::deserialize(StringDeserializer::<DeError>::new(s.to_owned()));
        assert_eq!(de("C2614").unwrap().as_str(), "2614");
        assert!(de("9999").is_err());
        assert_eq!(String::from(code("C2614")), "2614");
    }
}
