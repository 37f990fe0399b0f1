//! The compiled matcher: one `RegexSet` (a single linear-time automaton) per
//! value view, holding every active signature for that view.
//!
//! Each value is decoded once per view and scanned once per view, whatever
//! the number of signatures.

use std::borrow::Cow;

use regex::{RegexSet, RegexSetBuilder};

use super::signatures::{Signature, View};
use super::target::Target;
use super::transform::{self, apply};
use super::WafError;

/// Compiled automata size limit per view (the default 10 MiB is too small
/// for a few hundred alternations at high paranoia).
const SIZE_LIMIT: usize = 256 << 20;

/// The active signatures compiled by view. Immutable once built.
#[derive(Debug)]
pub(crate) struct Compiled {
    signatures: Vec<Signature>,
    sets: Vec<ViewSet>,
}

#[derive(Debug)]
struct ViewSet {
    view: View,
    set: RegexSet,
    /// Index in `signatures` of each pattern of `set`.
    members: Vec<usize>,
}

impl Compiled {
    /// Compiles `signatures` (already filtered by paranoia and disabled ids).
    pub(crate) fn new(signatures: Vec<Signature>) -> Result<Self, WafError> {
        let mut sets = Vec::new();
        for view in View::ALL {
            let members: Vec<usize> = (0..signatures.len())
                .filter(|&i| signatures[i].view == view)
                .collect();
            if members.is_empty() {
                continue;
            }
            let set = RegexSetBuilder::new(members.iter().map(|&i| &signatures[i].pattern))
                .size_limit(SIZE_LIMIT)
                .dfa_size_limit(SIZE_LIMIT)
                .build()
                .map_err(|source| WafError::Compile {
                    view: format!("{view:?}"),
                    source,
                })?;
            sets.push(ViewSet { view, set, members });
        }
        Ok(Self { signatures, sets })
    }

    /// The compiled signatures.
    pub(crate) fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// Calls `hit` with the index of every signature matching `target`.
    /// A value that is entirely base64 of printable text is scanned decoded too.
    pub(crate) fn scan(&self, target: &Target<'_>, mut hit: impl FnMut(usize)) {
        self.scan_value(target, &target.value, &mut hit);
        if let Some(text) = transform::base64_text(&target.value) {
            self.scan_value(target, &text, &mut hit);
        }
    }

    fn scan_value(&self, target: &Target<'_>, raw: &str, hit: &mut impl FnMut(usize)) {
        let classes = target.location.classes();
        let decoded = transform::decode_all(raw);
        for view_set in &self.sets {
            let text = view_text(view_set.view, raw, &decoded);
            for pattern in view_set.set.matches(&text).iter() {
                let index = view_set.members[pattern];
                if self.signatures[index].applies_to(classes) {
                    hit(index);
                }
            }
        }
    }
}

/// The value as one view sees it.
fn view_text<'a>(view: View, raw: &'a str, decoded: &'a str) -> Cow<'a, str> {
    match view {
        View::Decoded => Cow::Borrowed(decoded),
        View::Raw => Cow::Borrowed(raw),
        View::Sql => {
            let text = apply(Cow::Borrowed(decoded), transform::remove_sql_comments);
            apply(text, transform::compress_whitespace)
        }
        View::Path => apply(Cow::Borrowed(decoded), transform::normalise_path),
        View::Shell => apply(Cow::Borrowed(decoded), transform::shell_normalise),
    }
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
        compiled.scan(&target, |i| out.push(compiled.signatures()[i].id));
        out
    }

    #[test]
    fn views_and_targets_filter_hits() {
        let sigs = Signature::parse_toml(
            r#"
[[signature]]
id = 942001
family = "sqli"
paranoia = 1
message = "union select"
view = "sql"
pattern = "union select"
[[signature]]
id = 913001
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
            [942001]
        );
        assert!(ids(&compiled, Location::Arg("q".into()), "sqlmap").is_empty());
        assert_eq!(
            ids(
                &compiled,
                Location::Header("User-Agent".into()),
                "sqlmap/1.0"
            ),
            [913001]
        );
    }
}
