//! How a [`RuleSet`](super::RuleSet) holds its rules: the matching fields
//! of every rule in one slice, and the descriptions, which only logs and
//! monitors read, one after the other in one string.
//!
//! A [`Rule`] is 72 bytes, 24 of them the `String` of its description, plus
//! that string's own allocation; stored this way a rule takes 48 bytes (its
//! [`RuleFields`], the end of its description included), plus the text itself.
//! [`Rules`] hands the rules out as [`Rule`] values, built on demand.

use std::iter::FusedIterator;
use std::ops::Range;

use super::RuleFields;
use crate::rule::Rule;

/// Rules stored apart from their descriptions (see the module doc).
#[derive(Debug, Default)]
pub(crate) struct RuleStore {
    fields: Box<[RuleFields]>,
    /// Every description, in rule order, with nothing between them.
    descs: Box<str>,
    /// Where each rule's description ends in `descs`, when `descs` passes
    /// 4 GiB; else each rule's `desc_end` says.
    wide_ends: Option<Box<[usize]>>,
}

impl RuleStore {
    /// Stores `rules`, freeing each description as it is copied.
    pub(crate) fn new(rules: Vec<Rule>) -> Self {
        let total: usize = rules.iter().map(|r| r.desc.len()).sum();
        let narrow = u32::try_from(total).is_ok();
        let mut descs = String::with_capacity(total);
        let mut fields = Vec::with_capacity(rules.len());
        let mut wide_ends = Vec::with_capacity(if narrow { 0 } else { rules.len() });
        for rule in rules {
            descs.push_str(&rule.desc);
            let mut rule_fields = RuleFields::of(&rule);
            rule_fields.desc_end = u32::try_from(descs.len())
                .ok()
                .filter(|_| narrow)
                .unwrap_or(0);
            fields.push(rule_fields);
            if !narrow {
                wide_ends.push(descs.len());
            }
        }
        Self {
            fields: fields.into_boxed_slice(),
            descs: descs.into_boxed_str(),
            wide_ends: (!narrow).then(|| wide_ends.into_boxed_slice()),
        }
    }

    /// The rules' fields, in order.
    pub(crate) fn fields(&self) -> &[RuleFields] {
        &self.fields
    }

    /// The byte range of rule `index`'s description.
    fn desc_range(&self, index: usize) -> Option<Range<usize>> {
        let end = |i: usize| match &self.wide_ends {
            None => self.fields.get(i).map(|f| f.desc_end as usize),
            Some(ends) => ends.get(i).copied(),
        };
        let start = index.checked_sub(1).map_or(Some(0), end)?;
        Some(start..end(index)?)
    }
}

/// The rules of a [`RuleSet`](super::RuleSet), in order, behind its
/// reading methods ([`RuleSet::get`](super::RuleSet::get)...).
///
/// The set keeps its rules compactly (the descriptions share one string), so
/// this view builds each [`Rule`] when asked for it; [`Rules::desc`] reads a
/// description without building anything.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules<'a> {
    store: &'a RuleStore,
}

impl<'a> Rules<'a> {
    pub(crate) fn new(store: &'a RuleStore) -> Self {
        Self { store }
    }

    /// How many rules there are.
    pub(crate) fn len(self) -> usize {
        self.store.fields.len()
    }

    /// Whether there are no rules.
    pub(crate) fn is_empty(self) -> bool {
        self.store.fields.is_empty()
    }

    /// The rule at `index` (0-based), or `None` past the end.
    pub(crate) fn get(self, index: usize) -> Option<Rule> {
        let fields = self.store.fields.get(index)?;
        Some(fields.with_desc(self.desc(index)?))
    }

    /// The description of the rule at `index` (`""` when it has none), or
    /// `None` past the end.
    pub(crate) fn desc(self, index: usize) -> Option<&'a str> {
        self.store.descs.get(self.store.desc_range(index)?)
    }

    /// The rules in order.
    pub(crate) fn iter(self) -> RulesIter<'a> {
        RulesIter {
            rules: self,
            next: 0..self.len(),
        }
    }

    /// Every rule, in order, in a `Vec`.
    pub(crate) fn to_vec(self) -> Vec<Rule> {
        self.iter().collect()
    }
}

/// The rules of a [`RuleSet`](super::RuleSet), in order, built one by one:
/// [`RuleSet::iter`](super::RuleSet::iter).
///
/// # Examples
///
/// ```
/// use firewall_core::{Rule, RuleSet, ALLOW, ANY, TCP};
/// let set = RuleSet::new(vec![Rule::new(ALLOW, TCP, 80, ANY, ANY, "web")?])?;
/// for (n, rule) in set.iter().enumerate() {
///     assert_eq!((n, rule.desc.as_str()), (0, "web"));
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RulesIter<'a> {
    rules: Rules<'a>,
    next: Range<usize>,
}

impl Iterator for RulesIter<'_> {
    type Item = Rule;

    fn next(&mut self) -> Option<Rule> {
        self.rules.get(self.next.next()?)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.next.size_hint()
    }
}

impl DoubleEndedIterator for RulesIter<'_> {
    fn next_back(&mut self) -> Option<Rule> {
        self.rules.get(self.next.next_back()?)
    }
}

impl ExactSizeIterator for RulesIter<'_> {}

impl FusedIterator for RulesIter<'_> {}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::rule::PortMatch;

    fn rule(line: &str) -> Rule {
        line.parse().unwrap()
    }

    #[test]
    fn hands_back_every_rule_and_description() {
        let rules = vec![
            rule(r#"ALLOW TCP 80 ANY ANY "web""#),
            rule("DROP UDP 53 10.0.0.0/8 ANY"),
            rule(r#"ALLOW ANY 8000-8099 ::1 ANY "é \"quoted\"""#),
        ];
        let store = RuleStore::new(rules.clone());
        let view = Rules::new(&store);
        assert_eq!(view.to_vec(), rules);
        assert_eq!(view.iter().next_back(), Some(rules[2].clone()));
        assert_eq!(view.iter().len(), 3);
        assert_eq!(view.desc(1), Some(""));
        assert_eq!(view.desc(2), Some(r#"é "quoted""#));
        assert_eq!((view.get(3), view.desc(3)), (None, None));
    }

    #[test]
    fn an_empty_store_has_no_rules() {
        let store = RuleStore::default();
        let view = Rules::new(&store);
        assert!(view.is_empty());
        assert_eq!((view.get(0), view.desc(0)), (None, None));
    }

    #[test]
    fn wide_offsets_read_like_narrow_ones() {
        let mut store = RuleStore::new(vec![
            rule(r#"ALLOW TCP 80 ANY ANY "ab""#),
            rule(r#"DROP TCP 81 ANY ANY "cde""#),
        ]);
        store.wide_ends = Some(Box::new([2, 5]));
        for fields in &mut store.fields[..] {
            fields.desc_end = 0;
        }
        let view = Rules::new(&store);
        assert_eq!(
            (view.desc(0), view.desc(1), view.desc(2)),
            (Some("ab"), Some("cde"), None)
        );
    }

    proptest! {
        /// Any rules, with any descriptions, come back as they went in.
        #[test]
        fn round_trips(descs in prop::collection::vec(".{0,12}", 0..40), port in any::<u16>()) {
            let rules: Vec<Rule> = descs
                .iter()
                .enumerate()
                .map(|(i, desc)| Rule {
                    desc: desc.clone(),
                    dport: PortMatch::single(port.wrapping_add(i as u16)),
                    ..rule("ALLOW TCP 1 ANY ANY")
                })
                .collect();
            let store = RuleStore::new(rules.clone());
            let view = Rules::new(&store);
            prop_assert_eq!(view.len(), rules.len());
            prop_assert_eq!(view.to_vec(), rules);
        }
    }
}
