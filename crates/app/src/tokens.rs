//! API tokens: created with a label and a lifetime, listed (never their secrets) and revoked
//! one by one, by their owner or by whoever manages the owner. Every action is audited.
use pulang_domain::{AuditAction, FieldIssue, Validation};
use pulang_store::accounts::ApiToken;
use serde::Serialize;

use crate::auth::{random_token, secret_digest};
use crate::{now_ms, AccessScope, App, AppError, Permission};

/// A token's lifetime when none is asked for, in days.
pub const DEFAULT_DAYS: u32 = 90;
/// The longest lifetime, in days.
pub const MAX_DAYS: u32 = 365;
/// The longest label, in characters.
pub const MAX_LABEL: usize = 100;
/// A token's last use is written at most this often (reads must not write on every request).
pub const LAST_USED_GAP_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// A token just created: the secret is shown this once and never stored.
#[derive(Debug, Clone, Serialize)]
pub struct NewToken {
    pub id: String,
    pub secret: String,
    pub label: String,
    pub expires_at: i64,
}

/// A token as listed. Times are Unix milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct TokenView {
    pub id: String,
    pub username: String,
    pub label: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub expired: bool,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        TokenView {
            expired: t.expires_at <= now_ms(),
            id: t.id,
            username: t.username,
            label: t.label,
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
        }
    }
}

fn invalid(field: &str, code: &str) -> AppError {
    AppError::Invalid(Validation {
        errors: vec![FieldIssue::new(field, code)],
        warnings: vec![],
    })
}

/// A label: trimmed, 1–[`MAX_LABEL`] characters, no control or direction-override characters.
fn clean_label(label: &str) -> Result<String, AppError> {
    let label = label.trim();
    if label.is_empty() {
        return Err(invalid("label", "required"));
    }
    if label.chars().count() > MAX_LABEL {
        return Err(invalid("label", "too_long"));
    }
    if label.chars().any(|c| {
        c.is_control() || pulang_domain::deceptive(c) || pulang_domain::text::is_invisible(c)
    }) {
        return Err(invalid("label", "invalid_characters"));
    }
    Ok(label.to_string())
}

impl App {
    /// Creates an API token for `username` (oneself, or a user one manages), valid for `days`
    /// ([`DEFAULT_DAYS`] when `None`, at most [`MAX_DAYS`]). The secret is returned once and
    /// stored only as a digest. A scope made from a token may not create one (a stolen token
    /// must not be able to outlive itself).
    pub async fn create_token(
        &self,
        scope: &AccessScope,
        username: &str,
        label: &str,
        days: Option<u32>,
    ) -> Result<NewToken, AppError> {
        if scope.by_token() {
            return Err(AppError::Forbidden);
        }
        let user = self.user_named(username).await?;
        if user.id != scope.user_id() {
            self.require_manage_users_of(scope, &user)?;
        }
        let label = clean_label(label)?;
        let days = days.unwrap_or(DEFAULT_DAYS);
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(invalid("days", "token_days"));
        }
        let secret = format!("pul_{}", random_token());
        let expires_at = now_ms() + i64::from(days) * DAY_MS;
        let id = self
            .store
            .create_token(
                &scope.actor(),
                &user.id,
                &secret_digest(&secret),
                &label,
                expires_at,
            )
            .await?;
        Ok(NewToken {
            id,
            secret,
            label,
            expires_at,
        })
    }

    /// The caller's own tokens (a listing is audited).
    pub async fn my_tokens(&self, scope: &AccessScope) -> Result<Vec<TokenView>, AppError> {
        let tokens = self.store.tokens(Some(scope.user_id())).await?;
        self.store
            .audit(
                scope.username(),
                "*",
                AuditAction::TokenList,
                scope.user_id(),
            )
            .await?;
        Ok(tokens.into_iter().map(TokenView::from).collect())
    }

    /// Every token of the users the caller manages (administrators; audited).
    pub async fn all_tokens(&self, scope: &AccessScope) -> Result<Vec<TokenView>, AppError> {
        if !scope.can(Permission::ManageUsers) {
            return Err(AppError::Forbidden);
        }
        let mut managed = std::collections::HashSet::new();
        for u in self.store.users().await? {
            if self.require_manage_users_of(scope, &u).is_ok() {
                managed.insert(u.id);
            }
        }
        let tokens = self.store.tokens(None).await?;
        self.store
            .audit(scope.username(), "*", AuditAction::TokenList, "*")
            .await?;
        Ok(tokens
            .into_iter()
            .filter(|t| managed.contains(&t.user_id))
            .map(TokenView::from)
            .collect())
    }

    /// Revokes one token: one's own, or one of a user the caller manages. Any other token
    /// reads as not found.
    pub async fn revoke_token(&self, scope: &AccessScope, id: &str) -> Result<TokenView, AppError> {
        let token = self.store.token(id).await?.ok_or(AppError::NotFound)?;
        if token.user_id != scope.user_id() {
            let owner = self
                .store
                .user_by_id(&token.user_id)
                .await?
                .ok_or(AppError::NotFound)?;
            self.require_manage_users_of(scope, &owner)
                .map_err(|_| AppError::NotFound)?;
        }
        self.store.revoke_token(&scope.actor(), &token).await?;
        Ok(token.into())
    }

    /// The scope of an API bearer token: refused when unknown, expired or its user disabled.
    /// Its last use is recorded at most once a minute.
    pub async fn token_scope(&self, token: &str) -> Result<AccessScope, AppError> {
        let t = self
            .store
            .token_by_digest(&secret_digest(token))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let now = now_ms();
        if t.expires_at <= now {
            return Err(AppError::Unauthenticated);
        }
        let user = self
            .store
            .user_by_id(&t.user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        if user.disabled {
            return Err(AppError::Unauthenticated);
        }
        if t.last_used_at.is_none_or(|at| now - at >= LAST_USED_GAP_MS) {
            self.store.touch_token(&t.id, now, LAST_USED_GAP_MS).await?;
        }
        Ok(AccessScope::for_token_user(&user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_checked() {
        assert_eq!(clean_label("  laptop script ").unwrap(), "laptop script");
        for bad in [
            "",
            "   ",
            "a\u{202E}b",
            "tab\there",
            &"x".repeat(MAX_LABEL + 1),
        ] {
            assert!(clean_label(bad).is_err(), "{bad:?}");
        }
    }
}
