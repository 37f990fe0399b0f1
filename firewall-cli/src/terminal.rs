//! Text for the terminal: whatever came from the input (rule descriptions,
//! request lines, header values, file names) goes through [`clean`], so an
//! ESC or a CR in it cannot move the cursor, recolour or rewrite the screen.

use std::borrow::Cow;

/// Escapes control characters (ESC, CR, LF...), Unicode bidi controls and
/// backslashes the way the firewall's log does (`\x1b`, `\r`, `\u{202e}`, `\\`).
pub(crate) fn clean(text: &str) -> Cow<'_, str> {
    firewall_core::logger::escape(text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_what_could_drive_the_terminal() {
        assert_eq!(
            super::clean("a\x1b[2Jb\r\n\u{202e}"),
            "a\\x1b[2Jb\\r\\n\\u{202e}"
        );
    }
}
