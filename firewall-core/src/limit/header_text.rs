//! [`HeaderText`]: a header value a limiter sends on many responses (its
//! `RateLimit-Policy`, the `RateLimit` of a client at full quota), kept for
//! the life of the process so that a server can send it without copying it
//! or counting references to it.
//!
//! Each distinct text is kept once, in a process-wide set: a reload that
//! keeps its limits, or builds the same limiter again, adds nothing. The set
//! holds at most [`MAX_INTERNED_BYTES`]; a text that does not fit is shared
//! (an `Arc<str>`) instead, so a program that makes ever new limits cannot
//! grow it without bound.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

/// The most bytes of header text kept for the life of the process (about
/// 4,000 limits' texts).
pub const MAX_INTERNED_BYTES: usize = 256 * 1024;

/// The process-wide set of kept texts.
static INTERNED: Interner = Interner::new(MAX_INTERNED_BYTES);

/// A header value's text: kept for the life of the process when the set had
/// room, else shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderText {
    /// Kept for the life of the process.
    Interned(&'static str),
    /// Over [`MAX_INTERNED_BYTES`]: shared by reference count.
    Shared(Arc<str>),
}

impl HeaderText {
    /// `text`, kept in the process-wide set if it is there or fits.
    pub(crate) fn new(text: String) -> Self {
        INTERNED.intern(text)
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Interned(text) => text,
            Self::Shared(text) => text,
        }
    }

    /// The text when it lives as long as the process.
    pub(crate) fn as_static(&self) -> Option<&'static str> {
        match self {
            Self::Interned(text) => Some(text),
            Self::Shared(_) => None,
        }
    }
}

/// A set of texts kept forever, up to `max_bytes`.
#[derive(Debug)]
struct Interner {
    kept: Mutex<Kept>,
    max_bytes: usize,
}

#[derive(Debug)]
struct Kept {
    texts: BTreeSet<&'static str>,
    bytes: usize,
}

impl Interner {
    const fn new(max_bytes: usize) -> Self {
        Self {
            kept: Mutex::new(Kept {
                texts: BTreeSet::new(),
                bytes: 0,
            }),
            max_bytes,
        }
    }

    /// The kept copy of `text`, kept now if it fits; shared if it does not.
    fn intern(&self, text: String) -> HeaderText {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&same) = kept.texts.get(text.as_str()) {
            return HeaderText::Interned(same);
        }
        let bytes = kept.bytes.saturating_add(text.len());
        if bytes > self.max_bytes {
            return HeaderText::Shared(text.into());
        }
        let forever: &'static str = Box::leak(text.into_boxed_str());
        kept.texts.insert(forever);
        kept.bytes = bytes;
        HeaderText::Interned(forever)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_text_is_kept_once() {
        let interner = Interner::new(100);
        let first = interner.intern(r#""api";q=100;w=1"#.to_owned());
        let again = interner.intern(r#""api";q=100;w=1"#.to_owned());
        let (Some(first), Some(again)) = (first.as_static(), again.as_static()) else {
            panic!("both kept: {first:?} {again:?}");
        };
        assert!(std::ptr::eq(first, again), "one copy");
        assert_eq!(interner.kept.lock().unwrap().bytes, first.len());
    }

    #[test]
    fn a_text_over_the_cap_is_shared_and_the_cap_holds() {
        let interner = Interner::new(10);
        assert!(interner
            .intern("0123456789".to_owned())
            .as_static()
            .is_some());
        for text in ["a", "0123456789a"] {
            let over = interner.intern(text.to_owned());
            assert_eq!(over, HeaderText::Shared(text.into()));
            assert_eq!(over.as_str(), text);
        }
        assert!(
            interner
                .intern("0123456789".to_owned())
                .as_static()
                .is_some(),
            "a kept text is still found when full"
        );
        assert_eq!(interner.kept.lock().unwrap().bytes, 10);
    }
}
