//! Text folding for case- and accent-insensitive search and matching.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds text for search: canonical decomposition (NFD), combining marks dropped, lowercased,
/// every character that is not a letter or digit turned into a space, runs of spaces collapsed
/// and the ends trimmed.
///
/// `"JOSÉ  d'Silva"` → `"jose d silva"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    if s.is_ascii() {
        // NFD is the identity on ASCII and no ASCII character is a combining mark.
        let mut pending_space = false;
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(b.to_ascii_lowercase() as char);
            } else {
                pending_space = true;
            }
        }
        return out;
    }
    let mut pending_space = false;
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        for l in c.to_lowercase() {
            if is_combining_mark(l) {
                continue;
            }
            if l.is_alphanumeric() {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(l);
            } else {
                pending_space = true;
            }
        }
    }
    out
}

/// A character with no width (zero-width spaces and joiners, direction marks, the word joiner
/// family, the byte-order mark, the soft hyphen): text made only of these shows as nothing.
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')
}

/// A value as it may go into a CSV or XLSX cell: one that a spreadsheet would read as a
/// formula (`=`, `+`, `-`, `@`, or a tab or carriage return first) is prefixed with `'`, so a
/// name typed as `=HYPERLINK(…)` stays text when the file is opened.
pub fn spreadsheet_safe(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

/// Masks an identifier for display: first four and last four characters kept.
pub fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return chars
            .iter()
            .enumerate()
            .map(|(i, c)| if i < 2 { *c } else { '•' })
            .collect();
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 4 || i >= chars.len() - 4 {
                *c
            } else {
                '•'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn spreadsheet_values_cannot_become_formulas() {
        use super::spreadsheet_safe as safe;
        for bad in ["=1+1", "+62812", "-2", "@SUM(A1)", "\t=x", "\r=x"] {
            assert!(safe(bad).starts_with('\''), "{bad:?}");
        }
        for ok in ["Siti", "", "0812", "a=b"] {
            assert_eq!(safe(ok), ok);
        }
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_case_accents_punctuation_and_spaces() {
        assert_eq!(fold("JOSÉ  d'Silva"), "jose d silva");
        assert_eq!(fold("  Siti   Nurhaliza  "), "siti nurhaliza");
        assert_eq!(fold("Moch. Ridwan"), "moch ridwan");
        assert_eq!(fold("Ni Luh Putu Ayu-Lestari"), "ni luh putu ayu lestari");
        assert_eq!(fold("Ñoño Ça Über"), "nono ca uber");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("\tA\nB\r\nC"), "a b c");
        assert_eq!(fold("...,;"), "");
        assert_eq!(fold(""), "");
        assert_eq!(fold("0812-3456"), "0812 3456");
    }

    #[test]
    fn keeps_other_scripts() {
        assert_eq!(fold("សុខ ដារ៉ា"), fold("សុខ  ដារ៉ា"));
        assert!(!fold("សុខ").is_empty());
        assert_eq!(fold("ΣΟΦΙΑ"), "σοφια");
    }

    proptest! {
        #[test]
        fn fold_never_panics_and_is_idempotent(s in any::<String>()) {
            let f = fold(&s);
            prop_assert!(!f.starts_with(' ') && !f.ends_with(' '));
            prop_assert!(!f.contains("  "));
            prop_assert_eq!(fold(&f), f.clone());
        }
    }
}
