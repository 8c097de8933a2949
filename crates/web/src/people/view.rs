//! A person's page: the record, triage flags, milestones, merges, screenings, arrivals and
//! the history of changes.
use maud::{html, Markup};
use pulang_app::domain::{Milestone, PersonFlag};
use pulang_app::Permission;

use crate::extract::Web;
use crate::i18n::{t, t1, Lang};
use crate::ui::labels::outcome_label;
use crate::ui::layout::format_ms;

/// What the person page shows beyond the record: flags, milestones, merges.
#[derive(Default)]
pub(super) struct PersonExtras {
    pub flags: Vec<pulang_app::desk_types::Flag>,
    pub milestones: Vec<pulang_app::desk_types::MilestoneReached>,
    pub merges: Vec<pulang_app::desk_types::Merge>,
}

fn extras_html(l: Lang, web: &Web, id: &str, x: &PersonExtras) -> Markup {
    let flagged = |f: PersonFlag| x.flags.iter().any(|g| g.flag == f);
    let can_edit = web.scope.can(Permission::EditPerson);
    html! {
        @if flagged(PersonFlag::Retrafficking) {
            p.alert role="alert" data-flag="retrafficking" { (t(l, "person-retrafficking")) }
        }
        section.triage {
            h2 { (t(l, "desk-triage")) }
            @if can_edit {
                form method="post" action={ "/people/" (id) "/flags" } {
                    input type="hidden" name="csrf" value=(web.csrf);
                    @for f in PersonFlag::triage() {
                        label.check { input type="checkbox" name="flags" value=(f) checked[flagged(f)]; " " (t(l, &format!("flag-{f}"))) } " "
                    }
                    button type="submit" { (t(l, "flags-save")) }
                }
            } @else {
                p { @for f in &x.flags { span.flag { (t(l, &format!("flag-{}", f.flag))) } " " } }
            }
        }
        section.milestones {
            h2 { (t(l, "group-milestones")) }
            ul {
                @for &ms in Milestone::ALL {
                    @let done = x.milestones.iter().find(|m| m.milestone == ms);
                    li data-milestone=(ms) {
                        (t(l, &format!("progress-{ms}"))) ": "
                        @if let Some(m) = done { strong { "✓ " (m.on_date) } } @else { "—" }
                        @if can_edit {
                            " "
                            form.inline method="post" action={ "/people/" (id) "/milestones" } {
                                input type="hidden" name="csrf" value=(web.csrf);
                                input type="hidden" name="milestone" value=(ms);
                                @if done.is_some() {
                                    input type="hidden" name="clear" value="yes";
                                    button type="submit" { (t(l, "milestone-clear")) }
                                } @else {
                                    input type="date" name="on" aria-label=(t(l, "milestone-on"));
                                    button type="submit" { (t(l, "milestone-record")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !x.merges.is_empty() {
            section.merges {
                h2 { (t(l, "person-merges")) }
                ul {
                    @for m in &x.merges {
                        li data-merge=(m.id) {
                            @if m.survivor_id == id {
                                (t(l, "merge-into-this")) " " a href={ "/people/" (m.merged_id) } { (t(l, "merge-other-record")) }
                            } @else {
                                (t(l, "merge-this-into")) " " a href={ "/people/" (m.survivor_id) } { (t(l, "merge-other-record")) }
                            }
                            " · " (m.created_by) " · " (format_ms(m.created_at))
                            @if m.undone_at.is_some() { " · " em { (t(l, "merge-undone")) } }
                            @else if web.scope.can(Permission::ResolveIdentity) {
                                " "
                                form.inline method="post" action={ "/merges/" (m.id) "/undo" } {
                                    input type="hidden" name="csrf" value=(web.csrf);
                                    button type="submit" { (t(l, "merge-undo")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn person_html(
    l: Lang,
    web: &Web,
    p: &pulang_app::PersonPage,
    screenings: &[pulang_app::screening::ScreeningSummary],
    extras: &PersonExtras,
) -> Markup {
    let v = &p.person;
    let dash = || "—".to_string();
    let row = |k: &str, val: String| html! { dt { (t(l, &format!("field-{k}"))) } dd data-field=(k) { (val) } };
    html! {
        h1 { (v.full_name) }
        p.case { (t(l, "field-case_number")) ": " strong data-case-number { (v.case_number) } " · " (t(l, "field-site")) ": " (v.site) }
        @if let Some(into) = &v.merged_into {
            p.notice role="status" data-merged-into=(into) { (t(l, "person-merged-notice")) " " a href={ "/people/" (into) } { (t(l, "person-merged-open")) } }
        }
        @if v.minimal { p.notice { (t(l, "person-minimal-view")) } }
        dl.details {
            @if !v.minimal { (row("aliases", if v.aliases.is_empty() { dash() } else { v.aliases.join(", ") })) }
            (row("sex", v.sex.map(|s| t(l, &format!("sex-{}", s.as_str()))).unwrap_or_else(dash)))
            @if !v.minimal { (row("birth_date", v.birth_date.clone().unwrap_or_else(dash))) }
            (row("age", v.age.map(|a| a.to_string()).unwrap_or_else(dash)))
            (row("nationality", v.nationality.clone()))
            @if !v.minimal {
                (row("nik", v.nik.clone().unwrap_or_else(dash)))
                (row("passport_no", v.passport_no.clone().unwrap_or_else(dash)))
                (row("phones", if v.phones.is_empty() { dash() } else { v.phones.join(", ") }))
            }
            (row("origin_province", v.origin_province.clone().unwrap_or_else(dash)))
            @if !v.minimal { (row("origin_regency", v.origin_regency.clone().unwrap_or_else(dash))) }
            (row("languages", if v.languages.is_empty() { dash() } else { v.languages.join(", ") }))
        }
        @if !v.minimal { (extras_html(l, web, &v.id, extras)) }
        div.actions {
            @if v.masked {
                form.inline method="post" action={ "/people/" (v.id) "/reveal" } {
                    input type="hidden" name="csrf" value=(web.csrf);
                    button type="submit" { (t(l, "person-reveal")) }
                }
            }
            @if web.scope.can(Permission::EditPerson) && !v.minimal { a.button href={ "/people/" (v.id) "/edit" } { (t(l, "person-edit")) } }
        }
        @if !v.minimal {
            @if web.scope.can(Permission::Screen) {
                h2 { (t(l, "person-screenings")) }
                @if !screenings.is_empty() {
                    ul.screenings { @for sc in screenings {
                        li { a href={ "/screenings/" (sc.id) } { (t1(l, "screening-version", "version", sc.version)) } " · "
                            @if sc.signed_at.is_some() { (t(l, "screening-status-signed")) } @else { (t(l, "screening-status-draft")) }
                            " · " (outcome_label(l, &sc.outcome)) }
                    } }
                }
                form method="post" action={ "/people/" (v.id) "/screenings" } {
                    input type="hidden" name="csrf" value=(web.csrf);
                    button type="submit" { (t(l, "screening-start")) }
                }
            }
            h2 { (t(l, "person-encounters")) }
            table.encounters {
                thead { tr { th { (t(l, "field-arrived_on")) } th { (t(l, "field-site")) } th { (t(l, "field-arrival_route")) } th { (t(l, "field-notes")) } th { (t(l, "registered-by")) } } }
                tbody {
                    @for e in &p.encounters {
                        tr { td { (e.arrived_on) } td { (e.site) } td { (t(l, &format!("route-{}", e.arrival_route))) } td { @if e.notes_unreadable { em.unreadable { (t(l, "sealed-unreadable")) } } @else { (e.notes.clone().unwrap_or_default()) } } td { (e.registered_by) } }
                    }
                }
            }
            h2 { (t(l, "person-history")) }
            ol.history reversed {
                @for h in &p.history {
                    li {
                        strong { (t1(l, "history-version", "version", h.version)) } " · " (pulang_app::local_time(h.at, &v.timezone)) " · " (h.actor)
                        @if h.unreadable { " · " em.unreadable { (t(l, "sealed-unreadable")) } }
                        ul { @for ch in &h.changes {
                            li { (t(l, &format!("field-{}", ch.field))) ": "
                                @if let Some(b) = &ch.before { del { (b) } " → " }
                                (ch.after.clone().unwrap_or_else(dash)) }
                        } }
                    }
                }
            }
        }
    }
}
