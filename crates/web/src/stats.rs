//! Aggregate counts, without personal data.
use axum::extract::State;
use maud::html;

use crate::extract::Web;
use crate::i18n::t;
use crate::ui::labels::outcome_label;
use crate::ui::{ok_page, PageResult};
use crate::AppState;

pub async fn stats_page(State(s): State<AppState>, web: Web) -> PageResult {
    let l = web.lang;
    let counts = s.app.stats(&web.scope).await?;
    let table = |title: &str, rows: &[(String, i64)], label: &dyn Fn(&str) -> String| {
        html! {
            h2 { (title) }
            table.counts { tbody { @for (k, n) in rows { tr { th scope="row" { (label(k)) } td { (n) } } } } }
        }
    };
    let same = |k: &str| k.to_string();
    let sex = |k: &str| {
        if k == "?" {
            t(l, "sex-unknown")
        } else {
            t(l, &format!("sex-{k}"))
        }
    };
    let route = |k: &str| t(l, &format!("route-{k}"));
    let outcome = |k: &str| outcome_label(l, k);
    Ok(ok_page(
        &web,
        &t(l, "stats-title"),
        html! {
            h1 { (t(l, "stats-title")) }
            p { (t(l, "stats-intro")) }
            (table(&t(l, "field-site"), &counts.by_site, &same))
            (table(&t(l, "field-sex"), &counts.by_sex, &sex))
            (table(&t(l, "field-arrival_route"), &counts.by_route, &route))
            (table(&t(l, "field-origin_province"), &counts.by_province, &same))
            (table(&t(l, "stats-screening-outcomes"), &counts.by_screening_outcome, &outcome))
        },
    ))
}
