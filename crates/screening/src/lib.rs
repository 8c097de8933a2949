//! # pulang-screening
//!
//! The screening engine for people returning from online scam compounds: is this person a
//! presumed victim of trafficking who must not be punished, or is more information needed?
//! Pure (no I/O), deterministic, explainable. See `docs/screening.md` in the workspace.
//! Must not: store anything, know who asks, or give a bare "not a victim": every outcome
//! explains itself and names what is still unknown.
//!
//! - [`Catalogue`]: the versioned indicator catalogue shipped as data (`catalogue/v1.json`).
//! - [`evaluate`] / [`evaluate_with`]: four evaluators (ILO/EC dimensions, direct Palermo test,
//!   forced labour, non-punishment), a graded [`Outcome`], flags, open questions and a bilingual
//!   explanation.
//! - [`reevaluate`]: the same answers under a newer catalogue, with the difference.
//! - [`catalogue_json`] / [`evaluate_json`]: the JSON contract behind `pulang screen`.
//!
//! Sources are cited beside each rule; all of them come from the project's reference
//! `screening-standards.md` (section numbers "§n" below refer to it). Indicator lists are
//! screening tools, not legal tests: the competent authority decides who is a victim.

mod catalogue;
mod diff;
mod error;
mod evaluation;
mod facts;
mod forced_labour;
mod ilo;
mod input;
mod model;
mod non_punishment;
mod palermo;
mod text;

pub use catalogue::{
    Catalogue, Combination, Entry, Grade, Kind, LegalBasis, LiabilitySpec, Nature, Pattern, Rules,
};
pub use diff::{diff, reevaluate, Change, EvaluationDiff, Reevaluation};
pub use error::ScreeningError;
pub use evaluation::{
    evaluate_with, AgeInfo, AnswerCounts, Evaluation, Evaluators, Evidence, Flag, FlagCode,
    OpenQuestion,
};
pub use forced_labour::ForcedLabourEvaluation;
pub use ilo::{
    CountedIndicator, DimensionResult, IloEvaluation, IndicatorList, ListResult, Typology,
    UncountedIndicator, UncountedReason,
};
pub use input::{Answer, AnswerValue, EvidenceSource, Liability, ScreeningInput};
pub use model::{AgeStatus, ElementGroup, FoundElement, Outcome, Verdict};
pub use non_punishment::{
    LiabilityAssessment, LinkTest, LinkVerdict, NonPunishmentEvaluation, QuotedBasis,
};
pub use palermo::{ConsentAssessment, PalermoEvaluation, RulesApplied};
pub use text::{Lang, Lines, Text};

/// Evaluates `input` under the current shipped catalogue.
pub fn evaluate(input: &ScreeningInput) -> Result<Evaluation, ScreeningError> {
    evaluate_with(Catalogue::latest(), input)
}

/// The current catalogue as JSON (what `pulang screen --catalogue` prints).
pub fn catalogue_json() -> serde_json::Value {
    Catalogue::latest().to_json()
}

/// Parses the JSON input contract, evaluates it under the current catalogue and returns the
/// evaluation as JSON (what `pulang screen --input` prints).
pub fn evaluate_json(input: &str) -> Result<serde_json::Value, ScreeningError> {
    let input = ScreeningInput::from_json(input)?;
    let evaluation = evaluate(&input)?;
    serde_json::to_value(&evaluation).map_err(|e| ScreeningError::InvalidInput {
        path: "output".into(),
        reason: e.to_string(),
    })
}
