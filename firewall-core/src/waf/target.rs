//! The values of a request the signatures look at, each with where it came
//! from ([`Location`], e.g. `ARGS:id`) and a target class for filtering.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;

use super::body;
use super::header_names::KnownHeader;
use super::protocol::FormReading;
use super::request::Request;

/// Where in the request an inspected value came from, named the way WAF logs
/// usually name it (`ARGS:id`, `REQUEST_HEADERS:User-Agent`...).
///
/// Names are borrowed from the request while it is inspected (no copy per
/// value); a `Location<'static>` owns its name.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::Location;
/// assert_eq!(Location::Arg("id".into()).to_string(), "ARGS:id");
/// assert_eq!(Location::Path.to_string(), "REQUEST_FILENAME");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location<'a> {
    /// The request path.
    Path,
    /// The method.
    Method,
    /// The name of a query, form, JSON or multipart argument.
    ArgName(Cow<'a, str>),
    /// The value of a query, form, JSON or multipart argument (JSON as `json.a.b`).
    Arg(Cow<'a, str>),
    /// A multipart file name, by field name.
    FileName(Cow<'a, str>),
    /// A cookie's name.
    CookieName(Cow<'a, str>),
    /// A cookie's value, by name.
    Cookie(Cow<'a, str>),
    /// A header value, by name.
    Header(Cow<'a, str>),
    /// The whole body, for bodies that are not forms, JSON, XML or multipart.
    Body,
    /// The raw query string, for signatures that need a name and its value.
    Query,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Path => f.write_str("REQUEST_FILENAME"),
            Self::Method => f.write_str("REQUEST_METHOD"),
            Self::ArgName(n) => write!(f, "ARGS_NAMES:{n}"),
            Self::Arg(n) => write!(f, "ARGS:{n}"),
            Self::FileName(n) => write!(f, "FILES:{n}"),
            Self::CookieName(n) => write!(f, "REQUEST_COOKIES_NAMES:{n}"),
            Self::Cookie(n) => write!(f, "REQUEST_COOKIES:{n}"),
            Self::Header(n) => write!(f, "REQUEST_HEADERS:{n}"),
            Self::Body => f.write_str("REQUEST_BODY"),
            Self::Query => f.write_str("QUERY_STRING"),
        }
    }
}

impl Location<'_> {
    /// The same location, owning its name.
    pub(crate) fn into_owned(self) -> Location<'static> {
        let owned = |n: Cow<'_, str>| Cow::Owned(n.into_owned());
        match self {
            Self::Path => Location::Path,
            Self::Method => Location::Method,
            Self::Body => Location::Body,
            Self::Query => Location::Query,
            Self::ArgName(n) => Location::ArgName(owned(n)),
            Self::Arg(n) => Location::Arg(owned(n)),
            Self::FileName(n) => Location::FileName(owned(n)),
            Self::CookieName(n) => Location::CookieName(owned(n)),
            Self::Cookie(n) => Location::Cookie(owned(n)),
            Self::Header(n) => Location::Header(owned(n)),
        }
    }

    /// The argument, cookie or header name this location belongs to, for exclusions.
    pub(crate) fn arg_name(&self) -> Option<&str> {
        match self {
            Self::ArgName(n)
            | Self::Arg(n)
            | Self::FileName(n)
            | Self::CookieName(n)
            | Self::Cookie(n)
            | Self::Header(n) => Some(n),
            Self::Path | Self::Method | Self::Body | Self::Query => None,
        }
    }

    /// The target classes (bit set, see [`Targets`]) this location belongs to.
    /// Inlined: the engine asks it of every value, most of them arguments,
    /// whose answer is one comparison.
    #[inline]
    pub(crate) fn classes(&self) -> Targets {
        match self {
            Self::Path => Targets::PATH,
            Self::Method => Targets::METHOD,
            Self::Query => Targets::QUERY,
            Self::ArgName(_) => Targets::ARG_NAMES,
            Self::Arg(_) | Self::Body => Targets::ARGS,
            Self::FileName(_) => Targets(Targets::ARGS.0 | Targets::FILENAME.0),
            Self::CookieName(_) | Self::Cookie(_) => Targets::COOKIES,
            Self::Header(n) if n.eq_ignore_ascii_case("content-type") => Targets::CONTENT_TYPE,
            Self::Header(n) if n.eq_ignore_ascii_case("user-agent") => {
                Targets(Targets::HEADERS.0 | Targets::USER_AGENT.0)
            }
            Self::Header(n) if contains_ignore_case(n, "file") => {
                Targets(Targets::HEADERS.0 | Targets::FILENAME.0)
            }
            Self::Header(_) => Targets::HEADERS,
        }
    }
}

/// Whether `text` contains the lower-case ASCII `needle`, ignoring case.
fn contains_ignore_case(text: &str, needle: &str) -> bool {
    text.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// A set of target classes a signature applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Targets(pub(crate) u16);

impl Targets {
    pub(crate) const PATH: Self = Self(1);
    pub(crate) const ARGS: Self = Self(2);
    pub(crate) const COOKIES: Self = Self(4);
    pub(crate) const HEADERS: Self = Self(8);
    pub(crate) const USER_AGENT: Self = Self(16);
    pub(crate) const FILENAME: Self = Self(32);
    pub(crate) const METHOD: Self = Self(64);
    pub(crate) const QUERY: Self = Self(128);
    pub(crate) const ARG_NAMES: Self = Self(256);
    pub(crate) const CONTENT_TYPE: Self = Self(512);
    /// Where most values come from, and where a signature applies when it
    /// names no targets: path, arguments and their names, cookies, headers.
    pub(crate) const BROAD: Self =
        Self(Self::ARGS.0 | Self::ARG_NAMES.0 | Self::COOKIES.0 | Self::HEADERS.0 | Self::PATH.0);
    const NAMES: [(&'static str, Self); 10] = [
        ("path", Self::PATH),
        ("args", Self(Self::ARGS.0 | Self::ARG_NAMES.0)),
        ("arg-values", Self::ARGS),
        ("cookies", Self::COOKIES),
        ("headers", Self::HEADERS),
        ("user-agent", Self::USER_AGENT),
        ("filename", Self::FILENAME),
        ("method", Self::METHOD),
        ("query", Self::QUERY),
        ("content-type", Self::CONTENT_TYPE),
    ];

    /// Parses one class name, as written in the signatures file.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    pub(crate) fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub(crate) fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }
}

/// One value to inspect and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target<'a> {
    pub(crate) location: Location<'a>,
    pub(crate) value: Cow<'a, str>,
}

impl<'a> Target<'a> {
    fn new(location: Location<'a>, value: impl Into<Cow<'a, str>>) -> Self {
        Self {
            location,
            value: value.into(),
        }
    }
}

/// Whether a header's values are structured and never carry application
/// data, so they are not inspected (`Content-Type` is not one of them: it
/// is inspected, by the protocol rules only). The name was told when the
/// header was added ([`KnownHeader::of`]).
fn is_structured(known: KnownHeader) -> bool {
    use KnownHeader as K;
    matches!(
        known,
        K::Accept
            | K::AcceptEncoding
            | K::AcceptLanguage
            | K::AcceptCharset
            | K::CacheControl
            | K::Connection
            | K::ContentLength
            | K::Cookie
            | K::Host
            | K::IfModifiedSince
            | K::IfNoneMatch
            | K::KeepAlive
            | K::Pragma
            | K::ProxyConnection
            | K::SecFetchDest
            | K::SecFetchMode
            | K::SecFetchSite
            | K::SecFetchUser
            | K::SecChUa
            | K::SecChUaMobile
            | K::SecChUaPlatform
            | K::UpgradeInsecureRequests
            | K::Te
            | K::Dnt
    )
}

/// Room for the values of an ordinary request's head or body (a browser's
/// head holds about 25): growing the vector from empty took five
/// reallocations, 3% of an inspection of a 1 KB form.
const TARGETS_ROOM: usize = 32;

/// A list whose room grew past this many targets is not kept for the next
/// request (a large body's would stay allocated in every worker thread).
const TARGETS_KEPT: usize = 256;

/// Lists kept per thread: a request's head and body.
const LISTS_KEPT: usize = 2;

thread_local! {
    /// This thread's emptied target lists, for its next requests: taking
    /// one back costs less than the allocation and release of a new one
    /// (~270 instructions a list).
    static SPARE_LISTS: RefCell<Vec<Vec<Target<'static>>>> = const { RefCell::new(Vec::new()) };
}

/// The values [`collect_head`] or [`collect_body`] found, in order. When
/// dropped, the list goes back, emptied, to its thread for the next
/// request.
#[derive(Debug)]
pub(crate) struct TargetList<'r>(Vec<Target<'r>>);

impl<'r> Deref for TargetList<'r> {
    type Target = [Target<'r>];

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl TargetList<'_> {
    /// An empty list with room for [`TARGETS_ROOM`] targets, this thread's
    /// last one when it kept one.
    fn new() -> Self {
        let spare = SPARE_LISTS
            .try_with(|lists| lists.try_borrow_mut().ok().and_then(|mut l| l.pop()))
            .ok()
            .flatten();
        match spare {
            Some(list) => Self(relabel(list)),
            None => Self(Vec::with_capacity(TARGETS_ROOM)),
        }
    }
}

impl Drop for TargetList<'_> {
    fn drop(&mut self) {
        let mut list = std::mem::take(&mut self.0);
        if list.capacity() == 0 || list.capacity() > TARGETS_KEPT {
            return;
        }
        list.clear();
        let list = relabel(list);
        // A thread being torn down keeps nothing.
        let _ = SPARE_LISTS.try_with(|lists| {
            if let Ok(mut lists) = lists.try_borrow_mut() {
                if lists.len() < LISTS_KEPT {
                    lists.push(list);
                }
            }
        });
    }
}

/// The same list emptied, for targets borrowing from another request: the standard library collects it in place (same
/// element size), so its room is kept with no `unsafe` here.
#[allow(clippy::unnecessary_filter_map)] // the element type changes
fn relabel<'b>(list: Vec<Target<'_>>) -> Vec<Target<'b>> {
    list.into_iter().filter_map(|_| None).collect()
}

/// The values of the request line and headers: path, method, query
/// arguments (names and values), cookies, then headers. What reading the
/// query showed the protocol checks is left in `query`.
pub(crate) fn collect_head<'r>(
    req: &'r Request<'_>,
    query: &mut FormReading<'r>,
) -> TargetList<'r> {
    let mut list = TargetList::new();
    let out = &mut list.0;
    out.push(Target::new(Location::Path, req.path()));
    out.push(Target::new(Location::Method, req.method()));
    if !req.raw_query().is_empty() {
        out.push(Target::new(Location::Query, req.raw_query()));
    }
    body::push_urlencoded(req.raw_query(), out, query);
    query.whole = true;
    for (name, value) in req.cookies() {
        out.push(Target::new(Location::CookieName(name.into()), name));
        out.push(Target::new(Location::Cookie(name.into()), value));
    }
    for (known, name, value) in req.known_headers() {
        if !is_structured(known) {
            out.push(Target::new(Location::Header(name.into()), value));
        }
    }
    list
}

/// The values the body carries, reading at most `limit` bytes of it. What
/// reading a form showed the protocol checks is left in `form`.
pub(crate) fn collect_body<'r>(
    req: &'r Request<'_>,
    limit: usize,
    form: &mut FormReading<'r>,
) -> TargetList<'r> {
    let bytes = req.body_bytes();
    let mut list = if bytes.is_empty() {
        TargetList(Vec::new())
    } else {
        TargetList::new()
    };
    body::push_body(
        req.content_type(),
        &bytes[..bytes.len().min(limit)],
        bytes.len() < limit,
        &mut list.0,
        form,
    );
    list
}

impl<'a> Target<'a> {
    /// A target for the body parsers.
    pub(crate) fn body(location: Location<'a>, value: impl Into<Cow<'a, str>>) -> Self {
        Self::new(location, value)
    }

    /// The same target, owning its value.
    pub(crate) fn into_owned(self) -> Target<'static> {
        Target {
            location: self.location.into_owned(),
            value: Cow::Owned(self.value.into_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locations(req: &Request<'_>) -> Vec<String> {
        collect_head(req, &mut FormReading::default())
            .iter()
            .map(|t| t.location.to_string())
            .collect()
    }

    #[test]
    fn structured_headers_are_known_in_any_case_and_no_others() {
        assert!(structured("Accept-Language") && structured("DNT"));
        assert!(structured("upgrade-insecure-requests"));
        assert!(!structured("X-Accept") && !structured("Accept-Languages"));
        assert!(!structured(&"a".repeat(40)) && !structured(""));
        assert!(!structured("Content-Type") && !structured("content-type"));
    }

    /// Whether a header named `name` is structured, its name told as a
    /// request tells it.
    fn structured(name: &str) -> bool {
        is_structured(KnownHeader::of(name))
    }

    /// The structured names, as [`is_structured`] lists them.
    const STRUCTURED: [&str; 24] = [
        "accept",
        "accept-encoding",
        "accept-language",
        "accept-charset",
        "cache-control",
        "connection",
        "content-length",
        "cookie",
        "host",
        "if-modified-since",
        "if-none-match",
        "keep-alive",
        "pragma",
        "proxy-connection",
        "sec-fetch-dest",
        "sec-fetch-mode",
        "sec-fetch-site",
        "sec-fetch-user",
        "sec-ch-ua",
        "sec-ch-ua-mobile",
        "sec-ch-ua-platform",
        "upgrade-insecure-requests",
        "te",
        "dnt",
    ];

    /// Whether `name` is structured, asked of each name in turn.
    fn is_structured_by_reference(name: &str) -> bool {
        STRUCTURED.iter().any(|s| s.eq_ignore_ascii_case(name))
    }

    proptest::proptest! {
        /// Every structured name in any case, the same with one character
        /// changed, and any other name: as by reference.
        #[test]
        fn structured_names_are_known_as_by_reference(
            index in 0..STRUCTURED.len(),
            capitals in proptest::collection::vec(proptest::bool::ANY, 25),
            at in 0usize..25,
            other in "[a-zA-Z\\-_é]{0,3}",
            any in "[a-zA-Z\\-]{0,30}|\\PC{0,12}",
        ) {
            let cased: String = STRUCTURED[index]
                .chars()
                .zip(&capitals)
                .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c })
                .collect();
            let mut changed = cased.clone();
            let at = at.min(changed.len());
            changed.replace_range(at..(at + 1).min(changed.len()), &other);
            for name in [cased.as_str(), changed.as_str(), any.as_str()] {
                proptest::prop_assert_eq!(structured(name), is_structured_by_reference(name), "{:?}", name);
            }
            proptest::prop_assert!(structured(&cased));
        }
    }

    #[test]
    fn a_dropped_list_is_taken_again_emptied_by_the_next_request() {
        let first = Request::from_target("GET", "/a?id=1").header("X-A", "1");
        let second = Request::from_target("GET", "/b").header("X-B", "2");
        let list = collect_head(&first, &mut FormReading::default());
        let room = list.0.as_ptr();
        drop(list);
        let list = collect_head(&second, &mut FormReading::default());
        assert_eq!(list.0.as_ptr(), room, "the same allocation, not a new one");
        let values: Vec<&str> = list.iter().map(|t| t.value.as_ref()).collect();
        assert_eq!(values, ["/b", "GET", "2"]);
        // A list grown past what is kept is let go.
        let many = (0..TARGETS_KEPT)
            .map(|i| format!("a{i}=1"))
            .collect::<Vec<_>>()
            .join("&");
        let large = Request::from_target("GET", format!("/?{many}"));
        drop(collect_head(&large, &mut FormReading::default()));
        drop(list);
        let kept = SPARE_LISTS.with(|l| l.borrow().iter().map(Vec::capacity).max());
        assert_eq!(kept, Some(TARGETS_ROOM));
    }

    #[test]
    fn query_cookies_and_unusual_headers_are_collected() {
        let req = Request::from_target("GET", "/a?id=1")
            .header("Accept", "*/*")
            .header("User-Agent", "x")
            .header("Content-Type", "text/plain")
            .header("Cookie", "sid=2");
        assert_eq!(
            locations(&req),
            [
                "REQUEST_FILENAME",
                "REQUEST_METHOD",
                "QUERY_STRING",
                "ARGS_NAMES:id",
                "ARGS:id",
                "REQUEST_COOKIES_NAMES:sid",
                "REQUEST_COOKIES:sid",
                "REQUEST_HEADERS:User-Agent",
                "REQUEST_HEADERS:Content-Type"
            ]
        );
    }
}
