//! Blocking: several rules, each giving records keys; records sharing a key become candidate
//! pairs, and the rules are unioned so that one missing or mistyped field does not lose a match.
//! Blocks larger than `max_block` are skipped (a finer rule covers them).

use rayon::prelude::*;

use crate::normalize::{mix, Prepared};

/// The rules, in the order of [`RULES`].
pub const RULES: [&str; 10] = [
    "two name tokens",
    "phonetic name token + birth year + sex",
    "full birth date (day/month order-free)",
    "phone",
    "phone last 8 digits",
    "NIK",
    "NIK without serial / without region",
    "passport (OCR-folded)",
    "name token + initial of another token",
    "phonetic name token + province or address",
];

/// Rules whose keys unrelated people often share (one name token with a birth year and sex, a
/// token with another's initial, a token with a province or address): they catch spelling
/// variants, but a block of them is mostly strangers.
pub const LOOSE_RULES: [u8; 3] = [1, 8, 9];

/// The blocking keys of one record, each tagged with its rule.
pub fn keys(p: &Prepared, out: &mut Vec<(u64, u8)>) {
    let toks = &p.name.tokens[..p.name.tokens.len().min(6)];
    for (i, a) in toks.iter().enumerate() {
        for b in &toks[i + 1..] {
            let (x, y) = if a.alt <= b.alt {
                (a.alt, b.alt)
            } else {
                (b.alt, a.alt)
            };
            out.push((mix(mix(1, x), y), 0));
            // The same with the birth year, for common names whose blocks are too large.
            if let Some(b) = p.birth.filter(|b| b.year_hi - b.year_lo <= 2) {
                for yr in b.year_lo..=b.year_hi {
                    out.push((mix(mix(mix(13, x), y), yr as u64), 0));
                }
            }
        }
    }
    for (i, a) in toks.iter().enumerate() {
        if a.is_initial() {
            continue;
        }
        for (j, o) in toks.iter().enumerate() {
            if i != j {
                if let Some(c) = o.first_char() {
                    out.push((mix(mix(10, a.alt), u64::from(c)), 8));
                }
            }
        }
        if p.province != 0 {
            out.push((mix(mix(11, a.phon), p.province), 9));
        }
        if !p.address.is_empty() {
            out.push((
                mix(
                    mix(12, a.phon),
                    crate::normalize::hash(p.address.as_bytes()),
                ),
                9,
            ));
        }
    }
    if let Some(b) = p.birth {
        if b.year_hi - b.year_lo <= 2 {
            // Unknown sex joins both.
            let sexes: &[u64] = match p.sex {
                1 => &[1],
                2 => &[2],
                _ => &[1, 2],
            };
            for t in toks.iter().filter(|t| !t.is_initial()) {
                for y in b.year_lo..=b.year_hi {
                    for &s in sexes {
                        out.push((mix(mix(mix(2, t.phon), y as u64), s), 1));
                    }
                }
            }
        }
        if b.has_full() {
            let (lo, hi) = if b.month <= b.day {
                (b.month, b.day)
            } else {
                (b.day, b.month)
            };
            let k = (b.year_lo as u64) << 16 | u64::from(lo) << 8 | u64::from(hi);
            out.push((mix(3, k), 2));
            // With each token's first letter, for large registers where a date alone is shared
            // by too many people.
            let mut firsts: Vec<char> = toks.iter().filter_map(|t| t.first_char()).collect();
            firsts.sort_unstable();
            firsts.dedup();
            for c in firsts {
                out.push((mix(mix(14, k), u64::from(c)), 2));
            }
        }
    }
    for &ph in &p.phones {
        out.push((mix(4, ph), 3));
        out.push((mix(5, ph % 100_000_000), 4));
    }
    if let Some(n) = p.nik {
        out.push((mix(6, crate::normalize::hash(&n)), 5));
        out.push((mix(7, crate::normalize::hash(&n[..12])), 6));
        out.push((mix(8, crate::normalize::hash(&n[6..])), 6));
    }
    if p.passport.is_some() {
        out.push((mix(9, p.passport_ocr), 7));
    }
}

/// Candidate pairs `(i, j)` with `i < j`, packed as `i << 32 | j`, sorted and unique; and the
/// number of pairs each rule produced (before the union removed repeats).
pub fn candidate_pairs(prepared: &[Prepared], max_block: usize) -> (Vec<u64>, Vec<u64>) {
    let mut entries: Vec<(u64, u32, u8)> = prepared
        .par_iter()
        .enumerate()
        .fold(Vec::new, |mut acc, (i, p)| {
            let mut ks = Vec::with_capacity(24);
            keys(p, &mut ks);
            ks.sort_unstable();
            ks.dedup();
            acc.extend(ks.into_iter().map(|(k, r)| (k, i as u32, r)));
            acc
        })
        .reduce(Vec::new, |mut a, mut b| {
            a.append(&mut b);
            a
        });
    entries.par_sort_unstable();
    // Group boundaries.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut s = 0;
    for i in 1..=entries.len() {
        if i == entries.len() || entries[i].0 != entries[s].0 {
            let len = i - s;
            // One name token and a year is a loose rule: it gets half the block size.
            let cap = if entries[s].2 == 1 {
                max_block / 2
            } else {
                max_block
            };
            if len >= 2 && len <= cap {
                groups.push((s, i));
            }
            s = i;
        }
    }
    let mut per_rule = vec![0u64; RULES.len()];
    for &(a, b) in &groups {
        let n = (b - a) as u64;
        per_rule[entries[a].2 as usize] += n * (n - 1) / 2;
    }
    let mut pairs: Vec<u64> = groups
        .par_iter()
        .fold(Vec::new, |mut acc, &(a, b)| {
            let g = &entries[a..b];
            for x in 0..g.len() {
                for y in x + 1..g.len() {
                    let (i, j) = (g[x].1, g[y].1);
                    if i != j {
                        let (i, j) = if i < j { (i, j) } else { (j, i) };
                        acc.push(u64::from(i) << 32 | u64::from(j));
                    }
                }
            }
            acc
        })
        .reduce(Vec::new, |mut a, mut b| {
            a.append(&mut b);
            a
        });
    pairs.par_sort_unstable();
    pairs.dedup();
    (pairs, per_rule)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{prepare, RawRecord};

    fn rec(name: &str, dob: &str, phone: &str) -> Prepared {
        prepare(
            &RawRecord {
                full_name: name.into(),
                birth_date: dob.into(),
                phone: phone.into(),
                ..Default::default()
            },
            2026,
        )
    }

    #[test]
    fn rules_are_unioned() {
        let ps = vec![
            rec("Budi Santoso", "1990-05-12", ""),
            rec("SANTOSO BUDI", "12/05/1990", ""),
            rec("Budi", "1990-12-05", "0812-3456-7890"),
            rec("Wati", "", "+62 812 3456 7890"),
            rec("Joko Widodo", "1961-06-21", ""),
        ];
        let (pairs, per_rule) = candidate_pairs(&ps, 100);
        let has = |i: u64, j: u64| pairs.contains(&(i << 32 | j));
        assert!(has(0, 1)); // tokens
        assert!(has(0, 2)); // date with day/month swapped
        assert!(has(2, 3)); // phone
        assert!(!has(0, 4));
        assert!(per_rule[0] >= 1 && per_rule[3] >= 1);
        // A block larger than the cap is skipped.
        let (pairs, _) = candidate_pairs(&ps, 1);
        assert!(pairs.is_empty());
    }
}
