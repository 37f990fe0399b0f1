//! Splitting forwarding headers into hops and hops into addresses.

use std::net::{IpAddr, SocketAddr};

/// `X-Forwarded-For: a, b, c` (and `X-Real-IP: a`): each comma-separated entry, trimmed.
pub(super) fn comma_list<'a>(value: &'a str, out: &mut Vec<&'a str>) {
    out.extend(value.split(',').map(str::trim));
}

/// RFC 7239 `Forwarded: for=a;proto=http, for="[::1]:80"`: the `for` value of
/// each element, unquoted; an element without `for` is kept whole so that it
/// fails to parse as an address rather than being skipped.
pub(super) fn forwarded_for<'a>(value: &'a str, out: &mut Vec<&'a str>) {
    for element in split_outside_quotes(value, ',') {
        let for_value = split_outside_quotes(element, ';').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("for")
                .then(|| unquote(value.trim()))
        });
        out.push(for_value.unwrap_or(element.trim()));
    }
}

fn split_outside_quotes(text: &str, separator: char) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    let mut start = 0;
    let mut parts = Vec::new();
    for (index, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter()
}

fn unquote(value: &str) -> &str {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
}

/// One hop: `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]` or `[::1]:80`.
pub(super) fn parse_entry(entry: &str) -> Option<(IpAddr, Option<u16>)> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some((ip, None));
    }
    if let Ok(addr) = entry.parse::<SocketAddr>() {
        return Some((addr.ip(), Some(addr.port())));
    }
    let inner = entry.strip_prefix('[')?.strip_suffix(']')?;
    inner
        .parse::<std::net::Ipv6Addr>()
        .ok()
        .map(|ip| (IpAddr::V6(ip), None))
}
