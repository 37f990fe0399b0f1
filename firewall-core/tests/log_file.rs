//! The log file as a user reads it: the seed's format byte for byte, escaped
//! client text, no line lost under concurrent traffic, and no other crate's
//! line.
//!
//! The logger is one per process, so this file is its own test binary with
//! one log file; each test finds its lines by a client port no other test uses.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use firewall_core::logger::{self, LogConfig, LogHandle};
use firewall_core::waf::{AttackFamily, Interruption, Verdict};
use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY, DROP, TCP};

fn log_file() -> &'static Path {
    static LOG: OnceLock<(tempfile::TempDir, LogHandle)> = OnceLock::new();
    let (_, handle) = LOG.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let handle = logger::init(LogConfig::new("coretest").dir(dir.path()).console(false))
            .expect("logger starts");
        (dir, handle)
    });
    handle.path()
}

/// The lines of the log file that contain `needle`, after a flush.
fn lines_with(needle: &str) -> Vec<String> {
    logger::flush();
    std::fs::read_to_string(log_file())
        .expect("log file readable")
        .lines()
        .filter(|line| line.contains(needle))
        .map(str::to_owned)
        .collect()
}

/// Splits `2026-01-11 10:52:46,996 [WARNING] message` into (timestamp, rest),
/// checking the timestamp's shape digit by digit.
fn split_timestamp(line: &str) -> (&str, &str) {
    let (stamp, rest) = line.split_at(23);
    let shape: String = stamp
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "9999-99-99 99:99:99,999", "timestamp of {line:?}");
    (
        stamp,
        rest.strip_prefix(' ').expect("a space after the time"),
    )
}

fn seed_firewall() -> Firewall {
    Firewall::new("coretest")
        .with_rules(vec![
            Rule::new(ALLOW, TCP, 80, ANY, ANY, "Permits HTTP").unwrap(),
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
            Rule::new(ALLOW, TCP, 5000, ANY, ANY, "Allow the app").unwrap(),
        ])
        .unwrap()
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

#[test]
fn allowed_and_unmatched_lines_are_the_seeds_format() {
    log_file();
    let fw = seed_firewall();
    fw.check(&Packet::tcp(
        addr("127.0.0.1:62286"),
        addr("127.0.0.1:5000"),
    ));
    fw.check(&Packet::tcp(
        addr("192.168.29.83:62075"),
        addr("127.0.0.1:5001"),
    ));

    let allowed = lines_with(":62286 ");
    assert_eq!(allowed.len(), 1, "{allowed:?}");
    assert_eq!(
        split_timestamp(&allowed[0]).1,
        "[INFO] ACL ALLOW: [TCP] 127.0.0.1:62286 -> 127.0.0.1:5000"
    );
    let dropped = lines_with(":62075 ");
    assert_eq!(dropped.len(), 1, "{dropped:?}");
    assert_eq!(
        split_timestamp(&dropped[0]).1,
        "[WARNING] ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5001 - No matching allow rule."
    );
}

#[test]
fn an_explicit_drop_names_its_rule_and_ipv6_keeps_the_port_readable() {
    log_file();
    let fw = seed_firewall();
    fw.check(&Packet::tcp(addr("10.9.9.9:62001"), addr("10.0.0.7:23")));
    fw.check(&Packet::tcp(addr("[2001:db8::7]:62002"), addr("[::1]:443")));
    fw.check(&Packet::tcp(
        addr("[::ffff:10.1.2.3]:62003"),
        addr("[::1]:5000"),
    ));

    let telnet = lines_with(":62001 ");
    assert_eq!(
        split_timestamp(&telnet[0]).1,
        "[WARNING] ACL DROP: [TCP] 10.9.9.9:62001 -> 10.0.0.7:23 - Matched rule #3: Blocks Telnet to a subnet"
    );
    let https = lines_with(":62002 ");
    assert_eq!(
        split_timestamp(&https[0]).1,
        "[WARNING] ACL DROP: [TCP] [2001:db8::7]:62002 -> [::1]:443 - Matched rule #2: Permits HTTPS"
    );
    let mapped = lines_with(":62003 ");
    assert_eq!(
        split_timestamp(&mapped[0]).1,
        "[INFO] ACL ALLOW: [TCP] 10.1.2.3:62003 -> [::1]:5000"
    );
}

#[test]
fn client_text_cannot_forge_a_line_or_drive_the_terminal() {
    log_file();
    let evil = "/login\r\n2026-01-01 00:00:00,000 [INFO] ACL ALLOW: forged\x1b[2J";
    log::warn!(target: logger::TARGET, "request path {evil} marker-62100");
    let lines = lines_with("marker-62100");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].ends_with(
        "[WARNING] request path /login\\r\\n2026-01-01 00:00:00,000 [INFO] ACL ALLOW: forged\\x1b[2J marker-62100"
    ));
    assert!(lines_with("forged")
        .iter()
        .all(|l| l.contains("marker-62100")));
}

#[test]
fn a_rule_description_is_escaped_in_the_drop_line() {
    log_file();
    let fw = Firewall::new("coretest")
        .with_rules(vec![Rule::new(
            DROP,
            TCP,
            ANY,
            "10.7.0.0/16",
            ANY,
            "No\r\n2026-01-01 00:00:00,000 [INFO] ACL ALLOW: x \\ \x1b[31m\u{202e}",
        )
        .unwrap()])
        .unwrap();
    fw.check(&Packet::tcp(addr("10.7.1.2:62300"), addr("127.0.0.1:80")));
    let lines = lines_with(":62300 ");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        split_timestamp(&lines[0]).1,
        "[WARNING] ACL DROP: [TCP] 10.7.1.2:62300 -> 127.0.0.1:80 - Matched rule #1: \
         No\\r\\n2026-01-01 00:00:00,000 [INFO] ACL ALLOW: x \\\\ \\x1b[31m\\u{202e}"
    );
}

#[test]
fn a_waf_line_escapes_the_clients_argument_name() {
    log_file();
    let fw = seed_firewall();
    let hit = Interruption {
        rule_id: 942_100,
        family: AttackFamily::Sqli,
        message: "SQL injection".into(),
        location: "ARGS:id\r\n2026-01-01 00:00:00,000 [INFO] faked\u{202e}".into(),
        score: 5,
    };
    fw.record_waf(
        &Packet::tcp(addr("[2001:db8::9]:62200"), addr("127.0.0.1:5000")),
        &Verdict::Detected(hit),
    );
    let lines = lines_with(":62200 ");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        split_timestamp(&lines[0]).1,
        "[WARNING] WAF DETECT: [TCP] [2001:db8::9]:62200 -> 127.0.0.1:5000 - SQL injection (942100) \
         in ARGS:id\\r\\n2026-01-01 00:00:00,000 [INFO] faked\\u{202e}"
    );
}

#[test]
fn only_the_firewalls_lines_reach_the_file() {
    log_file();
    log::info!(target: "actix_server::builder", "starting 2 workers marker-62400");
    log::info!(target: "actix_server::server", "Actix runtime found; starting in Actix runtime marker-62400");
    log::warn!("the app's own line marker-62400");
    log::warn!(target: "firewall_demo", "an app named like the firewall marker-62400");
    firewall_core::Firewall::new("log_file")
        .set_rules(Vec::new())
        .unwrap();
    log::error!(target: "firewall_actix::guard", "Firewall Processing Error: marker-62400");

    let lines: Vec<String> = lines_with("marker-62400")
        .iter()
        .map(|line| split_timestamp(line).1.to_owned())
        .collect();
    assert_eq!(
        lines,
        ["[ERROR] Firewall Processing Error: marker-62400"],
        "only the firewall's targets"
    );
    let loaded = lines_with("Firewall rules loaded: 0 rule(s) in force.");
    assert!(!loaded.is_empty(), "firewall_core's own messages are kept");
}

#[test]
fn no_line_is_lost_under_concurrent_traffic() {
    log_file();
    let fw = Arc::new(seed_firewall());
    let threads = 8;
    let per_thread = 5_000u16;
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let fw = fw.clone();
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    let src = SocketAddr::new(
                        format!("172.16.{t}.{}", i % 250).parse().unwrap(),
                        40_000 + i,
                    );
                    fw.check(&Packet::tcp(src, addr("127.0.0.1:5000")));
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let written = lines_with("ACL ALLOW: [TCP] 172.16.");
    assert_eq!(written.len(), threads * usize::from(per_thread));
    assert_eq!(
        fw.stats().allowed,
        (threads * usize::from(per_thread)) as u64
    );
}
