//! Typed errors. Each message is one line, so the CLI can print it as is.

/// Everything that can go wrong when reading input or a catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScreeningError {
    #[error("input is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("{path}: {reason}")]
    InvalidInput { path: String, reason: String },
    #[error("{path}: unknown field {field:?} (expected {expected})")]
    UnknownField {
        path: String,
        field: String,
        expected: &'static str,
    },
    #[error("answers: unknown indicator id {0:?} (list the ids with `pulang screen --catalogue`)")]
    UnknownId(String),
    #[error(
        "answers.{id}: unknown value {value:?} (expected present, absent, unknown or declined)"
    )]
    InvalidValue { id: String, value: String },
    #[error("answers.{id}: unknown evidence source {given:?} (expected self_report, corroborated, documentary, device_content or officer_observation)")]
    InvalidSource { id: String, given: String },
    #[error("liabilities[{index}]: unknown liability {kind:?} (expected one of: {expected})")]
    UnknownLiability {
        index: usize,
        kind: String,
        expected: String,
    },
    #[error("liabilities[{index}]: unknown nature {given:?} (expected criminal, administrative or criminal_or_administrative)")]
    InvalidNature { index: usize, given: String },
    #[error("age_at_recruitment: {0} is not a whole number of years from 0 to 120 (or null when unknown)")]
    InvalidAge(String),
    #[error("unknown catalogue version {0:?}")]
    UnknownCatalogueVersion(String),
    #[error("catalogue {version}: {reason}")]
    InvalidCatalogue { version: String, reason: String },
}

pub(crate) fn bad_catalogue(version: &str, reason: impl Into<String>) -> ScreeningError {
    ScreeningError::InvalidCatalogue {
        version: version.to_string(),
        reason: reason.into(),
    }
}
