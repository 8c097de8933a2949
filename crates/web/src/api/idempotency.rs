//! `Idempotency-Key` on the `POST`s that create or decide something: a retry with the same key
//! and body gets the first answer again (marked `Idempotent-Replayed: true`) and changes
//! nothing; the same key with another body is refused (422); a key whose change committed but
//! whose answer was lost in a crash is a 409 that says so. Keys are the sender's own, kept a day.
use std::future::Future;

use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pulang_app::idempotency::{IdempotencyKey, Replay};
use serde::{Deserialize, Serialize};

use super::ApiResult;
use crate::extract::Api;
use crate::problem::Problem;
use crate::AppState;

pub const HEADER: &str = "idempotency-key";

/// An answer as kept: enough to give it again.
#[derive(Serialize, Deserialize)]
struct Kept {
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    body: String,
}

/// Runs `run` (the request) under the request's `Idempotency-Key`, if it has one.
pub(super) async fn idempotent(
    s: &AppState,
    api: &Api,
    headers: &HeaderMap,
    fingerprint: &[u8],
    run: impl Future<Output = ApiResult>,
) -> ApiResult {
    let Some(raw) = headers.get(HEADER) else {
        return run.await;
    };
    let key = IdempotencyKey::parse(raw.to_str().unwrap_or(""))?;
    match s
        .app
        .idempotent_replay(&api.scope, &key, fingerprint)
        .await?
    {
        Replay::Fresh => {}
        Replay::Answer(bytes) => return replay(&bytes),
        Replay::Mismatch => {
            return Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Idempotency-Key already used",
            )
            .detail("This key was sent with a different request; use a new key for a new request"))
        }
        Replay::Unanswered => return Err(Problem::new(
            StatusCode::CONFLICT,
            "Already carried out",
        )
        .detail(
            "A request with this key was carried out (or is still under way) but its answer \
                 is not available: look the record up before sending it again with a new key",
        )),
    }
    let response = match s.app.claiming(&api.scope, &key, fingerprint, run).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    };
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, 4 << 20)
        .await
        .map_err(|e| Problem::from(pulang_app::AppError::internal(e)))?;
    let text = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let kept = Kept {
        status: parts.status.as_u16(),
        content_type: text(header::CONTENT_TYPE),
        location: text(header::LOCATION),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    };
    // The change is made; failing to keep its answer only costs a later retry its replay.
    match serde_json::to_vec(&kept) {
        Ok(answer) => {
            if let Err(e) = s
                .app
                .keep_idempotent_answer(&api.scope, &key, &answer)
                .await
            {
                tracing::warn!(error = %e, "could not keep an idempotent answer");
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not keep an idempotent answer"),
    }
    Ok(Response::from_parts(parts, Body::from(bytes)))
}

fn replay(bytes: &[u8]) -> ApiResult {
    let kept: Kept = serde_json::from_slice(bytes)
        .map_err(|e| Problem::from(pulang_app::AppError::internal(e)))?;
    let mut r = Response::new(Body::from(kept.body));
    *r.status_mut() = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
    let h = r.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, kept.content_type),
        (header::LOCATION, kept.location),
    ] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            h.insert(name, v);
        }
    }
    h.insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(r)
}
