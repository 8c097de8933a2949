//! Shaping the people of [`crate::people_gen::generate`] into surge arrivals: ages (with the
//! minors), how the birth date is known, NIK and passport shares, and the variations of a person
//! registered twice.

use std::collections::HashSet;

use crate::people_gen::spaced_nik;
use crate::SplitMix64;
use pulang_domain::{BirthDate, PersonForm, Sex};
use time::{Date, Duration};

/// Percent of arrivals under 18 (project assumption: Amnesty 2025 met 9 children among 58
/// survivors, `../shared/reference/screening-standards.md` §4.5, but that was not a surge sample).
pub const MINOR_PERCENT: u64 = 5;
/// Of the generator's NIKs (80% of people), the share kept: 75% → about 60% of arrivals.
const KEEP_NIK_PERCENT: u64 = 75;
/// Of the generator's passports (30% of people), the share kept: 83% → about 25% of arrivals,
/// "most arrivals had no passport" (`domain-data.md` §3.1).
const KEEP_PASSPORT_PERCENT: u64 = 83;

/// What the generator knows about a person beyond the form (the form may omit any of it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Truth {
    pub born: Date,
    pub sex: Sex,
    pub age: i32,
}

/// Whole years from `born` to `on`.
pub fn age_on(born: Date, on: Date) -> i32 {
    let mut years = on.year() - born.year();
    if (u8::from(on.month()), on.day()) < (u8::from(born.month()), born.day()) {
        years -= 1;
    }
    years
}

/// The age a registration form implies on `as_of`: exact from a full birth date, else the
/// stated age, else from a birth year alone (the larger of the two possible ages). `None` when
/// the form says nothing about age.
pub fn apparent_age(person: &PersonForm, as_of: Date) -> Option<i32> {
    match person.birth_date.as_deref().and_then(BirthDate::parse) {
        Some(BirthDate::Full(d)) => Some(age_on(d, as_of)),
        other => person
            .age
            .map(i32::from)
            .or_else(|| other.map(|b| as_of.year() - b.year())),
    }
}

/// Age on arrival: 15–17 for the minors, else 18–45 with most in their twenties (UNODC:
/// facilitators mostly 20–39, `screening-standards.md` §4.4).
fn pick_age(rng: &mut SplitMix64, minor: bool) -> i32 {
    let years = if minor {
        rng.range(15, 17)
    } else {
        match *rng.weighted(&[(0u8, 35), (1, 45), (2, 20)]) {
            0 => rng.range(18, 24),
            1 => rng.range(25, 34),
            _ => rng.range(35, 45),
        }
    };
    years as i32
}

/// A birth date giving exactly `age` on `as_of`. Falls back to `as_of` only for dates at the
/// edge of the calendar, which no real start date reaches.
fn born_for_age(rng: &mut SplitMix64, as_of: Date, age: i32) -> Date {
    let year = as_of.year() - age;
    let days = time::util::days_in_year(year);
    let ordinal = rng.range(1, u64::from(days)) as u16;
    let Ok(d) = Date::from_ordinal_date(year, ordinal) else {
        return as_of;
    };
    if (u8::from(d.month()), d.day()) <= (u8::from(as_of.month()), as_of.day()) {
        return d;
    }
    // The birthday is still to come this year: born a year earlier (29 Feb becomes 28 Feb).
    d.replace_year(year - 1)
        .or_else(|_| d.saturating_sub(Duration::days(1)).replace_year(year - 1))
        .unwrap_or(d)
}

fn nik_as_number(plain: &str) -> Option<u64> {
    (plain.len() == 16 && plain.bytes().all(|b| b.is_ascii_digit()))
        .then(|| plain.parse().ok())
        .flatten()
}

/// The generator's NIK rewritten for our birth date and sex (positions 7–12, `DDMMYY` with 40
/// added to the day for women, `domain-data.md` §4.1), unique among `used`. `None` if the
/// region has no free serial left for that date (never in practice).
fn rewrite_nik<S: std::hash::BuildHasher>(
    raw: &str,
    born: Date,
    sex: Sex,
    used: &mut HashSet<u64, S>,
) -> Option<String> {
    let plain: String = raw.chars().filter(char::is_ascii_digit).collect();
    if plain.len() != 16 {
        return None;
    }
    let region = &plain[..6];
    let day = born.day() + if sex == Sex::F { 40 } else { 0 };
    let month = u8::from(born.month());
    let yy = born.year().rem_euclid(100);
    let mut serial: u32 = plain[12..].parse().ok()?;
    for _ in 0..9_999 {
        serial = serial % 9_999 + 1;
        let nik = format!("{region}{day:02}{month:02}{yy:02}{serial:04}");
        if used.insert(nik_as_number(&nik)?) {
            return Some(nik);
        }
    }
    None
}

/// The regional language the generator gave, if any (it lists Indonesian first).
pub(crate) fn regional_language(person: &PersonForm) -> Option<&str> {
    person
        .languages
        .get(1)
        .map(String::as_str)
        .filter(|l| !matches!(*l, "Inggris" | "Khmer"))
}

/// Turns a generated person into an arrival: our age model (with minors), how the birth date is
/// known, and the surge's NIK and passport shares. Every form still validates with no errors and
/// no warnings on `as_of`.
pub(crate) fn shape<S: std::hash::BuildHasher>(
    rng: &mut SplitMix64,
    mut person: PersonForm,
    as_of: Date,
    used_niks: &mut HashSet<u64, S>,
) -> (PersonForm, Truth) {
    let nik_digits: Option<String> = person
        .nik
        .as_deref()
        .map(|n| n.chars().filter(char::is_ascii_digit).collect());
    // The generator's sex: on the form (97%), else in the NIK's day digits, else drawn.
    let sex = match person.sex.as_deref().and_then(Sex::parse) {
        Some(s) => s,
        None => match nik_digits
            .as_deref()
            .and_then(|n| n.get(6..8)?.parse::<u8>().ok())
        {
            Some(day) if day > 40 => Sex::F,
            Some(_) => Sex::M,
            None if rng.chance(32) => Sex::F,
            None => Sex::M,
        },
    };
    let minor = rng.chance(MINOR_PERCENT);
    let age = pick_age(rng, minor);
    let born = born_for_age(rng, as_of, age);

    // How the birth date is known. A minor's age is always on the form: it is asked first,
    // because it decides the child rules.
    let kind = rng.below(100);
    let (birth_date, stated_age) = if minor {
        if kind < 75 {
            (Some(BirthDate::Full(born)), rng.chance(30))
        } else if kind < 90 {
            (Some(BirthDate::Year(born.year())), true)
        } else {
            (None, true)
        }
    } else if kind < 60 {
        (Some(BirthDate::Full(born)), rng.chance(20))
    } else if kind < 85 {
        (Some(BirthDate::Year(born.year())), rng.chance(40))
    } else {
        (None, rng.chance(70))
    };
    person.birth_date = birth_date.map(|b| b.to_string());
    person.age = stated_age.then_some(age as u16);

    person.nik = match person.nik.take() {
        Some(raw) if rng.chance(KEEP_NIK_PERCENT) => {
            rewrite_nik(&raw, born, sex, used_niks).map(|n| spaced_nik(rng, &n))
        }
        _ => None,
    };
    if person.passport_no.is_some() && !rng.chance(KEEP_PASSPORT_PERCENT) {
        person.passport_no = None;
    }
    (person, Truth { born, sex, age })
}

/// The same person registered a second time in the rush, with the variations such records
/// really carry: the name reordered or upper-cased, a phone missing, the birth date's day and
/// month swapped, an identifier left out. At least one variation is applied.
pub(crate) fn vary_duplicate(rng: &mut SplitMix64, original: &PersonForm) -> PersonForm {
    let mut p = original.clone();
    let mut changed = false;
    match rng.below(10) {
        0..=3 => {
            p.full_name = p.full_name.to_uppercase();
            changed = true;
        }
        4..=6 => {
            let mut parts: Vec<&str> = original.full_name.split_whitespace().collect();
            if parts.len() > 1 {
                // Family name first, as host lists and some desks write it.
                parts.rotate_right(1);
                p.full_name = parts.join(" ");
                changed = true;
            }
        }
        _ => {}
    }
    if !p.phones.is_empty() && rng.chance(40) {
        p.phones.pop();
        changed = true;
    }
    if let Some(BirthDate::Full(d)) = p.birth_date.as_deref().and_then(BirthDate::parse) {
        let (day, month) = (d.day(), u8::from(d.month()));
        if day <= 12 && day != month && rng.chance(40) {
            let swapped = time::Month::try_from(day)
                .ok()
                .and_then(|m| Date::from_calendar_date(d.year(), m, month).ok());
            if let Some(s) = swapped {
                p.birth_date = Some(BirthDate::Full(s).to_string());
                changed = true;
            }
        }
    }
    if p.nik.is_some() && rng.chance(30) {
        p.nik = None;
        changed = true;
    }
    if p.passport_no.is_some() && rng.chance(20) {
        p.passport_no = None;
        changed = true;
    }
    if !changed {
        p.full_name = p.full_name.to_uppercase();
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn born_for_age_gives_that_age() {
        let mut rng = SplitMix64::new(9);
        for as_of in [
            date!(2026 - 01 - 20),
            date!(2024 - 02 - 29),
            date!(2026 - 12 - 31),
        ] {
            for _ in 0..2_000 {
                let minor = rng.chance(50);
                let age = pick_age(&mut rng, minor);
                let born = born_for_age(&mut rng, as_of, age);
                assert_eq!(age_on(born, as_of), age, "{born} {as_of}");
            }
        }
    }

    #[test]
    fn apparent_age_reads_the_form() {
        let as_of = date!(2026 - 01 - 20);
        let mut p = PersonForm {
            birth_date: Some("2008-06-01".into()),
            age: Some(30),
            ..Default::default()
        };
        assert_eq!(apparent_age(&p, as_of), Some(17), "a full date wins");
        p.birth_date = Some("2000".into());
        assert_eq!(apparent_age(&p, as_of), Some(30));
        p.age = None;
        assert_eq!(apparent_age(&p, as_of), Some(26));
        p.birth_date = None;
        assert_eq!(apparent_age(&p, as_of), None);
    }

    #[test]
    fn rewritten_nik_encodes_date_and_sex_and_stays_unique() {
        let mut used = HashSet::new();
        let born = date!(1998 - 01 - 12);
        let a = rewrite_nik("3204 1052 0198 0001", born, Sex::F, &mut used).unwrap();
        assert_eq!(&a[6..12], "520198");
        let b = rewrite_nik("3204105201980001", born, Sex::F, &mut used).unwrap();
        assert_ne!(a, b);
        assert_eq!(&b[..12], &a[..12]);
        let c = rewrite_nik("3204105201980001", born, Sex::M, &mut used).unwrap();
        assert_eq!(&c[6..8], "12");
        assert_eq!(rewrite_nik("12345", born, Sex::M, &mut used), None);
    }
}
