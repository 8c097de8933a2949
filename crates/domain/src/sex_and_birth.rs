//! How a person's sex and birth date are recorded: the two facts that identifiers (a NIK
//! encodes both) and matching are checked against. A leaf module.
use serde::{Deserialize, Serialize};
use time::Date;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    M,
    F,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::M => "M",
            Sex::F => "F",
        }
    }
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim() {
            "M" | "m" => Some(Sex::M),
            "F" | "f" => Some(Sex::F),
            _ => None,
        }
    }
}

/// A birth date as people know it: the full date, or only the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BirthDate {
    Full(Date),
    Year(i32),
}

impl BirthDate {
    /// Accepts `YYYY-MM-DD` or `YYYY`.
    pub fn parse(s: &str) -> Option<BirthDate> {
        let s = s.trim();
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            let y: i32 = s.parse().ok()?;
            return (1900..=2100).contains(&y).then_some(BirthDate::Year(y));
        }
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let d = Date::parse(s, &fmt).ok()?;
        (1900..=2100)
            .contains(&d.year())
            .then_some(BirthDate::Full(d))
    }
    pub fn year(&self) -> i32 {
        match self {
            BirthDate::Full(d) => d.year(),
            BirthDate::Year(y) => *y,
        }
    }
    pub fn full(&self) -> Option<Date> {
        match self {
            BirthDate::Full(d) => Some(*d),
            BirthDate::Year(_) => None,
        }
    }
}

impl std::fmt::Display for BirthDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BirthDate::Full(d) => write!(
                f,
                "{:04}-{:02}-{:02}",
                d.year(),
                u8::from(d.month()),
                d.day()
            ),
            BirthDate::Year(y) => write!(f, "{y:04}"),
        }
    }
}

impl Serialize for BirthDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for BirthDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        BirthDate::parse(&s).ok_or_else(|| serde::de::Error::custom("expected YYYY-MM-DD or YYYY"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dates go out as `YYYY-MM-DD` in JSON (the API's contract), never as time's compact form.
    #[test]
    fn dates_serialize_as_iso_days() {
        let d = time::macros::date!(2026 - 01 - 20);
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2026-01-20\"");
        assert_eq!(serde_json::from_str::<Date>("\"2026-01-20\"").unwrap(), d);
        let b = BirthDate::Full(d);
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"2026-01-20\"");
    }
}
