//! `pulang import` and `pulang site add` run beside a running `pulang serve` on the same data
//! directory (SQLite): the server finds the imported people, and takes registrations at the new
//! site, within about a second, without a restart (the change feed).
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{pulang, run, setup, site_add, BIN};

const PASSWORD: &str = "correct horse battery staple";

/// The server, killed when dropped (a failing test leaves no process behind).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request; returns the status and body.
fn http(port: u16, method: &str, path: &str, token: &str, body: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, body.to_string())
}

fn serve(dir: &Path, port: u16) -> Server {
    let child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pulang serve");
    let server = Server(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// How long until `ok` holds for the server's answer (panics after 5 s).
fn until(
    what: &str,
    mut probe: impl FnMut() -> (u16, String),
    ok: impl Fn(u16, &str) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        let (status, body) = probe();
        if ok(status, &body) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{what}: not seen by the running server ({status} {body})"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn import_and_site_add_beside_a_running_server() {
    let dir = setup();
    let mut add = Command::new(BIN);
    add.args([
        "user",
        "add",
        "--username",
        "siti",
        "--role",
        "registrar",
        "--password-stdin",
    ])
    .arg("--data-dir")
    .arg(dir.path());
    let out = run(add, Some(&format!("{PASSWORD}\n")));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = pulang(dir.path(), &["token", "create", "--username", "siti"]);
    assert!(out.status.success());
    let token = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();

    let port = free_port();
    let _server = serve(dir.path(), port);
    let search = |q: &str| http(port, "GET", &format!("/api/v1/people?q={q}"), &token, None);
    assert!(search("rahayu").1.contains("\"total\":0"));

    let list = dir.path().join("handover.csv");
    std::fs::write(
        &list,
        "No;Nama Lengkap;L/P;Tgl Lahir\n1;SITI RAHAYU;P;12/01/1998\n2;BUDI SANTOSO;L;03/05/1995\n",
    )
    .unwrap();
    let out = pulang(dir.path(), &["import", list.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let took = until(
        "the imported people",
        || search("santoso"),
        |s, b| s == 200 && b.contains("BUDI SANTOSO"),
    );
    assert!(took < Duration::from_millis(1500), "found after {took:?}");

    let out = pulang(
        dir.path(),
        &site_add("KUL", "KBRI Kuala Lumpur", "Asia/Kuala_Lumpur"),
    );
    assert!(out.status.success());
    let body = r#"{"full_name":"Ayu Wandira","sex":"F","age":24,"site":"KUL","arrived_on":"2026-01-12","confirm_warnings":true}"#;
    let took = until(
        "the new site",
        || http(port, "POST", "/api/v1/people", &token, Some(body)),
        |s, _| s == 201,
    );
    assert!(
        took < Duration::from_millis(1500),
        "registered at the new site after {took:?}"
    );
}
