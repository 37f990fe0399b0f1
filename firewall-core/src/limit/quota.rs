//! How many requests a limit lets through: `count` per `period`, with a
//! `burst` (how many may arrive at once after a quiet spell).

use std::fmt;
use std::time::Duration;

use std::str::FromStr;

use super::clock::{parse_short_duration, short_duration};

/// The longest period a quota may have: one year (keeps every instant and
/// tolerance well inside a `u64` of nanoseconds).
pub const MAX_PERIOD: Duration = Duration::from_secs(366 * 86_400);

/// Why a quota is not valid.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::limit::{Quota, QuotaError};
/// let err = Quota::new(0, Duration::from_secs(60)).unwrap_err();
/// assert_eq!(err, QuotaError::ZeroCount);
/// assert_eq!(err.to_string(), "quota: the count must be at least 1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QuotaError {
    /// `count` is 0: a limit that lets nothing through is an ACL rule.
    #[error("quota: the count must be at least 1")]
    ZeroCount,
    /// `burst` is 0.
    #[error("quota: the burst must be at least 1")]
    ZeroBurst,
    /// `period` is zero.
    #[error("quota: the period must be longer than 0")]
    ZeroPeriod,
    /// `period` is longer than [`MAX_PERIOD`].
    #[error("quota: the period {period:?} is longer than one year")]
    PeriodTooLong {
        /// The period given.
        period: Duration,
    },
    /// More requests than nanoseconds in the period.
    #[error("quota: {count} requests per {period:?} is more than one per nanosecond")]
    RateTooHigh {
        /// The count given.
        count: u32,
        /// The period given.
        period: Duration,
    },
    /// The text form does not read as `COUNT/PERIOD [burst N]`.
    #[error("quota `{text}`: {reason}")]
    Syntax {
        /// The text given.
        text: String,
        /// What is wrong.
        reason: String,
    },
}

/// `count` requests per `period`, up to `burst` at once.
///
/// A client that has been quiet may send `burst` requests at once; after that
/// it earns one request every `period / count`. The default burst is `count`,
/// so "100 per minute" lets 100 through at once and then one every 0.6 s.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::limit::Quota;
/// let q = Quota::per_minute(100)?;
/// assert_eq!((q.count(), q.burst(), q.period()), (100, 100, Duration::from_secs(60)));
/// assert_eq!(q.interval_nanos(), 600_000_000);
/// assert_eq!(q.to_string(), "100/60s");
/// let q = Quota::with_burst(5, Duration::from_secs(1), 20)?;
/// assert_eq!(q.to_string(), "5/1s burst 20");
/// # Ok::<(), firewall_core::limit::QuotaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    count: u32,
    period: Duration,
    burst: u32,
    /// `period / count` in nanoseconds: the GCRA emission interval.
    interval: u64,
}

impl Quota {
    /// `count` requests per `period`, burst `count`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::limit::Quota;
    /// assert!(Quota::new(5, Duration::from_secs(60)).is_ok());
    /// assert!(Quota::new(5, Duration::ZERO).is_err());
    /// ```
    pub fn new(count: u32, period: Duration) -> Result<Self, QuotaError> {
        Self::with_burst(count, period, count)
    }

    /// `count` requests per `period`, up to `burst` at once.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::limit::{Quota, QuotaError};
    /// assert_eq!(Quota::with_burst(5, Duration::from_secs(1), 0), Err(QuotaError::ZeroBurst));
    /// ```
    pub fn with_burst(count: u32, period: Duration, burst: u32) -> Result<Self, QuotaError> {
        if count == 0 {
            return Err(QuotaError::ZeroCount);
        }
        if burst == 0 {
            return Err(QuotaError::ZeroBurst);
        }
        if period.is_zero() {
            return Err(QuotaError::ZeroPeriod);
        }
        if period > MAX_PERIOD {
            return Err(QuotaError::PeriodTooLong { period });
        }
        // Fits: MAX_PERIOD is about 3.2e16 ns.
        let nanos = period.as_nanos() as u64;
        let interval = nanos / u64::from(count);
        if interval == 0 {
            return Err(QuotaError::RateTooHigh { count, period });
        }
        Ok(Self {
            count,
            period,
            burst,
            interval,
        })
    }

    /// `count` per second.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::limit::Quota::per_second(10)?.interval_nanos(), 100_000_000);
    /// # Ok::<(), firewall_core::limit::QuotaError>(())
    /// ```
    pub fn per_second(count: u32) -> Result<Self, QuotaError> {
        Self::new(count, Duration::from_secs(1))
    }

    /// `count` per minute.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::limit::Quota::per_minute(5)?.to_string(), "5/60s");
    /// # Ok::<(), firewall_core::limit::QuotaError>(())
    /// ```
    pub fn per_minute(count: u32) -> Result<Self, QuotaError> {
        Self::new(count, Duration::from_secs(60))
    }

    /// Requests per period.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::limit::Quota::per_minute(5)?.count(), 5);
    /// # Ok::<(), firewall_core::limit::QuotaError>(())
    /// ```
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The period.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(firewall_core::limit::Quota::per_minute(5)?.period(), Duration::from_secs(60));
    /// # Ok::<(), firewall_core::limit::QuotaError>(())
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Requests that may arrive at once after a quiet spell.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::limit::Quota::per_minute(5)?.burst(), 5);
    /// # Ok::<(), firewall_core::limit::QuotaError>(())
    /// ```
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Nanoseconds between two requests at the sustained rate (`period / count`,
    /// rounded down): the GCRA emission interval.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::limit::Quota::per_second(3)?.interval_nanos(), 333_333_333);
    /// # Ok::<(), firewall_core::limit::QuotaError>(())
    /// ```
    pub fn interval_nanos(&self) -> u64 {
        self.interval
    }

    /// `burst * interval` in nanoseconds: how far ahead of now the theoretical
    /// arrival time may run before requests are refused.
    pub(crate) fn tolerance_nanos(&self) -> u64 {
        // At most 2^32 * 3.2e16 / 1: saturate rather than overflow.
        self.interval.saturating_mul(u64::from(self.burst))
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.count, short_duration(self.period))?;
        if self.burst != self.count {
            write!(f, " burst {}", self.burst)?;
        }
        Ok(())
    }
}

impl FromStr for Quota {
    type Err = QuotaError;

    /// Reads what [`Display`](fmt::Display) writes: `COUNT/PERIOD`, then
    /// optionally ` burst N`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::limit::Quota;
    /// let q: Quota = "5/60s".parse()?;
    /// assert_eq!(q, Quota::per_minute(5)?);
    /// let q: Quota = "100/1m burst 20".parse()?;
    /// assert_eq!((q.count(), q.burst()), (100, 20));
    /// assert_eq!(
    ///     "5 per minute".parse::<Quota>().unwrap_err().to_string(),
    ///     "quota `5 per minute`: expected COUNT/PERIOD [burst N], e.g. 5/60s"
    /// );
    /// # Ok::<(), firewall_core::limit::QuotaError>(())
    /// ```
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = |reason: String| QuotaError::Syntax {
            text: text.to_owned(),
            reason,
        };
        let shape = || syntax("expected COUNT/PERIOD [burst N], e.g. 5/60s".to_owned());
        let (rate, burst) = match text.split_once(" burst ") {
            Some((rate, burst)) => (rate, Some(burst)),
            None => (text, None),
        };
        let (count, period) = rate.split_once('/').ok_or_else(shape)?;
        let count: u32 = count.parse().map_err(|_| shape())?;
        let period = parse_short_duration(period).map_err(|e| syntax(e.to_string()))?;
        match burst {
            None => Self::new(count, period),
            Some(b) => {
                let burst = b
                    .parse()
                    .map_err(|_| syntax(format!("burst `{b}` is not a whole number")))?;
                Self::with_burst(count, period, burst)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_invalid_quota_names_its_field() {
        let min = Duration::from_secs(60);
        assert_eq!(Quota::new(0, min), Err(QuotaError::ZeroCount));
        assert_eq!(Quota::with_burst(1, min, 0), Err(QuotaError::ZeroBurst));
        assert_eq!(Quota::new(1, Duration::ZERO), Err(QuotaError::ZeroPeriod));
        let long = MAX_PERIOD + Duration::from_secs(1);
        assert_eq!(
            Quota::new(1, long),
            Err(QuotaError::PeriodTooLong { period: long })
        );
        let tiny = Duration::from_nanos(10);
        let err = Quota::new(11, tiny).unwrap_err();
        assert_eq!(
            err,
            QuotaError::RateTooHigh {
                count: 11,
                period: tiny
            }
        );
        assert_eq!(
            err.to_string(),
            "quota: 11 requests per 10ns is more than one per nanosecond"
        );
    }

    #[test]
    fn a_bad_burst_is_named() {
        let err = "5/60s burst many".parse::<Quota>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "quota `5/60s burst many`: burst `many` is not a whole number"
        );
        assert_eq!("0/60s".parse::<Quota>(), Err(QuotaError::ZeroCount));
        let err = "5/60 s".parse::<Quota>().unwrap_err().to_string();
        assert!(
            err.starts_with("quota `5/60 s`: `60 s` is not a duration"),
            "{err}"
        );
    }

    proptest::proptest! {
        #[test]
        fn display_and_from_str_are_inverses(
            count in 1u32..1_000_000,
            nanos in 1_000_000u64..MAX_PERIOD.as_nanos() as u64,
            burst in 1u32..1_000_000,
        ) {
            if let Ok(q) = Quota::with_burst(count, Duration::from_nanos(nanos), burst) {
                proptest::prop_assert_eq!(q.to_string().parse::<Quota>(), Ok(q));
            }
        }
    }

    #[test]
    fn the_largest_quota_does_not_overflow_its_tolerance() {
        let q = Quota::with_burst(1, MAX_PERIOD, u32::MAX).unwrap();
        assert_eq!(q.tolerance_nanos(), u64::MAX);
    }
}
