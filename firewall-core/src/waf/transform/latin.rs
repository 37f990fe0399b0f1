//! Unicode normalisation and lower case in one cheap pass for text whose
//! only non-ASCII characters are Latin letters (Latin-1's and Latin
//! Extended-A's: `é`, `ü`, `ł`, `ğ`...), as most of the world writes its
//! names and prose.
//!
//! Each such letter is one table entry: whether normalisation leaves it as
//! it is, and its lower case. Anything else (another character, NUL, a
//! letter the table does not hold) makes the pass give up, and the caller
//! runs the full chain ([`super::decode_all`]).

use std::borrow::Cow;
use std::ops::Range;

use memchr::memchr;

use super::ascii_prefix_len;

/// The first character [`LATIN_LOWER`] covers (`À`).
const FIRST: u32 = 0xc0;

/// The last character [`LATIN_LOWER`] covers (`ſ`).
const LAST: u32 = 0x17f;

/// Marks a character of the range that the pass does not handle.
const NOT_HANDLED: u16 = 0;

/// For each character from [`FIRST`] to [`LAST`]: its lower case (one
/// character of the same range), or [`NOT_HANDLED`] when normalisation
/// changes it (`ĳ`, `ŀ`, `ŉ`, `ſ` are compatibility characters) or its
/// lower case is longer (`İ` lower-cases to `i` and a combining dot).
/// The tests check every entry against `unicode-normalization` and the
/// standard library.
const LATIN_LOWER: [u16; (LAST - FIRST + 1) as usize] = latin_lower();

const fn latin_lower() -> [u16; (LAST - FIRST + 1) as usize] {
    let mut table = [NOT_HANDLED; (LAST - FIRST + 1) as usize];
    let mut code = FIRST;
    while code <= LAST {
        let lower = match code {
            // `İ`, `ĳ` `Ĳ`, `Ŀ` `ŀ`, `ŉ`, `ſ`.
            0x130 | 0x132 | 0x133 | 0x13f | 0x140 | 0x149 | 0x17f => NOT_HANDLED as u32,
            // `À`..`Þ` but `×`.
            0xc0..=0xde if code != 0xd7 => code + 0x20,
            // `Ÿ`.
            0x178 => 0xff,
            // Pairs upper then lower, the upper one even.
            0x100..=0x137 | 0x14a..=0x177 if code % 2 == 0 => code + 1,
            // Pairs upper then lower, the upper one odd.
            0x139..=0x148 | 0x179..=0x17e if code % 2 == 1 => code + 1,
            // `×`, `ß`..`ÿ`, `ı`, `ĸ` and the lower halves of the pairs.
            _ => code,
        };
        table[(code - FIRST) as usize] = lower as u16;
        code += 1;
    }
    table
}

/// [`super::normalise_unicode`] then [`super::lowercase`] of `value`, when
/// every non-ASCII character of it is one [`LATIN_LOWER`] handles and it
/// holds no NUL; `None` otherwise. Borrowed when nothing changes.
pub(crate) fn lowercase_latin(value: &str) -> Option<Cow<'_, str>> {
    let letters_change = latin_letters_change(value)?;
    if !letters_change && !value.bytes().any(|b| b.is_ascii_uppercase()) {
        return Some(Cow::Borrowed(value));
    }
    let mut out = value.to_owned();
    lowercase_handled(&mut out, 0..value.len(), letters_change);
    Some(Cow::Owned(out))
}

/// [`lowercase_latin`] of `text[range]`, written over it: `false`, and
/// `text` as it was, when the pass does not handle that value.
pub(crate) fn lowercase_latin_in_place(text: &mut String, range: Range<usize>) -> bool {
    let Some(letters_change) = text.get(range.clone()).and_then(latin_letters_change) else {
        return false;
    };
    lowercase_handled(text, range, letters_change);
    true
}

/// Whether a non-ASCII letter of `value` lower-cases to another, when the
/// pass handles every character of it (and it holds no NUL).
fn latin_letters_change(value: &str) -> Option<bool> {
    if memchr(0, value.as_bytes()).is_some() {
        return None;
    }
    let mut letters_change = false;
    for (_, code) in wide_characters(value) {
        let code = code?;
        letters_change |= lower_latin(code)? != code;
    }
    Some(letters_change)
}

/// Lower-cases `text[range]`, a value the pass handles
/// ([`latin_letters_change`] said so, and whether a letter changes):
/// ASCII letters in bulk, then each letter that changes (two bytes for
/// two bytes, so the offsets hold).
fn lowercase_handled(text: &mut String, range: Range<usize>, letters_change: bool) {
    let Some(value) = text.get_mut(range.clone()) else {
        return;
    };
    value.make_ascii_lowercase();
    if !letters_change {
        return;
    }
    let mut from = range.start;
    while let Some((at, code)) = next_wide(&text.as_bytes()[..range.end], from) {
        let Some(code) = code else {
            return; // Never so: a character of more bytes is not handled.
        };
        let lower = lower_latin(code).filter(|&lower| lower != code);
        if let Some(lower) = lower.and_then(char::from_u32) {
            text.replace_range(at..at + 2, lower.encode_utf8(&mut [0; 4]));
        }
        from = at + 2;
    }
}

/// The lower case of `code` (a character of two UTF-8 bytes), when
/// [`LATIN_LOWER`] handles it.
fn lower_latin(code: u32) -> Option<u32> {
    let index = usize::try_from(code.checked_sub(FIRST)?).ok()?;
    match LATIN_LOWER.get(index) {
        Some(&lower) if lower != NOT_HANDLED => Some(u32::from(lower)),
        _ => None,
    }
}

/// The non-ASCII characters of `text` with their byte offsets
/// ([`next_wide`]), up to the first that takes more than two bytes.
fn wide_characters(text: &str) -> impl Iterator<Item = (usize, Option<u32>)> + '_ {
    let bytes = text.as_bytes();
    let mut from = Some(0);
    std::iter::from_fn(move || {
        let (at, code) = next_wide(bytes, from?)?;
        from = code.map(|_| at + 2);
        Some((at, code))
    })
}

/// The first non-ASCII character of `bytes` (UTF-8) at or after `from`
/// (the start of a character): its offset, and its code when it takes two
/// bytes (`None` when it takes more). The ASCII bytes before it are
/// skipped sixteen at a time.
fn next_wide(bytes: &[u8], from: usize) -> Option<(usize, Option<u32>)> {
    let at = from + ascii_prefix_len(bytes.get(from..)?);
    let lead = *bytes.get(at)?;
    // A two-byte character's lead is `110x_xxxx`: `0xc0..=0xdf`.
    if lead & 0xe0 != 0xc0 {
        return Some((at, None));
    }
    let next = bytes.get(at + 1).copied().unwrap_or(0);
    Some((
        at,
        Some(u32::from(lead & 0x1f) << 6 | u32::from(next & 0x3f)),
    ))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use unicode_normalization::char::canonical_combining_class;
    use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

    use super::super::{decode_all, lowercase, normalise_unicode};
    use super::*;

    /// Every entry of the table is a character that normalisation keeps
    /// whatever its neighbours (no combining class, quick check yes, no
    /// look-alike) and whose lower case is the one character it holds;
    /// and every character of the range it leaves out is one for which
    /// that is not so.
    #[test]
    fn table_entries_are_the_standard_library_and_normalisation() {
        for code in FIRST..=LAST {
            let c = char::from_u32(code).unwrap();
            let text = c.to_string();
            let stable = canonical_combining_class(c) == 0
                && is_nfkc_quick(text.chars()) == IsNormalized::Yes
                && text.nfkc().eq(text.chars())
                && normalise_unicode(&text).0 == text;
            let lower: Vec<char> = c.to_lowercase().collect();
            let handled = lower_latin(code);
            if stable && lower.len() == 1 {
                let lower = u32::from(lower[0]);
                assert_eq!(handled, Some(lower), "{c:?}");
                assert!((FIRST..=LAST).contains(&lower), "{c:?}");
            } else {
                assert_eq!(handled, None, "{c:?}");
            }
        }
        assert_eq!(lower_latin(u32::from('É')), Some(u32::from('é')));
        assert_eq!(lower_latin(u32::from('İ')), None);
        assert_eq!(lower_latin(u32::from('ß')), Some(u32::from('ß')));
        assert_eq!(lower_latin(u32::from('\u{bf}')), None);
        assert_eq!(lower_latin(u32::from('ƀ')), None);
    }

    /// The chain the pass stands for, step by step.
    fn reference(value: &str) -> String {
        let normal = normalise_unicode(value).0;
        lowercase(&normal).0.into_owned()
    }

    /// Text of ASCII, the table's range, its neighbours and the odd cases:
    /// combining marks, `İ`, `ß`, `ẞ`, full-width forms, final sigma,
    /// compatibility characters, spaces that are not ASCII, NUL, emoji.
    fn latin_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => "[a-zA-Z0-9 .,:'\t\n]{1,12}",
            4 => "[\u{c0}-\u{17f}]{1,3}",
            1 => "[\u{80}-\u{bf}\u{180}-\u{24f}]",
            1 => prop_oneof![
                Just("e\u{301}"),
                Just("\u{301}"),
                Just("\u{327}"),
                Just("İ"),
                Just("ß"),
                Just("ẞ"),
                Just("Ｓｅｌｅｃｔ"),
                Just("ＡＢ"),
                Just("ΣΑΣ "),
                Just("Ⱥ"),
                Just("ǅ"),
                Just("\u{a0}"),
                Just("\u{3000}"),
                Just("’"),
                Just("\0"),
                Just("😀"),
                Just("日本"),
                Just("K"),
            ]
            .prop_map(str::to_owned),
        ];
        proptest::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        /// Where the pass answers, its answer is the chain's (and the
        /// full decoding's, for text with nothing else to decode); it
        /// answers all text of ASCII and the letters the table holds.
        #[test]
        fn one_pass_matches_normalising_then_lower_casing(value in latin_text()) {
            let handled = value.chars().all(|c| {
                c != '\0' && (c.is_ascii() || lower_latin(u32::from(c)).is_some())
            });
            match lowercase_latin(&value) {
                Some(lower) => {
                    prop_assert!(handled, "{:?}", value);
                    prop_assert_eq!(matches!(lower, Cow::Borrowed(_)), lower == value);
                    prop_assert_eq!(lower.as_ref(), reference(&value));
                    if !value.contains(['%', '&', '\\']) {
                        let decoded = decode_all(&value);
                        prop_assert_eq!(lower.as_ref(), decoded.as_ref());
                    }
                }
                None => prop_assert!(!handled, "{:?}", value),
            }
        }

        /// Every character, alone and between letters: the pass answers
        /// as the chain or not at all.
        #[test]
        fn any_character_is_handled_or_left(c in any::<char>(), before in "[a-zA-Zé]{0,3}") {
            let value = format!("{before}{c}{before}");
            if let Some(lower) = lowercase_latin(&value) {
                prop_assert_eq!(lower.as_ref(), reference(&value));
            }
        }
    }

    #[test]
    fn odd_cases_are_left_to_the_chain() {
        assert_eq!(lowercase_latin("Zoë Müller").as_deref(), Some("zoë müller"));
        assert_eq!(
            lowercase_latin("ÉCOLE Ÿ"),
            Some(Cow::Owned("école ÿ".into()))
        );
        assert_eq!(lowercase_latin("café"), Some(Cow::Borrowed("café")));
        assert_eq!(lowercase_latin("Straße"), Some(Cow::Owned("straße".into())));
        for odd in [
            "İstanbul",
            "cafe\u{301}",
            "ĳs",
            "Ｓ",
            "a\0é",
            "ẞ",
            "né\u{a0}",
        ] {
            assert_eq!(lowercase_latin(odd), None, "{odd:?}");
        }
    }
}
