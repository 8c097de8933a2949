//! Labels several pages show: sexes, scores, match reasons and screening outcomes.
use maud::{html, Markup};
use pulang_app::domain::Sex;
use pulang_app::identity::Reason;
use pulang_app::screening_engine::{self as engine, Text};

use crate::i18n::{t, Lang};

pub fn sex_label(l: Lang, s: Option<Sex>) -> String {
    s.map(|s| t(l, &format!("sex-{}", s.as_str())))
        .unwrap_or_else(|| t(l, "sex-unknown"))
}

/// A probability as a whole percentage.
pub fn percent(p: f64) -> String {
    format!("{:.0}%", (p * 100.0).clamp(0.0, 100.0))
}

/// Why two records may be the same person: each field's agreement, strongest first; with
/// `weights`, the evidence in bits.
pub fn reasons_list<'a>(
    l: Lang,
    reasons: impl IntoIterator<Item = &'a Reason>,
    weights: bool,
) -> Markup {
    html! {
        ul.reasons {
            @for r in reasons {
                li class=(if r.weight >= 0.0 { "agree" } else { "disagree" }) {
                    (t(l, &format!("match-field-{}", r.field))) ": " (t(l, &format!("match-level-{}", r.level.replace(['.', ' '], "_"))))
                    @if weights { " (" (format!("{:+.1}", r.weight)) ")" }
                }
            }
        }
    }
}

/// The screening engine's language for `l`.
pub fn engine_lang(l: Lang) -> engine::Lang {
    match l {
        Lang::Id => engine::Lang::Id,
        Lang::En => engine::Lang::En,
    }
}

/// A text of the screening catalogue in `l`.
pub fn tx(l: Lang, text: &Text) -> String {
    text.get(engine_lang(l)).to_string()
}

/// The outcome grade's label, e.g. "presumed victim — refer for protection".
pub fn outcome_label(l: Lang, outcome: &str) -> String {
    engine::Outcome::ALL
        .iter()
        .find(|o| o.as_str() == outcome)
        .map(|o| tx(l, &o.label()))
        .unwrap_or_else(|| outcome.to_string())
}
