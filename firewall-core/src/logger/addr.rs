//! Socket addresses and numbers written straight into a line's bytes, without
//! the `fmt` machinery: the per-request log line is written on every request,
//! and `write!` with `Display` costs several times more than the pushes.
//!
//! The text is exactly what `Display` writes (`192.168.1.7:80`,
//! `[2001:db8::1]:443`, `[fe80::1%2]:22`, `[::ffff:10.0.0.1]:80`); the tests
//! check it against the standard library on random addresses.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

/// `"00" ..= "99"`: two digits per division.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

/// The decimal text of every octet, padded to four bytes; the fourth byte
/// holds the length. One four-byte copy writes an octet.
const OCTETS: [[u8; 4]; 256] = {
    let mut table = [[0u8; 4]; 256];
    let mut n = 0;
    while n < 256 {
        let (hundreds, tens, ones) = ((n / 100) as u8, (n / 10 % 10) as u8, (n % 10) as u8);
        table[n] = match n {
            0..=9 => [b'0' + ones, 0, 0, 1],
            10..=99 => [b'0' + tens, b'0' + ones, 0, 2],
            _ => [b'0' + hundreds, b'0' + tens, b'0' + ones, 3],
        };
        n += 1;
    }
    table
};

/// `"00" ..= "ff"`: two hex digits per byte.
const HEX_PAIRS: [u8; 512] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut table = [0u8; 512];
    let mut n = 0;
    while n < 256 {
        table[n * 2] = HEX[n >> 4];
        table[n * 2 + 1] = HEX[n & 0xf];
        n += 1;
    }
    table
};

/// Room for the longest endpoint, `[ffff:…:ffff%4294967295]:65535` (58 bytes),
/// or the longest number (20 digits).
const ROOM: usize = 64;

/// A small text built on the stack and appended to the line in one copy:
/// a copy per digit or per dot would cost more than the digits.
struct Piece {
    bytes: [u8; ROOM],
    len: usize,
}

impl Piece {
    fn new() -> Self {
        Self {
            bytes: [0; ROOM],
            len: 0,
        }
    }

    fn push(&mut self, byte: u8) {
        self.bytes[self.len] = byte;
        self.len += 1;
    }

    fn push_pair(&mut self, pair: usize) {
        self.push(PAIRS[pair * 2]);
        self.push(PAIRS[pair * 2 + 1]);
    }

    fn push_decimal(&mut self, n: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n;
        while rest >= 100 {
            let pair = (rest % 100) as usize * 2;
            rest /= 100;
            at -= 2;
            digits[at] = PAIRS[pair];
            digits[at + 1] = PAIRS[pair + 1];
        }
        if rest >= 10 {
            self.push_pair(rest as usize);
        } else {
            self.push(b'0' + rest as u8);
        }
        for &digit in &digits[at..] {
            self.push(digit);
        }
    }

    /// A port: up to five digits, written as a digit and two pairs.
    fn push_port(&mut self, port: u16) {
        let n = usize::from(port);
        let (mid, low) = (n / 100 % 100 * 2, n % 100 * 2);
        let digits = [
            b'0' + (n / 10_000) as u8,
            PAIRS[mid],
            PAIRS[mid + 1],
            PAIRS[low],
            PAIRS[low + 1],
        ];
        let skip = match port {
            0..=9 => 4,
            10..=99 => 3,
            100..=999 => 2,
            1_000..=9_999 => 1,
            _ => 0,
        };
        for &digit in &digits[skip..] {
            self.push(digit);
        }
    }

    fn push_octet(&mut self, n: u8) {
        let text = OCTETS[usize::from(n)];
        // The padding lands past the end and is overwritten or cut off.
        self.bytes[self.len..self.len + 4].copy_from_slice(&text);
        self.len += usize::from(text[3]);
    }

    /// A segment in lower-case hex without leading zeros: its four digits
    /// from the table, shifted so the significant ones come first, written
    /// in one four-byte copy (what follows overwrites or cuts the rest).
    fn push_hex(&mut self, n: u16) {
        let [high, low] = n.to_be_bytes();
        let (high, low) = (usize::from(high) * 2, usize::from(low) * 2);
        let digits = u32::from_be_bytes([
            HEX_PAIRS[high],
            HEX_PAIRS[high + 1],
            HEX_PAIRS[low],
            HEX_PAIRS[low + 1],
        ]);
        let significant = (16 - n.leading_zeros()).div_ceil(4).max(1);
        let digits = digits << (8 * (4 - significant));
        self.bytes[self.len..self.len + 4].copy_from_slice(&digits.to_be_bytes());
        self.len += significant as usize;
    }

    fn push_ipv4(&mut self, ip: Ipv4Addr) {
        let [a, b, c, d] = ip.octets();
        self.push_octet(a);
        for octet in [b, c, d] {
            self.push(b'.');
            self.push_octet(octet);
        }
    }

    /// `segments` joined by `:`.
    fn push_segments(&mut self, segments: &[u16]) {
        for (i, &segment) in segments.iter().enumerate() {
            if i > 0 {
                self.push(b':');
            }
            self.push_hex(segment);
        }
    }

    /// RFC 5952, as `Display` writes it: the first longest run of two or
    /// more zero segments becomes `::`; IPv4-mapped is `::ffff:a.b.c.d`.
    fn push_ipv6(&mut self, ip: Ipv6Addr) {
        if let Some(v4) = ip.to_ipv4_mapped() {
            for &byte in b"::ffff:" {
                self.push(byte);
            }
            return self.push_ipv4(v4);
        }
        let segments = ip.segments();
        let (start, len) = longest_zero_run(&segments);
        if len > 1 {
            self.push_segments(&segments[..start]);
            self.push(b':');
            self.push(b':');
            self.push_segments(&segments[start + len..]);
        } else {
            self.push_segments(&segments);
        }
    }

    /// Appends the piece to `out`: a fixed-size copy (no call to `memcpy`)
    /// and a cut.
    fn append_to(&self, out: &mut Vec<u8>) {
        let end = out.len() + self.len;
        out.extend_from_slice(&self.bytes);
        out.truncate(end);
    }
}

/// The first longest run of zero segments, as (start, length).
fn longest_zero_run(segments: &[u16; 8]) -> (usize, usize) {
    let (mut best, mut current) = ((0, 0), (0, 0));
    for (i, &segment) in segments.iter().enumerate() {
        if segment != 0 {
            current = (i + 1, 0);
            continue;
        }
        current.1 += 1;
        if current.1 > best.1 {
            best = current;
        }
    }
    best
}

/// Appends `n` in decimal.
pub(crate) fn push_decimal(out: &mut Vec<u8>, n: u64) {
    let mut piece = Piece::new();
    piece.push_decimal(n);
    piece.append_to(out);
}

/// Appends `ip:port`, or `[ip]:port` (`[ip%scope]:port`) for IPv6, as
/// `Display` writes them.
pub(crate) fn push_socket(out: &mut Vec<u8>, addr: &SocketAddr) {
    let mut piece = Piece::new();
    match addr {
        SocketAddr::V4(v4) => piece.push_ipv4(*v4.ip()),
        SocketAddr::V6(v6) => {
            piece.push(b'[');
            piece.push_ipv6(*v6.ip());
            if v6.scope_id() != 0 {
                piece.push(b'%');
                piece.push_decimal(v6.scope_id().into());
            }
            piece.push(b']');
        }
    }
    piece.push(b':');
    piece.push_port(addr.port());
    piece.append_to(out);
}

#[cfg(test)]
mod tests {
    use std::net::{SocketAddrV4, SocketAddrV6};

    use proptest::prelude::*;

    use super::*;

    fn written(addr: &SocketAddr) -> String {
        let mut out = Vec::new();
        push_socket(&mut out, addr);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn known_addresses_are_written_as_display_writes_them() {
        for text in [
            "0.0.0.0:0",
            "255.255.255.255:65535",
            "192.168.29.83:62075",
            "[::]:1",
            "[::1]:5000",
            "[1::]:80",
            "[2001:db8::1]:443",
            "[2001:db8:0:0:1:0:0:1]:1",
            "[2001:0:0:1::1]:1",
            "[1:0:1:0:1:0:1:0]:9",
            "[::ffff:10.1.2.3]:8",
            "[fe80::1%2]:22",
        ] {
            let addr: SocketAddr = text.parse().unwrap();
            assert_eq!(written(&addr), addr.to_string(), "{text}");
        }
    }

    /// Segments drawn mostly from zero and a few values, so zero runs of
    /// every length and position (and ties) come up often.
    fn segment() -> impl Strategy<Value = u16> {
        prop_oneof![4 => Just(0u16), 1 => Just(0xffff), 1 => Just(1), 2 => any::<u16>()]
    }

    proptest! {
        #[test]
        fn any_ipv6_endpoint_is_written_as_display_writes_it(
            segments in proptest::array::uniform8(segment()),
            port in any::<u16>(),
            scope in prop_oneof![Just(0u32), any::<u32>()],
        ) {
            let addr = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(segments), port, 0, scope));
            prop_assert_eq!(written(&addr), addr.to_string());
        }

        #[test]
        fn any_ipv4_endpoint_is_written_as_display_writes_it(ip in any::<u32>(), port in any::<u16>()) {
            let addr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(ip), port));
            prop_assert_eq!(written(&addr), addr.to_string());
        }

        #[test]
        fn any_number_is_written_as_display_writes_it(n in any::<u64>()) {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            prop_assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }
}
