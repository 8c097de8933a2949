//! Registering a person and editing a record: one set of fields, shown again with its messages
//! when something needs attention.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use pulang_app::domain::{mask, ArrivalRoute, PersonDetails, Validation};
use pulang_app::{AppError, KeepIdentifiers, Permission, PersonRecord, Submission};

use crate::extract::Web;
use crate::i18n::{t, t1, Lang};
use crate::ui::fields::{age_of, confirm_box, field, has_errors, matches_aside, select, FormView};
use crate::ui::layout::today;
use crate::ui::{html_response, page, Chrome, FormData, PageResult, Posted};
use crate::AppState;

fn from_record(r: &PersonRecord) -> FormView {
    let d: &PersonDetails = &r.details;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let values = [
        ("full_name", d.full_name.clone()),
        ("aliases", d.aliases.join(", ")),
        (
            "sex",
            d.sex.map(|s| s.as_str().to_string()).unwrap_or_default(),
        ),
        (
            "birth_date",
            d.birth_date.map(|b| b.to_string()).unwrap_or_default(),
        ),
        ("age", d.age.map(|a| a.to_string()).unwrap_or_default()),
        ("nationality", d.nationality.clone()),
        // Identifiers are shown masked, their inputs empty: left so, they are kept.
        ("nik", String::new()),
        (
            "nik_current",
            opt(&d.nik.as_ref().map(|n| mask(&n.to_string()))),
        ),
        ("passport_no", String::new()),
        (
            "passport_no_current",
            opt(&d.passport_no.as_deref().map(mask)),
        ),
        ("phones", d.phones.join(", ")),
        ("origin_province", opt(&d.origin_province)),
        ("origin_regency", opt(&d.origin_regency)),
        ("languages", d.languages.join(", ")),
        ("version", r.version.to_string()),
    ];
    FormView {
        values: values
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        validation: Validation::default(),
    }
}

/// The form as sent, with these messages (and the warnings to confirm again).
fn as_sent(f: &FormData, validation: Validation) -> FormView {
    FormView {
        values: f.without(&["confirm_warnings"]),
        validation,
    }
}

/// The identifiers an edit form masks.
const MASKED: [&str; 2] = ["nik", "passport_no"];

/// An identifier on the edit form: its input starts empty, which keeps the stored value (shown
/// masked); a new value replaces it; the box removes it.
fn kept_identifier(l: Lang, f: &FormView, name: &str) -> Markup {
    let current = f.val(&format!("{name}_current"));
    let clear = format!("{name}_clear");
    html! {
        (field(l, f, name, "text"))
        @if !current.is_empty() {
            input type="hidden" name={ (name) "_current" } value=(current);
            p.hint data-current=(name) { (t1(l, "edit-identifier-kept", "current", current.to_string())) }
            label.inline { input type="checkbox" name=(clear) value="yes" checked[f.has(&clear, "yes")]; " " (t(l, "edit-identifier-clear")) }
        }
    }
}

/// `editing`: the identifiers are masked ([`kept_identifier`]).
fn person_fields(l: Lang, f: &FormView, editing: bool) -> Markup {
    let sexes = vec![
        ("".into(), t(l, "sex-unknown")),
        ("F".into(), t(l, "sex-F")),
        ("M".into(), t(l, "sex-M")),
    ];
    html! {
        fieldset {
            legend { (t(l, "section-identity")) }
            (field(l, f, "full_name", "text"))
            (field(l, f, "aliases", "text"))
            (select(l, f, "sex", &sexes))
            (field(l, f, "birth_date", "text"))
            (field(l, f, "age", "number"))
            (field(l, f, "nationality", "text"))
        }
        fieldset {
            legend { (t(l, "section-documents")) }
            @for name in MASKED {
                @if editing { (kept_identifier(l, f, name)) } @else { (field(l, f, name, "text")) }
            }
            (field(l, f, "phones", "text"))
        }
        fieldset {
            legend { (t(l, "section-origin")) }
            (field(l, f, "origin_province", "text"))
            (field(l, f, "origin_regency", "text"))
            (field(l, f, "languages", "text"))
        }
    }
}

fn register_form(
    sites: &[(String, String)],
    web: &Web,
    f: &FormView,
    status: StatusCode,
) -> Response {
    let l = web.lang;
    let routes: Vec<(String, String)> = ArrivalRoute::ALL
        .iter()
        .map(|r| {
            (
                r.as_str().to_string(),
                t(l, &format!("route-{}", r.as_str())),
            )
        })
        .collect();
    html_response(
        status,
        page(
            &Chrome::of(web),
            &t(l, "register-title"),
            html! {
                h1 { (t(l, "register-title")) }
                (has_errors(l, &f.validation))
                div.desk {
                form #register method="post" action="/people" novalidate data-matches-url="/desk/matches" {
                    input type="hidden" name="csrf" value=(web.csrf);
                    (person_fields(l, f, false))
                    fieldset {
                        legend { (t(l, "section-arrival")) }
                        (select(l, f, "site", sites))
                        (field(l, f, "arrived_on", "date"))
                        (select(l, f, "arrival_route", &routes))
                        (field(l, f, "notes", "textarea"))
                    }
                    (confirm_box(l, &f.validation))
                    button type="submit" { (t(l, "register-submit")) }
                }
                (matches_aside(l))
                }
                script src="/static/desk.js" {}
            },
        ),
    )
}

async fn site_options(s: &AppState, web: &Web) -> Result<Vec<(String, String)>, AppError> {
    Ok(s.app
        .registration_sites(&web.scope)
        .await?
        .into_iter()
        .map(|x| (x.code.clone(), format!("{} — {}", x.code, x.name)))
        .collect())
}

pub async fn register_page(State(s): State<AppState>, web: Web) -> PageResult {
    if !web.scope.can(Permission::RegisterPerson) {
        return Err(AppError::Forbidden.into());
    }
    let sites = site_options(&s, &web).await?;
    let f = FormView {
        values: vec![
            ("arrived_on".into(), today()),
            ("nationality".into(), "ID".into()),
        ],
        ..Default::default()
    };
    Ok(register_form(&sites, &web, &f, StatusCode::OK))
}

fn submission(f: &FormData) -> Result<Submission, Validation> {
    let age = age_of(f)?;
    let list = |k: &str| f.get(k).map(|v| vec![v.to_string()]).unwrap_or_default();
    Ok(Submission {
        person: pulang_app::domain::PersonForm {
            full_name: f.get("full_name").unwrap_or("").to_string(),
            aliases: list("aliases"),
            sex: f.opt("sex"),
            birth_date: f.opt("birth_date"),
            age,
            nationality: f.opt("nationality"),
            nik: f.opt("nik"),
            passport_no: f.opt("passport_no"),
            phones: list("phones"),
            origin_province: f.opt("origin_province"),
            origin_regency: f.opt("origin_regency"),
            languages: list("languages"),
        },
        encounter: pulang_app::domain::EncounterForm {
            site: f.opt("site"),
            arrived_on: f.opt("arrived_on"),
            arrival_route: f.opt("arrival_route"),
            notes: f.opt("notes"),
        },
        confirm_warnings: f.get("confirm_warnings").is_some(),
    })
}

/// Saves a submission with `save`, or shows the form again (422) with what needs attention.
async fn save_or_redisplay<Fut>(
    f: &FormData,
    redisplay: impl Fn(FormView) -> Response,
    save: impl FnOnce(Submission) -> Fut,
) -> PageResult
where
    Fut: std::future::Future<Output = Result<PersonRecord, AppError>>,
{
    let sub = match submission(f) {
        Ok(s) => s,
        Err(v) => return Ok(redisplay(as_sent(f, v))),
    };
    match save(sub).await {
        Ok(rec) => Ok(Redirect::to(&format!("/people/{}", rec.id)).into_response()),
        Err(AppError::Invalid(v)) | Err(AppError::NeedsConfirmation(v)) => {
            Ok(redisplay(as_sent(f, v)))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn register_submit(State(s): State<AppState>, posted: Posted) -> PageResult {
    let (web, f) = (&posted.web, &posted.form);
    let sites = site_options(&s, web).await?;
    save_or_redisplay(
        f,
        |view| register_form(&sites, web, &view, StatusCode::UNPROCESSABLE_ENTITY),
        |sub| s.app.register_person(&web.scope, sub),
    )
    .await
}

fn edit_form(web: &Web, id: &str, f: &FormView, status: StatusCode) -> Response {
    let l = web.lang;
    html_response(
        status,
        page(
            &Chrome::of(web),
            &t(l, "edit-title"),
            html! {
                h1 { (t(l, "edit-title")) }
                (has_errors(l, &f.validation))
                form #edit method="post" action={ "/people/" (id) "/edit" } novalidate {
                    input type="hidden" name="csrf" value=(web.csrf);
                    input type="hidden" name="version" value=(f.val("version"));
                    (person_fields(l, f, true))
                    (confirm_box(l, &f.validation))
                    button type="submit" { (t(l, "edit-submit")) }
                    " " a href={ "/people/" (id) } { (t(l, "cancel")) }
                }
            },
        ),
    )
}

pub async fn edit_page(State(s): State<AppState>, web: Web, Path(id): Path<String>) -> PageResult {
    let r = s.app.person_for_edit(&web.scope, &id).await?;
    Ok(edit_form(&web, &id, &from_record(&r), StatusCode::OK))
}

pub async fn edit_submit(
    State(s): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> PageResult {
    let (web, f) = (&posted.web, &posted.form);
    let version = f.opt("version").and_then(|v| v.parse().ok());
    // An empty identifier is kept unless its box asks to remove it.
    let kept = |name: &str| f.get(&format!("{name}_clear")).is_none();
    let keep = KeepIdentifiers {
        nik: kept("nik"),
        passport_no: kept("passport_no"),
    };
    save_or_redisplay(
        f,
        |view| edit_form(web, &id, &view, StatusCode::UNPROCESSABLE_ENTITY),
        |sub| {
            s.app
                .update_person_keeping(&web.scope, &id, version, sub, keep)
        },
    )
    .await
}
