//! Form fields with their messages, shared by the registration, edit and desk forms.
use maud::{html, Markup};
use pulang_app::domain::{FieldIssue, Validation};

use crate::i18n::{t, Lang};
use crate::ui::form::FormData;

/// A form's values (as sent, or from a record) and its validation messages.
#[derive(Default)]
pub struct FormView {
    pub values: Vec<(String, String)>,
    pub validation: Validation,
}

impl FormView {
    pub fn val(&self, k: &str) -> &str {
        self.values
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    pub fn has(&self, k: &str, v: &str) -> bool {
        self.values.iter().any(|(n, x)| n == k && x == v)
    }
}

/// The `age` field of a form: none when empty; anything but a whole number is an error on it.
pub fn age_of(f: &FormData) -> Result<Option<u16>, Validation> {
    match f.opt("age") {
        None => Ok(None),
        Some(a) => a.parse::<u16>().map(Some).map_err(|_| Validation {
            errors: vec![FieldIssue::new("age", "invalid_age")],
            warnings: vec![],
        }),
    }
}

pub fn issue_text(l: Lang, i: &FieldIssue) -> String {
    t(l, &format!("issue-{}", i.code.replace('_', "-")))
}

fn errors_of(l: Lang, v: &Validation, field: &str) -> Markup {
    html! {
        @for i in v.errors.iter().filter(|i| i.field == field) {
            p.field-error data-field=(field) role="alert" { (issue_text(l, i)) }
        }
    }
}

/// The errors and then the warnings about `field`.
pub fn issues(l: Lang, v: &Validation, field: &str) -> Markup {
    html! {
        (errors_of(l, v, field))
        @for i in v.warnings.iter().filter(|i| i.field == field) {
            p.field-warning data-field=(field) role="status" { (issue_text(l, i)) }
        }
    }
}

/// "Some fields need attention" above a form with errors.
pub fn has_errors(l: Lang, v: &Validation) -> Markup {
    html! {
        @if !v.errors.is_empty() { p.error role="alert" { (t(l, "form-has-errors")) } }
    }
}

/// A labelled input (or `textarea`), with its hint and messages.
pub fn field(l: Lang, f: &FormView, name: &str, kind: &str) -> Markup {
    let has_err = f.validation.errors.iter().any(|i| i.field == name);
    let hint_key = format!("hint-{name}");
    let hint = t(l, &hint_key);
    html! {
        div.field {
            label for=(name) { (t(l, &format!("field-{name}"))) }
            @if kind == "textarea" {
                textarea #(name) name=(name) rows="3" aria-invalid=[has_err.then_some("true")] aria-describedby={ (name) "-msg" } { (f.val(name)) }
            } @else {
                input #(name) name=(name) type=(kind) value=(f.val(name)) autofocus[name == "full_name"] aria-invalid=[has_err.then_some("true")] aria-describedby={ (name) "-msg" };
            }
            div id={ (name) "-msg" } {
                @if hint != hint_key { small.hint { (hint) } }
                (issues(l, &f.validation, name))
            }
        }
    }
}

/// A labelled choice among `(value, label)` options, with its errors.
pub fn select(l: Lang, f: &FormView, name: &str, options: &[(String, String)]) -> Markup {
    let cur = f.val(name);
    html! {
        div.field {
            label for=(name) { (t(l, &format!("field-{name}"))) }
            select #(name) name=(name) {
                @for (v, label) in options { option value=(v) selected[cur == v] { (label) } }
            }
            (errors_of(l, &f.validation, name))
        }
    }
}

/// The box to confirm the warnings, when there are any.
pub fn confirm_box(l: Lang, v: &Validation) -> Markup {
    html! {
        @if !v.warnings.is_empty() {
            div.confirm role="alert" {
                p { (t(l, "warnings-intro")) }
                label { input type="checkbox" name="confirm_warnings" value="yes"; " " (t(l, "warnings-confirm")) }
            }
        }
    }
}

/// The possible-match panel beside a registration form, filled by `desk.js` while typing.
pub fn matches_aside(l: Lang) -> Markup {
    html! {
        aside #matches aria-live="polite" aria-label=(t(l, "matches-title")) {
            h2 { (t(l, "matches-title")) }
            div #matches-body { p.hint { (t(l, "matches-typing")) } }
        }
    }
}
