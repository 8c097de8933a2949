//! Evaluator 3: forced labour = involuntariness AND menace of penalty.
//!
//! ILO C29 Art. 2: "all work or service which is exacted from any person under the menace of any
//! penalty and for which the said person has not offered himself voluntarily". ICLS-20 (2018)
//! guidelines: "Both conditions must exist" (standards §3.2, [secondary]). Whether both must fall
//! in the same involuntariness dimension is [unverified]; this engine does not require it.

use serde::{Deserialize, Serialize};

use crate::catalogue::{Catalogue, Kind};
use crate::facts::{union, Facts};
use crate::model::{ElementGroup, FoundElement, Verdict};
use crate::text::{join, t, Lang, Lines, Text};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForcedLabourEvaluation {
    pub verdict: Verdict,
    pub answers_used: Vec<String>,
    pub involuntariness: ElementGroup,
    pub penalty: ElementGroup,
    pub reasoning: Lines,
}

fn group(cat: &Catalogue, facts: &Facts, dimension: &str) -> ElementGroup {
    ElementGroup::from(
        cat.entries_of(Kind::ForcedLabour)
            .filter(|e| e.dimension.as_deref() == Some(dimension) && facts.has(&e.id))
            .map(|e| FoundElement {
                id: e.id.clone(),
                answers: facts.why(&e.id),
                via: None,
            })
            .collect(),
    )
}

pub(crate) fn assess(cat: &Catalogue, facts: &Facts) -> ForcedLabourEvaluation {
    let involuntariness = group(cat, facts, "involuntariness");
    let penalty = group(cat, facts, "penalty");
    let met = involuntariness.present && penalty.present;
    let answers_used = union([&involuntariness.answers(), &penalty.answers()]);
    ForcedLabourEvaluation {
        verdict: if met { Verdict::Met } else { Verdict::NotMet },
        answers_used,
        involuntariness,
        penalty,
        reasoning: Lines::default(),
    }
}

pub(crate) fn element_list(cat: &Catalogue, g: &ElementGroup, lang: Lang) -> String {
    g.elements
        .iter()
        .map(|e| {
            let via = match (&e.via, lang) {
                (Some(v), Lang::En) => format!("via the {} evaluator: ", v.replace('_', "-")),
                (Some(v), Lang::Id) => format!("melalui evaluator {}: ", v.replace('_', "-")),
                (None, _) => String::new(),
            };
            format!(
                "{} ({via}{})",
                cat.label(&e.id).get(lang),
                e.answers.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// "Name: the elements found." in both languages (`name` is English, Indonesian).
pub(crate) fn found_line(cat: &Catalogue, name: (&str, &str), g: &ElementGroup) -> Text {
    t!(
        format!("{}: {}.", name.0, element_list(cat, g, Lang::En)),
        format!("{}: {}.", name.1, element_list(cat, g, Lang::Id)),
    )
}

pub(crate) fn reasoning(cat: &Catalogue, e: &ForcedLabourEvaluation) -> Lines {
    let mut lines = Lines::default();
    lines.push(match e.verdict {
        Verdict::Met => t!(
            "Forced labour: met — the work was involuntary and imposed under the menace of a penalty (ILO C29 Art. 2; ICLS-20: both conditions must exist).",
            "Kerja paksa: terpenuhi — pekerjaan itu tidak sukarela dan dipaksakan di bawah ancaman hukuman (Konvensi ILO 29 Pasal 2; ICLS-20: kedua syarat harus ada).",
        ),
        _ => {
            let missing: Vec<Text> = [
                (!e.involuntariness.present).then(|| t!("involuntariness", "ketidaksukarelaan")),
                (!e.penalty.present).then(|| t!("menace of penalty", "ancaman hukuman")),
            ]
            .into_iter()
            .flatten()
            .collect();
            t!(
                format!("Forced labour: not met yet — missing {} (both conditions must exist, ICLS-20).", join(&missing, Lang::En).replace(';', " and")),
                format!("Kerja paksa: belum terpenuhi — belum ada {} (kedua syarat harus ada, ICLS-20).", join(&missing, Lang::Id).replace(';', " dan")),
            )
        }
    });
    for (name, g) in [
        (("Involuntariness", "Ketidaksukarelaan"), &e.involuntariness),
        (("Menace of penalty", "Ancaman hukuman"), &e.penalty),
    ] {
        if g.present {
            lines.push(found_line(cat, name, g));
        }
    }
    lines
}
