//! Form posts. [`Posted`] is the extractor of every form a signed-in user sends: it reads the
//! form (URL-encoded, or multipart with files) and checks its CSRF token once, so no handler
//! can forget to. [`LoginPosted`] does the same for the sign-in form, whose token is the
//! double-submitted pre-login cookie.
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;

use crate::extract::{cookie, same_secret, Web, PRELOGIN_COOKIE};
use crate::i18n::Lang;
use crate::ui::error::PageError;
use crate::AppState;

/// Submitted form fields, in order; repeated names allowed. Files of a multipart form are
/// apart, in [`FormData::files`].
#[derive(Default)]
pub struct FormData {
    fields: Vec<(String, String)>,
    files: Vec<FormFile>,
}

/// A file sent with a multipart form.
pub struct FormFile {
    pub field: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

impl FormData {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
    /// The field trimmed, if it is not empty.
    pub fn opt(&self, k: &str) -> Option<String> {
        self.get(k)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }
    /// Every value of a repeated field (checkboxes).
    pub fn all(&self, k: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    }
    /// The fields except these, to show a form again as it was sent.
    pub fn without(&self, names: &[&str]) -> Vec<(String, String)> {
        self.fields
            .iter()
            .filter(|(k, _)| !names.contains(&k.as_str()))
            .cloned()
            .collect()
    }
    /// Takes the file sent as `field`.
    pub fn take_file(&mut self, field: &str) -> Option<FormFile> {
        let i = self.files.iter().position(|f| f.field == field)?;
        Some(self.files.swap_remove(i))
    }
    fn csrf_matches(&self, expected: &str) -> bool {
        self.get("csrf").is_some_and(|c| same_secret(c, expected))
    }

    async fn read(req: Request, s: &AppState) -> Result<FormData, &'static str> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let Form(fields) = Form::<Vec<(String, String)>>::from_request(req, s)
                .await
                .map_err(|_| "error-bad-request")?;
            return Ok(FormData {
                fields,
                files: vec![],
            });
        }
        // Only uploads are multipart; what fails here is nearly always a file over the limit.
        const TOO_LARGE: &str = "import-too-large";
        let mut parts = Multipart::from_request(req, s)
            .await
            .map_err(|_| TOO_LARGE)?;
        let mut out = FormData::default();
        while let Some(f) = parts.next_field().await.map_err(|_| TOO_LARGE)? {
            let field = f.name().unwrap_or("").to_string();
            match f.file_name().map(str::to_string) {
                Some(file_name) => {
                    let bytes = f.bytes().await.map_err(|_| TOO_LARGE)?.to_vec();
                    out.files.push(FormFile {
                        field,
                        file_name,
                        bytes,
                    });
                }
                None => {
                    let v = f.text().await.map_err(|_| "error-bad-request")?;
                    out.fields.push((field, v));
                }
            }
        }
        Ok(out)
    }
}

/// A form post from a signed-in user whose CSRF token checked out.
pub struct Posted {
    pub web: Web,
    pub form: FormData,
}

/// Why a form post was refused.
pub enum Rejected {
    /// Not signed in: the [`Web`] extractor's answer (to the sign-in page).
    NotSignedIn(Response),
    /// The form could not be read: a bad request with this message id.
    Malformed(&'static str),
    /// A missing or wrong CSRF token: "the form expired" (in the user's language).
    Csrf(Lang),
}

impl IntoResponse for Rejected {
    fn into_response(self) -> Response {
        match self {
            Rejected::NotSignedIn(r) => r,
            Rejected::Malformed(key) => PageError::Bad(key).into_response(),
            Rejected::Csrf(_) => PageError::Bad("error-csrf").into_response(),
        }
    }
}

impl FromRequest<AppState> for Posted {
    type Rejection = Rejected;
    async fn from_request(req: Request, s: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let web = Web::from_request_parts(&mut parts, s)
            .await
            .map_err(Rejected::NotSignedIn)?;
        let form = FormData::read(Request::from_parts(parts, body), s)
            .await
            .map_err(Rejected::Malformed)?;
        if !form.csrf_matches(&web.csrf) {
            return Err(Rejected::Csrf(web.lang));
        }
        Ok(Posted { web, form })
    }
}

/// The sign-in form, its token matching the pre-login cookie set with the form.
pub struct LoginPosted {
    pub form: FormData,
}

/// A refused sign-in form: the status, the message id, and the username to show again.
pub struct LoginRejected {
    pub status: StatusCode,
    pub message: &'static str,
    pub username: String,
}

impl IntoResponse for LoginRejected {
    fn into_response(self) -> Response {
        PageError::Bad(self.message).into_response()
    }
}

impl FromRequest<AppState> for LoginPosted {
    type Rejection = LoginRejected;
    async fn from_request(req: Request, s: &AppState) -> Result<Self, Self::Rejection> {
        let pre = cookie(req.headers(), PRELOGIN_COOKIE).map(str::to_string);
        let form = FormData::read(req, s).await.map_err(|_| LoginRejected {
            status: StatusCode::BAD_REQUEST,
            message: "error-bad-request",
            username: String::new(),
        })?;
        if !pre.is_some_and(|p| form.csrf_matches(&p)) {
            return Err(LoginRejected {
                status: StatusCode::FORBIDDEN,
                message: "error-csrf",
                username: form.get("username").unwrap_or("").to_string(),
            });
        }
        Ok(LoginPosted { form })
    }
}
