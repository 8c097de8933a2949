//! API tokens: the caller's own (or, with `?all=true`, every token of the users an
//! administrator manages), creating one (with a browser session only: a token cannot make
//! tokens) and revoking one. Secrets are returned once, at creation; never listed.
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::{bad_query, ApiResult, Body};
use crate::extract::Api;
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    all: bool,
}

pub async fn list(
    State(s): State<AppState>,
    api: Api,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult {
    let Query(q) = q.map_err(bad_query)?;
    let items = if q.all {
        s.app.all_tokens(&api.scope).await?
    } else {
        s.app.my_tokens(&api.scope).await?
    };
    Ok(Json(json!({ "items": items })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    label: String,
    #[serde(default)]
    days: Option<u32>,
    /// Another user's (administrators); the caller's own by default.
    #[serde(default)]
    username: Option<String>,
}

pub async fn create(State(s): State<AppState>, api: Api, Body(b): Body<NewTokenBody>) -> ApiResult {
    let username = b
        .username
        .unwrap_or_else(|| api.scope.username().to_string());
    let made = s
        .app
        .create_token(&api.scope, &username, &b.label, b.days)
        .await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

pub async fn revoke(State(s): State<AppState>, api: Api, Path(id): Path<String>) -> ApiResult {
    s.app.revoke_token(&api.scope, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
