//! The OpenAPI 3.1 document for `/api/v1`, served at `/api/v1/openapi.json`.
//! A test checks that every API route is documented here.
use axum::Json;
use pulang_app::domain::{ArrivalRoute, PersonFlag, ReviewStatus};
use serde_json::{json, Value};

fn problem_ref() -> Value {
    json!({"description": "Problem details (RFC 9457)", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn errors(codes: &[&str]) -> Value {
    let mut m = serde_json::Map::new();
    for c in codes {
        m.insert(c.to_string(), problem_ref());
    }
    Value::Object(m)
}

/// The spellings of a vocabulary (`pulang_domain::vocab`), for an `enum`; with `null` when
/// the field may be empty.
fn terms<'a>(spellings: impl Iterator<Item = &'a str>, nullable: bool) -> Value {
    let mut v: Vec<Value> = spellings.map(Value::from).collect();
    if nullable {
        v.push(Value::Null);
    }
    Value::Array(v)
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

/// `properties` as read where they are accepted but not used (so that a whole registration
/// body can be sent): each keeps its JSON type, but its values are not checked.
fn ignored(properties: &Value) -> Value {
    const VALUE_RULES: [&str; 7] = [
        "format",
        "enum",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
    ];
    fn types_only(v: &Value) -> Value {
        match v {
            Value::Object(o) => Value::Object(
                o.iter()
                    .filter(|(k, _)| !VALUE_RULES.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), types_only(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let mut m = serde_json::Map::new();
    for (key, schema) in properties.as_object().into_iter().flatten() {
        let schema = with(
            types_only(schema),
            json!({"description": "accepted and not used here"}),
        );
        m.insert(key.clone(), schema);
    }
    Value::Object(m)
}

pub fn spec() -> Value {
    let str_opt = json!({"type": ["string", "null"]});
    let idempotency_key = json!({
        "name": "Idempotency-Key", "in": "header", "required": false,
        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
        "description": "Any unique value per request (a UUID): a retry with the same key and body gets the first answer again (header `Idempotent-Replayed: true`) and changes nothing; the same key with another body is a 422; a key whose change committed but whose answer was lost is a 409. Keys are the caller's own and kept a day.",
    });
    let person_fields = json!({
        "full_name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S", "description": "at least one visible letter; no control or direction-changing characters"},
        "aliases": {"type": "array", "items": {"type": "string"}},
        "sex": {"type": ["string", "null"], "enum": ["M", "F", null]},
        "birth_date": {"type": ["string", "null"], "description": "YYYY-MM-DD or YYYY"},
        "age": {"type": ["integer", "null"], "minimum": 0, "maximum": 120},
        "nationality": {"type": ["string", "null"], "description": "ISO 3166 alpha-2; default ID"},
        "nik": {"type": ["string", "null"], "description": "16 digits; disagreement with sex, birth date or province is a warning"},
        "passport_no": str_opt,
        "phones": {"type": "array", "items": {"type": "string"}, "description": "normalised to E.164"},
        "origin_province": str_opt,
        "origin_regency": str_opt,
        "languages": {"type": "array", "items": {"type": "string"}},
    });
    let encounter = json!({
        "site": {"type": ["string", "null"], "description": "site code; defaults to the caller's only site"},
        "arrived_on": {"type": ["string", "null"], "format": "date"},
        "arrival_route": {"type": ["string", "null"], "enum": terms(ArrivalRoute::ALL.iter().map(|t| t.as_str()), true)},
        "notes": str_opt,
    });
    let registration: Value = with(
        with(person_fields.clone(), encounter.clone()),
        json!({
            "encounter": {"type": ["object", "null"], "properties": encounter, "additionalProperties": false},
            "confirm_warnings": {"type": "boolean", "default": false},
        }),
    );
    let update = with(
        person_fields.clone(),
        json!({"version": {"type": "integer"}, "confirm_warnings": {"type": "boolean"}}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Pulang API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Registry of people received after leaving scam compounds. Authenticate with `Authorization: Bearer <token>` (from the account page, `POST /tokens` or `pulang token create`) or a browser session (then send `X-CSRF-Token` on writes). Every read of a person is recorded in the audit log.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/me": {"get": {"summary": "The caller's username and roles", "responses": with(json!({"200": {"description": "OK"}}), errors(&["401"]))}},
            "/sites": {"get": {"summary": "Sites the caller works on", "responses": with(json!({"200": {"description": "OK"}}), errors(&["401"]))}},
            "/people": {
                "get": {
                    "summary": "Find people by partial name or alias, case number, NIK, passport or phone",
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string"}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": super::people::MAX_OFFSET}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": super::people::MAX_LIMIT}},
                    ],
                    "responses": with(json!({"200": {"description": "A page of people", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchPage"}}}}}), errors(&["400", "401", "403"])),
                },
                "post": {
                    "summary": "Register a person and their arrival",
                    "parameters": [idempotency_key.clone()],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["full_name"], "properties": registration, "additionalProperties": false}}}},
                    "responses": with(json!({"201": {"description": "Registered", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Saved"}}}}}), errors(&["400", "401", "403", "409", "413", "415", "422"])),
                },
            },
            "/people/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "get": {
                    "summary": "One person, with encounters and history (an audited read)",
                    "parameters": [{"name": "reveal", "in": "query", "schema": {"type": "boolean"}, "description": "unmask NIK and passport (audited as a reveal)"}],
                    "responses": with(json!({"200": {"description": "The person"}}), errors(&["400", "401", "404"])),
                },
                "put": {
                    "summary": "Replace a person's details; the change is kept in the history",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["full_name"], "properties": update, "additionalProperties": false}}}},
                    "responses": with(json!({"200": {"description": "Saved", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Saved"}}}}}), errors(&["400", "401", "403", "404", "409", "413", "415", "422"])),
                },
            },
            "/people/matches": {"post": {
                "summary": "Possible matches while registering: up to five people already registered who may be this person, with the probability and the fields that agree or differ (nothing is written; the query is audited)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["full_name"], "properties": with(ignored(&registration), with(person_fields.clone(), json!({
                    "full_name": {"type": "string", "maxLength": 200, "description": "may be empty or partial while the registrar types; identifiers alone also find matches"},
                }))), "additionalProperties": false}}}},
                "responses": with(json!({"200": {"description": "Candidates, best first", "content": {"application/json": {"schema": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/PossibleMatch"}}}}}}}}), errors(&["400", "401", "403", "413", "415", "422"])),
            }},
            "/desk/arrivals": {"post": {
                "parameters": [idempotency_key.clone()],
                "summary": "Register an arrival at the desk: a minimal first record with a queue ticket, triage flags and arrival group. Unless `same_as` or `confirmed_new` is given, likely matches come back first (200, nothing written)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["full_name"], "properties": with(registration.clone(), json!({
                    "group": {"type": ["string", "null"], "description": "arrival group id"},
                    "flags": {"type": "array", "items": {"type": "string", "enum": terms(PersonFlag::triage().map(PersonFlag::as_str), false)}},
                    "same_as": {"type": ["string", "null"], "description": "record a new arrival of this registered person"},
                    "confirmed_new": {"type": "boolean", "description": "register as new despite possible matches (they are queued for review)"},
                })), "additionalProperties": false}}}},
                "responses": with(json!({
                    "200": {"description": "`{\"outcome\": \"possible_matches\", \"candidates\": [...]}`: the registrar decides"},
                    "201": {"description": "`{\"outcome\": \"registered\" | \"arrived\", \"person_id\", \"case_number\", \"ticket\", ...}`"},
                }), errors(&["400", "401", "403", "404", "409", "413", "415", "422"])),
            }},
            "/groups": {
                "get": {"summary": "Arrival groups at the caller's sites with their progress (counts only)", "responses": with(json!({"200": {"description": "OK"}}), errors(&["401", "403"]))},
                "post": {
                    "summary": "Create an arrival group (a police hand-over, a rescue operation)",
                    "parameters": [idempotency_key.clone()],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name", "kind"], "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S"},
                        "kind": {"type": "string", "enum": terms(ArrivalRoute::GROUP_KINDS.iter().map(|t| t.as_str()), false)},
                        "site": str_opt,
                        "arrived_on": {"type": ["string", "null"], "format": "date"},
                    }, "additionalProperties": false}}}},
                    "responses": with(json!({"201": {"description": "Created"}}), errors(&["400", "401", "403", "409", "413", "415", "422"])),
                },
            },
            "/groups/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "get": {"summary": "A group with its members and their progress (audited)", "responses": with(json!({"200": {"description": "OK"}}), errors(&["401", "403", "404"]))},
            },
            "/reviews": {"get": {
                "summary": "The review queue of possible duplicates (pending, then deferred)",
                "parameters": [{"name": "status", "in": "query", "schema": {"type": "string", "enum": terms(ReviewStatus::ALL.iter().map(|t| t.as_str()), false)}}],
                "responses": with(json!({"200": {"description": "OK"}}), errors(&["400", "401", "403"])),
            }},
            "/reviews/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "post": {
                    "summary": "Decide a pair: `confirm` merges (keeping `keep`, by default the earlier record), `reject` keeps them apart, `defer` decides later",
                    "parameters": [idempotency_key.clone()],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["decision"], "properties": {
                        "decision": {"type": "string", "enum": ["confirm", "reject", "defer"]},
                        "keep": str_opt,
                    }, "additionalProperties": false}}}},
                    "responses": with(json!({"200": {"description": "`{\"merge\": {...} | null}`"}}), errors(&["400", "401", "403", "404", "409", "413", "415", "422"])),
                },
            },
            "/stats": {"get": {"summary": "Counts without personal data", "responses": with(json!({"200": {"description": "OK"}}), errors(&["401", "403"]))}},
            "/audit/verify": {"get": {"summary": "Walk the audit chain", "responses": with(json!({"200": {"description": "intact, or where it breaks"}}), errors(&["401", "403"]))}},
            "/tokens": {
                "get": {
                    "summary": "The caller's API tokens (never their secrets); with `all=true`, every token of the users an administrator manages. Audited",
                    "parameters": [{"name": "all", "in": "query", "schema": {"type": "boolean", "default": false}}],
                    "responses": with(json!({"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Token"}}}}}}}}), errors(&["400", "401", "403"])),
                },
                "post": {
                    "summary": "Create an API token (for oneself, or as an administrator for a user one manages). Needs a browser session: a token cannot create tokens. The secret is in this response only",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["label"], "properties": {
                        "label": {"type": "string", "minLength": 1, "maxLength": pulang_app::tokens::MAX_LABEL, "pattern": "\\S", "description": "what the token is for; no control or direction-changing characters"},
                        "days": {"type": ["integer", "null"], "minimum": 1, "maximum": pulang_app::tokens::MAX_DAYS, "default": pulang_app::tokens::DEFAULT_DAYS},
                        "username": {"type": ["string", "null"], "description": "another user's token (administrators); default: the caller"},
                    }, "additionalProperties": false}}}},
                    "responses": with(json!({"201": {"description": "Created", "content": {"application/json": {"schema": {"type": "object", "properties": {
                        "id": {"type": "string"}, "secret": {"type": "string", "description": "send as `Authorization: Bearer <secret>`; shown only here"},
                        "label": {"type": "string"}, "expires_at": {"type": "integer", "description": "Unix milliseconds"},
                    }}}}}}), errors(&["400", "401", "403", "413", "415", "422"])),
                },
            },
            "/tokens/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "delete": {"summary": "Revoke a token: one's own, or (administrators) one of a user one manages; any other reads as not found. Audited", "responses": with(json!({"204": {"description": "Revoked"}}), errors(&["401", "403", "404"]))},
            },
            "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {"description": "OK"}}}},
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "pulang_session"},
            },
            "schemas": {
                "Problem": {"type": "object", "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
                    "request_id": {"type": "string", "description": "On a 500: the reference that finds the error in the server log"},
                    "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldIssue"}},
                    "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/FieldIssue"}},
                }},
                "FieldIssue": {"type": "object", "properties": {"field": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}}},
                "SearchPage": {"type": "object", "properties": {
                    "items": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "case_number": {"type": "string"}, "full_name": {"type": "string"}, "site": {"type": "string"}}}},
                    "total": {"type": "integer"}, "offset": {"type": "integer"}, "limit": {"type": "integer"},
                }},
                "PossibleMatch": {"type": "object", "properties": {
                    "id": {"type": "string"}, "case_number": {"type": "string"}, "full_name": {"type": "string"}, "site": {"type": "string"},
                    "sex": {"type": ["string", "null"]}, "birth": {"type": ["string", "null"]}, "age": {"type": ["integer", "null"]}, "origin_province": {"type": ["string", "null"]},
                    "probability": {"type": "number"},
                    "reasons": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "level": {"type": "string"}, "weight": {"type": "number", "description": "bits of evidence; negative when the field disagrees"}}}},
                }},
                "Token": {"type": "object", "properties": {
                    "id": {"type": "string"}, "username": {"type": "string"}, "label": {"type": "string"},
                    "created_at": {"type": "integer", "description": "Unix milliseconds"},
                    "expires_at": {"type": "integer", "description": "Unix milliseconds"},
                    "last_used_at": {"type": ["integer", "null"], "description": "Unix milliseconds, recorded at most once a minute"},
                    "expired": {"type": "boolean"},
                }},
                "Saved": {"type": "object", "properties": {
                    "id": {"type": "string"}, "case_number": {"type": "string"}, "site": {"type": "string"}, "version": {"type": "integer"}, "full_name": {"type": "string"},
                    "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/FieldIssue"}},
                }},
            },
        },
    })
}

pub async fn document() -> Json<Value> {
    Json(spec())
}
