//! The head values (path, method, query, headers, cookies) each worker
//! thread found clean lately, so that the next request carrying the same
//! one skips it: a client sends the same user agent, `Accept` headers and
//! cookies with every request, and scanning them again would give the same
//! answer. Body values are never remembered: they rarely repeat in real
//! traffic, and remembering them would let a load test that repeats one
//! body measure the memo instead of the WAF.
//!
//! Why skipping is exact: which signatures match a value depends only on
//! its text and on the classes of its location (which signatures apply
//! there), and both are the key; a value is remembered only after a scan
//! found no signature that applies there matching it (a match across two
//! values or under a location it does not apply to is not one); keys are
//! compared whole (the hash, keyed per process, only picks the slot).
//! The entries belong to one compiled signature set: a new configuration
//! starts from an empty memo. A long value is not remembered, and a memo
//! that took in its share of values is emptied, so each thread holds at
//! most a few hundred kilobytes.
//!
//! The table is direct-mapped: a value has one slot, picked by its hash,
//! and a new value takes the slot of the one there before (which is
//! scanned again when it comes back). A lookup is one slot read and one
//! comparison of the text, where a hash map's probing cost twice as much.

use std::cell::RefCell;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use smallvec::SmallVec;

use crate::waf::target::{Target, Targets};

/// Values longer than this many bytes are not remembered.
const VALUE_MAX: usize = 256;

/// Values a thread takes in before it empties its memo.
const ENTRIES_MAX: usize = 1024;

/// Slots of the table (a power of two): twice the values it takes in, so
/// that few of them meet in one slot.
const SLOTS: usize = 2 * ENTRIES_MAX;

/// Location classes one value is remembered under, at most.
const CLASSES_MAX: usize = 4;

/// The identity of one compiled signature set, which owns the memo's
/// entries: a thread's memo filled under another owner is emptied first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemoOwner(u64);

impl MemoOwner {
    /// A new identity, never given before in this process.
    pub(crate) fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// One slot: the hash and text (where it is in [`CleanValues::texts`]) of
/// the value it holds, and the location classes that value was found
/// clean under; `count == 0` for an empty slot.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    hash: u64,
    start: u32,
    len: u16,
    count: u8,
    classes: [Targets; CLASSES_MAX],
}

impl Entry {
    fn clean_under(&self, classes: Targets) -> bool {
        self.classes[..usize::from(self.count)].contains(&classes)
    }
}

/// One thread's clean values, in the slots their hashes (keyed per
/// process, so no one can aim at a slot) pick. All texts live in one
/// string: remembering a value allocates nothing once the string has grown.
#[derive(Debug, Default)]
struct CleanValues {
    owner: Option<MemoOwner>,
    /// [`SLOTS`] entries once a value was remembered, none before.
    slots: Vec<Entry>,
    /// Values taken in since the memo was last emptied.
    taken: usize,
    texts: String,
    hashes: foldhash::fast::RandomState,
}

impl CleanValues {
    /// The hash of `value`, keyed per process: its bytes alone (the
    /// hasher folds their length in), without the end mark `str`'s `Hash`
    /// adds, which cost a second round of mixing.
    fn hash(&self, value: &str) -> u64 {
        let mut hasher = self.hashes.build_hasher();
        hasher.write(value.as_bytes());
        hasher.finish()
    }

    /// The entry holding exactly `value`.
    fn get(&self, hash: u64, value: &str) -> Option<&Entry> {
        let entry = self.slots.get(slot_of(hash))?;
        let start = entry.start as usize;
        let text = self
            .texts
            .as_bytes()
            .get(start..start + usize::from(entry.len));
        (entry.count > 0 && entry.hash == hash && text == Some(value.as_bytes())).then_some(entry)
    }

    fn insert(&mut self, hash: u64, value: &str, classes: Targets) {
        if let Some(&entry) = self.get(hash, value) {
            if !entry.clean_under(classes) && usize::from(entry.count) < CLASSES_MAX {
                let mut entry = entry;
                entry.classes[usize::from(entry.count)] = classes;
                entry.count += 1;
                self.slots[slot_of(hash)] = entry;
            }
            return;
        }
        // The texts are bounded too: a value that gives way below leaves
        // its text behind.
        if self.taken >= ENTRIES_MAX || self.texts.len() + value.len() > ENTRIES_MAX * VALUE_MAX {
            self.empty();
        }
        if self.slots.is_empty() {
            self.slots = vec![Entry::default(); SLOTS];
        }
        // Both fit: a value is at most VALUE_MAX bytes, the texts at most
        // ENTRIES_MAX * VALUE_MAX.
        let (Ok(start), Ok(len)) = (u32::try_from(self.texts.len()), u16::try_from(value.len()))
        else {
            return;
        };
        self.texts.push_str(value);
        self.taken += 1;
        let mut entry = Entry {
            hash,
            start,
            len,
            count: 1,
            classes: [Targets::default(); CLASSES_MAX],
        };
        entry.classes[0] = classes;
        // Another value in the same slot gives way (and is scanned again
        // when it comes back).
        self.slots[slot_of(hash)] = entry;
    }

    fn empty(&mut self) {
        self.slots.fill(Entry::default());
        self.texts.clear();
        self.taken = 0;
    }
}

/// The slot a hash picks.
fn slot_of(hash: u64) -> usize {
    // The high bits: foldhash mixes them best.
    (hash >> (64 - SLOTS.trailing_zeros())) as usize
}

thread_local! {
    static CLEAN: RefCell<CleanValues> = RefCell::new(CleanValues::default());
}

#[cfg(test)]
thread_local! {
    /// Tests turn the memo off to get the reports without it.
    pub(in crate::waf) static ON: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
    /// How many values the memo let this thread skip.
    pub(in crate::waf) static SKIPPED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Whether the memo is used (always, but in the tests that turn it off).
fn on() -> bool {
    #[cfg(test)]
    {
        ON.with(std::cell::Cell::get)
    }
    #[cfg(not(test))]
    {
        true
    }
}

/// What this thread's memo knows of one scan's targets: which ones were
/// found clean before (and need no scan). A value's key (its hash and
/// location classes) is worked out again to remember it: in a repeated
/// head, where most values are known, keeping every key cost more than
/// the few values to remember.
#[derive(Debug)]
pub(crate) struct MemoProbe {
    owner: MemoOwner,
    /// Bit `i % 64` of word `i / 64`: whether target `i` is known.
    known: SmallVec<[u64; WORDS]>,
    /// How many targets were looked up (none when the thread's memo was
    /// being torn down).
    looked: usize,
    /// How many of them are known.
    count: usize,
}

/// Words of known bits a probe holds without allocating: 128 targets, where
/// a browser's head has about 25 values.
const WORDS: usize = 2;

impl MemoProbe {
    /// Looks up `targets` in this thread's memo of the signatures of `owner`.
    pub(crate) fn new(owner: MemoOwner, targets: &[Target<'_>]) -> Self {
        let mut probe = Self {
            owner,
            known: smallvec::smallvec![0; targets.len().div_ceil(64)],
            looked: 0,
            count: 0,
        };
        let looked = CLEAN.try_with(|clean| {
            let clean = clean.borrow();
            if !(on() && clean.owner == Some(owner) && clean.taken > 0) {
                return;
            }
            // Each target hashed and looked up in one pass.
            for (index, t) in targets.iter().enumerate() {
                let known = t.value.len() <= VALUE_MAX
                    && clean
                        .get(clean.hash(&t.value), &t.value)
                        .is_some_and(|e| e.clean_under(t.location.classes()));
                if let Some(word) = probe.known.get_mut(index / 64) {
                    *word |= u64::from(known) << (index % 64);
                }
                probe.count += usize::from(known);
            }
        });
        // A thread being torn down remembers nothing.
        match looked {
            Ok(()) => probe.looked = targets.len(),
            Err(_) => probe.count = 0,
        }
        #[cfg(test)]
        SKIPPED.with(|n| n.set(n.get() + probe.count));
        probe
    }

    /// Whether all of the `count` targets were found clean before: the scan
    /// has nothing to do.
    pub(crate) fn knows_all(&self, count: usize) -> bool {
        self.looked == count && self.count == count
    }

    /// Whether target `index` was found clean before: it needs no scan.
    pub(crate) fn known(&self, index: usize) -> bool {
        index < self.looked
            && self
                .known
                .get(index / 64)
                .is_some_and(|word| word & (1 << (index % 64)) != 0)
    }

    /// Remembers the values of `targets` (those this probe looked up) that
    /// `clean(index)` says their scan found clean.
    pub(crate) fn remember(&self, targets: &[Target<'_>], clean: impl Fn(usize) -> bool) {
        if !on() {
            return;
        }
        let _ = CLEAN.try_with(|memo| {
            let mut memo = memo.borrow_mut();
            if memo.owner != Some(self.owner) {
                memo.empty();
                memo.owner = Some(self.owner);
            }
            for (index, target) in targets.iter().enumerate().take(self.looked) {
                if target.value.len() <= VALUE_MAX && !self.known(index) && clean(index) {
                    let hash = memo.hash(&target.value);
                    memo.insert(hash, &target.value, target.location.classes());
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waf::Location;

    fn target(location: Location<'static>, value: &'static str) -> Target<'static> {
        Target {
            location,
            value: value.into(),
        }
    }

    fn known(owner: MemoOwner, targets: &[Target<'_>]) -> Vec<bool> {
        let probe = MemoProbe::new(owner, targets);
        (0..targets.len()).map(|i| probe.known(i)).collect()
    }

    #[test]
    fn a_value_is_known_clean_under_the_classes_it_was_scanned_under_only() {
        let owner = MemoOwner::new();
        let referer = target(Location::Header("referer".into()), "http://10.0.0.1/x");
        let arg = target(Location::Arg("u".into()), "http://10.0.0.1/x");
        let other = target(Location::Header("accept".into()), "text/html");
        let first = [referer.clone(), other.clone()];
        let probe = MemoProbe::new(owner, &first);
        assert!(!probe.known(0) && !probe.known(1));
        probe.remember(&first, |i| i == 0);
        // Another header has the same classes as the referer; an argument has not.
        let same_classes = target(Location::Header("x-link".into()), "http://10.0.0.1/x");
        assert_eq!(
            known(owner, &[referer, arg, other, same_classes]),
            [true, false, false, true]
        );
    }

    #[test]
    fn a_head_all_found_clean_before_is_known_whole() {
        let owner = MemoOwner::new();
        let head = [
            target(Location::Header("accept".into()), "text/html"),
            target(Location::Cookie("sid".into()), "9b2f0c7e"),
        ];
        let first = MemoProbe::new(owner, &head);
        assert!(!first.knows_all(head.len()));
        first.remember(&head, |_| true);
        assert!(MemoProbe::new(owner, &head).knows_all(head.len()));
        let changed = [
            head[0].clone(),
            target(Location::Cookie("sid".into()), "new"),
        ];
        assert!(!MemoProbe::new(owner, &changed).knows_all(changed.len()));
    }

    #[test]
    fn another_signature_set_and_long_values_start_from_nothing() {
        let (first, second) = (MemoOwner::new(), MemoOwner::new());
        let short = target(Location::Header("accept".into()), "text/html");
        let long_text: &'static str = "a".repeat(VALUE_MAX + 1).leak();
        let long = target(Location::Header("accept".into()), long_text);
        let both = [short.clone(), long];
        MemoProbe::new(first, &both).remember(&both, |_| true);
        assert_eq!(known(first, &both), [true, false]);
        assert_eq!(known(second, std::slice::from_ref(&short)), [false]);
        MemoProbe::new(second, &[]).remember(&[], |_| true);
        assert_eq!(known(first, &[short]), [false]);
    }

    #[test]
    fn heads_of_more_values_than_a_word_of_bits_are_known_value_by_value() {
        let owner = MemoOwner::new();
        let values: Vec<Target<'static>> = (0..WORDS * 64 + 5)
            .map(|i| target(Location::Cookie("many".into()), format!("m{i}").leak()))
            .collect();
        let first = MemoProbe::new(owner, &values);
        assert!(!first.knows_all(values.len()));
        first.remember(&values, |i| i % 3 == 1);
        // Each value as the table holds it (two values may share a slot,
        // the later one staying): the probe's bits say the same.
        let held = |v: &str| CLEAN.with(|c| c.borrow().get(c.borrow().hash(v), v).is_some());
        let wanted: Vec<bool> = values
            .iter()
            .enumerate()
            .map(|(i, t)| i % 3 == 1 && held(&t.value))
            .collect();
        assert_eq!(known(owner, &values), wanted);
        assert!(wanted.iter().filter(|&&k| k).count() > 30);
    }

    #[test]
    fn a_full_memo_is_emptied_and_goes_on() {
        let owner = MemoOwner::new();
        let values: Vec<Target<'static>> = (0..=ENTRIES_MAX)
            .map(|i| target(Location::Cookie("c".into()), format!("v{i}").leak()))
            .collect();
        MemoProbe::new(owner, &values).remember(&values, |_| true);
        let known = known(owner, &values);
        assert_eq!(known.iter().filter(|&&k| k).count(), 1);
        assert!(known[ENTRIES_MAX]);
    }

    #[test]
    fn values_meeting_in_one_slot_take_it_in_turn_and_are_never_mistaken() {
        let owner = MemoOwner::new();
        let hash = |v: &str| CLEAN.with(|c| c.borrow().hash(v));
        let first = "v0";
        let slot = slot_of(hash(first));
        let second: &'static str = (1..1_000_000)
            .map(|i| format!("v{i}"))
            .find(|v| slot_of(hash(v)) == slot)
            .expect("a value in the same slot")
            .leak();
        let one = [target(Location::Cookie("c".into()), first)];
        let other = [target(Location::Cookie("c".into()), second)];
        MemoProbe::new(owner, &one).remember(&one, |_| true);
        assert_eq!(known(owner, &one), [true]);
        assert_eq!(known(owner, &other), [false]);
        MemoProbe::new(owner, &other).remember(&other, |_| true);
        assert_eq!(known(owner, &other), [true]);
        assert_eq!(known(owner, &one), [false]);
    }
}
