//! The screening interview, its printable record and the PDF. Questions, outcomes and
//! explanations come from the screening engine's catalogue in both languages.
mod record;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};
use pulang_app::screening::ScreeningView;
use pulang_app::screening_engine::{
    self as engine, Answer, AnswerValue, Catalogue, EvidenceSource, Liability,
};
use serde::Deserialize;

pub use record::{record, record_pdf};

use crate::extract::Web;
use crate::i18n::{t, t1, Lang};
use crate::ui::labels::tx;
use crate::ui::{ok_page, PageError, PageResult, Posted};
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

fn lines(l: Lang, lines: &engine::Lines) -> Vec<String> {
    match l {
        Lang::Id => lines.id.clone(),
        Lang::En => lines.en.clone(),
    }
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

/// Opens the screening an action returned.
fn open(r: pulang_app::screening::ScreeningRecord) -> PageResult {
    Ok(Redirect::to(&format!("/screenings/{}", r.id)).into_response())
}

/// POST /people/{id}/screenings: start a screening, or resume the draft in progress.
pub async fn start(
    State(s): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> PageResult {
    open(s.app.start_screening(&posted.web.scope, &id).await?)
}

/// POST /screenings/{id}/correct: a new draft version of a signed screening.
pub async fn correct(
    State(s): State<AppState>,
    Path(id): Path<String>,
    posted: Posted,
) -> PageResult {
    open(s.app.correct_screening(&posted.web.scope, &id).await?)
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
    Path(id): Path<String>,
    Query(q): Query<SectionQuery>,
) -> PageResult {
    let section = q
        .section
        .filter(|x| SECTIONS.contains(&x.as_str()))
        .unwrap_or_else(|| "recruitment".into());
    let v = s.app.screening(&web.scope, &id).await?;
    Ok(ok_page(
        &web,
        &t(web.lang, "screening-title"),
        interview(web.lang, &web, &v, &section),
    ))
}

/// POST /screenings/{id}: save this section's answers; `action=next` goes on, `action=sign`
/// signs off and locks.
pub async fn save(State(s): State<AppState>, Path(id): Path<String>, posted: Posted) -> PageResult {
    let (web, f) = (&posted.web, &posted.form);
    let v = s.app.screening(&web.scope, &id).await?;
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
                _ => return Err(PageError::Bad("issue-invalid-age")),
            },
        };
    }
    if section == "now" {
        let chosen = f.all("liability");
        input.liabilities.retain(|x| chosen.contains(&x.kind));
        for kind in &chosen {
            if cat.liability(kind).is_some() && !input.liabilities.iter().any(|x| &x.kind == kind) {
                input.liabilities.push(Liability::new(kind));
            }
        }
    }
    let action = f.get("action").unwrap_or("save");
    let sign = action == "sign";
    if sign && f.get("confirm_sign").is_none() {
        return Err(PageError::Bad("screening-sign-needs-confirm"));
    }
    s.app.save_screening(&web.scope, &id, input, sign).await?;
    let next = match action {
        "next" => SECTIONS
            .iter()
            .position(|x| *x == section)
            .and_then(|i| SECTIONS.get(i + 1))
            .copied()
            .unwrap_or("now"),
        _ => section.as_str(),
    };
    let to = if sign {
        format!("/screenings/{id}/record")
    } else {
        format!("/screenings/{id}?section={next}")
    };
    Ok(Redirect::to(&to).into_response())
}
