//! Property tests: the outcome is monotone in `present` answers and independent of answer order,
//! evidence sources, notes and role answers.

use proptest::prelude::*;
use pulang_screening::*;

fn ids() -> Vec<String> {
    Catalogue::latest()
        .entries
        .iter()
        .map(|e| e.id.clone())
        .collect()
}

const VALUES: [AnswerValue; 4] = [
    AnswerValue::Present,
    AnswerValue::Absent,
    AnswerValue::Unknown,
    AnswerValue::Declined,
];
const SOURCES: [EvidenceSource; 5] = [
    EvidenceSource::SelfReport,
    EvidenceSource::Corroborated,
    EvidenceSource::Documentary,
    EvidenceSource::DeviceContent,
    EvidenceSource::OfficerObservation,
];

fn arb_input() -> impl Strategy<Value = ScreeningInput> {
    let n = ids().len();
    let age = prop_oneof![Just(None), (0u8..=60).prop_map(Some)];
    let answers = prop::collection::vec((0..n, 0..4usize, 0..5usize), 0..30);
    (age, answers).prop_map(|(age, answers)| {
        let ids = ids();
        let mut i = ScreeningInput::default().aged(age);
        for (k, v, s) in answers {
            i = i.with(&ids[k], Answer::new(VALUES[v], SOURCES[s]));
        }
        i
    })
}

fn to_json(i: &ScreeningInput, order: &[usize]) -> String {
    let keys: Vec<&String> = i.answers.keys().collect();
    let parts: Vec<String> = order
        .iter()
        .map(|&k| {
            let id = keys[k];
            format!(
                "{:?}: {}",
                id,
                serde_json::to_string(&i.answers[id]).unwrap()
            )
        })
        .collect();
    format!(
        "{{\"age_at_recruitment\": {}, \"answers\": {{{}}}}}",
        i.age_at_recruitment
            .map(|a| a.to_string())
            .unwrap_or("null".into()),
        parts.join(", ")
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn adding_a_present_answer_never_lowers_the_outcome(i in arb_input(), k in 0..ids().len(), s in 0..5usize) {
        let before = evaluate(&i).unwrap().outcome;
        let id = ids()[k].clone();
        let after = evaluate(&i.clone().with(&id, Answer::new(AnswerValue::Present, SOURCES[s]))).unwrap().outcome;
        prop_assert!(after >= before, "{id}: {before:?} -> {after:?}");
    }

    #[test]
    fn outcome_does_not_depend_on_answer_order(i in arb_input(), seed in any::<u64>()) {
        let n = i.answers.len();
        let forward: Vec<usize> = (0..n).collect();
        // A seeded permutation.
        let mut shuffled = forward.clone();
        let mut x = seed | 1;
        for j in (1..n).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(j, (x % (j as u64 + 1)) as usize);
        }
        let a = evaluate_json(&to_json(&i, &forward)).unwrap();
        let b = evaluate_json(&to_json(&i, &shuffled)).unwrap();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn outcome_ignores_sources_notes_and_non_present_values(i in arb_input(), shift in 1..4usize) {
        let before = evaluate(&i).unwrap().outcome;
        let mut j = i.clone();
        for a in j.answers.values_mut() {
            a.source = SOURCES[(a.source as usize + shift) % 5];
            a.note = Some("changed".into());
            if a.value != AnswerValue::Present {
                // Rotate among absent / unknown / declined.
                a.value = VALUES[1 + (VALUES.iter().position(|v| *v == a.value).unwrap() - 1 + shift) % 3];
            }
        }
        prop_assert_eq!(evaluate(&j).unwrap().outcome, before);
    }

    #[test]
    fn role_and_need_answers_never_change_the_outcome(i in arb_input()) {
        let before = evaluate(&i).unwrap().outcome;
        let mut j = i.clone();
        for e in Catalogue::latest().entries.iter().filter(|e| !e.kind.is_indicator()) {
            j = j.with_present(&e.id);
        }
        prop_assert_eq!(evaluate(&j).unwrap().outcome, before);
    }

    #[test]
    fn evaluation_is_deterministic_and_listed_questions_raise_the_outcome(i in arb_input()) {
        let a = evaluate(&i).unwrap();
        prop_assert_eq!(&a, &evaluate(&i).unwrap());
        if let Some(q) = a.open_questions.iter().find(|q| q.id != "age_at_recruitment") {
            let raised = evaluate(&i.clone().with_present(&q.id)).unwrap().outcome;
            prop_assert_eq!(raised, q.would_raise_to);
            prop_assert!(raised > a.outcome);
        }
    }
}
