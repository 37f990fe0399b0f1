//! Counters of decisions, readable as a snapshot while serving.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::rule::Rule;

/// Totals of allowed and dropped requests since start.
///
/// # Examples
///
/// ```
/// let stats = firewall_core::Stats::default();
/// stats.count(true);
/// stats.count(false);
/// assert_eq!((stats.allowed(), stats.dropped()), (1, 1));
/// ```
#[derive(Debug, Default)]
pub struct Stats {
    allowed: AtomicU64,
    dropped: AtomicU64,
}

impl Stats {
    /// Counts one decision.
    ///
    /// # Examples
    ///
    /// ```
    /// firewall_core::Stats::default().count(true);
    /// ```
    pub fn count(&self, allowed: bool) {
        let counter = if allowed {
            &self.allowed
        } else {
            &self.dropped
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests allowed so far.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::Stats::default().allowed(), 0);
    /// ```
    pub fn allowed(&self) -> u64 {
        self.allowed.load(Ordering::Relaxed)
    }

    /// Requests dropped so far.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::Stats::default().dropped(), 0);
    /// ```
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// A copy of the counters and of the rules in force with their hits.
///
/// # Examples
///
/// ```
/// let fw = firewall_core::Firewall::new("docs");
/// let snap = fw.stats();
/// assert_eq!(snap.allowed + snap.dropped, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Requests allowed.
    pub allowed: u64,
    /// Requests dropped.
    pub dropped: u64,
    /// The rules in force, each with how many requests it decided.
    pub rules: Vec<RuleHits>,
}

/// One rule and its hit count.
///
/// # Examples
///
/// ```
/// use firewall_core::{Rule, RuleHits, ALLOW, ANY};
/// let hits = RuleHits { rule: Rule::new(ALLOW, ANY, ANY, ANY, ANY, "")?, hits: 3 };
/// assert_eq!(hits.hits, 3);
/// # Ok::<(), firewall_core::RuleError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleHits {
    /// The rule.
    pub rule: Rule,
    /// Requests it decided since it was loaded.
    pub hits: u64,
}
