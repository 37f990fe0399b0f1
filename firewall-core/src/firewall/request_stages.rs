//! The stages of an HTTP request before the WAF, in order: the ban check
//! (one lookup), the ACL, then the rate limits that cover the request. Each
//! refusal is final: counted once, logged, recorded, and a strike when the
//! ban policy counts it.

use std::fmt;
use std::io::Write as _;
use std::net::IpAddr;
use std::sync::Arc;

use super::admission::{both_facts, Admission};
use super::limit_set::LimitSet;
use super::rate_limit_headers::RateLimitHeaders;
use super::Firewall;
use crate::ban::{BanInfo, StrikeKind};
use crate::limit::{
    ClientKey, Decision as LimitDecision, HeaderLookup, Limit, NoHeaders, RateLimiter, RequestView,
};
use crate::logger::{self, RawMessage};
use crate::metrics::LatencyPath;
use crate::packet::Packet;
use crate::ruleset::{Decision, RuleSet};
use crate::stats::Stage;
use crate::store::SharedStore;

/// What the ban, ACL and limit stages know of one HTTP request.
///
/// # Security
///
/// `packet.src` is the client after trusted proxies are resolved: limits
/// and bans count it. Set `exempt` for a trusted proxy's own address, which
/// is never limited nor banned (its clients are).
///
/// # Examples
///
/// ```
/// use firewall_core::{ClientRequest, Packet};
/// let packet = Packet::tcp("203.0.113.7:5123".parse()?, "127.0.0.1:5000".parse()?);
/// let request = ClientRequest::new(packet, "POST", "/login");
/// assert!(!request.exempt);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ClientRequest<'a> {
    /// From the client (after trusted proxies) to the server.
    pub packet: Packet,
    /// The HTTP method.
    pub method: &'a str,
    /// The path as received (escapes and all, no query).
    pub path: &'a str,
    /// A trusted proxy's own request: never limited or banned.
    pub exempt: bool,
    /// A limit the handler names (`#[firewall(limit = "...")]`): counted
    /// whatever its route, once even when it also covers the route.
    pub handler_limit: Option<&'a RateLimiter>,
    /// The request's headers, for limits keyed by a function of the request
    /// ([`Limit::key_by`]); `None`: such limits see no header.
    pub headers: Option<&'a dyn HeaderLookup>,
}

impl<'a> ClientRequest<'a> {
    /// A request that is not exempt and names no limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{ClientRequest, Packet};
    /// let packet = Packet::tcp("[::1]:5123".parse()?, "[::1]:5000".parse()?);
    /// assert_eq!(ClientRequest::new(packet, "GET", "/").path, "/");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(packet: Packet, method: &'a str, path: &'a str) -> Self {
        Self {
            packet,
            method,
            path,
            exempt: false,
            handler_limit: None,
            headers: None,
        }
    }
}

/// Why a request was refused before the WAF: already counted, logged and
/// recorded.
///
/// # Examples
///
/// ```
/// use firewall_core::{ClientRequest, Firewall, Packet, Stopped};
/// let fw = Firewall::new("app"); // no rules: the ACL drops
/// let packet = Packet::tcp("203.0.113.7:5123".parse()?, "127.0.0.1:5000".parse()?);
/// let stopped = fw.check_request(&ClientRequest::new(packet, "GET", "/")).unwrap_err();
/// assert!(matches!(stopped, Stopped::Denied(_)));
/// assert_eq!(fw.stats().dropped, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stopped {
    /// The client is banned (`403`).
    Banned(BanInfo),
    /// The ACL dropped it (`403`).
    Denied(Decision),
    /// A rate limit refused it (`429`): the limit's name and the headers.
    RateLimited {
        /// The limit that refused.
        limit: String,
        /// Its `RateLimit-Policy`, `RateLimit` and `Retry-After`.
        headers: RateLimitHeaders,
    },
}

impl Firewall {
    /// Judges a request that no later stage inspects: ban, ACL, limits.
    /// Served requests are counted (their `ACL ALLOW` line) before the
    /// handler runs; the headers go on the response.
    ///
    /// # Errors
    ///
    /// [`Stopped`]: the refusal, already counted and logged.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{limit::Limit, ClientRequest, Firewall, Packet, Rule, Stopped, ALLOW, ANY};
    /// let fw = Firewall::new("app")
    ///     .with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all")?])?
    ///     .with_limits(vec![Limit::new("login", "1/60s".parse()?)?])?;
    /// let packet = Packet::tcp("203.0.113.7:5123".parse()?, "127.0.0.1:5000".parse()?);
    /// let request = ClientRequest::new(packet, "GET", "/");
    /// assert!(fw.check_request(&request).is_ok());
    /// let Err(Stopped::RateLimited { limit, headers }) = fw.check_request(&request) else { panic!() };
    /// assert_eq!((limit.as_str(), headers.retry_after()), ("login", Some(60)));
    /// assert_eq!((fw.stats().allowed, fw.stats().dropped), (1, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_request(&self, request: &ClientRequest<'_>) -> Result<RateLimitHeaders, Stopped> {
        let latency = self.shared.metrics.latency();
        let started = latency.start_acl();
        let judged = self.check_stages(request);
        latency.observe(LatencyPath::Acl, started);
        judged
    }

    /// The stages of [`check_request`](Self::check_request): ban, ACL, limits.
    fn check_stages(&self, request: &ClientRequest<'_>) -> Result<RateLimitHeaders, Stopped> {
        self.refuse_if_banned(request)?;
        let set = self.shared.engine.current.load();
        let decision = self.acl_stage(&set, request)?;
        let headers = self.limit_stage(request, decision)?;
        self.record_acl(&set, &request.packet, decision);
        Ok(headers)
    }

    /// [`check_request`](Self::check_request) with the rule set and limits
    /// a [`StageCache`](super::StageCache) holds (current when it checked).
    pub(super) fn check_request_held(
        &self,
        rules: &RuleSet,
        limits: &LimitSet,
        request: &ClientRequest<'_>,
    ) -> Result<RateLimitHeaders, Stopped> {
        let latency = self.shared.metrics.latency();
        let started = latency.start_acl();
        let judged = self.check_stages_held(rules, limits, request);
        latency.observe(LatencyPath::Acl, started);
        judged
    }

    /// [`check_stages`](Self::check_stages) with the sets given.
    fn check_stages_held(
        &self,
        rules: &RuleSet,
        limits: &LimitSet,
        request: &ClientRequest<'_>,
    ) -> Result<RateLimitHeaders, Stopped> {
        self.refuse_if_banned(request)?;
        let decision = self.acl_stage(rules, request)?;
        let headers = self.limit_stage_in(limits, request, decision)?;
        self.record_acl(rules, &request.packet, decision);
        Ok(headers)
    }

    /// [`check_request`](Self::check_request) for a request a later stage
    /// (the WAF) inspects: the [`Admission`] to end with
    /// [`serve`](Self::serve) or [`refuse`](Self::refuse) (a WAF drop is then a strike).
    ///
    /// # Errors
    ///
    /// [`Stopped`]: the refusal, already counted and logged.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{ClientRequest, Firewall, Packet, Rule, ALLOW, ANY};
    /// let fw = Firewall::new("app").with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all")?])?;
    /// let packet = Packet::tcp("203.0.113.7:5123".parse()?, "127.0.0.1:5000".parse()?);
    /// let (admission, headers) = fw.admit_request(&ClientRequest::new(packet, "GET", "/")).unwrap();
    /// assert!(headers.is_empty());
    /// fw.serve(admission);
    /// assert_eq!(fw.stats().allowed, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn admit_request(
        &self,
        request: &ClientRequest<'_>,
    ) -> Result<(Admission, RateLimitHeaders), Stopped> {
        let latency = self.shared.metrics.latency();
        let started = latency.start();
        let stopped = |stop: Stopped| {
            // Refused before the WAF: a decision by the first stages alone.
            latency.observe_acl_sampled(started);
            stop
        };
        self.refuse_if_banned(request).map_err(stopped)?;
        let set = self.shared.engine.current.load_full();
        let decision = self.acl_stage(&set, request).map_err(stopped)?;
        let headers = self.limit_stage(request, decision).map_err(stopped)?;
        let admission = Admission::new(set, request.packet, decision, request.exempt, started);
        Ok((admission, headers))
    }

    /// [`check_request`](Self::check_request) with the limits decided by
    /// the shared store when one is attached ([`attach_store`](Self::attach_store)):
    /// the ban and ACL stages run at once, each limit's decision is awaited
    /// (within the store's timeout). Without a store, the same as
    /// `check_request`.
    ///
    /// # Errors
    ///
    /// [`Stopped`]: the refusal, already counted and logged.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::Future;
    /// use std::task::{Context, Poll, Waker};
    /// use firewall_core::{limit::Limit, ClientRequest, Firewall, Packet, Rule, Stopped, ALLOW, ANY};
    /// let fw = Firewall::new("app")
    ///     .with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all")?])?
    ///     .with_limits(vec![Limit::new("login", "1/60s".parse()?)?])?;
    /// let packet = Packet::tcp("203.0.113.7:5123".parse()?, "127.0.0.1:5000".parse()?);
    /// let request = ClientRequest::new(packet, "GET", "/");
    /// // Without a store the answer is ready at once.
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let first = std::pin::pin!(fw.check_request_shared(&request)).poll(&mut cx);
    /// assert!(matches!(first, Poll::Ready(Ok(_))));
    /// let second = std::pin::pin!(fw.check_request_shared(&request)).poll(&mut cx);
    /// assert!(matches!(second, Poll::Ready(Err(Stopped::RateLimited { .. }))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn check_request_shared(
        &self,
        request: &ClientRequest<'_>,
    ) -> Result<RateLimitHeaders, Stopped> {
        let Some(store) = self.shared_store() else {
            return self.check_request(request);
        };
        self.refuse_if_banned(request)?;
        let set = self.shared.engine.current.load_full();
        let decision = self.acl_stage(&set, request)?;
        let headers = self.limit_stage_shared(&*store, request, decision).await?;
        self.record_acl(&set, &request.packet, decision);
        Ok(headers)
    }

    /// [`admit_request`](Self::admit_request) with the limits decided by
    /// the shared store, as [`check_request_shared`](Self::check_request_shared).
    ///
    /// # Errors
    ///
    /// [`Stopped`]: the refusal, already counted and logged.
    pub async fn admit_request_shared(
        &self,
        request: &ClientRequest<'_>,
    ) -> Result<(Admission, RateLimitHeaders), Stopped> {
        let Some(store) = self.shared_store() else {
            return self.admit_request(request);
        };
        let started = self.shared.metrics.latency().start();
        self.refuse_if_banned(request)?;
        let set = self.shared.engine.current.load_full();
        let decision = self.acl_stage(&set, request)?;
        let headers = self.limit_stage_shared(&*store, request, decision).await?;
        let admission = Admission::new(set, request.packet, decision, request.exempt, started);
        Ok((admission, headers))
    }

    /// Counts one request of an already judged (and served) request against
    /// `limiter`: for a handler's `#[firewall(limit = ...)]` behind a
    /// middleware that did not count that limit. A refusal is a drop of
    /// its own.
    ///
    /// # Errors
    ///
    /// [`Stopped::RateLimited`], counted and logged.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{limit::{Limit, RateLimiter}, ClientRequest, Firewall, Packet};
    /// let fw = Firewall::new("app");
    /// let limiter = RateLimiter::new(Limit::new("one", "1/60s".parse()?)?);
    /// let packet = Packet::tcp("203.0.113.7:5123".parse()?, "127.0.0.1:5000".parse()?);
    /// let request = ClientRequest::new(packet, "GET", "/");
    /// assert!(fw.limit_served(&request, &limiter).is_ok());
    /// assert!(fw.limit_served(&request, &limiter).is_err());
    /// assert_eq!(fw.stats().dropped, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn limit_served(
        &self,
        request: &ClientRequest<'_>,
        limiter: &RateLimiter,
    ) -> Result<RateLimitHeaders, Stopped> {
        let mut headers = RateLimitHeaders::default();
        if self.is_exempt(request) {
            return Ok(headers);
        }
        let key = key_of(limiter.limit(), request);
        let decision = limiter.check(&key);
        headers.push(limiter, &decision);
        if decision.allowed {
            return Ok(headers);
        }
        Err(self.rate_refusal(request, None, limiter.limit(), &key, headers))
    }

    /// [`limit_served`](Self::limit_served) with the decision awaited from
    /// the shared store when one is attached (within its timeout, falling
    /// back as the limit says); without a store, `limit_served` itself.
    ///
    /// # Errors
    ///
    /// [`Stopped::RateLimited`], counted and logged.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::Future;
    /// use std::task::{Context, Poll, Waker};
    /// use firewall_core::{limit::{Limit, RateLimiter}, ClientRequest, Firewall, Packet};
    /// let fw = Firewall::new("app");
    /// let limiter = RateLimiter::new(Limit::new("one", "1/60s".parse()?)?);
    /// let packet = Packet::tcp("203.0.113.7:5123".parse()?, "127.0.0.1:5000".parse()?);
    /// let request = ClientRequest::new(packet, "GET", "/");
    /// // Without a store the answer is ready at once.
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let first = std::pin::pin!(fw.limit_served_shared(&request, &limiter)).poll(&mut cx);
    /// assert!(matches!(first, Poll::Ready(Ok(_))));
    /// let second = std::pin::pin!(fw.limit_served_shared(&request, &limiter)).poll(&mut cx);
    /// assert!(matches!(second, Poll::Ready(Err(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn limit_served_shared(
        &self,
        request: &ClientRequest<'_>,
        limiter: &RateLimiter,
    ) -> Result<RateLimitHeaders, Stopped> {
        let Some(store) = self.shared_store() else {
            return self.limit_served(request, limiter);
        };
        let mut headers = RateLimitHeaders::default();
        if self.is_exempt(request) {
            return Ok(headers);
        }
        let key = key_of(limiter.limit(), request);
        let decision = store.check_limit(limiter, &key).await;
        headers.push(limiter, &decision);
        if decision.allowed {
            return Ok(headers);
        }
        Err(self.rate_refusal(request, None, limiter.limit(), &key, headers))
    }

    /// The ban stage: one atomic load when nobody is banned.
    fn refuse_if_banned(&self, request: &ClientRequest<'_>) -> Result<(), Stopped> {
        if request.exempt || self.shared.bans.is_empty() {
            return Ok(());
        }
        let Some(ban) = self.shared.bans.is_banned(request.packet.src.ip()) else {
            return Ok(());
        };
        let packet = &request.packet;
        self.shared.bans.log_refusal(packet, &ban);
        self.record_drop_with(Stage::Ban, packet, || BanReason(&ban).to_string());
        Err(Stopped::Banned(ban))
    }

    /// The ACL stage: a DROP is counted, logged and a strike.
    fn acl_stage(&self, set: &RuleSet, request: &ClientRequest<'_>) -> Result<Decision, Stopped> {
        let decision = set.first_match(&request.packet);
        if decision.is_allowed() {
            return Ok(decision);
        }
        self.record_acl(set, &request.packet, decision);
        self.strike(request, StrikeKind::AclDrop);
        Err(Stopped::Denied(decision))
    }

    /// The limit stage: every limit covering the request counts it (the
    /// handler's own limit once); the first that refuses stops it.
    fn limit_stage(
        &self,
        request: &ClientRequest<'_>,
        acl: Decision,
    ) -> Result<RateLimitHeaders, Stopped> {
        if self.shared.limits.is_empty() && request.handler_limit.is_none() {
            return Ok(RateLimitHeaders::default());
        }
        self.limit_stage_in(&self.shared.limits.load(), request, acl)
    }

    /// [`limit_stage`](Self::limit_stage) with the limits in force given.
    fn limit_stage_in(
        &self,
        limits: &LimitSet,
        request: &ClientRequest<'_>,
        acl: Decision,
    ) -> Result<RateLimitHeaders, Stopped> {
        let mut headers = RateLimitHeaders::default();
        if (limits.is_empty() && request.handler_limit.is_none()) || self.is_exempt(request) {
            return Ok(headers);
        }
        for limiter in counting(limits, request) {
            let key = key_of(limiter.limit(), request);
            let decision = limiter.check(&key);
            if !decision.allowed {
                return Err(self.over_limit(request, acl, limiter, &key, &decision));
            }
            headers.push(limiter, &decision);
        }
        Ok(headers)
    }

    /// [`limit_stage`](Self::limit_stage) with each decision awaited from
    /// `store`.
    async fn limit_stage_shared(
        &self,
        store: &dyn SharedStore,
        request: &ClientRequest<'_>,
        acl: Decision,
    ) -> Result<RateLimitHeaders, Stopped> {
        let mut headers = RateLimitHeaders::default();
        let limits = self.shared.limits.load_full();
        if (limits.is_empty() && request.handler_limit.is_none()) || self.is_exempt(request) {
            return Ok(headers);
        }
        let chosen: Vec<&RateLimiter> = counting(&limits, request).collect();
        for limiter in chosen {
            let key = key_of(limiter.limit(), request);
            let decision = store.check_limit(limiter, &key).await;
            if !decision.allowed {
                return Err(self.over_limit(request, acl, limiter, &key, &decision));
            }
            headers.push(limiter, &decision);
        }
        Ok(headers)
    }

    /// The refusal of a request `limiter` refused, with that limit's
    /// headers alone.
    fn over_limit(
        &self,
        request: &ClientRequest<'_>,
        acl: Decision,
        limiter: &RateLimiter,
        key: &ClientKey,
        decision: &LimitDecision,
    ) -> Stopped {
        let mut refused = RateLimitHeaders::default();
        refused.push(limiter, decision);
        self.rate_refusal(request, Some(acl), limiter.limit(), key, refused)
    }

    /// Whether limits and bans leave this client alone: a trusted proxy's
    /// own request, or an address in the ban policy's allowlist.
    fn is_exempt(&self, request: &ClientRequest<'_>) -> bool {
        request.exempt || self.shared.bans.is_allowlisted(request.packet.src.ip())
    }

    /// Logs `RATE DROP`, counts the drop, records the event and the strike.
    fn rate_refusal(
        &self,
        request: &ClientRequest<'_>,
        acl: Option<Decision>,
        limit: &Limit,
        key: &ClientKey,
        headers: RateLimitHeaders,
    ) -> Stopped {
        let packet = &request.packet;
        let fingerprint = key.fingerprint();
        let reason = RateReason {
            limit,
            fingerprint: fingerprint.as_deref(),
        };
        logger::log_firewall(log::Level::Warn, &RateLine { packet, reason });
        self.record_drop_with(Stage::Limit, packet, || match acl {
            Some(acl) => both_facts(acl, RateEvent(reason)),
            None => RateEvent(reason).to_string(),
        });
        self.strike(request, StrikeKind::RateLimited);
        Stopped::RateLimited {
            limit: limit.name().to_owned(),
            headers,
        }
    }

    /// A strike of `kind` against the request's client, unless exempt.
    fn strike(&self, request: &ClientRequest<'_>, kind: StrikeKind) {
        if !request.exempt {
            self.strike_ip(request.packet.src.ip(), kind);
        }
    }

    /// A strike of `kind` against `ip` (the ban it starts logs `BAN`):
    /// counted by the shared store when there is one.
    pub(super) fn strike_ip(&self, ip: IpAddr, kind: StrikeKind) {
        match self.shared_store() {
            Some(store) => {
                let bans = &self.shared.bans;
                if bans.policy().counts(kind) && !bans.is_allowlisted(ip) {
                    store.strike(bans.key_for(ip), kind);
                }
            }
            None => {
                let _ = self.shared.bans.strike(ip, kind);
            }
        }
    }
}

/// The limiters that count `request`: the handler's own first, then the
/// limits covering its method and path (the handler's own not twice).
fn counting<'a>(
    limits: &'a LimitSet,
    request: &'a ClientRequest<'_>,
) -> impl Iterator<Item = &'a RateLimiter> + 'a {
    let own = request.handler_limit;
    let covering = limits
        .covering(request.method, request.path)
        .map(Arc::as_ref)
        .filter(move |l| own.is_none_or(|own| !std::ptr::eq(*l, own)));
    own.into_iter().chain(covering)
}

/// The key a limit counts `request` under: its key function's, else the
/// client address's.
fn key_of(limit: &Limit, request: &ClientRequest<'_>) -> ClientKey {
    let ip = request.packet.src.ip();
    if limit.request_key().is_none() {
        return limit.key_for(ip);
    }
    let headers = request.headers.unwrap_or(&NoHeaders);
    limit.key_of(&RequestView::new(request.method, request.path, headers), ip)
}

/// `limit "login" 5/60s`, then ` key #<fingerprint>` for a limit keyed by
/// the request (never the key itself: it may be a secret).
#[derive(Clone, Copy)]
struct RateReason<'a> {
    limit: &'a Limit,
    fingerprint: Option<&'a str>,
}

impl fmt::Display for RateReason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "limit \"{}\" {}", self.limit.name(), self.limit.quota())?;
        match self.fingerprint {
            Some(fingerprint) => write!(f, " key #{fingerprint}"),
            None => Ok(()),
        }
    }
}

/// `RATE DROP: limit "login" 5/60s` (the event's reason).
struct RateEvent<'a>(RateReason<'a>);

impl fmt::Display for RateEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RATE DROP: {}", self.0)
    }
}

/// `BAN DROP: banned until 2026-12-07T02:30:00Z: 3 WAF drops in 60s` (the event's reason).
struct BanReason<'a>(&'a BanInfo);

impl fmt::Display for BanReason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BAN DROP: banned until {}: {}",
            crate::ban::rfc3339(self.0.until),
            self.0.reason
        )
    }
}

/// `RATE DROP: [TCP] 203.0.113.7:5123 -> 127.0.0.1:5000 - limit "login" 5/60s`
/// (and ` key #<fingerprint>` for a limit keyed by the request).
struct RateLine<'a> {
    packet: &'a Packet,
    reason: RateReason<'a>,
}

impl RawMessage for RateLine<'_> {
    fn write_raw(&self, out: &mut Vec<u8>) -> usize {
        out.extend_from_slice(b"RATE DROP: ");
        logger::push_endpoints(out, self.packet);
        out.extend_from_slice(b" - ");
        let start = out.len();
        let _ = write!(out, "{}", self.reason);
        start
    }
}

impl fmt::Display for RateLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        logger::display_raw(self, f)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ban::BanPolicy;
    use crate::rule::Rule;
    use crate::{ALLOW, ANY, DROP, TCP};

    /// Rule #1 drops telnet, rule #2 allows everything; `login` allows 1 a day.
    fn firewall() -> Firewall {
        let rules = vec![
            Rule::new(DROP, TCP, 23, ANY, ANY, "telnet").unwrap(),
            Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all").unwrap(),
        ];
        let login = Limit::new("login", "1/1d".parse().unwrap()).unwrap();
        let fw = Firewall::new("t")
            .with_rules(rules)
            .unwrap()
            .with_limits(vec![login.route("/login").unwrap()])
            .unwrap();
        fw.events().enable();
        fw
    }

    fn request(port: u16, path: &str) -> ClientRequest<'_> {
        let packet = Packet::tcp(
            "198.51.100.7:5123".parse().unwrap(),
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        );
        ClientRequest::new(packet, "POST", path)
    }

    #[test]
    fn a_ban_is_refused_before_the_acl_and_counted_once() {
        let fw = firewall();
        let ip = "198.51.100.7".parse().unwrap();
        fw.bans().ban(ip, Duration::from_secs(60), "spam").unwrap();
        for port in [23, 5000] {
            let stopped = fw.check_request(&request(port, "/")).unwrap_err();
            assert!(matches!(stopped, Stopped::Banned(_)), "{stopped:?}");
        }
        let stats = fw.stats();
        assert_eq!((stats.allowed, stats.dropped), (0, 2));
        assert_eq!((stats.rules[0].hits, stats.rules[1].hits), (0, 0));
        let reason = &fw.events().recent(0)[0].reason;
        assert!(
            reason.starts_with("BAN DROP: banned until ") && reason.ends_with(": spam"),
            "{reason}"
        );
    }

    #[test]
    fn the_headers_list_every_limit_that_counted_in_order() {
        let fw = firewall();
        let limits = ["a", "b", "c"].map(|name| {
            // One every 6 minutes: nothing refills during the test.
            Limit::new(name, "10/1h".parse().unwrap())
                .unwrap()
                .route("/api")
                .unwrap()
        });
        fw.set_limits(limits.to_vec()).unwrap();
        let headers = fw.check_request(&request(5000, "/api/x")).unwrap();
        assert_eq!(
            headers.policy(),
            Some(r#""a";q=10;w=3600, "b";q=10;w=3600, "c";q=10;w=3600"#)
        );
        assert_eq!(
            headers.state(),
            Some(r#""a";r=9;t=360, "b";r=9;t=360, "c";r=9;t=360"#)
        );
        assert!(headers.one_limit().is_none(), "joined, not one limit's");
        fw.set_limits(limits[..1].to_vec()).unwrap();
        let one = fw.check_request(&request(5000, "/api/x")).unwrap();
        assert_eq!(one.policy(), Some(r#""a";q=10;w=3600"#));
        let state = one.state().unwrap();
        assert!(
            state.starts_with(r#""a";r=8;t="#),
            "a's state was kept: {state}"
        );
    }

    #[test]
    fn a_refusal_by_a_limit_is_one_drop_without_a_rule_hit() {
        let fw = firewall();
        let headers = fw.check_request(&request(5000, "/login")).unwrap();
        assert_eq!(headers.state(), Some(r#""login";r=0;t=86400"#));
        let Err(Stopped::RateLimited { limit, headers }) =
            fw.check_request(&request(5000, "/login"))
        else {
            panic!("the second is refused");
        };
        assert_eq!(
            (limit.as_str(), headers.retry_after()),
            ("login", Some(86_400))
        );
        assert!(
            fw.check_request(&request(5000, "/")).unwrap().is_empty(),
            "not covered"
        );
        let stats = fw.stats();
        assert_eq!(
            (stats.allowed, stats.dropped, stats.rules[1].hits),
            (2, 1, 2)
        );
    }

    #[test]
    fn an_exempt_or_allowlisted_client_is_never_limited_nor_banned() {
        let fw = firewall();
        let policy = BanPolicy::new(1, Duration::from_secs(60), Duration::from_secs(60))
            .unwrap()
            .allow("192.0.2.0/24")
            .unwrap();
        fw.set_ban_policy(policy);
        let mut exempt = request(5000, "/login");
        exempt.exempt = true;
        for _ in 0..3 {
            assert!(fw.check_request(&exempt).unwrap().is_empty());
        }
        let mut telnet = request(23, "/");
        telnet.exempt = true;
        assert!(fw.check_request(&telnet).is_err());
        assert!(fw.bans().is_empty(), "an exempt ACL drop is no strike");
        let mut listed = request(5000, "/login");
        listed.packet.src = "192.0.2.9:1".parse().unwrap();
        for _ in 0..3 {
            assert!(fw.check_request(&listed).is_ok());
        }
        assert!(fw.check_request(&request(23, "/")).is_err());
        assert_eq!(
            fw.bans().len(),
            1,
            "the ACL drop of a plain client is a strike"
        );
    }

    #[test]
    fn a_handler_limit_that_also_covers_the_route_counts_once() {
        let fw = firewall();
        let limits = fw.limits();
        let own = limits.get("login").unwrap();
        let mut req = request(5000, "/login");
        req.handler_limit = Some(own);
        assert!(fw.check_request(&req).is_ok());
        assert!(fw.check_request(&req).is_err());
        let mut elsewhere = request(5000, "/other");
        elsewhere.packet.src = "198.51.100.8:1".parse().unwrap();
        elsewhere.handler_limit = Some(own);
        assert!(fw.check_request(&elsewhere).is_ok());
        assert!(
            fw.check_request(&elsewhere).is_err(),
            "counted off its route too"
        );
    }
}
