//! The compiled, immutable form of a rule list that answers "which rule matches first?".
//!
//! # Data structure
//!
//! Rules are split by address family: the IPv4 index holds every rule that
//! can match an IPv4 packet (IPv4 rules and rules with both networks `ANY`),
//! the IPv6 index likewise. Each index is a tree of at most three levels:
//!
//! 1. a source [`Level`](level): one hash table per source prefix length
//!    present, from masked source prefix to the rules sharing it (a group);
//! 2. for a source group larger than a few rules, a destination level of the
//!    same shape over that group's rules;
//! 3. for a destination group larger than a few rules (rules sharing both
//!    prefixes, differing only by port and protocol), a per-port first-match
//!    table ([`PortTable`](ports)).
//!
//! Small groups are scanned in rule order. Addresses are 128-bit keys (see
//! [`key`]); tables store 4-byte rule or group ids, not keys (see [`table`]).
//!
//! A lookup probes one table per prefix length, visiting lengths by ascending
//! lowest rule id and stopping when no remaining length can hold a rule before
//! the best match found so far; a length filter indexed by the address's top
//! bits skips lengths that hold no prefix of it. The cost depends on how many
//! prefix lengths and how many overlapping wide rules there are, not on the
//! number of rules. The result is exactly the linear first match: the lowest
//! index among matching rules.
//!
//! A packet whose source and destination are of different families (never
//! produced by a real socket: both ends of a connection share a family once
//! IPv4-mapped addresses are made canonical) is answered by a linear scan.

mod key;
mod level;
mod ports;
mod table;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::IpAddr;

use crate::packet::Packet;
use crate::rule::{Family, Rule};
use level::Level;
use table::SINGLE;

/// Groups of at most this many rules are scanned rather than sub-indexed.
const SCAN_MAX: u32 = 8;

/// A rule list compiled for lookups. Built once per rule set; never changed.
#[derive(Default)]
pub(crate) struct Matcher {
    index: Option<Index>,
}

/// The per-family levels; `None` in [`Matcher`] means "scan linearly"
/// (only for more than 2^31 - 1 rules, which tables cannot number).
struct Index {
    v4: Level,
    v6: Level,
}

/// A packet prepared for lookups: both addresses as keys.
pub(super) struct Query<'p> {
    packet: &'p Packet,
    src: u128,
    dst: u128,
}

impl Matcher {
    /// Compiles `rules` (already validated).
    pub(crate) fn compile(rules: &[Rule]) -> Self {
        Self::compile_with(rules, SCAN_MAX)
    }

    /// Compiles with groups of more than `scan_max` rules sub-indexed.
    fn compile_with(rules: &[Rule], scan_max: u32) -> Self {
        if rules.len() >= SINGLE as usize {
            return Self { index: None };
        }
        let ids_of = |skip: Family| -> Vec<u32> {
            (0..rules.len() as u32)
                .filter(|&id| rules[id as usize].family() != Some(skip))
                .collect()
        };
        let level = |ids: Vec<u32>| Level::build(rules, &ids, key::Field::Src, scan_max);
        Self {
            index: Some(Index {
                v4: level(ids_of(Family::V6)),
                v6: level(ids_of(Family::V4)),
            }),
        }
    }

    /// The index of the first rule in `rules` that matches `packet`.
    /// `rules` must be the slice this matcher was compiled from.
    pub(crate) fn first_match(&self, rules: &[Rule], packet: &Packet) -> Option<usize> {
        let (src, dst) = (packet.src.ip(), packet.dst.ip());
        let Some(index) = &self.index else {
            return first_match_linear(rules, packet);
        };
        let level = match (src, dst) {
            (IpAddr::V4(_), IpAddr::V4(_)) => &index.v4,
            (IpAddr::V6(_), IpAddr::V6(_)) => &index.v6,
            _ => return first_match_linear(rules, packet),
        };
        let query = Query {
            packet,
            src: key::encode(src),
            dst: key::encode(dst),
        };
        let mut best = u32::MAX;
        level.search(rules, &query, &mut best);
        (best != u32::MAX).then_some(best as usize)
    }
}

/// The reference semantics: the first rule that matches, by a linear scan.
pub(crate) fn first_match_linear(rules: &[Rule], packet: &Packet) -> Option<usize> {
    rules.iter().position(|rule| rule.matches(packet))
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matcher")
            .field("indexed", &self.index.is_some())
            .finish_non_exhaustive()
    }
}
