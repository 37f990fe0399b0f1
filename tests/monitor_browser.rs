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
    let monitor = WebMonitor::start(fw.clone(), config).unwrap();

    chrome.open(&format!("{}/", monitor.url()));
    chrome.wait_for("document.getElementById('status').textContent === 'live'");
    chrome.wait_for("document.getElementById('app').textContent === 'browser'");
    chrome.wait_for("document.querySelectorAll('#rules tr').length === 5");
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
    chrome.wait_for(
        "document.querySelector('#rules tr:nth-child(3) td:last-child').textContent === '1'",
    );
}

#[test]
fn client_controlled_text_stays_text() {
    let Some(mut chrome) = Chrome::launch("client_controlled_text_stays_text") else {
        return;
    };
    let fw = firewall("xss");
    let config = MonitorConfig::new("127.0.0.1", 0).interval(Duration::from_millis(200));
    let monitor = WebMonitor::start(fw.clone(), config).unwrap();
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
        .token("t0k3n")
        .interval(Duration::from_millis(200));
    let monitor = WebMonitor::start(fw.clone(), config).unwrap();
    for i in 0..12u16 {
        send(&fw, &format!("127.0.0.1:{}", 50000 + i), 5000);
        send(
            &fw,
            &format!("203.0.113.{}:4{i:04}", i % 3 + 1),
            [23, 80, 443, 8080][usize::from(i % 4)],
        );
    }
    chrome.open(&format!("{}/?token=t0k3n", monitor.url()));
    chrome.wait_for("document.getElementById('status').textContent === 'live'");
    chrome.wait_for("document.getElementById('allowed').textContent === '12'");
    assert!(chrome
        .eval("document.getElementById('report').href")
        .as_str()
        .unwrap()
        .ends_with("/api/report?token=t0k3n"));

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
