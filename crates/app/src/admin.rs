//! Sites, users, tokens, the audit log and statistics.
use pulang_domain::Role;
use pulang_store::accounts::{Grant, Site};
use pulang_store::audit::{AuditEvent, ChainBreak};
use pulang_store::people::Counts;
use serde::Serialize;

use crate::auth::random_token;
use crate::people::site_code;
use crate::{AccessScope, App, AppError, Permission};

#[derive(Debug, Clone, Serialize)]
pub struct UserSummary {
    pub id: String,
    pub username: String,
    pub disabled: bool,
    /// `(site code or "*", role)`
    pub grants: Vec<(String, Role)>,
}

fn valid_username(u: &str) -> bool {
    (2..=64).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
}

fn valid_site_code(c: &str) -> bool {
    (2..=8).contains(&c.len())
        && c.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

impl App {
    /// Sites the caller works on (all sites for global roles).
    pub async fn sites(&self, scope: &AccessScope) -> Result<Vec<Site>, AppError> {
        let sites = self.sites_cached().await?;
        let mine: Vec<Site> = sites
            .into_iter()
            .filter(|s| {
                scope
                    .grants()
                    .iter()
                    .any(|g| g.site_id.as_deref().is_none_or(|id| id == s.id))
            })
            .collect();
        Ok(mine)
    }

    /// Sites where the caller may register people.
    pub async fn registration_sites(&self, scope: &AccessScope) -> Result<Vec<Site>, AppError> {
        let f = scope.sites_for(Permission::RegisterPerson);
        Ok(self
            .sites_cached()
            .await?
            .into_iter()
            .filter(|s| f.allows(&s.id))
            .collect())
    }

    pub async fn add_site(
        &self,
        scope: &AccessScope,
        code: &str,
        name: &str,
        timezone: &str,
    ) -> Result<Site, AppError> {
        if scope.sites_for(Permission::ManageSites) != pulang_store::SiteFilter::All {
            return Err(AppError::Forbidden);
        }
        let code = code.trim().to_ascii_uppercase();
        if !valid_site_code(&code) {
            return Err(AppError::BadRequest(
                "site code: 2–8 capital letters or digits, e.g. PNH".into(),
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(AppError::BadRequest("site name is required".into()));
        }
        let tz = timezone.trim();
        if !valid_timezone(tz) {
            return Err(AppError::BadRequest(format!(
                "unknown time zone {tz:?} (use an IANA name such as Asia/Phnom_Penh)"
            )));
        }
        let site = self.store.add_site(&scope.actor(), &code, name, tz).await?;
        self.forget_sites().await;
        Ok(site)
    }

    async fn site_id_of(&self, code: &str) -> Result<String, AppError> {
        self.sites_cached()
            .await?
            .into_iter()
            .find(|s| s.code.eq_ignore_ascii_case(code.trim()))
            .map(|s| s.id)
            .ok_or_else(|| AppError::BadRequest(format!("no site with code {code}")))
    }

    /// Creates a user with one role, on one site or (with `site = None`) on every site.
    pub async fn add_user(
        &self,
        scope: &AccessScope,
        username: &str,
        password: &str,
        role: Role,
        site: Option<&str>,
    ) -> Result<String, AppError> {
        let site_id = match site {
            Some(code) => Some(self.site_id_of(code).await?),
            None => None,
        };
        self.require_manage_users(scope, site_id.as_deref())?;
        let username = username.trim();
        if !valid_username(username) {
            return Err(AppError::BadRequest(
                "username: 2–64 letters, digits or . _ - @".into(),
            ));
        }
        self.check_password_of(username, password).await?;
        let hash = self.passwords.hash(password).await?;
        Ok(self
            .store
            .add_user(
                &scope.actor(),
                username,
                &hash,
                vec![Grant { site_id, role }],
            )
            .await?)
    }

    /// Checks `username`'s new password ([`crate::auth::check_new_password`]), with the username, the
    /// sites' codes and names and the system's name as words it must not lean on.
    async fn check_password_of(&self, username: &str, password: &str) -> Result<(), AppError> {
        let mut inputs: Vec<String> = [username, "pulang", "kbri"].map(String::from).into();
        for s in self.sites_cached().await? {
            inputs.push(s.code);
            inputs.push(s.name);
        }
        self.passwords.check_new(password, inputs).await
    }

    fn require_manage_users(
        &self,
        scope: &AccessScope,
        site_id: Option<&str>,
    ) -> Result<(), AppError> {
        let f = scope.sites_for(Permission::ManageUsers);
        let ok = match site_id {
            Some(id) => f.allows(id),
            None => f == pulang_store::SiteFilter::All,
        };
        if ok {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub(crate) async fn user_named(
        &self,
        username: &str,
    ) -> Result<pulang_store::accounts::User, AppError> {
        self.store
            .user_by_username(username.trim())
            .await?
            .ok_or_else(|| AppError::BadRequest(format!("no user named {username}")))
    }

    pub async fn grant_role(
        &self,
        scope: &AccessScope,
        username: &str,
        role: Role,
        site: Option<&str>,
    ) -> Result<(), AppError> {
        let site_id = match site {
            Some(code) => Some(self.site_id_of(code).await?),
            None => None,
        };
        self.require_manage_users(scope, site_id.as_deref())?;
        let user = self.user_named(username).await?;
        Ok(self
            .store
            .grant(&scope.actor(), &user.id, Grant { site_id, role })
            .await?)
    }

    pub async fn users(&self, scope: &AccessScope) -> Result<Vec<UserSummary>, AppError> {
        if !scope.can(Permission::ManageUsers) {
            return Err(AppError::Forbidden);
        }
        let f = scope.sites_for(Permission::ManageUsers);
        let sites = self.sites_cached().await?;
        Ok(self
            .store
            .users()
            .await?
            .into_iter()
            .filter(|u| {
                u.grants
                    .iter()
                    .any(|g| g.site_id.as_deref().is_some_and(|s| f.allows(s)))
                    || f == pulang_store::SiteFilter::All
            })
            .map(|u| UserSummary {
                grants: u
                    .grants
                    .iter()
                    .map(|g| {
                        (
                            g.site_id
                                .as_deref()
                                .map(|s| site_code(&sites, s))
                                .unwrap_or_else(|| "*".into()),
                            g.role,
                        )
                    })
                    .collect(),
                id: u.id,
                username: u.username,
                disabled: u.disabled,
            })
            .collect())
    }

    /// Ends every session of a user (all devices).
    pub async fn revoke_sessions(
        &self,
        scope: &AccessScope,
        username: &str,
    ) -> Result<u64, AppError> {
        let user = self.user_named(username).await?;
        self.require_manage_users_of(scope, &user)?;
        Ok(self.store.revoke_sessions(&scope.actor(), &user.id).await?)
    }

    pub async fn set_disabled(
        &self,
        scope: &AccessScope,
        username: &str,
        disabled: bool,
    ) -> Result<(), AppError> {
        let user = self.user_named(username).await?;
        self.require_manage_users_of(scope, &user)?;
        Ok(self
            .store
            .set_disabled(&scope.actor(), &user.id, disabled)
            .await?)
    }

    pub async fn set_password(
        &self,
        scope: &AccessScope,
        username: &str,
        password: &str,
    ) -> Result<(), AppError> {
        let user = self.user_named(username).await?;
        if user.id != scope.user_id() {
            self.require_manage_users_of(scope, &user)?;
        }
        self.check_password_of(&user.username, password).await?;
        Ok(self
            .store
            .set_password(
                &scope.actor(),
                &user.id,
                &self.passwords.hash(password).await?,
            )
            .await?)
    }

    pub(crate) fn require_manage_users_of(
        &self,
        scope: &AccessScope,
        user: &pulang_store::accounts::User,
    ) -> Result<(), AppError> {
        // Managing a user needs the right on every site the user holds a role on.
        if user.grants.is_empty() {
            return self.require_manage_users(scope, None);
        }
        for g in &user.grants {
            self.require_manage_users(scope, g.site_id.as_deref())?;
        }
        Ok(())
    }

    /// On a database with no users, creates `admin` with a random password and returns it.
    pub async fn bootstrap_admin(&self) -> Result<Option<String>, AppError> {
        if self.store.user_count().await? > 0 {
            return Ok(None);
        }
        let password = random_token()[..20].to_string();
        let hash = self.passwords.hash(&password).await?;
        // The first administrator is created by the operator who started the server.
        #[allow(clippy::disallowed_methods)]
        let op = AccessScope::local_operator();
        self.store
            .add_user(
                &op.actor(),
                "admin",
                &hash,
                vec![Grant {
                    site_id: None,
                    role: Role::Admin,
                }],
            )
            .await?;
        Ok(Some(password))
    }

    pub async fn audit_events(
        &self,
        scope: &AccessScope,
        subject: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, AppError> {
        if !scope.can(Permission::ViewAudit) {
            return Err(AppError::Forbidden);
        }
        let sites = scope.sites_for(Permission::ViewAudit);
        let mut events = self
            .store
            .audit_events_at(&sites, subject, limit.clamp(1, 10_000))
            .await?;
        // Show site codes rather than internal ids.
        let all = self.sites_cached().await?;
        for e in &mut events {
            if e.site != "*" {
                e.site = site_code(&all, &e.site);
            }
        }
        Ok(events)
    }

    /// Walks the audit chain: the number of events, or where it first breaks.
    pub async fn verify_audit(
        &self,
        scope: &AccessScope,
    ) -> Result<Result<i64, ChainBreak>, AppError> {
        if !scope.can(Permission::ViewAudit) {
            return Err(AppError::Forbidden);
        }
        Ok(self.store.verify_audit().await?)
    }

    /// Aggregate counts without personal data.
    pub async fn stats(&self, scope: &AccessScope) -> Result<Counts, AppError> {
        let f = scope.require(Permission::ViewStats)?;
        let mut c = self.store.counts(&f).await?;
        let sites = self.sites_cached().await?;
        for (s, _) in &mut c.by_site {
            *s = site_code(&sites, s);
        }
        Ok(c)
    }
}

/// IANA time-zone names, checked against the bundled zone database (chrono-tz).
fn valid_timezone(tz: &str) -> bool {
    tz.parse::<chrono_tz::Tz>().is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn time_zones_are_checked_against_the_database() {
        assert!(super::valid_timezone("Asia/Phnom_Penh"));
        assert!(super::valid_timezone("Asia/Jakarta"));
        assert!(!super::valid_timezone("Asia/Jakrta"));
        assert!(!super::valid_timezone("Phnom Penh"));
    }
}
