//! The compiled matcher: linear-time automata (`regex::RegexSet`) holding
//! every active signature, so a value is scanned once, not once per
//! signature.
//!
//! One automaton holds all signatures and runs on the decoded value. A view
//! that rewrites the value further (SQL comments, paths, shell quoting) runs
//! its own signatures again on the rewritten text, but only when the rewrite
//! changed something; the raw view runs only on values carrying escapes or
//! control characters. A plain value therefore costs a single scan.

use std::borrow::Cow;

use regex::{RegexSet, RegexSetBuilder};

use super::signatures::{Signature, View};
use super::target::{Target, Targets};
use super::transform::{self, apply};
use super::WafError;

/// Compiled automata size limit and lazy DFA cache per set (the defaults
/// are too small for a few hundred alternations and would fall back to a
/// much slower engine).
const SIZE_LIMIT: usize = 256 << 20;

/// Joins the values of a request for the prefilter; also its line
/// terminator, so `^` and `$` match at every value's start and end. Decoded
/// values never contain it (NUL is removed by the Unicode step).
const SEPARATOR: char = '\0';

/// The active signatures compiled for scanning. Immutable once built.
#[derive(Debug)]
pub(crate) struct Compiled {
    signatures: Vec<Signature>,
    /// Every signature but the raw ones, on the decoded value.
    all: Option<ViewSet>,
    /// Per rewriting view (and raw), that view's own signatures.
    views: Vec<ViewSet>,
}

#[derive(Debug)]
struct ViewSet {
    view: View,
    set: RegexSet,
    /// The same patterns in multi-line mode, run once over every value of a
    /// request joined by newlines: no match there means no match in any value.
    prefilter: RegexSet,
    /// Index in `signatures` of each pattern of `set`.
    members: Vec<usize>,
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
        let compile = |patterns: Vec<String>| {
            RegexSetBuilder::new(patterns)
                .line_terminator(SEPARATOR as u8)
                .size_limit(SIZE_LIMIT)
                .dfa_size_limit(SIZE_LIMIT)
                .build()
                .map_err(|source| WafError::Compile {
                    view: format!("{view:?}"),
                    source,
                })
        };
        let set = compile(
            members
                .iter()
                .map(|&i| signatures[i].pattern.clone())
                .collect(),
        )?;
        let prefilter = compile(
            members
                .iter()
                .map(|&i| format!("(?m:{})", signatures[i].pattern))
                .collect(),
        )?;
        Ok(Some(Self {
            view,
            set,
            prefilter,
            members,
        }))
    }
}

impl Compiled {
    /// Compiles `signatures` (already filtered by paranoia and disabled ids).
    pub(crate) fn new(signatures: Vec<Signature>) -> Result<Self, WafError> {
        let decoded: Vec<usize> = (0..signatures.len())
            .filter(|&i| signatures[i].view != View::Raw)
            .collect();
        let all = ViewSet::build(View::Decoded, &signatures, decoded)?;
        let mut views = Vec::new();
        for view in [View::Sql, View::Path, View::Shell, View::Raw] {
            let members = (0..signatures.len())
                .filter(|&i| signatures[i].view == view)
                .collect();
            views.extend(ViewSet::build(view, &signatures, members)?);
        }
        Ok(Self {
            signatures,
            all,
            views,
        })
    }

    /// The compiled signatures.
    pub(crate) fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// Calls `hit(target, signature)` for every signature matching one of
    /// `targets` (possibly more than once). A value that is entirely base64
    /// of printable text is scanned decoded too.
    ///
    /// Each view's values are first joined and scanned once by the
    /// prefilter; only a view whose prefilter matched is scanned value by
    /// value, to attribute matches to locations. A clean request costs one
    /// scan per view.
    pub(crate) fn scan_all(&self, targets: &[Target<'_>], mut hit: impl FnMut(usize, usize)) {
        let prepared = self.prepare(targets);
        let sets = self.all.iter().chain(&self.views);
        for (slot, view_set) in sets.enumerate() {
            let texts: Vec<(usize, &str)> = prepared
                .iter()
                .filter_map(|p| p.texts[slot].as_deref().map(|t| (p.target, t)))
                .collect();
            let Some(wanted) = self.prefilter(view_set, &texts) else {
                continue;
            };
            for (index, text) in texts {
                let target = &targets[index];
                if wanted.intersects(target.location.classes()) {
                    self.run(view_set, text, target, &mut |sig| hit(index, sig));
                }
            }
        }
    }

    /// Scans the joined texts once; `None` when nothing can match, else the
    /// target classes the matching signatures apply to.
    fn prefilter(&self, view_set: &ViewSet, texts: &[(usize, &str)]) -> Option<Targets> {
        if texts.is_empty() {
            return None;
        }
        let mut joined = String::with_capacity(texts.iter().map(|(_, t)| t.len() + 1).sum());
        for (_, text) in texts {
            joined.push_str(text);
            joined.push(SEPARATOR);
        }
        let matches = view_set.prefilter.matches(&joined);
        let classes = matches.iter().fold(Targets::default(), |acc, p| {
            acc.union(self.signatures[view_set.members[p]].targets)
        });
        matches.matched_any().then_some(classes)
    }

    /// Every value (and its base64 decoding) as each set sees it: slot 0 for
    /// `all` (decoded), then one slot per view set.
    fn prepare(&self, targets: &[Target<'_>]) -> Vec<Prepared> {
        let mut out = Vec::with_capacity(targets.len());
        for (index, target) in targets.iter().enumerate() {
            out.push(self.prepare_value(index, &target.value));
            if let Some(text) = transform::base64_text(&target.value) {
                out.push(self.prepare_value(index, &text));
            }
        }
        out
    }

    fn prepare_value(&self, target: usize, raw: &str) -> Prepared {
        let decoded = transform::decode_all(raw).into_owned();
        let mut texts = Vec::with_capacity(1 + self.views.len());
        texts.push(self.all.as_ref().map(|_| decoded.clone()));
        for view_set in &self.views {
            texts.push(view_text(view_set.view, raw, &decoded).map(Cow::into_owned));
        }
        Prepared { target, texts }
    }

    fn run(&self, view_set: &ViewSet, text: &str, target: &Target<'_>, hit: &mut dyn FnMut(usize)) {
        let matches = view_set.set.matches(text);
        if !matches.matched_any() {
            return;
        }
        let classes = target.location.classes();
        for pattern in &matches {
            let index = view_set.members[pattern];
            if self.signatures[index].applies_to(classes) {
                hit(index);
            }
        }
    }
}

/// One value as every set sees it (`None`: that set skips it).
struct Prepared {
    /// Index of the target the value came from.
    target: usize,
    texts: Vec<Option<String>>,
}

/// The value as one view sees it, or `None` when that view needs no scan
/// of its own (its rewrite changed nothing, or a raw value has no escapes).
fn view_text<'a>(view: View, raw: &'a str, decoded: &'a str) -> Option<Cow<'a, str>> {
    let text = match view {
        View::Decoded => return None,
        View::Raw => {
            let escaped =
                raw.bytes().any(|b| b == b'%' || b < 0x20 || b == 0x7f) || raw.contains("0x");
            return escaped.then_some(Cow::Borrowed(raw));
        }
        View::Sql => {
            let text = apply(Cow::Borrowed(decoded), transform::remove_sql_comments);
            apply(text, transform::compress_whitespace)
        }
        View::Path => apply(Cow::Borrowed(decoded), transform::normalise_path),
        View::Shell => apply(Cow::Borrowed(decoded), transform::shell_normalise),
    };
    matches!(text, Cow::Owned(_)).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::waf::target::Location;

    fn ids(compiled: &Compiled, location: Location, value: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let target = Target {
            location,
            value: value.into(),
        };
        compiled.scan_all(&[target], |_, i| out.push(compiled.signatures()[i].id));
        out
    }

    #[test]
    fn views_and_targets_filter_hits() {
        let sigs = Signature::parse_toml(
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
            "t.toml",
        )
        .unwrap();
        let compiled = Compiled::new(sigs).unwrap();
        assert_eq!(
            ids(&compiled, Location::Arg("q".into()), "UNION/**/%53ELECT"),
            [942_001]
        );
        assert!(ids(&compiled, Location::Arg("q".into()), "sqlmap").is_empty());
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
