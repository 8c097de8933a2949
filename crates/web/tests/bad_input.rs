//! Bad input to `POST /api/v1/people` and `PUT /api/v1/people/{id}`: always a 4xx
//! problem+json, never a 5xx, and nothing saved.
#![allow(clippy::disallowed_methods)]

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};

const JSON: Option<&str> = Some("application/json");

/// One bad request body: a name, its content type and bytes.
struct Bad {
    name: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

fn bad(
    name: impl Into<String>,
    content_type: Option<&'static str>,
    body: impl Into<Vec<u8>>,
) -> Bad {
    Bad {
        name: name.into(),
        content_type,
        body: body.into(),
    }
}

fn js(name: impl Into<String>, v: Value) -> Bad {
    bad(name, JSON, v.to_string())
}

/// `{"full_name": "Ani"}` with one more field, set to `value`.
fn ani(name: impl Into<String>, field: &str, value: Value) -> Bad {
    let mut o = json!({"full_name": "Ani"});
    o[field] = value;
    js(name, o)
}

/// Bodies that neither a registration nor an edit may accept.
fn common_bad() -> Vec<Bad> {
    let big = "A".repeat(BIG);
    let mut v = vec![
        bad("malformed JSON", JSON, r#"{"full_name": "Ani","#),
        bad("trailing garbage", JSON, r#"{"full_name": "Ani"} x"#),
        bad("single quotes", JSON, "{'full_name': 'Ani'}"),
        js("an array, not an object", json!(["Ani"])),
        js("a string, not an object", json!("Ani")),
        ani("age is a string", "age", json!("x")),
        ani("age is negative", "age", json!(-1)),
        ani("age overflows", "age", json!(70000)),
        ani("age is a float", "age", json!(20.5)),
        ani("age out of range", "age", json!(121)),
        ani("phones is a number", "phones", json!(5)),
        ani("phones holds numbers", "phones", json!([5])),
        ani("aliases is a string", "aliases", json!({"a": 1})),
        js("full_name is a number", json!({"full_name": 7})),
        js("full_name is null", json!({"full_name": null})),
        js("full_name missing", json!({"sex": "F"})),
        js("full_name blank", json!({"full_name": "   "})),
        ani("unknown field", "favourite_colour", json!("red")),
        ani("unknown field (id)", "id", json!("x")),
        bad(
            "invalid UTF-8",
            JSON,
            b"{\"full_name\": \"\xff\xfe\xfd\"}".to_vec(),
        ),
        bad(
            "invalid UTF-8 outside strings",
            JSON,
            b"{\"full_name\"\xc3: \"A\"}".to_vec(),
        ),
        bad("lone surrogate escape", JSON, r#"{"full_name": "\ud800"}"#),
        bad(
            "over 256 KiB",
            JSON,
            json!({"full_name": "A".repeat(300 * 1024)}).to_string(),
        ),
        bad(
            "over 256 KiB of whitespace",
            JSON,
            format!("{}{{\"full_name\": \"Ani\"}}", " ".repeat(257 * 1024)),
        ),
        bad(
            "no content type",
            None,
            json!({"full_name": "Ani"}).to_string(),
        ),
        bad(
            "text/plain",
            Some("text/plain"),
            json!({"full_name": "Ani"}).to_string(),
        ),
        bad(
            "form content type",
            Some("application/x-www-form-urlencoded"),
            "full_name=Ani",
        ),
        bad("empty body", JSON, ""),
        bad("empty body, no content type", None, ""),
        bad("null", JSON, "null"),
        bad("array", JSON, "[]"),
        bad("string", JSON, r#""Ani""#),
        bad("number", JSON, "5"),
        bad(
            "deeply nested",
            JSON,
            format!("{}{}", "[".repeat(5000), "]".repeat(5000)),
        ),
        bad(
            "deeply nested field",
            JSON,
            format!(
                "{{\"full_name\": \"Ani\", \"aliases\": {}{}}}",
                "[".repeat(5000),
                "]".repeat(5000)
            ),
        ),
        ani("NIK with letters", "nik", json!("32041052019800AB")),
        ani("NIK too short", "nik", json!("320410520198")),
        ani("NIK impossible date", "nik", json!("3204103302980001")),
        ani("NIK zero serial", "nik", json!("3204105201980000")),
        ani("birth date 2026-02-30", "birth_date", json!("2026-02-30")),
        ani(
            "birth date in the future",
            "birth_date",
            json!("2999-01-01"),
        ),
        ani("birth date not a date", "birth_date", json!("yesterday")),
        ani("sex unknown", "sex", json!("X")),
        ani("nationality not a code", "nationality", json!("Indonesia")),
        ani("passport not a passport", "passport_no", json!("!!")),
        ani("phone not a phone", "phones", json!(["call me"])),
    ];
    // A huge string in every person field (under the body limit, over any field limit).
    for field in [
        "full_name",
        "sex",
        "birth_date",
        "nationality",
        "nik",
        "passport_no",
        "origin_province",
        "origin_regency",
    ] {
        v.push(ani(format!("huge {field}"), field, json!(big)));
    }
    for field in ["aliases", "phones", "languages"] {
        v.push(ani(format!("huge {field}"), field, json!([big])));
        v.push(ani(format!("5000 {field}"), field, json!(vec!["ab"; 5000])));
    }
    v
}

/// Larger than any field may be, well under the body limit.
const BIG: usize = 100_000;

/// Bodies a registration must refuse in addition to [`common_bad`].
fn registration_bad() -> Vec<Bad> {
    let big = "A".repeat(BIG);
    let mut v = common_bad();
    v.extend([
        ani("arrived_on 2026-02-30", "arrived_on", json!("2026-02-30")),
        ani(
            "arrived_on in the future",
            "arrived_on",
            json!("2999-01-01"),
        ),
        ani("arrival route unknown", "arrival_route", json!("teleport")),
        ani("site unknown", "site", json!("XXX")),
        ani("site not mine", "site", json!("BKK")),
        bad(
            "duplicate field",
            JSON,
            r#"{"full_name": "Ani", "full_name": "Budi"}"#,
        ),
        ani("notes too long", "notes", json!("n".repeat(10_001))),
        ani("huge notes", "notes", json!(big)),
        ani("huge site", "site", json!(big)),
        ani("huge arrival route", "arrival_route", json!(big)),
        ani("huge arrived_on", "arrived_on", json!(big)),
        ani("encounter not an object", "encounter", json!(5)),
        ani("encounter an array", "encounter", json!([null, null])),
        ani(
            "encounter with an unknown field",
            "encounter",
            json!({"site": "PNH", "x": 1}),
        ),
        ani(
            "encounter with a bad date",
            "encounter",
            json!({"arrived_on": "2026-02-30"}),
        ),
        ani(
            "confirm_warnings a string",
            "confirm_warnings",
            json!("yes"),
        ),
        js(
            "NIK disagreeing with sex, unconfirmed",
            json!({"full_name": "Ani", "sex": "M", "nik": "3204105201980001"}),
        ),
    ]);
    v
}

/// Bodies an edit must refuse in addition to [`common_bad`].
fn update_bad() -> Vec<Bad> {
    let mut v = common_bad();
    v.extend([
        ani("version a string", "version", json!("x")),
        ani("version a float", "version", json!(1.5)),
        ani("version stale", "version", json!(0)),
        ani(
            "confirm_warnings a string",
            "confirm_warnings",
            json!("yes"),
        ),
        ani("arrival fields", "site", json!("PNH")),
        ani("notes", "notes", json!("x")),
        js(
            "NIK disagreeing with sex, unconfirmed",
            json!({"full_name": "Ani", "sex": "M", "nik": "3204105201980001"}),
        ),
    ]);
    v
}

fn req(method: &str, uri: &str, token: &str, b: &Bad) -> Request<Body> {
    let mut r = request(method, uri).header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(ct) = b.content_type {
        r = r.header(header::CONTENT_TYPE, ct);
    }
    r.body(Body::from(b.body.clone())).expect("request")
}

fn check(failures: &mut Vec<String>, what: &str, b: &Bad, res: &Resp) {
    let s = res.status.as_u16();
    if !(400..500).contains(&s) {
        let t: String = res.text().chars().take(200).collect();
        failures.push(format!("{what} / {}: status {s}: {t}", b.name));
    }
    if res.content_type() != "application/problem+json" {
        failures.push(format!(
            "{what} / {}: content-type {:?}",
            b.name,
            res.content_type()
        ));
    } else if serde_json::from_slice::<Value>(&res.body)
        .ok()
        .and_then(|v| v["status"].as_u64())
        != Some(s as u64)
    {
        failures.push(format!(
            "{what} / {}: problem body without its status",
            b.name
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_registrations_are_4xx_problems_and_save_nothing() {
    let env = setup().await;
    let token = env.creds(Who::Registrar).token.clone();
    let before = env.person_count().await;
    let mut failures = Vec::new();
    for b in registration_bad() {
        let res = env.send(req("POST", "/api/v1/people", &token, &b)).await;
        println!("POST {:<40} {}", b.name, res.status);
        check(&mut failures, "POST", &b, &res);
        let n = env.person_count().await;
        if n != before {
            failures.push(format!("POST / {}: saved ({before} -> {n} people)", b.name));
            break;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_edits_are_4xx_problems_and_change_nothing() {
    let env = setup().await;
    let token = env.creds(Who::Registrar).token.clone();
    let before = env.person_count().await;
    let uri = format!("/api/v1/people/{}", env.own_id);
    let version = env.version_of(&env.own_id).await;
    let mut failures = Vec::new();
    for b in update_bad() {
        let res = env.send(req("PUT", &uri, &token, &b)).await;
        println!("PUT {:<40} {}", b.name, res.status);
        check(&mut failures, "PUT", &b, &res);
        let v = env.version_of(&env.own_id).await;
        if v != version {
            failures.push(format!(
                "PUT / {}: saved (version {version} -> {v})",
                b.name
            ));
            break;
        }
    }
    assert_eq!(env.person_count().await, before);
    // Nor on a person who does not exist, or another site's.
    let ok = js("valid", json!({"full_name": "Ani"}));
    for (id, want) in [
        ("no-such-person", StatusCode::NOT_FOUND),
        ("", StatusCode::NOT_FOUND),
        (env.other_id.as_str(), StatusCode::NOT_FOUND),
    ] {
        let res = env
            .send(req("PUT", &format!("/api/v1/people/{id}"), &token, &ok))
            .await;
        assert_eq!(res.status, want, "PUT {id:?}: {}", res.text());
        assert_eq!(res.content_type(), "application/problem+json");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn this_year() -> i32 {
    time::OffsetDateTime::now_utc().year()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_registration_and_confirmed_warnings() {
    let env = setup().await;
    let token = env.creds(Who::Registrar).token.clone();
    let before = env.person_count().await;
    let post = async |body: &Value| {
        env.send(bearer_json(
            "POST",
            "/api/v1/people",
            &token,
            body.to_string(),
        ))
        .await
    };

    let res =
        post(&json!({"full_name": "Ani Suryani", "sex": "F", "phones": ["0812 1111 2222"]})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let v = res.json();
    let case = v["case_number"].as_str().expect("case_number");
    let parts: Vec<&str> = case.split('-').collect();
    assert_eq!(parts.len(), 3, "{case}");
    assert_eq!(parts[0], "PNH", "{case}");
    assert_eq!(parts[1], this_year().to_string(), "{case}");
    assert!(
        parts[2].len() == 6 && parts[2].bytes().all(|b| b.is_ascii_digit()),
        "{case}"
    );
    assert_eq!(v["site"], "PNH");
    assert_eq!(v["version"], 1);
    let id = v["id"].as_str().expect("id");
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/people/{id}").as_str())
    );
    assert_eq!(env.person_count().await, before + 1);
    // Case numbers count up per site and year.
    let res = post(
        &json!({"full_name": "Budi", "encounter": {"site": "PNH", "arrival_route": "referral"}}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let next = res.json()["case_number"].as_str().unwrap_or("").to_string();
    let n = |c: &str| c.rsplit('-').next().and_then(|s| s.parse::<u32>().ok());
    assert_eq!(n(&next), n(case).map(|x| x + 1), "{case} then {next}");

    // A NIK that disagrees with the sex needs confirmation.
    let mismatch = json!({
        "full_name": "Siti Aminah",
        "sex": "M",
        "birth_date": "1998-01-12",
        "nik": "3204105201980101",
    });
    let res = post(&mismatch).await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.text()
    );
    assert_eq!(res.content_type(), "application/problem+json");
    let p = res.json();
    assert_eq!(p["warnings"][0]["code"], "nik_sex_mismatch", "{p}");
    assert_eq!(p["warnings"][0]["field"], "nik", "{p}");
    assert_eq!(p["errors"], json!([]), "{p}");
    assert_eq!(env.person_count().await, before + 2);

    let mut confirmed = mismatch.clone();
    confirmed["confirm_warnings"] = json!(true);
    let res = post(&confirmed).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    assert_eq!(res.json()["warnings"][0]["code"], "nik_sex_mismatch");
    assert_eq!(env.person_count().await, before + 3);

    // The same for an edit.
    let uri = format!("/api/v1/people/{}", env.own_id);
    let version = env.version_of(&env.own_id).await;
    let put = async |body: &Value| {
        env.send(bearer_json("PUT", &uri, &token, body.to_string()))
            .await
    };
    let edit = json!({"full_name": OWN_NAME, "sex": "M", "birth_date": OWN_BIRTH, "nik": OWN_NIK, "version": version});
    let res = put(&edit).await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.text()
    );
    assert_eq!(res.json()["warnings"][0]["code"], "nik_sex_mismatch");
    assert_eq!(env.version_of(&env.own_id).await, version);
    let mut edit = edit;
    edit["confirm_warnings"] = json!(true);
    let res = put(&edit).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["version"], version + 1);
    // Resending the old version is a conflict.
    let res = put(&edit).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text());
    assert_eq!(res.content_type(), "application/problem+json");

    // A JSON content type with parameters is still JSON.
    let res = env
        .send(
            request("POST", "/api/v1/people")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
                .body(Body::from(json!({"full_name": "Citra"}).to_string()))
                .expect("request"),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
}

fn fuzz_bodies() -> impl Strategy<Value = Vec<u8>> {
    let fields = prop::sample::select(vec![
        "full_name",
        "aliases",
        "sex",
        "birth_date",
        "age",
        "nationality",
        "nik",
        "passport_no",
        "phones",
        "origin_province",
        "origin_regency",
        "languages",
        "site",
        "arrived_on",
        "arrival_route",
        "notes",
        "encounter",
        "confirm_warnings",
        "version",
    ]);
    let json_value = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::from),
        prop::collection::vec(".{0,12}", 0..4).prop_map(|v| json!(v)),
    ];
    prop_oneof![
        // Arbitrary bytes.
        prop::collection::vec(any::<u8>(), 0..2048),
        // Arbitrary text.
        ".{0,300}".prop_map(String::into_bytes),
        // Objects with plausible field names and arbitrary values.
        prop::collection::vec((fields, json_value), 0..6).prop_map(|kv| {
            let mut m = serde_json::Map::new();
            for (k, v) in kv {
                m.insert(k.to_string(), v);
            }
            Value::Object(m).to_string().into_bytes()
        }),
        // A valid registration, truncated or with bytes flipped.
        (0usize..200, any::<u8>(), any::<usize>()).prop_map(|(cut, byte, at)| {
            let mut b =
                json!({"full_name": "Fuzz", "sex": "F", "nik": "3204105201980001", "site": "PNH"})
                    .to_string()
                    .into_bytes();
            let at = at % b.len();
            b[at] = byte;
            b.truncate(cut.max(1));
            b
        }),
    ]
}

fn fuzz(method: &'static str, cases: u32) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let env = rt.block_on(setup());
    let token = env.creds(Who::Registrar).token.clone();
    let uri = match method {
        "PUT" => format!("/api/v1/people/{}", env.own_id),
        _ => "/api/v1/people".to_string(),
    };
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(
        &(fuzz_bodies(), prop::option::of(Just("application/json"))),
        |(body, ct)| {
            let b = Bad {
                name: "fuzz".into(),
                content_type: ct,
                body,
            };
            let res = rt.block_on(env.send(req(method, &uri, &token, &b)));
            prop_assert!(
                res.status.as_u16() < 500,
                "{method} {:?} -> {} {}",
                String::from_utf8_lossy(&b.body),
                res.status,
                res.text()
            );
            if res.status.is_client_error() {
                prop_assert_eq!(res.content_type(), "application/problem+json");
            }
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn fuzzed_registrations_never_5xx() {
    fuzz("POST", 64);
}

#[test]
fn fuzzed_edits_never_5xx() {
    fuzz("PUT", 32);
}

/// Where the API and its OpenAPI document once disagreed (found by schemathesis): each of these
/// is refused with the documented status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_and_matches_outside_the_document_are_refused() {
    let env = setup().await;
    let token = env.creds(Who::Caseworker).token.clone();
    let person = format!("/api/v1/people/{}", env.own_id);
    let mut failures = Vec::new();
    for (uri, want) in [
        ("/api/v1/people?limit=0".to_string(), 400),
        ("/api/v1/people?limit=201".to_string(), 400),
        (
            "/api/v1/people?offset=123089905871581282304".to_string(),
            400,
        ),
        ("/api/v1/people?offset=10000001".to_string(), 400),
        ("/api/v1/people?limit=200&offset=10000000".to_string(), 200),
        (format!("{person}?reveal=52584"), 400),
        (format!("{person}?reveal=false"), 200),
    ] {
        let res = env.send(bearer_get(&uri, &token)).await;
        if res.status.as_u16() != want {
            failures.push(format!("GET {uri}: {} (want {want})", res.status));
        }
    }
    for (body, want) in [
        (json!({"full_name": "Ani", "sex": "AAA"}), 422),
        (json!({"full_name": "Ani", "nik": "12"}), 422),
        (json!({"full_name": "", "phones": ["+855 12 345 678"]}), 200),
        (
            json!({"full_name": "Ani", "encounter": {"arrived_on": ""}}),
            200,
        ),
        (json!(["Ani"]), 422),
    ] {
        let res = env
            .send(bearer_json(
                "POST",
                "/api/v1/people/matches",
                &token,
                body.to_string(),
            ))
            .await;
        if res.status.as_u16() != want {
            failures.push(format!("POST matches {body}: {} (want {want})", res.status));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
