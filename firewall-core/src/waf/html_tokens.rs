//! An HTML tokenizer for values, after libinjection's `h5` one: it reads a
//! value as a browser's HTML parser would read it if the value were pasted
//! into a page, from the state the value lands in, and yields the tokens
//! that matter for telling markup from text: a start tag's name, each of
//! its attributes (name and value), an end tag's name, and `<!`/`<?`
//! constructs.
//!
//! The states follow the HTML standard's tokenizer: a tag starts at `<`
//! followed by an ASCII letter (so `a < b`, `I <3 you` and `<john@x.org>`'s
//! `<` before a letter give at most a tag named `john@x.org`); a tag name
//! ends at a blank, `/` or `>`; an attribute name at a blank, `/`, `>` or
//! `=`; a value is quoted (`"`, `'`) or runs to a blank or `>`; `/` between
//! attributes is skipped (`<svg/onload=...>`). A tag left open at the end
//! of the value still yields what it read: the page goes on after it.
//!
//! Departures, all towards reading more: a `<` inside a tag name starts a
//! new tag (`<scr<script>` as a filter that strips the inner tag would
//! leave it); a quoted value still open at the end of the value is read
//! again as text from its quote on (once), so an unbalanced quote cannot
//! hide the markup after it; `` ` `` quotes a value as `"` does (as old
//! Internet Explorer read it); and a value read from inside a tag it did
//! not open is read as attributes to its end, a `>` read as a blank, so
//! attributes written after a breakout (`'> onerror=...`) still count.
//!
//! The work is linear in the value's length: every state moves forward,
//! and the re-reading after an open quote happens at most once.

/// How far past an unquoted value its run over tabs and line breaks
/// reaches ([`Token::Attribute`]'s `run`).
pub(crate) const RUN_MAX: usize = 64;

/// Where in a page a value is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// Text between tags: markup starts at a `<`.
    Data,
    /// Inside a start tag, where an attribute name may begin (an unquoted
    /// attribute value ends at the value's first blank, and what follows
    /// is read as more attributes of the same tag).
    Attributes,
    /// Inside an attribute value quoted with this byte: the value is read
    /// as attributes from the first such quote on.
    Quoted(u8),
}

/// One token of a value read as HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// A start tag's name (`<svg` gives `svg`).
    Open(&'a str),
    /// An end tag's name (`</script` gives `script`).
    Close(&'a str),
    /// An attribute: the tag it belongs to (`None` when the value was read
    /// from inside a tag it did not open), its name, and its value (`None`
    /// without `=`), quotes removed.
    Attribute {
        tag: Option<&'a str>,
        name: &'a str,
        value: Option<&'a str>,
        /// An unquoted value read on over tabs and line breaks (the same
        /// as `value` otherwise): a character reference for one
        /// (`java&#x09;script:`) is part of the value, but the decoded
        /// text no longer tells it from a raw one that ends the value.
        run: &'a str,
    },
    /// A `<!...>` or `<?...>` construct, from its `<` to its `>` (or the
    /// end of the value).
    Markup(&'a str),
}

/// Reads `text` from `start` and gives each token to `visit` until it
/// returns `true`; returns whether one did.
pub(crate) fn tokenize(text: &str, start: Start, visit: &mut dyn FnMut(Token<'_>) -> bool) -> bool {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        reread: false,
    };
    match start {
        Start::Data => lexer.data(visit),
        Start::Attributes => lexer.attributes(None, visit).found,
        Start::Quoted(quote) => match memchr::memchr(quote, lexer.bytes) {
            Some(at) => {
                lexer.pos = at + 1;
                lexer.attributes(None, visit).found
            }
            None => false,
        },
    }
}

/// Whether `b` is HTML whitespace (tab, line feed, form feed, carriage
/// return, space).
fn is_blank(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// How an attribute list ended.
struct Attributes {
    /// The visitor stopped the reading.
    found: bool,
    /// Where to go on reading text after a quoted value that the end of
    /// the value left open (its quote's next byte), if any.
    reread_from: Option<usize>,
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Whether text was already read again after an open quote.
    reread: bool,
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Text, then each construct from a `<` on.
    fn data(&mut self, visit: &mut dyn FnMut(Token<'_>) -> bool) -> bool {
        while let Some(at) = memchr::memchr(b'<', &self.bytes[self.pos..]) {
            self.pos += at + 1;
            if self.markup(visit) {
                return true;
            }
        }
        false
    }

    /// What follows a `<` (at `pos - 1`): a start or end tag, a `<!` or
    /// `<?` construct, or text.
    fn markup(&mut self, visit: &mut dyn FnMut(Token<'_>) -> bool) -> bool {
        let lt = self.pos - 1;
        match self.peek() {
            Some(b) if b.is_ascii_alphabetic() => {
                let name = self.tag_name();
                if visit(Token::Open(name)) {
                    return true;
                }
                if self.peek() == Some(b'<') {
                    return false; // A new tag starts here.
                }
                let read = self.attributes(Some(name), visit);
                if read.found {
                    return true;
                }
                if let Some(from) = read.reread_from {
                    self.reread = true;
                    self.pos = from;
                }
                false
            }
            Some(b'/')
                if self
                    .bytes
                    .get(self.pos + 1)
                    .is_some_and(u8::is_ascii_alphabetic) =>
            {
                self.pos += 1;
                let name = self.tag_name();
                visit(Token::Close(name))
            }
            Some(b'!' | b'?') => {
                let end = memchr::memchr(b'>', &self.bytes[self.pos..])
                    .map_or(self.bytes.len(), |n| self.pos + n + 1);
                self.pos = end;
                visit(Token::Markup(&self.text[lt..end]))
            }
            _ => false,
        }
    }

    /// A tag name, up to a blank, `/`, `>` or another `<`.
    fn tag_name(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_blank(b) || matches!(b, b'/' | b'>' | b'<') {
                break;
            }
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    /// Attributes of `tag` up to its `>` or the end of the value; of a tag
    /// the value did not open (`None`), up to the end of the value.
    fn attributes(
        &mut self,
        tag: Option<&'a str>,
        visit: &mut dyn FnMut(Token<'_>) -> bool,
    ) -> Attributes {
        let mut reread_from = None;
        loop {
            while self.peek().is_some_and(|b| is_blank(b) || b == b'/') {
                self.pos += 1;
            }
            match self.peek() {
                None => break,
                Some(b'>') if tag.is_some() => {
                    self.pos += 1;
                    break;
                }
                Some(b'>') => {
                    self.pos += 1;
                    continue;
                }
                Some(_) => {}
            }
            let name = self.attribute_name();
            let value = self.attribute_value(&mut reread_from);
            let run = self.unquoted_run(value);
            if visit(Token::Attribute {
                tag,
                name,
                value,
                run,
            }) {
                return Attributes {
                    found: true,
                    reread_from: None,
                };
            }
        }
        Attributes {
            found: false,
            reread_from: reread_from.filter(|_| !self.reread),
        }
    }

    /// An attribute name: its first byte whatever it is (`=` included, as
    /// the standard says), then up to a blank, `/`, `>` or `=`.
    fn attribute_name(&mut self) -> &'a str {
        let start = self.pos;
        self.pos += 1;
        while let Some(b) = self.peek() {
            if is_blank(b) || matches!(b, b'/' | b'>' | b'=') {
                break;
            }
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    /// `value` (just read) and, when it was unquoted and ended at a tab or
    /// a line break, what follows up to a space or `>`, at most
    /// [`RUN_MAX`] bytes more (the rest of a URL's scheme), so that runs
    /// over many attributes cost no more than the text.
    fn unquoted_run(&self, value: Option<&'a str>) -> &'a str {
        let Some(value) = value else {
            return "";
        };
        let start = value.as_ptr() as usize - self.text.as_ptr() as usize;
        let end = start + value.len();
        if end != self.pos || !matches!(self.peek(), Some(b'\t' | b'\n' | b'\r' | b'\x0c')) {
            return value;
        }
        let window = &self.bytes[end..self.bytes.len().min(end + RUN_MAX)];
        let mut stop = end
            + window
                .iter()
                .position(|&b| b == b' ' || b == b'>')
                .unwrap_or(window.len());
        while !self.text.is_char_boundary(stop) {
            stop -= 1;
        }
        &self.text[start..stop]
    }

    /// After an attribute name: `=` and a value (quoted or not), or none.
    /// A quoted value the end of the value leaves open sets `reread_from`.
    fn attribute_value(&mut self, reread_from: &mut Option<usize>) -> Option<&'a str> {
        let mut at = self.pos;
        while self.bytes.get(at).copied().is_some_and(is_blank) {
            at += 1;
        }
        if self.bytes.get(at) != Some(&b'=') {
            return None;
        }
        self.pos = at + 1;
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
        if let Some(quote @ (b'"' | b'\'' | b'`')) = self.peek() {
            let start = self.pos + 1;
            let Some(len) = memchr::memchr(quote, &self.bytes[start..]) else {
                *reread_from = Some(start);
                self.pos = self.bytes.len();
                return Some(&self.text[start..]);
            };
            self.pos = start + len + 1;
            return Some(&self.text[start..start + len]);
        }
        let start = self.pos;
        while self.peek().is_some_and(|b| !is_blank(b) && b != b'>') {
            self.pos += 1;
        }
        Some(&self.text[start..self.pos])
    }
}

#[cfg(test)]
mod tests {
    use super::{tokenize, Start, Token};

    fn tokens(text: &str, start: Start) -> Vec<String> {
        let mut out = Vec::new();
        tokenize(text, start, &mut |token| {
            out.push(match token {
                Token::Open(name) => format!("<{name}"),
                Token::Close(name) => format!("</{name}"),
                Token::Attribute {
                    tag, name, value, ..
                } => {
                    format!("{}:{name}={}", tag.unwrap_or("?"), value.unwrap_or("-"))
                }
                Token::Markup(text) => format!("markup {text}"),
            });
            false
        });
        out
    }

    #[test]
    fn tags_and_attributes_are_read_as_a_browser_reads_them() {
        assert_eq!(
            tokens("<svg/onload=alert(1)>x</svg>", Start::Data),
            ["<svg", "svg:onload=alert(1)", "</svg"]
        );
        assert_eq!(
            tokens("<img src = \"a b\" alt='c' hidden>", Start::Data),
            ["<img", "img:src=a b", "img:alt=c", "img:hidden=-"]
        );
        assert_eq!(
            tokens("<svg onload=alert(1)//", Start::Data),
            ["<svg", "svg:onload=alert(1)//"]
        );
        assert_eq!(
            tokens("<!--[if]--><?xml x?>", Start::Data),
            ["markup <!--[if]-->", "markup <?xml x?>"]
        );
    }

    #[test]
    fn text_with_angle_brackets_gives_no_tag() {
        assert!(tokens("a < b and c > d, I <3 you, 1<2", Start::Data).is_empty());
        assert_eq!(tokens("mail <john@x.org>", Start::Data), ["<john@x.org"]);
    }

    #[test]
    fn values_read_from_inside_a_tag_start_at_their_context() {
        assert_eq!(
            tokens("x onmouseover=go() >text", Start::Attributes),
            ["?:x=-", "?:onmouseover=go()", "?:text=-"]
        );
        assert_eq!(
            tokens("a\" onfocus='f()' autofocus x=\"", Start::Quoted(b'"')),
            ["?:onfocus=f()", "?:autofocus=-", "?:x="]
        );
        assert!(tokens("no quote here", Start::Quoted(b'\'')).is_empty());
    }

    #[test]
    fn a_run_over_tabs_reaches_a_bounded_way_past_its_value() {
        let mut runs = Vec::new();
        let text = "<a\thref=java\tscript:go()\t".to_owned() + &"href=a\t".repeat(1000);
        tokenize(&text, Start::Data, &mut |token| {
            if let Token::Attribute { value, run, .. } = token {
                runs.push((value.unwrap_or("").len(), run.len()));
            }
            false
        });
        // `java`, then `script:go()` and the thousand `href`s.
        assert_eq!(runs.len(), 1002);
        assert_eq!(runs[0], (4, 4 + super::RUN_MAX));
        assert!(runs
            .iter()
            .all(|&(value, run)| run <= value + super::RUN_MAX));
    }

    #[test]
    fn an_open_quote_does_not_hide_the_markup_after_it() {
        assert_eq!(
            tokens("<a title=\"x <script>", Start::Data),
            ["<a", "a:title=x <script>", "<script"]
        );
        assert_eq!(tokens("<scr<script>ipt>", Start::Data), ["<scr", "<script"]);
    }
}
