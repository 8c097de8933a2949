//! The account page: the caller's API tokens (label, created, expires, last used; never the
//! secret), creating one (its secret shown once) and revoking one. Administrators revoke other
//! users' tokens from the administration page through the same revoke route.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};
use pulang_app::tokens::{NewToken, TokenView, DEFAULT_DAYS, MAX_DAYS, MAX_LABEL};
use pulang_app::AppError;

use crate::extract::Web;
use crate::i18n::{t, t1, Lang};
use crate::ui::fields::issue_text;
use crate::ui::layout::local_path;
use crate::ui::{html_response, page, Chrome, PageResult, Posted};
use crate::AppState;

/// A time in Unix milliseconds as `YYYY-MM-DD HH:MM UTC`.
pub fn utc_minute(ms: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_else(|| "?".into())
}

/// A table of tokens with a revoke button each; `owner` adds the user's column; `back` is
/// where the revoke returns to.
pub fn tokens_table(l: Lang, csrf: &str, tokens: &[TokenView], owner: bool, back: &str) -> Markup {
    html! {
        @if tokens.is_empty() {
            p.empty { (t(l, "tokens-none")) }
        } @else {
            table #tokens {
                thead { tr {
                    @if owner { th { (t(l, "login-username")) } }
                    th { (t(l, "token-label")) } th { (t(l, "token-created")) }
                    th { (t(l, "token-expires")) } th { (t(l, "token-last-used")) } th {}
                } }
                tbody { @for x in tokens { tr data-token=(x.id) {
                    @if owner { td { (x.username) } }
                    td { (x.label) }
                    td { (utc_minute(x.created_at)) }
                    td { (utc_minute(x.expires_at)) @if x.expired { " (" (t(l, "token-expired")) ")" } }
                    td { @match x.last_used_at { Some(at) => (utc_minute(at)), None => (t(l, "token-never-used")) } }
                    td { form.inline method="post" action={ "/account/tokens/" (x.id) "/revoke" } {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="back" value=(back);
                        button type="submit" { (t(l, "token-revoke")) }
                    } }
                } } }
            }
        }
    }
}

/// The page, with a token just made (its secret, shown this once) or a message.
async fn account_view(
    s: &AppState,
    web: &Web,
    made: Option<&NewToken>,
    message: Option<Result<String, String>>,
) -> PageResult {
    let l = web.lang;
    let tokens = s.app.my_tokens(&web.scope).await?;
    let status = match &message {
        Some(Err(_)) => StatusCode::BAD_REQUEST,
        _ if made.is_some() => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    Ok(html_response(
        status,
        page(
            &Chrome::of(web),
            &t(l, "account-title"),
            html! {
                h1 { (t(l, "account-title")) }
                p { (t1(l, "account-signed-in-as", "username", web.scope.username().to_string())) }
                @match &message { Some(Ok(m)) => p.notice role="status" { (m) }, Some(Err(m)) => p.error role="alert" { (m) }, None => {} }
                @if let Some(n) = made {
                    div.notice role="status" {
                        p { (t1(l, "token-made", "label", n.label.clone())) }
                        p { code #new-token-secret { (n.secret) } }
                        p.hint { (t(l, "token-shown-once")) }
                    }
                }
                h2 { (t(l, "tokens-title")) }
                p.hint { (t(l, "tokens-hint")) }
                (tokens_table(l, &web.csrf, &tokens, false, "/account"))
                form #new-token method="post" action="/account/tokens" {
                    input type="hidden" name="csrf" value=(web.csrf);
                    label for="label" { (t(l, "token-label")) }
                    input #label name="label" required maxlength=(MAX_LABEL) autocomplete="off";
                    label for="days" { (t(l, "token-days")) }
                    input #days name="days" type="number" min="1" max=(MAX_DAYS) value=(DEFAULT_DAYS);
                    button type="submit" { (t(l, "token-create")) }
                }
            },
        ),
    ))
}

pub async fn account_page(State(s): State<AppState>, web: Web) -> PageResult {
    account_view(&s, &web, None, None).await
}

/// An action's refusal for its values, said on the page; other errors are the error page.
fn refusal(l: Lang, e: AppError) -> Result<String, AppError> {
    match e {
        AppError::Invalid(v) => Ok(v
            .errors
            .iter()
            .map(|i| issue_text(l, i))
            .collect::<Vec<_>>()
            .join(" ")),
        AppError::BadRequest(m) => Ok(m),
        other => Err(other),
    }
}

pub async fn create_token(State(s): State<AppState>, posted: Posted) -> PageResult {
    let (web, f) = (&posted.web, &posted.form);
    let days = match f.opt("days").map(|d| d.parse::<u32>()) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => Some(0), // refused as out of range, with the same words
    };
    let username = web.scope.username().to_string();
    match s
        .app
        .create_token(&web.scope, &username, f.get("label").unwrap_or(""), days)
        .await
    {
        Ok(made) => account_view(&s, web, Some(&made), None).await,
        Err(e) => {
            let m = refusal(web.lang, e)?;
            account_view(&s, web, None, Some(Err(m))).await
        }
    }
}

/// Revokes a token (one's own, or as an administrator another user's) and returns to `back`
/// (a local path: the account or the administration page).
pub async fn revoke_token(
    State(s): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> PageResult {
    let web = &posted.web;
    s.app.revoke_token(&web.scope, &id).await?;
    let back = local_path(posted.form.opt("back"), "/account".into());
    Ok(Redirect::to(&back).into_response())
}
