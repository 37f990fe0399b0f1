//! Compressed request bodies on real sockets: the WAF inspects what Actix's
//! extractors read (decoded by Actix's own decoder; this app's actix-web has
//! `compress-gzip`, `compress-brotli` and `compress-zstd`), refuses what they
//! would hand over still encoded, and counts decoded bytes against its limit.

mod support;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use actix_web::{web, App, HttpResponse, HttpServer};
use firewall_actix::waf::{BodyOverflow, WafConfig};
use firewall_actix::{Firewall, FirewallExt, Rule, ALLOW, ANY, TCP};
use support::{log_lines_with, send, serve, Reply};

const FORM: &str = "application/x-www-form-urlencoded";
const CLEAN: &[u8] = b"name=ann&comment=hello+there";
const ATTACK: &[u8] = b"name=ann&comment=%3Cscript%3Ealert(1)%3C%2Fscript%3E";

fn log() -> PathBuf {
    support::log_file("it_waf_coding")
}

/// `/echo` answers the body the handler read (`web::Bytes`), `/form` the
/// `comment` field of the form it read; a 4 KiB WAF limit.
fn start() -> SocketAddr {
    log();
    let rules = vec![Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "loopback").expect("a rule")];
    let fw = Firewall::new("it_waf_coding")
        .with_rules(rules)
        .expect("valid rules")
        .with_waf(WafConfig::default().body_limit(4096, BodyOverflow::Reject))
        .expect("a valid WAF");
    serve("127.0.0.1:0", move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .wrap(fw.middleware())
                .route(
                    "/echo",
                    web::post().to(|body: web::Bytes| async move { HttpResponse::Ok().body(body) }),
                )
                .route(
                    "/form",
                    web::post().to(
                        |form: web::Form<std::collections::HashMap<String, String>>| async move {
                            HttpResponse::Ok()
                                .body(form.get("comment").cloned().unwrap_or_default())
                        },
                    ),
                )
        })
        .workers(1)
        .listen(listener)?
        .run())
    })
    .expect("loopback binds")
    .addr
}

fn post(server: SocketAddr, path: &str, codings: &[&str], body: &[u8]) -> Reply {
    let mut headers = vec![("Content-Type", FORM)];
    headers.extend(codings.iter().map(|c| ("Content-Encoding", *c)));
    send(server, "POST", path, &headers, body).expect("a reply")
}

/// The WAF lines of `reply`'s request, without timestamps.
fn waf_lines(reply: &Reply, server: SocketAddr) -> Vec<String> {
    log_lines_with(&log(), &format!(":{} -> {server} ", reply.client.port()))
        .into_iter()
        .filter(|line| line.contains("WAF "))
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).expect("in memory");
    enc.finish().expect("in memory")
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
    enc.write_all(data).expect("in memory");
    drop(enc);
    out
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).expect("in memory")
}

type Encoder = fn(&[u8]) -> Vec<u8>;
const CODINGS: [(&str, Encoder); 3] = [("br", brotli), ("zstd", zstd), ("gzip", gzip)];

#[test]
fn brotli_and_zstd_bodies_are_inspected_decoded_and_reach_the_handler_decoded() {
    let server = start();
    for (coding, encode) in CODINGS {
        let reply = post(server, "/echo", &[coding], &encode(CLEAN));
        assert_eq!(
            (reply.status, reply.body.as_bytes()),
            (200, CLEAN),
            "{coding}"
        );
        let reply = post(server, "/form", &[coding], &encode(CLEAN));
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, "hello there"),
            "{coding}"
        );
        let reply = post(server, "/form", &[coding], &encode(ATTACK));
        assert_eq!(reply.status, 403, "{coding}");
        let lines = waf_lines(&reply, server);
        assert_eq!(lines.len(), 1, "{coding}: {lines:?}");
        assert!(
            lines[0].contains("[WARNING] WAF DROP: ") && lines[0].ends_with(" in ARGS:comment"),
            "{coding}: {lines:?}"
        );
    }
}

#[test]
fn a_bomb_in_any_coding_is_refused_by_its_decoded_size() {
    let server = start();
    // 2 MiB of zeros: a few KiB at most in each coding, 512 times the limit
    // once decoded.
    let zeros = vec![b'0'; 2 << 20];
    for (coding, encode) in CODINGS {
        let bomb = encode(&zeros);
        assert!(bomb.len() < 4096, "{coding}: {}", bomb.len());
        let reply = post(server, "/echo", &[coding], &bomb);
        assert_eq!(reply.status, 413, "{coding}");
        let line = format!(
            "[WARNING] WAF DROP: [TCP] {} -> {server} - Request body over the WAF limit of 4096 bytes",
            reply.client
        );
        assert_eq!(waf_lines(&reply, server), [line], "{coding}");
    }
}

#[test]
fn a_corrupt_body_is_refused_with_its_coding_named() {
    let server = start();
    for coding in ["br", "zstd", "gzip", "deflate"] {
        let reply = post(server, "/echo", &[coding], b"comment=not compressed at all");
        let answer = format!("Request body is not valid {coding}.");
        assert_eq!((reply.status, reply.body.as_str()), (400, answer.as_str()));
        let line = format!(
            "[WARNING] WAF DROP: [TCP] {} -> {server} - Request body is not valid {coding}",
            reply.client
        );
        assert_eq!(waf_lines(&reply, server), [line]);
    }
}

#[test]
fn codings_actix_would_hand_over_undecoded_are_refused_not_inspected_raw() {
    let server = start();
    // Actix's extractors decode one name from the first header; these they
    // pass on still compressed, where the WAF cannot see the text.
    let inner = gzip(&brotli(ATTACK));
    for codings in [
        &["br, gzip"][..],
        &["gzip, br"],
        &["x-gzip"],
        &["identity", "gzip"],
        &["compress"],
    ] {
        let reply = post(server, "/echo", codings, &inner);
        assert_eq!(reply.status, 415, "{codings:?}");
        let lines = waf_lines(&reply, server);
        assert_eq!(lines.len(), 1, "{codings:?}: {lines:?}");
        assert!(
            lines[0].contains("which the WAF cannot decode"),
            "{lines:?}"
        );
    }
    let reply = post(server, "/echo", &["gzip", "identity"], &gzip(CLEAN));
    assert_eq!((reply.status, reply.body.as_bytes()), (200, CLEAN));
}
