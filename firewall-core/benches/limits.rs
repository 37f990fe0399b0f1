//! Rate limits and bans: the cost of a limit check on one hot key and across
//! 1,000,000 distinct keys, of a ban check with 0 and 100,000 active bans, and
//! the memory 1,000,000 distinct client addresses take (bytes requested, counted
//! by an instrumented global allocator, and the process RSS from /proc).
//!
//! `cargo bench -p firewall-core --bench limits`
//! (memory only: `cargo bench -p firewall-core --bench limits -- memory-only`)

#![allow(clippy::cast_precision_loss, clippy::cast_possible_wrap)] // byte counts far below 2^52

use std::alloc::System;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use criterion::Criterion;
use firewall_core::ban::{BanPolicy, Bans};
use firewall_core::limit::{ClientKey, Limit, Quota, RateLimiter};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const MILLION: u32 = 1_000_000;

/// Bytes held now minus bytes held when `region` started.
fn held(region: &Region<'_, System>) -> isize {
    let c = region.change();
    c.bytes_allocated as isize - c.bytes_deallocated as isize
}

/// Resident set size of this process in bytes (Linux), 0 elsewhere.
fn rss() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// The `n`-th of a million distinct clients: half IPv4, half IPv6 /64s.
fn client(n: u32) -> IpAddr {
    if n % 2 == 0 {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
    } else {
        IpAddr::V6(Ipv6Addr::from(
            (0x2001_0db8_u128 << 96) | (u128::from(n) << 64) | 1,
        ))
    }
}

/// A limit no client reaches in a benchmark: a billion per second.
fn never_reached() -> Limit {
    let quota = Quota::with_burst(1_000_000_000, Duration::from_secs(1), u32::MAX).expect("valid");
    Limit::new("bench", quota).expect("valid")
}

/// One request from each of a million distinct clients against a limit of
/// 10 per hour (every key stays limited for the whole run, none is idle),
/// with `max_keys` as given.
fn limit_memory(max_keys: usize) {
    let rss_before = rss();
    let region = Region::new(GLOBAL);
    let limit = Limit::new(
        "login",
        Quota::new(10, Duration::from_secs(3_600)).expect("valid"),
    )
    .and_then(|l| l.max_keys(max_keys))
    .expect("valid");
    let limiter = RateLimiter::new(limit);
    for n in 0..MILLION {
        let key = limiter.limit().key_for(client(n));
        assert!(limiter.check(&key).allowed);
    }
    let bytes = held(&region);
    let rss_after = rss();
    println!(
        "limit memory after {MILLION} distinct clients, max_keys {max_keys}: {} keys kept, {:.1} bytes/key requested ({:.1} MB), RSS +{:.1} MB (process RSS {:.1} MB)",
        limiter.len(),
        bytes as f64 / limiter.len() as f64,
        bytes as f64 / 1e6,
        (rss_after.saturating_sub(rss_before)) as f64 / 1e6,
        rss_after as f64 / 1e6,
    );
}

fn memory_report() {
    limit_memory(firewall_core::limit::DEFAULT_MAX_KEYS);
    limit_memory(1_000_000);

    let region = Region::new(GLOBAL);
    let bans = Bans::new(
        BanPolicy::new(20, Duration::from_secs(60), Duration::from_secs(600)).expect("valid"),
    );
    let reason: std::sync::Arc<str> = "20 WAF drops in 60s".into();
    for n in 0..100_000 {
        bans.ban(client(n), Duration::from_secs(3_600), reason.clone())
            .expect("not allowlisted");
    }
    println!(
        "ban memory at {} bans: {:.1} bytes/ban requested (reason text shared)",
        bans.len(),
        held(&region) as f64 / 100_000.0,
    );
}

fn bench_limits(c: &mut Criterion) {
    let mut group = c.benchmark_group("limit_check");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    let limiter = RateLimiter::new(never_reached());
    let hot = limiter
        .limit()
        .key_for("203.0.113.7".parse().expect("valid"));
    group.bench_function("hot_key", |b| {
        b.iter(|| limiter.check(black_box(&hot)));
    });

    // A million keys all still limited (1,000 per hour), so none is idle
    // and the table holds them all (cap with headroom for uneven shards).
    let quota = Quota::new(1_000, Duration::from_secs(3_600)).expect("valid");
    let limit = Limit::new("distinct", quota)
        .and_then(|l| l.max_keys(1_200_000))
        .expect("valid");
    let distinct = RateLimiter::new(limit);
    let keys: Vec<ClientKey> = (0..MILLION)
        .map(|n| distinct.limit().key_for(client(n)))
        .collect();
    for key in &keys {
        distinct.check(key);
    }
    assert_eq!(distinct.len(), keys.len());
    let mut i = 0usize;
    group.bench_function("1M_distinct_keys", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            distinct.check(black_box(&keys[i]))
        });
    });
    let ip: IpAddr = "203.0.113.7".parse().expect("valid");
    group.bench_function("key_from_ip_and_check", |b| {
        b.iter(|| limiter.check(&limiter.limit().key_for(black_box(ip))));
    });
    group.finish();
}

fn bench_bans(c: &mut Criterion) {
    let mut group = c.benchmark_group("ban_check");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let policy =
        BanPolicy::new(20, Duration::from_secs(60), Duration::from_secs(600)).expect("valid");
    let visitor: IpAddr = "198.51.100.1".parse().expect("valid");

    let none = Bans::new(policy.clone());
    group.bench_function("0_bans", |b| b.iter(|| none.is_banned(black_box(visitor))));

    let many = Bans::new(policy);
    for n in 0..100_000 {
        many.ban(client(n), Duration::from_secs(3_600), "bench")
            .expect("not allowlisted");
    }
    group.bench_function("100k_bans_not_banned", |b| {
        b.iter(|| many.is_banned(black_box(visitor)));
    });
    let banned = client(4_242);
    group.bench_function("100k_bans_banned", |b| {
        b.iter(|| many.is_banned(black_box(banned)));
    });
    group.finish();
}

fn main() {
    memory_report();
    if std::env::args().any(|a| a == "memory-only") {
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench_limits(&mut c);
    bench_bans(&mut c);
    c.final_summary();
}
