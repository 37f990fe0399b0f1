//! One pass over a value's bytes that tells which decoders and view
//! rewrites could change it, so that a plain value (most of them: names,
//! numbers, prose without quotes) skips them all without allocating; and,
//! for the decoded value, whether the SQL and shell detectors' byte gates
//! let it in, so that they do not read it again (nor the joined values
//! of a request, for the XSS and JavaScript detectors' gates).
//!
//! Each check only proves "unchanged" (or "no injection"); anything it
//! cannot prove goes through the full [`super::transform`] chain (or the
//! detector), so the texts the signatures see and the detectors' answers
//! are the same either way.

use std::borrow::Cow;
use std::sync::LazyLock;

use memchr::memmem::Finder;

use crate::waf::{js_injection, shell_injection, sql_injection, transform, xss_injection};

bitflags::bitflags! {
    /// The byte classes found in a value.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct Shape: u32 {
        const PERCENT = 1;
        const AMP = 1 << 1;
        const BACKSLASH = 1 << 2;
        /// Non-ASCII, or NUL (Unicode normalisation changes both).
        const WIDE = 1 << 3;
        const UPPER = 1 << 4;
        /// Below 0x20, or DEL.
        const CONTROL = 1 << 5;
        const SLASH = 1 << 6;
        const STAR = 1 << 7;
        /// What shell normalisation removes or rewrites: `\ ' " ^ $ , ;`.
        const SHELL = 1 << 8;
        const ZERO = 1 << 9;
        const SPACE = 1 << 10;
        /// A byte the SQL detector's gate looks for (a blank, quote,
        /// parenthesis, `;`, `|`, `&`, `#`, `/`).
        const SQL = 1 << 11;
        /// A byte a shell reads, which the shell detector's gate looks for
        /// (a separator, quote, escape, caret, variable, brace).
        const SHELL_READ = 1 << 12;
        /// A byte that opens a command or a brace expansion anywhere in a
        /// value (`; | &`, a backtick, a line break, `(`, `{`), which the
        /// shell detector's gate looks for after the first byte a shell
        /// reads.
        const SHELL_OPEN = 1 << 13;
        /// NUL, or the first byte of a character that is not ASCII nor a
        /// letter of Latin-1 or Latin Extended-A (`U+00C0..=U+017F`, led
        /// by `0xC3..=0xC5`): what the Latin pass
        /// ([`transform::lowercase_latin`]) gives up on, and the lead of
        /// every space that is not ASCII.
        const BEYOND_LATIN = 1 << 14;
        /// A byte the XSS detector's gate looks for (`<`, `=`, a high-bit
        /// lead of markup).
        const MARKUP = 1 << 15;
        /// A byte the JavaScript detector's gate looks for (`(`, a
        /// backtick, `=`, `[`).
        const SCRIPT = 1 << 16;
        /// `'`, which the SQL detector reads a value after.
        const SINGLE_QUOTE = 1 << 17;
        /// `"`, which the SQL detector reads a value after.
        const DOUBLE_QUOTE = 1 << 18;
        /// What the base decoding chain reacts to, apart from upper case.
        const ENCODED = Self::PERCENT.bits()
            | Self::AMP.bits()
            | Self::BACKSLASH.bits()
            | Self::WIDE.bits();
    }
}

impl Shape {
    /// The classes of every byte of `value`.
    pub(crate) fn of(value: &str) -> Self {
        // Eight bytes a step: one table load and one `or` each, where the
        // byte iterator's loop cost as much again.
        let class = |b: &u8| CLASSES[usize::from(*b)].bits();
        let mut chunks = value.as_bytes().chunks_exact(8);
        let mut bits = 0;
        for chunk in &mut chunks {
            bits |= chunk.iter().fold(0, |acc, b| acc | class(b));
        }
        bits |= chunks.remainder().iter().fold(0, |acc, b| acc | class(b));
        Self::from_bits_retain(bits)
    }

    fn has(self, classes: Self) -> bool {
        self.intersects(classes)
    }

    /// [`transform::decode_all`] of `raw` (whose shape this is), and the
    /// shape of the result.
    #[inline]
    pub(crate) fn decode(self, raw: &str) -> (Cow<'_, str>, Self) {
        if let Some(latin) = self.decode_latin(raw) {
            return latin;
        }
        if self.has(Self::ENCODED) {
            let decoded = transform::decode_all(raw);
            let shape = Self::of(&decoded);
            return (decoded, shape);
        }
        if let Some(lower) = self.lowercased_only() {
            // ASCII only: `to_lowercase` and `to_ascii_lowercase` agree.
            return (Cow::Owned(raw.to_ascii_lowercase()), lower);
        }
        (Cow::Borrowed(raw), self)
    }

    /// [`Self::decode`] of a value of this shape by the Latin pass, when
    /// it may be one the pass decodes ([`Self::latin_only`]) and is.
    fn decode_latin(self, raw: &str) -> Option<(Cow<'_, str>, Self)> {
        let shape = self.latin_only()?;
        Some((transform::lowercase_latin(raw)?, shape))
    }

    /// When [`Self::decode`] of a value of this shape may only normalise
    /// and lower-case it (no `%`, `&` or backslash for the decoders before)
    /// and its wide characters may all be Latin letters: the shape of the
    /// result if the Latin pass ([`transform::lowercase_latin`]) decodes
    /// it. Its letters stay letters of the same range (the pass's table is
    /// checked for it), and ASCII letters have no class but upper case.
    pub(crate) fn latin_only(self) -> Option<Self> {
        let decoders = Self::PERCENT | Self::AMP | Self::BACKSLASH | Self::BEYOND_LATIN;
        (self.has(Self::WIDE) && !self.has(decoders)).then_some(self.difference(Self::UPPER))
    }

    /// When [`Self::decode`] of a value of this shape only lower-cases
    /// ASCII letters: the shape of the result.
    pub(crate) fn lowercased_only(self) -> Option<Self> {
        (!self.has(Self::ENCODED) && self.has(Self::UPPER)).then_some(self.difference(Self::UPPER))
    }

    /// Whether no view has a text of its own for a raw value of this shape
    /// whose decoded value has shape `decoded`: none of the bytes
    /// [`Self::raw_escaped`], [`Self::sql_may_change`],
    /// [`Self::path_may_change`] and [`Self::shell_may_change`] look at
    /// first is there.
    pub(crate) fn unchanged_in_every_view(self, decoded: Self) -> bool {
        let raw_view = Self::PERCENT.union(Self::CONTROL).union(Self::ZERO);
        let rewrites = Self::SLASH
            .union(Self::STAR)
            .union(Self::CONTROL)
            .union(Self::BEYOND_LATIN)
            .union(Self::SPACE)
            .union(Self::BACKSLASH)
            .union(Self::SHELL);
        !self.has(raw_view) && !decoded.has(rewrites)
    }

    /// Whether the raw view scans this raw value: it carries escapes or
    /// control characters.
    pub(crate) fn raw_escaped(self, raw: &str) -> bool {
        self.has(Self::PERCENT | Self::CONTROL)
            || (self.has(Self::ZERO) && contains_pair(raw, &HEX_PREFIX))
    }

    /// Whether the SQL view's rewrite (comments, whitespace) can change
    /// this decoded value.
    pub(crate) fn sql_may_change(self, decoded: &str) -> bool {
        if self.has(Self::SLASH) && self.has(Self::STAR) || self.has(Self::CONTROL) {
            return true;
        }
        // Without control characters: double spaces to collapse, or (a
        // lead beyond Latin letters) a space that is not ASCII. The control
        // bytes `transform::is_compressed` reads the value for are ruled
        // out.
        self.has(Self::SPACE) && contains_pair(decoded, &DOUBLE_SPACE)
            || self.has(Self::BEYOND_LATIN) && transform::has_unicode_space(decoded)
    }

    /// Whether path normalisation can change this decoded value (every
    /// case it handles involves a slash or a backslash).
    pub(crate) fn path_may_change(self) -> bool {
        self.has(Self::SLASH | Self::BACKSLASH)
    }

    /// Whether shell normalisation can change this decoded value.
    pub(crate) fn shell_may_change(self) -> bool {
        self.has(Self::SHELL)
    }

    /// Whether this decoded value holds a byte the SQL detector's gate
    /// looks for ([`sql_injection::NEEDED_TABLE`]).
    pub(crate) fn may_read_as_sql(self) -> bool {
        self.has(Self::SQL)
    }

    /// Whether this decoded value holds a byte a shell reads
    /// ([`shell_injection::NEEDED_TABLE`]): without one, the shell
    /// detector finds nothing in it.
    pub(crate) fn may_read_as_shell(self) -> bool {
        self.has(Self::SHELL_READ)
    }

    /// Whether this decoded value holds a byte that opens a command or a
    /// brace expansion ([`shell_injection::OPENING_TABLE`]).
    pub(crate) fn opens_a_command(self) -> bool {
        self.has(Self::SHELL_OPEN)
    }

    /// Whether this decoded value holds `quote`, one of the two the SQL
    /// detector reads a value after (`true` for any other byte: the shape
    /// cannot tell).
    pub(crate) fn holds_quote(self, quote: u8) -> bool {
        match quote {
            b'\'' => self.has(Self::SINGLE_QUOTE),
            b'"' => self.has(Self::DOUBLE_QUOTE),
            _ => true,
        }
    }

    /// Whether this decoded value holds a byte any markup needs
    /// ([`xss_injection::MARKUP_TABLE`]): without one, the XSS detector
    /// finds nothing in it.
    pub(crate) fn may_hold_markup(self) -> bool {
        self.has(Self::MARKUP)
    }

    /// Whether this decoded value holds a byte any script needs
    /// ([`js_injection::SCRIPT_TABLE`]): without one, the JavaScript
    /// detector finds nothing in it.
    pub(crate) fn may_hold_script(self) -> bool {
        self.has(Self::SCRIPT)
    }
}

/// Text shorter than this is searched for a pair of bytes in words, not
/// by a vector search ([`contains_pair`]).
const SHORT_TEXT: usize = 64;

/// Two ASCII bytes [`contains_pair`] searches for, with the vector
/// searcher of long text for them, built once: building one costs about
/// 90 instructions, more than the search of a comment of a few hundred
/// bytes (`memmem::find` built one a call).
struct Pair {
    /// The two bytes.
    bytes: [u8; 2],
    /// The searcher of [`Self::bytes`] in long text.
    finder: LazyLock<Finder<'static>>,
}

/// `0x`, which the raw view decodes ([`Shape::raw_escaped`]).
static HEX_PREFIX: Pair = Pair {
    bytes: *b"0x",
    finder: LazyLock::new(|| Finder::new(b"0x")),
};

/// Two spaces, which the SQL view collapses ([`Shape::sql_may_change`]).
static DOUBLE_SPACE: Pair = Pair {
    bytes: *b"  ",
    finder: LazyLock::new(|| Finder::new(b"  ")),
};

/// Whether `text` holds `pair`. Short text, most values, is read eight
/// bytes a step in a `u64`: a vector search costs more than such a value
/// takes. Long text goes to `memmem` (the pair's searcher), which cost
/// less on the load benchmark's comment than `str::contains` (callgrind,
/// `waf_profile form`: 63.9k against 64.3k an inspection).
fn contains_pair(text: &str, pair: &Pair) -> bool {
    if text.len() >= SHORT_TEXT {
        return pair.finder.find(text.as_bytes()).is_some();
    }
    let [first, second] = pair.bytes;
    // Eight bytes a step: in each, the bytes equal to `first` and those
    // equal to `second` as masks; a pair is a `first` byte whose next byte
    // (in this step, or the first of the next) is `second`.
    let mut chunks = text.as_bytes().chunks_exact(8);
    let mut first_last = 0; // The last byte of the step before was `first`.
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let (firsts, seconds) = (equal_bytes(word, first), equal_bytes(word, second));
        if firsts & (seconds >> 8) != 0 || first_last & seconds & 0x80 != 0 {
            return true;
        }
        first_last = firsts >> 56;
    }
    let mut before = (first_last != 0).then_some(first);
    for &b in chunks.remainder() {
        if b == second && before == Some(first) {
            return true;
        }
        before = Some(b);
    }
    false
}

/// The high bit of each byte of `word` (read little-endian) that equals
/// `byte`, exactly: no borrow runs from one byte into the next.
fn equal_bytes(word: u64, byte: u8) -> u64 {
    const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let diff = word ^ (u64::from(byte) * 0x0101_0101_0101_0101);
    // Bit 7 of a byte of `nonzero` is set when that byte of `diff` is not 0.
    let nonzero = ((diff & LOW_SEVEN) + LOW_SEVEN) | diff;
    !(nonzero | LOW_SEVEN)
}

/// The classes of each byte value.
const CLASSES: [Shape; 256] = classes();

const fn classes() -> [Shape; 256] {
    let mut table = [Shape::empty(); 256];
    let mut b = 0;
    while b < 256 {
        let mut gates = Shape::empty();
        if sql_injection::NEEDED_TABLE[b] {
            gates = gates.union(Shape::SQL);
        }
        if shell_injection::NEEDED_TABLE[b] {
            gates = gates.union(Shape::SHELL_READ);
        }
        if shell_injection::OPENING_TABLE[b] {
            gates = gates.union(Shape::SHELL_OPEN);
        }
        if xss_injection::MARKUP_TABLE[b] {
            gates = gates.union(Shape::MARKUP);
        }
        if js_injection::SCRIPT_TABLE[b] {
            gates = gates.union(Shape::SCRIPT);
        }
        let class = match b as u8 {
            b'%' => Shape::PERCENT,
            b'&' => Shape::AMP,
            b'\\' => Shape::BACKSLASH.union(Shape::SHELL),
            0 => Shape::WIDE.union(Shape::CONTROL).union(Shape::BEYOND_LATIN),
            0x80..=0xbf | 0xc3..=0xc5 => Shape::WIDE,
            0xc0..=0xc2 | 0xc6..=0xff => Shape::WIDE.union(Shape::BEYOND_LATIN),
            0x01..=0x1f | 0x7f => Shape::CONTROL,
            b'A'..=b'Z' => Shape::UPPER,
            b'/' => Shape::SLASH,
            b'*' => Shape::STAR,
            b'\'' => Shape::SHELL.union(Shape::SINGLE_QUOTE),
            b'"' => Shape::SHELL.union(Shape::DOUBLE_QUOTE),
            b'^' | b'$' | b',' | b';' => Shape::SHELL,
            b'0' => Shape::ZERO,
            b' ' => Shape::SPACE,
            _ => Shape::empty(),
        };
        table[b] = class.union(gates);
        b += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The classes read eight bytes a step are those of each byte.
        #[test]
        fn shape_of_reads_every_byte(text in "\\PC{0,40}") {
            let one_by_one = text
                .bytes()
                .fold(Shape::empty(), |acc, b| acc | CLASSES[usize::from(b)]);
            prop_assert_eq!(Shape::of(&text), one_by_one);
        }

        /// The word masks mark exactly the equal bytes, whatever their
        /// neighbours (borrows and high bits included).
        #[test]
        fn equal_bytes_marks_exactly_the_equal_bytes(
            bytes in prop::array::uniform8(prop_oneof![Just(0u8), Just(0x20), Just(0x21), Just(0x1f), Just(0x80), Just(0xa0), Just(0xff), any::<u8>()]),
            byte in prop_oneof![Just(0x20u8), Just(b'0'), Just(b'x'), Just(0), Just(0xff), any::<u8>()],
        ) {
            let by_byte = bytes
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == byte)
                .fold(0u64, |mask, (i, _)| mask | 0x80 << (8 * i));
            prop_assert_eq!(equal_bytes(u64::from_le_bytes(bytes), byte), by_byte);
        }

        #[test]
        fn contains_pair_matches_the_standard_library(
            text in "[0x a\t]{0,100}|\\PC{0,100}",
            pair in prop_oneof![Just("0x"), Just("  ")],
        ) {
            let searched = if pair == "0x" { &HEX_PREFIX } else { &DOUBLE_SPACE };
            prop_assert_eq!(searched.bytes, pair.as_bytes());
            prop_assert_eq!(contains_pair(&text, searched), text.contains(pair));
        }
    }

    /// The detectors' gate bits are set by exactly their gates' bytes
    /// (every ASCII byte; no byte of a wider character is in either).
    #[test]
    fn gate_classes_are_the_detectors_bytes() {
        for b in 0..0x80u8 {
            let shape = Shape::of(std::str::from_utf8(&[b]).unwrap());
            let i = usize::from(b);
            assert_eq!(
                shape.may_read_as_sql(),
                sql_injection::NEEDED_TABLE[i],
                "{b:#x}"
            );
            assert_eq!(
                shape.may_read_as_shell(),
                shell_injection::NEEDED_TABLE[i],
                "{b:#x}"
            );
            assert_eq!(
                shape.opens_a_command(),
                shell_injection::OPENING_TABLE[i],
                "{b:#x}"
            );
        }
        let wide = Shape::of("é’Ｓ\u{a0}");
        assert!(!wide.may_read_as_sql() && !wide.may_read_as_shell() && !wide.opens_a_command());
        assert!((0x80..=0xff).all(|i| {
            !sql_injection::NEEDED_TABLE[i]
                && !shell_injection::NEEDED_TABLE[i]
                && !shell_injection::OPENING_TABLE[i]
        }));
    }

    /// The XSS and JavaScript gates' bits are set by exactly their gates'
    /// bytes, wide characters' leads included, and the quotes' by theirs.
    #[test]
    fn markup_script_and_quote_classes_are_their_bytes() {
        for (i, class) in CLASSES.iter().enumerate() {
            assert_eq!(
                class.may_hold_markup(),
                xss_injection::MARKUP_TABLE[i],
                "{i:#x}"
            );
            assert_eq!(
                class.may_hold_script(),
                js_injection::SCRIPT_TABLE[i],
                "{i:#x}"
            );
        }
        for text in [
            "a < b",
            "x=1",
            "¼script¾",
            "f(1)",
            "a[0]",
            "`x`",
            "plain text",
        ] {
            let shape = Shape::of(text);
            assert_eq!(
                shape.may_hold_markup(),
                xss_injection::could_be_xss(text),
                "{text:?}"
            );
            assert_eq!(
                shape.may_hold_script(),
                js_injection::could_be_js(text),
                "{text:?}"
            );
        }
    }

    /// Every space that is not ASCII is led by a byte beyond Latin
    /// letters (so the SQL view's check for one may skip text without
    /// such a byte), and the Latin letters' bytes are not.
    #[test]
    fn beyond_latin_marks_every_wide_space_and_no_latin_letter() {
        let mut spaces = 0;
        for c in (0x80..=0x10_ffff).filter_map(char::from_u32) {
            let shape = Shape::of(c.encode_utf8(&mut [0; 4]));
            let latin = ('\u{c0}'..='\u{17f}').contains(&c);
            assert_eq!(shape.has(Shape::BEYOND_LATIN), !latin, "{c:?}");
            assert!(shape.has(Shape::WIDE), "{c:?}");
            spaces += usize::from(c.is_whitespace());
        }
        assert!(spaces > 10, "the loop saw the spaces ({spaces})");
        assert!(Shape::of("a\0b").has(Shape::BEYOND_LATIN));
        assert!(!Shape::of("Zoë Müller, Łódź").has(Shape::BEYOND_LATIN));
    }

    #[test]
    fn latin_values_are_lower_cased_in_one_pass() {
        for raw in [
            "Zoë Müller",
            "ÉCOLE",
            "café",
            "İstanbul",
            "e\u{301}",
            "Ｓ",
            "Zoë%20",
            "a\0é",
        ] {
            let shape = Shape::of(raw);
            let (decoded, lower) = shape.decode(raw);
            assert_eq!(decoded, transform::decode_all(raw), "{raw:?}");
            assert_eq!(lower, Shape::of(&decoded), "{raw:?}");
        }
        assert!(Shape::of("Zoë").decode_latin("Zoë").is_some());
        assert!(Shape::of("İ").decode_latin("İ").is_none());
    }

    #[test]
    fn plain_values_skip_decoding_and_rewrites() {
        let shape = Shape::of("Ann select the plan");
        let (decoded, lower) = shape.decode("Ann select the plan");
        assert_eq!(decoded, "ann select the plan");
        assert!(!lower.path_may_change() && !lower.shell_may_change());
        assert!(!lower.sql_may_change(&decoded));
        assert!(!shape.raw_escaped("Ann select the plan"));
    }

    #[test]
    fn anything_a_rewrite_reacts_to_is_seen() {
        assert!(Shape::of("a%27").raw_escaped("a%27"));
        assert!(Shape::of("0x41").raw_escaped("0x41"));
        assert!(Shape::of("a/*b").sql_may_change("a/*b"));
        assert!(Shape::of("a  b").sql_may_change("a  b"));
        assert!(Shape::of("a\tb").sql_may_change("a\tb"));
        assert!(Shape::of("..\\x").path_may_change());
        assert!(Shape::of("you'd").shell_may_change());
        let (decoded, _) = Shape::of("%3Cb%3E").decode("%3Cb%3E");
        assert_eq!(decoded, "<b>");
    }
}
