//! The real `firewall-monitor` binary in a real terminal (tmux): it waits for
//! the log, follows it through rotation and truncation, reads the monitor API,
//! writes the audit report, and gives the terminal back on `q`.
//! Skips (with a printed message) when tmux is not installed.

mod monitor_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use firewall_actix::monitor::{MonitorConfig, WebMonitor};
use monitor_support::{firewall, send};

const DROP: &str = "2026-01-11 10:52:46,996 [WARNING] ACL DROP: [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule.\n";
const ALLOW: &str =
    "2026-01-11 11:07:39,364 [INFO] ACL ALLOW: [TCP] 127.0.0.1:62286 -> 127.0.0.1:5000\n";

/// One private tmux server with one 120x40 session.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
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
    if Command::new("tmux").arg("-V").output().is_err() {
        println!(
            "SKIPPED the_binary_follows_the_log_reads_the_api_and_quits_cleanly: tmux not found"
        );
        return;
    }
    let fw = firewall("shop");
    let monitor = WebMonitor::start(fw.clone(), MonitorConfig::new("127.0.0.1", 0)).unwrap();
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
    let tmux = Tmux {
        socket: dir.path().join("tmux.sock"),
    };
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "mon",
        "-x",
        "120",
        "-y",
        "40",
        &command,
    ]);
    assert!(started.status.success(), "{started:?}");

    tmux.wait_for("Waiting for");
    append(&log, &format!("{DROP}{ALLOW}this line is garbage\n"));
    let screen = tmux.wait_for("Allowed: 1   Dropped: 1");
    assert!(screen.contains("Malformed lines: 1"), "{screen}");
    assert!(screen.contains("DROP  10:52:46,996 [TCP] 192.168.29.83:62075 -> 127.0.0.1:5000 - No matching allow rule."), "{screen}");

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
