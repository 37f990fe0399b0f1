//! How a ban is written in Redis and on the bans channel (JSON).
//!
//! ```text
//! {"key":{"net":"203.0.113.7","prefix":32},"reason":"20 WAF drops in 60s","since":1765000000000000000,"until":1765000600000000000,"offence":1}
//! ```
//!
//! The channel carries `{"op":"ban","ban":BAN,"ttl_ms":N}` and
//! `{"op":"unban","key":KEY}`. A
//! receiver ends the ban `ttl_ms` after it reads it, by its own clock, so
//! instances with skewed clocks still end it together.

use std::net::IpAddr;
use std::sync::Arc;

use firewall_core::ban::{BanInfo, BanOrigin};
use firewall_core::limit::ClientKey;
use serde::{Deserialize, Serialize};

/// A client key as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum WireKey {
    /// `{"net":"2001:db8::","prefix":64}`.
    Net {
        /// The network address.
        net: IpAddr,
        /// Its prefix length.
        prefix: u8,
    },
    /// `{"custom":"user:42"}`.
    Custom {
        /// The key.
        custom: String,
    },
}

impl From<&ClientKey> for WireKey {
    fn from(key: &ClientKey) -> Self {
        match key {
            ClientKey::Net { addr, prefix } => Self::Net {
                net: *addr,
                prefix: *prefix,
            },
            ClientKey::Custom(custom) => Self::Custom {
                custom: custom.to_string(),
            },
        }
    }
}

impl WireKey {
    /// The client key, if the prefix fits the address family.
    pub(crate) fn into_key(self) -> Option<ClientKey> {
        match self {
            Self::Net { net, prefix } => {
                let max = if net.is_ipv4() { 32 } else { 128 };
                (prefix <= max).then_some(ClientKey::Net { addr: net, prefix })
            }
            Self::Custom { custom } => Some(ClientKey::custom(custom)),
        }
    }
}

/// A ban as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WireBan {
    key: WireKey,
    reason: String,
    since: u64,
    until: u64,
    /// The offence number for a ban earned by strikes; absent for a manual one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    offence: Option<u32>,
}

impl From<&BanInfo> for WireBan {
    fn from(ban: &BanInfo) -> Self {
        Self {
            key: WireKey::from(&ban.key),
            reason: ban.reason.to_string(),
            since: ban.since,
            until: ban.until,
            offence: match ban.origin {
                BanOrigin::Strikes { offence } => Some(offence),
                BanOrigin::Manual => None,
            },
        }
    }
}

impl WireBan {
    /// The ban, ending `ttl_ms` after `now` (nanoseconds since the epoch).
    pub(crate) fn into_ban(self, now: u64, ttl_ms: u64) -> Option<BanInfo> {
        Some(BanInfo {
            key: self.key.into_key()?,
            reason: Arc::from(self.reason),
            since: self.since,
            until: now.saturating_add(ttl_ms.saturating_mul(1_000_000)),
            origin: self
                .offence
                .map_or(BanOrigin::Manual, |offence| BanOrigin::Strikes { offence }),
        })
    }
}

/// A message on the bans channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Message {
    /// A ban made (or replaced), with its time to live.
    Ban {
        /// The ban.
        ban: WireBan,
        /// Milliseconds it still lasts.
        ttl_ms: u64,
    },
    /// A ban lifted.
    Unban {
        /// Whose.
        key: WireKey,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ban_reads_back_with_its_origin_and_a_local_end() {
        let ban = BanInfo {
            key: ClientKey::Net {
                addr: "2001:db8::".parse().unwrap(),
                prefix: 64,
            },
            reason: "3 WAF drops in 60s".into(),
            since: 10,
            until: 5_000_000_010,
            origin: BanOrigin::Strikes { offence: 2 },
        };
        let json = serde_json::to_string(&Message::Ban {
            ban: WireBan::from(&ban),
            ttl_ms: 5_000,
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"op":"ban","ban":{"key":{"net":"2001:db8::","prefix":64},"reason":"3 WAF drops in 60s","since":10,"until":5000000010,"offence":2},"ttl_ms":5000}"#
        );
        let Message::Ban { ban: wire, ttl_ms } = serde_json::from_str(&json).unwrap() else {
            panic!("not a ban");
        };
        let back = wire.into_ban(100, ttl_ms).unwrap();
        assert_eq!(back.until, 5_000_000_100);
        assert_eq!((back.key, back.origin), (ban.key, ban.origin));
    }

    #[test]
    fn a_prefix_too_long_for_its_family_is_refused() {
        let key = WireKey::Net {
            net: "10.0.0.0".parse().unwrap(),
            prefix: 33,
        };
        assert_eq!(key.into_key(), None);
        let custom: WireKey = serde_json::from_str(r#"{"custom":"user:42"}"#).unwrap();
        assert_eq!(custom.into_key(), Some(ClientKey::custom("user:42")));
    }
}
