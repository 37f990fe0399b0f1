use std::net::SocketAddr;

use actix_web::http::header::HeaderMap;
use actix_web::test::TestRequest;

use super::{ConfigError, ProxyHeader, TrustedProxies};

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut req = TestRequest::default();
    for &(name, value) in pairs {
        req = req.append_header((name, value));
    }
    req.to_http_request().headers().clone()
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn client(proxies: &TrustedProxies, peer: &str, pairs: &[(&str, &str)]) -> String {
    match proxies.client(addr(peer), &headers(pairs)) {
        Ok(client) => client.to_string(),
        Err(err) => format!("error: {err}"),
    }
}

fn proxies(list: &[&str]) -> TrustedProxies {
    TrustedProxies::new(list).unwrap()
}

#[test]
fn an_untrusted_peer_keeps_its_socket_address_whatever_it_claims() {
    let trusted = proxies(&["10.0.0.0/8"]);
    for header in ["X-Forwarded-For", "Forwarded", "X-Real-IP"] {
        let got = client(&trusted, "192.0.2.1:1234", &[(header, "10.0.0.9")]);
        assert_eq!(got, "192.0.2.1:1234", "{header}");
    }
}

#[test]
fn the_right_most_untrusted_hop_is_the_client() {
    let trusted = proxies(&["10.0.0.0/8", "127.0.0.1"]);
    let cases = [
        ("203.0.113.9", "203.0.113.9:4000"),
        ("6.6.6.6, 203.0.113.9", "203.0.113.9:4000"),
        (
            "6.6.6.6, 203.0.113.9, 10.0.0.2, 10.0.0.3",
            "203.0.113.9:4000",
        ),
        ("garbage, 203.0.113.9", "203.0.113.9:4000"), // the client's own junk is never read
        ("2001:db8::7", "[2001:db8::7]:4000"),
        ("[2001:db8::7]:81", "[2001:db8::7]:81"),
        ("198.51.100.1:8080", "198.51.100.1:8080"),
        ("::ffff:198.51.100.1", "198.51.100.1:4000"),
        ("10.0.0.5, 10.0.0.6", "10.0.0.5:4000"), // all trusted: the farthest hop
    ];
    for (chain, expected) in cases {
        let got = client(&trusted, "127.0.0.1:4000", &[("X-Forwarded-For", chain)]);
        assert_eq!(got, expected, "{chain}");
    }
}

#[test]
fn repeated_header_lines_form_one_chain_in_order() {
    let trusted = proxies(&["10.0.0.0/8"]);
    let lines = [
        ("X-Forwarded-For", "6.6.6.6"),
        ("X-Forwarded-For", "203.0.113.9, 10.0.0.2"),
    ];
    assert_eq!(client(&trusted, "10.0.0.1:1", &lines), "203.0.113.9:1");
}

#[test]
fn a_trusted_peer_without_the_header_is_the_client() {
    let trusted = proxies(&["127.0.0.1"]);
    assert_eq!(client(&trusted, "127.0.0.1:9", &[]), "127.0.0.1:9");
    // Another header than the one configured is ignored.
    assert_eq!(
        client(&trusted, "127.0.0.1:9", &[("Forwarded", "for=1.2.3.4")]),
        "127.0.0.1:9"
    );
}

#[test]
fn an_unreadable_hop_that_must_be_read_refuses() {
    let trusted = proxies(&["10.0.0.0/8"]);
    let cases = [
        ("unknown", "`unknown` is not an address"),
        (
            "203.0.113.9, nonsense, 10.0.0.2",
            "`nonsense` is not an address",
        ),
        ("", "`` is not an address"),
        ("1.2.3.4:99999", "`1.2.3.4:99999` is not an address"),
    ];
    for (chain, reason) in cases {
        let got = client(&trusted, "10.0.0.1:1", &[("X-Forwarded-For", chain)]);
        assert_eq!(
            got,
            format!(
                "error: malformed x-forwarded-for header from trusted proxy 10.0.0.1:1: {reason}"
            ),
            "{chain}"
        );
    }
}

#[test]
fn long_junk_is_shortened_in_the_error() {
    let trusted = proxies(&["10.0.0.0/8"]);
    let junk = "x".repeat(500);
    let got = client(&trusted, "10.0.0.1:1", &[("X-Forwarded-For", &junk)]);
    assert!(
        got.ends_with(&format!("`{}...` is not an address", "x".repeat(64))),
        "{got}"
    );
}

#[test]
fn forwarded_header_reads_the_for_parameter() {
    let trusted = proxies(&["10.0.0.0/8"]).header(ProxyHeader::Forwarded);
    let cases = [
        ("for=203.0.113.9", "203.0.113.9:7"),
        ("for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60:7"),
        (r#"For="[2001:db8:cafe::17]:4711""#, "[2001:db8:cafe::17]:4711"),
        (r#"for="[2001:db8::1]""#, "[2001:db8::1]:7"),
        ("for=6.6.6.6, for=198.51.100.4;proto=https, for=10.0.0.2", "198.51.100.4:7"),
        (r#"for="_hidden, 1.2.3.4", for=198.51.100.4"#, "198.51.100.4:7"),
        ("for=unknown", "error: malformed forwarded header from trusted proxy 10.0.0.1:7: `unknown` is not an address"),
        ("proto=https", "error: malformed forwarded header from trusted proxy 10.0.0.1:7: `proto=https` is not an address"),
    ];
    for (value, expected) in cases {
        assert_eq!(
            client(&trusted, "10.0.0.1:7", &[("Forwarded", value)]),
            expected,
            "{value}"
        );
    }
    // X-Forwarded-For is not read when Forwarded is configured.
    assert_eq!(
        client(&trusted, "10.0.0.1:7", &[("X-Forwarded-For", "1.2.3.4")]),
        "10.0.0.1:7"
    );
}

#[test]
fn x_real_ip_is_one_hop() {
    let trusted = proxies(&["::1"]).header(ProxyHeader::XRealIp);
    assert_eq!(
        client(&trusted, "[::1]:5", &[("X-Real-IP", "198.51.100.4")]),
        "198.51.100.4:5"
    );
    assert_eq!(
        client(&trusted, "[::1]:5", &[("X-Forwarded-For", "198.51.100.4")]),
        "[::1]:5"
    );
}

#[test]
fn mapped_ipv4_peers_and_hops_match_ipv4_proxies() {
    let trusted = proxies(&["127.0.0.1"]);
    let got = client(
        &trusted,
        "[::ffff:127.0.0.1]:3",
        &[("X-Forwarded-For", "198.51.100.4")],
    );
    assert_eq!(got, "198.51.100.4:3");
}

#[test]
fn bad_proxy_entries_are_named() {
    let cases = [
        (vec!["10.0.0.0/8", "bogus"], 1, "bogus"),
        (vec!["ANY"], 0, "ANY"),
        (vec!["10.0.0.1/8"], 0, "10.0.0.1/8"),
    ];
    for (list, index, value) in cases {
        let err = TrustedProxies::new(&list).unwrap_err();
        let ConfigError::TrustedProxy {
            index: at,
            value: named,
            ..
        } = &err;
        assert_eq!((*at, named.as_str()), (index, value), "{err}");
        assert!(
            err.to_string()
                .starts_with(&format!("trusted proxy #{} `{value}`: ", index + 1)),
            "{err}"
        );
    }
    let err = TrustedProxies::new(["ANY"]).unwrap_err();
    assert!(err.to_string().contains("name the proxies"), "{err}");
}
