//! The terminal monitor's state and its reactions to keys, log lines and API updates.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use firewall_actix::monitor::api::{RuleJson, StatsJson};
use serde_json::json;

use crate::client::ApiUpdate;
use crate::logline::{self, Acl, LineKind};

/// Decisions kept for the stream and the report.
const MAX_RECENT: usize = 500;
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

/// One decision read from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Log time.
    pub time: String,
    /// The parsed ACL message.
    pub acl: Acl,
}

/// Everything the screens show.
#[derive(Debug)]
pub struct App {
    /// The tab shown.
    pub tab: Tab,
    /// ALLOW lines read.
    pub allowed: u64,
    /// DROP lines read.
    pub dropped: u64,
    /// Lines not in the documented format.
    pub malformed: u64,
    /// Latest decisions, newest last.
    pub recent: VecDeque<Decision>,
    /// Drops per source IP.
    pub blocked: HashMap<String, u64>,
    /// Decisions per second, newest last.
    pub rate: VecDeque<u64>,
    this_second: u64,
    /// The log file followed.
    pub log_path: PathBuf,
    /// Whether the log file exists.
    pub log_found: bool,
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
}

impl App {
    /// A monitor of `log_path`, reading `api_url` if given, writing reports to `report_dir`.
    pub fn new(log_path: PathBuf, api_url: Option<String>, report_dir: PathBuf) -> Self {
        Self {
            tab: Tab::Live,
            allowed: 0,
            dropped: 0,
            malformed: 0,
            recent: VecDeque::new(),
            blocked: HashMap::new(),
            rate: VecDeque::new(),
            this_second: 0,
            log_path,
            log_found: false,
            api_url,
            api_stats: None,
            api_rules: Vec::new(),
            api_error: None,
            report_dir,
            report_status: None,
            should_quit: false,
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

    /// Takes in log lines; `live` ones count toward the request rate (not the backlog).
    pub fn on_lines(&mut self, lines: Vec<String>, live: bool) {
        for line in lines {
            match logline::parse(&line) {
                Some(parsed) => match parsed.kind {
                    LineKind::Acl(acl) => self.on_decision(parsed.time, acl, live),
                    LineKind::Other(_) => {}
                },
                None if line.trim().is_empty() => {}
                None => self.malformed += 1,
            }
        }
    }

    fn on_decision(&mut self, time: String, acl: Acl, live: bool) {
        if acl.allowed {
            self.allowed += 1;
        } else {
            self.dropped += 1;
            *self.blocked.entry(acl.src.ip().to_string()).or_insert(0) += 1;
        }
        if live {
            self.this_second += 1;
        }
        if self.recent.len() == MAX_RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(Decision { time, acl });
    }

    /// Closes the current second of the request-rate history.
    pub fn on_second(&mut self) {
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
        let recent: Vec<_> = self
            .recent
            .iter()
            .map(|d| {
                json!({"time": d.time, "action": if d.acl.allowed { "ALLOW" } else { "DROP" },
                   "proto": d.acl.proto, "src": d.acl.src.to_string(), "dst": d.acl.dst.to_string(),
                   "reason": d.acl.reason})
            })
            .collect();
        let top: Vec<_> = self
            .top_blocked(10)
            .into_iter()
            .map(|(src, count)| json!({"src": src, "count": count}))
            .collect();
        json!({
            "generated_at": chrono::Local::now().format("%Y-%m-%d %H:%M:%S,%3f").to_string(),
            "log": {"path": self.log_path.display().to_string(), "allowed": self.allowed,
                    "dropped": self.dropped, "malformed_lines": self.malformed},
            "top_blocked": top,
            "recent_events": recent,
            "api": self.api_url,
            "api_stats": self.api_stats,
            "rules": self.api_rules,
        })
    }
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

    #[test]
    fn lines_are_counted_by_verdict_and_garbage_is_counted_apart() {
        let mut app = app();
        let lines = [
            DROP,
            ALLOW,
            DROP,
            "not a log line",
            "",
            "2026-01-11 10:52:46,997 [ERROR] Firewall Processing Error",
        ];
        app.on_lines(lines.iter().map(|s| (*s).to_owned()).collect(), true);
        assert_eq!((app.allowed, app.dropped, app.malformed), (1, 2, 1));
        assert_eq!(app.top_blocked(5), [("192.168.29.83", 2)]);
        app.on_second();
        assert_eq!(app.current_rate(), 3);
    }

    #[test]
    fn the_backlog_does_not_count_as_rate() {
        let mut app = app();
        app.on_lines(vec![ALLOW.to_owned()], false);
        app.on_second();
        assert_eq!((app.allowed, app.current_rate()), (1, 0));
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
        app.on_lines(vec![DROP.to_owned()], true);
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
        assert_eq!(report["log"]["dropped"], 1);
        assert_eq!(report["recent_events"][0]["src"], "192.168.29.83:62075");
    }
}
