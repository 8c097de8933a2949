//! The store's contract, checked against both backends.
//!
//! Every `check_*` function runs twice: `sqlite_*` against a fresh SQLite database in a temp
//! dir, `pg_*` against a fresh PostgreSQL database (`pulang_t_<random hex>`) created on the
//! server named by `PULANG_TEST_PG` and dropped afterwards. Without a usable `PULANG_TEST_PG`
//! the PostgreSQL tests print "skipping PostgreSQL: ..." and pass, unless `PULANG_REQUIRE_PG=1`,
//! in which case they fail (the harness is in `common/mod.rs`, the databases come from
//! `pulang-testkit`).
mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use pulang_domain::{
    ArrivalRoute, AuditAction, BirthDate, EncounterDetails, LookupKind, Milestone, PersonDetails,
    PersonFlag, ReviewOrigin, ReviewStatus, Role, Sex,
};
use pulang_store::accounts::{Grant, Site};
use pulang_store::audit::{event_hash, AuditEvent, ChainBreak, NewEvent, GENESIS};
use pulang_store::people::PersonRecord;
use pulang_store::{Actor, SiteFilter, Store, StoreError};
use sha2::{Digest, Sha256};
use sqlx::Connection;
use time::macros::date;
use time::Date;

use common::{random_keys, run_bare, run_pg, run_sqlite, RawDb};
use pulang_store::keys::{rotate, Rotated, FORGOTTEN, SEALED};
use pulang_store::KeyFile;
use pulang_testkit::Backend as TestBackend;

/// One check, two tests: `$sqlite` on SQLite and `$pg` on PostgreSQL.
macro_rules! contract {
    ($($check:ident => $sqlite:ident, $pg:ident;)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $sqlite() {
                run_sqlite($check).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $pg() {
                run_pg($check).await;
            }
        )*
    };
}

contract! {
    check_accounts => sqlite_accounts, pg_accounts;
    check_case_numbers => sqlite_case_numbers, pg_case_numbers;
    check_read_filter => sqlite_read_filter, pg_read_filter;
    check_update_history => sqlite_update_history, pg_update_history;
    check_failed_writes_leave_nothing => sqlite_failed_writes_leave_nothing, pg_failed_writes_leave_nothing;
    check_lookup => sqlite_lookup, pg_lookup;
    check_encryption_at_rest => sqlite_encryption_at_rest, pg_encryption_at_rest;
    check_ciphertext_bound_to_record => sqlite_ciphertext_bound_to_record, pg_ciphertext_bound_to_record;
    check_child_rows_bound_to_their_person => sqlite_child_rows_bound_to_their_person, pg_child_rows_bound_to_their_person;
    check_rows_written_before_binding_are_rebound => sqlite_rows_written_before_binding_are_rebound, pg_rows_written_before_binding_are_rebound;
    check_audit_intact => sqlite_audit_intact, pg_audit_intact;
    check_audit_edited => sqlite_audit_edited, pg_audit_edited;
    check_audit_deleted_middle => sqlite_audit_deleted_middle, pg_audit_deleted_middle;
    check_audit_deleted_last => sqlite_audit_deleted_last, pg_audit_deleted_last;
    check_audit_swapped => sqlite_audit_swapped, pg_audit_swapped;
    check_audit_rehashed => sqlite_audit_rehashed, pg_audit_rehashed;
    check_audit_head_rewound => sqlite_audit_head_rewound, pg_audit_head_rewound;
    check_audit_rewritten_without_the_key => sqlite_audit_rewritten_without_the_key, pg_audit_rewritten_without_the_key;
    check_audit_truncated_without_the_key => sqlite_audit_truncated_without_the_key, pg_audit_truncated_without_the_key;
    check_audit_forged_event => sqlite_audit_forged_event, pg_audit_forged_event;
    check_audit_rolled_back => sqlite_audit_rolled_back, pg_audit_rolled_back;
    check_merge_unmerge => sqlite_merge_unmerge, pg_merge_unmerge;
    check_review_queue => sqlite_review_queue, pg_review_queue;
    check_arrivals => sqlite_arrivals, pg_arrivals;
    check_import_revert => sqlite_import_revert, pg_import_revert;
    check_tokens => sqlite_tokens, pg_tokens;
    check_key_mismatch_refused => sqlite_key_mismatch_refused, pg_key_mismatch_refused;
    check_key_rotation => sqlite_key_rotation, pg_key_rotation;
    check_key_rotation_resumes => sqlite_key_rotation_resumes, pg_key_rotation_resumes;
    check_sealed_columns_all_rotated => sqlite_sealed_columns_all_rotated, pg_sealed_columns_all_rotated;
    check_two_processes_same_version => sqlite_two_processes_same_version, pg_two_processes_same_version;
    check_two_processes_decide_once => sqlite_two_processes_decide_once, pg_two_processes_decide_once;
    check_two_processes_write_together => sqlite_two_processes_write_together, pg_two_processes_write_together;
    check_change_feed => sqlite_change_feed, pg_change_feed;
}

/// As `contract!`, for checks of a fresh database that no store has opened yet.
macro_rules! contract_bare {
    ($($check:ident => $sqlite:ident, $pg:ident;)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $sqlite() {
                run_bare(TestBackend::Sqlite, $check).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $pg() {
                run_bare(TestBackend::Postgres, $check).await;
            }
        )*
    };
}

contract_bare! {
    check_first_start_creates_key => sqlite_first_start_creates_key, pg_first_start_creates_key;
    check_key_missing_with_data_refused => sqlite_key_missing_with_data_refused, pg_key_missing_with_data_refused;
    check_concurrent_first_starts => sqlite_concurrent_first_starts, pg_concurrent_first_starts;
    check_upgraded_database_adopts_only_its_key => sqlite_upgraded_database_adopts_only_its_key, pg_upgraded_database_adopts_only_its_key;
    check_newer_schema_named => sqlite_newer_schema_named, pg_newer_schema_named;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn operator() -> Actor {
    Actor {
        user_id: "op-id".into(),
        username: "operator".into(),
    }
}

fn worker() -> Actor {
    Actor {
        user_id: "cw-id".into(),
        username: "caseworker".into(),
    }
}

async fn add_site(store: &Store, code: &str) -> Site {
    store
        .add_site(&operator(), code, &format!("Site {code}"), "Asia/Jakarta")
        .await
        .unwrap_or_else(|e| panic!("add site {code}: {e}"))
}

/// A NIK written in a test (valid by construction).
fn nik(s: &str) -> pulang_domain::nik::Nik {
    pulang_domain::nik::Nik::parse(s).expect("a valid NIK")
}

fn person(name: &str) -> PersonDetails {
    PersonDetails {
        full_name: name.into(),
        nationality: "ID".into(),
        ..Default::default()
    }
}

fn arrival(site: &Site, on: Date) -> EncounterDetails {
    EncounterDetails {
        site: site.code.clone(),
        arrived_on: on,
        arrival_route: ArrivalRoute::WalkIn,
        notes: None,
    }
}

async fn register(store: &Store, site: &Site, d: PersonDetails, on: Date) -> PersonRecord {
    store
        .register_person(&operator(), site, d, arrival(site, on))
        .await
        .unwrap_or_else(|e| panic!("register at {}: {e}", site.code))
}

/// The number of audit events, asserting the chain is intact.
async fn intact(store: &Store) -> i64 {
    match store.verify_audit().await.expect("verify_audit") {
        Ok(n) => n,
        Err(b) => panic!("the audit chain should be intact but: {b}"),
    }
}

async fn newest_event(store: &Store, subject: &str) -> AuditEvent {
    store
        .audit_events(Some(subject), 1)
        .await
        .expect("audit events")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no audit event about {subject}"))
}

fn only(sites: &[&Site]) -> SiteFilter {
    SiteFilter::Only(sites.iter().map(|s| s.id.clone()).collect())
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// SQL string literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

// ---------------------------------------------------------------------------------------------
// Sites, users, sessions, tokens
// ---------------------------------------------------------------------------------------------

/// API tokens: listed with their label, times and owner but never their digest; revoked one
/// by one (audited, the owner as subject); the last use written only when it is older than
/// the gap asked for.
async fn check_tokens(store: Store, _raw: RawDb) {
    let op = operator();
    let user = |name: &'static str| {
        let (store, op) = (store.clone(), op.clone());
        async move {
            store
                .add_user(&op, name, "$argon2id$v=19$fake", vec![])
                .await
                .unwrap()
        }
    };
    let (siti, budi) = (user("siti").await, user("budi").await);
    let a = store
        .create_token(&op, &siti, "digest-a", "laptop script", 2_000)
        .await
        .unwrap();
    let b = store
        .create_token(&op, &siti, "digest-b", "phone", 3_000)
        .await
        .unwrap();
    let c = store
        .create_token(&op, &budi, "digest-c", "bench", 4_000)
        .await
        .unwrap();
    assert_ne!(a, b);
    let mine = store.tokens(Some(&siti)).await.unwrap();
    let ids: BTreeSet<&str> = mine.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, BTreeSet::from([a.as_str(), b.as_str()]));
    let ta = mine.iter().find(|t| t.id == a).unwrap();
    assert_eq!(
        (
            ta.username.as_str(),
            ta.label.as_str(),
            ta.expires_at,
            ta.last_used_at
        ),
        ("siti", "laptop script", 2_000, None)
    );
    assert_eq!(store.tokens(None).await.unwrap().len(), 3);
    assert_eq!(store.token(&c).await.unwrap().unwrap().user_id, budi);
    assert_eq!(
        store.token_by_digest("digest-b").await.unwrap().unwrap().id,
        b
    );

    // The last use: written, then left alone within the gap, then written again after it.
    store.touch_token(&a, 100_000, 60_000).await.unwrap();
    store.touch_token(&a, 130_000, 60_000).await.unwrap();
    assert_eq!(
        store.token(&a).await.unwrap().unwrap().last_used_at,
        Some(100_000)
    );
    store.touch_token(&a, 160_000, 60_000).await.unwrap();
    assert_eq!(
        store.token(&a).await.unwrap().unwrap().last_used_at,
        Some(160_000)
    );

    // Revoking one leaves the others.
    let tb = store.token(&b).await.unwrap().unwrap();
    store.revoke_token(&op, &tb).await.unwrap();
    assert_eq!(store.token(&b).await.unwrap(), None);
    assert_eq!(store.token_by_digest("digest-b").await.unwrap(), None);
    assert!(store.token(&a).await.unwrap().is_some());
    assert!(matches!(
        store.revoke_token(&op, &tb).await,
        Err(StoreError::NotFound)
    ));
    let newest = store.audit_events(None, 1).await.unwrap().remove(0);
    assert_eq!(
        (newest.action.as_str(), newest.subject.as_str()),
        ("token.revoke", siti.as_str())
    );
    // No listing or row in the table holds a digest in a column other than token_hash.
    let listed = format!("{:?}", store.tokens(None).await.unwrap());
    assert!(!listed.contains("digest-"), "{listed}");
    intact(&store).await;
}

async fn check_accounts(store: Store, _raw: RawDb) {
    let op = operator();
    let pnh = store
        .add_site(&op, "PNH", "KBRI Phnom Penh", "Asia/Phnom_Penh")
        .await
        .unwrap();
    let bkk = store
        .add_site(&op, "BKK", "KBRI Bangkok", "Asia/Bangkok")
        .await
        .unwrap();
    assert_eq!(pnh.code, "PNH");
    assert_eq!(pnh.timezone, "Asia/Phnom_Penh");
    assert_ne!(pnh.id, bkk.id);
    assert_eq!(
        store.sites().await.unwrap(),
        vec![bkk.clone(), pnh.clone()],
        "sites are listed by code"
    );
    assert_eq!(store.site_by_code("PNH").await.unwrap(), Some(pnh.clone()));
    assert_eq!(store.site_by_code("XYZ").await.unwrap(), None);

    let events = intact(&store).await;
    match store.add_site(&op, "PNH", "Another", "Asia/Jakarta").await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("duplicate site code: expected Conflict, got {other:?}"),
    }
    assert_eq!(store.sites().await.unwrap().len(), 2);
    assert_eq!(
        intact(&store).await,
        events,
        "a rejected write appends no audit event"
    );

    // Users and grants.
    let siti = store
        .add_user(
            &op,
            "siti",
            "$argon2id$v=19$fake-1",
            vec![Grant {
                site_id: Some(pnh.id.clone()),
                role: Role::Registrar,
            }],
        )
        .await
        .unwrap();
    let u = store.user_by_username("siti").await.unwrap().expect("siti");
    assert_eq!(u.id, siti);
    assert_eq!(u.username, "siti");
    assert_eq!(u.password_hash, "$argon2id$v=19$fake-1");
    assert!(!u.disabled);
    assert_eq!(
        u.grants,
        vec![Grant {
            site_id: Some(pnh.id.clone()),
            role: Role::Registrar
        }]
    );
    assert_eq!(
        store
            .user_by_id(&siti)
            .await
            .unwrap()
            .expect("by id")
            .username,
        "siti"
    );
    assert!(store.user_by_username("nobody").await.unwrap().is_none());
    assert!(store.user_by_id("no-such-id").await.unwrap().is_none());

    store
        .grant(
            &op,
            &siti,
            Grant {
                site_id: None,
                role: Role::Auditor,
            },
        )
        .await
        .unwrap();
    let grants = store.user_by_id(&siti).await.unwrap().unwrap().grants;
    assert_eq!(grants.len(), 2, "{grants:?}");
    assert!(grants.contains(&Grant {
        site_id: None,
        role: Role::Auditor
    }));

    let events = intact(&store).await;
    match store.add_user(&op, "siti", "$argon2id$other", vec![]).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("duplicate username: expected Conflict, got {other:?}"),
    }
    assert_eq!(intact(&store).await, events);
    assert_eq!(store.user_count().await.unwrap(), 1);

    let budi = store
        .add_user(
            &op,
            "budi",
            "$argon2id$fake-2",
            vec![Grant {
                site_id: None,
                role: Role::Admin,
            }],
        )
        .await
        .unwrap();
    let names: Vec<String> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["budi", "siti"]);
    assert_eq!(store.user_count().await.unwrap(), 2);

    // Sessions.
    let as_siti = Actor {
        user_id: siti.clone(),
        username: "siti".into(),
    };
    let far = 4_102_444_800_000; // 2100-01-01
    store
        .create_session(&as_siti, "sess-1", "csrf-1", far)
        .await
        .unwrap();
    let s = store.session("sess-1").await.unwrap().expect("session");
    assert_eq!(
        (s.user_id.as_str(), s.csrf.as_str(), s.expires_at),
        (siti.as_str(), "csrf-1", far)
    );
    assert!(store.session("sess-x").await.unwrap().is_none());
    store.end_session(&as_siti, "sess-1").await.unwrap();
    assert!(store.session("sess-1").await.unwrap().is_none());

    for i in 0..2 {
        store
            .create_session(&as_siti, &format!("sess-r{i}"), "c", far)
            .await
            .unwrap();
    }
    let as_budi = Actor {
        user_id: budi.clone(),
        username: "budi".into(),
    };
    store
        .create_session(&as_budi, "sess-budi", "c", far)
        .await
        .unwrap();
    assert_eq!(store.revoke_sessions(&op, &siti).await.unwrap(), 2);
    assert!(store.session("sess-r0").await.unwrap().is_none());
    assert!(store.session("sess-r1").await.unwrap().is_none());
    assert!(
        store.session("sess-budi").await.unwrap().is_some(),
        "revoking siti's sessions leaves budi's"
    );

    // A new password ends the user's sessions.
    store
        .create_session(&as_siti, "sess-p", "c", far)
        .await
        .unwrap();
    store
        .set_password(&op, &siti, "$argon2id$fake-new")
        .await
        .unwrap();
    assert_eq!(
        store
            .user_by_id(&siti)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "$argon2id$fake-new"
    );
    assert!(store.session("sess-p").await.unwrap().is_none());
    assert!(matches!(
        store.set_password(&op, "no-such-user", "$x").await,
        Err(StoreError::NotFound)
    ));

    // Tokens.
    let far_token = i64::MAX / 2;
    let tok_user = |digest: &'static str| {
        let store = store.clone();
        async move {
            store
                .token_by_digest(digest)
                .await
                .unwrap()
                .map(|t| t.user_id)
        }
    };
    store
        .create_token(&op, &siti, "tok-digest-1", "laptop", far_token)
        .await
        .unwrap();
    assert_eq!(
        tok_user("tok-digest-1").await.as_deref(),
        Some(siti.as_str())
    );
    assert_eq!(tok_user("tok-digest-2").await, None);
    // A new password ends the tokens too (a leaked token must not outlive a password change).
    store
        .set_password(&op, &siti, "$argon2id$fake-newer")
        .await
        .unwrap();
    assert_eq!(tok_user("tok-digest-1").await, None);
    store
        .create_token(&op, &siti, "tok-digest-1", "laptop", far_token)
        .await
        .unwrap();

    // Disabling ends sessions and tokens; enabling does not bring them back.
    store
        .create_session(&as_siti, "sess-d", "c", far)
        .await
        .unwrap();
    store.set_disabled(&op, &siti, true).await.unwrap();
    assert!(store.user_by_id(&siti).await.unwrap().unwrap().disabled);
    assert!(store.session("sess-d").await.unwrap().is_none());
    assert_eq!(tok_user("tok-digest-1").await, None);
    store.set_disabled(&op, &siti, false).await.unwrap();
    assert!(!store.user_by_id(&siti).await.unwrap().unwrap().disabled);

    // Every write was audited, in one intact chain.
    let actions: BTreeSet<String> = store
        .audit_events(None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        AuditAction::SiteCreate,
        AuditAction::UserCreate,
        AuditAction::UserGrant,
        AuditAction::SessionLogin,
        AuditAction::SessionLogout,
        AuditAction::SessionRevokeAll,
        AuditAction::UserPassword,
        AuditAction::TokenCreate,
        AuditAction::UserDisable,
        AuditAction::UserEnable,
    ] {
        assert!(actions.contains(&*a.name()), "no {a} event in {actions:?}");
    }
    intact(&store).await;
}

// ---------------------------------------------------------------------------------------------
// Case numbers
// ---------------------------------------------------------------------------------------------

async fn check_case_numbers(store: Store, _raw: RawDb) {
    let pnh = add_site(&store, "PNH").await;
    let bkk = add_site(&store, "BKK").await;
    let cases = [
        (&pnh, date!(2024 - 03 - 01), "PNH-2024-000001"),
        (&pnh, date!(2024 - 12 - 31), "PNH-2024-000002"),
        (&bkk, date!(2024 - 06 - 01), "BKK-2024-000001"),
        (&pnh, date!(2025 - 01 - 01), "PNH-2025-000001"),
        (&bkk, date!(2023 - 11 - 30), "BKK-2023-000001"),
        (&pnh, date!(2024 - 07 - 15), "PNH-2024-000003"),
    ];
    for (i, (site, on, want)) in cases.into_iter().enumerate() {
        let p = register(&store, site, person(&format!("Orang {i}")), on).await;
        assert_eq!(p.case_number, want);
        assert_eq!(p.version, 1);
        assert_eq!(p.site_id, site.id);
    }

    // 50 registrations at one site at once, and 10 more at another site interleaved.
    let kkp = add_site(&store, "KKP").await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (store, site) = (
            store.clone(),
            if i % 6 == 5 { pnh.clone() } else { kkp.clone() },
        );
        tasks.push(tokio::spawn(async move {
            store
                .register_person(
                    &operator(),
                    &site,
                    person(&format!("Serentak {i}")),
                    arrival(&site, date!(2025 - 02 - 01)),
                )
                .await
        }));
    }
    let mut ids = BTreeSet::new();
    let mut kkp_numbers = Vec::new();
    let mut pnh_numbers = Vec::new();
    for t in tasks {
        let p = t.await.expect("task").expect("concurrent registration");
        ids.insert(p.id.clone());
        if p.site_id == kkp.id {
            kkp_numbers.push(p.case_number);
        } else {
            pnh_numbers.push(p.case_number);
        }
    }
    assert_eq!(ids.len(), 60, "every registration got its own record");
    let want: Vec<String> = (1..=50).map(|i| format!("KKP-2025-{i:06}")).collect();
    assert_eq!(
        sorted(kkp_numbers),
        want,
        "50 distinct case numbers, no gaps"
    );
    let want: Vec<String> = (2..=11).map(|i| format!("PNH-2025-{i:06}")).collect();
    assert_eq!(sorted(pnh_numbers), want);
    assert_eq!(store.person_count().await.unwrap(), 66);
    assert_eq!(
        store
            .person_summaries(&SiteFilter::All)
            .await
            .unwrap()
            .people
            .len(),
        66
    );
    // site.create ×3 + person.create ×66
    assert_eq!(intact(&store).await, 69);
}

// ---------------------------------------------------------------------------------------------
// Reads through a site filter
// ---------------------------------------------------------------------------------------------

async fn check_read_filter(store: Store, _raw: RawDb) {
    let pnh = add_site(&store, "PNH").await;
    let bkk = add_site(&store, "BKK").await;
    let p = register(&store, &pnh, person("Siti Rahayu"), date!(2025 - 03 - 03)).await;
    let reader = worker();

    for filter in [only(&[&bkk]), SiteFilter::Only(vec![])] {
        let before = intact(&store).await;
        match store
            .read_person(&reader, &filter, &p.id, AuditAction::PersonRead)
            .await
        {
            Err(StoreError::NotFound) => {}
            other => panic!("read outside the filter {filter:?}: expected NotFound, got {other:?}"),
        }
        assert_eq!(
            intact(&store).await,
            before + 1,
            "the denied read is audited"
        );
        let e = newest_event(&store, &p.id).await;
        assert_eq!(e.action, AuditAction::PersonReadDenied.name());
        assert_eq!(e.actor, "caseworker");
    }

    // An unknown id is not found either, and leaves no event.
    let before = intact(&store).await;
    assert!(matches!(
        store
            .read_person(
                &reader,
                &SiteFilter::All,
                "no-such-person",
                AuditAction::PersonRead
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(intact(&store).await, before);

    for (filter, action) in [
        (only(&[&bkk, &pnh]), AuditAction::PersonRead),
        (only(&[&pnh]), AuditAction::PersonRead),
        (SiteFilter::All, AuditAction::PersonPrint),
    ] {
        let before = intact(&store).await;
        let got = store
            .read_person(&reader, &filter, &p.id, action)
            .await
            .unwrap_or_else(|e| panic!("read inside {filter:?}: {e}"));
        assert_eq!(got, p);
        assert_eq!(intact(&store).await, before + 1);
        let e = newest_event(&store, &p.id).await;
        assert_eq!(e.action, action.name());
        assert_eq!(e.actor, "caseworker");
    }

    // Every other read of a person's data is scoped the same way: another site's person is
    // not found, one inside the filter is read.
    for filter in [only(&[&bkk]), SiteFilter::Only(vec![])] {
        let denied = |what: &str, r: Result<usize, StoreError>| {
            assert!(
                matches!(r, Err(StoreError::NotFound)),
                "{what} outside {filter:?}: {r:?}"
            );
        };
        fn len<T>(r: Result<Vec<T>, StoreError>) -> Result<usize, StoreError> {
            r.map(|v| v.len())
        }
        denied("encounters", len(store.encounters(&filter, &p.id).await));
        denied("history", len(store.history(&filter, &p.id).await));
        denied("merges", len(store.merges_of(&filter, &p.id).await));
        denied("screenings", len(store.screenings_of(&filter, &p.id).await));
        denied("flags", len(store.flags(&filter, &p.id).await));
        denied("milestones", len(store.milestones(&filter, &p.id).await));
        denied(
            "imported rows",
            store.imported_rows(&filter, &pnh.id).await.map(|m| m.len()),
        );
        denied(
            "imported person",
            store
                .imported_person(&filter, &pnh.id, "k")
                .await
                .map(|p| p.iter().count()),
        );
        let summaries = store.person_summaries(&filter).await.unwrap().people;
        assert!(summaries.is_empty(), "summaries outside {filter:?}");
        assert!(store.import_batches(&filter).await.unwrap().is_empty());
    }
    let mine = only(&[&pnh]);
    assert_eq!(store.encounters(&mine, &p.id).await.unwrap().len(), 1);
    assert_eq!(store.history(&mine, &p.id).await.unwrap().len(), 1);
    assert!(store.merges_of(&mine, &p.id).await.unwrap().is_empty());
    assert!(store.screenings_of(&mine, &p.id).await.unwrap().is_empty());
    assert_eq!(store.person_summaries(&mine).await.unwrap().people.len(), 1);
    assert!(store
        .imported_rows(&mine, &pnh.id)
        .await
        .unwrap()
        .is_empty());
}

// ---------------------------------------------------------------------------------------------
// Updates and history
// ---------------------------------------------------------------------------------------------

fn siti() -> PersonDetails {
    PersonDetails {
        full_name: "Siti Rahayu".into(),
        aliases: vec!["Ayu".into()],
        sex: Some(Sex::F),
        birth_date: Some(BirthDate::Full(date!(1996 - 05 - 04))),
        age: None,
        nationality: "ID".into(),
        nik: Some(nik("3201014405960001")),
        passport_no: Some("C1234567".into()),
        phones: vec!["+6281234567890".into()],
        origin_province: Some("32".into()),
        origin_regency: None,
        languages: vec!["id".into(), "su".into()],
    }
}

async fn check_update_history(store: Store, _raw: RawDb) {
    let pnh = add_site(&store, "PNH").await;
    let bkk = add_site(&store, "BKK").await;
    let p = register(&store, &pnh, siti(), date!(2025 - 01 - 10)).await;
    let cw = worker();

    let mut d2 = siti();
    d2.full_name = "Siti Rahayu Lestari".into();
    d2.phones.push("+6285712345678".into());
    let u = store
        .update_person(&cw, &SiteFilter::All, &p.id, Some(1), d2.clone())
        .await
        .expect("update");
    assert_eq!(u.version, 2);
    assert_eq!(u.details, d2);
    assert_eq!(u.case_number, p.case_number);
    assert_eq!(u.created_at, p.created_at);

    let h = store.history(&SiteFilter::All, &p.id).await.unwrap();
    assert_eq!(
        h.iter().map(|e| e.version).collect::<Vec<_>>(),
        [2, 1],
        "newest first"
    );
    assert_eq!(h[0].actor, "caseworker");
    let fields: BTreeSet<&str> = h[0].changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(
        fields,
        BTreeSet::from(["full_name", "phones"]),
        "only the changed fields"
    );
    let name = h[0]
        .changes
        .iter()
        .find(|c| c.field == "full_name")
        .unwrap();
    assert_eq!(name.before.as_deref(), Some("Siti Rahayu"));
    assert_eq!(name.after.as_deref(), Some("Siti Rahayu Lestari"));
    let phones = h[0].changes.iter().find(|c| c.field == "phones").unwrap();
    assert!(phones.before.as_deref().unwrap().contains("+6281234567890"));
    assert!(!phones.before.as_deref().unwrap().contains("+6285712345678"));
    assert!(phones.after.as_deref().unwrap().contains("+6285712345678"));
    // Version 1 records the initial values, with nothing before them.
    assert_eq!(h[1].actor, "operator");
    assert!(h[1]
        .changes
        .iter()
        .any(|c| c.field == "full_name" && c.after.as_deref() == Some("Siti Rahayu")));
    assert!(h[1].changes.iter().all(|c| c.before.is_none()));
    assert_eq!(
        newest_event(&store, &p.id).await.action,
        AuditAction::PersonUpdate.name()
    );
    assert_eq!(
        store
            .lookup(&SiteFilter::All, LookupKind::Phone, "+6285712345678")
            .await
            .unwrap(),
        vec![p.id.clone()]
    );

    // A stale version is rejected and nothing changes.
    let events = intact(&store).await;
    let mut d3 = d2.clone();
    d3.full_name = "Someone Else".into();
    d3.nik = Some(nik("3201010101010009"));
    match store
        .update_person(&cw, &SiteFilter::All, &p.id, Some(1), d3.clone())
        .await
    {
        Err(StoreError::VersionConflict { expected, found }) => {
            assert_eq!((expected, found), (1, 2))
        }
        other => panic!("stale version: expected VersionConflict, got {other:?}"),
    }
    // Outside the filter: not found, nothing changes.
    assert!(matches!(
        store
            .update_person(&cw, &only(&[&bkk]), &p.id, Some(2), d3.clone())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .update_person(&cw, &SiteFilter::All, "no-such-id", None, d3.clone())
            .await,
        Err(StoreError::NotFound)
    ));
    // No change: no new version, no history, no event.
    let same = store
        .update_person(&cw, &SiteFilter::All, &p.id, Some(2), d2.clone())
        .await
        .unwrap();
    assert_eq!(same.version, 2);
    assert_eq!(
        intact(&store).await,
        events,
        "failed or empty updates are not audited"
    );
    assert_eq!(
        store.history(&SiteFilter::All, &p.id).await.unwrap().len(),
        2
    );
    assert!(store
        .lookup(&SiteFilter::All, LookupKind::Nik, "3201010101010009")
        .await
        .unwrap()
        .is_empty());
    let now = store
        .read_person(&cw, &SiteFilter::All, &p.id, AuditAction::PersonRead)
        .await
        .unwrap();
    assert_eq!((now.version, &now.details), (2, &d2));

    // Without expected_version the update applies to whatever is current.
    let u3 = store
        .update_person(&cw, &SiteFilter::All, &p.id, None, d3.clone())
        .await
        .unwrap();
    assert_eq!(u3.version, 3);
    assert_eq!(
        store.history(&SiteFilter::All, &p.id).await.unwrap().len(),
        3
    );

    // A stale update queued together with good writes fails alone.
    let before = intact(&store).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.audit("tester", "PNH", AuditAction::PersonRead, &format!("s{i}"))
                .await
                .map(|_| ())
        }));
    }
    let (s, id, d) = (store.clone(), p.id.clone(), d2.clone());
    let stale = tokio::spawn(async move {
        s.update_person(&worker(), &SiteFilter::All, &id, Some(2), d)
            .await
    });
    for t in tasks {
        t.await
            .unwrap()
            .expect("audit event next to a failing write");
    }
    assert!(matches!(
        stale.await.unwrap(),
        Err(StoreError::VersionConflict {
            expected: 2,
            found: 3
        })
    ));
    assert_eq!(intact(&store).await, before + 20);
}

/// A write that fails after it has already changed rows (here: its audit append collides with
/// a planted row) leaves no trace: people, look-ups, history, case counters and the chain are
/// as before.
async fn check_failed_writes_leave_nothing(store: Store, _raw: RawDb) {
    let pnh = add_site(&store, "PNH").await;
    let p = register(&store, &pnh, siti(), date!(2025 - 01 - 10)).await;
    let n = intact(&store).await;
    let plant = format!(
        "INSERT INTO audit_events (seq, at, actor, site, action, subject, prev_hash, hash) \
         VALUES ({}, 0, 'planted', '*', 'planted', 'planted', 'x', 'x')",
        n + 1
    );
    assert_eq!(store.raw_execute(&plant).await.unwrap(), 1);

    let mut d2 = siti();
    d2.full_name = "Half Written".into();
    d2.nik = Some(nik("3201010101010009"));
    d2.phones = vec!["+6285799990000".into()];
    let r = store
        .update_person(&worker(), &SiteFilter::All, &p.id, Some(1), d2)
        .await;
    assert!(r.is_err(), "the update must fail: {r:?}");
    let r = store
        .register_person(
            &operator(),
            &pnh,
            person("Never Registered"),
            arrival(&pnh, date!(2025 - 01 - 11)),
        )
        .await;
    assert!(r.is_err(), "the registration must fail: {r:?}");

    assert_eq!(
        store
            .raw_execute("DELETE FROM audit_events WHERE actor = 'planted'")
            .await
            .unwrap(),
        1
    );
    assert_eq!(intact(&store).await, n, "the audit head did not move");
    assert_eq!(store.person_count().await.unwrap(), 1);
    assert_eq!(
        store.history(&SiteFilter::All, &p.id).await.unwrap().len(),
        1
    );
    for (kind, v) in [
        (LookupKind::Nik, "3201010101010009"),
        (LookupKind::Phone, "+6285799990000"),
    ] {
        assert!(store
            .lookup(&SiteFilter::All, kind, v)
            .await
            .unwrap()
            .is_empty());
    }
    for (kind, v) in [
        (LookupKind::Nik, "3201014405960001"),
        (LookupKind::Passport, "C1234567"),
        (LookupKind::Phone, "+6281234567890"),
    ] {
        assert_eq!(
            store.lookup(&SiteFilter::All, kind, v).await.unwrap(),
            vec![p.id.clone()],
            "old {kind} look-up survives"
        );
    }
    let now = store
        .read_person(&worker(), &SiteFilter::All, &p.id, AuditAction::PersonRead)
        .await
        .expect("the record still decrypts");
    assert_eq!((now.version, now.details), (1, siti()));
    // The failed registration did not use up a case number.
    let q = register(&store, &pnh, person("Next"), date!(2025 - 01 - 12)).await;
    assert_eq!(q.case_number, "PNH-2025-000002");
    intact(&store).await;
}

// ---------------------------------------------------------------------------------------------
// Look-ups
// ---------------------------------------------------------------------------------------------

async fn check_lookup(store: Store, _raw: RawDb) {
    let pnh = add_site(&store, "PNH").await;
    let bkk = add_site(&store, "BKK").await;
    let p = register(&store, &pnh, siti(), date!(2025 - 02 - 02)).await;
    let mut other = person("Budi Santoso");
    other.nik = Some(nik("3578010101900003"));
    other.phones = vec!["+6281234567890".into(), "+855123456789".into()];
    let q = register(&store, &bkk, other, date!(2025 - 02 - 02)).await;

    let look = |f: SiteFilter, kind: LookupKind, v: &'static str| {
        let s = store.clone();
        async move { sorted(s.lookup(&f, kind, v).await.unwrap()) }
    };
    for (kind, v) in [
        (LookupKind::Nik, "3201014405960001"),
        (LookupKind::Passport, "C1234567"),
    ] {
        assert_eq!(look(SiteFilter::All, kind, v).await, vec![p.id.clone()]);
        assert_eq!(look(only(&[&pnh]), kind, v).await, vec![p.id.clone()]);
        assert_eq!(look(only(&[&bkk, &pnh]), kind, v).await, vec![p.id.clone()]);
        assert!(
            look(only(&[&bkk]), kind, v).await.is_empty(),
            "{kind} outside the filter"
        );
        assert!(look(SiteFilter::Only(vec![]), kind, v).await.is_empty());
    }
    // A phone shared by people on two sites.
    let shared = "+6281234567890";
    assert_eq!(
        look(SiteFilter::All, LookupKind::Phone, shared).await,
        sorted(vec![p.id.clone(), q.id.clone()])
    );
    assert_eq!(
        look(only(&[&pnh]), LookupKind::Phone, shared).await,
        vec![p.id.clone()]
    );
    assert_eq!(
        look(only(&[&bkk]), LookupKind::Phone, shared).await,
        vec![q.id.clone()]
    );
    assert_eq!(
        look(SiteFilter::All, LookupKind::Phone, "+855123456789").await,
        vec![q.id.clone()]
    );
    assert!(look(only(&[&pnh]), LookupKind::Phone, "+855123456789")
        .await
        .is_empty());
    // Unknown values, and values under the wrong kind, find nobody.
    assert!(look(SiteFilter::All, LookupKind::Nik, "3201014405960002")
        .await
        .is_empty());
    assert!(look(SiteFilter::All, LookupKind::Phone, "3201014405960001")
        .await
        .is_empty());
    assert!(
        look(SiteFilter::All, LookupKind::Passport, "3201014405960001")
            .await
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// Encryption at rest
// ---------------------------------------------------------------------------------------------

const NAME: &str = "Zulkarnaen Wirapratama";
const ALIAS: &str = "Kang Zulkarnaen";
const NEW_ALIAS: &str = "Pak Wirapratama";
const BIRTH: &str = "1991-07-23";
const NIK: &str = "3273012307910004";
const PASSPORT: &str = "X7654321";
const PHONE: &str = "+6281311112222";
const NOTES: &str = "Dipukul di kompleks KK Park";

/// What must never be found in the database files, compared case-insensitively.
const SECRETS: &[&str] = &[
    NAME,
    "Zulkarnaen",
    "Wirapratama",
    ALIAS,
    NEW_ALIAS,
    BIRTH,
    "23-07-1991",
    NIK,
    PASSPORT,
    PHONE,
    "6281311112222",
    "081311112222",
    NOTES,
    "Dipukul",
    "KK Park",
];

fn zulkarnaen() -> PersonDetails {
    PersonDetails {
        full_name: NAME.into(),
        aliases: vec![ALIAS.into()],
        sex: Some(Sex::M),
        birth_date: Some(BirthDate::Full(date!(1991 - 07 - 23))),
        age: None,
        nationality: "ID".into(),
        nik: Some(nik(NIK)),
        passport_no: Some(PASSPORT.into()),
        phones: vec![PHONE.into()],
        origin_province: Some("32".into()),
        origin_regency: None,
        languages: vec!["id".into(), "su".into()],
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Asserts no secret occurs in `bytes` (ASCII case-insensitively).
fn assert_no_plaintext(what: &str, bytes: &[u8]) {
    let lower = bytes.to_ascii_lowercase();
    for s in SECRETS {
        assert!(
            !contains(&lower, s.to_ascii_lowercase().as_bytes()),
            "{what} holds the plaintext {s:?}"
        );
    }
}

async fn check_encryption_at_rest(store: Store, raw: RawDb) {
    let site = store
        .add_site(&operator(), "KKP", "Shelter Mae Sot", "Asia/Bangkok")
        .await
        .unwrap();
    let p = store
        .register_person(
            &operator(),
            &site,
            zulkarnaen(),
            EncounterDetails {
                site: "KKP".into(),
                arrived_on: date!(2025 - 04 - 01),
                arrival_route: ArrivalRoute::RescueOperation,
                notes: Some(NOTES.into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(p.case_number, "KKP-2025-000001");
    // An update puts old and new values into the (sealed) history too.
    let mut d2 = zulkarnaen();
    d2.aliases.push(NEW_ALIAS.into());
    store
        .update_person(&worker(), &SiteFilter::All, &p.id, Some(1), d2.clone())
        .await
        .unwrap();
    // Everything reads back through the API.
    let got = store
        .read_person(&worker(), &SiteFilter::All, &p.id, AuditAction::PersonRead)
        .await
        .unwrap();
    assert_eq!(got.details, d2);
    let enc = store.encounters(&SiteFilter::All, &p.id).await.unwrap();
    assert_eq!(enc.len(), 1);
    assert_eq!(enc[0].notes.as_deref(), Some(NOTES));
    let summaries = store
        .person_summaries(&SiteFilter::All)
        .await
        .unwrap()
        .people;
    assert_eq!(summaries[0].details.full_name, NAME);

    // The blind indexes are keyed digests, not the identifiers.
    let digests = sorted(
        raw.strings(&format!(
            "SELECT digest FROM person_lookup WHERE person_id = {}",
            lit(&p.id)
        ))
        .await,
    );
    let keys = store.keys();
    assert_eq!(
        digests,
        sorted(vec![
            keys.blind_index(LookupKind::Nik, NIK),
            keys.blind_index(LookupKind::Passport, PASSPORT),
            keys.blind_index(LookupKind::Phone, PHONE),
        ])
    );
    for d in &digests {
        assert_eq!(d.len(), 40);
        assert!(d.bytes().all(|b| b.is_ascii_hexdigit()), "{d}");
        for v in [NIK, PASSPORT, PHONE, "6281311112222", "3273012307910004"] {
            assert!(!d.contains(v), "digest {d} holds {v}");
            assert!(!d.contains(&hex::encode(v)), "digest {d} is the hex of {v}");
            let unkeyed = hex::encode(Sha256::digest(v.as_bytes()));
            assert!(
                !unkeyed.starts_with(d.as_str()),
                "digest of {v} is not keyed"
            );
        }
    }
    // The history table names fields but holds no values.
    let fields = raw.strings("SELECT fields FROM person_history").await;
    assert_eq!(fields.len(), 2);
    for f in &fields {
        assert_no_plaintext("person_history.fields", f.as_bytes());
    }

    match &raw {
        RawDb::Sqlite { dir } => {
            sqlite_files_hold_no_plaintext(dir, &p.case_number, "store open");
            store.close().await;
            sqlite_files_hold_no_plaintext(dir, &p.case_number, "store closed");
        }
        RawDb::Postgres { url } => pg_files_hold_no_plaintext(url, &p.case_number).await,
    }
}

/// Reads `pulang.sqlite3` and its `-wal` (and `-shm`) files, whichever exist.
fn sqlite_files_hold_no_plaintext(dir: &Path, case_number: &str, when: &str) {
    let mut all = Vec::new();
    let mut read = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "pulang.sqlite3" || name.starts_with("pulang.sqlite3-") {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert_no_plaintext(&format!("{name} ({when})"), &bytes);
            read.push(format!("{name}: {} bytes", bytes.len()));
            all.extend_from_slice(&bytes);
        }
    }
    assert!(
        read.iter().any(|r| r.starts_with("pulang.sqlite3:")),
        "no pulang.sqlite3 in {}",
        dir.display()
    );
    // Positive control: these bytes are the data (plain columns are found).
    assert!(
        contains(&all, case_number.as_bytes()) && contains(&all, b"Shelter Mae Sot"),
        "the database files do not hold the case number ({when}): reading the wrong files?"
    );
    println!("SQLite files checked for plaintext ({when}): {read:?}");
}

async fn pg_files_hold_no_plaintext(url: &str, case_number: &str) {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query("CHECKPOINT").execute(&mut c).await.unwrap();
    let data_dir: String = sqlx::query_scalar("SHOW data_directory")
        .fetch_one(&mut c)
        .await
        .unwrap();
    let data_dir = PathBuf::from(data_dir);
    let tables = [
        "people",
        "encounters",
        "person_history",
        "person_lookup",
        "audit_events",
    ];
    let main_file = |t: &'static str| {
        sqlx::query_scalar::<_, String>("SELECT pg_relation_filepath($1::regclass)").bind(t)
    };
    let people = data_dir.join(main_file("people").fetch_one(&mut c).await.unwrap());
    if std::fs::metadata(&people).is_err() {
        println!(
            "note: cannot read PostgreSQL's data directory {} from here; \
             checking the tables' text output instead",
            data_dir.display()
        );
        for t in tables {
            let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT {t}::text FROM {t}"))
                .fetch_all(&mut c)
                .await
                .unwrap();
            assert!(!rows.is_empty(), "{t} is empty");
            let text = rows.join("\n");
            assert_no_plaintext(t, text.as_bytes());
            for s in SECRETS {
                assert!(
                    !text.contains(&hex::encode(s.as_bytes())),
                    "{t} holds {s:?} (as hex)"
                );
            }
        }
        let _ = c.close().await;
        return;
    }
    // Each table's file exists and, after the CHECKPOINT, holds its rows.
    for t in tables {
        let f = data_dir.join(main_file(t).fetch_one(&mut c).await.unwrap());
        let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(!bytes.is_empty(), "{t}'s file {} is empty", f.display());
        if t == "people" {
            assert!(
                contains(&bytes, case_number.as_bytes()),
                "{} does not hold the case number after CHECKPOINT: wrong file?",
                f.display()
            );
        }
        assert_eq!(
            f.parent(),
            people.parent(),
            "{t} lives in another directory"
        );
    }
    let _ = c.close().await;
    // Every file of this database: the tables above, their TOAST tables and indexes, catalogs,
    // free space and visibility maps.
    let db_dir = people.parent().unwrap();
    let (mut files, mut total) = (0usize, 0usize);
    for entry in std::fs::read_dir(db_dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            total += bytes.len();
            files += 1;
            assert_no_plaintext(&entry.path().display().to_string(), &bytes);
        }
    }
    println!(
        "PostgreSQL files checked for plaintext: {files} files, {total} bytes in {}",
        db_dir.display()
    );
}

/// Ciphertext is bound to its record and field: moved elsewhere, it no longer decrypts.
async fn check_ciphertext_bound_to_record(store: Store, _raw: RawDb) {
    let pnh = add_site(&store, "PNH").await;
    let a = register(&store, &pnh, siti(), date!(2025 - 01 - 01)).await;
    let b = register(&store, &pnh, zulkarnaen(), date!(2025 - 01 - 01)).await;
    // b's name sealed for b, copied into a's row.
    let moved = store
        .raw_execute(&format!(
            "UPDATE people SET full_name = (SELECT full_name FROM people WHERE id = {}) WHERE id = {}",
            lit(&b.id),
            lit(&a.id)
        ))
        .await
        .unwrap();
    assert_eq!(moved, 1);
    match store
        .read_person(&worker(), &SiteFilter::All, &a.id, AuditAction::PersonRead)
        .await
    {
        Err(StoreError::Decrypt(f)) => assert_eq!(f, "full_name"),
        other => panic!("moved ciphertext: expected Decrypt, got {other:?}"),
    }
    // b's own name sealed as another field of b.
    store
        .raw_execute(&format!(
            "UPDATE people SET aliases = full_name WHERE id = {}",
            lit(&b.id)
        ))
        .await
        .unwrap();
    match store
        .read_person(&worker(), &SiteFilter::All, &b.id, AuditAction::PersonRead)
        .await
    {
        Err(StoreError::Decrypt(f)) => assert_eq!(f, "aliases"),
        other => panic!("ciphertext moved to another field: expected Decrypt, got {other:?}"),
    }
}

const STORY: &str = "recruited by a cousin, passport kept by the company";

/// Siti with an arrival note, a screening and a change in her history; Zulkarnaen without.
async fn person_with_story(store: &Store, site: &Site) -> (PersonRecord, PersonRecord, String) {
    let mut at = arrival(site, date!(2025 - 01 - 01));
    at.notes = Some(STORY.into());
    let a = store
        .register_person(&operator(), site, siti(), at)
        .await
        .unwrap();
    let b = register(store, site, zulkarnaen(), date!(2025 - 01 - 02)).await;
    let s = store
        .start_screening(
            &worker(),
            &SiteFilter::All,
            &a.id,
            None,
            "v1",
            &format!("{{\"story\":\"{STORY}\"}}"),
            "none",
        )
        .await
        .unwrap();
    let mut d = a.details.clone();
    d.aliases = vec!["Siti R.".into()];
    store
        .update_person(&worker(), &SiteFilter::All, &a.id, None, d)
        .await
        .unwrap();
    (a, b, s.id)
}

/// Moving a person's arrival, screening or history row to another person (rewriting its
/// `person_id` in the database) does not show her story under him: the row no longer opens.
async fn check_child_rows_bound_to_their_person(store: Store, _raw: RawDb) {
    let pnh = add_site(&store, "PNH").await;
    let (a, b, screening) = person_with_story(&store, &pnh).await;
    let all = SiteFilter::All;
    // Before the move, all of it reads.
    let mine = store.encounters(&all, &a.id).await.unwrap();
    assert_eq!(mine[0].notes.as_deref(), Some(STORY));
    assert_eq!(store.screenings_of(&all, &a.id).await.unwrap().len(), 1);
    assert_eq!(store.history(&all, &a.id).await.unwrap().len(), 2);
    for table in ["encounters", "screenings", "person_history"] {
        let moved = store
            .raw_execute(&format!(
                "UPDATE {table} SET person_id = {} WHERE person_id = {}",
                lit(&b.id),
                lit(&a.id)
            ))
            .await
            .unwrap();
        assert!(moved >= 1, "{table}");
    }
    // His arrivals list her arrival, but not her notes; the page still shows.
    let his = store.encounters(&all, &b.id).await.unwrap();
    assert_eq!(his.len(), 2);
    assert!(
        his.iter().all(|e| e.notes.as_deref() != Some(STORY)),
        "{his:?}"
    );
    let moved = his.iter().find(|e| e.id == mine[0].id).unwrap();
    assert!(moved.notes.is_none() && moved.notes_unreadable, "{moved:?}");
    // Her screening under him: listed as unreadable; opened on its own, a Decrypt error.
    let listed = store.screenings_of(&all, &b.id).await.unwrap();
    assert!(
        listed.iter().all(|s| !s.input.contains(STORY)),
        "{listed:?}"
    );
    assert!(listed.iter().all(|s| s.unreadable));
    match store
        .read_screening(&worker(), &all, &screening, AuditAction::ScreeningRead)
        .await
    {
        Err(StoreError::Decrypt(f)) => assert_eq!(f, "input"),
        other => panic!("moved screening: expected Decrypt, got {other:?}"),
    }
    // Her history under him: no trace of her name or aliases.
    let history = store.history(&all, &b.id).await.unwrap();
    let shown = format!(
        "{:?}",
        history.iter().map(|h| &h.changes).collect::<Vec<_>>()
    );
    assert!(!shown.contains("Siti"), "{shown}");
    assert_eq!(history.iter().filter(|h| h.unreadable).count(), 2);
    assert!(history.iter().any(|h| !h.unreadable), "his own entry reads");
}

/// Rows sealed or keyed before migration 0008 (`record id | field`, an unkeyed row key) are
/// redone once when a server starts: afterwards they read, are bound to their person, and
/// re-importing finds the rows imported before; starting again changes nothing.
async fn check_rows_written_before_binding_are_rebound(store: Store, raw: RawDb) {
    use pulang_store::imports::ImportRowRef;
    let pnh = add_site(&store, "PNH").await;
    let (a, b, screening) = person_with_story(&store, &pnh).await;
    let keys = store.keys().clone();
    let all = SiteFilter::All;
    let (batch, _) = store
        .start_import(&operator(), &pnh.id, "police", "list.csv", "abc")
        .await
        .unwrap();
    // What an import before 0008 stored: the content digest itself.
    let legacy_key = hex::encode(&Sha256::digest(b"siti\x1fF\x1f")[..16]);
    let imported = store
        .register_person_from(
            &operator(),
            &pnh,
            person("Ani"),
            arrival(&pnh, date!(2026 - 01 - 12)),
            Some(ImportRowRef {
                batch_id: batch.id.clone(),
                row_key: legacy_key.clone(),
                line: 2,
                ..Default::default()
            }),
        )
        .await
        .unwrap();
    // Put every row back in its old form, and on the list as migration 0008 does.
    let mut c = raw.connect().await;
    let enc: String = store.encounters(&all, &a.id).await.unwrap()[0].id.clone();
    let old_rows: Vec<(&str, &str, String, String)> = {
        let hist: Vec<String> = raw
            .strings(&format!(
                "SELECT id FROM person_history WHERE person_id = {}",
                lit(&a.id)
            ))
            .await;
        let mut v = vec![
            ("encounters", "notes", enc.clone(), STORY.to_string()),
            (
                "screenings",
                "input",
                screening.clone(),
                format!("{{\"story\":\"{STORY}\"}}"),
            ),
        ];
        for h in hist {
            let sealed: Vec<u8> = sqlx::query_scalar(&format!(
                "SELECT changes FROM person_history WHERE id = {}",
                lit(&h)
            ))
            .fetch_one(&mut c)
            .await
            .unwrap();
            let plain = keys.open_owned(&a.id, &h, "changes", &sealed).unwrap();
            v.push(("person_history", "changes", h, plain));
        }
        v
    };
    for (table, column, id, plain) in &old_rows {
        sqlx::query(&format!("UPDATE {table} SET {column} = $1 WHERE id = $2"))
            .bind(keys.seal_str(id, column, plain))
            .bind(id.as_str())
            .execute(&mut c)
            .await
            .unwrap();
        let site = if *table == "person_history" {
            ""
        } else {
            pnh.id.as_str()
        };
        sqlx::query("INSERT INTO rebind_pending (tbl, site_id, id) VALUES ($1, $2, $3)")
            .bind(*table)
            .bind(site)
            .bind(id.as_str())
            .execute(&mut c)
            .await
            .unwrap();
    }
    sqlx::query("INSERT INTO rebind_pending (tbl, site_id, id) VALUES ('import_rows', $1, $2)")
        .bind(pnh.id.as_str())
        .bind(legacy_key.as_str())
        .execute(&mut c)
        .await
        .unwrap();
    let _ = c.close().await;
    // In their old form they do not open as a person's rows.
    assert!(store.encounters(&all, &a.id).await.unwrap()[0].notes_unreadable);
    store.close().await;

    for start in 0..2 {
        let store = Store::open(&raw.url(), keys.clone()).await.unwrap();
        assert_eq!(
            raw.strings("SELECT id FROM rebind_pending").await,
            Vec::<String>::new(),
            "start {start}: the list is done"
        );
        let enc = store.encounters(&all, &a.id).await.unwrap();
        assert_eq!(enc[0].notes.as_deref(), Some(STORY), "start {start}");
        let s = store
            .read_screening(&worker(), &all, &screening, AuditAction::ScreeningRead)
            .await
            .unwrap();
        assert!(s.input.contains(STORY));
        let history = store.history(&all, &a.id).await.unwrap();
        assert!(history
            .iter()
            .all(|h| !h.unreadable && !h.changes.is_empty()));
        // The import row: keyed, found by the key a new import computes, no longer by the
        // digest a guess would give.
        let rows = store.imported_rows(&all, &pnh.id).await.unwrap();
        assert_eq!(
            rows.get(&keys.import_row_key(&legacy_key)),
            Some(&imported.id),
            "start {start}: {rows:?}"
        );
        assert!(!rows.contains_key(&legacy_key));
        store.close().await;
    }
    // Now bound: moved to Zulkarnaen, her notes do not open.
    let store = Store::open(&raw.url(), keys.clone()).await.unwrap();
    store
        .raw_execute(&format!(
            "UPDATE encounters SET person_id = {} WHERE id = {}",
            lit(&b.id),
            lit(&enc)
        ))
        .await
        .unwrap();
    let his = store.encounters(&all, &b.id).await.unwrap();
    assert!(his.iter().all(|e| e.notes.as_deref() != Some(STORY)));
    intact(&store).await;
}

// ---------------------------------------------------------------------------------------------
// Audit chain tampering
// ---------------------------------------------------------------------------------------------

/// A fresh chain of 10 events.
async fn ten_events(store: &Store) -> Vec<AuditEvent> {
    add_site(store, "PNH").await;
    store
        .add_user(&operator(), "siti", "$argon2id$fake", vec![])
        .await
        .unwrap();
    for i in 3..=10 {
        store
            .audit(
                "tester",
                "PNH",
                AuditAction::PersonRead,
                &format!("subject-{i}"),
            )
            .await
            .unwrap();
    }
    assert_eq!(store.verify_audit().await.unwrap(), Ok(10));
    let mut events = store.audit_events(None, 100).await.unwrap();
    events.reverse();
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    events
}

async fn broken(store: &Store) -> ChainBreak {
    match store.verify_audit().await.expect("verify_audit") {
        Ok(n) => panic!("tampering went unnoticed ({n} events verified)"),
        Err(b) => b,
    }
}

async fn check_audit_intact(store: Store, _raw: RawDb) {
    let events = ten_events(&store).await;
    let mut prev = GENESIS.to_string();
    for e in &events {
        assert_eq!(
            e.prev_hash, prev,
            "event {} links to its predecessor",
            e.seq
        );
        let h = event_hash(
            &e.prev_hash,
            e.seq,
            e.at,
            &NewEvent {
                actor: &e.actor,
                site: &e.site,
                action: &e.action,
                subject: &e.subject,
            },
        );
        assert_eq!(h, e.hash);
        prev = e.hash.clone();
    }
    assert_eq!(events[0].action, AuditAction::SiteCreate.name());
    assert_eq!(events[1].action, AuditAction::UserCreate.name());
    assert_eq!(events[9].subject, "subject-10");
    // Appending after a verification keeps the chain intact.
    store
        .audit("tester", "PNH", AuditAction::PersonSearch, "x")
        .await
        .unwrap();
    assert_eq!(store.verify_audit().await.unwrap(), Ok(11));
}

async fn check_audit_edited(store: Store, _raw: RawDb) {
    ten_events(&store).await;
    let n = store
        .raw_execute("UPDATE audit_events SET subject = 'someone-else' WHERE seq = 6")
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(broken(&store).await, ChainBreak::Edited { seq: 6 });
}

async fn check_audit_deleted_middle(store: Store, _raw: RawDb) {
    ten_events(&store).await;
    assert_eq!(
        store
            .raw_execute("DELETE FROM audit_events WHERE seq = 5")
            .await
            .unwrap(),
        1
    );
    assert_eq!(broken(&store).await, ChainBreak::Gap { seq: 6, prev: 4 });
}

async fn check_audit_deleted_last(store: Store, _raw: RawDb) {
    ten_events(&store).await;
    assert_eq!(
        store
            .raw_execute("DELETE FROM audit_events WHERE seq = 10")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        broken(&store).await,
        ChainBreak::Truncated { last: 9, head: 10 }
    );
}

async fn check_audit_swapped(store: Store, _raw: RawDb) {
    let events = ten_events(&store).await;
    let (e3, e4) = (&events[2], &events[3]);
    for (seq, e) in [(3, e4), (4, e3)] {
        let sql = format!(
            "UPDATE audit_events SET at = {}, actor = {}, action = {}, subject = {}, \
             prev_hash = {}, hash = {} WHERE seq = {seq}",
            e.at,
            lit(&e.actor),
            lit(&e.action),
            lit(&e.subject),
            lit(&e.prev_hash),
            lit(&e.hash)
        );
        assert_eq!(store.raw_execute(&sql).await.unwrap(), 1);
    }
    let b = broken(&store).await;
    assert!(
        matches!(
            b,
            ChainBreak::Edited { seq: 3 } | ChainBreak::Link { seq: 3 }
        ),
        "swapping events 3 and 4 should break the chain at 3, got: {b}"
    );
}

/// Editing an event and recomputing its own hash still breaks the link from the next one.
async fn check_audit_rehashed(store: Store, _raw: RawDb) {
    let events = ten_events(&store).await;
    let e = &events[3];
    let hash = event_hash(
        &e.prev_hash,
        e.seq,
        e.at,
        &NewEvent {
            actor: &e.actor,
            site: &e.site,
            action: &e.action,
            subject: "rewritten",
        },
    );
    store
        .raw_execute(&format!(
            "UPDATE audit_events SET subject = 'rewritten', hash = {} WHERE seq = 4",
            lit(&hash)
        ))
        .await
        .unwrap();
    assert_eq!(broken(&store).await, ChainBreak::Forged { seq: 4 });
}

/// What someone who can write the database but not read the key file can do to the chain:
/// rewrite events from `from` on with `edit` applied, recomputing every plain hash and the
/// head's, as `verify` would have accepted before the chain was sealed.
async fn rechain(
    store: &Store,
    events: &[AuditEvent],
    from: usize,
    edit: impl Fn(&mut AuditEvent),
) {
    let mut prev = if from == 0 {
        GENESIS.to_string()
    } else {
        events[from - 1].hash.clone()
    };
    for (i, e) in events.iter().enumerate().skip(from) {
        let mut e = e.clone();
        if i == from {
            edit(&mut e);
        }
        let hash = event_hash(
            &prev,
            e.seq,
            e.at,
            &NewEvent {
                actor: &e.actor,
                site: &e.site,
                action: &e.action,
                subject: &e.subject,
            },
        );
        store
            .raw_execute(&format!(
                "UPDATE audit_events SET subject = {}, prev_hash = {}, hash = {} WHERE seq = {}",
                lit(&e.subject),
                lit(&prev),
                lit(&hash),
                e.seq
            ))
            .await
            .unwrap();
        prev = hash;
    }
    store
        .raw_execute(&format!(
            "UPDATE audit_head SET hash = {} WHERE id = 1",
            lit(&prev)
        ))
        .await
        .unwrap();
}

/// Editing an event and recomputing the whole chain after it, and the head: the seal of the
/// edited event gives it away, and `verify` names it.
async fn check_audit_rewritten_without_the_key(store: Store, _raw: RawDb) {
    let events = ten_events(&store).await;
    rechain(&store, &events, 4, |e| e.subject = "someone-else".into()).await;
    assert_eq!(broken(&store).await, ChainBreak::Forged { seq: 5 });
}

/// Deleting the last events and setting the head to the new last one (hash included), or
/// emptying the log back to genesis: the head's seal gives it away.
async fn check_audit_truncated_without_the_key(store: Store, _raw: RawDb) {
    let events = ten_events(&store).await;
    store
        .raw_execute("DELETE FROM audit_events WHERE seq > 7")
        .await
        .unwrap();
    store
        .raw_execute(&format!(
            "UPDATE audit_head SET seq = 7, hash = {} WHERE id = 1",
            lit(&events[6].hash)
        ))
        .await
        .unwrap();
    assert_eq!(broken(&store).await, ChainBreak::HeadSeal { seq: 7 });
    store.raw_execute("DELETE FROM audit_events").await.unwrap();
    store
        .raw_execute(&format!(
            "UPDATE audit_head SET seq = 0, hash = {} WHERE id = 1",
            lit(GENESIS)
        ))
        .await
        .unwrap();
    assert_eq!(broken(&store).await, ChainBreak::HeadSeal { seq: 0 });
}

/// Putting back an older copy of the log (a restored backup: every event and the head sealed
/// correctly, just older) passes the seals but not the witness this server keeps outside the
/// database.
async fn check_audit_rolled_back(store: Store, raw: RawDb) {
    let dir = tempfile::tempdir().unwrap();
    store.keep_witness(&dir.path().join("audit.witness"));
    for i in 0..7 {
        store
            .audit("tester", "PNH", AuditAction::PersonRead, &format!("s{i}"))
            .await
            .unwrap();
    }
    // The backup: the head row as it was after seven events.
    let older = raw
        .strings("SELECT seal FROM audit_head WHERE id = 1")
        .await
        .pop()
        .expect("a sealed head");
    let hash7 = raw
        .strings("SELECT hash FROM audit_head WHERE id = 1")
        .await
        .pop()
        .expect("head hash");
    for i in 7..10 {
        store
            .audit("tester", "PNH", AuditAction::PersonRead, &format!("s{i}"))
            .await
            .unwrap();
    }
    assert_eq!(store.verify_audit().await.unwrap(), Ok(10));
    // Putting the backup back.
    store
        .raw_execute("DELETE FROM audit_events WHERE seq > 7")
        .await
        .unwrap();
    store
        .raw_execute(&format!(
            "UPDATE audit_head SET seq = 7, hash = {}, seal = {} WHERE id = 1",
            lit(&hash7),
            lit(&older)
        ))
        .await
        .unwrap();
    assert_eq!(
        broken(&store).await,
        ChainBreak::RolledBack {
            witnessed: 10,
            head: 7
        }
    );
}

/// Appending a forged event that links correctly, with a seal copied from a real event.
async fn check_audit_forged_event(store: Store, _raw: RawDb) {
    let events = ten_events(&store).await;
    let last = &events[9];
    let hash = event_hash(
        &last.hash,
        11,
        last.at + 1,
        &NewEvent {
            actor: "admin",
            site: "PNH",
            action: "person.read",
            subject: "x",
        },
    );
    store
        .raw_execute(&format!(
            "INSERT INTO audit_events (seq, at, actor, site, action, subject, prev_hash, hash, seal) \
             VALUES (11, {}, 'admin', 'PNH', 'person.read', 'x', {}, {}, {})",
            last.at + 1,
            lit(&last.hash),
            lit(&hash),
            lit(last.seal.as_deref().expect("sealed"))
        ))
        .await
        .unwrap();
    store
        .raw_execute(&format!(
            "UPDATE audit_head SET seq = 11, hash = {} WHERE id = 1",
            lit(&hash)
        ))
        .await
        .unwrap();
    assert_eq!(broken(&store).await, ChainBreak::Forged { seq: 11 });
}

/// Deleting the last event and rewinding the head's counter is caught by the head's hash.
async fn check_audit_head_rewound(store: Store, _raw: RawDb) {
    ten_events(&store).await;
    store
        .raw_execute("DELETE FROM audit_events WHERE seq = 10")
        .await
        .unwrap();
    store
        .raw_execute("UPDATE audit_head SET seq = 9 WHERE id = 1")
        .await
        .unwrap();
    assert_eq!(broken(&store).await, ChainBreak::Head { seq: 9 });
}

// ---------------------------------------------------------------------------------------------
// Identity decisions: merges and the review queue
// ---------------------------------------------------------------------------------------------

async fn merged_into(raw: &RawDb, id: &str) -> Option<String> {
    raw.strings(&format!(
        "SELECT COALESCE(merged_into, '-') FROM people WHERE id = {}",
        lit(id)
    ))
    .await
    .into_iter()
    .next()
    .filter(|s| s != "-")
}

async fn check_merge_unmerge(store: Store, raw: RawDb) {
    let (pnh, bkk) = (add_site(&store, "PNH").await, add_site(&store, "BKK").await);
    let a = register(&store, &pnh, person("Siti Aminah"), date!(2026 - 01 - 12)).await;
    let b = register(&store, &pnh, person("SITI AMINAH"), date!(2026 - 01 - 13)).await;
    let c = register(&store, &bkk, person("Siti Aminah"), date!(2026 - 01 - 13)).await;
    let before = store.person_count().await.unwrap();
    // Another site's record reads as not found.
    let err = store
        .merge_people(&worker(), &only(&[&pnh]), &a.id, &c.id)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err}");
    let m = store
        .merge_people(&worker(), &only(&[&pnh]), &a.id, &b.id)
        .await
        .expect("merge");
    assert_eq!(
        merged_into(&raw, &b.id).await.as_deref(),
        Some(a.id.as_str())
    );
    assert_eq!(store.person_count().await.unwrap(), before - 1);
    // The survivor shows both arrivals; the merged record keeps its own.
    let enc = store.encounters(&SiteFilter::All, &a.id).await.unwrap();
    assert_eq!(enc.len(), 2);
    assert!(enc.iter().any(|e| e.person_id == b.id));
    for (x, y) in [(&a.id, &b.id), (&b.id, &a.id), (&a.id, &a.id)] {
        let err = store
            .merge_people(&worker(), &only(&[&pnh]), x, y)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    }
    assert_eq!(
        store.merges_of(&SiteFilter::All, &a.id).await.unwrap(),
        vec![m.clone()]
    );
    let err = store
        .unmerge(&worker(), &only(&[&bkk]), &m.id)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err}");
    let undone = store
        .unmerge(&worker(), &only(&[&pnh]), &m.id)
        .await
        .expect("unmerge");
    assert_eq!(undone.undone_by.as_deref(), Some("caseworker"));
    assert_eq!(merged_into(&raw, &b.id).await, None);
    assert_eq!(store.person_count().await.unwrap(), before);
    assert_eq!(
        store
            .encounters(&SiteFilter::All, &a.id)
            .await
            .unwrap()
            .len(),
        1
    );
    let err = store
        .unmerge(&worker(), &only(&[&pnh]), &m.id)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(
        newest_event(&store, &b.id).await.action,
        AuditAction::PersonUnmerge.name()
    );
    intact(&store).await;
}

async fn check_review_queue(store: Store, raw: RawDb) {
    let (pnh, bkk) = (add_site(&store, "PNH").await, add_site(&store, "BKK").await);
    let a = register(&store, &pnh, person("Budi Santoso"), date!(2026 - 01 - 12)).await;
    let b = register(&store, &pnh, person("SANTOSO BUDI"), date!(2026 - 01 - 13)).await;
    let reasons = r#"[{"field":"name","level":"exact","weight":9.1}]"#;
    let id = store
        .queue_review(&pnh.id, &b.id, &a.id, 0.83, reasons, ReviewOrigin::Intake)
        .await
        .unwrap()
        .expect("queued");
    // The same pair in either order is not queued twice.
    assert_eq!(
        store
            .queue_review(&pnh.id, &a.id, &b.id, 0.9, reasons, ReviewOrigin::Import)
            .await
            .unwrap(),
        None
    );
    let pending = store
        .reviews(&only(&[&pnh]), &[ReviewStatus::Pending], 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].reasons, reasons);
    assert!((pending[0].probability - 0.83).abs() < 1e-9);
    assert!(store
        .reviews(&only(&[&bkk]), &[ReviewStatus::Pending], 10)
        .await
        .unwrap()
        .is_empty());
    let err = store
        .decide_review(
            &worker(),
            &only(&[&bkk]),
            &id,
            ReviewStatus::Confirmed,
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err}");
    assert_eq!(
        store
            .decide_review(&worker(), &only(&[&pnh]), &id, ReviewStatus::Deferred, None)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .reviews(&SiteFilter::All, &[ReviewStatus::Deferred], 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let err = store
        .decide_review(
            &worker(),
            &SiteFilter::All,
            &id,
            ReviewStatus::Confirmed,
            Some("someone-else"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let m = store
        .decide_review(
            &worker(),
            &SiteFilter::All,
            &id,
            ReviewStatus::Confirmed,
            Some(&a.id),
        )
        .await
        .unwrap()
        .expect("a confirmed pair is merged");
    assert_eq!(
        (m.survivor_id.as_str(), m.merged_id.as_str()),
        (a.id.as_str(), b.id.as_str())
    );
    assert_eq!(m.review_id.as_deref(), Some(id.as_str()));
    assert_eq!(
        merged_into(&raw, &b.id).await.as_deref(),
        Some(a.id.as_str())
    );
    let err = store
        .decide_review(
            &worker(),
            &SiteFilter::All,
            &id,
            ReviewStatus::Rejected,
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    // Unmerging puts the pair back in the queue.
    store
        .unmerge(&worker(), &SiteFilter::All, &m.id)
        .await
        .unwrap();
    let r = store.review(&SiteFilter::All, &id).await.unwrap();
    assert_eq!(r.status, ReviewStatus::Pending);
    store
        .decide_review(
            &worker(),
            &SiteFilter::All,
            &id,
            ReviewStatus::Rejected,
            None,
        )
        .await
        .unwrap();
    let counts = store.review_counts(&SiteFilter::All).await.unwrap();
    assert!(counts.contains(&(ReviewStatus::Rejected, 1)), "{counts:?}");
    assert!(counts.contains(&(ReviewStatus::Pending, 0)), "{counts:?}");
    assert_eq!(merged_into(&raw, &b.id).await, None);
    intact(&store).await;
}

// ---------------------------------------------------------------------------------------------
// The arrival desk: groups, tickets, flags, milestones, re-encounters
// ---------------------------------------------------------------------------------------------

async fn check_arrivals(store: Store, _raw: RawDb) {
    use pulang_store::people::Intake;
    let (pnh, bkk) = (add_site(&store, "PNH").await, add_site(&store, "BKK").await);
    let day1 = date!(2026 - 01 - 12);
    let g = store
        .create_group(
            &operator(),
            &pnh.id,
            "Police hand-over Sihanoukville",
            ArrivalRoute::PoliceHandover,
            day1,
        )
        .await
        .unwrap();
    let other = store
        .create_group(
            &operator(),
            &bkk.id,
            "Rescue",
            ArrivalRoute::RescueOperation,
            day1,
        )
        .await
        .unwrap();
    let desk = |group: Option<&str>, flags: &[PersonFlag]| Intake {
        group_id: group.map(str::to_string),
        ticket: true,
        flags: flags.to_vec(),
        from_import: None,
    };
    let mut tickets = Vec::new();
    let mut ids = Vec::new();
    for (name, flags) in [
        ("Dewi", &[PersonFlag::Pregnancy, PersonFlag::Medical][..]),
        ("Rizki", &[][..]),
        ("Agus", &[PersonFlag::Child][..]),
    ] {
        let r = store
            .register_person_with(
                &operator(),
                &pnh,
                person(name),
                arrival(&pnh, day1),
                desk(Some(&g.id), flags),
            )
            .await
            .unwrap();
        tickets.push(r.ticket);
        ids.push(r.record.id);
    }
    assert_eq!(tickets, vec![Some(1), Some(2), Some(3)]);
    // Tickets count per site and per day.
    let next_day = store
        .register_person_with(
            &operator(),
            &pnh,
            person("Wati"),
            arrival(&pnh, date!(2026 - 01 - 13)),
            desk(None, &[]),
        )
        .await
        .unwrap();
    assert_eq!(next_day.ticket, Some(1));
    // A group of another site cannot be used.
    let err = store
        .register_person_with(
            &operator(),
            &pnh,
            person("X"),
            arrival(&pnh, day1),
            desk(Some(&other.id), &[]),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err}");
    let members = store.group_members(&SiteFilter::All, &g.id).await.unwrap();
    assert_eq!(members.len(), 3);
    assert_eq!(
        members[0].flags,
        vec![PersonFlag::Medical, PersonFlag::Pregnancy]
    );
    assert_eq!(members[0].ticket, Some(1));
    // Milestones and a return home; then the person arrives again.
    store
        .set_milestone(
            &worker(),
            &only(&[&pnh]),
            &ids[1],
            Milestone::Sheltered,
            Some(day1),
        )
        .await
        .unwrap();
    store
        .set_milestone(
            &worker(),
            &only(&[&pnh]),
            &ids[1],
            Milestone::Returned,
            Some(date!(2026 - 01 - 20)),
        )
        .await
        .unwrap();
    let err = store
        .set_milestone(
            &worker(),
            &only(&[&bkk]),
            &ids[1],
            Milestone::Returned,
            Some(day1),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err}");
    let p = store.group_progress(&SiteFilter::All, &g.id).await.unwrap();
    assert_eq!(
        (
            p.registered,
            p.reached(Milestone::Sheltered),
            p.reached(Milestone::Returned),
            p.flagged,
            p.screened
        ),
        (3, 1, 1, 2, 0)
    );
    let again = store
        .add_encounter(
            &operator(),
            &only(&[&pnh]),
            &ids[1],
            &pnh.id,
            arrival(&pnh, date!(2026 - 06 - 02)),
            None,
            true,
            vec![PersonFlag::Interpreter],
        )
        .await
        .unwrap();
    assert!(again.retrafficking);
    assert_eq!(again.ticket, Some(1));
    let flags: Vec<PersonFlag> = store
        .flags(&SiteFilter::All, &ids[1])
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.flag)
        .collect();
    assert_eq!(
        flags,
        vec![PersonFlag::Interpreter, PersonFlag::Retrafficking]
    );
    assert_eq!(
        newest_event(&store, &ids[1]).await.action,
        AuditAction::PersonFlagRetrafficking.name()
    );
    // Replacing triage flags keeps the re-trafficking flag.
    store
        .set_triage_flags(
            &worker(),
            &only(&[&pnh]),
            &ids[1],
            vec![PersonFlag::Medical],
        )
        .await
        .unwrap();
    let flags: Vec<PersonFlag> = store
        .flags(&SiteFilter::All, &ids[1])
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.flag)
        .collect();
    assert_eq!(flags, vec![PersonFlag::Medical, PersonFlag::Retrafficking]);
    // Before the return date it is not a re-encounter after going home.
    let early = store
        .add_encounter(
            &operator(),
            &SiteFilter::All,
            &ids[0],
            &pnh.id,
            arrival(&pnh, date!(2026 - 01 - 14)),
            None,
            false,
            vec![],
        )
        .await
        .unwrap();
    assert!(!early.retrafficking && early.ticket.is_none());
    let ms = store.milestones(&SiteFilter::All, &ids[1]).await.unwrap();
    assert_eq!(
        ms.iter().map(|m| m.milestone.as_str()).collect::<Vec<_>>(),
        vec!["sheltered", "returned"]
    );
    store
        .set_milestone(
            &worker(),
            &only(&[&pnh]),
            &ids[1],
            Milestone::Sheltered,
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .milestones(&SiteFilter::All, &ids[1])
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.groups(&only(&[&bkk])).await.unwrap(), vec![other]);
    intact(&store).await;
}

async fn check_import_revert(store: Store, raw: RawDb) {
    use pulang_store::imports::ImportRowRef;
    let pnh = add_site(&store, "PNH").await;
    let earlier = register(&store, &pnh, person("Joko Susilo"), date!(2026 - 01 - 10)).await;
    let (batch, resumed) = store
        .start_import(&operator(), &pnh.id, "police", "list.csv", "abc")
        .await
        .unwrap();
    assert!(!resumed);
    let row = |line: i64| ImportRowRef {
        batch_id: batch.id.clone(),
        row_key: format!("k{line}"),
        line,
        ..Default::default()
    };
    let mut made = Vec::new();
    for (line, name) in [(2, "Ani"), (3, "Bayu")] {
        let p = store
            .register_person_from(
                &operator(),
                &pnh,
                person(name),
                arrival(&pnh, date!(2026 - 01 - 12)),
                Some(row(line)),
            )
            .await
            .unwrap();
        made.push(p);
    }
    assert!(!store
        .record_import_match(
            &operator(),
            &pnh.id,
            row(4),
            &earlier.id,
            arrival(&pnh, date!(2026 - 01 - 12))
        )
        .await
        .unwrap());
    store
        .finish_import(&operator(), &batch.id, "{}")
        .await
        .unwrap();
    // Work done on Bayu since the import keeps him.
    let mut d = made[1].details.clone();
    d.full_name = "Bayu Pratama".into();
    store
        .update_person(&worker(), &SiteFilter::All, &made[1].id, None, d)
        .await
        .unwrap();
    let err = store
        .revert_import(&operator(), &only(&[]), &batch.id)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err}");
    // One person per transaction: the matched link, the removal and the kept person each in a
    // chunk of their own.
    let rep = store
        .revert_import_in_chunks(&operator(), &only(&[&pnh]), &batch.id, 1)
        .await
        .unwrap();
    assert_eq!(rep.removed, 1);
    assert_eq!(rep.unlinked, 1);
    assert_eq!(
        rep.kept,
        vec![(made[1].id.clone(), "edited since".to_string())]
    );
    let left = raw
        .strings(&format!(
            "SELECT id FROM people WHERE id = {}",
            lit(&made[0].id)
        ))
        .await;
    assert!(left.is_empty(), "the imported person is removed");
    assert_eq!(
        store
            .imported_person(&SiteFilter::All, &pnh.id, "k2")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .imported_person(&SiteFilter::All, &pnh.id, "k4")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .imported_person(&SiteFilter::All, &pnh.id, "k3")
            .await
            .unwrap()
            .as_deref(),
        Some(made[1].id.as_str())
    );
    let status = raw
        .strings(&format!(
            "SELECT status FROM import_batches WHERE id = {}",
            lit(&batch.id)
        ))
        .await;
    assert_eq!(status, vec!["reverted".to_string()]);
    let err = store
        .revert_import(&operator(), &only(&[&pnh]), &batch.id)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(
        newest_event(&store, &made[0].id).await.action,
        AuditAction::PersonDelete.name()
    );
    intact(&store).await;
}

// ---------------------------------------------------------------------------------------------
// The key check and key rotation
// ---------------------------------------------------------------------------------------------

/// The check value the database records, if any.
async fn recorded_check(raw: &RawDb) -> Vec<String> {
    raw.strings("SELECT check_value FROM key_check").await
}

#[track_caller]
fn assert_wrong_key<T>(r: Result<T, StoreError>) -> String {
    match r {
        Err(e @ StoreError::WrongKey { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("does not match this database (key check failed"),
                "{msg}"
            );
            msg
        }
        Err(e) => panic!("expected WrongKey, got {e:?}"),
        Ok(_) => panic!("expected WrongKey, the store opened"),
    }
}

async fn check_key_mismatch_refused(store: Store, raw: RawDb) {
    let pnh = add_site(&store, "PNH").await;
    register(&store, &pnh, siti(), date!(2025 - 02 - 02)).await;
    assert_eq!(recorded_check(&raw).await, vec![store.keys().check_value()]);
    let other = random_keys();
    let msg = assert_wrong_key(Store::open(&raw.url(), other.clone()).await);
    assert!(
        msg.contains(&store.keys().key_id()) && msg.contains(&other.key_id()),
        "{msg}"
    );
    // Refused before anything was written: the database still records its own key, and it
    // still opens with it.
    assert_eq!(recorded_check(&raw).await, vec![store.keys().check_value()]);
    let again = Store::open(&raw.url(), store.keys().clone())
        .await
        .expect("its own key");
    assert_eq!(again.person_count().await.unwrap(), 1);
    again.close().await;
}

async fn check_first_start_creates_key(raw: RawDb) {
    let dir = tempfile::tempdir().unwrap();
    let file = KeyFile::at(&dir.path().join("pulang.key"));
    let (store, created) = Store::open_with_key_file(&raw.url(), &file)
        .await
        .expect("first start");
    assert!(created);
    let written = file.load().unwrap().expect("the key file is written");
    assert_eq!(written.check_value(), store.keys().check_value());
    assert_eq!(recorded_check(&raw).await, vec![written.check_value()]);
    assert_eq!(
        raw.strings("SELECT key_id FROM key_check").await,
        vec![written.key_id()]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    store.close().await;
    let (again, created) = Store::open_with_key_file(&raw.url(), &file)
        .await
        .expect("second start");
    assert!(!created);
    assert_eq!(again.keys().check_value(), written.check_value());
    again.close().await;
}

async fn check_key_missing_with_data_refused(raw: RawDb) {
    let dir = tempfile::tempdir().unwrap();
    let file = KeyFile::at(&dir.path().join("pulang.key"));
    let (store, _) = Store::open_with_key_file(&raw.url(), &file).await.unwrap();
    let pnh = add_site(&store, "PNH").await;
    register(&store, &pnh, siti(), date!(2025 - 02 - 02)).await;
    store.close().await;
    let check = recorded_check(&raw).await;

    // The key file is lost (or this is another machine's empty data directory).
    for lost in [
        dir.path().to_path_buf(),
        tempfile::tempdir().unwrap().keep(),
    ] {
        let path = lost.join("pulang.key");
        let _ = std::fs::remove_file(&path);
        match Store::open_with_key_file(&raw.url(), &KeyFile::at(&path)).await {
            Err(e @ StoreError::KeyMissing { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(&path.display().to_string()), "{msg}");
                assert!(msg.contains("restore it from your key backup"), "{msg}");
            }
            Err(e) => panic!("expected KeyMissing, got {e:?}"),
            Ok(_) => panic!("a new key was made beside existing data"),
        }
        assert!(
            !path.exists(),
            "no key file may be written beside existing data"
        );
        assert_eq!(
            std::fs::read_dir(&lost).unwrap().count(),
            0,
            "nothing left behind"
        );
        assert_eq!(recorded_check(&raw).await, check);
    }
}

/// Two first starts at once on one empty database, with different key files (two data
/// directories on one PostgreSQL): exactly one adopts its key; the other refuses and leaves no
/// key file.
async fn check_concurrent_first_starts(raw: RawDb) {
    if let RawDb::Sqlite { .. } = raw {
        // sqlx does not lock SQLite's migrations against another process: start from a
        // migrated database with no key recorded (PostgreSQL races from nothing).
        Store::open(&raw.url(), random_keys())
            .await
            .unwrap()
            .close()
            .await;
        let mut c = raw.connect().await;
        sqlx::query("DELETE FROM key_check")
            .execute(&mut c)
            .await
            .unwrap();
        let _ = c.close().await;
    }
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (fa, fb) = (
        KeyFile::at(&a.path().join("pulang.key")),
        KeyFile::at(&b.path().join("pulang.key")),
    );
    let (url_a, url_b) = (raw.url(), raw.url());
    let (fa2, fb2) = (fa.clone(), fb.clone());
    let ta = tokio::spawn(async move { Store::open_with_key_file(&url_a, &fa2).await });
    let tb = tokio::spawn(async move { Store::open_with_key_file(&url_b, &fb2).await });
    let (ra, rb) = (ta.await.unwrap(), tb.await.unwrap());
    let (winner, loser_file, loser) = match (ra, rb) {
        (Ok((s, true)), Err(e)) => (s, fb, e),
        (Err(e), Ok((s, true))) => (s, fa, e),
        (ra, rb) => panic!(
            "exactly one start should win: {:?} / {:?}",
            ra.map(|(_, c)| c),
            rb.map(|(_, c)| c)
        ),
    };
    assert!(
        matches!(
            loser,
            StoreError::KeyMissing { .. } | StoreError::WrongKey { .. }
        ),
        "{loser:?}"
    );
    assert!(!loser_file.path().exists(), "the loser leaves no key file");
    assert_eq!(
        recorded_check(&raw).await,
        vec![winner.keys().check_value()]
    );
    // The loser's directory stays refused; the winner writes and reads.
    assert!(matches!(
        Store::open_with_key_file(&raw.url(), &loser_file).await,
        Err(StoreError::KeyMissing { .. })
    ));
    let pnh = add_site(&winner, "PNH").await;
    let p = register(&winner, &pnh, siti(), date!(2025 - 02 - 02)).await;
    assert_eq!(
        winner
            .read_person(
                &operator(),
                &SiteFilter::All,
                &p.id,
                AuditAction::PersonRead
            )
            .await
            .unwrap()
            .details,
        siti()
    );
    winner.close().await;
}

/// A database from before the key check (no check value) adopts the key it is opened with
/// only if that key reads what it holds.
async fn check_upgraded_database_adopts_only_its_key(raw: RawDb) {
    let keys = random_keys();
    let store = Store::open(&raw.url(), keys.clone()).await.unwrap();
    // Only an audit event first (a site), then a person.
    add_site(&store, "BKK").await;
    store.close().await;
    let forget = || async {
        let mut c = raw.connect().await;
        sqlx::query("DELETE FROM key_check")
            .execute(&mut c)
            .await
            .unwrap();
        let _ = c.close().await;
    };
    forget().await;
    let msg = assert_wrong_key(Store::open(&raw.url(), random_keys()).await);
    assert!(msg.contains("cannot decrypt"), "{msg}");
    assert!(recorded_check(&raw).await.is_empty(), "nothing adopted");

    let store = Store::open(&raw.url(), keys.clone())
        .await
        .expect("its own key");
    let pnh = add_site(&store, "PNH").await;
    register(&store, &pnh, siti(), date!(2025 - 02 - 02)).await;
    store.close().await;
    forget().await;
    // A key that cannot open the person's sealed fields (nor the audit seals) is refused.
    assert_wrong_key(Store::open(&raw.url(), random_keys()).await);
    assert!(recorded_check(&raw).await.is_empty(), "nothing adopted");
    let store = Store::open(&raw.url(), keys.clone())
        .await
        .expect("its own key");
    assert_eq!(recorded_check(&raw).await, vec![keys.check_value()]);
    assert_eq!(intact(&store).await, 3);
    store.close().await;
}

async fn check_newer_schema_named(raw: RawDb) {
    Store::open(&raw.url(), random_keys())
        .await
        .unwrap()
        .close()
        .await;
    let checksum = match raw {
        RawDb::Sqlite { .. } => "X'00'",
        RawDb::Postgres { .. } => "'\\x00'::bytea",
    };
    let mut c = raw.connect().await;
    sqlx::query(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, {checksum}, 0)"
    ))
    .execute(&mut c)
    .await
    .unwrap();
    let _ = c.close().await;
    match Store::open(&raw.url(), random_keys()).await {
        Err(e @ StoreError::SchemaNewer { found: 9999, known }) => {
            assert!(known >= 7);
            assert!(e.to_string().contains("newer than this release"), "{e}");
        }
        Err(e) => panic!("expected SchemaNewer, got {e:?}"),
        Ok(_) => panic!("opened a database with a newer schema"),
    }
}

/// Everything a key protects: a person with identifiers, their history, an arrival note, a
/// screening and an import report. Returns the person's id.
async fn populate(store: &Store) -> String {
    let pnh = add_site(store, "PNH").await;
    let mut e = arrival(&pnh, date!(2025 - 02 - 02));
    e.notes = Some("arrived with an injured hand".into());
    let p = store
        .register_person(&operator(), &pnh, siti(), e)
        .await
        .unwrap();
    let mut d2 = siti();
    d2.phones.push("+855987654321".into());
    store
        .update_person(&worker(), &SiteFilter::All, &p.id, Some(1), d2)
        .await
        .unwrap();
    for n in 0..4 {
        register(
            store,
            &pnh,
            person(&format!("Orang {n}")),
            date!(2025 - 02 - 03),
        )
        .await;
    }
    store
        .start_screening(
            &worker(),
            &SiteFilter::All,
            &p.id,
            None,
            "v1",
            "{\"q1\":\"yes\"}",
            "{}",
        )
        .await
        .unwrap();
    let (batch, _) = store
        .start_import(&operator(), &pnh.id, "police", "list.csv", "abc")
        .await
        .unwrap();
    store
        .finish_import(&operator(), &batch.id, "{\"rows\":3}")
        .await
        .unwrap();
    // An imported row's key (as the import writes it: keyed with the key file).
    let row_key = store.keys().import_row_key("content digest");
    store
        .raw_execute(&format!(
            "INSERT INTO import_rows (site_id, row_key, batch_id, line, person_id) \
             VALUES ({}, {}, {}, 2, {})",
            lit(&pnh.id),
            lit(&row_key),
            lit(&batch.id),
            lit(&p.id)
        ))
        .await
        .unwrap();
    p.id
}

/// Reads back everything [`populate`] wrote, through `store`'s key.
async fn read_all(store: &Store, id: &str) {
    let all = SiteFilter::All;
    let mut expected = siti();
    expected.phones.push("+855987654321".into());
    let p = store
        .read_person(&operator(), &all, id, AuditAction::PersonRead)
        .await
        .expect("the person reads");
    assert_eq!(p.details, expected);
    assert_eq!(store.history(&all, id).await.unwrap().len(), 2);
    let notes: Vec<_> = store
        .encounters(&all, id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.notes)
        .collect();
    assert_eq!(notes, vec!["arrived with an injured hand".to_string()]);
    let screenings = store.screenings_of(&all, id).await.unwrap();
    assert_eq!(screenings[0].input, "{\"q1\":\"yes\"}");
    let reports: Vec<_> = store
        .import_batches(&all)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|b| b.report)
        .collect();
    assert_eq!(reports, vec!["{\"rows\":3}".to_string()]);
    // The blind indexes are the new key's: the look-ups still find the person.
    for (kind, v) in [
        (LookupKind::Nik, "3201014405960001"),
        (LookupKind::Passport, "C1234567"),
        (LookupKind::Phone, "+6281234567890"),
        (LookupKind::Phone, "+855987654321"),
    ] {
        assert_eq!(
            store.lookup(&all, kind, v).await.unwrap(),
            vec![id.to_string()],
            "{kind}"
        );
    }
    let everyone = store
        .person_summaries(&all)
        .await
        .expect("every person decrypts");
    assert!(everyone.damaged.is_empty(), "{:?}", everyone.damaged);
    assert_eq!(everyone.people.len(), 5);
}

async fn pnh_id(store: &Store) -> String {
    store.site_by_code("PNH").await.unwrap().expect("PNH").id
}

/// The number of audit events in the database.
async fn intact_count(raw: &RawDb) -> u64 {
    raw.strings("SELECT hash FROM audit_events").await.len() as u64
}

fn no_progress() -> impl Fn(&str, u64) + Sync {
    |_: &str, _: u64| {}
}

async fn check_key_rotation(store: Store, raw: RawDb) {
    let id = populate(&store).await;
    let old = store.keys().clone();
    let next = random_keys();
    let names = ("the old key", "the next key");
    if matches!(raw, RawDb::Postgres { .. }) {
        // A store is open on the database: the rotation does not start.
        match rotate(&raw.url(), "operator", (&old, &next), names, &no_progress()).await {
            Err(StoreError::InUse(_)) => {}
            other => panic!("rotation beside an open store: {other:?}"),
        }
        assert!(raw
            .strings("SELECT next_check FROM key_rotation")
            .await
            .is_empty());
    }
    // An unfinished import would resume by row keys the rotation changes: refused.
    let (running, _) = store
        .start_import(
            &operator(),
            &pnh_id(&store).await,
            "police",
            "next.csv",
            "def",
        )
        .await
        .unwrap();
    store.close().await;
    match rotate(&raw.url(), "operator", (&old, &next), names, &no_progress()).await {
        Err(e @ StoreError::InUse(_)) => assert!(e.to_string().contains(&running.id), "{e}"),
        other => panic!("rotation beside an unfinished import: {other:?}"),
    }
    let mut c = raw.connect().await;
    sqlx::query(&format!(
        "UPDATE import_batches SET status = 'complete' WHERE id = {}",
        lit(&running.id)
    ))
    .execute(&mut c)
    .await
    .unwrap();
    let _ = c.close().await;
    // The wrong current key is refused before anything changes.
    assert_wrong_key(
        rotate(
            &raw.url(),
            "operator",
            (&random_keys(), &next),
            names,
            &no_progress(),
        )
        .await,
    );
    let events_before = raw
        .strings("SELECT hash FROM audit_events ORDER BY seq")
        .await;
    match rotate(&raw.url(), "operator", (&old, &next), names, &no_progress())
        .await
        .unwrap()
    {
        Rotated::Done { fields, events } => {
            // 5 people × (name, aliases, phones) + Siti's birth date, NIK, passport; 6
            // history entries; 1 note; 1 screening; 1 report.
            assert_eq!(fields, 5 * 3 + 3 + 6 + 1 + 1 + 1);
            assert_eq!(events as usize, events_before.len());
            // The rotation itself is logged, sealed with the new key.
            assert_eq!(intact_count(&raw).await as usize, events_before.len() + 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(recorded_check(&raw).await, vec![next.check_value()]);
    assert!(raw
        .strings("SELECT next_check FROM key_rotation")
        .await
        .is_empty());
    // The import row is still there, no longer under the old key's row key (which would let
    // the old key confirm who was on the list).
    let row_keys = raw.strings("SELECT row_key FROM import_rows").await;
    assert_eq!(row_keys.len(), 1);
    assert_ne!(row_keys[0], old.import_row_key("content digest"));
    // The old key is refused now; the new one reads everything and the chain is intact
    // (the same events, re-sealed).
    assert_wrong_key(Store::open(&raw.url(), old.clone()).await);
    let rotated = Store::open(&raw.url(), next.clone())
        .await
        .expect("the new key opens");
    read_all(&rotated, &id).await;
    intact(&rotated).await;
    let events_after = raw
        .strings("SELECT hash FROM audit_events ORDER BY seq")
        .await;
    assert_eq!(events_after[..events_before.len()], events_before[..]);
    rotated.close().await;
    // Running it again changes nothing.
    assert_eq!(
        rotate(&raw.url(), "operator", (&old, &next), names, &no_progress())
            .await
            .unwrap(),
        Rotated::AlreadyDone
    );
}

async fn check_key_rotation_resumes(store: Store, raw: RawDb) {
    let id = populate(&store).await;
    store.close().await;
    let old = store.keys().clone();
    let next = random_keys();
    let names = ("the old key", "the next key");
    // The rotation stops (a crash) after its first batch.
    let url = raw.url();
    let (o, n) = (old.clone(), next.clone());
    let crashed = tokio::spawn(async move {
        let crash = |_: &str, _: u64| panic!("crash after the first batch");
        rotate(&url, "operator", (&o, &n), names, &crash).await
    })
    .await;
    assert!(crashed.is_err_and(|e| e.is_panic()));
    let parts = raw.strings("SELECT part FROM key_rotation").await;
    assert_eq!(
        parts,
        vec!["people".to_string()],
        "the first batch is recorded"
    );
    // Half the data is under each key: nothing may open the database meanwhile.
    for k in [&old, &next] {
        match Store::open(&raw.url(), (*k).clone()).await {
            Err(e @ StoreError::RotationUnderWay) => {
                assert!(e.to_string().contains("pulang key rotate"))
            }
            Err(e) => panic!("expected RotationUnderWay, got {e:?}"),
            Ok(_) => panic!("opened during a rotation"),
        }
    }
    // Continuing with another next key would lose what is re-encrypted: refused.
    assert_wrong_key(
        rotate(
            &raw.url(),
            "operator",
            (&old, &random_keys()),
            names,
            &no_progress(),
        )
        .await,
    );
    // Continued with the same keys, it finishes.
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |part: &str, _: u64| seen.lock().unwrap().push(part.to_string());
    // It does not begin again: the people are done; 6 history entries, a note, a screening
    // and a report are left.
    let events = intact_count(&raw).await;
    assert_eq!(
        rotate(&raw.url(), "operator", (&old, &next), names, &progress)
            .await
            .unwrap(),
        Rotated::Done { fields: 9, events }
    );
    assert_eq!(seen.lock().unwrap()[0], "person_history");
    let rotated = Store::open(&raw.url(), next.clone())
        .await
        .expect("the new key opens");
    read_all(&rotated, &id).await;
    intact(&rotated).await;
    rotated.close().await;
}

/// The rotation re-encrypts every column that holds ciphertext: a new sealed column missing
/// from `keys::SEALED` would be unreadable after a rotation.
async fn check_sealed_columns_all_rotated(_store: Store, raw: RawDb) {
    let sql = match raw {
        RawDb::Sqlite { .. } => "SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND p.type = 'BLOB' AND m.name <> '_sqlx_migrations'",
        RawDb::Postgres { .. } => "SELECT table_name || '.' || column_name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND data_type = 'bytea' AND table_name <> '_sqlx_migrations'",
    };
    let in_schema: BTreeSet<String> = raw.strings(sql).await.into_iter().collect();
    let rotated: BTreeSet<String> = SEALED
        .iter()
        .flat_map(|(t, cols)| cols.iter().map(move |c| format!("{t}.{c}")))
        .chain(FORGOTTEN.iter().map(|(t, c)| format!("{t}.{c}")))
        .collect();
    assert_eq!(in_schema, rotated);
}

// ---------------------------------------------------------------------------------------------
// Several processes on one database (servers behind a load balancer, the CLI beside a server)
// ---------------------------------------------------------------------------------------------

/// A second store on the same database with the same key file: another server process.
async fn second_process(store: &Store, raw: &RawDb) -> Store {
    Store::open(&raw.url(), store.keys().clone())
        .await
        .expect("a second store on the same database")
}

async fn check_two_processes_same_version(a: Store, raw: RawDb) {
    let b = second_process(&a, &raw).await;
    let site = add_site(&a, "PNH").await;
    let mut people = Vec::new();
    for i in 0..20 {
        people.push(
            register(
                &a,
                &site,
                person(&format!("Siti {i}")),
                date!(2026 - 01 - 10),
            )
            .await,
        );
    }
    // Each person is edited at once through both processes, from the same version.
    let edits = people.iter().map(|p| {
        let (a, b, id) = (a.clone(), b.clone(), p.id.clone());
        async move {
            let (op, all) = (operator(), SiteFilter::All);
            let by_a = a.update_person(&op, &all, &id, Some(1), person("Edited by A"));
            let by_b = b.update_person(&op, &all, &id, Some(1), person("Edited by B"));
            let (ra, rb) = tokio::join!(by_a, by_b);
            (id, ra, rb)
        }
    });
    for (id, ra, rb) in futures_util::future::join_all(edits).await {
        let won: Vec<&PersonRecord> = [&ra, &rb]
            .into_iter()
            .filter_map(|r| r.as_ref().ok())
            .collect();
        assert_eq!(
            won.len(),
            1,
            "{id}: exactly one edit of version 1 wins: {ra:?} / {rb:?}"
        );
        for r in [&ra, &rb] {
            match r {
                Ok(rec) => assert_eq!(rec.version, 2),
                Err(StoreError::VersionConflict {
                    expected: 1,
                    found: 2,
                }) => {}
                Err(e) => panic!("{id}: the losing edit is a version conflict, not {e}"),
            }
        }
        let now = a
            .read_person(&operator(), &SiteFilter::All, &id, AuditAction::PersonRead)
            .await
            .unwrap();
        assert_eq!(now.version, 2);
        assert_eq!(
            now.details.full_name, won[0].details.full_name,
            "the winner's edit is kept"
        );
        assert_eq!(
            a.history(&SiteFilter::All, &id).await.unwrap().len(),
            2,
            "created, then one edit"
        );
    }
    intact(&a).await;
    b.close().await;
}

async fn check_two_processes_decide_once(a: Store, raw: RawDb) {
    let b = second_process(&a, &raw).await;
    let site = add_site(&a, "PNH").await;
    let on = date!(2026 - 01 - 10);
    let mut pairs = Vec::new();
    for i in 0..10 {
        let l = register(&a, &site, person(&format!("Dewi {i}")), on).await;
        let r = register(&a, &site, person(&format!("Dewi {i}")), on).await;
        pairs.push(
            a.queue_review(&site.id, &l.id, &r.id, 0.9, "[]", ReviewOrigin::Intake)
                .await
                .unwrap()
                .expect("queued"),
        );
    }
    let reviews = a
        .reviews(&SiteFilter::All, &[ReviewStatus::Pending], 100)
        .await
        .unwrap();
    assert_eq!(reviews.len(), 10);
    // Each pair is confirmed through both processes at once: one merge, one "already decided".
    let decide = reviews.iter().map(|r| {
        let (a, b, id) = (a.clone(), b.clone(), r.id.clone());
        async move {
            let (op, all) = (operator(), SiteFilter::All);
            tokio::join!(
                a.decide_review(&op, &all, &id, ReviewStatus::Confirmed, None),
                b.decide_review(&op, &all, &id, ReviewStatus::Confirmed, None),
            )
        }
    });
    for (ra, rb) in futures_util::future::join_all(decide).await {
        let ok = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "one decision wins: {ra:?} / {rb:?}");
        for r in [&ra, &rb] {
            if let Err(e) = r {
                assert!(
                    matches!(e, StoreError::Conflict(_)),
                    "the other is a conflict: {e}"
                );
            }
        }
    }
    let merges: Vec<String> = raw.strings("SELECT id FROM merges").await;
    assert_eq!(merges.len(), 10, "each pair merged once");
    intact(&a).await;
    b.close().await;
}

/// The number at the end of a case number (`PNH-2026-000012` → 12).
fn case_seq(case_number: &str) -> i64 {
    case_number
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a case number")
}

async fn check_two_processes_write_together(a: Store, raw: RawDb) {
    use pulang_store::people::Intake;
    let b = second_process(&a, &raw).await;
    let pnh = add_site(&a, "PNH").await;
    let bkk = add_site(&a, "BKK").await;
    let on = date!(2026 - 01 - 10);
    const EACH: usize = 100;
    // Desk registrations with tickets at two sites, each followed by an audited read, through
    // both processes at once: batches that lock counters and the audit head in every order.
    let mut tasks = Vec::new();
    for (p, store) in [&a, &b].into_iter().enumerate() {
        for i in 0..EACH {
            let (store, site) = (
                store.clone(),
                if i % 3 == 0 { bkk.clone() } else { pnh.clone() },
            );
            tasks.push(tokio::spawn(async move {
                let intake = Intake {
                    ticket: true,
                    ..Intake::default()
                };
                let reg = store
                    .register_person_with(
                        &operator(),
                        &site,
                        person(&format!("P{p} {i}")),
                        arrival(&site, on),
                        intake,
                    )
                    .await?;
                store
                    .read_person(
                        &operator(),
                        &SiteFilter::All,
                        &reg.record.id,
                        AuditAction::PersonRead,
                    )
                    .await?;
                Ok::<_, StoreError>((site.code.clone(), reg))
            }));
        }
    }
    let mut by_site: std::collections::BTreeMap<String, (Vec<i64>, Vec<i64>)> = Default::default();
    let mut errors = Vec::new();
    for t in tasks {
        match t.await.expect("task") {
            Ok((code, reg)) => {
                let e = by_site.entry(code).or_default();
                e.0.push(case_seq(&reg.record.case_number));
                e.1.push(reg.ticket.expect("a ticket"));
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    assert!(
        errors.is_empty(),
        "{} of {} writes failed: {:?}",
        errors.len(),
        2 * EACH,
        &errors[..errors.len().min(3)]
    );
    for (code, (mut cases, mut tickets)) in by_site {
        cases.sort();
        tickets.sort();
        let n = cases.len() as i64;
        assert_eq!(
            cases,
            (1..=n).collect::<Vec<_>>(),
            "{code}: case numbers unique, no gaps"
        );
        assert_eq!(
            tickets,
            (1..=n).collect::<Vec<_>>(),
            "{code}: tickets unique, no gaps"
        );
    }
    intact(&a).await;
    b.close().await;
}

async fn check_change_feed(a: Store, raw: RawDb) {
    use pulang_domain::ChangeKind;
    let b = second_process(&a, &raw).await;
    let start = b.last_change().await.unwrap();
    let pnh = add_site(&a, "PNH").await;
    let on = date!(2026 - 01 - 10);
    let siti = register(&a, &pnh, person("Siti Rahayu"), on).await;
    let dewi = register(&b, &pnh, person("Dewi Rahayu"), on).await;
    a.update_person(
        &operator(),
        &SiteFilter::All,
        &siti.id,
        Some(1),
        person("Siti Aminah"),
    )
    .await
    .unwrap();
    let merge = b
        .merge_people(&operator(), &SiteFilter::All, &siti.id, &dewi.id)
        .await
        .unwrap();
    a.unmerge(&operator(), &SiteFilter::All, &merge.id)
        .await
        .unwrap();
    // A failed write records nothing.
    assert!(a
        .update_person(
            &operator(),
            &SiteFilter::All,
            &siti.id,
            Some(1),
            person("Stale")
        )
        .await
        .is_err());

    let feed = b.changes_after(start, 100).await.unwrap();
    let seen: Vec<(ChangeKind, &str)> = feed
        .iter()
        .map(|c| (c.kind, c.record_id.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (ChangeKind::Site, pnh.id.as_str()),
            (ChangeKind::Person, siti.id.as_str()),
            (ChangeKind::Person, dewi.id.as_str()),
            (ChangeKind::Person, siti.id.as_str()),
            (ChangeKind::Person, dewi.id.as_str()),
            (ChangeKind::Person, dewi.id.as_str()),
        ],
        "every change, from both processes, in commit order"
    );
    let seqs: Vec<i64> = feed.iter().map(|c| c.seq).collect();
    assert_eq!(
        seqs,
        (start + 1..=start + 6).collect::<Vec<_>>(),
        "contiguous"
    );
    assert_eq!(a.last_change().await.unwrap(), start + 6);
    assert_eq!(
        b.changes_after(start + 4, 1).await.unwrap()[0].seq,
        start + 5
    );

    // What a follower reads back for the changed ids: the current state.
    let now = b
        .person_summaries_of(
            &SiteFilter::All,
            &[siti.id.clone(), dewi.id.clone(), "gone".into()],
        )
        .await
        .unwrap()
        .people;
    let names: BTreeSet<&str> = now.iter().map(|p| p.details.full_name.as_str()).collect();
    assert_eq!(names, BTreeSet::from(["Siti Aminah", "Dewi Rahayu"]));
    assert!(now.iter().all(|p| p.merged_into.is_none()));
    assert!(b
        .person_summaries_of(&only(&[]), std::slice::from_ref(&siti.id))
        .await
        .unwrap()
        .people
        .is_empty());

    // Pruning keeps the last change, so the sequence goes on from it.
    a.prune_changes(i64::MAX).await.unwrap();
    assert_eq!(b.changes_after(0, 100).await.unwrap().len(), 1);
    register(&a, &pnh, person("Ayu"), on).await;
    assert_eq!(b.last_change().await.unwrap(), start + 7);
    b.close().await;
}
