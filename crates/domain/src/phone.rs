//! Phone numbers as people write them, normalised to E.164 with libphonenumber's metadata
//! (the `phonenumber` crate).
//!
//! National numbers (trunk `0`) are read as Indonesian. Numbers with `+`, `00`, or a bare
//! country code (`6281…`, `85512…`) are read as international. Annotations such as "(WA)",
//! "WA:" or "HP" are ignored. Numbering-plan details are **unverified** (`domain-data.md` §4.3);
//! the validity test is libphonenumber's.

use phonenumber::{country, Mode};
use thiserror::Error;

/// Why a string is not a usable phone number. [`PhoneError::code`] is the stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PhoneError {
    #[error("not a valid phone number")]
    Invalid,
}

impl PhoneError {
    pub fn code(&self) -> &'static str {
        match self {
            PhoneError::Invalid => "phone_invalid",
        }
    }
}

/// Words that annotate a number rather than being part of it (compared in lower case).
const ANNOTATIONS: [&str; 20] = [
    "wa", "whatsapp", "hp", "tel", "telp", "tlp", "telepon", "phone", "mobile", "mob", "cell",
    "no", "nomor", "nmr", "sms", "telegram", "tg", "line", "signal", "own",
];

/// Shortest and longest digit runs worth handing to libphonenumber (E.164 allows 15 digits;
/// `00` and a trunk `0` may come on top).
const MIN_DIGITS: usize = 6;
const MAX_DIGITS: usize = 18;

/// The digits of a number and whether it began with `+`, after annotations and separators
/// are removed. `None` if anything else is in the string.
fn extract(s: &str) -> Option<(bool, String)> {
    let mut digits = String::with_capacity(16);
    let mut plus = false;
    let mut word = String::new();
    let end_word = |word: &mut String| -> bool {
        let ok = word.is_empty() || ANNOTATIONS.contains(&word.as_str());
        word.clear();
        ok
    };
    for c in s.chars() {
        if c.is_ascii_alphabetic() {
            if word.len() > 10 {
                return None;
            }
            word.push(c.to_ascii_lowercase());
            continue;
        }
        if !end_word(&mut word) {
            return None;
        }
        match c {
            '0'..='9' => {
                if digits.len() >= MAX_DIGITS {
                    return None;
                }
                digits.push(c);
            }
            '+' if digits.is_empty() && !plus => plus = true,
            '-' | '.' | '(' | ')' | '/' | ':' => {}
            c if c.is_whitespace() => {}
            _ => return None,
        }
    }
    if !end_word(&mut word) {
        return None;
    }
    (digits.len() >= MIN_DIGITS).then_some((plus, digits))
}

/// Parses with libphonenumber and returns the E.164 form if the number is valid.
fn valid_e164(region: Option<country::Id>, s: &str) -> Option<String> {
    let n = phonenumber::parse(region, s).ok()?;
    phonenumber::is_valid(&n).then(|| n.format().mode(Mode::E164).to_string())
}

fn international(digits: &str) -> Option<String> {
    if digits.starts_with('0') {
        return None;
    }
    valid_e164(None, &format!("+{digits}"))
}

fn indonesian(digits: &str) -> Option<String> {
    valid_e164(Some(country::Id::ID), digits)
}

/// Normalises a phone number to E.164 (`+628123456789`).
pub fn normalize(s: &str) -> Result<String, PhoneError> {
    let (plus, digits) = extract(s).ok_or(PhoneError::Invalid)?;
    let found = if plus {
        international(&digits)
    } else if let Some(rest) = digits.strip_prefix("00") {
        international(rest)
    } else if digits.starts_with('0') {
        indonesian(&digits)
    } else if digits.starts_with('8') && !digits.starts_with("855") && !digits.starts_with("856") {
        // An Indonesian mobile written without its trunk 0 (`812…`) is likelier here than a
        // number of a +8x country written without its +. Cambodia (855) and Laos (856), where
        // survivors come from, are the exception: a bare `855…` valid in Cambodia is read as
        // Cambodian even though `0855…` is also an Indonesian mobile prefix.
        indonesian(&digits).or_else(|| international(&digits))
    } else {
        international(&digits).or_else(|| indonesian(&digits))
    };
    found.ok_or(PhoneError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ok(s: &str) -> String {
        normalize(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn indonesian_mobiles() {
        for s in [
            "0812-3456-7890",
            "0812 3456 7890",
            "0812.3456.7890",
            "+62 812 3456 7890",
            "+62 (0)812 3456 7890",
            "+62-812-3456-7890",
            "6281234567890",
            "62 812 3456 7890",
            "006281234567890",
            "81234567890",
            "0812-3456-7890 (WA)",
            "WA: 0812 3456 7890",
            "HP 081234567890",
            "hp. 0812-3456-7890",
            "Telp/WA: +62 812 3456 7890",
        ] {
            assert_eq!(ok(s), "+6281234567890", "{s}");
        }
        assert_eq!(ok("0857 1234 567"), "+628571234567");
        assert_eq!(ok("0896-1234-5678"), "+6289612345678");
    }

    #[test]
    fn indonesian_landline() {
        assert_eq!(ok("(021) 5551234"), "+62215551234");
        assert_eq!(ok("022-7654321"), "+62227654321");
    }

    #[test]
    fn cambodian_numbers() {
        assert_eq!(ok("+855 12 345 678"), "+85512345678");
        assert_eq!(ok("+855 96 123 4567"), "+855961234567");
        assert_eq!(ok("855 96 123 4567"), "+855961234567");
        assert_eq!(ok("00855 12 345 678"), "+85512345678");
        assert_eq!(ok("855-12-345-678 (WA)"), "+85512345678");
        // Laos.
        assert_eq!(ok("856 20 5512 3456"), "+8562055123456");
        assert_eq!(ok("+856 20 5512 3456"), "+8562055123456");
        // An Indosat number without its trunk 0 that is not valid in Cambodia stays Indonesian.
        assert_eq!(ok("855 5123 4567"), "+6285551234567");
    }

    #[test]
    fn national_numbers_default_to_indonesia() {
        // A Cambodian number written nationally is not silently made Cambodian.
        let r = normalize("012 345 678");
        assert!(r.as_deref().map_or(true, |p| p.starts_with("+62")), "{r:?}");
    }

    #[test]
    fn other_neighbours() {
        assert_eq!(ok("+66 81 234 5678"), "+66812345678");
        assert_eq!(ok("+63 917 123 4567"), "+639171234567");
        assert_eq!(ok("+60 12-345 6789"), "+60123456789");
    }

    #[test]
    fn garbage_is_invalid() {
        for s in [
            "",
            "   ",
            "WA",
            "(WA)",
            "hello",
            "12",
            "0000000000",
            "+",
            "++6281234567890",
            "0812-3456-7890 call after 5",
            "+62 812 3456 7890 ext 12",
            "+62 1",
            "08123",
            "0812345678901234567890",
            "+999 123 456 789",
            "０８１２３４５６７８９０",
            "62 812 ☎ 3456 7890",
            "0812#3456#7890",
        ] {
            assert_eq!(normalize(s), Err(PhoneError::Invalid), "{s}");
        }
        assert_eq!(PhoneError::Invalid.code(), "phone_invalid");
    }

    #[test]
    fn output_is_stable() {
        for s in ["0812-3456-7890", "+855 96 123 4567", "(021) 5551234"] {
            let e = ok(s);
            assert_eq!(ok(&e), e);
        }
    }

    proptest! {
        #[test]
        fn normalize_never_panics(s in any::<String>()) {
            let _ = normalize(&s);
        }

        #[test]
        fn normalize_never_panics_on_number_like_input(
            s in "(\\+|00|0|WA: )?[0-9 ()./:-]{0,24}( \\(WA\\))?"
        ) {
            if let Ok(e) = normalize(&s) {
                prop_assert!(e.starts_with('+'));
                prop_assert!(e[1..].bytes().all(|b| b.is_ascii_digit()));
                prop_assert_eq!(normalize(&e), Ok(e.clone()));
            }
        }
    }
}
