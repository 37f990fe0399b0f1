//! Addresses as 128-bit keys: one representation for both families.
//!
//! An IPv4 address sits in the top 32 bits, so a prefix of length `len` is the
//! top `len` bits in either family and one mask function serves both.

use std::net::IpAddr;

use crate::rule::{NetMatch, Protocol};
use crate::ruleset::RuleFields;

/// Which address of a packet (and network of a rule) a level indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    /// The client's address (`src_cidr`).
    Src,
    /// The local address (`dst_cidr`).
    Dst,
}

/// `addr` as a key (IPv4 in the top 32 bits).
pub(crate) fn encode(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)) << 96,
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The top `len` bits set.
pub(crate) fn mask(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len))
    }
}

/// `(prefix length, masked key)` of a network; ANY is the empty prefix.
/// Callers only compare rules of one family, so ANY and `0.0.0.0/0` (or
/// `::/0`) sharing a key is exactly right.
pub(crate) fn net_key(net: NetMatch) -> (u8, u128) {
    match net {
        NetMatch::Any => (0, 0),
        NetMatch::Net(n) => (n.prefix(), encode(n.ip()) & mask(n.prefix())),
    }
}

/// The key of `rule`'s network in `field`.
pub(super) fn rule_key(rule: &RuleFields, field: Field) -> (u8, u128) {
    match field {
        Field::Src => rule.src_key(),
        Field::Dst => rule.dst_key(),
    }
}

/// Whether `rule` matches a packet of one family whose addresses are the
/// keys `src` and `dst`: [`Rule::matches`](crate::Rule::matches) on keys, without `ipnetwork`
/// calls. Only for rules that can match that family (same-family networks
/// or ANY), which is what each family index holds.
#[inline]
pub(super) fn matches(rule: &RuleFields, proto: Protocol, port: u16, src: u128, dst: u128) -> bool {
    let inside = |(len, key): (u8, u128), addr: u128| addr & mask(len) == key;
    rule.proto.matches(proto)
        && rule.dport.contains(port)
        && inside(rule.src_key(), src)
        && inside(rule.dst_key(), dst)
}

/// A well-mixed 64-bit hash of a key (two multiply-xorshift rounds).
pub(super) fn hash(key: u128) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let folded = ((key >> 64) as u64).rotate_left(23) ^ (key as u64);
    let h = folded.wrapping_mul(K);
    (h ^ (h >> 29)).wrapping_mul(K)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_cover_both_ends() {
        assert_eq!(mask(0), 0);
        assert_eq!(mask(128), u128::MAX);
        assert_eq!(mask(1), 1 << 127);
    }

    #[test]
    fn ipv4_keys_sit_in_the_top_bits() {
        let key = encode("10.0.0.1".parse().unwrap());
        assert_eq!(key >> 96, 0x0A00_0001);
        assert_eq!(net_key("10.0.0.0/8".parse().unwrap()), (8, 0x0A << 120));
    }
}
