//! Every response carries a request id (`x-request-id`, kept when the client or a proxy sent
//! one), and an internal error is a 500 that shows that id and nothing of the error.
#![allow(clippy::disallowed_methods)]

mod common;

use axum::http::StatusCode;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_carry_a_request_id() {
    let env = setup().await;
    let res = env.send(empty("GET", "/healthz")).await;
    let id = res
        .header("x-request-id")
        .expect("x-request-id")
        .to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let again = env.send(empty("GET", "/healthz")).await;
    assert_ne!(
        again.header("x-request-id"),
        Some(id.as_str()),
        "a new id per request"
    );

    let sent = request("GET", "/healthz")
        .header("x-request-id", "from-the-proxy-1")
        .body(axum::body::Body::empty())
        .expect("request");
    let res = env.send(sent).await;
    assert_eq!(res.header("x-request-id"), Some("from-the-proxy-1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_error_is_a_500_with_the_request_id_and_no_details() {
    let env = setup().await;
    env.app
        .raw_execute_for_tests("ALTER TABLE arrival_groups RENAME TO arrival_groups_gone")
        .await
        .expect("rename");
    let admin = env.creds(Who::Admin);

    let res = env.send(session_get("/groups", &admin.session)).await;
    assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR);
    let id = res
        .header("x-request-id")
        .expect("x-request-id")
        .to_string();
    let html = res.text();
    assert!(html.contains(&id), "the page shows the request id: {html}");
    assert!(!html.contains("arrival_groups"), "no details: {html}");

    let res = env.send(bearer_get("/api/v1/groups", &admin.token)).await;
    assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(res.content_type().starts_with("application/problem+json"));
    let body = res.json();
    assert_eq!(
        body["request_id"].as_str(),
        res.header("x-request-id"),
        "{body}"
    );
    assert!(!body.to_string().contains("arrival_groups"), "{body}");
}

/// A record page whose flags cannot be read is an error, not a record "without flags": a
/// caseworker must not conclude that nobody marked this person as a child.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_read_of_flags_is_an_error_not_no_flags() {
    let env = setup().await;
    let cw = env.creds(Who::Caseworker);
    let page = format!("/people/{}", env.own_id);
    assert_eq!(
        env.send(session_get(&page, &cw.session)).await.status,
        StatusCode::OK
    );
    env.app
        .raw_execute_for_tests("ALTER TABLE person_flags RENAME TO person_flags_gone")
        .await
        .expect("rename");
    let res = env.send(session_get(&page, &cw.session)).await;
    assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!res.text().contains("person_flags"));
}
