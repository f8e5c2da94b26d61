//! Region codes: GB/T 2260 administrative divisions (6 digits), township-level statistical
//! codes (9 digits) and local park codes (4 digits, `P`, a digit: `5117P1`).
//! Only the form is checked here; whether a code is known is a fact of the database.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    #[error("区划代码不能为空")]
    Empty,
    #[error("区划代码“{0}”格式不正确：应为6位行政区划代码、9位乡镇代码或园区代码（如 5117P1）")]
    Format(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    /// GB/T 2260 six-digit code (province, prefecture or county level).
    Division,
    /// Nine-digit township-level statistical code.
    Township,
    /// Local code of an industrial park.
    Park,
}

impl RegionCode {
    pub fn parse(s: &str) -> Result<Self, RegionError> {
        let s = s.trim().to_ascii_uppercase();
        if s.is_empty() {
            return Err(RegionError::Empty);
        }
        let b = s.as_bytes();
        let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
        let ok = match b.len() {
            6 if digits(b) => true,
            6 => digits(&b[..4]) && b[4] == b'P' && b[5].is_ascii_digit(),
            9 => digits(b),
            _ => false,
        };
        if ok { Ok(Self(s)) } else { Err(RegionError::Format(s)) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn kind(&self) -> RegionKind {
        match self.0.len() {
            9 => RegionKind::Township,
            _ if self.0.as_bytes()[4] == b'P' => RegionKind::Park,
            _ => RegionKind::Division,
        }
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for RegionCode {
    type Error = RegionError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(RegionCode::parse("511722").unwrap().kind(), RegionKind::Division);
        assert_eq!(RegionCode::parse(" 5117p1 ").unwrap().as_str(), "5117P1");
        assert_eq!(RegionCode::parse("5117P1").unwrap().kind(), RegionKind::Park);
        assert_eq!(RegionCode::parse("511702001").unwrap().kind(), RegionKind::Township);
        for bad in ["", "51172", "5117222", "51A722", "5117PP", "P11722"] {
            assert!(RegionCode::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
