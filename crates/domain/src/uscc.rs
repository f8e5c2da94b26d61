//! 统一社会信用代码 (Unified Social Credit Code, GB 32100-2015).
//!
//! Layout of the 18 characters (1-based positions):
//!
//! | positions | meaning |
//! |---|---|
//! | 1 | registration department (登记管理部门代码) |
//! | 2 | category (机构类别代码) |
//! | 3–8 | region code of the registering authority (GB/T 2260, may be historical) |
//! | 9–17 | subject code: an organisation code per GB 11714, position 17 being its own check digit |
//! | 18 | check character over positions 1–17 |
//!
//! Only the structure and the position-18 check character are errors; unusual department or
//! category codes and a wrong GB 11714 check digit are reported as [`Uscc::warnings`], because
//! codes outside the 2015 text exist in practice.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The 31 characters allowed in a code; a character's value is its index.
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1–17 for the check character (3^i mod 31).
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Weights of the eight body characters of a GB 11714 organisation code.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Length of a complete code.
pub const USCC_LEN: usize = 18;

/// A validated 统一社会信用代码, stored in canonical form (18 upper-case ASCII characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

/// Why a string is not a valid 统一社会信用代码.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UsccError {
    /// Nothing but whitespace was given.
    #[error("统一社会信用代码不能为空")]
    Empty,
    /// The code does not have 18 characters.
    #[error("统一社会信用代码应为18位，实际为{len}位")]
    Length {
        /// Number of characters after normalisation.
        len: usize,
    },
    /// The prefix given to [`Uscc::complete`] does not have 17 characters.
    #[error("补全校验码需要统一社会信用代码的前17位，实际为{len}位")]
    PrefixLength {
        /// Number of characters after normalisation.
        len: usize,
    },
    /// A character outside `0-9` and the upper-case letters other than I, O, S, V, Z.
    #[error("第{position}位字符“{ch}”不是合法字符（只能使用数字0–9和大写字母，且不使用 I、O、S、V、Z）")]
    BadChar {
        /// 1-based position of the character.
        position: usize,
        /// The offending character (after normalisation).
        ch: char,
    },
    /// The 18th character does not match the computed check character.
    #[error("第18位校验码应为“{expected}”，实际为“{found}”")]
    CheckChar {
        /// The check character computed from positions 1–17.
        expected: char,
        /// The character found at position 18.
        found: char,
    },
}

impl UsccError {
    /// The 1-based position the error points at, if it concerns a single character.
    pub fn position(&self) -> Option<usize> {
        match self {
            Self::Empty | Self::Length { .. } | Self::PrefixLength { .. } => None,
            Self::BadChar { position, .. } => Some(*position),
            Self::CheckChar { .. } => Some(USCC_LEN),
        }
    }
}

/// Maps a full-width ASCII variant (U+FF01..U+FF5E) to its half-width form; other characters
/// are returned unchanged.
pub(crate) fn to_half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Full-width to half-width, trim, ASCII upper case.
fn normalize(s: &str) -> Vec<char> {
    let half: String = s.chars().map(to_half_width).collect();
    half.trim().chars().map(|c| c.to_ascii_uppercase()).collect()
}

/// Value of a character in the 31-character set.
fn char_value(c: char) -> Option<u32> {
    CHARSET.iter().position(|&b| char::from(b) == c).and_then(|p| u32::try_from(p).ok())
}

/// Values of the characters, or the first character outside the set.
fn values(chars: &[char]) -> Result<Vec<u32>, UsccError> {
    chars.iter().enumerate().map(|(i, &ch)| char_value(ch).ok_or(UsccError::BadChar { position: i + 1, ch })).collect()
}

/// The check character for the values of positions 1–17.
fn check_char(first17: &[u32]) -> char {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    // `check` is in 0..31, so the index is always in range.
    char::from(CHARSET[check as usize])
}

/// GB 11714 value of a character: digits 0–9, letters A=10 … Z=35 (full Latin alphabet).
fn org_char_value(c: char) -> Option<u32> {
    c.to_digit(36)
}

/// The expected GB 11714 check digit for the eight body characters of an organisation code.
fn org_check_char(body: &[char]) -> Option<char> {
    let mut sum = 0;
    for (&c, w) in body.iter().zip(ORG_WEIGHTS) {
        sum += org_char_value(c)? * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10)?,
    })
}

impl Uscc {
    /// Parses and validates a code.
    ///
    /// Surrounding whitespace is trimmed, full-width ASCII is converted to half-width and
    /// letters are upper-cased before checking length, characters and the check character.
    pub fn parse(s: &str) -> Result<Self, UsccError> {
        let chars = normalize(s);
        match chars.len() {
            0 => return Err(UsccError::Empty),
            USCC_LEN => {}
            len => return Err(UsccError::Length { len }),
        }
        let vals = values(&chars)?;
        let expected = check_char(&vals[..USCC_LEN - 1]);
        let found = chars[USCC_LEN - 1];
        if found != expected {
            return Err(UsccError::CheckChar { expected, found });
        }
        Ok(Self(chars.into_iter().collect()))
    }

    /// Builds a code from its first 17 characters by appending the check character.
    ///
    /// The prefix is normalised like in [`Uscc::parse`].
    pub fn complete(first17: &str) -> Result<Self, UsccError> {
        let mut chars = normalize(first17);
        match chars.len() {
            0 => return Err(UsccError::Empty),
            len if len == USCC_LEN - 1 => {}
            len => return Err(UsccError::PrefixLength { len }),
        }
        let vals = values(&chars)?;
        chars.push(check_char(&vals));
        Ok(Self(chars.into_iter().collect()))
    }

    /// The canonical 18-character form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The registration department code (position 1).
    pub fn department(&self) -> char {
        self.nth(0)
    }

    /// The category code (position 2).
    pub fn category(&self) -> char {
        self.nth(1)
    }

    /// The region code of the registering authority (positions 3–8).
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }

    /// The organisation code embedded at positions 9–17.
    pub fn organisation_code(&self) -> &str {
        &self.0[8..17]
    }

    /// Whether position 17 is the GB 11714 check digit of positions 9–16.
    pub fn organisation_code_ok(&self) -> bool {
        self.expected_org_check() == Some(self.nth(16))
    }

    /// Things worth a second look that do not make the code invalid, in Chinese.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let department = self.department();
        if !matches!(department, '1' | '5' | '9' | 'Y') {
            out.push(format!(
                "第1位登记管理部门代码“{department}”不在 GB 32100-2015 列出的范围（1、5、9、Y）内，请核对"
            ));
        }
        let category = self.category();
        if !matches!(category, '1' | '2' | '3' | '9') {
            out.push(format!("第2位机构类别代码“{category}”不常见（GB 32100-2015 中为 1、2、3、9），请核对"));
        }
        let found = self.nth(16);
        match self.expected_org_check() {
            Some(expected) if expected == found => {}
            Some(expected) => {
                out.push(format!("第9–17位组织机构代码的校验位应为“{expected}”，实际为“{found}”（GB 11714），请核对"))
            }
            None => out.push("第9–17位组织机构代码无法按 GB 11714 校验，请核对".to_owned()),
        }
        out
    }

    /// The character at a 0-based index; the code is 18 ASCII characters by construction.
    fn nth(&self, i: usize) -> char {
        char::from(self.0.as_bytes()[i])
    }

    fn expected_org_check(&self) -> Option<char> {
        let body: Vec<char> = self.0[8..16].chars().collect();
        org_check_char(&body)
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Uscc {
    type Err = UsccError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Uscc {
    type Error = UsccError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Uscc> for String {
    fn from(code: Uscc) -> Self {
        code.0
    }
}

impl AsRef<str> for Uscc {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EXAMPLE: &str = "91350100M000100Y43";

    #[test]
    fn standard_example_is_valid() {
        let code = Uscc::parse(EXAMPLE).unwrap();
        assert_eq!(code.as_str(), EXAMPLE);
        assert_eq!(code.region_code(), "350100");
        assert_eq!(code.organisation_code(), "M000100Y4");
        assert!(code.organisation_code_ok());
        assert!(code.warnings().is_empty());
        assert_eq!(code.to_string(), EXAMPLE);
        assert_eq!(EXAMPLE.parse::<Uscc>().unwrap(), code);
    }

    #[test]
    fn complete_reproduces_example() {
        assert_eq!(Uscc::complete(&EXAMPLE[..17]).unwrap().as_str(), EXAMPLE);
        assert_eq!(Uscc::complete("91350100M000100Y"), Err(UsccError::PrefixLength { len: 16 }));
        assert_eq!(Uscc::complete("91350100M000100YI"), Err(UsccError::BadChar { position: 17, ch: 'I' }));
    }

    #[test]
    fn every_single_character_corruption_is_detected() {
        let original: Vec<char> = EXAMPLE.chars().collect();
        let candidates: Vec<char> = ('0'..='9').chain('A'..='Z').collect();
        for pos in 0..USCC_LEN {
            for &c in &candidates {
                if c == original[pos] {
                    continue;
                }
                let mut corrupted = original.clone();
                corrupted[pos] = c;
                let s: String = corrupted.into_iter().collect();
                let err = Uscc::parse(&s).unwrap_err();
                if char_value(c).is_none() {
                    assert_eq!(err, UsccError::BadChar { position: pos + 1, ch: c });
                    assert_eq!(err.position(), Some(pos + 1));
                } else {
                    assert!(matches!(err, UsccError::CheckChar { .. }), "{s}: {err:?}");
                    assert_eq!(err.position(), Some(18));
                }
            }
        }
    }

    #[test]
    fn lowercase_full_width_and_spaces_are_accepted() {
        let expected = Uscc::parse(EXAMPLE).unwrap();
        assert_eq!(Uscc::parse("91350100m000100y43").unwrap(), expected);
        assert_eq!(Uscc::parse("  91350100M000100Y43\n").unwrap(), expected);
        let full_width: String = EXAMPLE.chars().map(|c| char::from_u32(u32::from(c) + 0xFEE0).unwrap()).collect();
        assert_eq!(Uscc::parse(&full_width).unwrap(), expected);
        // Full-width lower case with an ideographic space around it.
        assert_eq!(Uscc::parse("\u{3000}９１３５０１００ｍ０００１００ｙ４３\u{3000}").unwrap(), expected);
    }

    #[test]
    fn errors_and_messages() {
        assert_eq!(Uscc::parse("   "), Err(UsccError::Empty));
        assert_eq!(Uscc::parse("   ").unwrap_err().to_string(), "统一社会信用代码不能为空");
        let err = Uscc::parse("91350100M000100Y4").unwrap_err();
        assert_eq!(err, UsccError::Length { len: 17 });
        assert_eq!(err.to_string(), "统一社会信用代码应为18位，实际为17位");
        assert_eq!(err.position(), None);
        let err = Uscc::parse("91350100O000100Y43").unwrap_err();
        assert_eq!(err, UsccError::BadChar { position: 9, ch: 'O' });
        assert!(err.to_string().starts_with("第9位字符“O”不是合法字符"));
        let err = Uscc::parse("91350100M000100Y44").unwrap_err();
        assert_eq!(err.to_string(), "第18位校验码应为“3”，实际为“4”");
        // Multi-byte characters are counted as characters, not bytes.
        assert_eq!(Uscc::parse("统一社会信用代码").unwrap_err(), UsccError::Length { len: 8 });
    }

    #[test]
    fn warnings_for_unusual_codes() {
        // Department 3 and category 1 (律师事务所 style), valid check character.
        let code = Uscc::complete("31350100M000100Y4").unwrap();
        let warnings = code.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("第1位"));

        let code = Uscc::complete("9A350100M000100Y4").unwrap();
        assert_eq!(code.warnings().len(), 1);
        assert!(code.warnings()[0].contains("第2位"));

        let code = Uscc::complete("91350100M000100Y5").unwrap();
        assert!(!code.organisation_code_ok());
        let warnings = code.warnings();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("应为“4”"), "{warnings:?}");
    }

    #[test]
    fn organisation_check_digit_x_and_zero() {
        // Weighted sum 2 → 11 − 2 = 9; sum 12 → 11 − 1 = 10 → 'X'; sum 20 → 2; sum 0 → 11 → '0'.
        let body = |last: char| ['0', '0', '0', '0', '0', '0', '0', last];
        assert_eq!(org_check_char(&body('1')), Some('9'));
        assert_eq!(org_check_char(&body('6')), Some('X'));
        assert_eq!(org_check_char(&body('A')), Some('2'));
        assert_eq!(org_check_char(&['0'; 8]), Some('0'));
    }

    #[test]
    fn serde_round_trip_goes_through_parse() {
        use serde::de::value::{Error as DeError, StringDeserializer};

        let de = |s: &str| Uscc::deserialize(StringDeserializer::<DeError>::new(s.to_owned()));
        let code = Uscc::parse(EXAMPLE).unwrap();
        assert_eq!(de("91350100m000100y43").unwrap(), code);
        assert!(de("91350100M000100Y44").is_err());
        assert_eq!(String::from(code), EXAMPLE);
    }

    fn charset_char() -> impl Strategy<Value = char> {
        (0..CHARSET.len()).prop_map(|i| char::from(CHARSET[i]))
    }

    proptest! {
        #[test]
        fn complete_then_parse(prefix in proptest::collection::vec(charset_char(), 17)) {
            let prefix: String = prefix.into_iter().collect();
            let code = Uscc::complete(&prefix).unwrap();
            prop_assert_eq!(&code.as_str()[..17], prefix.as_str());
            prop_assert_eq!(Uscc::parse(code.as_str()), Ok(code));
        }

        #[test]
        fn any_single_substitution_fails(
            prefix in proptest::collection::vec(charset_char(), 17),
            pos in 0..USCC_LEN,
            replacement in charset_char(),
        ) {
            let prefix: String = prefix.into_iter().collect();
            let code = Uscc::complete(&prefix).unwrap();
            let mut chars: Vec<char> = code.as_str().chars().collect();
            prop_assume!(chars[pos] != replacement);
            chars[pos] = replacement;
            let changed: String = chars.into_iter().collect();
            let is_check_error = matches!(Uscc::parse(&changed), Err(UsccError::CheckChar { .. }));
            prop_assert!(is_check_error);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = Uscc::parse(&s);
        }
    }
}
