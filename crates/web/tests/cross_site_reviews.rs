//! Possible duplicates across missions are found, but seen only by a scope that covers both
//! records: a PNH-only caseworker learns nothing of a BKK person through the review queue, and
//! a PNH registrar is not told that someone matching exists elsewhere.
#![allow(clippy::disallowed_methods)]

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{json, Value};

/// The BKK twin registered by `setup` ("Yusuf Maulana", 1989-02-14).
const NAME: &str = "Yusuf Maulana";

fn sites_of(item: &Value) -> [String; 2] {
    ["left", "right"].map(|side| item[side]["site"].as_str().unwrap_or("").to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_with_another_site_is_seen_only_by_a_scope_covering_both() {
    let env = setup().await;
    let registrar = env.creds(Who::Registrar);
    let res = env
        .send(bearer_json(
            "POST",
            "/api/v1/desk/arrivals",
            &registrar.token,
            json!({
                "full_name": NAME, "sex": "M", "birth_date": "1989-02-14", "site": "PNH",
                "confirmed_new": true,
            })
            .to_string(),
        ))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let body = res.json();
    assert_eq!(
        body["queued_reviews"], 0,
        "nothing visible was queued: {body}"
    );
    let new_id = body["person_id"].as_str().expect("person_id").to_string();

    // Found: a scope covering both sites sees the pair.
    let admin = env.creds(Who::GlobalAdmin);
    let all = env
        .send(bearer_get("/api/v1/reviews", &admin.token))
        .await
        .json();
    let cross = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| {
            let ids = [&r["left"]["id"], &r["right"]["id"]];
            ids.iter().any(|i| *i == new_id.as_str()) && sites_of(r).contains(&"BKK".to_string())
        })
        .unwrap_or_else(|| panic!("the cross-site pair is queued: {all}"))
        .clone();
    let cross_id = cross["id"].as_str().expect("id").to_string();

    // Not seen, nor decided, by a PNH-only caseworker.
    let cw = env.creds(Who::Caseworker);
    let mine = env.send(bearer_get("/api/v1/reviews", &cw.token)).await;
    assert_eq!(mine.status, StatusCode::OK);
    let mine = mine.json();
    for r in mine["items"].as_array().expect("items") {
        assert_eq!(sites_of(r), ["PNH", "PNH"], "{r}");
    }
    assert!(!mine.to_string().contains(&cross_id));
    let page = env
        .send(session_get(&format!("/reviews/{cross_id}"), &cw.session))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let list = env.send(session_get("/reviews", &cw.session)).await.text();
    assert!(
        !list.contains(&cross_id) && !list.contains("BKK-"),
        "{list}"
    );
    let decide = env
        .send(bearer_json(
            "POST",
            &format!("/api/v1/reviews/{cross_id}"),
            &cw.token,
            json!({"decision": "reject"}).to_string(),
        ))
        .await;
    assert_eq!(decide.status, StatusCode::NOT_FOUND);
    let still = env
        .send(bearer_get("/api/v1/reviews", &admin.token))
        .await
        .text();
    assert!(still.contains(&cross_id), "the pair is still pending");
}
