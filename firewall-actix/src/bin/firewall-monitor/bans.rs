//! The bans in force, as the log tells them: a `BAN` line adds one, an
//! `UNBAN` line for its key or its `until` passing ends it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::logline::BanLine;

/// Most bans kept: past it, the one ending first is forgotten.
pub const MAX_BANS: usize = 10_000;

/// One ban in force: who, why, since, until.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveBan {
    /// The address, network or key, as the log writes it.
    pub key: String,
    /// Why.
    pub reason: String,
    /// The `BAN` line's time (local, the log's format).
    pub since: String,
    /// When it ends, when the line says.
    pub until: Option<DateTime<Utc>>,
}

/// The bans in force, by key.
#[derive(Debug, Default)]
pub struct ActiveBans {
    by_key: HashMap<String, ActiveBan>,
}

impl ActiveBans {
    /// A `BAN` line at `time`: the key is banned (a new ban replaces an old one).
    pub fn on_ban(&mut self, time: &str, line: &BanLine) {
        self.by_key.insert(
            line.key.clone(),
            ActiveBan {
                key: line.key.clone(),
                reason: line.reason.clone(),
                since: time.to_owned(),
                until: line.until,
            },
        );
        if self.by_key.len() > MAX_BANS {
            self.forget_first_ending();
        }
    }

    /// An `UNBAN` line: the key's ban ended.
    pub fn on_unban(&mut self, key: &str) {
        self.by_key.remove(key);
    }

    /// Forgets the bans whose `until` is at or before `now`.
    pub fn expire(&mut self, now: DateTime<Utc>) {
        self.by_key
            .retain(|_, ban| ban.until.is_none_or(|until| until > now));
    }

    /// How many are in force.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// The bans, newest first (ties by key).
    pub fn newest_first(&self) -> Vec<&ActiveBan> {
        let mut all: Vec<&ActiveBan> = self.by_key.values().collect();
        all.sort_by(|a, b| b.since.cmp(&a.since).then_with(|| a.key.cmp(&b.key)));
        all
    }

    fn forget_first_ending(&mut self) {
        let first = self
            .by_key
            .values()
            .min_by_key(|ban| ban.until.unwrap_or(DateTime::<Utc>::MAX_UTC))
            .map(|ban| ban.key.clone());
        if let Some(key) = first {
            self.by_key.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(key: &str, until: Option<&str>, reason: &str) -> BanLine {
        BanLine {
            key: key.into(),
            until: until.map(|t| t.parse().unwrap()),
            reason: reason.into(),
            message: String::new(),
        }
    }

    #[test]
    fn ban_and_unban_lines_keep_the_list() {
        let mut bans = ActiveBans::default();
        bans.on_ban("2026-01-11 11:00:00,000", &line("203.0.113.7", None, "a"));
        bans.on_ban("2026-01-11 11:00:01,000", &line("2001:db8::/64", None, "b"));
        let keys: Vec<&str> = bans.newest_first().iter().map(|b| b.key.as_str()).collect();
        assert_eq!(keys, ["2001:db8::/64", "203.0.113.7"]);
        bans.on_unban("203.0.113.7");
        bans.on_unban("198.51.100.1"); // never banned: nothing happens
        assert_eq!(bans.len(), 1);
        bans.on_ban("2026-01-11 11:00:02,000", &line("2001:db8::/64", None, "c"));
        assert_eq!(
            bans.newest_first()[0].reason,
            "c",
            "a new ban replaces the old"
        );
        assert_eq!(bans.len(), 1);
    }

    #[test]
    fn a_ban_past_its_time_goes_even_without_its_unban_line() {
        let mut bans = ActiveBans::default();
        let t = "2026-01-11 11:00:00,000";
        bans.on_ban(t, &line("203.0.113.7", Some("2026-01-11T11:10:00Z"), "a"));
        bans.on_ban(t, &line("203.0.113.8", None, "no end given"));
        bans.expire("2026-01-11T11:09:59Z".parse().unwrap());
        assert_eq!(bans.len(), 2);
        bans.expire("2026-01-11T11:10:00Z".parse().unwrap());
        assert_eq!(bans.newest_first()[0].key, "203.0.113.8");
        assert_eq!(bans.len(), 1);
    }

    #[test]
    fn the_list_is_bounded() {
        let mut bans = ActiveBans::default();
        for i in 0..=MAX_BANS {
            let key = format!("k{i}");
            let mut ban = line(&key, Some("2027-01-01T00:00:00Z"), "flood");
            if i == 5 {
                ban.until = Some("2026-06-01T00:00:00Z".parse().unwrap());
            }
            bans.on_ban("2026-01-11 11:00:00,000", &ban);
        }
        assert_eq!(bans.len(), MAX_BANS);
        assert!(
            bans.newest_first().iter().all(|b| b.key != "k5"),
            "the one ending first is forgotten"
        );
    }
}
