//! The leaf for many rules that share their source and destination prefix:
//! a per-port first-match table.
//!
//! Such rules differ only by port and protocol, so the winner depends only on
//! `(port, protocol)`: the port line is cut into elementary intervals at every
//! range edge, and each interval stores the first matching rule for a TCP,
//! a UDP and a protocol-`ANY` packet. A lookup is one binary search. Handles
//! the pathological shape "a million `ANY ANY` rules differing by port" with
//! at most 2 × 65,536 intervals whatever the rule count.

use crate::rule::{Protocol, Rule};

/// No rule.
pub(super) const NONE: u32 = u32::MAX;

/// First-match rule ids by elementary port interval and packet protocol.
#[derive(Debug)]
pub(super) struct PortTable {
    /// The first port of each interval, ascending, starting at 0.
    starts: Box<[u16]>,
    /// Per interval: the first rule for a TCP, UDP and ANY packet (or [`NONE`]).
    first: Box<[[u32; 3]]>,
}

impl PortTable {
    /// Compiles `ids` (ascending rule ids) of `rules`.
    pub(super) fn build(rules: &[Rule], ids: &[u32]) -> Self {
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
    pub(super) fn lookup(&self, port: u16, proto: Protocol) -> u32 {
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
