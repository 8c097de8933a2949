//! Passport and travel-document numbers.
//!
//! Indonesian ordinary passports look like `X1234567` (one or two letters, six or seven digits);
//! the letter series has changed over time and the pattern is **unverified** (`domain-data.md`
//! §4.2). SPLP emergency travel documents and foreign passports have other shapes, so a general
//! shape is accepted too, and the MRZ check digit is the stronger test where an MRZ is at hand.

use thiserror::Error;

/// Why a string is not a document number. [`PassportError::code`] is the stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PassportError {
    #[error("not the shape of a passport or travel-document number")]
    Shape,
}

impl PassportError {
    pub fn code(&self) -> &'static str {
        match self {
            PassportError::Shape => "passport_shape",
        }
    }
}

/// `^[A-Z]{1,2}[0-9]{6,7}$`: the loose shape of an Indonesian ordinary passport number.
/// Expects an already normalised string.
pub fn is_indonesian_shape(s: &str) -> bool {
    let b = s.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let digits = b.len() - letters;
    (1..=2).contains(&letters)
        && (6..=7).contains(&digits)
        && b[letters..].iter().all(u8::is_ascii_digit)
}

/// The general shape accepted for SPLPs and foreign passports: 6–9 ASCII letters or digits,
/// at least one of them a digit. Expects an already normalised (upper-case) string.
pub fn is_general_shape(s: &str) -> bool {
    let b = s.as_bytes();
    (6..=9).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && b.iter().any(u8::is_ascii_digit)
}

/// Normalises a document number as typed: upper case, spaces and dashes removed. Accepts the
/// Indonesian shape and the general shape; anything else is [`PassportError::Shape`].
pub fn normalize(s: &str) -> Result<String, PassportError> {
    let mut out = String::with_capacity(s.len().min(16));
    for c in s.chars() {
        match c {
            ' ' | '-' => {}
            c if c.is_ascii_alphanumeric() => {
                if out.len() >= 9 {
                    return Err(PassportError::Shape);
                }
                out.push(c.to_ascii_uppercase());
            }
            _ => return Err(PassportError::Shape),
        }
    }
    if is_indonesian_shape(&out) || is_general_shape(&out) {
        Ok(out)
    } else {
        Err(PassportError::Shape)
    }
}

/// The ICAO Doc 9303 check digit of an MRZ field: weights 7, 3, 1 repeated, `<` = 0, digits
/// their value, `A`–`Z` = 10–35, sum modulo 10. `None` if a character is not allowed in an
/// MRZ (lower-case letters included).
pub fn mrz_check_digit(field: &str) -> Option<u8> {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let mut sum: u32 = 0;
    for (i, c) in field.chars().enumerate() {
        let v = match c {
            '<' => 0,
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return None,
        };
        sum = (sum + v * WEIGHTS[i % 3]) % 10;
    }
    Some(sum as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn icao_specimen_check_digits() {
        // ICAO Doc 9303 Part 4 specimen (Anna Maria Eriksson, Utopia).
        assert_eq!(mrz_check_digit("L898902C3"), Some(6));
        assert_eq!(mrz_check_digit("740812"), Some(2));
        assert_eq!(mrz_check_digit("120415"), Some(9));
        assert_eq!(mrz_check_digit("ZE184226B<<<<<<"), Some(1));
        assert_eq!(mrz_check_digit(""), Some(0));
        assert_eq!(mrz_check_digit("<<<<<<<<<"), Some(0));
        assert_eq!(mrz_check_digit("l898902c3"), None);
        assert_eq!(mrz_check_digit("L898 902C3"), None);
    }

    #[test]
    fn normalizes_indonesian_numbers() {
        assert_eq!(normalize("X1234567").unwrap(), "X1234567");
        assert_eq!(normalize(" x 123-4567 ").unwrap(), "X1234567");
        assert_eq!(normalize("AB123456").unwrap(), "AB123456");
        assert_eq!(normalize("AB1234567").unwrap(), "AB1234567");
        assert!(is_indonesian_shape("X1234567"));
        assert!(is_indonesian_shape("AB123456"));
        assert!(!is_indonesian_shape("ABC12345"));
        assert!(!is_indonesian_shape("X12345"));
        assert!(!is_indonesian_shape("X12345678"));
        assert!(!is_indonesian_shape("1234567"));
        assert!(!is_indonesian_shape(""));
    }

    #[test]
    fn accepts_general_documents() {
        assert_eq!(normalize("L898902C3").unwrap(), "L898902C3");
        assert_eq!(normalize("123456789").unwrap(), "123456789");
        assert_eq!(normalize("spl 0012 34").unwrap(), "SPL001234");
    }

    #[test]
    fn rejects_bad_shapes() {
        for s in [
            "",
            "   ",
            "X123",
            "ABCDEFGH",
            "X1234567890",
            "X123/4567",
            "X1234567.",
            "X12345 67 8 9 0",
            "É1234567",
            "X１234567",
        ] {
            assert_eq!(normalize(s), Err(PassportError::Shape), "{s}");
        }
        assert_eq!(PassportError::Shape.code(), "passport_shape");
    }

    proptest! {
        #[test]
        fn normalize_never_panics(s in any::<String>()) {
            if let Ok(p) = normalize(&s) {
                prop_assert!(is_general_shape(&p));
                prop_assert_eq!(normalize(&p), Ok(p.clone()));
            }
            let _ = mrz_check_digit(&s);
        }

        #[test]
        fn check_digit_is_a_digit(s in "[A-Z0-9<]{0,40}") {
            prop_assert!(mrz_check_digit(&s).unwrap() < 10);
        }
    }
}
