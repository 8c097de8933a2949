//! People, their encounters and the history of every change. Personal fields are sealed with
//! the record id and field name as associated data; NIK, passport and phones also get blind
//! index digests for exact look-ups.
use pulang_domain::{
    ArrivalRoute, AuditAction, BirthDate, EncounterDetails, ImportOutcome, LookupKind,
    PersonDetails, PersonFlag, Sex,
};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::accounts::Site;
use crate::audit::append;
use crate::imports::ImportRowRef;
use crate::sql::{bulk_insert, date_str, site_clause, BulkVal};
use crate::{new_id, now_ms, Actor, Keyring, SiteFilter, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonRecord {
    pub id: String,
    pub site_id: String,
    pub case_number: String,
    pub version: i64,
    pub details: PersonDetails,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set when this record was merged into another (the one to show instead).
    pub merged_into: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Encounter {
    pub id: String,
    pub site_id: String,
    pub arrived_on: String,
    pub arrival_route: String,
    pub notes: Option<String>,
    pub created_at: i64,
    pub created_by: String,
    pub group_id: Option<String>,
    /// The queue number on the arrival slip (per site and day).
    pub ticket: Option<i64>,
    /// The person record the encounter was registered under (differs from the person read when
    /// a merged record's encounters are shown with the survivor's).
    pub person_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub version: i64,
    pub actor: String,
    pub at: i64,
    pub changes: Vec<FieldChange>,
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

/// The personal fields as sealed columns.
struct Sealed {
    full_name: Vec<u8>,
    aliases: Vec<u8>,
    birth_date: Option<Vec<u8>>,
    nik: Option<Vec<u8>>,
    passport_no: Option<Vec<u8>>,
    phones: Vec<u8>,
    digests: Vec<String>,
}

pub(crate) fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain data serialises")
}

fn seal(keys: &Keyring, id: &str, d: &PersonDetails) -> Sealed {
    let mut digests = Vec::new();
    if let Some(n) = &d.nik {
        digests.push(keys.blind_index(LookupKind::Nik, n));
    }
    if let Some(p) = &d.passport_no {
        digests.push(keys.blind_index(LookupKind::Passport, p));
    }
    for p in &d.phones {
        digests.push(keys.blind_index(LookupKind::Phone, p));
    }
    Sealed {
        full_name: keys.seal_str(id, "full_name", &d.full_name),
        aliases: keys.seal_str(id, "aliases", &json(&d.aliases)),
        birth_date: d
            .birth_date
            .map(|b| keys.seal_str(id, "birth_date", &b.to_string())),
        nik: d.nik.as_ref().map(|v| keys.seal_str(id, "nik", v)),
        passport_no: d
            .passport_no
            .as_ref()
            .map(|v| keys.seal_str(id, "passport_no", v)),
        phones: keys.seal_str(id, "phones", &json(&d.phones)),
        digests,
    }
}

const PERSON_COLS: &str = "id, site_id, case_number, version, sex, age, nationality, origin_province, \
     origin_regency, languages, full_name, aliases, birth_date, nik, passport_no, phones, created_at, updated_at, merged_into";

const INSERT_COLS: &str = "id, site_id, case_number, version, sex, age, nationality, origin_province, \
     origin_regency, languages, full_name, aliases, birth_date, nik, passport_no, phones, created_at, updated_at";

fn corrupt(field: &str) -> StoreError {
    StoreError::Corrupt(format!("person field {field}"))
}

fn open_person(keys: &Keyring, r: &AnyRow) -> Result<PersonRecord, StoreError> {
    let id: String = r.try_get(0)?;
    let sex: Option<String> = r.try_get(4)?;
    let age: Option<i64> = r.try_get(5)?;
    let languages: String = r.try_get(9)?;
    let opt = |i: usize, field: &str| -> Result<Option<String>, StoreError> {
        let v: Option<Vec<u8>> = r.try_get(i)?;
        v.map(|b| keys.open_str(&id, field, &b)).transpose()
    };
    let full_name = keys.open_str(&id, "full_name", &r.try_get::<Vec<u8>, _>(10)?)?;
    let aliases: Vec<String> =
        serde_json::from_str(&keys.open_str(&id, "aliases", &r.try_get::<Vec<u8>, _>(11)?)?)
            .map_err(|_| corrupt("aliases"))?;
    let birth_date = opt(12, "birth_date")?
        .map(|s| BirthDate::parse(&s).ok_or_else(|| corrupt("birth_date")))
        .transpose()?;
    let phones: Vec<String> =
        serde_json::from_str(&keys.open_str(&id, "phones", &r.try_get::<Vec<u8>, _>(15)?)?)
            .map_err(|_| corrupt("phones"))?;
    Ok(PersonRecord {
        site_id: r.try_get(1)?,
        case_number: r.try_get(2)?,
        version: r.try_get(3)?,
        details: PersonDetails {
            full_name,
            aliases,
            sex: sex.as_deref().and_then(Sex::parse),
            birth_date,
            age: age.map(|a| a.clamp(0, 255) as u8),
            nationality: r.try_get(6)?,
            nik: opt(13, "nik")?,
            passport_no: opt(14, "passport_no")?,
            phones,
            origin_province: r.try_get(7)?,
            origin_regency: r.try_get(8)?,
            languages: serde_json::from_str(&languages).map_err(|_| corrupt("languages"))?,
        },
        created_at: r.try_get(16)?,
        updated_at: r.try_get(17)?,
        merged_into: r.try_get(18)?,
        id,
    })
}

fn changes(before: &PersonDetails, after: &PersonDetails) -> Vec<FieldChange> {
    fn s<T: Serialize>(v: &T) -> Option<String> {
        match serde_json::to_value(v).ok()? {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Array(a) if a.is_empty() => None,
            serde_json::Value::Array(a) => Some(
                a.iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            other => Some(other.to_string()),
        }
    }
    let b = serde_json::to_value(before).expect("plain data");
    let a = serde_json::to_value(after).expect("plain data");
    let (Some(b), Some(a)) = (b.as_object(), a.as_object()) else {
        return Vec::new();
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| FieldChange {
            field: k.clone(),
            before: b.get(k).and_then(s),
            after: s(v),
        })
        .collect()
}

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

pub(crate) struct NewEncounter<'a> {
    pub id: &'a str,
    pub person_id: &'a str,
    pub site_id: &'a str,
    pub encounter: &'a EncounterDetails,
    pub notes: Option<Vec<u8>>,
    pub actor: &'a str,
    pub group_id: Option<&'a str>,
    pub ticket: bool,
    pub batch_id: Option<&'a str>,
}

/// Inserts an encounter, allocating a queue ticket when asked; returns the ticket.
pub(crate) async fn insert_encounter(
    conn: &mut AnyConnection,
    e: NewEncounter<'_>,
) -> Result<Option<i64>, StoreError> {
    let day = date_str(e.encounter.arrived_on);
    let ticket: Option<i64> = if e.ticket {
        Some(
            sqlx::query(
                "INSERT INTO ticket_counters (site_id, day, last_seq) VALUES ($1, $2, 1) \
                 ON CONFLICT (site_id, day) DO UPDATE SET last_seq = ticket_counters.last_seq + 1 \
                 RETURNING last_seq",
            )
            .bind(e.site_id)
            .bind(&day)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?,
        )
    } else {
        None
    };
    if let Some(g) = e.group_id {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) FROM arrival_groups WHERE id = $1 AND site_id = $2")
                .bind(g)
                .bind(e.site_id)
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
    }
    sqlx::query(
        "INSERT INTO encounters (id, person_id, site_id, arrived_on, arrival_route, notes, created_at, created_by, group_id, ticket, batch_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(e.id)
    .bind(e.person_id)
    .bind(e.site_id)
    .bind(&day)
    .bind(e.encounter.arrival_route.as_str())
    .bind(e.notes)
    .bind(now_ms())
    .bind(e.actor)
    .bind(e.group_id)
    .bind(ticket)
    .bind(e.batch_id)
    .execute(&mut *conn)
    .await?;
    Ok(ticket)
}

async fn write_lookups(
    conn: &mut AnyConnection,
    id: &str,
    digests: &[String],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM person_lookup WHERE person_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for d in digests {
        sqlx::query("INSERT INTO person_lookup (digest, person_id) VALUES ($1, $2)")
            .bind(d)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn write_history(
    conn: &mut AnyConnection,
    keys: &Keyring,
    person_id: &str,
    version: i64,
    actor: &str,
    changes: &[FieldChange],
) -> Result<(), StoreError> {
    let hid = new_id();
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    sqlx::query(
        "INSERT INTO person_history (id, person_id, version, actor, at, fields, changes) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&hid)
    .bind(person_id)
    .bind(version)
    .bind(actor)
    .bind(now_ms())
    .bind(json(&fields))
    .bind(keys.seal_str(&hid, "changes", &json(&changes)))
    .execute(&mut *conn)
    .await?;
    Ok(())
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
            ticket: want_ticket,
            flags,
        } = intake;
        let id = new_id();
        let keys = self.keys().clone();
        let sealed = seal(&keys, &id, &details);
        let notes = encounter.notes.as_ref().map(|n| (new_id(), n.clone()));
        let enc_id = notes
            .as_ref()
            .map(|(i, _)| i.clone())
            .unwrap_or_else(new_id);
        let notes_sealed = notes.as_ref().map(|(i, n)| keys.seal_str(i, "notes", n));
        let year = encounter.arrived_on.year() as i64;
        let (actor, site) = (actor.clone(), site.clone());
        let now = now_ms();
        let initial = changes(&PersonDetails::default(), &details);
        let history_changes: Vec<FieldChange> = initial
            .into_iter()
            .map(|c| FieldChange { before: None, ..c })
            .collect();
        self.write(move |conn| {
            Box::pin(async move {
                let seq: i64 = sqlx::query(
                    "INSERT INTO case_counters (site_id, year, last_seq) VALUES ($1, $2, 1) \
                     ON CONFLICT (site_id, year) DO UPDATE SET last_seq = case_counters.last_seq + 1 \
                     RETURNING last_seq",
                )
                .bind(&site.id)
                .bind(year)
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
                let case_number = format!("{}-{year:04}-{seq:06}", site.code);
                sqlx::query(&format!(
                    "INSERT INTO people ({INSERT_COLS}) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)"
                ))
                .bind(&id)
                .bind(&site.id)
                .bind(&case_number)
                .bind(details.sex.map(|s| s.as_str()))
                .bind(details.age.map(|a| a as i64))
                .bind(&details.nationality)
                .bind(details.origin_province.clone())
                .bind(details.origin_regency.clone())
                .bind(json(&details.languages))
                .bind(sealed.full_name)
                .bind(sealed.aliases)
                .bind(sealed.birth_date)
                .bind(sealed.nik)
                .bind(sealed.passport_no)
                .bind(sealed.phones)
                .bind(now)
                .execute(&mut *conn)
                .await
                .map_err(|e| StoreError::from_db(e, "case number"))?;
                write_lookups(conn, &id, &sealed.digests).await?;
                let ticket = insert_encounter(
                    conn,
                    NewEncounter {
                        id: &enc_id,
                        person_id: &id,
                        site_id: &site.id,
                        encounter: &encounter,
                        notes: notes_sealed,
                        actor: &actor.username,
                        group_id: group_id.as_deref(),
                        ticket: want_ticket,
                        batch_id: from_import.as_ref().map(|r| r.batch_id.as_str()),
                    },
                )
                .await?;
                write_history(conn, &keys, &id, 1, &actor.username, &history_changes).await?;
                if let Some(row) = &from_import {
                    crate::imports::record_row(conn, &site.id, row, &id, ImportOutcome::Created).await?;
                }
                for f in &flags {
                    crate::arrivals::insert_flag(conn, &id, *f, &actor.username).await?;
                }
                append(conn, &actor.username, &site.id, AuditAction::PersonCreate, &id).await?;
                Ok(Registered {
                    record: PersonRecord {
                        id,
                        site_id: site.id.clone(),
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

    pub async fn encounters(&self, person_id: &str) -> Result<Vec<Encounter>, StoreError> {
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
                let id: String = r.try_get(0)?;
                let notes: Option<Vec<u8>> = r.try_get(4)?;
                Ok(Encounter {
                    notes: notes
                        .map(|n| self.keys().open_str(&id, "notes", &n))
                        .transpose()?,
                    id,
                    site_id: r.try_get(1)?,
                    arrived_on: r.try_get(2)?,
                    arrival_route: r.try_get(3)?,
                    created_at: r.try_get(5)?,
                    created_by: r.try_get(6)?,
                    group_id: r.try_get(7)?,
                    ticket: r.try_get(8)?,
                    person_id: r.try_get(9)?,
                })
            })
            .collect()
    }

    pub async fn history(&self, person_id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query("SELECT id, version, actor, at, changes FROM person_history WHERE person_id = $1 ORDER BY version DESC")
            .bind(person_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let hid: String = r.try_get(0)?;
                let sealed: Vec<u8> = r.try_get(4)?;
                let changes =
                    serde_json::from_str(&self.keys().open_str(&hid, "changes", &sealed)?)
                        .map_err(|_| corrupt("history"))?;
                Ok(HistoryEntry {
                    version: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    at: r.try_get(3)?,
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
        let sealed = seal(&keys, id, &details);
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
                        return Err(StoreError::VersionConflict { expected: v, found: old.version });
                    }
                }
                let diff = changes(&old.details, &details);
                if diff.is_empty() {
                    return Ok(old);
                }
                let version = old.version + 1;
                let now = now_ms();
                sqlx::query(
                    "UPDATE people SET version = $1, sex = $2, age = $3, nationality = $4, origin_province = $5, \
                     origin_regency = $6, languages = $7, full_name = $8, aliases = $9, birth_date = $10, nik = $11, \
                     passport_no = $12, phones = $13, updated_at = $14 WHERE id = $15",
                )
                .bind(version)
                .bind(details.sex.map(|s| s.as_str()))
                .bind(details.age.map(|a| a as i64))
                .bind(&details.nationality)
                .bind(details.origin_province.clone())
                .bind(details.origin_regency.clone())
                .bind(json(&details.languages))
                .bind(sealed.full_name)
                .bind(sealed.aliases)
                .bind(sealed.birth_date)
                .bind(sealed.nik)
                .bind(sealed.passport_no)
                .bind(sealed.phones)
                .bind(now)
                .bind(&id)
                .execute(&mut *conn)
                .await?;
                write_lookups(conn, &id, &sealed.digests).await?;
                write_history(conn, &keys, &id, version, &actor.username, &diff).await?;
                append(conn, &actor.username, &old.site_id, AuditAction::PersonUpdate, &id).await?;
                Ok(PersonRecord { version, details, updated_at: now, ..old })
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
            "SELECT DISTINCT l.person_id FROM person_lookup l JOIN people p ON p.id = l.person_id \
             WHERE l.digest = $1 AND {clause}"
        );
        let mut q = sqlx::query(&sql).bind(digest);
        for p in params {
            q = q.bind(p);
        }
        let rows = q.fetch_all(self.pool()).await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?)
    }

    /// Every person, decrypted, for the in-memory search and matching indexes built at
    /// start-up. Never written to disk.
    pub async fn person_summaries(&self) -> Result<Vec<PersonSummary>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {PERSON_COLS} FROM people"))
            .fetch_all(self.pool())
            .await?;
        let keys = self.keys();
        rows.iter()
            .map(|r| {
                let p = open_person(keys, r)?;
                Ok(PersonSummary {
                    id: p.id,
                    site_id: p.site_id,
                    case_number: p.case_number,
                    details: p.details,
                    created_at: p.created_at,
                    merged_into: p.merged_into,
                })
            })
            .collect()
    }

    /// People not merged into another record.
    pub async fn person_count(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM people WHERE merged_into IS NULL")
                .fetch_one(self.pool())
                .await?
                .try_get(0)?,
        )
    }

    /// Aggregate counts within the filter; no personal data.
    pub async fn counts(&self, filter: &SiteFilter) -> Result<Counts, StoreError> {
        let (clause, params) = site_clause(filter, 1);
        let group = |col: &'static str, table: &'static str| {
            let sql = format!(
                "SELECT COALESCE({col}, '?'), COUNT(*) FROM {table} WHERE {clause} GROUP BY COALESCE({col}, '?') ORDER BY 2 DESC"
            );
            let params = params.clone();
            async move {
                let mut q = sqlx::query(&sql);
                for p in params {
                    q = q.bind(p);
                }
                let rows = q.fetch_all(self.pool()).await?;
                rows.iter()
                    .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
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

/// The rows that registering a new person inserts, sealed, for multi-row inserts: what
/// [`Store::register_person_with`] writes for an arrival without ticket, group or flags.
pub(crate) struct NewPersonRows {
    pub year: i64,
    /// `people` in [`INSERT_COLS`] order; the case number (index 2) is set by [`set_cases`].
    pub person: Vec<BulkVal>,
    /// `person_lookup`: digest, person_id.
    pub lookups: Vec<Vec<BulkVal>>,
    /// `encounters`: [`ENCOUNTER_COLS`].
    pub encounter: Vec<BulkVal>,
    /// `person_history`: [`HISTORY_COLS`].
    pub history: Vec<BulkVal>,
}

pub(crate) const ENCOUNTER_COLS: &str =
    "id, person_id, site_id, arrived_on, arrival_route, notes, created_at, created_by, batch_id";
pub(crate) const HISTORY_COLS: &str = "id, person_id, version, actor, at, fields, changes";

#[allow(clippy::too_many_arguments)]
pub(crate) fn new_person_rows(
    keys: &Keyring,
    id: &str,
    site_id: &str,
    d: &PersonDetails,
    e: &EncounterDetails,
    actor: &str,
    now: i64,
    batch_id: Option<&str>,
) -> NewPersonRows {
    use BulkVal::{Blob, Int, Text};
    let s = |v: &str| Text(Some(v.to_string()));
    let sealed = seal(keys, id, d);
    let lookups = sealed.digests.iter().map(|dg| vec![s(dg), s(id)]).collect();
    let person = vec![
        s(id),
        s(site_id),
        Text(None),
        Int(Some(1)),
        Text(d.sex.map(|x| x.as_str().to_string())),
        Int(d.age.map(i64::from)),
        s(&d.nationality),
        Text(d.origin_province.clone()),
        Text(d.origin_regency.clone()),
        Text(Some(json(&d.languages))),
        Blob(Some(sealed.full_name)),
        Blob(Some(sealed.aliases)),
        Blob(sealed.birth_date),
        Blob(sealed.nik),
        Blob(sealed.passport_no),
        Blob(Some(sealed.phones)),
        Int(Some(now)),
        Int(Some(now)),
    ];
    let enc_id = new_id();
    let encounter = vec![
        s(&enc_id),
        s(id),
        s(site_id),
        Text(Some(date_str(e.arrived_on))),
        s(e.arrival_route.as_str()),
        Blob(e.notes.as_ref().map(|n| keys.seal_str(&enc_id, "notes", n))),
        Int(Some(now)),
        s(actor),
        Text(batch_id.map(str::to_string)),
    ];
    let initial: Vec<FieldChange> = changes(&PersonDetails::default(), d)
        .into_iter()
        .map(|c| FieldChange { before: None, ..c })
        .collect();
    let hid = new_id();
    let fields: Vec<&str> = initial.iter().map(|c| c.field.as_str()).collect();
    let history = vec![
        s(&hid),
        s(id),
        Int(Some(1)),
        s(actor),
        Int(Some(now)),
        Text(Some(json(&fields))),
        Blob(Some(keys.seal_str(&hid, "changes", &json(&initial)))),
    ];
    NewPersonRows {
        year: e.arrived_on.year() as i64,
        person,
        lookups,
        encounter,
        history,
    }
}

/// Gives each new person the site's next case number for their arrival year (moving the site's
/// counters past them) and returns the numbers, in order.
pub(crate) async fn set_cases(
    conn: &mut AnyConnection,
    site: &Site,
    people: &mut [NewPersonRows],
) -> Result<Vec<String>, StoreError> {
    let mut by_year: std::collections::BTreeMap<i64, i64> = Default::default();
    for p in people.iter() {
        *by_year.entry(p.year).or_default() += 1;
    }
    let mut next: std::collections::HashMap<i64, i64> = Default::default();
    for (year, n) in by_year {
        let last: i64 = sqlx::query(
            "INSERT INTO case_counters (site_id, year, last_seq) VALUES ($1, $2, $3) \
             ON CONFLICT (site_id, year) DO UPDATE SET last_seq = case_counters.last_seq + $3 \
             RETURNING last_seq",
        )
        .bind(&site.id)
        .bind(year)
        .bind(n)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        next.insert(year, last - n + 1);
    }
    Ok(people
        .iter_mut()
        .map(|p| {
            let seq = next.entry(p.year).or_default();
            let case = format!("{}-{:04}-{:06}", site.code, p.year, *seq);
            *seq += 1;
            p.person[2] = BulkVal::Text(Some(case.clone()));
            case
        })
        .collect())
}

/// Inserts new people's rows (their case numbers set).
pub(crate) async fn insert_people(
    conn: &mut AnyConnection,
    people: Vec<NewPersonRows>,
) -> Result<(), StoreError> {
    let (mut persons, mut lookups, mut encounters, mut history) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for p in people {
        persons.push(p.person);
        lookups.extend(p.lookups);
        encounters.push(p.encounter);
        history.push(p.history);
    }
    bulk_insert(conn, "people", INSERT_COLS, persons)
        .await
        .map_err(|e| match e {
            StoreError::Database(e) => StoreError::from_db(e, "case number"),
            other => other,
        })?;
    bulk_insert(conn, "person_lookup", "digest, person_id", lookups).await?;
    bulk_insert(conn, "encounters", ENCOUNTER_COLS, encounters).await?;
    bulk_insert(conn, "person_history", HISTORY_COLS, history).await?;
    Ok(())
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
        let keys = self.keys().clone();
        let now = now_ms();
        let ids: Vec<String> = people.iter().map(|_| new_id()).collect();
        let mut rows: Vec<NewPersonRows> = people
            .iter()
            .zip(&ids)
            .map(|((d, e), id)| {
                new_person_rows(&keys, id, &site.id, d, e, &actor.username, now, None)
            })
            .collect();
        let site = site.clone();
        let cases = self
            .write(move |conn| {
                Box::pin(async move {
                    let cases = set_cases(conn, &site, &mut rows).await?;
                    insert_people(conn, rows).await?;
                    Ok(cases)
                })
            })
            .await?;
        Ok(ids.into_iter().zip(cases).collect())
    }
}

/// Parses a stored route; unknown values are kept as "other".
pub fn route(s: &str) -> ArrivalRoute {
    ArrivalRoute::parse(s).unwrap_or(ArrivalRoute::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_lists_only_what_changed() {
        let a = PersonDetails {
            full_name: "Siti".into(),
            nationality: "ID".into(),
            ..Default::default()
        };
        let b = PersonDetails {
            full_name: "Siti Rahayu".into(),
            phones: vec!["+6281234567890".into()],
            ..a.clone()
        };
        let c = changes(&a, &b);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].field, "full_name");
        assert_eq!(c[0].before.as_deref(), Some("Siti"));
        assert_eq!(c[1].field, "phones");
        assert_eq!(c[1].before, None);
        assert!(changes(&a, &a).is_empty());
    }
}
