//! [`Firewall`]: the engine, the optional WAF, the counters, the event ring
//! and the log line, together.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;

use crate::ban::{BanPolicy, Bans, StrikeKind};
use crate::engine::Engine;
use crate::events::{Event, EventRing};
use crate::logger::{self, AclLine, LogConfig, LogHandle, LoggerError};
use crate::packet::Packet;
use crate::rule::{Action, AnyWildcard, Protocol, Rule};
use crate::ruleset::{Decision, RuleSet, RuleSetError};
use crate::stats::{RuleHits, Stats, StatsSnapshot};
use crate::waf::Waf;

mod admission;
mod waf_slot;

pub use admission::{Admission, Refusal};
pub use waf_slot::ReloadError;

/// The firewall of one application: the seed's `fw = Firewall(app)`.
///
/// Create one per application, outside `HttpServer::new` (which runs once per
/// worker), and share it in an `Arc`.
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
/// let fw = Firewall::new("myapp");
/// fw.engine().set_rules(vec![
///     Rule::new(Firewall::ALLOW, Firewall::TCP, 80, Firewall::ANY, Firewall::ANY, "Permits HTTP")?,
///     Rule::new(Firewall::DROP, Firewall::TCP, 443, Firewall::ANY, Firewall::ANY, "Blocks HTTPS")?,
/// ])?;
/// let packet = Packet::tcp("192.168.29.83:62075".parse()?, "127.0.0.1:443".parse()?);
/// let decision = fw.check(&packet);
/// assert!(!decision.is_allowed());
/// assert_eq!(decision.rule, Some(1));
/// assert_eq!(fw.stats().dropped, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Firewall {
    name: String,
    engine: Engine,
    stats: Stats,
    events: EventRing,
    waf: ArcSwapOption<Waf>,
    bans: Bans,
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
        Self {
            name: name.into(),
            engine: Engine::default(),
            stats: Stats::default(),
            events: EventRing::new(1000),
            waf: ArcSwapOption::empty(),
            bans: Bans::new(manual_bans_only()),
        }
    }

    /// Builder form of [`Engine::set_rules`].
    ///
    /// # Errors
    ///
    /// The first invalid rule.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Firewall, Rule, ALLOW, ANY, TCP};
    /// let fw = Firewall::new("app").with_rules(vec![Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app")?])?;
    /// assert_eq!(fw.engine().rules().rules().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_rules(self, rules: Vec<Rule>) -> Result<Self, RuleSetError> {
        self.engine.set_rules(rules)?;
        Ok(self)
    }

    /// The app name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::Firewall::new("a").name(), "a");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rule engine (the seed's `fw.engine`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::Firewall::new("a").engine().rules().rules().is_empty());
    /// ```
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The bans: manual ones from code or the web monitor (`ban`, `unban`,
    /// `list`), and the strike policy's.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let fw = firewall_core::Firewall::new("a");
    /// fw.bans().ban("203.0.113.7".parse()?, Duration::from_secs(600), "abuse report")?;
    /// assert_eq!(fw.bans().list()[0].key.to_string(), "203.0.113.7");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bans(&self) -> &Bans {
        &self.bans
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
        &self.events
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
        logger::init(LogConfig::new(&self.name))
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
        let set = self.engine.current.load();
        let decision = set.first_match(packet);
        self.record_acl(&set, packet, decision);
        decision
    }

    /// Counts the ACL's `decision` (made with `set`) as the request's one
    /// verdict: the rule's hit, the total, the log line and the event.
    fn record_acl(&self, set: &RuleSet, packet: &Packet, decision: Decision) {
        set.count_hit(decision);
        self.stats.count(decision.is_allowed());
        let line = AclLine {
            packet,
            decision,
            desc: decision
                .rule
                .and_then(|index| set.rules().desc(index))
                .unwrap_or_default(),
        };
        let level = if decision.is_allowed() {
            log::Level::Info
        } else {
            log::Level::Warn
        };
        logger::log_firewall(level, &line);
        if self.events.is_enabled() {
            self.events.push(event(
                packet,
                decision.action,
                line.reason().unwrap_or_default(),
            ));
        }
    }

    /// Records a drop decided outside the rule engine (an error, a WAF block)
    /// so that counters and monitors include it. Does not log: the caller does.
    ///
    /// # Examples
    ///
    /// ```
    /// let fw = firewall_core::Firewall::new("a");
    /// fw.record_drop(firewall_core::Protocol::Tcp, "10.0.0.1:1".parse().unwrap(), "10.0.0.2:80".parse().unwrap(), "Firewall Processing Error");
    /// assert_eq!(fw.stats().dropped, 1);
    /// ```
    pub fn record_drop(&self, proto: Protocol, src: SocketAddr, dst: SocketAddr, reason: &str) {
        self.record_drop_with(&Packet::new(proto, src, dst), || reason.to_owned());
    }

    /// [`Firewall::record_drop`] with the reason built only when a monitor
    /// records events.
    pub(crate) fn record_drop_with(&self, packet: &Packet, reason: impl FnOnce() -> String) {
        self.stats.count(false);
        if self.events.is_enabled() {
            self.events.push(event(packet, Action::Drop, reason()));
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
        &self.stats
    }

    /// A snapshot of the counters and of the rules in force with their hits.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::Firewall::new("a").stats().rules.is_empty());
    /// ```
    pub fn stats(&self) -> StatsSnapshot {
        let set = self.engine.rules();
        StatsSnapshot {
            allowed: self.stats.allowed(),
            dropped: self.stats.dropped(),
            rules: set
                .rules()
                .iter()
                .zip(set.hits())
                .map(|(rule, hits)| RuleHits { rule, hits })
                .collect(),
        }
    }
}

/// A ban policy that counts no strikes: bans come from code only.
fn manual_bans_only() -> BanPolicy {
    let policy = BanPolicy::new(20, Duration::from_secs(60), Duration::from_secs(600))
        .expect("20 strikes in 60s for 600s is a valid policy");
    StrikeKind::ALL
        .into_iter()
        .fold(policy, |policy, kind| policy.count(kind, false))
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
