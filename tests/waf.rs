//! The WAF behind `FirewallMiddleware` on real sockets: what is refused (403,
//! 413), what is served with its body intact, and the exact log lines.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;

use actix_web::{web, App, HttpResponse, HttpServer};
use firewall_actix::waf::{
    AttackFamily, BodyOverflow, Exclusion, Mode, Request, Verdict, Waf, WafConfig,
};
use firewall_actix::{Firewall, FirewallExt, Rule, ALLOW, ANY, TCP};
use support::{get, log_lines_with, send, serve, Reply};

const DENIED: &str = "Access denied by Firewall.";
const FORM: &str = "application/x-www-form-urlencoded";

fn log() -> PathBuf {
    support::log_file("it_waf")
}

/// Loopback allowed by the ACL, `config` as the WAF.
fn firewall(config: WafConfig) -> Firewall {
    let rules = vec![Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "loopback").expect("a rule")];
    let fw = Firewall::new("it_waf")
        .with_rules(rules)
        .expect("valid rules");
    fw.with_waf(config).expect("a valid WAF")
}

async fn echo(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok().body(body)
}

async fn echo_form(form: web::Form<std::collections::HashMap<String, String>>) -> HttpResponse {
    HttpResponse::Ok().body(form.get("comment").cloned().unwrap_or_default())
}

async fn echo_json(body: web::Json<serde_json::Value>) -> HttpResponse {
    HttpResponse::Ok().json(body.into_inner())
}

/// `/items` (GET), `/echo`, `/comments` and `/upload` (POST, body echoed),
/// `/json` (JSON echoed), `/form` (its `comment` echoed), behind the middleware.
fn start(fw: Firewall) -> SocketAddr {
    log();
    let running = serve("127.0.0.1:0", move |listener| {
        Ok(HttpServer::new(move || {
            App::new()
                .wrap(fw.middleware())
                .route("/items", web::get().to(|| async { "served" }))
                .route("/echo", web::post().to(echo))
                .route("/comments", web::post().to(echo))
                .route("/upload", web::post().to(echo))
                .route("/json", web::post().to(echo_json))
                .route("/form", web::post().to(echo_form))
        })
        .workers(1)
        .listen(listener)?
        .run())
    })
    .expect("loopback binds");
    running.addr
}

fn post(server: SocketAddr, path: &str, content_type: &str, body: &[u8]) -> Reply {
    send(
        server,
        "POST",
        path,
        &[("Content-Type", content_type)],
        body,
    )
    .expect("a reply")
}

/// The WAF lines of `reply`'s request, without timestamps.
fn waf_lines(reply: &Reply, server: SocketAddr) -> Vec<String> {
    log_lines_with(&log(), &format!(":{} -> {server} ", reply.client.port()))
        .into_iter()
        .filter(|line| line.contains("WAF "))
        .collect()
}

/// What the engine alone says of `view`: the documented reason.
fn reason_of(view: &Request<'_>) -> String {
    let waf = Waf::new(WafConfig::default()).expect("a WAF");
    let (Verdict::Block(hit) | Verdict::Detected(hit)) = waf.inspect(view) else {
        panic!("the engine passes {view:?}");
    };
    format!("{} ({}) in {}", hit.family, hit.rule_id, hit.location)
}

const SQLI: &str = "/items?id=1%27%20OR%20%271%27=%271";

#[test]
fn sql_injection_in_a_query_argument_is_refused_with_one_drop_line() {
    let fw = firewall(WafConfig::default());
    let server = start(fw.clone());
    let reply = get(server, SQLI, &[]).expect("a reply");
    assert_eq!((reply.status, reply.body.as_str()), (403, DENIED));
    let reason = reason_of(&Request::from_target("GET", SQLI));
    assert!(
        reason.starts_with("SQL injection (942") && reason.ends_with(" in ARGS:id"),
        "{reason}"
    );
    let line = format!(
        "[WARNING] WAF DROP: [TCP] {} -> {server} - {reason}",
        reply.client
    );
    assert_eq!(waf_lines(&reply, server), [line]);
    assert_eq!((fw.stats().allowed, fw.stats().dropped), (0, 1));
}

#[test]
fn xss_in_a_form_body_is_refused_and_the_clean_form_reaches_the_handler_intact() {
    let server = start(firewall(WafConfig::default()));
    let attack = b"name=ann&comment=%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    let reply = post(server, "/echo", FORM, attack);
    assert_eq!((reply.status, reply.body.as_str()), (403, DENIED));
    assert_eq!(waf_lines(&reply, server).len(), 1);
    let clean = "name=ann&comment=I%27d+like+to+select+the+plan%3B+drop+me+a+line+%26+thanks%21";
    let reply = post(server, "/echo", FORM, clean.as_bytes());
    assert_eq!((reply.status, reply.body.as_str()), (200, clean));
    assert!(waf_lines(&reply, server).is_empty());
}

#[test]
fn json_bodies_are_inspected_and_clean_ones_served() {
    let server = start(firewall(WafConfig::default()));
    let attack = br#"{"user":"ann","q":"1' UNION SELECT password FROM users--"}"#;
    let reply = post(server, "/json", "application/json", attack);
    assert_eq!(reply.status, 403);
    let clean = r#"{"user":"ann","note":"O'Brien's order"}"#;
    let reply = post(server, "/json", "application/json", clean.as_bytes());
    assert_eq!(reply.status, 200);
    let back: serde_json::Value = serde_json::from_str(&reply.body).expect("json");
    assert_eq!(
        back,
        serde_json::from_str::<serde_json::Value>(clean).expect("json")
    );
}

fn multipart(file_name: &str) -> (String, Vec<u8>) {
    let boundary = "----fwboundary7MA4YWxk";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nholiday.v2\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n\x00\x01binary\x7fdata\r\n--{boundary}--\r\n"
    );
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

#[test]
fn a_traversal_file_name_in_an_upload_is_refused_and_a_normal_upload_kept_byte_for_byte() {
    let server = start(firewall(WafConfig::default()));
    let (content_type, body) = multipart("../../etc/passwd");
    assert_eq!(post(server, "/upload", &content_type, &body).status, 403);
    let (content_type, body) = multipart("photo.2024.jpg");
    let reply = post(server, "/upload", &content_type, &body);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, String::from_utf8_lossy(&body));
}

#[test]
fn a_body_over_the_limit_gets_413_or_its_prefix_inspected_when_configured() {
    let server = start(firewall(
        WafConfig::default().body_limit(1024, BodyOverflow::Reject),
    ));
    let long = format!("a={}", "x".repeat(2000));
    let reply = post(server, "/echo", FORM, long.as_bytes());
    assert_eq!(reply.status, 413);
    assert_eq!(
        reply.body,
        "Request body too large: the firewall inspects at most 1024 bytes."
    );
    let line = format!(
        "[WARNING] WAF DROP: [TCP] {} -> {server} - Request body over the WAF limit of 1024 bytes",
        reply.client
    );
    assert_eq!(waf_lines(&reply, server), [line]);

    let partial = WafConfig::default().body_limit(1024, BodyOverflow::InspectPartial);
    let server = start(firewall(partial));
    let reply = post(server, "/echo", FORM, long.as_bytes());
    assert_eq!((reply.status, reply.body.len()), (200, long.len()));
    assert_eq!(reply.body, long);
    let attack = format!("q=%3Cscript%3Ealert(1)%3C/script%3E&a={}", "x".repeat(2000));
    assert_eq!(post(server, "/echo", FORM, attack.as_bytes()).status, 403);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}

fn post_encoded(server: SocketAddr, coding: &str, body: &[u8]) -> Reply {
    let headers = [("Content-Type", FORM), ("Content-Encoding", coding)];
    send(server, "POST", "/echo", &headers, body).expect("a reply")
}

#[test]
fn a_gzip_body_is_inspected_as_the_handler_reads_it_decoded() {
    let server = start(firewall(WafConfig::default()));
    // Actix hands the handler the decoded form: the WAF must see that too.
    let clean = b"name=ann&comment=hello+there";
    let reply = post_encoded(server, "gzip", &gzip(clean));
    assert_eq!((reply.status, reply.body.as_bytes()), (200, &clean[..]));
    let attack = b"name=ann&comment=%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    let reply = post_encoded(server, "gzip", &gzip(attack));
    assert_eq!((reply.status, reply.body.as_str()), (403, DENIED));
    let lines = waf_lines(&reply, server);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(" in ARGS:comment"), "{lines:?}");
}

#[test]
fn a_compressed_body_the_waf_cannot_read_is_refused_not_passed() {
    let server = start(firewall(
        WafConfig::default().body_limit(4096, BodyOverflow::Reject),
    ));
    // A list: Actix's extractors would hand it over still encoded.
    let reply = post_encoded(server, "gzip, br", b"\x1b\x03\x00");
    assert_eq!(reply.status, 415);
    let line = format!(
        "[WARNING] WAF DROP: [TCP] {} -> {server} - Request body with Content-Encoding \"gzip, br\", which the WAF cannot decode",
        reply.client
    );
    assert_eq!(waf_lines(&reply, server), [line]);
    let reply = post_encoded(server, "gzip", b"name=not-gzip");
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (400, "Request body is not valid gzip.")
    );
    // 1 MB of zeros compresses to about 1 KB: the decoded size is what counts.
    let bomb = gzip(&vec![b'0'; 1 << 20]);
    assert!(bomb.len() < 4096);
    assert_eq!(post_encoded(server, "gzip", &bomb).status, 413);
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn iso_2022_jp_interleaved(text: &str) -> Vec<u8> {
    // "Switch to ASCII" before every character: the decoded text is `text`.
    text.bytes().flat_map(|b| [0x1b, b'(', b'B', b]).collect()
}

#[test]
fn a_form_in_another_charset_is_inspected_as_the_handler_decodes_it() {
    let server = start(firewall(WafConfig::default()));
    let attack = "comment=<script>alert(1)</script>";
    for (charset, clean, body) in [
        ("utf-16le", utf16le("comment=hello there"), utf16le(attack)),
        (
            "iso-2022-jp",
            iso_2022_jp_interleaved("comment=hello there"),
            iso_2022_jp_interleaved(attack),
        ),
    ] {
        let ct = format!("{FORM}; charset={charset}");
        let reply = post(server, "/form", &ct, &clean);
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (200, "hello there"),
            "{charset}"
        );
        let reply = post(server, "/form", &ct, &body);
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (403, DENIED),
            "{charset}"
        );
        let lines = waf_lines(&reply, server);
        assert_eq!(lines.len(), 1, "{charset}: {lines:?}");
        assert!(lines[0].contains("(941"), "{charset}: {lines:?}");
    }
}

#[test]
fn detection_only_serves_the_attack_and_logs_a_detect_line() {
    let fw = firewall(WafConfig::default().mode(Mode::DetectionOnly));
    let server = start(fw.clone());
    let reply = get(server, SQLI, &[]).expect("a reply");
    assert_eq!((reply.status, reply.body.as_str()), (200, "served"));
    let reason = reason_of(&Request::from_target("GET", SQLI));
    let line = format!(
        "[WARNING] WAF DETECT: [TCP] {} -> {server} - {reason}",
        reply.client
    );
    assert_eq!(waf_lines(&reply, server), [line]);
    assert_eq!(fw.stats().dropped, 0);
}

#[test]
fn exclusions_per_route_and_per_argument_let_the_false_positive_through() {
    let config = WafConfig::default()
        .exclude(Exclusion::route("/comments"))
        .exclude(
            Exclusion::route("/echo")
                .arg("bio")
                .family(AttackFamily::Xss),
        );
    let server = start(firewall(config));
    let html = "bio=%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    assert_eq!(post(server, "/comments", FORM, html.as_bytes()).status, 200);
    let reply = post(server, "/echo", FORM, html.as_bytes());
    assert_eq!((reply.status, reply.body.as_str()), (200, html));
    let other = "name=%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    assert_eq!(post(server, "/echo", FORM, other.as_bytes()).status, 403);
    // A route exclusion ends at a segment boundary, and a path that only
    // normalises into the route is not under it.
    for path in [
        "/comments-archive",
        "/echo/..%2fcomments",
        "/echo/%2e%2e/comments",
    ] {
        let reply = post(server, path, FORM, html.as_bytes());
        assert_eq!((reply.status, reply.body.as_str()), (403, DENIED), "{path}");
    }
    assert_eq!(
        post(server, "/comments/", FORM, html.as_bytes()).status,
        404
    );
}

#[test]
fn a_log_injection_attempt_gives_exactly_one_escaped_line() {
    let server = start(firewall(WafConfig::default()));
    let forged =
        "/items?x%0D%0A2026-01-01%2000:00:00,000%20[INFO]%20forged=1%27%20OR%20%271%27=%271";
    let reply = get(server, forged, &[]).expect("a reply");
    assert_eq!(reply.status, 403);
    let lines = waf_lines(&reply, server);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].contains("\\r\\n2026-01-01 00:00:00,000 [INFO] forged"),
        "{}",
        lines[0]
    );
    assert!(log_lines_with(&log(), "forged")
        .iter()
        .all(|l| l.starts_with("[WARNING] WAF DROP")));
}

/// Coraza-style: the same attacks in mode On (refused) and detection-only (served, logged).
#[test]
fn the_attack_table_is_refused_in_mode_on_and_only_logged_in_detection_only() {
    let attacks: &[(&str, &str, &str)] = &[
        ("GET", "/items?id=1%27%20OR%201=1--", ""),
        ("GET", "/items?q=%3Cscript%3Ealert(1)%3C/script%3E", ""),
        ("GET", "/items?file=../../../../etc/passwd", ""),
        ("GET", "/items?cmd=;cat%20/etc/passwd", ""),
        ("POST", "/echo", "msg=%3Cimg%20src=x%20onerror=alert(1)%3E"),
        (
            "POST",
            "/echo",
            "u=1%27%20UNION%20SELECT%20username,password%20FROM%20users--",
        ),
    ];
    for (mode, status, verb) in [
        (Mode::On, 403, "DROP"),
        (Mode::DetectionOnly, 200, "DETECT"),
    ] {
        let server = start(firewall(WafConfig::default().mode(mode)));
        for (method, path, body) in attacks {
            let headers = [("Content-Type", FORM)];
            let reply = send(server, method, path, &headers, body.as_bytes()).expect("a reply");
            assert_eq!(reply.status, status, "{mode:?} {method} {path} {body}");
            let lines = waf_lines(&reply, server);
            assert_eq!(lines.len(), 1, "{mode:?} {path}: {lines:#?}");
            assert!(
                lines[0].starts_with(&format!("[WARNING] WAF {verb}: ")),
                "{}",
                lines[0]
            );
        }
    }
}

#[test]
fn without_a_waf_the_body_is_not_inspected() {
    let rules = vec![Rule::new(ALLOW, TCP, ANY, "127.0.0.1", ANY, "loopback").expect("a rule")];
    let fw = Firewall::new("it_waf")
        .with_rules(rules)
        .expect("valid rules");
    let server = start(fw);
    let attack = "q=%3Cscript%3Ealert(1)%3C/script%3E";
    let reply = post(server, "/echo", FORM, attack.as_bytes());
    assert_eq!((reply.status, reply.body.as_str()), (200, attack));
}
