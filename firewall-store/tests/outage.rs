//! Redis killed, restarted, paused: decisions go on by the documented rule,
//! one WARNING on the switch, one INFO when back.

use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use firewall_core::ban::{BanPolicy, Bans};
use firewall_core::limit::{Limit, Quota, RateLimiter};
use firewall_store::testing::RedisServer;
use firewall_store::{Store, StoreConfig};

/// The firewall's log lines (target `firewall`), as (level, message).
struct Capture(Mutex<Vec<(log::Level, String)>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if record.target() == firewall_core::logger::TARGET {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((record.level(), record.args().to_string()));
        }
    }
    fn flush(&self) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        log::set_logger(capture).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Info);
        capture
    })
}

/// The lines at `level` that mention `url` (tests run side by side).
fn lines(level: log::Level, url: &str) -> Vec<String> {
    capture()
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|(l, m)| *l == level && m.contains(url))
        .map(|(_, m)| m.clone())
        .collect()
}

fn limiter(name: &str) -> RateLimiter {
    let quota = Quota::with_burst(3, Duration::from_secs(86_400), 3).unwrap();
    RateLimiter::new(Limit::new(name, quota).unwrap())
}

fn bans() -> Arc<Bans> {
    let policy = BanPolicy::new(3, Duration::from_secs(60), Duration::from_secs(600)).unwrap();
    Arc::new(Bans::new(policy))
}

/// Polls every 20 ms, for at most 15 s, until `done`.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within 15 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_then_back_limits_fall_back_bans_stay_and_two_lines_are_logged() {
    capture();
    let Some(mut server) = RedisServer::start_or_skip(module_path!()) else {
        return;
    };
    let url = server.url();
    let config = StoreConfig::redis(&url)
        .unwrap()
        .prefix("outage")
        .unwrap()
        .timeout(Duration::from_millis(500))
        .unwrap()
        .fail_closed("login");
    let store = Store::redis(config, bans()).await.unwrap();
    let (api, login) = (limiter("api"), limiter("login"));
    let client: IpAddr = "198.51.100.9".parse().unwrap();
    let key = api.limit().key_for(client);
    let banned: IpAddr = "203.0.113.66".parse().unwrap();
    store
        .ban(banned, Duration::from_secs(600), "before the outage")
        .await
        .unwrap();
    // One request each counted in Redis: nothing in process yet.
    assert!(store.check_limit(&api, &key).await.allowed);
    assert!(store.check_limit(&login, &key).await.allowed);
    assert!(api.is_empty());

    server.kill();
    let mut api_allowed = 0;
    for _ in 0..50 {
        api_allowed += usize::from(store.check_limit(&api, &key).await.allowed);
        let refused = store.check_limit(&login, &key).await;
        assert!(!refused.allowed, "fail-closed limit allowed a request");
        assert_eq!(refused.retry_after_secs(), Some(1));
        assert!(
            store.is_banned(banned).is_some(),
            "the last known bans stay"
        );
    }
    // The in-process limiter took over: its own 3 a day.
    assert_eq!(api_allowed, 3);
    let state = store.state();
    assert!(!state.connected && state.degraded_since.is_some());
    assert_eq!(
        lines(log::Level::Warn, &url).len(),
        1,
        "{:?}",
        lines(log::Level::Warn, &url)
    );
    assert!(lines(log::Level::Info, &url)
        .iter()
        .all(|l| !l.contains("answering again")));

    server.restart().unwrap();
    eventually("reconnect", || store.state().connected).await;
    let back = store.check_limit(&api, &key).await;
    // Back to Redis (restarted empty): the first of 3.
    assert_eq!((back.allowed, back.remaining), (true, 2));
    let warnings = lines(log::Level::Warn, &url);
    let infos: Vec<String> = lines(log::Level::Info, &url)
        .into_iter()
        .filter(|l| l.contains("answering again"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("not answering"), "{}", warnings[0]);
    assert_eq!(infos.len(), 1, "{infos:?}");
    assert_eq!(store.state().outages, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_paused_every_call_returns_soon_after_the_timeout_and_fails_open() {
    capture();
    let Some(mut server) = RedisServer::start_or_skip(module_path!()) else {
        return;
    };
    let url = server.url();
    let timeout = Duration::from_millis(20);
    let config = StoreConfig::redis(&url)
        .unwrap()
        .prefix("paused")
        .unwrap()
        .timeout(timeout)
        .unwrap();
    let store = Store::redis(config, bans()).await.unwrap();
    let api = limiter("api");
    let key = api.limit().key_for("198.51.100.10".parse().unwrap());

    server.pause().unwrap();
    // Generous slack: the bound is "returns", not a benchmark.
    let slack = Duration::from_millis(500);
    for n in 0..20 {
        let start = Instant::now();
        let decision = store.check_limit(&api, &key).await;
        let took = start.elapsed();
        assert!(took < timeout + slack, "call {n} took {took:?}");
        assert_eq!(decision.allowed, n < 3, "call {n}: in-process 3 a day");
        let start = Instant::now();
        let _ = store
            .strike(
                "198.51.100.11".parse().unwrap(),
                firewall_core::ban::StrikeKind::WafDrop,
            )
            .await;
        assert!(start.elapsed() < timeout + slack);
    }
    assert!(!store.state().connected);
    assert_eq!(lines(log::Level::Warn, &url).len(), 1);

    server.resume().unwrap();
    eventually("recovery", || store.state().connected).await;
    assert!(store.check_limit(&api, &key).await.allowed);
    assert_eq!(lines(log::Level::Warn, &url).len(), 1);
}
