//! Errors as `application/problem+json` (RFC 9457) for the API; never internals: a 500 has only
//! the `request_id` that finds its details in the log.
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pulang_app::AppError;
use serde_json::{json, Value};

use crate::context;
use crate::i18n::{t, Lang};

pub struct Problem {
    pub status: StatusCode,
    pub title: String,
    pub detail: Option<String>,
    pub extra: Value,
}

impl Problem {
    pub fn new(status: StatusCode, title: impl Into<String>) -> Problem {
        Problem {
            status,
            title: title.into(),
            detail: None,
            extra: json!({}),
        }
    }
    pub fn detail(mut self, d: impl Into<String>) -> Problem {
        self.detail = Some(d.into());
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
        });
        if let Some(d) = self.detail {
            body["detail"] = Value::String(d);
        }
        if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            if let Some(id) = context::request_id() {
                body["request_id"] = Value::String(id);
            }
        }
        if let (Some(b), Some(e)) = (body.as_object_mut(), self.extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let mut res = (self.status, body.to_string()).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        res
    }
}

fn issues(lang: Lang, list: &[pulang_app::domain::FieldIssue]) -> Value {
    Value::Array(
        list.iter()
            .map(|i| json!({"field": i.field, "code": i.code, "message": t(lang, &format!("issue-{}", i.code.replace('_', "-")))}))
            .collect(),
    )
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Problem {
        let lang = Lang::En;
        match e {
            AppError::Unauthenticated => {
                Problem::new(StatusCode::UNAUTHORIZED, "Authentication required")
            }
            AppError::BadCredentials => {
                Problem::new(StatusCode::UNAUTHORIZED, "Wrong username or password")
            }
            AppError::Throttled { retry_after_secs } => {
                Problem::new(StatusCode::TOO_MANY_REQUESTS, "Too many attempts")
                    .detail(format!("Try again in {retry_after_secs} seconds"))
            }
            AppError::Forbidden => Problem::new(StatusCode::FORBIDDEN, "Not permitted"),
            AppError::NotFound => Problem::new(StatusCode::NOT_FOUND, "Not found"),
            AppError::Invalid(v) => Problem {
                extra: json!({"errors": issues(lang, &v.errors), "warnings": issues(lang, &v.warnings)}),
                ..Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Some fields need attention",
                )
            },
            AppError::NeedsConfirmation(v) => Problem {
                extra: json!({"errors": [], "warnings": issues(lang, &v.warnings)}),
                ..Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Warnings need confirmation",
                )
                .detail(
                    "Check the warnings; resend with \"confirm_warnings\": true to save as given",
                )
            },
            AppError::Conflict(m) => Problem::new(StatusCode::CONFLICT, "Conflict").detail(m),
            AppError::BadRequest(m) => {
                Problem::new(StatusCode::BAD_REQUEST, "Bad request").detail(m)
            }
            AppError::Internal(err) => {
                let request_id = context::request_id();
                tracing::error!(
                    request_id = request_id.as_deref().unwrap_or("-"),
                    error = %err,
                    "internal error"
                );
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{self, RequestContext};

    async fn body(res: Response) -> Value {
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("json")
    }

    #[tokio::test]
    async fn an_internal_error_is_a_500_with_the_request_id_and_no_details() {
        let ctx = RequestContext::new(Some("req-1".into()), Lang::En, "/api/v1/x".into());
        let res = context::scope(ctx, async {
            Problem::from(AppError::internal("secret database detail")).into_response()
        })
        .await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let b = body(res).await;
        assert_eq!(b["request_id"], "req-1");
        assert!(!b.to_string().contains("secret"), "{b}");
    }

    #[tokio::test]
    async fn other_problems_carry_no_request_id() {
        let ctx = RequestContext::new(Some("req-2".into()), Lang::En, "/api/v1/x".into());
        let res = context::scope(ctx, async {
            Problem::from(AppError::NotFound).into_response()
        })
        .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(body(res).await.get("request_id").is_none());
    }
}
