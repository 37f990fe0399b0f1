//! The generic cell rate algorithm: one stored instant per key, one pure
//! function from (stored instant, now, quota) to (decision, instant to store).
//!
//! The stored instant is the key's *theoretical arrival time* (TAT): when the
//! key would be back to a full burst. A request moves it `interval` later; it
//! is allowed if the new TAT is at most `burst * interval` ahead of now. A TAT
//! at or before now means "full quota", exactly as if nothing were stored,
//! which is why idle keys can be dropped without changing any answer.
//!
//! Everything is integer nanoseconds so that a Lua script in Redis (issue 19)
//! can run the same lines and give the same answers.

use std::time::Duration;

use super::clock::ceil_secs;
use super::quota::Quota;

/// The answer for one request against one limit.
///
/// Holds what the `RateLimit` and `Retry-After` headers need.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::limit::{decide, Quota};
/// let q = Quota::per_minute(2)?;
/// let (first, tat) = decide(0, 0, &q);
/// assert!(first.allowed);
/// assert_eq!((first.remaining, first.reset), (1, Duration::from_secs(30)));
/// let (second, tat) = decide(tat.unwrap(), 0, &q);
/// assert_eq!((second.remaining, second.reset_secs()), (0, 60));
/// let (third, unchanged) = decide(tat.unwrap(), 0, &q);
/// assert!(!third.allowed && unchanged.is_none());
/// assert_eq!(third.retry_after_secs(), Some(30));
/// # Ok::<(), firewall_core::limit::QuotaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may go on.
    pub allowed: bool,
    /// Requests the key may still send right now, after this one.
    pub remaining: u32,
    /// Time until the key is back to a full burst.
    pub reset: Duration,
    /// On refusal, time until one more request would be allowed.
    pub retry_after: Option<Duration>,
}

impl Decision {
    /// [`reset`](Self::reset) in whole seconds, rounded up: the `t` of the
    /// `RateLimit` header.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{decide, Quota};
    /// let (d, _) = decide(0, 0, &Quota::per_second(3)?);
    /// assert_eq!(d.reset_secs(), 1); // 333 ms, rounded up
    /// # Ok::<(), firewall_core::limit::QuotaError>(())
    /// ```
    pub fn reset_secs(&self) -> u64 {
        ceil_secs(self.reset.as_nanos() as u64)
    }

    /// [`retry_after`](Self::retry_after) in whole seconds, rounded up and at
    /// least 1: the value of the `Retry-After` header.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{decide, Quota};
    /// let q = Quota::per_second(1000)?;
    /// let (_, tat) = decide(0, 0, &q);
    /// let (d, _) = decide(tat.unwrap(), 0, &q);
    /// assert_eq!(d.retry_after_secs(), None); // allowed: burst is 1000
    /// # Ok::<(), firewall_core::limit::QuotaError>(())
    /// ```
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
            .map(|d| ceil_secs(d.as_nanos() as u64).max(1))
    }

    /// The value of the `RateLimit` header for the limit `name`, as the IETF
    /// httpapi draft writes it: `"name";r=REMAINING;t=RESET_SECONDS`.
    ///
    /// `name` must be a valid limit name (see [`crate::limit::Limit::new`]),
    /// which never needs quoting inside the string.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{decide, Quota};
    /// let (d, _) = decide(0, 0, &Quota::per_minute(100)?);
    /// assert_eq!(d.header_value("api"), r#""api";r=99;t=1"#);
    /// # Ok::<(), firewall_core::limit::QuotaError>(())
    /// ```
    pub fn header_value(&self, name: &str) -> String {
        format!("\"{name}\";r={};t={}", self.remaining, self.reset_secs())
    }
}

/// One GCRA step: the decision for a request arriving at `now` on a key whose
/// stored TAT is `tat` (0 when nothing is stored), and the TAT to store if
/// the request is allowed (`None`: leave the stored value as it is).
///
/// Pure and integer-only, so a Lua script can mirror it line for line:
///
/// ```text
/// new_tat = max(tat, now) + interval
/// allowed = new_tat - now <= burst * interval
/// ```
///
/// # Examples
///
/// ```
/// use firewall_core::limit::{decide, Quota};
/// let q = Quota::per_second(10)?; // one every 100 ms, burst 10
/// let mut tat = 0;
/// let mut allowed = 0;
/// for _ in 0..25 {
///     let (d, next) = decide(tat, 5_000_000_000, &q);
///     if d.allowed { allowed += 1; tat = next.unwrap(); }
/// }
/// assert_eq!(allowed, 10);
/// # Ok::<(), firewall_core::limit::QuotaError>(())
/// ```
pub fn decide(tat: u64, now: u64, quota: &Quota) -> (Decision, Option<u64>) {
    let interval = quota.interval_nanos();
    let tolerance = quota.tolerance_nanos();
    let base = tat.max(now);
    let new_tat = base.saturating_add(interval);
    let ahead = new_tat - now;
    if ahead <= tolerance {
        let remaining = (tolerance - ahead) / interval;
        let decision = Decision {
            allowed: true,
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
            reset: Duration::from_nanos(ahead),
            retry_after: None,
        };
        (decision, Some(new_tat))
    } else {
        let decision = Decision {
            allowed: false,
            remaining: 0,
            reset: Duration::from_nanos(base - now),
            retry_after: Some(Duration::from_nanos(ahead - tolerance)),
        };
        (decision, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEC: u64 = 1_000_000_000;

    #[test]
    fn a_frozen_clock_lets_exactly_the_burst_through() {
        let q = Quota::with_burst(100, Duration::from_secs(60), 100).unwrap();
        let (mut tat, mut allowed) = (0, 0);
        for _ in 0..1_000 {
            let (d, next) = decide(tat, 7 * SEC, &q);
            if let Some(next) = next {
                tat = next;
                allowed += 1;
            }
            assert_eq!(d.allowed, next.is_some());
        }
        assert_eq!(allowed, 100);
    }

    #[test]
    fn the_refusal_says_when_to_come_back_and_that_is_exact() {
        let q = Quota::per_minute(5).unwrap(); // one every 12 s
        let mut tat = 0;
        for _ in 0..5 {
            tat = decide(tat, 0, &q).1.unwrap();
        }
        let (refused, _) = decide(tat, 0, &q);
        assert_eq!(refused.retry_after, Some(Duration::from_secs(12)));
        assert_eq!(refused.reset, Duration::from_secs(60));
        assert_eq!(refused.remaining, 0);
        // One nanosecond early: still refused; on time: allowed.
        assert!(!decide(tat, 12 * SEC - 1, &q).0.allowed);
        let (on_time, _) = decide(tat, 12 * SEC, &q);
        assert!(on_time.allowed);
        assert_eq!(on_time.remaining, 0);
    }

    #[test]
    fn a_quiet_key_is_back_to_a_full_burst() {
        let q = Quota::per_minute(5).unwrap();
        let tat = decide(0, 0, &q).1.unwrap();
        let (d, _) = decide(tat, 3_600 * SEC, &q);
        assert_eq!(d.remaining, 4);
        assert_eq!(d, decide(0, 3_600 * SEC, &q).0);
    }

    #[test]
    fn the_header_value_has_the_drafts_shape() {
        let q = Quota::per_minute(100).unwrap();
        let (d, _) = decide(0, 0, &q);
        assert_eq!(d.header_value("login"), "\"login\";r=99;t=1");
    }

    proptest! {
        /// Against the classic GCRA bound, checked naively over every pair:
        /// between two allowed requests at `a <= b`, at most
        /// `burst + (b - a) / interval` were allowed; and a refused request
        /// is refused until exactly `retry_after` later, then allowed.
        #[test]
        fn never_more_than_the_burst_plus_the_refill(
            count in 1u32..20,
            burst in 1u32..20,
            gaps in proptest::collection::vec(0u64..3 * SEC, 1..150),
        ) {
            let q = Quota::with_burst(count, Duration::from_secs(1), burst).unwrap();
            let (mut tat, mut now, mut times) = (0u64, 0u64, Vec::new());
            for gap in gaps {
                now += gap;
                let (d, next) = decide(tat, now, &q);
                prop_assert_eq!(d.allowed, next.is_some());
                if let Some(next) = next {
                    tat = next;
                    times.push(now);
                    for (i, &a) in times.iter().enumerate() {
                        let seen = (times.len() - i) as u64;
                        prop_assert!(seen <= u64::from(burst) + (now - a) / q.interval_nanos());
                    }
                } else {
                    let wait = d.retry_after.unwrap().as_nanos() as u64;
                    prop_assert!(wait > 0);
                    prop_assert!(!decide(tat, now + wait - 1, &q).0.allowed);
                    prop_assert!(decide(tat, now + wait, &q).0.allowed);
                }
            }
        }
    }
}
