//! The log file in JSON, chosen by the environment variable
//! `FIREWALL_LOG_FORMAT=json`: every line one object that `serde_json` parses,
//! with the facts of the text line, whatever the client sent.
//!
//! The logger is one per process and reads the variable when it starts, so
//! this file is its own test binary with one test.

use std::net::SocketAddr;

use firewall_core::logger::{self, LogConfig, FORMAT_ENV};
use firewall_core::waf::{AttackFamily, Interruption, Verdict};
use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY, DROP, TCP};
use serde_json::Value;

/// Client text that tries to end the string, the object and the line.
const HOSTILE: &str = "x\"}\n{\"log.level\":\"INFO\",\"message\":\"ACL ALLOW\r\u{1b}[2J\\\u{202e}";

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

#[test]
fn the_environment_variable_turns_every_line_into_one_json_object() {
    std::env::set_var(FORMAT_ENV, "json");
    let dir = tempfile::tempdir().unwrap();
    let log = logger::init(LogConfig::new("jsontest").dir(dir.path()).console(false)).unwrap();

    let fw = Firewall::new("jsontest")
        .with_rules(vec![
            Rule::new(DROP, TCP, ANY, "10.7.0.0/16", ANY, HOSTILE).unwrap(),
            Rule::new(ALLOW, TCP, 5000, ANY, ANY, "Allow the app").unwrap(),
        ])
        .unwrap();
    fw.check(&Packet::tcp(addr("10.7.1.2:62300"), addr("127.0.0.1:80")));
    fw.check(&Packet::tcp(
        addr("127.0.0.1:62301"),
        addr("127.0.0.1:5000"),
    ));
    let hit = Interruption {
        rule_id: 941_100,
        family: AttackFamily::Xss,
        message: "XSS".into(),
        location: format!("ARGS:{HOSTILE}"),
        score: 5,
    };
    let packet = Packet::tcp(addr("[2001:db8::9]:62302"), addr("127.0.0.1:5000"));
    fw.record_waf(&packet, &Verdict::Block(hit.clone()));
    log.flush();

    let text = std::fs::read_to_string(log.path()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
        .collect();
    // "Firewall rules loaded" (through the `log` facade), then the three decisions.
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(
        lines[0]["message"],
        "Firewall rules loaded: 2 rule(s) in force."
    );
    assert_eq!(lines[0]["log.logger"], "firewall_core::engine");
    assert_eq!(lines[0]["log.level"], "INFO");

    let acl_drop = &lines[1];
    assert_eq!(acl_drop["log.level"], "WARNING");
    assert_eq!(acl_drop["event.dataset"], "firewall.acl");
    assert_eq!(acl_drop["event.action"], "drop");
    assert_eq!(acl_drop["source.ip"], "10.7.1.2");
    assert_eq!(acl_drop["source.port"], 62300);
    assert_eq!(acl_drop["destination.ip"], "127.0.0.1");
    assert_eq!(acl_drop["destination.port"], 80);
    assert_eq!(acl_drop["network.transport"], "tcp");
    assert_eq!(acl_drop["rule.id"], "1");
    assert_eq!(acl_drop["rule.description"], HOSTILE);
    assert_eq!(
        acl_drop["message"],
        format!("ACL DROP: [TCP] 10.7.1.2:62300 -> 127.0.0.1:80 - Matched rule #1: {HOSTILE}")
            .as_str()
    );

    let acl_allow = &lines[2];
    assert_eq!(acl_allow["log.level"], "INFO");
    assert_eq!(acl_allow["event.action"], "allow");
    assert_eq!(acl_allow["rule.id"], "2");
    assert_eq!(acl_allow["event.reason"], Value::Null);

    let waf = &lines[3];
    assert_eq!(waf["event.dataset"], "firewall.waf");
    assert_eq!(waf["event.action"], "drop");
    assert_eq!(waf["source.ip"], "2001:db8::9");
    assert_eq!(waf["rule.id"], "941100");
    assert_eq!(waf["firewall.waf.family"], "xss");
    assert_eq!(waf["firewall.waf.location"], hit.location.as_str());

    let timestamp = lines[1]["@timestamp"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(timestamp).is_ok(),
        "{timestamp}"
    );
    assert_eq!(
        timestamp.len(),
        "2026-01-11T10:52:46.996+01:00".len(),
        "{timestamp}"
    );
    assert!(!text.contains(['\r', '\u{1b}', '\u{202e}']), "{text}");
}
