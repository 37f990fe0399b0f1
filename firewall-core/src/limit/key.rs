//! Whom a limit or a ban counts: a client network (the address folded and
//! masked to a prefix) or a string the application chose (an API key, a user id).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

use ipnetwork::{Ipv4Network, Ipv6Network};

/// The prefix lengths client addresses are grouped by: `/32` for IPv4 and
/// `/64` for IPv6 by default, since one IPv6 host usually holds a whole /64
/// and must not get 2^64 separate buckets.
///
/// # Examples
///
/// ```
/// use firewall_core::limit::KeyPrefixes;
/// let p = KeyPrefixes::default();
/// assert_eq!((p.v4(), p.v6()), (32, 64));
/// assert!(KeyPrefixes::new(24, 48).is_ok());
/// assert_eq!(
///     KeyPrefixes::new(33, 64).unwrap_err().to_string(),
///     "IPv4 key prefix /33 is longer than 32 bits"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPrefixes {
    v4: u8,
    v6: u8,
}

/// A key prefix longer than its address family.
///
/// # Examples
///
/// ```
/// use firewall_core::limit::{KeyPrefixes, PrefixError};
/// assert_eq!(KeyPrefixes::new(32, 129), Err(PrefixError::V6(129)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrefixError {
    /// The IPv4 prefix given.
    #[error("IPv4 key prefix /{0} is longer than 32 bits")]
    V4(u8),
    /// The IPv6 prefix given.
    #[error("IPv6 key prefix /{0} is longer than 128 bits")]
    V6(u8),
}

impl Default for KeyPrefixes {
    fn default() -> Self {
        Self { v4: 32, v6: 64 }
    }
}

impl KeyPrefixes {
    /// Groups IPv4 clients by `/v4` and IPv6 clients by `/v6`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::limit::KeyPrefixes::new(32, 56).is_ok());
    /// ```
    pub fn new(v4: u8, v6: u8) -> Result<Self, PrefixError> {
        if v4 > 32 {
            return Err(PrefixError::V4(v4));
        }
        if v6 > 128 {
            return Err(PrefixError::V6(v6));
        }
        Ok(Self { v4, v6 })
    }

    /// The IPv4 prefix length.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::limit::KeyPrefixes::default().v4(), 32);
    /// ```
    pub fn v4(&self) -> u8 {
        self.v4
    }

    /// The IPv6 prefix length.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::limit::KeyPrefixes::default().v6(), 64);
    /// ```
    pub fn v6(&self) -> u8 {
        self.v6
    }
}

/// Whom a limit or a ban counts.
///
/// 24 bytes, no heap for addresses; a custom key holds its text on the heap.
///
/// # Security
///
/// Build an address key from the client address *after* trusted proxies have
/// been resolved, never from a header the client controls. A custom key is
/// whatever the application passed: escape it before writing it to a log.
///
/// # Examples
///
/// ```
/// use std::net::IpAddr;
/// use firewall_core::limit::{ClientKey, KeyPrefixes};
/// let p = KeyPrefixes::default();
/// let v4: IpAddr = "203.0.113.7".parse()?;
/// let mapped: IpAddr = "::ffff:203.0.113.7".parse()?;
/// assert_eq!(ClientKey::from_ip(v4, p), ClientKey::from_ip(mapped, p));
/// let a = ClientKey::from_ip("2001:db8:1:2::1".parse()?, p);
/// let b = ClientKey::from_ip("2001:db8:1:2:ffff::9".parse()?, p);
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "2001:db8:1:2::/64");
/// assert_eq!(ClientKey::custom("api-key-1").to_string(), "api-key-1");
/// # Ok::<(), std::net::AddrParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClientKey {
    /// A client network: the folded address masked to `prefix` bits.
    Net {
        /// The network address (host bits zero).
        addr: IpAddr,
        /// Its prefix length.
        prefix: u8,
    },
    /// A key chosen by the application.
    Custom(Box<str>),
}

/// One write to the hasher for an address key (an IPv4 network and its
/// prefix in 8 bytes; an IPv6 one in 18), not one per field: the key
/// tables hash every request's key with `SipHash`, where each write costs.
/// Keys that are equal write the same bytes.
impl Hash for ClientKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Self::Net {
                addr: IpAddr::V4(v4),
                prefix,
            } => {
                let packed = (u64::from(v4.to_bits()) << 16) | (u64::from(*prefix) << 8) | 4;
                state.write(&packed.to_le_bytes());
            }
            Self::Net {
                addr: IpAddr::V6(v6),
                prefix,
            } => {
                let mut packed = [6_u8; 18];
                packed[..16].copy_from_slice(&v6.octets());
                packed[16] = *prefix;
                state.write(&packed);
            }
            Self::Custom(key) => {
                state.write_u8(1);
                key.hash(state);
            }
        }
    }
}

impl ClientKey {
    /// The key of a client address: an IPv4-mapped IPv6 address is folded to
    /// IPv4, then the address is masked to the family's prefix.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{ClientKey, KeyPrefixes};
    /// let p = KeyPrefixes::new(24, 64).unwrap();
    /// let key = ClientKey::from_ip("10.1.2.3".parse().unwrap(), p);
    /// assert_eq!(key.to_string(), "10.1.2.0/24");
    /// ```
    pub fn from_ip(ip: IpAddr, prefixes: KeyPrefixes) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => {
                // The prefix was checked by KeyPrefixes::new.
                let net = Ipv4Network::new(v4, prefixes.v4).map_or(v4, |n| n.network());
                Self::Net {
                    addr: IpAddr::V4(net),
                    prefix: prefixes.v4,
                }
            }
            IpAddr::V6(v6) => {
                let net = Ipv6Network::new(v6, prefixes.v6).map_or(v6, |n| n.network());
                Self::Net {
                    addr: IpAddr::V6(net),
                    prefix: prefixes.v6,
                }
            }
        }
    }

    /// A key chosen by the application (an API key, a user id).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::ClientKey;
    /// assert_eq!(ClientKey::custom("user:42"), ClientKey::custom(String::from("user:42")));
    /// ```
    pub fn custom(key: impl Into<Box<str>>) -> Self {
        Self::Custom(key.into())
    }

    /// What a log line shows of an application's key: the first 12 hex
    /// digits of its SHA-256 (the key may be a secret such as an API key;
    /// 48 bits tell keys apart in a log without giving a high-entropy key
    /// away). `None` for an address key, which logs show as the address.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{ClientKey, KeyPrefixes};
    /// assert_eq!(ClientKey::custom("abc").fingerprint().as_deref(), Some("ba7816bf8f01"));
    /// let net = ClientKey::from_ip("10.0.0.1".parse().unwrap(), KeyPrefixes::default());
    /// assert_eq!(net.fingerprint(), None);
    /// ```
    pub fn fingerprint(&self) -> Option<String> {
        match self {
            Self::Net { .. } => None,
            Self::Custom(key) => Some(super::request_key::fingerprint(key)),
        }
    }

    /// The network address, for an address key.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{ClientKey, KeyPrefixes};
    /// let key = ClientKey::from_ip("::ffff:10.0.0.1".parse().unwrap(), KeyPrefixes::default());
    /// assert_eq!(key.addr(), Some("10.0.0.1".parse().unwrap()));
    /// assert_eq!(ClientKey::custom("k").addr(), None);
    /// ```
    pub fn addr(&self) -> Option<IpAddr> {
        match self {
            Self::Net { addr, .. } => Some(*addr),
            Self::Custom(_) => None,
        }
    }
}

impl fmt::Display for ClientKey {
    /// A one-host network prints as the bare address; a wider one as a CIDR.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Net {
                addr: addr @ IpAddr::V4(_),
                prefix: 32,
            }
            | Self::Net {
                addr: addr @ IpAddr::V6(_),
                prefix: 128,
            } => write!(f, "{addr}"),
            Self::Net { addr, prefix } => write!(f, "{addr}/{prefix}"),
            Self::Custom(key) => f.write_str(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn key(ip: &str) -> ClientKey {
        ClientKey::from_ip(ip.parse().unwrap(), KeyPrefixes::default())
    }

    #[test]
    fn two_v6_slash_64s_are_two_keys() {
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:8000::1"));
    }

    #[test]
    fn a_mapped_address_is_the_v4_key_and_prints_bare() {
        assert_eq!(key("::ffff:203.0.113.7"), key("203.0.113.7"));
        assert_eq!(key("::ffff:203.0.113.7").to_string(), "203.0.113.7");
    }

    #[test]
    fn a_full_length_v6_prefix_prints_bare() {
        let p = KeyPrefixes::new(32, 128).unwrap();
        let k = ClientKey::from_ip("2001:db8::1".parse().unwrap(), p);
        assert_eq!(k.to_string(), "2001:db8::1");
    }

    #[test]
    fn the_key_is_24_bytes() {
        assert_eq!(std::mem::size_of::<ClientKey>(), 24);
    }

    proptest! {
        #[test]
        fn hosts_share_a_key_iff_they_share_the_prefix(
            a in any::<u128>(), b in any::<u128>(), len in 0u8..=128
        ) {
            let p = KeyPrefixes::new(32, len).unwrap();
            // Keep clear of ::ffff:0:0/96, which folds to IPv4.
            let fix = |x: u128| if x >> 32 == 0xffff { x ^ (1 << 100) } else { x };
            let (a, b) = (fix(a), fix(b));
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len)) };
            let ka = ClientKey::from_ip(IpAddr::V6(Ipv6Addr::from(a)), p);
            let kb = ClientKey::from_ip(IpAddr::V6(Ipv6Addr::from(b)), p);
            prop_assert_eq!(ka == kb, a & mask == b & mask);
        }

        #[test]
        fn a_v4_host_and_its_mapped_form_share_a_key(a in any::<u32>(), len in 0u8..=32) {
            let p = KeyPrefixes::new(len, 64).unwrap();
            let v4 = Ipv4Addr::from(a);
            prop_assert_eq!(
                ClientKey::from_ip(IpAddr::V4(v4), p),
                ClientKey::from_ip(IpAddr::V6(v4.to_ipv6_mapped()), p)
            );
        }
    }
}
