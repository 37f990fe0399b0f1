//! Limits and bans shared through Redis, over HTTP: two app instances (two
//! firewalls, two servers on two loopback ports) read one rules file whose
//! `[store]` table names a `redis-server` of the test's own, on a free
//! loopback port. Skipped, with `SKIPPED`, when `redis-server` is not
//! installed (CI installs it).
//!
//! Clients are told apart by `X-Forwarded-For` from the trusted 127.0.0.1.

mod support;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use actix_web::middleware::Condition;
use actix_web::{web, App, HttpServer};
use firewall_actix::{firewall, Firewall, FirewallExt, TrustedProxies};
use firewall_store::testing::RedisServer;
use support::{get, log_lines_with, serve};

/// How long a ban made on one instance may take to refuse on another.
const PROPAGATION: Duration = Duration::from_secs(1);

fn log() -> PathBuf {
    support::log_file("it_shared_store")
}

/// Guarded by the `login` limit, on the WAF path.
#[firewall(limit = "login")]
async fn login() -> &'static str {
    "welcome"
}

/// Guarded by the `login` limit, without the WAF (ban, ACL and limits only).
#[firewall(limit = "login", waf = "off")]
async fn login_plain() -> &'static str {
    "welcome"
}

/// One instance: a firewall reading `rules` (with its `[store]` table),
/// served on its own port by two workers behind the middleware. Returns
/// once the store is attached (the workers connect it before serving).
fn instance(rules: &str) -> (Firewall, SocketAddr) {
    instance_serving(rules, true)
}

/// [`instance`], the middleware in front or not (`wrapped`). Besides `/`
/// and `/strict` it serves `#[firewall(limit = "login")]` handlers at
/// `/login` (the WAF path) and `/login-plain` (`waf = "off"`), with the
/// firewall and the trusted 127.0.0.1 as app data. Without the middleware
/// the first guarded request connects the store.
fn instance_serving(rules: &str, wrapped: bool) -> (Firewall, SocketAddr) {
    log();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("rules.toml");
    std::fs::write(&path, rules).expect("the rules file is written");
    let fw = Firewall::new("it_shared_store");
    fw.reload_file(&path).expect("the rules file is valid");
    assert!(fw.store_config().is_some(), "the [store] table is read");
    let served = fw.clone();
    let addr = serve("127.0.0.1:0", move |listener| {
        Ok(HttpServer::new(move || {
            let middleware = served
                .middleware()
                .trusted_proxies(["127.0.0.1"])
                .expect("a valid proxy");
            let proxies = TrustedProxies::new(["127.0.0.1"]).expect("a valid proxy");
            App::new()
                .wrap(Condition::new(wrapped, middleware))
                .app_data(served.clone())
                .app_data(proxies)
                .route("/", web::get().to(|| async { "home" }))
                .route("/strict", web::get().to(|| async { "strict" }))
                .route("/login", web::get().to(login))
                .route("/login-plain", web::get().to(login_plain))
        })
        .workers(2)
        .listen(listener)?
        .run())
    })
    .expect("127.0.0.1 binds")
    .addr;
    if wrapped {
        assert!(
            eventually(Duration::from_secs(10), || fw.has_shared_store()),
            "the middleware connects the store"
        );
    }
    // The folder may go: the rules are read.
    drop(dir);
    (fw, addr)
}

/// Allow everyone, the given `[[limit]]` tables, and the store.
fn rules(redis: &str, prefix: &str, extra: &str) -> String {
    format!(
        "[[rule]]\naction = \"ALLOW\"\nproto = \"TCP\"\ndport = \"ANY\"\nsrc_cidr = \"ANY\"\ndst_cidr = \"ANY\"\n\
         {extra}\n[store]\nredis = \"{redis}\"\nprefix = \"{prefix}\"\n"
    )
}

/// Polls (every 5 ms, at most `within`) until `done` holds.
fn eventually(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    done()
}

fn status(server: SocketAddr, path: &str, client: &str) -> u16 {
    get(server, path, &[("X-Forwarded-For", client)])
        .expect("an answer")
        .status
}

#[test]
fn a_thousand_concurrent_requests_over_two_instances_let_exactly_100_through() {
    let Some(redis) = RedisServer::start_or_skip("shared_store::exactly_100") else {
        return;
    };
    // A busy test machine must not push a decision past the timeout (that
    // would fall back in process and make the count inexact).
    let limit = "[[limit]]\nname = \"flood\"\nquota = \"100/1d\"\n";
    let text = rules(&redis.url(), "exact", limit) + "timeout_ms = 2000\n";
    let (a, on_a) = instance(&text);
    let (b, on_b) = instance(&text);
    let threads: Vec<_> = (0..100)
        .map(|t| {
            std::thread::spawn(move || {
                (0..10)
                    .map(|n| {
                        let server = if (t + n) % 2 == 0 { on_a } else { on_b };
                        status(server, "/", "198.51.100.7")
                    })
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    let statuses: Vec<u16> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("the client thread"))
        .collect();
    let ok = statuses.iter().filter(|&&s| s == 200).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((ok, refused), (100, 900));
    assert_eq!(a.stats().allowed + b.stats().allowed, 100);
    assert!(
        a.stats().allowed > 0 && b.stats().allowed > 0,
        "both served"
    );
    assert!(a.store_state().connected && b.store_state().connected);
}

#[test]
fn a_ban_made_on_one_instance_refuses_on_the_other_within_a_second() {
    let Some(redis) = RedisServer::start_or_skip("shared_store::ban_propagates") else {
        return;
    };
    let text = rules(&redis.url(), "bans", "") + "timeout_ms = 2000\n";
    let (a, _) = instance(&text);
    let (b, on_b) = instance(&text);
    let banned = "203.0.113.9";
    assert_eq!(status(on_b, "/", banned), 200);
    let ip: IpAddr = banned.parse().unwrap();
    a.bans()
        .ban(ip, Duration::from_secs(600), "abuse report")
        .expect("a ban");
    let start = Instant::now();
    assert!(
        eventually(PROPAGATION, || status(on_b, "/", banned) == 403),
        "the ban refuses on B within {PROPAGATION:?}"
    );
    println!("ban made on A refused on B after {:?}", start.elapsed());
    assert_eq!(
        b.bans().is_banned(ip).map(|ban| ban.reason),
        Some("abuse report".into())
    );
    assert_eq!(status(on_b, "/", "203.0.113.10"), 200);

    // Lifted on B: lifted on A too.
    assert!(b.bans().unban(ip).is_some());
    assert!(eventually(PROPAGATION, || a.bans().is_banned(ip).is_none()));

    // A restarted instance loads the bans in force before it serves.
    a.bans()
        .ban(ip, Duration::from_secs(600), "still banned")
        .expect("a ban");
    assert!(eventually(PROPAGATION, || b.bans().is_banned(ip).is_some()));
    let (_, restarted) = instance(&text);
    assert_eq!(status(restarted, "/", banned), 403);
    assert_eq!(status(restarted, "/", "203.0.113.10"), 200);
}

#[test]
fn strikes_on_two_instances_add_up_to_one_ban() {
    let Some(redis) = RedisServer::start_or_skip("shared_store::strikes") else {
        return;
    };
    // Four refusals of a 1/1d limit in a minute ban; two on each instance.
    let text = rules(
        &redis.url(),
        "strikes",
        "[[limit]]\nname = \"one\"\nquota = \"1/1d\"\n\n\
         [bans]\nstrikes = 4\nwindow = \"60s\"\nduration = \"10m\"\ncount = [\"rate\"]\n",
    ) + "timeout_ms = 2000\n";
    let (a, on_a) = instance(&text);
    let (b, on_b) = instance(&text);
    let client = "192.0.2.44";
    let ip: IpAddr = client.parse().unwrap();
    assert_eq!(status(on_a, "/", client), 200);
    for server in [on_a, on_b, on_a] {
        assert_eq!(status(server, "/", client), 429);
    }
    // Three strikes: no ban yet, on either instance.
    std::thread::sleep(Duration::from_millis(100));
    assert!(a.bans().is_banned(ip).is_none() && b.bans().is_banned(ip).is_none());
    assert_eq!(status(on_b, "/", client), 429);
    assert!(
        eventually(PROPAGATION, || a.bans().is_banned(ip).is_some()
            && b.bans().is_banned(ip).is_some()),
        "the fourth strike, on B, bans on both"
    );
    let ban = a.bans().is_banned(ip).unwrap();
    assert_eq!(&*ban.reason, "4 rate-limit refusals in 60s");
    assert_eq!(status(on_a, "/", client), 403);
}

/// The store's WARNING and INFO lines about this Redis.
fn store_lines(redis: &RedisServer) -> (Vec<String>, Vec<String>) {
    let url = format!("Store: Redis at {}", redis.url());
    let lines = log_lines_with(&log(), &url);
    let warnings = lines
        .iter()
        .filter(|l| l.starts_with("[WARNING]") && l.contains("not answering"))
        .cloned()
        .collect();
    let infos = lines
        .iter()
        .filter(|l| l.starts_with("[INFO]") && l.contains("answering again"))
        .cloned()
        .collect();
    (warnings, infos)
}

#[test]
fn redis_killed_mid_traffic_fails_open_and_closed_as_configured_and_never_5xx() {
    let Some(mut redis) = RedisServer::start_or_skip("shared_store::chaos_kill") else {
        return;
    };
    // "open": never reached, fails open (in process); "strict": never
    // reached either, but refused while Redis is down.
    let text = rules(
        &redis.url(),
        "chaos",
        "[[limit]]\nname = \"open\"\nquota = \"100000/1d\"\nroute = \"/\"\n\n\
         [[limit]]\nname = \"strict\"\nquota = \"100000/1d\"\nroute = \"/strict\"\n",
    ) + "timeout_ms = 100\nfail_closed = [\"strict\"]\n";
    let (fw, server) = instance(&text);
    let mut statuses = Vec::new();
    let mut down = Vec::new();
    for n in 0..300 {
        if n == 100 {
            redis.kill();
        }
        let client = format!("198.51.100.{}", n % 200 + 1);
        let (open, strict) = (
            status(server, "/", &client),
            status(server, "/strict", &client),
        );
        statuses.extend([open, strict]);
        if n >= 100 {
            down.push((open, strict));
        }
    }
    assert!(statuses.iter().all(|&s| s < 500), "no 5xx: {statuses:?}");
    assert!(
        statuses[..200].iter().all(|&s| s == 200),
        "Redis up: all served"
    );
    // Once the store knows Redis is gone (at the first failed call), the
    // open limit serves and the closed one refuses with 429.
    let after = &down[down.len() - 100..];
    assert!(
        after
            .iter()
            .all(|&(open, strict)| open == 200 && strict == 429),
        "{after:?}"
    );
    assert!(!fw.store_state().connected);
    assert!(fw.store_state().degraded_since.is_some());

    redis
        .restart()
        .expect("redis-server starts again on its port");
    assert!(
        eventually(Duration::from_secs(10), || fw.store_state().connected),
        "the store reconnects"
    );
    assert_eq!(status(server, "/strict", "198.51.100.1"), 200);
    let (warnings, infos) = store_lines(&redis);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(infos.len(), 1, "{infos:?}");
}

#[test]
fn redis_paused_longer_than_the_timeout_still_answers_every_request() {
    let Some(mut redis) = RedisServer::start_or_skip("shared_store::chaos_pause") else {
        return;
    };
    let text = rules(
        &redis.url(),
        "pause",
        "[[limit]]\nname = \"open\"\nquota = \"100000/1d\"\n",
    ) + "timeout_ms = 20\n";
    let (fw, server) = instance(&text);
    assert_eq!(status(server, "/", "198.51.100.1"), 200);
    redis.pause().expect("SIGSTOP");
    let mut latencies = Vec::new();
    for n in 0..50 {
        let start = Instant::now();
        let answered = status(server, "/", &format!("198.51.100.{}", n + 2));
        latencies.push(start.elapsed());
        assert_eq!(answered, 200, "request {n} served in process");
    }
    redis.resume().expect("SIGCONT");
    latencies.sort_unstable();
    println!(
        "Redis paused, timeout 20 ms: 50 requests answered, latency min {:?}, median {:?}, max {:?}",
        latencies[0], latencies[25], latencies[49]
    );
    assert!(latencies[49] < Duration::from_secs(1), "{latencies:?}");
    assert!(
        eventually(Duration::from_secs(10), || fw.store_state().connected),
        "the store reconnects once Redis answers"
    );
}

#[test]
fn the_web_monitor_shows_the_store_connected_then_degraded() {
    let Some(mut redis) = RedisServer::start_or_skip("shared_store::monitor") else {
        return;
    };
    let text = rules(
        &redis.url(),
        "monitor",
        "[[limit]]\nname = \"open\"\nquota = \"100000/1d\"\n",
    ) + "timeout_ms = 100\n";
    let (fw, server) = instance(&text);
    let config = firewall_actix::monitor::MonitorConfig::new("127.0.0.1", 0);
    let monitor =
        firewall_actix::monitor::WebMonitor::start(&fw, config).expect("the monitor starts");
    let store = || -> serde_json::Value {
        let reply = get(monitor.addr(), "/api/store", &[]).expect("an answer");
        assert_eq!(reply.status, 200);
        serde_json::from_str(&reply.body).expect("JSON")
    };
    assert_eq!(status(server, "/", "198.51.100.1"), 200);
    let up = store();
    assert_eq!(up["backend"], "redis");
    assert_eq!(up["url"], redis.url());
    assert_eq!(up["connected"], true);
    assert!(up["degraded_since"].is_null());
    assert!(
        up["last_rtt_ms"].as_f64().is_some_and(|ms| ms > 0.0),
        "{up}"
    );

    redis.kill();
    assert_eq!(status(server, "/", "198.51.100.1"), 200);
    let down = store();
    assert_eq!(down["connected"], false, "{down}");
    assert!(
        down["degraded_since"]
            .as_str()
            .is_some_and(|t| t.len() == 23),
        "{down}"
    );
    assert_eq!(down["outages"], 1);
    monitor.stop();
}

#[test]
fn a_limit_keyed_by_an_api_key_is_shared_per_key_across_instances() {
    let Some(redis) = RedisServer::start_or_skip("shared_store::keyed") else {
        return;
    };
    let text = rules(&redis.url(), "keyed", "") + "timeout_ms = 2000\n";
    let (a, on_a) = instance(&text);
    let (b, on_b) = instance(&text);
    for fw in [&a, &b] {
        let api = firewall_actix::limit::Limit::new("api", "3/1d".parse().expect("a quota"))
            .expect("a limit")
            .key_by(|request| request.header("x-api-key").map(str::to_owned));
        fw.set_limits(vec![api]).expect("one limit");
    }
    let call = |server, key: &str| {
        get(
            server,
            "/",
            &[("X-Forwarded-For", "198.51.100.9"), ("X-Api-Key", key)],
        )
        .expect("an answer")
        .status
    };
    // One key over both instances shares one quota of 3 ...
    let first: Vec<u16> = [on_a, on_b, on_a, on_b]
        .into_iter()
        .map(|server| call(server, "secret-key-one"))
        .collect();
    assert_eq!(first, [200, 200, 200, 429]);
    // ... and another key from the same address has its own.
    assert_eq!(call(on_b, "secret-key-two"), 200);
    let refusals = log_lines_with(&log(), "limit \"api\" 3/1d key #");
    assert!(!refusals.is_empty(), "the refusal names the key's digest");
    assert!(
        refusals.iter().all(|line| !line.contains("secret-key")),
        "the key itself is never logged: {refusals:?}"
    );
}

#[test]
fn a_ban_policy_set_after_the_store_connected_decides_the_ban_length() {
    let Some(redis) = RedisServer::start_or_skip("shared_store::policy") else {
        return;
    };
    let text = rules(
        &redis.url(),
        "policy",
        "[[limit]]\nname = \"one\"\nquota = \"1/1d\"\n\n\
         [bans]\nstrikes = 2\nwindow = \"60s\"\nduration = \"10m\"\ncount = [\"rate\"]\n",
    ) + "timeout_ms = 2000\n";
    let (a, on_a) = instance(&text);
    // As a reload of the `[bans]` table would: bans now last an hour.
    let hour =
        firewall_actix::ban::BanPolicy::new(2, Duration::from_secs(60), Duration::from_secs(3600))
            .expect("a policy")
            .count(firewall_actix::ban::StrikeKind::AclDrop, false)
            .count(firewall_actix::ban::StrikeKind::WafDrop, false);
    a.set_ban_policy(hour);
    let client = "192.0.2.45";
    let ip: IpAddr = client.parse().unwrap();
    assert_eq!(status(on_a, "/", client), 200);
    assert_eq!(status(on_a, "/", client), 429);
    assert_eq!(status(on_a, "/", client), 429);
    assert!(
        eventually(PROPAGATION, || a.bans().is_banned(ip).is_some()),
        "two strikes ban"
    );
    let ban = a.bans().is_banned(ip).unwrap();
    assert_eq!(ban.duration().as_secs(), 3600, "{ban:?}");
}

/// The `login` limit, 5 a day, on a route of its own, so that only the
/// handlers' `#[firewall(limit = "login")]` counts it.
fn login_rules(redis: &RedisServer, prefix: &str) -> String {
    let limit = "[[limit]]\nname = \"login\"\nquota = \"5/1d\"\nroute = \"/elsewhere\"\n";
    rules(&redis.url(), prefix, limit) + "timeout_ms = 2000\n"
}

/// 20 requests from one client, alternating over `servers` and `paths`:
/// how many were served (200) and refused (429), and the other statuses.
fn login_statuses(servers: [SocketAddr; 2], paths: [&str; 2]) -> (usize, usize, Vec<u16>) {
    let statuses: Vec<u16> = (0..20)
        .map(|n| status(servers[n % 2], paths[n / 2 % 2], "198.51.100.77"))
        .collect();
    let ok = statuses.iter().filter(|&&s| s == 200).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    let other = statuses
        .into_iter()
        .filter(|s| ![200, 429].contains(s))
        .collect();
    (ok, refused, other)
}

#[test]
fn a_handler_limit_without_the_middleware_is_shared_across_instances() {
    let Some(redis) = RedisServer::start_or_skip("shared_store::handler_alone") else {
        return;
    };
    let text = login_rules(&redis, "alone");
    let (a, on_a) = instance_serving(&text, false);
    let (b, on_b) = instance_serving(&text, false);
    let counted = login_statuses([on_a, on_b], ["/login", "/login-plain"]);
    assert_eq!(counted, (5, 15, vec![]));
    assert!(
        a.has_shared_store() && b.has_shared_store(),
        "the first guarded request connects the store"
    );
    assert_eq!(a.stats().dropped + b.stats().dropped, 15);
}

#[test]
fn a_handler_limit_behind_the_middleware_is_counted_once_in_the_store() {
    let Some(redis) = RedisServer::start_or_skip("shared_store::handler_behind") else {
        return;
    };
    let text = login_rules(&redis, "behind");
    let (a, on_a) = instance_serving(&text, true);
    let (b, on_b) = instance_serving(&text, true);
    let counted = login_statuses([on_a, on_b], ["/login", "/login-plain"]);
    assert_eq!(counted, (5, 15, vec![]));
    assert_eq!(a.stats().dropped + b.stats().dropped, 15);
}
