//! The message of an ACL decision, as the seed writes it.

use std::fmt;

use super::addr::{push_decimal, push_socket};
use super::{json, JsonObject, RawMessage};
use crate::packet::Packet;
use crate::rule::Action;
use crate::ruleset::Decision;

/// The message of an ACL decision, as the seed writes it:
/// `ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.`
///
/// IPv6 endpoints are bracketed (`[::1]:5000`) so the port stays readable.
/// A drop by an explicit rule names the rule (1-based) and its description.
///
/// # Examples
///
/// ```
/// use firewall_core::{logger::AclLine, Action, Decision, Packet};
/// let packet = Packet::tcp("192.168.29.83:62075".parse().unwrap(), "127.0.0.1:5000".parse().unwrap());
/// let line = AclLine { packet: &packet, decision: Decision { action: Action::Drop, rule: None }, desc: "" };
/// assert_eq!(line.to_string(), "ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AclLine<'a> {
    /// The packet decided.
    pub packet: &'a Packet,
    /// The decision.
    pub decision: Decision,
    /// The description of the rule that decided (see
    /// [`RuleSet::desc`](crate::RuleSet::desc)); `""` when it has none or no rule decided.
    pub desc: &'a str,
}

impl AclLine<'_> {
    /// The text after ` - `, or `None` for an ALLOW.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{logger::AclLine, Action, Decision, Packet};
    /// let packet = Packet::tcp("[::1]:1".parse().unwrap(), "[::1]:5000".parse().unwrap());
    /// let line = AclLine { packet: &packet, decision: Decision { action: Action::Drop, rule: None }, desc: "" };
    /// assert_eq!(line.reason().as_deref(), Some("No matching allow rule."));
    /// ```
    pub fn reason(&self) -> Option<String> {
        if self.decision.action == Action::Allow {
            return None;
        }
        let mut reason = Vec::new();
        let _ = self.push_reason(&mut reason);
        Some(String::from_utf8_lossy(&reason).into_owned())
    }

    /// Appends the reason of a drop (see [`AclLine::reason`]) and returns
    /// where the rule's description starts (the end when there is none).
    fn push_reason(&self, out: &mut Vec<u8>) -> usize {
        match self.decision.rule {
            Some(index) => {
                out.extend_from_slice(b"Matched rule #");
                push_decimal(out, index as u64 + 1);
                if !self.desc.is_empty() {
                    out.extend_from_slice(b": ");
                    let desc = out.len();
                    out.extend_from_slice(self.desc.as_bytes());
                    return desc;
                }
                out.push(b'.');
            }
            None => out.extend_from_slice(b"No matching allow rule."),
        }
        out.len()
    }
}

/// Appends `[TCP] <src> -> <dst>`, the part every ACL and WAF line shares.
pub(crate) fn push_endpoints(out: &mut Vec<u8>, packet: &Packet) {
    out.push(b'[');
    out.extend_from_slice(packet.proto.name().as_bytes());
    out.extend_from_slice(b"] ");
    push_socket(out, &packet.src);
    out.extend_from_slice(b" -> ");
    push_socket(out, &packet.dst);
}

impl RawMessage for AclLine<'_> {
    fn write_raw(&self, out: &mut Vec<u8>) -> usize {
        out.extend_from_slice(b"ACL ");
        out.extend_from_slice(self.decision.action.name().as_bytes());
        out.extend_from_slice(b": ");
        push_endpoints(out, self.packet);
        if self.decision.action != Action::Allow {
            out.extend_from_slice(b" - ");
            return self.push_reason(out);
        }
        out.len()
    }

    /// `event.*` (`firewall.acl`, `allow`/`drop`, the reason of a drop),
    /// the endpoints, and `rule.*` of the rule that decided (its 1-based
    /// position as `rule.id`, its description).
    fn write_json_fields(&self, _message: &str, out: &mut JsonObject<'_>) {
        let allowed = self.decision.action == Action::Allow;
        out.str("event.kind", "event");
        out.strs("event.category", &["network"]);
        out.strs(
            "event.type",
            &["connection", if allowed { "allowed" } else { "denied" }],
        );
        out.str("event.module", "firewall");
        out.str("event.dataset", "firewall.acl");
        out.str("event.action", if allowed { "allow" } else { "drop" });
        if let Some(reason) = self.reason() {
            out.str("event.reason", &reason);
        }
        json::push_endpoints(out, self.packet);
        out.str("rule.ruleset", "acl");
        if let Some(index) = self.decision.rule {
            out.str("rule.id", itoa::Buffer::new().format(index + 1));
            if !self.desc.is_empty() {
                out.str("rule.description", self.desc);
            }
        }
    }
}

impl fmt::Display for AclLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::display_raw(self, f)
    }
}
