//! The request as the WAF sees it: method, path, query, headers, cookies and
//! body, independent of any web framework.
//!
//! The integration builds a [`Request`] from its own request type,
//! borrowing its text where it can (no copy per header or of the body); the
//! engine never takes the body away from the handler because it only borrows
//! this view.

use std::borrow::Cow;
use std::fmt;

use super::header_names::KnownHeader;

/// One HTTP request, as handed to [`crate::waf::Waf::inspect`].
///
/// Cookies are taken from the `Cookie` headers unless set explicitly with
/// [`Request::cookie`]. Every part is either borrowed for `'a` (from the
/// integration's request) or owned, so a view built from `String`s is a
/// `Request<'static>`.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::Request;
/// let req = Request::new("POST", "/login")
///     .query("next=%2Fhome")
///     .header("Cookie", "sid=abc; theme=dark")
///     .body("application/x-www-form-urlencoded", "user=ann&pass=x");
/// assert_eq!(req.path(), "/login");
/// assert_eq!(req.cookies().count(), 2);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Request<'a> {
    method: Cow<'a, str>,
    path: Cow<'a, str>,
    query: Cow<'a, str>,
    /// Each header with the known name it is, told once as it is added
    /// (the engine reads it instead of comparing the name again).
    headers: Vec<(KnownHeader, Cow<'a, str>, Cow<'a, str>)>,
    cookies: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    content_type: Cow<'a, str>,
    body: Cow<'a, [u8]>,
    version: &'static str,
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &self.headers.len())
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Request<'a> {
    /// A request with a method and a raw (still percent-encoded) path.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::Request;
    /// assert_eq!(Request::new("GET", "/").method(), "GET");
    /// ```
    pub fn new(method: impl Into<Cow<'a, str>>, path: impl Into<Cow<'a, str>>) -> Self {
        Self {
            method: method.into(),
            path: path.into(),
            ..Self::default()
        }
    }

    /// Builds a view from a request target such as `/search?q=x`: the part
    /// after the first `?` becomes the raw query.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::Request;
    /// let req = Request::from_target("GET", "/search?q=a%20b");
    /// assert_eq!((req.path(), req.raw_query()), ("/search", "q=a%20b"));
    /// ```
    pub fn from_target(method: impl Into<Cow<'a, str>>, target: impl Into<Cow<'a, str>>) -> Self {
        match target.into() {
            Cow::Borrowed(target) => match target.split_once('?') {
                Some((path, query)) => Self::new(method, path).query(query),
                None => Self::new(method, target),
            },
            Cow::Owned(target) => match target.split_once('?') {
                Some((path, query)) => Self::new(method, path.to_owned()).query(query.to_owned()),
                None => Self::new(method, target),
            },
        }
    }

    /// Sets the HTTP version the request came in (`HTTP/1.1`, `HTTP/2.0`):
    /// the protocol checks for the headers HTTP/1 requires (`Host`...)
    /// only apply to a request that says it came in HTTP/1, not to a view
    /// built by hand, which has no version.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::Request;
    /// let req = Request::new("GET", "/").version("HTTP/1.1");
    /// assert_eq!(req.http_version(), "HTTP/1.1");
    /// assert_eq!(Request::new("GET", "/").http_version(), "");
    /// ```
    #[must_use]
    pub fn version(mut self, version: &'static str) -> Self {
        self.version = version;
        self
    }

    /// The HTTP version set by [`Request::version`], empty when unknown.
    ///
    /// # Examples
    ///
    /// ```
    /// # use firewall_core::waf::Request;
    /// assert_eq!(Request::new("GET", "/").version("HTTP/1.0").http_version(), "HTTP/1.0");
    /// ```
    pub fn http_version(&self) -> &str {
        self.version
    }

    /// Sets the raw query string (without the `?`).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::Request;
    /// assert_eq!(Request::new("GET", "/").query("a=1").raw_query(), "a=1");
    /// ```
    #[must_use]
    pub fn query(mut self, query: impl Into<Cow<'a, str>>) -> Self {
        self.query = query.into();
        self
    }

    /// Adds a header; a `Cookie` header also adds its cookies.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::Request;
    /// let req = Request::new("GET", "/").header("User-Agent", "curl/8");
    /// assert_eq!(req.header_value("user-agent"), Some("curl/8"));
    /// ```
    #[must_use]
    pub fn header(mut self, name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) -> Self {
        self.push_header(name, value);
        self
    }

    /// [`Self::header`] in place: an integration copying a request's head
    /// header by header moves no request at each one.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::Request;
    /// let mut req = Request::new("GET", "/");
    /// req.reserve_headers(2);
    /// req.push_header("Accept", "text/html");
    /// req.push_header("Cookie", "sid=1; theme=dark");
    /// assert_eq!(req.header_value("accept"), Some("text/html"));
    /// assert_eq!(req.cookies().count(), 2);
    /// ```
    pub fn push_header(&mut self, name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) {
        let (name, value) = (name.into(), value.into());
        let known = KnownHeader::of(&name);
        if known == KnownHeader::Cookie {
            self.add_cookies(&value);
        }
        if known == KnownHeader::ContentType && self.content_type.is_empty() {
            self.content_type.clone_from(&value);
        }
        self.headers.push((known, name, value));
    }

    /// Makes room for `additional` more headers, so that adding a request's
    /// headers one by one allocates once.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::Request;
    /// let mut req = Request::new("GET", "/");
    /// req.reserve_headers(8);
    /// req.push_header("Accept", "*/*");
    /// assert_eq!(req.header_value("accept"), Some("*/*"));
    /// ```
    pub fn reserve_headers(&mut self, additional: usize) {
        self.headers.reserve(additional);
    }

    /// Adds one cookie directly (for integrations that parsed them already).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::Request;
    /// let req = Request::new("GET", "/").cookie("sid", "1");
    /// assert_eq!(req.cookies().next(), Some(("sid", "1")));
    /// ```
    #[must_use]
    pub fn cookie(mut self, name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) -> Self {
        self.cookies.push((name.into(), value.into()));
        self
    }

    /// Sets the body and its content type (empty when the request has none).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::Request;
    /// let req = Request::new("POST", "/").body("application/json", r#"{"a":1}"#);
    /// assert_eq!(req.content_type(), "application/json");
    /// ```
    #[must_use]
    pub fn body(mut self, content_type: impl Into<Cow<'a, str>>, body: impl Into<Vec<u8>>) -> Self {
        self.content_type = content_type.into();
        self.body = Cow::Owned(body.into());
        self
    }

    /// Sets the body and its content type like [`Request::body`], but
    /// borrows the bytes instead of copying them.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::waf::Request;
    /// let bytes = b"a=1".to_vec();
    /// let req = Request::new("POST", "/").borrowed_body("text/plain", &bytes);
    /// assert_eq!(req.body_bytes(), b"a=1");
    /// ```
    #[must_use]
    pub fn borrowed_body(mut self, content_type: impl Into<Cow<'a, str>>, body: &'a [u8]) -> Self {
        self.content_type = content_type.into();
        self.body = Cow::Borrowed(body);
        self
    }

    /// The method, as sent.
    ///
    /// # Examples
    ///
    /// ```
    /// # use firewall_core::waf::Request;
    /// assert_eq!(Request::new("PUT", "/").method(), "PUT");
    /// ```
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The raw path, without the query.
    ///
    /// # Examples
    ///
    /// ```
    /// # use firewall_core::waf::Request;
    /// assert_eq!(Request::new("GET", "/a%2Fb").path(), "/a%2Fb");
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw query, without the `?`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use firewall_core::waf::Request;
    /// assert_eq!(Request::from_target("GET", "/?x").raw_query(), "x");
    /// ```
    pub fn raw_query(&self) -> &str {
        &self.query
    }

    /// The headers in order, as `(name, value)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use firewall_core::waf::Request;
    /// let req = Request::new("GET", "/").header("A", "1");
    /// assert_eq!(req.headers().collect::<Vec<_>>(), [("A", "1")]);
    /// ```
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .map(|(_, n, v)| (n.as_ref(), v.as_ref()))
    }

    /// The headers in order, each with the known name it is.
    pub(crate) fn known_headers(&self) -> impl Iterator<Item = (KnownHeader, &str, &str)> {
        self.headers
            .iter()
            .map(|(known, n, v)| (*known, n.as_ref(), v.as_ref()))
    }

    /// The first value of a header, by case-insensitive name.
    ///
    /// # Examples
    ///
    /// ```
    /// # use firewall_core::waf::Request;
    /// assert_eq!(Request::new("GET", "/").header_value("host"), None);
    /// ```
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The cookies, as `(name, value)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use firewall_core::waf::Request;
    /// let req = Request::new("GET", "/").header("Cookie", "a=1;b=2");
    /// assert_eq!(req.cookies().map(|c| c.0).collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn cookies(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cookies.iter().map(|(n, v)| (n.as_ref(), v.as_ref()))
    }

    /// The body's content type (empty when unknown).
    ///
    /// # Examples
    ///
    /// ```
    /// # use firewall_core::waf::Request;
    /// assert_eq!(Request::new("GET", "/").content_type(), "");
    /// ```
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The body bytes (possibly cut at the configured limit by the integration).
    ///
    /// # Examples
    ///
    /// ```
    /// # use firewall_core::waf::Request;
    /// assert!(Request::new("GET", "/").body_bytes().is_empty());
    /// ```
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// Adds the cookies of one `Cookie` header value, borrowing them when the
    /// value is borrowed. The vector grows as they come: its first
    /// allocation holds four (a browser's usual few), and counting the
    /// `;` first to reserve cost more than a rare second allocation.
    #[allow(clippy::ptr_arg)] // a borrowed header lends its cookies for 'a
    fn add_cookies(&mut self, header: &Cow<'a, str>) {
        match header {
            Cow::Borrowed(text) => {
                let text: &'a str = text;
                let pairs = parse_cookies(text).map(|(n, v)| (Cow::Borrowed(n), Cow::Borrowed(v)));
                self.cookies.extend(pairs);
            }
            Cow::Owned(text) => {
                let pairs =
                    parse_cookies(text).map(|(n, v)| (n.to_owned().into(), v.to_owned().into()));
                self.cookies.extend(pairs);
            }
        }
    }
}

/// Splits a `Cookie` header value into `(name, value)` pairs; a part without
/// `=` is a name with an empty value. Parts, names and values are trimmed
/// as [`str::trim`] does. `str::split(';')` and `split_once('=')` did the
/// same through the generic pattern searcher, 480 instructions a cookie;
/// `memchr` for the `;` and a byte search for the `=` in the (short) part,
/// both ASCII and so at a character boundary, cost a third of that.
fn parse_cookies(header: &str) -> impl Iterator<Item = (&str, &str)> {
    CookieParts { rest: Some(header) }
}

/// The iterator of [`parse_cookies`]: `rest` is the text after the last
/// `;` read, `None` once the last part was read.
struct CookieParts<'h> {
    rest: Option<&'h str>,
}

impl<'h> Iterator for CookieParts<'h> {
    type Item = (&'h str, &'h str);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let text = self.rest?;
            let end = memchr::memchr(b';', text.as_bytes());
            self.rest = end.and_then(|end| text.get(end + 1..));
            let part = text.get(..end.unwrap_or(text.len())).unwrap_or_default();
            // Trimming the part first, as `str::trim` did, keeps its first
            // `=`: white space is never `=`. A part with one is never empty.
            let Some(equals) = part.bytes().position(|b| b == b'=') else {
                match trim(part) {
                    "" => continue,
                    name => return Some((name, "")),
                }
            };
            let name = part.get(..equals).unwrap_or_default();
            let value = part.get(equals + 1..).unwrap_or_default();
            return Some((trim(name), trim(value)));
        }
    }
}

/// [`str::trim`], which decodes a character at each step, by bytes while
/// the ends are ASCII (all a cookie header holds, but for an attacker's).
fn trim(text: &str) -> &str {
    let ascii = text.trim_ascii();
    // `trim_ascii` keeps the vertical tab, a Unicode white space.
    let plain = |b: Option<&u8>| b.is_none_or(|&b| b.is_ascii() && b != 0x0B);
    let bytes = ascii.as_bytes();
    if plain(bytes.first()) && plain(bytes.last()) {
        ascii
    } else {
        ascii.trim()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_content_type_come_from_headers() {
        let req = Request::new("POST", "/")
            .header("cookie", " a=1 ; flag ; b=x=y")
            .header("Content-Type", "text/plain");
        let cookies: Vec<_> = req.cookies().collect();
        assert_eq!(cookies, [("a", "1"), ("flag", ""), ("b", "x=y")]);
        assert_eq!(req.content_type(), "text/plain");
    }

    /// The cookies as the header was split before the fast trim.
    fn cookies_by_reference(header: &str) -> Vec<(&str, &str)> {
        header
            .split(';')
            .filter(|part| !part.trim().is_empty())
            .map(|part| {
                let (name, value) = part.split_once('=').unwrap_or((part, ""));
                (name.trim(), value.trim())
            })
            .collect()
    }

    #[test]
    fn a_browser_cookie_header_splits_into_its_cookies() {
        let header = "sid=9b2f0c7e4d1a; theme=dark; _ga=GA1.2.1843925735.1700000000; cart=3;";
        let cookies: Vec<_> = parse_cookies(header).collect();
        assert_eq!(
            cookies,
            [
                ("sid", "9b2f0c7e4d1a"),
                ("theme", "dark"),
                ("_ga", "GA1.2.1843925735.1700000000"),
                ("cart", "3")
            ]
        );
        assert_eq!(cookies, cookies_by_reference(header));
        for header in ["", ";", " ; ;", "=", "é=;=é", "a==b;;c=\u{3000}"] {
            let cookies: Vec<_> = parse_cookies(header).collect();
            assert_eq!(cookies, cookies_by_reference(header), "{header:?}");
        }
    }

    #[test]
    fn cookies_are_trimmed_of_unicode_white_space_too() {
        let header = "\u{a0}a=1\u{2003};\u{b} b =\u{b}2\u{85}; \u{3000} ;c\u{a0}";
        let cookies: Vec<_> = parse_cookies(header).collect();
        assert_eq!(cookies, [("a", "1"), ("b", "2"), ("c", "")]);
        assert_eq!(cookies, cookies_by_reference(header));
    }

    proptest::proptest! {
        /// The byte-wise trim splits every header as `str::trim` did.
        #[test]
        fn cookies_split_as_by_reference(
            header in "([a-z=; \t\u{b}\u{c}\r\n\u{a0}\u{85}\u{2003}\u{3000}é]|%0[0-9]){0,24}",
        ) {
            let cookies: Vec<_> = parse_cookies(&header).collect();
            proptest::prop_assert_eq!(cookies, cookies_by_reference(&header));
        }
    }

    proptest::proptest! {
        /// Any text, and cookies of any characters around the delimiters,
        /// split as by reference.
        #[test]
        fn any_header_splits_as_by_reference(
            text in "\\PC{0,24}",
            parts in proptest::collection::vec(("\\PC{0,6}", "[;= ]{0,2}"), 0..6),
        ) {
            let joined: String = parts.iter().flat_map(|(t, d)| [t.as_str(), d.as_str()]).collect();
            for header in [text.as_str(), joined.as_str()] {
                let cookies: Vec<_> = parse_cookies(header).collect();
                proptest::prop_assert_eq!(cookies, cookies_by_reference(header));
            }
        }
    }

    proptest::proptest! {
        /// A view borrowing its text equals one built from owned copies.
        #[test]
        fn borrowed_and_owned_views_are_equal(
            target in "/[a-z%?=&]{0,12}",
            cookie in "[a-z =;]{0,16}",
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..16),
        ) {
            let borrowed = Request::from_target("GET", target.as_str())
                .header("Cookie", cookie.as_str())
                .borrowed_body("text/plain", &body);
            let owned = Request::from_target("GET", target.clone())
                .header("Cookie".to_owned(), cookie.clone())
                .body("text/plain".to_owned(), body.clone());
            proptest::prop_assert_eq!(&borrowed, &owned);
            proptest::prop_assert!(borrowed.cookies().all(|(n, v)| !n.contains(';') && !v.contains(';')));
        }
    }
}
