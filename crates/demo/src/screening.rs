//! Screening interviews: a profile per person (what really happened to them, for the generator)
//! and the answers they give, in the catalogue's ids (`crates/screening/catalogue/v1.json`).

use std::collections::BTreeMap;

use crate::SplitMix64;
use pulang_screening::{Answer, AnswerValue, EvidenceSource, Liability, ScreeningInput};

/// What happened to a person, which their answers reflect. The generator's truth, for tests
/// and rehearsal scripts; the screening engine never sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    /// Deceived by a fake job offer, confined and forced to scam: a clear victim.
    ForcedCriminality,
    /// The same, held by debts, fines and a ransom to leave.
    DebtBondage,
    /// Some signals, some declined or unknown answers, some role indicators: unclear.
    Mixed,
    /// Says they knew the work, came willingly, kept their pay and could leave.
    Willing,
}

impl Profile {
    pub const ALL: [Profile; 4] = [
        Profile::ForcedCriminality,
        Profile::DebtBondage,
        Profile::Mixed,
        Profile::Willing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::ForcedCriminality => "forced_criminality",
            Profile::DebtBondage => "debt_bondage",
            Profile::Mixed => "mixed",
            Profile::Willing => "willing",
        }
    }
}

/// Profile weights in percent (project assumption). How many came willingly is contested: the
/// ambassador's three groups and the ministry's base rates are in
/// `../shared/reference/screening-standards.md` §5. `Willing` is drawn at 6 and redrawn for
/// minors and for people rescued in raids, which leaves about 5% of arrivals.
pub const PROFILE_SHARES: [(Profile, u32); 4] = [
    (Profile::ForcedCriminality, 61),
    (Profile::DebtBondage, 18),
    (Profile::Mixed, 15),
    (Profile::Willing, 6),
];

/// Where a person's screening stands on the last day of the surge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScreeningPlan {
    /// Not started.
    None,
    /// Interview begun: the first sections answered, no liabilities yet.
    Draft(ScreeningInput),
    /// Interview complete and signed.
    Signed(ScreeningInput),
}

impl ScreeningPlan {
    /// The answers so far, if the interview has started.
    pub fn input(&self) -> Option<&ScreeningInput> {
        match self {
            ScreeningPlan::None => None,
            ScreeningPlan::Draft(i) | ScreeningPlan::Signed(i) => Some(i),
        }
    }

    /// `none`, `draft` or `signed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ScreeningPlan::None => "none",
            ScreeningPlan::Draft(_) => "draft",
            ScreeningPlan::Signed(_) => "signed",
        }
    }
}

/// What the interview depends on besides the profile.
pub(crate) struct Context {
    pub profile: Profile,
    pub age_at_recruitment: Option<u8>,
    /// Rescued in a raid or handed over by police (rather than walked in).
    pub brought_in: bool,
    pub has_passport: bool,
    pub female: bool,
    pub medical: bool,
    pub pregnant: bool,
}

/// Answers in interview order (recruitment, journey, compound, leaving, now), so that a draft is
/// a prefix of the full interview.
struct Interview<'r> {
    rng: &'r mut SplitMix64,
    answers: Vec<(&'static str, AnswerValue)>,
}

impl Interview<'_> {
    fn set(&mut self, id: &'static str, value: AnswerValue) {
        self.answers.push((id, value));
    }
    fn present(&mut self, id: &'static str) {
        self.set(id, AnswerValue::Present);
    }
    fn absent(&mut self, id: &'static str) {
        self.set(id, AnswerValue::Absent);
    }
    /// Present with `percent`, else absent.
    fn maybe(&mut self, id: &'static str, percent: u64) {
        let v = if self.rng.chance(percent) {
            AnswerValue::Present
        } else {
            AnswerValue::Absent
        };
        self.set(id, v);
    }
    /// Present with `present`%, declined with `declined`%, else not asked.
    fn guarded(&mut self, id: &'static str, present: u64, declined: u64) {
        let r = self.rng.below(100);
        if r < present {
            self.present(id);
        } else if r < present + declined {
            self.set(id, AnswerValue::Declined);
        }
    }
    /// Asked with `asked`%; then as `maybe`.
    fn sometimes(&mut self, id: &'static str, asked: u64, percent: u64) {
        if self.rng.chance(asked) {
            self.maybe(id, percent);
        }
    }
}

fn clear_victim(iv: &mut Interview, c: &Context) {
    // Recruitment.
    iv.sometimes("fc.fake_job_offer", 97, 97);
    iv.maybe("fc.salary_lure", 70);
    iv.sometimes("fc.tourist_visa_for_work", 70, 60);
    iv.sometimes("ilo.d3.6", 60, 70);
    iv.sometimes("role.knew_nature_of_work", 85, 0);
    if iv.rng.chance(3) {
        // "Korban kambuhan": a flag, not a verdict (screening-standards.md §5).
        iv.present("role.returned_after_repatriation");
    }
    // Journey.
    iv.sometimes("fc.taken_to_other_country", 80, 45);
    iv.sometimes("fc.irregular_border_crossing", 80, 40);
    // Compound.
    let passport_taken = !c.has_passport && iv.rng.chance(80);
    iv.set(
        "fc.passport_taken_on_arrival",
        if passport_taken {
            AnswerValue::Present
        } else {
            AnswerValue::Absent
        },
    );
    iv.maybe("fc.phone_confiscated", 60);
    iv.maybe("fc.guarded_compound", 90);
    iv.present("fc.forced_to_scam");
    iv.sometimes("fc.scripts_and_targets", 80, 85);
    iv.maybe("fc.quota_threats", 70);
    iv.maybe("fc.quota_violence", 35);
    iv.sometimes("fc.witnessed_punishment", 70, 60);
    iv.maybe("fc.long_shifts", 90);
    iv.maybe("fc.wages_withheld", 60);
    sexual_violence(iv, c);
    iv.sometimes("role.kept_full_pay", 70, 0);
    // Leaving.
    if c.brought_in {
        iv.present("fc.escaped_or_rescued");
    } else {
        iv.maybe("fc.escaped_or_rescued", 40);
    }
    if passport_taken {
        iv.present("fc.left_without_passport");
    }
    iv.maybe("fc.ransom_to_leave", 20);
    iv.sometimes("role.free_to_leave", 80, 0);
}

fn debt_bondage(iv: &mut Interview, c: &Context) {
    iv.present("fc.salary_lure");
    iv.maybe("fc.fake_job_offer", 60);
    iv.maybe("ilo.d2.4", 70);
    iv.sometimes("ilo.d3.6", 80, 80);
    iv.sometimes("role.knew_nature_of_work", 70, 0);
    iv.sometimes("fc.taken_to_other_country", 70, 40);
    let passport_taken = !c.has_passport && iv.rng.chance(70);
    if passport_taken {
        iv.present("fc.passport_taken_on_arrival");
    }
    iv.present("fc.fines_and_debts");
    iv.present("fc.forced_to_scam");
    iv.maybe("fc.guarded_compound", 70);
    iv.maybe("fc.wages_withheld", 80);
    iv.maybe("fc.family_extorted", 50);
    iv.maybe("fc.threat_of_sale", 40);
    iv.maybe("fc.sold_between_compounds", 30);
    iv.maybe("fc.long_shifts", 85);
    sexual_violence(iv, c);
    iv.maybe("fc.ransom_to_leave", 70);
    if c.brought_in {
        iv.present("fc.escaped_or_rescued");
    }
    if passport_taken {
        iv.present("fc.left_without_passport");
    }
    iv.sometimes("role.free_to_leave", 80, 0);
}

fn mixed(iv: &mut Interview, c: &Context) {
    iv.guarded("role.knew_nature_of_work", 50, 20);
    iv.guarded("fc.fake_job_offer", 20, 20);
    iv.maybe("fc.salary_lure", 40);
    iv.present("fc.scripts_and_targets");
    iv.guarded("fc.forced_to_scam", 30, 30);
    iv.maybe("fc.long_shifts", 70);
    iv.maybe("fc.wages_withheld", 30);
    iv.guarded("fc.phone_confiscated", 30, 10);
    iv.guarded("fc.guarded_compound", 20, 30);
    iv.guarded("role.supervised_others", 20, 10);
    iv.guarded("role.recruited_others", 10, 10);
    iv.guarded("role.free_to_leave", 20, 30);
    if c.brought_in && iv.rng.chance(50) {
        iv.present("fc.escaped_or_rescued");
    }
}

fn willing(iv: &mut Interview) {
    iv.present("role.knew_nature_of_work");
    iv.absent("fc.fake_job_offer");
    iv.sometimes("fc.salary_lure", 50, 0);
    iv.sometimes("fc.irregular_border_crossing", 60, 0);
    iv.present("fc.scripts_and_targets");
    iv.absent("fc.forced_to_scam");
    iv.absent("fc.guarded_compound");
    iv.absent("fc.passport_taken_on_arrival");
    iv.absent("fc.phone_confiscated");
    iv.maybe("fc.long_shifts", 40);
    iv.sometimes("role.kept_full_pay", 80, 100);
    iv.guarded("role.recruited_others", 25, 10);
    iv.present("role.free_to_leave");
    iv.absent("fc.escaped_or_rescued");
}

/// The question need not be answered (the catalogue says so); some decline.
fn sexual_violence(iv: &mut Interview, c: &Context) {
    let r = iv.rng.below(100);
    let present = if c.female { 8 } else { 1 };
    let v = if r < present {
        AnswerValue::Present
    } else if r < present + 15 {
        AnswerValue::Declined
    } else {
        AnswerValue::Absent
    };
    iv.set("fc.sexual_violence", v);
}

fn needs(iv: &mut Interview, c: &Context) {
    if c.medical {
        if iv.rng.chance(50) {
            iv.present("need.injury");
        }
        iv.present("need.medical");
    } else {
        iv.sometimes("need.medical", 70, 0);
    }
    if c.female {
        if c.pregnant {
            iv.present("need.pregnancy");
        } else {
            iv.guarded("need.pregnancy", 0, 15);
        }
    }
    iv.sometimes("need.safety", 60, 12);
}

/// A note now and then, as caseworkers write them.
fn note_for(rng: &mut SplitMix64, id: &str) -> Option<String> {
    let text = match id {
        "fc.fake_job_offer" => "Iklan lowongan customer service di Facebook.",
        "fc.salary_lure" => "Dijanjikan gaji US$1.000 per bulan.",
        "fc.ransom_to_leave" => "Keluarga diminta membayar tebusan.",
        "fc.quota_violence" => "Dipukul bila target tidak tercapai.",
        _ => return None,
    };
    rng.chance(15).then(|| text.to_string())
}

/// The interview's answers for `c`; a draft keeps the first sections only and no liabilities.
pub(crate) fn interview(rng: &mut SplitMix64, c: &Context, signed: bool) -> ScreeningInput {
    let mut iv = Interview {
        rng,
        answers: Vec::with_capacity(32),
    };
    match c.profile {
        Profile::ForcedCriminality => clear_victim(&mut iv, c),
        Profile::DebtBondage => debt_bondage(&mut iv, c),
        Profile::Mixed => mixed(&mut iv, c),
        Profile::Willing => willing(&mut iv),
    }
    needs(&mut iv, c);
    let Interview { rng, mut answers } = iv;
    if !signed {
        let keep = answers.len() * rng.range(20, 60) as usize / 100;
        answers.truncate(keep.max(1));
    }
    // A few people decline here and there: their right, never held against them.
    let reticent = rng.chance(15);
    let mut map = BTreeMap::new();
    for (id, mut value) in answers {
        if reticent && !id.starts_with("need.") && rng.chance(10) {
            value = AnswerValue::Declined;
        }
        let source = match value {
            AnswerValue::Present if id == "need.injury" && rng.chance(50) => {
                EvidenceSource::OfficerObservation
            }
            AnswerValue::Present if id == "fc.scripts_and_targets" && rng.chance(20) => {
                EvidenceSource::DeviceContent
            }
            // A co-survivor from the same hand-over confirms it.
            AnswerValue::Present if c.brought_in && rng.chance(10) => EvidenceSource::Corroborated,
            _ => EvidenceSource::SelfReport,
        };
        let note = if value == AnswerValue::Present {
            note_for(rng, id)
        } else {
            None
        };
        map.insert(
            id.to_string(),
            Answer {
                value,
                source,
                note,
            },
        );
    }
    let mut liabilities = Vec::new();
    if signed {
        // Overstay fines are the common case: 722 waived by early February (domain-data §3.1).
        if rng.chance(90) {
            liabilities.push(Liability::new("overstay_or_immigration_fine"));
        }
        if map.get("fc.irregular_border_crossing").map(|a| a.value) == Some(AnswerValue::Present) {
            liabilities.push(Liability::new("irregular_entry"));
        }
        let fraud = match c.profile {
            Profile::ForcedCriminality | Profile::DebtBondage => 30,
            Profile::Mixed => 50,
            Profile::Willing => 60,
        };
        if rng.chance(fraud) {
            liabilities.push(Liability::new("participation_in_fraud"));
        }
    }
    ScreeningInput {
        age_at_recruitment: c.age_at_recruitment,
        answers: map,
        liabilities,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulang_screening::{evaluate, Catalogue, Outcome};

    fn context(profile: Profile, age: Option<u8>) -> Context {
        Context {
            profile,
            age_at_recruitment: age,
            brought_in: true,
            has_passport: false,
            female: true,
            medical: true,
            pregnant: false,
        }
    }

    #[test]
    fn every_id_is_in_the_catalogue_and_profiles_grade_as_expected() {
        let cat = Catalogue::latest();
        let mut rng = SplitMix64::new(5);
        for profile in Profile::ALL {
            for _ in 0..150 {
                let input = interview(&mut rng, &context(profile, Some(24)), true);
                input.validate(cat).expect("known ids");
                let outcome = evaluate(&input).expect("evaluates").outcome;
                match profile {
                    Profile::ForcedCriminality | Profile::DebtBondage => assert!(
                        outcome >= Outcome::PossibleVictim,
                        "{profile:?}: {outcome:?} {input:?}"
                    ),
                    Profile::Willing => assert!(
                        outcome <= Outcome::ExploitedMigrant,
                        "{outcome:?} {input:?}"
                    ),
                    Profile::Mixed => {}
                }
            }
        }
    }

    #[test]
    fn drafts_are_short_and_have_no_liabilities() {
        let mut rng = SplitMix64::new(6);
        let c = context(Profile::ForcedCriminality, None);
        for _ in 0..100 {
            let d = interview(&mut rng, &c, false);
            assert!(!d.answers.is_empty());
            assert!(d.liabilities.is_empty());
        }
    }
}
