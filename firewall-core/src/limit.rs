//! Rate limits: a named quota over a route, counted per client.
//!
//! A [`Limit`] says what it covers (a route prefix, optionally some methods),
//! how much it allows (a [`Quota`]: N per period with a burst) and how clients
//! are grouped ([`KeyPrefixes`]: IPv4 /32 and IPv6 /64 by default). A
//! [`RateLimiter`] holds one limit's state and answers each request with a
//! [`Decision`] that carries what the `RateLimit`, `RateLimit-Policy` and
//! `Retry-After` headers need.
//!
//! # Algorithm
//!
//! GCRA ([`decide`]): each key stores one instant, its *theoretical arrival
//! time*. A request moves it one `interval = period / count` later and is
//! allowed while it stays within `burst * interval` of now. The answer is a
//! pure function of (stored instant, now, quota) in integer nanoseconds, so a
//! shared store (a Lua script in Redis) can run the same arithmetic. The
//! update is done under the key's shard lock, so the answers are exact under
//! concurrency: with the clock frozen, 1,000 requests from any number of
//! threads against a burst of 100 let exactly 100 through.
//!
//! # Memory
//!
//! One entry per key holding a [`ClientKey`] (24 bytes) and an instant (8):
//! 32 bytes plus hashbrown's one control byte, in tables that grow by powers
//! of two and fill to 7/8. A full table costs about 38 bytes per key; just
//! after a table doubled, about 75. A key whose instant has passed is at
//! full quota and may be forgotten without changing any answer:
//! [`RateLimiter::evict_idle`] drops them all, and a full table drops them
//! first. The table never holds more than [`Limit::max_keys`] keys: when
//! none is idle, the keys nearest to full quota go, which a flood of new
//! addresses (one request each) mostly fills itself. The default,
//! [`DEFAULT_MAX_KEYS`] (917,504 = 64 shards of 7/8 x 16,384 buckets), is
//! the most keys that fill 64 tables of 16,384 buckets exactly: about 35 MB
//! for a limit, whatever the flood (the bench `limits` prints it). Over
//! HTTP, the load benchmark's `limit_flood` row (every request from a new
//! forwarded address, `max_keys` 100,000) reports the server's RSS growth.
//!
//! A key from a [key function](Limit::key_by) also holds its text on the
//! heap: at most 71 bytes ([`MAX_REQUEST_KEY_LEN`], or `sha256:` and 64 hex
//! digits for a longer key) plus the allocator's overhead, so up to about
//! 150 bytes per key in all; set [`Limit::max_keys`] for such a limit with
//! that in mind.
//!
//! # Why not `governor`
//!
//! governor implements GCRA well but its keyed store (a `DashMap`) has no cap,
//! only `retain_recent`: a flood of distinct addresses grows it without bound
//! between two sweeps. It keeps its state relative to its own clock's start,
//! which another process cannot share. The algorithm is ten lines; the table
//! is std's `HashMap` (hashbrown) behind sharded locks, which needs no new
//! dependency.
//!
//! # Examples
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use firewall_core::limit::{ClientKey, Limit, ManualClock, Quota, RateLimiter};
//!
//! let login = Limit::new("login", Quota::per_minute(5)?)?
//!     .route("/login")?
//!     .method("POST")?;
//! assert!(login.covers("POST", "/login", "/login"));
//! assert!(!login.covers("GET", "/login", "/login"));
//! assert_eq!(login.policy_header(), r#""login";q=5;w=60"#);
//!
//! let clock = Arc::new(ManualClock::new(0));
//! let limiter = RateLimiter::with_clock(login, clock.clone());
//! let client = limiter.limit().key_for("203.0.113.7".parse()?);
//! for _ in 0..5 {
//!     assert!(limiter.check(&client).allowed);
//! }
//! let refused = limiter.check(&client);
//! assert!(!refused.allowed);
//! assert_eq!(refused.retry_after_secs(), Some(12));
//! clock.advance(Duration::from_secs(12));
//! assert!(limiter.check(&client).allowed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod clock;
mod gcra;
mod header_text;
mod key;
mod quota;
mod request_key;
mod table;

use std::net::IpAddr;
use std::sync::Arc;

pub use clock::{
    parse_short_duration, short_duration, Clock, DurationError, ManualClock, UnixClock,
};
pub use gcra::{decide, Decision};
pub use header_text::MAX_INTERNED_BYTES;
pub use key::{ClientKey, KeyPrefixes, PrefixError};
pub use quota::{Quota, QuotaError, MAX_PERIOD};
pub use request_key::{HeaderLookup, NoHeaders, RequestKey, RequestView, MAX_REQUEST_KEY_LEN};

pub(crate) use header_text::HeaderText;
pub(crate) use table::drop_earliest;
use table::KeyTable;

/// The default cap of keys per limit: 64 shards of 14,336 keys, which fill
/// hash tables of 16,384 buckets exactly (about 35 MB in all).
pub const DEFAULT_MAX_KEYS: usize = 917_504;

/// Longest limit name.
pub const MAX_NAME_LEN: usize = 64;

/// Why a limit is not valid; each variant holds the offending input.
///
/// # Examples
///
/// ```
/// use firewall_core::limit::{Limit, LimitError, Quota};
/// let err = Limit::new("log in", Quota::per_minute(5)?).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "limit name `log in`: use 1 to 64 letters, digits, `-`, `_` or `.`"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LimitError {
    /// The name is empty, too long, or holds other characters.
    #[error("limit name `{0}`: use 1 to 64 letters, digits, `-`, `_` or `.`")]
    Name(String),
    /// The route does not start with `/`.
    #[error("limit `{name}`: route `{route}` must start with `/`")]
    Route {
        /// The limit's name.
        name: String,
        /// The route given.
        route: String,
    },
    /// The method is not an HTTP token.
    #[error("limit `{name}`: method `{method}` is not an HTTP method name")]
    Method {
        /// The limit's name.
        name: String,
        /// The method given.
        method: String,
    },
    /// `max_keys` is 0.
    #[error("limit `{name}`: max_keys must be at least 1")]
    MaxKeys {
        /// The limit's name.
        name: String,
    },
}

/// A named quota over a route prefix (and optionally some methods), counted
/// per client key.
///
/// # Examples
///
/// ```
/// use firewall_core::limit::{KeyPrefixes, Limit, Quota};
/// let api = Limit::new("api", Quota::per_second(100)?)?
///     .route("/api")?
///     .prefixes(KeyPrefixes::new(32, 56)?)
///     .max_keys(100_000)?;
/// assert_eq!(api.name(), "api");
/// assert!(api.covers("GET", "/api/v1/users", "/api/v1/users"));
/// assert!(!api.covers("GET", "/apis", "/apis"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    name: String,
    route: String,
    methods: Vec<String>,
    quota: Quota,
    prefixes: KeyPrefixes,
    max_keys: usize,
    /// The key as a function of the request, if the code gave one.
    request_key: Option<RequestKey>,
}

impl Limit {
    /// A limit over the whole application, every method, keyed by client
    /// address with the default prefixes.
    ///
    /// The name appears in headers and log lines, so it is restricted to 1 to
    /// [`MAX_NAME_LEN`] ASCII letters, digits, `-`, `_` and `.`: nothing to
    /// escape or quote anywhere.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota};
    /// let all = Limit::new("global", Quota::per_second(1_000)?)?;
    /// assert!(all.covers("DELETE", "/anything", "/anything"));
    /// assert!(Limit::new("", Quota::per_second(1)?).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(name: impl Into<String>, quota: Quota) -> Result<Self, LimitError> {
        let name = name.into();
        let valid = (1..=MAX_NAME_LEN).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !valid {
            return Err(LimitError::Name(name));
        }
        Ok(Self {
            name,
            route: "/".to_owned(),
            methods: Vec::new(),
            quota,
            prefixes: KeyPrefixes::default(),
            max_keys: DEFAULT_MAX_KEYS,
            request_key: None,
        })
    }

    /// Covers only `prefix` and what is below it at a `/`, as WAF exclusions
    /// do: `/login` covers `/login` and `/login/sso`, not `/loginx`.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota};
    /// let l = Limit::new("l", Quota::per_second(1)?)?.route("/login")?;
    /// assert!(l.covers("GET", "/login/sso", "/login/sso"));
    /// assert!(!l.covers("GET", "/loginx", "/loginx"));
    /// assert!(Limit::new("l", Quota::per_second(1)?)?.route("login").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn route(mut self, prefix: impl Into<String>) -> Result<Self, LimitError> {
        let route = prefix.into();
        if !route.starts_with('/') {
            return Err(LimitError::Route {
                name: self.name,
                route,
            });
        }
        self.route = route;
        Ok(self)
    }

    /// Covers only this method (may be called several times); matched
    /// without regard to case.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota};
    /// let l = Limit::new("l", Quota::per_second(1)?)?.method("post")?.method("PUT")?;
    /// assert_eq!(l.methods(), ["POST", "PUT"]);
    /// assert!(l.covers("post", "/", "/"));
    /// assert!(!l.covers("GET", "/", "/"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn method(mut self, method: impl Into<String>) -> Result<Self, LimitError> {
        let method = method.into();
        // RFC 9110 token characters.
        let token = !method.is_empty()
            && method
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token {
            return Err(LimitError::Method {
                name: self.name,
                method,
            });
        }
        self.methods.push(method.to_ascii_uppercase());
        Ok(self)
    }

    /// Groups client addresses by these prefix lengths.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{KeyPrefixes, Limit, Quota};
    /// let l = Limit::new("l", Quota::per_second(1)?)?.prefixes(KeyPrefixes::new(24, 48)?);
    /// assert_eq!(l.key_for("10.0.0.9".parse()?).to_string(), "10.0.0.0/24");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn prefixes(mut self, prefixes: KeyPrefixes) -> Self {
        self.prefixes = prefixes;
        self
    }

    /// Counts clients by a key the function takes from the request (an API
    /// key header, a user id) instead of their address. A request for which
    /// it gives no key (`None` or an empty string) is counted by its client
    /// address, as without a function. A key longer than
    /// [`MAX_REQUEST_KEY_LEN`] bytes is stored as its SHA-256; a `RATE DROP`
    /// line shows the key's fingerprint (`key #` and 12 hex digits of its
    /// SHA-256, see [`ClientKey::fingerprint`]), never the key.
    ///
    /// Declared in code only (a `[[limit]]` table has no function). Bans
    /// still count strikes by address.
    ///
    /// # Security
    ///
    /// Each key has its own quota: key by a value the application verifies
    /// (an API key it checks), or a client sending made-up keys gets a fresh
    /// quota with each. A limit by address beside it caps such a client.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{ClientKey, Limit, NoHeaders, Quota, RequestView};
    /// let api = Limit::new("api", Quota::per_minute(100)?)?
    ///     .key_by(|request| request.header("x-api-key").map(str::to_owned));
    /// let ip = "203.0.113.7".parse()?;
    /// let with_key = [("X-Api-Key", "k-1")];
    /// let keyed = RequestView::new("GET", "/", &with_key);
    /// assert_eq!(api.key_of(&keyed, ip), ClientKey::custom("k-1"));
    /// let anonymous = RequestView::new("GET", "/", &NoHeaders);
    /// assert_eq!(api.key_of(&anonymous, ip), api.key_for(ip));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn key_by<F>(mut self, key: F) -> Self
    where
        F: Fn(&RequestView<'_>) -> Option<String> + Send + Sync + 'static,
    {
        self.request_key = Some(RequestKey::new(key));
        self
    }

    /// The key function, if any (see [`key_by`](Self::key_by)).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota};
    /// assert!(Limit::new("l", Quota::per_second(1)?)?.request_key().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn request_key(&self) -> Option<&RequestKey> {
        self.request_key.as_ref()
    }

    /// Keeps at most `max` keys (rounded up to a multiple of the shard
    /// count); see the module docs for which go first.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota};
    /// let l = Limit::new("l", Quota::per_second(1)?)?.max_keys(10_000)?;
    /// assert_eq!(l.max_keys_value(), 10_000);
    /// assert!(Limit::new("l", Quota::per_second(1)?)?.max_keys(0).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_keys(mut self, max: usize) -> Result<Self, LimitError> {
        if max == 0 {
            return Err(LimitError::MaxKeys { name: self.name });
        }
        self.max_keys = max;
        Ok(self)
    }

    /// The name.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota};
    /// assert_eq!(Limit::new("login", Quota::per_second(1)?)?.name(), "login");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The route prefix (`/` for the whole application).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota};
    /// assert_eq!(Limit::new("l", Quota::per_second(1)?)?.route_prefix(), "/");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn route_prefix(&self) -> &str {
        &self.route
    }

    /// The methods covered, upper case (empty: all).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota};
    /// assert!(Limit::new("l", Quota::per_second(1)?)?.methods().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn methods(&self) -> &[String] {
        &self.methods
    }

    /// The quota.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota};
    /// let l = Limit::new("login", Quota::per_minute(5)?)?;
    /// assert_eq!(format!("limit \"{}\" {}", l.name(), l.quota()), r#"limit "login" 5/60s"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn quota(&self) -> &Quota {
        &self.quota
    }

    /// The prefix lengths client addresses are grouped by.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota};
    /// assert_eq!(Limit::new("l", Quota::per_second(1)?)?.key_prefixes().v6(), 64);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key_prefixes(&self) -> KeyPrefixes {
        self.prefixes
    }

    /// The cap of keys.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota, DEFAULT_MAX_KEYS};
    /// assert_eq!(Limit::new("l", Quota::per_second(1)?)?.max_keys_value(), DEFAULT_MAX_KEYS);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_keys_value(&self) -> usize {
        self.max_keys
    }

    /// The key of a client address under this limit's prefixes.
    ///
    /// # Security
    ///
    /// Pass the address after trusted proxies are resolved.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota};
    /// let l = Limit::new("l", Quota::per_second(1)?)?;
    /// assert_eq!(l.key_for("::ffff:10.0.0.1".parse()?), l.key_for("10.0.0.1".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key_for(&self, ip: IpAddr) -> ClientKey {
        ClientKey::from_ip(ip, self.prefixes)
    }

    /// The key `request`, from client address `ip`, is counted under: the
    /// key function's, or else (no function, or no key from it) the
    /// address's ([`key_for`](Self::key_for)).
    ///
    /// # Security
    ///
    /// Pass the address after trusted proxies are resolved.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, NoHeaders, Quota, RequestView};
    /// let l = Limit::new("l", Quota::per_second(1)?)?;
    /// let ip = "10.0.0.1".parse()?;
    /// assert_eq!(l.key_of(&RequestView::new("GET", "/", &NoHeaders), ip), l.key_for(ip));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key_of(&self, request: &RequestView<'_>, ip: IpAddr) -> ClientKey {
        self.request_key
            .as_ref()
            .and_then(|key| key.key_of(request))
            .unwrap_or_else(|| self.key_for(ip))
    }

    /// Whether a request with this method and path is counted by this limit.
    ///
    /// Counted if the path as received *or* as normalised is under the route:
    /// a limit tightens, so neither spelling may slip past it (WAF exclusions,
    /// which loosen, require both).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota};
    /// let l = Limit::new("l", Quota::per_second(1)?)?.route("/login")?;
    /// assert!(l.covers("GET", "/x/..%2flogin", "/login"));
    /// assert!(l.covers("GET", "/login", "/"));
    /// assert!(!l.covers("GET", "/logout", "/logout"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn covers(&self, method: &str, raw_path: &str, normalised_path: &str) -> bool {
        let method_ok =
            self.methods.is_empty() || self.methods.iter().any(|m| m.eq_ignore_ascii_case(method));
        method_ok
            && (crate::waf::under(&self.route, raw_path)
                || crate::waf::under(&self.route, normalised_path))
    }

    /// The value of the `RateLimit-Policy` header, as the IETF httpapi draft
    /// writes it: `"name";q=COUNT;w=PERIOD_SECONDS` (the period rounded up to
    /// whole seconds).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota};
    /// let l = Limit::new("api", Quota::per_second(100)?)?;
    /// assert_eq!(l.policy_header(), r#""api";q=100;w=1"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy_header(&self) -> String {
        let w = clock::ceil_secs(self.quota.period().as_nanos() as u64);
        format!("\"{}\";q={};w={w}", self.name, self.quota.count())
    }
}

/// One limit and its per-key state: the object a middleware keeps (in an
/// `Arc`, shared by all workers) and asks for each covered request.
///
/// # Examples
///
/// ```
/// use firewall_core::limit::{ClientKey, Limit, Quota, RateLimiter};
/// let limiter = RateLimiter::new(Limit::new("api", Quota::per_minute(100)?)?);
/// let decision = limiter.check(&ClientKey::custom("api-key-7"));
/// assert!(decision.allowed);
/// assert_eq!(decision.header_value(limiter.limit().name()), r#""api";r=99;t=1"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RateLimiter {
    limit: Limit,
    /// `limit.policy_header()`, made once: every allowed response sends it.
    policy: HeaderText,
    /// The `RateLimit` value of a request from a client at full quota.
    fresh: FreshState,
    table: KeyTable,
    clock: Arc<dyn Clock>,
}

impl RateLimiter {
    /// A limiter on the system clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota, RateLimiter};
    /// let limiter = RateLimiter::new(Limit::new("l", Quota::per_second(1)?)?);
    /// assert!(limiter.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(limit: Limit) -> Self {
        Self::with_clock(limit, Arc::new(UnixClock))
    }

    /// A limiter on the given clock (a [`ManualClock`] in tests).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use firewall_core::limit::{Limit, ManualClock, Quota, RateLimiter};
    /// let limiter = RateLimiter::with_clock(
    ///     Limit::new("l", Quota::per_second(1)?)?,
    ///     Arc::new(ManualClock::new(0)),
    /// );
    /// assert_eq!(limiter.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_clock(limit: Limit, clock: Arc<dyn Clock>) -> Self {
        let table = KeyTable::new(limit.max_keys);
        Self {
            policy: HeaderText::new(limit.policy_header()),
            fresh: FreshState::of(&limit),
            limit,
            table,
            clock,
        }
    }

    /// The limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota, RateLimiter};
    /// let limiter = RateLimiter::new(Limit::new("l", Quota::per_second(1)?)?);
    /// assert_eq!(limiter.limit().name(), "l");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn limit(&self) -> &Limit {
        &self.limit
    }

    /// The limit's `RateLimit-Policy` value ([`Limit::policy_header`]),
    /// made once when the limiter was.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota, RateLimiter};
    /// let limiter = RateLimiter::new(Limit::new("api", Quota::per_second(100)?)?);
    /// assert_eq!(limiter.policy_header_text(), r#""api";q=100;w=1"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy_header_text(&self) -> &str {
        self.policy.as_str()
    }

    /// The `RateLimit-Policy` text, shared with the responses.
    pub(crate) fn policy(&self) -> &HeaderText {
        &self.policy
    }

    /// The `RateLimit` text of a decision with these numbers when it is the
    /// one of a client at full quota (kept for the life of the process),
    /// else `None`.
    pub(crate) fn fresh_state(&self, remaining: u32, reset_secs: u64) -> Option<&'static str> {
        let fresh = &self.fresh;
        if (remaining, reset_secs) == (fresh.remaining, fresh.reset_secs) {
            fresh.text
        } else {
            None
        }
    }

    /// Counts one request from `key` now, and says whether it may go on.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota, RateLimiter};
    /// let limiter = RateLimiter::new(Limit::new("l", Quota::per_minute(1)?)?);
    /// let key = limiter.limit().key_for("10.0.0.1".parse()?);
    /// assert!(limiter.check(&key).allowed);
    /// assert!(!limiter.check(&key).allowed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self, key: &ClientKey) -> Decision {
        self.check_at(key, self.clock.now())
    }

    /// Counts one request from `key` at `now` (nanoseconds since the epoch).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota, RateLimiter};
    /// let limiter = RateLimiter::new(Limit::new("l", Quota::per_minute(1)?)?);
    /// let key = limiter.limit().key_for("10.0.0.1".parse()?);
    /// assert!(limiter.check_at(&key, 0).allowed);
    /// assert!(limiter.check_at(&key, 60_000_000_000).allowed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_at(&self, key: &ClientKey, now: u64) -> Decision {
        let quota = &self.limit.quota;
        self.table.update(key, now, |tat| decide(tat, now, quota))
    }

    /// What `key` may still send now, without counting a request: for a
    /// `RateLimit` header on a response the limit did not count.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota, RateLimiter};
    /// let limiter = RateLimiter::new(Limit::new("l", Quota::per_minute(10)?)?);
    /// let key = limiter.limit().key_for("10.0.0.1".parse()?);
    /// limiter.check(&key);
    /// assert_eq!(limiter.remaining(&key), 9);
    /// assert_eq!(limiter.remaining(&key), 9);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remaining(&self, key: &ClientKey) -> u32 {
        let now = self.clock.now();
        let tat = self.table.get(key).unwrap_or(0);
        let quota = &self.limit.quota;
        let used = tat.saturating_sub(now).div_ceil(quota.interval_nanos());
        u32::try_from(u64::from(quota.burst()).saturating_sub(used)).unwrap_or(u32::MAX)
    }

    /// Forgets every key back at full quota (no answer changes); returns how
    /// many went. Call it now and then (say every minute) to give memory back
    /// after a busy spell; a full table does it on its own.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use firewall_core::limit::{Limit, ManualClock, Quota, RateLimiter};
    /// let clock = Arc::new(ManualClock::new(0));
    /// let limiter = RateLimiter::with_clock(Limit::new("l", Quota::per_minute(1)?)?, clock.clone());
    /// limiter.check(&limiter.limit().key_for("10.0.0.1".parse()?));
    /// clock.advance(Duration::from_secs(60));
    /// assert_eq!(limiter.evict_idle(), 1);
    /// assert!(limiter.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evict_idle(&self) -> usize {
        self.table.evict_idle(self.clock.now())
    }

    /// Keys currently stored.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{ClientKey, Limit, Quota, RateLimiter};
    /// let limiter = RateLimiter::new(Limit::new("l", Quota::per_minute(1)?)?);
    /// limiter.check(&ClientKey::custom("a"));
    /// assert_eq!(limiter.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no key is stored.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota, RateLimiter};
    /// assert!(RateLimiter::new(Limit::new("l", Quota::per_minute(1)?)?).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most keys this limiter keeps.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Limit, Quota, RateLimiter};
    /// let l = Limit::new("l", Quota::per_minute(1)?)?.max_keys(5_000)?;
    /// assert!(RateLimiter::new(l).capacity() >= 5_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }
}

/// The `RateLimit` value of a request from a client at full quota (or
/// back to it): the one most responses of a limit that is seldom reached
/// carry, `"name";r=BURST-1;t=INTERVAL`.
#[derive(Debug)]
struct FreshState {
    remaining: u32,
    reset_secs: u64,
    /// The text when kept for the life of the process.
    text: Option<&'static str>,
}

impl FreshState {
    fn of(limit: &Limit) -> Self {
        let (decision, _) = decide(0, 0, &limit.quota);
        let text = HeaderText::new(decision.header_value(limit.name()));
        Self {
            remaining: decision.remaining,
            reset_secs: decision.reset_secs(),
            text: text.as_static(),
        }
    }
}

#[cfg(test)]
mod tests;
