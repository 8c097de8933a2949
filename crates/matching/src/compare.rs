//! Field comparisons with graded levels. Level 0 is the strongest agreement; [`MISSING`] means
//! one side does not know the field (it then contributes nothing to the score).

use crate::normalize::{BirthInfo, Name, Prepared, Token};

pub const FIELDS: usize = 8;
pub const MISSING: u8 = u8::MAX;
/// One comparison level per field.
pub type Vector = [u8; FIELDS];

pub const FIELD_NAMES: [&str; FIELDS] = [
    "name",
    "birth_date",
    "phone",
    "nik",
    "passport",
    "sex",
    "province",
    "address",
];
pub const LEVEL_NAMES: [&[&str]; FIELDS] = [
    &[
        "exact",
        "subset",
        "close",
        "initials",
        "partial",
        "different",
    ],
    &["exact", "near", "same_year", "year_close", "different"],
    &["exact", "last8", "different"],
    &["exact", "one_edit", "different"],
    &["exact", "ocr_or_one_edit", "different"],
    &["same", "different"],
    &["same", "different"],
    &["exact", "jw_0.9", "jw_0.7", "different"],
];
pub const LEVELS: [usize; FIELDS] = [6, 5, 3, 3, 3, 2, 2, 4];

pub mod name_level {
    pub const EXACT: u8 = 0;
    pub const SUBSET: u8 = 1;
    pub const CLOSE: u8 = 2;
    pub const INITIALS: u8 = 3;
    pub const PARTIAL: u8 = 4;
    pub const DIFFERENT: u8 = 5;
}

/// Jaro–Winkler similarity (prefix scale 0.1, up to 4 characters) on characters.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    if a.is_ascii() && b.is_ascii() {
        jw(a.as_bytes(), b.as_bytes())
    } else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        jw(&a, &b)
    }
}

fn jw<T: PartialEq + Copy>(a: &[T], b: &[T]) -> f64 {
    let j = jaro(a, b);
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
    j + prefix as f64 * 0.1 * (1.0 - j)
}

fn jaro<T: PartialEq + Copy>(a: &[T], b: &[T]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (a, b) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let window = (b.len() / 2).saturating_sub(1);
    let mut b_used_small = [false; 64];
    let mut b_used_big: Vec<bool> = Vec::new();
    let big = b.len() > 64;
    if big {
        b_used_big = vec![false; b.len()];
    }
    let mut a_match_small = [false; 64];
    let mut a_match_big: Vec<bool> = Vec::new();
    if a.len() > 64 {
        a_match_big = vec![false; a.len()];
    }
    let mut m = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            let used = if big { b_used_big[j] } else { b_used_small[j] };
            if !used && b[j] == *ca {
                if big {
                    b_used_big[j] = true;
                } else {
                    b_used_small[j] = true;
                }
                if a.len() > 64 {
                    a_match_big[i] = true;
                } else {
                    a_match_small[i] = true;
                }
                m += 1;
                break;
            }
        }
    }
    if m == 0 {
        return 0.0;
    }
    let mut t = 0usize;
    let mut k = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let am = if a.len() > 64 {
            a_match_big[i]
        } else {
            a_match_small[i]
        };
        if !am {
            continue;
        }
        loop {
            let used = if big { b_used_big[k] } else { b_used_small[k] };
            if used {
                break;
            }
            k += 1;
        }
        if b[k] != *ca {
            t += 1;
        }
        k += 1;
    }
    let m = m as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - (t / 2) as f64) / m) / 3.0
}

/// Close enough to count as the same token written differently.
const TOKEN_JW: f64 = 0.88;

/// Compares two names by their token sets, order-free. Returns the level and the sum of
/// `log2` frequencies of the tokens that agree exactly (for term-frequency adjustment).
pub fn names(a: &Name, b: &Name) -> (u8, f32) {
    use name_level::*;
    if a.tokens.is_empty() || b.tokens.is_empty() {
        return (MISSING, 0.0);
    }
    let a_first = a.tokens.len() < b.tokens.len()
        || (a.tokens.len() == b.tokens.len()
            && a.tokens
                .iter()
                .map(|t| t.canon)
                .le(b.tokens.iter().map(|t| t.canon)));
    let (s, l) = if a_first {
        (&a.tokens[..], &b.tokens[..])
    } else {
        (&b.tokens[..], &a.tokens[..])
    };
    let s = &s[..s.len().min(8)];
    let l = &l[..l.len().min(8)];
    // 3 same, 2 close, 1 initial, 0 unmatched
    let mut kind = [0u8; 8];
    let mut used = [false; 8];
    let mut tf = 0.0f32;
    for (i, x) in s.iter().enumerate() {
        if let Some(j) = (0..l.len()).find(|&j| !used[j] && x.same(&l[j])) {
            used[j] = true;
            kind[i] = 3;
            tf += x.tf.max(l[j].tf);
        }
    }
    let close = |x: &Token, y: &Token| {
        !x.is_initial()
            && !y.is_initial()
            && (x.phon == y.phon || jaro_winkler(&x.text, &y.text) >= TOKEN_JW)
    };
    for (i, x) in s.iter().enumerate() {
        if kind[i] != 0 {
            continue;
        }
        if let Some(j) = (0..l.len()).find(|&j| !used[j] && close(x, &l[j])) {
            used[j] = true;
            kind[i] = 2;
        }
    }
    for (i, x) in s.iter().enumerate() {
        if kind[i] != 0 {
            continue;
        }
        let compatible =
            |y: &Token| (x.is_initial() || y.is_initial()) && x.first_char() == y.first_char();
        if let Some(j) = (0..l.len()).find(|&j| !used[j] && compatible(&l[j])) {
            used[j] = true;
            kind[i] = 1;
        }
    }
    let kind = &kind[..s.len()];
    let all = |k: u8| kind.iter().all(|&x| x >= k);
    let level = if all(3) && s.len() == l.len() {
        EXACT
    } else if all(3) {
        SUBSET
    } else if all(2) {
        CLOSE
    } else if all(1) && kind.iter().any(|&x| x >= 2) {
        INITIALS
    } else if kind.iter().any(|&x| x >= 2) {
        PARTIAL
    } else {
        DIFFERENT
    };
    if level == DIFFERENT || level == INITIALS || level == CLOSE {
        tf = 0.0;
    }
    // The whole name's own frequency, where known: token frequencies multiplied as if independent
    // underestimate how common a full name is (given names and family names go together).
    let (small, large) = if a_first { (a, b) } else { (b, a) };
    if level == EXACT {
        tf = tf.max(small.tf).max(large.tf);
    } else if level == SUBSET {
        tf = tf.max(small.tf);
    }
    (level, tf)
}

fn one_digit_apart(a: u32, b: u32) -> bool {
    let (mut a, mut b, mut diff) = (a, b, 0);
    while a > 0 || b > 0 {
        if a % 10 != b % 10 {
            diff += 1;
        }
        a /= 10;
        b /= 10;
    }
    diff == 1
}

pub mod birth_level {
    pub const EXACT: u8 = 0;
    pub const NEAR: u8 = 1;
    pub const SAME_YEAR: u8 = 2;
    pub const YEAR_CLOSE: u8 = 3;
    pub const DIFFERENT: u8 = 4;
}

/// Compares birth dates: exact; near (day/month swapped, one year off with the same day and month,
/// a one-digit typo); same year (when one side knows only the year); year within one (also ages);
/// different.
pub fn births(a: Option<&BirthInfo>, b: Option<&BirthInfo>) -> u8 {
    use birth_level::*;
    let (Some(a), Some(b)) = (a, b) else {
        return MISSING;
    };
    if a.has_full() && b.has_full() {
        let (ya, yb) = (a.year_lo, b.year_lo);
        if ya == yb && a.month == b.month && a.day == b.day {
            return EXACT;
        }
        let same_md = a.month == b.month && a.day == b.day;
        let swapped = a.month == b.day && a.day == b.month;
        if (ya == yb && swapped)
            || (same_md && ((ya - yb).abs() == 1 || one_digit_apart(ya as u32, yb as u32)))
            || (ya == yb
                && a.month == b.month
                && one_digit_apart(u32::from(a.day), u32::from(b.day)))
            || (ya == yb
                && a.day == b.day
                && one_digit_apart(u32::from(a.month), u32::from(b.month)))
        {
            return NEAR;
        }
        return if (ya - yb).abs() <= 1 {
            YEAR_CLOSE
        } else {
            DIFFERENT
        };
    }
    let overlap = a.year_lo <= b.year_hi && b.year_lo <= a.year_hi;
    if overlap {
        if !a.from_age && !b.from_age {
            SAME_YEAR
        } else {
            YEAR_CLOSE
        }
    } else if a.year_lo - 1 <= b.year_hi && b.year_lo - 1 <= a.year_hi {
        YEAR_CLOSE
    } else {
        DIFFERENT
    }
}

/// Any phone in common (E.164), else any with the same last eight digits.
pub fn phones(a: &[u64], b: &[u64]) -> u8 {
    if a.is_empty() || b.is_empty() {
        return MISSING;
    }
    if a.iter().any(|x| b.contains(x)) {
        return 0;
    }
    if a.iter()
        .any(|x| b.iter().any(|y| x % 100_000_000 == y % 100_000_000))
    {
        return 1;
    }
    2
}

/// Hamming distance at most one, or one adjacent transposition, between equal-length strings.
fn one_edit_same_len(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diffs: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).take(3).collect();
    match diffs.as_slice() {
        [] | [_] => true,
        [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
        _ => false,
    }
}

/// One insertion or deletion turns the longer into the shorter.
fn one_indel(a: &[u8], b: &[u8]) -> bool {
    let (s, l) = if a.len() < b.len() { (a, b) } else { (b, a) };
    if l.len() != s.len() + 1 {
        return false;
    }
    let p = s.iter().zip(l).take_while(|(x, y)| x == y).count();
    s[p..] == l[p + 1..]
}

pub fn niks(a: Option<&[u8; 16]>, b: Option<&[u8; 16]>) -> u8 {
    let (Some(a), Some(b)) = (a, b) else {
        return MISSING;
    };
    if a == b {
        0
    } else if one_edit_same_len(a, b) {
        1
    } else {
        2
    }
}

pub fn passports(a: &Prepared, b: &Prepared) -> u8 {
    let (Some(x), Some(y)) = (a.passport.as_deref(), b.passport.as_deref()) else {
        return MISSING;
    };
    if x == y {
        0
    } else if a.passport_ocr == b.passport_ocr
        || one_edit_same_len(x.as_bytes(), y.as_bytes())
        || one_indel(x.as_bytes(), y.as_bytes())
    {
        1
    } else {
        2
    }
}

fn eq_code(a: u64, b: u64) -> u8 {
    if a == 0 || b == 0 {
        MISSING
    } else if a == b {
        0
    } else {
        1
    }
}

pub fn addresses(a: &str, b: &str) -> u8 {
    if a.is_empty() || b.is_empty() {
        return MISSING;
    }
    if a == b {
        return 0;
    }
    let j = jaro_winkler(a, b);
    if j >= 0.9 {
        1
    } else if j >= 0.7 {
        2
    } else {
        3
    }
}

/// The cheap fields only (name and address [`MISSING`]), for sampling `u`.
pub fn cheap(a: &Prepared, b: &Prepared) -> Vector {
    [
        MISSING,
        births(a.birth.as_ref(), b.birth.as_ref()),
        phones(&a.phones, &b.phones),
        niks(a.nik.as_ref(), b.nik.as_ref()),
        passports(a, b),
        eq_code(u64::from(a.sex), u64::from(b.sex)),
        eq_code(a.province, b.province),
        MISSING,
    ]
}

/// Completes a [`cheap`] vector with the name and the address: together, [`pair`]. Lets a
/// caller skip the costly name comparison when the cheap fields already rule a pair out.
pub fn complete(a: &Prepared, b: &Prepared, mut v: Vector) -> (Vector, f32) {
    let (name, tf) = names(&a.name, &b.name);
    v[0] = name;
    v[7] = addresses(&a.address, &b.address);
    (v, tf)
}

/// Compares two prepared records on every field: the level vector and the name's
/// term-frequency sum.
pub fn pair(a: &Prepared, b: &Prepared) -> (Vector, f32) {
    complete(a, b, cheap(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{self, prepare, RawRecord};
    use proptest::prelude::*;

    fn nl(a: &str, b: &str) -> u8 {
        names(&normalize::name(a), &normalize::name(b)).0
    }

    #[test]
    fn jaro_winkler_known_values() {
        assert!((jaro_winkler("martha", "marhta") - 0.9611).abs() < 1e-3);
        assert!((jaro_winkler("dwayne", "duane") - 0.84).abs() < 1e-3);
        assert_eq!(jaro_winkler("", ""), 1.0);
        assert_eq!(jaro_winkler("abc", ""), 0.0);
        assert_eq!(jaro_winkler("same", "same"), 1.0);
    }

    #[test]
    fn name_levels() {
        use name_level::*;
        assert_eq!(nl("Budi Santoso", "SANTOSO BUDI"), EXACT);
        assert_eq!(nl("Soekarno", "Sukarno"), EXACT);
        assert_eq!(nl("Moh. Rizky Pratama", "Muhammad Rizki Pratama"), EXACT);
        assert_eq!(nl("Budi", "Budi Santoso"), SUBSET);
        assert_eq!(nl("I Made Sudarsana", "Sudarsana"), EXACT);
        assert_eq!(nl("Rachmat Hidayat", "Rahmat Hidajat"), CLOSE);
        assert_eq!(nl("Dewi Lestarri", "Dewi Lestari"), CLOSE);
        assert_eq!(nl("B. Santoso", "Budi Santoso"), INITIALS);
        assert_eq!(nl("Budi Santoso", "Budi Hartono"), PARTIAL);
        assert_eq!(nl("Budi Santoso", "Wati Lestari"), DIFFERENT);
        assert_eq!(nl("", "Budi"), MISSING);
    }

    #[test]
    fn birth_levels() {
        use birth_level::*;
        let b = |s: &str| normalize::birth_date(s, 2026);
        let c = |x: &str, y: &str| births(b(x).as_ref(), b(y).as_ref());
        assert_eq!(c("1990-05-12", "12/05/1990"), EXACT);
        assert_eq!(c("1990-05-12", "1990-12-05"), NEAR);
        assert_eq!(c("1990-05-12", "1991-05-12"), NEAR);
        assert_eq!(c("1990-05-12", "1990-05-13"), NEAR);
        assert_eq!(c("1990-05-12", "1990"), SAME_YEAR);
        assert_eq!(c("1990-05-12", "1991"), YEAR_CLOSE);
        assert_eq!(c("1990-05-12", "1990-08-27"), YEAR_CLOSE);
        assert_eq!(c("1990-05-12", "1975-08-27"), DIFFERENT);
        assert_eq!(c("1990", "1995"), DIFFERENT);
        assert_eq!(c("", "1995"), MISSING);
        let age = prepare(
            &RawRecord {
                age: "35".into(),
                ..Default::default()
            },
            2026,
        );
        let full = prepare(
            &RawRecord {
                birth_date: "1990-07-01".into(),
                ..Default::default()
            },
            2026,
        );
        assert_eq!(births(age.birth.as_ref(), full.birth.as_ref()), YEAR_CLOSE);
    }

    #[test]
    fn documents_and_phones() {
        let p = |pass: &str| {
            prepare(
                &RawRecord {
                    passport_no: pass.into(),
                    ..Default::default()
                },
                2026,
            )
        };
        assert_eq!(passports(&p("X1234567"), &p("X1234567")), 0);
        assert_eq!(passports(&p("X1234567"), &p("XI234567")), 1);
        assert_eq!(passports(&p("X1234567"), &p("X1234576")), 1);
        assert_eq!(passports(&p("X1234567"), &p("B7654321")), 2);
        let n = |s: &str| {
            let mut a = [0u8; 16];
            a.copy_from_slice(s.as_bytes());
            a
        };
        assert_eq!(
            niks(Some(&n("3201014505900001")), Some(&n("3201014505900001"))),
            0
        );
        assert_eq!(
            niks(Some(&n("3201014505900001")), Some(&n("3201014505900007"))),
            1
        );
        assert_eq!(
            niks(Some(&n("3201014505900001")), Some(&n("3201014505900010"))),
            1
        );
        assert_eq!(
            niks(Some(&n("3201014505900001")), Some(&n("3301014505900071"))),
            2
        );
        assert_eq!(phones(&[6281234567890], &[6281234567890, 1]), 0);
        assert_eq!(phones(&[6281234567890], &[81234567890]), 1);
        assert_eq!(phones(&[6281234567890], &[85512345678]), 2);
        assert_eq!(phones(&[], &[85512345678]), MISSING);
    }

    proptest! {
        #[test]
        fn comparisons_never_panic_and_are_symmetric(a in "[ -~]{0,40}", b in "[ -~]{0,40}",
                                                     ua in any::<String>(), ub in any::<String>()) {
            let jw1 = jaro_winkler(&ua, &ub);
            let jw2 = jaro_winkler(&ub, &ua);
            prop_assert!((0.0..=1.0).contains(&jw1));
            prop_assert!((jw1 - jw2).abs() < 1e-9);
            for (x, y) in [(&a, &b), (&ua, &ub)] {
                let ra = RawRecord { full_name: x.clone(), birth_date: x.clone(), passport_no: x.clone(),
                    address: x.clone(), nik: x.clone(), phone: x.clone(), ..Default::default() };
                let rb = RawRecord { full_name: y.clone(), birth_date: y.clone(), passport_no: y.clone(),
                    address: y.clone(), nik: y.clone(), phone: y.clone(), ..Default::default() };
                let (pa, pb) = (prepare(&ra, 2026), prepare(&rb, 2026));
                let (v1, _) = pair(&pa, &pb);
                let (v2, _) = pair(&pb, &pa);
                // Addresses compare by Jaro-Winkler, whose prefix bonus is symmetric too.
                prop_assert_eq!(v1, v2);
                let (vs, _) = pair(&pa, &pa);
                if !pa.name.tokens.is_empty() {
                    prop_assert_eq!(vs[0], name_level::EXACT);
                }
            }
        }
    }
}
