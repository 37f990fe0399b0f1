//! One request is one decision in every counter and every view, on real
//! sockets: the totals and rule hits of `Firewall::stats`, the events the
//! monitors show, the web monitor's `/api/stats`, and the log file.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;

use actix_web::middleware::Condition;
use actix_web::{get, web, App, HttpServer, Responder};
use firewall_actix::monitor::{MonitorConfig, MonitorHandle, WebMonitor};
use firewall_actix::waf::{BodyOverflow, WafConfig};
use firewall_actix::{
    firewall, Action, Event, Firewall, FirewallExt, FirewallMiddleware, Rule, ALLOW, ANY, DROP, TCP,
};
use support::{get, log_lines_with, send, serve, Reply};

const SQLI: &str = "/items?id=1%27%20OR%20%271%27=%271";

fn log() -> PathBuf {
    support::log_file("it_counting")
}

/// Rule #1 drops telnet, rule #2 allows loopback; a WAF that refuses bodies
/// over 64 bytes.
fn firewall_with_waf() -> Firewall {
    let rules = vec![
        Rule::new(DROP, TCP, 23, ANY, ANY, "telnet").expect("a rule"),
        Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "loopback").expect("a rule"),
    ];
    let waf = WafConfig::default().body_limit(64, BodyOverflow::Reject);
    let fw = Firewall::new("it_counting")
        .with_rules(rules)
        .expect("valid rules");
    fw.with_waf(waf).expect("a valid WAF")
}

fn monitor(fw: &Firewall) -> MonitorHandle {
    WebMonitor::start(fw, MonitorConfig::new("127.0.0.1", 0)).expect("the monitor starts")
}

#[get("/items")]
#[firewall]
async fn guarded_items() -> impl Responder {
    "served"
}

#[get("/proxied")]
#[firewall]
async fn proxied() -> impl Responder {
    "veera"
}

/// `/items` (GET) and `/echo` (POST) behind the middleware, or guarded by
/// `#[firewall]` alone (`/items` only).
fn start(fw: Firewall, middleware: bool) -> SocketAddr {
    log();
    let running = serve("127.0.0.1:0", move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .wrap(Condition::new(middleware, fw.middleware()))
                .app_data(fw.clone())
                .route("/echo", web::post().to(|body: String| async move { body }))
                .configure(|config| {
                    if middleware {
                        config.route("/items", web::get().to(|| async { "served" }));
                    } else {
                        config.service(guarded_items);
                    }
                })
        })
        .workers(1)
        .listen(listener)?
        .run())
    });
    running.expect("127.0.0.1 binds").addr
}

/// This request's log lines, without timestamps.
fn lines_of(reply: &Reply, server: SocketAddr) -> Vec<String> {
    log_lines_with(&log(), &format!(":{} -> {server}", reply.client.port()))
}

/// `(allowed, dropped)` as the web monitor's `/api/stats` shows them.
fn monitor_totals(monitor: &MonitorHandle) -> (u64, u64) {
    let reply = get(monitor.addr(), "/api/stats", &[]).expect("the monitor answers");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let stats: serde_json::Value = serde_json::from_str(&reply.body).expect("JSON");
    let count = |name: &str| stats[name].as_u64().unwrap_or(u64::MAX);
    (count("allowed"), count("dropped"))
}

/// Each event's action and reason, oldest first.
fn events(fw: &Firewall) -> Vec<(Action, String)> {
    fw.events()
        .recent(0)
        .into_iter()
        .map(|Event { action, reason, .. }| (action, reason))
        .collect()
}

/// Three requests served and one the WAF refuses: counted 3 allowed and 1
/// dropped in the stats, the rule hits, `/api/stats`, the events and the
/// log, and nothing twice.
fn assert_counted_once(fw: &Firewall, monitor: &MonitorHandle, server: SocketAddr) {
    let allowed = 3;
    for _ in 0..allowed {
        let reply = get(server, "/items?id=7", &[]).expect("a reply");
        assert_eq!((reply.status, reply.body.as_str()), (200, "served"));
        let lines = lines_of(&reply, server);
        assert_eq!(
            lines,
            [format!(
                "[INFO] ACL ALLOW: [TCP] {} -> {server}",
                reply.client
            )]
        );
    }
    let attack = get(server, SQLI, &[]).expect("a reply");
    assert_eq!(attack.status, 403);

    let stats = fw.stats();
    assert_eq!((stats.allowed, stats.dropped), (allowed, 1));
    assert_eq!(
        (stats.rules[0].hits, stats.rules[1].hits),
        (0, allowed),
        "the loopback rule decided the served requests only"
    );
    assert_eq!(monitor_totals(monitor), (allowed, 1));
    let events = events(fw);
    assert_eq!(events.len(), 4, "{events:?}");
    assert!(
        events[..3]
            .iter()
            .all(|(action, _)| *action == Action::Allow),
        "{events:?}"
    );
    let (action, reason) = &events[3];
    assert_eq!(*action, Action::Drop);
    assert!(
        reason.starts_with("ACL ALLOW by rule #2, then WAF DROP: SQL injection (942")
            && reason.ends_with(") in ARGS:id"),
        "{reason}"
    );
    let lines = lines_of(&attack, server);
    assert_eq!(lines.len(), 1, "one line for one request: {lines:?}");
    assert!(
        lines[0].starts_with(&format!(
            "[WARNING] WAF DROP: [TCP] {} -> {server} - SQL injection (942",
            attack.client
        )),
        "{lines:?}"
    );
}

#[test]
fn behind_the_middleware_a_request_the_waf_refuses_is_one_drop_everywhere() {
    let fw = firewall_with_waf();
    let monitor = monitor(&fw);
    let server = start(fw.clone(), true);
    assert_counted_once(&fw, &monitor, server);

    let big = send(server, "POST", "/echo", &[], &[b'a'; 100]).expect("a reply");
    assert_eq!(big.status, 413);
    assert_eq!(
        lines_of(&big, server),
        [format!(
            "[WARNING] WAF DROP: [TCP] {} -> {server} - Request body over the WAF limit of 64 bytes",
            big.client
        )]
    );
    let stats = fw.stats();
    assert_eq!(
        (stats.allowed, stats.dropped, stats.rules[1].hits),
        (3, 2, 3)
    );
    assert_eq!(monitor_totals(&monitor), (3, 2));
    assert_eq!(
        events(&fw)[4].1,
        "ACL ALLOW by rule #2, then WAF DROP: Request body over the WAF limit of 64 bytes"
    );
}

#[test]
fn with_the_attribute_alone_a_request_the_waf_refuses_is_one_drop_everywhere() {
    let fw = firewall_with_waf();
    let monitor = monitor(&fw);
    let server = start(fw.clone(), false);
    assert_counted_once(&fw, &monitor, server);
}

/// `/proxied` guarded by `#[firewall]` behind `middleware`; `fw` registered
/// as app data when `register`; no `TrustedProxies` registered.
fn start_stacked(fw: Firewall, middleware: FirewallMiddleware, register: bool) -> SocketAddr {
    log();
    let running = serve("127.0.0.1:0", move |listener| {
        Ok(HttpServer::new(move || {
            let mut app = App::new().wrap(middleware.clone());
            if register {
                app = app.app_data(fw.clone());
            }
            app.service(proxied)
        })
        .workers(1)
        .listen(listener)?
        .run())
    });
    running.expect("127.0.0.1 binds").addr
}

fn only(rule: Rule) -> Firewall {
    Firewall::new("it_counting")
        .with_rules(vec![rule])
        .expect("valid rules")
}

#[test]
fn behind_the_middleware_the_attribute_judges_by_the_middlewares_trusted_proxies() {
    let fw = only(Rule::new(ALLOW, TCP, ANY, "203.0.113.7", ANY, "partner").expect("a rule"));
    let middleware = fw
        .clone()
        .middleware()
        .trusted_proxies(["127.0.0.1"])
        .expect("a valid proxy");
    let server = start_stacked(fw.clone(), middleware, true);
    let reply = get(server, "/proxied", &[("X-Forwarded-For", "203.0.113.7")]).expect("a reply");
    assert_eq!((reply.status, reply.body.as_str()), (200, "veera"));
    let stats = fw.stats();
    assert_eq!(
        (stats.allowed, stats.dropped, stats.rules[0].hits),
        (1, 0, 1)
    );
    let lines = log_lines_with(&log(), &format!(":{} -> {server}", reply.client.port()));
    assert_eq!(
        lines,
        [format!(
            "[INFO] ACL ALLOW: [TCP] 203.0.113.7:{} -> {server}",
            reply.client.port()
        )]
    );
}

#[test]
fn behind_the_middleware_the_attribute_judges_by_the_middlewares_port() {
    let fw = only(Rule::new(ALLOW, TCP, 5000, "127.0.0.1", ANY, "app").expect("a rule"));
    let server = start_stacked(fw.clone(), fw.middleware().port(5000), true);
    let reply = get(server, "/proxied", &[]).expect("a reply");
    assert_eq!((reply.status, reply.body.as_str()), (200, "veera"));
    let stats = fw.stats();
    assert_eq!((stats.allowed, stats.dropped), (1, 0));
    assert_eq!(
        log_lines_with(&log(), &format!("{} -> ", reply.client)),
        [format!(
            "[INFO] ACL ALLOW: [TCP] {} -> 127.0.0.1:5000",
            reply.client
        )]
    );
}

#[test]
fn behind_the_middleware_the_attribute_needs_no_firewall_of_its_own() {
    let fw = only(Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "loopback").expect("a rule"));
    let server = start_stacked(fw.clone(), fw.middleware(), false);
    let reply = get(server, "/proxied", &[]).expect("a reply");
    assert_eq!((reply.status, reply.body.as_str()), (200, "veera"));
    let stats = fw.stats();
    assert_eq!((stats.allowed, stats.dropped), (1, 0));
}
