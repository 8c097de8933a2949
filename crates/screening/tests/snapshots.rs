//! Snapshot tests of explanations, in English and Indonesian. Review any change to these files:
//! they are what a caseworker, a court or a ministry reads.

use pulang_screening::*;

fn explain(age: Option<u8>, present: &[&str], liabilities: &[&str]) -> String {
    let mut i = ScreeningInput::default().aged(age);
    for id in present {
        i = i.with_present(id);
    }
    for l in liabilities {
        i = i.with_liability(l);
    }
    let e = evaluate(&i).unwrap();
    format!(
        "outcome: {}\n\n# English\n\n{}\n# Bahasa Indonesia\n\n{}",
        e.outcome.as_str(),
        e.explanation_text(Lang::En),
        e.explanation_text(Lang::Id)
    )
}

#[test]
fn typical_narrative() {
    insta::assert_snapshot!(explain(
        Some(26),
        &[
            "fc.fake_job_offer",
            "fc.salary_lure",
            "fc.long_shifts",
            "fc.fines_and_debts",
            "fc.passport_taken_on_arrival",
            "fc.guarded_compound",
            "fc.quota_violence",
            "fc.forced_to_scam",
            "need.injury"
        ],
        &[
            "participation_in_fraud",
            "overstay_or_immigration_fine",
            "irregular_exit"
        ],
    ));
}

#[test]
fn knowing_recruit_held_by_force() {
    insta::assert_snapshot!(explain(
        Some(29),
        &[
            "role.knew_nature_of_work",
            "role.recruited_others",
            "fc.guarded_compound",
            "fc.quota_violence",
            "fc.forced_to_scam"
        ],
        &["participation_in_fraud"],
    ));
}

#[test]
fn child_forced_to_scam() {
    insta::assert_snapshot!(explain(
        Some(16),
        &["fc.fake_job_offer", "fc.forced_to_scam"],
        &[]
    ));
}

#[test]
fn age_unknown_possible_victim() {
    insta::assert_snapshot!(explain(
        None,
        &["fc.forced_to_scam", "fc.scripts_and_targets"],
        &["participation_in_fraud"]
    ));
}

#[test]
fn exploited_migrant_with_overstay() {
    insta::assert_snapshot!(explain(
        Some(41),
        &["ilo.d4.1", "ilo.d4.4", "ilo.d3.6"],
        &["overstay_or_immigration_fine"]
    ));
}

#[test]
fn nothing_answered() {
    insta::assert_snapshot!(explain(Some(30), &[], &[]));
}
