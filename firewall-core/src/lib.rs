//! The rule engine of the Actix firewall: rules in, decisions out.
//!
//! This crate knows nothing of Actix or Tokio. It parses and validates rules,
//! compiles them for fast first-match lookups, swaps rule sets atomically
//! while traffic flows, counts decisions, and writes the documented log line
//! through the shared fern logger.
//!
//! # Semantics
//!
//! - Rules are checked in order; the first rule that matches decides.
//! - No match means DROP.
//! - `ANY` matches any protocol, port or network; a bare address is a one-host network.
//! - An IPv4-mapped IPv6 client (`::ffff:10.0.0.1`) is matched as the IPv4 address;
//!   an IPv4 rule never matches a plain IPv6 client, nor the reverse.
//!
//! # Examples
//!
//! A rule is one line of text (`ACTION PROTO DPORT SRC_CIDR DST_CIDR ["DESC"]`,
//! see [`parse`]), or [`Rule::new`] with the same six fields, the seed's look:
//!
//! ```
//! use firewall_core::{Firewall, Packet};
//!
//! let fw = Firewall::new("app").with_rules(vec![
//!     r#"ALLOW TCP 5000 127.0.0.1 ANY "Loopback may use the app""#.parse()?,
//! ])?;
//! let local = Packet::tcp("127.0.0.1:40000".parse()?, "127.0.0.1:5000".parse()?);
//! assert!(fw.check(&local).is_allowed());
//! assert_eq!(fw.rules().len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The seed's first program, in Rust:
//!
//! ```
//! use firewall_core::{Firewall, Packet, Rule, ALLOW, ANY, DROP, TCP};
//!
//! let fw = Firewall::new("app");
//! fw.set_rules(vec![
//!     Rule::new(ALLOW, TCP, 80, ANY, ANY, "Permits HTTP")?,
//!     Rule::new(DROP, TCP, 443, ANY, ANY, "Permits HTTPS")?,
//!     Rule::new(DROP, TCP, 23, ANY, "10.0.0.0/24", "Blocks Telnet to a subnet")?,
//!     Rule::new(ALLOW, TCP, 22, "192.168.1.10", ANY, "Only allows SSH from one specific IP")?,
//! ])?;
//!
//! let ssh = Packet::tcp("192.168.1.10:50000".parse()?, "10.0.0.1:22".parse()?);
//! assert!(fw.check(&ssh).is_allowed());
//! let app = Packet::tcp("127.0.0.1:62286".parse()?, "127.0.0.1:5000".parse()?);
//! assert!(!fw.check(&app).is_allowed()); // no rule for port 5000: DROP
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Test data shared with the integration tests names the crate by its name.
#[cfg(test)]
extern crate self as firewall_core;

pub mod ban;
mod engine;
mod events;
mod firewall;
pub mod limit;
pub mod logger;
mod matcher;
pub mod metrics;
mod packet;
pub mod parse;
mod reload;
mod rule;
mod ruleset;
mod stats;
pub mod store;
pub mod waf;

pub use events::{Event, EventRing, MAX_DROP_SOURCES};
pub use firewall::{
    Admission, ClientRequest, DuplicateLimit, Firewall, LimitFileError, LimitSet, OneLimitState,
    RateLimitHeaders, Refusal, ReloadError, StageCache, StateText, Stopped, SweepLease,
};
/// The network types of [`NetMatch::Net`] and [`Rule::new`]'s networks.
pub use ipnetwork::{IpNetwork, IpNetworkError, Ipv4Network, Ipv6Network};
pub use packet::Packet;
pub use parse::{FieldError, RuleError};
pub use reload::RulesWatcher;
pub use rule::{Action, AnyWildcard, IntoField, IpFamily, NetMatch, PortMatch, Protocol, Rule};
pub use ruleset::{Decision, RuleFileError, RuleSet, RuleSetError, RulesIter};
pub use stats::{RuleHits, Stage, Stats, StatsSnapshot};

/// The seed's `fw.ALLOW`.
pub const ALLOW: Action = Action::Allow;
/// The seed's `fw.DROP`.
pub const DROP: Action = Action::Drop;
/// The seed's `fw.TCP`.
pub const TCP: Protocol = Protocol::Tcp;
/// UDP.
pub const UDP: Protocol = Protocol::Udp;
/// The seed's `fw.ANY`: any protocol, port or network.
pub const ANY: AnyWildcard = AnyWildcard;
