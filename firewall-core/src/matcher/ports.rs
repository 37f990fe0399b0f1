//! The leaf for many rules that share their source and destination prefix:
//! a per-port first-match table.
//!
//! Such rules differ only by port and protocol, so the winner depends only on
//! `(port, protocol)`: the port line is cut into elementary intervals at every
//! range edge, and each interval stores the first matching rule for a TCP,
//! a UDP and a protocol-`ANY` packet. A lookup is one binary search. Handles
//! the pathological shape "a million `ANY ANY` rules differing by port" with
//! at most 2 × 65,536 intervals whatever the rule count.

use super::key::Field;
use crate::rule::Protocol;
use crate::ruleset::RuleFields;

/// No rule.
pub(super) const NONE: u32 = u32::MAX;

/// Set in a [`PortTable`] cell whose rule has no explicit `/0` network
/// (`0.0.0.0/0` or `::/0`), so that a mixed-family lookup can tell it is
/// `ANY` wherever its prefix is empty without reading the rule. Rule ids
/// stay below `2^31 - 1` (see [`SINGLE`](super::table::SINGLE)), so a
/// marked id is never [`NONE`].
const CLEAN: u32 = 1 << 31;

/// A group's port table, plus what a mixed-family lookup needs.
///
/// A mixed-family packet can only match rules whose network in one field is
/// `ANY`; in a group of length-0 networks `ANY` shares its key with an
/// explicit `0.0.0.0/0` or `::/0`, which must not match there. Where the
/// table's winner is such a rule, `overrides` holds the first `ANY` rule
/// instead (few cells: explicit `/0` rules are rare).
#[derive(Debug)]
pub(super) struct PortLeaf {
    all: PortTable,
    /// Per field (source, destination): `(cell, rule)` by ascending cell,
    /// for the cells whose winner is not `ANY` in that field and that have
    /// a later `ANY` winner; other such cells have none.
    overrides: [Box<[(u32, u32)]>; 2],
}

const FIELDS: [Field; 2] = [Field::Src, Field::Dst];

/// Whether `rule`'s network in `field` is `ANY`.
fn is_any(rule: &RuleFields, field: Field) -> bool {
    rule.any_nets()[field as usize]
}

impl PortLeaf {
    /// Compiles `ids` (ascending rule ids) of `rules`.
    pub(super) fn build(rules: &[RuleFields], ids: &[u32]) -> Self {
        let mut all = PortTable::build(rules, ids);
        let overrides = FIELDS.map(|field| all.overrides(rules, ids, field));
        all.mark_clean(rules);
        all.locate();
        Self { all, overrides }
    }

    /// The first rule matching `port` and `proto` whose network in
    /// `need_any` (if any) is `ANY`, or [`NONE`].
    #[inline]
    pub(super) fn lookup(
        &self,
        rules: &[RuleFields],
        port: u16,
        proto: Protocol,
        need_any: Option<Field>,
    ) -> u32 {
        let id = self.all.lookup(port, proto);
        if id == NONE {
            return NONE;
        }
        // A mixed-family lookup only reaches leaves whose rules all have the
        // empty prefix in `need_any`: a clean rule is `ANY` there.
        let Some(field) = need_any.filter(|_| id & CLEAN == 0) else {
            return id & !CLEAN;
        };
        if is_any(&rules[id as usize], field) {
            return id;
        }
        let overrides = &self.overrides[field as usize];
        let cell = (interval(&self.all.starts, port) * 3 + column(proto)) as u32;
        overrides
            .binary_search_by_key(&cell, |&(c, _)| c)
            .map_or(NONE, |i| overrides[i].1)
    }
}

/// First-match rule ids by elementary port interval and packet protocol.
#[derive(Debug)]
struct PortTable {
    /// The first port of each interval, ascending, starting at 0.
    starts: Box<[u16]>,
    /// How a lookup finds a port's interval in `starts`.
    locator: Locator,
    /// Per interval: the first rule for a TCP, UDP and ANY packet (or
    /// [`NONE`]); moved into the locator when it indexes ports directly.
    first: Box<[[u32; 3]]>,
}

impl PortTable {
    /// Compiles `ids` (ascending rule ids) of `rules`.
    fn build(rules: &[RuleFields], ids: &[u32]) -> Self {
        let mut starts: Vec<u16> = vec![0];
        for &id in ids {
            let (lo, hi) = rules[id as usize].dport.bounds();
            starts.push(lo);
            if let Some(next) = hi.checked_add(1) {
                starts.push(next);
            }
        }
        starts.sort_unstable();
        starts.dedup();
        let mut first = vec![[NONE; 3]; starts.len()];
        for (column, proto) in PROTOCOLS.into_iter().enumerate() {
            let mut painter = Painter::new(starts.len());
            for &id in ids {
                let rule = &rules[id as usize];
                if rule.proto.matches(proto) {
                    let (lo, hi) = rule.dport.bounds();
                    let from = interval(&starts, lo);
                    let to = interval(&starts, hi);
                    painter.paint(from, to, |i| first[i][column] = id);
                }
            }
        }
        Self {
            locator: Locator::Search,
            starts: starts.into_boxed_slice(),
            first: first.into_boxed_slice(),
        }
    }

    /// Marks with [`CLEAN`] the cells whose rule has no explicit `/0`.
    fn mark_clean(&mut self, rules: &[RuleFields]) {
        for id in self.first.iter_mut().flatten() {
            if *id != NONE && !rules[*id as usize].zero_nets().contains(&true) {
                *id |= CLEAN;
            }
        }
    }

    /// The first rule matching `port` and `proto` (with [`CLEAN`] marks
    /// once marked), or [`NONE`].
    #[inline]
    fn lookup(&self, port: u16, proto: Protocol) -> u32 {
        let column = column(proto);
        match &self.locator {
            Locator::Search => self.first[interval(&self.starts, port)][column],
            // The port's block starts in interval `lo` and the next one in
            // `hi`, so the port's interval is in `lo..=hi`.
            Locator::Blocks(blocks) => {
                let b = usize::from(port >> BLOCK_BITS);
                let lo = blocks[b] as usize;
                let hi = blocks
                    .get(b + 1)
                    .map_or(self.starts.len() - 1, |&h| h as usize);
                self.first[lo + interval(&self.starts[lo..=hi], port)][column]
            }
            Locator::Direct(by_port) => by_port[usize::from(port)][column],
        }
    }

    /// Picks the locator for the table's size (after [`Self::overrides`]
    /// and [`Self::mark_clean`], which read `first` by interval).
    fn locate(&mut self) {
        let starts = &self.starts;
        if starts.len() > DIRECT_MIN {
            let mut by_port = Vec::with_capacity(1 << 16);
            for (i, pair) in starts.windows(2).enumerate() {
                by_port.resize(usize::from(pair[1]), self.first[i]);
            }
            by_port.resize(1 << 16, self.first[starts.len() - 1]);
            self.locator = Locator::Direct(by_port.into_boxed_slice());
            self.first = Box::default();
        } else if starts.len() > BLOCKS_MIN {
            let blocks = (0..1u32 << (16 - BLOCK_BITS))
                .map(|b| interval(starts, (b << BLOCK_BITS) as u16) as u32)
                .collect();
            self.locator = Locator::Blocks(blocks);
        }
    }

    /// The cells whose winner is not `ANY` in `field`, with the first rule
    /// among `ids` that is, where there is one.
    fn overrides(&self, rules: &[RuleFields], ids: &[u32], field: Field) -> Box<[(u32, u32)]> {
        let any: Vec<u32> = ids
            .iter()
            .copied()
            .filter(|&id| is_any(&rules[id as usize], field))
            .collect();
        if any.len() == ids.len() || any.is_empty() {
            return Box::default();
        }
        let subset = PortTable::build(rules, &any);
        let mut out = Vec::new();
        for (i, (&start, first)) in self.starts.iter().zip(&*self.first).enumerate() {
            for (column, proto) in PROTOCOLS.into_iter().enumerate() {
                let id = first[column];
                if id == NONE || is_any(&rules[id as usize], field) {
                    continue;
                }
                let alt = subset.lookup(start, proto);
                if alt != NONE {
                    out.push(((i * 3 + column) as u32, alt));
                }
            }
        }
        out.into_boxed_slice()
    }
}

/// How a [`PortTable`] finds the cell of a port, by table size.
#[derive(Debug)]
enum Locator {
    /// A binary search of all intervals (few: within two cache lines).
    Search,
    /// Per block of 2^[`BLOCK_BITS`] ports, the interval holding its first
    /// port: a lookup searches a few intervals rather than all.
    Blocks(Box<[u32]>),
    /// Per port, its interval's first rules: one cache line where a search
    /// of a block of many intervals costs three or four. For the few tables
    /// of more than [`DIRECT_MIN`] intervals (the `ANY`/`ANY` rules of a
    /// large set), 768 KiB each.
    Direct(Box<[[u32; 3]]>),
}

/// Ports per block of [`Locator::Blocks`]: 2^6, so 1,024 blocks (4 KiB).
const BLOCK_BITS: u32 = 6;

/// Tables of more intervals than this get blocks; a binary search of fewer
/// stays within two cache lines.
const BLOCKS_MIN: usize = if cfg!(test) { 4 } else { 64 };

/// Tables of more intervals than this get a direct index (a block then
/// holds more than four intervals on average).
const DIRECT_MIN: usize = if cfg!(test) { 16 } else { 4096 };

/// The packet protocols, in column order.
const PROTOCOLS: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Any];

/// The column of a packet protocol.
fn column(proto: Protocol) -> usize {
    match proto {
        Protocol::Tcp => 0,
        Protocol::Udp => 1,
        Protocol::Any => 2,
    }
}

/// The interval holding `port`.
#[inline]
fn interval(starts: &[u16], port: u16) -> usize {
    starts.partition_point(|&s| s <= port) - 1
}

/// Paints each interval once, with the first (lowest-id) rule to reach it:
/// a "next unpainted interval" union-find skips painted runs.
struct Painter {
    next: Vec<usize>,
}

impl Painter {
    fn new(len: usize) -> Self {
        Self {
            next: (0..=len).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.next[i] != i {
            self.next[i] = self.next[self.next[i]];
            i = self.next[i];
        }
        i
    }

    fn paint(&mut self, from: usize, to: usize, mut set: impl FnMut(usize)) {
        let mut i = self.find(from);
        while i <= to {
            set(i);
            self.next[i] = i + 1;
            i = self.find(i + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::rule::{Action, NetMatch, PortMatch, Rule};

    /// `rule`'s network in `field`, rebuilt (the reference for [`is_any`]).
    fn rebuilt(rule: &RuleFields, field: Field) -> NetMatch {
        match field {
            Field::Src => rule.src_cidr(),
            Field::Dst => rule.dst_cidr(),
        }
    }

    /// A rule of the `ANY`/`ANY` group: each network `ANY` or an explicit `/0`.
    fn rule(proto: u8, lo: u16, span: u16, zero: (bool, bool)) -> RuleFields {
        let net = |explicit: bool| {
            if explicit {
                NetMatch::Net("0.0.0.0/0".parse().unwrap())
            } else {
                NetMatch::Any
            }
        };
        RuleFields::of(&Rule {
            action: Action::Drop,
            proto: [Protocol::Tcp, Protocol::Udp, Protocol::Any][usize::from(proto % 3)],
            dport: if span == 0 {
                PortMatch::Any
            } else {
                PortMatch::Range(lo, lo.saturating_add(span - 1))
            },
            src_cidr: net(zero.0),
            dst_cidr: net(zero.1),
            desc: String::new(),
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The leaf answers the first matching rule (that is `ANY` in the
        /// field a mixed-family lookup names) at any size, so with any locator.
        #[test]
        fn leaf_lookup_is_the_first_match(
            specs in prop::collection::vec(
                (any::<u8>(), any::<u16>(), 0u16..300, prop::bool::weighted(0.2), prop::bool::weighted(0.2)),
                1..80,
            ),
            ports in prop::collection::vec(any::<u16>(), 64),
        ) {
            let rules: Vec<RuleFields> = specs.iter().map(|&(p, lo, span, s, d)| rule(p, lo, span, (s, d))).collect();
            let ids: Vec<u32> = (0..rules.len() as u32).collect();
            let leaf = PortLeaf::build(&rules, &ids);
            let edges = specs.iter().flat_map(|s| [s.1, s.1.saturating_add(s.2)]);
            for port in ports.into_iter().chain(edges) {
                for proto in PROTOCOLS {
                    for need_any in [None, Some(Field::Src), Some(Field::Dst)] {
                        let expected = ids.iter().copied().find(|&id| {
                            let r = &rules[id as usize];
                            r.proto.matches(proto) && r.dport.contains(port)
                                && need_any.is_none_or(|f| rebuilt(r, f) == NetMatch::Any)
                        });
                        let got = leaf.lookup(&rules, port, proto, need_any);
                        prop_assert_eq!(got, expected.unwrap_or(NONE), "port {} {:?} {:?}", port, proto, need_any);
                    }
                }
            }
        }
    }
}
