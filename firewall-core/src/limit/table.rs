//! The bounded, sharded table of key -> stored instant (a GCRA TAT).
//!
//! Each shard is a `Mutex` over a hashbrown [`HashTable`]. A key is hashed
//! once per update, with `SipHash` under a random key (so clients cannot
//! aim collisions at it): the hash's middle bits pick the shard, and the
//! same hash probes the shard's table. An update holds its shard's lock from
//! read to write, which makes every decision exact under any number of
//! threads.
//!
//! Memory is bounded by `max_keys`: when a shard is full, the keys whose
//! instant is already past go first (they are at full quota, so forgetting
//! them changes no answer); if that frees less than an eighth of the shard,
//! the keys with the earliest instants go until an eighth is free. Those are
//! the keys nearest to full quota, so forgetting them gives away the least;
//! a flood of new addresses (one request each) mostly evicts itself. The
//! sweep costs one pass over the shard and runs at most once per eighth of a
//! shard's inserts: amortised O(1) per insert.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard, PoisonError};

use hashbrown::hash_table::{Entry, HashTable};

use super::key::ClientKey;

/// Upper bound on the number of shards.
const MAX_SHARDS: usize = 64;
/// Keys per shard below which fewer shards are used.
const MIN_KEYS_PER_SHARD: usize = 1_024;

/// One key and its stored instant.
type Slot = (ClientKey, u64);

#[derive(Debug)]
pub(crate) struct KeyTable {
    shards: Box<[Mutex<HashTable<Slot>>]>,
    /// Hashes every key once: shard and probe (`SipHash`, random key).
    hasher: RandomState,
    shard_cap: usize,
}

impl KeyTable {
    /// A table holding at most `max_keys` keys (rounded up to a multiple of
    /// the shard count). `max_keys` must be at least 1.
    pub(crate) fn new(max_keys: usize) -> Self {
        let max_keys = max_keys.max(1);
        let shards = (max_keys / MIN_KEYS_PER_SHARD)
            .clamp(1, MAX_SHARDS)
            .next_power_of_two()
            .min(MAX_SHARDS);
        let shard_cap = max_keys.div_ceil(shards);
        let shards = (0..shards).map(|_| Mutex::new(HashTable::new())).collect();
        Self {
            shards,
            hasher: RandomState::new(),
            shard_cap,
        }
    }

    /// The key's hash and its shard, locked. hashbrown probes with the low
    /// bits and tags with the top 7; bits 32.. pick among at most 64 shards,
    /// so the three never overlap below 2^32 buckets a shard.
    fn shard(&self, key: &ClientKey) -> (u64, MutexGuard<'_, HashTable<Slot>>) {
        let hash = self.hasher.hash_one(key);
        let index = (hash >> 32) as usize & (self.shards.len() - 1);
        let shard = self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        (hash, shard)
    }

    /// Runs `step` on the key's stored instant (0 when absent) under its
    /// shard's lock, and stores what it returns, if anything. Returns what
    /// `step` decided.
    pub(crate) fn update<D>(
        &self,
        key: &ClientKey,
        now: u64,
        step: impl FnOnce(u64) -> (D, Option<u64>),
    ) -> D {
        let (hash, mut shard) = self.shard(key);
        if let Some((_, stored)) = shard.find_mut(hash, |(k, _)| k == key) {
            let (decision, next) = step(*stored);
            if let Some(next) = next {
                *stored = next;
            }
            return decision;
        }
        let (decision, next) = step(0);
        if let Some(next) = next {
            if shard.len() >= self.shard_cap {
                self.make_room(&mut shard, now);
            }
            let rehash = |(k, _): &Slot| self.hasher.hash_one(k);
            if let Entry::Vacant(slot) = shard.entry(hash, |(k, _)| k == key, rehash) {
                slot.insert((key.clone(), next));
            }
        }
        decision
    }

    /// The stored instant of `key`, if any.
    pub(crate) fn get(&self, key: &ClientKey) -> Option<u64> {
        let (hash, shard) = self.shard(key);
        shard.find(hash, |(k, _)| k == key).map(|(_, tat)| *tat)
    }

    /// Drops every key whose instant is at or before `now` (they are at full
    /// quota), returns how many went, and gives memory back when a shard is
    /// mostly empty.
    pub(crate) fn evict_idle(&self, now: u64) -> usize {
        let mut gone = 0;
        for shard in &*self.shards {
            let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            let before = shard.len();
            shard.retain(|(_, tat)| *tat > now);
            gone += before - shard.len();
            if shard.len() < shard.capacity() / 4 {
                shard.shrink_to_fit(|(k, _)| self.hasher.hash_one(k));
            }
        }
        gone
    }

    /// Keys stored.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    /// The most keys the table holds.
    pub(crate) fn capacity(&self) -> usize {
        self.shard_cap * self.shards.len()
    }

    /// Frees at least an eighth of a full shard (at least one key): first
    /// the keys at full quota, then those with the earliest instants. Then
    /// moves what is left to a fresh table sized for the cap: removals leave
    /// tombstones that hashbrown does not count as free, and the next
    /// inserts would otherwise double a table that is only 7/8 full.
    fn make_room(&self, shard: &mut HashTable<Slot>, now: u64) {
        let cap = self.shard_cap;
        shard.retain(|(_, tat)| *tat > now);
        let target = cap - (cap / 8).max(1);
        if shard.len() > target {
            let mut instants: Vec<u64> = shard.iter().map(|(_, tat)| *tat).collect();
            let mut keep = cut_earliest(&mut instants, shard.len() - target);
            shard.retain(|(_, tat)| keep(*tat));
        }
        let hash = |(k, _): &Slot| self.hasher.hash_one(k);
        let mut fresh = HashTable::with_capacity(cap);
        for slot in std::mem::take(shard) {
            fresh.insert_unique(hash(&slot), slot, hash);
        }
        *shard = fresh;
    }
}

/// Drops the entries with the earliest `instant` until `target` are left
/// (exactly, ties broken arbitrarily). One pass to find the cut
/// (`select_nth_unstable`), one to drop.
pub(crate) fn drop_earliest<K, V, S>(
    map: &mut HashMap<K, V, S>,
    target: usize,
    instant: impl Fn(&V) -> u64,
) {
    if map.len() <= target {
        return;
    }
    let mut instants: Vec<u64> = map.values().map(&instant).collect();
    let mut keep = cut_earliest(&mut instants, map.len() - target);
    map.retain(|_, v| keep(instant(v)));
}

/// Of `instants`, which to keep so that exactly `excess` of the earliest
/// go: a predicate to call once per entry, in any order. `excess` must be
/// at least 1 and at most `instants.len()`.
fn cut_earliest(instants: &mut [u64], excess: usize) -> impl FnMut(u64) -> bool {
    let (_, &mut cut, _) = instants.select_nth_unstable(excess - 1);
    // Every entry strictly before the cut goes, then entries at the cut
    // until `excess` went (ties are common when a flood shares one instant).
    let below = instants.iter().filter(|&&t| t < cut).count();
    let mut at_cut = excess - below;
    move |t| {
        if t < cut {
            false
        } else if t == cut && at_cut > 0 {
            at_cut -= 1;
            false
        } else {
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    use crate::limit::KeyPrefixes;

    fn key(n: u32) -> ClientKey {
        ClientKey::from_ip(IpAddr::V4(Ipv4Addr::from(n)), KeyPrefixes::default())
    }

    fn put(table: &KeyTable, n: u32, tat: u64, now: u64) {
        table.update(&key(n), now, |_| ((), Some(tat)));
    }

    #[test]
    fn a_flood_never_grows_past_the_cap() {
        let table = KeyTable::new(1_000);
        for n in 0..50_000 {
            put(&table, n, 10, 0);
            assert!(table.len() <= table.capacity());
        }
        assert_eq!(table.capacity(), 1_000);
    }

    #[test]
    fn evictions_never_grow_a_full_table() {
        // 16 shards of 896 keys: tables of 1,024 buckets, filled to 7/8.
        let table = KeyTable::new(14_336);
        assert_eq!((table.shards.len(), table.shard_cap), (16, 896));
        for n in 0..100_000 {
            put(&table, n, 10, 0);
        }
        for shard in &*table.shards {
            let capacity = shard.lock().unwrap().capacity();
            assert_eq!(capacity, 896, "a table doubled");
        }
    }

    #[test]
    fn idle_keys_go_first_and_lose_nothing() {
        let table = KeyTable::new(8);
        for n in 0..4 {
            put(&table, n, 100, 0); // idle after t = 100
        }
        for n in 4..8 {
            put(&table, n, 1_000, 0);
        }
        put(&table, 8, 1_000, 500); // full at t = 500: the idle four go
        assert_eq!(table.len(), 5);
        for n in 4..9 {
            assert_eq!(table.get(&key(n)), Some(1_000));
        }
        assert_eq!(table.get(&key(0)), None);
    }

    #[test]
    fn when_none_is_idle_the_nearest_to_full_quota_go() {
        let table = KeyTable::new(8);
        for n in 0..8 {
            put(&table, n, 1_000 + u64::from(n), 0);
        }
        put(&table, 100, 5_000, 0);
        // An eighth (1 key) freed: the one with the earliest instant.
        assert_eq!(table.len(), 8);
        assert_eq!(table.get(&key(0)), None);
        assert_eq!(table.get(&key(1)), Some(1_001));
        assert_eq!(table.get(&key(100)), Some(5_000));
    }

    #[test]
    fn ties_at_the_cut_free_exactly_an_eighth() {
        let table = KeyTable::new(16);
        for n in 0..16 {
            put(&table, n, 1_000, 0);
        }
        put(&table, 100, 1_000, 0);
        assert_eq!(table.len(), 16 - 2 + 1);
    }

    #[test]
    fn evict_idle_keeps_only_keys_still_limited() {
        let table = KeyTable::new(100);
        put(&table, 1, 10, 0);
        put(&table, 2, 20, 0);
        assert_eq!(table.evict_idle(10), 1);
        assert_eq!((table.get(&key(1)), table.get(&key(2))), (None, Some(20)));
    }

    #[test]
    fn a_refusal_stores_nothing() {
        let table = KeyTable::new(100);
        table.update(&key(1), 0, |_| ((), None));
        assert_eq!(table.len(), 0);
    }
}
