//! Evaluator 1: ILO/EC operational indicators (Delphi 2009).
//!
//! Per-dimension positivity (standards §2.4, [secondary]) and the dimension-combination rule
//! (§2.5: adults [unverified], children [secondary]) are data in the catalogue
//! (`rules.dimension_positive`, `rules.combination_*`), versioned with it. Grades come from §2.3
//! (adult) and §2.6 (child list). Circumstance indicators of D3/D6 count only once an abuse of
//! vulnerability is recorded (design §8.5, `rules.vulnerability_gate`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalogue::{Catalogue, Grade, Kind, DIMENSIONS};
use crate::facts::{union, Facts};
use crate::model::Verdict;
use crate::text::{join, t, Lang, Lines, Text};

/// Which ILO/EC list graded the indicators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorList {
    Adult,
    Child,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UncountedReason {
    /// Absent from the child list (standards §2.6).
    NotOnChildList,
    /// A vulnerability circumstance with no recorded abuse (design §8.5).
    CircumstanceWithoutAbuse,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountedIndicator {
    pub id: String,
    pub grade: Grade,
    pub answers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UncountedIndicator {
    pub id: String,
    pub reason: UncountedReason,
    pub answers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimensionResult {
    pub positive: bool,
    /// Name of the first positivity pattern met (`a`…`d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub strong: u32,
    pub medium: u32,
    pub weak: u32,
    pub counted: Vec<CountedIndicator>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_counted: Vec<UncountedIndicator>,
    /// Set only when the other reading of an unresolved grade would flip positivity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive_under_alternative_grades: Option<bool>,
}

/// The four-outcome typology (standards §2.5, [secondary]); informative only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Typology {
    NoExploitationShown,
    ExploitedMigrant,
    DeceptionAndExploitation,
    TraffickingForForcedLabour,
    /// A combination the table does not name (e.g. coercion at destination without a
    /// recruitment dimension: the knowing recruit later held by force, standards §2.7).
    OutsideTypology,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListResult {
    pub list: IndicatorList,
    pub dimensions: BTreeMap<String, DimensionResult>,
    pub combination: String,
    pub combination_met: bool,
}

impl ListResult {
    pub fn positive(&self, d: &str) -> bool {
        self.dimensions.get(d).is_some_and(|r| r.positive)
    }

    /// Answers counted in positive dimensions (when met) or in any dimension.
    pub(crate) fn answers(&self, only_positive: bool) -> Vec<String> {
        union(
            self.dimensions
                .values()
                .filter(|d| !only_positive || d.positive)
                .flat_map(|d| d.counted.iter().map(|c| &c.answers)),
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IloRuleInfo {
    pub dimension_positive: Vec<Text>,
    pub dimension_positive_verification: String,
    pub combination: String,
    pub combination_verification: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IloEvaluation {
    pub verdict: Verdict,
    pub answers_used: Vec<String>,
    pub list: IndicatorList,
    pub rule: IloRuleInfo,
    pub dimensions: BTreeMap<String, DimensionResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typology: Option<Typology>,
    /// When the age is unknown: the same answers scored on the child list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_list: Option<ListResult>,
    pub reasoning: Lines,
}

/// Scores the established indicators on one list. `act` says whether a Palermo act is
/// established (the child combination rule needs it).
pub(crate) fn score(cat: &Catalogue, facts: &Facts, list: IndicatorList, act: bool) -> ListResult {
    let rule = &cat.rules.dimension_positive;
    let gate_open = cat
        .rules
        .vulnerability_gate
        .opened_by
        .iter()
        .any(|id| facts.has(id));
    let mut dimensions = BTreeMap::new();
    for d in DIMENSIONS {
        let mut counted = Vec::new();
        let mut not_counted = Vec::new();
        let mut alt_grades = Vec::new();
        for e in cat.entries_of(Kind::IloEc) {
            if e.dimension.as_deref() != Some(d) || !facts.has(&e.id) {
                continue;
            }
            let answers = facts.why(&e.id);
            let grade = match list {
                IndicatorList::Adult => e.grade,
                IndicatorList::Child => e.grade_child,
            };
            let Some(grade) = grade else {
                not_counted.push(UncountedIndicator {
                    id: e.id.clone(),
                    reason: UncountedReason::NotOnChildList,
                    answers,
                });
                continue;
            };
            if e.circumstance && !gate_open {
                not_counted.push(UncountedIndicator {
                    id: e.id.clone(),
                    reason: UncountedReason::CircumstanceWithoutAbuse,
                    answers,
                });
                continue;
            }
            let alt = match list {
                IndicatorList::Adult => e.grade_alternative.unwrap_or(grade),
                IndicatorList::Child => grade,
            };
            alt_grades.push(alt);
            counted.push(CountedIndicator {
                id: e.id.clone(),
                grade,
                answers,
            });
        }
        let (s, m, w) = counts(counted.iter().map(|c| c.grade));
        let matched = rule.any_of.iter().find(|p| p.satisfied_by(s, m, w));
        let positive = matched.is_some();
        let (as_, am, aw) = counts(alt_grades.into_iter());
        let alt_positive = rule.any_of.iter().any(|p| p.satisfied_by(as_, am, aw));
        dimensions.insert(
            d.to_string(),
            DimensionResult {
                positive,
                rule: matched.map(|p| p.name.clone()),
                strong: s,
                medium: m,
                weak: w,
                counted,
                not_counted,
                positive_under_alternative_grades: (alt_positive != positive)
                    .then_some(alt_positive),
            },
        );
    }
    let combo = match list {
        IndicatorList::Adult => &cat.rules.combination_adult,
        IndicatorList::Child => &cat.rules.combination_child,
    };
    let combination_met = combo.all_of.iter().all(|group| {
        group.iter().any(|term| {
            if term == "act" {
                act
            } else {
                dimensions
                    .get(term)
                    .is_some_and(|r: &DimensionResult| r.positive)
            }
        })
    });
    ListResult {
        list,
        dimensions,
        combination: combo.formula(),
        combination_met,
    }
}

fn counts(grades: impl Iterator<Item = Grade>) -> (u32, u32, u32) {
    grades.fold((0, 0, 0), |(s, m, w), g| match g {
        Grade::S => (s + 1, m, w),
        Grade::M => (s, m + 1, w),
        Grade::W => (s, m, w + 1),
    })
}

pub(crate) fn typology(r: &ListResult) -> Typology {
    let p = |d: &str| r.positive(d);
    let recruitment = p("d1") || p("d2") || p("d3");
    let destination = p("d5") || p("d6");
    match (p("d4"), recruitment, destination) {
        (true, true, true) => Typology::TraffickingForForcedLabour,
        (true, _, false) if p("d1") => Typology::DeceptionAndExploitation,
        (true, false, false) => Typology::ExploitedMigrant,
        (false, false, false) => Typology::NoExploitationShown,
        _ => Typology::OutsideTypology,
    }
}

/// Assembles the evaluator result. `primary` is the list the age calls for (child when under 18,
/// adult otherwise); `child` is the child-list score when the age is unknown.
pub(crate) fn evaluation(
    cat: &Catalogue,
    primary: ListResult,
    child: Option<ListResult>,
) -> IloEvaluation {
    let verdict = if primary.combination_met {
        Verdict::Met
    } else if child.as_ref().is_some_and(|c| c.combination_met) {
        Verdict::MetIfChild
    } else {
        Verdict::NotMet
    };
    let answers_used = match verdict {
        Verdict::Met => primary.answers(true),
        Verdict::MetIfChild => child.as_ref().map(|c| c.answers(true)).unwrap_or_default(),
        _ => primary.answers(false),
    };
    let combo = match primary.list {
        IndicatorList::Adult => &cat.rules.combination_adult,
        IndicatorList::Child => &cat.rules.combination_child,
    };
    let mut eval = IloEvaluation {
        verdict,
        answers_used,
        list: primary.list,
        rule: IloRuleInfo {
            dimension_positive: cat
                .rules
                .dimension_positive
                .any_of
                .iter()
                .map(|p| {
                    Text::new(
                        format!("({}) {}", p.name, p.label.en),
                        format!("({}) {}", p.name, p.label.id),
                    )
                })
                .collect(),
            dimension_positive_verification: cat.rules.dimension_positive.verification.clone(),
            combination: combo.formula(),
            combination_verification: combo.verification.clone(),
        },
        typology: (primary.list == IndicatorList::Adult).then(|| typology(&primary)),
        dimensions: primary.dimensions.clone(),
        child_list: child.clone(),
        reasoning: Lines::default(),
    };
    eval.reasoning = reasoning(cat, &eval, &primary, child.as_ref());
    eval
}

fn dimension_line(cat: &Catalogue, d: &str, r: &DimensionResult, lang: Lang) -> String {
    let label = cat.dimension_label(d);
    let name = format!("{} {}", d.to_uppercase(), label.get(lang));
    let items: Vec<String> = r
        .counted
        .iter()
        .map(|c| {
            format!(
                "{} [{}] ({})",
                cat.label(&c.id).get(lang),
                c.grade.word().get(lang),
                c.answers.join(", ")
            )
        })
        .collect();
    let pattern = r.rule.as_ref().and_then(|n| {
        cat.rules
            .dimension_positive
            .any_of
            .iter()
            .find(|p| &p.name == n)
    });
    let mut line = match (lang, pattern) {
        (Lang::En, Some(p)) => format!("{name}: positive (rule {}: {})", p.name, p.label.en),
        (Lang::Id, Some(p)) => format!("{name}: positif (aturan {}: {})", p.name, p.label.id),
        (Lang::En, None) => format!(
            "{name}: not positive ({} strong, {} medium, {} weak counted)",
            r.strong, r.medium, r.weak
        ),
        (Lang::Id, None) => format!(
            "{name}: belum positif ({} kuat, {} sedang, {} lemah terhitung)",
            r.strong, r.medium, r.weak
        ),
    };
    if !items.is_empty() {
        line.push_str(" — ");
        line.push_str(&items.join("; "));
    }
    line.push('.');
    for u in &r.not_counted {
        let why = match (u.reason, lang) {
            (UncountedReason::NotOnChildList, Lang::En) => "not on the child list",
            (UncountedReason::NotOnChildList, Lang::Id) => "tidak ada dalam daftar anak",
            (UncountedReason::CircumstanceWithoutAbuse, Lang::En) => {
                "a circumstance, counted only once an abuse of vulnerability is recorded (design §8.5)"
            }
            (UncountedReason::CircumstanceWithoutAbuse, Lang::Id) => {
                "keadaan saja, baru dihitung bila penyalahgunaan kerentanan tercatat (desain §8.5)"
            }
        };
        let head = match lang {
            Lang::En => "Not counted",
            Lang::Id => "Tidak dihitung",
        };
        line.push_str(&format!(" {head}: {} — {why}.", cat.label(&u.id).get(lang)));
    }
    line
}

fn reasoning(
    cat: &Catalogue,
    eval: &IloEvaluation,
    primary: &ListResult,
    child: Option<&ListResult>,
) -> Lines {
    let mut lines = Lines::default();
    let list = match primary.list {
        IndicatorList::Adult => t!("adult list", "daftar dewasa"),
        IndicatorList::Child => t!("child list", "daftar anak"),
    };
    let positives: Vec<Text> = DIMENSIONS
        .iter()
        .filter(|d| primary.positive(d))
        .map(|d| Text::new(d.to_uppercase(), d.to_uppercase()))
        .collect();
    let pos = |lang| {
        if positives.is_empty() {
            match lang {
                Lang::En => "none".to_string(),
                Lang::Id => "tidak ada".to_string(),
            }
        } else {
            join(&positives, lang).replace(';', ",")
        }
    };
    lines.push(match eval.verdict {
        Verdict::Met => t!(
            format!("ILO/EC indicators ({}): the combination rule {} is met; positive dimensions: {}.", list.en, primary.combination, pos(Lang::En)),
            format!("Indikator ILO/EC ({}): aturan kombinasi {} terpenuhi; dimensi positif: {}.", list.id, formula_id(&primary.combination), pos(Lang::Id)),
        ),
        Verdict::MetIfChild => t!(
            format!("ILO/EC indicators ({}): the combination rule {} is not met; on the child list it would be met (age unknown). Positive dimensions: {}.", list.en, primary.combination, pos(Lang::En)),
            format!("Indikator ILO/EC ({}): aturan kombinasi {} tidak terpenuhi; menurut daftar anak akan terpenuhi (usia tidak diketahui). Dimensi positif: {}.", list.id, formula_id(&primary.combination), pos(Lang::Id)),
        ),
        _ => t!(
            format!("ILO/EC indicators ({}): the combination rule {} is not met; positive dimensions: {}.", list.en, primary.combination, pos(Lang::En)),
            format!("Indikator ILO/EC ({}): aturan kombinasi {} tidak terpenuhi; dimensi positif: {}.", list.id, formula_id(&primary.combination), pos(Lang::Id)),
        ),
    });
    for d in DIMENSIONS {
        let r = &primary.dimensions[d];
        if r.counted.is_empty() && r.not_counted.is_empty() {
            continue;
        }
        lines.push(Text::new(
            dimension_line(cat, d, r, Lang::En),
            dimension_line(cat, d, r, Lang::Id),
        ));
        if let Some(alt) = r.positive_under_alternative_grades {
            lines.push(t!(
                format!("{}: would be {} under the other reading of an unresolved grade (standards §2.3).", d.to_uppercase(), if alt { "positive" } else { "not positive" }),
                format!("{}: akan {} menurut bacaan lain atas tingkat yang belum pasti (standar §2.3).", d.to_uppercase(), if alt { "positif" } else { "tidak positif" }),
            ));
        }
    }
    if let Some(c) = child {
        let pos: Vec<String> = DIMENSIONS
            .iter()
            .filter(|d| c.positive(d))
            .map(|d| d.to_uppercase())
            .collect();
        let pos = if pos.is_empty() {
            "-".to_string()
        } else {
            pos.join(", ")
        };
        lines.push(t!(
            format!(
                "Child list (age unknown): positive dimensions {pos}; the child rule '{}' is {}.",
                c.combination,
                if c.combination_met { "met" } else { "not met" }
            ),
            format!(
                "Daftar anak (usia tidak diketahui): dimensi positif {pos}; aturan anak '{}' {}.",
                formula_id(&c.combination),
                if c.combination_met {
                    "terpenuhi"
                } else {
                    "tidak terpenuhi"
                }
            ),
        ));
    }
    if let Some(ty) = eval.typology {
        let (en, id) = match ty {
            Typology::NoExploitationShown => ("no exploitation shown yet", "belum terlihat eksploitasi"),
            Typology::ExploitedMigrant => ("exploited migrant (labour-rights case)", "migran yang dieksploitasi (kasus hak ketenagakerjaan)"),
            Typology::DeceptionAndExploitation => ("victim of deception and exploitation", "korban tipu daya dan eksploitasi"),
            Typology::TraffickingForForcedLabour => ("trafficking for forced labour", "perdagangan orang untuk kerja paksa"),
            Typology::OutsideTypology => ("a combination the typology does not name; the direct Palermo test decides (standards §2.7)", "kombinasi yang tidak tercakup tipologi; uji Palermo langsung yang menentukan (standar §2.7)"),
        };
        lines.push(t!(
            format!("Typology (secondary source): {en}."),
            format!("Tipologi (sumber sekunder): {id}.")
        ));
    }
    let pv = verification_word(&cat.rules.dimension_positive.verification);
    let cv = verification_word(&eval.rule.combination_verification);
    lines.push(t!(
        format!("Rules as data (catalogue {}): positivity rule [{}], combination rule [{}]. Thresholds are unvalidated for forced criminality.", cat.version, pv.en, cv.en),
        format!("Aturan sebagai data (katalog {}): aturan positivitas [{}], aturan kombinasi [{}]. Ambang batas belum divalidasi untuk kriminalitas paksa.", cat.version, pv.id, cv.id),
    ));
    lines
}

fn formula_id(f: &str) -> String {
    f.split(' ')
        .map(|w| match w {
            "OR" => "ATAU",
            "AND" => "DAN",
            "act" => "perbuatan",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The grading word of a verification note ("secondary (…)" → secondary / sekunder).
pub(crate) fn verification_word(v: &str) -> Text {
    match v.split_whitespace().next().unwrap_or("") {
        "verified" => Text::new("verified", "terverifikasi"),
        "secondary" => Text::new("secondary source", "sumber sekunder"),
        "unverified" => Text::new("unverified", "belum diverifikasi"),
        "project" => Text::new("project decision", "keputusan proyek"),
        other => Text::new(other, other),
    }
}
