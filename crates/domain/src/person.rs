//! A person as registered at arrival, the raw form a registrar submits, and its validation.
use serde::{Deserialize, Serialize};
use time::Date;

use crate::nik::{self, Nik};
use crate::{passport, phone, provinces, ArrivalRoute, BirthDate, Sex};

/// The personal details of a registered person: every field here except sex, nationality,
/// origin and languages is personal data and is stored encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PersonDetails {
    pub full_name: String,
    pub aliases: Vec<String>,
    pub sex: Option<Sex>,
    pub birth_date: Option<BirthDate>,
    pub age: Option<u8>,
    pub nationality: String,
    pub nik: Option<Nik>,
    pub passport_no: Option<String>,
    pub phones: Vec<String>,
    pub origin_province: Option<String>,
    pub origin_regency: Option<String>,
    pub languages: Vec<String>,
}

/// One arrival of a person at a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncounterDetails {
    pub site: String,
    pub arrived_on: Date,
    pub arrival_route: ArrivalRoute,
    pub notes: Option<String>,
}

/// What a registrar submits, as typed. Strings stay raw until [`PersonForm::validate`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonForm {
    pub full_name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub age: Option<u16>,
    #[serde(default)]
    pub nationality: Option<String>,
    #[serde(default)]
    pub nik: Option<String>,
    #[serde(default)]
    pub passport_no: Option<String>,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub origin_province: Option<String>,
    #[serde(default)]
    pub origin_regency: Option<String>,
    #[serde(default)]
    pub languages: Vec<String>,
}

/// The arrival part of a registration form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncounterForm {
    pub site: Option<String>,
    #[serde(default)]
    pub arrived_on: Option<String>,
    #[serde(default)]
    pub arrival_route: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A problem with one field. `code` is stable and translated by the UI (`field-<code>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldIssue {
    pub field: String,
    pub code: String,
}

impl FieldIssue {
    pub fn new(field: &str, code: &str) -> Self {
        FieldIssue {
            field: field.to_string(),
            code: code.to_string(),
        }
    }
}

/// Validation result: errors block saving; warnings block saving until confirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validation {
    pub errors: Vec<FieldIssue>,
    pub warnings: Vec<FieldIssue>,
}

fn clean(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|v| !v.is_empty())
}

fn clean_list(v: &[String]) -> Vec<String> {
    v.iter()
        .flat_map(|s| s.split([',', ';', '\n']))
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

/// Characters that make text look like something it is not: control characters (NUL …) and
/// the bidirectional overrides and isolates that reorder what is displayed. Never in a name.
pub fn deceptive(c: char) -> bool {
    (c.is_control() && !c.is_whitespace())
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks a name-like text: `Some(code)` when it holds a deceptive character.
fn name_issue(s: &str) -> Option<&'static str> {
    s.chars().any(deceptive).then_some("invalid_characters")
}

/// White space folded, and nothing left when only invisible characters were typed.
fn visible_words(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_whitespace() || crate::text::is_invisible(c))
    {
        return String::new();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most this many phone numbers per person.
pub const MAX_PHONES: usize = 10;

pub const MAX_TEXT: usize = 200;
pub const MAX_NOTES: usize = 10_000;

impl PersonForm {
    /// Checks every field and returns the cleaned details, or the issues found.
    /// `today` bounds birth dates and ages.
    pub fn validate(&self, today: Date) -> (Option<PersonDetails>, Validation) {
        let mut v = Validation::default();
        let full_name = visible_words(&self.full_name);
        if full_name.is_empty() {
            v.errors.push(FieldIssue::new("full_name", "required"));
        } else if full_name.chars().count() > MAX_TEXT {
            v.errors.push(FieldIssue::new("full_name", "too_long"));
        } else if let Some(code) = name_issue(&full_name) {
            v.errors.push(FieldIssue::new("full_name", code));
        }
        let aliases: Vec<String> = clean_list(&self.aliases)
            .iter()
            .map(|a| visible_words(a))
            .filter(|a| !a.is_empty())
            .collect();
        if aliases.len() > 20 || aliases.iter().any(|a| a.chars().count() > MAX_TEXT) {
            v.errors.push(FieldIssue::new("aliases", "too_long"));
        } else if let Some(code) = aliases.iter().find_map(|a| name_issue(a)) {
            v.errors.push(FieldIssue::new("aliases", code));
        }
        let sex = match clean(&self.sex) {
            None => None,
            Some(s) => match Sex::parse(&s) {
                Some(x) => Some(x),
                None => {
                    v.errors.push(FieldIssue::new("sex", "invalid_sex"));
                    None
                }
            },
        };
        let birth_date = match clean(&self.birth_date) {
            None => None,
            Some(s) => match BirthDate::parse(&s) {
                Some(b) if b.year() > today.year() || b.full().is_some_and(|d| d > today) => {
                    v.errors.push(FieldIssue::new("birth_date", "in_future"));
                    None
                }
                Some(b) => Some(b),
                None => {
                    v.errors.push(FieldIssue::new("birth_date", "invalid_date"));
                    None
                }
            },
        };
        let age = match self.age {
            None => None,
            Some(a) if a > 120 => {
                v.errors.push(FieldIssue::new("age", "invalid_age"));
                None
            }
            Some(a) => Some(a as u8),
        };
        if let (Some(a), Some(b)) = (age, birth_date) {
            let implied = today.year() - b.year();
            if (implied - a as i32).abs() > 1 {
                v.warnings
                    .push(FieldIssue::new("age", "age_disagrees_birth_date"));
            }
        }
        let nationality = match clean(&self.nationality) {
            None => "ID".to_string(),
            Some(n) => {
                let n = n.to_ascii_uppercase();
                if n.len() == 2 && n.bytes().all(|b| b.is_ascii_uppercase()) {
                    n
                } else {
                    v.errors
                        .push(FieldIssue::new("nationality", "invalid_country"));
                    "ID".to_string()
                }
            }
        };
        let origin_province = clean(&self.origin_province);
        let province_code = origin_province
            .as_deref()
            .and_then(provinces::lookup)
            .map(|p| p.code);
        let nik = match clean(&self.nik) {
            None => None,
            Some(s) => match nik::Nik::parse(&s) {
                Ok(n) => {
                    for m in n.cross_check(sex, birth_date.as_ref(), province_code) {
                        v.warnings.push(FieldIssue::new("nik", m.code()));
                    }
                    Some(n)
                }
                Err(e) => {
                    v.errors.push(FieldIssue::new("nik", e.code()));
                    None
                }
            },
        };
        let passport_no = match clean(&self.passport_no) {
            None => None,
            Some(s) => match passport::normalize(&s) {
                Ok(p) => Some(p),
                Err(e) => {
                    v.errors.push(FieldIssue::new("passport_no", e.code()));
                    None
                }
            },
        };
        let mut phones = Vec::new();
        let typed = clean_list(&self.phones);
        if typed.len() > MAX_PHONES {
            v.errors.push(FieldIssue::new("phones", "too_many"));
        }
        for raw in typed.into_iter().take(MAX_PHONES) {
            match phone::normalize(&raw) {
                Ok(p) => {
                    if !phones.contains(&p) {
                        phones.push(p)
                    }
                }
                Err(e) => v.errors.push(FieldIssue::new("phones", e.code())),
            }
        }
        let origin_regency = clean(&self.origin_regency);
        if let Some(code) = origin_regency.as_deref().and_then(name_issue) {
            v.errors.push(FieldIssue::new("origin_regency", code));
        }
        if origin_province
            .as_ref()
            .is_some_and(|p| p.chars().count() > MAX_TEXT)
            || origin_regency
                .as_ref()
                .is_some_and(|p| p.chars().count() > MAX_TEXT)
        {
            v.errors
                .push(FieldIssue::new("origin_province", "too_long"));
        }
        let languages = clean_list(&self.languages);
        if languages.len() > 20 || languages.iter().any(|l| l.chars().count() > MAX_TEXT) {
            v.errors.push(FieldIssue::new("languages", "too_long"));
        }
        if !v.errors.is_empty() {
            return (None, v);
        }
        let details = PersonDetails {
            full_name,
            aliases,
            sex,
            birth_date,
            age,
            nationality,
            nik,
            passport_no,
            phones,
            origin_province: origin_province.map(|p| {
                provinces::lookup(&p)
                    .map(|x| x.name.to_string())
                    .unwrap_or(p)
            }),
            origin_regency,
            languages,
        };
        (Some(details), v)
    }
}

impl EncounterForm {
    /// Validates the arrival. The site must be named unless `default_site` is given.
    pub fn validate(
        &self,
        today: Date,
        default_site: Option<&str>,
        v: &mut Validation,
    ) -> Option<EncounterDetails> {
        let site = clean(&self.site).or(default_site.map(str::to_string));
        if site.is_none() {
            v.errors.push(FieldIssue::new("site", "required"));
        }
        let arrived_on = match clean(&self.arrived_on) {
            None => Some(today),
            Some(s) => match BirthDate::parse(&s).and_then(|d| d.full()) {
                Some(d) if d > today + time::Duration::days(1) => {
                    v.errors.push(FieldIssue::new("arrived_on", "in_future"));
                    None
                }
                Some(d) => Some(d),
                None => {
                    v.errors.push(FieldIssue::new("arrived_on", "invalid_date"));
                    None
                }
            },
        };
        let arrival_route = match clean(&self.arrival_route) {
            None => Some(ArrivalRoute::WalkIn),
            Some(s) => match ArrivalRoute::parse(&s) {
                Some(r) => Some(r),
                None => {
                    v.errors
                        .push(FieldIssue::new("arrival_route", "invalid_route"));
                    None
                }
            },
        };
        let notes = self
            .notes
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        if notes.as_ref().is_some_and(|n| n.len() > MAX_NOTES) {
            v.errors.push(FieldIssue::new("notes", "too_long"));
        }
        Some(EncounterDetails {
            site: site?.to_ascii_uppercase(),
            arrived_on: arrived_on?,
            arrival_route: arrival_route?,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mask;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 25);

    #[test]
    fn birth_date_full_and_year() {
        assert_eq!(
            BirthDate::parse("1998-01-12"),
            Some(BirthDate::Full(date!(1998 - 01 - 12)))
        );
        assert_eq!(BirthDate::parse("1998"), Some(BirthDate::Year(1998)));
        assert_eq!(BirthDate::parse("98"), None);
        assert_eq!(BirthDate::parse("1998-02-30"), None);
        assert_eq!(
            BirthDate::Full(date!(1998 - 01 - 02)).to_string(),
            "1998-01-02"
        );
    }

    #[test]
    fn empty_name_is_an_error_on_the_field() {
        let (d, v) = PersonForm::default().validate(TODAY);
        assert!(d.is_none());
        assert_eq!(v.errors, vec![FieldIssue::new("full_name", "required")]);
    }

    #[test]
    fn names_cannot_hide_or_reorder_text_and_phones_are_bounded() {
        let check = |name: &str| {
            let f = PersonForm {
                full_name: name.into(),
                ..Default::default()
            };
            f.validate(TODAY).1.errors
        };
        assert_eq!(
            check("Siti\u{0}"),
            vec![FieldIssue::new("full_name", "invalid_characters")]
        );
        assert_eq!(
            check("Siti \u{202E}ayaR"),
            vec![FieldIssue::new("full_name", "invalid_characters")]
        );
        assert_eq!(
            check("\u{200B}\u{200B} \u{FEFF}"),
            vec![FieldIssue::new("full_name", "required")]
        );
        assert_eq!(
            check("          "),
            vec![FieldIssue::new("full_name", "required")]
        );
        assert!(check("Ni Luh Putu Ayu").is_empty());
        let f = PersonForm {
            full_name: "Siti".into(),
            phones: (0..11).map(|i| format!("08123456{i:04}")).collect(),
            ..Default::default()
        };
        assert!(f
            .validate(TODAY)
            .1
            .errors
            .contains(&FieldIssue::new("phones", "too_many")));
    }

    #[test]
    fn nik_disagreeing_with_sex_is_a_warning_not_an_error() {
        // Born 12 Jan 1998, female (day 12 + 40 = 52), West Java (32).
        let form = PersonForm {
            full_name: "Siti Rahayu".into(),
            sex: Some("M".into()),
            birth_date: Some("1998-01-12".into()),
            nik: Some("3204105201980001".into()),
            ..Default::default()
        };
        let (d, v) = form.validate(TODAY);
        assert!(d.is_some());
        assert!(v.errors.is_empty());
        assert_eq!(v.warnings, vec![FieldIssue::new("nik", "nik_sex_mismatch")]);
    }

    #[test]
    fn future_birth_date_rejected() {
        let form = PersonForm {
            full_name: "A".into(),
            birth_date: Some("2030".into()),
            ..Default::default()
        };
        let (_, v) = form.validate(TODAY);
        assert_eq!(v.errors[0].code, "in_future");
    }

    #[test]
    fn masks_keep_ends() {
        assert_eq!(mask("3204105201980001"), "3204••••••••0001");
        assert_eq!(mask("X1234567"), "X1••••••");
    }
}
