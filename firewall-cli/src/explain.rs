//! `firewall explain`: which rule decides a packet, and why each rule
//! before it did not match, one line per rule.
//!
//! ```text
//! packet: TCP 203.0.113.7:5123 -> 127.0.0.1:5000
//!   #1 (line 1)  ALLOW TCP 80 ANY ANY "Permits HTTP"  -- no: port 5000 is not 80
//!   ...
//! decision: DROP by default: no rule matched (4 rules checked)
//! log: ACL DROP: [TCP] 203.0.113.7:5123 -> 127.0.0.1:5000 - No matching allow rule.
//! ```
//!
//! The decision is the compiled matcher's (what the middleware runs); the
//! reasons compare each earlier rule's fields with the packet. Past `--show`
//! earlier rules, the rest are counted by the field that failed.

use std::io::Write;
use std::path::Path;

use firewall_core::logger::AclLine;
use firewall_core::{Packet, PortMatch, Rule};

use crate::load;
use crate::terminal::clean;
use crate::INVALID;

/// The fields a rule can fail on, in the order they are reported.
const FIELDS: [&str; 4] = ["protocol", "port", "source", "dest"];

/// Runs the command; returns the exit status.
pub(crate) fn run(
    path: &Path,
    packet: &Packet,
    show: usize,
    out: &mut impl Write,
) -> std::io::Result<u8> {
    let loaded = match load::load(path) {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("{}", clean(&err.to_string()));
            return Ok(INVALID);
        }
    };
    let rules = &loaded.set;
    let decision = loaded.set.decide(packet);
    writeln!(
        out,
        "packet: {} {} -> {}",
        packet.proto, packet.src, packet.dst
    )?;
    let checked = decision.rule.unwrap_or(rules.len());
    let mut misses = [0usize; FIELDS.len()];
    for (index, rule) in rules.iter().take(checked).enumerate() {
        let reasons = reasons(&rule, packet);
        if index < show {
            let why = if reasons.is_empty() {
                "matches by its fields, yet the compiled matcher passed it: please report this"
                    .to_owned()
            } else {
                format!(
                    "no: {}",
                    reasons
                        .iter()
                        .map(|(_, r)| r.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            };
            writeln!(out, "  {}  -- {why}", heading(&loaded, index, &rule))?;
        }
        for (field, _) in reasons {
            misses[field] += 1;
        }
    }
    if checked > show {
        let by_field: Vec<String> = FIELDS
            .iter()
            .zip(misses)
            .filter(|(_, n)| *n > 0)
            .map(|(field, n)| format!("{n} on {field}"))
            .collect();
        writeln!(
            out,
            "  ... and {} more rules that did not match (of all {checked} checked: {})",
            checked - show,
            by_field.join(", ")
        )?;
    }
    match decision
        .rule
        .and_then(|index| Some((index, rules.get(index)?)))
    {
        Some((index, rule)) => {
            writeln!(out, "=> {}  -- matches", heading(&loaded, index, &rule))?;
            writeln!(
                out,
                "decision: {} by rule #{} (line {})",
                decision.action,
                index + 1,
                loaded.line(index)
            )?;
        }
        None => writeln!(
            out,
            "decision: DROP by default: no rule matched ({checked} rules checked)"
        )?,
    }
    let desc = decision.rule.and_then(|i| rules.desc(i)).unwrap_or("");
    let line = AclLine {
        packet,
        decision,
        desc,
    };
    writeln!(out, "log: {}", clean(&line.to_string()))?;
    Ok(0)
}

/// `#3 (line 17)  DROP TCP 23 ANY 10.0.0.0/24 "Blocks Telnet to a subnet"`, escaped.
fn heading(loaded: &load::Loaded, index: usize, rule: &Rule) -> String {
    format!(
        "#{} (line {})  {}",
        index + 1,
        loaded.line(index),
        clean(&rule.to_string())
    )
}

/// Why `rule` does not match `packet`: each failing field (index into
/// [`FIELDS`]) with a short explanation; empty when it matches.
fn reasons(rule: &Rule, packet: &Packet) -> Vec<(usize, String)> {
    let mut reasons = Vec::new();
    if !rule.proto.matches(packet.proto) {
        reasons.push((
            0,
            format!("protocol {} is not {}", packet.proto, rule.proto),
        ));
    }
    let port = packet.dst.port();
    if !rule.dport.contains(port) {
        let wanted = match rule.dport {
            PortMatch::Range(lo, hi) if lo != hi => format!("in {lo}-{hi}"),
            other => other.to_string(),
        };
        reasons.push((1, format!("port {port} is not {wanted}")));
    }
    if !rule.src_cidr.contains(packet.src.ip()) {
        let ip = packet.src.ip();
        reasons.push((2, format!("source {ip} is not in {}", rule.src_cidr)));
    }
    if !rule.dst_cidr.contains(packet.dst.ip()) {
        let ip = packet.dst.ip();
        reasons.push((3, format!("dest {ip} is not in {}", rule.dst_cidr)));
    }
    reasons
}
