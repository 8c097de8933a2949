//! Values as lists really write them: dates in many formats and two languages, sexes as
//! L/P, M/F or words, nationalities as names or codes.
use pulang_domain::Sex;

const MONTHS: &[(&str, u8)] = &[
    ("januari", 1),
    ("january", 1),
    ("jan", 1),
    ("februari", 2),
    ("february", 2),
    ("pebruari", 2),
    ("feb", 2),
    ("peb", 2),
    ("maret", 3),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("mei", 5),
    ("may", 5),
    ("juni", 6),
    ("june", 6),
    ("jun", 6),
    ("juli", 7),
    ("july", 7),
    ("jul", 7),
    ("agustus", 8),
    ("august", 8),
    ("agu", 8),
    ("agt", 8),
    ("ags", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("oktober", 10),
    ("october", 10),
    ("okt", 10),
    ("oct", 10),
    ("november", 11),
    ("nopember", 11),
    ("nov", 11),
    ("nop", 11),
    ("desember", 12),
    ("december", 12),
    ("des", 12),
    ("dec", 12),
];

fn ymd(y: i32, m: u8, d: u8) -> Option<String> {
    let month = time::Month::try_from(m).ok()?;
    let date = time::Date::from_calendar_date(y, month, d).ok()?;
    Some(format!("{:04}-{:02}-{:02}", date.year(), m, d))
}

/// Two-digit years: for birth dates, a year after this year's two digits is in the 1900s.
fn full_year(y: i32, today: time::Date, past: bool) -> i32 {
    if y >= 100 {
        return y;
    }
    let this = today.year() % 100;
    if past && y > this {
        1900 + y
    } else {
        2000 + y
    }
}

/// Parses a date into `YYYY-MM-DD` (or `YYYY` for a bare year): `DD/MM/YYYY`, `DD-MM-YY`,
/// `DD.MM.YYYY`, `YYYY-MM-DD`, an Excel serial number, `12 Januari 1998`, `12 Jan 1998`,
/// `Januari 12, 1998`. Day-first throughout, as in Indonesia and Cambodia. `past` says the date
/// cannot be in the future (birth dates), which decides two-digit centuries.
pub fn parse_date(s: &str, today: time::Date, past: bool) -> Option<String> {
    let s = s.trim().trim_end_matches('.');
    if s.is_empty() {
        return None;
    }
    // A bare year.
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        let y: i32 = s.parse().ok()?;
        return (1900..=today.year())
            .contains(&y)
            .then(|| format!("{y:04}"));
    }
    // An Excel serial number that reached us as text (e.g. "35807" or "35807.0").
    if let Ok(f) = s.parse::<f64>() {
        if (367.0..100_000.0).contains(&f) {
            return crate::read::excel_serial_date(f);
        }
        return None;
    }
    // ISO with a time part, e.g. "1998-01-12 00:00:00" or "1998-01-12T00:00".
    let s = s
        .split(['T', ' '])
        .next()
        .filter(|p| p.len() == 10 && p.as_bytes()[4] == b'-')
        .unwrap_or(s);
    let lower = s.to_lowercase();
    let parts: Vec<&str> = lower
        .split(['/', '-', '.', ' ', ','])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 {
        return None;
    }
    let month_word = |w: &str| MONTHS.iter().find(|(n, _)| *n == w).map(|(_, m)| *m);
    let num = |w: &str| w.parse::<i32>().ok();
    let (d, m, y) = if let (Some(y), true) = (num(parts[0]), parts[0].len() == 4) {
        // YYYY-MM-DD
        (num(parts[2])?, num(parts[1])? as u8, y)
    } else if let Some(m) = month_word(parts[1]) {
        (num(parts[0])?, m, num(parts[2])?)
    } else if let Some(m) = month_word(parts[0]) {
        (num(parts[1])?, m, num(parts[2])?)
    } else {
        (num(parts[0])?, num(parts[1])? as u8, num(parts[2])?)
    };
    let y = full_year(y, today, past);
    if !(1900..=2100).contains(&y) || !(1..=31).contains(&d) {
        return None;
    }
    ymd(y, m, d as u8)
}

/// `L`/`P` (laki-laki/perempuan), `M`/`F`, and the words in Indonesian and English.
pub fn parse_sex(s: &str) -> Option<Sex> {
    match pulang_domain::text::fold(s).as_str() {
        "l" | "lk" | "laki" | "laki laki" | "lelaki" | "pria" | "m" | "male" | "man" | "cowok" => {
            Some(Sex::M)
        }
        "p" | "pr" | "perempuan" | "wanita" | "f" | "female" | "woman" | "w" | "cewek" => {
            Some(Sex::F)
        }
        _ => None,
    }
}

/// A nationality as a two-letter code where it is recognisable; otherwise as written.
pub fn nationality(s: &str) -> String {
    match pulang_domain::text::fold(s).as_str() {
        "indonesia" | "indonesian" | "wni" | "idn" | "ri" => "ID".into(),
        "cambodia" | "cambodian" | "kamboja" | "khm" => "KH".into(),
        "myanmar" | "burma" | "mmr" => "MM".into(),
        "laos" | "lao" => "LA".into(),
        "thailand" | "thai" | "tha" => "TH".into(),
        "philippines" | "filipina" | "filipino" | "phl" => "PH".into(),
        "malaysia" | "mys" => "MY".into(),
        "vietnam" | "viet nam" | "vnm" => "VN".into(),
        _ => s.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const T: time::Date = date!(2026 - 01 - 20);

    #[test]
    fn dates_as_lists_write_them() {
        for (input, want) in [
            ("12/01/1998", "1998-01-12"),
            ("12-01-98", "1998-01-12"),
            ("12.01.1998", "1998-01-12"),
            ("1998-01-12", "1998-01-12"),
            ("1998-01-12 00:00:00", "1998-01-12"),
            ("35807", "1998-01-12"),
            ("12 Januari 1998", "1998-01-12"),
            ("12 Jan 1998", "1998-01-12"),
            ("12 JANUARY 1998", "1998-01-12"),
            ("January 12, 1998", "1998-01-12"),
            ("3 Mei 2005", "2005-05-03"),
            ("1/2/03", "2003-02-01"),
            ("1998", "1998"),
        ] {
            assert_eq!(parse_date(input, T, true).as_deref(), Some(want), "{input}");
        }
        for bad in [
            "31/02/1998",
            "12/13/1998",
            "yesterday",
            "",
            "12/01",
            "0",
            "3000",
        ] {
            assert_eq!(parse_date(bad, T, true), None, "{bad}");
        }
        // Arrival dates are not birth dates: "20-01-26" is this year.
        assert_eq!(
            parse_date("20-01-26", T, false).as_deref(),
            Some("2026-01-20")
        );
    }

    #[test]
    fn sexes() {
        for m in ["L", "l", "Laki-laki", "LAKI LAKI", "M", "Male", "Pria"] {
            assert_eq!(parse_sex(m), Some(Sex::M), "{m}");
        }
        for f in ["P", "Perempuan", "F", "female", "Wanita"] {
            assert_eq!(parse_sex(f), Some(Sex::F), "{f}");
        }
        assert_eq!(parse_sex("X"), None);
    }

    proptest::proptest! {
        #[test]
        fn date_parsing_never_panics(s in "\\PC{0,40}") {
            let _ = parse_date(&s, T, true);
            let _ = parse_sex(&s);
        }
    }
}
