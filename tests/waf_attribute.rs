//! `#[firewall(waf = ...)]` on real sockets: the attribute reaches the same
//! WAF as the middleware through `web::Data<Firewall>`, and the handler's
//! extractors still get the original body.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;

use actix_web::{post, web, App, HttpServer, Responder};
use firewall_actix::waf::{Mode, WafConfig};
use firewall_actix::{firewall, Firewall, Rule, ALLOW, ANY, TCP};
use support::{log_lines_with, send, serve, Reply};

const FORM: &str = "application/x-www-form-urlencoded";
const ATTACK: &str = "id=1%27%20OR%20%271%27=%271";

#[post("/default")]
#[firewall(port = 5000)]
async fn default(form: web::Form<Vec<(String, String)>>) -> impl Responder {
    form.iter()
        .map(|(k, v)| [k, "=", v, ";"].concat())
        .collect::<String>()
}

#[post("/off")]
#[firewall(port = 5000, waf = "off")]
async fn off(body: String) -> impl Responder {
    body
}

#[post("/detect")]
#[firewall(waf = "detect")]
async fn detect(body: String) -> impl Responder {
    body
}

#[post("/on")]
#[firewall(waf = "on")]
async fn on(body: web::Bytes) -> impl Responder {
    body
}

fn log() -> PathBuf {
    support::log_file("it_waf_attribute")
}

fn firewall(waf: Option<WafConfig>) -> Firewall {
    let rules = vec![Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "loopback").expect("a rule")];
    let fw = Firewall::new("it_waf_attribute")
        .with_rules(rules)
        .expect("valid rules");
    match waf {
        Some(config) => fw.with_waf(config).expect("a valid WAF"),
        None => fw,
    }
}

fn start(fw: Firewall) -> SocketAddr {
    log();
    let running = serve("127.0.0.1:0", move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .app_data(fw.clone())
                .service(default)
                .service(off)
                .service(detect)
                .service(on)
        })
        .workers(1)
        .listen(listener)?
        .run())
    })
    .expect("loopback binds");
    running.addr
}

fn post(server: SocketAddr, path: &str, body: &str) -> Reply {
    send(
        server,
        "POST",
        path,
        &[("Content-Type", FORM)],
        body.as_bytes(),
    )
    .expect("a reply")
}

fn waf_lines(reply: &Reply) -> Vec<String> {
    log_lines_with(&log(), &format!(":{} -> ", reply.client.port()))
        .into_iter()
        .filter(|line| line.contains("WAF "))
        .collect()
}

#[test]
fn by_default_the_attribute_follows_the_firewalls_waf_and_keeps_the_body() {
    let server = start(firewall(Some(WafConfig::default())));
    let reply = post(server, "/default", ATTACK);
    assert_eq!(reply.status, 403);
    let lines = waf_lines(&reply);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].starts_with(&format!(
        "[WARNING] WAF DROP: [TCP] {} -> 127.0.0.1:5000 - SQL injection (",
        reply.client
    )));
    let reply = post(server, "/default", "name=ann&plan=pro+yearly%2C+2+seats");
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "name=ann;plan=pro yearly, 2 seats;")
    );
}

#[test]
fn waf_off_serves_an_attack() {
    let server = start(firewall(Some(WafConfig::default())));
    let reply = post(server, "/off", ATTACK);
    assert_eq!((reply.status, reply.body.as_str()), (200, ATTACK));
    assert!(waf_lines(&reply).is_empty());
}

#[test]
fn waf_detect_serves_and_logs_and_waf_on_refuses_in_detection_only() {
    let server = start(firewall(Some(
        WafConfig::default().mode(Mode::DetectionOnly),
    )));
    let reply = post(server, "/detect", ATTACK);
    assert_eq!((reply.status, reply.body.as_str()), (200, ATTACK));
    let lines = waf_lines(&reply);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].starts_with("[WARNING] WAF DETECT: "),
        "{}",
        lines[0]
    );
    assert_eq!(post(server, "/on", ATTACK).status, 403);
    assert_eq!(post(server, "/default", ATTACK).status, 200);
}

#[test]
fn waf_on_without_a_waf_is_a_setup_error_not_an_unguarded_handler() {
    let server = start(firewall(None));
    let reply = post(server, "/on", "a=1");
    assert_eq!(reply.status, 500);
    assert_eq!(
        log_lines_with(&log(), "but the Firewall has no WAF"),
        ["[ERROR] Firewall Processing Error: #[firewall(waf = \"on\")] but the Firewall has no WAF: call Firewall::set_waf"]
    );
    assert_eq!(post(server, "/default", ATTACK).status, 200);
}
