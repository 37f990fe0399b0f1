//! Counters of decisions, readable as a snapshot while serving.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::rule::Rule;

/// The stage of the firewall that gave a request its final verdict: the
/// `stage` label of the decisions in the metrics.
///
/// `Limit` and `Ban` are counted by the stages that refuse for those
/// reasons, through [`Stats::count_drop`].
///
/// # Examples
///
/// ```
/// use firewall_core::{Stage, Stats};
/// let stats = Stats::default();
/// stats.count_drop(Stage::Waf);
/// assert_eq!((stats.dropped_by(Stage::Waf), stats.dropped()), (1, 1));
/// assert_eq!(Stage::Waf.name(), "waf");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// The rules (an `ACL DROP`).
    Acl,
    /// The web application firewall (a `WAF DROP`, a body it cannot inspect).
    Waf,
    /// A rate limit.
    Limit,
    /// A ban of the client.
    Ban,
    /// The firewall failed (a `Firewall Processing Error`).
    Error,
}

impl Stage {
    /// Every stage, in the order of a request's path.
    pub const ALL: [Self; 5] = [Self::Ban, Self::Limit, Self::Acl, Self::Waf, Self::Error];

    /// Its name in metrics: `acl`, `waf`, `limit`, `ban`, `error`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::Stage::Acl.name(), "acl");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Acl => "acl",
            Self::Waf => "waf",
            Self::Limit => "limit",
            Self::Ban => "ban",
            Self::Error => "error",
        }
    }
}

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
    /// Drops of no named stage ([`Stats::count`]).
    dropped: AtomicU64,
    /// Drops by [`Stage`], in the order of its variants.
    dropped_by: [AtomicU64; 5],
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

    /// Counts one request dropped by `stage` (one atomic add, as
    /// [`count`](Self::count)).
    ///
    /// # Examples
    ///
    /// ```
    /// let stats = firewall_core::Stats::default();
    /// stats.count_drop(firewall_core::Stage::Acl);
    /// assert_eq!(stats.dropped(), 1);
    /// ```
    pub fn count_drop(&self, stage: Stage) {
        self.dropped_by[stage as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Requests dropped by `stage` so far.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Stage, Stats};
    /// assert_eq!(Stats::default().dropped_by(Stage::Ban), 0);
    /// ```
    pub fn dropped_by(&self, stage: Stage) -> u64 {
        self.dropped_by[stage as usize].load(Ordering::Relaxed)
    }

    /// Requests dropped through [`count`](Self::count), by no named stage.
    ///
    /// # Examples
    ///
    /// ```
    /// let stats = firewall_core::Stats::default();
    /// stats.count(false);
    /// assert_eq!(stats.dropped_unattributed(), 1);
    /// ```
    pub fn dropped_unattributed(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
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

    /// Requests dropped so far, by every stage.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::Stats::default().dropped(), 0);
    /// ```
    pub fn dropped(&self) -> u64 {
        self.dropped_unattributed() + Stage::ALL.iter().map(|&s| self.dropped_by(s)).sum::<u64>()
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
