//! The screening interview over HTTP: answers saved per section, sign-off locks, corrections
//! make a new version, and the PDF record holds the identity, the evidence, the evaluators'
//! reasoning, the non-punishment assessment with its legal basis, and signature lines.
#![allow(clippy::disallowed_methods)]

mod common;

use common::*;

fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let doc = lopdf::Document::load_mem(bytes).expect("PDF parses");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).expect("text extracts");
    // Lines wrap at the page width: compare with whitespace collapsed.
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interview_sign_off_correction_and_pdf_record() {
    let env = setup().await;
    let cw = env.creds(Who::Caseworker).clone();
    let sid = env.own_screening.clone();
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let mut f = vec![("csrf", cw.csrf.as_str())];
        f.extend(fields);
        session_form(&format!("/screenings/{sid}"), &cw.session, &f)
    };

    // Recruitment and compound answers, one declined; a liability in "now".
    let res = env
        .send(post(vec![
            ("section", "recruitment"),
            ("action", "next"),
            ("age_at_recruitment", "24"),
            ("v:ilo.d1.1", "present"),
            ("v:fc.fake_job_offer", "present"),
            (
                "n:fc.fake_job_offer",
                "Iklan lowongan customer service di Facebook",
            ),
            ("v:ilo.d2.7", "declined"),
        ]))
        .await;
    assert_eq!(res.status, 303, "{}", res.text());
    assert!(res.header("location").unwrap().ends_with("section=journey"));
    let res = env
        .send(post(vec![
            ("section", "compound"),
            ("action", "save"),
            ("v:fc.forced_to_scam", "present"),
            ("v:fc.quota_violence", "present"),
            ("s:fc.quota_violence", "corroborated"),
            ("v:fc.passport_taken_on_arrival", "present"),
            ("v:fc.guarded_compound", "present"),
        ]))
        .await;
    assert_eq!(res.status, 303);
    let page = env
        .send(session_get(
            &format!("/screenings/{sid}?section=compound"),
            &cw.session,
        ))
        .await;
    assert!(
        page.text().contains(r#"data-outcome="presumed_victim""#),
        "outcome beside the questions"
    );

    // Signing needs the confirmation box.
    let res = env
        .send(post(vec![
            ("section", "now"),
            ("action", "sign"),
            ("liability", "participation_in_fraud"),
        ]))
        .await;
    assert_eq!(res.status, 400);
    let res = env
        .send(post(vec![
            ("section", "now"),
            ("action", "sign"),
            ("liability", "participation_in_fraud"),
            ("confirm_sign", "yes"),
        ]))
        .await;
    assert_eq!(res.status, 303);
    assert!(env
        .audit_about(&sid)
        .await
        .iter()
        .any(|e| e.action == "screening.sign"));

    // Locked: saving again is refused and changes nothing.
    let res = env
        .send(post(vec![
            ("section", "compound"),
            ("action", "save"),
            ("v:fc.forced_to_scam", "absent"),
        ]))
        .await;
    assert_eq!(res.status, 409);
    let view = env.app.screening(&op(), &sid).await.unwrap();
    assert!(view.locked);
    assert_eq!(
        view.input.answers["fc.forced_to_scam"].value,
        pulang_app::screening_engine::AnswerValue::Present
    );

    // The PDF record, in English and in Indonesian.
    let pdf = env
        .send(session_get(
            &format!("/screenings/{sid}/record.pdf?lang=en"),
            &cw.session,
        ))
        .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.content_type(), "application/pdf");
    let text = pdf_text(&pdf.body);
    for expected in [
        "Screening record",
        OWN_NAME,
        &env.own_case,
        "Indicators found and their evidence",
        "Iklan lowongan customer service",
        "Another person confirms it",
        "ILO/EC operational indicators",
        "Palermo Protocol",
        "Non-punishment assessment",
        "Signed off by: pnh_caseworker",
        "Caseworker (name and signature)",
    ] {
        assert!(
            text.contains(expected),
            "PDF should contain {expected:?}; got:\n{text}"
        );
    }
    assert!(
        text.to_lowercase().contains("presumed victim"),
        "outcome in the PDF:\n{text}"
    );
    assert!(
        text.contains("Art. 18") || text.contains("Article 18") || text.contains("Principle 7"),
        "legal basis quoted:\n{text}"
    );
    let id_pdf = env
        .send(session_get(
            &format!("/screenings/{sid}/record.pdf?lang=id"),
            &cw.session,
        ))
        .await;
    let text = pdf_text(&id_pdf.body);
    assert!(
        text.contains("Catatan skrining") && text.contains("Penilaian non-penghukuman"),
        "{text}"
    );

    // A correction is a new draft version with the same answers; the signed one stays.
    let res = env
        .send(session_form(
            &format!("/screenings/{sid}/correct"),
            &cw.session,
            &[("csrf", cw.csrf.as_str())],
        ))
        .await;
    assert_eq!(res.status, 303);
    let new_id = res
        .header("location")
        .unwrap()
        .trim_start_matches("/screenings/")
        .to_string();
    assert_ne!(new_id, sid);
    let corrected = env.app.screening(&op(), &new_id).await.unwrap();
    assert_eq!(corrected.record.version, 2);
    assert_eq!(corrected.record.supersedes.as_deref(), Some(sid.as_str()));
    assert!(!corrected.locked);
    assert_eq!(corrected.input, view.input);
}
