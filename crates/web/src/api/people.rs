//! People: search, registration, a person's record, edits and possible matches.
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use pulang_app::domain::{EncounterForm, PersonForm};
use pulang_app::{PersonRecord, Submission};
use serde::Deserialize;
use serde_json::{json, Value};

use super::idempotency::idempotent;
use super::{bad_query, invalid, opt_bool, ApiResult, Body, Posted, Registration};
use crate::extract::Api;
use crate::problem::Problem;
use crate::AppState;

/// A page of search results holds at most this many people (the OpenAPI document says so too).
pub(super) const MAX_LIMIT: usize = 200;
/// Far beyond any register; a larger offset is a mistake, not a page.
pub(super) const MAX_OFFSET: usize = 10_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    q: Option<String>,
    offset: Option<usize>,
    limit: Option<usize>,
}

pub async fn search(
    State(s): State<AppState>,
    api: Api,
    q: Result<Query<SearchQuery>, QueryRejection>,
) -> ApiResult {
    let Query(q) = q.map_err(bad_query)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::new(StatusCode::BAD_REQUEST, "Invalid query")
            .detail(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    let offset = q.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(Problem::new(StatusCode::BAD_REQUEST, "Invalid query")
            .detail(format!("offset must be at most {MAX_OFFSET}")));
    }
    let page = s
        .app
        .search(&api.scope, q.q.as_deref().unwrap_or(""), offset, limit)
        .await?;
    Ok(Json(page).into_response())
}

fn warnings_of(sub: &Submission) -> Value {
    let today = time::OffsetDateTime::now_utc().date();
    let (_, v) = sub.person.validate(today);
    json!(v.warnings)
}

fn record_json(r: &PersonRecord, warnings: Value) -> Value {
    let site = r.case_number.split('-').next().unwrap_or("");
    json!({
        "id": r.id,
        "case_number": r.case_number,
        "site": site,
        "version": r.version,
        "full_name": r.details.full_name,
        "warnings": warnings,
    })
}

pub async fn register(
    State(s): State<AppState>,
    api: Api,
    headers: HeaderMap,
    posted: Posted<Registration>,
) -> ApiResult {
    idempotent(&s, &api, &headers, &posted.fingerprint, async {
        let sub = posted.value.into_submission();
        let warnings = warnings_of(&sub);
        let r = s.app.register_person(&api.scope, sub).await?;
        Ok((
            StatusCode::CREATED,
            [("location", format!("/api/v1/people/{}", r.id))],
            Json(record_json(&r, warnings)),
        )
            .into_response())
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonQuery {
    #[serde(default)]
    reveal: bool,
}

pub async fn person(
    State(s): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    q: Result<Query<PersonQuery>, QueryRejection>,
) -> ApiResult {
    let Query(PersonQuery { reveal }) = q.map_err(bad_query)?;
    let p = s.app.person(&api.scope, &id, reveal).await?;
    let mut v = serde_json::to_value(&p.person).unwrap_or_default();
    v["encounters"] = json!(p.encounters);
    v["history"] = json!(p.history);
    Ok(Json(v).into_response())
}

/// An edit: the full set of person fields (as in a registration, without the arrival), the
/// `version` it was based on, and `confirm_warnings`.
pub async fn update(
    State(s): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    Body(mut raw): Body<Value>,
) -> ApiResult {
    // `flatten` and `deny_unknown_fields` do not combine in serde, so the envelope is split here.
    let version = raw.as_object_mut().and_then(|o| o.remove("version"));
    let confirm = raw
        .as_object_mut()
        .and_then(|o| o.remove("confirm_warnings"));
    let person: PersonForm = serde_json::from_value(raw).map_err(|e| invalid(e.to_string()))?;
    let version = match version {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| invalid("version must be an integer"))?,
        ),
    };
    let sub = Submission {
        person,
        encounter: EncounterForm::default(),
        confirm_warnings: opt_bool(confirm, "confirm_warnings")?,
    };
    let warnings = warnings_of(&sub);
    let r = s.app.update_person(&api.scope, &id, version, sub).await?;
    Ok(Json(record_json(&r, warnings)).into_response())
}

/// The registration fields, read as the matching engine would: possible matches only, nothing
/// written.
pub async fn matches(
    State(s): State<AppState>,
    api: Api,
    Body(reg): Body<Registration>,
) -> ApiResult {
    let sub = reg.into_submission();
    let items = s.app.possible_matches(&api.scope, &sub.person, 5).await?;
    Ok(Json(json!({ "items": items })).into_response())
}
