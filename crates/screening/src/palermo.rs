//! Evaluator 2: the direct Palermo Protocol test (Art. 3, standards §1, [verified]).
//!
//! - 3(a): act (recruitment, transportation, transfer, harbouring, receipt) by means (force,
//!   coercion, abduction, fraud, deception, abuse of power or of a position of vulnerability,
//!   payments to a person having control) for the purpose of exploitation.
//! - 3(b): consent is irrelevant once any means is used, so a person who went knowingly and was
//!   then confined, beaten and forced to defraud is still recognised (design §8.1).
//! - 3(c)/(d): for a child (under 18) no means are needed. When the age at recruitment is
//!   unknown the adult rule decides and the child rule is reported as a flagged possibility.
//!
//! Elements are established by direct answers (`pal.*`) or by indicators that imply them (see
//! each entry's `implies` in the catalogue), and the purpose "forced labour or services" also by
//! the forced-labour evaluator.

use serde::{Deserialize, Serialize};

use crate::catalogue::{Catalogue, Kind};
use crate::facts::{union, Facts};
use crate::forced_labour::{found_line, ForcedLabourEvaluation};
use crate::model::{AgeStatus, ElementGroup, FoundElement, Verdict};
use crate::text::{t, Lines};

pub(crate) const PURPOSE_FORCED_LABOUR: &str = "pal.purpose.forced_labour_or_services";
pub(crate) const KNEW_NATURE_OF_WORK: &str = "role.knew_nature_of_work";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RulesApplied {
    Adult,
    Child,
    /// Age unknown: the adult rule decides; the child rule is shown as a possibility.
    AdultWithChildPossibility,
}

/// How the person's prior knowledge of the work bears on the test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentAssessment {
    /// The answers recording that the person knew (e.g. `role.knew_nature_of_work`).
    pub answers: Vec<String>,
    /// True when consent is legally irrelevant (means used, or a child).
    pub irrelevant: bool,
    /// `palermo_3b` or `palermo_3c` when irrelevant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PalermoEvaluation {
    pub verdict: Verdict,
    pub answers_used: Vec<String>,
    pub rules_applied: RulesApplied,
    pub act: ElementGroup,
    pub means: ElementGroup,
    pub purpose: ElementGroup,
    pub adult_rule_met: bool,
    pub child_rule_met: bool,
    /// Elements still missing under the rule applied (`act`, `means`, `purpose`).
    pub missing: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentAssessment>,
    pub reasoning: Lines,
}

fn group(cat: &Catalogue, facts: &Facts, dimension: &str) -> Vec<FoundElement> {
    cat.entries_of(Kind::Palermo)
        .filter(|e| e.dimension.as_deref() == Some(dimension) && facts.has(&e.id))
        .map(|e| FoundElement {
            id: e.id.clone(),
            answers: facts.why(&e.id),
            via: None,
        })
        .collect()
}

pub(crate) fn assess(
    cat: &Catalogue,
    facts: &Facts,
    age: AgeStatus,
    fl: &ForcedLabourEvaluation,
) -> PalermoEvaluation {
    let act = ElementGroup::from(group(cat, facts, "act"));
    let means = ElementGroup::from(group(cat, facts, "means"));
    let mut purposes = group(cat, facts, "purpose");
    // Forced labour (ILO C29) is exploitation "at a minimum" (Art. 3(a)).
    if fl.verdict == Verdict::Met && !purposes.iter().any(|p| p.id == PURPOSE_FORCED_LABOUR) {
        purposes.push(FoundElement {
            id: PURPOSE_FORCED_LABOUR.to_string(),
            answers: fl.answers_used.clone(),
            via: Some("forced_labour".to_string()),
        });
        purposes.sort_by_key(|p| cat.position(&p.id));
    }
    let purpose = ElementGroup::from(purposes);

    let adult_rule_met = act.present && means.present && purpose.present;
    let child_rule_met = act.present && purpose.present;
    let (rules_applied, verdict) = match age {
        AgeStatus::Adult => (RulesApplied::Adult, met(adult_rule_met)),
        AgeStatus::Child => (RulesApplied::Child, met(child_rule_met)),
        AgeStatus::Unknown => (
            RulesApplied::AdultWithChildPossibility,
            if adult_rule_met {
                Verdict::Met
            } else if child_rule_met {
                Verdict::MetIfChild
            } else {
                Verdict::NotMet
            },
        ),
    };
    let mut missing = Vec::new();
    if !act.present {
        missing.push("act".to_string());
    }
    if !means.present && rules_applied != RulesApplied::Child {
        missing.push("means".to_string());
    }
    if !purpose.present {
        missing.push("purpose".to_string());
    }
    let consent = facts.has(KNEW_NATURE_OF_WORK).then(|| {
        let basis = if age == AgeStatus::Child {
            Some("palermo_3c".to_string())
        } else if means.present {
            Some("palermo_3b".to_string())
        } else {
            None
        };
        ConsentAssessment {
            answers: facts.why(KNEW_NATURE_OF_WORK),
            irrelevant: basis.is_some(),
            basis,
        }
    });
    let answers_used = union([&act.answers(), &means.answers(), &purpose.answers()]);
    PalermoEvaluation {
        verdict,
        answers_used,
        rules_applied,
        act,
        means,
        purpose,
        adult_rule_met,
        child_rule_met,
        missing,
        consent,
        reasoning: Lines::default(),
    }
}

fn met(b: bool) -> Verdict {
    if b {
        Verdict::Met
    } else {
        Verdict::NotMet
    }
}

fn element_line(
    cat: &Catalogue,
    g: &ElementGroup,
    name: (&str, &str),
    optional: bool,
) -> crate::text::Text {
    if g.present {
        found_line(cat, name, g)
    } else if optional {
        t!(
            format!("{}: none recorded (not required for a child).", name.0),
            format!(
                "{}: tidak ada yang tercatat (tidak diperlukan untuk anak).",
                name.1
            ),
        )
    } else {
        t!(
            format!("{}: not established yet.", name.0),
            format!("{}: belum terbukti.", name.1),
        )
    }
}

pub(crate) fn reasoning(cat: &Catalogue, e: &PalermoEvaluation) -> Lines {
    let mut lines = Lines::default();
    let missing_en = e.missing.join(", ");
    let missing_id = e
        .missing
        .iter()
        .map(|m| match m.as_str() {
            "act" => "perbuatan",
            "means" => "cara",
            _ => "tujuan",
        })
        .collect::<Vec<_>>()
        .join(", ");
    lines.push(match (e.verdict, e.rules_applied) {
        (Verdict::Met, RulesApplied::Child) => t!(
            "Palermo test (child rule, Art. 3(c)–(d)): met — an act for the purpose of exploitation; no means are needed for a child.",
            "Uji Palermo (aturan anak, Pasal 3(c)–(d)): terpenuhi — ada perbuatan untuk tujuan eksploitasi; untuk anak unsur cara tidak diperlukan.",
        ),
        (Verdict::Met, _) => t!(
            "Palermo test (Art. 3(a)): met — act, means and purpose are all established.",
            "Uji Palermo (Pasal 3(a)): terpenuhi — unsur perbuatan, cara, dan tujuan semuanya terbukti.",
        ),
        (Verdict::MetIfChild, _) => t!(
            format!("Palermo test: the adult rule is not met (missing {missing_en}); the child rule (Art. 3(c)) would be met. The age at recruitment is unknown, so this is flagged as a possibility."),
            format!("Uji Palermo: aturan dewasa tidak terpenuhi (belum ada {missing_id}); aturan anak (Pasal 3(c)) akan terpenuhi. Usia saat direkrut tidak diketahui, sehingga ini ditandai sebagai kemungkinan."),
        ),
        (_, RulesApplied::Child) => t!(
            format!("Palermo test (child rule, Art. 3(c)–(d)): not met yet — missing {missing_en}."),
            format!("Uji Palermo (aturan anak, Pasal 3(c)–(d)): belum terpenuhi — belum ada {missing_id}."),
        ),
        _ => t!(
            format!("Palermo test (Art. 3(a)): not met yet — missing {missing_en}."),
            format!("Uji Palermo (Pasal 3(a)): belum terpenuhi — belum ada {missing_id}."),
        ),
    });
    lines.push(element_line(cat, &e.act, ("Act", "Perbuatan"), false));
    lines.push(element_line(
        cat,
        &e.means,
        ("Means", "Cara"),
        e.rules_applied == RulesApplied::Child,
    ));
    lines.push(element_line(cat, &e.purpose, ("Purpose", "Tujuan"), false));
    if let Some(c) = &e.consent {
        lines.push(match c.basis.as_deref() {
            Some("palermo_3c") => t!(
                "The person knew the nature of the work, but a child's consent is irrelevant (Art. 3(c)).",
                "Orang ini tahu jenis pekerjaannya, tetapi persetujuan anak tidak relevan (Pasal 3(c)).",
            ),
            Some(_) => t!(
                "The person knew the nature of the work, but means were used, so consent is irrelevant (Art. 3(b)).",
                "Orang ini tahu jenis pekerjaannya, tetapi unsur cara digunakan, sehingga persetujuan tidak relevan (Pasal 3(b)).",
            ),
            None => t!(
                "The person knew the nature of the work. Consent matters only if no means were used, and none is recorded yet: ask whether they could leave and what happened if they refused.",
                "Orang ini tahu jenis pekerjaannya. Persetujuan hanya berpengaruh bila tidak ada unsur cara, dan belum ada yang tercatat: tanyakan apakah ia bisa pergi dan apa yang terjadi bila ia menolak.",
            ),
        });
    }
    lines
}
