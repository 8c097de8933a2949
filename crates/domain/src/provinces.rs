//! The 38 provinces of Indonesia with their Kemendagri codes (the codes NIKs carry) and the names
//! and abbreviations people actually write.
//!
//! The table follows `domain-data.md` §5, which is **unverified** general knowledge: it must be
//! checked against the Kemendagri code list before it is treated as normative. In particular the
//! codes of the Papua-region provinces (91–96) differ between Kemendagri and BPS; the values
//! below are the Kemendagri codes as commonly cited and are **unverified**.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::text::fold;

/// One province: its two-digit Kemendagri code, its official Indonesian name, and the other
/// names it goes by (abbreviations, English names, former names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Province {
    pub code: &'static str,
    pub name: &'static str,
    pub aliases: &'static [&'static str],
}

const fn p(code: &'static str, name: &'static str, aliases: &'static [&'static str]) -> Province {
    Province {
        code,
        name,
        aliases,
    }
}

static PROVINCES: [Province; 38] = [
    p(
        "11",
        "Aceh",
        &["NAD", "Nanggroe Aceh Darussalam", "Aceh Darussalam"],
    ),
    p("12", "Sumatera Utara", &["Sumut", "North Sumatra"]),
    p("13", "Sumatera Barat", &["Sumbar", "West Sumatra"]),
    p("14", "Riau", &[]),
    p("15", "Jambi", &[]),
    p("16", "Sumatera Selatan", &["Sumsel", "South Sumatra"]),
    p("17", "Bengkulu", &[]),
    p("18", "Lampung", &[]),
    p(
        "19",
        "Kepulauan Bangka Belitung",
        &[
            "Babel",
            "Bangka Belitung",
            "Kep. Bangka Belitung",
            "Bangka Belitung Islands",
        ],
    ),
    p(
        "21",
        "Kepulauan Riau",
        &["Kepri", "Kep. Riau", "Riau Islands"],
    ),
    p(
        "31",
        "DKI Jakarta",
        &[
            "DKI",
            "Jakarta",
            "Daerah Khusus Ibukota Jakarta",
            "Special Capital Region of Jakarta",
        ],
    ),
    p("32", "Jawa Barat", &["Jabar", "West Java"]),
    p("33", "Jawa Tengah", &["Jateng", "Central Java"]),
    p(
        "34",
        "DI Yogyakarta",
        &[
            "DIY",
            "Yogyakarta",
            "Yogya",
            "Jogja",
            "Jogjakarta",
            "Daerah Istimewa Yogyakarta",
            "Special Region of Yogyakarta",
        ],
    ),
    p("35", "Jawa Timur", &["Jatim", "East Java"]),
    p("36", "Banten", &[]),
    p("51", "Bali", &[]),
    p("52", "Nusa Tenggara Barat", &["NTB", "West Nusa Tenggara"]),
    p("53", "Nusa Tenggara Timur", &["NTT", "East Nusa Tenggara"]),
    p("61", "Kalimantan Barat", &["Kalbar", "West Kalimantan"]),
    p(
        "62",
        "Kalimantan Tengah",
        &["Kalteng", "Central Kalimantan"],
    ),
    p("63", "Kalimantan Selatan", &["Kalsel", "South Kalimantan"]),
    p("64", "Kalimantan Timur", &["Kaltim", "East Kalimantan"]),
    p("65", "Kalimantan Utara", &["Kaltara", "North Kalimantan"]),
    p("71", "Sulawesi Utara", &["Sulut", "North Sulawesi"]),
    p("72", "Sulawesi Tengah", &["Sulteng", "Central Sulawesi"]),
    p("73", "Sulawesi Selatan", &["Sulsel", "South Sulawesi"]),
    p("74", "Sulawesi Tenggara", &["Sultra", "Southeast Sulawesi"]),
    p("75", "Gorontalo", &[]),
    p("76", "Sulawesi Barat", &["Sulbar", "West Sulawesi"]),
    p("81", "Maluku", &[]),
    p("82", "Maluku Utara", &["Malut", "North Maluku"]),
    // 91–96: Kemendagri codes after the 2022 Papua split. UNVERIFIED: confirm against the
    // Kemendagri code list (BPS uses different codes for these provinces).
    p("91", "Papua", &[]),
    p("92", "Papua Barat", &["Pabar", "West Papua"]),
    p("93", "Papua Selatan", &["South Papua"]),
    p("94", "Papua Tengah", &["Central Papua"]),
    p("95", "Papua Pegunungan", &["Highland Papua"]),
    p("96", "Papua Barat Daya", &["Southwest Papua"]),
];

/// Every province, in code order.
pub fn all() -> &'static [Province] {
    &PROVINCES
}

/// The province with this two-digit Kemendagri code.
pub fn by_code(code: &str) -> Option<&'static Province> {
    let code = code.trim();
    PROVINCES.iter().find(|p| p.code == code)
}

/// Prefixes and suffixes (already folded) that do not belong to the name itself.
const PREFIXES: [&str; 7] = [
    "provinsi ",
    "propinsi ",
    "province of ",
    "provinsi",
    "prov ",
    "prop ",
    "province ",
];
const SUFFIXES: [&str; 2] = [" province", " provinsi"];

/// The matching key of a folded name: spelling variants unified, spaces removed.
fn key(folded: &str) -> String {
    folded
        .replace("sumatra", "sumatera")
        .replace("java", "jawa")
        .replace(' ', "")
}

fn index() -> &'static HashMap<String, usize> {
    static INDEX: OnceLock<HashMap<String, usize>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut m = HashMap::new();
        for (i, p) in PROVINCES.iter().enumerate() {
            for n in std::iter::once(&p.name).chain(p.aliases.iter()) {
                m.entry(key(&fold(n))).or_insert(i);
            }
        }
        m
    })
}

/// Finds a province from what someone wrote: the official name, an abbreviation, an English
/// name, with or without a "Provinsi"/"Prov." prefix, in any case and spacing, with the
/// Sumatra/Sumatera and Java/Jawa variants, or the two-digit code.
pub fn lookup(s: &str) -> Option<&'static Province> {
    let folded = fold(s);
    if folded.is_empty() {
        return None;
    }
    if folded.len() == 2 && folded.bytes().all(|b| b.is_ascii_digit()) {
        return by_code(&folded);
    }
    let idx = index();
    if let Some(&i) = idx.get(&key(&folded)) {
        return Some(&PROVINCES[i]);
    }
    let mut rest = folded.as_str();
    for pre in PREFIXES {
        if let Some(r) = rest.strip_prefix(pre) {
            rest = r;
            break;
        }
    }
    for suf in SUFFIXES {
        if let Some(r) = rest.strip_suffix(suf) {
            rest = r;
            break;
        }
    }
    let rest = rest.trim();
    if rest.is_empty() {
        return None;
    }
    idx.get(&key(rest)).map(|&i| &PROVINCES[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table_has_38_unique_codes_and_names() {
        assert_eq!(all().len(), 38);
        let mut codes: Vec<_> = all().iter().map(|p| p.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 38);
        for p in all() {
            assert_eq!(p.code.len(), 2);
            assert!(p.code.bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(lookup(p.name).map(|x| x.code), Some(p.code), "{}", p.name);
            for a in p.aliases {
                assert_eq!(lookup(a).map(|x| x.code), Some(p.code), "{a}");
            }
        }
    }

    #[test]
    fn no_alias_is_shared_between_provinces() {
        let mut seen = HashMap::new();
        for p in all() {
            for n in std::iter::once(&p.name).chain(p.aliases.iter()) {
                if let Some(other) = seen.insert(key(&fold(n)), p.code) {
                    panic!("{n} used by {other} and {}", p.code);
                }
            }
        }
    }

    #[test]
    fn by_code_works() {
        assert_eq!(by_code("32").unwrap().name, "Jawa Barat");
        assert_eq!(by_code("96").unwrap().name, "Papua Barat Daya");
        assert!(by_code("20").is_none());
        assert!(by_code("").is_none());
    }

    #[test]
    fn lookup_variants() {
        let code = |s: &str| lookup(s).map(|p| p.code);
        assert_eq!(code("JAWA BARAT"), Some("32"));
        assert_eq!(code("  jawa   barat "), Some("32"));
        assert_eq!(code("JawaBarat"), Some("32"));
        assert_eq!(code("West Java"), Some("32"));
        assert_eq!(code("Java Barat"), Some("32"));
        assert_eq!(code("jabar"), Some("32"));
        assert_eq!(code("Provinsi Jawa Timur"), Some("35"));
        assert_eq!(code("Prov. Jawa Tengah"), Some("33"));
        assert_eq!(code("PROV.JATENG"), Some("33"));
        assert_eq!(code("Propinsi Sumatera Utara"), Some("12"));
        assert_eq!(code("Sumatra Utara"), Some("12"));
        assert_eq!(code("North Sumatera"), Some("12"));
        assert_eq!(code("East Java Province"), Some("35"));
        assert_eq!(code("Province of Bali"), Some("51"));
        assert_eq!(code("NTB"), Some("52"));
        assert_eq!(code("n.t.t."), Some("53"));
        assert_eq!(code("Kepri"), Some("21"));
        assert_eq!(code("Riau"), Some("14"));
        assert_eq!(code("Kepulauan Riau"), Some("21"));
        assert_eq!(code("Jogja"), Some("34"));
        assert_eq!(code("D.I. Yogyakarta"), Some("34"));
        assert_eq!(code("DKI Jakarta"), Some("31"));
        assert_eq!(code("Bangka-Belitung"), Some("19"));
        assert_eq!(code("Papua"), Some("91"));
        assert_eq!(code("Papua Barat Daya"), Some("96"));
        assert_eq!(code("32"), Some("32"));
        assert_eq!(code(" 73 "), Some("73"));
    }

    #[test]
    fn lookup_rejects_unknowns() {
        assert!(lookup("").is_none());
        assert!(lookup("Provinsi").is_none());
        assert!(lookup("Prov.").is_none());
        assert!(lookup("Bandung").is_none());
        assert!(lookup("Sumatera").is_none());
        assert!(lookup("00").is_none());
        assert!(lookup("320").is_none());
    }

    proptest! {
        #[test]
        fn lookup_never_panics(s in any::<String>()) {
            let _ = lookup(&s);
            let _ = by_code(&s);
        }
    }
}
