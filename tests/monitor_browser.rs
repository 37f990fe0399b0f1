//! The Sentinel SOC page in a real headless Chromium against a real server on
//! 127.0.0.1: it loads, goes live, its counters and event stream follow real
//! traffic, client-controlled text stays text, and it looks presentable.
//! Skips (with a printed message) when chromium is not installed.

mod monitor_support;

use std::net::SocketAddr;
use std::time::Duration;

use firewall_actix::monitor::{MonitorConfig, WebMonitor};
use firewall_core::Protocol;
use monitor_support::cdp::Chrome;
use monitor_support::{firewall, get, send, TestApp, XSS_DESC, XSS_REASON};
use serde_json::json;

fn text_of(chrome: &mut Chrome, id: &str) -> String {
    chrome
        .eval(&format!("document.getElementById('{id}').textContent"))
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_page_goes_live_and_follows_real_traffic() {
    let Some(mut chrome) = Chrome::launch("the_page_goes_live_and_follows_real_traffic") else {
        return;
    };
    let fw = firewall("browser");
    let app = TestApp::start(fw.clone());
    let config = MonitorConfig::new("127.0.0.1", 0).interval(Duration::from_millis(200));
    let monitor = WebMonitor::start(&fw, config).unwrap();

    chrome.open(&format!("{}/", monitor.url()));
    chrome.wait_for("document.getElementById('status').textContent === 'live'");
    chrome.wait_for("document.getElementById('app').textContent === 'browser'");
    chrome.wait_for("document.querySelectorAll('#rules tr').length === 5");
    chrome.wait_for("document.getElementById('store').textContent.startsWith('Store: in process')");
    assert_eq!(text_of(&mut chrome, "allowed"), "0");

    for _ in 0..3 {
        assert_eq!(get(&format!("http://{}/", app.addr), &[]).body, "VEERA");
    }
    chrome.wait_for("document.getElementById('allowed').textContent === '3'");
    chrome.wait_for("document.querySelector('#events tr.allow') !== null");
    let row = chrome.eval("document.querySelector('#events tr.allow').textContent");
    assert!(
        row.as_str().unwrap().contains("ALLOWTCP127.0.0.1:"),
        "{row}"
    );

    send(&fw, "10.6.6.6:6667", 23);
    chrome.wait_for("document.getElementById('dropped').textContent === '1'");
    chrome.wait_for("[...document.querySelectorAll('#events tr.drop')].some(r => r.textContent.includes('10.6.6.6:6667'))");
    chrome.wait_for("document.querySelector('#blocked td') !== null && document.querySelector('#blocked td').textContent === '10.6.6.6'");
    // Rules with hits first, most first: #5 (the app, 3 hits), #3 (telnet, 1), then #1.
    chrome.wait_for(
        "[...document.querySelectorAll('#rules tr')].map(r => r.firstChild.textContent + ':' + r.lastChild.textContent).join(' ') \
         === '5:3 3:1 1:0 2:0 4:0'",
    );
    assert_eq!(text_of(&mut chrome, "rules-range"), "1–5 of 5");
}

/// The `data-seq` of every row of the live table, top (newest) first.
fn event_seqs(chrome: &mut Chrome) -> Vec<u64> {
    let seqs = chrome
        .eval("[...document.querySelectorAll('#events tr')].map(r => Number(r.dataset.seq || 0))");
    seqs.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().unwrap())
        .collect()
}

#[test]
fn after_a_reconnect_the_table_has_no_duplicate_rows() {
    let Some(mut chrome) = Chrome::launch("after_a_reconnect_the_table_has_no_duplicate_rows")
    else {
        return;
    };
    let fw = firewall("reconnect");
    let every = Duration::from_millis(200);
    let monitor =
        WebMonitor::start(&fw, MonitorConfig::new("127.0.0.1", 0).interval(every)).unwrap();
    let addr = monitor.addr();
    for i in 0..5 {
        send(&fw, &format!("10.7.7.7:{}", 1000 + i), 23);
    }
    chrome.open(&format!("{}/", monitor.url()));
    chrome.wait_for("document.getElementById('status').textContent === 'live'");
    chrome.wait_for("document.querySelectorAll('#events tr').length === 5");

    monitor.stop(); // the page's stream breaks: it retries on its own
    chrome.wait_for("document.getElementById('status').textContent !== 'live'");
    for i in 5..8 {
        send(&fw, &format!("10.7.7.7:{}", 1000 + i), 23);
    }
    let config = MonitorConfig::new("127.0.0.1", addr.port()).interval(every);
    let _monitor = WebMonitor::start(&fw, config).unwrap();
    chrome.wait_for("document.getElementById('status').textContent === 'live'");
    chrome.wait_for("[...document.querySelectorAll('#events tr')].some(r => r.textContent.includes('10.7.7.7:1007'))");
    assert_eq!(
        event_seqs(&mut chrome),
        [8, 7, 6, 5, 4, 3, 2, 1],
        "each decision once, the ones made while disconnected included"
    );
}

#[test]
fn a_burst_the_stream_cannot_carry_is_shown_as_a_count_and_rules_are_paged() {
    let Some(mut chrome) =
        Chrome::launch("a_burst_the_stream_cannot_carry_is_shown_as_a_count_and_rules_are_paged")
    else {
        return;
    };
    let fw = firewall("burst");
    let mut rules = fw.rules().to_vec();
    for port in 0..115u16 {
        rules.push(
            firewall_core::Rule::new(
                firewall_core::DROP,
                firewall_core::UDP,
                10_000 + port,
                firewall_core::ANY,
                firewall_core::ANY,
                format!("bulk {port}"),
            )
            .unwrap(),
        );
    }
    fw.set_rules(rules).unwrap();
    let config = MonitorConfig::new("127.0.0.1", 0).interval(Duration::from_millis(500));
    let monitor = WebMonitor::start(&fw, config).unwrap();
    chrome.open(&format!("{}/", monitor.url()));
    chrome.wait_for("document.getElementById('status').textContent === 'live'");
    chrome.wait_for("document.getElementById('rules-range').textContent === '1–50 of 120'");
    chrome.eval("document.getElementById('rules-next').click()");
    chrome.wait_for("document.getElementById('rules-range').textContent === '51–100 of 120'");
    assert_eq!(
        chrome.eval("document.querySelector('#rules tr td').textContent"),
        json!("51")
    );

    for i in 0..3000u32 {
        send(&fw, &format!("10.8.{}.{}:1000", i / 250, i % 250), 23);
    }
    chrome.wait_for("document.getElementById('dropped').textContent === '3000'");
    chrome.wait_for("!document.getElementById('missed').hidden");
    let notice = text_of(&mut chrome, "missed");
    let (count, since) = notice
        .split_once(" more since ")
        .unwrap_or_else(|| panic!("{notice}"));
    let count: u64 = count.replace(',', "").parse().unwrap();
    assert!(
        (1000..3000).contains(&count) && notice.contains(','),
        "{notice}"
    );
    let time = since.split(' ').next().unwrap();
    assert!(
        time.len() == 8 && time.chars().filter(|c| *c == ':').count() == 2,
        "HH:MM:SS: {notice}"
    );
    let listed = chrome.eval("document.querySelectorAll('#events tr:not(.gap)').length");
    assert_eq!(listed, json!(100), "the newest 100 rows");
}

#[test]
fn client_controlled_text_stays_text() {
    let Some(mut chrome) = Chrome::launch("client_controlled_text_stays_text") else {
        return;
    };
    let fw = firewall("xss");
    let config = MonitorConfig::new("127.0.0.1", 0).interval(Duration::from_millis(200));
    let monitor = WebMonitor::start(&fw, config).unwrap();
    chrome.open(&format!("{}/", monitor.url()));
    chrome.wait_for("document.getElementById('status').textContent === 'live'");

    let src: SocketAddr = "10.6.6.6:1".parse().unwrap();
    fw.record_drop(
        Protocol::Tcp,
        src,
        "127.0.0.1:5000".parse().unwrap(),
        XSS_REASON,
    );
    send(&fw, "10.6.6.6:2", 23);
    chrome.wait_for("document.querySelectorAll('#events tr').length === 2");

    let cells = chrome.eval("[...document.querySelectorAll('#events td:last-child, #rules td')].map(td => td.textContent)");
    let cells: Vec<&str> = cells
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(cells.contains(&XSS_REASON), "{cells:?}");
    assert!(
        cells.contains(&format!("Matched rule #3: {XSS_DESC}").as_str()),
        "{cells:?}"
    );
    assert!(cells.contains(&XSS_DESC), "{cells:?}");
    let html = chrome.eval("document.getElementById('events').innerHTML");
    assert!(
        html.as_str()
            .unwrap()
            .contains("&lt;img src=x onerror=\"window.__xss=2\"&gt;"),
        "{html}"
    );
    let injected = chrome.eval(
        "({xss: window.__xss === undefined ? null : window.__xss,
           scripts: document.querySelectorAll('script').length,
           imgs: document.querySelectorAll('img').length})",
    );
    assert_eq!(injected, json!({"xss": null, "scripts": 1, "imgs": 0}));
}

#[test]
fn a_screenshot_of_a_token_protected_dashboard_is_presentable() {
    let Some(mut chrome) =
        Chrome::launch("a_screenshot_of_a_token_protected_dashboard_is_presentable")
    else {
        return;
    };
    let fw = firewall("shop");
    let config = MonitorConfig::new("127.0.0.1", 0)
        .token("t0k3n-t0k3n-t0k3n")
        .interval(Duration::from_millis(200));
    let monitor = WebMonitor::start(&fw, config).unwrap();
    for i in 0..12u16 {
        send(&fw, &format!("127.0.0.1:{}", 50000 + i), 5000);
        send(
            &fw,
            &format!("203.0.113.{}:4{i:04}", i % 3 + 1),
            [23, 80, 443, 8080][usize::from(i % 4)],
        );
    }
    fw.bans()
        .ban(
            "203.0.113.2".parse().unwrap(),
            Duration::from_secs(3_600),
            "20 WAF drops in 60s",
        )
        .unwrap();
    fw.record_drop(
        Protocol::Tcp,
        "198.51.100.4:5123".parse().unwrap(),
        "127.0.0.1:5000".parse().unwrap(),
        "ACL ALLOW by rule #5, then RATE DROP: limit \"login\" 5/60s",
    );
    chrome.open(&format!("{}/?token=t0k3n-t0k3n-t0k3n", monitor.url()));
    chrome.wait_for("document.getElementById('status').textContent === 'live'");
    chrome.wait_for("document.getElementById('allowed').textContent === '12'");
    chrome.wait_for("document.querySelectorAll('#bans tr').length === 1");
    assert!(chrome
        .eval("document.getElementById('report').href")
        .as_str()
        .unwrap()
        .ends_with("/api/report?token=t0k3n-t0k3n-t0k3n"));

    let png = chrome.screenshot(1280, 900);
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sentinel_soc_dashboard.png");
    std::fs::write(&path, &png).unwrap();
    println!("screenshot: {}", path.display());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (width, height) = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!((width, height), (1280, 900));
    assert!(
        png.len() > 20_000,
        "a dashboard with data is not a blank page: {} bytes",
        png.len()
    );
}

#[test]
fn the_ban_panel_lists_bans_as_text_and_unbans_and_rate_refusals_are_marked() {
    let Some(mut chrome) =
        Chrome::launch("the_ban_panel_lists_bans_as_text_and_unbans_and_rate_refusals_are_marked")
    else {
        return;
    };
    let fw = firewall("bans");
    let token = "t0k3n-of-the-ban-panel";
    let config = MonitorConfig::new("127.0.0.1", 0)
        .token(token)
        .interval(Duration::from_millis(200));
    let monitor = WebMonitor::start(&fw, config).unwrap();
    let hostile = "<img src=x onerror=\"window.__xss=3\"> credential stuffing";
    fw.bans()
        .ban(
            "203.0.113.7".parse().unwrap(),
            Duration::from_secs(600),
            hostile,
        )
        .unwrap();
    fw.bans()
        .ban(
            "2001:db8::1".parse().unwrap(),
            Duration::from_secs(60),
            "scanner",
        )
        .unwrap();

    chrome.open(&format!("{}/?token={token}", monitor.url()));
    chrome.wait_for("document.getElementById('status').textContent === 'live'");
    chrome.wait_for("document.querySelectorAll('#bans tr').length === 2");
    chrome.wait_for("document.getElementById('active-bans').textContent === '2'");
    let rows = chrome.eval(
        "[...document.querySelectorAll('#bans tr')].map(r => [...r.cells].slice(0, 3).map(c => c.textContent))",
    );
    assert_eq!(
        rows,
        json!([
            ["2001:db8::/64", "scanner", "manual"],
            ["203.0.113.7", hostile, "manual"]
        ])
    );
    let injected = chrome.eval(
        "({xss: window.__xss === undefined ? null : window.__xss,
           imgs: document.querySelectorAll('img').length})",
    );
    assert_eq!(injected, json!({"xss": null, "imgs": 0}));

    chrome
        .eval("document.querySelector('#bans tr[data-key=\"203.0.113.7\"] button.unban').click()");
    chrome.wait_for("document.querySelectorAll('#bans tr').length === 1");
    assert_eq!(text_of(&mut chrome, "bans-status"), "Unbanned 203.0.113.7");
    assert!(fw
        .bans()
        .is_banned("203.0.113.7".parse().unwrap())
        .is_none());

    let (src, dst) = (
        "198.51.100.4:5123".parse().unwrap(),
        "127.0.0.1:5000".parse().unwrap(),
    );
    for _ in 0..3 {
        fw.record_drop(
            Protocol::Tcp,
            src,
            dst,
            "ACL ALLOW by rule #5, then RATE DROP: limit \"login\" 5/60s",
        );
    }
    chrome.wait_for("document.getElementById('rate-limited').textContent === '3'");
    chrome.wait_for("document.querySelectorAll('#events tr.drop.rate').length === 3");
    assert_eq!(
        chrome.eval("document.querySelector('#events tr.rate .verdict').textContent"),
        json!("RATE DROP")
    );
}
