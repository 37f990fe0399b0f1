//! One lazy DFA over every signature of a set, searched with a bound on
//! the work a request may make it do.
//!
//! A lazy DFA builds its states as the text needs them. Over a few hundred
//! signatures a state holds many NFA states, and building one costs
//! microseconds; prose revisits the same few hundred states, so once they
//! are built a scan costs a few nanoseconds a byte. Random text dense in
//! quotes, brackets and operators does not: it reaches a state not built
//! yet every few bytes, and an 8 KB field of it took a large fraction of a
//! second to inspect (and hundreds of megabytes of states) when the whole
//! set was searched at once. Each signature alone stays small whatever the text.
//!
//! So the joint DFA is searched here by a loop of our own (four bytes a
//! step while the states are built) that times every state it has to
//! build against a [`Budget`] shared by every search of one request. When
//! the budget runs out the search answers [`Search::GaveUp`] and the caller
//! scans with the signatures one by one, which gives the same answer at a
//! cost linear in the text. Memory is bounded by the cache capacity: a
//! full cache is cleared and rebuilt.
//!
//! `regex-automata`'s own way to give up (`minimum_cache_clear_count` with
//! `minimum_bytes_per_state`) does not bound a request: it is checked only
//! when a full cache is about to be cleared, so a request pays for a whole
//! cache of states first (the capacity that holds ordinary traffic's
//! states holds a great many), and its count of clearings belongs to the
//! thread's cache, not to the request. It also needs the search loop to
//! report its progress (`Cache::search_start` and the like). Hence the
//! clock.

use std::fmt;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::time::{Duration, Instant};

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::look::LookMatcher;
use regex_automata::util::pool::{Pool, PoolGuard};
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind, PatternSet};
use smallvec::SmallVec;

/// Builds a thread's cache for the joint DFA.
type MakeCache = Box<dyn Fn() -> Cache + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// How many walks [`JointDfa::clean_together`] takes at once.
pub(crate) const TOGETHER: usize = 4;

/// How many bytes [`JointDfa::walk_built`] steps through between checks
/// of where it is: the steps of one stride are unrolled.
const BUILT_STRIDE: usize = 8;

/// The time one request may spend building joint DFA states. Warm caches
/// build none for ordinary traffic, and a cold thread's first requests
/// spend a few hundred microseconds at most; random text dense in
/// punctuation would spend it all within a few hundred bytes.
///
/// Being a time, it does not scale with an instruction counter: under
/// callgrind (about 50 times slower) one state (10 to 80 µs natively over
/// the decoded set) spends it all, so a request builds one and scans the
/// rest signature by signature, and a warm-up builds a state per request
/// where a native one builds all it needs. A profile of values new to
/// the caches then counts building and the fallback that native runs
/// barely do: raise this for the profile, and warm up on the values it
/// measures.
pub(crate) const BUILDING_PER_REQUEST: Duration = Duration::from_millis(1);

/// What a state built but not timed is charged.
const STATE_PRICE: Duration = Duration::from_micros(30);

/// How much longer the searches of one request may spend building joint
/// DFA states (one is made per request, from [`BUILDING_PER_REQUEST`]).
/// Only the building is timed (a clock read per state built): walking
/// built states is not.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    left: Duration,
}

impl Budget {
    /// A budget of `time` spent building states.
    pub(crate) const fn new(time: Duration) -> Self {
        Self { left: time }
    }

    /// Whether no time is left.
    fn is_spent(self) -> bool {
        self.left.is_zero()
    }

    fn charge(&mut self, started: Instant) {
        self.left = self.left.saturating_sub(started.elapsed());
    }

    /// Charges a state built where it was not timed, at about what one
    /// costs over a few hundred signatures.
    fn charge_state(&mut self) {
        self.left = self.left.saturating_sub(STATE_PRICE);
    }
}

/// What a bounded search found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Search {
    /// The earliest end of a match of any pattern.
    Match(usize),
    /// No pattern matches.
    NoMatch,
    /// The budget ran out (or the DFA could not go on) at this offset: no
    /// match ends before it, and the caller must find out about the rest
    /// another way.
    GaveUp(usize),
}

/// Where [`JointDfa::clean_together`] stopped one walk: at the end of a
/// clean text, at a state the search goes on from, or nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WalkStop {
    /// Walked whole: the text holds no match.
    Clean,
    /// Stopped at offset `at` in the untagged `state`, with no match ending
    /// before it: [`HeldCache::resume`] goes on from there, unless the cache was
    /// cleared since (`clears` is its count of clearings then: a state of
    /// a cleared cache means nothing).
    At {
        at: usize,
        state: LazyStateID,
        clears: usize,
    },
    /// Not walked (its start state is not built, or is tagged).
    No,
}

/// Every pattern of a set in one lazy DFA, with a cache per thread.
pub(crate) struct JointDfa {
    dfa: DFA,
    caches: Pool<Cache, MakeCache>,
}

impl fmt::Debug for JointDfa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JointDfa")
            .field("patterns", &self.dfa.pattern_len())
            .finish_non_exhaustive()
    }
}

/// A joint DFA with one of its per-thread caches taken from the pool and
/// held for a request's scan: a state a walk reached is only valid in the cache that built it,
/// so the search that goes on from it must use the same one.
pub(crate) struct HeldCache<'a> {
    dfa: &'a JointDfa,
    cache: PoolGuard<'a, Cache, MakeCache>,
}

impl fmt::Debug for HeldCache<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeldCache")
            .field("dfa", self.dfa)
            .finish_non_exhaustive()
    }
}

impl HeldCache<'_> {
    /// Where the earliest match in `text[from..]` ends, building new
    /// states only while `budget` lasts.
    pub(crate) fn first_match_end(
        &mut self,
        text: &str,
        from: usize,
        budget: &mut Budget,
    ) -> Search {
        self.dfa
            .first_match_end_in(&mut self.cache, text, from, budget)
    }

    /// Adds to `found` every pattern that matches somewhere in `text`.
    /// False when the budget ran out first (once it is spent, a search
    /// stops at the first match state: stepping from one may build a
    /// state); `found` then holds the patterns whose matches end before
    /// where the search stopped.
    pub(crate) fn which_match(
        &mut self,
        text: &str,
        budget: &mut Budget,
        found: &mut PatternSet,
    ) -> bool {
        self.dfa
            .which_match_in(&mut self.cache, text, budget, found)
    }

    /// [`Self::first_match_end`] of `text` from 0, for a text that
    /// [`JointDfa::clean_together`] walked on this `HeldCache`: from where that
    /// walk stopped.
    pub(crate) fn resume(&mut self, text: &str, walked: WalkStop, budget: &mut Budget) -> Search {
        match walked {
            WalkStop::Clean => Search::NoMatch,
            WalkStop::At { at, state, clears } if clears == self.cache.clear_count() => {
                self.dfa.search(&mut self.cache, text, at, state, budget)
            }
            WalkStop::No | WalkStop::At { .. } => self.first_match_end(text, 0, budget),
        }
    }
}

impl JointDfa {
    /// Compiles `patterns` (already in the automata's syntax) with every
    /// match reported (`MatchKind::All`), `line_terminator` ending lines
    /// for `(?m)`, at most `nfa_size` bytes of NFA and `cache_capacity`
    /// bytes of states per thread.
    pub(crate) fn new(
        patterns: &[String],
        line_terminator: u8,
        nfa_size: usize,
        cache_capacity: usize,
    ) -> Result<Self, Box<regex_automata::hybrid::BuildError>> {
        let mut look_matcher = LookMatcher::new();
        look_matcher.set_line_terminator(line_terminator);
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .cache_capacity(cache_capacity),
            )
            .syntax(
                syntax::Config::new()
                    .utf8(true)
                    .line_terminator(line_terminator),
            )
            .thompson(
                thompson::Config::new()
                    .which_captures(WhichCaptures::None)
                    .nfa_size_limit(Some(nfa_size))
                    .look_matcher(look_matcher),
            )
            .build_many(patterns)
            .map_err(Box::new)?;
        let for_pool = dfa.clone();
        let make: MakeCache = Box::new(move || for_pool.create_cache());
        Ok(Self {
            dfa,
            caches: Pool::new(make),
        })
    }

    /// One of this DFA's caches, held until the result is dropped (see
    /// [`HeldCache`]).
    pub(crate) fn hold(&self) -> HeldCache<'_> {
        HeldCache {
            dfa: self,
            cache: self.caches.get(),
        }
    }

    /// [`HeldCache::first_match_end`] on a cache held for this call only (the
    /// engine holds one per set for a whole scan, [`Self::hold`]).
    #[cfg(test)]
    pub(crate) fn first_match_end(&self, text: &str, from: usize, budget: &mut Budget) -> Search {
        self.hold().first_match_end(text, from, budget)
    }

    fn first_match_end_in(
        &self,
        cache: &mut Cache,
        text: &str,
        from: usize,
        budget: &mut Budget,
    ) -> Search {
        let input = Input::new(text).range(from..);
        let state = match self.dfa.start_state_forward(cache, &input) {
            Ok(state) if !state.is_tagged() => state,
            Ok(state) if state.is_dead() => return Search::NoMatch,
            _ => return Search::GaveUp(from),
        };
        self.search(cache, text, from, state, budget)
    }

    /// The search from the untagged `state` at `at` (no match ends
    /// before it).
    fn search(
        &self,
        cache: &mut Cache,
        text: &str,
        mut at: usize,
        mut state: LazyStateID,
        budget: &mut Budget,
    ) -> Search {
        // `state` is untagged here: match and dead states end the search.
        let bytes = text.as_bytes();
        while at < bytes.len() {
            at = self.walk_built(cache, &mut state, bytes, at);
            let Some(&byte) = bytes.get(at) else {
                break;
            };
            let mut next = self.dfa.next_state_untagged(cache, state, byte);
            if next.is_unknown() {
                match self.build(cache, state, byte, budget) {
                    Some(built) => next = built,
                    None => return Search::GaveUp(at),
                }
            }
            if next.is_tagged() {
                if next.is_match() {
                    // Matches are reported one byte late: this one ended
                    // before `byte`.
                    return Search::Match(at);
                }
                if next.is_dead() {
                    return Search::NoMatch;
                }
                if next.is_quit() {
                    return Search::GaveUp(at);
                }
            }
            state = next;
            at += 1;
        }
        match self.dfa.next_eoi_state(cache, state) {
            Ok(end) if end.is_match() => Search::Match(text.len()),
            Ok(_) => Search::NoMatch,
            Err(_) => Search::GaveUp(text.len()),
        }
    }

    /// How far each of `walks` (the index of its DFA in `held` and a text,
    /// at most [`TOGETHER`] walks) gets through built, untagged states:
    /// [`WalkStop::Clean`] when it gets to its end with no match there (the
    /// answer a search from 0 would give as [`Search::NoMatch`]), or where
    /// it stopped, for [`HeldCache::resume`]. The walks go side by
    /// side, one byte each per round, so that their loads overlap (a walk
    /// waits on one load per byte); a walk meeting anything else stops.
    /// Builds no state but, for a walk that got to its end, the transition
    /// there (at most one per walk, and none after the first time), and
    /// the walks' start states. Parts of one text share their `HeldCache`. A
    /// walk's state is only valid in that `HeldCache`'s cache: the search goes
    /// on with [`HeldCache::resume`] on the same one.
    ///
    /// The stages: [`start_walks`], [`step_lanes`], [`finish_walks`].
    pub(crate) fn clean_together(
        held: &mut [HeldCache<'_>],
        walks: &[(usize, &str)],
    ) -> [WalkStop; TOGETHER] {
        let walks = &walks[..walks.len().min(TOGETHER)];
        let Some(mut progress) = start_walks(held, walks) else {
            return [WalkStop::No; TOGETHER];
        };
        step_lanes(held, walks, &mut progress);
        finish_walks(held, walks, &progress)
    }

    /// [`HeldCache::which_match`] on a cache held for this call only.
    #[cfg(test)]
    pub(crate) fn which_match(
        &self,
        text: &str,
        budget: &mut Budget,
        found: &mut PatternSet,
    ) -> bool {
        self.hold().which_match(text, budget, found)
    }

    fn which_match_in(
        &self,
        cache: &mut Cache,
        text: &str,
        budget: &mut Budget,
        found: &mut PatternSet,
    ) -> bool {
        let mut state = match self.dfa.start_state_forward(cache, &Input::new(text)) {
            Ok(state) if !state.is_tagged() => state,
            Ok(state) if state.is_dead() => return true,
            _ => return false,
        };
        for &byte in text.as_bytes() {
            // Only an untagged state's transitions can be looked up
            // without maybe building one: a step from a match state is
            // charged to the budget.
            let looked_up = if state.is_tagged() {
                None
            } else {
                Some(self.dfa.next_state_untagged(cache, state, byte))
            };
            let next = match looked_up {
                Some(next) if !next.is_unknown() => next,
                _ => match self.build(cache, state, byte, budget) {
                    Some(built) => built,
                    None => return false,
                },
            };
            if next.is_tagged() {
                if next.is_match() {
                    self.add_matches(cache, next, found);
                    if found.is_full() {
                        return true;
                    }
                } else if next.is_dead() {
                    return true;
                } else if next.is_quit() {
                    return false;
                }
            }
            state = next;
        }
        match self.dfa.next_eoi_state(cache, state) {
            Ok(end) => {
                if end.is_match() {
                    self.add_matches(cache, end, found);
                }
                true
            }
            Err(_) => false,
        }
    }

    /// Steps from the untagged `state` through `bytes[at..]`
    /// [`BUILT_STRIDE`] bytes at a time while the states reached are built
    /// and untagged; returns where it stopped, with `state` the (untagged)
    /// state there. The caller takes the next step, which may need building
    /// or end the search (and the last bytes, fewer than a stride).
    #[inline]
    fn walk_built(&self, cache: &Cache, state: &mut LazyStateID, bytes: &[u8], at: usize) -> usize {
        let rest = bytes.get(at..).unwrap_or_default();
        let mut strides = rest.chunks_exact(BUILT_STRIDE);
        let mut now = *state;
        // Where in its stride the walk stopped, if it did.
        let mut stopped = None;
        'walk: for stride in &mut strides {
            for (within, &byte) in stride.iter().enumerate() {
                let next = self.dfa.next_state_untagged(cache, now, byte);
                if next.is_tagged() {
                    stopped = Some(within);
                    break 'walk;
                }
                now = next;
            }
        }
        *state = now;
        // The bytes the strides cover; a walk that stopped did not walk
        // the strides after its own (`strides.len()` of them), nor its own
        // past `within`.
        let whole = rest.len() - strides.remainder().len();
        let walked = match stopped {
            Some(within) => whole - BUILT_STRIDE * (strides.len() + 1) + within,
            None => whole,
        };
        at + walked
    }

    fn add_matches(&self, cache: &Cache, state: LazyStateID, found: &mut PatternSet) {
        for i in 0..self.dfa.match_len(cache, state) {
            found.insert(self.dfa.match_pattern(cache, state, i));
        }
    }

    /// The transition from `state` on `byte`, built (or, from a tagged
    /// state, looked up) within the budget; `None` once it is spent or
    /// when the DFA cannot build it.
    #[cold]
    #[inline(never)]
    fn build(
        &self,
        cache: &mut Cache,
        state: LazyStateID,
        byte: u8,
        budget: &mut Budget,
    ) -> Option<LazyStateID> {
        if budget.is_spent() {
            return None;
        }
        if state.is_tagged() {
            // A step from a match state is usually a lookup, and timing
            // every one would cost more than the step (prose at paranoia
            // 4 reaches a match state every few bytes): a state built is
            // told by the cache growing, and charged at a fixed price.
            let before = cache.memory_usage();
            let next = self.dfa.next_state(cache, state, byte).ok();
            if cache.memory_usage() != before {
                budget.charge_state();
            }
            return next;
        }
        let started = Instant::now();
        let next = self.dfa.next_state(cache, state, byte).ok();
        budget.charge(started);
        next
    }
}

/// One walk of [`JointDfa::clean_together`]: its index, DFA, cache and text.
type Lane<'a> = (usize, &'a DFA, &'a Cache, &'a [u8]);

/// The walks of one [`JointDfa::clean_together`] call as they go.
struct WalkProgress {
    /// Each walk's state: where it stopped, or how far it got.
    states: [LazyStateID; TOGETHER],
    /// Which walks had an untagged start state.
    started: [bool; TOGETHER],
    /// Which walks are still going (none that did not start).
    walking: [bool; TOGETHER],
    /// Where each walk that stopped did.
    stops: [usize; TOGETHER],
    /// Each held cache's count of clearings when the walks started: a state
    /// taken before a clearing means nothing. (On the stack: a scan holds
    /// a cache per set, five at most.)
    clears: SmallVec<[usize; 8]>,
}

/// The start state of each of `walks`, or `None` when taking them cleared
/// a cache (a start state may be built, and building may clear a full
/// cache, which makes the states taken before it mean nothing).
fn start_walks(held: &mut [HeldCache<'_>], walks: &[(usize, &str)]) -> Option<WalkProgress> {
    let clearings = |held: &[HeldCache<'_>]| -> SmallVec<[usize; 8]> {
        held.iter().map(|h| h.cache.clear_count()).collect()
    };
    let mut progress = WalkProgress {
        states: [LazyStateID::default(); TOGETHER],
        started: [false; TOGETHER],
        walking: [false; TOGETHER],
        stops: [0; TOGETHER],
        clears: clearings(held),
    };
    for (i, &(k, text)) in walks.iter().enumerate() {
        let HeldCache { dfa, cache } = &mut held[k];
        if let Ok(state) = dfa.dfa.start_state_forward(cache, &Input::new(text)) {
            (progress.states[i], progress.started[i]) = (state, !state.is_tagged());
        }
    }
    progress.walking = progress.started;
    (clearings(held) == progress.clears).then_some(progress)
}

/// Steps the walks still going side by side, as many together as there
/// are, until each has stopped or got to its end; the last one going steps
/// on its own, four bytes at a time.
#[inline]
fn step_lanes(held: &[HeldCache<'_>], walks: &[(usize, &str)], progress: &mut WalkProgress) {
    let mut at = 0;
    loop {
        // The walks still going, first in `lanes`; each at least `run`
        // bytes from its end.
        let mut lanes: [Option<Lane<'_>>; TOGETHER] = [None; TOGETHER];
        let mut count = 0;
        for (i, &(k, text)) in walks.iter().enumerate() {
            if progress.walking[i] && at < text.len() {
                let HeldCache { dfa, cache } = &held[k];
                lanes[count] = Some((i, &dfa.dfa, &**cache, text.as_bytes()));
                count += 1;
            }
        }
        let Some(run) = lanes.iter().flatten().map(|lane| lane.3.len() - at).min() else {
            return;
        };
        match lanes {
            [Some(lane), None, ..] => {
                return step_alone(held[walks[lane.0].0].dfa, lane, progress, at);
            }
            [Some(a), Some(b), None, None] => step_together([a, b], progress, &mut at, run),
            [Some(a), Some(b), Some(c), None] => {
                step_together([a, b, c], progress, &mut at, run);
            }
            [Some(a), Some(b), Some(c), Some(d)] => {
                step_together([a, b, c, d], progress, &mut at, run);
            }
            _ => return,
        }
    }
}

/// Steps the last walk going, `lane` of `dfa`, from `at` on its own, four
/// bytes a step, to its end or the first tagged state.
#[inline]
fn step_alone(dfa: &JointDfa, lane: Lane<'_>, progress: &mut WalkProgress, mut at: usize) {
    let (i, _, cache, bytes) = lane;
    at = dfa.walk_built(cache, &mut progress.states[i], bytes, at);
    while let Some(&byte) = bytes.get(at) {
        let next = dfa.dfa.next_state_untagged(cache, progress.states[i], byte);
        if next.is_tagged() {
            (progress.walking[i], progress.stops[i]) = (false, at);
            return;
        }
        progress.states[i] = next;
        at += 1;
    }
}

/// Steps `N` walks side by side from `at`, one byte each per round, for at
/// most `run` rounds or until one of them reaches a tagged state: those
/// stop there (no longer walking, stopped at that offset); the others keep
/// their state at that offset too.
#[inline]
fn step_together<const N: usize>(
    lanes: [Lane<'_>; N],
    progress: &mut WalkProgress,
    at: &mut usize,
    run: usize,
) {
    let mut now: [LazyStateID; N] = std::array::from_fn(|l| progress.states[lanes[l].0]);
    let texts: [&[u8]; N] = std::array::from_fn(|l| &lanes[l].3[*at..*at + run]);
    let (_, dfa, cache, _) = lanes[0];
    let shared = lanes
        .iter()
        .all(|lane| std::ptr::eq(lane.1, dfa) && std::ptr::eq(lane.2, cache));
    let stop = if shared {
        // The parts of one set's text: one DFA and one cache for all,
        // which leaves registers for the walks' states and texts.
        walk_lanes(&mut now, &texts, |_, state, byte| {
            dfa.next_state_untagged(cache, state, byte)
        })
    } else {
        walk_lanes(&mut now, &texts, |l, state, byte| {
            let (_, dfa, cache, _) = lanes[l];
            dfa.next_state_untagged(cache, state, byte)
        })
    };
    if let Some((steps, tagged)) = stop {
        for (l, lane) in lanes.iter().enumerate() {
            if tagged[l] {
                progress.walking[lane.0] = false;
                progress.stops[lane.0] = *at + steps;
            }
        }
        *at += steps;
    } else {
        *at += run;
    }
    for (l, state) in now.into_iter().enumerate() {
        progress.states[lanes[l].0] = state;
    }
}

/// Steps `N` walks, each from its state in `now` through its text (all of
/// one length), one byte each per round with `next(lane, state, byte)`,
/// until one of them reaches a tagged state: then the number of rounds
/// taken and which walks reached one (`now` holds the states before that
/// round); `None` when all got to the end of their texts. Not inlined: in
/// its caller the loop kept its texts and tables on the stack, a load more
/// per byte each.
#[inline(never)]
fn walk_lanes<const N: usize>(
    now: &mut [LazyStateID; N],
    texts: &[&[u8]; N],
    next: impl Fn(usize, LazyStateID, u8) -> LazyStateID,
) -> Option<(usize, [bool; N])> {
    let run = texts[0].len();
    let texts: [&[u8]; N] = std::array::from_fn(|l| &texts[l][..run]);
    // One index into `N` texts.
    #[allow(clippy::needless_range_loop)]
    for step in 0..run {
        let stepped: [LazyStateID; N] = std::array::from_fn(|l| next(l, now[l], texts[l][step]));
        if stepped.iter().any(LazyStateID::is_tagged) {
            return Some((step, stepped.map(|state| state.is_tagged())));
        }
        *now = stepped;
    }
    None
}

/// Where each of `walks` ended: a walk that got to its end is clean when
/// the end of text there is no match (that transition may be built, and
/// building may clear its cache: the walks of that cache whose end comes
/// after tell nothing).
fn finish_walks(
    held: &mut [HeldCache<'_>],
    walks: &[(usize, &str)],
    progress: &WalkProgress,
) -> [WalkStop; TOGETHER] {
    let mut stops = [WalkStop::No; TOGETHER];
    for (i, &(k, text)) in walks.iter().enumerate() {
        if !progress.started[i] {
            continue;
        }
        let (state, clears) = (progress.states[i], progress.clears[k]);
        if !progress.walking[i] {
            let at = progress.stops[i];
            stops[i] = WalkStop::At { at, state, clears };
            continue;
        }
        let HeldCache { dfa, cache } = &mut held[k];
        if cache.clear_count() != clears {
            // Another walk's end cleared it: this state means nothing.
            continue;
        }
        let clean = dfa
            .dfa
            .next_eoi_state(cache, state)
            .is_ok_and(|end| !end.is_match() && !end.is_unknown());
        stops[i] = if clean {
            WalkStop::Clean
        } else {
            let at = text.len();
            WalkStop::At { at, state, clears }
        };
    }
    stops
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use regex_automata::meta::Regex;

    use super::*;

    fn joint(patterns: &[&str]) -> JointDfa {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        JointDfa::new(&patterns, 0, 1 << 20, 1 << 20).unwrap()
    }

    /// [`JointDfa::clean_together`] on walks each with a DFA of its own,
    /// and the caches they walked on.
    fn together<'a>(walks: &[(&'a JointDfa, &str)]) -> ([WalkStop; TOGETHER], Vec<HeldCache<'a>>) {
        let mut held: Vec<HeldCache<'a>> = walks.iter().map(|(dfa, _)| dfa.hold()).collect();
        let indexed: Vec<(usize, &str)> = walks
            .iter()
            .enumerate()
            .map(|(i, (_, text))| (i, *text))
            .collect();
        (JointDfa::clean_together(&mut held, &indexed), held)
    }

    /// No limit on building.
    fn unlimited() -> Budget {
        Budget::new(Duration::MAX)
    }

    #[test]
    fn finds_the_earliest_end_of_any_pattern() {
        let dfa = joint(&["abcdef", "cd", r"(?m:^x$)"]);
        let mut budget = unlimited();
        assert_eq!(
            dfa.first_match_end("zabcdefg", 0, &mut budget),
            Search::Match(5)
        );
        assert_eq!(
            dfa.first_match_end("abcxabcd", 4, &mut budget),
            Search::Match(8)
        );
        assert_eq!(dfa.first_match_end("no", 0, &mut budget), Search::NoMatch);
        assert_eq!(dfa.first_match_end("yx", 0, &mut budget), Search::NoMatch);
        assert_eq!(
            dfa.first_match_end("y\0x", 0, &mut budget),
            Search::Match(3)
        );
        // Starting mid-text sees the byte before: `y` is no line start.
        assert_eq!(dfa.first_match_end("yx", 1, &mut budget), Search::NoMatch);
        assert_eq!(dfa.first_match_end("\0x", 1, &mut budget), Search::Match(2));
    }

    #[test]
    fn a_spent_budget_gives_up_where_a_state_is_missing() {
        let dfa = joint(&["needle", "hay"]);
        let spent = || Budget::new(Duration::ZERO);
        assert_eq!(
            dfa.first_match_end("hay needle", 0, &mut spent()),
            Search::GaveUp(0)
        );
        let mut found = PatternSet::new(2);
        assert!(!dfa.which_match("hay needle", &mut spent(), &mut found));
        assert!(found.is_empty());
        assert_eq!(
            dfa.first_match_end("hay needle", 0, &mut unlimited()),
            Search::Match(3)
        );
        assert!(dfa.which_match("hay needle", &mut unlimited(), &mut found));
        assert_eq!(found.len(), 2);
        // Every state that text needs is built now: no budget needed.
        assert_eq!(
            dfa.first_match_end("hay needle", 0, &mut spent()),
            Search::Match(3)
        );
        let mut again = PatternSet::new(2);
        assert!(dfa.which_match("a needle", &mut unlimited(), &mut again));
        assert!(dfa.which_match("a needle", &mut spent(), &mut again));
        assert_eq!(again.iter().map(|p| p.as_usize()).collect::<Vec<_>>(), [0]);
        // Stepping on from a match state is not known to be free: with the
        // budget spent, the search stops there, with what it found.
        let mut partial = PatternSet::new(2);
        assert!(!dfa.which_match("hay needle", &mut spent(), &mut partial));
        assert_eq!(
            partial.iter().map(|p| p.as_usize()).collect::<Vec<_>>(),
            [1]
        );
        // Where a state is missing, the search stops there.
        assert_eq!(
            dfa.first_match_end("a needle!", 0, &mut spent()),
            Search::GaveUp(8)
        );
    }

    #[test]
    fn walks_side_by_side_tell_clean_texts_once_their_states_are_built() {
        let needle = || joint(&["needle", "x{3}"]);
        let hay = || joint(&[r"(?m:^hay$)"]);
        let (a, b, c, d) = (needle(), hay(), needle(), hay());
        let texts = ["a haystack", "hay\0needle\0stack", "hays"];
        let clean =
            |walks: &[(&JointDfa, &str)]| together(walks).0.map(|walked| walked == WalkStop::Clean);
        // Nothing built yet: no walk can tell.
        assert_eq!(clean(&[(&a, texts[0]), (&b, texts[0])]), [false; TOGETHER]);
        let walks = [
            (&a, texts[0]),
            (&b, texts[1]),
            (&c, texts[1]),
            (&d, texts[2]),
        ];
        for (dfa, text) in walks {
            let _ = dfa.first_match_end(text, 0, &mut unlimited());
        }
        // `a` finds no needle in the first, `b` finds `hay` alone on a line
        // in the second, `a` a needle in it, and `b` no line of `hay` in `hays`.
        assert_eq!(clean(&walks), [true, false, false, true]);
        // The walks that saw a match stopped where it ends (a match is seen
        // one byte late), and the search goes on from there.
        let (walked, mut held) = together(&walks);
        assert!(
            matches!(walked[1], WalkStop::At { at: 3, .. }),
            "{:?}",
            walked[1]
        );
        assert!(
            matches!(walked[2], WalkStop::At { at: 10, .. }),
            "{:?}",
            walked[2]
        );
        let spent = || Budget::new(Duration::ZERO);
        assert_eq!(
            held[1].resume(texts[1], walked[1], &mut spent()),
            Search::Match(3)
        );
        assert_eq!(
            held[2].resume(texts[1], walked[2], &mut spent()),
            Search::Match(10)
        );
    }

    #[test]
    fn a_walk_cleared_from_its_cache_is_searched_again_from_the_start() {
        // A small cache, cleared when a text needs many states.
        let patterns: Vec<String> = [r"needle", r"[a-z]{2}[0-9]{2}[a-z]{2}x", r"q.{0,200}z"]
            .iter()
            .map(|p| (*p).to_owned())
            .collect();
        let dfa = JointDfa::new(&patterns, 0, 1 << 20, 64 << 10).unwrap();
        let texts = ["hay and a needle", "more hay, then a needle"];
        for text in texts {
            let _ = dfa.first_match_end(text, 0, &mut unlimited());
        }
        let mut held = vec![dfa.hold()];
        let walked = JointDfa::clean_together(&mut held, &[(0, texts[0]), (0, texts[1])]);
        assert!(
            matches!(walked[1], WalkStop::At { at: 23, .. }),
            "{:?}",
            walked[1]
        );
        // Searching the first text from its stop builds nothing; random
        // text then fills the cache until it is cleared.
        let before = held[0].cache.clear_count();
        assert_eq!(
            held[0].resume(texts[0], walked[0], &mut unlimited()),
            Search::Match(16)
        );
        let noise: String = (0..100_000u32)
            .map(|i| char::from(b"aq1b.9qk"[(i.wrapping_mul(2_654_435_761) >> 29) as usize]))
            .collect();
        assert_eq!(
            held[0].first_match_end(&noise, 0, &mut unlimited()),
            Search::NoMatch
        );
        assert!(
            held[0].cache.clear_count() > before,
            "the noise did not clear the cache"
        );
        // The second walk's state belonged to the cache before: the search
        // starts over, and still finds the needle.
        assert_eq!(
            held[0].resume(texts[1], walked[1], &mut unlimited()),
            Search::Match(23)
        );
    }

    proptest! {
        /// A walk said clean is one the search finds no match in, whether
        /// the walks go on caches of their own or share one.
        #[test]
        fn clean_walks_are_those_without_a_match(
            texts in prop::collection::vec("[ab(\\-'\0 ]{0,30}", 1..=TOGETHER),
            shared in any::<bool>(),
        ) {
            // Two DFAs, each walking every other text on one cache, or the
            // first walking them all.
            let dfas = [joint(&["a'+b", r"\(\s*b"]), joint(&[r"(?m:^b)", "b{3}"])];
            let walks: Vec<(usize, &str)> = texts
                .iter()
                .enumerate()
                .map(|(i, text)| (if shared { 0 } else { i % 2 }, text.as_str()))
                .collect();
            for &(k, text) in &walks {
                let _ = dfas[k].first_match_end(text, 0, &mut unlimited());
            }
            let mut held: Vec<HeldCache<'_>> = dfas.iter().map(JointDfa::hold).collect();
            let walked = JointDfa::clean_together(&mut held, &walks);
            for (i, &(k, text)) in walks.iter().enumerate() {
                let found = dfas[k].first_match_end(text, 0, &mut unlimited());
                // Every state the walk needs is built now: it tells.
                prop_assert_eq!(walked[i] == WalkStop::Clean, found == Search::NoMatch, "{:?}", text);
                // And the search from where it stopped finds what the
                // search from the start does, building nothing.
                let spent = &mut Budget::new(Duration::ZERO);
                prop_assert_eq!(held[k].resume(text, walked[i], spent), found, "{:?}", text);
            }
        }

        #[test]
        fn agrees_with_the_meta_engine(
            text in "[ab(\\-'\0 é]{0,40}",
            from in 0usize..40,
        ) {
            let patterns = ["a'+b", r"\(\s*b", r"(?m:^b)", r"(?m:a$)", "é-", "b{3}"];
            let dfa = joint(&patterns);
            let meta = Regex::builder()
                .configure(Regex::config().match_kind(MatchKind::All).line_terminator(0))
                .syntax(syntax::Config::new().line_terminator(0))
                .build_many(&patterns)
                .unwrap();
            let from = (0..=from.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            let expected = meta
                .search_half(&Input::new(&text).range(from..).earliest(true))
                .map_or(Search::NoMatch, |m| Search::Match(m.offset()));
            let mut expected_set = PatternSet::new(patterns.len());
            meta.which_overlapping_matches(&Input::new(&text), &mut expected_set);

            // A budget that runs out after the first state built gives the
            // same answer, or gives up before the match ends.
            let tiny = || Budget::new(Duration::from_nanos(1));
            match dfa.first_match_end(&text, from, &mut tiny()) {
                Search::GaveUp(at) => {
                    let bound = match expected {
                        Search::Match(end) => end,
                        _ => text.len(),
                    };
                    prop_assert!(at <= bound, "gave up at {} before {:?}", at, expected);
                }
                small => prop_assert_eq!(small, expected),
            }
            let mut partial = PatternSet::new(patterns.len());
            if dfa.which_match(&text, &mut tiny(), &mut partial) {
                prop_assert_eq!(&partial, &expected_set);
            } else {
                prop_assert!(partial.iter().all(|p| expected_set.contains(p)));
            }

            prop_assert_eq!(dfa.first_match_end(&text, from, &mut unlimited()), expected);
            let mut found = PatternSet::new(patterns.len());
            prop_assert!(dfa.which_match(&text, &mut unlimited(), &mut found));
            prop_assert_eq!(found, expected_set);
        }
    }
}
