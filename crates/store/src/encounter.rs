//! Arrivals as stored: inserting an encounter (with its queue ticket), a flag, and the
//! re-trafficking check that every new arrival goes through. A leaf: it imports no feature
//! module.
use pulang_domain::{AuditAction, EncounterDetails, PersonFlag};
use sqlx::{AnyConnection, Row};

use crate::audit::append;
use crate::sql::{bulk_insert, date_str, BulkVal};
use crate::{new_id, now_ms, Keyring, StoreError};

const ENCOUNTER_COLS: &str = "id, person_id, site_id, arrived_on, arrival_route, notes, \
     created_at, created_by, group_id, ticket, batch_id";

/// An arrival to insert, its notes sealed (before the writer, which runs one job at a time).
pub(crate) struct NewEncounter {
    pub id: String,
    pub person_id: String,
    pub site_id: String,
    pub arrived_on: time::Date,
    pub route: pulang_domain::ArrivalRoute,
    pub notes: Option<Vec<u8>>,
    pub actor: String,
    pub group_id: Option<String>,
    pub batch_id: Option<String>,
}

impl NewEncounter {
    /// The arrival `e` of `person_id` at `site_id`, recorded by `actor`, its notes sealed.
    pub fn new(
        keys: &Keyring,
        person_id: &str,
        site_id: &str,
        e: &EncounterDetails,
        actor: &str,
    ) -> NewEncounter {
        let id = new_id();
        NewEncounter {
            notes: e
                .notes
                .as_deref()
                .map(|n| keys.seal_owned(person_id, &id, "notes", n)),
            id,
            person_id: person_id.to_string(),
            site_id: site_id.to_string(),
            arrived_on: e.arrived_on,
            route: e.arrival_route,
            actor: actor.to_string(),
            group_id: None,
            batch_id: None,
        }
    }

    /// The row, in [`ENCOUNTER_COLS`] order.
    fn row(self, ticket: Option<i64>) -> Vec<BulkVal> {
        use BulkVal::{Blob, Int, Text};
        vec![
            Text(Some(self.id)),
            Text(Some(self.person_id)),
            Text(Some(self.site_id)),
            Text(Some(date_str(self.arrived_on))),
            Text(Some(self.route.as_str().to_string())),
            Blob(self.notes),
            Int(Some(now_ms())),
            Text(Some(self.actor)),
            Text(self.group_id),
            Int(ticket),
            Text(self.batch_id),
        ]
    }
}

/// Inserts an encounter, allocating the site's next queue ticket for the day when asked;
/// returns the ticket. The group, if any, must be at the encounter's site (`NotFound`).
pub(crate) async fn insert_encounter(
    conn: &mut AnyConnection,
    e: NewEncounter,
    want_ticket: bool,
) -> Result<Option<i64>, StoreError> {
    let ticket: Option<i64> = if want_ticket {
        Some(
            sqlx::query(
                "INSERT INTO ticket_counters (site_id, day, last_seq) VALUES ($1, $2, 1) \
                 ON CONFLICT (site_id, day) DO UPDATE SET last_seq = ticket_counters.last_seq + 1 \
                 RETURNING last_seq",
            )
            .bind(&e.site_id)
            .bind(date_str(e.arrived_on))
            .fetch_one(&mut *conn)
            .await?
            .try_get("last_seq")?,
        )
    } else {
        None
    };
    if let Some(g) = &e.group_id {
        let n: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM arrival_groups WHERE id = $1 AND site_id = $2")
                .bind(g)
                .bind(&e.site_id)
                .fetch_one(&mut *conn)
                .await?
                .try_get("n")?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
    }
    bulk_insert(conn, "encounters", ENCOUNTER_COLS, vec![e.row(ticket)]).await?;
    Ok(ticket)
}

/// Inserts encounters without tickets, with multi-row inserts (an import's).
pub(crate) async fn insert_encounters(
    conn: &mut AnyConnection,
    es: Vec<NewEncounter>,
) -> Result<(), StoreError> {
    let rows = es.into_iter().map(|e| e.row(None)).collect();
    bulk_insert(conn, "encounters", ENCOUNTER_COLS, rows).await
}

/// Sets a flag on a person (kept as it was if already set).
pub(crate) async fn insert_flag(
    conn: &mut AnyConnection,
    person_id: &str,
    flag: PersonFlag,
    actor: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO person_flags (person_id, flag, set_at, set_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (person_id, flag) DO NOTHING",
    )
    .bind(person_id)
    .bind(flag.as_str())
    .bind(now_ms())
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Flags possible re-trafficking when `person_id` (or a record merged into it) went home
/// before `arrived_on`. Returns whether the flag was set now.
pub(crate) async fn flag_if_returned_before(
    conn: &mut AnyConnection,
    person_id: &str,
    arrived_on: time::Date,
    actor: &str,
    site_id: &str,
) -> Result<bool, StoreError> {
    let returned: Option<String> = sqlx::query(
        "SELECT MAX(on_date) AS returned FROM milestones WHERE milestone = 'returned' AND \
         (person_id = $1 OR person_id IN (SELECT id FROM people WHERE merged_into = $2))",
    )
    .bind(person_id)
    .bind(person_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get("returned")?;
    match returned {
        Some(r) if r < date_str(arrived_on) => {
            let had: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM person_flags WHERE person_id = $1 AND flag = $2",
            )
            .bind(person_id)
            .bind(PersonFlag::Retrafficking.as_str())
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
            if had > 0 {
                return Ok(false);
            }
            insert_flag(conn, person_id, PersonFlag::Retrafficking, actor).await?;
            append(
                conn,
                actor,
                site_id,
                AuditAction::PersonFlagRetrafficking,
                person_id,
            )
            .await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
