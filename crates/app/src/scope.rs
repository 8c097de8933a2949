//! The access policy. An [`AccessScope`] is what a request may touch; only authentication
//! (`crate::auth`) and the local operator's CLI can create one, and every use case requires one.
use pulang_domain::Role;
use pulang_store::accounts::{Grant, User};
use pulang_store::{Actor, SiteFilter};

/// Things a use case may need permission for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Register a new arrival.
    RegisterPerson,
    /// See a person's full record.
    ReadPerson,
    /// See a person's minimal record (name, case number, arrival): police liaison.
    ReadPersonMinimal,
    EditPerson,
    /// Aggregate counts without personal data.
    ViewStats,
    ViewAudit,
    ManageSites,
    ManageUsers,
    /// Run, read and sign screenings (trafficking-victim identification interviews).
    Screen,
    /// Decide possible duplicates; merge and unmerge person records.
    ResolveIdentity,
    /// Revert a whole import batch.
    RevertImport,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Permission::RegisterPerson,
        Permission::ReadPerson,
        Permission::ReadPersonMinimal,
        Permission::EditPerson,
        Permission::ViewStats,
        Permission::ViewAudit,
        Permission::ManageSites,
        Permission::ManageUsers,
        Permission::Screen,
        Permission::ResolveIdentity,
        Permission::RevertImport,
    ];
}

/// What each role may do. Deny by default: anything not listed is refused.
pub fn role_allows(role: Role, p: Permission) -> bool {
    use Permission::*;
    match role {
        Role::Admin => true,
        Role::Registrar => matches!(
            p,
            RegisterPerson | ReadPerson | ReadPersonMinimal | EditPerson | ViewStats
        ),
        Role::Caseworker => matches!(
            p,
            RegisterPerson
                | ReadPerson
                | ReadPersonMinimal
                | EditPerson
                | ViewStats
                | Screen
                | ResolveIdentity
        ),
        Role::PoliceLiaison => matches!(p, ReadPersonMinimal),
        Role::Analyst => matches!(p, ViewStats),
        Role::Auditor => matches!(p, ViewAudit | ViewStats),
    }
}

#[derive(Debug, Clone)]
pub struct AccessScope {
    user_id: String,
    username: String,
    grants: Vec<Grant>,
    /// Made from an API token (which may not make tokens: a stolen one must not outlive itself).
    by_token: bool,
}

impl AccessScope {
    pub(crate) fn for_user(user: &User) -> AccessScope {
        AccessScope {
            user_id: user.id.clone(),
            username: user.username.clone(),
            grants: user.grants.clone(),
            by_token: false,
        }
    }

    /// The scope of a user signed in with an API token.
    pub(crate) fn for_token_user(user: &User) -> AccessScope {
        AccessScope {
            by_token: true,
            ..AccessScope::for_user(user)
        }
    }

    /// Whether this scope comes from an API token.
    pub fn by_token(&self) -> bool {
        self.by_token
    }

    /// The person at the server's console (the `pulang` CLI with access to the data directory and
    /// key file): an administrator of every site. Web handlers must never call this; clippy's
    /// `disallowed-methods` (clippy.toml) enforces it outside the CLI.
    pub fn local_operator() -> AccessScope {
        AccessScope {
            user_id: "operator".into(),
            username: "operator@console".into(),
            grants: vec![Grant {
                site_id: None,
                role: Role::Admin,
            }],
            by_token: false,
        }
    }

    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    pub fn roles(&self) -> Vec<Role> {
        let mut r: Vec<Role> = self.grants.iter().map(|g| g.role).collect();
        r.sort();
        r.dedup();
        r
    }

    pub(crate) fn actor(&self) -> Actor {
        Actor {
            user_id: self.user_id.clone(),
            username: self.username.clone(),
        }
    }

    /// The sites where `p` is allowed.
    pub fn sites_for(&self, p: Permission) -> SiteFilter {
        let mut ids = Vec::new();
        for g in self.grants.iter().filter(|g| role_allows(g.role, p)) {
            match &g.site_id {
                None => return SiteFilter::All,
                Some(id) => {
                    if !ids.contains(id) {
                        ids.push(id.clone())
                    }
                }
            }
        }
        SiteFilter::Only(ids)
    }

    /// The sites where `p` is allowed, or `Forbidden` when it is allowed nowhere.
    pub fn require(&self, p: Permission) -> Result<SiteFilter, crate::AppError> {
        match self.sites_for(p) {
            SiteFilter::Only(ids) if ids.is_empty() => Err(crate::AppError::Forbidden),
            f => Ok(f),
        }
    }

    /// Whether `p` is allowed anywhere.
    pub fn can(&self, p: Permission) -> bool {
        self.sites_for(p) != SiteFilter::Only(Vec::new())
    }

    pub fn can_at(&self, p: Permission, site_id: &str) -> bool {
        self.sites_for(p).allows(site_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(grants: Vec<(Option<&str>, Role)>) -> AccessScope {
        AccessScope {
            user_id: "u".into(),
            username: "u".into(),
            grants: grants
                .into_iter()
                .map(|(s, role)| Grant {
                    site_id: s.map(str::to_string),
                    role,
                })
                .collect(),
            by_token: false,
        }
    }

    #[test]
    fn registrar_is_limited_to_their_sites() {
        let s = scope(vec![(Some("pnh"), Role::Registrar)]);
        assert!(s.can_at(Permission::ReadPerson, "pnh"));
        assert!(!s.can_at(Permission::ReadPerson, "bkk"));
        assert!(!s.can(Permission::ManageUsers));
    }

    #[test]
    fn analyst_sees_no_personal_data() {
        let s = scope(vec![(None, Role::Analyst)]);
        for p in [
            Permission::ReadPerson,
            Permission::ReadPersonMinimal,
            Permission::RegisterPerson,
            Permission::EditPerson,
        ] {
            assert!(!s.can(p), "{p:?}");
        }
        assert!(s.can(Permission::ViewStats));
    }

    #[test]
    fn no_grants_no_access() {
        let s = scope(vec![]);
        for p in Permission::ALL {
            assert!(!s.can(p));
        }
    }

    #[test]
    fn global_grant_covers_every_site() {
        let s = scope(vec![
            (Some("pnh"), Role::Registrar),
            (None, Role::Caseworker),
        ]);
        assert_eq!(s.sites_for(Permission::ReadPerson), SiteFilter::All);
    }
}
