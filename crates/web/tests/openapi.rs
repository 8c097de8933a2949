//! The OpenAPI document documents exactly the `/api/v1` routes the router serves.
#![allow(clippy::disallowed_methods)]

mod common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use common::*;
use serde_json::Value;

/// Every `/api/v1` route, as `(METHOD, path under /api/v1)`.
const API_ROUTES: &[(&str, &str)] = &[
    ("GET", "/openapi.json"),
    ("GET", "/me"),
    ("GET", "/sites"),
    ("GET", "/people"),
    ("POST", "/people"),
    ("GET", "/people/{id}"),
    ("PUT", "/people/{id}"),
    ("POST", "/people/matches"),
    ("POST", "/desk/arrivals"),
    ("GET", "/groups"),
    ("POST", "/groups"),
    ("GET", "/groups/{id}"),
    ("GET", "/reviews"),
    ("POST", "/reviews/{id}"),
    ("GET", "/stats"),
    ("GET", "/audit/verify"),
    ("GET", "/tokens"),
    ("POST", "/tokens"),
    ("DELETE", "/tokens/{id}"),
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn listed() -> BTreeSet<(String, String)> {
    API_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect()
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (k, _) in item.as_object().expect("path item") {
            if METHODS.contains(&k.as_str()) {
                out.insert((k.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

async fn document(env: &Env) -> Value {
    let res = env.send(empty("GET", "/api/v1/openapi.json")).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.content_type().starts_with("application/json"),
        "{}",
        res.content_type()
    );
    serde_json::from_slice(&res.body).expect("the document is JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_is_openapi_3_1_and_matches_the_routes() {
    let env = setup().await;
    let doc = document(&env).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string());
    assert!(doc["info"]["version"].is_string());
    assert_eq!(doc["servers"][0]["url"], "/api/v1");

    let docs = documented(&doc);
    let list = listed();
    let undocumented: Vec<_> = list.difference(&docs).collect();
    let unlisted: Vec<_> = docs.difference(&list).collect();
    assert!(
        undocumented.is_empty(),
        "routes the API serves but the document does not describe: {undocumented:?}"
    );
    assert!(
        unlisted.is_empty(),
        "routes the document describes that this test does not list: {unlisted:?}"
    );

    // The list is what the router declares…
    let declared: BTreeSet<(String, String)> = declared_routes()
        .into_iter()
        .filter_map(|(m, p)| p.strip_prefix("/api/v1").map(|p| (m, p.to_string())))
        .collect();
    assert_eq!(declared, list, "API_ROUTES is out of date with src/api.rs");

    // …and what it serves: each answers from its handler, not the API fallback or a 405.
    let token = &env.creds(Who::GlobalAdmin).token;
    for (method, path) in API_ROUTES {
        let fresh_token = env
            .app
            .create_token(&op(), "pnh_dummy", "openapi", None)
            .await
            .expect("token")
            .id;
        let id = match path.split('/').nth(1) {
            Some("groups") => &env.own_group,
            Some("reviews") => &env.own_review,
            Some("tokens") => &fresh_token,
            _ => &env.own_id,
        };
        let uri = format!("/api/v1{}", path.replace("{id}", id));
        let body = match (*method, *path) {
            ("POST", "/groups") => {
                serde_json::json!({"name": "Rescue", "kind": "rescue_operation", "site": "PNH"})
                    .to_string()
            }
            ("POST", "/reviews/{id}") => serde_json::json!({"decision": "defer"}).to_string(),
            ("POST", "/tokens") => serde_json::json!({"label": "openapi"}).to_string(),
            ("POST", _) => serde_json::json!({"full_name": OWN_NAME, "site": "PNH"}).to_string(),
            ("PUT", _) => serde_json::json!({"full_name": OWN_NAME}).to_string(),
            _ => String::new(),
        };
        let req = if (*method, *path) == ("POST", "/tokens") {
            // A token cannot make tokens: this one needs the browser session.
            let c = env.creds(Who::GlobalAdmin);
            request(method, &uri)
                .header(
                    axum::http::header::COOKIE,
                    format!("pulang_session={}", c.session),
                )
                .header("x-csrf-token", &c.csrf)
                .header(axum::http::header::CONTENT_TYPE, "application/json")
                .body(body.into())
                .expect("request")
        } else {
            bearer_json(method, &uri, token, body)
        };
        let res = env.send(req).await;
        assert!(
            res.status.is_success(),
            "{method} {uri}: {} {}",
            res.status,
            res.text()
        );
    }
    // An undocumented method on a documented path is not served.
    let res = env
        .send(bearer_json(
            "DELETE",
            &format!("/api/v1/people/{}", env.own_id),
            token,
            "",
        ))
        .await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_is_self_consistent() {
    let env = setup().await;
    let doc = document(&env).await;
    // Every $ref points at something in the document.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "$ref" {
                        out.push(x.as_str().unwrap_or("").to_string());
                    } else {
                        refs(x, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external $ref {r}"));
        assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
    }
    // Path parameters are declared, and every operation says what it answers.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (k, op) in item.as_object().expect("path item") {
            if !METHODS.contains(&k.as_str()) {
                continue;
            }
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{k} {path} has no responses"
            );
            assert!(op["summary"].is_string(), "{k} {path} has no summary");
        }
        if path.contains('{') {
            let params = item["parameters"].as_array().expect("path parameters");
            assert!(
                params.iter().any(|p| p["in"] == "path"),
                "{path} does not declare its path parameter"
            );
        }
    }
    // Security schemes named in `security` exist.
    for req in doc["security"].as_array().expect("security") {
        for (name, _) in req.as_object().expect("requirement") {
            assert!(
                doc["components"]["securitySchemes"][name].is_object(),
                "unknown security scheme {name}"
            );
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["session"]["name"],
        "pulang_session"
    );
}
