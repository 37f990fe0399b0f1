use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::*;

const NOW: u64 = 1_800_000_000_000_000_000;

fn limiter(quota: Quota) -> (RateLimiter, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(NOW));
    let limit = Limit::new("test", quota).unwrap();
    (RateLimiter::with_clock(limit, clock.clone()), clock)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// 1,000 requests from one client against 100 per minute, clock frozen.
fn allowed_with_threads(threads: usize) -> usize {
    let (limiter, _clock) = limiter(Quota::per_minute(100).unwrap());
    let limiter = Arc::new(limiter);
    let key = limiter.limit().key_for(ip("203.0.113.7"));
    let per_thread = 1_000 / threads;
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (limiter, key) = (limiter.clone(), key.clone());
            thread::spawn(move || {
                (0..per_thread)
                    .filter(|_| limiter.check(&key).allowed)
                    .count()
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).sum()
}

#[test]
fn exactly_100_of_1000_with_one_thread() {
    assert_eq!(allowed_with_threads(1), 100);
}

#[test]
fn exactly_100_of_1000_with_eight_threads() {
    assert_eq!(allowed_with_threads(8), 100);
}

#[test]
fn exactly_the_burst_of_many_keys_under_contention() {
    let (limiter, _clock) = limiter(Quota::per_minute(10).unwrap());
    let limiter = Arc::new(limiter);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let limiter = limiter.clone();
            thread::spawn(move || {
                let mut allowed = vec![0usize; 50];
                for _ in 0..30 {
                    for (n, count) in allowed.iter_mut().enumerate() {
                        let key = limiter
                            .limit()
                            .key_for(IpAddr::V4(Ipv4Addr::from(n as u32)));
                        *count += usize::from(limiter.check(&key).allowed);
                    }
                }
                allowed
            })
        })
        .collect();
    let mut total = vec![0usize; 50];
    for h in handles {
        for (t, a) in total.iter_mut().zip(h.join().unwrap()) {
            *t += a;
        }
    }
    assert!(total.iter().all(|&t| t == 10), "{total:?}");
}

#[test]
fn v4_and_its_mapped_form_share_one_bucket() {
    let (limiter, _clock) = limiter(Quota::per_minute(5).unwrap());
    let (v4, mapped) = (ip("203.0.113.7"), ip("::ffff:203.0.113.7"));
    for _ in 0..3 {
        assert!(limiter.check(&limiter.limit().key_for(v4)).allowed);
    }
    for _ in 0..2 {
        assert!(limiter.check(&limiter.limit().key_for(mapped)).allowed);
    }
    assert!(!limiter.check(&limiter.limit().key_for(mapped)).allowed);
    assert!(!limiter.check(&limiter.limit().key_for(v4)).allowed);
    assert_eq!(limiter.len(), 1);
}

#[test]
fn one_v6_slash_64_is_one_bucket_and_another_is_not() {
    let (limiter, _clock) = limiter(Quota::per_minute(2).unwrap());
    let key = |s| limiter.limit().key_for(ip(s));
    assert!(limiter.check(&key("2001:db8:0:1::1")).allowed);
    assert!(limiter.check(&key("2001:db8:0:1:dead:beef::2")).allowed);
    assert!(!limiter.check(&key("2001:db8:0:1::3")).allowed);
    // The next /64 has its own quota.
    assert!(limiter.check(&key("2001:db8:0:2::1")).allowed);
    assert_eq!(limiter.len(), 2);
}

#[test]
fn a_refused_client_comes_back_after_retry_after_and_not_before() {
    let (limiter, clock) = limiter(Quota::per_minute(5).unwrap());
    let key = limiter.limit().key_for(ip("10.0.0.1"));
    let decisions: Vec<Decision> = (0..6).map(|_| limiter.check(&key)).collect();
    let remaining: Vec<u32> = decisions.iter().map(|d| d.remaining).collect();
    assert_eq!(remaining, [4, 3, 2, 1, 0, 0]);
    let refused = decisions[5];
    assert!(!refused.allowed);
    assert_eq!(refused.retry_after_secs(), Some(12));
    assert_eq!(refused.header_value("test"), "\"test\";r=0;t=60");
    clock.advance(Duration::from_secs(11));
    assert!(!limiter.check(&key).allowed);
    clock.advance(Duration::from_secs(1));
    assert!(limiter.check(&key).allowed);
}

#[test]
fn a_flood_of_new_addresses_stays_under_the_cap_and_the_heavy_client_stays_limited() {
    let clock = Arc::new(ManualClock::new(NOW));
    let limit = Limit::new("flood", Quota::per_minute(5).unwrap())
        .unwrap()
        .max_keys(2_000)
        .unwrap();
    let limiter = RateLimiter::with_clock(limit, clock.clone());
    let heavy = limiter.limit().key_for(ip("198.51.100.1"));
    for _ in 0..5 {
        assert!(limiter.check(&heavy).allowed);
    }
    for n in 0..100_000u32 {
        let key = limiter
            .limit()
            .key_for(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n)));
        assert!(limiter.check(&key).allowed);
        assert!(limiter.len() <= limiter.capacity());
    }
    assert_eq!(limiter.capacity(), 2_000);
    // The flood's one-request keys went first: the heavy client is still refused.
    assert!(!limiter.check(&heavy).allowed);
}

#[test]
fn custom_keys_are_counted_apart_from_addresses() {
    let (limiter, _clock) = limiter(Quota::per_minute(1).unwrap());
    assert!(limiter.check(&ClientKey::custom("10.0.0.1")).allowed);
    assert!(
        limiter
            .check(&limiter.limit().key_for(ip("10.0.0.1")))
            .allowed
    );
    assert!(!limiter.check(&ClientKey::custom("10.0.0.1")).allowed);
}

#[test]
fn remaining_does_not_count_a_request() {
    let (limiter, clock) = limiter(Quota::per_minute(3).unwrap());
    let key = ClientKey::custom("k");
    assert_eq!(limiter.remaining(&key), 3);
    limiter.check(&key);
    limiter.check(&key);
    assert_eq!(limiter.remaining(&key), 1);
    clock.advance(Duration::from_secs(20));
    assert_eq!(limiter.remaining(&key), 2);
}

#[test]
fn route_and_method_errors_name_the_limit_and_the_input() {
    let q = Quota::per_minute(1).unwrap();
    let err = Limit::new("login", q).unwrap().route("login").unwrap_err();
    assert_eq!(
        err.to_string(),
        "limit `login`: route `login` must start with `/`"
    );
    let err = Limit::new("login", q).unwrap().method("PO ST").unwrap_err();
    assert_eq!(
        err.to_string(),
        "limit `login`: method `PO ST` is not an HTTP method name"
    );
    let long = "a".repeat(MAX_NAME_LEN + 1);
    assert_eq!(Limit::new(long.clone(), q), Err(LimitError::Name(long)));
    assert!(Limit::new("a".repeat(MAX_NAME_LEN), q).is_ok());
}

#[test]
fn a_limit_on_slash_covers_everything() {
    let l = Limit::new("all", Quota::per_minute(1).unwrap()).unwrap();
    for path in ["/", "/a", "/a/b/c", "/login?x=1"] {
        assert!(l.covers("GET", path, path));
    }
}
