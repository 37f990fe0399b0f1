//! The engine: holds a firewall's rule set in force and swaps it atomically.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::rule::Rule;
use crate::ruleset::{RuleSet, RuleSetError};

/// Holds the rule set in force. Readers never wait: each decision loads the
/// current set with one atomic operation and uses it to the end, so a request
/// sees the old rules or the new ones, never a mix.
#[derive(Debug, Default)]
pub(crate) struct Engine {
    pub(crate) current: ArcSwap<RuleSet>,
    /// Bumped after each set is installed: a worker holding a set checks
    /// it is still current with this plain load.
    generation: AtomicU64,
}

impl Engine {
    /// The rule set in force now.
    pub(crate) fn rules(&self) -> Arc<RuleSet> {
        self.current.load_full()
    }

    /// How many sets were installed: changes after each one is in force.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Validates, compiles and installs `rules`.
    ///
    /// # Errors
    ///
    /// The first invalid rule; the rules in force stay.
    pub(crate) fn set_rules(&self, rules: Vec<Rule>) -> Result<(), RuleSetError> {
        self.replace(RuleSet::new(rules)?);
        Ok(())
    }

    /// Installs an already built set.
    pub(crate) fn replace(&self, set: RuleSet) {
        self.current.store(Arc::new(set));
        self.generation.fetch_add(1, Ordering::Release);
        log::info!(
            "Firewall rules loaded: {} rule(s) in force.",
            self.rules().len()
        );
    }
}
