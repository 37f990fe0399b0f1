//! The active bans, read on every request: a count checked first (no ban, no
//! lookup), then one hash lookup under a shard's read lock.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::info::BanInfo;
use crate::limit::ClientKey;

/// Read locks on one shard would make every core bounce one cache line.
const SHARDS: usize = 16;

type Shard = HashMap<ClientKey, BanInfo>;

#[derive(Debug)]
pub(crate) struct ActiveBans {
    shards: Box<[RwLock<Shard>]>,
    pick: foldhash::fast::RandomState,
    count: AtomicUsize,
    /// The earliest `until` of any ban (`u64::MAX`: none): `expire` does
    /// nothing before it.
    next_expiry: AtomicU64,
    /// Bans past their time that a new ban replaced before `expire` saw
    /// them: `expire` still reports them, so every BAN gets its UNBAN.
    replaced: Mutex<Vec<BanInfo>>,
}

impl Default for ActiveBans {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| RwLock::new(HashMap::with_hasher(RandomState::new())))
                .collect(),
            pick: foldhash::fast::RandomState::default(),
            count: AtomicUsize::new(0),
            next_expiry: AtomicU64::new(u64::MAX),
            replaced: Mutex::new(Vec::new()),
        }
    }
}

impl ActiveBans {
    fn index(&self, key: &ClientKey) -> usize {
        (self.pick.hash_one(key) >> 32) as usize % SHARDS
    }

    fn read(&self, key: &ClientKey) -> RwLockReadGuard<'_, Shard> {
        self.shards[self.index(key)]
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write_at(&self, index: usize) -> RwLockWriteGuard<'_, Shard> {
        self.shards[index]
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether any ban is stored (expired or not): one atomic load.
    pub(crate) fn is_empty(&self) -> bool {
        self.count.load(Ordering::Acquire) == 0
    }

    /// The ban on `key` in force at the time `now()` reads (the clock is
    /// read only on a hit).
    pub(crate) fn get(&self, key: &ClientKey, now: impl FnOnce() -> u64) -> Option<BanInfo> {
        if self.is_empty() {
            return None;
        }
        let shard = self.read(key);
        let ban = shard.get(key)?;
        (ban.until > now()).then(|| ban.clone())
    }

    /// Stores `ban` (made at `ban.since`), replacing any ban on the same key.
    /// A replaced ban already past its time is kept for `expire` to report.
    pub(crate) fn insert(&self, ban: BanInfo) {
        let (until, now) = (ban.until, ban.since);
        let old = self
            .write_at(self.index(&ban.key))
            .insert(ban.key.clone(), ban);
        match old {
            None => {
                self.count.fetch_add(1, Ordering::AcqRel);
            }
            Some(old) if old.until <= now => {
                self.next_expiry.fetch_min(old.until, Ordering::AcqRel);
                self.replaced
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(old);
            }
            Some(_) => {}
        }
        // After the insert, so that a sweep running now cannot lose it.
        self.next_expiry.fetch_min(until, Ordering::AcqRel);
    }

    /// Removes the ban on `key`.
    pub(crate) fn remove(&self, key: &ClientKey) -> Option<BanInfo> {
        let old = self.write_at(self.index(key)).remove(key);
        if old.is_some() {
            self.count.fetch_sub(1, Ordering::AcqRel);
        }
        old
    }

    /// Removes and returns the bans whose time is up at `now`; one atomic
    /// load when none is due.
    pub(crate) fn expire(&self, now: u64) -> Vec<BanInfo> {
        if self.next_expiry.load(Ordering::Acquire) > now {
            return Vec::new();
        }
        // Reset first: an insert from here on lowers it again itself.
        self.next_expiry.store(u64::MAX, Ordering::Release);
        let mut ended =
            std::mem::take(&mut *self.replaced.lock().unwrap_or_else(PoisonError::into_inner));
        let replaced = ended.len();
        for index in 0..SHARDS {
            let mut shard = self.write_at(index);
            let mut earliest = u64::MAX;
            shard.retain(|_, ban| {
                if ban.until <= now {
                    ended.push(ban.clone());
                    false
                } else {
                    earliest = earliest.min(ban.until);
                    true
                }
            });
            self.next_expiry.fetch_min(earliest, Ordering::AcqRel);
        }
        self.count
            .fetch_sub(ended.len() - replaced, Ordering::AcqRel);
        ended.sort_by_key(|ban| ban.until);
        ended
    }

    /// The bans in force at `now`, oldest first.
    pub(crate) fn list(&self, now: u64) -> Vec<BanInfo> {
        let mut all: Vec<BanInfo> = self
            .shards
            .iter()
            .flat_map(|s| {
                let shard = s.read().unwrap_or_else(PoisonError::into_inner);
                shard
                    .values()
                    .filter(|ban| ban.until > now)
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .collect();
        all.sort_by(|a, b| (a.since, &a.key).cmp(&(b.since, &b.key)));
        all
    }

    /// Bans stored (some may be past their time until the next `expire`).
    pub(crate) fn len(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }
}
