//! Account rules of 等保 level 3: password policy, lockout and session timeouts. The
//! defaults are the level-3 ones; the security administrator may tighten or relax them.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPolicy {
    /// Minimum password length in characters.
    pub min_length: i64,
    /// Minimum number of character classes (lower, upper, digit, symbol) out of 4.
    pub min_classes: i64,
    /// Days after which a password must be changed; 0 = never.
    pub expiry_days: i64,
    /// Failed logins in a row that lock the account.
    pub lockout_threshold: i64,
    pub lockout_minutes: i64,
    pub idle_timeout_minutes: i64,
    pub absolute_timeout_hours: i64,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            min_classes: 3,
            expiry_days: 90,
            lockout_threshold: 5,
            lockout_minutes: 15,
            idle_timeout_minutes: 30,
            absolute_timeout_hours: 12,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("密码长度至少 {0} 位")]
    TooShort(i64),
    #[error("密码需包含大写字母、小写字母、数字、符号中的至少 {0} 类")]
    TooFewClasses(i64),
    #[error("密码不能包含用户名")]
    ContainsUsername,
    #[error("新密码不能与原密码相同")]
    SameAsOld,
    #[error("安全策略参数“{0}”超出允许范围")]
    OutOfRange(&'static str),
}

impl SecurityPolicy {
    /// Checks a candidate password against the policy.
    pub fn check_password(&self, username: &str, password: &str) -> Result<(), PolicyError> {
        if (password.chars().count() as i64) < self.min_length {
            return Err(PolicyError::TooShort(self.min_length));
        }
        if password_classes(password) < self.min_classes {
            return Err(PolicyError::TooFewClasses(self.min_classes));
        }
        if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
            return Err(PolicyError::ContainsUsername);
        }
        Ok(())
    }

    /// Keeps an administrator's settings within what 等保 level 3 can still call a policy.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let checks: [(&'static str, i64, i64, i64); 7] = [
            ("最小长度", self.min_length, 8, 64),
            ("字符类别数", self.min_classes, 2, 4),
            ("密码有效期", self.expiry_days, 0, 365),
            ("失败锁定次数", self.lockout_threshold, 3, 10),
            ("锁定时长", self.lockout_minutes, 5, 1440),
            ("空闲超时", self.idle_timeout_minutes, 5, 120),
            ("会话最长时间", self.absolute_timeout_hours, 1, 24),
        ];
        for (name, v, lo, hi) in checks {
            if v < lo || v > hi {
                return Err(PolicyError::OutOfRange(name));
            }
        }
        Ok(())
    }

    pub fn password_expired(&self, changed_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.expiry_days > 0 && now - changed_at >= Duration::days(self.expiry_days)
    }

    /// Whether a session last seen at `last_seen` and created at `created` is still valid.
    pub fn session_alive(&self, created: DateTime<Utc>, last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - last_seen < Duration::minutes(self.idle_timeout_minutes)
            && now - created < Duration::hours(self.absolute_timeout_hours)
    }
}

/// Number of character classes present: lowercase, uppercase, digit, other.
pub fn password_classes(p: &str) -> i64 {
    let lower = p.chars().any(|c| c.is_lowercase());
    let upper = p.chars().any(|c| c.is_uppercase());
    let digit = p.chars().any(|c| c.is_ascii_digit());
    let other = p.chars().any(|c| !c.is_alphanumeric());
    [lower, upper, digit, other].into_iter().filter(|b| *b).count() as i64
}

/// Usernames: 3–32 characters of ASCII letters, digits, `_`, `-`, `.`.
pub fn check_username(u: &str) -> Result<(), &'static str> {
    let n = u.chars().count();
    if !(3..=32).contains(&n) {
        return Err("用户名长度应为3至32个字符");
    }
    if !u.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
        return Err("用户名只能包含英文字母、数字、下划线、连字符和点");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn password_rules() {
        let p = SecurityPolicy::default();
        assert_eq!(p.check_password("zhang", "Ab1!"), Err(PolicyError::TooShort(8)));
        assert_eq!(p.check_password("zhang", "abcdefgh1"), Err(PolicyError::TooFewClasses(3)));
        assert!(p.check_password("zhang", "abcdefG1").is_ok());
        assert!(p.check_password("zhang", "密码很长的Ab1").is_ok());
        assert_eq!(p.check_password("zhang", "zhang-Ab1"), Err(PolicyError::ContainsUsername));
    }

    #[test]
    fn timeouts() {
        let p = SecurityPolicy::default();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 8, 0, 0).unwrap();
        assert!(p.session_alive(t0, t0, t0 + Duration::minutes(29)));
        assert!(!p.session_alive(t0, t0, t0 + Duration::minutes(30)));
        let late = t0 + Duration::hours(12);
        assert!(!p.session_alive(t0, late - Duration::minutes(1), late));
        assert!(!p.password_expired(t0, t0 + Duration::days(89)));
        assert!(p.password_expired(t0, t0 + Duration::days(90)));
        assert!(p.validate().is_ok());
        assert!(SecurityPolicy { min_length: 4, ..p }.validate().is_err());
    }

    #[test]
    fn usernames() {
        assert!(check_username("office.li").is_ok());
        assert!(check_username("ab").is_err());
        assert!(check_username("张三").is_err());
    }
}
