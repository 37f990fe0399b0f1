//! The store against a local redis-server: a limit decision in Redis (one
//! EVALSHA round trip) next to the bare in-process limiter, a ban check
//! with 100,000 active bans (the local copy) next to the bare `Bans`, the
//! Redis calls per decision (INFO commandstats), decisions per second from
//! 64 concurrent tasks, and how long a new instance takes to load 100,000
//! bans.
//!
//! `cargo bench -p firewall-store --bench redis`

#![allow(clippy::cast_precision_loss)] // counts far below 2^52

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use firewall_core::ban::{BanPolicy, Bans};
use firewall_core::limit::{Limit, Quota, RateLimiter};
use firewall_store::testing::RedisServer;
use firewall_store::{Store, StoreConfig};

const BANS: u32 = 100_000;

/// A limit no client reaches: a billion per second.
fn never_reached() -> RateLimiter {
    let quota = Quota::with_burst(1_000_000_000, Duration::from_secs(1), u32::MAX).expect("valid");
    RateLimiter::new(Limit::new("bench", quota).expect("valid"))
}

fn policy() -> BanPolicy {
    BanPolicy::new(20, Duration::from_secs(60), Duration::from_secs(600)).expect("valid")
}

fn banned(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
}

async fn store(server: &RedisServer) -> Store {
    let config = StoreConfig::redis(server.url())
        .and_then(|c| c.prefix("bench"))
        // Never fall back during a benchmark: every decision goes to Redis.
        .and_then(|c| c.timeout(Duration::from_secs(2)))
        .expect("valid");
    Store::redis(config, Arc::new(Bans::new(policy())))
        .await
        .expect("redis-server answers")
}

/// `cmdstat_evalsha` calls so far.
fn evalsha_calls(server: &RedisServer) -> u64 {
    let info = server
        .command(&["INFO", "commandstats"])
        .unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|rest| rest.split(',').next()?.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let server = RedisServer::start().expect("redis-server (install it, or set REDIS_SERVER)");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let store = rt.block_on(store(&server));
    let limiter = never_reached();
    let key = limiter.limit().key_for("198.51.100.1".parse().expect("ip"));

    // Redis calls per decision.
    let before = evalsha_calls(&server);
    rt.block_on(async {
        for _ in 0..1_000 {
            black_box(store.check_limit(&limiter, &key).await);
        }
    });
    let per_decision = (evalsha_calls(&server) - before) as f64 / 1_000.0;

    // 64 tasks, 2,000 decisions each, on distinct keys.
    let start = Instant::now();
    rt.block_on(async {
        let limiter = Arc::new(never_reached());
        let tasks: Vec<_> = (0..64u32)
            .map(|t| {
                let (store, limiter) = (store.clone(), Arc::clone(&limiter));
                tokio::spawn(async move {
                    let key = limiter.limit().key_for(banned(200_000 + t));
                    for _ in 0..2_000 {
                        black_box(store.check_limit(&limiter, &key).await);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
    });
    let per_second = 128_000.0 / start.elapsed().as_secs_f64();

    // 100,000 bans made through the store, then a new instance loads them.
    rt.block_on(async {
        for chunk in 0..BANS / 1_000 {
            let made: Vec<_> = (0..1_000)
                .map(|i| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        store
                            .ban(
                                banned(chunk * 1_000 + i),
                                Duration::from_secs(3_600),
                                "bench",
                            )
                            .await
                    })
                })
                .collect();
            for ban in made {
                ban.await.expect("task").expect("ban");
            }
        }
    });
    let start = Instant::now();
    let restarted = rt.block_on(store_loaded(&server));
    let load = start.elapsed();

    let bare_bans = Bans::new(policy());
    for n in 0..BANS {
        bare_bans
            .ban(banned(n), Duration::from_secs(3_600), "bench")
            .expect("ban");
    }
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("store");
    group.bench_function("limit, in process (bare RateLimiter)", |b| {
        b.iter(|| black_box(limiter.check(&key)));
    });
    group.bench_function("limit, in Redis (never reached)", |b| {
        b.iter(|| rt.block_on(store.check_limit(&limiter, &key)));
    });
    let probe = banned(BANS / 2);
    let clean: IpAddr = "198.51.100.200".parse().expect("ip");
    group.bench_function("ban check, bare Bans, 100k bans, hit", |b| {
        b.iter(|| black_box(bare_bans.is_banned(probe)));
    });
    group.bench_function("ban check, Redis store, 100k bans, hit", |b| {
        b.iter(|| black_box(restarted.is_banned(probe)));
    });
    group.bench_function("ban check, bare Bans, 100k bans, miss", |b| {
        b.iter(|| black_box(bare_bans.is_banned(clean)));
    });
    group.bench_function("ban check, Redis store, 100k bans, miss", |b| {
        b.iter(|| black_box(restarted.is_banned(clean)));
    });
    group.finish();
    c.final_summary();

    println!("redis calls per limit decision: {per_decision:.3} (EVALSHA, INFO commandstats)");
    println!("limit decisions per second, 64 concurrent tasks, one store: {per_second:.0}");
    println!(
        "a new instance loads {} bans in {load:?} (SCAN + GET/PTTL pipelines)",
        restarted.bans().len()
    );
}

async fn store_loaded(server: &RedisServer) -> Store {
    store(server).await
}
