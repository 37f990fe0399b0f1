//! When a client is banned: N strikes of the counted kinds within a window,
//! for a duration that grows for a repeat offender; never for an allowlisted
//! network.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use ipnetwork::IpNetwork;

use crate::limit::KeyPrefixes;

/// Most strikes a policy may require (each is kept until it leaves the window).
pub const MAX_STRIKES: u32 = 10_000;

/// What a strike was for.
///
/// # Examples
///
/// ```
/// use firewall_core::ban::StrikeKind;
/// assert_eq!(StrikeKind::WafDrop.describe(20), "20 WAF drops");
/// assert_eq!(StrikeKind::RateLimited.describe(1), "1 rate-limit refusal");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StrikeKind {
    /// The ACL dropped a request.
    AclDrop,
    /// The WAF dropped a request.
    WafDrop,
    /// A rate limit refused a request.
    RateLimited,
}

impl StrikeKind {
    /// Every kind, in order.
    pub const ALL: [StrikeKind; 3] = [Self::AclDrop, Self::WafDrop, Self::RateLimited];

    /// `n` strikes of this kind in words, as ban reasons write them.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::ban::StrikeKind;
    /// assert_eq!(StrikeKind::AclDrop.describe(3), "3 ACL drops");
    /// ```
    pub fn describe(self, n: usize) -> String {
        let (one, many) = match self {
            Self::AclDrop => ("ACL drop", "ACL drops"),
            Self::WafDrop => ("WAF drop", "WAF drops"),
            Self::RateLimited => ("rate-limit refusal", "rate-limit refusals"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn from_index(i: u64) -> Self {
        match i {
            0 => Self::AclDrop,
            1 => Self::WafDrop,
            _ => Self::RateLimited,
        }
    }
}

impl fmt::Display for StrikeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AclDrop => "acl",
            Self::WafDrop => "waf",
            Self::RateLimited => "rate",
        })
    }
}

/// Why a ban policy is not valid; each variant holds the offending value.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::ban::{BanPolicy, BanPolicyError};
/// let err = BanPolicy::new(0, Duration::from_secs(60), Duration::from_secs(600)).unwrap_err();
/// assert_eq!(err, BanPolicyError::Strikes(0));
/// assert_eq!(err.to_string(), "ban policy: strikes 0 must be 1 to 10000");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BanPolicyError {
    /// Strikes is 0 or above [`MAX_STRIKES`].
    #[error("ban policy: strikes {0} must be 1 to {MAX_STRIKES}")]
    Strikes(u32),
    /// The window is zero.
    #[error("ban policy: the strike window must be longer than 0")]
    Window,
    /// The first ban duration is zero.
    #[error("ban policy: the ban duration must be longer than 0")]
    Duration,
    /// The maximum is shorter than the first duration.
    #[error("ban policy: the maximum ban {max:?} is shorter than the first ban {first:?}")]
    Max {
        /// The first duration.
        first: Duration,
        /// The maximum given.
        max: Duration,
    },
    /// The growth factor is 0.
    #[error("ban policy: the growth factor must be at least 1")]
    Growth,
    /// A network in the allowlist does not parse.
    #[error("ban policy: allowlist entry `{entry}`: {reason}")]
    Allow {
        /// The entry given.
        entry: String,
        /// Why it does not parse.
        reason: String,
    },
}

/// After `strikes` strikes of the counted kinds within `window`, a client is
/// banned for `first`; each repeat offence (within `repeat_memory` of the
/// last ban's end) multiplies the duration by `growth`, up to `max`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::ban::{BanPolicy, StrikeKind};
/// let policy = BanPolicy::new(20, Duration::from_secs(60), Duration::from_secs(600))?
///     .count(StrikeKind::AclDrop, false)
///     .max(Duration::from_secs(86_400))?
///     .allow("10.0.0.0/8")?;
/// assert!(policy.counts(StrikeKind::WafDrop));
/// assert!(!policy.counts(StrikeKind::AclDrop));
/// assert_eq!(policy.ban_duration(1), Duration::from_secs(600));
/// assert_eq!(policy.ban_duration(3), Duration::from_secs(2_400));
/// assert!(policy.is_allowlisted("10.1.2.3".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanPolicy {
    counted: [bool; 3],
    strikes: u32,
    window: Duration,
    first: Duration,
    growth: u32,
    max: Duration,
    repeat_memory: Duration,
    prefixes: KeyPrefixes,
    allowlist: Vec<IpNetwork>,
    max_tracked: usize,
}

impl BanPolicy {
    /// `strikes` strikes within `window` ban for `first`. Every kind counts;
    /// growth 2, maximum one day, repeat memory one day, default key prefixes,
    /// at most 100,000 clients tracked.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(5, Duration::from_secs(10), Duration::from_secs(60))?;
    /// assert_eq!(p.strikes(), 5);
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn new(strikes: u32, window: Duration, first: Duration) -> Result<Self, BanPolicyError> {
        if strikes == 0 || strikes > MAX_STRIKES {
            return Err(BanPolicyError::Strikes(strikes));
        }
        if window.is_zero() {
            return Err(BanPolicyError::Window);
        }
        if first.is_zero() {
            return Err(BanPolicyError::Duration);
        }
        let day = Duration::from_secs(86_400);
        Ok(Self {
            counted: [true; 3],
            strikes,
            window,
            first,
            growth: 2,
            max: first.max(day),
            repeat_memory: day,
            prefixes: KeyPrefixes::default(),
            allowlist: Vec::new(),
            max_tracked: 100_000,
        })
    }

    /// The policy of a firewall with no `[bans]` table: no drop is a strike,
    /// so only manual bans ([`Bans::ban`](crate::ban::Bans::ban)) refuse
    /// anyone (for the default 10 minutes, growing as [`BanPolicy::new`]'s).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::ban::{BanPolicy, StrikeKind};
    /// let policy = BanPolicy::manual_only();
    /// assert!(StrikeKind::ALL.iter().all(|&kind| !policy.counts(kind)));
    /// ```
    pub fn manual_only() -> Self {
        let day = Duration::from_secs(86_400);
        Self {
            counted: [false; 3],
            strikes: 20,
            window: Duration::from_secs(60),
            first: Duration::from_secs(600),
            growth: 2,
            max: day,
            repeat_memory: day,
            prefixes: KeyPrefixes::default(),
            allowlist: Vec::new(),
            max_tracked: 100_000,
        }
    }

    /// Counts strikes of `kind`, or not.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, StrikeKind};
    /// let p = BanPolicy::new(1, Duration::from_secs(1), Duration::from_secs(1))?
    ///     .count(StrikeKind::RateLimited, false);
    /// assert!(!p.counts(StrikeKind::RateLimited));
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    #[must_use]
    pub fn count(mut self, kind: StrikeKind, counted: bool) -> Self {
        self.counted[kind.index()] = counted;
        self
    }

    /// Multiplies each repeat ban by `factor` (1: every ban lasts `first`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(1, Duration::from_secs(1), Duration::from_secs(10))?.growth(3)?;
    /// assert_eq!(p.ban_duration(2), Duration::from_secs(30));
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn growth(mut self, factor: u32) -> Result<Self, BanPolicyError> {
        if factor == 0 {
            return Err(BanPolicyError::Growth);
        }
        self.growth = factor;
        Ok(self)
    }

    /// No ban lasts longer than `max`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(1, Duration::from_secs(1), Duration::from_secs(10))?
    ///     .max(Duration::from_secs(25))?;
    /// assert_eq!(p.ban_duration(5), Duration::from_secs(25));
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn max(mut self, max: Duration) -> Result<Self, BanPolicyError> {
        if max < self.first {
            return Err(BanPolicyError::Max {
                first: self.first,
                max,
            });
        }
        self.max = max;
        Ok(self)
    }

    /// A client whose last ban ended more than `memory` ago starts again at
    /// the first duration.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(1, Duration::from_secs(1), Duration::from_secs(1))?
    ///     .repeat_memory(Duration::from_secs(3_600));
    /// assert_eq!(p.repeat_memory_value(), Duration::from_secs(3_600));
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    #[must_use]
    pub fn repeat_memory(mut self, memory: Duration) -> Self {
        self.repeat_memory = memory;
        self
    }

    /// Groups client addresses by these prefixes (the same as the limits',
    /// normally).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// use firewall_core::limit::KeyPrefixes;
    /// let p = BanPolicy::new(1, Duration::from_secs(1), Duration::from_secs(1))?
    ///     .prefixes(KeyPrefixes::new(32, 48).unwrap());
    /// assert_eq!(p.key_prefixes().v6(), 48);
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    #[must_use]
    pub fn prefixes(mut self, prefixes: KeyPrefixes) -> Self {
        self.prefixes = prefixes;
        self
    }

    /// Never bans a client in `network` (a CIDR or a bare address); add the
    /// trusted proxies here too. An entry that does not parse is an error,
    /// never skipped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(1, Duration::from_secs(1), Duration::from_secs(1))?;
    /// assert!(p.clone().allow("192.0.2.0/24").is_ok());
    /// assert!(p.allow("192.0.2.0/33").is_err());
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn allow(mut self, network: &str) -> Result<Self, BanPolicyError> {
        let net: IpNetwork =
            network
                .parse()
                .map_err(|e: ipnetwork::IpNetworkError| BanPolicyError::Allow {
                    entry: network.to_owned(),
                    reason: e.to_string(),
                })?;
        if net.network() != net.ip() {
            return Err(BanPolicyError::Allow {
                entry: network.to_owned(),
                reason: format!(
                    "host bits set: did you mean {}/{}?",
                    net.network(),
                    net.prefix()
                ),
            });
        }
        self.allowlist.push(net);
        Ok(self)
    }

    /// Never bans a client in `network`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(1, Duration::from_secs(1), Duration::from_secs(1))?
    ///     .allow_network("::1/128".parse().unwrap());
    /// assert!(p.is_allowlisted("::1".parse().unwrap()));
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    #[must_use]
    pub fn allow_network(mut self, network: IpNetwork) -> Self {
        self.allowlist.push(network);
        self
    }

    /// Tracks the strikes of at most `max` clients (the least recently struck
    /// go first when full; at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(1, Duration::from_secs(1), Duration::from_secs(1))?.max_tracked(10);
    /// assert_eq!(p.max_tracked_value(), 10);
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    #[must_use]
    pub fn max_tracked(mut self, max: usize) -> Self {
        self.max_tracked = max.max(1);
        self
    }

    /// Whether strikes of `kind` count.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanPolicy, StrikeKind};
    /// let p = BanPolicy::new(1, Duration::from_secs(1), Duration::from_secs(1))?;
    /// assert!(p.counts(StrikeKind::AclDrop));
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn counts(&self, kind: StrikeKind) -> bool {
        self.counted[kind.index()]
    }

    /// Strikes that ban.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(3, Duration::from_secs(1), Duration::from_secs(1))?;
    /// assert_eq!(p.strikes(), 3);
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn strikes(&self) -> u32 {
        self.strikes
    }

    /// The window strikes are counted in.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(3, Duration::from_secs(60), Duration::from_secs(1))?;
    /// assert_eq!(p.window(), Duration::from_secs(60));
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn window(&self) -> Duration {
        self.window
    }

    /// How long repeat offences are remembered after a ban ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(3, Duration::from_secs(60), Duration::from_secs(1))?;
    /// assert_eq!(p.repeat_memory_value(), Duration::from_secs(86_400));
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn repeat_memory_value(&self) -> Duration {
        self.repeat_memory
    }

    /// The prefixes client addresses are grouped by.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(3, Duration::from_secs(60), Duration::from_secs(1))?;
    /// assert_eq!(p.key_prefixes().v4(), 32);
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn key_prefixes(&self) -> KeyPrefixes {
        self.prefixes
    }

    /// The cap of clients whose strikes are tracked.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(3, Duration::from_secs(60), Duration::from_secs(1))?;
    /// assert_eq!(p.max_tracked_value(), 100_000);
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn max_tracked_value(&self) -> usize {
        self.max_tracked
    }

    /// The allowlist.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(3, Duration::from_secs(60), Duration::from_secs(1))?.allow("::1")?;
    /// assert_eq!(p.allowlist().len(), 1);
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn allowlist(&self) -> &[IpNetwork] {
        &self.allowlist
    }

    /// Whether `ip` (folded from IPv4-mapped form) is in the allowlist.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(3, Duration::from_secs(60), Duration::from_secs(1))?.allow("10.0.0.0/8")?;
    /// assert!(p.is_allowlisted("::ffff:10.9.9.9".parse().unwrap()));
    /// assert!(!p.is_allowlisted("11.0.0.1".parse().unwrap()));
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn is_allowlisted(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.allowlist.iter().any(|net| net.contains(ip))
    }

    /// How long the `offence`-th ban (1 for the first) lasts:
    /// `first * growth^(offence - 1)`, at most `max`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::BanPolicy;
    /// let p = BanPolicy::new(3, Duration::from_secs(60), Duration::from_secs(600))?;
    /// let minutes: Vec<u64> = (1..=9).map(|n| p.ban_duration(n).as_secs() / 60).collect();
    /// assert_eq!(minutes, [10, 20, 40, 80, 160, 320, 640, 1280, 1440]);
    /// # Ok::<(), firewall_core::ban::BanPolicyError>(())
    /// ```
    pub fn ban_duration(&self, offence: u32) -> Duration {
        let mut d = self.first;
        for _ in 1..offence {
            if d >= self.max || self.growth == 1 {
                break;
            }
            d = d.saturating_mul(self.growth);
        }
        d.min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_invalid_setting_is_refused_with_its_value() {
        let s = Duration::from_secs(1);
        assert_eq!(
            BanPolicy::new(MAX_STRIKES + 1, s, s),
            Err(BanPolicyError::Strikes(10_001))
        );
        assert_eq!(
            BanPolicy::new(1, Duration::ZERO, s),
            Err(BanPolicyError::Window)
        );
        assert_eq!(
            BanPolicy::new(1, s, Duration::ZERO),
            Err(BanPolicyError::Duration)
        );
        let p = BanPolicy::new(1, s, Duration::from_secs(10)).unwrap();
        assert_eq!(
            p.clone().max(s),
            Err(BanPolicyError::Max {
                first: Duration::from_secs(10),
                max: s
            })
        );
        assert_eq!(p.clone().growth(0), Err(BanPolicyError::Growth));
        assert_eq!(
            p.clone().allow("10.0.0.5/24").unwrap_err().to_string(),
            "ban policy: allowlist entry `10.0.0.5/24`: host bits set: did you mean 10.0.0.0/24?"
        );
        let err = p.allow("not-a-network").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("ban policy: allowlist entry `not-a-network`: "));
    }

    #[test]
    fn a_huge_offence_count_stays_at_the_maximum() {
        let p = BanPolicy::new(1, Duration::from_secs(1), Duration::from_secs(1)).unwrap();
        assert_eq!(p.ban_duration(u32::MAX), Duration::from_secs(86_400));
        assert_eq!(p.ban_duration(0), Duration::from_secs(1));
    }

    #[test]
    fn a_growth_of_one_keeps_the_first_duration() {
        let p = BanPolicy::new(1, Duration::from_secs(1), Duration::from_secs(5))
            .unwrap()
            .growth(1)
            .unwrap();
        assert_eq!(p.ban_duration(7), Duration::from_secs(5));
    }
}
