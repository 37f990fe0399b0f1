//! One open-addressed hash table per prefix length: masked key -> slot.
//!
//! The table stores no keys. A slot is a `u32`: a single rule id (high bit
//! set) or a group index; the key is read back from that rule, so a table
//! costs about 6.25 bytes per distinct prefix (4-byte slot + 1-byte tag at a
//! load factor of 4/5). Probing is linear over the tag bytes, so even the
//! long probe runs of that load factor stay within a cache line or two, and a
//! one-byte tag taken from the hash filters out almost every non-matching
//! slot before a rule is read.

use super::key::hash;

/// A slot value: a single rule, or a group of rules sharing the prefix.
pub(super) const SINGLE: u32 = 1 << 31;

/// A key -> slot table for one prefix length.
#[derive(Debug)]
pub(super) struct Table {
    tags: Box<[u8]>,
    slots: Box<[u32]>,
}

impl Table {
    /// A table of `entries` `(key, slot)` with distinct keys.
    pub(super) fn build(entries: &[(u128, u32)]) -> Self {
        let cap = (entries.len() * 5 / 4).max(entries.len() + 1);
        let mut tags = vec![0u8; cap].into_boxed_slice();
        let mut slots = vec![0u32; cap].into_boxed_slice();
        for &(key, slot) in entries {
            let (mut i, tag) = position(key, cap);
            while tags[i] != 0 {
                i = if i + 1 == cap { 0 } else { i + 1 };
            }
            tags[i] = tag;
            slots[i] = slot;
        }
        Self { tags, slots }
    }

    /// The slot holding `key`; `key_of(slot)` reads a slot's key back.
    #[inline]
    pub(super) fn find(&self, key: u128, key_of: impl Fn(u32) -> u128) -> Option<u32> {
        let cap = self.tags.len();
        let (mut i, tag) = position(key, cap);
        loop {
            let t = self.tags[i];
            if t == 0 {
                return None;
            }
            if t == tag && key_of(self.slots[i]) == key {
                return Some(self.slots[i]);
            }
            i = if i + 1 == cap { 0 } else { i + 1 };
        }
    }
}

/// The first probe position (multiply-shift range reduction) and the tag (never 0).
#[inline]
fn position(key: u128, cap: usize) -> (usize, u8) {
    let h = hash(key);
    let i = ((u128::from(h >> 32) * cap as u128) >> 32) as usize;
    (i, (h as u8).max(1))
}
