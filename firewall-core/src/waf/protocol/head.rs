//! The request's head as the protocol checks read it: the headers they
//! need, gathered in one pass, and the decoded values, read once when a
//! check first asks.

use std::cell::OnceCell;

use super::super::header_names::KnownHeader;
use super::super::multipart;
use super::fields::{self, ContentType, RangeFault};
use super::values::{self, Finding, Values};
use super::{header, Location, Readings, Request};

/// What [`Head::gather`] keeps of a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    Host,
    Accept,
    UserAgent,
    Length,
    TransferEncoding,
    ContentType,
    /// `Range` or `Request-Range`.
    Range,
    Connection,
    CacheControl,
    AcceptEncoding,
    /// `Sec-Fetch-User` or `Sec-CH-UA-Mobile` (structured booleans).
    SecBoolean,
    UpDevcap,
    AcceptCharset,
    /// Headers no client needs to send an application, which proxies and
    /// servers act on in dangerous ways: `Proxy` (httpoxy), the `WebDAV`
    /// `If` and `Lock-Token`, `Content-Range` on a request, the method
    /// overrides, Next.js's internal `X-Middleware-Subrequest`.
    /// (`Content-Encoding` is not among them: the firewall decodes gzip
    /// and deflate bodies before inspecting them, as Actix does before
    /// the handler.)
    Restricted,
}

/// What is kept of a header, by the known name it is (told when the
/// header was added to the request), if anything.
fn wanted(known: KnownHeader) -> Option<Wanted> {
    use KnownHeader as K;
    Some(match known {
        K::Host => Wanted::Host,
        K::Accept => Wanted::Accept,
        K::UserAgent => Wanted::UserAgent,
        K::ContentLength => Wanted::Length,
        K::TransferEncoding => Wanted::TransferEncoding,
        K::ContentType => Wanted::ContentType,
        K::Range | K::RequestRange => Wanted::Range,
        K::Connection => Wanted::Connection,
        K::CacheControl => Wanted::CacheControl,
        K::AcceptEncoding => Wanted::AcceptEncoding,
        K::SecFetchUser | K::SecChUaMobile => Wanted::SecBoolean,
        K::XUpDevcapPostCharset => Wanted::UpDevcap,
        K::AcceptCharset => Wanted::AcceptCharset,
        K::Proxy
        | K::LockToken
        | K::ContentRange
        | K::If
        | K::XHttpMethodOverride
        | K::XHttpMethod
        | K::XMethodOverride
        | K::XMiddlewareSubrequest => Wanted::Restricted,
        _ => return None,
    })
}

/// The headers the checks read, and the request.
pub(crate) struct Head<'r> {
    req: &'r Request<'r>,
    paranoia: u8,
    wanted: u32,
    host: Option<&'r str>,
    accept: Option<&'r str>,
    user_agent: Option<&'r str>,
    length: Option<&'r str>,
    transfer_encoding: Option<&'r str>,
    content_types: usize,
    content_type: Option<&'r str>,
    /// `content_type` cut once for the checks that read it.
    content_type_cut: Option<ContentType<'r>>,
    range: Option<(&'r str, &'r str)>,
    connection: Option<(&'r str, &'r str)>,
    connections: usize,
    cache_control: Option<(&'r str, &'r str)>,
    accept_encoding: Option<(&'r str, &'r str)>,
    sec_booleans: Option<(&'r str, &'r str)>,
    up_devcap: Option<(&'r str, &'r str)>,
    restricted: Option<&'r str>,
    accept_charset: Option<&'r str>,
    readings: Readings<'r>,
    values: OnceCell<Values<'r>>,
}

impl<'r> Head<'r> {
    /// Gathers `req`'s headers in one pass, for checks at `paranoia`
    /// wanting the value findings of `wanted`, which the `readings` of its
    /// query and form body help settle.
    pub(crate) fn of(
        req: &'r Request<'r>,
        paranoia: u8,
        wanted: u32,
        readings: Readings<'r>,
    ) -> Self {
        let mut head = Head {
            req,
            paranoia,
            wanted,
            host: None,
            accept: None,
            user_agent: None,
            length: None,
            transfer_encoding: None,
            content_types: 0,
            content_type: None,
            content_type_cut: None,
            range: None,
            connection: None,
            connections: 0,
            cache_control: None,
            accept_encoding: None,
            sec_booleans: None,
            up_devcap: None,
            restricted: None,
            accept_charset: None,
            readings,
            values: OnceCell::new(),
        };
        for (known, name, value) in req.known_headers() {
            head.gather(known, name, value);
        }
        head.content_type_cut = head.content_type.map(ContentType::of);
        head
    }

    fn gather(&mut self, known: KnownHeader, name: &'r str, value: &'r str) {
        let Some(slot) = wanted(known) else {
            return;
        };
        let first = |slot: &mut Option<&'r str>| {
            slot.get_or_insert(value);
        };
        match slot {
            Wanted::Host => first(&mut self.host),
            Wanted::Accept => first(&mut self.accept),
            Wanted::UserAgent => first(&mut self.user_agent),
            Wanted::Length => first(&mut self.length),
            Wanted::TransferEncoding => first(&mut self.transfer_encoding),
            Wanted::ContentType => {
                self.content_types += 1;
                first(&mut self.content_type);
            }
            Wanted::Range => {
                self.range.get_or_insert((name, value));
            }
            Wanted::Connection => {
                self.connections += 1;
                self.connection.get_or_insert((name, value));
            }
            Wanted::CacheControl => {
                self.cache_control.get_or_insert((name, value));
            }
            Wanted::AcceptEncoding => {
                self.accept_encoding.get_or_insert((name, value));
            }
            Wanted::SecBoolean => {
                if !matches!(value.trim(), "" | "?0" | "?1") {
                    self.sec_booleans.get_or_insert((name, value));
                }
            }
            Wanted::UpDevcap => {
                self.up_devcap.get_or_insert((name, value));
            }
            Wanted::AcceptCharset => {
                self.accept_charset.get_or_insert(name);
            }
            Wanted::Restricted => {
                self.restricted.get_or_insert(name);
            }
        }
    }

    /// Whether the request says it came in HTTP/1 (a view built by hand
    /// says nothing, and HTTP/2 carries the host in its own field).
    fn http1(&self) -> bool {
        self.req.http_version().starts_with("HTTP/1.")
    }

    /// The body's length: `Content-Length` when it is a number, else the
    /// body's bytes (a view of a request read whole).
    fn body_length(&self) -> u64 {
        match self.length.map(|l| l.trim().parse::<u64>()) {
            Some(Ok(n)) => n,
            _ => self.req.body_bytes().len() as u64,
        }
    }

    fn is_get_or_head(&self) -> bool {
        matches!(self.req.method(), "GET" | "HEAD")
    }

    pub(crate) fn length_not_digits(&self) -> Option<Location<'r>> {
        let length = self.length?;
        let digits = !length.is_empty() && length.bytes().all(|b| b.is_ascii_digit());
        (!digits).then(|| header("Content-Length"))
    }

    pub(crate) fn get_with_body(&self) -> Option<Location<'r>> {
        (self.is_get_or_head() && self.body_length() > 0).then(|| header("Content-Length"))
    }

    pub(crate) fn get_with_transfer_encoding(&self) -> Option<Location<'r>> {
        (self.is_get_or_head() && self.transfer_encoding.is_some())
            .then(|| header("Transfer-Encoding"))
    }

    pub(crate) fn post_without_length(&self) -> Option<Location<'r>> {
        let none = self.length.is_none()
            && self.transfer_encoding.is_none()
            && self.req.body_bytes().is_empty();
        (self.http1() && self.req.method() == "POST" && none).then_some(Location::Method)
    }

    pub(crate) fn length_and_transfer_encoding(&self) -> Option<Location<'r>> {
        (self.length.is_some() && self.transfer_encoding.is_some())
            .then(|| header("Transfer-Encoding"))
    }

    pub(crate) fn range(&self, fault: RangeFault) -> Option<Location<'r>> {
        let (name, value) = self.range?;
        let pdf = values::decoded_path_ends_with(self.req.path(), ".pdf");
        fields::range_has(value, pdf, fault).then(|| header(name))
    }

    pub(crate) fn conflicting_connection(&self) -> Option<Location<'r>> {
        let (name, value) = self.connection?;
        let options = |v: &str| {
            let has = |o: &str| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(o));
            (has("keep-alive"), has("close"))
        };
        let (keep, close) = options(value);
        // Two of `keep-alive` and `close` (`close, close` too).
        let persistence = value.split(',').filter(|t| {
            let t = t.trim();
            t.eq_ignore_ascii_case("keep-alive") || t.eq_ignore_ascii_case("close")
        });
        let both = persistence.count() > 1;
        let again = self.connections > 1
            && self
                .req
                .headers()
                .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
                .any(|(_, v)| options(v) != (keep, close));
        (both || again).then(|| header(name))
    }

    pub(crate) fn sec_fetch_boolean(&self) -> Option<Location<'r>> {
        self.sec_booleans.map(|(name, _)| header(name))
    }

    /// `name` (lower case) is missing from an HTTP/1 request.
    pub(crate) fn missing(&self, name: &'static str) -> Option<Location<'r>> {
        let present = match name {
            "host" => self.host.is_some(),
            _ => self.user_agent.is_some(),
        };
        (self.http1() && !present).then(|| header(name))
    }

    pub(crate) fn empty_host(&self) -> Option<Location<'r>> {
        self.host
            .filter(|h| h.trim().is_empty())
            .map(|_| header("Host"))
    }

    pub(crate) fn missing_accept(&self) -> Option<Location<'r>> {
        let exempt = matches!(self.req.method(), "OPTIONS" | "CONNECT");
        (self.http1() && !exempt && self.accept.is_none()).then(|| header("Accept"))
    }

    /// An empty `Accept`, with (`with_agent`) or without a `User-Agent`.
    pub(crate) fn empty_accept(&self, with_agent: bool) -> Option<Location<'r>> {
        let empty = self.accept.is_some_and(|a| a.trim().is_empty());
        (empty && self.user_agent.is_some() == with_agent).then(|| header("Accept"))
    }

    pub(crate) fn empty_user_agent(&self) -> Option<Location<'r>> {
        self.user_agent
            .filter(|ua| ua.trim().is_empty())
            .map(|_| header("User-Agent"))
    }

    pub(crate) fn body_without_type(&self) -> Option<Location<'r>> {
        let typed = self.content_type.is_some_and(|t| !t.trim().is_empty())
            || !self.req.content_type().trim().is_empty();
        (self.body_length() > 0 && !typed).then_some(Location::Body)
    }

    pub(crate) fn numeric_host(&self) -> Option<Location<'r>> {
        let loopback_too = self.paranoia >= 3;
        fields::is_numeric_host(self.host?, loopback_too).then(|| header("Host"))
    }

    /// Whether the request's `Content-Type` names something: present and
    /// not blank (a blank one has no media type to judge).
    fn names_a_media_type(&self) -> bool {
        self.content_type.is_some_and(|t| !t.trim().is_empty())
    }

    pub(crate) fn content_type_not_allowed(&self) -> Option<Location<'r>> {
        let content_type = self
            .content_type_cut
            .filter(|_| self.names_a_media_type())?;
        let allowed = fields::is_allowed_media_type(content_type);
        (!allowed).then(|| header("Content-Type"))
    }

    pub(crate) fn content_type_syntax(&self) -> Option<Location<'r>> {
        let valid = fields::is_content_type(self.content_type_cut?);
        (!valid).then(|| header("Content-Type"))
    }

    pub(crate) fn content_type_charset(&self) -> Option<Location<'r>> {
        let decodable = fields::charset_is_decodable(self.content_type_cut?);
        (!decodable).then(|| header("Content-Type"))
    }

    pub(crate) fn content_type_twice(&self) -> Option<Location<'r>> {
        (self.content_types > 1).then(|| header("Content-Type"))
    }

    pub(crate) fn up_devcap_charset(&self) -> Option<Location<'r>> {
        let (name, value) = self.up_devcap?;
        let up = self.user_agent.is_some_and(|ua| {
            ua.trim_start()
                .get(..2)
                .is_some_and(|p| p.eq_ignore_ascii_case("up"))
        });
        (up && !fields::is_allowed_charset(value)).then(|| header(name))
    }

    pub(crate) fn restricted_header(&self, extended: bool) -> Option<Location<'r>> {
        let name = if extended {
            self.accept_charset?
        } else {
            self.restricted?
        };
        Some(header(name))
    }

    pub(crate) fn restricted_extension(&self) -> Option<Location<'r>> {
        values::path_extension_is_restricted(self.req.path()).then_some(Location::Path)
    }

    pub(crate) fn backup_file(&self) -> Option<Location<'r>> {
        values::path_names_backup(self.req.path()).then_some(Location::Path)
    }

    pub(crate) fn cache_control(&self) -> Option<Location<'r>> {
        let (name, value) = self.cache_control?;
        (!fields::is_request_cache_control(value)).then(|| header(name))
    }

    pub(crate) fn accept_encoding_length(&self) -> Option<Location<'r>> {
        let (name, value) = self.accept_encoding?;
        (value.len() > 100).then(|| header(name))
    }

    pub(crate) fn accept_encoding_syntax(&self) -> Option<Location<'r>> {
        let (name, value) = self.accept_encoding?;
        (!fields::is_accept_encoding(value)).then(|| header(name))
    }

    pub(crate) fn accept_syntax(&self) -> Option<Location<'r>> {
        let accept = self.accept.filter(|a| !a.trim().is_empty())?;
        (!fields::is_accept(accept)).then(|| header("Accept"))
    }

    pub(crate) fn fragment_in_target(&self) -> Option<Location<'r>> {
        if self.req.path().contains('#') {
            return Some(Location::Path);
        }
        self.req
            .raw_query()
            .contains('#')
            .then_some(Location::Query)
    }

    /// A `\uXXXX` escape, unless the body is JSON (where such escapes are
    /// the grammar's own).
    pub(crate) fn unicode_escape(&self) -> Option<Location<'r>> {
        // The finding first: it is almost always absent, and the media
        // type is then not read.
        let location = self.finding(Finding::UnicodeEscape)?;
        let media = self
            .req
            .content_type()
            .split(';')
            .next()
            .unwrap_or("")
            .trim();
        let json =
            media.len() >= 4 && media.as_bytes()[media.len() - 4..].eq_ignore_ascii_case(b"json");
        (!json).then_some(location)
    }

    pub(crate) fn multipart_name_characters(&self) -> Option<Location<'r>> {
        let content_type = self.req.content_type();
        if !multipart::is_multipart(content_type) {
            return None;
        }
        let fields = multipart::parse(content_type, self.req.body_bytes(), false).ok()?;
        let odd = |s: &str| s.contains(['"', ';', '=', '\\']);
        // An apostrophe after a letter is prose (`O'Neil.pdf`, `kids' art`).
        let quote = |s: &str| {
            s.char_indices().any(|(at, c)| {
                c == '\'' && !s[..at].chars().next_back().is_some_and(char::is_alphabetic)
            })
        };
        fields.into_iter().find_map(|field| {
            let name = field.name.unwrap_or_default();
            let odd_file = field
                .filename
                .as_deref()
                .is_some_and(|f| odd(f) || quote(f));
            (odd(&name) || name.contains('\'') || odd_file).then(|| Location::ArgName(name.into()))
        })
    }

    /// A part header `Content-Type: ...; charset=...` naming a charset
    /// pages are not written in: the part's bytes hide from the readers.
    pub(crate) fn multipart_part_charset(&self) -> Option<Location<'r>> {
        if !multipart::is_multipart(self.req.content_type()) {
            return None;
        }
        let body = self.req.body_bytes();
        let odd = body.split(|&b| b == b'\n').any(|line| {
            let line = String::from_utf8_lossy(line);
            let Some((name, value)) = line.split_once(':') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("content-type")
                && fields::charsets(value).any(|c| !fields::is_allowed_charset(c))
        });
        odd.then_some(Location::Body)
    }

    /// Where the decoded values show `finding`, reading them the first
    /// time a check asks.
    pub(crate) fn finding(&self, finding: Finding) -> Option<Location<'r>> {
        self.values
            .get_or_init(|| Values::of(self.req, self.wanted, &self.readings))
            .first(finding)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{wanted, KnownHeader, Wanted};
    use crate::waf::header_names::names_and_near_names;

    /// The headers the checks read (lower case), and what is kept of each:
    /// the reference [`wanted`] answers as.
    const WANTED: &[(&str, Wanted)] = &[
        ("host", Wanted::Host),
        ("accept", Wanted::Accept),
        ("user-agent", Wanted::UserAgent),
        ("content-length", Wanted::Length),
        ("transfer-encoding", Wanted::TransferEncoding),
        ("content-type", Wanted::ContentType),
        ("range", Wanted::Range),
        ("request-range", Wanted::Range),
        ("connection", Wanted::Connection),
        ("cache-control", Wanted::CacheControl),
        ("accept-encoding", Wanted::AcceptEncoding),
        ("sec-fetch-user", Wanted::SecBoolean),
        ("sec-ch-ua-mobile", Wanted::SecBoolean),
        ("x-up-devcap-post-charset", Wanted::UpDevcap),
        ("accept-charset", Wanted::AcceptCharset),
        ("proxy", Wanted::Restricted),
        ("lock-token", Wanted::Restricted),
        ("content-range", Wanted::Restricted),
        ("if", Wanted::Restricted),
        ("x-http-method-override", Wanted::Restricted),
        ("x-http-method", Wanted::Restricted),
        ("x-method-override", Wanted::Restricted),
        ("x-middleware-subrequest", Wanted::Restricted),
    ];

    /// What is kept of a header named `name`, its name told as a request
    /// tells it.
    fn wanted_of(name: &str) -> Option<Wanted> {
        wanted(KnownHeader::of(name))
    }

    /// The slot by lower-casing the name and reading the list: what
    /// [`wanted`] must answer.
    fn wanted_by_list(name: &str) -> Option<Wanted> {
        let lower = name.to_ascii_lowercase();
        WANTED
            .iter()
            .find(|(wanted, _)| *wanted == lower)
            .map(|&(_, slot)| slot)
    }

    #[test]
    fn every_wanted_name_is_found_in_any_case() {
        for &(name, slot) in WANTED {
            assert_eq!(wanted_of(name), Some(slot), "{name}");
            assert_eq!(wanted_of(&name.to_ascii_uppercase()), Some(slot), "{name}");
        }
        for name in [
            "",
            "cookie",
            "referer",
            "accept-language",
            "hosts",
            "x-http-methods",
            "é",
        ] {
            assert_eq!(wanted_of(name), None, "{name}");
        }
    }

    proptest! {
        /// The known names answer what the list answers: wanted names in any
        /// case, one byte off them, and any name.
        #[test]
        fn wanted_names_are_found_as_the_list_finds_them(
            name in names_and_near_names(WANTED.iter().map(|(w, _)| *w).collect())
        ) {
            prop_assert_eq!(wanted_of(&name), wanted_by_list(&name), "{:?}", name);
        }
    }
}
