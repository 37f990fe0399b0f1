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
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| {
            let secs = d.as_secs().saturating_mul(1_000_000_000);
            secs.saturating_add(u64::from(d.subsec_nanos()))
        })
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

/// A duration as the log lines and the rules file write it: `60s`, `5m`,
/// `2h`, `1d`; seconds under two minutes or when no larger unit divides it;
/// `ms` or `ns` below a second. [`parse_short_duration`] reads it back.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::limit::short_duration;
/// assert_eq!(short_duration(Duration::from_secs(60)), "60s");
/// assert_eq!(short_duration(Duration::from_secs(300)), "5m");
/// assert_eq!(short_duration(Duration::from_secs(7200)), "2h");
/// assert_eq!(short_duration(Duration::from_millis(1500)), "1500ms");
/// ```
pub fn short_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_nanos() != 0 {
        let nanos = d.as_nanos();
        return if nanos % 1_000_000 == 0 {
            format!("{}ms", nanos / 1_000_000)
        } else {
            format!("{nanos}ns")
        };
    }
    match secs {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s >= 3_600 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s >= 120 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Reads a whole number followed by one unit: `ns`, `ms`, `s`, `m`, `h` or
/// `d` (`90s`, `5m`, `1d`); the error says what is wrong.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::limit::parse_short_duration;
/// assert_eq!(parse_short_duration("5m"), Ok(Duration::from_secs(300)));
/// assert_eq!(parse_short_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert_eq!(
///     parse_short_duration("5 minutes").unwrap_err().to_string(),
///     "`5 minutes` is not a duration: expected a whole number and one of ns, ms, s, m, h, d (e.g. 60s)"
/// );
/// ```
///
/// # Errors
///
/// [`DurationError`], holding the text.
pub fn parse_short_duration(text: &str) -> Result<Duration, DurationError> {
    let bad = || DurationError::Syntax(text.to_owned());
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let secs_per = match unit {
        "ns" => return Ok(Duration::from_nanos(n)),
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(secs_per)
        .map(Duration::from_secs)
        .ok_or_else(|| DurationError::TooLong(text.to_owned()))
}

/// Why [`parse_short_duration`] refused a text (which each variant holds).
///
/// # Examples
///
/// ```
/// use firewall_core::limit::{parse_short_duration, DurationError};
/// assert_eq!(parse_short_duration("5x"), Err(DurationError::Syntax("5x".into())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Not a whole number followed by one unit.
    #[error(
        "`{0}` is not a duration: expected a whole number and one of ns, ms, s, m, h, d (e.g. 60s)"
    )]
    Syntax(String),
    /// More seconds than a `u64` holds.
    #[error("`{0}` is too long a duration")]
    TooLong(String),
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
        assert_eq!(
            short_duration(Duration::from_nanos(1_000_000_001)),
            "1000000001ns"
        );
    }

    #[test]
    fn parse_short_duration_refuses_what_it_cannot_read() {
        for bad in ["", "s", "5", "-5s", "5 s", "5sec", "1.5s", "5S"] {
            assert!(parse_short_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_short_duration("99999999999999999999d").is_err());
        assert!(parse_short_duration("999999999999999999d")
            .unwrap_err()
            .to_string()
            .ends_with("is too long a duration"));
    }

    proptest::proptest! {
        #[test]
        fn short_duration_reads_back(nanos in proptest::prelude::any::<u64>()) {
            let d = Duration::from_nanos(nanos);
            proptest::prop_assert_eq!(parse_short_duration(&short_duration(d)), Ok(d));
        }
    }
}
