//! The audit log: whether its chain is intact, and the latest events.
use axum::extract::State;
use maud::html;

use crate::extract::Web;
use crate::i18n::{t, t1};
use crate::ui::layout::format_ms;
use crate::ui::{ok_page, PageResult};
use crate::AppState;

pub async fn audit_page(State(s): State<AppState>, web: Web) -> PageResult {
    let l = web.lang;
    let verdict = s.app.verify_audit(&web.scope).await?;
    let events = s.app.audit_events(&web.scope, None, 200).await?;
    Ok(ok_page(
        &web,
        &t(l, "audit-title"),
        html! {
            h1 { (t(l, "audit-title")) }
            @match &verdict {
                Ok(n) => p.notice #audit-verdict data-intact="true" { (t1(l, "audit-intact", "count", *n)) },
                Err(b) => p.error #audit-verdict data-intact="false" role="alert" { (t(l, "audit-broken")) ": " (b.to_string()) },
            }
            table #audit-events {
                thead { tr { th { "#" } th { (t(l, "audit-when")) } th { (t(l, "audit-actor")) } th { (t(l, "field-site")) } th { (t(l, "audit-action")) } th { (t(l, "audit-subject")) } } }
                tbody { @for e in &events { tr { td { (e.seq) } td { (format_ms(e.at)) } td { (e.actor) } td { (e.site) } td { code { (e.action) } } td { code { (e.subject) } } } } }
            }
        },
    ))
}
