//! [`StageCache`]: one worker's hold on the rule set and the limits in
//! force, so that a request does not load each from its `ArcSwap`.

use std::cell::RefCell;
use std::sync::Arc;

use super::limit_set::LimitSet;
use super::rate_limit_headers::RateLimitHeaders;
use super::request_stages::{ClientRequest, Stopped};
use super::Firewall;
use crate::ruleset::RuleSet;

/// [`Firewall::check_request`] for one thread that judges many requests
/// (an Actix worker): it holds the rule set and the limits in force, and
/// checks at each request that they still are with two plain loads of
/// counters the firewall bumps after installing a new set. Loading each
/// set from its `ArcSwap` instead takes two atomic read-modify-writes (a
/// slot of arc-swap's debt list, then its release).
///
/// Decisions, counts and log lines are those of `check_request`. A request
/// judged while new rules or limits are being installed sees the old ones,
/// as if it had come a moment earlier. Not `Sync`: one per thread.
///
/// # Examples
///
/// ```
/// use firewall_core::{limit::Limit, ClientRequest, Firewall, Packet, Rule, Stopped, ALLOW, ANY};
/// let fw = Firewall::new("app").with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all")?])?;
/// let stages = fw.stage_cache();
/// let packet = Packet::tcp("203.0.113.7:5123".parse()?, "127.0.0.1:5000".parse()?);
/// let request = ClientRequest::new(packet, "GET", "/");
/// assert!(stages.check_request(&request).unwrap().is_empty());
/// fw.set_limits(vec![Limit::new("one", "1/60s".parse()?)?])?;
/// let headers = stages.check_request(&request).unwrap();
/// assert_eq!(headers.policy(), Some(r#""one";q=1;w=60"#));
/// assert!(matches!(stages.check_request(&request), Err(Stopped::RateLimited { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct StageCache {
    firewall: Firewall,
    held: RefCell<Held>,
}

/// The sets held, with the counters they were current at.
#[derive(Debug)]
struct Held {
    generations: (u64, u64),
    rules: Arc<RuleSet>,
    limits: Arc<LimitSet>,
}

impl Held {
    /// The sets in force now. The counters are read first: a set installed
    /// after them bumps them again, and the next request reloads.
    fn load(firewall: &Firewall) -> Self {
        let shared = &firewall.shared;
        Self {
            generations: generations(firewall),
            rules: shared.engine.current.load_full(),
            limits: shared.limits.load_full(),
        }
    }
}

/// The firewall's counters of installed rule sets and limit sets.
fn generations(firewall: &Firewall) -> (u64, u64) {
    let shared = &firewall.shared;
    (shared.engine.generation(), shared.limits.generation())
}

impl Firewall {
    /// A [`StageCache`] for this firewall, to keep in one thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("app");
    /// let _stages = fw.stage_cache();
    /// ```
    pub fn stage_cache(&self) -> StageCache {
        StageCache {
            firewall: self.clone(),
            held: RefCell::new(Held::load(self)),
        }
    }
}

impl StageCache {
    /// The firewall it judges for.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("app");
    /// assert!(fw.stage_cache().firewall().is_same(&fw));
    /// ```
    pub fn firewall(&self) -> &Firewall {
        &self.firewall
    }

    /// [`Firewall::check_request`] with the sets held (reloaded first if
    /// the firewall installed new ones since).
    ///
    /// # Errors
    ///
    /// [`Stopped`]: the refusal, already counted and logged.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{ClientRequest, Firewall, Packet, Stopped};
    /// let fw = Firewall::new("app"); // no rules: the ACL drops
    /// let packet = Packet::tcp("203.0.113.7:5123".parse()?, "127.0.0.1:5000".parse()?);
    /// let stopped = fw.stage_cache().check_request(&ClientRequest::new(packet, "GET", "/"));
    /// assert!(matches!(stopped, Err(Stopped::Denied(_))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_request(&self, request: &ClientRequest<'_>) -> Result<RateLimitHeaders, Stopped> {
        let now = generations(&self.firewall);
        let stale = match self.held.try_borrow() {
            Ok(held) if held.generations == now => {
                return self
                    .firewall
                    .check_request_held(&held.rules, &held.limits, request);
            }
            Ok(_) => true,
            // Only from inside a check on this thread: judge with the sets
            // loaded for this request.
            Err(_) => false,
        };
        if stale {
            if let Ok(mut held) = self.held.try_borrow_mut() {
                *held = Held::load(&self.firewall);
            }
        }
        self.firewall.check_request(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limit::Limit;
    use crate::packet::Packet;
    use crate::rule::Rule;
    use crate::{ALLOW, ANY, DROP};

    fn request(path: &str) -> ClientRequest<'_> {
        let packet = Packet::tcp(
            "198.51.100.7:5123".parse().unwrap(),
            "127.0.0.1:5000".parse().unwrap(),
        );
        ClientRequest::new(packet, "GET", path)
    }

    #[test]
    fn new_rules_and_limits_are_judged_from_the_next_request() {
        let fw = Firewall::new("t")
            .with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all").unwrap()])
            .unwrap();
        let stages = fw.stage_cache();
        assert!(stages.check_request(&request("/")).unwrap().is_empty());
        fw.set_rules(vec![Rule::new(DROP, ANY, ANY, ANY, ANY, "none").unwrap()])
            .unwrap();
        assert!(
            matches!(stages.check_request(&request("/")), Err(Stopped::Denied(_))),
            "the new rules"
        );
        fw.set_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all").unwrap()])
            .unwrap();
        let one = Limit::new("one", "1/1d".parse().unwrap()).unwrap();
        fw.set_limits(vec![one.route("/login").unwrap()]).unwrap();
        let headers = stages.check_request(&request("/login")).unwrap();
        assert_eq!(headers.policy(), Some(r#""one";q=1;w=86400"#));
        assert!(matches!(
            stages.check_request(&request("/login")),
            Err(Stopped::RateLimited { .. })
        ));
        fw.set_limits(Vec::new()).unwrap();
        assert!(stages.check_request(&request("/login")).unwrap().is_empty());
        let stats = fw.stats();
        assert_eq!((stats.allowed, stats.dropped), (3, 2));
    }

    #[test]
    fn a_cache_counts_with_the_limiters_of_the_firewall() {
        let fw = Firewall::new("t")
            .with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all").unwrap()])
            .unwrap()
            .with_limits(vec![Limit::new("two", "2/1d".parse().unwrap()).unwrap()])
            .unwrap();
        let (a, b) = (fw.stage_cache(), fw.stage_cache());
        assert!(a.check_request(&request("/")).is_ok());
        assert!(fw.check_request(&request("/")).is_ok());
        assert!(
            b.check_request(&request("/")).is_err(),
            "one quota for every cache and the firewall itself"
        );
    }
}
