//! The plain reference scanner: the oracle the engine is compared with.
//!
//! Each value (and its base64 decoding) is decoded in full
//! ([`transform::decode_all`]), each view's rewrite is run in full (no
//! shape shortcuts), and each text is searched once per signature set for
//! every signature matching somewhere in it: no memo, no joined texts, no
//! walks, no parts, no building budget, no skipping on needed bytes. The
//! sets are those of [`Compiled`] (every broad signature on the decoded
//! value, each view's on its rewrite, the narrow ones on the decoded
//! value), and the hits come in the order the engine gives them: set by
//! set, value by value, signature by signature.
//!
//! [`scan`] takes the engine's place in `Waf::evaluate` while
//! [`BY_REFERENCE`] is set, so that reports are compared whole.

use std::borrow::Cow;
use std::cell::Cell;
use std::sync::OnceLock;

use proptest::prelude::*;
use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind, PatternSet};

use super::{pattern, transform, Compiled, Signature, Target, View, SEPARATOR, SIZE_LIMIT};
use crate::waf::target::Targets;
use crate::waf::{Report, Request, Waf, WafConfig};

thread_local! {
    /// Whether this thread's scans go through the reference scanner.
    static BY_REFERENCE: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread's scans go through the reference scanner.
pub(super) fn scanning_by_reference() -> bool {
    BY_REFERENCE.with(Cell::get)
}

/// One signature set: the view whose text it searches, every member's
/// pattern in one automaton, and the index of each member.
#[derive(Debug)]
struct ReferenceSet {
    view: View,
    all: Regex,
    members: Vec<usize>,
}

/// The reference scanner of one compiled signature set.
#[derive(Debug)]
pub(super) struct Reference {
    /// The broad signatures on the decoded value, then each view's.
    sets: Vec<ReferenceSet>,
    /// The narrow signatures, on the decoded value.
    narrow: Option<ReferenceSet>,
}

impl Reference {
    /// Compiles the sets of `signatures` as [`Compiled::new`] splits them.
    pub(super) fn new(signatures: &[Signature]) -> Self {
        let is_narrow =
            |s: &Signature| s.view != View::Raw && !s.targets.intersects(Targets::BROAD);
        let set = |view: View, keep: &dyn Fn(&Signature) -> bool| {
            let members: Vec<usize> = (0..signatures.len())
                .filter(|&i| {
                    let s = &signatures[i];
                    s.detector.is_none() && s.check.is_none() && keep(s)
                })
                .collect();
            (!members.is_empty()).then(|| ReferenceSet::new(view, signatures, members))
        };
        let broad = set(View::Decoded, &|s| s.view != View::Raw && !is_narrow(s));
        let views = [View::Sql, View::Path, View::Shell, View::Raw]
            .into_iter()
            .filter_map(|view| set(view, &|s| s.view == view && !is_narrow(s)));
        Self {
            sets: broad.into_iter().chain(views).collect(),
            narrow: set(View::Decoded, &|s| is_narrow(s)),
        }
    }
}

impl ReferenceSet {
    fn new(view: View, signatures: &[Signature], members: Vec<usize>) -> Self {
        let patterns: Vec<String> = members
            .iter()
            .map(|&i| format!("(?m:{})", pattern::for_automata(&signatures[i].pattern)))
            .collect();
        let config = meta::Config::new()
            .match_kind(MatchKind::All)
            .line_terminator(SEPARATOR as u8)
            .nfa_size_limit(Some(SIZE_LIMIT))
            .hybrid_cache_capacity(64 << 20);
        let all = meta::Builder::new()
            .configure(config)
            .syntax(
                syntax::Config::new()
                    .utf8(true)
                    .line_terminator(SEPARATOR as u8),
            )
            .build_many(&patterns)
            .unwrap_or_else(|e| panic!("{view:?}: {e}"));
        Self { view, all, members }
    }

    /// Calls `hit(signature)` for every member matching `text` that
    /// applies to `classes`, in member order.
    fn search(
        &self,
        signatures: &[Signature],
        text: &str,
        classes: Targets,
        hit: &mut dyn FnMut(usize),
    ) {
        let mut found = PatternSet::new(self.members.len());
        self.all
            .which_overlapping_matches(&Input::new(text), &mut found);
        for pattern in found.iter() {
            let index = self.members[pattern.as_usize()];
            if signatures[index].applies_to(classes) {
                hit(index);
            }
        }
    }
}

/// A value as it is searched, each form as sent and decoded.
type Forms = Vec<(String, String)>;

/// A value as it is searched: the value itself, then its base64
/// decoding when it has one, each with its full decoding.
fn forms(raw: &str) -> Forms {
    let mut forms = vec![raw.to_owned()];
    forms.extend(transform::base64_text(raw));
    forms
        .into_iter()
        .map(|raw| {
            let decoded = transform::decode_all(&raw).into_owned();
            (raw, decoded)
        })
        .collect()
}

/// The text a rewriting `view` (or raw) searches for a value, `None` when
/// that view has no scan of its own for it (its rewrite changes nothing,
/// or a raw value has no escapes): every rewrite run in full, with none of
/// the engine's shortcuts.
pub(super) fn view_text<'a>(view: View, raw: &'a str, decoded: &'a str) -> Option<Cow<'a, str>> {
    let text = match view {
        View::Decoded => return None,
        View::Raw => {
            let escaped =
                raw.bytes().any(|b| b == b'%' || b < 0x20 || b == 0x7f) || raw.contains("0x");
            return escaped.then_some(Cow::Borrowed(raw));
        }
        View::Sql => {
            let text = transform::apply(Cow::Borrowed(decoded), transform::remove_sql_comments);
            transform::apply(text, transform::compress_whitespace)
        }
        View::Path => transform::apply(Cow::Borrowed(decoded), transform::normalise_path),
        View::Shell => transform::apply(Cow::Borrowed(decoded), transform::shell_normalise),
    };
    matches!(text, Cow::Owned(_)).then_some(text)
}

/// Calls `hit(target, signature)` for every signature of `compiled`
/// matching one of `targets`, the plain way.
pub(super) fn scan(compiled: &Compiled, targets: &[Target<'_>], mut hit: impl FnMut(usize, usize)) {
    let reference = compiled
        .reference
        .get_or_init(|| Reference::new(compiled.signatures()));
    let signatures = compiled.signatures();
    let values: Vec<(usize, Targets, Forms)> = targets
        .iter()
        .enumerate()
        .map(|(index, t)| (index, t.location.classes(), forms(&t.value)))
        .collect();
    // The detectors first, value by value, as the engine runs them.
    for (index, classes, forms) in &values {
        for (_, decoded) in forms {
            for (sig, signature) in signatures.iter().enumerate() {
                let detects = signature.detector.is_some_and(|d| d.detects(decoded));
                if detects && signature.applies_to(*classes) {
                    hit(*index, sig);
                }
            }
        }
    }
    for set in reference.sets.iter().chain(&reference.narrow) {
        for (index, classes, forms) in &values {
            for (raw, decoded) in forms {
                let text = match set.view {
                    View::Decoded => Some(Cow::Borrowed(decoded.as_str())),
                    view => view_text(view, raw, decoded),
                };
                if let Some(text) = text {
                    set.search(signatures, &text, *classes, &mut |sig| hit(*index, sig));
                }
            }
        }
    }
}

/// The report of the plain reference scanner.
fn by_reference(waf: &Waf, req: &Request<'_>) -> Report {
    BY_REFERENCE.with(|on| on.set(true));
    let report = waf.evaluate(req);
    BY_REFERENCE.with(|on| on.set(false));
    report
}

/// The WAFs at paranoia 1 and 4, built once for every case.
fn wafs() -> &'static [(u8, Waf); 2] {
    static WAFS: OnceLock<[(u8, Waf); 2]> = OnceLock::new();
    WAFS.get_or_init(|| {
        [1, 4].map(|paranoia| {
            let config = WafConfig::default().paranoia(paranoia);
            (paranoia, Waf::new(config).unwrap())
        })
    })
}

#[test]
fn the_reference_finds_an_injection_where_it_is() {
    let (_, waf) = &wafs()[0];
    let req = Request::from_target("GET", "/items?id=1%27%20OR%20%271%27=%271");
    let report = by_reference(waf, &req);
    assert!(report.score() >= 5, "{report:?}");
    assert!(report.matches().iter().all(|m| m.location == "ARGS:id"));
    assert_eq!(report, waf.evaluate(&req));
}

/// Every report of the benign corpus and, when it is there, the CRS
/// one, asked twice (the second time with the memo and the states of
/// the first), is the reference's, at paranoia 1 and 4.
#[test]
fn the_engine_reports_what_the_reference_does_on_the_corpora() {
    let requests = crate::waf::tests::corpora();
    let mut matched = 0;
    for (paranoia, waf) in wafs() {
        for req in &requests {
            let expected = by_reference(waf, req);
            for round in 0..2 {
                let report = waf.evaluate(req);
                assert_eq!(report, expected, "PL{paranoia}, round {round}: {req:?}");
            }
            matched += expected.matches().len();
        }
    }
    assert!(
        matched > 1000,
        "the corpora exercise the signatures ({matched} matches)"
    );
}

/// Pieces of attacks and of ordinary values, to draw values from.
const PIECES: &[&str] = &[
    "1' or '1'='1",
    "union select",
    "UNION/**/SELECT",
    "<script>",
    "alert(1)",
    "javascript:",
    "../../etc/passwd",
    "%2e%2e%2f",
    ";cat /etc/passwd",
    "$(id)",
    "${jndi:ldap://x}",
    "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "sleep(5)",
    "%27",
    "0x41",
    "admin",
    "hello world",
    "text/html",
    " ",
];

/// A value: pieces and random characters, in any order.
fn value() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        prop::sample::select(PIECES).prop_map(str::to_owned),
        "[a-zA-Z0-9 %'\"<>()=;:/\\\\.*&|$`#+-]{0,12}",
    ];
    prop::collection::vec(piece, 0..5).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A random request gets the reference's report at paranoia 1 and
    /// 4, asked once and again (with the memo and the states of the
    /// first).
    #[test]
    fn the_engine_reports_what_the_reference_does_on_random_requests(
        path in value(),
        args in prop::collection::vec(value(), 0..4),
        header in value(),
        cookie in value(),
        body in value(),
    ) {
        let query: Vec<String> = args
            .iter()
            .enumerate()
            .map(|(i, v)| format!("a{i}={}", v.replace(['&', '#'], "")))
            .collect();
        let req = Request::new("POST", format!("/{}", path.replace(['?', '#'], "")))
            .query(query.join("&"))
            .header("Referer", header)
            .cookie("c", cookie)
            .body("text/plain", body);
        for (paranoia, waf) in wafs() {
            let expected = by_reference(waf, &req);
            for round in 0..2 {
                prop_assert_eq!(waf.evaluate(&req), expected.clone(), "PL{} round {}", paranoia, round);
            }
        }
    }
}
