//! The compiled matcher: linear-time automata holding every active
//! signature, so a value is scanned once, not once per signature.
//!
//! One joint lazy DFA ([`JointDfa`]) holds all signatures and runs on the
//! decoded value. A view that rewrites the value further (SQL comments,
//! paths, shell quoting) runs its own signatures again on the rewritten
//! text, but only when the rewrite changed something; the raw view runs
//! only on values carrying escapes or control characters. A plain value
//! therefore costs a single scan. And a set does not scan a text holding
//! none of the bytes its signatures need ([`ByteSet`], read from their
//! syntax): the shell view's signatures all need a command separator, which
//! prose does not have.
//!
//! The joint DFAs build their states as texts need them, within a time
//! budget per request: random text dense in punctuation needs a new state
//! every few bytes, at microseconds each over a few hundred signatures, and
//! once the budget is spent the rest of the request is scanned with each
//! signature on its own (`regex-automata`'s meta engine, one small
//! automaton each). The answer is the same either way; the cost stays
//! linear in the text.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::Range;

use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_automata::{MatchKind, PatternID, PatternSet};
use smallvec::SmallVec;

use super::protocol::Checks;
use super::signatures::{Detector, Signature, View};
use super::target::{Target, Targets};
use super::transform::{self, apply};
use super::WafError;
use super::{shell_injection, sql_injection};
use joint::{Budget, HeldCache, JointDfa, Search, WalkStop, BUILDING_PER_REQUEST, TOGETHER};
pub(crate) use literals::{holds_any, ByteSet};
use memo::{MemoOwner, MemoProbe};
use shape::Shape;

// The engine's machinery, apart from the WAF's public concepts.
mod joint;
mod literals;
pub(in crate::waf) mod memo;
mod pattern;
#[cfg(test)]
mod reference;
mod shape;

/// Compiled automata size limit (the default is too small for a few
/// hundred alternations).
const SIZE_LIMIT: usize = 256 << 20;

/// States a joint DFA may hold per thread before its cache is cleared:
/// ordinary traffic needs far less, and the bound holds memory down when
/// random text builds state after state.
const JOINT_CACHE: usize = 16 << 20;

/// The same for each signature alone.
const SINGLE_CACHE: usize = 4 << 20;

/// Joins the values of a request for the prefilter; also its line
/// terminator, so `^` and `$` match at every value's start and end. Decoded
/// values never contain it (NUL is removed by the Unicode step).
const SEPARATOR: char = '\0';

/// The active signatures compiled for scanning. Immutable once built.
#[derive(Debug)]
pub(crate) struct Compiled {
    /// Owns what threads remember of the values these signatures found
    /// clean ([`super::memo`]).
    owner: MemoOwner,
    signatures: Vec<Signature>,
    /// Every signature but the raw and the narrow ones, on the decoded value.
    all: Option<ViewSet>,
    /// Signatures for a few specific values only (method, content type,
    /// user agent, file names, the query string): scanned on those values
    /// alone, never joined into the prefilter, where patterns such as "any
    /// character but a letter" would match everywhere.
    narrow: Option<ViewSet>,
    /// The narrow signatures split by target class (one class bit each),
    /// so a value is scanned only with the signatures that apply to it.
    narrow_by_class: Vec<(Targets, ViewSet)>,
    /// The target classes the narrow signatures apply to.
    narrow_classes: Targets,
    /// Per rewriting view (and raw), that view's own signatures.
    views: Vec<ViewSet>,
    /// The signatures run by a structural detector, not a pattern: each
    /// decoded value is read by each that applies to it.
    detectors: Vec<DetectorSignature>,
    /// Those of `detectors` whose detector has no byte gate in [`Shape`]
    /// (SQL, shell), in the same order: all a value holding none of the
    /// gated detectors' bytes needs.
    ungated_detectors: Vec<DetectorSignature>,
    /// The signatures run by a protocol check (their index in
    /// `signatures`, and the check): each reads the request once.
    checks: Checks,
    /// The plain reference scanner of the same signatures, built when a
    /// test first asks for it.
    #[cfg(test)]
    reference: std::sync::OnceLock<reference::Reference>,
}

#[derive(Debug)]
struct ViewSet {
    view: View,
    /// The patterns in multi-line mode with NUL as the line terminator: on
    /// one value (which holds no NUL) they behave as the plain patterns,
    /// and they also run once over every value of a request joined by
    /// NULs, where no match means no match in any value. All of them in one
    /// lazy DFA, searched within the request's [`Budget`].
    joint: JointDfa,
    /// Each pattern on its own (same order): which ones match a value, and
    /// every answer once the joint DFA gave up. Each is small, so its cost
    /// stays linear whatever the text.
    singles: Vec<Regex>,
    /// Index in `signatures` of each pattern.
    members: Vec<usize>,
    /// Bytes of which every match of every member holds one: a text with
    /// none of them is not scanned.
    needs: ByteSet,
}

impl ViewSet {
    fn build(
        view: View,
        signatures: &[Signature],
        members: Vec<usize>,
    ) -> Result<Option<Self>, WafError> {
        if members.is_empty() {
            return Ok(None);
        }
        let error = |source: Box<dyn std::error::Error + Send + Sync>| WafError::Compile {
            view: format!("{view:?}"),
            source,
        };
        let patterns: Vec<String> = members
            .iter()
            .map(|&i| format!("(?m:{})", pattern::for_automata(&signatures[i].pattern)))
            .collect();
        let joint = JointDfa::new(&patterns, SEPARATOR as u8, SIZE_LIMIT, JOINT_CACHE)
            .map_err(|e| error(e))?;
        let singles = patterns
            .iter()
            .map(|pattern| {
                // `All`: the strategies built on a reverse search (for
                // leftmost matches only) fall back to the PikeVM on text
                // that would make them quadratic, random text included.
                let config = meta::Config::new()
                    .match_kind(MatchKind::All)
                    .line_terminator(SEPARATOR as u8)
                    .nfa_size_limit(Some(SIZE_LIMIT))
                    .hybrid_cache_capacity(SINGLE_CACHE);
                meta::Builder::new()
                    .configure(config)
                    .syntax(
                        syntax::Config::new()
                            .utf8(true)
                            .line_terminator(SEPARATOR as u8),
                    )
                    .build(pattern)
                    .map_err(|e| error(Box::new(e)))
            })
            .collect::<Result<_, _>>()?;
        let needs = if skipping_on() {
            members
                .iter()
                .map(|&i| ByteSet::needed_by(&signatures[i].pattern))
                .fold(ByteSet::NONE, ByteSet::union)
        } else {
            ByteSet::ALL
        };
        Ok(Some(Self {
            view,
            joint,
            singles,
            members,
            needs,
        }))
    }
}

impl Compiled {
    /// Compiles `signatures` (already filtered by paranoia and disabled ids).
    pub(crate) fn new(signatures: Vec<Signature>) -> Result<Self, WafError> {
        let is_narrow =
            |s: &Signature| s.view != View::Raw && !s.targets.intersects(Targets::BROAD);
        // Protocol checks read the request, not its values: no set holds them.
        let checks = Checks::new(
            (0..signatures.len())
                .filter_map(|i| signatures[i].check.map(|check| (i, check)))
                .collect(),
        );
        let (detectors, patterns): (Vec<usize>, Vec<usize>) = (0..signatures.len())
            .filter(|&i| signatures[i].check.is_none())
            .partition(|&i| signatures[i].detector.is_some());
        let detectors = detectors
            .into_iter()
            .filter_map(|index| {
                let signature = &signatures[index];
                signature.detector.map(|detector| DetectorSignature {
                    index,
                    detector,
                    targets: signature.targets,
                })
            })
            .collect::<Vec<_>>();
        let ungated_detectors = detectors
            .iter()
            .copied()
            .filter(|run| could_detect(run.detector, Shape::empty()))
            .collect();
        let (narrow, broad): (Vec<usize>, Vec<usize>) = patterns
            .iter()
            .copied()
            .filter(|&i| signatures[i].view != View::Raw)
            .partition(|&i| is_narrow(&signatures[i]));
        let narrow_classes = narrow.iter().fold(Targets::default(), |acc, &i| {
            acc.union(signatures[i].targets)
        });
        let all = ViewSet::build(View::Decoded, &signatures, broad)?;
        let mut narrow_by_class = Vec::new();
        for bit in (0..16).map(|b| Targets(1 << b)) {
            if narrow_classes.intersects(bit) {
                let members = narrow
                    .iter()
                    .copied()
                    .filter(|&i| signatures[i].targets.intersects(bit))
                    .collect();
                if let Some(set) = ViewSet::build(View::Decoded, &signatures, members)? {
                    narrow_by_class.push((bit, set));
                }
            }
        }
        let narrow = ViewSet::build(View::Decoded, &signatures, narrow)?;
        let mut views = Vec::new();
        for view in [View::Sql, View::Path, View::Shell, View::Raw] {
            let members = patterns
                .iter()
                .copied()
                .filter(|&i| signatures[i].view == view && !is_narrow(&signatures[i]))
                .collect();
            views.extend(ViewSet::build(view, &signatures, members)?);
        }
        Ok(Self {
            owner: MemoOwner::new(),
            signatures,
            all,
            narrow,
            narrow_by_class,
            narrow_classes,
            views,
            detectors,
            ungated_detectors,
            checks,
            #[cfg(test)]
            reference: std::sync::OnceLock::new(),
        })
    }

    /// The compiled signatures.
    pub(crate) fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// The protocol checks, each with the index of its signature.
    pub(crate) fn checks(&self) -> &Checks {
        &self.checks
    }

    /// Calls `hit(target, signature)` for every signature matching one of
    /// `targets` (possibly more than once). A value that is entirely base64
    /// of printable text is scanned decoded too.
    ///
    /// The stages, one function each, in order:
    ///
    /// 1. [`Self::recall_clean_values`]: with [`Remember::CleanValues`],
    ///    the values this thread found clean under the same location
    ///    classes are skipped ([`super::memo`]).
    /// 2. [`Self::prepare`]: every other value, as each set sees it, joined
    ///    into one text per set ([`JoinedText`]); the structural detectors
    ///    read each decoded value as it is pushed ([`Self::detect`]).
    /// 3. [`walk_side_by_side`]: most texts match nothing. The sets' texts
    ///    (the longest cut in parts, [`balanced_parts`]) are walked side by
    ///    side through built states ([`JointDfa::clean_together`]): a walk
    ///    waits on one memory load per byte, and the walks' loads overlap.
    ///    A text its walk finds clean needs no search.
    /// 4. [`Self::search_part`]: the other texts are searched from where
    ///    their walk stopped, for the end of the first match. No value
    ///    ending before it holds a match, so only the value it ends in is
    ///    scanned on its own, and the search resumes at the next value.
    ///    Where the joint DFA gives up (its [`Budget`] is spent), no match
    ///    ends before that point, and that value is scanned one signature
    ///    at a time.
    /// 5. [`Self::attribute`]: a value is scanned for which signatures
    ///    match it and apply to its location: a match across values, or in
    ///    a value its signature does not apply to (a cookie named `sid`
    ///    against an arguments-only signature), reports nothing. (Asking
    ///    the joined text which signatures matched costs more than it
    ///    saves: the overlapping search cannot stop early.)
    /// 6. [`Self::scan_narrow`]: the signatures for a few specific values
    ///    only are run on those values alone.
    /// 7. [`MemoProbe::remember`]: the values found clean are remembered.
    ///
    /// A clean request costs one walk per set. The answer is the one of a
    /// plain scan, each value's each view searched once per set: the tests
    /// compare the two (`engine/reference.rs`).
    pub(crate) fn scan_all(
        &self,
        targets: &[Target<'_>],
        remember: Remember,
        mut hit: impl FnMut(usize, usize),
    ) {
        #[cfg(test)]
        if reference::scanning_by_reference() {
            return reference::scan(self, targets, hit);
        }
        let probe = self.recall_clean_values(targets, remember);
        // A client's repeated head: every value known clean, nothing to
        // prepare, walk or remember.
        if probe.as_ref().is_some_and(|p| p.knows_all(targets.len())) {
            return;
        }
        // Which values matched, to remember the others.
        let mut matched: SmallVec<[bool; 64]> =
            smallvec::smallvec![false; probe.as_ref().map_or(0, |_| targets.len())];
        let mut hit = |index: usize, sig: usize| {
            if let Some(m) = matched.get_mut(index) {
                *m = true;
            }
            hit(index, sig);
        };
        let known = |index| probe.as_ref().is_some_and(|p| p.known(index));
        let texts = self.prepare(targets, known, &mut hit);
        let mut budget = request_budget();
        let sets = self.sets_with_text(&texts);
        // One cache per set, held for the whole scan: the walks' states are
        // only valid in the caches that built them.
        let mut held: SmallVec<[HeldCache<'_>; SETS]> =
            sets.iter().map(|(_, set)| set.joint.hold()).collect();
        let parts = balanced_parts(&sets, &texts);
        let stops = walk_side_by_side(&mut held, &sets, &texts, &parts);
        for (i, (k, part)) in parts.iter().enumerate() {
            let stop = stops.get(i).copied().unwrap_or(WalkStop::No);
            let scan = RequestScan {
                targets,
                joined: &texts[sets[*k].0],
                budget: &mut budget,
            };
            self.search_part(scan, sets[*k].1, &mut held[*k], part, stop, &mut hit);
        }
        self.scan_narrow(targets, &texts[0], &mut budget, &mut hit);
        recycle(texts);
        if let Some(probe) = probe {
            probe.remember(targets, |i| !matched[i]);
        }
    }

    /// What this thread's memo knows of `targets`, when they are to be
    /// remembered: those it found clean before need no scan.
    fn recall_clean_values(&self, targets: &[Target<'_>], remember: Remember) -> Option<MemoProbe> {
        (remember == Remember::CleanValues).then(|| MemoProbe::new(self.owner, targets))
    }

    /// The sets that have a text to scan, each with the slot of its text
    /// in `texts`: not those with no value, nor those whose text holds
    /// none of the bytes their signatures need.
    fn sets_with_text(&self, texts: &[JoinedText]) -> SmallVec<[SetText<'_>; SETS]> {
        let all = self.all.iter().map(|set| (0, set));
        let views = self.views.iter().enumerate().map(|(i, set)| (i + 1, set));
        all.chain(views)
            .filter(|(slot, set)| {
                let joined = &texts[*slot];
                !joined.spans.is_empty() && set.needs.found_in(&joined.text)
            })
            .collect()
    }

    /// Searches one `part` of a set's joined text (whole values) from where
    /// its walk stopped, and calls `hit(target, signature)` for what the
    /// values holding the match ends apply to: after each, the search
    /// resumes at the next value.
    fn search_part(
        &self,
        scan: RequestScan<'_, '_, '_>,
        set: &ViewSet,
        held: &mut HeldCache<'_>,
        part: &Range<usize>,
        stop: WalkStop,
        hit: &mut dyn FnMut(usize, usize),
    ) {
        let RequestScan {
            targets,
            joined,
            budget,
        } = scan;
        // A part holds whole values: searched on its own, its start and end
        // are seen as the separators around it are.
        let text = &joined.text[part.clone()];
        let mut search = held.resume(text, stop, budget);
        loop {
            let end = match search {
                Search::NoMatch => return,
                Search::Match(end) => end,
                // No match ends before `at`; the value holding it is
                // scanned one signature at a time.
                Search::GaveUp(at) => at,
            };
            let Some((index, range)) = joined.value_ending_at_or_after(part.start + end, part)
            else {
                return; // The match ends in the last separator: across values.
            };
            let value = &joined.text[range.clone()];
            self.attribute(set, held, value, &targets[index], budget, &mut |sig| {
                hit(index, sig);
            });
            let from = range.end + SEPARATOR.len_utf8() - part.start;
            search = held.first_match_end(text, from, budget);
        }
    }

    /// Runs the structural detectors whose signatures apply to `classes`
    /// (those of target `target`) on its decoded `value`, of shape `shape`.
    fn detect(
        &self,
        target: usize,
        classes: Targets,
        value: &str,
        shape: Shape,
        hit: &mut dyn FnMut(usize, usize),
    ) {
        let runs = if shape.may_hold_markup() || shape.may_hold_script() {
            &self.detectors
        } else {
            &self.ungated_detectors
        };
        for run in runs {
            if run.targets.intersects(classes) && detects(run.detector, value, shape) {
                hit(target, run.index);
            }
        }
    }

    /// Runs the narrow signatures on each decoded value (in `decoded`) they
    /// apply to.
    fn scan_narrow(
        &self,
        targets: &[Target<'_>],
        decoded: &JoinedText,
        budget: &mut Budget,
        hit: &mut dyn FnMut(usize, usize),
    ) {
        for span in &decoded.spans {
            if let Some(narrow) = self.narrow_set(span.classes) {
                let (index, value) = (span.target, decoded.text_of(span));
                self.run(narrow, value, &targets[index], budget, &mut |sig| {
                    hit(index, sig);
                });
            }
        }
    }

    /// The narrow signatures to scan a value of `classes` with: those of
    /// its one narrow class, or all of them when it has several.
    fn narrow_set(&self, classes: Targets) -> Option<&ViewSet> {
        let wanted = Targets(classes.0 & self.narrow_classes.0);
        if wanted.0 == 0 {
            return None;
        }
        if wanted.0.is_power_of_two() {
            let by_class = self.narrow_by_class.iter().find(|(bit, _)| *bit == wanted);
            if let Some((_, set)) = by_class {
                return Some(set);
            }
        }
        self.narrow.as_ref()
    }

    /// Every value (and its base64 decoding) as each set sees it, joined
    /// per set: slot 0 for `all` (decoded), then one slot per view set. The
    /// buffers are this thread's last scan's, when it left them
    /// ([`recycle`]). The detectors' matches go to `hit` on the way.
    fn prepare(
        &self,
        targets: &[Target<'_>],
        skip: impl Fn(usize) -> bool,
        hit: &mut dyn FnMut(usize, usize),
    ) -> Vec<JoinedText> {
        // Room for every value once (base64 decodings are shorter), so the
        // buffers do not grow value by value.
        let room = targets.iter().map(|t| t.value.len() + 1).sum::<usize>();
        let mut texts = SCRATCH.try_with(RefCell::take).unwrap_or_default();
        texts.resize_with(self.views.len() + 1, JoinedText::default);
        for joined in &mut texts {
            joined.room = (room, targets.len());
        }
        for (index, target) in targets.iter().enumerate() {
            if skip(index) {
                continue;
            }
            let classes = target.location.classes();
            self.prepare_value(index, classes, &target.value, &mut texts, hit);
            if let Some(text) = transform::base64_text(&target.value) {
                self.prepare_value(index, classes, &text, &mut texts, hit);
            }
        }
        texts
    }

    /// Pushes `raw` (of target `target`, whose location has `classes`) as
    /// each set sees it onto that set's text in `texts`, and runs the
    /// detectors on it decoded ([`Self::detect`]).
    fn prepare_value(
        &self,
        target: usize,
        classes: Targets,
        raw: &str,
        texts: &mut [JoinedText],
        hit: &mut dyn FnMut(usize, usize),
    ) {
        let raw_shape = Shape::of(raw);
        let Some((decoded_texts, view_texts)) = texts.split_first_mut() else {
            return;
        };
        // A value whose decoding only lower-cases it (or, Latin letters
        // its only wide characters, normalises and lower-cases it) is
        // lower-cased straight into the joined text, not into a string of
        // its own.
        let span = Span::of(target, classes);
        let latin = raw_shape
            .latin_only()
            .filter(|_| decoded_texts.push_latin_lowercase(span.clone(), raw));
        let (decoded, shape) = if let Some(shape) = latin {
            (Cow::Borrowed(decoded_texts.last_value()), shape)
        } else if let Some(shape) = raw_shape.lowercased_only() {
            (
                Cow::Borrowed(decoded_texts.push_lowercase(span, raw)),
                shape,
            )
        } else {
            let (decoded, shape) = raw_shape.decode(raw);
            decoded_texts.push(span, &decoded);
            (decoded, shape)
        };
        self.detect(target, classes, &decoded, shape, hit);
        // Most values (names, numbers, words) have no view text at all.
        if raw_shape.unchanged_in_every_view(shape) {
            return;
        }
        for (view_set, joined) in self.views.iter().zip(view_texts) {
            if let Some(text) = view_text(view_set.view, raw, raw_shape, &decoded, shape) {
                joined.push(Span::of(target, classes), &text);
            }
        }
    }

    /// Calls `hit` for every signature of `view_set` matching `text`.
    fn run(
        &self,
        view_set: &ViewSet,
        text: &str,
        target: &Target<'_>,
        budget: &mut Budget,
        hit: &mut dyn FnMut(usize),
    ) {
        // A first pass that stops at the first match costs one scan, and
        // most values match nothing.
        if !view_set.needs.found_in(text) {
            return;
        }
        let mut held = view_set.joint.hold();
        if held.first_match_end(text, 0, budget) != Search::NoMatch {
            self.attribute(view_set, &mut held, text, target, budget, hit);
        }
    }

    /// Calls `hit` for every signature of `view_set` that matches `text`
    /// and applies to its target: those the joint DFA finds, and when it
    /// gives up, the rest tried one by one.
    fn attribute(
        &self,
        view_set: &ViewSet,
        held: &mut HeldCache<'_>,
        text: &str,
        target: &Target<'_>,
        budget: &mut Budget,
        hit: &mut dyn FnMut(usize),
    ) {
        let mut found = PatternSet::new(view_set.members.len());
        let complete = held.which_match(text, budget, &mut found);
        let classes = target.location.classes();
        for (pattern, (single, &index)) in
            view_set.singles.iter().zip(&view_set.members).enumerate()
        {
            // A signature that does not apply to this target is not run.
            if !self.signatures[index].applies_to(classes) {
                continue;
            }
            if found.contains(PatternID::new_unchecked(pattern))
                || (!complete && single.is_match(text))
            {
                hit(index);
            }
        }
    }
}

/// Whether `detector` could find something in a value whose byte classes
/// are `shape`: the XSS and JavaScript detectors find nothing without one
/// of their gates' bytes.
fn could_detect(detector: Detector, shape: Shape) -> bool {
    match detector {
        Detector::SqlTokens | Detector::ShellTokens => true,
        Detector::HtmlTokens => shape.may_hold_markup(),
        Detector::JsTokens => shape.may_hold_script(),
    }
}

/// A signature run by a structural detector: its index in the compiled
/// signatures, its detector, and the location classes it applies to.
#[derive(Debug, Clone, Copy)]
struct DetectorSignature {
    index: usize,
    detector: Detector,
    targets: Targets,
}

/// What `detector` finds in the decoded `value`, whose byte classes are
/// `shape`: the detectors' byte gates read from the shape, not from the
/// value again (each gate's bytes are a class of their own in [`Shape`]).
fn detects(detector: Detector, value: &str, shape: Shape) -> bool {
    match detector {
        Detector::SqlTokens => {
            sql_injection::is_sql_injection_given(value, shape.may_read_as_sql(), |quote| {
                shape.holds_quote(quote)
            })
        }
        Detector::ShellTokens => shell_injection::is_command_injection_given(
            value,
            shape.may_read_as_shell(),
            shape.opens_a_command(),
        ),
        Detector::HtmlTokens | Detector::JsTokens => {
            could_detect(detector, shape) && detector.detects(value)
        }
    }
}

/// Whether a scan skips the values this thread found clean before and
/// remembers those it finds clean ([`super::memo`]): for the head's values, which
/// a client repeats from request to request, not for the body's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Remember {
    /// Skip the values known clean, remember those found clean.
    CleanValues,
    /// Scan every value, remember none.
    Nothing,
}

/// A set with a text to scan: the slot of its joined text (0 for the
/// decoded values, then one per view set) and the set.
type SetText<'c> = (usize, &'c ViewSet);

/// Room on the stack for the sets of one scan (the decoded values' and one
/// per view: five) and what is kept per set: a scan allocates no vector
/// for them.
const SETS: usize = 8;

/// The parts of the sets' texts a scan walks ([`balanced_parts`]).
type Parts = SmallVec<[(usize, Range<usize>); SETS]>;

/// What the searches of one request share: its values, the joined text
/// being searched, and what is left of the budget for building states.
struct RequestScan<'r, 't, 'v> {
    targets: &'r [Target<'v>],
    joined: &'r JoinedText,
    budget: &'t mut Budget,
}

/// Walks the `parts` of the sets' texts side by side (the first
/// [`TOGETHER`] of them), each on its set's cache in `held`: where each
/// walk stopped, for the search to go on from ([`WalkStop::No`] for the
/// parts not walked). A single part is not walked: its search does it.
fn walk_side_by_side(
    held: &mut [HeldCache<'_>],
    sets: &[SetText<'_>],
    texts: &[JoinedText],
    parts: &[(usize, Range<usize>)],
) -> [WalkStop; TOGETHER] {
    if parts.len() <= 1 {
        return [WalkStop::No; TOGETHER];
    }
    let walks: SmallVec<[(usize, &str); SETS]> = parts
        .iter()
        .map(|(k, range)| (*k, &texts[sets[*k].0].text[range.clone()]))
        .collect();
    JointDfa::clean_together(held, &walks)
}

/// The parts of the texts to walk side by side, each the index in
/// `sets` (a set and the slot of its joined text) and a range of that
/// text: each text whole, then, while there are fewer than
/// [`TOGETHER`], the longest cut at the value start nearest its middle
/// (each part whole values, and at least [`PART_MIN`] bytes), so that more
/// walks go together.
fn balanced_parts(sets: &[SetText<'_>], texts: &[JoinedText]) -> Parts {
    let mut parts: Parts = sets
        .iter()
        .enumerate()
        .map(|(k, &(slot, _))| (k, 0..texts[slot].text.len()))
        .collect();
    while parts.len() < TOGETHER {
        // The longest part that has a value start far enough from its ends.
        let cut = parts
            .iter()
            .enumerate()
            .filter_map(|(i, (k, range))| {
                // Too short to leave PART_MIN bytes on both sides of a cut.
                if range.len() < 2 * PART_MIN {
                    return None;
                }
                let middle = range.start + range.len() / 2;
                let spans = &texts[sets[*k].0].spans;
                let next = spans.partition_point(|span| span.range.start < middle);
                [next.checked_sub(1), Some(next)]
                    .into_iter()
                    .flatten()
                    .filter_map(|j| spans.get(j).map(|span| span.range.start))
                    .filter(|&at| at >= range.start + PART_MIN && at + PART_MIN <= range.end)
                    .min_by_key(|&at| at.abs_diff(middle))
                    .map(|at| (i, at, range.len()))
            })
            .max_by_key(|&(_, _, len)| len);
        let Some((i, at, _)) = cut else {
            break;
        };
        let (k, range) = parts[i].clone();
        parts[i].1 = range.start..at;
        parts.push((k, at..range.end));
    }
    // In the order of the sets and, in each, of the text: the searches then
    // report what one search per set would, in the same order.
    parts.sort_by_key(|(k, range)| (*k, range.start));
    parts
}

/// The shortest part [`balanced_parts`] cuts: shorter ones save less than
/// a walk of their own costs.
const PART_MIN: usize = 64;

/// Whether sets skip the texts that hold none of their bytes (always, but
/// in the test that compares the engine with and without the skip).
fn skipping_on() -> bool {
    #[cfg(test)]
    return SKIPPING.with(std::cell::Cell::get);
    #[cfg(not(test))]
    true
}

#[cfg(test)]
thread_local! {
    pub(super) static SKIPPING: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// What one request may spend building joint DFA states (in tests, what
/// `BUDGET` says when it is set).
fn request_budget() -> Budget {
    #[cfg(test)]
    if let Some(time) = BUDGET.with(std::cell::Cell::get) {
        return Budget::new(time);
    }
    Budget::new(BUILDING_PER_REQUEST)
}

#[cfg(test)]
thread_local! {
    /// The tests' override of [`BUILDING_PER_REQUEST`].
    pub(super) static BUDGET: std::cell::Cell<Option<std::time::Duration>> =
        const { std::cell::Cell::new(None) };
}

thread_local! {
    /// The joined texts of this thread's last scan, emptied, for the next
    /// one: a form's take a few kilobytes, and allocating and freeing them
    /// at every request made glibc consolidate its free lists each time.
    static SCRATCH: RefCell<Vec<JoinedText>> = const { RefCell::new(Vec::new()) };
}

/// A joined text whose buffers grew past this many bytes is not kept for
/// the next scan (a large body's would stay allocated in every worker
/// thread).
const SCRATCH_KEPT: usize = 64 << 10;

/// Empties `texts` and keeps them for this thread's next scan.
fn recycle(mut texts: Vec<JoinedText>) {
    texts.retain(|joined| {
        let spans = joined.spans.capacity() * std::mem::size_of::<Span>();
        joined.text.capacity() + spans <= SCRATCH_KEPT
    });
    for joined in &mut texts {
        joined.text.clear();
        joined.spans.clear();
    }
    // A thread being torn down keeps nothing.
    let _ = SCRATCH.try_with(|scratch| scratch.replace(texts));
}

/// One value of a [`JoinedText`].
#[derive(Clone)]
struct Span {
    /// The index of the target it came from.
    target: usize,
    /// Where it is in the joined text.
    range: Range<usize>,
    /// The location classes of its target: which signatures apply.
    classes: Targets,
}

impl Span {
    /// A span of target `target`, its range set when pushed.
    fn of(target: usize, classes: Targets) -> Self {
        Self {
            target,
            range: 0..0,
            classes,
        }
    }
}

/// The text one set scans: the values joined by [`SEPARATOR`] (each
/// followed by one), with the target each came from and its range.
#[derive(Default)]
struct JoinedText {
    text: String,
    spans: Vec<Span>,
    /// Capacity to take at the first push (most views get no value).
    room: (usize, usize),
}

impl JoinedText {
    /// Pushes `value` as `span` says (its range set here).
    #[inline]
    fn push(&mut self, mut span: Span, value: &str) {
        if self.spans.is_empty() {
            self.text.reserve(self.room.0.max(value.len() + 1));
            self.spans.reserve(self.room.1);
        }
        let start = self.text.len();
        self.text.push_str(value);
        span.range = start..self.text.len();
        self.spans.push(span);
        self.text.push(SEPARATOR);
    }

    /// Pushes `value` with its ASCII letters lower-cased (the span's shape:
    /// the classes of the result), and returns it as pushed.
    fn push_lowercase(&mut self, span: Span, value: &str) -> &str {
        self.push(span, value);
        let range = self.spans.last().map_or(0..0, |span| span.range.clone());
        let pushed = &mut self.text[range];
        pushed.make_ascii_lowercase();
        pushed
    }

    /// Pushes `value` as the Latin pass decodes it
    /// ([`transform::lowercase_latin_in_place`]): `false`, and nothing
    /// pushed, when the pass does not handle it.
    fn push_latin_lowercase(&mut self, span: Span, value: &str) -> bool {
        self.push(span, value);
        let range = self.spans.last().map_or(0..0, |span| span.range.clone());
        if transform::lowercase_latin_in_place(&mut self.text, range.clone()) {
            return true;
        }
        self.text.truncate(range.start);
        self.spans.pop();
        false
    }

    /// The text of the value pushed last.
    fn last_value(&self) -> &str {
        self.spans.last().map_or("", |span| self.text_of(span))
    }

    /// The first value (its target and range) ending at or after offset
    /// `end` within `part`; `None` when that is the separator ending the
    /// part (a match there runs across values).
    fn value_ending_at_or_after(
        &self,
        end: usize,
        part: &Range<usize>,
    ) -> Option<(usize, Range<usize>)> {
        let first = self.spans.partition_point(|span| span.range.end < end);
        self.spans
            .get(first)
            .filter(|span| span.range.end < part.end)
            .map(|span| (span.target, span.range.clone()))
    }

    /// The text of one of this text's spans.
    fn text_of(&self, span: &Span) -> &str {
        &self.text[span.range.clone()]
    }
}

/// The value as one view sees it, or `None` when that view needs no scan
/// of its own (its rewrite changed nothing, or a raw value has no escapes).
/// `raw_shape` and `shape` are the shapes of `raw` and `decoded`: a rewrite
/// they prove would change nothing is not run.
fn view_text<'a>(
    view: View,
    raw: &'a str,
    raw_shape: Shape,
    decoded: &'a str,
    shape: Shape,
) -> Option<Cow<'a, str>> {
    let text = match view {
        View::Raw => return raw_shape.raw_escaped(raw).then_some(Cow::Borrowed(raw)),
        View::Sql if shape.sql_may_change(decoded) => {
            let text = apply(Cow::Borrowed(decoded), transform::remove_sql_comments);
            apply(text, transform::compress_whitespace)
        }
        View::Path if shape.path_may_change() => {
            apply(Cow::Borrowed(decoded), transform::normalise_path)
        }
        // The shape saw one of the characters shell_normalise looks for.
        View::Shell if shape.shell_may_change() => {
            apply(Cow::Borrowed(decoded), transform::shell_rewrite)
        }
        View::Decoded | View::Sql | View::Path | View::Shell => return None,
    };
    matches!(text, Cow::Owned(_)).then_some(text)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::waf::target::Location;

    proptest! {
        #[test]
        fn shape_shortcuts_change_no_text(
            raw in "[a-zA-Z0-9 %&+#;:x\\\\'\"^$,/*.\t\n\r\u{0}\u{7f}{}()|`@éÉŸİßĳ\u{301}’Ｓ\u{a0}\u{3000}\u{2028}\u{1680}\u{85}]{0,24}"
        ) {
            let raw_shape = Shape::of(&raw);
            let (decoded, shape) = raw_shape.decode(&raw);
            prop_assert_eq!(&decoded, &transform::decode_all(&raw));
            prop_assert_eq!(shape, Shape::of(&decoded));
            let unchanged = raw_shape.unchanged_in_every_view(shape);
            for view in View::ALL {
                let text = reference::view_text(view, &raw, &decoded);
                prop_assert!(!(unchanged && text.is_some()), "{:?} in {:?}", raw, view);
                prop_assert_eq!(view_text(view, &raw, raw_shape, &decoded, shape), text);
            }
        }
    }

    proptest! {
        /// Values of plain words with at most a few bytes a view reacts
        /// to: a value the shapes say no view changes has no view text.
        #[test]
        fn values_no_view_changes_have_no_view_text(
            raw in "([a-zA-Z1-9.@:-]{0,4}( |  |/|\\*|/\\*|%|%41|0|0x|\t|'|,|\\\\|é|é |É|İ|e\u{301}|\u{a0}|\u{2028}|\u{1680}|&amp;)?){0,6}"
        ) {
            let raw_shape = Shape::of(&raw);
            let (decoded, shape) = raw_shape.decode(&raw);
            if raw_shape.unchanged_in_every_view(shape) {
                for view in View::ALL {
                    let text = reference::view_text(view, &raw, &decoded);
                    prop_assert!(text.is_none(), "{:?} in {:?}", raw, view);
                }
            }
        }
    }

    proptest! {
        /// A value the Latin pass takes is pushed as `decode_all` reads
        /// it, after other values; one it does not take leaves the joined
        /// text as it was.
        #[test]
        fn latin_values_are_pushed_as_decoded(
            before in "[a-zA-Zé]{0,4}",
            raw in "([a-zA-Z ,.'%&]{0,6}[éÉÿŸßıİĳŉſ\u{a0}\u{301}Ｓ\u{0}]?){0,5}"
        ) {
            let mut joined = JoinedText::default();
            joined.push(Span::of(0, Targets(1)), &before);
            let pushed = joined.text.clone();
            let Some(shape) = Shape::of(&raw).latin_only() else {
                return Ok(());
            };
            if joined.push_latin_lowercase(Span::of(1, Targets(1)), &raw) {
                let decoded = transform::decode_all(&raw);
                prop_assert_eq!(joined.last_value(), decoded.as_ref());
                prop_assert_eq!(shape, Shape::of(joined.last_value()));
                prop_assert_eq!(joined.spans.len(), 2);
                prop_assert!(joined.text.starts_with(&pushed));
            } else {
                prop_assert_eq!(&joined.text, &pushed);
                prop_assert_eq!(joined.spans.len(), 1);
                prop_assert!(transform::lowercase_latin(&raw).is_none());
            }
        }
    }

    /// A decoded value and its shape, as [`Compiled::prepare_value`]
    /// pushes them.
    fn prepared(raw: &str) -> (String, Shape) {
        let raw_shape = Shape::of(raw);
        if let Some(shape) = raw_shape.lowercased_only() {
            return (raw.to_ascii_lowercase(), shape);
        }
        let (decoded, shape) = raw_shape.decode(raw);
        (decoded.into_owned(), shape)
    }

    /// Every detector's answer on `raw`, decoded, read with its shape
    /// ([`detects`]) and without (the detector's own gates).
    fn answers_with_and_without_shape(raw: &str) -> ([bool; 4], [bool; 4]) {
        let (decoded, shape) = prepared(raw);
        let detectors = [
            Detector::SqlTokens,
            Detector::HtmlTokens,
            Detector::ShellTokens,
            Detector::JsTokens,
        ];
        (
            detectors.map(|d| detects(d, &decoded, shape)),
            detectors.map(|d| d.detects(&decoded)),
        )
    }

    proptest! {
        /// The detectors' gates read from the shape let in every value the
        /// detectors flag: random text of the bytes the gates look for.
        #[test]
        fn detectors_given_the_shape_answer_as_they_do_alone(
            raw in "[a-zA-Z0-9 %&+#;:=\\\\'\"^$,/*.\t\n\r\u{0}{}()\\[\\]|`<>@éÜİ¼-]{0,32}"
        ) {
            let (with_shape, alone) = answers_with_and_without_shape(&raw);
            prop_assert_eq!(with_shape, alone, "{:?}", raw);
        }
    }

    /// The same on the attack generators' payloads (every family), as sent
    /// and URL-encoded, alone and after a word: the gates let through
    /// every one the detectors flag.
    #[test]
    fn detectors_given_the_shape_answer_as_they_do_alone_on_generated_attacks() {
        let mut flagged = 0;
        for attack in crate::waf::sql_injection::generated::attacks(21, 150) {
            let encoded = attack
                .payload
                .replace('%', "%25")
                .replace(' ', "%20")
                .replace('\'', "%27");
            for raw in [
                attack.payload.clone(),
                format!("Ann {}", attack.payload),
                encoded,
            ] {
                let (with_shape, alone) = answers_with_and_without_shape(&raw);
                assert_eq!(with_shape, alone, "{raw:?}");
                flagged += alone.iter().filter(|&&hit| hit).count();
            }
        }
        assert!(flagged > 1000, "the detectors flag the attacks ({flagged})");
    }

    /// The signatures of a TOML text, compiled.
    fn compile(toml: &str) -> Compiled {
        Compiled::new(Signature::parse_toml(toml, "t.toml").unwrap()).unwrap()
    }

    fn arg() -> Location<'static> {
        Location::Arg("q".into())
    }

    fn cookie() -> Location<'static> {
        Location::Cookie("c".into())
    }

    fn ids(compiled: &Compiled, location: Location<'_>, value: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let target = Target {
            location,
            value: value.into(),
        };
        compiled.scan_all(&[target], Remember::Nothing, |_, i| {
            out.push(compiled.signatures()[i].id);
        });
        out
    }

    /// Hits as (value index, id) when all of `values` are scanned together.
    fn hits(compiled: &Compiled, values: Vec<(Location<'static>, &str)>) -> Vec<(usize, u32)> {
        let targets: Vec<Target<'_>> = values
            .into_iter()
            .map(|(location, value)| Target {
                location,
                value: value.into(),
            })
            .collect();
        let mut out = Vec::new();
        compiled.scan_all(&targets, Remember::Nothing, |index, i| {
            out.push((index, compiled.signatures()[i].id));
        });
        out.sort_unstable();
        out.dedup();
        out
    }

    #[test]
    fn joined_matches_are_attributed_to_values_they_apply_to() {
        let compiled = compile(
            r#"
[[signature]]
id = 1
family = "sqli"
paranoia = 1
message = "cookie word"
targets = ["cookies"]
pattern = "evil"
[[signature]]
id = 2
family = "sqli"
paranoia = 1
message = "arg word"
targets = ["args"]
pattern = "bad"
"#,
        );
        // "evil" in an argument alone matches the joined text but no value.
        assert!(hits(&compiled, vec![(cookie(), "fine"), (arg(), "evil")]).is_empty());
        assert_eq!(
            hits(
                &compiled,
                vec![(arg(), "evil"), (cookie(), "bad evil"), (arg(), "so bad")]
            ),
            [(1, 1), (2, 2)]
        );
    }

    #[test]
    fn text_anchors_match_every_value_of_a_joined_request() {
        let compiled = compile(
            r#"
[[signature]]
id = 1
family = "generic"
paranoia = 1
message = "whole value"
pattern = '\Aadmin\z'
"#,
        );
        let values = vec![(arg(), "a"), (arg(), "admin"), (arg(), "administrator")];
        assert_eq!(hits(&compiled, values), [(1, 1)]);
    }

    #[test]
    fn a_spurious_match_early_hides_no_later_one() {
        let compiled = compile(
            r#"
[[signature]]
id = 1
family = "sqli"
paranoia = 1
message = "arg word"
targets = ["args"]
pattern = "bad"
"#,
        );
        // "b" and "ad" hold no match; a cookie does, then arguments.
        let values = vec![
            (arg(), "b"),
            (arg(), "ad"),
            (cookie(), "bad"),
            (arg(), "ok"),
            (arg(), "bad bad"),
            (arg(), "bad"),
        ];
        assert_eq!(hits(&compiled, values), [(4, 1), (5, 1)]);
    }

    #[test]
    fn long_texts_are_cut_in_parts_of_whole_values() {
        let compiled = compile(
            "[[signature]]\nid = 1\nfamily = \"xss\"\nparanoia = 1\nmessage = \"m\"\npattern = \"<x\"\n",
        );
        let set = compiled.all.as_ref().unwrap();
        let joined = |lengths: &[usize]| {
            let mut joined = JoinedText::default();
            for (i, &n) in lengths.iter().enumerate() {
                joined.push(Span::of(i, Targets::ARGS), &"v".repeat(n));
            }
            joined
        };
        // One text of six values, another of one.
        let texts = [joined(&[100, 100, 30, 100, 100, 100]), joined(&[500])];
        let parts = balanced_parts(&[(0, set), (1, set)], &texts);
        // The longest part that can be cut is, at the value start nearest
        // its middle, while there are fewer than four parts and both sides
        // keep 64 bytes: the one value of the second text is not.
        assert_eq!(
            parts[..],
            [(0, 0..233), (0, 233..334), (0, 334..536), (1, 0..501)]
        );
        for (k, range) in &parts {
            let text = &texts[*k].text;
            assert!(range.start == 0 || text.as_bytes()[range.start - 1] == 0);
            assert_eq!(text.as_bytes()[range.end - 1], 0);
        }
        // A value is never cut, nor a part shorter than 64 bytes made.
        let texts = [joined(&[1000]), joined(&[40, 40])];
        let parts = balanced_parts(&[(0, set), (1, set)], &texts);
        assert_eq!(parts[..], [(0, 0..1001), (1, 0..82)]);
    }

    #[test]
    fn views_and_targets_filter_hits() {
        let compiled = compile(
            r#"
[[signature]]
id = 942_001
family = "sqli"
paranoia = 1
message = "union select"
view = "sql"
pattern = "union select"
[[signature]]
id = 913_001
family = "scanner"
paranoia = 1
message = "scanner"
targets = ["user-agent"]
pattern = "sqlmap"
"#,
        );
        assert_eq!(ids(&compiled, arg(), "UNION/**/%53ELECT"), [942_001]);
        assert!(ids(&compiled, arg(), "sqlmap").is_empty());
        assert_eq!(
            ids(
                &compiled,
                Location::Header("User-Agent".into()),
                "sqlmap/1.0"
            ),
            [913_001]
        );
    }
}
