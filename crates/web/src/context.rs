//! What every response of a request may need without the handler passing it along: the request
//! id (for the log and for 500s), the language and path (for the error page's chrome) and, once
//! the `Web` extractor has run, who is signed in. Set by a middleware in
//! `lib.rs` around each request; a leaf module.
use std::sync::{Arc, OnceLock};

use pulang_app::{AccessScope, Permission};

use crate::i18n::Lang;

tokio::task_local! {
    static CURRENT: Arc<RequestContext>;
}

pub struct RequestContext {
    pub request_id: Option<String>,
    pub lang: Lang,
    pub path: String,
    signed_in: OnceLock<SignedIn>,
}

/// What the page chrome shows of a signed-in user: the name, the sign-out form's CSRF token
/// and the permissions that decide the navigation links (never the scope itself).
#[derive(Clone)]
pub struct SignedIn {
    pub username: String,
    pub csrf: String,
    permissions: Vec<Permission>,
}

impl SignedIn {
    pub fn of(scope: &AccessScope, csrf: &str) -> SignedIn {
        SignedIn {
            username: scope.username().to_string(),
            csrf: csrf.to_string(),
            permissions: Permission::ALL
                .into_iter()
                .filter(|p| scope.can(*p))
                .collect(),
        }
    }
    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }
}

impl RequestContext {
    pub fn new(request_id: Option<String>, lang: Lang, path: String) -> RequestContext {
        RequestContext {
            request_id,
            lang,
            path,
            signed_in: OnceLock::new(),
        }
    }
    pub fn signed_in(&self) -> Option<&SignedIn> {
        self.signed_in.get()
    }
}

/// Runs `f` (a request) with `ctx` as its context.
pub async fn scope<F: std::future::Future>(ctx: RequestContext, f: F) -> F::Output {
    CURRENT.scope(Arc::new(ctx), f).await
}

/// The current request's context, if there is one (not in unit tests).
pub fn current() -> Option<Arc<RequestContext>> {
    CURRENT.try_with(Arc::clone).ok()
}

/// The current request's id, if any.
pub fn request_id() -> Option<String> {
    current().and_then(|c| c.request_id.clone())
}

/// Remembers who is signed in, for an error page rendered later in the request.
pub fn remember(who: SignedIn) {
    if let Some(c) = current() {
        let _ = c.signed_in.set(who);
    }
}
