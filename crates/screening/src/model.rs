//! Shared result types.

use serde::{Deserialize, Serialize};

use crate::text::Text;

/// The graded screening outcome, lowest first. Never a bare "not a victim" (design §8.3): the
/// lowest grade says no indicators have been found *yet*.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No trafficking or exploitation indicator found yet; protection needs are still assessed.
    NoIndicatorsYet,
    /// Exploitation without trafficking indicators: labour-rights referral.
    ExploitedMigrant,
    /// Trafficking indicators present but the tests are not (yet) met: more information needed.
    PossibleVictim,
    /// A trafficking test is met: refer for formal identification and protection.
    PresumedVictim,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::NoIndicatorsYet,
        Outcome::ExploitedMigrant,
        Outcome::PossibleVictim,
        Outcome::PresumedVictim,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NoIndicatorsYet => "no_indicators_yet",
            Outcome::ExploitedMigrant => "exploited_migrant",
            Outcome::PossibleVictim => "possible_victim",
            Outcome::PresumedVictim => "presumed_victim",
        }
    }

    pub fn label(self) -> Text {
        match self {
            Outcome::PresumedVictim => Text::new(
                "Presumed victim of trafficking",
                "Diduga korban perdagangan orang",
            ),
            Outcome::PossibleVictim => Text::new(
                "Possible victim of trafficking",
                "Kemungkinan korban perdagangan orang",
            ),
            Outcome::ExploitedMigrant => Text::new(
                "Exploited migrant worker",
                "Pekerja migran yang dieksploitasi",
            ),
            Outcome::NoIndicatorsYet => Text::new(
                "No indicators identified yet",
                "Belum ada indikator yang teridentifikasi",
            ),
        }
    }

    /// What to do next (UNODC: a positive screen prompts "a more fulsome victim identification
    /// process", standards §4.1; design §8.3).
    pub fn referral(self) -> Text {
        match self {
            Outcome::PresumedVictim => Text::new(
                "Refer for formal identification and protection; the person must not be punished for acts linked to the trafficking.",
                "Rujuk untuk identifikasi resmi dan perlindungan; orang ini tidak boleh dihukum atas perbuatan yang terkait dengan perdagangan orang.",
            ),
            Outcome::PossibleVictim => Text::new(
                "More information is needed: protect the person as a possible victim and continue the assessment.",
                "Perlu informasi lebih lanjut: lindungi orang ini sebagai kemungkinan korban dan lanjutkan penilaian.",
            ),
            Outcome::ExploitedMigrant => Text::new(
                "Refer for labour-rights support, and keep watching for trafficking indicators.",
                "Rujuk untuk pendampingan hak ketenagakerjaan, dan tetap perhatikan indikator perdagangan orang.",
            ),
            Outcome::NoIndicatorsYet => Text::new(
                "This is not a finding that the person is not a victim. Protection needs are still assessed.",
                "Ini bukan kesimpulan bahwa orang ini bukan korban. Kebutuhan perlindungan tetap dinilai.",
            ),
        }
    }
}

/// An evaluator's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Met,
    NotMet,
    /// Age unknown: met only if the person was under 18 at recruitment.
    MetIfChild,
    /// Non-punishment: every liability linked, some only if the person is identified as a victim.
    Conditional,
    /// Non-punishment: some liabilities linked, not all.
    PartlyMet,
    /// Non-punishment: no liability recorded.
    NotApplicable,
}

impl Verdict {
    pub fn text(self) -> Text {
        match self {
            Verdict::Met => Text::new("met", "terpenuhi"),
            Verdict::NotMet => Text::new("not met", "tidak terpenuhi"),
            Verdict::MetIfChild => Text::new("met only if a child", "terpenuhi hanya jika anak"),
            Verdict::Conditional => Text::new(
                "met if the person is identified as a victim",
                "terpenuhi bila orang ini diidentifikasi sebagai korban",
            ),
            Verdict::PartlyMet => Text::new("partly met", "terpenuhi sebagian"),
            Verdict::NotApplicable => Text::new("not applicable", "tidak berlaku"),
        }
    }
}

/// Age status at recruitment (Palermo 3(d): a child is under 18).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeStatus {
    Adult,
    Child,
    Unknown,
}

impl AgeStatus {
    pub fn from_age(age: Option<u8>, child_below: u8) -> AgeStatus {
        match age {
            None => AgeStatus::Unknown,
            Some(a) if a < child_below => AgeStatus::Child,
            Some(_) => AgeStatus::Adult,
        }
    }
}

/// An element (Palermo act/means/purpose, forced-labour component) and what established it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundElement {
    pub id: String,
    /// The answers (ids answered `present`) that establish it.
    pub answers: Vec<String>,
    /// Set when another evaluator established it (e.g. `forced_labour`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementGroup {
    pub present: bool,
    pub elements: Vec<FoundElement>,
}

impl ElementGroup {
    pub(crate) fn from(elements: Vec<FoundElement>) -> ElementGroup {
        ElementGroup {
            present: !elements.is_empty(),
            elements,
        }
    }

    pub(crate) fn answers(&self) -> Vec<String> {
        crate::facts::union(self.elements.iter().map(|e| &e.answers))
    }
}
