//! Escaping text that may come from a client before it reaches a log line.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Makes text safe for one log line: control characters (CR, LF, ESC, …),
/// Unicode bidi controls and line separators, and backslashes are written as
/// escapes (`\r`, `\n`, `\x1b`, `\u{202e}`, `\\`). Borrows when nothing needs escaping.
///
/// # Examples
///
/// ```
/// use firewall_core::logger::escape;
/// assert_eq!(escape("/a\r\nFAKE [INFO] x"), "/a\\r\\nFAKE [INFO] x");
/// assert_eq!(escape("\x1b[31mred"), "\\x1b[31mred");
/// assert_eq!(escape("plain"), "plain");
/// ```
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let _ = Escaping(&mut out).write_str(text);
    Cow::Owned(out)
}

/// Escapes `line[start..]` in place, as [`escape`] does; a tail of printable
/// ASCII without backslashes (nearly every line) is only scanned.
pub(crate) fn escape_from(line: &mut Vec<u8>, start: usize) {
    if is_plain(&line[start..]) {
        return;
    }
    let text = String::from_utf8_lossy(&line[start..]);
    if let Cow::Owned(escaped) = escape(&text) {
        line.truncate(start);
        line.extend_from_slice(escaped.as_bytes());
    }
}

/// Whether every byte is printable ASCII other than `\\`: eight bytes per
/// step, with the exact "some byte is below n" tests of bit twiddling.
fn is_plain(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH;
    let mut words = bytes.chunks_exact(8);
    let mut flagged = 0;
    for chunk in &mut words {
        let word = u64::from_ne_bytes(chunk.try_into().unwrap_or_default());
        flagged |= (word & HIGH)
            | below(word, 0x20)
            | below(word ^ (ONES * 0x7f), 1)
            | below(word ^ (ONES * u64::from(b'\\')), 1);
    }
    flagged == 0
        && words
            .remainder()
            .iter()
            .all(|&b| (0x20..0x7f).contains(&b) && b != b'\\')
}

fn needs_escape(c: char) -> bool {
    c == '\\' || c.is_control() || is_bidi_or_separator(c)
}

/// The Unicode bidi controls and line separators: text a terminal would
/// reorder or break a line on.
pub(crate) fn is_bidi_or_separator(c: char) -> bool {
    matches!(
        c,
        '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
    )
}

/// A [`fmt::Write`] adapter that escapes everything written through it, so a
/// message can be escaped while it is formatted, without a temporary string.
pub(crate) struct Escaping<'a, W: fmt::Write + ?Sized>(pub(crate) &'a mut W);

impl<W: fmt::Write + ?Sized> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        // Most pieces are printable ASCII (addresses, ports, keywords).
        if text
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'\\')
        {
            return self.0.write_str(text);
        }
        let mut clean_from = 0;
        for (at, c) in text.char_indices() {
            if !needs_escape(c) {
                continue;
            }
            self.0.write_str(&text[clean_from..at])?;
            clean_from = at + c.len_utf8();
            match c {
                '\\' => self.0.write_str("\\\\")?,
                '\n' => self.0.write_str("\\n")?,
                '\r' => self.0.write_str("\\r")?,
                '\t' => self.0.write_str("\\t")?,
                c if (c as u32) < 0x100 => write!(self.0, "\\x{:02x}", c as u32)?,
                c => write!(self.0, "\\u{{{:x}}}", c as u32)?,
            }
        }
        self.0.write_str(&text[clean_from..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_could_forge_or_colour_a_line() {
        assert_eq!(escape("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(escape("\u{85}"), "\\x85");
        assert_eq!(escape("back\\slash"), "back\\\\slash");
        assert_eq!(escape("tab\there"), "tab\\there");
        assert_eq!(escape("é\n€"), "é\\n€");
        assert!(matches!(escape("/ok/path?q=1"), Cow::Borrowed(_)));
    }

    #[test]
    fn escaping_in_place_leaves_the_head_alone() {
        let mut line = b"head\\ \r\n/a\xe2\x80\xaeb\\".to_vec();
        escape_from(&mut line, 6);
        assert_eq!(line, b"head\\ \\r\\n/a\\u{202e}b\\\\");
        let clean = b"x ACL ALLOW: [TCP] 1.2.3.4:5 -> [::1]:6";
        let mut line = clean.to_vec();
        escape_from(&mut line, 2);
        assert_eq!(line, clean);
    }

    proptest::proptest! {
        #[test]
        fn the_word_scan_agrees_with_a_byte_scan(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            plain in proptest::collection::vec(0x20u8..0x7f, 0..40),
            at in 0usize..40,
            odd in proptest::prelude::any::<u8>(),
        ) {
            let byte_scan = |b: &[u8]| b.iter().all(|&b| (0x20..0x7f).contains(&b) && b != b'\\');
            proptest::prop_assert_eq!(is_plain(&bytes), byte_scan(&bytes));
            // Mostly-plain input with one odd byte anywhere.
            let mut one_odd = plain.clone();
            if !one_odd.is_empty() {
                let at = at % one_odd.len();
                one_odd[at] = odd;
            }
            proptest::prop_assert_eq!(is_plain(&one_odd), byte_scan(&one_odd));
        }
    }

    #[test]
    fn the_adapter_escapes_formatted_arguments() {
        let mut out = String::new();
        let path = "/x\r\ny";
        write!(Escaping(&mut out), "path {path} end").unwrap();
        assert_eq!(out, "path /x\\r\\ny end");
    }
}
