//! [`RateLimitHeaders`]: the `RateLimit-Policy`, `RateLimit` and
//! `Retry-After` values of one response, as the limits that counted its
//! request decided them.

use std::sync::OnceLock;

use smallvec::SmallVec;

use crate::limit::{Decision, HeaderText, RateLimiter};

/// The rate-limit headers of one response (the IETF httpapi draft's
/// `RateLimit-Policy` and `RateLimit`, and `Retry-After` on a 429): empty
/// when no limit covered the request.
///
/// When one limit counted the request (the common case) nothing is written
/// per request: the policy text is the limiter's own, so is the `RateLimit`
/// text of a client at full quota, and any other `RateLimit` text is made
/// from its two numbers only when [`state`](Self::state) is asked for;
/// [`one_limit`](Self::one_limit) gives the parts, for a server that keeps
/// the header values it made last.
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
/// limiter), its numbers, and its `RateLimit` text: the limiter's own when
/// the client is at full quota, else made once asked for.
#[derive(Debug, Clone)]
struct OneLimit {
    /// `"name";q=..;w=..`: the limiter's text, which starts with the quoted name.
    policy: HeaderText,
    /// The `RateLimit` text.
    state: StateCell,
    reset_secs: u64,
    remaining: u32,
    name_len: u8,
}

impl OneLimit {
    fn new(limiter: &RateLimiter, decision: &Decision) -> Self {
        let reset_secs = decision.reset_secs();
        let state = match limiter.fresh_state(decision.remaining, reset_secs) {
            Some(kept) => StateCell::Kept(kept),
            None => StateCell::Lazy(OnceLock::new()),
        };
        Self {
            policy: limiter.policy().clone(),
            state,
            reset_secs,
            remaining: decision.remaining,
            // Names are at most `MAX_NAME_LEN` (64) bytes.
            name_len: u8::try_from(limiter.limit().name().len()).unwrap_or(u8::MAX),
        }
    }

    /// The parts, for a server.
    #[inline]
    fn parts(&self) -> OneLimitState<'_> {
        let policy = self.policy.as_str();
        OneLimitState {
            policy,
            policy_static: self.policy.as_static(),
            // `policy` is `"<name>";q=..`.
            name: policy
                .get(1..=usize::from(self.name_len))
                .unwrap_or_default(),
            remaining: self.remaining,
            reset_secs: self.reset_secs,
            state_static: match self.state {
                StateCell::Kept(kept) => Some(kept),
                StateCell::Lazy(_) => None,
            },
        }
    }

    /// `"name";r=REMAINING;t=RESET`, the same text as
    /// [`Decision::header_value`]: the limiter's, or made on the first call.
    fn state(&self) -> &str {
        match &self.state {
            StateCell::Kept(kept) => kept,
            StateCell::Lazy(made) => made.get_or_init(|| self.parts().state_text().as_str().into()),
        }
    }
}

/// A `RateLimit` text: the limiter's kept one, or made once asked for.
#[derive(Debug, Clone)]
enum StateCell {
    Kept(&'static str),
    Lazy(OnceLock<Box<str>>),
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
/// `RateLimit-Policy` text (the same on every response, see
/// [`RateLimiter::policy_header_text`]) and the two numbers of its
/// `RateLimit` value. The same parts always give the same header values, so
/// a server may keep the values it made last and reuse them.
///
/// The texts most responses carry, the policy and the `RateLimit` of a
/// client at full quota, live as long as the process (`policy_static`,
/// `state_static`): a server can send them without copying them or counting
/// references to them (the limiter keeps each distinct text once; see
/// [`MAX_INTERNED_BYTES`](crate::limit::MAX_INTERNED_BYTES)).
///
/// # Examples
///
/// ```
/// use firewall_core::{limit::Limit, ClientRequest, Firewall, Packet, Rule, ALLOW, ANY};
/// let fw = Firewall::new("app")
///     .with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all")?])?
///     .with_limits(vec![Limit::new("api", "100/1s".parse()?)?])?;
/// let packet = Packet::tcp("203.0.113.7:5123".parse()?, "127.0.0.1:5000".parse()?);
/// let first = fw.check_request(&ClientRequest::new(packet, "GET", "/")).unwrap();
/// let one = first.one_limit().unwrap();
/// assert_eq!((one.policy, one.name, one.remaining, one.reset_secs), (r#""api";q=100;w=1"#, "api", 99, 1));
/// assert_eq!(one.policy_static, Some(one.policy));
/// assert_eq!(one.state_static, Some(r#""api";r=99;t=1"#), "at full quota");
/// let second = fw.check_request(&ClientRequest::new(packet, "GET", "/")).unwrap();
/// let one = second.one_limit().unwrap();
/// assert_eq!((one.remaining, one.state_static), (98, None));
/// assert_eq!(one.state_text().as_str(), r#""api";r=98;t=1"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OneLimitState<'a> {
    /// The `RateLimit-Policy` value, e.g. `"api";q=100;w=1`.
    pub policy: &'a str,
    /// `policy` when it lives as long as the process.
    pub policy_static: Option<&'static str>,
    /// The limit's name.
    pub name: &'a str,
    /// The `r` of the `RateLimit` value: requests left.
    pub remaining: u32,
    /// The `t` of the `RateLimit` value: seconds until the quota is full again.
    pub reset_secs: u64,
    /// The `RateLimit` value when it is the one of a client at full quota,
    /// which lives as long as the process.
    pub state_static: Option<&'static str>,
}

impl OneLimitState<'_> {
    /// The `RateLimit` value, `"name";r=REMAINING;t=RESET`, written on the
    /// stack.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::OneLimitState;
    /// let one = OneLimitState {
    ///     policy: r#""login";q=5;w=60"#,
    ///     policy_static: None,
    ///     name: "login",
    ///     remaining: 4,
    ///     reset_secs: 12,
    ///     state_static: None,
    /// };
    /// assert_eq!(one.state_text().as_bytes(), br#""login";r=4;t=12"#);
    /// ```
    pub fn state_text(&self) -> StateText {
        let mut numbers = (itoa::Buffer::new(), itoa::Buffer::new());
        let remaining = numbers.0.format(self.remaining);
        let reset = numbers.1.format(self.reset_secs);
        let mut text = SmallVec::new();
        for part in ["\"", self.name, "\";r=", remaining, ";t=", reset] {
            text.extend_from_slice(part.as_bytes());
        }
        StateText(text)
    }
}

/// A `RateLimit` value written on the stack: a limiter's names are at most
/// [`MAX_NAME_LEN`](crate::limit::MAX_NAME_LEN) bytes, so its values fit; a
/// longer name (a hand-built [`OneLimitState`]) spills to the heap.
///
/// # Examples
///
/// ```
/// use firewall_core::OneLimitState;
/// let one = OneLimitState {
///     policy: r#""a";q=1;w=1"#,
///     policy_static: None,
///     name: "a",
///     remaining: 0,
///     reset_secs: 1,
///     state_static: None,
/// };
/// assert_eq!(one.state_text().as_str(), r#""a";r=0;t=1"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateText(SmallVec<[u8; 128]>);

impl StateText {
    /// The value's bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// # let one = firewall_core::OneLimitState { policy: "", policy_static: None, name: "a", remaining: 0, reset_secs: 1, state_static: None };
    /// assert_eq!(one.state_text().as_bytes(), br#""a";r=0;t=1"#);
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The value (ASCII: a name of letters, digits, `-`, `_`, `.`, and numbers).
    ///
    /// # Examples
    ///
    /// ```
    /// # let one = firewall_core::OneLimitState { policy: "", policy_static: None, name: "a", remaining: 0, reset_secs: 1, state_static: None };
    /// assert_eq!(one.state_text().as_str(), r#""a";r=0;t=1"#);
    /// ```
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
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
                policy: format!("{}, {}", first.policy.as_str(), added.policy.as_str()),
                state: format!("{}, {}", first.state(), added.state()),
            },
            Counted::Several {
                mut policy,
                mut state,
            } => {
                for (joined, part) in [
                    (&mut policy, added.policy.as_str()),
                    (&mut state, added.state()),
                ] {
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
    #[inline]
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
            Counted::One(one) => Some(one.policy.as_str()),
            Counted::Several { policy, .. } => Some(policy),
        }
    }

    /// The parts of the headers when one limit counted the request; `None`
    /// when no limit or several did.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::RateLimitHeaders::default().one_limit(), None);
    /// ```
    #[inline]
    pub fn one_limit(&self) -> Option<OneLimitState<'_>> {
        match &self.counted {
            Counted::One(one) => Some(one.parts()),
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
    #[inline]
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

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
