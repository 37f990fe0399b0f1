//! Helpers shared by the monitor tests: a firewall with the seed's rules, a
//! protected app on a real socket, and a small HTTP client.
#![allow(dead_code)] // each test file uses a part

pub mod cdp;

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};
use firewall_actix::FirewallExt;
use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY, DROP, TCP};

/// The rule description used as an XSS probe.
pub const XSS_DESC: &str = "<script>window.__xss=1;alert(1)</script> telnet";
/// The drop reason used as an XSS probe (a request path a WAF might report).
pub const XSS_REASON: &str = "WAF: /<img src=x onerror=\"window.__xss=2\">";

/// The seed's web-monitor rules, with an XSS probe as one description.
pub fn firewall(name: &str) -> Firewall {
    let rules = vec![
        Rule::new(DROP, TCP, 80, ANY, ANY, "Permits HTTP").unwrap(),
        Rule::new(DROP, TCP, 443, ANY, ANY, "Permits HTTPS").unwrap(),
        Rule::new(DROP, TCP, 23, ANY, ANY, XSS_DESC).unwrap(),
        Rule::new(
            ALLOW,
            TCP,
            22,
            "192.168.1.10",
            ANY,
            "Only allows SSH from one specific IP",
        )
        .unwrap(),
        Rule::new(ALLOW, TCP, 5000, ANY, ANY, "Allow HTTP to the app on 5000").unwrap(),
    ];
    Firewall::new(name).with_rules(rules).unwrap()
}

/// One decision from `src` to 127.0.0.1:`port`.
pub fn send(fw: &Firewall, src: &str, port: u16) -> bool {
    let dst = SocketAddr::from(([127, 0, 0, 1], port));
    fw.check(&Packet::tcp(src.parse().unwrap(), dst))
        .is_allowed()
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// GET `url` with optional extra headers; any status is an answer.
pub fn get(url: &str, headers: &[(&str, &str)]) -> Answer {
    request("GET", url, headers, None)
}

/// A request with any method, extra headers and an optional body; any status is an answer.
pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Answer {
    let mut request = ureq::request(method, url).timeout(std::time::Duration::from_secs(5));
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let result = match body {
        Some(body) => request.send_string(body),
        None => request.call(),
    };
    let response = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .map(|n| {
            let v = response.header(&n).unwrap_or_default().to_owned();
            (n, v)
        })
        .collect();
    Answer {
        status,
        headers,
        body: response.into_string().unwrap(),
    }
}

/// A protected app on 127.0.0.1 (ephemeral port), its own thread and runtime.
#[derive(Debug)]
pub struct TestApp {
    pub addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl TestApp {
    /// Serves `/` (→ `VEERA`) behind `FirewallMiddleware`, checking as if on port 5000.
    pub fn start(fw: Firewall) -> Self {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(fw.clone())
                        .wrap(fw.middleware().port(5000))
                        .route("/", web::get().to(|| async { "VEERA" }))
                })
                .workers(1)
                .disable_signals()
                .bind(("127.0.0.1", 0))
                .unwrap();
                let addr = server.addrs()[0];
                let server = server.run();
                tx.send((addr, server.handle())).unwrap();
                server.await.unwrap();
            });
        });
        let (addr, handle) = rx.recv().unwrap();
        Self {
            addr,
            handle,
            thread: Some(thread),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
