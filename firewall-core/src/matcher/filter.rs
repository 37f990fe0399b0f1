//! The length filter of a level: which prefix lengths may hold a prefix of
//! an address, so that a lookup probes only those tables.
//!
//! A direct index on the address bits after the keys' common prefix: each
//! entry names the lengths with a key starting with those bits (exact for
//! the lengths the index spans, a superset for longer ones). Where the
//! long keys outnumber the entries (IPv6, whose lengths 32 to 128 share
//! each entry and four lengths per bit), an entry also holds 32 *anchor*
//! bits, one per value of the next five address bits: a 0 says no key
//! longer than the index's bits contains the address, which is nearly
//! always so, and all those lengths are skipped. The anchor bits sit in the
//! same 8-byte entry as the lengths: one cache line for both.

use super::key::mask;
use super::level::{Entry, FILTER_MIN_KEYS};

/// Which of the probed lengths (bit `i` = `lengths[i]`, for the first 128)
/// may hold a prefix of an address.
///
/// Keys usually share a common prefix (all of IPv6 unicast is in `2000::/3`;
/// a site's rules in its own `/32`): the filter is indexed by the `bits`
/// address bits that follow that `common` prefix of `skip` bits. Lengths
/// whose keys do not all extend the common prefix are always probed.
///
/// An entry's lengths are a `u32` whose bit `i % 32` stands for
/// `lengths[i]`: the lengths 13 to 32 of IPv4 (after the short index) never
/// share a bit, IPv6's up to 116 lengths share one four ways (a shared bit
/// probes all four). At the same memory as `u128` entries this gives four
/// times the entries, so four times fewer keys per entry to name lengths
/// that hold no prefix of the address.
#[derive(Debug)]
pub(super) struct Filter {
    skip: u32,
    common: u128,
    /// `mask(skip)`.
    common_mask: u128,
    bits: u32,
    /// Lengths probed whatever the address.
    always: u128,
    entries: Entries,
    /// With anchor bits: the lengths (bit `i` = `lengths[i]`) longer than
    /// `skip + bits`, which a 0 anchor bit rules out.
    gated: u128,
    /// Whether `lengths[128]` (if any: it has no bit) is gated.
    last_gated: bool,
}

/// The filter's entries, `2^bits` of them.
#[derive(Debug)]
enum Entries {
    /// The lengths only.
    Plain(Box<[u32]>),
    /// The lengths in the low half; in the high half, bit `j` set when a
    /// gated key contains the addresses whose next five bits are `j`.
    Anchored(Box<[u64]>),
}

/// Anchor bits per entry: the address bits they add to the index.
const ANCHOR_BITS: u32 = 5;

impl Filter {
    /// A filter for the lengths in `probed` (of `lens`, the level's lengths
    /// in probe order) when there are enough lengths and keys to pay for
    /// one: `2^bits` entries of 4 bytes, one to two per key (at 1M rules,
    /// half as many entries cost 40% more instructions per lookup and twice
    /// as many would pass 100 bytes per rule); or, where long lengths would
    /// pass often, half as many entries of 8 bytes with anchor bits.
    pub(super) fn build(lens: &[u8], entries: &[Entry], probed: u128) -> Option<Self> {
        if probed.count_ones() <= 4 || entries.len() < FILTER_MIN_KEYS {
            return None;
        }
        let bits = (entries.len().ilog2() + 1).min(22);
        let prefix = common_prefix(entries);
        Self::new(lens, entries, probed, prefix, bits - 1)
            .anchored(lens, entries)
            .or_else(|| Some(Self::new(lens, entries, probed, prefix, bits)))
    }

    /// A plain filter of `2^bits` entries after the common prefix `(skip, common)`.
    fn new(
        lens: &[u8],
        entries: &[Entry],
        probed: u128,
        (skip, common): (u32, u128),
        bits: u32,
    ) -> Self {
        let mut filter = Self {
            skip,
            common,
            common_mask: mask(skip as u8),
            bits,
            always: 0,
            entries: Entries::Plain(vec![0u32; 1 << bits].into_boxed_slice()),
            gated: 0,
            last_gated: false,
        };
        for (i, &len) in lens.iter().enumerate().take(128) {
            if probed & 1 << i == 0 {
                continue;
            }
            let start = entries.partition_point(|e| e.0 < len);
            let end = entries.partition_point(|e| e.0 <= len);
            filter.add_length(i, len, &entries[start..end]);
        }
        filter
    }

    /// Marks where the keys of `lengths[i]` (of length `len`) may be found.
    fn add_length(&mut self, i: usize, len: u8, keys: &[Entry]) {
        let bit = 1u32 << (i % 32);
        let len = u32::from(len);
        if len < self.skip || keys.iter().any(|e| !self.extends(e.1)) {
            self.always |= 1 << i;
            return;
        }
        let span = 1usize << self.bits.saturating_sub(len - self.skip);
        let Entries::Plain(masks) = &mut self.entries else {
            unreachable!("lengths are added before anchor bits")
        };
        for group in keys.chunk_by(|a, b| a.1 == b.1) {
            let first = ((group[0].1 << self.skip) >> (128 - self.bits)) as usize;
            for m in &mut masks[first..first + span] {
                *m |= bit;
            }
        }
    }

    /// This filter with anchor bits, if they pay: when the lengths past the
    /// index's bits pass at least once per address on average, and the
    /// anchor bits rule them out for at least three addresses in four.
    fn anchored(mut self, lens: &[u8], entries: &[Entry]) -> Option<Self> {
        let exact = self.skip + self.bits;
        let long = |len: u8| u32::from(len) > exact;
        self.gated = lens
            .iter()
            .take(128)
            .enumerate()
            .filter(|&(_, &len)| long(len))
            .fold(0u128, |acc, (i, _)| acc | 1 << i);
        self.last_gated = lens.get(128).is_some_and(|&len| long(len));
        let Entries::Plain(masks) = &self.entries else {
            return None;
        };
        if self.passed_total(masks, self.gated) < masks.len() as u64 {
            return None;
        }
        let mut anchored: Vec<u64> = masks.iter().map(|&m| u64::from(m)).collect();
        let keys = entries.iter().filter(|e| long(e.0) && self.extends(e.1));
        for &(len, key, _) in keys {
            let at = ((key << self.skip) >> (128 - self.bits - ANCHOR_BITS)) as usize;
            let span = 1u64 << (exact + ANCHOR_BITS).saturating_sub(u32::from(len));
            let bits = ((1u64 << span) - 1) << (at % 32);
            anchored[at >> ANCHOR_BITS] |= bits << 32;
        }
        let set: u64 = anchored
            .iter()
            .map(|e| u64::from((e >> 32).count_ones()))
            .sum();
        if set * 4 > anchored.len() as u64 * 32 {
            return None;
        }
        self.entries = Entries::Anchored(anchored.into_boxed_slice());
        Some(self)
    }

    /// Whether `key` (or an address) extends the common prefix.
    #[inline]
    fn extends(&self, key: u128) -> bool {
        key & self.common_mask == self.common
    }

    /// The lengths worth probing for `addr` (bit `i`: `lengths[i]`), and
    /// whether `lengths[128]` (if any: it has no bit) is.
    #[inline]
    pub(super) fn allowed(&self, addr: u128) -> (u128, bool) {
        if !self.extends(addr) {
            return (self.always, true);
        }
        let at = addr << self.skip;
        match &self.entries {
            Entries::Plain(masks) => {
                let m = masks[(at >> (128 - self.bits)) as usize];
                (expand(m) | self.always, true)
            }
            Entries::Anchored(entries) => {
                let j = (at >> (128 - self.bits - ANCHOR_BITS)) as usize;
                let entry = entries[j >> ANCHOR_BITS];
                let lengths = expand(entry as u32) | self.always;
                if entry >> 32 >> (j % 32) & 1 != 0 {
                    (lengths, true)
                } else {
                    (lengths & !self.gated, !self.last_gated)
                }
            }
        }
    }

    /// The lengths in `gated` that `masks` let through, summed over its
    /// entries (over `2^bits`, the mean for an address extending the
    /// common prefix).
    fn passed_total(&self, masks: &[u32], gated: u128) -> u64 {
        let always = (self.always & gated).count_ones();
        masks
            .iter()
            .map(|&m| u64::from((expand(m) & gated).count_ones() + always))
            .sum()
    }
}

/// An entry's bits as lengths: bit `i % 32` stands for every `lengths[i]`.
#[inline]
fn expand(entry: u32) -> u128 {
    let m = u128::from(entry);
    m | m << 32 | m << 64 | m << 96
}

/// The longest prefix shared by the keys of length 32 or more (at most 64
/// bits, so that the filter's bits follow it), and its value.
fn common_prefix(entries: &[Entry]) -> (u32, u128) {
    let mut long = entries.iter().filter(|e| e.0 >= 32).map(|e| e.1);
    let Some(first) = long.next() else {
        return (0, 0);
    };
    let differ = long.fold(0u128, |acc, key| acc | (key ^ first));
    let skip = differ.leading_zeros().min(64);
    (skip, first & mask(skip as u8))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Sorted entries for `keys` `(len, bits)`, IPv6-like (in `2000::/3`).
    fn entries(keys: &[(u8, u128)]) -> Vec<Entry> {
        let mut out: Vec<Entry> = keys
            .iter()
            .zip(0..)
            .map(|(&(len, bits), id)| (len, (bits >> 3 | 1 << 125) & mask(len), id))
            .collect();
        out.sort_unstable();
        out
    }

    /// Every length holding a key that contains `addr` is allowed.
    fn check(filter: &Filter, lens: &[u8], entries: &[Entry], addr: u128) {
        let (allowed, last) = filter.allowed(addr);
        for (i, &len) in lens.iter().enumerate() {
            let holds = entries
                .iter()
                .any(|e| e.0 == len && addr & mask(len) == e.1);
            let passes = if i < 128 { allowed & 1 << i != 0 } else { last };
            assert!(!holds || passes, "length {len} of {addr:x}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        /// With many long keys (the shape that gets a gate), the filter
        /// never rules out a length that holds a prefix of the address.
        #[test]
        fn filter_keeps_every_length_with_a_match(
            keys in prop::collection::vec((0u8..=128, any::<u128>()), 1000..2000),
            probes in prop::collection::vec((any::<usize>(), any::<u128>(), any::<bool>()), 200),
        ) {
            let entries = entries(&keys);
            let mut lens: Vec<u8> = entries.iter().map(|e| e.0).collect();
            lens.dedup();
            let filter = Filter::build(&lens, &entries, u128::MAX).expect("enough keys");
            prop_assert!(matches!(filter.entries, Entries::Anchored(_)), "long keys get anchor bits");
            for (pick, noise, inside) in probes {
                let addr = if inside {
                    // An address inside one key: that key's length must pass.
                    let (len, key, _) = entries[pick % entries.len()];
                    key | (noise & !mask(len))
                } else {
                    noise >> 3 | 1 << 125
                };
                check(&filter, &lens, &entries, addr);
            }
        }
    }
}
