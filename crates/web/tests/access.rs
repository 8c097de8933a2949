//! The access matrix: every route × every role × own-site/other-site person, with the expected
//! status; plus the audit trail of person reads, what minimal roles may see, and CSRF.
#![allow(clippy::disallowed_methods)]

mod common;

use std::fmt::Write as _;

use axum::http::{header, StatusCode};
use common::*;
use pulang_app::domain::Role;
use pulang_app::{role_allows, Permission};
use serde_json::json;

/// Which person (or site) a row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The PNH person / site PNH (where every PNH user works).
    Own,
    /// The BKK person / site BKK.
    Other,
    /// Not about a person or site.
    None,
}

struct Row {
    method: &'static str,
    path: &'static str,
    target: Target,
    /// Expected status for: admin (all sites), admin@PNH, registrar, caseworker, police
    /// liaison, analyst, auditor, unauthenticated — in the order of [`Who::ALL`].
    expect: [u16; 8],
}

const fn row(method: &'static str, path: &'static str, target: Target, expect: [u16; 8]) -> Row {
    Row {
        method,
        path,
        target,
        expect,
    }
}

use Target::{None as NA, Other, Own};

/// The policy, route by route. Pages authenticate with the session cookie (and send the
/// session's CSRF token in forms); `/api/v1` with a bearer token. Unauthenticated pages go to
/// `/login` (303); the API answers 401.
#[rustfmt::skip]
const MATRIX: &[Row] = &[
    //                                                         admin* admin  regis  casew  police analys audit  anon
    // public
    row("GET",  "/login",                         NA,    [200,   200,   200,   200,   200,   200,   200,   200]),
    // no pre-login CSRF cookie: refused before any password check
    row("POST", "/login",                         NA,    [403,   403,   403,   403,   403,   403,   403,   403]),
    row("GET",  "/lang/{code}",                   NA,    [303,   303,   303,   303,   303,   303,   303,   303]),
    row("GET",  "/static/pulang.css",             NA,    [200,   200,   200,   200,   200,   200,   200,   200]),
    row("GET",  "/static/interview.js",           NA,    [200,   200,   200,   200,   200,   200,   200,   200]),
    row("GET",  "/static/desk.js",                NA,    [200,   200,   200,   200,   200,   200,   200,   200]),
    row("GET",  "/healthz",                       NA,    [200,   200,   200,   200,   200,   200,   200,   200]),
    row("GET",  "/readyz",                        NA,    [200,   200,   200,   200,   200,   200,   200,   200]),
    row("GET",  "/api/v1/openapi.json",           NA,    [200,   200,   200,   200,   200,   200,   200,   200]),
    // pages
    row("GET",  "/",                              NA,    [303,   303,   303,   303,   303,   303,   303,   303]),
    row("POST", "/logout",                        NA,    [303,   303,   303,   303,   303,   303,   303,   303]),
    row("GET",  "/people",                        NA,    [200,   200,   200,   200,   200,   403,   403,   303]),
    row("POST", "/people",                        Own,   [303,   303,   303,   303,   403,   403,   403,   303]),
    // Another site in the form is a field error on `site` (422), as for an unknown site.
    row("POST", "/people",                        Other, [303,   422,   422,   422,   403,   403,   403,   303]),
    row("GET",  "/people/new",                    NA,    [200,   200,   200,   200,   403,   403,   403,   303]),
    row("GET",  "/people/{id}",                   Own,   [200,   200,   200,   200,   200,   403,   403,   303]),
    row("GET",  "/people/{id}",                   Other, [200,   404,   404,   404,   404,   403,   403,   303]),
    row("POST", "/people/{id}/reveal",            Own,   [200,   200,   200,   200,   200,   403,   403,   303]),
    row("POST", "/people/{id}/reveal",            Other, [200,   404,   404,   404,   404,   403,   403,   303]),
    row("GET",  "/people/{id}/edit",              Own,   [200,   200,   200,   200,   403,   403,   403,   303]),
    row("GET",  "/people/{id}/edit",              Other, [200,   404,   404,   404,   403,   403,   403,   303]),
    row("POST", "/people/{id}/edit",              Own,   [303,   303,   303,   303,   403,   403,   403,   303]),
    row("POST", "/people/{id}/edit",              Other, [303,   404,   404,   404,   403,   403,   403,   303]),
    // screenings: caseworkers (and admins) of the person's site
    row("POST", "/people/{id}/screenings",        Own,   [303,   303,   403,   303,   403,   403,   403,   303]),
    row("POST", "/people/{id}/screenings",        Other, [303,   404,   403,   404,   403,   403,   403,   303]),
    row("GET",  "/screenings/{id}",               Own,   [200,   200,   403,   200,   403,   403,   403,   303]),
    row("GET",  "/screenings/{id}",               Other, [200,   404,   403,   404,   403,   403,   403,   303]),
    row("POST", "/screenings/{id}",               Own,   [303,   303,   403,   303,   403,   403,   403,   303]),
    row("POST", "/screenings/{id}",               Other, [303,   404,   403,   404,   403,   403,   403,   303]),
    // only a signed screening can be corrected: these are drafts
    row("POST", "/screenings/{id}/correct",       Own,   [409,   409,   403,   409,   403,   403,   403,   303]),
    row("POST", "/screenings/{id}/correct",       Other, [409,   404,   403,   404,   403,   403,   403,   303]),
    row("GET",  "/screenings/{id}/record",        Own,   [200,   200,   403,   200,   403,   403,   403,   303]),
    row("GET",  "/screenings/{id}/record",        Other, [200,   404,   403,   404,   403,   403,   403,   303]),
    row("GET",  "/screenings/{id}/record.pdf",    Own,   [200,   200,   403,   200,   403,   403,   403,   303]),
    row("GET",  "/screenings/{id}/record.pdf",    Other, [200,   404,   403,   404,   403,   403,   403,   303]),
    // importing lists: whoever may register people
    row("GET",  "/imports",                       NA,    [200,   200,   200,   200,   403,   403,   403,   303]),
    row("POST", "/imports",                       Own,   [200,   200,   200,   200,   403,   403,   403,   303]),
    // an unknown upload token: nothing to confirm
    row("POST", "/imports/confirm",               NA,    [404,   404,   404,   404,   403,   403,   403,   303]),
    // an unknown import job; reverting an unknown batch: administrators only
    row("GET",  "/imports/jobs/{id}",             NA,    [404,   404,   404,   404,   403,   403,   403,   303]),
    row("POST", "/imports/{id}/revert",           NA,    [404,   404,   403,   403,   403,   403,   403,   303]),
    // the arrival desk: whoever may register people; the match panel: whoever may find them
    row("GET",  "/desk",                          NA,    [200,   200,   200,   200,   403,   403,   403,   303]),
    row("POST", "/desk",                          Own,   [303,   303,   303,   303,   403,   403,   403,   303]),
    row("POST", "/desk",                          Other, [303,   422,   422,   422,   403,   403,   403,   303]),
    row("POST", "/desk/matches",                  NA,    [200,   200,   200,   200,   200,   403,   403,   303]),
    row("GET",  "/desk/slip/{id}",                Own,   [200,   200,   200,   200,   403,   403,   403,   303]),
    row("GET",  "/desk/slip/{id}",                Other, [200,   404,   404,   404,   403,   403,   403,   303]),
    row("GET",  "/groups",                        NA,    [200,   200,   200,   200,   200,   403,   403,   303]),
    row("POST", "/groups",                        Own,   [303,   303,   303,   303,   403,   403,   403,   303]),
    row("POST", "/groups",                        Other, [303,   400,   400,   400,   403,   403,   403,   303]),
    row("GET",  "/groups/{id}",                   Own,   [200,   200,   200,   200,   200,   403,   403,   303]),
    row("GET",  "/groups/{id}",                   Other, [200,   404,   404,   404,   404,   403,   403,   303]),
    row("POST", "/people/{id}/milestones",        Own,   [303,   303,   303,   303,   403,   403,   403,   303]),
    row("POST", "/people/{id}/milestones",        Other, [303,   404,   404,   404,   403,   403,   403,   303]),
    row("POST", "/people/{id}/flags",             Own,   [303,   303,   303,   303,   403,   403,   403,   303]),
    row("POST", "/people/{id}/flags",             Other, [303,   404,   404,   404,   403,   403,   403,   303]),
    // possible duplicates: caseworkers and admins
    row("GET",  "/reviews",                       NA,    [200,   200,   403,   200,   403,   403,   403,   303]),
    row("POST", "/reviews/scan",                  NA,    [303,   303,   403,   303,   403,   403,   403,   303]),
    row("GET",  "/reviews/{id}",                  Own,   [200,   200,   403,   200,   403,   403,   403,   303]),
    row("GET",  "/reviews/{id}",                  Other, [200,   404,   403,   404,   403,   403,   403,   303]),
    row("POST", "/reviews/{id}",                  Own,   [303,   303,   403,   303,   403,   403,   403,   303]),
    row("POST", "/reviews/{id}",                  Other, [303,   404,   403,   404,   403,   403,   403,   303]),
    // an unknown merge: nothing to undo
    row("POST", "/merges/{id}/undo",              NA,    [404,   404,   403,   404,   403,   403,   403,   303]),
    row("GET",  "/admin",                         NA,    [200,   200,   403,   403,   403,   403,   403,   303]),
    // adding a site needs administration of every site
    row("POST", "/admin/sites",                   NA,    [200,   403,   403,   403,   403,   403,   403,   303]),
    row("POST", "/admin/users",                   Own,   [200,   200,   403,   403,   403,   403,   403,   303]),
    row("POST", "/admin/users",                   Other, [200,   403,   403,   403,   403,   403,   403,   303]),
    row("POST", "/admin/users/{username}/revoke",     Own,   [200,   200,   403,   403,   403,   403,   403,   303]),
    row("POST", "/admin/users/{username}/revoke",     Other, [200,   403,   403,   403,   403,   403,   403,   303]),
    // one's own API tokens: everyone signed in; revoking another user's: who manages that user
    // (the PNH user's for admin@PNH); any other token reads as not found
    row("GET",  "/account",                       NA,    [200,   200,   200,   200,   200,   200,   200,   303]),
    row("POST", "/account/tokens",                NA,    [201,   201,   201,   201,   201,   201,   201,   303]),
    row("POST", "/account/tokens/{id}/revoke",    Own,   [303,   303,   404,   404,   404,   404,   404,   303]),
    row("POST", "/account/tokens/{id}/revoke",    Other, [303,   404,   404,   404,   404,   404,   404,   303]),
    row("GET",  "/audit",                         NA,    [200,   200,   403,   403,   403,   403,   200,   303]),
    row("GET",  "/stats",                         NA,    [200,   200,   200,   200,   403,   200,   200,   303]),
    // API
    row("GET",  "/api/v1/me",                     NA,    [200,   200,   200,   200,   200,   200,   200,   401]),
    row("GET",  "/api/v1/sites",                  NA,    [200,   200,   200,   200,   200,   200,   200,   401]),
    row("GET",  "/api/v1/people",                 NA,    [200,   200,   200,   200,   200,   403,   403,   401]),
    row("POST", "/api/v1/people",                 Own,   [201,   201,   201,   201,   403,   403,   403,   401]),
    row("POST", "/api/v1/people",                 Other, [201,   422,   422,   422,   403,   403,   403,   401]),
    row("GET",  "/api/v1/people/{id}",            Own,   [200,   200,   200,   200,   200,   403,   403,   401]),
    row("GET",  "/api/v1/people/{id}",            Other, [200,   404,   404,   404,   404,   403,   403,   401]),
    row("GET",  "/api/v1/people/{id}?reveal=true",Own,   [200,   200,   200,   200,   200,   403,   403,   401]),
    row("GET",  "/api/v1/people/{id}?reveal=true",Other, [200,   404,   404,   404,   404,   403,   403,   401]),
    row("PUT",  "/api/v1/people/{id}",            Own,   [200,   200,   200,   200,   403,   403,   403,   401]),
    row("PUT",  "/api/v1/people/{id}",            Other, [200,   404,   404,   404,   403,   403,   403,   401]),
    row("POST", "/api/v1/people/matches",         NA,    [200,   200,   200,   200,   200,   403,   403,   401]),
    row("POST", "/api/v1/desk/arrivals",          Own,   [201,   201,   201,   201,   403,   403,   403,   401]),
    row("POST", "/api/v1/desk/arrivals",          Other, [201,   422,   422,   422,   403,   403,   403,   401]),
    row("GET",  "/api/v1/groups",                 NA,    [200,   200,   200,   200,   200,   403,   403,   401]),
    row("POST", "/api/v1/groups",                 Own,   [201,   201,   201,   201,   403,   403,   403,   401]),
    row("POST", "/api/v1/groups",                 Other, [201,   422,   422,   422,   403,   403,   403,   401]),
    row("GET",  "/api/v1/groups/{id}",            Own,   [200,   200,   200,   200,   200,   403,   403,   401]),
    row("GET",  "/api/v1/groups/{id}",            Other, [200,   404,   404,   404,   404,   403,   403,   401]),
    row("GET",  "/api/v1/reviews",                NA,    [200,   200,   403,   200,   403,   403,   403,   401]),
    row("POST", "/api/v1/reviews/{id}",           Own,   [200,   200,   403,   200,   403,   403,   403,   401]),
    row("POST", "/api/v1/reviews/{id}",           Other, [200,   404,   403,   404,   403,   403,   403,   401]),
    row("GET",  "/api/v1/stats",                  NA,    [200,   200,   200,   200,   403,   200,   200,   401]),
    row("GET",  "/api/v1/audit/verify",           NA,    [200,   200,   403,   403,   403,   403,   200,   401]),
    row("GET",  "/api/v1/tokens",                 NA,    [200,   200,   200,   200,   200,   200,   200,   401]),
    row("GET",  "/api/v1/tokens?all=true",        NA,    [200,   200,   403,   403,   403,   403,   403,   401]),
    // a token cannot make tokens (the matrix calls the API with bearer tokens)
    row("POST", "/api/v1/tokens",                 NA,    [403,   403,   403,   403,   403,   403,   403,   401]),
    row("DELETE", "/api/v1/tokens/{id}",          Own,   [204,   204,   404,   404,   404,   404,   404,   401]),
    row("DELETE", "/api/v1/tokens/{id}",          Other, [204,   404,   404,   404,   404,   404,   404,   401]),
    // unknown routes (the fallbacks)
    row("GET",  "/no-such-page",                  NA,    [404,   404,   404,   404,   404,   404,   404,   404]),
    row("GET",  "/api/v1/no-such-route",          NA,    [404,   404,   404,   404,   404,   404,   404,   404]),
];

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn route_key(r: &Row) -> (String, String) {
    let path = r.path.split('?').next().unwrap_or(r.path);
    (r.method.to_string(), path.to_string())
}

/// What kind of person read a row is, for the audit check.
fn read_action(r: &Row) -> Option<&'static str> {
    match (r.method, r.path) {
        ("GET", "/people/{id}") | ("GET", "/api/v1/people/{id}") => Some("person.read"),
        ("POST", "/people/{id}/reveal") | ("GET", "/api/v1/people/{id}?reveal=true") => {
            Some("person.reveal")
        }
        ("GET", "/people/{id}/edit") => Some("person.read_for_edit"),
        _ => None,
    }
}

fn is_search(r: &Row) -> bool {
    matches!(
        (r.method, r.path),
        ("GET", "/people") | ("GET", "/api/v1/people")
    )
}

fn is_stats(r: &Row) -> bool {
    matches!(r.path, "/stats" | "/api/v1/stats")
}

fn other_person_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("full_name", OTHER_NAME),
        ("sex", "F"),
        ("birth_date", OWN_BIRTH),
        ("nationality", "ID"),
        ("nik", OTHER_NIK),
        ("passport_no", OTHER_PASSPORT),
        ("phones", "0857 1234 567"),
    ]
}

fn fields_json(fields: &[(&str, &str)]) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (k, v) in fields {
        if v.is_empty() {
            continue;
        }
        let v = match *k {
            "aliases" | "phones" | "languages" => json!([v]),
            _ => json!(v),
        };
        m.insert(k.to_string(), v);
    }
    serde_json::Value::Object(m)
}

/// Builds the request for one cell of the matrix.
async fn build(
    env: &Env,
    r: &Row,
    who: Who,
    serial: usize,
) -> axum::http::Request<axum::body::Body> {
    let (site, dummy) = match r.target {
        Other => ("BKK", "bkk_dummy"),
        _ => ("PNH", "pnh_dummy"),
    };
    let path = r.path.trim_start_matches("/api/v1");
    // A token of the site's dummy user, fresh for each cell (a revoke uses it up).
    let token_id = if r.path.contains("tokens/{id}") {
        env.app
            .create_token(&op(), dummy, "matrix", None)
            .await
            .expect("token")
            .id
    } else {
        String::new()
    };
    let person = match (r.target, path.split('/').nth(1).unwrap_or("")) {
        (_, "tokens" | "account") => token_id.as_str(),
        (Other, "screenings") => env.other_screening.as_str(),
        (_, "screenings") => env.own_screening.as_str(),
        (Other, "groups") => env.other_group.as_str(),
        (_, "groups") => env.own_group.as_str(),
        (Other, "reviews") => env.other_review.as_str(),
        (_, "reviews") => env.own_review.as_str(),
        (_, "merges") => "no-such-merge",
        (_, "imports") => "no-such-import",
        (Other, _) => env.other_id.as_str(),
        (_, _) => env.own_id.as_str(),
    };
    let uri = r
        .path
        .replace("{id}", person)
        .replace("{username}", dummy)
        .replace("{code}", "en");
    let creds = who.username().map(|_| env.creds(who).clone());
    // Logging out must not end the session the other rows use.
    let creds = match (r.path, creds) {
        ("/logout", Some(c)) => {
            let s = env
                .app
                .login(&c.username, PASSWORD, "127.0.0.1")
                .await
                .expect("fresh session");
            Some(Creds {
                session: s.token,
                csrf: s.csrf,
                ..c
            })
        }
        (_, c) => c,
    };
    let mut b = request(r.method, &uri);
    if let Some(c) = &creds {
        b = if is_api(r.path) {
            b.header(header::AUTHORIZATION, format!("Bearer {}", c.token))
        } else {
            b.header(header::COOKIE, format!("pulang_session={}", c.session))
        };
    }
    let csrf = creds.as_ref().map(|c| c.csrf.clone()).unwrap_or_default();
    let person_fields = match r.target {
        Other => other_person_fields(),
        _ => own_person_fields(),
    };
    let name = format!("Matrix Person {serial}");
    let form: Option<Vec<(&str, String)>> = match (r.method, r.path) {
        ("POST", "/login") => Some(vec![
            ("username", "pnh_registrar".into()),
            ("password", PASSWORD.into()),
        ]),
        ("POST", "/screenings/{id}") => Some(vec![
            ("section", "recruitment".into()),
            ("action", "save".into()),
            ("v:ilo.d1.1", "present".into()),
        ]),
        ("POST", "/logout")
        | ("POST", "/people/{id}/screenings")
        | ("POST", "/screenings/{id}/correct")
        | ("POST", "/imports/confirm")
        | ("POST", "/people/{id}/reveal")
        | ("POST", "/admin/users/{username}/revoke") => Some(vec![]),
        ("POST", "/people") => Some(vec![
            ("full_name", name.clone()),
            ("sex", "F".into()),
            ("site", site.into()),
            ("arrival_route", "walk_in".into()),
        ]),
        ("POST", "/desk") => Some(vec![
            ("full_name", name.clone()),
            ("sex", "F".into()),
            ("age", "30".into()),
            ("site", site.into()),
            ("confirmed_new", "yes".into()),
        ]),
        ("POST", "/desk/matches") => Some(vec![("full_name", OWN_NAME.into())]),
        ("POST", "/groups") => Some(vec![
            ("name", format!("Group {serial}")),
            ("kind", "police_handover".into()),
            ("site", site.into()),
        ]),
        ("POST", "/people/{id}/milestones") => Some(vec![("milestone", "sheltered".into())]),
        ("POST", "/account/tokens") => Some(vec![
            ("label", format!("matrix {serial}")),
            ("days", "30".into()),
        ]),
        ("POST", "/account/tokens/{id}/revoke") => Some(vec![]),
        ("POST", "/people/{id}/flags") => Some(vec![("flags", "interpreter".into())]),
        ("POST", "/reviews/{id}") => Some(vec![("decision", "defer".into())]),
        ("POST", "/reviews/scan")
        | ("POST", "/merges/{id}/undo")
        | ("POST", "/imports/{id}/revert") => Some(vec![]),
        ("POST", "/people/{id}/edit") => Some(
            person_fields
                .iter()
                .map(|(k, v)| (*k, v.to_string()))
                .collect(),
        ),
        ("POST", "/admin/sites") => Some(vec![
            ("code", format!("T{serial:03}")),
            ("name", format!("Test site {serial}")),
            ("timezone", "Asia/Jakarta".into()),
        ]),
        ("POST", "/admin/users") => Some(vec![
            ("username", format!("matrix_user_{serial}")),
            ("password", PASSWORD.into()),
            ("role", "registrar".into()),
            ("site", site.into()),
        ]),
        _ => None,
    };
    if let Some(mut fields) = form {
        fields.insert(0, ("csrf", csrf));
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        return b
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form_encode(&pairs).into())
            .expect("request");
    }
    if (r.method, r.path) == ("POST", "/imports") {
        let boundary = "matrixboundary";
        let part = |name: &str, value: &str| {
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        };
        let body = format!(
            "{}{}--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\nContent-Type: text/csv\r\n\r\nNama,L/P\nMatrix Import {serial},P\n\r\n--{boundary}--\r\n",
            part("csrf", &csrf),
            part("site", site),
        );
        return b
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body.into())
            .expect("request");
    }
    let body = match (r.method, r.path) {
        ("POST", "/api/v1/people") => Some(json!({"full_name": name, "site": site})),
        ("POST", "/api/v1/people/matches") => Some(json!({"full_name": OWN_NAME})),
        ("POST", "/api/v1/desk/arrivals") => {
            Some(json!({"full_name": name, "site": site, "age": 30, "confirmed_new": true}))
        }
        ("POST", "/api/v1/groups") => Some(
            json!({"name": format!("Group {serial}"), "kind": "rescue_operation", "site": site}),
        ),
        ("POST", "/api/v1/reviews/{id}") => Some(json!({"decision": "defer"})),
        ("POST", "/api/v1/tokens") => Some(json!({"label": format!("matrix {serial}")})),
        ("PUT", "/api/v1/people/{id}") => Some(fields_json(&person_fields)),
        _ => None,
    };
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(v.to_string().into())
            .expect("request"),
        None => b.body(axum::body::Body::empty()).expect("request"),
    }
}

fn is_redirect(s: u16) -> bool {
    matches!(s, 302 | 303 | 307)
}

#[tokio::test]
async fn matrix_covers_every_route_in_the_router() {
    let declared = declared_routes();
    assert!(
        declared.len() > 20,
        "router source not parsed: {declared:?}"
    );
    let tested: std::collections::BTreeSet<(String, String)> = MATRIX
        .iter()
        .filter(|r| !r.path.contains("no-such"))
        .map(route_key)
        .collect();
    let missing: Vec<_> = declared.difference(&tested).collect();
    let stale: Vec<_> = tested.difference(&declared).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "routes in the router but not in MATRIX: {missing:?}\nrows in MATRIX for no route: {stale:?}"
    );
}

/// The expectations in MATRIX follow from this policy (`pulang_app::role_allows`).
#[test]
fn matrix_policy_matches_role_allows() {
    use Permission::*;
    let full = [
        RegisterPerson,
        ReadPerson,
        ReadPersonMinimal,
        EditPerson,
        ViewStats,
    ];
    let expected: [(Role, &[Permission]); 6] = [
        (Role::Admin, &Permission::ALL),
        (Role::Registrar, &full),
        (
            Role::Caseworker,
            &[
                RegisterPerson,
                ReadPerson,
                ReadPersonMinimal,
                EditPerson,
                ViewStats,
                Screen,
                ResolveIdentity,
            ],
        ),
        (Role::PoliceLiaison, &[ReadPersonMinimal]),
        (Role::Analyst, &[ViewStats]),
        (Role::Auditor, &[ViewAudit, ViewStats]),
    ];
    for (role, allowed) in expected {
        for p in Permission::ALL {
            assert_eq!(
                role_allows(role, p),
                allowed.contains(&p),
                "role_allows({role:?}, {p:?}) disagrees with the matrix's policy"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_role_site_matrix() {
    let env = setup().await;
    let mut failures: Vec<[String; 6]> = Vec::new();
    let mut table = String::new();
    let mut serial = 0usize;
    for r in MATRIX {
        let mut cells = Vec::new();
        for (col, who) in Who::ALL.into_iter().enumerate() {
            serial += 1;
            let want = r.expect[col];
            let subject = match r.target {
                Other => env.other_id.clone(),
                _ => env.own_id.clone(),
            };
            let before = env.audit_about(&subject).await.len();
            let req = build(&env, r, who, serial).await;
            let res = env.send(req).await;
            let got = res.status.as_u16();
            cells.push(got);
            let mut problems: Vec<String> = Vec::new();
            if got != want {
                problems.push(String::new());
            }
            let body = res.text();
            // Each of `secrets` that the body shows, as a problem.
            let shown = |secrets: &[&str], what: &str| -> Vec<String> {
                secrets
                    .iter()
                    .filter(|s| body.contains(**s))
                    .map(|s| format!("{what} {s:?}"))
                    .collect()
            };
            // Unauthenticated: pages go to the sign-in page, the API answers problem+json.
            if who == Who::Anon && is_redirect(got) && !r.path.starts_with("/lang/") {
                let loc = res.header("location").unwrap_or("");
                if loc != "/login" {
                    problems.push(format!("redirects to {loc:?}, not /login"));
                }
            }
            if is_api(r.path) && got >= 400 && res.content_type() != "application/problem+json" {
                problems.push(format!("content-type {:?}", res.content_type()));
            }
            // Every person read is in the audit log (a refused read of another site's
            // person too).
            if let (Some(action), Some(user)) = (read_action(r), who.username()) {
                let after = env.audit_about(&subject).await;
                let new = &after[..after.len() - before];
                let wanted = match got {
                    200 => Some(action),
                    404 => Some("person.read_denied"),
                    _ => None,
                };
                if let Some(a) = wanted {
                    if !new.iter().any(|e| e.action == a && e.actor == user) {
                        problems.push(format!(
                            "no {a} audit event (new: {:?})",
                            new.iter().map(|e| &e.action).collect::<Vec<_>>()
                        ));
                    }
                }
            }
            if let (true, 200, Some(user)) = (is_search(r), got, who.username()) {
                let e = env.newest_audit().await;
                if e.action != "person.search" || e.actor != user {
                    problems.push(format!("search not audited (newest: {})", e.action));
                }
            }
            // The police liaison sees the minimal record only.
            if who == Who::Police && read_action(r).is_some() && got == 200 {
                let secrets = [
                    OWN_NIK,
                    OWN_NIK_MASKED,
                    OWN_PASSPORT,
                    OWN_PASSPORT_MASKED,
                    OWN_PHONE_DIGITS,
                    OWN_NOTES,
                    OWN_ALIAS,
                    OWN_REGENCY,
                    OWN_BIRTH,
                ];
                problems.extend(shown(&secrets, "minimal view shows"));
            }
            // Full readers see identifiers masked unless they ask to reveal them.
            if matches!(
                (r.method, r.path),
                ("GET", "/people/{id}") | ("GET", "/api/v1/people/{id}")
            ) && r.target == Own
                && got == 200
                && body.contains(OWN_NIK)
            {
                problems.push("NIK shown unmasked without reveal".into());
            }
            // Statistics carry no personal data.
            if is_stats(r) && got == 200 {
                let secrets = [
                    OWN_NAME,
                    OTHER_NAME,
                    env.own_case.as_str(),
                    env.other_case.as_str(),
                    env.own_id.as_str(),
                    env.other_id.as_str(),
                    OWN_NIK,
                    OTHER_NIK,
                    OWN_PASSPORT,
                    OWN_PHONE_DIGITS,
                    OWN_NOTES,
                    OTHER_NOTES,
                    OWN_BIRTH,
                ];
                problems.extend(shown(&secrets, "statistics show"));
            }
            if !problems.is_empty() {
                let note = problems
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join("; ");
                let snippet: String = body.chars().take(120).collect::<String>();
                failures.push([
                    format!("{} {}", r.method, r.path),
                    format!("{:?}", r.target),
                    who.label().to_string(),
                    want.to_string(),
                    got.to_string(),
                    if note.is_empty() {
                        snippet.replace('\n', " ")
                    } else {
                        note
                    },
                ]);
            }
        }
        let _ = writeln!(
            table,
            "{:<6} {:<36} {:<6} {}",
            r.method,
            r.path,
            format!("{:?}", r.target),
            cells.iter().map(|c| format!("{c:>6}")).collect::<String>()
        );
    }
    println!(
        "{:<6} {:<36} {:<6} {}\n{table}",
        "",
        "observed",
        "",
        Who::ALL
            .iter()
            .map(|w| format!("{:>6}", &w.label()[..w.label().len().min(6)]))
            .collect::<String>()
    );
    if !failures.is_empty() {
        let mut out = format!(
            "{} of {} cells differ from the policy:\n{:<42} {:<6} {:<10} {:>4} {:>4}  note\n",
            failures.len(),
            MATRIX.len() * Who::ALL.len(),
            "route",
            "target",
            "who",
            "want",
            "got"
        );
        for f in &failures {
            let _ = writeln!(
                out,
                "{:<42} {:<6} {:<10} {:>4} {:>4}  {}",
                f[0], f[1], f[2], f[3], f[4], f[5]
            );
        }
        panic!("{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_posts_without_the_right_csrf_are_refused_and_save_nothing() {
    let env = setup().await;
    let reg = env.creds(Who::Registrar).clone();
    let admin = env.creds(Who::GlobalAdmin).clone();
    let people = env.person_count().await;
    let register = |csrf: Option<&str>| {
        let mut f = vec![("full_name", "Csrf Victim"), ("sex", "F"), ("site", "PNH")];
        if let Some(c) = csrf {
            f.insert(0, ("csrf", c));
        }
        session_form("/people", &reg.session, &f)
    };
    // No csrf field, a wrong one, an empty one and another session's.
    for csrf in [None, Some("wrong"), Some(""), Some(admin.csrf.as_str())] {
        let res = env.send(register(csrf)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "csrf {csrf:?}");
        assert_eq!(env.person_count().await, people, "csrf {csrf:?} saved");
    }
    // The same form with the session's token works.
    let res = env.send(register(Some(&reg.csrf))).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(env.person_count().await, people + 1);

    // Editing.
    let version = env.version_of(&env.own_id).await;
    let mut fields = own_person_fields();
    fields[0] = ("full_name", "Renamed Without Csrf");
    let uri = format!("/people/{}/edit", env.own_id);
    let res = env.send(session_form(&uri, &reg.session, &fields)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    fields.insert(0, ("csrf", "wrong"));
    let res = env.send(session_form(&uri, &reg.session, &fields)).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(env.version_of(&env.own_id).await, version, "edit saved");

    // Revealing is an audited read: refused without the token, and not recorded as a reveal.
    let reveals = |events: Vec<pulang_app::AuditEvent>| {
        events
            .iter()
            .filter(|e| e.action == "person.reveal")
            .count()
    };
    let before = reveals(env.audit_about(&env.own_id).await);
    let uri = format!("/people/{}/reveal", env.own_id);
    let res = env.send(session_form(&uri, &reg.session, &[])).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert!(!res.text().contains(OWN_NIK));
    assert_eq!(reveals(env.audit_about(&env.own_id).await), before);

    // Administration.
    let users = env.app.users(&op()).await.expect("users").len();
    let res = env
        .send(session_form(
            "/admin/users",
            &admin.session,
            &[
                ("username", "csrf_user"),
                ("password", PASSWORD),
                ("role", "admin"),
                ("site", ""),
            ],
        ))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = env
        .send(session_form(
            "/admin/sites",
            &admin.session,
            &[
                ("csrf", "nope"),
                ("code", "CSRF"),
                ("name", "x"),
                ("timezone", "UTC"),
            ],
        ))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(env.app.users(&op()).await.expect("users").len(), users);
    let sites = env.app.sites(&op()).await.expect("sites");
    assert!(!sites.iter().any(|s| s.code == "CSRF"), "site added");

    // Signing out without the token does nothing: the session lives, and the cookie stays
    // (clearing it would make the person believe they had signed out).
    let res = env.send(session_form("/logout", &reg.session, &[])).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.set_cookie("pulang_session"), None, "cookie left alone");
    let res = env.send(session_get("/people", &reg.session)).await;
    assert_eq!(res.status, StatusCode::OK, "session ended without CSRF");
    // With it, the session ends.
    let res = env
        .send(session_form(
            "/logout",
            &reg.session,
            &[("csrf", &reg.csrf)],
        ))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let res = env.send(session_get("/people", &reg.session)).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header("location"), Some("/login"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_writes_with_a_session_need_the_csrf_header() {
    let env = setup().await;
    let reg = env.creds(Who::Registrar).clone();
    let people = env.person_count().await;
    let body = json!({"full_name": "Api Csrf", "site": "PNH"}).to_string();
    let with_session = |csrf: Option<&str>, method: &str, uri: &str, body: &str| {
        let mut b = request(method, uri)
            .header(header::COOKIE, format!("pulang_session={}", reg.session))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(c) = csrf {
            b = b.header("x-csrf-token", c);
        }
        b.body(axum::body::Body::from(body.to_string()))
            .expect("request")
    };
    for csrf in [None, Some("wrong"), Some("")] {
        let res = env
            .send(with_session(csrf, "POST", "/api/v1/people", &body))
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "csrf {csrf:?}");
        assert_eq!(res.content_type(), "application/problem+json");
        assert_eq!(env.person_count().await, people);
    }
    let version = env.version_of(&env.own_id).await;
    let put = json!({"full_name": "Renamed Via Session"}).to_string();
    let uri = format!("/api/v1/people/{}", env.own_id);
    let res = env.send(with_session(None, "PUT", &uri, &put)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(env.version_of(&env.own_id).await, version);

    // Reading with the session needs no header.
    let res = env.send(session_get("/api/v1/me", &reg.session)).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["username"], "pnh_registrar");

    // The session's token in the header works…
    let res = env
        .send(with_session(
            Some(&reg.csrf),
            "POST",
            "/api/v1/people",
            &body,
        ))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    // …and so does a bearer token, which needs no CSRF header.
    let res = env
        .send(bearer_json(
            "POST",
            "/api/v1/people",
            &reg.token,
            body.clone(),
        ))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    assert_eq!(env.person_count().await, people + 2);
    // A wrong bearer token is not a session.
    let res = env
        .send(bearer_json("POST", "/api/v1/people", "pul_nope", body))
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_eq!(res.content_type(), "application/problem+json");
    assert_eq!(env.person_count().await, people + 2);
}

/// Search (by name, case number, NIK, passport or phone) finds only people on the caller's
/// sites, and its count matches what it finds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_stays_within_the_callers_sites() {
    let env = setup().await;
    let queries = [
        OWN_NAME,
        OWN_NIK,
        OWN_PASSPORT,
        OWN_PHONE,
        env.own_case.as_str(),
        OTHER_NAME,
        OTHER_NIK,
        OTHER_PASSPORT,
        env.other_case.as_str(),
    ];
    for who in [Who::GlobalAdmin, Who::Registrar, Who::Police] {
        let c = env.creds(who);
        for q in queries {
            let is_other = [
                OTHER_NAME,
                OTHER_NIK,
                OTHER_PASSPORT,
                env.other_case.as_str(),
            ]
            .contains(&q);
            let want: Vec<&str> = match (is_other, who) {
                (true, Who::GlobalAdmin) => vec![env.other_id.as_str()],
                (true, _) => vec![],
                (false, _) => vec![env.own_id.as_str()],
            };
            let uri = format!(
                "/api/v1/people?q={}",
                form_encode(&[("", q)])[1..].to_owned()
            );
            let res = env.send(bearer_get(&uri, &c.token)).await;
            assert_eq!(res.status, StatusCode::OK, "{who:?} {q}");
            let v = res.json();
            let got: Vec<&str> = v["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter_map(|i| i["id"].as_str())
                .collect();
            assert_eq!(got, want, "{who:?} searching {q:?}: {v}");
            assert_eq!(v["total"], want.len(), "{who:?} searching {q:?}: total {v}");
            let page = env
                .send(session_get(
                    &format!("/people?q={}", &uri[uri.find('=').unwrap_or(0) + 1..]),
                    &c.session,
                ))
                .await;
            assert_eq!(page.status, StatusCode::OK);
            if want.is_empty() {
                // (The query itself is echoed in the search box.)
                assert!(
                    !page.text().contains(&format!("/people/{}", env.other_id)),
                    "{who:?} sees another site's person searching {q:?}"
                );
            }
        }
    }
}
