//! The `pulang screen` JSON contract: stable keys, typed errors.

use pulang_screening::*;
use serde_json::Value;

#[test]
fn output_has_the_contract_keys() {
    let out = evaluate_json(
        r#"{"age_at_recruitment": 24, "answers": {"ilo.d1.1": {"value": "present", "source": "self_report"},
            "fc.guarded_compound": {"value": "present", "source": "corroborated"},
            "fc.forced_to_scam": {"value": "present", "source": "device_content", "note": "chat logs"}},
            "liabilities": ["participation_in_fraud"]}"#,
    )
    .unwrap();
    assert_eq!(out["outcome"], "presumed_victim");
    assert_eq!(out["catalogue_version"], "1");
    let dims = out["dimensions"].as_object().unwrap();
    assert_eq!(
        dims.keys().collect::<Vec<_>>(),
        vec!["d1", "d2", "d3", "d4", "d5", "d6"]
    );
    assert!(dims.values().all(Value::is_boolean));
    for name in ["ilo_ec", "palermo", "forced_labour", "non_punishment"] {
        let ev = &out["evaluators"][name];
        assert!(ev["verdict"].is_string(), "{name}");
        assert!(ev["answers_used"].is_array(), "{name}");
    }
    assert_eq!(out["evaluators"]["palermo"]["verdict"], "met");
    assert_eq!(
        out["evaluators"]["palermo"]["answers_used"],
        serde_json::json!(["fc.forced_to_scam", "fc.guarded_compound", "ilo.d1.1"])
    );
    assert!(out["flags"].is_array());
    assert!(out["explanation"]["en"].is_array() && out["explanation"]["id"].is_array());
    let np = &out["evaluators"]["non_punishment"]["liabilities"][0];
    assert_eq!(np["kind"], "participation_in_fraud");
    assert_eq!(np["compulsion"]["verdict"], "linked");
    assert_eq!(np["direct_consequence"]["verdict"], "linked");
    let ev = out["evidence"].as_array().unwrap();
    assert!(ev.iter().any(|e| e["id"] == "fc.forced_to_scam"
        && e["source"] == "device_content"
        && e["note"] == "chat logs"));
}

#[test]
fn every_outcome_value_is_one_of_four() {
    let four = [
        "presumed_victim",
        "possible_victim",
        "exploited_migrant",
        "no_indicators_yet",
    ];
    for input in [
        r#"{"answers": {}}"#,
        r#"{"answers": {"ilo.d4.4": "present"}}"#,
        r#"{"answers": {"ilo.d1.8": "present"}}"#,
        r#"{"answers": {"fc.forced_to_scam": "present", "fc.quota_violence": "present"}}"#,
    ] {
        let out = evaluate_json(input).unwrap();
        assert!(four.contains(&out["outcome"].as_str().unwrap()), "{input}");
    }
}

#[test]
fn unknown_ids_and_values_are_errors_not_ignored() {
    let e = evaluate_json(r#"{"answers": {"ilo.d1.99": {"value": "present"}}}"#).unwrap_err();
    assert_eq!(e, ScreeningError::UnknownId("ilo.d1.99".into()));
    assert!(e.to_string().contains("ilo.d1.99"));
    let e = evaluate_json(r#"{"answers": {"ilo.d1.1": {"value": "yes"}}}"#).unwrap_err();
    assert!(matches!(e, ScreeningError::InvalidValue { .. }));
    let e = evaluate_json(r#"{"answers": {"ilo.d1.1": {"value": "present", "source": "gossip"}}}"#)
        .unwrap_err();
    assert!(matches!(e, ScreeningError::InvalidSource { .. }));
    let e = evaluate_json(r#"{"liabilities": ["speeding"]}"#).unwrap_err();
    assert!(
        e.to_string().contains("participation_in_fraud"),
        "lists the expected kinds: {e}"
    );
    let e = evaluate_json(r#"{"age_at_recruitment": "twenty"}"#).unwrap_err();
    assert!(matches!(e, ScreeningError::InvalidAge(_)));
    let e = evaluate_json("not json").unwrap_err();
    assert!(matches!(e, ScreeningError::InvalidJson(_)));
}

#[test]
fn catalogue_json_lists_ids_dimensions_grades_and_labels() {
    let cat = catalogue_json();
    assert_eq!(cat["version"], "1");
    let entries = cat["entries"].as_array().unwrap();
    let ilo: Vec<&Value> = entries.iter().filter(|e| e["kind"] == "ilo_ec").collect();
    assert_eq!(ilo.len(), 67);
    let d11 = ilo.iter().find(|e| e["id"] == "ilo.d1.1").unwrap();
    assert_eq!(d11["dimension"], "d1");
    assert_eq!(d11["grade"], "S");
    assert!(d11["label"]["en"].is_string() && d11["label"]["id"].is_string());
    assert!(d11["question"]["id"].is_string());
    for prefix in [
        "fc.",
        "pal.act.",
        "pal.means.",
        "pal.purpose.",
        "fl.inv.",
        "fl.pen.",
        "role.",
        "need.",
    ] {
        assert!(
            entries
                .iter()
                .any(|e| e["id"].as_str().unwrap().starts_with(prefix)),
            "{prefix}"
        );
    }
    for role in [
        "role.recruited_others",
        "role.supervised_others",
        "role.free_to_leave",
        "role.kept_full_pay",
        "role.returned_after_repatriation",
    ] {
        assert!(entries.iter().any(|e| e["id"] == role), "{role}");
    }
    assert!(cat["rules"]["dimension_positive"]["any_of"].is_array());
    assert!(cat["liabilities"].as_array().unwrap().len() >= 5);
}
