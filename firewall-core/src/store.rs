//! Where limits and bans are kept when several instances share them: the
//! [`SharedStore`] a [`Firewall`](crate::Firewall) asks instead of its
//! in-process limiters, and the `[store]` table ([`StoreConfig`]) that
//! names it.
//!
//! The firewall itself keeps everything in process. The crate
//! `firewall-store` implements [`SharedStore`] on Redis (or Valkey) and
//! `firewall-actix` connects it when the rules file has a `[store]` table
//! with a `redis` URL (or when the application calls
//! `firewall_store::share`). Core only defines the seam, so that it needs
//! no Redis client, and the web integration needs no knowledge of Redis
//! beyond one call.
//!
//! With a shared store:
//!
//! - bans are still checked in the firewall's own [`Bans`](crate::ban::Bans),
//!   one local lookup: the store keeps that copy current, and publishes the
//!   bans made here (through its [`BanAnnouncer`](crate::ban::BanAnnouncer));
//! - each rate-limit decision is awaited from the store
//!   ([`Firewall::check_request_shared`](crate::Firewall::check_request_shared)),
//!   which answers within its timeout, falling back as configured;
//! - strikes are counted by the store, so that strikes on several
//!   instances add up.

mod config;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

pub use config::{StoreConfig, StoreConfigError, DEFAULT_TIMEOUT, MAX_PREFIX_LEN};

use crate::ban::StrikeKind;
use crate::limit::{ClientKey, Decision, RateLimiter};

/// A rate-limit decision on its way from a shared store.
pub type LimitFuture<'a> = Pin<Box<dyn Future<Output = Decision> + 'a>>;

/// Limits and strikes kept outside the process, shared by every instance.
///
/// Implemented by `firewall-store` (Redis); set on a firewall with
/// [`Firewall::attach_store`](crate::Firewall::attach_store).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use firewall_core::ban::StrikeKind;
/// use firewall_core::limit::{ClientKey, Limit, RateLimiter};
/// use firewall_core::store::{LimitFuture, SharedStore, StoreState};
/// use firewall_core::Firewall;
///
/// /// Answers from the in-process limiter: what a store does while degraded.
/// #[derive(Debug)]
/// struct Local;
/// impl SharedStore for Local {
///     fn check_limit<'a>(&'a self, limiter: &'a RateLimiter, key: &'a ClientKey) -> LimitFuture<'a> {
///         Box::pin(std::future::ready(limiter.check(key)))
///     }
///     fn strike(&self, _key: ClientKey, _kind: StrikeKind) {}
///     fn state(&self) -> StoreState { StoreState::in_process() }
/// }
/// let fw = Firewall::new("app");
/// fw.attach_store(Arc::new(Local));
/// assert_eq!(fw.store_state().backend, "in-process");
/// ```
pub trait SharedStore: Send + Sync + fmt::Debug {
    /// One request from `key` under `limiter`'s limit. Must answer within
    /// the store's timeout: from the in-process `limiter`, or refused (a
    /// fail-closed limit), when the store cannot answer in time.
    fn check_limit<'a>(&'a self, limiter: &'a RateLimiter, key: &'a ClientKey) -> LimitFuture<'a>;

    /// Counts a strike of `kind` against `key`, where every instance
    /// counts; a ban it starts is logged, applied here and published. Does
    /// not wait: called on the request path.
    fn strike(&self, key: ClientKey, kind: StrikeKind);

    /// What the monitors show.
    fn state(&self) -> StoreState;
}

/// What a store reports about its backend: for the monitors.
///
/// # Examples
///
/// ```
/// let state = firewall_core::store::StoreState::in_process();
/// assert_eq!(state.backend, "in-process");
/// assert!(state.connected && state.degraded_since.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreState {
    /// `in-process` or `redis`.
    pub backend: &'static str,
    /// The Redis URL with its password hidden (empty in process).
    pub url: String,
    /// Whether the backend answers (always true in process).
    pub connected: bool,
    /// Since when Redis has not answered, if it does not.
    pub degraded_since: Option<SystemTime>,
    /// The round trip of the last call that succeeded.
    pub last_rtt: Option<Duration>,
    /// Times the store switched to degraded mode since it started.
    pub outages: u64,
}

impl StoreState {
    /// The state of the in-process store: always connected.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::store::StoreState::in_process().url.is_empty());
    /// ```
    pub fn in_process() -> Self {
        Self {
            backend: "in-process",
            url: String::new(),
            connected: true,
            degraded_since: None,
            last_rtt: None,
            outages: 0,
        }
    }
}
