//! Server-rendered pages. Every action is a real form with a real URL; no JavaScript needed.
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup, DOCTYPE};
use pulang_app::domain::{
    ArrivalRoute, FieldIssue, Milestone, PersonDetails, PersonFlag, Role, Validation,
};
use pulang_app::{AppError, Permission, PersonRecord, Submission};
use serde::Deserialize;

use crate::extract::{
    cookie, same_secret, set_cookie, ClientAddr, ReqLang, Web, LANG_COOKIE, PRELOGIN_COOKIE,
    SESSION_COOKIE,
};
use crate::i18n::{t, t1, Lang};
use crate::AppState;

/// Submitted form fields, in order; repeated names allowed.
pub struct FormData(pub(crate) Vec<(String, String)>);

impl FormData {
    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
    }
    pub(crate) fn opt(&self, k: &str) -> Option<String> {
        self.get(k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }
    fn list(&self, k: &str) -> Vec<String> {
        self.get(k).map(|v| vec![v.to_string()]).unwrap_or_default()
    }
    pub(crate) fn csrf_ok(&self, expected: &str) -> bool {
        self.get("csrf").is_some_and(|c| same_secret(c, expected))
    }
}

/// What the page chrome needs: language, current path and the signed-in user, if any.
pub(crate) struct Chrome<'a> {
    lang: Lang,
    path: String,
    web: Option<&'a Web>,
}

impl<'a> Chrome<'a> {
    pub(crate) fn of(web: &'a Web, uri: &Uri) -> Chrome<'a> {
        Chrome {
            lang: web.lang,
            path: uri.path().to_string(),
            web: Some(web),
        }
    }
}

pub(crate) fn page(c: &Chrome<'_>, title: &str, body: Markup) -> Markup {
    let l = c.lang;
    let next = urlencode(&c.path);
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Pulang" }
                link rel="stylesheet" href="/static/pulang.css";
            }
            body {
                header.top {
                    a.brand href="/" { "Pulang" }
                    @if let Some(w) = c.web {
                        nav aria-label=(t(l, "nav-label")) {
                            @if w.scope.can(Permission::ReadPersonMinimal) { a href="/people" { (t(l, "nav-people")) } }
                            @if w.scope.can(Permission::RegisterPerson) { a href="/desk" accesskey="d" { (t(l, "nav-desk")) } }
                            @if w.scope.can(Permission::RegisterPerson) { a href="/people/new" accesskey="n" { (t(l, "nav-register")) } }
                            @if w.scope.can(Permission::ReadPersonMinimal) { a href="/groups" { (t(l, "nav-groups")) } }
                            @if w.scope.can(Permission::ResolveIdentity) { a href="/reviews" { (t(l, "nav-reviews")) } }
                            @if w.scope.can(Permission::RegisterPerson) { a href="/imports" { (t(l, "nav-imports")) } }
                            @if w.scope.can(Permission::ViewStats) { a href="/stats" { (t(l, "nav-stats")) } }
                            @if w.scope.can(Permission::ViewAudit) { a href="/audit" { (t(l, "nav-audit")) } }
                            @if w.scope.can(Permission::ManageUsers) { a href="/admin" { (t(l, "nav-admin")) } }
                        }
                    }
                    div.lang {
                        a data-lang="id" lang="id" href={ "/lang/id?next=" (next) } aria-current=[(l == Lang::Id).then_some("true")] { "Bahasa Indonesia" }
                        " · "
                        a data-lang="en" lang="en" href={ "/lang/en?next=" (next) } aria-current=[(l == Lang::En).then_some("true")] { "English" }
                    }
                    @if let Some(w) = c.web {
                        form #logout method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(w.csrf);
                            span.user { (w.scope.username()) }
                            " "
                            button type="submit" { (t(l, "logout")) }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

pub(crate) fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_./~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(crate) fn html_response(status: StatusCode, m: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        m.into_string(),
    )
        .into_response()
}

pub(crate) fn error_page(c: &Chrome<'_>, e: AppError) -> Response {
    let l = c.lang;
    let (status, key) = match &e {
        AppError::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
        AppError::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden"),
        AppError::Conflict(_) => (StatusCode::CONFLICT, "error-conflict"),
        AppError::BadRequest(_) | AppError::Invalid(_) | AppError::NeedsConfirmation(_) => {
            (StatusCode::BAD_REQUEST, "error-bad-request")
        }
        AppError::Unauthenticated | AppError::BadCredentials => {
            return Redirect::to("/login").into_response()
        }
        AppError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "login-throttled"),
        AppError::Internal(err) => {
            tracing::error!(error = %err, "internal error");
            (StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
        }
    };
    let detail = match &e {
        AppError::BadRequest(m) | AppError::Conflict(m) => Some(m.clone()),
        _ => None,
    };
    html_response(
        status,
        page(
            c,
            &t(l, key),
            html! {
                h1 { (t(l, key)) }
                @if let Some(d) = detail { p.error { (d) } }
                p { a href="/" { (t(l, "back-home")) } }
            },
        ),
    )
}

pub async fn not_found(ReqLang(lang): ReqLang, uri: Uri) -> Response {
    error_page(
        &Chrome {
            lang,
            path: uri.path().into(),
            web: None,
        },
        AppError::NotFound,
    )
}

pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/pulang.css"),
    )
        .into_response()
}

pub async fn interview_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/interview.js"),
    )
        .into_response()
}

pub async fn home(web: Web) -> Redirect {
    let s = &web.scope;
    Redirect::to(if s.can(Permission::ReadPersonMinimal) {
        "/people"
    } else if s.can(Permission::ViewStats) {
        "/stats"
    } else if s.can(Permission::ViewAudit) {
        "/audit"
    } else if s.can(Permission::ManageUsers) {
        "/admin"
    } else {
        "/stats"
    })
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Sets the language cookie and returns to the page the user was on (local paths only).
pub async fn switch_language(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Id);
    let next = q
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/".into());
    let mut res = Redirect::to(&next).into_response();
    if let Ok(v) = set_cookie(
        LANG_COOKIE,
        lang.code(),
        365 * 24 * 3600,
        s.cfg.secure_cookies,
    )
    .parse()
    {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

// ---------- sign-in ----------

fn login_form(lang: Lang, csrf: &str, username: &str, error: Option<String>) -> Markup {
    let c = Chrome {
        lang,
        path: "/login".into(),
        web: None,
    };
    page(
        &c,
        &t(lang, "login-title"),
        html! {
            h1 { (t(lang, "login-title")) }
            @if let Some(e) = &error { p.error role="alert" { (e) } }
            form #login method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                label for="username" { (t(lang, "login-username")) }
                input #username name="username" autocomplete="username" required autofocus value=(username);
                label for="password" { (t(lang, "login-password")) }
                input #password name="password" type="password" autocomplete="current-password" required;
                button type="submit" { (t(lang, "login-submit")) }
            }
        },
    )
}

fn with_prelogin(
    s: &AppState,
    lang: Lang,
    status: StatusCode,
    username: &str,
    error: Option<String>,
) -> Response {
    let csrf = pulang_app::auth::random_token();
    let mut res = html_response(status, login_form(lang, &csrf, username, error));
    if let Ok(v) = set_cookie(PRELOGIN_COOKIE, &csrf, 3600, s.cfg.secure_cookies).parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn login_page(State(s): State<AppState>, ReqLang(lang): ReqLang) -> Response {
    with_prelogin(&s, lang, StatusCode::OK, "", None)
}

pub async fn login_submit(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = crate::extract::lang_of(&headers);
    let form = match form {
        Ok(Form(f)) => FormData(f),
        Err(_) => {
            return with_prelogin(
                &s,
                lang,
                StatusCode::BAD_REQUEST,
                "",
                Some(t(lang, "error-bad-request")),
            )
        }
    };
    let username = form.get("username").unwrap_or("").to_string();
    let pre = cookie(&headers, PRELOGIN_COOKIE);
    if !pre.is_some_and(|p| form.csrf_ok(p)) {
        return with_prelogin(
            &s,
            lang,
            StatusCode::FORBIDDEN,
            &username,
            Some(t(lang, "error-csrf")),
        );
    }
    match s
        .app
        .login(&username, form.get("password").unwrap_or(""), &addr)
        .await
    {
        Ok(sess) => {
            let mut res = Redirect::to("/").into_response();
            let secure = s.cfg.secure_cookies;
            for c in [
                set_cookie(
                    SESSION_COOKIE,
                    &sess.token,
                    pulang_app::auth::SESSION_HOURS * 3600,
                    secure,
                ),
                set_cookie(PRELOGIN_COOKIE, "", 0, secure),
            ] {
                if let Ok(v) = c.parse() {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            res
        }
        Err(AppError::Throttled { retry_after_secs }) => with_prelogin(
            &s,
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            &username,
            Some(t1(
                lang,
                "login-throttled-wait",
                "seconds",
                retry_after_secs,
            )),
        ),
        Err(AppError::BadCredentials) => with_prelogin(
            &s,
            lang,
            StatusCode::UNAUTHORIZED,
            &username,
            Some(t(lang, "login-failed")),
        ),
        Err(e) => error_page(
            &Chrome {
                lang,
                path: "/login".into(),
                web: None,
            },
            e,
        ),
    }
}

pub async fn logout(
    State(s): State<AppState>,
    web: Web,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let f = FormData(f);
    if f.csrf_ok(&web.csrf) {
        let _ = s.app.logout(&web.scope, &web.token).await;
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = set_cookie(SESSION_COOKIE, "", 0, s.cfg.secure_cookies).parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

// ---------- people ----------

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    offset: Option<usize>,
}

const PAGE_SIZE: usize = 50;

pub async fn people_list(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Query(q): Query<ListQuery>,
) -> Response {
    let c = Chrome::of(&web, &uri);
    let l = web.lang;
    let query = q.q.unwrap_or_default();
    let offset = q.offset.unwrap_or(0);
    let res = match s.app.search(&web.scope, &query, offset, PAGE_SIZE).await {
        Ok(r) => r,
        Err(e) => return error_page(&c, e),
    };
    let link = |off: usize| format!("/people?q={}&offset={off}", urlencode(&query));
    html_response(
        StatusCode::OK,
        page(
            &c,
            &t(l, "people-title"),
            html! {
                h1 { (t(l, "people-title")) }
                form #search method="get" action="/people" role="search" {
                    label for="q" { (t(l, "search-label")) }
                    input #q name="q" type="search" value=(query) autofocus placeholder=(t(l, "search-placeholder"));
                    button type="submit" { (t(l, "search-submit")) }
                }
                p.count { (t1(l, "people-count", "count", res.total as i64)) }
                table #people-results {
                    thead { tr { th { (t(l, "field-case_number")) } th { (t(l, "field-full_name")) } th { (t(l, "field-site")) } } }
                    tbody {
                        @for p in &res.items {
                            tr {
                                td { (p.case_number) }
                                td { a.person-link href={ "/people/" (p.id) } { (p.full_name) } }
                                td { (p.site) }
                            }
                        }
                    }
                }
                @if res.items.is_empty() { p.empty { (t(l, "people-none")) } }
                nav.paging {
                    @if offset > 0 { a rel="prev" href=(link(offset.saturating_sub(PAGE_SIZE))) { (t(l, "page-prev")) } " " }
                    @if offset + res.items.len() < res.total { a rel="next" href=(link(offset + PAGE_SIZE)) { (t(l, "page-next")) } }
                }
            },
        ),
    )
}

/// The registration/edit form's values and messages.
#[derive(Default)]
struct PersonFormView {
    values: Vec<(String, String)>,
    validation: Validation,
}

impl PersonFormView {
    fn val(&self, k: &str) -> &str {
        self.values
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    fn from_record(r: &PersonRecord) -> PersonFormView {
        let d: &PersonDetails = &r.details;
        let mut v = vec![
            ("full_name".to_string(), d.full_name.clone()),
            ("aliases".into(), d.aliases.join(", ")),
            (
                "sex".into(),
                d.sex.map(|s| s.as_str().to_string()).unwrap_or_default(),
            ),
            (
                "birth_date".into(),
                d.birth_date.map(|b| b.to_string()).unwrap_or_default(),
            ),
            (
                "age".into(),
                d.age.map(|a| a.to_string()).unwrap_or_default(),
            ),
            ("nationality".into(), d.nationality.clone()),
            ("nik".into(), d.nik.clone().unwrap_or_default()),
            (
                "passport_no".into(),
                d.passport_no.clone().unwrap_or_default(),
            ),
            ("phones".into(), d.phones.join(", ")),
            (
                "origin_province".into(),
                d.origin_province.clone().unwrap_or_default(),
            ),
            (
                "origin_regency".into(),
                d.origin_regency.clone().unwrap_or_default(),
            ),
            ("languages".into(), d.languages.join(", ")),
        ];
        v.push(("version".into(), r.version.to_string()));
        PersonFormView {
            values: v,
            validation: Validation::default(),
        }
    }
}

fn issues_for<'a>(list: &'a [FieldIssue], field: &'a str) -> impl Iterator<Item = &'a FieldIssue> {
    list.iter().filter(move |i| i.field == field)
}

fn issue_text(l: Lang, i: &FieldIssue) -> String {
    t(l, &format!("issue-{}", i.code.replace('_', "-")))
}

fn field(l: Lang, f: &PersonFormView, name: &str, kind: &str, extra: Markup) -> Markup {
    let has_err = issues_for(&f.validation.errors, name).next().is_some();
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
            (extra)
            div id={ (name) "-msg" } {
                @if hint != hint_key { small.hint { (hint) } }
                @for i in issues_for(&f.validation.errors, name) { p.field-error data-field=(name) role="alert" { (issue_text(l, i)) } }
                @for i in issues_for(&f.validation.warnings, name) { p.field-warning data-field=(name) role="status" { (issue_text(l, i)) } }
            }
        }
    }
}

fn select(l: Lang, f: &PersonFormView, name: &str, options: &[(String, String)]) -> Markup {
    let cur = f.val(name);
    html! {
        div.field {
            label for=(name) { (t(l, &format!("field-{name}"))) }
            select #(name) name=(name) {
                @for (v, label) in options { option value=(v) selected[cur == v] { (label) } }
            }
            @for i in issues_for(&f.validation.errors, name) { p.field-error data-field=(name) role="alert" { (issue_text(l, i)) } }
        }
    }
}

fn person_fields(l: Lang, f: &PersonFormView) -> Markup {
    let sexes = vec![
        ("".into(), t(l, "sex-unknown")),
        ("F".into(), t(l, "sex-F")),
        ("M".into(), t(l, "sex-M")),
    ];
    html! {
        fieldset {
            legend { (t(l, "section-identity")) }
            (field(l, f, "full_name", "text", html! {}))
            (field(l, f, "aliases", "text", html! {}))
            (select(l, f, "sex", &sexes))
            (field(l, f, "birth_date", "text", html! {}))
            (field(l, f, "age", "number", html! {}))
            (field(l, f, "nationality", "text", html! {}))
        }
        fieldset {
            legend { (t(l, "section-documents")) }
            (field(l, f, "nik", "text", html! {}))
            (field(l, f, "passport_no", "text", html! {}))
            (field(l, f, "phones", "text", html! {}))
        }
        fieldset {
            legend { (t(l, "section-origin")) }
            (field(l, f, "origin_province", "text", html! {}))
            (field(l, f, "origin_regency", "text", html! {}))
            (field(l, f, "languages", "text", html! {}))
        }
    }
}

fn confirm_box(l: Lang, f: &PersonFormView) -> Markup {
    html! {
        @if !f.validation.warnings.is_empty() {
            div.confirm role="alert" {
                p { (t(l, "warnings-intro")) }
                label { input type="checkbox" name="confirm_warnings" value="yes"; " " (t(l, "warnings-confirm")) }
            }
        }
    }
}

fn register_form(
    s_sites: &[(String, String)],
    web: &Web,
    c: &Chrome<'_>,
    f: &PersonFormView,
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
            c,
            &t(l, "register-title"),
            html! {
                h1 { (t(l, "register-title")) }
                @if !f.validation.errors.is_empty() { p.error role="alert" { (t(l, "form-has-errors")) } }
                div.desk {
                form #register method="post" action="/people" novalidate data-matches-url="/desk/matches" {
                    input type="hidden" name="csrf" value=(web.csrf);
                    (person_fields(l, f))
                    fieldset {
                        legend { (t(l, "section-arrival")) }
                        (select(l, f, "site", s_sites))
                        (field(l, f, "arrived_on", "date", html! {}))
                        (select(l, f, "arrival_route", &routes))
                        (field(l, f, "notes", "textarea", html! {}))
                    }
                    (confirm_box(l, f))
                    button type="submit" { (t(l, "register-submit")) }
                }
                aside #matches aria-live="polite" aria-label=(t(l, "matches-title")) {
                    h2 { (t(l, "matches-title")) }
                    div #matches-body { p.hint { (t(l, "matches-typing")) } }
                }
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

pub async fn register_page(State(s): State<AppState>, web: Web, uri: Uri) -> Response {
    let c = Chrome::of(&web, &uri);
    if !web.scope.can(Permission::RegisterPerson) {
        return error_page(&c, AppError::Forbidden);
    }
    let sites = match site_options(&s, &web).await {
        Ok(x) => x,
        Err(e) => return error_page(&c, e),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let f = PersonFormView {
        values: vec![
            ("arrived_on".into(), crate::api::date_string(today)),
            ("nationality".into(), "ID".into()),
        ],
        ..Default::default()
    };
    register_form(&sites, &web, &c, &f, StatusCode::OK)
}

fn submission(f: &FormData) -> Result<Submission, Validation> {
    let age = match f.opt("age") {
        None => None,
        Some(a) => match a.parse::<u16>() {
            Ok(n) => Some(n),
            Err(_) => {
                return Err(Validation {
                    errors: vec![FieldIssue::new("age", "invalid_age")],
                    warnings: vec![],
                });
            }
        },
    };
    Ok(Submission {
        person: pulang_app::domain::PersonForm {
            full_name: f.get("full_name").unwrap_or("").to_string(),
            aliases: f.list("aliases"),
            sex: f.opt("sex"),
            birth_date: f.opt("birth_date"),
            age,
            nationality: f.opt("nationality"),
            nik: f.opt("nik"),
            passport_no: f.opt("passport_no"),
            phones: f.list("phones"),
            origin_province: f.opt("origin_province"),
            origin_regency: f.opt("origin_regency"),
            languages: f.list("languages"),
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

pub async fn register_submit(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    let c = Chrome::of(&web, &uri);
    let f = FormData(raw);
    if !f.csrf_ok(&web.csrf) {
        return error_page(&c, AppError::BadRequest(t(web.lang, "error-csrf")));
    }
    let sites = match site_options(&s, &web).await {
        Ok(x) => x,
        Err(e) => return error_page(&c, e),
    };
    let redisplay = |validation: Validation| {
        let view = PersonFormView {
            values: f
                .0
                .iter()
                .filter(|(k, _)| k != "confirm_warnings")
                .cloned()
                .collect(),
            validation,
        };
        register_form(&sites, &web, &c, &view, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let sub = match submission(&f) {
        Ok(s) => s,
        Err(v) => return redisplay(v),
    };
    match s.app.register_person(&web.scope, sub).await {
        Ok(rec) => Redirect::to(&format!("/people/{}", rec.id)).into_response(),
        Err(AppError::Invalid(v)) | Err(AppError::NeedsConfirmation(v)) => redisplay(v),
        Err(e) => error_page(&c, e),
    }
}

/// What the person page shows beyond the record: flags, milestones, merges.
#[derive(Default)]
struct PersonExtras {
    flags: Vec<pulang_app::desk_types::Flag>,
    milestones: Vec<pulang_app::desk_types::MilestoneReached>,
    merges: Vec<pulang_app::desk_types::Merge>,
}

fn extras_html(l: Lang, web: &Web, id: &str, x: &PersonExtras) -> Markup {
    let flagged = |f: PersonFlag| x.flags.iter().any(|g| g.flag == f);
    let can_edit = web.scope.can(Permission::EditPerson);
    html! {
        @if flagged(PersonFlag::Retrafficking) {
            p.alert role="alert" data-flag="retrafficking" { (t(l, "person-retrafficking")) }
        }
        section.triage {
            h2 { (t(l, "desk-triage")) }
            @if can_edit {
                form method="post" action={ "/people/" (id) "/flags" } {
                    input type="hidden" name="csrf" value=(web.csrf);
                    @for f in PersonFlag::triage() {
                        label.check { input type="checkbox" name="flags" value=(f) checked[flagged(f)]; " " (t(l, &format!("flag-{f}"))) } " "
                    }
                    button type="submit" { (t(l, "flags-save")) }
                }
            } @else {
                p { @for f in &x.flags { span.flag { (t(l, &format!("flag-{}", f.flag))) } " " } }
            }
        }
        section.milestones {
            h2 { (t(l, "group-milestones")) }
            ul {
                @for &ms in Milestone::ALL {
                    @let done = x.milestones.iter().find(|m| m.milestone == ms);
                    li data-milestone=(ms) {
                        (t(l, &format!("progress-{ms}"))) ": "
                        @if let Some(m) = done { strong { "✓ " (m.on_date) } } @else { "—" }
                        @if can_edit {
                            " "
                            form.inline method="post" action={ "/people/" (id) "/milestones" } {
                                input type="hidden" name="csrf" value=(web.csrf);
                                input type="hidden" name="milestone" value=(ms);
                                @if done.is_some() {
                                    input type="hidden" name="clear" value="yes";
                                    button type="submit" { (t(l, "milestone-clear")) }
                                } @else {
                                    input type="date" name="on" aria-label=(t(l, "milestone-on"));
                                    button type="submit" { (t(l, "milestone-record")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !x.merges.is_empty() {
            section.merges {
                h2 { (t(l, "person-merges")) }
                ul {
                    @for m in &x.merges {
                        li data-merge=(m.id) {
                            @if m.survivor_id == id {
                                (t(l, "merge-into-this")) " " a href={ "/people/" (m.merged_id) } { (t(l, "merge-other-record")) }
                            } @else {
                                (t(l, "merge-this-into")) " " a href={ "/people/" (m.survivor_id) } { (t(l, "merge-other-record")) }
                            }
                            " · " (m.created_by) " · " (format_ms(m.created_at))
                            @if m.undone_at.is_some() { " · " em { (t(l, "merge-undone")) } }
                            @else if web.scope.can(Permission::ResolveIdentity) {
                                " "
                                form.inline method="post" action={ "/merges/" (m.id) "/undo" } {
                                    input type="hidden" name="csrf" value=(web.csrf);
                                    button type="submit" { (t(l, "merge-undo")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn person_html(
    l: Lang,
    web: &Web,
    p: &pulang_app::PersonPage,
    screenings: &[pulang_app::screening::ScreeningSummary],
    extras: &PersonExtras,
) -> Markup {
    let v = &p.person;
    let dash = || "—".to_string();
    let row = |k: &str, val: String| html! { dt { (t(l, &format!("field-{k}"))) } dd data-field=(k) { (val) } };
    html! {
        h1 { (v.full_name) }
        p.case { (t(l, "field-case_number")) ": " strong data-case-number { (v.case_number) } " · " (t(l, "field-site")) ": " (v.site) }
        @if let Some(into) = &v.merged_into {
            p.notice role="status" data-merged-into=(into) { (t(l, "person-merged-notice")) " " a href={ "/people/" (into) } { (t(l, "person-merged-open")) } }
        }
        @if v.minimal { p.notice { (t(l, "person-minimal-view")) } }
        dl.details {
            @if !v.minimal { (row("aliases", if v.aliases.is_empty() { dash() } else { v.aliases.join(", ") })) }
            (row("sex", v.sex.map(|s| t(l, &format!("sex-{}", s.as_str()))).unwrap_or_else(dash)))
            @if !v.minimal { (row("birth_date", v.birth_date.clone().unwrap_or_else(dash))) }
            (row("age", v.age.map(|a| a.to_string()).unwrap_or_else(dash)))
            (row("nationality", v.nationality.clone()))
            @if !v.minimal {
                (row("nik", v.nik.clone().unwrap_or_else(dash)))
                (row("passport_no", v.passport_no.clone().unwrap_or_else(dash)))
                (row("phones", if v.phones.is_empty() { dash() } else { v.phones.join(", ") }))
            }
            (row("origin_province", v.origin_province.clone().unwrap_or_else(dash)))
            @if !v.minimal { (row("origin_regency", v.origin_regency.clone().unwrap_or_else(dash))) }
            (row("languages", if v.languages.is_empty() { dash() } else { v.languages.join(", ") }))
        }
        @if !v.minimal { (extras_html(l, web, &v.id, extras)) }
        div.actions {
            @if v.masked {
                form.inline method="post" action={ "/people/" (v.id) "/reveal" } {
                    input type="hidden" name="csrf" value=(web.csrf);
                    button type="submit" { (t(l, "person-reveal")) }
                }
            }
            @if web.scope.can(Permission::EditPerson) && !v.minimal { a.button href={ "/people/" (v.id) "/edit" } { (t(l, "person-edit")) } }
        }
        @if !v.minimal {
            @if web.scope.can(Permission::Screen) {
                h2 { (t(l, "person-screenings")) }
                @if !screenings.is_empty() {
                    ul.screenings { @for sc in screenings {
                        li { a href={ "/screenings/" (sc.id) } { (t1(l, "screening-version", "version", sc.version)) } " · "
                            @if sc.signed_at.is_some() { (t(l, "screening-status-signed")) } @else { (t(l, "screening-status-draft")) }
                            " · " (crate::screening::outcome_label(l, &sc.outcome)) }
                    } }
                }
                form method="post" action={ "/people/" (v.id) "/screenings" } {
                    input type="hidden" name="csrf" value=(web.csrf);
                    button type="submit" { (t(l, "screening-start")) }
                }
            }
            h2 { (t(l, "person-encounters")) }
            table.encounters {
                thead { tr { th { (t(l, "field-arrived_on")) } th { (t(l, "field-site")) } th { (t(l, "field-arrival_route")) } th { (t(l, "field-notes")) } th { (t(l, "registered-by")) } } }
                tbody {
                    @for e in &p.encounters {
                        tr { td { (e.arrived_on) } td { (e.site) } td { (t(l, &format!("route-{}", e.arrival_route))) } td { (e.notes.clone().unwrap_or_default()) } td { (e.registered_by) } }
                    }
                }
            }
            h2 { (t(l, "person-history")) }
            ol.history reversed {
                @for h in &p.history {
                    li {
                        strong { (t1(l, "history-version", "version", h.version)) } " · " (pulang_app::local_time(h.at, &v.timezone)) " · " (h.actor)
                        ul { @for ch in &h.changes {
                            li { (t(l, &format!("field-{}", ch.field))) ": "
                                @if let Some(b) = &ch.before { del { (b) } " → " }
                                (ch.after.clone().unwrap_or_else(dash)) }
                        } }
                    }
                }
            }
        }
    }
}

pub fn format_ms(ms: i64) -> String {
    pulang_app::local_time(ms, "UTC")
}

async fn show_person(s: &AppState, web: &Web, uri: &Uri, id: &str, reveal: bool) -> Response {
    let c = Chrome::of(web, uri);
    match s.app.person(&web.scope, id, reveal).await {
        Ok(p) => {
            let screenings = s
                .app
                .screenings_of(&web.scope, &p.person)
                .await
                .unwrap_or_default();
            let extras = if p.person.minimal {
                PersonExtras::default()
            } else {
                PersonExtras {
                    flags: s.app.flags_of(&web.scope, id).await.unwrap_or_default(),
                    milestones: s
                        .app
                        .milestones_of(&web.scope, id)
                        .await
                        .unwrap_or_default(),
                    merges: s.app.merges_of(&web.scope, id).await.unwrap_or_default(),
                }
            };
            html_response(
                StatusCode::OK,
                page(
                    &c,
                    &p.person.full_name,
                    person_html(web.lang, web, &p, &screenings, &extras),
                ),
            )
        }
        Err(e) => error_page(&c, e),
    }
}

pub async fn person_page(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    show_person(&s, &web, &uri, &id, false).await
}

pub async fn person_reveal(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Path(id): Path<String>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    if !FormData(raw).csrf_ok(&web.csrf) {
        return error_page(
            &Chrome::of(&web, &uri),
            AppError::BadRequest(t(web.lang, "error-csrf")),
        );
    }
    show_person(&s, &web, &uri, &id, true).await
}

fn edit_form(
    web: &Web,
    c: &Chrome<'_>,
    id: &str,
    f: &PersonFormView,
    status: StatusCode,
) -> Response {
    let l = web.lang;
    html_response(
        status,
        page(
            c,
            &t(l, "edit-title"),
            html! {
                h1 { (t(l, "edit-title")) }
                @if !f.validation.errors.is_empty() { p.error role="alert" { (t(l, "form-has-errors")) } }
                form #edit method="post" action={ "/people/" (id) "/edit" } novalidate {
                    input type="hidden" name="csrf" value=(web.csrf);
                    input type="hidden" name="version" value=(f.val("version"));
                    (person_fields(l, f))
                    (confirm_box(l, f))
                    button type="submit" { (t(l, "edit-submit")) }
                    " " a href={ "/people/" (id) } { (t(l, "cancel")) }
                }
            },
        ),
    )
}

pub async fn edit_page(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let c = Chrome::of(&web, &uri);
    match s.app.person_for_edit(&web.scope, &id).await {
        Ok(r) => edit_form(
            &web,
            &c,
            &id,
            &PersonFormView::from_record(&r),
            StatusCode::OK,
        ),
        Err(e) => error_page(&c, e),
    }
}

pub async fn edit_submit(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Path(id): Path<String>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    let c = Chrome::of(&web, &uri);
    let f = FormData(raw);
    if !f.csrf_ok(&web.csrf) {
        return error_page(&c, AppError::BadRequest(t(web.lang, "error-csrf")));
    }
    let redisplay = |validation: Validation| {
        let view = PersonFormView {
            values: f
                .0
                .iter()
                .filter(|(k, _)| k != "confirm_warnings")
                .cloned()
                .collect(),
            validation,
        };
        edit_form(&web, &c, &id, &view, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let sub = match submission(&f) {
        Ok(s) => s,
        Err(v) => return redisplay(v),
    };
    let version = f.opt("version").and_then(|v| v.parse().ok());
    match s.app.update_person(&web.scope, &id, version, sub).await {
        Ok(rec) => Redirect::to(&format!("/people/{}", rec.id)).into_response(),
        Err(AppError::Invalid(v)) | Err(AppError::NeedsConfirmation(v)) => redisplay(v),
        Err(e) => error_page(&c, e),
    }
}

// ---------- administration, audit, statistics ----------

pub async fn admin_page(State(s): State<AppState>, web: Web, uri: Uri) -> Response {
    admin_view(&s, &web, &uri, None).await
}

async fn admin_view(
    s: &AppState,
    web: &Web,
    uri: &Uri,
    message: Option<Result<String, String>>,
) -> Response {
    let c = Chrome::of(web, uri);
    let l = web.lang;
    let users = match s.app.users(&web.scope).await {
        Ok(u) => u,
        Err(e) => return error_page(&c, e),
    };
    let sites = match s.app.sites(&web.scope).await {
        Ok(x) => x,
        Err(e) => return error_page(&c, e),
    };
    let status = match &message {
        Some(Err(_)) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    html_response(
        status,
        page(
            &c,
            &t(l, "admin-title"),
            html! {
                h1 { (t(l, "admin-title")) }
                @match &message { Some(Ok(m)) => p.notice role="status" { (m) }, Some(Err(m)) => p.error role="alert" { (m) }, None => {} }
                h2 { (t(l, "admin-sites")) }
                table #sites { thead { tr { th { (t(l, "site-code")) } th { (t(l, "site-name")) } th { (t(l, "site-timezone")) } } }
                    tbody { @for x in &sites { tr { td { (x.code) } td { (x.name) } td { (x.timezone) } } } } }
                form #add-site method="post" action="/admin/sites" {
                    input type="hidden" name="csrf" value=(web.csrf);
                    label for="code" { (t(l, "site-code")) } input #code name="code" required placeholder="PNH";
                    label for="name" { (t(l, "site-name")) } input #name name="name" required placeholder="KBRI Phnom Penh";
                    label for="timezone" { (t(l, "site-timezone")) } input #timezone name="timezone" required placeholder="Asia/Phnom_Penh";
                    button type="submit" { (t(l, "admin-add-site")) }
                }
                h2 { (t(l, "admin-users")) }
                table #users { thead { tr { th { (t(l, "login-username")) } th { (t(l, "admin-roles")) } th {} } }
                    tbody { @for u in &users { tr {
                        td { (u.username) @if u.disabled { " (" (t(l, "admin-disabled")) ")" } }
                        td { @for (site, role) in &u.grants { (t(l, &format!("role-{}", role.as_str()))) " @ " (site) br; } }
                        td { form.inline method="post" action={ "/admin/users/" (urlencode(&u.username)) "/revoke" } {
                            input type="hidden" name="csrf" value=(web.csrf);
                            button type="submit" { (t(l, "admin-revoke")) } } }
                    } } } }
                form #add-user method="post" action="/admin/users" {
                    input type="hidden" name="csrf" value=(web.csrf);
                    label for="new-username" { (t(l, "login-username")) } input #new-username name="username" required autocomplete="off";
                    label for="new-password" { (t(l, "login-password")) } input #new-password name="password" type="password" required autocomplete="new-password" minlength="10";
                    label for="role" { (t(l, "admin-role")) }
                    select #role name="role" { @for r in Role::ALL { option value=(r.as_str()) { (t(l, &format!("role-{}", r.as_str()))) } } }
                    label for="site" { (t(l, "field-site")) }
                    select #site name="site" { option value="" { (t(l, "admin-all-sites")) } @for x in &sites { option value=(x.code) { (x.code) } } }
                    button type="submit" { (t(l, "admin-add-user")) }
                }
            },
        ),
    )
}

pub async fn admin_add_site(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    let f = FormData(raw);
    if !f.csrf_ok(&web.csrf) {
        return admin_view(&s, &web, &uri, Some(Err(t(web.lang, "error-csrf")))).await;
    }
    let r = s
        .app
        .add_site(
            &web.scope,
            f.get("code").unwrap_or(""),
            f.get("name").unwrap_or(""),
            f.get("timezone").unwrap_or(""),
        )
        .await;
    let msg = match r {
        Ok(site) => Ok(t1(web.lang, "admin-site-added", "code", site.code)),
        Err(AppError::Forbidden) => {
            return error_page(&Chrome::of(&web, &uri), AppError::Forbidden)
        }
        Err(e) => Err(e.to_string()),
    };
    admin_view(&s, &web, &uri, Some(msg)).await
}

pub async fn admin_add_user(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    let f = FormData(raw);
    if !f.csrf_ok(&web.csrf) {
        return admin_view(&s, &web, &uri, Some(Err(t(web.lang, "error-csrf")))).await;
    }
    let Some(role) = f.get("role").and_then(Role::parse) else {
        return admin_view(&s, &web, &uri, Some(Err(t(web.lang, "error-bad-request")))).await;
    };
    let username = f.get("username").unwrap_or("").to_string();
    let r = s
        .app
        .add_user(
            &web.scope,
            &username,
            f.get("password").unwrap_or(""),
            role,
            f.opt("site").as_deref(),
        )
        .await;
    let msg = match r {
        Ok(_) => Ok(t1(web.lang, "admin-user-added", "username", username)),
        Err(AppError::Forbidden) => {
            return error_page(&Chrome::of(&web, &uri), AppError::Forbidden)
        }
        Err(e) => Err(e.to_string()),
    };
    admin_view(&s, &web, &uri, Some(msg)).await
}

pub async fn admin_revoke(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Path(username): Path<String>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    let f = FormData(raw);
    if !f.csrf_ok(&web.csrf) {
        return admin_view(&s, &web, &uri, Some(Err(t(web.lang, "error-csrf")))).await;
    }
    let msg = match s.app.revoke_sessions(&web.scope, &username).await {
        Ok(n) => Ok(t1(web.lang, "admin-revoked", "count", n as i64)),
        Err(AppError::Forbidden) => {
            return error_page(&Chrome::of(&web, &uri), AppError::Forbidden)
        }
        Err(e) => Err(e.to_string()),
    };
    admin_view(&s, &web, &uri, Some(msg)).await
}

pub async fn audit_page(State(s): State<AppState>, web: Web, uri: Uri) -> Response {
    let c = Chrome::of(&web, &uri);
    let l = web.lang;
    let verdict = match s.app.verify_audit(&web.scope).await {
        Ok(v) => v,
        Err(e) => return error_page(&c, e),
    };
    let events = match s.app.audit_events(&web.scope, None, 200).await {
        Ok(v) => v,
        Err(e) => return error_page(&c, e),
    };
    html_response(
        StatusCode::OK,
        page(
            &c,
            &t(l, "audit-title"),
            html! {
                h1 { (t(l, "audit-title")) }
                @match &verdict {
                    Ok(n) => p.notice #audit-verdict data-intact="true" { (t1(l, "audit-intact", "count", *n)) },
                    Err(b) => p.error #audit-verdict data-intact="false" role="alert" { (t(l, "audit-broken")) ": " (b.to_string()) },
                }
                table #audit-events {
                    thead { tr { th { "#" } th { (t(l, "audit-when")) } th { (t(l, "audit-actor")) } th { (t(l, "field-site")) } th { (t(l, "audit-action")) } th { (t(l, "audit-subject")) } } }
                    tbody { @for e in &events { tr { td { (e.seq) } td { (format_ms(e.at)) } td { (e.actor) } td { (e.site) } td { code { (e.action) } } td { code { (e.subject) } } } } }
                }
            },
        ),
    )
}

pub async fn stats_page(State(s): State<AppState>, web: Web, uri: Uri) -> Response {
    let c = Chrome::of(&web, &uri);
    let l = web.lang;
    let counts = match s.app.stats(&web.scope).await {
        Ok(v) => v,
        Err(e) => return error_page(&c, e),
    };
    let table = |title: &str, rows: &[(String, i64)], label: &dyn Fn(&str) -> String| {
        html! {
            h2 { (title) }
            table.counts { tbody { @for (k, n) in rows { tr { th scope="row" { (label(k)) } td { (n) } } } } }
        }
    };
    let same = |k: &str| k.to_string();
    let sex = |k: &str| {
        if k == "?" {
            t(l, "sex-unknown")
        } else {
            t(l, &format!("sex-{k}"))
        }
    };
    let route = |k: &str| t(l, &format!("route-{k}"));
    html_response(
        StatusCode::OK,
        page(
            &c,
            &t(l, "stats-title"),
            html! {
                h1 { (t(l, "stats-title")) }
                p { (t(l, "stats-intro")) }
                (table(&t(l, "field-site"), &counts.by_site, &same))
                (table(&t(l, "field-sex"), &counts.by_sex, &sex))
                (table(&t(l, "field-arrival_route"), &counts.by_route, &route))
                (table(&t(l, "field-origin_province"), &counts.by_province, &same))
                (table(&t(l, "stats-screening-outcomes"), &counts.by_screening_outcome, &|k: &str| crate::screening::outcome_label(l, k)))
            },
        ),
    )
}

/// A form post from a signed-in user whose CSRF token checked out: the extractor every form
/// handler uses, so that none can forget the check. A wrong or missing token gets the "form
/// expired" page; nothing else runs.
pub(crate) struct Posted {
    pub web: Web,
    pub uri: Uri,
    pub form: FormData,
}

impl Posted {
    pub(crate) fn chrome(&self) -> Chrome<'_> {
        Chrome::of(&self.web, &self.uri)
    }
}

impl axum::extract::FromRequest<AppState> for Posted {
    type Rejection = Response;
    async fn from_request(
        req: axum::extract::Request,
        s: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = req.into_parts();
        let web = Web::from_request_parts(&mut parts, s).await?;
        let uri = parts.uri.clone();
        let req = axum::extract::Request::from_parts(parts, body);
        let bad = |web: &Web, key: &str| {
            error_page(
                &Chrome::of(web, &uri),
                AppError::BadRequest(t(web.lang, key)),
            )
        };
        let Ok(Form(raw)) = Form::<Vec<(String, String)>>::from_request(req, s).await else {
            return Err(bad(&web, "error-bad-request"));
        };
        let form = FormData(raw);
        if !form.csrf_ok(&web.csrf) {
            return Err(bad(&web, "error-csrf"));
        }
        Ok(Posted { web, uri, form })
    }
}
