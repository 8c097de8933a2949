//! Re-evaluation under a newer catalogue: the stored screening keeps the version it was decided
//! under; re-evaluating shows the difference instead of rewriting history.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalogue::Catalogue;
use crate::error::ScreeningError;
use crate::evaluation::{evaluate_with, Evaluation, FlagCode};
use crate::input::ScreeningInput;
use crate::model::{Outcome, Verdict};
use crate::text::{t, Text};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change<T> {
    pub before: T,
    pub after: T,
}

/// What changed between two evaluations of the same answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationDiff {
    pub from_version: String,
    pub to_version: String,
    pub unchanged: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Change<Outcome>>,
    pub dimensions: BTreeMap<String, Change<bool>>,
    pub verdicts: BTreeMap<String, Change<Verdict>>,
    pub flags_added: Vec<FlagCode>,
    pub flags_removed: Vec<FlagCode>,
    pub summary: Text,
}

/// A stored screening re-evaluated: the old result untouched, the new one, and the difference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reevaluation {
    pub previous: Evaluation,
    pub current: Evaluation,
    pub diff: EvaluationDiff,
}

/// Each evaluator's verdict, by name.
fn verdicts_of(e: &Evaluation) -> [(&'static str, Verdict); 4] {
    let v = &e.evaluators;
    [
        ("ilo_ec", v.ilo_ec.verdict),
        ("palermo", v.palermo.verdict),
        ("forced_labour", v.forced_labour.verdict),
        ("non_punishment", v.non_punishment.verdict),
    ]
}

/// Compares two evaluations (normally of the same answers under two catalogue versions).
pub fn diff(before: &Evaluation, after: &Evaluation) -> EvaluationDiff {
    let outcome = (before.outcome != after.outcome).then_some(Change {
        before: before.outcome,
        after: after.outcome,
    });
    let mut dimensions = BTreeMap::new();
    for (d, b) in &before.dimensions {
        let a = after.dimensions.get(d).copied().unwrap_or(false);
        if *b != a {
            dimensions.insert(
                d.clone(),
                Change {
                    before: *b,
                    after: a,
                },
            );
        }
    }
    let verdicts: BTreeMap<String, Change<Verdict>> = verdicts_of(before)
        .into_iter()
        .zip(verdicts_of(after))
        .filter(|((_, b), (_, a))| b != a)
        .map(|((k, b), (_, a))| {
            (
                k.to_string(),
                Change {
                    before: b,
                    after: a,
                },
            )
        })
        .collect();
    let codes = |e: &Evaluation| {
        let mut v: Vec<FlagCode> = e.flags.iter().map(|f| f.code).collect();
        v.sort();
        v.dedup();
        v
    };
    let (bc, ac) = (codes(before), codes(after));
    let flags_added: Vec<FlagCode> = ac.iter().filter(|c| !bc.contains(c)).copied().collect();
    let flags_removed: Vec<FlagCode> = bc.iter().filter(|c| !ac.contains(c)).copied().collect();
    let unchanged = outcome.is_none()
        && dimensions.is_empty()
        && verdicts.is_empty()
        && flags_added.is_empty()
        && flags_removed.is_empty();
    let summary = match &outcome {
        None if unchanged => t!(
            format!("Re-evaluated under catalogue {}: no change from catalogue {}.", after.catalogue_version, before.catalogue_version),
            format!("Dievaluasi ulang dengan katalog {}: tidak ada perubahan dari katalog {}.", after.catalogue_version, before.catalogue_version),
        ),
        None => t!(
            format!("Re-evaluated under catalogue {}: the outcome is unchanged ({}), but details changed from catalogue {}.", after.catalogue_version, after.outcome_label.en, before.catalogue_version),
            format!("Dievaluasi ulang dengan katalog {}: hasilnya tetap ({}), tetapi rinciannya berubah dari katalog {}.", after.catalogue_version, after.outcome_label.id, before.catalogue_version),
        ),
        Some(c) => t!(
            format!("Re-evaluated under catalogue {}: the outcome changes from '{}' (catalogue {}) to '{}'. The earlier screening stands as recorded; a caseworker decides whether to open a new version.", after.catalogue_version, c.before.label().en, before.catalogue_version, c.after.label().en),
            format!("Dievaluasi ulang dengan katalog {}: hasilnya berubah dari '{}' (katalog {}) menjadi '{}'. Penapisan sebelumnya tetap seperti tercatat; pekerja kasus memutuskan apakah membuka versi baru.", after.catalogue_version, c.before.label().id, before.catalogue_version, c.after.label().id),
        ),
    };
    EvaluationDiff {
        from_version: before.catalogue_version.clone(),
        to_version: after.catalogue_version.clone(),
        unchanged,
        outcome,
        dimensions,
        verdicts,
        flags_added,
        flags_removed,
        summary,
    }
}

/// Re-evaluates stored answers under `newer` and reports the difference from `previous`
/// (which is returned untouched).
pub fn reevaluate(
    input: &ScreeningInput,
    previous: &Evaluation,
    newer: &Catalogue,
) -> Result<Reevaluation, ScreeningError> {
    let current = evaluate_with(newer, input)?;
    let diff = diff(previous, &current);
    Ok(Reevaluation {
        previous: previous.clone(),
        current,
        diff,
    })
}
