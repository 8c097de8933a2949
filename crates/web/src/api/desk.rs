//! The arrival desk and arrival groups.
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use pulang_app::desk::{DeskOutcome, DeskSubmission};
use serde::Deserialize;
use serde_json::{json, Value};

use super::idempotency::idempotent;
use super::{invalid, opt_bool, opt_str, ApiResult, Posted, Registration};
use crate::extract::Api;
use crate::AppState;

pub async fn desk_arrival(
    State(s): State<AppState>,
    api: Api,
    headers: HeaderMap,
    posted: Posted<Value>,
) -> ApiResult {
    idempotent(&s, &api, &headers, &posted.fingerprint, async {
        arrive(&s, &api, posted.value.clone()).await
    })
    .await
}

async fn arrive(s: &AppState, api: &Api, mut raw: Value) -> ApiResult {
    // The desk's own fields are taken out; the rest must be a registration.
    let mut take = |k: &str| raw.as_object_mut().and_then(|o| o.remove(k));
    let group = take("group");
    let flags = take("flags");
    let same_as = take("same_as");
    let confirmed_new = take("confirmed_new");
    let group = opt_str(group, "group")?;
    let same_as = opt_str(same_as, "same_as")?;
    let flags: Vec<String> = match flags {
        None | Some(Value::Null) => vec![],
        Some(v) => {
            serde_json::from_value(v).map_err(|_| invalid("flags must be a list of strings"))?
        }
    };
    let confirmed_new = opt_bool(confirmed_new, "confirmed_new")?;
    let reg: Registration = serde_json::from_value(raw).map_err(|e| invalid(e.to_string()))?;
    let sub = reg.into_submission();
    let desk = DeskSubmission {
        person: sub.person,
        site: sub.encounter.site,
        group_id: group,
        flags,
        arrived_on: sub.encounter.arrived_on,
        arrival_route: sub.encounter.arrival_route,
        same_as,
        confirmed_new,
        confirm_warnings: sub.confirm_warnings,
    };
    Ok(match s.app.desk_register(&api.scope, desk).await? {
        o @ DeskOutcome::PossibleMatches { .. } => Json(o).into_response(),
        o => (StatusCode::CREATED, Json(o)).into_response(),
    })
}

pub async fn groups(State(s): State<AppState>, api: Api) -> ApiResult {
    let g = s.app.groups(&api.scope).await?;
    Ok(Json(json!({ "items": g })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    name: String,
    kind: String,
    #[serde(default)]
    site: Option<String>,
    #[serde(default)]
    arrived_on: Option<String>,
}

pub async fn create_group(
    State(s): State<AppState>,
    api: Api,
    headers: HeaderMap,
    posted: Posted<NewGroup>,
) -> ApiResult {
    idempotent(&s, &api, &headers, &posted.fingerprint, async {
        new_group(&s, &api, &posted.value).await
    })
    .await
}

async fn new_group(s: &AppState, api: &Api, g: &NewGroup) -> ApiResult {
    let g = s
        .app
        .create_group(
            &api.scope,
            g.site.as_deref(),
            &g.name,
            &g.kind,
            g.arrived_on.as_deref(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        [("location", format!("/api/v1/groups/{}", g.id))],
        Json(g),
    )
        .into_response())
}

pub async fn group(State(s): State<AppState>, api: Api, Path(id): Path<String>) -> ApiResult {
    Ok(Json(s.app.group_page(&api.scope, &id).await?).into_response())
}
