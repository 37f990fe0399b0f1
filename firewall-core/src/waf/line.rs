//! The documented log line for a WAF decision, formatted apart from writing.

use std::fmt;

use super::Interruption;
use crate::logger::escape;
use crate::packet::Packet;

/// `WAF DROP: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - SQL injection (942100) in ARGS:id`,
/// or `WAF DETECT: ...` in detection-only mode. The location (attacker
/// controlled: argument and header names) is escaped.
///
/// # Examples
///
/// ```
/// use firewall_core::waf::{Family, Interruption, WafLine};
/// use firewall_core::Packet;
/// let packet = Packet::tcp("10.0.0.7:51234".parse().unwrap(), "127.0.0.1:5000".parse().unwrap());
/// let hit = Interruption { rule_id: 942100, family: Family::Sqli, message: "m".into(), location: "ARGS:id\n".into(), score: 5 };
/// let line = WafLine { packet: &packet, interruption: &hit, blocked: true };
/// assert_eq!(line.to_string(), "WAF DROP: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - SQL injection (942100) in ARGS:id\\n");
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

impl fmt::Display for WafLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.blocked { "DROP" } else { "DETECT" };
        let hit = self.interruption;
        write!(
            f,
            "WAF {verb}: [{}] {} -> {} - {} ({}) in {}",
            self.packet.proto,
            self.packet.src,
            self.packet.dst,
            hit.family,
            hit.rule_id,
            escape(&hit.location)
        )
    }
}
