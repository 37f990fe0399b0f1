//! Rate limits on real sockets (`127.0.0.1` and `[::1]`): exact counts under
//! concurrency, the 429 and its headers, `Retry-After` honoured, how
//! clients are keyed (IPv4-mapped folded, IPv6 by /64), trusted proxies,
//! the `#[firewall(limit = ...)]` attribute and `[[limit]]` reloads.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use actix_web::{get, web, App, HttpServer, Responder};
use firewall_actix::limit::Limit;
use firewall_actix::{firewall, Firewall, FirewallExt, Rule, ALLOW, ANY};
use support::{get, log_lines_with, send, serve, Reply};

fn log() -> PathBuf {
    support::log_file("it_rate_limit")
}

/// Every address may connect; `limits` in force.
fn firewall_with(limits: Vec<Limit>) -> Firewall {
    let rules = vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "everyone").expect("a rule")];
    Firewall::new("it_rate_limit")
        .with_rules(rules)
        .expect("valid rules")
        .with_limits(limits)
        .expect("distinct names")
}

fn limit(name: &str, quota: &str, route: &str) -> Limit {
    Limit::new(name, quota.parse().expect("a quota"))
        .expect("a name")
        .route(route)
        .expect("a route")
}

#[get("/special")]
#[firewall(limit = "special")]
async fn special() -> impl Responder {
    "special"
}

#[get("/keyed")]
#[firewall(limit = "keyed")]
async fn keyed_handler() -> impl Responder {
    "keyed"
}

#[get("/unknown")]
#[firewall(limit = "nope")]
async fn unknown_limit() -> impl Responder {
    "never served"
}

/// A handler that sends its own rate-limit fields (an application's own
/// limiter, say).
async fn own_limit() -> impl Responder {
    actix_web::HttpResponse::Ok()
        .insert_header(("RateLimit-Policy", r#""app";q=100;w=3600"#))
        .insert_header(("RateLimit", r#""app";r=99;t=3600"#))
        .body("own")
}

/// The middleware (believing `X-Forwarded-For` from `proxies`) in front of
/// `/`, `/login`, and the attribute's `/special`, `/unknown` and `/keyed`.
fn start(fw: &Firewall, addr: &str, workers: usize, proxies: &[&str]) -> Option<SocketAddr> {
    log();
    let (fw, proxies) = (
        fw.clone(),
        proxies.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>(),
    );
    let running = serve(addr, move |listener| {
        Ok(HttpServer::new(move || {
            let middleware = fw
                .middleware()
                .trusted_proxies(&proxies)
                .expect("valid proxies");
            App::new()
                .wrap(middleware)
                .app_data(fw.clone())
                .route("/", web::get().to(|| async { "home" }))
                .route("/login", web::post().to(|| async { "welcome" }))
                .route("/own", web::get().to(own_limit))
                .service(special)
                .service(unknown_limit)
                .service(keyed_handler)
        })
        .workers(workers)
        .listen(listener)?
        .run())
    })?;
    Some(running.addr)
}

/// The status of `GET /` from `client` through the trusted proxy `server`.
fn status_from(server: SocketAddr, client: &str) -> u16 {
    get(server, "/", &from(client)).expect("an answer").status
}

fn from(client: &str) -> [(&str, &str); 1] {
    [("X-Forwarded-For", client)]
}

/// From `client` (through the trusted proxy) with the API key `key`.
fn keyed<'a>(client: &'a str, key: &'a str) -> [(&'a str, &'a str); 2] {
    [("X-Forwarded-For", client), ("X-Api-Key", key)]
}

/// A limit counted per `X-Api-Key` (per address without one).
fn by_api_key(name: &str, quota: &str, route: &str) -> Limit {
    limit(name, quota, route).key_by(|request| request.header("x-api-key").map(str::to_owned))
}

fn post(server: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reply {
    send(server, "POST", path, headers, b"user=ann").expect("an answer")
}

/// 1,000 requests from one client, 100 at a time, against 100 with no
/// refill during the test: exactly 100 pass.
fn exactly_100_of_1000(workers: usize) {
    let fw = firewall_with(vec![limit("flood", "100/1d", "/")]);
    let server = start(&fw, "127.0.0.1:0", workers, &[]).expect("127.0.0.1 binds");
    let threads: Vec<_> = (0..100)
        .map(|_| {
            std::thread::spawn(move || {
                (0..10)
                    .map(|_| get(server, "/", &[]).expect("an answer").status)
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    let mut statuses: Vec<u16> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("the client thread"))
        .collect();
    statuses.sort_unstable();
    let ok = statuses.iter().filter(|&&s| s == 200).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((ok, refused), (100, 900), "with {workers} worker(s)");
    let stats = fw.stats();
    assert_eq!((stats.allowed, stats.dropped), (100, 900));
}

#[test]
fn exactly_100_of_1000_concurrent_requests_pass_with_one_worker() {
    exactly_100_of_1000(1);
}

#[test]
fn exactly_100_of_1000_concurrent_requests_pass_with_four_workers() {
    exactly_100_of_1000(4);
}

#[test]
fn a_refusal_is_a_429_with_its_headers_and_one_rate_drop_line() {
    let fw = firewall_with(vec![limit("login", "2/60s", "/login")
        .method("POST")
        .expect("a method")]);
    fw.events().enable();
    let server = start(&fw, "127.0.0.1:0", 1, &["127.0.0.1"]).expect("127.0.0.1 binds");
    let client = from("203.0.113.7");

    let first = post(server, "/login", &client);
    assert_eq!((first.status, first.body.as_str()), (200, "welcome"));
    assert_eq!(
        first.header("ratelimit-policy"),
        Some(r#""login";q=2;w=60"#)
    );
    assert_eq!(first.header("ratelimit"), Some(r#""login";r=1;t=30"#));
    assert_eq!(first.header("retry-after"), None);
    // Another route, another method: not counted, no headers.
    let home = get(server, "/", &client).expect("an answer");
    assert_eq!((home.status, home.header("ratelimit")), (200, None));
    assert_eq!(post(server, "/login", &client).status, 200);

    let refused = post(server, "/login", &client);
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("30"));
    assert_eq!(
        refused.header("ratelimit-policy"),
        Some(r#""login";q=2;w=60"#)
    );
    assert_eq!(refused.header("ratelimit"), Some(r#""login";r=0;t=60"#));
    assert!(!refused.body.contains("welcome"), "the handler never runs");

    let port = server.port();
    let lines = log_lines_with(&log(), &format!("-> 127.0.0.1:{port} - limit"));
    assert_eq!(
        lines,
        [format!(
            "[WARNING] RATE DROP: [TCP] 203.0.113.7:{} -> 127.0.0.1:{port} - limit \"login\" 2/60s",
            refused.client.port()
        )]
    );
    let stats = fw.stats();
    assert_eq!((stats.allowed, stats.dropped), (3, 1));
    let events = fw.events().recent(0);
    assert_eq!(
        events.last().expect("events").reason,
        "ACL ALLOW by rule #1, then RATE DROP: limit \"login\" 2/60s"
    );
}

#[test]
fn after_retry_after_the_client_passes_again() {
    let fw = firewall_with(vec![limit("tick", "1/1s", "/")]);
    let server = start(&fw, "127.0.0.1:0", 1, &[]).expect("127.0.0.1 binds");
    assert_eq!(get(server, "/", &[]).expect("an answer").status, 200);
    let refused = get(server, "/", &[]).expect("an answer");
    assert_eq!(refused.status, 429);
    let wait: u64 = refused
        .header("retry-after")
        .and_then(|s| s.parse().ok())
        .expect("a Retry-After in seconds");
    assert_eq!(wait, 1);
    std::thread::sleep(Duration::from_secs(wait));
    assert_eq!(get(server, "/", &[]).expect("an answer").status, 200);
}

#[test]
fn an_ipv4_client_and_its_mapped_form_share_one_key() {
    let fw = firewall_with(vec![limit("pair", "2/1d", "/")]);
    let v4 = start(&fw, "127.0.0.1:0", 1, &[]).expect("127.0.0.1 binds");
    // A dual-stack socket: IPv4 clients arrive as ::ffff:127.0.0.1.
    let Some(mapped) = start(&fw, "[::ffff:127.0.0.1]:0", 1, &[]) else {
        return;
    };
    let seen = get(mapped, "/", &[]).expect("an answer");
    assert_eq!(seen.status, 200);
    assert_eq!(get(v4, "/", &[]).expect("an answer").status, 200);
    assert_eq!(get(mapped, "/", &[]).expect("an answer").status, 429);
    assert_eq!(get(v4, "/", &[]).expect("an answer").status, 429);
    // Through a proxy too: the forwarded `::ffff:` form is the same client.
    let proxied = start(&fw, "127.0.0.1:0", 1, &["127.0.0.1"]).expect("127.0.0.1 binds");
    assert_eq!(status_from(proxied, "::ffff:198.51.100.4"), 200);
    assert_eq!(status_from(proxied, "198.51.100.4"), 200);
    assert_eq!(status_from(proxied, "198.51.100.4"), 429);
}

#[test]
fn two_addresses_of_one_ipv6_slash_64_share_a_key_and_two_slash_64s_do_not() {
    let fw = firewall_with(vec![limit("v6", "1/1d", "/")]);
    let Some(server) = start(&fw, "[::1]:0", 1, &["::1"]) else {
        return;
    };
    assert_eq!(status_from(server, "2001:db8:0:1::1"), 200);
    assert_eq!(status_from(server, "2001:db8:0:1::2"), 429);
    assert_eq!(status_from(server, "2001:db8:0:1:ffff:ffff:ffff:ffff"), 429);
    assert_eq!(status_from(server, "2001:db8:0:2::1"), 200);
    let port = server.port();
    let lines = log_lines_with(&log(), &format!("-> [::1]:{port} - limit \"v6\""));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("[WARNING] RATE DROP: [TCP] [2001:db8:0:1::2]:"),
        "{lines:?}"
    );
}

#[test]
fn a_handlers_own_rate_limit_fields_are_kept_beside_the_firewalls() {
    let fw = firewall_with(vec![limit("api", "10/60s", "/own")]);
    let server = start(&fw, "127.0.0.1:0", 1, &["127.0.0.1"]).expect("127.0.0.1 binds");
    let reply = get(server, "/own", &from("203.0.113.9")).expect("an answer");
    assert_eq!((reply.status, reply.body.as_str()), (200, "own"));
    // Both fields are lists: the handler's member first, the firewall's after.
    assert_eq!(
        reply.headers("ratelimit-policy"),
        [r#""app";q=100;w=3600"#, r#""api";q=10;w=60"#]
    );
    assert_eq!(
        reply.headers("ratelimit"),
        [r#""app";r=99;t=3600"#, r#""api";r=9;t=6"#]
    );
}

#[test]
fn a_trusted_proxy_is_never_limited_and_the_client_it_forwards_is() {
    let fw = firewall_with(vec![limit("one", "1/1d", "/")]);
    let server = start(&fw, "127.0.0.1:0", 1, &["127.0.0.1"]).expect("127.0.0.1 binds");
    for _ in 0..3 {
        let own = get(server, "/", &[]).expect("an answer");
        assert_eq!(
            (own.status, own.header("ratelimit")),
            (200, None),
            "the proxy's own request"
        );
    }
    assert_eq!(status_from(server, "192.0.2.50"), 200);
    assert_eq!(status_from(server, "192.0.2.50"), 429);
    assert_eq!(get(server, "/", &[]).expect("an answer").status, 200);
}

#[test]
fn the_attribute_counts_its_named_limit_once_and_a_missing_one_is_a_500() {
    let fw = firewall_with(vec![limit("special", "1/1d", "/nowhere")]);
    let server = start(&fw, "127.0.0.1:0", 1, &["127.0.0.1"]).expect("127.0.0.1 binds");
    let first = get(server, "/special", &from("192.0.2.60")).expect("an answer");
    assert_eq!((first.status, first.body.as_str()), (200, "special"));
    assert_eq!(
        first.header("ratelimit-policy"),
        Some(r#""special";q=1;w=86400"#)
    );
    let second = get(server, "/special", &from("192.0.2.60")).expect("an answer");
    assert_eq!(second.status, 429);
    assert_eq!(second.header("retry-after"), Some("86400"));

    let missing = get(server, "/unknown", &from("192.0.2.61")).expect("an answer");
    assert_eq!(missing.status, 500);
    assert!(!missing.body.contains("never served"));
    let lines = log_lines_with(&log(), "has no limit named \"nope\"");
    assert!(
        lines
            .iter()
            .any(|l| l
                .starts_with("[ERROR] Firewall Processing Error: #[firewall(limit = \"nope\")]")),
        "{lines:?}"
    );
}

#[test]
fn a_limit_keyed_by_an_api_key_counts_each_key_alone_from_any_address() {
    let fw = firewall_with(vec![by_api_key("api", "2/1d", "/")]);
    let server = start(&fw, "127.0.0.1:0", 1, &["127.0.0.1"]).expect("127.0.0.1 binds");
    let status = |headers: &[(&str, &str)]| get(server, "/", headers).expect("an answer").status;
    // One address, two keys: two quotas.
    assert_eq!(status(&keyed("203.0.113.7", "alpha")), 200);
    assert_eq!(status(&keyed("203.0.113.7", "alpha")), 200);
    let refused = get(server, "/", &keyed("203.0.113.7", "alpha")).expect("an answer");
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("ratelimit"), Some(r#""api";r=0;t=86400"#));
    assert_eq!(status(&keyed("203.0.113.7", "beta")), 200);
    // One key, two addresses: one quota.
    assert_eq!(status(&keyed("198.51.100.9", "beta")), 200);
    assert_eq!(status(&keyed("198.51.100.9", "beta")), 429);
    assert_eq!(status(&keyed("192.0.2.200", "alpha")), 429);
    // No key: counted by address, apart from the keys it sent before.
    for _ in 0..2 {
        assert_eq!(status_from(server, "203.0.113.7"), 200);
    }
    assert_eq!(status_from(server, "203.0.113.7"), 429);

    // The line names the key by its fingerprint (sha256("alpha") starts
    // 8ed3f6ad685b), never the key itself.
    let port = server.port();
    let lines = log_lines_with(&log(), &format!("-> 127.0.0.1:{port} - limit \"api\""));
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(
        lines[0],
        format!(
            "[WARNING] RATE DROP: [TCP] 203.0.113.7:{} -> 127.0.0.1:{port} - limit \"api\" 2/1d key #8ed3f6ad685b",
            refused.client.port()
        )
    );
    assert!(lines[1].ends_with(" 2/1d key #f44e64e75f39"), "{lines:?}");
    assert!(
        lines[3].ends_with(" 2/1d"),
        "the address's own line: {lines:?}"
    );
    assert!(!lines
        .iter()
        .any(|l| l.contains("alpha") || l.contains("beta")));
}

#[test]
fn the_attribute_counts_a_limit_keyed_by_the_request() {
    let fw = firewall_with(vec![by_api_key("keyed", "1/1d", "/nowhere")]);
    let server = start(&fw, "127.0.0.1:0", 1, &["127.0.0.1"]).expect("127.0.0.1 binds");
    let status =
        |headers: &[(&str, &str)]| get(server, "/keyed", headers).expect("an answer").status;
    assert_eq!(status(&keyed("192.0.2.70", "gamma")), 200);
    assert_eq!(
        status(&keyed("192.0.2.71", "gamma")),
        429,
        "one key, two addresses"
    );
    assert_eq!(status(&keyed("192.0.2.70", "delta")), 200, "another key");
    // A key too long to store as given is stored (and logged) as its digest.
    let long = "k".repeat(4096);
    assert_eq!(status(&keyed("192.0.2.72", &long)), 200);
    assert_eq!(status(&keyed("192.0.2.73", &long)), 429);
    let port = server.port();
    let lines = log_lines_with(&log(), &format!("-> 127.0.0.1:{port} - limit \"keyed\""));
    assert_eq!(lines.len(), 2, "{lines:?}");
    // sha256("gamma") starts be9d587defa1.
    assert!(lines[0].ends_with(" 1/1d key #be9d587defa1"), "{lines:?}");
    // sha256 of 4,096 `k`s starts a1d2b474e178.
    assert!(lines[1].ends_with(" 1/1d key #a1d2b474e178"), "{lines:?}");
    assert!(
        lines
            .iter()
            .all(|l| !l.contains("kkkk") && !l.contains("gamma")),
        "{lines:?}"
    );
}

const RULE: &str = "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = \"ANY\"\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n";

#[test]
fn a_bad_limit_in_a_reload_keeps_everything_and_names_file_and_line() {
    let fw = firewall_with(Vec::new());
    let server = start(&fw, "127.0.0.1:0", 1, &["127.0.0.1"]).expect("127.0.0.1 binds");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("rules.toml");
    let good =
        format!("{RULE}\n[[limit]]\nname = \"login\"\nquota = \"2/1d\"\nroute = \"/login\"\n");
    std::fs::write(&path, &good).expect("written");
    assert_eq!(fw.reload_file(&path).expect("a good file"), 1);
    let client = from("192.0.2.70");
    assert_eq!(post(server, "/login", &client).status, 200);
    assert_eq!(post(server, "/login", &client).status, 200);
    assert_eq!(post(server, "/login", &client).status, 429);

    let bad =
        format!("{RULE}\n[[limit]]\nname = \"login\"\nquota = \"9/0s\"\nroute = \"/login\"\n");
    std::fs::write(&path, bad).expect("written");
    let err = fw.reload_file(&path).expect_err("a bad limit").to_string();
    assert_eq!(
        err,
        format!(
            "{}:10: [[limit]] #1: quota: quota: the period must be longer than 0",
            path.display()
        )
    );
    assert_eq!(
        post(server, "/login", &client).status,
        429,
        "the old limit and its state stay"
    );

    // The same limit again keeps what the client used; a new quota starts afresh.
    std::fs::write(&path, &good).expect("written");
    fw.reload_file(&path).expect("a good file");
    assert_eq!(post(server, "/login", &client).status, 429);
    std::fs::write(&path, good.replace("2/1d", "3/1d")).expect("written");
    fw.reload_file(&path).expect("a good file");
    assert_eq!(post(server, "/login", &client).status, 200);
}
