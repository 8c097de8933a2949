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

    // Confirming the previewed upload, as `who`.
    let confirm = async |who: &Creds| {
        let form = [("csrf", who.csrf.as_str()), ("token", token.as_str())];
        env.send(session_form("/imports/confirm", &who.session, &form))
            .await
    };

    // Someone else cannot confirm this upload.
    let cw = env.creds(Who::Caseworker).clone();
    let res = confirm(&cw).await;
    assert_eq!(res.status, 404);

    let res = confirm(&reg).await;
    // The import runs in the background; its page shows progress, then the report.
    assert_eq!(res.status, 303, "{}", res.text());
    let job = res.header("location").expect("job page").to_string();
    assert!(job.starts_with("/imports/jobs/"), "{job}");
    let mut html = String::new();
    for _ in 0..200 {
        let page = env.send(session_get(&job, &reg.session)).await;
        assert_eq!(page.status, 200);
        html = page.text();
        if html.contains("data-created") {
            break;
        }
        assert!(html.contains("http-equiv=\"refresh\""), "{html}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(attr(&html, "data-created").as_deref(), Some("1"));
    // Nobody else sees the job.
    let other = env.send(session_get(&job, &cw.session)).await;
    assert_eq!(other.status, 404);
    assert_eq!(env.person_count().await, before + 1);

    // The token is used up.
    let res = confirm(&reg).await;
    assert_eq!(res.status, 404);

    // The batch is listed; an administrator reverts it and the person it registered is gone.
    let page = env.send(session_get("/imports", &reg.session)).await;
    assert!(page.text().contains("Polisi Kamboja"));
    assert!(!page.text().contains("/revert"), "registrars cannot revert");
    let admin = env.creds(Who::GlobalAdmin).clone();
    let page = env
        .send(session_get("/imports", &admin.session))
        .await
        .text();
    let action = page
        .split("action=\"")
        .find(|a| a.contains("/revert"))
        .and_then(|a| a.split('"').next())
        .expect("a revert button")
        .to_string();
    let revert = async || {
        env.send(session_form(
            &action,
            &admin.session,
            &[("csrf", admin.csrf.as_str())],
        ))
        .await
    };
    let res = revert().await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(attr(&res.text(), "data-removed").as_deref(), Some("1"));
    assert_eq!(env.person_count().await, before);
    let again = revert().await;
    assert_eq!(again.status, 409);
}

/// Three hostile XLSX previews at once — each a 45 MB sheet of a header and then millions of
/// empty cells, within every cap — do not stall the server: lists are parsed on the blocking
/// pool, two at a time, never on the threads that answer requests. Bounded: `/healthz` answers
/// within 1 s all along (22 s when parsing ran on those threads). Prints the worst latency.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_previews_do_not_stall_the_server() {
    use pulang_import::testing::{col_name, rows_xml, xlsx};
    use std::time::{Duration, Instant};
    let env = setup().await;
    let reg = env.creds(Who::Registrar).clone();
    let mut sheet = rows_xml(&[&["Nama"]]);
    let mut r = 2;
    while sheet.len() < 45 << 20 {
        sheet.push_str(&format!("<row r=\"{r}\">"));
        for c in 0..64 {
            sheet.push_str(&format!("<c r=\"{}{r}\"/>", col_name(c)));
        }
        sheet.push_str("</row>");
        r += 1;
    }
    let file = xlsx(&sheet, "");
    drop(sheet);
    let b = "testboundary";
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.xlsx\"\r\n\
         Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n",
        reg.csrf
    )
    .into_bytes();
    body.extend_from_slice(&file);
    body.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    let previews: Vec<_> = (0..3)
        .map(|_| {
            let (router, body, session) = (env.router.clone(), body.clone(), reg.session.clone());
            tokio::spawn(async move {
                let req = request("POST", "/imports")
                    .header(header::COOKIE, format!("pulang_session={session}"))
                    .header(
                        header::CONTENT_TYPE,
                        format!("multipart/form-data; boundary={b}"),
                    )
                    .body(body.into())
                    .unwrap();
                send(&router, req).await.status
            })
        })
        .collect();
    let started = Instant::now();
    let mut worst = Duration::ZERO;
    let mut probes = 0;
    while previews.iter().any(|p| !p.is_finished()) {
        let t = Instant::now();
        let res = env.send(empty("GET", "/healthz")).await;
        assert_eq!(res.status, 200);
        worst = worst.max(t.elapsed());
        probes += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for p in previews {
        let status = p.await.unwrap();
        // The sheet names nobody under its header: refused as a list, not a server failure.
        assert!(status.is_client_error(), "{status}");
    }
    println!(
        "3 hostile previews ({} MB each) took {:.1} s; /healthz worst {} ms over {probes} probes",
        file.len() >> 20,
        started.elapsed().as_secs_f64(),
        worst.as_millis()
    );
    assert!(probes > 3, "the previews took some time");
    assert!(worst < Duration::from_secs(1), "/healthz took {worst:?}");
}
