//! Limits and bans shared through Redis: one script call per limit
//! decision, a local copy of the bans kept current by pub/sub, strikes
//! counted in Redis, and a fallback for when Redis does not answer.

mod sync;

use std::net::IpAddr;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use firewall_core::ban::{
    BanAnnouncer, BanError, BanInfo, BanOrigin, BanPolicy, Bans, Ended, StrikeKind,
};
use firewall_core::limit::{
    short_duration, ClientKey, Clock, Decision, Quota, RateLimiter, UnixClock,
};
use firewall_core::logger::TARGET;
use redis::aio::ConnectionManager;
use redis::{FromRedisValue, Script};
use tokio::task::JoinHandle;

use crate::health::{Health, StoreState};
use crate::keys::Keys;
use crate::wire::{Message, WireBan, WireKey};
use crate::StoreError;
use firewall_core::store::StoreConfig;

/// How long connecting, and each call of the background tasks (probe,
/// loading bans), may take.
pub(crate) const BACKGROUND_TIMEOUT: Duration = Duration::from_secs(2);
/// The first and the longest wait between two reconnection attempts.
const MIN_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// What a fail-closed limit answers while Redis is down.
const CLOSED_RETRY: Duration = Duration::from_secs(1);

/// What the store and its background tasks share.
pub(crate) struct Shared {
    pub(crate) client: redis::Client,
    pub(crate) conn: ConnectionManager,
    pub(crate) keys: Keys,
    pub(crate) health: Health,
    pub(crate) bans: Arc<Bans>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("keys", &self.keys)
            .field("health", &self.health)
            .finish_non_exhaustive()
    }
}

/// A store in Redis (see the crate docs); made by [`crate::Store::redis`].
#[derive(Debug)]
pub struct RedisStore {
    shared: Arc<Shared>,
    config: StoreConfig,
    scripts: Scripts,
    tasks: Vec<JoinHandle<()>>,
    runtime: tokio::runtime::Handle,
}

#[derive(Debug)]
struct Scripts {
    gcra: Script,
    strike: Script,
    ban: Script,
    unban: Script,
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        self.shared.bans.set_announcer(None);
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl RedisStore {
    /// Connects, loads the active bans and starts the background tasks
    /// (bans channel, reconnection probe).
    pub(crate) async fn connect(config: StoreConfig, bans: Arc<Bans>) -> Result<Self, StoreError> {
        let url = config.url_redacted();
        let client = redis::Client::open(config.url()).map_err(|e| StoreError::Connect {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        let manager_config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(BACKGROUND_TIMEOUT)
            .set_number_of_retries(1)
            .set_factor(10)
            .set_max_delay(100);
        let connecting = ConnectionManager::new_with_config(client.clone(), manager_config);
        let conn = match tokio::time::timeout(BACKGROUND_TIMEOUT, connecting).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => {
                return Err(StoreError::Connect {
                    url,
                    reason: e.to_string(),
                })
            }
            Err(_) => {
                return Err(StoreError::Connect {
                    url,
                    reason: format!("no answer within {BACKGROUND_TIMEOUT:?}"),
                })
            }
        };
        let shared = Arc::new(Shared {
            client,
            conn,
            keys: Keys::new(config.prefix_value()),
            health: Health::new(url.clone()),
            bans,
        });
        let (stream, loaded) =
            sync::subscribe_and_load(&shared)
                .await
                .map_err(|reason| StoreError::Connect {
                    url: url.clone(),
                    reason,
                })?;
        log::info!(
            target: TARGET,
            "Store: limits and bans shared through Redis at {url} (prefix {}, {loaded} active bans loaded)",
            config.prefix_value()
        );
        let scripts = Scripts {
            gcra: Script::new(include_str!("redis_store/gcra.lua")),
            strike: Script::new(include_str!("redis_store/strike.lua")),
            ban: Script::new(include_str!("redis_store/ban.lua")),
            unban: Script::new(include_str!("redis_store/unban.lua")),
        };
        // Loaded now, so that no decision pays for NOSCRIPT and a full EVAL.
        let mut conn = shared.conn.clone();
        for script in [&scripts.gcra, &scripts.strike, &scripts.ban, &scripts.unban] {
            let loading = script.load_async(&mut conn);
            match tokio::time::timeout(BACKGROUND_TIMEOUT, loading).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    return Err(StoreError::Connect {
                        url,
                        reason: format!("SCRIPT LOAD: {e}"),
                    })
                }
                Err(_) => {
                    return Err(StoreError::Connect {
                        url,
                        reason: format!("SCRIPT LOAD: no answer within {BACKGROUND_TIMEOUT:?}"),
                    })
                }
            }
        }
        shared.bans.set_announcer(Some(Arc::new(Announcer {
            shared: Arc::downgrade(&shared),
            ban: scripts.ban.clone(),
            unban: scripts.unban.clone(),
            timeout: config.timeout_value(),
            runtime: tokio::runtime::Handle::current(),
        })));
        let tasks = vec![
            tokio::spawn(sync::follow_bans(Arc::clone(&shared), stream)),
            tokio::spawn(probe(Arc::clone(&shared))),
        ];
        Ok(Self {
            shared,
            config,
            scripts,
            tasks,
            runtime: tokio::runtime::Handle::current(),
        })
    }

    /// Runs `job` on the current runtime, else on the one the store was
    /// made on.
    pub(crate) fn spawn(&self, job: impl std::future::Future<Output = ()> + Send + 'static) {
        match tokio::runtime::Handle::try_current() {
            Ok(here) => drop(here.spawn(job)),
            Err(_) => drop(self.runtime.spawn(job)),
        }
    }

    /// The configuration.
    pub(crate) fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// The local copy of the bans.
    pub(crate) fn bans(&self) -> &Bans {
        &self.shared.bans
    }

    pub(crate) fn state(&self) -> StoreState {
        self.shared.health.state()
    }

    /// Runs a script within the timeout; on any failure switches to
    /// degraded mode (once) and returns `None`.
    async fn run<T: FromRedisValue>(&self, call: &redis::ScriptInvocation<'_>) -> Option<T> {
        run(&self.shared, self.config.timeout_value(), call).await
    }

    /// One decision of `limiter`'s limit for `key`, made in Redis; in
    /// process (or refused, for a fail-closed limit) when Redis does not
    /// answer in time.
    pub(crate) async fn check_limit(&self, limiter: &RateLimiter, key: &ClientKey) -> Decision {
        if !self.shared.health.is_degraded() {
            let limit = limiter.limit();
            if let Some(decision) = self.gcra(key, limit.name(), limit.quota(), None).await {
                return decision;
            }
        }
        if self.config.is_fail_closed(limiter.limit().name()) {
            return Decision {
                allowed: false,
                remaining: 0,
                reset: CLOSED_RETRY,
                retry_after: Some(CLOSED_RETRY),
            };
        }
        limiter.check(key)
    }

    /// Runs the GCRA script; `now` (nanoseconds) replaces the server's
    /// clock in tests.
    pub(crate) async fn gcra(
        &self,
        key: &ClientKey,
        limit: &str,
        quota: &Quota,
        now: Option<u64>,
    ) -> Option<Decision> {
        let interval = quota.interval_nanos();
        let tolerance = interval.saturating_mul(u64::from(quota.burst()));
        let mut call = self.scripts.gcra.prepare_invoke();
        call.key(self.shared.keys.limit(key, limit))
            .arg(interval / NANOS)
            .arg(interval % NANOS)
            .arg(tolerance / NANOS)
            .arg(tolerance % NANOS);
        if let Some(now) = now {
            call.arg(now / NANOS).arg(now % NANOS);
        }
        let [allowed, remaining, reset_secs, reset_nanos, retry_secs, retry_nanos]: [i64; 6] =
            self.run(&call).await?;
        Some(Decision {
            allowed: allowed == 1,
            remaining: u32::try_from(remaining.max(0)).unwrap_or(u32::MAX),
            reset: Duration::from_nanos(pair_nanos(reset_secs, reset_nanos)),
            retry_after: (retry_secs >= 0)
                .then(|| Duration::from_nanos(pair_nanos(retry_secs, retry_nanos))),
        })
    }

    /// Counts a strike in Redis; returns the ban it started, stored and
    /// announced. Counted in process while Redis does not answer.
    pub(crate) async fn strike_key(&self, key: ClientKey, kind: StrikeKind) -> Option<BanInfo> {
        let bans = &self.shared.bans;
        let policy = bans.policy();
        if !policy.counts(kind) || bans.is_banned_key(&key).is_some() {
            return None;
        }
        if self.shared.health.is_degraded() {
            return bans.strike_key(key, kind);
        }
        let keys = &self.shared.keys;
        let mut call = self.scripts.strike.prepare_invoke();
        call.key(keys.ban(&key))
            .key(keys.strikes(&key))
            .key(keys.record(&key))
            .arg(kind_index(kind))
            .arg(policy.strikes())
            .arg(micros(policy.window()))
            .arg(micros(policy.repeat_memory_value()));
        // From the policy in force now, so a reloaded `[bans]` applies.
        for d in ban_durations(&policy) {
            call.arg(d);
        }
        let Some(answer) = self.run::<Vec<i64>>(&call).await else {
            return bans.strike_key(key, kind);
        };
        let [1, offence, duration_us, acl, waf, rate] = answer[..] else {
            return None;
        };
        let count = |n: i64| usize::try_from(n).unwrap_or(0);
        let since = UnixClock.now();
        let duration = Duration::from_micros(u64::try_from(duration_us).unwrap_or(0));
        let ban = BanInfo {
            key,
            reason: reason([count(acl), count(waf), count(rate)], policy.window()).into(),
            since,
            until: since.saturating_add(nanos(duration)),
            origin: BanOrigin::Strikes {
                offence: u32::try_from(offence).unwrap_or(u32::MAX),
            },
        };
        bans.insert(ban.clone());
        bans.log_ban(&ban);
        self.publish_ban(&ban).await;
        Some(ban)
    }

    /// Bans a key here and, unless degraded, in Redis for every instance.
    pub(crate) async fn ban_key(
        &self,
        key: ClientKey,
        duration: Duration,
        reason: Arc<str>,
    ) -> Result<BanInfo, BanError> {
        let ban = self.shared.bans.ban_key_here(key, duration, reason)?;
        self.publish_ban(&ban).await;
        Ok(ban)
    }

    /// Bans `ip` (refused for an allowlisted address).
    pub(crate) async fn ban(
        &self,
        ip: IpAddr,
        duration: Duration,
        reason: Arc<str>,
    ) -> Result<BanInfo, BanError> {
        let ip = ip.to_canonical();
        let bans = &self.shared.bans;
        if let Some(network) = bans.policy().allowlist().iter().find(|n| n.contains(ip)) {
            return Err(BanError::Allowlisted {
                ip,
                network: *network,
            });
        }
        self.ban_key(bans.key_for(ip), duration, reason).await
    }

    async fn publish_ban(&self, ban: &BanInfo) {
        let timeout = self.config.timeout_value();
        publish_ban(&self.shared, &self.scripts.ban, timeout, ban).await;
    }

    /// Lifts a ban here and, unless degraded, in Redis for every instance.
    pub(crate) async fn unban_key(&self, key: &ClientKey) -> Option<Ended> {
        let ended = self.shared.bans.unban_key_here(key);
        let timeout = self.config.timeout_value();
        publish_unban(&self.shared, &self.scripts.unban, timeout, key).await;
        ended
    }
}

const NANOS: u64 = 1_000_000_000;

/// Runs a script within `timeout`; on any failure switches to degraded
/// mode (once) and returns `None`.
async fn run<T: FromRedisValue>(
    shared: &Shared,
    timeout: Duration,
    call: &redis::ScriptInvocation<'_>,
) -> Option<T> {
    let start = Instant::now();
    let mut conn = shared.conn.clone();
    match tokio::time::timeout(timeout, call.invoke_async::<T>(&mut conn)).await {
        Ok(Ok(value)) => {
            shared.health.answered(start.elapsed());
            Some(value)
        }
        Ok(Err(e)) => {
            shared.health.failed(&e.to_string());
            None
        }
        Err(_) => {
            shared
                .health
                .failed(&format!("no answer within {}", short_duration(timeout)));
            None
        }
    }
}

/// Stores `ban` in Redis (a key expiring with it) and announces it on the
/// bans channel, unless degraded.
async fn publish_ban(shared: &Shared, script: &Script, timeout: Duration, ban: &BanInfo) {
    if shared.health.is_degraded() {
        return;
    }
    let ttl_ms = ban
        .until
        .saturating_sub(UnixClock.now())
        .div_ceil(1_000_000)
        .max(1);
    let wire = WireBan::from(ban);
    let (Ok(value), Ok(message)) = (
        serde_json::to_string(&wire),
        serde_json::to_string(&Message::Ban { ban: wire, ttl_ms }),
    ) else {
        return;
    };
    let keys = &shared.keys;
    let mut call = script.prepare_invoke();
    call.key(keys.ban(&ban.key))
        .arg(value)
        .arg(ttl_ms)
        .arg(keys.channel())
        .arg(message);
    let _: Option<i64> = run(shared, timeout, &call).await;
}

/// Removes the ban on `key` (and its strikes) from Redis and announces it,
/// unless degraded.
async fn publish_unban(shared: &Shared, script: &Script, timeout: Duration, key: &ClientKey) {
    if shared.health.is_degraded() {
        return;
    }
    let Ok(message) = serde_json::to_string(&Message::Unban {
        key: WireKey::from(key),
    }) else {
        return;
    };
    let keys = &shared.keys;
    let mut call = script.prepare_invoke();
    call.key(keys.ban(key))
        .key(keys.strikes(key))
        .arg(keys.channel())
        .arg(message);
    let _: Option<i64> = run(shared, timeout, &call).await;
}

/// Publishes the bans made and lifted through the firewall's own
/// [`Bans`] (`fw.bans().ban(..)`, the monitors, strikes counted while
/// degraded): set as its [`BanAnnouncer`]. Holds the store weakly, so
/// that the bans do not keep a dropped store alive.
#[derive(Debug)]
struct Announcer {
    shared: Weak<Shared>,
    ban: Script,
    unban: Script,
    timeout: Duration,
    runtime: tokio::runtime::Handle,
}

impl Announcer {
    fn spawn(&self, job: impl std::future::Future<Output = ()> + Send + 'static) {
        match tokio::runtime::Handle::try_current() {
            Ok(here) => drop(here.spawn(job)),
            Err(_) => drop(self.runtime.spawn(job)),
        }
    }
}

impl BanAnnouncer for Announcer {
    fn banned(&self, ban: &BanInfo) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let (script, timeout, ban) = (self.ban.clone(), self.timeout, ban.clone());
        self.spawn(async move { publish_ban(&shared, &script, timeout, &ban).await });
    }

    fn unbanned(&self, key: &ClientKey) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        let (script, timeout, key) = (self.unban.clone(), self.timeout, key.clone());
        self.spawn(async move { publish_unban(&shared, &script, timeout, &key).await });
    }
}

/// (seconds, nanoseconds) from the script as nanoseconds, saturating as
/// `decide` does.
fn pair_nanos(secs: i64, nanos: i64) -> u64 {
    let (secs, nanos) = (
        u64::try_from(secs).unwrap_or(0),
        u64::try_from(nanos).unwrap_or(0),
    );
    secs.saturating_mul(NANOS).saturating_add(nanos)
}

fn kind_index(kind: StrikeKind) -> u8 {
    match kind {
        StrikeKind::AclDrop => 0,
        StrikeKind::WafDrop => 1,
        StrikeKind::RateLimited => 2,
    }
}

/// `20 WAF drops in 60s`, or `20 strikes in 60s (12 WAF drops, 8
/// rate-limit refusals)`: as the in-process strikes word it.
fn reason(counts: [usize; 3], window: Duration) -> String {
    let window = short_duration(window);
    let kinds: Vec<String> = StrikeKind::ALL
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(kind, n)| kind.describe(n))
        .collect();
    if let [only] = kinds.as_slice() {
        format!("{only} in {window}")
    } else {
        let total: usize = counts.iter().sum();
        format!("{total} strikes in {window} ({})", kinds.join(", "))
    }
}

/// Waits until the store turns degraded, then tries Redis with a growing
/// backoff (50 ms doubling to 2 s) until it answers.
async fn probe(shared: Arc<Shared>) {
    loop {
        shared.health.wake_probe.notified().await;
        let mut backoff = MIN_BACKOFF;
        while shared.health.is_degraded() {
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            let mut conn = shared.conn.clone();
            let start = Instant::now();
            let ping_cmd = redis::cmd("PING");
            let ping = ping_cmd.query_async::<String>(&mut conn);
            if let Ok(Ok(_)) = tokio::time::timeout(BACKGROUND_TIMEOUT, ping).await {
                shared.health.recovered(start.elapsed());
            }
        }
    }
}

/// Ban durations by offence (1, 2, ...) in microseconds, up to the first
/// that repeats (the script uses the last one for later offences).
fn ban_durations(policy: &BanPolicy) -> Vec<u64> {
    let mut durations = Vec::new();
    for offence in 1..=64 {
        let d = policy.ban_duration(offence);
        durations.push(micros(d));
        if policy.ban_duration(offence + 1) == d {
            break;
        }
    }
    durations
}

#[cfg(test)]
mod tests;
