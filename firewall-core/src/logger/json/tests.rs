//! JSON lines: one object per line whatever the client sent, and the same
//! facts as the text line.

use std::net::SocketAddr;

use log::Level;

use super::*;
use crate::logger::RawMessage;

fn object(write: impl FnOnce(&mut JsonObject<'_>)) -> serde_json::Value {
    let mut out = Vec::new();
    let mut object = JsonObject::begin(&mut out);
    write(&mut object);
    object.end();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn hostile_text_stays_one_string_of_one_line() {
    let hostile = "a\"}\n{\"x\":1\r\u{1b}[31m\\\u{202e}gpj.exe\u{2028}";
    let mut out = Vec::new();
    let mut json = JsonObject::begin(&mut out);
    json.str("message", hostile);
    json.end();
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        !text.contains(['\n', '\r', '\u{1b}', '\u{202e}', '\u{2028}']),
        "{text}"
    );
    assert!(
        text.contains("\\u202e") && text.contains("\\u001b"),
        "{text}"
    );
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(value, serde_json::json!({ "message": hostile }));
}

#[test]
fn kind_and_action_come_from_a_capital_prefix_only() {
    let read = |message| object(|o| kind_and_action(o, message));
    assert_eq!(read("ACL DROP: [TCP] x")["event.dataset"], "firewall.acl");
    assert_eq!(read("ACL DROP: [TCP] x")["event.action"], "drop");
    assert_eq!(
        read("BAN: 10.0.0.1 for 60 s")["event.dataset"],
        "firewall.ban"
    );
    assert_eq!(
        read("BAN: 10.0.0.1")["event.action"],
        serde_json::Value::Null
    );
    for plain in [
        "Firewall rules loaded: 3",
        "no colon",
        "A B C: x",
        "ACL drop: x",
        ": x",
    ] {
        assert_eq!(read(plain), serde_json::json!({}), "{plain}");
    }
}

/// Client text that tries every way out of a string, a line or a terminal.
const HOSTILE: &str =
    "x\"}\n{\"log.level\":\"INFO\",\"message\":\"ACL ALLOW\r\u{1b}[2J\\\u{202e}evil\u{2029}";

/// The text line and the JSON line the logger writes for `message`.
fn both_lines(level: Level, message: &impl RawMessage) -> (String, String) {
    let mut text = String::new();
    crate::logger::format_line(
        level,
        |line| message.write_raw(line),
        |line| {
            text = String::from_utf8(line.to_vec()).unwrap();
        },
    );
    let mut json = String::new();
    crate::logger::format_json_line(
        level,
        crate::logger::TARGET,
        |line| message.write_raw(line),
        |object, text| message.write_json_fields(text, object),
        |line| json = String::from_utf8(line.to_vec()).unwrap(),
    );
    (text, json)
}

/// Parses a JSON line, checking it is one line with nothing a terminal acts on.
fn parse_line(json: &str) -> serde_json::Value {
    let body = json.strip_suffix('\n').expect("ends with a newline");
    assert!(
        !body.contains(|c: char| c.is_control() || crate::logger::escape::is_bidi_or_separator(c)),
        "{json:?}"
    );
    let value: serde_json::Value = serde_json::from_str(body).expect("one JSON object");
    let stamp = value["@timestamp"].as_str().expect("@timestamp");
    assert_eq!(
        stamp.len(),
        "2026-01-11T10:52:46.996+01:00".len(),
        "{stamp}"
    );
    chrono::DateTime::parse_from_rfc3339(stamp).expect("RFC 3339");
    assert_eq!(value["ecs.version"], ECS_VERSION);
    assert_eq!(value["log.logger"], "firewall");
    value
}

fn field<'v>(value: &'v serde_json::Value, key: &str) -> &'v str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {value}"))
}

/// The text message rebuilt from the JSON fields alone.
fn message_from_fields(value: &serde_json::Value) -> String {
    let kind = field(value, "event.dataset").trim_start_matches("firewall.");
    let endpoint = |ip: &str, port: &str| {
        let ip: std::net::IpAddr = field(value, ip).parse().unwrap();
        let port = u16::try_from(value[port].as_u64().unwrap()).unwrap();
        SocketAddr::new(ip, port).to_string()
    };
    let mut message = format!(
        "{} {}: [{}] {} -> {}",
        kind.to_uppercase(),
        field(value, "event.action").to_uppercase(),
        field(value, "network.transport").to_uppercase(),
        endpoint("source.ip", "source.port"),
        endpoint("destination.ip", "destination.port"),
    );
    if let Some(reason) = value["event.reason"].as_str() {
        message.push_str(" - ");
        message.push_str(reason);
    }
    message
}

/// Every fact of the text line is in the JSON line: level, message and the
/// fields it is rebuilt from; the text line is the escaped message.
fn assert_same_facts(text: &str, value: &serde_json::Value) {
    let level = field(value, "log.level");
    let message = field(value, "message");
    assert_eq!(message_from_fields(value), message);
    let after_time = &text[24..];
    assert_eq!(
        after_time,
        format!("[{level}] {}\n", crate::logger::escape(message)),
        "{text:?}"
    );
}

fn packet() -> Packet {
    Packet::tcp(
        "192.168.29.83:62075".parse().unwrap(),
        "[2001:db8::1]:5000".parse().unwrap(),
    )
}

#[test]
fn acl_lines_carry_every_fact_of_the_text_line_whatever_the_description() {
    use crate::logger::AclLine;
    use crate::rule::Action;
    use crate::ruleset::Decision;
    let packet = packet();
    for (action, rule, desc) in [
        (Action::Drop, Some(2), HOSTILE),
        (Action::Drop, Some(0), ""),
        (Action::Drop, None, ""),
        (Action::Allow, Some(4), "Permits HTTP"),
    ] {
        let line = AclLine {
            packet: &packet,
            decision: Decision { action, rule },
            desc,
        };
        let level = if action == Action::Allow {
            Level::Info
        } else {
            Level::Warn
        };
        let (text, json) = both_lines(level, &line);
        let value = parse_line(&json);
        assert_same_facts(&text, &value);
        assert_eq!(value["event.dataset"], "firewall.acl");
        assert_eq!(value["source.ip"], "192.168.29.83");
        assert_eq!(value["destination.port"], 5000);
        match rule {
            Some(index) => assert_eq!(value["rule.id"], (index + 1).to_string()),
            None => assert_eq!(value["event.reason"], "No matching allow rule."),
        }
        if !desc.is_empty() {
            assert_eq!(value["rule.description"], desc);
        }
        if !desc.is_empty() && action == Action::Drop {
            let reason = format!("Matched rule #{}: {desc}", rule.unwrap() + 1);
            assert_eq!(value["event.reason"], reason.as_str());
        }
    }
}

#[test]
fn waf_lines_carry_family_signature_and_location_whatever_the_location() {
    use crate::waf::{AttackFamily, Interruption, WafLine};
    let packet = packet();
    let hit = Interruption {
        rule_id: 942_100,
        family: AttackFamily::Sqli,
        message: "m".into(),
        location: format!("ARGS:{HOSTILE}"),
        score: 5,
    };
    for blocked in [true, false] {
        let line = WafLine {
            packet: &packet,
            interruption: &hit,
            blocked,
        };
        let (text, json) = both_lines(Level::Warn, &line);
        let value = parse_line(&json);
        assert_same_facts(&text, &value);
        assert_eq!(
            value["event.action"],
            if blocked { "drop" } else { "detect" }
        );
        assert_eq!(value["rule.id"], "942100");
        assert_eq!(value["rule.category"], "SQL injection");
        assert_eq!(value["firewall.waf.family"], "sqli");
        assert_eq!(value["firewall.waf.location"], hit.location.as_str());
        let reason = format!("SQL injection (942100) in {}", hit.location);
        assert_eq!(value["event.reason"], reason.as_str());
    }
}
