//! Where the rules that share traffic with a rule are, without comparing
//! every pair.
//!
//! Rules are grouped by service (protocol and ports), then by destination
//! network; within such a bucket, by source prefix, sorted. A rule's related
//! rules in a bucket are then found by prefix: the rules whose source holds
//! its source are at most one run per prefix length present (binary search),
//! the rules whose source lies inside it are one contiguous run, and a
//! segment tree answers "which is the first ALLOW, the first DROP, the last
//! ALLOW" over any run in `O(log n)`. The services that share ports with a
//! service are found once per distinct service (single ports by a map,
//! ranges by a scan of the ranges), so the work per rule is
//! `related services x their destination networks x prefix lengths x log n`.

use std::collections::{BTreeMap, HashMap};

use firewall_core::Action;

use super::shape::{Net, Prefix, Rel, Service, Shape};

/// No index: the identity of `min`, and "none" for `last_allow`.
const NONE: u32 = u32::MAX;

/// The first ALLOW, first DROP and last ALLOW (indexes) of a set of rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Extremes {
    first_allow: u32,
    first_drop: u32,
    last_allow: u32,
}

impl Extremes {
    const EMPTY: Extremes = Extremes {
        first_allow: NONE,
        first_drop: NONE,
        last_allow: NONE,
    };

    fn of(index: u32, action: Action) -> Self {
        match action {
            Action::Allow => Extremes {
                first_allow: index,
                first_drop: NONE,
                last_allow: index,
            },
            Action::Drop => Extremes {
                first_drop: index,
                ..Self::EMPTY
            },
        }
    }

    fn join(self, other: Extremes) -> Self {
        let last = |a: u32, b: u32| match (a, b) {
            (NONE, x) | (x, NONE) => x,
            (a, b) => a.max(b),
        };
        Extremes {
            first_allow: self.first_allow.min(other.first_allow),
            first_drop: self.first_drop.min(other.first_drop),
            last_allow: last(self.last_allow, other.last_allow),
        }
    }

    /// The first rule with `action`.
    pub(crate) fn first(self, action: Action) -> u32 {
        match action {
            Action::Allow => self.first_allow,
            Action::Drop => self.first_drop,
        }
    }

    /// The first rule of either action.
    pub(crate) fn first_any(self) -> u32 {
        self.first_allow.min(self.first_drop)
    }

    /// Whether an ALLOW rule comes after rule `index`.
    pub(crate) fn allow_after(self, index: u32) -> bool {
        self.last_allow != NONE && self.last_allow > index
    }
}

/// The rules of one service and one destination network, by source.
#[derive(Debug)]
struct Bucket {
    family: Option<firewall_core::Family>,
    /// Source prefixes, sorted (start, then length).
    keys: Vec<Prefix>,
    /// The prefix lengths present, ascending.
    lens: Vec<u8>,
    /// Segment tree over `keys`' rules: leaves at `keys.len()..`.
    tree: Vec<Extremes>,
}

impl Bucket {
    fn new(mut entries: Vec<(Prefix, u32, Action)>, family: Option<firewall_core::Family>) -> Self {
        entries.sort_unstable_by_key(|&(prefix, index, _)| (prefix, index));
        let n = entries.len();
        let mut tree = vec![Extremes::EMPTY; 2 * n];
        for (slot, &(_, index, action)) in tree[n..].iter_mut().zip(&entries) {
            *slot = Extremes::of(index, action);
        }
        for node in (1..n).rev() {
            tree[node] = tree[2 * node].join(tree[2 * node + 1]);
        }
        let mut lens: Vec<u8> = entries.iter().map(|(p, _, _)| p.len).collect();
        lens.sort_unstable();
        lens.dedup();
        Bucket {
            family,
            keys: entries.into_iter().map(|(p, _, _)| p).collect(),
            lens,
            tree,
        }
    }

    /// The extremes of the rules at `lo..hi`.
    fn range(&self, lo: usize, hi: usize) -> Extremes {
        let n = self.keys.len();
        let (mut lo, mut hi) = (lo + n, hi + n);
        let mut acc = Extremes::EMPTY;
        while lo < hi {
            if lo & 1 == 1 {
                acc = acc.join(self.tree[lo]);
                lo += 1;
            }
            if hi & 1 == 1 {
                hi -= 1;
                acc = acc.join(self.tree[hi]);
            }
            lo /= 2;
            hi /= 2;
        }
        acc
    }

    fn exactly(&self, prefix: Prefix) -> Extremes {
        let lo = self.keys.partition_point(|k| *k < prefix);
        let hi = self.keys.partition_point(|k| *k <= prefix);
        self.range(lo, hi)
    }

    /// Calls `each` with the relation of the bucket's sources to `src` and
    /// the extremes of the rules in that relation.
    fn related(&self, src: Net, mut each: impl FnMut(Rel, Extremes)) {
        let all = || self.range(0, self.keys.len());
        match (self.family, src.family) {
            (None, None) => each(Rel::Equal, all()),
            (None, Some(_)) => each(Rel::Wider, all()),
            (Some(_), None) => each(Rel::Narrower, all()),
            (Some(a), Some(b)) if a != b => {}
            (Some(_), Some(_)) => self.related_prefixes(src.prefix, each),
        }
    }

    fn related_prefixes(&self, p: Prefix, mut each: impl FnMut(Rel, Extremes)) {
        each(Rel::Equal, self.exactly(p));
        let mut wider = Extremes::EMPTY;
        for &len in self.lens.iter().take_while(|&&len| len < p.len) {
            let start = Prefix::truncate(p.start, len);
            wider = wider.join(self.exactly(Prefix { start, len }));
        }
        each(Rel::Wider, wider);
        let lo = self.keys.partition_point(|k| *k <= p);
        let end = p.end();
        let hi = self.keys.partition_point(|k| k.start <= end);
        each(Rel::Narrower, self.range(lo, hi.max(lo)));
    }
}

/// All rules, indexed.
#[derive(Debug)]
pub(crate) struct Index {
    buckets: Vec<Bucket>,
    /// Per service: its destination networks and their buckets.
    dsts: Vec<Vec<(Net, usize)>>,
    /// Per service: the services sharing ports with it, and how they relate
    /// (theirs to its).
    related: Vec<Vec<(usize, Rel)>>,
    /// Per rule: its service.
    service_of: Vec<u32>,
}

impl Index {
    pub(crate) fn new(shapes: &[Shape]) -> Self {
        let mut services: HashMap<Service, usize> = HashMap::new();
        let mut bucket_of: HashMap<(usize, Net), usize> = HashMap::new();
        let mut entries: Vec<Vec<(Prefix, u32, Action)>> = Vec::new();
        let mut families = Vec::new();
        let mut dsts: Vec<Vec<(Net, usize)>> = Vec::new();
        let mut service_list = Vec::new();
        let mut service_of = Vec::with_capacity(shapes.len());
        for (index, shape) in shapes.iter().enumerate() {
            let sid = *services.entry(shape.service).or_insert_with(|| {
                service_list.push(shape.service);
                dsts.push(Vec::new());
                service_list.len() - 1
            });
            let bid = *bucket_of.entry((sid, shape.dst)).or_insert_with(|| {
                entries.push(Vec::new());
                families.push(shape.dst.family);
                dsts[sid].push((shape.dst, entries.len() - 1));
                entries.len() - 1
            });
            let index = u32::try_from(index).unwrap_or(NONE - 1);
            entries[bid].push((shape.src.prefix, index, shape.action));
            service_of.push(u32::try_from(sid).unwrap_or(u32::MAX));
        }
        let buckets = entries
            .into_iter()
            .zip(families)
            .map(|(entries, family)| Bucket::new(entries, family))
            .collect();
        Index {
            buckets,
            related: related_services(&service_list),
            dsts,
            service_of,
        }
    }

    /// Calls `each(relation, extremes)` for every group of rules sharing
    /// traffic with `shape` (rule `index`): the relation is theirs to it,
    /// `same_service` whether they have its protocol and ports.
    pub(crate) fn related(
        &self,
        index: usize,
        shape: &Shape,
        mut each: impl FnMut(Rel, bool, Extremes),
    ) {
        let sid = self.service_of[index] as usize;
        for &(other, service_rel) in &self.related[sid] {
            for &(dst, bid) in &self.dsts[other] {
                let head = service_rel.and(dst.rel(shape.dst));
                if head == Rel::Disjoint {
                    continue;
                }
                self.buckets[bid].related(shape.src, |src_rel, extremes| {
                    let rel = head.and(src_rel);
                    if rel != Rel::Disjoint {
                        each(rel, other == sid, extremes);
                    }
                });
            }
        }
    }
}

/// For each service, the services sharing traffic with it and their relation to it.
fn related_services(services: &[Service]) -> Vec<Vec<(usize, Rel)>> {
    let mut singles: BTreeMap<u16, Vec<usize>> = BTreeMap::new();
    let mut ranges = Vec::new();
    for (sid, service) in services.iter().enumerate() {
        let (lo, hi) = service.ports;
        if lo == hi {
            singles.entry(lo).or_default().push(sid);
        } else {
            ranges.push(sid);
        }
    }
    services
        .iter()
        .map(|service| {
            let (lo, hi) = service.ports;
            let near = singles
                .range(lo..=hi)
                .flat_map(|(_, sids)| sids.iter().copied());
            near.chain(ranges.iter().copied())
                .filter_map(|other| {
                    let rel = services[other].rel(*service);
                    (rel != Rel::Disjoint).then_some((other, rel))
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use firewall_core::Protocol;

    use super::*;

    #[test]
    fn related_services_find_singles_and_ranges_in_both_directions() {
        let s = |proto, lo, hi| Service {
            proto,
            ports: (lo, hi),
        };
        let services = [
            s(Protocol::Tcp, 80, 80),
            s(Protocol::Udp, 80, 80),
            s(Protocol::Any, 1, 65535),
            s(Protocol::Tcp, 70, 90),
            s(Protocol::Tcp, 443, 443),
        ];
        let related = related_services(&services);
        let ids = |sid: usize| {
            let mut ids: Vec<usize> = related[sid].iter().map(|(o, _)| *o).collect();
            ids.sort_unstable();
            ids
        };
        assert_eq!(ids(0), [0, 2, 3]);
        assert_eq!(ids(1), [1, 2]);
        assert_eq!(ids(2), [0, 1, 2, 3, 4]);
        assert_eq!(ids(3), [0, 2, 3]);
    }
}
