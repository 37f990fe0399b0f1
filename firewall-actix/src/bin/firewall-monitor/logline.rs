//! Parses the firewall's log lines:
//! `2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] 1.2.3.4:5 -> 127.0.0.1:5000 - No matching allow rule.`
//!
//! Decisions are read by their shape, `<STAGE> <ACTION>: [PROTO] src -> dst[ - reason]`,
//! not by a list of known stages, so `WAF DROP`, `WAF DETECT` and stages added
//! later (`RATE DROP`, `BAN DROP`) are all read as what they are.
//!
//! A ban's start and end are read from `BAN: KEY for 10m until
//! 2026-01-11T11:02:16Z (offence 1): 20 WAF drops in 60s` and `UNBAN: KEY ...`.

use std::net::SocketAddr;

/// One line in the log's format (`<time> [<LEVEL>] <message>`).
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
    /// A decision on a request: `ACL ALLOW`, `ACL DROP`, `WAF DROP`, `WAF DETECT`, `RATE DROP`...
    Decision(Decision),
    /// `Firewall Processing Error: <what>`: the firewall failed and refused the request.
    ProcessingError(String),
    /// The logger's notice that it lost lines (`Firewall log: 1234 lines dropped (queue full)`),
    /// with the number it gives.
    LostLines(u64),
    /// `BAN: KEY ...`: a client is banned from now on.
    Ban(BanLine),
    /// `UNBAN: KEY ...`: a ban ended (expired or lifted).
    Unban {
        /// The key whose ban ended.
        key: String,
        /// The whole message, for the stream.
        message: String,
    },
    /// The shared store (Redis) connected, stopped or started answering
    /// again; and the whole message, for the stream.
    Store(StoreEvent, String),
    /// Any other message (rules loaded, server notices...).
    Notice(String),
}

/// What a `Store:` line says of the shared store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreEvent {
    /// `Store: limits and bans shared through Redis at URL (...)`.
    Shared {
        /// The URL, its password hidden by the app.
        url: String,
    },
    /// `Store: Redis at URL not answering (...)`: limits fall back.
    Degraded {
        /// The URL.
        url: String,
    },
    /// `Store: Redis at URL answering again ...`.
    Recovered {
        /// The URL.
        url: String,
    },
}

/// The store event of a `Store:` message, if it is one.
fn store_event(message: &str) -> Option<StoreEvent> {
    if let Some(rest) = message.strip_prefix("Store: limits and bans shared through Redis at ") {
        let url = first_word(rest)?.to_owned();
        return Some(StoreEvent::Shared { url });
    }
    let rest = message.strip_prefix("Store: Redis at ")?;
    let url = first_word(rest)?.to_owned();
    let after = &rest[url.len()..];
    if after.starts_with(" not answering") {
        Some(StoreEvent::Degraded { url })
    } else if after.starts_with(" answering again") {
        Some(StoreEvent::Recovered { url })
    } else {
        None
    }
}

/// What a `BAN` line says: who, until when, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanLine {
    /// The address, network or key banned, as the line writes it.
    pub key: String,
    /// When it ends (UTC), when the line says.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    /// Why (after `(origin): `), or the rest of the line.
    pub reason: String,
    /// The whole message, for the stream.
    pub message: String,
}

/// What a decision line says was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `ALLOW`: the request goes on.
    Allow,
    /// `DROP`: the request is refused.
    Drop,
    /// `DETECT`: flagged in detection-only mode, not refused.
    Detect,
    /// Any other word: shown, never counted.
    Other(String),
}

impl Action {
    fn from_word(word: &str) -> Self {
        match word {
            "ALLOW" => Action::Allow,
            "DROP" => Action::Drop,
            "DETECT" => Action::Detect,
            other => Action::Other(other.to_owned()),
        }
    }

    /// The word as the log writes it.
    pub fn name(&self) -> &str {
        match self {
            Action::Allow => "ALLOW",
            Action::Drop => "DROP",
            Action::Detect => "DETECT",
            Action::Other(word) => word,
        }
    }
}

/// `<STAGE> <ACTION>: [PROTO] src -> dst[ - reason]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// `ACL`, `WAF`, `RATE`, `BAN`...
    pub stage: String,
    /// What was done.
    pub action: Action,
    /// `TCP`, `UDP`, `ANY`.
    pub proto: String,
    /// Client endpoint.
    pub src: SocketAddr,
    /// Local endpoint.
    pub dst: SocketAddr,
    /// After ` - ` (empty for an ACL ALLOW).
    pub reason: String,
}

/// The line's parts, or `None` when it is not in the log's format (or
/// announces a decision it does not spell out).
pub fn parse(line: &str) -> Option<LogLine> {
    let time = line.get(..23)?;
    chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S,%3f").ok()?;
    let rest = line.get(23..)?.strip_prefix(" [")?;
    let (level, message) = rest.split_once("] ")?;
    if !is_word(level) {
        return None;
    }
    let kind = match decision_head(message) {
        Some((stage, action, rest)) => LineKind::Decision(parse_decision(stage, action, rest)?),
        None => other_kind(message),
    };
    Some(LogLine {
        time: time.to_owned(),
        level: level.to_owned(),
        kind,
    })
}

/// An upper-case ASCII word (`ACL`, `WARNING`).
fn is_word(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_uppercase())
}

/// `("WAF", "DROP", "TCP] ...")` for `WAF DROP: [TCP] ...`.
fn decision_head(message: &str) -> Option<(&str, &str, &str)> {
    let (head, rest) = message.split_once(": [")?;
    let (stage, action) = head.split_once(' ')?;
    (is_word(stage) && is_word(action)).then_some((stage, action, rest))
}

fn parse_decision(stage: &str, action: &str, rest: &str) -> Option<Decision> {
    let (proto, rest) = rest.split_once("] ")?;
    let (src, rest) = rest.split_once(" -> ")?;
    let (dst, reason) = match rest.split_once(" - ") {
        Some((dst, reason)) => (dst, reason),
        None => (rest, ""),
    };
    Some(Decision {
        stage: stage.to_owned(),
        action: Action::from_word(action),
        proto: proto.to_owned(),
        src: src.parse().ok()?,
        dst: dst.parse().ok()?,
        reason: reason.to_owned(),
    })
}

fn other_kind(message: &str) -> LineKind {
    if let Some(ban) = message
        .strip_prefix("BAN: ")
        .and_then(|rest| ban_line(rest, message))
    {
        return LineKind::Ban(ban);
    }
    if let Some(key) = message.strip_prefix("UNBAN: ").and_then(first_word) {
        return LineKind::Unban {
            key: key.to_owned(),
            message: message.to_owned(),
        };
    }
    if let Some(event) = store_event(message) {
        return LineKind::Store(event, message.to_owned());
    }
    if message.starts_with("Firewall Processing Error") {
        return LineKind::ProcessingError(message.to_owned());
    }
    if message.starts_with("Firewall log") && message.contains("dropped") {
        if let Some(count) = first_number(message) {
            return LineKind::LostLines(count);
        }
    }
    LineKind::Notice(message.to_owned())
}

/// `KEY for 10m until 2026-01-11T11:02:16Z (manual): REASON`; only the key
/// is required.
fn ban_line(rest: &str, message: &str) -> Option<BanLine> {
    let key = first_word(rest)?;
    let after_key = &rest[rest.find(key).unwrap_or(0) + key.len()..];
    let until = after_key
        .split_once(" until ")
        .and_then(|(_, tail)| tail.split_whitespace().next())
        .and_then(|time| chrono::DateTime::parse_from_rfc3339(time).ok())
        .map(|time| time.with_timezone(&chrono::Utc));
    let reason = match after_key.split_once("): ") {
        Some((_, reason)) => reason,
        None => after_key.trim_start_matches([':', ',', ' ', '-']),
    };
    Some(BanLine {
        key: key.to_owned(),
        until,
        reason: reason.to_owned(),
        message: message.to_owned(),
    })
}

/// The first word, without a trailing `:` or `,`.
fn first_word(text: &str) -> Option<&str> {
    let word = text.split_whitespace().next()?;
    let word = word.trim_end_matches([':', ',']);
    (!word.is_empty()).then_some(word)
}

/// The first run of ASCII digits in `text`, if it fits a `u64`.
fn first_number(text: &str) -> Option<u64> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let digits = &text[start..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(line: &str) -> LineKind {
        match parse(line).expect("a log line").kind {
            LineKind::Store(event, message) => {
                assert!(line.ends_with(&message));
                LineKind::Store(event, String::new())
            }
            other => other,
        }
    }

    #[test]
    fn the_stores_lines_say_shared_degraded_and_recovered() {
        let url = "redis://:***@127.0.0.1:6379/0";
        assert_eq!(
            kind(&format!("2026-12-07 05:16:41,683 [INFO] Store: limits and bans shared through Redis at {url} (prefix shop, 0 active bans loaded)")),
            LineKind::Store(StoreEvent::Shared { url: url.into() }, String::new())
        );
        assert_eq!(
            kind(&format!("2026-12-07 05:16:41,975 [WARNING] Store: Redis at {url} not answering (no answer within 5ms): limits fall back")),
            LineKind::Store(StoreEvent::Degraded { url: url.into() }, String::new())
        );
        assert_eq!(
            kind(&format!("2026-12-07 05:16:43,001 [INFO] Store: Redis at {url} answering again after 1.0s: limits and bans shared again")),
            LineKind::Store(StoreEvent::Recovered { url: url.into() }, String::new())
        );
        assert!(matches!(
            kind("2026-12-07 05:16:43,001 [INFO] Store: something else"),
            LineKind::Notice(_)
        ));
    }

    fn decision(line: &str) -> Decision {
        match parse(line).map(|l| l.kind) {
            Some(LineKind::Decision(d)) => d,
            other => panic!("not a decision: {other:?}"),
        }
    }

    #[test]
    fn the_seeds_drop_line() {
        let line = parse("2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.").unwrap();
        assert_eq!(
            (line.time.as_str(), line.level.as_str()),
            ("2026-01-11 10:52:46,996", "WARNING")
        );
        let LineKind::Decision(acl) = line.kind else {
            panic!("not a decision")
        };
        assert_eq!((acl.stage.as_str(), &acl.action), ("ACL", &Action::Drop));
        assert_eq!(acl.src, "192.168.29.83:62075".parse().unwrap());
        assert_eq!(acl.reason, "No matching allow rule.");
    }

    #[test]
    fn the_seeds_allow_line_and_ipv6() {
        let acl =
            decision("2026-01-11 11:07:39,364 [INFO] ACL ALLOW: [TCP] [::1]:62286 -> [::1]:5000");
        assert_eq!(acl.action, Action::Allow);
        assert_eq!(acl.dst.port(), 5000);
        assert_eq!(acl.reason, "");
    }

    #[test]
    fn waf_lines_are_decisions_of_the_waf_stage() {
        let drop = decision("2026-01-11 11:02:14,551 [WARNING] WAF DROP: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - SQL injection (942100) in ARGS:id");
        assert_eq!((drop.stage.as_str(), &drop.action), ("WAF", &Action::Drop));
        assert_eq!(drop.reason, "SQL injection (942100) in ARGS:id");
        let detect = decision("2026-01-11 11:02:15,002 [WARNING] WAF DETECT: [TCP] 10.0.0.7:51240 -> 127.0.0.1:5000 - Cross-site scripting (941110) in ARGS:comment");
        assert_eq!(detect.action, Action::Detect);
    }

    #[test]
    fn stages_added_later_are_read_by_their_shape() {
        let rate = decision("2026-01-11 11:02:16,000 [WARNING] RATE DROP: [TCP] 203.0.113.7:5123 -> 127.0.0.1:5000 - limit \"login\" 5/60s");
        assert_eq!((rate.stage.as_str(), &rate.action), ("RATE", &Action::Drop));
        assert_eq!(rate.reason, "limit \"login\" 5/60s");
        let odd =
            decision("2026-01-11 10:52:46,996 [WARNING] ACL MAYBE: [TCP] 1.2.3.4:5 -> 1.2.3.4:6");
        assert_eq!(odd.action, Action::Other("MAYBE".into()));
        assert_eq!(odd.action.name(), "MAYBE");
    }

    #[test]
    fn a_rule_description_with_dashes_stays_whole() {
        let acl = decision("2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] 10.0.0.1:1 -> 10.0.0.2:23 - Matched rule #3: Telnet - legacy");
        assert_eq!(acl.reason, "Matched rule #3: Telnet - legacy");
    }

    #[test]
    fn processing_errors_lost_lines_and_notices() {
        let kind = |line: &str| parse(line).unwrap().kind;
        assert_eq!(
            kind("2026-01-11 10:52:46,997 [ERROR] Firewall Processing Error: the WAF panicked"),
            LineKind::ProcessingError("Firewall Processing Error: the WAF panicked".into())
        );
        assert_eq!(
            kind("2026-01-11 10:52:46,997 [WARNING] Firewall log: 1234 lines dropped (queue full)"),
            LineKind::LostLines(1234)
        );
        for notice in [
            "BAN:",
            "UNBAN: ",
            "Firewall rules loaded: 4 rule(s) in force.",
            "Firewall log: nothing dropped",
        ] {
            assert_eq!(
                kind(&format!("2026-01-11 10:52:46,997 [INFO] {notice}")),
                LineKind::Notice(notice.into())
            );
        }
    }

    #[test]
    fn ban_lines_say_who_until_when_and_why() {
        let kind = |line: &str| parse(line).unwrap().kind;
        let line = "2026-01-11 11:02:16,002 [WARNING] BAN: 203.0.113.7 for 10m until 2026-01-11T11:12:16Z (offence 1): 20 WAF drops in 60s";
        let LineKind::Ban(ban) = kind(line) else {
            panic!("not a ban")
        };
        assert_eq!(ban.key, "203.0.113.7");
        assert_eq!(ban.until.unwrap().to_rfc3339(), "2026-01-11T11:12:16+00:00");
        assert_eq!(ban.reason, "20 WAF drops in 60s");
        let manual = "2026-01-11 11:02:16,002 [WARNING] BAN: 2001:db8::/64 for 1h until 2026-01-11T12:02:16Z (manual): spam (again): x";
        let LineKind::Ban(ban) = kind(manual) else {
            panic!("not a ban")
        };
        assert_eq!(
            (ban.key.as_str(), ban.reason.as_str()),
            ("2001:db8::/64", "spam (again): x")
        );
        let LineKind::Ban(short) = kind("2026-01-11 10:52:46,997 [INFO] BAN: 203.0.113.7 for 600s")
        else {
            panic!("not a ban")
        };
        assert_eq!((short.until, short.reason.as_str()), (None, "for 600s"));
        for unban in [
            "UNBAN: 203.0.113.7",
            "UNBAN: 203.0.113.7 - manual unban by operator (ban reason: x)",
            "UNBAN: 203.0.113.7: expired",
        ] {
            assert_eq!(
                kind(&format!("2026-01-11 10:52:46,997 [WARNING] {unban}")),
                LineKind::Unban {
                    key: "203.0.113.7".into(),
                    message: unban.into()
                },
                "{unban}"
            );
        }
    }

    #[test]
    fn malformed_lines_are_refused() {
        for bad in [
            "",
            "garbage",
            "2026-13-11 10:52:46,996 [INFO] x",
            "2026-01-11 10:52:46,996 INFO x",
            "2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] nowhere -> 1.2.3.4:6",
            "2026-01-11 10:52:46,996 [WARNING] WAF DROP: [TCP] 1.2.3.4:5",
            "2026-01-11 10:52:46,99\u{e9} [INFO] x",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
