//! Screenings of a person. The store keeps the interview input sealed (it holds the person's
//! story) and the outcome grade in the clear for counting; evaluating is the screening crate's job.
use pulang_domain::{AuditAction, ScreeningStatus};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit::append;
use crate::crypto::open_listed;
use crate::sql::{person_site, term_at};
use crate::{new_id, now_ms, Actor, SiteFilter, Store, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct ScreeningRecord {
    pub id: String,
    pub person_id: String,
    pub site_id: String,
    pub version: i64,
    pub supersedes: Option<String>,
    pub catalogue_version: String,
    pub status: ScreeningStatus,
    /// The screening input as JSON (answers, age at recruitment, liabilities). Empty when
    /// `unreadable`.
    pub input: String,
    /// In a list of a person's screenings: the input is stored but does not open (moved from
    /// another person's record or tampered with; logged). Reading the screening itself fails.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unreadable: bool,
    pub outcome: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub signed_by: Option<String>,
    pub signed_at: Option<i64>,
}

const COLS: &str =
    "id, person_id, site_id, version, supersedes, catalogue_version, status, input, outcome, \
     created_by, created_at, updated_at, signed_by, signed_at";

impl Store {
    /// A screening row, its input opened for its person. `listed`: a row whose input does not
    /// open is returned marked unreadable (one damaged screening must not hide the others);
    /// otherwise that is a `Decrypt` error.
    fn open_screening(&self, r: &AnyRow, listed: bool) -> Result<ScreeningRecord, StoreError> {
        let id: String = r.try_get("id")?;
        let person_id: String = r.try_get("person_id")?;
        let sealed: Vec<u8> = r.try_get("input")?;
        let input = if listed {
            open_listed(self.keys(), &person_id, &id, "input", &sealed)
        } else {
            Some(self.keys().open_owned(&person_id, &id, "input", &sealed)?)
        };
        Ok(ScreeningRecord {
            unreadable: input.is_none(),
            input: input.unwrap_or_default(),
            person_id,
            site_id: r.try_get("site_id")?,
            version: r.try_get("version")?,
            supersedes: r.try_get("supersedes")?,
            catalogue_version: r.try_get("catalogue_version")?,
            status: term_at(r, "status")?,
            outcome: r.try_get("outcome")?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            signed_by: r.try_get("signed_by")?,
            signed_at: r.try_get("signed_at")?,
            id,
        })
    }

    /// Starts a screening of a person the caller may screen. `supersedes` names the signed
    /// screening this one corrects (its answers are the starting point).
    #[allow(clippy::too_many_arguments)]
    pub async fn start_screening(
        &self,
        actor: &Actor,
        filter: &SiteFilter,
        person_id: &str,
        supersedes: Option<&str>,
        catalogue_version: &str,
        input: &str,
        outcome: &str,
    ) -> Result<ScreeningRecord, StoreError> {
        let id = new_id();
        let sealed = self.keys().seal_owned(person_id, &id, "input", input);
        let (actor, filter, person_id, supersedes, cv, outcome) = (
            actor.clone(),
            filter.clone(),
            person_id.to_string(),
            supersedes.map(str::to_string),
            catalogue_version.to_string(),
            outcome.to_string(),
        );
        let sid = id.clone();
        self.write(move |conn| {
            Box::pin(async move {
                let site_id = person_site(conn, &filter, &person_id).await?;
                let version: i64 = sqlx::query(
                    "SELECT COALESCE(MAX(version), 0) + 1 AS version FROM screenings WHERE person_id = $1",
                )
                .bind(&person_id)
                .fetch_one(&mut *conn)
                .await?
                .try_get("version")?;
                let now = now_ms();
                sqlx::query(&format!(
                    "INSERT INTO screenings ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9, $10, $10, NULL, NULL)"
                ))
                .bind(&sid)
                .bind(&person_id)
                .bind(&site_id)
                .bind(version)
                .bind(supersedes.clone())
                .bind(&cv)
                .bind(sealed)
                .bind(&outcome)
                .bind(&actor.username)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                let action = if supersedes.is_some() { AuditAction::ScreeningCorrect } else { AuditAction::ScreeningStart };
                append(conn, &actor.username, &site_id, action, &sid).await?;
                Ok(())
            })
        })
        .await?;
        self.fetch_screening(&id).await?.ok_or(StoreError::NotFound)
    }

    async fn fetch_screening(&self, id: &str) -> Result<Option<ScreeningRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLS} FROM screenings WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| self.open_screening(&r, false)).transpose()
    }

    /// Reads a screening (an audited read), or NotFound outside the filter.
    pub async fn read_screening(
        &self,
        actor: &Actor,
        filter: &SiteFilter,
        id: &str,
        action: AuditAction,
    ) -> Result<ScreeningRecord, StoreError> {
        match self.fetch_screening(id).await? {
            Some(s) if filter.allows(&s.site_id) => {
                self.audit(&actor.username, &s.site_id, action, &s.id)
                    .await?;
                Ok(s)
            }
            Some(s) => {
                self.audit(
                    &actor.username,
                    &s.site_id,
                    AuditAction::ScreeningReadDenied,
                    &s.id,
                )
                .await?;
                Err(StoreError::NotFound)
            }
            None => Err(StoreError::NotFound),
        }
    }

    /// Screenings of a person the filter allows, newest version first (the person's read is
    /// audited by the caller); `NotFound` for another site's person.
    pub async fn screenings_of(
        &self,
        filter: &SiteFilter,
        person_id: &str,
    ) -> Result<Vec<ScreeningRecord>, StoreError> {
        self.allowed_person(filter, person_id).await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM screenings WHERE person_id = $1 ORDER BY version DESC"
        ))
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| self.open_screening(r, true)).collect()
    }

    /// Saves answers of a draft; a signed screening is locked (Conflict).
    pub async fn save_screening(
        &self,
        actor: &Actor,
        filter: &SiteFilter,
        id: &str,
        input: &str,
        outcome: &str,
        sign: bool,
    ) -> Result<(), StoreError> {
        // Sealed for the screening's person (read first: sealing waits for no writer); the
        // update below applies only while the row is still that person's.
        let owner: String = sqlx::query("SELECT person_id FROM screenings WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?
            .try_get("person_id")?;
        let sealed = self.keys().seal_owned(&owner, id, "input", input);
        let (actor, filter, id, outcome) = (
            actor.clone(),
            filter.clone(),
            id.to_string(),
            outcome.to_string(),
        );
        self.write(move |conn| {
            Box::pin(async move {
                let row = sqlx::query(
                    "SELECT site_id, status FROM screenings WHERE id = $1 AND person_id = $2",
                )
                .bind(&id)
                .bind(&owner)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(StoreError::NotFound)?;
                let site_id: String = row.try_get("site_id")?;
                let status: ScreeningStatus = term_at(&row, "status")?;
                if !filter.allows(&site_id) {
                    return Err(StoreError::NotFound);
                }
                if status == ScreeningStatus::Signed {
                    return Err(StoreError::Conflict(
                        "a signed screening (correct it instead)".into(),
                    ));
                }
                let now = now_ms();
                let new_status = if sign {
                    ScreeningStatus::Signed
                } else {
                    ScreeningStatus::Draft
                };
                // "Not signed" (checked above) as the write's condition in SQL.
                let saved = sqlx::query(
                    "UPDATE screenings SET input = $1, outcome = $2, status = $3, updated_at = $4, \
                     signed_by = $5, signed_at = $6 WHERE id = $7 AND status = $8",
                )
                .bind(sealed)
                .bind(&outcome)
                .bind(new_status.as_str())
                .bind(now)
                .bind(sign.then(|| actor.username.clone()))
                .bind(sign.then_some(now))
                .bind(&id)
                .bind(ScreeningStatus::Draft.as_str())
                .execute(&mut *conn)
                .await?
                .rows_affected();
                if saved == 0 {
                    return Err(StoreError::Conflict(
                        "a signed screening (correct it instead)".into(),
                    ));
                }
                let action = if sign {
                    AuditAction::ScreeningSign
                } else {
                    AuditAction::ScreeningSave
                };
                append(conn, &actor.username, &site_id, action, &id).await?;
                Ok(())
            })
        })
        .await
    }
}
