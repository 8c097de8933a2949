//! A police liaison sees the minimal record, also where people are listed: no triage flags
//! (pregnancy, medical, disability) in a group, no birth dates among possible matches.
#![allow(clippy::disallowed_methods)]

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn police_see_no_triage_flags_and_no_birth_dates() {
    let env = setup().await;
    env.app
        .set_triage_flags(&op(), &env.own_id, &["pregnancy".into(), "medical".into()])
        .await
        .expect("flags");
    // Put the own-site person in the group through a desk arrival of the same person.
    let admin = env.creds(Who::Admin);
    let res = env
        .send(bearer_json(
            "POST",
            "/api/v1/desk/arrivals",
            &admin.token,
            json!({"full_name": OWN_NAME, "site": "PNH", "group": env.own_group,
                   "same_as": env.own_id})
            .to_string(),
        ))
        .await;
    assert!(res.status.is_success(), "{}", res.text());

    let group = format!("/api/v1/groups/{}", env.own_group);
    let seen_by = |who: Who| {
        let token = env.creds(who).token.clone();
        let group = group.clone();
        let env = &env;
        async move { env.send(bearer_get(&group, &token)).await.json() }
    };
    let full = seen_by(Who::Caseworker).await;
    let flags_of = |body: &serde_json::Value| {
        body["members"]
            .as_array()
            .expect("members")
            .iter()
            .find(|m| m["person_id"] == env.own_id.as_str())
            .map(|m| m["flags"].clone())
            .expect("the person is a member")
    };
    assert_eq!(flags_of(&full), json!(["medical", "pregnancy"]));
    let police = seen_by(Who::Police).await;
    assert_eq!(flags_of(&police), json!([]), "{police}");
    let page = env
        .send(session_get(
            &format!("/groups/{}", env.own_group),
            &env.creds(Who::Police).session,
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.text().contains("class=\"flag\""),
        "no flags on the page"
    );

    let ask = |who: Who| {
        let token = env.creds(who).token.clone();
        let env = &env;
        async move {
            env.send(bearer_json(
                "POST",
                "/api/v1/people/matches",
                &token,
                json!({"full_name": OWN_NAME, "birth_date": OWN_BIRTH}).to_string(),
            ))
            .await
            .json()
        }
    };
    let full = ask(Who::Caseworker).await;
    assert_eq!(full["items"][0]["birth"], OWN_BIRTH, "{full}");
    let police = ask(Who::Police).await;
    assert_eq!(police["items"][0]["id"], env.own_id.as_str(), "{police}");
    assert!(police["items"][0]["birth"].is_null(), "{police}");
    assert!(!police.to_string().contains(OWN_BIRTH), "{police}");
}
