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

use rustc_hash::FxHashMap;

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
    family: Option<firewall_core::IpFamily>,
    /// Source prefixes, sorted (start, then length).
    keys: Vec<Prefix>,
    /// The rules of each source prefix present.
    exact: FxHashMap<Prefix, Extremes>,
    /// The prefix lengths present, ascending.
    lens: Vec<u8>,
    /// Segment tree over `keys`' rules: leaves at `keys.len()..`.
    tree: Vec<Extremes>,
    /// All its rules.
    all: Extremes,
}

impl Bucket {
    fn new(
        mut entries: Vec<(Prefix, u32, Action)>,
        family: Option<firewall_core::IpFamily>,
    ) -> Self {
        entries.sort_unstable_by_key(|&(prefix, index, _)| (prefix, index));
        let n = entries.len();
        let mut tree = vec![Extremes::EMPTY; 2 * n];
        let mut exact: FxHashMap<Prefix, Extremes> = FxHashMap::default();
        let mut all = Extremes::EMPTY;
        for (slot, &(prefix, index, action)) in tree[n..].iter_mut().zip(&entries) {
            *slot = Extremes::of(index, action);
            let same = exact.entry(prefix).or_insert(Extremes::EMPTY);
            *same = same.join(*slot);
            all = all.join(*slot);
        }
        for node in (1..n).rev() {
            tree[node] = tree[2 * node].join(tree[2 * node + 1]);
        }
        let mut lens: Vec<u8> = exact.keys().map(|p| p.len).collect();
        lens.sort_unstable();
        lens.dedup();
        Bucket {
            family,
            keys: entries.into_iter().map(|(p, _, _)| p).collect(),
            exact,
            lens,
            tree,
            all,
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

    /// The extremes of the rules whose source relates to `src` as `rel`
    /// (theirs to it: `Wider` = their source holds `src`).
    fn with_src(&self, src: Net, rel: Rel) -> Extremes {
        let whole = match (self.family, src.family) {
            (None, None) => Rel::Equal,
            (None, Some(_)) => Rel::Wider,
            (Some(_), None) => Rel::Narrower,
            (Some(a), Some(b)) if a != b => return Extremes::EMPTY,
            (Some(_), Some(_)) => return self.with_prefix(src.prefix, rel),
        };
        if whole == rel {
            self.all
        } else {
            Extremes::EMPTY
        }
    }

    fn with_prefix(&self, p: Prefix, rel: Rel) -> Extremes {
        let exactly = |prefix: Prefix| self.exact.get(&prefix).copied().unwrap_or(Extremes::EMPTY);
        match rel {
            Rel::Equal => exactly(p),
            Rel::Wider => self
                .lens
                .iter()
                .take_while(|&&len| len < p.len)
                .map(|&len| {
                    exactly(Prefix {
                        start: Prefix::truncate(p.start, len),
                        len,
                    })
                })
                .fold(Extremes::EMPTY, Extremes::join),
            Rel::Narrower if self.lens.last().is_some_and(|&len| len > p.len) => {
                let lo = self.keys.partition_point(|k| *k <= p);
                let end = p.end();
                let hi = self.keys.partition_point(|k| k.start <= end);
                self.range(lo, hi.max(lo))
            }
            _ => Extremes::EMPTY,
        }
    }
    /// Updates `f` with what this bucket holds (`head`: the relation of its
    /// service and destination to the rule's); `f.covering` is settled.
    fn visit(&self, head: Rel, same_service: bool, own: u32, shape: &Shape, f: &mut Firsts) {
        let (same, opposite) = match shape.action {
            Action::Allow => (Action::Allow, Action::Drop),
            Action::Drop => (Action::Drop, Action::Allow),
        };
        let all = self.all;
        let want_partial = head != Rel::Equal && all.first(opposite) < f.partial_opposite.min(own);
        let want_overlap = same_service && all.first(same) < f.overlapping_same.min(own);
        let want_after = !f.allow_after && all.allow_after(own);
        if !(want_partial || want_overlap || want_after) {
            return;
        }
        for src_rel in [Rel::Equal, Rel::Wider, Rel::Narrower] {
            let rel = head.and(src_rel);
            let useful = (rel == Rel::Partial && want_partial)
                || (!rel.covers() && want_overlap)
                || want_after;
            if !useful {
                continue;
            }
            let found = self.with_src(shape.src, src_rel);
            if rel == Rel::Partial {
                f.partial_opposite = f.partial_opposite.min(found.first(opposite));
            }
            if same_service && !rel.covers() {
                f.overlapping_same = f.overlapping_same.min(found.first(same));
            }
            f.allow_after |= found.allow_after(own);
        }
    }
}

/// The first earlier rules in each relation to one rule (`u32::MAX`: none).
#[derive(Debug)]
pub(crate) struct Firsts {
    /// The first rule whose traffic holds all of this one's.
    pub(crate) covering: u32,
    /// The first rule of the opposite action sharing part of its traffic,
    /// neither holding the other.
    pub(crate) partial_opposite: u32,
    /// The first rule of the same action and service sharing its traffic
    /// without holding all of it.
    pub(crate) overlapping_same: u32,
    /// Whether an ALLOW after it shares its traffic (asked for DROP rules).
    pub(crate) allow_after: bool,
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

    /// The first earlier rules related to rule `j` (of `shape`). A rule
    /// that an earlier one covers gets only `covering` (nothing else is
    /// reported about it); buckets and source queries that cannot improve
    /// an answer are skipped.
    pub(crate) fn firsts(&self, j: usize, shape: &Shape) -> Firsts {
        let own = u32::try_from(j).unwrap_or(NONE - 1);
        let mut f = Firsts {
            covering: self.first_covering(j, shape),
            partial_opposite: NONE,
            overlapping_same: NONE,
            allow_after: shape.action == Action::Allow,
        };
        if f.covering < own {
            return f;
        }
        let sid = self.service_of[j] as usize;
        for &(other, service_rel) in &self.related[sid] {
            for &(dst, bid) in &self.dsts[other] {
                let head = service_rel.and(dst.rel(shape.dst));
                if head != Rel::Disjoint {
                    self.buckets[bid].visit(head, other == sid, own, shape, &mut f);
                }
            }
        }
        f
    }

    /// The first rule covering rule `j`: only services and destinations
    /// that hold its own, only sources that hold its own (hash lookups).
    fn first_covering(&self, j: usize, shape: &Shape) -> u32 {
        let sid = self.service_of[j] as usize;
        let mut first = NONE;
        for &(other, service_rel) in &self.related[sid] {
            if !service_rel.covers() {
                continue;
            }
            for &(dst, bid) in &self.dsts[other] {
                let bucket = &self.buckets[bid];
                if !dst.rel(shape.dst).covers() || bucket.all.first_any() >= first {
                    continue;
                }
                for src_rel in [Rel::Equal, Rel::Wider] {
                    first = first.min(bucket.with_src(shape.src, src_rel).first_any());
                }
            }
        }
        first
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
