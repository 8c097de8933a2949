//! Security headers on every response, cookie attributes, and sign-in throttling.
#![allow(clippy::disallowed_methods)]

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use pulang_web::WebConfig;

/// The directives of a Content-Security-Policy, by name.
fn csp_directive<'a>(csp: &'a str, name: &str) -> Option<Vec<&'a str>> {
    csp.split(';').map(str::trim).find_map(|d| {
        let mut parts = d.split_whitespace();
        (parts.next() == Some(name)).then(|| parts.collect())
    })
}

fn check_headers(label: &str, path: &str, res: &Resp, failures: &mut Vec<String>) {
    let mut fail = |m: String| failures.push(format!("{label} {path} ({}): {m}", res.status));
    match res.header("content-security-policy") {
        None => fail("no Content-Security-Policy".into()),
        Some(csp) => {
            let script = csp_directive(csp, "script-src")
                .or_else(|| csp_directive(csp, "default-src"))
                .unwrap_or_default();
            if script.is_empty() {
                fail(format!("CSP without script-src: {csp}"));
            }
            for bad in ["'unsafe-inline'", "'unsafe-eval'", "*", "data:"] {
                if script.contains(&bad) {
                    fail(format!("script-src allows {bad}: {csp}"));
                }
            }
            if csp_directive(csp, "frame-ancestors") != Some(vec!["'none'"]) {
                fail(format!("CSP frame-ancestors is not 'none': {csp}"));
            }
            if csp_directive(csp, "default-src") != Some(vec!["'none'"]) {
                fail(format!("CSP default-src is not 'none': {csp}"));
            }
        }
    }
    for (name, want) in [
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("x-content-type-options", "nosniff"),
    ] {
        if res.header(name) != Some(want) {
            fail(format!("{name}: {:?}, want {want:?}", res.header(name)));
        }
    }
    let cache = res.header("cache-control");
    if path.starts_with("/static/") {
        if cache.is_none_or(|c| c.contains("no-store")) {
            fail(format!("static file cache-control {cache:?}"));
        }
    } else if cache != Some("no-store") {
        fail(format!("cache-control {cache:?}, want no-store"));
    }
    // The pages work under that policy: no inline script or style.
    if res.content_type().starts_with("text/html") {
        let html = res.text().to_ascii_lowercase();
        // Scripts only from files under /static/ (the CSP's 'self'), never inline.
        for (i, _) in html.match_indices("<script") {
            let tag = &html[i..html[i..].find("</script>").map_or(html.len(), |e| i + e)];
            let external = tag.starts_with("<script src=\"/static/") && tag.ends_with('>');
            if !external {
                fail(format!("page contains an inline script: {tag:?}"));
            }
        }
        for bad in [
            "<style",
            " style=\"",
            " onclick=",
            " onload=",
            "javascript:",
        ] {
            if html.contains(bad) {
                fail(format!("page contains {bad:?}"));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let env = setup().await;
    let admin = env.creds(Who::GlobalAdmin).clone();
    let police = env.creds(Who::Police).clone();
    let own = env.own_id.clone();
    let pages = [
        "/".to_string(),
        "/login".into(),
        "/people".into(),
        "/people?q=Siti".into(),
        "/people/new".into(),
        format!("/people/{own}"),
        format!("/people/{own}/edit"),
        "/people/no-such-person".into(),
        "/admin".into(),
        "/audit".into(),
        "/stats".into(),
        "/lang/en?next=/people".into(),
        "/no-such-page".into(),
        "/static/pulang.css".into(),
        "/healthz".into(),
        "/readyz".into(),
        "/api/v1/openapi.json".into(),
        "/api/v1/me".into(),
        "/api/v1/people".into(),
        format!("/api/v1/people/{own}"),
        "/api/v1/no-such-route".into(),
    ];
    let mut failures = Vec::new();
    let mut seen = 0;
    for path in &pages {
        let anon = env.send(empty("GET", path)).await;
        check_headers("anon", path, &anon, &mut failures);
        let signed_in = env.send(session_get(path, &admin.session)).await;
        check_headers("admin", path, &signed_in, &mut failures);
        // 403s and the police liaison's minimal view too.
        let limited = env.send(session_get(path, &police.session)).await;
        check_headers("police", path, &limited, &mut failures);
        let api = env.send(bearer_get(path, &admin.token)).await;
        check_headers("bearer", path, &api, &mut failures);
        seen += 4;
    }
    // Writes, refusals and errors from the framework.
    let others: Vec<(&str, Request<Body>)> = vec![
        (
            "/login",
            session_form("/login", "x", &[("username", "a"), ("password", "b")]),
        ),
        (
            "/people",
            session_form("/people", &admin.session, &[("full_name", "No Csrf")]),
        ),
        (
            "/people",
            session_form(
                "/people",
                &admin.session,
                &[("csrf", &admin.csrf), ("full_name", ""), ("site", "PNH")],
            ),
        ),
        (
            "/people",
            session_form(
                "/people",
                &admin.session,
                &[
                    ("csrf", &admin.csrf),
                    ("full_name", "Header Check"),
                    ("site", "PNH"),
                ],
            ),
        ),
        ("/stats", session_form("/stats", &admin.session, &[])),
        (
            "/api/v1/people",
            bearer_json("POST", "/api/v1/people", &admin.token, "{"),
        ),
        (
            "/api/v1/people",
            bearer_json(
                "POST",
                "/api/v1/people",
                &admin.token,
                vec![b' '; 300 * 1024],
            ),
        ),
        (
            "/api/v1/people",
            bearer_json("DELETE", "/api/v1/people", &admin.token, ""),
        ),
        ("/api/v1/me", bearer_get("/api/v1/me", "pul_wrong")),
    ];
    for (path, req) in others {
        let res = env.send(req).await;
        check_headers("other", path, &res, &mut failures);
        seen += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {seen} responses lack a security header:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Cookie attributes, lower-cased, without the name=value pair.
fn attributes(cookie: &str) -> Vec<String> {
    cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

/// Signs in through the login form: the pre-login CSRF cookie, then the form.
async fn sign_in(env: &Env, username: &str, password: &str) -> (Resp, Resp) {
    let page = env.send(empty("GET", "/login")).await;
    assert_eq!(page.status, StatusCode::OK);
    let pre = page
        .set_cookie("pulang_prelogin")
        .expect("pre-login cookie");
    let pre_value = pre
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_string())
        .expect("cookie value");
    let csrf = csrf_in(&page.text()).expect("csrf field on the login page");
    assert_eq!(csrf, pre_value, "double-submit token");
    let res = env
        .send(
            request("POST", "/login")
                .header(header::COOKIE, format!("pulang_prelogin={pre_value}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form_encode(&[
                    ("csrf", &csrf),
                    ("username", username),
                    ("password", password),
                ])))
                .expect("request"),
        )
        .await;
    (page, res)
}

fn assert_flags(what: &str, cookie: &str, secure: bool) {
    let a = attributes(cookie);
    assert!(
        a.contains(&"httponly".to_string()),
        "{what} not HttpOnly: {cookie}"
    );
    assert!(
        a.contains(&"samesite=strict".to_string()),
        "{what} not SameSite=Strict: {cookie}"
    );
    assert!(
        a.contains(&"path=/".to_string()),
        "{what} without Path=/: {cookie}"
    );
    assert_eq!(
        a.contains(&"secure".to_string()),
        secure,
        "{what} Secure should be {secure}: {cookie}"
    );
}

async fn cookie_flags(secure: bool) {
    let env = setup_with(WebConfig {
        secure_cookies: secure,
        ..WebConfig::default()
    })
    .await;
    let (page, res) = sign_in(&env, "pnh_registrar", PASSWORD).await;
    // Served over HTTPS, browsers are told to use nothing else (HSTS); not otherwise.
    assert_eq!(
        page.header("strict-transport-security").is_some(),
        secure,
        "HSTS only with --secure-cookies"
    );
    assert_flags(
        "pre-login cookie",
        &page.set_cookie("pulang_prelogin").expect("pre-login"),
        secure,
    );
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert_eq!(res.header("location"), Some("/"));
    let session = res.set_cookie("pulang_session").expect("session cookie");
    assert_flags("session cookie", &session, secure);
    let max_age = attributes(&session)
        .into_iter()
        .find_map(|a| a.strip_prefix("max-age=").map(str::to_string))
        .expect("Max-Age");
    assert_eq!(max_age, (12 * 3600).to_string());
    // The pre-login cookie is cleared.
    let cleared = res
        .set_cookie("pulang_prelogin")
        .expect("pre-login cleared");
    assert!(
        attributes(&cleared).contains(&"max-age=0".to_string()),
        "{cleared}"
    );
    // The session works.
    let token = session
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_string())
        .expect("token");
    let res = env.send(session_get("/people", &token)).await;
    assert_eq!(res.status, StatusCode::OK);
    // Language and sign-out cookies carry the same flags.
    let res = env.send(empty("GET", "/lang/en?next=/people")).await;
    assert_flags(
        "language cookie",
        &res.set_cookie("pulang_lang").expect("language cookie"),
        secure,
    );
    let creds = env.creds(Who::Caseworker).clone();
    let res = env
        .send(session_form(
            "/logout",
            &creds.session,
            &[("csrf", &creds.csrf)],
        ))
        .await;
    let out = res.set_cookie("pulang_session").expect("session cleared");
    assert_flags("sign-out cookie", &out, secure);
    assert!(attributes(&out).contains(&"max-age=0".to_string()), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_is_httponly_strict_and_not_secure_by_default() {
    cookie_flags(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_is_secure_when_configured() {
    cookie_flags(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_is_throttled_after_five_wrong_passwords() {
    let env = setup().await;
    for i in 1..=5 {
        let (_, res) = sign_in(&env, "pnh_registrar", "wrong-password-123").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert!(res.set_cookie("pulang_session").is_none());
    }
    let failed = env
        .app
        .audit_events(&op(), None, 1000)
        .await
        .expect("audit")
        .iter()
        .filter(|e| e.action == "session.login_failed" && e.actor == "pnh_registrar")
        .count();
    assert_eq!(failed, 5, "failed sign-ins are audited");
    // The sixth attempt is refused even with the right password…
    let (_, res) = sign_in(&env, "pnh_registrar", PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text());
    assert!(
        res.set_cookie("pulang_session").is_none(),
        "signed in while throttled"
    );
    // …however the username is written.
    for name in ["PNH_Registrar", " pnh_registrar", "pnh_registrar\t"] {
        let (_, res) = sign_in(&env, name, PASSWORD).await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{name:?}");
        assert!(res.set_cookie("pulang_session").is_none(), "{name:?}");
    }
    // Another account may still sign in from the same address.
    let (_, res) = sign_in(&env, "pnh_caseworker", PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
    assert!(res.set_cookie("pulang_session").is_some());
}
