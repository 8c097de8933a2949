//! Registering, finding, reading and editing people.
use pulang_domain::{mask, nik::Nik, passport, phone, EncounterForm, PersonForm, Sex};
use pulang_domain::{AuditAction, LookupKind};
use pulang_store::accounts::Site;
use pulang_store::people::{HistoryEntry, PersonRecord};
use serde::Serialize;

use crate::{today, AccessScope, App, AppError, Permission};

/// A person as the caller's role may see them.
#[derive(Debug, Clone, Serialize)]
pub struct PersonView {
    pub id: String,
    pub case_number: String,
    pub site: String,
    /// The site's time zone, for showing times.
    pub timezone: String,
    pub version: i64,
    pub full_name: String,
    pub aliases: Vec<String>,
    pub sex: Option<Sex>,
    pub birth_date: Option<String>,
    pub age: Option<u8>,
    pub nationality: String,
    pub nik: Option<String>,
    pub passport_no: Option<String>,
    pub phones: Vec<String>,
    pub origin_province: Option<String>,
    pub origin_regency: Option<String>,
    pub languages: Vec<String>,
    /// True when identifiers are shown masked (reveal them with an audited request).
    pub masked: bool,
    /// True for roles that see only the minimum (police liaison).
    pub minimal: bool,
    /// This record was merged into another person's record (the one to work on).
    pub merged_into: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EncounterView {
    pub site: String,
    pub arrived_on: String,
    pub arrival_route: String,
    pub notes: Option<String>,
    /// The notes are stored but do not open (moved from another record, or altered).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub notes_unreadable: bool,
    pub registered_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonPage {
    pub person: PersonView,
    pub encounters: Vec<EncounterView>,
    pub history: Vec<HistoryEntry>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub id: String,
    pub case_number: String,
    pub full_name: String,
    pub site: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchPage {
    pub items: Vec<SearchHit>,
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
}

/// A registration or edit as submitted.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    pub person: PersonForm,
    pub encounter: EncounterForm,
    /// The registrar has seen the warnings and confirms the data as given.
    pub confirm_warnings: bool,
}

/// Identifiers an edit form showed only masked: each one `true` keeps the stored value when
/// the submission leaves the field empty (a new value still replaces it; clearing it is
/// another choice, made by leaving this `false`).
#[derive(Debug, Clone, Copy, Default)]
pub struct KeepIdentifiers {
    pub nik: bool,
    pub passport_no: bool,
}

impl App {
    fn view(
        &self,
        scope: &AccessScope,
        r: &PersonRecord,
        reveal: bool,
        sites: &[Site],
    ) -> PersonView {
        let minimal = !scope.can_at(Permission::ReadPerson, &r.site_id);
        let d = &r.details;
        let m = |v: &Option<String>| v.as_ref().map(|x| if reveal { x.clone() } else { mask(x) });
        PersonView {
            id: r.id.clone(),
            case_number: r.case_number.clone(),
            site: site_code(sites, &r.site_id),
            timezone: sites
                .iter()
                .find(|s| s.id == r.site_id)
                .map(|s| s.timezone.clone())
                .unwrap_or_else(|| "UTC".into()),
            version: r.version,
            full_name: d.full_name.clone(),
            aliases: if minimal { vec![] } else { d.aliases.clone() },
            sex: d.sex,
            birth_date: if minimal {
                None
            } else {
                d.birth_date.map(|b| b.to_string())
            },
            // When only the birth date is known, show the age it implies (by year).
            age: d.age.or_else(|| {
                d.birth_date
                    .map(|b| (today().year() - b.year()).clamp(0, 255) as u8)
            }),
            nationality: d.nationality.clone(),
            nik: if minimal {
                None
            } else {
                m(&d.nik.as_ref().map(|n| n.to_string()))
            },
            passport_no: if minimal { None } else { m(&d.passport_no) },
            phones: if minimal { vec![] } else { d.phones.clone() },
            origin_province: d.origin_province.clone(),
            origin_regency: if minimal {
                None
            } else {
                d.origin_regency.clone()
            },
            languages: d.languages.clone(),
            masked: !reveal && !minimal,
            minimal,
            merged_into: r.merged_into.clone(),
        }
    }

    pub(crate) fn pick_site<'a>(
        &self,
        scope: &AccessScope,
        sites: &'a [Site],
        code: Option<&str>,
        p: Permission,
    ) -> Result<&'a Site, AppError> {
        let filter = scope.sites_for(p);
        let allowed: Vec<&Site> = sites.iter().filter(|s| filter.allows(&s.id)).collect();
        match code {
            Some(c) => allowed
                .into_iter()
                .find(|s| s.code.eq_ignore_ascii_case(c.trim()))
                .ok_or_else(|| {
                    // An unknown site and a site the caller may not use read the same.
                    AppError::Invalid(pulang_domain::Validation {
                        errors: vec![pulang_domain::FieldIssue::new("site", "site_not_allowed")],
                        warnings: vec![],
                    })
                }),
            None if allowed.len() == 1 => Ok(allowed[0]),
            None => Err(AppError::Invalid(pulang_domain::Validation {
                errors: vec![pulang_domain::FieldIssue::new("site", "required")],
                warnings: vec![],
            })),
        }
    }

    /// Registers a new arrival. Field errors, and unconfirmed warnings, come back per field.
    pub async fn register_person(
        &self,
        scope: &AccessScope,
        sub: Submission,
    ) -> Result<PersonRecord, AppError> {
        if !scope.can(Permission::RegisterPerson) {
            return Err(AppError::Forbidden);
        }
        let today = today();
        let (details, mut v) = sub.person.validate(today);
        let sites = self.sites_cached().await?;
        let site_code = sub
            .encounter
            .site
            .as_deref()
            .filter(|s| !s.trim().is_empty());
        let default_site = if site_code.is_none() {
            self.pick_site(scope, &sites, None, Permission::RegisterPerson)
                .ok()
                .map(|s| s.code.clone())
        } else {
            None
        };
        let encounter = sub
            .encounter
            .validate(today, default_site.as_deref(), &mut v);
        if !v.errors.is_empty() {
            return Err(AppError::Invalid(v));
        }
        if !v.warnings.is_empty() && !sub.confirm_warnings {
            return Err(AppError::NeedsConfirmation(v));
        }
        let (Some(details), Some(encounter)) = (details, encounter) else {
            return Err(AppError::Invalid(v));
        };
        let site = self
            .pick_site(
                scope,
                &sites,
                Some(&encounter.site),
                Permission::RegisterPerson,
            )?
            .clone();
        let rec = self
            .store
            .register_person(&scope.actor(), &site, details, encounter)
            .await?;
        self.caught_up().await;
        Ok(rec)
    }

    /// Reads a person's page; an audited read. `reveal` unmasks NIK and passport (audited as such).
    pub async fn person(
        &self,
        scope: &AccessScope,
        id: &str,
        reveal: bool,
    ) -> Result<PersonPage, AppError> {
        let filter = scope.require(Permission::ReadPersonMinimal)?;
        let action = if reveal {
            AuditAction::PersonReveal
        } else {
            AuditAction::PersonRead
        };
        let rec = self
            .store
            .read_person(&scope.actor(), &filter, id, action)
            .await?;
        let sites = self.sites_cached().await?;
        let person = self.view(scope, &rec, reveal, &sites);
        if person.minimal {
            return Ok(PersonPage {
                person,
                encounters: vec![],
                history: vec![],
            });
        }
        let encounters = self
            .store
            .encounters(&filter, &rec.id)
            .await?
            .into_iter()
            .map(|e| EncounterView {
                site: site_code(&sites, &e.site_id),
                arrived_on: e.arrived_on,
                arrival_route: e.arrival_route,
                notes: e.notes,
                notes_unreadable: e.notes_unreadable,
                registered_by: e.created_by,
            })
            .collect();
        let history = self.store.history(&filter, &rec.id).await?;
        let history = if reveal {
            history
        } else {
            history.into_iter().map(mask_history).collect()
        };
        Ok(PersonPage {
            person,
            encounters,
            history,
        })
    }

    /// The raw record for editing (an audited read).
    pub async fn person_for_edit(
        &self,
        scope: &AccessScope,
        id: &str,
    ) -> Result<PersonRecord, AppError> {
        let filter = scope.require(Permission::EditPerson)?;
        Ok(self
            .store
            .read_person(&scope.actor(), &filter, id, AuditAction::PersonReadForEdit)
            .await?)
    }

    /// Replaces a person's details; the change is kept in the history.
    pub async fn update_person(
        &self,
        scope: &AccessScope,
        id: &str,
        expected_version: Option<i64>,
        sub: Submission,
    ) -> Result<PersonRecord, AppError> {
        self.update_person_keeping(scope, id, expected_version, sub, KeepIdentifiers::default())
            .await
    }

    /// As [`App::update_person`], keeping the identifiers `keep` names when the submission
    /// leaves them empty. The stored values are read (audited as a read for editing) and the
    /// write is bound to the version read, so a change in between is a conflict, not lost.
    pub async fn update_person_keeping(
        &self,
        scope: &AccessScope,
        id: &str,
        expected_version: Option<i64>,
        mut sub: Submission,
        keep: KeepIdentifiers,
    ) -> Result<PersonRecord, AppError> {
        let filter = scope.require(Permission::EditPerson)?;
        let blank = |v: &Option<String>| v.as_deref().is_none_or(|x| x.trim().is_empty());
        let keep_nik = keep.nik && blank(&sub.person.nik);
        let keep_passport = keep.passport_no && blank(&sub.person.passport_no);
        let mut expected_version = expected_version;
        if keep_nik || keep_passport {
            let cur = self
                .store
                .read_person(&scope.actor(), &filter, id, AuditAction::PersonReadForEdit)
                .await?;
            if keep_nik {
                sub.person.nik = cur.details.nik.as_ref().map(|n| n.to_string());
            }
            if keep_passport {
                sub.person.passport_no = cur.details.passport_no.clone();
            }
            expected_version = Some(expected_version.unwrap_or(cur.version));
        }
        let (details, v) = sub.person.validate(today());
        if !v.errors.is_empty() {
            return Err(AppError::Invalid(v));
        }
        if !v.warnings.is_empty() && !sub.confirm_warnings {
            return Err(AppError::NeedsConfirmation(v));
        }
        let details = details.ok_or(AppError::Invalid(v))?;
        let rec = self
            .store
            .update_person(&scope.actor(), &filter, id, expected_version, details)
            .await?;
        self.caught_up().await;
        Ok(rec)
    }

    /// Finds people by partial name or alias, case number, NIK, passport or phone.
    pub async fn search(
        &self,
        scope: &AccessScope,
        q: &str,
        offset: usize,
        limit: usize,
    ) -> Result<SearchPage, AppError> {
        let filter = scope.require(Permission::ReadPersonMinimal)?;
        let limit = limit.clamp(1, 200);
        let q = q.trim();
        let sites = self.sites_cached().await?;
        let mut ids: Vec<String> = Vec::new();
        if !q.is_empty() {
            if let Ok(n) = Nik::parse(q) {
                ids.extend(
                    self.store
                        .lookup(&filter, LookupKind::Nik, n.as_str())
                        .await?,
                );
            }
            if q.chars().any(|c| c.is_ascii_digit()) {
                if let Ok(p) = passport::normalize(q) {
                    ids.extend(self.store.lookup(&filter, LookupKind::Passport, &p).await?);
                }
                if let Ok(p) = phone::normalize(q) {
                    ids.extend(self.store.lookup(&filter, LookupKind::Phone, &p).await?);
                }
            }
        }
        let index = self.index.read().await;
        let mut hits: Vec<SearchHit> = Vec::new();
        for id in &ids {
            if let Some(e) = index.get(id) {
                if !hits.iter().any(|h| &h.id == id) {
                    hits.push(hit(e, &sites));
                }
            }
        }
        let exact = hits.len();
        let (name_total, page) = index.search(&filter, q, 0, offset + limit);
        for e in page {
            if !hits.iter().any(|h| h.id == e.id) {
                hits.push(hit(e, &sites));
            }
        }
        let total = name_total + exact;
        let items: Vec<SearchHit> = hits.into_iter().skip(offset).take(limit).collect();
        drop(index);
        self.store
            .audit(
                scope.username(),
                "*",
                AuditAction::PersonSearch,
                &format!("results:{}", items.len()),
            )
            .await?;
        Ok(SearchPage {
            items,
            total,
            offset,
            limit,
        })
    }
}

fn hit(e: &crate::index::Entry, sites: &[Site]) -> SearchHit {
    SearchHit {
        id: e.id.clone(),
        case_number: e.case_number.clone(),
        full_name: e.full_name.clone(),
        site: site_code(sites, &e.site_id),
    }
}

pub(crate) fn site_code(sites: &[Site], id: &str) -> String {
    sites
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.code.clone())
        .unwrap_or_else(|| "?".into())
}

fn mask_history(mut h: HistoryEntry) -> HistoryEntry {
    for c in &mut h.changes {
        if c.field == "nik" || c.field == "passport_no" {
            c.before = c.before.as_deref().map(mask);
            c.after = c.after.as_deref().map(mask);
        }
    }
    h
}
