//! Sites, users with their roles, sessions and API tokens.
use pulang_domain::Role;
use pulang_domain::{AuditAction, ChangeKind};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::changes::record as record_change;
use crate::{new_id, now_ms, Actor, Store, StoreError};

pub use crate::Site;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// `None`: the role holds on every site.
    pub site_id: Option<String>,
    pub role: Role,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub disabled: bool,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user_id: String,
    pub csrf: String,
    pub expires_at: i64,
}

/// An API token as listed: never its secret, nor the secret's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub username: String,
    pub label: String,
    /// Unix milliseconds, as every time in the store.
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
}

fn site_from(r: &AnyRow) -> Result<Site, sqlx::Error> {
    Ok(Site {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        timezone: r.try_get("timezone")?,
    })
}

impl Store {
    pub async fn add_site(
        &self,
        actor: &Actor,
        code: &str,
        name: &str,
        timezone: &str,
    ) -> Result<Site, StoreError> {
        let site = Site {
            id: new_id(),
            code: code.to_string(),
            name: name.to_string(),
            timezone: timezone.to_string(),
        };
        let s = site.clone();
        self.write_audited(&actor.username, &site.id, AuditAction::SiteCreate, &site.id, move |conn| {
            Box::pin(async move {
                sqlx::query("INSERT INTO sites (id, code, name, timezone, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&s.id)
                    .bind(&s.code)
                    .bind(&s.name)
                    .bind(&s.timezone)
                    .bind(now_ms())
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| StoreError::from_db(e, "site code"))?;
                record_change(conn, ChangeKind::Site, std::slice::from_ref(&s.id)).await?;
                Ok(())
            })
        })
        .await?;
        Ok(site)
    }

    pub async fn sites(&self) -> Result<Vec<Site>, StoreError> {
        let rows = sqlx::query("SELECT id, code, name, timezone FROM sites ORDER BY code")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.iter().map(site_from).collect::<Result<_, _>>()?)
    }

    pub async fn site_by_code(&self, code: &str) -> Result<Option<Site>, StoreError> {
        let row = sqlx::query("SELECT id, code, name, timezone FROM sites WHERE code = $1")
            .bind(code)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.as_ref().map(site_from).transpose()?)
    }

    /// Creates a user with their grants. `password_hash` is a PHC string (Argon2id).
    pub async fn add_user(
        &self,
        actor: &Actor,
        username: &str,
        password_hash: &str,
        grants: Vec<Grant>,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let (uid, username, hash) = (id.clone(), username.to_string(), password_hash.to_string());
        self.write_audited(&actor.username, "*", AuditAction::UserCreate, &id, move |conn| {
            Box::pin(async move {
                sqlx::query("INSERT INTO users (id, username, password_hash, disabled, created_at) VALUES ($1, $2, $3, 0, $4)")
                    .bind(&uid)
                    .bind(&username)
                    .bind(&hash)
                    .bind(now_ms())
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| StoreError::from_db(e, "username"))?;
                for g in &grants {
                    sqlx::query("INSERT INTO user_roles (user_id, site_id, role) VALUES ($1, $2, $3)")
                        .bind(&uid)
                        .bind(g.site_id.clone())
                        .bind(g.role.as_str())
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .await?;
        Ok(id)
    }

    /// Adds a grant to an existing user.
    pub async fn grant(
        &self,
        actor: &Actor,
        user_id: &str,
        grant: Grant,
    ) -> Result<(), StoreError> {
        let uid = user_id.to_string();
        self.write_audited(
            &actor.username,
            "*",
            AuditAction::UserGrant,
            user_id,
            move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO user_roles (user_id, site_id, role) VALUES ($1, $2, $3)",
                    )
                    .bind(&uid)
                    .bind(grant.site_id.clone())
                    .bind(grant.role.as_str())
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            },
        )
        .await
    }

    async fn grants_of(&self, user_id: &str) -> Result<Vec<Grant>, StoreError> {
        let rows = sqlx::query("SELECT site_id, role FROM user_roles WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(self.pool())
            .await?;
        let mut grants = Vec::new();
        for r in rows {
            let role: String = r.try_get("role")?;
            let role = Role::parse(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role}")))?;
            let g = Grant {
                site_id: r.try_get("site_id")?,
                role,
            };
            if !grants.contains(&g) {
                grants.push(g);
            }
        }
        Ok(grants)
    }

    async fn user_where(&self, col: &str, val: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT id, username, password_hash, disabled FROM users WHERE {col} = $1"
        ))
        .bind(val)
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let id: String = r.try_get("id")?;
        let disabled: i64 = r.try_get("disabled")?;
        Ok(Some(User {
            grants: self.grants_of(&id).await?,
            id,
            username: r.try_get("username")?,
            password_hash: r.try_get("password_hash")?,
            disabled: disabled != 0,
        }))
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.user_where("username", username).await
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        self.user_where("id", id).await
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let ids: Vec<String> = sqlx::query("SELECT id FROM users ORDER BY username")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(u) = self.user_by_id(&id).await? {
                out.push(u);
            }
        }
        Ok(out)
    }

    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(self.pool())
            .await?
            .try_get("n")?)
    }

    pub async fn set_password(
        &self,
        actor: &Actor,
        user_id: &str,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let (uid, hash) = (user_id.to_string(), password_hash.to_string());
        self.write_audited(
            &actor.username,
            "*",
            AuditAction::UserPassword,
            user_id,
            move |conn| {
                Box::pin(async move {
                    let n = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                        .bind(&hash)
                        .bind(&uid)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected();
                    if n == 0 {
                        return Err(StoreError::NotFound);
                    }
                    // A new password ends everything the old one opened: sessions and tokens.
                    for sql in [
                        "DELETE FROM sessions WHERE user_id = $1",
                        "DELETE FROM api_tokens WHERE user_id = $1",
                    ] {
                        sqlx::query(sql).bind(&uid).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            },
        )
        .await
    }

    /// Disables or enables a user; disabling ends their sessions and tokens.
    pub async fn set_disabled(
        &self,
        actor: &Actor,
        user_id: &str,
        disabled: bool,
    ) -> Result<(), StoreError> {
        let action = if disabled {
            AuditAction::UserDisable
        } else {
            AuditAction::UserEnable
        };
        let uid = user_id.to_string();
        self.write_audited(&actor.username, "*", action, user_id, move |conn| {
            Box::pin(async move {
                sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                    .bind(disabled as i64)
                    .bind(&uid)
                    .execute(&mut *conn)
                    .await?;
                if disabled {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(&uid)
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
                        .bind(&uid)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .await
    }

    pub async fn create_session(
        &self,
        user: &Actor,
        id_hash: &str,
        csrf: &str,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let (h, c, uid) = (id_hash.to_string(), csrf.to_string(), user.user_id.clone());
        self.write_audited(&user.username, "*", AuditAction::SessionLogin, &user.user_id, move |conn| {
            Box::pin(async move {
                sqlx::query("INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&h)
                    .bind(&uid)
                    .bind(&c)
                    .bind(now_ms())
                    .bind(expires_at)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query("SELECT user_id, csrf, expires_at FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            None => None,
            Some(r) => Some(SessionRow {
                user_id: r.try_get("user_id")?,
                csrf: r.try_get("csrf")?,
                expires_at: r.try_get("expires_at")?,
            }),
        })
    }

    pub async fn end_session(&self, actor: &Actor, id_hash: &str) -> Result<(), StoreError> {
        let h = id_hash.to_string();
        self.write_audited(
            &actor.username,
            "*",
            AuditAction::SessionLogout,
            &actor.user_id,
            move |conn| {
                Box::pin(async move {
                    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                        .bind(&h)
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            },
        )
        .await
    }

    /// Ends every session of a user (e.g. a lost laptop). Returns how many were ended.
    pub async fn revoke_sessions(&self, actor: &Actor, user_id: &str) -> Result<u64, StoreError> {
        let uid = user_id.to_string();
        self.write_audited(
            &actor.username,
            "*",
            AuditAction::SessionRevokeAll,
            user_id,
            move |conn| {
                Box::pin(async move {
                    let n = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(&uid)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected();
                    Ok(n)
                })
            },
        )
        .await
    }

    /// Stores a new API token (its digest) for `user_id`; returns the token's id.
    pub async fn create_token(
        &self,
        actor: &Actor,
        user_id: &str,
        token_hash: &str,
        label: &str,
        expires_at: i64,
    ) -> Result<String, StoreError> {
        let id = new_id();
        let (tid, uid, h, label) = (
            id.clone(),
            user_id.to_string(),
            token_hash.to_string(),
            label.to_string(),
        );
        self.write_audited(
            &actor.username,
            "*",
            AuditAction::TokenCreate,
            user_id,
            move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO api_tokens (token_hash, id, user_id, label, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&h)
                    .bind(&tid)
                    .bind(&uid)
                    .bind(&label)
                    .bind(now_ms())
                    .bind(expires_at)
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            },
        )
        .await?;
        Ok(id)
    }

    /// The token whose secret has this digest (expired or not: the caller decides).
    pub async fn token_by_digest(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        self.tokens_where("t.token_hash = $1", Some(token_hash))
            .await
            .map(|mut v| v.pop())
    }

    /// One token by its id.
    pub async fn token(&self, id: &str) -> Result<Option<ApiToken>, StoreError> {
        self.tokens_where("t.id = $1", Some(id))
            .await
            .map(|mut v| v.pop())
    }

    /// The tokens of one user, or of everyone (`None`), newest first; never their secrets.
    pub async fn tokens(&self, user_id: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        match user_id {
            Some(u) => self.tokens_where("t.user_id = $1", Some(u)).await,
            None => self.tokens_where("1 = 1", None).await,
        }
    }

    async fn tokens_where(
        &self,
        cond: &str,
        val: Option<&str>,
    ) -> Result<Vec<ApiToken>, StoreError> {
        let sql = format!(
            "SELECT t.id, t.user_id, u.username, t.label, t.created_at, t.expires_at, t.last_used_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE {cond} \
             ORDER BY t.created_at DESC, t.id"
        );
        let mut q = sqlx::query(&sql);
        if let Some(v) = val {
            q = q.bind(v.to_string());
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    username: r.try_get("username")?,
                    label: r.try_get("label")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// Revokes (deletes) one token; the event's subject is the token's owner.
    pub async fn revoke_token(&self, actor: &Actor, token: &ApiToken) -> Result<(), StoreError> {
        let id = token.id.clone();
        self.write_audited(
            &actor.username,
            "*",
            AuditAction::TokenRevoke,
            &token.user_id,
            move |conn| {
                Box::pin(async move {
                    let n = sqlx::query("DELETE FROM api_tokens WHERE id = $1")
                        .bind(&id)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected();
                    if n == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                })
            },
        )
        .await
    }

    /// Records that a token was used at `now`, unless that was already recorded less than
    /// `min_gap_ms` ago (bookkeeping, not audited).
    pub async fn touch_token(&self, id: &str, now: i64, min_gap_ms: i64) -> Result<(), StoreError> {
        let id = id.to_string();
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE api_tokens SET last_used_at = $1 \
                     WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
                )
                .bind(now)
                .bind(&id)
                .bind(now - min_gap_ms)
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await
    }
}
