//! The host police's hand-over list for each police group, as the CSV it arrives as, with the
//! errors such lists really have (`../shared/reference/domain-data.md` §6, "Host-country lists").

use crate::people_gen::generate;
use crate::SplitMix64;
use pulang_domain::{PersonFlag, Sex};
use time::Date;

use crate::people::age_on;
use crate::{Arrival, ArrivalGroup};

/// One host police hand-over list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoliceList {
    /// Key of the police hand-over group it came with.
    pub group: usize,
    pub file_name: String,
    /// The file's content: optional title line, header, data rows, a trailing total line.
    pub csv: String,
    /// Per data row (after the header, before the total line): the arrival it lists, or `None`
    /// for a person who is not among the arrivals (left behind or transferred).
    pub rows: Vec<Option<usize>>,
    /// `(data row, quirk)` for every deliberate error: see [`quirk`].
    pub quirks: Vec<(usize, &'static str)>,
    /// The list has an `Age` column instead of `DOB`.
    pub age_column: bool,
}

/// The quirks a police list row can carry.
pub mod quirk {
    /// A person the police listed who is not among the arrivals (left behind, transferred).
    pub const NOT_ARRIVED: &str = "not_arrived";
    /// A second row for a person already listed.
    pub const DUPLICATE_ROW: &str = "duplicate_row";
    /// An impossible date such as 31/02/1995.
    pub const INVALID_DATE: &str = "invalid_date";
    /// Birth date (or age) left blank.
    pub const BLANK_DOB: &str = "blank_dob";
    /// Family name moved to the front.
    pub const FAMILY_NAME_FIRST: &str = "family_name_first";
    /// Name cut short by the column width.
    pub const TRUNCATED_NAME: &str = "truncated_name";
}

/// The header the importer maps: `No` is ignored, the rest are recognised English headers
/// (`crates/import/src/mapping.rs`).
pub const HEADER_DOB: &str = "No,Name,Sex,DOB,Nationality,Passport No,Remarks";
pub const HEADER_AGE: &str = "No,Name,Sex,Age,Nationality,Passport No,Remarks";

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const NOT_ARRIVED_REMARKS: &[&str] = &[
    "Transferred to Immigration Dept",
    "Left behind - in hospital",
    "Not present at hand-over",
    "Transferred to provincial police",
    "Absconded before transport",
];

fn pick_str(rng: &mut SplitMix64, xs: &[&'static str]) -> &'static str {
    xs[rng.below(xs.len() as u64) as usize]
}

/// A row's person, whoever it is.
struct Listed<'a> {
    name: &'a str,
    sex: Option<Sex>,
    born: Date,
    passport: Option<&'a str>,
    remark: &'static str,
    bad_date: bool,
}

fn csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// Upper case, sometimes family name first or cut short, as police lists write names.
fn list_name(rng: &mut SplitMix64, name: &str, quirks: &mut Vec<&'static str>) -> String {
    let upper = name.to_uppercase();
    let parts: Vec<&str> = upper.split_whitespace().collect();
    match rng.below(10) {
        0 | 1 if parts.len() > 1 => {
            quirks.push(quirk::FAMILY_NAME_FIRST);
            let mut p = parts.clone();
            p.rotate_right(1);
            p.join(" ")
        }
        2 if upper.chars().count() > 16 => {
            quirks.push(quirk::TRUNCATED_NAME);
            upper
                .chars()
                .take(16)
                .collect::<String>()
                .trim_end()
                .to_string()
        }
        // A few lists keep the case they were given.
        3 => name.to_string(),
        _ => upper,
    }
}

/// An impossible date in the person's birth year: 31 February, 31 April…
fn invalid_date(rng: &mut SplitMix64, year: i32) -> String {
    let (d, m) = *rng.pick(&[(31, 2), (30, 2), (31, 4), (31, 6), (31, 9), (31, 11)]);
    format!("{d:02}/{m:02}/{year}")
}

struct Style {
    /// The hand-over date, for the age column.
    on: Date,
    excel_dates: bool,
    age_column: bool,
    nationality: &'static str,
}

fn write_row(
    rng: &mut SplitMix64,
    out: &mut String,
    no: usize,
    p: &Listed,
    style: &Style,
    quirks: &mut Vec<&'static str>,
) {
    out.push_str(&no.to_string());
    out.push(',');
    let name = list_name(rng, p.name, quirks);
    csv_field(out, &name);
    out.push(',');
    if let Some(s) = p.sex {
        out.push_str(s.as_str());
    }
    out.push(',');
    if p.bad_date {
        quirks.push(quirk::INVALID_DATE);
        out.push_str(&invalid_date(rng, p.born.year()));
    } else if rng.chance(8) {
        quirks.push(quirk::BLANK_DOB);
    } else if style.age_column {
        out.push_str(&age_on(p.born, style.on).to_string());
    } else if style.excel_dates {
        let m = MONTHS[usize::from(u8::from(p.born.month())) - 1];
        out.push_str(&format!("{:02}-{m}-{}", p.born.day(), p.born.year()));
    } else {
        out.push_str(&format!(
            "{:02}/{:02}/{}",
            p.born.day(),
            u8::from(p.born.month()),
            p.born.year()
        ));
    }
    out.push(',');
    out.push_str(style.nationality);
    out.push(',');
    if let Some(pp) = p.passport {
        csv_field(out, pp);
    }
    out.push(',');
    csv_field(out, p.remark);
    out.push('\n');
}

/// A seed for a group's own stream, so lists do not shift when another list changes.
fn mix(seed: u64, key: usize) -> u64 {
    SplitMix64::new(seed ^ (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).next_u64()
}

/// The list for `group`, listing `members` (arrival indices, in arrival order).
pub(crate) fn police_list(
    seed: u64,
    group: &ArrivalGroup,
    place: &str,
    members: &[usize],
    arrivals: &[Arrival],
) -> PoliceList {
    let mut rng = SplitMix64::new(mix(seed, group.key));
    let n = members.len();
    let style = Style {
        on: group.date,
        excel_dates: rng.chance(35),
        age_column: rng.chance(20),
        nationality: pick_str(&mut rng, &["Indonesian", "INDONESIA", "IDN", "Indonesian"]),
    };

    // Which rows: the members, then the noise. "A few" of each, more on longer lists.
    let mut rows: Vec<(Option<usize>, bool)> = members.iter().map(|&i| (Some(i), false)).collect();
    let extra = |rng: &mut SplitMix64, per: usize| n / per + usize::from(rng.chance(50));
    let not_arrived = extra(&mut rng, 40);
    for _ in 0..not_arrived {
        let at = rng.below(rows.len() as u64 + 1) as usize;
        rows.insert(at, (None, false));
    }
    if n > 0 {
        for _ in 0..extra(&mut rng, 60) {
            let from = rng.below(rows.len() as u64) as usize;
            if rows[from].0.is_some() {
                // Listed again, next to the first row or further down.
                let at = if rng.chance(50) {
                    from + 1
                } else {
                    rng.range(from as u64 + 1, rows.len() as u64) as usize
                };
                rows.insert(at, (rows[from].0, true));
            }
        }
    }
    let bad_dates = if style.age_column {
        0
    } else {
        extra(&mut rng, 80)
    };
    let people_not_arrived = generate(mix(seed, group.key ^ 0x5eed), not_arrived, &[], group.date);
    let mut not_arrived_iter = people_not_arrived.iter();

    let mut csv = String::with_capacity(64 + rows.len() * 80);
    if rng.chance(50) {
        csv_field(
            &mut csv,
            &format!(
                "LIST OF INDONESIAN NATIONALS HANDED OVER - {} - {:02}/{:02}/{}",
                place.to_uppercase(),
                group.date.day(),
                u8::from(group.date.month()),
                group.date.year()
            ),
        );
        // Excel pads exported rows to the table's width: the title and the blank row too.
        csv.push_str(",,,,,,\n,,,,,,\n");
    }
    csv.push_str(if style.age_column {
        HEADER_AGE
    } else {
        HEADER_DOB
    });
    csv.push('\n');

    let mut quirks = Vec::new();
    let mut out_rows = Vec::with_capacity(rows.len());
    let mut row_quirks = Vec::new();
    for (r, (arrival, repeated)) in rows.iter().enumerate() {
        row_quirks.clear();
        let bad_date =
            arrival.is_some() && !repeated && (rng.below(n.max(1) as u64) as usize) < bad_dates;
        let listed = match arrival {
            Some(i) => {
                let a = &arrivals[*i];
                let remark = if a.triage.contains(&PersonFlag::Medical) && rng.chance(30) {
                    "Injured"
                } else if a.person.passport_no.is_none() && rng.chance(5) {
                    "Passport held by company"
                } else {
                    ""
                };
                Listed {
                    name: &a.person.full_name,
                    sex: Some(a.sex),
                    born: a.born,
                    passport: a.person.passport_no.as_deref(),
                    remark,
                    bad_date,
                }
            }
            None => {
                row_quirks.push(quirk::NOT_ARRIVED);
                let p = not_arrived_iter.next().map(|(p, _)| p);
                Listed {
                    name: p.map(|p| p.full_name.as_str()).unwrap_or("UNKNOWN"),
                    sex: p.and_then(|p| p.sex.as_deref()).and_then(Sex::parse),
                    born: group.date.saturating_sub(time::Duration::days(
                        365 * rng.range(19, 40) as i64 + rng.below(365) as i64,
                    )),
                    passport: None,
                    remark: pick_str(&mut rng, NOT_ARRIVED_REMARKS),
                    bad_date,
                }
            }
        };
        if *repeated {
            row_quirks.push(quirk::DUPLICATE_ROW);
        }
        write_row(&mut rng, &mut csv, r + 1, &listed, &style, &mut row_quirks);
        quirks.extend(row_quirks.iter().map(|q| (r, *q)));
        out_rows.push(*arrival);
    }
    // The total line, as police lists end: counted by hand, it names no person.
    csv.push_str(&format!("Total,,,,,,{} persons\n", out_rows.len()));

    PoliceList {
        group: group.key,
        file_name: format!(
            "handover_{}_{}-{:02}-{:02}_g{}.csv",
            place.to_lowercase().replace([' ', '\''], "-"),
            group.date.year(),
            u8::from(group.date.month()),
            group.date.day(),
            group.key
        ),
        csv,
        rows: out_rows,
        quirks,
        age_column: style.age_column,
    }
}
