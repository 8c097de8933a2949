//! Indonesian and English texts (Fluent). Indonesian is the default; the language follows the
//! `pulang_lang` cookie set by the switcher, else the browser's Accept-Language.
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim() {
            "id" => Some(Lang::Id),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first of `id`/`en` in an Accept-Language header, by quality.
    pub fn from_accept_language(h: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in h.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("id") | Some("in") | Some("ms") => Lang::Id,
                Some("en") => Lang::En,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }
}

fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static ID: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    static EN: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    let (cell, src, tag) = match lang {
        Lang::Id => (
            &ID,
            include_str!("../locales/id/main.ftl"),
            unic_langid::langid!("id"),
        ),
        Lang::En => (
            &EN,
            include_str!("../locales/en/main.ftl"),
            unic_langid::langid!("en"),
        ),
    };
    cell.get_or_init(|| {
        let res =
            FluentResource::try_new(src.to_string()).expect("bundled .ftl files parse (tested)");
        let mut b = FluentBundle::new_concurrent(vec![tag]);
        b.set_use_isolating(false);
        b.add_resource(res)
            .expect("no duplicate message ids (tested)");
        b
    })
}

/// The text for `key`, or the key itself when missing (a test checks none is missing).
pub fn t(lang: Lang, key: &str) -> String {
    t_args(lang, key, None)
}

pub fn t_args(lang: Lang, key: &str, args: Option<&FluentArgs>) -> String {
    let b = bundle(lang);
    match b.get_message(key).and_then(|m| m.value()) {
        Some(p) => {
            let mut errs = vec![];
            b.format_pattern(p, args, &mut errs).into_owned()
        }
        None => key.to_string(),
    }
}

/// `key` with one argument.
pub fn t1(
    lang: Lang,
    key: &str,
    name: &'static str,
    value: impl Into<fluent_bundle::FluentValue<'static>>,
) -> String {
    let mut a = FluentArgs::new();
    a.set(name, value);
    t_args(lang, key, Some(&a))
}

/// Every message id in a bundle's source, for the completeness test.
pub fn message_ids(lang: Lang) -> Vec<String> {
    let src = match lang {
        Lang::Id => include_str!("../locales/id/main.ftl"),
        Lang::En => include_str!("../locales/en/main.ftl"),
    };
    src.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && l.contains(" ="))
        .map(|l| l.split(" =").next().unwrap_or("").trim().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_messages() {
        let mut id = message_ids(Lang::Id);
        let mut en = message_ids(Lang::En);
        id.sort();
        en.sort();
        assert_eq!(id, en);
        for k in &id {
            assert_ne!(t(Lang::Id, k), *k, "{k} missing a value");
        }
    }

    /// Every term the pages show has its words in both languages: adding a flag, milestone or
    /// route to `pulang_domain::vocab` fails here until its Fluent strings exist.
    #[test]
    fn every_shown_term_has_its_words() {
        use pulang_app::domain::{ArrivalRoute, Milestone, PersonFlag};
        let mut keys: Vec<String> = Vec::new();
        keys.extend(PersonFlag::ALL.iter().map(|f| format!("flag-{f}")));
        keys.extend(Milestone::ALL.iter().map(|m| format!("progress-{m}")));
        keys.extend(ArrivalRoute::ALL.iter().map(|r| format!("route-{r}")));
        keys.extend(
            ArrivalRoute::GROUP_KINDS
                .iter()
                .map(|k| format!("group-kind-{k}")),
        );
        keys.extend(
            pulang_app::auth::PASSWORD_ISSUES
                .iter()
                .map(|c| format!("issue-{}", c.replace('_', "-"))),
        );
        for lang in [Lang::Id, Lang::En] {
            let ids = message_ids(lang);
            for k in &keys {
                assert!(ids.contains(k), "{k} has no {} text", lang.code());
            }
        }
    }

    #[test]
    fn accept_language_picks_by_quality() {
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,id;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("fr, id-ID;q=0.5, en;q=0.3"),
            Some(Lang::Id)
        );
        assert_eq!(Lang::from_accept_language("fr"), None);
    }
}
