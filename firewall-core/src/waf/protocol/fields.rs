//! The grammars of single header fields, as the protocol checks read them
//! (RFC 9110 unless said otherwise): each function says whether a value
//! is well formed, or what is wrong with it.

/// What a `Range` header may be faulted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeFault {
    /// Not a byte range set, or a range whose last byte is before its first.
    Invalid,
    /// More than [`RANGES_MAX`] ranges on a file that is not a PDF.
    TooMany,
    /// More than [`RANGES_MAX_PDF`] ranges on a PDF.
    TooManyPdf,
    /// More than [`RANGES_MAX`] ranges on a PDF (PDF readers ask for many).
    ManyPdf,
}

/// Ranges a client needs in one request (a video player asks for one).
const RANGES_MAX: usize = 5;
/// Ranges a PDF reader may ask for at once.
const RANGES_MAX_PDF: usize = 62;

/// Whether the `Range` header `value` shows `fault`; `pdf` says whether the
/// path names a PDF.
pub(crate) fn range_has(value: &str, pdf: bool, fault: RangeFault) -> bool {
    let value = value.trim();
    let Some((unit, set)) = value.split_once('=') else {
        return fault == RangeFault::Invalid;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        // Another unit: nothing registered, nothing to count.
        return fault == RangeFault::Invalid && !is_token(unit.trim());
    }
    let specs = set.split(',').map(str::trim).filter(|s| !s.is_empty());
    match fault {
        RangeFault::Invalid => {
            let mut specs = specs.peekable();
            specs.peek().is_none() || specs.any(|s| !is_byte_range(s))
        }
        RangeFault::TooMany => !pdf && specs.count() > RANGES_MAX,
        RangeFault::TooManyPdf => pdf && specs.count() > RANGES_MAX_PDF,
        RangeFault::ManyPdf => pdf && specs.count() > RANGES_MAX,
    }
}

/// `first-last`, `first-` or `-suffix`, with `last` not before `first`.
fn is_byte_range(spec: &str) -> bool {
    let Some((first, last)) = spec.split_once('-') else {
        return false;
    };
    let number = |s: &str| {
        let s = s.trim();
        (!s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, true) => false,
        (true, false) => number(last).is_some(),
        (false, true) => number(first).is_some(),
        (false, false) => matches!((number(first), number(last)), (Some(a), Some(b)) if a <= b),
    }
}

/// An RFC 9110 token (`tchar`s, at least one).
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| TCHARS[usize::from(b)])
}

/// Whether each byte is a `tchar`: a letter, a digit or one of ``!#$%&'*+-.^_`|~``.
const TCHARS: [bool; 256] = tchars();

const fn tchars() -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    table
}

/// The pieces of `s` between the ASCII separators `sep`, as `str::split`
/// cuts them, with a plain byte loop (these values are short: a
/// searcher's set-up would cost more than the search).
fn pieces(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        if let Some(at) = r.bytes().position(|b| b == sep) {
            rest = r.get(at + 1..);
            r.get(..at)
        } else {
            rest = None;
            Some(r)
        }
    })
}

/// Whether `host` (a `Host` value, port included) is an IP address: a
/// client that names the site by its address (a scanner sweeping
/// addresses), not by its name. A loopback address counts only with
/// `loopback_too`: `curl http://127.0.0.1:5000/` and `[::1]` are a
/// developer's.
pub(crate) fn is_numeric_host(host: &str, loopback_too: bool) -> bool {
    let host = host.trim();
    if host.is_empty() {
        return false;
    }
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((v6, _)) => {
                return v6
                    .parse::<std::net::Ipv6Addr>()
                    .is_ok_and(|ip| loopback_too || !ip.is_loopback())
            }
            None => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    let numeric = name.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    numeric && (loopback_too || !is_loopback_v4(name))
}

/// Whether `name` is an IPv4 address in 127.0.0.0/8, as `Ipv4Addr`
/// parses one (four decimal octets up to 255, none with a leading zero),
/// without the standard parser's general machinery.
fn is_loopback_v4(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("127.") else {
        // An address with 127 first is written `127.`: no sign, no zero.
        return false;
    };
    let mut octets = 0;
    pieces(rest, b'.').all(|octet| {
        octets += 1;
        is_octet(octet.as_bytes())
    }) && octets == 3
}

/// Whether `digits` is a decimal octet as `Ipv4Addr` reads one.
fn is_octet(digits: &[u8]) -> bool {
    matches!(
        digits,
        [b'0'..=b'9']
            | [b'1'..=b'9', b'0'..=b'9']
            | [b'1', b'0'..=b'9', b'0'..=b'9']
            | [b'2', b'0'..=b'4', b'0'..=b'9']
            | [b'2', b'5', b'0'..=b'5']
    )
}

/// The media types applications read, beside any `application/...+json`
/// and `+xml`: forms, multipart, JSON, XML, plain text and bytes.
const MEDIA_TYPES: &[&str] = &[
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/related",
    "text/xml",
    "application/xml",
    "application/soap+xml",
    "application/json",
    "text/plain",
    "application/octet-stream",
];

/// A `Content-Type` value cut once, at its first `;`, for the checks that
/// read it (its syntax, its media type, its charset): each cut it on its
/// own before, and the syntax check read the media type twice (600
/// instructions a request on a form's `Content-Type`, 240 now).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContentType<'a> {
    /// The text before the first `;` (all of it without one), untrimmed.
    media: &'a str,
    /// The text after the first `;`, when there is one.
    parameters: Option<&'a str>,
    /// Whether `media` is media-type characters only, at least one.
    media_well_formed: bool,
}

impl<'a> ContentType<'a> {
    /// Cuts `value` in one pass to the first byte a media type cannot
    /// hold: in a well-formed value, the end or the `;` itself.
    pub(crate) fn of(value: &'a str) -> Self {
        let bytes = value.as_bytes();
        let end = bytes
            .iter()
            .position(|&b| !MEDIA_CHARS[usize::from(b)])
            .unwrap_or(bytes.len());
        let semicolon = match bytes.get(end) {
            Some(b';') => Some(end),
            Some(_) => memchr::memchr(b';', &bytes[end..]).map(|at| end + at),
            None => None,
        };
        let media_well_formed = end > 0 && semicolon.map_or(end == bytes.len(), |at| at == end);
        // A `;` is ASCII: both sides are text.
        match semicolon.and_then(|at| Some((value.get(..at)?, value.get(at + 1..)?))) {
            Some((media, parameters)) => Self {
                media,
                parameters: Some(parameters),
                media_well_formed,
            },
            None => Self {
                media: value,
                parameters: None,
                media_well_formed,
            },
        }
    }
}

/// Whether `content_type`'s media type is one applications read.
pub(crate) fn is_allowed_media_type(content_type: ContentType<'_>) -> bool {
    let media = content_type.media.trim();
    let ends = |suffix: &str| {
        media.len() >= suffix.len()
            && media.as_bytes()[media.len() - suffix.len()..]
                .eq_ignore_ascii_case(suffix.as_bytes())
    };
    let application = media
        .get(..12)
        .is_some_and(|p| p.eq_ignore_ascii_case("application/"));
    MEDIA_TYPES.iter().any(|m| m.eq_ignore_ascii_case(media))
        || application && (ends("+json") || ends("+xml"))
}

/// The parameters a request's `Content-Type` carries (forms, multipart,
/// SOAP, multipart/related).
const CONTENT_TYPE_PARAMETERS: &[&str] = &[
    "action",
    "boundary",
    "charset",
    "component",
    "start",
    "start-info",
    "type",
    "version",
];

/// Whether `value` is `type/subtype` followed by `; name=value` parameters
/// of known names, values of the characters they use.
pub(crate) fn is_content_type(value: ContentType<'_>) -> bool {
    value.media_well_formed
        && value
            .parameters
            .is_none_or(|parameters| pieces(parameters, b';').all(is_content_type_parameter))
}

/// Whether `param` is `name=value`, of a known name and a value of the
/// characters they use.
fn is_content_type_parameter(param: &str) -> bool {
    let Some((name, value)) = param.split_once('=') else {
        return false;
    };
    let name = name.trim();
    let value = value.trim();
    CONTENT_TYPE_PARAMETERS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(name))
        && !value.is_empty()
        && value.bytes().all(|b| PARAMETER_CHARS[usize::from(b)])
}

/// The bytes of a media type in [`is_content_type`]: letters, digits and `_/.+*-`.
const MEDIA_CHARS: [bool; 256] = byte_set(b"_/.+*-");

/// The bytes of a parameter's value in [`is_content_type`]: letters,
/// digits and ``'"_.()+,/:=?<>@#*-`` and space.
const PARAMETER_CHARS: [bool; 256] = byte_set(b"'\"_.()+,/:=?<>@#*- ");

/// Letters, digits and `others`, one flag per byte: one load a byte
/// where `others.contains` compares each in turn.
const fn byte_set(others: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < others.len() {
        table[others[i] as usize] = true;
        i += 1;
    }
    table
}

/// The `charset` parameters of a media type or media range.
pub(crate) fn charsets(media: &str) -> impl Iterator<Item = &str> {
    let parameters = media.split_once(';').map(|(_, parameters)| parameters);
    parameters.into_iter().flat_map(parameter_charsets)
}

/// The `charset` parameters among `parameters` (the text after a media
/// type's first `;`).
fn parameter_charsets(parameters: &str) -> impl Iterator<Item = &str> {
    parameters.split(';').filter_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
    })
}

/// Whether the charset of `content_type`, if any, is one encoding (a
/// label of the Encoding Standard, which Actix decodes bodies with): an
/// unknown one (EBCDIC, `garbage`) hides the body from any reader, and a
/// second `charset` leaves readers to disagree on it.
pub(crate) fn charset_is_decodable(content_type: ContentType<'_>) -> bool {
    let mut all = content_type
        .parameters
        .into_iter()
        .flat_map(parameter_charsets);
    match (all.next(), all.next()) {
        (None, _) => true,
        (Some(one), None) => encoding_rs::Encoding::for_label(one.as_bytes())
            .is_some_and(|e| e != encoding_rs::REPLACEMENT && e != encoding_rs::X_USER_DEFINED),
        (Some(_), Some(_)) => false,
    }
}

/// The charsets a client may ask responses in: those pages are written in.
const CHARSETS: &[&str] = &[
    "utf-8",
    "iso-8859-1",
    "iso-8859-15",
    "windows-1252",
    "us-ascii",
];

/// Whether `charset` (a bare name, possibly quoted) is one pages use.
pub(crate) fn is_allowed_charset(charset: &str) -> bool {
    let charset = charset.trim().trim_matches(|c| c == '"' || c == '\'');
    CHARSETS.iter().any(|c| c.eq_ignore_ascii_case(charset))
}

/// Whether `accept` is a list of media ranges (`type/subtype` or `*`, with
/// `name=value` parameters) asking for no charset but those pages use.
pub(crate) fn is_accept(accept: &str) -> bool {
    accept_in_one_pass(accept.as_bytes()).unwrap_or_else(|| is_accept_by_pieces(accept))
}

/// What a byte is to [`accept_in_one_pass`].
const COMMA: u8 = 0;
const SEMICOLON: u8 = 1;
const SPACE: u8 = 2;
const SLASH: u8 = 3;
const EQUALS: u8 = 4;
const STAR: u8 = 5;
/// Any other token character.
const TCHAR: u8 = 6;
/// Anything else: the pieces read the value.
const OTHER: u8 = 7;

const ACCEPT_CLASSES: [u8; 256] = accept_classes();

const fn accept_classes() -> [u8; 256] {
    let mut table = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b',' => COMMA,
            b';' => SEMICOLON,
            b' ' => SPACE,
            b'/' => SLASH,
            b'=' => EQUALS,
            b'*' => STAR,
            _ if TCHARS[b] => TCHAR,
            _ => OTHER,
        };
        b += 1;
    }
    table
}

/// Where [`accept_in_one_pass`] is in a media range (`_STAR`: the type
/// read so far is just `*`; `_END`: in the spaces after it).
const RANGE: u8 = 0;
const TYPE: u8 = 1;
const TYPE_STAR: u8 = 2;
const TYPE_END: u8 = 3;
const TYPE_END_STAR: u8 = 4;
/// After the `/`, spaces skipped.
const SUBTYPE_START: u8 = 5;
const SUBTYPE: u8 = 6;
const SUBTYPE_END: u8 = 7;
/// After a `;`, spaces skipped.
const PARAMETER: u8 = 8;
const NAME: u8 = 9;
const NAME_END: u8 = 10;
/// In a value holding only spaces so far.
const VALUE_BLANK: u8 = 11;
const VALUE: u8 = 12;
/// Just after the `=` of a parameter (where its name is checked: a
/// charset goes to the pieces); then as [`VALUE_BLANK`].
const VALUE_OPEN: u8 = 13;
/// Not a list of media ranges.
const MALFORMED: u8 = 14;
/// A byte the pieces read.
const UNKNOWN: u8 = 15;
const STATES: usize = 14;

/// Whether a range ends well in each state (at a `,` or the end).
const ENDS_WELL: [bool; STATES] = [
    true, false, true, false, true, false, true, true, true, false, false, false, true, false,
];

/// The next state, by state and byte class; the rows past [`STATES`]
/// (never read: the walk stops there) make any `u8 & 15` a row.
const ACCEPT_NEXT: [[u8; 8]; 16] = accept_next();

const fn accept_next() -> [[u8; 8]; 16] {
    let mut table = [[MALFORMED; 8]; 16];
    let mut state = 0;
    while state < STATES {
        let at = state as u8;
        let row = &mut table[state];
        row[COMMA as usize] = if ENDS_WELL[state] { RANGE } else { MALFORMED };
        row[SEMICOLON as usize] = match at {
            TYPE_STAR | TYPE_END_STAR | SUBTYPE | SUBTYPE_END | PARAMETER | VALUE => PARAMETER,
            _ => MALFORMED,
        };
        row[SPACE as usize] = match at {
            TYPE => TYPE_END,
            TYPE_STAR => TYPE_END_STAR,
            SUBTYPE => SUBTYPE_END,
            NAME => NAME_END,
            VALUE_OPEN => VALUE_BLANK,
            _ => at,
        };
        row[SLASH as usize] = match at {
            TYPE | TYPE_STAR | TYPE_END | TYPE_END_STAR => SUBTYPE_START,
            VALUE_BLANK | VALUE | VALUE_OPEN => VALUE,
            _ => MALFORMED,
        };
        row[EQUALS as usize] = match at {
            NAME | NAME_END => VALUE_OPEN,
            VALUE_BLANK | VALUE | VALUE_OPEN => VALUE,
            _ => MALFORMED,
        };
        let token = match at {
            TYPE | TYPE_STAR => TYPE,
            SUBTYPE_START | SUBTYPE => SUBTYPE,
            PARAMETER | NAME => NAME,
            VALUE_BLANK | VALUE | VALUE_OPEN => VALUE,
            _ => MALFORMED,
        };
        row[TCHAR as usize] = if at == RANGE { TYPE } else { token };
        row[STAR as usize] = if at == RANGE { TYPE_STAR } else { token };
        row[OTHER as usize] = UNKNOWN;
        state += 1;
    }
    table
}

/// [`ACCEPT_NEXT`] by state and byte, at `state << 8 | byte`, each entry
/// the next state shifted likewise: one load and an `or` a byte.
const ACCEPT_STEP: [u16; 16 << 8] = accept_step();

const fn accept_step() -> [u16; 16 << 8] {
    let mut table = [(MALFORMED as u16) << 8; 16 << 8];
    let mut state = 0;
    while state < 16 {
        let mut b = 0;
        while b < 256 {
            let next = ACCEPT_NEXT[state][ACCEPT_CLASSES[b] as usize];
            table[state << 8 | b] = (next as u16) << 8;
            b += 1;
        }
        state += 1;
    }
    table
}

/// [`is_accept`] in one pass over the bytes, a table step per byte, for
/// the values browsers and clients send: token characters, `/ , ; =`
/// and spaces, no charset parameter. `None` for anything else (tabs,
/// quotes, bytes above ASCII, a charset), which [`is_accept_by_pieces`]
/// reads. The same answers: the tests compare the two.
fn accept_in_one_pass(accept: &[u8]) -> Option<bool> {
    // The state shifted left by eight ([`ACCEPT_STEP`]).
    let mut at = usize::from(RANGE) << 8;
    for (i, &b) in accept.iter().enumerate() {
        at = usize::from(ACCEPT_STEP[(at | usize::from(b)) & 0xfff]);
        // One comparison a byte: the states past it stop the walk, or
        // check a parameter's name.
        if at >= usize::from(VALUE_OPEN) << 8 {
            match u8::try_from(at >> 8) {
                Ok(MALFORMED) => return Some(false),
                Ok(UNKNOWN) => return None,
                _ if names_charset(&accept[..i]) => return None,
                _ => {}
            }
        }
    }
    Some(ENDS_WELL[at >> 8])
}

/// Whether the parameter name `before` ends with (spaces after it
/// dropped) is `charset`.
fn names_charset(before: &[u8]) -> bool {
    let end = before.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
    let name = &before[..end];
    let start = name
        .iter()
        .rposition(|&b| !TCHARS[usize::from(b)])
        .map_or(0, |i| i + 1);
    name[start..].eq_ignore_ascii_case(b"charset")
}

/// [`is_accept`] by cutting the value at commas, semicolons, slashes and
/// equals signs, for any text.
fn is_accept_by_pieces(accept: &str) -> bool {
    pieces(accept, b',').all(|range| {
        let range = range.trim();
        if range.is_empty() {
            return true;
        }
        let mut parts = pieces(range, b';');
        let media = parts.next().unwrap_or("").trim();
        let media_ok = media == "*"
            || media
                .split_once('/')
                .is_some_and(|(t, s)| is_token(t.trim()) && is_token(s.trim()));
        // The parameters, a charset among them held to those pages use.
        let params_ok = parts.all(|p| {
            let p = p.trim();
            p.is_empty()
                || p.split_once('=').is_some_and(|(n, v)| {
                    let n = n.trim();
                    is_token(n)
                        && !v.trim().is_empty()
                        && !v.contains(['<', '>', '(', ')'])
                        && (!n.eq_ignore_ascii_case("charset")
                            || is_allowed_charset(v.trim().trim_matches(['"', '\''])))
                })
        });
        media_ok && params_ok
    })
}

/// The request directives of `Cache-Control` (RFC 9111 5.2.1).
pub(crate) fn is_request_cache_control(value: &str) -> bool {
    let directives: Vec<&str> = value.split(',').map(str::trim).collect();
    directives.len() <= 7
        && directives.iter().all(|d| {
            let d = d.to_ascii_lowercase();
            let seconds = |arg: &str| !arg.is_empty() && arg.bytes().all(|b| b.is_ascii_digit());
            match d.split_once('=') {
                None => matches!(
                    d.as_str(),
                    "no-cache" | "no-store" | "no-transform" | "only-if-cached" | "max-stale"
                ),
                Some((name, arg)) => {
                    matches!(
                        name,
                        "max-age" | "min-fresh" | "max-stale" | "stale-if-error"
                    ) && seconds(arg)
                }
            }
        })
}

/// Whether `value` is a list of content codings (tokens or `*`), each
/// with an optional weight `q=0..1`.
pub(crate) fn is_accept_encoding(value: &str) -> bool {
    value.split(',').map(str::trim).all(|coding| {
        if coding.is_empty() {
            return true;
        }
        let mut parts = coding.split(';');
        let name_ok = is_token(parts.next().unwrap_or("").trim());
        name_ok
            && parts.all(|p| {
                p.split_once('=')
                    .is_some_and(|(n, q)| n.trim().eq_ignore_ascii_case("q") && is_weight(q.trim()))
            })
    })
}

/// A weight: `0`, `1` or a decimal between with up to three digits.
fn is_weight(q: &str) -> bool {
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    let frac_ok = frac.len() <= 3 && frac.bytes().all(|b| b.is_ascii_digit());
    match int {
        "0" | "" if !(int.is_empty() && frac.is_empty()) => frac_ok,
        "1" => frac_ok && frac.bytes().all(|b| b == b'0'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_byte_range_sets() {
        let invalid = |v: &str| range_has(v, false, RangeFault::Invalid);
        assert!(!invalid("bytes=0-499"));
        assert!(!invalid("bytes=500-"));
        assert!(!invalid("bytes=-500, 0-0"));
        assert!(invalid("bytes=10-5"));
        assert!(invalid("bytes=a-b"));
        assert!(invalid("bytes="));
        assert!(invalid("0-10"));
        let many = "bytes=0-1,2-3,4-5,6-7,8-9,10-11";
        assert!(range_has(many, false, RangeFault::TooMany));
        assert!(!range_has(many, true, RangeFault::TooMany));
        assert!(range_has(many, true, RangeFault::ManyPdf));
        assert!(!range_has(many, true, RangeFault::TooManyPdf));
    }

    #[test]
    fn hosts_by_address_are_numeric_loopback_only_when_asked() {
        assert!(is_numeric_host("203.0.113.7", false));
        assert!(is_numeric_host("10.0.0.1:8080", false));
        assert!(is_numeric_host("[2001:db8::1]:443", false));
        assert!(!is_numeric_host("127.0.0.1:5000", false));
        assert!(!is_numeric_host("[::1]:5000", false));
        assert!(is_numeric_host("127.0.0.1:5000", true));
        assert!(is_numeric_host("[::1]:5000", true));
        assert!(!is_numeric_host("shop.example.com", true));
        assert!(!is_numeric_host("localhost:5000", true));
    }

    #[test]
    fn content_types_and_charsets() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
            "text/plain;charset=UTF-8",
        ] {
            assert!(is_content_type(ContentType::of(ok)), "{ok}");
        }
        for bad in ["", "application json", "text/plain; foo=bar", "text/html;"] {
            assert!(!is_content_type(ContentType::of(bad)), "{bad}");
        }
        assert!(charset_is_decodable(ContentType::of(
            "text/plain; charset=\"utf-8\""
        )));
        assert!(charset_is_decodable(ContentType::of(
            "text/plain; charset=utf-16le"
        )));
        assert!(!charset_is_decodable(ContentType::of(
            "text/plain; charset=ibm037"
        )));
        assert!(!charset_is_decodable(ContentType::of(
            "text/plain; charset=utf-8; charset=utf-8"
        )));
    }

    #[test]
    fn accept_headers_of_browsers_are_well_formed() {
        assert!(is_accept("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"));
        assert!(is_accept("application/json, text/plain, */*"));
        assert!(is_accept("text/html;q=0.9;charset=utf-8, *;q=0.1"));
        assert!(!is_accept("text/html; charset=CP1026"));
        assert!(!is_accept("text/html;q=0.9,*/*;q=0.8;charset=utf-16"));
    }

    /// Pieces of Accept values: most read in one pass, some (tabs, quotes,
    /// a charset, markup, text beyond ASCII) sent to the pieces.
    const ACCEPT_PIECES: &[&str] = &[
        "*", "/", ",", ";", "=", " ", "q", "text", "0.9", "v=b3", "+xml", "  ", "level", "**",
        "x-y", "charset", "CharSet", "utf-8", "ebcdic", "\t", "\"", "'", "<", "(", "\u{a0}", "é",
    ];

    /// A media range from its grammar's parts, each well formed or not.
    fn media_range() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let pick = |items: &'static [&'static str]| proptest::sample::select(items);
        let parameter = (
            pick(&["q", "", "a b", "charset", " q", "v", "é"]),
            pick(&["=", "", " = ", "=="]),
            pick(&["0.9", "", " ", "/", "a=b", " / ", "utf-8", "\t"]),
        )
            .prop_map(|(n, eq, v)| format!("{n}{eq}{v}"));
        (
            pick(&["", " ", "  "]),
            pick(&["text", "*", "**", "", "te xt", "application"]),
            pick(&["/", " /", "/ ", "", "//", " / "]),
            pick(&["html", "*", "", " x", "ht ml", "xml+x", "a/b"]),
            proptest::collection::vec(parameter, 0..3),
            pick(&["", " ", ";", "; "]),
        )
            .prop_map(|(lead, t, slash, sub, params, tail)| {
                let mut range = format!("{lead}{t}{slash}{sub}");
                for p in params {
                    range.push(';');
                    range.push_str(&p);
                }
                range + tail
            })
    }

    /// The `Content-Type` checks as they read the value before it was cut
    /// once: syntax, media type allowed, charset decodable.
    fn content_type_by_reference(value: &str) -> (bool, bool, bool) {
        let mut parts = pieces(value, b';');
        let media = parts.next().unwrap_or("");
        let media_ok = !media.is_empty() && media.bytes().all(|b| MEDIA_CHARS[usize::from(b)]);
        let syntax = media_ok && parts.all(is_content_type_parameter);
        let media = value.split(';').next().unwrap_or("").trim();
        let application = media
            .get(..12)
            .is_some_and(|p| p.eq_ignore_ascii_case("application/"));
        let ends = |suffix: &str| {
            media.len() >= suffix.len()
                && media.as_bytes()[media.len() - suffix.len()..]
                    .eq_ignore_ascii_case(suffix.as_bytes())
        };
        let allowed = MEDIA_TYPES.iter().any(|m| m.eq_ignore_ascii_case(media))
            || application && (ends("+json") || ends("+xml"));
        let mut all = value.split(';').skip(1).filter_map(|param| {
            let (name, value) = param.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
        });
        let decodable = match (all.next(), all.next()) {
            (None, _) => true,
            (Some(one), None) => encoding_rs::Encoding::for_label(one.as_bytes())
                .is_some_and(|e| e != encoding_rs::REPLACEMENT && e != encoding_rs::X_USER_DEFINED),
            (Some(_), Some(_)) => false,
        };
        (syntax, allowed, decodable)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// The value cut once answers the checks as cutting it for each did.
        #[test]
        fn content_types_are_read_as_by_reference(
            value in proptest::prop_oneof![
                "[a-z/+.*_-]{0,12}(;[ a-z=\"/-]{0,12}){0,2};?",
                "( ?)(application|multipart|text)/(x-www-form-urlencoded|form-data|json|ld\\+json)( ?; ?(charset|boundary|foo)=[a-zA-Z0-9 \"-]{0,8}){0,2}",
                "[a-zA-Z/;= é,\t-]{0,16}",
            ]
        ) {
            let cut = ContentType::of(&value);
            let read = (is_content_type(cut), is_allowed_media_type(cut), charset_is_decodable(cut));
            proptest::prop_assert_eq!(read, content_type_by_reference(&value), "{:?}", value);
        }

        /// The pieces are what `str::split` cuts.
        #[test]
        fn pieces_are_what_split_cuts(text in "[a-z;=. é]{0,20}", sep in proptest::sample::select(&[b';', b'.', b'='][..])) {
            let by_split: Vec<&str> = text.split(char::from(sep)).collect();
            proptest::prop_assert_eq!(pieces(&text, sep).collect::<Vec<_>>(), by_split);
        }

        /// The loopback test reads an address as the standard parser does.
        #[test]
        fn loopback_v4_answers_as_the_standard_parser(
            name in proptest::prop_oneof![
                "127(\\.[0-9]{1,4}){0,4}\\.?",
                "(0?127|1270|[0-9]{1,3})(\\.(0|00|01|[0-9]{1,3}|25[0-9]|2[0-9][0-9])){0,4}",
                "[0-9.]{0,16}",
            ]
        ) {
            let by_std = name
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback());
            proptest::prop_assert_eq!(is_loopback_v4(&name), by_std, "{:?}", name);
        }

        /// The one pass gives the answer of the pieces on lists of media
        /// ranges built from the grammar's parts.
        #[test]
        fn accept_in_one_pass_answers_as_the_pieces_on_ranges(
            ranges in proptest::collection::vec(media_range(), 1..4),
            comma in proptest::sample::select(&[",", ", ", " ,", ",,"][..]),
        ) {
            let accept = ranges.join(comma);
            proptest::prop_assert_eq!(
                is_accept(&accept),
                is_accept_by_pieces(&accept),
                "{:?}",
                accept
            );
        }

        /// The one pass gives the answer of the pieces on any text built
        /// of what Accept values hold (and what sends them to the pieces).
        #[test]
        fn accept_in_one_pass_answers_as_the_pieces(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    // Mostly what the one pass reads.
                    6 => proptest::sample::select(&ACCEPT_PIECES[..8]),
                    3 => proptest::sample::select(&ACCEPT_PIECES[..15]),
                    1 => proptest::sample::select(ACCEPT_PIECES),
                ],
                0..16,
            )
        ) {
            let accept = pieces.concat();
            proptest::prop_assert_eq!(
                is_accept(&accept),
                is_accept_by_pieces(&accept),
                "{:?}",
                accept
            );
        }
    }

    #[test]
    fn accept_of_browsers_is_read_in_one_pass() {
        for accept in [
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "application/json, text/plain, */*",
            "*/*",
            "image/avif,image/webp,*/*;q=0.8",
        ] {
            assert_eq!(
                accept_in_one_pass(accept.as_bytes()),
                Some(true),
                "{accept}"
            );
        }
        for (accept, well_formed) in [
            ("*;q=/", true),
            ("text/html;q= ", false),
            ("text/html;q=a=b", true),
            ("text / html ; q = 0.9 ,", true),
            ("text/ht ml", false),
            ("te xt/html", false),
            ("text/html/x", false),
            ("* ;q=1", true),
            ("**", false),
            ("text;q=1", false),
            (";q=1", false),
            ("text/html;=1", false),
            ("text/html;a b=1", false),
            ("text/html;q", false),
            ("text/html;;", true),
            ("text/", false),
        ] {
            assert_eq!(is_accept_by_pieces(accept), well_formed, "{accept}");
            assert_eq!(
                accept_in_one_pass(accept.as_bytes()),
                Some(well_formed),
                "{accept}"
            );
        }
    }

    #[test]
    fn cache_control_and_accept_encoding() {
        assert!(is_request_cache_control("max-age=0"));
        assert!(is_request_cache_control("no-cache, max-stale"));
        assert!(!is_request_cache_control("private"));
        assert!(!is_request_cache_control("max-age=1,,,max-stale=2"));
        assert!(is_accept_encoding("gzip, deflate, br, zstd"));
        assert!(is_accept_encoding("gzip;q=1.0, identity; q=0.5, *;q=0"));
        assert!(!is_accept_encoding("gzip;q=2"));
        assert!(!is_accept_encoding("gzip, <script>"));
    }
}
