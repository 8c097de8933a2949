//! Synthetic Indonesian survivor records from four sources, with ground truth, for benchmarks.
//!
//! People come from [`crate::people_gen::generate`] (invented names and identifiers). Each
//! person then appears in one or more sources, each with its own habits:
//! - **embassy register**: full name (sometimes with titles, a Muhammad variant), ISO birth date,
//!   passport or SPLP, sometimes NIK, Indonesian or Cambodian phone, province;
//! - **host police hand-over list**: UPPER CASE, family name first, no passport or NIK, dates as
//!   `DD/MM/YYYY` or `MM/DD/YYYY` or only an age, names transcribed from speech;
//! - **shelter book**: one name (or a nickname), a Cambodian SIM number, an age;
//! - **migrant-worker registry**: old spellings, NIK (sometimes mistyped), birth date, Indonesian
//!   phone, passport with OCR confusions, province and regency.
//!
//! Some people are registered twice in the same source, and some come back after being
//! re-trafficked. Everything is invented; deterministic for a seed.

use pulang_matching::RawRecord;
use time::Date;

use crate::{people_gen, SplitMix64};

/// A generated record and the person it belongs to.
#[derive(Debug, Clone)]
pub struct SynthRecord {
    pub record: RawRecord,
    pub entity: u64,
}

struct Person {
    tokens: Vec<String>,
    alias: Option<String>,
    female: bool,
    year: i32,
    month: u8,
    day: u8,
    nik: Option<String>,
    passport: Option<String>,
    id_phone: Option<String>,
    kh_phone: Option<String>,
    province: Option<String>,
    regency: Option<String>,
}

const SOURCES: [&str; 4] = ["embassy", "police_kh", "shelter", "bp2mi"];

fn digits(rng: &mut SplitMix64, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

fn new_id_phone(rng: &mut SplitMix64) -> String {
    format!(
        "08{}{}",
        rng.pick(&["12", "13", "21", "52", "57", "77", "78", "95"]),
        digits(rng, 8)
    )
}

fn new_kh_phone(rng: &mut SplitMix64) -> String {
    let p = rng.pick(&["12", "15", "16", "17", "77", "78", "89", "92", "93", "99"]);
    let d = digits(rng, 6);
    match rng.below(3) {
        0 => format!("+855 {p} {} {}", &d[..3], &d[3..]),
        1 => format!("0{p}{d}"),
        _ => format!("855{p}{d}"),
    }
}

/// Old spelling of a modern token (the reverse of the 1947/1972 reforms), when it has one.
fn to_old(t: &str) -> String {
    let mut s = t.to_string();
    // Order matters here too: j→dj must come before y→j.
    s = s
        .replace('j', "dj")
        .replace('c', "tj")
        .replace("sy", "sj")
        .replace("ny", "nj");
    s = s.replace('y', "j");
    s.replace("kh", "ch").replace('u', "oe")
}

fn typo(rng: &mut SplitMix64, t: &str) -> String {
    let mut c: Vec<char> = t.chars().collect();
    if c.len() < 4 {
        return t.to_string();
    }
    let i = 1 + rng.below(c.len() as u64 - 2) as usize;
    match rng.below(4) {
        0 => {
            c.swap(i, i + 1);
        }
        1 => {
            c.remove(i);
        }
        2 => {
            let d = c[i];
            c.insert(i, d);
        }
        _ => {
            c[i] = *rng.pick(&['a', 'e', 'i', 'o', 'u', 'h', 'n', 'r']);
        }
    }
    c.into_iter().collect()
}

fn muhammad_variant(rng: &mut SplitMix64) -> &'static str {
    const V: [&str; 7] = [
        "Muhammad",
        "Muhamad",
        "Mohammad",
        "Mochammad",
        "Moh.",
        "M.",
        "Muh.",
    ];
    V[rng.below(V.len() as u64) as usize]
}

fn capitalise(t: &str) -> String {
    let mut c = t.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Name variation common to all sources: Muhammad spellings, old spellings, y/i, typos, drops.
fn vary_tokens(rng: &mut SplitMix64, p: &Person, noise: u64) -> Vec<String> {
    let mut toks: Vec<String> = p.tokens.clone();
    for t in &mut toks {
        let lower = t.to_lowercase();
        let is_muh = ["muhammad", "muhamad", "mohammad", "mochammad", "moh.", "m."]
            .contains(&lower.as_str());
        if is_muh && rng.chance(40) {
            *t = muhammad_variant(rng).to_string();
            continue;
        }
        if lower.len() > 3 && rng.chance(noise / 2) {
            let old = to_old(&lower);
            if old != lower {
                *t = capitalise(&old);
                continue;
            }
        }
        if t.is_ascii() && lower.len() > 3 && lower.ends_with('i') && rng.chance(noise / 3) {
            *t = format!("{}y", &t[..t.len() - 1]);
        } else if lower.len() > 3 && rng.chance(noise) {
            *t = typo(rng, t);
        }
    }
    if toks.len() > 2 && rng.chance(noise) {
        let i = rng.below(toks.len() as u64) as usize;
        toks.remove(i);
    }
    toks
}

fn iso(p: &Person) -> String {
    format!("{:04}-{:02}-{:02}", p.year, p.month, p.day)
}

fn age(p: &Person, today: Date) -> i32 {
    let mut a = today.year() - p.year;
    if (p.month, p.day) > (u8::from(today.month()), today.day()) {
        a -= 1;
    }
    a
}

fn embassy(rng: &mut SplitMix64, p: &Person, today: Date) -> RawRecord {
    let mut toks = vary_tokens(rng, p, 6);
    if rng.chance(8) {
        toks.insert(
            0,
            rng.pick(&["Bapak", "Ibu", "H.", "Hj.", "Sdr."]).to_string(),
        );
    }
    if rng.chance(3) {
        toks.push(", S.Kom.".to_string());
    }
    let mut r = RawRecord {
        source: SOURCES[0].into(),
        full_name: toks.join(" ").replace(" ,", ","),
        sex: if rng.chance(95) {
            sex(p)
        } else {
            String::new()
        },
        ..Default::default()
    };
    match rng.below(100) {
        0..=74 => r.birth_date = iso(p),
        75..=84 => r.birth_date = p.year.to_string(),
        85..=89 => {
            // Day and month swapped at the counter.
            if p.day <= 12 {
                r.birth_date = format!("{:04}-{:02}-{:02}", p.year, p.day, p.month);
            } else {
                r.birth_date = iso(p);
            }
        }
        _ => r.age = age(p, today).to_string(),
    }
    if let Some(pp) = &p.passport {
        if rng.chance(60) {
            r.passport_no = pp.clone();
        }
    }
    if r.passport_no.is_empty() && rng.chance(50) {
        r.passport_no = format!("SP{}", digits(rng, 6));
    }
    if rng.chance(45) {
        r.nik = p.nik.clone().unwrap_or_default();
    }
    r.phone = match rng.below(10) {
        0..=4 => p.id_phone.clone().unwrap_or_default(),
        5..=7 => p.kh_phone.clone().unwrap_or_default(),
        _ => String::new(),
    };
    if rng.chance(80) {
        r.origin_province = p.province.clone().unwrap_or_default();
    }
    r
}

fn sex(p: &Person) -> String {
    if p.female { "F" } else { "M" }.to_string()
}

fn police(rng: &mut SplitMix64, p: &Person, today: Date) -> RawRecord {
    let mut toks = vary_tokens(rng, p, 15);
    if toks.len() > 1 && rng.chance(70) {
        // Family name first.
        let last = toks.pop().unwrap_or_default();
        toks.insert(0, last);
    }
    let mut r = RawRecord {
        source: SOURCES[1].into(),
        full_name: toks.join(" ").to_uppercase(),
        sex: if rng.chance(90) {
            sex(p)
        } else {
            String::new()
        },
        ..Default::default()
    };
    match rng.below(100) {
        0..=44 => r.birth_date = format!("{:02}/{:02}/{:04}", p.day, p.month, p.year),
        45..=59 => r.birth_date = format!("{:02}/{:02}/{:04}", p.month, p.day, p.year),
        60..=64 => r.birth_date = format!("{:02}/{:02}/{:04}", p.day, p.month, p.year + 543),
        65..=89 => r.age = (age(p, today) + rng.below(2) as i32).to_string(),
        _ => {}
    }
    r
}

fn shelter(rng: &mut SplitMix64, p: &Person, today: Date) -> RawRecord {
    let name = match (&p.alias, rng.below(10)) {
        (Some(a), 0..=3) => a.clone(),
        _ => {
            let core: Vec<&String> = p
                .tokens
                .iter()
                .filter(|t| {
                    ![
                        "i", "ni", "muhammad", "moh.", "m.", "siti", "wayan", "made", "putu",
                        "ketut", "nyoman", "komang", "kadek", "luh", "gede", "br.", "bin", "binti",
                    ]
                    .contains(&t.to_lowercase().as_str())
                })
                .collect();
            if core.is_empty() {
                p.tokens.join(" ")
            } else if rng.chance(70) {
                core[0].clone()
            } else {
                core[core.len() - 1].clone()
            }
        }
    };
    let name = if rng.chance(10) {
        typo(rng, &name)
    } else {
        name
    };
    let mut r = RawRecord {
        source: SOURCES[2].into(),
        full_name: name,
        sex: sex(p),
        ..Default::default()
    };
    if rng.chance(75) {
        r.age = age(p, today).to_string();
    } else if rng.chance(50) {
        r.birth_date = p.year.to_string();
    }
    r.phone = if rng.chance(70) {
        p.kh_phone.clone().unwrap_or_default()
    } else {
        new_kh_phone(rng)
    };
    if rng.chance(40) {
        r.origin_province = p.province.clone().unwrap_or_default();
    }
    r
}

fn bp2mi(rng: &mut SplitMix64, p: &Person, _today: Date) -> RawRecord {
    let toks = vary_tokens(rng, p, 10);
    let mut r = RawRecord {
        source: SOURCES[3].into(),
        full_name: toks.join(" "),
        sex: sex(p),
        birth_date: iso(p),
        ..Default::default()
    };
    if let Some(n) = &p.nik {
        if rng.chance(95) {
            let mut n = n.clone();
            if rng.chance(4) {
                let i = rng.below(16) as usize;
                let d = char::from(b'0' + rng.below(10) as u8);
                n.replace_range(i..i + 1, &d.to_string());
            }
            r.nik = n;
        }
    }
    if let Some(pp) = &p.passport {
        if rng.chance(80) {
            let mut pp = pp.clone();
            if rng.chance(10) {
                pp = pp.replacen('0', "O", 1).replacen('1', "I", 1);
            }
            r.passport_no = pp;
        }
    }
    r.phone = if rng.chance(60) {
        p.id_phone.clone().unwrap_or_default()
    } else {
        String::new()
    };
    r.origin_province = p.province.clone().unwrap_or_default();
    r.address = p.regency.clone().unwrap_or_default();
    r
}

fn person(rng: &mut SplitMix64, f: &pulang_domain::PersonForm, today: Date) -> Person {
    let female = f.sex.as_deref() == Some("F") || {
        // Sex unknown in the form: recover it from the NIK.
        f.nik.as_deref().is_some_and(|n| {
            let d: String = n.chars().filter(char::is_ascii_digit).collect();
            d.len() == 16 && d[6..8].parse::<u8>().is_ok_and(|x| x > 40)
        })
    };
    let nik: Option<String> = f
        .nik
        .as_deref()
        .map(|n| n.chars().filter(char::is_ascii_digit).collect());
    let (year, month, day) = match (&nik, f.birth_date.as_deref()) {
        (Some(n), bd) => {
            let d: u8 = n[6..8].parse().unwrap_or(1);
            let d = if d > 40 { d - 40 } else { d };
            let m: u8 = n[8..10].parse().unwrap_or(1);
            let yy: i32 = n[10..12].parse().unwrap_or(0);
            let y = bd
                .and_then(|b| b.get(..4))
                .and_then(|y| y.parse::<i32>().ok())
                .unwrap_or_else(|| {
                    if yy > today.year() % 100 {
                        1900 + yy
                    } else {
                        2000 + yy
                    }
                });
            (y, m, d)
        }
        (None, Some(b)) if b.len() == 10 => (
            b[..4].parse().unwrap_or(1990),
            b[5..7].parse().unwrap_or(1),
            b[8..10].parse().unwrap_or(1),
        ),
        (None, Some(b)) => (
            b.parse().unwrap_or(1990),
            rng.range(1, 12) as u8,
            rng.range(1, 28) as u8,
        ),
        (None, None) => (
            today.year() - i32::from(f.age.unwrap_or(30)),
            rng.range(1, 12) as u8,
            rng.range(1, 28) as u8,
        ),
    };
    let mut id_phone = None;
    let mut kh_phone = None;
    for ph in &f.phones {
        if ph.contains("855") {
            kh_phone.get_or_insert_with(|| ph.clone());
        } else {
            id_phone.get_or_insert_with(|| ph.clone());
        }
    }
    if id_phone.is_none() && rng.chance(50) {
        id_phone = Some(new_id_phone(rng));
    }
    if kh_phone.is_none() && rng.chance(50) {
        kh_phone = Some(new_kh_phone(rng));
    }
    Person {
        tokens: f.full_name.split(' ').map(str::to_string).collect(),
        alias: f.aliases.first().cloned(),
        female,
        year,
        month,
        day,
        nik,
        passport: f.passport_no.clone(),
        id_phone,
        kh_phone,
        province: f.origin_province.clone(),
        regency: f.origin_regency.clone(),
    }
}

/// About `n` records (exactly `n`) with ground truth, deterministic for `seed`.
pub fn generate(seed: u64, n: usize, today: Date) -> Vec<SynthRecord> {
    let persons = n / 2 + 16;
    let forms = people_gen::generate(seed, persons, &[], today);
    let mut rng = SplitMix64::new(seed ^ 0xA5A5_5A5A_1234_5678);
    let mut out = Vec::with_capacity(n + 8);
    'outer: for (pi, (f, _)) in forms.iter().enumerate() {
        let p = person(&mut rng, f, today);
        let mut emitted = 0;
        for (si, share) in [75u64, 40, 35, 40].into_iter().enumerate() {
            let mut times = u32::from(rng.chance(share));
            if si == 0 && emitted == 0 && times == 0 && rng.chance(50) {
                times = 1;
            }
            if times == 1 && rng.chance(if si == 0 { 10 } else { 6 }) {
                times = 2; // registered twice, or came back after being re-trafficked
            }
            for _ in 0..times {
                let mut r = match si {
                    0 => embassy(&mut rng, &p, today),
                    1 => police(&mut rng, &p, today),
                    2 => shelter(&mut rng, &p, today),
                    _ => bp2mi(&mut rng, &p, today),
                };
                r.id = format!("{}-{:07}", &SOURCES[si][..3], out.len());
                out.push(SynthRecord {
                    record: r,
                    entity: pi as u64,
                });
                emitted += 1;
                if out.len() >= n {
                    break 'outer;
                }
            }
        }
        if emitted == 0 {
            let mut r = embassy(&mut rng, &p, today);
            r.id = format!("emb-{:07}", out.len());
            out.push(SynthRecord {
                record: r,
                entity: pi as u64,
            });
            if out.len() >= n {
                break;
            }
        }
    }
    // Shuffle so that files are not sorted by person.
    for i in (1..out.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        out.swap(i, j);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_sized_and_with_duplicates() {
        let today = time::macros::date!(2026 - 02 - 15);
        let a = generate(7, 2000, today);
        let b = generate(7, 2000, today);
        assert!(a.len() <= 2000 && a.len() > 1900, "{}", a.len());
        assert_eq!(
            a.iter().map(|r| &r.record).collect::<Vec<_>>(),
            b.iter().map(|r| &r.record).collect::<Vec<_>>()
        );
        let mut ents: Vec<u64> = a.iter().map(|r| r.entity).collect();
        ents.sort_unstable();
        let total = ents.len();
        ents.dedup();
        assert!(ents.len() < total * 3 / 4, "there are duplicates");
        assert!(a.iter().any(|r| r.record.source == "police_kh"
            && r.record.full_name == r.record.full_name.to_uppercase()));
        assert!(a
            .iter()
            .filter(|r| r.record.source == "police_kh")
            .all(|r| r.record.passport_no.is_empty()));
        let mut ids: Vec<&str> = a.iter().map(|r| r.record.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), a.len());
    }

    #[test]
    fn old_spelling_round_trip_is_order_safe() {
        assert_eq!(to_old("jaya"), "djaja");
        assert_eq!(to_old("suharto"), "soeharto");
        assert_eq!(
            pulang_matching::normalize::old_to_modern(&to_old("cahyadi")),
            "cahyadi"
        );
    }
}
