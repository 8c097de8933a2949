//! Arrival groups (a police handover, a rescue operation) and their progress; a person's
//! milestones and triage flags.
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};
use pulang_app::desk::GroupSummary;
use pulang_app::domain::{ArrivalRoute, Milestone};
use pulang_app::{AppError, Permission};

use crate::extract::Web;
use crate::i18n::{t, t1, Lang};
use crate::ui::layout::{local_path, today};
use crate::ui::{ok_page, PageError, PageResult, Posted};
use crate::AppState;

fn progress_bar(l: Lang, label: &str, n: i64, of: i64) -> Markup {
    let pct = if of > 0 { n * 100 / of } else { 0 };
    html! {
        div.progress data-step=(label) {
            span.progress-label { (t(l, &format!("progress-{label}"))) }
            meter min="0" max=(of.max(1)) value=(n) { (n) "/" (of) }
            span.progress-count { (n) " / " (of) " (" (pct) "%)" }
        }
    }
}

fn progress_html(l: Lang, g: &GroupSummary) -> Markup {
    let p = &g.progress;
    html! {
        div.group-progress {
            (progress_bar(l, "registered", p.registered, p.registered))
            (progress_bar(l, "screened", p.screened, p.registered))
            @for &ms in Milestone::ALL {
                (progress_bar(l, ms.as_str(), p.reached(ms), p.registered))
            }
            @if p.flagged > 0 { p.flagged data-count=(p.flagged) { (t1(l, "group-flagged", "count", p.flagged)) } }
        }
    }
}

fn group_hint(l: Lang, g: &GroupSummary) -> Markup {
    html! {
        p.hint { (t(l, &format!("group-kind-{}", g.group.kind))) " · " (g.site) " · " (g.group.arrived_on) }
    }
}

pub async fn groups_page(State(s): State<AppState>, web: Web) -> PageResult {
    let l = web.lang;
    let groups = s.app.groups(&web.scope).await?;
    let sites = s
        .app
        .registration_sites(&web.scope)
        .await
        .unwrap_or_default();
    let body = html! {
        h1 { (t(l, "groups-title")) }
        @if groups.is_empty() { p.empty { (t(l, "groups-none")) } }
        @for g in &groups {
            section.group {
                h2 { a href={ "/groups/" (g.group.id) } { (g.group.name) } }
                (group_hint(l, g))
                (progress_html(l, g))
            }
        }
        @if web.scope.can(Permission::RegisterPerson) && !sites.is_empty() {
            h2 { (t(l, "group-new")) }
            form method="post" action="/groups" {
                input type="hidden" name="csrf" value=(web.csrf);
                div.field { label for="g-name" { (t(l, "group-name")) } input #g-name name="name" type="text" required; }
                div.field { label for="g-kind" { (t(l, "group-kind")) }
                    select #g-kind name="kind" { @for k in ArrivalRoute::GROUP_KINDS { option value=(k) { (t(l, &format!("group-kind-{k}"))) } } } }
                div.field { label for="g-date" { (t(l, "field-arrived_on")) } input #g-date name="arrived_on" type="date" value=(today()); }
                @if sites.len() > 1 {
                    div.field { label for="g-site" { (t(l, "field-site")) }
                        select #g-site name="site" { @for x in &sites { option value=(x.code) { (x.code) " — " (x.name) } } } }
                }
                button type="submit" { (t(l, "group-create")) }
            }
        }
    };
    Ok(ok_page(&web, &t(l, "groups-title"), body))
}

pub async fn group_create(State(s): State<AppState>, posted: Posted) -> PageResult {
    let (web, f) = (&posted.web, &posted.form);
    let l = web.lang;
    let created = s
        .app
        .create_group(
            &web.scope,
            f.opt("site").as_deref(),
            f.get("name").unwrap_or(""),
            f.get("kind").unwrap_or("other"),
            f.opt("arrived_on").as_deref(),
        )
        .await;
    match created {
        Ok(g) => Ok(Redirect::to(&format!("/groups/{}", g.id)).into_response()),
        Err(AppError::Invalid(v)) => Err(PageError::bad_request(
            v.errors
                .iter()
                .map(|i| {
                    format!(
                        "{}: {}",
                        t(l, &format!("group-{}", i.field)),
                        crate::ui::fields::issue_text(l, i)
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        )),
        Err(e) => Err(e.into()),
    }
}

pub async fn group_page(State(s): State<AppState>, web: Web, Path(id): Path<String>) -> PageResult {
    let l = web.lang;
    let gp = s.app.group_page(&web.scope, &id).await?;
    let g = &gp.summary;
    let can_edit = web.scope.can(Permission::EditPerson);
    let body = html! {
        h1 { (g.group.name) }
        (group_hint(l, g))
        (progress_html(l, g))
        @if web.scope.can(Permission::RegisterPerson) {
            p { a.button href={ "/desk?group=" (g.group.id) } { (t(l, "group-register-here")) } }
        }
        table.members {
            thead { tr {
                th { (t(l, "slip-number")) } th { (t(l, "field-full_name")) } th { (t(l, "field-case_number")) }
                th { (t(l, "desk-triage")) } th { (t(l, "progress-screened")) } th { (t(l, "group-milestones")) }
            } }
            tbody {
                @for m in &gp.members {
                    tr data-person=(m.person_id) {
                        td { @if let Some(n) = m.member.ticket { (n) } }
                        td { a href={ "/people/" (m.person_id) } { (m.full_name) } }
                        td { (m.case_number) }
                        td { @for f in &m.member.flags { span.flag { (t(l, &format!("flag-{f}"))) } " " } }
                        td { @if m.member.screened { "✓" } }
                        td {
                            @for &ms in Milestone::ALL {
                                @let done = m.member.milestones.contains(&ms);
                                @if can_edit {
                                    form.inline method="post" action={ "/people/" (m.person_id) "/milestones" } {
                                        input type="hidden" name="csrf" value=(web.csrf);
                                        input type="hidden" name="milestone" value=(ms);
                                        input type="hidden" name="back" value={ "/groups/" (g.group.id) };
                                        @if done { input type="hidden" name="clear" value="yes"; }
                                        button.milestone type="submit" aria-pressed=(if done { "true" } else { "false" }) data-milestone=(ms) {
                                            @if done { "✓ " } (t(l, &format!("progress-{ms}")))
                                        }
                                    }
                                } @else if done {
                                    span.done { "✓ " (t(l, &format!("progress-{ms}"))) } " "
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(ok_page(&web, &g.group.name, body))
}

/// An update of a person's, then back to `back`: invalid values are a plain bad request.
fn done_or_bad(r: Result<(), AppError>, back: String) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&back).into_response()),
        Err(AppError::Invalid(_)) => Err(PageError::Bad("error-bad-request")),
        Err(e) => Err(e.into()),
    }
}

pub async fn milestone_submit(
    State(s): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> PageResult {
    let (web, f) = (&posted.web, &posted.form);
    let r = s
        .app
        .set_milestone(
            &web.scope,
            &id,
            f.get("milestone").unwrap_or(""),
            f.opt("on").as_deref(),
            f.get("clear").is_some(),
        )
        .await;
    done_or_bad(r, local_path(f.opt("back"), format!("/people/{id}")))
}

pub async fn flags_submit(
    State(s): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> PageResult {
    let (web, f) = (&posted.web, &posted.form);
    let r = s
        .app
        .set_triage_flags(&web.scope, &id, &f.all("flags"))
        .await;
    done_or_bad(r, format!("/people/{id}"))
}
