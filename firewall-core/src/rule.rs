//! The rule model: [`Rule`] and the four field types it is made of.
//!
//! A rule has the seed's six attributes. Each field type has a wildcard
//! (`ANY`) and a `Display` that [`FromStr`](std::str::FromStr) reads back
//! (see [`crate::parse`]).
//!
//! ```
//! use firewall_core::{Rule, ALLOW, ANY, DROP, TCP};
//!
//! let rules = vec![
//!     Rule::new(ALLOW, TCP, 80, ANY, ANY, "Permits HTTP")?,
//!     Rule::new(DROP, TCP, 23, ANY, "10.0.0.0/24", "Blocks Telnet to a subnet")?,
//!     Rule::new(ALLOW, TCP, 22, "192.168.1.10", ANY, "Only allows SSH from one specific IP")?,
//! ];
//! assert_eq!(rules[1].to_string(), r#"DROP TCP 23 ANY 10.0.0.0/24 "Blocks Telnet to a subnet""#);
//! # Ok::<(), firewall_core::RuleError>(())
//! ```

use std::fmt;
use std::net::IpAddr;

use ipnetwork::IpNetwork;

use crate::parse::{FieldError, RuleError};

/// What to do with a packet that matches a rule.
///
/// # Examples
///
/// ```
/// use firewall_core::Action;
/// assert_eq!(Action::Drop.to_string(), "DROP");
/// assert_eq!("ALLOW".parse::<Action>().unwrap(), Action::Allow);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Let the request through to the handler.
    Allow,
    /// Refuse the request (403).
    Drop,
}

/// The transport protocol a rule applies to.
///
/// # Examples
///
/// ```
/// use firewall_core::Protocol;
/// assert!(Protocol::Any.matches(Protocol::Udp));
/// assert!(!Protocol::Tcp.matches(Protocol::Udp));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// TCP (every HTTP request).
    Tcp,
    /// UDP (HTTP/3 transports, or packets checked by hand).
    Udp,
    /// Either protocol.
    Any,
}

impl Protocol {
    /// Whether a rule written for `self` applies to a packet of protocol `packet`.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::Protocol;
    /// assert!(Protocol::Tcp.matches(Protocol::Tcp));
    /// ```
    pub fn matches(self, packet: Protocol) -> bool {
        self == Protocol::Any || self == packet
    }
}

/// What a destination port is, for the errors that refuse one.
pub(crate) const PORT_NUMBERS: &str = "a port is a number from 1 to 65535";

/// The destination ports a rule applies to: one port, an inclusive range, or any.
///
/// # Examples
///
/// ```
/// use firewall_core::PortMatch;
/// let web: PortMatch = "8000-8099".parse().unwrap();
/// assert!(web.contains(8080));
/// assert!(!web.contains(9000));
/// assert_eq!(PortMatch::from(443).to_string(), "443");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortMatch {
    /// Any port.
    Any,
    /// Ports `lo..=hi` (`lo == hi` for a single port; `lo <= hi` always).
    Range(u16, u16),
}

impl PortMatch {
    /// A single port.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::PortMatch::single(80).contains(80));
    /// ```
    pub const fn single(port: u16) -> Self {
        PortMatch::Range(port, port)
    }

    /// The inclusive range `lo..=hi`, or an error naming both ends when `lo > hi`
    /// or when it holds port 0 (no TCP or UDP connection has destination port 0;
    /// `#[firewall(port = 0)]` is a compile error for the same reason).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::PortMatch;
    /// assert!(PortMatch::range(8000, 8099).is_ok());
    /// assert!(PortMatch::range(9000, 80).is_err());
    /// assert!(PortMatch::range(0, 1023).is_err());
    /// ```
    pub fn range(lo: u16, hi: u16) -> Result<Self, FieldError> {
        if lo == 0 {
            let text = if hi == 0 {
                "0".to_owned()
            } else {
                format!("{lo}-{hi}")
            };
            return Err(FieldError::new(text, PORT_NUMBERS));
        }
        if lo > hi {
            return Err(FieldError::new(
                format!("{lo}-{hi}"),
                "the range's first port is above its last",
            ));
        }
        Ok(PortMatch::Range(lo, hi))
    }

    /// Whether `port` is matched.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::PortMatch::Any.contains(1));
    /// ```
    pub fn contains(self, port: u16) -> bool {
        match self {
            PortMatch::Any => true,
            PortMatch::Range(lo, hi) => lo <= port && port <= hi,
        }
    }

    /// The inclusive bounds, `0..=65535` for [`PortMatch::Any`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(firewall_core::PortMatch::Any.bounds(), (0, 65535));
    /// ```
    pub fn bounds(self) -> (u16, u16) {
        match self {
            PortMatch::Any => (0, u16::MAX),
            PortMatch::Range(lo, hi) => (lo, hi),
        }
    }
}

impl From<u16> for PortMatch {
    fn from(port: u16) -> Self {
        PortMatch::single(port)
    }
}

/// A source or destination network: a CIDR (a bare address is a one-host network) or any.
///
/// Networks are strict: host bits must be zero (`10.0.0.5/24` is refused), and
/// IPv4-mapped IPv6 networks are refused because clients on such addresses are
/// matched as IPv4 (write the IPv4 network instead).
///
/// # Examples
///
/// ```
/// use firewall_core::NetMatch;
/// let lan: NetMatch = "10.0.0.0/24".parse().unwrap();
/// assert!(lan.contains("10.0.0.7".parse().unwrap()));
/// assert!(!lan.contains("::1".parse().unwrap()));
/// assert_eq!("192.168.1.10/32".parse::<NetMatch>().unwrap().to_string(), "192.168.1.10");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetMatch {
    /// Any address, IPv4 or IPv6.
    Any,
    /// Addresses inside this network (same family only).
    Net(IpNetwork),
}

impl NetMatch {
    /// Checks `net` the way the parser does: host bits clear, not IPv4-mapped.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::NetMatch;
    /// use firewall_core::IpNetwork;
    /// let bad = IpNetwork::new("10.0.0.5".parse().unwrap(), 24).unwrap();
    /// assert!(NetMatch::network(bad).is_err());
    /// ```
    pub fn network(net: IpNetwork) -> Result<Self, FieldError> {
        if net.network() != net.ip() {
            return Err(FieldError::new(
                net.to_string(),
                format!(
                    "host bits are set (did you mean {}/{}?)",
                    net.network(),
                    net.prefix()
                ),
            ));
        }
        if let IpNetwork::V6(v6) = net {
            if v6.prefix() >= 96 && v6.ip().to_ipv4_mapped().is_some() {
                return Err(FieldError::new(
                    net.to_string(),
                    "IPv4-mapped IPv6 clients are matched as IPv4: write the IPv4 network",
                ));
            }
        }
        Ok(NetMatch::Net(net))
    }

    /// A one-host network for `addr`.
    ///
    /// # Examples
    ///
    /// ```
    /// let one = firewall_core::NetMatch::host("::1".parse().unwrap());
    /// assert_eq!(one.to_string(), "::1");
    /// ```
    pub fn host(addr: IpAddr) -> Self {
        let addr = addr.to_canonical();
        let prefix = if addr.is_ipv4() { 32 } else { 128 };
        // A full-length prefix is always valid for its family.
        NetMatch::Net(IpNetwork::new(addr, prefix).unwrap_or_else(|_| IpNetwork::from(addr)))
    }

    /// Whether `addr` is inside. Families never cross: an IPv4 network does not
    /// contain an IPv6 address. Pass canonical addresses (see [`crate::Packet`]).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(firewall_core::NetMatch::Any.contains("::1".parse().unwrap()));
    /// ```
    pub fn contains(self, addr: IpAddr) -> bool {
        match self {
            NetMatch::Any => true,
            NetMatch::Net(net) => net.contains(addr),
        }
    }

    /// The address family this matches, or `None` for [`NetMatch::Any`].
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{IpFamily, NetMatch};
    /// assert_eq!("::/0".parse::<NetMatch>().unwrap().family(), Some(IpFamily::V6));
    /// ```
    pub fn family(self) -> Option<IpFamily> {
        match self {
            NetMatch::Any => None,
            NetMatch::Net(IpNetwork::V4(_)) => Some(IpFamily::V4),
            NetMatch::Net(IpNetwork::V6(_)) => Some(IpFamily::V6),
        }
    }
}

impl From<IpAddr> for NetMatch {
    fn from(addr: IpAddr) -> Self {
        NetMatch::host(addr)
    }
}

/// An IP address family.
///
/// # Examples
///
/// ```
/// use firewall_core::IpFamily;
/// assert_eq!(IpFamily::of("10.0.0.1".parse().unwrap()), IpFamily::V4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpFamily {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl IpFamily {
    /// The family of `addr` (pass canonical addresses).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::IpFamily;
    /// assert_eq!(IpFamily::of("::1".parse().unwrap()), IpFamily::V6);
    /// ```
    pub fn of(addr: IpAddr) -> Self {
        if addr.is_ipv4() {
            IpFamily::V4
        } else {
            IpFamily::V6
        }
    }
}

/// The wildcard, usable for `proto`, `dport`, `src_cidr` and `dst_cidr`, as in the seed.
///
/// # Examples
///
/// ```
/// use firewall_core::{NetMatch, PortMatch, Protocol, ANY};
/// assert_eq!(Protocol::from(ANY), Protocol::Any);
/// assert_eq!(PortMatch::from(ANY), PortMatch::Any);
/// assert_eq!(NetMatch::from(ANY), NetMatch::Any);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnyWildcard;

impl From<AnyWildcard> for Protocol {
    fn from(_: AnyWildcard) -> Self {
        Protocol::Any
    }
}
impl From<AnyWildcard> for PortMatch {
    fn from(_: AnyWildcard) -> Self {
        PortMatch::Any
    }
}
impl From<AnyWildcard> for NetMatch {
    fn from(_: AnyWildcard) -> Self {
        NetMatch::Any
    }
}

/// One firewall rule: the seed's `Rule(action, proto, dport, src_cidr, dst_cidr, desc)`.
///
/// Write it as one line of text, `ACTION PROTO DPORT SRC_CIDR DST_CIDR ["DESC"]`
/// (see [`crate::parse`]), build it with [`Rule::new`] (the seed's look), or
/// load a TOML rules file ([`crate::Firewall::reload_file`]).
///
/// # Examples
///
/// ```
/// use firewall_core::{Rule, ANY, DROP, TCP};
/// let rule: Rule = r#"DROP TCP 443 ANY ANY "Blocks HTTPS""#.parse()?;
/// assert_eq!(rule, Rule::new(DROP, TCP, 443, ANY, ANY, "Blocks HTTPS")?);
/// assert_eq!(rule.to_string(), r#"DROP TCP 443 ANY ANY "Blocks HTTPS""#);
/// # Ok::<(), firewall_core::RuleError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rule {
    /// ALLOW or DROP.
    pub action: Action,
    /// TCP, UDP or ANY.
    pub proto: Protocol,
    /// The destination port, range, or ANY.
    pub dport: PortMatch,
    /// Where the packet comes from.
    pub src_cidr: NetMatch,
    /// Where the packet goes to.
    pub dst_cidr: NetMatch,
    /// Free text for people; shown in logs when this rule drops a request.
    pub desc: String,
}

impl Rule {
    /// Builds a rule the way the seed writes one, checking every field.
    ///
    /// `dport` takes a port number, `ANY`, a [`PortMatch`], or text (`"8000-8099"`);
    /// the networks take `ANY`, an address, an [`IpNetwork`], a [`NetMatch`] or
    /// text (`"10.0.0.0/24"`, `"192.168.1.10"`, `"2001:db8::/32"`).
    ///
    /// # Errors
    ///
    /// A [`RuleError`] naming the field and the value, for example for
    /// `"10.0.0.5/24"` (host bits set) or a source and destination of different
    /// address families (such a rule could never match).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Rule, ALLOW, ANY, TCP};
    /// let ssh = Rule::new(ALLOW, TCP, 22, "192.168.1.10", ANY, "SSH from one host")?;
    /// assert!(Rule::new(ALLOW, TCP, 22, "10.0.0.5/24", ANY, "").is_err());
    /// # Ok::<(), firewall_core::RuleError>(())
    /// ```
    pub fn new(
        action: Action,
        proto: impl Into<Protocol>,
        dport: impl IntoField<PortMatch>,
        src_cidr: impl IntoField<NetMatch>,
        dst_cidr: impl IntoField<NetMatch>,
        desc: impl Into<String>,
    ) -> Result<Self, RuleError> {
        let field = |name: &'static str| move |source| RuleError::field(name, source);
        let rule = Rule {
            action,
            proto: proto.into(),
            dport: dport.into_field().map_err(field("dport"))?,
            src_cidr: src_cidr.into_field().map_err(field("src_cidr"))?,
            dst_cidr: dst_cidr.into_field().map_err(field("dst_cidr"))?,
            desc: desc.into(),
        };
        rule.validate()?;
        Ok(rule)
    }

    /// Checks what no single field can: both networks must be of one family.
    /// Fields built through their constructors are valid on their own.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Rule, ALLOW, TCP, ANY};
    /// assert!(Rule::new(ALLOW, TCP, ANY, "10.0.0.0/8", "::/0", "").is_err());
    /// ```
    pub fn validate(&self) -> Result<(), RuleError> {
        if let (NetMatch::Net(src), NetMatch::Net(dst)) = (self.src_cidr, self.dst_cidr) {
            if src.is_ipv4() != dst.is_ipv4() {
                return Err(RuleError::field(
                    "dst_cidr",
                    FieldError::new(
                        dst.to_string(),
                        format!("src_cidr {src} is of the other address family: this rule could never match"),
                    ),
                ));
            }
        }
        for (name, net) in [("src_cidr", self.src_cidr), ("dst_cidr", self.dst_cidr)] {
            if let NetMatch::Net(net) = net {
                NetMatch::network(net).map_err(|e| RuleError::field(name, e))?;
            }
        }
        if let PortMatch::Range(lo, hi) = self.dport {
            PortMatch::range(lo, hi).map_err(|e| RuleError::field("dport", e))?;
        }
        Ok(())
    }

    /// The address family this rule can match, or `None` when it matches both.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{IpFamily, Rule, ALLOW, TCP, ANY};
    /// let rule = Rule::new(ALLOW, TCP, ANY, ANY, "::1", "")?;
    /// assert_eq!(rule.family(), Some(IpFamily::V6));
    /// # Ok::<(), firewall_core::RuleError>(())
    /// ```
    pub fn family(&self) -> Option<IpFamily> {
        self.src_cidr.family().or(self.dst_cidr.family())
    }

    /// Whether this rule matches `packet` on all five fields (no ordering involved).
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Packet, Protocol, Rule, ALLOW, TCP, ANY};
    /// let rule = Rule::new(ALLOW, TCP, 5000, ANY, ANY, "")?;
    /// let packet = Packet::new(Protocol::Tcp, "127.0.0.1:40000".parse().unwrap(), "127.0.0.1:5000".parse().unwrap());
    /// assert!(rule.matches(&packet));
    /// # Ok::<(), firewall_core::RuleError>(())
    /// ```
    pub fn matches(&self, packet: &crate::Packet) -> bool {
        self.proto.matches(packet.proto)
            && self.dport.contains(packet.dst.port())
            && self.src_cidr.contains(packet.src.ip())
            && self.dst_cidr.contains(packet.dst.ip())
    }
}

/// A value that can become a rule field, possibly failing (text is parsed).
///
/// Implemented for the field types themselves, [`ANY`](crate::ANY), text,
/// port numbers, addresses and networks, so that [`Rule::new`] reads like the seed.
pub trait IntoField<T> {
    /// Converts, or explains what is wrong with the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{IntoField, PortMatch};
    /// assert_eq!(IntoField::<PortMatch>::into_field(80u16).unwrap(), PortMatch::single(80));
    /// ```
    fn into_field(self) -> Result<T, FieldError>;
}

impl<T> IntoField<T> for AnyWildcard
where
    T: From<AnyWildcard>,
{
    fn into_field(self) -> Result<T, FieldError> {
        Ok(T::from(self))
    }
}
impl IntoField<PortMatch> for PortMatch {
    fn into_field(self) -> Result<PortMatch, FieldError> {
        Ok(self)
    }
}
impl IntoField<PortMatch> for u16 {
    fn into_field(self) -> Result<PortMatch, FieldError> {
        PortMatch::range(self, self)
    }
}
macro_rules! port_from_int {
    ($($int:ty),*) => {$(
        impl IntoField<PortMatch> for $int {
            fn into_field(self) -> Result<PortMatch, FieldError> {
                u16::try_from(self)
                    .map_err(|_| FieldError::new(self.to_string(), PORT_NUMBERS))
                    .and_then(|port| PortMatch::range(port, port))
            }
        }
    )*};
}
port_from_int!(i32, i64, u32, u64, usize);
impl IntoField<PortMatch> for std::ops::RangeInclusive<u16> {
    fn into_field(self) -> Result<PortMatch, FieldError> {
        PortMatch::range(*self.start(), *self.end())
    }
}
impl IntoField<NetMatch> for NetMatch {
    fn into_field(self) -> Result<NetMatch, FieldError> {
        match self {
            NetMatch::Any => Ok(self),
            NetMatch::Net(net) => NetMatch::network(net),
        }
    }
}
impl IntoField<NetMatch> for IpNetwork {
    fn into_field(self) -> Result<NetMatch, FieldError> {
        NetMatch::network(self)
    }
}
impl IntoField<NetMatch> for IpAddr {
    fn into_field(self) -> Result<NetMatch, FieldError> {
        NetMatch::host(self).into_field()
    }
}
impl<T: std::str::FromStr<Err = FieldError>> IntoField<T> for &str {
    fn into_field(self) -> Result<T, FieldError> {
        self.parse()
    }
}
impl<T: std::str::FromStr<Err = FieldError>> IntoField<T> for String {
    fn into_field(self) -> Result<T, FieldError> {
        self.parse()
    }
}

impl Action {
    /// `ALLOW` or `DROP`, as [`Display`](fmt::Display) writes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::Allow => "ALLOW",
            Action::Drop => "DROP",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Protocol {
    /// `TCP`, `UDP` or `ANY`, as [`Display`](fmt::Display) writes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Any => "ANY",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for PortMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PortMatch::Any => f.write_str("ANY"),
            PortMatch::Range(lo, hi) if lo == hi => write!(f, "{lo}"),
            PortMatch::Range(lo, hi) => write!(f, "{lo}-{hi}"),
        }
    }
}

impl fmt::Display for NetMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetMatch::Any => f.write_str("ANY"),
            NetMatch::Net(net) if net.prefix() == full_prefix(net) => write!(f, "{}", net.ip()),
            NetMatch::Net(net) => write!(f, "{}/{}", net.network(), net.prefix()),
        }
    }
}

fn full_prefix(net: &IpNetwork) -> u8 {
    if net.is_ipv4() {
        32
    } else {
        128
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {}",
            self.action, self.proto, self.dport, self.src_cidr, self.dst_cidr
        )?;
        if !self.desc.is_empty() {
            f.write_str(" \"")?;
            for c in self.desc.chars() {
                match c {
                    '"' => f.write_str("\\\"")?,
                    '\\' => f.write_str("\\\\")?,
                    '\n' => f.write_str("\\n")?,
                    '\r' => f.write_str("\\r")?,
                    '\t' => f.write_str("\\t")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\"")?;
        }
        Ok(())
    }
}
