use std::sync::Arc;
use std::time::Duration;

use firewall_core::ban::{BanPolicy, Bans, StrikeKind};
use firewall_core::limit::{decide, ClientKey, Quota};
use proptest::prelude::*;

use super::{reason, RedisStore};
use crate::testing::RedisServer;
use crate::StoreConfig;

const SEC: u64 = 1_000_000_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn store(server: &RedisServer) -> RedisStore {
    let config = StoreConfig::redis(server.url())
        .unwrap()
        .prefix("difftest")
        .unwrap()
        // Generous: a slow answer on a busy machine must not fall back.
        .timeout(Duration::from_secs(5))
        .unwrap();
    let policy = BanPolicy::new(3, Duration::from_secs(60), Duration::from_secs(600)).unwrap();
    RedisStore::connect(config, Arc::new(Bans::new(policy)))
        .await
        .unwrap()
}

/// Quotas from one a second to one a year (the longest period), bursts a
/// sequence reaches, and a few far larger.
fn quota() -> impl Strategy<Value = Quota> {
    let periods = prop::sample::select(vec![1, 60, 3_600, 86_400, 604_800, 366 * 86_400]);
    let bursts = prop_oneof![4 => 1u32..40, 1 => 1u32..=u32::MAX];
    (1u32..100, periods, bursts).prop_map(|(count, secs, burst)| {
        Quota::with_burst(count, Duration::from_secs(secs), burst).unwrap()
    })
}

#[test]
fn the_lua_script_decides_as_gcra_rs_does() {
    let Some(server) = RedisServer::start_or_skip(module_path!()) else {
        return;
    };
    let rt = runtime();
    let store = rt.block_on(store(&server));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(48));
    let case = std::sync::atomic::AtomicU64::new(0);
    runner
        .run(
            &(
                quota(),
                // Start anywhere from 1970 to 2100, in nanoseconds.
                0u64..4_102_444_800 * SEC,
                prop::collection::vec(0u64..120 * SEC, 1..80),
            ),
            |(quota, start, gaps)| {
                let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let key = ClientKey::custom(format!("case-{n}"));
                let (mut tat, mut now) = (0u64, start);
                for gap in gaps {
                    // Mostly bursts (gap 0) with some pauses.
                    now += if gap % 3 == 0 { gap } else { 0 };
                    let (want, next) = decide(tat, now, &quota);
                    let got = rt
                        .block_on(store.gcra(&key, "diff", &quota, Some(now)))
                        .expect("redis answers");
                    prop_assert_eq!(got, want, "quota {} now {} tat {}", quota, now, tat);
                    if let Some(next) = next {
                        tat = next;
                    }
                    let stored: Option<String> = rt.block_on(async {
                        let mut conn = store.shared.conn.clone();
                        redis::cmd("GET")
                            .arg(store.shared.keys.limit(&key, "diff"))
                            .query_async(&mut conn)
                            .await
                            .unwrap()
                    });
                    if tat != 0 {
                        prop_assert_eq!(stored, Some(tat.to_string()));
                    }
                }
                Ok(())
            },
        )
        .unwrap();
    assert!(store.state().connected);
}

#[test]
fn the_server_clock_is_used_and_idle_keys_expire_with_their_quota() {
    let Some(server) = RedisServer::start_or_skip(module_path!()) else {
        return;
    };
    let rt = runtime();
    let store = rt.block_on(store(&server));
    let quota = Quota::per_minute(2).unwrap();
    let key = ClientKey::custom("clock");
    let first = rt.block_on(store.gcra(&key, "l", &quota, None)).unwrap();
    assert!(first.allowed);
    assert_eq!(first.remaining, 1);
    assert_eq!(first.reset, Duration::from_secs(30));
    let ttl = server
        .command(&["PTTL", &store.shared.keys.limit(&key, "l")])
        .unwrap();
    let ttl: u64 = ttl.trim_start_matches(':').trim().parse().unwrap();
    assert!((29_000..=30_000).contains(&ttl), "PTTL {ttl}");
    rt.block_on(store.gcra(&key, "l", &quota, None)).unwrap();
    let refused = rt.block_on(store.gcra(&key, "l", &quota, None)).unwrap();
    assert!(!refused.allowed);
    assert_eq!(refused.retry_after_secs(), Some(30));
}

#[test]
fn the_reason_is_worded_as_in_process() {
    let policy = BanPolicy::new(4, Duration::from_secs(60), Duration::from_secs(600)).unwrap();
    let bans = Bans::new(policy);
    let ip = "192.0.2.1".parse().unwrap();
    for kind in [
        StrikeKind::WafDrop,
        StrikeKind::AclDrop,
        StrikeKind::WafDrop,
    ] {
        bans.strike(ip, kind);
    }
    let ban = bans.strike(ip, StrikeKind::RateLimited).unwrap();
    assert_eq!(reason([1, 2, 1], Duration::from_secs(60)), &*ban.reason);
    assert_eq!(
        reason([0, 3, 0], Duration::from_secs(300)),
        "3 WAF drops in 5m"
    );
}

/// Beyond 2^53 ns (104 days) of tolerance, doubles lose nanoseconds: a
/// script computing in plain nanoseconds answered `reset` 1 to 2 ns off
/// here. Times are (seconds, nanoseconds) pairs in the script now.
#[test]
fn a_tolerance_beyond_2_pow_53_nanoseconds_is_still_exact() {
    let Some(server) = RedisServer::start_or_skip(module_path!()) else {
        return;
    };
    let rt = runtime();
    let store = rt.block_on(store(&server));
    for case in 0..60u64 {
        let count = 1 + (case % 3) as u32;
        let burst = 20 + (case % 20) as u32;
        let quota = Quota::with_burst(count, Duration::from_secs(604_800), burst).unwrap();
        let key = ClientKey::custom(format!("long-{case}"));
        let (mut tat, mut now) = (0u64, 1_765_000_000_123_456_789 + case * 7_777_777);
        for step in 0..45u64 {
            now += (step * 2_654_435_761 + case) % (3 * SEC);
            let (want, next) = decide(tat, now, &quota);
            let got = rt
                .block_on(store.gcra(&key, "long", &quota, Some(now)))
                .unwrap();
            assert_eq!(got, want, "{quota} step {step} now {now} tat {tat}");
            if let Some(next) = next {
                tat = next;
            }
        }
    }
}
