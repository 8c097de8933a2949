//! The screening interview, its printable record and the PDF. Questions, outcomes and
//! explanations come from the screening engine's catalogue in both languages.
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use pulang_app::screening::ScreeningView;
use pulang_app::screening_engine::{
    self as engine, Answer, AnswerValue, Catalogue, EvidenceSource, Liability, Text,
};
use pulang_app::AppError;
use serde::Deserialize;

use crate::extract::Web;
use crate::i18n::{t, t1, Lang};
use crate::pages::{error_page, html_response, page, Chrome, FormData};
use crate::AppState;

const SECTIONS: [&str; 5] = ["recruitment", "journey", "compound", "leaving", "now"];
const VALUES: [&str; 4] = ["present", "absent", "unknown", "declined"];
const SOURCES: [&str; 5] = [
    "self_report",
    "corroborated",
    "documentary",
    "device_content",
    "officer_observation",
];

fn el(l: Lang) -> engine::Lang {
    match l {
        Lang::Id => engine::Lang::Id,
        Lang::En => engine::Lang::En,
    }
}

fn tx(l: Lang, text: &Text) -> String {
    text.get(el(l)).to_string()
}

fn lines(l: Lang, lines: &engine::Lines) -> Vec<String> {
    match l {
        Lang::Id => lines.id.clone(),
        Lang::En => lines.en.clone(),
    }
}

/// The outcome grade's label, e.g. "presumed victim — refer for protection".
pub(crate) fn outcome_label(l: Lang, outcome: &str) -> String {
    engine::Outcome::ALL
        .iter()
        .find(|o| o.as_str() == outcome)
        .map(|o| tx(l, &o.label()))
        .unwrap_or_else(|| outcome.to_string())
}

fn verdict_text(l: Lang, v: engine::Verdict) -> String {
    let name = serde_json::to_value(v)
        .ok()
        .and_then(|x| x.as_str().map(str::to_string))
        .unwrap_or_default();
    t(l, &format!("verdict-{}", name.replace('_', "-")))
}

fn catalogue(v: &ScreeningView) -> &'static Catalogue {
    Catalogue::builtin(&v.record.catalogue_version).unwrap_or_else(|_| Catalogue::latest())
}

/// Checks the form's CSRF token, runs `action` and opens the screening it returns.
async fn act_and_open<Fut>(
    web: &Web,
    uri: &Uri,
    raw: Vec<(String, String)>,
    action: impl FnOnce() -> Fut,
) -> Response
where
    Fut: std::future::Future<Output = Result<pulang_app::screening::ScreeningRecord, AppError>>,
{
    let c = Chrome::of(web, uri);
    if !FormData(raw).csrf_ok(&web.csrf) {
        return error_page(&c, AppError::BadRequest(t(web.lang, "error-csrf")));
    }
    match action().await {
        Ok(r) => Redirect::to(&format!("/screenings/{}", r.id)).into_response(),
        Err(e) => error_page(&c, e),
    }
}

/// POST /people/{id}/screenings: start a screening, or resume the draft in progress.
pub async fn start(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Path(id): Path<String>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    act_and_open(&web, &uri, raw, || s.app.start_screening(&web.scope, &id)).await
}

#[derive(Deserialize)]
pub struct SectionQuery {
    section: Option<String>,
}

fn outcome_panel(l: Lang, v: &ScreeningView) -> Markup {
    let e = &v.evaluation;
    html! {
        aside.outcome #outcome aria-live="polite" {
            h2 { (t(l, "screening-outcome")) }
            @if let Some(d) = &v.under_latest {
                p.notice data-reevaluation { (t1(l, "screening-newer-catalogue", "version", d.to_version.clone())) " " (tx(l, &d.summary)) }
            }
            p.grade data-outcome=(e.outcome.as_str()) { strong { (tx(l, &e.outcome_label)) } }
            p { (tx(l, &e.referral)) }
            @if !e.flags.is_empty() {
                h3 { (t(l, "screening-flags")) }
                ul.flags { @for f in &e.flags { li data-flag=(serde_json::to_value(f.code).ok().and_then(|x| x.as_str().map(str::to_string)).unwrap_or_default()) { (tx(l, &f.message)) } } }
            }
            h3 { (t(l, "screening-why")) }
            ul.explanation { @for line in lines(l, &e.explanation) { li { (line) } } }
            @if !e.open_questions.is_empty() {
                h3 { (t(l, "screening-open-questions")) }
                ul.open { @for q in e.open_questions.iter().take(8) {
                    li { a href={ "?section=" (q.section) "#q-" (q.id) } { (tx(l, &q.label)) } }
                } }
            }
            p.small { (t1(l, "screening-catalogue", "version", e.catalogue_version.clone())) }
        }
    }
}

fn interview(l: Lang, web: &Web, v: &ScreeningView, section: &str) -> Markup {
    let cat = catalogue(v);
    let entries: Vec<&engine::Entry> = cat
        .entries
        .iter()
        .filter(|e| e.section == section)
        .collect();
    let idx = SECTIONS.iter().position(|s| *s == section).unwrap_or(0);
    let p = &v.person;
    html! {
        script src="/static/interview.js" defer {}
        h1 { (t(l, "screening-title")) ": " (p.full_name) }
        p.case { (t(l, "field-case_number")) ": " strong data-case-number { (p.case_number) } " · "
            (t1(l, "screening-version", "version", v.record.version)) " · "
            @if v.locked { strong { (t(l, "screening-status-signed")) } } @else { (t(l, "screening-status-draft")) } }
        nav.sections aria-label=(t(l, "screening-sections")) {
            @for (i, sec) in SECTIONS.iter().enumerate() {
                @let label = cat.sections.iter().find(|x| x.id == *sec).map(|x| tx(l, &x.label)).unwrap_or_else(|| sec.to_string());
                a href={ "?section=" (sec) } aria-current=[(*sec == section).then_some("step")] { (i + 1) ". " (label) }
            }
            a href={ "/screenings/" (v.record.id) "/record" } { (t(l, "screening-record")) }
        }
        div.interview {
            @if v.locked {
                div {
                    p.notice { (t(l, "screening-locked")) }
                    form method="post" action={ "/screenings/" (v.record.id) "/correct" } {
                        input type="hidden" name="csrf" value=(web.csrf);
                        button type="submit" { (t(l, "screening-correct")) }
                    }
                }
            } @else {
                form #interview method="post" action={ "/screenings/" (v.record.id) } {
                    input type="hidden" name="csrf" value=(web.csrf);
                    input type="hidden" name="section" value=(section);
                    p.guidance { (t(l, "screening-guidance")) }
                    @if section == "recruitment" {
                        div.field {
                            label for="age_at_recruitment" { (t(l, "screening-age")) }
                            input #age_at_recruitment name="age_at_recruitment" type="number" min="0" max="120"
                                value=(v.input.age_at_recruitment.map(|a| a.to_string()).unwrap_or_default());
                            small.hint { (t(l, "screening-age-hint")) }
                        }
                    }
                    @for e in &entries {
                        @let cur = v.input.answers.get(&e.id);
                        @let val = cur.map(|a| serde_json::to_value(a.value).ok().and_then(|x| x.as_str().map(str::to_string)).unwrap_or_default()).unwrap_or_default();
                        @let src = cur.map(|a| serde_json::to_value(a.source).ok().and_then(|x| x.as_str().map(str::to_string)).unwrap_or_default()).unwrap_or_else(|| "self_report".into());
                        fieldset.question id={ "q-" (e.id) } data-id=(e.id) {
                            legend { (tx(l, &e.question)) }
                            div.choices {
                                label { input type="radio" name={ "v:" (e.id) } value="" checked[val.is_empty()]; " " (t(l, "answer-unasked")) }
                                @for opt in VALUES {
                                    label { input type="radio" name={ "v:" (e.id) } value=(opt) checked[val == opt]; " " (t(l, &format!("answer-{opt}"))) }
                                }
                            }
                            details {
                                summary { (t(l, "screening-evidence")) }
                                label for={ "s:" (e.id) } { (t(l, "screening-source")) }
                                select id={ "s:" (e.id) } name={ "s:" (e.id) } {
                                    @for so in SOURCES { option value=(so) selected[src == so] { (t(l, &format!("source-{so}"))) } }
                                }
                                label for={ "n:" (e.id) } { (t(l, "screening-note")) }
                                input id={ "n:" (e.id) } name={ "n:" (e.id) } value=(cur.and_then(|a| a.note.clone()).unwrap_or_default());
                            }
                        }
                    }
                    @if section == "now" {
                        fieldset {
                            legend { (t(l, "screening-liabilities")) }
                            @for spec in &cat.liabilities {
                                label { input type="checkbox" name="liability" value=(spec.kind) checked[v.input.liabilities.iter().any(|x| x.kind == spec.kind)]; " " (tx(l, &spec.question)) }
                            }
                        }
                    }
                    div.actions {
                        button type="submit" name="action" value="save" { (t(l, "screening-save")) }
                        @if idx + 1 < SECTIONS.len() { button type="submit" name="action" value="next" { (t(l, "screening-save-next")) } }
                    }
                    @if section == "now" {
                        div.sign {
                            label { input type="checkbox" name="confirm_sign" value="yes"; " " (t(l, "screening-sign-confirm")) }
                            button type="submit" name="action" value="sign" { (t(l, "screening-sign")) }
                        }
                    }
                }
            }
            (outcome_panel(l, v))
        }
    }
}

/// GET /screenings/{id}: the interview at one section, with the outcome beside it.
pub async fn show(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<SectionQuery>,
) -> Response {
    let c = Chrome::of(&web, &uri);
    let section = q
        .section
        .filter(|x| SECTIONS.contains(&x.as_str()))
        .unwrap_or_else(|| "recruitment".into());
    match s.app.screening(&web.scope, &id).await {
        Ok(v) => html_response(
            StatusCode::OK,
            page(
                &c,
                &t(web.lang, "screening-title"),
                interview(web.lang, &web, &v, &section),
            ),
        ),
        Err(e) => error_page(&c, e),
    }
}

/// POST /screenings/{id}: save this section's answers; `action=next` goes on, `action=sign`
/// signs off and locks.
pub async fn save(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Path(id): Path<String>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    let c = Chrome::of(&web, &uri);
    let f = FormData(raw);
    if !f.csrf_ok(&web.csrf) {
        return error_page(&c, AppError::BadRequest(t(web.lang, "error-csrf")));
    }
    let v = match s.app.screening(&web.scope, &id).await {
        Ok(v) => v,
        Err(e) => return error_page(&c, e),
    };
    let section = f
        .opt("section")
        .filter(|x| SECTIONS.contains(&x.as_str()))
        .unwrap_or_else(|| "recruitment".into());
    let cat = catalogue(&v);
    let mut input = v.input.clone();
    for e in cat.entries.iter().filter(|e| e.section == section) {
        let value = f.get(&format!("v:{}", e.id)).and_then(AnswerValue::parse);
        match value {
            None => {
                input.answers.remove(&e.id);
            }
            Some(value) => {
                let source = f
                    .get(&format!("s:{}", e.id))
                    .and_then(EvidenceSource::parse)
                    .unwrap_or_default();
                let note = f
                    .opt(&format!("n:{}", e.id))
                    .map(|n| n.chars().take(2000).collect());
                input.answers.insert(
                    e.id.clone(),
                    Answer {
                        value,
                        source,
                        note,
                    },
                );
            }
        }
    }
    if section == "recruitment" {
        input.age_at_recruitment = match f.opt("age_at_recruitment") {
            None => None,
            Some(a) => match a.parse::<u8>() {
                Ok(n) if n <= 120 => Some(n),
                _ => return error_page(&c, AppError::BadRequest(t(web.lang, "issue-invalid-age"))),
            },
        };
    }
    if section == "now" {
        let chosen: Vec<&str> =
            f.0.iter()
                .filter(|(k, _)| k == "liability")
                .map(|(_, v)| v.as_str())
                .collect();
        input
            .liabilities
            .retain(|x| chosen.contains(&x.kind.as_str()));
        for kind in chosen {
            if cat.liability(kind).is_some() && !input.liabilities.iter().any(|x| x.kind == kind) {
                input.liabilities.push(Liability::new(kind));
            }
        }
    }
    let action = f.get("action").unwrap_or("save");
    let sign = action == "sign";
    if sign && f.get("confirm_sign").is_none() {
        return error_page(
            &c,
            AppError::BadRequest(t(web.lang, "screening-sign-needs-confirm")),
        );
    }
    if let Err(e) = s.app.save_screening(&web.scope, &id, input, sign).await {
        return error_page(&c, e);
    }
    let next = match action {
        "next" => SECTIONS
            .iter()
            .position(|x| *x == section)
            .and_then(|i| SECTIONS.get(i + 1))
            .copied()
            .unwrap_or("now"),
        _ => section.as_str(),
    };
    if sign {
        Redirect::to(&format!("/screenings/{id}/record")).into_response()
    } else {
        Redirect::to(&format!("/screenings/{id}?section={next}")).into_response()
    }
}

/// POST /screenings/{id}/correct: a new draft version of a signed screening.
pub async fn correct(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Path(id): Path<String>,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    act_and_open(&web, &uri, raw, || s.app.correct_screening(&web.scope, &id)).await
}

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
) -> Result<(ScreeningView, Record), AppError> {
    let v = s.app.screening(&web.scope, id).await?;
    let r = build_record(l, &v);
    Ok((v, r))
}

/// GET /screenings/{id}/record[?lang=id|en]: the printable record.
pub async fn record(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RecordQuery>,
) -> Response {
    let c = Chrome::of(&web, &uri);
    let l = record_lang(&web, &q);
    let (_, r) = match load_record(&s, &web, &id, l).await {
        Ok(x) => x,
        Err(e) => return error_page(&c, e),
    };
    html_response(
        StatusCode::OK,
        page(
            &c,
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
        ),
    )
}

/// GET /screenings/{id}/record.pdf[?lang=id|en]: the same record as a PDF made on the server.
pub async fn record_pdf(
    State(s): State<AppState>,
    web: Web,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<RecordQuery>,
) -> Response {
    let c = Chrome::of(&web, &uri);
    let l = record_lang(&web, &q);
    let (v, r) = match load_record(&s, &web, &id, l).await {
        Ok(x) => x,
        Err(e) => return error_page(&c, e),
    };
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
    .unwrap_or_default();
    (
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
        .into_response()
}
