//! The arrival desk (surge mode): a minimal first record, keyboard only, with the possible-match
//! panel; the queue slip with its QR code; arrival groups and their progress; milestones and
//! triage flags. Works without JavaScript; `desk.js` only refreshes the panel while typing.
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup, PreEscaped};
use pulang_app::desk::{DeskOutcome, DeskSubmission, GroupSummary};
use pulang_app::domain::{ArrivalRoute, Milestone, PersonFlag};
use pulang_app::domain::{PersonForm, Validation};
use pulang_app::identity::PossibleMatch;
use pulang_app::{AppError, Permission};
use serde::Deserialize;

use crate::extract::Web;
use crate::i18n::{t, t1, Lang};
use crate::pages::{error_page, html_response, page, Chrome, FormData, Posted};
use crate::AppState;

fn sex_label(l: Lang, s: Option<pulang_app::domain::Sex>) -> String {
    s.map(|s| t(l, &format!("sex-{}", s.as_str())))
        .unwrap_or_else(|| t(l, "sex-unknown"))
}

fn percent(p: f64) -> String {
    format!("{:.0}%", (p * 100.0).clamp(0.0, 100.0))
}

/// The possible-match panel. With `choose`, each candidate gets a button that records the new
/// arrival under that person (inside the desk form).
pub(crate) fn matches_panel(l: Lang, items: &[PossibleMatch], choose: bool) -> Markup {
    html! {
        @if items.is_empty() {
            p.empty data-matches="0" { (t(l, "matches-none")) }
        } @else {
            p data-matches=(items.len()) { (t(l, "matches-intro")) }
            ol.matches {
                @for m in items {
                    li.match data-person=(m.id) {
                        div.match-head {
                            strong { (m.full_name) }
                            " · " span.case { (m.case_number) } " · " (m.site)
                            " · " span.score title=(t(l, "matches-score-help")) { (percent(m.probability)) }
                        }
                        div.match-facts {
                            (sex_label(l, m.sex))
                            @if let Some(b) = &m.birth { " · " (t(l, "field-birth_date")) " " (b) }
                            @if let Some(a) = m.age { " · " (t(l, "field-age")) " " (a) }
                            @if let Some(p) = &m.origin_province { " · " (p) }
                        }
                        ul.reasons {
                            @for r in m.reasons.iter().take(6) {
                                li class=(if r.weight >= 0.0 { "agree" } else { "disagree" }) {
                                    (t(l, &format!("match-field-{}", r.field))) ": " (t(l, &format!("match-level-{}", r.level.replace(['.', ' '], "_"))))
                                }
                            }
                        }
                        @if choose {
                            button type="submit" name="same_as" value=(m.id) { (t(l, "desk-same-person")) }
                        } @else {
                            a href={ "/people/" (m.id) } { (t(l, "matches-open")) }
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
    values: Vec<(String, String)>,
    validation: Validation,
    candidates: Option<Vec<PossibleMatch>>,
    done: Option<String>,
}

impl DeskView {
    fn val(&self, k: &str) -> &str {
        self.values
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    fn has(&self, k: &str, v: &str) -> bool {
        self.values.iter().any(|(n, x)| n == k && x == v)
    }
}

fn issue_list(l: Lang, v: &Validation, field: &str) -> Markup {
    html! {
        @for i in v.errors.iter().filter(|i| i.field == field) {
            p.field-error data-field=(field) role="alert" { (t(l, &format!("issue-{}", i.code.replace('_', "-")))) }
        }
        @for i in v.warnings.iter().filter(|i| i.field == field) {
            p.field-warning data-field=(field) role="status" { (t(l, &format!("issue-{}", i.code.replace('_', "-")))) }
        }
    }
}

fn text_field(l: Lang, v: &DeskView, name: &str, kind: &str) -> Markup {
    html! {
        div.field {
            label for=(name) { (t(l, &format!("field-{name}"))) }
            input #(name) name=(name) type=(kind) value=(v.val(name)) autofocus[name == "full_name"] autocomplete="off";
            (issue_list(l, &v.validation, name))
        }
    }
}

async fn desk_html(
    s: &AppState,
    web: &Web,
    c: &Chrome<'_>,
    v: &DeskView,
    status: StatusCode,
) -> Response {
    let l = web.lang;
    let sites = match s.app.registration_sites(&web.scope).await {
        Ok(x) => x,
        Err(e) => return error_page(c, e),
    };
    let groups: Vec<GroupSummary> = s.app.groups(&web.scope).await.unwrap_or_default();
    let today_date = time::OffsetDateTime::now_utc().date();
    let site_now = v.val("site");
    let body = html! {
        h1 { (t(l, "desk-title")) }
        p.hint { (t(l, "desk-intro")) }
        @if let Some(d) = &v.done { div.notice role="status" { (PreEscaped(d)) } }
        @if !v.validation.errors.is_empty() { p.error role="alert" { (t(l, "form-has-errors")) } }
        div.desk {
            form #desk method="post" action="/desk" novalidate data-matches-url="/desk/matches" {
                input type="hidden" name="csrf" value=(web.csrf);
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
                    (issue_list(l, &v.validation, "flags"))
                }
                (issue_list(l, &v.validation, "site"))
                (issue_list(l, &v.validation, "group"))
                @if !v.validation.warnings.is_empty() {
                    div.confirm role="alert" {
                        p { (t(l, "warnings-intro")) }
                        label { input type="checkbox" name="confirm_warnings" value="yes"; " " (t(l, "warnings-confirm")) }
                    }
                }
                @if let Some(c) = &v.candidates {
                    section.candidates aria-labelledby="cand-h" {
                        h2 #cand-h { (t(l, "desk-candidates")) }
                        (matches_panel(l, c, true))
                        button type="submit" name="confirmed_new" value="yes" { (t(l, "desk-new-person")) }
                    }
                } @else {
                    button type="submit" { (t(l, "desk-submit")) }
                }
            }
            aside #matches aria-live="polite" aria-label=(t(l, "matches-title")) {
                h2 { (t(l, "matches-title")) }
                div #matches-body { p.hint { (t(l, "matches-typing")) } }
            }
        }
        script src="/static/desk.js" {}
    };
    html_response(status, page(c, &t(l, "desk-title"), body))
}

pub async fn desk_page(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Query(q): Query<DeskQuery>,
) -> Response {
    let c = Chrome::of(&web, &uri);
    if !web.scope.can(Permission::RegisterPerson) {
        return error_page(&c, AppError::Forbidden);
    }
    let mut values = Vec::new();
    if let Some(g) = q.group {
        values.push(("group".to_string(), g));
    }
    if let Some(x) = q.site {
        values.push(("site".to_string(), x));
    }
    let v = DeskView {
        values,
        validation: Validation::default(),
        candidates: None,
        done: None,
    };
    desk_html(&s, &web, &c, &v, StatusCode::OK).await
}

fn person_form(f: &FormData) -> Result<PersonForm, Validation> {
    let age = match f.opt("age") {
        None => None,
        Some(a) => match a.parse::<u16>() {
            Ok(n) => Some(n),
            Err(_) => {
                return Err(Validation {
                    errors: vec![pulang_app::domain::FieldIssue::new("age", "invalid_age")],
                    warnings: vec![],
                })
            }
        },
    };
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

pub async fn desk_submit(State(s): State<AppState>, posted: Posted) -> Response {
    let c = posted.chrome();
    let (web, f) = (&posted.web, &posted.form);
    let keep: Vec<(String, String)> =
        f.0.iter()
            .filter(|(k, _)| {
                !["confirm_warnings", "same_as", "confirmed_new", "csrf"].contains(&k.as_str())
            })
            .cloned()
            .collect();
    let redisplay = |validation: Validation, candidates: Option<Vec<PossibleMatch>>| DeskView {
        values: keep.clone(),
        validation,
        candidates,
        done: None,
    };
    let person = match person_form(f) {
        Ok(p) => p,
        Err(v) => {
            return desk_html(
                &s,
                web,
                &c,
                &redisplay(v, None),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let sub = DeskSubmission {
        person,
        site: f.opt("site"),
        group_id: f.opt("group"),
        flags: f
            .0
            .iter()
            .filter(|(k, _)| k == "flags")
            .map(|(_, v)| v.clone())
            .collect(),
        arrived_on: f.opt("arrived_on"),
        arrival_route: None,
        same_as: f.opt("same_as"),
        confirmed_new: f.get("confirmed_new").is_some(),
        confirm_warnings: f.get("confirm_warnings").is_some(),
    };
    let group = sub.group_id.clone();
    match s.app.desk_register(&web.scope, sub).await {
        Ok(DeskOutcome::PossibleMatches { candidates }) => {
            desk_html(
                &s,
                web,
                &c,
                &redisplay(Validation::default(), Some(candidates)),
                StatusCode::OK,
            )
            .await
        }
        Ok(DeskOutcome::Registered { person_id, .. })
        | Ok(DeskOutcome::Arrived { person_id, .. }) => {
            let next = match group {
                Some(g) => format!(
                    "/desk/slip/{person_id}?group={}",
                    crate::pages::urlencode(&g)
                ),
                None => format!("/desk/slip/{person_id}"),
            };
            Redirect::to(&next).into_response()
        }
        Err(AppError::Invalid(v)) | Err(AppError::NeedsConfirmation(v)) => {
            desk_html(
                &s,
                web,
                &c,
                &redisplay(v, None),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => error_page(&c, e),
    }
}

/// The panel as an HTML fragment, for `desk.js` while the registrar types.
pub async fn matches_fragment(
    State(s): State<AppState>,
    web: Web,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    let f = FormData(raw);
    if !f.csrf_ok(&web.csrf) {
        return (StatusCode::FORBIDDEN, t(web.lang, "error-csrf")).into_response();
    }
    let Ok(form) = person_form(&f) else {
        return html_response(
            StatusCode::OK,
            html! { p.hint { (t(web.lang, "matches-typing")) } },
        );
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
        return html_response(
            StatusCode::OK,
            html! { p.hint { (t(web.lang, "matches-typing")) } },
        );
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
    uri: Uri,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<SlipQuery>,
) -> Response {
    let c = Chrome::of(&web, &uri);
    let l = web.lang;
    let slip = match s.app.slip(&web.scope, &id).await {
        Ok(x) => x,
        Err(e) => return error_page(&c, e),
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if s.cfg.secure_cookies {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{host}/people/{}", slip.person_id);
    let next = match &q.group {
        Some(g) => format!("/desk?group={}", crate::pages::urlencode(g)),
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
            div.qr aria-label=(t(l, "slip-qr")) { (qr_svg(&url)) }
            p.hint { (t(l, "slip-qr")) }
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
    html_response(
        StatusCode::OK,
        page(
            &c,
            &t1(l, "slip-title", "number", slip.ticket.unwrap_or(0)),
            body,
        ),
    )
}

fn progress_bar(l: Lang, label: &str, n: i64, of: i64) -> Markup {
    let pct = if of > 0 { n * 100 / of } else { 0 };
    html! {
        div.progress data-step=(label) {
            span.progress-label { (t(l, &format!("progress-{label}"))) }
            meter min="0" max=(of.max(1)) value=(n) { (n) "/" (of) }
            span.progress-count { (n) " / " (of) " (" (pct) "%)" }
        }
    }
}

fn progress_html(l: Lang, g: &GroupSummary) -> Markup {
    let p = &g.progress;
    html! {
        div.group-progress {
            (progress_bar(l, "registered", p.registered, p.registered))
            (progress_bar(l, "screened", p.screened, p.registered))
            @for &ms in Milestone::ALL {
                (progress_bar(l, ms.as_str(), p.reached(ms), p.registered))
            }
            @if p.flagged > 0 { p.flagged data-count=(p.flagged) { (t1(l, "group-flagged", "count", p.flagged)) } }
        }
    }
}

pub async fn groups_page(State(s): State<AppState>, web: Web, uri: Uri) -> Response {
    let c = Chrome::of(&web, &uri);
    let l = web.lang;
    let groups = match s.app.groups(&web.scope).await {
        Ok(g) => g,
        Err(e) => return error_page(&c, e),
    };
    let sites = s
        .app
        .registration_sites(&web.scope)
        .await
        .unwrap_or_default();
    let today_date = time::OffsetDateTime::now_utc().date();
    let today = crate::api::date_string(today_date);
    let body = html! {
        h1 { (t(l, "groups-title")) }
        @if groups.is_empty() { p.empty { (t(l, "groups-none")) } }
        @for g in &groups {
            section.group {
                h2 { a href={ "/groups/" (g.group.id) } { (g.group.name) } }
                p.hint { (t(l, &format!("group-kind-{}", g.group.kind))) " · " (g.site) " · " (g.group.arrived_on) }
                (progress_html(l, g))
            }
        }
        @if web.scope.can(Permission::RegisterPerson) && !sites.is_empty() {
            h2 { (t(l, "group-new")) }
            form method="post" action="/groups" {
                input type="hidden" name="csrf" value=(web.csrf);
                div.field { label for="g-name" { (t(l, "group-name")) } input #g-name name="name" type="text" required; }
                div.field { label for="g-kind" { (t(l, "group-kind")) }
                    select #g-kind name="kind" { @for k in ArrivalRoute::GROUP_KINDS { option value=(k) { (t(l, &format!("group-kind-{k}"))) } } } }
                div.field { label for="g-date" { (t(l, "field-arrived_on")) } input #g-date name="arrived_on" type="date" value=(today); }
                @if sites.len() > 1 {
                    div.field { label for="g-site" { (t(l, "field-site")) }
                        select #g-site name="site" { @for x in &sites { option value=(x.code) { (x.code) " — " (x.name) } } } }
                }
                button type="submit" { (t(l, "group-create")) }
            }
        }
    };
    html_response(StatusCode::OK, page(&c, &t(l, "groups-title"), body))
}

pub async fn group_create(State(s): State<AppState>, posted: Posted) -> Response {
    let c = posted.chrome();
    let (web, f) = (&posted.web, &posted.form);
    match s
        .app
        .create_group(
            &web.scope,
            f.opt("site").as_deref(),
            f.get("name").unwrap_or(""),
            f.get("kind").unwrap_or("other"),
            f.opt("arrived_on").as_deref(),
        )
        .await
    {
        Ok(g) => Redirect::to(&format!("/groups/{}", g.id)).into_response(),
        Err(AppError::Invalid(v)) => error_page(
            &c,
            AppError::BadRequest(
                v.errors
                    .iter()
                    .map(|i| {
                        format!(
                            "{}: {}",
                            t(web.lang, &format!("group-{}", i.field)),
                            t(web.lang, &format!("issue-{}", i.code.replace('_', "-")))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
        Err(e) => error_page(&c, e),
    }
}

pub async fn group_page(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let c = Chrome::of(&web, &uri);
    let l = web.lang;
    let gp = match s.app.group_page(&web.scope, &id).await {
        Ok(g) => g,
        Err(e) => return error_page(&c, e),
    };
    let g = &gp.summary;
    let can_edit = web.scope.can(Permission::EditPerson);
    let body = html! {
        h1 { (g.group.name) }
        p.hint { (t(l, &format!("group-kind-{}", g.group.kind))) " · " (g.site) " · " (g.group.arrived_on) }
        (progress_html(l, g))
        @if web.scope.can(Permission::RegisterPerson) {
            p { a.button href={ "/desk?group=" (g.group.id) } { (t(l, "group-register-here")) } }
        }
        table.members {
            thead { tr {
                th { (t(l, "slip-number")) } th { (t(l, "field-full_name")) } th { (t(l, "field-case_number")) }
                th { (t(l, "desk-triage")) } th { (t(l, "progress-screened")) } th { (t(l, "group-milestones")) }
            } }
            tbody {
                @for m in &gp.members {
                    tr data-person=(m.person_id) {
                        td { @if let Some(n) = m.member.ticket { (n) } }
                        td { a href={ "/people/" (m.person_id) } { (m.full_name) } }
                        td { (m.case_number) }
                        td { @for f in &m.member.flags { span.flag { (t(l, &format!("flag-{f}"))) } " " } }
                        td { @if m.member.screened { "✓" } }
                        td {
                            @for &ms in Milestone::ALL {
                                @let done = m.member.milestones.contains(&ms);
                                @if can_edit {
                                    form.inline method="post" action={ "/people/" (m.person_id) "/milestones" } {
                                        input type="hidden" name="csrf" value=(web.csrf);
                                        input type="hidden" name="milestone" value=(ms);
                                        input type="hidden" name="back" value={ "/groups/" (g.group.id) };
                                        @if done { input type="hidden" name="clear" value="yes"; }
                                        button.milestone type="submit" aria-pressed=(if done { "true" } else { "false" }) data-milestone=(ms) {
                                            @if done { "✓ " } (t(l, &format!("progress-{ms}")))
                                        }
                                    }
                                } @else if done {
                                    span.done { "✓ " (t(l, &format!("progress-{ms}"))) } " "
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    html_response(StatusCode::OK, page(&c, &g.group.name, body))
}

/// A safe place to go back to: a local path only.
fn back_to(f: &FormData, default: String) -> String {
    match f.opt("back") {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b,
        _ => default,
    }
}

pub async fn milestone_submit(
    State(s): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Response {
    let c = posted.chrome();
    let (web, f) = (&posted.web, &posted.form);
    match s
        .app
        .set_milestone(
            &web.scope,
            &id,
            f.get("milestone").unwrap_or(""),
            f.opt("on").as_deref(),
            f.get("clear").is_some(),
        )
        .await
    {
        Ok(()) => Redirect::to(&back_to(f, format!("/people/{id}"))).into_response(),
        Err(AppError::Invalid(_)) => {
            error_page(&c, AppError::BadRequest(t(web.lang, "error-bad-request")))
        }
        Err(e) => error_page(&c, e),
    }
}

pub async fn flags_submit(
    State(s): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> Response {
    let c = posted.chrome();
    let (web, f) = (&posted.web, &posted.form);
    let flags: Vec<String> =
        f.0.iter()
            .filter(|(k, _)| k == "flags")
            .map(|(_, v)| v.clone())
            .collect();
    match s.app.set_triage_flags(&web.scope, &id, &flags).await {
        Ok(()) => Redirect::to(&format!("/people/{id}")).into_response(),
        Err(AppError::Invalid(_)) => {
            error_page(&c, AppError::BadRequest(t(web.lang, "error-bad-request")))
        }
        Err(e) => error_page(&c, e),
    }
}

pub async fn desk_script() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/desk.js"),
    )
        .into_response()
}
