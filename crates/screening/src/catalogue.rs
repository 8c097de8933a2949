//! The versioned indicator catalogue: data shipped in the crate (`catalogue/v*.json`), parsed and
//! checked once.
//!
//! A catalogue holds the indicators (ILO/EC, forced criminality, Palermo elements, forced-labour
//! components, role indicators, urgent needs), what each indicator implies, the rules that are
//! themselves only [secondary] or [unverified] in the reference (per-dimension positivity, the
//! dimension-combination formulas, the vulnerability gate, the outcome signals) and the
//! non-punishment liabilities with their legal bases. Identifiers never change meaning: a newer
//! catalogue may add entries and correct grades or rules, never rename or remove an id.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{bad_catalogue, ScreeningError};
use crate::text::{Lines, Text};

/// The catalogues shipped in this crate, oldest first. The last is the current one.
const BUILTIN: &[&str] = &[include_str!("../catalogue/v1.json")];

static BUILTINS: OnceLock<Vec<Catalogue>> = OnceLock::new();

fn builtins() -> &'static [Catalogue] {
    BUILTINS.get_or_init(|| {
        BUILTIN
            .iter()
            .map(|text| {
                Catalogue::from_json(text)
                    .unwrap_or_else(|e| panic!("a shipped screening catalogue is invalid: {e}"))
            })
            .collect()
    })
}

/// Strength of an ILO/EC indicator. Ordered weak < medium < strong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    W,
    M,
    S,
}

impl Grade {
    pub fn word(self) -> Text {
        match self {
            Grade::S => Text::new("strong", "kuat"),
            Grade::M => Text::new("medium", "sedang"),
            Grade::W => Text::new("weak", "lemah"),
        }
    }
}

/// What family an entry belongs to; fixes its id prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// ILO/EC operational indicators (Delphi 2009), `ilo.dN.K`.
    IloEc,
    /// Forced criminality in scam compounds, `fc.*`.
    ForcedCriminality,
    /// Palermo Protocol Art. 3(a) elements, `pal.act.*`, `pal.means.*`, `pal.purpose.*`.
    Palermo,
    /// ILO forced-labour components, `fl.inv.*` (involuntariness) and `fl.pen.*` (penalty).
    ForcedLabour,
    /// Indicators of a recruiter/facilitator role or of freedom, `role.*`. Never change the outcome.
    Role,
    /// Urgent needs, `need.*`. Never change the outcome.
    UrgentNeed,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::IloEc => "ilo.",
            Kind::ForcedCriminality => "fc.",
            Kind::Palermo => "pal.",
            Kind::ForcedLabour => "fl.",
            Kind::Role => "role.",
            Kind::UrgentNeed => "need.",
        }
    }

    /// Whether answering this entry `present` can change an evaluator's verdict or the outcome.
    pub fn is_indicator(self) -> bool {
        !matches!(self, Kind::Role | Kind::UrgentNeed)
    }
}

/// One catalogue entry: an interview question and the indicator it records.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub kind: Kind,
    /// `d1`…`d6` for ILO/EC entries; `act`/`means`/`purpose` for Palermo elements;
    /// `involuntariness`/`penalty` for forced-labour components.
    #[serde(default)]
    pub dimension: Option<String>,
    /// Adult-list grade (ILO/EC entries only).
    #[serde(default)]
    pub grade: Option<Grade>,
    /// Child-list grade; `null` means the indicator is not on the child list.
    #[serde(default)]
    pub grade_child: Option<Grade>,
    /// The other reading of an unresolved adult grade (standards §2.3, D3 items).
    #[serde(default)]
    pub grade_alternative: Option<Grade>,
    /// A vulnerability circumstance that counts only once an abuse is recorded (design §8.5).
    #[serde(default)]
    pub circumstance: bool,
    /// Interview section: recruitment, journey, compound, leaving, now.
    pub section: String,
    pub label: Text,
    /// Interview wording; answering "yes" means `present`.
    pub question: Text,
    /// Keys into the catalogue's `sources`.
    pub sources: Vec<String>,
    /// Ids this entry implies when present (Palermo elements, forced-labour components, ILO/EC
    /// indicators). Implication is transitive.
    #[serde(default)]
    pub implies: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    pub id: String,
    pub label: Text,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub title: String,
    #[serde(default)]
    pub url: Option<String>,
    /// verified, secondary, unverified or project (standards grading).
    pub verification: String,
}

/// A legal text quoted in the non-punishment assessment.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    pub source: String,
    pub verification: String,
    pub text: Text,
}

/// One pattern of the per-dimension positivity rule (standards §2.4): slots by minimum grade.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    pub name: String,
    /// Slots that take a strong indicator.
    pub s: u32,
    /// Slots that take a medium or strong indicator.
    pub m: u32,
    /// Slots that take an indicator of any grade.
    pub w: u32,
    pub label: Text,
}

impl Pattern {
    /// Whether `s`, `m`, `w` distinct indicators (by grade) fill the pattern. Greedy filling from
    /// the strongest slot is optimal because a stronger indicator can fill any weaker slot.
    pub fn satisfied_by(&self, s: u32, m: u32, w: u32) -> bool {
        if s < self.s {
            return false;
        }
        let spare_strong = s - self.s;
        let for_medium = spare_strong + m;
        if for_medium < self.m {
            return false;
        }
        for_medium - self.m + w >= self.w
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositivityRule {
    pub source: String,
    pub verification: String,
    pub slot_semantics: String,
    pub any_of: Vec<Pattern>,
}

/// A conjunction of disjunctions over dimension ids (`d1`…`d6`) and `act` (a Palermo act).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Combination {
    pub source: String,
    pub verification: String,
    pub all_of: Vec<Vec<String>>,
}

impl Combination {
    /// Human-readable formula, e.g. `(d1 OR d2 OR d3) AND d4 AND (d5 OR d6)`.
    pub fn formula(&self) -> String {
        self.all_of
            .iter()
            .map(|g| {
                if g.len() == 1 {
                    g[0].clone()
                } else {
                    format!("({})", g.join(" OR "))
                }
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VulnerabilityGate {
    pub source: String,
    pub note: String,
    pub opened_by: Vec<String>,
}

/// Which derived elements raise the graded outcome (design §8.3). Patterns are exact ids or
/// `prefix.*`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRules {
    pub source: String,
    pub possible_victim_signals: Vec<String>,
    pub exploitation_signals: Vec<String>,
}

/// A role indicator and the derived elements it seems to contradict (flag only, design §8.4).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contradiction {
    pub role: String,
    pub against: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Palermo 3(d): "'Child' shall mean any person under eighteen years of age."
    pub child_age_below: u8,
    pub child_age_source: String,
    pub dimension_positive: PositivityRule,
    pub combination_adult: Combination,
    pub combination_child: Combination,
    pub vulnerability_gate: VulnerabilityGate,
    pub outcome: OutcomeRules,
    pub contradictions: Vec<Contradiction>,
}

/// Criminal, administrative, or either depending on the jurisdiction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    Criminal,
    Administrative,
    CriminalOrAdministrative,
}

impl Nature {
    pub fn parse(s: &str) -> Option<Nature> {
        match s {
            "criminal" => Some(Nature::Criminal),
            "administrative" => Some(Nature::Administrative),
            "criminal_or_administrative" => Some(Nature::CriminalOrAdministrative),
            _ => None,
        }
    }

    pub fn may_be_criminal(self) -> bool {
        !matches!(self, Nature::Administrative)
    }
}

/// A liability the person may face, and which answers link it to the trafficking.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiabilitySpec {
    pub kind: String,
    pub nature: Nature,
    /// Named by OHCHR Principle 7 / Guideline 4.5 ("illegality of their entry or residence").
    pub entry_or_residence: bool,
    pub label: Text,
    pub question: Text,
    /// Compulsion test (UU 21/2007 Art. 18): all groups must be met, each by any of its ids.
    pub compulsion: Vec<Vec<String>>,
    /// Direct-consequence test (OHCHR P7, ACTIP 14(7)): same shape.
    pub consequence: Vec<Vec<String>>,
}

/// A parsed, checked catalogue.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub schema: u32,
    pub version: String,
    pub title: Text,
    pub status: Text,
    pub interview_guidance: Lines,
    pub sections: Vec<Labelled>,
    pub dimensions: Vec<Labelled>,
    pub element_groups: Vec<Labelled>,
    pub sources: BTreeMap<String, Source>,
    pub legal_bases: BTreeMap<String, LegalBasis>,
    pub rules: Rules,
    pub liabilities: Vec<LiabilitySpec>,
    pub entries: Vec<Entry>,
    #[serde(skip)]
    index: HashMap<String, usize>,
    /// Per entry (same order as `entries`): every id it implies, transitively, itself excluded.
    #[serde(skip)]
    closure: Vec<BTreeSet<String>>,
    #[serde(skip)]
    raw: serde_json::Value,
}

/// Legal bases the engine quotes by key; every catalogue must define them.
pub(crate) const REQUIRED_LEGAL_BASES: &[&str] = &[
    "palermo_3b",
    "palermo_3c",
    "uu21_art18",
    "ohchr_p7",
    "ohchr_g4_5",
    "actip_14_7",
];

pub(crate) const DIMENSIONS: [&str; 6] = ["d1", "d2", "d3", "d4", "d5", "d6"];
pub(crate) const SECTIONS: [&str; 5] = ["recruitment", "journey", "compound", "leaving", "now"];

/// Whether `id` matches a signal pattern: an exact id, or `prefix.*`.
pub(crate) fn pattern_matches(pattern: &str, id: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => pattern == id,
    }
}

/// Label of `id` in a labelled list; falls back to the id itself.
fn label_in(list: &[Labelled], id: &str) -> Text {
    list.iter()
        .find(|x| x.id == id)
        .map(|x| x.label.clone())
        .unwrap_or_else(|| Text::new(id, id))
}

impl Catalogue {
    /// The current shipped catalogue.
    pub fn latest() -> &'static Catalogue {
        builtins()
            .last()
            .expect("at least one catalogue is shipped")
    }

    /// A shipped catalogue by version.
    pub fn builtin(version: &str) -> Result<&'static Catalogue, ScreeningError> {
        builtins()
            .iter()
            .find(|c| c.version == version)
            .ok_or_else(|| ScreeningError::UnknownCatalogueVersion(version.to_string()))
    }

    /// Versions of the shipped catalogues, oldest first.
    pub fn builtin_versions() -> Vec<&'static str> {
        builtins().iter().map(|c| c.version.as_str()).collect()
    }

    /// Parses and checks a catalogue (used for the shipped files, and by tests for variants).
    pub fn from_json(text: &str) -> Result<Catalogue, ScreeningError> {
        let raw: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad_catalogue("?", e.to_string()))?;
        let mut cat: Catalogue = serde_json::from_value(raw.clone()).map_err(|e| {
            let v = raw.get("version").and_then(|v| v.as_str()).unwrap_or("?");
            bad_catalogue(v, e.to_string())
        })?;
        cat.raw = raw;
        cat.check_and_index()?;
        Ok(cat)
    }

    /// The catalogue as JSON, as shipped, with each entry's transitive implications added
    /// (`implies_all`) so that a reader sees, e.g., which ILO/EC indicator and grade a
    /// forced-criminality entry counts as.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = self.raw.clone();
        if let Some(entries) = v.get_mut("entries").and_then(|e| e.as_array_mut()) {
            for (i, e) in entries.iter_mut().enumerate() {
                if let Some(obj) = e.as_object_mut() {
                    let all: Vec<&String> = self.closure[i].iter().collect();
                    obj.insert("implies_all".into(), serde_json::json!(all));
                }
            }
        }
        v
    }

    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.index.get(id).map(|&i| &self.entries[i])
    }

    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Every id `id` implies, transitively (empty for unknown ids).
    pub fn implied_by(&self, id: &str) -> &BTreeSet<String> {
        static EMPTY: BTreeSet<String> = BTreeSet::new();
        self.index
            .get(id)
            .map(|&i| &self.closure[i])
            .unwrap_or(&EMPTY)
    }

    /// Label of an entry; falls back to the id itself.
    pub(crate) fn label(&self, id: &str) -> Text {
        self.entry(id)
            .map(|e| e.label.clone())
            .unwrap_or_else(|| Text::new(id, id))
    }

    pub(crate) fn dimension_label(&self, d: &str) -> Text {
        label_in(&self.dimensions, d)
    }

    pub(crate) fn section_label(&self, s: &str) -> Text {
        label_in(&self.sections, s)
    }

    pub fn liability(&self, kind: &str) -> Option<&LiabilitySpec> {
        self.liabilities.iter().find(|l| l.kind == kind)
    }

    pub(crate) fn legal_basis(&self, key: &str) -> &LegalBasis {
        // Presence is checked when the catalogue is loaded (REQUIRED_LEGAL_BASES).
        &self.legal_bases[key]
    }

    /// Entries of one kind, in catalogue order.
    pub fn entries_of(&self, kind: Kind) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.kind == kind)
    }

    /// Checks that `self` can re-evaluate screenings decided under `older`: every old id still
    /// exists with the same kind and dimension (ids never change meaning).
    pub fn check_supersedes(&self, older: &Catalogue) -> Result<(), ScreeningError> {
        for e in &older.entries {
            match self.entry(&e.id) {
                None => {
                    return Err(bad_catalogue(
                        &self.version,
                        format!("id {:?} of catalogue {} is missing", e.id, older.version),
                    ))
                }
                Some(n) if n.kind != e.kind || n.dimension != e.dimension => {
                    return Err(bad_catalogue(
                        &self.version,
                        format!("id {:?} changed its kind or dimension", e.id),
                    ))
                }
                Some(_) => {}
            }
        }
        for l in &older.liabilities {
            if self.liability(&l.kind).is_none() {
                return Err(bad_catalogue(
                    &self.version,
                    format!("liability {:?} is missing", l.kind),
                ));
            }
        }
        Ok(())
    }

    fn check_and_index(&mut self) -> Result<(), ScreeningError> {
        let v = self.version.clone();
        let err = |reason: String| bad_catalogue(&v, reason);
        if self.schema != 1 {
            return Err(err(format!("unsupported schema {}", self.schema)));
        }
        if self.version.is_empty() {
            return Err(err("empty version".into()));
        }
        let sections: Vec<&str> = self.sections.iter().map(|s| s.id.as_str()).collect();
        if sections != SECTIONS {
            return Err(err(format!("sections must be {SECTIONS:?}")));
        }
        let dims: Vec<&str> = self.dimensions.iter().map(|s| s.id.as_str()).collect();
        if dims != DIMENSIONS {
            return Err(err(format!("dimensions must be {DIMENSIONS:?}")));
        }
        for key in REQUIRED_LEGAL_BASES {
            if !self.legal_bases.contains_key(*key) {
                return Err(err(format!("legal basis {key:?} is missing")));
            }
        }
        for (k, b) in &self.legal_bases {
            if !self.sources.contains_key(&b.source) {
                return Err(err(format!(
                    "legal basis {k:?}: unknown source {:?}",
                    b.source
                )));
            }
        }

        self.index.clear();
        for (i, e) in self.entries.iter().enumerate() {
            if self.index.insert(e.id.clone(), i).is_some() {
                return Err(err(format!("duplicate id {:?}", e.id)));
            }
        }
        for e in &self.entries {
            self.check_entry(e)
                .map_err(|r| err(format!("{}: {r}", e.id)))?;
        }

        // Transitive closure of `implies`, refusing cycles.
        let n = self.entries.len();
        let mut closure: Vec<Option<BTreeSet<String>>> = vec![None; n];
        for i in 0..n {
            let mut stack = Vec::new();
            self.close(i, &mut closure, &mut stack).map_err(err)?;
        }
        self.closure = closure.into_iter().map(|c| c.unwrap_or_default()).collect();

        self.check_rules().map_err(err)?;
        Ok(())
    }

    fn close(
        &self,
        i: usize,
        done: &mut Vec<Option<BTreeSet<String>>>,
        stack: &mut Vec<usize>,
    ) -> Result<(), String> {
        if done[i].is_some() {
            return Ok(());
        }
        if stack.contains(&i) {
            return Err(format!(
                "implication cycle through {:?}",
                self.entries[i].id
            ));
        }
        stack.push(i);
        let mut set = BTreeSet::new();
        for target in &self.entries[i].implies {
            let j = self.index[target];
            self.close(j, done, stack)?;
            set.insert(target.clone());
            if let Some(sub) = &done[j] {
                set.extend(sub.iter().cloned());
            }
        }
        stack.pop();
        done[i] = Some(set);
        Ok(())
    }

    fn check_entry(&self, e: &Entry) -> Result<(), String> {
        if !e.id.starts_with(e.kind.prefix()) {
            return Err(format!(
                "a {:?} id must start with {:?}",
                e.kind,
                e.kind.prefix()
            ));
        }
        if !e
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_')
        {
            return Err("ids use a-z, 0-9, '.' and '_' only".into());
        }
        if !SECTIONS.contains(&e.section.as_str()) {
            return Err(format!("unknown section {:?}", e.section));
        }
        for t in [&e.label, &e.question] {
            if t.en.trim().is_empty() || t.id.trim().is_empty() {
                return Err("label and question need both English and Indonesian".into());
            }
        }
        if e.sources.is_empty() {
            return Err("no source".into());
        }
        for s in &e.sources {
            if !self.sources.contains_key(s) {
                return Err(format!("unknown source {s:?}"));
            }
        }
        for target in &e.implies {
            let Some(t) = self.entry(target) else {
                return Err(format!("implies unknown id {target:?}"));
            };
            if target == &e.id {
                return Err("implies itself".into());
            }
            if !t.kind.is_indicator() {
                return Err(format!("implies {target:?}, which is not an indicator"));
            }
        }
        let dim = e.dimension.as_deref();
        match e.kind {
            Kind::IloEc => {
                let d = dim.ok_or("ILO/EC entries need a dimension")?;
                if !DIMENSIONS.contains(&d) || !e.id.starts_with(&format!("ilo.{d}.")) {
                    return Err(format!("dimension {d:?} does not match the id"));
                }
                if e.grade.is_none() {
                    return Err("ILO/EC entries need a grade".into());
                }
            }
            Kind::Palermo => {
                let d = dim.ok_or("Palermo elements need a dimension")?;
                if !["act", "means", "purpose"].contains(&d)
                    || !e.id.starts_with(&format!("pal.{d}."))
                {
                    return Err(format!("dimension {d:?} does not match the id"));
                }
            }
            Kind::ForcedLabour => {
                let d = dim.ok_or("forced-labour entries need a dimension")?;
                let prefix = match d {
                    "involuntariness" => "fl.inv.",
                    "penalty" => "fl.pen.",
                    _ => return Err(format!("unknown forced-labour dimension {d:?}")),
                };
                if !e.id.starts_with(prefix) {
                    return Err(format!("dimension {d:?} does not match the id"));
                }
            }
            _ => {
                if dim.is_some() {
                    return Err(
                        "only ILO/EC, Palermo and forced-labour entries have a dimension".into(),
                    );
                }
            }
        }
        if e.kind != Kind::IloEc
            && (e.grade.is_some()
                || e.grade_child.is_some()
                || e.grade_alternative.is_some()
                || e.circumstance)
        {
            return Err("only ILO/EC entries have grades or circumstances".into());
        }
        if !e.kind.is_indicator() && !e.implies.is_empty() {
            return Err("role and urgent-need entries imply nothing".into());
        }
        Ok(())
    }

    fn check_rules(&self) -> Result<(), String> {
        let r = &self.rules;
        for (name, src) in [
            ("child_age_source", &r.child_age_source),
            ("dimension_positive", &r.dimension_positive.source),
            ("combination_adult", &r.combination_adult.source),
            ("combination_child", &r.combination_child.source),
            ("vulnerability_gate", &r.vulnerability_gate.source),
            ("outcome", &r.outcome.source),
        ] {
            if !self.sources.contains_key(src) {
                return Err(format!("rules.{name}: unknown source {src:?}"));
            }
        }
        if r.dimension_positive.any_of.is_empty() {
            return Err("rules.dimension_positive: no pattern".into());
        }
        for p in &r.dimension_positive.any_of {
            if p.s + p.m + p.w < 2 {
                return Err(format!(
                    "rules.dimension_positive: pattern {} needs at least two indicators",
                    p.name
                ));
            }
        }
        for (name, c) in [
            ("combination_adult", &r.combination_adult),
            ("combination_child", &r.combination_child),
        ] {
            if c.all_of.is_empty() || c.all_of.iter().any(|g| g.is_empty()) {
                return Err(format!("rules.{name}: empty group"));
            }
            for term in c.all_of.iter().flatten() {
                if term != "act" && !DIMENSIONS.contains(&term.as_str()) {
                    return Err(format!("rules.{name}: unknown term {term:?}"));
                }
            }
        }
        for id in &r.vulnerability_gate.opened_by {
            if self.entry(id).is_none() {
                return Err(format!("rules.vulnerability_gate: unknown id {id:?}"));
            }
        }
        for p in r
            .outcome
            .possible_victim_signals
            .iter()
            .chain(&r.outcome.exploitation_signals)
        {
            if !self.entries.iter().any(|e| pattern_matches(p, &e.id)) {
                return Err(format!("rules.outcome: pattern {p:?} matches nothing"));
            }
        }
        for c in &r.contradictions {
            match self.entry(&c.role) {
                Some(e) if e.kind == Kind::Role => {}
                _ => return Err(format!("rules.contradictions: {:?} is not a role", c.role)),
            }
            for id in &c.against {
                if self.entry(id).is_none() {
                    return Err(format!("rules.contradictions: unknown id {id:?}"));
                }
            }
        }
        let mut kinds = BTreeSet::new();
        for l in &self.liabilities {
            if !kinds.insert(&l.kind) {
                return Err(format!("duplicate liability {:?}", l.kind));
            }
            if l.consequence.is_empty() && !l.entry_or_residence {
                return Err(format!(
                    "liability {:?}: no direct-consequence link",
                    l.kind
                ));
            }
            if l.nature.may_be_criminal() && l.compulsion.is_empty() {
                return Err(format!("liability {:?}: no compulsion link", l.kind));
            }
            for id in l.compulsion.iter().chain(&l.consequence).flatten() {
                if self.entry(id).is_none() {
                    return Err(format!("liability {:?}: unknown id {id:?}", l.kind));
                }
            }
            if l.compulsion
                .iter()
                .chain(&l.consequence)
                .any(|g| g.is_empty())
            {
                return Err(format!("liability {:?}: empty link group", l.kind));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v1() -> &'static Catalogue {
        Catalogue::builtin("1").unwrap()
    }

    fn raw() -> serde_json::Value {
        serde_json::from_str(BUILTIN[0]).unwrap()
    }

    fn reload(v: serde_json::Value) -> Result<Catalogue, ScreeningError> {
        Catalogue::from_json(&v.to_string())
    }

    #[test]
    fn ships_the_67_adult_indicators_with_the_contract_ids() {
        // standards §2.2: 10, 10, 16, 9, 15, 7 = 67; ids per indicator-ids.md.
        let cat = v1();
        for (d, n) in [
            ("d1", 10),
            ("d2", 10),
            ("d3", 16),
            ("d4", 9),
            ("d5", 15),
            ("d6", 7),
        ] {
            let ids: Vec<&str> = cat
                .entries_of(Kind::IloEc)
                .filter(|e| e.dimension.as_deref() == Some(d))
                .map(|e| e.id.as_str())
                .collect();
            let expected: Vec<String> = (1..=n).map(|k| format!("ilo.{d}.{k}")).collect();
            assert_eq!(ids, expected, "{d}");
        }
        assert_eq!(cat.entries_of(Kind::IloEc).count(), 67);
    }

    #[test]
    fn adult_grades_follow_standards_2_3() {
        // (dimension, strong, medium, weak) per §2.3, D3 read as 14 M + 2 W.
        let cat = v1();
        for (d, s, m, w) in [
            ("d1", 1, 8, 1),
            ("d2", 1, 9, 0),
            ("d3", 0, 14, 2),
            ("d4", 1, 7, 1),
            ("d5", 4, 10, 1),
            ("d6", 0, 5, 2),
        ] {
            let grades: Vec<Grade> = cat
                .entries_of(Kind::IloEc)
                .filter(|e| e.dimension.as_deref() == Some(d))
                .map(|e| e.grade.unwrap())
                .collect();
            let count = |g| grades.iter().filter(|x| **x == g).count();
            assert_eq!(
                (count(Grade::S), count(Grade::M), count(Grade::W)),
                (s, m, w),
                "{d}"
            );
        }
        // The unresolved D3 items carry the other reading.
        for id in ["ilo.d3.13", "ilo.d3.14"] {
            assert_eq!(cat.entry(id).unwrap().grade_alternative, Some(Grade::W));
        }
        // Phase escalation: M at recruitment, S at destination.
        for (rec, dest) in [
            ("ilo.d2.3", "ilo.d5.1"),
            ("ilo.d2.4", "ilo.d5.2"),
            ("ilo.d2.5", "ilo.d5.3"),
        ] {
            assert_eq!(cat.entry(rec).unwrap().grade, Some(Grade::M));
            assert_eq!(cat.entry(dest).unwrap().grade, Some(Grade::S));
        }
    }

    #[test]
    fn child_list_differences_follow_standards_2_6() {
        let cat = v1();
        let child: Vec<&Entry> = cat
            .entries_of(Kind::IloEc)
            .filter(|e| e.grade_child.is_some())
            .collect();
        assert_eq!(child.len(), 65, "67 - 2");
        assert!(
            child.iter().all(|e| e.grade_child != Some(Grade::W)),
            "no weak tier"
        );
        let absent = ["ilo.d3.7", "ilo.d4.6"];
        let strong = [
            "ilo.d2.7",
            "ilo.d5.11",
            "ilo.d2.2",
            "ilo.d2.4",
            "ilo.d5.5",
            "ilo.d5.6",
            "ilo.d5.12",
            "ilo.d1.10",
        ];
        let weak_to_medium = [
            "ilo.d3.15",
            "ilo.d3.16",
            "ilo.d4.9",
            "ilo.d5.15",
            "ilo.d6.6",
            "ilo.d6.7",
        ];
        for id in absent {
            assert_eq!(
                cat.entry(id).unwrap().grade_child,
                None,
                "{id} absent for children"
            );
        }
        for id in strong {
            assert_eq!(
                cat.entry(id).unwrap().grade_child,
                Some(Grade::S),
                "{id} strong for children"
            );
        }
        for id in weak_to_medium {
            assert_eq!(cat.entry(id).unwrap().grade, Some(Grade::W));
            assert_eq!(
                cat.entry(id).unwrap().grade_child,
                Some(Grade::M),
                "{id} W -> M"
            );
        }
        // Everything else keeps its adult grade.
        let changed = [&strong[..], &weak_to_medium[..], &absent[..]].concat();
        for e in cat
            .entries_of(Kind::IloEc)
            .filter(|e| !changed.contains(&e.id.as_str()))
        {
            assert_eq!(e.grade_child, e.grade, "{}", e.id);
        }
    }

    #[test]
    fn positivity_patterns_follow_standards_2_4() {
        let rule = &v1().rules.dimension_positive;
        let positive = |s, m, w| rule.any_of.iter().any(|p| p.satisfied_by(s, m, w));
        assert!(positive(2, 0, 0), "(a) 2 S");
        assert!(positive(1, 1, 0), "(b) 1 S + 1 M");
        assert!(positive(1, 0, 1), "(b) 1 S + 1 W");
        assert!(positive(0, 3, 0), "(c) 3 M");
        assert!(positive(0, 2, 1), "(d) 2 M + 1 W");
        assert!(!positive(1, 0, 0), "a single S alone is not enough");
        assert!(!positive(0, 0, 9), "W alone never suffices");
        assert!(!positive(0, 1, 2), "1 M + 2 W is not enough");
        assert!(!positive(0, 2, 0), "2 M is not enough");
        assert!(!positive(0, 1, 0));
    }

    #[test]
    fn slots_take_stronger_indicators() {
        let p = Pattern {
            name: "x".into(),
            s: 1,
            m: 1,
            w: 1,
            label: Text::new("", ""),
        };
        assert!(p.satisfied_by(3, 0, 0));
        assert!(p.satisfied_by(1, 2, 0));
        assert!(!p.satisfied_by(0, 3, 0));
        assert!(!p.satisfied_by(1, 0, 1));
    }

    #[test]
    fn combination_formulas() {
        let r = &v1().rules;
        assert_eq!(
            r.combination_adult.formula(),
            "(d1 OR d2 OR d3) AND d4 AND (d5 OR d6)"
        );
        assert_eq!(r.combination_child.formula(), "act AND d4");
        assert_eq!(r.child_age_below, 18);
    }

    #[test]
    fn implications_are_transitive() {
        let cat = v1();
        let all = cat.implied_by("fc.passport_taken_on_arrival");
        for id in [
            "ilo.d5.1",
            "pal.act.harbouring",
            "pal.means.coercion",
            "fl.pen.documents_withheld",
        ] {
            assert!(all.contains(id), "{id}");
        }
        // The brief's examples: confinement at destination is harbouring; violence is force;
        // deception about the job is deception.
        assert!(cat.implied_by("ilo.d5.3").contains("pal.act.harbouring"));
        assert!(cat.implied_by("ilo.d5.4").contains("pal.means.force"));
        assert!(cat.implied_by("ilo.d2.1").contains("pal.means.force"));
        assert!(cat.implied_by("ilo.d1.1").contains("pal.means.deception"));
        // Circumstances imply nothing (design §8.5).
        for e in cat.entries.iter().filter(|e| e.circumstance) {
            assert!(e.implies.is_empty(), "{}", e.id);
        }
    }

    #[test]
    fn scam_layer_maps_to_delphi_as_in_design_8_7() {
        let cat = v1();
        for (fc, ilo) in [
            ("fc.fake_job_offer", "ilo.d1.1"),
            ("fc.fines_and_debts", "ilo.d5.2"),
            ("fc.fines_and_debts", "ilo.d4.8"),
            ("fc.ransom_to_leave", "ilo.d5.2"),
            ("fc.ransom_to_leave", "ilo.d4.8"),
            ("fc.passport_taken_on_arrival", "ilo.d5.1"),
            ("fc.phone_confiscated", "ilo.d5.3"),
            ("fc.guarded_compound", "ilo.d5.3"),
            ("fc.sold_between_compounds", "ilo.d2.2"),
            ("fc.quota_violence", "ilo.d5.4"),
            ("fc.quota_threats", "ilo.d5.11"),
            ("fc.forced_to_scam", "ilo.d5.5"),
        ] {
            assert!(cat.implied_by(fc).contains(ilo), "{fc} -> {ilo}");
        }
    }

    #[test]
    fn every_entry_is_bilingual_and_sourced() {
        for e in &v1().entries {
            assert!(!e.label.en.is_empty() && !e.label.id.is_empty(), "{}", e.id);
            assert!(
                !e.question.en.is_empty() && !e.question.id.is_empty(),
                "{}",
                e.id
            );
            assert!(
                e.question.en.ends_with('?') || e.question.en.ends_with(".)"),
                "{}",
                e.id
            );
            assert!(!e.sources.is_empty(), "{}", e.id);
        }
    }

    #[test]
    fn rejects_cycles() {
        let mut v = raw();
        let entries = v["entries"].as_array_mut().unwrap();
        let force = entries
            .iter_mut()
            .find(|e| e["id"] == "pal.means.force")
            .unwrap();
        force["implies"] = serde_json::json!(["fc.quota_violence"]);
        let err = reload(v).unwrap_err().to_string();
        assert!(err.contains("cycle"), "{err}");
    }

    #[test]
    fn rejects_unknown_implications_prefixes_and_fields() {
        let mut v = raw();
        v["entries"][0]["implies"] = serde_json::json!(["pal.means.nonexistent"]);
        assert!(reload(v).unwrap_err().to_string().contains("unknown id"));

        let mut v = raw();
        v["entries"][0]["id"] = serde_json::json!("xx.d1.1");
        assert!(reload(v)
            .unwrap_err()
            .to_string()
            .contains("must start with"));

        let mut v = raw();
        v["entries"][0]["weight"] = serde_json::json!(3);
        assert!(reload(v).unwrap_err().to_string().contains("weight"));

        let mut v = raw();
        v["legal_bases"]
            .as_object_mut()
            .unwrap()
            .remove("uu21_art18");
        assert!(reload(v).unwrap_err().to_string().contains("uu21_art18"));

        let mut v = raw();
        v["rules"]["combination_adult"]["all_of"] = serde_json::json!([["d7"]]);
        assert!(reload(v).unwrap_err().to_string().contains("d7"));

        let mut v = raw();
        let dup = v["entries"][0].clone();
        v["entries"].as_array_mut().unwrap().push(dup);
        assert!(reload(v).unwrap_err().to_string().contains("duplicate"));
    }

    #[test]
    fn supersession_keeps_every_id() {
        let cat = v1();
        cat.check_supersedes(cat).unwrap();
        let mut v = raw();
        v["version"] = serde_json::json!("2-test");
        v["entries"]
            .as_array_mut()
            .unwrap()
            .retain(|e| e["id"] != "fc.salary_lure");
        let newer = reload(v).unwrap();
        assert!(newer.check_supersedes(cat).is_err());
    }

    #[test]
    fn json_adds_transitive_implications() {
        let j = v1().to_json();
        let e = j["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == "fc.fake_job_offer")
            .unwrap();
        let all: Vec<&str> = e["implies_all"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert!(all.contains(&"ilo.d1.1") && all.contains(&"pal.means.deception"));
        assert_eq!(j["version"], "1");
    }

    #[test]
    fn unknown_builtin_version() {
        assert_eq!(
            Catalogue::builtin("0").unwrap_err(),
            ScreeningError::UnknownCatalogueVersion("0".into())
        );
        assert_eq!(Catalogue::builtin_versions(), vec!["1"]);
    }
}
