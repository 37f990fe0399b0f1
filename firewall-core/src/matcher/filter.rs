//! The length filter of a level: which prefix lengths may hold a prefix of
//! an address, so that a lookup probes only those tables.
//!
//! Two parts, read one after the other:
//! - a direct index on the address bits after the keys' common prefix
//!   ([`Filter`]): exact for the lengths it spans, and for longer ones it
//!   names every length with a key starting with those bits;
//! - for levels whose long keys outnumber those entries (IPv6, whose
//!   lengths 32 to 128 share each entry and four lengths per bit), a one-bit
//!   gate ([`Anchor`]) on a hash of the address's top bits: when no long key
//!   starts with them, which is nearly always, all long lengths are skipped.

use super::key::{hash, mask};
use super::level::{Entry, FILTER_MIN_KEYS};

/// Which of the probed lengths (bit `i` = `lengths[i]`, for the first 128)
/// may hold a prefix of an address.
///
/// Keys usually share a common prefix (all of IPv6 unicast is in `2000::/3`;
/// a site's rules in its own `/32`): the filter is indexed by the `bits`
/// address bits that follow that `common` prefix of `skip` bits. Lengths
/// whose keys do not all extend the common prefix are always probed.
///
/// An entry is a `u32` whose bit `i % 32` stands for `lengths[i]`: the
/// lengths 13 to 32 of IPv4 (after the short index) never share a bit,
/// IPv6's up to 116 lengths share one four ways (a shared bit probes all
/// four). At the same memory as `u128` entries this gives four times the
/// entries, so four times fewer keys per entry to name lengths that hold no
/// prefix of the address.
#[derive(Debug)]
pub(super) struct Filter {
    skip: u32,
    common: u128,
    bits: u32,
    /// Lengths probed whatever the address.
    always: u128,
    masks: Box<[u32]>,
    anchor: Option<Anchor>,
    /// The length of `lengths[128]`, if there is one (all 129 of IPv6).
    last: Option<u8>,
}

impl Filter {
    /// A filter for the lengths in `probed` (of `lens`, the level's lengths
    /// in probe order) when there are enough lengths and keys to pay for
    /// one: `2^bits` entries of 4 bytes, one to two per key (at 1M rules,
    /// half as many entries cost 40% more instructions per lookup and twice
    /// as many would pass 100 bytes per rule).
    pub(super) fn build(lens: &[u8], entries: &[Entry], probed: u128) -> Option<Self> {
        if probed.count_ones() <= 4 || entries.len() < FILTER_MIN_KEYS {
            return None;
        }
        let bits = (entries.len().ilog2() + 1).min(22);
        let (skip, common) = common_prefix(entries);
        let mut filter = Self {
            skip,
            common,
            bits,
            always: 0,
            masks: vec![0u32; 1 << bits].into_boxed_slice(),
            anchor: None,
            last: lens.get(128).copied(),
        };
        for (i, &len) in lens.iter().enumerate().take(128) {
            if probed & 1 << i == 0 {
                continue;
            }
            let start = entries.partition_point(|e| e.0 < len);
            let end = entries.partition_point(|e| e.0 <= len);
            filter.add_length(i, len, &entries[start..end]);
        }
        filter.anchor = Anchor::build(lens, entries, probed, &filter);
        Some(filter)
    }

    /// Marks where the keys of `lengths[i]` (of length `len`) may be found.
    fn add_length(&mut self, i: usize, len: u8, keys: &[Entry]) {
        let bit = 1u32 << (i % 32);
        let len = u32::from(len);
        if len < self.skip
            || keys
                .iter()
                .any(|e| e.1 & mask(self.skip as u8) != self.common)
        {
            self.always |= 1 << i;
            return;
        }
        let span = 1usize << self.bits.saturating_sub(len - self.skip);
        for group in keys.chunk_by(|a, b| a.1 == b.1) {
            let first = self.index(group[0].1);
            for m in &mut self.masks[first..first + span] {
                *m |= bit;
            }
        }
    }

    /// The entry for an address that extends the common prefix.
    #[inline]
    fn index(&self, addr: u128) -> usize {
        ((addr << self.skip) >> (128 - self.bits)) as usize
    }

    /// The lengths worth probing for `addr` (bit `i`: `lengths[i]`), and
    /// whether `lengths[128]` (if any: it has no bit) is.
    #[inline]
    pub(super) fn allowed(&self, addr: u128) -> (u128, bool) {
        let lengths = if addr & mask(self.skip as u8) == self.common {
            expand(self.masks[self.index(addr)]) | self.always
        } else {
            self.always
        };
        match &self.anchor {
            Some(anchor) if !anchor.admits(addr) => {
                (lengths & !anchor.gated, self.last < Some(anchor.len))
            }
            _ => (lengths, true),
        }
    }

    /// The lengths in `gated` that the direct index lets through, summed
    /// over its entries (over `2^bits`, the mean for an address extending
    /// the common prefix).
    fn passed_total(&self, gated: u128) -> u64 {
        let always = (self.always & gated).count_ones();
        self.masks
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

/// A one-bit-per-slot set of the top `len` bits of the keys of `len` bits
/// or more (hashed), which gates the lengths in `gated`: an address whose
/// top bits are not in the set holds no key of those lengths.
///
/// Eight bits per key (rounded up to a power of two) let about one address
/// in eight through by collision; each costs one hash and one cache line.
#[derive(Debug)]
struct Anchor {
    len: u8,
    /// The probed lengths (bit `i` = `lengths[i]`) of at least `len` bits.
    gated: u128,
    /// `64 - log2(slot count)`: a hash's top bits pick its slot.
    shift: u32,
    words: Box<[u64]>,
}

/// A gate is built only when the direct index lets through at least one
/// gated length per this many addresses on average (each a wasted hash
/// probe, against one bit read for every address).
const ANCHOR_MIN_RATE: u64 = 2;

impl Anchor {
    /// A gate for `filter`'s level when one pays: for the shortest length
    /// `len` past the direct index's bits such that the keys of `len` bits
    /// or more fill at most 1/16 of the prefixes of that length that extend
    /// the common prefix.
    fn build(lens: &[u8], entries: &[Entry], probed: u128, filter: &Filter) -> Option<Self> {
        let exact = filter.skip + filter.bits;
        let mut candidates: Vec<u8> = lens
            .iter()
            .take(128)
            .copied()
            .filter(|&l| u32::from(l) > exact)
            .collect();
        candidates.sort_unstable();
        // Addresses that extend the common prefix vary only past it.
        let len = candidates.into_iter().find(|&len| {
            let count = entries.len() - entries.partition_point(|e| e.0 < len);
            let free = u32::from(len) - filter.skip;
            free >= 60 || (count as u64) << 4 <= 1u64 << free
        })?;
        let gated = lens
            .iter()
            .take(128)
            .enumerate()
            .filter(|&(i, &l)| l >= len && probed & 1 << i != 0)
            .fold(0u128, |acc, (i, _)| acc | 1 << i);
        if filter.passed_total(gated) * ANCHOR_MIN_RATE < filter.masks.len() as u64 {
            return None;
        }
        let keys = &entries[entries.partition_point(|e| e.0 < len)..];
        let slots_log2 = (keys.len().max(8).next_power_of_two().ilog2() + 3).min(40);
        let mut anchor = Self {
            len,
            gated,
            shift: 64 - slots_log2,
            words: vec![0u64; 1 << (slots_log2 - 6)].into_boxed_slice(),
        };
        for e in keys {
            let slot = anchor.slot(e.1);
            anchor.words[slot >> 6] |= 1 << (slot & 63);
        }
        Some(anchor)
    }

    /// The slot of the top `len` bits of `addr`.
    #[inline]
    fn slot(&self, addr: u128) -> usize {
        (hash(addr & mask(self.len)) >> self.shift) as usize
    }

    /// Whether a key of at least `len` bits may contain `addr`.
    #[inline]
    fn admits(&self, addr: u128) -> bool {
        let slot = self.slot(addr);
        self.words[slot >> 6] >> (slot & 63) & 1 != 0
    }
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
            prop_assert!(filter.anchor.is_some(), "long keys get a gate");
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
