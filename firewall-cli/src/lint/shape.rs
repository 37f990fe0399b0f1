//! A rule's matching fields as sets, and how two such sets relate.
//!
//! Every field is a set of values: the protocol, the port range, and the two
//! networks. A rule with both networks `ANY` matches either address family;
//! a rule with one network set matches only that family, so its `ANY` side
//! is that family's `/0`. Networks are prefixes: two of them are nested or
//! disjoint, never partly overlapping.

use firewall_core::{Action, IpFamily, NetMatch, PortMatch, Protocol, Rule};
use ipnetwork::IpNetwork;

/// How the traffic of rule `i` relates to the traffic of rule `j`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rel {
    /// The same set.
    Equal,
    /// `i` holds all of `j` and more.
    Wider,
    /// `j` holds all of `i` and more.
    Narrower,
    /// They share some traffic; neither holds the other.
    Partial,
    /// Nothing in common.
    Disjoint,
}

impl Rel {
    /// The relation of the product of two fields from the relations of each.
    pub(crate) fn and(self, other: Rel) -> Rel {
        match (self, other) {
            (Rel::Disjoint, _) | (_, Rel::Disjoint) => Rel::Disjoint,
            (Rel::Equal, r) | (r, Rel::Equal) => r,
            (Rel::Wider, Rel::Wider) => Rel::Wider,
            (Rel::Narrower, Rel::Narrower) => Rel::Narrower,
            _ => Rel::Partial,
        }
    }

    /// Whether `i` holds all of `j`.
    pub(crate) fn covers(self) -> bool {
        matches!(self, Rel::Equal | Rel::Wider)
    }
}

/// A network prefix in a 128-bit space (IPv4 in the top 32 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Prefix {
    /// The first address, host bits clear.
    pub(crate) start: u128,
    /// The prefix length, 0 to 32 (IPv4) or 128 (IPv6).
    pub(crate) len: u8,
}

impl Prefix {
    /// The whole family.
    pub(crate) const ROOT: Prefix = Prefix { start: 0, len: 0 };

    fn of(net: IpNetwork) -> Self {
        let start = match net {
            IpNetwork::V4(v4) => u128::from(u32::from(v4.network())) << 96,
            IpNetwork::V6(v6) => u128::from(v6.network()),
        };
        Prefix {
            start,
            len: net.prefix(),
        }
    }

    /// The last address.
    pub(crate) fn end(self) -> u128 {
        self.start | u128::MAX.checked_shr(u32::from(self.len)).unwrap_or(0)
    }

    /// `addr` cut to `len` bits.
    pub(crate) fn truncate(addr: u128, len: u8) -> u128 {
        addr & !u128::MAX.checked_shr(u32::from(len)).unwrap_or(0)
    }

    /// Whether `self` holds `other` (or is it).
    fn holds(self, other: Prefix) -> bool {
        self.len <= other.len && Self::truncate(other.start, self.len) == self.start
    }

    /// The relation of two prefixes of one family.
    pub(crate) fn rel(self, other: Prefix) -> Rel {
        if self == other {
            Rel::Equal
        } else if self.holds(other) {
            Rel::Wider
        } else if other.holds(self) {
            Rel::Narrower
        } else {
            Rel::Disjoint
        }
    }
}

/// One side (source or destination) of a rule with its family: `None` for
/// a rule with both networks `ANY` (either family).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Net {
    pub(crate) family: Option<IpFamily>,
    pub(crate) prefix: Prefix,
}

impl Net {
    /// The relation of two networks: families first, then prefixes.
    pub(crate) fn rel(self, other: Net) -> Rel {
        match (self.family, other.family) {
            (None, None) => Rel::Equal,
            (None, Some(_)) => Rel::Wider,
            (Some(_), None) => Rel::Narrower,
            (Some(a), Some(b)) if a == b => self.prefix.rel(other.prefix),
            _ => Rel::Disjoint,
        }
    }
}

/// The protocol and destination ports of a rule: the rules of one such
/// group differ only in their networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Service {
    pub(crate) proto: Protocol,
    /// Inclusive; `ANY` is 1-65535 (no connection has port 0).
    pub(crate) ports: (u16, u16),
}

impl Service {
    /// The relation of two services.
    pub(crate) fn rel(self, other: Service) -> Rel {
        let proto = match (self.proto, other.proto) {
            (a, b) if a == b => Rel::Equal,
            (Protocol::Any, _) => Rel::Wider,
            (_, Protocol::Any) => Rel::Narrower,
            _ => Rel::Disjoint,
        };
        let ((a_lo, a_hi), (b_lo, b_hi)) = (self.ports, other.ports);
        let ports = if (a_lo, a_hi) == (b_lo, b_hi) {
            Rel::Equal
        } else if a_hi < b_lo || b_hi < a_lo {
            Rel::Disjoint
        } else if a_lo <= b_lo && b_hi <= a_hi {
            Rel::Wider
        } else if b_lo <= a_lo && a_hi <= b_hi {
            Rel::Narrower
        } else {
            Rel::Partial
        };
        proto.and(ports)
    }
}

/// A rule as sets: its action, service and networks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) action: Action,
    pub(crate) service: Service,
    pub(crate) src: Net,
    pub(crate) dst: Net,
}

impl Shape {
    pub(crate) fn of(rule: &Rule) -> Self {
        let family = rule.family();
        let side = |net: NetMatch| Net {
            family,
            prefix: match net {
                NetMatch::Any => Prefix::ROOT,
                NetMatch::Net(net) => Prefix::of(net),
            },
        };
        let ports = match rule.dport {
            PortMatch::Any => (1, u16::MAX),
            PortMatch::Range(lo, hi) => (lo, hi),
        };
        Shape {
            action: rule.action,
            service: Service {
                proto: rule.proto,
                ports,
            },
            src: side(rule.src_cidr),
            dst: side(rule.dst_cidr),
        }
    }

    /// The relation of this rule's traffic to `other`'s.
    #[cfg(test)]
    pub(crate) fn rel(&self, other: &Shape) -> Rel {
        self.service
            .rel(other.service)
            .and(self.dst.rel(other.dst))
            .and(self.src.rel(other.src))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(line: &str) -> Shape {
        Shape::of(&line.parse().unwrap())
    }

    #[test]
    fn relations_of_whole_rules() {
        let cases = [
            (
                "ALLOW TCP 80 ANY ANY",
                "DROP TCP 80 10.0.0.0/8 ANY",
                Rel::Wider,
            ),
            (
                "ALLOW TCP 80 10.0.0.0/8 ANY",
                "DROP TCP 80 ANY ANY",
                Rel::Narrower,
            ),
            ("ALLOW ANY ANY ANY ANY", "DROP UDP 53 ::1 ANY", Rel::Wider),
            (
                "ALLOW TCP 80 0.0.0.0/0 ANY",
                "DROP TCP 80 ANY ANY",
                Rel::Narrower,
            ),
            (
                "ALLOW TCP 80 10.0.0.0/8 ANY",
                "DROP TCP 80 ANY 10.0.0.0/8",
                Rel::Partial,
            ),
            (
                "ALLOW TCP 80-90 ANY ANY",
                "DROP TCP 85-95 ANY ANY",
                Rel::Partial,
            ),
            (
                "ALLOW TCP 80 10.0.0.0/8 ANY",
                "DROP TCP 80 11.0.0.0/8 ANY",
                Rel::Disjoint,
            ),
            (
                "ALLOW TCP 80 10.0.0.0/8 ANY",
                "DROP TCP 80 ::/0 ANY",
                Rel::Disjoint,
            ),
            (
                "ALLOW TCP ANY ANY ANY",
                "DROP UDP ANY ANY ANY",
                Rel::Disjoint,
            ),
            (
                "ALLOW TCP ANY ANY ANY",
                "DROP TCP 1-65535 ANY ANY",
                Rel::Equal,
            ),
            (
                "ALLOW ANY 22 ANY ANY",
                "DROP TCP 1-100 ANY ANY",
                Rel::Partial,
            ),
        ];
        for (i, j, rel) in cases {
            assert_eq!(shape(i).rel(&shape(j)), rel, "{i} vs {j}");
        }
    }

    #[test]
    fn prefixes_end_and_truncate_in_both_families() {
        let v4 = Prefix::of("10.0.0.0/8".parse().unwrap());
        assert_eq!(
            v4.end() >> 96,
            u128::from(u32::from(std::net::Ipv4Addr::new(10, 255, 255, 255)))
        );
        let host = Prefix::of("::1/128".parse().unwrap());
        assert_eq!(host.end(), 1);
        assert_eq!(Prefix::truncate(u128::MAX, 0), 0);
        assert_eq!(Prefix::truncate(u128::MAX, 128), u128::MAX);
    }
}
