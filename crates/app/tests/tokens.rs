//! API tokens: a label and a lifetime at creation; listed by their owner (never the secret),
//! and by whoever manages the owner; revoked one by one; refused once expired or revoked; the
//! last use recorded at most once a minute; a token cannot make tokens. Every action audited.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{op, run};
use pulang_app::domain::Role;
use pulang_app::tokens::{DEFAULT_DAYS, MAX_DAYS};
use pulang_app::{AccessScope, App, AppError};

const PASSWORD: &str = "correct-horse-battery";

pulang_testkit::both_backends! {
    run = run;
    check_token_lifecycle => sqlite_token_lifecycle, pg_token_lifecycle;
}

async fn signed_in(app: &App, name: &str, role: Role, site: &str) -> AccessScope {
    app.add_user(&op(), name, PASSWORD, role, Some(site))
        .await
        .expect("user");
    let s = app.login(name, PASSWORD, "127.0.0.1").await.expect("login");
    app.session_scope(&s.token).await.expect("session").0
}

fn field_of(r: Result<impl std::fmt::Debug, AppError>) -> String {
    match r {
        Err(AppError::Invalid(v)) => v.errors[0].field.clone(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn check_token_lifecycle(app: App) {
    let siti = signed_in(&app, "siti", Role::Caseworker, "PNH").await;
    let budi = signed_in(&app, "budi", Role::Registrar, "BKK").await;
    let admin_pnh = signed_in(&app, "adm_pnh", Role::Admin, "PNH").await;

    // Created with a label and the default lifetime; usable at once.
    let before = now_ms();
    let made = app
        .create_token(&siti, "siti", " laptop script ", None)
        .await
        .expect("token");
    assert_eq!(made.label, "laptop script");
    let day = 24 * 3600 * 1000;
    let expected = before + i64::from(DEFAULT_DAYS) * day;
    assert!((expected..expected + 60_000).contains(&made.expires_at));
    let by_token = app.token_scope(&made.secret).await.expect("token works");
    assert_eq!(by_token.username(), "siti");

    // Listed without the secret; the first use recorded, the next within a minute not.
    let mine = app.my_tokens(&siti).await.expect("list");
    assert_eq!(mine.len(), 1);
    let first_use = mine[0].last_used_at.expect("first use recorded");
    assert!(!format!("{mine:?}").contains(&made.secret));
    app.token_scope(&made.secret).await.expect("again");
    assert_eq!(
        app.my_tokens(&siti).await.unwrap()[0].last_used_at,
        Some(first_use),
        "a second use within a minute writes nothing"
    );
    app.raw_execute_for_tests(&format!(
        "UPDATE api_tokens SET last_used_at = 1 WHERE id = '{}'",
        made.id
    ))
    .await
    .unwrap();
    app.token_scope(&made.secret).await.expect("later");
    assert!(app.my_tokens(&siti).await.unwrap()[0].last_used_at >= Some(first_use));

    // Bad values and a token making a token are refused.
    assert_eq!(
        field_of(app.create_token(&siti, "siti", " ", None).await),
        "label"
    );
    for days in [0, MAX_DAYS + 1] {
        assert_eq!(
            field_of(app.create_token(&siti, "siti", "x", Some(days)).await),
            "days"
        );
    }
    assert!(matches!(
        app.create_token(&by_token, "siti", "from a token", None)
            .await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        app.create_token(&siti, "budi", "for another", None).await,
        Err(AppError::Forbidden)
    ));

    // Someone else's token reads as not found, unless one manages its owner.
    assert!(app.my_tokens(&budi).await.unwrap().is_empty());
    assert!(matches!(
        app.revoke_token(&budi, &made.id).await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        app.all_tokens(&siti).await,
        Err(AppError::Forbidden)
    ));
    let budis = app
        .create_token(&budi, "budi", "bkk desk", Some(MAX_DAYS))
        .await
        .unwrap();
    let seen: Vec<String> = app
        .all_tokens(&admin_pnh)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert!(
        seen.contains(&made.id) && !seen.contains(&budis.id),
        "{seen:?}"
    );
    assert!(matches!(
        app.revoke_token(&admin_pnh, &budis.id).await,
        Err(AppError::NotFound)
    ));
    let revoked = app
        .revoke_token(&admin_pnh, &made.id)
        .await
        .expect("revoke");
    assert_eq!(revoked.username, "siti");
    assert!(matches!(
        app.token_scope(&made.secret).await,
        Err(AppError::Unauthenticated)
    ));
    assert!(
        app.token_scope(&budis.secret).await.is_ok(),
        "the others stay"
    );

    // An expired token is refused and listed as expired.
    let old = app
        .create_token(&siti, "siti", "old", Some(1))
        .await
        .unwrap();
    app.raw_execute_for_tests(&format!(
        "UPDATE api_tokens SET expires_at = 1 WHERE id = '{}'",
        old.id
    ))
    .await
    .unwrap();
    assert!(matches!(
        app.token_scope(&old.secret).await,
        Err(AppError::Unauthenticated)
    ));
    assert!(app.my_tokens(&siti).await.unwrap()[0].expired);

    // Every action is in the audit log.
    let actions: Vec<String> = app
        .audit_events(&op(), None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in ["token.create", "token.list", "token.revoke"] {
        assert!(actions.iter().any(|x| x == a), "no {a} in {actions:?}");
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
