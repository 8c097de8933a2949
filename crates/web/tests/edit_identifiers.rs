//! The edit form shows NIK and passport masked, like the person's page: the inputs start empty
//! and an empty input keeps the stored value; a typed value replaces it; removing it takes the
//! box that says so. Seeing them in full is the person page's audited reveal.
mod common;

use common::*;

/// The identifiers as stored (read back by the operator, revealed).
async fn stored(env: &Env) -> (Option<String>, Option<String>) {
    let p = env
        .app
        .person(&op(), &env.own_id, true)
        .await
        .expect("person")
        .person;
    (p.nik, p.passport_no)
}

/// Submits the edit form as the page sends it, with `changes` over the page's own values.
async fn submit(env: &Env, changes: &[(&str, &str)]) -> Resp {
    let c = env.creds(Who::Registrar);
    let version = env.version_of(&env.own_id).await.to_string();
    let mut fields: Vec<(&str, &str)> = vec![("csrf", c.csrf.as_str()), ("version", &version)];
    for (k, v) in own_person_fields() {
        let v = match k {
            // what the form holds until the registrar types there
            "nik" | "passport_no" => "",
            _ => v,
        };
        fields.push((k, v));
    }
    for (k, v) in changes {
        fields.retain(|(n, _)| n != k);
        fields.push((k, v));
    }
    let uri = format!("/people/{}/edit", env.own_id);
    env.send(session_form(&uri, &c.session, &fields)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edit_form_masks_identifiers() {
    let env = setup().await;
    let c = env.creds(Who::Registrar);
    let res = env
        .send(session_get(
            &format!("/people/{}/edit", env.own_id),
            &c.session,
        ))
        .await;
    assert_eq!(res.status.as_u16(), 200);
    let body = res.text();
    for (full, masked) in [
        (OWN_NIK, OWN_NIK_MASKED),
        (OWN_PASSPORT, OWN_PASSPORT_MASKED),
    ] {
        assert!(!body.contains(full), "the edit form shows {full}");
        assert!(body.contains(masked), "the edit form lacks {masked}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_that_leaves_identifiers_empty_keeps_them() {
    let env = setup().await;
    let res = submit(&env, &[("origin_regency", "Kabupaten Bandung")]).await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.text());
    assert_eq!(
        stored(&env).await,
        (Some(OWN_NIK.into()), Some(OWN_PASSPORT.into()))
    );
    let p = env.app.person(&op(), &env.own_id, false).await.expect("p");
    assert_eq!(
        p.person.origin_regency.as_deref(),
        Some("Kabupaten Bandung")
    );

    // A typed value replaces; the box removes; an empty input with no box still keeps.
    let res = submit(&env, &[("passport_no", "B7654321")]).await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.text());
    assert_eq!(
        stored(&env).await,
        (Some(OWN_NIK.into()), Some("B7654321".into()))
    );
    let res = submit(&env, &[("nik_clear", "yes")]).await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.text());
    assert_eq!(stored(&env).await, (None, Some("B7654321".into())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revealing_identifiers_is_audited() {
    let env = setup().await;
    let c = env.creds(Who::Registrar);
    let uri = format!("/people/{}/reveal", env.own_id);
    let res = env
        .send(session_form(&uri, &c.session, &[("csrf", c.csrf.as_str())]))
        .await;
    assert_eq!(res.status.as_u16(), 200);
    assert!(res.text().contains(OWN_NIK), "the reveal shows the NIK");
    let events = env.audit_about(&env.own_id).await;
    assert!(
        events
            .iter()
            .any(|e| e.action == "person.reveal" && e.actor == c.username),
        "no person.reveal event by {}",
        c.username
    );
}
