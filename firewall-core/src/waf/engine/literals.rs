//! What a signature's matches must contain, read from its syntax tree (the
//! analysis of RE2's `FilteredRE2`, reduced to bytes): a set of bytes of
//! which every match holds at least one. A view's automaton then skips
//! the texts that hold none of its signatures' bytes: the shell view's
//! signatures all need a command separator, which prose does not have.
//!
//! The analysis is conservative: ASCII letters count in both cases, and a
//! pattern it cannot bound (`.*`, a wide class alone) needs [`ByteSet::ALL`].

use std::collections::BTreeSet;

use regex_syntax::hir::{Class, Hir, HirKind};

/// Strings an exact set may hold before it is turned into atoms.
const MAX_EXACT: usize = 16;
/// Strings an alternation of literals may hold and stay exact.
const MAX_ALTERNATION: usize = 128;
/// Characters a class may hold and still count as a set of literals.
const MAX_CLASS: usize = 8;

/// A set of byte values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    /// Every byte: no text can be skipped.
    pub(crate) const ALL: Self = Self([u64::MAX; 4]);
    /// No byte.
    pub(crate) const NONE: Self = Self([0; 4]);

    fn with(mut self, byte: u8) -> Self {
        self.0[usize::from(byte / 64)] |= 1u64 << (byte % 64);
        self
    }

    /// The set of `bytes`, built at compile time (the detectors' tables of
    /// the bytes a value must hold to be worth reading).
    pub(crate) const fn of(bytes: &[u8]) -> Self {
        let mut words = [0u64; 4];
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            words[(b / 64) as usize] |= 1u64 << (b % 64);
            i += 1;
        }
        Self(words)
    }

    /// The set as a table indexed by byte, built at compile time: a scan
    /// of a long text then costs one load per byte, not a shift and a mask
    /// (the detectors' gates read whole values that hold none of theirs).
    pub(crate) const fn table(self) -> [bool; 256] {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            table[b] = self.0[b / 64] & (1u64 << (b % 64)) != 0;
            b += 1;
        }
        table
    }

    /// Whether `byte` is in the set.
    pub(crate) fn contains(self, byte: u8) -> bool {
        self.0[usize::from(byte / 64)] & (1u64 << (byte % 64)) != 0
    }

    pub(crate) fn union(self, other: Self) -> Self {
        Self([
            self.0[0] | other.0[0],
            self.0[1] | other.0[1],
            self.0[2] | other.0[2],
            self.0[3] | other.0[3],
        ])
    }

    /// Whether `text` holds one of the bytes.
    pub(crate) fn found_in(self, text: &str) -> bool {
        self == Self::ALL || text.bytes().any(|b| self.contains(b))
    }

    /// The bytes every match of `pattern` (in `regex` syntax) holds at
    /// least one of; [`Self::ALL`] when that cannot be bounded, or the
    /// pattern does not parse (compiling it reports the error).
    pub(crate) fn needed_by(pattern: &str) -> Self {
        regex_syntax::parse(pattern)
            .ok()
            .and_then(|hir| Info::of(&hir).into_need().bytes())
            .map_or(Self::ALL, |(set, _)| set)
    }

    fn cost(self) -> u32 {
        (0..=255u8)
            .filter(|&b| self.contains(b))
            .map(byte_cost)
            .sum()
    }
}

/// How common a byte is in benign text: letters and spaces are everywhere,
/// punctuation is not.
fn byte_cost(byte: u8) -> u32 {
    match byte {
        b'a'..=b'z' | b'A'..=b'Z' | b' ' => 16,
        b'0'..=b'9' | b'.' | b'-' | b'_' | b'/' | b'=' | b'&' => 4,
        _ => 1,
    }
}

/// What a match of a sub-pattern must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Need {
    /// Nothing known.
    Any,
    /// This string (ASCII letters lower-cased: case is ignored).
    Atom(Vec<u8>),
    /// Every one of these.
    And(Vec<Need>),
    /// At least one of these.
    Or(Vec<Need>),
}

impl Need {
    fn and(parts: Vec<Self>) -> Self {
        let mut out = Vec::new();
        for part in parts {
            match part {
                Self::Any => {}
                Self::And(inner) => out.extend(inner),
                other => out.push(other),
            }
        }
        match out.len() {
            0 => Self::Any,
            1 => out.pop().unwrap_or(Self::Any),
            _ => Self::And(out),
        }
    }

    fn or(parts: Vec<Self>) -> Self {
        let mut out = Vec::new();
        for part in parts {
            match part {
                Self::Any => return Self::Any,
                Self::Or(inner) => out.extend(inner),
                other => out.push(other),
            }
        }
        match out.len() {
            0 => Self::Any,
            1 => out.pop().unwrap_or(Self::Any),
            _ => Self::Or(out),
        }
    }

    /// Bytes of which every text this holds for has one, with their cost:
    /// an atom's rarest byte (both cases of a letter), the union over an
    /// OR, the cheapest conjunct of an AND; `None` for `Any`.
    fn bytes(&self) -> Option<(ByteSet, u32)> {
        let set = match self {
            Self::Any => return None,
            Self::Atom(atom) => {
                let &rarest = atom.iter().min_by_key(|&&b| byte_cost(b))?;
                let set = ByteSet::NONE.with(rarest);
                if rarest.is_ascii_alphabetic() {
                    set.with(rarest.to_ascii_uppercase())
                        .with(rarest.to_ascii_lowercase())
                } else {
                    set
                }
            }
            Self::Or(parts) => parts
                .iter()
                .map(Self::bytes)
                .try_fold(ByteSet::NONE, |acc, part| Some(acc.union(part?.0)))?,
            Self::And(parts) => {
                return parts
                    .iter()
                    .filter_map(Self::bytes)
                    .min_by_key(|(_, cost)| *cost)
            }
        };
        Some((set, set.cost()))
    }
}

/// What is known of a sub-pattern: the exact set of strings it matches,
/// when small, or else what its matches must contain.
struct Info {
    exact: Option<BTreeSet<Vec<u8>>>,
    need: Need,
}

impl Info {
    fn exact(strings: BTreeSet<Vec<u8>>) -> Self {
        Self {
            exact: Some(strings),
            need: Need::Any,
        }
    }

    fn need(need: Need) -> Self {
        Self { exact: None, need }
    }

    fn empty() -> Self {
        Self::exact(BTreeSet::from([Vec::new()]))
    }

    fn of(hir: &Hir) -> Self {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => Self::empty(),
            HirKind::Literal(literal) => Self::exact(BTreeSet::from([lower(&literal.0)])),
            HirKind::Class(class) => {
                class_strings(class).map_or(Self::need(Need::Any), Self::exact)
            }
            HirKind::Repetition(rep) if rep.min == 0 => Self::need(Need::Any),
            HirKind::Repetition(rep) => Self::need(Self::of(&rep.sub).into_need()),
            HirKind::Capture(capture) => Self::of(&capture.sub),
            HirKind::Concat(parts) => Self::concat(parts),
            HirKind::Alternation(parts) => Self::alternation(parts),
        }
    }

    /// Runs of exact pieces are multiplied out while small; the rest must
    /// all hold.
    fn concat(parts: &[Hir]) -> Self {
        let mut needs = Vec::new();
        let mut run: Option<BTreeSet<Vec<u8>>> = None;
        for part in parts {
            let info = Self::of(part);
            match (info.exact, run.take()) {
                (Some(exact), Some(current)) if exact.len() * current.len() <= MAX_EXACT => {
                    run = Some(product(&current, &exact));
                }
                (Some(exact), current) => {
                    needs.extend(current.map(|c| Self::exact(c).into_need()));
                    run = Some(exact);
                }
                (None, current) => {
                    needs.extend(current.map(|c| Self::exact(c).into_need()));
                    needs.push(info.need);
                }
            }
        }
        match run {
            Some(run) if needs.is_empty() => Self::exact(run),
            run => {
                needs.extend(run.map(|c| Self::exact(c).into_need()));
                Self::need(Need::and(needs))
            }
        }
    }

    fn alternation(parts: &[Hir]) -> Self {
        let infos: Vec<Self> = parts.iter().map(Self::of).collect();
        if infos.iter().all(|i| i.exact.is_some()) {
            let union: BTreeSet<Vec<u8>> = infos
                .iter()
                .flat_map(|i| i.exact.iter().flatten().cloned())
                .collect();
            if union.len() <= MAX_ALTERNATION {
                return Self::exact(union);
            }
        }
        Self::need(Need::or(infos.into_iter().map(Self::into_need).collect()))
    }

    fn into_need(self) -> Need {
        match self.exact {
            Some(strings) if strings.iter().any(Vec::is_empty) => Need::Any,
            Some(strings) => Need::or(strings.into_iter().map(Need::Atom).collect()),
            None => self.need,
        }
    }
}

/// Every concatenation of a string of `left` with one of `right`.
fn product(left: &BTreeSet<Vec<u8>>, right: &BTreeSet<Vec<u8>>) -> BTreeSet<Vec<u8>> {
    left.iter()
        .flat_map(|l| right.iter().map(move |r| [l.as_slice(), r].concat()))
        .collect()
}

/// The bytes with ASCII letters lower-cased (other bytes, such as UTF-8
/// sequences, are kept: the search ignores ASCII case only).
fn lower(bytes: &[u8]) -> Vec<u8> {
    bytes.to_ascii_lowercase()
}

/// The strings of a small class (one character each), or `None`.
fn class_strings(class: &Class) -> Option<BTreeSet<Vec<u8>>> {
    let mut out = BTreeSet::new();
    match class {
        Class::Unicode(class) => {
            for range in class.iter() {
                for c in range.start()..=range.end() {
                    out.insert(lower(c.encode_utf8(&mut [0; 4]).as_bytes()));
                    if out.len() > MAX_CLASS {
                        return None;
                    }
                }
            }
        }
        Class::Bytes(class) => {
            for range in class.iter() {
                for b in range.start()..=range.end() {
                    out.insert(lower(&[b]));
                    if out.len() > MAX_CLASS {
                        return None;
                    }
                }
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Whether `bytes` hold a byte `table` marks: eight bytes a step, one
/// branch each (the detectors' gates for short values, where a table
/// beats setting up a vectorised search).
pub(crate) fn holds_any(bytes: &[u8], table: &[bool; 256]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    let marked = |b: &u8| table[usize::from(*b)];
    chunks.any(|chunk| chunk.iter().fold(false, |hit, b| hit | marked(b)))
        || chunks.remainder().iter().any(marked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(pattern: &str) -> Vec<u8> {
        let set = ByteSet::needed_by(pattern);
        (0..=255u8).filter(|&b| set.contains(b)).collect()
    }

    #[test]
    fn an_atom_needs_its_rarest_byte() {
        assert_eq!(bytes(r"<script"), b"<");
        assert_eq!(bytes(r"(?i)UNION"), b"Uu");
        assert_eq!(bytes(r"etc/(?:passwd|shadow)"), b"/");
        assert_eq!(bytes(r"\bselect\s+\w+\s+from\b"), b"Ss");
    }

    #[test]
    fn alternatives_add_up_and_conjuncts_pick_the_rarest() {
        assert_eq!(bytes(r"(?:[;&|`\n(]|\$\()\s*\w+"), b"\n$&(;`|");
        assert_eq!(bytes(r"['`]\s*\bunion\b"), b"'`");
        assert_eq!(bytes(r"a;|b<"), b";<");
    }

    #[test]
    fn what_cannot_be_bounded_needs_every_byte() {
        assert_eq!(ByteSet::needed_by(r"x?"), ByteSet::ALL);
        assert_eq!(ByteSet::needed_by(r"\w+"), ByteSet::ALL);
        assert_eq!(ByteSet::needed_by(r"a|.*"), ByteSet::ALL);
        assert_eq!(ByteSet::needed_by(r"(unclosed"), ByteSet::ALL);
        assert!(ByteSet::ALL.found_in(""));
        assert!(!ByteSet::needed_by("<").found_in("plain text"));
    }
}
