//! The counters that only metrics read, beside [`Stats`](crate::Stats) and
//! the per-rule hits: how long decisions take, WAF hits per signature, and
//! rules reloads. An exporter (`firewall_actix::metrics`) reads them, with
//! the rest, at scrape time; nothing here formats.
//!
//! # Cost
//!
//! - The latency histogram is off until [`LatencyHistogram::enable`] (the
//!   exporter turns it on): off, a decision pays one relaxed load; on, a
//!   timed decision pays two clock reads and two relaxed atomic adds. The
//!   rules alone decide in well under a microsecond, about what the two
//!   clock reads cost (measured: `check` on 10 rules, 77 ns untimed, 187 ns
//!   timed), so decisions by the rules alone are timed one in
//!   [`ACL_SAMPLE_EVERY`] per thread; decisions through the WAF, which take
//!   microseconds to milliseconds, are all timed.
//! - A WAF hit (an attack, not a clean request) takes a short lock to count
//!   its signature.
//! - A reload adds one atomic and a clock read.
//!
//! # Examples
//!
//! ```
//! use firewall_core::{Firewall, Packet};
//! let fw = Firewall::new("app");
//! fw.metrics().latency().enable();
//! fw.check(&Packet::tcp("10.0.0.1:1".parse()?, "10.0.0.2:80".parse()?)); // the first of 64: timed
//! let acl = fw.metrics().latency().snapshot(firewall_core::metrics::LatencyPath::Acl);
//! assert_eq!(acl.count, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::waf::AttackFamily;

/// One decision in this many by the rules alone ([`LatencyPath::Acl`]) is
/// timed, per thread, the first one included.
///
/// # Examples
///
/// ```
/// assert_eq!(firewall_core::metrics::ACL_SAMPLE_EVERY, 64);
/// ```
pub const ACL_SAMPLE_EVERY: u32 = 64;

/// Whether this decision by the rules alone is one of the sampled ones.
fn acl_sampled() -> bool {
    thread_local! {
        static COUNTDOWN: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }
    COUNTDOWN.with(|countdown| {
        let left = countdown.get();
        countdown.set(left.checked_sub(1).unwrap_or(ACL_SAMPLE_EVERY - 1));
        left == 0
    })
}

/// The upper bounds of the latency buckets, in seconds: from 1 µs to 1 s.
///
/// # Examples
///
/// ```
/// assert_eq!(firewall_core::metrics::LATENCY_BUCKETS[0], 1e-6);
/// ```
pub const LATENCY_BUCKETS: [f64; 19] = [
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2,
    5e-2, 0.1, 0.25, 0.5, 1.0,
];

/// The bucket bounds in nanoseconds, for the hot path.
const BOUNDS_NANOS: [u64; 19] = [
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
];

/// What a decision went through: the `stage` label of the latency histogram.
///
/// # Examples
///
/// ```
/// assert_eq!(firewall_core::metrics::LatencyPath::Waf.name(), "waf");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LatencyPath {
    /// The rules alone ([`Firewall::check`](crate::Firewall::check), or an
    /// ACL drop in [`Firewall::admit`](crate::Firewall::admit)); one
    /// decision in [`ACL_SAMPLE_EVERY`] is timed.
    Acl,
    /// The rules, then the WAF, from [`Firewall::admit`](crate::Firewall::admit)
    /// to the verdict (the body read included).
    Waf,
}

impl LatencyPath {
    /// Both paths.
    pub const ALL: [Self; 2] = [Self::Acl, Self::Waf];

    /// `acl` or `waf`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::metrics::LatencyPath::Acl.name(), "acl");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Acl => "acl",
            Self::Waf => "waf",
        }
    }
}

/// One histogram: a count per bucket (not cumulative; the last one is
/// `+Inf`) and the sum.
#[derive(Debug, Default)]
struct Buckets {
    counts: [AtomicU64; 20],
    sum_nanos: AtomicU64,
}

/// How long decisions take, by [`LatencyPath`]; off until enabled.
///
/// # Examples
///
/// ```
/// use firewall_core::metrics::{LatencyHistogram, LatencyPath};
/// let latency = LatencyHistogram::default();
/// assert!(latency.start().is_none()); // off: nothing measured
/// latency.enable();
/// let started = latency.start();
/// latency.observe(LatencyPath::Acl, started);
/// assert_eq!(latency.snapshot(LatencyPath::Acl).count, 1);
/// ```
#[derive(Debug, Default)]
pub struct LatencyHistogram {
    enabled: AtomicBool,
    paths: [Buckets; 2],
}

impl LatencyHistogram {
    /// Starts measuring (for good: an exporter that serves it once keeps
    /// serving it).
    ///
    /// # Examples
    ///
    /// ```
    /// let latency = firewall_core::metrics::LatencyHistogram::default();
    /// latency.enable();
    /// assert!(latency.is_enabled());
    /// ```
    pub fn enable(&self) {
        self.enabled.store(true, Ordering::Relaxed);
    }

    /// Whether decisions are measured.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!firewall_core::metrics::LatencyHistogram::default().is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// The start of a decision: now, when enabled.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::metrics::LatencyHistogram::default().start().is_none());
    /// ```
    pub fn start(&self) -> Option<Instant> {
        self.is_enabled().then(Instant::now)
    }

    /// The start of a decision by the rules alone: now, when enabled and
    /// the decision is one of the sampled ones ([`ACL_SAMPLE_EVERY`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::metrics::{LatencyHistogram, LatencyPath, ACL_SAMPLE_EVERY};
    /// let latency = LatencyHistogram::default();
    /// latency.enable();
    /// for _ in 0..2 * ACL_SAMPLE_EVERY {
    ///     latency.observe(LatencyPath::Acl, latency.start_acl());
    /// }
    /// assert_eq!(latency.snapshot(LatencyPath::Acl).count, 2);
    /// ```
    pub fn start_acl(&self) -> Option<Instant> {
        (self.is_enabled() && acl_sampled()).then(Instant::now)
    }

    /// Counts a decision by the rules alone that began at `started` (a
    /// clock already running, for a request that could have gone on to the
    /// WAF), when it is one of the sampled ones ([`ACL_SAMPLE_EVERY`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::metrics::{LatencyHistogram, LatencyPath};
    /// let latency = LatencyHistogram::default();
    /// latency.enable();
    /// latency.observe_acl_sampled(latency.start());
    /// latency.observe_acl_sampled(latency.start());
    /// assert_eq!(latency.snapshot(LatencyPath::Acl).count, 1);
    /// ```
    pub fn observe_acl_sampled(&self, started: Option<Instant>) {
        if started.is_some() && acl_sampled() {
            self.observe(LatencyPath::Acl, started);
        }
    }

    /// Counts the decision that began at `started` (nothing for `None`).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::metrics::{LatencyHistogram, LatencyPath};
    /// let latency = LatencyHistogram::default();
    /// latency.observe(LatencyPath::Waf, None);
    /// assert_eq!(latency.snapshot(LatencyPath::Waf).count, 0);
    /// ```
    pub fn observe(&self, path: LatencyPath, started: Option<Instant>) {
        if let Some(started) = started {
            self.record(path, started.elapsed());
        }
    }

    fn record(&self, path: LatencyPath, took: Duration) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        let bucket = BOUNDS_NANOS.partition_point(|&bound| bound < nanos);
        let buckets = &self.paths[path as usize];
        buckets.counts[bucket].fetch_add(1, Ordering::Relaxed);
        buckets.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The histogram of `path` as Prometheus reads it.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::metrics::{LatencyHistogram, LatencyPath, LATENCY_BUCKETS};
    /// let snap = LatencyHistogram::default().snapshot(LatencyPath::Acl);
    /// assert_eq!(snap.buckets.len(), LATENCY_BUCKETS.len());
    /// ```
    pub fn snapshot(&self, path: LatencyPath) -> LatencySnapshot {
        let buckets = &self.paths[path as usize];
        let counts: Vec<u64> = buckets
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let mut below = 0;
        let cumulative = LATENCY_BUCKETS
            .iter()
            .zip(&counts)
            .map(|(&bound, &count)| {
                below += count;
                (bound, below)
            })
            .collect();
        LatencySnapshot {
            buckets: cumulative,
            count: counts.iter().sum(),
            sum_seconds: Duration::from_nanos(buckets.sum_nanos.load(Ordering::Relaxed))
                .as_secs_f64(),
        }
    }
}

/// A latency histogram read at one time.
///
/// # Examples
///
/// ```
/// use firewall_core::metrics::{LatencyHistogram, LatencyPath};
/// let snap = LatencyHistogram::default().snapshot(LatencyPath::Acl);
/// assert_eq!((snap.count, snap.sum_seconds), (0, 0.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LatencySnapshot {
    /// `(upper bound in seconds, decisions that took at most that)`, the
    /// bounds of [`LATENCY_BUCKETS`]; `+Inf` is [`count`](Self::count).
    pub buckets: Vec<(f64, u64)>,
    /// Decisions measured.
    pub count: u64,
    /// Their total time, in seconds.
    pub sum_seconds: f64,
}

/// WAF hits (blocks and detections) per signature since start, whatever
/// WAF was in force.
///
/// # Examples
///
/// ```
/// use firewall_core::{metrics::WafHits, waf::AttackFamily};
/// let hits = WafHits::default();
/// hits.count(AttackFamily::Sqli, 942_100);
/// assert_eq!(hits.snapshot(), [(AttackFamily::Sqli, 942_100, 1)]);
/// ```
#[derive(Debug, Default)]
pub struct WafHits {
    by_signature: Mutex<BTreeMap<(AttackFamily, u32), u64>>,
}

impl WafHits {
    /// Counts one hit of signature `id` of `family`.
    ///
    /// # Examples
    ///
    /// ```
    /// firewall_core::metrics::WafHits::default().count(firewall_core::waf::AttackFamily::Xss, 941_100);
    /// ```
    pub fn count(&self, family: AttackFamily, id: u32) {
        let mut hits = self
            .by_signature
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *hits.entry((family, id)).or_default() += 1;
    }

    /// `(family, signature id, hits)`, by family then id.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::metrics::WafHits::default().snapshot().is_empty());
    /// ```
    pub fn snapshot(&self) -> Vec<(AttackFamily, u32, u64)> {
        self.by_signature
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(&(family, id), &hits)| (family, id, hits))
            .collect()
    }
}

/// Rules file reloads ([`Firewall::reload_file`](crate::Firewall::reload_file))
/// by result, and when the last good one was.
///
/// # Examples
///
/// ```
/// let fw = firewall_core::Firewall::new("app");
/// let _ = fw.reload_file("/nonexistent/rules.toml");
/// let reloads = fw.metrics().reloads();
/// assert_eq!((reloads.succeeded(), reloads.failed()), (0, 1));
/// assert!(reloads.last_success().is_none());
/// ```
#[derive(Debug, Default)]
pub struct Reloads {
    succeeded: AtomicU64,
    failed: AtomicU64,
    /// Milliseconds since the Unix epoch of the last success; 0: none.
    last_success_millis: AtomicU64,
}

impl Reloads {
    /// Counts a reload that installed its rules, now.
    pub(crate) fn record_success(&self) {
        self.succeeded.fetch_add(1, Ordering::Relaxed);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let millis = u64::try_from(now.as_millis()).unwrap_or(u64::MAX).max(1);
        self.last_success_millis.store(millis, Ordering::Relaxed);
    }

    /// Counts a reload refused (the old rules stay).
    pub(crate) fn record_failure(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Reloads that installed their rules.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::metrics::Reloads::default().succeeded(), 0);
    /// ```
    pub fn succeeded(&self) -> u64 {
        self.succeeded.load(Ordering::Relaxed)
    }

    /// Reloads refused.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::metrics::Reloads::default().failed(), 0);
    /// ```
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// When the last good reload was, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::metrics::Reloads::default().last_success().is_none());
    /// ```
    pub fn last_success(&self) -> Option<SystemTime> {
        match self.last_success_millis.load(Ordering::Relaxed) {
            0 => None,
            millis => Some(UNIX_EPOCH + Duration::from_millis(millis)),
        }
    }
}

/// The counters of one [`Firewall`](crate::Firewall) that only metrics read
/// ([`Firewall::metrics`](crate::Firewall::metrics)).
///
/// # Examples
///
/// ```
/// let fw = firewall_core::Firewall::new("app");
/// assert!(fw.metrics().waf_hits().snapshot().is_empty());
/// ```
#[derive(Debug, Default)]
pub struct Metrics {
    latency: LatencyHistogram,
    waf_hits: WafHits,
    reloads: Reloads,
}

impl Metrics {
    /// How long decisions take.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!firewall_core::Firewall::new("a").metrics().latency().is_enabled());
    /// ```
    pub fn latency(&self) -> &LatencyHistogram {
        &self.latency
    }

    /// WAF hits per signature.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::Firewall::new("a").metrics().waf_hits().snapshot().is_empty());
    /// ```
    pub fn waf_hits(&self) -> &WafHits {
        &self.waf_hits
    }

    /// Rules file reloads.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::Firewall::new("a").metrics().reloads().succeeded(), 0);
    /// ```
    pub fn reloads(&self) -> &Reloads {
        &self.reloads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_duration_lands_in_the_first_bucket_that_holds_it() {
        let latency = LatencyHistogram::default();
        for micros in [0, 1, 2, 3, 2_000_000] {
            latency.record(LatencyPath::Acl, Duration::from_micros(micros));
        }
        let snap = latency.snapshot(LatencyPath::Acl);
        // <= 1 µs: 0 and 1; <= 2.5 µs: and 2; <= 5 µs: and 3; 2 s: +Inf only.
        assert_eq!(&snap.buckets[..3], &[(1e-6, 2), (2.5e-6, 3), (5e-6, 4)]);
        assert_eq!(snap.buckets.last(), Some(&(1.0, 4)));
        assert_eq!(snap.count, 5);
        assert!(
            (snap.sum_seconds - 2.000_006).abs() < 1e-9,
            "{}",
            snap.sum_seconds
        );
        assert_eq!(latency.snapshot(LatencyPath::Waf).count, 0);
    }

    #[test]
    #[allow(clippy::float_cmp)] // exactly the published bounds, not nearly
    fn the_bounds_in_nanoseconds_are_the_published_ones() {
        for (nanos, seconds) in BOUNDS_NANOS.iter().zip(LATENCY_BUCKETS) {
            assert_eq!(Duration::from_nanos(*nanos).as_secs_f64(), seconds);
        }
    }
}
