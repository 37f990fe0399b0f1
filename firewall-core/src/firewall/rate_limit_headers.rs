//! [`RateLimitHeaders`]: the `RateLimit-Policy`, `RateLimit` and
//! `Retry-After` values of one response, as the limits that counted its
//! request decided them.

use std::sync::{Arc, OnceLock};

use crate::limit::{Decision, RateLimiter};

/// The rate-limit headers of one response (the IETF httpapi draft's
/// `RateLimit-Policy` and `RateLimit`, and `Retry-After` on a 429): empty
/// when no limit covered the request.
///
/// When one limit counted the request (the common case) nothing is written
/// per request: the policy text is the limiter's own, and the `RateLimit`
/// text is made from its two numbers only when [`state`](Self::state) is
/// asked for; [`one_limit`](Self::one_limit) gives the parts, for a server
/// that keeps the header values it made last.
///
/// # Examples
///
/// ```
/// use firewall_core::{limit::Limit, ClientRequest, Firewall, Packet, Rule, ALLOW, ANY};
/// let fw = Firewall::new("app")
///     .with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all")?])?
///     .with_limits(vec![Limit::new("login", "5/60s".parse()?)?.route("/login")?])?;
/// let packet = Packet::tcp("203.0.113.7:5123".parse()?, "127.0.0.1:5000".parse()?);
/// let headers = fw.check_request(&ClientRequest::new(packet, "POST", "/login")).unwrap();
/// assert_eq!(headers.policy(), Some(r#""login";q=5;w=60"#));
/// assert_eq!(headers.state(), Some(r#""login";r=4;t=12"#));
/// assert_eq!(headers.retry_after(), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimitHeaders {
    counted: Counted,
    retry_after: Option<u64>,
}

/// The limits that counted the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Counted {
    #[default]
    None,
    One(OneLimit),
    /// Several: both values joined (list members, comma-separated).
    Several {
        policy: String,
        state: String,
    },
}

/// One limit's part of the headers: its policy text (shared with the
/// limiter), its numbers, and its `RateLimit` text once asked for.
#[derive(Debug, Clone)]
struct OneLimit {
    /// `"name";q=..;w=..`: the limiter's text, which starts with the quoted name.
    policy: Arc<str>,
    name_len: usize,
    remaining: u32,
    reset_secs: u64,
    state: OnceLock<String>,
}

impl OneLimit {
    fn new(limiter: &RateLimiter, decision: &Decision) -> Self {
        Self {
            policy: limiter.policy_header_text().clone(),
            name_len: limiter.limit().name().len(),
            remaining: decision.remaining,
            reset_secs: decision.reset_secs(),
            state: OnceLock::new(),
        }
    }

    /// The limit's name: `policy` is `"<name>";q=..`.
    fn name(&self) -> &str {
        self.policy.get(1..=self.name_len).unwrap_or_default()
    }

    /// `"name";r=REMAINING;t=RESET`, the same text as
    /// [`Decision::header_value`], made on the first call.
    fn state(&self) -> &str {
        self.state.get_or_init(|| {
            let name = self.name();
            let mut numbers = (itoa::Buffer::new(), itoa::Buffer::new());
            let remaining = numbers.0.format(self.remaining);
            let reset = numbers.1.format(self.reset_secs);
            let mut text = String::with_capacity(name.len() + remaining.len() + reset.len() + 8);
            for part in ["\"", name, "\";r=", remaining, ";t=", reset] {
                text.push_str(part);
            }
            text
        })
    }
}

impl PartialEq for OneLimit {
    /// The same headers: the text made or not.
    fn eq(&self, other: &Self) -> bool {
        (self.policy == other.policy)
            && (self.name_len, self.remaining, self.reset_secs)
                == (other.name_len, other.remaining, other.reset_secs)
    }
}

impl Eq for OneLimit {}

/// The parts of the headers of a response one limit counted: the limit's
/// `RateLimit-Policy` text (the limiter's own allocation, the same on every
/// response, see [`RateLimiter::policy_header_text`]) and the two numbers of
/// its `RateLimit` value. The same parts always give the same header values,
/// so a server may keep the values it made last and reuse them.
///
/// # Examples
///
/// ```
/// use firewall_core::{limit::Limit, ClientRequest, Firewall, Packet, Rule, ALLOW, ANY};
/// let fw = Firewall::new("app")
///     .with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all")?])?
///     .with_limits(vec![Limit::new("api", "100/1s".parse()?)?])?;
/// let packet = Packet::tcp("203.0.113.7:5123".parse()?, "127.0.0.1:5000".parse()?);
/// let headers = fw.check_request(&ClientRequest::new(packet, "GET", "/")).unwrap();
/// let one = headers.one_limit().unwrap();
/// assert_eq!((&**one.policy, one.remaining, one.reset_secs), (r#""api";q=100;w=1"#, 99, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OneLimitState<'a> {
    /// The `RateLimit-Policy` value, e.g. `"api";q=100;w=1`.
    pub policy: &'a Arc<str>,
    /// The `r` of the `RateLimit` value: requests left.
    pub remaining: u32,
    /// The `t` of the `RateLimit` value: seconds until the quota is full again.
    pub reset_secs: u64,
}

impl RateLimitHeaders {
    /// Adds one limit's policy and decision (list members, comma-separated).
    ///
    /// For the first limit this writes nothing: it keeps the limiter's
    /// policy text (a reference count) and the decision's numbers.
    pub(crate) fn push(&mut self, limiter: &RateLimiter, decision: &Decision) {
        if !decision.allowed {
            self.retry_after = decision.retry_after_secs();
        }
        let added = OneLimit::new(limiter, decision);
        if let Counted::None = self.counted {
            // The common case, one limit: no value moved out and back.
            self.counted = Counted::One(added);
            return;
        }
        self.counted = match std::mem::take(&mut self.counted) {
            Counted::None => Counted::One(added),
            Counted::One(first) => Counted::Several {
                policy: format!("{}, {}", first.policy, added.policy),
                state: format!("{}, {}", first.state(), added.state()),
            },
            Counted::Several {
                mut policy,
                mut state,
            } => {
                for (joined, part) in [(&mut policy, &*added.policy), (&mut state, added.state())] {
                    joined.push_str(", ");
                    joined.push_str(part);
                }
                Counted::Several { policy, state }
            }
        };
    }

    /// Whether no limit covered the request (no header to send).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::RateLimitHeaders::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self.counted, Counted::None)
    }

    /// The `RateLimit-Policy` value, e.g. `"login";q=5;w=60`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::RateLimitHeaders::default().policy(), None);
    /// ```
    pub fn policy(&self) -> Option<&str> {
        match &self.counted {
            Counted::None => None,
            Counted::One(one) => Some(&one.policy),
            Counted::Several { policy, .. } => Some(policy),
        }
    }

    /// The `RateLimit-Policy` value when one limit counted the request: the
    /// limiter's own text ([`RateLimiter::policy_header_text`]), the same
    /// allocation on every response, so a server can keep the header value
    /// it made from it. `None` when no limit or several did.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{limit::Limit, ClientRequest, Firewall, Packet, Rule, ALLOW, ANY};
    /// let fw = Firewall::new("app")
    ///     .with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all")?])?
    ///     .with_limits(vec![Limit::new("api", "100/1s".parse()?)?])?;
    /// let packet = Packet::tcp("203.0.113.7:5123".parse()?, "127.0.0.1:5000".parse()?);
    /// let headers = fw.check_request(&ClientRequest::new(packet, "GET", "/")).unwrap();
    /// let limiter = fw.limits().get("api").unwrap().clone();
    /// assert!(std::sync::Arc::ptr_eq(headers.policy_shared().unwrap(), limiter.policy_header_text()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn policy_shared(&self) -> Option<&Arc<str>> {
        self.one_limit().map(|one| one.policy)
    }

    /// The parts of the headers when one limit counted the request; `None`
    /// when no limit or several did.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::RateLimitHeaders::default().one_limit(), None);
    /// ```
    pub fn one_limit(&self) -> Option<OneLimitState<'_>> {
        match &self.counted {
            Counted::One(one) => Some(OneLimitState {
                policy: &one.policy,
                remaining: one.remaining,
                reset_secs: one.reset_secs,
            }),
            _ => None,
        }
    }

    /// The `RateLimit` value, e.g. `"login";r=4;t=12`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::RateLimitHeaders::default().state(), None);
    /// ```
    pub fn state(&self) -> Option<&str> {
        match &self.counted {
            Counted::None => None,
            Counted::One(one) => Some(one.state()),
            Counted::Several { state, .. } => Some(state),
        }
    }

    /// The `Retry-After` value in seconds, on a refusal.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::RateLimitHeaders::default().retry_after(), None);
    /// ```
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limit::{Limit, ManualClock};

    fn limiter(name: &str, quota: &str) -> RateLimiter {
        let limit = Limit::new(name, quota.parse().unwrap()).unwrap();
        RateLimiter::with_clock(limit, Arc::new(ManualClock::new(0)))
    }

    #[test]
    fn one_limit_writes_the_text_the_decision_gives() {
        let api = limiter("api.v2-x_y", "100/1m");
        let key = api.limit().key_for("192.0.2.1".parse().unwrap());
        let decision = api.check(&key);
        let mut headers = RateLimitHeaders::default();
        headers.push(&api, &decision);
        assert_eq!(
            headers.state(),
            Some(decision.header_value("api.v2-x_y").as_str())
        );
        assert_eq!(headers.state(), Some(r#""api.v2-x_y";r=99;t=1"#));
        assert_eq!(headers.policy(), Some(r#""api.v2-x_y";q=100;w=60"#));
        let one = headers.one_limit().unwrap();
        assert_eq!((one.remaining, one.reset_secs), (99, 1));
    }

    #[test]
    fn headers_are_equal_whether_the_text_was_made_or_not() {
        let api = limiter("api", "10/1s");
        let key = api.limit().key_for("192.0.2.1".parse().unwrap());
        let decision = api.check(&key);
        let (mut made, mut kept) = (RateLimitHeaders::default(), RateLimitHeaders::default());
        made.push(&api, &decision);
        kept.push(&api, &decision);
        assert!(made.state().is_some());
        assert_eq!(made, kept);
        let mut other = RateLimitHeaders::default();
        other.push(&api, &api.check(&key));
        assert_ne!(made, other, "one fewer left");
    }

    #[test]
    fn a_refusal_carries_retry_after() {
        let one = limiter("one", "1/1m");
        let key = one.limit().key_for("192.0.2.1".parse().unwrap());
        one.check(&key);
        let refused = one.check(&key);
        let mut headers = RateLimitHeaders::default();
        headers.push(&one, &refused);
        assert_eq!(headers.retry_after(), Some(60));
        assert_eq!(headers.state(), Some(r#""one";r=0;t=60"#));
    }
}
