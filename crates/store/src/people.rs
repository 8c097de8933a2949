//! People, their encounters and the history of every change. Personal fields are sealed with
//! the record id and field name as associated data; NIK, passport and phones also get blind
//! index digests for exact look-ups.
use pulang_domain::{
    ArrivalRoute, AuditAction, ChangeKind, EncounterDetails, ImportOutcome, LookupKind,
    PersonDetails, PersonFlag,
};
use serde::Serialize;
use sqlx::Row;

use crate::audit::append;
use crate::changes::record as record_change;
use crate::crypto::open_listed;
use crate::encounter::{insert_encounter, insert_encounters, insert_flag, NewEncounter};
use crate::import_rows::{record_row, ImportRowRef};
use crate::person_rows::{
    changes, encode_details, insert_people, open_person, replace_lookups, set_cases, write_history,
    NewPerson, DETAIL_COLS, PERSON_COLS,
};
pub use crate::person_rows::{FieldChange, PersonRecord};
use crate::sql::{bind_values, site_clause};
use crate::{now_ms, Actor, Site, SiteFilter, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Encounter {
    pub id: String,
    pub site_id: String,
    pub arrived_on: String,
    pub arrival_route: String,
    pub notes: Option<String>,
    /// The notes are stored but do not open: moved from another person's record or tampered
    /// with (`notes` is then `None`; the event is logged).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub notes_unreadable: bool,
    pub created_at: i64,
    pub created_by: String,
    pub group_id: Option<String>,
    /// The queue number on the arrival slip (per site and day).
    pub ticket: Option<i64>,
    /// The person record the encounter was registered under (differs from the person read when
    /// a merged record's encounters are shown with the survivor's).
    pub person_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub version: i64,
    pub actor: String,
    pub at: i64,
    pub changes: Vec<FieldChange>,
    /// The changes are stored but do not open: moved from another person's record or tampered
    /// with (`changes` is then empty; the event is logged).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unreadable: bool,
}

/// What the in-memory search index needs of each person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonSummary {
    pub id: String,
    pub site_id: String,
    pub case_number: String,
    pub details: PersonDetails,
    pub created_at: i64,
    pub merged_into: Option<String>,
}

/// Counts without personal data, for analysts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub by_site: Vec<(String, i64)>,
    pub by_sex: Vec<(String, i64)>,
    pub by_route: Vec<(String, i64)>,
    pub by_province: Vec<(String, i64)>,
    /// Signed screenings by outcome (a corrected screening counts once per signed version).
    pub by_screening_outcome: Vec<(String, i64)>,
}

/// People not merged into another record, for counting.
const LIVE_PEOPLE: &str = "(SELECT * FROM people WHERE merged_into IS NULL) live";

/// What the arrival desk or an import adds to a registration.
#[derive(Debug, Clone, Default)]
pub struct Intake {
    pub from_import: Option<ImportRowRef>,
    pub group_id: Option<String>,
    /// Allocate the next queue ticket of the site for the arrival day.
    pub ticket: bool,
    /// Triage flags set at the desk.
    pub flags: Vec<PersonFlag>,
}

#[derive(Debug, Clone)]
pub struct Registered {
    pub record: PersonRecord,
    pub ticket: Option<i64>,
}

impl Store {
    /// Registers a person with their first arrival: allocates the site's next case number,
    /// seals the personal fields, writes look-ups, history and the audit event atomically.
    pub async fn register_person(
        &self,
        actor: &Actor,
        site: &Site,
        details: PersonDetails,
        encounter: EncounterDetails,
    ) -> Result<PersonRecord, StoreError> {
        self.register_person_from(actor, site, details, encounter, None)
            .await
    }

    /// As [`Store::register_person`]; with `from_import`, the import row is recorded in the
    /// same transaction, so a row is either registered and recorded, or neither.
    pub async fn register_person_from(
        &self,
        actor: &Actor,
        site: &Site,
        details: PersonDetails,
        encounter: EncounterDetails,
        from_import: Option<ImportRowRef>,
    ) -> Result<PersonRecord, StoreError> {
        let intake = Intake {
            from_import,
            ..Intake::default()
        };
        Ok(self
            .register_person_with(actor, site, details, encounter, intake)
            .await?
            .record)
    }

    /// Registers a person with their first arrival and what the arrival desk adds: the arrival
    /// group, a queue ticket, triage flags, the import row. All in one transaction.
    pub async fn register_person_with(
        &self,
        actor: &Actor,
        site: &Site,
        details: PersonDetails,
        encounter: EncounterDetails,
        intake: Intake,
    ) -> Result<Registered, StoreError> {
        let Intake {
            from_import,
            group_id,
            ticket,
            flags,
        } = intake;
        let (keys, now) = (self.keys(), now_ms());
        let year = encounter.arrived_on.year();
        let person = NewPerson::new(keys, &site.id, &details, year, &actor.username, now);
        let id = person.id.clone();
        let mut arrival = NewEncounter::new(keys, &id, &site.id, &encounter, &actor.username);
        arrival.group_id = group_id;
        arrival.batch_id = from_import.as_ref().map(|r| r.batch_id.clone());
        let (by, at, pid) = (actor.username.clone(), site.clone(), id.clone());
        let create = AuditAction::PersonCreate;
        self.write_audited(&actor.username, &site.id, create, &id, move |conn| {
            Box::pin(async move {
                let mut people = [person];
                let case_number = set_cases(conn, &at, &mut people).await?.remove(0);
                insert_people(conn, people.into()).await?;
                let ticket = insert_encounter(conn, arrival, ticket).await?;
                if let Some(row) = &from_import {
                    record_row(conn, &at.id, row, &pid, ImportOutcome::Created).await?;
                }
                for f in &flags {
                    insert_flag(conn, &pid, *f, &by).await?;
                }
                Ok(Registered {
                    record: PersonRecord {
                        id: pid,
                        site_id: at.id,
                        case_number,
                        version: 1,
                        details,
                        created_at: now,
                        updated_at: now,
                        merged_into: None,
                    },
                    ticket,
                })
            })
        })
        .await
    }

    async fn fetch_person(&self, id: &str) -> Result<Option<PersonRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {PERSON_COLS} FROM people WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| open_person(self.keys(), &r)).transpose()
    }

    /// Reads a person the caller may see, recording the read in the audit log first; a person
    /// on another site is reported as not found (and the attempt is audited).
    pub async fn read_person(
        &self,
        actor: &Actor,
        filter: &SiteFilter,
        id: &str,
        action: AuditAction,
    ) -> Result<PersonRecord, StoreError> {
        let person = self.fetch_person(id).await?;
        match person {
            Some(p) if filter.allows(&p.site_id) => {
                self.audit(&actor.username, &p.site_id, action, &p.id)
                    .await?;
                Ok(p)
            }
            Some(p) => {
                self.audit(
                    &actor.username,
                    &p.site_id,
                    AuditAction::PersonReadDenied,
                    &p.id,
                )
                .await?;
                Err(StoreError::NotFound)
            }
            None => Err(StoreError::NotFound),
        }
    }

    /// The arrivals of a person the filter allows and of the records merged into them, oldest
    /// first; `NotFound` for another site's person.
    pub async fn encounters(
        &self,
        filter: &SiteFilter,
        person_id: &str,
    ) -> Result<Vec<Encounter>, StoreError> {
        self.allowed_person(filter, person_id).await?;
        let rows = sqlx::query(
            "SELECT id, site_id, arrived_on, arrival_route, notes, created_at, created_by, group_id, ticket, person_id FROM encounters \
             WHERE person_id = $1 OR person_id IN (SELECT id FROM people WHERE merged_into = $2) ORDER BY arrived_on, created_at",
        )
        .bind(person_id)
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let owner: String = r.try_get("person_id")?;
                let sealed: Option<Vec<u8>> = r.try_get("notes")?;
                let notes = sealed
                    .as_ref()
                    .map(|n| open_listed(self.keys(), &owner, &id, "notes", n));
                Ok(Encounter {
                    notes_unreadable: notes.as_ref().is_some_and(Option::is_none),
                    notes: notes.flatten(),
                    id,
                    site_id: r.try_get("site_id")?,
                    arrived_on: r.try_get("arrived_on")?,
                    arrival_route: r.try_get("arrival_route")?,
                    created_at: r.try_get("created_at")?,
                    created_by: r.try_get("created_by")?,
                    group_id: r.try_get("group_id")?,
                    ticket: r.try_get("ticket")?,
                    person_id: owner,
                })
            })
            .collect()
    }

    /// The changes to a person the filter allows, newest first; `NotFound` for another site's
    /// person.
    pub async fn history(
        &self,
        filter: &SiteFilter,
        person_id: &str,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        self.allowed_person(filter, person_id).await?;
        let rows = sqlx::query("SELECT id, version, actor, at, changes FROM person_history WHERE person_id = $1 ORDER BY version DESC")
            .bind(person_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let hid: String = r.try_get("id")?;
                let sealed: Vec<u8> = r.try_get("changes")?;
                let opened = open_listed(self.keys(), person_id, &hid, "changes", &sealed);
                let changes = match &opened {
                    Some(json) => serde_json::from_str(json)
                        .map_err(|_| StoreError::Corrupt("person field history".into()))?,
                    None => Vec::new(),
                };
                Ok(HistoryEntry {
                    unreadable: opened.is_none(),
                    version: r.try_get("version")?,
                    actor: r.try_get("actor")?,
                    at: r.try_get("at")?,
                    changes,
                })
            })
            .collect()
    }

    /// Replaces a person's details. `expected_version` guards against lost updates.
    pub async fn update_person(
        &self,
        actor: &Actor,
        filter: &SiteFilter,
        id: &str,
        expected_version: Option<i64>,
        details: PersonDetails,
    ) -> Result<PersonRecord, StoreError> {
        let keys = self.keys().clone();
        let encoded = encode_details(&keys, id, &details);
        let (actor, filter, id) = (actor.clone(), filter.clone(), id.to_string());
        self.write(move |conn| {
            Box::pin(async move {
                let row = sqlx::query(&format!("SELECT {PERSON_COLS} FROM people WHERE id = $1"))
                    .bind(&id)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let old = open_person(&keys, &row)?;
                if !filter.allows(&old.site_id) {
                    return Err(StoreError::NotFound);
                }
                if let Some(v) = expected_version {
                    if v != old.version {
                        return Err(StoreError::VersionConflict {
                            expected: v,
                            found: old.version,
                        });
                    }
                }
                let diff = changes(&old.details, &details);
                if diff.is_empty() {
                    return Ok(old);
                }
                let version = old.version + 1;
                let now = now_ms();
                let set: Vec<String> = DETAIL_COLS
                    .iter()
                    .enumerate()
                    .map(|(i, col)| format!("{col} = ${}", i + 3))
                    .collect();
                // The version read above is the condition of the write, in SQL: a writer that
                // changed the record in between (another server process) leaves 0 rows here.
                let sql = format!(
                    "UPDATE people SET version = $1, updated_at = $2, {} WHERE id = ${} AND version = ${}",
                    set.join(", "),
                    DETAIL_COLS.len() + 3,
                    DETAIL_COLS.len() + 4
                );
                let updated = bind_values(sqlx::query(&sql).bind(version).bind(now), encoded.values)
                    .bind(&id)
                    .bind(old.version)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                if updated == 0 {
                    return Err(StoreError::VersionConflict {
                        expected: expected_version.unwrap_or(old.version),
                        found: current_version(conn, &id).await?,
                    });
                }
                replace_lookups(conn, &id, &encoded.digests).await?;
                record_change(conn, ChangeKind::Person, std::slice::from_ref(&id)).await?;
                write_history(conn, &keys, &id, version, &actor.username, now, &diff).await?;
                append(
                    conn,
                    &actor.username,
                    &old.site_id,
                    AuditAction::PersonUpdate,
                    &id,
                )
                .await?;
                Ok(PersonRecord {
                    version,
                    details,
                    updated_at: now,
                    ..old
                })
            })
        })
        .await
    }

    /// People whose NIK, passport or phone digest equals `digest`, within the filter.
    pub async fn lookup(
        &self,
        filter: &SiteFilter,
        kind: LookupKind,
        normalised: &str,
    ) -> Result<Vec<String>, StoreError> {
        let digest = self.keys().blind_index(kind, normalised);
        let (clause, params) = site_clause(filter, 2);
        // `clause` names `site_id` unqualified (only `people` has that column): prefixing it with
        // `p.` broke SiteFilter::All ("p.1=1") and Only([]).
        let sql = format!(
            "SELECT DISTINCT l.person_id AS person_id FROM person_lookup l JOIN people p ON p.id = l.person_id \
             WHERE l.digest = $1 AND {clause}"
        );
        let mut q = sqlx::query(&sql).bind(digest);
        for p in params {
            q = q.bind(p);
        }
        let rows = q.fetch_all(self.pool()).await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("person_id"))
            .collect::<Result<_, _>>()?)
    }

    /// Every person within the filter, decrypted, for the in-memory search and matching
    /// indexes (built at start-up with [`SiteFilter::All`]). Never written to disk. A record
    /// that cannot be read is left out and named among the damaged, so that one damaged row
    /// does not stop the register.
    pub async fn person_summaries(&self, filter: &SiteFilter) -> Result<Summaries, StoreError> {
        let (clause, params) = site_clause(filter, 1);
        let sql = format!("SELECT {PERSON_COLS} FROM people WHERE {clause}");
        let mut q = sqlx::query(&sql);
        for p in params {
            q = q.bind(p);
        }
        let rows = q.fetch_all(self.pool()).await?;
        let mut out = Summaries::default();
        for r in &rows {
            out.add(self.keys(), r)?;
        }
        Ok(out)
    }

    /// The people among `ids` that exist and the filter allows, decrypted, for bringing the
    /// in-memory indexes up to date with the change feed; an id missing from the answer names
    /// a person no longer there (a reverted import).
    pub async fn person_summaries_of(
        &self,
        filter: &SiteFilter,
        ids: &[String],
    ) -> Result<Summaries, StoreError> {
        let mut out = Summaries::default();
        for part in ids.chunks(200) {
            let (clause, params) = site_clause(filter, part.len() + 1);
            let marks: Vec<String> = (1..=part.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {PERSON_COLS} FROM people WHERE id IN ({}) AND {clause}",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for id in part {
                q = q.bind(id);
            }
            for p in params {
                q = q.bind(p);
            }
            for r in q.fetch_all(self.pool()).await? {
                out.add(self.keys(), &r)?;
            }
        }
        Ok(out)
    }

    /// People not merged into another record.
    pub async fn person_count(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM people WHERE merged_into IS NULL")
                .fetch_one(self.pool())
                .await?
                .try_get("n")?,
        )
    }

    /// Aggregate counts within the filter; no personal data.
    pub async fn counts(&self, filter: &SiteFilter) -> Result<Counts, StoreError> {
        let (clause, params) = site_clause(filter, 1);
        let group = |col: &'static str, table: &'static str| {
            let sql = format!(
                "SELECT COALESCE({col}, '?') AS value, COUNT(*) AS n FROM {table} WHERE {clause} GROUP BY COALESCE({col}, '?') ORDER BY 2 DESC"
            );
            let params = params.clone();
            async move {
                let mut q = sqlx::query(&sql);
                for p in params {
                    q = q.bind(p);
                }
                let rows = q.fetch_all(self.pool()).await?;
                rows.iter()
                    .map(|r| Ok((r.try_get::<String, _>("value")?, r.try_get::<i64, _>("n")?)))
                    .collect::<Result<Vec<_>, StoreError>>()
            }
        };
        Ok(Counts {
            by_site: group("site_id", LIVE_PEOPLE).await?,
            by_sex: group("sex", LIVE_PEOPLE).await?,
            by_route: group("arrival_route", "encounters").await?,
            by_province: group("origin_province", LIVE_PEOPLE).await?,
            by_screening_outcome: group(
                "outcome",
                "(SELECT outcome, site_id FROM screenings WHERE status = 'signed') signed",
            )
            .await?,
        })
    }
}

impl Store {
    /// Registers many people at once, for benchmarks that need a register of a million: sealed,
    /// with look-ups, first encounter, history and case numbers as [`Store::register_person`]
    /// writes them, but in one transaction with multi-row inserts and **without audit events**.
    /// Never for real data. Returns `(id, case number)` in the order given.
    #[doc(hidden)]
    pub async fn bulk_register_for_bench(
        &self,
        actor: &Actor,
        site: &Site,
        people: Vec<(PersonDetails, EncounterDetails)>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let (keys, now, by) = (self.keys(), now_ms(), &actor.username);
        let (mut rows, mut arrivals) = (Vec::new(), Vec::new());
        for (d, e) in &people {
            let p = NewPerson::new(keys, &site.id, d, e.arrived_on.year(), by, now);
            arrivals.push(NewEncounter::new(keys, &p.id, &site.id, e, by));
            rows.push(p);
        }
        let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
        let site = site.clone();
        let cases = self
            .write(move |conn| {
                Box::pin(async move {
                    let cases = set_cases(conn, &site, &mut rows).await?;
                    insert_people(conn, rows).await?;
                    insert_encounters(conn, arrivals).await?;
                    Ok(cases)
                })
            })
            .await?;
        Ok(ids.into_iter().zip(cases).collect())
    }
}

/// People read for the indexes, and those that could not be read.
#[derive(Debug, Default)]
pub struct Summaries {
    pub people: Vec<PersonSummary>,
    pub damaged: Vec<DamagedRecord>,
}

/// A stored record that cannot be read: a field that does not decrypt under this key with
/// this record's id (tampered with, or damaged on disk). Its id and site only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DamagedRecord {
    pub id: String,
    pub site_id: String,
    /// What could not be read, e.g. "could not decrypt field full_name".
    pub problem: String,
}

impl Summaries {
    fn add(&mut self, keys: &crate::Keyring, r: &sqlx::any::AnyRow) -> Result<(), StoreError> {
        match open_person(keys, r) {
            Ok(p) => self.people.push(summary_of(p)),
            Err(e @ (StoreError::Decrypt(_) | StoreError::Corrupt(_))) => {
                self.damaged.push(DamagedRecord {
                    id: r.try_get("id")?,
                    site_id: r.try_get("site_id")?,
                    problem: match e {
                        StoreError::Decrypt(field) => format!("could not decrypt field {field}"),
                        other => other.to_string(),
                    },
                })
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

fn summary_of(p: PersonRecord) -> PersonSummary {
    PersonSummary {
        id: p.id,
        site_id: p.site_id,
        case_number: p.case_number,
        details: p.details,
        created_at: p.created_at,
        merged_into: p.merged_into,
    }
}

/// A person's version as committed now (for a conflict's message).
async fn current_version(conn: &mut sqlx::AnyConnection, id: &str) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT version FROM people WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(row.try_get("version")?)
}

/// Parses a stored route; unknown values are kept as "other".
pub fn route(s: &str) -> ArrivalRoute {
    ArrivalRoute::parse(s).unwrap_or(ArrivalRoute::Other)
}
