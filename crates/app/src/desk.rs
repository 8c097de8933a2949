//! The arrival desk in a surge: a minimal first record with triage flags and a queue ticket,
//! possible matches before anyone is registered twice, arrival groups and their progress, and
//! the milestones on the way home.
use pulang_domain::{
    ArrivalRoute, AuditAction, EncounterForm, Milestone, PersonFlag, PersonForm, ReviewOrigin,
};
use pulang_store::arrivals::{ArrivalGroup, Flag, GroupMember, GroupProgress, MilestoneReached};
use pulang_store::date_str;
use pulang_store::people::Intake;
use serde::Serialize;

use crate::identity::{form_record, PossibleMatch, REVIEW_MIN};
use crate::people::site_code;
use crate::{today, AccessScope, App, AppError, Permission};

/// What the desk submits.
#[derive(Debug, Clone, Default)]
pub struct DeskSubmission {
    /// Name, sex, age or birth date, phone, passport if any (the rest can wait).
    pub person: PersonForm,
    pub site: Option<String>,
    pub group_id: Option<String>,
    /// Triage flags as submitted (spellings of the triage [`PersonFlag`]s).
    pub flags: Vec<String>,
    pub arrived_on: Option<String>,
    pub arrival_route: Option<String>,
    /// Record a new arrival of this person, already registered.
    pub same_as: Option<String>,
    /// Register as a new person although possible matches were shown.
    pub confirmed_new: bool,
    pub confirm_warnings: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DeskOutcome {
    /// A new person was registered.
    Registered {
        person_id: String,
        case_number: String,
        ticket: Option<i64>,
        /// Pairs queued for a caseworker because the registrar judged them different.
        queued_reviews: usize,
    },
    /// A new arrival of someone already registered.
    Arrived {
        person_id: String,
        case_number: String,
        ticket: Option<i64>,
        /// They had gone home before: possible re-trafficking (flagged).
        retrafficking: bool,
    },
    /// Nothing registered yet: these people may be the same; the registrar decides.
    PossibleMatches { candidates: Vec<PossibleMatch> },
}

/// A numbered slip for the queue; the QR code opens the record for staff.
#[derive(Debug, Clone, Serialize)]
pub struct Slip {
    pub person_id: String,
    pub ticket: Option<i64>,
    pub day: String,
    pub site: String,
    pub site_name: String,
    pub case_number: String,
    pub full_name: String,
    pub flags: Vec<PersonFlag>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    pub group: ArrivalGroup,
    pub site: String,
    pub progress: GroupProgress,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    pub person_id: String,
    pub case_number: String,
    pub full_name: String,
    #[serde(flatten)]
    pub member: GroupMember,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupPage {
    pub summary: GroupSummary,
    pub members: Vec<MemberView>,
}

fn invalid(field: &str, code: &str) -> AppError {
    AppError::Invalid(pulang_domain::Validation {
        errors: vec![pulang_domain::FieldIssue::new(field, code)],
        warnings: vec![],
    })
}

/// A day as `YYYY-MM-DD`.
fn parse_day(s: &str) -> Option<time::Date> {
    pulang_domain::BirthDate::parse(s).and_then(|d| d.full())
}

/// The triage flags a registrar ticked; Pulang's own flags cannot be set by hand.
fn check_flags(flags: &[String]) -> Result<Vec<PersonFlag>, AppError> {
    let mut out: Vec<PersonFlag> = Vec::new();
    for f in flags.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        let flag = PersonFlag::parse(f)
            .filter(|f| f.is_triage())
            .ok_or_else(|| invalid("flags", "unknown_flag"))?;
        if !out.contains(&flag) {
            out.push(flag);
        }
    }
    Ok(out)
}

impl App {
    /// Registers an arrival at the desk. Unless the registrar has already chosen (`same_as` or
    /// `confirmed_new`), likely matches come back first and nothing is written.
    pub async fn desk_register(
        &self,
        scope: &AccessScope,
        sub: DeskSubmission,
    ) -> Result<DeskOutcome, AppError> {
        let filter = scope.require(Permission::RegisterPerson)?;
        let mut flags = check_flags(&sub.flags)?;
        let sites = self.sites_cached().await?;
        let site = self
            .pick_site(
                scope,
                &sites,
                sub.site.as_deref(),
                Permission::RegisterPerson,
            )?
            .clone();
        let group = match sub.group_id.as_deref().filter(|g| !g.is_empty()) {
            Some(g) => {
                let g = self
                    .store
                    .group(&filter, g)
                    .await
                    .map_err(|_| invalid("group", "unknown_group"))?;
                if g.site_id != site.id {
                    return Err(invalid("group", "unknown_group"));
                }
                Some(g)
            }
            None => None,
        };
        let route = sub
            .arrival_route
            .clone()
            .filter(|r| !r.trim().is_empty())
            .or_else(|| {
                group.as_ref().map(|g| match g.kind {
                    ArrivalRoute::PoliceHandover | ArrivalRoute::RescueOperation => {
                        g.kind.to_string()
                    }
                    _ => ArrivalRoute::WalkIn.to_string(),
                })
            })
            .unwrap_or_else(|| ArrivalRoute::WalkIn.to_string());
        let encounter_form = EncounterForm {
            site: Some(site.code.clone()),
            arrived_on: sub
                .arrived_on
                .clone()
                .filter(|d| !d.trim().is_empty())
                .or_else(|| group.as_ref().map(|g| date_str(g.arrived_on))),
            arrival_route: Some(route),
            notes: None,
        };
        let today = today();
        if let Some(existing) = sub.same_as.as_deref().filter(|s| !s.is_empty()) {
            let mut v = pulang_domain::Validation::default();
            let enc = encounter_form
                .validate(today, Some(&site.code), &mut v)
                .ok_or(AppError::Invalid(v))?;
            let rec = self
                .store
                .read_person(
                    &scope.actor(),
                    &filter,
                    existing,
                    AuditAction::PersonReadAtDesk,
                )
                .await?;
            // A merged record's arrivals belong to the person it was merged into.
            let person_id = rec.merged_into.clone().unwrap_or(rec.id.clone());
            let r = self
                .store
                .add_encounter(
                    &scope.actor(),
                    &filter,
                    &person_id,
                    &site.id,
                    enc,
                    group.as_ref().map(|g| g.id.clone()),
                    true,
                    flags,
                )
                .await?;
            let case_number = self
                .index
                .read()
                .await
                .get(&person_id)
                .map(|e| e.case_number.clone())
                .unwrap_or(rec.case_number);
            return Ok(DeskOutcome::Arrived {
                person_id,
                case_number,
                ticket: r.ticket,
                retrafficking: r.retrafficking,
            });
        }
        let (details, mut v) = sub.person.validate(today);
        let encounter = encounter_form.validate(today, Some(&site.code), &mut v);
        if !v.errors.is_empty() {
            return Err(AppError::Invalid(v));
        }
        if !v.warnings.is_empty() && !sub.confirm_warnings {
            return Err(AppError::NeedsConfirmation(v));
        }
        let (Some(details), Some(encounter)) = (details, encounter) else {
            return Err(AppError::Invalid(v));
        };
        if !sub.confirmed_new {
            let candidates = self
                .match_record(&filter, &form_record(&sub.person), 5, REVIEW_MIN)
                .await?;
            if !candidates.is_empty() {
                self.store
                    .audit(
                        scope.username(),
                        "*",
                        AuditAction::PersonMatch,
                        &format!("results:{}", candidates.len()),
                    )
                    .await?;
                return Ok(DeskOutcome::PossibleMatches { candidates });
            }
        }
        // A child is flagged whatever the registrar ticked: children are referred first.
        let age = details.age.map(i32::from).or_else(|| {
            details.birth_date.map(|b| {
                let y = today.year() - b.year();
                match b.full() {
                    Some(d)
                        if (u8::from(d.month()), d.day())
                            > (u8::from(today.month()), today.day()) =>
                    {
                        y - 1
                    }
                    _ => y,
                }
            })
        });
        if age.is_some_and(|a| a < 18) && !flags.contains(&PersonFlag::Child) {
            flags.push(PersonFlag::Child);
        }
        let reg = self
            .store
            .register_person_with(
                &scope.actor(),
                &site,
                details,
                encounter,
                Intake {
                    group_id: group.as_ref().map(|g| g.id.clone()),
                    ticket: true,
                    flags,
                    from_import: None,
                },
            )
            .await?;
        self.caught_up().await;
        let queued_reviews = if sub.confirmed_new {
            self.queue_candidates(&reg.record, ReviewOrigin::Intake, &filter)
                .await?
        } else {
            0
        };
        Ok(DeskOutcome::Registered {
            person_id: reg.record.id,
            case_number: reg.record.case_number,
            ticket: reg.ticket,
            queued_reviews,
        })
    }

    /// The queue slip of a person's latest ticketed arrival (an audited read).
    pub async fn slip(&self, scope: &AccessScope, person_id: &str) -> Result<Slip, AppError> {
        let filter = scope.require(Permission::RegisterPerson)?;
        let rec = self
            .store
            .read_person(
                &scope.actor(),
                &filter,
                person_id,
                AuditAction::PersonReadSlip,
            )
            .await?;
        let encounters = self.store.encounters(&filter, &rec.id).await?;
        let last = encounters
            .iter()
            .rev()
            .find(|e| e.ticket.is_some())
            .or(encounters.last());
        let sites = self.sites_cached().await?;
        let site_id = last
            .map(|e| e.site_id.clone())
            .unwrap_or(rec.site_id.clone());
        let site = sites.iter().find(|s| s.id == site_id);
        Ok(Slip {
            person_id: rec.id.clone(),
            ticket: last.and_then(|e| e.ticket),
            day: last
                .map(|e| e.arrived_on.clone())
                .unwrap_or_else(|| date_str(today())),
            site: site.map(|s| s.code.clone()).unwrap_or_default(),
            site_name: site.map(|s| s.name.clone()).unwrap_or_default(),
            case_number: rec.case_number,
            full_name: rec.details.full_name,
            flags: self
                .store
                .flags(&filter, &rec.id)
                .await?
                .into_iter()
                .map(|f| f.flag)
                .collect(),
        })
    }

    pub async fn create_group(
        &self,
        scope: &AccessScope,
        site: Option<&str>,
        name: &str,
        kind: &str,
        arrived_on: Option<&str>,
    ) -> Result<ArrivalGroup, AppError> {
        scope.require(Permission::RegisterPerson)?;
        let sites = self.sites_cached().await?;
        let site = self
            .pick_site(scope, &sites, site, Permission::RegisterPerson)?
            .clone();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(invalid("name", "required"));
        }
        let kind = ArrivalRoute::parse(kind)
            .filter(|k| k.forms_groups())
            .ok_or_else(|| invalid("kind", "invalid"))?;
        let date = match arrived_on.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => parse_day(d).ok_or_else(|| invalid("arrived_on", "invalid_date"))?,
            None => today(),
        };
        if date > today() {
            return Err(invalid("arrived_on", "in_future"));
        }
        Ok(self
            .store
            .create_group(&scope.actor(), &site.id, name, kind, date)
            .await?)
    }

    /// Groups at the caller's sites with their progress (counts only).
    pub async fn groups(&self, scope: &AccessScope) -> Result<Vec<GroupSummary>, AppError> {
        let filter = scope.require(Permission::ReadPersonMinimal)?;
        let sites = self.sites_cached().await?;
        let mut out = Vec::new();
        for g in self.store.groups(&filter).await? {
            let progress = self.store.group_progress(&filter, &g.id).await?;
            out.push(GroupSummary {
                site: site_code(&sites, &g.site_id),
                group: g,
                progress,
            });
        }
        Ok(out)
    }

    /// A group with its members (names from the index); audited as a listing.
    pub async fn group_page(&self, scope: &AccessScope, id: &str) -> Result<GroupPage, AppError> {
        let filter = scope.require(Permission::ReadPersonMinimal)?;
        let g = self.store.group(&filter, id).await?;
        let members = self.store.group_members(&filter, &g.id).await?;
        let progress = GroupProgress::of(&members);
        // Triage flags (pregnancy, medical, disability) are not part of a minimal record.
        let full = scope.can_at(Permission::ReadPerson, &g.site_id);
        let members: Vec<GroupMember> = members
            .into_iter()
            .map(|mut m| {
                if !full {
                    m.flags.clear();
                }
                m
            })
            .collect();
        let index = self.index.read().await;
        let members: Vec<MemberView> = members
            .into_iter()
            .map(|m| {
                let (case_number, full_name) = index
                    .get(&m.person_id)
                    .map(|e| (e.case_number.clone(), e.full_name.clone()))
                    .unwrap_or_default();
                MemberView {
                    person_id: m.person_id.clone(),
                    case_number,
                    full_name,
                    member: m,
                }
            })
            .collect();
        drop(index);
        self.store
            .audit(scope.username(), &g.site_id, AuditAction::GroupRead, &g.id)
            .await?;
        let sites = self.sites_cached().await?;
        Ok(GroupPage {
            summary: GroupSummary {
                site: site_code(&sites, &g.site_id),
                group: g,
                progress,
            },
            members,
        })
    }

    pub async fn set_triage_flags(
        &self,
        scope: &AccessScope,
        person_id: &str,
        flags: &[String],
    ) -> Result<(), AppError> {
        let filter = scope.require(Permission::EditPerson)?;
        let flags = check_flags(flags)?;
        Ok(self
            .store
            .set_triage_flags(&scope.actor(), &filter, person_id, flags)
            .await?)
    }

    /// Records a milestone on a date (today by default), or clears it.
    pub async fn set_milestone(
        &self,
        scope: &AccessScope,
        person_id: &str,
        milestone: &str,
        on: Option<&str>,
        clear: bool,
    ) -> Result<(), AppError> {
        let filter = scope.require(Permission::EditPerson)?;
        let milestone =
            Milestone::parse(milestone).ok_or_else(|| invalid("milestone", "invalid"))?;
        let date = if clear {
            None
        } else {
            let d = match on.map(str::trim).filter(|d| !d.is_empty()) {
                Some(d) => parse_day(d).ok_or_else(|| invalid("on", "invalid_date"))?,
                None => today(),
            };
            if d > today() {
                return Err(invalid("on", "in_future"));
            }
            Some(d)
        };
        Ok(self
            .store
            .set_milestone(&scope.actor(), &filter, person_id, milestone, date)
            .await?)
    }

    pub async fn flags_of(
        &self,
        scope: &AccessScope,
        person_id: &str,
    ) -> Result<Vec<Flag>, AppError> {
        let filter = scope.require(Permission::ReadPerson)?;
        Ok(self.store.flags(&filter, person_id).await?)
    }

    pub async fn milestones_of(
        &self,
        scope: &AccessScope,
        person_id: &str,
    ) -> Result<Vec<MilestoneReached>, AppError> {
        let filter = scope.require(Permission::ReadPerson)?;
        Ok(self.store.milestones(&filter, person_id).await?)
    }
}
