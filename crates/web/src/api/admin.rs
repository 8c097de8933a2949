//! Who the caller is, the sites, the counts and the audit chain.
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use super::ApiResult;
use crate::extract::Api;
use crate::AppState;

pub async fn me(api: Api) -> ApiResult {
    Ok(Json(json!({
        "username": api.scope.username(),
        "roles": api.scope.roles(),
    }))
    .into_response())
}

pub async fn sites(State(s): State<AppState>, api: Api) -> ApiResult {
    let v = s.app.sites(&api.scope).await?;
    Ok(Json(json!({ "items": v.iter().map(|x| json!({"code": x.code, "name": x.name, "timezone": x.timezone})).collect::<Vec<_>>() })).into_response())
}

pub async fn stats(State(s): State<AppState>, api: Api) -> ApiResult {
    Ok(Json(s.app.stats(&api.scope).await?).into_response())
}

pub async fn audit_verify(State(s): State<AppState>, api: Api) -> ApiResult {
    Ok(match s.app.verify_audit(&api.scope).await? {
        Ok(n) => Json(json!({"intact": true, "events": n})).into_response(),
        Err(b) => Json(json!({"intact": false, "problem": b.to_string()})).into_response(),
    })
}
