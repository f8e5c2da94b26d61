//! Random tokens, token hashing and password hashing.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sm3::Digest;

/// 32 random bytes from the operating system, hex-encoded.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the operating system's random source is available");
    hex::encode(b)
}

/// What the database keeps of a token: its SM3 digest, so a stolen table opens no session.
pub fn token_hash(token: &str) -> String {
    hex::encode(sm3::Sm3::digest(token.as_bytes()))
}

/// A random password of 16 characters with all four character classes.
pub fn random_password() -> String {
    const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGIT: &[u8] = b"23456789";
    const SYMBOL: &[u8] = b"!@#%+=?";
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the operating system's random source is available");
    b.iter()
        .enumerate()
        .map(|(i, r)| {
            let set = match i % 4 {
                0 => UPPER,
                1 | 2 => LOWER,
                _ if i == 7 => SYMBOL,
                _ => DIGIT,
            };
            set[*r as usize % set.len()] as char
        })
        .collect()
}

pub fn hash_password(password: &str) -> Result<String, crate::AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| crate::AppError::Internal(format!("argon2: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(h) => Argon2::default().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A fixed valid hash, verified when the username is unknown so that the answer takes
/// the same time either way.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("no-such-user-Aa1!").unwrap_or_default());
    &H
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords() {
        let h = hash_password("Secret-123").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Secret-123", &h));
        assert!(!verify_password("Secret-124", &h));
        assert!(!verify_password("x", "not a hash"));
        let p = random_password();
        assert_eq!(p.len(), 16);
        assert!(domain::account::SecurityPolicy::default().check_password("_-_", &p).is_ok(), "{p}");
        assert_ne!(random_token(), random_token());
        assert_eq!(token_hash("a").len(), 64);
    }
}
