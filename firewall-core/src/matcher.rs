//! The compiled, immutable form of a rule list that answers "which rule matches first?".
//!
//! # Data structure
//!
//! Rules are split by address family: the IPv4 index holds every rule that
//! can match an IPv4 packet (IPv4 rules and rules with both networks `ANY`),
//! the IPv6 index likewise. Within a family, each rule is indexed by its more
//! specific network: by source when its source prefix is at least as long as
//! its destination prefix (`ANY` is length 0), else by destination. So a
//! `/0` source shares a group only with rules whose destination is `/0` too,
//! and wide prefixes in both fields at once are what makes groups large.
//! Each of these two top indexes is a tree of at most three levels:
//!
//! 1. a [`Level`](level) on its field: one hash table per prefix length
//!    present, from masked prefix to the rules sharing it (a group);
//! 2. for a group larger than a few rules, a nested level of the same shape
//!    on the other address, over that group's rules, or straight a port
//!    table when all of them share their other prefix too (wide sources
//!    with destination `ANY`, the usual case);
//! 3. for a nested group larger than a few rules (rules sharing both
//!    prefixes, differing only by port and protocol), a per-port first-match
//!    table ([`PortLeaf`](ports)).
//!
//! Small groups are scanned in rule order. Addresses are 128-bit keys (see
//! [`key`]); tables store 4-byte slots (a rule, a small group or a
//! sub-indexed group), not keys, and are probed eight tag bytes at a time
//! (see [`table`]).
//!
//! A lookup in a level:
//! - visits the prefixes of up to `/12` that contain the address through one
//!   direct index on its top 12 bits ([`short`]): wide prefixes are few but
//!   nearly always hit, so they get no hash probes. Those of `/1` to `/8`
//!   whose rules are `ANY` in the other field are merged, per top byte, into
//!   one port table (one lookup instead of one per prefix); port tables of
//!   many intervals (the `ANY`/`ANY` rules of a large set) hold the first
//!   rules per port, one cache line a lookup ([`ports`]);
//! - probes one table per longer prefix length, visiting lengths by ascending
//!   lowest rule id, interleaved with the short prefixes in the same order,
//!   and stopping when nothing left can hold a rule before the best match
//!   found so far; a length filter ([`filter`]: one entry per value of the
//!   address bits after the keys' common prefix, about one per key) skips
//!   the lengths that hold no prefix of this address. Where long lengths
//!   outnumber its entries (IPv6: up to 116 lengths), an entry also holds 32
//!   anchor bits for the next five address bits, which rule out every length
//!   past the index's bits for nearly all addresses, in the same cache line;
//! - in a group, skips it when its lowest rule id is not below the best match.
//!
//! The cost depends on how many prefix lengths and how many overlapping wide
//! rules there are, not on the number of rules. The result is exactly the
//! linear first match: the lowest index among matching rules.
//!
//! # Cost, at 1,000,000 generated rules
//!
//! Counted with callgrind on `benches/matcher_profile.rs` (a 512 KiB
//! second-level cache simulated), per lookup: 930 instructions when the
//! first match is early, 1,110 when nothing matches, 1,160 when it is the
//! last rule, 760 for random packets (0.03 misses past that cache) and
//! 860 for mixed-family ones (0.27).
//! Random and mixed lookups touch more cache lines (about 15 first-level
//! misses, against under one for the planted cases whose probes stay in one
//! region), and those lines, not instructions, are most of their time:
//! the `ANY`/`ANY` and wide port tables (about 4 lines), the short index
//! (2 to 3), the filter entry of each level (2), the few hash probes the
//! filter lets through (about one per lookup, 100 instructions and one or
//! two lines each) and the rule itself. Fewer would take merging the port
//! tables a lookup reads (memory) or a source level that is not hashed.
//!
//! Memory per rule (beyond the rule's 48 bytes of fields and description
//! offset, its description's text, see `ruleset::store`, and its 8-byte hit
//! counter):
//! 5 bytes of hash table bucket per distinct prefix at a load factor between
//! 7/16 and 7/8 (5.7 to 11.4 bytes per prefix),
//! 4 bytes per rule in a small group, the length filter (4–8 bytes per
//! key), and the short index and merged port tables (about 3–4 bytes per
//! rule at 1M rules, of which 1.5 for the two per-port `ANY`/`ANY`
//! tables; more at 10,000).
//!
//! Rule sets of up to 32 rules are not indexed: a scan of so few is faster.
//!
//! # Mixed-family packets
//!
//! A socket never yields one, but a client address taken from
//! `X-Forwarded-For` can be IPv6 behind an IPv4 proxy (or the reverse). Rules
//! are of one family, so the rules that can match a packet with source
//! family `F` and destination family `G` are those with source `ANY` or in `F`
//! and destination `ANY` or in `G`, that is:
//! - `F` rules (and `ANY`/`ANY` ones) whose destination is `ANY`: all in the
//!   `F` index's source-keyed level, each with its destination-keyed
//!   sub-level restricted to its `ANY` group;
//! - `G` rules whose source is `ANY`: in the `G` index's destination-keyed
//!   level (source sub-level restricted to `ANY`), or, for a destination of
//!   length 0, in the `G` index's source-keyed level's length-0 group. Of
//!   that group, the `ANY`/`ANY` rules were searched with the `F` index, so
//!   only those with an explicit `/0` destination are left; they are kept
//!   apart, in a level of their own, so that this step does not read the
//!   `G` index's big `ANY`/`ANY` port table (one cache line and about 60
//!   instructions per lookup).
//!
//! The restricted field only ever looks up the length-0 group, where `ANY`
//! and an explicit `0.0.0.0/0` (or `::/0`) share a key; rules are then checked
//! with [`Rule::matches`](crate::Rule::matches) itself, and port tables keep, for the cells an
//! explicit `/0` rule wins, the first `ANY` rule (see [`ports`]). The lookup
//! is exact and costs about as much as a same-family one.

mod filter;
mod key;
mod level;
mod ports;
mod short;
mod table;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::IpAddr;

use crate::packet::Packet;
use crate::rule::IpFamily;
use crate::ruleset::RuleFields;
use level::Level;

pub(crate) use key::{encode, mask, net_key};
use table::SINGLE;

/// Groups of at most this many rules are scanned rather than sub-indexed.
const SCAN_MAX: u32 = 8;

/// Rule sets of at most this many rules are scanned: below it a scan beats
/// the index (10 rules: about 65 ns against 150 ns for a packet that matches
/// nothing, in the `matcher` bench).
const LINEAR_MAX: usize = 32;

/// A rule list compiled for lookups. Built once per rule set; never changed.
#[derive(Default)]
pub(crate) struct Matcher {
    index: Option<Index>,
}

/// The per-family levels; `None` in [`Matcher`] means "scan linearly"
/// (for small rule sets, and for more than 2^31 - 1 rules, which tables
/// cannot number).
struct Index {
    v4: FamilyIndex,
    v6: FamilyIndex,
}

/// The two top levels of one family: each rule sits in the level of its more
/// specific network (source on a tie), so that wide prefixes in one field
/// only share a group with equally wide ones in the other.
struct FamilyIndex {
    src: Level,
    dst: Level,
    /// The rules with source `ANY` and an explicit `/0` destination (of
    /// this family), by source (one group): for a mixed-family packet with
    /// a destination of this family, the rules of `src` that can match
    /// beyond the `ANY`/`ANY` ones, which the source family's index
    /// already searched.
    any_to_zero: Level,
}

/// A packet prepared for lookups: both addresses as keys.
pub(super) struct Query<'p> {
    packet: &'p Packet,
    src: u128,
    dst: u128,
    /// The destination port, read once (a `SocketAddr` is an enum).
    port: u16,
    /// For a mixed-family packet: the field whose network must be `ANY`
    /// (levels on it only look up their length-0 group).
    need_any: Option<key::Field>,
}

impl Query<'_> {
    /// Whether `rule` (of the searched family index) matches the packet.
    #[inline]
    fn matches(&self, rule: &RuleFields) -> bool {
        if self.need_any.is_some() {
            // Keys of two families can collide: check families too.
            return rule.matches(self.packet);
        }
        key::matches(rule, self.packet.proto, self.port, self.src, self.dst)
    }
}

impl Matcher {
    /// Compiles `rules` (already validated).
    pub(crate) fn compile(rules: &[RuleFields]) -> Self {
        if rules.len() <= LINEAR_MAX {
            return Self { index: None };
        }
        Self::compile_with(rules, SCAN_MAX)
    }

    /// Compiles with groups of more than `scan_max` rules sub-indexed.
    fn compile_with(rules: &[RuleFields], scan_max: u32) -> Self {
        if rules.len() >= SINGLE as usize {
            return Self { index: None };
        }
        let family = |skip: IpFamily| FamilyIndex::build(rules, skip, scan_max);
        Self {
            index: Some(Index {
                v4: family(IpFamily::V6),
                v6: family(IpFamily::V4),
            }),
        }
    }

    /// The index of the first rule in `rules` that matches `packet`.
    /// `rules` must be the slice this matcher was compiled from.
    pub(crate) fn first_match(&self, rules: &[RuleFields], packet: &Packet) -> Option<usize> {
        let (src, dst) = (packet.src.ip(), packet.dst.ip());
        let Some(index) = &self.index else {
            return first_match_linear(rules, packet);
        };
        let mut query = Query {
            packet,
            src: key::encode(src),
            dst: key::encode(dst),
            port: packet.dst.port(),
            need_any: None,
        };
        let mut best = u32::MAX;
        let (src_family, dst_family) = (index.family(src), index.family(dst));
        if std::ptr::eq(src_family, dst_family) {
            src_family.src.search(rules, &query, &mut best);
            src_family.dst.search(rules, &query, &mut best);
        } else {
            mixed(rules, &mut query, src_family, dst_family, &mut best);
        }
        (best != u32::MAX).then_some(best as usize)
    }
}

/// The lookup of a mixed-family packet (see the module doc). Apart, so
/// that the same-family lookup compiles as it did before the
/// `any_to_zero` step (inlined, it cost that lookup 5 instructions).
#[inline(never)]
fn mixed(
    rules: &[RuleFields],
    query: &mut Query<'_>,
    src_family: &FamilyIndex,
    dst_family: &FamilyIndex,
    best: &mut u32,
) {
    // Source-family rules with destination ANY.
    query.need_any = Some(key::Field::Dst);
    src_family.src.search(rules, query, best);
    // Destination-family rules with source ANY (those with destination
    // ANY too were searched above).
    query.need_any = Some(key::Field::Src);
    dst_family.dst.search(rules, query, best);
    dst_family.any_to_zero.search(rules, query, best);
}

impl Index {
    /// The index of `addr`'s family.
    fn family(&self, addr: IpAddr) -> &FamilyIndex {
        match addr {
            IpAddr::V4(_) => &self.v4,
            IpAddr::V6(_) => &self.v6,
        }
    }
}

impl FamilyIndex {
    /// Indexes the rules that are not of family `skip`.
    fn build(rules: &[RuleFields], skip: IpFamily, scan_max: u32) -> Self {
        let (mut by_src, mut by_dst, mut any_to_zero) = (Vec::new(), Vec::new(), Vec::new());
        for (id, rule) in (0..rules.len() as u32).zip(rules) {
            if rule.family() == Some(skip) {
                continue;
            }
            let src_len = key::rule_key(rule, key::Field::Src).0;
            let dst_len = key::rule_key(rule, key::Field::Dst).0;
            if src_len >= dst_len {
                by_src.push(id);
            } else {
                by_dst.push(id);
            }
            if rule.any_nets() == [true, false] && dst_len == 0 {
                any_to_zero.push(id);
            }
        }
        let level = |ids: &[u32], field| Level::build(rules, ids, field, false, scan_max);
        Self {
            src: level(&by_src, key::Field::Src),
            dst: level(&by_dst, key::Field::Dst),
            any_to_zero: level(&any_to_zero, key::Field::Src),
        }
    }
}

/// The reference semantics: the first rule that matches, by a linear scan.
pub(crate) fn first_match_linear(rules: &[RuleFields], packet: &Packet) -> Option<usize> {
    rules.iter().position(|rule| rule.matches(packet))
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matcher")
            .field("indexed", &self.index.is_some())
            .finish_non_exhaustive()
    }
}
