//! # pulang-demo
//!
//! A seeded synthetic **surge** to rehearse on: the January 2026 wave at the embassy in Phnom
//! Penh — 1,440 arrivals in five days with a peak of 520 on the fourth
//! (`../shared/reference/domain-data.md` §3.1) — at any scale, for `pulang demo`,
//! `pulang serve --demo`, tests and benchmarks. See `docs/demo.md` in the workspace.
//!
//! [`surge`]`(seed, scale, start)` returns everything at once, derived only from its arguments
//! (no I/O, no clock, no `rand`: the PRNG is [`SplitMix64`]):
//!
//! - the **days** and their arrivals (the curve scaled, the total `round(1440 × scale)` exact);
//! - the **groups**: police hand-overs of 50–200 people, rescue operations, and walk-ins with
//!   no group;
//! - the **arrivals**: a registration form (person and encounter) that validates, triage
//!   flags, a screening (none, draft or signed) whose answers follow a profile, the milestones
//!   reached by the last day, and, for about 3%, the earlier arrival they duplicate;
//! - the **police lists**: each hand-over's spreadsheet as CSV, with the usual errors, every
//!   row traced to its arrival.
//!
//! [`summary`] counts what was generated. Every name and identifier is invented.
//!
//! Underneath: [`people_gen::generate`] invents the people (names from common Indonesian names,
//! made-up identifiers that validate), and [`synth`] writes people as the records of four
//! sources with ground truth, for the matcher's tests and benchmarks.
//!
//! Shares (percent of arrivals unless said otherwise; sources and reasons in `docs/demo.md`):
//! routes 45 police hand-over / 15 rescue / 40 walk-in; minors 5; no passport ≈ 75; NIK ≈ 60;
//! duplicates ≈ 3; triage medical 8, pregnancy 4 of women, disability 1.5, interpreter ≈ 2;
//! profiles ≈ 61 forced criminality / 18 debt bondage / 15 mixed / 5 willing.
//!
//! Generation is linear in the number of arrivals; scale 700 (about a million people) takes a
//! few seconds in a release build (`docs/demo.md` has the measurements).
//!
//! Must not: be a dependency of an engine crate's normal code (`pulang-matching` uses it only
//! in tests and benches), touch a database (the app loads a surge), or contain a real person.
#![forbid(unsafe_code)]

mod curve;
mod people;
pub mod people_gen;
mod police;
mod rng;
mod screening;
pub mod synth;

use std::collections::{BTreeMap, HashSet};

use people_gen::generate;
use pulang_domain::{
    ArrivalRoute, BirthDate, EncounterForm, Milestone, PersonFlag, PersonForm, Sex,
};
use time::{Date, Duration};

pub use curve::{BASE_CURVE, BASE_TOTAL};
pub use people::{age_on, apparent_age, MINOR_PERCENT};
pub use police::{quirk, PoliceList, HEADER_AGE, HEADER_DOB};
pub use rng::SplitMix64;
pub use screening::{Profile, ScreeningPlan, PROFILE_SHARES};

/// The first day of the January 2026 wave (16 January; the peak, 19 January, is day four).
pub const JANUARY_2026: Date = time::macros::date!(2026 - 01 - 16);

/// Days in a surge.
pub const DAYS: usize = BASE_CURVE.len();

/// The sites: the embassy in Phnom Penh takes nearly everyone, Yangon some (Myawaddy returns).
pub const SITES: [(&str, &str); 2] = [("PNH", "KBRI Phnom Penh"), ("YGN", "KBRI Yangon")];

/// Scales above this are clamped (about 2.9 million people, several GB of forms).
pub const MAX_SCALE: f64 = 2_000.0;

/// Route shares in percent (project assumption: police hand-overs and raids after the
/// crackdown, and people leaving compounds on their own, `domain-data.md` §3.1).
const POLICE_PERCENT: usize = 45;
const RESCUE_PERCENT: usize = 15;
/// Percent of groups, and of walk-in clusters, at Yangon rather than Phnom Penh.
const YANGON_GROUP_PERCENT: u64 = 8;
const YANGON_WALK_IN_PERCENT: u64 = 5;
/// Registered twice in the rush, per mille: 3.3% drawn, about 3% kept once a first registration
/// at another site is refused (project assumption; the matcher's synthetic sources carry 6–10%
/// second records over longer periods, docs/matching.md).
const DUPLICATE_PERMILLE: u64 = 33;
/// How far back a duplicate's first registration is, in arrivals: the same desks, hours apart.
const DUPLICATE_WINDOW: u64 = 400;

const MEDICAL_PERCENT: u64 = 8;
const PREGNANCY_PERCENT_OF_WOMEN: u64 = 4;
const DISABILITY_PERMILLE: u64 = 15;
/// Of those with a regional language, the share who speak no Indonesian (≈ 2% of all).
const INTERPRETER_PERCENT: u64 = 3;
const SHELTER_PERCENT: u64 = 45;

/// One day of the surge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurgeDay {
    pub date: Date,
    pub arrivals: usize,
}

/// People who arrived together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivalGroup {
    /// Index in [`Surge::groups`].
    pub key: usize,
    /// E.g. "Serah terima Polisi Kamboja — Sihanoukville 16/01".
    pub name: String,
    /// [`ArrivalRoute::PoliceHandover`] or [`ArrivalRoute::RescueOperation`] (walk-ins have no group).
    pub kind: ArrivalRoute,
    pub date: Date,
    /// Site code, one of [`SITES`].
    pub site: String,
    /// Where the people came from (town of the compound or police post).
    pub place: &'static str,
    /// Arrivals in the group.
    pub size: usize,
}

/// One registration in the surge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// As the registrar types it; validates with no errors (and, unless a duplicate, no
    /// warnings) on the last day.
    pub person: PersonForm,
    /// Site, arrival day, route (consistent with the group) and sometimes a note.
    pub encounter: EncounterForm,
    /// Key of the group, `None` for a walk-in.
    pub group: Option<usize>,
    /// Flags from [`triage`], in that order.
    pub triage: Vec<PersonFlag>,
    pub screening: ScreeningPlan,
    /// From [`milestone`], in order, each with its date (never after the last day).
    pub milestones: Vec<(Milestone, Date)>,
    /// The earlier arrival (index) that is the same person registered before.
    pub duplicate_of: Option<usize>,
    /// The generator's truth, which the forms may only partly show.
    pub profile: Profile,
    pub born: Date,
    pub sex: Sex,
    pub arrived_on: Date,
}

/// Everything generated for `(seed, scale, start)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Surge {
    pub seed: u64,
    /// The scale used (after clamping to `0..=MAX_SCALE`).
    pub scale: f64,
    /// Day one.
    pub start: Date,
    /// The last day: the snapshot's "today" (milestones and screenings stand as of it).
    pub as_of: Date,
    pub days: Vec<SurgeDay>,
    pub groups: Vec<ArrivalGroup>,
    pub arrivals: Vec<Arrival>,
    pub police_lists: Vec<PoliceList>,
}

/// Where the people of a rescue or hand-over come from, per site.
const PLACES_PNH: &[&str] = &[
    "Sihanoukville",
    "Bavet",
    "Poipet",
    "Phnom Penh",
    "Kampot",
    "Koh Kong",
    "O'Smach",
];
const PLACES_YGN: &[&str] = &["Myawaddy", "Shwe Kokko", "Tachileik"];

const WALK_IN_NOTES: &[&str] = &[
    "Datang sendiri setelah kompleks ditutup.",
    "Asks that family be told they are safe.",
    "Phone confiscated at the compound; family number given from memory.",
    "Passport held by former employer.",
    "Came with a cousin, registered separately.",
    "Mohon dihubungkan dengan keluarga di kampung.",
];

/// People asked of the domain's generator at a time.
const CHUNK: usize = 4_096;

fn chunk_seed(seed: u64, chunk: usize) -> u64 {
    SplitMix64::new(seed ^ 0x5055_4c41_4e47 ^ (chunk as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93))
        .next_u64()
}

/// NIKs are already well-spread numbers: a multiply is hash enough, and much faster than SipHash
/// at a million insertions.
#[derive(Default)]
struct NikHash(u64);

impl std::hash::Hasher for NikHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01B3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
}

type NikHasher = std::hash::BuildHasherDefault<NikHash>;

/// A planned arrival: its day, group and site.
#[derive(Clone, Copy)]
struct Slot {
    day: usize,
    group: Option<usize>,
    site: usize,
}

fn clamp_scale(scale: f64) -> f64 {
    if scale.is_finite() && scale > 0.0 {
        scale.min(MAX_SCALE)
    } else {
        0.0
    }
}

/// Splits `total` into group sizes in `lo..=hi`; only a total below `lo` makes a smaller group.
fn group_sizes(rng: &mut SplitMix64, total: usize, lo: usize, hi: usize) -> Vec<usize> {
    let hi = hi.max(2 * lo);
    let mut sizes = Vec::new();
    let mut left = total;
    while left > 0 {
        let size = if left <= hi {
            left
        } else {
            // Leave at least `lo` for the next group.
            rng.range(lo as u64, hi.min(left - lo) as u64) as usize
        };
        sizes.push(size);
        left -= size;
    }
    sizes
}

/// Groups and walk-ins of one day, in a shuffled order of arrival.
fn plan_day(
    rng: &mut SplitMix64,
    day: usize,
    date: Date,
    n: usize,
    scale: f64,
    groups: &mut Vec<ArrivalGroup>,
    slots: &mut Vec<Slot>,
) {
    // Below scale 1 groups shrink with the surge, so small rehearsals still have hand-overs.
    let f = scale.min(1.0);
    let sized = |x: f64| ((x * f).round() as usize).max(1);
    let police = (n * POLICE_PERCENT + 50) / 100;
    let rescue = ((n * RESCUE_PERCENT + 50) / 100).min(n - police);
    let walk_in = n - police - rescue;

    // (group, site, count); a group's people arrive together, walk-ins in small clusters.
    let mut segments: Vec<(Option<usize>, usize, usize)> = Vec::new();
    let mut named: Vec<(ArrivalRoute, &'static str, usize)> = Vec::new();
    let kinds = [
        (
            ArrivalRoute::PoliceHandover,
            police,
            sized(50.0),
            sized(200.0),
        ),
        (
            ArrivalRoute::RescueOperation,
            rescue,
            sized(10.0),
            sized(60.0),
        ),
    ];
    for (kind, total, lo, hi) in kinds {
        for size in group_sizes(rng, total, lo, hi) {
            let site = usize::from(rng.chance(YANGON_GROUP_PERCENT));
            let place = *rng.pick(if site == 0 { PLACES_PNH } else { PLACES_YGN });
            let what = match (kind, site) {
                (ArrivalRoute::PoliceHandover, 0) => "Serah terima Polisi Kamboja",
                (ArrivalRoute::PoliceHandover, _) => "Serah terima otoritas Myanmar",
                _ => "Operasi penyelamatan",
            };
            let mut name = format!(
                "{what} — {place} {:02}/{:02}",
                date.day(),
                u8::from(date.month())
            );
            // Same kind, place and day again: number it so names stay distinct.
            match named.iter_mut().find(|(k, p, _)| *k == kind && *p == place) {
                Some((_, _, count)) => {
                    *count += 1;
                    name.push_str(&format!(" ({count})"));
                }
                None => named.push((kind, place, 1)),
            }
            let key = groups.len();
            groups.push(ArrivalGroup {
                key,
                name,
                kind,
                date,
                site: SITES[site].0.to_string(),
                place,
                size,
            });
            segments.push((Some(key), site, size));
        }
    }
    let mut left = walk_in;
    while left > 0 {
        let cluster = (rng.range(1, 6) as usize).min(left);
        let site = usize::from(rng.chance(YANGON_WALK_IN_PERCENT));
        segments.push((None, site, cluster));
        left -= cluster;
    }
    // Fisher–Yates: the day's groups and walk-ins interleave.
    for i in (1..segments.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        segments.swap(i, j);
    }
    for (group, site, count) in segments {
        slots.extend(std::iter::repeat_n(Slot { day, group, site }, count));
    }
}

fn triage_for(
    rng: &mut SplitMix64,
    person: &mut PersonForm,
    encounter_note: &mut Option<String>,
    sex: Sex,
    true_age: i32,
    as_of: Date,
) -> Vec<PersonFlag> {
    let mut t = Vec::new();
    if apparent_age(person, as_of).is_some_and(|a| a < 18) {
        t.push(PersonFlag::Child);
    }
    if rng.chance(MEDICAL_PERCENT) {
        t.push(PersonFlag::Medical);
    }
    if sex == Sex::F && true_age >= 16 && rng.chance(PREGNANCY_PERCENT_OF_WOMEN) {
        t.push(PersonFlag::Pregnancy);
    }
    if rng.below(1000) < DISABILITY_PERMILLE {
        t.push(PersonFlag::Disability);
    }
    if let Some(lang) = people::regional_language(person) {
        if rng.chance(INTERPRETER_PERCENT) {
            let lang = lang.to_string();
            *encounter_note = Some(format!("Hanya berbahasa {lang}; perlu penerjemah."));
            person.languages = vec![lang];
            t.push(PersonFlag::Interpreter);
        }
    }
    t
}

/// Shelter on arrival; a travel document some days later; some flown home. Fewer for later
/// days: the 3 February report had 830 SPLP and 1,213 sheltered about 18 days in
/// (`domain-data.md` §3.1), so a five-day snapshot shows the first of them.
fn milestones_for(
    rng: &mut SplitMix64,
    arrived: Date,
    as_of: Date,
    triage: &[PersonFlag],
    has_passport: bool,
) -> Vec<(Milestone, Date)> {
    let elapsed = (as_of - arrived).whole_days().clamp(0, 4) as usize;
    let mut m = Vec::new();
    let vulnerable = triage.iter().any(|t| {
        matches!(
            *t,
            PersonFlag::Child | PersonFlag::Medical | PersonFlag::Pregnancy
        )
    });
    let shelter = if triage.contains(&PersonFlag::Child) {
        100
    } else if vulnerable {
        80
    } else {
        SHELTER_PERCENT
    };
    if rng.chance(shelter) {
        m.push((Milestone::Sheltered, arrived));
    }
    let documented = [2, 15, 35, 55, 75][elapsed] + if has_passport { 20 } else { 0 };
    if !rng.chance(documented) {
        return m;
    }
    let doc = if elapsed == 0 {
        arrived
    } else {
        arrived.saturating_add(Duration::days(rng.range(1, elapsed as u64) as i64))
    };
    m.push((Milestone::Documented, doc));
    let left = (as_of - doc).whole_days();
    if left >= 1 && rng.chance([0, 0, 5, 12, 25][elapsed]) {
        let back = doc.saturating_add(Duration::days(rng.range(1, left as u64) as i64));
        m.push((Milestone::Returned, back));
    }
    m
}

/// Screening state by days since arrival: most of day one's people are interviewed and signed
/// by the last day, few of the last day's.
fn plan_kind(rng: &mut SplitMix64, elapsed: usize) -> Option<bool> {
    let (signed, draft) = [(5, 25), (20, 30), (40, 25), (60, 20), (75, 15)][elapsed.min(4)];
    let r = rng.below(100);
    if r < signed {
        Some(true)
    } else if r < signed + draft {
        Some(false)
    } else {
        None
    }
}

/// Generates the surge for `(seed, scale, start)`: deterministic, pure, linear in the number of
/// arrivals. `scale` multiplies the 1,440 people of the January 2026 wave (`0.1` → 144,
/// `700` → 1,008,000); NaN, negative or infinite scales give an empty surge, scales above
/// [`MAX_SCALE`] are clamped. `start` is day one (see [`JANUARY_2026`]).
pub fn surge(seed: u64, scale: f64, start: Date) -> Surge {
    let scale = clamp_scale(scale);
    let counts = curve::day_counts(scale);
    let total: usize = counts.iter().sum();
    let as_of = start.saturating_add(Duration::days(DAYS as i64 - 1));
    let mut rng = SplitMix64::new(seed);

    let days: Vec<SurgeDay> = counts
        .iter()
        .enumerate()
        .map(|(d, &arrivals)| SurgeDay {
            date: start.saturating_add(Duration::days(d as i64)),
            arrivals,
        })
        .collect();
    let mut groups = Vec::new();
    let mut slots = Vec::with_capacity(total);
    for (d, day) in days.iter().enumerate() {
        plan_day(
            &mut rng,
            d,
            day.date,
            day.arrivals,
            scale,
            &mut groups,
            &mut slots,
        );
    }

    // Names, phones, origins and languages from the domain's generator, a chunk at a time so
    // that its output is never all held at once; the rest is ours.
    let base = (0..total.div_ceil(CHUNK)).flat_map(|c| {
        let n = CHUNK.min(total - c * CHUNK);
        generate(chunk_seed(seed, c), n, &[], as_of).into_iter()
    });
    let mut used_niks = HashSet::with_capacity_and_hasher(total, NikHasher::default());
    let mut arrivals: Vec<Arrival> = Vec::with_capacity(total);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for (i, (slot, (generated, _))) in slots.iter().zip(base).enumerate() {
        let arrived = days[slot.day].date;
        let elapsed = (as_of - arrived).whole_days().max(0) as usize;
        let route = slot.group.map_or(ArrivalRoute::WalkIn, |g| groups[g].kind);
        let site = SITES[slot.site].0;
        if let Some(g) = slot.group {
            members[g].push(i);
        }
        let mut encounter = EncounterForm {
            site: Some(site.to_string()),
            arrived_on: Some(BirthDate::Full(arrived).to_string()),
            arrival_route: Some(route.to_string()),
            notes: None,
        };

        // Registered twice in the rush: a recent arrival at the same site, written differently.
        let original = (i > 0 && rng.below(1000) < DUPLICATE_PERMILLE)
            .then(|| {
                let j = i - 1 - rng.below((i as u64).min(DUPLICATE_WINDOW)) as usize;
                arrivals[j].duplicate_of.unwrap_or(j)
            })
            .filter(|&j| arrivals[j].encounter.site.as_deref() == Some(site));
        if let Some(j) = original {
            let first = &arrivals[j];
            let person = people::vary_duplicate(&mut rng, &first.person);
            let mut triage: Vec<PersonFlag> = first
                .triage
                .iter()
                .copied()
                .filter(|t| *t != PersonFlag::Child)
                .collect();
            if apparent_age(&person, as_of).is_some_and(|a| a < 18) {
                triage.insert(0, PersonFlag::Child);
            }
            let screening = if rng.chance(10) {
                let ctx = screening::Context {
                    profile: first.profile,
                    age_at_recruitment: None,
                    brought_in: route != ArrivalRoute::WalkIn,
                    has_passport: person.passport_no.is_some(),
                    female: first.sex == Sex::F,
                    medical: triage.contains(&PersonFlag::Medical),
                    pregnant: triage.contains(&PersonFlag::Pregnancy),
                };
                ScreeningPlan::Draft(screening::interview(&mut rng, &ctx, false))
            } else {
                ScreeningPlan::None
            };
            let (profile, born, sex) = (first.profile, first.born, first.sex);
            arrivals.push(Arrival {
                person,
                encounter,
                group: slot.group,
                triage,
                screening,
                milestones: Vec::new(),
                duplicate_of: Some(j),
                profile,
                born,
                sex,
                arrived_on: arrived,
            });
            continue;
        }

        let (mut person, truth) = people::shape(&mut rng, generated, as_of, &mut used_niks);
        let triage = triage_for(
            &mut rng,
            &mut person,
            &mut encounter.notes,
            truth.sex,
            truth.age,
            as_of,
        );
        if encounter.notes.is_none() && slot.group.is_none() && rng.chance(15) {
            encounter.notes = Some(rng.pick(WALK_IN_NOTES).to_string());
        }
        let minor = truth.age < 18;
        let profile = loop {
            let p = *rng.weighted(&PROFILE_SHARES);
            // A child cannot consent (Palermo 3(c)); rescued people were held, not free.
            if p != Profile::Willing || (!minor && route != ArrivalRoute::RescueOperation) {
                break p;
            }
        };
        let has_passport = person.passport_no.is_some();
        let screening = match plan_kind(&mut rng, elapsed) {
            None => ScreeningPlan::None,
            Some(signed) => {
                // Months to two years in the compounds; the willing always say their age.
                let at_recruitment = (truth.age - rng.below(3) as i32).max(0) as u8;
                let ctx = screening::Context {
                    profile,
                    age_at_recruitment: (profile == Profile::Willing || rng.chance(90))
                        .then_some(at_recruitment),
                    brought_in: route != ArrivalRoute::WalkIn,
                    has_passport,
                    female: truth.sex == Sex::F,
                    medical: triage.contains(&PersonFlag::Medical),
                    pregnant: triage.contains(&PersonFlag::Pregnancy),
                };
                let input = screening::interview(&mut rng, &ctx, signed);
                if signed {
                    ScreeningPlan::Signed(input)
                } else {
                    ScreeningPlan::Draft(input)
                }
            }
        };
        let milestones = milestones_for(&mut rng, arrived, as_of, &triage, has_passport);
        arrivals.push(Arrival {
            person,
            encounter,
            group: slot.group,
            triage,
            screening,
            milestones,
            duplicate_of: None,
            profile,
            born: truth.born,
            sex: truth.sex,
            arrived_on: arrived,
        });
    }

    let police_lists = groups
        .iter()
        .filter(|g| g.kind == ArrivalRoute::PoliceHandover)
        .map(|g| {
            // The police list a person once, however often the desks registered them.
            let listed: Vec<usize> = members[g.key]
                .iter()
                .copied()
                .filter(|&i| {
                    arrivals[i]
                        .duplicate_of
                        .is_none_or(|j| arrivals[j].group != Some(g.key))
                })
                .collect();
            police::police_list(seed, g, g.place, &listed, &arrivals)
        })
        .collect();

    Surge {
        seed,
        scale,
        start,
        as_of,
        days,
        groups,
        arrivals,
        police_lists,
    }
}

/// Counts of a surge, for tests, docs and the `pulang demo` report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SurgeSummary {
    pub total: usize,
    pub per_day: Vec<(Date, usize)>,
    /// The largest day.
    pub peak: usize,
    pub per_site: BTreeMap<String, usize>,
    pub minors: usize,
    pub women: usize,
    pub without_passport: usize,
    pub with_nik: usize,
    pub duplicates: usize,
    pub walk_ins: usize,
    pub groups: usize,
    pub police_handovers: usize,
    pub rescue_operations: usize,
    pub police_lists: usize,
    /// Data rows in all police lists.
    pub police_rows: usize,
    /// Of which rows for people who are not among the arrivals.
    pub police_rows_not_arrived: usize,
    /// `none`, `draft`, `signed` → count.
    pub screenings: BTreeMap<&'static str, usize>,
    pub profiles: BTreeMap<&'static str, usize>,
    pub triage: BTreeMap<PersonFlag, usize>,
    pub milestones: BTreeMap<Milestone, usize>,
}

/// Counts what `s` holds. Minors are counted by the generator's truth (under 18 on the last day).
pub fn summary(s: &Surge) -> SurgeSummary {
    let mut sum = SurgeSummary {
        total: s.arrivals.len(),
        per_day: s.days.iter().map(|d| (d.date, d.arrivals)).collect(),
        peak: s.days.iter().map(|d| d.arrivals).max().unwrap_or(0),
        groups: s.groups.len(),
        police_lists: s.police_lists.len(),
        ..Default::default()
    };
    for g in &s.groups {
        match g.kind {
            ArrivalRoute::PoliceHandover => sum.police_handovers += 1,
            _ => sum.rescue_operations += 1,
        }
    }
    for k in ["none", "draft", "signed"] {
        sum.screenings.insert(k, 0);
    }
    for a in &s.arrivals {
        if let Some(site) = &a.encounter.site {
            *sum.per_site.entry(site.clone()).or_insert(0) += 1;
        }
        sum.minors += usize::from(age_on(a.born, s.as_of) < 18);
        sum.women += usize::from(a.sex == Sex::F);
        sum.without_passport += usize::from(a.person.passport_no.is_none());
        sum.with_nik += usize::from(a.person.nik.is_some());
        sum.duplicates += usize::from(a.duplicate_of.is_some());
        sum.walk_ins += usize::from(a.group.is_none());
        *sum.screenings.entry(a.screening.as_str()).or_insert(0) += 1;
        *sum.profiles.entry(a.profile.as_str()).or_insert(0) += 1;
        for t in &a.triage {
            *sum.triage.entry(*t).or_insert(0) += 1;
        }
        for (m, _) in &a.milestones {
            *sum.milestones.entry(*m).or_insert(0) += 1;
        }
    }
    for l in &s.police_lists {
        sum.police_rows += l.rows.len();
        sum.police_rows_not_arrived += l.rows.iter().filter(|r| r.is_none()).count();
    }
    sum
}

impl std::fmt::Display for SurgeSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let days: Vec<String> = self
            .per_day
            .iter()
            .map(|(d, n)| format!("{:02}/{:02} {n}", d.day(), u8::from(d.month())))
            .collect();
        fn map<K: std::fmt::Display>(m: &BTreeMap<K, usize>) -> String {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
        let sites: Vec<String> = self
            .per_site
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(
            f,
            "arrivals: {} (peak {}): {}",
            self.total,
            self.peak,
            days.join(", ")
        )?;
        writeln!(f, "sites: {}", sites.join(", "))?;
        writeln!(
            f,
            "groups: {} ({} police hand-overs, {} rescue operations); walk-ins: {}",
            self.groups, self.police_handovers, self.rescue_operations, self.walk_ins
        )?;
        writeln!(
            f,
            "minors: {}; women: {}; without passport: {}; with NIK: {}; duplicates: {}",
            self.minors, self.women, self.without_passport, self.with_nik, self.duplicates
        )?;
        writeln!(
            f,
            "police lists: {} with {} rows ({} not among the arrivals)",
            self.police_lists, self.police_rows, self.police_rows_not_arrived
        )?;
        writeln!(f, "screenings: {}", map(&self.screenings))?;
        writeln!(f, "profiles: {}", map(&self.profiles))?;
        writeln!(f, "triage: {}", map(&self.triage))?;
        write!(f, "milestones: {}", map(&self.milestones))
    }
}

#[cfg(test)]
mod tests;
