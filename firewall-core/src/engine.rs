//! The engine: holds the current rule set and swaps it atomically.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::packet::Packet;
use crate::rule::Rule;
use crate::ruleset::{Decision, RuleSet, RuleSetError};

/// Holds the rule set in force. Readers never wait: each decision loads the
/// current set with one atomic operation and uses it to the end, so a request
/// sees the old rules or the new ones, never a mix.
///
/// # Examples
///
/// ```
/// use firewall_core::{Engine, Packet, Rule, ALLOW, ANY, TCP};
/// let engine = Engine::default();
/// let packet = Packet::tcp("127.0.0.1:40000".parse().unwrap(), "127.0.0.1:5000".parse().unwrap());
/// assert!(!engine.decide(&packet).is_allowed()); // no rules: DROP
/// engine.set_rules(vec![Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app")?])?;
/// assert!(engine.decide(&packet).is_allowed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Engine {
    pub(crate) current: ArcSwap<RuleSet>,
}

impl Engine {
    /// An engine that starts with `set`.
    ///
    /// # Examples
    ///
    /// ```
    /// let engine = firewall_core::Engine::new(firewall_core::RuleSet::default());
    /// assert!(engine.rules().rules().is_empty());
    /// ```
    pub fn new(set: RuleSet) -> Self {
        Self {
            current: ArcSwap::from_pointee(set),
        }
    }

    /// The rule set in force now (the seed's `fw.engine.rules`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::Engine::default().rules().rules().len(), 0);
    /// ```
    pub fn rules(&self) -> Arc<RuleSet> {
        self.current.load_full()
    }

    /// Validates, compiles and installs `rules` (the seed's `fw.engine.rules = [...]`).
    ///
    /// # Errors
    ///
    /// The first invalid rule; the rules in force stay.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Engine, Rule, DROP, ANY};
    /// let engine = Engine::default();
    /// engine.set_rules(vec![Rule::new(DROP, ANY, ANY, ANY, ANY, "nothing")?])?;
    /// assert_eq!(engine.rules().rules().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_rules(&self, rules: Vec<Rule>) -> Result<(), RuleSetError> {
        self.replace(RuleSet::new(rules)?);
        Ok(())
    }

    /// Installs an already built set.
    ///
    /// # Examples
    ///
    /// ```
    /// let engine = firewall_core::Engine::default();
    /// engine.replace(firewall_core::RuleSet::default());
    /// ```
    pub fn replace(&self, set: RuleSet) {
        self.current.store(Arc::new(set));
        log::info!(
            "Firewall rules loaded: {} rule(s) in force.",
            self.rules().rules().len()
        );
    }

    /// Decides `packet` against the rules in force.
    ///
    /// # Examples
    ///
    /// ```
    /// let engine = firewall_core::Engine::default();
    /// let p = firewall_core::Packet::tcp("[::1]:1".parse().unwrap(), "[::1]:2".parse().unwrap());
    /// assert_eq!(engine.decide(&p).rule, None);
    /// ```
    pub fn decide(&self, packet: &Packet) -> Decision {
        self.current.load().decide(packet)
    }
}
