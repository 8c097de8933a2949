//! The screening's printable record, as a page and as a PDF made on the server.
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use maud::html;
use pulang_app::screening::ScreeningView;
use serde::Deserialize;

use super::{catalogue, lines, verdict_text};
use crate::extract::Web;
use crate::i18n::{t, t1, Lang};
use crate::ui::labels::tx;
use crate::ui::{ok_page, PageResult};
use crate::AppState;

#[derive(Deserialize)]
pub struct RecordQuery {
    lang: Option<String>,
}

fn record_lang(web: &Web, q: &RecordQuery) -> Lang {
    q.lang.as_deref().and_then(Lang::parse).unwrap_or(web.lang)
}

/// The content of the screening record, shared by the HTML and the PDF.
struct Record {
    title: String,
    header: String,
    blocks: Vec<Block>,
}

enum Block {
    Heading(String),
    Field(String, String),
    Para(String),
    Bullet(String),
    Quote(String),
    Signature(String),
}

fn build_record(l: Lang, v: &ScreeningView) -> Record {
    let e = &v.evaluation;
    let p = &v.person;
    let cat = catalogue(v);
    let dash = || "—".to_string();
    let mut b = Vec::new();
    b.push(Block::Heading(t(l, "record-identity")));
    b.push(Block::Field(t(l, "field-full_name"), p.full_name.clone()));
    b.push(Block::Field(
        t(l, "field-case_number"),
        p.case_number.clone(),
    ));
    b.push(Block::Field(
        t(l, "field-sex"),
        p.sex
            .map(|s| t(l, &format!("sex-{}", s.as_str())))
            .unwrap_or_else(dash),
    ));
    b.push(Block::Field(
        t(l, "field-birth_date"),
        p.birth_date.clone().unwrap_or_else(dash),
    ));
    b.push(Block::Field(
        t(l, "field-nationality"),
        p.nationality.clone(),
    ));
    b.push(Block::Field(
        t(l, "field-origin_province"),
        p.origin_province.clone().unwrap_or_else(dash),
    ));
    b.push(Block::Heading(t(l, "record-interview")));
    b.push(Block::Field(
        t(l, "screening-age"),
        v.input
            .age_at_recruitment
            .map(|a| a.to_string())
            .unwrap_or_else(|| t(l, "record-age-unknown")),
    ));
    let c = &e.answer_counts;
    b.push(Block::Para(
        t1(l, "record-counts", "present", c.present as i64)
            + &format!(
                " · {} {} · {} {} · {} {}",
                t(l, "answer-absent"),
                c.absent,
                t(l, "answer-unknown"),
                c.unknown + c.unanswered,
                t(l, "answer-declined"),
                c.declined
            ),
    ));
    b.push(Block::Field(
        t(l, "record-interviewer"),
        v.record.created_by.clone(),
    ));
    b.push(Block::Field(
        t(l, "record-catalogue"),
        format!("{} (engine {})", e.catalogue_version, e.engine_version),
    ));
    b.push(Block::Heading(t(l, "record-indicators")));
    if e.evidence.is_empty() {
        b.push(Block::Para(t(l, "record-no-indicators")));
    }
    for ev in &e.evidence {
        let mut line = format!(
            "{} [{}] — {}",
            tx(l, &ev.label),
            ev.id,
            t(
                l,
                &format!(
                    "source-{}",
                    serde_json::to_value(ev.source)
                        .ok()
                        .and_then(|x| x.as_str().map(str::to_string))
                        .unwrap_or_default()
                )
            )
        );
        if let Some(n) = &ev.note {
            line.push_str(&format!(" — {n}"));
        }
        b.push(Block::Bullet(line));
    }
    b.push(Block::Heading(t(l, "record-evaluators")));
    let ev = &e.evaluators;
    for (name, verdict, reasoning) in [
        ("record-ilo", ev.ilo_ec.verdict, &ev.ilo_ec.reasoning),
        ("record-palermo", ev.palermo.verdict, &ev.palermo.reasoning),
        (
            "record-forced-labour",
            ev.forced_labour.verdict,
            &ev.forced_labour.reasoning,
        ),
    ] {
        b.push(Block::Field(t(l, name), verdict_text(l, verdict)));
        for line in lines(l, reasoning) {
            b.push(Block::Bullet(line));
        }
    }
    b.push(Block::Heading(t(l, "screening-outcome")));
    b.push(Block::Para(format!(
        "{} — {}",
        tx(l, &e.outcome_label),
        tx(l, &e.referral)
    )));
    for f in &e.flags {
        b.push(Block::Bullet(tx(l, &f.message)));
    }
    for line in lines(l, &e.explanation) {
        b.push(Block::Bullet(line));
    }
    b.push(Block::Heading(t(l, "record-non-punishment")));
    let np = &ev.non_punishment;
    b.push(Block::Field(
        t(l, "record-verdict"),
        verdict_text(l, np.verdict),
    ));
    for line in lines(l, &np.reasoning) {
        b.push(Block::Para(line));
    }
    for lia in &np.liabilities {
        b.push(Block::Bullet(format!(
            "{}: {}",
            tx(l, &lia.label),
            tx(l, &lia.compulsion.reasoning)
        )));
        b.push(Block::Bullet(format!(
            "{}: {}",
            tx(l, &lia.label),
            tx(l, &lia.direct_consequence.reasoning)
        )));
        for q in &lia.legal_basis {
            b.push(Block::Quote(format!("{} — “{}”", q.source, tx(l, &q.text))));
        }
    }
    b.push(Block::Para(tx(l, &e.notice)));
    b.push(Block::Heading(t(l, "record-signatures")));
    if let (Some(by), Some(at)) = (&v.record.signed_by, v.record.signed_at) {
        b.push(Block::Para(format!(
            "{}: {} · {}",
            t(l, "record-signed-by"),
            by,
            pulang_app::local_time(at, &v.person.timezone)
        )));
    } else {
        b.push(Block::Para(t(l, "record-draft")));
    }
    b.push(Block::Signature(t(l, "record-sign-caseworker")));
    b.push(Block::Signature(t(l, "record-sign-person")));
    let _ = cat;
    Record {
        title: t(l, "record-title"),
        header: format!(
            "Pulang · {} · {} · v{}",
            p.site, p.case_number, v.record.version
        ),
        blocks: b,
    }
}

/// The screening (an audited read) and its record in `l`, shared by the page and the PDF.
async fn load_record(
    s: &AppState,
    web: &Web,
    id: &str,
    l: Lang,
) -> Result<(ScreeningView, Record), pulang_app::AppError> {
    let v = s.app.screening(&web.scope, id).await?;
    let r = build_record(l, &v);
    Ok((v, r))
}

/// GET /screenings/{id}/record[?lang=id|en]: the printable record.
pub async fn record(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<RecordQuery>,
) -> PageResult {
    let l = record_lang(&web, &q);
    let (_, r) = load_record(&s, &web, &id, l).await?;
    Ok(ok_page(
        &web,
        &r.title,
        html! {
            div.record-tools {
                a href={ "/screenings/" (id) "/record.pdf?lang=" (l.code()) } download { (t(l, "record-pdf")) }
                " · " a href={ "/screenings/" (id) "/record?lang=id" } { "Bahasa Indonesia" }
                " · " a href={ "/screenings/" (id) "/record?lang=en" } { "English" }
                " · " a href={ "/screenings/" (id) } { (t(l, "record-back")) }
            }
            article.record lang=(l.code()) {
                p.record-header { (r.header) }
                h1 { (r.title) }
                @for blk in &r.blocks {
                    @match blk {
                        Block::Heading(h) => h2 { (h) },
                        Block::Field(k, val) => p { strong { (k) ": " } (val) },
                        Block::Para(x) => p { (x) },
                        Block::Bullet(x) => p.bullet { "• " (x) },
                        Block::Quote(x) => blockquote { (x) },
                        Block::Signature(x) => div.signature { p { "_____________________________  " (t(l, "record-date")) ": __________" } p.small { (x) } },
                    }
                }
            }
        },
    ))
}

/// GET /screenings/{id}/record.pdf[?lang=id|en]: the same record as a PDF made on the server.
pub async fn record_pdf(
    State(s): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<RecordQuery>,
) -> PageResult {
    let l = record_lang(&web, &q);
    let (v, r) = load_record(&s, &web, &id, l).await?;
    let case = v.person.case_number.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        let mut d = crate::pdf::Doc::new(&r.title, &r.header);
        d.title(&r.title);
        for blk in &r.blocks {
            match blk {
                Block::Heading(h) => d.heading(h),
                Block::Field(k, val) => d.field(k, val),
                Block::Para(x) => d.para(x),
                Block::Bullet(x) => d.bullet(x),
                Block::Quote(x) => d.quote(x),
                Block::Signature(x) => d.signature(x),
            }
        }
        d.finish()
    })
    .await
    .map_err(pulang_app::AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"screening-{case}-v{}-{}.pdf\"",
                    v.record.version,
                    l.code()
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}
