//! [`RuleFields`]: a rule without its description, laid out for the matcher.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};

use crate::matcher::{encode, mask, net_key};
use crate::packet::Packet;
use crate::rule::{Action, IpFamily, NetMatch, PortMatch, Protocol, Rule};

/// A [`Rule`] without its description, laid out for the matcher: each
/// network as its 128-bit key and prefix length (see `matcher::key`), read
/// without decoding an `IpNetwork`, and its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RuleFields {
    /// The masked keys of the source and destination networks (0 for `ANY`).
    keys: [u128; 2],
    pub(crate) dport: PortMatch,
    pub(crate) action: Action,
    pub(crate) proto: Protocol,
    /// The prefix lengths of the source and destination networks (0 for `ANY`).
    lens: [u8; 2],
    /// The families of the source and destination networks (`None` for `ANY`).
    families: [Option<IpFamily>; 2],
    /// In a rule store, where this rule's description ends in its text
    /// (0 when that text passes 4 GiB: see `RuleStore::wide_ends`), else 0.
    /// It fills what would be padding (48 bytes with the 16-byte keys).
    pub(super) desc_end: u32,
}

impl RuleFields {
    /// The fields of `rule`.
    pub(crate) fn of(rule: &Rule) -> Self {
        let nets = [rule.src_cidr, rule.dst_cidr];
        let keyed = nets.map(net_key);
        Self {
            keys: keyed.map(|(_, key)| key),
            dport: rule.dport,
            action: rule.action,
            proto: rule.proto,
            lens: keyed.map(|(len, _)| len),
            families: nets.map(NetMatch::family),
            desc_end: 0,
        }
    }

    /// The rule made of these fields and `desc`.
    pub(super) fn with_desc(self, desc: &str) -> Rule {
        Rule {
            action: self.action,
            proto: self.proto,
            dport: self.dport,
            src_cidr: self.src_cidr(),
            dst_cidr: self.dst_cidr(),
            desc: desc.to_owned(),
        }
    }

    /// `(prefix length, key)` of the source network; `(0, 0)` for `ANY`.
    #[inline]
    pub(crate) fn src_key(&self) -> (u8, u128) {
        (self.lens[0], self.keys[0])
    }

    /// `(prefix length, key)` of the destination network; `(0, 0)` for `ANY`.
    #[inline]
    pub(crate) fn dst_key(&self) -> (u8, u128) {
        (self.lens[1], self.keys[1])
    }

    /// Whether the source and the destination network are `ANY`, in that
    /// order (read from the stored families: no network is rebuilt).
    pub(crate) fn any_nets(&self) -> [bool; 2] {
        self.families.map(|family| family.is_none())
    }

    /// Whether the source and the destination network are an explicit
    /// `/0` (`0.0.0.0/0` or `::/0`, which is not `ANY`), in that order.
    pub(crate) fn zero_nets(&self) -> [bool; 2] {
        [0, 1].map(|i| self.families[i].is_some() && self.lens[i] == 0)
    }

    /// The source network.
    pub(crate) fn src_cidr(&self) -> NetMatch {
        self.net(0)
    }

    /// The destination network.
    pub(crate) fn dst_cidr(&self) -> NetMatch {
        self.net(1)
    }

    fn net(&self, i: usize) -> NetMatch {
        let (len, key) = (self.lens[i], self.keys[i]);
        // The key and length come from a valid network: rebuilding it
        // cannot fail.
        let net = match self.families[i] {
            None => return NetMatch::Any,
            Some(IpFamily::V4) => {
                Ipv4Network::new(Ipv4Addr::from((key >> 96) as u32), len).map(IpNetwork::V4)
            }
            Some(IpFamily::V6) => Ipv6Network::new(Ipv6Addr::from(key), len).map(IpNetwork::V6),
        };
        net.map_or(NetMatch::Any, NetMatch::Net)
    }

    /// [`Rule::family`].
    pub(crate) fn family(&self) -> Option<IpFamily> {
        self.families[0].or(self.families[1])
    }

    /// [`Rule::matches`], for a packet of any families.
    pub(crate) fn matches(&self, packet: &Packet) -> bool {
        self.proto.matches(packet.proto)
            && self.dport.contains(packet.dst.port())
            && self.contains(0, packet.src.ip())
            && self.contains(1, packet.dst.ip())
    }

    /// Whether network `i` contains `addr` ([`NetMatch::contains`]).
    fn contains(&self, i: usize, addr: IpAddr) -> bool {
        self.families[i].is_none_or(|family| {
            family == IpFamily::of(addr) && encode(addr) & mask(self.lens[i]) == self.keys[i]
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn fields_and_a_description_offset_fill_48_bytes() {
        assert_eq!(std::mem::size_of::<RuleFields>(), 48);
    }

    /// A network from raw parts: `ANY`, or a valid IPv4 or IPv6 network.
    fn net(kind: u8, bits: u128, len: u8) -> NetMatch {
        let net = match kind % 3 {
            0 => return NetMatch::Any,
            1 => IpNetwork::new(IpAddr::V4(Ipv4Addr::from(bits as u32)), len % 33),
            _ => IpNetwork::new(IpAddr::V6(Ipv6Addr::from(bits)), len % 129),
        };
        let net = net.unwrap();
        NetMatch::Net(IpNetwork::new(net.network(), net.prefix()).unwrap())
    }

    proptest! {
        /// The fields give back the rule they were made of, and match
        /// packets of any families as it does.
        #[test]
        fn keep_the_rule_and_its_matches(
            src in (any::<u8>(), any::<u128>(), any::<u8>()),
            dst in (any::<u8>(), any::<u128>(), any::<u8>()),
            addrs in prop::collection::vec((any::<bool>(), any::<u128>(), any::<bool>(), any::<u128>(), any::<u16>()), 8),
        ) {
            let rule = Rule {
                src_cidr: net(src.0, src.1, src.2),
                dst_cidr: net(dst.0, dst.1, dst.2),
                ..Rule::new(crate::DROP, Protocol::Any, PortMatch::Any, crate::ANY, crate::ANY, "").unwrap()
            };
            let fields = RuleFields::of(&rule);
            prop_assert_eq!(fields.with_desc(""), rule.clone());
            prop_assert_eq!(fields.family(), rule.family());
            let nets = [rule.src_cidr, rule.dst_cidr];
            prop_assert_eq!(fields.any_nets(), nets.map(|n| n == NetMatch::Any));
            prop_assert_eq!(fields.zero_nets(), nets.map(|n| matches!(n, NetMatch::Net(n) if n.prefix() == 0)));
            let addr = |v6: bool, bits: u128| if v6 {
                IpAddr::V6(Ipv6Addr::from(bits)).to_canonical()
            } else {
                IpAddr::V4(Ipv4Addr::from(bits as u32))
            };
            // Packets inside each network, and anywhere.
            let inside = |n: NetMatch, bits: u128| match n {
                NetMatch::Net(IpNetwork::V4(n)) => IpAddr::V4(Ipv4Addr::from(u32::from(n.ip()) | (bits as u32 & !u32::from(n.mask())))),
                NetMatch::Net(IpNetwork::V6(n)) => IpAddr::V6(Ipv6Addr::from(u128::from(n.ip()) | (bits & !u128::from(n.mask())))).to_canonical(),
                NetMatch::Any => IpAddr::V4(Ipv4Addr::from(bits as u32)),
            };
            for (v6s, s, v6d, d, port) in addrs {
                for (src, dst) in [
                    (addr(v6s, s), addr(v6d, d)),
                    (inside(rule.src_cidr, s), inside(rule.dst_cidr, d)),
                    (inside(rule.src_cidr, s), addr(v6d, d)),
                ] {
                    let p = Packet::new(Protocol::Tcp, (src, 1).into(), (dst, port).into());
                    prop_assert_eq!(fields.matches(&p), rule.matches(&p), "{:?}", p);
                }
            }
        }
    }
}
