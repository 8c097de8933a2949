//! Properties of whole surges. Unit tests of the parts sit next to them.

use std::collections::HashMap;

use pulang_domain::{ArrivalRoute, Validation};
use pulang_screening::{evaluate, Outcome};

use super::*;

fn scale_one() -> Surge {
    surge(2026, 1.0, JANUARY_2026)
}

#[test]
fn deterministic_for_a_seed() {
    let a = surge(7, 0.3, JANUARY_2026);
    let b = surge(7, 0.3, JANUARY_2026);
    let c = surge(8, 0.3, JANUARY_2026);
    assert_eq!(a, b);
    assert_ne!(a.arrivals, c.arrivals);
    assert_ne!(a.police_lists, c.police_lists);
    // The start date moves the days, not the people's names.
    let d = surge(7, 0.3, date(2026, 3, 1));
    assert_eq!(d.days[0].date, date(2026, 3, 1));
    assert_eq!(d.as_of, date(2026, 3, 5));
}

fn date(y: i32, m: u8, d: u8) -> Date {
    Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap()
}

#[test]
fn days_add_up_at_every_scale_and_peak_is_520() {
    let s = scale_one();
    let counts: Vec<usize> = s.days.iter().map(|d| d.arrivals).collect();
    assert_eq!(counts, vec![120, 190, 330, 520, 280]);
    assert_eq!(s.arrivals.len(), 1_440);
    assert_eq!(s.days[3].date, date(2026, 1, 19), "the peak is 19 January");
    for scale in [0.0, 0.01, 0.1, 0.25, 2.5] {
        let s = surge(1, scale, JANUARY_2026);
        let want = (1440.0 * scale).round() as usize;
        assert_eq!(s.days.iter().map(|d| d.arrivals).sum::<usize>(), want);
        assert_eq!(s.arrivals.len(), want, "{scale}");
        for (d, day) in s.days.iter().enumerate() {
            let on_day = s
                .arrivals
                .iter()
                .filter(|a| a.arrived_on == day.date)
                .count();
            assert_eq!(on_day, day.arrivals, "{scale} day {d}");
        }
    }
    for bad in [f64::NAN, -1.0, f64::NEG_INFINITY] {
        let s = surge(1, bad, JANUARY_2026);
        assert!(s.arrivals.is_empty());
        assert_eq!(s.days.len(), DAYS);
    }
    assert_eq!(clamp_scale(f64::INFINITY), 0.0);
    assert_eq!(clamp_scale(1e9), MAX_SCALE);
}

#[test]
fn every_form_validates_on_the_last_day() {
    let s = scale_one();
    let today = s.as_of;
    for (i, a) in s.arrivals.iter().enumerate() {
        let (details, v) = a.person.validate(today);
        assert!(v.errors.is_empty(), "arrival {i}: {v:?}\n{:?}", a.person);
        if a.duplicate_of.is_none() {
            assert!(v.warnings.is_empty(), "arrival {i}: {v:?}\n{:?}", a.person);
        } else {
            // A swapped birth date may disagree with the NIK: that is the point.
            assert!(v.warnings.iter().all(|w| w.field == "nik"), "{v:?}");
        }
        let details = details.expect("valid person");
        let mut ev = Validation::default();
        let enc = a
            .encounter
            .validate(today, None, &mut ev)
            .expect("valid encounter");
        assert!(ev.errors.is_empty() && ev.warnings.is_empty(), "{ev:?}");
        assert_eq!(enc.arrived_on, a.arrived_on);
        assert!(SITES.iter().any(|(code, _)| *code == enc.site));
        let route = a.group.map_or(ArrivalRoute::WalkIn, |g| s.groups[g].kind);
        assert_eq!(route, enc.arrival_route);
        if let Some(g) = a.group {
            let g = &s.groups[g];
            assert_eq!(g.date, a.arrived_on);
            assert_eq!(g.site, enc.site);
        }
        // The truth behind the form agrees with it.
        if let Some(sex) = details.sex {
            assert_eq!(sex, a.sex);
        }
        if let Some(BirthDate::Full(b)) = details.birth_date {
            if a.duplicate_of.is_none() {
                assert_eq!(b, a.born);
            }
        }
    }
}

#[test]
fn groups_have_the_sizes_of_real_operations() {
    let s = scale_one();
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    for a in &s.arrivals {
        if let Some(g) = a.group {
            *sizes.entry(g).or_insert(0) += 1;
        }
    }
    assert!(s
        .groups
        .iter()
        .any(|g| g.kind == ArrivalRoute::PoliceHandover));
    assert!(s
        .groups
        .iter()
        .any(|g| g.kind == ArrivalRoute::RescueOperation));
    for g in &s.groups {
        assert_eq!(
            sizes.get(&g.key).copied().unwrap_or(0),
            g.size,
            "{}",
            g.name
        );
        let range = match g.kind {
            ArrivalRoute::PoliceHandover => 50..=200,
            ArrivalRoute::RescueOperation => 10..=60,
            other => panic!("kind {other}"),
        };
        assert!(range.contains(&g.size), "{} has {}", g.name, g.size);
        assert!(g.name.contains(g.place));
    }
    let names: std::collections::HashSet<&str> = s.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names.len(), s.groups.len(), "group names are distinct");
    let sum = summary(&s);
    assert!((500..=650).contains(&sum.walk_ins), "{}", sum.walk_ins);
    assert!(sum.per_site["PNH"] > sum.per_site["YGN"] * 5);
    assert!(sum.per_site["YGN"] > 0);
}

#[test]
fn shares_match_the_documented_ones() {
    let s = surge(11, 5.0, JANUARY_2026);
    let sum = summary(&s);
    let n = sum.total as f64;
    let pct = |x: usize| 100.0 * x as f64 / n;
    let within = |x: usize, lo: f64, hi: f64, what: &str| {
        assert!((lo..=hi).contains(&pct(x)), "{what}: {:.2}%", pct(x));
    };
    within(sum.minors, 4.0, 6.0, "minors");
    within(sum.without_passport, 70.0, 80.0, "without passport");
    within(sum.with_nik, 55.0, 65.0, "with NIK");
    within(sum.duplicates, 2.0, 4.0, "duplicates");
    within(sum.triage[&PersonFlag::Medical], 6.0, 10.0, "medical");
    within(sum.triage[&PersonFlag::Disability], 0.8, 2.5, "disability");
    within(
        sum.triage[&PersonFlag::Interpreter],
        1.0,
        3.5,
        "interpreter",
    );
    within(sum.profiles["willing"], 3.5, 6.5, "willing");
    assert!(sum.triage[&PersonFlag::Pregnancy] > 0);
    // Phones: Indonesian and Cambodian SIMs both present.
    let phones: Vec<&String> = s.arrivals.iter().flat_map(|a| &a.person.phones).collect();
    assert!(phones.iter().any(|p| p.starts_with("+855")));
    assert!(phones
        .iter()
        .any(|p| p.starts_with('0') || p.starts_with("+62")));
}

#[test]
fn triage_is_consistent_with_the_person() {
    let s = surge(3, 3.0, JANUARY_2026);
    for a in &s.arrivals {
        let child = apparent_age(&a.person, s.as_of).is_some_and(|x| x < 18);
        assert_eq!(
            a.triage.contains(&PersonFlag::Child),
            child,
            "{:?}",
            a.person
        );
        if a.duplicate_of.is_none() {
            assert_eq!(child, age_on(a.born, s.as_of) < 18, "{:?}", a.person);
        }
        if a.triage.contains(&PersonFlag::Pregnancy) {
            assert_eq!(a.sex, Sex::F);
            assert_ne!(a.person.sex.as_deref(), Some("M"));
        }
        // Known flags, each once, in the documented order.
        let order: Vec<usize> = a
            .triage
            .iter()
            .map(|t| {
                PersonFlag::triage()
                    .collect::<Vec<_>>()
                    .iter()
                    .position(|x| x == t)
                    .expect("known flag")
            })
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{:?}", a.triage);
        if a.triage.contains(&PersonFlag::Interpreter) {
            assert!(!a.person.languages.iter().any(|l| l == "Indonesia"));
        }
    }
}

#[test]
fn screenings_evaluate_and_follow_the_profiles() {
    let s = scale_one();
    let (mut victims, mut victim_plans, mut signed) = (0, 0, 0);
    for a in &s.arrivals {
        let Some(input) = a.screening.input() else {
            continue;
        };
        // Through the JSON contract too: what `pulang screen` would read.
        let json = serde_json_roundtrip(input);
        assert_eq!(&json, input);
        let outcome = evaluate(input).expect("evaluates").outcome;
        if !matches!(a.screening, ScreeningPlan::Signed(_)) {
            continue;
        }
        signed += 1;
        match a.profile {
            Profile::ForcedCriminality | Profile::DebtBondage => {
                victim_plans += 1;
                victims += usize::from(outcome >= Outcome::PossibleVictim);
            }
            Profile::Willing => assert!(outcome <= Outcome::ExploitedMigrant, "{input:?}"),
            Profile::Mixed => {}
        }
    }
    assert!(signed > 400, "{signed}");
    assert!(
        victims * 100 >= victim_plans * 95,
        "{victims} of {victim_plans}"
    );
    let sum = summary(&s);
    assert_eq!(
        sum.screenings.values().sum::<usize>(),
        sum.total,
        "{:?}",
        sum.screenings
    );
    assert!(sum.screenings["draft"] > 0 && sum.screenings["none"] > 0);
}

fn serde_json_roundtrip(
    input: &pulang_screening::ScreeningInput,
) -> pulang_screening::ScreeningInput {
    let text = serde_json::to_string(input).expect("serialises");
    pulang_screening::ScreeningInput::from_json(&text).expect("strict parse")
}

#[test]
fn duplicates_point_earlier_and_share_the_truth() {
    let s = surge(5, 2.0, JANUARY_2026);
    let mut n = 0;
    for (i, a) in s.arrivals.iter().enumerate() {
        let Some(j) = a.duplicate_of else { continue };
        n += 1;
        assert!(j < i);
        let first = &s.arrivals[j];
        assert!(
            first.duplicate_of.is_none(),
            "points at the first registration"
        );
        assert_eq!(
            (first.born, first.sex, first.profile),
            (a.born, a.sex, a.profile)
        );
        assert_eq!(first.encounter.site, a.encounter.site);
        assert_ne!(first.person, a.person, "written differently");
        assert!(a.milestones.is_empty());
        assert!(!matches!(a.screening, ScreeningPlan::Signed(_)));
    }
    assert!(n > 40, "{n}");
}

#[test]
fn milestones_are_ordered_and_fewer_for_later_days() {
    let s = surge(9, 2.0, JANUARY_2026);
    let mut documented = [0usize; DAYS];
    let mut returned = [0usize; DAYS];
    for a in &s.arrivals {
        let mut last = a.arrived_on;
        let mut seen = Vec::new();
        for (m, d) in &a.milestones {
            assert!(Milestone::ALL.contains(m));
            assert!(*d >= last && *d <= s.as_of, "{:?}", a.milestones);
            last = *d;
            seen.push(*m);
        }
        if seen.contains(&Milestone::Returned) {
            assert!(seen.contains(&Milestone::Documented));
        }
        let day = (a.arrived_on - s.start).whole_days() as usize;
        documented[day] += usize::from(seen.contains(&Milestone::Documented));
        returned[day] += usize::from(seen.contains(&Milestone::Returned));
    }
    let share = |x: usize, d: usize| x as f64 / s.days[d].arrivals as f64;
    assert!(share(documented[0], 0) > 0.5, "day one mostly documented");
    assert!(returned[0] > 0, "some of day one already home");
    for d in 1..DAYS {
        assert!(share(documented[d], d) < share(documented[d - 1], d - 1));
    }
    assert_eq!(returned[DAYS - 1], 0);
}

#[test]
fn police_lists_trace_every_row_and_import() {
    let s = scale_one();
    let police_groups = s
        .groups
        .iter()
        .filter(|g| g.kind == ArrivalRoute::PoliceHandover)
        .count();
    assert_eq!(s.police_lists.len(), police_groups);
    let mut quirks: HashMap<&str, usize> = HashMap::new();
    for list in &s.police_lists {
        let group = &s.groups[list.group];
        assert_eq!(group.kind, ArrivalRoute::PoliceHandover);
        assert!(list.file_name.ends_with(".csv") && !list.file_name.contains('/'));
        let lines: Vec<&str> = list.csv.lines().collect();
        let header = if list.age_column {
            HEADER_AGE
        } else {
            HEADER_DOB
        };
        let at = lines
            .iter()
            .position(|l| *l == header)
            .expect("the header line");
        assert!(at <= 2);
        let last = lines.last().copied().unwrap_or_default();
        assert!(last.starts_with("Total,"), "{last}");
        assert_eq!(lines.len() - at - 2, list.rows.len(), "{}", list.file_name);
        for (r, row) in list.rows.iter().enumerate() {
            if let Some(i) = row {
                assert_eq!(s.arrivals[*i].group, Some(list.group));
            } else {
                assert!(list.quirks.contains(&(r, quirk::NOT_ARRIVED)));
            }
        }
        for (r, q) in &list.quirks {
            assert!(*r < list.rows.len());
            *quirks.entry(q).or_insert(0) += 1;
        }

        // The importer reads it: every data row, plus the total line (which has no name).
        let parsed = pulang_import::parse(list.csv.as_bytes(), &[], s.as_of).expect("imports");
        assert_eq!(parsed.rows.len(), list.rows.len() + 1, "{}", list.file_name);
        let total_row = parsed.rows.last().expect("total line");
        assert!(total_row.person.full_name.is_empty());
        for (r, (row, arrival)) in parsed.rows.iter().zip(&list.rows).enumerate() {
            let has = |q: &str| list.quirks.contains(&(r, q));
            if has(quirk::INVALID_DATE) {
                assert!(row.issues.iter().any(|i| i.code == "invalid_date"));
                continue;
            }
            assert!(row.issues.is_empty(), "{:?}", row.issues);
            let Some(i) = arrival else { continue };
            let a = &s.arrivals[*i];
            assert_eq!(row.person.sex.as_deref(), Some(a.sex.as_str()));
            if has(quirk::BLANK_DOB) {
                assert!(row.person.birth_date.is_none() && row.person.age.is_none());
            } else if list.age_column {
                assert_eq!(row.person.age, Some(age_on(a.born, group.date) as u16));
            } else {
                assert_eq!(
                    row.person.birth_date.as_deref(),
                    Some(BirthDate::Full(a.born).to_string().as_str())
                );
            }
            assert_eq!(row.person.nationality.as_deref(), Some("ID"));
            let name_word = row.person.full_name.split_whitespace().next().unwrap_or("");
            assert!(
                a.person
                    .full_name
                    .to_uppercase()
                    .contains(&name_word.to_uppercase()),
                "{} vs {}",
                row.person.full_name,
                a.person.full_name
            );
        }
    }
    for q in [
        quirk::NOT_ARRIVED,
        quirk::DUPLICATE_ROW,
        quirk::INVALID_DATE,
        quirk::BLANK_DOB,
        quirk::FAMILY_NAME_FIRST,
    ] {
        assert!(quirks.get(q).copied().unwrap_or(0) > 0, "{q}: {quirks:?}");
    }
    assert!(s.police_lists.iter().any(|l| l.age_column));
    assert!(s.police_lists.iter().any(|l| l.csv.contains("-Jan-")
        || l.csv.contains("-Feb-")
        || l.csv.contains("-Mar-")
        || l.csv.contains("-Dec-")));
}

#[test]
fn small_rehearsals_still_have_every_kind() {
    let s = surge(1, 0.1, JANUARY_2026);
    assert_eq!(s.arrivals.len(), 144);
    assert!(!s.police_lists.is_empty());
    assert!(s
        .groups
        .iter()
        .any(|g| g.kind == ArrivalRoute::RescueOperation));
    assert!(s.arrivals.iter().any(|a| a.group.is_none()));
    let text = summary(&s).to_string();
    assert!(text.starts_with("arrivals: 144 (peak 52)"), "{text}");
}

/// `cargo test --release -p pulang-demo -- --ignored --nocapture million` prints the time.
#[test]
#[ignore = "about a million arrivals: run in release"]
fn million_arrivals_generate_in_seconds() {
    let t = std::time::Instant::now();
    let s = surge(1, 700.0, JANUARY_2026);
    let took = t.elapsed();
    let sum = summary(&s);
    assert_eq!(sum.total, 1_008_000);
    println!("scale 700: {} arrivals in {took:?}\n{sum}", sum.total);
    let t = std::time::Instant::now();
    let s1 = surge(1, 1.0, JANUARY_2026);
    println!(
        "scale 1: {} arrivals in {:?}",
        s1.arrivals.len(),
        t.elapsed()
    );
}
