//! The web monitor on real sockets: JSON API, live stream, access rules,
//! security headers, and that the protected app outlives the monitor.

mod monitor_support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use firewall_actix::monitor::{create_monitor, MonitorConfig, MonitorError, WebMonitor};
use monitor_support::{firewall, get, send, TestApp, XSS_DESC};

fn start(fw: std::sync::Arc<firewall_core::Firewall>) -> firewall_actix::monitor::MonitorHandle {
    let config = MonitorConfig::new("127.0.0.1", 0).interval(Duration::from_millis(100));
    WebMonitor::start(fw, config).unwrap()
}

#[test]
fn the_api_serves_totals_rules_and_events() {
    let fw = firewall("api");
    let monitor = start(fw.clone());
    assert!(send(&fw, "127.0.0.1:40000", 5000));
    assert!(!send(&fw, "10.9.9.9:40001", 23));
    assert!(!send(&fw, "10.9.9.9:40002", 8080));
    let url = monitor.url();

    let stats = get(&format!("{url}/api/stats"), &[]).json();
    assert_eq!(
        (
            stats["app"].as_str(),
            stats["allowed"].as_u64(),
            stats["dropped"].as_u64()
        ),
        (Some("api"), Some(1), Some(2))
    );
    assert!(stats["process"]["rss_bytes"].as_u64().unwrap_or(1) > 0);

    let rules = get(&format!("{url}/api/rules"), &[]).json();
    assert_eq!(rules[2]["desc"], XSS_DESC, "raw text in JSON");
    assert_eq!(
        (rules[2]["index"].as_u64(), rules[2]["hits"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(rules[4]["hits"], 1);

    let events = get(&format!("{url}/api/events?after=1"), &[]).json();
    let list = events["events"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["reason"], format!("Matched rule #3: {XSS_DESC}"));
    assert_eq!(list[1]["src"], "10.9.9.9:40002");
    assert_eq!(list[1]["reason"], "No matching allow rule.");
    assert_eq!(events["last_seq"], 3);
}

#[test]
fn top_blocked_sources_are_ranked() {
    let fw = firewall("top");
    let monitor = start(fw.clone());
    for port in 0..3 {
        send(&fw, &format!("10.0.0.7:{}", 1000 + port), 23);
    }
    send(&fw, "10.0.0.8:1000", 23);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stats = get(&format!("{}/api/stats", monitor.url()), &[]).json();
        if stats["top_blocked"].as_array().unwrap().len() == 2 {
            assert_eq!(stats["top_blocked"][0]["src"], "10.0.0.7");
            assert_eq!(stats["top_blocked"][0]["count"], 3);
            assert_eq!(stats["top_blocked"][1]["src"], "10.0.0.8");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "top blocked never filled: {stats}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_audit_report_is_a_json_download() {
    let fw = firewall("shop");
    let monitor = start(fw.clone());
    send(&fw, "10.0.0.1:1", 443);
    let answer = get(&format!("{}/api/report", monitor.url()), &[]);
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-disposition"),
        Some("attachment; filename=\"shop_audit_report.json\"")
    );
    let report = answer.json();
    assert_eq!(report["stats"]["dropped"], 1);
    assert_eq!(report["rules"].as_array().unwrap().len(), 5);
    assert_eq!(
        report["recent_events"][0]["reason"],
        "Matched rule #2: Permits HTTPS"
    );
}

/// Reads SSE `data:` lines until one satisfies `done`.
fn read_stream_until(
    addr: std::net::SocketAddr,
    done: impl Fn(&serde_json::Value) -> bool,
    fire: impl FnOnce(),
) -> serde_json::Value {
    let mut socket = TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        socket,
        "GET /api/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut reader = BufReader::new(socket);
    let mut line = String::new();
    let mut fire = Some(fire);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line.starts_with("HTTP/1.1") {
            assert!(line.contains("200"), "{line}");
        }
        if let Some(data) = line.strip_prefix("data: ") {
            if let Some(fire) = fire.take() {
                fire(); // after the first update: the next ones must carry it
            }
            let update: serde_json::Value = serde_json::from_str(data.trim()).unwrap();
            if done(&update) {
                return update;
            }
        }
    }
    panic!("the stream never showed the awaited update");
}

#[test]
fn the_stream_pushes_new_decisions_and_totals() {
    let fw = firewall("stream");
    let monitor = start(fw.clone());
    let update = read_stream_until(
        monitor.addr(),
        |u| {
            u["events"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["src"] == "10.1.2.3:4444"))
        },
        || {
            send(&fw, "10.1.2.3:4444", 80);
        },
    );
    assert_eq!(update["stats"]["dropped"], 1);
    let event = update["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["src"] == "10.1.2.3:4444")
        .unwrap();
    assert_eq!(
        (event["action"].as_str(), event["reason"].as_str()),
        (Some("DROP"), Some("Matched rule #1: Permits HTTP"))
    );
    assert_eq!(update["rules"][0]["hits"], 1);
}

#[test]
fn every_answer_carries_the_security_headers_and_the_page_has_no_inline_script() {
    let fw = firewall("headers");
    let monitor = start(fw);
    for path in ["/", "/static/app.js", "/api/stats", "/nope"] {
        let answer = get(&format!("{}{path}", monitor.url()), &[]);
        let csp = answer
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("no CSP on {path}"));
        assert!(
            csp.starts_with("default-src 'self'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(
            answer.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{path}");
    }
    let page = get(&format!("{}/", monitor.url()), &[]);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(page.body.matches("<script").count(), 1);
    assert!(page
        .body
        .contains("<script src=\"/static/app.js\" defer></script>"));
    assert!(
        !page.body.contains("http://") && !page.body.contains("https://"),
        "no CDN"
    );
    let js = get(&format!("{}/static/app.js", monitor.url()), &[]);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(
        !js.body.contains("innerHTML"),
        "the page builds its DOM with textContent only"
    );
}

#[test]
fn a_non_loopback_host_header_is_refused_without_a_token() {
    let fw = firewall("rebind");
    let monitor = start(fw);
    let answer = get(
        &format!("{}/api/stats", monitor.url()),
        &[("Host", "attacker.example:8000")],
    );
    assert_eq!(answer.status, 403);
    assert!(answer.body.contains("only answers to 127.0.0.1"));
}

#[test]
fn with_a_token_every_page_and_api_call_needs_it() {
    let fw = firewall("token");
    let config = MonitorConfig::new("127.0.0.1", 0).token("correct horse");
    let monitor = WebMonitor::start(fw, config).unwrap();
    let url = monitor.url();
    for path in [
        "/",
        "/api/stats",
        "/api/rules",
        "/api/events",
        "/api/report",
        "/api/events/stream",
    ] {
        let answer = get(&format!("{url}{path}"), &[]);
        assert_eq!(answer.status, 401, "{path}");
        assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
        let wrong = get(
            &format!("{url}{path}"),
            &[("Authorization", "Bearer correct hors")],
        );
        assert_eq!(wrong.status, 401, "{path}");
    }
    assert_eq!(
        get(
            &format!("{url}/api/stats"),
            &[("Authorization", "Bearer correct horse")]
        )
        .status,
        200
    );
    assert_eq!(
        get(&format!("{url}/?token=correct%20horse"), &[]).status,
        200
    );
    assert_eq!(
        get(&format!("{url}/static/style.css"), &[]).status,
        200,
        "assets hold no data"
    );
}

#[test]
fn a_non_loopback_address_without_a_token_is_refused_with_the_address() {
    let fw = firewall("open");
    let err = WebMonitor::start(fw.clone(), MonitorConfig::new("0.0.0.0", 0)).unwrap_err();
    assert!(matches!(err, MonitorError::TokenRequired { .. }));
    assert!(
        err.to_string()
            .contains("non-loopback 0.0.0.0:0 without an access token"),
        "{err}"
    );
    let err = WebMonitor::start(fw, MonitorConfig::new("127.0.0.1", 0).token("")).unwrap_err();
    assert_eq!(err.to_string(), "monitor access token is empty");
}

#[test]
fn a_busy_port_is_a_clear_error_and_the_app_keeps_serving() {
    let fw = firewall("busy");
    let app = TestApp::start(fw.clone());
    let err = create_monitor(fw, "127.0.0.1", app.addr.port()).unwrap_err();
    assert!(matches!(err, MonitorError::Bind { .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("monitor cannot listen on {}:", app.addr)),
        "{err}"
    );
    assert_eq!(get(&format!("http://{}/", app.addr), &[]).body, "VEERA");
}

#[test]
fn stopping_the_monitor_leaves_the_app_running() {
    let fw = firewall("stop");
    let app = TestApp::start(fw.clone());
    let monitor = start(fw.clone());
    let monitor_addr = monitor.addr();
    assert_eq!(get(&format!("http://{}/", app.addr), &[]).body, "VEERA");
    let stats = get(&format!("http://{monitor_addr}/api/stats"), &[]).json();
    assert_eq!(
        stats["allowed"], 1,
        "the monitor counts the app's real requests"
    );
    monitor.stop();
    assert!(
        TcpStream::connect(monitor_addr).is_err(),
        "monitor port closed"
    );
    let answer = get(&format!("http://{}/", app.addr), &[]);
    assert_eq!((answer.status, answer.body.as_str()), (200, "VEERA"));
    assert_eq!(fw.stats().allowed, 2);
}
