//! NIK (Nomor Induk Kependudukan), the Indonesian national population number.
//!
//! Layout `PP RR DD DDMMYY SSSS`: province, regency/city, district, date of birth (40 added to
//! the day for women), serial. This follows `domain-data.md` §4.1, which is **unverified**
//! general knowledge: a failed check here means "look again", and a disagreement with the
//! claimed sex or birth date is a data-quality flag, never proof of fraud.

use thiserror::Error;

use crate::provinces;
use crate::sex_and_birth::{BirthDate, Sex};

/// A NIK that passed the structural checks: 16 ASCII digits, a plausible encoded birth date,
/// a known province code and a non-zero serial.
///
/// `Debug` masks the middle digits: a NIK is sensitive personal data.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nik(String);

/// Why a string is not a NIK. [`NikError::code`] is the stable code the UI translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NikError {
    #[error("a NIK has 16 digits")]
    Length,
    #[error("a NIK contains only digits")]
    NotDigits,
    #[error("the birth date encoded in the NIK is impossible")]
    BadDate,
    #[error("the NIK does not start with a known province code")]
    UnknownProvince,
    #[error("the NIK serial number is 0000")]
    ZeroSerial,
}

impl NikError {
    pub fn code(&self) -> &'static str {
        match self {
            NikError::Length => "nik_length",
            NikError::NotDigits => "nik_not_digits",
            NikError::BadDate => "nik_bad_date",
            NikError::UnknownProvince => "nik_unknown_province",
            NikError::ZeroSerial => "nik_zero_serial",
        }
    }
}

/// A disagreement between what a NIK encodes and what the person said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NikMismatch {
    Sex,
    BirthDate,
    Province,
}

impl NikMismatch {
    pub fn code(&self) -> &'static str {
        match self {
            NikMismatch::Sex => "nik_sex_mismatch",
            NikMismatch::BirthDate => "nik_birth_date_mismatch",
            NikMismatch::Province => "nik_province_mismatch",
        }
    }
}

fn two(b: &[u8]) -> u8 {
    (b[0] - b'0') * 10 + (b[1] - b'0')
}

/// Days in `month` (1–12); February has 29 days when `yy` is divisible by 4, since the century
/// is unknown (00 may be 2000, a leap year).
fn days_in_month(month: u8, yy: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if yy & 3 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl Nik {
    /// Parses a NIK as typed: spaces, dots and dashes are ignored.
    pub fn parse(s: &str) -> Result<Nik, NikError> {
        let mut digits = String::with_capacity(16);
        for c in s.chars() {
            match c {
                ' ' | '.' | '-' => {}
                c if c.is_ascii_digit() => digits.push(c),
                _ => return Err(NikError::NotDigits),
            }
        }
        if digits.len() != 16 {
            return Err(NikError::Length);
        }
        let b = digits.as_bytes();
        let day = two(&b[6..8]);
        let month = two(&b[8..10]);
        let yy = two(&b[10..12]);
        let day = match day {
            1..=31 => day,
            41..=71 => day - 40,
            _ => return Err(NikError::BadDate),
        };
        if !(1..=12).contains(&month) || day > days_in_month(month, yy) {
            return Err(NikError::BadDate);
        }
        if provinces::by_code(&digits[..2]).is_none() {
            return Err(NikError::UnknownProvince);
        }
        if &digits[12..] == "0000" {
            return Err(NikError::ZeroSerial);
        }
        Ok(Nik(digits))
    }

    /// The 16 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-digit Kemendagri province code (positions 1–2).
    pub fn province_code(&self) -> &str {
        &self.0[..2]
    }

    /// The province the NIK was issued in (not necessarily the birthplace).
    pub fn province(&self) -> &'static provinces::Province {
        provinces::by_code(self.province_code()).expect("checked when parsed")
    }

    fn raw_day(&self) -> u8 {
        two(&self.0.as_bytes()[6..8])
    }

    /// Women have 40 added to the day of birth.
    pub fn sex(&self) -> Sex {
        if self.raw_day() > 40 {
            Sex::F
        } else {
            Sex::M
        }
    }

    /// Day of birth, 1–31 (the 40 added for women removed).
    pub fn birth_day(&self) -> u8 {
        let d = self.raw_day();
        if d > 40 {
            d - 40
        } else {
            d
        }
    }

    /// Month of birth, 1–12.
    pub fn birth_month(&self) -> u8 {
        two(&self.0.as_bytes()[8..10])
    }

    /// Two-digit year of birth, 0–99; the century must come from other evidence.
    pub fn birth_yy(&self) -> u8 {
        two(&self.0.as_bytes()[10..12])
    }

    /// Compares what the NIK encodes with what the person said. Unknown facts (`None`) are not
    /// compared. Mismatches come in the order sex, birth date, province.
    pub fn cross_check(
        &self,
        sex: Option<Sex>,
        birth: Option<&BirthDate>,
        province_code: Option<&str>,
    ) -> Vec<NikMismatch> {
        let mut out = Vec::new();
        if sex.is_some_and(|s| s != self.sex()) {
            out.push(NikMismatch::Sex);
        }
        if let Some(b) = birth {
            let yy_ok = b.year().rem_euclid(100) == i32::from(self.birth_yy());
            let ok = match b {
                BirthDate::Full(d) => {
                    yy_ok
                        && d.day() == self.birth_day()
                        && u8::from(d.month()) == self.birth_month()
                }
                BirthDate::Year(_) => yy_ok,
            };
            if !ok {
                out.push(NikMismatch::BirthDate);
            }
        }
        if province_code.is_some_and(|p| p.trim() != self.province_code()) {
            out.push(NikMismatch::Province);
        }
        out
    }
}

impl std::fmt::Debug for Nik {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Nik({})", crate::text::mask(&self.0))
    }
}

impl std::fmt::Display for Nik {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Nik {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Nik {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Nik::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for Nik {
    type Err = NikError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Nik::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const SITI: &str = "3204105201980001";

    #[test]
    fn parses_the_person_rs_example() {
        let n = Nik::parse(SITI).unwrap();
        assert_eq!(n.as_str(), SITI);
        assert_eq!(n.province_code(), "32");
        assert_eq!(n.province().name, "Jawa Barat");
        assert_eq!(n.sex(), Sex::F);
        assert_eq!(n.birth_day(), 12);
        assert_eq!(n.birth_month(), 1);
        assert_eq!(n.birth_yy(), 98);
        assert_eq!(n.to_string(), SITI);
        assert_eq!(format!("{n:?}"), "Nik(3204••••••••0001)");
    }

    #[test]
    fn strips_separators() {
        let n = Nik::parse(" 3204.10-5201 980001 ").unwrap();
        assert_eq!(n.as_str(), SITI);
        let m = Nik::parse("3578 0112 0599 0003").unwrap();
        assert_eq!(m.sex(), Sex::M);
        assert_eq!(m.birth_day(), 12);
        assert_eq!(m.birth_month(), 5);
        assert_eq!(m.birth_yy(), 99);
    }

    #[test]
    fn error_codes() {
        let code = |s: &str| Nik::parse(s).unwrap_err().code();
        assert_eq!(code(""), "nik_length");
        assert_eq!(code("320410520198000"), "nik_length");
        assert_eq!(code("32041052019800011"), "nik_length");
        assert_eq!(code("32O4105201980001"), "nik_not_digits");
        assert_eq!(code("3204105201980001x"), "nik_not_digits");
        assert_eq!(code("３２04105201980001"), "nik_not_digits");
        assert_eq!(code("3204100001980001"), "nik_bad_date"); // day 00
        assert_eq!(code("3204103201980001"), "nik_bad_date"); // day 32
        assert_eq!(code("3204104001980001"), "nik_bad_date"); // day 40
        assert_eq!(code("3204107201980001"), "nik_bad_date"); // day 72
        assert_eq!(code("3204101200980001"), "nik_bad_date"); // month 00
        assert_eq!(code("3204101213980001"), "nik_bad_date"); // month 13
        assert_eq!(code("3204103104980001"), "nik_bad_date"); // 31 April
        assert_eq!(code("3204107104980001"), "nik_bad_date"); // 31 April, F
        assert_eq!(code("3204102902990001"), "nik_bad_date"); // 29 Feb 99
        assert_eq!(code("3204103002000001"), "nik_bad_date"); // 30 Feb
        assert_eq!(code("2004105201980001"), "nik_unknown_province");
        assert_eq!(code("0004105201980001"), "nik_unknown_province");
        assert_eq!(code("9704105201980001"), "nik_unknown_province");
        assert_eq!(code("3204105201980000"), "nik_zero_serial");
    }

    #[test]
    fn accepts_edge_dates() {
        assert!(Nik::parse("3204102902000001").is_ok()); // 29 Feb 00
        assert!(Nik::parse("3204106902960001").is_ok()); // 29 Feb 96, F
        assert!(Nik::parse("3204107112850001").is_ok()); // 31 Dec 85, F
        assert!(Nik::parse("3204100101850001").is_ok()); // 1 Jan 85
        assert!(Nik::parse("9604100101850001").is_ok()); // Papua Barat Daya
    }

    #[test]
    fn cross_check_agreement_and_order() {
        let n = Nik::parse(SITI).unwrap();
        let full = BirthDate::Full(date!(1998 - 01 - 12));
        assert!(n.cross_check(None, None, None).is_empty());
        assert!(n
            .cross_check(Some(Sex::F), Some(&full), Some("32"))
            .is_empty());
        assert!(n
            .cross_check(Some(Sex::F), Some(&BirthDate::Year(1998)), None)
            .is_empty());
        // Only the last two digits of the year are encoded.
        assert!(n
            .cross_check(None, Some(&BirthDate::Full(date!(1898 - 01 - 12))), None)
            .is_empty());
        assert_eq!(
            n.cross_check(
                Some(Sex::M),
                Some(&BirthDate::Full(date!(1998 - 12 - 01))),
                Some("35")
            ),
            vec![
                NikMismatch::Sex,
                NikMismatch::BirthDate,
                NikMismatch::Province
            ]
        );
        assert_eq!(
            n.cross_check(None, Some(&BirthDate::Year(1997)), None),
            vec![NikMismatch::BirthDate]
        );
        assert_eq!(
            n.cross_check(None, Some(&BirthDate::Full(date!(1998 - 01 - 13))), None),
            vec![NikMismatch::BirthDate]
        );
        assert_eq!(
            n.cross_check(None, Some(&BirthDate::Full(date!(1998 - 02 - 12))), None),
            vec![NikMismatch::BirthDate]
        );
        assert_eq!(
            n.cross_check(None, Some(&BirthDate::Full(date!(1999 - 01 - 12))), None),
            vec![NikMismatch::BirthDate]
        );
        let codes: Vec<_> = [
            NikMismatch::Sex,
            NikMismatch::BirthDate,
            NikMismatch::Province,
        ]
        .iter()
        .map(|m| m.code())
        .collect();
        assert_eq!(
            codes,
            [
                "nik_sex_mismatch",
                "nik_birth_date_mismatch",
                "nik_province_mismatch"
            ]
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = Nik::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_digit_strings(s in "[0-9 .-]{0,24}") {
            if let Ok(n) = Nik::parse(&s) {
                prop_assert_eq!(n.as_str().len(), 16);
                prop_assert!((1..=31).contains(&n.birth_day()));
                prop_assert!((1..=12).contains(&n.birth_month()));
                prop_assert_eq!(Nik::parse(n.as_str()), Ok(n.clone()));
            }
        }
    }
}
