//! The documented log line for a WAF decision, formatted apart from writing.

use std::fmt;
use std::io::Write as _;

use super::Interruption;
use crate::logger::{push_endpoints, JsonObject, RawMessage};
use crate::packet::Packet;

/// `WAF DROP: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - SQL injection (942100) in ARGS:id`,
/// or `WAF DETECT: ...` in detection-only mode.
///
/// The location is attacker controlled (argument and header names) and is
/// written as it is: the logger escapes every message once, as it does for
/// [`AclLine`](crate::logger::AclLine). Escape it yourself
/// ([`logger::escape`](crate::logger::escape)) before writing it anywhere else.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::{AttackFamily, Interruption, WafLine, WafReason};
/// use firewall_core::Packet;
/// let packet = Packet::tcp("10.0.0.7:51234".parse().unwrap(), "127.0.0.1:5000".parse().unwrap());
/// let hit = Interruption { rule_id: 942100, family: AttackFamily::Sqli, message: "m".into(), location: "ARGS:id".into(), score: 5 };
/// let line = WafLine { packet: &packet, interruption: &hit, blocked: true };
/// assert_eq!(line.to_string(), "WAF DROP: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - SQL injection (942100) in ARGS:id");
/// assert_eq!(WafReason(&hit).to_string(), "SQL injection (942100) in ARGS:id");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct WafLine<'a> {
    /// The connection the request came on.
    pub packet: &'a Packet,
    /// Why it was flagged.
    pub interruption: &'a Interruption,
    /// `true` for a refused request (`WAF DROP`), `false` in detection-only mode (`WAF DETECT`).
    pub blocked: bool,
}

/// The part of a [`WafLine`] after ` - `: `SQL injection (942100) in ARGS:id`,
/// also the reason the monitors show for the event.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::{AttackFamily, Interruption, WafReason};
/// let hit = Interruption { rule_id: 941100, family: AttackFamily::Xss, message: "m".into(), location: "ARGS:q".into(), score: 5 };
/// assert_eq!(WafReason(&hit).to_string(), "Cross-site scripting (941100) in ARGS:q");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct WafReason<'a>(pub &'a Interruption);

impl fmt::Display for WafReason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hit = self.0;
        write!(f, "{} ({}) in {}", hit.family, hit.rule_id, hit.location)
    }
}

/// Appends `WAF <DROP|DETECT>: [TCP] <src> -> <dst> - <reason>`, the shape
/// of every WAF line (a signature match, or a body over the limit), and
/// returns where the reason starts (it may hold request data).
pub(crate) fn write_line(
    out: &mut Vec<u8>,
    blocked: bool,
    packet: &Packet,
    reason: &dyn fmt::Display,
) -> usize {
    out.extend_from_slice(if blocked {
        b"WAF DROP: "
    } else {
        b"WAF DETECT: "
    });
    push_endpoints(out, packet);
    out.extend_from_slice(b" - ");
    let start = out.len();
    let _ = write!(out, "{reason}");
    start
}

impl RawMessage for WafLine<'_> {
    fn write_raw(&self, out: &mut Vec<u8>) -> usize {
        write_line(
            out,
            self.blocked,
            self.packet,
            &WafReason(self.interruption),
        )
    }

    /// `event.*` (`firewall.waf`, `drop`/`detect`, the reason), the
    /// endpoints, `rule.*` of the signature (its id, its family as
    /// `rule.category`) and `firewall.waf.*` (the family's key, where it
    /// matched, the score).
    fn write_json_fields(&self, _message: &str, out: &mut JsonObject<'_>) {
        let hit = self.interruption;
        write_json_event(out, self.blocked, self.packet, &WafReason(hit).to_string());
        out.str("rule.ruleset", "waf");
        out.str("rule.id", itoa::Buffer::new().format(hit.rule_id));
        out.str("rule.category", &hit.family.to_string());
        out.str("firewall.waf.family", hit.family.key());
        out.str("firewall.waf.location", &hit.location);
        out.u64("firewall.waf.score", u64::from(hit.score));
    }
}

/// The `event.*` fields and endpoints of every WAF line.
pub(crate) fn write_json_event(
    out: &mut JsonObject<'_>,
    blocked: bool,
    packet: &Packet,
    reason: &str,
) {
    out.str("event.kind", "alert");
    out.strs("event.category", &["intrusion_detection", "web"]);
    out.strs("event.type", &[if blocked { "denied" } else { "info" }]);
    out.str("event.module", "firewall");
    out.str("event.dataset", "firewall.waf");
    out.str("event.action", if blocked { "drop" } else { "detect" });
    out.str("event.reason", reason);
    crate::logger::push_json_endpoints(out, packet);
}

impl fmt::Display for WafLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::logger::display_raw(self, f)
    }
}
