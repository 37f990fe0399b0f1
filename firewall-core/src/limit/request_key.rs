//! Keys that are a function of the request (an API key header, a user id),
//! for limits declared in code: [`RequestView`], what the function sees, and
//! [`RequestKey`], the function a [`Limit`](super::Limit) holds.
//!
//! A key the function gives is stored as given when it is at most
//! [`MAX_REQUEST_KEY_LEN`] bytes, else as `sha256:` and its SHA-256 in hex
//! (71 bytes): distinct keys stay distinct and no client can make an entry
//! larger than that. Log lines never show the key: they show its
//! [fingerprint](super::ClientKey::fingerprint), the first 12 hex digits of
//! its SHA-256.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest as _, Sha256};

use super::key::ClientKey;

/// Longest key a key function's result is stored as; a longer one is stored
/// as its SHA-256.
pub const MAX_REQUEST_KEY_LEN: usize = 64;

/// The prefix of a long key stored as its digest.
const DIGEST_PREFIX: &str = "sha256:";

/// Looks up a request header by name, without regard to case.
///
/// Implemented by the web integration over its header map, and here for a
/// array of `(name, value)` pairs and for [`NoHeaders`].
///
/// # Examples
///
/// ```
/// use firewall_core::limit::HeaderLookup;
/// let headers = [("X-Api-Key", "k-1"), ("Accept", "*/*")];
/// assert_eq!(headers.header("x-api-key"), Some("k-1"));
/// assert_eq!(headers.header("cookie"), None);
/// ```
pub trait HeaderLookup: fmt::Debug {
    /// The first value of the header `name` (any case), if it is present
    /// and readable as text.
    fn header(&self, name: &str) -> Option<&str>;
}

impl<const N: usize> HeaderLookup for [(&str, &str); N] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// No header at all.
///
/// # Examples
///
/// ```
/// use firewall_core::limit::{HeaderLookup, NoHeaders};
/// assert_eq!(NoHeaders.header("host"), None);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHeaders;

impl HeaderLookup for NoHeaders {
    fn header(&self, _name: &str) -> Option<&str> {
        None
    }
}

/// What a key function sees of a request: its method, its path as received
/// and its headers.
///
/// # Examples
///
/// ```
/// use firewall_core::limit::RequestView;
/// let headers = [("X-Api-Key", "k-1")];
/// let request = RequestView::new("GET", "/api/items", &headers);
/// assert_eq!((request.method(), request.path()), ("GET", "/api/items"));
/// assert_eq!(request.header("x-api-key"), Some("k-1"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    method: &'a str,
    path: &'a str,
    headers: &'a dyn HeaderLookup,
}

impl<'a> RequestView<'a> {
    /// A view of a request.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::RequestView;
    /// use firewall_core::limit::NoHeaders;
    /// assert_eq!(RequestView::new("POST", "/login", &NoHeaders).header("host"), None);
    /// ```
    pub fn new(method: &'a str, path: &'a str, headers: &'a dyn HeaderLookup) -> Self {
        Self {
            method,
            path,
            headers,
        }
    }

    /// The HTTP method.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{NoHeaders, RequestView};
    /// assert_eq!(RequestView::new("GET", "/", &NoHeaders).method(), "GET");
    /// ```
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The path as received (escapes and all, no query).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{NoHeaders, RequestView};
    /// assert_eq!(RequestView::new("GET", "/a%20b", &NoHeaders).path(), "/a%20b");
    /// ```
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The first value of the header `name` (any case), if present and text.
    ///
    /// # Security
    ///
    /// Every header is the client's to choose: key by one the application
    /// checks (an API key it verifies), or an attacker spreads its requests
    /// over keys of its making (each key has its own quota).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::RequestView;
    /// let headers = [("Authorization", "Bearer t")];
    /// assert_eq!(RequestView::new("GET", "/", &headers).header("AUTHORIZATION"), Some("Bearer t"));
    /// ```
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.header(name)
    }
}

/// The signature of a key function.
type KeyFn = dyn Fn(&RequestView<'_>) -> Option<String> + Send + Sync;

/// A limit's key function (see [`Limit::key_by`](super::Limit::key_by)).
/// Two are equal when they are the same function object, so a limit cloned
/// into a new set of limits keeps its clients' state.
///
/// # Examples
///
/// ```
/// use firewall_core::limit::{NoHeaders, RequestKey, RequestView};
/// let by_key = RequestKey::new(|r| r.header("x-api-key").map(str::to_owned));
/// let headers = [("X-Api-Key", "k-1")];
/// let key = by_key.key_of(&RequestView::new("GET", "/", &headers));
/// assert_eq!(key.unwrap().to_string(), "k-1");
/// assert!(by_key.key_of(&RequestView::new("GET", "/", &NoHeaders)).is_none());
/// assert_eq!(by_key, by_key.clone());
/// ```
#[derive(Clone)]
pub struct RequestKey(Arc<KeyFn>);

impl RequestKey {
    /// Wraps a function from the request to its key (`None`: no key).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::RequestKey;
    /// let _user = RequestKey::new(|r| r.header("x-user-id").map(|id| format!("user:{id}")));
    /// ```
    pub fn new<F>(key: F) -> Self
    where
        F: Fn(&RequestView<'_>) -> Option<String> + Send + Sync + 'static,
    {
        Self(Arc::new(key))
    }

    /// The key of `request`: `None` when the function gives none or an
    /// empty one; a key longer than [`MAX_REQUEST_KEY_LEN`] bytes becomes
    /// `sha256:<hex>`.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::limit::{NoHeaders, RequestKey, RequestView};
    /// let long = RequestKey::new(|_| Some("x".repeat(500)));
    /// let key = long.key_of(&RequestView::new("GET", "/", &NoHeaders)).unwrap();
    /// assert!(key.to_string().starts_with("sha256:"));
    /// assert_eq!(key.to_string().len(), 71);
    /// assert!(RequestKey::new(|_| Some(String::new())).key_of(&RequestView::new("GET", "/", &NoHeaders)).is_none());
    /// ```
    pub fn key_of(&self, request: &RequestView<'_>) -> Option<ClientKey> {
        let key = (self.0)(request).filter(|k| !k.is_empty())?;
        if key.len() <= MAX_REQUEST_KEY_LEN {
            return Some(ClientKey::custom(key));
        }
        let digest = Sha256::digest(key.as_bytes());
        Some(ClientKey::custom(format!(
            "{DIGEST_PREFIX}{}",
            hex(&digest)
        )))
    }
}

impl fmt::Debug for RequestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestKey(fn)")
    }
}

impl PartialEq for RequestKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for RequestKey {}

/// The first 12 hex digits of the SHA-256 of an application's key (for a
/// long key stored as its digest, of the key it stands for): what log lines
/// show instead of the key.
pub(crate) fn fingerprint(key: &str) -> String {
    let mut text = match key.strip_prefix(DIGEST_PREFIX) {
        Some(digest) if digest.len() == 64 => digest.to_owned(),
        _ => hex(&Sha256::digest(key.as_bytes())),
    };
    text.truncate(12);
    text
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_is_the_start_of_the_sha256_of_the_key() {
        // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assert_eq!(fingerprint("abc"), "ba7816bf8f01");
        let long = "k".repeat(MAX_REQUEST_KEY_LEN + 1);
        let stored = RequestKey::new(move |_| Some(long.clone()))
            .key_of(&RequestView::new("GET", "/", &NoHeaders))
            .unwrap();
        let ClientKey::Custom(text) = &stored else {
            panic!("a custom key");
        };
        let expected = fingerprint(&"k".repeat(MAX_REQUEST_KEY_LEN + 1));
        assert_eq!(
            fingerprint(text),
            expected,
            "a long key's digest reads the same"
        );
    }

    #[test]
    fn a_key_of_the_longest_length_is_kept_as_given() {
        let edge = "e".repeat(MAX_REQUEST_KEY_LEN);
        let kept = edge.clone();
        let key = RequestKey::new(move |_| Some(kept.clone()))
            .key_of(&RequestView::new("GET", "/", &NoHeaders))
            .unwrap();
        assert_eq!(key, ClientKey::custom(edge));
    }
}
