//! The web monitor's bans on real sockets: `GET /api/bans` lists the bans
//! made in code, `POST /api/bans/unban` and `POST /api/bans` change them only
//! with the token and never from another origin, a `GET` never does, and
//! each change writes its `UNBAN` or `BAN` line to the firewall's log.

mod monitor_support;
mod support;

use std::time::Duration;

use firewall_actix::monitor::{MonitorConfig, MonitorHandle, WebMonitor};
use firewall_core::Firewall;
use monitor_support::{firewall, get, request, Answer};

const TOKEN: &str = "bans-token-0123456789";
const HOSTILE_REASON: &str = "<img src=x onerror=alert(1)>\r\n[INFO] forged line";

fn start(fw: &Firewall, token: Option<&str>) -> MonitorHandle {
    let mut config = MonitorConfig::new("127.0.0.1", 0).interval(Duration::from_millis(100));
    if let Some(token) = token {
        config = config.token(token);
    }
    WebMonitor::start(fw, config).unwrap()
}

fn bearer() -> (&'static str, String) {
    ("Authorization", format!("Bearer {TOKEN}"))
}

/// POST `body` as JSON to `path` with `headers`.
fn post(monitor: &MonitorHandle, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    request(
        "POST",
        &format!("{}{path}", monitor.url()),
        &all,
        Some(body),
    )
}

fn ban(fw: &Firewall, ip: &str, secs: u64, reason: &str) {
    fw.bans()
        .ban(ip.parse().unwrap(), Duration::from_secs(secs), reason)
        .unwrap();
}

#[test]
fn the_list_shows_bans_made_in_code_newest_first_with_raw_text() {
    let fw = firewall("banlist");
    let monitor = start(&fw, None);
    ban(&fw, "203.0.113.7", 600, "20 WAF drops in 60s");
    std::thread::sleep(Duration::from_millis(5)); // a later `since`
    ban(&fw, "2001:db8::7", 3_600, HOSTILE_REASON);

    let answer = get(&format!("{}/api/bans", monitor.url()), &[]);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("x-total-count"), Some("2"));
    let list = answer.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["key"], "2001:db8::/64", "newest first, by network");
    assert_eq!(list[0]["reason"], HOSTILE_REASON, "raw text in JSON");
    assert_eq!(list[0]["origin"], "manual");
    assert_eq!(list[1]["key"], "203.0.113.7");
    assert_eq!(list[1]["reason"], "20 WAF drops in 60s");
    let left = list[1]["seconds_left"].as_u64().unwrap();
    assert!((590..=600).contains(&left), "{left}");
    let (since, until) = (
        list[1]["since"].as_str().unwrap(),
        list[1]["until"].as_str().unwrap(),
    );
    assert_eq!(since.len(), "2026-01-11 10:52:46,996".len(), "{since}");
    assert!(since < until, "{since} < {until}");

    let page = get(&format!("{}/api/bans?offset=1&limit=1", monitor.url()), &[]);
    assert_eq!(page.json()[0]["key"], "203.0.113.7");
    let stats = get(&format!("{}/api/stats", monitor.url()), &[]).json();
    assert_eq!(stats["active_bans"], 2);
}

#[test]
fn unban_needs_the_token_and_the_monitors_own_origin_and_logs_unban() {
    let log = support::log_file("monitor_bans");
    let fw = firewall("unban");
    let monitor = start(&fw, Some(TOKEN));
    let ip = "198.51.100.23".parse().unwrap();
    ban(&fw, "198.51.100.23", 600, "credential stuffing\r\nfake");
    let body = r#"{"key":"198.51.100.23"}"#;
    let (auth, value) = bearer();

    let no_token = post(&monitor, "/api/bans/unban", &[], body);
    assert_eq!(no_token.status, 401, "{}", no_token.body);
    let wrong = post(
        &monitor,
        "/api/bans/unban",
        &[("Authorization", "Bearer not-the-token-at-all")],
        body,
    );
    assert_eq!(wrong.status, 401);
    for foreign in ["http://evil.example", "null", "http://127.0.0.1:1"] {
        let answer = post(
            &monitor,
            "/api/bans/unban",
            &[(auth, &value), ("Origin", foreign)],
            body,
        );
        assert_eq!(answer.status, 403, "{foreign}: {}", answer.body);
        assert!(answer.body.contains("another origin"), "{}", answer.body);
    }
    let get_unban = get(
        &format!("{}/api/bans/unban", monitor.url()),
        &[(auth, &value)],
    );
    assert_eq!(get_unban.status, 405);
    assert_eq!(get_unban.header("allow"), Some("POST"));
    let form = request(
        "POST",
        &format!("{}/api/bans/unban", monitor.url()),
        &[
            (auth, &value),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some("key=198.51.100.23"),
    );
    assert_eq!(form.status, 415, "a plain form cannot unban");
    assert!(
        fw.bans().is_banned(ip).is_some(),
        "still banned after every refusal"
    );

    let own = format!("http://{}", monitor.addr());
    let answer = post(
        &monitor,
        "/api/bans/unban",
        &[(auth, &value), ("Origin", &own)],
        body,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["key"], "198.51.100.23");
    assert!(fw.bans().is_banned(ip).is_none());
    let list = get(&format!("{}/api/bans", monitor.url()), &[(auth, &value)]);
    assert_eq!(list.header("x-total-count"), Some("0"));
    // One line, in whatever words the core gives an UNBAN (a second line
    // would mean the unban is logged twice), with the reason escaped once.
    let lines = support::log_lines_with(&log, "UNBAN: 198.51.100.23 ");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("credential stuffing\\r\\nfake"),
        "{lines:?}"
    );
    assert!(support::log_lines_with(&log, "fake")
        .iter()
        .all(|l| l.contains("UNBAN") || l.contains("BAN:")));

    let again = post(&monitor, "/api/bans/unban", &[(auth, &value)], body);
    assert_eq!(again.status, 404, "{}", again.body);
    ban(&fw, "2001:db8:5::9", 600, "v6");
    let by_network = post(
        &monitor,
        "/api/bans/unban",
        &[(auth, &value)],
        r#"{"key":"2001:db8:5::/64"}"#,
    );
    assert_eq!(by_network.status, 200, "no Origin: {}", by_network.body);
    assert!(fw.bans().is_empty());
    let bad = post(
        &monitor,
        "/api/bans/unban",
        &[(auth, &value)],
        r#"{"key":"not-an-address"}"#,
    );
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("`not-an-address`"), "{}", bad.body);
}

#[test]
fn without_a_configured_token_bans_are_read_only() {
    let fw = firewall("readonly");
    let monitor = start(&fw, None);
    ban(&fw, "192.0.2.55", 600, "scanner");
    let body = r#"{"key":"192.0.2.55"}"#;
    let answer = post(&monitor, "/api/bans/unban", &[], body);
    assert_eq!(answer.status, 403);
    assert!(
        answer.body.contains("started with an access token"),
        "{}",
        answer.body
    );
    assert!(fw.bans().is_banned("192.0.2.55".parse().unwrap()).is_some());
}

#[test]
fn an_operator_bans_an_address_and_the_ban_line_is_logged() {
    let log = support::log_file("monitor_bans");
    let fw = firewall("manualban");
    let monitor = start(&fw, Some(TOKEN));
    let (auth, value) = bearer();
    let body = r#"{"key":"203.0.113.99","seconds":120,"reason":"abuse report #7"}"#;
    let foreign = post(
        &monitor,
        "/api/bans",
        &[(auth, &value), ("Origin", "https://evil.example")],
        body,
    );
    assert_eq!(foreign.status, 403);
    assert!(fw.bans().is_empty());

    let made = post(&monitor, "/api/bans", &[(auth, &value)], body);
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(made.json()["reason"], "abuse report #7");
    assert!(fw
        .bans()
        .is_banned("203.0.113.99".parse().unwrap())
        .is_some());
    let lines = support::log_lines_with(&log, "BAN: 203.0.113.99");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("[WARNING] BAN: 203.0.113.99 for 2m until ")
            && lines[0].ends_with(" (manual): abuse report #7"),
        "{lines:?}"
    );

    let forged = r#"{"key":"203.0.113.98","seconds":60,"reason":"x\nBAN: forged"}"#;
    assert_eq!(
        post(&monitor, "/api/bans", &[(auth, &value)], forged).status,
        400
    );
    let get_ban = get(
        &format!("{}/api/bans?key=203.0.113.98", monitor.url()),
        &[(auth, &value)],
    );
    assert_eq!(get_ban.status, 200, "a GET only lists");
    assert_eq!(fw.bans().len(), 1);
}

#[test]
fn with_100_000_bans_the_list_answers_one_bounded_page() {
    let fw = firewall("manybans");
    let monitor = start(&fw, None);
    for i in 0..100_000u32 {
        let ip = std::net::IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
        fw.bans().ban(ip, Duration::from_secs(600), "bulk").unwrap();
    }
    let answer = get(&format!("{}/api/bans", monitor.url()), &[]);
    assert_eq!(answer.header("x-total-count"), Some("100000"));
    assert_eq!(
        answer.json().as_array().unwrap().len(),
        500,
        "capped at 500"
    );
    assert!(answer.body.len() < 100_000, "{} bytes", answer.body.len());
    let asked = get(&format!("{}/api/bans?limit=100000", monitor.url()), &[]);
    assert_eq!(asked.json().as_array().unwrap().len(), 500);
    let stats = get(&format!("{}/api/stats", monitor.url()), &[]).json();
    assert_eq!(stats["active_bans"], 100_000);
}
