//! Administration: sites, users and their roles, revoking sessions.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use maud::html;
use pulang_app::domain::Role;
use pulang_app::AppError;

use crate::extract::Web;
use crate::i18n::{t, t1};
use crate::tokens::tokens_table;
use crate::ui::fields::issue_text;
use crate::ui::layout::urlencode;
use crate::ui::{html_response, if_permitted, page, Chrome, PageResult, Posted};
use crate::AppState;

pub async fn admin_page(State(s): State<AppState>, web: Web) -> PageResult {
    admin_view(&s, &web, None).await
}

/// The page, with the outcome of an action above it (an error makes it a 400).
async fn admin_view(
    s: &AppState,
    web: &Web,
    message: Option<Result<String, String>>,
) -> PageResult {
    let l = web.lang;
    let users = s.app.users(&web.scope).await?;
    let sites = s.app.sites(&web.scope).await?;
    let tokens = s.app.all_tokens(&web.scope).await?;
    let damaged = if_permitted(s.app.damaged_records(&web.scope))?;
    let status = match &message {
        Some(Err(_)) => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    Ok(html_response(
        status,
        page(
            &Chrome::of(web),
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
                h2 { (t(l, "tokens-title")) }
                (tokens_table(l, &web.csrf, &tokens, true, "/admin"))
                @if !damaged.is_empty() {
                    h2 #damaged { (t(l, "admin-damaged")) }
                    p.error role="alert" { (t(l, "admin-damaged-intro")) }
                    table { thead { tr { th { (t(l, "admin-damaged-record")) } th { (t(l, "field-site")) } th { (t(l, "admin-damaged-problem")) } } }
                        tbody { @for d in &damaged { tr { td { code { (d.id) } } td { (sites.iter().find(|x| x.id == d.site_id).map_or(d.site_id.as_str(), |x| x.code.as_str())) } td { (d.problem) } } } } }
                }
            },
        ),
    ))
}

/// Shows the page again with what an action did: `done` on success, the error's text when the
/// action was refused for its values. Not being permitted is the error page.
async fn after<T>(
    s: &AppState,
    web: &Web,
    r: Result<T, AppError>,
    done: impl FnOnce(T) -> String,
) -> PageResult {
    let msg = match r {
        Ok(x) => Ok(done(x)),
        Err(AppError::Forbidden) => return Err(AppError::Forbidden.into()),
        // Say why (a weak password: zxcvbn's warning and suggestions).
        Err(AppError::Invalid(v)) => Err(v
            .errors
            .iter()
            .map(|i| issue_text(web.lang, i))
            .collect::<Vec<_>>()
            .join(" ")),
        Err(e) => Err(e.to_string()),
    };
    admin_view(s, web, Some(msg)).await
}

pub async fn admin_add_site(State(s): State<AppState>, posted: Posted) -> PageResult {
    let (web, f) = (&posted.web, &posted.form);
    let r = s
        .app
        .add_site(
            &web.scope,
            f.get("code").unwrap_or(""),
            f.get("name").unwrap_or(""),
            f.get("timezone").unwrap_or(""),
        )
        .await;
    after(&s, web, r, |site| {
        t1(web.lang, "admin-site-added", "code", site.code)
    })
    .await
}

pub async fn admin_add_user(State(s): State<AppState>, posted: Posted) -> PageResult {
    let (web, f) = (&posted.web, &posted.form);
    let Some(role) = f.get("role").and_then(Role::parse) else {
        return admin_view(&s, web, Some(Err(t(web.lang, "error-bad-request")))).await;
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
    after(&s, web, r, |_| {
        t1(web.lang, "admin-user-added", "username", username)
    })
    .await
}

pub async fn admin_revoke(
    State(s): State<AppState>,
    Path(username): Path<String>,
    posted: Posted,
) -> PageResult {
    let web = &posted.web;
    let r = s.app.revoke_sessions(&web.scope, &username).await;
    after(&s, web, r, |n| {
        t1(web.lang, "admin-revoked", "count", n as i64)
    })
    .await
}
