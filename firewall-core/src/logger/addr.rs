//! Socket addresses and numbers appended to a line's bytes, as `Display`
//! writes them (`192.168.1.7:80`, `[2001:db8::1]:443`, `[fe80::1%2]:22`,
//! `[::ffff:10.0.0.1]:80`).
//!
//! Numbers, ports and IPv4 octets go through `itoa`, as fast as the former
//! hand-written digits; `write!` of a whole IPv4 endpoint made a logged
//! line 1.8x as costly in the log bench, and the logged load row's p50
//! higher in every round. An IPv6 address goes through its `Display`
//! (RFC 5952 zero compression): about 75 ns per address more than hand
//! formatting, which the load benchmark (IPv4 loopback only) does not see.

use std::io::Write;
use std::net::SocketAddr;

/// Appends `n` in decimal.
pub(crate) fn push_decimal(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends `ip:port`, or `[ip]:port` (`[ip%scope]:port`) for IPv6, as
/// `Display` writes them.
pub(crate) fn push_socket(out: &mut Vec<u8>, addr: &SocketAddr) {
    let mut digits = itoa::Buffer::new();
    match addr {
        SocketAddr::V4(v4) => {
            let [a, b, c, d] = v4.ip().octets();
            out.extend_from_slice(digits.format(a).as_bytes());
            for octet in [b, c, d] {
                out.push(b'.');
                out.extend_from_slice(digits.format(octet).as_bytes());
            }
        }
        SocketAddr::V6(v6) => {
            // Neither writing to a `Vec` nor an address's `Display` can fail.
            let _ = write!(out, "[{}", v6.ip());
            if v6.scope_id() != 0 {
                out.push(b'%');
                out.extend_from_slice(digits.format(v6.scope_id()).as_bytes());
            }
            out.push(b']');
        }
    }
    out.push(b':');
    out.extend_from_slice(digits.format(addr.port()).as_bytes());
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};

    use proptest::prelude::*;

    use super::*;

    /// Each address lands after what the line already holds, in the
    /// standard text: RFC 5952 zero compression, scope, mapped IPv4.
    #[test]
    fn addresses_are_appended_in_their_standard_text() {
        for (text, expected) in [
            ("0.0.0.0:0", "0.0.0.0:0"),
            ("255.255.255.255:65535", "255.255.255.255:65535"),
            ("[::]:1", "[::]:1"),
            ("[2001:0db8:0:0:0:0:0:1]:443", "[2001:db8::1]:443"),
            ("[2001:db8:0:0:1:0:0:1]:1", "[2001:db8::1:0:0:1]:1"),
            ("[1:0:1:0:1:0:1:0]:9", "[1:0:1:0:1:0:1:0]:9"),
            ("[::ffff:10.1.2.3]:8", "[::ffff:10.1.2.3]:8"),
            ("[fe80::1%2]:22", "[fe80::1%2]:22"),
        ] {
            let addr: SocketAddr = text.parse().unwrap();
            let mut out = b"from ".to_vec();
            push_socket(&mut out, &addr);
            assert_eq!(String::from_utf8(out).unwrap(), format!("from {expected}"));
        }
    }

    proptest! {
        #[test]
        fn any_ipv4_endpoint_is_written_as_display_writes_it(ip in any::<u32>(), port in any::<u16>()) {
            let addr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(ip), port));
            let mut out = Vec::new();
            push_socket(&mut out, &addr);
            prop_assert_eq!(String::from_utf8(out).unwrap(), addr.to_string());
        }

        #[test]
        fn any_ipv6_endpoint_is_written_as_display_writes_it(
            segments in proptest::array::uniform8(any::<u16>()),
            port in any::<u16>(),
            scope in prop_oneof![Just(0u32), any::<u32>()],
        ) {
            let addr = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(segments), port, 0, scope));
            let mut out = Vec::new();
            push_socket(&mut out, &addr);
            prop_assert_eq!(String::from_utf8(out).unwrap(), addr.to_string());
        }

        #[test]
        fn any_number_is_written_as_display_writes_it(n in any::<u64>()) {
            let mut out = b"#".to_vec();
            push_decimal(&mut out, n);
            prop_assert_eq!(String::from_utf8(out).unwrap(), format!("#{n}"));
        }
    }
}
