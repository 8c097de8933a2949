//! The arrival desk through the public API, on SQLite and on PostgreSQL: arrivals registered
//! with triage flags and a group, queue tickets numbered per site and per day, possible matches
//! before anyone is registered twice, a new arrival of someone already registered, milestones,
//! and the re-trafficking flag when a person who went home arrives again.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{audit_intact, op, people};
use pulang_app::desk::{DeskOutcome, DeskSubmission};
use pulang_app::domain::{
    AuditAction, Milestone, PersonFlag, PersonForm, ReviewOrigin, ReviewStatus,
};
use pulang_app::{App, AppError};

pulang_testkit::both_backends! {
    run = common::run;
    check_arrivals_with_flags_and_group => arrivals_with_flags_and_group_sqlite, arrivals_with_flags_and_group_postgres;
    check_tickets_per_site_and_day => tickets_per_site_and_day_sqlite, tickets_per_site_and_day_postgres;
    check_same_person_arrives_again => same_person_arrives_again_sqlite, same_person_arrives_again_postgres;
    check_milestones_and_retrafficking => milestones_and_retrafficking_sqlite, milestones_and_retrafficking_postgres;
}

const DAY1: &str = "2025-03-10";
const DAY2: &str = "2025-03-11";

fn person(name: &str, sex: &str, birth: &str) -> PersonForm {
    PersonForm {
        full_name: name.into(),
        sex: Some(sex.into()),
        birth_date: Some(birth.into()),
        ..Default::default()
    }
}

fn arrival(site: &str, day: &str, form: PersonForm) -> DeskSubmission {
    DeskSubmission {
        person: form,
        site: Some(site.into()),
        arrived_on: Some(day.into()),
        confirm_warnings: true,
        ..Default::default()
    }
}

/// A new person: (id, ticket).
async fn registered(app: &App, sub: DeskSubmission) -> (String, Option<i64>) {
    let name = sub.person.full_name.clone();
    match app.desk_register(&op(), sub).await {
        Ok(DeskOutcome::Registered {
            person_id, ticket, ..
        }) => (person_id, ticket),
        other => panic!("{name}: expected a registration, got {other:?}"),
    }
}

/// A new arrival of someone registered: (ticket, re-trafficking flagged now).
async fn arrived(app: &App, id: &str, day: &str, flags: &[&str]) -> (Option<i64>, bool) {
    let sub = DeskSubmission {
        same_as: Some(id.into()),
        flags: flags.iter().map(|f| f.to_string()).collect(),
        ..arrival("PNH", day, PersonForm::default())
    };
    match app.desk_register(&op(), sub).await {
        Ok(DeskOutcome::Arrived {
            person_id,
            ticket,
            retrafficking,
            ..
        }) => {
            assert_eq!(person_id, id);
            (ticket, retrafficking)
        }
        other => panic!("expected an arrival, got {other:?}"),
    }
}

async fn flags(app: &App, id: &str) -> Vec<PersonFlag> {
    let mut f: Vec<PersonFlag> = app
        .flags_of(&op(), id)
        .await
        .expect("flags")
        .into_iter()
        .map(|f| f.flag)
        .collect();
    f.sort();
    f
}

fn is_invalid(r: Result<impl std::fmt::Debug, AppError>, field: &str) {
    match r {
        Err(AppError::Invalid(v)) => assert!(
            v.errors.iter().any(|e| e.field == field),
            "expected an issue with {field}: {v:?}"
        ),
        other => panic!("expected invalid {field}, got {other:?}"),
    }
}

async fn check_arrivals_with_flags_and_group(app: App) {
    let group = app
        .create_group(
            &op(),
            Some("PNH"),
            "Police hand-over Sihanoukville",
            "police_handover",
            Some(DAY1),
        )
        .await
        .expect("group");
    let other = app
        .create_group(
            &op(),
            Some("BKK"),
            "Rescue Mae Sot",
            "rescue_operation",
            Some(DAY1),
        )
        .await
        .expect("group at BKK");
    let in_group = |form: PersonForm, flags: &[&str]| DeskSubmission {
        person: form,
        site: Some("PNH".into()),
        group_id: Some(group.id.clone()),
        flags: flags.iter().map(|f| f.to_string()).collect(),
        confirm_warnings: true,
        ..Default::default()
    };
    let (dewi, t1) = registered(
        &app,
        in_group(
            person("Dewi Lestari", "F", "1994-02-03"),
            &["pregnancy", "medical", "pregnancy"],
        ),
    )
    .await;
    let (rizki, t2) = registered(
        &app,
        in_group(person("Rizki Pratama", "M", "1990-06-07"), &[]),
    )
    .await;
    // Sixteen years old: flagged as a child whatever the registrar ticked.
    let (agus, t3) = registered(&app, in_group(person("Agus Salim", "M", "2009-01-01"), &[])).await;
    assert_eq!((t1, t2, t3), (Some(1), Some(2), Some(3)));
    assert_eq!(
        flags(&app, &dewi).await,
        [PersonFlag::Medical, PersonFlag::Pregnancy]
    );
    assert!(flags(&app, &rizki).await.is_empty());
    assert_eq!(flags(&app, &agus).await, [PersonFlag::Child]);

    // The arrival takes the group's day and route.
    let page = app.person(&op(), &dewi, false).await.expect("person");
    assert_eq!(page.encounters.len(), 1);
    assert_eq!(
        (
            page.encounters[0].site.as_str(),
            page.encounters[0].arrived_on.as_str(),
            page.encounters[0].arrival_route.as_str()
        ),
        ("PNH", DAY1, "police_handover")
    );

    let g = app.group_page(&op(), &group.id).await.expect("group page");
    assert_eq!(g.summary.site, "PNH");
    assert_eq!(
        (g.summary.progress.registered, g.summary.progress.flagged),
        (3, 2)
    );
    let tickets: Vec<(String, Option<i64>)> = g
        .members
        .iter()
        .map(|m| (m.full_name.clone(), m.member.ticket))
        .collect();
    assert_eq!(
        tickets,
        [
            ("Dewi Lestari".to_string(), Some(1)),
            ("Rizki Pratama".to_string(), Some(2)),
            ("Agus Salim".to_string(), Some(3)),
        ]
    );
    assert_eq!(
        g.members[0].member.flags,
        [PersonFlag::Medical, PersonFlag::Pregnancy]
    );
    let groups = app.groups(&op()).await.expect("groups");
    assert_eq!(groups.len(), 2);
    let pnh = groups
        .iter()
        .find(|s| s.group.id == group.id)
        .expect("PNH group");
    assert_eq!(pnh.progress.registered, 3);
    let bkk = groups
        .iter()
        .find(|s| s.group.id == other.id)
        .expect("BKK group");
    assert_eq!((bkk.site.as_str(), bkk.progress.registered), ("BKK", 0));

    let slip = app.slip(&op(), &dewi).await.expect("slip");
    assert_eq!(
        (slip.ticket, slip.day.as_str(), slip.site.as_str()),
        (Some(1), DAY1, "PNH")
    );
    assert_eq!(slip.full_name, "Dewi Lestari");

    // Triage flags replaced later; unknown flags and another site's group refused.
    app.set_triage_flags(&op(), &rizki, &["interpreter".into(), "disability".into()])
        .await
        .expect("set flags");
    assert_eq!(
        flags(&app, &rizki).await,
        [PersonFlag::Disability, PersonFlag::Interpreter]
    );
    let before = people(&app).await;
    is_invalid(
        app.desk_register(
            &op(),
            in_group(person("Wati Susanti", "F", "1992-01-01"), &["vip"]),
        )
        .await,
        "flags",
    );
    is_invalid(
        app.desk_register(
            &op(),
            DeskSubmission {
                group_id: Some(other.id.clone()),
                ..in_group(person("Wati Susanti", "F", "1992-01-01"), &[])
            },
        )
        .await,
        "group",
    );
    is_invalid(
        app.create_group(&op(), Some("PNH"), "X", "convoy", None)
            .await,
        "kind",
    );
    assert_eq!(people(&app).await, before, "nothing registered on refusal");
    audit_intact(&app).await;
}

async fn check_tickets_per_site_and_day(app: App) {
    let new = |site: &str, day: &str, name: &str| DeskSubmission {
        confirmed_new: true,
        ..arrival(site, day, person(name, "M", "1980-01-01"))
    };
    let (_, a) = registered(&app, new("PNH", DAY1, "Bambang Wijaya")).await;
    let (_, b) = registered(&app, new("PNH", DAY1, "Hadi Kusuma")).await;
    let (_, c) = registered(&app, new("PNH", DAY2, "Imam Syafii")).await;
    let (_, d) = registered(&app, new("BKK", DAY1, "Joni Iskandar")).await;
    assert_eq!(
        (a, b, c, d),
        (Some(1), Some(2), Some(1), Some(1)),
        "a queue per site and per day"
    );

    // Arrivals registered at once, at two desks: every ticket once.
    let names = [
        "Kurnia Adi",
        "Lukman Hakim",
        "Made Suarta",
        "Nyoman Arta",
        "Oka Wirawan",
        "Putu Gede",
    ];
    let tasks: Vec<_> = names
        .iter()
        .map(|name| {
            let app = app.clone();
            let sub = new("PNH", DAY1, name);
            tokio::spawn(async move { registered(&app, sub).await.1 })
        })
        .collect();
    let mut tickets = Vec::new();
    for t in tasks {
        tickets.push(t.await.expect("registration task").expect("a ticket"));
    }
    tickets.sort();
    assert_eq!(tickets, [3, 4, 5, 6, 7, 8]);
    let (_, next) = registered(&app, new("BKK", DAY1, "Rudi Hartono")).await;
    assert_eq!(next, Some(2));
    assert_eq!(people(&app).await, 11);
    audit_intact(&app).await;
}

async fn check_same_person_arrives_again(app: App) {
    let form = PersonForm {
        phones: vec!["+6281234567890".into()],
        ..person("Siti Rahayu", "F", "1998-01-12")
    };
    let (siti, t) = registered(&app, arrival("PNH", DAY1, form)).await;
    assert_eq!(t, Some(1));

    // The same woman at the desk again, written differently: possible matches, nothing written.
    let again = PersonForm {
        phones: vec!["0812-3456-7890".into()],
        ..person("SITI RAHAYU", "F", "1998-01-12")
    };
    let out = app
        .desk_register(&op(), arrival("PNH", DAY2, again.clone()))
        .await
        .expect("desk");
    let DeskOutcome::PossibleMatches { candidates } = out else {
        panic!("expected possible matches, got {out:?}");
    };
    assert_eq!(candidates[0].person.id, siti);
    assert!(candidates[0].probability > 0.9, "{:?}", candidates[0]);
    assert_eq!(people(&app).await, 1, "nothing registered yet");

    // The registrar says it is her: a new arrival on her record, with a ticket for that day.
    let (ticket, flagged) = arrived(&app, &siti, DAY2, &["interpreter"]).await;
    assert_eq!((ticket, flagged), (Some(1), false));
    assert_eq!(people(&app).await, 1);
    assert_eq!(flags(&app, &siti).await, [PersonFlag::Interpreter]);
    let page = app.person(&op(), &siti, false).await.expect("person");
    let days: Vec<&str> = page
        .encounters
        .iter()
        .map(|e| e.arrived_on.as_str())
        .collect();
    assert_eq!(days.len(), 2);
    assert!(days.contains(&DAY1) && days.contains(&DAY2), "{days:?}");
    assert_eq!(app.slip(&op(), &siti).await.expect("slip").day, DAY2);

    // An unknown record cannot be "the same".
    assert!(matches!(
        app.desk_register(
            &op(),
            DeskSubmission {
                same_as: Some("no-such-person".into()),
                ..arrival("PNH", DAY2, PersonForm::default())
            },
        )
        .await,
        Err(AppError::NotFound)
    ));

    // Registered as new although she may be the same: a caseworker decides later.
    let out = app
        .desk_register(
            &op(),
            DeskSubmission {
                confirmed_new: true,
                ..arrival("PNH", DAY2, again)
            },
        )
        .await
        .expect("desk");
    let DeskOutcome::Registered {
        person_id,
        ticket,
        queued_reviews,
        ..
    } = out
    else {
        panic!("expected a registration, got {out:?}");
    };
    assert_ne!(person_id, siti);
    assert_eq!(ticket, Some(2));
    assert!(queued_reviews >= 1);
    let reviews = app
        .reviews(&op(), &[ReviewStatus::Pending], 10)
        .await
        .expect("reviews");
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].origin, ReviewOrigin::Intake);
    let mut pair = [
        reviews[0].left.person.id.clone(),
        reviews[0].right.person.id.clone(),
    ];
    pair.sort();
    let mut want = [siti, person_id];
    want.sort();
    assert_eq!(pair, want);
    audit_intact(&app).await;
}

async fn check_milestones_and_retrafficking(app: App) {
    let group = app
        .create_group(&op(), Some("PNH"), "Walk-ins", "walk_in", Some(DAY1))
        .await
        .expect("group");
    let (rizki, _) = registered(
        &app,
        DeskSubmission {
            group_id: Some(group.id.clone()),
            ..arrival("PNH", DAY1, person("Rizki Pratama", "M", "1990-06-07"))
        },
    )
    .await;
    for (m, on) in [
        ("sheltered", "2025-03-11"),
        ("documented", "2025-03-15"),
        ("returned", "2025-03-20"),
    ] {
        app.set_milestone(&op(), &rizki, m, Some(on), false)
            .await
            .unwrap_or_else(|e| panic!("{m}: {e}"));
    }
    let mut ms: Vec<(Milestone, String)> = app
        .milestones_of(&op(), &rizki)
        .await
        .expect("milestones")
        .into_iter()
        .map(|m| (m.milestone, m.on_date.to_string()))
        .collect();
    ms.sort();
    assert_eq!(
        ms,
        [
            (Milestone::Sheltered, "2025-03-11".to_string()),
            (Milestone::Documented, "2025-03-15".to_string()),
            (Milestone::Returned, "2025-03-20".to_string()),
        ]
    );
    let p = app
        .group_page(&op(), &group.id)
        .await
        .expect("group")
        .summary
        .progress;
    assert_eq!(p.registered, 1);
    for m in Milestone::ALL {
        assert_eq!(p.reached.get(m), Some(&1), "{m}");
    }
    is_invalid(
        app.set_milestone(&op(), &rizki, "deported", None, false)
            .await,
        "milestone",
    );
    is_invalid(
        app.set_milestone(&op(), &rizki, "sheltered", Some("2999-01-01"), false)
            .await,
        "on",
    );
    app.set_milestone(&op(), &rizki, "documented", None, true)
        .await
        .expect("clear");
    assert_eq!(app.milestones_of(&op(), &rizki).await.unwrap().len(), 2);

    // An arrival dated before he went home is no new journey.
    let (_, flagged) = arrived(&app, &rizki, "2025-03-18", &[]).await;
    assert!(!flagged);
    assert!(flags(&app, &rizki).await.is_empty());
    // After: possible re-trafficking, flagged once.
    let (ticket, flagged) = arrived(&app, &rizki, "2025-06-02", &["medical"]).await;
    assert_eq!((ticket, flagged), (Some(1), true));
    assert_eq!(
        flags(&app, &rizki).await,
        [PersonFlag::Medical, PersonFlag::Retrafficking]
    );
    let (_, flagged) = arrived(&app, &rizki, "2025-06-03", &[]).await;
    assert!(!flagged, "flagged once");
    assert_eq!(
        app.person(&op(), &rizki, false)
            .await
            .unwrap()
            .encounters
            .len(),
        4
    );
    let events = app
        .audit_events(&op(), Some(&rizki), 1000)
        .await
        .expect("audit");
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == AuditAction::PersonFlagRetrafficking.to_string())
            .count(),
        1
    );
    audit_intact(&app).await;
}
