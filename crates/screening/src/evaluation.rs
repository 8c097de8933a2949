//! Orchestration: runs the evaluators, grades the outcome, raises flags, finds the unanswered
//! questions that could change the outcome, and writes the explanation.
//!
//! The outcome depends only on the catalogue, the age and the set of answers recorded `present`
//! (never on absent/unknown/declined, evidence source, notes or order), which makes it
//! deterministic and monotone: adding a `present` answer never lowers it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::catalogue::{Catalogue, Kind, DIMENSIONS, SECTIONS};
use crate::error::ScreeningError;
use crate::facts::{union, Facts};
use crate::forced_labour::{self, ForcedLabourEvaluation};
use crate::ilo::{self, IloEvaluation, IndicatorList, ListResult};
use crate::input::{AnswerValue, EvidenceSource, ScreeningInput};
use crate::model::{AgeStatus, Outcome, Verdict};
use crate::non_punishment::{self, NonPunishmentEvaluation};
use crate::palermo::{self, PalermoEvaluation};
use crate::text::{join, t, Lang, Lines, Text};

/// The full, explained result of one screening.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The catalogue the screening was decided under; kept with the stored screening.
    pub catalogue_version: String,
    /// This crate's version (the outcome ladder in code is pinned by it).
    pub engine_version: String,
    pub outcome: Outcome,
    pub outcome_label: Text,
    pub referral: Text,
    pub age: AgeInfo,
    /// Per ILO/EC dimension, positive or not, on the list the age calls for.
    pub dimensions: BTreeMap<String, bool>,
    pub evaluators: Evaluators,
    pub flags: Vec<Flag>,
    /// Unanswered questions that, answered `present`, would raise the outcome.
    pub open_questions: Vec<OpenQuestion>,
    /// Declined questions that could change the outcome. Listed, never pressed.
    pub declined_questions: Vec<OpenQuestion>,
    /// Every answer recorded `present`, with its evidence source.
    pub evidence: Vec<Evidence>,
    pub answer_counts: AnswerCounts,
    pub explanation: Lines,
    pub notice: Text,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgeInfo {
    pub age_at_recruitment: Option<u8>,
    pub status: AgeStatus,
    /// When the age is unknown: the outcome under each set of rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_under_adult_rules: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome_under_child_rules: Option<Outcome>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluators {
    pub ilo_ec: IloEvaluation,
    pub palermo: PalermoEvaluation,
    pub forced_labour: ForcedLabourEvaluation,
    pub non_punishment: NonPunishmentEvaluation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagCode {
    /// Under 18 at recruitment: child rules (Palermo 3(c)–(d)).
    Child,
    /// Age at recruitment unknown: child rules applied as a possibility.
    AgeUnknown,
    /// Injury, medical need, pregnancy or a safety threat now.
    UrgentNeeds,
    /// Recruiter/facilitator or freedom indicators, for the competent authority.
    RoleIndicators,
    /// The person knew the nature of the work, but consent is legally irrelevant.
    ConsentIrrelevant,
    /// A role answer seems to contradict other answers (explore, never penalise).
    Contradiction,
    /// An element answered `absent` directly is implied by other answers.
    ElementConflict,
    /// The ILO/EC rule and the direct Palermo test disagree.
    EvaluatorsDisagree,
    /// A dimension's positivity depends on an unresolved grade.
    GradeUncertain,
    /// Interview sections with no answers yet.
    InsufficientInformation,
    /// The person declined questions (their right).
    DeclinedQuestions,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    pub code: FlagCode,
    /// The answers that raised the flag.
    pub answers: Vec<String>,
    /// Other ids involved (contradicted elements, uncovered sections…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    pub message: Text,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenQuestion {
    /// A catalogue id, or `age_at_recruitment`.
    pub id: String,
    pub section: String,
    pub label: Text,
    pub question: Text,
    pub would_raise_to: Outcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub id: String,
    pub kind: Kind,
    pub label: Text,
    pub source: EvidenceSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerCounts {
    pub present: usize,
    pub absent: usize,
    pub unknown: usize,
    pub declined: usize,
    /// Catalogue questions with no answer at all (they count as unknown).
    pub unanswered: usize,
}

/// What the outcome depends on, computed without any text.
struct Core {
    facts: Facts,
    forced_labour: ForcedLabourEvaluation,
    palermo: PalermoEvaluation,
    primary: ListResult,
    child_list: Option<ListResult>,
    outcome: Outcome,
    adult_outcome: Option<Outcome>,
    child_outcome: Option<Outcome>,
}

/// The outcome ladder (design §8.3), with the signals from `rules.outcome`.
fn grade(
    cat: &Catalogue,
    facts: &Facts,
    ilo_met: bool,
    palermo_met: bool,
    child_rules: bool,
    act: bool,
) -> Outcome {
    let rules = &cat.rules.outcome;
    let exploitation = facts.any_matching(&rules.exploitation_signals);
    if ilo_met || palermo_met {
        Outcome::PresumedVictim
    } else if facts.any_matching(&rules.possible_victim_signals)
        // A child moved for work in exploitative conditions: Palermo 3(c) needs no means.
        || (child_rules && act && exploitation)
    {
        Outcome::PossibleVictim
    } else if exploitation {
        Outcome::ExploitedMigrant
    } else {
        Outcome::NoIndicatorsYet
    }
}

fn core(cat: &Catalogue, present: &BTreeSet<String>, age: AgeStatus) -> Core {
    let facts = Facts::new(cat, present);
    let fl = forced_labour::assess(cat, &facts);
    let pal = palermo::assess(cat, &facts, age, &fl);
    let act = pal.act.present;
    // One indicator list scored, and the outcome it grades to: the child list under the
    // child rules (Palermo 3(c)), the adult list under the adult ones.
    let scored = |list: IndicatorList| {
        let child = list == IndicatorList::Child;
        let p = ilo::score(cat, &facts, list, act);
        let palermo_met = if child {
            pal.child_rule_met
        } else {
            pal.adult_rule_met
        };
        let o = grade(cat, &facts, p.combination_met, palermo_met, child, act);
        (p, o)
    };
    let (primary, child_list, outcome, adult_outcome, child_outcome) = match age {
        AgeStatus::Adult => {
            let (p, o) = scored(IndicatorList::Adult);
            (p, None, o, None, None)
        }
        AgeStatus::Child => {
            let (p, o) = scored(IndicatorList::Child);
            (p, None, o, None, None)
        }
        AgeStatus::Unknown => {
            // Adult rules decide; the child rules can raise the outcome to "possible victim"
            // at most, with the age listed as the question that could settle it (design §8.11).
            let (p, oa) = scored(IndicatorList::Adult);
            let (c, oc) = scored(IndicatorList::Child);
            let o = oa.max(oc.min(Outcome::PossibleVictim));
            (p, Some(c), o, Some(oa), Some(oc))
        }
    };
    Core {
        facts,
        forced_labour: fl,
        palermo: pal,
        primary,
        child_list,
        outcome,
        adult_outcome,
        child_outcome,
    }
}

/// The outcome alone, for the given present answers and age.
pub(crate) fn outcome_of(cat: &Catalogue, present: &BTreeSet<String>, age: AgeStatus) -> Outcome {
    core(cat, present, age).outcome
}

/// Evaluates `input` under `cat`.
pub fn evaluate_with(
    cat: &Catalogue,
    input: &ScreeningInput,
) -> Result<Evaluation, ScreeningError> {
    input.validate(cat)?;
    let age = AgeStatus::from_age(input.age_at_recruitment, cat.rules.child_age_below);
    let present = input.present_ids();
    let c = core(cat, &present, age);

    let unknown: BTreeSet<String> = cat
        .entries
        .iter()
        .filter(|e| input.value(&e.id) == AnswerValue::Unknown)
        .map(|e| e.id.clone())
        .collect();
    let (open_questions, declined_questions) = open_questions(cat, input, &present, age, c.outcome);

    let mut fl = c.forced_labour;
    fl.reasoning = forced_labour::reasoning(cat, &fl);
    let mut pal = c.palermo;
    pal.reasoning = palermo::reasoning(cat, &pal);
    let ilo_eval = ilo::evaluation(cat, c.primary, c.child_list);
    let np = non_punishment::assess(cat, &c.facts, &input.liabilities, c.outcome, &unknown);

    let dimensions = DIMENSIONS
        .iter()
        .map(|d| (d.to_string(), ilo_eval.dimensions[*d].positive))
        .collect();

    let evidence = input
        .answers
        .iter()
        .filter(|(_, a)| a.value == AnswerValue::Present)
        .map(|(id, a)| Evidence {
            id: id.clone(),
            kind: cat.entry(id).map(|e| e.kind).unwrap_or(Kind::IloEc),
            label: cat.label(id),
            source: a.source,
            note: a.note.clone(),
        })
        .collect();
    let count = |v| input.answers.values().filter(|a| a.value == v).count();
    let answer_counts = AnswerCounts {
        present: count(AnswerValue::Present),
        absent: count(AnswerValue::Absent),
        unknown: count(AnswerValue::Unknown),
        declined: count(AnswerValue::Declined),
        unanswered: cat
            .entries
            .iter()
            .filter(|e| !input.answers.contains_key(&e.id))
            .count(),
    };

    let evaluators = Evaluators {
        ilo_ec: ilo_eval,
        palermo: pal,
        forced_labour: fl,
        non_punishment: np,
    };
    let age_info = AgeInfo {
        age_at_recruitment: input.age_at_recruitment,
        status: age,
        outcome_under_adult_rules: c.adult_outcome,
        outcome_under_child_rules: c.child_outcome,
    };
    let flags = flags(
        cat,
        input,
        &c.facts,
        &evaluators,
        &age_info,
        &declined_questions,
    );
    let notice = t!(
        "This is a screening, not a determination: the competent authority decides who is a victim. Indicator lists are screening tools, not legal tests, and the thresholds are unvalidated for forced criminality.",
        "Ini adalah penapisan, bukan penetapan: pihak yang berwenang yang menetapkan siapa korban. Daftar indikator adalah alat penapisan, bukan uji hukum, dan ambang batasnya belum divalidasi untuk kriminalitas paksa.",
    );
    let mut e = Evaluation {
        catalogue_version: cat.version.clone(),
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        outcome: c.outcome,
        outcome_label: c.outcome.label(),
        referral: c.outcome.referral(),
        age: age_info,
        dimensions,
        evaluators,
        flags,
        open_questions,
        declined_questions,
        evidence,
        answer_counts,
        explanation: Lines::default(),
        notice,
    };
    e.explanation = explanation(&e);
    Ok(e)
}

fn open_question(cat: &Catalogue, id: &str, to: Outcome) -> Option<OpenQuestion> {
    let e = cat.entry(id)?;
    Some(OpenQuestion {
        id: id.to_string(),
        section: e.section.clone(),
        label: e.label.clone(),
        question: e.question.clone(),
        would_raise_to: to,
    })
}

/// Questions that, answered `present` alone, would raise the outcome: unanswered ones, and
/// (separately) declined ones.
fn open_questions(
    cat: &Catalogue,
    input: &ScreeningInput,
    present: &BTreeSet<String>,
    age: AgeStatus,
    outcome: Outcome,
) -> (Vec<OpenQuestion>, Vec<OpenQuestion>) {
    let mut open = Vec::new();
    let mut declined = Vec::new();
    if outcome == Outcome::PresumedVictim {
        return (open, declined);
    }
    if age == AgeStatus::Unknown {
        let as_child = outcome_of(cat, present, AgeStatus::Child);
        if as_child > outcome {
            open.push(OpenQuestion {
                id: "age_at_recruitment".into(),
                section: "recruitment".into(),
                label: t!("Age at recruitment", "Usia saat direkrut"),
                question: t!(
                    "How old were you when you were recruited?",
                    "Berapa usia Anda saat direkrut?"
                ),
                would_raise_to: as_child,
            });
        }
    }
    for e in &cat.entries {
        if !e.kind.is_indicator() {
            continue;
        }
        let value = input.value(&e.id);
        if !matches!(value, AnswerValue::Unknown | AnswerValue::Declined) {
            continue;
        }
        let mut with = present.clone();
        with.insert(e.id.clone());
        let o = outcome_of(cat, &with, age);
        if o > outcome {
            if let Some(q) = open_question(cat, &e.id, o) {
                if value == AnswerValue::Declined {
                    declined.push(q);
                } else {
                    open.push(q);
                }
            }
        }
    }
    // Follow the interview: by section, then catalogue order (the age question stays first).
    let order = |q: &OpenQuestion| {
        (
            q.id != "age_at_recruitment",
            SECTIONS.iter().position(|s| *s == q.section),
            cat.position(&q.id),
        )
    };
    open.sort_by_key(order);
    declined.sort_by_key(order);
    (open, declined)
}

fn labels(cat: &Catalogue, ids: &[String], lang: Lang) -> String {
    let l: Vec<Text> = ids.iter().map(|id| cat.label(id)).collect();
    join(&l, lang)
}

fn flags(
    cat: &Catalogue,
    input: &ScreeningInput,
    facts: &Facts,
    ev: &Evaluators,
    age: &AgeInfo,
    declined_questions: &[OpenQuestion],
) -> Vec<Flag> {
    let mut flags = Vec::new();
    let present = input.present_ids();
    let ids_of = |kind: Kind| -> Vec<String> {
        cat.entries_of(kind)
            .filter(|e| present.contains(&e.id))
            .map(|e| e.id.clone())
            .collect()
    };

    match age.status {
        AgeStatus::Child => flags.push(Flag {
            code: FlagCode::Child,
            answers: vec![],
            related: vec!["age_at_recruitment".into()],
            message: t!(
                format!("Under 18 at recruitment (age {}): child rules applied — no means are needed (Palermo Art. 3(c)–(d)) and consent is irrelevant; the ILO/EC child list is used. Refer to child protection services.", age.age_at_recruitment.unwrap_or_default()),
                format!("Di bawah 18 tahun saat direkrut (usia {}): aturan anak diterapkan — unsur cara tidak diperlukan (Protokol Palermo Pasal 3(c)–(d)) dan persetujuan tidak relevan; daftar anak ILO/EC digunakan. Rujuk ke layanan perlindungan anak.", age.age_at_recruitment.unwrap_or_default()),
            ),
        }),
        AgeStatus::Unknown => {
            let child = age.outcome_under_child_rules.unwrap_or(Outcome::NoIndicatorsYet);
            flags.push(Flag {
                code: FlagCode::AgeUnknown,
                answers: vec![],
                related: vec!["age_at_recruitment".into()],
                message: t!(
                    format!("Age at recruitment unknown: the child rules were applied as a possibility — under them the outcome would be '{}'. Establish the age at recruitment; if the person may have been under 18, treat them as a child until it is known.", child.label().en),
                    format!("Usia saat direkrut tidak diketahui: aturan anak diterapkan sebagai kemungkinan — menurut aturan itu hasilnya adalah '{}'. Pastikan usia saat direkrut; bila mungkin di bawah 18 tahun, perlakukan sebagai anak sampai usianya diketahui.", child.label().id),
                ),
            });
        }
        AgeStatus::Adult => {}
    }

    let needs = ids_of(Kind::UrgentNeed);
    if !needs.is_empty() {
        flags.push(Flag {
            code: FlagCode::UrgentNeeds,
            message: t!(
                format!("Urgent needs: {}. Arrange care now, before or alongside the rest of the interview.", labels(cat, &needs, Lang::En)),
                format!("Kebutuhan mendesak: {}. Segera atur bantuan, sebelum atau bersamaan dengan sisa wawancara.", labels(cat, &needs, Lang::Id)),
            ),
            answers: needs,
            related: vec![],
        });
    }

    let roles = ids_of(Kind::Role);
    if !roles.is_empty() {
        let mut en = format!("Role indicators for the competent authority: {}. They do not change the outcome; the authority must weigh them, including whether the conduct was itself compelled (non-punishment).", labels(cat, &roles, Lang::En));
        let mut id = format!("Indikator peran untuk pihak berwenang: {}. Indikator ini tidak mengubah hasil; pihak berwenang harus menimbangnya, termasuk apakah perbuatan itu sendiri dipaksakan (non-pemidanaan).", labels(cat, &roles, Lang::Id));
        if roles
            .iter()
            .any(|r| r == "role.returned_after_repatriation")
        {
            en.push_str(" A repeat return ('korban kambuhan') is a flag, not a verdict: returning is not consent if means were used again (Palermo Art. 3(b)).");
            id.push_str(" Kembali lagi ('korban kambuhan') adalah tanda, bukan putusan: kembali bukan berarti setuju bila unsur cara digunakan lagi (Protokol Palermo Pasal 3(b)).");
        }
        if roles
            .iter()
            .any(|r| r == "role.supervised_others" || r == "role.recruited_others")
            && facts.has("ilo.d5.7")
        {
            en.push_str(" The person was also forced to act against other workers (ilo.d5.7).");
            id.push_str(" Orang ini juga dipaksa bertindak terhadap pekerja lain (ilo.d5.7).");
        }
        flags.push(Flag {
            code: FlagCode::RoleIndicators,
            answers: roles,
            related: vec![],
            message: Text::new(en, id),
        });
    }

    if let Some(c) = &ev.palermo.consent {
        if c.irrelevant {
            let basis = c.basis.as_deref().unwrap_or("palermo_3b");
            let quote = cat.legal_basis(basis);
            flags.push(Flag {
                code: FlagCode::ConsentIrrelevant,
                answers: c.answers.clone(),
                related: if basis == "palermo_3b" {
                    ev.palermo.means.elements.iter().map(|m| m.id.clone()).collect()
                } else {
                    vec![]
                },
                message: t!(
                    format!("The person knew the nature of the work, but consent is irrelevant ({}): \"{}\"", if basis == "palermo_3b" { "Palermo Art. 3(b)" } else { "Palermo Art. 3(c)" }, quote.text.en),
                    format!("Orang ini tahu jenis pekerjaannya, tetapi persetujuannya tidak relevan ({}): \"{}\"", if basis == "palermo_3b" { "Protokol Palermo Pasal 3(b)" } else { "Protokol Palermo Pasal 3(c)" }, quote.text.id),
                ),
            });
        }
    }

    for c in &cat.rules.contradictions {
        if !present.contains(&c.role) {
            continue;
        }
        let against: Vec<String> = c.against.iter().filter(|a| facts.has(a)).cloned().collect();
        if against.is_empty() {
            continue;
        }
        let mut answers = vec![c.role.clone()];
        answers.extend(union(
            against
                .iter()
                .map(|a| facts.why(a))
                .collect::<Vec<_>>()
                .iter(),
        ));
        let answers = union([&answers]);
        flags.push(Flag {
            code: FlagCode::Contradiction,
            message: t!(
                format!("Answers that seem to disagree: '{}' and {}. Explore gently: trauma often produces non-linear accounts (OSCE 2013). This is never evidence of lying and never lowers the outcome.", cat.label(&c.role).en, labels(cat, &against, Lang::En)),
                format!("Jawaban yang tampak bertentangan: '{}' dan {}. Gali dengan hati-hati: trauma sering membuat cerita tidak runtut (OSCE 2013). Ini bukan bukti berbohong dan tidak pernah menurunkan hasil.", cat.label(&c.role).id, labels(cat, &against, Lang::Id)),
            ),
            answers,
            related: against,
        });
    }

    for e in &cat.entries {
        if !e.kind.is_indicator() || input.value(&e.id) != AnswerValue::Absent || !facts.has(&e.id)
        {
            continue;
        }
        let by = facts.why(&e.id);
        flags.push(Flag {
            code: FlagCode::ElementConflict,
            message: t!(
                format!("'{}' was answered 'absent', but other answers imply it ({}). Check with the person; the other answers still count.", e.label.en, by.join(", ")),
                format!("'{}' dijawab 'tidak ada', tetapi jawaban lain menyiratkannya ({}). Periksa kembali dengan orang tersebut; jawaban lain tetap dihitung.", e.label.id, by.join(", ")),
            ),
            answers: by,
            related: vec![e.id.clone()],
        });
    }

    let ilo_met = ev.ilo_ec.verdict == Verdict::Met;
    let pal_met = ev.palermo.verdict == Verdict::Met;
    if ilo_met != pal_met {
        let (en, id) = if pal_met {
            (
                "The direct Palermo test is met but the ILO/EC combination rule is not. A negative recruitment dimension never overrides proven coercion at destination (design §8.1): the Palermo test decides.",
                "Uji Palermo langsung terpenuhi tetapi aturan kombinasi ILO/EC tidak. Dimensi perekrutan yang negatif tidak pernah mengesampingkan paksaan yang terbukti di tempat tujuan (desain §8.1): uji Palermo yang menentukan.",
            )
        } else {
            (
                "The ILO/EC combination rule is met but the direct Palermo test is not yet: check the missing Palermo elements; either test met is enough for a presumed victim.",
                "Aturan kombinasi ILO/EC terpenuhi tetapi uji Palermo langsung belum: periksa unsur Palermo yang belum ada; salah satu uji terpenuhi sudah cukup untuk diduga korban.",
            )
        };
        flags.push(Flag {
            code: FlagCode::EvaluatorsDisagree,
            answers: union([&ev.ilo_ec.answers_used, &ev.palermo.answers_used]),
            related: ev.palermo.missing.clone(),
            message: Text::new(en, id),
        });
    }

    for d in DIMENSIONS {
        let r = &ev.ilo_ec.dimensions[d];
        if let Some(alt) = r.positive_under_alternative_grades {
            let uncertain: Vec<String> = r
                .counted
                .iter()
                .filter(|c| {
                    cat.entry(&c.id)
                        .is_some_and(|e| e.grade_alternative.is_some())
                })
                .map(|c| c.id.clone())
                .collect();
            let answers = union(
                r.counted
                    .iter()
                    .filter(|c| uncertain.contains(&c.id))
                    .map(|c| &c.answers),
            );
            flags.push(Flag {
                code: FlagCode::GradeUncertain,
                message: t!(
                    format!("{} is {} only under one reading of an unresolved grade ({}: medium per the compilation, weak in another reading of the brochure). Verify against ILO/EC WCMS_105023 (standards §9).", d.to_uppercase(), if alt { "negative" } else { "positive" }, uncertain.join(", ")),
                    format!("{} {} hanya menurut satu bacaan atas tingkat yang belum pasti ({}: sedang menurut kompilasi, lemah menurut bacaan lain atas brosur). Verifikasi dengan ILO/EC WCMS_105023 (standar §9).", d.to_uppercase(), if alt { "negatif" } else { "positif" }, uncertain.join(", ")),
                ),
                answers,
                related: uncertain,
            });
        }
    }

    let uncovered: Vec<String> = SECTIONS
        .iter()
        .filter(|s| **s != "now")
        .filter(|s| {
            !cat.entries
                .iter()
                .any(|e| e.section == **s && input.value(&e.id) != AnswerValue::Unknown)
        })
        .map(|s| s.to_string())
        .collect();
    if !uncovered.is_empty() {
        let names: Vec<Text> = uncovered.iter().map(|s| cat.section_label(s)).collect();
        flags.push(Flag {
            code: FlagCode::InsufficientInformation,
            answers: vec![],
            message: t!(
                format!("No answers yet about: {}. The outcome may change as the interview continues.", join(&names, Lang::En)),
                format!("Belum ada jawaban tentang: {}. Hasil dapat berubah seiring wawancara berlanjut.", join(&names, Lang::Id)),
            ),
            related: uncovered,
        });
    }

    let declined: Vec<String> = input.ids_with(AnswerValue::Declined).into_iter().collect();
    if !declined.is_empty() {
        flags.push(Flag {
            code: FlagCode::DeclinedQuestions,
            message: t!(
                format!("The person declined {} question(s). This is their right and is never held against them; {} of these could change the outcome if the person later chooses to answer. Do not press.", declined.len(), declined_questions.len()),
                format!("Orang ini memilih tidak menjawab {} pertanyaan. Itu haknya dan tidak pernah merugikannya; {} di antaranya dapat mengubah hasil bila kelak ia memilih menjawab. Jangan memaksa.", declined.len(), declined_questions.len()),
            ),
            answers: declined,
            related: vec![],
        });
    }
    flags
}

fn explanation(e: &Evaluation) -> Lines {
    let mut lines = Lines::default();
    lines.push(t!(
        format!("Outcome: {}. {}", e.outcome_label.en, e.referral.en),
        format!("Hasil: {}. {}", e.outcome_label.id, e.referral.id),
    ));
    let ev = &e.evaluators;
    for r in [
        &ev.palermo.reasoning,
        &ev.ilo_ec.reasoning,
        &ev.forced_labour.reasoning,
    ] {
        if let Some(first) = r.first() {
            lines.push(first);
        }
    }
    if !ev.non_punishment.liabilities.is_empty() {
        let per: Vec<Text> = ev
            .non_punishment
            .liabilities
            .iter()
            .map(|a| {
                t!(
                    format!(
                        "{} — compulsion: {}; direct consequence: {}",
                        a.label.en,
                        a.compulsion.verdict.text().en,
                        a.direct_consequence.verdict.text().en
                    ),
                    format!(
                        "{} — paksaan: {}; akibat langsung: {}",
                        a.label.id,
                        a.compulsion.verdict.text().id,
                        a.direct_consequence.verdict.text().id
                    ),
                )
            })
            .collect();
        lines.push(t!(
            format!("Non-punishment: {}.", join(&per, Lang::En)),
            format!("Non-pemidanaan: {}.", join(&per, Lang::Id)),
        ));
    }
    if !e.open_questions.is_empty() {
        let first: Vec<Text> = e
            .open_questions
            .iter()
            .take(5)
            .map(|q| q.label.clone())
            .collect();
        let more = e.open_questions.len().saturating_sub(5);
        lines.push(t!(
            format!(
                "{} unanswered question(s) could change the outcome, for example: {}{}.",
                e.open_questions.len(),
                join(&first, Lang::En),
                if more > 0 {
                    format!(" (and {more} more)")
                } else {
                    String::new()
                }
            ),
            format!(
                "{} pertanyaan yang belum dijawab dapat mengubah hasil, misalnya: {}{}.",
                e.open_questions.len(),
                join(&first, Lang::Id),
                if more > 0 {
                    format!(" (dan {more} lainnya)")
                } else {
                    String::new()
                }
            ),
        ));
    }
    for f in &e.flags {
        lines.push(f.message.clone());
    }
    lines.push(e.notice.clone());
    lines
}

impl Evaluation {
    /// The whole explanation as plain text in one language: outcome, each evaluator's reasoning,
    /// flags, open questions and the notice. Used for records and snapshot tests.
    pub fn explanation_text(&self, lang: Lang) -> String {
        let mut out = String::new();
        let heading = |en: &str, id: &str| match lang {
            Lang::En => en.to_string(),
            Lang::Id => id.to_string(),
        };
        let mut section = |title: String, lines: &[String]| {
            out.push_str(&format!("## {title}\n"));
            for l in lines {
                out.push_str(&format!("- {l}\n"));
            }
            out.push('\n');
        };
        section(heading("Summary", "Ringkasan"), self.explanation.get(lang));
        let ev = &self.evaluators;
        section(
            heading("Palermo test", "Uji Palermo"),
            ev.palermo.reasoning.get(lang),
        );
        section(
            heading("ILO/EC indicators", "Indikator ILO/EC"),
            ev.ilo_ec.reasoning.get(lang),
        );
        section(
            heading("Forced labour", "Kerja paksa"),
            ev.forced_labour.reasoning.get(lang),
        );
        section(
            heading("Non-punishment", "Non-pemidanaan"),
            ev.non_punishment.reasoning.get(lang),
        );
        let qs: Vec<String> = self
            .open_questions
            .iter()
            .map(|q| {
                format!(
                    "[{}] {} → {}",
                    q.id,
                    q.question.get(lang),
                    q.would_raise_to.as_str()
                )
            })
            .collect();
        if !qs.is_empty() {
            section(
                heading(
                    "Questions that could change the outcome",
                    "Pertanyaan yang dapat mengubah hasil",
                ),
                &qs,
            );
        }
        out.trim_end().to_string() + "\n"
    }
}
