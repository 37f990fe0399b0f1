//! What is known about a ban (who, why, since, until) and how one ended.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ipnetwork::IpNetwork;

use crate::limit::{short_duration, ClientKey};

/// How a ban started.
///
/// # Examples
///
/// ```
/// use firewall_core::ban::BanOrigin;
/// assert_eq!(BanOrigin::Strikes { offence: 2 }.to_string(), "offence 2");
/// assert_eq!(BanOrigin::Manual.to_string(), "manual");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BanOrigin {
    /// The policy's strikes; `offence` counts this client's bans (1 for the first).
    Strikes {
        /// 1 for a first ban, 2 for the next within the repeat memory, ...
        offence: u32,
    },
    /// `Bans::ban` from code.
    Manual,
}

impl fmt::Display for BanOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Strikes { offence } => write!(f, "offence {offence}"),
            Self::Manual => f.write_str("manual"),
        }
    }
}

/// An active ban: who, why, since and until (nanoseconds since the epoch).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::ban::{BanPolicy, Bans};
/// let bans = Bans::new(BanPolicy::new(1, Duration::from_secs(60), Duration::from_secs(600))?);
/// let info = bans.ban("203.0.113.7".parse()?, Duration::from_secs(600), "scanner")?;
/// assert_eq!(info.key.to_string(), "203.0.113.7");
/// assert_eq!(&*info.reason, "scanner");
/// assert_eq!(info.duration(), Duration::from_secs(600));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanInfo {
    /// The client (an address or network; a custom key when banned by key).
    pub key: ClientKey,
    /// Why, e.g. `20 WAF drops in 60s`. Free text for manual bans: escape
    /// it before writing it to a log line or a page.
    pub reason: Arc<str>,
    /// When it started.
    pub since: u64,
    /// When it ends.
    pub until: u64,
    /// How it started.
    pub origin: BanOrigin,
}

impl BanInfo {
    /// How long it lasts in all.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use firewall_core::ban::{BanInfo, BanOrigin};
    /// use firewall_core::limit::ClientKey;
    /// let info = BanInfo {
    ///     key: ClientKey::custom("k"), reason: "r".into(), since: 0,
    ///     until: 5_000_000_000, origin: BanOrigin::Manual,
    /// };
    /// assert_eq!(info.duration(), Duration::from_secs(5));
    /// ```
    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.until.saturating_sub(self.since))
    }

    /// [`since`](Self::since) as a system time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::UNIX_EPOCH;
    /// use firewall_core::ban::{BanInfo, BanOrigin};
    /// use firewall_core::limit::ClientKey;
    /// let info = BanInfo {
    ///     key: ClientKey::custom("k"), reason: "r".into(), since: 0, until: 1, origin: BanOrigin::Manual,
    /// };
    /// assert_eq!(info.since_time(), UNIX_EPOCH);
    /// ```
    pub fn since_time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.since)
    }

    /// [`until`](Self::until) as a system time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use firewall_core::ban::{BanInfo, BanOrigin};
    /// use firewall_core::limit::ClientKey;
    /// let info = BanInfo {
    ///     key: ClientKey::custom("k"), reason: "r".into(), since: 0, until: 1, origin: BanOrigin::Manual,
    /// };
    /// assert_eq!(info.until_time(), UNIX_EPOCH + Duration::from_nanos(1));
    /// ```
    pub fn until_time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.until)
    }
}

impl fmt::Display for BanInfo {
    /// `KEY for DURATION until RFC3339 (ORIGIN): REASON`, the reason as given
    /// (escape the whole line before logging a manual ban).
    ///
    /// ```
    /// use firewall_core::ban::{BanInfo, BanOrigin};
    /// use firewall_core::limit::ClientKey;
    /// let info = BanInfo {
    ///     key: ClientKey::custom("203.0.113.7"), reason: "20 WAF drops in 60s".into(),
    ///     since: 0, until: 600_000_000_000, origin: BanOrigin::Strikes { offence: 1 },
    /// };
    /// assert_eq!(
    ///     info.to_string(),
    ///     "203.0.113.7 for 10m until 1970-01-01T00:10:00Z (offence 1): 20 WAF drops in 60s"
    /// );
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} for {} until {} ({}): {}",
            self.key,
            short_duration(Duration::from_secs(self.duration().as_secs())),
            rfc3339(self.until),
            self.origin,
            self.reason
        )
    }
}

/// Seconds-precision UTC time, as the log lines write dates.
pub(crate) fn rfc3339(nanos: u64) -> String {
    let secs = i64::try_from(nanos / 1_000_000_000).unwrap_or(i64::MAX);
    chrono::DateTime::from_timestamp(secs, 0).map_or_else(
        || format!("@{secs}"),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// Why a ban ended.
///
/// # Examples
///
/// ```
/// use firewall_core::ban::EndCause;
/// assert_eq!(EndCause::Expired.to_string(), "expired");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndCause {
    /// Its time was up.
    Expired,
    /// `Bans::unban` lifted it.
    Lifted,
}

impl fmt::Display for EndCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Expired => "expired",
            Self::Lifted => "lifted",
        })
    }
}

/// A ban that ended: what the caller logs as `UNBAN`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::ban::{BanPolicy, Bans, EndCause};
/// let bans = Bans::new(BanPolicy::new(1, Duration::from_secs(60), Duration::from_secs(600))?);
/// let ip = "203.0.113.7".parse()?;
/// bans.ban(ip, Duration::from_secs(600), "scanner")?;
/// let ended = bans.unban(ip).unwrap();
/// assert_eq!(ended.cause, EndCause::Lifted);
/// assert_eq!(&*ended.ban.reason, "scanner");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// The ban as it was.
    pub ban: BanInfo,
    /// Why it ended.
    pub cause: EndCause,
}

/// Why a manual ban was refused.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use firewall_core::ban::{BanError, BanPolicy, Bans};
/// let policy = BanPolicy::new(1, Duration::from_secs(60), Duration::from_secs(60))?.allow("10.0.0.0/8")?;
/// let bans = Bans::new(policy);
/// let err = bans.ban("10.1.1.1".parse()?, Duration::from_secs(60), "x").unwrap_err();
/// assert_eq!(err.to_string(), "10.1.1.1 is in the ban allowlist (10.0.0.0/8)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BanError {
    /// The address is in the allowlist.
    #[error("{ip} is in the ban allowlist ({network})")]
    Allowlisted {
        /// The address given.
        ip: IpAddr,
        /// The allowlist entry holding it.
        network: IpNetwork,
    },
    /// The duration is zero.
    #[error("a ban must last longer than 0")]
    ZeroDuration,
}
