//! One level of the index: rules hashed by one address field, per prefix length.
//!
//! A level holds a set of rules of one address family. For every prefix
//! length present in its field it keeps a [`Table`] from masked prefix to the
//! rules sharing that prefix (a *group*). A lookup masks the packet address
//! once per length and probes that table, visiting lengths in order of the
//! lowest rule id they hold so that it can stop as soon as no length can beat
//! the best match found so far. With many lengths, a *length filter* indexed
//! by the address's top bits says which lengths can hold a match at all
//! (see [`Filter`]).
//!
//! A group of at most `scan_max` rules is scanned in rule order (stopping at
//! the first match or at the best id so far). A larger group gets a sub-index:
//! in a top level, a nested [`Level`] on the other address, or a [`PortLeaf`]
//! when its rules share their other prefix as well; in a nested level (whose
//! groups' rules share both prefixes) a [`PortLeaf`].

use super::filter::Filter;
use super::key::{mask, rule_key, Field};
use super::ports::{PortLeaf, NONE};
use super::short::{ShortIndex, WidePorts, SHORT_BITS, WIDE_BITS};
use super::table::{Table, SINGLE, SUB};
use super::Query;
use crate::ruleset::RuleFields;

/// Rules of one family indexed by `field`.
#[derive(Debug)]
pub(super) struct Level {
    field: Field,
    /// Whether this level is under another one (its big groups get port tables).
    nested: bool,
    scan_max: u32,
    /// One table per prefix length present, by ascending lowest rule id.
    lengths: Box<[Length]>,
    /// The slot of the length-0 group (`ANY` or a `/0`), if any: all that a
    /// search restricted to `ANY` in this field visits, without a probe.
    zero: Option<u32>,
    filter: Option<Filter>,
    /// When present, lengths up to [`SHORT_BITS`] are looked up here, not in `lengths`.
    short: Option<ShortIndex>,
    /// With `short`, in a top level: the wide prefixes merged by port.
    wide: Option<WidePorts>,
    /// Bit `i` set: `lengths[i]` (of the first 128) is probed by hash table.
    probed: u128,
    /// Group `g` (of at most `scan_max` rules) is
    /// `ids[starts[g]..starts[g + 1]]`, ascending.
    starts: Box<[u32]>,
    ids: Box<[u32]>,
    /// The groups larger than `scan_max`, sub-indexed (slot `i | SUB`).
    subs: Box<[Sub]>,
}

/// One cache line each: a probe reads `min_id`, `mask` and the table's
/// pointers from one line.
#[derive(Debug)]
#[repr(align(64))]
struct Length {
    len: u8,
    min_id: u32,
    /// `mask(len)`, so that a probe does not shift a `u128`.
    mask: u128,
    table: Table,
}

/// A sub-indexed group: its first (lowest) rule id, and the index.
#[derive(Debug)]
struct Sub {
    first: u32,
    index: SubIndex,
}

#[derive(Debug)]
enum SubIndex {
    Level(Box<Level>),
    /// Rules that share both prefixes. In a nested level, its groups; in a
    /// top level, a group whose rules also share their prefix in the other
    /// field (`other`, checked before the ports: a level there would hold
    /// one length and one group, and cost a hash probe to find it).
    Ports {
        other: Option<(u8, u128)>,
        leaf: PortLeaf,
    },
}

/// Levels with fewer keys probe every length (tests filter tiny levels too).
pub(super) const FILTER_MIN_KEYS: usize = if cfg!(test) { 8 } else { 256 };

/// `(prefix length, masked key, rule id)`, sortable into groups.
pub(super) type Entry = (u8, u128, u32);

impl Level {
    /// Indexes `ids` (ascending ids of rules of one family) by `field`.
    pub(super) fn build(
        rules: &[RuleFields],
        ids: &[u32],
        field: Field,
        nested: bool,
        scan_max: u32,
    ) -> Self {
        let mut entries: Vec<Entry> = ids
            .iter()
            .map(|&id| {
                let (len, key) = rule_key(&rules[id as usize], field);
                (len, key, id)
            })
            .collect();
        entries.sort_unstable();
        let mut level = Self {
            field,
            nested,
            scan_max,
            lengths: Box::default(),
            zero: None,
            filter: None,
            short: None,
            wide: None,
            probed: 0,
            starts: Box::default(),
            ids: Box::default(),
            subs: Box::default(),
        };
        level.fill(rules, &entries);
        level
    }

    /// Builds groups, tables and sub-indexes from sorted `entries`.
    fn fill(&mut self, rules: &[RuleFields], entries: &[Entry]) {
        let mut starts = vec![0u32];
        let mut ids = Vec::new();
        let mut lengths = Vec::new();
        let mut short = Vec::new();
        let mut wide = Vec::new();
        let mut subs = Vec::new();
        for run in entries.chunk_by(|a, b| a.0 == b.0) {
            let mut slots = Vec::new();
            for group in run.chunk_by(|a, b| a.1 == b.1) {
                let members: Vec<u32> = group.iter().map(|e| e.2).collect();
                let (len, key) = (run[0].0, group[0].1);
                if !self.nested && (1..=WIDE_BITS).contains(&len) && self.other_any(rules, &members)
                {
                    wide.push((len, key, members.clone()));
                }
                let slot = if let [id] = members[..] {
                    id | SINGLE
                } else if members.len() > self.scan_max as usize {
                    subs.push(Sub {
                        first: members[0],
                        index: self.sub(rules, &members),
                    });
                    (subs.len() as u32 - 1) | SUB
                } else {
                    let g = starts.len() as u32 - 1;
                    ids.extend_from_slice(&members);
                    starts.push(ids.len() as u32);
                    g
                };
                slots.push((group[0].1, slot));
                if len == 0 {
                    self.zero = Some(slot);
                }
                if run[0].0 <= SHORT_BITS {
                    short.push((run[0].0, group[0].1, slot, group[0].2));
                }
            }
            lengths.push(Length {
                len: run[0].0,
                min_id: run.iter().map(|e| e.2).min().unwrap_or(NONE),
                mask: mask(run[0].0),
                table: Table::build(&slots),
            });
        }
        lengths.sort_by_key(|l| l.min_id);
        let short_lengths = lengths.iter().filter(|l| l.len <= SHORT_BITS).count();
        if entries.len() >= FILTER_MIN_KEYS && short_lengths >= 2 {
            self.wide = WidePorts::build(rules, &wide);
            if self.wide.is_some() {
                let merged: std::collections::HashSet<(u8, u128)> =
                    wide.iter().map(|w| (w.0, w.1)).collect();
                short.retain(|s| !merged.contains(&(s.0, s.1)));
            }
            self.short = Some(ShortIndex::build(&short));
        }
        for (i, length) in lengths.iter().enumerate().take(128) {
            if self.short.is_none() || length.len > SHORT_BITS {
                self.probed |= 1 << i;
            }
        }
        let lens: Vec<u8> = lengths.iter().map(|l| l.len).collect();
        self.filter = Filter::build(&lens, entries, self.probed);
        self.lengths = lengths.into_boxed_slice();
        self.starts = starts.into_boxed_slice();
        self.subs = subs.into_boxed_slice();
        self.ids = ids.into_boxed_slice();
    }

    fn sub(&self, rules: &[RuleFields], members: &[u32]) -> SubIndex {
        let ports = |other| SubIndex::Ports {
            other,
            leaf: PortLeaf::build(rules, members),
        };
        if self.nested {
            return ports(None);
        }
        let other = self.other();
        let first = rule_key(&rules[members[0] as usize], other);
        if members
            .iter()
            .all(|&id| rule_key(&rules[id as usize], other) == first)
        {
            return ports(Some(first));
        }
        SubIndex::Level(Box::new(Level::build(
            rules,
            members,
            other,
            true,
            self.scan_max,
        )))
    }

    /// Lowers `best` to the id of the first rule of this level matching `q`.
    pub(super) fn search(&self, rules: &[RuleFields], q: &Query<'_>, best: &mut u32) {
        if q.need_any == Some(self.field) {
            // Only `ANY` (or a /0) can hold: the length-0 group, if any.
            if let Some(slot) = self.zero {
                self.visit(rules, slot, q, best);
            }
            return;
        }
        let addr = match self.field {
            Field::Src => q.src,
            Field::Dst => q.dst,
        };
        // The short prefixes and the probed lengths, merged by lowest rule
        // id, so that the first matches found prune the rest.
        let short = self.short.as_ref().map_or(&[][..], |s| s.covering(addr));
        let mut next = 0;
        // Bit `i`: `lengths[i]` is worth a probe; in `lengths` order, so by min id.
        // `last`: whether `lengths[128]`, past the bits, is worth a probe.
        let (mut todo, last) = self
            .filter
            .as_ref()
            .map_or((u128::MAX, true), |f| f.allowed(addr));
        todo &= self.probed;
        while todo != 0 {
            let length = &self.lengths[todo.trailing_zeros() as usize];
            todo &= todo - 1;
            if short.get(next).is_some_and(|&(min, _)| min < length.min_id) {
                next = self.visit_short(rules, short, next, length.min_id, q, best);
            }
            if !self.probe(rules, length, addr, q, best) {
                break;
            }
        }
        if let Some(last) = self.lengths.get(128).filter(|_| last) {
            if self.short.is_none() || last.len > SHORT_BITS {
                next = self.visit_short(rules, short, next, last.min_id, q, best);
                self.probe(rules, last, addr, q, best);
            }
        }
        self.visit_short(rules, short, next, NONE, q, best);
        if let Some(wide) = &self.wide {
            wide.search(rules, addr, (q.port, q.packet.proto), q.need_any, best);
        }
    }

    /// Whether all `members` have the empty prefix in the other field.
    fn other_any(&self, rules: &[RuleFields], members: &[u32]) -> bool {
        let other = self.other();
        members
            .iter()
            .all(|&id| rule_key(&rules[id as usize], other).0 == 0)
    }

    /// Visits the short prefixes from `next` on whose lowest rule id is
    /// below `until` and below `best`; returns where it stopped.
    #[inline]
    fn visit_short(
        &self,
        rules: &[RuleFields],
        short: &[(u32, u32)],
        mut next: usize,
        until: u32,
        q: &Query<'_>,
        best: &mut u32,
    ) -> usize {
        while let Some(&(min, slot)) = short.get(next) {
            if min >= until || min >= *best {
                break;
            }
            self.visit(rules, slot, q, best);
            next += 1;
        }
        next
    }

    /// Probes one length's table; `false` once no later length can do better.
    #[inline]
    fn probe(
        &self,
        rules: &[RuleFields],
        length: &Length,
        addr: u128,
        q: &Query<'_>,
        best: &mut u32,
    ) -> bool {
        if length.min_id >= *best {
            return false;
        }
        let key = addr & length.mask;
        if let Some(slot) = length.table.find(key, |slot| self.key_of(rules, slot)) {
            self.visit(rules, slot, q, best);
        }
        true
    }

    /// Checks the rule or group in `slot`, whose prefix contains the address.
    #[inline]
    fn visit(&self, rules: &[RuleFields], slot: u32, q: &Query<'_>, best: &mut u32) {
        if slot & SINGLE != 0 {
            let id = slot & !SINGLE;
            if id < *best && q.matches(&rules[id as usize]) {
                *best = id;
            }
        } else if slot & SUB != 0 {
            self.search_sub(rules, &self.subs[(slot & !SUB) as usize], q, best);
        } else {
            self.search_group(rules, slot, q, best);
        }
    }

    fn search_sub(&self, rules: &[RuleFields], sub: &Sub, q: &Query<'_>, best: &mut u32) {
        if sub.first >= *best {
            return;
        }
        match &sub.index {
            SubIndex::Level(level) => level.search(rules, q, best),
            SubIndex::Ports { other, leaf } => {
                if other.is_none_or(|(len, key)| self.other_contains(q, len, key)) {
                    let id = leaf.lookup(rules, q.port, q.packet.proto, q.need_any);
                    *best = (*best).min(id);
                }
            }
        }
    }

    fn search_group(&self, rules: &[RuleFields], g: u32, q: &Query<'_>, best: &mut u32) {
        let (start, end) = (
            self.starts[g as usize] as usize,
            self.starts[g as usize + 1] as usize,
        );
        for &id in &self.ids[start..end] {
            if id >= *best {
                break;
            }
            if q.matches(&rules[id as usize]) {
                *best = id;
                break;
            }
        }
    }

    /// The field a nested level under this one indexes.
    fn other(&self) -> Field {
        match self.field {
            Field::Src => Field::Dst,
            Field::Dst => Field::Src,
        }
    }

    /// Whether the prefix `(len, key)` in the other field contains the
    /// packet's address there, as a nested level would find it (one that
    /// must be `ANY` only matches the empty prefix).
    #[inline]
    fn other_contains(&self, q: &Query<'_>, len: u8, key: u128) -> bool {
        let other = self.other();
        if q.need_any == Some(other) {
            return len == 0;
        }
        let addr = match other {
            Field::Src => q.src,
            Field::Dst => q.dst,
        };
        addr & mask(len) == key
    }

    /// The key a table slot stands for, read back from its first rule.
    #[inline]
    fn key_of(&self, rules: &[RuleFields], slot: u32) -> u128 {
        let id = if slot & SINGLE != 0 {
            slot & !SINGLE
        } else if slot & SUB != 0 {
            self.subs[(slot & !SUB) as usize].first
        } else {
            self.ids[self.starts[slot as usize] as usize]
        };
        rule_key(&rules[id as usize], self.field).1
    }
}
