//! The level set in `LogConfig` holds for the firewall's own lines too: at
//! WARNING the file gets the DROP lines and no ALLOW line. (Its own test
//! binary: the logger is one per process.)

use firewall_core::logger::{self, LogConfig};
use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY, TCP};

#[test]
fn at_warning_only_drops_are_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = logger::init(
        LogConfig::new("leveltest")
            .dir(dir.path())
            .console(false)
            .level(log::LevelFilter::Warn),
    )
    .expect("logger starts");
    let fw = Firewall::new("leveltest")
        .with_rules(vec![Rule::new(ALLOW, TCP, 5000, ANY, ANY, "app").unwrap()])
        .unwrap();
    let to = |port: u16| {
        Packet::tcp(
            "10.1.1.1:40000".parse().unwrap(),
            ([127, 0, 0, 1], port).into(),
        )
    };
    assert!(fw.check(&to(5000)).is_allowed());
    assert!(!fw.check(&to(5001)).is_allowed());
    log::info!(target: logger::TARGET, "an info line");
    log.flush();

    let text = std::fs::read_to_string(log.path()).expect("log file");
    let messages: Vec<&str> = text.lines().map(|line| &line[24..]).collect();
    assert_eq!(
        messages,
        ["[WARNING] ACL DROP: [TCP] 10.1.1.1:40000 -> 127.0.0.1:5001 - No matching allow rule."]
    );
}
