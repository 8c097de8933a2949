//! Shared set-up for the web integration tests: a real App on a throwaway database, two sites
//! (PNH, BKK), one user per role on PNH plus a global admin, and one person per site.
//!
//! The database is SQLite in a temporary directory, or with `PULANG_TEST_BACKEND=postgres` a
//! fresh PostgreSQL database per App on the server named by `PULANG_TEST_PG`, dropped with it
//! (see `pulang-testkit`).
#![allow(dead_code, clippy::disallowed_methods)]

use std::collections::BTreeSet;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use pulang_app::domain::{EncounterForm, PersonForm, Role};
use pulang_app::{AccessScope, App, DataConfig, Submission};
use pulang_testkit::TestDb;
use pulang_web::WebConfig;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct-horse-battery";

/// The own-site (PNH) person's identifiers, to look for in response bodies.
pub const OWN_NAME: &str = "Siti Rahayu";
pub const OWN_ALIAS: &str = "Bunga Melati";
pub const OWN_NIK: &str = "3204105201980001";
pub const OWN_NIK_MASKED: &str = "3204••••••••0001";
pub const OWN_PASSPORT: &str = "X1234567";
pub const OWN_PASSPORT_MASKED: &str = "X1••••••";
pub const OWN_PHONE: &str = "+6281234567890";
pub const OWN_PHONE_DIGITS: &str = "81234567890";
pub const OWN_NOTES: &str = "Confidential-note-7f3a: arrived with an injured hand";
pub const OWN_REGENCY: &str = "Kabupaten Garut";
pub const OWN_BIRTH: &str = "1998-01-12";

pub const OTHER_NAME: &str = "Dewi Lestari";
pub const OTHER_NIK: &str = "3204105201980002";
pub const OTHER_PASSPORT: &str = "X7654321";
pub const OTHER_NOTES: &str = "Confidential-note-bkk-91c2";

/// Who makes a request in the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    GlobalAdmin,
    Admin,
    Registrar,
    Caseworker,
    Police,
    Analyst,
    Auditor,
    Anon,
}

impl Who {
    pub const ALL: [Who; 8] = [
        Who::GlobalAdmin,
        Who::Admin,
        Who::Registrar,
        Who::Caseworker,
        Who::Police,
        Who::Analyst,
        Who::Auditor,
        Who::Anon,
    ];

    pub fn username(self) -> Option<&'static str> {
        Some(match self {
            Who::GlobalAdmin => "global_admin",
            Who::Admin => "pnh_admin",
            Who::Registrar => "pnh_registrar",
            Who::Caseworker => "pnh_caseworker",
            Who::Police => "pnh_police",
            Who::Analyst => "pnh_analyst",
            Who::Auditor => "pnh_auditor",
            Who::Anon => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Who::GlobalAdmin => "admin*",
            Who::Admin => "admin",
            Who::Registrar => "registrar",
            Who::Caseworker => "caseworker",
            Who::Police => "police",
            Who::Analyst => "analyst",
            Who::Auditor => "auditor",
            Who::Anon => "anon",
        }
    }

    /// The role and site (`None` = every site) of the user.
    fn grant(self) -> Option<(Role, Option<&'static str>)> {
        Some(match self {
            Who::GlobalAdmin => (Role::Admin, None),
            Who::Admin => (Role::Admin, Some("PNH")),
            Who::Registrar => (Role::Registrar, Some("PNH")),
            Who::Caseworker => (Role::Caseworker, Some("PNH")),
            Who::Police => (Role::PoliceLiaison, Some("PNH")),
            Who::Analyst => (Role::Analyst, Some("PNH")),
            Who::Auditor => (Role::Auditor, Some("PNH")),
            Who::Anon => return None,
        })
    }
}

/// A signed-in user's credentials.
#[derive(Debug, Clone)]
pub struct Creds {
    pub username: String,
    pub token: String,
    pub session: String,
    pub csrf: String,
}

pub struct Env {
    /// The App's database (and data directory); dropped (deleted) with the Env.
    pub db: TestDb,
    pub app: App,
    pub router: Router,
    pub creds: Vec<(Who, Creds)>,
    /// The PNH person.
    pub own_id: String,
    pub own_case: String,
    /// The BKK person.
    pub other_id: String,
    pub other_case: String,
    /// A draft screening of each person.
    pub own_screening: String,
    pub other_screening: String,
    /// An arrival group at each site.
    pub own_group: String,
    pub other_group: String,
    /// A pending review pair at each site (two registrations of the same person).
    pub own_review: String,
    pub other_review: String,
}

/// Registers the same person twice at `site`, the second time despite the possible match;
/// returns the review the second registration queued.
pub async fn twin(app: &App, site: &str, name: &str, birth: &str) -> String {
    let op = op();
    for _ in 0..2 {
        let out = app
            .desk_register(
                &op,
                pulang_app::desk::DeskSubmission {
                    person: PersonForm {
                        full_name: name.into(),
                        sex: Some("M".into()),
                        birth_date: Some(birth.into()),
                        ..Default::default()
                    },
                    site: Some(site.into()),
                    confirmed_new: true,
                    ..Default::default()
                },
            )
            .await
            .expect("desk registration");
        assert!(matches!(
            out,
            pulang_app::desk::DeskOutcome::Registered { .. }
        ));
    }
    let reviews = app
        .reviews(&op, &[pulang_app::domain::ReviewStatus::Pending], 100)
        .await
        .expect("reviews");
    reviews
        .into_iter()
        .find(|r| r.left.person.full_name == name && r.left.person.site == site)
        .map(|r| r.id)
        .expect("the second registration queued a review")
}

pub fn op() -> AccessScope {
    AccessScope::local_operator()
}

pub fn peer() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 40_000))
}

/// The router as served, with a fixed peer address standing in for `ConnectInfo`.
pub fn web(app: &App, cfg: WebConfig) -> Router {
    pulang_web::router(app.clone(), cfg).layer(MockConnectInfo(peer()))
}

/// An App on a fresh database of the backend `PULANG_TEST_BACKEND` names (SQLite by default).
pub async fn open_app() -> (TestDb, App) {
    let db = TestDb::from_env().await;
    let app = App::open(&DataConfig {
        data_dir: db.dir().to_path_buf(),
        database_url: db.database_url(),
    })
    .await
    .unwrap_or_else(|e| panic!("open app on {}: {e}", db.display_url()))
    .app;
    let on_pg = db.backend() == pulang_testkit::Backend::Postgres;
    assert_eq!(on_pg, app.backend() == pulang_app::Backend::Postgres);
    (db, app)
}

pub fn own_form() -> Submission {
    Submission {
        person: PersonForm {
            full_name: OWN_NAME.into(),
            aliases: vec![OWN_ALIAS.into()],
            sex: Some("F".into()),
            birth_date: Some(OWN_BIRTH.into()),
            nik: Some(OWN_NIK.into()),
            passport_no: Some(OWN_PASSPORT.into()),
            phones: vec![OWN_PHONE.into()],
            origin_province: Some("Jawa Barat".into()),
            origin_regency: Some(OWN_REGENCY.into()),
            languages: vec!["Indonesia".into()],
            ..Default::default()
        },
        encounter: EncounterForm {
            site: Some("PNH".into()),
            arrival_route: Some("walk_in".into()),
            notes: Some(OWN_NOTES.into()),
            ..Default::default()
        },
        confirm_warnings: true,
    }
}

fn other_form() -> Submission {
    Submission {
        person: PersonForm {
            full_name: OTHER_NAME.into(),
            sex: Some("F".into()),
            birth_date: Some(OWN_BIRTH.into()),
            nik: Some(OTHER_NIK.into()),
            passport_no: Some(OTHER_PASSPORT.into()),
            phones: vec!["0857 1234 567".into()],
            ..Default::default()
        },
        encounter: EncounterForm {
            site: Some("BKK".into()),
            notes: Some(OTHER_NOTES.into()),
            ..Default::default()
        },
        confirm_warnings: true,
    }
}

/// Sites, users (with API tokens and browser sessions) and one person per site.
pub async fn setup_with(cfg: WebConfig) -> Env {
    let (db, app) = open_app().await;
    let op = op();
    app.add_site(&op, "PNH", "KBRI Phnom Penh", "Asia/Phnom_Penh")
        .await
        .expect("site PNH");
    app.add_site(&op, "BKK", "KBRI Bangkok", "Asia/Bangkok")
        .await
        .expect("site BKK");
    let mut creds = Vec::new();
    for who in Who::ALL {
        let (Some(name), Some((role, site))) = (who.username(), who.grant()) else {
            continue;
        };
        app.add_user(&op, name, PASSWORD, role, site)
            .await
            .expect("add user");
        let token = app
            .create_token(&op, name, "matrix", None)
            .await
            .expect("token")
            .secret;
        let s = app.login(name, PASSWORD, "127.0.0.1").await.expect("login");
        creds.push((
            who,
            Creds {
                username: name.to_string(),
                token,
                session: s.token,
                csrf: s.csrf,
            },
        ));
    }
    // Users whose sessions the admin rows may revoke, one per site.
    app.add_user(&op, "pnh_dummy", PASSWORD, Role::Registrar, Some("PNH"))
        .await
        .expect("pnh_dummy");
    app.add_user(&op, "bkk_dummy", PASSWORD, Role::Registrar, Some("BKK"))
        .await
        .expect("bkk_dummy");
    let own = app.register_person(&op, own_form()).await.expect("own");
    let other = app.register_person(&op, other_form()).await.expect("other");
    let own_screening = app
        .start_screening(&op, &own.id)
        .await
        .expect("own screening")
        .id;
    let other_screening = app
        .start_screening(&op, &other.id)
        .await
        .expect("other screening")
        .id;
    let own_group = app
        .create_group(
            &op,
            Some("PNH"),
            "Police hand-over Sihanoukville",
            "police_handover",
            None,
        )
        .await
        .expect("own group")
        .id;
    let other_group = app
        .create_group(&op, Some("BKK"), "Rescue Mae Sot", "rescue_operation", None)
        .await
        .expect("other group")
        .id;
    let own_review = twin(&app, "PNH", "Hendra Gunawan", "1991-07-21").await;
    let other_review = twin(&app, "BKK", "Yusuf Maulana", "1989-02-14").await;
    let router = web(&app, cfg);
    Env {
        own_group,
        other_group,
        own_review,
        other_review,
        own_screening,
        other_screening,
        db,
        app,
        router,
        creds,
        own_id: own.id,
        own_case: own.case_number,
        other_id: other.id,
        other_case: other.case_number,
    }
}

pub async fn setup() -> Env {
    setup_with(WebConfig::default()).await
}

impl Env {
    pub fn creds(&self, who: Who) -> &Creds {
        &self
            .creds
            .iter()
            .find(|(w, _)| *w == who)
            .unwrap_or_else(|| panic!("no credentials for {who:?}"))
            .1
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        send(&self.router, req).await
    }

    /// People in the store, counted through the statistics (which read the database).
    pub async fn person_count(&self) -> i64 {
        person_count(&self.app).await
    }

    /// Audit events about `subject`, newest first.
    pub async fn audit_about(&self, subject: &str) -> Vec<pulang_app::AuditEvent> {
        self.app
            .audit_events(&op(), Some(subject), 10_000)
            .await
            .expect("audit events")
    }

    pub async fn newest_audit(&self) -> pulang_app::AuditEvent {
        self.app
            .audit_events(&op(), None, 1)
            .await
            .expect("audit events")
            .remove(0)
    }

    pub async fn version_of(&self, id: &str) -> i64 {
        self.app
            .person(&op(), id, false)
            .await
            .expect("person")
            .person
            .version
    }
}

pub async fn person_count(app: &App) -> i64 {
    app.stats(&op())
        .await
        .expect("stats")
        .by_site
        .iter()
        .map(|(_, n)| n)
        .sum()
}

/// A response with its body read.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response is not JSON ({e}): {} {}",
                self.status,
                self.text()
            )
        })
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }
    /// The `Set-Cookie` header for `name`, if any.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

pub async fn send(router: &Router, req: Request<Body>) -> Resp {
    let res = router.clone().oneshot(req).await.expect("infallible");
    let (parts, body) = res.into_parts();
    let body = body.collect().await.expect("body").to_bytes().to_vec();
    Resp {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// A request builder with the few things the tests vary.
pub fn request(method: &str, uri: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(Method::from_bytes(method.as_bytes()).expect("method"))
        .uri(uri)
}

pub fn empty(method: &str, uri: &str) -> Request<Body> {
    request(method, uri).body(Body::empty()).expect("request")
}

pub fn bearer_json(method: &str, uri: &str, token: &str, body: impl Into<Body>) -> Request<Body> {
    request(method, uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .expect("request")
}

pub fn bearer_get(uri: &str, token: &str) -> Request<Body> {
    request("GET", uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

pub fn session_get(uri: &str, session: &str) -> Request<Body> {
    request("GET", uri)
        .header(header::COOKIE, format!("pulang_session={session}"))
        .body(Body::empty())
        .expect("request")
}

/// `application/x-www-form-urlencoded`, percent-encoding every byte that needs it.
pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fn enc(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else if b == b' ' {
                out.push('+');
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn session_form(uri: &str, session: &str, fields: &[(&str, &str)]) -> Request<Body> {
    request("POST", uri)
        .header(header::COOKIE, format!("pulang_session={session}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form_encode(fields)))
        .expect("request")
}

/// The person form fields for the own-site person, as the edit page would submit them.
pub fn own_person_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("full_name", OWN_NAME),
        ("aliases", OWN_ALIAS),
        ("sex", "F"),
        ("birth_date", OWN_BIRTH),
        ("age", ""),
        ("nationality", "ID"),
        ("nik", OWN_NIK),
        ("passport_no", OWN_PASSPORT),
        ("phones", OWN_PHONE),
        ("origin_province", "Jawa Barat"),
        ("origin_regency", OWN_REGENCY),
        ("languages", "Indonesia"),
    ]
}

/// The value of the first hidden `csrf` input in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// `(METHOD, path)` for every route the router declares, read from the router's source
/// (`src/lib.rs`, and `src/api.rs` nested under `/api/v1`), so that a route added there
/// without a test shows up as a failure.
pub fn declared_routes() -> BTreeSet<(String, String)> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut out = BTreeSet::new();
    for (file, prefix) in [("src/lib.rs", ""), ("src/api.rs", "/api/v1")] {
        let src = std::fs::read_to_string(format!("{root}/{file}")).expect("router source");
        for (path, method) in routes_in(&src) {
            out.insert((method, format!("{prefix}{path}")));
        }
    }
    out
}

fn routes_in(src: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(i) = rest.find(".route(") {
        rest = &rest[i + ".route(".len()..];
        // The call's text up to its matching parenthesis.
        let mut depth = 1usize;
        let mut end = rest.len();
        for (j, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let call = &rest[..end];
        let Some(q1) = call.find('"') else { continue };
        let Some(q2) = call[q1 + 1..].find('"') else {
            continue;
        };
        let path = &call[q1 + 1..q1 + 1 + q2];
        let after = &call[q1 + 1 + q2 + 1..];
        for m in ["get", "post", "put", "patch", "delete"] {
            let pat = format!("{m}(");
            let mut from = 0;
            while let Some(k) = after[from..].find(&pat) {
                let at = from + k;
                let prev = after[..at].chars().next_back();
                if !prev.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                    out.push((path.to_string(), m.to_ascii_uppercase()));
                }
                from = at + pat.len();
            }
        }
        rest = &rest[end..];
    }
    out
}
