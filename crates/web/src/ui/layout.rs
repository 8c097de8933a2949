//! The page chrome (header, navigation, language links), HTML responses, and the static assets.
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};
use pulang_app::Permission;

use crate::context::SignedIn;
use crate::extract::Web;
use crate::i18n::{t, Lang};

/// What the page chrome needs: language, current path and the signed-in user, if any.
pub struct Chrome {
    pub lang: Lang,
    pub path: String,
    pub user: Option<SignedIn>,
}

impl Chrome {
    pub fn of(web: &Web) -> Chrome {
        Chrome {
            lang: web.lang,
            path: web.path.clone(),
            user: Some(SignedIn::of(&web.scope, &web.csrf)),
        }
    }
    /// For a page nobody is signed in to (sign-in, not found).
    pub fn anonymous(lang: Lang, path: &str) -> Chrome {
        Chrome {
            lang,
            path: path.to_string(),
            user: None,
        }
    }
}

/// The navigation: where each link goes, its message and the permission that shows it.
const NAV: [(&str, &str, Permission, Option<&str>); 9] = [
    ("/people", "nav-people", Permission::ReadPersonMinimal, None),
    ("/desk", "nav-desk", Permission::RegisterPerson, Some("d")),
    (
        "/people/new",
        "nav-register",
        Permission::RegisterPerson,
        Some("n"),
    ),
    ("/groups", "nav-groups", Permission::ReadPersonMinimal, None),
    ("/reviews", "nav-reviews", Permission::ResolveIdentity, None),
    ("/imports", "nav-imports", Permission::RegisterPerson, None),
    ("/stats", "nav-stats", Permission::ViewStats, None),
    ("/audit", "nav-audit", Permission::ViewAudit, None),
    ("/admin", "nav-admin", Permission::ManageUsers, None),
];

pub fn page(c: &Chrome, title: &str, body: Markup) -> Markup {
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
                    @if let Some(w) = &c.user {
                        nav aria-label=(t(l, "nav-label")) {
                            @for (href, key, perm, accesskey) in NAV {
                                @if w.can(perm) { a href=(href) accesskey=[accesskey] { (t(l, key)) } }
                            }
                        }
                    }
                    div.lang {
                        a data-lang="id" lang="id" href={ "/lang/id?next=" (next) } aria-current=[(l == Lang::Id).then_some("true")] { "Bahasa Indonesia" }
                        " · "
                        a data-lang="en" lang="en" href={ "/lang/en?next=" (next) } aria-current=[(l == Lang::En).then_some("true")] { "English" }
                    }
                    @if let Some(w) = &c.user {
                        form #logout method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(w.csrf);
                            a.user href="/account" title=(t(l, "account-title")) { (w.username) }
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

/// A page of the signed-in user's: 200 with the chrome around `body`.
pub fn ok_page(web: &Web, title: &str, body: Markup) -> Response {
    html_response(StatusCode::OK, page(&Chrome::of(web), title, body))
}

pub fn html_response(status: StatusCode, m: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        m.into_string(),
    )
        .into_response()
}

pub fn urlencode(s: &str) -> String {
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

/// `next` if it is a path on this site, else `default`. Browsers drop tabs and newlines from a
/// URL and read `\\` as `/`, so `/\t/evil.example` would leave the site: any control character,
/// white space or backslash disqualifies it, and what is left must parse as a bare path.
pub fn local_path(next: Option<String>, default: String) -> String {
    match next {
        Some(n) if is_local_path(&n) => n,
        _ => default,
    }
}

pub fn is_local_path(n: &str) -> bool {
    n.starts_with('/')
        && !n.starts_with("//")
        && !n
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        && n.parse::<axum::http::Uri>()
            .is_ok_and(|u| u.scheme().is_none() && u.authority().is_none())
}

/// A timestamp (ms) as UTC wall-clock time.
pub fn format_ms(ms: i64) -> String {
    pulang_app::local_time(ms, "UTC")
}

pub fn date_string(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Today (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    date_string(time::OffsetDateTime::now_utc().date())
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/pulang.css"),
    )
}

pub async fn interview_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/interview.js"),
    )
}

pub async fn desk_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/desk.js"),
    )
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_site() {
        let go = |n: &str| local_path(Some(n.to_string()), "/".into());
        for ok in ["/people", "/people/1?x=2", "/groups/a-b"] {
            assert_eq!(go(ok), ok);
        }
        for bad in [
            "//evil.example",
            "/\t/evil.example/x",
            "/\n/evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "evil.example",
            "/ /evil.example",
            "/\u{3000}/evil.example",
            "/\u{0}",
            "",
        ] {
            assert_eq!(go(bad), "/", "{bad:?}");
        }
    }
}
