//! The JSON API under `/api/v1`. Documented in `openapi.rs`; errors are problem+json.
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use pulang_app::domain::ReviewStatus;
use pulang_app::domain::{EncounterForm, PersonForm};
use pulang_app::{AppError, PersonRecord, Submission};
use serde::Deserialize;
use serde_json::json;

use crate::extract::Api;
use crate::problem::Problem;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(crate::openapi::document))
        .route("/me", get(me))
        .route("/sites", get(sites))
        .route("/people", get(search).post(register))
        .route("/people/{id}", get(person).put(update))
        .route("/people/matches", post(matches))
        .route("/desk/arrivals", post(desk_arrival))
        .route("/groups", get(groups).post(create_group))
        .route("/groups/{id}", get(group))
        .route("/reviews", get(reviews))
        .route("/reviews/{id}", post(decide_review))
        .route("/stats", get(stats))
        .route("/audit/verify", get(audit_verify))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "No such API route") })
}

pub fn date_string(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn bad_json(e: JsonRejection) -> Response {
    let status = match &e {
        JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        JsonRejection::BytesRejection(_) => StatusCode::PAYLOAD_TOO_LARGE,
        JsonRejection::JsonDataError(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    };
    let status =
        if status == StatusCode::PAYLOAD_TOO_LARGE && e.status() != StatusCode::PAYLOAD_TOO_LARGE {
            e.status()
        } else {
            status
        };
    Problem::new(status, "Invalid request body")
        .detail(e.body_text())
        .into_response()
}

fn fail(e: AppError) -> Response {
    Problem::from(e).into_response()
}

fn record_json(r: &PersonRecord, site: &str, warnings: serde_json::Value) -> serde_json::Value {
    json!({
        "id": r.id,
        "case_number": r.case_number,
        "site": site,
        "version": r.version,
        "full_name": r.details.full_name,
        "warnings": warnings,
    })
}

async fn me(api: Api) -> Response {
    Json(json!({
        "username": api.scope.username(),
        "roles": api.scope.roles(),
    }))
    .into_response()
}

async fn sites(State(s): State<AppState>, api: Api) -> Response {
    match s.app.sites(&api.scope).await {
        Ok(v) => Json(json!({ "items": v.iter().map(|x| json!({"code": x.code, "name": x.name, "timezone": x.timezone})).collect::<Vec<_>>() })).into_response(),
        Err(e) => fail(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    q: Option<String>,
    offset: Option<usize>,
    limit: Option<usize>,
}

async fn search(
    State(s): State<AppState>,
    api: Api,
    q: Result<Query<SearchQuery>, QueryRejection>,
) -> Response {
    let Query(q) = match q {
        Ok(q) => q,
        Err(e) => {
            return Problem::new(StatusCode::BAD_REQUEST, "Invalid query")
                .detail(e.body_text())
                .into_response()
        }
    };
    match s
        .app
        .search(
            &api.scope,
            q.q.as_deref().unwrap_or(""),
            q.offset.unwrap_or(0),
            q.limit.unwrap_or(50),
        )
        .await
    {
        Ok(p) => Json(p).into_response(),
        Err(e) => fail(e),
    }
}

/// A registration: the person's fields, the arrival (flat, or nested under `encounter`) and
/// `confirm_warnings`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    full_name: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    sex: Option<String>,
    #[serde(default)]
    birth_date: Option<String>,
    #[serde(default)]
    age: Option<u16>,
    #[serde(default)]
    nationality: Option<String>,
    #[serde(default)]
    nik: Option<String>,
    #[serde(default)]
    passport_no: Option<String>,
    #[serde(default)]
    phones: Vec<String>,
    #[serde(default)]
    origin_province: Option<String>,
    #[serde(default)]
    origin_regency: Option<String>,
    #[serde(default)]
    languages: Vec<String>,
    #[serde(default)]
    site: Option<String>,
    #[serde(default)]
    arrived_on: Option<String>,
    #[serde(default)]
    arrival_route: Option<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    encounter: Option<EncounterForm>,
    #[serde(default)]
    confirm_warnings: bool,
}

impl Registration {
    fn into_submission(self) -> Submission {
        let encounter = self.encounter.unwrap_or(EncounterForm {
            site: self.site,
            arrived_on: self.arrived_on,
            arrival_route: self.arrival_route,
            notes: self.notes,
        });
        Submission {
            person: PersonForm {
                full_name: self.full_name,
                aliases: self.aliases,
                sex: self.sex,
                birth_date: self.birth_date,
                age: self.age,
                nationality: self.nationality,
                nik: self.nik,
                passport_no: self.passport_no,
                phones: self.phones,
                origin_province: self.origin_province,
                origin_regency: self.origin_regency,
                languages: self.languages,
            },
            encounter,
            confirm_warnings: self.confirm_warnings,
        }
    }
}

fn warnings_of(sub: &Submission) -> serde_json::Value {
    let today = time::OffsetDateTime::now_utc().date();
    let (_, v) = sub.person.validate(today);
    json!(v.warnings)
}

async fn register(
    State(s): State<AppState>,
    api: Api,
    body: Result<Json<Registration>, JsonRejection>,
) -> Response {
    let Json(reg) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e),
    };
    let sub = reg.into_submission();
    let warnings = warnings_of(&sub);
    match s.app.register_person(&api.scope, sub).await {
        Ok(r) => {
            let site = r.case_number.split('-').next().unwrap_or("").to_string();
            (
                StatusCode::CREATED,
                [("location", format!("/api/v1/people/{}", r.id))],
                Json(record_json(&r, &site, warnings)),
            )
                .into_response()
        }
        Err(e) => fail(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonQuery {
    #[serde(default)]
    reveal: bool,
}

async fn person(
    State(s): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    q: Result<Query<PersonQuery>, QueryRejection>,
) -> Response {
    let reveal = q.map(|Query(q)| q.reveal).unwrap_or(false);
    match s.app.person(&api.scope, &id, reveal).await {
        Ok(p) => {
            let mut v = serde_json::to_value(&p.person).unwrap_or_default();
            v["encounters"] = json!(p.encounters);
            v["history"] = json!(p.history);
            Json(v).into_response()
        }
        Err(e) => fail(e),
    }
}

/// An edit: the full set of person fields (as in a registration, without the arrival), the
/// `version` it was based on, and `confirm_warnings`.
struct Update {
    person: PersonForm,
    version: Option<i64>,
    confirm_warnings: bool,
}

async fn update(
    State(s): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Response {
    let Json(mut raw) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e),
    };
    // `flatten` and `deny_unknown_fields` do not combine in serde, so the envelope is split here.
    let version = raw.as_object_mut().and_then(|o| o.remove("version"));
    let confirm = raw
        .as_object_mut()
        .and_then(|o| o.remove("confirm_warnings"));
    let person: PersonForm = match serde_json::from_value(raw) {
        Ok(p) => p,
        Err(e) => {
            return Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request body")
                .detail(e.to_string())
                .into_response()
        }
    };
    let version = match version {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(n) => Some(n),
            None => {
                return Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request body")
                    .detail("version must be an integer")
                    .into_response()
            }
        },
    };
    let confirm_warnings = match confirm {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => b,
        Some(_) => {
            return Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request body")
                .detail("confirm_warnings must be a boolean")
                .into_response()
        }
    };
    let upd = Update {
        person,
        version,
        confirm_warnings,
    };
    let sub = Submission {
        person: upd.person,
        encounter: EncounterForm::default(),
        confirm_warnings: upd.confirm_warnings,
    };
    let warnings = warnings_of(&sub);
    match s.app.update_person(&api.scope, &id, upd.version, sub).await {
        Ok(r) => {
            let site = r.case_number.split('-').next().unwrap_or("").to_string();
            Json(record_json(&r, &site, warnings)).into_response()
        }
        Err(e) => fail(e),
    }
}

async fn stats(State(s): State<AppState>, api: Api) -> Response {
    match s.app.stats(&api.scope).await {
        Ok(c) => Json(c).into_response(),
        Err(e) => fail(e),
    }
}

async fn audit_verify(State(s): State<AppState>, api: Api) -> Response {
    match s.app.verify_audit(&api.scope).await {
        Ok(Ok(n)) => Json(json!({"intact": true, "events": n})).into_response(),
        Ok(Err(b)) => Json(json!({"intact": false, "problem": b.to_string()})).into_response(),
        Err(e) => fail(e),
    }
}

/// The registration fields, read as the matching engine would: possible matches only, nothing
/// written.
async fn matches(
    State(s): State<AppState>,
    api: Api,
    body: Result<Json<Registration>, JsonRejection>,
) -> Response {
    let Json(reg) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e),
    };
    let sub = reg.into_submission();
    match s.app.possible_matches(&api.scope, &sub.person, 5).await {
        Ok(items) => Json(json!({ "items": items })).into_response(),
        Err(e) => fail(e),
    }
}

async fn desk_arrival(
    State(s): State<AppState>,
    api: Api,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Response {
    let Json(mut raw) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e),
    };
    // The desk's own fields are taken out; the rest must be a registration.
    let mut take = |k: &str| raw.as_object_mut().and_then(|o| o.remove(k));
    let group = take("group");
    let flags = take("flags");
    let same_as = take("same_as");
    let confirmed_new = take("confirmed_new");
    let invalid = |what: &str| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request body")
            .detail(what.to_string())
            .into_response()
    };
    let opt_str = |v: Option<serde_json::Value>| -> Result<Option<String>, ()> {
        match v {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(()),
        }
    };
    let Ok(group) = opt_str(group) else {
        return invalid("group must be a string");
    };
    let Ok(same_as) = opt_str(same_as) else {
        return invalid("same_as must be a string");
    };
    let flags: Vec<String> = match flags {
        None | Some(serde_json::Value::Null) => vec![],
        Some(v) => match serde_json::from_value(v) {
            Ok(f) => f,
            Err(_) => return invalid("flags must be a list of strings"),
        },
    };
    let confirmed_new = match confirmed_new {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => b,
        Some(_) => return invalid("confirmed_new must be a boolean"),
    };
    let reg: Registration = match serde_json::from_value(raw) {
        Ok(r) => r,
        Err(e) => return invalid(&e.to_string()),
    };
    let sub = reg.into_submission();
    let desk = pulang_app::desk::DeskSubmission {
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
    match s.app.desk_register(&api.scope, desk).await {
        Ok(o @ pulang_app::desk::DeskOutcome::PossibleMatches { .. }) => Json(o).into_response(),
        Ok(o) => (StatusCode::CREATED, Json(o)).into_response(),
        Err(e) => fail(e),
    }
}

async fn groups(State(s): State<AppState>, api: Api) -> Response {
    match s.app.groups(&api.scope).await {
        Ok(g) => Json(json!({ "items": g })).into_response(),
        Err(e) => fail(e),
    }
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

async fn create_group(
    State(s): State<AppState>,
    api: Api,
    body: Result<Json<NewGroup>, JsonRejection>,
) -> Response {
    let Json(g) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e),
    };
    match s
        .app
        .create_group(
            &api.scope,
            g.site.as_deref(),
            &g.name,
            &g.kind,
            g.arrived_on.as_deref(),
        )
        .await
    {
        Ok(g) => (
            StatusCode::CREATED,
            [("location", format!("/api/v1/groups/{}", g.id))],
            Json(g),
        )
            .into_response(),
        Err(e) => fail(e),
    }
}

async fn group(State(s): State<AppState>, api: Api, Path(id): Path<String>) -> Response {
    match s.app.group_page(&api.scope, &id).await {
        Ok(g) => Json(g).into_response(),
        Err(e) => fail(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewQuery {
    status: Option<String>,
}

async fn reviews(
    State(s): State<AppState>,
    api: Api,
    q: Result<Query<ReviewQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return Problem::new(StatusCode::BAD_REQUEST, "Invalid query").into_response();
    };
    let statuses: Vec<ReviewStatus> = match q.status.as_deref() {
        None => ReviewStatus::OPEN.to_vec(),
        Some(st) if ReviewStatus::ALL.iter().any(|s| s.as_str() == st) => {
            ReviewStatus::parse(st).into_iter().collect()
        }
        Some(_) => {
            return Problem::new(StatusCode::BAD_REQUEST, "Invalid query")
                .detail("unknown status")
                .into_response()
        }
    };
    match s.app.reviews(&api.scope, &statuses, 500).await {
        Ok(items) => Json(json!({ "items": items })).into_response(),
        Err(e) => fail(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    decision: String,
    #[serde(default)]
    keep: Option<String>,
}

async fn decide_review(
    State(s): State<AppState>,
    api: Api,
    Path(id): Path<String>,
    body: Result<Json<Decision>, JsonRejection>,
) -> Response {
    let Json(d) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e),
    };
    match s
        .app
        .decide_review(&api.scope, &id, &d.decision, d.keep.as_deref())
        .await
    {
        Ok(merge) => Json(json!({ "merge": merge })).into_response(),
        Err(e) => fail(e),
    }
}
