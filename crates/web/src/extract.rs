//! Request context: language, client address, and the authentication extractors — the only
//! way a handler gets an [`AccessScope`].
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::response::{IntoResponse, Redirect, Response};
use pulang_app::{AccessScope, AppError};

use crate::context::{self, SignedIn};
use crate::i18n::Lang;
use crate::problem::Problem;
use crate::AppState;

pub const SESSION_COOKIE: &str = "pulang_session";
pub const LANG_COOKIE: &str = "pulang_lang";
pub const PRELOGIN_COOKIE: &str = "pulang_prelogin";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(Lang::Id)
}

/// The client's address: the socket peer, unless the peer is a trusted proxy, in which case the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_addr(parts: &Parts, trusted: &[IpAddr]) -> String {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let Some(peer) = peer else {
        return "unknown".into();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
        .to_string()
}

/// The request's language.
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(lang_of(&parts.headers)))
    }
}

/// A signed-in browser session. Unauthenticated page requests are sent to `/login`.
pub struct Web {
    pub scope: AccessScope,
    pub csrf: String,
    pub token: String,
    pub lang: Lang,
    /// The path asked for (for the language links).
    pub path: String,
}

impl FromRequestParts<AppState> for Web {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let lang = lang_of(&parts.headers);
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_string) else {
            return Err(Redirect::to("/login").into_response());
        };
        match s.app.session_scope(&token).await {
            Ok((scope, csrf)) => {
                context::remember(SignedIn::of(&scope, &csrf));
                Ok(Web {
                    scope,
                    csrf,
                    token,
                    lang,
                    path: parts.uri.path().to_string(),
                })
            }
            Err(AppError::Unauthenticated) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(Problem::from(e).into_response()),
        }
    }
}

/// An API caller: a bearer token, or a browser session (which must then send its CSRF token in
/// `X-CSRF-Token` on any request that changes something).
pub struct Api {
    pub scope: AccessScope,
}

impl FromRequestParts<AppState> for Api {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(tok) = bearer {
            return s
                .app
                .token_scope(tok)
                .await
                .map(|scope| Api { scope })
                .map_err(|e| Problem::from(e).into_response());
        }
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(Problem::from(AppError::Unauthenticated).into_response());
        };
        let (scope, csrf) = s
            .app
            .session_scope(token)
            .await
            .map_err(|e| Problem::from(e).into_response())?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            if !sent.is_some_and(|v| same_secret(v, &csrf)) {
                return Err(Problem::from(AppError::Forbidden)
                    .detail("missing or wrong X-CSRF-Token")
                    .into_response());
            }
        }
        Ok(Api { scope })
    }
}

/// Constant-time comparison for CSRF tokens.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The client address for throttling (see [`client_addr`]).
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(client_addr(parts, &s.cfg.trusted_proxies)))
    }
}
