//! Signing in and out, the language switch, and the home page's redirect.
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use pulang_app::{AppError, Permission};
use serde::Deserialize;

use crate::extract::{
    set_cookie, ClientAddr, ReqLang, Web, LANG_COOKIE, PRELOGIN_COOKIE, SESSION_COOKIE,
};
use crate::i18n::{t, t1, Lang};
use crate::ui::form::{LoginPosted, LoginRejected, Rejected};
use crate::ui::layout::{local_path, Chrome};
use crate::ui::{html_response, page, PageError, PageResult, Posted};
use crate::AppState;

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

fn with_cookies(mut res: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// Sets the language cookie and returns to the page the user was on (local paths only).
pub async fn switch_language(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Id);
    let next = local_path(q.next, "/".into());
    with_cookies(
        Redirect::to(&next).into_response(),
        &[set_cookie(
            LANG_COOKIE,
            lang.code(),
            365 * 24 * 3600,
            s.cfg.secure_cookies,
        )],
    )
}

fn login_form(lang: Lang, csrf: &str, username: &str, error: Option<String>) -> Markup {
    page(
        &Chrome::anonymous(lang, "/login"),
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

/// The sign-in form with a fresh pre-login token (in the form and in a cookie).
fn with_prelogin(
    s: &AppState,
    lang: Lang,
    status: StatusCode,
    username: &str,
    error: Option<String>,
) -> Response {
    let csrf = pulang_app::auth::random_token();
    with_cookies(
        html_response(status, login_form(lang, &csrf, username, error)),
        &[set_cookie(
            PRELOGIN_COOKIE,
            &csrf,
            3600,
            s.cfg.secure_cookies,
        )],
    )
}

pub async fn login_page(State(s): State<AppState>, ReqLang(lang): ReqLang) -> Response {
    with_prelogin(&s, lang, StatusCode::OK, "", None)
}

pub async fn login_submit(
    State(s): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ReqLang(lang): ReqLang,
    posted: Result<LoginPosted, LoginRejected>,
) -> PageResult {
    let form = match posted {
        Ok(p) => p.form,
        Err(r) => {
            let message = Some(t(lang, r.message));
            return Ok(with_prelogin(&s, lang, r.status, &r.username, message));
        }
    };
    let username = form.get("username").unwrap_or("");
    let again = |status, message| Ok(with_prelogin(&s, lang, status, username, Some(message)));
    match s
        .app
        .login(username, form.get("password").unwrap_or(""), &addr)
        .await
    {
        Ok(sess) => {
            let secure = s.cfg.secure_cookies;
            Ok(with_cookies(
                Redirect::to("/").into_response(),
                &[
                    set_cookie(
                        SESSION_COOKIE,
                        &sess.token,
                        pulang_app::auth::SESSION_HOURS * 3600,
                        secure,
                    ),
                    set_cookie(PRELOGIN_COOKIE, "", 0, secure),
                ],
            ))
        }
        Err(AppError::Throttled { retry_after_secs }) => again(
            StatusCode::TOO_MANY_REQUESTS,
            t1(lang, "login-throttled-wait", "seconds", retry_after_secs),
        ),
        Err(AppError::BadCredentials) => again(StatusCode::UNAUTHORIZED, t(lang, "login-failed")),
        Err(e) => Err(e.into()),
    }
}

/// Signs out. Without the right token the session is left alone (a forged sign-out must not
/// end it), but the browser is sent to the sign-in page all the same.
/// Ends the session. Without the form's token nothing happens (a page elsewhere cannot sign
/// anyone out), and the cookie is cleared only once the session has really ended, so nobody
/// walks away believing they signed out of a session that lives on.
pub async fn logout(State(s): State<AppState>, posted: Result<Posted, Rejected>) -> Response {
    match posted {
        Ok(p) => {
            if let Err(e) = s.app.logout(&p.web.scope, &p.web.token).await {
                return PageError::from(e).into_response();
            }
        }
        Err(Rejected::NotSignedIn(r)) => return r,
        Err(rejected) => return rejected.into_response(),
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = set_cookie(SESSION_COOKIE, "", 0, s.cfg.secure_cookies).parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}
