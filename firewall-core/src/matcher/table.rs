//! One hash table per prefix length: masked key -> slot.
//!
//! A [`hashbrown::HashTable`] of `u32` slots: the table stores no keys. A
//! slot is a single rule id (high bit set), a sub-indexed group or a small
//! group; the key is read back from its first rule, so a table costs
//! 5 bytes per bucket (4-byte slot + 1 control byte), at a load factor
//! between 7/16 and 7/8 (power-of-two bucket counts). A miss, the common
//! case, ends at the first group of 16 control bytes holding an empty one,
//! and the 7-bit tag taken from the hash filters out almost every
//! non-matching slot before a rule is read.

use hashbrown::HashTable;

use super::key::hash;

/// A slot value with this bit set is a single rule id; else, with [`SUB`]
/// set, a sub-indexed group; else a group of rules sharing the prefix.
pub(super) const SINGLE: u32 = 1 << 31;
/// See [`SINGLE`].
pub(super) const SUB: u32 = 1 << 30;

/// A key -> slot table for one prefix length.
#[derive(Debug)]
pub(super) struct Table {
    slots: HashTable<u32>,
}

impl Table {
    /// A table of `entries` `(key, slot)` with distinct keys.
    pub(super) fn build(entries: &[(u128, u32)]) -> Self {
        // Sized for every entry up front, so the table never grows and never
        // rehashes (which would need a slot's key: found in `entries`).
        let mut slots = HashTable::with_capacity(entries.len());
        let rehash = |&slot: &u32| {
            entries
                .iter()
                .find(|e| e.1 == slot)
                .map_or(0, |e| table_hash(e.0))
        };
        for &(key, slot) in entries {
            slots.insert_unique(table_hash(key), slot, rehash);
        }
        Self { slots }
    }

    /// The slot holding `key`; `key_of(slot)` reads a slot's key back.
    #[inline]
    pub(super) fn find(&self, key: u128, key_of: impl Fn(u32) -> u128) -> Option<u32> {
        self.slots
            .find(table_hash(key), |&slot| key_of(slot) == key)
            .copied()
    }
}

/// The key's hash, its well-mixed high half first: hashbrown takes the
/// bucket from the low bits and the tag from the top seven.
#[inline]
fn table_hash(key: u128) -> u64 {
    hash(key).rotate_left(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key is found, and keys not in the table are not, at sizes
    /// around a control group and past several growth steps.
    #[test]
    fn finds_exactly_the_keys_it_holds() {
        for n in [0u32, 1, 6, 7, 8, 9, 15, 16, 17, 100, 1000] {
            let keys: Vec<u128> = (0..n)
                .map(|i| (u128::from(i) * 0x1_0000_0001) << 64)
                .collect();
            let entries: Vec<(u128, u32)> = keys.iter().copied().zip(0..).collect();
            let table = Table::build(&entries);
            let key_of = |slot: u32| keys[slot as usize];
            for (i, &key) in keys.iter().enumerate() {
                assert_eq!(table.find(key, key_of), Some(i as u32), "n {n}, key {i}");
            }
            for i in n..n + 500 {
                let absent = (u128::from(i) * 0x1_0000_0001) << 64;
                assert_eq!(table.find(absent, key_of), None, "n {n}, absent {i}");
            }
        }
    }
}
