//! Each client's recent strikes and past offences, to decide when it is
//! banned and for how long.
//!
//! A record keeps the instants of the strikes still inside the window (at
//! most `strikes - 1` of them, 8 bytes each, the kind in the two low bits),
//! so "N strikes within the window" is exact, not an approximation. Records
//! are capped: when full, records with nothing in the window and no offence
//! to remember go first, then the least recently struck.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::policy::{BanPolicy, StrikeKind};
use crate::limit::{drop_earliest, short_duration, ClientKey};

/// What a strike led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// E.g. `20 WAF drops in 60s`.
    pub(crate) reason: String,
    /// 1 for a first ban, then 2, 3... within the repeat memory.
    pub(crate) offence: u32,
    /// How long this ban lasts.
    pub(crate) duration: Duration,
}

#[derive(Debug, Default)]
struct Record {
    /// Strike instants inside the window, oldest first, kind in the low bits.
    stamps: VecDeque<u64>,
    offences: u32,
    /// When the last ban ends (0: never banned).
    last_ban_end: u64,
    last_seen: u64,
}

#[derive(Debug)]
pub(crate) struct Strikes {
    records: Mutex<HashMap<ClientKey, Record, RandomState>>,
}

impl Default for Strikes {
    fn default() -> Self {
        Self {
            records: Mutex::new(HashMap::with_hasher(RandomState::new())),
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Strikes {
    /// Counts a strike of `kind` by `key` at `now`; returns the ban it earns,
    /// if this strike is the policy's Nth within the window.
    pub(crate) fn strike(
        &self,
        key: &ClientKey,
        kind: StrikeKind,
        now: u64,
        policy: &BanPolicy,
    ) -> Option<Verdict> {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        let cap = policy.max_tracked_value();
        if !records.contains_key(key) && records.len() >= cap {
            make_room(&mut records, now, policy);
        }
        let record = records.entry(key.clone()).or_default();
        let window = nanos(policy.window());
        while record
            .stamps
            .front()
            .is_some_and(|&s| now.saturating_sub(s & !3) >= window)
        {
            record.stamps.pop_front();
        }
        record.stamps.push_back((now & !3) | kind.index() as u64);
        record.last_seen = now;
        if record.stamps.len() < policy.strikes() as usize {
            return None;
        }
        let reason = describe(&record.stamps, policy.window());
        record.stamps = VecDeque::new();
        if record
            .last_ban_end
            .saturating_add(nanos(policy.repeat_memory_value()))
            <= now
        {
            record.offences = 0;
        }
        record.offences = record.offences.saturating_add(1);
        let duration = policy.ban_duration(record.offences);
        record.last_ban_end = now.saturating_add(nanos(duration));
        Some(Verdict {
            reason,
            offence: record.offences,
            duration,
        })
    }

    /// Forgets `key`'s strikes in the window (after a manual unban), keeping
    /// its offences.
    pub(crate) fn clear(&self, key: &ClientKey) {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(record) = records.get_mut(key) {
            record.stamps = VecDeque::new();
        }
    }

    /// Clients tracked.
    pub(crate) fn len(&self) -> usize {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// `20 WAF drops in 60s`, or for mixed kinds
/// `20 strikes in 60s (12 WAF drops, 8 rate-limit refusals)`.
fn describe(stamps: &VecDeque<u64>, window: Duration) -> String {
    let mut counts = [0usize; 3];
    for &s in stamps {
        counts[StrikeKind::from_index(s & 3).index()] += 1;
    }
    let window = short_duration(window);
    let kinds: Vec<String> = StrikeKind::ALL
        .iter()
        .filter(|k| counts[k.index()] > 0)
        .map(|k| k.describe(counts[k.index()]))
        .collect();
    if let [only] = kinds.as_slice() {
        format!("{only} in {window}")
    } else {
        format!(
            "{} strikes in {window} ({})",
            stamps.len(),
            kinds.join(", ")
        )
    }
}

/// Frees an eighth of the records: first those with no strike in the window
/// and no offence to remember, then the least recently struck.
fn make_room(records: &mut HashMap<ClientKey, Record, RandomState>, now: u64, policy: &BanPolicy) {
    let window = nanos(policy.window());
    let memory = nanos(policy.repeat_memory_value());
    records.retain(|_, r| {
        now.saturating_sub(r.last_seen) < window
            || (r.offences > 0 && r.last_ban_end.saturating_add(memory) > now)
    });
    let cap = policy.max_tracked_value();
    drop_earliest(records, cap - (cap / 8).max(1), |r| r.last_seen);
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn policy(n: u32) -> BanPolicy {
        BanPolicy::new(n, Duration::from_secs(60), Duration::from_secs(600)).unwrap()
    }

    #[test]
    fn the_nth_strike_in_the_window_bans_and_names_the_kinds() {
        let (s, p, k) = (Strikes::default(), policy(3), ClientKey::custom("c"));
        assert_eq!(s.strike(&k, StrikeKind::WafDrop, 0, &p), None);
        assert_eq!(s.strike(&k, StrikeKind::WafDrop, S, &p), None);
        let v = s.strike(&k, StrikeKind::WafDrop, 2 * S, &p).unwrap();
        assert_eq!(v.reason, "3 WAF drops in 60s");
        assert_eq!((v.offence, v.duration), (1, Duration::from_secs(600)));
    }

    #[test]
    fn strikes_older_than_the_window_do_not_count() {
        let (s, p, k) = (Strikes::default(), policy(3), ClientKey::custom("c"));
        s.strike(&k, StrikeKind::AclDrop, 0, &p);
        s.strike(&k, StrikeKind::AclDrop, 30 * S, &p);
        // The first is exactly 60 s old: out of the window.
        assert_eq!(s.strike(&k, StrikeKind::AclDrop, 60 * S, &p), None);
        let v = s.strike(&k, StrikeKind::RateLimited, 61 * S, &p).unwrap();
        assert_eq!(
            v.reason,
            "3 strikes in 60s (2 ACL drops, 1 rate-limit refusal)"
        );
    }

    #[test]
    fn a_repeat_offender_is_banned_longer_until_forgotten() {
        let (s, p, k) = (Strikes::default(), policy(1), ClientKey::custom("c"));
        let p = p.repeat_memory(Duration::from_secs(3_600));
        let first = s.strike(&k, StrikeKind::WafDrop, 0, &p).unwrap();
        let second = s.strike(&k, StrikeKind::WafDrop, 700 * S, &p).unwrap();
        assert_eq!((first.offence, second.offence), (1, 2));
        assert_eq!(second.duration, Duration::from_secs(1_200));
        // The second ban ends at 1,900 s; an hour after that it is forgotten.
        let fresh = s.strike(&k, StrikeKind::WafDrop, 5_500 * S, &p).unwrap();
        assert_eq!(
            (fresh.offence, fresh.duration),
            (1, Duration::from_secs(600))
        );
    }

    #[test]
    fn the_tracked_clients_stay_under_the_cap() {
        let s = Strikes::default();
        let p = policy(5).max_tracked(100);
        for n in 0..10_000 {
            s.strike(
                &ClientKey::custom(n.to_string()),
                StrikeKind::WafDrop,
                n,
                &p,
            );
            assert!(s.len() <= 100);
        }
    }
}
