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
//!
//! Before the values, the whole head: the last head whose every value this
//! thread knew clean is kept as it was ([`LastHead`]: each location and
//! value, in order), and a head equal to it is known clean without hashing
//! or looking up any of its values (what a client sending the same request
//! again costs). Equal means the same values under the same locations,
//! compared byte for byte, so it is exact for the reason the values' memo
//! is: the same texts under the same classes.

use std::cell::RefCell;
use std::hash::BuildHasher;
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

/// A head with more bytes of names and values than this is not kept
/// whole ([`LastHead`]).
const HEAD_MAX: usize = 8 << 10;

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
    /// The last head whose every value was known clean.
    head: LastHead,
}

/// The last head whose every value a thread knew clean: each target's location (its
/// kind, [`crate::waf::Location::kind`], and name) and value, in order, the names and
/// values one after the other in one string.
#[derive(Debug, Default)]
struct LastHead {
    /// Per target: the location's kind, and the lengths of its name and
    /// value in `text`.
    records: Vec<(u8, usize, usize)>,
    text: String,
    /// False until a head is kept, and after the memo is emptied.
    kept: bool,
}

impl LastHead {
    /// Whether `targets` are exactly the head kept.
    fn holds(&self, targets: &[Target<'_>]) -> bool {
        if !self.kept || self.records.len() != targets.len() {
            return false;
        }
        let text = self.text.as_bytes();
        let mut at = 0;
        for (target, &(kind, name_len, value_len)) in targets.iter().zip(&self.records) {
            let name = target.location.arg_name().unwrap_or("").as_bytes();
            let value = target.value.as_bytes();
            if target.location.kind() != kind || name.len() != name_len || value.len() != value_len
            {
                return false;
            }
            let Some(kept) = text.get(at..at + name_len + value_len) else {
                return false;
            };
            let (kept_name, kept_value) = kept.split_at(name_len);
            if !same_bytes(kept_name, name) || !same_bytes(kept_value, value) {
                return false;
            }
            at += name_len + value_len;
        }
        true
    }

    /// Keeps `targets` as the last head known clean whole (not when it
    /// holds more than [`HEAD_MAX`] bytes).
    fn keep(&mut self, targets: &[Target<'_>]) {
        self.forget();
        let size = targets
            .iter()
            .map(|t| t.location.arg_name().map_or(0, str::len) + t.value.len())
            .sum::<usize>();
        if size > HEAD_MAX {
            return;
        }
        for target in targets {
            let name = target.location.arg_name().unwrap_or("");
            self.text.push_str(name);
            self.text.push_str(&target.value);
            self.records
                .push((target.location.kind(), name.len(), target.value.len()));
        }
        self.kept = true;
    }

    fn forget(&mut self) {
        self.records.clear();
        self.text.clear();
        self.kept = false;
    }
}

impl CleanValues {
    /// The entry holding exactly `value`.
    fn get(&self, hash: u64, value: &str) -> Option<&Entry> {
        let entry = self.slots.get(slot_of(hash))?;
        let start = entry.start as usize;
        let text = self.texts.get(start..start + usize::from(entry.len));
        (entry.count > 0 && entry.hash == hash && text == Some(value)).then_some(entry)
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
        self.head.forget();
    }
}

/// Whether `a` and `b` hold the same bytes. Most names and values are
/// short: up to 16 bytes they are compared as two words each, where a call
/// to `memcmp` cost twice as much.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    match len {
        0 => true,
        1..=3 => a[0] == b[0] && a[len / 2] == b[len / 2] && a[len - 1] == b[len - 1],
        4..=7 => ends::<4>(a) == ends::<4>(b),
        8..=16 => ends::<8>(a) == ends::<8>(b),
        _ => a == b,
    }
}

/// The first and last `N` bytes of `x` (overlapping when it is shorter
/// than 2N), when it has `N`.
fn ends<const N: usize>(x: &[u8]) -> Option<([u8; N], [u8; N])> {
    let first = x.first_chunk::<N>()?;
    let last = x.last_chunk::<N>()?;
    Some((*first, *last))
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

/// One target's key (its hash and location classes), and whether its
/// value was found clean before.
#[derive(Debug, Clone, Copy)]
struct Key {
    hash: u64,
    classes: Targets,
    /// False for a value too long to remember.
    rememberable: bool,
    known: bool,
}

/// What this thread's memo knows of one scan's targets: which ones were
/// found clean before (and need no scan), and the keys to remember the
/// others under once scanned.
#[derive(Debug)]
pub(crate) struct MemoProbe {
    owner: MemoOwner,
    keys: SmallVec<[Key; ROOM]>,
    /// How many of the keys are known.
    known: usize,
    /// The targets are the last head known clean whole: all are known,
    /// and `keys` is empty.
    whole: bool,
}

/// Targets a probe holds without allocating: a browser's head has about
/// 25 values.
const ROOM: usize = 32;

impl MemoProbe {
    /// Looks up `targets` in this thread's memo of the signatures of `owner`.
    pub(crate) fn new(owner: MemoOwner, targets: &[Target<'_>]) -> Self {
        let mut probe = Self {
            owner,
            keys: SmallVec::new(),
            known: 0,
            whole: false,
        };
        let looked = CLEAN.try_with(|clean| {
            let mut clean = clean.borrow_mut();
            let current = on() && clean.owner == Some(owner) && clean.taken > 0;
            if on() && clean.owner == Some(owner) && clean.head.holds(targets) {
                probe.whole = true;
                return;
            }
            probe.keys.reserve(targets.len());
            // Each target hashed and looked up in one pass.
            for t in targets {
                let rememberable = t.value.len() <= VALUE_MAX;
                let (hash, classes) = if rememberable {
                    (clean.hashes.hash_one(&*t.value), t.location.classes())
                } else {
                    (0, Targets::default())
                };
                let known = current
                    && rememberable
                    && clean
                        .get(hash, &t.value)
                        .is_some_and(|e| e.clean_under(classes));
                probe.known += usize::from(known);
                probe.keys.push(Key {
                    hash,
                    classes,
                    rememberable,
                    known,
                });
            }
            // Seen a second time, every value known: kept whole for the
            // next time (a head of new values, which is scanned, is not:
            // keeping it would cost every request that sends new ones).
            if current && probe.known == targets.len() {
                clean.head.keep(targets);
            }
        });
        // A thread being torn down remembers nothing.
        if looked.is_err() {
            probe.keys.clear();
            probe.known = 0;
            probe.whole = false;
        }
        #[cfg(test)]
        SKIPPED.with(|n| {
            n.set(
                n.get()
                    + if probe.whole {
                        targets.len()
                    } else {
                        probe.known
                    },
            );
        });
        probe
    }

    /// Whether all of the `count` targets were found clean before: the scan
    /// has nothing to do.
    pub(crate) fn knows_all(&self, count: usize) -> bool {
        self.whole || (self.keys.len() == count && self.known == count)
    }

    /// Whether target `index` was found clean before: it needs no scan.
    pub(crate) fn known(&self, index: usize) -> bool {
        self.whole || self.keys.get(index).is_some_and(|k| k.known)
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
            if self.whole {
                return; // nothing new
            }
            for (index, (target, key)) in targets.iter().zip(&self.keys).enumerate() {
                if key.rememberable && !key.known && clean(index) {
                    memo.insert(key.hash, &target.value, key.classes);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::waf::Location;

    use std::borrow::Cow;

    fn target(location: Location<'static>, value: &'static str) -> Target<'static> {
        Target {
            location,
            value: value.into(),
        }
    }

    /// Whether each of `targets`, looked up on its own, is known.
    fn known(owner: MemoOwner, targets: &[Target<'_>]) -> Vec<bool> {
        targets
            .iter()
            .map(|t| MemoProbe::new(owner, std::slice::from_ref(t)).known(0))
            .collect()
    }

    /// A location of kind `kind` (in [`crate::waf::Location::kind`]'s order) named `name`.
    fn location(kind: u8, name: String) -> Location<'static> {
        let name = Cow::Owned(name);
        match kind % 10 {
            0 => Location::Path,
            1 => Location::Method,
            2 => Location::ArgName(name),
            3 => Location::Arg(name),
            4 => Location::FileName(name),
            5 => Location::CookieName(name),
            6 => Location::Cookie(name),
            7 => Location::Header(name),
            8 => Location::Body,
            _ => Location::Query,
        }
    }

    /// A head of a few targets from a small alphabet of locations, names
    /// and values.
    fn head() -> impl Strategy<Value = Vec<Target<'static>>> {
        let target = (0u8..10, "[ab]{0,2}", "[ab]{0,3}").prop_map(|(kind, name, value)| Target {
            location: location(kind, name),
            value: value.into(),
        });
        prop::collection::vec(target, 1..5)
    }

    /// `head` with at most one small change: another kind, name or value
    /// for one target, a byte more in a name or value, a target less, two
    /// targets swapped (which may leave it equal).
    fn changed(
        mut head: Vec<Target<'static>>,
        change: u8,
        at: usize,
        kind: u8,
    ) -> Vec<Target<'static>> {
        if head.is_empty() {
            return head;
        }
        let (i, len) = (at % head.len(), head.len());
        let target = &mut head[i];
        let name = target.location.arg_name().unwrap_or("").to_owned();
        match change % 7 {
            0 => target.location = location(kind, name),
            1 => target.location = location(target.location.kind(), format!("{name}a")),
            2 => target.location = location(target.location.kind(), name.replace('a', "b")),
            3 => target.value = format!("{}b", target.value).into(),
            4 => target.value = target.value.replace('b', "a").into(),
            5 => drop(head.remove(i)),
            _ => head.swap(i, (i + 1) % len),
        }
        head
    }

    proptest! {
        /// Also on slices of one length, one byte apart at any place.
        #[test]
        fn same_bytes_is_slice_equality(
            a in prop::collection::vec(0u8..3, 0..40),
            other in prop::collection::vec(0u8..3, 0..40),
            at in any::<usize>(),
            byte in 0u8..3,
        ) {
            prop_assert_eq!(same_bytes(&a, &other), a == other);
            let mut b = a.clone();
            if !b.is_empty() {
                let i = at % b.len();
                b[i] = byte;
            }
            prop_assert_eq!(same_bytes(&a, &b), a == b);
        }

        /// A head is known whole exactly when it equals, location by
        /// location and value by value, the last head whose every value
        /// was known clean.
        #[test]
        fn a_head_is_known_whole_when_equal_to_the_last_clean_one(
            first in head(),
            change in any::<u8>(),
            at in any::<usize>(),
            kind in any::<u8>(),
        ) {
            let second = changed(first.clone(), change, at, kind);
            let owner = MemoOwner::new();
            MemoProbe::new(owner, &first).remember(&first, |_| true);
            // The second time, each value is known, and the head is kept.
            let second_time = MemoProbe::new(owner, &first);
            prop_assert!(!second_time.whole && second_time.knows_all(first.len()));
            prop_assert!(MemoProbe::new(owner, &first).whole);
            prop_assert_eq!(MemoProbe::new(owner, &second).whole, second == first);
            // Nor under another signature set.
            prop_assert!(!MemoProbe::new(MemoOwner::new(), &first).whole);
        }
    }

    #[test]
    fn a_head_with_a_match_is_not_kept_whole() {
        let owner = MemoOwner::new();
        let head = [
            target(Location::Header("accept".into()), "text/html"),
            target(Location::Cookie("sid".into()), "' or 1=1"),
        ];
        MemoProbe::new(owner, &head).remember(&head, |i| i == 0);
        let probe = MemoProbe::new(owner, &head);
        assert!(!probe.whole && !probe.knows_all(head.len()));
        assert!(probe.known(0) && !probe.known(1));
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
        // Nor is a head holding a long value kept whole.
        assert!(!MemoProbe::new(first, &both).whole && !MemoProbe::new(first, &both).whole);
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

    #[test]
    fn values_meeting_in_one_slot_take_it_in_turn_and_are_never_mistaken() {
        let owner = MemoOwner::new();
        let hash = |v: &str| CLEAN.with(|c| c.borrow().hashes.hash_one(v));
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
