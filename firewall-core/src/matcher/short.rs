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

/// Prefix lengths up to this are indexed here rather than by hash table.
pub(super) const SHORT_BITS: u8 = 12;

/// Slots of the short prefixes covering each top-bits value.
#[derive(Debug)]
pub(super) struct ShortIndex {
    /// The list for value `v` is `slots[starts[v]..starts[v + 1]]`, by
    /// ascending lowest rule id (`mins`, in step), so that a lookup can
    /// interleave it with the hash probes and stop at the best match so far.
    starts: Box<[u32]>,
    slots: Box<[u32]>,
    mins: Box<[u32]>,
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
        let (mut slots, mut mins) = (Vec::new(), Vec::new());
        starts.push(0);
        for mut list in lists {
            list.sort_unstable();
            mins.extend(list.iter().map(|e| e.0));
            slots.extend(list.iter().map(|e| e.1));
            starts.push(slots.len() as u32);
        }
        Self {
            starts: starts.into_boxed_slice(),
            slots: slots.into_boxed_slice(),
            mins: mins.into_boxed_slice(),
        }
    }

    /// The slots of the short prefixes that contain `addr`, and their
    /// lowest rule ids (ascending).
    #[inline]
    pub(super) fn covering(&self, addr: u128) -> (&[u32], &[u32]) {
        let v = top(addr);
        let range = self.starts[v] as usize..self.starts[v + 1] as usize;
        (&self.slots[range.clone()], &self.mins[range])
    }
}

#[inline]
fn top(addr: u128) -> usize {
    (addr >> (128 - u32::from(SHORT_BITS))) as usize
}
