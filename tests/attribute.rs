//! `#[firewall]` on real sockets, stacked under `#[get]` as the README shows.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{get, web, App, HttpServer, Responder};
use firewall_actix::waf::{Mode, WafConfig};
use firewall_actix::{firewall, Firewall, FirewallExt, Rule, TrustedProxies, ALLOW, ANY, TCP};
use support::{get, log_lines, log_lines_with, serve};

const DENIED: &str = "Access denied by Firewall.";

/// How many times this server's handler ran.
#[derive(Debug, Default)]
struct Runs(AtomicUsize);

#[get("/pinned")]
#[firewall(port = 5000)]
async fn pinned(runs: web::Data<Runs>) -> impl Responder {
    runs.0.fetch_add(1, Ordering::SeqCst);
    "veera"
}

#[get("/local")]
#[firewall]
async fn local(name: web::Query<std::collections::HashMap<String, String>>) -> String {
    format!(
        "hello {}",
        name.get("name").map_or("stranger", String::as_str)
    )
}

fn log() -> PathBuf {
    support::log_file("it_attribute")
}

/// An app with both handlers; `fw` registered as app data unless `None`.
fn start(fw: Option<Firewall>, proxies: Option<TrustedProxies>) -> (SocketAddr, web::Data<Runs>) {
    log();
    let runs = web::Data::new(Runs::default());
    let app_runs = runs.clone();
    let running = serve("127.0.0.1:0", move |listener| {
        Ok(HttpServer::new(move || {
            let mut app = App::new().app_data(app_runs.clone());
            if let Some(fw) = &fw {
                app = app.app_data(fw.clone());
            }
            if let Some(proxies) = &proxies {
                app = app.app_data(proxies.clone());
            }
            app.service(pinned).service(local)
        })
        .workers(1)
        .listen(listener)?
        .run())
    });
    (running.expect("127.0.0.1 binds").addr, runs)
}

fn firewall(rules: Vec<Rule>) -> Firewall {
    let fw = Firewall::new("it_attribute");
    fw.set_rules(rules).expect("valid rules");
    fw
}

fn pinned_destination(server: SocketAddr) -> SocketAddr {
    SocketAddr::new(server.ip(), 5000)
}

#[test]
fn the_pinned_port_is_the_destination_under_get() {
    let fw = firewall(vec![
        Rule::new(ALLOW, TCP, 5000, "127.0.0.1", ANY, "app").unwrap()
    ]);
    let (server, runs) = start(Some(fw.clone()), None);
    let reply = get(server, "/pinned", &[]).unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (200, "veera"));
    assert_eq!(runs.0.load(Ordering::SeqCst), 1);
    let key = reply.acl_key(pinned_destination(server));
    assert_eq!(
        log_lines_with(&log(), &key),
        [format!(
            "[INFO] ACL ALLOW: [TCP] {} -> 127.0.0.1:5000",
            reply.client
        )]
    );
    // `#[firewall]` without a port: the port the request came in on, not allowed here.
    let reply = get(server, "/local?name=veera", &[]).unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (403, DENIED));
    assert_eq!(
        log_lines_with(&log(), &reply.acl_key(server)),
        [format!(
            "[WARNING] ACL DROP: [TCP] {} -> {server} - No matching allow rule.",
            reply.client
        )]
    );
}

#[test]
fn without_a_port_the_local_port_decides_and_extractors_still_work() {
    let fw = firewall(vec![Rule::new(
        ALLOW,
        TCP,
        ANY,
        "127.0.0.1",
        "127.0.0.1",
        "loopback",
    )
    .unwrap()]);
    let (server, _) = start(Some(fw), None);
    let reply = get(server, "/local?name=veera", &[]).unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello veera"));
    assert_eq!(
        log_lines_with(&log(), &reply.acl_key(server)),
        [format!(
            "[INFO] ACL ALLOW: [TCP] {} -> {server}",
            reply.client
        )]
    );
}

#[test]
fn the_seed_rules_drop_port_5000_and_the_handler_never_runs() {
    let fw = firewall(vec![
        Rule::new(ALLOW, TCP, 80, ANY, ANY, "Permits HTTP").unwrap()
    ]);
    let (server, runs) = start(Some(fw.clone()), None);
    let reply = get(server, "/pinned", &[]).unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (403, DENIED));
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(runs.0.load(Ordering::SeqCst), 0, "the handler ran");
    assert_eq!(
        log_lines_with(&log(), &reply.acl_key(pinned_destination(server))),
        [format!(
            "[WARNING] ACL DROP: [TCP] {} -> 127.0.0.1:5000 - No matching allow rule.",
            reply.client
        )]
    );
    assert_eq!((fw.stats().allowed, fw.stats().dropped), (0, 1));
}

#[test]
fn trusted_proxies_registered_as_app_data_are_honoured() {
    let fw = firewall(vec![Rule::new(
        ALLOW,
        TCP,
        5000,
        "198.51.100.7",
        ANY,
        "partner",
    )
    .unwrap()]);
    let (server, runs) = start(Some(fw), Some(TrustedProxies::new(["127.0.0.1"]).unwrap()));
    let reply = get(server, "/pinned", &[("X-Forwarded-For", "198.51.100.7")]).unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (200, "veera"));
    assert_eq!(runs.0.load(Ordering::SeqCst), 1);
    assert_eq!(
        log_lines_with(&log(), &reply.acl_key(pinned_destination(server))),
        [format!(
            "[INFO] ACL ALLOW: [TCP] 198.51.100.7:{} -> 127.0.0.1:5000",
            reply.client.port()
        )]
    );
}

#[test]
fn a_guarded_handler_on_an_app_without_a_firewall_is_refused_with_500() {
    let (server, runs) = start(None, None);
    let reply = get(server, "/pinned", &[]).unwrap();
    assert_eq!(reply.status, 500);
    assert_eq!(
        reply.body,
        "Firewall misconfigured: the request was refused."
    );
    assert_eq!(runs.0.load(Ordering::SeqCst), 0, "served unguarded");
    let expected = "[ERROR] Firewall Processing Error: no Firewall for this handler: \
                    wrap the app with .wrap(fw.middleware()) or add .app_data(fw.clone())";
    let errors: Vec<String> = log_lines(&log())
        .into_iter()
        .filter(|line| line.starts_with("[ERROR]"))
        .collect();
    // This is the only test in this binary that logs at ERROR.
    assert_eq!(errors, [expected]);
}

/// `/local` behind the middleware too, with a WAF in detection-only mode.
fn start_stacked(fw: Firewall) -> SocketAddr {
    log();
    let running = serve("127.0.0.1:0", move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .wrap(fw.middleware())
                .app_data(fw.clone())
                .service(local)
        })
        .workers(1)
        .listen(listener)?
        .run())
    });
    running.expect("127.0.0.1 binds").addr
}

#[test]
fn behind_the_middleware_the_attribute_neither_decides_nor_logs_again() {
    let rules = vec![Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "loopback").unwrap()];
    let fw = Firewall::new("it_attribute").with_rules(rules).unwrap();
    let detect = WafConfig::default().mode(Mode::DetectionOnly);
    let fw = fw.with_waf(detect).unwrap();
    let server = start_stacked(fw.clone());
    let reply = get(server, "/local?name=veera%27%20OR%20%271%27=%271", &[]).unwrap();
    assert_eq!(reply.status, 200);
    let lines = log_lines_with(&log(), &format!(":{} -> {server}", reply.client.port()));
    let acl: Vec<&String> = lines.iter().filter(|l| l.contains("ACL ALLOW")).collect();
    let waf: Vec<&String> = lines.iter().filter(|l| l.contains("WAF DETECT")).collect();
    assert_eq!((acl.len(), waf.len()), (1, 1), "{lines:?}");
    assert_eq!((fw.stats().allowed, fw.stats().dropped), (1, 0));
}
