//! Identity resolution at work: possible matches while a registrar types, the review queue of
//! uncertain pairs, merge and unmerge.
use pulang_domain::{AuditAction, PersonForm, ReviewOrigin, ReviewStatus, Sex};
use pulang_matching::model::FieldWeight;
use pulang_store::identity::{Merge, ReviewPair};
use serde::{Deserialize, Serialize};

use crate::index::raw_record;
use crate::people::site_code;
use crate::{AccessScope, App, AppError, Permission};

/// Shown in the possible-match panel from this probability up.
pub const PANEL_MIN: f64 = 0.2;
/// Registering someone new despite a candidate this likely queues the pair for review.
pub const REVIEW_MIN: f64 = 0.5;
/// An imported row this likely is taken to be the person (with a shared identifier or name
/// and birth date); below it, down to [`REVIEW_MIN`], a person decides.
pub const IMPORT_MATCH_MIN: f64 = 0.99;

/// One field's part in a match score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub field: String,
    /// `exact`, `close`, `different`, `missing`, … (see `docs/matching.md`).
    pub level: String,
    /// Bits of evidence (log2 of the likelihood ratio); positive for agreement.
    pub weight: f64,
}

impl From<&FieldWeight> for Reason {
    fn from(f: &FieldWeight) -> Reason {
        Reason {
            field: f.field.to_string(),
            level: f.level.to_string(),
            weight: (f.weight * 10.0).round() / 10.0,
        }
    }
}

/// The minimum to tell two people apart, from the in-memory index (no audited read).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PersonBrief {
    pub id: String,
    pub case_number: String,
    pub full_name: String,
    pub site: String,
    pub sex: Option<Sex>,
    pub birth: Option<String>,
    pub age: Option<u8>,
    pub origin_province: Option<String>,
}

impl PersonBrief {
    /// What a role that sees only minimal records (police liaison) may see of this person:
    /// the birth year's age, not the birth date.
    pub(crate) fn limit_to(&mut self, scope: &AccessScope, sites: &[pulang_store::accounts::Site]) {
        let site_id = sites
            .iter()
            .find(|s| s.code == self.site)
            .map(|s| s.id.as_str());
        if !site_id.is_some_and(|id| scope.can_at(Permission::ReadPerson, id)) {
            self.birth = None;
        }
    }

    fn of(e: &crate::index::Entry, sites: &[pulang_store::accounts::Site]) -> PersonBrief {
        PersonBrief {
            id: e.id.clone(),
            case_number: e.case_number.clone(),
            full_name: e.full_name.clone(),
            site: site_code(sites, &e.site_id),
            sex: e.sex,
            birth: e.birth.clone(),
            age: e.age,
            origin_province: e.origin_province.clone(),
        }
    }
}

/// An existing person who may be the one being registered: the minimum to tell them apart.
#[derive(Debug, Clone, Serialize)]
pub struct PossibleMatch {
    #[serde(flatten)]
    pub person: PersonBrief,
    pub probability: f64,
    /// Fields that agree or disagree, strongest first; missing fields left out.
    pub reasons: Vec<Reason>,
}

/// One side of a review pair.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewSide {
    #[serde(flatten)]
    pub person: PersonBrief,
    pub created_at: i64,
    /// Merged into another record since the pair was queued.
    pub merged: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewView {
    pub id: String,
    pub probability: f64,
    pub reasons: Vec<Reason>,
    pub origin: ReviewOrigin,
    pub status: ReviewStatus,
    pub left: ReviewSide,
    pub right: ReviewSide,
    pub decided_by: Option<String>,
}

pub(crate) fn reasons_of(fields: &[FieldWeight]) -> Vec<Reason> {
    let mut r: Vec<Reason> = fields
        .iter()
        .filter(|f| f.level != "missing")
        .map(Reason::from)
        .collect();
    r.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
    r
}

impl App {
    /// Up to `limit` (at most 5) people already registered who may be the person in `form`,
    /// within the caller's sites. The query is audited (as a search is); nothing is written.
    pub async fn possible_matches(
        &self,
        scope: &AccessScope,
        form: &PersonForm,
        limit: usize,
    ) -> Result<Vec<PossibleMatch>, AppError> {
        let filter = scope.require(Permission::ReadPersonMinimal)?;
        // A partial record is fine (the registrar is still typing), a malformed value is not:
        // it would match on something the register can never hold.
        let (_, mut checked) = form.validate(crate::today());
        checked.errors.retain(|e| e.code != "required");
        if !checked.errors.is_empty() {
            return Err(AppError::Invalid(checked));
        }
        let mut out = self
            .match_record(&filter, &form_record(form), limit.clamp(1, 5), PANEL_MIN)
            .await?;
        let sites = self.sites_cached().await?;
        for m in &mut out {
            m.person.limit_to(scope, &sites);
        }
        self.store
            .audit(
                scope.username(),
                "*",
                AuditAction::PersonMatch,
                &format!("results:{}", out.len()),
            )
            .await?;
        Ok(out)
    }

    /// Possible matches without the audit event (for callers that audit what they do).
    pub(crate) async fn match_record(
        &self,
        filter: &pulang_store::SiteFilter,
        rec: &pulang_matching::RawRecord,
        limit: usize,
        min: f64,
    ) -> Result<Vec<PossibleMatch>, AppError> {
        if rec.full_name.trim().is_empty()
            && rec.phone.is_empty()
            && rec.nik.is_empty()
            && rec.passport_no.is_empty()
        {
            return Ok(Vec::new());
        }
        let sites = self.sites_cached().await?;
        let index = self.index.read().await;
        Ok(index
            .possible_matches(filter, rec, limit, min)
            .into_iter()
            .map(|(e, c)| PossibleMatch {
                person: PersonBrief::of(e, &sites),
                probability: c.probability,
                reasons: reasons_of(&c.reasons),
            })
            .collect())
    }

    /// Queues for review every candidate at or above [`REVIEW_MIN`] of a person just
    /// registered as new (the registrar judged them different; a caseworker confirms).
    /// Candidates are looked for at every site (people move between missions); the pairs are
    /// seen only by scopes covering both records, and the count returned is of those that
    /// `caller` may see, so it tells nobody that someone matching exists elsewhere.
    pub(crate) async fn queue_candidates(
        &self,
        rec: &pulang_store::people::PersonRecord,
        origin: ReviewOrigin,
        caller: &pulang_store::SiteFilter,
    ) -> Result<usize, AppError> {
        let candidates = self
            .match_record(
                &pulang_store::SiteFilter::All,
                &raw_record(&rec.id, &rec.details),
                6,
                REVIEW_MIN,
            )
            .await?;
        let mut queued = 0;
        for c in candidates.iter().filter(|c| c.person.id != rec.id) {
            let reasons = serde_json::to_string(&c.reasons).unwrap_or_else(|_| "[]".into());
            if self
                .store
                .queue_review(
                    &rec.site_id,
                    &c.person.id,
                    &rec.id,
                    c.probability,
                    &reasons,
                    origin,
                )
                .await?
                .is_some()
            {
                let site = self
                    .index
                    .read()
                    .await
                    .get(&c.person.id)
                    .map(|e| e.site_id.clone());
                queued += usize::from(site.is_some_and(|s| caller.allows(&s)));
            }
        }
        Ok(queued)
    }

    fn side(
        &self,
        index: &crate::index::NameIndex,
        sites: &[pulang_store::accounts::Site],
        id: &str,
    ) -> ReviewSide {
        match index.get(id) {
            Some(e) => ReviewSide {
                person: PersonBrief::of(e, sites),
                created_at: e.created_at,
                merged: e.merged_into.is_some(),
            },
            None => ReviewSide {
                person: PersonBrief {
                    id: id.to_string(),
                    case_number: "?".into(),
                    site: "?".into(),
                    ..PersonBrief::default()
                },
                created_at: 0,
                merged: false,
            },
        }
    }

    fn review_view(
        &self,
        index: &crate::index::NameIndex,
        sites: &[pulang_store::accounts::Site],
        p: ReviewPair,
    ) -> ReviewView {
        ReviewView {
            left: self.side(index, sites, &p.left_id),
            right: self.side(index, sites, &p.right_id),
            reasons: serde_json::from_str(&p.reasons).unwrap_or_default(),
            id: p.id,
            probability: p.probability,
            origin: p.origin,
            status: p.status,
            decided_by: p.decided_by,
        }
    }

    /// The review queue: pending pairs (most probable first), then deferred ones. Audited as a
    /// listing (it names people).
    pub async fn reviews(
        &self,
        scope: &AccessScope,
        statuses: &[ReviewStatus],
        limit: usize,
    ) -> Result<Vec<ReviewView>, AppError> {
        let filter = scope.require(Permission::ResolveIdentity)?;
        let pairs = self
            .store
            .reviews(&filter, statuses, limit.clamp(1, 500))
            .await?;
        let sites = self.sites_cached().await?;
        let index = self.index.read().await;
        let out: Vec<ReviewView> = pairs
            .into_iter()
            .map(|p| self.review_view(&index, &sites, p))
            .collect();
        drop(index);
        self.store
            .audit(
                scope.username(),
                "*",
                AuditAction::ReviewList,
                &format!("results:{}", out.len()),
            )
            .await?;
        Ok(out)
    }

    pub async fn review_counts(
        &self,
        scope: &AccessScope,
    ) -> Result<Vec<(ReviewStatus, i64)>, AppError> {
        let filter = scope.require(Permission::ResolveIdentity)?;
        Ok(self.store.review_counts(&filter).await?)
    }

    /// One pair, to decide on: both records are read (and audited as reads).
    pub async fn review(&self, scope: &AccessScope, id: &str) -> Result<ReviewView, AppError> {
        let filter = scope.require(Permission::ResolveIdentity)?;
        let p = self.store.review(&filter, id).await?;
        for pid in [&p.left_id, &p.right_id] {
            self.store
                .audit(
                    scope.username(),
                    &p.site_id,
                    AuditAction::PersonReadForReview,
                    pid,
                )
                .await?;
        }
        let sites = self.sites_cached().await?;
        let index = self.index.read().await;
        Ok(self.review_view(&index, &sites, p))
    }

    /// Confirms (merging into `keep`, by default the earlier record), rejects or defers a pair.
    pub async fn decide_review(
        &self,
        scope: &AccessScope,
        id: &str,
        decision: &str,
        keep: Option<&str>,
    ) -> Result<Option<Merge>, AppError> {
        let filter = scope.require(Permission::ResolveIdentity)?;
        let decision = ReviewStatus::decision(decision)
            .ok_or_else(|| AppError::BadRequest(format!("unknown decision {decision:?}")))?;
        let merge = self
            .store
            .decide_review(&scope.actor(), &filter, id, decision, keep)
            .await?;
        if merge.is_some() {
            self.caught_up().await;
        }
        Ok(merge)
    }

    /// Merges `merged` into `survivor`.
    pub async fn merge_people(
        &self,
        scope: &AccessScope,
        survivor: &str,
        merged: &str,
    ) -> Result<Merge, AppError> {
        let filter = scope.require(Permission::ResolveIdentity)?;
        let m = self
            .store
            .merge_people(&scope.actor(), &filter, survivor, merged)
            .await?;
        self.caught_up().await;
        Ok(m)
    }

    /// Undoes a merge.
    pub async fn unmerge(&self, scope: &AccessScope, merge_id: &str) -> Result<Merge, AppError> {
        let filter = scope.require(Permission::ResolveIdentity)?;
        let m = self
            .store
            .unmerge(&scope.actor(), &filter, merge_id)
            .await?;
        self.caught_up().await;
        Ok(m)
    }

    pub async fn merges_of(
        &self,
        scope: &AccessScope,
        person_id: &str,
    ) -> Result<Vec<Merge>, AppError> {
        let filter = scope.require(Permission::ReadPerson)?;
        Ok(self.store.merges_of(&filter, person_id).await?)
    }

    /// Finds possible duplicates across the register (the caller's sites) with the batch
    /// engine and queues the uncertain and likely pairs for review. Returns how many were
    /// queued (pairs already known are not queued again).
    pub async fn scan_for_duplicates(&self, scope: &AccessScope) -> Result<usize, AppError> {
        let filter = scope.require(Permission::ResolveIdentity)?;
        let people = self.store.person_summaries(&filter).await?;
        let people: Vec<_> = people
            .people
            .into_iter()
            .filter(|p| p.merged_into.is_none())
            .collect();
        let records: Vec<_> = people
            .iter()
            .map(|p| raw_record(&p.id, &p.details))
            .collect();
        let cfg = pulang_matching::Config {
            ref_year: crate::index::ref_year(),
            pairs_min_probability: REVIEW_MIN,
            ..Default::default()
        };
        let out = tokio::task::spawn_blocking(move || {
            pulang_matching::dedupe(&records, &cfg, &mut |_| {})
        })
        .await
        .map_err(|e| AppError::internal(format!("matching failed: {e}")))?;
        let model = out.model;
        let mut queued = 0;
        for p in &out.pairs {
            let (l, r) = (&people[p.l as usize], &people[p.r as usize]);
            let reasons = model
                .as_ref()
                .map(|m| reasons_of(&m.explain(&p.levels, p.tf)))
                .unwrap_or_default();
            let reasons = serde_json::to_string(&reasons).unwrap_or_else(|_| "[]".into());
            if self
                .store
                .queue_review(
                    &r.site_id,
                    &l.id,
                    &r.id,
                    p.probability,
                    &reasons,
                    ReviewOrigin::Dedupe,
                )
                .await?
                .is_some()
            {
                queued += 1;
            }
        }
        self.store
            .audit(
                scope.username(),
                "*",
                AuditAction::ReviewScan,
                &format!("queued:{queued}"),
            )
            .await?;
        Ok(queued)
    }
}

/// The form's raw fields as the matching engine reads them (no validation needed: the engine
/// normalises what it can and ignores the rest).
pub(crate) fn form_record(f: &PersonForm) -> pulang_matching::RawRecord {
    pulang_matching::RawRecord {
        id: String::new(),
        source: String::new(),
        full_name: f.full_name.clone(),
        sex: f.sex.clone().unwrap_or_default(),
        birth_date: f.birth_date.clone().unwrap_or_default(),
        age: f.age.map(|a| a.to_string()).unwrap_or_default(),
        phone: f.phones.join(";"),
        passport_no: f.passport_no.clone().unwrap_or_default(),
        nik: f.nik.clone().unwrap_or_default(),
        origin_province: f.origin_province.clone().unwrap_or_default(),
        address: f.origin_regency.clone().unwrap_or_default(),
    }
}
