//! Importing a list in the browser: the preview saves nothing, confirming imports the previewed
//! file once, and the upload token belongs to the person who uploaded.
#![allow(clippy::disallowed_methods)]

mod common;

use axum::http::header;
use common::*;

fn multipart(csrf: &str, csv: &str) -> (String, String) {
    let b = "testboundary";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nPolisi Kamboja\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"serah-terima.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{b}--\r\n"
    );
    (format!("multipart/form-data; boundary={b}"), body)
}

fn attr(html: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let i = html.find(&key)? + key.len();
    Some(html[i..].split('"').next()?.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_then_confirm_once() {
    let env = setup().await;
    let reg = env.creds(Who::Registrar).clone();
    let before = env.person_count().await;
    let (ct, body) = multipart(
        &reg.csrf,
        "Nama;L/P;Tgl Lahir\nDEWI LESTARI;P;12/01/1998\nANDI;X;1990\n",
    );
    let req = request("POST", "/imports")
        .header(header::COOKIE, format!("pulang_session={}", reg.session))
        .header(header::CONTENT_TYPE, ct)
        .body(body.into())
        .unwrap();
    let res = env.send(req).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let html = res.text();
    assert_eq!(attr(&html, "data-rows").as_deref(), Some("2"));
    assert_eq!(attr(&html, "data-created").as_deref(), Some("1"));
    assert_eq!(attr(&html, "data-rejected").as_deref(), Some("1"));
    assert!(
        html.contains("L/P (&quot;X&quot;): invalid_sex")
            || html.contains("L/P (\"X\"): invalid_sex"),
        "{html}"
    );
    assert_eq!(
        env.person_count().await,
        before,
        "the preview saves nothing"
    );
    let token = html
        .split("name=\"token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();

    // Someone else cannot confirm this upload.
    let cw = env.creds(Who::Caseworker).clone();
    let res = env
        .send(session_form(
            "/imports/confirm",
            &cw.session,
            &[("csrf", cw.csrf.as_str()), ("token", token.as_str())],
        ))
        .await;
    assert_eq!(res.status, 404);

    let res = env
        .send(session_form(
            "/imports/confirm",
            &reg.session,
            &[("csrf", reg.csrf.as_str()), ("token", token.as_str())],
        ))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(attr(&res.text(), "data-created").as_deref(), Some("1"));
    assert_eq!(env.person_count().await, before + 1);

    // The token is used up.
    let res = env
        .send(session_form(
            "/imports/confirm",
            &reg.session,
            &[("csrf", reg.csrf.as_str()), ("token", token.as_str())],
        ))
        .await;
    assert_eq!(res.status, 404);

    // The batch is listed.
    let page = env.send(session_get("/imports", &reg.session)).await;
    assert!(page.text().contains("Polisi Kamboja"));
}
