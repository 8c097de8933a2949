//! Import batches and the rows they registered. A row is known by its content key per site:
//! importing it again finds the person it registered instead of registering them twice.
use pulang_domain::{
    AuditAction, ChangeKind, EncounterDetails, ImportOutcome, ImportStatus, PersonDetails,
    ReviewOrigin,
};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::audit::{append, append_many};
use crate::changes::record as record_change;
use crate::encounter::{
    flag_if_returned_before, insert_encounter, insert_encounters, NewEncounter,
};
use crate::import_rows::{import_row, insert_import_rows, record_row};
pub use crate::import_rows::{ImportReview, ImportRowRef};
use crate::person_rows::{insert_people, set_cases, NewPerson, PersonRecord};
use crate::review_queue::{review_row, REVIEW_COLS};
use crate::sql::{bulk_insert, date_str, site_clause, term_at};
use crate::{new_id, now_ms, Actor, Keyring, Site, SiteFilter, Store, StoreError};

#[derive(Debug, Clone, Serialize)]
pub struct ImportBatch {
    pub id: String,
    pub site_id: String,
    pub source: String,
    pub file_name: String,
    pub file_hash: String,
    pub created_by: String,
    pub created_at: i64,
    pub status: ImportStatus,
    /// The report as JSON (counts and rows), sealed at rest: it names people.
    pub report: Option<String>,
}

/// One row of an import chunk, for [`Store::write_import_rows`].
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // built once per row and moved into the writer
pub enum ImportWrite {
    /// A new person: recorded as `created`, or as `review` with pairs for `row.review`.
    Register {
        details: PersonDetails,
        encounter: EncounterDetails,
        row: ImportRowRef,
    },
    /// A person already registered (see [`Store::record_import_match`]).
    Match {
        person_id: String,
        encounter: EncounterDetails,
        row: ImportRowRef,
    },
}

#[derive(Debug, Clone)]
pub enum ImportWritten {
    Registered(Box<PersonRecord>),
    /// `flagged`: the arrival came after the person had gone home (a new encounter, flagged).
    Matched {
        flagged: bool,
    },
}

/// The arrival an imported row that matched `pid` adds when it is a new arrival: without the
/// row's notes.
fn matched_arrival(
    keys: &Keyring,
    actor: &str,
    site: &str,
    row: &ImportRowRef,
    pid: &str,
    encounter: &EncounterDetails,
) -> NewEncounter {
    let mut arrival = NewEncounter::new(keys, pid, site, encounter, actor);
    arrival.notes = None;
    arrival.batch_id = Some(row.batch_id.clone());
    arrival
}

/// [`Store::record_import_match`] inside the caller's transaction.
async fn record_match_in(
    conn: &mut AnyConnection,
    actor: &str,
    site: &str,
    row: &ImportRowRef,
    pid: &str,
    arrival: NewEncounter,
) -> Result<bool, StoreError> {
    record_row(conn, site, row, pid, ImportOutcome::Matched).await?;
    let day = date_str(arrival.arrived_on);
    let returned: Option<String> = sqlx::query(
        "SELECT MAX(on_date) AS returned FROM milestones WHERE milestone = 'returned' AND person_id = $1",
    )
    .bind(pid)
    .fetch_one(&mut *conn)
    .await?
    .try_get("returned")?;
    if returned.is_some_and(|r| r < day) {
        let arrived_on = arrival.arrived_on;
        insert_encounter(conn, arrival, false).await?;
        return flag_if_returned_before(conn, pid, arrived_on, actor, site).await;
    }
    Ok(false)
}

impl Store {
    /// Starts a batch, or returns the unfinished batch of the same file at the same site (an
    /// interrupted import resumes where it stopped).
    pub async fn start_import(
        &self,
        actor: &Actor,
        site_id: &str,
        source: &str,
        file_name: &str,
        file_hash: &str,
    ) -> Result<(ImportBatch, bool), StoreError> {
        let row = sqlx::query(
            "SELECT id, created_by, created_at FROM import_batches WHERE site_id = $1 AND file_hash = $2 AND source = $3 AND status = 'running' ORDER BY created_at DESC LIMIT 1",
        )
        .bind(site_id)
        .bind(file_hash)
        .bind(source)
        .fetch_optional(self.pool())
        .await?;
        if let Some(r) = row {
            return Ok((
                ImportBatch {
                    id: r.try_get("id")?,
                    site_id: site_id.into(),
                    source: source.into(),
                    file_name: file_name.into(),
                    file_hash: file_hash.into(),
                    created_by: r.try_get("created_by")?,
                    created_at: r.try_get("created_at")?,
                    status: ImportStatus::Running,
                    report: None,
                },
                true,
            ));
        }
        let b = ImportBatch {
            id: new_id(),
            site_id: site_id.into(),
            source: source.into(),
            file_name: file_name.into(),
            file_hash: file_hash.into(),
            created_by: actor.username.clone(),
            created_at: now_ms(),
            status: ImportStatus::Running,
            report: None,
        };
        let bb = b.clone();
        self.write_audited(&actor.username, site_id, AuditAction::ImportStart, &b.id, move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO import_batches (id, site_id, source, file_name, file_hash, created_by, created_at, status, report) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', NULL)",
                )
                .bind(&bb.id)
                .bind(&bb.site_id)
                .bind(&bb.source)
                .bind(&bb.file_name)
                .bind(&bb.file_hash)
                .bind(&bb.created_by)
                .bind(bb.created_at)
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await?;
        Ok((b, false))
    }

    /// The person an already-imported row registered at this site, if any; `NotFound` for a
    /// site outside the filter.
    pub async fn imported_person(
        &self,
        filter: &SiteFilter,
        site_id: &str,
        row_key: &str,
    ) -> Result<Option<String>, StoreError> {
        if !filter.allows(site_id) {
            return Err(StoreError::NotFound);
        }
        let row =
            sqlx::query("SELECT person_id FROM import_rows WHERE site_id = $1 AND row_key = $2")
                .bind(site_id)
                .bind(row_key)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.map(|r| r.try_get("person_id")).transpose()?)
    }

    /// Every row already imported at this site: row key → the person it registered or matched.
    /// Read once per import instead of once per row. `NotFound` for a site outside the filter.
    pub async fn imported_rows(
        &self,
        filter: &SiteFilter,
        site_id: &str,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        if !filter.allows(site_id) {
            return Err(StoreError::NotFound);
        }
        let rows = sqlx::query("SELECT row_key, person_id FROM import_rows WHERE site_id = $1")
            .bind(site_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("row_key")?, r.try_get("person_id")?)))
            .collect()
    }

    /// Closes a batch with its report.
    pub async fn finish_import(
        &self,
        actor: &Actor,
        batch_id: &str,
        report_json: &str,
    ) -> Result<(), StoreError> {
        let sealed = self.keys().seal_str(batch_id, "report", report_json);
        let (id, actor) = (batch_id.to_string(), actor.username.clone());
        self.write(move |conn| {
            Box::pin(async move {
                let site: String = sqlx::query("UPDATE import_batches SET status = 'complete', report = $1 WHERE id = $2 RETURNING site_id")
                    .bind(sealed)
                    .bind(&id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(StoreError::NotFound)?
                    .try_get("site_id")?;
                append(conn, &actor, &site, AuditAction::ImportFinish, &id).await?;
                Ok(())
            })
        })
        .await
    }

    /// Batches at the sites the filter allows, newest first.
    pub async fn import_batches(
        &self,
        filter: &SiteFilter,
    ) -> Result<Vec<ImportBatch>, StoreError> {
        let (clause, params) = site_clause(filter, 1);
        let sql = format!(
            "SELECT id, site_id, source, file_name, file_hash, created_by, created_at, status, report \
             FROM import_batches WHERE {clause} ORDER BY created_at DESC"
        );
        let mut q = sqlx::query(&sql);
        for p in params {
            q = q.bind(p);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let report: Option<Vec<u8>> = r.try_get("report")?;
                Ok(ImportBatch {
                    report: report
                        .map(|b| self.keys().open_str(&id, "report", &b))
                        .transpose()?,
                    site_id: r.try_get("site_id")?,
                    source: r.try_get("source")?,
                    file_name: r.try_get("file_name")?,
                    file_hash: r.try_get("file_hash")?,
                    created_by: r.try_get("created_by")?,
                    created_at: r.try_get("created_at")?,
                    status: term_at(r, "status")?,
                    id,
                })
            })
            .collect()
    }
}

/// What reverting a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RevertReport {
    /// People the batch had registered, now removed.
    pub removed: usize,
    /// Their ids (for the caller's in-memory indexes; not reported).
    #[serde(skip)]
    pub removed_ids: Vec<String>,
    /// Links to people who were already registered, now forgotten.
    pub unlinked: usize,
    /// People kept because work was done on them since (id, reason).
    pub kept: Vec<(String, String)>,
}

impl Store {
    /// Records an imported row that matched a person already registered. When the row's arrival
    /// comes after the person had gone home, it is a new arrival: an encounter is added and the
    /// person flagged for possible re-trafficking (returns true then).
    pub async fn record_import_match(
        &self,
        actor: &Actor,
        site_id: &str,
        row: ImportRowRef,
        person_id: &str,
        encounter: EncounterDetails,
    ) -> Result<bool, StoreError> {
        let arrival = matched_arrival(
            self.keys(),
            &actor.username,
            site_id,
            &row,
            person_id,
            &encounter,
        );
        let (actor, site, pid) = (
            actor.username.clone(),
            site_id.to_string(),
            person_id.to_string(),
        );
        self.write(move |conn| {
            Box::pin(async move { record_match_in(conn, &actor, &site, &row, &pid, arrival).await })
        })
        .await
    }

    /// Writes a chunk of an import in one transaction: new people (with their import rows and
    /// review pairs) through multi-row inserts, matches as [`Store::record_import_match`]. A
    /// chunk of hundreds of rows costs about what a handful of single registrations do. Rows
    /// must not refer to people registered in the same call. Results are in the order given.
    pub async fn write_import_rows(
        &self,
        actor: &Actor,
        site: &Site,
        writes: Vec<ImportWrite>,
    ) -> Result<Vec<ImportWritten>, StoreError> {
        // Sealing happens here, before the writer, which runs one job at a time.
        let (keys, now, by) = (self.keys(), now_ms(), &actor.username);
        let (mut people, mut arrivals, mut records) = (Vec::new(), Vec::new(), Vec::new());
        let (mut rows, mut reviews) = (Vec::new(), Vec::new());
        // (actor, action, subject): the audit events, in order.
        let mut events: Vec<(String, AuditAction, String)> = Vec::new();
        let mut matches = Vec::new();
        let mut order = Vec::with_capacity(writes.len());
        for w in writes {
            match w {
                ImportWrite::Register {
                    details,
                    encounter,
                    row,
                } => {
                    let year = encounter.arrived_on.year();
                    let person = NewPerson::new(keys, &site.id, &details, year, by, now);
                    let id = person.id.clone();
                    let mut arrival = NewEncounter::new(keys, &id, &site.id, &encounter, by);
                    arrival.batch_id = Some(row.batch_id.clone());
                    people.push(person);
                    arrivals.push(arrival);
                    events.push((by.clone(), AuditAction::PersonCreate, id.clone()));
                    // A new person: no pair with them is known yet.
                    for r in &row.review {
                        let (rid, review) = review_row(
                            &site.id,
                            &r.person_id,
                            &id,
                            r.probability,
                            &r.reasons_json,
                            ReviewOrigin::Import,
                        );
                        reviews.push(review);
                        events.push(("system".into(), AuditAction::ReviewQueue, rid));
                    }
                    rows.push(import_row(&site.id, &row, &id, ImportOutcome::Created));
                    order.push(Ok(records.len()));
                    records.push(PersonRecord {
                        id,
                        site_id: site.id.clone(),
                        case_number: String::new(),
                        version: 1,
                        details,
                        created_at: now,
                        updated_at: now,
                        merged_into: None,
                    });
                }
                ImportWrite::Match {
                    person_id,
                    encounter,
                    row,
                } => {
                    let arrival = matched_arrival(keys, by, &site.id, &row, &person_id, &encounter);
                    order.push(Err(matches.len()));
                    matches.push((row, person_id, arrival));
                }
            }
        }
        let (actor, site) = (actor.username.clone(), site.clone());
        self.write(move |conn| {
            Box::pin(async move {
                let cases = set_cases(conn, &site, &mut people).await?;
                insert_people(conn, people).await?;
                insert_encounters(conn, arrivals).await?;
                insert_import_rows(conn, rows).await?;
                bulk_insert(conn, "match_reviews", REVIEW_COLS, reviews).await?;
                append_many(conn, &site.id, &events).await?;
                let mut flagged = Vec::with_capacity(matches.len());
                for (row, pid, arrival) in matches {
                    flagged
                        .push(record_match_in(conn, &actor, &site.id, &row, &pid, arrival).await?);
                }
                for (r, case) in records.iter_mut().zip(cases) {
                    r.case_number = case;
                }
                let mut records: Vec<Option<PersonRecord>> =
                    records.into_iter().map(Some).collect();
                Ok(order
                    .into_iter()
                    .map(|o| match o {
                        Ok(k) => ImportWritten::Registered(Box::new(
                            records[k].take().expect("each record once"),
                        )),
                        Err(k) => ImportWritten::Matched {
                            flagged: flagged[k],
                        },
                    })
                    .collect())
            })
        })
        .await
    }

    /// Reverts an import batch: removes the people it registered (unless work was done on them
    /// since: edits, screenings, other arrivals, merges, reviews decided), forgets its links to
    /// people already registered, and marks the batch reverted. Audited.
    ///
    /// People are removed [`REVERT_CHUNK`] at a time, one transaction each, so that reverting a
    /// list of 100,000 does not hold the writer (and every desk waiting on it) for minutes.
    /// Each person goes whole or not at all; a revert interrupted part-way leaves the batch
    /// "done" with fewer people, and running it again completes it.
    pub async fn revert_import(
        &self,
        actor: &Actor,
        filter: &SiteFilter,
        batch_id: &str,
    ) -> Result<RevertReport, StoreError> {
        self.revert_import_in_chunks(actor, filter, batch_id, REVERT_CHUNK)
            .await
    }

    /// [`Store::revert_import`] with `chunk` people per transaction (tests use small chunks).
    #[doc(hidden)]
    pub async fn revert_import_in_chunks(
        &self,
        actor: &Actor,
        filter: &SiteFilter,
        batch_id: &str,
        chunk: usize,
    ) -> Result<RevertReport, StoreError> {
        let chunk = i64::try_from(chunk.max(1)).unwrap_or(i64::MAX);
        let mut report = RevertReport::default();
        // People in ascending id order; each chunk starts after the last one done.
        let mut after = String::new();
        loop {
            let (actor, filter, batch, from) = (
                actor.username.clone(),
                filter.clone(),
                batch_id.to_string(),
                after.clone(),
            );
            let (part, last) = self
                .write(move |conn| {
                    Box::pin(async move {
                        let site = revertible(conn, &filter, &batch).await?;
                        let people: Vec<String> = sqlx::query(
                            "SELECT DISTINCT person_id FROM import_rows \
                             WHERE batch_id = $1 AND person_id > $2 ORDER BY person_id LIMIT $3",
                        )
                        .bind(&batch)
                        .bind(&from)
                        .bind(chunk)
                        .fetch_all(&mut *conn)
                        .await?
                        .iter()
                        .map(|r| r.try_get("person_id"))
                        .collect::<Result<_, _>>()?;
                        let mut part = RevertReport::default();
                        for pid in &people {
                            revert_person(conn, &actor, &site, &batch, pid, &mut part).await?;
                        }
                        Ok((part, people.last().cloned()))
                    })
                })
                .await?;
            report.removed += part.removed;
            report.removed_ids.extend(part.removed_ids);
            report.unlinked += part.unlinked;
            report.kept.extend(part.kept);
            match last {
                Some(l) => after = l,
                None => break,
            }
        }
        let (actor, filter, batch) = (actor.username.clone(), filter.clone(), batch_id.to_string());
        self.write(move |conn| {
            Box::pin(async move {
                let site = revertible(conn, &filter, &batch).await?;
                sqlx::query("DELETE FROM encounters WHERE batch_id = $1")
                    .bind(&batch)
                    .execute(&mut *conn)
                    .await?;
                // Kept people stay linked to the batch's rows, so re-importing the list does not
                // register them again.
                sqlx::query("DELETE FROM import_rows WHERE batch_id = $1 AND outcome = 'matched'")
                    .bind(&batch)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("UPDATE import_batches SET status = 'reverted' WHERE id = $1")
                    .bind(&batch)
                    .execute(&mut *conn)
                    .await?;
                append(conn, &actor, &site, AuditAction::ImportRevert, &batch).await?;
                Ok(())
            })
        })
        .await?;
        Ok(report)
    }
}

/// Why a person registered by an import must not be removed with it, if they must not.
/// People removed per transaction by [`Store::revert_import`].
const REVERT_CHUNK: usize = 2_000;

/// The site of a batch that the filter allows and and that is not reverted yet.
async fn revertible(
    conn: &mut AnyConnection,
    filter: &SiteFilter,
    batch: &str,
) -> Result<String, StoreError> {
    let row = sqlx::query("SELECT site_id, status FROM import_batches WHERE id = $1")
        .bind(batch)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let site: String = row.try_get("site_id")?;
    let status: ImportStatus = term_at(&row, "status")?;
    if !filter.allows(&site) {
        return Err(StoreError::NotFound);
    }
    if status == ImportStatus::Reverted {
        return Err(StoreError::Conflict(
            "this import has already been reverted".into(),
        ));
    }
    Ok(site)
}

/// Reverts what batch `batch` did to person `pid`: a row that matched them is a link to forget
/// (at the end, with the batch's encounters); a person the batch registered is removed with
/// everything written for them, unless work was done on them since.
async fn revert_person(
    conn: &mut AnyConnection,
    actor: &str,
    site: &str,
    batch: &str,
    pid: &str,
    report: &mut RevertReport,
) -> Result<(), StoreError> {
    // By person only: a person has a handful of rows, a batch a hundred thousand, and without
    // statistics SQLite may pick the batch's index for `batch_id = … AND person_id = …`.
    let mut outcomes: Vec<ImportOutcome> = Vec::new();
    for r in sqlx::query("SELECT batch_id, outcome FROM import_rows WHERE person_id = $1")
        .bind(pid)
        .fetch_all(&mut *conn)
        .await?
    {
        let b: String = r.try_get("batch_id")?;
        if b == batch {
            outcomes.push(term_at(&r, "outcome")?);
        }
    }
    let matched = outcomes
        .iter()
        .filter(|o| **o == ImportOutcome::Matched)
        .count();
    report.unlinked += matched;
    if matched == outcomes.len() {
        return Ok(());
    }
    if let Some(reason) = kept_because(conn, pid, batch).await? {
        report.kept.push((pid.to_string(), reason));
        return Ok(());
    }
    for sql in [
        "DELETE FROM import_rows WHERE person_id = $1",
        "DELETE FROM match_reviews WHERE left_id = $1 OR right_id = $2",
        "DELETE FROM person_flags WHERE person_id = $1",
        "DELETE FROM milestones WHERE person_id = $1",
        "DELETE FROM person_lookup WHERE person_id = $1",
        "DELETE FROM person_history WHERE person_id = $1",
        "DELETE FROM encounters WHERE person_id = $1",
        "DELETE FROM people WHERE id = $1",
    ] {
        let mut q = sqlx::query(sql).bind(pid);
        if sql.contains("$2") {
            q = q.bind(pid);
        }
        q.execute(&mut *conn).await?;
    }
    record_change(conn, ChangeKind::Person, &[pid.to_string()]).await?;
    append(conn, actor, site, AuditAction::PersonDelete, pid).await?;
    report.removed += 1;
    report.removed_ids.push(pid.to_string());
    Ok(())
}

async fn kept_because(
    conn: &mut AnyConnection,
    pid: &str,
    batch: &str,
) -> Result<Option<String>, StoreError> {
    let checks: [(&str, &str); 6] = [
        ("SELECT COUNT(*) AS n FROM people WHERE id = $1 AND version > 1", "edited since"),
        ("SELECT COUNT(*) AS n FROM screenings WHERE person_id = $1", "screened"),
        ("SELECT COUNT(*) AS n FROM people WHERE id = $1 AND merged_into IS NOT NULL", "merged"),
        ("SELECT COUNT(*) AS n FROM people WHERE merged_into = $1", "other records merged into it"),
        ("SELECT COUNT(*) AS n FROM milestones WHERE person_id = $1", "milestones recorded"),
        ("SELECT COUNT(*) AS n FROM match_reviews WHERE (left_id = $1 OR right_id = $2) AND status IN ('confirmed', 'rejected')", "a review was decided"),
    ];
    for (sql, why) in checks {
        let mut q = sqlx::query(sql).bind(pid);
        if sql.contains("$2") {
            q = q.bind(pid);
        }
        let n: i64 = q.fetch_one(&mut *conn).await?.try_get("n")?;
        if n > 0 {
            return Ok(Some(why.to_string()));
        }
    }
    let other: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM encounters WHERE person_id = $1 AND (batch_id IS NULL OR batch_id <> $2)",
    )
    .bind(pid)
    .bind(batch)
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    // The first encounter was written with the batch id; any other is a later arrival.
    if other > 0 {
        return Ok(Some("arrived again".into()));
    }
    Ok(None)
}
