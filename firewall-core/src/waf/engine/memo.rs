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
//! compared whole (the hash, keyed per process, only picks the bucket).
//! The entries belong to one compiled signature set: a new configuration
//! starts from an empty memo. A long value is not remembered, and a full
//! memo is emptied, so each thread holds at most a few hundred kilobytes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault};
use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxHasher;
use smallvec::SmallVec;

use crate::waf::target::{Target, Targets};

/// Values longer than this many bytes are not remembered.
const VALUE_MAX: usize = 256;

/// Values a thread remembers before it empties its memo.
const ENTRIES_MAX: usize = 1024;

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

/// One remembered value: where its text is in [`CleanValues::texts`], and
/// the location classes it was found clean under.
#[derive(Debug, Clone, Copy)]
struct Entry {
    start: usize,
    len: usize,
    classes: [Targets; CLASSES_MAX],
    count: usize,
}

impl Entry {
    fn clean_under(&self, classes: Targets) -> bool {
        self.classes[..self.count].contains(&classes)
    }
}

/// One thread's clean values, keyed by the hash of their text (keyed per
/// process, so no one can aim at a bucket). All texts live in one string:
/// remembering a value allocates nothing once the string has grown.
#[derive(Debug, Default)]
struct CleanValues {
    owner: Option<MemoOwner>,
    /// The hashes are the keys: hashing them again is one multiplication.
    entries: HashMap<u64, Entry, BuildHasherDefault<FxHasher>>,
    texts: String,
    hashes: foldhash::fast::RandomState,
}

impl CleanValues {
    /// The entry holding exactly `value`.
    fn get(&self, hash: u64, value: &str) -> Option<&Entry> {
        let entry = self.entries.get(&hash)?;
        (self.texts.get(entry.start..entry.start + entry.len) == Some(value)).then_some(entry)
    }

    fn insert(&mut self, hash: u64, value: &str, classes: Targets) {
        if let Some(entry) = self.get(hash, value).copied() {
            if !entry.clean_under(classes) && entry.count < CLASSES_MAX {
                let mut entry = entry;
                entry.classes[entry.count] = classes;
                entry.count += 1;
                self.entries.insert(hash, entry);
            }
            return;
        }
        // The texts are bounded too: a value that gives way below leaves
        // its text behind.
        if self.entries.len() >= ENTRIES_MAX
            || self.texts.len() + value.len() > ENTRIES_MAX * VALUE_MAX
        {
            self.empty();
        }
        // Another value with the same hash gives way (and is scanned again
        // when it comes back).
        let start = self.texts.len();
        self.texts.push_str(value);
        let mut entry = Entry {
            start,
            len: value.len(),
            classes: [Targets::default(); CLASSES_MAX],
            count: 1,
        };
        entry.classes[0] = classes;
        self.entries.insert(hash, entry);
    }

    fn empty(&mut self) {
        self.entries.clear();
        self.texts.clear();
    }
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
/// found clean before (and need no scan), and the keys to remember the
/// others under once scanned.
#[derive(Debug)]
pub(crate) struct MemoProbe {
    owner: MemoOwner,
    /// Each target's hash and location classes, the key's two halves;
    /// `None` for a value too long to remember.
    keys: SmallVec<[Option<(u64, Targets)>; ROOM]>,
    known: SmallVec<[bool; ROOM]>,
}

/// Targets a probe holds without allocating: a browser's head has about
/// 25 values.
const ROOM: usize = 32;

impl MemoProbe {
    /// Looks up `targets` in this thread's memo of the signatures of `owner`.
    pub(crate) fn new(owner: MemoOwner, targets: &[Target<'_>]) -> Self {
        let looked = CLEAN.try_with(|clean| {
            let clean = clean.borrow();
            let current = on() && clean.owner == Some(owner) && !clean.entries.is_empty();
            let mut keys = SmallVec::with_capacity(targets.len());
            let mut known = SmallVec::with_capacity(targets.len());
            // Each target hashed and looked up in one pass.
            for t in targets {
                let key = (t.value.len() <= VALUE_MAX)
                    .then(|| (clean.hashes.hash_one(&*t.value), t.location.classes()));
                let clean_before = current
                    && key.is_some_and(|(hash, classes)| {
                        clean
                            .get(hash, &t.value)
                            .is_some_and(|e| e.clean_under(classes))
                    });
                keys.push(key);
                known.push(clean_before);
            }
            (keys, known)
        });
        // A thread being torn down remembers nothing.
        let (keys, known) = looked.unwrap_or_else(|_| {
            (
                smallvec::smallvec![None; targets.len()],
                smallvec::smallvec![false; targets.len()],
            )
        });
        #[cfg(test)]
        SKIPPED.with(|n| n.set(n.get() + known.iter().filter(|&&k| k).count()));
        Self { owner, keys, known }
    }

    /// Whether all of the `count` targets were found clean before: the scan
    /// has nothing to do.
    pub(crate) fn knows_all(&self, count: usize) -> bool {
        self.known.len() == count && self.known.iter().all(|&k| k)
    }

    /// Whether target `index` was found clean before: it needs no scan.
    pub(crate) fn known(&self, index: usize) -> bool {
        self.known.get(index) == Some(&true)
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
            for (index, target) in targets.iter().enumerate() {
                let Some(&Some((hash, classes))) = self.keys.get(index) else {
                    continue;
                };
                if !self.known(index) && clean(index) {
                    memo.insert(hash, &target.value, classes);
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
}
