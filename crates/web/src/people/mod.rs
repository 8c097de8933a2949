//! People: the search list, a person's page (and revealing masked fields), registration and
//! editing.
mod form;
mod view;

use axum::extract::{Path, Query, State};
use maud::html;
use serde::Deserialize;

pub use form::{edit_page, edit_submit, register_page, register_submit};

use crate::extract::Web;
use crate::i18n::{t, t1};
use crate::ui::layout::urlencode;
use crate::ui::{if_permitted, ok_page, PageResult, Posted};
use crate::AppState;

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    offset: Option<usize>,
}

const PAGE_SIZE: usize = 50;

pub async fn people_list(
    State(s): State<AppState>,
    web: Web,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let l = web.lang;
    let query = q.q.unwrap_or_default();
    let offset = q.offset.unwrap_or(0);
    let res = s.app.search(&web.scope, &query, offset, PAGE_SIZE).await?;
    let link = |off: usize| format!("/people?q={}&offset={off}", urlencode(&query));
    Ok(ok_page(
        &web,
        &t(l, "people-title"),
        html! {
            h1 { (t(l, "people-title")) }
            form #search method="get" action="/people" role="search" {
                label for="q" { (t(l, "search-label")) }
                input #q name="q" type="search" value=(query) autofocus placeholder=(t(l, "search-placeholder"));
                button type="submit" { (t(l, "search-submit")) }
            }
            p.count { (t1(l, "people-count", "count", res.total as i64)) }
            table #people-results {
                thead { tr { th { (t(l, "field-case_number")) } th { (t(l, "field-full_name")) } th { (t(l, "field-site")) } } }
                tbody {
                    @for p in &res.items {
                        tr {
                            td { (p.case_number) }
                            td { a.person-link href={ "/people/" (p.id) } { (p.full_name) } }
                            td { (p.site) }
                        }
                    }
                }
            }
            @if res.items.is_empty() { p.empty { (t(l, "people-none")) } }
            nav.paging {
                @if offset > 0 { a rel="prev" href=(link(offset.saturating_sub(PAGE_SIZE))) { (t(l, "page-prev")) } " " }
                @if offset + res.items.len() < res.total { a rel="next" href=(link(offset + PAGE_SIZE)) { (t(l, "page-next")) } }
            }
        },
    ))
}

async fn show_person(s: &AppState, web: &Web, id: &str, reveal: bool) -> PageResult {
    let p = s.app.person(&web.scope, id, reveal).await?;
    let screenings = if_permitted(s.app.screenings_of(&web.scope, &p.person).await)?;
    let extras = if p.person.minimal {
        view::PersonExtras::default()
    } else {
        view::PersonExtras {
            flags: if_permitted(s.app.flags_of(&web.scope, id).await)?,
            milestones: if_permitted(s.app.milestones_of(&web.scope, id).await)?,
            merges: if_permitted(s.app.merges_of(&web.scope, id).await)?,
        }
    };
    Ok(ok_page(
        web,
        &p.person.full_name,
        view::person_html(web.lang, web, &p, &screenings, &extras),
    ))
}

pub async fn person_page(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
) -> PageResult {
    show_person(&s, &web, &id, false).await
}

/// The person's page with masked fields shown (an audited read; a form post, so that a link
/// cannot do it).
pub async fn person_reveal(
    State(s): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> PageResult {
    show_person(&s, &posted.web, &id, true).await
}
