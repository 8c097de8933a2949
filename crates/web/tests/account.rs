//! The account page: API tokens made (the secret shown once), listed without secrets and
//! revoked; the API's token routes with a browser session; and a refused password explained in
//! the reader's language.
mod common;

use axum::http::header;
use common::*;

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_made_listed_and_revoked_on_the_account_page() {
    let env = setup().await;
    let c = env.creds(Who::Analyst);
    let res = env
        .send(session_form(
            "/account/tokens",
            &c.session,
            &[
                ("csrf", &c.csrf),
                ("label", "weekly figures"),
                ("days", "30"),
            ],
        ))
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text());
    let page = res.text();
    let secret = between(&page, "<code id=\"new-token-secret\">", "</code>")
        .expect("the secret, once")
        .to_string();
    assert!(secret.starts_with("pul_"));
    let api = env.send(bearer_get("/api/v1/me", &secret)).await;
    assert_eq!(api.status.as_u16(), 200, "the new token works");

    // Listed by label, never with the secret.
    let res = env.send(session_get("/account", &c.session)).await;
    let page = res.text();
    assert!(page.contains("weekly figures"));
    assert!(!page.contains(&secret), "the secret is shown again");
    let listed = env
        .send(bearer_get("/api/v1/tokens", &c.token))
        .await
        .json();
    let item = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|t| t["label"] == "weekly figures")
        .expect("listed by the API")
        .clone();
    assert!(!listed.to_string().contains(&secret));
    assert!(
        item["last_used_at"].is_i64(),
        "its use was recorded: {item}"
    );

    // Revoked from the page: gone, and refused.
    let id = item["id"].as_str().expect("id");
    let res = env
        .send(session_form(
            &format!("/account/tokens/{id}/revoke"),
            &c.session,
            &[("csrf", &c.csrf), ("back", "https://evil.example/")],
        ))
        .await;
    assert_eq!(res.status.as_u16(), 303);
    assert_eq!(
        res.header("location"),
        Some("/account"),
        "back only to this site"
    );
    let api = env.send(bearer_get("/api/v1/me", &secret)).await;
    assert_eq!(api.status.as_u16(), 401, "a revoked token is refused");
    let page = env.send(session_get("/account", &c.session)).await.text();
    assert!(!page.contains("weekly figures"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_makes_tokens_with_a_session_only() {
    let env = setup().await;
    let c = env.creds(Who::Registrar);
    let post = |auth: (&'static str, String), csrf: Option<&str>| {
        let mut b = request("POST", "/api/v1/tokens")
            .header(auth.0, auth.1)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(x) = csrf {
            b = b.header("x-csrf-token", x);
        }
        b.body(r#"{"label": "sync", "days": 7}"#.into())
            .expect("request")
    };
    let res = env
        .send(post(
            ("cookie", format!("pulang_session={}", c.session)),
            Some(&c.csrf),
        ))
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text());
    let made = res.json();
    let secret = made["secret"].as_str().expect("secret");
    let res = env
        .send(post(("authorization", format!("Bearer {secret}")), None))
        .await;
    assert_eq!(res.status.as_u16(), 403, "a token made a token");
    // A query that cannot be read is a problem, as every API error (schemathesis found a
    // plain-text 400 here).
    let res = env
        .send(bearer_get("/api/v1/tokens?all=null", &c.token))
        .await;
    assert_eq!(res.status.as_u16(), 400);
    assert_eq!(res.content_type(), "application/problem+json");
    let id = made["id"].as_str().expect("id");
    let res = env
        .send(bearer_json(
            "DELETE",
            &format!("/api/v1/tokens/{id}"),
            secret,
            "",
        ))
        .await;
    assert_eq!(res.status.as_u16(), 204, "a token may revoke itself");
    let res = env.send(bearer_get("/api/v1/me", secret)).await;
    assert_eq!(res.status.as_u16(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weak_password_is_refused_saying_why_in_both_languages() {
    let env = setup().await;
    let c = env.creds(Who::GlobalAdmin);
    for (lang, why) in [
        ("en", "This is a very common password."),
        ("id", "Ini kata sandi yang sangat umum."),
    ] {
        let req = request("POST", "/admin/users")
            .header(
                header::COOKIE,
                format!("pulang_session={}; pulang_lang={lang}", c.session),
            )
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(
                form_encode(&[
                    ("csrf", &c.csrf),
                    ("username", "weakling"),
                    ("password", "password123"),
                    ("role", "registrar"),
                    ("site", "PNH"),
                ])
                .into(),
            )
            .expect("request");
        let res = env.send(req).await;
        assert_eq!(res.status.as_u16(), 400, "{lang}");
        assert!(res.text().contains(why), "{lang}: {}", res.text());
    }
}
