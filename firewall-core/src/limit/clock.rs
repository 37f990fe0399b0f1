//! Where rate limits and bans read the time: nanoseconds since the Unix epoch.
//!
//! Wall time rather than a per-process monotonic clock, because the state is
//! meant to be shared (issue 19 keeps it in Redis, read by several processes)
//! and only wall time is common to all of them; it also lets a ban's `since`
//! and `until` be printed as dates. A clock stepping backwards is harmless to
//! the algorithm: a stored instant later than `now` is simply still in force.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time, in nanoseconds since the Unix epoch.
///
/// Inject [`ManualClock`] in tests so that nothing ever sleeps.
///
/// # Examples
///
/// ```
/// use firewall_core::limit::{Clock, UnixClock};
/// assert!(UnixClock.now() > 1_600_000_000_000_000_000); // after September 2020
/// ```
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time in nanoseconds since the Unix epoch.
    fn now(&self) -> u64;
}

/// The system's wall clock.
///
/// # Examples
///
/// ```
/// use firewall_core::limit::{Clock, UnixClock};
/// let (a, b) = (UnixClock.now(), UnixClock.now());
/// assert!(b + 1_000_000_000 > a);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct UnixClock;

impl Clock for UnixClock {
    fn now(&self) -> u64 {
        // Before 1970 reads as 0; after 2554 saturates: neither happens in practice.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    }
}

/// A clock that only moves when told to: for tests and simulations.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::limit::{Clock, ManualClock};
/// let clock = ManualClock::new(1_000);
/// clock.advance(Duration::from_nanos(500));
/// assert_eq!(clock.now(), 1_500);
/// clock.set(7);
/// assert_eq!(clock.now(), 7);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock frozen at `now` nanoseconds since the epoch.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Clock, ManualClock};
    /// assert_eq!(ManualClock::new(42).now(), 42);
    /// ```
    pub fn new(now: u64) -> Self {
        Self(AtomicU64::new(now))
    }

    /// Moves the clock forward by `by` (saturating).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::limit::{Clock, ManualClock};
    /// let clock = ManualClock::new(0);
    /// clock.advance(Duration::from_secs(2));
    /// assert_eq!(clock.now(), 2_000_000_000);
    /// ```
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(by))
            });
    }

    /// Sets the clock to `now`, forwards or backwards.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{Clock, ManualClock};
    /// let clock = ManualClock::new(10);
    /// clock.set(3);
    /// assert_eq!(clock.now(), 3);
    /// ```
    pub fn set(&self, now: u64) {
        self.0.store(now, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Whole seconds in `nanos`, rounded up: what a client must wait.
pub(crate) fn ceil_secs(nanos: u64) -> u64 {
    nanos.div_ceil(1_000_000_000)
}

/// A duration as the log lines show it: `60s`, `5m`, `2h`, `1d`; seconds
/// under two minutes or when it does not divide evenly.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::limit::short_duration;
/// assert_eq!(short_duration(Duration::from_secs(60)), "60s");
/// assert_eq!(short_duration(Duration::from_secs(300)), "5m");
/// assert_eq!(short_duration(Duration::from_secs(7200)), "2h");
/// assert_eq!(short_duration(Duration::from_millis(1500)), "1.5s");
/// ```
pub fn short_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_nanos() != 0 {
        return format!("{}s", d.as_secs_f64());
    }
    match secs {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s >= 3_600 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s >= 120 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_secs_rounds_up_a_partial_second() {
        assert_eq!(ceil_secs(0), 0);
        assert_eq!(ceil_secs(1), 1);
        assert_eq!(ceil_secs(1_000_000_000), 1);
        assert_eq!(ceil_secs(1_000_000_001), 2);
    }

    #[test]
    fn manual_clock_saturates() {
        let c = ManualClock::new(u64::MAX - 1);
        c.advance(Duration::from_secs(1));
        assert_eq!(c.now(), u64::MAX);
    }

    #[test]
    fn short_duration_picks_the_largest_exact_unit() {
        assert_eq!(short_duration(Duration::from_secs(90)), "90s");
        assert_eq!(short_duration(Duration::from_secs(150)), "150s");
        assert_eq!(short_duration(Duration::from_secs(86_400 * 2)), "2d");
        assert_eq!(short_duration(Duration::from_secs(5_400)), "90m");
    }
}
