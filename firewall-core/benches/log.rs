//! What the per-request log line costs: `Firewall::check` with the file
//! logger on and off, in the same run (the ratio is the figure), for ALLOW
//! and DROP lines from IPv4 and IPv6 clients, and a WAF line.
//!
//! The figure is the CPU time of the whole process (every thread, from
//! `/proc/self/task/*/schedstat`) per call, not wall time: the writer
//! thread's work counts, and other programs on a busy machine do not
//! (wall time on this 2-core VM swung 2x between identical runs). Each
//! batch ends with `logger::flush()`, so the writer's share of the batch is
//! in it; the file is emptied between batches (untimed) so the bench does
//! not fill the disk. Without `/proc`, wall time is used.
//!
//! `cargo bench -p firewall-core --bench log`

use std::fs::OpenOptions;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use firewall_core::logger::{self, LogConfig};
use firewall_core::waf::{AttackFamily, Interruption, Verdict};
use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY, DROP, TCP};

/// Ten rules as a small app has them; loopback and `2001:db8::/32` are allowed
/// by the last rules, port 23 and 443 are dropped by explicit rules.
fn firewall() -> Firewall {
    let rule = |action, port: u16, net: &str, desc: &str| {
        Rule::new(action, TCP, port, net, ANY, desc).expect("valid rule")
    };
    let mut rules = vec![
        rule(DROP, 23, "ANY", "Blocks Telnet"),
        rule(DROP, 443, "ANY", "Blocks HTTPS from anywhere"),
    ];
    for i in 0..6u8 {
        rules.push(rule(ALLOW, 8000, &format!("10.{i}.0.0/16"), "internal"));
    }
    rules.push(Rule::new(ALLOW, TCP, ANY, "127.0.0.0/8", ANY, "loopback").expect("valid"));
    rules.push(Rule::new(ALLOW, TCP, ANY, "2001:db8::/32", ANY, "docs v6").expect("valid"));
    Firewall::new("logbench")
        .with_rules(rules)
        .expect("valid set")
}

fn packet(src: &str, dst: &str) -> Packet {
    Packet::tcp(src.parse().expect("addr"), dst.parse().expect("addr"))
}

/// (name, packet, expected to be allowed)
fn cases() -> Vec<(&'static str, Packet, bool)> {
    vec![
        (
            "allow_v4",
            packet("127.0.0.1:54321", "127.0.0.1:5000"),
            true,
        ),
        (
            "allow_v6",
            packet("[2001:db8:85a3::8a2e:370:7334]:54321", "[2001:db8::1]:5000"),
            true,
        ),
        (
            "drop_rule_v4",
            packet("192.168.29.83:62075", "127.0.0.1:443"),
            false,
        ),
        (
            "drop_nomatch_v6",
            packet("[fe80::1ff:fe23:4567:890a]:62075", "[::1]:5000"),
            false,
        ),
    ]
}

fn empty(path: &Path) {
    let file = OpenOptions::new().write(true).open(path).expect("log file");
    file.set_len(0).expect("truncate log file");
}

/// CPU time used so far by every thread of this process, if `/proc` tells.
fn process_cpu() -> Option<Duration> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// The process CPU time (else wall time) of `iters` calls of `step` plus the
/// flush that puts their lines on disk.
fn timed(iters: u64, path: &Path, mut step: impl FnMut()) -> Duration {
    let (wall, cpu) = (Instant::now(), process_cpu());
    for _ in 0..iters {
        step();
    }
    logger::flush();
    let elapsed = match (cpu, process_cpu()) {
        (Some(before), Some(after)) => after.saturating_sub(before),
        _ => wall.elapsed(),
    };
    empty(path);
    elapsed
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = logger::init(LogConfig::new("logbench").dir(dir.path()).console(false))
        .expect("logger starts");
    let path = log.path().to_path_buf();
    let fw = firewall();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut group = c.benchmark_group("check");
    for (name, packet, allowed) in cases() {
        assert_eq!(fw.check(&packet).is_allowed(), allowed, "{name}");
        for (mode, level) in [
            ("log_off", log::LevelFilter::Off),
            ("log_on", log::LevelFilter::Info),
        ] {
            group.bench_function(BenchmarkId::new(mode, name), |b| {
                log::set_max_level(level);
                b.iter_custom(|iters| {
                    timed(iters, &path, || {
                        black_box(fw.check(black_box(&packet)));
                    })
                });
            });
        }
    }
    let hit = Interruption {
        rule_id: 942_100,
        family: AttackFamily::Sqli,
        message: "SQL injection".into(),
        location: "ARGS:id".into(),
        score: 5,
    };
    let verdict = Verdict::Block(hit);
    let waf_packet = packet("10.0.0.7:51234", "127.0.0.1:5000");
    for (mode, level) in [
        ("log_off", log::LevelFilter::Off),
        ("log_on", log::LevelFilter::Info),
    ] {
        group.bench_function(BenchmarkId::new(mode, "waf_drop_v4"), |b| {
            log::set_max_level(level);
            b.iter_custom(|iters| {
                timed(iters, &path, || {
                    fw.record_waf(black_box(&waf_packet), black_box(&verdict));
                })
            });
        });
    }
    log::set_max_level(log::LevelFilter::Info);
    group.finish();
    c.final_summary();
    let lines = std::fs::read_to_string(&path).unwrap_or_default();
    println!("log file after the run: {} bytes", lines.len());
}
