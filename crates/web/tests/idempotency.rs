//! `Idempotency-Key`: a retried registration, desk arrival or group is made once, and the
//! retry gets the first answer; the key is the sender's own and bound to one request.
#![allow(clippy::disallowed_methods)]

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use serde_json::json;

fn keyed(uri: &str, token: &str, key: &str, body: serde_json::Value) -> Request<Body> {
    request("POST", uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_registration_is_made_once_and_answered_the_same() {
    let env = setup().await;
    let token = env.creds(Who::Registrar).token.clone();
    let body = json!({"full_name": "Dewi Lestari", "sex": "F", "birth_date": "1999-04-02"});
    let before = env.person_count().await;
    let first = env
        .send(keyed("/api/v1/people", &token, "k-0001", body.clone()))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let again = env
        .send(keyed("/api/v1/people", &token, "k-0001", body.clone()))
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text());
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(env.person_count().await, before + 1);

    // The same key with another body is refused; nothing is made.
    let other = json!({"full_name": "Dewi Lestari", "sex": "F", "birth_date": "1999-04-03"});
    let r = env
        .send(keyed("/api/v1/people", &token, "k-0001", other))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(env.person_count().await, before + 1);

    // Keys are the sender's own: another user's identical key is a request of its own.
    let caseworker = env.creds(Who::Caseworker).token.clone();
    let r = env
        .send(keyed("/api/v1/people", &caseworker, "k-0001", body.clone()))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_ne!(r.json()["id"], first.json()["id"]);
    assert!(r.header("idempotent-replayed").is_none());

    // A refused request changes nothing and keeps nothing: corrected, it goes through.
    let r = env
        .send(keyed(
            "/api/v1/people",
            &token,
            "k-0002",
            json!({"full_name": ""}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = env
        .send(keyed(
            "/api/v1/people",
            &token,
            "k-0002",
            json!({"full_name": "Eko"}),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // Without a key, a repeat is a second person (as before).
    let n = env.person_count().await;
    for _ in 0..2 {
        let r = env
            .send(bearer_json(
                "POST",
                "/api/v1/people",
                &token,
                body.to_string(),
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    assert_eq!(env.person_count().await, n + 2);

    // A key that is not one.
    let r = env
        .send(keyed("/api/v1/people", &token, &"k".repeat(300), body))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
}

/// A crash after the change committed but before its answer was kept: the retry must not make
/// the change again, and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_whose_answer_was_lost_is_not_made_twice() {
    let env = setup().await;
    let token = env.creds(Who::Registrar).token.clone();
    let body = json!({"full_name": "Rina Wati", "site": "PNH"});
    let first = env
        .send(keyed(
            "/api/v1/desk/arrivals",
            &token,
            "desk-7",
            body.clone(),
        ))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let again = env
        .send(keyed(
            "/api/v1/desk/arrivals",
            &token,
            "desk-7",
            body.clone(),
        ))
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.json()["ticket"], first.json()["ticket"]);
    let n = env.person_count().await;
    env.app
        .raw_execute_for_tests("UPDATE idempotency_keys SET answer = NULL")
        .await
        .expect("forget the answers");
    let lost = env
        .send(keyed("/api/v1/desk/arrivals", &token, "desk-7", body))
        .await;
    assert_eq!(lost.status, StatusCode::CONFLICT, "{}", lost.text());
    assert_eq!(env.person_count().await, n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_retries_make_one_group() {
    let env = setup().await;
    let token = env.creds(Who::Registrar).token.clone();
    let body = json!({"name": "Police hand-over 12", "kind": "police_handover", "site": "PNH"});
    let before = group_count(&env, &token).await;
    let sends: Vec<_> = (0..8)
        .map(|_| {
            let router = env.router.clone();
            let req = keyed("/api/v1/groups", &token, "group-12", body.clone());
            tokio::spawn(async move { send(&router, req).await })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for s in sends {
        let r = s.await.expect("task");
        match r.status {
            StatusCode::CREATED => {
                ids.insert(r.json()["id"].as_str().unwrap_or_default().to_string());
            }
            // Still under way when the retry came: told so, nothing made.
            StatusCode::CONFLICT => {}
            other => panic!("{other}: {}", r.text()),
        }
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(group_count(&env, &token).await, before + 1);
}

async fn group_count(env: &Env, token: &str) -> usize {
    let groups = env.send(bearer_get("/api/v1/groups", token)).await.json();
    groups["items"].as_array().map_or(0, Vec::len)
}

/// The desk form carries a key of its own: a double click, or sending it again after the
/// answer was lost, registers the arrival once and shows the same slip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_form_sent_twice_registers_once() {
    let env = setup().await;
    let c = env.creds(Who::Registrar);
    let page = env.send(session_get("/desk", &c.session)).await.text();
    let key = page
        .split("name=\"idempotency_key\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the desk form has a key")
        .to_string();
    let fields = [
        ("csrf", c.csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("full_name", "Yohana Kii"),
        ("sex", "F"),
        ("age", "24"),
        ("site", "PNH"),
        ("confirmed_new", "1"),
    ];
    let before = env.person_count().await;
    let first = env.send(session_form("/desk", &c.session, &fields)).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text());
    let again = env.send(session_form("/desk", &c.session, &fields)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.text());
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(env.person_count().await, before + 1);
    // Another form (a new key) is another arrival.
    let page = env.send(session_get("/desk", &c.session)).await.text();
    assert!(!page.contains(&key), "a new key for each form shown");
}
