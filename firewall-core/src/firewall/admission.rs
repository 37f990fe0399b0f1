//! One request through the firewall's stages, counted once.
//!
//! The ACL is the first stage; a request it allows may still be refused by a
//! later one (the WAF, which reads the body first). [`Firewall::admit`] runs
//! the ACL and, on ALLOW, hands back an [`Admission`]: nothing about the
//! request is counted, logged or recorded yet. The last stage ends it with
//! [`Firewall::serve`] or [`Firewall::refuse`], which count its one verdict.

use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::Instant;

use super::waf_slot::{oversized_body_reason, BodyLine};
use super::Firewall;
use crate::ban::StrikeKind;
use crate::logger;
use crate::metrics::LatencyPath;
use crate::packet::Packet;
use crate::ruleset::{Decision, RuleSet};
use crate::stats::Stage;
use crate::waf::{Interruption, WafLine, WafReason};

/// A request the ACL allowed, whose verdict is not counted yet: a later stage
/// may still refuse it. End it with [`Firewall::serve`] or
/// [`Firewall::refuse`]; one dropped without either is never counted.
///
/// It keeps the rule set that decided, so a rules reload while the body is
/// read still credits the hit to the rule that allowed the request.
///
/// # Examples
///
/// ```
/// use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY, TCP};
/// let fw = Firewall::new("app").with_rules(vec![Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app")?])?;
/// let packet = Packet::tcp("10.0.0.7:1".parse()?, "127.0.0.1:5000".parse()?);
/// let Ok(admission) = fw.admit(&packet) else { panic!("the ACL allows it") };
/// assert_eq!(admission.decision().rule, Some(0));
/// assert_eq!(fw.stats().allowed, 0); // not yet judged
/// fw.serve(admission);
/// assert_eq!((fw.stats().allowed, fw.stats().rules[0].hits), (1, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "end it with Firewall::serve or Firewall::refuse, or the request is never counted"]
pub struct Admission {
    set: Arc<RuleSet>,
    packet: Packet,
    decision: Decision,
    /// A trusted proxy's own request: a WAF drop is no strike.
    exempt: bool,
    /// When the firewall began judging it, if decisions are timed.
    started: Option<Instant>,
}

impl Admission {
    pub(super) fn new(
        set: Arc<RuleSet>,
        packet: Packet,
        decision: Decision,
        exempt: bool,
        started: Option<Instant>,
    ) -> Self {
        Self {
            set,
            packet,
            decision,
            exempt,
            started,
        }
    }

    /// The packet the ACL allowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY};
    /// let fw = Firewall::new("app").with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all")?])?;
    /// let packet = Packet::tcp("10.0.0.7:1".parse()?, "127.0.0.1:5000".parse()?);
    /// let admission = fw.admit(&packet).expect("allowed");
    /// assert_eq!(*admission.packet(), packet);
    /// fw.serve(admission);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn packet(&self) -> &Packet {
        &self.packet
    }

    /// The ACL's decision: ALLOW, and the rule that allowed it.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Action, Firewall, Packet, Rule, ALLOW, ANY};
    /// let fw = Firewall::new("app").with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all")?])?;
    /// let admission = fw.admit(&Packet::tcp("10.0.0.7:1".parse()?, "127.0.0.1:80".parse()?)).expect("allowed");
    /// assert_eq!(admission.decision().action, Action::Allow);
    /// fw.serve(admission);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decision(&self) -> Decision {
        self.decision
    }
}

/// Why a stage after the ACL refused an admitted request.
///
/// # Examples
///
/// ```
/// use firewall_core::Refusal;
/// assert_eq!(Refusal::BodyOverLimit(1024).to_string(), "WAF DROP: Request body over the WAF limit of 1024 bytes");
/// assert_eq!(Refusal::Error("the WAF panicked").to_string(), "Firewall Processing Error: the WAF panicked");
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Refusal<'a> {
    /// The WAF matched an attack.
    Waf(&'a Interruption),
    /// The body is longer than the WAF may inspect (the limit in bytes).
    BodyOverLimit(usize),
    /// The WAF could not inspect the body (an encoding it cannot decode...).
    Body(&'a str),
    /// The firewall failed while judging the request.
    Error(&'a str),
}

/// What the monitors show after `... then `: the stage and its reason.
impl fmt::Display for Refusal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Waf(hit) => write!(f, "WAF DROP: {}", WafReason(hit)),
            Refusal::BodyOverLimit(limit) => {
                write!(f, "WAF DROP: {}", oversized_body_reason(*limit))
            }
            Refusal::Body(reason) => write!(f, "WAF DROP: {reason}"),
            Refusal::Error(what) => write!(f, "Firewall Processing Error: {what}"),
        }
    }
}

impl Firewall {
    /// The ACL stage of a request that a later stage will inspect. A DROP
    /// is final: counted, logged and recorded as by [`check`](Self::check),
    /// and returned as the error. An ALLOW is returned as an [`Admission`],
    /// not counted until [`serve`](Self::serve) or [`refuse`](Self::refuse).
    ///
    /// # Errors
    ///
    /// The ACL's DROP decision, already counted.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Firewall, Packet};
    /// let fw = Firewall::new("app"); // no rules: DROP
    /// let packet = Packet::tcp("10.0.0.7:1".parse()?, "127.0.0.1:5000".parse()?);
    /// assert_eq!(fw.admit(&packet).unwrap_err().rule, None);
    /// assert_eq!(fw.stats().dropped, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn admit(&self, packet: &Packet) -> Result<Admission, Decision> {
        let started = self.shared.metrics.latency().start();
        let set = self.shared.engine.current.load_full();
        let decision = set.first_match(packet);
        if !decision.is_allowed() {
            self.shared.metrics.latency().observe_acl_sampled(started);
            self.record_acl(&set, packet, decision);
            return Err(decision);
        }
        Ok(Admission::new(set, *packet, decision, false, started))
    }

    /// The final verdict of an admitted request: served. Counts it allowed
    /// and as a hit of the rule that allowed it, logs its `ACL ALLOW` line
    /// and records the ALLOW event.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY};
    /// let fw = Firewall::new("app").with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all")?])?;
    /// let admission = fw.admit(&Packet::tcp("10.0.0.7:1".parse()?, "127.0.0.1:80".parse()?)).expect("allowed");
    /// fw.serve(admission);
    /// assert_eq!((fw.stats().allowed, fw.stats().dropped), (1, 0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn serve(&self, admission: Admission) {
        // Taken by value, so that one admission is counted once.
        let Admission {
            set,
            packet,
            decision,
            started,
            ..
        } = admission;
        self.shared
            .metrics
            .latency()
            .observe(LatencyPath::Waf, started);
        self.record_acl(&set, &packet, decision);
    }

    /// The final verdict of an admitted request: refused by a later stage.
    /// Logs that stage's line (`WAF DROP: ...` at WARNING, or
    /// `Firewall Processing Error: ...` at ERROR), counts one drop (no rule
    /// hit: the ALLOW rule did not decide the verdict) and records one DROP
    /// event that keeps both facts:
    /// `ACL ALLOW by rule #2, then WAF DROP: SQL injection (942100) in ARGS:id`.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Firewall, Packet, Refusal, Rule, ALLOW, ANY};
    /// let fw = Firewall::new("app").with_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "all")?])?;
    /// fw.events().enable();
    /// let admission = fw.admit(&Packet::tcp("10.0.0.7:1".parse()?, "127.0.0.1:80".parse()?)).expect("allowed");
    /// fw.refuse(admission, Refusal::BodyOverLimit(1024));
    /// let stats = fw.stats();
    /// assert_eq!((stats.allowed, stats.dropped, stats.rules[0].hits), (0, 1, 0));
    /// assert_eq!(fw.events().recent(0)[0].reason,
    ///     "ACL ALLOW by rule #1, then WAF DROP: Request body over the WAF limit of 1024 bytes");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[allow(clippy::needless_pass_by_value)] // taken, so that one admission is counted once
    pub fn refuse(&self, admission: Admission, refusal: Refusal<'_>) {
        let Admission {
            packet,
            decision,
            exempt,
            started,
            ..
        } = admission;
        self.shared
            .metrics
            .latency()
            .observe(LatencyPath::Waf, started);
        let packet = &packet;
        match refusal {
            Refusal::Waf(hit) => {
                self.shared
                    .metrics
                    .waf_hits()
                    .count(hit.family, hit.rule_id);
                let line = WafLine {
                    packet,
                    interruption: hit,
                    blocked: true,
                };
                logger::log_firewall(log::Level::Warn, &line);
                if !exempt {
                    self.strike_ip(packet.src.ip(), StrikeKind::WafDrop);
                }
            }
            Refusal::BodyOverLimit(limit) => {
                let reason = oversized_body_reason(limit);
                let line = BodyLine {
                    packet,
                    reason: &reason,
                };
                logger::log_firewall(log::Level::Warn, &line);
            }
            Refusal::Body(reason) => {
                logger::log_firewall(log::Level::Warn, &BodyLine { packet, reason });
            }
            Refusal::Error(what) => log::error!("Firewall Processing Error: {what}"),
        }
        let stage = match refusal {
            Refusal::Error(_) => Stage::Error,
            _ => Stage::Waf,
        };
        self.record_drop_with(stage, packet, || both_facts(decision, refusal));
    }
}

/// `ACL ALLOW by rule #2, then <refusal>`: the event of a request the ACL
/// allowed and a later stage refused.
pub(super) fn both_facts(acl: Decision, refusal: impl fmt::Display) -> String {
    let mut reason = String::from("ACL ALLOW");
    if let Some(index) = acl.rule {
        let _ = write!(reason, " by rule #{}", index + 1);
    }
    let _ = write!(reason, ", then {refusal}");
    reason
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{Action, Rule};
    use crate::{ALLOW, ANY, DROP, TCP};

    fn firewall() -> Firewall {
        let rules = vec![
            Rule::new(DROP, TCP, 23, ANY, ANY, "telnet").unwrap(),
            Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app").unwrap(),
        ];
        let fw = Firewall::new("t").with_rules(rules).unwrap();
        fw.events().enable();
        fw
    }

    fn to(port: u16) -> Packet {
        Packet::tcp(
            "10.0.0.7:51234".parse().unwrap(),
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        )
    }

    #[test]
    fn a_request_refused_after_the_acl_is_one_drop_with_both_facts() {
        let fw = firewall();
        let hit = Interruption {
            rule_id: 942_100,
            family: crate::waf::AttackFamily::Sqli,
            message: "m".into(),
            location: "ARGS:id".into(),
            score: 5,
        };
        fw.refuse(fw.admit(&to(5000)).unwrap(), Refusal::Waf(&hit));
        fw.serve(fw.admit(&to(5000)).unwrap());
        let stats = fw.stats();
        assert_eq!((stats.allowed, stats.dropped), (1, 1));
        assert_eq!((stats.rules[0].hits, stats.rules[1].hits), (0, 1));
        let events = fw.events().recent(0);
        let seen: Vec<(Action, &str)> = events
            .iter()
            .map(|e| (e.action, e.reason.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                (
                    Action::Drop,
                    "ACL ALLOW by rule #2, then WAF DROP: SQL injection (942100) in ARGS:id"
                ),
                (Action::Allow, ""),
            ]
        );
    }

    #[test]
    fn each_drop_is_counted_by_its_stage_and_each_decision_timed_once() {
        let fw = firewall();
        fw.metrics().latency().enable();
        let hit = Interruption {
            rule_id: 941_100,
            family: crate::waf::AttackFamily::Xss,
            message: "m".into(),
            location: "ARGS:q".into(),
            score: 5,
        };
        fw.refuse(fw.admit(&to(5000)).unwrap(), Refusal::Waf(&hit));
        fw.refuse(fw.admit(&to(5000)).unwrap(), Refusal::BodyOverLimit(10));
        fw.refuse(fw.admit(&to(5000)).unwrap(), Refusal::Error("boom"));
        fw.serve(fw.admit(&to(5000)).unwrap());
        assert!(fw.admit(&to(23)).is_err());
        fw.check(&to(23));
        let stats = fw.counters();
        let by = |stage| stats.dropped_by(stage);
        assert_eq!(
            (
                by(Stage::Acl),
                by(Stage::Waf),
                by(Stage::Error),
                by(Stage::Ban)
            ),
            (2, 2, 1, 0)
        );
        assert_eq!((stats.allowed(), stats.dropped()), (1, 5));
        assert_eq!(
            fw.metrics().waf_hits().snapshot(),
            [(crate::waf::AttackFamily::Xss, 941_100, 1)]
        );
        let latency = fw.metrics().latency();
        assert_eq!(latency.snapshot(LatencyPath::Waf).count, 4);
        // Two ACL decisions on this thread: the first of each 64 is timed.
        assert_eq!(latency.snapshot(LatencyPath::Acl).count, 1);
    }

    #[test]
    fn an_acl_drop_is_final_at_once() {
        let fw = firewall();
        assert_eq!(fw.admit(&to(23)).unwrap_err().rule, Some(0));
        let stats = fw.stats();
        assert_eq!(
            (stats.allowed, stats.dropped, stats.rules[0].hits),
            (0, 1, 1)
        );
        assert_eq!(fw.events().recent(0)[0].reason, "Matched rule #1: telnet");
    }

    #[test]
    fn the_hit_goes_to_the_rule_set_that_allowed_even_after_a_reload() {
        let fw = firewall();
        let admission = fw.admit(&to(5000)).unwrap();
        fw.set_rules(vec![Rule::new(ALLOW, ANY, ANY, ANY, ANY, "new").unwrap()])
            .unwrap();
        fw.serve(admission);
        assert_eq!(fw.stats().rules[0].hits, 0, "the new set decided nothing");
        assert_eq!(fw.stats().allowed, 1);
    }
}
