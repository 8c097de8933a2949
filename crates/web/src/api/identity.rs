//! The review queue of possible duplicates and its decisions.
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use pulang_app::domain::ReviewStatus;
use serde::Deserialize;
use serde_json::json;

use super::idempotency::idempotent;
use super::{ApiResult, Posted};
use crate::extract::Api;
use crate::problem::Problem;
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewQuery {
    status: Option<String>,
}

pub async fn reviews(
    State(s): State<AppState>,
    api: Api,
    q: Result<Query<ReviewQuery>, QueryRejection>,
) -> ApiResult {
    let bad = || Problem::new(StatusCode::BAD_REQUEST, "Invalid query");
    let Query(q) = q.map_err(|_| bad())?;
    let statuses: Vec<ReviewStatus> = match q.status.as_deref() {
        None => ReviewStatus::OPEN.to_vec(),
        Some(st) if ReviewStatus::ALL.iter().any(|s| s.as_str() == st) => {
            ReviewStatus::parse(st).into_iter().collect()
        }
        Some(_) => return Err(bad().detail("unknown status")),
    };
    let items = s.app.reviews(&api.scope, &statuses, 500).await?;
    Ok(Json(json!({ "items": items })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    decision: String,
    #[serde(default)]
    keep: Option<String>,
}

pub async fn decide_review(
    State(s): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    headers: HeaderMap,
    posted: Posted<Decision>,
) -> ApiResult {
    idempotent(&s, &api, &headers, &posted.fingerprint, async {
        let d = &posted.value;
        let merge = s
            .app
            .decide_review(&api.scope, &id, &d.decision, d.keep.as_deref())
            .await?;
        Ok(Json(json!({ "merge": merge })).into_response())
    })
    .await
}
