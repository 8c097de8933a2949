//! Evaluator 4: non-punishment. For each liability the person faces, is it linked to the
//! trafficking? Two tests, reported separately (design §8.9; standards §6.4):
//!
//! - **Compulsion** — Law 21/2007 (UU PTPPO) Art. 18: "Korban yang melakukan tindak pidana
//!   karena dipaksa oleh pelaku TPPO, tidak dipidana." Criminal acts only ("tindak pidana").
//! - **Direct consequence** — OHCHR Principle 7 / Guideline 4.5 ("direct consequence of their
//!   situation as trafficked persons"; entry and residence named expressly) and ACTIP Art. 14(7)
//!   ("directly related to the acts of trafficking"; criminal *and administrative* liability).
//!
//! Both presuppose a victim of trafficking: the screening outcome supplies the status. A link is
//! `linked` for a presumed victim, `conditional` for a possible victim (linked if identified),
//! and `not_shown` otherwise — never a finding that the person should be punished.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::catalogue::{Catalogue, LiabilitySpec, Nature};
use crate::facts::{union, Facts};
use crate::input::Liability;
use crate::model::{Outcome, Verdict};
use crate::text::{join, t, Lang, Lines, Text};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkVerdict {
    /// Presumed victim, and the link is shown.
    Linked,
    /// The link is shown, but the person is so far only a possible victim.
    Conditional,
    /// Not shown on the current answers. Not a finding that the person should be punished.
    NotShown,
    /// The test does not cover this kind of liability (Art. 18 and administrative liabilities).
    NotApplicable,
}

impl LinkVerdict {
    pub fn text(self) -> Text {
        match self {
            LinkVerdict::Linked => t!("linked", "terkait"),
            LinkVerdict::Conditional => t!(
                "linked if identified as a victim",
                "terkait bila diidentifikasi sebagai korban"
            ),
            LinkVerdict::NotShown => t!("link not shown yet", "kaitan belum terlihat"),
            LinkVerdict::NotApplicable => t!("not applicable", "tidak berlaku"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTest {
    pub verdict: LinkVerdict,
    /// Keys of the legal bases (quoted in the liability's `legal_basis`).
    pub basis: Vec<String>,
    pub answers_used: Vec<String>,
    /// Unanswered questions that could establish the missing link.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open_questions: Vec<String>,
    pub reasoning: Text,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotedBasis {
    pub key: String,
    pub source: String,
    pub verification: String,
    pub text: Text,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiabilityAssessment {
    pub kind: String,
    pub label: Text,
    pub nature: Nature,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub compulsion: LinkTest,
    pub direct_consequence: LinkTest,
    /// Linked under at least one test.
    pub linked: bool,
    /// Role indicators the competent authority should weigh for this liability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_answers: Vec<String>,
    pub legal_basis: Vec<QuotedBasis>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonPunishmentEvaluation {
    pub verdict: Verdict,
    pub answers_used: Vec<String>,
    /// The screening outcome used as the victim status both tests presuppose.
    pub victim_status: Outcome,
    pub liabilities: Vec<LiabilityAssessment>,
    pub reasoning: Lines,
}

/// Role indicators that bear on participation in fraud.
const FRAUD_ROLES: &[&str] = &["role.recruited_others", "role.supervised_others"];

struct Link {
    shown: bool,
    answers: Vec<String>,
    /// Answers per group, in the catalogue's group order (empty for an unmet group).
    per_group: Vec<Vec<String>>,
    open: Vec<String>,
}

/// Checks link groups (all groups, each by any id) and lists unanswered questions that could
/// supply the unmet groups.
fn link(
    cat: &Catalogue,
    facts: &Facts,
    groups: &[Vec<String>],
    unknown: &BTreeSet<String>,
) -> Link {
    let mut answers = Vec::new();
    let mut per_group = Vec::new();
    let mut open = BTreeSet::new();
    let mut shown = !groups.is_empty();
    for g in groups {
        let found: Vec<&String> = g.iter().filter(|id| facts.has(id)).collect();
        per_group.push(union(
            found
                .iter()
                .map(|id| facts.why(id))
                .collect::<Vec<_>>()
                .iter(),
        ));
        if found.is_empty() {
            shown = false;
            for e in &cat.entries {
                if !e.kind.is_indicator() || !unknown.contains(&e.id) {
                    continue;
                }
                let implied = cat.implied_by(&e.id);
                if g.iter().any(|id| id == &e.id || implied.contains(id)) {
                    open.insert(e.id.clone());
                }
            }
        } else {
            for id in found {
                answers.push(facts.why(id));
            }
        }
    }
    let mut open: Vec<String> = open.into_iter().collect();
    open.sort_by_key(|id| cat.position(id));
    Link {
        shown,
        answers: union(answers.iter()),
        per_group,
        open,
    }
}

fn labels_of(cat: &Catalogue, ids: &[String], lang: Lang) -> String {
    let labels: Vec<Text> = ids.iter().map(|id| cat.label(id)).collect();
    join(&labels, lang)
}

fn status_verdict(shown: bool, status: Outcome) -> LinkVerdict {
    match (shown, status) {
        (true, Outcome::PresumedVictim) => LinkVerdict::Linked,
        (true, Outcome::PossibleVictim) => LinkVerdict::Conditional,
        _ => LinkVerdict::NotShown,
    }
}

fn not_shown_reason(status: Outcome, shown: bool, open: usize) -> Text {
    let status_part = if status < Outcome::PossibleVictim {
        t!(
            "the screening has not yet found trafficking indicators",
            "penapisan belum menemukan indikator perdagangan orang",
        )
    } else {
        t!("", "")
    };
    let link_part = if !shown {
        t!(
            format!("no answer yet shows the link ({open} unanswered question(s) could)"),
            format!("belum ada jawaban yang menunjukkan kaitannya ({open} pertanyaan yang belum dijawab dapat menunjukkannya)"),
        )
    } else {
        t!("", "")
    };
    let parts = |a: &str, b: &str, and: &str| -> String {
        match (a.is_empty(), b.is_empty()) {
            (false, false) => format!("{a}{and}{b}"),
            (false, true) => a.to_string(),
            _ => b.to_string(),
        }
    };
    t!(
        parts(&status_part.en, &link_part.en, "; and "),
        parts(&status_part.id, &link_part.id, "; dan "),
    )
}

/// A test's "not shown yet" reasoning (`test` is its name, English and Indonesian): never a
/// finding that the person should be punished.
fn not_shown(test: (&str, &str), why: Text) -> Text {
    t!(
        format!(
            "{}: not shown yet — {}. This is not a finding that the person should be punished.",
            test.0, why.en
        ),
        format!(
            "{}: belum terlihat — {}. Ini bukan kesimpulan bahwa orang ini harus dihukum.",
            test.1, why.id
        ),
    )
}

fn compulsion_test(
    cat: &Catalogue,
    facts: &Facts,
    spec: &LiabilitySpec,
    nature: Nature,
    status: Outcome,
    unknown: &BTreeSet<String>,
) -> LinkTest {
    let basis = vec!["uu21_art18".to_string()];
    if !nature.may_be_criminal() {
        return LinkTest {
            verdict: LinkVerdict::NotApplicable,
            basis,
            answers_used: vec![],
            open_questions: vec![],
            reasoning: t!(
                "Compulsion test (Law 21/2007 Art. 18): not applicable — Art. 18 concerns criminal acts ('tindak pidana') and this liability is administrative; see the direct-consequence test.",
                "Uji paksaan (UU 21/2007 Pasal 18): tidak berlaku — Pasal 18 mengatur tindak pidana, sedangkan kewajiban ini bersifat administratif; lihat uji akibat langsung.",
            ),
        };
    }
    let l = link(cat, facts, &spec.compulsion, unknown);
    let verdict = status_verdict(l.shown, status);
    // Groups: [the act was the traffickers' doing] AND [the means of pressure].
    let shown_as = |lang: Lang| -> String {
        let parts: Vec<String> = l
            .per_group
            .iter()
            .map(|g| labels_of(cat, g, lang))
            .collect();
        match (lang, parts.as_slice()) {
            (Lang::En, [act, pressure]) => {
                format!("the act ({act}) under pressure from the traffickers ({pressure})")
            }
            (Lang::Id, [act, pressure]) => {
                format!("perbuatan itu ({act}) di bawah tekanan pelaku ({pressure})")
            }
            (_, parts) => parts.join(" + "),
        }
    };
    let reasoning = match verdict {
        LinkVerdict::Linked => t!(
            format!("Compulsion test (Law 21/2007 Art. 18): linked — a presumed victim who was forced: {}.", shown_as(Lang::En)),
            format!("Uji paksaan (UU 21/2007 Pasal 18): terkait — diduga korban yang dipaksa: {}.", shown_as(Lang::Id)),
        ),
        LinkVerdict::Conditional => t!(
            format!("Compulsion test (Law 21/2007 Art. 18): linked if the person is identified as a victim — the answers show compulsion: {}; but the screening outcome is 'possible victim'.", shown_as(Lang::En)),
            format!("Uji paksaan (UU 21/2007 Pasal 18): terkait bila orang ini diidentifikasi sebagai korban — jawaban menunjukkan paksaan: {}; tetapi hasil penapisan masih 'kemungkinan korban'.", shown_as(Lang::Id)),
        ),
        _ => not_shown(
            ("Compulsion test (Law 21/2007 Art. 18)", "Uji paksaan (UU 21/2007 Pasal 18)"),
            not_shown_reason(status, l.shown, l.open.len()),
        ),
    };
    LinkTest {
        verdict,
        basis,
        answers_used: l.answers,
        open_questions: if verdict == LinkVerdict::Linked {
            vec![]
        } else {
            l.open
        },
        reasoning,
    }
}

fn consequence_test(
    cat: &Catalogue,
    facts: &Facts,
    spec: &LiabilitySpec,
    status: Outcome,
    unknown: &BTreeSet<String>,
) -> LinkTest {
    let basis = vec![
        "ohchr_p7".to_string(),
        "ohchr_g4_5".to_string(),
        "actip_14_7".to_string(),
    ];
    let l = link(cat, facts, &spec.consequence, unknown);
    // Principle 7 and Guideline 4.5 name "the illegality of their entry or residence" outright:
    // for a trafficked person no further link is needed for these liabilities.
    let shown = l.shown || spec.entry_or_residence;
    let verdict = status_verdict(shown, status);
    let text_covers = spec.entry_or_residence && !l.shown;
    let reasoning = match verdict {
        LinkVerdict::Linked if text_covers => t!(
            "Direct-consequence test (OHCHR Principle 7 / Guideline 4.5; ACTIP Art. 14(7)): linked — a presumed victim, and the texts name the illegality of entry or residence expressly.",
            "Uji akibat langsung (Prinsip 7 / Pedoman 4.5 OHCHR; ACTIP Pasal 14(7)): terkait — diduga korban, dan teks tersebut secara tegas menyebut ketidaksahan masuk atau tinggal.",
        ),
        LinkVerdict::Linked => t!(
            format!("Direct-consequence test (OHCHR Principle 7 / Guideline 4.5; ACTIP Art. 14(7)): linked — a presumed victim, and the liability arose directly from the trafficking: {}.", labels_of(cat, &l.answers, Lang::En)),
            format!("Uji akibat langsung (Prinsip 7 / Pedoman 4.5 OHCHR; ACTIP Pasal 14(7)): terkait — diduga korban, dan kewajiban ini timbul langsung dari perdagangan orang: {}.", labels_of(cat, &l.answers, Lang::Id)),
        ),
        LinkVerdict::Conditional => t!(
            format!("Direct-consequence test (OHCHR Principle 7 / Guideline 4.5; ACTIP Art. 14(7)): linked if the person is identified as a victim{}.", if text_covers { " (the texts name entry and residence expressly)".to_string() } else { format!(" — the liability arose from the situation: {}", labels_of(cat, &l.answers, Lang::En)) }),
            format!("Uji akibat langsung (Prinsip 7 / Pedoman 4.5 OHCHR; ACTIP Pasal 14(7)): terkait bila orang ini diidentifikasi sebagai korban{}.", if text_covers { " (teks tersebut secara tegas menyebut masuk dan tinggal)".to_string() } else { format!(" — kewajiban ini timbul dari situasinya: {}", labels_of(cat, &l.answers, Lang::Id)) }),
        ),
        _ => not_shown(
            (
                "Direct-consequence test (OHCHR Principle 7 / Guideline 4.5; ACTIP Art. 14(7))",
                "Uji akibat langsung (Prinsip 7 / Pedoman 4.5 OHCHR; ACTIP Pasal 14(7))",
            ),
            not_shown_reason(status, shown, l.open.len()),
        ),
    };
    LinkTest {
        verdict,
        basis,
        answers_used: l.answers,
        open_questions: if verdict == LinkVerdict::Linked || shown {
            vec![]
        } else {
            l.open
        },
        reasoning,
    }
}

fn quote(cat: &Catalogue, key: &str) -> QuotedBasis {
    let b = cat.legal_basis(key);
    QuotedBasis {
        key: key.to_string(),
        source: cat
            .sources
            .get(&b.source)
            .map(|s| s.title.clone())
            .unwrap_or_else(|| b.source.clone()),
        verification: b.verification.clone(),
        text: b.text.clone(),
    }
}

pub(crate) fn assess(
    cat: &Catalogue,
    facts: &Facts,
    liabilities: &[Liability],
    status: Outcome,
    unknown: &BTreeSet<String>,
) -> NonPunishmentEvaluation {
    let mut out = Vec::new();
    for l in liabilities {
        let Some(spec) = cat.liability(&l.kind) else {
            continue; // input validation rejects unknown kinds before this point
        };
        let nature = l.nature.unwrap_or(spec.nature);
        let compulsion = compulsion_test(cat, facts, spec, nature, status, unknown);
        let direct_consequence = consequence_test(cat, facts, spec, status, unknown);
        let role_answers = if l.kind == "participation_in_fraud" {
            union(
                FRAUD_ROLES
                    .iter()
                    .map(|r| facts.why(r))
                    .collect::<Vec<_>>()
                    .iter(),
            )
        } else {
            vec![]
        };
        let mut keys: Vec<&str> = Vec::new();
        if nature.may_be_criminal() {
            keys.push("uu21_art18");
        }
        keys.extend(["ohchr_p7", "ohchr_g4_5", "actip_14_7"]);
        out.push(LiabilityAssessment {
            kind: l.kind.clone(),
            label: spec.label.clone(),
            nature,
            note: l.note.clone(),
            linked: compulsion.verdict == LinkVerdict::Linked
                || direct_consequence.verdict == LinkVerdict::Linked,
            compulsion,
            direct_consequence,
            role_answers,
            legal_basis: keys.into_iter().map(|k| quote(cat, k)).collect(),
        });
    }
    let conditional_or_linked = |a: &LiabilityAssessment| {
        [a.compulsion.verdict, a.direct_consequence.verdict]
            .iter()
            .any(|v| matches!(v, LinkVerdict::Linked | LinkVerdict::Conditional))
    };
    let verdict = if out.is_empty() {
        Verdict::NotApplicable
    } else if out.iter().all(|a| a.linked) {
        Verdict::Met
    } else if out.iter().all(conditional_or_linked) {
        Verdict::Conditional
    } else if out.iter().any(conditional_or_linked) {
        Verdict::PartlyMet
    } else {
        Verdict::NotMet
    };
    let answers_used = union(out.iter().flat_map(|a| {
        [
            &a.compulsion.answers_used,
            &a.direct_consequence.answers_used,
        ]
    }));
    let mut e = NonPunishmentEvaluation {
        verdict,
        answers_used,
        victim_status: status,
        liabilities: out,
        reasoning: Lines::default(),
    };
    e.reasoning = reasoning(cat, &e);
    e
}

fn reasoning(cat: &Catalogue, e: &NonPunishmentEvaluation) -> Lines {
    let mut lines = Lines::default();
    if e.liabilities.is_empty() {
        lines.push(t!(
            "Non-punishment: no liability recorded.",
            "Non-pemidanaan: tidak ada kewajiban hukum yang dicatat.",
        ));
        return lines;
    }
    lines.push(t!(
        format!("Non-punishment ({}): each liability is tested for compulsion (Law 21/2007 Art. 18) and for direct consequence (OHCHR Principle 7; ACTIP Art. 14(7)); victim status from the screening: {}.", e.verdict.text().en, e.victim_status.label().en),
        format!("Non-pemidanaan ({}): setiap kewajiban diuji atas paksaan (UU 21/2007 Pasal 18) dan akibat langsung (Prinsip 7 OHCHR; ACTIP Pasal 14(7)); status korban dari penapisan: {}.", e.verdict.text().id, e.victim_status.label().id),
    ));
    for a in &e.liabilities {
        lines.push(t!(
            format!("{}: {}", a.label.en, a.compulsion.reasoning.en),
            format!("{}: {}", a.label.id, a.compulsion.reasoning.id),
        ));
        lines.push(t!(
            format!("{}: {}", a.label.en, a.direct_consequence.reasoning.en),
            format!("{}: {}", a.label.id, a.direct_consequence.reasoning.id),
        ));
        if !a.role_answers.is_empty() {
            lines.push(t!(
                format!("{}: role indicators recorded ({}) — for the competent authority to weigh; they do not by themselves decide the link (compare 'forced to act against peers').", a.label.en, labels_of(cat, &a.role_answers, Lang::En)),
                format!("{}: indikator peran tercatat ({}) — untuk ditimbang oleh pihak berwenang; indikator ini tidak dengan sendirinya menentukan kaitan (bandingkan 'dipaksa bertindak terhadap sesama pekerja').", a.label.id, labels_of(cat, &a.role_answers, Lang::Id)),
            ));
        }
    }
    if e.verdict != Verdict::Met {
        lines.push(t!(
            "Where a link is not shown, the competent authority decides; late identification makes penalties more likely (OSCE 2013).",
            "Bila kaitan belum terlihat, pihak berwenang yang memutuskan; identifikasi yang terlambat membuat hukuman lebih mungkin dijatuhkan (OSCE 2013).",
        ));
    }
    lines
}
