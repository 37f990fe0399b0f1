//! The compiled, immutable form of a rule list that answers "which rule matches first?".

use crate::packet::Packet;
use crate::rule::Rule;

/// A rule list compiled for lookups. Built once per rule set; never changed.
#[derive(Debug, Default)]
pub(crate) struct Matcher {
    _private: (),
}

impl Matcher {
    /// Compiles `rules` (already validated).
    pub(crate) fn compile(_rules: &[Rule]) -> Self {
        Matcher { _private: () }
    }

    #[allow(clippy::unused_self)] // the compiled index replaces this scan
    /// The index of the first rule in `rules` that matches `packet`.
    pub(crate) fn first_match(&self, rules: &[Rule], packet: &Packet) -> Option<usize> {
        rules.iter().position(|rule| rule.matches(packet))
    }
}
