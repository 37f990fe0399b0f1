//! Which rules one page of `/api/rules` lists: in rule order, or the rules
//! with hits first. Reads only the hit counters, so a page of 50 rules out
//! of a million builds 50 rules, not a million.

use serde::Deserialize;

/// The order of `/api/rules` (`?order=position` or `?order=hits`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RuleOrder {
    /// Rule order (as `Matched rule #N`).
    #[default]
    Position,
    /// Rules with hits first, most hits first, ties in rule order; then the
    /// rules without hits, in rule order.
    Hits,
}

/// The 0-based positions of the rules on the page that passes over `offset`
/// rules and lists at most `limit`, given every rule's hit count.
///
/// `order=hits` costs one pass over `hits` plus sorting the hit rules up to
/// the end of the page (`O(n + k log k)`), whatever the page.
pub(crate) fn page(hits: &[u64], order: RuleOrder, offset: usize, limit: usize) -> Vec<usize> {
    match order {
        RuleOrder::Position => (offset..hits.len().min(offset.saturating_add(limit))).collect(),
        RuleOrder::Hits => by_hits(hits, offset, limit),
    }
}

fn by_hits(hits: &[u64], offset: usize, limit: usize) -> Vec<usize> {
    let most_first = |a: &(u64, usize), b: &(u64, usize)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
    let mut hit: Vec<(u64, usize)> = hits
        .iter()
        .enumerate()
        .filter(|(_, &h)| h > 0)
        .map(|(i, &h)| (h, i))
        .collect();
    let hit_rules = hit.len();
    let end = offset.saturating_add(limit);
    if end < hit.len() {
        hit.select_nth_unstable_by(end, most_first);
        hit.truncate(end);
    }
    hit.sort_unstable_by(most_first);
    let mut page: Vec<usize> = hit
        .iter()
        .skip(offset)
        .take(limit)
        .map(|&(_, i)| i)
        .collect();
    let rest = limit - page.len();
    if rest > 0 {
        page.extend(
            hits.iter()
                .enumerate()
                .filter(|(_, &h)| h == 0)
                .skip(offset.saturating_sub(hit_rules))
                .take(rest)
                .map(|(i, _)| i),
        );
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_pages_are_slices_of_the_rule_order() {
        let hits = [0, 5, 0, 7];
        assert_eq!(page(&hits, RuleOrder::Position, 0, 10), [0, 1, 2, 3]);
        assert_eq!(page(&hits, RuleOrder::Position, 1, 2), [1, 2]);
        assert!(page(&hits, RuleOrder::Position, 9, 2).is_empty());
        assert!(page(&hits, RuleOrder::Position, usize::MAX, usize::MAX).is_empty());
    }

    #[test]
    fn hit_rules_come_first_most_hits_first_then_the_others_in_order() {
        let hits = [0, 5, 0, 7, 5, 0, 1];
        let all = page(&hits, RuleOrder::Hits, 0, 100);
        assert_eq!(all, [3, 1, 4, 6, 0, 2, 5]);
        for offset in 0..=hits.len() {
            for limit in 0..=hits.len() {
                let end = (offset + limit).min(hits.len());
                let expected = all.get(offset..end).unwrap_or_default();
                assert_eq!(
                    page(&hits, RuleOrder::Hits, offset, limit),
                    expected,
                    "offset {offset} limit {limit}"
                );
            }
        }
        assert!(page(&hits, RuleOrder::Hits, usize::MAX, usize::MAX).is_empty());
    }
}
