//! Parses the firewall's documented log lines:
//! `2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] 1.2.3.4:5 -> 127.0.0.1:5000 - No matching allow rule.`

use std::net::SocketAddr;

/// One well-formed log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// `2026-01-11 10:52:46,996`.
    pub time: String,
    /// `INFO`, `WARNING`, `ERROR`...
    pub level: String,
    /// What the line says.
    pub kind: LineKind,
}

/// The message of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    /// A request's decision: `ACL ALLOW`, `ACL DROP`, or `WAF DROP` (its
    /// reason then starts with `WAF: `).
    Acl(Acl),
    /// Any other message (server start, errors...).
    Other(String),
}

/// `ACL ALLOW|DROP: [PROTO] src -> dst[ - reason]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    /// True for ALLOW.
    pub allowed: bool,
    /// `TCP`, `UDP`, `ANY`.
    pub proto: String,
    /// Client endpoint.
    pub src: SocketAddr,
    /// Local endpoint.
    pub dst: SocketAddr,
    /// After ` - ` (empty for ALLOW).
    pub reason: String,
}

/// The line's parts, or `None` when it is not in the documented format.
pub fn parse(line: &str) -> Option<LogLine> {
    let time = line.get(..23)?;
    chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S,%3f").ok()?;
    let rest = line.get(23..)?.strip_prefix(" [")?;
    let (level, message) = rest.split_once("] ")?;
    if level.is_empty() || !level.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let kind = if let Some(acl) = message.strip_prefix("ACL ") {
        LineKind::Acl(parse_acl(acl)?)
    } else if let Some(waf) = message
        .strip_prefix("WAF ")
        .filter(|m| m.starts_with("DROP: "))
    {
        // The one line of a request the WAF refused after the ACL allowed it.
        let mut drop = parse_acl(waf)?;
        drop.reason.insert_str(0, "WAF: ");
        LineKind::Acl(drop)
    } else {
        LineKind::Other(message.to_owned())
    };
    Some(LogLine {
        time: time.to_owned(),
        level: level.to_owned(),
        kind,
    })
}

fn parse_acl(text: &str) -> Option<Acl> {
    let (verdict, rest) = text.split_once(": [")?;
    let allowed = match verdict {
        "ALLOW" => true,
        "DROP" => false,
        _ => return None,
    };
    let (proto, rest) = rest.split_once("] ")?;
    let (src, rest) = rest.split_once(" -> ")?;
    let (dst, reason) = match rest.split_once(" - ") {
        Some((dst, reason)) => (dst, reason),
        None => (rest, ""),
    };
    Some(Acl {
        allowed,
        proto: proto.to_owned(),
        src: src.parse().ok()?,
        dst: dst.parse().ok()?,
        reason: reason.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeds_drop_line() {
        let line = parse("2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.").unwrap();
        assert_eq!(
            (line.time.as_str(), line.level.as_str()),
            ("2026-01-11 10:52:46,996", "WARNING")
        );
        let LineKind::Acl(acl) = line.kind else {
            panic!("not ACL")
        };
        assert!(!acl.allowed);
        assert_eq!(acl.src, "192.168.29.83:62075".parse().unwrap());
        assert_eq!(acl.reason, "No matching allow rule.");
    }

    #[test]
    fn the_seeds_allow_line_and_ipv6() {
        let line =
            parse("2026-01-11 11:07:39,364 [INFO] ACL ALLOW: [TCP] [::1]:62286 -> [::1]:5000")
                .unwrap();
        let LineKind::Acl(acl) = line.kind else {
            panic!("not ACL")
        };
        assert!(acl.allowed);
        assert_eq!(acl.dst.port(), 5000);
        assert_eq!(acl.reason, "");
    }

    #[test]
    fn a_rule_description_with_dashes_stays_whole() {
        let line = parse("2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] 10.0.0.1:1 -> 10.0.0.2:23 - Matched rule #3: Telnet - legacy").unwrap();
        let LineKind::Acl(acl) = line.kind else {
            panic!("not ACL")
        };
        assert_eq!(acl.reason, "Matched rule #3: Telnet - legacy");
    }

    #[test]
    fn a_waf_drop_is_a_drop_and_a_waf_detect_is_not_a_decision() {
        let line = parse("2026-01-11 10:52:46,996 [WARNING] WAF DROP: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - SQL injection (942100) in ARGS:id").unwrap();
        let LineKind::Acl(drop) = line.kind else {
            panic!("not a decision")
        };
        assert!(!drop.allowed);
        assert_eq!(drop.src, "10.0.0.7:51234".parse().unwrap());
        assert_eq!(drop.reason, "WAF: SQL injection (942100) in ARGS:id");
        let detect =
            "WAF DETECT: [TCP] 10.0.0.7:1 -> 127.0.0.1:5000 - SQL injection (942100) in ARGS:id";
        let line = parse(&format!("2026-01-11 10:52:46,996 [WARNING] {detect}")).unwrap();
        assert_eq!(line.kind, LineKind::Other(detect.into()));
    }

    #[test]
    fn other_messages_are_kept() {
        let line =
            parse("2026-01-11 10:52:46,997 [ERROR] Firewall Processing Error: 403 Forbidden")
                .unwrap();
        assert_eq!(
            line.kind,
            LineKind::Other("Firewall Processing Error: 403 Forbidden".into())
        );
    }

    #[test]
    fn malformed_lines_are_refused() {
        for bad in [
            "",
            "garbage",
            "2026-13-11 10:52:46,996 [INFO] x",
            "2026-01-11 10:52:46,996 INFO x",
            "2026-01-11 10:52:46,996 [WARNING] ACL MAYBE: [TCP] 1.2.3.4:5 -> 1.2.3.4:6",
            "2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] nowhere -> 1.2.3.4:6",
            "2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] 1.2.3.4:5",
            "2026-01-11 10:52:46,99\u{e9} [INFO] x",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
