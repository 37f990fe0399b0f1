//! The web monitor on real sockets: JSON API, live stream, access rules,
//! security headers, and that the protected app outlives the monitor.

mod monitor_support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use firewall_actix::monitor::{create_monitor, MonitorConfig, MonitorError, WebMonitor};
use monitor_support::{firewall, get, send, TestApp, XSS_DESC};

fn start(fw: &firewall_core::Firewall) -> firewall_actix::monitor::MonitorHandle {
    let config = MonitorConfig::new("127.0.0.1", 0).interval(Duration::from_millis(100));
    WebMonitor::start(fw, config).unwrap()
}

#[test]
fn the_api_serves_totals_rules_and_events() {
    let fw = firewall("api");
    let monitor = start(&fw);
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

    let answer = get(&format!("{url}/api/rules"), &[]);
    assert_eq!(answer.header("x-total-count"), Some("5"));
    let rules = answer.json();
    assert_eq!(rules.as_array().unwrap().len(), 5, "rule order by default");
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

    let store = get(&format!("{url}/api/store"), &[]).json();
    assert_eq!(
        (store["backend"].as_str(), store["connected"].as_bool()),
        (Some("in-process"), Some(true))
    );
}

#[test]
fn top_blocked_sources_are_ranked() {
    let fw = firewall("top");
    let monitor = start(&fw);
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
    let monitor = start(&fw);
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
    let monitor = start(&fw);
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
    assert!(
        update.get("rules").is_none(),
        "stream messages carry no rules: {update}"
    );
}

#[test]
fn every_answer_carries_the_security_headers_and_the_page_has_no_inline_script() {
    let fw = firewall("headers");
    let monitor = start(&fw);
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
    let monitor = start(&fw);
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
    let config = MonitorConfig::new("127.0.0.1", 0).token("correct horse battery staple");
    let monitor = WebMonitor::start(&fw, config).unwrap();
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
            &[("Authorization", "Bearer correct horse battery stapl")],
        );
        assert_eq!(wrong.status, 401, "{path}");
    }
    assert_eq!(
        get(
            &format!("{url}/api/stats"),
            &[("Authorization", "Bearer correct horse battery staple")]
        )
        .status,
        200
    );
    assert_eq!(
        get(
            &format!("{url}/?token=correct%20horse%20battery%20staple"),
            &[]
        )
        .status,
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
    let err = WebMonitor::start(&fw, MonitorConfig::new("0.0.0.0", 0)).unwrap_err();
    assert!(matches!(err, MonitorError::TokenRequired { .. }));
    assert!(
        err.to_string()
            .contains("non-loopback 0.0.0.0:0 without an access token"),
        "{err}"
    );
    let err = WebMonitor::start(&fw, MonitorConfig::new("127.0.0.1", 0).token("")).unwrap_err();
    assert_eq!(err.to_string(), "monitor access token is empty");
}

#[test]
fn a_busy_port_is_a_clear_error_and_the_app_keeps_serving() {
    let fw = firewall("busy");
    let app = TestApp::start(fw.clone());
    let err = create_monitor(&fw, "127.0.0.1", app.addr.port()).unwrap_err();
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
    let monitor = start(&fw);
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

/// One message of the live stream: its `id:` and its JSON.
#[derive(Debug)]
struct Message {
    id: Option<u64>,
    update: serde_json::Value,
}

impl Message {
    fn seqs(&self) -> Vec<u64> {
        self.update["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect()
    }

    fn gap(&self) -> u64 {
        self.update["gap"]["count"].as_u64().unwrap_or(0)
    }
}

/// `/api/events/stream` read message by message (ureq undoes the chunking).
struct Stream {
    reader: BufReader<Box<dyn std::io::Read + Send + Sync>>,
}

impl Stream {
    fn open(url: &str, last_event_id: Option<&str>) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_read(Duration::from_secs(10))
            .build();
        let mut request = agent.get(&format!("{url}/api/events/stream"));
        if let Some(id) = last_event_id {
            request = request.set("Last-Event-ID", id);
        }
        let response = request.call().unwrap();
        assert_eq!(response.content_type(), "text/event-stream");
        Self {
            reader: BufReader::new(response.into_reader()),
        }
    }

    fn next(&mut self) -> Message {
        let (mut id, mut data) = (None, None);
        for _ in 0..16 {
            let mut line = String::new();
            assert!(
                self.reader.read_line(&mut line).unwrap() > 0,
                "stream ended"
            );
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some(value) = line.strip_prefix("id: ") {
                id = Some(value.parse().unwrap());
            } else if let Some(value) = line.strip_prefix("data: ") {
                data = Some(value.to_owned());
            } else if line.is_empty() {
                if let Some(data) = data.take() {
                    let update = serde_json::from_str(&data).unwrap();
                    return Message { id, update };
                }
            }
        }
        panic!("no message in 16 lines");
    }

    /// Messages until one has `id: last`; at most `bound` of them.
    fn until_id(&mut self, last: u64, bound: usize) -> Vec<Message> {
        let mut messages = Vec::new();
        for _ in 0..bound {
            let message = self.next();
            let done = message.id == Some(last);
            messages.push(message);
            if done {
                return messages;
            }
        }
        panic!("no message with id {last} in {bound}: {messages:?}");
    }
}

fn drops(fw: &firewall_core::Firewall, n: usize) {
    for i in 0..n {
        fw.record_drop(
            firewall_core::Protocol::Tcp,
            format!("10.20.0.{}:1000", i % 250).parse().unwrap(),
            "127.0.0.1:5000".parse().unwrap(),
            "burst",
        );
    }
}

#[test]
fn every_stream_message_has_an_id_and_a_reconnect_resumes_right_after_it() {
    let fw = firewall("resume");
    let monitor = start(&fw);
    drops(&fw, 10);
    let mut fresh = Stream::open(&monitor.url(), None);
    let first = fresh.next();
    assert_eq!(first.id, Some(10));
    assert_eq!(first.seqs(), (1..=10).collect::<Vec<_>>());

    let mut resumed = Stream::open(&monitor.url(), Some("4"));
    let first = resumed.next();
    assert_eq!(
        (first.id, first.seqs(), first.gap()),
        (Some(10), (5..=10).collect::<Vec<_>>(), 0),
        "no duplicates of 1..=4"
    );
    drops(&fw, 3);
    let later = resumed.until_id(13, 50);
    let seqs: Vec<u64> = later.iter().flat_map(Message::seqs).collect();
    assert_eq!(seqs, [11, 12, 13]);
    assert!(later.iter().all(|m| m.id.is_some()));

    let mut garbled = Stream::open(&monitor.url(), Some("not a number"));
    assert_eq!(garbled.next().seqs(), (1..=13).collect::<Vec<_>>());
}

#[test]
fn a_resume_older_than_the_ring_brings_all_it_holds_after_a_counted_gap() {
    let fw = firewall("old-resume");
    let monitor = start(&fw);
    drops(&fw, 1100); // the ring keeps 101..=1100
    let mut stream = Stream::open(&monitor.url(), Some("50"));
    let messages = stream.until_id(1100, 20);
    assert_eq!(messages[0].gap(), 50, "51..=100 are gone: said, not hidden");
    let seqs: Vec<u64> = messages.iter().flat_map(Message::seqs).collect();
    assert_eq!(seqs, (101..=1100).collect::<Vec<_>>());
    assert!(messages[1..].iter().all(|m| m.gap() == 0));
    assert!(messages.iter().all(|m| m.seqs().len() <= 200));
}

#[test]
fn a_burst_beyond_what_the_stream_sends_is_counted_never_skipped_silently() {
    let fw = firewall("burst");
    let config = MonitorConfig::new("127.0.0.1", 0).interval(Duration::from_millis(500));
    let monitor = WebMonitor::start(&fw, config).unwrap();
    let mut stream = Stream::open(&monitor.url(), None);
    assert_eq!(stream.next().id, Some(0));
    drops(&fw, 3000);
    let messages = stream.until_id(3000, 50);
    let mut after = 0;
    let mut counted = 0;
    for message in &messages {
        let seqs = message.seqs();
        if let Some(&first) = seqs.first() {
            assert_eq!(
                first - after - 1,
                message.gap(),
                "the gap before {first} is counted exactly"
            );
            after = *seqs.last().unwrap();
        }
        counted += message.gap() + seqs.len() as u64;
        assert!(seqs.len() <= 200);
    }
    assert_eq!(counted, 3000, "every decision is either sent or counted");
    assert!(
        messages.iter().any(|m| m.gap() > 0),
        "3,000 in a burst: some are counted, not sent"
    );
    let gap = messages.iter().find(|m| m.gap() > 0).unwrap();
    assert!(
        gap.update["gap"]["since"].is_string(),
        "{}",
        gap.update["gap"]
    );
}

#[test]
fn the_bearer_scheme_is_accepted_in_any_case() {
    let fw = firewall("bearer");
    let token = "0123456789abcdef";
    let monitor = WebMonitor::start(&fw, MonitorConfig::new("127.0.0.1", 0).token(token)).unwrap();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let answer = get(
            &format!("{}/api/stats", monitor.url()),
            &[("Authorization", &format!("{scheme} {token}"))],
        );
        assert_eq!(answer.status, 200, "{scheme}");
    }
}

#[test]
fn a_token_shorter_than_16_bytes_is_refused_at_start() {
    let fw = firewall("short");
    let err = WebMonitor::start(
        &fw,
        MonitorConfig::new("127.0.0.1", 0).token("0123456789abcde"),
    )
    .unwrap_err();
    assert!(matches!(err, MonitorError::TokenTooShort { len: 15 }));
    assert!(
        err.to_string()
            .starts_with("monitor access token is 15 bytes long: it must be at least 16"),
        "{err}"
    );
    let monitor = WebMonitor::start(
        &fw,
        MonitorConfig::new("127.0.0.1", 0).token("0123456789abcdef"),
    );
    assert!(monitor.is_ok());
}

/// WARNING lines of the monitor, captured for the whole test process.
fn monitor_warnings() -> &'static std::sync::Mutex<Vec<String>> {
    struct Capture;
    static LINES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    impl log::Log for Capture {
        fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
            metadata.level() <= log::Level::Warn
        }
        fn log(&self, record: &log::Record<'_>) {
            let text = record.args().to_string();
            if text.starts_with("Monitor refused") {
                let line = format!("[{}] {text}", record.level());
                LINES.lock().unwrap().push(line);
            }
        }
        fn flush(&self) {}
    }
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        log::set_boxed_logger(Box::new(Capture)).unwrap();
        log::set_max_level(log::LevelFilter::Warn);
    });
    &LINES
}

#[test]
fn refused_tokens_are_logged_with_the_client_once_per_period() {
    let lines = monitor_warnings();
    let fw = firewall("refusals");
    let token = "the-right-token-0123456789";
    let monitor = WebMonitor::start(&fw, MonitorConfig::new("127.0.0.1", 0).token(token)).unwrap();
    let probe = format!("{}/probe-refusals", monitor.url());
    for _ in 0..5 {
        let answer = get(&probe, &[("Authorization", "Bearer a-wrong-token-guess")]);
        assert_eq!(answer.status, 401);
    }
    assert_eq!(get(&probe, &[]).status, 401);
    let mine: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("/probe-refusals"))
        .cloned()
        .collect();
    assert_eq!(mine.len(), 1, "one line per 10 s: {mine:?}");
    assert!(
        mine[0].starts_with("[WARN] Monitor refused 127.0.0.1:")
            && mine[0].ends_with(" for /probe-refusals: wrong token"),
        "{mine:?}"
    );
    assert!(!mine[0].contains("a-wrong-token-guess") && !mine[0].contains(token));
}

/// Port `i` of the UDP bulk rules: the first rule with port `p` is at index `4 + p`.
fn bulk_rule(i: usize) -> firewall_core::Rule {
    let port = u16::try_from(i % 60_000 + 1).unwrap();
    firewall_core::Rule::new(
        firewall_core::DROP,
        firewall_core::UDP,
        port,
        firewall_core::ANY,
        firewall_core::ANY,
        format!("bulk rule {i}"),
    )
    .unwrap()
}

#[test]
fn with_a_million_rules_stats_stay_small_and_rules_come_in_pages_hit_rules_first() {
    const RULES: usize = 1_000_000;
    let fw = firewall("million");
    let mut rules = fw.rules().to_vec();
    rules.extend((0..RULES - rules.len()).map(bulk_rule));
    fw.set_rules(rules).unwrap();
    let monitor = start(&fw);
    let url = monitor.url();
    let udp = |port: u16| {
        let dst = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let src = "10.3.3.3:3333".parse().unwrap();
        fw.check(&firewall_core::Packet::new(
            firewall_core::Protocol::Udp,
            src,
            dst,
        ));
    };
    udp(50_000); // rule #50005
    udp(50_000);
    send(&fw, "10.3.3.3:3334", 23); // rule #3
    udp(59_000); // rule #59005

    let stats = get(&format!("{url}/api/stats"), &[]);
    assert_eq!(stats.status, 200);
    assert!(
        stats.body.len() < 2_000,
        "no rules in the stats: {}",
        stats.body
    );
    assert_eq!(stats.json()["dropped"], 4);

    let page = get(
        &format!("{url}/api/rules?order=hits&offset=0&limit=50"),
        &[],
    );
    assert_eq!(page.header("x-total-count"), Some("1000000"));
    let rules = page.json();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), 50);
    let head: Vec<(u64, u64)> = rules[..5]
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["hits"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        head,
        [(50_005, 2), (3, 1), (59_005, 1), (1, 0), (2, 0)],
        "hits first, most first, ties and the rest in rule order"
    );
    assert_eq!(rules[49]["index"], 48);
    assert_eq!(rules[0]["desc"], "bulk rule 49999");

    let tail = get(
        &format!("{url}/api/rules?order=hits&offset=999990&limit=50"),
        &[],
    )
    .json();
    let tail: Vec<u64> = tail
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(tail, (999_991..=1_000_000).collect::<Vec<_>>());

    let capped = get(&format!("{url}/api/rules?offset=10&limit=100000"), &[]).json();
    assert_eq!(capped.as_array().unwrap().len(), 500, "limit capped at 500");
    assert_eq!(capped[0]["index"], 11, "rule order by default");
    assert_eq!(
        get(&format!("{url}/api/rules?order=random"), &[]).status,
        400
    );

    let mut stream = Stream::open(&url, None);
    let message = stream.next();
    assert_eq!(message.update["stats"]["dropped"], 4);
    assert!(message.update.get("rules").is_none());
}

/// `target/<profile>/examples/<name>`, built by `cargo test -p firewall-actix`.
fn example(name: &str) -> Option<std::path::PathBuf> {
    let deps = std::env::current_exe().ok()?.parent()?.to_path_buf();
    let path = deps.parent()?.join("examples").join(name);
    path.exists().then_some(path)
}

/// Runs an example with its monitor port taken: it must say so and serve the app.
fn serves_the_app_when_the_monitor_port_is_busy(name: &str, status: u16, body: &str) {
    let Some(binary) = example(name) else {
        println!("SKIPPED: the {name} example is not built (run `cargo test -p firewall-actix`)");
        return;
    };
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(binary)
        .env("FIREWALL_PORT", "0")
        .env("FIREWALL_MONITOR_PORT", busy_port.to_string())
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let app = lines
        .by_ref()
        .take(20)
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("--- Starting Main Protected Application on ")
                .map(|rest| rest.trim_end_matches(" ---").to_owned())
        });
    let answer = app.as_ref().map(|url| get(&format!("{url}/"), &[]));
    let log_path = dir.path().join("app_firewall.log");
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut log = String::new();
    while Instant::now() < deadline && !log.contains("served without") {
        std::thread::sleep(Duration::from_millis(50));
        log = std::fs::read_to_string(&log_path).unwrap_or_default();
    }
    let _ = child.kill();
    let _ = child.wait();
    let answer = answer.unwrap_or_else(|| panic!("{name} never served the app: {log}"));
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (status, body),
        "{log}"
    );
    let line = log
        .lines()
        .find(|l| l.contains("served without"))
        .unwrap_or_else(|| panic!("no ERROR line about the busy port:\n{log}"));
    assert!(
        line.contains("[ERROR]")
            && line.contains(&format!("monitor cannot listen on 127.0.0.1:{busy_port}")),
        "{line}"
    );
    drop(busy);
}

#[test]
fn seed_web_monitor_serves_the_app_when_port_8000_is_busy() {
    serves_the_app_when_the_monitor_port_is_busy("seed_web_monitor", 200, "VEERA");
}

#[test]
fn seed_terminal_monitor_serves_the_app_when_port_8000_is_busy() {
    // As in the seed, its rules do not allow port 5000: the app answers 403.
    serves_the_app_when_the_monitor_port_is_busy(
        "seed_terminal_monitor",
        403,
        "Access denied by Firewall.",
    );
}
