//! Where the firewall keeps rate limits and bans: in process (the default)
//! or in Redis (or Valkey), shared by every instance of an application.
//!
//! A [`Store`] answers the questions the middleware asks on each request:
//!
//! - [`Store::is_banned`]: is this client banned? Always answered from a
//!   local copy, with no round trip;
//! - [`Store::check_limit`]: may this client make one more request under
//!   this limit? In Redis, one atomic script call (EVALSHA) running the
//!   same GCRA as [`firewall_core::limit::decide`], on the Redis server's
//!   clock, so that instances with skewed clocks agree;
//! - [`Store::strike`]: count a drop; returns the ban it started, if any.
//!   In Redis, strikes of every instance count together.
//!
//! [`share`] makes a [`Firewall`] use a Redis store: its middleware then
//! awaits each limit decision from it, counts strikes in it, and checks
//! bans in the firewall's own [`Bans`], which the store keeps current.
//!
//! # Several instances
//!
//! With `[store] redis = "redis://127.0.0.1:6379/0"` (see [`StoreConfig`]),
//! a limit of 100 per minute is 100 per minute for the whole application,
//! however many workers and hosts serve it, and a ban made on one instance
//! refuses on every other within a second: bans are written to a key per
//! client (expiring with the ban) and announced on a pub/sub channel; each
//! instance applies them to its local copy, and loads every active ban
//! when it starts.
//!
//! # When Redis does not answer
//!
//! No call waits longer than the timeout (5 ms by default). On the first
//! failure the store logs one WARNING and switches to degraded mode: limits
//! are counted by the in-process limiter (or refused, for the limits
//! configured fail-closed), bans keep the last known set, and Redis is not
//! asked again until a background probe (50 ms, doubling to 2 s) gets an
//! answer; then one INFO, and everything is shared again. Bans made or
//! lifted and strikes counted while degraded stay on the instance that
//! made them; the bans channel is followed again (and every active ban
//! reloaded) as soon as Redis is back.
//! [`Store::state`] tells the monitors (connected, degraded since, last
//! round trip).
//!
//! # Keys (Redis Cluster)
//!
//! Every key of one client carries the hash tag `{PREFIX:CLIENT}` (for
//! example `{shop:203.0.113.7}:limit:login`), so one client's keys share a
//! slot and no command spans two clients; the prefix (default: the app
//! name) lets applications share one Redis.
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use firewall_core::ban::{BanPolicy, Bans, StrikeKind};
//! use firewall_core::limit::{Limit, Quota, RateLimiter};
//! use firewall_store::Store;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let policy = BanPolicy::new(3, Duration::from_secs(60), Duration::from_secs(600))?;
//! let store = Store::in_process(Arc::new(Bans::new(policy)));
//! let login = RateLimiter::new(Limit::new("login", Quota::per_minute(5)?)?);
//! let client = "203.0.113.7".parse()?;
//! let key = login.limit().key_for(client);
//! assert!(store.check_limit(&login, &key).await.allowed);
//!
//! for _ in 0..2 {
//!     assert!(store.strike(client, StrikeKind::WafDrop).await.is_none());
//! }
//! let ban = store.strike(client, StrikeKind::WafDrop).await.expect("third strike");
//! assert_eq!(&*ban.reason, "3 WAF drops in 60s");
//! assert!(store.is_banned(client).is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod health;
mod keys;
mod redis_store;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
mod wire;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use firewall_core::ban::{BanError, BanInfo, Bans, Ended, StrikeKind};
use firewall_core::limit::{ClientKey, Decision, RateLimiter};
use firewall_core::store::{LimitFuture, SharedStore};
use firewall_core::Firewall;

pub use firewall_core::store::{StoreConfig, StoreConfigError, DEFAULT_TIMEOUT, MAX_PREFIX_LEN};
pub use health::StoreState;
pub use redis_store::RedisStore;

/// Why a Redis store could not start.
///
/// # Examples
///
/// ```
/// use firewall_store::StoreError;
/// let err = StoreError::Connect { url: "redis://127.0.0.1:1".into(), reason: "refused".into() };
/// assert_eq!(err.to_string(), "store: cannot reach Redis at redis://127.0.0.1:1: refused");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Redis did not answer, or refused the connection or the password.
    #[error("store: cannot reach Redis at {url}: {reason}")]
    Connect {
        /// The URL, its password hidden.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

/// Connects `fw` to the Redis (or Valkey) server of `config` and makes it
/// use it: its rate limits are decided in Redis, its strikes counted
/// there, and its own bans ([`Firewall::bans`]) become the local copy of
/// the shared bans (every active ban is loaded before this returns). The
/// one call an application makes in code; with a `[store]` table in the
/// rules file, `firewall-actix`'s middleware makes it.
///
/// Needs a Tokio runtime (Actix's is one) that lives as long as the
/// application: call it from `main` (`#[actix_web::main]`).
///
/// # Errors
///
/// [`StoreError::Connect`] when Redis cannot be reached within 2 s: the
/// firewall then keeps its limits and bans in process.
///
/// # Examples
///
/// ```
/// use firewall_core::Firewall;
/// use firewall_store::StoreConfig;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let fw = Firewall::new("shop");
/// // Nothing listens on port 1: the firewall stays in process.
/// let config = StoreConfig::redis("redis://127.0.0.1:1/0")?;
/// assert!(firewall_store::share(&fw, config).await.is_err());
/// assert!(!fw.has_shared_store());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn share(fw: &Firewall, config: StoreConfig) -> Result<Store, StoreError> {
    let store = Store::redis(config, fw.bans_handle()).await?;
    fw.attach_store(Arc::new(store.clone()));
    Ok(store)
}

/// The store of limits and bans: in process, or in Redis. Cheap to clone
/// (one `Arc`): share one between all workers.
///
/// # Security
///
/// Pass client addresses after trusted proxies are resolved, as for
/// [`Bans`] and [`RateLimiter`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use firewall_core::ban::{BanPolicy, Bans};
/// use firewall_store::Store;
/// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
/// let store = Store::in_process(bans);
/// assert_eq!(store.state().backend, "in-process");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Store(Backend);

#[derive(Debug, Clone)]
enum Backend {
    InProcess(Arc<Bans>),
    Redis(Arc<RedisStore>),
}

impl Store {
    /// Limits and bans in this process only: `bans` holds the bans, each
    /// [`RateLimiter`] passed to [`check_limit`](Self::check_limit) its limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_store::Store;
    /// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
    /// assert!(Store::in_process(bans).bans().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn in_process(bans: Arc<Bans>) -> Self {
        Self(Backend::InProcess(bans))
    }

    /// Limits and bans shared through Redis. `bans` (on the system clock)
    /// becomes the local copy: its policy decides strikes and ban lengths,
    /// and it receives every active ban before this returns. Needs a Tokio
    /// runtime (Actix's is one): two background tasks follow the bans
    /// channel and probe Redis while it is down.
    ///
    /// Fails when Redis cannot be reached within 2 s: the application then
    /// decides whether to start with [`Store::in_process`] or to stop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_store::{Store, StoreConfig};
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
    /// // Nothing listens on port 1.
    /// let config = StoreConfig::redis("redis://127.0.0.1:1/0")?;
    /// let err = Store::redis(config, bans.clone()).await.unwrap_err();
    /// assert!(err.to_string().starts_with("store: cannot reach Redis at redis://127.0.0.1:1/0: "));
    /// let store = Store::in_process(bans);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn redis(config: StoreConfig, bans: Arc<Bans>) -> Result<Self, StoreError> {
        let store = RedisStore::connect(config, bans).await?;
        Ok(Self(Backend::Redis(Arc::new(store))))
    }

    /// One request from `key` under `limiter`'s limit: in Redis, one script
    /// call; in process (or refused, for a fail-closed limit) while Redis
    /// does not answer. Pass the same `limiter` every time: it holds the
    /// limit and the in-process state.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_core::limit::{Limit, Quota, RateLimiter};
    /// use firewall_store::Store;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
    /// let store = Store::in_process(bans);
    /// let limiter = RateLimiter::new(Limit::new("api", Quota::per_minute(1)?)?);
    /// let key = limiter.limit().key_for("192.0.2.1".parse()?);
    /// assert!(store.check_limit(&limiter, &key).await.allowed);
    /// let refused = store.check_limit(&limiter, &key).await;
    /// assert_eq!(refused.retry_after_secs(), Some(60));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn check_limit(&self, limiter: &RateLimiter, key: &ClientKey) -> Decision {
        match &self.0 {
            Backend::InProcess(_) => limiter.check(key),
            Backend::Redis(redis) => redis.check_limit(limiter, key).await,
        }
    }

    /// The ban `ip` is under, if any: from the local copy, no round trip.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_store::Store;
    /// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
    /// assert!(Store::in_process(bans).is_banned("192.0.2.1".parse()?).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_banned(&self, ip: IpAddr) -> Option<BanInfo> {
        self.bans().is_banned(ip)
    }

    /// The ban on a custom key, if any: from the local copy.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_core::limit::ClientKey;
    /// use firewall_store::Store;
    /// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
    /// assert!(Store::in_process(bans).is_banned_key(&ClientKey::custom("user:42")).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_banned_key(&self, key: &ClientKey) -> Option<BanInfo> {
        self.bans().is_banned_key(key)
    }

    /// Counts a strike of `kind` against `ip`; returns the ban it started,
    /// logged as `BAN` (see [`Bans::strike`]). In Redis, the strikes of
    /// every instance count together, and the ban is published.
    ///
    /// # Examples
    ///
    /// See the [crate docs](crate).
    pub async fn strike(&self, ip: IpAddr, kind: StrikeKind) -> Option<BanInfo> {
        let bans = self.bans();
        if bans.policy().is_allowlisted(ip) {
            return None;
        }
        self.strike_key(bans.key_for(ip), kind).await
    }

    /// Counts a strike against a custom key.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans, StrikeKind};
    /// use firewall_core::limit::ClientKey;
    /// use firewall_store::Store;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let bans = Arc::new(Bans::new(BanPolicy::new(1, Duration::from_secs(10), Duration::from_secs(60))?));
    /// let store = Store::in_process(bans);
    /// let ban = store.strike_key(ClientKey::custom("user:42"), StrikeKind::RateLimited).await;
    /// assert_eq!(&*ban.unwrap().reason, "1 rate-limit refusal in 10s");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn strike_key(&self, key: ClientKey, kind: StrikeKind) -> Option<BanInfo> {
        match &self.0 {
            Backend::InProcess(bans) => bans.strike_key(key, kind),
            Backend::Redis(redis) => redis.strike_key(key, kind).await,
        }
    }

    /// Bans `ip`'s network for `duration` on every instance (refused for an
    /// allowlisted address); see [`Bans::ban`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_store::Store;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
    /// let store = Store::in_process(bans);
    /// store.ban("192.0.2.1".parse()?, Duration::from_secs(60), "abuse report").await?;
    /// assert!(store.is_banned("192.0.2.1".parse()?).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn ban(
        &self,
        ip: IpAddr,
        duration: Duration,
        reason: impl Into<Arc<str>>,
    ) -> Result<BanInfo, BanError> {
        match &self.0 {
            Backend::InProcess(bans) => bans.ban(ip, duration, reason),
            Backend::Redis(redis) => redis.ban(ip, duration, reason.into()).await,
        }
    }

    /// Bans a key for `duration` on every instance.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_core::limit::ClientKey;
    /// use firewall_store::Store;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
    /// let store = Store::in_process(bans);
    /// let user = ClientKey::custom("user:42");
    /// store.ban_key(user.clone(), Duration::from_secs(60), "spam").await?;
    /// assert!(store.is_banned_key(&user).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn ban_key(
        &self,
        key: ClientKey,
        duration: Duration,
        reason: impl Into<Arc<str>>,
    ) -> Result<BanInfo, BanError> {
        match &self.0 {
            Backend::InProcess(bans) => bans.ban_key(key, duration, reason),
            Backend::Redis(redis) => redis.ban_key(key, duration, reason.into()).await,
        }
    }

    /// Lifts the ban on `ip`'s network on every instance, for the caller to
    /// log as `UNBAN`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_store::Store;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
    /// let store = Store::in_process(bans);
    /// assert!(store.unban("192.0.2.1".parse()?).await.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn unban(&self, ip: IpAddr) -> Option<Ended> {
        let key = self.bans().key_for(ip);
        self.unban_key(&key).await
    }

    /// Lifts the ban on a key on every instance.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_core::limit::ClientKey;
    /// use firewall_store::Store;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
    /// let store = Store::in_process(bans);
    /// assert!(store.unban_key(&ClientKey::custom("k")).await.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn unban_key(&self, key: &ClientKey) -> Option<Ended> {
        match &self.0 {
            Backend::InProcess(bans) => bans.unban_key(key),
            Backend::Redis(redis) => redis.unban_key(key).await,
        }
    }

    /// The bans whose time is up, removed from the local copy, for the
    /// caller to log as `UNBAN` (see [`Bans::expire`]); Redis expires its
    /// keys on its own.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_store::Store;
    /// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
    /// assert!(Store::in_process(bans).expire().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expire(&self) -> Vec<Ended> {
        self.bans().expire()
    }

    /// The local copy of the bans: [`Bans::list`], [`Bans::len`], the policy.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_store::Store;
    /// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
    /// assert_eq!(Store::in_process(bans).bans().policy().strikes(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bans(&self) -> &Bans {
        match &self.0 {
            Backend::InProcess(bans) => bans,
            Backend::Redis(redis) => redis.bans(),
        }
    }

    /// The configuration of a Redis store (`None` in process).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_store::Store;
    /// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
    /// assert!(Store::in_process(bans).config().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config(&self) -> Option<&StoreConfig> {
        match &self.0 {
            Backend::InProcess(_) => None,
            Backend::Redis(redis) => Some(redis.config()),
        }
    }

    /// What the monitors show: backend, connected, degraded since, last
    /// round trip.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_store::Store;
    /// let bans = Arc::new(Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?));
    /// let state = Store::in_process(bans).state();
    /// assert!(state.connected && state.degraded_since.is_none() && state.last_rtt.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state(&self) -> StoreState {
        match &self.0 {
            Backend::InProcess(_) => StoreState::in_process(),
            Backend::Redis(redis) => redis.state(),
        }
    }
}

impl SharedStore for Store {
    fn check_limit<'a>(&'a self, limiter: &'a RateLimiter, key: &'a ClientKey) -> LimitFuture<'a> {
        Box::pin(Store::check_limit(self, limiter, key))
    }

    fn strike(&self, key: ClientKey, kind: StrikeKind) {
        match &self.0 {
            Backend::InProcess(bans) => {
                let _ = bans.strike_key(key, kind);
            }
            Backend::Redis(redis) => {
                let counting = Arc::clone(redis);
                redis.spawn(async move {
                    let _ = counting.strike_key(key, kind).await;
                });
            }
        }
    }

    fn state(&self) -> StoreState {
        Store::state(self)
    }
}
