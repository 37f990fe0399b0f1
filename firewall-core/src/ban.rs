//! Automatic and manual bans: a client that keeps getting dropped is refused
//! outright for a while, before the ACL and the WAF, at the cost of one lookup.
//!
//! A [`BanPolicy`] says which drops count as strikes ([`StrikeKind`]: ACL
//! drops, WAF drops, rate-limit refusals), how many within which window ban,
//! for how long, how a repeat offender's ban grows (doubling up to a maximum
//! by default) and which networks are never banned (the allowlist: add the
//! trusted proxies there). [`Bans`] holds the state:
//!
//! - [`Bans::is_banned`] first on every request: one atomic load when there is
//!   no ban, else one hash lookup under one of 16 read locks;
//! - [`Bans::strike`] after a drop: returns the ban it started, if any,
//!   and logs `BAN` with [`BanInfo::reason`] (`20 WAF drops in 60s`);
//! - [`Bans::expire`] now and then (every second is fine): returns the bans
//!   whose time is up, each logged as `UNBAN`; one atomic load when none is due;
//! - [`Bans::ban`], [`Bans::unban`] and [`Bans::list`] from code.
//!
//! Clients are keyed as rate limits key them ([`ClientKey`]): IPv4-mapped
//! addresses folded to IPv4, IPv6 grouped by /64 by default.
//!
//! # Memory
//!
//! An active ban is one map entry of 88 bytes (key, reason as a shared
//! `Arc<str>`, since, until, origin) plus the reason's text, in tables that
//! grow by doubling: 117 bytes a ban measured at 100,000 bans. Strike records
//! are capped ([`BanPolicy::max_tracked`], 100,000 by default) and hold at
//! most `strikes` instants of 8 bytes each.
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use firewall_core::ban::{BanPolicy, Bans, EndCause, StrikeKind};
//! use firewall_core::limit::ManualClock;
//!
//! let policy = BanPolicy::new(3, Duration::from_secs(60), Duration::from_secs(600))?
//!     .allow("10.0.0.1")?; // a trusted proxy
//! let clock = Arc::new(ManualClock::new(0));
//! let bans = Bans::with_clock(policy, clock.clone());
//! let attacker = "203.0.113.7".parse()?;
//!
//! assert!(bans.strike(attacker, StrikeKind::WafDrop).is_none());
//! assert!(bans.strike(attacker, StrikeKind::WafDrop).is_none());
//! let ban = bans.strike(attacker, StrikeKind::WafDrop).expect("third strike bans");
//! assert_eq!(&*ban.reason, "3 WAF drops in 60s");
//! assert!(bans.is_banned(attacker).is_some());
//! assert!(bans.strike("10.0.0.1".parse()?, StrikeKind::WafDrop).is_none());
//!
//! clock.advance(Duration::from_secs(600));
//! let ended = bans.expire();
//! assert_eq!(ended.len(), 1);
//! assert_eq!(ended[0].cause, EndCause::Expired);
//! assert!(bans.is_banned(attacker).is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod active;
mod info;
mod lines;
mod policy;
mod strikes;

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use arc_swap::ArcSwap;

pub use info::{BanError, BanInfo, BanOrigin, EndCause, Ended};
pub use lines::BAN_DROP_LINE_EVERY;

pub(crate) use info::rfc3339;
pub use policy::{BanPolicy, BanPolicyError, StrikeKind, MAX_STRIKES};

use crate::limit::{ClientKey, Clock, UnixClock};
use crate::logger;
use crate::packet::Packet;
use active::ActiveBans;
use lines::{BanDropLine, BanLine, DropTally, UnbanLine};
use strikes::Strikes;

/// The ban store: active bans, strike records and the policy.
///
/// Share one (in an `Arc`) between all workers.
///
/// # Security
///
/// Pass the client address after trusted proxies are resolved. A ban on a
/// network that holds an allowlisted address never refuses that address.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::ban::{BanPolicy, Bans};
/// let bans = Bans::new(BanPolicy::new(20, Duration::from_secs(60), Duration::from_secs(600))?);
/// let ip = "2001:db8::1".parse()?;
/// bans.ban(ip, Duration::from_secs(3_600), "manual: abuse report")?;
/// // The whole /64 is banned.
/// assert!(bans.is_banned("2001:db8::2".parse()?).is_some());
/// assert_eq!(bans.list()[0].key.to_string(), "2001:db8::/64");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Bans {
    policy: ArcSwap<BanPolicy>,
    /// Whether the policy has an allowlist: written after the policy,
    /// under `setting`, so a limited request asks it with a plain load.
    allowlisting: AtomicBool,
    setting: Mutex<()>,
    active: ActiveBans,
    strikes: Strikes,
    refused: DropTally,
    clock: Arc<dyn Clock>,
    /// Told of every ban made and lifted here (a shared store publishes them).
    announcer: RwLock<Option<Arc<dyn BanAnnouncer>>>,
}

/// Told of the bans made and lifted on this instance, to share them: a
/// shared store (`firewall-store`'s Redis store) publishes them to every
/// other instance. Bans received from elsewhere ([`Bans::insert`],
/// [`Bans::unban_key_here`]) are not announced again.
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use firewall_core::ban::{BanAnnouncer, BanInfo, BanPolicy, Bans};
/// use firewall_core::limit::ClientKey;
/// #[derive(Debug, Default)]
/// struct Told(Mutex<Vec<String>>);
/// impl BanAnnouncer for Told {
///     fn banned(&self, ban: &BanInfo) { self.0.lock().unwrap().push(format!("ban {}", ban.key)); }
///     fn unbanned(&self, key: &ClientKey) { self.0.lock().unwrap().push(format!("unban {key}")); }
/// }
/// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
/// let told = Arc::new(Told::default());
/// bans.set_announcer(Some(told.clone()));
/// bans.ban("192.0.2.1".parse()?, Duration::from_secs(60), "x")?;
/// bans.unban("192.0.2.1".parse()?);
/// assert_eq!(*told.0.lock().unwrap(), ["ban 192.0.2.1", "unban 192.0.2.1"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait BanAnnouncer: Send + Sync + std::fmt::Debug {
    /// A ban was made here (by hand or by strikes), already in force here.
    fn banned(&self, ban: &BanInfo);
    /// The ban on `key` was lifted here (whether or not it was known here).
    fn unbanned(&self, key: &ClientKey);
}

impl Bans {
    /// A store on the system clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// assert!(bans.is_empty());
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn new(policy: BanPolicy) -> Self {
        Self::with_clock(policy, Arc::new(UnixClock))
    }

    /// A store on the given clock (a `ManualClock` in tests).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_core::limit::ManualClock;
    /// let policy = BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?;
    /// let bans = Bans::with_clock(policy, Arc::new(ManualClock::new(0)));
    /// assert_eq!(bans.len(), 0);
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn with_clock(policy: BanPolicy, clock: Arc<dyn Clock>) -> Self {
        Self {
            allowlisting: AtomicBool::new(!policy.allowlist().is_empty()),
            setting: Mutex::new(()),
            policy: ArcSwap::from_pointee(policy),
            active: ActiveBans::default(),
            strikes: Strikes::default(),
            refused: DropTally::default(),
            clock,
            announcer: RwLock::new(None),
        }
    }

    /// Tells `announcer` of every ban made and lifted from now on (`None`:
    /// nobody). A shared store sets itself here.
    ///
    /// # Examples
    ///
    /// See [`BanAnnouncer`].
    pub fn set_announcer(&self, announcer: Option<Arc<dyn BanAnnouncer>>) {
        *self
            .announcer
            .write()
            .unwrap_or_else(PoisonError::into_inner) = announcer;
    }

    fn announcer(&self) -> Option<Arc<dyn BanAnnouncer>> {
        self.announcer
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The policy in force.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// assert_eq!(bans.policy().strikes(), 5);
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn policy(&self) -> Arc<BanPolicy> {
        self.policy.load_full()
    }

    /// Replaces the policy (a rules file reload): the bans in force and the
    /// strikes counted so far stay; new strikes and bans follow `policy`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// let s = Duration::from_secs(60);
    /// let bans = Bans::new(BanPolicy::new(5, s, s)?);
    /// bans.ban("192.0.2.1".parse()?, s, "manual")?;
    /// bans.set_policy(BanPolicy::new(3, s, s)?);
    /// assert_eq!((bans.policy().strikes(), bans.len()), (3, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_policy(&self, policy: BanPolicy) {
        let _setting = self.setting.lock().unwrap_or_else(PoisonError::into_inner);
        let allowlisting = !policy.allowlist().is_empty();
        self.policy.store(Arc::new(policy));
        self.allowlisting.store(allowlisting, Ordering::Release);
    }

    /// The key `ip` is banned under (folded, masked to the policy's prefixes).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// assert_eq!(bans.key_for("::ffff:192.0.2.1".parse().unwrap()).to_string(), "192.0.2.1");
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn key_for(&self, ip: IpAddr) -> ClientKey {
        ClientKey::from_ip(ip, self.policy.load().key_prefixes())
    }

    /// The ban `ip` is under now, if any: the first check on every request.
    ///
    /// One atomic load when no ban is stored; otherwise one hash lookup (the
    /// clock and the allowlist are read only on a hit).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// assert!(bans.is_banned("192.0.2.1".parse()?).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_banned(&self, ip: IpAddr) -> Option<BanInfo> {
        if self.active.is_empty() {
            return None;
        }
        let ban = self.active.get(&self.key_for(ip), || self.clock.now())?;
        (!self.policy.load().is_allowlisted(ip)).then_some(ban)
    }

    /// Whether the policy's allowlist holds `ip` (never banned, never limited).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// let s = Duration::from_secs(60);
    /// let bans = Bans::new(BanPolicy::new(5, s, s)?.allow("10.0.0.0/8")?);
    /// assert!(bans.is_allowlisted("::ffff:10.1.2.3".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_allowlisted(&self, ip: IpAddr) -> bool {
        // Without an allowlist (the common case), no load of the policy.
        self.allowlisting.load(Ordering::Acquire) && self.policy.load().is_allowlisted(ip)
    }

    /// The ban on a custom key now, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_core::limit::ClientKey;
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// let user = ClientKey::custom("user:42");
    /// bans.ban_key(user.clone(), Duration::from_secs(60), "spam")?;
    /// assert!(bans.is_banned_key(&user).is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_banned_key(&self, key: &ClientKey) -> Option<BanInfo> {
        self.active.get(key, || self.clock.now())
    }

    /// Counts a strike of `kind` against `ip`; returns the ban it started
    /// (logged as `BAN`). Nothing happens for a kind the policy does
    /// not count, an allowlisted address, or a client already banned.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans, StrikeKind};
    /// let policy = BanPolicy::new(2, Duration::from_secs(60), Duration::from_secs(600))?
    ///     .count(StrikeKind::AclDrop, false);
    /// let bans = Bans::new(policy);
    /// let ip = "192.0.2.1".parse()?;
    /// assert!(bans.strike(ip, StrikeKind::AclDrop).is_none()); // not counted
    /// assert!(bans.strike(ip, StrikeKind::RateLimited).is_none());
    /// let ban = bans.strike(ip, StrikeKind::RateLimited).unwrap();
    /// assert_eq!(&*ban.reason, "2 rate-limit refusals in 60s");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn strike(&self, ip: IpAddr, kind: StrikeKind) -> Option<BanInfo> {
        let policy = self.policy.load();
        if !policy.counts(kind) || policy.is_allowlisted(ip) {
            return None;
        }
        self.strike_key(self.key_for(ip), kind)
    }

    /// Counts a strike against a custom key (the allowlist holds networks,
    /// so it does not apply).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans, StrikeKind};
    /// use firewall_core::limit::ClientKey;
    /// let bans = Bans::new(BanPolicy::new(1, Duration::from_secs(60), Duration::from_secs(600))?);
    /// let ban = bans.strike_key(ClientKey::custom("user:42"), StrikeKind::WafDrop).unwrap();
    /// assert_eq!(ban.key.to_string(), "user:42");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn strike_key(&self, key: ClientKey, kind: StrikeKind) -> Option<BanInfo> {
        let policy = self.policy.load();
        if !policy.counts(kind) {
            return None;
        }
        let now = self.clock.now();
        if self.active.get(&key, || now).is_some() {
            return None;
        }
        let verdict = self.strikes.strike(&key, kind, now, &policy)?;
        let ban = BanInfo {
            key,
            reason: verdict.reason.into(),
            since: now,
            until: now.saturating_add(nanos(verdict.duration)),
            origin: BanOrigin::Strikes {
                offence: verdict.offence,
            },
        };
        self.active.insert(ban.clone());
        logger::log_firewall(log::Level::Warn, &BanLine(&ban));
        if let Some(announcer) = self.announcer() {
            announcer.banned(&ban);
        }
        Some(ban)
    }

    /// Bans `ip` (its network under the policy's prefixes) for `duration`,
    /// replacing any ban it is under. Refused for an allowlisted address.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanOrigin, BanPolicy, Bans};
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// let ban = bans.ban("192.0.2.1".parse()?, Duration::from_secs(3_600), "abuse report")?;
    /// assert_eq!(ban.origin, BanOrigin::Manual);
    /// assert_eq!(bans.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ban(
        &self,
        ip: IpAddr,
        duration: Duration,
        reason: impl Into<Arc<str>>,
    ) -> Result<BanInfo, BanError> {
        let ip = ip.to_canonical();
        if let Some(network) = self
            .policy
            .load()
            .allowlist()
            .iter()
            .find(|n| n.contains(ip))
        {
            return Err(BanError::Allowlisted {
                ip,
                network: *network,
            });
        }
        self.ban_key(self.key_for(ip), duration, reason)
    }

    /// Bans a key (an address key or a custom one) for `duration`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanError, BanPolicy, Bans};
    /// use firewall_core::limit::ClientKey;
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// let err = bans.ban_key(ClientKey::custom("k"), Duration::ZERO, "x").unwrap_err();
    /// assert_eq!(err, BanError::ZeroDuration);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ban_key(
        &self,
        key: ClientKey,
        duration: Duration,
        reason: impl Into<Arc<str>>,
    ) -> Result<BanInfo, BanError> {
        let ban = self.ban_key_here(key, duration, reason)?;
        if let Some(announcer) = self.announcer() {
            announcer.banned(&ban);
        }
        Ok(ban)
    }

    /// [`ban_key`](Self::ban_key) on this instance only, without telling
    /// the [`BanAnnouncer`]: for a shared store that publishes the ban itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_core::limit::ClientKey;
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// bans.ban_key_here(ClientKey::custom("k"), Duration::from_secs(60), "x")?;
    /// assert_eq!(bans.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ban_key_here(
        &self,
        key: ClientKey,
        duration: Duration,
        reason: impl Into<Arc<str>>,
    ) -> Result<BanInfo, BanError> {
        if duration.is_zero() {
            return Err(BanError::ZeroDuration);
        }
        let now = self.clock.now();
        let ban = BanInfo {
            key,
            reason: reason.into(),
            since: now,
            until: now.saturating_add(nanos(duration)),
            origin: BanOrigin::Manual,
        };
        self.active.insert(ban.clone());
        logger::log_firewall(log::Level::Warn, &BanLine(&ban));
        Ok(ban)
    }

    /// Stores a ban made elsewhere (by another instance, read from a shared
    /// store) as it is: key, reason, since, until and origin are kept, and
    /// any ban on the same key is replaced. The allowlist still applies when
    /// checking. Nothing is returned to log: whoever made the ban logged it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanInfo, BanOrigin, BanPolicy, Bans};
    /// use firewall_core::limit::ClientKey;
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// bans.insert(BanInfo {
    ///     key: ClientKey::custom("user:42"),
    ///     reason: "20 WAF drops in 60s".into(),
    ///     since: 0,
    ///     until: u64::MAX,
    ///     origin: BanOrigin::Strikes { offence: 2 },
    /// });
    /// let ban = bans.is_banned_key(&ClientKey::custom("user:42")).unwrap();
    /// assert_eq!(ban.origin, BanOrigin::Strikes { offence: 2 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert(&self, ban: BanInfo) {
        self.active.insert(ban);
    }

    /// Logs the `BAN` line of a ban made on this instance elsewhere than
    /// here (by a shared store counting strikes).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanInfo, BanOrigin, BanPolicy, Bans};
    /// use firewall_core::limit::ClientKey;
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// let ban = BanInfo {
    ///     key: ClientKey::custom("user:42"),
    ///     reason: "5 WAF drops in 10s".into(),
    ///     since: 0,
    ///     until: 60_000_000_000,
    ///     origin: BanOrigin::Strikes { offence: 1 },
    /// };
    /// bans.log_ban(&ban);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log_ban(&self, ban: &BanInfo) {
        logger::log_firewall(log::Level::Warn, &BanLine(ban));
    }

    /// Lifts the ban on `ip`'s network, if any, and logs `UNBAN`; also
    /// forgets its strikes in the window (not its offences).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// assert!(bans.unban("192.0.2.1".parse()?).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unban(&self, ip: IpAddr) -> Option<Ended> {
        self.unban_key(&self.key_for(ip))
    }

    /// Lifts the ban on a key, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans, EndCause};
    /// use firewall_core::limit::ClientKey;
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// let key = ClientKey::custom("k");
    /// bans.ban_key(key.clone(), Duration::from_secs(60), "x")?;
    /// assert_eq!(bans.unban_key(&key).unwrap().cause, EndCause::Lifted);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unban_key(&self, key: &ClientKey) -> Option<Ended> {
        let ended = self.unban_key_here(key);
        if let Some(announcer) = self.announcer() {
            announcer.unbanned(key);
        }
        ended
    }

    /// [`unban_key`](Self::unban_key) on this instance only, without
    /// telling the [`BanAnnouncer`]: for a shared store applying a lift
    /// made elsewhere.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// use firewall_core::limit::ClientKey;
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// assert!(bans.unban_key_here(&ClientKey::custom("k")).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unban_key_here(&self, key: &ClientKey) -> Option<Ended> {
        self.strikes.clear(key);
        let ban = self.active.remove(key)?;
        let ended = Ended {
            ban,
            cause: EndCause::Lifted,
        };
        self.log_end(&ended);
        Some(ended)
    }

    /// Removes the bans whose time is up and returns them, earliest first,
    /// each logged as `UNBAN`. Call it every second or so; it is
    /// one atomic load when no ban is due. (A ban past its time no longer
    /// refuses anyone even before this runs.)
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// assert!(bans.expire().is_empty());
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn expire(&self) -> Vec<Ended> {
        self.active
            .expire(self.clock.now())
            .into_iter()
            .map(|ban| {
                let ended = Ended {
                    ban,
                    cause: EndCause::Expired,
                };
                self.log_end(&ended);
                ended
            })
            .collect()
    }

    /// Logs `UNBAN` with the count of requests the ban refused.
    fn log_end(&self, ended: &Ended) {
        let refused = self.refused.end(&ended.ban.key);
        logger::log_firewall(log::Level::Info, &UnbanLine { ended, refused });
    }

    /// Notes that `ban` refused the request on `packet`: its `BAN DROP`
    /// line, sampled (see [`BAN_DROP_LINE_EVERY`]).
    pub(crate) fn log_refusal(&self, packet: &Packet, ban: &BanInfo) {
        if let Some(unlogged) = self.refused.refused(&ban.key, self.clock.now()) {
            let line = BanDropLine {
                packet,
                ban,
                unlogged,
            };
            logger::log_firewall(log::Level::Warn, &line);
        }
    }

    /// The bans in force, oldest first: who, why, since, until.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// bans.ban("192.0.2.1".parse()?, Duration::from_secs(60), "first")?;
    /// bans.ban("192.0.2.2".parse()?, Duration::from_secs(60), "second")?;
    /// let reasons: Vec<_> = bans.list().iter().map(|b| b.reason.to_string()).collect();
    /// assert_eq!(reasons.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list(&self) -> Vec<BanInfo> {
        self.active.list(self.clock.now())
    }

    /// Bans stored (including any past their time until [`expire`](Self::expire) runs).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// assert_eq!(bans.len(), 0);
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.active.len()
    }

    /// Whether no ban is stored.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans};
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// assert!(bans.is_empty());
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.active.is_empty()
    }

    /// Clients whose strikes are tracked (at most the policy's `max_tracked`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, Bans, StrikeKind};
    /// let bans = Bans::new(BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?);
    /// bans.strike("192.0.2.1".parse()?, StrikeKind::WafDrop);
    /// assert_eq!(bans.tracked(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tracked(&self) -> usize {
        self.strikes.len()
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests;
