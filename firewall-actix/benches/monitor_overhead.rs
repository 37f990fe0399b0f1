//! What watching costs the protected app: `Firewall::check` with the event
//! ring off (no monitor) against on (a monitor attached), and with a live
//! monitor sampling every 50 ms. Compare the figures as ratios.

#![allow(missing_docs)] // criterion_group! generates an undocumented public fn

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use firewall_actix::monitor::{MonitorConfig, WebMonitor};
use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY, DROP, TCP};

fn firewall() -> Arc<Firewall> {
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
    Arc::new(Firewall::new("bench").with_rules(rules).unwrap())
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
    let monitor = WebMonitor::start(watched.clone(), config).unwrap();
    group.bench_function("monitor_running", |b| {
        b.iter(|| black_box(watched.check(black_box(&packet))));
    });
    group.finish();
    monitor.stop();
}

criterion_group!(benches, check);
criterion_main!(benches);
