//! The terminal monitor's state and its reactions to keys, log lines and API updates.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use firewall_actix::monitor::api::{RuleJson, StatsJson};
use serde_json::json;

use crate::bans::ActiveBans;
use crate::client::ApiUpdate;
use crate::follow::FollowState;
use crate::logline::{self, Action, Decision, LineKind, LogLine, StoreEvent};

/// Decisions kept for the stream and the report.
const MAX_RECENT: usize = 500;
/// `ACL ALLOW` lines a later stage's `DROP` may still take back (the two
/// lines of one request are written microseconds apart, or after its body).
const ALLOWS_TO_TAKE_BACK: usize = 4096;
/// Characters of a malformed line kept for the stream (garbage may be long).
const MAX_MALFORMED_SHOWN: usize = 256;
/// Seconds of request-rate history.
const RATE_HISTORY: usize = 120;

/// The seed's four tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Counters and the coloured stream.
    Live,
    /// CPU, memory, request rate.
    Performance,
    /// Rules with hits.
    Policy,
    /// Audit report.
    Automation,
}

impl Tab {
    /// All tabs, in order.
    pub const ALL: [Tab; 4] = [Tab::Live, Tab::Performance, Tab::Policy, Tab::Automation];

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Live => "Live Traffic",
            Tab::Performance => "Performance",
            Tab::Policy => "Security Policy",
            Tab::Automation => "Automation",
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// One line of the stream: what was read, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Log time (empty for a malformed line).
    pub time: String,
    /// `INFO`, `WARNING`, `ERROR` (empty for a malformed line).
    pub level: String,
    /// What the line says.
    pub what: Shown,
}

/// What a stream line shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// A decision of any stage (`ACL ALLOW`, `WAF DROP`, `RATE DROP`...).
    Decision(Decision),
    /// `Firewall Processing Error: ...`, a refused request.
    Error(String),
    /// `BAN: ...`: a ban started.
    Ban(String),
    /// `UNBAN: ...`: a ban ended.
    Unban(String),
    /// Any other message of the log (rules loaded, bans, lost lines...).
    Notice(String),
    /// A line not in the log's format, as read.
    Malformed(String),
}

/// Everything the screens show.
///
/// What is counted: every line the [`Follower`](crate::follow::Follower)
/// returns, once. A request is one decision: an `ACL ALLOW` is counted as
/// allowed until a later stage's `DROP` for the same endpoints (`WAF DROP`,
/// `RATE DROP`...) turns it into a drop; a drop with no such `ALLOW` before it
/// (the ACL refused it, or ALLOW lines are not logged) is one more drop.
/// `DETECT` lines count apart (the request was served). A `Firewall
/// Processing Error` is a refused request. `RATE DROP` and `BAN DROP` lines
/// are drops, also counted apart. `BAN` and `UNBAN` lines keep the list of
/// bans in force. Other lines are shown, never counted.
#[derive(Debug)]
pub struct App {
    /// The tab shown.
    pub tab: Tab,
    /// Requests allowed.
    pub allowed: u64,
    /// Requests refused, by any stage or by a processing error.
    pub dropped: u64,
    /// Requests flagged in detection-only mode (served, and also in `allowed`).
    pub detected: u64,
    /// `Firewall Processing Error` lines (also in `dropped`).
    pub errors: u64,
    /// Requests refused by a rate limit, `RATE DROP` (also in `dropped`).
    pub rate_limited: u64,
    /// Requests refused for a ban, `BAN DROP` lines (also in `dropped`).
    pub ban_drops: u64,
    /// The bans in force, from the `BAN` and `UNBAN` lines.
    pub bans: ActiveBans,
    /// Lines the app's logger says it could not write (the totals miss them).
    pub lost_lines: u64,
    /// Lines not in the documented format.
    pub malformed: u64,
    /// Since when the totals count: `since 23:41:07` or `since the start of the file`.
    pub counting_from: String,
    /// Latest lines, newest last.
    pub recent: VecDeque<Entry>,
    /// Endpoints of the latest `ACL ALLOW` lines, for a later stage's `DROP` to take back.
    recent_allows: VecDeque<(SocketAddr, SocketAddr)>,
    /// Drops per source IP.
    pub blocked: HashMap<String, u64>,
    /// Decisions per second, newest last.
    pub rate: VecDeque<u64>,
    this_second: u64,
    /// The log file followed.
    pub log_path: PathBuf,
    /// What the follower is doing.
    pub log_state: FollowState,
    /// The API's address, if given.
    pub api_url: Option<String>,
    /// The latest API stats.
    pub api_stats: Option<StatsJson>,
    /// The latest API rules.
    pub api_rules: Vec<RuleJson>,
    /// The latest API error, cleared by a good poll.
    pub api_error: Option<String>,
    /// Where reports are written.
    pub report_dir: PathBuf,
    /// What the last report attempt did.
    pub report_status: Option<String>,
    /// Set by q / Esc / Ctrl-C.
    pub should_quit: bool,
    /// The shared store, once a `Store:` line named it (`None`: in process).
    pub store: Option<StoreSeen>,
}

/// The shared store as its log lines tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSeen {
    /// The Redis URL (password hidden by the app).
    pub url: String,
    /// The log time of the WARNING that said it stopped answering, while
    /// it has not answered again.
    pub degraded_since: Option<String>,
}

impl App {
    /// A monitor of `log_path`, reading `api_url` if given, writing reports to `report_dir`.
    pub fn new(log_path: PathBuf, api_url: Option<String>, report_dir: PathBuf) -> Self {
        Self {
            tab: Tab::Live,
            allowed: 0,
            dropped: 0,
            detected: 0,
            errors: 0,
            rate_limited: 0,
            ban_drops: 0,
            bans: ActiveBans::default(),
            lost_lines: 0,
            malformed: 0,
            counting_from: "since the start of the file".to_owned(),
            recent: VecDeque::new(),
            recent_allows: VecDeque::new(),
            blocked: HashMap::new(),
            rate: VecDeque::new(),
            this_second: 0,
            log_path,
            log_state: FollowState::Waiting,
            api_url,
            api_stats: None,
            api_rules: Vec::new(),
            api_error: None,
            report_dir,
            report_status: None,
            should_quit: false,
            store: None,
        }
    }

    /// Reacts to a key press.
    pub fn on_key(&mut self, key: KeyEvent) {
        if key.kind != KeyEventKind::Press {
            return;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => self.should_quit = true,
            KeyCode::Char('c') if ctrl => self.should_quit = true,
            KeyCode::Tab | KeyCode::Right => self.select(self.tab.index() + 1),
            KeyCode::BackTab | KeyCode::Left => self.select(self.tab.index() + Tab::ALL.len() - 1),
            KeyCode::Char(c @ '1'..='4') => self.select(c as usize - '1' as usize),
            KeyCode::Char('r') => self.write_report(),
            _ => {}
        }
    }

    fn select(&mut self, index: usize) {
        self.tab = Tab::ALL[index % Tab::ALL.len()];
    }

    /// Takes in log lines; `live` ones count toward the request rate (not history).
    pub fn on_lines(&mut self, lines: Vec<String>, live: bool) {
        for line in lines {
            match logline::parse(&line) {
                Some(parsed) => self.on_line(parsed, live),
                None if line.trim().is_empty() => {}
                None => {
                    self.malformed += 1;
                    let shown = cut(&line, MAX_MALFORMED_SHOWN).to_owned();
                    self.show(String::new(), String::new(), Shown::Malformed(shown));
                }
            }
        }
    }

    fn on_line(&mut self, parsed: LogLine, live: bool) {
        let what = match parsed.kind {
            LineKind::Decision(decision) => {
                self.count(&decision, live);
                Shown::Decision(decision)
            }
            LineKind::ProcessingError(message) => {
                self.dropped += 1;
                self.errors += 1;
                self.this_second += u64::from(live);
                Shown::Error(message)
            }
            LineKind::LostLines(count) => {
                self.lost_lines += count;
                Shown::Notice(format!(
                    "The app's logger lost {count} line(s); the totals miss them."
                ))
            }
            LineKind::Ban(ban) => {
                self.bans.on_ban(&parsed.time, &ban);
                Shown::Ban(ban.message)
            }
            LineKind::Unban { key, message } => {
                self.bans.on_unban(&key);
                Shown::Unban(message)
            }
            LineKind::Store(event, message) => {
                let (url, degraded_since) = match event {
                    StoreEvent::Shared { url } | StoreEvent::Recovered { url } => (url, None),
                    StoreEvent::Degraded { url } => (url, Some(parsed.time.clone())),
                };
                self.store = Some(StoreSeen {
                    url,
                    degraded_since,
                });
                Shown::Notice(message)
            }
            LineKind::Notice(message) => Shown::Notice(message),
        };
        self.show(parsed.time, parsed.level, what);
    }

    fn count(&mut self, decision: &Decision, live: bool) {
        match decision.action {
            Action::Allow => {
                self.allowed += 1;
                self.this_second += u64::from(live);
                if self.recent_allows.len() == ALLOWS_TO_TAKE_BACK {
                    self.recent_allows.pop_front();
                }
                self.recent_allows.push_back((decision.src, decision.dst));
            }
            Action::Drop => {
                if decision.stage != "ACL" && self.take_back_allow(decision) {
                    self.allowed = self.allowed.saturating_sub(1);
                } else {
                    self.this_second += u64::from(live);
                }
                self.dropped += 1;
                match decision.stage.as_str() {
                    "RATE" => self.rate_limited += 1,
                    "BAN" => self.ban_drops += 1,
                    _ => {}
                }
                *self
                    .blocked
                    .entry(decision.src.ip().to_string())
                    .or_insert(0) += 1;
            }
            Action::Detect => self.detected += 1,
            Action::Other(_) => {}
        }
    }

    /// Forgets the newest `ACL ALLOW` of the decision's endpoints, if there is one.
    fn take_back_allow(&mut self, decision: &Decision) -> bool {
        let endpoints = (decision.src, decision.dst);
        match self.recent_allows.iter().rposition(|e| *e == endpoints) {
            Some(i) => self.recent_allows.remove(i).is_some(),
            None => false,
        }
    }

    fn show(&mut self, time: String, level: String, what: Shown) {
        if self.recent.len() == MAX_RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(Entry { time, level, what });
    }

    /// Closes the current second of the request-rate history; forgets the
    /// bans past their time.
    pub fn on_second(&mut self) {
        self.bans.expire(chrono::Utc::now());
        if self.rate.len() == RATE_HISTORY {
            self.rate.pop_front();
        }
        self.rate.push_back(std::mem::take(&mut self.this_second));
    }

    /// Decisions per second in the last closed second.
    pub fn current_rate(&self) -> u64 {
        self.rate.back().copied().unwrap_or(0)
    }

    /// Takes in an API poll.
    pub fn on_api(&mut self, update: ApiUpdate) {
        match update {
            ApiUpdate::Data { stats, rules } => {
                self.api_stats = Some(*stats);
                self.api_rules = rules;
                self.api_error = None;
            }
            ApiUpdate::Error(e) => self.api_error = Some(e),
        }
    }

    /// The most blocked sources, most first.
    pub fn top_blocked(&self, n: usize) -> Vec<(&str, u64)> {
        let mut top: Vec<(&str, u64)> = self
            .blocked
            .iter()
            .map(|(ip, c)| (ip.as_str(), *c))
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        top.truncate(n);
        top
    }

    /// Writes the audit report (Automation tab, key `r`) and records where.
    pub fn write_report(&mut self) {
        let name = format!(
            "{}_audit_report_{}.json",
            report_stem(&self.log_path),
            chrono::Local::now().format("%Y%m%d_%H%M%S")
        );
        let path = self.report_dir.join(name);
        let text = serde_json::to_string_pretty(&self.report()).unwrap_or_default();
        self.report_status = Some(match std::fs::write(&path, text + "\n") {
            Ok(()) => format!("Report written to {}", path.display()),
            Err(e) => format!("Could not write {}: {e}", path.display()),
        });
    }

    /// The audit report: log counters, top blocked, latest decisions, and the API's view.
    pub fn report(&self) -> serde_json::Value {
        let recent: Vec<_> = self.recent.iter().map(Entry::to_json).collect();
        let top: Vec<_> = self
            .top_blocked(10)
            .into_iter()
            .map(|(src, count)| json!({"src": src, "count": count}))
            .collect();
        let bans: Vec<_> = self
            .bans
            .newest_first()
            .into_iter()
            .map(|b| {
                json!({"key": b.key, "reason": b.reason, "since": b.since,
                "until": b.until.map(|t| t.to_rfc3339())})
            })
            .collect();
        json!({
            "generated_at": chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f").to_string(),
            "log": {"path": self.log_path.display().to_string(), "counting": self.counting_from,
                    "allowed": self.allowed, "dropped": self.dropped, "detected": self.detected,
                    "processing_errors": self.errors, "lost_lines": self.lost_lines,
                    "rate_limited": self.rate_limited, "ban_drops": self.ban_drops,
                    "malformed_lines": self.malformed},
            "top_blocked": top,
            "active_bans": bans,
            "recent_events": recent,
            "api": self.api_url,
            "api_stats": self.api_stats,
            "rules": self.api_rules,
        })
    }
}

impl Entry {
    /// The entry in the audit report.
    fn to_json(&self) -> serde_json::Value {
        match &self.what {
            Shown::Decision(d) => json!({"time": self.time, "stage": d.stage,
                "action": d.action.name(), "proto": d.proto, "src": d.src.to_string(),
                "dst": d.dst.to_string(), "reason": d.reason}),
            Shown::Error(text) | Shown::Notice(text) | Shown::Ban(text) | Shown::Unban(text) => {
                json!({"time": self.time, "level": self.level, "message": text})
            }
            Shown::Malformed(text) => json!({"malformed": text}),
        }
    }
}

/// The first `max` characters of `text`.
fn cut(text: &str, max: usize) -> &str {
    text.char_indices()
        .nth(max)
        .map_or(text, |(end, _)| &text[..end])
}

/// `app` for `logs/app_firewall.log`.
fn report_stem(log: &Path) -> String {
    let stem = log
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("firewall");
    let stem = stem.strip_suffix("_firewall").unwrap_or(stem);
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DROP: &str = "2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.";
    const ALLOW: &str =
        "2026-01-11 11:07:39,364 [INFO] ACL ALLOW: [TCP] 127.0.0.1:62286 -> 127.0.0.1:5000";

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn app() -> App {
        App::new("logs/shop_firewall.log".into(), None, std::env::temp_dir())
    }

    fn feed(app: &mut App, lines: &[&str]) {
        app.on_lines(lines.iter().map(|s| (*s).to_owned()).collect(), true);
    }

    const WAF_DROP: &str = "2026-01-11 11:02:14,551 [WARNING] WAF DROP: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - SQL injection (942100) in ARGS:id";
    const WAF_ALLOW: &str =
        "2026-01-11 11:02:14,550 [INFO] ACL ALLOW: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000";

    #[test]
    fn lines_are_counted_by_verdict_and_garbage_is_counted_apart() {
        let mut app = app();
        feed(&mut app, &[DROP, ALLOW, DROP, "not a log line", ""]);
        assert_eq!((app.allowed, app.dropped, app.malformed), (1, 2, 1));
        assert_eq!(app.top_blocked(5), [("192.168.29.83", 2)]);
        app.on_second();
        assert_eq!(app.current_rate(), 3);
        assert_eq!(
            app.recent.back().map(|e| &e.what),
            Some(&Shown::Malformed("not a log line".into())),
            "unknown lines are shown"
        );
    }

    #[test]
    fn a_long_malformed_line_is_shown_cut() {
        let mut app = app();
        let garbage = "é".repeat(1000);
        feed(&mut app, &[&garbage]);
        let Some(Shown::Malformed(shown)) = app.recent.back().map(|e| &e.what) else {
            panic!("not shown")
        };
        assert_eq!(shown.chars().count(), MAX_MALFORMED_SHOWN);
    }

    #[test]
    fn a_waf_drop_alone_is_a_drop() {
        let mut app = app();
        feed(&mut app, &[WAF_DROP]);
        assert_eq!((app.allowed, app.dropped), (0, 1));
        assert_eq!(app.top_blocked(5), [("10.0.0.7", 1)]);
    }

    #[test]
    fn a_request_allowed_by_the_acl_and_refused_by_the_waf_is_one_drop() {
        let mut app = app();
        // Two requests on one connection: the first served, the second refused by the WAF.
        feed(&mut app, &[WAF_ALLOW, WAF_ALLOW, WAF_DROP]);
        assert_eq!((app.allowed, app.dropped), (1, 1));
        app.on_second();
        assert_eq!(app.current_rate(), 2, "two requests, not three");
        // A later stage's drop takes back an ALLOW once only.
        feed(&mut app, &[WAF_DROP, WAF_DROP]);
        assert_eq!((app.allowed, app.dropped), (0, 3));
    }

    #[test]
    fn an_acl_drop_never_takes_back_an_allow() {
        let mut app = app();
        let acl_drop = "2026-01-11 11:02:14,551 [WARNING] ACL DROP: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - No matching allow rule.";
        feed(&mut app, &[WAF_ALLOW, acl_drop]);
        assert_eq!((app.allowed, app.dropped), (1, 1));
    }

    #[test]
    fn detections_errors_new_stages_and_notices() {
        let mut app = app();
        feed(&mut app, &[
            WAF_ALLOW,
            "2026-01-11 11:02:15,002 [WARNING] WAF DETECT: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - Cross-site scripting (941110) in ARGS:comment",
            "2026-01-11 11:02:16,000 [WARNING] RATE DROP: [TCP] 203.0.113.7:5123 -> 127.0.0.1:5000 - limit \"login\" 5/60s",
            "2026-01-11 11:02:16,001 [ERROR] Firewall Processing Error: the WAF panicked",
            "2026-01-11 11:02:16,002 [WARNING] BAN: 203.0.113.7 for 600s",
            "2026-01-11 11:02:16,003 [WARNING] Firewall log: 12 lines dropped (queue full)",
            "2026-01-11 11:02:16,004 [INFO] Firewall rules loaded: 4 rule(s) in force.",
        ]);
        assert_eq!(
            (
                app.allowed,
                app.dropped,
                app.detected,
                app.errors,
                app.lost_lines,
                app.malformed
            ),
            (1, 2, 1, 1, 12, 0)
        );
        assert_eq!(app.top_blocked(5), [("203.0.113.7", 1)]);
        assert_eq!(app.recent.len(), 7, "every line is shown");
        assert_eq!(
            app.recent[4].what,
            Shown::Ban("BAN: 203.0.113.7 for 600s".into())
        );
        assert_eq!((app.rate_limited, app.ban_drops), (1, 0));
    }

    #[test]
    fn ban_lines_keep_the_list_and_ban_drops_count_apart() {
        let mut app = app();
        feed(&mut app, &[
            "2026-01-11 11:02:16,002 [WARNING] BAN: 203.0.113.7 for 10m until 2999-01-11T11:12:16Z (offence 1): 20 WAF drops in 60s",
            "2026-01-11 11:02:16,003 [WARNING] BAN: 198.51.100.9 for 1h until 2999-01-11T12:02:16Z (manual): abuse",
            "2026-01-11 11:02:17,000 [WARNING] BAN DROP: [TCP] 203.0.113.7:5124 -> 127.0.0.1:5000 - banned until 2999-01-11T11:12:16Z",
            "2026-01-11 11:02:18,000 [WARNING] UNBAN: 198.51.100.9 - manual unban by operator (ban reason: abuse)",
        ]);
        let bans: Vec<(&str, &str, &str)> = app
            .bans
            .newest_first()
            .iter()
            .map(|b| (b.key.as_str(), b.reason.as_str(), b.since.as_str()))
            .collect();
        assert_eq!(
            bans,
            [(
                "203.0.113.7",
                "20 WAF drops in 60s",
                "2026-01-11 11:02:16,002"
            )]
        );
        assert_eq!((app.dropped, app.ban_drops, app.rate_limited), (1, 1, 0));
        assert!(
            matches!(&app.recent[3].what, Shown::Unban(m) if m.starts_with("UNBAN: 198.51.100.9"))
        );
        let report = app.report();
        assert_eq!(report["active_bans"][0]["key"], "203.0.113.7");
        assert_eq!(report["log"]["ban_drops"], 1);
    }

    #[test]
    fn history_does_not_count_as_rate() {
        let mut app = app();
        app.on_lines(vec![ALLOW.to_owned(), WAF_DROP.to_owned()], false);
        app.on_second();
        assert_eq!((app.allowed, app.dropped, app.current_rate()), (1, 1, 0));
    }

    #[test]
    fn store_lines_show_degraded_since_and_back() {
        let mut app = app();
        assert!(app.store.is_none());
        let url = "redis://127.0.0.1:6379/0";
        feed(&mut app, &[&format!("2026-12-07 05:16:41,683 [INFO] Store: limits and bans shared through Redis at {url} (prefix shop, 0 active bans loaded)")]);
        assert_eq!(
            app.store
                .as_ref()
                .map(|s| (s.url.as_str(), s.degraded_since.is_none())),
            Some((url, true))
        );
        feed(&mut app, &[&format!("2026-12-07 05:16:41,975 [WARNING] Store: Redis at {url} not answering (no answer within 5ms): limits fall back")]);
        assert_eq!(
            app.store.as_ref().and_then(|s| s.degraded_since.as_deref()),
            Some("2026-12-07 05:16:41,975")
        );
        feed(&mut app, &[&format!("2026-12-07 05:16:43,001 [INFO] Store: Redis at {url} answering again after 1.0s: limits and bans shared again")]);
        assert!(app
            .store
            .as_ref()
            .is_some_and(|s| s.degraded_since.is_none()));
        assert_eq!((app.allowed, app.dropped, app.malformed), (0, 0, 0));
    }

    #[test]
    fn keys_switch_tabs_and_quit() {
        let mut app = app();
        app.on_key(key(KeyCode::Tab));
        assert_eq!(app.tab, Tab::Performance);
        app.on_key(key(KeyCode::BackTab));
        app.on_key(key(KeyCode::BackTab));
        assert_eq!(app.tab, Tab::Automation);
        app.on_key(key(KeyCode::Char('3')));
        assert_eq!(app.tab, Tab::Policy);
        assert!(!app.should_quit);
        app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert!(app.should_quit);
    }

    #[test]
    fn the_report_is_written_as_json_named_after_the_app() {
        let dir = tempfile::tempdir().unwrap();
        let mut app = App::new("logs/shop_firewall.log".into(), None, dir.path().into());
        app.on_lines(vec![DROP.to_owned(), WAF_DROP.to_owned()], true);
        app.on_key(key(KeyCode::Char('r')));
        let status = app.report_status.clone().unwrap();
        assert!(status.starts_with("Report written to"), "{status}");
        let file = std::fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(
            name.starts_with("shop_audit_report_") && file.extension() == Some("json".as_ref()),
            "{name}"
        );
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(report["log"]["dropped"], 2);
        assert_eq!(report["recent_events"][0]["src"], "192.168.29.83:62075");
        assert_eq!(
            (
                &report["recent_events"][1]["stage"],
                &report["recent_events"][1]["action"]
            ),
            (&json!("WAF"), &json!("DROP"))
        );
    }
}
