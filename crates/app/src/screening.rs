//! Screening interviews: start or resume, save answers section by section, sign off (locks),
//! correct (a new version), and the evaluation that explains the outcome. The engine is
//! `pulang-screening`; this module stores and audits.
use pulang_domain::AuditAction;
pub use pulang_domain::ScreeningStatus;
use pulang_screening::{Catalogue, Evaluation, ScreeningInput};
pub use pulang_store::screenings::ScreeningRecord;
use pulang_store::SiteFilter;
use serde::Serialize;

use crate::{AccessScope, App, AppError, Permission, PersonView};

/// A screening with its decoded input, its evaluation and who it is about.
#[derive(Debug, Clone, Serialize)]
pub struct ScreeningView {
    pub record: ScreeningRecord,
    pub input: ScreeningInput,
    pub evaluation: Evaluation,
    pub person: PersonView,
    /// Signed screenings are locked; corrections create a new version.
    pub locked: bool,
    /// When a newer catalogue has been shipped since: the same answers under it, with the
    /// difference. The stored result is never rewritten.
    pub under_latest: Option<pulang_screening::EvaluationDiff>,
}

/// A line in a person's list of screenings.
#[derive(Debug, Clone, Serialize)]
pub struct ScreeningSummary {
    pub id: String,
    pub version: i64,
    pub status: ScreeningStatus,
    pub outcome: String,
    pub catalogue_version: String,
    pub signed_by: Option<String>,
    pub signed_at: Option<i64>,
}

fn evaluate(catalogue_version: &str, input: &ScreeningInput) -> Result<Evaluation, AppError> {
    let cat =
        Catalogue::builtin(catalogue_version).map_err(|e| AppError::BadRequest(e.to_string()))?;
    pulang_screening::evaluate_with(cat, input).map_err(|e| AppError::BadRequest(e.to_string()))
}

fn to_json(input: &ScreeningInput) -> String {
    serde_json::to_string(input).expect("screening input serialises")
}

fn decode(rec: &ScreeningRecord) -> Result<ScreeningInput, AppError> {
    ScreeningInput::from_json(&rec.input)
        .map_err(|e| AppError::internal(format!("stored screening: {e}")))
}

impl App {
    /// Stores a new draft of `input` under the current catalogue (a first screening, or a
    /// correction of `supersedes`).
    async fn new_version(
        &self,
        scope: &AccessScope,
        filter: &pulang_store::SiteFilter,
        person_id: &str,
        supersedes: Option<&str>,
        input: ScreeningInput,
    ) -> Result<ScreeningRecord, AppError> {
        let cat = Catalogue::latest();
        let eval = evaluate(&cat.version, &input)?;
        Ok(self
            .store
            .start_screening(
                &scope.actor(),
                filter,
                person_id,
                supersedes,
                &cat.version,
                &to_json(&input),
                eval.outcome.as_str(),
            )
            .await?)
    }

    /// The draft in progress for a person, if any (there is at most one).
    async fn draft_of(
        &self,
        filter: &SiteFilter,
        person_id: &str,
    ) -> Result<Option<ScreeningRecord>, AppError> {
        Ok(self
            .store
            .screenings_of(filter, person_id)
            .await?
            .into_iter()
            .find(|s| s.status == ScreeningStatus::Draft))
    }

    /// Starts a screening of a person, or returns the draft already in progress (resumable).
    pub async fn start_screening(
        &self,
        scope: &AccessScope,
        person_id: &str,
    ) -> Result<ScreeningRecord, AppError> {
        let filter = scope.require(Permission::Screen)?;
        // The person read checks the site and is audited.
        let person = self
            .store
            .read_person(&scope.actor(), &filter, person_id, AuditAction::PersonRead)
            .await?;
        if let Some(draft) = self.draft_of(&filter, &person.id).await? {
            return Ok(draft);
        }
        self.new_version(scope, &filter, &person.id, None, ScreeningInput::default())
            .await
    }

    /// A screening with its evaluation (an audited read).
    pub async fn screening(
        &self,
        scope: &AccessScope,
        id: &str,
    ) -> Result<ScreeningView, AppError> {
        let filter = scope.require(Permission::Screen)?;
        let record = self
            .store
            .read_screening(&scope.actor(), &filter, id, AuditAction::ScreeningRead)
            .await?;
        let input = decode(&record)?;
        let evaluation = evaluate(&record.catalogue_version, &input)?;
        let page = self.person(scope, &record.person_id, false).await?;
        let latest = Catalogue::latest();
        let under_latest = if latest.version != record.catalogue_version {
            pulang_screening::reevaluate(&input, &evaluation, latest)
                .ok()
                .map(|r| r.diff)
        } else {
            None
        };
        Ok(ScreeningView {
            under_latest,
            locked: record.status == ScreeningStatus::Signed,
            record,
            input,
            evaluation,
            person: page.person,
        })
    }

    /// Saves the answers of a draft (and, with `sign`, signs it off and locks it).
    pub async fn save_screening(
        &self,
        scope: &AccessScope,
        id: &str,
        input: ScreeningInput,
        sign: bool,
    ) -> Result<Evaluation, AppError> {
        let filter = scope.require(Permission::Screen)?;
        let record = self
            .store
            .read_screening(
                &scope.actor(),
                &filter,
                id,
                AuditAction::ScreeningReadForEdit,
            )
            .await?;
        if record.status == ScreeningStatus::Signed {
            return Err(AppError::Conflict(
                "this screening is signed and locked; start a correction to change it".into(),
            ));
        }
        let evaluation = evaluate(&record.catalogue_version, &input)?;
        self.store
            .save_screening(
                &scope.actor(),
                &filter,
                id,
                &to_json(&input),
                evaluation.outcome.as_str(),
                sign,
            )
            .await?;
        Ok(evaluation)
    }

    /// Starts a correction of a signed screening: a new draft version with the same answers,
    /// under the current catalogue. The signed version stays as it was.
    pub async fn correct_screening(
        &self,
        scope: &AccessScope,
        id: &str,
    ) -> Result<ScreeningRecord, AppError> {
        let filter = scope.require(Permission::Screen)?;
        let record = self
            .store
            .read_screening(&scope.actor(), &filter, id, AuditAction::ScreeningRead)
            .await?;
        if record.status != ScreeningStatus::Signed {
            return Err(AppError::Conflict(
                "only a signed screening can be corrected; this one is still a draft".into(),
            ));
        }
        if let Some(draft) = self.draft_of(&filter, &record.person_id).await? {
            return Ok(draft);
        }
        let input = decode(&record)?;
        self.new_version(scope, &filter, &record.person_id, Some(&record.id), input)
            .await
    }

    /// The screenings of a person the caller may screen (newest first). Empty for other roles.
    pub async fn screenings_of(
        &self,
        scope: &AccessScope,
        person: &PersonView,
    ) -> Result<Vec<ScreeningSummary>, AppError> {
        let filter = scope.sites_for(Permission::Screen);
        let sites = self.sites_cached().await?;
        let site_ok = sites
            .iter()
            .any(|s| s.code == person.site && filter.allows(&s.id));
        if !site_ok {
            return Ok(vec![]);
        }
        Ok(self
            .store
            .screenings_of(&filter, &person.id)
            .await?
            .into_iter()
            .map(|s| ScreeningSummary {
                id: s.id,
                version: s.version,
                status: s.status,
                outcome: s.outcome,
                catalogue_version: s.catalogue_version,
                signed_by: s.signed_by,
                signed_at: s.signed_at,
            })
            .collect())
    }
}
