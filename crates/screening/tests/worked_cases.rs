//! Worked cases drawn from the scam-compound patterns in `screening-standards.md` (§2.7, §4.6,
//! §5, §8). Each case states the expected outcome and, in one line, why. They are the engine's
//! regression table: a change of rules or catalogue that moves one of them must be deliberate.

use pulang_screening::*;

struct Case {
    name: &'static str,
    age: Option<u8>,
    present: &'static [&'static str],
    absent: &'static [&'static str],
    declined: &'static [&'static str],
    liabilities: &'static [&'static str],
    outcome: Outcome,
    /// Flags that must be raised.
    flags: &'static [FlagCode],
    /// Non-punishment verdict expected (checked when liabilities are given).
    non_punishment: Option<Verdict>,
    why: &'static str,
}

const NONE: &[&str] = &[];

const fn case(
    name: &'static str,
    age: Option<u8>,
    present: &'static [&'static str],
    outcome: Outcome,
    why: &'static str,
) -> Case {
    Case {
        name,
        age,
        present,
        absent: NONE,
        declined: NONE,
        liabilities: NONE,
        outcome,
        flags: &[],
        non_punishment: None,
        why,
    }
}

use FlagCode as F;
use Outcome::*;

fn cases() -> Vec<Case> {
    vec![
        Case {
            flags: &[],
            ..case(
                "typical_narrative",
                Some(26),
                &["fc.fake_job_offer", "fc.salary_lure", "fc.long_shifts", "fc.fines_and_debts", "fc.passport_taken_on_arrival", "fc.guarded_compound", "fc.ransom_to_leave", "fc.quota_violence", "fc.forced_to_scam", "fc.taken_to_other_country", "fc.escaped_or_rescued"],
                PresumedVictim,
                "§2.7 typical narrative: D1 (S+M), D4 (S+M), D5 (4 S) all positive and Palermo act/means/purpose met; both evaluators agree",
            )
        },
        Case {
            flags: &[F::ConsentIrrelevant, F::EvaluatorsDisagree, F::RoleIndicators],
            ..case(
                "knowing_recruit_then_confined_beaten_forced",
                Some(29),
                &["role.knew_nature_of_work", "fc.guarded_compound", "fc.quota_violence", "fc.forced_to_scam"],
                PresumedVictim,
                "§2.7/§8.1: no recruitment dimension, so the ILO rule misses it, but harbouring by force for forced criminality meets Palermo and 3(b) makes consent irrelevant",
            )
        },
        Case {
            flags: &[F::RoleIndicators],
            ..case(
                "knowing_recruit_free_and_fully_paid",
                Some(31),
                &["role.knew_nature_of_work", "role.kept_full_pay", "role.free_to_leave", "fc.scripts_and_targets"],
                NoIndicatorsYet,
                "§5 group 3 ('fully aware'): no trafficking or exploitation indicator yet; roles are flagged for the authority, never turned into 'not a victim'",
            )
        },
        Case {
            flags: &[F::RoleIndicators],
            ..case(
                "coba_coba_tried_it_left_unpaid",
                Some(23),
                &["role.knew_nature_of_work", "role.free_to_leave", "ilo.d4.4"],
                ExploitedMigrant,
                "§5 group 2 ('coba-coba'): free to leave, but low or no pay is exploitation: labour-rights referral",
            )
        },
        case(
            "deceived_about_the_job_only",
            Some(24),
            &["fc.fake_job_offer", "fc.salary_lure"],
            PossibleVictim,
            "deception (means) at recruitment (act) but no purpose yet: ask what work was done and under what pressure",
        ),
        case(
            "deception_and_exploitation_without_coercion",
            Some(27),
            &["ilo.d1.1", "ilo.d1.8", "ilo.d4.1", "ilo.d4.4"],
            PossibleVictim,
            "§2.5 typology row 3 (deception + exploitation): D1 and D4 positive, no destination coercion, forced labour lacks a penalty",
        ),
        case(
            "long_hours_and_bad_conditions_only",
            Some(35),
            &["ilo.d4.1", "ilo.d4.7"],
            ExploitedMigrant,
            "§2.5 typology row 2: D4 positive with no means or coercion: labour-rights case",
        ),
        Case {
            flags: &[F::InsufficientInformation, F::AgeUnknown],
            ..case(
                "nothing_answered_yet",
                None,
                NONE,
                NoIndicatorsYet,
                "an empty interview never yields 'not a victim'; every section is flagged as not yet covered",
            )
        },
        Case {
            absent: &["fc.fake_job_offer", "fc.forced_to_scam", "fc.guarded_compound", "fc.passport_taken_on_arrival", "fc.quota_violence", "fl.inv.cannot_leave", "fc.ransom_to_leave", "ilo.d4.1", "ilo.d4.4"],
            ..case(
                "key_questions_answered_no",
                Some(40),
                NONE,
                NoIndicatorsYet,
                "answers of 'no' are recorded but never count against the person; protection needs are still assessed",
            )
        },
        Case {
            flags: &[F::Child],
            ..case(
                "child_16_lured_and_forced_to_scam",
                Some(16),
                &["fc.fake_job_offer", "fc.forced_to_scam"],
                PresumedVictim,
                "§4.6 (NHK 16-year-old): Palermo 3(c) — recruitment for forced criminality suffices for a child, no means needed",
            )
        },
        Case {
            flags: &[F::Child],
            ..case(
                "child_17_recruited_long_hours_only",
                Some(17),
                &["pal.act.recruitment", "fc.long_shifts"],
                PossibleVictim,
                "§4.6 (as young as 17): a child moved for work in excessive hours; D4 has one S only, so possible, not presumed",
            )
        },
        Case {
            flags: &[F::Child],
            ..case(
                "child_17_recruited_exploited",
                Some(17),
                &["pal.act.recruitment", "ilo.d4.1", "ilo.d4.4"],
                PresumedVictim,
                "§2.5 child rule (secondary): act + positive D4 suffices",
            )
        },
        Case {
            flags: &[F::AgeUnknown],
            ..case(
                "age_unknown_forced_to_scam_no_means",
                None,
                &["fc.forced_to_scam"],
                PossibleVictim,
                "adult rule lacks means; the child rule would be met, so the age is the first open question (§8.11)",
            )
        },
        Case {
            flags: &[F::AgeUnknown, F::ConsentIrrelevant],
            ..case(
                "age_unknown_full_coercion",
                None,
                &["role.knew_nature_of_work", "fc.guarded_compound", "fc.quota_violence", "fc.forced_to_scam"],
                PresumedVictim,
                "the adult rule is met on its own; the unknown age changes nothing but is still flagged",
            )
        },
        case(
            "resold_between_compounds_and_forced_to_scam",
            Some(30),
            &["fc.sold_between_compounds", "fc.forced_to_scam"],
            PresumedVictim,
            "§4.6 resale ('in the hands of four syndicates'): transfer by payment to those in control (act + means) for forced criminality",
        ),
        case(
            "ransom_demanded_to_leave",
            Some(28),
            &["fc.ransom_to_leave"],
            PresumedVictim,
            "§4.6 ransom up to RM80,000: debt bondage (D5 S) and no freedom to leave make forced labour, which supplies the Palermo purpose",
        ),
        case(
            "passport_and_phone_taken_only",
            Some(33),
            &["fc.passport_taken_on_arrival", "fc.phone_confiscated"],
            PossibleVictim,
            "D5 positive (2 S) and coercive harbouring, but no work or exploitation recorded yet: ask what they were made to do",
        ),
        case(
            "guarded_compound_forced_to_scam",
            Some(25),
            &["fc.guarded_compound", "fc.forced_to_scam"],
            PresumedVictim,
            "Amnesty 2025 pattern: confinement (harbouring, coercion) for forced criminality",
        ),
        case(
            "quota_threats_and_forced_to_scam",
            Some(22),
            &["fc.quota_threats", "fc.forced_to_scam"],
            PresumedVictim,
            "§8.7: quota punishment by threats (D5 M) is a threat of force; with forced scamming Palermo is met though D5 is not positive",
        ),
        case(
            "witnessed_beatings_and_forced_to_scam",
            Some(30),
            &["fc.witnessed_punishment", "fc.forced_to_scam"],
            PresumedVictim,
            "ICLS-20: coercion witnessed on co-workers is a menace of penalty; harbouring for forced criminality",
        ),
        case(
            "family_extorted_and_long_shifts",
            Some(36),
            &["fc.family_extorted", "fc.long_shifts"],
            PresumedVictim,
            "OHCHR update (extortion of families by video call): threats to family + unagreed hours = forced labour, hence purpose",
        ),
        case(
            "recruitment_debt_and_long_hours",
            Some(26),
            &["ilo.d2.4", "ilo.d4.1"],
            PresumedVictim,
            "§4.6 'made-up debts, like travel fees': debt at recruitment (coercion, penalty) + excessive hours (involuntary) = forced labour",
        ),
        case(
            "poverty_and_family_needs_only",
            Some(38),
            &["ilo.d3.6", "ilo.d3.9", "ilo.d3.10", "ilo.d6.3"],
            NoIndicatorsYet,
            "§2.7/§8.5 over-inclusion: circumstances alone are context, not indicators, until someone abused them",
        ),
        case(
            "vulnerability_abused_then_exploited",
            Some(38),
            &["ilo.d3.6", "ilo.d3.9", "ilo.d3.10", "pal.means.abuse_of_vulnerability", "ilo.d4.1", "ilo.d4.4"],
            PossibleVictim,
            "abuse recorded, so D3 becomes positive with D4; no destination coercion and no act recorded yet",
        ),
        Case {
            flags: &[F::RoleIndicators],
            liabilities: &["participation_in_fraud"],
            non_punishment: Some(Verdict::Met),
            ..case(
                "recruiter_who_was_also_coerced",
                Some(27),
                &["role.recruited_others", "fc.guarded_compound", "fc.forced_to_scam", "fc.quota_violence"],
                PresumedVictim,
                "§5 Laos: recruiting others is flagged for the authority, beside a presumed-victim outcome it does not change",
            )
        },
        Case {
            flags: &[F::RoleIndicators],
            liabilities: &["overstay_or_immigration_fine"],
            non_punishment: Some(Verdict::NotMet),
            ..case(
                "strategic_claim_recruiter_paid_and_free",
                Some(34),
                &["role.recruited_others", "role.kept_full_pay", "role.free_to_leave"],
                NoIndicatorsYet,
                "§5 Laos ('want to go home for free'): no indicator, so no link for the overstay fine is shown; the authority decides",
            )
        },
        Case {
            flags: &[F::RoleIndicators, F::ConsentIrrelevant],
            ..case(
                "repeat_return_coerced_again",
                Some(30),
                &["role.returned_after_repatriation", "role.knew_nature_of_work", "fc.passport_taken_on_arrival", "fc.quota_violence", "fc.forced_to_scam"],
                PresumedVictim,
                "§8.8 'korban kambuhan': returning is not consent when means were used again (3(b))",
            )
        },
        Case {
            flags: &[F::RoleIndicators],
            ..case(
                "supervisor_forced_to_punish_peers",
                Some(32),
                &["role.supervised_others", "fc.forced_to_punish_peers", "fc.guarded_compound", "fc.forced_to_scam"],
                PresumedVictim,
                "OHCHR update (forced beating of co-workers): the supervisory role is flagged with ilo.d5.7 beside it",
            )
        },
        Case {
            absent: &["ilo.d5.4", "fc.quota_violence", "need.injury"],
            ..case(
                "no_visible_injury_but_confined",
                Some(29),
                &["fc.passport_taken_on_arrival", "fc.guarded_compound", "fc.forced_to_scam", "fc.long_shifts"],
                PresumedVictim,
                "§5 Jan 2026 / §8.6: 'no visible evidence of physical abuse' is not evidence against; confinement and document retention are coercion",
            )
        },
        Case {
            liabilities: &["irregular_entry", "participation_in_fraud"],
            non_punishment: Some(Verdict::Met),
            ..case(
                "taken_across_border_irregularly",
                Some(24),
                &["fc.taken_to_other_country", "fc.irregular_border_crossing", "fc.guarded_compound", "fc.forced_to_scam"],
                PresumedVictim,
                "§4.6 Thailand job -> Myawaddy: irregular entry arranged by handlers under coercion, and forced fraud, are both linked",
            )
        },
        Case {
            liabilities: &["irregular_exit", "overstay_or_immigration_fine"],
            non_punishment: Some(Verdict::Met),
            ..case(
                "escaped_without_passport",
                Some(31),
                &["fc.passport_taken_on_arrival", "fc.left_without_passport", "fc.escaped_or_rescued", "fc.forced_to_scam", "fc.guarded_compound"],
                PresumedVictim,
                "§5 'they do not possess passports': exit and overstay are direct consequences of document retention and confinement",
            )
        },
        Case {
            liabilities: &["participation_in_fraud"],
            non_punishment: Some(Verdict::Conditional),
            ..case(
                "forced_to_scam_only_facing_fraud_charge",
                Some(25),
                &["fc.forced_to_scam"],
                PossibleVictim,
                "the fraud is a direct consequence if the person is identified as a victim; compulsion needs the means of pressure",
            )
        },
        Case {
            liabilities: &["overstay_or_immigration_fine"],
            non_punishment: Some(Verdict::NotMet),
            ..case(
                "exploited_worker_with_overstay_fine",
                Some(41),
                &["ilo.d4.1", "ilo.d4.4"],
                ExploitedMigrant,
                "no trafficking indicator, so no non-punishment link is shown yet (labour-rights referral)",
            )
        },
        Case {
            liabilities: &["document_offence"],
            non_punishment: Some(Verdict::Met),
            ..case(
                "false_documents_supplied_by_handlers",
                Some(28),
                &["fc.false_documents_supplied", "fc.guarded_compound", "fc.forced_to_scam"],
                PresumedVictim,
                "false documents supplied by the traffickers (fraud) under coercion: compulsion and direct consequence both shown",
            )
        },
        Case {
            flags: &[F::UrgentNeeds],
            ..case(
                "sexual_violence_and_pregnancy",
                Some(21),
                &["fc.sexual_violence", "need.pregnancy", "need.medical", "fc.forced_to_scam"],
                PresumedVictim,
                "INTERPOL 2025 (sexual exploitation, rape): force at destination for forced criminality; urgent needs flagged first",
            )
        },
        Case {
            declined: &["fc.quota_violence", "ilo.d5.4", "fc.sexual_violence"],
            flags: &[F::DeclinedQuestions],
            ..case(
                "declined_the_hardest_questions",
                Some(30),
                &["fc.forced_to_scam"],
                PossibleVictim,
                "declining is the person's right: it counts as unknown, and the declined questions are listed apart, not pressed",
            )
        },
        Case {
            flags: &[F::Contradiction, F::RoleIndicators],
            ..case(
                "says_free_to_leave_but_compound_was_guarded",
                Some(26),
                &["role.free_to_leave", "fc.guarded_compound", "fc.forced_to_scam"],
                PresumedVictim,
                "§8.4: contradictions are flagged for gentle exploration (trauma, OSCE 2013), never penalised",
            )
        },
        case(
            "tourist_visa_for_work_only",
            Some(27),
            &["fc.tourist_visa_for_work"],
            PossibleVictim,
            "§4.6 tourist visas: deception about legal status is a means; more information is needed",
        ),
        Case {
            flags: &[F::AgeUnknown],
            ..case(
                "age_unknown_recruited_for_long_hours",
                None,
                &["pal.act.recruitment", "ilo.d4.1"],
                PossibleVictim,
                "adult rules give 'exploited migrant'; a child recruited into exploitative work would be a possible victim, so the child possibility raises it",
            )
        },
        case(
            "made_up_debts_and_forced_to_scam",
            Some(30),
            &["fc.fines_and_debts", "fc.forced_to_scam"],
            PresumedVictim,
            "§8.7: fines and 'debts' are debt bondage (D5 S, coercion) at the place where the person is kept to scam",
        ),
        case(
            "threatened_with_deportation_if_complaining",
            Some(30),
            &["fc.threat_of_police_or_deportation", "fc.long_shifts"],
            PresumedVictim,
            "UNODC 2023: threats of deportation are a penalty; with unagreed hours, forced labour at the destination",
        ),
        case(
            "coached_to_lie_and_scripts",
            Some(30),
            &["fc.coached_answers", "fc.scripts_and_targets"],
            PossibleVictim,
            "UNODC 2023 coached answers are coercion at destination (D5 M); scripts alone show only the nature of the work",
        ),
    ]
}

fn run(c: &Case) -> Evaluation {
    let mut i = ScreeningInput::default().aged(c.age);
    for id in c.present {
        i = i.with_present(id);
    }
    for id in c.absent {
        i = i.with_absent(id);
    }
    for id in c.declined {
        i = i.with(
            id,
            Answer::new(AnswerValue::Declined, EvidenceSource::SelfReport),
        );
    }
    for l in c.liabilities {
        i = i.with_liability(l);
    }
    evaluate(&i).unwrap_or_else(|e| panic!("{}: {e}", c.name))
}

#[test]
fn at_least_thirty_worked_cases() {
    let cases = cases();
    assert!(cases.len() >= 30, "{}", cases.len());
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "unique names");
    assert!(cases.iter().all(|c| !c.why.is_empty()));
}

#[test]
fn worked_cases() {
    let mut failures = Vec::new();
    for c in cases() {
        let e = run(&c);
        if e.outcome != c.outcome {
            failures.push(format!(
                "{}: expected {:?}, got {:?} — {}\n  {}",
                c.name,
                c.outcome,
                e.outcome,
                c.why,
                e.explanation.en.join("\n  ")
            ));
        }
        for f in c.flags {
            if !e.flags.iter().any(|x| x.code == *f) {
                failures.push(format!("{}: missing flag {f:?}", c.name));
            }
        }
        if let Some(v) = c.non_punishment {
            if e.evaluators.non_punishment.verdict != v {
                failures.push(format!(
                    "{}: non-punishment expected {v:?}, got {:?}",
                    c.name, e.evaluators.non_punishment.verdict
                ));
            }
        }
        // Every outcome below "presumed" explains what could change it, or is fully answered.
        if e.outcome < Outcome::PresumedVictim
            && e.open_questions.is_empty()
            && e.answer_counts.unanswered > 0
        {
            failures.push(format!("{}: no open questions listed", c.name));
        }
        // Role indicators never flip the outcome: remove them and compare.
        let mut i = ScreeningInput::default().aged(c.age);
        for id in c.present.iter().filter(|id| !id.starts_with("role.")) {
            i = i.with_present(id);
        }
        if evaluate(&i).unwrap().outcome != e.outcome {
            failures.push(format!("{}: role answers changed the outcome", c.name));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
