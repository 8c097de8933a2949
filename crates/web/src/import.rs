//! Importing a list in the browser: upload, see what would happen to every row, confirm.
//! The uploaded file waits in memory (never on disk) between the preview and the confirmation,
//! for at most 30 minutes and only for the person who uploaded it.
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};
use pulang_app::domain::ImportStatus;
use pulang_app::import::{ImportReport, ImportRequest, RowOutcome};
use pulang_app::{AppError, Permission};

use crate::extract::Web;
use crate::i18n::{t, t1, Lang};
use crate::ui::layout::format_ms;
use crate::ui::{ok_page, PageError, PageResult, Posted};
use crate::AppState;

/// The largest list accepted from the browser.
pub const UPLOAD_LIMIT: usize = 50 * 1024 * 1024;
const KEEP: Duration = Duration::from_secs(30 * 60);
/// Previews a user may hold at once, waiting for confirmation; a new one drops their oldest.
const PREVIEWS_PER_USER: usize = 3;
/// Bytes of previewed lists held in memory for everyone; beyond, the oldest are dropped.
const PREVIEW_BYTES: usize = 256 * 1024 * 1024;

struct Upload {
    user_id: String,
    file_name: String,
    source: String,
    site: Option<String>,
    bytes: Vec<u8>,
    at: Instant,
}

/// An import running in the background: its progress, then its report.
struct Job {
    user_id: String,
    file_name: String,
    done: Arc<AtomicUsize>,
    total: Arc<AtomicUsize>,
    result: Arc<Mutex<Option<Result<ImportReport, AppError>>>>,
    at: Instant,
}

/// Uploads waiting for confirmation, by a random token; and the imports running.
#[derive(Default)]
pub struct Uploads(Mutex<HashMap<String, Upload>>, Mutex<HashMap<String, Job>>);

impl Uploads {
    /// Keeps a previewed list until it is confirmed (or for [`KEEP`]); memory stays bounded:
    /// [`PREVIEWS_PER_USER`] per user and [`PREVIEW_BYTES`] in all, the oldest dropped first
    /// (confirming a dropped preview asks for the file again).
    fn put(&self, u: Upload) -> String {
        let token = pulang_app::auth::random_token();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, v| v.at.elapsed() < KEEP);
        let oldest = |map: &HashMap<String, Upload>, user: Option<&str>| {
            map.iter()
                .filter(|(_, v)| user.is_none_or(|u| v.user_id == u))
                .min_by_key(|(_, v)| v.at)
                .map(|(k, _)| k.clone())
        };
        while map.values().filter(|v| v.user_id == u.user_id).count() >= PREVIEWS_PER_USER {
            let Some(k) = oldest(&map, Some(&u.user_id)) else {
                break;
            };
            map.remove(&k);
        }
        while map.values().map(|v| v.bytes.len()).sum::<usize>() + u.bytes.len() > PREVIEW_BYTES {
            let Some(k) = oldest(&map, None) else { break };
            map.remove(&k);
        }
        map.insert(token.clone(), u);
        token
    }

    fn start(&self, job: Job) -> String {
        let token = pulang_app::auth::random_token();
        let mut map = self.1.lock().unwrap_or_else(|e| e.into_inner());
        // Finished jobs are kept for a while so their report can be read.
        map.retain(|_, j| j.at.elapsed() < KEEP || !finished(j));
        map.insert(token.clone(), job);
        token
    }

    /// `(file name, done, total, result when finished)` of the caller's job.
    #[allow(clippy::type_complexity)]
    fn job(
        &self,
        token: &str,
        user_id: &str,
    ) -> Option<(String, usize, usize, Option<Result<ImportReport, String>>)> {
        let map = self.1.lock().unwrap_or_else(|e| e.into_inner());
        let j = map.get(token).filter(|j| j.user_id == user_id)?;
        let result = j.result.lock().unwrap_or_else(|e| e.into_inner());
        let result = result.as_ref().map(|r| match r {
            Ok(rep) => Ok(rep.clone()),
            Err(e) => Err(e.to_string()),
        });
        Some((
            j.file_name.clone(),
            j.done.load(Ordering::Relaxed),
            j.total.load(Ordering::Relaxed),
            result,
        ))
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

fn finished(j: &Job) -> bool {
    j.result.lock().map(|r| r.is_some()).unwrap_or(true)
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
pub async fn index(State(s): State<AppState>, web: Web) -> PageResult {
    let l = web.lang;
    let batches = s.app.import_batches(&web.scope).await?;
    let sites = s
        .app
        .registration_sites(&web.scope)
        .await
        .unwrap_or_default();
    Ok(ok_page(
        &web,
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
                thead { tr { th { (t(l, "audit-when")) } th { (t(l, "field-site")) } th { (t(l, "import-source")) } th { (t(l, "import-by")) } th { (t(l, "import-rows-short")) } th { (outcome_text(l, RowOutcome::Created)) } th { (outcome_text(l, RowOutcome::Matched)) } th { (outcome_text(l, RowOutcome::Review)) } th { (outcome_text(l, RowOutcome::Rejected)) } th {} } }
                tbody { @for b in &batches {
                    tr { td { (format_ms(b.created_at)) } td { (b.site) } td { (b.source) " (" (b.file_name) ")" } td { (b.created_by) }
                         td { (b.rows) } td { (b.created) } td { (b.matched) } td { (b.review) } td { (b.rejected) }
                         td { @if b.status == ImportStatus::Reverted { (t(l, "import-status-reverted")) }
                              @else if web.scope.can(Permission::RevertImport) {
                                  form.inline method="post" action={ "/imports/" (b.id) "/revert" } {
                                      input type="hidden" name="csrf" value=(web.csrf);
                                      button type="submit" { (t(l, "import-revert")) }
                                  }
                              } } }
                } }
            }
        },
    ))
}

fn require_register(web: &Web) -> Result<(), PageError> {
    if web.scope.can(Permission::RegisterPerson) {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

/// POST /imports (multipart): a dry run of the uploaded list, with a confirmation form.
pub async fn preview(State(s): State<AppState>, posted: Posted) -> PageResult {
    let Posted { web, mut form } = posted;
    let l = web.lang;
    require_register(&web)?;
    let source = form.get("source").unwrap_or("").to_string();
    let site = form.opt("site");
    let Some(file) = form.take_file("file").filter(|f| !f.bytes.is_empty()) else {
        return Err(PageError::Bad("import-no-file"));
    };
    let req = ImportRequest {
        file_name: file.file_name.clone(),
        source: source.clone(),
        site: site.clone(),
        dry_run: true,
        overrides: vec![],
    };
    let report = s
        .app
        .import_list(&web.scope, &file.bytes, req, &|_, _| {})
        .await?;
    let token = s.uploads.put(Upload {
        user_id: web.scope.user_id().to_string(),
        file_name: file.file_name.clone(),
        source,
        site,
        bytes: file.bytes,
        at: Instant::now(),
    });
    Ok(ok_page(
        &web,
        &t(l, "import-preview-title"),
        html! {
            h1 { (t(l, "import-preview-title")) }
            p { strong { (file.file_name) } " → " (report.site) }
            p.notice { (t(l, "import-preview-intro")) }
            (report_html(l, &report))
            form #import-confirm method="post" action="/imports/confirm" {
                input type="hidden" name="csrf" value=(web.csrf);
                input type="hidden" name="token" value=(token);
                button type="submit" { (t(l, "import-confirm")) }
                " " a href="/imports" { (t(l, "cancel")) }
            }
        },
    ))
}

/// POST /imports/confirm: imports the list previewed.
pub async fn confirm(State(s): State<AppState>, posted: Posted) -> PageResult {
    let (web, f) = (&posted.web, &posted.form);
    require_register(web)?;
    let Some(up) = f
        .get("token")
        .and_then(|tok| s.uploads.take(tok, web.scope.user_id()))
    else {
        return Err(AppError::NotFound.into());
    };
    let req = ImportRequest {
        file_name: up.file_name.clone(),
        source: up.source,
        site: up.site,
        dry_run: false,
        overrides: vec![],
    };
    // A large list takes a while: it runs in the background and the page shows its progress.
    let job = Job {
        user_id: web.scope.user_id().to_string(),
        file_name: up.file_name.clone(),
        done: Arc::default(),
        total: Arc::default(),
        result: Arc::default(),
        at: Instant::now(),
    };
    let (done, total, result) = (job.done.clone(), job.total.clone(), job.result.clone());
    let token = s.uploads.start(job);
    let (app, scope) = (s.app.clone(), web.scope.clone());
    tokio::spawn(async move {
        let progress = |d: usize, t: usize| {
            done.store(d, Ordering::Relaxed);
            total.store(t, Ordering::Relaxed);
        };
        let r = app.import_list(&scope, &up.bytes, req, &progress).await;
        *result.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
    });
    Ok(Redirect::to(&format!("/imports/jobs/{token}")).into_response())
}

/// GET /imports/jobs/{token}: the progress of a running import, then its report.
pub async fn job(State(s): State<AppState>, web: Web, Path(token): Path<String>) -> PageResult {
    let l = web.lang;
    require_register(&web)?;
    let Some((file_name, done, total, result)) = s.uploads.job(&token, web.scope.user_id()) else {
        return Err(AppError::NotFound.into());
    };
    match result {
        None => Ok(ok_page(
            &web,
            &t(l, "import-running-title"),
            html! {
                // Reloads itself every two seconds until the import is done (no script).
                meta http-equiv="refresh" content="2";
                h1 { (t(l, "import-running-title")) }
                p { strong { (file_name) } }
                p #import-progress data-done=(done) data-total=(total) {
                    meter min="0" max=(total.max(1)) value=(done) {}
                    " " (done) " / " (total)
                }
                p.hint { (t(l, "import-running-hint")) }
            },
        )),
        Some(Ok(report)) => Ok(ok_page(
            &web,
            &t(l, "import-done-title"),
            html! {
                h1 { (t(l, "import-done-title")) }
                p { strong { (file_name) } " → " (report.site) }
                (report_html(l, &report))
                p { a href="/imports" { (t(l, "import-title")) } }
            },
        )),
        Some(Err(msg)) => Err(PageError::bad_request(msg)),
    }
}

/// POST /imports/{id}/revert: an administrator reverts a whole import.
pub async fn revert(
    State(s): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> PageResult {
    let web = &posted.web;
    let l = web.lang;
    let r = s.app.revert_import(&web.scope, &id).await?;
    Ok(ok_page(
        web,
        &t(l, "import-reverted-title"),
        html! {
            h1 { (t(l, "import-reverted-title")) }
            p #revert-report data-removed=(r.removed) data-unlinked=(r.unlinked) data-kept=(r.kept.len()) {
                (t1(l, "import-reverted-removed", "count", r.removed as i64)) " · "
                (t1(l, "import-reverted-unlinked", "count", r.unlinked as i64)) " · "
                (t1(l, "import-reverted-kept", "count", r.kept.len() as i64))
            }
            @if !r.kept.is_empty() {
                ul { @for (id, why) in &r.kept { li { a href={ "/people/" (id) } { (id) } " — " (why) } } }
            }
            p { a href="/imports" { (t(l, "import-title")) } }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(user: &str, bytes: usize) -> Upload {
        Upload {
            user_id: user.into(),
            file_name: "list.csv".into(),
            source: String::new(),
            site: None,
            bytes: vec![b'x'; bytes],
            at: Instant::now(),
        }
    }

    #[test]
    fn previews_held_in_memory_are_bounded() {
        let u = Uploads::default();
        let first = u.put(upload("siti", 10));
        let mut later = Vec::new();
        for _ in 0..PREVIEWS_PER_USER {
            std::thread::sleep(Duration::from_millis(2));
            later.push(u.put(upload("siti", 10)));
        }
        let budi = u.put(upload("budi", 10));
        assert!(
            u.take(&first, "siti").is_none(),
            "the oldest of siti's was dropped"
        );
        assert!(later.iter().all(|t| u.0.lock().unwrap().contains_key(t)));
        assert!(u.take(&budi, "budi").is_some(), "other users keep theirs");
        // One preview as large as the whole allowance drops everything older.
        std::thread::sleep(Duration::from_millis(2));
        let big = u.put(upload("andi", PREVIEW_BYTES));
        let map = u.0.lock().unwrap();
        assert_eq!(map.len(), 1);
        assert!(map.contains_key(&big));
    }
}
