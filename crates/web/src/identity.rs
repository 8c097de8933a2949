//! The review queue: pairs of records that may be the same person, decided side by side by a
//! caseworker (same person → merged; different → kept apart; not sure → deferred), and undoing
//! a merge.
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};
use pulang_app::domain::ReviewStatus;
use pulang_app::identity::ReviewSide;
use pulang_app::Permission;

use crate::extract::Web;
use crate::i18n::{t, t1, Lang};
use crate::ui::labels::{percent, reasons_list, sex_label};
use crate::ui::layout::format_ms;
use crate::ui::{ok_page, PageResult, Posted};
use crate::AppState;

fn side_html(l: Lang, s: &ReviewSide) -> Markup {
    let dash = || "—".to_string();
    html! {
        div.side data-person=(s.person.id) {
            h3 { a href={ "/people/" (s.person.id) } { (s.person.full_name) } }
            dl.details {
                dt { (t(l, "field-case_number")) } dd { (s.person.case_number) }
                dt { (t(l, "field-site")) } dd { (s.person.site) }
                dt { (t(l, "field-sex")) } dd { (s.person.sex.map(|x| sex_label(l, Some(x))).unwrap_or_else(dash)) }
                dt { (t(l, "field-birth_date")) } dd { (s.person.birth.clone().unwrap_or_else(dash)) }
                dt { (t(l, "field-age")) } dd { (s.person.age.map(|a| a.to_string()).unwrap_or_else(dash)) }
                dt { (t(l, "field-origin_province")) } dd { (s.person.origin_province.clone().unwrap_or_else(dash)) }
                dt { (t(l, "review-registered")) } dd { (format_ms(s.created_at)) }
            }
            @if s.merged { p.notice { (t(l, "review-side-merged")) } }
        }
    }
}

pub async fn reviews_page(State(s): State<AppState>, web: Web) -> PageResult {
    let l = web.lang;
    let list = s.app.reviews(&web.scope, &ReviewStatus::OPEN, 200).await?;
    let counts = s.app.review_counts(&web.scope).await?;
    let body = html! {
        h1 { (t(l, "reviews-title")) }
        p.hint { (t(l, "reviews-intro")) }
        p.counts { @for (st, n) in &counts { span data-status=(st) { (t(l, &format!("review-status-{st}"))) ": " (n) } " · " } }
        @if list.is_empty() { p.empty { (t(l, "reviews-none")) } }
        @else {
            table.reviews {
                thead { tr { th { (t(l, "review-score")) } th { (t(l, "review-pair")) } th { (t(l, "review-origin")) } th { (t(l, "review-status")) } } }
                tbody {
                    @for r in &list {
                        tr data-review=(r.id) {
                            td { (percent(r.probability)) }
                            td { a href={ "/reviews/" (r.id) } { (r.left.person.full_name) " (" (r.left.person.case_number) ") ↔ " (r.right.person.full_name) " (" (r.right.person.case_number) ")" } }
                            td { (t(l, &format!("review-origin-{}", r.origin))) }
                            td { (t(l, &format!("review-status-{}", r.status))) }
                        }
                    }
                }
            }
        }
        form method="post" action="/reviews/scan" {
            input type="hidden" name="csrf" value=(web.csrf);
            button type="submit" { (t(l, "reviews-scan")) }
            " " small.hint { (t(l, "reviews-scan-hint")) }
        }
    };
    Ok(ok_page(&web, &t(l, "reviews-title"), body))
}

pub async fn review_page(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
) -> PageResult {
    let l = web.lang;
    let r = s.app.review(&web.scope, &id).await?;
    let open = !r.status.is_final();
    let body = html! {
        h1 { (t(l, "review-title")) }
        p { (t(l, "review-score")) ": " strong data-probability=(format!("{:.3}", r.probability)) { (percent(r.probability)) }
            " · " (t(l, &format!("review-origin-{}", r.origin))) " · " (t(l, &format!("review-status-{}", r.status))) }
        div.pair { (side_html(l, &r.left)) (side_html(l, &r.right)) }
        h2 { (t(l, "review-why")) }
        (reasons_list(l, &r.reasons, true))
        @if open && web.scope.can(Permission::ResolveIdentity) {
            form.decide method="post" action={ "/reviews/" (r.id) } {
                input type="hidden" name="csrf" value=(web.csrf);
                fieldset {
                    legend { (t(l, "review-keep")) }
                    label.check { input type="radio" name="keep" value=(r.left.person.id) checked; " " (t1(l, "review-keep-record", "case", r.left.person.case_number.clone())) }
                    label.check { input type="radio" name="keep" value=(r.right.person.id); " " (t1(l, "review-keep-record", "case", r.right.person.case_number.clone())) }
                }
                button type="submit" name="decision" value="confirm" { (t(l, "review-confirm")) }
                " "
                button type="submit" name="decision" value="reject" { (t(l, "review-reject")) }
                " "
                button type="submit" name="decision" value="defer" { (t(l, "review-defer")) }
            }
        }
        p { a href="/reviews" { (t(l, "reviews-back")) } }
    };
    Ok(ok_page(&web, &t(l, "review-title"), body))
}

fn to_person(id: &str) -> PageResult {
    Ok(Redirect::to(&format!("/people/{id}")).into_response())
}

pub async fn review_decide(
    State(s): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> PageResult {
    let (web, f) = (&posted.web, &posted.form);
    let merge = s
        .app
        .decide_review(
            &web.scope,
            &id,
            f.get("decision").unwrap_or(""),
            f.opt("keep").as_deref(),
        )
        .await?;
    match merge {
        Some(m) => to_person(&m.survivor_id),
        None => Ok(Redirect::to("/reviews").into_response()),
    }
}

pub async fn scan(State(s): State<AppState>, posted: Posted) -> PageResult {
    s.app.scan_for_duplicates(&posted.web.scope).await?;
    Ok(Redirect::to("/reviews").into_response())
}

pub async fn undo_merge(
    State(s): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> PageResult {
    let m = s.app.unmerge(&posted.web.scope, &id).await?;
    to_person(&m.survivor_id)
}
