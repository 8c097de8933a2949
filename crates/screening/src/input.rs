//! The screening input: age at recruitment, answers and liabilities.
//!
//! JSON shape (the `pulang screen` contract):
//! `{"age_at_recruitment": 24 | null, "answers": {"ilo.d1.1": {"value": "present", "source":
//! "self_report", "note": "…"}, …}, "liabilities": ["participation_in_fraud", {"kind": …}]}`.
//! Parsing is strict: unknown fields, ids, values, sources and liabilities are typed errors.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::catalogue::{Catalogue, Nature};
use crate::error::ScreeningError;

/// An answer's value. Unanswered questions count as `unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerValue {
    Present,
    Absent,
    Unknown,
    /// The person chose not to answer. Never held against them; counts like `unknown`.
    Declined,
}

impl AnswerValue {
    pub fn parse(s: &str) -> Option<AnswerValue> {
        match s {
            "present" => Some(AnswerValue::Present),
            "absent" => Some(AnswerValue::Absent),
            "unknown" => Some(AnswerValue::Unknown),
            "declined" => Some(AnswerValue::Declined),
            _ => None,
        }
    }
}

/// Where the answer's evidence comes from (design §8.4). Recorded and shown; it does not change
/// the outcome (no source is discounted: trauma and the absence of documents are the norm).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSource {
    #[default]
    SelfReport,
    /// Corroborated by another person (e.g. a co-survivor).
    Corroborated,
    Documentary,
    DeviceContent,
    OfficerObservation,
}

impl EvidenceSource {
    pub fn parse(s: &str) -> Option<EvidenceSource> {
        match s {
            "self_report" => Some(EvidenceSource::SelfReport),
            "corroborated" => Some(EvidenceSource::Corroborated),
            "documentary" => Some(EvidenceSource::Documentary),
            "device_content" => Some(EvidenceSource::DeviceContent),
            "officer_observation" => Some(EvidenceSource::OfficerObservation),
            _ => None,
        }
    }
}

/// One recorded answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub value: AnswerValue,
    #[serde(default)]
    pub source: EvidenceSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Answer {
    pub fn new(value: AnswerValue, source: EvidenceSource) -> Self {
        Answer {
            value,
            source,
            note: None,
        }
    }

    pub fn present() -> Self {
        Answer::new(AnswerValue::Present, EvidenceSource::SelfReport)
    }

    pub fn absent() -> Self {
        Answer::new(AnswerValue::Absent, EvidenceSource::SelfReport)
    }
}

/// A liability the person faces, by catalogue kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Liability {
    pub kind: String,
    /// Overrides the catalogue's nature (criminal/administrative) where the jurisdiction differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nature: Option<Nature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Liability {
    pub fn new(kind: &str) -> Self {
        Liability {
            kind: kind.to_string(),
            nature: None,
            note: None,
        }
    }
}

/// Everything the engine evaluates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningInput {
    /// Age in whole years when recruited; `None` when unknown.
    pub age_at_recruitment: Option<u8>,
    #[serde(default)]
    pub answers: BTreeMap<String, Answer>,
    #[serde(default)]
    pub liabilities: Vec<Liability>,
}

const TOP_FIELDS: &str = "age_at_recruitment, answers or liabilities";

impl ScreeningInput {
    /// Parses the JSON contract strictly.
    pub fn from_json(text: &str) -> Result<ScreeningInput, ScreeningError> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| ScreeningError::InvalidJson(e.to_string()))?;
        Self::from_value(&v)
    }

    /// Parses an already-decoded JSON value strictly.
    pub fn from_value(v: &Value) -> Result<ScreeningInput, ScreeningError> {
        let obj = v.as_object().ok_or_else(|| ScreeningError::InvalidInput {
            path: "input".into(),
            reason: "expected a JSON object".into(),
        })?;
        for k in obj.keys() {
            if !["age_at_recruitment", "answers", "liabilities"].contains(&k.as_str()) {
                return Err(ScreeningError::UnknownField {
                    path: "input".into(),
                    field: k.clone(),
                    expected: TOP_FIELDS,
                });
            }
        }
        let age_at_recruitment = match obj.get("age_at_recruitment") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(a) if a <= 120 => Some(a as u8),
                _ => return Err(ScreeningError::InvalidAge(n.to_string())),
            },
            Some(other) => return Err(ScreeningError::InvalidAge(other.to_string())),
        };
        let mut answers = BTreeMap::new();
        match obj.get("answers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (id, a) in map {
                    answers.insert(id.clone(), parse_answer(id, a)?);
                }
            }
            Some(_) => {
                return Err(ScreeningError::InvalidInput {
                    path: "answers".into(),
                    reason: "expected an object mapping indicator ids to answers".into(),
                })
            }
        }
        let mut liabilities = Vec::new();
        match obj.get("liabilities") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    liabilities.push(parse_liability(i, item)?);
                }
            }
            Some(_) => {
                return Err(ScreeningError::InvalidInput {
                    path: "liabilities".into(),
                    reason: "expected an array".into(),
                })
            }
        }
        Ok(ScreeningInput {
            age_at_recruitment,
            answers,
            liabilities,
        })
    }

    /// Checks ids and liability kinds against a catalogue.
    pub fn validate(&self, cat: &Catalogue) -> Result<(), ScreeningError> {
        if let Some(a) = self.age_at_recruitment {
            if a > 120 {
                return Err(ScreeningError::InvalidAge(a.to_string()));
            }
        }
        for id in self.answers.keys() {
            if cat.entry(id).is_none() {
                return Err(ScreeningError::UnknownId(id.clone()));
            }
        }
        for (index, l) in self.liabilities.iter().enumerate() {
            if cat.liability(&l.kind).is_none() {
                return Err(ScreeningError::UnknownLiability {
                    index,
                    kind: l.kind.clone(),
                    expected: liability_kinds(cat),
                });
            }
        }
        Ok(())
    }

    /// Ids answered `present`.
    pub fn present_ids(&self) -> BTreeSet<String> {
        self.ids_with(AnswerValue::Present)
    }

    pub(crate) fn ids_with(&self, value: AnswerValue) -> BTreeSet<String> {
        self.answers
            .iter()
            .filter(|(_, a)| a.value == value)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The value of an answer; unanswered is `unknown`.
    pub fn value(&self, id: &str) -> AnswerValue {
        self.answers
            .get(id)
            .map(|a| a.value)
            .unwrap_or(AnswerValue::Unknown)
    }

    /// Sets an answer (builder style, for tests and callers).
    pub fn with(mut self, id: &str, answer: Answer) -> Self {
        self.answers.insert(id.to_string(), answer);
        self
    }

    pub fn with_present(self, id: &str) -> Self {
        self.with(id, Answer::present())
    }

    pub fn with_absent(self, id: &str) -> Self {
        self.with(id, Answer::absent())
    }

    pub fn with_liability(mut self, kind: &str) -> Self {
        self.liabilities.push(Liability::new(kind));
        self
    }

    pub fn aged(mut self, age: Option<u8>) -> Self {
        self.age_at_recruitment = age;
        self
    }
}

fn liability_kinds(cat: &Catalogue) -> String {
    cat.liabilities
        .iter()
        .map(|l| l.kind.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_answer(id: &str, v: &Value) -> Result<Answer, ScreeningError> {
    let path = format!("answers.{id}");
    // Shorthand: "ilo.d1.1": "present".
    if let Value::String(s) = v {
        let value = AnswerValue::parse(s).ok_or_else(|| ScreeningError::InvalidValue {
            id: id.to_string(),
            value: s.clone(),
        })?;
        return Ok(Answer::new(value, EvidenceSource::SelfReport));
    }
    let obj: &Map<String, Value> = v.as_object().ok_or_else(|| ScreeningError::InvalidInput {
        path: path.clone(),
        reason: "expected {\"value\": …, \"source\": …, \"note\": …}".into(),
    })?;
    for k in obj.keys() {
        if !["value", "source", "note"].contains(&k.as_str()) {
            return Err(ScreeningError::UnknownField {
                path,
                field: k.clone(),
                expected: "value, source or note",
            });
        }
    }
    let value = match obj.get("value") {
        Some(Value::String(s)) => {
            AnswerValue::parse(s).ok_or_else(|| ScreeningError::InvalidValue {
                id: id.to_string(),
                value: s.clone(),
            })?
        }
        Some(other) => {
            return Err(ScreeningError::InvalidValue {
                id: id.to_string(),
                value: other.to_string(),
            })
        }
        None => {
            return Err(ScreeningError::InvalidInput {
                path,
                reason: "missing \"value\" (present, absent, unknown or declined)".into(),
            })
        }
    };
    let source = match obj.get("source") {
        None | Some(Value::Null) => EvidenceSource::SelfReport,
        Some(Value::String(s)) => {
            EvidenceSource::parse(s).ok_or_else(|| ScreeningError::InvalidSource {
                id: id.to_string(),
                given: s.clone(),
            })?
        }
        Some(other) => {
            return Err(ScreeningError::InvalidSource {
                id: id.to_string(),
                given: other.to_string(),
            })
        }
    };
    let note = note_field(obj, &path)?;
    Ok(Answer {
        value,
        source,
        note,
    })
}

/// The optional `note` of the object at `path`: absent, null or a string.
fn note_field(obj: &Map<String, Value>, path: &str) -> Result<Option<String>, ScreeningError> {
    match obj.get("note") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScreeningError::InvalidInput {
            path: format!("{path}.note"),
            reason: "expected a string".into(),
        }),
    }
}

fn parse_liability(index: usize, v: &Value) -> Result<Liability, ScreeningError> {
    let path = format!("liabilities[{index}]");
    match v {
        Value::String(kind) => Ok(Liability::new(kind)),
        Value::Object(obj) => {
            for k in obj.keys() {
                if !["kind", "nature", "note"].contains(&k.as_str()) {
                    return Err(ScreeningError::UnknownField {
                        path,
                        field: k.clone(),
                        expected: "kind, nature or note",
                    });
                }
            }
            let kind = match obj.get("kind") {
                Some(Value::String(s)) => s.clone(),
                _ => {
                    return Err(ScreeningError::InvalidInput {
                        path,
                        reason: "missing \"kind\"".into(),
                    })
                }
            };
            let nature = match obj.get("nature") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => {
                    Some(
                        Nature::parse(s).ok_or_else(|| ScreeningError::InvalidNature {
                            index,
                            given: s.clone(),
                        })?,
                    )
                }
                Some(other) => {
                    return Err(ScreeningError::InvalidNature {
                        index,
                        given: other.to_string(),
                    })
                }
            };
            let note = note_field(obj, &path)?;
            Ok(Liability { kind, nature, note })
        }
        _ => Err(ScreeningError::InvalidInput {
            path,
            reason: "expected a liability kind or {\"kind\": …, \"note\": …}".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ScreeningInput, ScreeningError> {
        ScreeningInput::from_json(s)
    }

    #[test]
    fn parses_the_contract_shape() {
        let i = parse(
            r#"{"age_at_recruitment": 24, "answers": {"ilo.d1.1": {"value": "present", "source": "corroborated", "note": "ad on Facebook"},
                "ilo.d1.2": "absent", "ilo.d1.3": {"value": "declined"}}, "liabilities": ["participation_in_fraud", {"kind": "irregular_exit", "nature": "administrative", "note": "river"}]}"#,
        )
        .unwrap();
        assert_eq!(i.age_at_recruitment, Some(24));
        let a = &i.answers["ilo.d1.1"];
        assert_eq!(
            (a.value, a.source),
            (AnswerValue::Present, EvidenceSource::Corroborated)
        );
        assert_eq!(a.note.as_deref(), Some("ad on Facebook"));
        assert_eq!(i.answers["ilo.d1.2"].value, AnswerValue::Absent);
        assert_eq!(
            i.answers["ilo.d1.3"].source,
            EvidenceSource::SelfReport,
            "default source"
        );
        assert_eq!(
            i.value("ilo.d1.4"),
            AnswerValue::Unknown,
            "unanswered is unknown"
        );
        assert_eq!(i.liabilities[1].nature, Some(Nature::Administrative));
        assert_eq!(i.present_ids().len(), 1);
    }

    #[test]
    fn serialised_input_parses_back_strictly() {
        // Stored screenings keep the input as serialised by serde; the strict parser reads it.
        let mut i = ScreeningInput::default()
            .aged(Some(17))
            .with_present("fc.forced_to_scam")
            .with(
                "ilo.d5.4",
                Answer::new(AnswerValue::Declined, EvidenceSource::Corroborated),
            )
            .with_liability("participation_in_fraud");
        i.answers.get_mut("fc.forced_to_scam").unwrap().note = Some("chat logs".into());
        i.liabilities.push(Liability {
            kind: "irregular_exit".into(),
            nature: Some(Nature::Administrative),
            note: Some("fined".into()),
        });
        let text = serde_json::to_string(&i).unwrap();
        assert_eq!(ScreeningInput::from_json(&text).unwrap(), i);
        assert_eq!(serde_json::from_str::<ScreeningInput>(&text).unwrap(), i);
    }

    #[test]
    fn null_and_missing_fields() {
        let i = parse(r#"{"age_at_recruitment": null}"#).unwrap();
        assert_eq!(i, ScreeningInput::default());
        assert_eq!(parse("{}").unwrap(), ScreeningInput::default());
    }

    #[test]
    fn typed_errors() {
        use ScreeningError::*;
        assert!(matches!(parse("{"), Err(InvalidJson(_))));
        assert!(matches!(parse("[]"), Err(InvalidInput { .. })));
        assert!(matches!(parse(r#"{"age": 3}"#), Err(UnknownField { .. })));
        for age in ["-1", "121", "\"24\"", "24.5", "true"] {
            assert!(
                matches!(
                    parse(&format!(r#"{{"age_at_recruitment": {age}}}"#)),
                    Err(InvalidAge(_))
                ),
                "{age}"
            );
        }
        assert!(matches!(
            parse(r#"{"answers": []}"#),
            Err(InvalidInput { .. })
        ));
        assert_eq!(
            parse(r#"{"answers": {"ilo.d1.1": {"value": "yes"}}}"#).unwrap_err(),
            InvalidValue {
                id: "ilo.d1.1".into(),
                value: "yes".into()
            }
        );
        assert!(matches!(
            parse(r#"{"answers": {"ilo.d1.1": "maybe"}}"#),
            Err(InvalidValue { .. })
        ));
        assert!(matches!(
            parse(r#"{"answers": {"ilo.d1.1": {"source": "self_report"}}}"#),
            Err(InvalidInput { .. })
        ));
        assert_eq!(
            parse(r#"{"answers": {"ilo.d1.1": {"value": "present", "source": "rumour"}}}"#)
                .unwrap_err(),
            InvalidSource {
                id: "ilo.d1.1".into(),
                given: "rumour".into()
            }
        );
        assert!(matches!(
            parse(r#"{"answers": {"ilo.d1.1": {"value": "present", "weight": 2}}}"#),
            Err(UnknownField { .. })
        ));
        assert!(matches!(
            parse(r#"{"answers": {"ilo.d1.1": {"value": "present", "note": 5}}}"#),
            Err(InvalidInput { .. })
        ));
        assert!(matches!(
            parse(r#"{"liabilities": "fraud"}"#),
            Err(InvalidInput { .. })
        ));
        assert!(matches!(
            parse(r#"{"liabilities": [{"kind": "x", "court": 1}]}"#),
            Err(UnknownField { .. })
        ));
        assert!(matches!(
            parse(r#"{"liabilities": [{"note": "x"}]}"#),
            Err(InvalidInput { .. })
        ));
        assert!(matches!(
            parse(r#"{"liabilities": [{"kind": "x", "nature": "civil"}]}"#),
            Err(InvalidNature { .. })
        ));
        assert!(matches!(
            parse(r#"{"liabilities": [3]}"#),
            Err(InvalidInput { .. })
        ));
    }

    #[test]
    fn validation_against_the_catalogue() {
        let cat = Catalogue::latest();
        let i = parse(r#"{"answers": {"ilo.d9.1": "present"}}"#).unwrap();
        assert_eq!(
            i.validate(cat).unwrap_err(),
            ScreeningError::UnknownId("ilo.d9.1".into())
        );
        let i = parse(r#"{"liabilities": ["jaywalking"]}"#).unwrap();
        assert!(matches!(
            i.validate(cat),
            Err(ScreeningError::UnknownLiability { index: 0, .. })
        ));
        let i = parse(
            r#"{"answers": {"need.injury": "present"}, "liabilities": ["document_offence"]}"#,
        )
        .unwrap();
        i.validate(cat).unwrap();
    }

    #[test]
    fn error_messages_are_one_line() {
        let errs = [
            parse("{").unwrap_err(),
            parse(r#"{"answers": {"ilo.d1.1": "maybe"}}"#).unwrap_err(),
            ScreeningError::UnknownId("x".into()),
        ];
        for e in errs {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }
}
