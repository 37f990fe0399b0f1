//! Cross-site scripting by structure (signature 941100, as CRS uses
//! libinjection for it): a value is an injection when, read as HTML
//! ([`super::html_tokens`]) from one of the places a value can land in a
//! page, it makes markup that runs script or loads a resource:
//!
//! - a tag that does so by itself: `script`, `iframe`, `frame`, `object`,
//!   `embed`, `applet`, `svg`, `math`, `style`, `link`, `meta`, `base`...
//!   (a namespace prefix, `<x:script`, does not hide it), or `</script`;
//! - an event-handler attribute (`on` and an event name) with a value;
//! - a `javascript:`, `vbscript:` or non-image `data:` URL in an attribute
//!   that holds a URL (`href`, `src`, `action`, `formaction`, `data`,
//!   `xlink:href`, `background`, SVG's `values`...), read as browsers
//!   read it: character references decoded, blanks and controls dropped;
//! - `srcdoc` (a document in an attribute), a `style` attribute with
//!   `expression(`, a script URL, a binding or an import, and SVG's
//!   `attributeName` naming an event handler or `href`;
//! - a conditional comment (`<!--[if`) or an `<?xml-stylesheet` or
//!   `<?import` instruction.
//!
//! Markup written with the high bit set on `<`, `>` and `"` (`%BC`,
//! `¼`, `¾`, `¢`), which a server reading US-ASCII turns back into
//! markup, is read that way too (signature 941310's semantics).
//!
//! The places read: text between tags (markup starts at `<` and a letter,
//! so `a < b`, `I <3 you` and `<john@x.org>` make none of the above), and
//! inside a tag, where an unquoted attribute value would end at a blank or
//! a quoted one at the value's first `"`, `'` or `` ` ``, and what follows
//! is more attributes. Read from inside a tag, where text is not markup at
//! all (`please select one`), only a known event name counts as a handler,
//! and only with a value other than a number.
//!
//! ```text
//! <svg/onload=alert(1)>              a tag that runs script
//! <img src=x onerror=alert(1)>       an event handler
//! <a href="jav&#x09;ascript:go()">   a script URL (the tab is dropped)
//! x" onfocus=alert(1) autofocus="    a handler, read after the `"`
//! ```

use super::engine::holds_any;
use super::html_tokens::{tokenize, Start, Token};

/// Whether `text` holds what any markup needs: a `<`, an `=` (an
/// attribute, read from inside a tag), or the first byte of a character
/// that is a `<` with its high bit set (see [`high_bit_markup`]). Without
/// any, [`is_xss`] is false.
pub(crate) fn could_be_xss(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < VECTOR_SEARCH_FROM {
        // A short value: one table look per byte costs less than setting
        // up two vectorised searches.
        return holds_any(bytes, &MARKUP_TABLE);
    }
    memchr::memchr2(b'<', b'=', bytes).is_some() || has_high_bit_lead(bytes)
}

/// From how many bytes [`could_be_xss`] searches with `memchr`.
const VECTOR_SEARCH_FROM: usize = 64;

/// The bytes [`could_be_xss`] looks for, as a table indexed by byte: `<`,
/// `=` and the high-bit leads of [`has_high_bit_lead`].
pub(crate) const MARKUP_TABLE: [bool; 256] = {
    let mut table = [false; 256];
    table[b'<' as usize] = true;
    table[b'=' as usize] = true;
    table[0xef] = true;
    table[0xc2] = true;
    table[0xe2] = true;
    table
};

/// The gate as two vectorised searches, whatever the length: the tests'
/// reference.
#[cfg(test)]
fn could_be_xss_by_searches(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr2(b'<', b'=', bytes).is_some() || has_high_bit_lead(bytes)
}

/// Whether `bytes` holds the first byte of U+FFFD (`0xEF`), of `¼`, `¾`
/// and `¢` (`0xC2`) or of the fraction slash NFKC writes them with
/// (`0xE2`).
fn has_high_bit_lead(bytes: &[u8]) -> bool {
    memchr::memchr3(0xef, 0xc2, 0xe2, bytes).is_some()
}

/// Whether `text` (decoded, lower case) makes markup that runs script.
pub(crate) fn is_xss(text: &str) -> bool {
    let bytes = text.as_bytes();
    // What the searches below look for, a short value's table finds in
    // one pass.
    if bytes.len() < VECTOR_SEARCH_FROM {
        return is_xss_holding(text, Held::of(bytes));
    }
    is_xss_by_searches(text)
}

/// Which of the bytes [`is_xss`] looks for a value holds: bits of
/// [`HELD_TABLE`].
#[derive(Clone, Copy)]
struct Held(u8);

impl Held {
    const LT: u8 = 1;
    const EQUALS: u8 = 2;
    const HIGH_BIT_LEAD: u8 = 4;
    const DOUBLE_QUOTE: u8 = 8;
    const SINGLE_QUOTE: u8 = 16;
    const BACKTICK: u8 = 32;

    /// The bytes `bytes` holds, in one pass.
    fn of(bytes: &[u8]) -> Self {
        Self(
            bytes
                .iter()
                .fold(0, |held, &b| held | HELD_TABLE[usize::from(b)]),
        )
    }

    fn any(self, bits: u8) -> bool {
        self.0 & bits != 0
    }

    /// The bit of a quote.
    fn quote(quote: u8) -> u8 {
        match quote {
            b'"' => Self::DOUBLE_QUOTE,
            b'\'' => Self::SINGLE_QUOTE,
            _ => Self::BACKTICK,
        }
    }
}

/// The bit of [`Held`] each byte sets.
const HELD_TABLE: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b'<' as usize] = Held::LT;
    table[b'=' as usize] = Held::EQUALS;
    table[0xef] = Held::HIGH_BIT_LEAD;
    table[0xc2] = Held::HIGH_BIT_LEAD;
    table[0xe2] = Held::HIGH_BIT_LEAD;
    table[b'"' as usize] = Held::DOUBLE_QUOTE;
    table[b'\'' as usize] = Held::SINGLE_QUOTE;
    table[b'`' as usize] = Held::BACKTICK;
    table
};

/// [`is_xss`] of `text`, which holds the bytes `held`: the searches of
/// [`is_xss_by_searches`] answered from it.
fn is_xss_holding(text: &str, held: Held) -> bool {
    if !held.any(Held::LT | Held::EQUALS | Held::HIGH_BIT_LEAD) {
        return false;
    }
    if held.any(Held::HIGH_BIT_LEAD) && high_bit_markup(text) {
        return true;
    }
    // Every `<` stands at or after the first `<` or `=`.
    if held.any(Held::LT) && tokenize(text, Start::Data, &mut dangerous) {
        return true;
    }
    if !held.any(Held::EQUALS) {
        return false;
    }
    tokenize(text, Start::Attributes, &mut dangerous)
        || [b'"', b'\'', b'`'].into_iter().any(|quote| {
            held.any(Held::quote(quote)) && tokenize(text, Start::Quoted(quote), &mut dangerous)
        })
}

/// [`is_xss`] with a search for each byte it looks for (a long value's
/// way; the short values' way before [`Held`], which the tests compare).
fn is_xss_by_searches(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < VECTOR_SEARCH_FROM && !could_be_xss(text) {
        return false;
    }
    if has_high_bit_lead(bytes) && high_bit_markup(text) {
        return true;
    }
    let Some(first) = memchr::memchr2(b'<', b'=', bytes) else {
        return false;
    };
    let has_markup = bytes[first] == b'<' || memchr::memchr(b'<', &bytes[first..]).is_some();
    if has_markup && tokenize(text, Start::Data, &mut dangerous) {
        return true;
    }
    // Inside a tag, only attributes with a value (an `=`) can run script.
    if memchr::memchr(b'=', bytes).is_none() {
        return false;
    }
    tokenize(text, Start::Attributes, &mut dangerous)
        || [b'"', b'\'', b'`'].into_iter().any(|quote| {
            memchr::memchr(quote, bytes).is_some()
                && tokenize(text, Start::Quoted(quote), &mut dangerous)
        })
}

/// Whether `text` makes markup that runs script once its characters
/// with the high bit set are read as the US-ASCII characters their low
/// seven bits make, as a server that drops the high bit reads them
/// (signature 941310, `¼script¾alert(¢x¢)¼/script¾`): `0xBC` (`¼`, which
/// NFKC writes `1⁄4`) is `<`, `0xBE` (`¾`, `3⁄4`) is `>`, `0xA2` (`¢`) is
/// `"`. A lone byte that is not UTF-8 reaches here as U+FFFD, which byte
/// it was lost: before a letter, `/`, `!` or `?` it is read as `<`, else
/// as `>`.
fn high_bit_markup(text: &str) -> bool {
    const MARKS: [char; 5] = ['\u{fffd}', '¼', '¾', '¢', '\u{2044}'];
    if !text.contains(MARKS) {
        return false;
    }
    let mut folded = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let ascii = match c {
            '\u{fffd}' => {
                let opens = chars.peek().is_some_and(|&next| {
                    next.is_ascii_alphabetic() || matches!(next, '/' | '!' | '?')
                });
                if opens {
                    '<'
                } else {
                    '>'
                }
            }
            '¼' => '<',
            '¾' => '>',
            '¢' => '"',
            '\u{2044}' if folded.ends_with(['1', '3']) && chars.peek() == Some(&'4') => {
                chars.next();
                let opens = folded.pop() == Some('1');
                if opens {
                    '<'
                } else {
                    '>'
                }
            }
            other => other,
        };
        folded.push(ascii);
    }
    tokenize(&folded, Start::Data, &mut dangerous)
}

/// Whether one token runs script or loads a resource.
fn dangerous(token: Token<'_>) -> bool {
    match token {
        Token::Open(name) => is_dangerous_tag(name),
        Token::Close(name) => local_name(name) == "script",
        Token::Attribute {
            tag,
            name,
            value,
            run,
        } => value.is_some_and(|value| {
            is_dangerous_attribute(tag, name, value)
                || (run.len() > value.len() && is_dangerous_attribute(tag, name, run))
                || (tag.is_some() && hides_attributes(value))
        }),
        Token::Markup(text) => is_dangerous_markup(text),
    }
}

/// Whether an attribute value of a tag the value opened holds more
/// attributes after a `/` (`<img src=x/onerror=alert(1)>`): browsers read
/// them as part of an unquoted value, but filters and older parsers split
/// there, and the attacker meant them as attributes.
fn hides_attributes(value: &str) -> bool {
    memchr::memmem::find(value.as_bytes(), b"/on")
        .is_some_and(|at| tokenize(&value[at..], Start::Attributes, &mut dangerous))
}

/// A name without its namespace prefix (`x:script` is `script`).
fn local_name(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

/// Tags that run script, embed a document or a plugin, load a style or
/// change how the page's URLs and headers are read, by themselves.
fn is_dangerous_tag(name: &str) -> bool {
    matches!(
        local_name(name),
        "script"
            | "iframe"
            | "frame"
            | "frameset"
            | "object"
            | "embed"
            | "applet"
            | "svg"
            | "math"
            | "style"
            | "link"
            | "meta"
            | "base"
            | "xml"
            | "import"
            | "isindex"
            | "vmlframe"
            | "bgsound"
            | "layer"
            | "ilayer"
            | "handler"
            | "listener"
            | "portal"
            | "animate"
            | "animatemotion"
            | "animatetransform"
    )
}

/// An attribute (`name` with `value`, in `tag` when the value opened it;
/// `None` when read from inside a tag it did not open, where text is not
/// markup) that runs script or loads a script URL.
fn is_dangerous_attribute(tag: Option<&str>, name: &str, value: &str) -> bool {
    let name = name.strip_prefix("xlink:").unwrap_or(name);
    if let Some(event) = name.strip_prefix("on") {
        return if tag.is_none() {
            is_event_name(event) && !value.is_empty() && !value.bytes().all(|b| b.is_ascii_digit())
        } else {
            event.len() >= 3 && event.bytes().all(|b| b.is_ascii_alphabetic())
        };
    }
    match name {
        "href" | "src" | "action" | "formaction" | "data" | "background" | "poster" | "lowsrc"
        | "dynsrc" | "codebase" | "cite" | "longdesc" | "icon" | "manifest" => is_script_url(value),
        // SVG animation values, a `;`-separated list.
        "values" | "to" | "from" | "by" => value.split(';').any(is_script_url),
        "attributename" => {
            let target = decoded(value);
            let target = target.trim();
            target.starts_with("on") || matches!(target, "href" | "xlink:href")
        }
        "srcdoc" => tag.is_some() || decoded(value).contains('<'),
        "style" => is_script_style(value),
        _ => false,
    }
}

/// Whether `event` (an attribute's name after `on`) names an event of the
/// DOM, by its families (`mouse...`, `key...`, `animation...`) and names.
fn is_event_name(event: &str) -> bool {
    const EVENTS: &[&str] = &[
        "abort",
        "activate",
        "after",
        "animation",
        "aux",
        "before",
        "begin",
        "blur",
        "bounce",
        "cancel",
        "canplay",
        "change",
        "click",
        "close",
        "content",
        "context",
        "copy",
        "cue",
        "cut",
        "dblclick",
        "drag",
        "drop",
        "duration",
        "emptied",
        "end",
        "error",
        "finish",
        "focus",
        "formdata",
        "fullscreen",
        "hashchange",
        "input",
        "invalid",
        "key",
        "load",
        "message",
        "mouse",
        "offline",
        "online",
        "page",
        "paste",
        "pause",
        "play",
        "pointer",
        "popstate",
        "progress",
        "ratechange",
        "readystatechange",
        "repeat",
        "reset",
        "resize",
        "scroll",
        "search",
        "security",
        "seek",
        "select",
        "show",
        "stalled",
        "start",
        "storage",
        "submit",
        "suspend",
        "timeupdate",
        "toggle",
        "touch",
        "transition",
        "unhandled",
        "unload",
        "volumechange",
        "waiting",
        "webkit",
        "wheel",
        "zoom",
    ];
    EVENTS.iter().any(|family| event.starts_with(family))
}

/// Whether a URL attribute's value runs script: `javascript:`,
/// `vbscript:`, `livescript:`, or a `data:` URL of anything but a raster
/// image, after decoding character references and dropping what browsers
/// drop: blanks and controls before it and inside its scheme.
fn is_script_url(value: &str) -> bool {
    let value = decoded(prefix(value, URL_HEAD));
    let mut scheme = String::new();
    let mut rest = "";
    for (i, c) in value.char_indices() {
        if c == ':' {
            rest = &value[i + 1..];
            break;
        }
        if c <= ' ' || c.is_control() {
            continue;
        }
        if !c.is_ascii_alphanumeric() && !matches!(c, '+' | '-' | '.') || scheme.len() > 16 {
            return false;
        }
        scheme.push(c);
    }
    match scheme.as_str() {
        "javascript" | "vbscript" | "livescript" | "mocha" => true,
        "data" => {
            let media: String = rest
                .chars()
                .filter(|c| !c.is_whitespace())
                .take_while(|c| !matches!(c, ';' | ','))
                .collect();
            !(media.starts_with("image/") && media != "image/svg+xml")
        }
        _ => false,
    }
}

/// Whether a `style` attribute's value runs script or loads one:
/// `expression(`, a script URL in `url(`, `behavior:`, `-moz-binding`,
/// `@import` (CSS comments and blanks dropped first).
fn is_script_style(value: &str) -> bool {
    let value = decoded(value);
    let mut css = String::with_capacity(value.len());
    let mut rest = value.as_ref();
    while let Some(at) = rest.find("/*") {
        css.push_str(&rest[..at]);
        rest = rest[at + 2..]
            .find("*/")
            .map_or("", |end| &rest[at + 2 + end + 2..]);
    }
    css.push_str(rest);
    css.retain(|c| !c.is_whitespace() && c != '\\');
    if css.contains("expression(")
        || css.contains("behavior:")
        || css.contains("behaviour:")
        || css.contains("-moz-binding")
        || css.contains("@import")
    {
        return true;
    }
    css.match_indices("url(").any(|(at, _)| {
        let url = css[at + 4..].trim_start_matches(['"', '\'']);
        is_script_url(url)
    })
}

/// How much of a URL [`is_script_url`] reads: its scheme and a data
/// URL's media type are at its start, and a style with many `url(` costs
/// no more than its length times this.
const URL_HEAD: usize = 512;

/// The first `max` bytes of `text` at most, cut at a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// An attribute value with its character references decoded, as the
/// browser decodes them before using it.
fn decoded(value: &str) -> std::borrow::Cow<'_, str> {
    super::transform::html_decode(value).0
}

/// `<!--[if`, `<![if`, `<?xml-stylesheet`, `<?import`: constructs that
/// load script or style (conditional comments run in old browsers).
fn is_dangerous_markup(text: &str) -> bool {
    let body = text.trim_start_matches(['<', '!', '?', '-']);
    body.starts_with("[if")
        || body.starts_with("[endif")
        || body.starts_with("xml-stylesheet")
        || body.starts_with("import")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::sql_injection::generated;

    use super::{could_be_xss, could_be_xss_by_searches, dangerous, is_xss, tokenize, Start};

    /// Pieces of markup and text, quotes and the high-bit characters.
    const MARKUP_PIECES: &[&str] = &[
        "<",
        ">",
        "=",
        "\"",
        "'",
        "`",
        "<script>",
        "</script>",
        "<img",
        " src=x",
        " onerror=",
        "alert(1)",
        "javascript:",
        "¼",
        "¾",
        "¢",
        "\u{fffd}",
        "\u{2044}",
        "1",
        "3",
        "4",
        " ",
        "/",
        "a",
        "href",
        "style=",
        "x:y",
        "https://x.example/p?q=1",
    ];

    proptest! {
        /// A short value's bytes found in one pass decide as the
        /// searches they replace.
        #[test]
        fn one_pass_decides_as_the_searches(
            pieces in prop::collection::vec(prop::sample::select(MARKUP_PIECES), 0..12),
        ) {
            let text = pieces.concat();
            prop_assert_eq!(is_xss(&text), super::is_xss_by_searches(&text), "{:?}", text);
        }
    }

    #[test]
    fn one_pass_decides_as_the_searches_on_generated_attacks() {
        let mut detected = 0;
        for attack in generated::attacks(22, 150) {
            let payload = attack.payload.to_lowercase();
            for text in [
                payload.clone(),
                format!("x {payload}"),
                format!("{payload}=1"),
            ] {
                let searched = super::is_xss_by_searches(&text);
                assert_eq!(is_xss(&text), searched, "{text:?}");
                detected += usize::from(searched && text.len() < super::VECTOR_SEARCH_FROM);
            }
        }
        assert!(detected > 20, "{detected}");
    }

    /// Pieces of markup and script, all without `<` and `=`.
    const NO_MARKUP: &[&str] = &[
        " ",
        "\t",
        "/",
        ">",
        "\"",
        "'",
        "`",
        "x",
        "script",
        "svg",
        "iframe",
        "onload",
        "onerror",
        "href",
        "src",
        "srcdoc",
        "style",
        "formaction",
        "xlink:href",
        "javascript:",
        "data:text/html",
        "alert(1)",
        "expression(",
        "&#",
        "&#x09;",
        "!--",
        "?",
        "[if",
        "import",
        "xml-stylesheet",
        "-->",
        ";",
        ":",
    ];

    /// The generators' payloads (every family), lower case, alone and
    /// after prose long enough for the vectorised searches.
    #[test]
    fn the_table_gate_decides_as_the_searches_on_generated_attacks() {
        let prose = "please select the plan you'd recommend for a small team, thanks ";
        for attack in generated::attacks(21, 150) {
            let payload = attack.payload.to_lowercase();
            for text in [format!("{prose}{payload}"), payload] {
                assert_eq!(
                    could_be_xss(&text),
                    could_be_xss_by_searches(&text),
                    "{text:?}"
                );
            }
        }
    }

    proptest! {
        /// The gate reads short values with a table and long ones with
        /// `memchr`: the same answer either way, and a value it rules out
        /// is never markup.
        #[test]
        fn the_table_gate_decides_as_the_searches(
            text in "[a-z0-9 .,;:'\"/>!+é¼¾¢\u{fffd}\u{2044}-]{0,80}([<=][a-z0-9 .,;:'\"/<>!+=-]{0,80})?"
        ) {
            prop_assert_eq!(could_be_xss(&text), could_be_xss_by_searches(&text), "{:?}", text);
            if !could_be_xss(&text) {
                prop_assert!(!is_xss(&text), "{:?}", text);
            }
        }
    }

    proptest! {
        /// The gate is what the reading needs: without `<` and `=`, no
        /// place a value can land in makes markup that runs script.
        #[test]
        fn text_without_lt_or_equals_never_reads_as_xss(
            pieces in prop::collection::vec(prop::sample::select(NO_MARKUP), 0..12)
        ) {
            let text = pieces.concat();
            prop_assert!(!could_be_xss(&text));
            for start in [
                Start::Data,
                Start::Attributes,
                Start::Quoted(b'"'),
                Start::Quoted(b'\''),
                Start::Quoted(b'`'),
            ] {
                prop_assert!(!tokenize(&text, start, &mut dangerous), "{:?}", text);
            }
        }
    }

    #[test]
    fn markup_that_runs_script_is_read_as_xss() {
        for attack in [
            "<script>alert(1)</script>",
            "<svg/onload=alert(1)>",
            "<svg onload=alert(1)//",
            "<img src=x onerror=alert(1)>",
            "<img src=x onerror=alert(1)",
            "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
            "<a href=\"jav\tascript:alert(1)\">x</a>",
            "<a href=\" \u{1}javascript:alert(1)\">x</a>",
            &format!("<a href=\"javascript:{}\">", "é".repeat(400)),
            "<a href=java\tscript:alert(1)>x</a>",
            "<div style=background:url(jav\nascript:alert(1))>",
            "<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\">",
            "<body onpageshow=alert(1)>",
            "<details open ontoggle=alert(1)>",
            "<xss onanimationstart=alert(1) style=animation-name:x>",
            "<form><button formaction=javascript:alert(1)>x",
            "<object data=\"data:text/html;base64,PHNjcmlwdD4=\">",
            "<x:script>alert(1)</x:script>",
            "<div style=\"width:expression(alert(1))\">",
            "<div style=\"background:url( 'javascript:alert(1)' )\">",
            "<svg><animate attributename=href values=javascript:alert(1) />",
            "<set attributename=onmouseover to=alert(1)>",
            "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)\">",
            "<link rel=stylesheet href=//x.example/x.css>",
            "<base href=//x.example/>",
            "<!--[if gte ie 4]><script>alert(1)</script><![endif]-->",
            "<?xml-stylesheet href=\"javascript:alert(1)\"?>",
            "\"><img src=x onerror=alert(1)>",
            "x\" onmouseover=\"alert(1)",
            "x' onfocus='alert(1)' autofocus='",
            "x onmouseover=alert(1)",
            "` onclick=alert(1) `",
            "</textarea><svg onload=alert(1)>",
            "</script><script>alert(1)",
            "<scr<script>ipt>alert(1)</scr</script>ipt>",
            "<a title=\"x <svg onload=alert(1)>",
        ] {
            assert!(is_xss(attack), "missed: {attack:?}");
            assert!(could_be_xss(attack), "ruled out: {attack:?}");
        }
    }

    #[test]
    fn markup_written_with_the_high_bit_set_is_read_as_us_ascii_reads_it() {
        for attack in [
            // `%BC`, `%BE`: bytes that are not UTF-8, decoded as U+FFFD.
            "\u{fffd}script\u{fffd}alert(1)\u{fffd}/script\u{fffd}",
            "\u{fffd}svg onload=alert(1)\u{fffd}",
            // `¼`, `¾`, `¢` as UTF-8, and as NFKC writes the fractions.
            "¼script¾alert(¢xss¢)¼/script¾",
            "1\u{2044}4script3\u{2044}4alert(1)1\u{2044}4/script3\u{2044}4",
        ] {
            assert!(is_xss(attack), "missed: {attack:?}");
            assert!(could_be_xss(attack), "ruled out: {attack:?}");
        }
        for text in [
            "caf\u{fffd} cr\u{fffd}me br\u{fffd}l\u{fffd}e",
            "\u{fffd}tudes \u{fffd} paris",
            "¼ cup of sugar, ¾ cup of flour, 5¢ each",
            "1\u{2044}4 mile, 3\u{2044}4 done",
            "© 2026 ½ price «today»",
        ] {
            assert!(!is_xss(text), "flagged: {text:?}");
        }
    }

    #[test]
    fn prose_and_harmless_markup_are_not_xss() {
        for text in [
            "a < b and c > d",
            "i <3 you",
            "if x<y and y>z then x<z",
            "1 <2> 3",
            "john smith <john@x.org>",
            "<john@x.org>, <ann@y.org>",
            "2 < 3 = true",
            "<b>bold</b> claim, but i <i>mostly</i> agree.",
            "see <a href=\"https://example.com/docs\">the docs</a>",
            "<img src=\"/img/cat.png\" alt=\"a cat\">",
            "<img src=\"data:image/png;base64,ivborw0kggo=\">",
            "<p style=\"color: red; margin: 0\">hi</p>",
            "<!-- a comment -->",
            "online=yes",
            "onpage=2",
            "one=1 two=2",
            "he said \"select one\" and left",
            "it's 'ok' = fine",
            "price = 3 € (or less)",
            "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
            "x=javascript tutorial",
            "q=how do i write onclick handlers",
            "mozilla/5.0 (windows nt 10.0; win64; x64) applewebkit/537.36 (khtml, like gecko)",
        ] {
            assert!(!is_xss(text), "flagged: {text:?}");
        }
    }
}
