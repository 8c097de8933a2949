//! [`PageError`]: what a page handler returns when it cannot show its page. It renders the
//! localized error page (with the chrome of whoever is signed in); an internal error becomes a
//! 500 that shows the request id, and is logged with it, never shown.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use pulang_app::AppError;

use crate::context;
use crate::i18n::{t, Lang};
use crate::ui::layout::{html_response, page, Chrome};

#[derive(Debug)]
pub enum PageError {
    App(AppError),
    /// A bad request whose explanation is the Fluent message with this id.
    Bad(&'static str),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> PageError {
        PageError::App(e)
    }
}

impl PageError {
    /// A bad request with this explanation (already in the user's language).
    pub fn bad_request(message: impl Into<String>) -> PageError {
        PageError::App(AppError::BadRequest(message.into()))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let ctx = context::current();
        let c = match &ctx {
            Some(x) => Chrome {
                lang: x.lang,
                path: x.path.clone(),
                user: x.signed_in().cloned(),
            },
            None => Chrome::anonymous(Lang::Id, "/"),
        };
        let l = c.lang;
        let e = match self {
            PageError::App(e) => e,
            PageError::Bad(key) => AppError::BadRequest(t(l, key)),
        };
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
                let request_id = ctx.as_ref().and_then(|x| x.request_id.as_deref());
                tracing::error!(
                    request_id = request_id.unwrap_or("-"),
                    error = %err,
                    "internal error"
                );
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
            }
        };
        let detail = match &e {
            AppError::BadRequest(m) | AppError::Conflict(m) => Some(m.clone()),
            _ => None,
        };
        let request_id = matches!(e, AppError::Internal(_))
            .then(|| ctx.as_ref().and_then(|x| x.request_id.clone()))
            .flatten();
        html_response(
            status,
            page(
                &c,
                &t(l, key),
                html! {
                    h1 { (t(l, key)) }
                    @if let Some(d) = detail { p.error { (d) } }
                    @if let Some(id) = request_id {
                        p.request-id { (t(l, "error-request-id")) ": " code data-request-id { (id) } }
                    }
                    p { a href="/" { (t(l, "back-home")) } }
                },
            ),
        )
    }
}

/// The fallback: any path that is not a page.
pub async fn not_found() -> PageError {
    PageError::App(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{self, RequestContext};

    async fn page_of(e: PageError) -> (StatusCode, String) {
        let ctx = RequestContext::new(Some("req-9".into()), Lang::En, "/people".into());
        let res = context::scope(ctx, async { e.into_response() }).await;
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        (status, String::from_utf8(bytes.to_vec()).expect("utf-8"))
    }

    #[tokio::test]
    async fn an_internal_error_page_shows_the_request_id_and_no_details() {
        let (status, html) = page_of(AppError::internal("cannot hash password: boom").into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(html.contains("req-9"), "{html}");
        assert!(!html.contains("boom"), "{html}");
    }

    #[tokio::test]
    async fn a_bad_request_is_explained_in_the_users_language() {
        let (status, html) = page_of(PageError::Bad("error-csrf")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains(&t(Lang::En, "error-csrf")), "{html}");
        assert!(!html.contains("req-9"), "{html}");
    }
}
