//! The real `firewall-monitor` binary in a real terminal (tmux): it waits for
//! the log, counts only the lines written after it started, each once, through
//! rotation by `mv` and copy-and-truncate, counts WAF refusals as drops, reads
//! the monitor API with a token from the environment or a file, writes the
//! audit report, keeps the list of bans from the BAN and UNBAN lines, and
//! gives the terminal back on `q`.
//! Skips (with a printed message) when tmux is not installed.

mod monitor_support;
mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use firewall_actix::monitor::{MonitorConfig, WebMonitor};
use monitor_support::{firewall, request, send};

const DROP: &str = "2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.\n";
const ALLOW: &str =
    "2026-01-11 11:07:39,364 [INFO] ACL ALLOW: [TCP] 127.0.0.1:62286 -> 127.0.0.1:5000\n";

/// One private tmux server with one 120x40 session.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    /// Starts `command` in session `mon`, with `env` in its environment (not on any command line).
    fn start(dir: &Path, name: &str, command: &str, env: &[(&str, &str)]) -> Self {
        let tmux = Tmux {
            socket: dir.join(format!("{name}.sock")),
        };
        let started = Command::new("tmux")
            .arg("-S")
            .arg(&tmux.socket)
            .args([
                "new-session",
                "-d",
                "-s",
                "mon",
                "-x",
                "120",
                "-y",
                "40",
                command,
            ])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(started.status.success(), "{started:?}");
        tmux
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap()
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "mon"]).stdout).into_owned()
    }

    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = self.screen();
            if screen.contains(what) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "never showed {what:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &str) {
        assert!(self.run(&["send-keys", "-t", "mon", keys]).status.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

fn tmux_missing(test: &str) -> bool {
    let missing = Command::new("tmux").arg("-V").output().is_err();
    if missing {
        println!("SKIPPED {test}: tmux not found");
    }
    missing
}

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[test]
fn the_binary_follows_the_log_reads_the_api_and_quits_cleanly() {
    if tmux_missing("the_binary_follows_the_log_reads_the_api_and_quits_cleanly") {
        return;
    }
    let fw = firewall("shop");
    let monitor = WebMonitor::start(&fw, MonitorConfig::new("127.0.0.1", 0)).unwrap();
    send(&fw, "127.0.0.1:40000", 5000);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("shop_firewall.log");
    let command = format!(
        "'{}' --log '{}' --api {} --report-dir '{}'; echo EXITED:$?; sleep 60",
        env!("CARGO_BIN_EXE_firewall-monitor"),
        log.display(),
        monitor.url(),
        dir.path().display()
    );
    let tmux = Tmux::start(dir.path(), "tmux", &command, &[]);

    tmux.wait_for("Waiting for");
    append(&log, &format!("{DROP}{ALLOW}this line is garbage\n"));
    let screen = tmux.wait_for("Allowed: 1   Dropped: 1");
    assert!(screen.contains("Malformed lines: 1"), "{screen}");
    assert!(screen.contains("ACL DROP   10:52:46,996 [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule."), "{screen}");

    std::fs::rename(&log, dir.path().join("shop_firewall.log.1")).unwrap();
    append(&log, DROP);
    tmux.wait_for("Allowed: 1   Dropped: 2");
    std::fs::write(&log, ALLOW).unwrap(); // truncated in place
    tmux.wait_for("Allowed: 2   Dropped: 2");

    tmux.keys("3");
    let policy = tmux.wait_for("Allow HTTP to the app on 5000");
    let row = policy
        .lines()
        .find(|l| l.contains("Allow HTTP to the app on 5000"))
        .unwrap();
    assert!(
        row.contains("ALLOW")
            && row
                .trim_end()
                .trim_end_matches('│')
                .trim_end()
                .ends_with('1'),
        "{row}"
    );

    tmux.keys("4");
    tmux.wait_for("Press r to write the audit report");
    tmux.keys("r");
    tmux.wait_for("Report written to");
    let report = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("shop_audit_report_")
        })
        .expect("report file");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.path()).unwrap()).unwrap();
    assert_eq!(
        (
            report["log"]["allowed"].as_u64(),
            report["log"]["dropped"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(report["rules"][4]["hits"], 1);

    tmux.keys("q");
    let after = tmux.wait_for("EXITED:0");
    assert!(
        !after.contains("Sentinel SOC"),
        "the alternate screen is left on exit:\n{after}"
    );
}

const WAF_ALLOW: &str =
    "2026-01-11 11:02:14,550 [INFO] ACL ALLOW: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000\n";
const WAF_DROP: &str = "2026-01-11 11:02:14,551 [WARNING] WAF DROP: [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - SQL injection (942100) in ARGS:id\n";

#[test]
fn only_new_lines_are_counted_each_once_through_mv_and_copytruncate() {
    if tmux_missing("only_new_lines_are_counted_each_once_through_mv_and_copytruncate") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("shop_firewall.log");
    append(&log, &format!("{DROP}{ALLOW}")); // an earlier run's lines
    let command = format!(
        "'{}' --log '{}'; echo EXITED:$?; sleep 60",
        env!("CARGO_BIN_EXE_firewall-monitor"),
        log.display(),
    );
    let tmux = Tmux::start(dir.path(), "count", &command, &[]);
    let screen = tmux.wait_for("Live traffic");
    assert!(
        screen.contains("Allowed: 0   Dropped: 0   Detected: 0"),
        "an earlier run's lines are not counted:\n{screen}"
    );

    // One request allowed by the ACL and refused by the WAF, one served.
    append(&log, &format!("{WAF_ALLOW}{WAF_DROP}{ALLOW}"));
    let screen = tmux.wait_for("Allowed: 1   Dropped: 1");
    assert!(screen.contains("WAF DROP   11:02:14,551 [TCP] 10.0.0.7:51234 -> 127.0.0.1:5000 - SQL injection (942100) in ARGS:id"), "{screen}");

    // logrotate's mv: the app writes on to the moved file until it reopens the path.
    let rotated = dir.path().join("shop_firewall.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    append(&rotated, DROP);
    let screen = tmux.wait_for("Allowed: 1   Dropped: 2");
    assert!(screen.contains("was moved or deleted"), "{screen}");
    append(&log, ALLOW);
    tmux.wait_for("Allowed: 2   Dropped: 2");
    append(&rotated, DROP); // a late line in the old file
    tmux.wait_for("Allowed: 2   Dropped: 3");

    // logrotate's copytruncate, then more than the old length written at once.
    std::fs::copy(&log, dir.path().join("shop_firewall.log.2")).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
    file.set_len(0).unwrap();
    append(&log, &format!("{DROP}{DROP}"));
    tmux.wait_for("Allowed: 2   Dropped: 5");

    // A last line as a barrier: any line counted twice would show here.
    append(&log, ALLOW);
    let screen = tmux.wait_for("Allowed: 3");
    assert!(
        screen.contains("Allowed: 3   Dropped: 5   Detected: 0"),
        "{screen}"
    );
    tmux.keys("q");
    tmux.wait_for("EXITED:0");
}

#[test]
fn the_token_comes_from_the_environment_or_a_file() {
    if tmux_missing("the_token_comes_from_the_environment_or_a_file") {
        return;
    }
    let token = "0123456789abcdef-terminal-monitor";
    let fw = firewall("shop");
    let config = MonitorConfig::new("127.0.0.1", 0).token(token);
    let monitor = WebMonitor::start(&fw, config).unwrap();
    send(&fw, "127.0.0.1:40000", 5000);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("shop_firewall.log");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let binary = env!("CARGO_BIN_EXE_firewall-monitor");
    let from_env = format!(
        "'{binary}' --log '{}' --api {}; echo EXITED:$?; sleep 60",
        log.display(),
        monitor.url()
    );
    let from_file = format!(
        "'{binary}' --log '{}' --api {} --token-file '{}'; echo EXITED:$?; sleep 60",
        log.display(),
        monitor.url(),
        token_file.display()
    );
    for (name, command, env) in [
        ("env", from_env, vec![("FIREWALL_MONITOR_TOKEN", token)]),
        ("file", from_file, vec![]),
    ] {
        assert!(!command.contains(token), "the token is on no command line");
        let tmux = Tmux::start(dir.path(), name, &command, &env);
        tmux.wait_for("Waiting for");
        tmux.keys("3");
        let policy = tmux.wait_for("Allow HTTP to the app on 5000");
        assert!(!policy.contains("HTTP 401"), "{name}: {policy}");
        tmux.keys("q");
        tmux.wait_for("EXITED:0");
    }
}

#[test]
fn bans_made_and_lifted_in_the_web_monitor_update_the_terminals_ban_list() {
    if tmux_missing("bans_made_and_lifted_in_the_web_monitor_update_the_terminals_ban_list") {
        return;
    }
    let log = support::log_file("monitor_tui");
    let token = "0123456789abcdef-ban-list";
    let fw = firewall("shop");
    let config = MonitorConfig::new("127.0.0.1", 0).token(token);
    let monitor = WebMonitor::start(&fw, config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let command = format!(
        "'{}' --log '{}'; echo EXITED:$?; sleep 60",
        env!("CARGO_BIN_EXE_firewall-monitor"),
        log.display(),
    );
    let tmux = Tmux::start(dir.path(), "bans", &command, &[]);
    tmux.wait_for("Live traffic");
    let auth = format!("Bearer {token}");
    let post = |path: &str, body: &str| {
        let answer = request(
            "POST",
            &format!("{}{path}", monitor.url()),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(body),
        );
        assert!(
            answer.status < 300,
            "{path}: {} {}",
            answer.status,
            answer.body
        );
    };

    post(
        "/api/bans",
        r#"{"key":"203.0.113.7","seconds":600,"reason":"credential stuffing"}"#,
    );
    post(
        "/api/bans",
        r#"{"key":"2001:db8::1","seconds":3600,"reason":"scanner"}"#,
    );
    log::warn!(target: "firewall", "RATE DROP: [TCP] 198.51.100.4:5123 -> 127.0.0.1:5000 - limit \"login\" 5/60s");
    firewall_core::logger::flush();
    let screen = tmux.wait_for("Active bans (2)");
    let row = |screen: &str, key: &str| {
        screen
            .lines()
            .find(|l| l.starts_with(&format!("│ {key} ")))
            .map(str::to_owned)
    };
    let v4 = row(&screen, "203.0.113.7").unwrap_or_else(|| panic!("{screen}"));
    assert!(
        v4.contains("until ") && v4.contains("credential stuffing"),
        "{v4}"
    );
    let v6 = row(&screen, "2001:db8::/64").unwrap_or_else(|| panic!("{screen}"));
    assert!(v6.contains("scanner"), "{v6}");
    assert!(
        screen.contains("Rate-limited: 1   Ban drops: 0   Active bans: 2"),
        "{screen}"
    );
    assert!(screen.contains("RATE DROP  "), "{screen}");

    post("/api/bans/unban", r#"{"key":"203.0.113.7"}"#);
    firewall_core::logger::flush();
    let screen = tmux.wait_for("Active bans (1)");
    assert!(row(&screen, "203.0.113.7").is_none(), "{screen}");
    assert!(row(&screen, "2001:db8::/64").is_some(), "{screen}");
    assert!(screen.contains("UNBAN      "), "{screen}");
    assert!(screen.contains("UNBAN: 203.0.113.7 "), "{screen}");
    tmux.keys("q");
    tmux.wait_for("EXITED:0");
}
