//! The message of an ACL decision, as the seed writes it.

use std::fmt;

use crate::packet::Packet;
use crate::rule::{Action, Rule};
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
/// let line = AclLine { packet: &packet, decision: Decision { action: Action::Drop, rule: None }, rule: None };
/// assert_eq!(line.to_string(), "ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AclLine<'a> {
    /// The packet decided.
    pub packet: &'a Packet,
    /// The decision.
    pub decision: Decision,
    /// The rule that decided, if any.
    pub rule: Option<&'a Rule>,
}

impl AclLine<'_> {
    /// The text after ` - `, or `None` for an ALLOW.
    ///
    /// # Examples
    ///
    /// ```
    /// use firewall_core::{logger::AclLine, Action, Decision, Packet};
    /// let packet = Packet::tcp("[::1]:1".parse().unwrap(), "[::1]:5000".parse().unwrap());
    /// let line = AclLine { packet: &packet, decision: Decision { action: Action::Drop, rule: None }, rule: None };
    /// assert_eq!(line.reason().as_deref(), Some("No matching allow rule."));
    /// ```
    pub fn reason(&self) -> Option<String> {
        if self.decision.action == Action::Allow {
            return None;
        }
        Some(match (self.decision.rule, self.rule) {
            (Some(index), Some(rule)) if !rule.desc.is_empty() => {
                format!("Matched rule #{}: {}", index + 1, rule.desc)
            }
            (Some(index), _) => format!("Matched rule #{}.", index + 1),
            (None, _) => "No matching allow rule.".to_owned(),
        })
    }
}

impl fmt::Display for AclLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ACL {}: [{}] {} -> {}",
            self.decision.action, self.packet.proto, self.packet.src, self.packet.dst
        )?;
        match self.reason() {
            Some(reason) => write!(f, " - {reason}"),
            None => Ok(()),
        }
    }
}
