//! Protocol checks (the CRS 920 family): what a request's structure says,
//! not what its values hold. A GET with a body, a `Content-Length` that is
//! not digits, a percent sign not followed by two hex digits, bytes outside
//! the range a paranoia level allows, a `Range` asking for a hundred
//! pieces, a charset nothing decodes, a `Host` that is a bare IP address.
//!
//! Each check is a [`Check`], named in `signatures.toml` by a signature
//! (`check = "get-with-body"`) that gives it its CRS id, paranoia level and
//! severity: it is reported, scored, disabled and excluded like any other
//! signature. The checks read a [`Head`] (the request's headers gathered in
//! one pass) and, for the encodings and byte ranges, the
//! [`Values`](values::Values) of the request decoded once ([`values`]),
//! helped by what the engine's decoding of the query and form body for
//! the signatures noted ([`FormReading`]); the grammars of single header
//! fields (`Range`, `Cache-Control`, `Accept`, `Content-Type`...) are in
//! [`fields`].
//!
//! # Examples
//!
//! ```
//! use firewall_core::waf::{Request, Waf, WafConfig};
//! let waf = Waf::new(WafConfig::default())?;
//! let get_with_body = Request::new("GET", "/")
//!     .version("HTTP/1.1")
//!     .header("Host", "shop.example.com")
//!     .header("Content-Length", "7")
//!     .body("application/x-www-form-urlencoded", "a=b&c=d");
//! let report = waf.evaluate(&get_with_body);
//! assert!(report.matches().iter().any(|m| m.rule_id == 920170));
//! # Ok::<(), firewall_core::waf::WafError>(())
//! ```

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::request::Request;
use super::target::Location;
use super::UnknownName;

mod fields;
mod form_reading;
mod head;
mod values;

pub(crate) use form_reading::{FormReading, Readings};
pub(crate) use head::Head;
use values::Finding;

/// One protocol check, run on the whole request rather than on a value.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::Check;
/// let check: Check = "get-with-body".parse().unwrap();
/// assert_eq!(check, Check::GetWithBody);
/// assert_eq!(check.to_string(), "get-with-body");
/// assert!("no-such-check".parse::<Check>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// `Content-Length` is not a run of digits (920160).
    LengthNotDigits,
    /// GET or HEAD with a body (920170).
    GetWithBody,
    /// GET or HEAD with `Transfer-Encoding` (920171).
    GetWithTransferEncoding,
    /// An HTTP/1 POST with neither `Content-Length` nor `Transfer-Encoding` (920180).
    PostWithoutLength,
    /// Both `Content-Length` and `Transfer-Encoding` (920181).
    LengthAndTransferEncoding,
    /// A `Range` that is not a byte range set, or whose last byte comes before its first (920190).
    RangeInvalid,
    /// A `Range` of more than five pieces, on a file that is not a PDF (920200).
    RangeTooMany,
    /// A `Range` of more than 62 pieces on a PDF (920201).
    RangeTooManyPdf,
    /// A `Range` of more than five pieces on a PDF (920202).
    RangeManyPdf,
    /// `Connection` asking both to keep the connection and to close it (920210).
    ConflictingConnection,
    /// A `%` in the path or query not followed by two hex digits (920220).
    BadPercentUri,
    /// An argument value still percent-encoded once decoded (920230).
    DoubleEncoding,
    /// A `%` in a form body not followed by two hex digits (920240).
    BadPercentBody,
    /// Bytes that are not UTF-8 once the path or an argument is decoded (920250).
    BadUtf8,
    /// `%uFFxx`: full-width Unicode, which IIS folds to ASCII (920260).
    FullWidthUnicode,
    /// A NUL byte in the path, an argument or a header, once decoded (920270).
    NulByte,
    /// A control character in the path, an argument or a header (920271).
    ControlCharacter,
    /// A byte outside printable ASCII, or `%` once decoded (920272).
    OutsidePrintable,
    /// An argument with a character other than letters, digits and `&,-./:=_` (920273).
    ArgumentStrict,
    /// A header with a character outside the few headers need (920274).
    HeaderStrict,
    /// `Sec-Fetch-User` or `Sec-CH-UA-Mobile` other than `?0` or `?1` (920275).
    SecFetchBoolean,
    /// No `Host` in an HTTP/1 request (920280).
    MissingHost,
    /// An empty `Host` (920290).
    EmptyHost,
    /// No `Accept` in an HTTP/1 request (920300).
    MissingAccept,
    /// An empty `Accept` beside a `User-Agent` (920310).
    EmptyAccept,
    /// An empty `Accept` and no `User-Agent` (920311).
    EmptyAcceptNoAgent,
    /// No `User-Agent` in an HTTP/1 request (920320).
    MissingUserAgent,
    /// An empty `User-Agent` (920330).
    EmptyUserAgent,
    /// A body without a `Content-Type` (920340, a notice).
    BodyWithoutType,
    /// A body without a `Content-Type` (920640, at a higher level and score).
    BodyWithoutTypeStrict,
    /// A `Host` that is an IP address; a loopback one only from paranoia 3 (920350).
    NumericHost,
    /// An argument name longer than 100 bytes (920360).
    ArgumentNameLength,
    /// An argument value longer than 400 bytes (920370).
    ArgumentLength,
    /// More than 255 arguments (920380).
    ArgumentCount,
    /// Arguments totalling more than 64 000 bytes (920390).
    ArgumentTotal,
    /// A media type outside those applications read (920420).
    ContentTypeNotAllowed,
    /// A path whose file extension names a backup, database, key or configuration file (920440).
    RestrictedExtension,
    /// A header that proxies and servers act on in dangerous ways (`Proxy`, `X-HTTP-Method-Override`...) (920450).
    RestrictedHeader,
    /// `Accept-Charset`, which no current browser sends (920451).
    AcceptCharsetHeader,
    /// A backslash escape (`\c`, `\d`) outside a doubled backslash (920460).
    AbnormalEscape,
    /// A `Content-Type` that is not `type/subtype` with known parameters (920470).
    ContentTypeSyntax,
    /// A `Content-Type` charset that nothing decodes, or two charsets (920480).
    ContentTypeCharset,
    /// `X-Up-Devcap-Post-Charset` naming a charset not allowed (920490).
    UpDevcapCharset,
    /// A path naming an editor's backup file (`index.php~`) (920500).
    BackupFile,
    /// A `Cache-Control` with a directive requests do not carry (920510).
    CacheControl,
    /// An `Accept-Encoding` longer than 100 bytes (920520).
    AcceptEncodingLength,
    /// An `Accept-Encoding` that is not a list of codings with weights (920521).
    AcceptEncodingSyntax,
    /// An `Accept` that is not a list of media ranges, or asks for a charset not allowed (920600).
    AcceptSyntax,
    /// A raw `#` in the request target (920610). Behind Actix it never
    /// fires: the `http` crate drops a fragment before any middleware; it
    /// serves views built by other integrations and the `firewall` command.
    FragmentInTarget,
    /// More than one `Content-Type` header (920620).
    ContentTypeTwice,
    /// A `_method` argument overriding the request's method (920650).
    MethodOverride,
    /// A `\uXXXX` escape outside a JSON body, which some decoders turn into the character (920540).
    UnicodeEscape,
    /// A multipart field name or file name with a quote, `;`, `=` or backslash (920121).
    MultipartNameCharacters,
    /// A multipart part's `Content-Type` asking for a charset not allowed (920530).
    MultipartPartCharset,
}

/// Every check with its name in signature files.
const NAMES: [(Check, &str); 54] = [
    (Check::LengthNotDigits, "length-not-digits"),
    (Check::GetWithBody, "get-with-body"),
    (Check::GetWithTransferEncoding, "get-with-transfer-encoding"),
    (Check::PostWithoutLength, "post-without-length"),
    (
        Check::LengthAndTransferEncoding,
        "length-and-transfer-encoding",
    ),
    (Check::RangeInvalid, "range-invalid"),
    (Check::RangeTooMany, "range-too-many"),
    (Check::RangeTooManyPdf, "range-too-many-pdf"),
    (Check::RangeManyPdf, "range-many-pdf"),
    (Check::ConflictingConnection, "conflicting-connection"),
    (Check::BadPercentUri, "bad-percent-uri"),
    (Check::DoubleEncoding, "double-encoding"),
    (Check::BadPercentBody, "bad-percent-body"),
    (Check::BadUtf8, "bad-utf8"),
    (Check::FullWidthUnicode, "full-width-unicode"),
    (Check::NulByte, "nul-byte"),
    (Check::ControlCharacter, "control-character"),
    (Check::OutsidePrintable, "outside-printable"),
    (Check::ArgumentStrict, "argument-strict"),
    (Check::HeaderStrict, "header-strict"),
    (Check::SecFetchBoolean, "sec-fetch-boolean"),
    (Check::MissingHost, "missing-host"),
    (Check::EmptyHost, "empty-host"),
    (Check::MissingAccept, "missing-accept"),
    (Check::EmptyAccept, "empty-accept"),
    (Check::EmptyAcceptNoAgent, "empty-accept-no-agent"),
    (Check::MissingUserAgent, "missing-user-agent"),
    (Check::EmptyUserAgent, "empty-user-agent"),
    (Check::BodyWithoutType, "body-without-type"),
    (Check::BodyWithoutTypeStrict, "body-without-type-strict"),
    (Check::NumericHost, "numeric-host"),
    (Check::ArgumentNameLength, "argument-name-length"),
    (Check::ArgumentLength, "argument-length"),
    (Check::ArgumentCount, "argument-count"),
    (Check::ArgumentTotal, "argument-total"),
    (Check::ContentTypeNotAllowed, "content-type-not-allowed"),
    (Check::RestrictedExtension, "restricted-extension"),
    (Check::RestrictedHeader, "restricted-header"),
    (Check::AcceptCharsetHeader, "accept-charset-header"),
    (Check::AbnormalEscape, "abnormal-escape"),
    (Check::ContentTypeSyntax, "content-type-syntax"),
    (Check::ContentTypeCharset, "content-type-charset"),
    (Check::UpDevcapCharset, "up-devcap-charset"),
    (Check::BackupFile, "backup-file"),
    (Check::CacheControl, "cache-control"),
    (Check::AcceptEncodingLength, "accept-encoding-length"),
    (Check::AcceptEncodingSyntax, "accept-encoding-syntax"),
    (Check::AcceptSyntax, "accept-syntax"),
    (Check::FragmentInTarget, "fragment-in-target"),
    (Check::ContentTypeTwice, "content-type-twice"),
    (Check::MethodOverride, "method-override"),
    (Check::UnicodeEscape, "unicode-escape"),
    (Check::MultipartNameCharacters, "multipart-name-characters"),
    (Check::MultipartPartCharset, "multipart-part-charset"),
];

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = NAMES
            .iter()
            .find(|(c, _)| c == self)
            .map_or("?", |(_, n)| n);
        f.write_str(name)
    }
}

impl FromStr for Check {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NAMES
            .iter()
            .find(|(_, n)| *n == s)
            .map(|(c, _)| *c)
            .ok_or_else(|| UnknownName::new("check", s, "a protocol check of protocol.rs"))
    }
}

impl Check {
    /// The finding of the decoded values this check reports, if any.
    fn finding(self) -> Option<Finding> {
        Some(match self {
            Self::BadPercentUri => Finding::BadPercentUri,
            Self::DoubleEncoding => Finding::DoubleEncoding,
            Self::BadPercentBody => Finding::BadPercentBody,
            Self::BadUtf8 => Finding::BadUtf8,
            Self::FullWidthUnicode => Finding::FullWidth,
            Self::NulByte => Finding::Nul,
            Self::ControlCharacter => Finding::Control,
            Self::OutsidePrintable => Finding::OutsidePrintable,
            Self::ArgumentStrict => Finding::ArgumentStrict,
            Self::HeaderStrict => Finding::HeaderStrict,
            Self::AbnormalEscape => Finding::AbnormalEscape,
            Self::ArgumentNameLength => Finding::NameLength,
            Self::ArgumentLength => Finding::ValueLength,
            Self::ArgumentCount => Finding::Count,
            Self::ArgumentTotal => Finding::Total,
            Self::MethodOverride => Finding::MethodOverride,
            Self::UnicodeEscape => Finding::UnicodeEscape,
            _ => return None,
        })
    }

    /// Where this check finds `head`'s request at fault, if it does.
    pub(crate) fn find<'r>(self, head: &Head<'r>) -> Option<Location<'r>> {
        match self {
            Self::LengthNotDigits => head.length_not_digits(),
            Self::GetWithBody => head.get_with_body(),
            Self::GetWithTransferEncoding => head.get_with_transfer_encoding(),
            Self::PostWithoutLength => head.post_without_length(),
            Self::LengthAndTransferEncoding => head.length_and_transfer_encoding(),
            Self::RangeInvalid => head.range(fields::RangeFault::Invalid),
            Self::RangeTooMany => head.range(fields::RangeFault::TooMany),
            Self::RangeTooManyPdf => head.range(fields::RangeFault::TooManyPdf),
            Self::RangeManyPdf => head.range(fields::RangeFault::ManyPdf),
            Self::ConflictingConnection => head.conflicting_connection(),
            Self::SecFetchBoolean => head.sec_fetch_boolean(),
            Self::MissingHost => head.missing("host"),
            Self::EmptyHost => head.empty_host(),
            Self::MissingAccept => head.missing_accept(),
            Self::EmptyAccept => head.empty_accept(true),
            Self::EmptyAcceptNoAgent => head.empty_accept(false),
            Self::MissingUserAgent => head.missing("user-agent"),
            Self::EmptyUserAgent => head.empty_user_agent(),
            Self::BodyWithoutType | Self::BodyWithoutTypeStrict => head.body_without_type(),
            Self::NumericHost => head.numeric_host(),
            Self::ContentTypeNotAllowed => head.content_type_not_allowed(),
            Self::RestrictedExtension => head.restricted_extension(),
            Self::RestrictedHeader => head.restricted_header(false),
            Self::AcceptCharsetHeader => head.restricted_header(true),
            Self::ContentTypeSyntax => head.content_type_syntax(),
            Self::ContentTypeCharset => head.content_type_charset(),
            Self::UpDevcapCharset => head.up_devcap_charset(),
            Self::BackupFile => head.backup_file(),
            Self::CacheControl => head.cache_control(),
            Self::AcceptEncodingLength => head.accept_encoding_length(),
            Self::AcceptEncodingSyntax => head.accept_encoding_syntax(),
            Self::AcceptSyntax => head.accept_syntax(),
            Self::FragmentInTarget => head.fragment_in_target(),
            Self::ContentTypeTwice => head.content_type_twice(),
            Self::BadPercentUri => head.finding(Finding::BadPercentUri),
            Self::DoubleEncoding => head.finding(Finding::DoubleEncoding),
            Self::BadPercentBody => head.finding(Finding::BadPercentBody),
            Self::BadUtf8 => head.finding(Finding::BadUtf8),
            Self::FullWidthUnicode => head.finding(Finding::FullWidth),
            Self::NulByte => head.finding(Finding::Nul),
            Self::ControlCharacter => head.finding(Finding::Control),
            Self::OutsidePrintable => head.finding(Finding::OutsidePrintable),
            Self::ArgumentStrict => head.finding(Finding::ArgumentStrict),
            Self::HeaderStrict => head.finding(Finding::HeaderStrict),
            Self::AbnormalEscape => head.finding(Finding::AbnormalEscape),
            Self::ArgumentNameLength => head.finding(Finding::NameLength),
            Self::ArgumentLength => head.finding(Finding::ValueLength),
            Self::ArgumentCount => head.finding(Finding::Count),
            Self::ArgumentTotal => head.finding(Finding::Total),
            Self::MethodOverride => head.finding(Finding::MethodOverride),
            Self::UnicodeEscape => head.unicode_escape(),
            Self::MultipartNameCharacters => head.multipart_name_characters(),
            Self::MultipartPartCharset => head.multipart_part_charset(),
        }
    }
}

/// The protocol checks a WAF runs, each with the index of its signature,
/// and the findings of the decoded values they ask for: read from the
/// list once, when the signatures are compiled (folding them at each
/// request cost 190 instructions).
#[derive(Debug, Default)]
pub(crate) struct Checks {
    list: Vec<(usize, Check)>,
    /// The [`Finding::bit`]s of the checks' findings.
    findings: u32,
}

impl Checks {
    /// The checks of `list` (each with its signature's index).
    pub(crate) fn new(list: Vec<(usize, Check)>) -> Self {
        let findings = list
            .iter()
            .filter_map(|(_, check)| check.finding())
            .fold(0, |acc, finding| acc | finding.bit());
        Self { list, findings }
    }

    /// Whether there is no check to run.
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// Calls `hit(signature, location)` for each of `checks` (indices in
/// `signatures`' order, with their check) that finds `req` at fault, at
/// `paranoia` (the loopback `Host` a developer's curl sends is only
/// numeric from paranoia 3). `readings` are what collecting `req`'s
/// values for the signatures showed of its query and form body (the
/// checks read the text again where they do not settle them).
pub(crate) fn run<'r>(
    req: &'r Request<'_>,
    readings: Readings<'r>,
    checks: &Checks,
    paranoia: u8,
    mut hit: impl FnMut(usize, Location<'r>),
) {
    if checks.is_empty() {
        return;
    }
    let head = Head::of(req, paranoia, checks.findings, readings);
    for &(sig, check) in &checks.list {
        if let Some(location) = check.find(&head) {
            hit(sig, location);
        }
    }
}

/// Whether `req`'s body is a form within `limit` bytes: reading it before
/// the checks run lets them use its [`FormReading`] (when the reading
/// covers it whole) instead of reading it again.
pub(crate) fn body_is_form_within(req: &Request<'_>, limit: usize) -> bool {
    let len = req.body_bytes().len();
    len > 0 && len < limit && values::is_form(req.content_type())
}

/// A header's location, borrowing its name.
fn header(name: &str) -> Location<'_> {
    Location::Header(Cow::Borrowed(name))
}

#[cfg(test)]
mod tests;
