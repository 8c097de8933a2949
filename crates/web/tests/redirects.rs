//! Redirects stay on this site: `next` after switching language and `back` after recording a
//! milestone take only a path on this site; anything else (a tab or newline that browsers drop,
//! a backslash they read as `/`, a scheme, a host) goes to the default, never off-site and never
//! a 500.
#![allow(clippy::disallowed_methods)]

mod common;

use common::*;

const HOSTILE: [&str; 6] = [
    "/%09/evil.example/x",
    "/%0A/evil.example",
    "//evil.example",
    "/%5Cevil.example",
    "https://evil.example",
    "/%00",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_switch_redirects_only_on_this_site() {
    let env = setup().await;
    for next in HOSTILE {
        let res = env
            .send(empty("GET", &format!("/lang/en?next={next}")))
            .await;
        assert!(res.status.is_redirection(), "{next}: {}", res.status);
        assert_eq!(res.header("location"), Some("/"), "{next}");
    }
    let res = env
        .send(empty("GET", "/lang/en?next=/people%3Fq%3Dsiti"))
        .await;
    assert_eq!(res.header("location"), Some("/people?q=siti"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn milestone_back_redirects_only_on_this_site() {
    let env = setup().await;
    let cw = env.creds(Who::Caseworker);
    let uri = format!("/people/{}/milestones", env.own_id);
    let own = format!("/people/{}", env.own_id);
    let group = format!("/groups/{}", env.own_group);
    let cases = [
        ("/\t/evil.example/x", own.as_str()),
        ("/\n/evil", own.as_str()),
        ("//evil.example", own.as_str()),
        ("/\\evil", own.as_str()),
        ("/\0", own.as_str()),
        (group.as_str(), group.as_str()),
    ];
    for (back, lands) in cases {
        let fields = [
            ("csrf", cw.csrf.as_str()),
            ("milestone", "sheltered"),
            ("back", back),
        ];
        let res = env.send(session_form(&uri, &cw.session, &fields)).await;
        assert!(res.status.is_redirection(), "{back:?}: {}", res.status);
        assert_eq!(res.header("location"), Some(lands), "{back:?}");
    }
}
