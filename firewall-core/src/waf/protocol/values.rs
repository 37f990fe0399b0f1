//! The request's values read once for the encoding and byte-range checks:
//! the raw path, query and form body for percent-encodings that are not
//! two hex digits, then every value decoded (`%XX`, `%uXXXX`, `+`) for the
//! bytes it holds, its UTF-8, a second encoding, backslash escapes, and the
//! arguments' count and lengths.

use std::borrow::Cow;

use super::{header, Location, Request};

/// What the decoded values can show; each has the check of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finding {
    BadPercentUri,
    DoubleEncoding,
    BadPercentBody,
    BadUtf8,
    FullWidth,
    Nul,
    Control,
    OutsidePrintable,
    ArgumentStrict,
    HeaderStrict,
    AbnormalEscape,
    NameLength,
    ValueLength,
    Count,
    Total,
    MethodOverride,
    UnicodeEscape,
}

const FINDINGS: usize = 17;

/// Longest argument name an application uses.
pub(crate) const NAME_MAX: usize = 100;
/// Longest argument value before it counts as too long (paranoia 4).
pub(crate) const VALUE_MAX: usize = 400;
/// Most arguments in one request.
pub(crate) const COUNT_MAX: usize = 255;
/// Most bytes of argument names and values together.
pub(crate) const TOTAL_MAX: usize = 64_000;

/// The byte classes, one bit per finding a byte can make.
const NUL: u8 = 1;
/// Outside 9, 10, 13, 32-126, 128-255.
const CONTROL: u8 = 2;
/// Outside 32-36, 38-126.
const OUTSIDE: u8 = 4;
/// Outside 38, 44-46, 48-58, 61, 65-90, 95, 97-122.
const ARG_STRICT: u8 = 8;
/// Outside 32, 34, 38, 42-59, 61, 65-90, 95, 97-122.
const HEADER_STRICT: u8 = 16;

/// The classes of each byte.
const CLASSES: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut bits = 0;
        if c == 0 {
            bits |= NUL;
        }
        if !matches!(c, 9 | 10 | 13 | 32..=126 | 128..=255) {
            bits |= CONTROL;
        }
        if !matches!(c, 32..=36 | 38..=126) {
            bits |= OUTSIDE;
        }
        if !matches!(c, 38 | 44..=46 | 48..=58 | 61 | 65..=90 | 95 | 97..=122) {
            bits |= ARG_STRICT;
        }
        if !matches!(c, 32 | 34 | 38 | 42..=59 | 61 | 65..=90 | 95 | 97..=122) {
            bits |= HEADER_STRICT;
        }
        table[b] = bits;
        b += 1;
    }
    table
}

/// Which byte classes count for a kind of value, as CRS reads them.
#[derive(Clone, Copy)]
enum Kind {
    /// The path (`REQUEST_URI`).
    Path,
    /// An argument's name or value.
    Argument,
    /// A header.
    Header,
    /// A header browsers fill with free text or tokens of their own
    /// (`User-Agent`, `Referer`, `Cookie`, the `?1` booleans): only NUL and
    /// control characters count.
    FreeHeader,
}

impl Kind {
    fn classes(self) -> u8 {
        match self {
            Self::Path => NUL | CONTROL | OUTSIDE,
            Self::Argument => NUL | CONTROL | OUTSIDE | ARG_STRICT,
            Self::Header => NUL | CONTROL | OUTSIDE | HEADER_STRICT,
            Self::FreeHeader => NUL | CONTROL,
        }
    }
}

/// Headers whose text is the client's own: not held to the strict ranges.
const FREE_HEADERS: &[&str] = &[
    "user-agent",
    "referer",
    "cookie",
    "sec-fetch-user",
    "sec-ch-ua-mobile",
];

/// Where each finding was first seen.
pub(crate) struct Values<'r> {
    first: [Option<Location<'r>>; FINDINGS],
    scratch: Vec<u8>,
    arguments: usize,
    total: usize,
}

impl<'r> Values<'r> {
    /// Reads `req`'s path, query, form body and headers.
    pub(crate) fn of(req: &'r Request<'r>) -> Self {
        let mut values = Values {
            first: Default::default(),
            scratch: Vec::new(),
            arguments: 0,
            total: 0,
        };
        let (path, query) = (req.path(), req.raw_query());
        values.raw(path.as_bytes(), Finding::BadPercentUri, || Location::Path);
        values.raw(query.as_bytes(), Finding::BadPercentUri, || Location::Query);
        values.decoded(path.as_bytes(), false, Kind::Path, || Location::Path);
        values.arguments(req.method(), query.as_bytes(), true);
        if is_form(req.content_type()) {
            let body = req.body_bytes();
            values.raw(body, Finding::BadPercentBody, || Location::Body);
            let utf8 = declares_utf8(req.content_type());
            values.arguments(req.method(), body, utf8);
        }
        for (name, value) in req.headers() {
            let free = FREE_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name));
            let kind = if free { Kind::FreeHeader } else { Kind::Header };
            values.decoded(value.as_bytes(), true, kind, || header(name));
        }
        values.totals();
        values
    }

    /// The first location of `finding`.
    pub(crate) fn first(&self, finding: Finding) -> Option<Location<'r>> {
        self.first[finding as usize].clone()
    }

    fn note(&mut self, finding: Finding, location: impl FnOnce() -> Location<'r>) {
        let slot = &mut self.first[finding as usize];
        if slot.is_none() {
            *slot = Some(location());
        }
    }

    /// Percent signs in `raw` not followed by two hex digits (`finding`),
    /// and `%uFFxx` full-width escapes.
    fn raw(&mut self, raw: &[u8], finding: Finding, location: impl Fn() -> Location<'r>) {
        for at in memchr::memchr_iter(b'%', raw) {
            let rest = &raw[at + 1..];
            if !(rest.len() >= 2 && rest[0].is_ascii_hexdigit() && rest[1].is_ascii_hexdigit()) {
                self.note(finding, &location);
            }
            if rest.len() >= 5
                && rest[0].eq_ignore_ascii_case(&b'u')
                && rest[1..3].eq_ignore_ascii_case(b"ff")
                && rest[3..5].iter().all(u8::is_ascii_hexdigit)
            {
                self.note(Finding::FullWidth, &location);
            }
        }
    }

    /// Decodes `raw` into the scratch buffer and notes what its bytes
    /// show for a value of `kind`; `plus` decodes `+` as a space.
    fn decoded(
        &mut self,
        raw: &[u8],
        plus: bool,
        kind: Kind,
        location: impl Fn() -> Location<'r>,
    ) -> usize {
        let mut scratch = std::mem::take(&mut self.scratch);
        decode(raw, plus, &mut scratch);
        let seen = scratch
            .iter()
            .fold(0, |acc, &b| acc | CLASSES[usize::from(b)])
            & kind.classes();
        for (bit, finding) in [
            (NUL, Finding::Nul),
            (CONTROL, Finding::Control),
            (OUTSIDE, Finding::OutsidePrintable),
            (ARG_STRICT, Finding::ArgumentStrict),
            (HEADER_STRICT, Finding::HeaderStrict),
        ] {
            if seen & bit != 0 {
                self.note(finding, &location);
            }
        }
        if !matches!(kind, Kind::FreeHeader) && memchr::memchr(b'\\', &scratch).is_some() {
            if has_abnormal_escape(&scratch) {
                self.note(Finding::AbnormalEscape, &location);
            }
            if has_unicode_escape(&scratch) {
                self.note(Finding::UnicodeEscape, &location);
            }
        }
        if matches!(kind, Kind::Path) && std::str::from_utf8(&scratch).is_err() {
            self.note(Finding::BadUtf8, &location);
        }
        let len = scratch.len();
        self.scratch = scratch;
        len
    }

    /// The `name=value` pairs of a query or form body; `utf8` when their
    /// bytes are meant as UTF-8 (a form may declare another charset).
    fn arguments(&mut self, method: &str, raw: &'r [u8], utf8: bool) {
        for pair in raw.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match memchr::memchr(b'=', pair) {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &[][..]),
            };
            let raw_name = std::str::from_utf8(name).unwrap_or("?");
            let arg = || Location::Arg(Cow::Borrowed(raw_name));
            let arg_name = || Location::ArgName(Cow::Borrowed(raw_name));
            self.arguments += 1;
            let name_len = self.decoded(name, true, Kind::Argument, arg_name);
            if utf8 && std::str::from_utf8(&self.scratch).is_err() {
                self.note(Finding::BadUtf8, arg_name);
            }
            if name_len > NAME_MAX {
                self.note(Finding::NameLength, arg_name);
            }
            let overrides = self.scratch.eq_ignore_ascii_case(b"_method");
            let value_len = self.decoded(value, true, Kind::Argument, arg);
            if utf8 && std::str::from_utf8(&self.scratch).is_err() {
                self.note(Finding::BadUtf8, arg);
            }
            if value_len > VALUE_MAX {
                self.note(Finding::ValueLength, arg);
            }
            if has_percent_escape(&self.scratch) {
                self.note(Finding::DoubleEncoding, arg);
            }
            if overrides && is_method_override(&self.scratch, method) {
                self.note(Finding::MethodOverride, arg);
            }
            self.total += name_len + value_len;
        }
    }

    fn totals(&mut self) {
        if self.arguments > COUNT_MAX {
            self.note(Finding::Count, || Location::Query);
        }
        if self.total > TOTAL_MAX {
            self.note(Finding::Total, || Location::Query);
        }
    }
}

/// `%XX`, `%uXXXX` (full-width forms folded to ASCII, as IIS does) and,
/// with `plus`, `+` as a space, decoded from `raw` into `out`; anything
/// else is copied.
fn decode(raw: &[u8], plus: bool, out: &mut Vec<u8>) {
    out.clear();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                raw.get(i + 1).copied().and_then(hex),
                raw.get(i + 2).copied().and_then(hex),
            ) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
            if let Some(code) = unicode_escape(&raw[i + 1..]) {
                let code = match code {
                    0xff01..=0xff5e => code - 0xfee0,
                    other => other,
                };
                let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut utf8 = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                i += 6;
                continue;
            }
        }
        out.push(if plus && b == b'+' { b' ' } else { b });
        i += 1;
    }
}

/// The code of a `uXXXX` escape at the start of `rest`.
fn unicode_escape(rest: &[u8]) -> Option<u32> {
    let digits = rest
        .get(1..5)
        .filter(|_| rest[0].eq_ignore_ascii_case(&b'u'))?;
    let text = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(text, 16).ok()
}

/// `%XX` left in a decoded value: it was encoded twice.
fn has_percent_escape(decoded: &[u8]) -> bool {
    decoded
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

/// A backslash escape a path or word has no use for (`\c`, `\d`, `\1`),
/// not preceded by another backslash.
fn has_abnormal_escape(decoded: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', decoded).any(|at| {
        let next = decoded.get(at + 1).map(u8::to_ascii_lowercase);
        let escaped = at > 0 && decoded[at - 1] == b'\\';
        !escaped && next.is_some_and(|n| b"cdeghijklmpqwxyz123456789".contains(&n))
    })
}

/// A `\\uXXXX` escape.
fn has_unicode_escape(decoded: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', decoded).any(|at| {
        let rest = &decoded[at + 1..];
        rest.len() >= 5
            && rest[0].eq_ignore_ascii_case(&b'u')
            && rest[1..5].iter().all(u8::is_ascii_hexdigit)
    })
}

/// A `_method` value naming another method: 3 to 10 letters.
fn is_method_override(value: &[u8], method: &str) -> bool {
    (3..=10).contains(&value.len())
        && value.iter().all(u8::is_ascii_alphabetic)
        && !value.eq_ignore_ascii_case(method.as_bytes())
}

/// Whether `content_type` is a urlencoded form.
fn is_form(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("application/x-www-form-urlencoded")
}

/// Whether a form's bytes are UTF-8: no charset, or UTF-8.
fn declares_utf8(content_type: &str) -> bool {
    content_type.split(';').skip(1).all(|param| {
        param.split_once('=').is_none_or(|(name, value)| {
            !name.trim().eq_ignore_ascii_case("charset")
                || value
                    .trim()
                    .trim_matches(|c| c == '"' || c == '\'')
                    .eq_ignore_ascii_case("utf-8")
        })
    })
}

/// The last segment of `path`, decoded.
fn decoded_basename(path: &str) -> Vec<u8> {
    let mut decoded = Vec::new();
    decode(path.as_bytes(), false, &mut decoded);
    let start = decoded
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |i| i + 1);
    decoded.drain(..start);
    decoded.make_ascii_lowercase();
    decoded
}

/// Whether the decoded `path`'s file name ends with `suffix` (lower case).
pub(crate) fn decoded_path_ends_with(path: &str, suffix: &str) -> bool {
    decoded_basename(path).ends_with(suffix.as_bytes())
}

/// File extensions that name what a site never serves: backups and
/// copies, databases and dumps, keys and certificates, configuration and
/// logs, Windows and .NET project, script and system files.
const RESTRICTED_EXTENSIONS: &[&str] = &[
    "asa",
    "asax",
    "ascx",
    "back",
    "backup",
    "bak",
    "bck",
    "bk",
    "bkp",
    "cdx",
    "cer",
    "cfg",
    "cmd",
    "cnf",
    "conf",
    "config",
    "copy",
    "crt",
    "cs",
    "csproj",
    "csr",
    "dat",
    "db",
    "dbf",
    "dist",
    "dll",
    "dos",
    "htr",
    "htw",
    "ida",
    "idc",
    "idq",
    "inc",
    "ini",
    "jks",
    "kdbx",
    "key",
    "licx",
    "lnk",
    "log",
    "mdb",
    "old",
    "orig",
    "p12",
    "pass",
    "pdb",
    "pem",
    "pfx",
    "pol",
    "printer",
    "psd1",
    "psm1",
    "pwd",
    "rdb",
    "rdp",
    "resources",
    "resx",
    "sql",
    "sqlite",
    "sqlite3",
    "swo",
    "swp",
    "sys",
    "temp",
    "tmp",
    "vb",
    "vbe",
    "vbproj",
    "vbs",
    "vsdisco",
    "webinfo",
    "xsd",
    "xsx",
];

/// Whether the decoded `path`'s file extension is restricted.
pub(crate) fn path_extension_is_restricted(path: &str) -> bool {
    let name = decoded_basename(path);
    let Some(dot) = name.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    let extension = &name[dot + 1..];
    RESTRICTED_EXTENSIONS
        .iter()
        .any(|e| e.as_bytes() == extension)
}

/// Whether the decoded `path` names an editor's backup (`name.ext~`, then
/// the end or a `/`).
pub(crate) fn path_names_backup(path: &str) -> bool {
    let mut decoded = Vec::new();
    decode(path.as_bytes(), false, &mut decoded);
    memchr::memchr_iter(b'~', &decoded).any(|at| {
        let after_ok = matches!(decoded.get(at + 1), None | Some(b'/'));
        let stem = &decoded[..at];
        let ext_start = stem.iter().rposition(|&b| b == b'.' || b == b'~');
        after_ok && ext_start.is_some_and(|i| stem[i] == b'.' && i + 1 < at)
    })
}
