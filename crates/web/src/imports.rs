//! Importing a list in the browser: upload, see what would happen to every row, confirm.
//! The uploaded file waits in memory (never on disk) between the preview and the confirmation,
//! for at most 30 minutes and only for the person who uploaded it.
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Multipart, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::Form;
use maud::{html, Markup};
use pulang_app::import::{ImportReport, ImportRequest, RowOutcome};
use pulang_app::{AppError, Permission};

use crate::extract::Web;
use crate::i18n::{t, t1, Lang};
use crate::pages::{error_page, html_response, page, Chrome, FormData};
use crate::AppState;

/// The largest list accepted from the browser.
pub const UPLOAD_LIMIT: usize = 50 * 1024 * 1024;
const KEEP: Duration = Duration::from_secs(30 * 60);

struct Upload {
    user_id: String,
    file_name: String,
    source: String,
    site: Option<String>,
    bytes: Vec<u8>,
    at: Instant,
}

/// Uploads waiting for confirmation, by a random token.
#[derive(Default)]
pub struct Uploads(Mutex<HashMap<String, Upload>>);

impl Uploads {
    fn put(&self, u: Upload) -> String {
        let token = pulang_app::auth::random_token();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, v| v.at.elapsed() < KEEP);
        map.insert(token.clone(), u);
        token
    }

    fn take(&self, token: &str, user_id: &str) -> Option<Upload> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, v| v.at.elapsed() < KEEP);
        match map.get(token) {
            Some(u) if u.user_id == user_id => map.remove(token),
            _ => None,
        }
    }
}

fn outcome_text(l: Lang, o: RowOutcome) -> String {
    t(
        l,
        match o {
            RowOutcome::Created => "import-created",
            RowOutcome::Matched => "import-matched",
            RowOutcome::Review => "import-review",
            RowOutcome::Rejected => "import-rejected",
        },
    )
}

fn report_html(l: Lang, r: &ImportReport) -> Markup {
    html! {
        p #import-counts data-rows=(r.rows) data-created=(r.created) data-matched=(r.matched) data-review=(r.review) data-rejected=(r.rejected) {
            (t1(l, "import-rows", "rows", r.rows as i64)) ": "
            (outcome_text(l, RowOutcome::Created)) " " (r.created) " · "
            (outcome_text(l, RowOutcome::Matched)) " " (r.matched) " · "
            (outcome_text(l, RowOutcome::Review)) " " (r.review) " · "
            (outcome_text(l, RowOutcome::Rejected)) " " (r.rejected)
            @if r.empty_rows > 0 { " · " (t1(l, "import-empty-rows", "count", r.empty_rows as i64)) }
        }
        table #import-rows {
            thead { tr { th { (t(l, "import-sheet")) } th { (t(l, "import-line")) } th { (t(l, "import-outcome")) } th { (t(l, "field-case_number")) } th { (t(l, "import-reasons")) } } }
            tbody { @for i in &r.items {
                tr data-outcome=(format!("{:?}", i.outcome).to_lowercase()) {
                    td { (i.sheet) } td { (i.line) } td { (outcome_text(l, i.outcome)) }
                    td { @if let Some(id) = &i.person_id { a href={ "/people/" (id) } { (i.case_number.clone().unwrap_or_default()) } } }
                    td { (i.reasons.join("; ")) }
                }
            } }
        }
    }
}

/// GET /imports: the upload form and past imports.
pub async fn index(State(s): State<AppState>, web: Web, uri: Uri) -> Response {
    let c = Chrome::of(&web, &uri);
    let l = web.lang;
    let batches = match s.app.import_batches(&web.scope).await {
        Ok(b) => b,
        Err(e) => return error_page(&c, e),
    };
    let sites = s
        .app
        .registration_sites(&web.scope)
        .await
        .unwrap_or_default();
    html_response(
        StatusCode::OK,
        page(
            &c,
            &t(l, "import-title"),
            html! {
                h1 { (t(l, "import-title")) }
                p { (t(l, "import-intro")) }
                form #import-upload method="post" action="/imports" enctype="multipart/form-data" {
                    input type="hidden" name="csrf" value=(web.csrf);
                    label for="file" { (t(l, "import-file")) }
                    input #file name="file" type="file" required accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
                    label for="source" { (t(l, "import-source")) }
                    input #source name="source" placeholder=(t(l, "import-source-hint"));
                    label for="site" { (t(l, "field-site")) }
                    select #site name="site" { @for x in &sites { option value=(x.code) { (x.code) " — " (x.name) } } }
                    button type="submit" { (t(l, "import-check")) }
                }
                h2 { (t(l, "import-batches")) }
                table #import-batches {
                    thead { tr { th { (t(l, "audit-when")) } th { (t(l, "field-site")) } th { (t(l, "import-source")) } th { (t(l, "import-by")) } th { (t(l, "import-rows-short")) } th { (outcome_text(l, RowOutcome::Created)) } th { (outcome_text(l, RowOutcome::Matched)) } th { (outcome_text(l, RowOutcome::Review)) } th { (outcome_text(l, RowOutcome::Rejected)) } } }
                    tbody { @for b in &batches {
                        tr { td { (crate::pages::format_ms(b.created_at)) } td { (b.site) } td { (b.source) " (" (b.file_name) ")" } td { (b.created_by) }
                             td { (b.rows) } td { (b.created) } td { (b.matched) } td { (b.review) } td { (b.rejected) } }
                    } }
                }
            },
        ),
    )
}

/// POST /imports (multipart): a dry run of the uploaded list, with a confirmation form.
pub async fn preview(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    mut form: Multipart,
) -> Response {
    let c = Chrome::of(&web, &uri);
    let l = web.lang;
    if !web.scope.can(Permission::RegisterPerson) {
        return error_page(&c, AppError::Forbidden);
    }
    let (mut csrf, mut file_name, mut source, mut site, mut bytes) =
        (String::new(), String::new(), String::new(), None, None);
    loop {
        match form.next_field().await {
            Ok(Some(f)) => {
                let name = f.name().unwrap_or("").to_string();
                if name == "file" {
                    file_name = f.file_name().unwrap_or("list").to_string();
                    match f.bytes().await {
                        Ok(b) => bytes = Some(b.to_vec()),
                        Err(_) => {
                            return error_page(&c, AppError::BadRequest(t(l, "import-too-large")))
                        }
                    }
                } else {
                    let v = f.text().await.unwrap_or_default();
                    match name.as_str() {
                        "csrf" => csrf = v,
                        "source" => source = v,
                        "site" => site = Some(v).filter(|x| !x.is_empty()),
                        _ => {}
                    }
                }
            }
            Ok(None) => break,
            Err(_) => return error_page(&c, AppError::BadRequest(t(l, "import-too-large"))),
        }
    }
    if !crate::extract::same_secret(&csrf, &web.csrf) {
        return error_page(&c, AppError::BadRequest(t(l, "error-csrf")));
    }
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return error_page(&c, AppError::BadRequest(t(l, "import-no-file")));
    };
    let req = ImportRequest {
        file_name: file_name.clone(),
        source: source.clone(),
        site: site.clone(),
        dry_run: true,
        overrides: vec![],
    };
    let report = match s.app.import_list(&web.scope, &bytes, req, &|_, _| {}).await {
        Ok(r) => r,
        Err(e) => return error_page(&c, e),
    };
    let token = s.uploads.put(Upload {
        user_id: web.scope.user_id().to_string(),
        file_name: file_name.clone(),
        source,
        site,
        bytes,
        at: Instant::now(),
    });
    html_response(
        StatusCode::OK,
        page(
            &c,
            &t(l, "import-preview-title"),
            html! {
                h1 { (t(l, "import-preview-title")) }
                p { strong { (file_name) } " → " (report.site) }
                p.notice { (t(l, "import-preview-intro")) }
                (report_html(l, &report))
                form #import-confirm method="post" action="/imports/confirm" {
                    input type="hidden" name="csrf" value=(web.csrf);
                    input type="hidden" name="token" value=(token);
                    button type="submit" { (t(l, "import-confirm")) }
                    " " a href="/imports" { (t(l, "cancel")) }
                }
            },
        ),
    )
}

/// POST /imports/confirm: imports the list previewed.
pub async fn confirm(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    let c = Chrome::of(&web, &uri);
    let l = web.lang;
    if !web.scope.can(Permission::RegisterPerson) {
        return error_page(&c, AppError::Forbidden);
    }
    let f = FormData(raw);
    if !f.csrf_ok(&web.csrf) {
        return error_page(&c, AppError::BadRequest(t(l, "error-csrf")));
    }
    let Some(up) = f
        .get("token")
        .and_then(|tok| s.uploads.take(tok, web.scope.user_id()))
    else {
        return error_page(&c, AppError::NotFound);
    };
    let req = ImportRequest {
        file_name: up.file_name.clone(),
        source: up.source,
        site: up.site,
        dry_run: false,
        overrides: vec![],
    };
    match s
        .app
        .import_list(&web.scope, &up.bytes, req, &|_, _| {})
        .await
    {
        Ok(report) => html_response(
            StatusCode::OK,
            page(
                &c,
                &t(l, "import-done-title"),
                html! {
                    h1 { (t(l, "import-done-title")) }
                    p { strong { (up.file_name) } " → " (report.site) }
                    (report_html(l, &report))
                    p { a href="/imports" { (t(l, "import-title")) } }
                },
            ),
        ),
        Err(e) => error_page(&c, e),
    }
}
