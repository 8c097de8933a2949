//! Authentication: passwords (Argon2id), sessions, API tokens and sign-in throttling.
//! These are the only places a web request's [`AccessScope`] comes from.
use pulang_domain::AuditAction;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{now_ms, AccessScope, App, AppError};

pub const SESSION_HOURS: i64 = 12;
pub const MIN_PASSWORD_LEN: usize = 10;

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("cannot hash password: {e}")))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random secret for sessions, tokens and CSRF.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Secrets are stored only as their SHA-256 (they are high-entropy, so no slow hash is needed).
pub fn secret_digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Failed sign-ins per account and per client address in a sliding window.
pub struct Throttle {
    window: Duration,
    per_account: usize,
    per_address: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    pub fn new(window: Duration, per_account: usize, per_address: usize) -> Throttle {
        Throttle {
            window,
            per_account,
            per_address,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The account's key, normalised as sign-in looks the user up (trimmed), so that
    /// `" siti"` and `"siti"` share one counter.
    fn account_key(username: &str) -> String {
        format!("u:{}", username.trim().to_lowercase())
    }

    fn keys(username: &str, addr: &str) -> [(String, bool); 2] {
        [
            (Self::account_key(username), true),
            (format!("a:{addr}"), false),
        ]
    }

    /// Seconds to wait before another attempt, if blocked.
    pub fn blocked(&self, username: &str, addr: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = None;
        for (key, is_account) in Self::keys(username, addr) {
            let limit = if is_account {
                self.per_account
            } else {
                self.per_address
            };
            if let Some(q) = map.get_mut(&key) {
                while q
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > self.window)
                {
                    q.pop_front();
                }
                if q.len() >= limit {
                    let oldest = *q.front().expect("non-empty");
                    let secs = self
                        .window
                        .saturating_sub(now.duration_since(oldest))
                        .as_secs()
                        .max(1);
                    wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
                }
            }
        }
        wait
    }

    pub fn fail(&self, username: &str, addr: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.clear(); // bounded memory under a spray of random names; the window restarts
        }
        for (key, _) in Self::keys(username, addr) {
            map.entry(key).or_default().push_back(Instant::now());
        }
    }

    pub fn succeed(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&Self::account_key(username));
    }
}

/// A signed-in session as the browser holds it.
pub struct NewSession {
    pub token: String,
    pub csrf: String,
}

impl App {
    /// Checks a username and password from `addr` (the client address as resolved by the web
    /// layer's trusted-proxy rule) and opens a session.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        addr: &str,
    ) -> Result<NewSession, AppError> {
        if let Some(secs) = self.throttle.blocked(username, addr) {
            return Err(AppError::Throttled {
                retry_after_secs: secs,
            });
        }
        let user = self.store.user_by_username(username.trim()).await?;
        let ok = match &user {
            Some(u) => !u.disabled && verify_password(password, &u.password_hash),
            None => {
                // Spend the same time as a real check so usernames cannot be probed by timing.
                let _ = verify_password(password, &self.dummy_hash);
                false
            }
        };
        let user = match (ok, user) {
            (true, Some(u)) => u,
            _ => {
                self.throttle.fail(username, addr);
                self.store
                    .audit(username, "*", AuditAction::SessionLoginFailed, addr)
                    .await?;
                return Err(AppError::BadCredentials);
            }
        };
        self.throttle.succeed(username);
        let scope = AccessScope::for_user(&user);
        let token = random_token();
        let csrf = random_token();
        let expires = now_ms() + SESSION_HOURS * 3600 * 1000;
        self.store
            .create_session(&scope.actor(), &secret_digest(&token), &csrf, expires)
            .await?;
        Ok(NewSession { token, csrf })
    }

    /// The scope and CSRF token of a session cookie's value.
    pub async fn session_scope(&self, token: &str) -> Result<(AccessScope, String), AppError> {
        let row = self
            .store
            .session(&secret_digest(token))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if row.expires_at < now_ms() {
            return Err(AppError::Unauthenticated);
        }
        let user = self
            .store
            .user_by_id(&row.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if user.disabled {
            return Err(AppError::Unauthenticated);
        }
        Ok((AccessScope::for_user(&user), row.csrf))
    }

    /// The scope of an API bearer token.
    pub async fn token_scope(&self, token: &str) -> Result<AccessScope, AppError> {
        let uid = self
            .store
            .token_user(&secret_digest(token))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let user = self
            .store
            .user_by_id(&uid)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if user.disabled {
            return Err(AppError::Unauthenticated);
        }
        Ok(AccessScope::for_user(&user))
    }

    pub async fn logout(&self, scope: &AccessScope, token: &str) -> Result<(), AppError> {
        self.store
            .end_session(&scope.actor(), &secret_digest(token))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn throttle_blocks_account_and_address() {
        let t = Throttle::new(Duration::from_secs(60), 3, 5);
        for _ in 0..3 {
            assert!(t.blocked("siti", "1.2.3.4").is_none());
            t.fail("siti", "1.2.3.4");
        }
        assert!(
            t.blocked("siti", "9.9.9.9").is_some(),
            "account locked from any address"
        );
        assert!(t.blocked("budi", "1.2.3.4").is_none());
        t.fail("budi", "1.2.3.4");
        t.fail("andi", "1.2.3.4");
        assert!(
            t.blocked("eko", "1.2.3.4").is_some(),
            "address locked for any account"
        );
        t.succeed("siti");
        assert!(t.blocked("siti", "9.9.9.9").is_none());
    }
}
