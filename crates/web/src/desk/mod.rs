//! The arrival desk (surge mode): a minimal first record, keyboard only, with the possible-match
//! panel; the queue slip with its QR code; arrival groups and their progress; milestones and
//! triage flags. Works without JavaScript; `desk.js` only refreshes the panel while typing.
mod groups;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup, PreEscaped};
use pulang_app::desk::{DeskOutcome, DeskSubmission, GroupSummary};
use pulang_app::domain::{PersonFlag, PersonForm, Validation};
use pulang_app::idempotency::{IdempotencyKey, Replay};
use pulang_app::identity::PossibleMatch;
use pulang_app::{AppError, Permission};
use serde::Deserialize;

pub use groups::{flags_submit, group_create, group_page, groups_page, milestone_submit};

use crate::extract::Web;
use crate::i18n::{t, t1, Lang};
use crate::ui::fields::{age_of, confirm_box, has_errors, issues, matches_aside, FormView};
use crate::ui::form::Rejected;
use crate::ui::labels::{percent, reasons_list, sex_label};
use crate::ui::layout::{is_local_path, urlencode};
use crate::ui::{html_response, if_permitted, ok_page, page, Chrome, FormData, PageResult, Posted};
use crate::AppState;

/// The possible-match panel. With `choose`, each candidate gets a button that records the new
/// arrival under that person (inside the desk form).
fn matches_panel(l: Lang, items: &[PossibleMatch], choose: bool) -> Markup {
    html! {
        @if items.is_empty() {
            p.empty data-matches="0" { (t(l, "matches-none")) }
        } @else {
            p data-matches=(items.len()) { (t(l, "matches-intro")) }
            ol.matches {
                @for m in items {
                    li.match data-person=(m.person.id) {
                        div.match-head {
                            strong { (m.person.full_name) }
                            " · " span.case { (m.person.case_number) } " · " (m.person.site)
                            " · " span.score title=(t(l, "matches-score-help")) { (percent(m.probability)) }
                        }
                        div.match-facts {
                            (sex_label(l, m.person.sex))
                            @if let Some(b) = &m.person.birth { " · " (t(l, "field-birth_date")) " " (b) }
                            @if let Some(a) = m.person.age { " · " (t(l, "field-age")) " " (a) }
                            @if let Some(p) = &m.person.origin_province { " · " (p) }
                        }
                        (reasons_list(l, m.reasons.iter().take(6), false))
                        @if choose {
                            button type="submit" name="same_as" value=(m.person.id) { (t(l, "desk-same-person")) }
                        } @else {
                            a href={ "/people/" (m.person.id) } { (t(l, "matches-open")) }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct DeskQuery {
    group: Option<String>,
    site: Option<String>,
}

struct DeskView {
    form: FormView,
    candidates: Option<Vec<PossibleMatch>>,
}

fn text_field(l: Lang, v: &FormView, name: &str, kind: &str) -> Markup {
    html! {
        div.field {
            label for=(name) { (t(l, &format!("field-{name}"))) }
            input #(name) name=(name) type=(kind) value=(v.val(name)) autofocus[name == "full_name"] autocomplete="off";
            (issues(l, &v.validation, name))
        }
    }
}

async fn desk_html(s: &AppState, web: &Web, dv: DeskView, status: StatusCode) -> PageResult {
    let l = web.lang;
    let v = &dv.form;
    let sites = s.app.registration_sites(&web.scope).await?;
    let groups: Vec<GroupSummary> = if_permitted(s.app.groups(&web.scope).await)?;
    let today_date = time::OffsetDateTime::now_utc().date();
    let site_now = v.val("site");
    let body = html! {
        h1 { (t(l, "desk-title")) }
        p.hint { (t(l, "desk-intro")) }
        (has_errors(l, &v.validation))
        div.desk {
            form #desk method="post" action="/desk" novalidate data-matches-url="/desk/matches" {
                input type="hidden" name="csrf" value=(web.csrf);
                // One per form shown: a double click or a resend after a lost answer registers once.
                input type="hidden" name="idempotency_key" value=(pulang_app::auth::random_token());
                div.row {
                    @if sites.len() > 1 {
                        div.field {
                            label for="site" { (t(l, "field-site")) }
                            select #site name="site" {
                                @for x in &sites { option value=(x.code) selected[site_now == x.code] { (x.code) " — " (x.name) } }
                            }
                        }
                    } @else if let Some(x) = sites.first() {
                        input type="hidden" name="site" value=(x.code);
                    }
                    div.field {
                        label for="group" { (t(l, "field-group")) }
                        select #group name="group" {
                            option value="" { (t(l, "group-none")) }
                            @for g in groups.iter().filter(|g| g.group.arrived_on >= today_date || v.has("group", &g.group.id)) {
                                option value=(g.group.id) selected[v.has("group", &g.group.id)] { (g.group.name) " (" (g.site) ", " (g.progress.registered) ")" }
                            }
                        }
                        small.hint { a href="/groups" { (t(l, "group-manage")) } }
                    }
                }
                (text_field(l, v, "full_name", "text"))
                div.row {
                    div.field {
                        label for="sex" { (t(l, "field-sex")) }
                        select #sex name="sex" {
                            option value="" { (t(l, "sex-unknown")) }
                            option value="F" selected[v.val("sex") == "F"] { (t(l, "sex-F")) }
                            option value="M" selected[v.val("sex") == "M"] { (t(l, "sex-M")) }
                        }
                    }
                    (text_field(l, v, "age", "number"))
                    (text_field(l, v, "birth_date", "text"))
                }
                div.row {
                    (text_field(l, v, "phones", "tel"))
                    (text_field(l, v, "passport_no", "text"))
                }
                fieldset.triage {
                    legend { (t(l, "desk-triage")) }
                    @for f in PersonFlag::triage() {
                        label.check { input type="checkbox" name="flags" value=(f) checked[v.has("flags", f.as_str())]; " " (t(l, &format!("flag-{f}"))) }
                    }
                    (issues(l, &v.validation, "flags"))
                }
                (issues(l, &v.validation, "site"))
                (issues(l, &v.validation, "group"))
                (confirm_box(l, &v.validation))
                @if let Some(c) = &dv.candidates {
                    section.candidates aria-labelledby="cand-h" {
                        h2 #cand-h { (t(l, "desk-candidates")) }
                        (matches_panel(l, c, true))
                        button type="submit" name="confirmed_new" value="yes" { (t(l, "desk-new-person")) }
                    }
                } @else {
                    button type="submit" { (t(l, "desk-submit")) }
                }
            }
            (matches_aside(l))
        }
        script src="/static/desk.js" {}
    };
    Ok(html_response(
        status,
        page(&Chrome::of(web), &t(l, "desk-title"), body),
    ))
}

pub async fn desk_page(
    State(s): State<AppState>,
    web: Web,
    Query(q): Query<DeskQuery>,
) -> PageResult {
    if !web.scope.can(Permission::RegisterPerson) {
        return Err(AppError::Forbidden.into());
    }
    let mut values = Vec::new();
    if let Some(g) = q.group {
        values.push(("group".to_string(), g));
    }
    if let Some(x) = q.site {
        values.push(("site".to_string(), x));
    }
    let v = DeskView {
        form: FormView {
            values,
            validation: Validation::default(),
        },
        candidates: None,
    };
    desk_html(&s, &web, v, StatusCode::OK).await
}

fn person_form(f: &FormData) -> Result<PersonForm, Validation> {
    let age = age_of(f)?;
    Ok(PersonForm {
        full_name: f.get("full_name").unwrap_or("").trim().to_string(),
        sex: f.opt("sex"),
        birth_date: f.opt("birth_date"),
        age,
        nationality: Some("ID".into()),
        nik: f.opt("nik"),
        passport_no: f.opt("passport_no"),
        phones: f.opt("phones").into_iter().collect(),
        origin_province: f.opt("origin_province"),
        ..Default::default()
    })
}

pub async fn desk_submit(State(s): State<AppState>, posted: Posted) -> PageResult {
    let (web, f) = (&posted.web, &posted.form);
    let redisplay = |validation: Validation, candidates: Option<Vec<PossibleMatch>>| {
        let status = if candidates.is_some() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let form = FormView {
            values: f.without(&["confirm_warnings", "same_as", "confirmed_new", "csrf"]),
            validation,
        };
        desk_html(&s, web, DeskView { form, candidates }, status)
    };
    let person = match person_form(f) {
        Ok(p) => p,
        Err(v) => return redisplay(v, None).await,
    };
    let sub = DeskSubmission {
        person,
        site: f.opt("site"),
        group_id: f.opt("group"),
        flags: f.all("flags"),
        arrived_on: f.opt("arrived_on"),
        arrival_route: None,
        same_as: f.opt("same_as"),
        confirmed_new: f.get("confirmed_new").is_some(),
        confirm_warnings: f.get("confirm_warnings").is_some(),
    };
    let group = sub.group_id.clone();
    let fingerprint = serde_json::to_vec(&f.without(&["csrf"])).unwrap_or_default();
    let mut key = f
        .get("idempotency_key")
        .and_then(|k| IdempotencyKey::parse(k).ok());
    if let Some(k) = &key {
        match s.app.idempotent_replay(&web.scope, k, &fingerprint).await? {
            Replay::Fresh => {}
            Replay::Answer(next) => {
                let next = String::from_utf8_lossy(&next).into_owned();
                if is_local_path(&next) {
                    return Ok(Redirect::to(&next).into_response());
                }
            }
            Replay::Unanswered => {
                return Err(AppError::Conflict(
                    "this arrival was registered already; find the person under People".into(),
                )
                .into())
            }
            // The form was changed after it was sent (the back button): a new request.
            Replay::Mismatch => key = None,
        }
    }
    let outcome = match &key {
        Some(k) => {
            s.app
                .claiming(
                    &web.scope,
                    k,
                    &fingerprint,
                    s.app.desk_register(&web.scope, sub),
                )
                .await
        }
        None => s.app.desk_register(&web.scope, sub).await,
    };
    match outcome {
        Ok(DeskOutcome::PossibleMatches { candidates }) => {
            redisplay(Validation::default(), Some(candidates)).await
        }
        Ok(DeskOutcome::Registered { person_id, .. })
        | Ok(DeskOutcome::Arrived { person_id, .. }) => {
            let next = match group {
                Some(g) => format!("/desk/slip/{person_id}?group={}", urlencode(&g)),
                None => format!("/desk/slip/{person_id}"),
            };
            if let Some(k) = &key {
                if let Err(e) = s
                    .app
                    .keep_idempotent_answer(&web.scope, k, next.as_bytes())
                    .await
                {
                    tracing::warn!(error = %e, "could not keep the desk's answer for a resend");
                }
            }
            Ok(Redirect::to(&next).into_response())
        }
        Err(AppError::Invalid(v)) | Err(AppError::NeedsConfirmation(v)) => redisplay(v, None).await,
        Err(e) => Err(e.into()),
    }
}

/// The panel as an HTML fragment, for `desk.js` while the registrar types. A fragment, not a
/// page: errors are bare statuses.
pub async fn matches_fragment(
    State(s): State<AppState>,
    posted: Result<Posted, Rejected>,
) -> Response {
    let (web, f) = match posted {
        Ok(p) => (p.web, p.form),
        Err(Rejected::Csrf(lang)) => {
            return (StatusCode::FORBIDDEN, t(lang, "error-csrf")).into_response()
        }
        Err(r) => return r.into_response(),
    };
    let typing = || {
        html_response(
            StatusCode::OK,
            html! { p.hint { (t(web.lang, "matches-typing")) } },
        )
    };
    let Ok(form) = person_form(&f) else {
        return typing();
    };
    // One word of a name alone (a "Siti", a "Muhammad") is shared by too many people to say
    // anything: wait for more.
    let words = form
        .full_name
        .split_whitespace()
        .filter(|w| w.chars().count() >= 2)
        .count();
    let more = form.age.is_some() || form.birth_date.is_some() || form.sex.is_some();
    if (words < 2 && !(words == 1 && more))
        && form.phones.is_empty()
        && form.passport_no.is_none()
        && form.nik.is_none()
    {
        return typing();
    }
    match s.app.possible_matches(&web.scope, &form, 5).await {
        Ok(items) => html_response(StatusCode::OK, matches_panel(web.lang, &items, false)),
        Err(AppError::Forbidden) => StatusCode::FORBIDDEN.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[derive(Deserialize, Default)]
pub struct SlipQuery {
    group: Option<String>,
}

/// The QR code of a URL as inline SVG.
fn qr_svg(data: &str) -> Markup {
    match qrcode::QrCode::new(data.as_bytes()) {
        Ok(code) => PreEscaped(
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(160, 160)
                .quiet_zone(true)
                .build(),
        ),
        Err(_) => html! {},
    }
}

pub async fn slip_page(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<SlipQuery>,
) -> PageResult {
    let l = web.lang;
    let slip = s.app.slip(&web.scope, &id).await?;
    // The configured base, never the request's Host header (a forged Host would send the
    // phone that scans the slip elsewhere).
    let url = s
        .cfg
        .link_base
        .as_ref()
        .map(|base| format!("{base}/people/{}", slip.person_id));
    let next = match &q.group {
        Some(g) => format!("/desk?group={}", urlencode(g)),
        None => "/desk".to_string(),
    };
    let body = html! {
        div.slip data-ticket=[slip.ticket] {
            p.slip-site { (slip.site_name) " (" (slip.site) ") · " (slip.day) }
            p.slip-ticket {
                span { (t(l, "slip-number")) }
                strong { @if let Some(n) = slip.ticket { (n) } @else { "—" } }
            }
            p.slip-name { (slip.full_name) }
            p.slip-case { (t(l, "field-case_number")) ": " strong data-case-number { (slip.case_number) } }
            @if !slip.flags.is_empty() {
                p.slip-flags { @for f in &slip.flags { span.flag { (t(l, &format!("flag-{f}"))) } " " } }
            }
            @if let Some(url) = &url {
                div.qr aria-label=(t(l, "slip-qr")) { (qr_svg(url)) }
                p.hint { (t(l, "slip-qr")) }
            }
        }
        div.actions.no-print {
            a.button #next-arrival href=(next) autofocus { (t(l, "desk-next")) }
            " "
            button type="button" #print-slip { (t(l, "slip-print")) }
            " "
            a href={ "/people/" (slip.person_id) } { (t(l, "matches-open")) }
        }
        script src="/static/desk.js" {}
    };
    Ok(ok_page(
        &web,
        &t1(l, "slip-title", "number", slip.ticket.unwrap_or(0)),
        body,
    ))
}
