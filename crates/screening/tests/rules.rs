//! One test per rule of the engine, through the public API. Section numbers refer to
//! `screening-standards.md`.

use pulang_screening::*;

fn input(age: Option<u8>, present: &[&str]) -> ScreeningInput {
    present
        .iter()
        .fold(ScreeningInput::default().aged(age), |i, id| {
            i.with_present(id)
        })
}

fn screen(age: Option<u8>, present: &[&str]) -> Evaluation {
    evaluate(&input(age, present)).unwrap()
}

/// The positivity pattern (`a`…`d`) that made ILO/EC dimension `d` positive.
fn rule<'a>(e: &'a Evaluation, d: &str) -> Option<&'a str> {
    e.evaluators.ilo_ec.dimensions[d].rule.as_deref()
}

fn has_flag(e: &Evaluation, code: FlagCode) -> bool {
    e.flags.iter().any(|f| f.code == code)
}

fn flag(e: &Evaluation, code: FlagCode) -> &Flag {
    e.flags.iter().find(|f| f.code == code).unwrap()
}

// ---- ILO/EC per-dimension positivity (§2.4) ----

#[test]
fn ilo_two_strong_make_a_dimension_positive() {
    let e = screen(Some(30), &["ilo.d5.1", "ilo.d5.4"]);
    let d5 = &e.evaluators.ilo_ec.dimensions["d5"];
    assert!(d5.positive);
    assert_eq!(d5.rule.as_deref(), Some("a"));
    assert!(e.dimensions["d5"]);
}

#[test]
fn ilo_single_strong_is_not_enough() {
    let e = screen(Some(30), &["ilo.d5.4"]);
    assert!(!e.dimensions["d5"]);
}

#[test]
fn ilo_strong_plus_weak_is_enough() {
    let e = screen(Some(30), &["ilo.d5.4", "ilo.d5.15"]);
    assert_eq!(rule(&e, "d5"), Some("b"));
}

#[test]
fn ilo_three_medium_or_two_medium_and_a_weak() {
    let e = screen(Some(30), &["ilo.d1.2", "ilo.d1.3", "ilo.d1.5"]);
    assert_eq!(rule(&e, "d1"), Some("c"));
    let e = screen(Some(30), &["ilo.d1.2", "ilo.d1.3", "ilo.d1.10"]);
    assert_eq!(rule(&e, "d1"), Some("d"));
}

#[test]
fn ilo_weak_alone_and_one_medium_two_weak_are_not_enough() {
    let e = screen(
        Some(30),
        &["ilo.d6.6", "ilo.d6.7", "pal.means.abuse_of_vulnerability"],
    );
    assert!(!e.dimensions["d6"], "W alone never suffices");
    let e = screen(Some(30), &["ilo.d5.9", "ilo.d5.15"]);
    assert!(!e.dimensions["d5"], "1 M + 1 W");
}

#[test]
fn ilo_forced_criminality_is_only_medium_for_adults() {
    // §2.7: forced criminality alone, or with one more medium, does not make D5 positive.
    let e = screen(Some(30), &["ilo.d5.5", "ilo.d5.6"]);
    assert!(!e.dimensions["d5"]);
    // With a strong indicator it does.
    let e = screen(Some(30), &["ilo.d5.5", "ilo.d5.1"]);
    assert!(e.dimensions["d5"]);
}

#[test]
fn ilo_child_list_grades_forced_criminality_strong() {
    // §2.6: forced into illicit activities and forced tasks are S for children.
    let e = screen(Some(16), &["ilo.d5.5", "ilo.d5.6"]);
    assert_eq!(e.evaluators.ilo_ec.list, IndicatorList::Child);
    assert_eq!(rule(&e, "d5"), Some("a"));
}

#[test]
fn ilo_child_list_drops_two_indicators() {
    let e = screen(Some(15), &["ilo.d4.6", "ilo.d4.2", "ilo.d4.3"]);
    let d4 = &e.evaluators.ilo_ec.dimensions["d4"];
    assert!(!d4.positive, "ilo.d4.6 is not on the child list");
    assert_eq!(d4.not_counted[0].id, "ilo.d4.6");
    assert_eq!(d4.not_counted[0].reason, UncountedReason::NotOnChildList);
    // The same answers make D4 positive for an adult.
    assert!(screen(Some(25), &["ilo.d4.6", "ilo.d4.2", "ilo.d4.3"]).dimensions["d4"]);
}

#[test]
fn ilo_indicators_are_counted_once_however_many_answers_imply_them() {
    let e = screen(
        Some(30),
        &[
            "ilo.d5.1",
            "fc.passport_taken_on_arrival",
            "fc.left_without_passport",
        ],
    );
    let d5 = &e.evaluators.ilo_ec.dimensions["d5"];
    assert_eq!((d5.strong, d5.positive), (1, false));
    assert_eq!(
        d5.counted[0].answers,
        vec![
            "fc.left_without_passport",
            "fc.passport_taken_on_arrival",
            "ilo.d5.1"
        ]
    );
}

// ---- Vulnerability present vs. abused (§8.5) ----

#[test]
fn circumstances_count_only_once_an_abuse_is_recorded() {
    let circumstances = ["ilo.d3.6", "ilo.d3.9", "ilo.d3.10"];
    let e = screen(Some(30), &circumstances);
    assert!(!e.dimensions["d3"]);
    assert_eq!(
        e.outcome,
        Outcome::NoIndicatorsYet,
        "poverty alone is not an indicator"
    );
    assert!(e.evaluators.ilo_ec.dimensions["d3"]
        .not_counted
        .iter()
        .all(|u| u.reason == UncountedReason::CircumstanceWithoutAbuse));
    let mut with_abuse = circumstances.to_vec();
    with_abuse.push("pal.means.abuse_of_vulnerability");
    assert!(screen(Some(30), &with_abuse).dimensions["d3"]);
    // An abuse-type D3 indicator opens the gate too.
    let mut with_d31 = circumstances.to_vec();
    with_d31.push("ilo.d3.1");
    assert!(screen(Some(30), &with_d31).dimensions["d3"]);
}

#[test]
fn unresolved_grade_raises_a_flag_when_it_decides_positivity() {
    // ilo.d3.13 and ilo.d3.14 are M per the compilation, W in another reading (§2.3).
    let e = screen(Some(30), &["ilo.d3.1", "ilo.d3.13", "ilo.d3.14"]);
    assert!(e.dimensions["d3"]);
    assert_eq!(
        e.evaluators.ilo_ec.dimensions["d3"].positive_under_alternative_grades,
        Some(false)
    );
    let f = flag(&e, FlagCode::GradeUncertain);
    assert_eq!(f.related, vec!["ilo.d3.13", "ilo.d3.14"]);
    // When the grade does not matter, no flag.
    let e = screen(Some(30), &["ilo.d3.1", "ilo.d3.2", "ilo.d3.3", "ilo.d3.13"]);
    assert!(!has_flag(&e, FlagCode::GradeUncertain));
}

// ---- ILO/EC combination (§2.5) ----

#[test]
fn ilo_adult_combination_needs_recruitment_exploitation_and_destination() {
    let full = [
        "ilo.d1.1", "ilo.d1.8", "ilo.d4.1", "ilo.d4.4", "ilo.d5.1", "ilo.d5.3",
    ];
    let e = screen(Some(30), &full);
    assert_eq!(e.evaluators.ilo_ec.verdict, Verdict::Met);
    assert_eq!(
        e.evaluators.ilo_ec.typology,
        Some(Typology::TraffickingForForcedLabour)
    );
    assert_eq!(e.outcome, Outcome::PresumedVictim);
    // Drop D1 (a knowing recruit): the ILO rule fails, the Palermo test still decides (§2.7).
    let e = screen(Some(30), &full[2..]);
    assert_eq!(e.evaluators.ilo_ec.verdict, Verdict::NotMet);
    assert_eq!(
        e.evaluators.ilo_ec.typology,
        Some(Typology::OutsideTypology)
    );
    assert_eq!(e.outcome, Outcome::PresumedVictim);
    assert!(has_flag(&e, FlagCode::EvaluatorsDisagree));
}

#[test]
fn ilo_child_combination_is_act_and_exploitation() {
    let e = screen(Some(16), &["pal.act.recruitment", "ilo.d4.1", "ilo.d4.4"]);
    assert_eq!(e.evaluators.ilo_ec.verdict, Verdict::Met);
    assert_eq!(e.outcome, Outcome::PresumedVictim);
    let e = screen(Some(16), &["ilo.d4.1", "ilo.d4.4"]);
    assert_eq!(e.evaluators.ilo_ec.verdict, Verdict::NotMet, "no act");
}

#[test]
fn ilo_typology_rows() {
    let t = |p: &[&str]| screen(Some(30), p).evaluators.ilo_ec.typology.unwrap();
    assert_eq!(t(&[]), Typology::NoExploitationShown);
    assert_eq!(t(&["ilo.d4.1", "ilo.d4.4"]), Typology::ExploitedMigrant);
    assert_eq!(
        t(&["ilo.d1.1", "ilo.d1.8", "ilo.d4.1", "ilo.d4.4"]),
        Typology::DeceptionAndExploitation
    );
}

// ---- Palermo (§1) ----

#[test]
fn palermo_adult_needs_act_means_and_purpose() {
    let e = screen(Some(30), &["fc.forced_to_scam"]);
    let p = &e.evaluators.palermo;
    assert_eq!(p.verdict, Verdict::NotMet);
    assert_eq!(p.missing, vec!["means"]);
    assert_eq!(e.outcome, Outcome::PossibleVictim);
    let e = screen(Some(30), &["fc.forced_to_scam", "fc.quota_violence"]);
    assert_eq!(e.evaluators.palermo.verdict, Verdict::Met);
    assert_eq!(
        e.evaluators.palermo.answers_used,
        vec!["fc.forced_to_scam", "fc.quota_violence"]
    );
}

#[test]
fn palermo_elements_may_be_answered_directly() {
    let e = screen(
        Some(30),
        &[
            "pal.act.recruitment",
            "pal.means.deception",
            "pal.purpose.forced_criminality",
        ],
    );
    assert_eq!(e.evaluators.palermo.verdict, Verdict::Met);
    assert_eq!(e.outcome, Outcome::PresumedVictim);
}

#[test]
fn palermo_child_rule_needs_no_means() {
    let e = screen(Some(17), &["fc.forced_to_scam"]);
    assert_eq!(e.evaluators.palermo.rules_applied, RulesApplied::Child);
    assert_eq!(e.evaluators.palermo.verdict, Verdict::Met);
    assert_eq!(e.outcome, Outcome::PresumedVictim);
    assert!(has_flag(&e, FlagCode::Child));
    // 18 is an adult (Art. 3(d): under eighteen).
    assert_eq!(
        screen(Some(18), &["fc.forced_to_scam"]).outcome,
        Outcome::PossibleVictim
    );
}

#[test]
fn palermo_unknown_age_flags_the_child_rule_as_a_possibility() {
    let e = screen(None, &["fc.forced_to_scam"]);
    assert_eq!(e.evaluators.palermo.verdict, Verdict::MetIfChild);
    assert_eq!(
        e.outcome,
        Outcome::PossibleVictim,
        "capped: the age could settle it"
    );
    assert_eq!(
        e.age.outcome_under_child_rules,
        Some(Outcome::PresumedVictim)
    );
    assert_eq!(
        e.age.outcome_under_adult_rules,
        Some(Outcome::PossibleVictim)
    );
    assert!(has_flag(&e, FlagCode::AgeUnknown));
    assert_eq!(e.open_questions[0].id, "age_at_recruitment");
    assert_eq!(e.open_questions[0].would_raise_to, Outcome::PresumedVictim);
}

#[test]
fn palermo_consent_is_irrelevant_once_means_are_used() {
    let e = screen(
        Some(30),
        &[
            "role.knew_nature_of_work",
            "fc.guarded_compound",
            "fc.forced_to_scam",
        ],
    );
    let c = e.evaluators.palermo.consent.as_ref().unwrap();
    assert!(c.irrelevant);
    assert_eq!(c.basis.as_deref(), Some("palermo_3b"));
    assert_eq!(e.outcome, Outcome::PresumedVictim);
    assert!(flag(&e, FlagCode::ConsentIrrelevant)
        .message
        .en
        .contains("shall be irrelevant"));
    // Without means, consent is noted and not declared irrelevant.
    let e = screen(Some(30), &["role.knew_nature_of_work", "fc.forced_to_scam"]);
    assert!(!e.evaluators.palermo.consent.as_ref().unwrap().irrelevant);
    assert!(!has_flag(&e, FlagCode::ConsentIrrelevant));
    // A child's consent is always irrelevant (3(c)).
    let e = screen(Some(16), &["role.knew_nature_of_work", "fc.forced_to_scam"]);
    assert_eq!(
        e.evaluators
            .palermo
            .consent
            .as_ref()
            .unwrap()
            .basis
            .as_deref(),
        Some("palermo_3c")
    );
}

#[test]
fn palermo_purpose_can_come_from_the_forced_labour_evaluator() {
    // Long shifts (involuntariness) under threat to the family (penalty): forced labour.
    let e = screen(Some(30), &["fc.long_shifts", "fc.family_extorted"]);
    assert_eq!(e.evaluators.forced_labour.verdict, Verdict::Met);
    let purpose = &e.evaluators.palermo.purpose.elements[0];
    assert_eq!(purpose.id, "pal.purpose.forced_labour_or_services");
    assert_eq!(purpose.via.as_deref(), Some("forced_labour"));
    assert_eq!(e.outcome, Outcome::PresumedVictim);
}

// ---- Forced labour (§3.2) ----

#[test]
fn forced_labour_needs_both_involuntariness_and_penalty() {
    let inv = screen(Some(30), &["fl.inv.cannot_leave"]);
    assert_eq!(inv.evaluators.forced_labour.verdict, Verdict::NotMet);
    let pen = screen(Some(30), &["fl.pen.threats"]);
    assert_eq!(pen.evaluators.forced_labour.verdict, Verdict::NotMet);
    let both = screen(Some(30), &["fl.inv.cannot_leave", "fl.pen.threats"]);
    let fl = &both.evaluators.forced_labour;
    assert_eq!(fl.verdict, Verdict::Met);
    assert_eq!(
        fl.answers_used,
        vec!["fl.inv.cannot_leave", "fl.pen.threats"]
    );
}

#[test]
fn forced_labour_counts_witnessed_coercion_as_a_penalty() {
    // ICLS-20: workers may be "witness to coercion imposed on other co-workers".
    let e = screen(Some(30), &["fc.witnessed_punishment", "fc.long_shifts"]);
    assert_eq!(e.evaluators.forced_labour.verdict, Verdict::Met);
}

// ---- Outcome ladder (§8.3) ----

#[test]
fn outcome_ladder() {
    assert_eq!(screen(Some(30), &[]).outcome, Outcome::NoIndicatorsYet);
    assert_eq!(
        screen(Some(30), &["ilo.d4.4"]).outcome,
        Outcome::ExploitedMigrant
    );
    assert_eq!(
        screen(Some(30), &["ilo.d1.8"]).outcome,
        Outcome::PossibleVictim
    );
    assert_eq!(
        screen(Some(30), &["ilo.d1.8", "fc.forced_to_scam"]).outcome,
        Outcome::PresumedVictim
    );
}

#[test]
fn no_outcome_says_not_a_victim() {
    let e = screen(Some(30), &[]);
    assert!(e
        .referral
        .en
        .contains("not a finding that the person is not a victim"));
    assert!(e.referral.id.contains("bukan kesimpulan"));
    for o in Outcome::ALL {
        assert!(!o.as_str().contains("not_a_victim"));
    }
}

#[test]
fn role_indicators_never_change_the_outcome() {
    let roles = [
        "role.recruited_others",
        "role.supervised_others",
        "role.free_to_leave",
        "role.kept_full_pay",
        "role.returned_after_repatriation",
        "role.knew_nature_of_work",
    ];
    for base in [
        &[][..],
        &["ilo.d4.4"][..],
        &["fc.forced_to_scam"][..],
        &["fc.forced_to_scam", "fc.quota_violence"][..],
    ] {
        let without = screen(Some(30), base);
        let mut with: Vec<&str> = base.to_vec();
        with.extend(roles);
        let with = screen(Some(30), &with);
        assert_eq!(without.outcome, with.outcome, "{base:?}");
        let f = flag(&with, FlagCode::RoleIndicators);
        assert_eq!(f.answers.len(), 6);
        assert!(f.message.en.contains("do not change the outcome"));
        assert!(f.message.en.contains("korban kambuhan"));
    }
}

#[test]
fn urgent_needs_flag() {
    let e = screen(Some(30), &["need.injury", "need.pregnancy"]);
    let f = flag(&e, FlagCode::UrgentNeeds);
    assert_eq!(f.answers, vec!["need.injury", "need.pregnancy"]);
    assert_eq!(
        e.outcome,
        Outcome::NoIndicatorsYet,
        "needs do not change the outcome"
    );
}

#[test]
fn contradictions_are_flagged_never_penalised() {
    let e = screen(
        Some(30),
        &[
            "role.free_to_leave",
            "fc.guarded_compound",
            "fc.forced_to_scam",
        ],
    );
    let f = flag(&e, FlagCode::Contradiction);
    assert!(f.related.contains(&"fl.inv.cannot_leave".to_string()));
    assert!(f.answers.contains(&"fc.guarded_compound".to_string()));
    assert_eq!(e.outcome, Outcome::PresumedVictim);
    let e = screen(Some(30), &["role.kept_full_pay", "fc.wages_withheld"]);
    assert!(has_flag(&e, FlagCode::Contradiction));
}

#[test]
fn element_answered_absent_but_implied_is_flagged() {
    let i = input(Some(30), &["ilo.d5.4"]).with_absent("pal.means.force");
    let e = evaluate(&i).unwrap();
    let f = flag(&e, FlagCode::ElementConflict);
    assert_eq!(f.related, vec!["pal.means.force"]);
    assert_eq!(f.answers, vec!["ilo.d5.4"]);
    assert!(
        e.evaluators.palermo.means.present,
        "the implying answer still counts"
    );
}

#[test]
fn insufficient_information_names_the_uncovered_sections() {
    let e = screen(Some(30), &["fc.forced_to_scam"]);
    let f = flag(&e, FlagCode::InsufficientInformation);
    assert_eq!(f.related, vec!["recruitment", "journey", "leaving"]);
}

#[test]
fn declined_questions_are_listed_apart_and_never_pressed() {
    let i = input(Some(30), &["fc.forced_to_scam"]).with(
        "fc.quota_violence",
        Answer::new(AnswerValue::Declined, EvidenceSource::SelfReport),
    );
    let e = evaluate(&i).unwrap();
    assert_eq!(
        e.outcome,
        Outcome::PossibleVictim,
        "declined counts as unknown"
    );
    assert!(e
        .declined_questions
        .iter()
        .any(|q| q.id == "fc.quota_violence"));
    assert!(e.open_questions.iter().all(|q| q.id != "fc.quota_violence"));
    assert!(flag(&e, FlagCode::DeclinedQuestions)
        .message
        .en
        .contains("Do not press"));
}

// ---- Open questions ----

#[test]
fn open_questions_each_raise_the_outcome_as_stated() {
    let base = input(None, &["fc.fake_job_offer"]);
    let e = evaluate(&base).unwrap();
    assert_eq!(e.outcome, Outcome::PossibleVictim);
    assert!(!e.open_questions.is_empty());
    for q in e
        .open_questions
        .iter()
        .filter(|q| q.id != "age_at_recruitment")
    {
        let raised = evaluate(&base.clone().with_present(&q.id)).unwrap();
        assert_eq!(raised.outcome, q.would_raise_to, "{}", q.id);
        assert!(raised.outcome > e.outcome);
    }
    // Role and needs questions never appear: they cannot change the outcome.
    assert!(e
        .open_questions
        .iter()
        .all(|q| !q.id.starts_with("role.") && !q.id.starts_with("need.")));
}

#[test]
fn presumed_victims_have_no_open_questions() {
    let e = screen(Some(30), &["fc.forced_to_scam", "fc.quota_violence"]);
    assert!(e.open_questions.is_empty());
}

// ---- Non-punishment (§6) ----

fn np(age: Option<u8>, present: &[&str], liabilities: &[&str]) -> NonPunishmentEvaluation {
    let i = liabilities
        .iter()
        .fold(input(age, present), |i, l| i.with_liability(l));
    evaluate(&i).unwrap().evaluators.non_punishment
}

const TRAFFICKED: &[&str] = &[
    "fc.guarded_compound",
    "fc.quota_violence",
    "fc.forced_to_scam",
];

#[test]
fn non_punishment_fraud_linked_under_both_tests() {
    let e = np(Some(30), TRAFFICKED, &["participation_in_fraud"]);
    let a = &e.liabilities[0];
    assert_eq!(a.compulsion.verdict, LinkVerdict::Linked);
    assert_eq!(a.direct_consequence.verdict, LinkVerdict::Linked);
    assert!(a.linked);
    assert_eq!(e.verdict, Verdict::Met);
    let art18 = a
        .legal_basis
        .iter()
        .find(|b| b.key == "uu21_art18")
        .unwrap();
    assert_eq!(
        art18.text.id,
        "Korban yang melakukan tindak pidana karena dipaksa oleh pelaku TPPO, tidak dipidana."
    );
    assert!(a
        .legal_basis
        .iter()
        .any(|b| b.key == "actip_14_7" && b.text.en.contains("administratively liable")));
    assert!(a
        .legal_basis
        .iter()
        .any(|b| b.key == "ohchr_p7" && b.verification.starts_with("unverified")));
}

#[test]
fn non_punishment_compulsion_does_not_cover_administrative_liabilities() {
    let e = np(Some(30), TRAFFICKED, &["overstay_or_immigration_fine"]);
    let a = &e.liabilities[0];
    assert_eq!(a.compulsion.verdict, LinkVerdict::NotApplicable);
    assert_eq!(
        a.direct_consequence.verdict,
        LinkVerdict::Linked,
        "ACTIP covers administrative liability"
    );
    assert!(a.legal_basis.iter().all(|b| b.key != "uu21_art18"));
}

#[test]
fn non_punishment_entry_and_residence_are_named_by_principle_7() {
    // No link indicator, but the texts name the illegality of residence expressly.
    let e = np(
        Some(30),
        &["fc.quota_violence", "fc.forced_to_scam"],
        &["overstay_or_immigration_fine"],
    );
    let a = &e.liabilities[0];
    assert_eq!(a.direct_consequence.verdict, LinkVerdict::Linked);
    assert!(a.direct_consequence.answers_used.is_empty());
    assert!(a
        .direct_consequence
        .reasoning
        .en
        .contains("name the illegality of entry or residence"));
}

#[test]
fn non_punishment_is_conditional_for_a_possible_victim() {
    let e = np(
        Some(30),
        &["fc.forced_to_scam"],
        &["participation_in_fraud"],
    );
    assert_eq!(e.victim_status, Outcome::PossibleVictim);
    let a = &e.liabilities[0];
    assert_eq!(a.direct_consequence.verdict, LinkVerdict::Conditional);
    assert_eq!(
        a.compulsion.verdict,
        LinkVerdict::NotShown,
        "no means of pressure recorded"
    );
    assert!(!a.compulsion.open_questions.is_empty());
    assert_eq!(e.verdict, Verdict::Conditional);
}

#[test]
fn non_punishment_not_shown_without_indicators_and_never_says_punish() {
    let e = np(
        Some(30),
        &[],
        &["participation_in_fraud", "document_offence"],
    );
    assert_eq!(e.verdict, Verdict::NotMet);
    for a in &e.liabilities {
        assert_eq!(a.compulsion.verdict, LinkVerdict::NotShown);
        assert!(a
            .compulsion
            .reasoning
            .en
            .contains("not a finding that the person should be punished"));
    }
    assert!(e.reasoning.en.last().unwrap().contains("OSCE 2013"));
}

#[test]
fn non_punishment_partly_met_and_not_applicable() {
    let e = np(
        Some(30),
        TRAFFICKED,
        &["participation_in_fraud", "document_offence"],
    );
    assert_eq!(e.liabilities[1].compulsion.verdict, LinkVerdict::NotShown);
    assert_eq!(e.verdict, Verdict::PartlyMet);
    assert_eq!(
        np(Some(30), TRAFFICKED, &[]).verdict,
        Verdict::NotApplicable
    );
}

#[test]
fn non_punishment_nature_can_be_overridden() {
    let mut i = input(Some(30), TRAFFICKED);
    i.liabilities.push(Liability {
        kind: "irregular_exit".into(),
        nature: Some(Nature::Administrative),
        note: Some("fined at the border".into()),
    });
    let e = evaluate(&i).unwrap().evaluators.non_punishment;
    assert_eq!(
        e.liabilities[0].compulsion.verdict,
        LinkVerdict::NotApplicable
    );
    assert_eq!(
        e.liabilities[0].note.as_deref(),
        Some("fined at the border")
    );
}

#[test]
fn non_punishment_shows_role_answers_for_fraud() {
    let mut p = TRAFFICKED.to_vec();
    p.push("role.recruited_others");
    let e = np(
        Some(30),
        &p,
        &["participation_in_fraud", "overstay_or_immigration_fine"],
    );
    assert_eq!(e.liabilities[0].role_answers, vec!["role.recruited_others"]);
    assert!(e.liabilities[1].role_answers.is_empty());
    assert!(
        e.liabilities[0].linked,
        "the role does not by itself decide the link"
    );
}

// ---- Determinism and versions ----

#[test]
fn same_input_same_result_and_version_recorded() {
    let i = input(
        None,
        &["fc.fake_job_offer", "fc.forced_to_scam", "need.medical"],
    );
    let a = evaluate(&i).unwrap();
    let b = evaluate(&i).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.catalogue_version, "1");
    assert_eq!(
        evaluate_with(Catalogue::builtin("1").unwrap(), &i).unwrap(),
        a
    );
}

#[test]
fn evidence_source_and_notes_never_change_the_outcome() {
    for source in [
        EvidenceSource::SelfReport,
        EvidenceSource::Corroborated,
        EvidenceSource::Documentary,
        EvidenceSource::DeviceContent,
        EvidenceSource::OfficerObservation,
    ] {
        let mut a = Answer::new(AnswerValue::Present, source);
        a.note = Some("note".into());
        let e = evaluate(&input(Some(30), &["fc.forced_to_scam"]).with("fc.quota_violence", a))
            .unwrap();
        assert_eq!(e.outcome, Outcome::PresumedVictim);
        assert!(e
            .evidence
            .iter()
            .any(|x| x.id == "fc.quota_violence" && x.source == source));
    }
}

fn variant(edit: impl FnOnce(&mut serde_json::Value)) -> Catalogue {
    let mut v = Catalogue::latest().to_json();
    for e in v["entries"].as_array_mut().unwrap() {
        e.as_object_mut().unwrap().remove("implies_all");
    }
    v["version"] = serde_json::json!("2-test");
    edit(&mut v);
    Catalogue::from_json(&v.to_string()).unwrap()
}

#[test]
fn reevaluation_under_a_newer_catalogue_reports_the_difference() {
    // A newer catalogue resolving the D3 grades as weak (12 M + 4 W reading, §2.3).
    let newer = variant(|v| {
        for e in v["entries"].as_array_mut().unwrap() {
            if e["id"] == "ilo.d3.13" || e["id"] == "ilo.d3.14" {
                e["grade"] = serde_json::json!("W");
                e.as_object_mut().unwrap().remove("grade_alternative");
            }
        }
    });
    newer.check_supersedes(Catalogue::latest()).unwrap();
    let i = input(
        Some(30),
        &[
            "ilo.d3.1",
            "ilo.d3.13",
            "ilo.d3.14",
            "ilo.d4.1",
            "ilo.d4.4",
            "ilo.d6.1",
            "ilo.d6.2",
            "ilo.d6.3",
        ],
    );
    let stored = evaluate(&i).unwrap();
    assert_eq!(
        stored.outcome,
        Outcome::PresumedVictim,
        "D3 + D4 + D6 positive"
    );
    let r = reevaluate(&i, &stored, &newer).unwrap();
    assert_eq!(r.previous, stored, "history is not rewritten");
    assert_eq!(r.current.catalogue_version, "2-test");
    assert_eq!(r.diff.from_version, "1");
    assert_eq!(
        r.diff.dimensions["d3"],
        Change {
            before: true,
            after: false
        }
    );
    assert_eq!(
        r.diff.outcome,
        Some(Change {
            before: Outcome::PresumedVictim,
            after: Outcome::PossibleVictim
        })
    );
    assert_eq!(
        r.diff.verdicts["ilo_ec"],
        Change {
            before: Verdict::Met,
            after: Verdict::NotMet
        }
    );
    assert!(r.diff.flags_removed.contains(&FlagCode::GradeUncertain));
    assert!(!r.diff.unchanged);
    assert!(r.diff.summary.en.contains("stands as recorded"));
}

#[test]
fn reevaluation_without_changes() {
    let newer = variant(|_| {});
    let i = input(Some(30), TRAFFICKED);
    let stored = evaluate(&i).unwrap();
    let r = reevaluate(&i, &stored, &newer).unwrap();
    assert!(r.diff.unchanged);
    assert!(r.diff.summary.en.contains("no change"));
}

#[test]
fn stored_evaluations_round_trip_through_json() {
    let e = screen(
        None,
        &[
            "fc.fake_job_offer",
            "fc.forced_to_scam",
            "role.recruited_others",
        ],
    );
    let json = serde_json::to_string(&e).unwrap();
    let back: Evaluation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, e);
}
