//! The slip's QR code links to the configured public URL, never to the request's Host header
//! (a forged Host would send whoever scans the slip to another server).
mod common;

use std::net::SocketAddr;

use axum::http::header;
use common::*;
use pulang_web::WebConfig;

fn qr_of(url: &str) -> String {
    qrcode::QrCode::new(url.as_bytes())
        .expect("qr")
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(160, 160)
        .quiet_zone(true)
        .build()
}

async fn slip_with_host(env: &Env, host: &str) -> String {
    let c = env.creds(Who::Registrar);
    let req = request("GET", &format!("/desk/slip/{}", env.own_id))
        .header(header::HOST, host)
        .header(header::COOKIE, format!("pulang_session={}", c.session))
        .body(axum::body::Body::empty())
        .expect("request");
    let res = env.send(req).await;
    assert_eq!(res.status.as_u16(), 200, "{}", res.text());
    res.text()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_host_does_not_change_the_qr_target() {
    let env = setup_with(WebConfig {
        link_base: Some("https://pulang.example.org".into()),
        ..WebConfig::default()
    })
    .await;
    let want = qr_of(&format!("https://pulang.example.org/people/{}", env.own_id));
    for host in ["pulang.example.org", "evil.example", "attacker.test:8443"] {
        let body = slip_with_host(&env, host).await;
        assert!(
            body.contains(&want),
            "Host {host}: the QR code is not that of the public URL"
        );
        assert!(
            !body.contains(&qr_of(&format!("http://{host}/people/{}", env.own_id))),
            "Host {host}: the QR code follows the Host header"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_public_url_the_slip_has_no_qr_code() {
    let env = setup_with(WebConfig::default()).await;
    let body = slip_with_host(&env, "evil.example").await;
    assert!(!body.contains("<svg"), "a QR code without a known address");
    assert!(
        body.contains("data-case-number"),
        "the slip itself is shown"
    );
}

#[test]
fn the_public_url_is_checked_and_loopback_is_the_only_fallback() {
    let lo: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
    let any: SocketAddr = "0.0.0.0:8080".parse().expect("addr");
    let base = |u: Option<&str>, l| pulang_web::link_base(u, l).map_err(|e| e.to_string());
    let is = |s: &str| Ok(Some(s.to_string()));
    assert_eq!(
        base(Some("https://pulang.example.org/"), any),
        is("https://pulang.example.org")
    );
    assert_eq!(
        base(Some("http://10.0.0.5:8080"), any),
        is("http://10.0.0.5:8080")
    );
    assert_eq!(base(None, lo), is("http://127.0.0.1:8080"));
    assert_eq!(base(None, any), Ok(None));
    for bad in [
        "pulang.example.org",
        "ftp://pulang.example.org",
        "/people",
        "https://user@pulang.example.org",
        "https://pulang.example.org/?next=x",
        "https://pulang.example.org/#x",
        "javascript:alert(1)",
    ] {
        assert!(base(Some(bad), any).is_err(), "{bad} accepted");
    }
}
