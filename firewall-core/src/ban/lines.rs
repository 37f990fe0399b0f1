//! The log lines of bans: `BAN` when one starts, `UNBAN` when one ends, and
//! `BAN DROP` for the requests a ban refuses, sampled so that the log is not
//! an attacker's amplifier.
//!
//! A banned client's first refused request gets its line; after it, at most
//! one line every [`BAN_DROP_LINE_EVERY`] per ban, naming the request that
//! triggered it and how many were refused without a line since the last one.
//! The `UNBAN` line gives the total refused while the ban lasted.

use std::collections::HashMap;
use std::fmt;
use std::io::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::info::{rfc3339, BanInfo, Ended};
use crate::limit::{short_duration, ClientKey};
use crate::logger::{self, RawMessage};
use crate::packet::Packet;

/// The shortest time between two `BAN DROP` lines of one ban.
pub const BAN_DROP_LINE_EVERY: Duration = Duration::from_secs(10);

/// `BAN: 203.0.113.7 for 10m until 2026-12-07T02:30:00Z (offence 1): 3 WAF drops in 60s`.
pub(crate) struct BanLine<'a>(pub(crate) &'a BanInfo);

impl RawMessage for BanLine<'_> {
    fn write_raw(&self, out: &mut Vec<u8>) -> usize {
        out.extend_from_slice(b"BAN: ");
        let start = out.len();
        let _ = write!(out, "{}", self.0);
        start
    }
}

/// `UNBAN: 203.0.113.7 (expired) after 10m: 3 WAF drops in 60s; 42 requests refused while banned`.
pub(crate) struct UnbanLine<'a> {
    pub(crate) ended: &'a Ended,
    pub(crate) refused: u64,
}

impl RawMessage for UnbanLine<'_> {
    fn write_raw(&self, out: &mut Vec<u8>) -> usize {
        out.extend_from_slice(b"UNBAN: ");
        let start = out.len();
        let ban = &self.ended.ban;
        let _ = write!(
            out,
            "{} ({}) after {}: {}; {} refused while banned",
            ban.key,
            self.ended.cause,
            short_duration(Duration::from_secs(ban.duration().as_secs())),
            ban.reason,
            Requests(self.refused)
        );
        start
    }
}

/// `1 request`, `3 requests`.
struct Requests(u64);

impl fmt::Display for Requests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.0 == 1 { "request" } else { "requests" };
        write!(f, "{} {noun}", self.0)
    }
}

/// `BAN DROP: [TCP] 203.0.113.7:5123 -> 127.0.0.1:5000 - banned until
/// 2026-12-07T02:30:00Z: 3 WAF drops in 60s (17 more refused since the last line)`.
pub(crate) struct BanDropLine<'a> {
    pub(crate) packet: &'a Packet,
    pub(crate) ban: &'a BanInfo,
    pub(crate) unlogged: u64,
}

impl RawMessage for BanDropLine<'_> {
    fn write_raw(&self, out: &mut Vec<u8>) -> usize {
        out.extend_from_slice(b"BAN DROP: ");
        logger::push_endpoints(out, self.packet);
        let _ = write!(out, " - banned until {}: ", rfc3339(self.ban.until));
        let start = out.len();
        out.extend_from_slice(self.ban.reason.as_bytes());
        if self.unlogged > 0 {
            let _ = write!(out, " ({} more refused since the last line)", self.unlogged);
        }
        start
    }
}

macro_rules! display_raw {
    ($($line:ident),*) => {$(
        impl fmt::Display for $line<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                logger::display_raw(self, f)
            }
        }
    )*};
}
display_raw!(BanLine, UnbanLine, BanDropLine);

/// How many requests each ban refused, and when its last line was written.
#[derive(Debug, Default)]
pub(crate) struct DropTally {
    bans: Mutex<HashMap<ClientKey, Tally>>,
}

#[derive(Debug, Clone, Copy)]
struct Tally {
    last_line: u64,
    unlogged: u64,
    total: u64,
}

impl DropTally {
    /// Counts one refusal of the ban on `key` at `now`; `Some(unlogged)`
    /// when it gets a line (`unlogged`: refusals since the last line).
    pub(crate) fn refused(&self, key: &ClientKey, now: u64) -> Option<u64> {
        let every = BAN_DROP_LINE_EVERY.as_nanos() as u64;
        let mut bans = self.bans.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(tally) = bans.get_mut(key) else {
            let first = Tally {
                last_line: now,
                unlogged: 0,
                total: 1,
            };
            bans.insert(key.clone(), first);
            return Some(0);
        };
        tally.total += 1;
        if now.saturating_sub(tally.last_line) < every {
            tally.unlogged += 1;
            return None;
        }
        tally.last_line = now;
        Some(std::mem::take(&mut tally.unlogged))
    }

    /// Forgets the ban on `key`; returns how many requests it refused.
    pub(crate) fn end(&self, key: &ClientKey) -> u64 {
        let mut bans = self.bans.lock().unwrap_or_else(PoisonError::into_inner);
        bans.remove(key).map_or(0, |tally| tally.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ban_gets_its_first_line_then_one_per_interval_with_the_count() {
        let tally = DropTally::default();
        let key = ClientKey::custom("k");
        let s = 1_000_000_000;
        assert_eq!(tally.refused(&key, 0), Some(0));
        assert_eq!(tally.refused(&key, s), None);
        assert_eq!(tally.refused(&key, 9 * s), None);
        assert_eq!(tally.refused(&key, 10 * s), Some(2));
        assert_eq!(tally.refused(&key, 11 * s), None);
        assert_eq!(tally.end(&key), 5);
        assert_eq!(tally.end(&key), 0);
        assert_eq!(
            tally.refused(&key, 12 * s),
            Some(0),
            "a new ban starts anew"
        );
    }
}
