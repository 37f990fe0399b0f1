//! The server the load benchmark (`firewall-actix/benches/load.sh`) starts, one
//! configuration at a time, on 127.0.0.1.
//!
//! ```sh
//! BENCH_CONFIG=rules10 BENCH_LOG=on BENCH_PORT=18080 cargo run --release --example bench_server
//! ```
//!
//! - `BENCH_CONFIG`: `bare` (no firewall), `rules10` (the middleware with 10
//!   rules), `rules1m` (the middleware with 1,000,000 rules), `macro` (the
//!   attribute on the handler, 10 rules), `waf` (the middleware with 10 rules
//!   and the WAF at its default settings; `waf_accented` and `waf_new_head`
//!   are the same server, the script sends the first a form with a few
//!   letters that are not ASCII, the second the form with every value of
//!   its head new at each request),
//!   `bare_post` (the same server as
//!   `bare`: the script loads it with the WAF configurations' POST request),
//!   `limit` (the middleware with 10 rules and a rate limit over every
//!   route that is never reached: 1,000,000,000 a second), `bans100k` (the
//!   middleware with 10 rules and 100,000 active bans in 10.0.0.0/8, the
//!   client not banned), `limit_redis` and `bans100k_redis` (the same, with
//!   limits and bans shared through the Redis at `BENCH_REDIS`: the limit
//!   decided in Redis at every request; the 100,000 bans written to Redis
//!   first, then loaded by the firewall as a restarted instance would;
//!   `BENCH_REDIS_TIMEOUT_MS`: the store's timeout, default 5 as in
//!   production),
//!   `limit_flood` (the middleware with 10 rules, one
//!   allowing 100.64.0.0/10, trusting `X-Forwarded-For` from 127.0.0.1,
//!   and a limit of 100 an hour per client over every route with
//!   `max_keys` 100,000: the script sends each request from a new
//!   forwarded address, a flood of distinct clients), `bare_flood` (bare
//!   Actix loaded with that script).
//!   Every configuration answers `GET /` and `POST /` (the body is read).
//!   In every firewall configuration the
//!   rule that allows loopback is the last one, the costliest place for it.
//!   A name ending in `_metrics` (`rules10_metrics`) also mounts
//!   `GET /metrics`, which turns on the decision-latency histogram.
//! - `BENCH_LOG`: `on` writes every decision to `<BENCH_DIR>/bench_firewall.log`
//!   (console off: a terminal would be the bottleneck), `json` the same as
//!   JSON lines, `off` installs no logger.
//! - `BENCH_WORKERS`: Actix workers (default 1).
//!
//! On SIGINT/SIGTERM it stops, flushes the log and prints
//! `STATS allowed=N dropped=M` so the script can check every line was written
//! (and, with Redis, `STORE outages=N rtt_us=N`: outages must be 0 for the
//! row to count Redis decisions), then `RSS ready=A end=B keys=K`: the
//! resident set size (in MB) when it was ready and when it stopped, and the
//! keys the limit holds (`-` without one).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{get, post, web, App, HttpResponse, HttpServer, Responder};
use firewall_actix::limit::Limit;
use firewall_actix::waf::{Waf, WafConfig};
use firewall_actix::{
    firewall, metrics_resource, Firewall, FirewallExt, Rule, ALLOW, ANY, DROP, TCP,
};

#[get("/")]
async fn bare() -> impl Responder {
    HttpResponse::Ok().body("ok")
}

#[post("/")]
async fn submit(body: web::Bytes) -> impl Responder {
    HttpResponse::Ok().body(format!("ok {}", body.len()))
}

#[get("/")]
#[firewall]
async fn guarded() -> impl Responder {
    HttpResponse::Ok().body("ok")
}

/// Resident set size of this process in MB (Linux), 0 elsewhere.
fn rss_mb() -> f64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    #[allow(clippy::cast_precision_loss)] // far below 2^52
    let bytes = (pages * 4096) as f64;
    bytes / 1e6
}

/// The keys the flood's limit may hold.
const FLOOD_MAX_KEYS: usize = 100_000;

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// `count - 1` rules that never match loopback, then the ALLOW for it.
fn rules(count: usize) -> Vec<Rule> {
    let mut rules = Vec::with_capacity(count);
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    while rules.len() + 1 < count {
        let bits = random();
        let action = if bits & 1 == 0 { DROP } else { ALLOW };
        // Port 0 is not a port (the rule parser refuses it).
        let port = ((bits >> 8) as u16).max(1);
        let rule = if bits & 2 == 0 {
            // IPv4 networks in 10.0.0.0/8 of prefix 8..=32: never loopback.
            let prefix = 8 + (bits >> 24) as u8 % 25;
            let host = 0x0A00_0000 | ((bits >> 32) as u32 & 0x00FF_FFFF);
            let net = format!(
                "{}/{prefix}",
                Ipv4Addr::from(host & (u32::MAX << (32 - prefix)))
            );
            Rule::new(action, TCP, port, net.as_str(), ANY, "generated")
        } else {
            // IPv6 documentation networks: never an IPv4 client.
            let prefix = 32 + (bits >> 24) as u8 % 97;
            let host = (0x2001_0db8_u128 << 96) | u128::from(random());
            let net = format!(
                "{}/{prefix}",
                Ipv6Addr::from(host & (u128::MAX << (128 - prefix)))
            );
            Rule::new(action, TCP, port, net.as_str(), ANY, "generated")
        };
        rules.push(rule.expect("generated rules are valid"));
    }
    rules.push(Rule::new(ALLOW, TCP, ANY, "127.0.0.0/8", ANY, "loopback").expect("valid"));
    rules
}

fn firewall_with(count: usize) -> Firewall {
    let started = Instant::now();
    let fw = Firewall::new("bench");
    fw.set_rules(rules(count))
        .expect("generated rules are valid");
    eprintln!("loaded {count} rules in {:.2?}", started.elapsed());
    fw
}

/// 100,000 bans of a day on addresses of 10.0.0.0/8 (logged before the
/// server is ready, so not among the lines the script counts).
fn ban_100k(fw: &Firewall) {
    let started = Instant::now();
    for n in 0..100_000_u32 {
        let ip = IpAddr::V4(Ipv4Addr::from(0x0A00_0000 | n));
        fw.bans()
            .ban(ip, Duration::from_secs(86_400), "bench")
            .expect("not allowlisted");
    }
    eprintln!("banned 100000 addresses in {:.2?}", started.elapsed());
}

/// The Redis of `BENCH_REDIS`, for the `_redis` configurations.
fn redis_config() -> firewall_store::StoreConfig {
    let url = env("BENCH_REDIS", "redis://127.0.0.1:6379/0");
    let timeout_ms: u64 = env("BENCH_REDIS_TIMEOUT_MS", "5")
        .parse()
        .expect("BENCH_REDIS_TIMEOUT_MS is a number");
    firewall_store::StoreConfig::redis(url)
        .expect("BENCH_REDIS is a Redis URL")
        .prefix("bench")
        .expect("a valid prefix")
        .timeout(Duration::from_millis(timeout_ms))
        .expect("BENCH_REDIS_TIMEOUT_MS is 1 to 10000")
}

/// Writes 100,000 bans of a day on addresses of 10.0.0.0/8 to Redis through
/// a store of its own (a generous timeout, 500 calls at a time).
async fn ban_100k_in_redis() {
    let started = Instant::now();
    let config = redis_config()
        .timeout(Duration::from_secs(5))
        .expect("a valid timeout");
    let bans = Arc::new(firewall_actix::ban::Bans::new(
        firewall_actix::ban::BanPolicy::manual_only(),
    ));
    let store = firewall_store::Store::redis(config, bans)
        .await
        .expect("Redis answers");
    for chunk in 0..200_u32 {
        let calls = (0..500_u32).map(|n| {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0A00_0000 | (chunk * 500 + n)));
            store.ban(ip, Duration::from_secs(86_400), "bench")
        });
        for made in futures_util::future::join_all(calls).await {
            made.expect("not allowlisted");
        }
    }
    assert!(store.state().connected, "every ban reached Redis");
    eprintln!(
        "banned 100000 addresses in Redis in {:.2?}",
        started.elapsed()
    );
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let config = env("BENCH_CONFIG", "rules10");
    let port: u16 = env("BENCH_PORT", "18080")
        .parse()
        .expect("BENCH_PORT is a port");
    let workers: usize = env("BENCH_WORKERS", "1")
        .parse()
        .expect("BENCH_WORKERS is a number");
    let dir = env("BENCH_DIR", ".");
    let log = env("BENCH_LOG", "on");
    let _log = (log != "off").then(|| {
        let format = if log == "json" {
            firewall_actix::logger::LogFormat::Json
        } else {
            firewall_actix::logger::LogFormat::Text
        };
        let config = firewall_actix::logger::LogConfig::new("bench")
            .dir(&dir)
            .console(false)
            .format(format);
        firewall_actix::logger::init(config).expect("log file opens")
    });
    let metrics = config.ends_with("_metrics");
    let fw = match config.as_str() {
        "rules1m" => firewall_with(1_000_000),
        _ => firewall_with(10),
    };
    match config.as_str() {
        "limit" => {
            let never =
                Limit::new("never", "1000000000/1s".parse().expect("a quota")).expect("a limit");
            fw.set_limits(vec![never]).expect("one limit");
        }
        "bans100k" => ban_100k(&fw),
        "limit_redis" => {
            let never =
                Limit::new("never", "1000000000/1s".parse().expect("a quota")).expect("a limit");
            fw.set_limits(vec![never]).expect("one limit");
            firewall_store::share(&fw, redis_config())
                .await
                .expect("Redis answers");
        }
        "bans100k_redis" => {
            ban_100k_in_redis().await;
            let started = Instant::now();
            firewall_store::share(&fw, redis_config())
                .await
                .expect("Redis answers");
            eprintln!(
                "loaded {} bans from Redis in {:.2?}",
                fw.bans().len(),
                started.elapsed()
            );
        }
        "limit_flood" => {
            let mut rules = rules(10);
            rules.push(Rule::new(ALLOW, TCP, ANY, "100.64.0.0/10", ANY, "flood").expect("valid"));
            fw.set_rules(rules).expect("valid rules");
            // 100 an hour: no address sends more than one request, and
            // each key stays in use (36 s to go) for the whole run, so the
            // cap, not idleness, decides which keys go.
            let per_client = Limit::new("per_client", "100/1h".parse().expect("a quota"))
                .and_then(|l| l.max_keys(FLOOD_MAX_KEYS))
                .expect("a limit");
            fw.set_limits(vec![per_client]).expect("one limit");
        }
        _ => {}
    }
    if config.starts_with("waf") {
        fw.set_waf(Some(
            Waf::new(WafConfig::default()).expect("the default WAF compiles"),
        ));
    }
    let flood = config == "limit_flood";
    let addr = ("127.0.0.1", port);
    let app_fw = fw.clone();
    let server = match config.as_str() {
        "bare" | "bare_post" | "bare_flood" => {
            HttpServer::new(|| App::new().service(bare).service(submit))
                .workers(workers)
                .bind(addr)?
                .run()
        }
        "macro" => HttpServer::new(move || App::new().app_data(app_fw.clone()).service(guarded))
            .workers(workers)
            .bind(addr)?
            .run(),
        _ => HttpServer::new(move || {
            let middleware = if flood {
                app_fw
                    .middleware()
                    .trusted_proxies(["127.0.0.1"])
                    .expect("a valid proxy")
            } else {
                app_fw.middleware()
            };
            App::new()
                .configure(|app| {
                    if metrics {
                        app.service(metrics_resource("/metrics", app_fw.clone()));
                    }
                })
                .wrap(middleware)
                .service(bare)
                .service(submit)
        })
        .workers(workers)
        .bind(addr)?
        .run(),
    };
    let rss_ready = rss_mb();
    eprintln!("bench server ready on 127.0.0.1:{port}");
    server.await?;
    firewall_actix::logger::flush();
    let stats = fw.stats();
    println!("STATS allowed={} dropped={}", stats.allowed, stats.dropped);
    if fw.has_shared_store() {
        let store = fw.store_state();
        let rtt = store.last_rtt.map_or(0, |rtt| rtt.as_micros());
        println!("STORE outages={} rtt_us={rtt}", store.outages);
    }
    let keys = fw
        .limits()
        .iter()
        .next()
        .map_or_else(|| "-".to_owned(), |l| l.len().to_string());
    println!(
        "RSS ready={rss_ready:.1}MB end={:.1}MB keys={keys}",
        rss_mb()
    );
    Ok(())
}
