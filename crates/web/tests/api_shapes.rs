//! The JSON the API returns keeps its shape: dates are `YYYY-MM-DD` strings, terms of the
//! vocabulary are their spellings, and group progress names every milestone.
#![allow(clippy::disallowed_methods)]

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::Value;

fn is_day(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 10
            && s.char_indices().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_speak_days_and_spellings() {
    let env = setup().await;
    let admin = env.creds(Who::Admin);
    // A member with a flag and a milestone, so that every list below has something in it.
    let desk = env
        .send(bearer_json(
            "POST",
            "/api/v1/desk/arrivals",
            &admin.token,
            serde_json::json!({
                "full_name": "Wulan Sari", "sex": "F", "age": 15, "site": "PNH",
                "group": env.own_group, "flags": ["medical"], "confirmed_new": true,
            })
            .to_string(),
        ))
        .await;
    assert!(desk.status.is_success(), "{}", desk.text());
    let pid = desk.json()["person_id"]
        .as_str()
        .expect("person_id")
        .to_string();
    env.app
        .set_milestone(&op(), &pid, "sheltered", Some("2026-01-02"), false)
        .await
        .expect("milestone");

    let res = env.send(bearer_get("/api/v1/groups", &admin.token)).await;
    assert_eq!(res.status, StatusCode::OK);
    let body = res.json();
    let groups = body["items"]
        .as_array()
        .or(body.as_array())
        .expect("a list");
    assert!(!groups.is_empty());
    for g in groups {
        let group = if g["group"].is_object() {
            &g["group"]
        } else {
            g
        };
        assert!(is_day(&group["arrived_on"]), "{g}");
        assert!(group["kind"].is_string(), "{g}");
        for m in ["sheltered", "documented", "returned"] {
            assert!(g["progress"][m].is_i64(), "{m} in {g}");
        }
    }

    let res = env
        .send(bearer_get(
            &format!("/api/v1/groups/{}", env.own_group),
            &admin.token,
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let body = res.json();
    let members = body["members"].as_array().expect("members");
    let wulan = members
        .iter()
        .find(|m| m["person_id"] == pid.as_str())
        .expect("the new member");
    assert!(is_day(&wulan["arrived_on"]), "{wulan}");
    assert_eq!(
        wulan["flags"],
        serde_json::json!(["child", "medical"]),
        "{wulan}"
    );
    assert_eq!(
        wulan["milestones"],
        serde_json::json!(["sheltered"]),
        "{wulan}"
    );
    assert_eq!(body["summary"]["progress"]["sheltered"], 1, "{body}");
}
