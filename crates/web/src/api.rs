//! The JSON API under `/api/v1`, one module per feature. Documented in `openapi.rs`; errors are
//! problem+json ([`Problem`]), and handlers return [`ApiResult`].
mod admin;
mod desk;
mod idempotency;
mod identity;
mod openapi;
mod people;
mod tokens;

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use pulang_app::domain::{EncounterForm, PersonForm};
use pulang_app::Submission;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::problem::Problem;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/me", get(admin::me))
        .route("/sites", get(admin::sites))
        .route("/people", get(people::search).post(people::register))
        .route("/people/{id}", get(people::person).put(people::update))
        .route("/people/matches", post(people::matches))
        .route("/desk/arrivals", post(desk::desk_arrival))
        .route("/groups", get(desk::groups).post(desk::create_group))
        .route("/groups/{id}", get(desk::group))
        .route("/reviews", get(identity::reviews))
        .route("/reviews/{id}", post(identity::decide_review))
        .route("/stats", get(admin::stats))
        .route("/audit/verify", get(admin::audit_verify))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", delete(tokens::revoke))
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND, "No such API route") })
}

/// What an API handler returns.
type ApiResult = Result<Response, Problem>;

/// A JSON request body; one that cannot be read is a problem with the status that says why.
struct Body<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Problem;
    async fn from_request(req: Request, s: &S) -> Result<Self, Problem> {
        read_json(req, s).await.map(|(v, _)| Body(v))
    }
}

/// A JSON request body with the request's fingerprint (method, path and body), for a `POST`
/// that may carry an `Idempotency-Key` (see [`idempotency`]).
struct Posted<T> {
    value: T,
    fingerprint: Vec<u8>,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Posted<T> {
    type Rejection = Problem;
    async fn from_request(req: Request, s: &S) -> Result<Self, Problem> {
        let mut fingerprint = format!("{} {}\0", req.method(), req.uri().path()).into_bytes();
        let (value, bytes) = read_json(req, s).await?;
        fingerprint.extend_from_slice(&bytes);
        Ok(Posted { value, fingerprint })
    }
}

async fn read_json<S: Send + Sync, T: DeserializeOwned>(
    req: Request,
    s: &S,
) -> Result<(T, Bytes), Problem> {
    if !is_json(req.headers()) {
        return Err(
            Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Invalid request body")
                .detail("Expected request with `Content-Type: application/json`"),
        );
    }
    let bytes = Bytes::from_request(req, s)
        .await
        .map_err(|e| Problem::new(e.status(), "Invalid request body").detail(e.body_text()))?;
    // Every body is an object; serde alone would also read a struct from an array.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(invalid("the body must be a JSON object"));
    }
    let Json(v) = Json::<T>::from_bytes(&bytes).map_err(bad_json)?;
    Ok((v, bytes))
}

/// `application/json` or a `+json` type, as axum's `Json` accepts.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn bad_json(e: JsonRejection) -> Problem {
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
    Problem::new(status, "Invalid request body").detail(e.body_text())
}

/// A query string that cannot be read: 400 as a problem (axum's own rejection is plain text).
fn bad_query(e: axum::extract::rejection::QueryRejection) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, "Invalid query").detail(e.body_text())
}

/// A body that was read but does not hold what it must: 422 saying what.
fn invalid(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request body").detail(detail)
}

/// An optional boolean member of a body (`null` = absent = false).
fn opt_bool(v: Option<Value>, name: &str) -> Result<bool, Problem> {
    match v {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(_) => Err(invalid(format!("{name} must be a boolean"))),
    }
}

/// An optional string member of a body.
fn opt_str(v: Option<Value>, name: &str) -> Result<Option<String>, Problem> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(format!("{name} must be a string"))),
    }
}

/// A registration: the person's fields, the arrival (flat, or nested under `encounter`) and
/// `confirm_warnings`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Registration {
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
    encounter: Option<NestedEncounter>,
    #[serde(default)]
    confirm_warnings: bool,
}

/// The nested arrival of a registration: an object only (serde would also read a struct from
/// an array).
struct NestedEncounter(EncounterForm);

impl<'de> Deserialize<'de> for NestedEncounter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fields = serde_json::Map::<String, Value>::deserialize(d)?;
        serde_json::from_value(Value::Object(fields))
            .map(NestedEncounter)
            .map_err(serde::de::Error::custom)
    }
}

impl Registration {
    fn into_submission(self) -> Submission {
        let encounter = self.encounter.map(|n| n.0).unwrap_or(EncounterForm {
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
