//! Identity decisions: the review queue of possible duplicates, and merges of person records.
//!
//! A merge never moves or deletes data: the merged record points at the record it was merged
//! into (`people.merged_into`) and the merge is listed in `merges`. Unmerging clears the pointer
//! and marks the merge undone, so every merge is reversible and both steps are audited.
use pulang_domain::{AuditAction, ChangeKind, ReviewOrigin, ReviewStatus};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::audit::append;
use crate::changes::record as record_change;
use crate::encounter::flag_if_returned_before;
use crate::review_queue::queue_review_in;
use crate::sql::{parse_date, term_at};
use crate::{new_id, now_ms, Actor, SiteFilter, Store, StoreError};

/// A pair of records that may be the same person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewPair {
    pub id: String,
    pub site_id: String,
    pub left_id: String,
    pub right_id: String,
    pub probability: f64,
    /// Field levels and weights as JSON (no personal data).
    pub reasons: String,
    pub origin: ReviewOrigin,
    pub status: ReviewStatus,
    pub created_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    /// The sites of the two records: a pair is seen only by a scope that covers both, so a
    /// duplicate at another mission is found by those who may see both and by nobody else.
    pub left_site: String,
    pub right_site: String,
}

impl ReviewPair {
    /// Whether a caller limited to `filter` may see (and decide) this pair.
    pub fn visible_to(&self, filter: &SiteFilter) -> bool {
        [&self.site_id, &self.left_site, &self.right_site]
            .iter()
            .all(|s| filter.allows(s))
    }
}

/// A pair with the sites of its two records.
const REVIEW_SELECT: &str = "SELECT r.id, r.site_id, r.left_id, r.right_id, r.probability, \
     r.reasons, r.origin, r.status, r.created_at, r.decided_by, r.decided_at, \
     a.site_id AS left_site, b.site_id AS right_site \
     FROM match_reviews r JOIN people a ON a.id = r.left_id JOIN people b ON b.id = r.right_id";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Merge {
    pub id: String,
    pub survivor_id: String,
    pub merged_id: String,
    pub review_id: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub undone_by: Option<String>,
    pub undone_at: Option<i64>,
}

const MERGE_COLS: &str =
    "id, survivor_id, merged_id, review_id, created_by, created_at, undone_by, undone_at";

fn review_from(r: &sqlx::any::AnyRow) -> Result<ReviewPair, StoreError> {
    Ok(ReviewPair {
        id: r.try_get("id")?,
        site_id: r.try_get("site_id")?,
        left_id: r.try_get("left_id")?,
        right_id: r.try_get("right_id")?,
        probability: r.try_get("probability")?,
        reasons: r.try_get("reasons")?,
        origin: term_at(r, "origin")?,
        status: term_at(r, "status")?,
        created_at: r.try_get("created_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: r.try_get("decided_at")?,
        left_site: r.try_get("left_site")?,
        right_site: r.try_get("right_site")?,
    })
}

fn merge_from(r: &sqlx::any::AnyRow) -> Result<Merge, StoreError> {
    Ok(Merge {
        id: r.try_get("id")?,
        survivor_id: r.try_get("survivor_id")?,
        merged_id: r.try_get("merged_id")?,
        review_id: r.try_get("review_id")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        undone_by: r.try_get("undone_by")?,
        undone_at: r.try_get("undone_at")?,
    })
}

/// `(site_id, merged_into)` of a person, if the filter allows its site.
async fn person_state(
    conn: &mut AnyConnection,
    filter: &SiteFilter,
    id: &str,
) -> Result<(String, Option<String>), StoreError> {
    let row = sqlx::query("SELECT site_id, merged_into FROM people WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let site: String = row.try_get("site_id")?;
    if !filter.allows(&site) {
        return Err(StoreError::NotFound);
    }
    Ok((site, row.try_get("merged_into")?))
}

/// Merges `merged` into `survivor` inside the caller's transaction.
async fn merge_in(
    conn: &mut AnyConnection,
    actor: &str,
    filter: &SiteFilter,
    survivor: &str,
    merged: &str,
    review_id: Option<&str>,
) -> Result<Merge, StoreError> {
    if survivor == merged {
        return Err(StoreError::Conflict(
            "a record cannot be merged into itself".into(),
        ));
    }
    let (site, s_into) = person_state(conn, filter, survivor).await?;
    let (m_site, m_into) = person_state(conn, filter, merged).await?;
    if s_into.is_some() || m_into.is_some() {
        return Err(StoreError::Conflict(
            "one of the records is already merged into another".into(),
        ));
    }
    let children: i64 = sqlx::query("SELECT COUNT(*) AS n FROM people WHERE merged_into = $1")
        .bind(merged)
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    if children > 0 {
        return Err(StoreError::Conflict(
            "other records are merged into the record to merge away: merge the other way round"
                .into(),
        ));
    }
    let m = Merge {
        id: new_id(),
        survivor_id: survivor.to_string(),
        merged_id: merged.to_string(),
        review_id: review_id.map(str::to_string),
        created_by: actor.to_string(),
        created_at: now_ms(),
        undone_by: None,
        undone_at: None,
    };
    // "Neither is merged" (checked above) as the write's condition in SQL.
    let moved = sqlx::query(
        "UPDATE people SET merged_into = $1 WHERE id = $2 AND merged_into IS NULL \
         AND NOT EXISTS (SELECT 1 FROM people s WHERE s.id = $1 AND s.merged_into IS NOT NULL)",
    )
    .bind(survivor)
    .bind(merged)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if moved == 0 {
        return Err(StoreError::Conflict(
            "one of the records is already merged into another".into(),
        ));
    }
    record_change(conn, ChangeKind::Person, &[merged.to_string()]).await?;
    sqlx::query(&format!(
        "INSERT INTO merges ({MERGE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)"
    ))
    .bind(&m.id)
    .bind(&m.survivor_id)
    .bind(&m.merged_id)
    .bind(m.review_id.as_deref())
    .bind(&m.created_by)
    .bind(m.created_at)
    .execute(&mut *conn)
    .await?;
    for (s, subject) in [(&site, survivor), (&m_site, merged)] {
        append(conn, actor, s, AuditAction::PersonMerge, subject).await?;
    }
    // The two records' arrivals now belong to one person: one after they had gone home is a
    // possible re-trafficking.
    let latest: Option<String> = sqlx::query(
        "SELECT MAX(arrived_on) AS latest FROM encounters WHERE person_id = $1 OR person_id = $2",
    )
    .bind(survivor)
    .bind(merged)
    .fetch_one(&mut *conn)
    .await?
    .try_get("latest")?;
    if let Some(day) = latest {
        flag_if_returned_before(conn, survivor, parse_date(&day)?, actor, &site).await?;
    }
    Ok(m)
}

impl Store {
    /// Queues a pair for review unless it is already known (in either order, in any state).
    /// Returns the new review's id.
    #[allow(clippy::too_many_arguments)]
    pub async fn queue_review(
        &self,
        site_id: &str,
        left_id: &str,
        right_id: &str,
        probability: f64,
        reasons_json: &str,
        origin: ReviewOrigin,
    ) -> Result<Option<String>, StoreError> {
        if left_id == right_id {
            return Ok(None);
        }
        let (site, l, r, reasons) = (
            site_id.to_string(),
            left_id.to_string(),
            right_id.to_string(),
            reasons_json.to_string(),
        );
        self.write(move |conn| {
            Box::pin(async move {
                queue_review_in(conn, &site, &l, &r, probability, &reasons, origin).await
            })
        })
        .await
    }

    /// Reviews in the given states at the filter's sites: most probable first, pending before
    /// deferred.
    pub async fn reviews(
        &self,
        filter: &SiteFilter,
        statuses: &[ReviewStatus],
        limit: usize,
    ) -> Result<Vec<ReviewPair>, StoreError> {
        let mut out = Vec::new();
        for st in statuses {
            let rows = sqlx::query(&format!(
                "{REVIEW_SELECT} WHERE r.status = $1 ORDER BY r.probability DESC, r.created_at"
            ))
            .bind(st.as_str())
            .fetch_all(self.pool())
            .await?;
            for r in &rows {
                let p = review_from(r)?;
                if p.visible_to(filter) {
                    out.push(p);
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Counts of reviews by state, of the pairs the filter may see.
    pub async fn review_counts(
        &self,
        filter: &SiteFilter,
    ) -> Result<Vec<(ReviewStatus, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.site_id, a.site_id AS left_site, b.site_id AS right_site, r.status, \
             COUNT(*) AS n FROM match_reviews r JOIN people a ON a.id = r.left_id \
             JOIN people b ON b.id = r.right_id GROUP BY r.site_id, a.site_id, b.site_id, r.status",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out: Vec<(ReviewStatus, i64)> = ReviewStatus::ALL.iter().map(|&s| (s, 0)).collect();
        for r in &rows {
            let sites: [String; 3] = [
                r.try_get("site_id")?,
                r.try_get("left_site")?,
                r.try_get("right_site")?,
            ];
            if sites.iter().all(|s| filter.allows(s)) {
                let st: ReviewStatus = term_at(r, "status")?;
                let n: i64 = r.try_get("n")?;
                if let Some(e) = out.iter_mut().find(|(s, _)| *s == st) {
                    e.1 += n;
                }
            }
        }
        Ok(out)
    }

    pub async fn review(&self, filter: &SiteFilter, id: &str) -> Result<ReviewPair, StoreError> {
        let r = sqlx::query(&format!("{REVIEW_SELECT} WHERE r.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
        let p = review_from(&r)?;
        if p.visible_to(filter) {
            Ok(p)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Decides a review. `confirmed` merges the later record into the earlier one (named by
    /// `survivor`), `rejected` keeps them apart for good, `deferred` puts the pair back at the
    /// end of the queue. Returns the merge when one was made.
    pub async fn decide_review(
        &self,
        actor: &Actor,
        filter: &SiteFilter,
        id: &str,
        decision: ReviewStatus,
        survivor: Option<&str>,
    ) -> Result<Option<Merge>, StoreError> {
        if decision == ReviewStatus::Pending {
            return Err(StoreError::Conflict(
                "a decision cannot be \"pending\"".into(),
            ));
        }
        let (actor, filter, id, survivor) = (
            actor.username.clone(),
            filter.clone(),
            id.to_string(),
            survivor.map(str::to_string),
        );
        self.write(move |conn| {
            Box::pin(async move {
                let r = sqlx::query(&format!("{REVIEW_SELECT} WHERE r.id = $1"))
                    .bind(&id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let p = review_from(&r)?;
                if !p.visible_to(&filter) {
                    return Err(StoreError::NotFound);
                }
                if p.status.is_final() {
                    return Err(StoreError::Conflict("this pair has already been decided".into()));
                }
                let merge = if decision == ReviewStatus::Confirmed {
                    let s = survivor.unwrap_or_else(|| p.left_id.clone());
                    let m = if s == p.left_id { p.right_id.clone() } else if s == p.right_id { p.left_id.clone() } else {
                        return Err(StoreError::Conflict("the record to keep must be one of the pair".into()));
                    };
                    Some(merge_in(conn, &actor, &filter, &s, &m, Some(&id)).await?)
                } else {
                    None
                };
                // The status read above, as the write's condition in SQL.
                let decided = sqlx::query("UPDATE match_reviews SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = $5")
                    .bind(decision.as_str())
                    .bind(&actor)
                    .bind(now_ms())
                    .bind(&id)
                    .bind(p.status.as_str())
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                if decided == 0 {
                    return Err(StoreError::Conflict("this pair has already been decided".into()));
                }
                append(conn, &actor, &p.site_id, AuditAction::ReviewDecided(decision), &id).await?;
                Ok(merge)
            })
        })
        .await
    }

    /// Merges `merged` into `survivor` (both must be visible to the filter and unmerged).
    pub async fn merge_people(
        &self,
        actor: &Actor,
        filter: &SiteFilter,
        survivor: &str,
        merged: &str,
    ) -> Result<Merge, StoreError> {
        let (actor, filter, survivor, merged) = (
            actor.username.clone(),
            filter.clone(),
            survivor.to_string(),
            merged.to_string(),
        );
        self.write(move |conn| {
            Box::pin(async move { merge_in(conn, &actor, &filter, &survivor, &merged, None).await })
        })
        .await
    }

    /// Undoes a merge: the merged record stands on its own again. A review that led to the
    /// merge goes back to pending.
    pub async fn unmerge(
        &self,
        actor: &Actor,
        filter: &SiteFilter,
        merge_id: &str,
    ) -> Result<Merge, StoreError> {
        let (actor, filter, merge_id) =
            (actor.username.clone(), filter.clone(), merge_id.to_string());
        self.write(move |conn| {
            Box::pin(async move {
                let r = sqlx::query(&format!("SELECT {MERGE_COLS} FROM merges WHERE id = $1"))
                    .bind(&merge_id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let mut m = merge_from(&r)?;
                let (site, _) = person_state(conn, &filter, &m.survivor_id).await?;
                let (m_site, into) = person_state(conn, &filter, &m.merged_id).await?;
                if m.undone_at.is_some() || into.as_deref() != Some(m.survivor_id.as_str()) {
                    return Err(StoreError::Conflict("this merge has already been undone".into()));
                }
                let now = now_ms();
                // What was checked above, as the writes' conditions in SQL.
                let unmerged = sqlx::query("UPDATE people SET merged_into = NULL WHERE id = $1 AND merged_into = $2")
                    .bind(&m.merged_id)
                    .bind(&m.survivor_id)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                let undone = sqlx::query("UPDATE merges SET undone_by = $1, undone_at = $2 WHERE id = $3 AND undone_at IS NULL")
                    .bind(&actor)
                    .bind(now)
                    .bind(&m.id)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                if unmerged == 0 || undone == 0 {
                    return Err(StoreError::Conflict("this merge has already been undone".into()));
                }
                record_change(conn, ChangeKind::Person, std::slice::from_ref(&m.merged_id)).await?;
                if let Some(rid) = &m.review_id {
                    sqlx::query("UPDATE match_reviews SET status = $2, decided_by = NULL, decided_at = NULL WHERE id = $1")
                        .bind(rid)
                        .bind(ReviewStatus::Pending.as_str())
                        .execute(&mut *conn)
                        .await?;
                }
                for (s, subject) in [(&site, &m.survivor_id), (&m_site, &m.merged_id)] {
                    append(conn, &actor, s, AuditAction::PersonUnmerge, subject).await?;
                }
                m.undone_by = Some(actor.clone());
                m.undone_at = Some(now);
                Ok(m)
            })
        })
        .await
    }

    /// Merges into or out of a person the filter allows, newest first; `NotFound` for another
    /// site's person.
    pub async fn merges_of(
        &self,
        filter: &SiteFilter,
        person_id: &str,
    ) -> Result<Vec<Merge>, StoreError> {
        self.allowed_person(filter, person_id).await?;
        let rows = sqlx::query(&format!(
            "SELECT {MERGE_COLS} FROM merges WHERE survivor_id = $1 OR merged_id = $2 ORDER BY created_at DESC"
        ))
        .bind(person_id)
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(merge_from).collect()
    }
}
