//! The request's values read once for the encoding and byte-range checks:
//! the raw path, query and form body for percent-encodings that are not
//! two hex digits, then every value decoded (`%XX`, `%uXXXX`; `+` stays) for the
//! bytes it holds, its UTF-8, a second encoding, backslash escapes, and the
//! arguments' count and lengths. When the findings wanted are those of
//! paranoia 1 and a query's or form's escapes are plain (no NUL, backslash,
//! `%u` or bad UTF-8 among them), its arguments are not decoded here: their
//! count and lengths come from what the engine's decoding of them for its
//! own scan noted ([`FormReading`]), or, for a text it did not read whole,
//! from the raw text, measured in place.

use std::borrow::Cow;

use super::{header, FormReading, Location, Readings, Request};

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

// A set of findings is a `u32`, one bit each.
const _: () = assert!(FINDINGS <= 32, "a finding is a bit of a u32");

/// Every finding, in order.
#[cfg(test)]
pub(crate) const ALL_FINDINGS: [Finding; FINDINGS] = [
    Finding::BadPercentUri,
    Finding::DoubleEncoding,
    Finding::BadPercentBody,
    Finding::BadUtf8,
    Finding::FullWidth,
    Finding::Nul,
    Finding::Control,
    Finding::OutsidePrintable,
    Finding::ArgumentStrict,
    Finding::HeaderStrict,
    Finding::AbnormalEscape,
    Finding::NameLength,
    Finding::ValueLength,
    Finding::Count,
    Finding::Total,
    Finding::MethodOverride,
    Finding::UnicodeEscape,
];

impl Finding {
    /// Its bit in a set of findings.
    pub(crate) fn bit(self) -> u32 {
        1 << self as u32
    }
}

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

/// The findings of byte ranges beyond NUL (paranoia 2 and up).
const RANGES: u32 = (1 << Finding::Control as u32)
    | (1 << Finding::OutsidePrintable as u32)
    | (1 << Finding::ArgumentStrict as u32)
    | (1 << Finding::HeaderStrict as u32);

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
    /// The findings seen, one bit each ([`Finding::bit`]).
    seen: u32,
    /// Where each finding of `seen` was first seen, in the order seen. An
    /// ordinary request shows none: nothing is allocated, and the values
    /// stay small to move (a slot for each finding, most of them empty,
    /// cost 300 instructions a request to fill, move and read).
    first: Vec<(Finding, Location<'r>)>,
    /// The findings some active check asks for, one bit each: the others
    /// are not looked for.
    wanted: u32,
    scratch: Vec<u8>,
    arguments: usize,
    total: usize,
    /// Whether the fast paths are taken: arguments whose escapes
    /// [`Escapes`] proves plain read without decoding them, headers without
    /// an escape or NUL passed over (off only in the tests, as the
    /// reference).
    fast_paths: bool,
}

/// A query or form body, as the checks read it.
struct Urlencoded<'r> {
    raw: &'r [u8],
    /// Whether its bytes are meant as UTF-8 (a form may declare another
    /// charset).
    utf8: bool,
    /// What a `%` not followed by two hex digits is.
    bad_percent: Finding,
    location: fn() -> Location<'r>,
}

/// What the percent signs of a query or form body show, found in the scan
/// for malformed ones: whether its arguments' findings can be told
/// without decoding them.
#[derive(Clone, Copy)]
struct Escapes {
    /// Every `%XX` decodes to a byte that is neither NUL nor a backslash,
    /// no `%` is followed by `u`, and every run of escapes decoding above
    /// ASCII is UTF-8 on its own.
    plain: bool,
    /// How many `%XX` escapes (each three bytes that decode to one).
    count: usize,
}

/// The findings an argument read in place can answer (any other wanted
/// sends arguments to the decoding path): with plain escapes and no NUL,
/// backslash or byte above ASCII in the raw text, a decoded argument is
/// UTF-8 without NUL or backslash, and its length is the raw length less
/// two bytes per escape.
pub(crate) const IN_PLACE: u32 = (1 << Finding::BadPercentUri as u32)
    | (1 << Finding::BadPercentBody as u32)
    | (1 << Finding::FullWidth as u32)
    | (1 << Finding::BadUtf8 as u32)
    | (1 << Finding::Nul as u32)
    | (1 << Finding::NameLength as u32)
    | (1 << Finding::ValueLength as u32)
    | (1 << Finding::Count as u32)
    | (1 << Finding::Total as u32)
    | (1 << Finding::AbnormalEscape as u32)
    | (1 << Finding::UnicodeEscape as u32);

impl<'r> Values<'r> {
    /// Reads `req`'s path, query, form body and headers for the findings
    /// of `wanted` ([`Finding::bit`]s); a query or form whose `readings`
    /// settle them is not read again.
    pub(crate) fn of(req: &'r Request<'r>, wanted: u32, readings: &Readings<'r>) -> Self {
        Self::read(req, wanted, readings, true)
    }

    /// [`Self::of`], every argument and header decoded: the reference the
    /// fast paths are compared with.
    #[cfg(test)]
    pub(crate) fn of_decoding_all(req: &'r Request<'r>, wanted: u32) -> Self {
        Self::read(req, wanted, &Readings::default(), false)
    }

    fn read(req: &'r Request<'r>, wanted: u32, readings: &Readings<'r>, fast_paths: bool) -> Self {
        let mut values = Values {
            seen: 0,
            first: Vec::new(),
            wanted,
            scratch: Vec::new(),
            arguments: 0,
            total: 0,
            fast_paths,
        };
        let (path, query) = (req.path(), req.raw_query());
        values.raw(path.as_bytes(), Finding::BadPercentUri, || Location::Path);
        // (Before the query: what the path's decoding notes, the query's
        // escapes never do.)
        values.decoded(path.as_bytes(), Kind::Path, || Location::Path, |_, _| ());
        let query_text = Urlencoded {
            raw: query.as_bytes(),
            utf8: true,
            bad_percent: Finding::BadPercentUri,
            location: || Location::Query,
        };
        values.urlencoded(req.method(), &query_text, &readings.query);
        if is_form(req.content_type()) {
            let body = Urlencoded {
                raw: req.body_bytes(),
                utf8: declares_utf8(req.content_type()),
                bad_percent: Finding::BadPercentBody,
                location: || Location::Body,
            };
            values.urlencoded(req.method(), &body, &readings.body);
        }
        for (name, value) in req.headers() {
            // Without a `%`, backslash or NUL, a header shows nothing but
            // the byte ranges of higher levels (what `decoded` finds).
            let clean = || find_escape_or_nul(value.as_bytes()).is_none();
            if values.fast_paths && values.wanted & RANGES == 0 && clean() {
                continue;
            }
            let free = FREE_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name));
            let kind = if free { Kind::FreeHeader } else { Kind::Header };
            values.decoded(value.as_bytes(), kind, || header(name), |_, _| ());
        }
        values.totals();
        values
    }

    /// The first location of `finding`.
    pub(crate) fn first(&self, finding: Finding) -> Option<Location<'r>> {
        if self.seen & finding.bit() == 0 {
            return None;
        }
        self.first
            .iter()
            .find(|(seen, _)| *seen == finding)
            .map(|(_, location)| location.clone())
    }

    /// How many arguments, and their decoded names and values' bytes
    /// when [`Finding::Total`] is wanted (only then are they added up).
    #[cfg(test)]
    pub(crate) fn arguments_and_total(&self) -> (usize, Option<usize>) {
        (
            self.arguments,
            self.wants(Finding::Total).then_some(self.total),
        )
    }

    fn wants(&self, finding: Finding) -> bool {
        self.wanted & finding.bit() != 0
    }

    fn note(&mut self, finding: Finding, location: impl FnOnce() -> Location<'r>) {
        if self.seen & finding.bit() == 0 {
            self.seen |= finding.bit();
            self.first.push((finding, location()));
        }
    }

    /// The escapes and arguments of a query or form body: from what
    /// `reading` it showed the engine when that settles them (see
    /// [`Self::read_already`]), else read here.
    fn urlencoded(&mut self, method: &str, text: &Urlencoded<'r>, reading: &FormReading<'r>) {
        if self.read_already(text, reading) {
            return;
        }
        let escapes = self.raw(text.raw, text.bad_percent, text.location);
        self.arguments(method, text.raw, text.utf8, escapes);
    }

    /// Notes what `text`'s `reading` shows, if it settles every finding
    /// wanted as [`Self::raw`] and [`Self::arguments`] would: the reading
    /// covers the whole text (UTF-8, read from the request's own bytes),
    /// only findings [`IN_PLACE`] answers are wanted, the text holds no
    /// NUL or backslash, and its escapes are plain (no `%u`, none
    /// decoding to NUL or a backslash, every decoded name and value
    /// UTF-8). Whether it did.
    ///
    /// Why every decoded text being UTF-8 is what [`Self::raw`] asks of
    /// the escapes (each run of escapes above ASCII UTF-8 on its own):
    /// such a run sits between ASCII bytes, the ends of a name or value,
    /// and characters of the raw text, which are whole (it is UTF-8);
    /// a character never spans a run and its neighbour, so the decoded
    /// text is UTF-8 exactly when each run is. And with every decoded
    /// text UTF-8, reading the arguments in place or decoding them
    /// finds the same (the text's other bytes above ASCII change no
    /// finding [`IN_PLACE`] answers).
    fn read_already(&mut self, text: &Urlencoded<'r>, reading: &FormReading<'r>) -> bool {
        let settles = self.fast_paths
            && reading.whole
            && !reading.tally.unusual
            && self.wanted & !IN_PLACE == 0
            && memchr::memchr2(0, b'\\', text.raw).is_none();
        if !settles {
            return false;
        }
        if reading.tally.malformed {
            self.note(text.bad_percent, text.location);
        }
        self.arguments += reading.arguments;
        if let Some(name) = reading
            .long_name
            .filter(|_| self.wants(Finding::NameLength))
        {
            self.note(Finding::NameLength, || {
                Location::ArgName(Cow::Borrowed(name))
            });
        }
        if let Some(name) = reading
            .long_value
            .filter(|_| self.wants(Finding::ValueLength))
        {
            self.note(Finding::ValueLength, || Location::Arg(Cow::Borrowed(name)));
        }
        if self.wants(Finding::Total) {
            self.total += reading.total;
        }
        true
    }

    /// Percent signs in `raw` not followed by two hex digits (`finding`),
    /// and `%uFFxx` full-width escapes; what its escapes decode to.
    fn raw(
        &mut self,
        raw: &[u8],
        finding: Finding,
        location: impl Fn() -> Location<'r>,
    ) -> Escapes {
        let mut escapes = Escapes {
            plain: true,
            count: 0,
        };
        // The bytes above ASCII the escapes just read decode to, and where
        // that run of escapes ends.
        let mut high = std::mem::take(&mut self.scratch);
        high.clear();
        let mut high_end = 0;
        for at in memchr::memchr_iter(b'%', raw) {
            let rest = &raw[at + 1..];
            match (
                rest.first().copied().and_then(hex),
                rest.get(1).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    escapes.count += 1;
                    let byte = h << 4 | l;
                    if byte == 0 || byte == b'\\' {
                        escapes.plain = false;
                    } else if byte >= 0x80 {
                        if at != high_end && !is_utf8(&high) {
                            escapes.plain = false;
                        }
                        if at != high_end {
                            high.clear();
                        }
                        high.push(byte);
                        high_end = at + 3;
                    }
                }
                _ => self.note(finding, &location),
            }
            if rest.first().is_some_and(|u| u.eq_ignore_ascii_case(&b'u')) {
                escapes.plain = false;
                if rest.len() >= 5
                    && rest[1..3].eq_ignore_ascii_case(b"ff")
                    && rest[3..5].iter().all(u8::is_ascii_hexdigit)
                {
                    self.note(Finding::FullWidth, &location);
                }
            }
        }
        if !is_utf8(&high) {
            escapes.plain = false;
        }
        self.scratch = high;
        escapes
    }

    /// Decodes `raw` (into the scratch buffer when it holds a `%`: without
    /// one it is its own decoding, read in place), notes what its bytes
    /// show for a value of `kind`, and hands them to `then`.
    fn decoded<T>(
        &mut self,
        raw: &[u8],
        kind: Kind,
        location: impl Fn() -> Location<'r>,
        then: impl FnOnce(&mut Self, &[u8]) -> T,
    ) -> T {
        // Most values hold no `%`, backslash or NUL: one scan for the three
        // tells them clean of all but the byte ranges of higher levels.
        match find_escape_or_nul(raw) {
            None if self.wanted & RANGES == 0 => {
                if matches!(kind, Kind::Path) && self.wants(Finding::BadUtf8) && !is_utf8(raw) {
                    self.note(Finding::BadUtf8, &location);
                }
                return then(self, raw);
            }
            None => {
                self.inspect(raw, kind, &location);
                return then(self, raw);
            }
            Some(at) if memchr::memchr(b'%', &raw[at..]).is_none() => {
                self.inspect(raw, kind, &location);
                return then(self, raw);
            }
            Some(_) => {}
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        decode(raw, &mut scratch);
        self.inspect(&scratch, kind, &location);
        let result = then(self, &scratch);
        self.scratch = scratch;
        result
    }

    /// Notes what the `decoded` bytes of a value of `kind` show.
    fn inspect(&mut self, decoded: &[u8], kind: Kind, location: &impl Fn() -> Location<'r>) {
        let classes = [
            (NUL, Finding::Nul),
            (CONTROL, Finding::Control),
            (OUTSIDE, Finding::OutsidePrintable),
            (ARG_STRICT, Finding::ArgumentStrict),
            (HEADER_STRICT, Finding::HeaderStrict),
        ]
        .iter()
        .filter(|(_, finding)| self.wants(*finding))
        .fold(0, |acc, (bit, _)| acc | bit)
            & kind.classes();
        let seen = if classes & !NUL != 0 {
            decoded
                .iter()
                .fold(0, |acc, &b| acc | CLASSES[usize::from(b)])
                & classes
        } else if classes & NUL != 0 && memchr::memchr(0, decoded).is_some() {
            NUL
        } else {
            0
        };
        for (bit, finding) in [
            (NUL, Finding::Nul),
            (CONTROL, Finding::Control),
            (OUTSIDE, Finding::OutsidePrintable),
            (ARG_STRICT, Finding::ArgumentStrict),
            (HEADER_STRICT, Finding::HeaderStrict),
        ] {
            if seen & bit != 0 {
                self.note(finding, location);
            }
        }
        let escapes = self.wants(Finding::AbnormalEscape) || self.wants(Finding::UnicodeEscape);
        if escapes && !matches!(kind, Kind::FreeHeader) && memchr::memchr(b'\\', decoded).is_some()
        {
            if has_abnormal_escape(decoded) {
                self.note(Finding::AbnormalEscape, location);
            }
            if has_unicode_escape(decoded) {
                self.note(Finding::UnicodeEscape, location);
            }
        }
        let utf8 = matches!(kind, Kind::Path) && self.wants(Finding::BadUtf8);
        if utf8 && !is_utf8(decoded) {
            self.note(Finding::BadUtf8, location);
        }
    }

    /// The `name=value` pairs of a query or form body; `utf8` when their
    /// bytes are meant as UTF-8 (a form may declare another charset).
    /// `escapes` are those [`Self::raw`] found in `raw`: when they are
    /// plain, and but for them the text is ASCII without NUL or backslash,
    /// the arguments are read in place ([`Self::plain_arguments`]).
    fn arguments(&mut self, method: &str, raw: &'r [u8], utf8: bool, escapes: Escapes) {
        let utf8 = utf8 && self.wants(Finding::BadUtf8);
        if self.fast_paths
            && escapes.plain
            && self.wanted & !IN_PLACE == 0
            && (!utf8 || raw.is_ascii())
            && memchr::memchr2(0, b'\\', raw).is_none()
        {
            self.plain_arguments(raw, escapes);
            return;
        }
        let (double, method_override) = (
            self.wants(Finding::DoubleEncoding),
            self.wants(Finding::MethodOverride),
        );
        for pair in pairs(raw) {
            let (name, value) = match memchr::memchr(b'=', pair) {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &[][..]),
            };
            // Its text only when a finding names it.
            let raw_name = || std::str::from_utf8(name).unwrap_or("?");
            let arg = || Location::Arg(Cow::Borrowed(raw_name()));
            let arg_name = || Location::ArgName(Cow::Borrowed(raw_name()));
            self.arguments += 1;
            let (name_len, overrides) = self.decoded(name, Kind::Argument, arg_name, |v, name| {
                if utf8 && !is_utf8(name) {
                    v.note(Finding::BadUtf8, arg_name);
                }
                if name.len() > NAME_MAX {
                    v.note(Finding::NameLength, arg_name);
                }
                (name.len(), name.eq_ignore_ascii_case(b"_method"))
            });
            let value_len = self.decoded(value, Kind::Argument, arg, |v, value| {
                if utf8 && !is_utf8(value) {
                    v.note(Finding::BadUtf8, arg);
                }
                if value.len() > VALUE_MAX {
                    v.note(Finding::ValueLength, arg);
                }
                if double && has_percent_escape(value) {
                    v.note(Finding::DoubleEncoding, arg);
                }
                if method_override && overrides && is_method_override(value, method) {
                    v.note(Finding::MethodOverride, arg);
                }
                value.len()
            });
            self.total += name_len + value_len;
        }
    }

    /// The count and lengths of the arguments of `raw`, whose `escapes`
    /// are plain: each decoded name or value is as long as its raw text
    /// less two bytes per escape (an escape never spans an `&` or `=`,
    /// which are not hex digits), and holds no NUL, backslash or bad UTF-8.
    fn plain_arguments(&mut self, raw: &'r [u8], escapes: Escapes) {
        let (names, values, total) = (
            self.wants(Finding::NameLength),
            self.wants(Finding::ValueLength),
            self.wants(Finding::Total),
        );
        let decoded_len = |text: &[u8]| {
            let escapes = memchr::memchr_iter(b'%', text)
                .filter(|&at| {
                    let hex = |i: usize| text.get(i).is_some_and(u8::is_ascii_hexdigit);
                    hex(at + 1) && hex(at + 2)
                })
                .count();
            text.len() - 2 * escapes
        };
        // Names and values together: the raw text less the separators.
        let mut raw_total = 0;
        for pair in pairs(raw) {
            self.arguments += 1;
            // A pair no longer than the limits holds no name or value
            // beyond them.
            let long = pair.len() > NAME_MAX.min(VALUE_MAX) && (names || values);
            if !(long || total) {
                continue;
            }
            let eq = memchr::memchr(b'=', pair);
            raw_total += pair.len() - usize::from(eq.is_some());
            if !long {
                continue;
            }
            let (name, value) = match eq {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &[][..]),
            };
            let raw_name = || std::str::from_utf8(name).unwrap_or("?");
            if names && name.len() > NAME_MAX && decoded_len(name) > NAME_MAX {
                self.note(Finding::NameLength, || {
                    Location::ArgName(Cow::Borrowed(raw_name()))
                });
            }
            if values && value.len() > VALUE_MAX && decoded_len(value) > VALUE_MAX {
                self.note(Finding::ValueLength, || {
                    Location::Arg(Cow::Borrowed(raw_name()))
                });
            }
        }
        if total {
            self.total += raw_total - 2 * escapes.count;
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

/// `%XX` and `%uXXXX` (full-width forms folded to ASCII, as IIS does)
/// decoded from `raw` into `out`; anything else is copied, a run at a time.
/// (`+` stays `+`: it falls in the same byte classes as the space it
/// stands for in a form, so no finding depends on it.)
fn decode(raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    // Never longer than `raw`: one allocation at most.
    out.reserve(raw.len());
    let hex = |i: usize| raw.get(i).and_then(|&b| (b as char).to_digit(16));
    let mut copied = 0;
    for at in memchr::memchr_iter(b'%', raw) {
        if at < copied {
            continue; // inside the escape just decoded
        }
        if let (Some(high), Some(low)) = (hex(at + 1), hex(at + 2)) {
            out.extend_from_slice(&raw[copied..at]);
            out.push((high * 16 + low) as u8);
            copied = at + 3;
        } else if let Some(code) = unicode_escape(&raw[at + 1..]) {
            out.extend_from_slice(&raw[copied..at]);
            let code = match code {
                0xff01..=0xff5e => code - 0xfee0,
                other => other,
            };
            let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            copied = at + 6;
        }
    }
    out.extend_from_slice(&raw[copied..]);
}

/// The first `%`, backslash or NUL in `raw`. Most header values are
/// short, and for them `memchr3`'s vector set-up costs more than a plain
/// loop.
fn find_escape_or_nul(raw: &[u8]) -> Option<usize> {
    if raw.len() < 32 {
        raw.iter().position(|&b| matches!(b, b'%' | b'\\' | 0))
    } else {
        memchr::memchr3(b'%', b'\\', 0, raw)
    }
}

/// The value of a hex digit.
fn hex(digit: u8) -> Option<u8> {
    let value = HEX_VALUES[usize::from(digit)];
    (value < 16).then_some(value)
}

/// Each byte's value as a hex digit, 255 for a byte that is none.
const HEX_VALUES: [u8; 256] = hex_values();

const fn hex_values() -> [u8; 256] {
    let mut table = [u8::MAX; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            d @ b'0'..=b'9' => d - b'0',
            d @ b'a'..=b'f' => d - b'a' + 10,
            d @ b'A'..=b'F' => d - b'A' + 10,
            _ => u8::MAX,
        };
        b += 1;
    }
    table
}

/// The code of a `uXXXX` escape at the start of `rest`.
fn unicode_escape(rest: &[u8]) -> Option<u32> {
    let digits = rest
        .get(1..5)
        .filter(|_| rest[0].eq_ignore_ascii_case(&b'u'))?;
    let text = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(text, 16).ok()
}

/// Whether `bytes` are UTF-8 (ASCII checked a word at a time first).
fn is_utf8(bytes: &[u8]) -> bool {
    bytes.is_ascii() || std::str::from_utf8(bytes).is_ok()
}

/// `%XX` left in a decoded value: it was encoded twice.
fn has_percent_escape(decoded: &[u8]) -> bool {
    memchr::memchr_iter(b'%', decoded).any(|at| {
        let hex = |i: usize| decoded.get(i).is_some_and(u8::is_ascii_hexdigit);
        hex(at + 1) && hex(at + 2)
    })
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

/// The media type of a urlencoded form, in lower case.
const FORM: &str = "application/x-www-form-urlencoded";

/// Whether `content_type` is a urlencoded form. The type as browsers send
/// it (lower case, alone or before its parameters) is compared whole
/// first: cutting, trimming and comparing ignoring case cost 370
/// instructions, asked twice a request.
pub(crate) fn is_form(content_type: &str) -> bool {
    let as_sent = content_type
        .as_bytes()
        .strip_prefix(FORM.as_bytes())
        .is_some_and(|rest| matches!(rest.first(), None | Some(b';')));
    as_sent || {
        let media = content_type.split(';').next().unwrap_or("").trim();
        media.eq_ignore_ascii_case(FORM)
    }
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

/// Runs `f` on `path` decoded (on `path` itself when it has no escape).
fn with_decoded<T>(path: &str, f: impl FnOnce(&[u8]) -> T) -> T {
    if memchr::memchr(b'%', path.as_bytes()).is_none() {
        return f(path.as_bytes());
    }
    let mut decoded = Vec::new();
    decode(path.as_bytes(), &mut decoded);
    f(&decoded)
}

/// The last segment of a decoded path.
fn basename(path: &[u8]) -> &[u8] {
    let start = path.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    &path[start..]
}

/// Whether the decoded `path`'s file name ends with `suffix`, ignoring case.
pub(crate) fn decoded_path_ends_with(path: &str, suffix: &str) -> bool {
    with_decoded(path, |path| {
        let name = basename(path);
        name.len() >= suffix.len()
            && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    })
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
    with_decoded(path, |path| {
        let name = basename(path);
        let Some(dot) = name.iter().rposition(|&b| b == b'.') else {
            return false;
        };
        let extension = &name[dot + 1..];
        RESTRICTED_EXTENSIONS
            .iter()
            .any(|e| e.as_bytes().eq_ignore_ascii_case(extension))
    })
}

/// Whether the decoded `path` names an editor's backup (`name.ext~`, then
/// the end or a `/`).
pub(crate) fn path_names_backup(path: &str) -> bool {
    if !path.contains(['~', '%']) {
        return false;
    }
    with_decoded(path, |decoded| {
        memchr::memchr_iter(b'~', decoded).any(|at| {
            let after_ok = matches!(decoded.get(at + 1), None | Some(b'/'));
            let stem = &decoded[..at];
            let ext_start = stem.iter().rposition(|&b| b == b'.' || b == b'~');
            after_ok && ext_start.is_some_and(|i| stem[i] == b'.' && i + 1 < at)
        })
    })
}

/// The `name=value` pairs of a query or form body: the text between `&`s,
/// empty pieces left out.
fn pairs(raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    memchr::memchr_iter(b'&', raw)
        .chain([raw.len()])
        .map(move |end| {
            let pair = &raw[start..end];
            start = end + 1;
            pair
        })
        .filter(|pair| !pair.is_empty())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{find_escape_or_nul, is_form, FORM};

    /// [`is_form`] without its shortcut.
    fn is_form_by_reference(content_type: &str) -> bool {
        let media = content_type.split(';').next().unwrap_or("").trim();
        media.eq_ignore_ascii_case(FORM)
    }

    #[test]
    fn forms_are_known_in_any_case_and_spacing() {
        for content_type in [
            FORM,
            "application/x-www-form-urlencoded; charset=utf-8",
            "application/x-www-form-urlencoded;charset=utf-8",
            "Application/X-WWW-Form-URLEncoded",
            " application/x-www-form-urlencoded ;",
        ] {
            assert!(is_form(content_type), "{content_type}");
        }
        for content_type in [
            "",
            "application/x-www-form-urlencodedx",
            "application/x-www-form-urlencoded x",
            "application/json",
            "multipart/form-data; boundary=x",
        ] {
            assert!(!is_form(content_type), "{content_type}");
        }
    }

    #[test]
    fn hex_digits_have_the_values_to_digit_gives() {
        for b in 0..=u8::MAX {
            let reference = (b as char).to_digit(16).map(|d| d as u8);
            assert_eq!(super::hex(b), reference, "{b:#x}");
        }
    }

    proptest! {
        /// The shortcut answers what cutting and trimming answer, for
        /// the form's type in any case with spaces and parameters.
        #[test]
        fn forms_are_known_as_by_reference(
            // Mostly lower case, as browsers send it: the shortcut's case.
            cased in prop::collection::vec(prop::bool::weighted(0.02), 33),
            before in "[ \t\u{a0}]{0,2}",
            after in "[ \t;=a-z\u{a0}é]{0,6}",
        ) {
            let form: String = FORM
                .chars()
                .zip(cased)
                .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
                .collect();
            for content_type in [format!("{before}{form}{after}"), format!("{form}{after}")] {
                prop_assert_eq!(is_form(&content_type), is_form_by_reference(&content_type));
            }
        }

        /// The plain loop for short values finds what `memchr3` finds.
        #[test]
        fn short_values_find_the_first_escape_as_memchr3(value in "[a-z%\\\\\0 é]{0,40}") {
            let bytes = value.as_bytes();
            prop_assert_eq!(find_escape_or_nul(bytes), memchr::memchr3(b'%', b'\\', 0, bytes));
        }
    }
}
