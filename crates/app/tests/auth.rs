//! Sign-in under attack: attempts are counted before passwords are checked, so a crowd of
//! simultaneous guesses gets no more tries than a patient guesser; and unknown, disabled and
//! real accounts cost the same check, so timing does not tell which exist.
#![allow(clippy::disallowed_methods)]

mod common;

use std::time::{Duration, Instant};

use common::{op, open, run, Backend, TestDb};
use pulang_app::domain::Role;
use pulang_app::{App, AppError};

const PASSWORD: &str = "correct-horse-battery";

/// Guesses allowed per account in the window (see `App::open`).
const PER_ACCOUNT: usize = 5;

/// `n` wrong passwords for siti at once, spread over `servers`, each from its own address (so
/// that only the account's limit applies): how many were checked and how many throttled.
async fn guess_at_once(servers: &[App], n: usize) -> (usize, usize) {
    let guesses: Vec<_> = (0..n)
        .map(|i| {
            let app = servers[i % servers.len()].clone();
            tokio::spawn(async move {
                app.login("siti", "wrong-password-123", &format!("10.0.0.{i}"))
                    .await
            })
        })
        .collect();
    let (mut refused, mut throttled) = (0, 0);
    for g in guesses {
        match g.await.expect("task") {
            Err(AppError::BadCredentials) => refused += 1,
            Err(AppError::Throttled { .. }) => throttled += 1,
            other => panic!("unexpected: {:?}", other.err()),
        }
    }
    (refused, throttled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_guesses_get_no_more_tries() {
    run(Backend::Sqlite, |app: App| async move {
        app.add_user(&op(), "siti", PASSWORD, Role::Caseworker, Some("PNH"))
            .await
            .expect("user");
        let (refused, throttled) = guess_at_once(std::slice::from_ref(&app), 40).await;
        assert_eq!(
            refused, PER_ACCOUNT,
            "checked passwords ({throttled} throttled)"
        );
        assert_eq!(throttled, 40 - PER_ACCOUNT);
        // The real password is refused too until the window passes: the account is locked.
        assert!(matches!(
            app.login("siti", PASSWORD, "10.9.9.9").await,
            Err(AppError::Throttled { .. })
        ));
    })
    .await;
}

/// The median time of a failed sign-in for each username, interleaved so that any load on
/// the machine falls on all of them alike.
async fn median_times(app: &App, names: &[&str], rounds: usize) -> Vec<Duration> {
    let mut times = vec![Vec::new(); names.len()];
    for round in 0..rounds {
        for (i, name) in names.iter().enumerate() {
            let started = Instant::now();
            let r = app
                .login(name, "wrong-password-123", &format!("10.1.{round}.{i}"))
                .await;
            times[i].push(started.elapsed());
            assert!(
                matches!(r, Err(AppError::BadCredentials)),
                "{name}: {:?}",
                r.err()
            );
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_disabled_and_real_accounts_cost_the_same() {
    run(Backend::Sqlite, |app: App| async move {
        app.add_user(&op(), "budi", PASSWORD, Role::Caseworker, Some("PNH"))
            .await
            .expect("user");
        app.add_user(&op(), "eko", PASSWORD, Role::Caseworker, Some("PNH"))
            .await
            .expect("user");
        app.set_disabled(&op(), "eko", true).await.expect("disable");
        let t = median_times(&app, &["budi", "eko", "nobody-here"], PER_ACCOUNT).await;
        let (real, disabled, unknown) = (t[0], t[1], t[2]);
        // Before, a disabled account answered about 13 times faster than a real one.
        for (what, d) in [("disabled", disabled), ("unknown", unknown)] {
            assert!(
                d * 2 > real && d < real * 2,
                "{what} {d:?} against real {real:?}: timing tells accounts apart"
            );
        }
    })
    .await;
}

/// Two server processes on one database share the counts: a crowd of guesses spread over both
/// gets no more tries than against one, and the address limit holds for every account.
async fn guesses_spread_over_two_servers_share_one_count(backend: Backend) {
    let Some(db) = TestDb::new(backend).await else {
        return;
    };
    let (a, b) = (open(&db).await, open(&db).await);
    a.add_site(&op(), "PNH", "KBRI Phnom Penh", "Asia/Phnom_Penh")
        .await
        .expect("site");
    a.add_user(&op(), "siti", PASSWORD, Role::Caseworker, Some("PNH"))
        .await
        .expect("user");
    let (refused, throttled) = guess_at_once(&[a.clone(), b.clone()], 40).await;
    assert_eq!(refused, PER_ACCOUNT, "checked ({throttled} throttled)");
    // Locked on both, whichever saw the guesses.
    for app in [&a, &b] {
        assert!(matches!(
            app.login("siti", PASSWORD, "10.9.9.9").await,
            Err(AppError::Throttled { .. })
        ));
    }
    // One address, many accounts: 30 checks in all, over both servers.
    let (mut checked, mut refused_addr) = (0, 0);
    for i in 0..34 {
        let app = if i % 2 == 0 { &a } else { &b };
        match app
            .login(&format!("nobody{i}"), "x-wrong-123", "192.0.2.7")
            .await
        {
            Err(AppError::BadCredentials) => checked += 1,
            Err(AppError::Throttled { .. }) => refused_addr += 1,
            other => panic!("unexpected: {:?}", other.err()),
        }
    }
    assert_eq!((checked, refused_addr), (30, 4));
    // The used-up address is refused for a real account with the right password too.
    b.add_user(&op(), "budi", PASSWORD, Role::Caseworker, Some("PNH"))
        .await
        .expect("user");
    assert!(matches!(
        a.login("budi", PASSWORD, "192.0.2.7").await,
        Err(AppError::Throttled { .. })
    ));
    a.close().await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guesses_spread_over_two_servers_share_one_count_sqlite() {
    guesses_spread_over_two_servers_share_one_count(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guesses_spread_over_two_servers_share_one_count_postgres() {
    guesses_spread_over_two_servers_share_one_count(Backend::Postgres).await;
}
