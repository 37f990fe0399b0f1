//! Decoding transformations, one concern each, applied before matching to
//! undo the encodings attackers use to slip past signatures.
//!
//! Every function returns the value and whether it changed, so a chain skips
//! allocations when nothing applies.
//!
//! ```
//! use firewall_core::waf::transform;
//! let (value, changed) = transform::url_decode("%2527");
//! assert_eq!((value.as_ref(), changed), ("%27", true));
//! assert_eq!(transform::decode_all("%2527%20OR%201=1"), "' or 1=1");
//! ```

use std::borrow::Cow;

use memchr::{memchr, memchr2, memchr2_iter};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

mod latin;

pub(crate) use latin::{lowercase_latin, lowercase_latin_in_place};

/// How many rounds of percent-decoding [`decode_all`] applies (double and
/// triple encoding).
const DECODE_ROUNDS: usize = 3;

/// Percent-decodes `%XX` and `%uXXXX`; malformed escapes stay as they are.
/// Invalid UTF-8 becomes U+FFFD.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::transform::url_decode;
/// assert_eq!(url_decode("a%20b%u0027%zz").0, "a b'%zz");
/// assert!(!url_decode("plain").1);
/// ```
pub fn url_decode(value: &str) -> (Cow<'_, str>, bool) {
    let Some(first) = memchr(b'%', value.as_bytes()) else {
        return (Cow::Borrowed(value), false);
    };
    let mut bytes = value.as_bytes().to_vec();
    decode_escapes_in_place(&mut bytes, first, &mut EscapeTally::default());
    let text = into_text(bytes);
    let changed = text != value;
    (Cow::Owned(text), changed)
}

/// Decodes the escapes of `bytes` from `first` (the index of its first
/// `%`) in place: an escape never decodes to more bytes than it spans, so
/// the text after each one moves left in runs, never byte by byte.
fn decode_escapes_in_place(bytes: &mut Vec<u8>, first: usize, tally: &mut EscapeTally) {
    let (mut read, mut write) = (first, first);
    while read < bytes.len() {
        // `bytes[read]` is a `%`.
        let (decoded, used) = decode_escape(&bytes[read..]);
        tally.note(&bytes[read..], decoded);
        write += write_escape(&mut bytes[write..read + used], decoded, b'%');
        read += used;
        let next = memchr(b'%', &bytes[read..]).map_or(bytes.len(), |n| read + n);
        bytes.copy_within(read..next, write);
        write += next - read;
        read = next;
    }
    bytes.truncate(write);
}

/// Decoded bytes as text, invalid UTF-8 as U+FFFD.
fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned())
}

#[derive(Clone, Copy)]
enum Escape {
    Byte(u8),
    Char(char),
}

/// Decodes one escape at the start of `bytes`: `(value, bytes used)`.
fn decode_escape(bytes: &[u8]) -> (Option<Escape>, usize) {
    if bytes[0] != b'%' {
        return (None, 1);
    }
    // `%uXXXX`: four hex digits (no sign: `u32::from_str_radix` would read
    // `%u+041` as `A`, and in a form `+` is a space).
    if bytes.len() >= 6 && (bytes[1] | 0x20) == b'u' {
        let code = bytes[2..6].iter().try_fold(0u32, |code, &b| {
            hex(b).map(|digit| code << 4 | u32::from(digit))
        });
        if let Some(c) = code.and_then(char::from_u32) {
            return (Some(Escape::Char(c)), 6);
        }
    }
    match (
        bytes.get(1).copied().and_then(hex),
        bytes.get(2).copied().and_then(hex),
    ) {
        (Some(hi), Some(lo)) => (Some(Escape::Byte(hi << 4 | lo)), 3),
        _ => (None, 1),
    }
}

fn hex(b: u8) -> Option<u8> {
    HEX_VALUES[usize::from(b)]
}

/// The value of each hex digit.
const HEX_VALUES: [Option<u8>; 256] = {
    let mut table = [None; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            c @ b'0'..=b'9' => Some(c - b'0'),
            c @ b'a'..=b'f' => Some(c - b'a' + 10),
            c @ b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        };
        b += 1;
    }
    table
};

/// Form decoding: `+` as space, then one round of percent-decoding.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::transform::form_decode;
/// assert_eq!(form_decode("a+b%2B"), "a b+");
/// ```
pub fn form_decode(value: &str) -> String {
    form_decode_cow(value).into_owned()
}

/// [`form_decode`], borrowing `value` when there is nothing to decode.
///
/// Inlined, so that a name or value with nothing to decode (most of
/// them) costs its search alone, not the call and register saves of the
/// decoder.
#[inline]
pub(crate) fn form_decode_cow(value: &str) -> Cow<'_, str> {
    form_decode_tallied(value, &mut EscapeTally::default())
}

/// What a form decoder saw of the escapes of the text it decoded, added
/// up over the names and values of a query or form body: what the
/// protocol checks (`protocol/values.rs`) would otherwise read again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct EscapeTally {
    /// A `%` not followed by two hex digits.
    pub(crate) malformed: bool,
    /// A `%u`, an escape decoding to NUL or a backslash, or a decoded
    /// text that is not UTF-8: the checks read such a text themselves.
    pub(crate) unusual: bool,
}

impl EscapeTally {
    /// Notes the escape at the start of `bytes` (a `%`) and what it
    /// decoded to.
    #[inline]
    fn note(&mut self, bytes: &[u8], decoded: Option<Escape>) {
        match decoded {
            _ if matches!(bytes.get(1), Some(b'u' | b'U')) => self.unusual = true,
            Some(Escape::Byte(b)) => self.unusual |= b == 0 || b == b'\\',
            Some(Escape::Char(_)) => self.unusual = true,
            None => self.malformed = true,
        }
    }
}

/// [`form_decode_cow`], adding what its escapes show to `tally`.
#[inline]
pub(crate) fn form_decode_tallied<'a>(value: &'a str, tally: &mut EscapeTally) -> Cow<'a, str> {
    match find_percent_or_plus(value.as_bytes()) {
        None => Cow::Borrowed(value),
        Some(special) => Cow::Owned(form_decode_from(value, special, tally)),
    }
}

/// [`form_decode_cow`] of a value whose first `%` or `+` is at `special`.
#[inline(never)]
fn form_decode_from(value: &str, special: usize, tally: &mut EscapeTally) -> String {
    if value.len() < SHORT_FORM_VALUE {
        return into_tallied_text(form_decode_short(value.as_bytes(), special, tally), tally);
    }
    let first = memchr(b'%', &value.as_bytes()[special..]).map(|n| special + n);
    // `+` and space are not hex digits: escapes read the same either way.
    // (Copied and replaced in one loop, a select rather than a branch, so
    // that it is vectorised.)
    let bytes: Vec<u8> = value
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    let mut bytes = bytes;
    if let Some(first) = first {
        decode_escapes_in_place(&mut bytes, first, tally);
    }
    into_tallied_text(bytes, tally)
}

/// [`into_text`], noting in `tally` when `bytes` are not UTF-8.
fn into_tallied_text(bytes: Vec<u8>, tally: &mut EscapeTally) -> String {
    String::from_utf8(bytes).unwrap_or_else(|invalid| {
        tally.unusual = true;
        String::from_utf8_lossy(invalid.as_bytes()).into_owned()
    })
}

/// Values shorter than this are form-decoded byte by byte
/// ([`form_decode_short`]): for them, the set-up of the vector copy and of
/// each `memchr` and `copy_within` cost more than the bytes (a 13-byte
/// `Ann+O%27Brien` took about 700 instructions).
const SHORT_FORM_VALUE: usize = 64;

/// [`form_decode_cow`] of short `bytes` from `first` (its first `%` or
/// `+`), in one pass: `+` as a space, each escape decoded from `bytes`
/// itself, where `+` is no hex digit (as the space it stands for is not).
fn form_decode_short(bytes: &[u8], first: usize, tally: &mut EscapeTally) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..first]);
    let mut read = first;
    while let Some(&b) = bytes.get(read) {
        match b {
            b'+' => {
                out.push(b' ');
                read += 1;
            }
            b'%' => {
                let (decoded, used) = decode_escape(&bytes[read..]);
                tally.note(&bytes[read..], decoded);
                match decoded {
                    Some(Escape::Byte(b)) => out.push(b),
                    Some(Escape::Char(c)) => {
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    None => out.push(b'%'),
                }
                read += used;
            }
            b => {
                out.push(b);
                read += 1;
            }
        }
    }
    out
}

/// The first `%` or `+` in `bytes`. Most form names and values are short,
/// and for them `memchr2`'s vector set-up costs more than a loop of our
/// own: eight bytes a step (a byte a step took a kilo-instruction a
/// request on the names and values of a 1 KB form).
#[inline]
fn find_percent_or_plus(bytes: &[u8]) -> Option<usize> {
    const PERCENTS: u64 = u64::from_le_bytes([b'%'; 8]);
    const PLUSES: u64 = u64::from_le_bytes([b'+'; 8]);
    if bytes.len() >= 32 {
        return memchr2(b'%', b'+', bytes);
    }
    let mut words = bytes.chunks_exact(8);
    for (i, word) in (&mut words).enumerate() {
        // (Always eight bytes: the default is never taken.)
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        let found = zero_bytes(word ^ PERCENTS) | zero_bytes(word ^ PLUSES);
        if found != 0 {
            return Some(i * 8 + (found.trailing_zeros() / 8) as usize);
        }
    }
    let tail = words.remainder();
    let at = bytes.len() - tail.len();
    tail.iter()
        .position(|&b| b == b'%' || b == b'+')
        .map(|n| at + n)
}

/// The bytes of `word` that are zero, each as its high bit (`0x80`), the
/// others as `0`: exact for every byte (the shorter test also marks some
/// bytes after a zero one).
#[inline]
fn zero_bytes(word: u64) -> u64 {
    const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !((word & LOW_SEVEN).wrapping_add(LOW_SEVEN) | word | LOW_SEVEN)
}

/// Writes a decoded escape (or `raw` when it was not one) at the start of
/// `out`, which is at least as long as the escape was: the bytes written.
fn write_escape(out: &mut [u8], decoded: Option<Escape>, raw: u8) -> usize {
    match decoded {
        Some(Escape::Byte(b)) => {
            out[0] = b;
            1
        }
        Some(Escape::Char(c)) => c.encode_utf8(out).len(),
        None => {
            out[0] = raw;
            1
        }
    }
}

/// Decodes HTML character references: `&#39;`, `&#x27;` (the `;` optional)
/// and a table of named ones attackers use (`&lt;`, `&colon;`, `&Tab;`...).
///
/// # Examples
///
/// ```
/// use firewall_core::waf::transform::html_decode;
/// assert_eq!(html_decode("&lt;a href=javascript&colon;x&#40;1&#x29;&gt;").0, "<a href=javascript:x(1)>");
/// ```
pub fn html_decode(value: &str) -> (Cow<'_, str>, bool) {
    // Text before the first `&` that opens a reference stays as it is; a
    // value with none (`a=1&b=2`) is not copied at all.
    let Some(first) = memchr::memchr_iter(b'&', value.as_bytes())
        .find(|&at| decode_reference(&value[at..]).is_some())
    else {
        return (Cow::Borrowed(value), false);
    };
    let mut out = String::with_capacity(value.len());
    out.push_str(&value[..first]);
    let mut rest = &value[first..];
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some((c, used)) = decode_reference(rest) {
            out.push(c);
            rest = &rest[used..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    let changed = out != value;
    (Cow::Owned(out), changed)
}

/// Named references worth decoding (the ones that hide markup and script).
const ENTITIES: &[(&str, char)] = &[
    ("lt", '<'),
    ("gt", '>'),
    ("amp", '&'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("colon", ':'),
    ("semi", ';'),
    ("comma", ','),
    ("period", '.'),
    ("sol", '/'),
    ("bsol", '\\'),
    ("lpar", '('),
    ("rpar", ')'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("equals", '='),
    ("excl", '!'),
    ("num", '#'),
    ("dollar", '$'),
    ("percnt", '%'),
    ("grave", '`'),
    ("tab", '\t'),
    ("newline", '\n'),
    ("plus", '+'),
    ("ast", '*'),
    ("vert", '|'),
];

/// The lengths of the names of [`ENTITIES`] by their first letter: bit
/// `len` of entry `first - b'a'` (every name is lower-case ASCII and
/// shorter than 16 bytes, else the build fails here).
const ENTITY_LENGTHS: [u16; 26] = {
    let mut lengths = [0u16; 26];
    let mut i = 0;
    while i < ENTITIES.len() {
        let name = ENTITIES[i].0.as_bytes();
        assert!(name[0].is_ascii_lowercase() && name.len() < 16);
        lengths[(name[0] - b'a') as usize] |= 1 << name.len();
        i += 1;
    }
    lengths
};

/// Whether an entity's name has the first letter (in either case) and
/// the length of `name`.
fn may_name_an_entity(name: &[u8]) -> bool {
    match name.first().map(u8::to_ascii_lowercase) {
        Some(first @ b'a'..=b'z') if name.len() < 16 => {
            ENTITY_LENGTHS[usize::from(first - b'a')] & (1 << name.len()) != 0
        }
        _ => false,
    }
}

/// One reference at the start of `text` (which starts with `&`).
fn decode_reference(text: &str) -> Option<(char, usize)> {
    let body = &text[1..];
    if let Some(num) = body.strip_prefix('#') {
        let (radix, digits) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (16, hex),
            None => (10, num),
        };
        let len = digits
            .bytes()
            .take_while(|b| (*b as char).is_digit(radix))
            .count();
        let code = u32::from_str_radix(&digits[..len.min(8)], radix).ok()?;
        let used =
            1 + (num.len() - digits.len()) + 1 + len + usize::from(digits[len..].starts_with(';'));
        return char::from_u32(code).map(|c| (c, used));
    }
    let len = body.bytes().take_while(u8::is_ascii_alphabetic).count();
    // The names are lower case: compared without copying the text, and
    // only when one has the text's first letter and length.
    let name = &body[..len];
    if !may_name_an_entity(name.as_bytes()) {
        return None;
    }
    let (_, c) = ENTITIES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))?;
    Some((*c, 1 + len + usize::from(body[len..].starts_with(';'))))
}

/// Decodes JavaScript and C escapes: `\u0041`, `\u{41}`, `\x41`.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::transform::js_decode;
/// assert_eq!(js_decode(r"c\u006fnsole\x2elog").0, "console.log");
/// ```
pub fn js_decode(value: &str) -> (Cow<'_, str>, bool) {
    if memchr(b'\\', value.as_bytes()).is_none() {
        return (Cow::Borrowed(value), false);
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some((c, used)) = decode_js_escape(rest) {
            out.push(c);
            rest = &rest[used..];
        } else {
            out.push('\\');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    let changed = out != value;
    (Cow::Owned(out), changed)
}

/// One escape at the start of `text` (which starts with a backslash).
fn decode_js_escape(text: &str) -> Option<(char, usize)> {
    let (digits, used) = if let Some(braced) = text.strip_prefix("\\u{") {
        let end = braced.find('}')?;
        (&braced[..end], 4 + end)
    } else if let Some(u) = text.strip_prefix("\\u") {
        (u.get(..4)?, 6)
    } else if let Some(x) = text.strip_prefix("\\x") {
        (x.get(..2)?, 4)
    } else {
        return None;
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    char::from_u32(u32::from_str_radix(digits, 16).ok()?).map(|c| (c, used))
}

/// Decodes a value that is entirely standard or URL-safe base64 (at least
/// 12 characters) into text, when the result is printable; `None` otherwise.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::transform::base64_text;
/// assert_eq!(base64_text("d2hpbGUodHJ1ZSk7Cg==").as_deref(), Some("while(true);\n"));
/// assert_eq!(base64_text("not base64!"), None);
/// ```
#[inline]
pub fn base64_text(value: &str) -> Option<String> {
    // Most values are shorter: they cost a comparison, not a call.
    if value.len() < BASE64_MIN {
        return None;
    }
    // Most values hold a byte no base64 digit is in their first
    // BASE64_MIN bytes (`=` among them: padding only ends a value, and
    // what is left before it is shorter than BASE64_MIN or holds it):
    // they cost a few loads, not a call.
    let opening = &value.as_bytes()[..BASE64_MIN];
    if opening
        .iter()
        .any(|&b| BASE64[usize::from(b)] == NOT_BASE64)
    {
        return None;
    }
    base64_decoded_text(value)
}

/// The fewest base64 digits [`base64_text`] decodes.
const BASE64_MIN: usize = 12;

/// [`base64_text`] for a value of [`BASE64_MIN`] bytes or more.
#[inline(never)]
fn base64_decoded_text(value: &str) -> Option<String> {
    let trimmed = value.trim_end_matches('=').as_bytes();
    if trimmed.len() < BASE64_MIN
        || trimmed
            .iter()
            .any(|&b| BASE64[usize::from(b)] == NOT_BASE64)
    {
        return None;
    }
    // Decoded on the stack: most values that read as base64 (hex tokens,
    // words) decode to bytes that are no text, and need no allocation.
    let mut bytes: smallvec::SmallVec<[u8; 128]> =
        smallvec::SmallVec::with_capacity(trimmed.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in trimmed {
        acc = (acc << 6) | u32::from(BASE64[usize::from(b)]);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            let byte = (acc >> bits) as u8;
            if NEVER_PRINTABLE[usize::from(byte)] {
                return None;
            }
            bytes.push(byte);
        }
    }
    let text = std::str::from_utf8(&bytes).ok()?;
    let printable = text.chars().all(|c| !c.is_control() || c.is_whitespace());
    printable.then(|| text.to_owned())
}

/// Marks a byte that is not a base64 digit in [`BASE64`].
const NOT_BASE64: u8 = 0xff;

/// The value of each standard (`+ /`) and URL-safe (`- _`) base64 digit.
const BASE64: [u8; 256] = {
    let mut table = [NOT_BASE64; 256];
    let mut i = 0;
    while i < 26 {
        table[b'A' as usize + i] = i as u8;
        table[b'a' as usize + i] = 26 + i as u8;
        if i < 10 {
            table[b'0' as usize + i] = 52 + i as u8;
        }
        i += 1;
    }
    table[b'+' as usize] = 62;
    table[b'-' as usize] = 62;
    table[b'/' as usize] = 63;
    table[b'_' as usize] = 63;
    table
};

/// Decoded bytes that make [`base64_text`] fail wherever they are: control
/// characters other than whitespace, and bytes no UTF-8 text contains.
const NEVER_PRINTABLE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, 0x00..=0x08 | 0x0e..=0x1f | 0x7f | 0xc0 | 0xc1 | 0xf5..=0xff);
        b += 1;
    }
    table
};

/// Unicode NFKC normalisation (full-width and styled letters become ASCII),
/// look-alike quotes folded to ASCII quotes, and NUL bytes removed.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::transform::normalise_unicode;
/// assert_eq!(normalise_unicode("ｓｅｌｅｃｔ ‘x’\0").0, "select 'x'");
/// ```
pub fn normalise_unicode(value: &str) -> (Cow<'_, str>, bool) {
    if value.is_ascii() && !value.contains('\0') {
        return (Cow::Borrowed(value), false);
    }
    // Text with accents typed as one character ("café") is in NFKC
    // already: the quick check (a table lookup per character) proves it,
    // where decomposing and recomposing cost ~200 instructions a character.
    // The quick check starts afresh at every ASCII character, so only the
    // runs of other characters are looked at (look-alikes are not ASCII).
    let normal = |run: &str| {
        is_nfkc_quick(run.chars()) == IsNormalized::Yes
            && run.chars().all(|c| fold_lookalike(c) == c)
    };
    if memchr(0, value.as_bytes()).is_none() && non_ascii_runs(value).all(normal) {
        return (Cow::Borrowed(value), false);
    }
    normalise_unicode_fully(value)
}

/// [`normalise_unicode`] without the quick check.
fn normalise_unicode_fully(value: &str) -> (Cow<'_, str>, bool) {
    let out: String = value
        .nfkc()
        .filter(|c| *c != '\0')
        .map(fold_lookalike)
        .collect();
    let changed = out != value;
    (Cow::Owned(out), changed)
}

fn fold_lookalike(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' | '\u{ff07}'
        | '\u{02bc}' => '\'',
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{2033}' => '"',
        '\u{3002}' => '.',
        other => other,
    }
}

/// Lower-cases (Unicode case folding for the letters that matter here).
///
/// # Examples
///
/// ```
/// use firewall_core::waf::transform::lowercase;
/// assert_eq!(lowercase("SeLeCt").0, "select");
/// ```
pub fn lowercase(value: &str) -> (Cow<'_, str>, bool) {
    // ASCII letters read as bytes; only the other characters are decoded.
    let changes = holds_ascii_uppercase(value.as_bytes())
        || non_ascii_runs(value).any(|run| run.chars().any(has_lowercase));
    if !changes {
        return (Cow::Borrowed(value), false);
    }
    // `str::to_lowercase` goes character by character from the first
    // non-ASCII one on; lower-case ASCII runs in bulk instead. Its final
    // sigma rule looks at the neighbours: leave Greek to it.
    if value.is_ascii() || value.contains('\u{3a3}') {
        return (Cow::Owned(value.to_lowercase()), true);
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while !rest.is_empty() {
        let ascii = ascii_prefix_len(rest.as_bytes());
        let (run, tail) = rest.split_at(ascii);
        let start = out.len();
        out.push_str(run);
        out[start..].make_ascii_lowercase();
        let mut chars = tail.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_lowercase());
        }
        rest = chars.as_str();
    }
    (Cow::Owned(out), true)
}

/// Whether `bytes` holds an ASCII upper-case letter: sixteen bytes a
/// step with no branch inside (the compiler vectorises the step), then
/// the rest byte by byte.
fn holds_ascii_uppercase(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(16);
    chunks.any(|chunk| {
        chunk
            .iter()
            .fold(false, |hit, b| hit | b.is_ascii_uppercase())
    }) || chunks.remainder().iter().any(u8::is_ascii_uppercase)
}

/// Whether `c` lower-cases to something else: upper-case letters, and
/// title-case ones (`ǅ`, `ᾼ`), which `char::is_uppercase` does not count.
fn has_lowercase(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_uppercase();
    }
    let mut lower = c.to_lowercase();
    !(lower.next() == Some(c) && lower.next().is_none())
}

/// Replaces SQL block comments with a space; `MySQL`'s executable comments
/// (`/*!50000select*/`) keep their content.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::transform::remove_sql_comments;
/// assert_eq!(remove_sql_comments("un/**/ion/*!50000select*/1").0, "un ion select 1");
/// ```
pub fn remove_sql_comments(value: &str) -> (Cow<'_, str>, bool) {
    if !value.contains("/*") {
        return (Cow::Borrowed(value), false);
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        out.push(' ');
        let inner = &rest[start + 2..];
        let end = inner.find("*/");
        if let Some(exec) = inner.strip_prefix('!') {
            let code = exec.trim_start_matches(|c: char| c.is_ascii_digit());
            let stop = code.find("*/").unwrap_or(code.len());
            out.push_str(&code[..stop]);
            out.push(' ');
            rest = code.get(stop + 2..).unwrap_or("");
            continue;
        }
        rest = end.map_or("", |e| &inner[e + 2..]);
    }
    out.push_str(rest);
    (Cow::Owned(out), true)
}

/// Collapses every run of whitespace (and vertical tabs, form feeds) into
/// one space.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::transform::compress_whitespace;
/// assert_eq!(compress_whitespace("a \t\n b").0, "a b");
/// ```
pub fn compress_whitespace(value: &str) -> (Cow<'_, str>, bool) {
    if is_compressed(value) {
        return (Cow::Borrowed(value), false);
    }
    let mut out = String::with_capacity(value.len());
    let mut in_space = false;
    for c in value.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    if out == value {
        return (Cow::Borrowed(value), false);
    }
    (Cow::Owned(out), true)
}

/// Whether every whitespace run of `value` is already a single space.
pub(crate) fn is_compressed(value: &str) -> bool {
    !value
        .bytes()
        .any(|b| matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        && !value.contains("  ")
        && !has_unicode_space(value)
}

/// How many bytes at the start of `bytes` are ASCII: sixteen at a time
/// (one mask of their high bits), then byte by byte.
fn ascii_prefix_len(bytes: &[u8]) -> usize {
    const LANES: usize = 16;
    let mut chunks = bytes.chunks_exact(LANES);
    let mut ascii = 0;
    for chunk in &mut chunks {
        let Ok(lanes) = <[u8; LANES]>::try_from(chunk) else {
            break;
        };
        if u128::from_ne_bytes(lanes) & 0x8080_8080_8080_8080_8080_8080_8080_8080 != 0 {
            break;
        }
        ascii += LANES;
    }
    ascii
        + bytes[ascii..]
            .iter()
            .position(|b| !b.is_ascii())
            .unwrap_or(bytes.len() - ascii)
}

/// The maximal runs of characters that are not ASCII, in order.
fn non_ascii_runs(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + ascii_prefix_len(&bytes[at..]);
        if start == bytes.len() {
            return None;
        }
        let len = bytes[start..]
            .iter()
            .position(u8::is_ascii)
            .unwrap_or(bytes.len() - start);
        at = start + len;
        Some(&text[start..at])
    })
}

/// Whether `text` holds whitespace that is not ASCII (no-break space,
/// ideographic space...).
pub(crate) fn has_unicode_space(text: &str) -> bool {
    // `is_ascii` goes a word at a time: most text is done there.
    !text.is_ascii() && non_ascii_runs(text).any(|run| run.chars().any(char::is_whitespace))
}

/// Normalises a path: backslashes become `/`, `//` collapses, `/./`
/// disappears. `..` segments are kept so traversal stays visible.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::transform::normalise_path;
/// assert_eq!(normalise_path("..\\.\\windows//win.ini").0, "../windows/win.ini");
/// ```
pub fn normalise_path(value: &str) -> (Cow<'_, str>, bool) {
    if is_normal_path(value) {
        return (Cow::Borrowed(value), false);
    }
    // A backslash reads as a slash: the segments between either, but the
    // empty ones and `.`, joined by `/`, after a `/` for an absolute path
    // and before one for a path that ends in one.
    let is_slash = |b: Option<&u8>| matches!(b, Some(b'/' | b'\\'));
    let bytes = value.as_bytes();
    let mut out = String::with_capacity(value.len());
    if is_slash(bytes.first()) {
        out.push('/');
    }
    let mut kept_any = false;
    let mut start = 0;
    let ends = memchr2_iter(b'/', b'\\', bytes).chain(std::iter::once(bytes.len()));
    for end in ends {
        // Both are ASCII: the cuts are between characters.
        let segment = &value[start..end];
        start = end + 1;
        if segment.is_empty() || segment == "." {
            continue;
        }
        if kept_any {
            out.push('/');
        }
        out.push_str(segment);
        kept_any = true;
    }
    if is_slash(bytes.last()) && kept_any {
        out.push('/');
    }
    let changed = out != value;
    (Cow::Owned(out), changed)
}

/// Whether [`normalise_path`] leaves `value` as it is: no backslash, no
/// `//`, no `.` segment (`./` first, `/./`, `/.` last), in one search for
/// each of `\` and `/`.
fn is_normal_path(value: &str) -> bool {
    let bytes = value.as_bytes();
    if bytes.starts_with(b"./") || memchr(b'\\', bytes).is_some() {
        return false;
    }
    memchr::memchr_iter(b'/', bytes).all(|at| match bytes.get(at + 1) {
        Some(b'/') => false,
        Some(b'.') => !matches!(bytes.get(at + 2), None | Some(b'/')),
        _ => true,
    })
}

/// [`normalise_path`] as it was first written: the tests' reference.
#[cfg(test)]
fn normalise_path_by_copies(value: &str) -> (Cow<'_, str>, bool) {
    let clean = !value.contains('\\')
        && !value.contains("//")
        && !value.contains("/./")
        && !value.starts_with("./");
    if clean && !value.ends_with("/.") {
        return (Cow::Borrowed(value), false);
    }
    let slashed = value.replace('\\', "/");
    let absolute = slashed.starts_with('/');
    let kept: Vec<&str> = slashed
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let mut out = kept.join("/");
    if absolute {
        out.insert(0, '/');
    }
    if slashed.ends_with('/') && !kept.is_empty() {
        out.push('/');
    }
    let changed = out != value;
    (Cow::Owned(out), changed)
}

/// [`html_decode`] as it was first written: the tests' reference.
#[cfg(test)]
fn html_decode_by_copy(value: &str) -> (Cow<'_, str>, bool) {
    if memchr(b'&', value.as_bytes()).is_none() {
        return (Cow::Borrowed(value), false);
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let reference = decode_reference_by_copy(rest);
        if let Some((c, used)) = reference {
            out.push(c);
            rest = &rest[used..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    let changed = out != value;
    (Cow::Owned(out), changed)
}

/// [`decode_reference`] as it was first written (its name copied in
/// lower case): the tests' reference.
#[cfg(test)]
fn decode_reference_by_copy(text: &str) -> Option<(char, usize)> {
    let body = &text[1..];
    if body.starts_with('#') {
        return decode_reference(text);
    }
    let len = body.bytes().take_while(u8::is_ascii_alphabetic).count();
    let name = body[..len].to_ascii_lowercase();
    let (_, c) = ENTITIES.iter().find(|(n, _)| *n == name)?;
    Some((*c, 1 + len + usize::from(body[len..].starts_with(';'))))
}

/// Undoes shell obfuscation: removes `\ ' " ^` and empty expansions
/// (`$@`, `$*`, `${}`...), turns `${IFS}` and `,` into spaces, and
/// collapses whitespace (so `c$@at${IFS}/e'tc'/pa\sswd` reads `cat /etc/passwd`).
///
/// # Examples
///
/// ```
/// use firewall_core::waf::transform::shell_normalise;
/// assert_eq!(shell_normalise("c$@a\\t${IFS}/e'tc'/pa^sswd").0, "cat /etc/passwd");
/// ```
pub fn shell_normalise(value: &str) -> (Cow<'_, str>, bool) {
    if !value.contains(['\\', '\'', '"', '^', '$', ',', ';']) {
        return (Cow::Borrowed(value), false);
    }
    shell_rewrite(value)
}

/// [`shell_normalise`] of a value known to hold one of `\ ' " ^ $ , ;`.
pub(crate) fn shell_rewrite(value: &str) -> (Cow<'_, str>, bool) {
    let text = if memchr(b'$', value.as_bytes()).is_some() {
        Cow::Owned(remove_expansions(value))
    } else {
        Cow::Borrowed(value)
    };
    let out = if has_unicode_space(&text) {
        shell_fold(&text)
    } else {
        shell_fold_ascii(&text)
    };
    let changed = out != value;
    (Cow::Owned(out), changed)
}

/// Drops the quoting characters, reads `,` as a space and collapses
/// whitespace runs (a dropped character does not end a run), in one pass.
fn shell_fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        match c {
            '\\' | '\'' | '"' | '^' => {}
            c if c == ',' || c.is_whitespace() => {
                if !in_space {
                    out.push(' ');
                }
                in_space = true;
            }
            c => {
                out.push(c);
                in_space = false;
            }
        }
    }
    out
}

#[derive(Clone, Copy)]
enum ShellByte {
    Keep,
    Drop,
    Space,
}

/// What [`shell_fold_ascii`] does with each byte.
const SHELL_BYTES: [ShellByte; 256] = {
    let mut table = [ShellByte::Keep; 256];
    table[b'\\' as usize] = ShellByte::Drop;
    table[b'\'' as usize] = ShellByte::Drop;
    table[b'"' as usize] = ShellByte::Drop;
    table[b'^' as usize] = ShellByte::Drop;
    let spaces = [b',', b' ', b'\t', b'\n', 0x0b, 0x0c, b'\r'];
    let mut i = 0;
    while i < spaces.len() {
        table[spaces[i] as usize] = ShellByte::Space;
        i += 1;
    }
    table
};

/// [`shell_fold`] for text whose whitespace is all ASCII (its other
/// non-ASCII characters are kept bytes). Text that stays as it is (kept bytes
/// and single spaces) is copied in runs found [`PLAIN_CHUNK`] bytes at a
/// time; only the bytes from a quote, comma or whitespace run to the next
/// kept byte go one by one.
fn shell_fold_ascii(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let end = plain_run_end(bytes, i);
        out.push_str(&text[i..end]);
        i = end;
        // Whether the output ends a whitespace run (a kept byte is never
        // a space).
        let mut in_space = out.ends_with(' ');
        while let Some(&b) = bytes.get(i) {
            match SHELL_BYTES[usize::from(b)] {
                ShellByte::Keep => break,
                ShellByte::Drop => {}
                ShellByte::Space => {
                    if !in_space {
                        out.push(' ');
                        in_space = true;
                    }
                }
            }
            i += 1;
        }
    }
    out
}

/// Bytes [`plain_run_end`] checks at once.
const PLAIN_CHUNK: usize = 16;

/// The end of the run from `start` that [`shell_fold_ascii`] copies as it
/// is: up to the first byte to drop or fold, or a space after a space.
/// `start` is 0 or the index of a kept byte.
fn plain_run_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    if i == 0 {
        match bytes.first().map(|&b| SHELL_BYTES[usize::from(b)]) {
            Some(ShellByte::Keep) => i = 1,
            Some(ShellByte::Space) if bytes[0] == b' ' => i = 1,
            _ => return 0,
        }
    }
    // Whole chunks, each with the byte before it (never the start of the
    // text: `i` is at least 1 here).
    while let Some(window) = bytes[i - 1..].first_chunk() {
        let stops = chunk_stops(window);
        if stops != 0 {
            return i + (stops.trailing_zeros() / 8) as usize;
        }
        i += PLAIN_CHUNK;
    }
    while let Some(&b) = bytes.get(i) {
        let plain = match SHELL_BYTES[usize::from(b)] {
            ShellByte::Keep => true,
            ShellByte::Drop => false,
            ShellByte::Space => b == b' ' && bytes[i - 1] != b' ',
        };
        if !plain {
            break;
        }
        i += 1;
    }
    i
}

/// One byte per byte of `window` after its first (which is only looked
/// at as the byte before), non-zero where [`shell_fold_ascii`] drops or
/// folds it, or where it is a space after a space. Comparisons combined
/// without branches, so that it is vectorised.
#[allow(clippy::needless_bitwise_bool)] // `|` and `&` on purpose: no branches.
fn chunk_stops(window: &[u8; PLAIN_CHUNK + 1]) -> u128 {
    let mut stops = [0u8; PLAIN_CHUNK];
    for (stop, (&before, &b)) in stops.iter_mut().zip(window.iter().zip(&window[1..])) {
        let dropped = (b == b'\\') | (b == b'\'') | (b == b'"') | (b == b'^');
        let folded = (b == b',') | (b.wrapping_sub(b'\t') <= b'\r' - b'\t');
        let double_space = (before == b' ') & (b == b' ');
        *stop = u8::from(dropped | folded | double_space);
    }
    u128::from_le_bytes(stops)
}

/// `${IFS}` and its spellings as a space; empty expansions removed.
fn remove_expansions(value: &str) -> String {
    let mut text = value.to_owned();
    for (from, to) in [
        ("${ifs}", " "),
        ("${IFS}", " "),
        ("$IFS", " "),
        ("$ifs", " "),
    ] {
        text = text.replace(from, to);
    }
    for empty in ["$@", "$*", "${}", "$()", "$!", "$?", "$-", "$_", "$#"] {
        text = text.replace(empty, "");
    }
    text
}

/// The base chain every signature sees: percent-decoding until stable (at
/// most three rounds), HTML references, Unicode normalisation, lower case.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::transform::decode_all;
/// assert_eq!(decode_all("&#x3C;SCRIPT%253E"), "<script>");
/// ```
pub fn decode_all(value: &str) -> Cow<'_, str> {
    let mut current = Cow::Borrowed(value);
    for _ in 0..DECODE_ROUNDS {
        let (next, changed) = url_decode(&current);
        if !changed {
            break;
        }
        current = Cow::Owned(next.into_owned());
    }
    let current = apply(current, html_decode);
    let current = apply(current, js_decode);
    let current = apply(current, normalise_unicode);
    apply(current, lowercase)
}

/// Runs one transformation, keeping the previous value when nothing changed.
pub(crate) fn apply(value: Cow<'_, str>, step: fn(&str) -> (Cow<'_, str>, bool)) -> Cow<'_, str> {
    let (next, changed) = step(&value);
    if changed {
        Cow::Owned(next.into_owned())
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Every text of up to seven bytes of `alphabet`.
    fn every_text(alphabet: &[u8], longest: usize) -> Vec<String> {
        let mut texts = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..longest {
            last = last
                .iter()
                .flat_map(|t| {
                    alphabet
                        .iter()
                        .map(move |&b| format!("{t}{}", char::from(b)))
                })
                .collect();
            texts.extend(last.iter().cloned());
        }
        texts
    }

    #[test]
    fn upper_case_is_found_at_every_place_of_every_length() {
        for len in 0..70 {
            let text = vec![b'a'; len];
            assert!(!holds_ascii_uppercase(&text));
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut one = text.clone();
                    one[at] = b;
                    assert_eq!(
                        holds_ascii_uppercase(&one),
                        b.is_ascii_uppercase(),
                        "{len} {at} {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn paths_are_normalised_as_by_copies_on_every_short_path() {
        for path in every_text(b"/.\\a", 7) {
            assert_eq!(
                normalise_path(&path),
                normalise_path_by_copies(&path),
                "{path:?}"
            );
        }
    }

    #[test]
    fn every_entity_passes_the_lengths_gate_in_any_case() {
        for (name, _) in ENTITIES {
            assert!(may_name_an_entity(name.as_bytes()), "{name}");
            assert!(may_name_an_entity(name.to_ascii_uppercase().as_bytes()));
            for text in [format!("&{name};"), format!("&{}x", name.to_uppercase())] {
                let reference = decode_reference(&text);
                assert_eq!(reference, decode_reference_by_copy(&text), "{text:?}");
                assert!(text.ends_with('x') || reference.is_some(), "{text:?}");
            }
        }
        assert!(!may_name_an_entity(b"utm"));
        assert!(!may_name_an_entity(b""));
    }

    #[test]
    fn references_are_decoded_as_by_copy_on_every_short_text() {
        for text in every_text(b"&#;xLt1a", 6) {
            assert_eq!(html_decode(&text), html_decode_by_copy(&text), "{text:?}");
        }
    }

    proptest! {
        /// One pass over a path's slashes decides and rewrites as the
        /// copies, splits and joins it replaces.
        #[test]
        fn paths_are_normalised_as_by_copies(
            path in "[a-z./\\\\:é?=]{0,40}",
        ) {
            prop_assert_eq!(normalise_path(&path), normalise_path_by_copies(&path));
        }

        /// References are decoded as with each name copied in lower case,
        /// and a value with none is not copied.
        #[test]
        fn references_are_decoded_as_by_copy(
            text in "([a-z=é ]|&|&#|&#x|;|[0-9]|LT|Amp|quot|gt|colon|sol|utm)*",
        ) {
            prop_assert_eq!(html_decode(&text), html_decode_by_copy(&text));
        }
    }

    /// `url_decode` as first written: a fresh buffer, pushed to escape by
    /// escape.
    fn reference_url_decode(value: &str) -> (String, bool) {
        if !value.contains('%') {
            return (value.to_owned(), false);
        }
        let text = String::from_utf8(reference_percent_decode(value.as_bytes()))
            .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned());
        let changed = text != value;
        (text, changed)
    }

    fn reference_percent_decode(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let run = bytes[i..].iter().position(|&b| b == b'%');
            let end = run.map_or(bytes.len(), |n| i + n);
            out.extend_from_slice(&bytes[i..end]);
            if end == bytes.len() {
                break;
            }
            let (decoded, used) = decode_escape(&bytes[end..]);
            match decoded {
                Some(Escape::Byte(b)) => out.push(b),
                Some(Escape::Char(c)) => {
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                None => out.push(b'%'),
            }
            i = end + used;
        }
        out
    }

    /// `form_decode_cow` as first written: `+` replaced, then decoded.
    fn reference_form_decode(value: &str) -> Cow<'_, str> {
        if !value.contains('%') {
            return if value.contains('+') {
                Cow::Owned(value.replace('+', " "))
            } else {
                Cow::Borrowed(value)
            };
        }
        let spaced = value.replace('+', " ");
        let decoded = reference_percent_decode(spaced.as_bytes());
        Cow::Owned(
            String::from_utf8(decoded)
                .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned()),
        )
    }

    /// Text rich in what the decoders react to: valid, truncated and
    /// invalid escapes, `%u` with a sign, bytes that are not UTF-8 alone,
    /// `+`, and multibyte characters.
    fn encoded_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("%"),
            Just("%2"),
            Just("%27"),
            Just("%2B"),
            Just("%25"),
            Just("%2527"),
            Just("%zz"),
            Just("%u"),
            Just("%u0027"),
            Just("%U00e9"),
            Just("%u+041"),
            Just("%ud800"),
            Just("%ff"),
            Just("%c3"),
            Just("%c3%a9"),
            Just("%e2%82%ac"),
            Just("+"),
            Just(" "),
            Just("é"),
            Just("€"),
            Just("😀"),
            Just("a"),
            Just("F"),
            Just("0"),
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    /// `base64_text` as first written: character classes, then a decode
    /// with no early exit.
    fn reference_base64_text(value: &str) -> Option<String> {
        let trimmed = value.trim_end_matches('=');
        if trimmed.len() < 12
            || !trimmed
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'))
        {
            return None;
        }
        let mut bytes = Vec::with_capacity(trimmed.len() * 3 / 4);
        let (mut acc, mut bits) = (0u32, 0u32);
        for b in trimmed.bytes() {
            let v = match b {
                b'A'..=b'Z' => b - b'A',
                b'a'..=b'z' => b - b'a' + 26,
                b'0'..=b'9' => b - b'0' + 52,
                b'+' | b'-' => 62,
                _ => 63,
            };
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                bytes.push((acc >> bits) as u8);
            }
        }
        let text = String::from_utf8(bytes).ok()?;
        let printable = text.chars().all(|c| !c.is_control() || c.is_whitespace());
        printable.then_some(text)
    }

    /// Every text of 12 and 13 bytes of a base64 digit, `=` and a byte no
    /// digit is: the gate on the first 12 bytes decides as the reference.
    #[test]
    fn base64_text_matches_the_reference_on_every_short_text() {
        let mut texts = vec![String::new()];
        for len in 1..=13 {
            texts = texts
                .iter()
                .flat_map(|t| ["q", "=", "."].map(|d| format!("{t}{d}")))
                .collect();
            if len >= 12 {
                for text in &texts {
                    assert_eq!(base64_text(text), reference_base64_text(text), "{text:?}");
                }
            }
        }
    }

    /// Base64 of arbitrary bytes, most of them text (standard or URL-safe
    /// alphabet, with or without padding), sometimes with a stray byte.
    fn base64_like() -> impl Strategy<Value = String> {
        let text = prop_oneof![
            "[ -~\t\n\r]{0,40}".prop_map(String::into_bytes),
            "\\PC{0,20}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..40),
        ];
        (text, any::<bool>(), any::<bool>(), "[=!. ]?").prop_map(|(bytes, url, pad, stray)| {
            let mut encoded = encode_base64(&bytes, url);
            if !pad {
                encoded.truncate(encoded.trim_end_matches('=').len());
            }
            encoded.push_str(&stray);
            encoded
        })
    }

    fn encode_base64(bytes: &[u8], url: bool) -> String {
        let digits: &[u8] = if url {
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        } else {
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        };
        let mut out = String::new();
        for group in bytes.chunks(3) {
            let n = group
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= group.len() {
                    out.push(char::from(digits[(n >> (18 - 6 * i) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// `shell_fold_ascii` as first written: byte by byte into a zeroed
    /// buffer.
    fn reference_shell_fold_ascii(text: &str) -> String {
        let mut out = vec![0; text.len()];
        let mut len = 0;
        let mut in_space = false;
        for &b in text.as_bytes() {
            match SHELL_BYTES[usize::from(b)] {
                ShellByte::Drop => {}
                ShellByte::Space => {
                    if !in_space {
                        out[len] = b' ';
                        len += 1;
                    }
                    in_space = true;
                }
                ShellByte::Keep => {
                    out[len] = b;
                    len += 1;
                    in_space = false;
                }
            }
        }
        out.truncate(len);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Shell-obfuscated text long enough to cross several chunks of
    /// [`PLAIN_CHUNK`] bytes: plain runs, single and double spaces, every
    /// byte the fold drops or turns into a space, expansions, and (with
    /// `wide`) non-ASCII letters and spaces.
    fn shell_text(wide: bool) -> impl Strategy<Value = String> {
        let ascii = prop_oneof![
            Just("cat"),
            Just("etc/passwd"),
            Just("abcdefghijklmnopq"),
            Just(" "),
            Just("  "),
            Just(","),
            Just(", "),
            Just(";"),
            Just("'"),
            Just("\""),
            Just("\\"),
            Just("^"),
            Just("$"),
            Just("$@"),
            Just("${IFS}"),
            Just("$IFS"),
            Just("\t"),
            Just("\n"),
            Just("\r"),
            Just("\u{b}"),
            Just("\u{c}"),
            Just("\u{1c}"),
            Just("\u{7f}"),
            Just("\0"),
        ];
        let wide_pieces = prop_oneof![Just("é"), Just("\u{a0}"), Just("\u{3000}"), Just("Ｓ")];
        let piece = if wide {
            prop_oneof![4 => ascii, 1 => wide_pieces].boxed()
        } else {
            ascii.boxed()
        };
        proptest::collection::vec(piece, 0..48).prop_map(|pieces| pieces.concat())
    }

    /// `shell_normalise` step by step, as first written.
    fn reference_shell_normalise(value: &str) -> (String, bool) {
        if !value.contains(['\\', '\'', '"', '^', '$', ',', ';']) {
            return (value.to_owned(), false);
        }
        let mut text = remove_expansions(value);
        text.retain(|c| !matches!(c, '\\' | '\'' | '"' | '^'));
        let spaced: String = text
            .chars()
            .map(|c| if c == ',' { ' ' } else { c })
            .collect();
        let out = compress_whitespace(&spaced).0.into_owned();
        let changed = out != value;
        (out, changed)
    }

    proptest! {
        #[test]
        fn one_pass_shell_normalise_matches_the_steps(
            value in "[a-z $@{}IFS\\\\'\"^,;\t\n\r\u{b}\u{c}\u{1c}\u{a0}]{0,24}"
        ) {
            let (out, changed) = shell_normalise(&value);
            prop_assert_eq!((out.into_owned(), changed), reference_shell_normalise(&value));
        }

        #[test]
        fn base64_text_matches_the_reference(value in base64_like()) {
            prop_assert_eq!(base64_text(&value), reference_base64_text(&value));
        }

        #[test]
        fn base64_text_matches_the_reference_on_any_text(value in "[A-Za-z0-9+/_=-]{0,24}|\\PC{0,24}") {
            prop_assert_eq!(base64_text(&value), reference_base64_text(&value));
        }

        #[test]
        fn shell_fold_in_runs_matches_the_byte_loop(value in shell_text(false)) {
            prop_assert_eq!(shell_fold_ascii(&value), reference_shell_fold_ascii(&value));
        }

        #[test]
        fn shell_rewrite_matches_the_steps_on_long_text(value in shell_text(true)) {
            let (out, changed) = shell_normalise(&value);
            prop_assert_eq!((out.into_owned(), changed), reference_shell_normalise(&value));
        }

        #[test]
        fn url_decode_in_place_matches_the_reference(value in encoded_text()) {
            let (out, changed) = url_decode(&value);
            prop_assert_eq!((out.into_owned(), changed), reference_url_decode(&value));
        }

        #[test]
        fn form_decode_in_place_matches_the_reference(value in encoded_text()) {
            let out = form_decode_cow(&value);
            let expected = reference_form_decode(&value);
            prop_assert_eq!(matches!(out, Cow::Borrowed(_)), matches!(expected, Cow::Borrowed(_)));
            prop_assert_eq!(out, expected);
        }

        #[test]
        fn quick_checked_normalisation_matches_the_full_one(
            value in "[a-zA-Z '\"\0]{0,6}(\\PC|[\u{300}\u{301}\u{2018}\u{ff53}éÉ]){0,12}"
        ) {
            prop_assert_eq!(normalise_unicode(&value), normalise_unicode_fully(&value));
        }

        #[test]
        fn is_compressed_matches_the_character_test(
            value in "([a-z]{0,3}[ \t\u{a0}\u{3000}\u{2003}é日]{0,2}){0,8}"
        ) {
            let expected = !value.chars().any(|c| c.is_whitespace() && c != ' ')
                && !value.contains("  ");
            prop_assert_eq!(is_compressed(&value), expected);
        }

        #[test]
        fn lowercase_in_runs_matches_the_standard_library(
            value in "([a-zA-Z .]{0,6}(\\PC|[ΣσÉéİẞᾼǅ])){0,8}"
        ) {
            let (lower, changed) = lowercase(&value);
            prop_assert_eq!(lower.as_ref(), value.to_lowercase());
            prop_assert_eq!(changed, lower != value);
        }

        /// Long ASCII runs (read sixteen bytes at a time) between other
        /// characters: the runs, the lower case and the normalisation are
        /// those of a byte-by-byte reading.
        #[test]
        fn ascii_runs_read_in_sixteens_match_the_byte_loop(
            value in "([a-zA-Z .'\0]{0,40}(\\PC|[ΣσÉéİẞᾼǅ\u{a0}\u{2018}\u{ff53}])){0,5}[a-zA-Z ]{0,20}"
        ) {
            let bytes = value.as_bytes();
            let expected = bytes.iter().position(|b| !b.is_ascii()).unwrap_or(bytes.len());
            prop_assert_eq!(ascii_prefix_len(bytes), expected);
            let runs: Vec<&str> = non_ascii_runs(&value).collect();
            let expected_runs: Vec<&str> = value
                .split(|c: char| c.is_ascii())
                .filter(|run| !run.is_empty())
                .collect();
            prop_assert_eq!(runs, expected_runs);
            let (lower, changed) = lowercase(&value);
            prop_assert_eq!(lower.as_ref(), value.to_lowercase());
            prop_assert_eq!(changed, lower != value);
            prop_assert_eq!(normalise_unicode(&value), normalise_unicode_fully(&value));
        }

        #[test]
        fn decoders_match_their_references_on_any_text(value in "\\PC{0,24}") {
            prop_assert_eq!(url_decode(&value).0.into_owned(), reference_url_decode(&value).0);
            prop_assert_eq!(form_decode_cow(&value), reference_form_decode(&value));
        }

        /// Eight bytes a step find the `%` or `+` a byte a step finds,
        /// and `zero_bytes` marks exactly the zero bytes.
        #[test]
        fn percent_or_plus_is_found_as_byte_by_byte(
            value in prop::collection::vec(
                prop_oneof![Just(b'%'), Just(b'+'), Just(0u8), Just(0x80u8), Just(b'a'), any::<u8>()],
                0..40,
            ),
            word in any::<u64>(),
        ) {
            let expected = value.iter().position(|&b| b == b'%' || b == b'+');
            prop_assert_eq!(find_percent_or_plus(&value), expected);
            let zeros = u64::from_le_bytes(word.to_le_bytes().map(|b| if b == 0 { 0x80 } else { 0 }));
            prop_assert_eq!(zero_bytes(word), zeros);
            let spiked = word & 0xff00_ff00_00ff_0000;
            let zeros = u64::from_le_bytes(spiked.to_le_bytes().map(|b| if b == 0 { 0x80 } else { 0 }));
            prop_assert_eq!(zero_bytes(spiked), zeros);
        }

        #[test]
        fn form_decode_borrows_only_what_needs_no_decoding(value in "[a-fu+%0-9]{0,16}") {
            let spaced = value.replace('+', " ");
            prop_assert_eq!(form_decode(&value), url_decode(&spaced).0.into_owned());
        }
    }

    #[test]
    fn title_case_letters_are_lower_cased() {
        // Neither is `char::is_uppercase`; both lower-case (proptest found
        // `ᾼ` left as it was).
        assert_eq!(lowercase("ᾼ"), (Cow::Owned("ᾳ".to_owned()), true));
        assert_eq!(lowercase("xǅ"), (Cow::Owned("xǆ".to_owned()), true));
        assert_eq!(lowercase("ᾳ"), (Cow::Borrowed("ᾳ"), false));
    }

    #[test]
    fn chunk_stops_agree_with_the_byte_table() {
        for b in 0..=0x7f_u8 {
            let mut window = [b'a'; PLAIN_CHUNK + 1];
            window[3] = b;
            let changes = !matches!(SHELL_BYTES[usize::from(b)], ShellByte::Keep) && b != b' ';
            assert_eq!(chunk_stops(&window) != 0, changes, "byte {b:#x}");
        }
        let mut window = [b'a'; PLAIN_CHUNK + 1];
        window[PLAIN_CHUNK - 1..].copy_from_slice(b"  ");
        assert_eq!(chunk_stops(&window).trailing_zeros() / 8, 15);
    }

    #[test]
    fn malformed_escapes_and_references_survive() {
        assert_eq!(url_decode("%").0, "%");
        assert_eq!(url_decode("%4").0, "%4");
        assert_eq!(url_decode("%u12").0, "%u12");
        // Four hex digits, no sign: one reading in URLs and forms.
        assert_eq!(url_decode("%u+041%u-041").0, "%u+041%u-041");
        assert_eq!(form_decode_cow("%u+041"), "%u 041");
        assert_eq!(url_decode("%u0041").0, "A");
        assert_eq!(
            html_decode("a & b &#; &#xZZ &unknown;").0,
            "a & b &#; &#xZZ &unknown;"
        );
        assert_eq!(html_decode("&#60&#x3e").0, "<>");
    }

    #[test]
    fn unterminated_comment_removes_the_rest() {
        assert_eq!(remove_sql_comments("1 /* open").0, "1  ");
        assert_eq!(remove_sql_comments("/*!").0, "  ");
    }

    #[test]
    fn path_normalisation_keeps_traversal_visible() {
        assert_eq!(normalise_path("/a//./b/../c").0, "/a/b/../c");
        assert_eq!(normalise_path("..\\..\\boot.ini").0, "../../boot.ini");
        assert!(!normalise_path("plain").1);
    }
}
