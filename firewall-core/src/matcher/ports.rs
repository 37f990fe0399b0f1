//! The leaf for many rules that share their source and destination prefix:
//! a per-port first-match table.
//!
//! Such rules differ only by port and protocol, so the winner depends only on
//! `(port, protocol)`: the port line is cut into elementary intervals at every
//! range edge, and each interval stores the first matching rule for a TCP,
//! a UDP and a protocol-`ANY` packet. A lookup is one binary search. Handles
//! the pathological shape "a million `ANY ANY` rules differing by port" with
//! at most 2 × 65,536 intervals whatever the rule count.

use super::key::Field;
use crate::rule::{NetMatch, Protocol, Rule};

/// No rule.
pub(super) const NONE: u32 = u32::MAX;

/// A group's port table, plus the tables a mixed-family lookup needs.
///
/// A mixed-family packet can only match rules whose network in one field is
/// `ANY`; in a group of length-0 networks `ANY` shares its key with an
/// explicit `0.0.0.0/0` or `::/0`, which must not match there. Groups holding
/// both kinds keep a table of the `ANY` rules alone for that field.
#[derive(Debug)]
pub(super) struct PortLeaf {
    all: PortTable,
    src_any: Subset,
    dst_any: Subset,
}

/// The rules of a group whose network in one field is `ANY`.
#[derive(Debug)]
enum Subset {
    /// All of them.
    All,
    /// None of them.
    Empty,
    /// Some of them.
    Table(Box<PortTable>),
}

impl PortLeaf {
    /// Compiles `ids` (ascending rule ids) of `rules`.
    pub(super) fn build(rules: &[Rule], ids: &[u32]) -> Self {
        Self {
            all: PortTable::build(rules, ids),
            src_any: Subset::build(rules, ids, |r| r.src_cidr),
            dst_any: Subset::build(rules, ids, |r| r.dst_cidr),
        }
    }

    /// The first rule matching `port` and `proto` whose network in
    /// `need_any` (if any) is `ANY`, or [`NONE`].
    #[inline]
    pub(super) fn lookup(&self, port: u16, proto: Protocol, need_any: Option<Field>) -> u32 {
        let subset = match need_any {
            None => return self.all.lookup(port, proto),
            Some(Field::Src) => &self.src_any,
            Some(Field::Dst) => &self.dst_any,
        };
        match subset {
            Subset::All => self.all.lookup(port, proto),
            Subset::Empty => NONE,
            Subset::Table(table) => table.lookup(port, proto),
        }
    }
}

impl Subset {
    fn build(rules: &[Rule], ids: &[u32], field: impl Fn(&Rule) -> NetMatch) -> Self {
        let any: Vec<u32> = ids
            .iter()
            .copied()
            .filter(|&id| field(&rules[id as usize]) == NetMatch::Any)
            .collect();
        if any.len() == ids.len() {
            Subset::All
        } else if any.is_empty() {
            Subset::Empty
        } else {
            Subset::Table(Box::new(PortTable::build(rules, &any)))
        }
    }
}

/// First-match rule ids by elementary port interval and packet protocol.
#[derive(Debug)]
struct PortTable {
    /// The first port of each interval, ascending, starting at 0.
    starts: Box<[u16]>,
    /// Per interval: the first rule for a TCP, UDP and ANY packet (or [`NONE`]).
    first: Box<[[u32; 3]]>,
}

impl PortTable {
    /// Compiles `ids` (ascending rule ids) of `rules`.
    fn build(rules: &[Rule], ids: &[u32]) -> Self {
        let mut starts: Vec<u16> = vec![0];
        for &id in ids {
            let (lo, hi) = rules[id as usize].dport.bounds();
            starts.push(lo);
            if let Some(next) = hi.checked_add(1) {
                starts.push(next);
            }
        }
        starts.sort_unstable();
        starts.dedup();
        let mut first = vec![[NONE; 3]; starts.len()];
        for (column, proto) in [Protocol::Tcp, Protocol::Udp, Protocol::Any]
            .into_iter()
            .enumerate()
        {
            let mut painter = Painter::new(starts.len());
            for &id in ids {
                let rule = &rules[id as usize];
                if rule.proto.matches(proto) {
                    let (lo, hi) = rule.dport.bounds();
                    let from = interval(&starts, lo);
                    let to = interval(&starts, hi);
                    painter.paint(from, to, |i| first[i][column] = id);
                }
            }
        }
        Self {
            starts: starts.into_boxed_slice(),
            first: first.into_boxed_slice(),
        }
    }

    /// The first rule matching `port` and `proto`, or [`NONE`].
    #[inline]
    fn lookup(&self, port: u16, proto: Protocol) -> u32 {
        let column = match proto {
            Protocol::Tcp => 0,
            Protocol::Udp => 1,
            Protocol::Any => 2,
        };
        self.first[interval(&self.starts, port)][column]
    }
}

/// The interval holding `port`.
#[inline]
fn interval(starts: &[u16], port: u16) -> usize {
    starts.partition_point(|&s| s <= port) - 1
}

/// Paints each interval once, with the first (lowest-id) rule to reach it:
/// a "next unpainted interval" union-find skips painted runs.
struct Painter {
    next: Vec<usize>,
}

impl Painter {
    fn new(len: usize) -> Self {
        Self {
            next: (0..=len).collect(),
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.next[i] != i {
            self.next[i] = self.next[self.next[i]];
            i = self.next[i];
        }
        i
    }

    fn paint(&mut self, from: usize, to: usize, mut set: impl FnMut(usize)) {
        let mut i = self.find(from);
        while i <= to {
            set(i);
            self.next[i] = i + 1;
            i = self.find(i + 1);
        }
    }
}
