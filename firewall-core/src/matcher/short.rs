//! The wide prefixes of a level, by direct index on the address's top bits.
//!
//! Prefixes of at most [`SHORT_BITS`] bits are few but cover most addresses,
//! so a lookup would probe one table per such length and nearly always hit.
//! Instead, each of the `2^SHORT_BITS` possible top-bit values lists the slots
//! (rules or groups) of every short prefix covering it: one index and one
//! short contiguous list replace up to `SHORT_BITS + 1` hash probes. A prefix
//! of length `len` is listed `2^(SHORT_BITS - len)` times; there are at most
//! `2^len` such prefixes per length, so the lists stay under
//! `(SHORT_BITS + 1) * 2^SHORT_BITS` slots whatever the rule count.

use super::key::Field;
use super::ports::PortLeaf;
use crate::rule::Protocol;
use crate::ruleset::RuleFields;

/// Prefix lengths up to this are indexed here rather than by hash table.
pub(super) const SHORT_BITS: u8 = 12;

/// Slots of the short prefixes covering each top-bits value.
#[derive(Debug)]
pub(super) struct ShortIndex {
    /// The list for value `v` is `entries[starts[v]..starts[v + 1]]`, by
    /// ascending lowest rule id, so that a lookup can interleave it with the
    /// hash probes and stop at the best match so far.
    starts: Box<[u32]>,
    /// `(lowest rule id, slot)`: side by side, so that a visit reads one
    /// cache line, not one per array.
    entries: Box<[(u32, u32)]>,
}

/// A short prefix: `(length, masked key, slot, lowest rule id)`.
pub(super) type Short = (u8, u128, u32, u32);

impl ShortIndex {
    /// Indexes `prefixes`, lengths at most [`SHORT_BITS`].
    pub(super) fn build(prefixes: &[Short]) -> Self {
        let size = 1usize << SHORT_BITS;
        let mut lists: Vec<Vec<(u32, u32)>> = vec![Vec::new(); size];
        for &(len, key, slot, min) in prefixes {
            let first = top(key);
            let span = 1usize << (SHORT_BITS - len);
            for list in &mut lists[first..first + span] {
                list.push((min, slot));
            }
        }
        let mut starts = Vec::with_capacity(size + 1);
        let mut entries = Vec::new();
        starts.push(0);
        for mut list in lists {
            list.sort_unstable();
            entries.extend_from_slice(&list);
            starts.push(entries.len() as u32);
        }
        Self {
            starts: starts.into_boxed_slice(),
            entries: entries.into_boxed_slice(),
        }
    }

    /// `(lowest rule id, slot)` of the short prefixes that contain `addr`,
    /// by ascending lowest rule id.
    #[inline]
    pub(super) fn covering(&self, addr: u128) -> &[(u32, u32)] {
        let v = top(addr);
        &self.entries[self.starts[v] as usize..self.starts[v + 1] as usize]
    }
}

#[inline]
fn top(addr: u128) -> usize {
    (addr >> (128 - u32::from(SHORT_BITS))) as usize
}

/// Prefixes of lengths 1 to this, whose rules are all `ANY` (or `/0`) in the
/// other field, are merged into [`WidePorts`] rather than listed.
pub(super) const WIDE_BITS: u8 = 8;

/// The rules of the wide prefixes (lengths 1 to [`WIDE_BITS`]) whose other
/// field is the empty prefix, merged per top-[`WIDE_BITS`] value into one
/// port table: every such rule listed for a value contains every address
/// with that value in this field and every address in the other one, so
/// the first rule by port and protocol is the first match among them. One
/// table lookup replaces up to [`WIDE_BITS`] list visits, each a port table
/// of its own. A prefix of length `len` is merged `2^(WIDE_BITS - len)`
/// times: rules this wide are rare (at 1M generated rules, about 2 bytes
/// per rule).
#[derive(Debug)]
pub(super) struct WidePorts {
    /// Per top-bits value: the lowest rule id merged there and the table.
    leaves: Box<[Option<(u32, PortLeaf)>]>,
}

impl WidePorts {
    /// Merges `prefixes`: `(length, masked key, ascending rule ids)`.
    pub(super) fn build(rules: &[RuleFields], prefixes: &[(u8, u128, Vec<u32>)]) -> Option<Self> {
        if prefixes.is_empty() {
            return None;
        }
        let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); 1 << WIDE_BITS];
        for (len, key, ids) in prefixes {
            let first = wide_top(*key);
            let span = 1usize << (WIDE_BITS - len);
            for bucket in &mut buckets[first..first + span] {
                bucket.extend_from_slice(ids);
            }
        }
        let leaves = buckets
            .into_iter()
            .map(|mut ids| {
                ids.sort_unstable();
                let first = *ids.first()?;
                Some((first, PortLeaf::build(rules, &ids)))
            })
            .collect();
        Some(Self { leaves })
    }

    /// Lowers `best` to the first merged rule matching `port` and `proto`
    /// for `addr` (see [`PortLeaf::lookup`] for `need_any`).
    #[inline]
    pub(super) fn search(
        &self,
        rules: &[RuleFields],
        addr: u128,
        (port, proto): (u16, Protocol),
        need_any: Option<Field>,
        best: &mut u32,
    ) {
        if let Some((first, leaf)) = &self.leaves[wide_top(addr)] {
            if *first < *best {
                *best = (*best).min(leaf.lookup(rules, port, proto, need_any));
            }
        }
    }
}

#[inline]
fn wide_top(addr: u128) -> usize {
    (addr >> (128 - u32::from(WIDE_BITS))) as usize
}
