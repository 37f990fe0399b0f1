//! Who the client is: the socket peer, or, behind trusted proxies, the
//! right-most address of the forwarding chain that is not a trusted proxy.
//!
//! # Security
//!
//! A header is text the client writes. With no trusted proxies (the default)
//! only the socket address counts and `X-Forwarded-For`, `Forwarded` and
//! `X-Real-IP` are ignored: a client cannot choose the address its request is
//! judged by.
//!
//! With [`TrustedProxies`], the one header it names ([`ProxyHeader`],
//! `X-Forwarded-For` unless told otherwise) is read only when the socket peer
//! is itself a trusted proxy, and the chain is walked from the right: each
//! proxy appends the address it saw, so the right-most entries were written by
//! proxies you trust and the first entry that is not a trusted proxy is the
//! client. What the client wrote to the left of it is never read.
//!
//! - Name the proxies, not the networks your clients live in: an address
//!   inside a trusted network is believed when it says who it forwards for.
//! - Read only the header your proxy writes (and make it overwrite or append
//!   to it): a proxy that appends to `X-Forwarded-For` passes a client's own
//!   `Forwarded` header through untouched.
//! - An entry that must be read but is not an address (`unknown`, an
//!   obfuscated name, garbage) refuses the request: the firewall cannot tell
//!   who the client is, so it does not guess, and it does not fall back to the
//!   proxy's own address, which your rules probably allow.
//! - A trusted peer that sends no such header is the client itself.
//! - The client's port is the one in the header when it has one, otherwise the
//!   socket peer's port (which keeps log lines unique per connection).
//!
//! # Examples
//!
//! ```
//! use firewall_actix::TrustedProxies;
//! let proxies = TrustedProxies::new(["10.0.0.0/8", "127.0.0.1"])?;
//! assert!(proxies.is_trusted("10.1.2.3".parse()?));
//! assert!(!proxies.is_trusted("192.0.2.1".parse()?));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use actix_web::http::header::{HeaderMap, HeaderName, FORWARDED, X_FORWARDED_FOR};
use firewall_core::{FieldError, NetMatch};

mod chain;

/// A firewall configuration value that is not valid, and which one.
///
/// # Examples
///
/// ```
/// use firewall_actix::{ConfigError, TrustedProxies};
/// let err = TrustedProxies::new(["10.0.0.0/8", "10.0.0.300"]).unwrap_err();
/// assert!(matches!(err, ConfigError::TrustedProxy { index: 1, .. }));
/// assert!(err.to_string().starts_with("trusted proxy #2 `10.0.0.300`: `10.0.0.300` is not valid"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An entry of the trusted proxy list is not an address or a network.
    #[error("trusted proxy #{} `{value}`: {source}", index + 1)]
    TrustedProxy {
        /// Position in the list, from 0.
        index: usize,
        /// The entry as given.
        value: String,
        /// Why it was refused.
        #[source]
        source: FieldError,
    },
}

/// The header that trusted proxies write the forwarding chain to.
///
/// # Examples
///
/// ```
/// use firewall_actix::{ProxyHeader, TrustedProxies};
/// let proxies = TrustedProxies::new(["127.0.0.1"])?.header(ProxyHeader::Forwarded);
/// assert_eq!(proxies.header_name(), "forwarded");
/// # Ok::<(), firewall_actix::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ProxyHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, `HAProxy`, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for="[2001:db8::1]:4711"`.
    Forwarded,
    /// `X-Real-IP: client`, one address set by the last proxy.
    XRealIp,
}

impl ProxyHeader {
    fn name(self) -> HeaderName {
        match self {
            ProxyHeader::XForwardedFor => X_FORWARDED_FOR,
            ProxyHeader::Forwarded => FORWARDED,
            ProxyHeader::XRealIp => HeaderName::from_static("x-real-ip"),
        }
    }
}

/// The proxies whose forwarding header is believed. See the module's
/// `# Security` section before naming any.
///
/// Register it with `App::app_data(proxies)` for handlers guarded by
/// `#[firewall]`; give it to the middleware with
/// [`FirewallMiddleware::proxies`](crate::FirewallMiddleware::proxies).
///
/// # Security
///
/// Every address inside a trusted network may say whom it forwards for.
/// Name your proxies as precisely as you can.
///
/// # Examples
///
/// ```
/// use firewall_actix::TrustedProxies;
/// use actix_web::test::TestRequest;
///
/// let proxies = TrustedProxies::new(["127.0.0.1"])?;
/// let req = TestRequest::default()
///     .insert_header(("X-Forwarded-For", "198.51.100.7"))
///     .to_http_request();
/// let peer = "127.0.0.1:40000".parse()?;
/// assert_eq!(proxies.client(peer, req.headers())?.to_string(), "198.51.100.7:40000");
/// let stranger = "192.0.2.1:40000".parse()?;
/// assert_eq!(proxies.client(stranger, req.headers())?, stranger); // not a proxy: header ignored
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxies {
    /// Shared: cloning for each request or worker copies a pointer.
    networks: Arc<[NetMatch]>,
    header: ProxyHeader,
}

impl TrustedProxies {
    /// Trusts these addresses and CIDR networks (`"10.0.0.0/8"`, `"::1"`),
    /// reading `X-Forwarded-For`. `ANY` is refused: write `0.0.0.0/0` and
    /// `::/0` if you really mean that every client may choose its address.
    ///
    /// # Errors
    ///
    /// [`ConfigError::TrustedProxy`] for the first entry that is not valid.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_actix::TrustedProxies::new(["ANY"]).is_err());
    /// assert!(firewall_actix::TrustedProxies::new(["10.0.0.1/8"]).is_err()); // host bits set
    /// ```
    pub fn new<I, S>(proxies: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let networks = proxies
            .into_iter()
            .enumerate()
            .map(|(index, value)| parse_proxy(index, value.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            networks,
            header: ProxyHeader::default(),
        })
    }

    /// Reads `header` instead of `X-Forwarded-For`.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_actix::{ProxyHeader, TrustedProxies};
    /// let proxies = TrustedProxies::new(["::1"])?.header(ProxyHeader::XRealIp);
    /// assert_eq!(proxies.header_name(), "x-real-ip");
    /// # Ok::<(), firewall_actix::ConfigError>(())
    /// ```
    #[must_use]
    pub fn header(mut self, header: ProxyHeader) -> Self {
        self.header = header;
        self
    }

    /// The name of the header read, lower case.
    ///
    /// # Examples
    ///
    /// ```
    /// let proxies = firewall_actix::TrustedProxies::new(["::1"])?;
    /// assert_eq!(proxies.header_name(), "x-forwarded-for");
    /// # Ok::<(), firewall_actix::ConfigError>(())
    /// ```
    pub fn header_name(&self) -> &'static str {
        match self.header {
            ProxyHeader::XForwardedFor => "x-forwarded-for",
            ProxyHeader::Forwarded => "forwarded",
            ProxyHeader::XRealIp => "x-real-ip",
        }
    }

    /// Whether `addr` is one of the trusted proxies.
    ///
    /// # Examples
    ///
    /// ```
    /// let proxies = firewall_actix::TrustedProxies::new(["10.0.0.0/8"])?;
    /// assert!(proxies.is_trusted("::ffff:10.0.0.1".parse().unwrap())); // mapped IPv4 counts as IPv4
    /// # Ok::<(), firewall_actix::ConfigError>(())
    /// ```
    pub fn is_trusted(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        self.networks.iter().any(|net| net.contains(addr))
    }

    /// The client of a request that came from `peer` with `headers`.
    ///
    /// # Errors
    ///
    /// [`ProxyError`] when an entry that must be read is not an address.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_actix::TrustedProxies;
    /// use actix_web::test::TestRequest;
    /// let proxies = TrustedProxies::new(["10.0.0.0/8"])?;
    /// let req = TestRequest::default()
    ///     .insert_header(("X-Forwarded-For", "6.6.6.6, 203.0.113.9, 10.0.0.2"))
    ///     .to_http_request();
    /// let client = proxies.client("10.0.0.1:5555".parse()?, req.headers())?;
    /// assert_eq!(client.ip().to_string(), "203.0.113.9"); // 6.6.6.6 is the client's own claim
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> Result<SocketAddr, ProxyError> {
        if !self.is_trusted(peer.ip()) {
            return Ok(peer);
        }
        let name = self.header.name();
        let mut values = headers.get_all(&name).peekable();
        if values.peek().is_none() {
            return Ok(peer);
        }
        let mut entries = Vec::new();
        for value in values {
            let text = value
                .to_str()
                .map_err(|_| ProxyError::new(self, peer, "the value is not visible ASCII"))?;
            match self.header {
                ProxyHeader::Forwarded => chain::forwarded_for(text, &mut entries),
                ProxyHeader::XForwardedFor | ProxyHeader::XRealIp => {
                    chain::comma_list(text, &mut entries);
                }
            }
        }
        self.walk(peer, &entries)
    }

    /// Right to left: the first entry that is not a trusted proxy is the client.
    fn walk(&self, peer: SocketAddr, entries: &[&str]) -> Result<SocketAddr, ProxyError> {
        let mut client = peer;
        for entry in entries.iter().rev() {
            let (ip, port) = chain::parse_entry(entry).ok_or_else(|| {
                ProxyError::new(
                    self,
                    peer,
                    &format!("`{}` is not an address", shorten(entry)),
                )
            })?;
            client = SocketAddr::new(ip.to_canonical(), port.unwrap_or(peer.port()));
            if !self.is_trusted(client.ip()) {
                break;
            }
        }
        Ok(client)
    }
}

/// At most 64 characters of a client-written entry, for error messages.
fn shorten(entry: &str) -> String {
    const MAX: usize = 64;
    match entry.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &entry[..cut]),
        None => entry.to_owned(),
    }
}

fn parse_proxy(index: usize, value: &str) -> Result<NetMatch, ConfigError> {
    let error = |source| ConfigError::TrustedProxy {
        index,
        value: value.to_owned(),
        source,
    };
    match value.trim().parse::<NetMatch>() {
        Ok(NetMatch::Any) => Err(error(FieldError::new(
            value,
            "ANY would let every client choose its own address: name the proxies",
        ))),
        Ok(net) => Ok(net),
        Err(source) => Err(error(source)),
    }
}

/// A forwarding header from a trusted proxy that cannot be read: the request is refused.
///
/// # Examples
///
/// ```
/// use firewall_actix::TrustedProxies;
/// use actix_web::test::TestRequest;
/// let proxies = TrustedProxies::new(["127.0.0.1"])?;
/// let req = TestRequest::default().insert_header(("X-Forwarded-For", "unknown")).to_http_request();
/// let err = proxies.client("127.0.0.1:1".parse()?, req.headers()).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "malformed x-forwarded-for header from trusted proxy 127.0.0.1:1: `unknown` is not an address"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyError {
    header: &'static str,
    peer: SocketAddr,
    reason: String,
}

impl ProxyError {
    fn new(proxies: &TrustedProxies, peer: SocketAddr, reason: &str) -> Self {
        Self {
            header: proxies.header_name(),
            peer,
            reason: reason.to_owned(),
        }
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed {} header from trusted proxy {}: {}",
            self.header, self.peer, self.reason
        )
    }
}

impl std::error::Error for ProxyError {}

#[cfg(test)]
mod tests;
