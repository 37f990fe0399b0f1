//! [`Firewall`]: the engine, the optional WAF, the counters, the event ring
//! and the log line, together.

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::SystemTime;

use crate::ban::{BanPolicy, Bans};
use crate::engine::Engine;
use crate::events::{Event, EventRing};
use crate::logger::{self, AclLine, LogConfig, LogHandle, LoggerError};
use crate::metrics::{LatencyPath, Metrics};
use crate::packet::Packet;
use crate::rule::{Action, AnyWildcard, Protocol, Rule};
use crate::ruleset::{Decision, RuleSet, RuleSetError};
use crate::stats::{RuleHits, Stage, Stats, StatsSnapshot};
use crate::waf::Waf;

mod admission;
mod limit_set;
mod limits_and_bans;
mod limits_file;
mod optional_slot;
mod rate_limit_headers;
mod request_stages;
mod shared_store;
mod stage_cache;
mod waf_slot;

pub use admission::{Admission, Refusal};
pub use limit_set::{DuplicateLimit, LimitSet};
pub use limits_and_bans::SweepLease;
pub use limits_file::LimitFileError;
pub use rate_limit_headers::{OneLimitState, RateLimitHeaders, StateText};
pub use request_stages::{ClientRequest, Stopped};
pub use stage_cache::StageCache;
pub use waf_slot::ReloadError;

/// The firewall of one application: the seed's `fw = Firewall(app)`.
///
/// Create one per application, outside `HttpServer::new` (which runs once per
/// worker), and clone it where it is needed: a `Firewall` is a handle (an
/// `Arc` inside), so every clone is the same firewall, with the same rules,
/// WAF, counters and events.
///
/// # Counting
///
/// One request is one decision, in every counter and every view: it is
/// counted once, by the stage that gives its final verdict.
///
/// - `allowed`: requests served. The ACL rule that allowed one gets its hit,
///   the log its `ACL ALLOW` line, the monitors an ALLOW event.
/// - `dropped`: requests refused, by the ACL (the matching DROP rule's hit,
///   or none when no rule matched; an `ACL DROP` line), by the WAF after an
///   ALLOW rule (a `WAF DROP` line; the ALLOW rule gets no hit, since it did
///   not decide the verdict; the event says both, e.g. `ACL ALLOW by rule #2,
///   then WAF DROP: SQL injection (942100) in ARGS:id`), or because the
///   firewall failed (a `Firewall Processing Error` line at ERROR).
///
/// So `allowed + dropped` is the number of requests judged, and the hits of
/// all rules plus the drops no rule decided add up to it. [`check`](Self::check)
/// is the ACL alone, final at once; a request that a later stage will
/// inspect goes through [`admit`](Self::admit), and is counted when that
/// stage [`serve`](Self::serve)s or [`refuse`](Self::refuse)s it.
///
/// # Examples
///
/// ```
/// use firewall_core::{Firewall, Packet, Rule};
///
/// let fw = Firewall::new("myapp").with_rules(vec![
///     r#"ALLOW TCP 80 ANY ANY "Permits HTTP""#.parse()?,
///     // the seed's look: Rule::new(fw.DROP, fw.TCP, 443, fw.ANY, fw.ANY, "...")
///     Rule::new(Firewall::DROP, Firewall::TCP, 443, Firewall::ANY, Firewall::ANY, "Blocks HTTPS")?,
/// ])?;
/// let packet = Packet::tcp("192.168.29.83:62075".parse()?, "127.0.0.1:443".parse()?);
/// let decision = fw.check(&packet);
/// assert!(!decision.is_allowed());
/// assert_eq!(decision.rule, Some(1));
/// assert_eq!(fw.stats().dropped, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Firewall {
    shared: Arc<Shared>,
}

/// What every clone of a [`Firewall`] shares.
#[derive(Debug)]
struct Shared {
    name: String,
    engine: Engine,
    stats: Stats,
    events: EventRing,
    waf: optional_slot::OptionalSlot<Waf>,
    limits: limit_set::LimitSlot,
    bans: Arc<Bans>,
    sweeping: AtomicBool,
    metrics: Metrics,
    store: shared_store::StoreSlot,
}

impl Firewall {
    /// The seed's `fw.ALLOW`.
    pub const ALLOW: Action = Action::Allow;
    /// The seed's `fw.DROP`.
    pub const DROP: Action = Action::Drop;
    /// The seed's `fw.TCP`.
    pub const TCP: Protocol = Protocol::Tcp;
    /// UDP.
    pub const UDP: Protocol = Protocol::Udp;
    /// The seed's `fw.ANY`: any protocol, port or network.
    pub const ANY: AnyWildcard = AnyWildcard;

    /// A firewall for the app `name`, with no rules (everything is dropped
    /// until rules are set). `name` also names the log file.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("shop");
    /// assert_eq!(fw.name(), "shop");
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        let shared = Shared {
            name: name.into(),
            engine: Engine::default(),
            stats: Stats::default(),
            events: EventRing::new(1000),
            waf: optional_slot::OptionalSlot::default(),
            limits: limit_set::LimitSlot::default(),
            bans: Arc::new(Bans::new(BanPolicy::manual_only())),
            sweeping: AtomicBool::new(false),
            metrics: Metrics::default(),
            store: shared_store::StoreSlot::default(),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// Whether `self` and `other` are handles of the same firewall (one was
    /// cloned from the other).
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("app");
    /// assert!(fw.is_same(&fw.clone()));
    /// assert!(!fw.is_same(&firewall_core::Firewall::new("app")));
    /// ```
    pub fn is_same(&self, other: &Firewall) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Builder form of [`set_rules`](Self::set_rules).
    ///
    /// # Errors
    ///
    /// The first invalid rule.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::Firewall;
    /// let fw = Firewall::new("app").with_rules(vec![r#"ALLOW TCP 5000 ANY ANY "app""#.parse()?])?;
    /// assert_eq!(fw.rules().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_rules(self, rules: Vec<Rule>) -> Result<Self, RuleSetError> {
        self.set_rules(rules)?;
        Ok(self)
    }

    /// Validates, compiles and installs `rules`, in order, in place of the
    /// rules in force (the seed's `fw.engine.rules = [...]`). Requests being
    /// judged finish with the set they started with; none sees a mix.
    /// [`reload_file`](Self::reload_file) does the same from a rules file.
    ///
    /// # Errors
    ///
    /// The first invalid rule; the rules in force stay.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Firewall, Rule, ALLOW, ANY, TCP};
    /// let fw = Firewall::new("app");
    /// fw.set_rules(vec![
    ///     "ALLOW TCP 5000 127.0.0.1 ANY".parse()?,
    ///     Rule::new(ALLOW, TCP, 22, "192.168.1.10", ANY, "SSH from one host")?,
    /// ])?;
    /// assert_eq!(fw.rules().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_rules(&self, rules: Vec<Rule>) -> Result<(), RuleSetError> {
        self.shared.engine.set_rules(rules)
    }

    /// The rules in force now, with their hit counters (the seed's
    /// `fw.engine.rules`). A snapshot: rules set later do not change it.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("app").with_rules(vec![
    ///     r#"ALLOW TCP 5000 ANY ANY "app""#.parse()?,
    /// ])?;
    /// for (n, rule) in fw.rules().iter().enumerate() {
    ///     assert_eq!(format!("{}. {rule}", n + 1), r#"1. ALLOW TCP 5000 ANY ANY "app""#);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rules(&self) -> Arc<RuleSet> {
        self.shared.engine.rules()
    }

    /// The app name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::Firewall::new("a").name(), "a");
    /// ```
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The latest decisions, for monitors.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("a");
    /// fw.events().enable();
    /// ```
    pub fn events(&self) -> &EventRing {
        &self.shared.events
    }

    /// Starts the shared logger for this app: the firewall's lines (no other
    /// crate's) to `./<name>_firewall.log` and the console, as the process's
    /// logger. An app with a logger of its own chains
    /// [`logger::dispatch`] into it instead.
    ///
    /// # Errors
    ///
    /// See [`logger::init`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let fw = firewall_core::Firewall::new("myapp");
    /// let _log = fw.init_logger()?;
    /// # Ok::<(), firewall_core::logger::LoggerError>(())
    /// ```
    pub fn init_logger(&self) -> Result<LogHandle, LoggerError> {
        logger::init(LogConfig::new(&self.shared.name))
    }

    /// Decides `packet` against the rules in force, counts it, logs the
    /// documented line (INFO for ALLOW, WARNING for DROP) and records the event.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("a");
    /// let p = firewall_core::Packet::tcp("10.0.0.1:1".parse().unwrap(), "10.0.0.2:80".parse().unwrap());
    /// assert!(!fw.check(&p).is_allowed());
    /// ```
    pub fn check(&self, packet: &Packet) -> Decision {
        let started = self.shared.metrics.latency().start_acl();
        let set = self.shared.engine.current.load();
        let decision = set.first_match(packet);
        self.shared
            .metrics
            .latency()
            .observe(LatencyPath::Acl, started);
        self.record_acl(&set, packet, decision);
        decision
    }

    /// Counts the ACL's `decision` (made with `set`) as the request's one
    /// verdict: the rule's hit, the total, the log line and the event.
    fn record_acl(&self, set: &RuleSet, packet: &Packet, decision: Decision) {
        set.count_hit(decision);
        if decision.is_allowed() {
            self.shared.stats.count(true);
        } else {
            self.shared.stats.count_drop(Stage::Acl);
        }
        let line = AclLine {
            packet,
            decision,
            desc: decision
                .rule
                .and_then(|index| set.desc(index))
                .unwrap_or_default(),
        };
        let level = if decision.is_allowed() {
            log::Level::Info
        } else {
            log::Level::Warn
        };
        logger::log_firewall(level, &line);
        if self.shared.events.is_enabled() {
            self.shared.events.push(event(
                packet,
                decision.action,
                line.reason().unwrap_or_default(),
            ));
        }
    }

    /// Records a drop decided outside the rule engine (the firewall failed)
    /// so that counters and monitors include it, as a drop of
    /// [`Stage::Error`]. Does not log: the caller does.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("a");
    /// fw.record_drop(firewall_core::Protocol::Tcp, "10.0.0.1:1".parse().unwrap(), "10.0.0.2:80".parse().unwrap(), "Firewall Processing Error");
    /// assert_eq!(fw.stats().dropped, 1);
    /// ```
    pub fn record_drop(&self, proto: Protocol, src: SocketAddr, dst: SocketAddr, reason: &str) {
        let packet = Packet::new(proto, src, dst);
        self.record_drop_with(Stage::Error, &packet, || reason.to_owned());
    }

    /// [`Firewall::record_drop`] by `stage`, with the reason built only
    /// when a monitor records events.
    pub(crate) fn record_drop_with(
        &self,
        stage: Stage,
        packet: &Packet,
        reason: impl FnOnce() -> String,
    ) {
        self.shared.stats.count_drop(stage);
        if self.shared.events.is_enabled() {
            self.shared
                .events
                .push(event(packet, Action::Drop, reason()));
        }
    }

    /// The allowed and dropped totals, read without copying the rules (O(1),
    /// whatever the number of rules; [`Firewall::stats`] copies every rule).
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("a");
    /// let p = firewall_core::Packet::tcp("10.0.0.1:1".parse().unwrap(), "10.0.0.2:80".parse().unwrap());
    /// fw.check(&p);
    /// assert_eq!((fw.counters().allowed(), fw.counters().dropped()), (0, 1));
    /// ```
    pub fn counters(&self) -> &Stats {
        &self.shared.stats
    }

    /// The counters only metrics read: decision latency, WAF hits per
    /// signature, reloads (see [`crate::metrics`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("a");
    /// assert_eq!(fw.metrics().reloads().failed(), 0);
    /// ```
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// A snapshot of the counters and of the rules in force with their hits.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::Firewall::new("a").stats().rules.is_empty());
    /// ```
    pub fn stats(&self) -> StatsSnapshot {
        let set = self.shared.engine.rules();
        StatsSnapshot {
            allowed: self.shared.stats.allowed(),
            dropped: self.shared.stats.dropped(),
            rules: set
                .iter()
                .zip(set.hits())
                .map(|(rule, hits)| RuleHits { rule, hits })
                .collect(),
        }
    }
}

fn event(packet: &Packet, action: Action, reason: String) -> Event {
    Event {
        seq: 0,
        time: SystemTime::now(),
        action,
        proto: packet.proto,
        src: packet.src,
        dst: packet.dst,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ALLOW, ANY, TCP};

    #[test]
    fn a_clone_is_the_same_firewall() {
        let fw = Firewall::new("t");
        let handle = fw.clone();
        handle
            .set_rules(vec![Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app").unwrap()])
            .unwrap();
        let packet = Packet::tcp(
            "10.0.0.7:1".parse().unwrap(),
            "127.0.0.1:5000".parse().unwrap(),
        );
        assert!(
            fw.check(&packet).is_allowed(),
            "rules set through the clone"
        );
        assert_eq!(handle.stats().allowed, 1, "counted in the clone");
        assert!(fw.is_same(&handle));
    }
}
