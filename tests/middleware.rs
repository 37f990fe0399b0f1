//! `FirewallMiddleware` on real sockets: statuses, bodies and the exact log lines.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::{web, App, HttpServer};
use firewall_actix::{Firewall, FirewallExt, FirewallMiddleware, Rule, ALLOW, ANY, DROP, TCP};
use support::{get, log_lines_with, serve, Reply};

const DENIED: &str = "Access denied by Firewall.";

fn log() -> PathBuf {
    support::log_file("it_middleware")
}

fn firewall(rules: Vec<Rule>) -> Firewall {
    let fw = Firewall::new("it_middleware");
    fw.set_rules(rules).expect("valid rules");
    fw
}

/// The example-style app: `/` behind the middleware, on `addr`.
fn start(addr: &str, middleware: FirewallMiddleware) -> Option<SocketAddr> {
    log();
    let running = serve(addr, move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .wrap(middleware.clone())
                .route("/", web::get().to(|| async { "served" }))
        })
        .workers(1)
        .on_connect(firewall_actix::on_connect)
        .listen(listener)?
        .run())
    })?;
    Some(running.addr)
}

/// The one ACL line of `reply`'s request to `destination`, without its timestamp.
fn acl_line(reply: &Reply, destination: SocketAddr) -> String {
    let lines = log_lines_with(&log(), &reply.acl_key(destination));
    assert_eq!(
        lines.len(),
        1,
        "one line for {}: {lines:#?}",
        reply.acl_key(destination)
    );
    lines[0].clone()
}

#[test]
fn an_allowed_request_is_served_and_logged_at_info() {
    let fw = firewall(vec![Rule::new(
        ALLOW,
        TCP,
        ANY,
        "127.0.0.1",
        ANY,
        "loopback",
    )
    .unwrap()]);
    let server = start("127.0.0.1:0", fw.middleware()).unwrap();
    let reply = get(server, "/", &[]).unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (200, "served"));
    assert_eq!(
        acl_line(&reply, server),
        format!("[INFO] ACL ALLOW: [TCP] {} -> {server}", reply.client)
    );
    assert_eq!((fw.stats().allowed, fw.stats().dropped), (1, 0));
}

#[test]
fn no_matching_rule_drops_with_403_and_a_warning() {
    let fw = firewall(vec![
        Rule::new(ALLOW, TCP, 80, ANY, ANY, "Permits HTTP").unwrap()
    ]);
    let server = start("127.0.0.1:0", fw.middleware()).unwrap();
    let reply = get(server, "/", &[]).unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (403, DENIED));
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        acl_line(&reply, server),
        format!(
            "[WARNING] ACL DROP: [TCP] {} -> {server} - No matching allow rule.",
            reply.client
        )
    );
    assert_eq!((fw.stats().allowed, fw.stats().dropped), (0, 1));
}

#[test]
fn an_explicit_drop_rule_is_named_in_the_log() {
    let fw = firewall(vec![
        Rule::new(ALLOW, TCP, 80, ANY, ANY, "Permits HTTP").unwrap(),
        Rule::new(
            DROP,
            TCP,
            ANY,
            "127.0.0.0/8",
            ANY,
            "No loopback\r\n[INFO] forged",
        )
        .unwrap(),
        Rule::new(ALLOW, ANY, ANY, ANY, ANY, "never reached").unwrap(),
    ]);
    let server = start("127.0.0.1:0", fw.middleware()).unwrap();
    let reply = get(server, "/", &[]).unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (403, DENIED));
    let line = acl_line(&reply, server);
    let expected_start = format!(
        "[WARNING] ACL DROP: [TCP] {} -> {server} - Matched rule #2: No loopback\\",
        reply.client
    );
    // The description's CR LF cannot start a forged line. (How many backslashes
    // it gets is firewall-core's business: it currently escapes it twice.)
    assert!(line.starts_with(&expected_start), "{line}");
    assert!(
        line.ends_with("n[INFO] forged") && !line.contains(['\r', '\n']),
        "{line}"
    );
    assert_eq!(fw.stats().rules[1].hits, 1);
}

#[test]
fn ipv6_clients_are_logged_with_brackets() {
    let fw = firewall(vec![Rule::new(
        ALLOW,
        TCP,
        ANY,
        "::1",
        "::1",
        "IPv6 loopback",
    )
    .unwrap()]);
    let Some(server) = start("[::1]:0", fw.middleware()) else {
        return; // `serve` printed why
    };
    let reply = get(server, "/", &[]).unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (200, "served"));
    let port = reply.client.port();
    assert_eq!(
        acl_line(&reply, server),
        format!(
            "[INFO] ACL ALLOW: [TCP] [::1]:{port} -> [::1]:{}",
            server.port()
        )
    );
    // An IPv4 rule never matches an IPv6 client.
    fw.set_rules(vec![Rule::new(
        ALLOW,
        TCP,
        ANY,
        "127.0.0.1",
        ANY,
        "v4 only",
    )
    .unwrap()])
        .unwrap();
    let reply = get(server, "/", &[]).unwrap();
    assert_eq!(reply.status, 403);
    assert_eq!(
        acl_line(&reply, server),
        format!(
            "[WARNING] ACL DROP: [TCP] [::1]:{} -> [::1]:{} - No matching allow rule.",
            reply.client.port(),
            server.port()
        )
    );
}

fn partner_only() -> Firewall {
    firewall(vec![Rule::new(
        ALLOW,
        TCP,
        ANY,
        "198.51.100.7",
        ANY,
        "partner",
    )
    .unwrap()])
}

#[test]
fn a_spoofed_forwarding_header_is_ignored_without_trusted_proxies() {
    let server = start("127.0.0.1:0", partner_only().middleware()).unwrap();
    for header in ["X-Forwarded-For", "X-Real-IP"] {
        let reply = get(server, "/", &[(header, "198.51.100.7")]).unwrap();
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (403, DENIED),
            "{header}"
        );
        assert_eq!(
            acl_line(&reply, server),
            format!(
                "[WARNING] ACL DROP: [TCP] 127.0.0.1:{} -> {server} - No matching allow rule.",
                reply.client.port()
            )
        );
    }
    let reply = get(server, "/", &[("Forwarded", "for=198.51.100.7")]).unwrap();
    assert_eq!(reply.status, 403);
}

#[test]
fn the_same_header_from_a_trusted_proxy_is_honoured() {
    let middleware = partner_only()
        .middleware()
        .trusted_proxies(["127.0.0.1"])
        .unwrap();
    let server = start("127.0.0.1:0", middleware).unwrap();
    let reply = get(server, "/", &[("X-Forwarded-For", "6.6.6.6, 198.51.100.7")]).unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (200, "served"));
    assert_eq!(
        acl_line(&reply, server),
        format!(
            "[INFO] ACL ALLOW: [TCP] 198.51.100.7:{} -> {server}",
            reply.client.port()
        )
    );
    // The proxy's own requests (no header) are judged by its address.
    let reply = get(server, "/", &[]).unwrap();
    assert_eq!(reply.status, 403);
}

#[test]
fn an_unreadable_header_from_a_trusted_proxy_is_refused_with_an_error_line() {
    let fw = firewall(vec![
        Rule::new(ALLOW, ANY, ANY, ANY, ANY, "everything").unwrap()
    ]);
    let middleware = fw
        .clone()
        .middleware()
        .trusted_proxies(["127.0.0.1"])
        .unwrap();
    let server = start("127.0.0.1:0", middleware).unwrap();
    let reply = get(server, "/", &[("X-Forwarded-For", "203.0.113.9, unknown")]).unwrap();
    assert_eq!((reply.status, reply.body.as_str()), (403, DENIED));
    let lines = log_lines_with(&log(), &format!("trusted proxy {}:", reply.client));
    assert_eq!(
        lines,
        [format!(
            "[ERROR] Firewall Processing Error: malformed x-forwarded-for header from trusted proxy {}: `unknown` is not an address",
            reply.client
        )]
    );
    // A control character the client sent stays on its one line, escaped once.
    let tabbed = get(server, "/", &[("X-Forwarded-For", "a\tb")]).unwrap();
    assert_eq!(tabbed.status, 403);
    assert_eq!(
        log_lines_with(&log(), &format!("trusted proxy {}:", tabbed.client)),
        [format!(
            "[ERROR] Firewall Processing Error: malformed x-forwarded-for header from trusted proxy {}: `a\\tb` is not an address",
            tabbed.client
        )]
    );
    assert_eq!((fw.stats().allowed, fw.stats().dropped), (0, 2));
}

#[test]
fn rules_replaced_mid_traffic_give_one_set_or_the_other_per_request() {
    let open = || vec![Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "open").unwrap()];
    let closed = || vec![Rule::new(DROP, ANY, ANY, ANY, ANY, "closed").unwrap()];
    let fw = firewall(open());
    let server = start("127.0.0.1:0", fw.middleware()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (fw, stop) = (fw.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut swaps = 0_u32;
            while !stop.load(Ordering::Relaxed) {
                let rules = if swaps % 2 == 0 { closed() } else { open() };
                fw.set_rules(rules).unwrap();
                swaps += 1;
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            swaps
        })
    };
    let replies: Vec<Reply> = (0..200).map(|_| get(server, "/", &[]).unwrap()).collect();
    stop.store(true, Ordering::Relaxed);
    assert!(
        swapper.join().unwrap() > 10,
        "the rules were swapped during the traffic"
    );
    let mut seen = (0, 0);
    for reply in &replies {
        let line = acl_line(reply, server);
        match (reply.status, reply.body.as_str()) {
            (200, "served") => {
                seen.0 += 1;
                assert_eq!(
                    line,
                    format!("[INFO] ACL ALLOW: [TCP] {} -> {server}", reply.client)
                );
            }
            (403, DENIED) => {
                seen.1 += 1;
                assert_eq!(
                    line,
                    format!(
                        "[WARNING] ACL DROP: [TCP] {} -> {server} - Matched rule #1: closed",
                        reply.client
                    )
                );
            }
            other => panic!("neither set answers {other:?}"),
        }
    }
    assert!(seen.0 > 0 && seen.1 > 0, "both sets answered: {seen:?}");
    let stats = fw.stats();
    assert_eq!((stats.allowed, stats.dropped), (seen.0, seen.1));
}
