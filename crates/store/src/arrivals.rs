//! The arrival desk's records: arrival groups, triage flags, milestones on the way home and
//! re-encounters (a person registered before arriving again).
use std::collections::BTreeMap;

use pulang_domain::{ArrivalRoute, AuditAction, EncounterDetails, Milestone, PersonFlag};
use serde::Serialize;
use sqlx::Row;

use crate::audit::append;
use crate::encounter::{flag_if_returned_before, insert_encounter, insert_flag, NewEncounter};
use crate::sql::{date_at, date_str, person_site, term_at};
use crate::{new_id, now_ms, Actor, SiteFilter, Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArrivalGroup {
    pub id: String,
    pub site_id: String,
    pub name: String,
    pub kind: ArrivalRoute,
    pub arrived_on: time::Date,
    pub created_by: String,
    pub created_at: i64,
}

/// How far the people of a group have come; no personal data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GroupProgress {
    pub registered: i64,
    pub screened: i64,
    /// People who reached each milestone (every milestone is present, as `"sheltered": 3`).
    #[serde(flatten)]
    pub reached: BTreeMap<Milestone, i64>,
    /// People with at least one triage flag.
    pub flagged: i64,
}

impl GroupProgress {
    /// Counts the members at each step.
    pub fn of(members: &[GroupMember]) -> GroupProgress {
        let count =
            |f: &dyn Fn(&GroupMember) -> bool| members.iter().filter(|m| f(m)).count() as i64;
        GroupProgress {
            registered: members.len() as i64,
            screened: count(&|m| m.screened),
            reached: Milestone::ALL
                .iter()
                .map(|&ms| (ms, count(&|m| m.milestones.contains(&ms))))
                .collect(),
            flagged: count(&|m| m.flags.iter().any(|f| f.is_triage())),
        }
    }

    /// How many reached `milestone`.
    pub fn reached(&self, milestone: Milestone) -> i64 {
        self.reached.get(&milestone).copied().unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub flag: PersonFlag,
    pub set_at: i64,
    pub set_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MilestoneReached {
    pub milestone: Milestone,
    pub on_date: time::Date,
    pub set_at: i64,
    pub set_by: String,
}

/// One member of a group, for the group's page (the app adds names from its index).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMember {
    pub person_id: String,
    pub ticket: Option<i64>,
    pub arrived_on: time::Date,
    pub flags: Vec<PersonFlag>,
    pub milestones: Vec<Milestone>,
    pub screened: bool,
}

fn group_from(r: &sqlx::any::AnyRow) -> Result<ArrivalGroup, StoreError> {
    Ok(ArrivalGroup {
        id: r.try_get("id")?,
        site_id: r.try_get("site_id")?,
        name: r.try_get("name")?,
        kind: term_at(r, "kind")?,
        arrived_on: date_at(r, "arrived_on")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

const GROUP_COLS: &str = "id, site_id, name, kind, arrived_on, created_by, created_at";

/// What a re-encounter found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReEncounter {
    pub encounter_id: String,
    pub ticket: Option<i64>,
    /// The person had gone home before and is back: flagged as possible re-trafficking.
    pub retrafficking: bool,
}

impl Store {
    pub async fn create_group(
        &self,
        actor: &Actor,
        site_id: &str,
        name: &str,
        kind: ArrivalRoute,
        arrived_on: time::Date,
    ) -> Result<ArrivalGroup, StoreError> {
        let g = ArrivalGroup {
            id: new_id(),
            site_id: site_id.to_string(),
            name: name.to_string(),
            kind,
            arrived_on,
            created_by: actor.username.clone(),
            created_at: now_ms(),
        };
        let gg = g.clone();
        self.write_audited(
            &g.created_by,
            &g.site_id,
            AuditAction::GroupCreate,
            &g.id,
            move |conn| {
                Box::pin(async move {
                    sqlx::query(&format!(
                    "INSERT INTO arrival_groups ({GROUP_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                ))
                    .bind(&gg.id)
                    .bind(&gg.site_id)
                    .bind(&gg.name)
                    .bind(gg.kind.as_str())
                    .bind(date_str(gg.arrived_on))
                    .bind(&gg.created_by)
                    .bind(gg.created_at)
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            },
        )
        .await?;
        Ok(g)
    }

    /// Groups at the sites the filter allows, newest first.
    pub async fn groups(&self, filter: &SiteFilter) -> Result<Vec<ArrivalGroup>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {GROUP_COLS} FROM arrival_groups ORDER BY arrived_on DESC, created_at DESC"
        ))
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for r in &rows {
            let g = group_from(r)?;
            if filter.allows(&g.site_id) {
                out.push(g);
            }
        }
        Ok(out)
    }

    pub async fn group(&self, filter: &SiteFilter, id: &str) -> Result<ArrivalGroup, StoreError> {
        let r = sqlx::query(&format!(
            "SELECT {GROUP_COLS} FROM arrival_groups WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let g = group_from(&r)?;
        if filter.allows(&g.site_id) {
            Ok(g)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// The members of a group the filter allows (by their encounters in it), with what each
    /// has done so far. A merged record counts as the person it was merged into.
    pub async fn group_members(
        &self,
        filter: &SiteFilter,
        group_id: &str,
    ) -> Result<Vec<GroupMember>, StoreError> {
        self.group(filter, group_id).await?;
        let rows = sqlx::query(
            "SELECT COALESCE(p.merged_into, p.id) AS person_id, MIN(e.ticket) AS ticket, MIN(e.arrived_on) AS arrived_on FROM encounters e \
             JOIN people p ON p.id = e.person_id WHERE e.group_id = $1 \
             GROUP BY COALESCE(p.merged_into, p.id) ORDER BY MIN(e.ticket), MIN(e.created_at)",
        )
        .bind(group_id)
        .fetch_all(self.pool())
        .await?;
        let mut members: Vec<GroupMember> = Vec::with_capacity(rows.len());
        for r in &rows {
            members.push(GroupMember {
                person_id: r.try_get("person_id")?,
                ticket: r.try_get("ticket")?,
                arrived_on: date_at(r, "arrived_on")?,
                flags: Vec::new(),
                milestones: Vec::new(),
                screened: false,
            });
        }
        let pos: std::collections::HashMap<String, usize> = members
            .iter()
            .enumerate()
            .map(|(i, m)| (m.person_id.clone(), i))
            .collect();
        // The people of the group and the records merged into them.
        let scope = "SELECT COALESCE(p.merged_into, p.id) AS pid, p.id AS rid FROM encounters e \
                     JOIN people p ON p.id = e.person_id WHERE e.group_id = $1 \
                     UNION SELECT m.merged_into, m.id FROM people m WHERE m.merged_into IN \
                     (SELECT COALESCE(p.merged_into, p.id) FROM encounters e JOIN people p ON p.id = e.person_id WHERE e.group_id = $2)";
        // `(person, value)` pairs of the members and the records merged into them.
        let pairs = |select: &str| {
            let sql = format!("SELECT DISTINCT g.pid AS pid, {select}");
            async move {
                let rows = sqlx::query(&sql)
                    .bind(group_id)
                    .bind(group_id)
                    .fetch_all(self.pool())
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            r.try_get::<String, _>("pid")?,
                            r.try_get::<String, _>("value")?,
                        ))
                    })
                    .collect::<Result<Vec<(String, String)>, StoreError>>()
            }
        };
        let joined = |table: &str, col: &str, extra: &str| {
            format!("{col} AS value FROM ({scope}) g JOIN {table} x ON x.person_id = g.rid{extra}")
        };
        for (pid, flag) in pairs(&joined("person_flags", "x.flag", "")).await? {
            if let Some(&i) = pos.get(&pid) {
                members[i].flags.push(crate::sql::parse_term(&flag)?);
            }
        }
        for (pid, m) in pairs(&joined("milestones", "x.milestone", "")).await? {
            if let Some(&i) = pos.get(&pid) {
                members[i].milestones.push(crate::sql::parse_term(&m)?);
            }
        }
        let signed = joined("screenings", "x.status", " WHERE x.status = 'signed'");
        for (pid, _) in pairs(&signed).await? {
            if let Some(&i) = pos.get(&pid) {
                members[i].screened = true;
            }
        }
        for m in &mut members {
            m.flags.sort();
            m.milestones.sort();
        }
        Ok(members)
    }

    /// Progress of a group, from its members.
    pub async fn group_progress(
        &self,
        filter: &SiteFilter,
        group_id: &str,
    ) -> Result<GroupProgress, StoreError> {
        Ok(GroupProgress::of(
            &self.group_members(filter, group_id).await?,
        ))
    }

    /// Flags of a person the filter allows and of the records merged into them.
    pub async fn flags(
        &self,
        filter: &SiteFilter,
        person_id: &str,
    ) -> Result<Vec<Flag>, StoreError> {
        self.allowed_person(filter, person_id).await?;
        let rows = sqlx::query(
            "SELECT flag, MIN(set_at) AS set_at, MIN(set_by) AS set_by FROM person_flags WHERE person_id = $1 OR person_id IN \
             (SELECT id FROM people WHERE merged_into = $2) GROUP BY flag ORDER BY flag",
        )
        .bind(person_id)
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        let mut flags = rows
            .iter()
            .map(|r| {
                Ok(Flag {
                    flag: term_at(r, "flag")?,
                    set_at: r.try_get("set_at")?,
                    set_by: r.try_get("set_by")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        flags.sort_by_key(|f| f.flag);
        Ok(flags)
    }

    /// Replaces a person's triage flags (the re-trafficking flag is kept).
    pub async fn set_triage_flags(
        &self,
        actor: &Actor,
        filter: &SiteFilter,
        person_id: &str,
        flags: Vec<PersonFlag>,
    ) -> Result<(), StoreError> {
        let (by, id) = (actor.username.clone(), person_id.to_string());
        let action = AuditAction::PersonFlags;
        self.write_to_person(&actor.username, filter, person_id, action, move |conn| {
            Box::pin(async move {
                sqlx::query("DELETE FROM person_flags WHERE person_id = $1 AND flag <> $2")
                    .bind(&id)
                    .bind(PersonFlag::Retrafficking.as_str())
                    .execute(&mut *conn)
                    .await?;
                for f in &flags {
                    insert_flag(conn, &id, *f, &by).await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Milestones reached by a person the filter allows (or a record merged into them), in order.
    pub async fn milestones(
        &self,
        filter: &SiteFilter,
        person_id: &str,
    ) -> Result<Vec<MilestoneReached>, StoreError> {
        self.allowed_person(filter, person_id).await?;
        let rows = sqlx::query(
            "SELECT milestone, MAX(on_date) AS on_date, MAX(set_at) AS set_at, MAX(set_by) AS set_by FROM milestones WHERE person_id = $1 OR person_id IN \
             (SELECT id FROM people WHERE merged_into = $2) GROUP BY milestone",
        )
        .bind(person_id)
        .bind(person_id)
        .fetch_all(self.pool())
        .await?;
        let mut out: Vec<MilestoneReached> = rows
            .iter()
            .map(|r| {
                Ok(MilestoneReached {
                    milestone: term_at(r, "milestone")?,
                    on_date: date_at(r, "on_date")?,
                    set_at: r.try_get("set_at")?,
                    set_by: r.try_get("set_by")?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        out.sort_by_key(|m| m.milestone);
        Ok(out)
    }

    /// Records (or, with `on_date` `None`, clears) a milestone.
    pub async fn set_milestone(
        &self,
        actor: &Actor,
        filter: &SiteFilter,
        person_id: &str,
        milestone: Milestone,
        on_date: Option<time::Date>,
    ) -> Result<(), StoreError> {
        let (by, id) = (actor.username.clone(), person_id.to_string());
        let action = match on_date {
            Some(_) => AuditAction::PersonMilestone(milestone),
            None => AuditAction::PersonMilestoneCleared(milestone),
        };
        self.write_to_person(&actor.username, filter, person_id, action, move |conn| {
            Box::pin(async move {
                sqlx::query("DELETE FROM milestones WHERE person_id = $1 AND milestone = $2")
                    .bind(&id)
                    .bind(milestone.as_str())
                    .execute(&mut *conn)
                    .await?;
                if let Some(d) = on_date {
                    sqlx::query(
                        "INSERT INTO milestones (person_id, milestone, on_date, set_at, set_by) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&id)
                    .bind(milestone.as_str())
                    .bind(date_str(d))
                    .bind(now_ms())
                    .bind(&by)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Records a new arrival of a person already registered (at the desk, "this is the same
    /// person"). Flags possible re-trafficking when they had gone home before.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_encounter(
        &self,
        actor: &Actor,
        filter: &SiteFilter,
        person_id: &str,
        site_id: &str,
        encounter: EncounterDetails,
        group_id: Option<String>,
        ticket: bool,
        flags: Vec<PersonFlag>,
    ) -> Result<ReEncounter, StoreError> {
        let mut arrival =
            NewEncounter::new(self.keys(), person_id, site_id, &encounter, &actor.username);
        arrival.group_id = group_id;
        let (by, filter, id, site_id) = (
            actor.username.clone(),
            filter.clone(),
            person_id.to_string(),
            site_id.to_string(),
        );
        self.write(move |conn| {
            Box::pin(async move {
                person_site(conn, &filter, &id).await?;
                if !filter.allows(&site_id) {
                    return Err(StoreError::NotFound);
                }
                let encounter_id = arrival.id.clone();
                let ticket = insert_encounter(conn, arrival, ticket).await?;
                for f in &flags {
                    insert_flag(conn, &id, *f, &by).await?;
                }
                append(conn, &by, &site_id, AuditAction::PersonEncounter, &id).await?;
                let retrafficking =
                    flag_if_returned_before(conn, &id, encounter.arrived_on, &by, &site_id).await?;
                Ok(ReEncounter {
                    encounter_id,
                    ticket,
                    retrafficking,
                })
            })
        })
        .await
    }
}
