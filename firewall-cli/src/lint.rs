//! Lints a valid rule list: rules that can never match, DROP rules the
//! default DROP already covers, ALLOW/DROP pairs whose order decides, and
//! rules of one service whose networks overlap.
//!
//! Each rule gets at most one finding of each kind, naming the first
//! earlier rule involved, so the output stays linear in the file's size;
//! a shadowed rule gets only that finding (it never matches, so nothing
//! else about it matters).
//! The definitions, for rules `i` before `j` (traffic = the packets a rule
//! matches):
//!
//! - **shadowed**: `i`'s traffic holds all of `j`'s; `j` can never match.
//! - **redundant**: `j` is a DROP and no later ALLOW shares any of its
//!   traffic: without `j`, its traffic would still be dropped (by a later
//!   DROP or by the default), only the log line's reason would differ.
//! - **order-dependent**: `i` and `j` have opposite actions and share
//!   traffic, and neither holds the other: swapping them changes the
//!   verdict on the shared part. (An earlier, narrower exception to a later,
//!   wider rule is the usual way to write exceptions and is not reported.)
//! - **overlap**: `i` and `j` have the same action, protocol and ports, and
//!   their networks overlap without `i` holding `j`: one of them is
//!   probably meant to be a different network, or the two can be merged.

mod index;
mod shape;

use firewall_core::Action;

use index::Index;
#[cfg(test)]
use shape::Rel;
use shape::Shape;

pub(crate) use shape::Shape as RuleShape;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Kind {
    Shadowed,
    Redundant,
    OrderDependent,
    Overlap,
}

impl Kind {
    pub(crate) const ALL: [Kind; 4] = [
        Kind::Shadowed,
        Kind::Redundant,
        Kind::OrderDependent,
        Kind::Overlap,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Shadowed => "shadowed",
            Kind::Redundant => "redundant",
            Kind::OrderDependent => "order-dependent",
            Kind::Overlap => "overlap",
        }
    }
}

/// One finding about rule `rule` (0-based), involving the earlier rule
/// `other` when the kind has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) kind: Kind,
    pub(crate) rule: usize,
    pub(crate) other: Option<usize>,
}

/// The findings of `shapes` (the rules in order), sorted by rule then kind.
pub(crate) fn lint(shapes: &[Shape]) -> Vec<Finding> {
    let index = Index::new(shapes);
    let mut findings = Vec::new();
    for (j, shape) in shapes.iter().enumerate() {
        let firsts = index.firsts(j, shape);
        let earlier = |i: u32| (i != u32::MAX && (i as usize) < j).then_some(i as usize);
        if let Some(i) = earlier(firsts.covering) {
            findings.push(Finding {
                kind: Kind::Shadowed,
                rule: j,
                other: Some(i),
            });
            continue;
        }
        if shape.action == Action::Drop && !firsts.allow_after {
            findings.push(Finding {
                kind: Kind::Redundant,
                rule: j,
                other: None,
            });
        }
        for (kind, first) in [
            (Kind::OrderDependent, firsts.partial_opposite),
            (Kind::Overlap, firsts.overlapping_same),
        ] {
            if let Some(i) = earlier(first) {
                findings.push(Finding {
                    kind,
                    rule: j,
                    other: Some(i),
                });
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use firewall_core::Rule;
    use proptest::prelude::*;

    use super::*;

    fn shapes(lines: &[&str]) -> Vec<Shape> {
        lines
            .iter()
            .map(|l| Shape::of(&l.parse::<Rule>().unwrap()))
            .collect()
    }

    /// Every pair, by the definitions in the module docs.
    fn naive(shapes: &[Shape]) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (j, b) in shapes.iter().enumerate() {
            let rel = |i: usize| shapes[i].rel(b);
            if let Some(i) = (0..j).find(|&i| rel(i).covers()) {
                findings.push(Finding {
                    kind: Kind::Shadowed,
                    rule: j,
                    other: Some(i),
                });
                continue;
            }
            let allow_after = (j + 1..shapes.len())
                .any(|k| shapes[k].action == Action::Allow && rel(k) != Rel::Disjoint);
            if b.action == Action::Drop && !allow_after {
                findings.push(Finding {
                    kind: Kind::Redundant,
                    rule: j,
                    other: None,
                });
            }
            if let Some(i) =
                (0..j).find(|&i| shapes[i].action != b.action && rel(i) == Rel::Partial)
            {
                findings.push(Finding {
                    kind: Kind::OrderDependent,
                    rule: j,
                    other: Some(i),
                });
            }
            let overlap = |i: usize| {
                shapes[i].action == b.action
                    && shapes[i].service == b.service
                    && matches!(rel(i), Rel::Narrower | Rel::Partial)
            };
            if let Some(i) = (0..j).find(|&i| overlap(i)) {
                findings.push(Finding {
                    kind: Kind::Overlap,
                    rule: j,
                    other: Some(i),
                });
            }
        }
        findings
    }

    fn field(choices: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
        proptest::sample::select(choices)
    }

    proptest! {
        #[test]
        fn the_index_finds_what_comparing_every_pair_finds(
            rules in proptest::collection::vec((
                field(&["ALLOW", "DROP"]),
                field(&["TCP", "UDP", "ANY"]),
                field(&["80", "443", "ANY", "1-1000", "400-500"]),
                field(&["ANY", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.3", "11.0.0.0/8", "::/0", "2001:db8::/32", "2001:db8::1"]),
                field(&["ANY", "127.0.0.1", "127.0.0.0/8", "0.0.0.0/0", "::1"]),
            ), 1..24)
        ) {
            let lines: Vec<String> = rules
                .iter()
                .map(|(a, p, d, s, t)| format!("{a} {p} {d} {s} {t}"))
                .filter(|l| l.parse::<Rule>().is_ok())
                .collect();
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            let shapes = shapes(&lines);
            prop_assert_eq!(lint(&shapes), naive(&shapes), "{:#?}", lines);
        }
    }
}
