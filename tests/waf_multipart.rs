//! Multipart bodies: the WAF reads the fields `actix-multipart` hands the
//! handler, no more, no less, or refuses the body.
//!
//! The differential properties feed random and hostile bodies to both
//! readers (the WAF's `multipart::parse` and `actix-multipart`'s stream, in
//! chunks of random size); the server tests check the refusals end to end.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_multipart::Multipart;
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{web, App, HttpResponse, HttpServer};
use firewall_actix::waf::multipart;
use firewall_actix::waf::WafConfig;
use firewall_actix::{Firewall, FirewallExt, Rule, ALLOW, ANY, TCP};
use futures_util::StreamExt as _;
use proptest::prelude::*;
use support::{log_lines_with, send, serve, Reply};

/// A field as a reader hands it: name, file name, content.
type Seen = (Option<String>, Option<String>, Vec<u8>);

/// The fields `actix-multipart` hands a handler reading `body` in chunks of
/// `chunk` bytes: `Ok` when it reads to the end, `Err` (with what it handed
/// before) when it reports an error.
fn actix_reads(content_type: &str, body: &[u8], chunk: usize) -> Result<Vec<Seen>, Vec<Seen>> {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_str(content_type).expect("an ASCII content type"),
    );
    let chunks: Vec<Result<Bytes, PayloadError>> = body
        .chunks(chunk.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let mut reader = Multipart::new(&headers, futures_util::stream::iter(chunks));
        let mut seen = Vec::new();
        while let Some(field) = reader.next().await {
            let Ok(mut field) = field else {
                return Err(seen);
            };
            let name = field.name().map(str::to_owned);
            let file = field
                .content_disposition()
                .and_then(|cd| cd.get_filename())
                .map(str::to_owned);
            let mut content = Vec::new();
            while let Some(bytes) = field.next().await {
                let Ok(bytes) = bytes else {
                    seen.push((name, file, content));
                    return Err(seen);
                };
                content.extend_from_slice(&bytes);
            }
            seen.push((name, file, content));
        }
        Ok(seen)
    })
}

/// The fields the WAF inspects, or why it refuses the body.
fn waf_reads(content_type: &str, body: &[u8]) -> Result<Vec<Seen>, String> {
    multipart::parse(content_type, body, true)
        .map(|fields| {
            fields
                .into_iter()
                .map(|f| (f.name, f.filename, f.content.to_vec()))
                .collect()
        })
        .map_err(|e| e.to_string())
}

const BOUNDARIES: &[&str] = &[
    "BOUND",
    "----WebKitFormBoundary7MA4YWxkTrZu0gW",
    "a",
    "-",
    "--",
    "x y",
    "a'b+c_d.e",
    "--BOUND--",
];

/// `Content-Type` values for boundary `b`: well-formed ones first.
fn content_types(b: &str) -> Vec<String> {
    vec![
        format!("multipart/form-data; boundary=\"{b}\""),
        format!("multipart/form-data; boundary={b}"),
        format!("multipart/form-data;boundary={b}"),
        format!("Multipart/Form-Data; BOUNDARY={b}"),
        format!("multipart/mixed; boundary=\"{b}\""),
        format!("multipart/form-data; boundary=\"{b}\"; boundary=other"),
        format!("multipart/form-data; boundary=other; boundary={b}"),
        format!("multipart/form-data; boundary= {b}"),
        format!("multipart/form-data; boundary={b} ; charset=utf-8"),
        format!("multipart/form-data; charset=\"x;boundary=y\"; boundary={b}"),
        format!("multipart/form-data; boundary=\"{b}\\\"x\""),
        format!("multipart/form-data; boundary=\"{b}\" ; x=1"),
        "multipart/form-data".to_owned(),
    ]
}

/// Header blocks for a part named `n` (without the empty line): well-formed
/// ones first.
fn header_blocks(n: &str) -> Vec<String> {
    vec![
        format!("Content-Disposition: form-data; name=\"{n}\"\r\n"),
        format!("content-disposition:form-data;name={n}\r\n"),
        format!("Content-Disposition: form-data; name=\"{n}\"; filename=\"{n}.txt\"\r\nContent-Type: text/plain\r\n"),
        format!("Content-Disposition: form-data; name=\"{n}\"\r\nX-Other: v\r\n"),
        format!("Content-Disposition: form-data; name=\"a\\\"{n}\"; filename=\"c:\\\\x\"\r\n"),
        format!("Content-Disposition: form-data; name=\"{n}\"; filename*=UTF-8''x%20y\r\n"),
        format!("Content-Disposition: form-data; filename=\"{n}\"\r\n"),
        format!("Content-Disposition: form-data; name=\"{n}\"; name=\"other\"\r\n"),
        format!("Content-Disposition: attachment; name=\"{n}\"\r\n"),
        format!("Content-Disposition: form-data; name=\"{n}\"junk\r\n"),
        format!("Content-Disposition: form-data;\r\n name=\"{n}\"\r\n"),
        format!("Content-Disposition: form-data; name=\"{n}\"\nX: y\r\n"),
        format!("Content-Disposition: form-data; name=\"{n}\"\r\nContent-Length: 3\r\n"),
        format!("Content-Disposition: form-data; name=\"{n}\"\r\nContent-Type: multipart/mixed; boundary=Z\r\n"),
        format!("Content-Disposition: form-data; name=\"{n}\"\r\nContent-Disposition: form-data; name=\"z\"\r\n"),
        format!("Content-Disposition: form-data; name=\"\"\r\n"),
        "Content-Type: text/plain\r\n".to_owned(),
        String::new(),
        format!("Content-Disposition : form-data; name=\"{n}\"\r\n"),
    ]
}

/// Pieces of content: plain text, attacks, line ends, boundary lookalikes.
fn content_piece(b: &str) -> Vec<String> {
    [
        "a", "<script>", " ", "é", "\r", "\n", "\r\n", "-", "--", "\r\n--", "\r--", "\t",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([b.to_owned(), format!("--{b}"), format!("\r\n--{b}x")])
    .collect()
}

#[derive(Debug, Clone)]
struct Part {
    delimiter_end: usize,
    headers: usize,
    name: usize,
    content: Vec<usize>,
    content_end: usize,
}

#[derive(Debug, Clone)]
struct Case {
    boundary: usize,
    content_type: usize,
    preamble: usize,
    parts: Vec<Part>,
    closing: usize,
    edits: Vec<(usize, usize, usize)>,
}

const DELIMITER_ENDS: &[&str] = &["\r\n", " \r\n", "\n", "\t\r\n", "--\r\n", ""];
const CONTENT_ENDS: &[&str] = &["\r\n", "\n", "\r", "", "\r\n\r\n"];
const PREAMBLES: &[&str] = &["", "hello\r\n", "\r\n", "x", "--x\r\n"];
const CLOSINGS: &[&str] = &[
    "--\r\n",
    "--",
    "--\r\nepilogue",
    "",
    "--  \r\n",
    "--\r\n--{b}\r\n",
    "x\r\n",
    "\r\n",
];
const NAMES: &[&str] = &["c", "comment", "é", "x y", "a;b"];

/// Content pieces without a CR (which may end a part early).
const CLEAN_PIECES: &[usize] = &[0, 1, 2, 3, 5, 7, 8, 11, 12, 13];

/// A case with only the well-formed choices when `clean`.
fn case(clean: bool) -> impl Strategy<Value = Case> {
    // Hostile cases are mostly well-formed, each choice odd now and then,
    // so that the WAF reads many of them and the comparison has work.
    let pick = move |n: usize, good: usize| {
        if clean {
            (0..good).boxed()
        } else {
            prop_oneof![6 => 0..good, 1 => 0..n].boxed()
        }
    };
    let part = (
        pick(DELIMITER_ENDS.len(), 1),
        pick(header_blocks("c").len(), 5),
        pick(NAMES.len(), 3),
        proptest::collection::vec(0..content_piece("b").len(), 0..8),
        pick(CONTENT_ENDS.len(), 1),
    )
        .prop_map(
            move |(delimiter_end, headers, name, content, content_end)| Part {
                delimiter_end,
                headers,
                name,
                content: if clean {
                    content
                        .iter()
                        .map(|i| CLEAN_PIECES[i % CLEAN_PIECES.len()])
                        .collect()
                } else {
                    content
                },
                content_end,
            },
        );
    let parts = if clean { 1..4 } else { 0..4 };
    let edits = if clean { 0..1 } else { 0..2 };
    (
        0..BOUNDARIES.len(),
        pick(content_types("b").len(), 5),
        pick(PREAMBLES.len(), 3),
        proptest::collection::vec(part, parts),
        pick(CLOSINGS.len(), 3),
        proptest::collection::vec((0..4096usize, 0..4usize, 0..20usize), edits),
    )
        .prop_map(
            move |(boundary, content_type, preamble, parts, closing, edits)| Case {
                boundary,
                // An unquoted boundary with a space is not well-formed.
                content_type: if clean && BOUNDARIES[boundary].contains(' ') {
                    0
                } else {
                    content_type
                },
                preamble,
                parts,
                closing,
                edits,
            },
        )
}

/// The content type and body of `case`, its edits applied (each inserts a
/// content piece at, or removes up to 3 bytes from, a position).
fn build(case: &Case) -> (String, Vec<u8>) {
    let b = BOUNDARIES[case.boundary];
    let content_type = content_types(b)[case.content_type].clone();
    let pieces = content_piece(b);
    let mut body = PREAMBLES[case.preamble].to_owned();
    for part in &case.parts {
        body += "--";
        body += b;
        body += DELIMITER_ENDS[part.delimiter_end];
        body += &header_blocks(NAMES[part.name])[part.headers];
        body += "\r\n";
        for &piece in &part.content {
            body += &pieces[piece];
        }
        body += CONTENT_ENDS[part.content_end];
    }
    body += "--";
    body += b;
    body += &CLOSINGS[case.closing].replace("{b}", b);
    let mut body = body.into_bytes();
    for &(at, removed, piece) in &case.edits {
        let at = at % (body.len() + 1);
        if removed == 0 {
            let piece = pieces[piece % pieces.len()].as_bytes();
            body.splice(at..at, piece.iter().copied());
        } else {
            body.drain(at..(at + removed).min(body.len()));
        }
    }
    (content_type, body)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Random and hostile bodies: whatever the WAF reads, the handler reads
    /// the same fields to the end, in any chunking; every body the
    /// handler's reader rejects, the WAF refuses.
    #[test]
    fn the_waf_reads_what_actix_multipart_reads_or_refuses(case in case(false), chunk in 1usize..64) {
        let (content_type, body) = build(&case);
        let waf = waf_reads(&content_type, &body);
        let whole = actix_reads(&content_type, &body, body.len());
        let chunked = actix_reads(&content_type, &body, chunk);
        if let Ok(fields) = waf {
            let shown = String::from_utf8_lossy(&body);
            prop_assert_eq!(Ok(fields.clone()), whole, "{:?} {:?}", content_type, shown);
            prop_assert_eq!(Ok(fields), chunked, "{:?} {:?}", content_type, shown);
        }
    }

    /// Well-formed bodies (as browsers and clients send them, boundary text
    /// inside values included): the WAF reads them, field for field as
    /// actix-multipart does.
    #[test]
    fn well_formed_bodies_are_read_field_for_field(case in case(true), chunk in 1usize..64) {
        let (content_type, body) = build(&case);
        let waf = waf_reads(&content_type, &body);
        prop_assert!(waf.is_ok(), "{:?} {:?}: {:?}", content_type, String::from_utf8_lossy(&body), waf);
        prop_assert_eq!(waf.as_ref().ok().cloned(), actix_reads(&content_type, &body, chunk).ok());
        prop_assert_eq!(waf.map(|f| f.len()).ok(), Some(case.parts.len()));
    }
}

/// Echoes `name=value;` for every field, as `actix-multipart` reads them,
/// and counts the requests it served.
async fn upload(served: web::Data<AtomicUsize>, mut form: Multipart) -> HttpResponse {
    served.fetch_add(1, Ordering::SeqCst);
    let mut out = String::new();
    while let Some(field) = form.next().await {
        let Ok(mut field) = field else {
            return HttpResponse::BadRequest().body(out + "handler: bad multipart");
        };
        out += field.name().unwrap_or_default();
        out.push('=');
        while let Some(Ok(bytes)) = field.next().await {
            out += &String::from_utf8_lossy(&bytes);
        }
        out.push(';');
    }
    HttpResponse::Ok().body(out)
}

/// A server whose `/upload` runs [`upload`], and its count of requests served.
fn start() -> (SocketAddr, web::Data<AtomicUsize>) {
    let rules = vec![Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "loopback").expect("a rule")];
    let fw = Firewall::new("it_waf_multipart")
        .with_rules(rules)
        .expect("valid rules")
        .with_waf(WafConfig::default())
        .expect("a valid WAF");
    support::log_file("it_waf_multipart");
    let served = web::Data::new(AtomicUsize::new(0));
    let counter = served.clone();
    let running = serve("127.0.0.1:0", move |listener| {
        let served = counter.clone();
        Ok(HttpServer::new(move || {
            App::new()
                .app_data(served.clone())
                .wrap(fw.middleware())
                .route("/upload", web::post().to(upload))
        })
        .workers(1)
        .listen(listener)?
        .run())
    })
    .expect("loopback binds");
    (running.addr, served)
}

fn post(server: SocketAddr, content_type: &str, body: &str) -> Reply {
    let headers = [("Content-Type", content_type)];
    send(server, "POST", "/upload", &headers, body.as_bytes()).expect("a reply")
}

/// The WAF lines of `reply`'s request, without timestamps.
fn waf_lines(reply: &Reply, server: SocketAddr) -> Vec<String> {
    let log = support::log_file("it_waf_multipart");
    log_lines_with(&log, &format!(":{} -> {server} ", reply.client.port()))
        .into_iter()
        .filter(|line| line.contains("WAF "))
        .collect()
}

const CT: &str = "multipart/form-data; boundary=BOUND";

fn field(name: &str, value: &str) -> String {
    format!("--BOUND\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
}

/// The bypass of issue 16: the WAF used to cut the value at `--BOUND`,
/// and `actix-multipart` does not.
#[test]
fn a_value_holding_the_boundary_text_is_inspected_whole_and_refused() {
    let (server, handled) = start();
    let body = field("comment", "x--BOUND<script>alert(1)</script>") + "--BOUND--\r\n";
    let before = handled.load(Ordering::SeqCst);
    let reply = post(server, CT, &body);
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (403, "Access denied by Firewall.")
    );
    assert_eq!(handled.load(Ordering::SeqCst), before);
    let lines = waf_lines(&reply, server);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(" in ARGS:comment"), "{lines:?}");
    let clean = field("comment", "see x--BOUND, it is fine") + &field("n", "2") + "--BOUND--\r\n";
    let reply = post(server, CT, &clean);
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "comment=see x--BOUND, it is fine;n=2;")
    );
    assert_eq!(handled.load(Ordering::SeqCst), before + 1);
}

/// Bodies `actix-multipart` rejects or reads otherwise than other readers:
/// 400 with the reason in one `WAF DROP` line, and the handler never runs.
#[test]
fn an_ambiguous_multipart_body_is_refused_before_the_handler() {
    let (server, handled) = start();
    let unterminated = field("comment", "<script>alert(1)</script>");
    let cases = [
        (CT, unterminated.clone(), "part 1 is not terminated"),
        (
            CT,
            unterminated.clone() + "--BOUND \r\n" + &field("b", "1") + "--BOUND--",
            "part 1 ends with a boundary followed by other text",
        ),
        (
            "multipart/form-data; boundary=BOUND; boundary=OTHER",
            field("a", "1") + "--BOUND--",
            "boundary parameter: boundary given twice",
        ),
        (
            CT,
            "--BOUND\r\nContent-Disposition: form-data\r\n\r\nv\r\n--BOUND--".to_owned(),
            "part 1: no name",
        ),
    ];
    for (content_type, body, why) in cases {
        let before = handled.load(Ordering::SeqCst);
        let reply = post(server, content_type, &body);
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (400, "Request body is not valid multipart."),
            "{body:?}"
        );
        assert_eq!(handled.load(Ordering::SeqCst), before, "{body:?}");
        let line = format!(
            "[WARNING] WAF DROP: [TCP] {} -> {server} - multipart body does not parse: {why}",
            reply.client
        );
        assert_eq!(waf_lines(&reply, server), [line]);
    }
}
