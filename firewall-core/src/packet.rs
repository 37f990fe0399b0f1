//! The packet a decision is made about: protocol, source and destination endpoints.

use std::net::SocketAddr;

use crate::rule::Protocol;

/// A connection's 5-tuple as the firewall sees it.
///
/// Addresses are canonical: an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`,
/// what a dual-stack socket reports for an IPv4 client) becomes the IPv4
/// address, so IPv4 rules apply to it and IPv6 rules do not.
///
/// # Examples
///
/// ```
/// use firewall_core::{Packet, Protocol};
/// let p = Packet::new(Protocol::Tcp, "[::ffff:10.0.0.1]:5555".parse().unwrap(), "[::1]:5000".parse().unwrap());
/// assert_eq!(p.src.to_string(), "10.0.0.1:5555");
/// assert_eq!(p.dst.to_string(), "[::1]:5000");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Packet {
    /// TCP for every HTTP/1 and HTTP/2 request.
    pub proto: Protocol,
    /// The client's address and port.
    pub src: SocketAddr,
    /// The local address and port the request came in on.
    pub dst: SocketAddr,
}

impl Packet {
    /// A packet with canonical addresses.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{Packet, Protocol};
    /// let p = Packet::new(Protocol::Tcp, "127.0.0.1:40000".parse().unwrap(), "127.0.0.1:5000".parse().unwrap());
    /// assert_eq!(p.dst.port(), 5000);
    /// ```
    pub fn new(proto: Protocol, src: SocketAddr, dst: SocketAddr) -> Self {
        Self {
            proto,
            src: canonical(src),
            dst: canonical(dst),
        }
    }

    /// A TCP packet, the common case for HTTP.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = firewall_core::Packet::tcp("127.0.0.1:40000".parse().unwrap(), "127.0.0.1:5000".parse().unwrap());
    /// assert_eq!(p.proto, firewall_core::Protocol::Tcp);
    /// ```
    pub fn tcp(src: SocketAddr, dst: SocketAddr) -> Self {
        Self::new(Protocol::Tcp, src, dst)
    }
}

fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}
