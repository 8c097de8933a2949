//! Pulang's web server: server-rendered pages (no JavaScript needed) and the JSON API under
//! `/api/v1`. Handlers only call `pulang-app` use cases with the [`AccessScope`] that the
//! authentication extractors produce.
//!
//! Layout: `ui/` (page layout, `PageError`, the one form extractor that checks
//! CSRF) is a leaf; one module per feature, named as in `pulang-app`; `api/` the same for JSON.
//! Must not: touch the store, build an `AccessScope` any other way than authentication, or
//! put personal data, query strings or bodies into logs and spans.
//!
//! [`AccessScope`]: pulang_app::AccessScope
#![forbid(unsafe_code)]

mod admin;
mod api;
mod audit;
mod auth;
mod context;
mod desk;
mod extract;
pub mod i18n;
mod identity;
mod import;
mod pdf;
mod people;
mod problem;
mod screening;
mod stats;
mod tokens;
mod ui;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use pulang_app::App;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::ui::{error, layout};

/// The largest request body accepted (forms and JSON). Imports will have their own limit.
pub const BODY_LIMIT: usize = 256 * 1024;

#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when Pulang is served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Proxies whose `X-Forwarded-For` is believed for the client address (sign-in throttling).
    /// Empty by default: the socket's peer address is used and client headers are ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// Where staff reach Pulang (`https://pulang.example.org`), for links printed on paper (the
    /// slip's QR code). From [`link_base`]; `None`: slips carry no link. Never taken from a
    /// request's `Host` header, which the client chooses.
    pub link_base: Option<String>,
}

/// Why a public URL was refused.
#[derive(Debug, thiserror::Error)]
#[error("public URL {0:?}: {1}")]
pub struct BadPublicUrl(String, &'static str);

/// The base of printed links: `public_url` when given (an absolute `http`/`https` URL with a
/// host and no query), else `http://<listen>` when the server listens on a loopback address
/// only (a single desk machine), else `None` (the caller warns: slips will have no QR code).
pub fn link_base(
    public_url: Option<&str>,
    listen: SocketAddr,
) -> Result<Option<String>, BadPublicUrl> {
    let Some(raw) = public_url.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(listen
            .ip()
            .is_loopback()
            .then(|| format!("http://{listen}")));
    };
    let bad = |why| Err(BadPublicUrl(raw.to_string(), why));
    let Ok(uri) = raw.parse::<axum::http::Uri>() else {
        return bad("not a URL");
    };
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return bad("must start with http:// or https://");
    }
    let Some(authority) = uri.authority() else {
        return bad("needs a host name");
    };
    if authority.host().is_empty() || authority.as_str().contains('@') {
        return bad("needs a host name (and no user name)");
    }
    if uri.query().is_some() || raw.contains('#') {
        return bad("must not have a query or fragment");
    }
    Ok(Some(raw.trim_end_matches('/').to_string()))
}

#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub cfg: Arc<WebConfig>,
    uploads: Arc<import::Uploads>,
}

pub fn router(app: App, cfg: WebConfig) -> Router {
    let state = AppState {
        app,
        cfg: Arc::new(cfg),
        uploads: Arc::default(),
    };
    Router::new()
        .route("/", get(auth::home))
        .route("/login", get(auth::login_page).post(auth::login_submit))
        .route("/logout", post(auth::logout))
        .route("/lang/{code}", get(auth::switch_language))
        .route(
            "/people",
            get(people::people_list).post(people::register_submit),
        )
        .route("/people/new", get(people::register_page))
        .route("/people/{id}", get(people::person_page))
        .route("/people/{id}/reveal", post(people::person_reveal))
        .route(
            "/people/{id}/edit",
            get(people::edit_page).post(people::edit_submit),
        )
        .route("/people/{id}/screenings", post(screening::start))
        .route(
            "/screenings/{id}",
            get(screening::show).post(screening::save),
        )
        .route("/screenings/{id}/correct", post(screening::correct))
        .route("/screenings/{id}/record", get(screening::record))
        .route("/screenings/{id}/record.pdf", get(screening::record_pdf))
        .route(
            "/imports",
            get(import::index)
                .post(import::preview)
                .layer(DefaultBodyLimit::max(import::UPLOAD_LIMIT)),
        )
        .route("/imports/confirm", post(import::confirm))
        .route("/imports/jobs/{id}", get(import::job))
        .route("/imports/{id}/revert", post(import::revert))
        .route("/desk", get(desk::desk_page).post(desk::desk_submit))
        .route("/desk/matches", post(desk::matches_fragment))
        .route("/desk/slip/{id}", get(desk::slip_page))
        .route("/groups", get(desk::groups_page).post(desk::group_create))
        .route("/groups/{id}", get(desk::group_page))
        .route("/people/{id}/milestones", post(desk::milestone_submit))
        .route("/people/{id}/flags", post(desk::flags_submit))
        .route("/reviews", get(identity::reviews_page))
        .route("/reviews/scan", post(identity::scan))
        .route(
            "/reviews/{id}",
            get(identity::review_page).post(identity::review_decide),
        )
        .route("/merges/{id}/undo", post(identity::undo_merge))
        .route("/admin", get(admin::admin_page))
        .route("/admin/sites", post(admin::admin_add_site))
        .route("/admin/users", post(admin::admin_add_user))
        .route("/admin/users/{username}/revoke", post(admin::admin_revoke))
        .route("/account", get(tokens::account_page))
        .route("/account/tokens", post(tokens::create_token))
        .route("/account/tokens/{id}/revoke", post(tokens::revoke_token))
        .route("/audit", get(audit::audit_page))
        .route("/stats", get(stats::stats_page))
        .route("/static/pulang.css", get(layout::stylesheet))
        .route("/static/interview.js", get(layout::interview_script))
        .route("/static/desk.js", get(layout::desk_script))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .nest("/api/v1", api::routes())
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(request_context))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(request_span))
                .layer(PropagateRequestIdLayer::x_request_id()),
        )
        .layer(middleware::from_fn_with_state(
            state.cfg.secure_cookies,
            security_headers,
        ))
        .with_state(state)
}

fn request_id_of(req: &Request) -> Option<&str> {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
}

/// A request's span: its method, the route it matched (a pattern such as `/people/{id}`, never
/// the path with its ids, nor the query string) and its id. Nothing personal; no bodies.
fn request_span(req: &Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or("(unmatched)");
    tracing::info_span!(
        "request",
        method = %req.method(),
        route,
        request_id = request_id_of(req).unwrap_or("-"),
    )
}

/// Runs the request with its [`context`]: the request id, language and path that an error
/// page or problem needs.
async fn request_context(req: Request, next: Next) -> Response {
    let ctx = context::RequestContext::new(
        request_id_of(&req).map(str::to_string),
        extract::lang_of(req.headers()),
        req.uri().path().to_string(),
    );
    context::scope(ctx, next.run(req)).await
}

async fn readyz(State(s): State<AppState>) -> Response {
    match s.app.ready().await {
        Ok(()) => "ready".into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database not ready").into_response(),
    }
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'";

/// Headers on every response; pages may hold personal data, so nothing is cached except the
/// stylesheet.
/// Served over HTTPS (`--secure-cookies`), browsers are also told to use nothing else.
async fn security_headers(State(https): State<bool>, req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !is_static {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    app: App,
    cfg: WebConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(app, cfg).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
