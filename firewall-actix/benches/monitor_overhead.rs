//! What watching costs the protected app: `Firewall::check` with the event
//! ring off (no monitor) against on (a monitor attached), and with a live
//! monitor sampling every 50 ms. Compare the figures as ratios.
//!
//! `million/*`: with 1,000,000 rules, `check` with no monitor, with the
//! event ring recording (what any monitor turns on), and with a
//! monitor and one dashboard open (its stream read as it comes, a page of
//! 50 rules, hit rules first, fetched every 2 s, as the page does), and what
//! the dashboard's calls cost the monitor: `/api/stats` and one rules page.
//!
//! ```sh
//! cargo bench -p firewall-actix --bench monitor_overhead -- million
//! ```

#![allow(missing_docs)] // criterion_group! generates an undocumented public fn

use std::hint::black_box;
use std::io::BufRead;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use firewall_actix::monitor::{MonitorConfig, WebMonitor};
use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY, DROP, TCP, UDP};

fn firewall() -> Firewall {
    let rules = vec![
        Rule::new(DROP, TCP, 80, ANY, ANY, "Permits HTTP").unwrap(),
        Rule::new(DROP, TCP, 443, ANY, ANY, "Permits HTTPS").unwrap(),
        Rule::new(
            DROP,
            TCP,
            23,
            ANY,
            "10.0.0.0/24",
            "Blocks Telnet to a subnet",
        )
        .unwrap(),
        Rule::new(ALLOW, TCP, 22, "192.168.1.10", ANY, "SSH from one IP").unwrap(),
        Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app").unwrap(),
    ];
    Firewall::new("bench").with_rules(rules).unwrap()
}

fn check(c: &mut Criterion) {
    let packet = Packet::tcp(
        "192.168.29.83:62075".parse().unwrap(),
        "127.0.0.1:5000".parse().unwrap(),
    );
    let mut group = c.benchmark_group("check");
    let off = firewall();
    group.bench_function("events_off", |b| {
        b.iter(|| black_box(off.check(black_box(&packet))));
    });
    let on = firewall();
    on.events().enable();
    group.bench_function("events_on", |b| {
        b.iter(|| black_box(on.check(black_box(&packet))));
    });
    let watched = firewall();
    let config = MonitorConfig::new("127.0.0.1", 0).interval(Duration::from_millis(50));
    let monitor = WebMonitor::start(&watched, config).unwrap();
    group.bench_function("monitor_running", |b| {
        b.iter(|| black_box(watched.check(black_box(&packet))));
    });
    group.finish();
    monitor.stop();
}

/// 999,999 UDP rules that never match the TCP probe, then the ALLOW for it.
fn million() -> Firewall {
    let mut rules: Vec<Rule> = (0..999_999u32)
        .map(|i| {
            let port = u16::try_from(i % 60_000 + 1).unwrap();
            Rule::new(DROP, UDP, port, ANY, ANY, format!("bulk rule {i}")).unwrap()
        })
        .collect();
    rules.push(Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app").unwrap());
    Firewall::new("million").with_rules(rules).unwrap()
}

/// One open dashboard: reads the stream and fetches a rules page every 2 s
/// until `stop`.
fn dashboard(url: String, stop: Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<()>> {
    let stream_url = format!("{url}/api/events/stream");
    let stream_stop = stop.clone();
    let stream = std::thread::spawn(move || {
        let agent = ureq::AgentBuilder::new()
            .timeout_read(Duration::from_secs(5))
            .build();
        let Ok(response) = agent.get(&stream_url).call() else {
            return;
        };
        let mut reader = std::io::BufReader::new(response.into_reader());
        let mut line = String::new();
        while !stream_stop.load(Ordering::Relaxed) {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
        }
    });
    let rules = std::thread::spawn(move || {
        let page = format!("{url}/api/rules?order=hits&offset=0&limit=50");
        while !stop.load(Ordering::Relaxed) {
            let _ = ureq::get(&page).call().map(ureq::Response::into_string);
            for _ in 0..20 {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    });
    vec![stream, rules]
}

fn million_rules(c: &mut Criterion) {
    let packet = Packet::tcp(
        "192.168.29.83:62075".parse().unwrap(),
        "127.0.0.1:5000".parse().unwrap(),
    );
    let mut group = c.benchmark_group("million");
    let alone = million();
    group.bench_function("check_no_monitor", |b| {
        b.iter(|| black_box(alone.check(black_box(&packet))));
    });
    alone.events().enable();
    group.bench_function("check_events_recorded", |b| {
        b.iter(|| black_box(alone.check(black_box(&packet))));
    });
    drop(alone);

    let watched = million();
    let monitor = WebMonitor::start(&watched, MonitorConfig::new("127.0.0.1", 0)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let clients = dashboard(monitor.url(), stop.clone());
    group.bench_function("check_dashboard_open", |b| {
        b.iter(|| black_box(watched.check(black_box(&packet))));
    });
    let stats = format!("{}/api/stats", monitor.url());
    group.bench_function("api_stats", |b| {
        b.iter(|| ureq::get(&stats).call().unwrap().into_string().unwrap());
    });
    let page = format!("{}/api/rules?order=hits&offset=0&limit=50", monitor.url());
    group.bench_function("api_rules_page_of_50", |b| {
        b.iter(|| ureq::get(&page).call().unwrap().into_string().unwrap());
    });
    stop.store(true, Ordering::Relaxed);
    monitor.stop();
    for client in clients {
        let _ = client.join();
    }
    group.finish();
}

criterion_group!(benches, check, million_rules);
criterion_main!(benches);
