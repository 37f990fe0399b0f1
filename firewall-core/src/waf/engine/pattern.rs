//! A signature's pattern as the automata get it: word boundaries made
//! ASCII, text anchors made line anchors.
//!
//! In `regex`, `\b` and `\B` are Unicode-aware, and its lazy DFA cannot
//! decide a Unicode word boundary next to a non-ASCII byte: it gives up at
//! the first one and the search falls back to the `PikeVM`, which runs a few
//! hundred signatures at a time hundreds of times slower. A 1 KB form with
//! one `é` in it took 19.6 ms to inspect instead of 24 µs (`waf_profile`), so
//! any client could make every request cost that much.
//!
//! The automata see values decoded, case-folded and normalised, so the
//! attacks they look for are ASCII, and on ASCII text nothing changes. An
//! ASCII boundary counts a non-ASCII letter as a non-word character: beside
//! a letter of the pattern (`\bunion`, the only way the built-in signatures
//! use `\b`; none uses `\B`) it finds a boundary where the Unicode one would
//! not, so it adds matches (`éunion`) and loses none.
//!
//! The automata also run over every value of a request joined by NULs, in
//! multi-line mode with NUL ending a line, and rely on "no match in the
//! joined text means no match in any value". `\A` and `\z` would only
//! match at the ends of the joined text, so a signature written with them
//! (one of the user's) would miss every value but the first and last: they
//! become `^` and `$`, which on one value (it never holds a NUL) mean the
//! same and in the joined text match at every value's ends.

use std::borrow::Cow;

/// `pattern` with every `\b` and `\B` (and their `\b{start}`-style forms)
/// made ASCII-only, so that the lazy DFA never gives up on non-ASCII text,
/// and `\A`, `\z` made `^`, `$`. Escaped backslashes are left alone;
/// inside a class these escapes are syntax errors already, so classes need
/// no tracking.
pub(crate) fn for_automata(pattern: &str) -> Cow<'_, str> {
    if !pattern.contains('\\') {
        return Cow::Borrowed(pattern);
    }
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(b @ ('b' | 'B')) => {
                out.push_str("(?-u:\\");
                out.push(b);
                if chars.peek() == Some(&'{') {
                    // `\b{start}`, `\b{end}`, `\b{start-half}`, `\b{end-half}`.
                    for c in chars.by_ref() {
                        out.push(c);
                        if c == '}' {
                            break;
                        }
                    }
                }
                out.push(')');
            }
            Some('A') => out.push('^'),
            Some('z') => out.push('$'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use regex::Regex;
    use regex_syntax::ParserBuilder;

    use super::*;
    use crate::waf::signatures::Signature;

    /// Whether `pattern` (as the engine compiles it) asks for a Unicode
    /// word boundary, the assertion that makes the lazy DFA give up.
    fn has_unicode_boundary(pattern: &str) -> bool {
        let hir = ParserBuilder::new()
            .line_terminator(0)
            .multi_line(true)
            .build()
            .parse(pattern)
            .unwrap_or_else(|e| panic!("{pattern:?}: {e}"));
        let looks = hir.properties().look_set();
        looks.contains_word_unicode()
    }

    #[test]
    fn boundaries_become_ascii_and_nothing_else_changes() {
        assert_eq!(for_automata(r"\bselect\b"), r"(?-u:\b)select(?-u:\b)");
        assert_eq!(for_automata(r"a\Bb"), r"a(?-u:\B)b");
        assert_eq!(for_automata(r"\b{start}x"), r"(?-u:\b{start})x");
        assert_eq!(for_automata(r"\\b\d"), r"\\b\d");
        assert_eq!(for_automata(r"x\\\bz"), r"x\\(?-u:\b)z");
        assert_eq!(for_automata(r"\Aadmin\z|\\A"), r"^admin$|\\A");
        assert!(matches!(for_automata("union select"), Cow::Borrowed(_)));
    }

    #[test]
    fn no_built_in_signature_keeps_a_unicode_boundary() {
        let signatures = Signature::builtin();
        let before = signatures
            .iter()
            .filter(|s| has_unicode_boundary(&s.pattern))
            .count();
        // The test means something only while signatures use `\b`.
        assert!(before > 10, "{before} signatures with \\b");
        for s in &signatures {
            let rewritten = for_automata(&s.pattern);
            assert!(!has_unicode_boundary(&rewritten), "{}: {rewritten}", s.id);
        }
    }

    #[test]
    fn on_ascii_text_the_rewritten_patterns_match_alike_and_beside_non_ascii_they_add() {
        let patterns = [r"\bunion\b", r"\bion\b", r"\b{start}or\b{end}"];
        let texts = [
            "union select",
            "reunion",
            "a union",
            "or 1=1",
            "door",
            "café union",
            "éunion",
            "uniоn",
        ];
        for pattern in patterns {
            let (unicode, ascii) = (
                Regex::new(pattern).unwrap(),
                Regex::new(&for_automata(pattern)).unwrap(),
            );
            for text in texts {
                if text.is_ascii() {
                    assert_eq!(
                        unicode.is_match(text),
                        ascii.is_match(text),
                        "{pattern} {text}"
                    );
                } else if unicode.is_match(text) {
                    assert!(ascii.is_match(text), "{pattern} {text}");
                }
            }
        }
        assert!(Regex::new(&for_automata(r"\bunion\b"))
            .unwrap()
            .is_match("éunion"));
    }
}
